//! The append-only file, in Redis 7's multi-part layout: inside `dir/appenddirname`, a
//! base file (the data set as commands, written when the AOF starts), incremental
//! files (every write since, as the propagation layer emitted it) and the manifest
//! that lists them ([`manifest`]), so that `redis-check-aof` reads rudis's directory and
//! rudis reads a Redis 7 one whose base is an AOF.
//!
//! The server hands [`Aof::feed`] the propagated stream and calls [`Aof::flush`] once
//! per event-loop turn, before the turn's replies are written (Redis's
//! `flushAppendOnlyFile` in `beforeSleep`): one `write` per turn, then per
//! `appendfsync`: `always` fsyncs there (one per turn), `everysec` hands the fsync to
//! a background thread at most once a second (and, while it still runs, postpones
//! writing for up to two seconds, Redis's "delayed fsync"), `no` leaves it to the OS.
//!
//! rudis writes its base as commands (Redis's `aof-use-rdb-preamble no`); a base in
//! Redis's RDB format (`.base.rdb`, Redis 7's default) loads with the RDB reader.

pub mod latency;
pub mod manifest;
pub mod rewrite;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use log::{info, warn};

use crate::config::{Config, Fsync};
use crate::protocol::reply::format_double;
use crate::protocol::{Parsed, ProtoLimits, Request, RequestParser};
use crate::runtime::propagate::encode;
use crate::store::list::Item;
use crate::store::{Store, Value};
pub use latency::AofTimings;
pub use manifest::Manifest;

/// Elements per command in a base file (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;
/// Seconds a write may wait for a running background fsync (Redis: 2).
const MAX_POSTPONE_SECS: i64 = 2;

/// `dir/appenddirname`.
pub fn dir_path(config: &Config) -> PathBuf {
    config.dir.join(&config.appenddirname)
}

/// The manifest's file name.
pub fn manifest_name(config: &Config) -> String {
    format!("{}.manifest", config.appendfilename)
}

/// The manifest found on disk, if the AOF directory holds one.
/// # Errors
/// An unreadable or invalid manifest.
pub fn read_manifest(config: &Config) -> Result<Option<Manifest>, String> {
    let path = dir_path(config).join(manifest_name(config));
    match std::fs::read_to_string(&path) {
        Ok(text) => Manifest::parse(&text)
            .map(Some)
            .map_err(|e| format!("{e} ({})", path.display())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "Can't read the AOF manifest {}: {e}",
            path.display()
        )),
    }
}

/// The background fsync of `everysec` (Redis's bio thread): a thread that fsyncs
/// the files handed to it, one at a time.
#[derive(Debug)]
struct Syncer {
    jobs: Option<mpsc::Sender<(File, u64, u64)>>,
    busy: Arc<AtomicBool>,
    /// Bytes of the incremental file known to be on disk.
    synced: Arc<AtomicU64>,
    /// Which incremental file `synced` counts (bumped when a rewrite switches files):
    /// an fsync of an older file does not update it.
    epoch: Arc<AtomicU64>,
}

impl Syncer {
    fn start(size: u64) -> Syncer {
        let (tx, rx) = mpsc::channel::<(File, u64, u64)>();
        let busy = Arc::new(AtomicBool::new(false));
        let synced = Arc::new(AtomicU64::new(size));
        let epoch = Arc::new(AtomicU64::new(0));
        let (b, s, ep) = (busy.clone(), synced.clone(), epoch.clone());
        let spawned = std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for (file, size, of) in rx {
                    match file.sync_data() {
                        Ok(()) if of == ep.load(Ordering::SeqCst) => {
                            s.store(size, Ordering::SeqCst);
                        }
                        Ok(()) => {}
                        Err(e) => warn!("AOF fsync failed: {e}"),
                    }
                    b.store(false, Ordering::SeqCst);
                }
            });
        let jobs = match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                warn!("could not start the AOF fsync thread: {e}");
                None
            }
        };
        Syncer {
            jobs,
            busy,
            synced,
            epoch,
        }
    }

    fn in_progress(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// Hands `file` (a duplicate descriptor) to the thread.
    fn submit(&self, file: File, size: u64) {
        let Some(jobs) = &self.jobs else {
            return;
        };
        self.busy.store(true, Ordering::SeqCst);
        let epoch = self.epoch.load(Ordering::SeqCst);
        if jobs.send((file, size, epoch)).is_err() {
            self.busy.store(false, Ordering::SeqCst);
        }
    }
}

