//! Server-wide state that commands may read or change: configuration, clients, counters,
//! and the registries of blocked clients, watched keys, subscriptions and transactions.
//! Nothing here knows the command table: the commands sit above.

use std::time::Instant;

use slab::Slab;

pub mod blocking;
pub mod evict;
pub mod fds;
pub mod notify;
pub mod observe;
pub mod pause;
pub mod propagate;
pub mod pubsub;
pub mod tracking;
pub mod transaction;
pub mod watch;

use crate::config::Config;
use crate::protocol::RespVersion;

/// What commands know about one connected client (CLIENT LIST, HELLO, SELECT).
/// The server keeps it under the same slab index as the connection's token.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Unique, increasing id (CLIENT ID).
    pub id: u64,
    /// Peer address, `ip:port`.
    pub addr: String,
    /// Local address, `ip:port`.
    pub laddr: String,
    /// Name set by CLIENT SETNAME or HELLO SETNAME.
    pub name: Vec<u8>,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Vec<u8>,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Vec<u8>,
    /// Selected database.
    pub db: usize,
    /// Reply protocol chosen by HELLO.
    pub resp: RespVersion,
    /// Connection time (Unix ms).
    pub created_ms: i64,
    /// Time of the last command (Unix ms).
    pub last_interaction_ms: i64,
    /// Name of the last command run.
    pub last_command: &'static str,
    /// Close the connection once the pending replies are written (QUIT, protocol error).
    pub close_after_reply: bool,
    /// CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON.
    pub reply_off: bool,
    /// The reply to the current command is dropped (CLIENT REPLY SKIP).
    pub reply_skip: bool,
    /// The reply to the next command is dropped too (set by CLIENT REPLY SKIP).
    pub reply_skip_next: bool,
    /// Bytes in the query buffer (updated by the server for CLIENT LIST).
    pub querybuf_len: usize,
    /// Bytes in the output buffer (updated by the server for CLIENT LIST).
    pub outbuf_len: usize,
    /// Bytes allocated for the query buffer (CLIENT LIST's qbuf + qbuf-free).
    pub querybuf_cap: usize,
    /// Bytes allocated for the output buffer (CLIENT LIST's omem).
    pub outbuf_cap: usize,
    /// Set while the client is parked by a blocking command.
    pub blocked: Option<Box<blocking::BlockedOn>>,
    /// Set when a blocked client's command, run again, found nothing and stays parked.
    pub still_blocked: bool,
    /// Blocking commands reply as timed out at once (inside MULTI/EXEC and scripts).
    pub deny_blocking: bool,
    /// A Lua script of this client is running commands (Redis's CLIENT_SCRIPT on its
    /// Lua client): SORT then orders what has no order of its own.
    pub in_script: bool,
    /// The open transaction, between MULTI and EXEC or DISCARD.
    pub multi: Option<Box<transaction::Transaction>>,
    /// The keys this client WATCHes, and whether one of them was touched.
    pub watch: watch::ClientWatch,
    /// The ACL user the client runs as (`default` until AUTH).
    pub user: crate::acl::UserId,
    /// The client has authenticated (or needed not: see `Acl::new_client_authenticated`).
    pub authenticated: bool,
    /// Channels and patterns subscribed to; `Some` exactly while there is at least one
    /// (Redis's CLIENT_PUBSUB flag), so dispatch tests subscriber mode with one check.
    pub pubsub: Option<Box<pubsub::Subscriptions>>,
    /// The current command's reply is pub/sub pushes, written even under CLIENT REPLY
    /// OFF|SKIP (Redis's CLIENT_PUSHING).
    pub pushing: bool,
    /// The client is a replica of this server (PSYNC or SYNC; Redis's CLIENT_SLAVE).
    pub replica: bool,
    /// The client is this replica's master (Redis's CLIENT_MASTER).
    pub master: bool,
    /// CLIENT TRACKING mode, while on.
    pub tracking: Option<Box<tracking::ClientTracking>>,
}

impl ClientInfo {
    /// A fresh client that connected at `now` (Unix ms).
    pub fn new(id: u64, addr: String, laddr: String, now: i64) -> ClientInfo {
        ClientInfo {
            id,
            addr,
            laddr,
            name: Vec::new(),
            lib_name: Vec::new(),
            lib_ver: Vec::new(),
            db: 0,
            resp: RespVersion::V2,
            created_ms: now,
            last_interaction_ms: now,
            last_command: "NULL",
            close_after_reply: false,
            reply_off: false,
            reply_skip: false,
            reply_skip_next: false,
            querybuf_len: 0,
            outbuf_len: 0,
            querybuf_cap: 0,
            outbuf_cap: 0,
            blocked: None,
            still_blocked: false,
            deny_blocking: false,
            in_script: false,
            multi: None,
            watch: Default::default(),
            user: crate::acl::DEFAULT_USER,
            authenticated: true,
            pubsub: None,
            pushing: false,
            replica: false,
            master: false,
            tracking: None,
        }
    }
}

