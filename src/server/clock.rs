//! The loop's clock: Unix time derived from the monotonic clock.

use std::time::Instant;

/// Unix time derived from the monotonic clock, so one clock read gives both;
/// re-anchored to the wall clock by every cron tick.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    anchor: Instant,
    anchor_unix_ns: i128,
}

impl Clock {
    pub(super) fn now() -> Clock {
        let anchor = Instant::now();
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        Clock {
            anchor,
            anchor_unix_ns: unix,
        }
    }

    /// Unix milliseconds at `t`, rounded down like the wall clock (no truncation twice).
    pub(super) fn unix_ms(&self, t: Instant) -> i64 {
        let ns = self.anchor_unix_ns + t.saturating_duration_since(self.anchor).as_nanos() as i128;
        (ns / 1_000_000) as i64
    }
}
