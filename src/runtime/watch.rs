//! WATCH bookkeeping: who watches which key, and whose EXEC must fail.
//!
//! [`Watchers`] (in [`ServerState`]) maps each watched key of each database to the
//! tokens of the clients watching it; each client's [`ClientWatch`] (in its
//! [`ClientInfo`](super::ClientInfo)) lists its keys and carries the "dirty" flag
//! (Redis's `CLIENT_DIRTY_CAS`). Every write reaches [`touch`] through the
//! one write path (`notify::publish_store_events`): one emptiness check when nobody watches,
//! else one hash lookup. A touched client is marked dirty and its watches are
//! dropped at once (nothing it watches can make it less dirty), as Redis does.
//!
//! Keys that expire raise no write here (the store reclaims them silently), so WATCH
//! also records how each key stood ([`Seen`]): a key live at WATCH time that is gone
//! or past its TTL at EXEC fails the transaction, which covers Redis's
//! `isWatchedKeyExpired` and the touch Redis sends when it reclaims an expired key.
//! A key already past its TTL at WATCH time (not yet reclaimed) is "stale": its
//! removal is no change, as Redis's `wk->expired`.

use std::collections::HashMap;

use super::{ClientInfo, ServerState};
use crate::store::{Key, Store};

/// How a watched key stood in its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Absent.
    Absent,
    /// Present but past its TTL, not reclaimed yet.
    Stale,
    /// Present and live.
    Live,
}

/// How `key` stands in database `db` at `now`, changing nothing.
fn presence(store: &Store, db: usize, key: &[u8], now: i64) -> Seen {
    let Some(db) = store.dbs().get(db) else {
        return Seen::Absent;
    };
    match db.peek(key) {
        None => Seen::Absent,
        Some((_, at)) if at != 0 && at <= now => Seen::Stale,
        Some(_) => Seen::Live,
    }
}

/// One key a client watches.
#[derive(Debug, Clone)]
struct WatchedKey {
    db: usize,
    key: Key,
    /// How it stood at WATCH time (or after a flush that left it logically unchanged).
    seen: Seen,
}

/// One client's WATCH state.
#[derive(Debug, Clone, Default)]
pub struct ClientWatch {
    keys: Vec<WatchedKey>,
    /// A watched key was touched: the next EXEC fails.
    dirty: bool,
}

impl ClientWatch {
    /// True when a watched key was touched since WATCH (CLIENT LIST's `d` flag).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Number of keys watched.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is watched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The clients watching each key, per database.
#[derive(Debug, Default)]
pub struct Watchers {
    /// By database index (grown on the first WATCH in a database): key → tokens.
    dbs: Vec<HashMap<Key, Vec<usize>>>,
}

impl Watchers {
    /// Number of distinct keys watched in all databases.
    pub fn keys(&self) -> usize {
        self.dbs.iter().map(HashMap::len).sum()
    }

