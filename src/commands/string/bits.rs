//! Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP. BITFIELD and BITFIELD_RO
//! are in `bitfield`, which shares this module's offset parsing and string growth.
//!
//! A string is a bitmap whose bit 0 is the most significant bit of its first byte,
//! as in Redis's bitops.c. An integer-encoded value reads as its decimal text and
//! becomes that text when a bit command writes it; a document gets WRONGTYPE. Edits
//! keep the key's TTL; BITOP replaces its target (TTL cleared) as SET does.

use super::edit::{make_raw, string_bytes};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::number::parse_int;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::{Bytes, Event, KeyMut, Kind, Value, class};
use crate::{cats, flags, kf};

/// This family's commands (BITFIELD's are in `bitfield::COMMANDS`).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "setbit",
        4,
        flags!(WRITE | DENYOOM),
        Group::Bitmap,
        "Sets or clears the bit at offset in the string value stored at key",
        setbit,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "getbit",
        3,
        flags!(READONLY | FAST),
        Group::Bitmap,
        "Returns the bit value at offset in the string value stored at key",
        getbit,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "bitcount",
        -2,
        flags!(READONLY),
        Group::Bitmap,
        "Count set bits in a string",
        bitcount,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "bitpos",
        -3,
        flags!(READONLY),
        Group::Bitmap,
        "Find first bit set or clear in a string",
        bitpos,
    )
    .acl(cats!(BITMAP))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "bitop",
        -4,
        flags!(WRITE | DENYOOM),
        Group::Bitmap,
        "Perform bitwise operations between strings",
        bitop,
    )
    .acl(cats!(BITMAP))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 2),
        KeySpec::range(kf!(RO | ACCESS), 3, -1, 1),
    ]),
];

/// Reply text for a bad or too large bit offset.
pub const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
/// Reply text for a SETBIT value other than 0 or 1.
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
/// Reply text for a BITPOS bit other than 0 or 1.
const BAD_BITPOS_BIT: &str = "ERR The bit argument must be 1 or 0.";

/// Parses a bit offset as Redis's `getBitOffsetFromArgument`: a non-negative integer
/// whose byte is below `proto-max-bulk-len`. With `unit` (BITFIELD's type width), a
/// `#n` offset means `n * unit`.
pub fn bit_offset(ctx: &Ctx<'_>, arg: &[u8], unit: Option<u32>) -> Result<u64, CmdError> {
    let bad = || CmdError::msg(BAD_OFFSET);
    let (digits, unit) = match (arg.split_first(), unit) {
        (Some((b'#', rest)), Some(bits)) if bits > 0 => (rest, bits as i64),
        _ => (arg, 1),
    };
    let n = parse_int(digits)
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(bad)?;
    let max = ctx.server.config.proto.max_bulk_len as u64;
    if n < 0 || (n as u64 >> 3) >= max {
        return Err(bad());
    }
    Ok(n as u64)
}

/// The event of SETBIT and BITFIELD writes.
pub const SETBIT: Event = Event::new(class::STRING, "setbit");
/// The event of BITOP storing its result.
const SET: Event = Event::new(class::STRING, "set");

/// Finds the string at `key` for writing bits up to `max_bit`, creating it or
/// zero-padding it so that bit exists (Redis's `lookupStringForBitCommand`). Returns
/// the key, now a raw string (an integer becomes its text), and whether it was
/// created or grown; WRONGTYPE for other types. The handle always owes its finish
/// (`unchanged` when no bit changed).
pub fn string_for_bits<'c>(
    ctx: &'c mut Ctx<'_>,
    key: &[u8],
    max_bit: u64,
) -> Result<(KeyMut<'c>, bool), CmdError> {
    let need = (max_bit >> 3) as usize + 1;
    let mut created = false;
    let mut k = ctx.write_key_or_create(key, Kind::String, || {
        created = true;
        Value::Str(Bytes::from(vec![0; need]))
    })?;
    if created {
        return Ok((k, true));
    }
    if !matches!(k.value(), Value::Str(_) | Value::Int(_)) {
        return Err(CmdError::WrongType);
    }
    let s = make_raw(k.value_mut())?;
    let grown = s.len() < need;
    if grown {
        s.resize(need, 0);
    }
    Ok((k, grown))
}

/// The value of bit `pos` of `s` (0 beyond its end).
fn bit_at(s: &[u8], pos: u64) -> u8 {
    let byte = s.get((pos >> 3) as usize).copied().unwrap_or(0);
    (byte >> (7 - (pos & 7))) & 1
}

