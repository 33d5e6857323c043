//! Server configuration: every flag, its default, and every limit in one place.

mod file;
pub mod keyspace_events;
mod limits;
mod observe;
pub mod passive;
mod replication;
pub mod rewrite;
pub mod sample;

use log::LevelFilter;

pub use file::os_text;
pub use limits::{EncodingLimits, OutputLimit, OutputLimits};
pub use observe::{DebugCommand, ObserveConfig};
pub use replication::{DisklessLoad, ReplConfig, parse_replicaof};

use crate::protocol::ProtoLimits;

/// Default TCP port, the seed server's.
pub const DEFAULT_PORT: u16 = 31337;
/// Default most simultaneous clients (Redis's `maxclients` default).
pub const DEFAULT_MAXCLIENTS: usize = 10_000;
/// Default largest query buffer per client (Redis's `client-query-buffer-limit`, 1 GB).
pub const DEFAULT_MAX_QUERYBUF: usize = 1024 * 1024 * 1024;
/// Output bytes above which a client's further commands wait until the socket drains:
/// bounds the memory a client that pipelines but never reads can make us hold.
pub const OUTPUT_HIGH_WATER: usize = 4 * 1024 * 1024;
/// Default busy-poll window after activity, in microseconds: long enough to catch the
/// next request of a busy client, short enough to cost nothing on an idle server.
pub const DEFAULT_BUSY_POLL_US: u64 = 50;
/// Redis's default `busy-reply-threshold`: five seconds before a script counts as busy.
pub const DEFAULT_BUSY_REPLY_THRESHOLD_MS: u64 = 5000;
/// Lua's memory cap: far above what scripts that move data need, low enough that a
/// runaway script fails instead of exhausting the machine (Redis has no cap).
pub const DEFAULT_LUA_MEMORY_LIMIT: usize = 1024 * 1024 * 1024;
/// Longest busy-poll window accepted: beyond it, spinning only burns CPU.
pub const MAX_BUSY_POLL_US: u64 = 10_000;
/// Default cron frequency in Hz (Redis's `hz`).
pub const DEFAULT_HZ: u32 = 10;

