//! Per-key access tracking and eviction: Redis's evict.c and the LFU parts of
//! object.c and db.c.
//!
//! Each key has a 24-bit clock in its table entry (see `table.rs`), read the way the
//! policy says, as Redis reads `robj.lru`:
//! - LRU policies: the last access time in seconds, modulo 2^24 (`LRU_CLOCK`);
//! - LFU policies: the last decrement time in minutes (16 bits) and a logarithmic
//!   access counter (8 bits, a Morris counter: `lfu-log-factor` sets how many
//!   accesses each step takes, and it halves... decays by one every
//!   `lfu-decay-time` minutes).
//!
//! Eviction (`performEvictions`) samples `maxmemory-samples` keys per database into a
//! pool of the [`POOL_SIZE`] best candidates kept across calls (the oldest idle
//! time, the lowest frequency, or the nearest expiry), then deletes the best
//! candidate that still exists, until enough memory is freed or the time budget
//! (`maxmemory-eviction-tenacity`) runs out.

use std::time::{Duration, Instant};

use super::handle::{Event, class};
use super::table::CLOCK_MAX;
use super::{Key, KeyEvent, Store};

/// Candidates the eviction pool keeps (Redis's `EVPOOL_SIZE`).
pub const POOL_SIZE: usize = 16;
/// A new key's LFU counter (Redis's `LFU_INIT_VAL`), so it is not evicted before it
/// has had a chance to be used.
pub const LFU_INIT_VAL: u32 = 5;
/// Keys evicted between two checks of the time budget (Redis checks every 16).
const KEYS_PER_TIME_CHECK: usize = 16;
/// The event of an evicted key: WATCH and blocked clients see it as a write, and it is
/// published as `evicted` (class `e`).
pub const EVICTED: Event = Event::new(class::EVICTED, "evicted");

/// `maxmemory-policy`: what to evict when memory is over `maxmemory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Least recently used among keys with a TTL.
    VolatileLru,
    /// Least frequently used among keys with a TTL.
    VolatileLfu,
    /// Any key with a TTL.
    VolatileRandom,
    /// The key with the nearest expiry.
    VolatileTtl,
    /// Least recently used among all keys.
    AllkeysLru,
    /// Least frequently used among all keys.
    AllkeysLfu,
    /// Any key.
    AllkeysRandom,
    /// Nothing: writes that need memory fail with -OOM (the default).
    NoEviction,
}

impl Policy {
    /// Every policy, in Redis's order.
    pub const ALL: [Policy; 8] = [
        Policy::VolatileLru,
        Policy::VolatileLfu,
        Policy::VolatileRandom,
        Policy::VolatileTtl,
        Policy::AllkeysLru,
        Policy::AllkeysLfu,
        Policy::AllkeysRandom,
        Policy::NoEviction,
    ];

    /// The directive's value.
    pub fn name(self) -> &'static str {
        match self {
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
            Policy::AllkeysLru => "allkeys-lru",
            Policy::AllkeysLfu => "allkeys-lfu",
            Policy::AllkeysRandom => "allkeys-random",
            Policy::NoEviction => "noeviction",
        }
    }

    /// The policy named `value` (any case).
    pub fn parse(value: &str) -> Option<Policy> {
        Policy::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(value))
    }

    /// True for the LFU policies (the clocks hold counters).
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::VolatileLfu | Policy::AllkeysLfu)
    }

    /// True for the policies that pick among keys with a TTL only.
    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    /// True for the policies that rank candidates in the pool.
    fn pooled(self) -> bool {
        !matches!(
            self,
            Policy::VolatileRandom | Policy::AllkeysRandom | Policy::NoEviction
        )
    }
}

