//! Sorted set commands on members: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZRANK
//! ZREVRANK, and the helpers the other sorted set families share
//! (`zset_range`, `zset_ops`, `zset_block`, `zset_scan`). The type itself is `store::zset`.

use super::score_text::{parse_score, reply_score};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::zset::{PackLimits, ZSet};
use crate::store::{Kind, Store, Value};
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

/// The packed-encoding limits from the configuration.
pub fn limits(ctx: &Ctx<'_>) -> PackLimits {
    ctx.server.config.encodings.zset_limits()
}

/// The sorted set at `index` of database `db`, read-only.
pub fn zset_ref(store: &Store, db: usize, index: usize) -> Option<&ZSet> {
    match store.dbs().get(db)?.value_ref(index) {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// The sorted set at `index` of the client's database.
/// # Errors
/// WRONGTYPE if it holds something else (callers checked the kind already).
pub fn zset_mut<'c>(ctx: &'c mut Ctx<'_>, index: usize) -> Result<&'c mut ZSet, CmdError> {
    match ctx.value(index) {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

/// Looks `key` up for reading a sorted set (`Ok(None)` when absent).
/// # Errors
/// WRONGTYPE.
pub fn lookup_read(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<usize>, CmdError> {
    ctx.lookup_kind_read(key, Kind::ZSet)
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
pub fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], z: ZSet, event: &'static str) {
    let n = z.len();
    let old = ctx.lookup_write(dst);
    if let Some(i) = old {
        let entry = ctx.current_db().remove_index(i);
        ctx.store.dispose(entry.value);
    }
    ctx.out.int(n as i64);
    if n > 0 {
        ctx.current_db().insert(dst, Value::ZSet(Box::new(z)), 0);
        ctx.store.dirty += 1;
        ctx.changed(dst, notify::ZSET, event);
    } else if old.is_some() {
        ctx.store.dirty += 1;
        ctx.changed(dst, notify::GENERIC, "del");
    }
}

/// Deletes the key at `index` if its set became empty, with the "del" event.
pub fn delete_if_empty(ctx: &mut Ctx<'_>, index: usize, key: &[u8]) {
    if ctx.delete_if_empty(index) {
        ctx.notify(notify::GENERIC, "del", key);
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
fn zadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
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
    let found = ctx.lookup_kind_write(key, Kind::ZSet)?;
    let mut fresh = None;
    let z = match found {
        Some(i) => zset_mut(ctx, i)?,
        None if f.xx => {
            reply_add(ctx, f, 0, 0, None);
            return Ok(());
        }
        None => fresh.insert(ZSet::new(limits, pairs[0].1.len())),
    };
    let (mut added, mut updated) = (0i64, 0i64);
    let mut last = None;
    for &(score, member) in &pairs {
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
    if let Some(z) = fresh {
        ctx.current_db().insert(key, Value::ZSet(Box::new(z)), 0);
    }
    reply_add(ctx, f, added, updated, last);
    if added + updated > 0 {
        ctx.store.dirty += (added + updated) as u64;
        ctx.changed(key, notify::ZSET, if f.incr { "zincr" } else { "zadd" });
    }
    Ok(())
}

fn reply_add(ctx: &mut Ctx<'_>, f: AddFlags, added: i64, updated: i64, last: Option<f64>) {
    if f.incr {
        match last {
            Some(score) => reply_score(&mut ctx.out, score),
            None => ctx.out.null(),
        }
    } else {
        ctx.out.int(if f.ch { added + updated } else { added });
    }
}

/// ```text
/// ZREM key member [member ...]
/// ```
/// The number of members removed; the key goes with its last member.
/// # Errors
/// WRONGTYPE.
fn zrem(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::ZSet)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let z = zset_mut(ctx, i)?;
    let mut removed = 0;
    for member in req.args().skip(2) {
        if z.remove(member).is_some() {
            removed += 1;
        }
        if z.is_empty() {
            break;
        }
    }
    ctx.out.int(removed);
    if removed > 0 {
        ctx.store.dirty += removed as u64;
        ctx.changed(key, notify::ZSET, "zrem");
        delete_if_empty(ctx, i, key);
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
    let score = match lookup_read(ctx, req.arg(1))? {
        Some(i) => zset_ref(ctx.store, ctx.db(), i).and_then(|z| z.score(req.arg(2))),
        None => None,
    };
    match score {
        Some(s) => reply_score(&mut ctx.out, s),
        None => ctx.out.null(),
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
    let found = lookup_read(ctx, req.arg(1))?;
    let db = ctx.db();
    let z = found.and_then(|i| zset_ref(ctx.store, db, i));
    ctx.out.array_len(req.len() - 2);
    for member in req.args().skip(2) {
        match z.and_then(|z| z.score(member)) {
            Some(s) => reply_score(&mut ctx.out, s),
            None => ctx.out.null(),
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
    let n = match lookup_read(ctx, req.arg(1))? {
        Some(i) => zset_ref(ctx.store, ctx.db(), i).map_or(0, ZSet::len),
        None => 0,
    };
    ctx.out.int(n as i64);
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
    let found = match lookup_read(ctx, req.arg(1))? {
        Some(i) => zset_ref(ctx.store, ctx.db(), i)
            .and_then(|z| z.rank(req.arg(2)).map(|(r, s)| (r, s, z.len()))),
        None => None,
    };
    match found {
        Some((rank, score, len)) => {
            let rank = if rev { len - 1 - rank } else { rank };
            if withscore {
                ctx.out.array_len(2);
            }
            ctx.out.int(rank as i64);
            if withscore {
                reply_score(&mut ctx.out, score);
            }
        }
        None if withscore => ctx.out.null_array(),
        None => ctx.out.null(),
    }
    Ok(())
}
