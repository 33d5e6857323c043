//! Snapshots (Redis's RDB persistence): SAVE writes the dataset to
//! `dir/dbfilename`, BGSAVE does it in a forked child while the server keeps
//! serving, the cron starts saves at the configured save points and reaps the
//! child, and startup loads the file.
//!
//! Two file formats: rudis's own [`format`] (the default; keeps nested documents)
//! and Redis's RDB ([`rdb`]). `snapshot-format` picks what a save writes (in an
//! RDB file a document becomes its RESP bytes in a string, logged once per save);
//! a load follows the file's magic, so a Redis user's `dump.rdb` loads as it is.
//!
//! A save writes `temp-<pid>.rdb` in the same directory, fsyncs it, renames it over
//! the target and fsyncs the directory: a crash mid-save or a failed save (full disk,
//! permission denied, I/O error) never destroys the previous snapshot. A failed
//! background save is logged with its reason (the child sends it up a pipe), shown
//! in INFO, and, with `stop-writes-on-bgsave-error` and save points configured,
//! makes the server refuse writes ([`Persistence::deny_writes`], Redis's
//! `writeCommandsDeniedByDiskError`) until a save succeeds. Uses `store` and
//! `config`; knows nothing of commands or sockets.

pub mod aof;
pub mod format;
pub mod rdb;
pub mod repl_info;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use log::{info, warn};

use crate::config::{Config, SnapshotFormat};
use crate::store::{self, Store};
pub use format::{LoadError, LoadStats};
pub use rdb::WriteStats;
pub use repl_info::ReplInfo;

/// Seconds after a failed background save before a save point may try again
/// (Redis's `CONFIG_BGSAVE_RETRY_DELAY`): a full disk is not hammered every tick.
pub const BGSAVE_RETRY_DELAY: i64 = 5;
/// Buffer of the snapshot writer and reader: few syscalls, little memory.
const IO_BUFFER: usize = 64 * 1024;
/// Longest failure reason a background save child sends up (one log line).
const REASON_MAX: usize = 1024;

/// Redis's reply to a write refused because the last background save failed
/// (`shared.bgsaveerr` in Redis 7.0's server.c, without the leading `-`).
pub const BGSAVE_ERROR: &str = "MISCONF Redis is configured to save RDB snapshots, but it's \
currently unable to persist to disk. Commands that may modify the data set are disabled, \
because this instance is configured to report errors during writes if RDB snapshotting fails \
(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB \
error.";

/// A background save in progress.
#[derive(Debug)]
struct Child {
    pid: libc::pid_t,
    /// Unix seconds at the fork.
    started: i64,
    /// The store's write counter at the fork: what the snapshot covers.
    dirty_at_fork: u64,
    /// Read end of the pipe on which a failing child writes why it failed.
    reason: Option<OwnedFd>,
}

/// Persistence state and counters (INFO persistence, LASTSAVE).
#[derive(Debug)]
pub struct Persistence {
    child: Option<Child>,
    /// The store's write counter when the last successful snapshot was taken.
    dirty_at_save: u64,
    /// Unix seconds of the last successful save (startup time before any).
    pub lastsave: i64,
    /// Whether the last background save succeeded (INFO `rdb_last_bgsave_status`).
    /// Set through [`Persistence::set_bgsave_status`], which keeps `deny_writes`.
    last_bgsave_ok: bool,
    /// Write commands are refused with `-MISCONF` (Redis's
    /// `writeCommandsDeniedByDiskError`): the last background save failed, save
    /// points are configured and `stop-writes-on-bgsave-error` is on
    /// ([`BGSAVE_ERROR`]), or the last AOF write failed ([`Persistence::aof_error`]).
    /// Cached so that dispatch tests one flag; recomputed whenever one of those changes.
    pub deny_writes: bool,
    /// Unix seconds of the last background save attempt.
    last_bgsave_try: i64,
    /// Seconds the last background save took (-1 before any).
    pub last_bgsave_secs: i64,
    /// SAVE and BGSAVE runs (INFO `rdb_saves`).
    pub saves: u64,
    /// BGSAVE SCHEDULE (or BGSAVE inside MULTI) asked for a save the cron starts.
    pub scheduled: bool,
    /// What the last load found.
    pub last_load: LoadStats,
    /// The append-only file, while `appendonly` is on.
    pub aof: Option<aof::Aof>,
    /// AOF rewrite state and counters.
    pub rewrite: aof::rewrite::Rewriter,
}

