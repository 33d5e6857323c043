//! After a command, what its writes recorded in the store's log is handed on
//! ([`crate::runtime::notify::publish_store_events`]): WATCH, blocked clients,
//! keyspace notifications. The event classes are [`crate::store::class`]' bits
//! (re-exported as `commands::notify` and `config::keyspace_events`).

use crate::runtime::notify::publish_store_events;

use super::Ctx;

impl Ctx<'_> {
    /// After a command: hands on what the store recorded ([`publish_store_events`]).
    pub fn notify_store_events(&mut self) {
        let db = self.db();
        publish_store_events(self.server, self.store, Some(db));
    }
}
