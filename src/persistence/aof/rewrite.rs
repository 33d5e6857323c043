//! Rewriting the append-only file in the background (Redis 7's BGREWRITEAOF): the
//! parent opens a new incremental file and names it in the manifest before forking
//! ([`super::Aof::open_new_incr`]), so writes go on into it without a stall; the
//! child writes a new base from its copy-on-write view of the data set and fsyncs it;
//! on success the parent renames it into place and persists a manifest naming only
//! the new base and the new incremental file ([`super::Aof::install_base`]), then
//! deletes the old files. A failed rewrite leaves the previous manifest (plus the
//! new incremental file) in use.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use log::{info, warn};

use super::{Manifest, dir_path, manifest_name, switch_base, write_base};
use crate::config::Config;
use crate::persistence::{Persistence, REASON_MAX, close_inherited_fds, reason_pipe, strerror};
use crate::store::{self, Store};

/// Consecutive failures after which automatic rewrites are spaced out (Redis's
/// `AOF_REWRITE_LIMITE_THRESHOLD`).
const LIMIT_THRESHOLD: u64 = 3;
/// Longest spacing of automatic rewrites after failures, in minutes.
const LIMIT_MAX_MINUTES: i64 = 60;

/// A rewrite child in progress.
#[derive(Debug)]
struct Child {
    pid: libc::pid_t,
    /// Unix seconds at the fork.
    started: i64,
    /// Read end of the pipe on which a failing child writes why it failed.
    reason: Option<OwnedFd>,
    /// The AOF directory the child writes its base into.
    dir: PathBuf,
    /// With the AOF off (BGREWRITEAOF writes a base-only directory, as Redis 7.0):
    /// the file name prefix and the manifest's name.
    detached: Option<(String, String)>,
}

/// AOF rewrite state and counters (INFO persistence).
#[derive(Debug)]
pub struct Rewriter {
    child: Option<Child>,
    /// BGREWRITEAOF asked for a rewrite while another child ran (or inside MULTI):
    /// the cron starts it.
    pub scheduled: bool,
    /// Whether the last rewrite succeeded (INFO `aof_last_bgrewrite_status`).
    pub last_ok: bool,
    /// Seconds the last rewrite took (-1 before any).
    pub last_secs: i64,
    /// Rewrites started (INFO `aof_rewrites`).
    pub rewrites: u64,
    /// Failed rewrites in a row (INFO `aof_rewrites_consecutive_failures`).
    pub consecutive_failures: u64,
    /// Automatic rewrites wait until this Unix second after repeated failures.
    next_allowed: i64,
    /// The current spacing of automatic rewrites, in minutes.
    delay_minutes: i64,
}

impl Default for Rewriter {
    fn default() -> Rewriter {
        Rewriter {
            child: None,
            scheduled: false,
            last_ok: true,
            last_secs: -1,
            rewrites: 0,
            consecutive_failures: 0,
            next_allowed: 0,
            delay_minutes: 0,
        }
    }
}

impl Rewriter {
    /// True while a rewrite child runs.
    pub fn in_progress(&self) -> bool {
        self.child.is_some()
    }

    /// Seconds the running rewrite has taken so far (-1 when none).
    pub fn current_secs(&self) -> i64 {
        self.child.as_ref().map_or(-1, |c| unix_secs() - c.started)
    }

    /// Whether automatic rewrites are held back after repeated failures (Redis's
    /// `aofRewriteLimited`).
    fn limited(&mut self, now: i64) -> bool {
        if self.consecutive_failures < LIMIT_THRESHOLD {
            self.delay_minutes = 0;
            self.next_allowed = 0;
            return false;
        }
        if self.next_allowed != 0 {
            if now < self.next_allowed {
                return true;
            }
            self.next_allowed = 0;
            return false;
        }
        self.delay_minutes = if self.delay_minutes == 0 {
            1
        } else {
            (self.delay_minutes * 2).min(LIMIT_MAX_MINUTES)
        };
        self.next_allowed = now + self.delay_minutes * 60;
        warn!(
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry \
             in {} minutes",
            self.delay_minutes
        );
        true
    }
}

fn unix_secs() -> i64 {
    store::now_ms() / 1000
}

/// The file a rewrite child `pid` writes its base into (Redis's
/// `temp-rewriteaof-bg-<pid>.aof`).
fn temp_base(dir: &Path, pid: libc::pid_t) -> PathBuf {
    dir.join(format!("temp-rewriteaof-bg-{pid}.aof"))
}