/// Whether SHUTDOWN saves (Redis's SHUTDOWN flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownSave {
    /// Save when save points are configured.
    Default,
    /// SHUTDOWN SAVE: always save.
    Save,
    /// SHUTDOWN NOSAVE: never save.
    NoSave,
}

fn unix_secs() -> i64 {
    store::now_ms() / 1000
}

/// `dir/dbfilename`.
pub fn snapshot_path(config: &Config) -> PathBuf {
    config.dir.join(&config.dbfilename)
}

/// Path of the temporary file process `pid` saves into (Redis's `temp-<pid>.rdb`).
fn temp_path(dir: &Path, pid: u32) -> PathBuf {
    dir.join(format!("temp-{pid}.rdb"))
}

/// The system's text for `e` (`No space left on device`), as Redis's `strerror`,
/// without Rust's ` (os error N)` suffix.
pub(crate) fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Redis's log line for a save that failed at step `op`.
fn failed(op: &'static str) -> impl Fn(io::Error) -> io::Error {
    move |e| {
        let text = format!("Write error saving DB on disk({op}): {}", strerror(&e));
        io::Error::new(e.kind(), text)
    }
}

/// The warning for a save that wrote `docs` documents as strings (none: `None`).
fn docs_warning(docs: u64) -> Option<String> {
    (docs > 0).then(|| {
        format!(
            "{docs} document value(s) written to the RDB snapshot as strings (their RESP \
             bytes): the Redis RDB format has no document type; set snapshot-format to \
             rudis to keep them"
        )
    })
}

