//! Replication directives (Redis's names and defaults).

use super::{parse_bool, parse_memory, yes_no};

/// Smallest replication backlog accepted (Redis's `CONFIG_REPL_BACKLOG_MIN_SIZE`).
pub const MIN_BACKLOG: usize = 16 * 1024;

/// How a replica loads a full sync (`repl-diskless-load`). rudis always receives the
/// snapshot into a file first (Redis's disk-based load), then loads that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisklessLoad {
    /// The old data set is emptied, then the file loaded; clients get `-LOADING`
    /// meanwhile (Redis's default).
    Disabled,
    /// Redis loads straight from the socket when the data set is empty; rudis
    /// behaves as `disabled` (an empty data set has nothing to keep serving).
    OnEmptyDb,
    /// The file is loaded aside while the old data set stays: it keeps serving
    /// reads (`async_loading:1`) when the master's history is the one this replica
    /// follows, else clients get `-LOADING`; a load that fails leaves it in place.
    Swapdb,
}

impl DisklessLoad {
    /// Redis's name for the value.
    pub fn name(self) -> &'static str {
        match self {
            DisklessLoad::Disabled => "disabled",
            DisklessLoad::OnEmptyDb => "on-empty-db",
            DisklessLoad::Swapdb => "swapdb",
        }
    }

    /// The value named `text` (case-insensitive).
    pub fn parse(text: &str) -> Option<DisklessLoad> {
        [
            DisklessLoad::Disabled,
            DisklessLoad::OnEmptyDb,
            DisklessLoad::Swapdb,
        ]
        .into_iter()
        .find(|v| v.name().eq_ignore_ascii_case(text))
    }
}

/// The replication directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplConfig {
    /// The master to follow (`--replicaof "HOST PORT"`, alias `slaveof`; default none).
    pub replicaof: Option<(String, u16)>,
    /// Password sent to the master with AUTH (`--masterauth`, default none).
    pub masterauth: Option<String>,
    /// User sent to the master with AUTH (`--masteruser`, default none: the default
    /// user).
    pub masteruser: Option<String>,
    /// Clients' writes on a replica get `-READONLY` (`--replica-read-only`, default yes).
    pub replica_read_only: bool,
    /// Serve reads while the link to the master is down (`--replica-serve-stale-data`,
    /// default yes).
    pub replica_serve_stale_data: bool,
    /// Stream the snapshot to replicas without a file (`--repl-diskless-sync`, default
    /// yes).
    pub diskless_sync: bool,
    /// Seconds to wait for more replicas before a full sync starts
    /// (`--repl-diskless-sync-delay`, default 5).
    pub diskless_sync_delay: u64,
    /// How a replica loads a full sync (`--repl-diskless-load
    /// disabled|on-empty-db|swapdb`, default disabled).
    pub diskless_load: DisklessLoad,
    /// Seconds between PINGs the master sends its replicas (`--repl-ping-replica-period`,
    /// default 10).
    pub ping_period: u64,
    /// Seconds of silence after which a link is dropped (`--repl-timeout`, default 60).
    pub timeout: u64,
    /// Bytes of the replication stream kept for partial resyncs (`--repl-backlog-size`,
    /// default 1mb).
    pub backlog_size: usize,
    /// Writes are refused unless this many replicas are connected with a lag of at most
    /// `min_replicas_max_lag` (`--min-replicas-to-write`, default 0 = off).
    pub min_replicas_to_write: u64,
    /// Seconds since a replica's last ACK for it to count (`--min-replicas-max-lag`,
    /// default 10).
    pub min_replicas_max_lag: u64,
    /// Sentinel's promotion priority (`--replica-priority`, default 100).
    pub replica_priority: u64,
    /// Address a replica announces to its master (`--replica-announce-ip`, default none).
    pub announce_ip: Option<String>,
    /// Port a replica announces to its master (`--replica-announce-port`, default 0 =
    /// the listening port).
    pub announce_port: u16,
}

impl Default for ReplConfig {
    fn default() -> Self {
        ReplConfig {
            replicaof: None,
            masterauth: None,
            masteruser: None,
            replica_read_only: true,
            replica_serve_stale_data: true,
            diskless_sync: true,
            diskless_sync_delay: 5,
            diskless_load: DisklessLoad::Disabled,
            ping_period: 10,
            timeout: 60,
            backlog_size: 1024 * 1024,
            min_replicas_to_write: 0,
            min_replicas_max_lag: 10,
            replica_priority: 100,
            announce_ip: None,
            announce_port: 0,
        }
    }
}

/// Parses `HOST PORT` (or `no one`, which is `None`).
/// # Errors
/// Redis-like text for a bad value.
pub fn parse_replicaof(value: &str) -> Result<Option<(String, u16)>, String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    match words.as_slice() {
        [] => Ok(None),
        [no, one] if no.eq_ignore_ascii_case("no") && one.eq_ignore_ascii_case("one") => Ok(None),
        [host, port] => {
            let port = port
                .parse()
                .map_err(|_| "Invalid master port".to_string())?;
            Ok(Some((host.to_string(), port)))
        }
        _ => Err("wrong number of arguments".into()),
    }
}

