//! One client connection: its socket, buffers and parser state.

use std::io::{self, Read, Write};

use bytes::{Buf, BytesMut};
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};

use crate::protocol::RequestParser;

/// Largest read buffer kept while idle; bigger ones are dropped once empty so an idle
/// client that once sent a big value does not pin its memory.
pub const MAX_IDLE_BUFFER: usize = 64 * 1024;
/// Bytes read from one client per loop turn before others get their turn
/// (fairness; the client is put back on the ready queue).
pub const READ_BUDGET: usize = 1024 * 1024;
/// Bytes written to one client per flush before others get their turn
/// (Redis's NET_MAX_WRITES_PER_EVENT idea).
pub const WRITE_BUDGET: usize = 1024 * 1024;

/// Outcome of draining the socket into the read buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The socket has no more bytes for now.
    Drained,
    /// The per-turn budget ran out with bytes possibly left: come back next turn.
    BudgetSpent,
    /// The peer closed its side (bytes read before still count).
    Eof,
}

/// Outcome of a flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushOutcome {
    /// Everything was written.
    Done,
    /// The socket is full; a writable event will come.
    Blocked,
    /// The per-turn budget ran out: come back next turn.
    BudgetSpent,
}

/// A client connection.
#[derive(Debug)]
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read and not yet dropped. The first `rpos` of them belong to requests
    /// already run in the batch under way.
    pub rbuf: BytesMut,
    /// Bytes at the front of `rbuf` taken by requests run in the batch under way: they
    /// are dropped once, when the batch ends ([`Conn::release`]), not after every
    /// request (Redis's `qb_pos`). 0 outside a batch.
    pub rpos: usize,
    /// Replies not yet written.
    pub wbuf: BytesMut,
    /// Where the parse of `rbuf` stands.
    pub parser: RequestParser,
    /// The peer has shut down its sending side.
    pub eof: bool,
    /// An event reported the peer's FIN: read until end of stream, since a short read
    /// may leave the FIN unseen and no new event will announce it.
    pub read_closed: bool,
    /// The connection is on the ready queue.
    pub queued: bool,
    /// The connection is on the pending-write list.
    pub pending_write: bool,
    /// The connection will be freed at the end of this turn.
    pub closing: bool,
    /// Registered for writable events too (only while replies wait on a full socket).
    write_interest: bool,
    /// When the output buffer went over its class's soft limit (Unix s, 0 = under;
    /// Redis's `obuf_soft_limit_reached_time`).
    pub obuf_soft_since: i64,
}

impl Conn {
    /// A connection over an accepted socket.
    pub fn new(stream: TcpStream) -> Conn {
        Conn {
            stream,
            rbuf: BytesMut::new(),
            rpos: 0,
            wbuf: BytesMut::new(),
            parser: RequestParser::new(),
            eof: false,
            read_closed: false,
            queued: false,
            pending_write: false,
            closing: false,
            write_interest: false,
            obuf_soft_since: 0,
        }
    }

    /// Reads from the socket into `rbuf` through `scratch` until it is drained, the
    /// peer closes, or [`READ_BUDGET`] is spent. Returns the outcome and bytes read.
    pub fn fill(&mut self, scratch: &mut [u8]) -> io::Result<(ReadOutcome, usize)> {
        let mut total = 0;
        loop {
            match self.stream.read(scratch) {
                Ok(0) => return Ok((ReadOutcome::Eof, total)),
                Ok(n) => {
                    self.rbuf.extend_from_slice(&scratch[..n]);
                    total += n;
                    // A short read emptied the socket: under epoll, new bytes will
                    // raise a new edge, so no extra read() to see WouldBlock. A FIN
                    // that came with the bytes raises none: then read on to see it.
                    if n < scratch.len() && !self.read_closed {
                        return Ok((ReadOutcome::Drained, total));
                    }
                    if total >= READ_BUDGET {
                        return Ok((ReadOutcome::BudgetSpent, total));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok((ReadOutcome::Drained, total));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `wbuf` to the socket; keeps any unwritten tail. Returns the outcome and
    /// bytes written.
    pub fn flush(&mut self) -> io::Result<(FlushOutcome, usize)> {
        let mut total = 0;
        while !self.wbuf.is_empty() {
            if total >= WRITE_BUDGET {
                return Ok((FlushOutcome::BudgetSpent, total));
            }
            match self.stream.write(&self.wbuf) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    if n == self.wbuf.len() {
                        // All of it (the common case): cheaper than moving the start.
                        self.wbuf.clear();
                    } else {
                        self.wbuf.advance(n);
                    }
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Ok((FlushOutcome::Blocked, total));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        if self.wbuf.capacity() > MAX_IDLE_BUFFER {
            self.wbuf = BytesMut::new();
        }
        Ok((FlushOutcome::Done, total))
    }

    /// Registers for writable events while replies wait in `wbuf`, and only then: as
    /// Redis does, so the ACK after every reply does not wake the loop for nothing.
    pub fn sync_write_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want = !self.wbuf.is_empty();
        if want != self.write_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.stream, token, interest)?;
            self.write_interest = want;
        }
        Ok(())
    }

    /// Records that the socket was registered for writable events too (an outgoing
    /// connection, which learns it is connected from its first writable event).
    pub fn assume_write_interest(&mut self) {
        self.write_interest = true;
    }

    /// The bytes of `rbuf` not yet taken by a request.
    #[inline]
    pub fn unread(&self) -> &[u8] {
        &self.rbuf[self.rpos..]
    }

    /// Drops the bytes of the requests run in this batch from the front of `rbuf`.
    #[inline]
    pub fn release(&mut self) {
        if self.rpos == self.rbuf.len() {
            // All of it (the common case): no offset to move (Redis's sdsclear).
            self.rbuf.clear();
        } else if self.rpos > 0 {
            self.rbuf.advance(self.rpos);
        }
        self.rpos = 0;
    }

    /// Drops the read buffer's allocation when it is empty and oversized.
    pub fn shrink_idle_rbuf(&mut self) {
        if self.rbuf.is_empty() && self.rbuf.capacity() > MAX_IDLE_BUFFER {
            self.rbuf = BytesMut::new();
        }
    }
}
