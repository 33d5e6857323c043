//! Packed list nodes (Redis's listpack, simplified): one byte buffer of entries.
//!
//! An entry is a header, its payload, and a "back length" that lets a reader walk
//! backwards (pops from the tail, negative ranks):
//!
//! | header              | payload                      |
//! |---------------------|------------------------------|
//! | `0xxxxxxx`          | a string of 0..=127 bytes    |
//! | `10xxxxxx` + 1 byte | a string of up to 16383 bytes (14-bit length) |
//! | `11000nnn`          | an integer in `nnn + 1` little-endian bytes  |
//! | `0xF0` + 8 bytes    | a longer string (64-bit length) |
//!
//! The back length is the size of header + payload in 7-bit groups, the lowest group
//! last, each group but the first flagged with the top bit: one byte for entries
//! under 128 bytes. A 16-byte string costs 18 bytes, a 5-digit number 4.
//!
//! Pops at the front only move `start` forward (the gap is reclaimed once it is
//! larger than the content, or reused by a push at the front), so a queue fed at one
//! end and drained at the other never moves bytes per element.

use crate::store::item::{Item, OwnedItem};

/// Tag of an integer entry; the low 3 bits are its byte count minus one.
const INT_TAG: u8 = 0xC0;
/// Tag of a string entry with a 64-bit length.
const BIG_TAG: u8 = 0xF0;
/// Longest string with a one-byte header.
const SHORT_MAX: usize = 0x7F;
/// Longest string with a two-byte header.
const MEDIUM_MAX: usize = 0x3FFF;

/// Bytes of the minimal two's complement form of `n` (1..=8).
fn int_width(n: i64) -> usize {
    let bits = if n < 0 {
        65 - n.leading_ones()
    } else {
        65 - n.leading_zeros()
    };
    (bits as usize).div_ceil(8).clamp(1, 8)
}

/// Bytes of header + payload.
fn body_len(item: Item<'_>) -> usize {
    match item {
        Item::Int(n) => 1 + int_width(n),
        Item::Str(s) if s.len() <= SHORT_MAX => 1 + s.len(),
        Item::Str(s) if s.len() <= MEDIUM_MAX => 2 + s.len(),
        Item::Str(s) => 9 + s.len(),
    }
}

/// Bytes of the back length of a body of `body` bytes.
fn backlen_len(body: usize) -> usize {
    let bits = usize::BITS - body.leading_zeros();
    (bits as usize).div_ceil(7).max(1)
}

/// Bytes `item` takes in a node.
pub fn encoded_len(item: Item<'_>) -> usize {
    let body = body_len(item);
    body + backlen_len(body)
}

/// Writes `item` into `out`, which is exactly [`encoded_len`] bytes.
fn encode(item: Item<'_>, out: &mut [u8]) {
    let body = body_len(item);
    match item {
        Item::Int(n) => {
            let width = body - 1;
            out[0] = INT_TAG | (width as u8 - 1);
            out[1..body].copy_from_slice(&n.to_le_bytes()[..width]);
        }
        Item::Str(s) => {
            let len = s.len();
            let head = body - len;
            match head {
                1 => out[0] = len as u8,
                2 => {
                    out[0] = 0x80 | (len >> 8) as u8;
                    out[1] = len as u8;
                }
                _ => {
                    out[0] = BIG_TAG;
                    out[1..9].copy_from_slice(&(len as u64).to_le_bytes());
                }
            }
            out[head..body].copy_from_slice(s);
        }
    }
    let groups = backlen_len(body);
    for g in 0..groups {
        // Group g (lowest first) sits g bytes before the end; all but the first in
        // memory carry the "more before" flag.
        let byte = ((body >> (7 * g)) & 0x7F) as u8;
        let flag = if g + 1 < groups { 0x80 } else { 0 };
        out[body + groups - 1 - g] = byte | flag;
    }
}

