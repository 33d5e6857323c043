//! The key table: a hash table whose entries sit densely by position and whose index
//! grows and shrinks incrementally, so no single operation does O(n) work.
//!
//! - Entries live at positions `0..len` in fixed-size chunks ([`Slots`]): growing
//!   allocates one more chunk and never moves an existing entry (only the first chunk
//!   grows by doubling, up to one chunk's size, so a small table stays small).
//! - Removal is `swap_remove`: the last entry moves into the hole. A random entry is
//!   one position away, and a cursor walking positions downwards never skips an entry
//!   that stays (see the module doc of `db.rs`).
//! - The index is chained: `u32` bucket heads and a `u32` `next` link in each entry
//!   (links are position + 1; 0 ends a chain). The table keeps at most one entry per
//!   bucket before it grows. Each entry also has a `u32` of metadata: a 7-bit tag of
//!   its hash (bits 24..31, independent of the bucket bits, so a chain walk compares
//!   keys only on a tag match), a 24-bit clock the caller owns ([`Table::clock`]; the
//!   key space keeps each key's LRU time or LFU counter there, as Redis keeps them in
//!   its object header) and a flag bit ([`Table::flag`]; the key space's "has a TTL").
//!   So per-key access tracking costs no room. A rehash recomputes each moved key's
//!   hash (as Redis's `dict` does) instead of storing it.
//! - Resizing is Redis's `dict` rehash: a second bucket array is started, and every
//!   insert, lookup and delete moves one bucket's chain from the old array to the new;
//!   [`Table::rehash_step`] lets idle time move more. Lookups search both arrays
//!   meanwhile. A table that falls below one entry per `MIN_FILL_DIV` buckets
//!   shrinks the same way.
//! - A bucket array is made of 64 KiB pieces, allocated zeroed on first write and
//!   freed as soon as a rehash has moved past them: neither starting nor finishing a
//!   rehash allocates, zeroes or frees a whole array (a single 8 MiB `free` is already
//!   a ~0.5 ms `munmap`, and `calloc` below glibc's mmap threshold is a `memset`).

use std::hash::BuildHasher;
use std::ops::{Index, IndexMut};

use super::bytes::Bytes;
use buckets::Buckets;

#[path = "table_buckets.rs"]
mod buckets;

/// The hasher of the key tables: foldhash, seeded at random per process. SipHash
/// (std's) cost ~4% of server CPU in profiles; foldhash is several times faster and its
/// random seed keeps clients from predicting collisions.
pub type KeyHasher = foldhash::fast::RandomState;

/// log2 of the entries per chunk: 4096 entries (224 KiB of 56-byte entries) make the
/// chunk list tiny and the unused tail of the last chunk small next to a big table.
/// Small in tests, to exercise many chunks.
const CHUNK_BITS: u32 = if cfg!(test) { 8 } else { 12 };
/// Entries per chunk.
const CHUNK: usize = 1 << CHUNK_BITS;
/// log2 of the buckets per piece of a bucket array: 16384 `u32` heads, 64 KiB, so
/// allocating, zeroing or freeing one piece is bounded work. Small in tests, to
/// exercise many pieces.
const PIECE_BITS: u32 = if cfg!(test) { 6 } else { 14 };
/// Buckets per piece.
const PIECE: usize = 1 << PIECE_BITS;
/// Smallest bucket array (Redis's DICT_HT_INITIAL_SIZE).
const MIN_BUCKETS: usize = 4;
/// Shrink once there is less than one entry per this many buckets (Redis shrinks below
/// 10% fill); shrinking to about one entry per bucket leaves room to grow back 8x.
const MIN_FILL_DIV: usize = 8;
/// Empty buckets a rehash step may skip per bucket of budget (Redis's `empty_visits`),
/// so a step over a sparse old array stays short.
const EMPTY_VISITS: usize = 10;
/// Buckets each insert, lookup and delete moves while rehashing (Redis: one). Every
/// insert moving at least one bucket guarantees a rehash ends before the next is due.
const STEP_PER_OP: usize = 1;
/// The bits of a hash (31: bucket arrays never reach 2^31 buckets, `MAX_LEN` entries).
const HASH_MASK: u32 = u32::MAX >> 1;
/// The flag bit of an entry's metadata.
const FLAG: u32 = !HASH_MASK;
/// Bits of an entry's metadata holding the tag of its hash.
const TAG_MASK: u32 = 0x7F;
/// Where an entry's clock starts in its metadata.
const CLOCK_SHIFT: u32 = 7;
/// Largest clock value: 24 bits, as Redis's `LRU_BITS`.
pub const CLOCK_MAX: u32 = (1 << 24) - 1;

