//! Reply writer: semantic replies written straight into a connection's output buffer.
//!
//! Commands call `map_len`, `null`, `double`, `bool`, ... and the writer downgrades
//! them for RESP2 clients exactly as Redis does (map → flat array, null → `$-1`/`*-1`,
//! bool → `:1`/`:0`, double → bulk string, set → array, push → array).

use bytes::{BufMut, BytesMut};

/// `+OK\r\n`, the most common reply.
pub const OK: &[u8] = b"+OK\r\n";
/// `+PONG\r\n`.
pub const PONG: &[u8] = b"+PONG\r\n";
/// `+QUEUED\r\n`, for transactions.
pub const QUEUED: &[u8] = b"+QUEUED\r\n";

/// The protocol a connection speaks for replies, chosen with `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RespVersion {
    /// RESP2: the default, understood by every client.
    #[default]
    V2,
    /// RESP3: maps, sets, nulls, doubles, booleans and pushes.
    V3,
}

/// Writes replies into an output buffer for one protocol version.
///
/// A writer may be given the client's hard output limit ([`Reply::limited`]): a write
/// that would take the buffer to the limit is dropped, as is everything after it, and
/// [`Reply::over`] tells the caller to close the client (Redis checks the limit as a
/// reply grows, in `_addReplyProtoToList` → `closeClientOnOutputBufferLimitReached`),
/// so one command building a huge reply never holds more than the limit.
#[derive(Debug)]
pub struct Reply<'a> {
    buf: &'a mut BytesMut,
    version: RespVersion,
    /// Most bytes the buffer may hold (the hard limit minus one; `usize::MAX`: no
    /// limit; 0 once a write was refused).
    max: usize,
    /// A write was refused: the reply is cut short.
    over: bool,
}

impl<'a> Reply<'a> {
    /// A writer appending to `buf` for a client speaking `version`, without limit.
    pub fn new(buf: &'a mut BytesMut, version: RespVersion) -> Self {
        Reply::limited(buf, version, 0)
    }

    /// A writer that refuses to take `buf` to `hard` bytes or more (0: no limit).
    #[inline]
    pub fn limited(buf: &'a mut BytesMut, version: RespVersion, hard: usize) -> Self {
        Reply {
            buf,
            version,
            max: hard.wrapping_sub(1),
            over: false,
        }
    }

    /// True when the writer has a limit (a reply cannot grow without bound).
    #[inline]
    pub fn is_limited(&self) -> bool {
        self.max != usize::MAX
    }

    /// True when a write was refused for the limit: what was written is incomplete and
    /// the client must be closed.
    #[inline]
    pub fn over(&self) -> bool {
        self.over
    }

    /// Whether `n` more bytes fit under the limit; once one write did not, none does.
    #[inline(always)]
    fn room(&mut self, n: usize) -> bool {
        if self.buf.len() + n <= self.max {
            return true;
        }
        self.refuse()
    }

    #[cold]
    #[inline(never)]
    fn refuse(&mut self) -> bool {
        self.over = true;
        self.max = 0;
        false
    }

    /// True for a RESP3 client.
    pub fn is_resp3(&self) -> bool {
        self.version == RespVersion::V3
    }

    /// The protocol version this writer encodes for.
    pub fn version(&self) -> RespVersion {
        self.version
    }

    /// Switches the protocol for the rest of this reply (HELLO answers in the new one).
    pub fn set_version(&mut self, version: RespVersion) {
        self.version = version;
    }

    /// Bytes written so far (used by callers that check output size).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Takes back everything written after `mark` (a [`Reply::len`] taken earlier): a
    /// command that fails leaves no partial reply behind its error.
    pub fn truncate(&mut self, mark: usize) {
        self.buf.truncate(mark);
    }

