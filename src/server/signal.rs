//! SIGINT/SIGTERM handling: the handler only records the signal, which the event
//! loop takes every turn (the loop never sleeps longer than one cron period).

use std::sync::atomic::{AtomicI32, Ordering};

/// The last shutdown signal received and not yet taken (0: none).
static REQUESTED: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(signal: libc::c_int) {
    REQUESTED.store(signal, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM, and ignores SIGPIPE (a peer that
/// vanished is reported by write() instead).
pub fn install() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// The SIGINT or SIGTERM that arrived since the last call, if any: a shutdown that
/// fails (its save failed) takes it, so the server goes on until the next one, as
/// Redis does.
pub fn take() -> Option<libc::c_int> {
    Some(REQUESTED.swap(0, Ordering::SeqCst)).filter(|&s| s != 0)
}

/// The signal's name in the log (`SIGTERM`).
pub fn name(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a shutdown signal",
    }
}