/// The tag an entry keeps of `hash`: bits 24..31, which no bucket array below 2^24
/// buckets uses, so entries of one chain have independent tags.
fn tag_of(hash: u32) -> u32 {
    (hash >> 24) & TAG_MASK
}

/// `key`'s 31-bit hash under `hasher`.
fn hash_with(hasher: &KeyHasher, key: &[u8]) -> u32 {
    let h = hasher.hash_one(key);
    (h ^ (h >> 32)) as u32 & HASH_MASK
}
/// Most entries a table holds: links are `u32` positions + 1, and 0 means "none".
pub const MAX_LEN: usize = u32::MAX as usize - 1;

/// One entry: the key, its value, and the index fields.
#[derive(Debug)]
struct Slot<V> {
    key: Bytes,
    value: V,
    /// The entry's flag (top bit), clock (24 bits) and hash tag (low 7 bits).
    meta: u32,
    /// Position + 1 of the next entry in the same bucket, or 0.
    next: u32,
}

impl<V> Slot<V> {
    /// True when this entry's hash may be `hash` (its tag matches).
    fn may_be(&self, hash: u32) -> bool {
        self.meta & TAG_MASK == tag_of(hash)
    }
}

/// Entries stored densely by position in fixed-size chunks. Also what is left of a
/// flushed table: popped in slices so freeing a big one never stalls.
#[derive(Debug)]
pub struct Slots<V> {
    chunks: Vec<Vec<Slot<V>>>,
    len: usize,
}