/// Writes a snapshot of `store` to `path` in `fmt` (with the replication position
/// `repl` when given) through a temporary file in the
/// same directory (fsync, rename, fsync of the directory); returns what was
/// written (keys, and documents turned into strings by the RDB format). On
/// failure the temporary file is removed, the previous snapshot is untouched, and
/// the error's text is Redis's log line for it (`Write error saving DB on
/// disk(fsync): No space left on device`). `key_delay_us` (the `rdb-key-save-delay`
/// debug knob) makes the save take that many microseconds per key.
/// Never logs: it also runs in a forked child, where another thread of the parent
/// may have held the logger's lock.
pub fn write_snapshot(
    store: &Store,
    path: &Path,
    fmt: SnapshotFormat,
    key_delay_us: u64,
    repl: Option<&ReplInfo>,
) -> io::Result<WriteStats> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = temp_path(dir, std::process::id());
    let temp_name = temp.file_name().unwrap_or_default().to_string_lossy();
    if key_delay_us > 0 {
        let keys: usize = store.dbs().iter().map(|db| db.len()).sum();
        std::thread::sleep(Duration::from_micros(
            key_delay_us.saturating_mul(keys as u64),
        ));
    }
    let file = File::create(&temp).map_err(|e| {
        let text = format!(
            "Failed opening the temp RDB file {temp_name} (in server root dir {}) for saving: {}",
            dir.display(),
            strerror(&e)
        );
        io::Error::new(e.kind(), text)
    })?;
    let result = (|| -> io::Result<WriteStats> {
        let out = BufWriter::with_capacity(IO_BUFFER, file);
        let now = store::now_ms();
        let (out, stats) = match fmt {
            SnapshotFormat::Rudis => format::write_store(store, out, now, repl)
                .map(|(out, keys)| (out, WriteStats { keys, docs: 0 })),
            SnapshotFormat::Redis => rdb::write_store(store, out, now, repl),
        }
        .map_err(failed("write"))?;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .map_err(failed("flush"))?;
        file.sync_all().map_err(failed("fsync"))?;
        drop(file);
        std::fs::rename(&temp, path).map_err(|e| {
            let text = format!(
                "Error moving temp DB file {temp_name} on the final destination {} (in server \
                 root dir {}): {}",
                path.file_name().unwrap_or_default().to_string_lossy(),
                dir.display(),
                strerror(&e)
            );
            io::Error::new(e.kind(), text)
        })?;
        Ok(stats)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    let stats = result?;
    // Renamed: the new snapshot is in place; make the rename itself durable.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed("fsyncFileDir"))?;
    Ok(stats)
}

/// In a forked child: closes every file descriptor it inherited but stdin, stdout,
/// stderr and `keep` (which becomes descriptor 3, returned), so that the listening
/// socket and the clients' sockets die with the parent, not with the child (a
/// restarted server can bind its port at once, and clients see the parent go).
/// Async-signal-safe when `close_range` exists (Linux 5.9); else lists
/// `/proc/self/fd`.
pub fn close_inherited_fds(keep: libc::c_int) -> libc::c_int {
    close_inherited_fds_but([keep])[0]
}

/// [`close_inherited_fds`] keeping several descriptors: `keep[i]` becomes
/// descriptor `3 + i` (returned). When they cannot be moved (no descriptor free),
/// nothing is closed and `keep` is returned as it is.
pub fn close_inherited_fds_but<const N: usize>(keep: [libc::c_int; N]) -> [libc::c_int; N] {
    const FIRST: libc::c_int = 3;
    let after = FIRST + N as libc::c_int;
    let mut kept = keep;
    // SAFETY: plain descriptor syscalls on this process's own table. Each kept
    // descriptor is first copied above the target range, so that moving one onto
    // `3 + i` never closes another still to be moved; the copies are then closed
    // with everything else above the range.
    unsafe {
        let mut high = [0; N];
        for (h, &fd) in high.iter_mut().zip(&keep) {
            *h = libc::fcntl(fd, libc::F_DUPFD, after);
            if *h == -1 {
                return keep;
            }
        }
        for (i, &h) in high.iter().enumerate() {
            let target = FIRST + i as libc::c_int;
            if libc::dup2(h, target) == -1 {
                return high;
            }
            kept[i] = target;
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if libc::syscall(libc::SYS_close_range, after, libc::c_uint::MAX, 0) == 0 {
            return kept;
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            let fds: Vec<libc::c_int> = dir
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect();
            for fd in fds.into_iter().filter(|&fd| fd >= after) {
                libc::close(fd);
            }
        }
    }
    kept
}

/// A pipe whose ends close on exec: (read, write).
pub(crate) fn reason_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both were just opened and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Writes `text` (at most [`REASON_MAX`] bytes) on descriptor `fd`.
fn send_line(fd: libc::c_int, text: &str) {
    let bytes = &text.as_bytes()[..text.len().min(REASON_MAX)];
    // SAFETY: writes our own buffer to our own pipe; a short or failed write only
    // loses the line (the exit code still carries the errno).
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

/// The background save child: writes the snapshot and exits 0 (having written on
/// `reason`, a descriptor, the warning about documents turned into strings, if
/// any), or writes why it failed on `reason` and exits with the errno (1 if none).
fn child_main(
    store: &Store,
    path: &Path,
    fmt: SnapshotFormat,
    key_delay_us: u64,
    repl: Option<ReplInfo>,
    reason: libc::c_int,
) -> ! {
    let reason = close_inherited_fds(reason);
    let code = match write_snapshot(store, path, fmt, key_delay_us, repl.as_ref()) {
        Ok(stats) => {
            if let Some(text) = docs_warning(stats.docs) {
                send_line(reason, &text);
            }
            0
        }
        Err(e) => {
            send_line(reason, &e.to_string());
            e.raw_os_error()
                .filter(|&n| (1..=255).contains(&n))
                .unwrap_or(1)
        }
    };
    // SAFETY: ends the child without unwinding or running atexit hooks.
    unsafe { libc::_exit(code) }
}

/// Reads up to `buf.len()` bytes from the start of `file`, then rewinds it;
/// returns how many were read (fewer only at the end of the file).
fn peek(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.rewind()?;
    Ok(filled)
}

/// Loads the snapshot at `path` into `store` (keys already present are replaced
/// when `merge`, else a repeated key is corruption). The file's first bytes decide
/// the reader: Redis's RDB (`REDIS0011`) or rudis's own format (`RUDISNAP`); returns
/// which one it was, and what the load found.
/// # Errors
/// A missing or unreadable file ([`LoadError::Io`]), a file in neither format, or
/// a bad one.
pub fn read_snapshot(
    store: &mut Store,
    path: &Path,
    config: &Config,
    merge: bool,
) -> Result<(SnapshotFormat, LoadStats), LoadError> {
    read_snapshot_with_progress(store, path, config, merge, &mut |_, _| {})
}

/// A reader that reports how far it got: `progress(bytes read, file length)` on
/// every read (the loader pumps the event loop from it, as Redis's
/// `rdbLoadProgressCallback`).
struct Progress<'a, R> {
    inner: R,
    read: u64,
    len: u64,
    progress: &'a mut dyn FnMut(u64, u64),
}

impl<R: Read> Read for Progress<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress)(self.read, self.len);
        Ok(n)
    }
}

