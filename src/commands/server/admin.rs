//! Server commands: DBSIZE CONFIG TIME SHUTDOWN DEBUG, and the table entries of INFO
//! (`info.rs`) and COMMAND (`command.rs`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::command::{self, reply_help, run_subcommand};
use super::info;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, text};
use crate::config::Config;
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::persistence::ShutdownSave;
use crate::protocol::Request;
use crate::spec::Group;
use crate::store::KeyspaceStats;
use crate::{cats, flags};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "dbsize",
        1,
        flags!(READONLY | FAST),
        Group::Server,
        "Returns the number of keys in the database.",
        dbsize,
    )
    .acl(cats!(KEYSPACE)),
    CommandSpec::new(
        "info",
        -1,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns information and statistics about the server.",
        info::info,
    )
    .acl(cats!(DANGEROUS)),
    CommandSpec::new(
        "command",
        -1,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns detailed information about all commands.",
        command::command,
    )
    .acl(cats!(CONNECTION))
    .subcommands(command::SUBCOMMANDS),
    CommandSpec::new(
        "config",
        -2,
        flags!(),
        Group::Server,
        "A container for server configuration commands.",
        config,
    )
    .subcommands(CONFIG_SUBCOMMANDS),
    CommandSpec::new(
        "time",
        1,
        flags!(LOADING | STALE | FAST),
        Group::Server,
        "Returns the server time.",
        time,
    ),
    CommandSpec::new(
        "shutdown",
        -1,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY),
        Group::Server,
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        shutdown,
    ),
    CommandSpec::new(
        "debug",
        -2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "A container for debugging commands.",
        debug,
    ),
];

/// ```text
/// DBSIZE
/// ```
fn dbsize(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let db = ctx.db();
    let n = ctx.store.dbs()[db].len();
    ctx.out.int(n as i64);
    Ok(())
}

/// CONFIG's subcommands.
pub const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "config|get",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Returns the effective values of configuration parameters.",
        config_get,
    ),
    CommandSpec::new(
        "config|set",
        -4,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Sets configuration parameters in-flight.",
        config_set,
    ),
    CommandSpec::new(
        "config|resetstat",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Resets the server's statistics.",
        config_resetstat,
    ),
    CommandSpec::new(
        "config|rewrite",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Persists the effective configuration to file.",
        config_rewrite,
    ),
    CommandSpec::new(
        "config|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns helpful text about the different subcommands.",
        config_help,
    ),
];

/// Directives [`Config::set`] accepts at startup but that a running server cannot
/// apply (the socket and the databases already exist).
const IMMUTABLE_CONFIG: &[&str] = &[
    "bind",
    "port",
    "databases",
    "aclfile",
    "appenddirname",
    "appendfilename",
    "daemonize",
    "supervised",
    "pidfile",
    "logfile",
    "syslog-enabled",
    "syslog-ident",
    "syslog-facility",
    "replicaof",
    "slaveof",
    "enable-debug-command",
    "metrics-port",
];

/// Debugging directives CONFIG GET shows only when asked by name (Redis's
/// `HIDDEN_CONFIG`).
const HIDDEN_CONFIG: &[&str] = &[
    "rdb-key-save-delay",
    "key-load-delay",
    "use-exit-on-panic",
    "watchdog-period",
    "loading-process-events-interval-bytes",
];

/// The value of directive `name` (lowercase): implemented or passive.
fn config_value(config: &Config, name: &str) -> Option<String> {
    config.get(name)
}

/// Every directive name CONFIG GET can show: the implemented ones, then the ones
/// accepted without effect ([`crate::config::passive`]).
fn config_names() -> impl Iterator<Item = &'static str> {
    Config::names().chain(crate::config::passive::names())
}

/// ```text
/// CONFIG subcommand [arg ...]
/// ```
fn config(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("config", CONFIG_SUBCOMMANDS, ctx, req)
}

