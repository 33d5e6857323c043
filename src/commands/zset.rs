//! Sorted set commands on members: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZRANK
//! ZREVRANK ZRANDMEMBER ZSCAN, and the helpers the other sorted set families share
//! (`zset_range`, `zset_ops`, `zset_block`). The type itself is `store::zset`.

use std::collections::HashSet;

use super::args::{is, parse_i64};
use super::flags::*;
use super::notify;
use super::scan::{ScanArgs, parse_cursor};
use super::zset_num::{format_packed_score, format_score, parse_score, reply_score};
use super::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::store::zset::{PackLimits, ZSet};
use crate::store::{Kind, Store, Value};

/// The command group of every sorted set command.
pub const GROUP: &str = "sorted-set";

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "zadd",
        -4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        GROUP,
        "Adds one or more members to a sorted set, or updates their scores.",
        zadd,
    ),
    CommandSpec::new(
        "zincrby",
        4,
        WRITE | DENYOOM | FAST,
        (1, 1, 1),
        GROUP,
        "Increments the score of a member in a sorted set.",
        zincrby,
    ),
    CommandSpec::new(
        "zrem",
        -3,
        WRITE | FAST,
        (1, 1, 1),
        GROUP,
        "Removes one or more members from a sorted set.",
        zrem,
    ),
    CommandSpec::new(
        "zscore",
        3,
        READONLY | FAST,
        (1, 1, 1),
        GROUP,
        "Returns the score of a member in a sorted set.",
        zscore,
    ),
    CommandSpec::new(
        "zmscore",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        GROUP,
        "Returns the score of one or more members in a sorted set.",
        zmscore,
    ),
    CommandSpec::new(
        "zcard",
        2,
        READONLY | FAST,
        (1, 1, 1),
        GROUP,
        "Returns the number of members in a sorted set.",
        zcard,
    ),
    CommandSpec::new(
        "zrank",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        GROUP,
        "Returns the index of a member in a sorted set ordered by ascending scores.",
        zrank,
    ),
    CommandSpec::new(
        "zrevrank",
        -3,
        READONLY | FAST,
        (1, 1, 1),
        GROUP,
        "Returns the index of a member in a sorted set ordered by descending scores.",
        zrevrank,
    ),
    CommandSpec::new(
        "zrandmember",
        -2,
        READONLY,
        (1, 1, 1),
        GROUP,
        "Returns one or more random members from a sorted set.",
        zrandmember,
    ),
    CommandSpec::new(
        "zscan",
        -3,
        READONLY,
        (1, 1, 1),
        GROUP,
        "Iterates over members and scores of a sorted set.",
        zscan,
    ),
];

/// Most elements ZRANDMEMBER with a negative count returns: a reply of that many
/// elements is already hundreds of MB, and a count near 2^63 would never finish.
const MAX_RANDOM_COUNT: u64 = 1 << 24;

