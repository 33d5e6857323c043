//! The data room: pure, owned, single-threaded. No I/O, no RESP, no commands.
//!
//! [`Store`] holds the databases, the dirty counter (bumped by every write, for
//! persistence and replication), keyspace statistics, and tables waiting to be freed
//! in slices so that FLUSHALL of a big database never stalls the event loop.

pub mod bytes;
pub mod db;
pub mod evict;
pub mod expire;
pub mod functions;
pub mod handle;
pub mod hash;
pub mod hll;
pub mod item;
pub mod list;
pub mod rng;
pub mod set;
pub mod skiplist;
pub mod stream;
pub mod table;
pub mod value;
pub mod zset;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use bytes::Bytes;
pub use db::{Db, Lookup};
pub use evict::{Access, Evicted, Policy};
pub use expire::Expiring;
pub use handle::{Event, KeyMut, KeyRef, class};
pub use item::{Item, OwnedItem};
pub use rng::Rng;
pub use value::{Entry, Key, Kind, Value};

/// Number of databases, as Redis's default `databases 16`.
pub const DEFAULT_DATABASES: usize = 16;
/// Entries freed per call of [`Store::free_some`] (one per loop turn while any wait):
/// small enough to stay far below a millisecond per turn.
pub const FREE_SLICE: usize = 16 * 1024;
/// Buckets moved per database between clock checks in [`Store::rehash_step`]
/// (Redis's `dictRehashMilliseconds` moves 100 at a time).
pub const REHASH_SLICE: usize = 100;
/// Elements above which a deleted collection is freed in slices after the turn
/// rather than at once (Redis's `LAZYFREE_THRESHOLD`, so `lazyfreed_objects` counts
/// what Redis's would).
pub const LAZY_FREE_ELEMENTS: usize = 64;

/// Memory waiting to be freed a slice at a time.
#[derive(Debug)]
enum Garbage {
    /// A flushed database.
    Db(db::Flushed),
    /// A deleted big collection.
    Value(Value),
}

impl Garbage {
    fn free_some(&mut self, budget: usize) -> usize {
        match self {
            Garbage::Db(table) => table.free_some(budget),
            Garbage::Value(value) => value.free_some(budget).max(1),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Garbage::Db(table) => table.is_empty(),
            Garbage::Value(value) => value.elements() == 0,
        }
    }
}

/// Keyspace counters reported by INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyspaceStats {
    /// Keys removed because their TTL passed (lazily or actively).
    pub expired_keys: u64,
    /// Successful key lookups by read commands.
    pub hits: u64,
    /// Failed key lookups by read commands.
    pub misses: u64,
    /// Keys evicted to stay under `maxmemory`.
    pub evicted_keys: u64,
    /// Values freed in slices between turns instead of at once (INFO `lazyfreed_objects`).
    pub lazyfreed_objects: u64,
}

/// Which events the store records for keyspace notifications (set from
/// `notify-keyspace-events`; all off by default, so recording costs one branch).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tracking {
    /// Keys removed because their TTL passed.
    pub expired: bool,
    /// Read lookups that found nothing.
    pub miss: bool,
    /// Keys added to a database.
    pub new: bool,
}

/// A key event the store saw by itself (no command names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    /// The key expired.
    Expired,
    /// A read found no such key.
    Miss,
    /// The key was added.
    New,
    /// A command wrote the key (recorded for every write, through [`handle`]).
    Write(Event),
}

