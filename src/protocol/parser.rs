//! The resumable request parser.
//!
//! A request is a RESP array (`*N` followed by N elements) or an inline line. The parser
//! keeps its place between reads ([`RequestParser`] lives in the connection): a header
//! is scanned once, a bulk whose length is known is waited for by length alone, and a
//! partial line is never searched again from its start. Arguments are recorded as
//! byte ranges ([`ArgSpan`]) into the caller's buffer, so the hot path copies nothing.
//!
//! Elements of a request array are normally bulk strings (`$`). Any other RESP value
//! (integer, null, array, map, set, double, boolean, nested to [`ProtoLimits::max_depth`])
//! is accepted as a *document* argument: it is validated and its exact RESP bytes
//! become the argument, flagged in [`Request::is_doc`].

use super::inline::split_inline;
pub use super::request::{ArgSpan, OwnedRequest, Request};
use crate::error::ProtocolError;
pub use crate::number::parse_int;

/// Largest header or inline line accepted without its line ending (Redis's PROTO_INLINE_MAX_SIZE).
pub const MAX_INLINE_LEN: usize = 64 * 1024;
/// Default largest bulk string, as Redis's `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Default largest element count of one array header (Redis accepts up to INT_MAX).
pub const DEFAULT_MAX_MULTIBULK_LEN: usize = i32::MAX as usize;
/// Default deepest nesting of a document argument: deep enough for real documents,
/// shallow enough that the parser's stack stays tiny.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// Arguments preallocated for one request whatever its header claims (Redis: 1024).
const MAX_ARGV_PREALLOC: usize = 1024;
/// Most elements per array header from a client that has not authenticated yet
/// (Redis's `processMultibulkBuffer`): enough for AUTH and HELLO, too few to make
/// the server allocate for a stranger.
pub const UNAUTH_MAX_MULTIBULK_LEN: usize = 10;
/// Longest bulk string from a client that has not authenticated yet (Redis's 16384).
pub const UNAUTH_MAX_BULK_LEN: usize = 16 * 1024;

/// Limits the parser enforces before buffering anything a client announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoLimits {
    /// Largest bulk string length, in bytes.
    pub max_bulk_len: usize,
    /// Largest element count in one array header (top level and nested).
    pub max_multibulk_len: usize,
    /// Deepest nesting of a document argument.
    pub max_depth: usize,
    /// Longest inline command or header line.
    pub max_inline_len: usize,
    /// The client must still authenticate: [`UNAUTH_MAX_MULTIBULK_LEN`] and
    /// [`UNAUTH_MAX_BULK_LEN`] apply too, with Redis's `unauthenticated ...` errors.
    pub unauthenticated: bool,
}

impl Default for ProtoLimits {
    fn default() -> Self {
        ProtoLimits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_multibulk_len: DEFAULT_MAX_MULTIBULK_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
            max_inline_len: MAX_INLINE_LEN,
            unauthenticated: false,
        }
    }
}

/// What a call to [`RequestParser::parse`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// More bytes are needed; the parser has kept its place.
    Incomplete,
    /// A whole request is ready: read it with [`RequestParser::request`], then call
    /// [`RequestParser::finish`].
    Ready,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Idle,
    Multibulk,
    Inline,
}

/// Where the parse of a document argument stands.
#[derive(Debug, Default)]
struct DocState {
    active: bool,
    start: usize,
    cursor: usize,
    /// Elements still expected at each open nesting level.
    stack: Vec<usize>,
    pending_bulk: Option<usize>,
}

/// Argument slots kept between requests; a request with more gives its index back.
const MAX_KEPT_SPANS: usize = 4096;

/// The per-connection parser state; see the module docs.
#[derive(Debug)]
pub struct RequestParser {
    mode: Mode,
    /// Bytes of the buffer taken by the request under way.
    pos: usize,
    /// Bytes from `pos` already searched for a line ending without finding one.
    scanned: usize,
    remaining: usize,
    pending_bulk: Option<usize>,
    spans: Vec<ArgSpan>,
    docs: Vec<usize>,
    doc: DocState,
    inline_buf: Vec<u8>,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A parser waiting for the first byte of a request.
    pub fn new() -> Self {
        RequestParser {
            mode: Mode::Idle,
            pos: 0,
            scanned: 0,
            remaining: 0,
            pending_bulk: None,
            spans: Vec::new(),
            docs: Vec::new(),
            doc: DocState::default(),
            inline_buf: Vec::new(),
        }
    }