/// [`read_snapshot`], calling `progress(bytes read, file length)` as it reads.
/// # Errors
/// As [`read_snapshot`].
pub fn read_snapshot_with_progress(
    store: &mut Store,
    path: &Path,
    config: &Config,
    merge: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(SnapshotFormat, LoadStats), LoadError> {
    let mut file = File::open(path).map_err(LoadError::Io)?;
    let len = file.metadata().map_err(LoadError::Io)?.len();
    let mut head = [0u8; 9];
    let head_len = peek(&mut file, &mut head).map_err(LoadError::Io)?;
    let head = &head[..head_len];
    let input = Progress {
        inner: BufReader::with_capacity(IO_BUFFER, file),
        read: 0,
        len,
        progress,
    };
    // A replica keeps keys its clock says expired: its master's DELs remove them
    // (Redis's rdbLoad drops expired keys only on a master).
    let now = match store.expiring() {
        store::Expiring::Delete => store::now_ms(),
        store::Expiring::Replica | store::Expiring::Ignore => i64::MIN,
    };
    let options = format::LoadOptions {
        limits: config.encodings,
        now,
        merge,
        key_delay_us: config.key_load_delay_us,
    };
    if rdb::is_rdb(head) {
        rdb::read_store(input, store, &options).map(|stats| (SnapshotFormat::Redis, stats))
    } else if head.starts_with(&format::MAGIC) {
        format::read_store(input, len, store, &options).map(|stats| (SnapshotFormat::Rudis, stats))
    } else {
        Err(LoadError::Corrupt {
            offset: 0,
            reason: "neither a Redis RDB file (REDIS00NN) nor a rudis snapshot (RUDISNAP)"
                .to_string(),
        })
    }
}

/// A load error as one log line, without Rust's ` (os error N)` suffix.
pub fn load_error_text(e: &LoadError) -> String {
    match e {
        LoadError::Io(e) => format!("read error: {}", strerror(e)),
        corrupt => corrupt.to_string(),
    }
}

/// How a log line names a snapshot format.
pub fn format_label(fmt: SnapshotFormat) -> &'static str {
    match fmt {
        SnapshotFormat::Rudis => "rudis snapshot format",
        SnapshotFormat::Redis => "Redis RDB format",
    }
}

impl Persistence {
    /// State for a server starting now.
    pub fn new() -> Persistence {
        Persistence {
            child: None,
            dirty_at_save: 0,
            lastsave: unix_secs(),
            last_bgsave_ok: true,
            deny_writes: false,
            last_bgsave_try: 0,
            last_bgsave_secs: -1,
            saves: 0,
            scheduled: false,
            last_load: LoadStats::default(),
            aof: None,
            rewrite: aof::rewrite::Rewriter::default(),
        }
    }

