//! The Prometheus text served on `GET /metrics` (`--metrics-port`): INFO's fields under
//! the names Prometheus's redis_exporter gives them (so dashboards built for it work
//! unchanged), plus each command's latency histogram.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::commands::Ctx;

/// How a field becomes a sample.
#[derive(Clone, Copy)]
enum Kind {
    /// The number as is.
    Gauge,
    /// The number as is, a counter.
    Counter,
    /// Microseconds shown as seconds (gauge).
    UsecAsSeconds,
    /// `ok` → 1, anything else 0.
    Status,
}

/// `(metric, INFO field, kind)`, redis_exporter 1.45's names.
const FIELDS: &[(&str, &str, Kind)] = &[
    (
        "redis_active_defrag_running",
        "active_defrag_running",
        Kind::Gauge,
    ),
    (
        "redis_allocator_active_bytes",
        "allocator_active",
        Kind::Gauge,
    ),
    (
        "redis_allocator_allocated_bytes",
        "allocator_allocated",
        Kind::Gauge,
    ),
    (
        "redis_allocator_frag_bytes",
        "allocator_frag_bytes",
        Kind::Gauge,
    ),
    (
        "redis_allocator_frag_ratio",
        "allocator_frag_ratio",
        Kind::Gauge,
    ),
    (
        "redis_allocator_resident_bytes",
        "allocator_resident",
        Kind::Gauge,
    ),
    (
        "redis_allocator_rss_bytes",
        "allocator_rss_bytes",
        Kind::Gauge,
    ),
    (
        "redis_allocator_rss_ratio",
        "allocator_rss_ratio",
        Kind::Gauge,
    ),
    (
        "redis_aof_current_rewrite_duration_sec",
        "aof_current_rewrite_time_sec",
        Kind::Gauge,
    ),
    ("redis_aof_enabled", "aof_enabled", Kind::Gauge),
    (
        "redis_aof_last_bgrewrite_status",
        "aof_last_bgrewrite_status",
        Kind::Status,
    ),
    (
        "redis_aof_last_cow_size_bytes",
        "aof_last_cow_size",
        Kind::Gauge,
    ),
    (
        "redis_aof_last_rewrite_duration_sec",
        "aof_last_rewrite_time_sec",
        Kind::Gauge,
    ),
    (
        "redis_aof_last_write_status",
        "aof_last_write_status",
        Kind::Status,
    ),
    (
        "redis_aof_rewrite_in_progress",
        "aof_rewrite_in_progress",
        Kind::Gauge,
    ),
    (
        "redis_aof_rewrite_scheduled",
        "aof_rewrite_scheduled",
        Kind::Gauge,
    ),
    ("redis_blocked_clients", "blocked_clients", Kind::Gauge),
    (
        "redis_client_recent_max_input_buffer_bytes",
        "client_recent_max_input_buffer",
        Kind::Gauge,
    ),
    (
        "redis_client_recent_max_output_buffer_bytes",
        "client_recent_max_output_buffer",
        Kind::Gauge,
    ),
    (
        "redis_clients_in_timeout_table",
        "clients_in_timeout_table",
        Kind::Gauge,
    ),
    (
        "redis_cluster_connections",
        "cluster_connections",
        Kind::Gauge,
    ),
    ("redis_cluster_enabled", "cluster_enabled", Kind::Gauge),
    (
        "redis_commands_processed_total",
        "total_commands_processed",
        Kind::Counter,
    ),
    ("redis_connected_clients", "connected_clients", Kind::Gauge),
    ("redis_connected_slaves", "connected_slaves", Kind::Gauge),
    (
        "redis_connections_received_total",
        "total_connections_received",
        Kind::Counter,
    ),
    (
        "redis_cpu_sys_children_seconds_total",
        "used_cpu_sys_children",
        Kind::Counter,
    ),
    (
        "redis_cpu_sys_main_thread_seconds_total",
        "used_cpu_sys_main_thread",
        Kind::Counter,
    ),
    ("redis_cpu_sys_seconds_total", "used_cpu_sys", Kind::Counter),
    (
        "redis_cpu_user_children_seconds_total",
        "used_cpu_user_children",
        Kind::Counter,
    ),
    (
        "redis_cpu_user_main_thread_seconds_total",
        "used_cpu_user_main_thread",
        Kind::Counter,
    ),
    (
        "redis_cpu_user_seconds_total",
        "used_cpu_user",
        Kind::Counter,
    ),
    ("redis_defrag_hits", "active_defrag_hits", Kind::Gauge),
    (
        "redis_defrag_key_hits",
        "active_defrag_key_hits",
        Kind::Gauge,
    ),
    (
        "redis_defrag_key_misses",
        "active_defrag_key_misses",
        Kind::Gauge,
    ),
    ("redis_defrag_misses", "active_defrag_misses", Kind::Gauge),
    (
        "redis_dump_payload_sanitizations",
        "dump_payload_sanitizations",
        Kind::Gauge,
    ),
    ("redis_evicted_keys_total", "evicted_keys", Kind::Counter),
    ("redis_expired_keys_total", "expired_keys", Kind::Counter),
    (
        "redis_expired_stale_percentage",
        "expired_stale_perc",
        Kind::Gauge,
    ),
    (
        "redis_expired_time_cap_reached_total",
        "expired_time_cap_reached_count",
        Kind::Counter,
    ),
    (
        "redis_io_threaded_reads_processed",
        "io_threaded_reads_processed",
        Kind::Gauge,
    ),
    (
        "redis_io_threaded_writes_processed",
        "io_threaded_writes_processed",
        Kind::Gauge,
    ),
    ("redis_io_threads_active", "io_threads_active", Kind::Gauge),
    ("redis_keyspace_hits_total", "keyspace_hits", Kind::Counter),
    (
        "redis_keyspace_misses_total",
        "keyspace_misses",
        Kind::Counter,
    ),
    (
        "redis_latest_fork_seconds",
        "latest_fork_usec",
        Kind::UsecAsSeconds,
    ),
    (
        "redis_lazyfree_pending_objects",
        "lazyfree_pending_objects",
        Kind::Gauge,
    ),
    ("redis_loading_dump_file", "loading", Kind::Gauge),
    (
        "redis_master_repl_offset",
        "master_repl_offset",
        Kind::Gauge,
    ),
    (
        "redis_mem_clients_normal",
        "mem_clients_normal",
        Kind::Gauge,
    ),
    (
        "redis_mem_clients_slaves",
        "mem_clients_slaves",
        Kind::Gauge,
    ),
    (
        "redis_mem_fragmentation_bytes",
        "mem_fragmentation_bytes",
        Kind::Gauge,
    ),
    (
        "redis_mem_fragmentation_ratio",
        "mem_fragmentation_ratio",
        Kind::Gauge,
    ),
    (
        "redis_mem_not_counted_for_eviction_bytes",
        "mem_not_counted_for_evict",
        Kind::Gauge,
    ),
    ("redis_memory_max_bytes", "maxmemory", Kind::Gauge),
    ("redis_memory_used_bytes", "used_memory", Kind::Gauge),
    (
        "redis_memory_used_dataset_bytes",
        "used_memory_dataset",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_lua_bytes",
        "used_memory_lua",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_overhead_bytes",
        "used_memory_overhead",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_peak_bytes",
        "used_memory_peak",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_rss_bytes",
        "used_memory_rss",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_scripts_bytes",
        "used_memory_scripts",
        Kind::Gauge,
    ),
    (
        "redis_memory_used_startup_bytes",
        "used_memory_startup",
        Kind::Gauge,
    ),
    (
        "redis_migrate_cached_sockets_total",
        "migrate_cached_sockets",
        Kind::Gauge,
    ),
    (
        "redis_module_fork_in_progress",
        "module_fork_in_progress",
        Kind::Gauge,
    ),
    (
        "redis_module_fork_last_cow_size",
        "module_fork_last_cow_size",
        Kind::Gauge,
    ),
    (
        "redis_net_input_bytes_total",
        "total_net_input_bytes",
        Kind::Counter,
    ),
    (
        "redis_net_output_bytes_total",
        "total_net_output_bytes",
        Kind::Counter,
    ),
    (
        "redis_number_of_cached_scripts",
        "number_of_cached_scripts",
        Kind::Gauge,
    ),
    ("redis_process_id", "process_id", Kind::Gauge),
    ("redis_pubsub_channels", "pubsub_channels", Kind::Gauge),
    ("redis_pubsub_patterns", "pubsub_patterns", Kind::Gauge),
    (
        "redis_rdb_bgsave_in_progress",
        "rdb_bgsave_in_progress",
        Kind::Gauge,
    ),
    (
        "redis_rdb_changes_since_last_save",
        "rdb_changes_since_last_save",
        Kind::Gauge,
    ),
    (
        "redis_rdb_current_bgsave_duration_sec",
        "rdb_current_bgsave_time_sec",
        Kind::Gauge,
    ),
    (
        "redis_rdb_last_bgsave_duration_sec",
        "rdb_last_bgsave_time_sec",
        Kind::Gauge,
    ),
    (
        "redis_rdb_last_bgsave_status",
        "rdb_last_bgsave_status",
        Kind::Status,
    ),
    (
        "redis_rdb_last_cow_size_bytes",
        "rdb_last_cow_size",
        Kind::Gauge,
    ),
    (
        "redis_rdb_last_save_timestamp_seconds",
        "rdb_last_save_time",
        Kind::Gauge,
    ),
    (
        "redis_rejected_connections_total",
        "rejected_connections",
        Kind::Counter,
    ),
    (
        "redis_repl_backlog_first_byte_offset",
        "repl_backlog_first_byte_offset",
        Kind::Gauge,
    ),
    (
        "redis_repl_backlog_history_bytes",
        "repl_backlog_histlen",
        Kind::Gauge,
    ),
    (
        "redis_repl_backlog_is_active",
        "repl_backlog_active",
        Kind::Gauge,
    ),
    (
        "redis_replica_partial_resync_accepted",
        "sync_partial_ok",
        Kind::Gauge,
    ),
    (
        "redis_replica_partial_resync_denied",
        "sync_partial_err",
        Kind::Gauge,
    ),
    ("redis_replica_resyncs_full", "sync_full", Kind::Gauge),
    (
        "redis_replication_backlog_bytes",
        "repl_backlog_size",
        Kind::Gauge,
    ),
    (
        "redis_second_repl_offset",
        "second_repl_offset",
        Kind::Gauge,
    ),
    (
        "redis_slave_expires_tracked_keys",
        "slave_expires_tracked_keys",
        Kind::Gauge,
    ),
    (
        "redis_total_error_replies",
        "total_error_replies",
        Kind::Gauge,
    ),
    (
        "redis_total_reads_processed",
        "total_reads_processed",
        Kind::Gauge,
    ),
    (
        "redis_total_writes_processed",
        "total_writes_processed",
        Kind::Gauge,
    ),
    ("redis_tracking_clients", "tracking_clients", Kind::Gauge),
    (
        "redis_tracking_total_items",
        "tracking_total_items",
        Kind::Gauge,
    ),
    (
        "redis_tracking_total_keys",
        "tracking_total_keys",
        Kind::Gauge,
    ),
    (
        "redis_tracking_total_prefixes",
        "tracking_total_prefixes",
        Kind::Gauge,
    ),
    (
        "redis_unexpected_error_replies",
        "unexpected_error_replies",
        Kind::Gauge,
    ),
    ("redis_uptime_in_seconds", "uptime_in_seconds", Kind::Gauge),
];

