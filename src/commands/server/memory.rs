//! MEMORY USAGE (an estimate of the bytes a key takes, from the sizes of the
//! structures that hold it), MEMORY STATS / DOCTOR / MALLOC-STATS / PURGE (from the
//! counted allocator, [`crate::alloc`]) and MEMORY HELP.

use super::command::{reply_help, run_subcommand};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::Value;
use crate::store::hash::Hash;
use crate::store::list::List;
use crate::{flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "memory",
    -2,
    flags!(),
    Group::Server,
    "A container for memory diagnostics commands.",
    memory,
)
.subcommands(SUBCOMMANDS)];

/// MEMORY's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "memory|usage",
        -3,
        flags!(READONLY),
        Group::Server,
        "Estimates the memory usage of a key.",
        usage,
    )
    .keys(&[KeySpec::at(kf!(RO), 2)]),
    CommandSpec::new(
        "memory|stats",
        2,
        flags!(),
        Group::Server,
        "Returns details about memory usage.",
        stats,
    ),
    CommandSpec::new(
        "memory|doctor",
        2,
        flags!(),
        Group::Server,
        "Outputs a memory problems report.",
        doctor,
    ),
    CommandSpec::new(
        "memory|malloc-stats",
        2,
        flags!(),
        Group::Server,
        "Returns the allocator statistics.",
        malloc_stats,
    ),
    CommandSpec::new(
        "memory|purge",
        2,
        flags!(),
        Group::Server,
        "Asks the allocator to release memory.",
        purge,
    ),
    CommandSpec::new(
        "memory|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns helpful text about the different subcommands.",
        help,
    ),
];

/// Bytes of a key table entry: a 24-byte key, a 24-byte value, a `u32` of metadata
/// (hash tag, access clock, TTL flag) and a `u32` link, plus about one `u32` bucket head.
const ENTRY_BYTES: usize = 60;
/// Per-element estimate for collection types that report no size of their own.
const ELEMENT_BYTES: usize = 32;
/// Elements sampled when SAMPLES is not given (Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`):
/// the estimate of a big collection stays O(1).
const DEFAULT_SAMPLES: usize = 5;

/// ```text
/// MEMORY <subcommand> [<arg> ...]
/// ```
fn memory(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("memory", SUBCOMMANDS, ctx, req)
}

