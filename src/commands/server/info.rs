//! INFO: the server's state as Redis's `# Section` / `field:value` text, CRLF lines.

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::REDIS_VERSION;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::error::CmdError;
use crate::protocol::Request;

/// Sections INFO shows without arguments (and for `default`), in Redis's order.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Sections only `all`/`everything` or an explicit name adds.
const EXTRA_SECTIONS: &[&str] = &["commandstats", "latencystats"];

/// ```text
/// INFO [section [section ...]]
/// ```
/// Sections are matched case-insensitively; `default`, `all` and `everything` select
/// groups; unknown names are ignored. A verbatim string in RESP3, bulk in RESP2.
pub fn info(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut wanted: Vec<&'static str> = Vec::new();
    if req.len() == 1 {
        wanted.extend_from_slice(DEFAULT_SECTIONS);
    }
    for arg in req.args().skip(1) {
        if is(arg, "default") {
            wanted.extend_from_slice(DEFAULT_SECTIONS);
        } else if is(arg, "all") || is(arg, "everything") {
            wanted.extend_from_slice(DEFAULT_SECTIONS);
            wanted.extend_from_slice(EXTRA_SECTIONS);
        } else if is(arg, "module_list") {
            wanted.push("modules");
        } else if let Some(s) = DEFAULT_SECTIONS
            .iter()
            .chain(EXTRA_SECTIONS)
            .find(|s| is(arg, s))
        {
            wanted.push(s);
        }
    }
    let mut text = String::with_capacity(4096);
    for section in DEFAULT_SECTIONS.iter().chain(EXTRA_SECTIONS) {
        if !wanted.contains(section) {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(ctx, section, &mut text);
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// Every section's text, as `INFO everything` shows it (for the metrics endpoint).
pub fn everything(ctx: &Ctx<'_>) -> String {
    let mut text = String::with_capacity(8192);
    for section in DEFAULT_SECTIONS.iter().chain(EXTRA_SECTIONS) {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        write_section(ctx, section, &mut text);
    }
    text
}

/// Appends `# Title` and the fields of one section.
fn write_section(ctx: &Ctx<'_>, section: &str, out: &mut String) {
    let start = out.len();
    let mut title = section.to_string();
    if let Some(first) = title.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let title = if section == "cpu" {
        "CPU".into()
    } else {
        title
    };
    let _ = write!(out, "# {title}\r\n");
    let mut field = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    let state = &*ctx.server;
    match section {
        "server" => {
            let uptime = state.started.elapsed().as_secs();
            field("redis_version", &REDIS_VERSION);
            field("redis_git_sha1", &"00000000");
            field("redis_git_dirty", &0);
            field("redis_build_id", &"0");
            field("rudis_version", &env!("CARGO_PKG_VERSION"));
            field("redis_mode", &"standalone");
            field("os", &os_name());
            field("arch_bits", &(usize::BITS));
            field("multiplexing_api", &"epoll");
            field("process_id", &std::process::id());
            field("process_supervised", &"no");
            field("run_id", &run_id());
            field("tcp_port", &state.port);
            field("server_time_usec", &(ctx.now * 1000));
            field("uptime_in_seconds", &uptime);
            field("uptime_in_days", &(uptime / 86_400));
            field("hz", &state.config.hz);
            field("configured_hz", &state.config.hz);
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            field("executable", &exe);
            let config_file = ctx
                .server
                .config
                .config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            field("config_file", &config_file);
            field("io_threads_active", &0);
        }
        "clients" => {
            field("connected_clients", &state.clients.len());
            field("cluster_connections", &0);
            field("maxclients", &state.config.maxclients);
            field("blocked_clients", &state.blocking.blocked_clients());
            field("tracking_clients", &state.tracking.client_count());
            field("clients_in_timeout_table", &0);
        }
        "memory" => {
            let m = memory_figures(state);
            field("used_memory", &m.used);
            field("used_memory_human", &bytes_to_human(m.used));
            field("used_memory_rss", &m.rss);
            field("used_memory_rss_human", &bytes_to_human(m.rss));
            field("used_memory_peak", &m.peak);
            field("used_memory_peak_human", &bytes_to_human(m.peak));
            field("used_memory_peak_perc", &percent(m.used, m.peak));
            field("used_memory_overhead", &m.overhead);
            field("used_memory_startup", &m.startup);
            field("used_memory_dataset", &m.dataset);
            field(
                "used_memory_dataset_perc",
                &percent(m.dataset, m.used.saturating_sub(m.startup)),
            );
            field("allocator_allocated", &m.allocated);
            field("allocator_active", &m.active);
            field("allocator_resident", &m.rss);
            let total = total_system_memory();
            field("total_system_memory", &total);
            field("total_system_memory_human", &bytes_to_human(total));
            let lua = state.scripts.used_memory() as u64;
            field("used_memory_lua", &lua);
            field("used_memory_vm_eval", &lua);
            field("used_memory_lua_human", &bytes_to_human(lua));
            field("used_memory_scripts_eval", &0);
            field("number_of_cached_scripts", &state.scripts.cached());
            field("number_of_functions", &0);
            field("number_of_libraries", &0);
            field("used_memory_vm_functions", &0);
            field("used_memory_vm_total", &lua);
            field("used_memory_vm_total_human", &bytes_to_human(lua));
            field("used_memory_functions", &0);
            field("used_memory_scripts", &0);
            field("used_memory_scripts_human", &"0B");
            let max = state.config.maxmemory as u64;
            field("maxmemory", &max);
            field("maxmemory_human", &bytes_to_human(max));
            field("maxmemory_policy", &state.config.access.policy.name());
            field("allocator_frag_ratio", &ratio(m.active, m.allocated));
            field(
                "allocator_frag_bytes",
                &m.active.saturating_sub(m.allocated),
            );
            field("allocator_rss_ratio", &ratio(m.rss, m.active));
            field("allocator_rss_bytes", &(m.rss as i64 - m.active as i64));
            field("rss_overhead_ratio", &"1.00");
            field("rss_overhead_bytes", &0);
            field("mem_fragmentation_ratio", &ratio(m.rss, m.used));
            field("mem_fragmentation_bytes", &(m.rss as i64 - m.used as i64));
            field("mem_not_counted_for_evict", &0);
            field("mem_replication_backlog", &0);
            field("mem_total_replication_buffers", &0);
            field("mem_clients_slaves", &0);
            field("mem_clients_normal", &m.clients);
            field("mem_cluster_links", &0);
            field("mem_aof_buffer", &0);
            field("mem_allocator", &crate::alloc::NAME);
            field("active_defrag_running", &0);
            field("lazyfree_pending_objects", &ctx.store.lazyfree_pending());
        }
        "persistence" => {
            let p = &state.persistence;
            match &state.loading {
                None => {
                    field("loading", &0);
                    field("async_loading", &0);
                }
                Some(l) => {
                    field("loading", &1);
                    field("async_loading", &0);
                    field("loading_start_time", &l.start_time);
                    field("loading_total_bytes", &l.total_bytes);
                    field("loading_rdb_used_mem", &0);
                    field("loading_loaded_bytes", &l.loaded_bytes);
                    field("loading_loaded_perc", &format!("{:.2}", l.percent()));
                    field("loading_eta_seconds", &l.eta_seconds());
                }
            }
            field(
                "rdb_changes_since_last_save",
                &p.changes_since_save(ctx.store),
            );
            field("rdb_bgsave_in_progress", &u8::from(p.in_progress()));
            field("rdb_last_save_time", &p.lastsave);
            let status = if p.last_bgsave_ok() { "ok" } else { "err" };
            field("rdb_last_bgsave_status", &status);
            field("rdb_last_bgsave_time_sec", &p.last_bgsave_secs);
            field("rdb_current_bgsave_time_sec", &p.current_bgsave_secs());
            field("rdb_saves", &p.saves);
            field("rdb_last_load_keys_expired", &p.last_load.expired);
            field("rdb_last_load_keys_loaded", &p.last_load.loaded);
            field("aof_enabled", &u8::from(p.aof.is_some()));
            let rw = &p.rewrite;
            field("aof_rewrite_in_progress", &u8::from(rw.in_progress()));
            field("aof_rewrite_scheduled", &u8::from(rw.scheduled));
            field("aof_last_rewrite_time_sec", &rw.last_secs);
            field("aof_current_rewrite_time_sec", &rw.current_secs());
            field(
                "aof_last_bgrewrite_status",
                &if rw.last_ok { "ok" } else { "err" },
            );
            field("aof_rewrites", &rw.rewrites);
            field(
                "aof_rewrites_consecutive_failures",
                &rw.consecutive_failures,
            );
            let write_ok = p.aof.as_ref().is_none_or(|a| a.write_ok);
            field(
                "aof_last_write_status",
                &if write_ok { "ok" } else { "err" },
            );
            if let Some(aof) = &p.aof {
                field("aof_current_size", &aof.current_size());
                field("aof_base_size", &aof.rewrite_base_size);
                field("aof_pending_rewrite", &u8::from(rw.scheduled));
                field("aof_buffer_length", &u8::from(aof.has_buffered()));
                field("aof_pending_bio_fsync", &u8::from(aof.fsync_in_progress()));
                field("aof_delayed_fsync", &aof.delayed_fsync);
            }
        }
        "stats" => {
            let s = &state.stats;
            let k = &ctx.store.stats;
            field("total_connections_received", &s.connections_received);
            field("total_commands_processed", &s.commands_processed);
            field("instantaneous_ops_per_sec", &0);
            field("total_net_input_bytes", &s.net_input_bytes);
            field("total_net_output_bytes", &s.net_output_bytes);
            field("instantaneous_input_kbps", &"0.00");
            field("instantaneous_output_kbps", &"0.00");
            field("rejected_connections", &s.rejected_connections);
            field("expired_keys", &k.expired_keys);
            field("evicted_keys", &k.evicted_keys);
            field("keyspace_hits", &k.hits);
            field("keyspace_misses", &k.misses);
            field("pubsub_channels", &state.pubsub.channel_count());
            field("pubsub_patterns", &state.pubsub.pattern_count());
            field("pubsubshard_channels", &state.pubsub.shard_channel_count());
            // No MIGRATE, so no cached connections (Redis's unit/dump reads it).
            field("migrate_cached_sockets", &0);
            field("tracking_total_keys", &state.tracking.key_count());
            field("tracking_total_items", &state.tracking.item_count());
            field("tracking_total_prefixes", &state.tracking.prefix_count());
            field("total_error_replies", &s.error_replies);
            field("acl_access_denied_auth", &s.acl_denied_auth);
            field("acl_access_denied_cmd", &s.acl_denied_cmd);
            field("acl_access_denied_key", &s.acl_denied_key);
            field("acl_access_denied_channel", &s.acl_denied_channel);
            field(
                "client_output_buffer_limit_disconnections",
                &s.output_limit_disconnections,
            );
            let sync = &state.repl.stats;
            field("sync_full", &sync.full);
            field("sync_partial_ok", &sync.partial_ok);
            field("sync_partial_err", &sync.partial_err);
        }
        "replication" => super::replication::info(ctx, &mut field),
        "cpu" => {
            let (sys, user) = cpu_times();
            field("used_cpu_sys", &sys);
            field("used_cpu_user", &user);
            field("used_cpu_sys_children", &"0.000000");
            field("used_cpu_user_children", &"0.000000");
        }
        "cluster" => field("cluster_enabled", &0),
        "keyspace" => {
            for (i, db) in ctx.store.dbs().iter().enumerate() {
                if !db.is_empty() {
                    let _ = write!(
                        out,
                        "db{i}:keys={},expires={},avg_ttl=0\r\n",
                        db.len(),
                        db.expires_len()
                    );
                }
            }
        }
        "commandstats" => {
            for (spec, stats) in crate::commands::table::all().zip(&ctx.server.command_stats) {
                if stats.calls + stats.rejected_calls + stats.failed_calls == 0 {
                    continue;
                }
                let usec = stats.nanos / 1000;
                let per_call = if stats.calls == 0 {
                    0.0
                } else {
                    stats.nanos as f64 / 1000.0 / stats.calls as f64
                };
                let _ = write!(
                    out,
                    "cmdstat_{}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                    spec.name, stats.calls, usec, stats.rejected_calls, stats.failed_calls
                );
            }
        }
        "latencystats" => write_latencystats(state, out),
        "errorstats" => {
            for (kind, count) in &ctx.server.error_stats {
                let _ = write!(out, "errorstat_{kind}:count={count}\r\n");
            }
        }
        _ => {} // modules: none
    }
    super::info_exporter::append_missing(ctx, section, out, start);
}

/// INFO latencystats: the configured percentiles of each command's latency
/// histogram, in microseconds (Redis's `fillPercentileDistributionLatencies`).
fn write_latencystats(state: &crate::runtime::ServerState, out: &mut String) {
    if !state.config.observe.latency_tracking {
        return;
    }
    let registry = state.acl.registry();
    let percentiles = &state.config.observe.latency_percentiles;
    for (id, h) in state.observe.histograms.iter().enumerate() {
        let Some(h) = h.as_ref().filter(|h| h.total() > 0) else {
            continue;
        };
        let Some(entry) = registry.entries.get(id) else {
            continue;
        };
        let _ = write!(out, "latency_percentiles_usec_{}:", entry.name);
        for (j, p) in percentiles.iter().enumerate() {
            let sep = if j + 1 == percentiles.len() { "" } else { "," };
            let usec = h.percentile(*p) as f64 / 1000.0;
            let _ = write!(out, "p{p}={usec:.3}{sep}");
        }
        out.push_str("\r\n");
    }
}

/// `uname` as Redis prints it: `sysname release machine`.
fn os_name() -> &'static str {
    static OS: OnceLock<String> = OnceLock::new();
    OS.get_or_init(|| {
        // SAFETY: `uname` fills the zeroed struct we own; its fields are
        // NUL-terminated C strings on success.
        let mut u: libc::utsname = unsafe { std::mem::zeroed() };
        if unsafe { libc::uname(&mut u) } != 0 {
            return std::env::consts::OS.to_string();
        }
        let field = |f: &[libc::c_char]| -> String {
            let bytes: Vec<u8> = f
                .iter()
                .take_while(|&&c| c != 0)
                .map(|&c| c as u8)
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        )
    })
}

/// A 40-hex-digit id for this process (Redis's `run_id`), fixed at first use.
fn run_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let seed = crate::store::now_ms() as u64 ^ ((std::process::id() as u64) << 32);
        // Random enough to tell runs apart; not a secret.
        let mut rng = crate::store::Rng::new(seed);
        let mut id = String::with_capacity(40);
        while id.len() < 40 {
            let _ = write!(id, "{:016x}", rng.next_u64());
        }
        id.truncate(40);
        id
    })
}

