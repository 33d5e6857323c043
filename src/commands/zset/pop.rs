//! Popping the ends of sorted sets: ZPOPMIN ZPOPMAX ZMPOP, and the blocking
//! BZPOPMIN BZPOPMAX BZMPOP (Redis's `genericZpopCommand` and
//! `blockingGenericZpopCommand`). A blocking pop that finds nothing parks the client
//! with [`Ctx::block`]; it runs again when a sorted set appears at one of its keys.

use super::members::write;
use super::score_text::reply_score;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::runtime::blocking::{TimeoutReply, parse_timeout};
use crate::spec::{Group, KeySpec};
use crate::store::{Event, KeyMut, Kind, Value, class};

/// The event of ZPOPMIN (and BZPOPMIN, ZMPOP ... MIN).
const ZPOPMIN: Event = Event::new(class::ZSET, "zpopmin");
/// The event of ZPOPMAX (and BZPOPMAX, ZMPOP ... MAX).
const ZPOPMAX: Event = Event::new(class::ZSET, "zpopmax");
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"zpopmin",
-2,
flags!(WRITE | FAST),
Group::SortedSet,
"Returns the lowest-scoring members from a sorted set after removing them.",
zpopmin,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"zpopmax",
-2,
flags!(WRITE | FAST),
Group::SortedSet,
"Returns the highest-scoring members from a sorted set after removing them.",
zpopmax,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"bzpopmin",
-3,
flags!(WRITE | NOSCRIPT | BLOCKING | FAST),
Group::SortedSet,
"Removes and returns the member with the lowest score from one or more sorted sets. Blocks until a member is available otherwise.",
bzpopmin,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::range(kf!(RW | ACCESS | DELETE), 1, -2, 1)]),
    CommandSpec::new(
"bzpopmax",
-3,
flags!(WRITE | NOSCRIPT | BLOCKING | FAST),
Group::SortedSet,
"Removes and returns the member with the highest score from one or more sorted sets. Blocks until a member available otherwise.",
bzpopmax,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::range(kf!(RW | ACCESS | DELETE), 1, -2, 1)]),
    CommandSpec::new(
"zmpop",
-4,
flags!(WRITE),
Group::SortedSet,
"Returns the highest- or lowest-scoring members from one or more sorted sets after removing them.",
zmpop,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::numkeys(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"bzmpop",
-5,
flags!(WRITE | BLOCKING),
Group::SortedSet,
"Removes and returns a member by score from one or more sorted sets. Blocks until a member is available otherwise.",
bzmpop,
)
.acl(cats!(SORTEDSET))
.keys(&[KeySpec::numkeys(kf!(RW | ACCESS | DELETE), 2)]),
];

/// How a pop replies.
#[derive(Debug, Clone, Copy)]
struct Shape {
    /// Pop the highest scores.
    max: bool,
    /// Name the key first (the multi-key forms).
    emit_key: bool,
    /// Members and scores as `[member, score]` pairs rather than a flat list.
    nested: bool,
}

/// Pops from the first key of `keys` holding a sorted set (see [`pop`]); false, with
/// nothing replied, when none does.
/// # Errors
/// WRONGTYPE when a key before it (or it) holds something else.
fn pop_first(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    keys: std::ops::Range<usize>,
    count: Option<usize>,
    shape: Shape,
) -> Result<bool, CmdError> {
    for j in keys {
        let key = req.arg(j);
        let popped = {
            let (Some(k), out) = write(ctx, key)? else {
                continue;
            };
            let len = match k.value() {
                Value::ZSet(z) => z.len(),
                _ => 0,
            };
            pop(k, out, key, count, shape);
            count.map(|c| c.min(len))
        };
        if shape.emit_key {
            // BZPOPMIN, BZMPOP, ZMPOP: as ZPOPMIN/ZPOPMAX key [count] (Redis's rewrite).
            let name: &[u8] = if shape.max { b"ZPOPMAX" } else { b"ZPOPMIN" };
            ctx.propagate_pop(name, key, popped);
        }
        return Ok(true);
    }
    Ok(false)
}

/// Pops up to `count` elements (`None`: one, replied without a count's shape) from
/// the set at `k`, named `key`, and replies them.
fn pop(mut k: KeyMut<'_>, out: &mut Reply<'_>, key: &[u8], count: Option<usize>, shape: Shape) {
    if count == Some(0) {
        k.unchanged();
        out.array_len(0);
        return;
    }
    let mut popped = Vec::new();
    if let Value::ZSet(z) = k.value_mut() {
        let n = count.unwrap_or(1).min(z.len());
        popped.reserve(n);
        for _ in 0..n {
            match z.pop(shape.max) {
                Some(e) => popped.push(e),
                None => break,
            }
        }
    }
    match (shape.emit_key, shape.nested) {
        (false, false) => out.array_len(popped.len() * 2),
        (false, true) => out.array_len(popped.len()),
        (true, false) => {
            out.array_len(popped.len() * 2 + 1);
            out.bulk(key);
        }
        (true, true) => {
            out.array_len(2);
            out.bulk(key);
            out.array_len(popped.len());
        }
    }
    for (member, score) in &popped {
        if shape.nested {
            out.array_len(2);
        }
        out.bulk(member);
        reply_score(out, *score);
    }
    if popped.is_empty() {
        k.unchanged();
    } else {
        let event = if shape.max { ZPOPMAX } else { ZPOPMIN };
        k.changed_collection(event, popped.len() as u64);
    }
}

