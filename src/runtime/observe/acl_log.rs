//! ACL LOG (Redis's acl.c `addACLLogEntry`): the latest refused authentications and
//! commands, similar ones folded together within a minute; at most `acllog-max-len`.

use std::collections::VecDeque;

/// Similar entries this close in time (ms) are folded (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MS: i64 = 60_000;
/// How many of the newest entries a refusal is compared with for folding (Redis's
/// `toscan`): bounded work per refusal however long the log is.
const FOLD_SCAN: usize = 10;

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
    /// The client of the latest refusal folded in, as CLIENT LIST shows it.
    pub client_info: String,
}

impl Entry {
    /// True when `other` is the same refusal close enough in time to be folded into
    /// this one (Redis's `ACLLogMatchEntry`).
    fn matches(&self, other: &Entry) -> bool {
        self.reason == other.reason
            && self.context == other.context
            && (self.updated_ms - other.updated_ms).abs() <= GROUPING_MS
            && self.object == other.object
            && self.username == other.username
    }
}

/// The log, newest first.
#[derive(Debug, Default)]
pub struct AclLog {
    /// Entries, newest first.
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// Adds a refusal: folded into a similar one among the newest (which moves to the
    /// front, with this refusal's time and client), else added in front, the oldest
    /// dropped beyond `max_len`.
    pub fn add(&mut self, entry: Entry, max_len: usize) {
        let scan = self.entries.len().min(FOLD_SCAN);
        if let Some(pos) = (0..scan).find(|&i| self.entries[i].matches(&entry))
            && let Some(mut e) = self.entries.remove(pos)
        {
            e.count += 1;
            e.updated_ms = entry.updated_ms;
            e.client_info = entry.client_info;
            self.entries.push_front(e);
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// Drops the oldest entries beyond `max_len` (after CONFIG SET acllog-max-len).
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, ms: i64, client: &str) -> Entry {
        Entry {
            count: 1,
            reason: "command",
            context: "toplevel",
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            updated_ms: ms,
            client_info: client.to_string(),
        }
    }

    #[test]
    fn folds_similar_refusals_and_keeps_the_newest_client() {
        let mut log = AclLog::default();
        log.add(entry("get", 1_000, "a"), 128);
        log.add(entry("set", 2_000, "a"), 128);
        log.add(entry("get", 3_000, "b"), 128);
        assert_eq!(log.entries.len(), 2);
        let first = &log.entries[0];
        assert_eq!((first.count, first.updated_ms), (2, 3_000));
        assert_eq!(first.client_info, "b");
        // More than a minute later: a new entry.
        log.add(entry("get", 3_000 + GROUPING_MS + 1, "c"), 128);
        assert_eq!(log.entries.len(), 3);
    }

    #[test]
    fn keeps_at_most_max_len_and_trims() {
        let mut log = AclLog::default();
        for i in 0..10 {
            log.add(entry(&format!("k{i}"), i, "a"), 5);
        }
        assert_eq!(log.entries.len(), 5);
        assert_eq!(log.entries[0].object, b"k9");
        log.trim(2);
        assert_eq!(log.entries.len(), 2);
        log.add(entry("x", 0, "a"), 0);
        assert!(log.entries.is_empty());
    }

    #[test]
    fn only_the_newest_entries_are_candidates_for_folding() {
        let mut log = AclLog::default();
        log.add(entry("old", 0, "a"), 128);
        for i in 0..FOLD_SCAN {
            log.add(entry(&format!("k{i}"), 1, "a"), 128);
        }
        log.add(entry("old", 2, "a"), 128);
        assert_eq!(log.entries.len(), FOLD_SCAN + 2, "not folded: too far back");
    }
}
