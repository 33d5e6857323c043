//! Snapshot commands: SAVE BGSAVE LASTSAVE, and the persistence parts of SHUTDOWN,
//! FLUSHALL and DEBUG RELOAD (the work itself is in [`crate::persistence`]).

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::table;
use crate::error::CmdError;
use crate::persistence::{self, ShutdownSave};
use crate::protocol::Request;
use crate::spec::Flags;
use crate::spec::Group;
use crate::{cats, flags};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "save",
        1,
        flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI),
        Group::Server,
        "Synchronously saves the database(s) to disk.",
        save,
    ),
    CommandSpec::new(
        "bgsave",
        -1,
        flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
        Group::Server,
        "Asynchronously saves the database(s) to disk.",
        bgsave,
    ),
    CommandSpec::new(
        "bgrewriteaof",
        1,
        flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING),
        Group::Server,
        "Asynchronously rewrites the append-only file to disk.",
        bgrewriteaof,
    ),
    CommandSpec::new(
        "lastsave",
        1,
        flags!(LOADING | STALE | FAST),
        Group::Server,
        "Returns the Unix timestamp of the last successful save to disk.",
        lastsave,
    )
    .acl(cats!(ADMIN | DANGEROUS)),
];

/// Why dispatch refuses `spec` while [`persistence::Persistence::deny_writes`] is
/// set (Redis's processCommand): a write command, an EXEC whose queue holds one,
/// and PING (so that monitoring notices), get `-MISCONF`. Cold: only runs while a
/// background save has failed.
#[cold]
#[inline(never)]
pub fn write_refused(ctx: &Ctx<'_>, spec: &CommandSpec, req: &Request<'_>) -> Option<CmdError> {
    let is_write = |spec: &CommandSpec, req: &Request<'_>| {
        spec.flags.contains(Flags::WRITE) || spec.resolve(req).flags.contains(Flags::WRITE)
    };
    let refused = is_write(spec, req)
        || spec.name == "ping"
        || (spec.name == "exec"
            && ctx.client().multi.as_ref().is_some_and(|tx| {
                tx.queued.iter().any(|q| {
                    let q = q.request();
                    table::lookup_indexed(q.arg(0)).is_some_and(|(_, s)| is_write(s, &q))
                })
            }));
    refused.then(|| CmdError::msg(ctx.server.persistence.write_denial(&ctx.server.config)))
}

/// Redis's reply to a failed save (`shared.err`): the details are in the log.
fn save_failed() -> CmdError {
    CmdError::msg("ERR")
}

