//! One node of a stream: up to `stream-node-max-entries` entries packed in one byte
//! buffer, in the spirit of Redis's stream listpacks.
//!
//! Layout (all integers are LEB128 varints):
//! - the master fields: a count, then each field as length + bytes (the fields of the
//!   node's first entry);
//! - then each entry: a flags byte ([`DELETED`], [`SAMEFIELDS`]), the ms part of its ID
//!   minus the master ID's, the seq part minus the master's (zigzag: it may be
//!   negative), then, unless `SAMEFIELDS`, a field count and the fields, then the
//!   values (length + bytes), one per field.
//!
//! An entry with the master's fields stores only its values, so a stream of uniform
//! records costs a few bytes per entry above the values themselves. A deleted entry
//! is only flagged (as Redis does) until its whole node goes.

use super::id::StreamId;

/// Flag: the entry is deleted.
pub const DELETED: u8 = 1;
/// Flag: the entry has exactly the master fields, stored once in the header.
pub const SAMEFIELDS: u8 = 2;

/// A node of entries; its master ID is its key in the stream's tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    data: Vec<u8>,
    /// Entries not deleted.
    pub live: u32,
    /// Entries flagged deleted.
    pub deleted: u32,
}

/// Where an entry is inside its block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawEntry {
    /// The entry's ID.
    pub id: StreamId,
    /// Its flags byte.
    pub flags: u8,
    /// Offset of the flags byte.
    pub flag_pos: usize,
    /// Offset after the ID (field count or values).
    pub body: usize,
    /// Offset after the entry.
    pub end: usize,
}

