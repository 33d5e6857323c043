//! Random members: SPOP and SRANDMEMBER, with Redis's count semantics (t_set.c).
//!
//! A random member is one index away in every encoding (a packed set's members are
//! listed once for repeated picks), so SPOP with a count is O(count) for a big set and
//! never quadratic; SRANDMEMBER with a positive count picks distinct indexes with
//! Floyd's algorithm, O(count).

use std::collections::HashSet;

use super::members::{as_set, read, reply_member, write};
use crate::commands::Ctx;
use crate::commands::args::{check_random_reply, parse_i64};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::store::set::Set;
use crate::store::{Event, KeyMut, Rng, Value, class};

/// The event of SPOP.
const SPOP: Event = Event::new(class::SET, "spop");

/// SPOP's count: `ERR value is out of range, must be positive` for anything but a
/// non-negative integer (Redis's `getPositiveLongFromObjectOrReply`).
fn parse_spop_count(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Ok(n) if n >= 0 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
    }
}

/// ```text
/// SPOP key [count]
/// ```
/// Without count: a random member, removed (null for a missing key). With count: a
/// set of up to `count` distinct random members, removed. The key goes with its last
/// member.
/// # Errors
/// `ERR syntax error` past the count, `ERR value is out of range, must be positive`,
/// WRONGTYPE.
pub fn spop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if req.len() == 3 {
        return spop_count(ctx, req);
    }
    let mut rng = Rng::new(ctx.store.random());
    let popped = {
        let (found, out) = write(ctx, req.arg(1))?;
        let Some(mut k) = found else {
            out.null();
            return Ok(());
        };
        let popped = match k.value_mut() {
            Value::Set(set) => {
                let at = rng.below(set.len().max(1));
                set.remove_at(at)
            }
            _ => None,
        };
        match &popped {
            Some(member) => reply_member(out, member.as_item()),
            None => out.null(),
        }
        k.changed_collection(SPOP, 1);
        popped
    };
    if let Some(member) = popped {
        // SREM key member: which member was drawn is not replayable.
        let bytes = member.as_item().to_vec();
        ctx.propagate(&[b"SREM", req.arg(1), &bytes]);
    }
    Ok(())
}

/// SPOP with a count; see [`spop`].
fn spop_count(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let count = parse_spop_count(req.arg(2))?;
    let mut rng = Rng::new(ctx.store.random());
    let mut popped = ctx.propagating().then(Vec::new);
    let emptied = {
        let (found, out) = write(ctx, req.arg(1))?;
        match found {
            Some(k) => pop_count(k, out, count, &mut rng, popped.as_mut())?,
            None => {
                out.set_len(0);
                None
            }
        }
    };
    let key = req.arg(1);
    if let Some(all) = emptied {
        ctx.store.dispose(all);
        // The whole set: DEL key.
        ctx.propagate(&[b"DEL", key]);
    } else if let Some(popped) = popped {
        // One SREM per member drawn, as Redis.
        for member in &popped {
            ctx.propagate(&[b"SREM", key, member]);
        }
    }
    Ok(())
}

/// Pops `count` random members of the set at `k` and replies them; returns the
/// set's old value when the count took everything (the key is then deleted).
fn pop_count(
    mut k: KeyMut<'_>,
    out: &mut Reply<'_>,
    count: usize,
    rng: &mut Rng,
    mut popped: Option<&mut Vec<Vec<u8>>>,
) -> Result<Option<Value>, CmdError> {
    if count == 0 {
        k.unchanged();
        out.set_len(0);
        return Ok(None);
    }
    let size = as_set(k.value())?.len();
    if count >= size {
        // Everything: reply with the whole set and delete the key.
        out.set_len(size);
        for member in as_set(k.value())?.iter() {
            reply_member(out, member);
        }
        let all = std::mem::replace(k.value_mut(), Value::Set(Box::new(Set::new())));
        k.changed_collection(SPOP, size as u64);
        return Ok(Some(all));
    }
    out.set_len(count);
    if let Value::Set(set) = k.value_mut() {
        for _ in 0..count {
            let at = rng.below(set.len());
            match set.remove_at(at) {
                Some(member) => {
                    reply_member(out, member.as_item());
                    if let Some(popped) = popped.as_deref_mut() {
                        popped.push(member.as_item().to_vec());
                    }
                }
                None => out.null(),
            }
        }
    }
    k.changed_n(SPOP, count as u64);
    Ok(None)
}

/// ```text
/// SRANDMEMBER key [count]
/// ```
/// Without count: a random member (null for a missing key). With a positive count:
/// an array of up to `count` distinct random members; with a negative count, exactly
/// `-count` members drawn independently (repeats possible).
/// # Errors
/// `ERR syntax error` past the count, `ERR value is not an integer or out of range`,
/// `ERR value is out of range, value must between ...` (i64::MIN), WRONGTYPE.
pub fn srandmember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if req.len() == 3 {
        return srandmember_count(ctx, req);
    }
    let mut rng = Rng::new(ctx.store.random());
    let (set, out) = read(ctx, req.arg(1))?;
    let Some(set) = set else {
        out.null();
        return Ok(());
    };
    match set.get(rng.below(set.len().max(1))) {
        Some(member) => reply_member(out, member),
        None => out.null(),
    }
    Ok(())
}

/// SRANDMEMBER with a count; see [`srandmember`].
fn srandmember_count(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let n = parse_i64(req.arg(2))?;
    if n == i64::MIN {
        return Err(CmdError::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    if n < 0 && !ctx.out.is_limited() {
        // Under an output limit the reply cannot grow past it: the client is closed.
        check_random_reply(n.unsigned_abs())?;
    }
    let (count, distinct) = (n.unsigned_abs() as usize, n >= 0);
    let mut rng = Rng::new(ctx.store.random());
    let (set, out) = read(ctx, req.arg(1))?;
    let Some(set) = set.filter(|_| count > 0) else {
        out.array_len(0);
        return Ok(());
    };
    let size = set.len();
    if !distinct || count == 1 {
        // Independent draws. The reply grows with the count, as Redis's does.
        let sampler = set.sampler();
        out.array_len(count);
        for _ in 0..count {
            if out.over() {
                break;
            }
            match sampler.get(rng.below(size.max(1))) {
                Some(member) => reply_member(out, member),
                None => out.null(),
            }
        }
        return Ok(());
    }
    if count >= size {
        out.array_len(size);
        for member in set.iter() {
            reply_member(out, member);
        }
        return Ok(());
    }
    // Floyd's algorithm: `count` distinct indexes, uniformly, in O(count).
    let mut chosen = HashSet::with_capacity(count);
    let mut order = Vec::with_capacity(count);
    for j in size - count..size {
        let t = rng.below(j + 1);
        let pick = if chosen.contains(&t) { j } else { t };
        chosen.insert(pick);
        order.push(pick);
    }
    let sampler = set.sampler();
    out.array_len(count);
    for at in order {
        match sampler.get(at) {
            Some(member) => reply_member(out, member),
            None => out.null(),
        }
    }
    Ok(())
}