/// ```text
/// SAVE
/// ```
/// Writes the snapshot before replying; the server serves nobody meanwhile.
/// # Errors
/// `ERR Background save already in progress`; `ERR` when writing failed (logged).
fn save(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let p = &mut ctx.server.persistence;
    if p.in_progress() {
        return Err(CmdError::msg("ERR Background save already in progress"));
    }
    p.saves += 1;
    let repl = ctx.server.save_info();
    let p = &mut ctx.server.persistence;
    p.save(ctx.store, &ctx.server.config, repl)
        .map_err(|_| save_failed())?;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// BGSAVE [SCHEDULE]
/// ```
/// Forks a child that writes the snapshot; replies at once. Inside MULTI the save
/// is scheduled for the cron instead, as in Redis; while an AOF rewrite runs, BGSAVE
/// SCHEDULE schedules it and plain BGSAVE is refused.
/// # Errors
/// `ERR syntax error`, `ERR Background save already in progress`, `ERR` when fork
/// failed.
fn bgsave(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 2 || (req.len() == 2 && !is(req.arg(1), "schedule")) {
        return Err(CmdError::Syntax);
    }
    let in_exec = ctx.client().deny_blocking;
    let p = &mut ctx.server.persistence;
    if p.in_progress() {
        return Err(CmdError::msg("ERR Background save already in progress"));
    }
    if p.rewrite.in_progress() && req.len() == 1 && !in_exec {
        return Err(CmdError::msg(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE              SCHEDULE in order to schedule a BGSAVE whenever possible.",
        ));
    }
    if in_exec || p.rewrite.in_progress() {
        p.scheduled = true;
        ctx.out.simple(b"Background saving scheduled");
        return Ok(());
    }
    let repl = ctx.server.save_info();
    let p = &mut ctx.server.persistence;
    p.bgsave(ctx.store, &ctx.server.config, repl)
        .map_err(|_| save_failed())?;
    ctx.out.simple(b"Background saving started");
    Ok(())
}

/// ```text
/// BGREWRITEAOF
/// ```
/// Forks a child that writes a new AOF base while writes go on into a new
/// incremental file (Redis 7.0's `bgrewriteaofCommand`); while another child runs,
/// or inside MULTI, the rewrite is scheduled for the cron. With the AOF off it
/// writes a directory holding only a base and its manifest, as Redis 7.0 does.
/// # Errors
/// `ERR Background append only file rewriting already in progress`; Redis's error
/// when it could not start (fork failed: logged).
fn bgrewriteaof(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let in_exec = ctx.client().deny_blocking;
    let p = &mut ctx.server.persistence;
    if p.rewrite.in_progress() {
        return Err(CmdError::msg(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    if p.child_active() || in_exec {
        p.rewrite.scheduled = true;
        p.rewrite.consecutive_failures = 0;
        ctx.out
            .simple(b"Background append only file rewriting scheduled");
        return Ok(());
    }
    crate::runtime::propagate::rewrite_aof(ctx.store, ctx.server).map_err(|_| {
        CmdError::msg(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        )
    })?;
    ctx.out
        .simple(b"Background append only file rewriting started");
    Ok(())
}

/// ```text
/// LASTSAVE
/// ```
/// Unix time of the last successful save (the startup time before any).
fn lastsave(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.int(ctx.server.persistence.lastsave);
    Ok(())
}

/// SHUTDOWN's save (Redis's `finishShutdown`): kills a background save, then saves
/// as `mode` says; `force` exits even if the save failed.
/// # Errors
/// `ERR Errors trying to SHUTDOWN. Check logs.` when the save failed.
pub fn shutdown_save(ctx: &mut Ctx<'_>, mode: ShutdownSave, force: bool) -> Result<(), CmdError> {
    let repl = ctx.server.save_info();
    ctx.server
        .persistence
        .shutdown(ctx.store, &ctx.server.config, mode, force, repl)
        .map_err(|_| CmdError::msg("ERR Errors trying to SHUTDOWN. Check logs."))
}

/// FLUSHALL's persistence part: stops a background save and, with save points
/// configured, saves the empty dataset at once (which resets the change counter).
pub fn after_flushall(ctx: &mut Ctx<'_>) {
    let repl = ctx.server.save_info();
    ctx.server
        .persistence
        .after_flushall(ctx.store, &ctx.server.config, repl);
}

/// ```text
/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
/// ```
/// Saves the snapshot, empties the databases and loads the snapshot back.
/// # Errors
/// `ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.`, `ERR`
/// when the save failed, `ERR Error trying to load the RDB dump` when the load did.
pub fn debug_reload(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for arg in req.args().skip(2) {
        if is(arg, "merge") {
            merge = true;
        } else if is(arg, "noflush") {
            flush = false;
        } else if is(arg, "nosave") {
            save = false;
        } else {
            return Err(CmdError::msg(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    let config = &ctx.server.config;
    if save {
        let repl = ctx.server.save_info();
        ctx.server
            .persistence
            .save(ctx.store, config, repl)
            .map_err(|_| save_failed())?;
    }
    if flush {
        for db in 0..ctx.store.db_count() {
            crate::runtime::watch::touch_db(ctx.store, ctx.server, db, None, ctx.now);
        }
        ctx.store.flush_all();
    }
    let config = &ctx.server.config;
    let path = persistence::snapshot_path(config);
    match persistence::read_snapshot(ctx.store, &path, config, merge) {
        Ok((fmt, stats)) => {
            log::warn!(
                "DB reloaded by DEBUG RELOAD ({})",
                persistence::format_label(fmt)
            );
            ctx.server.persistence.last_load = stats;
            if save {
                ctx.server.persistence.mark_saved(ctx.store);
            }
            ctx.out.ok();
            Ok(())
        }
        Err(e) => {
            log::warn!(
                "DEBUG RELOAD of {}: {}",
                path.display(),
                persistence::load_error_text(&e)
            );
            Err(CmdError::msg("ERR Error trying to load the RDB dump"))
        }
    }
}
