//! List commands that push, read and edit in place: LPUSH RPUSH LPUSHX RPUSHX LLEN
//! LRANGE LINDEX LSET LINSERT, and the helpers every list command shares. Removals
//! are in `list_edit`, pops and moves in `list_pop`, blocking pops in `list_block`.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::parser::parse_int;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::list::{Item, List, NodeLimit, Side};
use crate::store::{Event, KeyMut, Kind, Value, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "lpush",
        -3,
        flags!(WRITE | DENYOOM | FAST),
        Group::List,
        "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
        lpush,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "rpush",
        -3,
        flags!(WRITE | DENYOOM | FAST),
        Group::List,
        "Appends one or more elements to a list. Creates the key if it doesn't exist.",
        rpush,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "lpushx",
        -3,
        flags!(WRITE | DENYOOM | FAST),
        Group::List,
        "Prepends one or more elements to a list only when the list exists.",
        lpushx,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "rpushx",
        -3,
        flags!(WRITE | DENYOOM | FAST),
        Group::List,
        "Appends an element to a list only when the list exists.",
        rpushx,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "llen",
        2,
        flags!(READONLY | FAST),
        Group::List,
        "Returns the length of a list.",
        llen,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
        "lrange",
        4,
        flags!(READONLY),
        Group::List,
        "Returns a range of elements from a list.",
        lrange,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "lindex",
        3,
        flags!(READONLY),
        Group::List,
        "Returns an element from a list by its index.",
        lindex,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "lset",
        4,
        flags!(WRITE | DENYOOM),
        Group::List,
        "Sets the value of an element in a list by its index.",
        lset,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "linsert",
        5,
        flags!(WRITE | DENYOOM),
        Group::List,
        "Inserts an element before or after another element in a list.",
        linsert,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
];

/// The node size limit from `list-max-listpack-size`.
pub fn node_limit(ctx: &Ctx<'_>) -> NodeLimit {
    ctx.server.config.encodings.list_limit()
}

/// The list in `value` (found by a `Kind::List` lookup).
pub fn as_list(value: &Value) -> Result<&List, CmdError> {
    match value {
        Value::List(list) => Ok(list),
        _ => Err(CmdError::WrongType),
    }
}

/// The list of the write handle `k`, to change it (the handle then owes its event);
/// WRONGTYPE, with the handle untouched, for another kind.
pub fn list_mut<'k>(k: &'k mut KeyMut<'_>) -> Result<&'k mut List, CmdError> {
    if k.value().kind() != Kind::List {
        return Err(CmdError::WrongType);
    }
    match k.value_mut() {
        Value::List(list) => Ok(list),
        _ => Err(CmdError::WrongType),
    }
}

/// A new empty list value (for a push that creates its key).
pub fn new_list() -> Value {
    Value::List(Box::new(List::new()))
}

/// The list at `key` of the client's database for writing, together with the reply
/// writer, so a pop can write elements straight from the list: `Ok(None)` when
/// absent, WRONGTYPE when the key holds another kind.
pub fn write_list_and_out<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<KeyMut<'c>>, &'c mut Reply<'a>), CmdError> {
    ctx.write_key_of_and_out(key, Kind::List)
}

/// Writes one element as a bulk string.
pub fn reply_item(out: &mut Reply<'_>, item: Item<'_>) {
    match item {
        Item::Int(n) => out.bulk_int(n),
        Item::Str(s) => out.bulk(s),
    }
}

/// `LEFT` or `RIGHT` (any case), else `ERR syntax error`.
pub fn parse_side(arg: &[u8]) -> Result<Side, CmdError> {
    if is(arg, "left") {
        Ok(Side::Left)
    } else if is(arg, "right") {
        Ok(Side::Right)
    } else {
        Err(CmdError::Syntax)
    }
}

/// An integer in `min..=max`, else the error `msg` (Redis's
/// `getRangeLongFromObjectOrReply` with a message: also for text that is no number).
pub fn parse_in_range(arg: &[u8], min: i64, max: i64, msg: &'static str) -> Result<i64, CmdError> {
    parse_int(arg)
        .filter(|n| (min..=max).contains(n))
        .ok_or(CmdError::msg(msg))
}

/// The event of a push at the head.
const LPUSH: Event = Event::new(class::LIST, "lpush");
/// The event of a push at the tail.
const RPUSH: Event = Event::new(class::LIST, "rpush");
/// The event of a pop from the head.
const LPOP: Event = Event::new(class::LIST, "lpop");
/// The event of a pop from the tail.
const RPOP: Event = Event::new(class::LIST, "rpop");
/// The event of LSET.
const LSET: Event = Event::new(class::LIST, "lset");
/// The event of LINSERT.
const LINSERT: Event = Event::new(class::LIST, "linsert");

/// The event a push at `side` publishes.
pub fn push_event(side: Side) -> Event {
    match side {
        Side::Left => LPUSH,
        Side::Right => RPUSH,
    }
}

/// Finishes the handle `k` after `n` elements were popped at `side`: dirty, the
/// `lpop`/`rpop` event, and the key's deletion (with `del`) when the list is empty.
pub fn popped(k: KeyMut<'_>, side: Side, n: usize) {
    let event = match side {
        Side::Left => LPOP,
        Side::Right => RPOP,
    };
    k.changed_collection(event, n as u64);
}

