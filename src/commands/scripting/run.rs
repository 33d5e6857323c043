//! One script run: `redis.call` through the command table, the busy hook, and the
//! conversion of the result into the caller's reply (Redis's `luaCallFunction`).

use std::cell::RefCell;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use mlua::{Lua, MultiValue, Table, Value};

use crate::commands::{Ctx, ServerState};
use crate::protocol::{Frame, OwnedRequest, Reply, RespVersion};
use crate::scripting::convert::{frame_to_lua, lua_to_frame, write_frame};
use crate::scripting::engine::{Engine, HOOK_EVERY};
use crate::scripting::{PendingRun, Running};
use crate::store::Store;

/// Scripts between two Lua garbage collection steps (Redis's `LUA_GC_CYCLE_PERIOD`).
const GC_EVERY_RUNS: u64 = 50;

/// Serves the other clients while a slow script runs: the server implements it
/// over its connections, and the script's count hook calls it.
pub trait Pump {
    /// Reads every other client and runs its complete requests (dispatch refuses
    /// most of them with BUSY), then sends the replies.
    fn pump(&mut self, store: &mut Store, server: &mut ServerState);
}

/// Runs the script EVAL left for the server, if any, lending `pump` to its hook.
pub fn run_pending(ctx: &mut Ctx<'_>, pump: &mut dyn Pump) {
    if let Some(pending) = ctx.server.scripts.pending.take() {
        run(ctx, &pending, Some(pump));
    }
}

/// Runs a checked and compiled script and writes its reply.
pub(super) fn run(ctx: &mut Ctx<'_>, pending: &PendingRun, pump: Option<&mut dyn Pump>) {
    // One propagation unit: the script's effects (the writes `redis.call` made),
    // wrapped in MULTI/EXEC when there are several, not the script.
    let frame = ctx.server.propagation.begin();
    run_script(ctx, pending, pump);
    ctx.server.propagation.end(frame);
}

