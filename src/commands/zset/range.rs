//! Sorted set ranges: ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and its older
//! forms ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX,
//! ZRANGESTORE, ZCOUNT ZLEXCOUNT, and ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX.
//!
//! Every range becomes ranks first (O(log n) on a big set): where it starts and
//! ends, then a walk over the elements it covers, as Redis's `zsl*InRange` searches.

use super::members::{limits, read, store_result, write, write_entry, write_list_len};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::zset::ZSet;
use crate::store::{Bytes, Event, Value, class};

/// The event of ZRANGESTORE.
const ZRANGESTORE: Event = Event::new(class::ZSET, "zrangestore");
/// The event of ZREMRANGEBYRANK.
const ZREMRANGEBYRANK: Event = Event::new(class::ZSET, "zremrangebyrank");
/// The event of ZREMRANGEBYSCORE.
const ZREMRANGEBYSCORE: Event = Event::new(class::ZSET, "zremrangebyscore");
/// The event of ZREMRANGEBYLEX.
const ZREMRANGEBYLEX: Event = Event::new(class::ZSET, "zremrangebylex");
use crate::{cats, flags, kf};

use super::bounds::{LexRange, Range, ScoreRange};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "zrange",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a range of indexes, scores or members.",
        zrange,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrangestore",
        -5,
        flags!(WRITE | DENYOOM),
        Group::SortedSet,
        "Stores a range of members from sorted set in a key.",
        zrangestore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 1),
        KeySpec::at(kf!(RO | ACCESS), 2),
    ]),
    CommandSpec::new(
        "zrevrange",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a range of indexes in reverse order.",
        zrevrange,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrangebyscore",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a range of scores.",
        zrangebyscore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrevrangebyscore",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a range of scores in reverse order.",
        zrevrangebyscore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrangebylex",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a lexicographical range.",
        zrangebylex,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zrevrangebylex",
        -4,
        flags!(READONLY),
        Group::SortedSet,
        "Returns members in a sorted set within a lexicographical range in reverse order.",
        zrevrangebylex,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zcount",
        4,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the count of members in a sorted set that have scores within a range.",
        zcount,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zlexcount",
        4,
        flags!(READONLY | FAST),
        Group::SortedSet,
        "Returns the number of members in a sorted set within a lexicographical range.",
        zlexcount,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zremrangebyrank",
        4,
        flags!(WRITE),
        Group::SortedSet,
        "Removes members in a sorted set within a range of indexes.",
        zremrangebyrank,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "zremrangebyscore",
        4,
        flags!(WRITE),
        Group::SortedSet,
        "Removes members in a sorted set within a range of scores.",
        zremrangebyscore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "zremrangebylex",
        4,
        flags!(WRITE),
        Group::SortedSet,
        "Removes members in a sorted set within a lexicographical range.",
        zremrangebylex,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
];

/// How a ZRANGE-like command reads its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Auto,
    Rank,
    Score,
    Lex,
}

/// ZRANGE's options, once parsed.
#[derive(Debug)]
struct RangeArgs<'a> {
    by: By,
    rev: bool,
    withscores: bool,
    offset: i64,
    limit: i64,
    start: i64,
    end: i64,
    range: Option<Range<'a>>,
}

