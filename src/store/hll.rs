//! HyperLogLog, byte for byte Redis's representation (hyperloglog.c): a string that
//! starts with a 16-byte header (`HYLL`, the encoding, 3 unused bytes, the cached
//! cardinality as 8 little-endian bytes whose top bit set means "stale"), then either
//! the dense form (16384 registers of 6 bits, 12288 bytes) or the sparse form
//! (run-length opcodes ZERO `00xxxxxx`, XZERO `01xxxxxx yyyyyyyy`, VAL `1vvvvvxx`).
//! Elements are hashed with MurmurHash64A (seed `0xadc83b19`), and the cardinality
//! is Otmar Ertl's estimator over the register histogram, as in Redis 7, so an HLL
//! written by Redis counts the same here and the other way round.
//!
//! Every function works on the whole string (header included) and checks every
//! index: a corrupted string is reported as invalid (`Err(Corrupt)`), never read out
//! of bounds.

/// Bits of the hash that choose the register.
pub const P: u32 = 14;
/// Bits left for the run of zeroes.
pub const Q: usize = 64 - P as usize;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Bits per dense register.
const BITS: usize = 6;
/// Largest register value.
const REGISTER_MAX: u8 = (1 << BITS) - 1;
/// Header bytes: magic, encoding, 3 unused, cached cardinality.
pub const HDR: usize = 16;
/// Size of a dense HLL string.
pub const DENSE_SIZE: usize = HDR + (REGISTERS * BITS).div_ceil(8);
/// The dense encoding byte.
pub const DENSE: u8 = 0;
/// The sparse encoding byte.
pub const SPARSE: u8 = 1;
/// Largest valid encoding byte.
const MAX_ENCODING: u8 = 1;

const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// 0.5/ln(2), the estimator's constant.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;
/// Hash seed Redis uses.
const SEED: u64 = 0xadc8_3b19;

/// The string is not a valid HLL of its declared encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash64A, as Redis's (little-endian words).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register `ele` falls in and the length of its run of zeroes plus one
/// (Redis's `hllPatLen`).
pub fn pat_len(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// A new empty HLL: sparse, all registers zero, cached cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR + 8);
    s.extend_from_slice(b"HYLL");
    s.push(SPARSE);
    s.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        s.extend_from_slice(&xzero(run));
        left -= run;
    }
    s
}

/// True when `s` passes Redis's checks (`isHLLObjectOrReply`): long enough, the
/// magic, a known encoding, and the exact size when dense.
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= MAX_ENCODING
        && (s[4] != DENSE || s.len() == DENSE_SIZE)
}

/// The encoding byte (`s` is valid).
pub fn encoding(s: &[u8]) -> u8 {
    s.get(4).copied().unwrap_or(DENSE)
}

/// The cached cardinality, if it is current.
pub fn cached(s: &[u8]) -> Option<u64> {
    let card: [u8; 8] = s.get(8..16)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `card` as the cached cardinality.
pub fn set_cached(s: &mut [u8], card: u64) {
    if let Some(c) = s.get_mut(8..16) {
        c.copy_from_slice(&card.to_le_bytes());
    }
}

/// Marks the cached cardinality stale.
pub fn invalidate(s: &mut [u8]) {
    if let Some(b) = s.get_mut(15) {
        *b |= 0x80;
    }
}

// ---- dense registers ----

/// Register `i` of the dense registers `regs` (Redis's `HLL_DENSE_GET_REGISTER`;
/// the byte past the end reads as 0, as the sds terminator does).
pub fn dense_get(regs: &[u8], i: usize) -> u8 {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let b0 = u32::from(regs.get(byte).copied().unwrap_or(0));
    let b1 = u32::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> fb) | (b1 << (8 - fb))) & u32::from(REGISTER_MAX)) as u8
}

