//! The hash type, in Redis's two encodings.
//!
//! - **Packed** (Redis's listpack): one exactly sized byte buffer of entries, each a
//!   LEB128 length then the bytes, fields and values alternating, in insertion order.
//!   A small hash costs one allocation and a couple of bytes per entry of overhead;
//!   lookups are a linear scan over at most `hash-max-listpack-entries` pairs.
//! - **Table** (Redis's hashtable): a [`Table`] from field to value, once the hash
//!   has more entries than `hash-max-listpack-entries` or a field or value longer
//!   than `hash-max-listpack-value`. Dense positions give O(1) random fields and a
//!   downward cursor for HSCAN; the index resizes incrementally.
//!
//! A hash converts once, from packed to table, and never back (as Redis). A deleted
//! big hash is freed a slice at a time ([`Hash::free_some`]).

use super::bytes::Bytes;
use super::table::{Slots, Table};

/// Largest packed buffer (Redis's `LISTPACK_MAX_SAFETY_SIZE`): past it a hash
/// converts whatever the limits say, so no write copies a huge buffer.
const PACKED_MAX_BYTES: usize = 1 << 30;

/// When a packed hash must convert: the `hash-max-listpack-*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most pairs kept packed (`hash-max-listpack-entries`).
    pub entries: usize,
    /// Longest field or value kept packed (`hash-max-listpack-value`).
    pub value: usize,
}

impl Default for Limits {
    /// Redis's defaults: 128 entries, 64 bytes.
    fn default() -> Limits {
        Limits {
            entries: 128,
            value: 64,
        }
    }
}

/// A hash value: fields mapped to values, both binary strings.
#[derive(Debug, Default)]
pub struct Hash {
    repr: Repr,
}

/// Two variants, so the tag hides in the packed buffer's pointer: 24 bytes.
#[derive(Debug)]
enum Repr {
    /// The small encoding.
    Packed(Packed),
    /// The big encoding, or what is left of it while it is freed.
    Big(Box<Big>),
}

#[derive(Debug)]
enum Big {
    /// The big encoding.
    Table(Table<Bytes>),
    /// A deleted big hash whose index is gone, freed a slice at a time.
    Freeing(Slots<Bytes>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Packed(Packed::default())
    }
}

