//! What operators watch the server with: the slow log, the latency monitor, the
//! per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM) and MONITOR.
//!
//! Every command is timed with one read of a cheap clock ([`ticks`]) before and after
//! it; after it, [`Observe::after_command`] counts the duration in the command's
//! histogram (a few instructions) and leaves everything else (slow log, latency
//! events, monitors) to a cold path taken only past a threshold or while a MONITOR
//! client is connected.

pub mod acl_log;
pub mod histogram;
pub mod latency;
pub mod monitor;
pub mod slowlog;
pub mod ticks;

use histogram::Histogram;
use latency::LatencyMonitor;
use slowlog::SlowLog;

/// The text that replaces a secret argument in the slow log and MONITOR.
pub const REDACTED: &[u8] = b"(redacted)";

/// Server-wide observability state.
#[derive(Debug, Default)]
pub struct Observe {
    /// SLOWLOG.
    pub slowlog: SlowLog,
    /// LATENCY LATEST / HISTORY.
    pub latency: LatencyMonitor,
    /// Latency histograms by command id (`acl::Registry` ids: subcommands apart),
    /// made at a command's first call.
    pub histograms: Vec<Option<Histogram>>,
    /// Durations from this many nanoseconds up take the cold path (the lower of the
    /// slow-log and latency-monitor thresholds; `u64::MAX` when both are off).
    pub cold_ns: u64,
    /// Slow-log threshold in ns (`u64::MAX`: off).
    pub slowlog_ns: u64,
    /// Latency-monitor threshold in ns (`u64::MAX`: off).
    pub latency_ns: u64,
    /// Clients in MONITOR mode, and the lines waiting for them.
    pub monitors: monitor::Monitors,
    /// The EVAL or FCALL whose script is about to run, recorded once it has.
    pub pending: Option<PendingCall>,
    /// ACL LOG.
    pub acl_log: acl_log::AclLog,
    /// A blocked client's command is being run again (it is logged if it completes).
    pub rerunning: bool,
    /// Reads from client sockets (INFO `total_reads_processed`).
    pub reads_processed: u64,
    /// Writes to client sockets (INFO `total_writes_processed`).
    pub writes_processed: u64,
}

impl Observe {
    /// Takes the thresholds from the configuration (at start and after CONFIG SET).
    pub fn sync(&mut self, config: &crate::config::ObserveConfig) {
        self.slowlog_ns = match config.slowlog_log_slower_than {
            n if n < 0 => u64::MAX,
            n => (n as u64).saturating_mul(1000),
        };
        self.latency_ns = match config.latency_monitor_threshold {
            0 => u64::MAX,
            ms => ms.saturating_mul(1_000_000),
        };
        self.cold_ns = self.slowlog_ns.min(self.latency_ns);
        self.slowlog.entries.truncate(config.slowlog_max_len);
    }

    /// Counts `ns` in the histogram of command `id`.
    #[inline(always)]
    pub fn record(&mut self, id: usize, ns: u64) {
        if let Some(Some(h)) = self.histograms.get_mut(id) {
            h.record(ns);
        } else {
            self.first_record(id, ns);
        }
    }

    #[cold]
    #[inline(never)]
    fn first_record(&mut self, id: usize, ns: u64) {
        if id >= self.histograms.len() {
            self.histograms.resize_with(id + 1, || None);
        }
        self.histograms[id]
            .get_or_insert_with(Histogram::default)
            .record(ns);
    }
}