/// Samples grouped by metric family, each family written once with its HELP and
/// TYPE lines, in first-seen order (the text format wants a family's samples
/// together).
#[derive(Default)]
struct Writer {
    families: Vec<(String, &'static str, String)>,
    index: HashMap<String, usize>,
}

impl Writer {
    /// A sample of family `name` (its own name).
    fn sample(&mut self, name: &str, kind: &'static str, labels: &str, value: f64) {
        self.sample_in(name, kind, name, labels, value);
    }

    /// A sample named `sample` (e.g. `<family>_count`) of family `family`.
    fn sample_in(
        &mut self,
        family: &str,
        kind: &'static str,
        sample: &str,
        labels: &str,
        value: f64,
    ) {
        let i = match self.index.get(family) {
            Some(&i) => i,
            None => {
                self.families
                    .push((family.to_string(), kind, String::new()));
                self.index
                    .insert(family.to_string(), self.families.len() - 1);
                self.families.len() - 1
            }
        };
        let _ = writeln!(
            self.families[i].2,
            "{sample}{labels} {}",
            format_value(value)
        );
    }

    fn finish(self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        for (name, kind, samples) in self.families {
            let _ = write!(out, "# HELP {name} {name}\n# TYPE {name} {kind}\n{samples}");
        }
        out
    }
}

fn format_value(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Escapes a label value (backslash, quote, newline).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The whole `/metrics` page.
pub fn render(ctx: &Ctx<'_>) -> String {
    let info = super::info::everything(ctx);
    let fields: HashMap<&str, &str> = info
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .collect();
    let mut w = Writer::default();
    w.sample("redis_up", "gauge", "", 1.0);
    let version = fields.get("redis_version").copied().unwrap_or("");
    let labels = format!(
        "{{maxmemory_policy=\"{}\",os=\"{}\",process_id=\"{}\",redis_build_id=\"\",redis_mode=\"standalone\",redis_version=\"{}\",role=\"master\",run_id=\"{}\",tcp_port=\"{}\"}}",
        label(
            fields
                .get("maxmemory_policy")
                .copied()
                .unwrap_or("noeviction")
        ),
        label(fields.get("os").copied().unwrap_or("")),
        label(fields.get("process_id").copied().unwrap_or("")),
        label(version),
        label(fields.get("run_id").copied().unwrap_or("")),
        label(fields.get("tcp_port").copied().unwrap_or("")),
    );
    w.sample("redis_instance_info", "gauge", &labels, 1.0);
    for &(name, field, kind) in FIELDS {
        let Some(raw) = fields.get(field) else {
            continue;
        };
        let (value, ty) = match kind {
            Kind::Gauge => (raw.parse::<f64>().ok(), "gauge"),
            Kind::Counter => (raw.parse::<f64>().ok(), "counter"),
            Kind::UsecAsSeconds => (raw.parse::<f64>().ok().map(|v| v / 1e6), "gauge"),
            Kind::Status => (Some(f64::from(u8::from(*raw == "ok"))), "gauge"),
        };
        if let Some(v) = value {
            w.sample(name, ty, "", v);
        }
    }
    let config = &ctx.server.config;
    w.sample(
        "redis_config_maxclients",
        "gauge",
        "",
        config.maxclients as f64,
    );
    let maxmemory = fields
        .get("maxmemory")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    w.sample("redis_config_maxmemory", "gauge", "", maxmemory);
    w.sample("redis_config_io_threads", "gauge", "", 1.0);
    let uptime: f64 = fields
        .get("uptime_in_seconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let now = ctx.now as f64 / 1000.0;
    w.sample(
        "redis_start_time_seconds",
        "gauge",
        "",
        (now - uptime).floor(),
    );
    let slow = &ctx.server.observe.slowlog;
    w.sample(
        "redis_slowlog_length",
        "gauge",
        "",
        slow.entries.len() as f64,
    );
    let (last_id, last_dur) = slow
        .entries
        .front()
        .map_or((0.0, 0.0), |e| (e.id as f64, e.duration_us as f64 / 1e6));
    w.sample("redis_slowlog_last_id", "gauge", "", last_id);
    w.sample(
        "redis_last_slow_execution_duration_seconds",
        "gauge",
        "",
        last_dur,
    );
    // Keyspace: db0:keys=1,expires=0,avg_ttl=0
    for (field, value) in &fields {
        let Some(db) = field
            .strip_prefix("db")
            .filter(|d| d.parse::<u32>().is_ok())
        else {
            continue;
        };
        let labels = format!("{{db=\"db{db}\"}}");
        for part in value.split(',') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v: f64 = v.parse().unwrap_or(0.0);
            match k {
                "keys" => w.sample("redis_db_keys", "gauge", &labels, v),
                "expires" => w.sample("redis_db_keys_expiring", "gauge", &labels, v),
                "avg_ttl" => w.sample("redis_db_avg_ttl_seconds", "gauge", &labels, v / 1000.0),
                _ => {}
            }
        }
    }
    // cmdstat_get:calls=1,usec=2,usec_per_call=2.00,rejected_calls=0,failed_calls=0
    for (field, value) in &fields {
        let Some(cmd) = field.strip_prefix("cmdstat_") else {
            continue;
        };
        let labels = format!("{{cmd=\"{}\"}}", label(cmd));
        for part in value.split(',') {
            let Some((k, v)) = part.split_once('=') else {
                continue;
            };
            let v: f64 = v.parse().unwrap_or(0.0);
            match k {
                "calls" => w.sample("redis_commands_total", "counter", &labels, v),
                "usec" => w.sample(
                    "redis_commands_duration_seconds_total",
                    "counter",
                    &labels,
                    v / 1e6,
                ),
                "rejected_calls" => {
                    w.sample("redis_commands_rejected_calls_total", "counter", &labels, v)
                }
                "failed_calls" => {
                    w.sample("redis_commands_failed_calls_total", "counter", &labels, v)
                }
                _ => {}
            }
        }
    }
    for (field, value) in &fields {
        let Some(kind) = field.strip_prefix("errorstat_") else {
            continue;
        };
        let count = value
            .strip_prefix("count=")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        w.sample(
            "redis_errors_total",
            "counter",
            &format!("{{err=\"{}\"}}", label(kind)),
            count,
        );
    }
    latency(ctx, &mut w);
    w.sample(
        "redis_exporter_last_scrape_error",
        "gauge",
        "{err=\"\"}",
        0.0,
    );
    w.finish()
}

/// The family of the full latency histograms, and its bucket samples.
const HIST: &str = "rudis_command_latency_seconds";
const BUCKET: &str = "rudis_command_latency_seconds_bucket";

/// Per-command latency: redis_exporter's percentile summary, and the full histogram.
fn latency(ctx: &Ctx<'_>, w: &mut Writer) {
    let registry = ctx.server.acl.registry();
    let percentiles = &ctx.server.config.observe.latency_percentiles;
    for (id, h) in ctx.server.observe.histograms.iter().enumerate() {
        let Some(h) = h.as_ref() else {
            continue;
        };
        let total = h.total();
        let Some(entry) = registry.entries.get(id).filter(|_| total > 0) else {
            continue;
        };
        let cmd = label(entry.name);
        for p in percentiles {
            let usec = h.percentile(*p) as f64 / 1000.0;
            let labels = format!("{{cmd=\"{cmd}\",quantile=\"{p}\"}}");
            w.sample("redis_latency_percentiles_usec", "summary", &labels, usec);
        }
        let index = if id < registry.commands() {
            Some(id)
        } else {
            None
        };
        let sum_us = index
            .and_then(|i| ctx.server.command_stats.get(i))
            .map_or(0.0, |s| s.nanos as f64 / 1000.0);
        let labels = format!("{{cmd=\"{cmd}\"}}");
        let family = "redis_latency_percentiles_usec";
        w.sample_in(
            family,
            "summary",
            "redis_latency_percentiles_usec_sum",
            &labels,
            sum_us,
        );
        let count = total as f64;
        w.sample_in(
            family,
            "summary",
            "redis_latency_percentiles_usec_count",
            &labels,
            count,
        );
        for (bound, count) in h.cumulative_usec() {
            let labels = format!("{{cmd=\"{cmd}\",le=\"{}\"}}", bound as f64 / 1e6);
            w.sample_in(HIST, "histogram", BUCKET, &labels, count as f64);
        }
        let labels_inf = format!("{{cmd=\"{cmd}\",le=\"+Inf\"}}");
        w.sample_in(HIST, "histogram", BUCKET, &labels_inf, total as f64);
        w.sample_in(
            HIST,
            "histogram",
            "rudis_command_latency_seconds_count",
            &labels,
            total as f64,
        );
        w.sample_in(
            HIST,
            "histogram",
            "rudis_command_latency_seconds_sum",
            &labels,
            sum_us / 1e6,
        );
    }
}
