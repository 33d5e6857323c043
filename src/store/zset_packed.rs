//! The packed encoding of a small sorted set (Redis's listpack idea): one sorted
//! byte buffer of entries `score (f64, 8 bytes LE) | member length (LEB128) | member`.

use std::cmp::Ordering;

use super::order;

/// The packed encoding; see the module docs.
#[derive(Debug, Clone, Default)]
pub(super) struct Packed {
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
}

/// The entry at `off`: member, score, and the offset of the next entry.
pub(super) fn read_entry(buf: &[u8], off: usize) -> Option<(&[u8], f64, usize)> {
    let score = f64::from_le_bytes(buf.get(off..off + 8)?.try_into().ok()?);
    let mut at = off + 8;
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = *buf.get(at)?;
        at += 1;
        len |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let member = buf.get(at..at + len)?;
    Some((member, score, at + len))
}

/// Bytes an entry takes.
fn entry_size(member_len: usize) -> usize {
    let mut varint = 1;
    let mut n = member_len >> 7;
    while n > 0 {
        varint += 1;
        n >>= 7;
    }
    8 + varint + member_len
}

/// Writes an entry into `out` (exactly `entry_size` bytes).
fn write_entry(out: &mut [u8], member: &[u8], score: f64) {
    out[..8].copy_from_slice(&score.to_le_bytes());
    let mut at = 8;
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
    /// `(offset, member, score)` of each entry, ascending.
    pub(super) fn iter_offsets(&self) -> impl Iterator<Item = (usize, &[u8], f64)> {
        let buf = &self.buf;
        let mut off = 0;
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

    /// Inserts `bytes` at `off`, growing the buffer exactly (a packed set stays tight).
    fn splice_in(&mut self, off: usize, member: &[u8], score: f64) {
        let size = entry_size(member.len());
        self.buf.reserve_exact(size);
        let old_len = self.buf.len();
        self.buf.resize(old_len + size, 0);
        self.buf.copy_within(off..old_len, off + size);
        write_entry(&mut self.buf[off..off + size], member, score);
        self.len += 1;
    }

    /// Appends an entry that sorts after every other.
    pub(super) fn push(&mut self, member: &[u8], score: f64) {
        self.splice_in(self.buf.len(), member, score);
    }

    /// Inserts an absent member at its place.
    pub(super) fn insert_sorted(&mut self, member: &[u8], score: f64) {
        let off = self
            .iter_offsets()
            .find(|&(_, m, s)| order((s, m), (score, member)) == Ordering::Greater)
            .map_or(self.buf.len(), |(off, _, _)| off);
        self.splice_in(off, member, score);
    }

    /// Removes the entry at `off`.
    pub(super) fn remove_at(&mut self, off: usize) {
        if let Some((_, _, next)) = read_entry(&self.buf, off) {
            self.buf.drain(off..next);
            self.len -= 1;
            self.shrink();
        }
    }

    /// Removes `count` entries from ascending rank `start`.
    pub(super) fn remove_ranks(&mut self, start: usize, count: usize) {
        let (from, to) = {
            let mut offs = self.iter_offsets().map(|(off, _, _)| off).skip(start);
            let Some(from) = offs.next() else { return };
            (from, offs.nth(count - 1).unwrap_or(self.buf.len()))
        };
        self.buf.drain(from..to);
        self.len -= count;
        self.shrink();
    }

    /// Gives back memory once a quarter of the buffer is unused.
    fn shrink(&mut self) {
        if self.buf.capacity() > self.buf.len() + self.buf.len() / 4 + 16 {
            self.buf.shrink_to_fit();
        }
    }
}
