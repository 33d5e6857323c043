//! The script cache and the state of the run in progress, which the server state
//! holds: compiled scripts by SHA-1, the interpreter, the run EVAL left for the
//! server, and what SCRIPT KILL and the BUSY check see of a running script.

use std::collections::HashMap;

use super::engine::Engine;
use crate::error::CmdError;
use crate::protocol::OwnedRequest;

/// A compiled script.
pub(crate) struct Script {
    pub(crate) function: mlua::Function,
    /// Declared `#!lua` flags; `None` for a script without a shebang (Redis's
    /// EVAL compatibility mode).
    pub(crate) shebang: Option<ShebangFlags>,
}

/// The flags a script may declare on its `#!lua flags=...` line.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShebangFlags {
    pub(crate) no_writes: bool,
    pub(crate) allow_oom: bool,
}

/// A script run that EVAL checked and left for the server to start.
#[derive(Debug)]
pub struct PendingRun {
    /// The calling client.
    pub me: usize,
    pub(crate) sha: String,
    /// The EVAL request: script, numkeys, keys, arguments.
    pub(crate) req: OwnedRequest,
    pub(crate) numkeys: usize,
    pub(crate) read_only: bool,
    /// FCALL: the function to run (by name) instead of a cached script.
    pub(crate) function: Option<String>,
}

/// The script being run, as SCRIPT KILL and the BUSY check see it.
#[derive(Debug)]
pub struct Running {
    pub(crate) started: std::time::Instant,
    /// Past the busy threshold: other clients are being served (with BUSY).
    pub(crate) timed_out: bool,
    /// SCRIPT KILL (or SHUTDOWN) asked for the script to stop.
    pub(crate) kill: bool,
    /// A write command ran: the script can no longer be killed.
    pub(crate) wrote: bool,
}

/// Scripting state: the interpreter, the script cache, and the run in progress.
#[derive(Default)]
pub struct Scripts {
    /// Created at first use; `None` also while a script runs (the runner holds it).
    pub(crate) engine: Option<Engine>,
    pub(crate) cache: HashMap<String, Script>,
    pub(crate) pending: Option<Box<PendingRun>>,
    pub(crate) running: Option<Running>,
    pub(crate) runs: u64,
    /// The function libraries (FUNCTION LOAD, FCALL).
    pub functions: super::functions::Functions,
    /// While a function runs: its name and the FCALL that called it (FUNCTION STATS).
    pub(crate) running_function: Option<(String, Vec<Vec<u8>>)>,
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
    /// are then refused with `BUSY` unless they are `ALLOW_BUSY`.
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

    pub(crate) fn engine(&mut self) -> Result<&Engine, CmdError> {
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
    pub(crate) fn load(&mut self, body: &[u8], sha: &str) -> Result<(), CmdError> {
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
pub(crate) fn parse_shebang(body: &[u8]) -> Result<(Option<ShebangFlags>, &[u8]), CmdError> {
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
                "allow-oom" => flags.allow_oom = true,
                "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
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