/// Parses `key min max [options]` from `at` (Redis's `zrangeGenericCommand` step 1 & 2).
fn parse_range<'a>(
    req: &Request<'a>,
    at: usize,
    store: bool,
    mut by: By,
    rev: Option<bool>,
) -> Result<RangeArgs<'a>, CmdError> {
    let mut args = RangeArgs {
        by,
        rev: rev.unwrap_or(false),
        withscores: false,
        offset: 0,
        limit: -1,
        start: 0,
        end: 0,
        range: None,
    };
    let mut rev_set = rev.is_some();
    let mut j = at + 3;
    while j < req.len() {
        let opt = req.arg(j);
        let left = req.len() - j - 1;
        if !store && is(opt, "withscores") {
            args.withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            args.offset = parse_i64(req.arg(j + 1))?;
            args.limit = parse_i64(req.arg(j + 2))?;
            j += 2;
        } else if !rev_set && is(opt, "rev") {
            args.rev = true;
            rev_set = true;
        } else if by == By::Auto && is(opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(opt, "byscore") {
            by = By::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if by == By::Auto {
        by = By::Rank;
    }
    args.by = by;
    if args.limit != -1 && by == By::Rank {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if args.withscores && by == By::Lex {
        return Err(CmdError::msg(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut lo, mut hi) = (req.arg(at + 1), req.arg(at + 2));
    if args.rev && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    match by {
        By::Score => args.range = Some(Range::Score(ScoreRange::parse(lo, hi)?)),
        By::Lex => args.range = Some(Range::Lex(LexRange::parse(lo, hi)?)),
        _ => {
            args.start = parse_i64(lo)?;
            args.end = parse_i64(hi)?;
        }
    }
    Ok(args)
}

/// Normalizes a rank interval as Redis (negative from the end); `None` when empty.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    let end = if end < 0 { end + len } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// The elements a parsed ZRANGE selects, in reply order.
fn select<'z>(z: &'z ZSet, a: &RangeArgs<'_>) -> Vec<(&'z [u8], f64)> {
    let len = z.len();
    let Some(range) = a.range else {
        let Some((start, end)) = rank_bounds(a.start, a.end, len) else {
            return Vec::new();
        };
        return z.iter_from(start, a.rev).take(end - start + 1).collect();
    };
    if a.offset < 0 || (a.offset > 0 && a.offset as u64 >= len as u64) {
        return Vec::new();
    }
    let offset = a.offset as usize;
    let limit = usize::try_from(a.limit).unwrap_or(usize::MAX);
    let start = if a.rev {
        range
            .last(z)
            .and_then(|last| last.checked_sub(offset))
            .map(|r| len - 1 - r)
    } else {
        range.first(z).map(|first| first + offset)
    };
    let Some(start) = start else {
        return Vec::new();
    };
    z.iter_from(start, a.rev)
        .take(limit)
        .take_while(|&(m, s)| {
            if a.rev {
                range.gte_min(m, s)
            } else {
                range.lte_max(m, s)
            }
        })
        .collect()
}

/// ZRANGE and its forms: `at` is where the source key is.
fn range_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    by: By,
    rev: Option<bool>,
) -> Result<(), CmdError> {
    let a = parse_range(req, 1, false, by, rev)?;
    let (z, out) = read(ctx, req.arg(1))?;
    let Some(z) = z else {
        out.array_len(0);
        return Ok(());
    };
    let found = select(z, &a);
    write_list_len(out, found.len(), a.withscores);
    for (m, s) in found {
        write_entry(out, m, s, a.withscores);
    }
    Ok(())
}

/// ```text
/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
/// ```
/// The members in the range (by rank unless BYSCORE or BYLEX), with their scores
/// when WITHSCORES.
/// # Errors
/// `ERR syntax error` (and its LIMIT / WITHSCORES variants), `ERR min or max is not
/// a float`, `ERR min or max not valid string range item`, `ERR value is not an
/// integer or out of range`, WRONGTYPE.
fn zrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Auto, None)
}

/// ```text
/// ZREVRANGE key start stop [WITHSCORES]
/// ```
/// ZRANGE ... REV by rank.
/// # Errors
/// As ZRANGE.
fn zrevrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Rank, Some(true))
}

/// ```text
/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
/// ```
/// ZRANGE ... BYSCORE.
/// # Errors
/// As ZRANGE.
fn zrangebyscore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Score, Some(false))
}

/// ```text
/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
/// ```
/// ZRANGE ... BYSCORE REV.
/// # Errors
/// As ZRANGE.
fn zrevrangebyscore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Score, Some(true))
}

/// ```text
/// ZRANGEBYLEX key min max [LIMIT offset count]
/// ```
/// ZRANGE ... BYLEX.
/// # Errors
/// As ZRANGE.
fn zrangebylex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Lex, Some(false))
}

/// ```text
/// ZREVRANGEBYLEX key max min [LIMIT offset count]
/// ```
/// ZRANGE ... BYLEX REV.
/// # Errors
/// As ZRANGE.
fn zrevrangebylex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, By::Lex, Some(true))
}

