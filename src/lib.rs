//! rudis: a Redis-compatible in-memory data server on a single-threaded mio event loop.
//!
//! # Layers
//!
//! ```text
//! main ─▶ server ─┬─▶ commands ─┬─▶ spec ◀── acl
//!                 │   (dispatch, ├─▶ acl
//!                 │    handlers) ├─▶ runtime ──┬─▶ scripting (engine, cache)
//!                 │              ├─▶ scripting ├─▶ acl
//!                 │              ├─▶ persistence ─▶ store
//!                 │              ├─▶ store     └─▶ store
//!                 │              └─▶ protocol::reply
//!                 ├─▶ runtime
//!                 └─▶ protocol::parser
//! client ─▶ protocol
//! leaves, usable by all: config, error, number, glob, REDIS_VERSION
//! ```
//!
//! - [`protocol`]: RESP bytes ⇄ requests and replies (resumable parser, reply writer, frames).
//! - [`server`]: the only user of mio: accepts, reads, dispatches, writes, runs the cron.
//! - [`spec`]: the shape of a command's one declaration (name, arity, typed flags, ACL
//!   categories, group, key specs, subcommands, document arguments, handler), generic over
//!   the handler type so that it sits below both `commands` and `acl`.
//! - [`commands`]: dispatch, the command table ([`commands::table`]: every family's
//!   declarations) and the handlers, one folder per family (`string/`, `list/`, `hash/`,
//!   `set/`, `zset/`, `keyspace/`, `server/`, `connection/`, `scripting/`; `pubsub.rs`,
//!   `multi.rs`); no sockets. COMMAND, ACL categories and ids, key extraction and
//!   dispatch all read the declarations.
//! - [`runtime`]: server-wide state the commands read and change ([`runtime::ServerState`],
//!   clients, blocked clients, WATCH, pub/sub, keyspace notifications, MULTI queues).
//! - [`scripting`]: the Lua engine (sandbox, libraries, conversions) and the script cache;
//!   EVAL and `redis.call`, which need the command table, are `commands::scripting`.
//! - [`acl`]: users, passwords (SHA-256), ACL rules, categories and command ids
//!   ([`acl::Registry`], built from any command table), protected mode.
//! - [`store`]: databases, values, expiry, the key handles ([`store::KeyRef`],
//!   [`store::KeyMut`]) and the log of writes; no I/O, no RESP.
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
//! - `spec` sees no handler code; `acl` reads `spec`, never `commands`: the command table
//!   hands it its [`acl::Registry`] when the server state is built.
//! - `runtime` and `scripting` never see `commands` or `server`: what needs the command
//!   table (rerunning a blocked client's command, `redis.call`, the `Ctx` methods that
//!   block or notify) lives in `commands`.
//! - `commands` never sees `server` or mio.
//!
//! `grep -rn "crate::commands" src/{runtime,scripting,store,config,protocol,spec,acl}`
//! finds only test modules.
//!
//! # The path of one request
//!
//! 1. socket: `server` reads the connection's bytes into its buffer (`server::conn`).
//! 2. parser: [`protocol::RequestParser`] (resumable, state kept per connection) yields a
//!    [`protocol::Request`] (an argv of spans in the read buffer).
//! 3. dispatch: `server` builds a [`commands::Ctx`] (store, server state, client token,
//!    reply writer) and calls [`commands::dispatch`].
//! 4. spec: dispatch finds the declaration in [`commands::table`] and checks arity,
//!    authentication and ACL (the key positions come from its key specs), document
//!    arguments, subscriber mode and MULTI.
//! 5. handler: the declaration's handler (e.g. `commands::string::value`'s GET) parses its
//!    arguments ([`commands::args`]).
//! 6. store: it reads or writes keys through handles ([`store::KeyRef`], [`store::KeyMut`])
//!    that borrow the store, so a key's position cannot be used after the table changed;
//!    a write handle records its change (key and keyspace event) in the store's log.
//! 7. reply: it writes its reply through [`protocol::Reply`] into the connection's output
//!    buffer. If it fails, dispatch takes back what it wrote and writes the error alone.
//! 8. after the handler, dispatch hands the log of writes to the one write path
//!    ([`runtime::notify::publish_store_events`]): blocked clients are woken, WATCH is
//!    invalidated, keyspace events are published. The server flushes all output buffers
//!    once per event-loop turn.
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

/// The README's Rust snippets, compiled by `cargo test` as doc tests so that they
/// stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use config::Config;
pub use server::Server;
