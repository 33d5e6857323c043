//! One logical database: the key table and the index of keys with a TTL.
//!
//! The table is an `IndexMap`: entries sit in a dense vector, so a random key
//! (RANDOMKEY, active expiry sampling) is one index away, and SCAN's cursor is a
//! position walked from the end towards 0. Removal is `swap_remove`, which moves
//! only the last entry; walking downwards, such a move can only repeat an element,
//! never skip one, which is SCAN's guarantee.

use indexmap::{IndexMap, IndexSet};

use super::value::{Entry, Key, Value};

/// The hasher of the key tables: foldhash, seeded at random per process. SipHash
/// (std's) cost ~4% of server CPU in profiles; foldhash is several times faster and its
/// random seed keeps clients from predicting collisions.
pub type KeyHasher = foldhash::fast::RandomState;

/// The key table type.
pub type Table = IndexMap<Key, Entry, KeyHasher>;

/// A database: keys and their TTL index.
#[derive(Debug, Default)]
pub struct Db {
    map: Table,
    /// Keys that have an expiry time, for sampling by the active expiry cycle.
    expires: IndexSet<Key, KeyHasher>,
}

/// What a lookup that may expire keys found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Present at this index.
    Found(usize),
    /// Absent (or just expired and removed).
    Missing,
}

impl Db {
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
    pub fn lookup(&mut self, key: &[u8], now: i64) -> (Lookup, bool) {
        match self.map.get_index_of(key) {
            None => (Lookup::Missing, false),
            Some(i) => {
                if self.map[i].is_expired(now) {
                    self.remove_index(i);
                    (Lookup::Missing, true)
                } else {
                    (Lookup::Found(i), false)
                }
            }
        }
    }

    /// The entry at `index` (from [`Db::lookup`]).
    pub fn entry_at(&mut self, index: usize) -> &mut Entry {
        &mut self.map[index]
    }

    /// The entry at `index` without mutation.
    pub fn entry_ref(&self, index: usize) -> &Entry {
        &self.map[index]
    }

    /// The key and entry at `index`, for iteration by position.
    pub fn get_index(&self, index: usize) -> Option<(&Key, &Entry)> {
        self.map.get_index(index)
    }

    /// Inserts or replaces `key`; `expire_at` 0 clears any TTL.
    pub fn insert(&mut self, key: &[u8], value: Value, expire_at: i64) {
        match self.map.get_index_of(key) {
            Some(i) => {
                let old_expire = self.map[i].expire_at;
                self.map[i] = Entry { value, expire_at };
                if (old_expire != 0) != (expire_at != 0) {
                    self.track_expire(key, expire_at != 0);
                }
            }
            None => {
                self.map.insert(key.into(), Entry { value, expire_at });
                if expire_at != 0 {
                    self.expires.insert(key.into());
                }
            }
        }
    }

    /// Sets or clears (0) the TTL of the key at `index`.
    pub fn set_expire_at(&mut self, index: usize, expire_at: i64) {
        let had = self.map[index].expire_at != 0;
        self.map[index].expire_at = expire_at;
        if had != (expire_at != 0) {
            let key = self.map.get_index(index).map(|(k, _)| k.clone());
            if let Some(key) = key {
                self.track_expire(&key, expire_at != 0);
            }
        }
    }

    fn track_expire(&mut self, key: &[u8], has_ttl: bool) {
        if has_ttl {
            self.expires.insert(key.into());
        } else {
            self.expires.swap_remove(key);
        }
    }

    /// Removes `key` whatever its TTL; returns its entry.
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let i = self.map.get_index_of(key)?;
        Some(self.remove_index(i))
    }

    /// Removes the entry at `index`.
    pub fn remove_index(&mut self, index: usize) -> Entry {
        let (key, entry) = self
            .map
            .swap_remove_index(index)
            .expect("index from a lookup in this turn");
        if entry.expire_at != 0 {
            self.expires.swap_remove(&key);
        }
        entry
    }

    /// Takes the whole table out (for freeing in slices), leaving the database empty.
    pub fn take_all(&mut self) -> Table {
        self.expires = IndexSet::default();
        std::mem::take(&mut self.map)
    }

    /// A key with a TTL at a random position (for expiry sampling).
    pub fn expiring_key_at(&self, index: usize) -> Option<&Key> {
        self.expires.get_index(index)
    }

    /// One SCAN step: visits positions below `cursor` (0 = start) downwards, at most
    /// `count` of them, calling `visit` for each; returns the next cursor (0 = done).
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&Key, &Entry)) -> u64 {
        let len = self.map.len();
        let mut remaining = if cursor == 0 {
            len
        } else {
            (cursor.min(len as u64)) as usize
        };
        let mut visited = 0;
        while remaining > 0 && visited < count.max(1) {
            remaining -= 1;
            let (k, e) = self.map.get_index(remaining).expect("index below len");
            visit(k, e);
            visited += 1;
        }
        remaining as u64
    }

    /// Iterates all keys and entries.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
        self.map.iter()
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
            cursor = db.scan(cursor, 7, |k, _| {
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
        for (k, _) in db.iter() {
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
}