    /// Continues parsing `buf`, which holds every byte not yet released by [`finish`]
    /// (the same bytes as the last call, plus any that arrived since).
    ///
    /// [`finish`]: RequestParser::finish
    pub fn parse(&mut self, buf: &[u8], limits: &ProtoLimits) -> Result<Parsed, ProtocolError> {
        loop {
            match self.mode {
                Mode::Idle => {
                    if self.pos >= buf.len() {
                        return Ok(Parsed::Incomplete);
                    }
                    if buf[self.pos] == b'*' {
                        match self.array_header(buf, limits)? {
                            None => return Ok(Parsed::Incomplete),
                            Some(0) => continue,
                            Some(n) => {
                                self.mode = Mode::Multibulk;
                                self.remaining = n;
                                self.spans.clear();
                                self.docs.clear();
                                self.spans.reserve(n.min(MAX_ARGV_PREALLOC));
                            }
                        }
                    } else {
                        self.mode = Mode::Inline;
                    }
                }
                Mode::Inline => {
                    if self.inline(buf, limits)? {
                        return Ok(Parsed::Ready);
                    }
                    if self.mode == Mode::Inline {
                        return Ok(Parsed::Incomplete);
                    }
                }
                Mode::Multibulk => return self.multibulk(buf, limits),
            }
        }
    }

    /// The request found by the last `Ready`; `buf` is the buffer passed to `parse`.
    pub fn request<'a>(&'a self, buf: &'a [u8]) -> Request<'a> {
        let source = if self.mode == Mode::Inline {
            &self.inline_buf[..]
        } else {
            buf
        };
        Request::new(source, &self.spans, &self.docs)
    }

    /// Ends the ready request; returns how many bytes of the buffer it used, which the
    /// caller must now drop from the front of the buffer.
    pub fn finish(&mut self) -> usize {
        let used = self.pos;
        self.mode = Mode::Idle;
        self.pos = 0;
        self.scanned = 0;
        self.spans.clear();
        self.docs.clear();
        if self.spans.capacity() > MAX_KEPT_SPANS {
            // One huge request (SADD of 100,000 members) must not pin its index.
            self.spans = Vec::new();
        }
        used
    }

    /// When the parser waits for a bulk body of known length: how many more bytes
    /// than the `buffered` ones it needs (so the caller can grow its buffer once).
    pub fn bytes_needed(&self, buffered: usize) -> Option<usize> {
        let body = if self.doc.active {
            self.doc.pending_bulk.map(|n| self.doc.cursor + n + 2)
        } else {
            self.pending_bulk.map(|n| self.pos + n + 2)
        };
        body.map(|total| total.saturating_sub(buffered))
    }

    /// Releases bytes taken only by skipped blank lines and empty arrays; returns how
    /// many the caller must drop from the front of its buffer (0 mid-request).
    pub fn release_skipped(&mut self) -> usize {
        if self.mode != Mode::Idle {
            return 0;
        }
        let used = self.pos;
        self.pos = 0;
        // A partial `*` header after the skipped bytes keeps its scan position.
        self.scanned = self.scanned.saturating_sub(used);
        used
    }

    /// Finds the line starting at `from`; returns the index of its `\r`.
    fn line_end(
        &mut self,
        buf: &[u8],
        from: usize,
        limits: &ProtoLimits,
        too_big: &'static str,
    ) -> Result<Option<usize>, ProtocolError> {
        let search_from = from.max(self.scanned);
        match memchr::memchr(b'\n', &buf[search_from..]) {
            Some(i) => {
                let nl = search_from + i;
                self.scanned = 0;
                if line_len(buf, from, nl) > limits.max_inline_len {
                    return Err(ProtocolError::new(too_big));
                }
                // A line is a type byte, a body and CRLF: a bare `\r\n` (possible
                // inside a document) has no type byte.
                if nl < from + 2 || buf[nl - 1] != b'\r' {
                    return Err(ProtocolError::new(too_big_or_crlf(too_big)));
                }
                Ok(Some(nl - 1))
            }
            None => {
                if line_len(buf, from, buf.len()) > limits.max_inline_len {
                    return Err(ProtocolError::new(too_big));
                }
                self.scanned = buf.len();
                Ok(None)
            }
        }
    }

