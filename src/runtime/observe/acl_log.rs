//! ACL LOG (Redis's acl.c `addACLLogEntry`): the latest refused authentications and
//! commands, similar ones folded together within a minute.

use std::collections::VecDeque;

/// Entries kept (Redis's `acllog-max-len` default).
pub const MAX_LEN: usize = 128;
/// Similar entries this close in time (ms) are folded (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MS: i64 = 60_000;

/// One refusal.
#[derive(Debug, Clone)]
pub struct Entry {
    /// How many similar refusals this entry stands for.
    pub count: u64,
    /// `auth`, `command`, `key` or `channel`.
    pub reason: &'static str,
    /// `toplevel`, `multi` or `lua`.
    pub context: &'static str,
    /// The command, key or channel refused (`AUTH` for authentication).
    pub object: Vec<u8>,
    /// The user (for `auth`, the name tried).
    pub username: Vec<u8>,
    /// Unix ms of the latest refusal folded in.
    pub updated_ms: i64,
    /// The client, as CLIENT LIST shows it.
    pub client_info: String,
}

/// The log, newest first.
#[derive(Debug, Default)]
pub struct AclLog {
    /// Entries, newest first.
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// Adds a refusal, folding it into a similar recent entry.
    pub fn add(&mut self, entry: Entry) {
        if let Some(pos) = self.entries.iter().position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && e.object == entry.object
                && e.username == entry.username
                && entry.updated_ms - e.updated_ms < GROUPING_MS
        }) {
            let mut e = self.entries.remove(pos).unwrap_or(entry);
            e.count += 1;
            e.updated_ms = e.updated_ms.max(0);
            self.entries.push_front(e);
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(MAX_LEN);
    }
}
