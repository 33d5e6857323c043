//! The server's side of the append-only file: loading it at startup by replaying its
//! commands through dispatch (a fake client, as Redis's `loadAppendOnlyFiles`), and
//! writing the propagated stream once per loop turn, before the turn's replies go out.

use bytes::BytesMut;
use log::{info, warn};

use super::Server;
use crate::commands::{self, Ctx};
use crate::config::{Config, Fsync};
use crate::persistence;
use crate::persistence::aof::{self, Aof, Manifest, ReplayError};
use crate::protocol::{Reply, RespVersion};
use crate::runtime::{ClientInfo, ServerState};
use crate::store::{self, Store};

/// At startup with `appendonly yes`: loads the AOF if its directory has a manifest
/// (the AOF wins over the snapshot), else the snapshot and then starts an AOF from
/// it; then turns propagation on.
/// # Errors
/// Redis-style text for an AOF that cannot be loaded: the server must not start.
/// `serve(state, bytes read, bytes in all)` is called as the load goes (it serves
/// clients meanwhile).
pub(super) fn start(
    store: &mut Store,
    state: &mut ServerState,
    serve: &mut super::loading::Serve<'_>,
) -> Result<(), String> {
    let manifest = aof::read_manifest(&state.config)?;
    let opened = match manifest {
        Some(manifest) => {
            // No eviction (nor -OOM) while loading, as Redis: memory is checked again
            // once the server serves clients.
            let maxmemory = std::mem::take(&mut state.config.maxmemory);
            let loaded = load(store, state, &manifest, serve);
            state.config.maxmemory = maxmemory;
            loaded?;
            Aof::open(&state.config, manifest)
        }
        None => {
            super::loading::snapshot(store, state, serve)?;
            Aof::create(&state.config, store)
        }
    };
    let aof = opened.map_err(|e| format!("Can't open the append-only file: {e}"))?;
    state.persistence.aof = Some(aof);
    state.propagation.set_on(true, store);
    Ok(())
}