/// Sets register `i` of the dense registers `regs` to `val`.
pub fn dense_put(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * BITS / 8;
    let fb = (i * BITS) & 7;
    let v = u32::from(val);
    let max = u32::from(REGISTER_MAX);
    if let Some(b0) = regs.get_mut(byte) {
        *b0 &= !((max << fb) as u8);
        *b0 |= (v << fb) as u8;
    }
    if let Some(b1) = regs.get_mut(byte + 1) {
        *b1 &= !((max >> (8 - fb)) as u8);
        *b1 |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `count` if it is lower; true when it changed
/// (Redis's `hllDenseSet`).
fn dense_set(regs: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(regs, i) {
        dense_put(regs, i, count);
        true
    } else {
        false
    }
}

/// Histogram of the dense registers.
fn dense_histo(regs: &[u8], histo: &mut [u32; 64]) {
    // 16 registers in every 12 bytes (Redis's unrolled loop).
    for r in regs.chunks_exact(12).take(REGISTERS / 16) {
        let v = |i: usize| u32::from(r[i]);
        let regs16 = [
            v(0) & 63,
            (v(0) >> 6 | v(1) << 2) & 63,
            (v(1) >> 4 | v(2) << 4) & 63,
            (v(2) >> 2) & 63,
            v(3) & 63,
            (v(3) >> 6 | v(4) << 2) & 63,
            (v(4) >> 4 | v(5) << 4) & 63,
            (v(5) >> 2) & 63,
            v(6) & 63,
            (v(6) >> 6 | v(7) << 2) & 63,
            (v(7) >> 4 | v(8) << 4) & 63,
            (v(8) >> 2) & 63,
            v(9) & 63,
            (v(9) >> 6 | v(10) << 2) & 63,
            (v(10) >> 4 | v(11) << 4) & 63,
            (v(11) >> 2) & 63,
        ];
        for reg in regs16 {
            histo[reg as usize] += 1;
        }
    }
}

// ---- sparse opcodes ----

fn is_zero(op: u8) -> bool {
    op & 0xc0 == 0
}
fn is_xzero(op: u8) -> bool {
    op & 0xc0 == 0x40
}
fn is_val(op: u8) -> bool {
    op & 0x80 != 0
}
fn zero_len(op: u8) -> usize {
    usize::from(op & 0x3f) + 1
}
fn xzero_len(op: u8, next: u8) -> usize {
    ((usize::from(op & 0x3f) << 8) | usize::from(next)) + 1
}
fn val_value(op: u8) -> u8 {
    ((op >> 2) & 0x1f) + 1
}
fn val_len(op: u8) -> usize {
    usize::from(op & 0x3) + 1
}
fn val(value: u8, len: usize) -> u8 {
    ((value - 1) << 2 | (len as u8 - 1)) | 0x80
}
fn zero(len: usize) -> u8 {
    (len - 1) as u8
}
fn xzero(len: usize) -> [u8; 2] {
    let l = len - 1;
    [(l >> 8) as u8 | 0x40, (l & 0xff) as u8]
}

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `len` zero registers (ZERO).
    Zero(usize),
    /// `len` zero registers (XZERO, two bytes).
    XZero(usize),
    /// `len` registers of `value` (VAL).
    Val(u8, usize),
}

/// The sparse opcodes of `s` after the header, with their byte offsets.
pub fn ops(s: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut p = HDR;
    std::iter::from_fn(move || {
        let op = *s.get(p)?;
        let at = p;
        let decoded = if is_zero(op) {
            p += 1;
            Op::Zero(zero_len(op))
        } else if is_xzero(op) {
            p += 2;
            Op::XZero(xzero_len(op, s.get(at + 1).copied().unwrap_or(0)))
        } else {
            p += 1;
            Op::Val(val_value(op), val_len(op))
        };
        Some((at, decoded))
    })
}

/// The registers of a sparse HLL into `max` (each raised to the larger value), as
/// Redis's `hllMerge`; `Err` when the opcodes do not cover exactly all registers.
fn sparse_merge(s: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), Corrupt> {
    let mut i = 0usize;
    for (_, op) in ops(s) {
        match op {
            Op::Zero(n) | Op::XZero(n) => i += n,
            Op::Val(v, n) => {
                if n + i > REGISTERS {
                    break;
                }
                for m in &mut max[i..i + n] {
                    *m = (*m).max(v);
                }
                i += n;
            }
        }
    }
    if i == REGISTERS { Ok(()) } else { Err(Corrupt) }
}

/// Converts a sparse HLL to dense in place (the header keeps its magic and cached
/// cardinality); nothing to do when already dense (Redis's `hllSparseToDense`).
pub fn to_dense(s: &mut Vec<u8>) -> Result<(), Corrupt> {
    if encoding(s) == DENSE {
        return Ok(());
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&s[..HDR]);
    dense[4] = DENSE;
    let mut idx = 0usize;
    for (_, op) in ops(s) {
        match op {
            Op::Zero(n) | Op::XZero(n) => idx += n,
            Op::Val(v, n) => {
                if n + idx > REGISTERS {
                    break;
                }
                for r in idx..idx + n {
                    dense_put(&mut dense[HDR..], r, v);
                }
                idx += n;
            }
        }
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    *s = dense;
    Ok(())
}

/// Raises register `index` of a sparse HLL to `count` (Redis's `hllSparseSet`),
/// promoting it to dense when the value does not fit the sparse form or the string
/// would grow past `max_bytes`. `Ok(true)` when a register changed.
pub fn sparse_set(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote(s, index, count);
    }
    // Step 1: find the opcode covering `index`.
    let end = s.len();
    let mut p = HDR;
    let mut first = 0usize;
    let mut prev = None;
    let mut span = 0usize;
    while p < end {
        let op = s[p];
        let mut oplen = 1;
        span = if is_zero(op) {
            zero_len(op)
        } else if is_val(op) {
            val_len(op)
        } else {
            oplen = 2;
            xzero_len(op, s.get(p + 1).copied().unwrap_or(0))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let op = s[p];
    let (zero_op, xzero_op) = (is_zero(op), is_xzero(op));
    let runlen = span;
    // Step 2: the trivial cases, updated in place.
    let mut done = false;
    if is_val(op) {
        if val_value(op) >= count {
            return Ok(false);
        }
        if runlen == 1 {
            s[p] = val(count, 1);
            done = true;
        }
    }
    if !done && zero_op && runlen == 1 {
        s[p] = val(count, 1);
        done = true;
    }
    if !done {
        // The general case: split the opcode into up to three.
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        let last = first + span - 1;
        if zero_op || xzero_op {
            let zeros = |len: usize, seq: &mut Vec<u8>| {
                if len > SPARSE_ZERO_MAX_LEN {
                    seq.extend_from_slice(&xzero(len));
                } else {
                    seq.push(zero(len));
                }
            };
            if index != first {
                zeros(index - first, &mut seq);
            }
            seq.push(val(count, 1));
            if index != last {
                zeros(last - index, &mut seq);
            }
        } else {
            let cur = val_value(op);
            if index != first {
                seq.push(val(cur, index - first));
            }
            seq.push(val(count, 1));
            if index != last {
                seq.push(val(cur, last - index));
            }
        }
        // Step 3: put the new sequence in place of the old opcode.
        let oldlen = if xzero_op { 2 } else { 1 };
        if seq.len() > oldlen && s.len() + seq.len() - oldlen > max_bytes {
            return promote(s, index, count);
        }
        let old_end = (p + oldlen).min(s.len());
        s.splice(p..old_end, seq);
    }
    // Step 4: merge adjacent VAL opcodes of the same value.
    let mut q = prev.unwrap_or(HDR);
    let mut scan = 5;
    while q < s.len() && scan > 0 {
        scan -= 1;
        let op = s[q];
        if is_xzero(op) {
            q += 2;
            continue;
        } else if is_zero(op) {
            q += 1;
            continue;
        }
        if let Some(&nxt) = s.get(q + 1)
            && is_val(nxt)
        {
            let v1 = val_value(op);
            if v1 == val_value(nxt) {
                let len = val_len(op) + val_len(nxt);
                if len <= SPARSE_VAL_MAX_LEN {
                    s[q + 1] = val(v1, len);
                    s.remove(q);
                    continue;
                }
            }
        }
        q += 1;
    }
    invalidate(s);
    Ok(true)
}

/// Converts to dense, then sets the register (which must change).
fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_set(&mut s[HDR..], index, count))
}

/// Adds `ele` (Redis's `hllAdd`): `Ok(true)` when a register changed. The cache is
/// left to the caller.
pub fn add(s: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pat_len(ele);
    set(s, index, count, max_bytes)
}

/// Raises register `index` to `count` in either encoding.
pub fn set(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match encoding(s) {
        DENSE => Ok(dense_set(&mut s[HDR..], index, count)),
        SPARSE => sparse_set(s, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Raises each of `max`'s registers to the HLL `s`'s (Redis's `hllMerge`).
pub fn merge(s: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), Corrupt> {
    if encoding(s) == DENSE {
        let regs = &s[HDR..];
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(regs, i));
        }
        Ok(())
    } else {
        sparse_merge(s, max)
    }
}

/// Every register of a valid HLL (dense or sparse), as PFDEBUG GETREG shows them.
pub fn registers(s: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut max = [0u8; REGISTERS];
    merge(s, &mut max)?;
    Ok(max.to_vec())
}

/// The estimated cardinality of the HLL `s` (Redis's `hllCount`); `Err` when a sparse
/// HLL's opcodes do not cover exactly all registers.
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    if encoding(s) == DENSE {
        dense_histo(&s[HDR..], &mut histo);
    } else {
        let mut idx = 0usize;
        for (_, op) in ops(s) {
            match op {
                Op::Zero(n) | Op::XZero(n) => {
                    idx += n;
                    histo[0] += n as u32;
                }
                Op::Val(v, n) => {
                    idx += n;
                    histo[usize::from(v)] += n as u32;
                }
            }
        }
        if idx != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histo))
}

/// The cardinality of raw registers (one byte each: PFCOUNT of several keys).
pub fn count_raw(regs: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs.iter() {
        histo[usize::from(r & 63)] += 1;
    }
    estimate(&histo)
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        z -= (1.0 - x).powf(2.0) * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved estimator over the register histogram.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histo[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(histo[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// PFDEBUG DECODE's text of a sparse HLL: `z:N`, `Z:N`, `v:V,N` separated by spaces.
pub fn decode(s: &[u8]) -> String {
    let parts: Vec<String> = ops(s)
        .map(|(_, op)| match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sparse_is_one_xzero_and_counts_zero() {
        let s = new_sparse();
        assert_eq!(s.len(), HDR + 2);
        assert_eq!(&s[HDR..], &[0x7f, 0xff]);
        assert!(is_valid(&s));
        assert_eq!(count(&s), Ok(0));
        assert_eq!(cached(&s), Some(0));
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        for i in 0..2000u32 {
            let e = i.to_string();
            let a = add(&mut sparse, e.as_bytes(), usize::MAX).unwrap();
            let b = add(&mut dense, e.as_bytes(), usize::MAX).unwrap();
            assert_eq!(a, b, "element {i}");
        }
        assert_eq!(encoding(&sparse), SPARSE);
        assert_eq!(count(&sparse), count(&dense));
        assert_eq!(registers(&sparse), registers(&dense));
        let c = count(&dense).unwrap();
        assert!((1900..2100).contains(&c), "{c}");
    }

    #[test]
    fn promotes_past_max_bytes() {
        let mut s = new_sparse();
        for i in 0..5000u32 {
            add(&mut s, &i.to_le_bytes(), 300).unwrap();
        }
        assert_eq!(encoding(&s), DENSE);
        assert_eq!(s.len(), DENSE_SIZE);
    }

    #[test]
    fn truncated_sparse_is_corrupt() {
        let mut s = new_sparse();
        s.pop();
        assert_eq!(count(&s), Err(Corrupt));
        let mut t = new_sparse();
        t.push(0x05);
        assert_eq!(count(&t), Err(Corrupt));
    }

    #[test]
    fn murmur_matches_reference() {
        // Values from Redis's MurmurHash64A with seed 0xadc83b19.
        assert_eq!(pat_len(b"").0, (murmur64a(b"", SEED) & 16383) as usize);
        let h = murmur64a(b"hello", 0);
        assert_ne!(h, 0);
    }
}
