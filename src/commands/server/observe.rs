//! SLOWLOG, LATENCY and MONITOR: the operator's views of the state kept by
//! [`crate::runtime::observe`].

use super::command::{reply_help, run_subcommand};
use crate::commands::args::parse_i64;
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::flags;
use crate::protocol::Request;
use crate::runtime::observe::histogram::Histogram;
use crate::runtime::observe::latency::{self, Series};
use crate::spec::Group;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "slowlog",
        -2,
        flags!(),
        Group::Server,
        "A container for slow log commands",
        slowlog,
    )
    .subcommands(SLOWLOG_SUBCOMMANDS),
    CommandSpec::new(
        "latency",
        -2,
        flags!(),
        Group::Server,
        "A container for latency diagnostics commands",
        latency,
    )
    .subcommands(LATENCY_SUBCOMMANDS),
    CommandSpec::new(
        "monitor",
        1,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Listen for all requests received by the server in real time",
        monitor,
    ),
    CommandSpec::new(
        "lolwut",
        -1,
        flags!(READONLY | FAST),
        Group::Server,
        "Display some computer art and the Redis version",
        lolwut,
    ),
];

const ADMIN_SUB: crate::spec::Flags = flags!(ADMIN | LOADING | STALE);
const LATENCY_SUB: crate::spec::Flags = flags!(ADMIN | NOSCRIPT | LOADING | STALE);

/// SLOWLOG's subcommands.
pub const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "slowlog|get",
        -2,
        ADMIN_SUB,
        Group::Server,
        "Get the slow log's entries",
        slowlog_get,
    ),
    CommandSpec::new(
        "slowlog|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Show helpful text about the different subcommands",
        slowlog_help,
    ),
    CommandSpec::new(
        "slowlog|len",
        2,
        ADMIN_SUB,
        Group::Server,
        "Get the slow log's length",
        slowlog_len,
    ),
    CommandSpec::new(
        "slowlog|reset",
        2,
        ADMIN_SUB,
        Group::Server,
        "Clear all entries from the slow log",
        slowlog_reset,
    ),
];

/// LATENCY's subcommands.
pub const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "latency|doctor",
        2,
        LATENCY_SUB,
        Group::Server,
        "Return a human readable latency analysis report.",
        latency_doctor,
    ),
    CommandSpec::new(
        "latency|graph",
        3,
        LATENCY_SUB,
        Group::Server,
        "Return a latency graph for the event.",
        latency_graph,
    ),
    CommandSpec::new(
        "latency|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Show helpful text about the different subcommands.",
        latency_help,
    ),
    CommandSpec::new(
        "latency|histogram",
        -2,
        LATENCY_SUB,
        Group::Server,
        "Return the cumulative distribution of latencies of a subset of commands or all.",
        latency_histogram,
    ),
    CommandSpec::new(
        "latency|history",
        3,
        LATENCY_SUB,
        Group::Server,
        "Return timestamp-latency samples for the event.",
        latency_history,
    ),
    CommandSpec::new(
        "latency|latest",
        2,
        LATENCY_SUB,
        Group::Server,
        "Return the latest latency samples for all events.",
        latency_latest,
    ),
    CommandSpec::new(
        "latency|reset",
        -2,
        LATENCY_SUB,
        Group::Server,
        "Reset latency data for one or more events.",
        latency_reset,
    ),
];

/// ```text
/// SLOWLOG subcommand [arg]
/// ```
fn slowlog(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("slowlog", SLOWLOG_SUBCOMMANDS, ctx, req)
}