/// Replays every file of `manifest` (base, then incremental files in order).
fn load(
    store: &mut Store,
    state: &mut ServerState,
    manifest: &Manifest,
    serve: &mut super::loading::Serve<'_>,
) -> Result<(), String> {
    let dir = aof::dir_path(&state.config);
    let started = std::time::Instant::now();
    let me = state
        .clients
        .insert(ClientInfo::new(u64::MAX, String::new(), String::new(), 0));
    state.clients[me].deny_blocking = true;
    let files: Vec<&aof::manifest::Entry> = manifest.base.iter().chain(&manifest.incrs).collect();
    let mut out = BytesMut::new();
    let mut total = 0;
    let size =
        |e: &&aof::manifest::Entry| std::fs::metadata(dir.join(&e.name)).map_or(0, |m| m.len());
    let all_bytes: u64 = files.iter().map(size).sum();
    state.loading = Some(crate::runtime::Loading::new(all_bytes));
    let mut done_bytes = 0;
    let mut result = Ok(());
    for (i, entry) in files.iter().enumerate() {
        let path = dir.join(&entry.name);
        if !path.exists() && entry.kind == 'i' && i + 1 == files.len() {
            // Created by the manifest's writer, never written: nothing to replay.
            continue;
        }
        let before = done_bytes;
        done_bytes += size(entry);
        if entry.kind == 'b' && aof::is_rdb_base(&path) {
            // Redis 7's default base (`aof-use-rdb-preamble yes`): an RDB file.
            let config = state.config.clone();
            let mut progress = |read: u64, _| serve(state, before + read, all_bytes);
            match persistence::read_snapshot_with_progress(
                store,
                &path,
                &config,
                false,
                &mut progress,
            ) {
                Ok((_, stats)) => {
                    info!("RDB base {} loaded: {} keys", entry.name, stats.loaded);
                    continue;
                }
                Err(e) => {
                    result = Err(format!(
                        "Bad AOF base {}: {}",
                        entry.name,
                        persistence::load_error_text(&e)
                    ));
                    break;
                }
            }
        }
        let replayed = aof::replay(&path, |req, offset| {
            out.clear();
            let now = store::now_ms();
            let mut ctx = Ctx {
                store: &mut *store,
                server: &mut *state,
                me,
                out: Reply::new(&mut out, RespVersion::V2),
                now,
            };
            commands::dispatch(&mut ctx, req);
            serve(state, before + offset, all_bytes);
        });
        let last = i + 1 == files.len();
        match replayed {
            Ok(n) => total += n,
            Err(ReplayError::Truncated { valid }) if last && state.config.aof_load_truncated => {
                warn!(
                    "!!! Warning: short read while loading the AOF file {}!!!",
                    entry.name
                );
                warn!(
                    "!!! Truncating the AOF {} at offset {valid} !!!",
                    entry.name
                );
                let cut = std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(valid).and_then(|()| f.sync_all()));
                if let Err(e) = cut {
                    result = Err(format!("Error truncating the AOF file {}: {e}", entry.name));
                    break;
                }
                warn!(
                    "AOF {} loaded anyway because aof-load-truncated is enabled",
                    entry.name
                );
            }
            Err(ReplayError::Truncated { valid }) => {
                result = Err(format!(
                    "Unexpected end of file reading the append only file {} (whole commands \
                     end at offset {valid}). You can: 1) Make a backup of your AOF file, then \
                     use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can \
                     set the 'aof-load-truncated' configuration option to yes and restart the \
                     server.",
                    entry.name
                ));
                break;
            }
            Err(ReplayError::Corrupt { offset }) => {
                result = Err(format!(
                    "Bad file format reading the append only file {} at offset {offset}: make \
                     a backup of your AOF file, then use ./redis-check-aof --fix \
                     <filename.manifest>",
                    entry.name
                ));
                break;
            }
            Err(ReplayError::Io(e)) => {
                result = Err(format!(
                    "Can't read the append only file {}: {e}",
                    entry.name
                ));
                break;
            }
        }
    }
    crate::runtime::watch::unwatch(state, me);
    state.clients.remove(me);
    result?;
    info!(
        "DB loaded from append only file: {:.3} seconds ({total} commands)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

impl Server {
    /// True when replies must wait for this turn's writes to reach the disk
    /// (`appendfsync always` with commands not yet written).
    pub(super) fn replies_wait_for_fsync(&self) -> bool {
        self.state.config.appendfsync == Fsync::Always
            && self.state.persistence.aof.is_some()
            && !self.state.propagation.stream().is_empty()
    }

    /// Writes the turn's propagated commands to the AOF and fsyncs per `appendfsync`
    /// (before the replies are flushed); see [`flush_aof`].
    pub(super) fn flush_aof(&mut self) {
        flush_aof(&mut self.store, &mut self.state);
    }

    /// At exit: writes and fsyncs what the AOF still holds. A run-time start still
    /// waiting for its first base (its rewrite was stopped) writes a whole base now,
    /// so that the data set survives the restart.
    pub(super) fn close_aof(&mut self) {
        let Some(aof) = self.state.persistence.aof.as_mut() else {
            return;
        };
        if aof.is_waiting() {
            aof.discard_waiting();
            info!("Writing the initial AOF before exiting.");
            match Aof::create(&self.state.config, &self.store) {
                Ok(mut done) => done.close(store::now_ms() / 1000),
                Err(e) => warn!(
                    "Error writing the initial AOF: {}",
                    persistence::strerror(&e)
                ),
            }
            return;
        }
        self.state.propagation.flush_expired(&mut self.store);
        aof.feed(self.state.propagation.stream());
        self.state.propagation.clear_stream();
        aof.close(store::now_ms() / 1000);
    }
}

/// Writes the propagated commands to the AOF and fsyncs per `appendfsync`: before a
/// turn's replies are flushed, and before a busy script's pump flushes replies made
/// earlier in the turn (Redis's beforeSleep while blocked). An `always` write or fsync
/// that fails stops the server: acknowledged writes could not be made durable (as
/// Redis exits).
pub(super) fn flush_aof(store: &mut Store, state: &mut ServerState) {
    let Some(aof) = state.persistence.aof.as_mut() else {
        return;
    };
    state.propagation.flush_expired(store);
    let stream = state.propagation.stream();
    if !stream.is_empty() {
        aof.feed(stream);
        state.propagation.clear_stream();
    }
    let policy = state.config.appendfsync;
    let was_ok = aof.write_ok;
    if !aof.flush(policy, store::now_ms() / 1000, false) {
        std::process::exit(1);
    }
    if aof.write_ok != was_ok {
        // A write failed (writes are refused with -MISCONF) or works again.
        state.persistence.sync_write_denial(&state.config);
    }
    sample_aof_latency(state);
}

/// Hands what the AOF timed (its write, fsync, stat and renames) to the latency
/// monitor under Redis's `aof-*` event names.
fn sample_aof_latency(state: &mut ServerState) {
    let Some(aof) = state.persistence.aof.as_mut() else {
        return;
    };
    if aof.timings.is_empty() {
        return;
    }
    let timings = std::mem::take(&mut aof.timings);
    let child = state.persistence.child_active();
    for (event, took) in timings.events(child) {
        state.latency_event(event, took);
    }
}

/// Whether the AOF should be started at startup.
pub(super) fn wanted(config: &Config) -> bool {
    config.appendonly
}
