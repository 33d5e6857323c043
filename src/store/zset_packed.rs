//! The packed encoding of a small sorted set (Redis's listpack idea): one exactly
//! sized byte buffer, the entry count (u32 LE) then the entries in order, each
//! `score | member length (LEB128) | member`. An empty set has no buffer at all.
//!
//! A score takes 1 byte when it is a small integer (the common case: counters,
//! ranks, timestamps in buckets), 3 or 5 bytes for 16- and 32-bit integers, and 9
//! bytes otherwise: tag [`F64`] then the f64 (as Redis's listpack stores integral
//! scores as integers).

use std::cmp::Ordering;

use super::order;

/// Tag bytes below this are a score of `tag - SMALL_BIAS`.
const SMALL_END: u8 = 0xE0;
/// Offset of 1-byte scores: they cover -112..=111.
const SMALL_BIAS: i64 = 0x70;
/// Tag of a score stored as an i16 (2 bytes LE).
const I16: u8 = 0xE0;
/// Tag of a score stored as an i32 (4 bytes LE).
const I32: u8 = 0xE1;
/// Tag of a score stored as an f64 (8 bytes LE).
const F64: u8 = 0xE2;

/// Bytes of the entry count at the start of the buffer.
const HEADER: usize = 4;

/// The packed encoding; see the module docs. A single field, so that the enum that
/// holds it stays 24 bytes.
#[derive(Debug, Clone, Default)]
pub(super) struct Packed {
    pub(super) buf: Box<[u8]>,
}

/// The integer a score is, if it is one that fits an i32 (not -0, which must keep
/// its sign).
fn as_int(score: f64) -> Option<i32> {
    let integral = score == score.trunc() && !(score == 0.0 && score.is_sign_negative());
    (integral && score >= f64::from(i32::MIN) && score <= f64::from(i32::MAX))
        .then_some(score as i32)
}

/// Bytes the score takes.
fn score_size(score: f64) -> usize {
    match as_int(score).map(i64::from) {
        Some(n) if (-SMALL_BIAS..i64::from(SMALL_END) - SMALL_BIAS).contains(&n) => 1,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(_) => 5,
        None => 9,
    }
}

/// Writes the score (exactly `score_size` bytes).
fn write_score(out: &mut [u8], score: f64) {
    match (score_size(score), as_int(score)) {
        (1, Some(n)) => out[0] = (i64::from(n) + SMALL_BIAS) as u8,
        (3, Some(n)) => {
            out[0] = I16;
            out[1..3].copy_from_slice(&(n as i16).to_le_bytes());
        }
        (5, Some(n)) => {
            out[0] = I32;
            out[1..5].copy_from_slice(&n.to_le_bytes());
        }
        _ => {
            out[0] = F64;
            out[1..9].copy_from_slice(&score.to_le_bytes());
        }
    }
}

/// The score at `off` and the offset after it.
fn read_score(buf: &[u8], off: usize) -> Option<(f64, usize)> {
    let tag = *buf.get(off)?;
    let bytes = |n: usize| buf.get(off + 1..off + 1 + n);
    Some(match tag {
        t if t < SMALL_END => ((i64::from(t) - SMALL_BIAS) as f64, off + 1),
        I16 => (
            f64::from(i16::from_le_bytes(bytes(2)?.try_into().ok()?)),
            off + 3,
        ),
        I32 => (
            f64::from(i32::from_le_bytes(bytes(4)?.try_into().ok()?)),
            off + 5,
        ),
        _ => (f64::from_le_bytes(bytes(8)?.try_into().ok()?), off + 9),
    })
}

/// The entry at `off`: member, score, and the offset of the next entry.
pub(super) fn read_entry(buf: &[u8], off: usize) -> Option<(&[u8], f64, usize)> {
    let (score, mut at) = read_score(buf, off)?;
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = *buf.get(at)?;
        at += 1;
        len |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let member = buf.get(at..at.checked_add(len)?)?;
    Some((member, score, at + len))
}

/// Bytes an entry takes.
fn entry_size(member: &[u8], score: f64) -> usize {
    let mut varint = 1;
    let mut n = member.len() >> 7;
    while n > 0 {
        varint += 1;
        n >>= 7;
    }
    score_size(score) + varint + member.len()
}