impl<V> Slots<V> {
    const fn new() -> Slots<V> {
        Slots {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, pos: usize) -> Option<&Slot<V>> {
        self.chunks.get(pos >> CHUNK_BITS)?.get(pos & (CHUNK - 1))
    }

    fn get_mut(&mut self, pos: usize) -> Option<&mut Slot<V>> {
        self.chunks
            .get_mut(pos >> CHUNK_BITS)?
            .get_mut(pos & (CHUNK - 1))
    }

    /// The entry at `pos`; panics when out of range (callers pass positions below len).
    fn at_pos(&self, pos: usize) -> &Slot<V> {
        &self.chunks[pos >> CHUNK_BITS][pos & (CHUNK - 1)]
    }

    fn at_pos_mut(&mut self, pos: usize) -> &mut Slot<V> {
        &mut self.chunks[pos >> CHUNK_BITS][pos & (CHUNK - 1)]
    }

    /// The entry a link names (links come from the index, so they are in range).
    fn at(&self, link: u32) -> &Slot<V> {
        self.at_pos(link as usize - 1)
    }

    fn at_mut(&mut self, link: u32) -> &mut Slot<V> {
        self.at_pos_mut(link as usize - 1)
    }

    fn push(&mut self, slot: Slot<V>) {
        let chunk = self.len >> CHUNK_BITS;
        if chunk == self.chunks.len() {
            // The first chunk starts small and doubles (a bounded copy); later ones are
            // allocated whole, so no entry ever moves as the table grows.
            let cap = if chunk == 0 { 0 } else { CHUNK };
            self.chunks.push(Vec::with_capacity(cap));
        }
        self.chunks[chunk].push(slot);
        self.len += 1;
    }

    /// Removes the last entry. Keeps one empty chunk past the end as a spare, so
    /// inserts and deletes around a chunk boundary do not allocate and free each time.
    pub fn pop(&mut self) -> Option<(Bytes, V)> {
        self.pop_slot().map(|s| (s.key, s.value))
    }

    fn pop_slot(&mut self) -> Option<Slot<V>> {
        let pos = self.len.checked_sub(1)?;
        let slot = self.chunks.get_mut(pos >> CHUNK_BITS)?.pop()?;
        self.len = pos;
        let needed = pos.div_ceil(CHUNK);
        self.chunks.truncate(needed + 1);
        Some(slot)
    }

    /// Removes the entry at `pos` (< len), moving the last one into its place.
    fn swap_remove(&mut self, pos: usize) -> Option<Slot<V>> {
        let last = self.pop_slot()?;
        if pos == self.len {
            return Some(last);
        }
        let hole = self.get_mut(pos)?;
        Some(std::mem::replace(hole, last))
    }

    /// Frees what no entry uses: the spare chunk kept past the end, and the unused
    /// half of a first chunk that holds less than half its capacity (under
    /// eviction, memory must drop as soon as entries go).
    pub fn trim(&mut self) {
        let needed = self.len.div_ceil(CHUNK);
        self.chunks.truncate(needed);
        if needed == 1
            && let Some(first) = self.chunks.first_mut()
            && first.capacity() >= 2 * first.len()
            && first.capacity() > 64
        {
            first.shrink_to_fit();
        }
    }

    /// Drops up to `budget` entries from the end; returns how many it dropped.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let mut freed = 0;
        while freed < budget && self.pop_slot().is_some() {
            freed += 1;
        }
        freed
    }

    fn iter(&self) -> impl Iterator<Item = &Slot<V>> {
        self.chunks.iter().flatten()
    }
}

/// A hash table from [`Bytes`] keys to `V`, with entries at dense positions.
#[derive(Debug)]
pub struct Table<V> {
    slots: Slots<V>,
    /// Bucket heads (position + 1, or 0). `buckets[1]` is empty except while
    /// rehashing from `buckets[0]` into it.
    buckets: [Buckets; 2],
    /// While rehashing, the next bucket of `buckets[0]` to move.
    rehash_idx: usize,
    hasher: KeyHasher,
}

impl<V> Default for Table<V> {
    fn default() -> Table<V> {
        Table::with_hasher(KeyHasher::default())
    }
}

impl<V> Table<V> {
    /// An empty table hashing with `hasher` (tables that share a hasher can share
    /// hashes: see the `_hashed` methods). Allocates nothing until the first insert.
    pub fn with_hasher(hasher: KeyHasher) -> Table<V> {
        Table {
            slots: Slots::new(),
            buckets: [Buckets::default(), Buckets::default()],
            rehash_idx: 0,
            hasher,
        }
    }

    /// The hasher.
    pub fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// The hash this table uses for `key` (31 bits: the top bit of a stored hash is
    /// the entry's flag).
    pub fn hash(&self, key: &[u8]) -> u32 {
        hash_with(&self.hasher, key)
    }

    /// The flag of the entry at `pos` (false for a new entry, or out of range).
    pub fn flag(&self, pos: usize) -> bool {
        self.slots.get(pos).is_some_and(|s| s.meta & FLAG != 0)
    }

    /// Sets or clears the flag of the entry at `pos` (no effect out of range).
    pub fn set_flag(&mut self, pos: usize, on: bool) {
        if let Some(slot) = self.slots.get_mut(pos) {
            slot.meta = slot.meta & HASH_MASK | if on { FLAG } else { 0 };
        }
    }