/// The entry at `off` and the size of its header + payload.
fn decode(buf: &[u8], off: usize) -> (Item<'_>, usize) {
    let tag = buf[off];
    if tag as usize <= SHORT_MAX {
        let len = tag as usize;
        (Item::Str(&buf[off + 1..off + 1 + len]), 1 + len)
    } else if tag < INT_TAG {
        let len = ((tag as usize & 0x3F) << 8) | buf[off + 1] as usize;
        (Item::Str(&buf[off + 2..off + 2 + len]), 2 + len)
    } else if tag < BIG_TAG {
        let width = (tag & 0x07) as usize + 1;
        let mut raw = [0u8; 8];
        raw[..width].copy_from_slice(&buf[off + 1..off + 1 + width]);
        let shift = 64 - 8 * width as u32;
        let n = (i64::from_le_bytes(raw) << shift) >> shift;
        (Item::Int(n), 1 + width)
    } else {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&buf[off + 1..off + 9]);
        let len = u64::from_le_bytes(raw) as usize;
        (Item::Str(&buf[off + 9..off + 9 + len]), 9 + len)
    }
}

/// Start of the entry that ends at `end`.
fn prev_start(buf: &[u8], end: usize) -> usize {
    let mut pos = end - 1;
    let mut body = (buf[pos] & 0x7F) as usize;
    let mut shift = 7;
    while buf[pos] & 0x80 != 0 {
        pos -= 1;
        body |= ((buf[pos] & 0x7F) as usize) << shift;
        shift += 7;
    }
    pos - body
}

/// Usable size of a glibc allocation of `n` bytes (16-byte chunks with an 8-byte
/// header): asking for exactly this wastes nothing.
fn malloc_usable(n: usize) -> usize {
    (n.saturating_add(8 + 15) & !15).saturating_sub(8).max(n)
}

/// Buffers below this grow to the exact size (one realloc per push, as a listpack);
/// larger ones by a quarter, so a full node wastes little.
const EXACT_GROWTH_BELOW: usize = 256;

/// A packed node: `buf[start..]` holds `count` entries.
#[derive(Debug, Default)]
pub struct Node {
    buf: Vec<u8>,
    start: u32,
    count: u32,
}

impl Clone for Node {
    fn clone(&self) -> Node {
        Node {
            buf: self.content().to_vec(),
            start: 0,
            count: self.count,
        }
    }
}

impl Node {
    /// A node holding only `item`.
    pub fn with_item(item: Item<'_>) -> Node {
        let size = encoded_len(item);
        let mut node = Node {
            buf: Vec::with_capacity(malloc_usable(size)),
            start: 0,
            count: 0,
        };
        node.insert(0, item, usize::MAX);
        node
    }

    /// Entries held.
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// Bytes of the entries.
    pub fn bytes(&self) -> usize {
        self.buf.len() - self.start as usize
    }

    /// Bytes allocated (for tests of the growth policy).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Heap bytes of the buffer.
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// The packed entries.
    fn content(&self) -> &[u8] {
        &self.buf[self.start as usize..]
    }

    /// Offset of the first entry (offsets below are into the node's buffer).
    pub fn first(&self) -> usize {
        self.start as usize
    }

    /// Offset just past the last entry.
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    /// The entry at `off` and the offset of the next one.
    pub fn read(&self, off: usize) -> (Item<'_>, usize) {
        let (item, body) = decode(&self.buf, off);
        (item, off + body + backlen_len(body))
    }

    /// Offset of the entry that ends at `end`.
    pub fn prev(&self, end: usize) -> usize {
        prev_start(&self.buf, end)
    }

    /// Offset of entry `k` (0-based, `k < count`), walking from the nearer end.
    pub fn nth(&self, k: usize) -> usize {
        let count = self.count();
        if k < count / 2 {
            let mut off = self.first();
            for _ in 0..k {
                off = self.read(off).1;
            }
            off
        } else {
            let mut off = self.end();
            for _ in k..count {
                off = self.prev(off);
            }
            off
        }
    }

    /// Makes room for `extra` more bytes at the end, reclaiming the front gap first;
    /// growth stops at `cap_hint` (the node's size limit) when that suffices.
    fn reserve(&mut self, extra: usize, cap_hint: usize) {
        if self.buf.len() + extra <= self.buf.capacity() {
            return;
        }
        self.compact();
        let needed = self.buf.len() + extra;
        let cap = self.buf.capacity();
        if needed <= cap {
            return;
        }
        let mut target = if cap < EXACT_GROWTH_BELOW {
            needed
        } else {
            needed.max(cap + cap / 4)
        };
        target = malloc_usable(target);
        if target > cap_hint {
            target = needed.max(cap_hint);
        }
        self.buf.reserve_exact(target - self.buf.len());
    }

