//! List commands that pop: LPOP RPOP LMPOP LMOVE RPOPLPUSH, and the pop helpers the
//! blocking variants (`list_block`) share.

use super::push::{
    list_at, node_limit, parse_in_range, parse_side, popped, push_event, reply_item,
};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::list::{List, Side};
use crate::store::{Kind, Value};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"lpop",
-2,
flags!(WRITE | FAST),
Group::List,
"Returns the first elements in a list after removing it. Deletes the list if the last element was popped.",
lpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"rpop",
-2,
flags!(WRITE | FAST),
Group::List,
"Returns and removes the last elements of a list. Deletes the list if the last element was popped.",
rpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"lmpop",
-4,
flags!(WRITE),
Group::List,
"Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.",
lmpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::numkeys(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"lmove",
5,
flags!(WRITE | DENYOOM),
Group::List,
"Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.",
lmove,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(RW | INSERT), 2)]),
    CommandSpec::new(
"rpoplpush",
3,
flags!(WRITE | DENYOOM),
Group::List,
"Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.",
rpoplpush,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(RW | INSERT), 2)]),
];

/// Writes up to `count` elements from `side` of the list at `index` (in pop order)
/// as an array, and removes them.
fn pop_range_reply(ctx: &mut Ctx<'_>, key: &[u8], index: usize, side: Side, count: usize) {
    let db = ctx.db();
    let Value::List(list) = ctx.store.db(db).value_at(index) else {
        return;
    };
    let n = count.min(list.len());
    ctx.out.array_len(n);
    match side {
        Side::Left => list
            .iter()
            .take(n)
            .for_each(|item| reply_item(&mut ctx.out, item)),
        Side::Right => list
            .rev_from(list.len().saturating_sub(1))
            .take(n)
            .for_each(|item| reply_item(&mut ctx.out, item)),
    }
    list.remove_end(side, n);
    popped(ctx, key, index, side, n);
}

/// Pops one element from `side` of the list at `index` and replies `[key, element]`
/// (BLPOP's reply).
pub fn pop_one_with_key(ctx: &mut Ctx<'_>, key: &[u8], index: usize, side: Side) {
    let db = ctx.db();
    let Value::List(list) = ctx.store.db(db).value_at(index) else {
        return;
    };
    let Some(elem) = list.pop(side) else {
        return;
    };
    ctx.out.array_len(2);
    ctx.out.bulk(key);
    reply_item(&mut ctx.out, elem.as_item());
    popped(ctx, key, index, side, 1);
}

/// Pops up to `count` elements from the first non-empty list of `keys` and replies
/// `[key, [elements]]`; false (nothing written) when every key is missing.
/// WRONGTYPE when a key before the first list holds another type.
pub fn pop_first_of<'k>(
    ctx: &mut Ctx<'_>,
    keys: impl IntoIterator<Item = &'k [u8]>,
    side: Side,
    count: Option<usize>,
) -> Result<bool, CmdError> {
    for key in keys {
        let Some(i) = ctx.lookup_kind_write(key, Kind::List)? else {
            continue;
        };
        match count {
            None => pop_one_with_key(ctx, key, i, side),
            Some(count) => {
                ctx.out.array_len(2);
                ctx.out.bulk(key);
                pop_range_reply(ctx, key, i, side, count);
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// LPOP and RPOP (Redis's `popGenericCommand`).
fn pop_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, side: Side) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(CmdError::Arity(
            if side == Side::Left { "lpop" } else { "rpop" }.into(),
        ));
    }
    let count = match req.len() {
        3 => Some(parse_in_range(
            req.arg(2),
            0,
            i64::MAX,
            "ERR value is out of range, must be positive",
        )?),
        _ => None,
    };
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::List)? else {
        match count {
            Some(_) => ctx.out.null_array(),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    match count {
        Some(0) => ctx.out.array_len(0),
        Some(n) => pop_range_reply(ctx, key, i, side, usize::try_from(n).unwrap_or(usize::MAX)),
        None => {
            let Some(elem) = list_at(ctx, i)?.pop(side) else {
                ctx.out.null();
                return Ok(());
            };
            reply_item(&mut ctx.out, elem.as_item());
            popped(ctx, key, i, side, 1);
        }
    }
    Ok(())
}

/// ```text
/// LPOP key [count]
/// ```
/// The first element (null for a missing key); with `count`, an array of up to
/// `count` elements (a null array for a missing key).
fn lpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    pop_generic(ctx, req, Side::Left)
}

/// ```text
/// RPOP key [count]
/// ```
/// As LPOP, from the tail.
fn rpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    pop_generic(ctx, req, Side::Right)
}