/// ```text
/// SLOWLOG GET [count]
/// ```
/// The newest `count` entries (default 10, -1 all): `[id, unix time, µs, args,
/// client address, client name]`.
/// # Errors
/// `ERR count should be greater than or equal to -1`; `ERR syntax error` for more
/// arguments.
fn slowlog_get(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(crate::commands::subcommand_arity("slowlog", req.arg(1)));
    }
    let log = &ctx.server.observe.slowlog.entries;
    let count = if req.len() == 3 {
        let n = parse_i64(req.arg(2)).map_err(|_| CmdError::NotInteger)?;
        match n {
            -1 => log.len(),
            n if n < -1 => {
                return Err(CmdError::msg(
                    "ERR count should be greater than or equal to -1",
                ));
            }
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    } else {
        10
    };
    let n = count.min(log.len());
    ctx.out.array_len(n);
    for e in log.iter().take(n) {
        ctx.out.array_len(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.time);
        ctx.out.int(e.duration_us as i64);
        ctx.out.array_len(e.args.len());
        for a in &e.args {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}

/// ```text
/// SLOWLOG LEN
/// ```
fn slowlog_len(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let n = ctx.server.observe.slowlog.entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

/// ```text
/// SLOWLOG RESET
/// ```
fn slowlog_reset(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.server.observe.slowlog.reset();
    ctx.out.ok();
    Ok(())
}

/// ```text
/// SLOWLOG HELP
/// ```
fn slowlog_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    );
    Ok(())
}

/// ```text
/// LATENCY subcommand [arg ...]
/// ```
fn latency(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("latency", LATENCY_SUBCOMMANDS, ctx, req)
}

/// ```text
/// LATENCY LATEST
/// ```
/// `[event, time of the latest sample, its latency, all-time high]` per event.
fn latency_latest(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let events = &ctx.server.observe.latency.events;
    ctx.out.array_len(events.len());
    for (name, series) in events {
        let last = series.latest();
        ctx.out.array_len(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(last.time);
        ctx.out.int(last.latency as i64);
        ctx.out.int(series.max as i64);
    }
    Ok(())
}

/// ```text
/// LATENCY HISTORY event
/// ```
/// `[time, latency]` pairs, oldest first (empty for an unknown event).
fn latency_history(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let samples: Vec<latency::Sample> = ctx
        .server
        .observe
        .latency
        .get(req.arg(2))
        .map(|(_, s)| s.history().collect())
        .unwrap_or_default();
    ctx.out.array_len(samples.len());
    for s in samples {
        ctx.out.array_len(2);
        ctx.out.int(s.time);
        ctx.out.int(s.latency as i64);
    }
    Ok(())
}

/// ```text
/// LATENCY RESET [event ...]
/// ```
/// The number of event series removed.
fn latency_reset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let monitor = &mut ctx.server.observe.latency;
    let n = if req.len() == 2 {
        monitor.reset(None)
    } else {
        req.args().skip(2).map(|e| monitor.reset(Some(e))).sum()
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// ```text
/// LATENCY GRAPH event
/// ```
/// An ASCII graph of the event's samples (Redis's sparkline).
/// # Errors
/// `ERR No samples available for event '...'`.
fn latency_graph(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some((name, series)) = ctx.server.observe.latency.get(req.arg(2)) else {
        return Err(CmdError::msg(format!(
            "ERR No samples available for event '{}'",
            String::from_utf8_lossy(req.arg(2))
        )));
    };
    let graph = sparkline_graph(name, series, unix_now());
    ctx.out.verbatim(graph.as_bytes());
    Ok(())
}

/// ```text
/// LATENCY DOCTOR
/// ```
/// A report on the recorded latency events, with advice.
fn latency_doctor(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let report = doctor_report(ctx);
    ctx.out.verbatim(report.as_bytes());
    Ok(())
}

/// ```text
/// LATENCY HISTOGRAM [command ...]
/// ```
/// For each command (all, or those named; a container stands for its subcommands)
/// with calls: `{calls, histogram_usec: {bound: cumulative count}}`.
fn latency_histogram(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let registry = ctx.server.acl.registry();
    let mut ids: Vec<usize> = Vec::new();
    if req.len() == 2 {
        ids.extend(0..registry.len());
    } else {
        for name in req.args().skip(2) {
            let Some(id) = registry.lookup(name) else {
                continue;
            };
            ids.push(id);
            if !name.contains(&b'|') {
                ids.extend(registry.entries[id].subs.clone());
            }
        }
    }
    let hist = &ctx.server.observe.histograms;
    let with: Vec<(usize, &Histogram)> = ids
        .into_iter()
        .filter_map(|id| hist.get(id).and_then(|h| h.as_ref()).map(|h| (id, h)))
        .filter(|(_, h)| h.total() > 0)
        .collect();
    ctx.out.map_len(with.len());
    for (id, h) in with {
        ctx.out.bulk(registry.entries[id].name.as_bytes());
        ctx.out.map_len(2);
        ctx.out.bulk(b"calls");
        ctx.out.int(h.total() as i64);
        ctx.out.bulk(b"histogram_usec");
        let cdf = h.cumulative_usec();
        ctx.out.map_len(cdf.len());
        for (bound, count) in cdf {
            ctx.out.int(bound as i64);
            ctx.out.int(count as i64);
        }
    }
    Ok(())
}

/// ```text
/// LATENCY HELP
/// ```
fn latency_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
    Ok(())
}

/// ```text
/// MONITOR
/// ```
/// From now on the client receives every command the server runs (Redis's
/// `monitorCommand`); a second MONITOR does nothing.
fn monitor(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let me = ctx.me;
    let monitors = &mut ctx.server.observe.monitors;
    if monitors.tokens.contains(&me) {
        return Ok(());
    }
    monitors.tokens.push(me);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// LOLWUT [VERSION version]
/// ```
/// Redis 7.0's answer for its own version (`lolwutUnstableCommand`): the version line.
/// The art of versions 5 and 6 is not drawn; they get the same line.
/// # Errors
/// A VERSION that is not an integer.
fn lolwut(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() >= 3 && req.arg(1).eq_ignore_ascii_case(b"version") {
        parse_i64(req.arg(2))?;
    }
    let text = format!("Redis ver. {}\n", crate::REDIS_VERSION);
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Columns of LATENCY GRAPH (Redis's LATENCY_GRAPH_COLS).
const GRAPH_COLS: usize = 80;
/// Rows of the graph (Redis passes 4 to sparklineRender).
const GRAPH_ROWS: usize = 4;

/// Redis's `latencyCommandGenSparkeline`: a header, a rule, and the samples drawn
/// with Redis's sparkline (filled, labelled with their age).
pub fn sparkline_graph(name: &str, series: &Series, now: i64) -> String {
    let samples: Vec<(u64, String)> = series
        .history()
        .map(|s| {
            let elapsed = (now - s.time).max(0);
            let label = match elapsed {
                e if e < 60 => format!("{e}s"),
                e if e < 3600 => format!("{}m", e / 60),
                e if e < 86400 => format!("{}h", e / 3600),
                e => format!("{}d", e / 86400),
            };
            (s.latency, label)
        })
        .collect();
    let max = samples.iter().map(|s| s.0).max().unwrap_or(0);
    let min = samples.iter().map(|s| s.0).min().unwrap_or(0);
    let mut out = format!(
        "{name} - high {max} ms, low {min} ms (all time high {} ms)\n",
        series.max
    );
    out.push_str(&"-".repeat(GRAPH_COLS));
    out.push('\n');
    for chunk in samples.chunks(GRAPH_COLS) {
        render_range(&mut out, chunk, min as f64, max as f64);
        if chunk.len() == GRAPH_COLS {
            out.push('\n');
        }
    }
    out
}

/// Redis's `sparklineRenderRange` with SPARKLINE_FILL.
fn render_range(out: &mut String, samples: &[(u64, String)], min: f64, max: f64) {
    const FILL: &[u8] = b"_o#";
    let steps = (FILL.len() * GRAPH_ROWS) as i64;
    let relmax = if max - min == 0.0 { 1.0 } else { max - min };
    let mut row = 0;
    loop {
        let mut chars = vec![b' '; samples.len()];
        let mut more = false;
        for (j, (value, label)) in samples.iter().enumerate() {
            let step = (((*value as f64 - min) * steps as f64) / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < GRAPH_ROWS {
                more = true;
                let idx = step - ((GRAPH_ROWS - row - 1) * FILL.len()) as i64;
                if (0..FILL.len() as i64).contains(&idx) {
                    chars[j] = FILL[idx as usize];
                } else if idx >= FILL.len() as i64 {
                    chars[j] = b'|';
                }
            } else {
                if row - GRAPH_ROWS < 1 {
                    more = true;
                    break;
                }
                let at = row - GRAPH_ROWS - 1;
                if let Some(&c) = label.as_bytes().get(at) {
                    more = true;
                    chars[j] = c;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.push_str(&String::from_utf8_lossy(&chars));
        out.push('\n');
    }
}

/// Redis's `createLatencyReport`, shortened: one paragraph per event, then advice.
fn doctor_report(ctx: &Ctx<'_>) -> String {
    let monitor = &ctx.server.observe.latency;
    let threshold = ctx.server.config.observe.latency_monitor_threshold;
    if threshold == 0 && monitor.events.is_empty() {
        return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".to_string();
    }
    if monitor.events.is_empty() {
        return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n".to_string();
    }
    let now = unix_now();
    let mut report = String::from(
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n",
    );
    let mut commands = false;
    for (i, (name, series)) in monitor.events.iter().enumerate() {
        let a = latency::analyze(series, now);
        report.push_str(&format!(
            "{}. {name}: {} latency spikes (average {}ms, mean deviation {}ms, period {} sec). Worst all time event {}ms.\n",
            i + 1,
            a.samples,
            a.avg,
            a.mad,
            a.period,
            a.all_time_high
        ));
        commands |= name.ends_with("command");
    }
    report.push_str("\nI have a few advices for you:\n\n");
    let slower_than = ctx.server.config.observe.slowlog_log_slower_than;
    if commands {
        if slower_than < 0 {
            report.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n", threshold * 1000));
        } else if (slower_than as u64) / 1000 > threshold {
            report.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {}'.\n", threshold * 1000));
        }
        report.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    } else {
        report.push_str("- Check the events above and the latency monitor documentation: https://redis.io/topics/latency-monitor.\n");
    }
    report
}
