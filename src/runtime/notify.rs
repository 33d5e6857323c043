//! Keyspace notifications (Redis's notify.c): the events published to `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.
//!
//! Every write is recorded in the store's event log with the class and event name
//! Redis uses for it (`lpush`, `hset`, `del`, ...), through a key handle
//! ([`crate::store::KeyMut`]) or `Store::record_write`; after the command the dispatcher hands
//! the log to [`publish_store_events`], which wakes blocked clients, invalidates WATCH
//! and publishes. Events the store sees by
//! itself (a key expired lazily or by the active cycle, a read missed, a key was
//! added) are recorded by the store only while their class is enabled (see
//! [`sync_tracking`]) and published from here after the command, or by the server
//! after an expiry cycle ([`publish_store_events`]).

use super::{ServerState, pubsub};
use crate::config::Config;
use crate::config::keyspace_events::{EXPIRED, KEY_MISS, KEYEVENT, KEYSPACE, NEW};
use crate::store::{KeyEvent, Store, Tracking};

/// Tells the store which events to record for the configured flags (none when no
/// channel kind, `K` or `E`, is enabled). Call at start and after CONFIG SET.
pub fn sync_tracking(config: &Config, store: &mut Store) {
    let flags = config.notify_keyspace_events;
    let on = |class: u32| flags & (KEYSPACE | KEYEVENT) != 0 && flags & class != 0;
    store.set_tracking(Tracking {
        expired: on(EXPIRED),
        miss: on(KEY_MISS),
        new: on(NEW),
    });
}

/// [`sync_tracking`], plus expired keys recorded while clients track keys (their
/// caches are invalidated). Call after CONFIG SET and CLIENT TRACKING.
pub fn sync_events(server: &ServerState, store: &mut Store) {
    sync_tracking(&server.config, store);
    let mut t = store.tracking();
    if server.tracking.active() && !t.expired {
        t.expired = true;
        store.set_tracking(t);
    }
}

/// Hands on the events the store recorded, in order (the one place every write is
/// seen, Redis's `signalModifiedKey` plus `notifyKeyspaceEvent`): a write wakes the
/// clients blocked on its key, invalidates WATCH and publishes its keyspace event;
/// expired, missed and new keys are published. New keys only of database `db` for
/// `Some(db)` (the one a command ran in), else of all (after an expiry cycle).
pub fn publish_store_events(server: &mut ServerState, store: &mut Store, db: Option<usize>) {
    let flags = server.config.notify_keyspace_events;
    store.drain_key_events(db, |db, key, kind| {
        let event = match kind {
            KeyEvent::Write(event) => {
                server.blocking.signal(db, key);
                if event.class & crate::store::class::NO_TOUCH == 0 {
                    super::watch::touch(server, db, key);
                    if server.tracking.active() {
                        let writer = server.tracking.writer;
                        super::tracking::invalidate(server, key, writer);
                    }
                }
                if flags & event.class == 0 {
                    return;
                }
                event.name
            }
            KeyEvent::Expired => {
                if server.tracking.active() {
                    super::tracking::invalidate(server, key, None);
                }
                if flags & EXPIRED == 0 {
                    return;
                }
                "expired"
            }
            KeyEvent::Miss => "keymiss",
            KeyEvent::New => "new",
        };
        if flags != 0 {
            publish_event(server, db, event, key);
        }
    });
}

/// Publishes `event` on `key` of database `db` to the keyspace and keyevent channels
/// that are enabled (Redis's `notifyKeyspaceEvent`, once the class is checked).
pub fn publish_event(server: &mut ServerState, db: usize, event: &str, key: &[u8]) {
    if !server.pubsub.has_subscribers() {
        return;
    }
    let flags = server.config.notify_keyspace_events;
    let mut digits = itoa::Buffer::new();
    let db = digits.format(db).as_bytes();
    let channel = |kind: &[u8], tail: &[u8]| -> Vec<u8> {
        let mut c = Vec::with_capacity(kind.len() + db.len() + 3 + tail.len());
        c.extend_from_slice(kind);
        c.extend_from_slice(db);
        c.extend_from_slice(b"__:");
        c.extend_from_slice(tail);
        c
    };
    if flags & KEYSPACE != 0 {
        let name = channel(b"__keyspace@", key);
        pubsub::publish(server, &name, event.as_bytes());
    }
    if flags & KEYEVENT != 0 {
        let name = channel(b"__keyevent@", event.as_bytes());
        pubsub::publish(server, &name, key);
    }
}
