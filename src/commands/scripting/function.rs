//! Redis 7 functions: FUNCTION (LOAD DELETE FLUSH LIST STATS KILL DUMP RESTORE HELP),
//! FCALL and FCALL_RO. Libraries are compiled by [`crate::scripting::functions`];
//! their code lives in the store, so snapshots and the RDB carry it, and FUNCTION
//! LOAD / DELETE / FLUSH / RESTORE are write commands the AOF logs as they came.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::server::command::{reply_help, run_subcommand};
use crate::error::CmdError;
use crate::persistence::rdb::{functions_from_payload, functions_payload};
use crate::protocol::{OwnedRequest, Request};
use crate::scripting::PendingRun;
use crate::scripting::functions::LOAD_TIMEOUT;
use crate::spec::{GetKeys, Group, KeySpec};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "fcall",
        -3,
        flags!(NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE),
        Group::Scripting,
        "Invoke a function",
        fcall,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RW | ACCESS | UPDATE), 2)]),
    CommandSpec::new(
        "fcall_ro",
        -3,
        flags!(NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY),
        Group::Scripting,
        "Invoke a read-only function",
        fcall_ro,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "function",
        -2,
        flags!(),
        Group::Scripting,
        "A container for function commands",
        function,
    )
    .subcommands(SUBCOMMANDS),
];

/// FUNCTION's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "function|load",
        -3,
        flags!(NOSCRIPT | WRITE | DENYOOM),
        Group::Scripting,
        "Create a function with the given arguments (name, code, description)",
        function_load,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|delete",
        3,
        flags!(NOSCRIPT | WRITE),
        Group::Scripting,
        "Delete a function by name",
        function_delete,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|flush",
        -2,
        flags!(NOSCRIPT | WRITE),
        Group::Scripting,
        "Deleting all functions",
        function_flush,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|list",
        -2,
        flags!(NOSCRIPT),
        Group::Scripting,
        "List information about all the functions",
        function_list,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|stats",
        2,
        flags!(NOSCRIPT | ALLOW_BUSY),
        Group::Scripting,
        "Return information about the function currently running (name, description, duration)",
        function_stats,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|kill",
        2,
        flags!(NOSCRIPT | ALLOW_BUSY),
        Group::Scripting,
        "Kill the function currently in execution.",
        function_kill,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|dump",
        2,
        flags!(NOSCRIPT),
        Group::Scripting,
        "Dump all functions into a serialized binary payload",
        function_dump,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|restore",
        -3,
        flags!(NOSCRIPT | WRITE | DENYOOM),
        Group::Scripting,
        "Restore all the functions on the given payload",
        function_restore,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "function|help",
        2,
        flags!(LOADING | STALE),
        Group::Scripting,
        "Show helpful text about the different subcommands",
        function_help,
    )
    .acl(cats!(SCRIPTING)),
];

/// ```text
/// FUNCTION <LOAD | DELETE | FLUSH | LIST | STATS | KILL | DUMP | RESTORE | HELP> ...
/// ```
fn function(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("function", SUBCOMMANDS, ctx, req)
}

/// Brings the compiled libraries in line with the store's code.
fn sync(ctx: &mut Ctx<'_>) {
    ctx.server.scripts.functions.sync(&ctx.store.functions);
}

/// Counts one change (the store's dirty counter), so the command propagates.
fn changed(ctx: &mut Ctx<'_>) {
    ctx.store.count_change();
}

/// ```text
/// FUNCTION LOAD [REPLACE] function-code
/// ```
/// The library's name.
/// # Errors
/// `ERR Unknown option given: ...`, `ERR Function code is missing`, the library's
/// errors (`ERR Library 'x' already exists`, `ERR Error compiling function: ...`, ...).
fn function_load(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut replace = false;
    let mut at = 2;
    while at < req.len() - 1 {
        let arg = req.arg(at);
        at += 1;
        if is(arg, "replace") {
            replace = true;
            continue;
        }
        return Err(CmdError::msg(format!(
            "ERR Unknown option given: {}",
            String::from_utf8_lossy(arg)
        )));
    }
    if at >= req.len() {
        return Err(CmdError::msg("ERR Function code is missing"));
    }
    let timeout = Some(LOAD_TIMEOUT);
    let name = ctx
        .server
        .scripts
        .functions
        .load(&mut ctx.store.functions, req.arg(at), replace, timeout)
        .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    changed(ctx);
    ctx.out.bulk(name.as_bytes());
    Ok(())
}

