//! Table-driven tests of the request parser, driven the way a connection drives it:
//! parse, take the request, `finish()` and drop the bytes it used, `release_skipped()`
//! on `Incomplete`.

use super::*;

/// What one parse run produced: each request as `(args, doc positions)`, then the
/// protocol error that stopped it, if any.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    requests: Vec<(Vec<Vec<u8>>, Vec<usize>)>,
    error: Option<String>,
    /// Bytes still buffered at the end (a partial request).
    left: usize,
}

fn limits() -> ProtoLimits {
    ProtoLimits::default()
}

/// Feeds `input` to a fresh parser as one buffer, as a connection would.
fn run(input: &[u8], limits: &ProtoLimits) -> Run {
    run_chunked(input, limits, input.len().max(1))
}

/// Feeds `input` `chunk` bytes at a time into a growing buffer.
fn run_chunked(input: &[u8], limits: &ProtoLimits, chunk: usize) -> Run {
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Run {
        requests: Vec::new(),
        error: None,
        left: 0,
    };
    let mut fed = 0;
    loop {
        match parser.parse(&buf, limits) {
            Ok(Parsed::Ready) => {
                let req = parser.request(&buf);
                let args = req.args().map(<[u8]>::to_vec).collect();
                out.requests.push((args, req.doc_positions().to_vec()));
                let used = parser.finish();
                buf.drain(..used);
            }
            Ok(Parsed::Incomplete) => {
                let skipped = parser.release_skipped();
                buf.drain(..skipped);
                if fed == input.len() {
                    break;
                }
                let next = (fed + chunk).min(input.len());
                buf.extend_from_slice(&input[fed..next]);
                fed = next;
            }
            Err(e) => {
                out.error = Some(e.detail().to_string());
                break;
            }
        }
    }
    out.left = buf.len();
    out
}

fn words(args: &[&[u8]]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.to_vec()).collect()
}