/// Sets bit `pos` of `s` to `on` (nothing beyond its end).
fn set_bit_at(s: &mut [u8], pos: u64, on: bool) {
    if let Some(byte) = s.get_mut((pos >> 3) as usize) {
        let mask = 1u8 << (7 - (pos & 7));
        if on {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// The unsigned integer in bits `offset..offset + bits` (most significant first),
/// reading bits beyond the end as 0.
pub fn get_field(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..u64::from(bits)).fold(0, |v, k| (v << 1) | u64::from(bit_at(s, offset + k)))
}

/// Writes the low `bits` bits of `value` at `offset` (most significant first).
pub fn set_field(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    for k in 0..u64::from(bits) {
        let on = (value >> (u64::from(bits) - 1 - k)) & 1 == 1;
        set_bit_at(s, offset + k, on);
    }
}

/// Number of set bits in `bytes`.
fn popcount(bytes: &[u8]) -> u64 {
    let words = bytes.chunks_exact(8);
    let tail: u64 = words
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    words
        .map(|w| {
            let mut word = [0u8; 8];
            word.copy_from_slice(w);
            u64::from(u64::from_ne_bytes(word).count_ones())
        })
        .sum::<u64>()
        + tail
}

/// Number of set bits among bits `lo..=hi` of `s` (both inside `s`).
fn count_range(s: &[u8], lo: u64, hi: u64) -> u64 {
    let Some(bytes) = s.get((lo >> 3) as usize..=(hi >> 3) as usize) else {
        return 0;
    };
    let head = bytes.first().copied().unwrap_or(0) & !(0xFFu8 >> (lo & 7));
    let tail = bytes.last().copied().unwrap_or(0) & (0xFFu16 >> ((hi & 7) + 1)) as u8;
    popcount(bytes) - u64::from(head.count_ones()) - u64::from(tail.count_ones())
}

/// Position of the first bit equal to `one` among bits `lo..=hi` of `s`.
fn first_bit(s: &[u8], lo: u64, hi: u64, one: bool) -> Option<u64> {
    let skip = if one { 0 } else { 0xFF };
    let mut pos = lo;
    while pos <= hi {
        if pos & 7 == 0 && pos + 7 <= hi {
            // Whole bytes: skip those holding no candidate.
            let from = (pos >> 3) as usize;
            let to = ((hi + 1) >> 3) as usize;
            let whole = s.get(from..to)?;
            // Eight bytes at a time first, as Redis's `redisBitpos` does.
            let words = whole
                .chunks_exact(8)
                .take_while(|w| w.iter().all(|&b| b == skip))
                .count();
            let found = whole
                .iter()
                .enumerate()
                .skip(words * 8)
                .find(|(_, b)| **b != skip);
            match found {
                Some((k, &b)) => {
                    let within = if one {
                        b.leading_zeros()
                    } else {
                        b.leading_ones()
                    };
                    return Some((from + k) as u64 * 8 + u64::from(within));
                }
                None => pos = to as u64 * 8,
            }
            continue;
        }
        if (bit_at(s, pos) == 1) == one {
            return Some(pos);
        }
        pos += 1;
    }
    None
}

/// The inclusive bit range that `start..=end` selects in a `len`-byte string, counted
/// in bits or bytes, with negative indexes from the end and clamping as Redis's
/// BITCOUNT and BITPOS; None when empty.
fn bit_range(start: i64, end: i64, len: usize, in_bits: bool) -> Option<(u64, u64)> {
    let total = (len as i64).saturating_mul(if in_bits { 8 } else { 1 });
    let resolve = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (resolve(start), resolve(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// True for a `BIT` unit argument, false for `BYTE`; a syntax error otherwise.
fn parse_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// ```text
/// SETBIT key offset value
/// ```
/// The bit's previous value; the string grows (zero-padded) to hold the offset.
fn setbit(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let offset = bit_offset(ctx, req.arg(2), None)?;
    let on = match parse_int(req.arg(3)) {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(CmdError::msg(BAD_BIT)),
    };
    let (mut k, grown) = string_for_bits(ctx, req.arg(1), offset)?;
    let s = make_raw(k.value_mut())?;
    let old = bit_at(s, offset);
    if grown || (old == 1) != on {
        set_bit_at(s, offset, on);
        k.changed(SETBIT);
    } else {
        k.unchanged();
    }
    ctx.out.int(i64::from(old));
    Ok(())
}

/// ```text
/// GETBIT key offset
/// ```
/// The bit at `offset`: 0 beyond the end or for a missing key.
fn getbit(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let offset = bit_offset(ctx, req.arg(2), None)?;
    let mut tmp = itoa::Buffer::new();
    let bit = match ctx.read_key(req.arg(1)) {
        None => 0,
        Some(k) => bit_at(string_bytes(k.value(), &mut tmp)?, offset),
    };
    ctx.out.int(i64::from(bit));
    Ok(())
}

/// ```text
/// BITCOUNT key [start end [BYTE | BIT]]
/// ```
/// The number of set bits, in the whole string or in the range (in bytes by
/// default; negative indexes count from the end). 0 for a missing key.
fn bitcount(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(k) = ctx.read_key(req.arg(1)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut tmp = itoa::Buffer::new();
    let s = string_bytes(k.value(), &mut tmp)?;
    let count = match req.len() {
        2 => popcount(s),
        4 | 5 => {
            let start = parse_i64(req.arg(2))?;
            let end = parse_i64(req.arg(3))?;
            if start < 0 && end < 0 && start > end {
                0
            } else {
                let in_bits = req.len() == 5 && parse_unit(req.arg(4))?;
                match bit_range(start, end, s.len(), in_bits) {
                    Some((lo, hi)) => count_range(s, lo, hi),
                    None => 0,
                }
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    ctx.out.int(count as i64);
    Ok(())
}

/// ```text
/// BITPOS key bit [start [end [BYTE | BIT]]]
/// ```
/// The position of the first bit equal to `bit` in the range, or -1. Without an
/// end, the string counts as followed by zeros: looking for 0 in all ones gives the
/// first bit past the end. A missing key is all zeros.
fn bitpos(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let one = match parse_i64(req.arg(2))? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::msg(BAD_BITPOS_BIT)),
    };
    let Some(k) = ctx.read_key(req.arg(1)) else {
        ctx.out.int(if one { -1 } else { 0 });
        return Ok(());
    };
    let mut tmp = itoa::Buffer::new();
    let s = string_bytes(k.value(), &mut tmp)?;
    let (range, end_given) = match req.len() {
        3 => (bit_range(0, -1, s.len(), false), false),
        4..=6 => {
            let start = parse_i64(req.arg(3))?;
            let in_bits = req.len() == 6 && parse_unit(req.arg(5))?;
            let end = if req.len() >= 5 {
                parse_i64(req.arg(4))?
            } else {
                -1
            };
            (bit_range(start, end, s.len(), in_bits), req.len() >= 5)
        }
        _ => return Err(CmdError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((lo, hi)) => match first_bit(s, lo, hi, one) {
            Some(pos) => pos as i64,
            None if one || end_given => -1,
            None => hi as i64 + 1,
        },
    };
    ctx.out.int(pos);
    Ok(())
}

/// A BITOP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Folds source `src` into `acc` (the first source when `first`); shorter strings
/// count as zero-padded to the longest.
fn fold(acc: &mut Vec<u8>, src: &[u8], op: BitOp, first: bool) {
    if first {
        acc.extend(src.iter().map(|b| if op == BitOp::Not { !b } else { *b }));
        return;
    }
    let shared = acc.len().min(src.len());
    match op {
        BitOp::And => {
            acc.iter_mut().zip(src).for_each(|(a, b)| *a &= b);
            acc.iter_mut().skip(shared).for_each(|a| *a = 0);
            acc.resize(acc.len().max(src.len()), 0);
        }
        BitOp::Or | BitOp::Xor => {
            for (a, b) in acc.iter_mut().zip(src) {
                if op == BitOp::Or {
                    *a |= b;
                } else {
                    *a ^= b;
                }
            }
            acc.extend_from_slice(src.get(shared..).unwrap_or_default());
        }
        BitOp::Not => {}
    }
}

/// ```text
/// BITOP AND | OR | XOR | NOT destkey key [key ...]
/// ```
/// The length of the result stored at `destkey` (the longest source; missing keys are
/// empty). An empty result deletes `destkey`. NOT takes exactly one source.
fn bitop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let name = req.arg(1);
    let op = if is(name, "and") {
        BitOp::And
    } else if is(name, "or") {
        BitOp::Or
    } else if is(name, "xor") {
        BitOp::Xor
    } else if is(name, "not") {
        BitOp::Not
    } else {
        return Err(CmdError::Syntax);
    };
    if op == BitOp::Not && req.len() != 4 {
        return Err(CmdError::msg(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let mut acc = Vec::new();
    for j in 3..req.len() {
        match ctx.read_key(req.arg(j)) {
            None => fold(&mut acc, &[], op, j == 3),
            Some(k) => {
                let mut tmp = itoa::Buffer::new();
                let src = string_bytes(k.value(), &mut tmp)?;
                fold(&mut acc, src, op, j == 3);
            }
        }
    }
    let dest = req.arg(2);
    let len = acc.len();
    let db = ctx.db();
    let found = ctx.store.write_key(db, dest, ctx.now);
    match found {
        Some(mut k) if len > 0 => {
            k.replace(Value::Str(Bytes::from(acc)), Some(0));
            k.changed(SET);
        }
        Some(k) => {
            let _ = k.remove(Event::DEL);
        }
        None if len > 0 => {
            drop(found);
            let value = Value::Str(Bytes::from(acc));
            ctx.store.insert_missing(db, dest, value, 0).changed(SET);
        }
        None => {}
    }
    ctx.out.int(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bits of `s` as a string of 0/1, for a slow reference.
    fn bit_string(s: &[u8]) -> Vec<u8> {
        (0..s.len() as u64 * 8).map(|p| bit_at(s, p)).collect()
    }

    #[test]
    fn counts_match_a_bit_by_bit_reference() {
        let s: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        let bits = bit_string(&s);
        for lo in 0..bits.len() as u64 {
            for hi in lo..bits.len() as u64 {
                let want: u64 = bits[lo as usize..=hi as usize]
                    .iter()
                    .map(|&b| u64::from(b))
                    .sum();
                assert_eq!(count_range(&s, lo, hi), want, "{lo}..={hi}");
            }
        }
        assert_eq!(popcount(&s), bits.iter().map(|&b| u64::from(b)).sum());
    }

    #[test]
    fn first_bit_matches_a_bit_by_bit_reference() {
        let s = [
            0x00, 0x00, 0x10, 0xFF, 0xFF, 0xEF, 0x00, 0x00, 0x00, 0x01, 0xFF,
        ];
        let bits = bit_string(&s);
        for one in [false, true] {
            for lo in 0..bits.len() as u64 {
                for hi in lo..bits.len() as u64 {
                    let want = (lo..=hi).find(|&p| (bits[p as usize] == 1) == one);
                    assert_eq!(first_bit(&s, lo, hi, one), want, "{lo}..={hi} {one}");
                }
            }
        }
    }

    #[test]
    fn fields_round_trip_at_any_alignment() {
        let mut s = vec![0u8; 10];
        set_field(&mut s, 5, 13, 0x1ABC);
        assert_eq!(get_field(&s, 5, 13), 0x1ABC);
        // Redis's example: u5 23 at offset 7 of zeros is 00000001|01110000.
        let mut t = vec![0u8; 2];
        set_field(&mut t, 7, 5, 23);
        assert_eq!(t, [0x01, 0x70]);
        assert_eq!(get_field(&s, 72, 64), 0, "bits past the end read as 0");
    }

    #[test]
    fn ranges_as_redis() {
        assert_eq!(bit_range(0, -1, 3, false), Some((0, 23)));
        assert_eq!(bit_range(1, -2, 6, false), Some((8, 39)));
        assert_eq!(bit_range(-2, 1, 6, false), None);
        assert_eq!(bit_range(10, -34, 6, true), Some((10, 14)));
        assert_eq!(bit_range(0, 1000, 2, true), Some((0, 15)));
        assert_eq!(bit_range(0, -1, 0, false), None);
        assert_eq!(bit_range(i64::MIN, i64::MAX, 1, true), Some((0, 7)));
    }

    #[test]
    fn folds_zero_pad_shorter_sources() {
        let mut acc = Vec::new();
        fold(&mut acc, &[0x01, 0x02, 0xFF, 0xFF], BitOp::And, true);
        fold(&mut acc, &[0x01, 0x02, 0xFF], BitOp::And, false);
        assert_eq!(acc, [0x01, 0x02, 0xFF, 0x00]);
        let mut acc = Vec::new();
        fold(&mut acc, &[0x01], BitOp::Xor, true);
        fold(&mut acc, &[0x03, 0xF0], BitOp::Xor, false);
        assert_eq!(acc, [0x02, 0xF0]);
        let mut acc = Vec::new();
        fold(&mut acc, &[], BitOp::And, true);
        fold(&mut acc, &[0xFF, 0xFF], BitOp::And, false);
        assert_eq!(acc, [0, 0]);
    }
}
