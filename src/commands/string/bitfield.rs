//! BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits (u63 at
//! most) at any bit offset of a string, with Redis's overflow control.

use super::bits::{SETBIT, bit_offset, get_field, set_field, string_for_bits};
use super::edit::{make_raw, string_bytes};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::protocol::parser::parse_int;
use crate::spec::{GetKeys, Group, KeySpec};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "bitfield",
        -2,
        flags!(WRITE | DENYOOM),
        Group::Bitmap,
        "Perform arbitrary bitfield integer operations on strings",
        bitfield,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE | VARIABLE_FLAGS), 1)])
    .getkeys(GetKeys::Bitfield),
    CommandSpec::new(
        "bitfield_ro",
        -2,
        flags!(READONLY | FAST),
        Group::Bitmap,
        "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        bitfield_ro,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// Reply text for a malformed type argument.
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// What happens when SET or INCRBY goes past the type's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Wrap around (modulo arithmetic, two's complement for signed types).
    Wrap,
    /// Clamp to the type's minimum or maximum.
    Sat,
    /// Write nothing and reply null.
    Fail,
}

/// A subcommand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    Incrby,
}

/// One parsed GET, SET or INCRBY.
#[derive(Debug, Clone, Copy)]
struct FieldOp {
    kind: Kind,
    /// Bit offset of the field's most significant bit.
    offset: u64,
    /// SET's value or INCRBY's increment.
    arg: i64,
    /// Overflow rule in force when this op was given.
    overflow: Overflow,
    /// Width: 1..=64 signed, 1..=63 unsigned.
    bits: u32,
    signed: bool,
}

/// Parses `i<bits>` (1..=64) or `u<bits>` (1..=63) as Redis's
/// `getBitfieldTypeFromArgument`; returns (signed, bits).
fn parse_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let bad = || CmdError::msg(BAD_TYPE);
    let (signed, digits) = match arg.split_first() {
        Some((b'i', rest)) => (true, rest),
        Some((b'u', rest)) => (false, rest),
        _ => return Err(bad()),
    };
    match parse_int(digits) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(bad()),
    }
}

/// The value to store instead of `value + incr` when it does not fit an unsigned
/// field of `bits` bits (`None` when it fits), as Redis's
/// `checkUnsignedBitfieldOverflow`. Under FAIL the returned value is unused.
fn unsigned_overflow(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = u64::MAX.checked_shr(64 - bits).unwrap_or(0);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let (over, under) = (
        value > max || (incr > 0 && incr > max_incr),
        incr < 0 && incr < min_incr,
    );
    if !over && !under {
        return None;
    }
    Some(match overflow {
        Overflow::Wrap | Overflow::Fail => value.wrapping_add(incr as u64) & max,
        Overflow::Sat if over => max,
        Overflow::Sat => 0,
    })
}

/// The value to store instead of `value + incr` when it does not fit a signed field
/// of `bits` bits (`None` when it fits), as Redis's `checkSignedBitfieldOverflow`.
/// Under FAIL the returned value is unused. Like Redis, SAT clamps a value far below
/// the minimum (`max - value` past i64::MAX) to the maximum.
fn signed_overflow(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max = i64::MAX.checked_shr(64 - bits).unwrap_or(0);
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let over = value > max
        || (bits != 64 && incr > max_incr)
        || (value >= 0 && incr > 0 && incr > max_incr);
    let under = !over
        && (value < min
            || (bits != 64 && incr < min_incr)
            || (value < 0 && incr < 0 && incr < min_incr));
    if !over && !under {
        return None;
    }
    Some(match overflow {
        Overflow::Wrap | Overflow::Fail => {
            let sum = (value as u64).wrapping_add(incr as u64);
            sign_extend(sum, bits)
        }
        Overflow::Sat if over => max,
        Overflow::Sat => min,
    })
}

