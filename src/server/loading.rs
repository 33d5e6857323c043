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

use slab::Slab;

use super::conn::Conn;
use super::{Server, busy, signal, supervise};
use crate::commands;
use crate::persistence::ReplInfo;
use crate::runtime::{Loading, ServerState};
use crate::store::Store;

/// Longest a client waits for its `-LOADING` while a load runs.
const PUMP_EVERY: Duration = Duration::from_micros(250);
/// Progress calls between two readings of the clock (a few keys' worth).
const CALLS_PER_CLOCK: u32 = 8;
/// How often a long load logs its progress.
const LOG_EVERY: Duration = Duration::from_secs(2);
/// How often a replica loading a full sync sends its master a newline (Redis's
/// `replicationSendNewlineToMaster`: once a second).
const NEWLINE_EVERY: Duration = Duration::from_secs(1);

/// The progress callback a load calls: `(state, bytes read, bytes in all)`.
pub(super) type Serve<'a> = dyn FnMut(&mut ServerState, u64, u64) + 'a;

/// Loads `dir/dbfilename` if it exists, reporting progress to `serve`; returns the
/// replication position the file carried.
/// # Errors
/// The load's text (the server must not start).
pub(super) fn snapshot(
    store: &mut Store,
    state: &mut ServerState,
    serve: &mut Serve<'_>,
) -> Result<Option<ReplInfo>, String> {
    let path = crate::persistence::snapshot_path(&state.config);
    let Ok(meta) = std::fs::metadata(&path) else {
        return Ok(None);
    };
    state.loading = Some(Loading::new(meta.len()));
    let config = state.config.clone();
    // Lent out of the state for the load, so that the callback may serve clients.
    let mut persistence = std::mem::take(&mut state.persistence);
    let result =
        persistence.load_at_startup(store, &config, &mut |read, len| serve(state, read, len));
    let position = persistence.last_load.repl;
    state.persistence = persistence;
    result.map(|()| position)
}

/// The clients' side of a load: from the load's progress callback, at most every
/// [`PUMP_EVERY`], accepts and serves every connection but one (the master link
/// during a full sync's load, whose bytes wait for the load's end) with a dispatch
/// that refuses what may not run now; logs the progress; exits on a shutdown
/// signal. While a replica loads, the master gets a newline every second (Redis's
/// `replicationSendNewlineToMaster`), so that it does not time the replica out.
pub(super) struct LoadPump<'a> {
    io: busy::Io<'a>,
    conns: &'a mut Slab<Conn>,
    /// The connection not served (the link to the master).
    skip: Option<usize>,
    last_pump: Instant,
    last_log: Instant,
    last_newline: Instant,
    calls: u32,
}

impl std::fmt::Debug for LoadPump<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadPump")
            .field("skip", &self.skip)
            .finish()
    }
}

impl<'a> LoadPump<'a> {
    /// A pump over `conns` that leaves `skip` alone.
    pub(super) fn new(io: busy::Io<'a>, conns: &'a mut Slab<Conn>, skip: Option<usize>) -> Self {
        let now = Instant::now();
        LoadPump {
            io,
            conns,
            skip,
            last_pump: now,
            last_log: now,
            last_newline: now,
            calls: 0,
        }
    }

    /// One progress call of a load that read `read` of `total` bytes: when due,
    /// serves the clients with `dispatch` against `store` (an empty store while a
    /// load replaces the data set, the old one during an asynchronous load).
    pub(super) fn progress(
        &mut self,
        state: &mut ServerState,
        store: &mut Store,
        dispatch: fn(&mut commands::Ctx<'_>, &crate::protocol::Request<'_>),
        read: u64,
        total: u64,
    ) {
        // The clock is read every few calls only: a load makes millions.
        self.calls = self.calls.wrapping_add(1);
        if !self.calls.is_multiple_of(CALLS_PER_CLOCK) {
            return;
        }
        let now = Instant::now();
        if now.duration_since(self.last_pump) < PUMP_EVERY {
            return;
        }
        self.last_pump = now;
        let Some(loading) = state.loading.as_mut() else {
            return;
        };
        loading.loaded_bytes = read;
        loading.total_bytes = total;
        if now.duration_since(self.last_log) >= LOG_EVERY {
            self.last_log = now;
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
        if let Some(token) = self.skip
            && now.duration_since(self.last_newline) >= NEWLINE_EVERY
        {
            self.last_newline = now;
            if let Some(conn) = self.conns.get_mut(token).filter(|c| c.wbuf.is_empty()) {
                // A full socket skips one: the next second tries again.
                let _ = std::io::Write::write(&mut conn.stream, b"\n");
            }
        }
        busy::serve_others(self.conns, &mut self.io, self.skip, dispatch, store, state);
    }
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
        let io = busy::Io {
            listeners,
            registry: poll.registry(),
            scratch,
        };
        let mut pump = LoadPump::new(io, conns, None);
        // What LOADING-flagged commands see meanwhile.
        let mut empty = Store::new(1);
        let dispatch = commands::dispatch_while_loading;
        let mut serve = |state: &mut ServerState, read: u64, total: u64| {
            pump.progress(state, &mut empty, dispatch, read, total);
        };
        // With the AOF on, Redis 7.0 loads it alone: no replication position.
        let result = if super::aof::wanted(&state.config) {
            super::aof::start(store, state, &mut serve).map(|()| None)
        } else {
            if state.config.repl.replicaof.is_some() {
                // Keys expired in the file stay until the master's DEL, as after a sync.
                store.set_expiring(crate::store::Expiring::Replica);
            }
            snapshot(store, state, &mut serve)
        };
        state.loading = None;
        let position = result.map_err(std::io::Error::other)?;
        if let Some((host, port)) = state.config.repl.replicaof.clone() {
            let now = crate::store::now_ms();
            commands::server::replication::follow(state, store, host, port, now);
            let (size, databases) = (state.config.repl.backlog_size, state.config.databases);
            if let Some(position) = position
                && state.repl.resume_from(&position, size, databases)
            {
                info!(
                    "Before turning into a replica, using my own master parameters to \
                     synthesize a cached master: I may be able to synchronize with the new \
                     master with just a partial transfer ({}:{}).",
                    position.replid(),
                    position.offset
                );
            }
        }
        self.enqueue_all(None);
        Ok(())
    }
}