/// ```text
/// ZPOPMIN key [count]
/// ```
/// The lowest-scoring members and their scores, removed (an empty array for a
/// missing key). RESP3 nests `[member, score]` pairs when a count is given.
/// # Errors
/// `ERR syntax error`, `ERR value is out of range, must be positive`, WRONGTYPE.
fn zpopmin(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    zpop_generic(ctx, req, false)
}

/// ```text
/// ZPOPMAX key [count]
/// ```
/// The highest-scoring members and their scores, removed; as ZPOPMIN.
/// # Errors
/// As ZPOPMIN.
fn zpopmax(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    zpop_generic(ctx, req, true)
}

fn zpop_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, max: bool) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if req.len() == 3 {
        let n = parse_i64(req.arg(2))?;
        if n < 0 {
            return Err(CmdError::msg("ERR value is out of range, must be positive"));
        }
        Some(usize::try_from(n).unwrap_or(usize::MAX))
    } else {
        None
    };
    let shape = Shape {
        max,
        emit_key: false,
        nested: ctx.out.is_resp3() && count.is_some(),
    };
    if !pop_first(ctx, req, 1..2, count, shape)? {
        ctx.out.array_len(0);
    }
    Ok(())
}

/// ```text
/// BZPOPMIN key [key ...] timeout
/// ```
/// `[key, member, score]` of the lowest-scoring member of the first non-empty set,
/// removed; blocks until there is one, or replies null after `timeout` seconds
/// (0 waits forever).
/// # Errors
/// `ERR timeout is not a float or out of range`, `ERR timeout is negative`,
/// WRONGTYPE.
fn bzpopmin(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bzpop_generic(ctx, req, false)
}

/// ```text
/// BZPOPMAX key [key ...] timeout
/// ```
/// As BZPOPMIN, with the highest-scoring member.
/// # Errors
/// As BZPOPMIN.
fn bzpopmax(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bzpop_generic(ctx, req, true)
}

fn bzpop_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, max: bool) -> Result<(), CmdError> {
    let deadline = parse_timeout(req.arg(req.len() - 1), ctx.now)?;
    let shape = Shape {
        max,
        emit_key: true,
        nested: false,
    };
    block_or_pop(ctx, req, 1..req.len() - 1, deadline, None, shape)
}

/// Pops from the first sorted set among `keys`, or blocks on them all.
fn block_or_pop(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    keys: std::ops::Range<usize>,
    deadline: i64,
    count: Option<usize>,
    shape: Shape,
) -> Result<(), CmdError> {
    if pop_first(ctx, req, keys.clone(), count, shape)? {
        return Ok(());
    }
    let names = keys.map(|k| req.arg(k));
    ctx.block(names, Kind::ZSet, deadline, TimeoutReply::NullArray, req);
    Ok(())
}

/// The parsed `numkeys key [key ...] MIN | MAX [COUNT count]` of ZMPOP and BZMPOP,
/// with numkeys at `at`: the key positions, whether MAX, and the count.
fn parse_mpop(
    req: &Request<'_>,
    at: usize,
) -> Result<(std::ops::Range<usize>, bool, usize), CmdError> {
    let numkeys = parse_i64(req.arg(at))
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| CmdError::msg("ERR numkeys should be greater than 0"))?;
    let where_at = (numkeys as u64).saturating_add(at as u64 + 1);
    if where_at >= req.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let where_at = where_at as usize;
    let max = match req.arg(where_at) {
        w if is(w, "min") => false,
        w if is(w, "max") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < req.len() {
        if count.is_none() && is(req.arg(j), "count") && j + 1 < req.len() {
            let n = parse_i64(req.arg(j + 1))
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| CmdError::msg("ERR count should be greater than 0"))?;
            count = Some(usize::try_from(n).unwrap_or(usize::MAX));
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((at + 1..where_at, max, count.unwrap_or(1)))
}

/// ```text
/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
/// `[key, [[member, score], ...]]` from the first non-empty set, removed (up to
/// `count`, default 1), or null when all are empty.
/// # Errors
/// `ERR numkeys should be greater than 0`, `ERR count should be greater than 0`,
/// `ERR syntax error`, WRONGTYPE.
fn zmpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (keys, max, count) = parse_mpop(req, 1)?;
    let shape = Shape {
        max,
        emit_key: true,
        nested: true,
    };
    if !pop_first(ctx, req, keys, Some(count), shape)? {
        ctx.out.null_array();
    }
    Ok(())
}

/// ```text
/// BZMPOP timeout numkeys key [key ...] MIN | MAX [COUNT count]
/// ```
/// As ZMPOP, blocking until a set has members, or null after `timeout` seconds.
/// # Errors
/// As ZMPOP, and the timeout errors of BZPOPMIN.
fn bzmpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (keys, max, count) = parse_mpop(req, 2)?;
    let deadline = parse_timeout(req.arg(1), ctx.now)?;
    let shape = Shape {
        max,
        emit_key: true,
        nested: true,
    };
    block_or_pop(ctx, req, keys, deadline, Some(count), shape)
}
