//! Lua scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT (LOAD EXISTS FLUSH KILL
//! HELP), with Redis 7's semantics.
//!
//! Scripts run in one Lua 5.1 interpreter ([`engine`]), named by the SHA-1 of their
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

mod convert;
mod engine;
mod libs;
mod run;
pub mod sha1;

use std::collections::HashMap;

pub use run::{Pump, run_pending};

use super::args::{is, parse_i64};
use super::introspection::{reply_help, run_subcommand};
use super::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Request};
use crate::spec::{GetKeys, Group, KeySpec};
use crate::{cats, flags, kf};
use engine::Engine;
use sha1::sha1_hex;

/// The reply to anything but the allowed commands while a script is busy.
pub const BUSY_ERROR: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
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

/// A compiled script.
struct Script {
    function: mlua::Function,
    /// Declared `#!lua` flags; `None` for a script without a shebang (Redis's
    /// EVAL compatibility mode).
    shebang: Option<ShebangFlags>,
}

/// The flags a script may declare on its `#!lua flags=...` line.
#[derive(Debug, Clone, Copy, Default)]
struct ShebangFlags {
    no_writes: bool,
}

/// A script run that EVAL checked and left for the server to start.
#[derive(Debug)]
pub struct PendingRun {
    /// The calling client.
    pub me: usize,
    sha: String,
    /// The EVAL request: script, numkeys, keys, arguments.
    req: OwnedRequest,
    numkeys: usize,
    read_only: bool,
}

/// The script being run, as SCRIPT KILL and the BUSY check see it.
#[derive(Debug)]
pub struct Running {
    started: std::time::Instant,
    /// Past the busy threshold: other clients are being served (with BUSY).
    timed_out: bool,
    /// SCRIPT KILL (or SHUTDOWN) asked for the script to stop.
    kill: bool,
    /// A write command ran: the script can no longer be killed.
    wrote: bool,
}

/// Scripting state: the interpreter, the script cache, and the run in progress.
#[derive(Default)]
pub struct Scripts {
    /// Created at first use; `None` also while a script runs (the runner holds it).
    engine: Option<Engine>,
    cache: HashMap<String, Script>,
    pending: Option<Box<PendingRun>>,
    running: Option<Running>,
    runs: u64,
}

impl std::fmt::Debug for Scripts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripts")
            .field("cached", &self.cache.len())
            .field("running", &self.running)
            .finish()
    }
}

impl Scripts {
    /// True while a script runs past the busy threshold: other clients' commands
    /// are then refused with [`BUSY_ERROR`] unless they are `ALLOW_BUSY`.
    pub fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|r| r.timed_out)
    }

    /// True when EVAL left a run for the server to start.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Number of cached scripts (INFO's `number_of_cached_scripts`).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Memory used by the interpreter (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.engine.as_ref().map_or(0, Engine::used_memory)
    }

    fn engine(&mut self) -> Result<&Engine, CmdError> {
        if self.engine.is_none() {
            let engine = Engine::new().map_err(|e| {
                log::warn!("could not start the Lua interpreter: {e}");
                CmdError::msg("ERR the Lua interpreter could not start")
            })?;
            self.engine = Some(engine);
        }
        self.engine
            .as_ref()
            .ok_or_else(|| CmdError::msg("ERR the Lua interpreter is busy"))
    }

    /// Compiles and caches `body` under `sha` unless it is cached already.
    fn load(&mut self, body: &[u8], sha: &str) -> Result<(), CmdError> {
        if self.cache.contains_key(sha) {
            return Ok(());
        }
        let (shebang, code) = parse_shebang(body)?;
        let function = self.engine()?.compile(code).map_err(|message| {
            CmdError::msg(format!(
                "ERR Error compiling script (new function): {message}"
            ))
        })?;
        self.cache
            .insert(sha.to_string(), Script { function, shebang });
        Ok(())
    }
}

/// Splits a `#!lua flags=...` first line from the code. The line's bytes are cut
/// but its newline kept, so that line numbers in errors stay the user's.
fn parse_shebang(body: &[u8]) -> Result<(Option<ShebangFlags>, &[u8]), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((None, body));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(CmdError::msg("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split_ascii_whitespace();
    let engine = parts.next().unwrap_or_default();
    if engine != "#!lua" {
        return Err(CmdError::msg(format!(
            "ERR Unexpected engine in script shebang: {engine}"
        )));
    }
    let mut flags = ShebangFlags::default();
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(CmdError::msg(format!(
                "ERR Unknown lua shebang option: {part}"
            )));
        };
        for flag in list.split(',').filter(|_| !list.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => {
                    return Err(CmdError::msg(format!(
                        "ERR Unexpected flag in script shebang: {other}"
                    )));
                }
            }
        }
    }
    Ok((Some(flags), &body[end..]))
}

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
    let numkeys = parse_i64(req.arg(2))?;
    if numkeys > req.len() as i64 - 3 {
        return Err(CmdError::msg(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CmdError::msg("ERR Number of keys can't be negative"));
    }
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
    if ro && shebang.is_some_and(|f| !f.no_writes) {
        return Err(CmdError::msg(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    let pending = Box::new(PendingRun {
        me: ctx.me,
        sha,
        req: OwnedRequest::from_request(req),
        numkeys: numkeys as usize,
        read_only: ro || shebang.is_some_and(|f| f.no_writes),
    });
    if ctx.client().deny_blocking {
        // Inside EXEC: run now; no other client can be served until it ends.
        run::run(ctx, &pending, None);
    } else {
        ctx.server.scripts.pending = Some(pending);
    }
    Ok(())
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
    use super::parse_shebang;

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
