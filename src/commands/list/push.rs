//! List commands that push, read and edit in place: LPUSH RPUSH LPUSHX RPUSHX LLEN
//! LRANGE LINDEX LSET LINSERT, and the helpers every list command shares. Removals
//! are in `list_edit`, pops and moves in `list_pop`, blocking pops in `list_block`.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::parser::parse_int;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::list::{Item, List, NodeLimit, Side};
use crate::store::{Kind, Value};
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

/// The list at `index` of the client's database (found by a `Kind::List` lookup).
pub fn list_at<'c>(ctx: &'c mut Ctx<'_>, index: usize) -> Result<&'c mut List, CmdError> {
    match ctx.value(index) {
        Value::List(list) => Ok(list),
        _ => Err(CmdError::WrongType),
    }
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

/// The event a push at `side` publishes.
pub fn push_event(side: Side) -> &'static str {
    match side {
        Side::Left => "lpush",
        Side::Right => "rpush",
    }
}

/// Records `n` elements popped at `side` from `key` (at `index`): dirty, the
/// `lpop`/`rpop` event, and the key's deletion (with `del`) when the list is empty.
pub fn popped(ctx: &mut Ctx<'_>, key: &[u8], index: usize, side: Side, n: usize) {
    ctx.store.dirty += n as u64;
    let event = match side {
        Side::Left => "lpop",
        Side::Right => "rpop",
    };
    ctx.changed(key, notify::LIST, event);
    deleted_if_empty(ctx, key, index);
}

/// Deletes `key` (at `index`) when its list is empty, with the `del` event.
pub fn deleted_if_empty(ctx: &mut Ctx<'_>, key: &[u8], index: usize) {
    if ctx.delete_if_empty(index) {
        ctx.notify(notify::GENERIC, "del", key);
    }
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
    let found = ctx.lookup_kind_write(key, Kind::List)?;
    let (len, pushed) = match found {
        None if only_existing => return Ok(0),
        None => {
            let mut list = List::new();
            values.for_each(|item| list.push_item(side, item, limit));
            let len = list.len();
            ctx.current_db().insert(key, Value::List(Box::new(list)), 0);
            (len, len)
        }
        Some(i) => {
            let list = list_at(ctx, i)?;
            let before = list.len();
            values.for_each(|item| list.push_item(side, item, limit));
            (list.len(), list.len() - before)
        }
    };
    ctx.store.dirty += pushed as u64;
    ctx.changed(key, notify::LIST, push_event(side));
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
    let len = match ctx.lookup_kind_read(req.arg(1), Kind::List)? {
        Some(i) => list_at(ctx, i)?.len(),
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
    let Some(i) = ctx.lookup_kind_read(req.arg(1), Kind::List)? else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let db = ctx.db();
    let Value::List(list) = ctx.store.db(db).value_ref(i) else {
        return Err(CmdError::WrongType);
    };
    let (first, count) = clamp_range(start, end, list.len());
    ctx.out.array_len(count);
    for item in list.iter_from(first).take(count) {
        reply_item(&mut ctx.out, item);
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
    let Some(i) = ctx.lookup_kind_read(req.arg(1), Kind::List)? else {
        ctx.out.null();
        return Ok(());
    };
    let index = parse_i64(req.arg(2))?;
    let db = ctx.db();
    let Value::List(list) = ctx.store.db(db).value_ref(i) else {
        return Err(CmdError::WrongType);
    };
    match position(index, list.len()).and_then(|p| list.get(p)) {
        Some(item) => reply_item(&mut ctx.out, item),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ```text
/// LSET key index element
/// ```
/// `+OK`; `ERR no such key` for a missing key, `ERR index out of range` outside it.
fn lset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::List)? else {
        return Err(CmdError::NoSuchKey);
    };
    let index = parse_i64(req.arg(2))?;
    let limit = node_limit(ctx);
    let list = list_at(ctx, i)?;
    let done = position(index, list.len()).is_some_and(|p| list.set(p, req.arg(3), limit));
    if !done {
        return Err(CmdError::msg("ERR index out of range"));
    }
    ctx.store.dirty += 1;
    ctx.changed(key, notify::LIST, "lset");
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
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::List)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let limit = node_limit(ctx);
    let list = list_at(ctx, i)?;
    if !list.insert_at_pivot(req.arg(3), after, req.arg(4), limit) {
        ctx.out.int(-1);
        return Ok(());
    }
    let len = list.len();
    ctx.store.dirty += 1;
    ctx.changed(key, notify::LIST, "linsert");
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
