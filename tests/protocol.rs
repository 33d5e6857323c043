//! The wire protocol against a real server, in raw bytes: malformed requests, limits,
//! and desync attempts. After Redis's tests/unit/protocol.tcl.
mod common;

use std::io::Write;

use common::*;
use rudis::protocol::Frame;
use rudis::protocol::parser::{DEFAULT_MAX_BULK_LEN, DEFAULT_MAX_DEPTH, MAX_INLINE_LEN};

/// Sends `bytes` on a fresh connection and checks the reply is the protocol error
/// `detail`, after which the server closes the connection.
fn expect_protocol_error(server: &TestServer, bytes: &[u8], detail: &str) {
    let mut c = server.raw();
    c.send(bytes);
    assert_eq!(
        c.read_frame(),
        error(&format!("ERR Protocol error: {detail}")),
        "{}",
        bytes[..bytes.len().min(60)].escape_ascii()
    );
    c.expect_closed();
}

#[test]
fn handle_an_empty_query() {
    let server = start_server();
    let mut c = server.raw();
    c.send(b"\r\n");
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    c.send(b"\n\r\n   \r\n");
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn negative_and_empty_multibulk_lengths_are_skipped() {
    let server = start_server();
    let mut c = server.raw();
    for header in ["*-10\r\n", "*-1\r\n", "*0\r\n"] {
        c.send(header.as_bytes());
        assert_eq!(c.cmd(&["PING"]), simple("PONG"), "{header:?}");
    }
}

#[test]
fn out_of_range_multibulk_length() {
    let server = start_server();
    expect_protocol_error(&server, b"*3000000000\r\n", "invalid multibulk length");
    expect_protocol_error(&server, b"*2147483648\r\n", "invalid multibulk length");
    expect_protocol_error(&server, b"*abc\r\n", "invalid multibulk length");
}

#[test]
fn wrong_multibulk_payload_header() {
    let server = start_server();
    expect_protocol_error(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
        "expected '$', got 'f'",
    );
    // Nothing of the broken request ran.
    assert_eq!(server.raw().cmd(&["GET", "x"]), Frame::Null);
}

#[test]
fn bad_multibulk_payload_lengths() {
    let server = start_server();
    let prefix = b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n";
    for len in ["-10", "2000000000", "blabla", ""] {
        let mut req = prefix.to_vec();
        req.extend_from_slice(format!("${len}\r\n").as_bytes());
        expect_protocol_error(&server, &req, "invalid bulk length");
    }
    assert_eq!(server.raw().cmd(&["DBSIZE"]), int(0));
}

#[test]
fn multi_bulk_request_not_followed_by_bulk_arguments() {
    let server = start_server();
    expect_protocol_error(&server, b"*1\r\nfoo\r\n", "expected '$', got 'f'");
}

#[test]
fn generic_wrong_number_of_args() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["PING", "x", "y", "z"]),
        error("ERR wrong number of arguments for 'ping' command")
    );
    // An arity error is a command error: the connection lives.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn unbalanced_number_of_quotes() {
    let server = start_server();
    let mut c = server.raw();
    c.send(b"set \"\"\"test-key\"\"\" test-value\r\nping\r\n");
    assert_eq!(
        c.read_frame(),
        error("ERR Protocol error: unbalanced quotes in request")
    );
    // The pipelined `ping` after it is never answered.
    c.expect_closed();
    assert_eq!(server.raw().cmd(&["DBSIZE"]), int(0));
}

/// Redis's "Protocol desync regression test": a request start that can never end
/// followed by an endless stream must be cut off with an error, not buffered forever.
#[test]
fn protocol_desync_regression() {
    let server = start_server();
    let cases: &[(&[u8], &str)] = &[
        (b"\x00", "too big inline request"),
        (b"*\x00", "too big mbulk count string"),
        (b"$\x00", "too big inline request"),
    ];
    let payload = [b'A'; 1024];
    for &(seq, detail) in cases {
        let mut c = server.raw();
        c.send(seq);
        // Far more than the limit; stop as soon as the server has hung up.
        for _ in 0..4096 {
            if c.stream.write_all(&payload).is_err() {
                break;
            }
        }
        assert_eq!(
            c.read_frame(),
            error(&format!("ERR Protocol error: {detail}")),
            "{}",
            seq.escape_ascii()
        );
        c.expect_closed();
    }
    // A NUL ends an inline line (as in Redis): the rest of that line is ignored.
    let mut c = server.raw();
    c.send(b"\x00SET x y\r\n\x00\r\n");
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["GET", "x"]), Frame::Null);
}

#[test]
fn desync_attempt_with_a_huge_bulk_length() {
    let server = start_server();
    let mut setup = server.raw();
    assert_eq!(setup.cmd(&["SET", "victim", "safe"]), simple("OK"));
    let smuggled = Frame::command(&["SET", "victim", "hacked"]);

    // Over the limit: refused at once; what follows is never parsed.
    let mut attack = b"*2\r\n$3\r\nGET\r\n$2000000000\r\n".to_vec();
    attack.extend_from_slice(&smuggled);
    expect_protocol_error(&server, &attack, "invalid bulk length");

    // Within the limit: the bytes that look like a command are the body being waited
    // for, never a command, even when the client gives up and disconnects.
    let mut c = server.raw();
    let mut attack = format!("*2\r\n$4\r\nECHO\r\n${DEFAULT_MAX_BULK_LEN}\r\n").into_bytes();
    attack.extend_from_slice(&smuggled);
    c.send(&attack);
    assert_eq!(setup.cmd(&["PING"]), simple("PONG"));
    drop(c);

    let mut other = server.raw();
    assert_eq!(other.cmd(&["GET", "victim"]), bulk("safe"));
    assert_eq!(other.cmd(&["DBSIZE"]), int(1));
}