/// The open append-only file and its counters (INFO persistence).
#[derive(Debug)]
pub struct Aof {
    dir: PathBuf,
    /// `appendfilename`: the prefix of the files' names.
    filename: String,
    manifest_name: String,
    manifest: Manifest,
    /// The incremental file being appended to.
    file: File,
    /// Not yet written: the turn's commands, or what a failed or postponed write kept.
    buf: Vec<u8>,
    /// Size of the incremental file.
    incr_size: u64,
    /// Size of the incremental file at the last fsync made in the loop (always).
    fsynced_size: u64,
    /// Size of the base file.
    pub base_size: u64,
    /// Size of the AOF after the last rewrite or load (Redis's
    /// `aof_rewrite_base_size`, INFO `aof_base_size`): automatic rewrite measures
    /// growth against it.
    pub rewrite_base_size: u64,
    /// Unix seconds of the last fsync started.
    last_fsync: i64,
    /// When a write was first postponed for a running fsync (0: none).
    postponed_since: i64,
    /// Whether the last write succeeded (INFO `aof_last_write_status`).
    pub write_ok: bool,
    /// Why the last write failed, while it keeps failing (dispatch refuses writes
    /// with it: Redis's `-MISCONF Errors writing to the AOF file`).
    pub write_error: Option<String>,
    /// Writes made without waiting for a slow fsync (INFO `aof_delayed_fsync`).
    pub delayed_fsync: u64,
    /// Turned on at run time and waiting for its first base (Redis's
    /// `AOF_WAIT_REWRITE`): writes go to a temporary incremental file that no
    /// manifest names until the background rewrite installs base and file together.
    waiting: bool,
    syncer: Syncer,
    /// System call durations for the latency monitor, taken by the server.
    pub timings: AofTimings,
}

impl Aof {
    /// Starts an AOF from the data set in `store` (startup without an AOF, or CONFIG
    /// SET appendonly yes): a base file written from it, a new incremental file, and the
    /// manifest naming both, which replaces any previous one (whose files are removed).
    /// # Errors
    /// The I/O error; nothing is switched then.
    pub fn create(config: &Config, store: &Store) -> io::Result<Aof> {
        let dir = dir_path(config);
        std::fs::create_dir_all(&dir)?;
        let old = read_manifest(config).ok().flatten().unwrap_or_default();
        let incr_seq = old.last_incr_seq() + 1;
        let incr_name = format!("{}.{incr_seq}.incr.aof", config.appendfilename);
        let temp = dir.join(format!("temp-rewriteaof-{}.aof", std::process::id()));
        let written = write_base(store, &temp, config.aof_use_rdb_preamble)
            .and_then(|_| open_append(&dir.join(&incr_name)));
        let file = match written {
            Ok(file) => file,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        };
        let incr = manifest::Entry {
            name: incr_name,
            seq: incr_seq,
            kind: 'i',
        };
        let manifest_name = manifest_name(config);
        let mut timings = AofTimings::default();
        let (manifest, base_size) = switch_base(
            &dir,
            &config.appendfilename,
            &manifest_name,
            &old,
            vec![incr],
            &temp,
            &mut timings,
        )?;
        info!(
            "Creating AOF base file {} and incr file {} in {}",
            manifest.base.as_ref().map_or("", |b| b.name.as_str()),
            manifest.incrs[0].name,
            dir.display()
        );
        let mut aof = Aof::with(config, manifest, file, 0, base_size);
        aof.timings = timings;
        Ok(aof)
    }

    /// Starts an AOF at run time (CONFIG SET appendonly yes) without writing the data
    /// set in the loop (Redis's `startAppendOnly`): writes go to a temporary
    /// incremental file from now on, and the caller starts a background rewrite,
    /// whose base [`Aof::install_base`] installs together with that file.
    /// # Errors
    /// The I/O error; nothing is switched then.
    pub fn begin_waiting(config: &Config) -> io::Result<Aof> {
        let dir = dir_path(config);
        std::fs::create_dir_all(&dir)?;
        let manifest = read_manifest(config).ok().flatten().unwrap_or_default();
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(dir.join(temp_incr_name(&config.appendfilename)))?;
        let mut aof = Aof::with(config, manifest, file, 0, 0);
        aof.waiting = true;
        Ok(aof)
    }