    /// Parses `*N\r\n` at `pos`; returns N (0 for `*0`/`*-1`, which Redis skips).
    fn array_header(
        &mut self,
        buf: &[u8],
        limits: &ProtoLimits,
    ) -> Result<Option<usize>, ProtocolError> {
        let Some(cr) = self.line_end(buf, self.pos, limits, "too big mbulk count string")? else {
            return Ok(None);
        };
        let n = parse_int(&buf[self.pos + 1..cr])
            .filter(|&n| n <= limits.max_multibulk_len as i64)
            .ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
        check_unauth(
            limits,
            n,
            UNAUTH_MAX_MULTIBULK_LEN,
            "unauthenticated multibulk length",
        )?;
        self.pos = cr + 2;
        Ok(Some(n.max(0) as usize))
    }

    fn multibulk(&mut self, buf: &[u8], limits: &ProtoLimits) -> Result<Parsed, ProtocolError> {
        while self.remaining > 0 {
            if self.doc.active {
                if !self.step_doc(buf, limits)? {
                    return Ok(Parsed::Incomplete);
                }
                self.docs.push(self.spans.len());
                self.spans.push(ArgSpan {
                    start: self.doc.start,
                    end: self.doc.cursor,
                });
                self.pos = self.doc.cursor;
                self.doc.active = false;
                self.remaining -= 1;
                continue;
            }
            if let Some(n) = self.pending_bulk {
                let end = self.pos + n;
                if buf.len() < end + 2 {
                    return Ok(Parsed::Incomplete);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(ProtocolError::new("expected CRLF after bulk string"));
                }
                self.spans.push(ArgSpan {
                    start: self.pos,
                    end,
                });
                self.pos = end + 2;
                self.pending_bulk = None;
                self.remaining -= 1;
                continue;
            }
            if self.pos >= buf.len() {
                return Ok(Parsed::Incomplete);
            }
            if buf[self.pos] == b'$' {
                let Some(cr) = self.line_end(buf, self.pos, limits, "too big bulk count string")?
                else {
                    return Ok(Parsed::Incomplete);
                };
                let n = parse_int(&buf[self.pos + 1..cr])
                    .filter(|&n| n >= 0 && n <= limits.max_bulk_len as i64);
                match n {
                    Some(n) => {
                        check_unauth(
                            limits,
                            n,
                            UNAUTH_MAX_BULK_LEN,
                            "unauthenticated bulk length",
                        )?;
                        self.pending_bulk = Some(n as usize);
                        self.pos = cr + 2;
                    }
                    // `$-1` as an argument is a NULL document.
                    None if &buf[self.pos + 1..cr] == b"-1" => self.start_doc(),
                    None => return Err(ProtocolError::new("invalid bulk length")),
                }
            } else if is_doc_type(buf[self.pos]) {
                self.start_doc();
            } else {
                return Err(ProtocolError::new(format!(
                    "expected '$', got '{}'",
                    printable(buf[self.pos])
                )));
            }
        }
        Ok(Parsed::Ready)
    }

    fn start_doc(&mut self) {
        self.doc.active = true;
        self.doc.start = self.pos;
        self.doc.cursor = self.pos;
        self.doc.stack.clear();
        self.doc.pending_bulk = None;
    }

    /// Advances the document parse; true when the document is complete.
    fn step_doc(&mut self, buf: &[u8], limits: &ProtoLimits) -> Result<bool, ProtocolError> {
        loop {
            if let Some(n) = self.doc.pending_bulk {
                let end = self.doc.cursor + n;
                if buf.len() < end + 2 {
                    return Ok(false);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(ProtocolError::new("expected CRLF after bulk string"));
                }
                self.doc.cursor = end + 2;
                self.doc.pending_bulk = None;
                if self.doc_element_done() {
                    return Ok(true);
                }
                continue;
            }
            let at = self.doc.cursor;
            if at >= buf.len() {
                return Ok(false);
            }
            let Some(cr) = self.line_end(buf, at, limits, "too big nested value header")? else {
                return Ok(false);
            };
            let kind = buf[at];
            let body = &buf[at + 1..cr];
            self.doc.cursor = cr + 2;
            let opens = match kind {
                b'$' => match parse_int(body) {
                    Some(-1) => None,
                    Some(n) if n >= 0 && n <= limits.max_bulk_len as i64 => {
                        check_unauth(
                            limits,
                            n,
                            UNAUTH_MAX_BULK_LEN,
                            "unauthenticated bulk length",
                        )?;
                        self.doc.pending_bulk = Some(n as usize);
                        continue;
                    }
                    _ => return Err(ProtocolError::new("invalid bulk length")),
                },
                b'*' | b'%' | b'~' => match parse_int(body) {
                    Some(-1) if kind == b'*' => None,
                    Some(n) if n >= 0 && n <= limits.max_multibulk_len as i64 => {
                        check_unauth(
                            limits,
                            n,
                            UNAUTH_MAX_MULTIBULK_LEN,
                            "unauthenticated multibulk length",
                        )?;
                        let n = n as usize;
                        Some(if kind == b'%' { n * 2 } else { n })
                    }
                    _ => return Err(ProtocolError::new("invalid multibulk length")),
                },
                b':' if parse_int(body).is_some() => None,
                b',' if is_double(body) => None,
                b'#' if body == b"t" || body == b"f" => None,
                b'_' if body.is_empty() => None,
                b'(' if is_big_number(body) => None,
                b'+' | b'-' => None,
                _ => return Err(ProtocolError::new("invalid nested value")),
            };
            match opens {
                Some(0) | None => {
                    if self.doc_element_done() {
                        return Ok(true);
                    }
                }
                Some(n) => {
                    if self.doc.stack.len() >= limits.max_depth {
                        return Err(ProtocolError::new("nested value too deep"));
                    }
                    self.doc.stack.push(n);
                }
            }
        }
    }

