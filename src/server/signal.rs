//! SIGINT/SIGTERM/SIGHUP handling: the handler only records the signal, which the
//! event loop takes every turn (the loop never sleeps longer than one cron period).
//! SIGHUP reopens the log file (for logrotate): the logger reopens before its next
//! line, and the loop logs one at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The last shutdown signal received and not yet taken (0: none).
static REQUESTED: AtomicI32 = AtomicI32::new(0);
/// A SIGHUP arrived and was not yet taken.
static HANGUP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(signal: libc::c_int) {
    REQUESTED.store(signal, Ordering::SeqCst);
}

extern "C" fn on_hangup(_: libc::c_int) {
    super::logging::request_reopen();
    HANGUP.store(true, Ordering::SeqCst);
}

/// Installs the handlers for SIGINT, SIGTERM and SIGHUP, and ignores SIGPIPE (a peer
/// that vanished is reported by write() instead).
pub fn install() {
    // SAFETY: the handlers only store to atomics, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGHUP, on_hangup as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// True once after each SIGHUP.
pub fn take_hangup() -> bool {
    HANGUP.swap(false, Ordering::SeqCst)
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