/// Resident set size from `/proc/self/statm` (0 where it does not exist).
/// The figures of INFO memory and MEMORY STATS, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct MemoryFigures {
    /// Heap in use (the allocator's count).
    pub used: u64,
    /// Most heap in use since start (sampled by the cron and by INFO).
    pub peak: u64,
    /// Resident set size.
    pub rss: u64,
    /// Heap in use right after start-up.
    pub startup: u64,
    /// Client buffers (query and output).
    pub clients: u64,
    /// Startup memory plus client buffers.
    pub overhead: u64,
    /// The rest: keys and values.
    pub dataset: u64,
    /// Bytes malloc hands out (glibc's `uordblks`).
    pub allocated: u64,
    /// Bytes malloc holds from the system (glibc's arena plus mmapped chunks).
    pub active: u64,
}

/// Measures memory now.
pub fn memory_figures(state: &crate::runtime::ServerState) -> MemoryFigures {
    let used = crate::alloc::used_memory() as u64;
    let peak = crate::alloc::note_peak() as u64;
    let startup = state.startup_memory as u64;
    let clients: u64 = state
        .clients
        .iter()
        .map(|(_, c)| (c.querybuf_len + c.outbuf_len) as u64)
        .sum();
    let overhead = startup + clients;
    let (active, allocated, _) = crate::alloc::malloc_info();
    MemoryFigures {
        used,
        peak: peak.max(used),
        rss: rss_bytes(),
        startup,
        clients,
        overhead,
        dataset: used.saturating_sub(overhead),
        allocated: allocated as u64,
        active: active as u64,
    }
}

