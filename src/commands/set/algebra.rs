//! Whole-set reads and algebra: SMEMBERS, SINTER SINTERCARD SINTERSTORE, SUNION
//! SUNIONSTORE, SDIFF SDIFFSTORE, as Redis's `sinterGenericCommand` and
//! `sunionDiffGenericCommand`.
//!
//! A missing key is an empty set; any key of another type fails the command with
//! WRONGTYPE before anything is written. SINTER walks the smallest set and probes the
//! others. SDIFF picks, as Redis, between probing the first set's members against the
//! others and subtracting every other set from a copy, by estimated work. The
//! *STORE forms replace the destination (dropping its TTL), or delete it when the
//! result is empty.

use super::members::{as_set, limits, read, reply_member};
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::store::Item;
use crate::store::set::Set;
use crate::store::{Event, Value, class};

/// The sets named by `keys` (`None` for a missing key), read together (hits and
/// misses counted for every key), with the reply writer beside them.
/// # Errors
/// WRONGTYPE when a key holds another type.
fn load<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    keys: &[&[u8]],
) -> Result<(Vec<Option<&'c Set>>, &'c mut Reply<'a>), CmdError> {
    let db = ctx.db();
    let sets = ctx
        .store
        .read_keys(db, keys, ctx.now)
        .into_iter()
        .map(|v| v.map(as_set).transpose())
        .collect::<Result<_, _>>()?;
    Ok((sets, &mut ctx.out))
}

/// Stores `result` at `dst` (replacing whatever is there, TTL included) and replies
/// with its size; an empty result deletes `dst` instead. Emits `event` or `del`.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], result: Set, event: Event) {
    let len = result.len();
    if len > 0 {
        ctx.insert_key(dst, Value::Set(Box::new(result)), 0)
            .changed(event);
    } else {
        let old = ctx.write_key(dst).map(|k| k.remove(Event::DEL));
        if let Some(old) = old {
            ctx.store.dispose(old.value);
        }
    }
    ctx.out.int(len as i64);
}

/// ```text
/// SMEMBERS key
/// ```
/// Every member, as a set (an array for RESP2); empty for a missing key.
/// # Errors
/// WRONGTYPE.
pub fn smembers(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (set, out) = read(ctx, req.arg(1))?;
    let Some(set) = set else {
        out.set_len(0);
        return Ok(());
    };
    out.set_len(set.len());
    for member in set.iter() {
        reply_member(out, member);
    }
    Ok(())
}

/// The members of the intersection of `sets` (all present), up to `limit` of them
/// (0 = no limit): the smallest set's members that every other set holds.
fn intersect<'s>(mut sets: Vec<&'s Set>, limit: usize) -> Vec<Item<'s>> {
    sets.sort_by_key(|s| s.len());
    let Some((&first, rest)) = sets.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for member in first.iter() {
        let everywhere = rest
            .iter()
            .all(|&s| std::ptr::eq(s, first) || s.contains_member(member));
        if everywhere {
            out.push(member);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// The intersection of `keys`, or `None` when one of them is missing (empty).
fn intersect_keys<'c>(
    ctx: &'c mut Ctx<'_>,
    keys: &[&[u8]],
    limit: usize,
) -> Result<Option<Vec<Item<'c>>>, CmdError> {
    let sets: Option<Vec<&Set>> = load(ctx, keys)?.0.into_iter().collect();
    Ok(sets.map(|sets| intersect(sets, limit)))
}

/// ```text
/// SINTER key [key ...]
/// ```
/// The members common to every set, as a set.
/// # Errors
/// WRONGTYPE.
pub fn sinter(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let keys: Vec<&[u8]> = req.args().skip(1).collect();
    // The members borrow the store; the reply is written beside them.
    let (sets, out) = load(ctx, &keys)?;
    let Some(sets) = sets.into_iter().collect::<Option<Vec<&Set>>>() else {
        out.set_len(0);
        return Ok(());
    };
    let members = intersect(sets, 0);
    out.set_len(members.len());
    for member in members {
        reply_member(out, member);
    }
    Ok(())
}

