//! The context a handler runs in.

use crate::error::CmdError;
use crate::protocol::Reply;
use crate::runtime::{ClientInfo, ServerState};
use crate::store::{KeyMut, KeyRef, Kind, Store, Value};

/// Everything a command may touch: the store, server state, its own client, and
/// the writer for its reply.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The databases.
    pub store: &'a mut Store,
    /// Server-wide state.
    pub server: &'a mut ServerState,
    /// Index of the calling client in `server.clients`.
    pub me: usize,
    /// Where the reply goes.
    pub out: Reply<'a>,
    /// Current time in Unix ms, read once per command.
    pub now: i64,
}

impl<'a> Ctx<'a> {
    /// The calling client.
    pub fn client(&self) -> &ClientInfo {
        &self.server.clients[self.me]
    }

    /// The calling client, mutably.
    pub fn client_mut(&mut self) -> &mut ClientInfo {
        &mut self.server.clients[self.me]
    }

    /// The calling client's selected database.
    pub fn db(&self) -> usize {
        self.server.clients[self.me].db
    }

    /// Finds `key` for reading in the client's database (lazy expiry, hit or miss
    /// counted).
    pub fn read_key(&mut self, key: &[u8]) -> Option<KeyRef<'_>> {
        let db = self.db();
        self.store.read_key(db, key, self.now)
    }

    /// Finds `key` for writing in the client's database (lazy expiry, nothing counted).
    pub fn write_key(&mut self, key: &[u8]) -> Option<KeyMut<'_>> {
        let db = self.db();
        self.store.write_key(db, key, self.now)
    }

    /// [`Ctx::read_key`] for a `kind` value: `Ok(None)` when absent, WRONGTYPE when
    /// the key holds another kind.
    pub fn read_key_of(&mut self, key: &[u8], kind: Kind) -> Result<Option<KeyRef<'_>>, CmdError> {
        match self.read_key(key) {
            Some(k) if k.value().kind() != kind => Err(CmdError::WrongType),
            found => Ok(found),
        }
    }

    /// [`Ctx::write_key`] for a `kind` value: `Ok(None)` when absent, WRONGTYPE when
    /// the key holds another kind.
    pub fn write_key_of(&mut self, key: &[u8], kind: Kind) -> Result<Option<KeyMut<'_>>, CmdError> {
        match self.write_key(key) {
            Some(k) if k.value().kind() != kind => {
                k.unchanged();
                Err(CmdError::WrongType)
            }
            found => Ok(found),
        }
    }

    /// The `kind` value at `key` for writing, created by `make` when the key is
    /// absent (LPUSH, SADD, HSET, ...); WRONGTYPE when it holds another kind.
    pub fn write_key_or_create(
        &mut self,
        key: &[u8],
        kind: Kind,
        make: impl FnOnce() -> Value,
    ) -> Result<KeyMut<'_>, CmdError> {
        let db = self.db();
        self.store
            .write_key_or_insert(db, key, self.now, kind, make)
            .ok_or(CmdError::WrongType)
    }

    /// Inserts or replaces `key` in the client's database (`expire_at` 0 = no TTL);
    /// the handle owes the event.
    #[inline]
    pub fn insert_key(&mut self, key: &[u8], value: Value, expire_at: i64) -> KeyMut<'_> {
        let db = self.db();
        self.store.insert_key(db, key, value, expire_at, self.now)
    }

    /// [`Ctx::read_key`] together with the reply writer, so a value can be written out
    /// without a copy (GET).
    #[inline]
    pub fn read_key_and_out(&mut self, key: &[u8]) -> (Option<KeyRef<'_>>, &mut Reply<'a>) {
        let db = self.server.clients[self.me].db;
        (self.store.read_key(db, key, self.now), &mut self.out)
    }

    /// [`Ctx::write_key_of`] together with the reply writer, so a pop can write its
    /// elements straight from the collection.
    pub fn write_key_of_and_out(
        &mut self,
        key: &[u8],
        kind: Kind,
    ) -> Result<(Option<KeyMut<'_>>, &mut Reply<'a>), CmdError> {
        let db = self.server.clients[self.me].db;
        match self.store.write_key(db, key, self.now) {
            Some(k) if k.value().kind() != kind => {
                k.unchanged();
                Err(CmdError::WrongType)
            }
            found => Ok((found, &mut self.out)),
        }
    }

    /// [`Ctx::read_key_and_out`] seen through `view` (the set, the sorted set, ... a
    /// value holds, or WRONGTYPE): `None` when the key is missing.
    pub fn read_as_and_out<T: ?Sized>(
        &mut self,
        key: &[u8],
        view: impl FnOnce(&Value) -> Result<&T, CmdError>,
    ) -> Result<(Option<&T>, &mut Reply<'a>), CmdError> {
        let (found, out) = self.read_key_and_out(key);
        let value = match found {
            Some(k) => Some(view(k.into_value())?),
            None => None,
        };
        Ok((value, out))
    }

    /// Reads several keys at once (lazy expiry first), lending their values together
    /// until the next write; see [`crate::store::handle`].
    pub fn read_keys(&mut self, keys: &[&[u8]]) -> Vec<Option<&Value>> {
        let db = self.db();
        self.store.read_keys(db, keys, self.now)
    }

    /// Inserts `key`, which a lookup of this command has just found missing, into the
    /// client's database without a second lookup (`expire_at` 0 = no TTL); the handle
    /// owes the event. See [`Store::insert_missing`].
    pub fn insert_missing(&mut self, key: &[u8], value: Value, expire_at: i64) -> KeyMut<'_> {
        let db = self.db();
        self.store.insert_missing(db, key, value, expire_at)
    }

    /// Asks for `argv` to be propagated (AOF, replicas) in place of the command's own
    /// arguments: the deterministic form of what it did (Redis's
    /// `rewriteClientCommandVector` / `alsoPropagate`). Each call adds one command, run in
    /// the client's database; a command that calls it propagates nothing else. Costs
    /// nothing while nothing consumes the stream.
    pub fn propagate(&mut self, argv: &[&[u8]]) {
        self.propagate_docs(argv, &[]);
    }

    /// [`Ctx::propagate`] where the arguments at positions `docs` are documents (their
    /// RESP bytes, as they came: SET's value).
    pub fn propagate_docs(&mut self, argv: &[&[u8]], docs: &[usize]) {
        let propagation = &mut self.server.propagation;
        if propagation.is_on() {
            // Keys expired so far go first: they happened before.
            propagation.collect_expired(self.store);
            let db = self.server.clients[self.me].db;
            self.server.propagation.push_asked(db, argv, docs);
        }
    }

    /// True when what a command does is propagated (so a handler builds a rewrite only
    /// then).
    #[inline]
    pub fn propagating(&self) -> bool {
        self.server.propagation.is_on()
    }

    /// Propagates a pop as `name key [count]` (BLPOP as LPOP, BZMPOP as ZPOPMIN, ...:
    /// Redis's rewrite of the blocking and multi-key pops); `count` as the client gave
    /// it, `None` for the single-element form.
    pub fn propagate_pop(&mut self, name: &[u8], key: &[u8], count: Option<usize>) {
        if !self.propagating() {
            return;
        }
        match count {
            None => self.propagate(&[name, key]),
            Some(n) => {
                let mut digits = itoa::Buffer::new();
                self.propagate(&[name, key, digits.format(n).as_bytes()]);
            }
        }
    }

    /// Propagates nothing for this command even though it wrote (Redis's
    /// `preventCommandPropagation`): XREADGROUP, XCLAIM and XAUTOCLAIM propagate only
    /// the commands they ask for with [`Ctx::propagate`], if any.
    pub fn propagate_nothing(&mut self) {
        self.server.propagation.prevent();
    }
}
