//! Helpers shared by the fuzz targets: a connection-like driver for the request parser
//! that checks the parser's invariants as it goes, and NaN-aware frame comparison.

use rudis::protocol::{Frame, Parsed, ProtoLimits, RequestParser};

/// One thing the parser produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A request: its arguments, and the positions of its document arguments.
    Request(Vec<Vec<u8>>, Vec<usize>),
    /// The protocol error that ended the stream (its detail text).
    Error(String),
}

/// What a whole drive produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Requests and the final error, in order.
    pub events: Vec<Event>,
    /// Bytes still buffered at the end (a partial request); `None` after an error.
    pub left: Option<usize>,
}

/// Drives a fresh parser over `input` as a connection does: bytes arrive in pieces
/// whose sizes are taken in turn from `chunks` (cycled; empty means all at once), the
/// buffer grows, each ready request is finished and its bytes dropped, and skipped
/// bytes are released on `Incomplete`. Panics when an invariant breaks:
///
/// - a ready request has at least one argument, and its documents are valid positions;
/// - a bulk argument is a range of the bytes the request used, no longer than the
///   limits allow; an inline argument is no longer than its line;
/// - a document argument is exactly one whole RESP value (`Frame::decode` agrees);
/// - `finish` and `release_skipped` never claim more bytes than are buffered.
pub fn drive(input: &[u8], limits: &ProtoLimits, chunks: &[usize]) -> Trace {
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    let mut fed = 0;
    let mut turn = 0;
    loop {
        match parser.parse(&buf, limits) {
            Ok(Parsed::Ready) => {
                let req = parser.request(&buf);
                assert!(!req.is_empty(), "a ready request has no arguments");
                let docs = req.doc_positions().to_vec();
                for (i, &d) in docs.iter().enumerate() {
                    assert!(d < req.len(), "document position {d} out of range");
                    assert!(i == 0 || docs[i - 1] < d, "document positions not sorted");
                }
                let base = buf.as_ptr() as usize;
                let mut ranges = Vec::new();
                let mut args = Vec::new();
                for (i, arg) in req.args().enumerate() {
                    let start = arg.as_ptr() as usize;
                    let inside = start >= base && start + arg.len() <= base + buf.len();
                    ranges.push(inside.then(|| (start - base, start - base + arg.len())));
                    if req.is_doc(i) {
                        let decoded = Frame::decode(arg);
                        assert!(
                            matches!(decoded, Ok(Some((_, used))) if used == arg.len()),
                            "document {:?} is not one RESP value: {decoded:?}",
                            arg.escape_ascii().to_string()
                        );
                    } else {
                        let most = limits.max_bulk_len.max(limits.max_inline_len);
                        assert!(arg.len() <= most, "argument longer than the limits");
                    }
                    args.push(arg.to_vec());
                }
                let used = parser.finish();
                assert!(used > 0, "a request used no bytes");
                assert!(
                    used <= buf.len(),
                    "finish claims {used} of {} bytes",
                    buf.len()
                );
                let in_buf = ranges.iter().filter(|r| r.is_some()).count();
                assert!(
                    in_buf == 0 || in_buf == ranges.len(),
                    "arguments partly in the buffer, partly elsewhere"
                );
                for (r, arg) in ranges.iter().zip(&args) {
                    match r {
                        Some((_, end)) => assert!(*end <= used, "argument past the request"),
                        None => assert!(arg.len() <= used, "inline argument longer than its line"),
                    }
                }
                buf.drain(..used);
                events.push(Event::Request(args, docs));
            }
            Ok(Parsed::Incomplete) => {
                let skipped = parser.release_skipped();
                assert!(
                    skipped <= buf.len(),
                    "skipped {skipped} of {} bytes",
                    buf.len()
                );
                buf.drain(..skipped);
                if fed == input.len() {
                    return Trace {
                        events,
                        left: Some(buf.len()),
                    };
                }
                let size = if chunks.is_empty() {
                    input.len()
                } else {
                    chunks[turn % chunks.len()].max(1)
                };
                turn += 1;
                let next = (fed + size).min(input.len());
                buf.extend_from_slice(&input[fed..next]);
                fed = next;
            }
            Err(e) => {
                events.push(Event::Error(e.detail().to_string()));
                return Trace { events, left: None };
            }
        }
    }
}

/// Frame equality where a NaN double equals a NaN double.
pub fn same(a: &Frame, b: &Frame) -> bool {
    fn all(a: &[Frame], b: &[Frame]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
    }
    match (a, b) {
        (Frame::Double(x), Frame::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Frame::Array(x), Frame::Array(y))
        | (Frame::Set(x), Frame::Set(y))
        | (Frame::Push(x), Frame::Push(y)) => all(x, y),
        (Frame::Map(x), Frame::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => a == b,
    }
}