/// ```text
/// SINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
/// The size of the intersection, counting up to `limit` (0 = no limit).
/// # Errors
/// `ERR numkeys should be greater than 0`,
/// `ERR Number of keys can't be greater than number of args`, `ERR syntax error`,
/// `ERR LIMIT can't be negative`, WRONGTYPE.
pub fn sintercard(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let numkeys = match parse_i64(req.arg(1)) {
        Ok(n) if n >= 1 => n,
        _ => return Err(CmdError::msg("ERR numkeys should be greater than 0")),
    };
    if numkeys > (req.len() - 2) as i64 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let first_opt = 2 + numkeys as usize;
    let mut limit = 0;
    let mut j = first_opt;
    while j < req.len() {
        if is(req.arg(j), "limit") && j + 1 < req.len() {
            limit = match parse_i64(req.arg(j + 1)) {
                Ok(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(CmdError::msg("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = (2..first_opt).map(|j| req.arg(j)).collect();
    let card = intersect_keys(ctx, &keys, limit)?.map_or(0, |m| m.len());
    ctx.out.int(card as i64);
    Ok(())
}

/// ```text
/// SINTERSTORE destination key [key ...]
/// ```
/// Stores the intersection at `destination`; replies with its size.
/// # Errors
/// WRONGTYPE (a source of another type; the destination may hold anything).
pub fn sinterstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let keys: Vec<&[u8]> = req.args().skip(2).collect();
    let limits = limits(ctx);
    let mut result = Set::new();
    for member in intersect_keys(ctx, &keys, 0)?.unwrap_or_default() {
        result.insert_member(member, &limits);
    }
    store_result(ctx, req.arg(1), result, SINTERSTORE);
    Ok(())
}

/// The event of SINTERSTORE.
const SINTERSTORE: Event = Event::new(class::SET, "sinterstore");
/// The event of SUNIONSTORE.
const SUNIONSTORE: Event = Event::new(class::SET, "sunionstore");
/// The event of SDIFFSTORE.
const SDIFFSTORE: Event = Event::new(class::SET, "sdiffstore");

/// Which of SUNION and SDIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// The union or difference of `keys` as a new set.
fn combine(ctx: &mut Ctx<'_>, keys: &[&[u8]], op: Op) -> Result<Set, CmdError> {
    let limits = limits(ctx);
    let (sets, _) = load(ctx, keys)?;
    let mut result = Set::new();
    match op {
        Op::Union => {
            for set in sets.iter().flatten() {
                for member in set.iter() {
                    result.insert_member(member, &limits);
                }
            }
        }
        Op::Diff => {
            let Some((&Some(first), rest)) = sets.split_first() else {
                return Ok(result);
            };
            let mut rest: Vec<&Set> = rest.iter().flatten().copied().collect();
            if rest.iter().any(|&s| std::ptr::eq(s, first)) {
                return Ok(result);
            }
            // Redis's choice: probing costs |first| per other set, with an advantage
            // for having better constants; subtracting costs every member once.
            let probe_work = first.len() * (rest.len() + 1) / 2;
            let subtract_work = first.len() + rest.iter().map(|s| s.len()).sum::<usize>();
            if probe_work <= subtract_work {
                // Biggest sets first: a member is likelier to be found early.
                rest.sort_by_key(|s| std::cmp::Reverse(s.len()));
                for member in first.iter() {
                    if !rest.iter().any(|s| s.contains_member(member)) {
                        result.insert_member(member, &limits);
                    }
                }
            } else {
                for member in first.iter() {
                    result.insert_member(member, &limits);
                }
                for set in rest {
                    for member in set.iter() {
                        member.with_text(|t| result.remove(t));
                    }
                    if result.is_empty() {
                        break;
                    }
                }
            }
        }
    }
    Ok(result)
}

/// SUNION and SDIFF: the result as a set.
fn combine_reply(ctx: &mut Ctx<'_>, req: &Request<'_>, op: Op) -> Result<(), CmdError> {
    let keys: Vec<&[u8]> = req.args().skip(1).collect();
    let result = combine(ctx, &keys, op)?;
    ctx.out.set_len(result.len());
    for member in result.iter() {
        reply_member(&mut ctx.out, member);
    }
    ctx.store.dispose(Value::Set(Box::new(result)));
    Ok(())
}

/// SUNIONSTORE and SDIFFSTORE: the result stored at the first argument.
fn combine_store(ctx: &mut Ctx<'_>, req: &Request<'_>, op: Op) -> Result<(), CmdError> {
    let keys: Vec<&[u8]> = req.args().skip(2).collect();
    let result = combine(ctx, &keys, op)?;
    let event = match op {
        Op::Union => SUNIONSTORE,
        Op::Diff => SDIFFSTORE,
    };
    store_result(ctx, req.arg(1), result, event);
    Ok(())
}

/// ```text
/// SUNION key [key ...]
/// ```
/// The members of any of the sets, as a set.
/// # Errors
/// WRONGTYPE.
pub fn sunion(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    combine_reply(ctx, req, Op::Union)
}

/// ```text
/// SUNIONSTORE destination key [key ...]
/// ```
/// Stores the union at `destination`; replies with its size.
/// # Errors
/// WRONGTYPE (a source of another type).
pub fn sunionstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    combine_store(ctx, req, Op::Union)
}

/// ```text
/// SDIFF key [key ...]
/// ```
/// The members of the first set that no other set holds, as a set.
/// # Errors
/// WRONGTYPE.
pub fn sdiff(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    combine_reply(ctx, req, Op::Diff)
}

/// ```text
/// SDIFFSTORE destination key [key ...]
/// ```
/// Stores the difference at `destination`; replies with its size.
/// # Errors
/// WRONGTYPE (a source of another type).
pub fn sdiffstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    combine_store(ctx, req, Op::Diff)
}
