//! An owned RESP value of any RESP2/RESP3 type, with a decoder and an encoder.
//!
//! Used by the client library, tests and fuzz targets; the server never builds frames.

use super::parser::parse_int;
use super::reply::format_double;

/// Deepest nesting [`Frame::decode`] accepts; protects the decoder's stack.
pub const MAX_FRAME_DEPTH: usize = 512;
/// Elements preallocated for one aggregate whatever its header claims.
const MAX_PREALLOC: usize = 1024;

/// One RESP value.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+text`
    Simple(String),
    /// `-text`
    Error(String),
    /// `:n`
    Integer(i64),
    /// `$len` bytes
    Bulk(Vec<u8>),
    /// `$-1`, `*-1` or `_`
    Null,
    /// `*n`
    Array(Vec<Frame>),
    /// `%n` key/value pairs
    Map(Vec<(Frame, Frame)>),
    /// `~n`
    Set(Vec<Frame>),
    /// `,x`
    Double(f64),
    /// `#t` / `#f`
    Boolean(bool),
    /// `(digits`
    BigNumber(String),
    /// `=len fmt:text` (format, text)
    Verbatim(String, Vec<u8>),
    /// `>n` out-of-band push
    Push(Vec<Frame>),
}

/// A malformed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError(pub String);

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid RESP: {}", self.0)
    }
}

impl std::error::Error for FrameError {}

