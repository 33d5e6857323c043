//! List commands that pop: LPOP RPOP LMPOP LMOVE RPOPLPUSH, and the pop helpers the
//! blocking variants (`list_block`) share.

use super::push::{
    as_list, list_mut, new_list, node_limit, parse_in_range, parse_side, popped, push_event,
    reply_item, write_list_and_out,
};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::list::{Item, List, OwnedItem, Side};
use crate::store::{KeyMut, Kind};
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

/// Writes up to `count` elements from `side` of the list of `k` (in pop order) as
/// an array, removes them and finishes the handle.
fn pop_range_reply(mut k: KeyMut<'_>, out: &mut Reply<'_>, side: Side, count: usize) {
    let Ok(list) = list_mut(&mut k) else {
        return;
    };
    let n = count.min(list.len());
    out.array_len(n);
    match side {
        Side::Left => list.iter().take(n).for_each(|item| reply_item(out, item)),
        Side::Right => list
            .rev_from(list.len().saturating_sub(1))
            .take(n)
            .for_each(|item| reply_item(out, item)),
    }
    list.remove_end(side, n);
    popped(k, side, n);
}

/// Pops one element from `side` of the list of `k`, replies `[key, element]` (BLPOP's
/// reply) and finishes the handle.
fn pop_one_with_key(mut k: KeyMut<'_>, out: &mut Reply<'_>, key: &[u8], side: Side) {
    let Ok(list) = list_mut(&mut k) else {
        return;
    };
    let Some(elem) = list.pop(side) else {
        k.unchanged();
        return;
    };
    out.array_len(2);
    out.bulk(key);
    reply_item(out, elem.as_item());
    popped(k, side, 1);
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
        let popped = {
            let (Some(k), out) = write_list_and_out(ctx, key)? else {
                continue;
            };
            match count {
                None => {
                    pop_one_with_key(k, out, key, side);
                    None
                }
                Some(count) => {
                    let len = as_list(k.value())?.len();
                    out.array_len(2);
                    out.bulk(key);
                    pop_range_reply(k, out, side, count);
                    Some(count.min(len))
                }
            }
        };
        // Propagated as [LR]POP key [count] (BLPOP, BLMPOP, LMPOP: Redis's rewrite).
        let name: &[u8] = if side == Side::Left { b"LPOP" } else { b"RPOP" };
        ctx.propagate_pop(name, key, popped);
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
    let (found, out) = write_list_and_out(ctx, req.arg(1))?;
    let Some(mut k) = found else {
        match count {
            Some(_) => out.null_array(),
            None => out.null(),
        }
        return Ok(());
    };
    match count {
        Some(0) => out.array_len(0),
        Some(n) => pop_range_reply(k, out, side, usize::try_from(n).unwrap_or(usize::MAX)),
        None => {
            let Some(elem) = list_mut(&mut k)?.pop(side) else {
                k.unchanged();
                out.null();
                return Ok(());
            };
            reply_item(out, elem.as_item());
            popped(k, side, 1);
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

/// The element at `side` of `list`, copied.
fn end_of(list: &List, side: Side) -> Option<OwnedItem> {
    let item = match side {
        Side::Left => list.iter().next(),
        Side::Right => list.rev_from(list.len().checked_sub(1)?).next(),
    };
    item.map(Item::to_owned_item)
}

/// Moves one element from `from` of list `src` to `to` of list `dst` (which may be
/// the same) and replies with it; false (nothing written) when `src` is missing.
/// WRONGTYPE when either key holds another type.
///
/// Redis's order of events: the push on `dst`, then the pop on `src` (and its `del`
/// when emptied); one change in all. Each key's handle is finished before the next is
/// taken: the element is copied from `src`, pushed on `dst`, then popped from `src`.
pub fn move_element(
    ctx: &mut Ctx<'_>,
    src: &[u8],
    dst: &[u8],
    from: Side,
    to: Side,
) -> Result<bool, CmdError> {
    let limit = node_limit(ctx);
    if src == dst {
        let Some(mut k) = ctx.write_key_of(src, Kind::List)? else {
            return Ok(false);
        };
        let list = list_mut(&mut k)?;
        let Some(elem) = list.pop(from) else {
            k.unchanged();
            return Ok(false);
        };
        list.push_item(to, elem.as_item(), limit);
        k.record(push_event(to));
        popped(k, from, 0);
        reply_item(&mut ctx.out, elem.as_item());
        return Ok(true);
    }
    let elem = match ctx.write_key_of(src, Kind::List)? {
        None => return Ok(false),
        Some(k) => {
            let elem = end_of(as_list(k.value())?, from);
            k.unchanged();
            elem
        }
    };
    let Some(elem) = elem else {
        return Ok(false);
    };
    let mut d = ctx.write_key_or_create(dst, Kind::List, new_list)?;
    list_mut(&mut d)?.push_item(to, elem.as_item(), limit);
    d.changed_n(push_event(to), 0);
    if let Some(mut k) = ctx.write_key(src) {
        let list = list_mut(&mut k)?;
        list.pop(from);
        popped(k, from, 1);
    }
    reply_item(&mut ctx.out, elem.as_item());
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