    /// Writes since the last successful save (INFO `rdb_changes_since_last_save`).
    pub fn changes_since_save(&self, store: &Store) -> u64 {
        store.dirty().saturating_sub(self.dirty_at_save)
    }

    /// True while a background save runs.
    pub fn in_progress(&self) -> bool {
        self.child.is_some()
    }

    /// Whether the last background save succeeded (INFO `rdb_last_bgsave_status`).
    pub fn last_bgsave_ok(&self) -> bool {
        self.last_bgsave_ok
    }

    /// Records how the last background save went and recomputes `deny_writes`.
    pub fn set_bgsave_status(&mut self, ok: bool, config: &Config) {
        self.last_bgsave_ok = ok;
        self.sync_write_denial(config);
    }

    /// Recomputes `deny_writes` after the configuration changed (CONFIG SET of
    /// `save` or `stop-writes-on-bgsave-error`).
    pub fn sync_write_denial(&mut self, config: &Config) {
        self.deny_writes = self.bgsave_denies_writes(config) || self.aof_write_error().is_some();
    }

    /// True when a failed background save refuses writes (the first of Redis's two
    /// disk-error reasons).
    pub fn bgsave_denies_writes(&self, config: &Config) -> bool {
        !self.last_bgsave_ok && config.stop_writes_on_bgsave_error && !config.save.is_empty()
    }

    /// Why the AOF's last write failed, while it keeps failing.
    pub fn aof_write_error(&self) -> Option<&str> {
        self.aof.as_ref().and_then(|a| a.write_error.as_deref())
    }

    /// The `-MISCONF` reply for writes refused because the AOF cannot be written.
    pub fn aof_error(&self) -> Option<String> {
        self.aof_write_error()
            .map(|e| format!("MISCONF Errors writing to the AOF file: {e}"))
    }

    /// The reply to a write refused while [`Persistence::deny_writes`]: the failed
    /// background save's text first, as Redis checks it first, else the AOF's.
    pub fn write_denial(&self, config: &Config) -> String {
        match self.aof_error() {
            Some(aof) if !self.bgsave_denies_writes(config) => aof,
            _ => BGSAVE_ERROR.to_string(),
        }
    }

    /// Seconds the running background save has taken so far (-1 when none).
    pub fn current_bgsave_secs(&self) -> i64 {
        self.child.as_ref().map_or(-1, |c| unix_secs() - c.started)
    }

    /// Counts the dataset as saved as of now (a good save also ends a refusal of
    /// writes, as Redis's `rdbSave` resets `lastbgsave_status`).
    pub fn mark_saved(&mut self, store: &Store) {
        self.dirty_at_save = store.dirty();
        self.lastsave = unix_secs();
        self.last_bgsave_ok = true;
        self.deny_writes = self.aof_write_error().is_some();
    }