/// Whole requests and the arguments each must give.
const COMPLETE: &[(&[u8], &[&[u8]])] = &[
    (b"*1\r\n$4\r\nPING\r\n", &[b"PING"]),
    (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
        &[b"SET", b"k", b"value"],
    ),
    (b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", &[b"ECHO", b""]),
    // Bulk bodies are binary: CR, LF and NUL inside are data.
    (
        b"*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0\nb\r\n",
        &[b"ECHO", b"a\r\n\0\nb"],
    ),
    (b"*2\r\n$4\r\nECHO\r\n$3\r\n$3\r\r\n", &[b"ECHO", b"$3\r"]),
    (b"PING\r\n", &[b"PING"]),
    (b"PING\n", &[b"PING"]),
    (b"  set  a\tb \r\n", &[b"set", b"a", b"b"]),
    (b"set \"a b\" 'c d'\r\n", &[b"set", b"a b", b"c d"]),
    (b"echo \"\\x41\\r\\n\"\r\n", &[b"echo", b"A\r\n"]),
    (b"echo ''\r\n", &[b"echo", b""]),
    // A `*` anywhere but first on the line is an ordinary inline character.
    (b"echo *3\r\n", &[b"echo", b"*3"]),
    // A NUL ends an inline line, as it ends the C string Redis splits.
    (b"echo a\0b c\r\n", &[b"echo", b"a"]),
];

#[test]
fn complete_requests() {
    for &(input, args) in COMPLETE {
        let got = run(input, &limits());
        let want = Run {
            requests: vec![(words(args), vec![])],
            error: None,
            left: 0,
        };
        assert_eq!(got, want, "{}", input.escape_ascii());
    }
}

/// Every prefix is `Incomplete` (and keeps the parser's place); the whole is `Ready`
/// with the same arguments as a one-shot parse.
fn check_every_boundary(input: &[u8]) {
    let limits = limits();
    let whole = run(input, &limits);
    assert_eq!(whole.requests.len(), 1, "{}", input.escape_ascii());
    // One parser fed growing prefixes, as a connection receiving a byte at a time.
    let mut parser = RequestParser::new();
    for end in 0..input.len() {
        let got = parser.parse(&input[..end], &limits);
        assert_eq!(
            got,
            Ok(Parsed::Incomplete),
            "{} at {end}",
            input.escape_ascii()
        );
        assert_eq!(parser.release_skipped(), 0, "nothing to skip");
        // A fresh parser on the same prefix agrees.
        let fresh = RequestParser::new().parse(&input[..end], &limits);
        assert_eq!(
            fresh,
            Ok(Parsed::Incomplete),
            "{} at {end}",
            input.escape_ascii()
        );
    }
    assert_eq!(parser.parse(input, &limits), Ok(Parsed::Ready));
    let req = parser.request(input);
    let args: Vec<Vec<u8>> = req.args().map(<[u8]>::to_vec).collect();
    assert_eq!((args, req.doc_positions().to_vec()), whole.requests[0]);
    assert_eq!(parser.finish(), input.len());
}

#[test]
fn incomplete_at_every_byte_boundary() {
    for &(input, _) in COMPLETE {
        check_every_boundary(input);
    }
    for &(input, _, _) in DOCUMENTS {
        check_every_boundary(input);
    }
}

#[test]
fn every_chunk_size_gives_the_same_requests() {
    let mut stream = Vec::new();
    for &(input, _) in COMPLETE {
        stream.extend_from_slice(input);
        stream.extend_from_slice(b"\r\n*0\r\n");
    }
    for &(input, _, _) in DOCUMENTS {
        stream.extend_from_slice(input);
    }
    stream.extend_from_slice(b"*2\r\n$3\r\nGET");
    let whole = run(&stream, &limits());
    assert_eq!(whole.requests.len(), COMPLETE.len() + DOCUMENTS.len());
    assert_eq!(whole.error, None);
    assert_eq!(whole.left, b"*2\r\n$3\r\nGET".len());
    for chunk in 1..40 {
        assert_eq!(
            run_chunked(&stream, &limits(), chunk),
            whole,
            "chunk {chunk}"
        );
    }
}

#[test]
fn pipelined_requests_come_out_in_order() {
    let input = b"*1\r\n$4\r\nPING\r\nECHO a\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\n";
    let mut parser = RequestParser::new();
    let mut buf = input.to_vec();
    let mut seen: Vec<Vec<Vec<u8>>> = Vec::new();
    while parser.parse(&buf, &limits()) == Ok(Parsed::Ready) {
        seen.push(parser.request(&buf).args().map(<[u8]>::to_vec).collect());
        let used = parser.finish();
        assert!(used > 0 && used <= buf.len());
        buf.drain(..used);
    }
    let want: Vec<Vec<Vec<u8>>> = vec![
        words(&[b"PING"]),
        words(&[b"ECHO", b"a"]),
        words(&[b"GET", b"k"]),
        words(&[b"PING"]),
    ];
    assert_eq!(seen, want);
    assert!(buf.is_empty());
}

#[test]
fn blank_lines_and_empty_arrays_are_skipped() {
    let cases: &[(&[u8], usize)] = &[
        (b"\r\n", 2),
        (b"\n", 1),
        (b"   \t \r\n", 7),
        (b"\0\n", 2),
        (b"\0PING\r\n", 7),
        (b"*0\r\n", 4),
        (b"*-1\r\n", 5),
        (b"*-10\r\n", 6),
        (b"\r\n*0\r\n\n*-1\r\n", 12),
    ];
    for &(input, skipped) in cases {
        let mut parser = RequestParser::new();
        let got = parser.parse(input, &limits());
        assert_eq!(got, Ok(Parsed::Incomplete), "{}", input.escape_ascii());
        assert_eq!(
            parser.release_skipped(),
            skipped,
            "{}",
            input.escape_ascii()
        );
        // The parser is idle again: a request right after parses from offset 0.
        assert_eq!(parser.parse(b"PING\r\n", &limits()), Ok(Parsed::Ready));
        assert_eq!(parser.finish(), 6);
        // Followed by a request, the skipped bytes are part of what `finish` drops.
        let mut buf = input.to_vec();
        buf.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let got = run(&buf, &limits());
        assert_eq!(got.requests, vec![(words(&[b"PING"]), vec![])]);
        assert_eq!(got.left, 0);
    }
}

#[test]
fn skipped_bytes_before_a_partial_request_are_not_released_mid_request() {
    let mut parser = RequestParser::new();
    let buf = b"\r\n*0\r\n*1\r\n$4\r\nPI";
    assert_eq!(parser.parse(buf, &limits()), Ok(Parsed::Incomplete));
    assert_eq!(parser.release_skipped(), 0);
    let full = b"\r\n*0\r\n*1\r\n$4\r\nPING\r\n";
    assert_eq!(parser.parse(full, &limits()), Ok(Parsed::Ready));
    assert_eq!(parser.request(full).arg(0), b"PING");
    assert_eq!(parser.finish(), full.len());
}

#[test]
fn skipped_bytes_before_a_partial_header_keep_the_scan_position() {
    let mut parser = RequestParser::new();
    let mut buf = b"\r\n*1".to_vec();
    assert_eq!(parser.parse(&buf, &limits()), Ok(Parsed::Incomplete));
    assert_eq!(parser.release_skipped(), 2);
    buf.drain(..2);
    // `*1` was searched for its line ending already; the next parse resumes after it.
    assert_eq!(parser.scanned, 2);
    buf.extend_from_slice(b"\r\n$4\r\nPING\r\n");
    assert_eq!(parser.parse(&buf, &limits()), Ok(Parsed::Ready));
    assert_eq!(parser.request(&buf).arg(0), b"PING");
    assert_eq!(parser.finish(), buf.len());
}

/// Requests with document arguments: input, the document's exact bytes, its position.
const DOCUMENTS: &[(&[u8], &[u8], usize)] = &[
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n:42\r\n", b":42\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n:-7\r\n", b":-7\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n_\r\n", b"_\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-1\r\n", b"$-1\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n*-1\r\n", b"*-1\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n*0\r\n", b"*0\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n%0\r\n", b"%0\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n,1.5\r\n", b",1.5\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n,-inf\r\n", b",-inf\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n,1e10\r\n", b",1e10\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n#t\r\n", b"#t\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n#f\r\n", b"#f\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n(-123\r\n", b"(-123\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n+hi there\r\n", b"+hi there\r\n", 2),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n-ERR x\r\n", b"-ERR x\r\n", 2),
    (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n*2\r\n$3\r\na\r\n\r\n:1\r\n",
        b"*2\r\n$3\r\na\r\n\r\n:1\r\n",
        2,
    ),
    (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n~2\r\n+a\r\n+b\r\n",
        b"~2\r\n+a\r\n+b\r\n",
        2,
    ),
    (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n%2\r\n+name\r\n$3\r\nbob\r\n+tags\r\n*3\r\n:1\r\n_\r\n%1\r\n#t\r\n,2.5\r\n",
        b"%2\r\n+name\r\n$3\r\nbob\r\n+tags\r\n*3\r\n:1\r\n_\r\n%1\r\n#t\r\n,2.5\r\n",
        2,
    ),
    // A document in the middle, followed by an ordinary bulk.
    (
        b"*3\r\n$4\r\nECHO\r\n*1\r\n*1\r\n*0\r\n$1\r\nz\r\n",
        b"*1\r\n*1\r\n*0\r\n",
        1,
    ),
];

#[test]
fn documents_are_their_exact_resp_bytes() {
    for &(input, doc, at) in DOCUMENTS {
        let mut parser = RequestParser::new();
        assert_eq!(parser.parse(input, &limits()), Ok(Parsed::Ready));
        let req = parser.request(input);
        assert_eq!(req.len(), 3, "{}", input.escape_ascii());
        assert_eq!(req.arg(at), doc, "{}", input.escape_ascii());
        for i in 0..req.len() {
            assert_eq!(req.is_doc(i), i == at, "{} arg {i}", input.escape_ascii());
        }
        assert_eq!(req.doc_positions(), &[at]);
        assert_eq!(parser.finish(), input.len());
    }
}

#[test]
fn document_flags_do_not_leak_into_the_next_request() {
    let mut input = DOCUMENTS[0].0.to_vec();
    input.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n$3\r\n:42\r\n");
    let got = run(&input, &limits());
    assert_eq!(got.requests.len(), 2);
    assert_eq!(got.requests[0].1, vec![2]);
    assert_eq!(got.requests[1], (words(&[b"ECHO", b":42"]), vec![]));
}

fn repeat(prefix: &[u8], byte: u8, n: usize, suffix: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.resize(prefix.len() + n, byte);
    v.extend_from_slice(suffix);
    v
}

/// `n` nested one-element arrays around `:1`, as the third argument of a SET.
fn nested(n: usize) -> Vec<u8> {
    let mut v = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n".to_vec();
    for _ in 0..n {
        v.extend_from_slice(b"*1\r\n");
    }
    v.extend_from_slice(b":1\r\n");
    v
}

#[test]
fn every_protocol_error_text() {
    let big = MAX_INLINE_LEN + 1;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"*abc\r\n".to_vec(), "invalid multibulk length"),
        (b"*\r\n".to_vec(), "invalid multibulk length"),
        (b"*3000000000\r\n".to_vec(), "invalid multibulk length"),
        (b"*1 \r\n".to_vec(), "invalid multibulk length"),
        (b"*+1\r\n".to_vec(), "invalid multibulk length"),
        (b"*1\n".to_vec(), "invalid multibulk length"),
        (b"*1\r\n$-10\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$blabla\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$2000000000\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n$3\n".to_vec(), "invalid bulk length"),
        (b"*1\r\nfoo\r\n".to_vec(), "expected '$', got 'f'"),
        (
            b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n".to_vec(),
            "expected '$', got 'f'",
        ),
        (b"*1\r\n\x00".to_vec(), "expected '$', got '?'"),
        (b"*1\r\n>1\r\n".to_vec(), "expected '$', got '>'"),
        (repeat(b"", b'a', big, b""), "too big inline request"),
        (repeat(b"", b'a', big, b"\r\n"), "too big inline request"),
        (repeat(b"", 0, big, b""), "too big inline request"),
        (repeat(b"*", b'1', big, b""), "too big mbulk count string"),
        (
            repeat(b"*", b'1', big, b"\r\n"),
            "too big mbulk count string",
        ),
        (repeat(b"*\0", b'A', big, b""), "too big mbulk count string"),
        (
            repeat(b"*1\r\n$", b'1', big, b""),
            "too big bulk count string",
        ),
        (
            repeat(b"*1\r\n+", b'a', big, b""),
            "too big nested value header",
        ),
        (
            b"set \"\"\"test-key\"\"\" test-value\r\nping\r\n".to_vec(),
            "unbalanced quotes in request",
        ),
        (b"echo 'a\r\n".to_vec(), "unbalanced quotes in request"),
        (b"echo \"a\0\"\r\n".to_vec(), "unbalanced quotes in request"),
        (nested(DEFAULT_MAX_DEPTH + 1), "nested value too deep"),
        (
            b"*1\r\n$3\r\nabcX\r\n".to_vec(),
            "expected CRLF after bulk string",
        ),
        (
            b"*1\r\n$3\r\nabc\rX".to_vec(),
            "expected CRLF after bulk string",
        ),
        (
            b"*2\r\n$1\r\na\r\n*1\r\n$1\r\nbcd\r\n".to_vec(),
            "expected CRLF after bulk string",
        ),
        (b"*1\r\n:abc\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n#x\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n_x\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n,abc\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n(1.5\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n*1\r\n=5\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n:1\n".to_vec(), "invalid nested value"),
        (b"*1\r\n*1\r\n\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n*2\r\n:1\r\n\n".to_vec(), "invalid nested value"),
        (b"*1\r\n%1\r\n\r\n\r\n".to_vec(), "invalid nested value"),
        (b"*1\r\n*1\r\n$-2\r\n".to_vec(), "invalid bulk length"),
        (b"*1\r\n%-1\r\n".to_vec(), "invalid multibulk length"),
        (b"*1\r\n~x\r\n".to_vec(), "invalid multibulk length"),
    ];
    for (input, text) in cases {
        let shown = input[..input.len().min(40)].escape_ascii().to_string();
        for chunk in [input.len(), 1, 7] {
            let got = run_chunked(&input, &limits(), chunk);
            assert_eq!(
                got.error.as_deref(),
                Some(text),
                "{shown} in chunks of {chunk}"
            );
        }
    }
}