/// The low `bits` bits of `v` as a two's complement number.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Runs a SET or INCRBY on `s` (long enough to hold the field); returns the reply
/// (None when FAIL stopped it) and whether the field changed.
fn write_op(s: &mut [u8], op: &FieldOp) -> (Option<i64>, bool) {
    let incr = op.kind == Kind::Incrby;
    let raw = get_field(s, op.offset, op.bits);
    let (reply, old, new) = if op.signed {
        let old = sign_extend(raw, op.bits);
        let (value, by) = if incr { (old, op.arg) } else { (op.arg, 0) };
        let fix = signed_overflow(value, by, op.bits, op.overflow);
        if fix.is_some() && op.overflow == Overflow::Fail {
            return (None, false);
        }
        let new = fix.unwrap_or(value.wrapping_add(by));
        (if incr { new } else { old }, old as u64, new as u64)
    } else {
        let (value, by) = if incr {
            (raw, op.arg)
        } else {
            (op.arg as u64, 0)
        };
        let fix = unsigned_overflow(value, by, op.bits, op.overflow);
        if fix.is_some() && op.overflow == Overflow::Fail {
            return (None, false);
        }
        let new = fix.unwrap_or(value.wrapping_add(by as u64));
        ((if incr { new } else { raw }) as i64, raw, new)
    };
    set_field(s, op.offset, op.bits, new);
    (Some(reply), old != new)
}

/// GET on `s` (bits past its end read as 0).
fn read_op(s: &[u8], op: &FieldOp) -> i64 {
    let raw = get_field(s, op.offset, op.bits);
    if op.signed {
        sign_extend(raw, op.bits)
    } else {
        raw as i64
    }
}