/// ```text
/// CONFIG GET parameter [parameter ...]
/// ```
/// Each parameter is a name or a pattern with `*`/`?` (case-insensitive); the reply
/// maps each matching directive to its value.
fn config_get(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut matched: Vec<&'static str> = Vec::new();
    for i in 2..req.len() {
        let pattern = req.arg(i);
        // Debugging directives answer only when named (Redis's HIDDEN_CONFIG).
        let glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        for name in config_names() {
            if glob && HIDDEN_CONFIG.contains(&name) {
                continue;
            }
            if !matched.contains(&name) && glob_match(pattern, name.as_bytes(), true) {
                matched.push(name);
            }
        }
    }
    let pairs: Vec<(&str, String)> = matched
        .into_iter()
        .filter_map(|name| config_value(&ctx.server.config, name).map(|v| (name, v)))
        .collect();
    ctx.out.map_len(pairs.len());
    for (name, value) in pairs {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    Ok(())
}

/// ```text
/// CONFIG SET parameter value [parameter value ...]
/// ```
/// All or nothing: every pair is checked and applied to a copy of the configuration,
/// which then replaces the live one. A passive directive (accepted, no effect) keeps
/// the value given, for CONFIG GET.
/// # Errors
/// `ERR syntax error` (odd count), `ERR Unknown option or number of arguments for
/// CONFIG SET - '...'`, `ERR CONFIG SET failed (possibly related to argument '...') -
/// ...` (immutable, duplicate or invalid value).
fn config_set(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if !req.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let failed = |name: &str, why: &str| {
        CmdError::msg(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for i in (2..req.len()).step_by(2) {
        let name = text(req.arg(i));
        let lower = name.to_ascii_lowercase();
        if config_value(&ctx.server.config, &lower).is_none() {
            return Err(CmdError::msg(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
            )));
        }
        if IMMUTABLE_CONFIG.contains(&lower.as_str())
            || crate::config::passive::find(&lower).is_some_and(|p| !p.mutable)
        {
            return Err(failed(&name, "can't set immutable config"));
        }
        if pairs.iter().any(|(n, _)| *n == lower) {
            return Err(failed(&name, "duplicate parameter"));
        }
        pairs.push((lower, text(req.arg(i + 1))));
    }
    let mut next = ctx.server.config.clone();
    for (name, value) in &pairs {
        next.set(name, value).map_err(|why| failed(name, &why))?;
    }
    if next.maxclients > ctx.server.config.maxclients {
        // Redis's updateMaxclients: more clients need more descriptors.
        let fitted = crate::runtime::fds::fit_maxclients(next.maxclients)
            .map_err(|why| failed("maxclients", &why))?;
        if fitted < next.maxclients {
            return Err(failed(
                "maxclients",
                &format!(
                    "The operating system is not able to handle the specified number of clients, try with {fitted}"
                ),
            ));
        }
    }
    if next.loglevel != ctx.server.config.loglevel {
        log::set_max_level(next.loglevel);
    }
    if let Some(i) = (2..req.len())
        .step_by(2)
        .find(|&i| is(req.arg(i), "requirepass"))
    {
        // Hashed from the raw bytes: a password need not be UTF-8. Setting it, even
        // to the same value, resets the default user's passwords (Redis's
        // `updateRequirePass`).
        let raw = req.arg(i + 1);
        next.requirepass = (!raw.is_empty()).then(|| crate::acl::sha256::sha256(raw));
        ctx.server
            .acl
            .set_default_password(next.requirepass.as_ref());
    }
    let appendonly = next.appendonly;
    let aof_changed = appendonly != ctx.server.config.appendonly;
    ctx.server.acl.channels_default = next.acl_pubsub_allchannels;
    ctx.server.config = next;
    if aof_changed
        && let Err(why) = crate::runtime::propagate::switch_aof(ctx.store, ctx.server, appendonly)
    {
        ctx.server.config.appendonly = !appendonly;
        return Err(failed("appendonly", &why));
    }
    crate::runtime::notify::sync_events(ctx.server, ctx.store);
    ctx.server.observe.sync(&ctx.server.config.observe);
    ctx.server.persistence.sync_write_denial(&ctx.server.config);
    ctx.store.set_access(ctx.server.config.access);
    if pairs.iter().any(|(n, _)| n == "maxmemory") {
        let (max, used) = (ctx.server.config.maxmemory, crate::alloc::used_memory());
        if max != 0 && max < used {
            log::warn!(
                "WARNING: the new maxmemory value set via CONFIG SET ({max}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy."
            );
        }
        crate::runtime::evict::perform(ctx.store, ctx.server, ctx.now);
    }
    let repl = &mut ctx.server.repl;
    if let Some(backlog) = repl.backlog.as_mut() {
        backlog.resize(ctx.server.config.repl.backlog_size);
    }
    repl.refresh_guard(&ctx.server.config.repl, ctx.now);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CONFIG RESETSTAT
/// ```
/// Zeroes the counters INFO reports.
fn config_resetstat(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.server.stats = Default::default();
    ctx.server.command_stats.clear();
    ctx.server.observe.histograms.clear();
    ctx.server.error_stats.clear();
    ctx.store.stats = KeyspaceStats::default();
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CONFIG REWRITE
/// ```
/// Rewrites the configuration file the server started with
/// ([`crate::config::rewrite`]).
/// # Errors
/// `ERR The server is running without a config file`, `ERR Rewriting config file:
/// <why>`.
fn config_rewrite(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let Some(path) = ctx.server.config.config_file.clone() else {
        return Err(CmdError::msg(
            "ERR The server is running without a config file",
        ));
    };
    if let Err(why) = crate::config::rewrite::rewrite(&ctx.server.config, &path) {
        log::warn!("CONFIG REWRITE failed: {why}");
        return Err(CmdError::msg(format!("ERR Rewriting config file: {why}")));
    }
    log::info!("CONFIG REWRITE executed with success.");
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CONFIG HELP
/// ```
fn config_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
    Ok(())
}

/// ```text
/// TIME
/// ```
/// `[seconds, microseconds]` as bulk strings.
fn time(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array_len(2);
    ctx.out.bulk_int(now.as_secs() as i64);
    ctx.out.bulk_int(now.subsec_micros().into());
    Ok(())
}

/// ```text
/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
/// ```
/// Saves (SAVE, or NOSAVE absent and save points configured), then stops the server
/// after this event-loop turn; no reply (the connection closes).
/// # Errors
/// `ERR syntax error` for unknown or conflicting options, `ERR No shutdown in
/// progress.` for ABORT, `ERR Errors trying to SHUTDOWN. Check logs.` when the save
/// failed (without FORCE).
fn shutdown(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (mut save, mut nosave, mut other, mut abort) = (false, false, false, false);
    for arg in req.args().skip(1) {
        if is(arg, "nosave") {
            nosave = true;
        } else if is(arg, "save") {
            save = true;
        } else if is(arg, "now") || is(arg, "force") {
            other = true;
        } else if is(arg, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (save || nosave || other)) || (save && nosave) {
        return Err(CmdError::Syntax);
    }
    if abort {
        return Err(CmdError::msg("ERR No shutdown in progress."));
    }
    if !nosave && ctx.server.scripts.busy() {
        // A busy script may have written half of its changes: saving them is no option.
        return Err(CmdError::msg(crate::commands::scripting::BUSY_ERROR));
    }
    log::warn!("User requested shutdown...");
    let mode = match (save, nosave) {
        (true, _) => ShutdownSave::Save,
        (_, true) => ShutdownSave::NoSave,
        _ => ShutdownSave::Default,
    };
    let force = req.args().skip(1).any(|a| is(a, "force"));
    super::persistence::shutdown_save(ctx, mode, force)?;
    ctx.server.shutdown = true;
    Ok(())
}

/// ```text
/// DEBUG SLEEP seconds | RELOAD [MERGE] [NOFLUSH] [NOSAVE] | HELP
/// ```
/// SLEEP blocks the whole server, as in Redis (for tests of timeouts and latency).
/// # Errors
/// `ERR unknown subcommand or wrong number of arguments for '...'. Try DEBUG HELP.`
fn debug(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if !debug_allowed(ctx) {
        return Err(CmdError::msg(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        ));
    }
    let sub = req.arg(1);
    if is(sub, "help") && req.len() == 2 {
        reply_help(
            ctx,
            req,
            &[
                "DIGEST",
                "    Output a hex signature representing the current DB content.",
                "DIGEST-VALUE <key> [<key> ...]",
                "    Output a hex signature of the values of all the specified keys.",
                "SLEEP <seconds>",
                "    Stop the server for <seconds>. Decimals allowed.",
                "RELOAD [option ...]",
                "    Save the RDB on disk and reload it back to memory. Options:",
                "    * MERGE: merge the loaded data with the current dataset.",
                "    * NOFLUSH: do not empty the current dataset before loading.",
                "    * NOSAVE: do not save the dataset before loading.",
            ],
        );
    } else if is(sub, "digest") && req.len() == 2 {
        super::digest::digest(ctx);
    } else if is(sub, "digest-value") {
        let keys: Vec<&[u8]> = (2..req.len()).map(|i| req.arg(i)).collect();
        super::digest::digest_value(ctx, &keys);
    } else if is(sub, "reload") {
        return super::persistence::debug_reload(ctx, req);
    } else if is(sub, "sleep") && req.len() == 3 {
        // strtod semantics: text that is not a number sleeps 0 seconds.
        let secs = text(req.arg(2)).trim().parse::<f64>().unwrap_or(0.0);
        let pause = Duration::try_from_secs_f64(secs.max(0.0)).unwrap_or_default();
        std::thread::sleep(pause);
        ctx.out.ok();
    } else if let Some(result) = super::debug::run(ctx, req) {
        return result;
    } else {
        return Err(CmdError::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            text(sub).chars().take(128).collect::<String>()
        )));
    }
    Ok(())
}

/// `enable-debug-command`: yes, or local and the client is on a loopback address
/// (Redis's `allowProtectedAction`).
fn debug_allowed(ctx: &Ctx<'_>) -> bool {
    use crate::config::DebugCommand;
    match ctx.server.config.observe.enable_debug_command {
        DebugCommand::Yes => true,
        DebugCommand::No => false,
        DebugCommand::Local => ctx
            .client()
            .addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compat_names_do_not_shadow_config() {
        let names: Vec<_> = config_names().collect();
        let mut dedup = names.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(names.len(), dedup.len());
        assert_eq!(
            config_value(&Config::default(), "maxmemory-policy").as_deref(),
            Some("noeviction")
        );
    }
}