impl Hash {
    /// Pairs held.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.pairs as usize,
            Repr::Big(big) => match &**big {
                Big::Table(t) => t.len(),
                Big::Freeing(s) => s.len(),
            },
        }
    }

    /// True when empty (an empty collection is never stored: its key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Packed(_) => "listpack",
            _ => "hashtable",
        }
    }

    /// True while the hash has its small encoding.
    pub fn is_packed(&self) -> bool {
        matches!(self.repr, Repr::Packed(_))
    }

    /// Heap bytes the hash uses beyond its own struct, estimated from the sizes of
    /// its parts (for MEMORY USAGE): the strings spilled to the heap by a big hash are
    /// extrapolated from its first `samples` pairs (0 = all of them).
    pub fn heap_bytes(&self, samples: usize) -> usize {
        /// A table entry: two 24-byte strings and two `u32` index fields.
        const SLOT: usize = 56;
        match &self.repr {
            Repr::Packed(p) => p.buf.len(),
            Repr::Big(big) => match &**big {
                Big::Table(t) => {
                    let (old, new) = t.bucket_counts();
                    let n = if samples == 0 {
                        t.len()
                    } else {
                        samples.min(t.len())
                    };
                    let sampled: usize =
                        t.iter().take(n).map(|(f, v)| spilled(f) + spilled(v)).sum();
                    let spilled = sampled.saturating_mul(t.len()).checked_div(n).unwrap_or(0);
                    std::mem::size_of::<Big>() + t.len() * SLOT + (old + new) * 4 + spilled
                }
                Big::Freeing(s) => s.len() * SLOT,
            },
        }
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.repr {
            Repr::Packed(p) => p.find(field).map(|at| p.value_of(at)),
            Repr::Big(_) => {
                let t = self.table()?;
                t.position(field).map(|pos| t[pos].as_slice())
            }
        }
    }

    /// True when `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Sets `field` to `value`; returns true when the field is new. Converts to the
    /// big encoding first when the field or value is longer than `limits.value`, and
    /// after adding when the hash has more than `limits.entries` pairs.
    pub fn insert(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if let Repr::Packed(p) = &mut self.repr {
            let fits = field.len() <= limits.value
                && value.len() <= limits.value
                && p.buf.len() + field.len() + value.len() + 20 <= PACKED_MAX_BYTES;
            if fits {
                let added = p.set(field, value);
                if added && p.pairs as usize > limits.entries {
                    self.convert();
                }
                return added;
            }
            self.convert();
        }
        match self.table_mut() {
            Some(t) => t.insert(field, Bytes::from(value)).1.is_none(),
            None => {
                // Unreachable: converted above, and a hash being freed is in no key.
                debug_assert!(false, "insert into a hash being freed");
                false
            }
        }
    }

    /// Removes `field`; returns true when it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(p) => p.remove(field),
            Repr::Big(_) => self.table_mut().is_some_and(|t| t.remove(field).is_some()),
        }
    }

    /// All pairs: in insertion order while packed, by position in the table after.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let packed = match &self.repr {
            Repr::Packed(p) => Some(p.iter()),
            Repr::Big(_) => None,
        };
        let table = self
            .table()
            .map(|t| t.iter().map(|(f, v)| (f.as_slice(), v.as_slice())));
        packed
            .into_iter()
            .flatten()
            .chain(table.into_iter().flatten())
    }

    /// Random access to the pairs by position `0..len` (a packed hash is indexed
    /// once, so each access is O(1) either way).
    pub fn positions(&self) -> Positions<'_> {
        match self.table() {
            Some(t) => Positions::Table(t),
            None => Positions::Listed(self.iter().collect()),
        }
    }

    /// One HSCAN step: a packed hash gives every pair and cursor 0 (as Redis does
    /// with a listpack); a big one visits up to `count` positions below `cursor`
    /// (0 = start) downwards. Returns the next cursor (0 = done). Walking downwards
    /// over swap-removed positions returns every pair present for the whole
    /// iteration at least once (see `db.rs`).
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a [u8], &'a [u8]),
    ) -> u64 {
        let Some(t) = self.table() else {
            self.iter().for_each(|(f, v)| visit(f, v));
            return 0;
        };
        t.scan(cursor, count, |_, f, v| visit(f, v))
    }

    /// Frees up to `budget` pairs (for freeing a big value in slices); returns how
    /// many it freed. A packed hash is one allocation, freed at once.
    pub fn free_some(&mut self, budget: usize) -> usize {
        match &mut self.repr {
            Repr::Packed(p) => {
                let n = p.pairs as usize;
                *p = Packed::default();
                n.min(budget)
            }
            Repr::Big(big) => {
                if let Big::Table(t) = &mut **big {
                    // Drop the index now (a few bucket pieces), then the entries in slices.
                    let table = std::mem::take(t);
                    **big = Big::Freeing(table.into_slots());
                }
                match &mut **big {
                    Big::Freeing(s) => s.free_some(budget),
                    Big::Table(_) => 0,
                }
            }
        }
    }

    /// Moves every pair into a table (the one-way conversion).
    fn convert(&mut self) {
        let Repr::Packed(p) = &self.repr else {
            return;
        };
        let mut table: Table<Bytes> = Table::default();
        for (f, v) in p.iter() {
            let hash = table.hash(f);
            table.push_hashed(hash, Bytes::from(f), Bytes::from(v));
        }
        self.repr = Repr::Big(Box::new(Big::Table(table)));
    }

    /// The table of a big hash.
    fn table(&self) -> Option<&Table<Bytes>> {
        match &self.repr {
            Repr::Big(big) => match &**big {
                Big::Table(t) => Some(t),
                Big::Freeing(_) => None,
            },
            Repr::Packed(_) => None,
        }
    }

    fn table_mut(&mut self) -> Option<&mut Table<Bytes>> {
        match &mut self.repr {
            Repr::Big(big) => match &mut **big {
                Big::Table(t) => Some(t),
                Big::Freeing(_) => None,
            },
            Repr::Packed(_) => None,
        }
    }
}

/// Heap bytes a string takes beyond its 24 inline bytes.
fn spilled(s: &Bytes) -> usize {
    if s.is_heap() { s.capacity() } else { 0 }
}

impl Clone for Hash {
    /// A copy in the same encoding (a hash being freed copies as empty).
    fn clone(&self) -> Hash {
        let repr = match &self.repr {
            Repr::Packed(p) => Repr::Packed(p.clone()),
            Repr::Big(_) => match self.table() {
                Some(t) => {
                    let mut table: Table<Bytes> = Table::with_hasher(t.hasher().clone());
                    for (f, v, hash, _) in t.iter_hashed() {
                        table.push_hashed(hash, f.clone(), v.clone());
                    }
                    Repr::Big(Box::new(Big::Table(table)))
                }
                None => Repr::default(),
            },
        };
        Hash { repr }
    }
}

