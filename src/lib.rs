//! rudis: a Redis-compatible in-memory data server on a single-threaded mio event loop.
//!
//! # Layout
//!
//! ```text
//! main ─▶ server ─┬─▶ commands ─┬─▶ runtime ──┬─▶ scripting (engine, cache)
//!                 │             ├─▶ scripting ├─▶ store
//!                 │             ├─▶ acl       └─▶ config
//!                 │             ├─▶ persistence ─▶ store
//!                 │             ├─▶ store
//!                 │             └─▶ protocol::reply
//!                 ├─▶ runtime
//!                 └─▶ protocol::parser
//! client ─▶ protocol
//! leaves, usable by all: config, error, number, glob, REDIS_VERSION
//! ```
//!
//! - [`protocol`]: RESP bytes ⇄ requests and replies (resumable parser, reply writer, frames).
//! - [`server`]: the only user of mio: accepts, reads, dispatches, writes, runs the cron.
//! - [`spec`]: one declaration per command (flags, ACL categories, group, key specs,
//!   subcommands, handler), below both `commands` and `acl`; COMMAND, dispatch and the
//!   ACL checks all read it.
//! - [`commands`]: the command table and handlers; no sockets.
//! - [`commands`]: dispatch, the command table and the handlers, one folder per family
//!   (`string/`, `list/`, `hash/`, `set/`, `zset/`, `keyspace/`, `server/`, `connection/`,
//!   `scripting/`; `pubsub.rs`, `multi.rs`); no sockets.
//! - [`runtime`]: server-wide state the commands read and change ([`runtime::ServerState`],
//!   clients, blocked clients, WATCH, pub/sub, keyspace notifications, MULTI queues).
//! - [`scripting`]: the Lua engine (sandbox, libraries, conversions) and the script cache;
//!   EVAL and `redis.call`, which need the command table, are `commands::scripting`.
//! - [`acl`]: users, passwords (SHA-256), ACL rules and categories, protected mode;
//!   beside `commands` (categories derive from the command table).
//! - [`store`]: databases, values, expiry; no I/O, no RESP.
//! - [`persistence`]: snapshot files (format, SAVE, forked BGSAVE, load at startup).
//! - [`client`]: a blocking client library over `std::net`, with serde values and a pool.
//! - Leaves: [`config`] (with the keyspace-event classes), [`error`], [`number`]
//!   (integer parsing), [`glob`] (pattern matching).
//!
//! # Dependency rules
//!
//! Dependencies point one way, down the diagram:
//! - `store` uses nothing above it (only the leaves); `protocol` never sees `store`,
//!   `runtime` or `commands`.
//! - `runtime` and `scripting` never see `commands` or `server`: what needs the command
//!   table (rerunning a blocked client's command, `redis.call`, the `Ctx` methods that
//!   block or notify) lives in `commands`, and the server state is given the table's
//!   size when it is built.
//! - `commands` never sees `server` or mio.
//! - `acl` and `commands` still use each other (ACL categories and key positions come
//!   from the command table; dispatch checks permissions).
//!
//! `grep -rn "crate::commands" src/runtime src/scripting src/store src/config src/protocol`
//! prints nothing.
//!
//! # The path of one request
//!
//! 1. socket: `server` reads the connection's bytes into its buffer (`server::conn`).
//! 2. parser: [`protocol::RequestParser`] (resumable, state kept per connection) yields a
//!    [`protocol::Request`] (an argv of spans in the read buffer).
//! 3. dispatch: `server` builds a [`commands::Ctx`] (store, server state, client token,
//!    reply writer) and calls [`commands::dispatch`].
//! 4. spec: dispatch finds the [`commands::CommandSpec`] in [`commands::table`] and checks
//!    arity, authentication and ACL, document arguments, subscriber mode and MULTI.
//! 5. handler: the spec's handler (e.g. `commands::string::value`'s GET) parses its
//!    arguments ([`commands::args`]).
//! 6. store: it reads or writes the keyspace through [`store`] (lazy expiry on lookup) and
//!    records the change (`Ctx::changed`: WATCH, blocked clients, keyspace events in
//!    [`runtime`]).
//! 7. reply: it writes its reply through [`protocol::Reply`] into the connection's output
//!    buffer; the server flushes all buffers once per event-loop turn.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod acl;
pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod glob;
pub mod number;
pub mod persistence;
pub mod protocol;
pub mod runtime;
pub mod scripting;
pub mod server;
pub mod spec;
pub mod store;

/// The Redis version this server reports (HELLO, INFO, `redis.REDIS_VERSION` in
/// scripts); clients check it for features.
pub const REDIS_VERSION: &str = "7.0.15";

pub use client::{Client, Pool};
pub use config::Config;
pub use server::Server;
