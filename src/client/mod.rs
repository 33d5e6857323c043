//! A blocking client library over `std::net`, with serde values and a connection pool.
//!
//! ```no_run
//! # fn main() -> Result<(), rudis::client::ClientError> {
//! use std::collections::HashMap;
//! use rudis::Client;
//!
//! let mut client = Client::connect("127.0.0.1:31337")?;
//! client.set("key", "value")?;
//! assert_eq!(client.get::<String>("key")?, Some("value".to_string()));
//!
//! let doc = HashMap::from([("nested", vec![1, 2, 3])]);
//! client.set("complex", &doc)?;
//! let back: Option<HashMap<String, Vec<i64>>> = client.get("complex")?;
//! # Ok(()) }
//! ```
//!
//! - [`Client`]: one connection; [`Client::cmd`] for any command, typed helpers for
//!   the seed's commands, [`Client::pipeline`] for batches.
//! - [`ser`] and [`de`]: serde values ⇄ RESP (nested values travel as RESP3 maps,
//!   arrays, integers, ...; the server stores them as sent).
//! - [`Pool`]: reuses connections across threads.
//!
//! Depends only on [`crate::protocol`]: the client never sees the server's internals.

mod cmd;
pub mod de;
mod error;
mod pool;
pub mod ser;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_tests;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use cmd::{Cmd, Pipeline};
pub use de::{FrameDeserializer, from_frame};
pub use error::ClientError;
pub use pool::{Pool, PooledClient};
pub use ser::to_arg;

use crate::protocol::Frame;
use crate::protocol::parser::parse_int;

/// Read buffer size: one syscall takes in many small replies (Redis's PROTO_IOBUF_LEN).
const READ_BUF_SIZE: usize = 16 * 1024;
/// Longest reply header or simple line accepted: bounds what a misbehaving server can
/// make the client buffer without a length prefix.
const MAX_LINE_LEN: u64 = 1024 * 1024;
/// Scratch buffers grown past this by one big reply or pipeline are released after it,
/// so an idle pooled connection does not hold on to them.
const KEEP_BUF_CAPACITY: usize = 1024 * 1024;

/// One connection to a rudis (or Redis) server. Not thread-safe; use a [`Pool`] to
/// share connections between threads.
///
/// After an I/O or protocol error the connection is out of step with the server and
/// every later call fails at once ([`Client::is_broken`]).
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
    out: Vec<u8>,
    raw: Vec<u8>,
    broken: bool,
    session_changed: bool,
}