/// LMPOP's and BLMPOP's arguments after the timeout.
#[derive(Debug)]
pub struct MpopArgs {
    /// Position of the first key; the keys run to `keys_end` (exclusive).
    pub first_key: usize,
    /// End of the keys.
    pub keys_end: usize,
    /// The end to pop from.
    pub side: Side,
    /// Elements to pop at most (1 without COUNT).
    pub count: usize,
}

/// Parses `numkeys key [key ...] LEFT | RIGHT [COUNT count]` from argument
/// `numkeys_at` (Redis's `lmpopGenericCommand`).
pub fn parse_mpop(req: &Request<'_>, numkeys_at: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = parse_in_range(
        req.arg(numkeys_at),
        1,
        i64::MAX,
        "ERR numkeys should be greater than 0",
    )?;
    let first_key = numkeys_at + 1;
    let side_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| first_key.checked_add(n))
        .filter(|&at| at < req.len())
        .ok_or(CmdError::Syntax)?;
    let side = parse_side(req.arg(side_at))?;
    let mut count = None;
    let mut j = side_at + 1;
    while j < req.len() {
        if count.is_none() && is(req.arg(j), "count") && j + 1 < req.len() {
            let n = parse_in_range(
                req.arg(j + 1),
                1,
                i64::MAX,
                "ERR count should be greater than 0",
            )?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(MpopArgs {
        first_key,
        keys_end: side_at,
        side,
        count: count.unwrap_or(1),
    })
}

/// ```text
/// LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]
/// ```
/// `[key, [elements]]` from the first non-empty list, or a null array.
fn lmpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let args = parse_mpop(req, 1)?;
    let keys = (args.first_key..args.keys_end).map(|j| req.arg(j));
    if !pop_first_of(ctx, keys, args.side, Some(args.count))? {
        ctx.out.null_array();
    }
    Ok(())
}

/// Moves one element from `from` of list `src` to `to` of list `dst` (which may be
/// the same) and replies with it; false (nothing written) when `src` is missing.
/// WRONGTYPE when either key holds another type.
pub fn move_element(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: Side,
    to: Side,
) -> Result<bool, CmdError> {
    if ctx.lookup_kind_write(src, Kind::List)?.is_none() {
        return Ok(false);
    }
    ctx.lookup_kind_write(dst, Kind::List)?;
    // Looking `dst` up may have expired it, which moves entries: find `src` again.
    let Some(si) = ctx.lookup_write(src) else {
        return Ok(false);
    };
    let Some(elem) = list_at(ctx, si)?.pop(from) else {
        return Ok(false);
    };
    let limit = node_limit(ctx);
    // Both keys are checked: nothing below can fail once the element is out.
    let di = if src == dst {
        Some(si)
    } else {
        ctx.lookup_write(dst)
    };
    match di.map(|di| ctx.value(di)) {
        Some(Value::List(list)) => list.push_item(to, elem.as_item(), limit),
        _ => {
            let mut list = List::new();
            list.push_item(to, elem.as_item(), limit);
            ctx.current_db().insert(dst, Value::List(Box::new(list)), 0);
        }
    }
    ctx.changed(dst, notify::LIST, push_event(to));
    reply_item(&mut ctx.out, elem.as_item());
    // Inserting `dst` never moves other entries, but look up by key to stay simple.
    if let Some(si) = ctx.lookup_write(src) {
        popped(ctx, src, si, from, 1);
    }
    Ok(true)
}

/// ```text
/// LMOVE source destination LEFT | RIGHT LEFT | RIGHT
/// ```
/// The element moved, or null when `source` is missing.
fn lmove(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let from = parse_side(req.arg(3))?;
    let to = parse_side(req.arg(4))?;
    if !move_element(ctx, req.arg(1), req.arg(2), from, to)? {
        ctx.out.null();
    }
    Ok(())
}

/// ```text
/// RPOPLPUSH source destination
/// ```
/// LMOVE source destination RIGHT LEFT.
fn rpoplpush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if !move_element(ctx, req.arg(1), req.arg(2), Side::Right, Side::Left)? {
        ctx.out.null();
    }
    Ok(())
}
