//! The active expiry cycle (Redis's `activeExpireCycle`): sample keys that have a TTL
//! and remove the dead ones, within a time budget, so memory held by expired keys
//! is reclaimed even when no client touches them.

use std::time::Instant;

use super::Store;

/// Who removes keys whose TTL has passed (Redis's `expireIfNeeded`): a master does,
/// a replica leaves it to its master's `DEL`s so that both hold the same keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expiring {
    /// A master: an expired key met by a lookup or the active cycle is removed (and
    /// the removal propagated as `DEL`).
    #[default]
    Delete,
    /// A replica: clients' reads see an expired key as missing but it stays; the
    /// active cycle does nothing. A client's write (on a writable replica) still
    /// removes it first, as Redis's `LOOKUP_WRITE` does.
    Replica,
    /// A replica applying its master's stream: keys are never expired (Redis's
    /// `current_client == master`), the master says when they go.
    Ignore,
}

/// Keys sampled per database per round (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
pub const KEYS_PER_LOOP: usize = 20;
/// Keep sampling a database while more than this percentage of a sample had expired
/// (Redis's ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE).
pub const ACCEPTABLE_STALE_PERCENT: usize = 10;

impl Store {
    /// Runs one active expiry cycle, stopping at `deadline`; returns how many keys it removed.
    pub fn active_expire(&mut self, now: i64, deadline: Instant) -> usize {
        if self.expiring != Expiring::Delete {
            return 0;
        }
        let dbs = self.db_count();
        let mut removed = 0;
        let mut rounds: u32 = 0;
        for step in 0..dbs {
            let db = (self.expire_cursor + step) % dbs;
            loop {
                let candidates = self.dbs()[db].expires_len();
                if candidates == 0 {
                    break;
                }
                let sample = candidates.min(KEYS_PER_LOOP);
                let mut expired = 0;
                for _ in 0..sample {
                    let len = self.dbs()[db].expires_len();
                    if len == 0 {
                        break;
                    }
                    let i = (self.random() % len as u64) as usize;
                    // The key is copied only while expiries are recorded (for
                    // keyspace notifications or propagation).
                    let key = if self.records_expiries() {
                        self.dbs()[db].expiring_key_at(i).cloned()
                    } else {
                        None
                    };
                    if self.db(db).expire_sampled(i, now) {
                        expired += 1;
                        if let Some(key) = key {
                            self.record_expired(db, &key);
                        }
                    }
                }
                removed += expired;
                self.stats.expired_keys += expired as u64;
                self.dirty += expired as u64;
                rounds += 1;
                if rounds.is_multiple_of(16) && Instant::now() >= deadline {
                    self.expire_cursor = db;
                    return removed;
                }
                if expired * 100 <= sample * ACCEPTABLE_STALE_PERCENT {
                    break;
                }
            }
        }
        self.expire_cursor = (self.expire_cursor + 1) % dbs;
        removed
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::Value;

    #[test]
    fn removes_expired_keys_without_access() {
        let mut store = Store::new(2);
        for i in 0..1000 {
            store
                .db(1)
                .insert(format!("dead{i}").as_bytes(), Value::Int(1), 100);
            store
                .db(1)
                .insert(format!("live{i}").as_bytes(), Value::Int(1), 0);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let removed = store.active_expire(200, deadline);
        assert_eq!(removed, 1000);
        assert_eq!(store.dbs()[1].len(), 1000);
        assert_eq!(store.stats.expired_keys, 1000);
    }
}
