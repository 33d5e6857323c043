//! Keyspace event classes, as Redis's `notify-keyspace-events` flags.
//!
//! Every write calls [`Ctx::changed`](super::Ctx::changed) with the class and event
//! name Redis uses for it (`lpush`, `hset`, `del`, ...): one hook that wakes clients
//! blocked on the key and, where configured, invalidates WATCH and publishes the
//! keyspace notification.

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
/// `m`: key miss events.
pub const KEY_MISS: u32 = 1 << 11;
/// `n`: new key events.
pub const NEW: u32 = 1 << 14;

impl super::Ctx<'_> {
    /// Publishes keyspace event `event` of `class` for `key` in the client's database,
    /// if `notify-keyspace-events` enables it. (Placeholder until notifications land.)
    pub fn notify(&mut self, class: u32, event: &str, key: &[u8]) {
        let _ = (class, event, key);
    }
}