/// All databases and their bookkeeping.
#[derive(Debug)]
pub struct Store {
    dbs: Vec<Db>,
    /// Writes since start (never reset): every write handle, flush and expiry counts.
    dirty: u64,
    /// Keyspace counters.
    pub stats: KeyspaceStats,
    graveyard: Vec<Garbage>,
    rng: Rng,
    /// Database where the next active expiry cycle starts.
    expire_cursor: usize,
    /// Which key events to record.
    tracking: Tracking,
    /// Whether writes are logged with their key (someone watches keys, waits on
    /// them, or listens to keyspace events); when not, a write only counts as dirty.
    observed: bool,
    /// Writes, and expired, missed and added keys, recorded since the last [`Store::drain_key_events`].
    key_events: Vec<(usize, Key, KeyEvent)>,
    /// Whether the keys the store expires are logged for propagation (AOF on).
    propagating: bool,
    /// Keys expired since the last [`Store::drain_expired_log`], while propagating: the
    /// propagation layer turns each into a `DEL`.
    expired_log: Vec<(usize, Key)>,
    /// The function libraries' code (FUNCTION LOAD), saved with the data.
    pub functions: functions::FunctionLibs,
    /// How access clocks are kept and keys evicted.
    access: Access,
    /// Eviction candidates kept across calls, best last (Redis's `EvictionPoolLRU`).
    pool: Vec<evict::Candidate>,
    /// Whether lookups record an access (off inside [`Store::untouched`]).
    touching: bool,
    /// `touching` and the policy keeps LRU clocks: the one test a lookup makes before
    /// stamping the key it found (kept by `set_touching` and `set_access`).
    lru_touch: bool,
    /// Database where the next random eviction looks first.
    evict_cursor: usize,
    /// Who removes expired keys: this store (a master) or its master's stream.
    expiring: Expiring,
    /// CLIENT PAUSE in force: a master's store expires as a replica's does (see
    /// [`Store::expiry`]).
    expiry_paused: bool,
    /// Whether the active expiry cycle runs (`DEBUG SET-ACTIVE-EXPIRE`, Redis's
    /// `server.active_expire_enabled`); lookups still expire keys when off.
    active_expire_on: bool,
}

impl Store {
    /// A store with `databases` empty databases.
    pub fn new(databases: usize) -> Store {
        let seed = now_ms() as u64 ^ 0x9E37_79B9_7F4A_7C15;
        let mut store = Store {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            dirty: 0,
            stats: KeyspaceStats::default(),
            graveyard: Vec::new(),
            rng: Rng::new(seed),
            expire_cursor: 0,
            tracking: Tracking::default(),
            observed: true,
            key_events: Vec::new(),
            propagating: false,
            expired_log: Vec::new(),
            functions: functions::FunctionLibs::default(),
            access: Access::default(),
            pool: Vec::with_capacity(evict::POOL_SIZE),
            touching: true,
            lru_touch: true,
            evict_cursor: 0,
            expiring: Expiring::Delete,
            expiry_paused: false,
            active_expire_on: true,
        };
        store.tick(now_ms());
        store
    }

    /// Chooses which key events to record (recorded ones are dropped when turned off).
    pub fn set_tracking(&mut self, tracking: Tracking) {
        self.tracking = tracking;
        if !tracking.expired && !tracking.miss {
            self.key_events
                .retain(|(_, _, event)| matches!(event, KeyEvent::Write(_)));
        }
        for db in &mut self.dbs {
            db.set_log_new(tracking.new);
        }
    }

    /// Says who removes expired keys (a master, a replica, or a replica applying
    /// its master's stream); returns the previous setting.
    pub fn set_expiring(&mut self, expiring: Expiring) -> Expiring {
        std::mem::replace(&mut self.expiring, expiring)
    }

    /// Who removes expired keys by role, as set by [`Store::set_expiring`] (a pause
    /// does not change it; see [`Store::expiry`]).
    pub fn expiring(&self) -> Expiring {
        self.expiring
    }

    /// Says whether clients are paused (CLIENT PAUSE): while they are, nothing may
    /// change the data set, so the store expires as a replica's does.
    pub fn set_expiry_paused(&mut self, paused: bool) {
        self.expiry_paused = paused;
    }

    /// How expired keys are treated now, the one rule every lookup, the active cycle
    /// and random sampling follow (Redis's `expireIfNeeded`): a replica, or any server
    /// while clients are paused (`checkClientPauseTimeoutAndReturnIfPaused`), reports
    /// them missing and keeps them ([`Expiring::Replica`]), so no expiry is counted,
    /// notified or propagated as a `DEL` and the active cycle does nothing; a replica
    /// applying its master's stream sees them ([`Expiring::Ignore`], paused or not);
    /// otherwise they are removed.
    #[inline]
    pub fn expiry(&self) -> Expiring {
        match self.expiring {
            Expiring::Delete if self.expiry_paused => Expiring::Replica,
            role => role,
        }
    }