impl PartialEq for Hash {
    /// Same pairs, whatever the encodings and orders.
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len() && self.iter().all(|(f, v)| other.get(f) == Some(v))
    }
}

/// Pairs by position, from [`Hash::positions`].
#[derive(Debug)]
pub enum Positions<'a> {
    /// A packed hash, listed.
    Listed(Vec<(&'a [u8], &'a [u8])>),
    /// A big hash: its table has positions already.
    Table(&'a Table<Bytes>),
}

impl<'a> Positions<'a> {
    /// Number of positions.
    pub fn len(&self) -> usize {
        match self {
            Positions::Listed(v) => v.len(),
            Positions::Table(t) => t.len(),
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The pair at `pos`.
    pub fn get(&self, pos: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Positions::Listed(v) => v.get(pos).copied(),
            Positions::Table(t) => t.get_index(pos).map(|(f, v)| (f.as_slice(), v.as_slice())),
        }
    }
}

/// The packed encoding: `pairs` pairs of length-prefixed entries in `buf`.
#[derive(Debug, Clone, Default)]
struct Packed {
    buf: Box<[u8]>,
    pairs: u32,
}

/// Where a pair sits in a packed buffer.
#[derive(Debug, Clone, Copy)]
struct At {
    /// Start of the field's entry.
    start: usize,
    /// Start of the value's entry (its length prefix).
    value: usize,
    /// End of the value's entry.
    end: usize,
}

/// Bytes of the LEB128 encoding of `n`.
fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// Appends the LEB128 encoding of `n`.
fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The entry starting at `at`: its bytes' range.
fn entry(buf: &[u8], mut at: usize) -> Option<(usize, usize)> {
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
    let end = at.checked_add(len).filter(|&e| e <= buf.len())?;
    Some((at, end))
}

/// An entry (prefix and bytes) for `bytes`.
fn encode_entry(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len());
    out.extend_from_slice(bytes);
}

impl Packed {
    /// The pair starting at `start`: its field's range and where it is.
    fn pair(&self, start: usize) -> Option<((usize, usize), At)> {
        let field = entry(&self.buf, start)?;
        let (_, end) = entry(&self.buf, field.1)?;
        Some((
            field,
            At {
                start,
                value: field.1,
                end,
            },
        ))
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            let ((fs, fe), pair) = self.pair(at)?;
            at = pair.end;
            Some((&self.buf[fs..fe], self.value_of(pair)))
        })
    }

    fn find(&self, field: &[u8]) -> Option<At> {
        let mut at = 0;
        while let Some(((fs, fe), pair)) = self.pair(at) {
            if &self.buf[fs..fe] == field {
                return Some(pair);
            }
            at = pair.end;
        }
        None
    }

    fn value_of(&self, at: At) -> &[u8] {
        match entry(&self.buf, at.value) {
            Some((s, e)) => &self.buf[s..e],
            None => &[],
        }
    }

    /// Sets `field`; true when it is new.
    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let mut encoded = Vec::with_capacity(varint_len(value.len()) + value.len());
        encode_entry(&mut encoded, value);
        match self.find(field) {
            Some(at) => {
                self.splice(at.value, at.end, &encoded);
                false
            }
            None => {
                let mut pair = Vec::with_capacity(varint_len(field.len()) + field.len());
                encode_entry(&mut pair, field);
                pair.extend_from_slice(&encoded);
                let end = self.buf.len();
                self.splice(end, end, &pair);
                self.pairs += 1;
                true
            }
        }
    }

    fn remove(&mut self, field: &[u8]) -> bool {
        match self.find(field) {
            Some(at) => {
                self.splice(at.start, at.end, &[]);
                self.pairs -= 1;
                true
            }
            None => false,
        }
    }

    /// Replaces `buf[from..to]` with `with`, keeping the buffer exactly sized (one
    /// reallocation at most, as a listpack's).
    fn splice(&mut self, from: usize, to: usize, with: &[u8]) {
        if to - from == with.len() {
            self.buf[from..to].copy_from_slice(with);
            return;
        }
        let mut v = std::mem::take(&mut self.buf).into_vec();
        if with.len() > to - from {
            v.reserve_exact(with.len() - (to - from));
        }
        v.splice(from..to, with.iter().copied());
        self.buf = v.into_boxed_slice();
    }
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