    /// True while a run-time start waits for its first base (INFO and shutdown).
    pub fn is_waiting(&self) -> bool {
        self.waiting
    }

    /// After a failed first rewrite: the temporary file starts over (the next
    /// rewrite's base will hold what it had).
    pub fn restart_waiting(&mut self) {
        if self.waiting && self.file.set_len(0).is_ok() {
            self.incr_size = 0;
            self.fsynced_size = 0;
            self.buf.clear();
        }
    }

    /// Removes the temporary file of a start that never got its base (turned off,
    /// or replaced at shutdown).
    pub fn discard_waiting(&self) {
        if self.waiting {
            let _ = std::fs::remove_file(self.dir.join(temp_incr_name(&self.filename)));
        }
    }

    /// Opens the AOF that `manifest` describes (after it was loaded) to append to its
    /// last incremental file (a new one when it has none).
    /// # Errors
    /// The I/O error.
    pub fn open(config: &Config, mut manifest: Manifest) -> io::Result<Aof> {
        let dir = dir_path(config);
        let manifest_name = manifest_name(config);
        if manifest.incrs.is_empty() {
            let seq = manifest.last_incr_seq() + 1;
            manifest.incrs.push(manifest::Entry {
                name: format!("{}.{seq}.incr.aof", config.appendfilename),
                seq,
                kind: 'i',
            });
            open_append(&dir.join(&manifest.incrs[0].name))?;
            manifest.persist(&dir, &manifest_name)?;
        }
        let last = manifest
            .incrs
            .last()
            .map(|e| e.name.clone())
            .unwrap_or_default();
        let file = open_append(&dir.join(&last))?;
        let size = file.metadata()?.len();
        let base_size = manifest
            .base
            .as_ref()
            .and_then(|b| std::fs::metadata(dir.join(&b.name)).ok())
            .map_or(0, |m| m.len());
        Ok(Aof::with(config, manifest, file, size, base_size))
    }

    fn with(config: &Config, manifest: Manifest, file: File, size: u64, base_size: u64) -> Aof {
        Aof {
            dir: dir_path(config),
            filename: config.appendfilename.clone(),
            manifest_name: manifest_name(config),
            manifest,
            file,
            buf: Vec::new(),
            incr_size: size,
            fsynced_size: size,
            base_size,
            rewrite_base_size: base_size + size,
            last_fsync: 0,
            postponed_since: 0,
            write_ok: true,
            write_error: None,
            delayed_fsync: 0,
            waiting: false,
            syncer: Syncer::start(size),
            timings: AofTimings::default(),
        }
    }

    /// Appends propagated commands to the buffer written by the next [`Aof::flush`].
    pub fn feed(&mut self, stream: &[u8]) {
        self.buf.extend_from_slice(stream);
    }

    /// Bytes of the AOF (base and incremental files).
    pub fn current_size(&self) -> u64 {
        self.base_size + self.incr_size
    }

    /// True while commands wait to be written.
    pub fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Whether a background fsync runs (INFO `aof_pending_bio_fsync`).
    pub fn fsync_in_progress(&self) -> bool {
        self.syncer.in_progress()
    }