#[test]
fn requests_before_an_error_are_still_returned() {
    let got = run(b"PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n", &limits());
    assert_eq!(got.requests.len(), 2);
    assert_eq!(got.error.as_deref(), Some("invalid multibulk length"));
}

#[test]
fn limits_are_enforced_at_their_edge() {
    let small = ProtoLimits {
        max_bulk_len: 10,
        max_multibulk_len: 3,
        max_depth: 2,
        max_inline_len: 12,
        ..ProtoLimits::default()
    };
    let ok: &[&[u8]] = &[
        b"*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n",
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        b"*2\r\n$4\r\nECHO\r\n*3\r\n:1\r\n:2\r\n:3\r\n",
        b"*2\r\n$4\r\nECHO\r\n%3\r\n:1\r\n:2\r\n:3\r\n:4\r\n:5\r\n:6\r\n",
        b"*2\r\n$4\r\nECHO\r\n*1\r\n*1\r\n:1\r\n",
        b"*2\r\n$4\r\nECHO\r\n*1\r\n$10\r\n0123456789\r\n",
        b"echo 1234567\r\n",
        b"echo 1234567\n",
        b"*2\r\n$4\r\nECHO\r\n+0123456789a\r\n",
    ];
    for input in ok {
        for chunk in [input.len(), 1] {
            let got = run_chunked(input, &small, chunk);
            assert_eq!(got.error, None, "{}", input.escape_ascii());
            assert_eq!(got.requests.len(), 1, "{}", input.escape_ascii());
        }
    }
    let bad: &[(&[u8], &str)] = &[
        (b"*2\r\n$4\r\nECHO\r\n$11\r\n", "invalid bulk length"),
        (b"*4\r\n", "invalid multibulk length"),
        (b"*2\r\n$4\r\nECHO\r\n*4\r\n", "invalid multibulk length"),
        (b"*2\r\n$4\r\nECHO\r\n~4\r\n", "invalid multibulk length"),
        (b"*2\r\n$4\r\nECHO\r\n%4\r\n", "invalid multibulk length"),
        (
            b"*2\r\n$4\r\nECHO\r\n*1\r\n*1\r\n*1\r\n",
            "nested value too deep",
        ),
        (b"*2\r\n$4\r\nECHO\r\n*1\r\n$11\r\n", "invalid bulk length"),
        (b"echo 12345678\r\n", "too big inline request"),
        (b"echo 12345678\n", "too big inline request"),
        (b"echo 123456789", "too big inline request"),
        (b"*1234567890123\r\n", "too big mbulk count string"),
        (
            b"*2\r\n$4\r\nECHO\r\n+0123456789ab\r\n",
            "too big nested value header",
        ),
    ];
    for &(input, text) in bad {
        for chunk in [input.len(), 1] {
            let got = run_chunked(input, &small, chunk);
            assert_eq!(got.error.as_deref(), Some(text), "{}", input.escape_ascii());
        }
    }
}

