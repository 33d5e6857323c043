//! Handles to keys that the borrow checker keeps valid, and the one path every write
//! takes to be seen.
//!
//! A lookup ([`Store::read_key`], [`Store::write_key`], [`Store::insert_key`]) hands out
//! a handle that borrows the whole [`Store`] mutably. While it lives nothing else can
//! touch the store, so no lazy expiry, delete or insert can move another key into its
//! position: a position used after the table changed does not compile.
//!
//! ```compile_fail,E0499
//! use rudis::store::{Event, Store, Value};
//! let mut store = Store::new(1);
//! store.insert_key(0, b"a", Value::Int(1), 0, 0).changed(Event::DEL);
//! store.insert_key(0, b"b", Value::Int(2), 0, 0).changed(Event::DEL);
//! let a = store.read_key(0, b"a", 0).unwrap();
//! // Removing b may move a's neighbour around: the handle on a must not survive it.
//! store.write_key(0, b"b", 0).unwrap().remove(Event::DEL);
//! let _ = a.value();
//! ```
//!
//! The same steps in an order the borrow checker accepts: each handle is finished
//! before the next lookup.
//!
//! ```
//! use rudis::store::{Event, Store, Value};
//! let mut store = Store::new(1);
//! store.insert_key(0, b"a", Value::Int(1), 0, 0).changed(Event::DEL);
//! store.insert_key(0, b"b", Value::Int(2), 0, 0).changed(Event::DEL);
//! store.write_key(0, b"b", 0).unwrap().remove(Event::DEL);
//! let a = store.read_key(0, b"a", 0).unwrap();
//! assert_eq!(a.value(), &Value::Int(1));
//! ```
//!
//! A write handle ([`KeyMut`]) records its change in the store's event log when it
//! is finished ([`KeyMut::changed`], [`KeyMut::remove`], ...): the dirty counter, and the
//! key and event that the dispatcher then hands to WATCH, blocked clients and
//! keyspace notifications (and, later, the AOF and replicas). A handle whose value was
//! changed but that is dropped without naming its event still records the change
//! (without an event name) and, in debug builds, panics: a forgotten event is a bug the
//! test of every write command finds.
//!
//! Several keys read at once go through [`Store::read_keys`], which expires them first
//! and then lends all the values together, read-only: a multi-key command reads its
//! sources that way, computes, lets go of them, and then writes its destination through
//! a handle.

use super::value::{Entry, Key, Value};
use super::{KeyEvent, Store};

/// A keyspace event a write raises: its `notify-keyspace-events` class (one of
/// [`class`]'s bits) and Redis's name for it (`set`, `lpush`, `del`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The notification class bit.
    pub class: u32,
    /// Redis's event name.
    pub name: &'static str,
}

impl Event {
    /// An event of `class` named `name`.
    pub const fn new(class: u32, name: &'static str) -> Event {
        Event { class, name }
    }

    /// The key was deleted (`del`, generic class).
    pub const DEL: Event = Event::new(class::GENERIC, "del");

    /// A change whose handler named no event: seen by WATCH and blocked clients, but
    /// published to no channel.
    pub const UNNAMED: Event = Event::new(0, "");
}

/// The notification classes of `notify-keyspace-events` (Redis's `NOTIFY_*` bits).
pub mod class {
    /// `K`: publish to `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: u32 = 1 << 0;
    /// `E`: publish to `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: u32 = 1 << 1;
    /// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
    pub const GENERIC: u32 = 1 << 2;
    /// `$`: string commands.
    pub const STRING: u32 = 1 << 3;
    /// `l`: list commands.
    pub const LIST: u32 = 1 << 4;
    /// `s`: set commands.
    pub const SET: u32 = 1 << 5;
    /// `h`: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// `z`: sorted set commands.
    pub const ZSET: u32 = 1 << 7;
    /// `x`: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// `e`: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// `t`: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// `m`: key miss events (not part of `A`).
    pub const KEY_MISS: u32 = 1 << 11;
    /// `d`: module events (accepted for compatibility; no module raises them).
    pub const MODULE: u32 = 1 << 13;
    /// `n`: new key events (not part of `A`).
    pub const NEW: u32 = 1 << 14;
    /// Not a notification class: marks a write that does not touch WATCHed keys
    /// (Redis's stream group commands call no `signalModifiedKey`).
    pub const NO_TOUCH: u32 = 1 << 31;
    /// `A`: every class but `m` and `n`.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// A key found by a lookup, for reading (it may become a [`KeyMut`]).
#[must_use]
#[derive(Debug)]
pub struct KeyRef<'s> {
    store: &'s mut Store,
    db: usize,
    pos: usize,
}