    /// True when the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Appends already-encoded RESP bytes (constants, stored documents).
    pub fn raw(&mut self, bytes: &[u8]) {
        if !self.room(bytes.len()) {
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.raw(OK);
    }

    /// A simple string `+s`; `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &[u8]) {
        if !self.room(s.len() + 3) {
            return;
        }
        self.buf.reserve(s.len() + 3);
        self.buf.put_u8(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply; `msg` is the full text after `-`, e.g. `ERR syntax error`.
    /// CR and LF inside it are replaced by spaces so the stream cannot desync.
    pub fn error(&mut self, msg: &str) {
        if !self.room(msg.len() + 3) {
            return;
        }
        self.buf.reserve(msg.len() + 3);
        self.buf.put_u8(b'-');
        for &b in msg.as_bytes() {
            self.buf
                .put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer `:n`.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A double already formatted as `text`: a RESP3 double (`,text`), or for RESP2
    /// a bulk string of the same digits.
    pub fn double_text(&mut self, text: &[u8]) {
        if self.is_resp3() {
            self.raw(b",");
            self.raw(text);
            self.raw(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A bulk string `$len\r\n...\r\n`.
    pub fn bulk(&mut self, b: &[u8]) {
        // The header's digits: at most 20.
        if !self.room(b.len() + 25) {
            return;
        }
        self.buf.reserve(b.len() + 25);
        self.put_header(b'$', b.len() as i64);
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer written as a bulk string (GET of an integer-encoded value).
    pub fn bulk_int(&mut self, n: i64) {
        let mut tmp = itoa::Buffer::new();
        self.bulk(tmp.format(n).as_bytes());
    }

    /// A null: `_` in RESP3, `$-1` (null bulk) in RESP2.
    pub fn null(&mut self) {
        self.raw(if self.is_resp3() {
            b"_\r\n"
        } else {
            b"$-1\r\n"
        });
    }

    /// A null where RESP2 expects a null array (`*-1`), e.g. BLPOP timeout, EXEC abort.
    pub fn null_array(&mut self) {
        self.raw(if self.is_resp3() {
            b"_\r\n"
        } else {
            b"*-1\r\n"
        });
    }

    /// An array header `*n`.
    pub fn array_len(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map header: `%n` in RESP3, `*2n` in RESP2.
    pub fn map_len(&mut self, n: usize) {
        if self.is_resp3() {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set header: `~n` in RESP3, `*n` in RESP2.
    pub fn set_len(&mut self, n: usize) {
        self.header(if self.is_resp3() { b'~' } else { b'*' }, n as i64);
    }

    /// A push header: `>n` in RESP3, `*n` in RESP2 (pub/sub messages).
    pub fn push_len(&mut self, n: usize) {
        self.header(if self.is_resp3() { b'>' } else { b'*' }, n as i64);
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn bool(&mut self, v: bool) {
        let bytes: &[u8] = match (self.is_resp3(), v) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        };
        self.raw(bytes);
    }

    /// A double: `,x` in RESP3, a bulk string in RESP2.
    pub fn double(&mut self, v: f64) {
        let text = format_double(v);
        if self.is_resp3() {
            if !self.room(text.len() + 3) {
                return;
            }
            self.buf.put_u8(b',');
            self.buf.extend_from_slice(text.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text.as_bytes());
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2 (INFO).
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.is_resp3() {
            if !self.room(text.len() + 31) {
                return;
            }
            self.put_header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    fn header(&mut self, kind: u8, n: i64) {
        // Sign and digits: at most 20.
        if !self.room(23) {
            return;
        }
        self.put_header(kind, n);
    }

    /// [`Reply::header`] once the caller made room.
    #[inline(always)]
    fn put_header(&mut self, kind: u8, n: i64) {
        let mut tmp = itoa::Buffer::new();
        let digits = tmp.format(n).as_bytes();
        self.buf.reserve(digits.len() + 3);
        self.buf.put_u8(kind);
        self.buf.extend_from_slice(digits);
        self.buf.extend_from_slice(b"\r\n");
    }
}

/// Formats a double as Redis does for replies: `inf`, `-inf`, `nan`, or the
/// shortest text that reads back to the same value (integers without `.0`).
pub fn format_double(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else if v == v.trunc() && v.abs() < 1e17 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(version: RespVersion, f: impl FnOnce(&mut Reply<'_>)) -> Vec<u8> {
        let mut buf = BytesMut::new();
        f(&mut Reply::new(&mut buf, version));
        buf.to_vec()
    }

    #[test]
    fn downgrades_for_resp2() {
        let v2 = RespVersion::V2;
        assert_eq!(written(v2, |r| r.null()), b"$-1\r\n");
        assert_eq!(written(v2, |r| r.map_len(2)), b"*4\r\n");
        assert_eq!(written(v2, |r| r.bool(true)), b":1\r\n");
        assert_eq!(written(v2, |r| r.double(1.5)), b"$3\r\n1.5\r\n");
        assert_eq!(written(v2, |r| r.set_len(3)), b"*3\r\n");
    }

    #[test]
    fn resp3_types() {
        let v3 = RespVersion::V3;
        assert_eq!(written(v3, |r| r.null()), b"_\r\n");
        assert_eq!(written(v3, |r| r.map_len(2)), b"%2\r\n");
        assert_eq!(written(v3, |r| r.bool(false)), b"#f\r\n");
        assert_eq!(written(v3, |r| r.double(3.0)), b",3\r\n");
        assert_eq!(written(v3, |r| r.double(f64::INFINITY)), b",inf\r\n");
    }

    #[test]
    fn a_limited_writer_refuses_the_write_that_reaches_the_limit_and_all_after() {
        let mut buf = BytesMut::new();
        let mut r = Reply::limited(&mut buf, RespVersion::V2, 64);
        r.array_len(3);
        r.bulk(b"small");
        assert!(!r.over());
        r.bulk(&[b'x'; 60]);
        assert!(r.over());
        r.ok();
        assert_eq!(buf.as_ref(), b"*3\r\n$5\r\nsmall\r\n");
        // No limit: everything goes in.
        let mut buf = BytesMut::new();
        let mut r = Reply::limited(&mut buf, RespVersion::V2, 0);
        r.bulk(&[b'x'; 1000]);
        assert!(!r.over());
        assert_eq!(buf.len(), 1000 + 9);
    }

    #[test]
    fn errors_cannot_inject_lines() {
        let out = written(RespVersion::V2, |r| r.error("ERR a\r\nb"));
        assert_eq!(out, b"-ERR a  b\r\n");
    }
}
