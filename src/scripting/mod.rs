//! The Lua engine for scripts, with no commands: the interpreter and its sandbox
//! (`engine`), Lua ⇄ RESP conversions (`convert`), the libraries Redis bundles
//! (`libs`), SHA-1 ([`sha1`]), and the script cache the server state holds
//! ([`Scripts`]). EVAL, SCRIPT and the `redis.call` bridge, which need the command
//! table, are `commands::scripting`.

pub(crate) mod convert;
pub(crate) mod engine;
pub mod functions;
pub(crate) mod host;
pub(crate) mod libs;
pub mod scripts;
pub mod sha1;

pub use scripts::{PendingRun, Running, Scripts};