impl<'s> KeyRef<'s> {
    fn new(store: &'s mut Store, db: usize, pos: usize) -> KeyRef<'s> {
        KeyRef { store, db, pos }
    }

    /// The value.
    pub fn value(&self) -> &Value {
        self.store.dbs[self.db].value_ref(self.pos)
    }

    /// The value, for as long as the store stays borrowed.
    pub fn into_value(self) -> &'s Value {
        self.store.dbs[self.db].value_ref(self.pos)
    }

    /// The key's bytes.
    pub fn key(&self) -> &Key {
        self.store.dbs[self.db].key_at(self.pos)
    }

    /// The absolute expiry (Unix ms), 0 when the key has none.
    pub fn expire_at(&self) -> i64 {
        self.store.dbs[self.db].expire_at(self.pos)
    }

    /// The database the key is in.
    pub fn db(&self) -> usize {
        self.db
    }

    /// The same key, for writing.
    pub fn into_mut(self) -> KeyMut<'s> {
        KeyMut::new(self.store, self.db, self.pos, Touched::No)
    }
}

/// Whether a write handle changed its key, and whether it said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Touched {
    /// Nothing changed yet.
    No,
    /// Changed, event not recorded yet.
    Changed,
    /// The change was recorded.
    Recorded,
}

/// A key found (or created) for writing. Finish it with [`KeyMut::changed`] (or
/// [`KeyMut::changed_n`], [`KeyMut::remove`], [`KeyMut::changed_collection`]) when it
/// changed, or [`KeyMut::unchanged`] when it did not.
#[must_use = "finish a write handle with changed(..) or unchanged()"]
#[derive(Debug)]
pub struct KeyMut<'s> {
    /// The key, whose read accessors a write handle shares ([`KeyMut`] derefs to it).
    slot: KeyRef<'s>,
    touched: Touched,
}

impl<'s> KeyMut<'s> {
    fn new(store: &'s mut Store, db: usize, pos: usize, touched: Touched) -> Self {
        KeyMut {
            slot: KeyRef::new(store, db, pos),
            touched,
        }
    }

    /// The value, to change it (the handle then owes an event).
    pub fn value_mut(&mut self) -> &mut Value {
        self.touch();
        self.slot.store.dbs[self.slot.db].value_at(self.slot.pos)
    }

    /// Sets (or clears, with 0) the key's absolute expiry.
    pub fn set_expire_at(&mut self, expire_at: i64) {
        self.touch();
        self.slot.store.dbs[self.slot.db].set_expire_at(self.slot.pos, expire_at);
    }

    /// Replaces the value; `ttl` is the new absolute expiry (0 = none), or `None` to
    /// keep the current one.
    pub fn replace(&mut self, value: Value, ttl: Option<i64>) {
        *self.value_mut() = value;
        if let Some(at) = ttl {
            self.set_expire_at(at);
        }
    }

    fn touch(&mut self) {
        if self.touched == Touched::No {
            self.touched = Touched::Changed;
        }
    }

    /// Records `event` for this key, counting one change, and keeps the handle (for a
    /// write that raises several events, as SET ... EX raises `set` then `expire`).
    pub fn record(&mut self, event: Event) {
        self.record_n(event, 1);
    }

    #[inline]
    fn record_n(&mut self, event: Event, dirty: u64) {
        self.touched = Touched::Recorded;
        if !self.slot.store.observed {
            self.slot.store.dirty += dirty;
            return;
        }
        let key = self.key().clone();
        self.slot
            .store
            .record_write(self.slot.db, key, event, dirty);
    }

    /// Records `event` for this key, counting one change.
    #[inline]
    pub fn changed(mut self, event: Event) {
        self.record_n(event, 1);
    }

    /// Records `event` for this key, counting `dirty` changes (elements pushed,
    /// members added, ...), as Redis's `server.dirty += n`.
    pub fn changed_n(mut self, event: Event, dirty: u64) {
        self.record_n(event, dirty);
    }

    /// Records `event` for this collection (`dirty` changes), then deletes the key,
    /// with a `del` event, if the collection is now empty (Redis keeps no empty
    /// collection); returns true when it deleted it.
    pub fn changed_collection(mut self, event: Event, dirty: u64) -> bool {
        self.record_n(event, dirty);
        if self.value().elements() != 0 {
            return false;
        }
        self.remove_emptied();
        true
    }

