//! Staying under `maxmemory` (Redis's `performEvictions` as `processCommand`, the
//! eviction timer and CONFIG SET call it): the store picks and deletes keys
//! ([`crate::store::evict`]); this layer measures memory, hands the evicted keys to
//! the propagation layer as `DEL`s and remembers when eviction must go on.

use std::time::{Duration, Instant};

use super::ServerState;
use crate::store::{Evicted, Policy, Store};

/// Heap bytes that count against `maxmemory` (Redis's used memory minus the
/// replication and AOF buffers, which rudis does not keep on the heap between turns).
#[inline]
pub fn counted_memory() -> usize {
    crate::alloc::used_memory()
}

/// Evicts keys while memory is over `maxmemory` and the policy allows (nothing when
/// no limit is set); returns what it achieved. The evicted keys' `DEL`s go to the
/// propagation stream now; their events wait in the store's log for the caller to
/// publish. While the time budget cut it short, `server.evicting` asks the event loop
/// to call again.
pub fn perform(store: &mut Store, server: &mut ServerState, now: i64) -> Evicted {
    let max = server.config.maxmemory;
    if max == 0 || counted_memory() <= max {
        // The common case: one atomic load.
        server.evicting = false;
        return Evicted::Ok;
    }
    if server.pause.is_on() && now < server.pause.end_ms {
        // While clients are paused the data set stays as it is: nothing is evicted,
        // and nothing refused for memory either (Redis's isSafeToPerformEvictions).
        server.evicting = false;
        return Evicted::Ok;
    }
    store.set_observed(server.observes_writes());
    // Timed for the latency monitor: the whole cycle (`eviction-cycle`) and the
    // slowest key deletion (`eviction-del`), as Redis's performEvictions.
    let timed = server.observe.latency_on();
    let start = Instant::now();
    let mut slowest_del = Duration::ZERO;
    let result = store.evict_timed(
        max,
        |_| counted_memory(),
        now,
        timed.then_some(&mut slowest_del),
    );
    if timed && store.access().policy != Policy::NoEviction {
        server.latency_event("eviction-del", slowest_del);
        server.latency_event("eviction-cycle", start.elapsed());
    }
    server.evicting = result == Evicted::Running;
    if server.propagation.is_on() {
        server.propagation.flush_expired(store);
    }
    result
}