    /// The clock of the entry at `pos` (24 bits; 0 for a new entry or out of range).
    #[inline]
    pub fn clock(&self, pos: usize) -> u32 {
        self.slots
            .get(pos)
            .map_or(0, |s| (s.meta >> CLOCK_SHIFT) & CLOCK_MAX)
    }

    /// Sets the clock of the entry at `pos` to the low 24 bits of `clock` (no effect
    /// out of range).
    #[inline]
    pub fn set_clock(&mut self, pos: usize, clock: u32) {
        if let Some(slot) = self.slots.get_mut(pos) {
            slot.meta = slot.meta & (FLAG | TAG_MASK) | (clock & CLOCK_MAX) << CLOCK_SHIFT;
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len
    }

    /// True when the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.slots.len == 0
    }

    /// True while the index is being moved to a new bucket array.
    pub fn is_rehashing(&self) -> bool {
        !self.buckets[1].is_empty()
    }

    /// Buckets in the (old, new) bucket arrays.
    pub fn bucket_counts(&self) -> (usize, usize) {
        (self.buckets[0].len(), self.buckets[1].len())
    }

    /// The position of `key`, without advancing a rehash.
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        self.position_hashed(self.hash(key), key)
    }

    /// The position of `key` whose hash is `hash`, without advancing a rehash.
    pub fn position_hashed(&self, hash: u32, key: &[u8]) -> Option<usize> {
        for buckets in &self.buckets {
            if buckets.is_empty() {
                continue;
            }
            let mut link = buckets.get(buckets.bucket_of(hash));
            while link != 0 {
                let slot = self.slots.at(link);
                if slot.may_be(hash) && slot.key.as_slice() == key {
                    return Some(link as usize - 1);
                }
                link = slot.next;
            }
        }
        None
    }

    /// The position of `key` whose hash is `hash`; moves a bucket if rehashing.
    pub fn find_hashed(&mut self, hash: u32, key: &[u8]) -> Option<usize> {
        self.step();
        self.position_hashed(hash, key)
    }

    /// [`Table::find_hashed`] that also sets the found entry's clock to `clock`, if
    /// given, while the entry is at hand (the key space's LRU touch).
    #[inline]
    pub fn find_hashed_clocked(
        &mut self,
        hash: u32,
        key: &[u8],
        clock: Option<u32>,
    ) -> Option<usize> {
        self.step();
        let Table { slots, buckets, .. } = self;
        for buckets in buckets.iter() {
            if buckets.is_empty() {
                continue;
            }
            let mut link = buckets.get(buckets.bucket_of(hash));
            while link != 0 {
                let slot = slots.at_mut(link);
                if slot.may_be(hash) && slot.key.as_slice() == key {
                    if let Some(clock) = clock {
                        slot.meta =
                            slot.meta & (FLAG | TAG_MASK) | (clock & CLOCK_MAX) << CLOCK_SHIFT;
                    }
                    return Some(link as usize - 1);
                }
                link = slot.next;
            }
        }
        None
    }

    /// Adds `key`, which the caller knows is absent, at position `len`; returns that
    /// position. Panics past [`MAX_LEN`] entries (about 256 GiB of entries).
    pub fn push_hashed(&mut self, hash: u32, key: Bytes, value: V) -> usize {
        assert!(self.len() < MAX_LEN, "key table full");
        self.step();
        self.grow_if_needed();
        let pos = self.len();
        let link = pos as u32 + 1;
        let buckets = &mut self.buckets[usize::from(self.is_rehashing())];
        let head = buckets.get_mut(buckets.bucket_of(hash));
        let next = std::mem::replace(head, link);
        self.slots.push(Slot {
            key,
            value,
            meta: tag_of(hash),
            next,
        });
        pos
    }

    /// Inserts or replaces; returns the position and the replaced value.
    pub fn insert(&mut self, key: &[u8], value: V) -> (usize, Option<V>) {
        let hash = self.hash(key);
        match self.find_hashed(hash, key) {
            Some(pos) => (pos, Some(std::mem::replace(&mut self[pos], value))),
            None => (self.push_hashed(hash, Bytes::from(key), value), None),
        }
    }

    /// Removes `key`; returns its key and value.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Bytes, V)> {
        self.remove_hashed(self.hash(key), key)
    }

    /// Removes `key` whose hash is `hash`.
    pub fn remove_hashed(&mut self, hash: u32, key: &[u8]) -> Option<(Bytes, V)> {
        let pos = self.find_hashed(hash, key)?;
        self.swap_remove_index(pos).map(|(k, v, _)| (k, v))
    }

    /// Removes the entry at `pos`, moving the last entry (and its flag) into its
    /// place; returns the key, value and hash.
    pub fn swap_remove_index(&mut self, pos: usize) -> Option<(Bytes, V, u32)> {
        if pos >= self.len() {
            return None;
        }
        self.step();
        let link = pos as u32 + 1;
        let (hash, next) = {
            let slot = self.slots.at(link);
            (self.hash(&slot.key), slot.next)
        };
        self.relink(hash, link, next);
        let last = self.len() as u32;
        if link != last {
            let last_hash = self.hash(&self.slots.at(last).key);
            self.relink(last_hash, last, link);
        }
        let slot = self.slots.swap_remove(pos)?;
        self.shrink_if_needed();
        Some((slot.key, slot.value, hash))
    }

    /// Removes the last entry.
    pub fn pop(&mut self) -> Option<(Bytes, V)> {
        let last = self.len().checked_sub(1)?;
        self.swap_remove_index(last).map(|(k, v, _)| (k, v))
    }

    /// Points the link that names `from` (in the chain of `hash`) at `to`.
    fn relink(&mut self, hash: u32, from: u32, to: u32) {
        let Table { slots, buckets, .. } = self;
        for buckets in buckets.iter_mut() {
            if buckets.is_empty() {
                continue;
            }
            let b = buckets.bucket_of(hash);
            let mut link = buckets.get(b);
            if link == from {
                *buckets.get_mut(b) = to;
                return;
            }
            while link != 0 {
                let slot = slots.at_mut(link);
                if slot.next == from {
                    slot.next = to;
                    return;
                }
                link = slot.next;
            }
        }
        debug_assert!(false, "entry {from} missing from the index");
    }

    /// One step of a cursor walk over positions, downwards from `cursor` (0 starts at
    /// the end): visits up to `count` (at least 1) positions and returns the next
    /// cursor, 0 when done. Removal is `swap_remove`, which only moves the last entry
    /// down, so an entry present for the whole walk is visited at least once (SCAN's
    /// guarantee).
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(usize, &'a Bytes, &'a V),
    ) -> u64 {
        let mut remaining = if cursor == 0 {
            self.len()
        } else {
            cursor.min(self.len() as u64) as usize
        };
        let mut visited = 0;
        while remaining > 0 && visited < count.max(1) {
            remaining -= 1;
            if let Some((k, v)) = self.get_index(remaining) {
                visit(remaining, k, v);
            }
            visited += 1;
        }
        remaining as u64
    }

    /// The key and value at `pos`.
    pub fn get_index(&self, pos: usize) -> Option<(&Bytes, &V)> {
        self.slots.get(pos).map(|s| (&s.key, &s.value))
    }

    /// The key and value at `pos`, the value mutably.
    pub fn get_index_mut(&mut self, pos: usize) -> Option<(&Bytes, &mut V)> {
        self.slots.get_mut(pos).map(|s| (&s.key, &mut s.value))
    }

    /// The key, value and hash at `pos`.
    pub fn get_hashed(&self, pos: usize) -> Option<(&Bytes, &V, u32)> {
        self.slots
            .get(pos)
            .map(|s| (&s.key, &s.value, self.hash(&s.key)))
    }

    /// All keys, values, hashes and flags by position.
    pub fn iter_hashed(&self) -> impl Iterator<Item = (&Bytes, &V, u32, bool)> {
        self.slots
            .iter()
            .map(|s| (&s.key, &s.value, self.hash(&s.key), s.meta & FLAG != 0))
    }

    /// All keys and values by position.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &V)> {
        self.slots.iter().map(|s| (&s.key, &s.value))
    }

    /// Frees entry storage no entry uses (see [`Slots::trim`]).
    pub fn trim(&mut self) {
        self.slots.trim();
    }

    /// The entries, for freeing in slices; the index is dropped now.
    pub fn into_slots(self) -> Slots<V> {
        self.slots
    }

    /// Moves up to `buckets` non-empty buckets (and a bounded number of empty ones) to
    /// the new bucket array; returns true while the rehash is not finished.
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        if !self.is_rehashing() {
            return false;
        }
        let Table {
            slots,
            buckets: [old, new],
            rehash_idx,
            hasher,
        } = self;
        let mut budget = buckets.max(1);
        let mut empty_visits = budget * EMPTY_VISITS;
        while budget > 0 && empty_visits > 0 && *rehash_idx < old.len() {
            let b = *rehash_idx;
            if old.piece_is_empty(b) {
                // A piece never written: skip the rest of it at once.
                *rehash_idx = (b | (PIECE - 1)) + 1;
                empty_visits -= 1;
            } else {
                let mut link = old.take(b);
                *rehash_idx += 1;
                if link == 0 {
                    empty_visits -= 1;
                } else {
                    budget -= 1;
                }
                while link != 0 {
                    let slot = slots.at_mut(link);
                    let next = slot.next;
                    let head = new.get_mut(new.bucket_of(hash_with(hasher, &slot.key)));
                    slot.next = std::mem::replace(head, link);
                    link = next;
                }
            }
            if *rehash_idx >= old.len() || *rehash_idx & (PIECE - 1) == 0 {
                // Past the end of the piece of `b`: free it now, a piece at a time.
                old.free_piece(b);
            }
        }
        if *rehash_idx < old.len() {
            return true;
        }
        *old = std::mem::take(new);
        *rehash_idx = 0;
        false
    }

    /// The per-operation rehash step.
    fn step(&mut self) {
        if self.is_rehashing() {
            self.rehash_step(STEP_PER_OP);
        }
    }

    /// Before an insert: allocates the first buckets, or starts doubling when the
    /// table has one entry per bucket (not while a rehash runs: the load may then
    /// pass one, briefly).
    fn grow_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.buckets[0].len();
        if size == 0 {
            self.buckets[0] = Buckets::new(MIN_BUCKETS);
        } else if self.len() >= size {
            self.start_rehash(size * 2);
        }
    }

    /// After a delete: starts shrinking a table that became sparse.
    fn shrink_if_needed(&mut self) {
        let size = self.buckets[0].len();
        if self.is_rehashing() || size <= MIN_BUCKETS || self.len() * MIN_FILL_DIV >= size {
            return;
        }
        self.start_rehash(self.len().next_power_of_two().max(MIN_BUCKETS));
    }

    fn start_rehash(&mut self, size: usize) {
        if self.is_empty() {
            self.buckets[0] = Buckets::new(size);
        } else {
            self.buckets[1] = Buckets::new(size);
            self.rehash_idx = 0;
        }
    }
}

impl<V> Index<usize> for Table<V> {
    type Output = V;

    /// The value at `pos`; panics when out of range (positions come from lookups).
    fn index(&self, pos: usize) -> &V {
        &self.slots.at_pos(pos).value
    }
}

impl<V> IndexMut<usize> for Table<V> {
    fn index_mut(&mut self, pos: usize) -> &mut V {
        &mut self.slots.at_pos_mut(pos).value
    }
}

#[cfg(test)]
#[path = "table_tests.rs"]
mod tests;