    /// Loads `dir/dbfilename` at startup if it exists, logging what it found.
    /// # Errors
    /// Redis-style text for a file that cannot be read or is not a valid snapshot:
    /// the server must not start.
    pub fn load_at_startup(
        &mut self,
        store: &mut Store,
        config: &Config,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), String> {
        let path = snapshot_path(config);
        if !path.exists() {
            return Ok(());
        }
        let start = Instant::now();
        info!("Loading the snapshot {}", path.display());
        let (fmt, stats) = read_snapshot_with_progress(store, &path, config, false, progress)
            .map_err(|e| {
                format!(
                    "Bad snapshot file {} (dir '{}', dbfilename '{}'): {}. Unrecoverable error, aborting now.",
                    path.display(),
                    config.dir.display(),
                    config.dbfilename,
                    load_error_text(&e)
                )
            })?;
        info!(
            "Done loading RDB ({}) from {}, keys loaded: {}, keys expired: {}.",
            format_label(fmt),
            path.display(),
            stats.loaded,
            stats.expired
        );
        info!(
            "DB loaded from disk: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
        self.last_load = stats;
        self.dirty_at_save = store.dirty();
        Ok(())
    }

    /// A synchronous save (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD), with the
    /// replication position `repl` (Redis's `rdbPopulateSaveInfo`) when given.
    /// # Errors
    /// The I/O error (already logged).
    pub fn save(
        &mut self,
        store: &Store,
        config: &Config,
        repl: Option<ReplInfo>,
    ) -> io::Result<()> {
        let path = snapshot_path(config);
        let fmt = config.snapshot_format;
        let delay = config.rdb_key_save_delay_us;
        match write_snapshot(store, &path, fmt, delay, repl.as_ref()) {
            Ok(stats) => {
                if let Some(text) = docs_warning(stats.docs) {
                    warn!("{text}");
                }
                info!("DB saved on disk");
                self.mark_saved(store);
                Ok(())
            }
            Err(e) => {
                warn!("{e}");
                Err(e)
            }
        }
    }

    /// Starts a background save in a forked child (Redis's `rdbSaveBackground`), with
    /// the replication position `repl` when given.
    /// # Errors
    /// A save already runs, or fork failed (logged).
    pub fn bgsave(
        &mut self,
        store: &Store,
        config: &Config,
        repl: Option<ReplInfo>,
    ) -> io::Result<()> {
        if self.child.is_some() {
            return Err(io::Error::other("Background save already in progress"));
        }
        if self.rewrite.in_progress() {
            return Err(io::Error::other("Another child process is active (AOF?)"));
        }
        self.saves += 1;
        self.last_bgsave_try = unix_secs();
        let path = snapshot_path(config);
        let delay = config.rdb_key_save_delay_us;
        let fmt = config.snapshot_format;
        let (reason_rx, reason_tx) = match reason_pipe() {
            Ok(pair) => pair,
            Err(e) => {
                self.set_bgsave_status(false, config);
                warn!("Can't save in background: pipe: {}", strerror(&e));
                return Err(e);
            }
        };
        let fork_start = std::time::Instant::now();
        // SAFETY: the child first closes every inherited descriptor but the pipe,
        // then only writes the snapshot from its copy of the memory (allocation is
        // fork-safe in glibc; nothing logs or takes a lock another thread could
        // hold) and leaves with `_exit`, running no destructor.
        let pid = unsafe { libc::fork() };
        if pid > 0 {
            crate::runtime::observe::note_fork(fork_start.elapsed());
        }
        match pid {
            0 => child_main(store, &path, fmt, delay, repl, reason_tx.as_raw_fd()),
            -1 => {
                let e = io::Error::last_os_error();
                self.set_bgsave_status(false, config);
                warn!("Can't save in background: fork: {}", strerror(&e));
                Err(e)
            }
            pid => {
                drop(reason_tx);
                info!("Background saving started by pid {pid}");
                self.child = Some(Child {
                    pid,
                    started: unix_secs(),
                    dirty_at_fork: store.dirty(),
                    reason: Some(reason_rx),
                });
                Ok(())
            }
        }
    }

    /// Periodic work (part of Redis's serverCron): reaps a finished child, else
    /// starts a background save when a save point is reached or one was scheduled
    /// (with the replication position `repl`).
    pub fn cron(&mut self, store: &Store, config: &Config, repl: Option<ReplInfo>) {
        if let Some(pid) = self.child.as_ref().map(|c| c.pid) {
            let mut status = 0;
            // SAFETY: waits for our own child only, without blocking.
            let reaped = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            match reaped {
                0 => {}
                -1 => {
                    warn!(
                        "Lost the background saving child: {}",
                        io::Error::last_os_error()
                    );
                    self.child = None;
                    self.set_bgsave_status(false, config);
                }
                _ => self.child_done(status, config),
            }
            return;
        }
        if self.rewrite.in_progress() {
            return;
        }
        let now = unix_secs();
        let may_retry = self.last_bgsave_ok || now - self.last_bgsave_try > BGSAVE_RETRY_DELAY;
        let changes = self.changes_since_save(store);
        let due = config
            .save
            .iter()
            .find(|p| changes >= p.changes && now - self.lastsave > p.seconds as i64 && may_retry);
        if let Some(point) = due {
            info!(
                "{} changes in {} seconds. Saving...",
                point.changes, point.seconds
            );
            let _ = self.bgsave(store, config, repl);
        }
        if self.child.is_none()
            && self.scheduled
            && may_retry
            && self.bgsave(store, config, repl).is_ok()
        {
            self.scheduled = false;
        }
    }

    /// Records how the child ended (Redis's `backgroundSaveDoneHandlerDisk`); a
    /// failure is logged with the reason the child sent.
    fn child_done(&mut self, status: libc::c_int, config: &Config) {
        let Some(child) = self.child.take() else {
            return;
        };
        let now = unix_secs();
        self.last_bgsave_secs = now - child.started;
        let reason = child.reason.map(File::from).and_then(|f| {
            let mut text = String::new();
            f.take(REASON_MAX as u64).read_to_string(&mut text).ok()?;
            Some(text)
        });
        let reason = reason.filter(|t| !t.is_empty());
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            // A successful child writes only the warning about documents, if any.
            if let Some(text) = reason {
                warn!("{text}");
            }
            info!("Background saving terminated with success");
            self.dirty_at_save = child.dirty_at_fork;
            self.lastsave = now;
            self.set_bgsave_status(true, config);
        } else if libc::WIFEXITED(status) {
            let code = libc::WEXITSTATUS(status);
            let reason = reason.unwrap_or_else(|| strerror(&io::Error::from_raw_os_error(code)));
            // The child's own line (Redis's child logs it), then the parent's.
            warn!("{reason}");
            warn!("Background saving error");
            self.set_bgsave_status(false, config);
        } else {
            let signal = libc::WTERMSIG(status);
            warn!("Background saving terminated by signal {signal}");
            let _ = std::fs::remove_file(temp_path(&config.dir, child.pid as u32));
            // SIGUSR1 is how we stop a child on purpose: not a failure.
            if signal != libc::SIGUSR1 {
                self.set_bgsave_status(false, config);
            }
        }
    }