    /// The manifest of the open AOF.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's path.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join(&self.manifest_name)
    }

    /// Writes the buffer and fsyncs as `policy` says (Redis's `flushAppendOnlyFile`);
    /// `now` in Unix seconds; `force` writes even while an everysec fsync runs
    /// (shutdown). Returns false when a write or fsync failed under `always`:
    /// acknowledged writes could not be made durable (the caller exits, as Redis).
    pub fn flush(&mut self, policy: Fsync, now: i64, force: bool) -> bool {
        if self.buf.is_empty() {
            match policy {
                Fsync::Everysec
                    if self.syncer.synced.load(Ordering::SeqCst) != self.incr_size
                        && now > self.last_fsync
                        && !self.syncer.in_progress() =>
                {
                    self.fsync(policy, now);
                }
                Fsync::Always if self.fsynced_size != self.incr_size => {
                    return self.fsync(policy, now);
                }
                _ => {}
            }
            return true;
        }
        if policy == Fsync::Everysec && !force && self.syncer.in_progress() {
            if self.postponed_since == 0 {
                self.postponed_since = now;
                return true;
            } else if now - self.postponed_since < MAX_POSTPONE_SECS {
                return true;
            }
            self.delayed_fsync += 1;
            info!(
                "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF \
                 buffer without waiting for fsync to complete, this may slow down rudis."
            );
        }
        self.postponed_since = 0;
        let pending_fsync = policy == Fsync::Everysec && self.syncer.in_progress();
        let start = std::time::Instant::now();
        let written = write_all_counted(&mut self.file, &self.buf);
        self.timings.note_write(start.elapsed(), pending_fsync);
        match written {
            Ok(()) => {
                if !self.write_ok {
                    warn!("AOF write error looks solved, rudis can write again.");
                    self.write_ok = true;
                    self.write_error = None;
                }
                self.incr_size += self.buf.len() as u64;
                self.buf.clear();
                if self.buf.capacity() > 1 << 20 {
                    self.buf = Vec::new();
                }
            }
            Err((written, e)) => {
                warn!("Error writing to the AOF file: {e}");
                // A partial write is cut off, so that the file ends at a whole command.
                if written > 0 && self.file.set_len(self.incr_size).is_err() {
                    self.incr_size += written as u64;
                    self.buf.drain(..written);
                }
                self.write_ok = false;
                self.write_error = Some(crate::persistence::strerror(&e));
                if policy == Fsync::Always {
                    warn!(
                        "Can't recover from AOF write error when the AOF fsync policy is \
                         'always'. Exiting..."
                    );
                    return false;
                }
                return true;
            }
        }
        self.fsync(policy, now)
    }

    /// The fsync part of [`Aof::flush`]; false when an `always` fsync failed.
    fn fsync(&mut self, policy: Fsync, now: i64) -> bool {
        match policy {
            Fsync::Always => {
                let start = std::time::Instant::now();
                let synced = self.file.sync_data();
                self.timings.note_fsync_always(start.elapsed());
                if let Err(e) = synced {
                    warn!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is \
                         'always': {e}. Exiting..."
                    );
                    return false;
                }
                self.fsynced_size = self.incr_size;
                self.last_fsync = now;
            }
            Fsync::Everysec => {
                if now > self.last_fsync && !self.syncer.in_progress() {
                    if let Ok(dup) = self.file.try_clone() {
                        self.syncer.submit(dup, self.incr_size);
                    }
                    self.last_fsync = now;
                }
            }
            Fsync::No => {}
        }
        true
    }

    /// Writes what is buffered and fsyncs, whatever the policy (shutdown, turning the
    /// AOF off).
    pub fn close(&mut self, now: i64) {
        self.flush(Fsync::No, now, true);
        if let Err(e) = self.file.sync_data() {
            warn!("fsync of the AOF failed: {e}");
        }
    }

    /// The AOF directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// At the start of a rewrite (Redis's `openNewIncrAofForAppend`): opens a new
    /// incremental file, adds it to the manifest (persisted before anything is
    /// switched) and appends to it from now on; the previous file is fsynced in the
    /// background and closed. The buffer must have been written first.
    /// # Errors
    /// The I/O error; the AOF is then unchanged.
    pub fn open_new_incr(&mut self) -> io::Result<()> {
        let seq = self.manifest.last_incr_seq() + 1;
        let name = format!("{}.{seq}.incr.aof", self.filename);
        let path = self.dir.join(&name);
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)?;
        let mut next = self.manifest.clone();
        next.incrs.push(manifest::Entry {
            name: name.clone(),
            seq,
            kind: 'i',
        });
        if let Err(e) = next.persist(&self.dir, &self.manifest_name) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        info!("Creating AOF incr file {name} on background rewrite");
        self.manifest = next;
        let old = std::mem::replace(&mut self.file, file);
        self.syncer.epoch.fetch_add(1, Ordering::SeqCst);
        self.syncer.synced.store(0, Ordering::SeqCst);
        // The old file's last writes reach the disk without stalling the loop.
        self.syncer.submit(old, 0);
        self.incr_size = 0;
        self.fsynced_size = 0;
        Ok(())
    }

    /// At the end of a successful rewrite (Redis's `backgroundRewriteDoneHandler`):
    /// renames `temp` (the new base, fsynced by the child) to the next base name and
    /// persists a manifest naming only it and the incremental file opened at the
    /// rewrite's start, then deletes the files no longer named.
    /// # Errors
    /// The I/O error; the previous manifest and files then stay in use.
    pub fn install_base(&mut self, temp: &Path) -> io::Result<()> {
        let mut incrs: Vec<manifest::Entry> =
            self.manifest.incrs.last().cloned().into_iter().collect();
        let waiting_file = self.dir.join(temp_incr_name(&self.filename));
        if self.waiting {
            // The temporary file becomes the manifest's incremental file.
            let seq = self.manifest.last_incr_seq() + 1;
            let name = format!("{}.{seq}.incr.aof", self.filename);
            let to = self.dir.join(&name);
            self.timings.rename(|| std::fs::rename(&waiting_file, to))?;
            incrs = vec![manifest::Entry {
                name,
                seq,
                kind: 'i',
            }];
        }
        let switched = switch_base(
            &self.dir,
            &self.filename,
            &self.manifest_name,
            &self.manifest,
            incrs.clone(),
            temp,
            &mut self.timings,
        );
        let (next, base_size) = match switched {
            Ok(done) => done,
            Err(e) => {
                if self.waiting {
                    let _ = std::fs::rename(self.dir.join(&incrs[0].name), &waiting_file);
                }
                return Err(e);
            }
        };
        if self.waiting {
            info!("AOF rewrite is done: the append only file is on");
            self.waiting = false;
        }
        self.manifest = next;
        self.base_size = base_size;
        self.rewrite_base_size = self.current_size();
        Ok(())
    }
}