/// The server's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`--bind`, default 127.0.0.1).
    pub bind: String,
    /// Port to listen on (`--port`, default 31337; 0 picks a free port).
    pub port: u16,
    /// Log level (`--loglevel`: debug, verbose, notice, warning, nothing; Rust's
    /// trace/info/warn/error are accepted too).
    pub loglevel: LevelFilter,
    /// The configuration file the server started with, absolute (CONFIG REWRITE
    /// writes it; INFO's `config_file`).
    pub config_file: Option<std::path::PathBuf>,
    /// Where the log goes (`--logfile`, default "": standard error).
    pub logfile: String,
    /// Also log to the system log (`--syslog-enabled yes|no`, default no).
    pub syslog_enabled: bool,
    /// Program name in the system log (`--syslog-ident`, default rudis).
    pub syslog_ident: String,
    /// Syslog facility (`--syslog-facility`: user, local0..local7; default local0).
    pub syslog_facility: String,
    /// Detach from the terminal and run in the background (`--daemonize yes|no`,
    /// default no).
    pub daemonize: bool,
    /// File the process id is written to (`--pidfile`, default "": none, or
    /// /var/run/rudis.pid when daemonized, as Redis).
    pub pidfile: String,
    /// Supervision protocol (`--supervised no|systemd|upstart|auto`, default no).
    pub supervised: String,
    /// Debug knob: microseconds each key adds to a load (`--key-load-delay`, default
    /// 0; Redis's hidden `key-load-delay`, for tests of slow loads).
    pub key_load_delay_us: u64,
    /// `rename-command` directives in order: (command, new name; "" removes it).
    pub renames: Vec<(String, String)>,
    /// `user` directives of the configuration file, in ACL file syntax.
    pub users: Vec<String>,
    /// Values given to [`passive`] directives (the others keep Redis's default).
    pub passive: std::collections::BTreeMap<&'static str, String>,
    /// Most simultaneous clients (`--maxclients`).
    pub maxclients: usize,
    /// Number of databases (`--databases`, default 16).
    pub databases: usize,
    /// Parser limits (`--proto-max-bulk-len` sets the bulk limit).
    pub proto: ProtoLimits,
    /// Largest query buffer per client (`--client-query-buffer-limit`).
    pub max_querybuf: usize,
    /// Cron frequency (`--hz`, 1..=500).
    pub hz: u32,
    /// Seconds a client may stay idle before it is closed (`--timeout`, 0 = never).
    pub timeout: u64,
    /// Milliseconds a script may run before the server answers others with BUSY and
    /// accepts SCRIPT KILL (`--busy-reply-threshold`, alias `lua-time-limit`; 0 = never).
    pub busy_reply_threshold_ms: u64,
    /// Most memory the Lua interpreter may use, in bytes (`--lua-memory-limit`; 0 =
    /// unlimited, as Redis): a script past it fails with `not enough memory`.
    pub lua_memory_limit: usize,
    /// Microseconds to keep polling without sleeping after activity (`--busy-poll-us`,
    /// 0 = always sleep in epoll_wait).
    pub busy_poll_us: u64,
    /// When small collections switch to their big encoding.
    pub encodings: EncodingLimits,
    /// SHA-256 of the default user's password (`--requirepass`; none = `nopass`). The
    /// password itself is never kept.
    pub requirepass: Option<crate::acl::sha256::Digest>,
    /// Refuse clients from other hosts while the default user has no password
    /// (`--protected-mode yes|no`, default yes).
    pub protected_mode: bool,
    /// ACL file loaded at startup and by ACL LOAD, written by ACL SAVE (`--aclfile`,
    /// default none); a relative path is inside `dir` (see [`Config::aclfile_path`]).
    pub aclfile: String,
    /// Users and selectors created from now on allow every channel
    /// (`--acl-pubsub-default allchannels`) or none (`resetchannels`, the default).
    pub acl_pubsub_allchannels: bool,
    /// Keyspace event classes published (`--notify-keyspace-events`, Redis's flag
    /// letters; bits of [`keyspace_events`]; 0 = off, the default).
    pub notify_keyspace_events: u32,
    /// Output buffer limits per client class (`--client-output-buffer-limit`).
    pub output_limits: OutputLimits,
    /// Directory of the snapshot file, absolute (`--dir`, default: the working
    /// directory at startup). Kept as a path instead of a `chdir`, so that servers
    /// embedded in one process (the tests) do not move each other.
    pub dir: std::path::PathBuf,
    /// Snapshot file name inside `dir` (`--dbfilename`, default `dump.rdb`).
    pub dbfilename: String,
    /// Save points: a background save starts once `changes` writes happened and
    /// `seconds` passed since the last save (`--save "SECS CHANGES ..."`, default
    /// none: see README, Persistence).
    pub save: Vec<SavePoint>,
    /// Refuse write commands with `-MISCONF` while the last background save failed
    /// and save points are configured (`--stop-writes-on-bgsave-error yes|no`,
    /// default yes, as Redis).
    pub stop_writes_on_bgsave_error: bool,
    /// The format SAVE, BGSAVE, the shutdown save and DEBUG RELOAD write
    /// (`--snapshot-format rudis|redis`, default rudis: rudis's own format, which
    /// keeps nested documents; redis writes Redis's RDB, a document becoming its
    /// RESP bytes in a string). Loading always follows the file's magic.
    pub snapshot_format: SnapshotFormat,
    /// Debug knob: microseconds each key adds to a save (`--rdb-key-save-delay`,
    /// default 0; Redis's hidden `rdb-key-save-delay`, for tests of slow saves).
    pub rdb_key_save_delay_us: u64,
    /// Log every write to the append-only file (`--appendonly yes|no`, default no;
    /// CONFIG SET yes writes the first base in the background).
    pub appendonly: bool,
    /// When the AOF is fsynced (`--appendfsync always|everysec|no`, default everysec).
    pub appendfsync: Fsync,
    /// Directory of the AOF files inside `dir` (`--appenddirname`, default
    /// `appendonlydir`; fixed once started).
    pub appenddirname: String,
    /// Name the AOF files start with (`--appendfilename`, default `appendonly.aof`;
    /// fixed once started).
    pub appendfilename: String,
    /// Load an AOF whose last command was cut short (a crash mid-write), dropping that
    /// command (`--aof-load-truncated yes|no`, default yes); with no, refuse to start.
    pub aof_load_truncated: bool,
    /// Write the AOF base as an RDB file (`--aof-use-rdb-preamble yes|no`, default
    /// yes, as Redis); a data set holding nested documents is written as commands
    /// instead, since RDB has no document type.
    pub aof_use_rdb_preamble: bool,
    /// Redis's `sanitize-dump-payload yes|no|clients` (default no). Kept for CONFIG
    /// GET: rudis always checks a RESTORE payload and an RDB file in full, bounds
    /// included, whatever the value.
    pub sanitize_dump_payload: SanitizeDumpPayload,
    /// Rewrite the AOF automatically when it grew by this percentage over its size
    /// after the last rewrite (`--auto-aof-rewrite-percentage`, default 100; 0 off).
    pub auto_aof_rewrite_percentage: u64,
    /// No automatic rewrite below this AOF size in bytes
    /// (`--auto-aof-rewrite-min-size`, default 64mb).
    pub auto_aof_rewrite_min_size: u64,
    /// Most heap bytes before keys are evicted or writes refused with -OOM
    /// (`--maxmemory`, default 0 = no limit).
    pub maxmemory: usize,
    /// `maxmemory-policy` (default noeviction), `maxmemory-samples` (5),
    /// `maxmemory-eviction-tenacity` (10), `lfu-log-factor` (10), `lfu-decay-time` (1).
    pub access: crate::store::Access,
    /// Replication directives (`replicaof`, `repl-*`, `min-replicas-*`, ...).
    pub repl: ReplConfig,
    /// Slow log, latency monitor, client-side caching, DEBUG and metrics directives.
    pub observe: ObserveConfig,
}