/// `a / b` with two decimals, as Redis prints ratios.
fn ratio(a: u64, b: u64) -> String {
    format!("{:.2}", if b == 0 { 0.0 } else { a as f64 / b as f64 })
}

/// `a / b` as a percentage with two decimals and `%`.
fn percent(a: u64, b: u64) -> String {
    format!(
        "{:.2}%",
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    )
}

/// Physical memory of the machine.
fn total_system_memory() -> u64 {
    // SAFETY: sysconf only reads system constants.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    u64::try_from(pages).unwrap_or(0) * u64::try_from(page).unwrap_or(4096)
}

/// Resident set size of the process.
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * u64::try_from(page).unwrap_or(4096)
}

/// System and user CPU time of this process, as Redis prints them (`s.micros`).
fn cpu_times() -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return ("0.000000".into(), "0.000000".into());
    }
    let fmt = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (fmt(ru.ru_stime), fmt(ru.ru_utime))
}

/// Redis's `bytesToHuman`: `512B`, `1.50K`, `2.00M`, ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: &[(u64, &str)] = &[
        (1 << 50, "P"),
        (1 << 40, "T"),
        (1 << 30, "G"),
        (1 << 20, "M"),
        (1 << 10, "K"),
    ];
    for &(size, unit) in UNITS {
        if n >= size {
            return format!("{:.2}{unit}", n as f64 / size as f64);
        }
    }
    format!("{n}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(bytes_to_human(512), "512B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(3 << 20), "3.00M");
    }

    #[test]
    fn run_id_is_40_hex() {
        assert_eq!(run_id().len(), 40);
        assert!(run_id().bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