#[test]
fn depth_limit_default_edge() {
    let got = run(&nested(DEFAULT_MAX_DEPTH), &limits());
    assert_eq!(got.error, None);
    assert_eq!(got.requests.len(), 1);
    assert_eq!(got.requests[0].1, vec![2]);
}

#[test]
fn inline_line_exactly_at_the_limit_is_accepted_in_any_chunking() {
    let line = repeat(b"echo ", b'x', MAX_INLINE_LEN - 5, b"\r\n");
    for chunk in [line.len(), MAX_INLINE_LEN, MAX_INLINE_LEN + 1, 4096] {
        let got = run_chunked(&line, &limits(), chunk);
        assert_eq!(got.error, None, "chunk {chunk}");
        assert_eq!(got.requests[0].0[1].len(), MAX_INLINE_LEN - 5);
    }
}

#[test]
fn a_huge_announced_bulk_allocates_nothing_up_front() {
    // The parser records the length and waits; it asks for exactly what is missing.
    let mut parser = RequestParser::new();
    let buf = b"*2\r\n$3\r\nSET\r\n$536870912\r\n";
    assert_eq!(parser.parse(buf, &limits()), Ok(Parsed::Incomplete));
    assert_eq!(parser.bytes_needed(buf.len()), Some(536_870_912 + 2));
    let mut parser = RequestParser::new();
    assert_eq!(
        parser.parse(b"*2147483647\r\n", &limits()),
        Ok(Parsed::Incomplete)
    );
    assert!(parser.spans.capacity() <= MAX_ARGV_PREALLOC);
}

