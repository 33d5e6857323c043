//! The Lua VM: created with Redis's libraries and sandbox, holds the compiled
//! scripts, and runs one with [`Engine::call`].

use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};

use super::sha1::sha1_hex;
use crate::REDIS_VERSION;

/// Instructions between two runs of the count hook (Redis's `LUA_MASKCOUNT` period).
pub const HOOK_EVERY: u32 = 100_000;

/// Heap growth (percent of live data) before Lua starts its next collection cycle.
const GC_PAUSE_PERCENT: i32 = 100;

/// Base functions a script must not have (Redis's `deny_list`): no file access.
const DENIED_GLOBALS: &[&str] = &["dofile", "loadfile", "print"];

/// One Lua interpreter with the runtime of `prelude.lua` loaded.
pub struct Engine {
    lua: Lua,
    /// Hidden table shared with the prelude: `call`, `busy`, `resp`.
    runtime: Table,
    /// The prelude's `run(f, hook_every)`.
    run: Function,
    /// Lua's own `collectgarbage`, kept before scripts can touch globals (a GC step
    /// of a given size is not in mlua's API).
    collect: Function,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engine")
    }
}

impl Engine {
    /// A fresh interpreter: base, table, string and math libraries, the `redis` API,
    /// and globals that scripts can read but neither create nor change.
    pub fn new() -> mlua::Result<Engine> {
        Engine::build(false)
    }

    /// An interpreter for function libraries: [`Engine::new`]'s, plus the FUNCTION
    /// LOAD runtime (`functions.lua`: `redis.register_function` and the load-time
    /// globals).
    pub fn new_functions() -> mlua::Result<Engine> {
        Engine::build(true)
    }

    fn build(functions: bool) -> mlua::Result<Engine> {
        // SAFETY: the debug library is what makes this constructor `unsafe` in mlua (it
        // can break memory safety from Lua). The prelude keeps it in a local for its
        // hooks, and it is removed from the globals before any user script can run.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let globals = lua.globals();
        let runtime = lua.create_table()?;
        let redis = lua.create_table()?;
        runtime.raw_set("sha1hex", lua.create_function(sha1hex)?)?;
        runtime.raw_set(
            "raising",
            lua.create_function(|lua, f: Function| super::libs::raising(lua, f))?,
        )?;
        runtime.raw_set("log", lua.create_function(log)?)?;
        redis.raw_set("REDIS_VERSION", REDIS_VERSION)?;
        redis.raw_set("REDIS_VERSION_NUM", version_num())?;
        super::libs::open(&lua)?;
        let debug: Table = globals.raw_get("debug")?;
        for name in DENIED_GLOBALS {
            globals.raw_set(*name, Value::Nil)?;
        }
        let collect: Function = globals.raw_get("collectgarbage")?;
        let run: Function = lua
            .load(include_str!("prelude.lua"))
            .set_name("=rudis")
            .call((runtime.clone(), debug, redis.clone()))?;
        globals.raw_set("debug", Value::Nil)?;
        if functions {
            lua.load(include_str!("functions.lua"))
                .set_name("=rudis_functions")
                .call::<()>(runtime.clone())?;
        }
        runtime.raw_set("lib", Value::Nil)?;
        // Setting up leaves garbage (the compiled prelude, temporaries): start clean.
        lua.gc_collect()?;
        // A new collection cycle starts as soon as one ends (pause 100%, Lua's default
        // is 200%): scripts make garbage at every run and the heap stays near its
        // live size, as small as Redis's (`used_memory_lua`).
        collect.call::<Value>(("setpause", GC_PAUSE_PERCENT))?;
        Ok(Engine {
            lua,
            runtime,
            run,
            collect,
        })
    }

    /// The interpreter.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// The table the prelude reads `call` and `busy` from.
    pub fn runtime(&self) -> &Table {
        &self.runtime
    }

