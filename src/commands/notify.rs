//! Keyspace notifications (Redis's notify.c): `notify-keyspace-events` flags, and the
//! events published to `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`.
//!
//! Every write calls [`Ctx::changed`](super::Ctx::changed) with the class and event
//! name Redis uses for it (`lpush`, `hset`, `del`, ...); that hook ends in
//! [`Ctx::notify`], one branch when notifications are off. Events the store sees by
//! itself (a key expired lazily or by the active cycle, a read missed, a key was
//! added) are recorded by the store only while their class is enabled (see
//! [`sync_tracking`]) and published from here after the command, or by the server
//! after an expiry cycle ([`publish_store_events`]).

use super::{Ctx, ServerState, pubsub};
use crate::config::Config;
use crate::store::{KeyEvent, Store, Tracking};

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
/// `A`: every class but `m` and `n`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Class letters in the order Redis prints them (after `A`, before `K`, `E`, `m`).
const CLASS_LETTERS: &[(u32, char)] = &[
    (GENERIC, 'g'),
    (STRING, '$'),
    (LIST, 'l'),
    (SET, 's'),
    (HASH, 'h'),
    (ZSET, 'z'),
    (EXPIRED, 'x'),
    (EVICTED, 'e'),
    (STREAM, 't'),
    (MODULE, 'd'),
    (NEW, 'n'),
];

/// Parses `notify-keyspace-events` (Redis's `keyspaceEventsStringToFlags`); None when
/// a character is not a class letter.
pub fn flags_from_str(text: &str) -> Option<u32> {
    let mut flags = 0;
    for c in text.chars() {
        flags |= match c {
            'A' => ALL,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'm' => KEY_MISS,
            _ => CLASS_LETTERS.iter().find(|&&(_, l)| l == c)?.0,
        };
    }
    Some(flags)
}

/// Prints flags as Redis's `keyspaceEventsFlagsToString`: `A` (which hides `n`, as in
/// Redis) or the class letters, then `K`, `E`, `m`.
pub fn flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        // As Redis: `A` alone, even when `n` is set too.
        out.push('A');
    } else {
        for &(bit, letter) in CLASS_LETTERS {
            if flags & bit != 0 {
                out.push(letter);
            }
        }
    }
    for (bit, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

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

impl Ctx<'_> {
    /// Publishes keyspace event `event` of `class` for `key` in the client's database,
    /// if `notify-keyspace-events` enables it; events the store recorded first (an
    /// expiry or a new key met by this command come before its own event, as in Redis).
    pub fn notify(&mut self, class: u32, event: &'static str, key: &[u8]) {
        let db = self.db();
        self.notify_in(db, class, event, key);
    }

    /// [`Ctx::notify`] for a key of database `db` (COPY ... DB, MOVE).
    pub fn notify_in(&mut self, db: usize, class: u32, event: &'static str, key: &[u8]) {
        self.changed_in(db, key, class, event);
    }

    /// After a command: hands on what the store recorded ([`publish_store_events`]).
    pub fn notify_store_events(&mut self) {
        let db = self.db();
        publish_store_events(self.server, self.store, Some(db));
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
                super::watch::touch(server, db, key);
                if flags & event.class == 0 {
                    return;
                }
                event.name
            }
            KeyEvent::Expired => "expired",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis() {
        let get = |s: &str| flags_from_str(s).map(flags_to_string);
        assert_eq!(get("gKE").as_deref(), Some("gKE"));
        assert_eq!(get("$lshzxeKE").as_deref(), Some("$lshzxeKE"));
        assert_eq!(get("KA").as_deref(), Some("AK"));
        assert_eq!(get("EA").as_deref(), Some("AE"));
        assert_eq!(get("Em").as_deref(), Some("Em"));
        assert_eq!(get("KEn").as_deref(), Some("nKE"));
        assert_eq!(get("").as_deref(), Some(""));
        assert_eq!(get("Kq"), None);
        assert_eq!(flags_from_str("A"), Some(ALL));
        assert_eq!(ALL & (KEY_MISS | NEW), 0);
    }
}
