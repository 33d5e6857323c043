//! Sorted set commands on members: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZRANK
//! ZREVRANK, and the helpers the other sorted set families share
//! (`zset_range`, `zset_ops`, `zset_block`, `zset_scan`). The type itself is `store::zset`.

use super::score_text::{parse_score, reply_score};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::zset::{PackLimits, ZSet};
use crate::store::{Event, KeyMut, Kind, Value, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "zadd",
        -4,
        flags!(WRITE | DENYOOM | FAST),
        Group::SortedSet,
        "Adds one or more members to a sorted set, or updates their scores.",
        zadd,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "zincrby",
        4,
        flags!(WRITE | DENYOOM | FAST),
        Group::SortedSet,
        "Increments the score of a member in a sorted set.",
        zincrby,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "zrem",
        -3,
        flags!(WRITE | FAST),
        Group::SortedSet,
        "Removes one or more members from a sorted set.",
        zrem,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "zscore",
        3,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the score of a member in a sorted set.",
        zscore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zmscore",
        -3,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the score of one or more members in a sorted set.",
        zmscore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zcard",
        2,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the number of members in a sorted set.",
        zcard,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
        "zrank",
        -3,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        zrank,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrevrank",
        -3,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the index of a member in a sorted set ordered by descending scores.",
        zrevrank,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// The event of ZADD.
const ZADD: Event = Event::new(class::ZSET, "zadd");
/// The event of ZINCRBY and ZADD ... INCR.
const ZINCR: Event = Event::new(class::ZSET, "zincr");
/// The event of ZREM.
const ZREM: Event = Event::new(class::ZSET, "zrem");

/// The packed-encoding limits from the configuration.
pub fn limits(ctx: &Ctx<'_>) -> PackLimits {
    ctx.server.config.encodings.zset_limits()
}

/// The sorted set `value` holds, or WRONGTYPE.
pub fn as_zset(value: &Value) -> Result<&ZSet, CmdError> {
    match value {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

/// The sorted set at `key` for a read (hit or miss counted), with the reply writer
/// beside it: `None` when the key is missing.
/// # Errors
/// WRONGTYPE when the key holds another type.
pub fn read<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<&'c ZSet>, &'c mut Reply<'a>), CmdError> {
    ctx.read_as_and_out(key, as_zset)
}

/// The sorted set at `key` for a write (nothing counted), with the reply writer
/// beside it: `None` when the key is missing.
/// # Errors
/// WRONGTYPE when the key holds another type.
pub fn write<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<KeyMut<'c>>, &'c mut Reply<'a>), CmdError> {
    ctx.write_key_of_and_out(key, Kind::ZSet)
}

/// The header of a list of `n` members, with their scores when `withscores`: RESP2
/// flattens the pairs, RESP3 nests them (Redis 7 does not use a map, to keep order).
pub fn write_list_len(out: &mut Reply<'_>, n: usize, withscores: bool) {
    out.array_len(if withscores && !out.is_resp3() {
        n * 2
    } else {
        n
    });
}

/// One member of a list started by [`write_list_len`].
pub fn write_entry(out: &mut Reply<'_>, member: &[u8], score: f64, withscores: bool) {
    if withscores && out.is_resp3() {
        out.array_len(2);
    }
    out.bulk(member);
    if withscores {
        reply_score(out, score);
    }
}

/// Stores the result of a *STORE command in `dst` (replacing whatever it held, TTL
/// included) and replies its size; an empty result deletes `dst` instead.
pub fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], z: ZSet, event: Event) {
    let n = z.len();
    ctx.out.int(n as i64);
    if n > 0 {
        ctx.insert_key(dst, Value::ZSet(Box::new(z)), 0)
            .changed(event);
    } else {
        let old = ctx.write_key(dst).map(|k| k.remove(Event::DEL));
        if let Some(old) = old {
            ctx.store.dispose(old.value);
        }
    }
}