#[test]
fn parse_int_is_strict() {
    let cases: &[(&[u8], Option<i64>)] = &[
        (b"0", Some(0)),
        (b"-1", Some(-1)),
        (b"9223372036854775807", Some(i64::MAX)),
        (b"-9223372036854775808", Some(i64::MIN)),
        (b"9223372036854775808", None),
        (b"", None),
        (b"-", None),
        (b"+1", None),
        (b" 1", None),
        (b"1x", None),
        (b"00000000000000000001", None),
    ];
    for &(s, want) in cases {
        assert_eq!(parse_int(s), want, "{}", s.escape_ascii());
    }
}

#[test]
fn unauthenticated_clients_get_redis_tighter_limits() {
    let unauth = ProtoLimits {
        unauthenticated: true,
        ..ProtoLimits::default()
    };
    let err = |input: &[u8]| run(input, &unauth).error;
    // At the limits: accepted.
    let ten = b"*10\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n";
    assert_eq!(run(ten, &unauth).requests.len(), 1);
    let big = repeat(b"*1\r\n$16384\r\n", b'x', 16384, b"\r\n");
    assert_eq!(run(&big, &unauth).requests.len(), 1);
    // Past them: Redis's texts, decided from the header alone.
    assert_eq!(
        err(b"*11\r\n").as_deref(),
        Some("unauthenticated multibulk length")
    );
    assert_eq!(
        err(b"*100\r\n").as_deref(),
        Some("unauthenticated multibulk length")
    );
    assert_eq!(
        err(b"*1\r\n$16385\r\n").as_deref(),
        Some("unauthenticated bulk length")
    );
    assert_eq!(
        err(b"*1\r\n$100000000\r\n").as_deref(),
        Some("unauthenticated bulk length")
    );
    // Nested documents too.
    assert_eq!(
        err(b"*2\r\n$3\r\nSET\r\n*11\r\n").as_deref(),
        Some("unauthenticated multibulk length")
    );
    assert_eq!(
        err(b"*2\r\n$3\r\nSET\r\n*1\r\n$20000\r\n").as_deref(),
        Some("unauthenticated bulk length")
    );
    // Beyond the normal limits the usual error stays.
    assert_eq!(
        err(b"*3000000000\r\n").as_deref(),
        Some("invalid multibulk length")
    );
    // Authenticated clients are not limited.
    assert_eq!(run(b"*100\r\n", &limits()).error, None);
}