/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// ```
/// The estimated bytes of the key, its value and its table entry; null for a missing
/// key. Elements of variable size are sampled: `count` of them (default 5, 0 = all).
fn usage(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < req.len() {
        if is(req.arg(i), "samples") && i + 1 < req.len() {
            let n = parse_i64(req.arg(i + 1))?;
            samples = usize::try_from(n).map_err(|_| CmdError::Syntax)?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let key = req.arg(2);
    let Some(k) = ctx.read_key(key) else {
        ctx.out.null();
        return Ok(());
    };
    let spilled_key = if key.len() > crate::store::bytes::INLINE_CAP {
        key.len()
    } else {
        0
    };
    let bytes = ENTRY_BYTES + spilled_key + value_bytes(k.value(), samples);
    ctx.out.int(bytes as i64);
    Ok(())
}

/// Heap bytes a value owns, sampling `samples` elements of a big one (0 = all).
fn value_bytes(value: &Value, samples: usize) -> usize {
    match value {
        Value::Str(s) if s.is_heap() => s.capacity(),
        Value::Str(_) | Value::Int(_) => 0,
        Value::Doc(d) => d.len(),
        Value::Hash(h) => std::mem::size_of::<Hash>() + h.heap_bytes(samples),
        Value::List(l) => std::mem::size_of::<List>() + l.heap_bytes(samples),
        Value::Stream(s) => s.memory(),
        other => other.elements() * ELEMENT_BYTES,
    }
}

/// ```text
/// MEMORY HELP
/// ```
fn help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}

/// ```text
/// MEMORY STATS
/// ```
/// Redis's map of memory figures (overheads, dataset, allocator, fragmentation), with
/// each non-empty database's table overhead.
fn stats(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let m = crate::commands::server::info::memory_figures(ctx.server);
    let keys: usize = ctx.store.dbs().iter().map(|d| d.len()).sum();
    let lua = ctx.server.scripts.used_memory() as u64;
    let dbs: Vec<(usize, usize, usize)> = ctx
        .store
        .dbs()
        .iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, d)| (i, d.len() * ENTRY_BYTES, d.expires_len() * ENTRY_BYTES))
        .collect();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let out = &mut ctx.out;
    out.map_len(27 + dbs.len());
    let int = |out: &mut crate::protocol::Reply<'_>, name: &str, v: u64| {
        out.bulk(name.as_bytes());
        out.int(v as i64);
    };
    int(out, "peak.allocated", m.peak);
    int(out, "total.allocated", m.used);
    int(out, "startup.allocated", m.startup);
    int(out, "replication.backlog", 0);
    int(out, "clients.slaves", 0);
    int(out, "clients.normal", m.clients);
    int(out, "cluster.links", 0);
    int(out, "aof.buffer", 0);
    int(out, "lua.caches", lua);
    int(out, "functions.caches", 0);
    for (db, main, expires) in &dbs {
        out.bulk(format!("db.{db}").as_bytes());
        out.map_len(2);
        int(out, "overhead.hashtable.main", *main as u64);
        int(out, "overhead.hashtable.expires", *expires as u64);
    }
    int(out, "overhead.total", m.overhead);
    int(out, "keys.count", keys as u64);
    int(
        out,
        "keys.bytes-per-key",
        m.dataset.checked_div(keys as u64).unwrap_or(0),
    );
    int(out, "dataset.bytes", m.dataset);
    out.bulk(b"dataset.percentage");
    out.double(100.0 * ratio(m.dataset, m.used.saturating_sub(m.startup)));
    out.bulk(b"peak.percentage");
    out.double(100.0 * ratio(m.used, m.peak));
    int(out, "allocator.allocated", m.allocated);
    int(out, "allocator.active", m.active);
    int(out, "allocator.resident", m.rss);
    out.bulk(b"allocator-fragmentation.ratio");
    out.double(ratio(m.active, m.allocated));
    int(
        out,
        "allocator-fragmentation.bytes",
        m.active.saturating_sub(m.allocated),
    );
    out.bulk(b"allocator.rss-ratio");
    out.double(ratio(m.rss, m.active));
    int(out, "allocator.rss-bytes", m.rss.saturating_sub(m.active));
    out.bulk(b"rss-overhead.ratio");
    out.double(1.0);
    int(out, "rss-overhead.bytes", 0);
    out.bulk(b"fragmentation");
    out.double(ratio(m.rss, m.used));
    int(out, "fragmentation.bytes", m.rss.saturating_sub(m.used));
    Ok(())
}

/// Below this much heap the doctor has nothing to say (Redis's 5 MB).
const DOCTOR_MIN_MEMORY: u64 = 5 << 20;

/// ```text
/// MEMORY DOCTOR
/// ```
/// Redis's `getMemoryDoctorReport`: the problems it can see from the figures (a peak far
/// above the current use, high fragmentation, big client buffers), in its words.
fn doctor(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let m = crate::commands::server::info::memory_figures(ctx.server);
    let clients = ctx.server.clients.len().max(1) as u64;
    let report = if m.used < DOCTOR_MIN_MEMORY {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".to_string()
    } else {
        let mut issues = Vec::new();
        if m.peak as f64 / m.used as f64 > 1.5 {
            issues.push(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n");
        }
        if m.rss as f64 / m.used as f64 > 1.4 && m.rss.saturating_sub(m.used) > 10 << 20 {
            issues.push(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n");
        }
        if m.clients / clients > 200 * 1024 {
            issues.push(" * Big client buffers: The clients output buffers are in general too big, over 200KB per client on average. This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n");
        }
        if issues.is_empty() {
            "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.".to_string()
        } else {
            format!(
                "Sam, I detected a few issues in this Redis instance memory implants:\n\n{}I'm here to keep you safe, Sam. I want to help you.\n",
                issues.concat()
            )
        }
    };
    ctx.out.verbatim(report.as_bytes());
    Ok(())
}

/// ```text
/// MEMORY MALLOC-STATS
/// ```
/// glibc's `mallinfo2` figures and rudis's own count, as text (Redis prints
/// jemalloc's report, or "Stats not supported for the current allocator").
fn malloc_stats(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let (active, allocated, free) = crate::alloc::malloc_info();
    let text = format!(
        "allocator: {}\ncounted.used: {}\ncounted.allocations: {}\narena.active: {}\narena.allocated: {}\narena.free: {}\n",
        crate::alloc::NAME,
        crate::alloc::used_memory(),
        crate::alloc::allocations(),
        active,
        allocated,
        free
    );
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// ```text
/// MEMORY PURGE
/// ```
/// Returns free heap pages to the system (`malloc_trim`).
fn purge(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    crate::alloc::purge();
    ctx.out.ok();
    Ok(())
}
