//! The event-loop room: the only user of mio. One thread, one poll, many connections.
//!
//! Each loop turn: poll → put every connection with an event on the ready queue →
//! service each ready connection (flush backlog, read, parse and execute every
//! complete request) → `before_sleep` (flush replies once per turn, free closed
//! connections, expire keys, free flushed tables in slices).

mod accept;
pub mod aof;
mod busy;
mod clock;
mod conn;
mod cron;
mod delivery;
mod loading;
pub mod logging;
mod metrics;
mod output_limit;
mod replica;
mod replication;
pub mod signal;
pub mod supervise;

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use log::{debug, info, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use slab::Slab;

use crate::acl;
use crate::commands::{self, Ctx, pubsub};
use crate::config::{Config, OUTPUT_HIGH_WATER};
use crate::error::ProtocolError;
use crate::protocol::{Parsed, ProtoLimits, Reply};
use crate::runtime::blocking::{self, Outputs};
use crate::runtime::observe::monitor;
use crate::runtime::tracking;
use crate::runtime::{ClientInfo, ServerState, notify};
use crate::store::{self, Store};
use clock::Clock;
use conn::{Conn, FlushOutcome, ReadOutcome};
use delivery::Receivers;

const LISTENER: Token = Token(usize::MAX);
const WAKER: Token = Token(usize::MAX - 1);

// The reserved tokens (listener, waker, the snapshot transfer, the metrics listener)
// are distinct (metrics connections use tokens from METRICS_BASE up).
const _: () = {
    let reserved = [
        LISTENER.0,
        WAKER.0,
        replication::TRANSFER.0,
        metrics::METRICS_LISTENER.0,
    ];
    let mut i = 0;
    while i < reserved.len() {
        let mut j = i + 1;
        while j < reserved.len() {
            assert!(reserved[i] != reserved[j], "two reserved tokens are equal");
            j += 1;
        }
        i += 1;
    }
};
/// Size of the shared read scratch buffer: one read() per 64 KB keeps syscalls few.
const SCRATCH_LEN: usize = 64 * 1024;
/// Events taken from one poll.
const EVENTS_CAPACITY: usize = 1024;
/// Events one poll must return for the loop to busy-poll afterwards (see `busy-poll-us`).
const SPIN_MIN_EVENTS: usize = 4;
/// Time the active expiry cycle may take per cron tick (Redis takes up to 25 ms).
const CRON_EXPIRE_BUDGET: Duration = Duration::from_millis(5);
/// Time the fast expiry cycle may take before sleeping, when the last cycle ran out of time.
const FAST_EXPIRE_BUDGET: Duration = Duration::from_millis(1);
/// Time per cron spent moving key table indexes that are being resized (Redis's
/// `incrementallyRehash`: 1 ms), so resizes finish on an idle server too.
const CRON_REHASH_BUDGET: Duration = Duration::from_millis(1);

/// Binds one listening socket per `bind` address (Redis's `listenToPort`): an
/// address marked `-` that the machine lacks is skipped; with port 0 the first
/// socket picks the port and the others take the same.
/// # Errors
/// `Could not create server TCP listening socket ADDR:PORT: bind: <why>`.
fn listen(config: &Config) -> io::Result<Vec<TcpListener>> {
    let mut listeners: Vec<TcpListener> = Vec::new();
    let mut port = config.port;
    for word in config.bind.split_ascii_whitespace() {
        let (optional, host) = match word.strip_prefix('-') {
            Some(host) => (true, host),
            None => (false, word),
        };
        let host = match host {
            "*" => "0.0.0.0",
            "::*" => "::",
            other => other,
        };
        let failed = |why: String| {
            io::Error::other(format!(
                "Could not create server TCP listening socket {}: {why}",
                show_addr(host, port)
            ))
        };
        let addr = match std::net::ToSocketAddrs::to_socket_addrs(&(host, port)) {
            Ok(mut addrs) => addrs.next(),
            Err(e) if optional => {
                warn!(
                    "Skipping the bind address {} ({})",
                    show_addr(host, port),
                    crate::config::os_text(&e)
                );
                continue;
            }
            Err(e) => {
                return Err(failed(format!(
                    "invalid address: {}",
                    crate::config::os_text(&e)
                )));
            }
        };
        let Some(addr) = addr else {
            return Err(failed("the name has no address".into()));
        };
        match TcpListener::bind(addr) {
            Ok(listener) => {
                port = listener.local_addr()?.port();
                listeners.push(listener);
            }
            Err(e)
                if optional
                    && matches!(
                        e.raw_os_error(),
                        Some(libc::EADDRNOTAVAIL | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT)
                    ) =>
            {
                warn!(
                    "Skipping the bind address {} ({})",
                    show_addr(host, port),
                    crate::config::os_text(&e)
                );
            }
            Err(e) => return Err(failed(format!("bind: {}", crate::config::os_text(&e)))),
        }
    }
    if listeners.is_empty() {
        return Err(io::Error::other(format!(
            "Failed listening on port {} (tcp): no usable bind address in '{}', aborting.",
            config.port, config.bind
        )));
    }
    Ok(listeners)
}

/// Logs once, at start-up, the directives given that rudis accepts without acting
/// on: one line for those that do not apply, one for those not implemented yet.
fn log_passive(config: &Config) {
    let (pending, no_effect): (Vec<&str>, Vec<&str>) = config
        .passive
        .keys()
        .copied()
        .partition(|name| crate::config::passive::find(name).is_some_and(|p| p.pending));
    if !no_effect.is_empty() {
        info!(
            "Directives accepted, no effect in rudis: {}",
            no_effect.join(", ")
        );
    }
    if !pending.is_empty() {
        info!(
            "Directives accepted, not implemented in rudis yet (no effect): {}",
            pending.join(", ")
        );
    }
}

/// `host:port`, an IPv6 host in brackets.
fn show_addr(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Stops a running server from another thread.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    flag: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl ShutdownHandle {
    /// Asks the server to stop after its current turn.
    pub fn shutdown(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Err(e) = self.waker.wake() {
            warn!("could not wake the event loop: {e}");
        }
    }
}

/// The server: listener, connections, store.
#[derive(Debug)]
pub struct Server {
    poll: Poll,
    /// One per `bind` address, all registered under [`LISTENER`].
    listeners: Vec<TcpListener>,
    conns: Slab<Conn>,
    store: Store,
    state: ServerState,
    ready: VecDeque<usize>,
    pending_write: Vec<usize>,
    to_close: Vec<usize>,
    scratch: Box<[u8]>,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    next_cron: Instant,
    expire_behind: bool,
    clock: Clock,
    /// An accept failed (e.g. out of file descriptors): retry from the cron.
    accept_pending: bool,
    /// Time read after the last poll; good enough for timeouts and the cron.
    turn_now: Instant,
    /// The Prometheus endpoint, with `--metrics-port`.
    metrics: Option<metrics::Metrics>,
    /// The data set was loaded (see `loading.rs`).
    loaded: bool,
    /// Replication I/O: the snapshot child, spooled sends, the link to a master.
    repl_io: replication::ReplIo,
}

impl Server {
    /// Binds the listening sockets described by `config` (port 0 picks a free port)
    /// and loads the data set.
    /// # Errors
    /// Bind failures (naming the address), ACL file errors, load errors.
    pub fn bind(config: Config) -> io::Result<Server> {
        let mut server = Server::open(config)?;
        server.load()?;
        Ok(server)
    }

    /// Binds the listening sockets without loading the data set yet: [`Server::run`]
    /// loads it first, answering clients `-LOADING` meanwhile.
    /// # Errors
    /// Bind failures (naming the address), ACL file errors.
    pub fn open(mut config: Config) -> io::Result<Server> {
        config.maxclients =
            crate::runtime::fds::fit_maxclients(config.maxclients).map_err(io::Error::other)?;
        let poll = Poll::new()?;
        let mut listeners = listen(&config)?;
        for listener in &mut listeners {
            poll.registry()
                .register(listener, LISTENER, Interest::READABLE)?;
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut store = Store::new(config.databases);
        notify::sync_tracking(&config, &mut store);
        store.set_access(config.access);
        let aclfile = config.aclfile.clone();
        let mut state = ServerState::new(config, commands::table::acl_registry());
        if !aclfile.is_empty() {
            if !state.config.users.is_empty() {
                return Err(io::Error::other(format!(
                    "Configuring users in the configuration file and an ACL file ('{aclfile}', aclfile) at the same time is invalid: use one of them"
                )));
            }
            let path = state.config.aclfile_path();
            state.acl.load_file(&path).map_err(|e| {
                io::Error::other(format!(
                    "Aborting startup because of ACL errors in '{aclfile}' (aclfile): {e}"
                ))
            })?;
        } else if !state.config.users.is_empty() {
            let source = state
                .config
                .config_file
                .as_ref()
                .map_or(String::from("the command line"), |p| {
                    p.display().to_string()
                });
            let text = state.config.users.join("\n");
            state.acl.load_text(&text, &source).map_err(|e| {
                io::Error::other(format!(
                    "Aborting startup because of errors in the user directives of {source}: {e}"
                ))
            })?;
        }
        state.renames = commands::table::renames(&state.config.renames)
            .map_err(|e| io::Error::other(format!("rename-command: {e}")))?;
        log_passive(&state.config);
        state.port = listeners
            .first()
            .map_or(Ok(0), |l| l.local_addr().map(|a| a.port()))?;
        let metrics = match state.config.observe.metrics_port {
            0 => None,
            port => Some(metrics::Metrics::bind(
                SocketAddr::new(metrics::metrics_ip(&listeners), port),
                poll.registry(),
            )?),
        };
        Ok(Server {
            metrics,
            poll,
            listeners,
            conns: Slab::new(),
            store,
            state,
            ready: VecDeque::new(),
            pending_write: Vec::new(),
            to_close: Vec::new(),
            scratch: vec![0; SCRATCH_LEN].into_boxed_slice(),
            stop: Arc::new(AtomicBool::new(false)),
            waker,
            next_cron: Instant::now(),
            expire_behind: false,
            clock: Clock::now(),
            accept_pending: false,
            turn_now: Instant::now(),
            loaded: false,
            repl_io: Default::default(),
        })
    }

    /// The address actually listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self.listeners.first() {
            Some(listener) => listener.local_addr(),
            None => Err(io::Error::other("not listening")),
        }
    }

    /// A handle that stops the server from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            flag: self.stop.clone(),
            waker: self.waker.clone(),
        }
    }

    /// Runs the event loop until SHUTDOWN, a signal, or a [`ShutdownHandle`].
    pub fn run(mut self) -> io::Result<()> {
        if !self.loaded {
            info!("Server initialized, listening on {}", self.local_addr()?);
            self.load()?;
        }
        info!("Ready to accept connections on {}", self.local_addr()?);
        let mut events = Events::with_capacity(EVENTS_CAPACITY);
        let mut busy_since = Instant::now() - Duration::from_secs(1);
        supervise::ready(&self.state.config);
        loop {
            if signal::take_hangup() {
                info!("Received SIGHUP, log file reopened");
            }
            let signal = signal::take();
            if (self.stop.load(Ordering::SeqCst) || self.state.shutdown || signal.is_some())
                && self.persist_on_exit(signal)
            {
                info!("Shutting down: {} clients connected", self.conns.len());
                supervise::notify(&self.state.config, "STOPPING=1\n");
                self.close_aof();
                return Ok(());
            }
            let timeout = if self.ready.is_empty() {
                self.sleep_time()
            } else {
                Duration::ZERO
            };
            // Busy-poll briefly after activity before sleeping: a sleeping server is
            // woken by the client's write, and on a small machine that wake-up costs
            // the client more than the spin costs us (see `busy-poll-us` in README).
            let spin = Duration::from_micros(self.state.config.busy_poll_us);
            let mut result = Ok(());
            events.clear();
            while result.is_ok() && events.is_empty() && busy_since.elapsed() < spin {
                result = self.poll.poll(&mut events, Some(Duration::ZERO));
            }
            if result.is_ok() && events.is_empty() {
                result = self.poll.poll(&mut events, Some(timeout));
            }
            match result {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            self.turn_now = Instant::now();
            // Only a busy turn (several clients ready at once) starts a spin: one client
            // at a time is light load, where spinning would burn a core for little.
            if events.iter().count() >= SPIN_MIN_EVENTS {
                busy_since = self.turn_now;
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER | replication::TRANSFER => {}
                    metrics::METRICS_LISTENER => self.metrics_accept(),
                    Token(t) if t >= metrics::METRICS_BASE => {
                        self.metrics_event(t - metrics::METRICS_BASE)
                    }
                    Token(t) => {
                        if event.is_read_closed()
                            && let Some(c) = self.conns.get_mut(t)
                        {
                            c.read_closed = true;
                        }
                        // A writable edge after every ACK is the common case; it only
                        // matters when replies are waiting (else it would cost a read()
                        // that finds nothing).
                        let wants = event.is_readable()
                            || event.is_read_closed()
                            || event.is_error()
                            || self.conns.get(t).is_some_and(|c| !c.wbuf.is_empty());
                        if wants {
                            self.enqueue(t);
                        }
                    }
                }
            }
            let batch = self.ready.len();
            for _ in 0..batch {
                if let Some(t) = self.ready.pop_front() {
                    if let Some(c) = self.conns.get_mut(t) {
                        c.queued = false;
                    }
                    self.service(t);
                }
            }
            self.before_sleep();
            if self.turn_now >= self.next_cron {
                self.cron();
            }
        }
    }

    /// How long the loop may sleep: until the cron or the next blocked client's deadline.
    fn sleep_time(&self) -> Duration {
        if self.state.evicting || self.store.lazyfree_pending() > 0 || self.hand_over_pending() {
            // Memory is still over maxmemory: evict again at once (Redis's
            // evictionTimeProc); values wait to be freed (the next slice goes at once,
            // as Redis's lazyfree thread works without pause); or a replica took all
            // its output and has more held.
            return Duration::ZERO;
        }
        let cron = self.next_cron.saturating_duration_since(self.turn_now);
        let next = match (self.state.blocking.next_deadline(), self.wait_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match next {
            Some(at) => {
                let now = self.clock.unix_ms(self.turn_now);
                // One ms late rather than early: a deadline is met once `now > at`.
                let wait = Duration::from_millis(at.saturating_sub(now).max(0) as u64 + 1);
                cron.min(wait)
            }
            None => cron,
        }
    }

    /// Queues every connection but `except` once: after a load that served them from
    /// its progress callback, their next bytes may have come with no new edge.
    fn enqueue_all(&mut self, except: Option<usize>) {
        let tokens: Vec<usize> = self.conns.iter().map(|(t, _)| t).collect();
        for token in tokens {
            if Some(token) != except {
                self.enqueue(token);
            }
        }
    }

    fn enqueue(&mut self, token: usize) {
        if let Some(c) = self.conns.get_mut(token)
            && !c.queued
            && !c.closing
        {
            c.queued = true;
            self.ready.push_back(token);
        }
    }

    /// Flushes, reads and executes for one connection.
    fn service(&mut self, token: usize) {
        if self.state.repl.master_token() == Some(token) {
            if self.service_master(token) {
                self.service_master_stream(token);
            }
            return;
        }
        let wait_for_fsync = self.replies_wait_for_fsync();
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        if conn.closing {
            return;
        }
        let mut flushed = FlushOutcome::Done;
        if !conn.wbuf.is_empty() && wait_for_fsync {
            // Replies made this turn (to a blocked client, a subscriber) wait for the
            // AOF's fsync: before_sleep flushes them.
            if !conn.pending_write {
                conn.pending_write = true;
                self.pending_write.push(token);
            }
        } else if !conn.wbuf.is_empty() {
            match self.flush(token) {
                Some(outcome) => flushed = outcome,
                None => return,
            }
        }
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        if conn.wbuf.len() >= OUTPUT_HIGH_WATER {
            // A full socket raises a writable event once it drains; a spent write
            // budget raises none, so come back next turn.
            if flushed == FlushOutcome::BudgetSpent {
                self.enqueue(token);
            }
            return;
        }
        if self.state.clients[token].blocked.is_some() || self.state.pause.is_waiting(token) {
            self.read_while_blocked(token);
            return;
        }
        let mut again = false;
        // Requests left buffered by an earlier stop at the high-water mark run before
        // more is read, so a client that pipelines without reading grows no buffer.
        let mut drained = conn.rbuf.is_empty() || self.execute(token);
        if drained {
            let Some(conn) = self.conns.get_mut(token) else {
                return;
            };
            if !conn.eof {
                match conn.fill(&mut self.scratch) {
                    Ok((outcome, n)) => {
                        self.state.stats.net_input_bytes += n as u64;
                        self.state.observe.reads_processed += 1;
                        match outcome {
                            ReadOutcome::Drained => {}
                            ReadOutcome::BudgetSpent => again = true,
                            ReadOutcome::Eof => conn.eof = true,
                        }
                    }
                    Err(e) => {
                        debug!("read error: {e}");
                        self.close(token);
                        return;
                    }
                }
            }
            drained = self.execute(token);
        }
        if !drained {
            // Stopped at the high-water mark: come back (service waits for the socket
            // to drain), unless the client is closing. Bytes still in the socket or a
            // pending EOF raise no new event, so nothing else would bring us back.
            let info = &self.state.clients[token];
            again = !info.close_after_reply
                && info.blocked.is_none()
                && !self.state.pause.is_waiting(token);
        }
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        if conn.rbuf.len() > self.state.config.max_querybuf {
            warn!("closing client that reached max query buffer length");
            let _ = conn.rbuf.split();
            conn.eof = true;
            self.state.clients[token].close_after_reply = true;
        }
        if conn.eof && drained {
            // Replies to every request the peer sent before closing (all of them run:
            // the buffer is drained) still go out, then we close.
            self.state.clients[token].close_after_reply = true;
        }
        conn.shrink_idle_rbuf();
        let (clock, turn_now) = (&self.clock, self.turn_now);
        if output_limit::enforce(conn, &mut self.state, token, || clock.unix_ms(turn_now)) {
            return;
        }
        let info = &mut self.state.clients[token];
        info.querybuf_len = conn.rbuf.len();
        info.querybuf_cap = conn.rbuf.capacity();
        info.outbuf_len = conn.wbuf.len();
        info.outbuf_cap = conn.wbuf.capacity();
        if !conn.pending_write && (!conn.wbuf.is_empty() || info.close_after_reply) {
            conn.pending_write = true;
            self.pending_write.push(token);
        }
        if again {
            self.enqueue(token);
        }
    }

    /// A parked client's socket is still read, so that a disconnect is noticed (and
    /// it stops waiting) while its further requests wait in the buffer.
    fn read_while_blocked(&mut self, token: usize) {
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        if conn.eof {
            return;
        }
        match conn.fill(&mut self.scratch) {
            Ok((ReadOutcome::Eof, _)) | Err(_) => self.close(token),
            Ok((outcome, n)) => {
                self.state.stats.net_input_bytes += n as u64;
                if conn.rbuf.len() > self.state.config.max_querybuf {
                    warn!("closing blocked client that reached max query buffer length");
                    self.close(token);
                } else if outcome == ReadOutcome::BudgetSpent {
                    self.enqueue(token);
                }
            }
        }
    }

    /// Parses and runs every complete request in the read buffer; false when it stopped
    /// because the client must not be read further (closing or output backlog).
    fn execute(&mut self, token: usize) -> bool {
        self.execute_observed(token, |_, _| {})
    }

    /// [`Server::execute`], calling `ran(state, connections)` after each request run
    /// (the master link counts its offset by transaction: a connection's unread bytes
    /// are [`Conn::unread`] meanwhile); the batch's bytes are dropped at its end.
    #[inline]
    fn execute_observed(
        &mut self,
        token: usize,
        ran: impl FnMut(&ServerState, &Slab<Conn>),
    ) -> bool {
        let drained = self.execute_batch(token, ran);
        if let Some(conn) = self.conns.get_mut(token) {
            conn.release();
        }
        drained
    }

    /// [`Server::execute_observed`] but for dropping the bytes of the requests run.
    #[inline(always)]
    fn execute_batch(
        &mut self,
        token: usize,
        mut ran: impl FnMut(&ServerState, &Slab<Conn>),
    ) -> bool {
        let Server {
            poll,
            listeners,
            conns,
            store,
            state,
            clock,
            pending_write,
            scratch,
            ..
        } = self;
        let mut batch_start: Option<(Instant, i64)> = None;
        loop {
            let Some(conn) = conns.get_mut(token) else {
                break false;
            };
            if state.clients[token].close_after_reply {
                break false;
            }
            if conn.wbuf.len() >= OUTPUT_HIGH_WATER {
                break false;
            }
            let dispatch = commands::dispatch;
            let step = run_next(conn, store, state, token, clock, &mut batch_start, dispatch);
            // Set by the request just run (the batch's first sets it).
            let now = batch_start.map_or(0, |(_, now)| now);
            match step {
                Step::Incomplete => break true,
                Step::ProtocolError | Step::Paused | Step::OverLimit => break false,
                Step::Ran => {}
                Step::Script { mark } => {
                    // The busy pump may look at any connection's buffer.
                    conn.release();
                    let io = busy::Io {
                        listeners,
                        registry: poll.registry(),
                        scratch,
                    };
                    busy::run_script(conns, store, state, token, now, io);
                    state.finish_pending_call(token);
                    if state.clients[token].reply_suppressed()
                        && let Some(conn) = conns.get_mut(token)
                    {
                        conn.wbuf.truncate(mark);
                    }
                }
            }
            ran(state, conns);
            if state.blocking.has_work() {
                commands::blocked::serve(store, state, now, conns);
            }
            if state.pubsub.has_outbox() {
                let mut receivers = Receivers {
                    conns,
                    pending_write,
                };
                pubsub::deliver(state, &mut receivers, now);
            }
            if state.tracking.active() && state.tracking.has_outbox() {
                let mut receivers = Receivers {
                    conns,
                    pending_write,
                };
                tracking::deliver(state, &mut receivers);
            }
            if state.observe.monitors.has_outbox() {
                let mut receivers = Receivers {
                    conns,
                    pending_write,
                };
                monitor::deliver(state, &mut receivers);
            }
            if state.clients[token].blocked.is_some() {
                break false;
            }
        }
    }

    fn before_sleep(&mut self) {
        if self.state.blocking.next_deadline().is_some() {
            // expire_timeouts stops at the first deadline still ahead.
            let now = self.clock.unix_ms(Instant::now());
            blocking::expire_timeouts(&mut self.state, now, &mut self.conns);
        }
        self.resume_woken();
        if self.expire_behind && self.store.expiry() == store::Expiring::Delete {
            let start = Instant::now();
            let deadline = start + FAST_EXPIRE_BUDGET;
            self.store.active_expire(store::now_ms(), deadline);
            self.state.latency_event("expire-cycle", start.elapsed());
            self.expire_behind = Instant::now() >= deadline;
            self.publish_store_events();
        }
        if self.state.evicting {
            crate::runtime::evict::perform(&mut self.store, &mut self.state, store::now_ms());
            self.publish_store_events();
        }
        if self.store.lazyfree_pending() > 0 {
            // One slice per turn: the memory comes back within milliseconds, and no
            // turn pauses longer than a slice.
            self.store.free_some();
        }
        self.feed_replication();
        self.flush_aof();
        self.replication_turn();
        self.flush_pending();
        for token in std::mem::take(&mut self.state.killed) {
            self.close(token);
        }
        for token in std::mem::take(&mut self.to_close) {
            if let Some(mut conn) = self.conns.try_remove(token) {
                let _ = self.poll.registry().deregister(&mut conn.stream);
                crate::runtime::watch::unwatch(&mut self.state, token);
                let info = self.state.clients.try_remove(token);
                debug!("closed client {:?}", info.map(|i| i.id));
            }
        }
    }

    /// Writes what the connection has pending and keeps its writable interest in step;
    /// `None` when the socket failed (the connection is then marked for closing).
    fn flush(&mut self, token: usize) -> Option<FlushOutcome> {
        let conn = self.conns.get_mut(token)?;
        let result = conn.flush().and_then(|r| {
            conn.sync_write_interest(self.poll.registry(), Token(token))
                .map(|_| r)
        });
        match result {
            Ok((outcome, n)) => {
                self.state.stats.net_output_bytes += n as u64;
                if let Some(info) = self.state.clients.get_mut(token) {
                    info.outbuf_len = conn.wbuf.len();
                    info.outbuf_cap = conn.wbuf.capacity();
                }
                self.state.observe.writes_processed += 1;
                Some(outcome)
            }
            Err(e) => {
                debug!("write error: {e}");
                self.close(token);
                None
            }
        }
    }

    /// Marks a connection to be freed at the end of this turn.
    fn close(&mut self, token: usize) {
        if let Some(conn) = self.conns.get_mut(token)
            && !conn.closing
        {
            conn.closing = true;
            self.to_close.push(token);
            blocking::unblock(&mut self.state, token);
            pubsub::forget(&mut self.state, token);
            self.forget_replication(token);
            self.state.observe.monitors.remove(token);
            tracking::disable(&mut self.state, token);
            self.state.pause.waiting.retain(|&t| t != token);
        }
    }
}

