//! One logical database: the key table and the index of keys with a TTL.
//!
//! The key table ([`Table`]) keeps its entries at dense positions, so a random key
//! (RANDOMKEY, active expiry sampling) is one index away, and SCAN's cursor is a
//! position walked from the end towards 0. Removal is `swap_remove`, which moves
//! only the last entry; walking downwards, such a move can only repeat an element,
//! never skip one, which is SCAN's guarantee. Its index grows and shrinks
//! incrementally, so no command pays for resizing a big table.
//!
//! A key's TTL lives only in a second table of the same kind (key -> absolute expiry),
//! which also gives O(1) random sampling for active expiry. The key table's entries
//! carry a "has a TTL" flag in the spare top bit of their stored hash, so an entry
//! stays key + value + index fields, and a lookup of a key without a TTL never touches
//! the second table. Both tables share one hasher, so a key is hashed once.

use super::table::{Slots, Table};
use super::value::{Entry, Key, Value};

pub use super::table::KeyHasher;

/// A database: keys and their TTLs.
#[derive(Debug)]
pub struct Db {
    /// Keys and values; an entry's flag is set exactly when `expires` holds its key.
    map: Table<Value>,
    /// Absolute expiry (Unix ms, never 0) of each key that has one.
    expires: Table<i64>,
    /// Big values of keys that expired, for the store to free in slices.
    expired_big: Vec<Value>,
    /// Record added keys in `new_keys` (for `new` keyspace events).
    log_new: bool,
    /// Keys added since the last [`Db::take_new_keys`], while `log_new`.
    new_keys: Vec<Key>,
    /// The access clock a new key starts with (set by the store: see `evict.rs`).
    pub(super) fresh: u32,
}

impl Default for Db {
    fn default() -> Db {
        Db::with_hasher(KeyHasher::default())
    }
}

/// What a lookup that may expire keys found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Present at this index.
    Found(usize),
    /// Absent (or just expired and removed).
    Missing,
}

/// The contents of a flushed database, freed a slice at a time.
#[derive(Debug)]
pub struct Flushed {
    keys: Slots<Value>,
    ttl: Slots<i64>,
}

impl Flushed {
    /// Keys left to free.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when everything is freed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.ttl.is_empty()
    }

    /// Frees up to `budget` entries; returns how many it freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let freed = self.ttl.free_some(budget);
        freed + self.keys.free_some(budget - freed)
    }
}

/// True when `expire_at` (0 = none) has passed at `now`.
fn passed(expire_at: i64, now: i64) -> bool {
    expire_at != 0 && expire_at <= now
}

impl Db {
    fn with_hasher(hasher: KeyHasher) -> Db {
        Db {
            expires: Table::with_hasher(hasher.clone()),
            map: Table::with_hasher(hasher),
            expired_big: Vec::new(),
            log_new: false,
            new_keys: Vec::new(),
            fresh: 0,
        }
    }

    /// The access clock of the key at `pos` (LRU time or LFU counter, 24 bits).
    pub(super) fn clock(&self, pos: usize) -> u32 {
        self.map.clock(pos)
    }

    /// Sets the access clock of the key at `pos`.
    pub(super) fn set_clock(&mut self, pos: usize, clock: u32) {
        self.map.set_clock(pos, clock);
    }

    /// Frees entry storage no key uses (after evictions, so memory drops at once).
    pub(super) fn trim(&mut self) {
        self.map.trim();
        self.expires.trim();
    }

    /// True when the key at `pos` has a TTL.
    pub(super) fn has_ttl(&self, pos: usize) -> bool {
        self.map.flag(pos)
    }

    /// The key with a TTL at position `index` of the TTL index, and its expiry.
    pub(super) fn expiring_at(&self, index: usize) -> Option<(&Key, i64)> {
        self.expires.get_index(index).map(|(k, &at)| (k, at))
    }

    /// Starts or stops recording added keys (stopping drops those recorded).
    pub fn set_log_new(&mut self, on: bool) {
        self.log_new = on;
        if !on {
            self.new_keys = Vec::new();
        }
    }

    /// The keys added since the last call (recorded only after `set_log_new(true)`).
    pub fn take_new_keys(&mut self) -> Vec<Key> {
        std::mem::take(&mut self.new_keys)
    }

    /// Number of keys (including expired ones not yet reclaimed).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when the database has no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    /// Finds `key`, removing it first if its TTL has passed at `now`; returns whether
    /// it expired as the second value.
    #[cfg(test)]
    pub(super) fn lookup(&mut self, key: &[u8], now: i64) -> (Lookup, bool) {
        self.lookup_clocked(key, now, None, super::Expiring::Delete)
    }

