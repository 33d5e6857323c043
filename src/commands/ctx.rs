//! The context a handler runs in.

use crate::error::CmdError;
use crate::protocol::Reply;
use crate::runtime::{ClientInfo, ServerState};
use crate::store::{Kind, Store, Value};

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

    /// Looks `key` up for reading in the client's database (lazy expiry, hit/miss
    /// counted); returns its index for [`Ctx::value`].
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<usize> {
        let db = self.db();
        self.store.lookup_read(db, key, self.now)
    }

    /// Looks `key` up for writing (lazy expiry, no hit/miss counting).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<usize> {
        let db = self.db();
        self.store.lookup_write(db, key, self.now)
    }

    /// Looks `key` up for reading a `kind` value: `Ok(None)` when absent,
    /// WRONGTYPE when it holds another kind.
    pub fn lookup_kind_read(&mut self, key: &[u8], kind: Kind) -> Result<Option<usize>, CmdError> {
        let found = self.lookup_read(key);
        self.check_kind(found, kind)
    }

    /// Looks `key` up for writing a `kind` value: `Ok(None)` when absent,
    /// WRONGTYPE when it holds another kind.
    pub fn lookup_kind_write(&mut self, key: &[u8], kind: Kind) -> Result<Option<usize>, CmdError> {
        let found = self.lookup_write(key);
        self.check_kind(found, kind)
    }

    fn check_kind(&mut self, found: Option<usize>, kind: Kind) -> Result<Option<usize>, CmdError> {
        match found {
            Some(i) if self.value(i).kind() != kind => Err(CmdError::WrongType),
            other => Ok(other),
        }
    }

    /// Records a write to `key` of the client's database (Redis's `signalModifiedKey`
    /// plus `notifyKeyspaceEvent`): wakes clients blocked on it, invalidates WATCH,
    /// and publishes the keyspace event. `class` is one of [`crate::runtime::notify`]'s
    /// classes and `event` Redis's event name (`lpush`, `del`, ...).
    pub fn changed(&mut self, key: &[u8], class: u32, event: &str) {
        let db = self.db();
        self.changed_in(db, key, class, event);
    }

    /// [`Ctx::changed`] for a key of database `db` (COPY ... DB, MOVE).
    pub fn changed_in(&mut self, db: usize, key: &[u8], class: u32, event: &str) {
        self.server.blocking.signal(db, key);
        crate::runtime::watch::touch(self.server, db, key);
        self.notify_in(db, class, event, key);
    }

    /// Deletes the key at `index` when its collection is empty (Redis never keeps an
    /// empty collection); returns true when it did.
    pub fn delete_if_empty(&mut self, index: usize) -> bool {
        if self.value(index).elements() != 0 {
            return false;
        }
        self.current_db().remove_index(index);
        true
    }

    /// The value at `index` of the client's database.
    pub fn value(&mut self, index: usize) -> &mut Value {
        let db = self.db();
        self.store.db(db).value_at(index)
    }

    /// The client's database.
    pub fn current_db(&mut self) -> &mut crate::store::Db {
        let db = self.db();
        self.store.db(db)
    }
}