/// Parses the subcommands from argument 2 on; returns them and the highest bit a SET
/// or INCRBY writes (None when all are GETs).
fn parse_ops(ctx: &Ctx<'_>, req: &Request<'_>) -> Result<(Vec<FieldOp>, Option<u64>), CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut highest: Option<u64> = None;
    let mut j = 2;
    while j < req.len() {
        let rest = req.len() - j - 1;
        let sub = req.arg(j);
        let kind = if is(sub, "get") && rest >= 2 {
            Kind::Get
        } else if is(sub, "set") && rest >= 3 {
            Kind::Set
        } else if is(sub, "incrby") && rest >= 3 {
            Kind::Incrby
        } else if is(sub, "overflow") && rest >= 1 {
            let name = req.arg(j + 1);
            overflow = if is(name, "wrap") {
                Overflow::Wrap
            } else if is(name, "sat") {
                Overflow::Sat
            } else if is(name, "fail") {
                Overflow::Fail
            } else {
                return Err(CmdError::msg("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_type(req.arg(j + 1))?;
        let offset = bit_offset(ctx, req.arg(j + 2), Some(bits))?;
        let mut arg = 0;
        if kind != Kind::Get {
            let last = offset + u64::from(bits) - 1;
            highest = Some(highest.map_or(last, |h| h.max(last)));
            arg = parse_i64(req.arg(j + 3))?;
        }
        ops.push(FieldOp {
            kind,
            offset,
            arg,
            overflow,
            bits,
            signed,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Ok((ops, highest))
}

/// BITFIELD and BITFIELD_RO (`read_only`: only GET allowed).
fn bitfield_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, read_only: bool) -> Result<(), CmdError> {
    let (ops, highest) = parse_ops(ctx, req)?;
    let key = req.arg(1);
    let mut replies = Vec::with_capacity(ops.len());
    match highest {
        None => {
            let found = ctx.read_key(key);
            let mut tmp = itoa::Buffer::new();
            let s = match &found {
                Some(k) => string_bytes(k.value(), &mut tmp)?,
                None => &[],
            };
            replies.extend(ops.iter().map(|op| Some(read_op(s, op))));
        }
        Some(_) if read_only => {
            return Err(CmdError::msg(
                "ERR BITFIELD_RO only supports the GET subcommand",
            ));
        }
        Some(highest) => {
            let (mut k, grown) = string_for_bits(ctx, key, highest)?;
            let s = make_raw(k.value_mut())?;
            let mut changes = 0;
            for op in &ops {
                if op.kind == Kind::Get {
                    replies.push(Some(read_op(s, op)));
                    continue;
                }
                let (reply, changed) = write_op(s, op);
                if reply.is_some() && (grown || changed) {
                    changes += 1;
                }
                replies.push(reply);
            }
            if changes > 0 {
                k.changed_n(SETBIT, changes);
            } else {
                k.unchanged();
            }
        }
    }
    ctx.out.array_len(replies.len());
    for reply in replies {
        match reply {
            Some(n) => ctx.out.int(n),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ```text
/// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL]
///     SET encoding offset value | INCRBY encoding offset increment ...]
/// ```
/// One reply per GET/SET/INCRBY: the field's value (SET: the old one, INCRBY: the
/// new one), or null when OVERFLOW FAIL stopped a write. An encoding is `i1`..`i64`
/// or `u1`..`u63`; an offset `#n` means n times the width.
fn bitfield(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bitfield_generic(ctx, req, false)
}

/// ```text
/// BITFIELD_RO key [GET encoding offset ...]
/// ```
/// BITFIELD with GET only.
fn bitfield_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bitfield_generic(ctx, req, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_as_redis() {
        assert_eq!(parse_type(b"i64"), Ok((true, 64)));
        assert_eq!(parse_type(b"u63"), Ok((false, 63)));
        assert_eq!(parse_type(b"u1"), Ok((false, 1)));
        for bad in [&b"u64"[..], b"i65", b"i0", b"u", b"", b"I8", b"x8", b"u-1"] {
            assert!(parse_type(bad).is_err(), "{bad:?}");
        }
    }

    /// Reference: the value to store, in i128, for each rule; None when it fits.
    fn reference(value: i128, incr: i128, bits: u32, signed: bool, ow: Overflow) -> Option<i128> {
        let (min, max) = if signed {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        let sum = value + incr;
        if (min..=max).contains(&value) && (min..=max).contains(&sum) {
            return None;
        }
        let range = max - min + 1;
        Some(match ow {
            Overflow::Sat if sum > max || value > max => max,
            Overflow::Sat => min,
            _ => (sum - min).rem_euclid(range) + min,
        })
    }

    #[test]
    fn overflow_matches_a_wide_reference() {
        let samples = [
            i64::MIN,
            i64::MIN + 1,
            -300,
            -129,
            -128,
            -1,
            0,
            1,
            5,
            127,
            128,
            255,
            256,
            i64::MAX - 1,
            i64::MAX,
        ];
        for bits in [1, 2, 7, 8, 9, 31, 63, 64] {
            let half = 1i128 << (bits - 1);
            for &v in &samples {
                for &incr in &samples {
                    // Reachable inputs only: SET passes any value with no increment,
                    // INCRBY a field's value (in range) with any increment. An
                    // unsigned SET value is the i64 read as a u64.
                    let (wide, uv) = (i128::from(v), v as u64);
                    let signed_ok = incr == 0 || (-half..half).contains(&wide);
                    let unsigned_ok = bits < 64 && (incr == 0 || (0..2 * half).contains(&wide));
                    for ow in [Overflow::Wrap, Overflow::Sat] {
                        // Redis's quirk: SAT clamps a SET value below about i64::MIN + max
                        // to the maximum (its `max - value` wraps); reproduced, not tested.
                        let quirk = ow == Overflow::Sat && half - 1 - wide > i128::from(i64::MAX);
                        if signed_ok && !quirk {
                            let want = reference(wide, incr.into(), bits, true, ow);
                            let got = signed_overflow(v, incr, bits, ow).map(i128::from);
                            assert_eq!(got, want, "i{bits} {v}+{incr} {ow:?}");
                        }
                        if unsigned_ok {
                            let want = reference(uv.into(), incr.into(), bits, false, ow);
                            let got = unsigned_overflow(uv, incr, bits, ow).map(i128::from);
                            assert_eq!(got, want, "u{bits} {uv}+{incr} {ow:?}");
                        }
                    }
                }
            }
        }
    }
}