#[test]
fn a_protocol_error_closes_only_that_connection() {
    let server = start_server();
    let mut good = server.raw();
    let mut bad = server.raw();
    assert_eq!(good.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(bad.cmd(&["PING"]), simple("PONG"));
    bad.send(b"*1\r\n$x\r\n");
    assert_eq!(
        bad.read_frame(),
        error("ERR Protocol error: invalid bulk length")
    );
    bad.expect_closed();
    assert_eq!(good.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(good.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn bulk_length_above_proto_max_bulk_len_is_refused_before_any_data() {
    const LIMIT: usize = 1024 * 1024;
    let server = start_server_with(|c| c.proto.max_bulk_len = LIMIT);
    // Only the header is sent: the error must come without waiting for the body.
    expect_protocol_error(
        &server,
        format!("*2\r\n$4\r\nECHO\r\n${}\r\n", LIMIT + 1).as_bytes(),
        "invalid bulk length",
    );
    // Exactly at the limit is accepted.
    let mut c = server.raw();
    let value = vec![b'v'; LIMIT];
    c.send(&Frame::command(&[b"ECHO".as_slice(), value.as_slice()]));
    assert_eq!(c.read_frame(), Frame::Bulk(value));

    let default = start_server();
    expect_protocol_error(
        &default,
        format!("*2\r\n$4\r\nECHO\r\n${}\r\n", DEFAULT_MAX_BULK_LEN + 1).as_bytes(),
        "invalid bulk length",
    );
}

#[test]
fn a_huge_multibulk_count_allocates_nothing_and_just_waits() {
    let server = start_server();
    let mut waiting = server.raw();
    // Preallocating 2^31 arguments would abort the whole test process.
    waiting.send(b"*2147483647\r\n$4\r\nPING\r\n");
    let mut other = server.raw();
    assert_eq!(other.cmd(&["PING"]), simple("PONG"));
    assert_eq!(other.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(other.cmd(&["GET", "k"]), bulk("v"));
    // The waiting client is still mid-request: more arguments are just more waiting,
    // and a malformed one is still caught.
    waiting.send(b"$1\r\nx\r\n");
    waiting.send(b"?");
    assert_eq!(
        waiting.read_frame(),
        error("ERR Protocol error: expected '$', got '?'")
    );
    waiting.expect_closed();
}

#[test]
fn inline_line_over_64kb_is_refused() {
    let server = start_server();
    expect_protocol_error(
        &server,
        &vec![b'a'; MAX_INLINE_LEN + 1],
        "too big inline request",
    );
    // A line of exactly the limit is a command.
    let mut c = server.raw();
    let arg = "x".repeat(MAX_INLINE_LEN - "ECHO ".len());
    c.send(format!("ECHO {arg}\r\n").as_bytes());
    assert_eq!(c.read_frame(), bulk(&arg));
}

/// `SET k` with `depth` nested one-element arrays around `:1` as the value.
fn nested_set(depth: usize) -> (Vec<u8>, Vec<u8>) {
    let mut doc = Vec::new();
    for _ in 0..depth {
        doc.extend_from_slice(b"*1\r\n");
    }
    doc.extend_from_slice(b":1\r\n");
    let mut req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n".to_vec();
    req.extend_from_slice(&doc);
    (req, doc)
}

#[test]
fn nested_document_over_the_depth_limit_is_refused() {
    let server = start_server();
    let (req, doc) = nested_set(DEFAULT_MAX_DEPTH);
    let mut c = server.raw();
    c.send(&req);
    assert_eq!(c.read_frame(), simple("OK"));
    c.send_cmd(&["GET", "k"]);
    // GET gives the document back byte for byte.
    assert_eq!(c.read_exact_bytes(doc.len()), doc);

    let (req, _) = nested_set(DEFAULT_MAX_DEPTH + 1);
    expect_protocol_error(&server, &req, "nested value too deep");
    // The refused document did not replace the stored one.
    let mut c = server.raw();
    c.send_cmd(&["GET", "k"]);
    assert_eq!(c.read_exact_bytes(doc.len()), doc);
}

#[test]
fn document_arguments_round_trip() {
    let server = start_server();
    let mut c = server.raw();
    let doc: &[u8] = b"%2\r\n+name\r\n$3\r\nbob\r\n+tags\r\n*3\r\n:1\r\n_\r\n#t\r\n";
    let mut req = b"*3\r\n$3\r\nSET\r\n$3\r\ndoc\r\n".to_vec();
    req.extend_from_slice(doc);
    c.send(&req);
    assert_eq!(c.read_frame(), simple("OK"));
    c.send_cmd(&["GET", "doc"]);
    assert_eq!(c.read_exact_bytes(doc.len()), doc);
    // A document where a plain string is needed is a command error, not a protocol one.
    c.send(b"*2\r\n$4\r\nECHO\r\n:1\r\n");
    assert!(matches!(c.read_frame(), Frame::Error(e) if e.starts_with("ERR nested values")));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn an_empty_line_inside_a_document_is_an_error_not_a_crash() {
    let server = start_server();
    let mut bystander = server.raw();
    assert_eq!(bystander.cmd(&["SET", "k", "v"]), simple("OK"));
    expect_protocol_error(&server, b"*1\r\n*1\r\n\r\n", "invalid nested value");
    expect_protocol_error(
        &server,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n%1\r\n\r\n\r\n",
        "invalid nested value",
    );
    // The server is alive and the data untouched.
    assert_eq!(bystander.cmd(&["GET", "k"]), bulk("v"));
}