/// Makes `temp` (a base file written and fsynced) the next base after `old`'s: renames
/// it to `<filename>.<seq>.base.rdb|aof` (by its content), persists a manifest naming
/// it and `incrs` only, then removes, off the loop, the files `old` named that the new
/// manifest does not (Redis's `bg_unlink` of history files). Returns the new manifest
/// and the base's size.
/// # Errors
/// The I/O error; `old` then stays the manifest on disk (the renamed base is removed).
pub fn switch_base(
    dir: &Path,
    filename: &str,
    manifest_name: &str,
    old: &Manifest,
    incrs: Vec<manifest::Entry>,
    temp: &Path,
    timings: &mut AofTimings,
) -> io::Result<(Manifest, u64)> {
    let seq = old.base.as_ref().map_or(0, |b| b.seq) + 1;
    let ext = if is_rdb_base(temp) { "rdb" } else { "aof" };
    let name = format!("{filename}.{seq}.base.{ext}");
    let path = dir.join(&name);
    let size = timings.fstat(|| std::fs::metadata(temp))?.len();
    timings.rename(|| std::fs::rename(temp, &path))?;
    let next = Manifest {
        base: Some(manifest::Entry {
            name,
            seq,
            kind: 'b',
        }),
        history: Vec::new(),
        incrs,
    };
    if let Err(e) = next.persist(dir, manifest_name) {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    let unnamed: Vec<PathBuf> = old
        .base
        .iter()
        .chain(&old.history)
        .chain(&old.incrs)
        .filter(|e| next.base.as_ref() != Some(*e) && !next.incrs.contains(e))
        .map(|e| dir.join(&e.name))
        .collect();
    remove_in_background(unnamed);
    Ok((next, size))
}

/// Removes `paths` on a short-lived thread: unlinking a large base file can take
/// milliseconds the loop should not wait (Redis's `bg_unlink`). Inline if no thread
/// can be started.
fn remove_in_background(paths: Vec<PathBuf>) {
    if paths.is_empty() {
        return;
    }
    for p in &paths {
        info!(
            "Removing the history file {} in the background",
            p.display()
        );
    }
    let remove = |paths: Vec<PathBuf>| {
        for p in paths {
            let _ = std::fs::remove_file(p);
        }
    };
    let spare = paths.clone();
    if std::thread::Builder::new()
        .name("aof-unlink".into())
        .spawn(move || remove(paths))
        .is_err()
    {
        remove(spare);
    }
}

/// The temporary incremental file of a run-time start (Redis's `temp-<name>.incr`).
fn temp_incr_name(filename: &str) -> String {
    format!("temp-{filename}.incr")
}

/// Writes all of `buf`; on failure, how much was written and the error.
fn write_all_counted(file: &mut File, mut buf: &[u8]) -> Result<(), (usize, io::Error)> {
    let total = buf.len();
    while !buf.is_empty() {
        match file.write(buf) {
            Ok(0) => {
                return Err((total - buf.len(), io::Error::from(io::ErrorKind::WriteZero)));
            }
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((total - buf.len(), e)),
        }
    }
    Ok(())
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Writes the data set as a new base file at `temp` and fsyncs it; returns its size.
/// With `rdb_preamble` (`aof-use-rdb-preamble yes`) it is Redis's RDB, unless the data
/// set holds nested documents, which RDB cannot carry: then, as with `no`, the
/// commands that rebuild it (Redis's `rewriteAppendOnlyFileRio`).
/// # Errors
/// The I/O error; `temp` may then hold part of the file.
pub fn write_base(store: &Store, temp: &Path, rdb_preamble: bool) -> io::Result<u64> {
    let file = File::create(temp)?;
    let mut out = BufWriter::with_capacity(64 * 1024, file);
    let now = crate::store::now_ms();
    if rdb_preamble && !holds_documents(store) {
        let (w, _) = crate::persistence::rdb::write_store(store, out, now, None)?;
        out = w;
    } else {
        write_commands(store, &mut out, now)?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// Whether any database holds a nested document (an RDB base would flatten it).
fn holds_documents(store: &Store) -> bool {
    store
        .dbs()
        .iter()
        .any(|db| db.iter().any(|(_, v, _)| matches!(v, Value::Doc(_))))
}

/// Writes every live key of `store` as the commands that rebuild it.
fn write_commands(store: &Store, out: &mut impl Write, now: i64) -> io::Result<()> {
    let mut cmd = Vec::new();
    let mut digits = itoa::Buffer::new();
    // Function libraries first, as Redis's rewriteFunctions.
    for (_, code) in store.functions.iter() {
        cmd.clear();
        encode(&mut cmd, [&b"FUNCTION"[..], b"LOAD", code].into_iter());
        out.write_all(&cmd)?;
    }
    for (index, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        cmd.clear();
        let index = digits.format(index).as_bytes().to_vec();
        encode(&mut cmd, [&b"SELECT"[..], &index].into_iter());
        out.write_all(&cmd)?;
        for (key, value, expire_at) in db.iter() {
            if expire_at != 0 && expire_at <= now {
                continue;
            }
            cmd.clear();
            value_commands(&mut cmd, key, value);
            if expire_at != 0 {
                let at = digits.format(expire_at).as_bytes().to_vec();
                encode(&mut cmd, [&b"PEXPIREAT"[..], key, &at].into_iter());
            }
            out.write_all(&cmd)?;
        }
    }
    Ok(())
}

/// Appends `name key items...` commands of at most [`ITEMS_PER_CMD`] elements (of
/// `per` arguments each).
fn batches(out: &mut Vec<u8>, name: &[u8], key: &[u8], items: &[Vec<u8>], per: usize) {
    for chunk in items.chunks(ITEMS_PER_CMD * per) {
        let argv: Vec<&[u8]> = [name, key]
            .into_iter()
            .chain(chunk.iter().map(Vec::as_slice))
            .collect();
        encode(out, argv.into_iter());
    }
}

/// The commands that rebuild a stream (Redis's `rewriteStreamObject`): its entries
/// (or, empty, an XADD trimmed to nothing), XSETID with its counters, each group,
/// its consumers without pending entries, and each pending entry as an XCLAIM.
fn stream_commands(out: &mut Vec<u8>, key: &[u8], s: &crate::store::stream::Stream) {
    use crate::store::stream::StreamId;
    let text = |id: StreamId| id.to_string().into_bytes();
    let all = s.log.range(StreamId::MIN, StreamId::MAX, false, 0);
    if all.is_empty() {
        let last = text(s.log.last_id);
        encode(
            out,
            [&b"XADD"[..], key, b"MAXLEN", b"0", &last, b"x", b"y"].into_iter(),
        );
    }
    for (id, pairs) in &all {
        let id = text(*id);
        let mut argv: Vec<&[u8]> = vec![b"XADD", key, &id];
        for (f, v) in pairs {
            argv.push(f);
            argv.push(v);
        }
        encode(out, argv.into_iter());
    }
    let (last, added, maxdel) = (
        text(s.log.last_id),
        s.log.entries_added.to_string().into_bytes(),
        text(s.log.max_deleted),
    );
    encode(
        out,
        [
            &b"XSETID"[..],
            key,
            &last,
            b"ENTRIESADDED",
            &added,
            b"MAXDELETEDID",
            &maxdel,
        ]
        .into_iter(),
    );
    for (name, g) in &s.groups {
        let (glast, read) = (text(g.last_id), g.entries_read.to_string().into_bytes());
        encode(
            out,
            [
                &b"XGROUP"[..],
                b"CREATE",
                key,
                name,
                &glast,
                b"ENTRIESREAD",
                &read,
            ]
            .into_iter(),
        );
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                encode(
                    out,
                    [&b"XGROUP"[..], b"CREATECONSUMER", key, name, cname].into_iter(),
                );
            }
            for id in &c.pel {
                let Some(nack) = g.pel.get(id) else { continue };
                let (id, time, count) = (
                    text(*id),
                    nack.delivery_time.to_string().into_bytes(),
                    nack.delivery_count.to_string().into_bytes(),
                );
                encode(
                    out,
                    [
                        &b"XCLAIM"[..],
                        key,
                        name,
                        cname,
                        b"0",
                        &id,
                        b"TIME",
                        &time,
                        b"RETRYCOUNT",
                        &count,
                        b"JUSTID",
                        b"FORCE",
                    ]
                    .into_iter(),
                );
            }
        }
    }
}

/// The commands that rebuild `value` at `key`.
fn value_commands(out: &mut Vec<u8>, key: &[u8], value: &Value) {
    let mut digits = itoa::Buffer::new();
    match value {
        Value::Str(s) => encode(out, [&b"SET"[..], key, s].into_iter()),
        Value::Int(n) => {
            let n = digits.format(*n).as_bytes();
            encode(out, [&b"SET"[..], key, n].into_iter());
        }
        Value::Doc(doc) => {
            // A document is written as it came: rudis reads it back (Redis would not).
            out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$");
            out.extend_from_slice(digits.format(key.len()).as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(key);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(doc);
        }
        Value::List(l) => {
            let items: Vec<Vec<u8>> = l.iter().map(Item::to_vec).collect();
            batches(out, b"RPUSH", key, &items, 1);
        }
        Value::Set(s) => {
            let items: Vec<Vec<u8>> = s.iter().map(Item::to_vec).collect();
            batches(out, b"SADD", key, &items, 1);
        }
        Value::Hash(h) => {
            let items: Vec<Vec<u8>> = h
                .iter()
                .flat_map(|(f, v)| [f.to_vec(), v.to_vec()])
                .collect();
            batches(out, b"HSET", key, &items, 2);
        }
        Value::Stream(s) => stream_commands(out, key, s),
        Value::ZSet(z) => {
            let items: Vec<Vec<u8>> = z
                .iter()
                .flat_map(|(m, s)| [format_double(s).into_bytes(), m.to_vec()])
                .collect();
            batches(out, b"ZADD", key, &items, 2);
        }
    }
}

/// Why a file of the AOF could not be replayed.
#[derive(Debug)]
pub enum ReplayError {
    /// Reading failed.
    Io(io::Error),
    /// The file ends inside a command (a crash mid-write): whole commands (and whole
    /// transactions) end at `valid` bytes.
    Truncated {
        /// Bytes of whole commands.
        valid: u64,
    },
    /// The bytes at `offset` are no command.
    Corrupt {
        /// Where the bad command starts.
        offset: u64,
    },
}

/// True when the file at `path` starts with Redis's RDB magic (a base written with
/// `aof-use-rdb-preamble yes`, Redis 7's default): it loads as a snapshot, not as
/// commands.
pub fn is_rdb_base(path: &Path) -> bool {
    let mut head = [0u8; 9];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| crate::persistence::rdb::is_rdb(&head))
}

/// Reads the commands of the AOF file at `path` and hands each to `run`; returns how
/// many. A transaction left open at the end counts as a torn tail (Redis's "Revert
/// incomplete MULTI/EXEC transaction").
/// # Errors
/// See [`ReplayError`].
/// `run` also gets the offset of the command in the file.
pub fn replay(path: &Path, mut run: impl FnMut(&Request<'_>, u64)) -> Result<u64, ReplayError> {
    let mut input = Window::open(path).map_err(ReplayError::Io)?;
    let limits = ProtoLimits {
        max_bulk_len: usize::MAX >> 1,
        max_multibulk_len: usize::MAX >> 1,
        ..ProtoLimits::default()
    };
    let mut parser = RequestParser::new();
    let mut commands = 0;
    // File offset of an open MULTI.
    let mut multi_at: Option<u64> = None;
    loop {
        if input.pos == input.data.len() && !input.more().map_err(ReplayError::Io)? {
            break;
        }
        let at = input.offset();
        match input.data[input.pos] {
            b'#' => {
                // An annotation line (Redis's timestamps): skipped.
                match input.data[input.pos..].iter().position(|&b| b == b'\n') {
                    Some(n) => input.pos += n + 1,
                    None if input.more().map_err(ReplayError::Io)? => {}
                    None => return Err(ReplayError::Truncated { valid: at }),
                }
                continue;
            }
            b'*' => {}
            _ => return Err(ReplayError::Corrupt { offset: at }),
        }
        match parser.parse(&input.data[input.pos..], &limits) {
            Ok(Parsed::Ready) => {
                let req = parser.request(&input.data[input.pos..]);
                if req.is_empty() {
                    return Err(ReplayError::Corrupt { offset: at });
                }
                if req.arg(0).eq_ignore_ascii_case(b"multi") {
                    multi_at = Some(at);
                } else if req.arg(0).eq_ignore_ascii_case(b"exec") {
                    multi_at = None;
                }
                run(&req, at);
                commands += 1;
                input.pos += parser.finish();
            }
            // The parser resumes once more bytes are read.
            Ok(Parsed::Incomplete) if input.more().map_err(ReplayError::Io)? => {}
            Ok(Parsed::Incomplete) => {
                return Err(ReplayError::Truncated {
                    valid: multi_at.unwrap_or(at),
                });
            }
            Err(_) => return Err(ReplayError::Corrupt { offset: at }),
        }
    }
    if let Some(at) = multi_at {
        return Err(ReplayError::Truncated { valid: at });
    }
    Ok(commands)
}

/// Bytes read from an AOF file per `read` at load: the file is parsed through a
/// window of about this size (plus one command), never read whole into memory.
const READ_CHUNK: usize = 1 << 20;

/// The part of an AOF file read and not yet parsed.
struct Window {
    file: File,
    /// Read bytes; `data[pos..]` is not parsed yet.
    data: Vec<u8>,
    pos: usize,
    /// File offset of `data[0]`.
    base: u64,
}

impl Window {
    fn open(path: &Path) -> io::Result<Window> {
        Ok(Window {
            file: File::open(path)?,
            data: Vec::new(),
            pos: 0,
            base: 0,
        })
    }

    /// File offset of the next byte to parse.
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Drops the parsed bytes and reads more; false at the end of the file.
    fn more(&mut self) -> io::Result<bool> {
        self.data.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        let len = self.data.len();
        self.data.resize(len + READ_CHUNK, 0);
        let n = loop {
            match self.file.read(&mut self.data[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.data.truncate(len);
                    return Err(e);
                }
            }
        };
        self.data.truncate(len + n);
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commands that straddle the read window's edges, annotation lines, a
    /// transaction, then a torn tail: every whole command is replayed once and the
    /// valid length is the file offset of the cut command.
    #[test]
    fn replay_streams_through_the_window() {
        let dir = std::env::temp_dir().join(format!("rudis-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("incr.aof");
        let mut bytes = Vec::new();
        let mut expected = Vec::new();
        for i in 0..40 {
            // Values of 100 kB (about 4 MB in all: several windows).
            let value = vec![b'a' + (i % 26) as u8; 100_000 + i];
            if i % 7 == 0 {
                bytes.extend_from_slice(b"#TS:1700000000\r\n");
            }
            encode(
                &mut bytes,
                [&b"SET"[..], format!("k{i}").as_bytes(), &value].into_iter(),
            );
            expected.push((format!("k{i}"), value.len()));
        }
        encode(&mut bytes, [&b"MULTI"[..]].into_iter());
        encode(&mut bytes, [&b"SET"[..], b"t", b"1"].into_iter());
        encode(&mut bytes, [&b"EXEC"[..]].into_iter());
        let whole = bytes.len() as u64;
        encode(
            &mut bytes,
            [&b"SET"[..], b"torn", &[b'x'; 3 * READ_CHUNK / 2]].into_iter(),
        );
        bytes.truncate(bytes.len() - 10);
        std::fs::write(&path, &bytes).expect("write");

        let mut seen = Vec::new();
        let result = replay(&path, |req, _| {
            let last = req.arg(req.len() - 1);
            let key = if req.len() > 1 { req.arg(1) } else { last };
            seen.push((String::from_utf8_lossy(key).into_owned(), last.len()))
        });
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            matches!(result, Err(ReplayError::Truncated { valid }) if valid == whole),
            "{result:?}"
        );
        assert_eq!(seen.len(), 43);
        assert_eq!(seen[..40], expected[..]);
    }
}
