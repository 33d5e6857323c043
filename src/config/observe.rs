//! The directives of the slow log, the latency monitor and histograms, client-side
//! caching, DEBUG and the metrics endpoint (kept apart from the rest of [`super::Config`]).

/// Default `slowlog-log-slower-than`: 10 ms, as Redis.
pub const DEFAULT_SLOWLOG_SLOWER_THAN_US: i64 = 10_000;
/// Default `slowlog-max-len`, as Redis.
pub const DEFAULT_SLOWLOG_MAX_LEN: usize = 128;
/// Largest `slowlog-max-len` accepted: an entry keeps up to 4 KB of arguments, so this
/// bounds the log near 4 GB in the worst case.
pub const MAX_SLOWLOG_MAX_LEN: usize = 1 << 20;
/// Default `acllog-max-len`, as Redis.
pub const DEFAULT_ACLLOG_MAX_LEN: usize = 128;
/// Largest `acllog-max-len` accepted (as `slowlog-max-len`): each entry keeps a CLIENT
/// LIST line and the refused name, so this bounds the log's entry count.
pub const MAX_ACLLOG_MAX_LEN: usize = 1 << 20;
/// Default `tracking-table-max-keys`, as Redis.
pub const DEFAULT_TRACKING_TABLE_MAX_KEYS: usize = 1_000_000;
/// Most percentiles `latency-tracking-info-percentiles` may list (each one is a field
/// per command in INFO).
pub const MAX_PERCENTILES: usize = 16;

/// `enable-debug-command`: who may run DEBUG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebugCommand {
    /// Nobody.
    No,
    /// Every client.
    Yes,
    /// Clients connected over loopback.
    Local,
}

impl DebugCommand {
    fn name(self) -> &'static str {
        match self {
            DebugCommand::No => "no",
            DebugCommand::Yes => "yes",
            DebugCommand::Local => "local",
        }
    }
}

/// The observability directives.
#[derive(Debug, Clone)]
pub struct ObserveConfig {
    /// Commands that take at least this many microseconds are logged
    /// (`slowlog-log-slower-than`, default 10000; 0 logs all, negative none).
    pub slowlog_log_slower_than: i64,
    /// Entries the slow log keeps (`slowlog-max-len`, default 128).
    pub slowlog_max_len: usize,
    /// Entries the ACL log keeps (`acllog-max-len`, default 128; 0 keeps none).
    pub acllog_max_len: usize,
    /// Latency events of at least this many milliseconds are recorded
    /// (`latency-monitor-threshold`, default 0 = off).
    pub latency_monitor_threshold: u64,
    /// Per-command latency histograms (`latency-tracking`, default yes).
    pub latency_tracking: bool,
    /// Percentiles INFO latencystats shows (`latency-tracking-info-percentiles`,
    /// default "50 99 99.9").
    pub latency_percentiles: Vec<f64>,
    /// Most keys remembered for client-side caching (`tracking-table-max-keys`,
    /// default 1000000; 0 = no limit).
    pub tracking_table_max_keys: usize,
    /// Who may run DEBUG (`enable-debug-command no|yes|local`, default local).
    pub enable_debug_command: DebugCommand,
    /// Port of the Prometheus `/metrics` endpoint (`metrics-port`, default 0 = off);
    /// fixed once started.
    pub metrics_port: u16,
}

impl Default for ObserveConfig {
    fn default() -> Self {
        ObserveConfig {
            slowlog_log_slower_than: DEFAULT_SLOWLOG_SLOWER_THAN_US,
            slowlog_max_len: DEFAULT_SLOWLOG_MAX_LEN,
            acllog_max_len: DEFAULT_ACLLOG_MAX_LEN,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            latency_percentiles: vec![50.0, 99.0, 99.9],
            tracking_table_max_keys: DEFAULT_TRACKING_TABLE_MAX_KEYS,
            enable_debug_command: DebugCommand::Local,
            metrics_port: 0,
        }
    }
}

impl ObserveConfig {
    /// Sets directive `name` (lowercase): `Ok(false)` when it is not one of these.
    pub fn set(&mut self, name: &str, value: &str) -> Result<bool, String> {
        let bad = || format!("invalid value '{value}' for '{name}'");
        match name {
            "slowlog-log-slower-than" => {
                self.slowlog_log_slower_than = value.parse().map_err(|_| bad())?
            }
            "slowlog-max-len" => {
                self.slowlog_max_len = value
                    .parse()
                    .ok()
                    .filter(|&n| n <= MAX_SLOWLOG_MAX_LEN)
                    .ok_or_else(bad)?
            }
            "acllog-max-len" => {
                self.acllog_max_len = value
                    .parse()
                    .ok()
                    .filter(|&n| n <= MAX_ACLLOG_MAX_LEN)
                    .ok_or_else(bad)?
            }
            "latency-monitor-threshold" => {
                self.latency_monitor_threshold = value.parse().map_err(|_| bad())?
            }
            "latency-tracking" => {
                self.latency_tracking = super::parse_bool(value).ok_or_else(bad)?
            }
            "latency-tracking-info-percentiles" => {
                let mut list = Vec::new();
                for word in value.split_ascii_whitespace() {
                    let p: f64 = word.parse().map_err(|_| bad())?;
                    if !(0.0..=100.0).contains(&p) || list.len() == MAX_PERCENTILES {
                        return Err(bad());
                    }
                    list.push(p);
                }
                self.latency_percentiles = list;
            }
            "tracking-table-max-keys" => {
                self.tracking_table_max_keys = value.parse().map_err(|_| bad())?
            }
            "enable-debug-command" => {
                self.enable_debug_command = match value.to_ascii_lowercase().as_str() {
                    "no" => DebugCommand::No,
                    "yes" => DebugCommand::Yes,
                    "local" => DebugCommand::Local,
                    _ => return Err(bad()),
                }
            }
            "metrics-port" => self.metrics_port = value.parse().map_err(|_| bad())?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The value of directive `name`, if it is one of these.
    pub fn get(&self, name: &str) -> Option<String> {
        Some(match name {
            "slowlog-log-slower-than" => self.slowlog_log_slower_than.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "acllog-max-len" => self.acllog_max_len.to_string(),
            "latency-monitor-threshold" => self.latency_monitor_threshold.to_string(),
            "latency-tracking" => super::yes_no(self.latency_tracking),
            "latency-tracking-info-percentiles" => self
                .latency_percentiles
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            "tracking-table-max-keys" => self.tracking_table_max_keys.to_string(),
            "enable-debug-command" => self.enable_debug_command.name().to_string(),
            "metrics-port" => self.metrics_port.to_string(),
            _ => return None,
        })
    }
}