/// How keys' clocks are kept and read (from the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// The eviction policy.
    pub policy: Policy,
    /// `lfu-log-factor` (Redis's default 10).
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`, minutes per counter decrement (Redis's default 1; 0 = never).
    pub lfu_decay_time: u32,
    /// `maxmemory-samples` (Redis's default 5).
    pub samples: usize,
    /// `maxmemory-eviction-tenacity`, 0..=100 (Redis's default 10).
    pub tenacity: u32,
}

impl Default for Access {
    fn default() -> Access {
        Access {
            policy: Policy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            samples: 5,
            tenacity: 10,
        }
    }
}

/// The LRU clock at `now` (Unix ms): seconds modulo 2^24 (Redis's `getLRUClock`).
pub fn lru_clock(now: i64) -> u32 {
    // Unsigned: `now` is after 1970, and an unsigned division by a constant is a few
    // instructions shorter (this runs at every key lookup).
    ((now as u64 / 1000) & u64::from(CLOCK_MAX)) as u32
}

/// Minutes at `now` modulo 2^16 (Redis's `LFUGetTimeInMinutes`).
fn lfu_minutes(now: i64) -> u32 {
    ((now / 60_000) as u64 & 0xFFFF) as u32
}

/// Milliseconds since the access an LRU clock recorded (Redis's
/// `estimateObjectIdleTime`; the clock wraps every 194 days).
pub fn lru_idle_ms(clock: u32, now: i64) -> u64 {
    let current = lru_clock(now);
    let seconds = if current >= clock {
        current - clock
    } else {
        current + (CLOCK_MAX - clock)
    };
    u64::from(seconds) * 1000
}

/// The counter of an LFU clock after its decay up to `now` (Redis's `LFUDecrAndReturn`).
pub fn lfu_counter(clock: u32, now: i64, decay_time: u32) -> u32 {
    let last = clock >> 8;
    let counter = clock & 0xFF;
    let current = lfu_minutes(now);
    let elapsed = if current >= last {
        current - last
    } else {
        0xFFFF - last + current
    };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// An LFU clock holding `counter` as of `now`.
pub fn lfu_clock(counter: u32, now: i64) -> u32 {
    lfu_minutes(now) << 8 | counter.min(255)
}

/// The maximum time one eviction call may take (Redis's `evictionTimeLimitUs`):
/// linear to 500 µs at tenacity 10, then 15% more per step, unlimited at 100.
pub fn time_limit(tenacity: u32) -> Option<Duration> {
    match tenacity {
        0..=10 => Some(Duration::from_micros(50 * u64::from(tenacity))),
        11..=99 => Some(Duration::from_micros(
            (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        )),
        _ => None,
    }
}

/// What an eviction call achieved (Redis's `EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evicted {
    /// Memory is within the limit.
    Ok,
    /// Keys were evicted but the time budget ran out first: call again soon.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

/// One candidate of the eviction pool.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// Larger is a better candidate: idle ms, 255 - frequency, or u64::MAX - expiry.
    score: u64,
    db: usize,
    key: Key,
}

impl Store {
    /// Sets how clocks are kept and read and how keys are evicted.
    pub fn set_access(&mut self, access: Access) {
        if access.policy.is_lfu() != self.access.policy.is_lfu() {
            // The pool's scores mean something else now.
            self.pool.clear();
        }
        self.access = access;
        self.lru_touch = self.touching && !access.policy.is_lfu();
        let fresh = self.fresh_clock(super::now_ms());
        for db in &mut self.dbs {
            db.fresh = fresh;
        }
    }

    /// How clocks are kept and read.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The clock a new key starts with at `now`.
    pub(super) fn fresh_clock(&self, now: i64) -> u32 {
        if self.access.policy.is_lfu() {
            lfu_clock(LFU_INIT_VAL, now)
        } else {
            lru_clock(now)
        }
    }

    /// Records an access to the key at `pos` of database `db` (Redis's lookupKey:
    /// the LRU time, or an LFU counter decay and logarithmic increment). Lookups
    /// set the LRU time themselves; this serves LFU.
    pub(super) fn touch(&mut self, db: usize, pos: usize, now: i64) {
        if !self.touching {
            return;
        }
        let clock = if self.access.policy.is_lfu() {
            let counter = lfu_counter(self.dbs[db].clock(pos), now, self.access.lfu_decay_time);
            lfu_clock(self.lfu_incr(counter), now)
        } else {
            lru_clock(now)
        };
        self.dbs[db].set_clock(pos, clock);
    }