/// The rewrite child: writes the base and exits 0, or writes why it failed on
/// `reason` (a descriptor) and exits with the errno (1 if none). `key_delay_us` (the
/// `rdb-key-save-delay` debug knob, which Redis applies to rewrites too) makes it
/// take that many microseconds per key.
fn child_main(
    store: &Store,
    temp: &Path,
    rdb_preamble: bool,
    key_delay_us: u64,
    reason: libc::c_int,
) -> ! {
    let reason = close_inherited_fds(reason);
    if key_delay_us > 0 {
        let keys: usize = store.dbs().iter().map(|db| db.len()).sum();
        std::thread::sleep(std::time::Duration::from_micros(
            key_delay_us.saturating_mul(keys as u64),
        ));
    }
    let code = match write_base(store, temp, rdb_preamble) {
        Ok(_) => 0,
        Err(e) => {
            let text = format!("Error rewriting the append only file: {}", strerror(&e));
            let bytes = &text.as_bytes()[..text.len().min(REASON_MAX)];
            // SAFETY: writes our own buffer to our own pipe; a failed write only
            // loses the reason.
            unsafe { libc::write(reason, bytes.as_ptr().cast(), bytes.len()) };
            e.raw_os_error()
                .filter(|&n| (1..=255).contains(&n))
                .unwrap_or(1)
        }
    };
    // SAFETY: ends the child without unwinding or running atexit hooks.
    unsafe { libc::_exit(code) }
}

impl Persistence {
    /// True while any child (background save or AOF rewrite) runs (Redis's
    /// `hasActiveChildProcess`).
    pub fn child_active(&self) -> bool {
        self.in_progress() || self.rewrite.in_progress()
    }

    /// Starts a background rewrite (Redis's `rewriteAppendOnlyFileBackground`). The
    /// caller has written the propagated stream to the current incremental file and
    /// forgotten the selected database, so that the new file starts with SELECT. With
    /// the AOF off, the rewrite writes a directory holding only a base and a manifest
    /// naming it (as Redis 7.0).
    /// # Errors
    /// Another child runs, or opening the new file or fork failed (logged).
    pub fn start_rewrite(&mut self, store: &Store, config: &Config) -> io::Result<()> {
        if self.child_active() {
            return Err(io::Error::other("another child process is active"));
        }
        let rw = &mut self.rewrite;
        let (dir, detached) = match self.aof.as_mut() {
            Some(aof) => {
                // A run-time start already writes to its own new (temporary) file.
                if !aof.is_waiting()
                    && let Err(e) = aof.open_new_incr()
                {
                    warn!("Can't open the append-only file: {}", strerror(&e));
                    rw.last_ok = false;
                    return Err(e);
                }
                (aof.dir().to_path_buf(), None)
            }
            None => {
                let dir = dir_path(config);
                if let Err(e) = std::fs::create_dir_all(&dir) {
                    warn!(
                        "Can't create the append-only directory {}: {}",
                        dir.display(),
                        strerror(&e)
                    );
                    rw.last_ok = false;
                    return Err(e);
                }
                let names = (config.appendfilename.clone(), manifest_name(config));
                (dir, Some(names))
            }
        };
        rw.rewrites += 1;
        let (reason_rx, reason_tx) = match reason_pipe() {
            Ok(pair) => pair,
            Err(e) => {
                rw.last_ok = false;
                warn!(
                    "Can't rewrite append only file in background: pipe: {}",
                    strerror(&e)
                );
                return Err(e);
            }
        };
        let fork_start = std::time::Instant::now();
        // SAFETY: the child first closes every inherited descriptor but the pipe,
        // then only writes the base from its copy of the memory (allocation is
        // fork-safe in glibc; nothing logs or takes a lock another thread could hold)
        // and leaves with `_exit`, running no destructor.
        let pid = unsafe { libc::fork() };
        if pid > 0 {
            crate::runtime::observe::note_fork(fork_start.elapsed());
        }
        match pid {
            0 => {
                // SAFETY: getpid has no preconditions.
                let me = unsafe { libc::getpid() };
                child_main(
                    store,
                    &temp_base(&dir, me),
                    config.aof_use_rdb_preamble,
                    config.rdb_key_save_delay_us,
                    reason_tx.as_raw_fd(),
                )
            }
            -1 => {
                let e = io::Error::last_os_error();
                rw.last_ok = false;
                warn!(
                    "Can't rewrite append only file in background: fork: {}",
                    strerror(&e)
                );
                Err(e)
            }
            pid => {
                drop(reason_tx);
                info!("Background append only file rewriting started by pid {pid}");
                rw.scheduled = false;
                rw.child = Some(Child {
                    pid,
                    started: unix_secs(),
                    reason: Some(reason_rx),
                    dir,
                    detached,
                });
                Ok(())
            }
        }
    }

    /// Reaps a finished rewrite child (part of serverCron); true when none runs
    /// any more.
    pub fn reap_rewrite(&mut self) -> bool {
        let Some(pid) = self.rewrite.child.as_ref().map(|c| c.pid) else {
            return true;
        };
        let mut status = 0;
        // SAFETY: waits for our own child only, without blocking.
        let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        match reaped {
            0 => false,
            -1 => {
                warn!("Lost the AOF rewrite child: {}", io::Error::last_os_error());
                self.rewrite_done(None);
                true
            }
            _ => {
                self.rewrite_done(Some(status));
                true
            }
        }
    }