    /// [`Db::lookup`] that sets the found key's access clock to `clock`, if given.
    #[inline]
    pub(super) fn lookup_clocked(
        &mut self,
        key: &[u8],
        now: i64,
        clock: Option<u32>,
        expiring: super::Expiring,
    ) -> (Lookup, bool) {
        let hash = self.map.hash(key);
        match self.map.find_hashed_clocked(hash, key, clock) {
            None => (Lookup::Missing, false),
            Some(i) => {
                if self.map.flag(i)
                    && expiring != super::Expiring::Ignore
                    && passed(self.ttl_of(hash, key), now)
                {
                    if expiring == super::Expiring::Replica {
                        return (Lookup::Missing, false);
                    }
                    self.expire_index(i);
                    (Lookup::Missing, true)
                } else {
                    (Lookup::Found(i), false)
                }
            }
        }
    }

    /// The TTL entry of a key whose flag is set (0 if missing, which would be a bug).
    fn ttl_of(&self, hash: u32, key: &[u8]) -> i64 {
        let ttl = self
            .expires
            .position_hashed(hash, key)
            .map(|t| self.expires[t]);
        debug_assert!(ttl.is_some(), "flagged key without a TTL entry");
        ttl.unwrap_or(0)
    }

    /// The position of `key` whatever its TTL, without expiring or rehashing anything
    /// (for checks that must not change the database, as WATCH's).
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        self.map.position(key)
    }

    /// The absolute expiry (Unix ms) of the key at `index`; 0 when it has none.
    pub(super) fn expire_at(&self, index: usize) -> i64 {
        if !self.map.flag(index) {
            return 0;
        }
        match self.map.get_hashed(index) {
            Some((key, _, hash)) => self.ttl_of(hash, key),
            None => 0,
        }
    }

    /// True when the key at `index` has a TTL that has passed at `now`.
    pub(super) fn is_expired(&self, index: usize, now: i64) -> bool {
        passed(self.expire_at(index), now)
    }

    /// The value at `index` (from [`Db::lookup`]).
    pub(super) fn value_at(&mut self, index: usize) -> &mut Value {
        &mut self.map[index]
    }

    /// The value at `index` without mutation.
    pub(super) fn value_ref(&self, index: usize) -> &Value {
        &self.map[index]
    }

    /// The key and value at `index`, for iteration by position.
    pub fn get_index(&self, index: usize) -> Option<(&Key, &Value)> {
        self.map.get_index(index)
    }

    /// Inserts or replaces `key`; `expire_at` 0 clears any TTL.
    pub fn insert(&mut self, key: &[u8], value: Value, expire_at: i64) {
        let (_, added) = self.insert_at(key, value, expire_at);
        if added && self.log_new {
            self.new_keys.push(Key::from(key));
        }
    }

    /// Inserts or replaces `key` without recording it as new; returns its position and
    /// whether it was added.
    pub(super) fn insert_at(&mut self, key: &[u8], value: Value, expire_at: i64) -> (usize, bool) {
        let hash = self.map.hash(key);
        match self.map.find_hashed(hash, key) {
            Some(i) => {
                self.map[i] = value;
                self.set_expire_at(i, expire_at);
                (i, false)
            }
            None => {
                let i = self.map.push_hashed(hash, Key::from(key), value);
                self.map.set_clock(i, self.fresh);
                if expire_at != 0 {
                    self.map.set_flag(i, true);
                    self.expires.push_hashed(hash, Key::from(key), expire_at);
                }
                (i, true)
            }
        }
    }

    /// The key at `pos` (a position from a lookup in this borrow).
    pub(super) fn key_at(&self, pos: usize) -> &Key {
        match self.map.get_index(pos) {
            Some((key, _)) => key,
            None => unreachable!("a handle's position is valid while it borrows the store"),
        }
    }

    /// Sets or clears (0) the TTL of the key at `index`.
    pub(super) fn set_expire_at(&mut self, index: usize, expire_at: i64) {
        let had = self.map.flag(index);
        if !had && expire_at == 0 {
            return;
        }
        let Some((key, _, hash)) = self.map.get_hashed(index) else {
            return;
        };
        if expire_at == 0 {
            self.expires.remove_hashed(hash, key);
        } else if let Some(t) = self.expires.find_hashed(hash, key) {
            self.expires[t] = expire_at;
        } else {
            let key = key.clone();
            self.expires.push_hashed(hash, key, expire_at);
        }
        self.map.set_flag(index, expire_at != 0);
    }

    /// Removes `key` whatever its TTL; returns its value and TTL.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let hash = self.map.hash(key);
        let i = self.map.find_hashed(hash, key)?;
        Some(self.remove_index(i))
    }

    /// Removes the key at `index`; returns it with its value and TTL.
    pub(super) fn remove_keyed(&mut self, index: usize) -> (Key, Entry) {
        let flagged = self.map.flag(index);
        let (key, value, hash) = self
            .map
            .swap_remove_index(index)
            .expect("index from a lookup in this turn");
        let expire_at = if flagged {
            self.expires
                .remove_hashed(hash, &key)
                .map_or(0, |(_, at)| at)
        } else {
            0
        };
        (key, Entry { value, expire_at })
    }

    /// Removes the key at `index`; returns its value and TTL.
    pub(super) fn remove_index(&mut self, index: usize) -> Entry {
        self.remove_keyed(index).1
    }

    /// Takes all keys out (for freeing in slices), leaving the database empty.
    pub fn take_all(&mut self) -> Flushed {
        let mut fresh = Db::with_hasher(self.map.hasher().clone());
        fresh.log_new = self.log_new;
        fresh.new_keys = std::mem::take(&mut self.new_keys);
        fresh.fresh = self.fresh;
        let old = std::mem::replace(self, fresh);
        Flushed {
            keys: old.map.into_slots(),
            ttl: old.expires.into_slots(),
        }
    }

    /// Removes the expired key at `index`, keeping a big value for sliced freeing.
    fn expire_index(&mut self, index: usize) {
        let entry = self.remove_index(index);
        if entry.value.elements() > super::LAZY_FREE_ELEMENTS {
            self.expired_big.push(entry.value);
        }
    }

    /// Big values of expired keys, for the store to free in slices.
    pub fn take_expired_big(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.expired_big)
    }

    /// A key with a TTL at a random position (for expiry sampling).
    pub fn expiring_key_at(&self, index: usize) -> Option<&Key> {
        self.expires.get_index(index).map(|(k, _)| k)
    }

    /// Removes the key at position `index` of the TTL index if its TTL has passed at
    /// `now` (active expiry); returns true when it did.
    pub fn expire_sampled(&mut self, index: usize, now: i64) -> bool {
        let Some((key, &at, hash)) = self.expires.get_hashed(index) else {
            return false;
        };
        if !passed(at, now) {
            return false;
        }
        match self.map.position_hashed(hash, key) {
            Some(i) => {
                self.expire_index(i);
                true
            }
            None => false,
        }
    }

    /// Moves up to `buckets` buckets of each table's index if one is being resized;
    /// returns true while work remains.
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        let a = self.map.rehash_step(buckets);
        let b = self.expires.rehash_step(buckets);
        a || b
    }

    /// One SCAN step: visits positions below `cursor` (0 = start) downwards, at most
    /// `count` of them, calling `visit` with each key, value and expiry (0 = none);
    /// returns the next cursor (0 = done).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Value, i64)) -> u64 {
        self.map
            .scan(cursor, count, |pos, k, v| visit(k, v, self.expire_at(pos)))
    }

    /// Iterates all keys, values and expiries (0 = none).
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Value, i64)> {
        self.map.iter_hashed().map(|(k, v, hash, flagged)| {
            let at = if flagged { self.ttl_of(hash, k) } else { 0 };
            (k, v, at)
        })
    }

    /// The value of `key` and its absolute expiry (Unix ms, 0 = none), whatever its
    /// TTL, without expiring or rehashing anything (for checks that must not change the
    /// database, as WATCH's and the tests'): no position is handed out.
    pub fn peek(&self, key: &[u8]) -> Option<(&Value, i64)> {
        let pos = self.map.position(key)?;
        Some((&self.map[pos], self.expire_at(pos)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(n: usize) -> Db {
        let mut db = Db::default();
        for i in 0..n {
            db.insert(format!("k{i}").as_bytes(), Value::Int(i as i64), 0);
        }
        db
    }

    #[test]
    fn scan_returns_every_stable_key_despite_removals() {
        let mut db = db_with(100);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut round = 0;
        loop {
            cursor = db.scan(cursor, 7, |k, _, _| {
                seen.insert(k.clone());
            });
            // Remove a key that was already returned, moving the last one around.
            round += 1;
            let victim = format!("k{}", round * 3);
            if seen.contains(victim.as_bytes()) {
                db.remove(victim.as_bytes());
            }
            if cursor == 0 {
                break;
            }
        }
        for (k, _, _) in db.iter() {
            assert!(seen.contains(k), "key {k:?} missed by scan");
        }
    }

    #[test]
    fn ttl_index_follows_inserts_and_removals() {
        let mut db = db_with(3);
        db.insert(b"t", Value::Int(1), 1000);
        assert_eq!(db.expires_len(), 1);
        assert_eq!(db.lookup(b"t", 999).0, Lookup::Found(3));
        assert_eq!(db.lookup(b"t", 1000), (Lookup::Missing, true));
        assert_eq!(db.expires_len(), 0);
        assert_eq!(db.len(), 3);
    }

    #[test]
    fn ttl_index_follows_expire_changes_and_moves() {
        let mut db = db_with(5);
        db.insert(b"k1", Value::Int(1), 500);
        db.insert(b"k1", Value::Int(1), 600);
        assert_eq!(db.expires_len(), 1);
        db.insert(b"k1", Value::Int(1), 0);
        assert_eq!(db.expires_len(), 0);
        let Lookup::Found(i) = db.lookup(b"k4", 0).0 else {
            panic!("k4 missing");
        };
        db.set_expire_at(i, 100);
        db.set_expire_at(i, 200);
        assert_eq!(db.expires_len(), 1);
        assert_eq!(
            db.expiring_key_at(0).map(|k| k.to_vec()),
            Some(b"k4".to_vec())
        );
        // Removing another key moves k4 (the last) into its place; the TTL stays.
        db.remove(b"k0");
        assert_eq!(db.lookup(b"k4", 0).0, Lookup::Found(0));
        assert!(!db.expire_sampled(0, 199));
        assert!(db.expire_sampled(0, 200));
        assert_eq!((db.len(), db.expires_len()), (3, 0));
        assert!(!db.expire_sampled(0, 300));
    }

    #[test]
    fn take_all_leaves_an_empty_db_and_frees_in_slices() {
        let mut db = db_with(1000);
        db.insert(b"t", Value::Int(1), 5);
        let mut flushed = db.take_all();
        assert_eq!((db.len(), db.expires_len()), (0, 0));
        assert_eq!(flushed.len(), 1001);
        assert_eq!(flushed.free_some(600), 600);
        assert_eq!(flushed.free_some(600), 402, "1001 keys and one TTL entry");
        assert!(flushed.is_empty());
        db.insert(b"t", Value::Int(2), 0);
        assert_eq!(db.lookup(b"t", 0).0, Lookup::Found(0));
    }

    #[test]
    fn ttl_lives_in_the_ttl_table_and_the_flag_tracks_it() {
        let mut db = db_with(2000);
        for i in (0..2000).step_by(2) {
            let Lookup::Found(at) = db.lookup(format!("k{i}").as_bytes(), 0).0 else {
                panic!("k{i} missing");
            };
            db.set_expire_at(at, 1000 + i as i64);
        }
        assert_eq!(db.expires_len(), 1000);
        // Remove keys (moving others around), clear and replace some TTLs.
        for i in (0..2000).step_by(5) {
            db.remove(format!("k{i}").as_bytes());
        }
        let Lookup::Found(at) = db.lookup(b"k2", 0).0 else {
            panic!("k2 missing");
        };
        db.set_expire_at(at, 0);
        db.insert(b"k4", Value::Int(0), 0);
        db.insert(b"k3", Value::Int(0), 7);
        let ttl = |i: usize| match i {
            2 | 4 => 0,
            3 => 7,
            i if i % 2 == 0 => 1000 + i as i64,
            _ => 0,
        };
        let mut with_ttl = 0;
        for i in (0..2000).filter(|i| i % 5 != 0) {
            let Lookup::Found(at) = db.lookup(format!("k{i}").as_bytes(), 0).0 else {
                panic!("k{i} missing");
            };
            assert_eq!(db.expire_at(at), ttl(i), "k{i}");
            assert_eq!(db.map.flag(at), ttl(i) != 0, "k{i}");
            with_ttl += usize::from(ttl(i) != 0);
        }
        assert_eq!(db.expires_len(), with_ttl);
        assert_eq!(db.iter().filter(|&(_, _, at)| at != 0).count(), with_ttl);
        // Lazy expiry still sees the TTL; removal returns it.
        assert_eq!(db.lookup(b"k3", 7), (Lookup::Missing, true));
        let removed = db.remove(b"k6").expect("present");
        assert_eq!((removed.value, removed.expire_at), (Value::Int(6), 1006));
        assert_eq!(db.expires_len(), with_ttl - 2);
    }
}
