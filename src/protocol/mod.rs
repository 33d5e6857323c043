//! The codec room: bytes ⇄ requests and replies. Depends on nothing but `bytes`.
//!
//! - [`parser`]: the resumable request parser the server runs on every connection.
//! - [`inline`]: splitting of inline (telnet) commands.
//! - [`reply`]: the writer commands use to put replies into an output buffer.
//! - [`frame`]: an owned value of any RESP2/RESP3 type, with a full decoder and
//!   encoder, for the client library, tests and fuzzing (never the server hot path).

pub mod frame;
pub mod inline;
pub mod parser;
pub mod reply;
pub mod request;

pub use frame::Frame;
pub use parser::{ArgSpan, OwnedRequest, Parsed, ProtoLimits, Request, RequestParser};
pub use reply::{Reply, RespVersion};