impl ClientInfo {
    /// True when the reply of the command that just ran must be dropped; moves the
    /// SKIP state on to the next command (Redis's `resetClient`).
    pub fn reply_suppressed(&mut self) -> bool {
        let pushed = std::mem::take(&mut self.pushing);
        let drop = (self.reply_off || self.reply_skip) && !pushed;
        self.reply_skip = std::mem::take(&mut self.reply_skip_next);
        drop
    }
}

/// Counters reported by INFO stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct ServerStats {
    /// Connections accepted since start.
    pub connections_received: u64,
    /// Connections refused (maxclients).
    pub rejected_connections: u64,
    /// Commands dispatched since start.
    pub commands_processed: u64,
    /// Error replies sent by commands.
    pub error_replies: u64,
    /// Bytes read from clients.
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Failed AUTH / HELLO AUTH attempts (INFO `acl_access_denied_auth`).
    pub acl_denied_auth: u64,
    /// Commands refused by ACL command rules (INFO `acl_access_denied_cmd`).
    pub acl_denied_cmd: u64,
    /// Commands refused by ACL key patterns (INFO `acl_access_denied_key`).
    pub acl_denied_key: u64,
    /// Commands refused by ACL channel patterns (INFO `acl_access_denied_channel`).
    pub acl_denied_channel: u64,
    /// Clients closed for passing their output buffer limit.
    pub output_limit_disconnections: u64,
}

/// Per-command counters reported by INFO commandstats.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommandStats {
    /// Times the handler ran.
    pub calls: u64,
    /// Nanoseconds spent running it (timed with `observe::ticks`).
    pub nanos: u64,
    /// Refused before running (arity, argument kinds).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
}

/// Most distinct error prefixes tracked by INFO errorstats (Redis's ERRORSTATS_LIMIT).
pub const MAX_ERROR_KINDS: usize = 128;

/// The state shared by all commands beyond the store.
#[derive(Debug)]
pub struct ServerState {
    /// Effective configuration (CONFIG GET/SET read and change it).
    pub config: Config,
    /// Connected clients, by connection token.
    pub clients: Slab<ClientInfo>,
    /// Counters.
    pub stats: ServerStats,
    /// When the server started.
    pub started: Instant,
    /// The TCP port actually bound (differs from the config when it was 0).
    pub port: u16,
    /// Next client id to hand out.
    pub next_client_id: u64,
    /// Set by SHUTDOWN: the event loop stops after this turn.
    pub shutdown: bool,
    /// Counters per command, by position in the command table.
    pub command_stats: Vec<CommandStats>,
    /// Number of commands in the command table (the size of `command_stats`).
    pub command_count: usize,
    /// Error replies by their first word (`ERR`, `WRONGTYPE`, ...), for INFO errorstats.
    pub error_stats: std::collections::BTreeMap<String, u64>,
    /// Tokens of clients killed by CLIENT KILL: the server closes them at the end of
    /// the turn without flushing their pending replies (Redis's `freeClient`).
    pub killed: Vec<usize>,
    /// Clients parked by blocking commands.
    pub blocking: blocking::Blocking,
    /// Who WATCHes which key.
    pub watchers: watch::Watchers,
    /// ACL users and authentication.
    pub acl: crate::acl::Acl,
    /// Pub/sub subscriptions and messages waiting for delivery.
    pub pubsub: pubsub::PubSub,
    /// Lua scripts: the interpreter, the cache, the run in progress.
    pub scripts: crate::scripting::Scripts,
    /// Snapshot state: background save, save points, counters.
    pub persistence: crate::persistence::Persistence,
    /// The stream of writes for the append-only file (and replicas).
    pub propagation: propagate::Propagation,
    /// Slow log, latency monitor and histograms, MONITOR clients.
    pub observe: observe::Observe,
    /// Client-side caching: remembered keys, BCAST prefixes, invalidations to send.
    pub tracking: tracking::Tracking,
    /// CLIENT PAUSE in force, and the clients waiting for its end.
    pub pause: pause::Pause,
    /// `rename-command`s in effect: lowercase name → position in the command table,
    /// `None` for a command renamed away or removed. `None` (the usual case): no
    /// renames, and dispatch looks names up in the table directly.
    pub renames: Option<Box<std::collections::HashMap<Vec<u8>, Option<usize>>>>,
    /// The load of the data set in progress at start-up, if any (clients get
    /// `-LOADING`; INFO shows its progress).
    pub loading: Option<Loading>,
    /// True while memory is over `maxmemory` and eviction stopped at its time budget:
    /// the event loop evicts again before sleeping.
    pub evicting: bool,
    /// Memory was over `maxmemory` with nothing left to evict before the current
    /// command (Redis's `pre_command_oom_state`): scripts refuse `denyoom` commands.
    pub out_of_memory: bool,
    /// Heap bytes in use once the server was set up (INFO's `used_memory_startup`).
    pub startup_memory: usize,
    /// Replication: id, offset, backlog, replicas, the master followed, WAIT.
    pub repl: crate::replication::Replication,
}