    /// Counts one finished element; true when the whole document is finished.
    fn doc_element_done(&mut self) -> bool {
        while let Some(top) = self.doc.stack.last_mut() {
            *top -= 1;
            if *top > 0 {
                return false;
            }
            self.doc.stack.pop();
        }
        true
    }

    /// Parses an inline line; true when a command is ready. A blank line is skipped
    /// (the mode goes back to idle); an incomplete one leaves the mode inline.
    fn inline(&mut self, buf: &[u8], limits: &ProtoLimits) -> Result<bool, ProtocolError> {
        let from = self.pos;
        let search_from = from.max(self.scanned);
        let Some(i) = memchr::memchr(b'\n', &buf[search_from..]) else {
            if line_len(buf, from, buf.len()) > limits.max_inline_len {
                return Err(ProtocolError::new("too big inline request"));
            }
            self.scanned = buf.len();
            return Ok(false);
        };
        let nl = search_from + i;
        let line_end = if nl > from && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        if line_end - from > limits.max_inline_len {
            return Err(ProtocolError::new("too big inline request"));
        }
        self.inline_buf.clear();
        self.spans.clear();
        self.docs.clear();
        split_inline(&buf[from..line_end], &mut self.inline_buf, &mut self.spans)
            .map_err(|_| ProtocolError::new("unbalanced quotes in request"))?;
        self.pos = nl + 1;
        self.scanned = 0;
        if self.spans.is_empty() {
            // A blank line: skip it, as Redis does.
            self.mode = Mode::Idle;
            return Ok(false);
        }
        Ok(true)
    }
}

/// Length of the line from `from` to `end` (its `\n`, or the end of the bytes so far),
/// not counting a `\r` right before `end`: the same whether or not the `\n` has
/// arrived, so a length limit gives one verdict however the stream is split.
fn line_len(buf: &[u8], from: usize, end: usize) -> usize {
    let cr = end > from && buf[end - 1] == b'\r';
    end - from - usize::from(cr)
}

/// The error for a length `n` over `max` from a client that must still authenticate.
fn check_unauth(
    limits: &ProtoLimits,
    n: i64,
    max: usize,
    text: &'static str,
) -> Result<(), ProtocolError> {
    if limits.unauthenticated && n > max as i64 {
        return Err(ProtocolError::new(text));
    }
    Ok(())
}

fn too_big_or_crlf(too_big: &'static str) -> &'static str {
    // A bare `\n` in a header is as malformed as an overlong one; say which.
    match too_big {
        "too big mbulk count string" => "invalid multibulk length",
        "too big bulk count string" => "invalid bulk length",
        _ => "invalid nested value",
    }
}

fn is_doc_type(b: u8) -> bool {
    matches!(
        b,
        b'*' | b'%' | b'~' | b':' | b',' | b'#' | b'_' | b'(' | b'+' | b'-'
    )
}

fn printable(b: u8) -> char {
    if b.is_ascii_graphic() { b as char } else { '?' }
}

fn is_double(s: &[u8]) -> bool {
    matches!(s, b"inf" | b"-inf" | b"nan")
        || std::str::from_utf8(s)
            .ok()
            .filter(|t| {
                !t.is_empty()
                    && !t.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
            })
            .and_then(|t| t.parse::<f64>().ok())
            .is_some()
}

fn is_big_number(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests;