/// Pushes `values` at `side` of the list at `key`, creating it unless `only_existing`;
/// returns the new length (0 when the key is missing and `only_existing`).
pub fn push_values<'v>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    side: Side,
    values: impl Iterator<Item = Item<'v>>,
    only_existing: bool,
) -> Result<usize, CmdError> {
    let limit = node_limit(ctx);
    let mut k = if only_existing {
        match ctx.write_key_of(key, Kind::List)? {
            Some(k) => k,
            None => return Ok(0),
        }
    } else {
        ctx.write_key_or_create(key, Kind::List, new_list)?
    };
    let list = list_mut(&mut k)?;
    let before = list.len();
    values.for_each(|item| list.push_item(side, item, limit));
    let len = list.len();
    k.changed_n(push_event(side), (len - before) as u64);
    Ok(len)
}

/// LPUSH, RPUSH, LPUSHX and RPUSHX (Redis's `pushGenericCommand`).
fn push_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    side: Side,
    only_existing: bool,
) -> Result<(), CmdError> {
    let values = (2..req.len()).map(|j| Item::from_bytes(req.arg(j)));
    let len = push_values(ctx, req.arg(1), side, values, only_existing)?;
    ctx.out.int(len as i64);
    Ok(())
}

/// ```text
/// LPUSH key element [element ...]
/// ```
/// The list's length after pushing each element at the head in turn.
fn lpush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    push_generic(ctx, req, Side::Left, false)
}

/// ```text
/// RPUSH key element [element ...]
/// ```
/// The list's length after appending the elements.
fn rpush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    push_generic(ctx, req, Side::Right, false)
}

/// ```text
/// LPUSHX key element [element ...]
/// ```
/// As LPUSH, but 0 and nothing done when the key does not exist.
fn lpushx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    push_generic(ctx, req, Side::Left, true)
}

/// ```text
/// RPUSHX key element [element ...]
/// ```
/// As RPUSH, but 0 and nothing done when the key does not exist.
fn rpushx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    push_generic(ctx, req, Side::Right, true)
}

/// ```text
/// LLEN key
/// ```
/// The length, 0 for a missing key.
fn llen(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let len = match ctx.read_key_of(req.arg(1), Kind::List)? {
        Some(k) => as_list(k.value())?.len(),
        None => 0,
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// The inclusive range `start..=end` (negative counting from the tail) of a list of
/// `len` as `(first, count)`, as Redis's `addListRangeReply` clamps it.
pub fn clamp_range(start: i64, end: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end.min(len - 1) };
    if start > end || start >= len {
        return (0, 0);
    }
    (start as usize, (end - start + 1) as usize)
}

/// ```text
/// LRANGE key start stop
/// ```
/// The elements from `start` to `stop` inclusive (negative counts from the tail);
/// an empty array when the range is empty or the key missing.
fn lrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let start = parse_i64(req.arg(2))?;
    let end = parse_i64(req.arg(3))?;
    let (found, out) = ctx.read_key_and_out(req.arg(1));
    let Some(k) = found else {
        out.array_len(0);
        return Ok(());
    };
    let list = as_list(k.into_value())?;
    let (first, count) = clamp_range(start, end, list.len());
    out.array_len(count);
    for item in list.iter_from(first).take(count) {
        reply_item(out, item);
    }
    Ok(())
}

/// An index argument (negative counts from the tail) as a position in a list of
/// `len`, or `None` when outside it.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let index = if index < 0 { len + index } else { index };
    (0..len).contains(&index).then_some(index as usize)
}

/// ```text
/// LINDEX key index
/// ```
/// The element at `index` (negative counts from the tail), or null.
fn lindex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (found, out) = ctx.read_key_and_out(req.arg(1));
    let Some(k) = found else {
        out.null();
        return Ok(());
    };
    let list = as_list(k.into_value())?;
    let index = parse_i64(req.arg(2))?;
    match position(index, list.len()).and_then(|p| list.get(p)) {
        Some(item) => reply_item(out, item),
        None => out.null(),
    }
    Ok(())
}

/// ```text
/// LSET key index element
/// ```
/// `+OK`; `ERR no such key` for a missing key, `ERR index out of range` outside it.
fn lset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let limit = node_limit(ctx);
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::List)? else {
        return Err(CmdError::NoSuchKey);
    };
    let index = parse_i64(req.arg(2))?;
    let list = list_mut(&mut k)?;
    let done = position(index, list.len()).is_some_and(|p| list.set(p, req.arg(3), limit));
    if !done {
        k.unchanged();
        return Err(CmdError::msg("ERR index out of range"));
    }
    k.changed(LSET);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// LINSERT key BEFORE | AFTER pivot element
/// ```
/// The new length; -1 when `pivot` is not found, 0 when the key is missing.
fn linsert(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let after = if is(req.arg(2), "after") {
        true
    } else if is(req.arg(2), "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let limit = node_limit(ctx);
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::List)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let list = list_mut(&mut k)?;
    if !list.insert_at_pivot(req.arg(3), after, req.arg(4), limit) {
        k.unchanged();
        ctx.out.int(-1);
        return Ok(());
    }
    let len = list.len();
    k.changed(LINSERT);
    ctx.out.int(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_as_redis() {
        assert_eq!(clamp_range(0, -1, 5), (0, 5));
        assert_eq!(clamp_range(-1000, 1000, 4), (0, 4));
        assert_eq!(clamp_range(6, 2, 10), (0, 0));
        assert_eq!(clamp_range(0, -5, 4), (0, 0));
        assert_eq!(clamp_range(0, -4, 4), (0, 1));
        assert_eq!(clamp_range(-3, -1, 10), (7, 3));
        assert_eq!(clamp_range(3, 8, 3), (0, 0));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), (0, 3));
        assert_eq!(position(-1, 3), Some(2));
        assert_eq!(position(3, 3), None);
        assert_eq!(position(i64::MIN, 3), None);
    }
}
