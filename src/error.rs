//! The two kinds of failure a request can meet, with Redis's exact reply texts.
//!
//! - [`ProtocolError`]: the byte stream is malformed. The client gets
//!   `-ERR Protocol error: ...` and the connection closes after that reply.
//! - [`CmdError`]: a well-formed command was refused. The client gets the error reply
//!   and the connection lives.

use std::borrow::Cow;
use std::fmt;

/// A malformed request stream; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    detail: Cow<'static, str>,
}

impl ProtocolError {
    /// An error whose reply is `ERR Protocol error: {detail}`.
    pub fn new(detail: impl Into<Cow<'static, str>>) -> Self {
        ProtocolError {
            detail: detail.into(),
        }
    }

    /// The part after `Protocol error: `.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ERR Protocol error: {}", self.detail)
    }
}

impl std::error::Error for ProtocolError {}

/// A refused command; `Display` gives the reply text without the leading `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// `ERR wrong number of arguments for '<name>' command`.
    Arity(String),
    /// `ERR unknown command '<name>', with args beginning with: ...`.
    UnknownCommand(String),
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`.
    WrongType,
    /// `ERR value is not an integer or out of range`.
    NotInteger,
    /// `ERR value is not a valid float`.
    NotFloat,
    /// `ERR syntax error`.
    Syntax,
    /// `ERR no such key`.
    NoSuchKey,
    /// `ERR increment or decrement would overflow`.
    Overflow,
    /// `ERR DB index is out of range`.
    DbIndex,
    /// A document (nested value) where the command needs a string.
    DocArgument,
    /// Any other text, given in full (e.g. `ERR invalid expire time in 'set' command`).
    Msg(Cow<'static, str>),
}

impl CmdError {
    /// An error with a complete custom text.
    pub fn msg(text: impl Into<Cow<'static, str>>) -> Self {
        CmdError::Msg(text.into())
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::Arity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            CmdError::UnknownCommand(text) => f.write_str(text),
            CmdError::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            CmdError::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            CmdError::NotFloat => f.write_str("ERR value is not a valid float"),
            CmdError::Syntax => f.write_str("ERR syntax error"),
            CmdError::NoSuchKey => f.write_str("ERR no such key"),
            CmdError::Overflow => f.write_str("ERR increment or decrement would overflow"),
            CmdError::DbIndex => f.write_str("ERR DB index is out of range"),
            CmdError::DocArgument => f.write_str(
                "ERR nested values are accepted only as the value of SET, SETNX, SETEX, PSETEX, GETSET, MSET and MSETNX",
            ),
            CmdError::Msg(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for CmdError {}