/// [`run`] inside its propagation unit.
fn run_script(ctx: &mut Ctx<'_>, pending: &PendingRun, pump: Option<&mut dyn Pump>) {
    let scripts = &mut ctx.server.scripts;
    let is_function = pending.function.is_some();
    let (engine, function) = match &pending.function {
        Some(name) => {
            let callback = scripts
                .functions
                .function(name.as_bytes())
                .map(|f| f.callback.clone());
            (scripts.functions.engine.take(), callback)
        }
        None => {
            let function = scripts.cache.get(&pending.sha).map(|s| s.function.clone());
            (scripts.engine.take(), function)
        }
    };
    let (Some(engine), Some(function)) = (engine, function) else {
        ctx.out.error("ERR the script is no longer cached");
        return;
    };
    let req = pending.req.request();
    let keys_end = 3 + pending.numkeys;
    let arguments = if is_function {
        Ok(())
    } else {
        engine.set_arguments(
            (3..keys_end).map(|i| req.arg(i)),
            (keys_end..req.len()).map(|i| req.arg(i)),
        )
    };
    let threshold = ctx.server.config.busy_reply_threshold_ms;
    engine.set_memory_limit(ctx.server.config.lua_memory_limit);
    let caller_db = ctx.client().db;
    let deny_blocking = std::mem::replace(&mut ctx.client_mut().deny_blocking, true);
    let in_script = std::mem::replace(&mut ctx.client_mut().in_script, true);
    if let Some(name) = &pending.function {
        let argv = req.args().map(<[u8]>::to_vec).collect();
        ctx.server.scripts.running_function = Some((name.clone(), argv));
    }
    ctx.server.scripts.running = Some(Running {
        started: Instant::now(),
        timed_out: false,
        kill: false,
        wrote: false,
    });
    let (outcome, resp3) = {
        let env = RefCell::new(RunEnv {
            ctx: &mut *ctx,
            pump,
            read_only: pending.read_only,
            threshold: Duration::from_millis(threshold),
            sha: &pending.sha,
            runtime: engine.runtime(),
            scratch: BytesMut::new(),
        });
        let hook_every = if threshold > 0 { HOOK_EVERY } else { 0 };
        let outcome = arguments.and_then(|()| {
            engine.lua().scope(|scope| {
                let call = scope.create_function(|lua, args| call_in(&env, lua, args))?;
                let call_packed = scope.create_function(|lua, args: Table| {
                    let n: usize = args.raw_get("n").unwrap_or(0);
                    let args: mlua::Result<MultiValue> =
                        (1..=n).map(|i| args.raw_get::<Value>(i)).collect();
                    call_in(&env, lua, args?)
                })?;
                let acl_check = scope.create_function(|lua, args: MultiValue| {
                    with_env(&env, |env| env.acl_check(lua, args))
                })?;
                let busy = scope.create_function(|_, ()| {
                    Ok(env.try_borrow_mut().is_ok_and(|mut env| env.busy_tick()))
                })?;
                engine.runtime().raw_set("call", call)?;
                engine.runtime().raw_set("call_packed", call_packed)?;
                engine.runtime().raw_set("acl_check", acl_check)?;
                engine.runtime().raw_set("busy", busy)?;
                if is_function {
                    engine.call_function(
                        &function,
                        hook_every,
                        (3..keys_end).map(|i| req.arg(i)),
                        (keys_end..req.len()).map(|i| req.arg(i)),
                    )
                } else {
                    engine.call(&function, hook_every)
                }
            })
        });
        let runtime = engine.runtime();
        let _ = runtime.raw_set("call", Value::Nil);
        let _ = runtime.raw_set("call_packed", Value::Nil);
        let _ = runtime.raw_set("acl_check", Value::Nil);
        let _ = runtime.raw_set("busy", Value::Nil);
        (outcome, runtime.raw_get::<i64>("resp").unwrap_or(2) == 3)
    };
    let failed = match outcome {
        Ok(Ok(value)) => {
            let frame = lua_to_frame(&value, resp3);
            let failed = matches!(frame, Frame::Error(_));
            if let Frame::Error(text) = &frame
                && !counted_already(&value)
            {
                ctx.server.count_error(text);
            }
            write_frame(&mut ctx.out, &frame);
            failed
        }
        Ok(Err(error)) => {
            let text = error_text(&error, &pending.sha);
            if text.contains("not enough memory") {
                engine.gc_full();
            }
            if !counted_already(&error) {
                ctx.server.count_error(&text);
            }
            ctx.out.error(&text);
            true
        }
        Err(e) => {
            let text = format!("ERR Error running script {}: {e}", pending.sha);
            ctx.server.count_error(&text);
            ctx.out.error(&text);
            true
        }
    };
    // EVAL's own failed_calls (the commands it called counted theirs).
    if let Some(call) = ctx.server.observe.pending.as_mut() {
        call.failed = failed;
    }
    // SELECT inside a script does not change the caller's database.
    let client = ctx.client_mut();
    client.db = caller_db;
    client.deny_blocking = deny_blocking;
    client.in_script = in_script;
    finish(&mut ctx.server.scripts, engine, is_function);
}

