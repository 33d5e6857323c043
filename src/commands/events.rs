//! Keyspace notifications from commands: [`Ctx::notify`] publishes a command's event.
//! The event classes are [`crate::config::keyspace_events`]' bits (re-exported as
//! `commands::notify` for the handlers); publishing is [`crate::runtime::notify`].

use crate::runtime::notify::publish_store_events;

use super::Ctx;

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
