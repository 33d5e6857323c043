//! A cheap monotonic clock for timing every command: the CPU's time-stamp counter
//! where it is invariant (one instruction, no system call), else [`Instant`].
//! Redis does the same with its `MONOTONIC_CLOCK_HW` (monotonic.c).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long the counter is measured against [`Instant`] to learn its rate (once per
/// process): long enough for a rate within 0.1%, short enough to go unnoticed.
const CALIBRATION: Duration = Duration::from_millis(2);

/// The clock in use and its rate.
#[derive(Debug, Clone, Copy)]
struct Rate {
    /// The time-stamp counter is used (else nanoseconds since `anchor`).
    tsc: bool,
    /// Nanoseconds per tick, in 32.32 fixed point.
    ns_per_tick_q32: u64,
}

fn anchor() -> Instant {
    static ANCHOR: OnceLock<Instant> = OnceLock::new();
    *ANCHOR.get_or_init(Instant::now)
}

fn rate() -> Rate {
    static RATE: OnceLock<Rate> = OnceLock::new();
    *RATE.get_or_init(|| {
        let rate = calibrate();
        NS_PER_TICK_Q32.store(rate.ns_per_tick_q32, Relaxed);
        TSC.store(rate.tsc, Relaxed);
        rate
    })
}

/// [`Rate::tsc`] once [`rate`] is known (false before): read with one plain load per
/// call, where a `OnceLock` costs a check of its state each time.
static TSC: AtomicBool = AtomicBool::new(false);
/// [`Rate::ns_per_tick_q32`] once [`rate`] is known (0 before).
static NS_PER_TICK_Q32: AtomicU64 = AtomicU64::new(0);

#[cfg(target_arch = "x86_64")]
fn read_tsc() -> u64 {
    // SAFETY: RDTSC exists on every x86_64 CPU and has no memory effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Uses the counter only when the kernel says it ticks at a constant rate through
/// frequency changes and sleep states (`constant_tsc` and `nonstop_tsc`).
fn calibrate() -> Rate {
    let fallback = Rate {
        tsc: false,
        ns_per_tick_q32: 1 << 32,
    };
    #[cfg(target_arch = "x86_64")]
    {
        let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        if !(flags.contains("constant_tsc") && flags.contains("nonstop_tsc")) {
            return fallback;
        }
        let t0 = Instant::now();
        let c0 = read_tsc();
        let mut t1 = Instant::now();
        while t1 - t0 < CALIBRATION {
            std::hint::spin_loop();
            t1 = Instant::now();
        }
        let c1 = read_tsc();
        let ticks = c1.saturating_sub(c0);
        if ticks == 0 {
            return fallback;
        }
        let ns = (t1 - t0).as_nanos();
        Rate {
            tsc: true,
            ns_per_tick_q32: ((ns << 32) / ticks as u128) as u64,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    fallback
}

/// Learns the clock's rate now rather than at the first command.
pub fn init() {
    anchor();
    rate();
}

/// The current tick count (only differences mean anything).
#[inline(always)]
pub fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    if TSC.load(Relaxed) {
        return read_tsc();
    }
    now_slow()
}

/// [`now`] without the time-stamp counter, or before the rate is known.
#[cold]
#[inline(never)]
fn now_slow() -> u64 {
    #[cfg(target_arch = "x86_64")]
    if rate().tsc {
        return read_tsc();
    }
    anchor().elapsed().as_nanos() as u64
}

/// Nanoseconds in `ticks` (a difference of [`now`]s, which made the rate known).
#[inline(always)]
pub fn to_ns(ticks: u64) -> u64 {
    ((ticks as u128 * NS_PER_TICK_Q32.load(Relaxed) as u128) >> 32) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_sleep() {
        init();
        let start = now();
        std::thread::sleep(Duration::from_millis(20));
        let ns = to_ns(now() - start);
        assert!((19_000_000..200_000_000).contains(&ns), "{ns} ns");
    }
}
