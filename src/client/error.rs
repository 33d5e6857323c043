//! What can go wrong talking to a server.

use std::fmt;

/// A failed client call.
#[derive(Debug)]
pub enum ClientError {
    /// The socket failed, timed out, or the server closed the connection. The
    /// connection is unusable afterwards.
    Io(std::io::Error),
    /// The server's bytes are not valid RESP, or not the reply the call expects.
    Protocol(String),
    /// The server answered with an error reply; this is its text without the leading
    /// `-` (for example `WRONGTYPE Operation against a key holding the wrong kind of value`).
    Server(String),
    /// A reply did not fit the type asked for.
    Decode(String),
    /// A value could not be encoded as an argument (its `Serialize` implementation
    /// failed), or a command was empty.
    Encode(String),
}

impl ClientError {
    /// The error code of a server error: its first word (`ERR`, `WRONGTYPE`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Server(text) => text.split(' ').next(),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "I/O error: {e}"),
            ClientError::Protocol(m) => write!(f, "protocol error: {m}"),
            ClientError::Server(m) => f.write_str(m),
            ClientError::Decode(m) => write!(f, "cannot decode the reply: {m}"),
            ClientError::Encode(m) => write!(f, "cannot encode the command: {m}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> Self {
        ClientError::Io(e)
    }
}

impl serde::de::Error for ClientError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ClientError::Decode(msg.to_string())
    }
}

impl serde::ser::Error for ClientError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ClientError::Encode(msg.to_string())
    }
}