/// `appendfsync`: when the append-only file is fsynced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before the replies of each event-loop turn (one fsync per turn).
    Always,
    /// At most once a second, on a background thread.
    Everysec,
    /// Never explicitly: the OS flushes.
    No,
}

impl Fsync {
    /// Redis's name for the policy.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }

    fn parse(value: &str) -> Option<Fsync> {
        [Fsync::Always, Fsync::Everysec, Fsync::No]
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(value))
    }
}

/// `snapshot-format`: the file format snapshots are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotFormat {
    /// rudis's own format (keeps nested documents).
    Rudis,
    /// Redis's RDB (version 10, what Redis 7.0 loads).
    Redis,
}

impl SnapshotFormat {
    /// The directive's value for the format.
    pub fn name(self) -> &'static str {
        match self {
            SnapshotFormat::Rudis => "rudis",
            SnapshotFormat::Redis => "redis",
        }
    }

    fn parse(value: &str) -> Option<SnapshotFormat> {
        [SnapshotFormat::Rudis, SnapshotFormat::Redis]
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(value))
    }
}

/// `sanitize-dump-payload`: Redis's choice of when to check RESTORE payloads deeply.
/// rudis accepts the three values and checks every payload in full anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanitizeDumpPayload {
    /// Redis: no deep check.
    No,
    /// Redis: always a deep check.
    Yes,
    /// Redis: a deep check for normal clients only.
    Clients,
}

impl SanitizeDumpPayload {
    /// The directive's value.
    pub fn name(self) -> &'static str {
        match self {
            SanitizeDumpPayload::No => "no",
            SanitizeDumpPayload::Yes => "yes",
            SanitizeDumpPayload::Clients => "clients",
        }
    }

    fn parse(value: &str) -> Option<SanitizeDumpPayload> {
        [
            SanitizeDumpPayload::No,
            SanitizeDumpPayload::Yes,
            SanitizeDumpPayload::Clients,
        ]
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(value))
    }
}

/// One `save` point (Redis's `struct saveparam`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save (at least 1).
    pub seconds: u64,
    /// Writes since the last save.
    pub changes: u64,
}