    /// Deletes the key when its collection is empty, with a `del` event, and records
    /// nothing otherwise; for a change already recorded with [`KeyMut::record`].
    pub fn remove_if_empty(self) -> bool {
        if self.value().elements() != 0 {
            // A change not recorded yet is left to Drop.
            return false;
        }
        self.remove_emptied();
        true
    }

    /// Says that nothing changed after all (SREM of a missing member), or that the
    /// change is already recorded.
    pub fn unchanged(mut self) {
        self.touched = Touched::Recorded;
    }

    /// Deletes the key, recording `event` (usually [`Event::DEL`]); returns its value
    /// and expiry.
    pub fn remove(mut self, event: Event) -> Entry {
        self.touched = Touched::Recorded;
        let (key, entry) = self.slot.store.dbs[self.slot.db].remove_keyed(self.slot.pos);
        self.slot.store.record_write(self.slot.db, key, event, 1);
        entry
    }

    /// Deletes the key without recording anything (the caller records the move, as
    /// RENAME, whose events name both keys); returns its value and expiry.
    pub fn take(mut self) -> Entry {
        self.touched = Touched::Recorded;
        self.slot.store.dbs[self.slot.db].remove_index(self.slot.pos)
    }

    /// Deletes the key of an emptied collection with a `del` event that counts no
    /// change: the change that emptied it was counted already (Redis's `dbDelete`
    /// after `server.dirty += n`).
    fn remove_emptied(mut self) {
        self.touched = Touched::Recorded;
        let (key, _empty) = self.slot.store.dbs[self.slot.db].remove_keyed(self.slot.pos);
        self.slot
            .store
            .record_write(self.slot.db, key, Event::DEL, 0);
    }
}

impl<'s> std::ops::Deref for KeyMut<'s> {
    type Target = KeyRef<'s>;

    fn deref(&self) -> &KeyRef<'s> {
        &self.slot
    }
}

impl Drop for KeyMut<'_> {
    fn drop(&mut self) {
        if self.touched != Touched::Changed {
            return;
        }
        // The value changed and the handler named no event: the change still counts
        // and still reaches WATCH and blocked clients.
        self.record_n(Event::UNNAMED, 1);
        if !std::thread::panicking() {
            debug_assert!(
                false,
                "a write handle was changed and dropped without recording its event"
            );
        }
    }
}