/// What [`run_next`] did.
enum Step {
    /// Ran one request.
    Ran,
    /// Ran EVAL, whose script the caller must now run; `mark` is where its reply
    /// starts in the output buffer (dropped under CLIENT REPLY OFF).
    Script { mark: usize },
    /// No complete request is buffered.
    Incomplete,
    /// The input was malformed: the error is written and the client will close.
    ProtocolError,
    /// CLIENT PAUSE holds the request: it stays buffered until the pause ends.
    Paused,
    /// The reply passed the client's hard output limit: the client is closing.
    OverLimit,
}

/// Parses the next request in the connection's read buffer and runs it. The clock is
/// read once per batch, at its first request: the clock is slow on some VMs, and
/// commands of one batch may share a timestamp (as Redis's cached mstime).
/// Inlined: the per-request hot path (callgrind: about 5 instructions a request
/// fewer than a call).
#[inline(always)]
fn run_next(
    conn: &mut Conn,
    store: &mut Store,
    state: &mut ServerState,
    token: usize,
    clock: &Clock,
    batch_start: &mut Option<(Instant, i64)>,
    dispatch: fn(&mut Ctx<'_>, &crate::protocol::Request<'_>),
) -> Step {
    // Tighter limits until the client authenticates (AUTH may be mid-batch).
    let limits = ProtoLimits {
        unauthenticated: state.acl.auth_required(state.clients[token].authenticated),
        ..state.config.proto
    };
    match conn.parser.parse(&conn.rbuf[conn.rpos..], &limits) {
        Ok(Parsed::Incomplete) => {
            conn.rpos += conn.parser.release_skipped();
            Step::Incomplete
        }
        Ok(Parsed::Ready) => {
            let (_, now) = *batch_start.get_or_insert_with(|| {
                let t = Instant::now();
                (t, clock.unix_ms(t))
            });
            let resp = state.clients[token].resp;
            state.clients[token].last_interaction_ms = now;
            let req = conn.parser.request(&conn.rbuf[conn.rpos..]);
            if state.pause.is_on() && held_by_pause(store, state, token, &req, now) {
                // Parsed again, from the same bytes, once the pause ends.
                conn.parser.finish();
                state.pause.wait(token);
                return Step::Paused;
            }
            let mark = conn.wbuf.len();
            let hard = output_limit::reply_limit(state, &state.clients[token]);
            let mut ctx = Ctx {
                store,
                server: state,
                me: token,
                out: Reply::limited(&mut conn.wbuf, resp, hard),
                now,
            };
            dispatch(&mut ctx, &req);
            let over = ctx.out.over();
            conn.rpos += conn.parser.finish();
            if state.scripts.has_pending() {
                return Step::Script { mark };
            }
            if over {
                output_limit::close_over_limit(conn, state, token);
                return Step::OverLimit;
            }
            if state.clients[token].reply_suppressed() {
                conn.wbuf.truncate(mark);
            }
            Step::Ran
        }
        Err(e) => {
            protocol_error(conn, state, token, &e);
            Step::ProtocolError
        }
    }
}