/// Parses Redis's `save` value: pairs of `seconds changes`, or "" for none.
/// # Errors
/// Redis's `Invalid save parameters`.
pub fn parse_save(value: &str) -> Result<Vec<SavePoint>, String> {
    let bad = || "Invalid save parameters".to_string();
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    if !words.len().is_multiple_of(2) {
        return Err(bad());
    }
    words
        .chunks(2)
        .map(|pair| {
            let seconds = pair[0].parse::<u64>().ok().filter(|&s| s >= 1);
            let changes = pair[1].parse::<u64>().ok();
            match (seconds, changes) {
                (Some(seconds), Some(changes)) => Ok(SavePoint { seconds, changes }),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// The directory `value` names, made absolute (relative to the working directory,
/// as Redis's `chdir`).
/// # Errors
/// The system's text for why it cannot be used (`No such file or directory`, ...).
pub fn resolve_dir(value: &str) -> Result<std::path::PathBuf, String> {
    let path = std::fs::canonicalize(value).map_err(|e| os_text(&e))?;
    if !path.is_dir() {
        return Err(os_text(&std::io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    Ok(path)
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1".to_string(),
            port: DEFAULT_PORT,
            loglevel: LevelFilter::Info,
            config_file: None,
            logfile: String::new(),
            syslog_enabled: false,
            syslog_ident: "rudis".to_string(),
            syslog_facility: "local0".to_string(),
            daemonize: false,
            pidfile: String::new(),
            supervised: "no".to_string(),
            key_load_delay_us: 0,
            renames: Vec::new(),
            users: Vec::new(),
            passive: Default::default(),
            maxclients: DEFAULT_MAXCLIENTS,
            databases: crate::store::DEFAULT_DATABASES,
            proto: ProtoLimits::default(),
            max_querybuf: DEFAULT_MAX_QUERYBUF,
            hz: DEFAULT_HZ,
            busy_poll_us: DEFAULT_BUSY_POLL_US,
            busy_reply_threshold_ms: DEFAULT_BUSY_REPLY_THRESHOLD_MS,
            lua_memory_limit: DEFAULT_LUA_MEMORY_LIMIT,
            timeout: 0,
            encodings: EncodingLimits::default(),
            requirepass: None,
            protected_mode: true,
            aclfile: String::new(),
            acl_pubsub_allchannels: false,
            notify_keyspace_events: 0,
            output_limits: OutputLimits::default(),
            dir: std::env::current_dir().unwrap_or_else(|_| ".".into()),
            dbfilename: "dump.rdb".to_string(),
            save: Vec::new(),
            stop_writes_on_bgsave_error: true,
            snapshot_format: SnapshotFormat::Rudis,
            rdb_key_save_delay_us: 0,
            appendonly: false,
            appendfsync: Fsync::Everysec,
            appenddirname: "appendonlydir".to_string(),
            appendfilename: "appendonly.aof".to_string(),
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            sanitize_dump_payload: SanitizeDumpPayload::No,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 * 1024 * 1024,
            maxmemory: 0,
            access: crate::store::Access::default(),
            repl: ReplConfig::default(),
            observe: ObserveConfig::default(),
        }
    }
}

/// The usage text printed by `--help`.
pub const USAGE: &str = "Usage: rudis-server [/path/to/rudis.conf] [options]
  (the file holds the same directives as the flags, one per line: `port 6380`)
  --bind ADDR                     address to listen on (default 127.0.0.1)
  --port PORT                     TCP port (default 31337; 0 = pick a free port)
  --loglevel LEVEL                debug|verbose|notice|warning|nothing (default notice)
  --logfile PATH                  append the log to PATH, reopened on SIGHUP (default \"\" =
                                  standard error)
  --syslog-enabled yes|no         also log to syslog (default no; --syslog-ident rudis,
                                  --syslog-facility local0)
  --daemonize yes|no              run in the background (default no)
  --pidfile PATH                  write the process id there (default none; daemonized:
                                  /var/run/rudis.pid)
  --supervised no|systemd|upstart|auto  tell the supervisor when ready (default no)
  --maxclients N                  most simultaneous clients (default 10000)
  --databases N                   number of databases (default 16)
  --proto-max-bulk-len BYTES      largest bulk string accepted (default 512mb)
  --client-query-buffer-limit BYTES  largest query buffer per client (default 1gb)
  --hz N                          background task frequency (default 10)
  --timeout SECONDS               close clients idle that long (default 0 = never)
  --busy-reply-threshold MS       a script running longer gets others BUSY replies and may be
                                  killed with SCRIPT KILL (default 5000; alias lua-time-limit)
  --lua-memory-limit BYTES        most memory Lua scripts may use (default 1gb; 0 = unlimited)
  --busy-poll-us N                poll without sleeping for N us after activity (default 50; 0 = off)
  --requirepass PASSWORD          password of the default user (default none)
  --protected-mode yes|no         without a password, refuse non-loopback clients when
                                  bound to a non-loopback address (default yes)
  --aclfile PATH                  ACL users file, loaded at startup (default none;
                                  a relative path is inside --dir)
  --acl-pubsub-default allchannels|resetchannels  channels new ACL users start with
                                  (default resetchannels)
  --hash-max-listpack-entries N   (and the other *-max-listpack-*, set-max-intset-entries,
                                  list-max-listpack-size directives) when small collections
                                  switch to their big encoding (Redis's defaults)
  --stream-node-max-bytes BYTES   stream node size limit (default 4096; 0 = none)
  --stream-node-max-entries N     entries per stream node (default 100; 0 = none)
  --notify-keyspace-events FLAGS  keyspace events to publish, Redis's letters
                                  (K E g $ l s h z x e t m n d A; default \"\" = none)
  --client-output-buffer-limit \"CLASS HARD SOFT SECONDS ...\"
                                  output limits per class (normal, replica, pubsub;
                                  default \"pubsub 32mb 8mb 60\")
  --dir PATH                      directory of the snapshot file (default: the
                                  working directory)
  --dbfilename NAME               snapshot file name (default dump.rdb)
  --save \"SECONDS CHANGES ...\"    background save after CHANGES writes within
                                  SECONDS (default \"\" = no automatic saves)
  --stop-writes-on-bgsave-error yes|no  refuse writes (-MISCONF) while the last
                                  background save failed and save points are set
                                  (default yes)
  --snapshot-format rudis|redis   format SAVE/BGSAVE write: rudis's own (keeps nested
                                  documents) or Redis's RDB (default rudis)
  --appendonly yes|no             log every write to the append-only file (default no)
  --appendfsync always|everysec|no  when the AOF is fsynced (default everysec)
  --appenddirname NAME            directory of the AOF files in dir (default appendonlydir)
  --appendfilename NAME           AOF file name prefix (default appendonly.aof)
  --aof-load-truncated yes|no     start from an AOF cut mid-command (default yes)
  --auto-aof-rewrite-percentage N rewrite the AOF when it grew N% since the last
                                  rewrite (default 100; 0 = never automatically)
  --auto-aof-rewrite-min-size SIZE  no automatic rewrite below SIZE (default 64mb)
  --slowlog-log-slower-than US    log commands taking at least US microseconds in the slow
                                  log (default 10000; 0 = all, negative = none)
  --slowlog-max-len N             entries the slow log keeps (default 128)
  --acllog-max-len N              entries the ACL log keeps (default 128)
  --latency-monitor-threshold MS  record latency events of at least MS ms (default 0 = off)
  --latency-tracking yes|no       per-command latency histograms (default yes)
  --latency-tracking-info-percentiles \"P ...\"  percentiles in INFO latencystats
                                  (default \"50 99 99.9\")
  --tracking-table-max-keys N     keys remembered for client-side caching (default 1000000)
  --enable-debug-command no|yes|local  who may run DEBUG (default local: loopback clients)
  --metrics-port PORT             serve Prometheus metrics on GET /metrics at PORT on the
                                  bind address (default 0 = off)
  --aof-use-rdb-preamble yes|no   write the AOF base as RDB (default yes; commands
                                  when the data set holds nested documents)
  --sanitize-dump-payload no|yes|clients  accepted; rudis always checks RESTORE
                                  payloads in full (default no)
  --maxmemory BYTES               most heap memory before eviction or -OOM (default 0 = none)
  --maxmemory-policy POLICY       volatile-lru|volatile-lfu|volatile-random|volatile-ttl|
                                  allkeys-lru|allkeys-lfu|allkeys-random|noeviction
                                  (default noeviction)
  --maxmemory-samples N           keys sampled per eviction (1..64, default 5)
  --maxmemory-eviction-tenacity N eviction time budget per call (0..100, default 10)
  --lfu-log-factor N              LFU counter growth (default 10)
  --lfu-decay-time MINUTES        LFU counter decay period (default 1; 0 = never)
  --replicaof \"HOST PORT\"         follow that master (alias slaveof; default none)
  --masterauth PASSWORD           password for the master (default none)
  --masteruser NAME               user for the master (default none: default user)
  --replica-read-only yes|no      clients' writes on a replica get -READONLY (default yes)
  --repl-diskless-sync yes|no     stream full syncs without a file (default yes)
  --repl-diskless-sync-delay SECS wait for more replicas before a full sync (default 5)
  --repl-diskless-load MODE       disabled|on-empty-db|swapdb: how a replica loads a full
                                  sync (default disabled)
  --repl-ping-replica-period SECS master PINGs its replicas that often (default 10)
  --repl-timeout SECS             drop a silent replication link (default 60)
  --repl-backlog-size SIZE        stream kept for partial resyncs (default 1mb)
  --min-replicas-to-write N       refuse writes with fewer good replicas (default 0 = off)
  --min-replicas-max-lag SECS     a good replica acked within SECS (default 10)
  --replica-priority N            Sentinel promotion priority (default 100)
  (every Redis 7.0 directive is accepted: those with no effect in rudis are logged
  at start-up; see rudis.conf in the repository for the full list and defaults)
  --version, -v                   print the version and exit
  --help, -h                      print this text";

impl Config {
    /// Where the ACL file is: `aclfile` itself when absolute, else inside `dir` (Redis
    /// `chdir`s to `dir`, so its relative paths are there).
    pub fn aclfile_path(&self) -> String {
        if std::path::Path::new(&self.aclfile).is_absolute() {
            self.aclfile.clone()
        } else {
            self.dir.join(&self.aclfile).to_string_lossy().into_owned()
        }
    }

    /// Sets one directive by name (flags and CONFIG SET share this).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let bad = || format!("invalid value '{value}' for '{name}'");
        match name.to_ascii_lowercase().as_str() {
            "bind" => self.bind = value.to_string(),
            "port" => self.port = value.parse().map_err(|_| bad())?,
            "loglevel" => self.loglevel = parse_level(value).ok_or_else(bad)?,
            "logfile" => self.logfile = value.to_string(),
            "syslog-enabled" => self.syslog_enabled = parse_bool(value).ok_or_else(bad)?,
            "syslog-ident" => self.syslog_ident = value.to_string(),
            "syslog-facility" => {
                if syslog_facility(value).is_none() {
                    return Err(bad());
                }
                self.syslog_facility = value.to_ascii_lowercase()
            }
            "daemonize" => self.daemonize = parse_bool(value).ok_or_else(bad)?,
            "pidfile" => self.pidfile = value.to_string(),
            "supervised" => {
                let mode = value.to_ascii_lowercase();
                if !["no", "upstart", "systemd", "auto"].contains(&mode.as_str()) {
                    return Err(bad());
                }
                self.supervised = mode
            }
            "key-load-delay" => self.key_load_delay_us = value.parse().map_err(|_| bad())?,
            "maxclients" => {
                self.maxclients = value.parse().ok().filter(|&n| n >= 1).ok_or_else(bad)?
            }
            "databases" => {
                self.databases = value
                    .parse()
                    .ok()
                    .filter(|&n| (1..=1_000_000).contains(&n))
                    .ok_or_else(bad)?
            }
            "proto-max-bulk-len" => {
                self.proto.max_bulk_len = parse_memory(value)
                    .filter(|&n| n >= 1024 * 1024)
                    .ok_or_else(bad)?
            }
            "client-query-buffer-limit" => {
                self.max_querybuf = parse_memory(value)
                    .filter(|&n| n >= 1024 * 1024)
                    .ok_or_else(bad)?
            }
            "hz" => {
                self.hz = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=500).contains(n))
                    .ok_or_else(bad)?
            }
            "timeout" => self.timeout = value.parse().map_err(|_| bad())?,
            "busy-reply-threshold" | "lua-time-limit" => {
                self.busy_reply_threshold_ms = value.parse().map_err(|_| bad())?
            }
            "lua-memory-limit" => self.lua_memory_limit = parse_memory(value).ok_or_else(bad)?,
            "busy-poll-us" => {
                self.busy_poll_us = value
                    .parse()
                    .ok()
                    .filter(|&n| n <= MAX_BUSY_POLL_US)
                    .ok_or_else(bad)?
            }
            "requirepass" => {
                self.requirepass =
                    (!value.is_empty()).then(|| crate::acl::sha256::sha256(value.as_bytes()))
            }
            "protected-mode" => self.protected_mode = parse_bool(value).ok_or_else(bad)?,
            "aclfile" => self.aclfile = value.to_string(),
            "acl-pubsub-default" => {
                self.acl_pubsub_allchannels = if value.eq_ignore_ascii_case("allchannels") {
                    true
                } else if value.eq_ignore_ascii_case("resetchannels") {
                    false
                } else {
                    // Redis's words for a bad enum value.
                    return Err(
                        "argument(s) must be one of the following: allchannels, resetchannels"
                            .into(),
                    );
                }
            }
            "notify-keyspace-events" => {
                self.notify_keyspace_events = keyspace_events::flags_from_str(value)
                    .ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?
            }
            "client-output-buffer-limit" => self.output_limits.set(value)?,
            "dir" => self.dir = resolve_dir(value)?,
            "dbfilename" => {
                if value.contains('/') {
                    return Err("dbfilename can't be a path, just a filename".into());
                }
                self.dbfilename = value.to_string()
            }
            "save" => self.save = parse_save(value)?,
            "stop-writes-on-bgsave-error" => {
                self.stop_writes_on_bgsave_error = parse_bool(value).ok_or_else(bad)?
            }
            "snapshot-format" => {
                self.snapshot_format = SnapshotFormat::parse(value).ok_or_else(bad)?
            }
            "rdb-key-save-delay" => {
                self.rdb_key_save_delay_us = value.parse().map_err(|_| bad())?
            }
            "appendonly" => self.appendonly = parse_bool(value).ok_or_else(bad)?,
            "appendfsync" => self.appendfsync = Fsync::parse(value).ok_or_else(bad)?,
            "appenddirname" | "appendfilename" => {
                if value.is_empty() || value.contains('/') {
                    return Err(format!("{name} can't be a path, just a filename"));
                }
                if name.eq_ignore_ascii_case("appenddirname") {
                    self.appenddirname = value.to_string();
                } else {
                    self.appendfilename = value.to_string();
                }
            }
            "aof-load-truncated" => self.aof_load_truncated = parse_bool(value).ok_or_else(bad)?,
            "aof-use-rdb-preamble" => {
                self.aof_use_rdb_preamble = parse_bool(value).ok_or_else(bad)?
            }
            "sanitize-dump-payload" => {
                self.sanitize_dump_payload = SanitizeDumpPayload::parse(value).ok_or_else(bad)?
            }
            "auto-aof-rewrite-percentage" => {
                self.auto_aof_rewrite_percentage = value.parse().map_err(|_| bad())?
            }
            "auto-aof-rewrite-min-size" => {
                self.auto_aof_rewrite_min_size = parse_memory(value).ok_or_else(bad)? as u64
            }
            "maxmemory" => self.maxmemory = parse_memory(value).ok_or_else(bad)?,
            "maxmemory-policy" => {
                self.access.policy = crate::store::Policy::parse(value).ok_or_else(bad)?
            }
            "maxmemory-samples" => {
                self.access.samples = parse_in(value, 1, 64).ok_or_else(bad)? as usize
            }
            "maxmemory-eviction-tenacity" => {
                self.access.tenacity = parse_in(value, 0, 100).ok_or_else(bad)?
            }
            "lfu-log-factor" => {
                self.access.lfu_log_factor = parse_in(value, 0, i32::MAX as u32).ok_or_else(bad)?
            }
            "lfu-decay-time" => {
                self.access.lfu_decay_time = parse_in(value, 0, i32::MAX as u32).ok_or_else(bad)?
            }
            other if self.repl.set(other, value)? => {}
            other => match self.encodings.set(other, value) {
                Ok(true) => {}
                Ok(false) => {
                    if !self.observe.set(other, value)? {
                        let p = passive::find(other)
                            .ok_or_else(|| format!("unknown option '{name}'"))?;
                        // A yes/no directive takes only yes or no, as in Redis.
                        if ["yes", "no"].contains(&p.default) && parse_bool(value).is_none() {
                            return Err(bad());
                        }
                        self.passive.insert(p.name, value.to_string());
                    }
                }
                Err(()) => return Err(bad()),
            },
        }
        Ok(())
    }

    /// The current value of a directive, as CONFIG GET shows it.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "bind" => self.bind.clone(),
            "port" => self.port.to_string(),
            "loglevel" => level_name(self.loglevel).to_string(),
            "logfile" => self.logfile.clone(),
            "syslog-enabled" => yes_no(self.syslog_enabled),
            "syslog-ident" => self.syslog_ident.clone(),
            "syslog-facility" => self.syslog_facility.clone(),
            "daemonize" => yes_no(self.daemonize),
            "pidfile" => self.pidfile.clone(),
            "supervised" => self.supervised.clone(),
            "key-load-delay" => self.key_load_delay_us.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "databases" => self.databases.to_string(),
            "proto-max-bulk-len" => self.proto.max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.max_querybuf.to_string(),
            "hz" => self.hz.to_string(),
            "busy-poll-us" => self.busy_poll_us.to_string(),
            "busy-reply-threshold" | "lua-time-limit" => self.busy_reply_threshold_ms.to_string(),
            "lua-memory-limit" => self.lua_memory_limit.to_string(),
            "timeout" => self.timeout.to_string(),
            // Only the hash is kept: it is what CONFIG GET can show.
            "requirepass" => self
                .requirepass
                .map(|h| crate::acl::sha256::to_hex(&h))
                .unwrap_or_default(),
            "protected-mode" => if self.protected_mode { "yes" } else { "no" }.to_string(),
            "aclfile" => self.aclfile.clone(),
            "acl-pubsub-default" => if self.acl_pubsub_allchannels {
                "allchannels"
            } else {
                "resetchannels"
            }
            .to_string(),
            "notify-keyspace-events" => {
                keyspace_events::flags_to_string(self.notify_keyspace_events)
            }
            "client-output-buffer-limit" => self.output_limits.get(),
            "dir" => self.dir.display().to_string(),
            "dbfilename" => self.dbfilename.clone(),
            "save" => self
                .save
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
            "stop-writes-on-bgsave-error" => if self.stop_writes_on_bgsave_error {
                "yes"
            } else {
                "no"
            }
            .to_string(),
            "snapshot-format" => self.snapshot_format.name().to_string(),
            "rdb-key-save-delay" => self.rdb_key_save_delay_us.to_string(),
            "appendonly" => yes_no(self.appendonly),
            "appendfsync" => self.appendfsync.name().to_string(),
            "appenddirname" => self.appenddirname.clone(),
            "appendfilename" => self.appendfilename.clone(),
            "aof-load-truncated" => yes_no(self.aof_load_truncated),
            "aof-use-rdb-preamble" => yes_no(self.aof_use_rdb_preamble),
            "sanitize-dump-payload" => self.sanitize_dump_payload.name().to_string(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.access.policy.name().to_string(),
            "maxmemory-samples" => self.access.samples.to_string(),
            "maxmemory-eviction-tenacity" => self.access.tenacity.to_string(),
            "lfu-log-factor" => self.access.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.access.lfu_decay_time.to_string(),
            other => {
                return self
                    .repl
                    .get(other)
                    .or_else(|| self.encodings.get(other))
                    .or_else(|| self.observe.get(other))
                    .or_else(|| {
                        let p = passive::find(other)?;
                        Some(
                            self.passive
                                .get(p.name)
                                .map_or(p.default, |v| v)
                                .to_string(),
                        )
                    });
            }
        })
    }

    /// Names of every directive [`Config::get`] knows: [`Config::NAMES`] and the
    /// replication directives ([`ReplConfig::NAMES`]).
    pub fn names() -> impl Iterator<Item = &'static str> + Clone {
        Config::NAMES.iter().chain(ReplConfig::NAMES).copied()
    }

    /// Whether `name` is a directive [`Config::get`] knows.
    pub fn knows(name: &str) -> bool {
        Config::names().any(|n| n == name)
    }

    /// Names of the directives [`Config::get`] knows, but the replication ones.
    pub const NAMES: &'static [&'static str] = &[
        "bind",
        "port",
        "loglevel",
        "logfile",
        "syslog-enabled",
        "syslog-ident",
        "syslog-facility",
        "daemonize",
        "pidfile",
        "supervised",
        "key-load-delay",
        "maxclients",
        "databases",
        "proto-max-bulk-len",
        "client-query-buffer-limit",
        "hz",
        "busy-poll-us",
        "busy-reply-threshold",
        "lua-time-limit",
        "lua-memory-limit",
        "timeout",
        "requirepass",
        "protected-mode",
        "aclfile",
        "acl-pubsub-default",
        "notify-keyspace-events",
        "client-output-buffer-limit",
        "dir",
        "dbfilename",
        "save",
        "stop-writes-on-bgsave-error",
        "snapshot-format",
        "rdb-key-save-delay",
        "appendonly",
        "appendfsync",
        "appenddirname",
        "appendfilename",
        "aof-load-truncated",
        "aof-use-rdb-preamble",
        "sanitize-dump-payload",
        "auto-aof-rewrite-percentage",
        "auto-aof-rewrite-min-size",
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "maxmemory-eviction-tenacity",
        "lfu-log-factor",
        "lfu-decay-time",
        "list-max-listpack-size",
        "list-max-ziplist-size",
        "list-compress-depth",
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "hash-max-listpack-value",
        "hash-max-ziplist-value",
        "set-max-intset-entries",
        "set-max-listpack-entries",
        "set-max-listpack-value",
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        "zset-max-listpack-value",
        "zset-max-ziplist-value",
        "stream-node-max-bytes",
        "stream-node-max-entries",
        "hll-sparse-max-bytes",
        "slowlog-log-slower-than",
        "slowlog-max-len",
        "acllog-max-len",
        "latency-monitor-threshold",
        "latency-tracking",
        "latency-tracking-info-percentiles",
        "tracking-table-max-keys",
        "enable-debug-command",
        "metrics-port",
    ];
}

/// Parses an integer within `min..=max` (Redis's bounded numeric directives).
fn parse_in(value: &str, min: u32, max: u32) -> Option<u32> {
    value.parse().ok().filter(|n| (min..=max).contains(n))
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// Parses Redis's booleans, `yes` and `no` (any case).
fn parse_bool(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if value.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

fn parse_level(value: &str) -> Option<LevelFilter> {
    Some(match value.to_ascii_lowercase().as_str() {
        "debug" | "trace" => LevelFilter::Trace,
        "verbose" => LevelFilter::Debug,
        "notice" | "info" => LevelFilter::Info,
        "warning" | "warn" => LevelFilter::Warn,
        "error" => LevelFilter::Error,
        "nothing" | "off" => LevelFilter::Off,
        _ => return None,
    })
}

fn level_name(level: LevelFilter) -> &'static str {
    match level {
        LevelFilter::Trace => "debug",
        LevelFilter::Debug => "verbose",
        LevelFilter::Info => "notice",
        LevelFilter::Warn | LevelFilter::Error => "warning",
        LevelFilter::Off => "nothing",
    }
}

/// The syslog facility `name` stands for (`user`, `local0`..`local7`, as Redis).
pub fn syslog_facility(name: &str) -> Option<libc::c_int> {
    Some(match name.to_ascii_lowercase().as_str() {
        "user" => libc::LOG_USER,
        "local0" => libc::LOG_LOCAL0,
        "local1" => libc::LOG_LOCAL1,
        "local2" => libc::LOG_LOCAL2,
        "local3" => libc::LOG_LOCAL3,
        "local4" => libc::LOG_LOCAL4,
        "local5" => libc::LOG_LOCAL5,
        "local6" => libc::LOG_LOCAL6,
        "local7" => libc::LOG_LOCAL7,
        _ => return None,
    })
}

/// Parses a memory size as Redis's config does: `1024`, `1kb`, `5mb`, `1gb`, `1k`, `1m`, `1g`.
pub fn parse_memory(value: &str) -> Option<usize> {
    let lower = value.to_ascii_lowercase();
    let (digits, mult) = [
        ("gb", 1usize << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1_000),
        ("b", 1),
    ]
    .iter()
    .find_map(|(suffix, mult)| lower.strip_suffix(suffix).map(|d| (d.to_string(), *mult)))
    .unwrap_or((lower.clone(), 1));
    digits.parse::<usize>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let args = ["--port", "0", "--bind", "0.0.0.0", "--loglevel", "warning"];
        let c = Config::from_args(args.iter().map(|s| s.to_string())).expect("valid");
        assert_eq!(c.port, 0);
        assert_eq!(c.bind, "0.0.0.0");
        assert_eq!(c.loglevel, LevelFilter::Warn);
        assert!(Config::from_args(["--port".to_string()]).is_err());
        assert!(Config::from_args(["--nope".to_string(), "1".to_string()]).is_err());
        let c = Config::from_args(["--busy-poll-us", "0"].iter().map(|s| s.to_string()))
            .expect("valid");
        assert_eq!(c.busy_poll_us, 0);
        assert!(
            Config::from_args(["--busy-poll-us", "99999"].iter().map(|s| s.to_string())).is_err()
        );
    }

    #[test]
    fn auth_flags() {
        let c = Config::default();
        assert!(c.protected_mode);
        assert_eq!(c.requirepass, None);
        assert_eq!(c.get("requirepass").as_deref(), Some(""));
        let args = [
            "--requirepass",
            "foobar",
            "--protected-mode",
            "no",
            "--aclfile",
            "/x",
        ];
        let c = Config::from_args(args.iter().map(|s| s.to_string())).expect("valid");
        assert!(!c.protected_mode);
        assert_eq!(c.aclfile, "/x");
        assert_eq!(
            c.get("requirepass").as_deref(),
            Some("c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2")
        );
        assert_eq!(c.get("protected-mode").as_deref(), Some("no"));
        assert!(
            Config::from_args(["--protected-mode", "maybe"].iter().map(|s| s.to_string())).is_err()
        );
        let c =
            Config::from_args(["--requirepass", ""].iter().map(|s| s.to_string())).expect("valid");
        assert_eq!(c.requirepass, None);
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("512mb"), Some(512 << 20));
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("x"), None);
    }
}
