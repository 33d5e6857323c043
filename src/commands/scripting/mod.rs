//! Lua scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT (LOAD EXISTS FLUSH KILL
//! HELP), with Redis 7's semantics.
//!
//! Scripts run in one Lua 5.1 interpreter ([`crate::scripting`]), named by the SHA-1 of their
//! body and cached until SCRIPT FLUSH. A script runs atomically: `redis.call` runs a
//! command straight through the command table as the calling client ([`run`]), and
//! nothing else runs meanwhile. A slow script (past `busy-reply-threshold`, alias
//! `lua-time-limit`) lets the server read other clients from the Lua count hook:
//! they get `-BUSY` for everything but SCRIPT KILL, SHUTDOWN NOSAVE and the
//! transaction and connection commands (`ALLOW_BUSY`).
//!
//! EVAL checks its arguments and compiles the script where it is dispatched, then
//! leaves the run to the server ([`Scripts::take_pending`]), which can then lend
//! its connections to the hook; inside EXEC the script runs in place instead, and
//! other clients wait for it.

pub mod function;
mod run;

pub use run::{Pump, run_pending};

use super::CommandSpec;
use super::Ctx;
use super::args::{is, parse_i64};
use super::server::command::{reply_help, run_subcommand};
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Request};
use crate::scripting::PendingRun;
use crate::scripting::sha1::sha1_hex;
use crate::spec::{GetKeys, Group, KeySpec};
use crate::{cats, flags, kf};

/// The reply to anything but the allowed commands while a script is busy.
pub const BUSY_ERROR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// The reply to anything but the allowed commands while a function is busy.
pub const BUSY_FUNCTION_ERROR: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// The BUSY reply for the script running now: a function's or an EVAL's.
pub fn busy_error(scripts: &crate::scripting::Scripts) -> &'static str {
    if scripts.running_function.is_some() {
        BUSY_FUNCTION_ERROR
    } else {
        BUSY_ERROR
    }
}

const NOSCRIPT_ERROR: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "eval",
        -3,
        flags!(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS),
        Group::Scripting,
        "Executes a server-side Lua script.",
        eval,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RW | ACCESS | UPDATE), 2)]),
    CommandSpec::new(
        "evalsha",
        -3,
        flags!(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS),
        Group::Scripting,
        "Executes a server-side Lua script by SHA1 digest.",
        evalsha,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RW | ACCESS | UPDATE), 2)]),
    CommandSpec::new(
        "eval_ro",
        -3,
        flags!(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS),
        Group::Scripting,
        "Executes a read-only server-side Lua script.",
        eval_ro,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "evalsha_ro",
        -3,
        flags!(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS),
        Group::Scripting,
        "Executes a read-only server-side Lua script by SHA1 digest.",
        evalsha_ro,
    )
    .acl(cats!(SCRIPTING))
    .getkeys(GetKeys::Eval)
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "script",
        -2,
        flags!(),
        Group::Scripting,
        "A container for Lua scripts management commands.",
        script,
    )
    .subcommands(SUBCOMMANDS),
];

/// SCRIPT's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "script|load",
        3,
        flags!(NOSCRIPT | STALE),
        Group::Scripting,
        "Loads a server-side Lua script to the script cache.",
        script_load,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "script|exists",
        -3,
        flags!(NOSCRIPT),
        Group::Scripting,
        "Determines whether server-side Lua scripts exist in the script cache.",
        script_exists,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "script|flush",
        -2,
        flags!(NOSCRIPT),
        Group::Scripting,
        "Removes all server-side Lua scripts from the script cache.",
        script_flush,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "script|kill",
        2,
        flags!(NOSCRIPT | ALLOW_BUSY),
        Group::Scripting,
        "Terminates a server-side Lua script during execution.",
        script_kill,
    )
    .acl(cats!(SCRIPTING)),
    CommandSpec::new(
        "script|help",
        2,
        flags!(LOADING | STALE),
        Group::Scripting,
        "Returns helpful text about the different subcommands.",
        script_help,
    )
    .acl(cats!(SCRIPTING)),
];

/// ```text
/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// The script's return value, converted as Redis does.
fn eval(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    eval_generic(ctx, req, false, false)
}

/// ```text
/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// # Errors
/// `NOSCRIPT No matching script. Please use EVAL.`
fn evalsha(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    eval_generic(ctx, req, true, false)
}

/// ```text
/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
/// ```
/// As EVAL, but write commands fail inside the script.
fn eval_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    eval_generic(ctx, req, false, true)
}

/// ```text
/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
/// ```
fn evalsha_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    eval_generic(ctx, req, true, true)
}

fn eval_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    by_sha: bool,
    ro: bool,
) -> Result<(), CmdError> {
    let numkeys = parse_numkeys(req, parse_i64(req.arg(2))?)?;
    let scripts = &mut ctx.server.scripts;
    let sha = if by_sha {
        if req.arg(1).len() != 40 {
            return Err(CmdError::msg(NOSCRIPT_ERROR));
        }
        String::from_utf8_lossy(req.arg(1)).to_ascii_lowercase()
    } else {
        sha1_hex(req.arg(1))
    };
    if by_sha && !scripts.cache.contains_key(&sha) {
        return Err(CmdError::msg(NOSCRIPT_ERROR));
    }
    scripts.load(req.arg(1), &sha)?;
    let shebang = scripts.cache.get(&sha).and_then(|s| s.shebang);
    // A script declaring flags without no-writes is a write command (Redis's
    // scriptFlagsToCmdFlags); one without flags is checked command by command.
    if let Some(flags) = shebang {
        refuse_writes(ctx, ro, !flags.no_writes, flags.allow_oom)?;
    }
    start(
        ctx,
        PendingRun {
            me: ctx.me,
            sha,
            req: OwnedRequest::from_request(req),
            numkeys,
            read_only: ro || shebang.is_some_and(|f| f.no_writes),
            function: None,
        },
    );
    Ok(())
}