impl Client {
    /// Connects (with `TCP_NODELAY`) to the first address of `addr` that accepts.
    ///
    /// # Errors
    /// [`ClientError::Io`] when no address accepts.
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client, ClientError> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::with_capacity(READ_BUF_SIZE, stream),
            out: Vec::new(),
            raw: Vec::new(),
            broken: false,
            session_changed: false,
        })
    }

    /// Fails a read that waits longer than `timeout` (`None`: wait forever, the default).
    /// A timed-out call leaves the connection broken, since its reply may still come.
    ///
    /// # Errors
    /// [`ClientError::Io`] for a zero duration.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        Ok(self.reader.get_ref().set_read_timeout(timeout)?)
    }

    /// Fails a write that blocks longer than `timeout` (`None`: wait forever, the default).
    ///
    /// # Errors
    /// [`ClientError::Io`] for a zero duration.
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> Result<(), ClientError> {
        Ok(self.reader.get_ref().set_write_timeout(timeout)?)
    }

    /// The server's address.
    ///
    /// # Errors
    /// [`ClientError::Io`] if the socket is no longer connected.
    pub fn peer_addr(&self) -> Result<SocketAddr, ClientError> {
        Ok(self.reader.get_ref().peer_addr()?)
    }

    /// The local address of this connection (distinct for each TCP connection).
    ///
    /// # Errors
    /// [`ClientError::Io`] if the socket is no longer connected.
    pub fn local_addr(&self) -> Result<SocketAddr, ClientError> {
        Ok(self.reader.get_ref().local_addr()?)
    }

    /// True after an I/O or protocol error: the connection cannot be used again.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// True when the connection may serve someone else: not broken, and no command
    /// changed its state (SELECT, MULTI, HELLO, SUBSCRIBE, CLIENT, QUIT, ...).
    pub fn is_reusable(&self) -> bool {
        !self.broken && !self.session_changed
    }

    /// Sends one command given as its arguments and reads its reply.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), rudis::client::ClientError> {
    /// # let mut client = rudis::Client::connect("127.0.0.1:31337")?;
    /// let reply = client.cmd(&["ECHO", "hello"])?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Server`] for an error reply (the connection stays usable);
    /// [`ClientError::Encode`] for an empty command; [`ClientError::Io`] or
    /// [`ClientError::Protocol`] when the connection fails.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame, ClientError> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        let sent = cmd::encode_args(&mut out, args).and_then(|session| self.send(&out, session));
        self.recycle_out(out);
        sent?;
        self.read_ok_reply()
    }

    /// Sends a built [`Cmd`] and reads its reply; errors as [`Client::cmd`].
    pub fn query(&mut self, cmd: &Cmd) -> Result<Frame, ClientError> {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        cmd.encode(&mut out);
        let sent = self.send(&out, cmd.changes_session());
        self.recycle_out(out);
        sent?;
        self.read_ok_reply()
    }

    /// A pipeline: queue commands, then send them in one write with
    /// [`Pipeline::query`].
    pub fn pipeline(&mut self) -> Pipeline<'_> {
        Pipeline::new(self)
    }

    /// `PING`.
    ///
    /// # Errors
    /// As [`Client::cmd`]; [`ClientError::Protocol`] if the reply is not `PONG`.
    pub fn ping(&mut self) -> Result<(), ClientError> {
        match self.cmd(&["PING"])? {
            Frame::Simple(s) if s == "PONG" => Ok(()),
            other => Err(unexpected(&other)),
        }
    }

    /// `GET key`, decoded into `T`; `None` when the key does not exist.
    ///
    /// # Errors
    /// As [`Client::cmd`]; [`ClientError::Decode`] when the value does not fit `T`.
    pub fn get<T: DeserializeOwned>(
        &mut self,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<T>, ClientError> {
        let reply = self.query(&Cmd::new("GET").arg(key))?;
        optional(reply)
    }

    /// `SET key value`, the value encoded by [`ser`]: a string or number is stored as a
    /// Redis string, anything else as a nested document.
    ///
    /// # Errors
    /// As [`Client::cmd`]; [`ClientError::Encode`] when the value cannot be encoded.
    pub fn set<T: Serialize + ?Sized>(
        &mut self,
        key: impl AsRef<[u8]>,
        value: &T,
    ) -> Result<(), ClientError> {
        let reply = self.query(&Cmd::new("SET").arg(key).value(value)?)?;
        expect_ok(reply)
    }

    /// `MGET key ...`, each value decoded into `T` (`None` for a missing key). No keys:
    /// an empty result without a round trip.
    ///
    /// # Errors
    /// As [`Client::get`].
    pub fn mget<T: DeserializeOwned, K: AsRef<[u8]>>(
        &mut self,
        keys: &[K],
    ) -> Result<Vec<Option<T>>, ClientError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let cmd = keys.iter().fold(Cmd::new("MGET"), |cmd, k| cmd.arg(k));
        match self.query(&cmd)? {
            Frame::Array(items) if items.len() == keys.len() => {
                items.into_iter().map(optional).collect()
            }
            other => Err(unexpected(&other)),
        }
    }

    /// `MSET key value ...`, values encoded as by [`Client::set`]. No pairs: nothing
    /// is sent.
    ///
    /// # Errors
    /// As [`Client::set`].
    pub fn mset<K: AsRef<[u8]>, T: Serialize + ?Sized>(
        &mut self,
        pairs: &[(K, &T)],
    ) -> Result<(), ClientError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let mut cmd = Cmd::new("MSET");
        for (key, value) in pairs {
            cmd = cmd.arg(key).value(*value)?;
        }
        expect_ok(self.query(&cmd)?)
    }

    /// `DEL key ...`: how many of the keys existed. No keys: 0 without a round trip.
    ///
    /// # Errors
    /// As [`Client::cmd`].
    pub fn delete<K: AsRef<[u8]>>(&mut self, keys: &[K]) -> Result<i64, ClientError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let cmd = keys.iter().fold(Cmd::new("DEL"), |cmd, k| cmd.arg(k));
        expect_int(self.query(&cmd)?)
    }

    /// The seed's `FLUSH`: empties the current database, returning how many keys it held.
    ///
    /// # Errors
    /// As [`Client::cmd`].
    pub fn flush(&mut self) -> Result<i64, ClientError> {
        expect_int(self.cmd(&["FLUSH"])?)
    }

    /// `INCR key`: the new value.
    ///
    /// # Errors
    /// As [`Client::cmd`] (`ERR value is not an integer or out of range` for a
    /// non-integer value).
    pub fn incr(&mut self, key: impl AsRef<[u8]>) -> Result<i64, ClientError> {
        expect_int(self.query(&Cmd::new("INCR").arg(key))?)
    }

    /// `EXPIRE key seconds`: true when the timeout was set (the key exists).
    ///
    /// # Errors
    /// As [`Client::cmd`].
    pub fn expire(&mut self, key: impl AsRef<[u8]>, seconds: i64) -> Result<bool, ClientError> {
        let mut digits = itoa::Buffer::new();
        let cmd = Cmd::new("EXPIRE").arg(key).arg(digits.format(seconds));
        Ok(expect_int(self.query(&cmd)?)? == 1)
    }

    /// `TTL key`: seconds left, -1 for a key without expiry, -2 for a missing key.
    ///
    /// # Errors
    /// As [`Client::cmd`].
    pub fn ttl(&mut self, key: impl AsRef<[u8]>) -> Result<i64, ClientError> {
        expect_int(self.query(&Cmd::new("TTL").arg(key))?)
    }

    /// Writes `bytes` (whole commands); `session` marks a command that changes
    /// connection state.
    fn send(&mut self, bytes: &[u8], session: bool) -> Result<(), ClientError> {
        if self.broken {
            return Err(broken());
        }
        self.session_changed |= session;
        let result = self.reader.get_mut().write_all(bytes);
        if result.is_err() {
            self.broken = true;
        }
        Ok(result?)
    }

    /// Reads one reply frame, whatever its type.
    fn read_reply(&mut self) -> Result<Frame, ClientError> {
        let result = read_frame(&mut self.reader, &mut self.raw);
        if self.raw.capacity() > KEEP_BUF_CAPACITY {
            self.raw = Vec::new();
        }
        if result.is_err() {
            self.broken = true;
        }
        result
    }

    /// Reads one reply; an error reply becomes [`ClientError::Server`].
    fn read_ok_reply(&mut self) -> Result<Frame, ClientError> {
        match self.read_reply()? {
            Frame::Error(text) => Err(ClientError::Server(text)),
            frame => Ok(frame),
        }
    }

    fn recycle_out(&mut self, out: Vec<u8>) {
        if out.capacity() <= KEEP_BUF_CAPACITY {
            self.out = out;
        }
    }

    /// True when an idle connection is still open and has nothing unread; probes the
    /// socket without blocking.
    pub(crate) fn idle_and_open(&self) -> bool {
        if self.broken || !self.reader.buffer().is_empty() {
            return false;
        }
        let stream = self.reader.get_ref();
        if stream.set_nonblocking(true).is_err() {
            return false;
        }
        let mut probe = [0u8; 1];
        // Open and quiet: no data (a reply nobody asked for) and no end of stream.
        let quiet =
            matches!(stream.peek(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        stream.set_nonblocking(false).is_ok() && quiet
    }
}

fn broken() -> ClientError {
    ClientError::Io(io::Error::new(
        io::ErrorKind::NotConnected,
        "connection unusable after an earlier I/O or protocol error",
    ))
}

fn unexpected(frame: &Frame) -> ClientError {
    ClientError::Protocol(format!("unexpected reply {frame:?}"))
}

fn optional<T: DeserializeOwned>(frame: Frame) -> Result<Option<T>, ClientError> {
    match frame {
        Frame::Null => Ok(None),
        Frame::Error(text) => Err(ClientError::Server(text)),
        frame => from_frame(frame).map(Some),
    }
}

fn expect_ok(frame: Frame) -> Result<(), ClientError> {
    match frame {
        Frame::Simple(s) if s == "OK" => Ok(()),
        other => Err(unexpected(&other)),
    }
}

fn expect_int(frame: Frame) -> Result<i64, ClientError> {
    match frame {
        Frame::Integer(n) => Ok(n),
        other => Err(unexpected(&other)),
    }
}

/// Reads exactly one reply frame from `reader`, using `raw` as scratch.
///
/// The frame's bytes are gathered by following its headers (bulk lengths and element
/// counts, no prealloc from either), then decoded once by [`Frame::decode`]: linear in
/// the reply size however it is split across reads.
pub(crate) fn read_frame(
    reader: &mut impl BufRead,
    raw: &mut Vec<u8>,
) -> Result<Frame, ClientError> {
    raw.clear();
    let mut remaining: u64 = 1;
    while remaining > 0 {
        remaining -= 1;
        let start = raw.len();
        let n = reader.by_ref().take(MAX_LINE_LEN).read_until(b'\n', raw)?;
        if raw[start..].last() != Some(&b'\n') {
            return Err(if n as u64 == MAX_LINE_LEN {
                ClientError::Protocol("reply line too long".into())
            } else {
                closed()
            });
        }
        let line = &raw[start..];
        let Some(body) = line
            .get(1..line.len().saturating_sub(2))
            .filter(|_| line.ends_with(b"\r\n"))
        else {
            return Err(ClientError::Protocol("reply line not ended by CRLF".into()));
        };
        let int =
            || parse_int(body).ok_or_else(|| ClientError::Protocol("bad length in reply".into()));
        match line[0] {
            b'$' | b'=' => {
                let len = int()?;
                if len >= 0 {
                    let want = len as u64 + 2;
                    let got = reader.by_ref().take(want).read_to_end(raw)?;
                    if got as u64 != want {
                        return Err(closed());
                    }
                }
            }
            kind @ (b'*' | b'~' | b'>' | b'%') => {
                let len = int()?;
                if len > 0 {
                    let elements = if kind == b'%' {
                        len as u64 * 2
                    } else {
                        len as u64
                    };
                    remaining = remaining.saturating_add(elements);
                }
            }
            _ => {}
        }
    }
    match Frame::decode(raw) {
        Ok(Some((frame, used))) if used == raw.len() => Ok(frame),
        Ok(_) => Err(ClientError::Protocol(
            "reply does not decode as one frame".into(),
        )),
        Err(e) => Err(ClientError::Protocol(e.to_string())),
    }
}

fn closed() -> ClientError {
    ClientError::Io(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "server closed the connection",
    ))
}