/// ```text
/// FUNCTION DELETE library-name
/// ```
/// # Errors
/// `ERR Library not found`.
fn function_delete(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let name = String::from_utf8_lossy(req.arg(2)).into_owned();
    if !ctx
        .server
        .scripts
        .functions
        .delete(&mut ctx.store.functions, &name)
    {
        return Err(CmdError::msg("ERR Library not found"));
    }
    changed(ctx);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// FUNCTION FLUSH [ASYNC | SYNC]
/// ```
/// # Errors
/// `ERR FUNCTION FLUSH only supports SYNC|ASYNC option`, a syntax error past 3 arguments.
fn function_flush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(subcommand_syntax(req));
    }
    if req.len() == 3 && !is(req.arg(2), "sync") && !is(req.arg(2), "async") {
        return Err(CmdError::msg(
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    ctx.server.scripts.functions.flush(&mut ctx.store.functions);
    changed(ctx);
    ctx.out.ok();
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError`.
fn subcommand_syntax(req: &Request<'_>) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(req.arg(1))
    ))
}

/// ```text
/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
/// ```
/// One map per library: name, engine, functions (name, description, flags), and
/// the code with WITHCODE.
/// # Errors
/// `ERR library name argument was not given`, `ERR Unknown argument ...`.
fn function_list(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < req.len() {
        let arg = req.arg(i);
        if !with_code && is(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is(arg, "libraryname") {
            if i >= req.len() - 1 {
                return Err(CmdError::msg("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(req.arg(i));
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        i += 1;
    }
    sync(ctx);
    let functions = &ctx.server.scripts.functions;
    let libs: Vec<_> = functions
        .libraries()
        .filter(|l| pattern.is_none_or(|p| crate::glob::glob_match(p, l.name.as_bytes(), true)))
        .collect();
    let out = &mut ctx.out;
    out.array_len(libs.len());
    for lib in libs {
        out.map_len(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array_len(lib.functions.len());
        for f in &lib.functions {
            out.map_len(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.description {
                Some(d) => out.bulk(d.as_bytes()),
                None => out.null(),
            }
            out.bulk(b"flags");
            out.set_len(f.flags.len());
            for flag in &f.flags {
                out.simple(flag.as_bytes());
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
    Ok(())
}

/// ```text
/// FUNCTION STATS
/// ```
/// The running function (name, command, duration) or null, and per engine the
/// numbers of libraries and functions.
fn function_stats(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.server.scripts.running.is_none() {
        // Never while a function runs: its interpreter is lent out.
        sync(ctx);
    }
    let scripts = &ctx.server.scripts;
    let running = scripts.running.as_ref().map(|r| r.started.elapsed());
    if running.is_some() && scripts.running_function.is_none() {
        return Err(CmdError::msg(super::BUSY_ERROR));
    }
    let (libs, fns) = (
        scripts.functions.libraries().count(),
        scripts.functions.function_count(),
    );
    let current = scripts.running_function.clone();
    let out = &mut ctx.out;
    out.map_len(2);
    out.bulk(b"running_script");
    match (running, current) {
        (Some(elapsed), Some((name, argv))) => {
            out.map_len(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"command");
            out.array_len(argv.len());
            for a in &argv {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int(elapsed.as_millis() as i64);
        }
        _ => out.null(),
    }
    out.bulk(b"engines");
    out.map_len(1);
    out.bulk(b"LUA");
    out.map_len(2);
    out.bulk(b"libraries_count");
    out.int(libs as i64);
    out.bulk(b"functions_count");
    out.int(fns as i64);
    Ok(())
}

/// ```text
/// FUNCTION KILL
/// ```
/// Stops the running function, if it has not written yet.
/// # Errors
/// `NOTBUSY No scripts in execution right now.`, `UNKILLABLE ...`.
fn function_kill(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let is_function = ctx.server.scripts.running_function.is_some();
    let Some(running) = ctx.server.scripts.running.as_mut() else {
        return Err(CmdError::msg("NOTBUSY No scripts in execution right now."));
    };
    if running.wrote {
        return Err(CmdError::msg(
            "UNKILLABLE Sorry the script already executed write commands against the \
             dataset. You can either wait the script termination or kill the server in a \
             hard way using the SHUTDOWN NOSAVE command.",
        ));
    }
    if !is_function {
        // An EVAL is stopped by SCRIPT KILL only.
        return Err(CmdError::msg(super::BUSY_ERROR));
    }
    running.kill = true;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// FUNCTION DUMP
/// ```
/// Every library as a payload FUNCTION RESTORE (here or in Redis) takes back.
fn function_dump(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let payload = functions_payload(ctx.store.functions.iter().map(|(_, c)| c));
    ctx.out.bulk(&payload);
    Ok(())
}

/// ```text
/// FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE]
/// ```
/// # Errors
/// `ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.`,
/// `ERR DUMP payload version or checksum are wrong`, library errors.
fn function_restore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 4 {
        return Err(subcommand_syntax(req));
    }
    let (mut flush, mut replace) = (false, false);
    if req.len() == 4 {
        let policy = req.arg(3);
        if is(policy, "flush") {
            flush = true;
        } else if is(policy, "replace") {
            replace = true;
        } else if !is(policy, "append") {
            return Err(CmdError::msg(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    }
    let codes =
        functions_from_payload(req.arg(2)).map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    ctx.server
        .scripts
        .functions
        .restore(&mut ctx.store.functions, &codes, flush, replace)
        .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    changed(ctx);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// FUNCTION HELP
/// ```
fn function_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
    Ok(())
}

/// ```text
/// FCALL function numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// The function's return value.
/// # Errors
/// `ERR Function not found`, `ERR Bad number of keys provided`, ...
fn fcall(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    fcall_generic(ctx, req, false)
}

/// ```text
/// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// As FCALL, for functions declared `no-writes`.
fn fcall_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    fcall_generic(ctx, req, true)
}

fn fcall_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, ro: bool) -> Result<(), CmdError> {
    sync(ctx);
    let Some(f) = ctx.server.scripts.functions.function(req.arg(1)) else {
        return Err(CmdError::msg("ERR Function not found"));
    };
    let no_writes = f.no_writes();
    let allow_oom = f.allow_oom();
    let name = f.name.clone();
    let numkeys = crate::number::parse_int(req.arg(2))
        .ok_or_else(|| CmdError::msg("ERR Bad number of keys provided"))?;
    let numkeys = super::parse_numkeys(req, numkeys)?;
    super::refuse_writes(ctx, ro, !no_writes, allow_oom)?;
    if ctx.server.scripts.functions.engine.is_none() {
        return Err(CmdError::msg("ERR the Lua interpreter is busy"));
    }
    super::start(
        ctx,
        PendingRun {
            me: ctx.me,
            sha: name.clone(),
            req: OwnedRequest::from_request(req),
            numkeys,
            read_only: ro || no_writes,
            function: Some(name),
        },
    );
    Ok(())
}