/// ZADD's options.
#[derive(Debug, Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// ```text
/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
/// ```
/// The number of members added (added or changed with CH); with INCR, the new score,
/// or null when the condition skipped it.
/// # Errors
/// `ERR syntax error`, `ERR XX and NX options at the same time are not compatible`,
/// `ERR GT, LT, and/or NX options at the same time are not compatible`,
/// `ERR INCR option supports a single increment-element pair`,
/// `ERR value is not a valid float`, `ERR resulting score is not a number (NaN)`,
/// WRONGTYPE.
pub fn zadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    zadd_generic(ctx, req, AddFlags::default())
}

/// ```text
/// ZINCRBY key increment member
/// ```
/// The member's new score (added with the increment as its score if absent).
/// # Errors
/// `ERR value is not a valid float`, `ERR resulting score is not a number (NaN)`,
/// WRONGTYPE.
fn zincrby(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let flags = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    zadd_generic(ctx, req, flags)
}

/// ZADD and ZINCRBY (Redis's `zaddGenericCommand`).
fn zadd_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, mut f: AddFlags) -> Result<(), CmdError> {
    let key = req.arg(1);
    let mut at = 2;
    while at < req.len() {
        let opt = req.arg(at);
        if is(opt, "nx") {
            f.nx = true;
        } else if is(opt, "xx") {
            f.xx = true;
        } else if is(opt, "ch") {
            f.ch = true;
        } else if is(opt, "incr") {
            f.incr = true;
        } else if is(opt, "gt") {
            f.gt = true;
        } else if is(opt, "lt") {
            f.lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let args = req.len() - at;
    if args == 0 || args % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::msg(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::msg(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && args > 2 {
        return Err(CmdError::msg(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let pairs: Vec<(f64, &[u8])> = (at..req.len())
        .step_by(2)
        .map(|j| Ok((parse_score(req.arg(j))?, req.arg(j + 1))))
        .collect::<Result<_, CmdError>>()?;
    let limits = limits(ctx);
    let event = if f.incr { ZINCR } else { ZADD };
    if let (Some(mut k), out) = write(ctx, key)? {
        let done = match k.value_mut() {
            Value::ZSet(z) => add(z, &pairs, f, limits),
            _ => Err(CmdError::WrongType),
        };
        return match done {
            Ok((added, updated, last)) => {
                reply_add(out, f, added, updated, last);
                finish(k, event, added + updated);
                Ok(())
            }
            Err(e) => {
                // Only INCR's single pair can fail, before it changes anything.
                k.unchanged();
                Err(e)
            }
        };
    }
    if f.xx {
        reply_add(&mut ctx.out, f, 0, 0, None);
        return Ok(());
    }
    let mut z = ZSet::new(limits, pairs[0].1.len());
    let (added, updated, last) = add(&mut z, &pairs, f, limits)?;
    reply_add(&mut ctx.out, f, added, updated, last);
    let k = ctx.insert_key(key, Value::ZSet(Box::new(z)), 0);
    finish(k, event, added + updated);
    Ok(())
}

/// Records `changes` changes to the key of `k` with `event`, or none.
fn finish(k: KeyMut<'_>, event: Event, changes: i64) {
    if changes > 0 {
        k.changed_n(event, changes as u64);
    } else {
        k.unchanged();
    }
}

/// Applies ZADD's `pairs` to `z`: how many members were added and updated, and the
/// last score set (INCR's reply).
fn add(
    z: &mut ZSet,
    pairs: &[(f64, &[u8])],
    f: AddFlags,
    limits: PackLimits,
) -> Result<(i64, i64, Option<f64>), CmdError> {
    let (mut added, mut updated) = (0i64, 0i64);
    let mut last = None;
    for &(score, member) in pairs {
        match z.score(member) {
            Some(cur) => {
                if f.nx {
                    continue;
                }
                let new = if f.incr { score + cur } else { score };
                if new.is_nan() {
                    return Err(CmdError::msg("ERR resulting score is not a number (NaN)"));
                }
                if (f.lt && new >= cur) || (f.gt && new <= cur) {
                    continue;
                }
                last = Some(new);
                if new != cur {
                    z.insert(member, new, limits);
                    updated += 1;
                }
            }
            None if f.xx => {}
            None => {
                z.insert(member, score, limits);
                added += 1;
                last = Some(score);
            }
        }
    }
    Ok((added, updated, last))
}

fn reply_add(out: &mut Reply<'_>, f: AddFlags, added: i64, updated: i64, last: Option<f64>) {
    if f.incr {
        match last {
            Some(score) => reply_score(out, score),
            None => out.null(),
        }
    } else {
        out.int(if f.ch { added + updated } else { added });
    }
}

/// ```text
/// ZREM key member [member ...]
/// ```
/// The number of members removed; the key goes with its last member.
/// # Errors
/// WRONGTYPE.
fn zrem(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (found, out) = write(ctx, req.arg(1))?;
    let Some(mut k) = found else {
        out.int(0);
        return Ok(());
    };
    let mut removed = 0;
    if let Value::ZSet(z) = k.value_mut() {
        for member in req.args().skip(2) {
            if z.remove(member).is_some() {
                removed += 1;
            }
            if z.is_empty() {
                break;
            }
        }
    }
    out.int(removed);
    if removed > 0 {
        k.changed_collection(ZREM, removed as u64);
    } else {
        k.unchanged();
    }
    Ok(())
}

/// ```text
/// ZSCORE key member
/// ```
/// The member's score, or null.
/// # Errors
/// WRONGTYPE.
fn zscore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (z, out) = read(ctx, req.arg(1))?;
    match z.and_then(|z| z.score(req.arg(2))) {
        Some(s) => reply_score(out, s),
        None => out.null(),
    }
    Ok(())
}

/// ```text
/// ZMSCORE key member [member ...]
/// ```
/// The score of each member, null for the absent ones (a missing key is empty).
/// # Errors
/// WRONGTYPE.
fn zmscore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (z, out) = read(ctx, req.arg(1))?;
    out.array_len(req.len() - 2);
    for member in req.args().skip(2) {
        match z.and_then(|z| z.score(member)) {
            Some(s) => reply_score(out, s),
            None => out.null(),
        }
    }
    Ok(())
}

/// ```text
/// ZCARD key
/// ```
/// The number of members (0 for a missing key).
/// # Errors
/// WRONGTYPE.
fn zcard(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (z, out) = read(ctx, req.arg(1))?;
    out.int(z.map_or(0, ZSet::len) as i64);
    Ok(())
}

/// ```text
/// ZRANK key member [WITHSCORE]
/// ```
/// The member's 0-based rank by ascending score, or null; with WITHSCORE, `[rank, score]`.
/// # Errors
/// `ERR syntax error`, the arity error past WITHSCORE, WRONGTYPE.
fn zrank(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    zrank_generic(ctx, req, false)
}

/// ```text
/// ZREVRANK key member [WITHSCORE]
/// ```
/// The member's 0-based rank by descending score, or null; with WITHSCORE, `[rank, score]`.
/// # Errors
/// `ERR syntax error`, the arity error past WITHSCORE, WRONGTYPE.
fn zrevrank(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    zrank_generic(ctx, req, true)
}

fn zrank_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, rev: bool) -> Result<(), CmdError> {
    if req.len() > 4 {
        let name = if rev { "zrevrank" } else { "zrank" };
        return Err(CmdError::Arity(name.to_string()));
    }
    let withscore = req.len() == 4;
    if withscore && !is(req.arg(3), "withscore") {
        return Err(CmdError::Syntax);
    }
    let (z, out) = read(ctx, req.arg(1))?;
    match z.and_then(|z| z.rank(req.arg(2)).map(|(r, s)| (r, s, z.len()))) {
        Some((rank, score, len)) => {
            let rank = if rev { len - 1 - rank } else { rank };
            if withscore {
                out.array_len(2);
            }
            out.int(rank as i64);
            if withscore {
                reply_score(out, score);
            }
        }
        None if withscore => out.null_array(),
        None => out.null(),
    }
    Ok(())
}
