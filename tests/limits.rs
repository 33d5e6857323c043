//! Server-wide limits: maxclients and the per-client query buffer.
mod common;

use std::io::Write;

use common::*;
use rudis::protocol::Frame;

#[test]
fn clients_over_maxclients_are_refused_with_redis_error() {
    let server = start_server_with(|c| c.maxclients = 2);
    let mut a = server.raw();
    let mut b = server.raw();
    assert_eq!(a.cmd(&["PING"]), simple("PONG"));
    assert_eq!(b.cmd(&["PING"]), simple("PONG"));
    let mut c = server.raw();
    assert_eq!(c.read_frame(), error("ERR max number of clients reached"));
    c.expect_closed();
    // The admitted clients are unaffected, and a slot frees up when one leaves.
    assert_eq!(a.cmd(&["PING"]), simple("PONG"));
    drop(b);
    let mut attempts = 0;
    let mut d = loop {
        attempts += 1;
        assert!(attempts < 1000, "the closed client's slot was never freed");
        let mut d = server.raw();
        match d.cmd(&["PING"]) {
            Frame::Simple(s) if s == "PONG" => break d,
            // The server may not have freed b's slot yet: b's close is seen on its next turn.
            Frame::Error(e) => assert_eq!(e, "ERR max number of clients reached"),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(d.cmd(&["ECHO", "hi"]), bulk("hi"));
}

#[test]
fn a_client_over_the_query_buffer_limit_is_closed_and_others_live() {
    let limit = 1024 * 1024;
    let server = start_server_with(|c| c.max_querybuf = limit);
    let mut other = server.raw();
    assert_eq!(other.cmd(&["SET", "k", "v"]), simple("OK"));
    let mut big = server.raw();
    // A 4 MB bulk is within proto-max-bulk-len, but its bytes overflow the 1 MB
    // query buffer before the request completes.
    big.send(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$4194304\r\n");
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0;
    while sent < 4 * limit {
        if big.stream.write_all(&chunk).is_err() {
            break; // the server closed on us: what we wanted
        }
        sent += chunk.len();
    }
    big.expect_closed();
    assert_eq!(other.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(other.cmd(&["EXISTS", "x"]), int(0));
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let server = start_server_with(|c| c.timeout = 1);
    let mut idle = server.raw();
    assert_eq!(idle.cmd(&["PING"]), simple("PONG"));
    let started = std::time::Instant::now();
    idle.expect_closed(); // blocks until the server closes it (at most REPLY_TIMEOUT)
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let mut fresh = server.raw();
    assert_eq!(
        fresh.cmd(&["CONFIG", "GET", "timeout"]),
        Frame::Array(vec![bulk("timeout"), bulk("1")])
    );
}
