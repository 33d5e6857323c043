//! rudis: a Redis-compatible in-memory data server on a single-threaded mio event loop.
//!
//! # Layout
//!
//! ```text
//! main ─▶ server ─┬─▶ commands ─┬─▶ store
//!                 │             ├─▶ persistence ─▶ store
//!                 │             └─▶ protocol::reply
//!                 └─▶ protocol::parser
//! client ─▶ protocol            (config, error: leaves, usable by all)
//! ```
//!
//! - [`protocol`]: RESP bytes ⇄ requests and replies (resumable parser, reply writer, frames).
//! - [`server`]: the only user of mio: accepts, reads, dispatches, writes, runs the cron.
//! - [`spec`]: one declaration per command (flags, ACL categories, group, key specs,
//!   subcommands, handler), below both `commands` and `acl`; COMMAND, dispatch and the
//!   ACL checks all read it.
//! - [`commands`]: the command table and handlers; no sockets.
//! - [`acl`]: users, passwords (SHA-256), ACL rules and categories, protected mode;
//!   beside `commands` (categories derive from the command table).
//! - [`store`]: databases, values, expiry; no I/O, no RESP.
//! - [`persistence`]: snapshot files (format, SAVE, forked BGSAVE, load at startup).
//! - [`client`]: a blocking client library over `std::net`, with serde values and a pool.
//!
//! Dependencies point one way: `store` uses nothing above it, `protocol` never sees
//! `store` or `commands`, `commands` never sees `server`.
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod acl;
pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod persistence;
pub mod protocol;
pub mod server;
pub mod spec;
pub mod store;

pub use client::{Client, Pool};
pub use config::Config;
pub use server::Server;
