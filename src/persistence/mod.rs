//! Snapshots (Redis's RDB persistence, in rudis's own [`format`]): SAVE writes the
//! dataset to `dir/dbfilename`, BGSAVE does it in a forked child while the server
//! keeps serving, the cron starts saves at the configured save points and reaps the
//! child, and startup loads the file.
//!
//! A save writes `temp-<pid>.rdb` in the same directory, fsyncs it, renames it over
//! the target and fsyncs the directory: a crash mid-save never destroys the previous
//! snapshot. Uses `store` and `config`; knows nothing of commands or sockets.

pub mod aof;
pub mod format;

use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use log::{info, warn};

use crate::config::Config;
use crate::store::{self, Store};
pub use format::{LoadError, LoadStats};

/// Seconds after a failed background save before a save point may try again
/// (Redis's `CONFIG_BGSAVE_RETRY_DELAY`): a full disk is not hammered every tick.
pub const BGSAVE_RETRY_DELAY: i64 = 5;
/// Buffer of the snapshot writer and reader: few syscalls, little memory.
const IO_BUFFER: usize = 64 * 1024;

/// A background save in progress.
#[derive(Debug, Clone, Copy)]
struct Child {
    pid: libc::pid_t,
    /// Unix seconds at the fork.
    started: i64,
    /// The store's write counter at the fork: what the snapshot covers.
    dirty_at_fork: u64,
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
    pub last_bgsave_ok: bool,
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

/// Writes a snapshot of `store` to `path` through a temporary file in the same
/// directory (fsync, rename, fsync of the directory); returns the keys written.
/// Never logs: it also runs in a forked child, where another thread of the parent
/// may have held the logger's lock.
pub fn write_snapshot(store: &Store, path: &Path) -> io::Result<u64> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = temp_path(dir, std::process::id());
    let result = (|| {
        let file = File::create(&temp)?;
        let out = BufWriter::with_capacity(IO_BUFFER, file);
        let (out, keys) = format::write_store(store, out, store::now_ms())?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        File::open(dir)?.sync_all()?;
        Ok(keys)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Loads the snapshot at `path` into `store` (keys already present are replaced
/// when `merge`, else a repeated key is corruption).
/// # Errors
/// A missing or unreadable file ([`LoadError::Io`]) or a bad one.
pub fn read_snapshot(
    store: &mut Store,
    path: &Path,
    config: &Config,
    merge: bool,
) -> Result<LoadStats, LoadError> {
    let file = File::open(path).map_err(LoadError::Io)?;
    let len = file.metadata().map_err(LoadError::Io)?.len();
    let input = BufReader::with_capacity(IO_BUFFER, file);
    let options = format::LoadOptions {
        limits: config.encodings,
        now: store::now_ms(),
        merge,
    };
    format::read_store(input, len, store, &options)
}

impl Persistence {
    /// State for a server starting now.
    pub fn new() -> Persistence {
        Persistence {
            child: None,
            dirty_at_save: 0,
            lastsave: unix_secs(),
            last_bgsave_ok: true,
            last_bgsave_try: 0,
            last_bgsave_secs: -1,
            saves: 0,
            scheduled: false,
            last_load: LoadStats::default(),
            aof: None,
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

    /// Seconds the running background save has taken so far (-1 when none).
    pub fn current_bgsave_secs(&self) -> i64 {
        self.child.map_or(-1, |c| unix_secs() - c.started)
    }

    /// Counts the dataset as saved as of now.
    pub fn mark_saved(&mut self, store: &Store) {
        self.dirty_at_save = store.dirty();
        self.lastsave = unix_secs();
        self.last_bgsave_ok = true;
    }

    /// Loads `dir/dbfilename` at startup if it exists, logging what it found.
    /// # Errors
    /// Redis-style text for a file that cannot be read or is not a valid snapshot:
    /// the server must not start.
    pub fn load_at_startup(&mut self, store: &mut Store, config: &Config) -> Result<(), String> {
        let path = snapshot_path(config);
        if !path.exists() {
            return Ok(());
        }
        let start = Instant::now();
        let stats = read_snapshot(store, &path, config, false).map_err(|e| {
            format!(
                "Bad snapshot file {}: {e}. Unrecoverable error, aborting now.",
                path.display()
            )
        })?;
        info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            stats.loaded, stats.expired
        );
        info!(
            "DB loaded from disk: {:.3} seconds",
            start.elapsed().as_secs_f64()
        );
        self.last_load = stats;
        self.dirty_at_save = store.dirty();
        Ok(())
    }

    /// A synchronous save (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD).
    /// # Errors
    /// The I/O error (already logged).
    pub fn save(&mut self, store: &Store, config: &Config) -> io::Result<()> {
        match write_snapshot(store, &snapshot_path(config)) {
            Ok(_) => {
                info!("DB saved on disk");
                self.mark_saved(store);
                Ok(())
            }
            Err(e) => {
                warn!("Write error saving DB on disk: {e}");
                Err(e)
            }
        }
    }

    /// Starts a background save in a forked child (Redis's `rdbSaveBackground`).
    /// # Errors
    /// A save already runs, or fork failed (logged).
    pub fn bgsave(&mut self, store: &Store, config: &Config) -> io::Result<()> {
        if self.child.is_some() {
            return Err(io::Error::other("Background save already in progress"));
        }
        self.saves += 1;
        self.last_bgsave_try = unix_secs();
        let path = snapshot_path(config);
        // SAFETY: the child only writes the snapshot from its copy of the memory
        // (allocation is fork-safe in glibc; nothing logs or takes a lock another
        // thread could hold) and leaves with `_exit`, running no destructor.
        let pid = unsafe { libc::fork() };
        match pid {
            0 => {
                let code = i32::from(write_snapshot(store, &path).is_err());
                // SAFETY: ends the child without unwinding or running atexit hooks.
                unsafe { libc::_exit(code) }
            }
            -1 => {
                let e = io::Error::last_os_error();
                self.last_bgsave_ok = false;
                warn!("Can't save in background: fork: {e}");
                Err(e)
            }
            pid => {
                info!("Background saving started by pid {pid}");
                self.child = Some(Child {
                    pid,
                    started: unix_secs(),
                    dirty_at_fork: store.dirty(),
                });
                Ok(())
            }
        }
    }

    /// Periodic work (part of Redis's serverCron): reaps a finished child, else
    /// starts a background save when a save point is reached or one was scheduled.
    pub fn cron(&mut self, store: &Store, config: &Config) {
        if let Some(child) = self.child {
            let mut status = 0;
            // SAFETY: waits for our own child only, without blocking.
            let reaped = unsafe { libc::waitpid(child.pid, &mut status, libc::WNOHANG) };
            match reaped {
                0 => {}
                -1 => {
                    warn!(
                        "Lost the background saving child: {}",
                        io::Error::last_os_error()
                    );
                    self.child = None;
                    self.last_bgsave_ok = false;
                }
                _ => self.child_done(child, status, config),
            }
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
            let _ = self.bgsave(store, config);
        }
        if self.child.is_none() && self.scheduled && may_retry && self.bgsave(store, config).is_ok()
        {
            self.scheduled = false;
        }
    }

    /// Records how the child ended (Redis's `backgroundSaveDoneHandlerDisk`).
    fn child_done(&mut self, child: Child, status: libc::c_int, config: &Config) {
        self.child = None;
        let now = unix_secs();
        self.last_bgsave_secs = now - child.started;
        if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            info!("Background saving terminated with success");
            self.dirty_at_save = child.dirty_at_fork;
            self.lastsave = now;
            self.last_bgsave_ok = true;
        } else if libc::WIFEXITED(status) {
            warn!("Background saving error");
            self.last_bgsave_ok = false;
        } else {
            let signal = libc::WTERMSIG(status);
            warn!("Background saving terminated by signal {signal}");
            let _ = std::fs::remove_file(temp_path(&config.dir, child.pid as u32));
            // SIGUSR1 is how we stop a child on purpose: not a failure.
            if signal != libc::SIGUSR1 {
                self.last_bgsave_ok = false;
            }
        }
    }

    /// Stops a running background save and removes its temporary file (Redis's
    /// `killRDBChild`, before FLUSHALL or SHUTDOWN save).
    pub fn kill_child(&mut self, config: &Config) {
        let Some(child) = self.child else {
            return;
        };
        warn!("There is a child saving an .rdb. Killing it!");
        let mut status = 0;
        // SAFETY: signals and waits for our own child only.
        unsafe {
            libc::kill(child.pid, libc::SIGUSR1);
            libc::waitpid(child.pid, &mut status, 0);
        }
        self.child_done(child, status, config);
    }

    /// The save before exiting (Redis's `finishShutdown`): kills a running child,
    /// then saves as `mode` says (`Default`: when save points are configured).
    /// # Errors
    /// The save failed and `force` is not set: the server must keep running.
    pub fn shutdown(
        &mut self,
        store: &Store,
        config: &Config,
        mode: ShutdownSave,
        force: bool,
    ) -> io::Result<()> {
        self.kill_child(config);
        let save = match mode {
            ShutdownSave::Default => !config.save.is_empty(),
            ShutdownSave::Save => true,
            ShutdownSave::NoSave => false,
        };
        if !save {
            return Ok(());
        }
        info!("Saving the final RDB snapshot before exiting.");
        match self.save(store, config) {
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
    /// is stopped, and with save points configured the empty dataset is saved at once.
    pub fn after_flushall(&mut self, store: &Store, config: &Config) {
        self.kill_child(config);
        if !config.save.is_empty() {
            let _ = self.save(store, config);
        }
    }
}

impl Default for Persistence {
    fn default() -> Persistence {
        Persistence::new()
    }
}