    /// Takes `old`'s expiry settings (role, pause, active cycle): for a data set
    /// loaded to replace `old`.
    pub fn inherit_expiry(&mut self, old: &Store) {
        self.expiring = old.expiring;
        self.expiry_paused = old.expiry_paused;
        self.active_expire_on = old.active_expire_on;
    }

    /// Turns the active expiry cycle on or off (`DEBUG SET-ACTIVE-EXPIRE`).
    pub fn set_active_expire(&mut self, on: bool) {
        self.active_expire_on = on;
    }

    /// Says whether anyone observes writes key by key (WATCH, blocked clients,
    /// keyspace events); set before each command, so an unobserved write costs only
    /// its dirty count.
    pub fn set_observed(&mut self, observed: bool) {
        self.observed = observed;
    }

    /// True when some key event waits for [`Store::drain_key_events`].
    pub fn has_events(&self) -> bool {
        !self.key_events.is_empty() || self.tracking.new
    }

    /// Which key events are recorded.
    pub fn tracking(&self) -> Tracking {
        self.tracking
    }

    /// Hands every recorded key event to `f` (database, key, event), expiries and
    /// misses first, then new keys; of database `db` only for `Some(db)` (new keys of
    /// other databases wait for a later call), else of all.
    pub fn drain_key_events(
        &mut self,
        db: Option<usize>,
        mut f: impl FnMut(usize, &[u8], KeyEvent),
    ) {
        // Drained in place: the log keeps its capacity from command to command.
        for (db, key, kind) in self.key_events.drain(..) {
            f(db, &key, kind);
        }
        if !self.tracking.new {
            return;
        }
        let range = match db {
            Some(db) if db < self.dbs.len() => db..db + 1,
            Some(_) => return,
            None => 0..self.dbs.len(),
        };
        for i in range {
            for key in self.dbs[i].take_new_keys() {
                f(i, &key, KeyEvent::New);
            }
        }
    }

    /// Records that `key` of `db` expired, if expiries are tracked or propagated.
    fn record_expired(&mut self, db: usize, key: &[u8]) {
        if self.tracking.expired {
            self.key_events
                .push((db, Key::from_slice(key), KeyEvent::Expired));
        }
        if self.propagating {
            self.expired_log.push((db, Key::from_slice(key)));
        }
    }

    /// Whether expiries must be recorded (for notifications or propagation).
    fn records_expiries(&self) -> bool {
        self.tracking.expired || self.propagating
    }

    /// Logs the keys the store expires from now on (or stops, dropping the log), for
    /// the propagation layer.
    pub fn set_propagating(&mut self, on: bool) {
        self.propagating = on;
        if !on {
            self.expired_log = Vec::new();
        }
    }

    /// True when expired keys wait for [`Store::drain_expired_log`].
    #[inline]
    pub fn has_expired_log(&self) -> bool {
        !self.expired_log.is_empty()
    }

    /// Hands every key expired since the last call to `f` (database, key), in order.
    pub fn drain_expired_log(&mut self, mut f: impl FnMut(usize, &[u8])) {
        for (db, key) in self.expired_log.drain(..) {
            f(db, &key);
        }
    }

