//! String commands that read parts of a string or edit it in place: APPEND STRLEN
//! GETRANGE SUBSTR SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT.
//!
//! They need a string or a number: a key holding a document (or any other type)
//! gets WRONGTYPE. Edits keep the key's TTL, as Redis does.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{parse_f64, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::protocol::reply::format_double;
use crate::spec::{Group, KeySpec};
use crate::store::value::canonical_int;
use crate::store::{Bytes, Event, Kind, Value, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "append",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        append,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "strlen",
        2,
        flags!(READONLY | FAST),
        Group::String,
        "Returns the length of a string value.",
        strlen,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
        "getrange",
        4,
        flags!(READONLY),
        Group::String,
        "Returns a substring of the string stored at a key.",
        getrange,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "substr",
        4,
        flags!(READONLY),
        Group::String,
        "Returns a substring from a string value.",
        getrange,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "setrange",
        4,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Overwrites a part of a string value with another by an offset.",
        setrange,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "incr",
        2,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Increments the integer value of a key by one.",
        incr,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "decr",
        2,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Decrements the integer value of a key by one.",
        decr,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "incrby",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Increments the integer value of a key by a number.",
        incrby,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "decrby",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Decrements a number from the integer value of a key.",
        decrby,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "incrbyfloat",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Increment the floating point value of a key by a number.",
        incrbyfloat,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
];

/// The event of APPEND.
const APPEND: Event = Event::new(class::STRING, "append");
/// The event of SETRANGE.
const SETRANGE: Event = Event::new(class::STRING, "setrange");
/// The event of INCR, DECR, INCRBY and DECRBY.
const INCRBY: Event = Event::new(class::STRING, "incrby");
/// The event of INCRBYFLOAT.
const INCRBYFLOAT: Event = Event::new(class::STRING, "incrbyfloat");

/// Reply text when a string would outgrow `proto-max-bulk-len`.
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/// The bytes of a string value (an integer is written into `tmp`); WRONGTYPE for a
/// document or any other type.
pub fn string_bytes<'a>(value: &'a Value, tmp: &'a mut itoa::Buffer) -> Result<&'a [u8], CmdError> {
    match value {
        Value::Str(s) => Ok(s),
        Value::Int(n) => Ok(tmp.format(*n).as_bytes()),
        _ => Err(CmdError::WrongType),
    }
}

/// The value's string as an owned, growable buffer (an integer becomes its text);
/// WRONGTYPE for other types. Callers have checked the type already.
pub fn make_raw(value: &mut Value) -> Result<&mut Bytes, CmdError> {
    if let Value::Int(n) = *value {
        *value = Value::Str(Bytes::from_slice(itoa::Buffer::new().format(n).as_bytes()));
    }
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Fails unless a string of `len + extra` bytes fits `max` (`proto-max-bulk-len`).
fn check_length(max: u64, len: u64, extra: u64) -> Result<(), CmdError> {
    match len.checked_add(extra) {
        Some(total) if total <= max => Ok(()),
        _ => Err(CmdError::msg(TOO_BIG)),
    }
}

/// ```text
/// APPEND key value
/// ```
/// The length of the string after the append.
fn append(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let tail = req.arg(2);
    let max = ctx.server.config.proto.max_bulk_len as u64;
    let db = ctx.db();
    let found = ctx.store.write_key(db, key, ctx.now);
    let total = match found {
        None => {
            drop(found);
            let value = Value::from_bytes(tail);
            ctx.store.insert_missing(db, key, value, 0).changed(APPEND);
            tail.len()
        }
        Some(mut k) => {
            let mut tmp = itoa::Buffer::new();
            let len = string_bytes(k.value(), &mut tmp)?.len();
            check_length(max, len as u64, tail.len() as u64)?;
            let s = make_raw(k.value_mut())?;
            s.extend_from_slice(tail);
            let total = s.len();
            k.changed(APPEND);
            total
        }
    };
    ctx.out.int(total as i64);
    Ok(())
}

/// ```text
/// STRLEN key
/// ```
/// The string's length in bytes, 0 for a missing key.
fn strlen(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut tmp = itoa::Buffer::new();
    let len = match ctx.read_key(req.arg(1)) {
        None => 0,
        Some(k) => string_bytes(k.value(), &mut tmp)?.len(),
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// The byte range `[start, end]` of a `len`-byte string that GETRANGE returns, with
/// negative indexes counted from the end, as Redis's `getrangeCommand`.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    if (start < 0 && end < 0 && start > end) || len == 0 {
        return None;
    }
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 {
        (len + end).max(0)
    } else {
        end.min(len - 1)
    };
    (start <= end).then_some((start as usize, end as usize))
}

/// ```text
/// GETRANGE key start end
/// SUBSTR key start end
/// ```
/// The bytes from `start` to `end` inclusive (negative counts from the end); an empty
/// string when the range is empty or the key is missing.
fn getrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let start = parse_i64(req.arg(2))?;
    let end = parse_i64(req.arg(3))?;
    let (found, out) = ctx.read_key_and_out(req.arg(1));
    let Some(k) = found else {
        out.bulk(b"");
        return Ok(());
    };
    let mut tmp = itoa::Buffer::new();
    let s = string_bytes(k.value(), &mut tmp)?;
    match range(start, end, s.len()) {
        Some((from, to)) => out.bulk(s.get(from..=to).unwrap_or_default()),
        None => out.bulk(b""),
    }
    Ok(())
}