/// Positions of the arguments of `req` that hold secrets, for command `name`
/// (Redis's `redactClientCommandArgument` callers: AUTH, HELLO AUTH, ACL SETUSER,
/// CONFIG SET of a sensitive directive, MIGRATE AUTH/AUTH2).
pub fn secret_positions(name: &str, args: &[&[u8]]) -> Vec<usize> {
    let is = |a: &[u8], s: &str| a.eq_ignore_ascii_case(s.as_bytes());
    let argc = args.len();
    match name {
        "auth" if argc <= 3 => (1..argc).collect(),
        "hello" => {
            let mut out = Vec::new();
            let mut j = 2;
            while j < argc {
                if is(args[j], "auth") && j + 2 < argc {
                    out.extend([j + 1, j + 2]);
                    j += 3;
                } else if is(args[j], "setname") {
                    j += 2;
                } else {
                    j += 1;
                }
            }
            out
        }
        "acl" if argc >= 3 && is(args[1], "setuser") => (2..argc).collect(),
        "config" if argc >= 4 && is(args[1], "set") => (2..argc - 1)
            .step_by(2)
            .filter(|&j| {
                ["masterauth", "masteruser", "requirepass"]
                    .iter()
                    .any(|s| is(args[j], s))
            })
            .map(|j| j + 1)
            .collect(),
        "migrate" => {
            let mut out = Vec::new();
            let mut j = 6;
            while j < argc {
                if is(args[j], "auth") && j + 1 < argc {
                    out.push(j + 1);
                    j += 2;
                } else if is(args[j], "auth2") && j + 2 < argc {
                    out.extend([j + 1, j + 2]);
                    j += 3;
                } else if is(args[j], "keys") {
                    break;
                } else {
                    j += 1;
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The arguments of a command as the slow log and MONITOR show them: secrets
/// replaced by `(redacted)`.
pub fn shown_args<'a>(name: &str, args: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let secret = secret_positions(name, args);
    args.iter()
        .enumerate()
        .map(|(j, a)| if secret.contains(&j) { REDACTED } else { *a })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found() {
        let args: Vec<&[u8]> = vec![b"hello", b"3", b"AUTH", b"u", b"p", b"SETNAME", b"auth"];
        assert_eq!(secret_positions("hello", &args), [3, 4]);
        let args: Vec<&[u8]> = vec![b"config", b"set", b"maxclients", b"1", b"requirepass", b"x"];
        assert_eq!(secret_positions("config", &args), [5]);
        let args: Vec<&[u8]> = vec![b"auth", b"a", b"b", b"c"];
        assert!(secret_positions("auth", &args).is_empty());
        let args: Vec<&[u8]> = vec![
            b"migrate", b"h", b"1", b"key", b"9", b"5000", b"AUTH2", b"u", b"p",
        ];
        assert_eq!(
            shown_args("migrate", &args)[6..],
            [&b"AUTH2"[..], REDACTED, REDACTED]
        );
    }
}

/// A command whose recording waits for its end: EVAL and FCALL hand their script to
/// the server, which runs it after the handler returned.
#[derive(Debug, Clone)]
pub struct PendingCall {
    /// Tick count when it started.
    pub start: u64,
    /// Its position in the command table.
    pub index: usize,
    /// Its histogram id.
    pub id: usize,
    /// Its name.
    pub name: &'static str,
    /// Its flags.
    pub flags: crate::spec::Flags,
    /// Its arguments.
    pub args: Vec<Vec<u8>>,
    /// Set when the script's reply is an error (counted in `failed_calls`).
    pub failed: bool,
}

impl crate::runtime::ServerState {
    /// The slow path after a command that took `ns`: latency event, slow-log entry,
    /// monitor line. `me` ran `args` as command `name` with `flags`.
    #[cold]
    #[inline(never)]
    pub fn observe_slow(
        &mut self,
        me: usize,
        name: &'static str,
        flags: crate::spec::Flags,
        args: &[&[u8]],
        ns: u64,
    ) {
        use crate::spec::Flags;
        let now_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if ns >= self.observe.latency_ns {
            let event = if flags.contains(Flags::FAST) {
                "fast-command"
            } else {
                "command"
            };
            self.observe.latency.add(event, ns / 1_000_000, now_s);
        }
        let Some(client) = self.clients.get(me) else {
            return;
        };
        let shown = shown_args(name.split('|').next().unwrap_or(name), args);
        let completed = if self.observe.rerunning {
            !client.still_blocked
        } else {
            client.blocked.is_none()
        };
        if ns >= self.observe.slowlog_ns && !flags.contains(Flags::SKIP_SLOWLOG) && completed {
            let entry = slowlog::Entry {
                id: 0,
                time: now_s,
                duration_us: ns / 1000,
                args: slowlog::trim_args(shown.iter().copied()),
                peer: client.addr.clone(),
                name: client.name.clone(),
            };
            self.observe
                .slowlog
                .push(entry, self.config.observe.slowlog_max_len);
        }
        if !self.observe.monitors.is_empty()
            && !flags.contains(Flags::SKIP_MONITOR)
            && !flags.contains(Flags::ADMIN)
        {
            self.feed_monitors(me, &shown);
        }
    }

    /// Queues a monitor line for command `args` of client `me`.
    pub fn feed_monitors(&mut self, me: usize, args: &[&[u8]]) {
        let Some(client) = self.clients.get(me) else {
            return;
        };
        let who = if client.in_script {
            "lua"
        } else {
            client.addr.as_str()
        };
        self.observe.monitors.feed(client.db, who, args);
    }

    /// Records the end of the EVAL or FCALL whose script just ran (see [`PendingCall`]).
    pub fn finish_pending_call(&mut self, me: usize) {
        let Some(call) = self.observe.pending.take() else {
            return;
        };
        let ns = ticks::to_ns(ticks::now().wrapping_sub(call.start));
        let stats = self.command_stats(call.index);
        stats.nanos += ns;
        stats.failed_calls += u64::from(call.failed);
        if self.config.observe.latency_tracking {
            self.observe.record(call.id, ns);
        }
        if ns >= self.observe.cold_ns {
            let args: Vec<&[u8]> = call.args.iter().map(|a| a.as_slice()).collect();
            // The monitor saw it before it ran.
            let flags = call.flags.union(crate::spec::Flags::SKIP_MONITOR);
            self.observe_slow(me, call.name, flags, &args, ns);
        }
    }
}

/// Microseconds the latest fork took (INFO `latest_fork_usec`); process-wide, since
/// the fork happens below the server state.
static LATEST_FORK_US: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// A fork whose latency event is still to be recorded.
static FORK_PENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records how long a fork took (called by BGSAVE and BGREWRITEAOF in the parent).
pub fn note_fork(elapsed: std::time::Duration) {
    use std::sync::atomic::Ordering;
    LATEST_FORK_US.store(elapsed.as_micros() as u64, Ordering::Relaxed);
    FORK_PENDING.store(true, Ordering::Relaxed);
}

/// INFO `latest_fork_usec`.
pub fn latest_fork_us() -> u64 {
    LATEST_FORK_US.load(std::sync::atomic::Ordering::Relaxed)
}

impl crate::runtime::ServerState {
    /// Records latency event `event` if `elapsed` reaches `latency-monitor-threshold`
    /// (Redis's `latencyAddSampleIfNeeded`).
    pub fn latency_event(&mut self, event: &'static str, elapsed: std::time::Duration) {
        let ns = elapsed.as_nanos() as u64;
        if ns >= self.observe.latency_ns {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            self.observe.latency.add(event, ns / 1_000_000, now);
        }
    }

    /// Records the `fork` event of a fork made since the last call.
    pub fn take_fork_event(&mut self) {
        if FORK_PENDING.swap(false, std::sync::atomic::Ordering::Relaxed) {
            let us = latest_fork_us();
            self.latency_event("fork", std::time::Duration::from_micros(us));
        }
    }
}
