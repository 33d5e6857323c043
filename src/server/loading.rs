//! Loading the data set at start-up while serving clients, as Redis does: the load
//! runs on the event-loop thread and, from its progress callback (every read of the
//! snapshot, every command of the AOF), at most every [`PUMP_EVERY`], accepts and
//! serves clients with [`commands::dispatch_while_loading`]: `-LOADING` for data
//! commands, INFO (with `loading:1` and the progress fields) and the other
//! `LOADING`-flagged commands as usual (against an empty store). This is Redis's
//! `processEventsWhileBlocked` from `rdbLoadProgressCallback`, with a time bound
//! instead of Redis's 2 MB one, so a client waits less than a millisecond. No second
//! thread and no hand-over: the store is built in place, and the connections
//! accepted meanwhile simply stay in the server's table.

use std::time::{Duration, Instant};

use log::{info, warn};

use super::{Server, busy, signal, supervise};
use crate::commands;
use crate::runtime::{Loading, ServerState};
use crate::store::Store;

/// Longest a client waits for its `-LOADING` while a load runs.
const PUMP_EVERY: Duration = Duration::from_micros(250);
/// Progress calls between two readings of the clock (a few keys' worth).
const CALLS_PER_CLOCK: u32 = 8;
/// How often a long load logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// The progress callback a load calls: `(state, bytes read, bytes in all)`.
pub(super) type Serve<'a> = dyn FnMut(&mut ServerState, u64, u64) + 'a;

/// Loads `dir/dbfilename` if it exists, reporting progress to `serve`.
/// # Errors
/// The load's text (the server must not start).
pub(super) fn snapshot(
    store: &mut Store,
    state: &mut ServerState,
    serve: &mut Serve<'_>,
) -> Result<(), String> {
    let path = crate::persistence::snapshot_path(&state.config);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(());
    };
    state.loading = Some(Loading::new(meta.len()));
    let config = state.config.clone();
    // Lent out of the state for the load, so that the callback may serve clients.
    let mut persistence = std::mem::take(&mut state.persistence);
    let result =
        persistence.load_at_startup(store, &config, &mut |read, len| serve(state, read, len));
    state.persistence = persistence;
    result
}

impl Server {
    /// Loads the data set (the AOF when on, else the snapshot), serving clients
    /// meanwhile. Idempotent: the second call does nothing.
    /// # Errors
    /// The load's text (the server must not start).
    pub(super) fn load(&mut self) -> std::io::Result<()> {
        if self.loaded {
            return Ok(());
        }
        self.loaded = true;
        let Server {
            poll,
            listeners,
            conns,
            store,
            state,
            scratch,
            ..
        } = self;
        let registry = poll.registry();
        // What LOADING-flagged commands see meanwhile.
        let mut empty = Store::new(1);
        let mut last_pump = Instant::now();
        let mut last_log = Instant::now();
        let mut calls = 0u32;
        let mut serve = |state: &mut ServerState, read: u64, total: u64| {
            // The clock is read every few calls only: a load makes millions.
            calls = calls.wrapping_add(1);
            if !calls.is_multiple_of(CALLS_PER_CLOCK) {
                return;
            }
            let now = Instant::now();
            if now.duration_since(last_pump) < PUMP_EVERY {
                return;
            }
            last_pump = now;
            let Some(loading) = state.loading.as_mut() else {
                return;
            };
            loading.loaded_bytes = read;
            loading.total_bytes = total;
            if now.duration_since(last_log) >= LOG_EVERY {
                last_log = now;
                info!(
                    "Loading the dataset: {:.2}% ({read} of {total} bytes), about {} seconds to go",
                    loading.percent(),
                    loading.eta_seconds()
                );
                let status = format!("STATUS=Loading the dataset: {:.0}%\n", loading.percent());
                supervise::notify(&state.config, &status);
            }
            if let Some(sig) = signal::take() {
                warn!(
                    "Received {} during loading, exiting now without saving.",
                    signal::name(sig)
                );
                supervise::remove_pidfile(&state.config);
                std::process::exit(0);
            }
            let mut io = busy::Io {
                listeners,
                registry,
                scratch,
            };
            let dispatch = commands::dispatch_while_loading;
            busy::serve_others(conns, &mut io, None, dispatch, &mut empty, state);
        };
        let result = if super::aof::wanted(&state.config) {
            super::aof::start(store, state, &mut serve)
        } else {
            snapshot(store, state, &mut serve)
        };
        state.loading = None;
        result.map_err(std::io::Error::other)?;
        if let Some((host, port)) = state.config.repl.replicaof.clone() {
            let now = crate::store::now_ms();
            commands::server::replication::follow(state, &mut self.store, host, port, now);
        }
        // Connections served during the load: their next bytes may have come
        // since, with no new edge: look at each once.
        let tokens: Vec<usize> = self.conns.iter().map(|(t, _)| t).collect();
        for token in tokens {
            self.enqueue(token);
        }
        Ok(())
    }
}