/// ```text
/// SETRANGE key offset value
/// ```
/// The string's length after writing `value` at `offset`, zero-padding as needed.
fn setrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let offset = parse_i64(req.arg(2))?;
    if offset < 0 {
        return Err(CmdError::msg("ERR offset is out of range"));
    }
    let key = req.arg(1);
    let patch = req.arg(3);
    let max = ctx.server.config.proto.max_bulk_len as u64;
    let db = ctx.db();
    let found = ctx.store.write_key(db, key, ctx.now);
    let old_len = match &found {
        None => 0,
        Some(k) => {
            let mut tmp = itoa::Buffer::new();
            string_bytes(k.value(), &mut tmp)?.len()
        }
    };
    if patch.is_empty() {
        ctx.out.int(old_len as i64);
        return Ok(());
    }
    check_length(max, offset as u64, patch.len() as u64)?;
    let offset = offset as usize;
    let new_len = old_len.max(offset + patch.len());
    match found {
        None => {
            drop(found);
            let mut s = vec![0u8; new_len];
            s[offset..].copy_from_slice(patch);
            let value = Value::Str(s.into());
            ctx.store
                .insert_missing(db, key, value, 0)
                .changed(SETRANGE);
        }
        Some(mut k) => {
            make_raw(k.value_mut())?.set_range(offset, patch);
            k.changed(SETRANGE);
        }
    }
    ctx.out.int(new_len as i64);
    Ok(())
}

/// Adds `by` to the integer at `key` (0 when missing), keeping its TTL; replies with
/// the new value.
fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> Result<(), CmdError> {
    // A missing key starts at 0 (to which `by` adds without overflow).
    let mut k = ctx.write_key_or_create(key, Kind::String, || Value::Int(0))?;
    let old = match k.value() {
        Value::Int(n) => *n,
        Value::Str(s) => canonical_int(s).ok_or(CmdError::NotInteger)?,
        _ => return Err(CmdError::WrongType),
    };
    let new = old.checked_add(by).ok_or(CmdError::Overflow)?;
    *k.value_mut() = Value::Int(new);
    k.changed(INCRBY);
    ctx.out.int(new);
    Ok(())
}

/// ```text
/// INCR key
/// ```
fn incr(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    incr_by(ctx, req.arg(1), 1)
}

/// ```text
/// DECR key
/// ```
fn decr(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    incr_by(ctx, req.arg(1), -1)
}

/// ```text
/// INCRBY key increment
/// ```
fn incrby(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let by = parse_i64(req.arg(2))?;
    incr_by(ctx, req.arg(1), by)
}

/// ```text
/// DECRBY key decrement
/// ```
fn decrby(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let by = parse_i64(req.arg(2))?;
    let by = by
        .checked_neg()
        .ok_or_else(|| CmdError::msg("ERR decrement would overflow"))?;
    incr_by(ctx, req.arg(1), by)
}

/// ```text
/// INCRBYFLOAT key increment
/// ```
/// The new value as a bulk string, in the shortest decimal form that reads back to
/// the same double (no exponent, no trailing zeros); stored as that string.
fn incrbyfloat(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let db = ctx.db();
    let propagated = incrbyfloat_apply(ctx, req, db)?;
    if let Some(text) = propagated {
        // The result, not the increment: float formatting never differs on replay.
        ctx.propagate(&[b"SET", key, &text, b"KEEPTTL"]);
    }
    Ok(())
}

/// INCRBYFLOAT's write; returns the new value's text when it is to be propagated.
fn incrbyfloat_apply(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    db: usize,
) -> Result<Option<Vec<u8>>, CmdError> {
    let key = req.arg(1);
    let found = ctx.store.write_key(db, key, ctx.now);
    let current = match &found {
        None => 0.0,
        Some(k) => match k.value() {
            Value::Int(n) => *n as f64,
            Value::Str(s) => parse_f64(s)?,
            _ => return Err(CmdError::WrongType),
        },
    };
    let by = parse_f64(req.arg(2))?;
    let sum = current + by;
    if !sum.is_finite() {
        return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
    }
    let text = format_double(sum).into_bytes();
    ctx.out.bulk(&text);
    let propagated = ctx.server.propagation.is_on().then(|| text.clone());
    let value = Value::Str(text.into());
    match found {
        Some(mut k) => {
            k.replace(value, None);
            k.changed(INCRBYFLOAT);
        }
        None => {
            drop(found);
            ctx.store
                .insert_missing(db, key, value, 0)
                .changed(INCRBYFLOAT);
        }
    }
    Ok(propagated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_redis() {
        assert_eq!(range(0, -1, 5), Some((0, 4)));
        assert_eq!(range(-3, -1, 5), Some((2, 4)));
        assert_eq!(range(-1, -3, 5), None);
        assert_eq!(range(2, 100, 5), Some((2, 4)));
        assert_eq!(range(-100, 1, 5), Some((0, 1)));
        assert_eq!(range(4, 2, 5), None);
        assert_eq!(range(0, 0, 0), None);
        assert_eq!(range(10, 20, 5), None);
        assert_eq!(range(i64::MIN, i64::MAX, 5), Some((0, 4)));
    }
}