/// The packed-encoding limits from the configuration.
pub fn limits(ctx: &Ctx<'_>) -> PackLimits {
    let e = &ctx.server.config.encodings;
    PackLimits {
        entries: e.zset_max_listpack_entries,
        value: e.zset_max_listpack_value,
    }
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
pub fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], z: ZSet, event: &str) {
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

/// ```text
/// ZRANDMEMBER key [count [WITHSCORES]]
/// ```
/// A random member (null for a missing key); with a count, that many distinct
/// members (all if fewer), or with a negative count that many with repetitions.
/// # Errors
/// `ERR value is not an integer or out of range`, `ERR value is out of range`,
/// `ERR syntax error`, WRONGTYPE.
fn zrandmember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() == 2 {
        let Some(i) = lookup_read(ctx, req.arg(1))? else {
            ctx.out.null();
            return Ok(());
        };
        let r = ctx.store.random();
        let db = ctx.db();
        match zset_ref(ctx.store, db, i).and_then(|z| z.random(r)) {
            Some((m, _)) => ctx.out.bulk(m),
            None => ctx.out.null(),
        }
        return Ok(());
    }
    let count = parse_i64(req.arg(2))?;
    if count == i64::MIN {
        return Err(CmdError::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    if req.len() > 4 || (req.len() == 4 && !is(req.arg(3), "withscores")) {
        return Err(CmdError::Syntax);
    }
    let withscores = req.len() == 4;
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    if count < 0 && count.unsigned_abs() > MAX_RANDOM_COUNT {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    let Some(i) = lookup_read(ctx, req.arg(1))? else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let db = ctx.db();
    let mut rng = XorShift(ctx.store.random() | 1);
    let Some(z) = zset_ref(ctx.store, db, i) else {
        return Err(CmdError::WrongType);
    };
    let size = z.len();
    // Packed sets find a position by walking; one copy makes each pick O(1).
    let packed: Vec<(&[u8], f64)> = if z.encoding() == "listpack" {
        z.iter().collect()
    } else {
        Vec::new()
    };
    let at = |p: usize| packed.get(p).copied().or_else(|| z.random(p as u64));
    if count < 0 || count == 1 {
        let n = count.unsigned_abs() as usize;
        write_list_len(&mut ctx.out, n, withscores);
        for _ in 0..n {
            if let Some((m, s)) = at((rng.next() % size as u64) as usize) {
                write_entry(&mut ctx.out, m, s, withscores);
            }
        }
        return Ok(());
    }
    let picks = distinct_picks(&mut rng, size, count as u64);
    write_list_len(&mut ctx.out, picks.len(), withscores);
    for p in picks {
        if let Some((m, s)) = at(p) {
            write_entry(&mut ctx.out, m, s, withscores);
        }
    }
    Ok(())
}

/// A small generator (xorshift64) seeded from the store's, so a reply can draw
/// numbers while it reads the set.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `count` distinct positions among `size` (all of them, in order, if count >= size).
fn distinct_picks(rng: &mut XorShift, size: usize, count: u64) -> Vec<usize> {
    if count >= size as u64 {
        return (0..size).collect();
    }
    let count = count as usize;
    if count * 3 > size {
        // Close to the whole set: shuffle the first `count` of all positions.
        let mut all: Vec<usize> = (0..size).collect();
        for k in 0..count {
            let j = k + (rng.next() % (size - k) as u64) as usize;
            all.swap(k, j);
        }
        all.truncate(count);
        return all;
    }
    let mut seen = HashSet::with_capacity(count);
    let mut picks = Vec::with_capacity(count);
    while picks.len() < count {
        let p = (rng.next() % size as u64) as usize;
        if seen.insert(p) {
            picks.push(p);
        }
    }
    picks
}

/// ```text
/// ZSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// `[next cursor, [member, score, ...]]`; a small (packed) set comes whole at once.
/// # Errors
/// `ERR invalid cursor`, `ERR value is not an integer or out of range`,
/// `ERR syntax error`, WRONGTYPE.
fn zscan(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    parse_cursor(req.arg(2))?;
    let Some(i) = lookup_read(ctx, req.arg(1))? else {
        ctx.out.array_len(2);
        ctx.out.bulk(b"0");
        ctx.out.array_len(0);
        return Ok(());
    };
    let args = ScanArgs::parse(req, 2, false)?;
    let db = ctx.db();
    let Some(z) = zset_ref(ctx.store, db, i) else {
        return Err(CmdError::WrongType);
    };
    let packed = z.encoding() == "listpack";
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(args.cursor, args.count, |m, s| {
        if args.matches(m) {
            found.push((m, s));
        }
    });
    ctx.out.array_len(2);
    ctx.out.bulk(next.to_string().as_bytes());
    ctx.out.array_len(found.len() * 2);
    for (m, s) in found {
        ctx.out.bulk(m);
        let text = if packed {
            format_packed_score(s)
        } else {
            format_score(s)
        };
        ctx.out.bulk(text.as_bytes());
    }
    Ok(())
}
