//! Random members: SPOP and SRANDMEMBER, with Redis's count semantics (t_set.c).
//!
//! A random member is one index away in every encoding (a packed set's members are
//! listed once for repeated picks), so SPOP with a count is O(count) for a big set and
//! never quadratic; SRANDMEMBER with a positive count picks distinct indexes with
//! Floyd's algorithm, O(count).

use std::collections::HashSet;

use super::members::{delete_if_empty, reply_member, set_mut, set_ref};
use crate::commands::Ctx;
use crate::commands::args::{check_random_reply, parse_i64};
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::store::Kind;
use crate::store::Rng;

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
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::Set)? else {
        ctx.out.null();
        return Ok(());
    };
    let mut rng = Rng::new(ctx.store.random());
    let db = ctx.db();
    let set = set_mut(ctx.store, db, i)?;
    let at = rng.below(set.len().max(1));
    if let Some(member) = set.remove_at(at) {
        reply_member(&mut ctx.out, member.as_member());
    } else {
        ctx.out.null();
    }
    ctx.store.dirty += 1;
    ctx.changed(key, notify::SET, "spop");
    delete_if_empty(ctx, i, key);
    Ok(())
}

/// SPOP with a count; see [`spop`].
fn spop_count(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let count = parse_spop_count(req.arg(2))?;
    let key = req.arg(1);
    let found = ctx.lookup_kind_write(key, Kind::Set)?;
    let Some(i) = found.filter(|_| count > 0) else {
        ctx.out.set_len(0);
        return Ok(());
    };
    let db = ctx.db();
    let size = set_ref(ctx.store, db, i)?.len();
    if count >= size {
        // Everything: reply with the whole set and delete the key.
        let set = set_ref(ctx.store, db, i)?;
        ctx.out.set_len(size);
        for member in set.iter() {
            reply_member(&mut ctx.out, member);
        }
        let entry = ctx.current_db().remove_index(i);
        ctx.store.dispose(entry.value);
        ctx.store.dirty += size as u64;
        ctx.changed(key, notify::SET, "spop");
        ctx.notify(notify::GENERIC, "del", key);
        return Ok(());
    }
    let mut rng = Rng::new(ctx.store.random());
    let set = set_mut(ctx.store, db, i)?;
    ctx.out.set_len(count);
    for _ in 0..count {
        let at = rng.below(set.len());
        match set.remove_at(at) {
            Some(member) => reply_member(&mut ctx.out, member.as_member()),
            None => ctx.out.null(),
        }
    }
    ctx.store.dirty += count as u64;
    ctx.changed(key, notify::SET, "spop");
    Ok(())
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
    let Some(i) = ctx.lookup_kind_read(req.arg(1), Kind::Set)? else {
        ctx.out.null();
        return Ok(());
    };
    let mut rng = Rng::new(ctx.store.random());
    let db = ctx.db();
    let set = set_ref(ctx.store, db, i)?;
    match set.get(rng.below(set.len().max(1))) {
        Some(member) => reply_member(&mut ctx.out, member),
        None => ctx.out.null(),
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
    if n < 0 {
        check_random_reply(n.unsigned_abs())?;
    }
    let (count, distinct) = (n.unsigned_abs() as usize, n >= 0);
    let found = ctx.lookup_kind_read(req.arg(1), Kind::Set)?;
    let Some(i) = found.filter(|_| count > 0) else {
        ctx.out.array_len(0);
        return Ok(());
    };
    let mut rng = Rng::new(ctx.store.random());
    let db = ctx.db();
    let set = set_ref(ctx.store, db, i)?;
    let size = set.len();
    if !distinct || count == 1 {
        // Independent draws. The reply grows with the count, as Redis's does.
        let sampler = set.sampler();
        ctx.out.array_len(count);
        for _ in 0..count {
            match sampler.get(rng.below(size.max(1))) {
                Some(member) => reply_member(&mut ctx.out, member),
                None => ctx.out.null(),
            }
        }
        return Ok(());
    }
    if count >= size {
        ctx.out.array_len(size);
        for member in set.iter() {
            reply_member(&mut ctx.out, member);
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
    ctx.out.array_len(count);
    for at in order {
        match sampler.get(at) {
            Some(member) => reply_member(&mut ctx.out, member),
            None => ctx.out.null(),
        }
    }
    Ok(())
}