/// Whether CLIENT PAUSE holds this request of client `token` (Redis's
/// `processCommand`: every command under ALL; under WRITE, writes, commands that
/// may replicate and an EXEC whose queue writes; never a replica's). Ends a pause
/// whose time is up.
#[cold]
#[inline(never)]
fn held_by_pause(
    store: &mut Store,
    state: &mut ServerState,
    token: usize,
    req: &crate::protocol::Request<'_>,
    now: i64,
) -> bool {
    if now >= state.pause.end_ms {
        let ServerState {
            pause, blocking, ..
        } = state;
        pause.stop(&mut blocking.woken);
        store.set_expiry_paused(false);
        return false;
    }
    if state.clients[token].replica {
        // Replicas are never paused: their REPLCONF ACKs go on.
        return false;
    }
    let Some(spec) = commands::table::lookup(req.arg(0)) else {
        return false;
    };
    let mut write = pausable(store, state, spec, req);
    if spec.name == "exec"
        && let Some(tx) = state.clients[token].multi.take()
    {
        write = tx.queued.iter().any(|q| {
            let q = q.request();
            commands::table::lookup(q.arg(0)).is_some_and(|s| pausable(store, state, s, &q))
        });
        state.clients[token].multi = Some(tx);
    }
    state.pause.holds(write)
}

/// Whether a WRITE pause holds `spec`'s request (Redis's `CMD_WRITE | CMD_MAY_REPLICATE`
/// from `getCommandFlags`, where a script's declared flags replace EVAL's and FCALL's).
fn pausable(
    store: &Store,
    state: &mut ServerState,
    spec: &commands::CommandSpec,
    req: &crate::protocol::Request<'_>,
) -> bool {
    if let Some(write) = commands::scripting::declared_writes(store, state, spec.name, req) {
        return write;
    }
    spec.resolve(req).flags.contains(commands::Flags::WRITE)
        || crate::runtime::pause::may_replicate(spec.name)
}

/// Replies to a malformed request and marks the connection to close after the reply.
fn protocol_error(conn: &mut Conn, state: &mut ServerState, token: usize, e: &ProtocolError) {
    debug!(
        "protocol error from client {}: {e}",
        state.clients[token].id
    );
    Reply::new(&mut conn.wbuf, state.clients[token].resp).error(&e.to_string());
    state.clients[token].close_after_reply = true;
    let _ = conn.rbuf.split();
    conn.rpos = 0;
}