impl ReplConfig {
    /// The names [`ReplConfig::get`] knows.
    pub const NAMES: &'static [&'static str] = &[
        "replicaof",
        "slaveof",
        "masterauth",
        "masteruser",
        "replica-read-only",
        "slave-read-only",
        "replica-serve-stale-data",
        "slave-serve-stale-data",
        "repl-diskless-sync",
        "repl-diskless-sync-delay",
        "repl-diskless-load",
        "repl-ping-replica-period",
        "repl-ping-slave-period",
        "repl-timeout",
        "repl-backlog-size",
        "min-replicas-to-write",
        "min-slaves-to-write",
        "min-replicas-max-lag",
        "min-slaves-max-lag",
        "replica-priority",
        "slave-priority",
        "replica-announce-ip",
        "slave-announce-ip",
        "replica-announce-port",
        "slave-announce-port",
    ];

    /// Sets directive `name`; `Ok(false)` when it is not a replication directive.
    /// # Errors
    /// Why the value is invalid.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, String> {
        let bad = || format!("invalid value '{value}' for '{name}'");
        let num = || value.parse::<u64>().map_err(|_| bad());
        let opt = || (!value.is_empty()).then(|| value.to_string());
        match name {
            "replicaof" | "slaveof" => self.replicaof = parse_replicaof(value)?,
            "masterauth" => self.masterauth = opt(),
            "masteruser" => self.masteruser = opt(),
            "replica-read-only" | "slave-read-only" => {
                self.replica_read_only = parse_bool(value).ok_or_else(bad)?
            }
            "replica-serve-stale-data" | "slave-serve-stale-data" => {
                self.replica_serve_stale_data = parse_bool(value).ok_or_else(bad)?
            }
            "repl-diskless-sync" => self.diskless_sync = parse_bool(value).ok_or_else(bad)?,
            "repl-diskless-sync-delay" => self.diskless_sync_delay = num()?,
            "repl-diskless-load" => {
                self.diskless_load = DisklessLoad::parse(value).ok_or_else(|| {
                    "argument(s) must be one of the following: disabled, on-empty-db, swapdb"
                        .to_string()
                })?
            }
            "repl-ping-replica-period" | "repl-ping-slave-period" => {
                self.ping_period = num()?.max(1)
            }
            "repl-timeout" => self.timeout = num()?.max(1),
            "repl-backlog-size" => {
                self.backlog_size = parse_memory(value).ok_or_else(bad)?.max(MIN_BACKLOG)
            }
            "min-replicas-to-write" | "min-slaves-to-write" => self.min_replicas_to_write = num()?,
            "min-replicas-max-lag" | "min-slaves-max-lag" => self.min_replicas_max_lag = num()?,
            "replica-priority" | "slave-priority" => self.replica_priority = num()?,
            "replica-announce-ip" | "slave-announce-ip" => self.announce_ip = opt(),
            "replica-announce-port" | "slave-announce-port" => {
                self.announce_port = value.parse().map_err(|_| bad())?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The value of directive `name`, as CONFIG GET shows it.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "replicaof" | "slaveof" => self
                .replicaof
                .as_ref()
                .map(|(h, p)| format!("{h} {p}"))
                .unwrap_or_default(),
            "masterauth" => self.masterauth.clone().unwrap_or_default(),
            "masteruser" => self.masteruser.clone().unwrap_or_default(),
            "replica-read-only" | "slave-read-only" => yes_no(self.replica_read_only),
            "replica-serve-stale-data" | "slave-serve-stale-data" => {
                yes_no(self.replica_serve_stale_data)
            }
            "repl-diskless-sync" => yes_no(self.diskless_sync),
            "repl-diskless-sync-delay" => self.diskless_sync_delay.to_string(),
            "repl-diskless-load" => self.diskless_load.name().to_string(),
            "repl-ping-replica-period" | "repl-ping-slave-period" => self.ping_period.to_string(),
            "repl-timeout" => self.timeout.to_string(),
            "repl-backlog-size" => self.backlog_size.to_string(),
            "min-replicas-to-write" | "min-slaves-to-write" => {
                self.min_replicas_to_write.to_string()
            }
            "min-replicas-max-lag" | "min-slaves-max-lag" => self.min_replicas_max_lag.to_string(),
            "replica-priority" | "slave-priority" => self.replica_priority.to_string(),
            "replica-announce-ip" | "slave-announce-ip" => {
                self.announce_ip.clone().unwrap_or_default()
            }
            "replica-announce-port" | "slave-announce-port" => self.announce_port.to_string(),
            _ => return None,
        })
    }
}