    /// Stops a running background save and removes its temporary file (Redis's
    /// `killRDBChild`, before FLUSHALL or SHUTDOWN save).
    pub fn kill_child(&mut self, config: &Config) {
        let Some(pid) = self.child.as_ref().map(|c| c.pid) else {
            return;
        };
        warn!("There is a child saving an .rdb. Killing it!");
        let mut status = 0;
        // SAFETY: signals and waits for our own child only.
        unsafe {
            libc::kill(pid, libc::SIGUSR1);
            libc::waitpid(pid, &mut status, 0);
        }
        self.child_done(status, config);
    }

    /// The save before exiting (Redis's `finishShutdown`): kills a running child,
    /// then saves as `mode` says (`Default`: when save points are configured), with
    /// the replication position `repl`.
    /// # Errors
    /// The save failed and `force` is not set: the server must keep running.
    pub fn shutdown(
        &mut self,
        store: &Store,
        config: &Config,
        mode: ShutdownSave,
        force: bool,
        repl: Option<ReplInfo>,
    ) -> io::Result<()> {
        self.kill_child(config);
        self.kill_rewrite();
        let save = match mode {
            ShutdownSave::Default => !config.save.is_empty(),
            ShutdownSave::Save => true,
            ShutdownSave::NoSave => false,
        };
        if !save {
            return Ok(());
        }
        info!("Saving the final RDB snapshot before exiting.");
        match self.save(store, config, repl) {
            Ok(()) => Ok(()),
            Err(_) if force => {
                warn!("Error trying to save the DB. Exit anyway.");
                Ok(())
            }
            Err(e) => {
                warn!("Error trying to save the DB, can't exit.");
                Err(e)
            }
        }
    }

    /// After FLUSHALL (Redis's `flushAllDataAndResetRDB`): a running background save
    /// is stopped, and with save points configured the empty dataset is saved at once
    /// (with the replication position `repl`).
    pub fn after_flushall(&mut self, store: &Store, config: &Config, repl: Option<ReplInfo>) {
        self.kill_child(config);
        if !config.save.is_empty() {
            let _ = self.save(store, config, repl);
        }
    }
}

impl Default for Persistence {
    fn default() -> Persistence {
        Persistence::new()
    }
}
