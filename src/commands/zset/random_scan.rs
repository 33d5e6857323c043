//! Sorted set reads in no particular order: ZRANDMEMBER and ZSCAN.

use std::collections::HashSet;

use super::members::{read, write_entry, write_list_len};
use super::score_text::{format_packed_score, format_score};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{check_random_reply, is, parse_i64};
use crate::commands::scan::{ScanArgs, parse_cursor};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::Rng;
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "zrandmember",
        -2,
        flags!(READONLY),
        Group::SortedSet,
        "Returns one or more random members from a sorted set.",
        zrandmember,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zscan",
        -3,
        flags!(READONLY),
        Group::SortedSet,
        "Iterates over members and scores of a sorted set.",
        zscan,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

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
        let r = ctx.store.random();
        let (z, out) = read(ctx, req.arg(1))?;
        match z.and_then(|z| z.random(r)) {
            Some((m, _)) => out.bulk(m),
            None => out.null(),
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
    if count < 0 && !ctx.out.is_limited() {
        // Under an output limit the reply cannot grow past it: the client is closed.
        check_random_reply(count.unsigned_abs())?;
    }
    let mut rng = Rng::new(ctx.store.random());
    let (z, out) = read(ctx, req.arg(1))?;
    let Some(z) = z else {
        out.array_len(0);
        return Ok(());
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
        write_list_len(out, n, withscores);
        for _ in 0..n {
            if out.over() {
                break;
            }
            if let Some((m, s)) = at((rng.next_u64() % size as u64) as usize) {
                write_entry(out, m, s, withscores);
            }
        }
        return Ok(());
    }
    let picks = distinct_picks(&mut rng, size, count as u64);
    write_list_len(out, picks.len(), withscores);
    for p in picks {
        if let Some((m, s)) = at(p) {
            write_entry(out, m, s, withscores);
        }
    }
    Ok(())
}

/// `count` distinct positions among `size` (all of them, in order, if count >= size).
fn distinct_picks(rng: &mut Rng, size: usize, count: u64) -> Vec<usize> {
    if count >= size as u64 {
        return (0..size).collect();
    }
    let count = count as usize;
    if count * 3 > size {
        // Close to the whole set: shuffle the first `count` of all positions.
        let mut all: Vec<usize> = (0..size).collect();
        for k in 0..count {
            let j = k + (rng.next_u64() % (size - k) as u64) as usize;
            all.swap(k, j);
        }
        all.truncate(count);
        return all;
    }
    let mut seen = HashSet::with_capacity(count);
    let mut picks = Vec::with_capacity(count);
    while picks.len() < count {
        let p = (rng.next_u64() % size as u64) as usize;
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
    let (z, out) = read(ctx, req.arg(1))?;
    let Some(z) = z else {
        crate::commands::scan::reply_finished(out);
        return Ok(());
    };
    let args = ScanArgs::parse(req, 2, false)?;
    let packed = z.encoding() == "listpack";
    let mut found: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(args.cursor, args.count, |m, s| {
        if args.matches(m) {
            found.push((m, s));
        }
    });
    out.array_len(2);
    out.bulk(next.to_string().as_bytes());
    out.array_len(found.len() * 2);
    for (m, s) in found {
        out.bulk(m);
        let text = if packed {
            format_packed_score(s)
        } else {
            format_score(s)
        };
        out.bulk(text.as_bytes());
    }
    Ok(())
}