    /// Number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Database `index` (callers validate the index at SELECT).
    pub fn db(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// All databases, read-only.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Finds `key` in database `db` for a read: expires it lazily and counts a hit or miss.
    #[inline]
    fn lookup_read(&mut self, db: usize, key: &[u8], now: i64) -> Option<usize> {
        let found = self.lookup(db, key, now, self.expiry());
        if found.is_some() {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
            if self.tracking.miss {
                self.key_events
                    .push((db, Key::from_slice(key), KeyEvent::Miss));
            }
        }
        found
    }

    /// Finds `key` in database `db` for a write: expires it lazily, counts nothing.
    #[inline]
    fn lookup_write(&mut self, db: usize, key: &[u8], now: i64) -> Option<usize> {
        // A write must not find a key it cannot see: on a replica it removes it, as
        // Redis's `LOOKUP_WRITE` does (while paused, writes are held before they run).
        let expiring = match self.expiry() {
            Expiring::Replica => Expiring::Delete,
            other => other,
        };
        self.lookup(db, key, now, expiring)
    }

    /// Finds `key` in database `db`, treating an expired key as `expiring` says.
    #[inline]
    fn lookup(&mut self, db: usize, key: &[u8], now: i64, expiring: Expiring) -> Option<usize> {
        // An LRU touch is done by the lookup itself, while the entry is at hand.
        let lru = self.lru_touch;
        let clock = lru.then(|| evict::lru_clock(now));
        let (found, expired) = self.dbs[db].lookup_clocked(key, now, clock, expiring);
        if expired {
            self.stats.expired_keys += 1;
            self.dirty += 1;
            self.record_expired(db, key);
        }
        match found {
            Lookup::Found(i) => {
                if !lru {
                    self.touch(db, i, now);
                }
                Some(i)
            }
            Lookup::Missing => None,
        }
    }

    /// Empties database `db`; returns how many keys it held. Counts one write, even for
    /// an empty database (the flush is still propagated). The memory is freed in slices
    /// by [`Store::free_some`].
    pub fn flush_db(&mut self, db: usize) -> usize {
        self.dirty += 1;
        self.take_db(db)
    }

    /// Empties database `db` without counting; returns how many keys it held.
    fn take_db(&mut self, db: usize) -> usize {
        let table = self.dbs[db].take_all();
        let n = table.len();
        if n > 0 {
            self.graveyard.push(Garbage::Db(table));
        }
        n
    }

    /// Drops a value removed from the key space: a big collection goes to the
    /// graveyard and is freed in slices by [`Store::free_some`] (Redis frees big values
    /// in a background thread; one thread here frees them between turns).
    pub fn dispose(&mut self, value: Value) {
        if value.elements() > LAZY_FREE_ELEMENTS {
            self.stats.lazyfreed_objects += 1;
            self.graveyard.push(Garbage::Value(value));
        }
    }

    /// Values and flushed tables waiting to be freed (INFO `lazyfree_pending_objects`).
    pub fn lazyfree_pending(&self) -> usize {
        self.graveyard.len()
    }

    /// Empties every database; returns how many keys there were. Counts one write per
    /// non-empty database, and one when all were empty.
    pub fn flush_all(&mut self) -> usize {
        let mut emptied = 0;
        let mut keys = 0;
        for db in 0..self.dbs.len() {
            let n = self.take_db(db);
            emptied += u64::from(n > 0);
            keys += n;
        }
        self.dirty += emptied.max(1);
        keys
    }

    /// Frees up to [`FREE_SLICE`] entries of flushed tables; true while more remain.
    pub fn free_some(&mut self) -> bool {
        for db in 0..self.dbs.len() {
            for value in self.dbs[db].take_expired_big() {
                self.stats.lazyfreed_objects += 1;
                self.graveyard.push(Garbage::Value(value));
            }
        }
        let mut budget = FREE_SLICE;
        while budget > 0 {
            let Some(table) = self.graveyard.last_mut() else {
                return false;
            };
            budget = budget.saturating_sub(table.free_some(budget));
            if table.is_empty() {
                self.graveyard.pop();
            }
        }
        !self.graveyard.is_empty()
    }

    /// Advances the incremental resizing of the key tables for about `budget` of time
    /// (Redis's `incrementallyRehash` from `databasesCron`); returns true while some
    /// table is still being resized. Every command touching a table moves it along
    /// too; this finishes resizes on idle servers.
    pub fn rehash_step(&mut self, budget: Duration) -> bool {
        let deadline = Instant::now() + budget;
        for db in &mut self.dbs {
            while db.rehash_step(REHASH_SLICE) {
                if Instant::now() >= deadline {
                    return true;
                }
            }
        }
        false
    }

    /// Refreshes the clock new keys start with (from the cron: keys a command adds are
    /// stamped exactly, keys loaded from a file get the last tick's).
    pub fn tick(&mut self, now: i64) {
        let fresh = self.fresh_clock(now);
        for db in &mut self.dbs {
            db.fresh = fresh;
        }
    }

    /// Swaps the contents of databases `a` and `b` (SWAPDB; callers validate both);
    /// counts one write.
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
        self.dirty += 1;
    }