impl RawEntry {
    /// True unless the entry is deleted.
    pub fn is_live(&self) -> bool {
        self.flags & DELETED == 0
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Reads a varint at `*pos`; a malformed one reads as 0 past the end (blocks are only
/// built by this module, so this never happens on valid data).
fn get_varint(data: &[u8], pos: &mut usize) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    while let Some(&b) = data.get(*pos) {
        *pos += 1;
        if shift < 64 {
            n |= u64::from(b & 0x7f) << shift;
        }
        if b & 0x80 == 0 {
            return n;
        }
        shift += 7;
    }
    n
}

fn get_bytes<'a>(data: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let len = get_varint(data, pos) as usize;
    let start = (*pos).min(data.len());
    let end = start.saturating_add(len).min(data.len());
    *pos = end;
    &data[start..end]
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

impl Block {
    /// A node whose master fields are those of its first entry, `pairs`.
    pub fn new(pairs: &[(&[u8], &[u8])]) -> Block {
        let fields: Vec<&[u8]> = pairs.iter().map(|(f, _)| *f).collect();
        Block::with_fields(&fields)
    }

    /// An empty node with these master fields.
    pub fn with_fields(fields: &[&[u8]]) -> Block {
        let mut data = Vec::with_capacity(64);
        put_varint(&mut data, fields.len() as u64);
        for f in fields {
            put_varint(&mut data, f.len() as u64);
            data.extend_from_slice(f);
        }
        Block {
            data,
            live: 0,
            deleted: 0,
        }
    }

    /// Appends an entry as loaded from a file, flagged deleted when `deleted`.
    pub fn append_entry(
        &mut self,
        master: StreamId,
        id: StreamId,
        pairs: &[(&[u8], &[u8])],
        deleted: bool,
    ) {
        let at = self.data.len();
        self.append(master, id, pairs);
        if deleted {
            self.data[at] |= DELETED;
            self.live -= 1;
            self.deleted += 1;
        }
    }

    /// Bytes the node's buffer uses.
    pub fn byte_len(&self) -> usize {
        self.data.len()
    }

    /// Bytes allocated for the node's buffer.
    pub fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Entries including deleted ones (what the node limit counts).
    pub fn count(&self) -> usize {
        (self.live + self.deleted) as usize
    }

    /// Releases spare capacity once no entry will be appended any more.
    pub fn seal(&mut self) {
        self.data.shrink_to_fit();
    }

    /// The master fields and the offset of the first entry.
    pub fn master_fields(&self) -> (Vec<&[u8]>, usize) {
        let mut pos = 0;
        let n = get_varint(&self.data, &mut pos) as usize;
        let mut fields = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            fields.push(get_bytes(&self.data, &mut pos));
        }
        (fields, pos)
    }

    /// Appends entry `id` (greater than every ID in the node; `master` is the node's
    /// key) with `pairs`.
    pub fn append(&mut self, master: StreamId, id: StreamId, pairs: &[(&[u8], &[u8])]) {
        let (fields, _) = self.master_fields();
        let same =
            fields.len() == pairs.len() && fields.iter().zip(pairs).all(|(m, (f, _))| *m == *f);
        let extra: usize = pairs
            .iter()
            .map(|(f, v)| f.len() + v.len() + 10)
            .sum::<usize>()
            + 24;
        if self.data.capacity() - self.data.len() < extra {
            // Grow by at least a quarter: appends stay amortised O(1), and a node
            // wastes little once sealed.
            self.data.reserve_exact(extra.max(self.data.len() / 4));
        }
        self.data.push(if same { SAMEFIELDS } else { 0 });
        put_varint(&mut self.data, id.ms.wrapping_sub(master.ms));
        put_varint(
            &mut self.data,
            zigzag(id.seq.wrapping_sub(master.seq) as i64),
        );
        if !same {
            put_varint(&mut self.data, pairs.len() as u64);
            for (f, _) in pairs {
                put_varint(&mut self.data, f.len() as u64);
                self.data.extend_from_slice(f);
            }
        }
        for (_, v) in pairs {
            put_varint(&mut self.data, v.len() as u64);
            self.data.extend_from_slice(v);
        }
        self.live += 1;
    }

    /// Bytes an entry of `pairs` would add at most (for the node size limit).
    pub fn entry_cost(pairs: &[(&[u8], &[u8])]) -> usize {
        pairs
            .iter()
            .map(|(f, v)| {
                f.len() + v.len() + varint_len(f.len() as u64) + varint_len(v.len() as u64)
            })
            .sum::<usize>()
            + 3
    }

    /// Every entry (deleted ones too), in ID order.
    pub fn entries(&self, master: StreamId) -> Vec<RawEntry> {
        let (fields, mut pos) = self.master_fields();
        let nmaster = fields.len();
        let mut out = Vec::with_capacity(self.count());
        while pos < self.data.len() {
            let entry = self.decode(master, pos, nmaster);
            pos = entry.end;
            out.push(entry);
        }
        out
    }

    /// Decodes the entry at `pos`.
    fn decode(&self, master: StreamId, pos: usize, nmaster: usize) -> RawEntry {
        let data = &self.data;
        let flag_pos = pos;
        let flags = data[pos];
        let mut p = pos + 1;
        let ms = master.ms.wrapping_add(get_varint(data, &mut p));
        let seq = master
            .seq
            .wrapping_add(unzigzag(get_varint(data, &mut p)) as u64);
        let body = p;
        let n = if flags & SAMEFIELDS != 0 {
            nmaster
        } else {
            let n = get_varint(data, &mut p) as usize;
            for _ in 0..n {
                get_bytes(data, &mut p);
            }
            n
        };
        for _ in 0..n {
            get_bytes(data, &mut p);
        }
        RawEntry {
            id: StreamId::new(ms, seq),
            flags,
            flag_pos,
            body,
            end: p,
        }
    }

    /// The field-value pairs of `entry`.
    pub fn pairs(&self, entry: &RawEntry) -> Vec<(&[u8], &[u8])> {
        let data = &self.data;
        let mut p = entry.body;
        let fields: Vec<&[u8]> = if entry.flags & SAMEFIELDS != 0 {
            self.master_fields().0
        } else {
            let n = get_varint(data, &mut p) as usize;
            let mut fields = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                fields.push(get_bytes(data, &mut p));
            }
            fields
        };
        fields
            .into_iter()
            .map(|f| (f, get_bytes(data, &mut p)))
            .collect()
    }

    /// Flags `entry` deleted; false if it already was.
    pub fn mark_deleted(&mut self, entry: &RawEntry) -> bool {
        let flags = &mut self.data[entry.flag_pos];
        if *flags & DELETED != 0 {
            return false;
        }
        *flags |= DELETED;
        self.live -= 1;
        self.deleted += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_with_and_without_master_fields() {
        let master = StreamId::new(100, 5);
        let mut b = Block::new(&[(b"a", b"1"), (b"b", b"2")]);
        b.append(master, master, &[(b"a", b"1"), (b"b", b"2")]);
        b.append(master, StreamId::new(100, 6), &[(b"a", b"x"), (b"b", b"")]);
        b.append(master, StreamId::new(150, 0), &[(b"c", b"3")]);
        let e = b.entries(master);
        assert_eq!(e.len(), 3);
        assert_eq!(e[1].id, StreamId::new(100, 6));
        assert_eq!(e[2].id, StreamId::new(150, 0));
        assert_eq!(
            b.pairs(&e[1]),
            vec![(&b"a"[..], &b"x"[..]), (&b"b"[..], &b""[..])]
        );
        assert_eq!(b.pairs(&e[2]), vec![(&b"c"[..], &b"3"[..])]);
        assert!(b.mark_deleted(&e[1]));
        assert!(!b.mark_deleted(&e[1]));
        assert!(!b.entries(master)[1].is_live());
        assert_eq!((b.live, b.deleted), (2, 1));
    }
}