    /// What the cron should start: a scheduled rewrite, or an automatic one when
    /// the AOF grew by `auto-aof-rewrite-percentage` over its size after the last
    /// rewrite and is larger than `auto-aof-rewrite-min-size` (Redis's serverCron).
    pub fn rewrite_due(&mut self, config: &Config) -> bool {
        if self.child_active() {
            return false;
        }
        let now = unix_secs();
        if self.rewrite.scheduled && !self.rewrite.limited(now) {
            return true;
        }
        let Some(aof) = self.aof.as_ref() else {
            return false;
        };
        let current = aof.current_size();
        if config.auto_aof_rewrite_percentage == 0 || current <= config.auto_aof_rewrite_min_size {
            return false;
        }
        let base = aof.rewrite_base_size.max(1);
        let growth = (current as u128 * 100 / base as u128) as i128 - 100;
        if growth >= i128::from(config.auto_aof_rewrite_percentage) && !self.rewrite.limited(now) {
            info!("Starting automatic rewriting of AOF on {growth}% growth");
            return true;
        }
        false
    }

    /// Records how the child ended (Redis's `backgroundRewriteDoneHandler`): on
    /// success, installs the new base; `status` None when the child was lost.
    fn rewrite_done(&mut self, status: Option<libc::c_int>) {
        let Some(child) = self.rewrite.child.take() else {
            return;
        };
        let now = unix_secs();
        let rw = &mut self.rewrite;
        rw.last_secs = now - child.started;
        let temp = temp_base(&child.dir, child.pid);
        let ok = match status {
            Some(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 0 => {
                info!("Background AOF rewrite terminated with success");
                let installed = match (self.aof.as_mut(), &child.detached) {
                    (Some(aof), _) => aof.install_base(&temp),
                    (None, Some((filename, manifest_name))) => {
                        install_detached(&child.dir, filename, manifest_name, &temp)
                    }
                    (None, None) => Err(io::Error::other("the append only file was turned off")),
                };
                match installed {
                    Ok(()) => {
                        info!("Background AOF rewrite finished successfully");
                        true
                    }
                    Err(e) => {
                        warn!(
                            "Error installing the rewritten AOF base file: {}",
                            strerror(&e)
                        );
                        false
                    }
                }
            }
            Some(s) if libc::WIFEXITED(s) => {
                let code = libc::WEXITSTATUS(s);
                let reason = child
                    .reason
                    .map(File::from)
                    .and_then(|f| {
                        let mut text = String::new();
                        f.take(REASON_MAX as u64).read_to_string(&mut text).ok()?;
                        Some(text)
                    })
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| strerror(&io::Error::from_raw_os_error(code)));
                warn!("{reason}");
                warn!("Background AOF rewrite terminated with error");
                false
            }
            Some(s) => {
                let signal = libc::WTERMSIG(s);
                warn!("Background AOF rewrite terminated by signal {signal}");
                // SIGUSR1 is how we stop a child on purpose: not a failure.
                if signal == libc::SIGUSR1 {
                    remove_temps(&temp, child.pid);
                    return;
                }
                false
            }
            None => false,
        };
        remove_temps(&temp, child.pid);
        if !ok && let Some(aof) = self.aof.as_mut().filter(|a| a.is_waiting()) {
            // Redis: a start waiting for its first base retries the rewrite.
            aof.restart_waiting();
            self.rewrite.scheduled = true;
        }
        let rw = &mut self.rewrite;
        rw.last_ok = ok;
        if ok {
            rw.consecutive_failures = 0;
        } else {
            rw.consecutive_failures += 1;
        }
    }

    /// Stops a running rewrite (Redis's `killAppendOnlyChild`: turning the AOF off,
    /// shutdown); its temporary files are removed.
    pub fn kill_rewrite(&mut self) {
        let Some(pid) = self.rewrite.child.as_ref().map(|c| c.pid) else {
            return;
        };
        warn!("Killing running AOF rewrite child: {pid}");
        let mut status = 0;
        // SAFETY: signals and waits for our own child only.
        unsafe {
            libc::kill(pid, libc::SIGUSR1);
            libc::waitpid(pid, &mut status, 0);
        }
        self.rewrite_done(Some(status));
    }
}

/// Removes what a rewrite child `pid` may have left at `temp` (after a success it
/// was renamed away).
fn remove_temps(temp: &Path, pid: libc::pid_t) {
    if std::fs::remove_file(temp).is_ok() {
        info!("Removed the temporary rewrite file of child {pid}");
    }
}

/// Installs a base written with the AOF off: it becomes the manifest's only file
/// (earlier incremental files are dropped, as Redis marks them history).
fn install_detached(
    dir: &Path,
    filename: &str,
    manifest_name: &str,
    temp: &Path,
) -> io::Result<()> {
    let old = match std::fs::read_to_string(dir.join(manifest_name)) {
        Ok(text) => Manifest::parse(&text).unwrap_or_default(),
        Err(_) => Manifest::default(),
    };
    // No AOF is on to hand its timings to the latency monitor.
    let mut timings = super::AofTimings::default();
    switch_base(
        dir,
        filename,
        manifest_name,
        &old,
        Vec::new(),
        temp,
        &mut timings,
    )
    .map(|_| ())
}