    /// Writes since start (never reset): persistence compares it with the count at the
    /// last save.
    pub fn dirty(&self) -> u64 {
        self.dirty
    }

    /// Counts one write that touches no key (FUNCTION LOAD, DELETE, FLUSH, RESTORE:
    /// Redis's `server.dirty++`), so that it propagates and counts for saves.
    pub fn count_change(&mut self) {
        self.dirty += 1;
    }

    /// A pseudo-random number (xorshift64*), for sampling; not for secrets.
    pub fn random(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A random live key of database `db`, expiring the dead ones it meets.
    pub fn random_key(&mut self, db: usize, now: i64) -> Option<Key> {
        // Bounded tries, as Redis's dbRandomKey, so a database of mostly expired keys
        // cannot keep the loop busy; expired keys met on the way are reclaimed.
        for _ in 0..100 {
            let len = self.dbs[db].len();
            if len == 0 {
                return None;
            }
            let i = (self.random() % len as u64) as usize;
            let expiry = self.expiry();
            if expiry == Expiring::Ignore || !self.dbs[db].is_expired(i, now) {
                return self.dbs[db].get_index(i).map(|(key, _)| key.clone());
            }
            if expiry == Expiring::Replica {
                // The master removes it (or the pause ends); try another.
                continue;
            }
            if self.records_expiries()
                && let Some((key, _)) = self.dbs[db].get_index(i)
            {
                let key = key.clone();
                self.record_expired(db, &key);
            }
            self.dbs[db].remove_index(i);
            self.stats.expired_keys += 1;
            self.dirty += 1;
        }
        None
    }
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_makes_a_master_expire_as_a_replica_and_leaves_roles_alone() {
        let mut store = Store::new(1);
        store.db(0).insert(b"k", Value::Int(1), 1);
        assert_eq!(store.expiry(), Expiring::Delete);
        store.set_expiry_paused(true);
        assert_eq!(store.expiry(), Expiring::Replica);
        // Missing to a read, still there, nothing counted.
        assert!(store.read_key(0, b"k", 10).is_none());
        assert_eq!(store.db(0).len(), 1);
        assert_eq!(store.stats.expired_keys, 0);
        assert_eq!(
            store.active_expire(10, Instant::now() + Duration::from_secs(1)),
            0
        );
        assert_eq!(store.db(0).len(), 1);
        // The role is not changed by a pause, and a replica stays one after it.
        assert_eq!(store.expiring(), Expiring::Delete);
        store.set_expiring(Expiring::Replica);
        store.set_expiry_paused(false);
        assert_eq!(store.expiry(), Expiring::Replica);
        // The master's stream sees the key, paused or not.
        store.set_expiring(Expiring::Ignore);
        store.set_expiry_paused(true);
        assert_eq!(store.expiry(), Expiring::Ignore);
        assert!(store.read_key(0, b"k", 10).is_some());
        // Unpaused, a master removes it.
        store.set_expiring(Expiring::Delete);
        store.set_expiry_paused(false);
        assert!(store.read_key(0, b"k", 10).is_none());
        assert_eq!(store.db(0).len(), 0);
        assert_eq!(store.stats.expired_keys, 1);
    }

    #[test]
    fn flush_frees_in_slices() {
        let mut store = Store::new(2);
        for i in 0..(FREE_SLICE * 2 + 10) {
            store
                .db(1)
                .insert(format!("{i}").as_bytes(), Value::Int(1), 0);
        }
        assert_eq!(store.flush_all(), FREE_SLICE * 2 + 10);
        assert_eq!(store.db(1).len(), 0);
        assert!(store.free_some());
        assert!(store.free_some());
        assert!(!store.free_some());
    }
}
