//! The INFO fields that monitoring tools (Prometheus's redis_exporter) read and that
//! the sections in `info.rs` do not print themselves: each is appended to its
//! section unless the section already has it, with the true value or 0 where the
//! concept does not apply to rudis (no active defragmentation, no I/O threads, no
//! modules, the system allocator's unknown statistics).

use std::fmt::Write as _;

use crate::commands::Ctx;

/// Appends to `out` the fields of `section` missing from what was written since
/// `start`.
pub fn append_missing(ctx: &Ctx<'_>, section: &str, out: &mut String, start: usize) {
    let state = &*ctx.server;
    let fields: Vec<(&str, String)> = match section {
        "clients" => {
            let max_in = state
                .clients
                .iter()
                .map(|(_, c)| c.querybuf_len)
                .max()
                .unwrap_or(0);
            let max_out = state
                .clients
                .iter()
                .map(|(_, c)| c.outbuf_len)
                .max()
                .unwrap_or(0);
            vec![
                ("client_recent_max_input_buffer", max_in.to_string()),
                ("client_recent_max_output_buffer", max_out.to_string()),
            ]
        }
        "memory" => {
            let client_bytes: usize = state
                .clients
                .iter()
                .map(|(_, c)| c.querybuf_len + c.outbuf_len)
                .sum();
            let scripts = state.scripts.used_memory();
            vec![
                ("used_memory_scripts", scripts.to_string()),
                ("used_memory_startup", "0".into()),
                ("used_memory_overhead", client_bytes.to_string()),
                ("used_memory_dataset", "0".into()),
                ("allocator_allocated", "0".into()),
                ("allocator_active", "0".into()),
                ("allocator_resident", "0".into()),
                ("allocator_frag_ratio", "1.00".into()),
                ("allocator_frag_bytes", "0".into()),
                ("allocator_rss_ratio", "1.00".into()),
                ("allocator_rss_bytes", "0".into()),
                ("mem_fragmentation_bytes", "0".into()),
                ("mem_not_counted_for_evict", "0".into()),
                ("mem_clients_slaves", "0".into()),
                ("mem_clients_normal", client_bytes.to_string()),
                ("active_defrag_running", "0".into()),
                (
                    "lazyfreed_objects",
                    ctx.store.stats.lazyfreed_objects.to_string(),
                ),
            ]
        }
        "persistence" => vec![
            ("rdb_last_cow_size", "0".into()),
            ("aof_last_cow_size", "0".into()),
            ("module_fork_in_progress", "0".into()),
            ("module_fork_last_cow_size", "0".into()),
        ],
        "stats" => vec![
            ("sync_full", "0".into()),
            ("sync_partial_ok", "0".into()),
            ("sync_partial_err", "0".into()),
            ("expired_stale_perc", "0.00".into()),
            ("expired_time_cap_reached_count", "0".into()),
            (
                "latest_fork_usec",
                crate::runtime::observe::latest_fork_us().to_string(),
            ),
            ("active_defrag_hits", "0".into()),
            ("active_defrag_misses", "0".into()),
            ("active_defrag_key_hits", "0".into()),
            ("active_defrag_key_misses", "0".into()),
            ("slave_expires_tracked_keys", "0".into()),
            ("unexpected_error_replies", "0".into()),
            ("dump_payload_sanitizations", "0".into()),
            (
                "total_reads_processed",
                state.observe.reads_processed.to_string(),
            ),
            (
                "total_writes_processed",
                state.observe.writes_processed.to_string(),
            ),
            ("io_threaded_reads_processed", "0".into()),
            ("io_threaded_writes_processed", "0".into()),
        ],
        "cpu" => {
            let (sys, user) = thread_cpu_times();
            vec![
                ("used_cpu_sys_main_thread", sys),
                ("used_cpu_user_main_thread", user),
            ]
        }
        _ => return,
    };
    for (name, value) in fields {
        let present = out[start..].contains(&format!("\n{name}:"));
        if !present {
            let _ = write!(out, "{name}:{value}\r\n");
        }
    }
}

/// CPU time of the calling thread, the event loop (`RUSAGE_THREAD`), as Redis's
/// `used_cpu_*_main_thread`.
fn thread_cpu_times() -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_THREAD is Linux's per-thread usage.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) } != 0 {
        return ("0.000000".into(), "0.000000".into());
    }
    let fmt = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (fmt(ru.ru_stime), fmt(ru.ru_utime))
}