/// A load in progress (Redis's `server.loading*` fields).
#[derive(Debug, Clone)]
pub struct Loading {
    /// When it started.
    pub started: Instant,
    /// When it started, in Unix seconds (INFO `loading_start_time`).
    pub start_time: i64,
    /// Bytes to read in all (INFO `loading_total_bytes`).
    pub total_bytes: u64,
    /// Bytes read so far (INFO `loading_loaded_bytes`).
    pub loaded_bytes: u64,
    /// The old data set keeps serving meanwhile (INFO `async_loading:1`, Redis's
    /// `server.async_loading`): a replica loading a full sync aside.
    pub async_load: bool,
}

impl Loading {
    /// A load of `total_bytes` starting now.
    pub fn new(total_bytes: u64) -> Loading {
        Loading {
            started: Instant::now(),
            start_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
            total_bytes,
            loaded_bytes: 0,
            async_load: false,
        }
    }

    /// Percentage read (INFO `loading_loaded_perc`).
    pub fn percent(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.loaded_bytes as f64 * 100.0 / self.total_bytes as f64
        }
    }

    /// Seconds still to go at the pace so far (INFO `loading_eta_seconds`; 1 until
    /// anything is read, as Redis).
    pub fn eta_seconds(&self) -> u64 {
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.loaded_bytes == 0 || elapsed <= 0.0 {
            return 1;
        }
        let rate = self.loaded_bytes as f64 / elapsed;
        (self.total_bytes.saturating_sub(self.loaded_bytes) as f64 / rate) as u64
    }
}

impl ServerState {
    /// The replication position a snapshot taken now carries (Redis's
    /// `rdbPopulateSaveInfo`): a replica's id, offset and the database its master's
    /// stream has selected, once it has a history (a backlog); a master's once
    /// replicas made it keep a backlog, counting the propagated stream not yet fed
    /// to it (the data set already holds those writes). `None` otherwise.
    pub fn save_info(&self) -> Option<crate::persistence::ReplInfo> {
        let repl = &self.repl;
        repl.backlog.as_ref()?;
        let (offset, db) = match &repl.master {
            Some(m) => {
                let connected = m.state == crate::replication::LinkState::Connected;
                let db = m
                    .token
                    .filter(|_| connected)
                    .and_then(|t| self.clients.get(t))
                    .map_or(m.db, |c| c.db);
                (repl.offset, db)
            }
            None => {
                let pending = if self.propagation.is_on() {
                    self.propagation.stream().len() as u64
                } else {
                    0
                };
                let db = self.propagation.selected().unwrap_or(0);
                (repl.offset + pending, db)
            }
        };
        crate::persistence::ReplInfo::new(&repl.replid, offset, db)
    }

    /// True when somebody needs writes key by key: a WATCH, a blocked client, or
    /// keyspace notifications.
    pub fn observes_writes(&self) -> bool {
        self.config.notify_keyspace_events != 0
            || self.tracking.active()
            || !self.watchers.is_empty()
            || self.blocking.has_waiting()
    }

    /// State for a server starting now with `config`, for the command table whose ACL
    /// ids are `registry`.
    pub fn new(config: Config, registry: &'static crate::acl::Registry) -> ServerState {
        let command_count = registry.commands();
        let mut acl = crate::acl::Acl::new(registry);
        acl.channels_default = config.acl_pubsub_allchannels;
        if let Some(hash) = &config.requirepass {
            acl.set_default_password(Some(hash));
        }
        observe::ticks::init();
        let mut observe = observe::Observe::default();
        observe.sync(&config.observe);
        ServerState {
            observe,
            tracking: Default::default(),
            pause: Default::default(),
            acl,
            port: config.port,
            config,
            clients: Slab::new(),
            stats: ServerStats::default(),
            started: Instant::now(),
            next_client_id: 1,
            shutdown: false,
            killed: Vec::new(),
            blocking: Default::default(),
            watchers: Default::default(),
            pubsub: Default::default(),
            scripts: Default::default(),
            persistence: Default::default(),
            propagation: Default::default(),
            renames: None,
            loading: None,
            repl: Default::default(),
            command_stats: Vec::new(),
            command_count,
            error_stats: Default::default(),
            evicting: false,
            out_of_memory: false,
            startup_memory: crate::alloc::used_memory(),
        }
    }

    /// The counters of the command at `index` in the command table.
    pub fn command_stats(&mut self, index: usize) -> &mut CommandStats {
        if index >= self.command_stats.len() {
            self.command_stats
                .resize(self.command_count.max(index + 1), CommandStats::default());
        }
        &mut self.command_stats[index]
    }

    /// Counts one error reply under its first word.
    pub fn count_error(&mut self, text: &str) {
        self.stats.error_replies += 1;
        let kind = text.split(' ').next().unwrap_or("ERR");
        if let Some(n) = self.error_stats.get_mut(kind) {
            *n += 1;
        } else if self.error_stats.len() < MAX_ERROR_KINDS {
            self.error_stats.insert(kind.to_string(), 1);
        }
    }
}