/// Writes an entry into `out` (exactly `entry_size` bytes).
fn write_entry(out: &mut [u8], member: &[u8], score: f64) {
    write_score(out, score);
    let mut at = score_size(score);
    let mut n = member.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        out[at] = if n > 0 { b | 0x80 } else { b };
        at += 1;
        if n == 0 {
            break;
        }
    }
    out[at..at + member.len()].copy_from_slice(member);
}

impl Packed {
    /// Number of entries.
    pub(super) fn len(&self) -> usize {
        self.buf
            .get(..HEADER)
            .and_then(|h| h.try_into().ok())
            .map_or(0, |h| u32::from_le_bytes(h) as usize)
    }

    /// Offset of the first entry.
    fn start(&self) -> usize {
        HEADER.min(self.buf.len())
    }

    /// Offset just past the last entry (where an entry that sorts last goes).
    pub(super) fn end(&self) -> usize {
        self.buf.len().max(HEADER)
    }

    /// Replaces the buffer by `buf` holding `len` entries (none when empty).
    fn store(&mut self, mut buf: Vec<u8>, len: usize) {
        if len == 0 {
            self.buf = Box::default();
            return;
        }
        buf[..HEADER].copy_from_slice(&(len as u32).to_le_bytes());
        self.buf = buf.into_boxed_slice();
    }
    /// `(offset, member, score)` of each entry, ascending.
    pub(super) fn iter_offsets(&self) -> impl Iterator<Item = (usize, &[u8], f64)> {
        let buf = &self.buf;
        let mut off = self.start();
        std::iter::from_fn(move || {
            let (m, s, next) = read_entry(buf, off)?;
            let here = off;
            off = next;
            Some((here, m, s))
        })
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> {
        self.iter_offsets().map(|(_, m, s)| (m, s))
    }

    /// Rank, offset and score of `member`.
    pub(super) fn find(&self, member: &[u8]) -> Option<(usize, usize, f64)> {
        self.iter_offsets()
            .enumerate()
            .find(|(_, (_, m, _))| *m == member)
            .map(|(rank, (off, _, s))| (rank, off, s))
    }

    /// Inserts an entry at `off`, reallocating the buffer to its exact new size.
    fn splice_in(&mut self, off: usize, member: &[u8], score: f64) {
        let size = entry_size(member, score);
        let len = self.len() + 1;
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        let old_len = buf.len().max(HEADER);
        buf.reserve_exact(old_len + size - buf.len());
        buf.resize(old_len + size, 0);
        let off = off.max(HEADER);
        buf.copy_within(off..old_len, off + size);
        write_entry(&mut buf[off..off + size], member, score);
        self.store(buf, len);
    }

    /// Appends an entry that sorts after every other.
    pub(super) fn push(&mut self, member: &[u8], score: f64) {
        self.splice_in(self.end(), member, score);
    }

    /// Inserts an absent member at its place.
    pub(super) fn insert_sorted(&mut self, member: &[u8], score: f64) {
        let off = self
            .iter_offsets()
            .find(|&(_, m, s)| order((s, m), (score, member)) == Ordering::Greater)
            .map_or(self.end(), |(off, _, _)| off);
        self.splice_in(off, member, score);
    }

    /// Removes the entry at `off`.
    pub(super) fn remove_at(&mut self, off: usize) {
        if let Some((_, _, next)) = read_entry(&self.buf, off) {
            self.cut(off, next, 1);
        }
    }

    /// Removes `count` entries from ascending rank `start`.
    pub(super) fn remove_ranks(&mut self, start: usize, count: usize) {
        let (from, to) = {
            let mut offs = self.iter_offsets().map(|(off, _, _)| off).skip(start);
            let Some(from) = offs.next() else { return };
            (from, offs.nth(count - 1).unwrap_or(self.end()))
        };
        self.cut(from, to, count);
    }

    /// Removes the bytes `from..to` (`count` entries), reallocating the buffer to its
    /// exact new size.
    fn cut(&mut self, from: usize, to: usize, count: usize) {
        let len = self.len() - count;
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(from..to);
        self.store(buf, len);
    }
}