    /// Compiles a script body as Redis names it (`@user_script`, so errors say
    /// `user_script:LINE:`); `Err` carries Lua's message.
    pub fn compile(&self, code: &[u8]) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name("@user_script")
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Compiles a function library's code (after its `#!` line), named as Redis
    /// names it (`@user_function`).
    pub fn compile_library(&self, code: &[u8]) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name("@user_function")
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }

    /// Runs a compiled library (FUNCTION LOAD), stopped once `timeout` has passed
    /// (`None`: never): the functions it registered, or the error text.
    pub fn load_library(
        &self,
        f: &Function,
        timeout: Option<std::time::Duration>,
    ) -> Result<Vec<Registered>, String> {
        let started = std::time::Instant::now();
        let load: Function = self
            .runtime
            .raw_get("load_library")
            .map_err(|e| e.to_string())?;
        let outcome = self.lua.scope(|scope| {
            let timed_out = scope.create_function(move |_, ()| {
                Ok(timeout.is_some_and(|t| started.elapsed() >= t))
            })?;
            self.runtime.raw_set("load_timed_out", timed_out)?;
            let hook = if timeout.is_some() { 10_000u32 } else { 0 };
            load.call::<(bool, Value)>((f.clone(), hook))
        });
        let _ = self.runtime.raw_set("load_timed_out", Value::Nil);
        let (ok, value) = outcome.map_err(|e| e.to_string())?;
        if !ok {
            return Err(error_message(&value));
        }
        let Value::Table(list) = value else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in list.sequence_values::<Table>() {
            let entry = entry.map_err(|e| e.to_string())?;
            let flags: Vec<String> = entry
                .raw_get::<Table>("flags")
                .map(|t| {
                    t.sequence_values::<String>()
                        .filter_map(Result::ok)
                        .collect()
                })
                .unwrap_or_default();
            out.push(Registered {
                name: entry.raw_get("name").map_err(|e| e.to_string())?,
                description: entry.raw_get("desc").ok(),
                flags,
                callback: entry.raw_get("callback").map_err(|e| e.to_string())?,
            });
        }
        Ok(out)
    }

    /// Runs a function's callback with its KEYS and ARGV tables as arguments.
    pub fn call_function<'a>(
        &self,
        f: &Function,
        hook_every: u32,
        keys: impl Iterator<Item = &'a [u8]>,
        args: impl Iterator<Item = &'a [u8]>,
    ) -> mlua::Result<Result<Value, Value>> {
        let keys = self.array(keys)?;
        let args = self.array(args)?;
        let (ok, value): (bool, Value) = self.run.call((f.clone(), hook_every, keys, args))?;
        Ok(if ok { Ok(value) } else { Err(value) })
    }

    /// Sets the KEYS and ARGV globals for the next run.
    pub fn set_arguments<'a>(
        &self,
        keys: impl Iterator<Item = &'a [u8]>,
        args: impl Iterator<Item = &'a [u8]>,
    ) -> mlua::Result<()> {
        let globals = self.lua.globals();
        globals.raw_set("KEYS", self.array(keys)?)?;
        globals.raw_set("ARGV", self.array(args)?)?;
        Ok(())
    }

    fn array<'a>(&self, items: impl Iterator<Item = &'a [u8]>) -> mlua::Result<Table> {
        let table = self.lua.create_table()?;
        for (i, item) in items.enumerate() {
            table.raw_set(i + 1, self.lua.create_string(item)?)?;
        }
        Ok(table)
    }

    /// Runs `f` with the count hook every `hook_every` instructions (0 = none):
    /// `Ok(result)` or `Err(error table)`.
    pub fn call(&self, f: &Function, hook_every: u32) -> mlua::Result<Result<Value, Value>> {
        let (ok, value): (bool, Value) = self.run.call((f.clone(), hook_every))?;
        Ok(if ok { Ok(value) } else { Err(value) })
    }

    /// Runs a Lua garbage collection step of `kbytes` (Redis steps by 50 every 50
    /// scripts: `lua_gc(lua, LUA_GCSTEP, LUA_GC_CYCLE_PERIOD)`).
    pub fn gc_step(&self, kbytes: i32) {
        let _ = self.collect.call::<Value>(("step", kbytes));
    }

    /// Collects all garbage now: after a script ran out of memory, so that the next
    /// one does not fail on what it left.
    pub fn gc_full(&self) {
        let _ = self.lua.gc_collect();
    }

    /// Caps the interpreter's memory (0 = no cap).
    pub fn set_memory_limit(&self, bytes: usize) {
        let _ = self.lua.set_memory_limit(bytes);
    }

    /// Memory the interpreter uses, in bytes (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }
}

/// A function a library registered while it loaded.
#[derive(Debug)]
pub struct Registered {
    /// Its name, as given.
    pub name: String,
    /// Its description, if given.
    pub description: Option<String>,
    /// Its flags, in Redis's order (`no-writes`, `allow-oom`, ...).
    pub flags: Vec<String>,
    /// The callback.
    pub callback: Function,
}

/// The message of a load error: the error table's text without its `ERR ` code.
fn error_message(value: &Value) -> String {
    let text = match value {
        Value::Table(t) => t
            .raw_get::<mlua::LuaString>("err")
            .map(|s| s.to_string_lossy())
            .unwrap_or_else(|_| "unknown error".into()),
        Value::String(s) => s.to_string_lossy(),
        _ => "unknown error".into(),
    };
    text.strip_prefix("ERR ")
        .map(str::to_string)
        .unwrap_or(text)
}

/// `rt.sha1hex(s)`: the prelude has checked the arguments.
fn sha1hex(_: &Lua, text: mlua::LuaString) -> mlua::Result<String> {
    Ok(sha1_hex(&text.as_bytes()))
}

/// `rt.log(level, message)`: the prelude has checked the level and joined the parts.
fn log(_: &Lua, (level, text): (i64, mlua::LuaString)) -> mlua::Result<()> {
    let level = match level {
        0 => log::Level::Debug,
        1 | 2 => log::Level::Info,
        _ => log::Level::Warn,
    };
    log::log!(level, "{}", text.to_string_lossy());
    Ok(())
}

/// `REDIS_VERSION_NUM`: 0x00MMmmpp.
fn version_num() -> i64 {
    let mut parts = REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<i64>().unwrap_or(0));
    let (a, b, c) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (a << 16) | (b << 8) | c
}