    /// True when no key is watched.
    pub fn is_empty(&self) -> bool {
        self.dbs.iter().all(HashMap::is_empty)
    }
}

/// Client `token` watches `key` of database `db` (WATCH); a key it already watches
/// is left as it is.
pub fn watch(
    store: &Store,
    state: &mut ServerState,
    token: usize,
    db: usize,
    key: &[u8],
    now: i64,
) {
    let dbs = &mut state.watchers.dbs;
    if dbs.len() <= db {
        dbs.resize_with(db + 1, HashMap::default);
    }
    match dbs[db].get_mut(key) {
        Some(tokens) if tokens.contains(&token) => return,
        Some(tokens) => tokens.push(token),
        None => {
            dbs[db].insert(Key::from_slice(key), vec![token]);
        }
    }
    state.clients[token].watch.keys.push(WatchedKey {
        db,
        key: Key::from_slice(key),
        seen: presence(store, db, key, now),
    });
}

/// Forgets every key client `token` watches and clears its dirty flag (UNWATCH,
/// EXEC, DISCARD, RESET, disconnection).
pub fn unwatch(state: &mut ServerState, token: usize) {
    forget_keys(state, token);
    if let Some(client) = state.clients.get_mut(token) {
        client.watch.dirty = false;
    }
}

/// Removes client `token` from the watchers of each of its keys.
fn forget_keys(state: &mut ServerState, token: usize) {
    let Some(client) = state.clients.get_mut(token) else {
        return;
    };
    for watched in std::mem::take(&mut client.watch.keys) {
        let Some(map) = state.watchers.dbs.get_mut(watched.db) else {
            continue;
        };
        if let Some(tokens) = map.get_mut(watched.key.as_slice()) {
            tokens.retain(|&t| t != token);
            if tokens.is_empty() {
                map.remove(watched.key.as_slice());
                release_if_empty(map);
            }
        }
    }
}

/// Frees the table of a database nobody watches any more, so a burst of watched keys
/// leaves no big empty table behind.
fn release_if_empty(map: &mut HashMap<Key, Vec<usize>>) {
    if map.is_empty() && map.capacity() > 0 {
        *map = HashMap::new();
    }
}

/// Marks client `token` dirty; its watches are dropped since nothing can undo that.
fn make_dirty(state: &mut ServerState, token: usize) {
    forget_keys(state, token);
    if let Some(client) = state.clients.get_mut(token) {
        client.watch.dirty = true;
    }
}

/// Marks `key` of `db` as modified: clients watching it will have their EXEC fail
/// (Redis's `touchWatchedKey`). O(1) when nobody watches a key of `db`.
pub fn touch(state: &mut ServerState, db: usize, key: &[u8]) {
    let Some(map) = state.watchers.dbs.get_mut(db) else {
        return;
    };
    if map.is_empty() {
        return;
    }
    let Some(tokens) = map.remove(key) else {
        return;
    };
    release_if_empty(map);
    for token in tokens {
        make_dirty(state, token);
    }
}

/// Database `emptied` is about to be flushed (`replaced_with: None`) or swapped with
/// `replaced_with` (SWAPDB): marks dirty the clients watching one of its keys that
/// exists in either, except where nothing logically changes (a stale key replaced by
/// nothing or by another stale key, nothing replaced by a stale key), as Redis's
/// `touchAllWatchedKeysInDb`. Call while the keys are still in place.
pub fn touch_db(
    store: &Store,
    state: &mut ServerState,
    emptied: usize,
    replaced_with: Option<usize>,
    now: i64,
) {
    let Some(map) = state.watchers.dbs.get(emptied) else {
        return;
    };
    let mut dirty = Vec::new();
    for (key, tokens) in map {
        let before = presence(store, emptied, key, now);
        let after = replaced_with.map_or(Seen::Absent, |db| presence(store, db, key, now));
        if before == Seen::Absent && after == Seen::Absent {
            continue;
        }
        for &token in tokens {
            let Some(watched) = state.clients.get_mut(token).and_then(|c| {
                c.watch
                    .keys
                    .iter_mut()
                    .find(|w| w.db == emptied && w.key == *key)
            }) else {
                continue;
            };
            match (watched.seen, after) {
                // A stale key is gone: no logical change; it now counts as absent.
                (Seen::Stale, Seen::Absent) => watched.seen = Seen::Absent,
                // Stale before and after: no logical change.
                (Seen::Stale, Seen::Stale) => {}
                // Nothing replaced by a stale key: no logical change.
                (Seen::Absent, Seen::Stale) if before == Seen::Absent => {
                    watched.seen = Seen::Stale;
                }
                _ => dirty.push(token),
            }
        }
    }
    for token in dirty {
        make_dirty(state, token);
    }
}

/// True when the EXEC of `client` must fail: a watched key was touched, or a key
/// that was live at WATCH time has expired since.
pub fn exec_fails(store: &Store, client: &ClientInfo, now: i64) -> bool {
    client.watch.dirty
        || client
            .watch
            .keys
            .iter()
            .any(|w| w.seen == Seen::Live && presence(store, w.db, &w.key, now) != Seen::Live)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::Value;

    const NOW: i64 = 1_000_000;

    fn setup() -> (Store, ServerState, usize) {
        let store = Store::new(2);
        let mut state = ServerState::new(Config::default(), crate::commands::table::acl_registry());
        let token = state
            .clients
            .insert(ClientInfo::new(1, String::new(), String::new(), NOW));
        (store, state, token)
    }

    fn stale(store: &mut Store, db: usize, key: &[u8]) {
        store.db(db).insert(key, Value::Int(1), NOW - 10);
    }

    fn fails(store: &Store, state: &ServerState, token: usize) -> bool {
        exec_fails(store, &state.clients[token], NOW)
    }

    #[test]
    fn touch_marks_dirty_and_drops_every_watch() {
        let (store, mut state, me) = setup();
        watch(&store, &mut state, me, 0, b"a", NOW);
        watch(&store, &mut state, me, 0, b"a", NOW);
        watch(&store, &mut state, me, 1, b"b", NOW);
        assert_eq!(state.clients[me].watch.len(), 2);
        assert_eq!(state.watchers.keys(), 2);
        touch(&mut state, 0, b"other");
        touch(&mut state, 1, b"a");
        assert!(!fails(&store, &state, me));
        touch(&mut state, 0, b"a");
        assert!(fails(&store, &state, me));
        assert_eq!(state.watchers.keys(), 0);
        assert!(state.clients[me].watch.is_empty());
        unwatch(&mut state, me);
        assert!(!fails(&store, &state, me));
    }

    #[test]
    fn a_live_key_that_expires_fails_exec() {
        let (mut store, mut state, me) = setup();
        store.db(0).insert(b"k", Value::Int(1), NOW + 5);
        watch(&store, &mut state, me, 0, b"k", NOW);
        assert!(!fails(&store, &state, me));
        assert!(exec_fails(&store, &state.clients[me], NOW + 5));
        store.db(0).remove(b"k");
        assert!(fails(&store, &state, me));
    }

    #[test]
    fn stale_keys_follow_redis_rules_on_flush_and_swap() {
        // Flushing a stale watched key is no change.
        let (mut store, mut state, me) = setup();
        stale(&mut store, 0, b"x");
        watch(&store, &mut state, me, 0, b"x", NOW);
        assert!(!fails(&store, &state, me));
        touch_db(&store, &mut state, 0, None, NOW);
        assert!(!fails(&store, &state, me));

        // Stale replaced by nothing, stale replaced by stale: no change.
        for other_stale in [false, true] {
            let (mut store, mut state, me) = setup();
            stale(&mut store, 1, b"x");
            if other_stale {
                stale(&mut store, 0, b"x");
            }
            watch(&store, &mut state, me, 1, b"x", NOW);
            touch_db(&store, &mut state, 0, Some(1), NOW);
            touch_db(&store, &mut state, 1, Some(0), NOW);
            assert!(!fails(&store, &state, me), "other stale: {other_stale}");
        }

        // Nothing replaced by a stale key: no change.
        let (mut store, mut state, me) = setup();
        stale(&mut store, 0, b"x");
        watch(&store, &mut state, me, 1, b"x", NOW);
        touch_db(&store, &mut state, 0, Some(1), NOW);
        touch_db(&store, &mut state, 1, Some(0), NOW);
        assert!(!fails(&store, &state, me));

        // Stale replaced by a live key: a change.
        let (mut store, mut state, me) = setup();
        stale(&mut store, 1, b"x");
        store.db(0).insert(b"x", Value::Int(1), 0);
        watch(&store, &mut state, me, 1, b"x", NOW);
        touch_db(&store, &mut state, 0, Some(1), NOW);
        touch_db(&store, &mut state, 1, Some(0), NOW);
        assert!(fails(&store, &state, me));
    }

    #[test]
    fn flush_and_swap_touch_only_keys_that_exist() {
        let (mut store, mut state, me) = setup();
        watch(&store, &mut state, me, 0, b"missing", NOW);
        touch_db(&store, &mut state, 0, None, NOW);
        assert!(!fails(&store, &state, me));
        // Missing here, present in the database swapped in.
        store.db(1).insert(b"missing", Value::Int(1), 0);
        touch_db(&store, &mut state, 0, Some(1), NOW);
        assert!(fails(&store, &state, me));

        let (mut store, mut state, me) = setup();
        store.db(0).insert(b"k", Value::Int(1), 0);
        watch(&store, &mut state, me, 0, b"k", NOW);
        touch_db(&store, &mut state, 1, None, NOW);
        assert!(!fails(&store, &state, me));
        touch_db(&store, &mut state, 0, None, NOW);
        assert!(fails(&store, &state, me));
    }

    #[test]
    fn unwatch_of_one_client_leaves_the_others() {
        let (store, mut state, me) = setup();
        let other = state
            .clients
            .insert(ClientInfo::new(2, String::new(), String::new(), NOW));
        watch(&store, &mut state, me, 0, b"k", NOW);
        watch(&store, &mut state, other, 0, b"k", NOW);
        unwatch(&mut state, me);
        assert_eq!(state.watchers.keys(), 1);
        touch(&mut state, 0, b"k");
        assert!(!fails(&store, &state, me));
        assert!(fails(&store, &state, other));
        assert_eq!(state.watchers.keys(), 0);
    }
}