/// ```text
/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
/// ```
/// Stores the range in `dst` (deleting it when the range is empty); replies its size.
/// # Errors
/// As ZRANGE; WRONGTYPE when `src` is not a sorted set.
fn zrangestore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let a = parse_range(req, 2, true, By::Auto, None)?;
    let limits = limits(ctx);
    let entries: Vec<(Bytes, f64)> = match read(ctx, req.arg(2))?.0 {
        Some(z) => select(z, &a)
            .into_iter()
            .map(|(m, s)| (Bytes::from_slice(m), s))
            .collect(),
        None => Vec::new(),
    };
    let result = ZSet::from_entries(entries, limits);
    store_result(ctx, req.arg(1), result, ZRANGESTORE);
    Ok(())
}

/// Counts the elements of `range` in the set at `key` (0 when absent).
fn count_generic(ctx: &mut Ctx<'_>, key: &[u8], range: Range<'_>) -> Result<(), CmdError> {
    let (z, out) = read(ctx, key)?;
    let n = z
        .and_then(|z| range.ranks(z))
        .map_or(0, |(first, last)| last - first + 1);
    out.int(n as i64);
    Ok(())
}

/// ```text
/// ZCOUNT key min max
/// ```
/// The number of members with a score in `[min, max]` (`(` excludes an end).
/// # Errors
/// `ERR min or max is not a float`, WRONGTYPE.
fn zcount(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let range = Range::Score(ScoreRange::parse(req.arg(2), req.arg(3))?);
    count_generic(ctx, req.arg(1), range)
}

/// ```text
/// ZLEXCOUNT key min max
/// ```
/// The number of members between `min` and `max` (`[` includes, `(` excludes, `-`
/// and `+` are the ends).
/// # Errors
/// `ERR min or max not valid string range item`, WRONGTYPE.
fn zlexcount(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let range = Range::Lex(LexRange::parse(req.arg(2), req.arg(3))?);
    count_generic(ctx, req.arg(1), range)
}

/// Removes ascending ranks chosen by `pick` from the set at `key`; replies how many.
fn remove_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: Event,
    pick: impl FnOnce(&ZSet) -> Option<(usize, usize)>,
) -> Result<(), CmdError> {
    let (found, out) = write(ctx, key)?;
    let Some(mut k) = found else {
        out.int(0);
        return Ok(());
    };
    let removed = match k.value_mut() {
        Value::ZSet(z) => match pick(z) {
            Some((first, last)) => z.remove_ranks(first, last),
            None => 0,
        },
        _ => 0,
    };
    out.int(removed as i64);
    if removed > 0 {
        k.changed_collection(event, removed as u64);
    } else {
        k.unchanged();
    }
    Ok(())
}

/// ```text
/// ZREMRANGEBYRANK key start stop
/// ```
/// Removes the members ranked `start..=stop` (negative from the end); replies how many.
/// # Errors
/// `ERR value is not an integer or out of range`, WRONGTYPE.
fn zremrangebyrank(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let start = parse_i64(req.arg(2))?;
    let end = parse_i64(req.arg(3))?;
    remove_generic(ctx, req.arg(1), ZREMRANGEBYRANK, |z| {
        rank_bounds(start, end, z.len())
    })
}

/// ```text
/// ZREMRANGEBYSCORE key min max
/// ```
/// Removes the members with a score in the range; replies how many.
/// # Errors
/// `ERR min or max is not a float`, WRONGTYPE.
fn zremrangebyscore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let range = Range::Score(ScoreRange::parse(req.arg(2), req.arg(3))?);
    remove_generic(ctx, req.arg(1), ZREMRANGEBYSCORE, |z| range.ranks(z))
}

/// ```text
/// ZREMRANGEBYLEX key min max
/// ```
/// Removes the members in the lex range; replies how many.
/// # Errors
/// `ERR min or max not valid string range item`, WRONGTYPE.
fn zremrangebylex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let range = Range::Lex(LexRange::parse(req.arg(2), req.arg(3))?);
    remove_generic(ctx, req.arg(1), ZREMRANGEBYLEX, |z| range.ranks(z))
}