/// `redis.call` with the run's environment.
fn call_in(
    env: &RefCell<RunEnv<'_, '_, '_>>,
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<(Value, bool)> {
    with_env(env, |env| env.call(lua, args))
}

/// Runs `f` on the run's environment, which Lua reaches from `redis.*` functions.
/// Never reentered: commands run no Lua.
fn with_env<R>(
    env: &RefCell<RunEnv<'_, '_, '_>>,
    f: impl FnOnce(&mut RunEnv<'_, '_, '_>) -> mlua::Result<R>,
) -> mlua::Result<R> {
    match env.try_borrow_mut() {
        Ok(mut env) => f(&mut env),
        Err(_) => Err(mlua::Error::runtime("redis.call is not reentrant")),
    }
}

/// Puts the interpreter back and ends the run.
fn finish(scripts: &mut crate::scripting::Scripts, engine: Engine, is_function: bool) {
    scripts.running_function = None;
    if scripts.running.take().is_some_and(|r| r.timed_out) {
        log::warn!("Slow script finished.");
    }
    scripts.runs += 1;
    if scripts.runs.is_multiple_of(GC_EVERY_RUNS) {
        engine.gc_step(GC_EVERY_RUNS as i32);
    }
    // SCRIPT FLUSH from inside is refused (noscript), so the engine is the same.
    if is_function {
        scripts.functions.engine = Some(engine);
    } else {
        scripts.engine = Some(engine);
    }
}

/// True for an error table a failed command produced: INFO counted it then.
fn counted_already(error: &Value) -> bool {
    matches!(error, Value::Table(t) if t.raw_get::<bool>("ignore_error_stats_update").unwrap_or(false))
}

/// The client error for a failed script, from its error table: the message, and
/// where in the script it happened (Redis 7's format).
fn error_text(error: &Value, sha: &str) -> String {
    let t = match error {
        Value::Table(t) => t,
        // Out of memory: Lua skips the message handler and leaves its text.
        Value::String(s) => {
            let text: String = s.to_string_lossy().chars().take(100).collect();
            return format!("ERR Error running script {sha}, {text}");
        }
        _ => return format!("ERR Error running script {sha}, execution failure"),
    };
    let field = |name: &str| match t.raw_get::<Value>(name) {
        Ok(Value::String(s)) => Some(s.to_string_lossy()),
        Ok(Value::Integer(n)) => Some(n.to_string()),
        Ok(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let msg = field("err").unwrap_or_else(|| "ERR unknown error".into());
    match (field("source"), field("line")) {
        (Some(source), Some(line)) => format!("{msg} script: {sha}, on {source}:{line}."),
        _ => msg,
    }
}

/// What `redis.call` and the hook reach while the script runs.
struct RunEnv<'c, 'a, 'p> {
    ctx: &'c mut Ctx<'a>,
    pump: Option<&'p mut dyn Pump>,
    read_only: bool,
    threshold: Duration,
    sha: &'c str,
    runtime: &'c Table,
    /// Where a called command writes its reply before it becomes a Lua value.
    scratch: BytesMut,
}

impl RunEnv<'_, '_, '_> {
    /// `redis.call` / `redis.pcall`: returns the reply, and whether it is an error
    /// (which `redis.call` raises).
    fn call(&mut self, lua: &Lua, args: MultiValue) -> mlua::Result<(Value, bool)> {
        let argv = match to_argv(args) {
            Ok(argv) => argv,
            Err(text) => return Ok((error_table(lua, text)?, true)),
        };
        let resp3 = self.runtime.raw_get::<i64>("resp").unwrap_or(2) == 3;
        let req = OwnedRequest::from_args(argv.iter().map(Vec::as_slice));
        self.scratch.clear();
        let version = if resp3 {
            RespVersion::V3
        } else {
            RespVersion::V2
        };
        let mut sub = Ctx {
            store: &mut *self.ctx.store,
            server: &mut *self.ctx.server,
            me: self.ctx.me,
            out: Reply::new(&mut self.scratch, version),
            now: self.ctx.now,
        };
        match crate::commands::script_call(&mut sub, &req.request(), self.read_only) {
            Ok(wrote) => {
                if wrote && let Some(running) = self.ctx.server.scripts.running.as_mut() {
                    running.wrote = true;
                }
            }
            Err(e) => {
                // A refused call counts its error now (Redis's scriptCall →
                // afterErrorReply); the table says so, so that returning it does
                // not count it again.
                let text = e.to_string();
                self.ctx.server.count_error(&text);
                let table = error_table(lua, &text)?;
                if let Value::Table(t) = &table {
                    t.raw_set("ignore_error_stats_update", true)?;
                }
                return Ok((table, true));
            }
        }
        let frame = match Frame::decode(&self.scratch) {
            Ok(Some((frame, _))) => frame,
            _ => Frame::Error("ERR the command gave no reply".into()),
        };
        let failed = matches!(frame, Frame::Error(_));
        Ok((frame_to_lua(lua, frame, resp3)?, failed))
    }

    /// `redis.acl_check_cmd(cmd, args...)`: whether the caller's user may run it
    /// (`true, allowed`), or `false, error table` for arguments that name no command.
    fn acl_check(&self, lua: &Lua, args: MultiValue) -> mlua::Result<(bool, Value)> {
        let argv = match to_argv(args) {
            Ok(argv) => argv,
            Err(text) => return Ok((false, error_table(lua, text)?)),
        };
        let req = OwnedRequest::from_args(argv.iter().map(Vec::as_slice));
        let req = req.request();
        let Some((index, spec)) = crate::commands::table::lookup_indexed(req.arg(0)) else {
            let text = "ERR Invalid command passed to redis.acl_check_cmd()";
            return Ok((false, error_table(lua, text)?));
        };
        let server = &self.ctx.server;
        let allowed = server
            .acl
            .user(server.clients[self.ctx.me].user)
            .is_some_and(|user| {
                crate::commands::connection::auth::permission(user, index, spec, &req).is_ok()
            });
        Ok((true, Value::Boolean(allowed)))
    }

    /// The count hook: past the threshold, serves the other clients; true when the
    /// script must stop (SCRIPT KILL or SHUTDOWN).
    fn busy_tick(&mut self) -> bool {
        let Some(running) = self.ctx.server.scripts.running.as_mut() else {
            return false;
        };
        if !running.timed_out {
            let elapsed = running.started.elapsed();
            if elapsed < self.threshold {
                return false;
            }
            running.timed_out = true;
            log::warn!(
                "Slow script detected: still in execution after {} milliseconds. You can \
                 try killing the script using the SCRIPT KILL command. Script name is: {}.",
                elapsed.as_millis(),
                self.sha
            );
        }
        if let Some(pump) = self.pump.as_mut() {
            pump.pump(self.ctx.store, self.ctx.server);
        }
        let stop = self.ctx.server.shutdown
            || self
                .ctx
                .server
                .scripts
                .running
                .as_ref()
                .is_some_and(|r| r.kill);
        if stop {
            log::warn!("Lua script killed by user with SCRIPT KILL.");
        }
        stop
    }
}

/// A command's arguments from `redis.call`'s: strings, and numbers in full
/// precision (Redis formats them with 17 significant digits, not Lua's 14).
fn to_argv(args: MultiValue) -> Result<Vec<Vec<u8>>, &'static str> {
    if args.is_empty() {
        return Err("ERR Please specify at least one argument for this redis lib call");
    }
    args.into_iter()
        .map(|arg| match arg {
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            Value::Integer(n) => Ok(n.to_string().into_bytes()),
            Value::Number(n) => Ok(number_text(n).into_bytes()),
            _ => Err("ERR Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

/// A Lua number as an argument: integers without a fraction, others in the
/// shortest text that reads back the same (`%.17g` in spirit).
fn number_text(n: f64) -> String {
    let exponent_form = n.is_finite() && (n.abs() >= 1e17 || (n != 0.0 && n.abs() < 1e-4));
    if !exponent_form || (n.fract() == 0.0 && n.abs() < 1e17) {
        // Integers, nan, inf and the rest as Redis writes a double.
        return crate::protocol::reply::format_double(n);
    }
    let text = format!("{n:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp:0>2}"),
        Some((mantissa, exp)) => format!("{mantissa}e-{:0>2}", &exp[1..]),
        None => text,
    }
}

/// Redis's error table `{err = text}` for a call refused before it ran.
fn error_table(lua: &Lua, text: &str) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set("err", text)?;
    Ok(Value::Table(t))
}

#[cfg(test)]
mod tests {
    use super::number_text;

    #[test]
    fn numbers_as_arguments() {
        assert_eq!(number_text(9007199254740991.0), "9007199254740991");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.1), "0.1");
        assert_eq!(number_text(3.25), "3.25");
        assert_eq!(number_text(1e20), "1e+20");
        assert_eq!(number_text(1.5e-7), "1.5e-07");
        assert_eq!(number_text(f64::INFINITY), "inf");
    }
}