    /// Redis's `LFULogIncr`: increments with probability 1 / ((counter - 5) × factor + 1).
    fn lfu_incr(&mut self, counter: u32) -> u32 {
        if counter >= 255 {
            return 255;
        }
        let r = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * f64::from(self.access.lfu_log_factor) + 1.0);
        counter + u32::from(r < p)
    }

    /// Sets the clock of a new or replaced key at `pos`.
    pub(super) fn stamp(&mut self, db: usize, pos: usize, now: i64) {
        let clock = self.fresh_clock(now);
        self.dbs[db].set_clock(pos, clock);
    }

    /// With `false`, lookups leave the keys' clocks alone until set back to `true`
    /// (Redis's `LOOKUP_NOTOUCH`: TYPE, TTL, EXISTS and OBJECT are no accesses).
    pub fn set_touching(&mut self, on: bool) {
        self.touching = on;
        self.lru_touch = on && !self.access.policy.is_lfu();
    }

    /// The idle time in ms of `key` of database `db` by its LRU clock, without
    /// touching it; None when absent.
    pub fn idle_ms(&self, db: usize, key: &[u8], now: i64) -> Option<u64> {
        let pos = self.dbs[db].position(key)?;
        Some(lru_idle_ms(self.dbs[db].clock(pos), now))
    }

    /// The decayed LFU counter of `key` of database `db`; None when absent.
    pub fn frequency(&self, db: usize, key: &[u8], now: i64) -> Option<u32> {
        let pos = self.dbs[db].position(key)?;
        Some(lfu_counter(
            self.dbs[db].clock(pos),
            now,
            self.access.lfu_decay_time,
        ))
    }

    /// Sets the access clock of `key` of database `db` as RESTORE's IDLETIME / FREQ do
    /// (Redis's `objectSetLRUOrLFU`): under an LFU policy `freq` (0..=255) if given,
    /// else `idle_s` seconds ago if given.
    pub fn set_access_of(
        &mut self,
        db: usize,
        key: &[u8],
        idle_s: Option<u64>,
        freq: Option<u32>,
        now: i64,
    ) {
        let Some(pos) = self.dbs[db].position(key) else {
            return;
        };
        let clock = if self.access.policy.is_lfu() {
            match freq {
                Some(f) => lfu_clock(f, now),
                None => return,
            }
        } else {
            match idle_s {
                Some(idle) => {
                    let current = i64::from(lru_clock(now));
                    let idle = (idle % (u64::from(CLOCK_MAX) + 1)) as i64;
                    let at = current - idle;
                    (if at < 0 {
                        at + i64::from(CLOCK_MAX)
                    } else {
                        at
                    }) as u32
                }
                None => return,
            }
        };
        self.dbs[db].set_clock(pos, clock);
    }

    /// The eviction score of the key at `pos` of database `db` (larger goes first).
    fn score(&self, db: usize, pos: usize, expire_at: i64, now: i64) -> u64 {
        let clock = self.dbs[db].clock(pos);
        match self.access.policy {
            Policy::VolatileTtl => u64::MAX - expire_at.max(0) as u64,
            p if p.is_lfu() => 255 - u64::from(lfu_counter(clock, now, self.access.lfu_decay_time)),
            _ => lru_idle_ms(clock, now),
        }
    }

    /// Samples database `db` into the pool (Redis's `evictionPoolPopulate`).
    fn populate_pool(&mut self, db: usize, now: i64) {
        let volatile = self.access.policy.volatile();
        let len = if volatile {
            self.dbs[db].expires_len()
        } else {
            self.dbs[db].len()
        };
        let samples = self.access.samples;
        for k in 0..samples.min(len) {
            // As Redis's dictGetSomeKeys, distinct keys: all of them when there are
            // no more than the samples.
            let i = if len <= samples {
                k
            } else {
                self.rng.below(len)
            };
            let d = &self.dbs[db];
            let (pos, expire_at) = if volatile {
                let Some((key, at)) = d.expiring_at(i) else {
                    continue;
                };
                let Some(pos) = d.position(key) else {
                    continue;
                };
                (pos, at)
            } else {
                (i, 0)
            };
            let score = self.score(db, pos, expire_at, now);
            let pool = &self.pool;
            if pool.len() == POOL_SIZE && pool[0].score >= score {
                continue;
            }
            let Some((key, _)) = self.dbs[db].get_index(pos) else {
                continue;
            };
            if pool.iter().any(|c| c.db == db && c.key == *key) {
                continue;
            }
            let at = pool.partition_point(|c| c.score < score);
            let key = key.clone();
            if self.pool.len() == POOL_SIZE {
                // Full: drop the worst (leftmost) candidate to make room.
                self.pool.remove(0);
                self.pool.insert(at - 1, Candidate { score, db, key });
            } else {
                self.pool.insert(at, Candidate { score, db, key });
            }
        }
    }

    /// The best candidate to evict, as (database, position): from the pool for the
    /// ranking policies, at random otherwise. None when nothing can be evicted.
    fn pick(&mut self, now: i64) -> Option<(usize, usize)> {
        let volatile = self.access.policy.volatile();
        let n = self.dbs.len();
        let candidates = |d: &super::Db| if volatile { d.expires_len() } else { d.len() };
        if !self.access.policy.pooled() {
            for _ in 0..n {
                let db = self.evict_cursor % n;
                self.evict_cursor = self.evict_cursor.wrapping_add(1);
                let len = candidates(&self.dbs[db]);
                if len == 0 {
                    continue;
                }
                let i = self.rng.below(len);
                let d = &self.dbs[db];
                let pos = if volatile {
                    d.expiring_at(i).and_then(|(key, _)| d.position(key))
                } else {
                    Some(i)
                };
                if pos.is_some() {
                    return pos.map(|p| (db, p));
                }
            }
            return None;
        }
        loop {
            if self.dbs.iter().all(|d| candidates(d) == 0) {
                return None;
            }
            for db in 0..n {
                if candidates(&self.dbs[db]) > 0 {
                    self.populate_pool(db, now);
                }
            }
            // The best candidate still present (the pool may hold deleted keys).
            while let Some(c) = self.pool.pop() {
                let d = &self.dbs[c.db];
                if let Some(pos) = d.position(&c.key)
                    && (!volatile || d.has_ttl(pos))
                {
                    return Some((c.db, pos));
                }
            }
        }
    }

    /// Evicts keys until `used()` (bytes in use that count) is at most `maxmemory`,
    /// the policy finds nothing more, or the time budget runs out (Redis's
    /// `performEvictions`). Each evicted key counts in `evicted_keys`, is recorded as
    /// an `evicted` write (WATCH, keyspace events) and, while propagating, logged for a
    /// `DEL`. Values are freed at once, so `used()` sees the memory come back.
    pub fn evict(&mut self, maxmemory: usize, used: impl Fn(&Store) -> usize, now: i64) -> Evicted {
        self.evict_timed(maxmemory, used, now, None)
    }

    /// [`Store::evict`] that, given `slowest_del`, keeps there the longest time one
    /// key's deletion took (Redis's `eviction-del` latency event).
    pub fn evict_timed(
        &mut self,
        maxmemory: usize,
        used: impl Fn(&Store) -> usize,
        now: i64,
        mut slowest_del: Option<&mut Duration>,
    ) -> Evicted {
        let start = used(self);
        if start <= maxmemory {
            return Evicted::Ok;
        }
        if self.access.policy == Policy::NoEviction {
            return Evicted::Fail;
        }
        let limit = time_limit(self.access.tenacity);
        let began = Instant::now();
        let mut evicted = 0usize;
        while used(self) > maxmemory {
            let Some((db, pos)) = self.pick(now) else {
                return Evicted::Fail;
            };
            let timer = slowest_del.is_some().then(Instant::now);
            let (key, entry) = self.dbs[db].remove_keyed(pos);
            drop(entry);
            // Inline keys and values free nothing until their chunk of entries goes.
            self.dbs[db].trim();
            if let (Some(slowest), Some(timer)) = (slowest_del.as_deref_mut(), timer) {
                *slowest = (*slowest).max(timer.elapsed());
            }
            self.stats.evicted_keys += 1;
            if self.propagating {
                self.expired_log.push((db, key.clone()));
            }
            if self.observed {
                self.key_events.push((db, key, KeyEvent::Write(EVICTED)));
            }
            evicted += 1;
            if evicted.is_multiple_of(KEYS_PER_TIME_CHECK)
                && limit.is_some_and(|l| began.elapsed() >= l)
            {
                return if used(self) > maxmemory {
                    Evicted::Running
                } else {
                    Evicted::Ok
                };
            }
        }
        Evicted::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Value;

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let mut store = Store::new(1);
        store.set_access(Access {
            policy: Policy::AllkeysLfu,
            ..Access::default()
        });
        let now = 1_000_000_000_000;
        let mut counter = LFU_INIT_VAL;
        for _ in 0..1000 {
            counter = store.lfu_incr(counter);
        }
        // With factor 10, 1000 hits take the counter to about 18 (Redis's table).
        assert!((12..=30).contains(&counter), "counter {counter}");
        let clock = lfu_clock(counter, now);
        assert_eq!(lfu_counter(clock, now, 1), counter);
        assert_eq!(lfu_counter(clock, now + 3 * 60_000, 1), counter - 3);
        assert_eq!(lfu_counter(clock, now + 3 * 60_000, 0), counter, "no decay");
        assert_eq!(lfu_counter(clock, now + 600 * 60_000, 1), 0);
    }

    #[test]
    fn lru_idle_time_wraps_with_the_clock() {
        let now = 1_700_000_000_000;
        assert_eq!(lru_idle_ms(lru_clock(now - 5_000), now), 5_000);
        let wrap = (i64::from(CLOCK_MAX) + 1) * 1000;
        let before = now - now % wrap + 2_000; // 2 s after a wrap
        assert_eq!(lru_idle_ms(lru_clock(before - 4_000), before), 3_000);
    }

    #[test]
    fn time_limit_follows_tenacity() {
        assert_eq!(time_limit(0), Some(Duration::ZERO));
        assert_eq!(time_limit(10), Some(Duration::from_micros(500)));
        assert_eq!(time_limit(11), Some(Duration::from_micros(575)));
        assert_eq!(time_limit(100), None);
    }

    /// A store of `n` keys in db 0, keys `0..hot` touched `now`, the others long ago.
    fn aged_store(policy: Policy, n: usize, hot: usize, now: i64) -> Store {
        let mut store = Store::new(2);
        store.set_access(Access {
            policy,
            ..Access::default()
        });
        store.set_observed(false);
        for i in 0..n {
            let key = format!("k{i}");
            store.db(0).insert(key.as_bytes(), Value::Int(1), 0);
            let pos = store.db(0).position(key.as_bytes()).expect("inserted");
            let at = if i < hot { now } else { now - 3_600_000 };
            store.stamp(0, pos, at);
            if i < hot && policy.is_lfu() {
                for _ in 0..200 {
                    store.touch(0, pos, now);
                }
            }
        }
        store
    }

    /// Evicts until `keep` keys are left; returns how many of the hot ones survive.
    fn hot_survivors(policy: Policy) -> usize {
        let now = 1_700_000_000_000;
        let mut store = aged_store(policy, 1000, 100, now);
        // "Memory" is the key count: evict down to 200 keys.
        while store.evict(200, |s| s.dbs[0].len(), now) == Evicted::Running {}
        assert_eq!(store.dbs[0].len(), 200);
        (0..100)
            .filter(|i| store.db(0).position(format!("k{i}").as_bytes()).is_some())
            .count()
    }

    #[test]
    fn lru_and_lfu_evict_cold_keys_first() {
        // 800 of 1000 keys go; the 100 hot ones should nearly all stay.
        assert!(hot_survivors(Policy::AllkeysLru) >= 95);
        assert!(hot_survivors(Policy::AllkeysLfu) >= 95);
        // Random eviction keeps about a fifth of them.
        assert!(hot_survivors(Policy::AllkeysRandom) < 60);
    }

    #[test]
    fn volatile_policies_only_take_keys_with_a_ttl_and_fail_without() {
        let now = 1_700_000_000_000;
        for policy in [
            Policy::VolatileLru,
            Policy::VolatileLfu,
            Policy::VolatileRandom,
            Policy::VolatileTtl,
        ] {
            let mut store = aged_store(policy, 50, 0, now);
            store.db(1).insert(b"t1", Value::Int(1), now + 10_000);
            store.db(1).insert(b"t2", Value::Int(1), now + 5_000);
            assert_eq!(store.evict(0, |_| 100, now), Evicted::Fail, "{policy:?}");
            assert_eq!(store.db(1).len(), 0, "{policy:?}");
            assert_eq!(store.db(0).len(), 50, "{policy:?}");
            assert_eq!(store.stats.evicted_keys, 2);
        }
        // volatile-ttl takes the nearest expiry first (with fewer keys than samples,
        // every key is looked at).
        let mut store = aged_store(Policy::VolatileTtl, 0, 0, now);
        store.db(0).insert(b"late", Value::Int(1), now + 10_000);
        store.db(0).insert(b"soon", Value::Int(1), now + 5_000);
        store.evict(1, |s| s.dbs[0].len(), now);
        assert!(store.db(0).position(b"late").is_some());
        assert!(store.db(0).position(b"soon").is_none());
        let mut none = Store::new(1);
        none.db(0).insert(b"k", Value::Int(1), 0);
        assert_eq!(none.evict(0, |_| 1, now), Evicted::Fail, "noeviction");
        assert_eq!(none.evict(1, |_| 1, now), Evicted::Ok);
    }
}