impl Store {
    /// Finds `key` in database `db` for a read: expires it lazily, counts a hit or a
    /// miss (and records the miss event when tracked).
    #[inline]
    pub fn read_key(&mut self, db: usize, key: &[u8], now: i64) -> Option<KeyRef<'_>> {
        let pos = self.lookup_read(db, key, now)?;
        Some(KeyRef::new(self, db, pos))
    }

    /// Finds `key` in database `db` for a write: expires it lazily, counts nothing.
    pub fn write_key(&mut self, db: usize, key: &[u8], now: i64) -> Option<KeyMut<'_>> {
        let pos = self.lookup_write(db, key, now)?;
        Some(KeyMut::new(self, db, pos, Touched::No))
    }

    /// Inserts or replaces `key` in database `db` with `value` and absolute expiry
    /// `expire_at` (0 = none), after expiring the old key lazily as a write lookup does;
    /// the returned handle owes the event.
    #[inline]
    pub fn insert_key(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        expire_at: i64,
        now: i64,
    ) -> KeyMut<'_> {
        let pos = match self.lookup_write(db, key, now) {
            Some(pos) => {
                let old = std::mem::replace(self.dbs[db].value_at(pos), value);
                self.dbs[db].set_expire_at(pos, expire_at);
                self.dispose(old);
                pos
            }
            None => self.insert_new(db, key, value, expire_at, now),
        };
        KeyMut::new(self, db, pos, Touched::Changed)
    }

    /// Inserts `key`, known to be absent, recording it as new when that is tracked.
    fn insert_new(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        expire_at: i64,
        now: i64,
    ) -> usize {
        let (pos, _) = self.dbs[db].insert_at(key, value, expire_at);
        self.stamp(db, pos, now);
        if self.tracking.new {
            self.key_events
                .push((db, Key::from_slice(key), KeyEvent::New));
        }
        pos
    }

    /// The `kind` value at `key` of database `db` for writing, inserted from `make`
    /// when the key is absent; `None` when the key holds another kind.
    pub fn write_key_or_insert(
        &mut self,
        db: usize,
        key: &[u8],
        now: i64,
        kind: super::Kind,
        make: impl FnOnce() -> Value,
    ) -> Option<KeyMut<'_>> {
        match self.lookup_write(db, key, now) {
            Some(pos) if self.dbs[db].value_ref(pos).kind() != kind => None,
            Some(pos) => Some(KeyMut::new(self, db, pos, Touched::No)),
            None => {
                let pos = self.insert_new(db, key, make(), 0, now);
                Some(KeyMut::new(self, db, pos, Touched::Changed))
            }
        }
    }

    /// Reads several keys of database `db` at once: expires them lazily (counting hits
    /// and misses as reads), then lends their values together. The borrow ends before
    /// anything can be written.
    pub fn read_keys(&mut self, db: usize, keys: &[&[u8]], now: i64) -> Vec<Option<&Value>> {
        for key in keys {
            let _ = self.lookup_read(db, key, now);
        }
        // On a replica an expired key stays in the table but reads as missing.
        let hide_expired = self.expiring == super::Expiring::Replica;
        let db = &self.dbs[db];
        keys.iter()
            .map(|key| {
                db.position(key)
                    .filter(|&pos| !(hide_expired && db.is_expired(pos, now)))
                    .map(|pos| db.value_ref(pos))
            })
            .collect()
    }

    /// Records a write to `key` of database `db` that no handle made (FLUSHDB-like
    /// writes, or a key named by a command after the fact), counting `dirty` changes.
    pub fn record_write(&mut self, db: usize, key: Key, event: Event, dirty: u64) {
        self.dirty += dirty;
        if self.observed {
            self.key_events.push((db, key, KeyEvent::Write(event)));
        }
    }

    /// Inserts `key` into database `db` with `value` and absolute expiry `expire_at`
    /// (0 = none) without looking it up first: for a key that a lookup of this command
    /// has just found missing (SET NX, SETNX, GETSET ...), so that creating it costs no
    /// second lookup. (A key present after all is replaced, but not expired lazily.)
    /// The handle owes the event.
    pub fn insert_missing(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        expire_at: i64,
    ) -> KeyMut<'_> {
        let (pos, added) = self.dbs[db].insert_at(key, value, expire_at);
        if added && self.tracking.new {
            self.key_events
                .push((db, Key::from_slice(key), KeyEvent::New));
        }
        KeyMut::new(self, db, pos, Touched::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyEvent;

    /// Every write event the store recorded, in order.
    fn writes(store: &mut Store) -> Vec<(usize, Vec<u8>, Event)> {
        let mut out = Vec::new();
        store.drain_key_events(None, |db, key, event| {
            if let KeyEvent::Write(event) = event {
                out.push((db, key.to_vec(), event));
            }
        });
        out
    }

    /// A handle changed and dropped without naming its event: debug builds panic (the
    /// test of every write command finds the forgotten event); release builds still
    /// count the change and record it unnamed, so WATCH and blocked clients see it.
    #[test]
    fn a_changed_handle_dropped_without_an_event_panics_in_debug_and_is_recorded() {
        let mut store = Store::new(1);
        store
            .insert_key(0, b"k", Value::Int(1), 0, 0)
            .changed(Event::DEL);
        let _ = writes(&mut store);
        let dirty = store.dirty;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let Some(mut k) = store.write_key(0, b"k", 0) else {
                unreachable!("k was just inserted");
            };
            *k.value_mut() = Value::Int(2);
            drop(k);
        }));
        assert_eq!(outcome.is_err(), cfg!(debug_assertions));
        if let Err(payload) = outcome {
            let message = match payload.downcast_ref::<&str>() {
                Some(s) => (*s).to_string(),
                None => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_default(),
            };
            assert!(
                message.contains("dropped without recording its event"),
                "{message}"
            );
        }
        // The fallback, in either build: one dirty change, an unnamed write event.
        assert_eq!(store.dirty, dirty + 1);
        assert_eq!(writes(&mut store), vec![(0, b"k".to_vec(), Event::UNNAMED)]);
    }

    /// A handle only looked at, or finished, owes nothing and never panics.
    #[test]
    fn an_untouched_or_finished_handle_drops_quietly() {
        let mut store = Store::new(1);
        store.insert_key(0, b"k", Value::Int(1), 0, 0).unchanged();
        let dirty = store.dirty;
        let Some(k) = store.write_key(0, b"k", 0) else {
            unreachable!("k was just inserted");
        };
        assert_eq!(k.value(), &Value::Int(1));
        drop(k);
        let Some(mut k) = store.write_key(0, b"k", 0) else {
            unreachable!("k is still there");
        };
        *k.value_mut() = Value::Int(3);
        k.changed(Event::new(class::STRING, "set"));
        assert_eq!(store.dirty, dirty + 1);
        assert_eq!(
            writes(&mut store),
            vec![(0, b"k".to_vec(), Event::new(class::STRING, "set"))]
        );
    }
}