    /// Moves the entries to the start of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start as usize);
            self.start = 0;
        }
    }

    /// Makes `off` the first entry's offset, dropping the bytes before it at once
    /// when the gap would not fit `start` (only after a multi-gigabyte entry).
    fn set_start(&mut self, off: usize) {
        match u32::try_from(off) {
            Ok(start) => self.start = start,
            Err(_) => {
                self.buf.drain(..off);
                self.start = 0;
            }
        }
    }

    /// Gives back memory after removals: reclaims a front gap larger than the content
    /// and a capacity more than twice the content (amortized O(1) per removed byte).
    fn tidy(&mut self) {
        if self.start as usize > self.bytes() {
            self.compact();
        }
        let len = self.buf.len();
        if self.buf.capacity() > 2 * len + 64 {
            self.compact();
            let len = self.buf.len();
            self.buf.shrink_to(malloc_usable(len + len / 4));
        }
    }

    /// Inserts `item` at offset `off` (an entry boundary); `cap_hint` bounds growth.
    pub fn insert(&mut self, off: usize, item: Item<'_>, cap_hint: usize) {
        let size = encoded_len(item);
        let start = self.start as usize;
        if off == start && start >= size {
            // Reuse the gap left by pops at the front.
            let at = start - size;
            encode(item, &mut self.buf[at..start]);
            self.start = at as u32;
            self.count += 1;
            return;
        }
        // Offsets move when the front gap is reclaimed.
        let rel = off - start;
        self.reserve(size, cap_hint);
        let off = self.first() + rel;
        let old_len = self.buf.len();
        self.buf.resize(old_len + size, 0);
        self.buf.copy_within(off..old_len, off + size);
        encode(item, &mut self.buf[off..off + size]);
        self.count += 1;
    }

    /// Appends `item` after the last entry.
    pub fn push_back(&mut self, item: Item<'_>, cap_hint: usize) {
        self.insert(self.end(), item, cap_hint);
    }

    /// Removes the entry at `off` and returns it.
    pub fn remove(&mut self, off: usize) -> OwnedItem {
        let (item, next) = self.read(off);
        let elem = item.to_owned_item();
        if off == self.first() {
            self.set_start(next);
        } else {
            self.buf.drain(off..next);
        }
        self.count -= 1;
        self.tidy();
        elem
    }

    /// Replaces the entry at `off` with `item`.
    pub fn replace(&mut self, off: usize, item: Item<'_>) {
        let old = self.read(off).1 - off;
        let size = encoded_len(item);
        // Offsets move when the front gap is reclaimed.
        let rel = off - self.first();
        if size > old {
            self.reserve(size - old, 0);
        }
        let off = self.first() + rel;
        let len = self.buf.len();
        if size > old {
            self.buf.resize(len + size - old, 0);
            self.buf.copy_within(off + old..len, off + size);
        } else if size < old {
            self.buf.copy_within(off + old..len, off + size);
            self.buf.truncate(len - (old - size));
        }
        encode(item, &mut self.buf[off..off + size]);
        self.tidy();
    }

    /// Removes the first `n` entries (`n <= count`).
    pub fn remove_front(&mut self, n: usize) {
        let mut off = self.first();
        for _ in 0..n {
            off = self.read(off).1;
        }
        self.buf.drain(..off);
        self.start = 0;
        self.count -= n as u32;
        self.tidy();
    }

    /// Removes the last `n` entries (`n <= count`).
    pub fn remove_back(&mut self, n: usize) {
        let mut end = self.end();
        for _ in 0..n {
            end = self.prev(end);
        }
        self.buf.truncate(end);
        self.count -= n as u32;
        self.tidy();
    }

    /// Splits off the entries from offset `off` (an entry boundary; `before` entries
    /// precede it) into a new node.
    pub fn split_off(&mut self, off: usize, before: usize) -> Node {
        let tail = &self.buf[off..];
        let mut rest = Vec::with_capacity(malloc_usable(tail.len()));
        rest.extend_from_slice(tail);
        let rest = Node {
            buf: rest,
            start: 0,
            count: self.count - before as u32,
        };
        self.buf.truncate(off);
        self.count = before as u32;
        self.tidy();
        rest
    }

    /// Appends all of `other`'s entries.
    pub fn append(&mut self, other: &Node) {
        self.reserve(other.bytes(), 0);
        self.buf.extend_from_slice(other.content());
        self.count += other.count;
    }

    /// Removes entries equal to `needle`, at most `limit` of them (`usize::MAX` for
    /// all), scanning from the front or (`from_tail`) from the back; one pass moving
    /// each kept byte once. Returns how many it removed.
    pub fn remove_matching(&mut self, needle: Item<'_>, limit: usize, from_tail: bool) -> usize {
        let mut removed = 0;
        if from_tail {
            // Kept entries slide towards the end; the freed front becomes the gap.
            let (mut read, mut write) = (self.end(), self.end());
            let first = self.first();
            while read > first {
                let at = self.prev(read);
                if removed < limit && decode(&self.buf, at).0 == needle {
                    removed += 1;
                } else {
                    let size = read - at;
                    self.buf.copy_within(at..read, write - size);
                    write -= size;
                }
                read = at;
            }
            self.set_start(write);
        } else {
            let (mut read, mut write) = (self.first(), self.first());
            let end = self.end();
            while read < end {
                let (item, next) = self.read(read);
                if removed < limit && item == needle {
                    removed += 1;
                } else {
                    self.buf.copy_within(read..next, write);
                    write += next - read;
                }
                read = next;
            }
            self.buf.truncate(write);
        }
        self.count -= removed as u32;
        self.tidy();
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_both_ways() {
        let long = vec![b'x'; 20000];
        let medium = vec![b'y'; 300];
        let items = [
            Item::Int(0),
            Item::Int(-1),
            Item::Int(127),
            Item::Int(128),
            Item::Int(-129),
            Item::Int(i64::MAX),
            Item::Int(i64::MIN),
            Item::Str(b""),
            Item::Str(b"hello"),
            Item::Str(&medium),
            Item::Str(&long),
        ];
        let mut node = Node::default();
        for item in items {
            node.push_back(item, usize::MAX);
        }
        let mut off = node.first();
        for item in items {
            let (got, next) = node.read(off);
            assert_eq!(got, item);
            off = next;
        }
        assert_eq!(off, node.end());
        let mut end = node.end();
        for item in items.iter().rev() {
            end = node.prev(end);
            assert_eq!(node.read(end).0, *item);
        }
        assert_eq!(end, node.first());
    }

    #[test]
    fn sizes_are_compact() {
        assert_eq!(encoded_len(Item::Str(&[b'a'; 16])), 18);
        assert_eq!(encoded_len(Item::from_bytes(b"12345")), 4);
        assert_eq!(encoded_len(Item::from_bytes(b"7")), 3);
        assert_eq!(encoded_len(Item::Str(&[b'a'; 200])), 204);
        assert_eq!(Item::from_bytes(b"007"), Item::Str(b"007"));
    }

    #[test]
    fn front_gap_is_reused_and_reclaimed() {
        let mut node = Node::default();
        for i in 0..100 {
            node.push_back(Item::Int(i), usize::MAX);
        }
        assert_eq!(node.remove(node.first()), OwnedItem::Int(0));
        assert!(node.first() > 0);
        node.insert(node.first(), Item::Int(-5), usize::MAX);
        assert_eq!(node.first(), 0);
        for _ in 0..90 {
            node.remove(node.first());
        }
        assert_eq!(node.count(), 10);
        assert!(node.first() <= node.bytes());
        assert!(node.capacity() <= 2 * node.bytes() + 64);
    }

    #[test]
    fn growth_stops_at_the_hint() {
        let mut node = Node::default();
        let item = Item::Str(&[b'v'; 16]);
        while node.bytes() + 18 <= 8192 {
            node.push_back(item, 8192);
        }
        assert_eq!(node.capacity(), 8192);
    }
}