impl Frame {
    /// Decodes one frame from the front of `buf`: `Ok(None)` when more bytes are needed,
    /// otherwise the frame and how many bytes it used.
    pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
        let mut pos = 0;
        match decode_at(buf, &mut pos, 0)? {
            Some(frame) => Ok(Some((frame, pos))),
            None => Ok(None),
        }
    }

    /// Appends this frame's RESP encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Simple(s) => line(out, b'+', s.as_bytes()),
            Frame::Error(s) => line(out, b'-', s.as_bytes()),
            Frame::Integer(n) => line(out, b':', n.to_string().as_bytes()),
            Frame::Bulk(b) => {
                line(out, b'$', b.len().to_string().as_bytes());
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Null => out.extend_from_slice(b"_\r\n"),
            Frame::Array(items) => aggregate(out, b'*', items),
            Frame::Set(items) => aggregate(out, b'~', items),
            Frame::Push(items) => aggregate(out, b'>', items),
            Frame::Map(pairs) => {
                line(out, b'%', pairs.len().to_string().as_bytes());
                for (k, v) in pairs {
                    k.encode(out);
                    v.encode(out);
                }
            }
            Frame::Double(d) => line(out, b',', format_double(*d).as_bytes()),
            Frame::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Frame::BigNumber(s) => line(out, b'(', s.as_bytes()),
            Frame::Verbatim(fmt, text) => {
                line(
                    out,
                    b'=',
                    (fmt.len() + 1 + text.len()).to_string().as_bytes(),
                );
                out.extend_from_slice(fmt.as_bytes());
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Encodes a command (an array of bulk strings) as a client sends it.
    pub fn command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
        let mut out = Vec::new();
        line(&mut out, b'*', args.len().to_string().as_bytes());
        for a in args {
            let a = a.as_ref();
            line(&mut out, b'$', a.len().to_string().as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// The bytes of a bulk, simple or verbatim string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Frame::Bulk(b) | Frame::Verbatim(_, b) => Some(b),
            Frame::Simple(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
}

fn line(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn aggregate(out: &mut Vec<u8>, kind: u8, items: &[Frame]) {
    line(out, kind, items.len().to_string().as_bytes());
    for item in items {
        item.encode(out);
    }
}

fn err(msg: &str) -> FrameError {
    FrameError(msg.to_string())
}

fn decode_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Frame>, FrameError> {
    if depth > MAX_FRAME_DEPTH {
        return Err(err("nested too deep"));
    }
    let start = *pos;
    let Some(kind) = buf.get(start).copied() else {
        return Ok(None);
    };
    let Some(nl) = memchr::memchr(b'\n', &buf[start..]).map(|i| start + i) else {
        return Ok(None);
    };
    if nl == start || buf[nl - 1] != b'\r' {
        return Err(err("line not ended by CRLF"));
    }
    if nl - 1 == start {
        // A bare `\r\n`: its "type byte" is the CR.
        return Err(err("empty line"));
    }
    let body = &buf[start + 1..nl - 1];
    *pos = nl + 1;
    let text = || String::from_utf8_lossy(body).into_owned();
    let int = || parse_int(body).ok_or_else(|| err("bad integer"));
    let frame = match kind {
        b'+' => Frame::Simple(text()),
        b'-' => Frame::Error(text()),
        b':' => Frame::Integer(int()?),
        b'_' => Frame::Null,
        b'#' => match body {
            b"t" => Frame::Boolean(true),
            b"f" => Frame::Boolean(false),
            _ => return Err(err("bad boolean")),
        },
        b',' => Frame::Double(parse_double(body).ok_or_else(|| err("bad double"))?),
        b'(' => Frame::BigNumber(text()),
        b'$' | b'=' => {
            let n = int()?;
            if n < 0 {
                Frame::Null
            } else {
                let n = n as usize;
                let Some(end) = pos.checked_add(n) else {
                    return Err(err("bad length"));
                };
                if buf.len() < end + 2 {
                    return Ok(None);
                }
                if &buf[end..end + 2] != b"\r\n" {
                    return Err(err("bulk not ended by CRLF"));
                }
                let data = buf[*pos..end].to_vec();
                *pos = end + 2;
                if kind == b'=' {
                    if data.len() < 4 || data[3] != b':' {
                        return Err(err("bad verbatim string"));
                    }
                    // Not lossy: a replaced format would re-encode to a different length.
                    let fmt = std::str::from_utf8(&data[..3])
                        .map_err(|_| err("bad verbatim format"))?
                        .to_string();
                    Frame::Verbatim(fmt, data[4..].to_vec())
                } else {
                    Frame::Bulk(data)
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = int()?;
            if n < 0 {
                if kind != b'*' {
                    return Err(err("negative length"));
                }
                Frame::Null
            } else {
                let n = n as usize;
                let count = if kind == b'%' { n.saturating_mul(2) } else { n };
                let mut items = Vec::with_capacity(count.min(MAX_PREALLOC));
                for _ in 0..count {
                    match decode_at(buf, pos, depth + 1)? {
                        Some(f) => items.push(f),
                        None => return Ok(None),
                    }
                }
                match kind {
                    b'*' => Frame::Array(items),
                    b'~' => Frame::Set(items),
                    b'>' => Frame::Push(items),
                    _ => {
                        let mut pairs = Vec::with_capacity(n.min(MAX_PREALLOC));
                        let mut it = items.into_iter();
                        while let (Some(k), Some(v)) = (it.next(), it.next()) {
                            pairs.push((k, v));
                        }
                        Frame::Map(pairs)
                    }
                }
            }
        }
        other => return Err(FrameError(format!("unknown type byte {other:#x}"))),
    };
    Ok(Some(frame))
}

/// Parses a RESP double (`inf`, `-inf`, `nan` or a decimal number).
pub fn parse_double(body: &[u8]) -> Option<f64> {
    match body {
        b"inf" | b"+inf" => Some(f64::INFINITY),
        b"-inf" => Some(f64::NEG_INFINITY),
        b"nan" => Some(f64::NAN),
        _ => std::str::from_utf8(body).ok()?.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_nested() {
        let frame = Frame::Map(vec![(
            Frame::Bulk(b"nested".to_vec()),
            Frame::Array(vec![Frame::Integer(1), Frame::Null, Frame::Double(2.5)]),
        )]);
        let mut out = Vec::new();
        frame.encode(&mut out);
        assert_eq!(Frame::decode(&out), Ok(Some((frame, out.len()))));
        assert_eq!(Frame::decode(&out[..out.len() - 1]), Ok(None));
    }

    #[test]
    fn rejects_garbage() {
        assert!(Frame::decode(b"?\r\n").is_err());
        assert!(Frame::decode(b":x\r\n").is_err());
        assert!(Frame::decode(b"\r\n").is_err());
        assert!(Frame::decode(b"=7\r\nt\xa2t:abc\r\n").is_err());
        assert!(Frame::decode(b"*1\r\n\r\n").is_err());
    }
}