/// EVAL's and FCALL's `numkeys` (already parsed from argument 2), checked against the
/// arguments after it.
/// # Errors
/// `ERR Number of keys can't be greater than number of args`, `... negative`.
fn parse_numkeys(req: &Request<'_>, numkeys: i64) -> Result<usize, CmdError> {
    if numkeys > req.len() as i64 - 3 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

/// Refuses a script or function that declared its flags, as Redis's
/// `scriptPrepareForRun` does, in its order: one that may write (`writes`: no
/// `no-writes`) on a read-only replica, while writes are refused, from an *_RO
/// command, or on a master with too few good replicas; one without `allow-oom`
/// while memory was over `maxmemory` when the command came.
fn refuse_writes(ctx: &Ctx<'_>, ro: bool, writes: bool, allow_oom: bool) -> Result<(), CmdError> {
    let from_master = ctx.server.repl.master_token() == Some(ctx.me);
    if writes && !from_master {
        let repl = &ctx.server.repl;
        if repl.is_replica() && ctx.server.config.repl.replica_read_only {
            return Err(CmdError::msg(
                "READONLY Can not run script with write flag on readonly replica",
            ));
        }
        if ctx.server.persistence.deny_writes {
            return Err(CmdError::msg(
                ctx.server.persistence.write_denial(&ctx.server.config),
            ));
        }
        if ro {
            return Err(CmdError::msg(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
        if !repl.is_replica()
            && let Some(why) = repl.write_refusal(&ctx.server.config.repl)
        {
            return Err(CmdError::msg(why));
        }
    }
    if ctx.server.config.maxmemory != 0 && ctx.server.out_of_memory && writes && !allow_oom {
        return Err(CmdError::msg(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        ));
    }
    Ok(())
}

/// Starts a checked run: inside EXEC at once (no other client can be served until it
/// ends), else left for the server, which lends its connections to the busy hook.
fn start(ctx: &mut Ctx<'_>, pending: PendingRun) {
    if ctx.client().deny_blocking {
        run::run(ctx, &pending, None);
    } else {
        ctx.server.scripts.pending = Some(Box::new(pending));
    }
}

/// ```text
/// SCRIPT <LOAD | EXISTS | FLUSH | KILL | HELP> ...
/// ```
fn script(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("script", SUBCOMMANDS, ctx, req)
}

/// ```text
/// SCRIPT LOAD script
/// ```
/// The script's SHA-1, after compiling it into the cache.
fn script_load(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let sha = sha1_hex(req.arg(2));
    ctx.server.scripts.load(req.arg(2), &sha)?;
    ctx.out.bulk(sha.as_bytes());
    Ok(())
}

/// ```text
/// SCRIPT EXISTS sha1 [sha1 ...]
/// ```
/// An array of 1 or 0 per SHA-1.
fn script_exists(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.array_len(req.len() - 2);
    for sha in req.args().skip(2) {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        let known = ctx.server.scripts.cache.contains_key(&sha);
        ctx.out.int(i64::from(known));
    }
    Ok(())
}

/// ```text
/// SCRIPT FLUSH [ASYNC | SYNC]
/// ```
/// Empties the cache and starts a fresh interpreter.
/// # Errors
/// `ERR SCRIPT FLUSH only support SYNC|ASYNC option`.
fn script_flush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let valid = match req.len() {
        2 => true,
        3 => is(req.arg(2), "sync") || is(req.arg(2), "async"),
        _ => false,
    };
    if !valid {
        return Err(CmdError::msg(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    let scripts = &mut ctx.server.scripts;
    scripts.cache.clear();
    scripts.engine = None;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// SCRIPT KILL
/// ```
/// Stops the running script, if it has not written yet.
/// # Errors
/// `NOTBUSY No scripts in execution right now.`, `UNKILLABLE ...` after a write.
fn script_kill(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
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
    if is_function {
        // A function is stopped by FUNCTION KILL only.
        return Err(CmdError::msg(BUSY_FUNCTION_ERROR));
    }
    running.kill = true;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// SCRIPT HELP
/// ```
fn script_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scripting::scripts::parse_shebang;

    #[test]
    fn shebang_lines() {
        let (flags, code) = parse_shebang(b"return 1").unwrap();
        assert!(flags.is_none());
        assert_eq!(code, b"return 1");
        let (flags, code) = parse_shebang(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.unwrap().no_writes);
        assert_eq!(code, b"\nreturn 1");
        let (flags, _) = parse_shebang(b"#!lua\nreturn 1").unwrap();
        assert!(!flags.unwrap().no_writes);
        let err = |b: &[u8]| parse_shebang(b).unwrap_err().to_string();
        assert_eq!(err(b"#!lua"), "ERR Invalid script shebang");
        assert_eq!(
            err(b"#!python\n"),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            err(b"#!lua flags=bad\n"),
            "ERR Unexpected flag in script shebang: bad"
        );
        assert_eq!(err(b"#!lua x=1\n"), "ERR Unknown lua shebang option: x=1");
    }
}
