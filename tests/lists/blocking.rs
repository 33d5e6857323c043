//! Blocking list commands with real connections: one client parks, another pushes.
//! A client is known to be parked when INFO's `blocked_clients` says so (polled in a
//! bounded loop, never a sleep).

use std::time::Instant;

use super::{arr, raw_reply};
use crate::common::*;
use rudis::protocol::Frame;

/// INFO clients' `blocked_clients`.
fn blocked_clients(c: &mut Raw) -> usize {
    let info = text(&c.cmd(&["INFO", "clients"]));
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("blocked_clients in INFO")
}

/// Polls until exactly `n` clients are blocked; panics after [`REPLY_TIMEOUT`].
fn wait_blocked(c: &mut Raw, n: usize) {
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while blocked_clients(c) != n {
        assert!(
            Instant::now() < deadline,
            "never reached {n} blocked clients"
        );
        std::thread::yield_now();
    }
}

fn pair(key: &str, value: &str) -> Frame {
    arr(&[key, value])
}

#[test]
fn a_push_serves_a_blocked_client() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    waiter.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 1);
    assert_eq!(c.cmd(&["RPUSH", "q", "a", "b"]), int(2));
    assert_eq!(waiter.read_frame(), pair("q", "a"));
    assert_eq!(c.cmd(&["LRANGE", "q", "0", "-1"]), arr(&["b"]));
    assert_eq!(blocked_clients(&mut c), 0);
    // The served client is usable again.
    assert_eq!(waiter.cmd(&["PING"]), simple("PONG"));
    // BRPOP takes from the tail; a variadic LPUSH is served after all its elements.
    waiter.send_cmd(&["BRPOP", "r", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["LPUSH", "r", "foo", "bar"]);
    assert_eq!(waiter.read_frame(), pair("r", "foo"));
    assert_eq!(c.cmd(&["LRANGE", "r", "0", "-1"]), arr(&["bar"]));
}

#[test]
fn blocked_clients_are_served_first_come_first_served() {
    let server = start_server();
    let (mut first, mut second, mut c) = (server.raw(), server.raw(), server.raw());
    first.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 1);
    second.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["RPUSH", "q", "a", "b", "c"]);
    assert_eq!(first.read_frame(), pair("q", "a"));
    assert_eq!(second.read_frame(), pair("q", "b"));
    assert_eq!(c.cmd(&["LRANGE", "q", "0", "-1"]), arr(&["c"]));
    // One element for two waiters: the longest waiting gets it, the other stays.
    c.cmd(&["DEL", "q"]);
    first.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 1);
    second.send_cmd(&["BLPOP", "q", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["RPUSH", "q", "x"]);
    assert_eq!(first.read_frame(), pair("q", "x"));
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "q", "y"]);
    assert_eq!(second.read_frame(), pair("q", "y"));
}

#[test]
fn several_keys_serve_the_first_non_empty_in_argument_order() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    c.cmd(&["RPUSH", "k2", "two"]);
    c.cmd(&["RPUSH", "k3", "three"]);
    assert_eq!(
        waiter.cmd(&["BLPOP", "k1", "k3", "k2", "0"]),
        pair("k3", "three")
    );
    waiter.send_cmd(&["BLPOP", "k1", "k1", "k4", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "k4", "four"]);
    assert_eq!(waiter.read_frame(), pair("k4", "four"));
    waiter.send_cmd(&["BLMPOP", "0", "2", "k5", "k6", "RIGHT", "COUNT", "2"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "k6", "a", "b", "c"]);
    assert_eq!(
        waiter.read_frame(),
        Frame::Array(vec![bulk("k6"), arr(&["c", "b"])])
    );
}

#[test]
fn timeouts_reply_null() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    let started = Instant::now();
    raw_reply(&mut waiter, &["BLPOP", "q", "0.1"], b"*-1\r\n");
    assert!(started.elapsed().as_millis() >= 100);
    raw_reply(
        &mut waiter,
        &["BLMPOP", "0.05", "1", "q", "LEFT"],
        b"*-1\r\n",
    );
    raw_reply(
        &mut waiter,
        &["BLMOVE", "q", "d", "LEFT", "LEFT", "0.05"],
        b"*-1\r\n",
    );
    raw_reply(&mut waiter, &["BRPOPLPUSH", "q", "d", "0.05"], b"*-1\r\n");
    // Inside MULTI nothing blocks: BLMOVE then answers as LMOVE, BLPOP as timed out.
    assert_eq!(waiter.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(
        waiter.cmd(&["BLMOVE", "q", "d", "LEFT", "LEFT", "0"]),
        simple("QUEUED")
    );
    assert_eq!(waiter.cmd(&["BLPOP", "q", "0"]), simple("QUEUED"));
    raw_reply(&mut waiter, &["EXEC"], b"*2\r\n$-1\r\n*-1\r\n");
    waiter.cmd(&["HELLO", "3"]);
    raw_reply(&mut waiter, &["BRPOP", "q", "0.05"], b"_\r\n");
    assert_eq!(blocked_clients(&mut c), 0);
    let bad = |c: &mut Raw, t: &str| c.cmd(&["BLPOP", "q", t]);
    assert_eq!(bad(&mut c, "-1"), error("ERR timeout is negative"));
    assert_eq!(bad(&mut c, "inf"), error("ERR timeout is negative"));
    assert_eq!(
        bad(&mut c, "x"),
        error("ERR timeout is not a float or out of range")
    );
}

#[test]
fn a_blocked_client_that_disconnects_is_forgotten() {
    let server = start_server();
    let mut c = server.raw();
    {
        let mut waiter = server.raw();
        waiter.send_cmd(&["BLPOP", "q", "0"]);
        wait_blocked(&mut c, 1);
    }
    wait_blocked(&mut c, 0);
    // Nobody takes the element any more.
    c.cmd(&["RPUSH", "q", "a"]);
    assert_eq!(c.cmd(&["LRANGE", "q", "0", "-1"]), arr(&["a"]));
}

#[test]
fn a_push_inside_a_pipeline_goes_to_the_blocked_client() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    waiter.send_cmd(&["BLPOP", "k", "0"]);
    wait_blocked(&mut c, 1);
    let mut pipeline = Frame::command(&["RPUSH", "k", "a"]);
    pipeline.extend(Frame::command(&["LPOP", "k"]));
    c.send(&pipeline);
    assert_eq!(c.read_frame(), int(1));
    assert_eq!(c.read_frame(), Frame::Null);
    assert_eq!(waiter.read_frame(), pair("k", "a"));
}

#[test]
fn blmove_chains_and_self_moves() {
    let server = start_server();
    let (mut first, mut second, mut c) = (server.raw(), server.raw(), server.raw());
    first.send_cmd(&["BLMOVE", "l1", "l2", "RIGHT", "LEFT", "0"]);
    wait_blocked(&mut c, 1);
    second.send_cmd(&["BLMOVE", "l2", "l3", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["RPUSH", "l1", "foo"]);
    assert_eq!(first.read_frame(), bulk("foo"));
    assert_eq!(second.read_frame(), bulk("foo"));
    assert_eq!(c.cmd(&["EXISTS", "l1", "l2"]), int(0));
    assert_eq!(c.cmd(&["LRANGE", "l3", "0", "-1"]), arr(&["foo"]));
    // A client popping the destination is served by the move.
    second.send_cmd(&["BLPOP", "t", "0"]);
    wait_blocked(&mut c, 1);
    first.send_cmd(&["BLMOVE", "s", "t", "LEFT", "RIGHT", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["RPUSH", "s", "bar"]);
    assert_eq!(first.read_frame(), bulk("bar"));
    assert_eq!(second.read_frame(), pair("t", "bar"));
    assert_eq!(c.cmd(&["EXISTS", "s", "t"]), int(0));
    // From a list to itself.
    first.send_cmd(&["BRPOPLPUSH", "self", "self", "0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "self", "x"]);
    assert_eq!(first.read_frame(), bulk("x"));
    assert_eq!(c.cmd(&["LRANGE", "self", "0", "-1"]), arr(&["x"]));
}

#[test]
fn a_wrong_destination_fails_the_woken_move_and_keeps_the_element() {
    let server = start_server();
    let (mut first, mut second, mut c) = (server.raw(), server.raw(), server.raw());
    c.cmd(&["SET", "bad", "string"]);
    first.send_cmd(&["BRPOPLPUSH", "src", "bad", "0"]);
    wait_blocked(&mut c, 1);
    second.send_cmd(&["BRPOPLPUSH", "src", "good", "0"]);
    wait_blocked(&mut c, 2);
    c.cmd(&["RPUSH", "src", "foo"]);
    assert_eq!(
        first.read_frame(),
        error("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(second.read_frame(), bulk("foo"));
    assert_eq!(c.cmd(&["LRANGE", "good", "0", "-1"]), arr(&["foo"]));
}

#[test]
fn client_unblock_and_the_redis_crate() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    let Frame::Integer(id) = waiter.cmd(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID");
    };
    waiter.send_cmd(&["BLMPOP", "0", "1", "q", "LEFT"]);
    wait_blocked(&mut c, 1);
    assert_eq!(c.cmd(&["CLIENT", "UNBLOCK", &id.to_string()]), int(1));
    assert_eq!(waiter.read_frame(), Frame::Null);
    let mut con = server.redis();
    let pusher = std::thread::spawn({
        let mut c = server.raw();
        move || {
            wait_blocked(&mut c, 1);
            c.cmd(&["RPUSH", "q", "hello"]);
        }
    });
    let got: Option<(String, String)> =
        redis::cmd("BLPOP").arg("q").arg(0).query(&mut con).unwrap();
    assert_eq!(got, Some(("q".to_string(), "hello".to_string())));
    pusher.join().unwrap();
}

#[test]
fn requests_pipelined_behind_a_blocked_pop_wait_for_it() {
    let server = start_server();
    let (mut waiter, mut c) = (server.raw(), server.raw());
    let mut pipeline = Frame::command(&["BLPOP", "q", "0"]);
    pipeline.extend(Frame::command(&["LLEN", "q"]));
    pipeline.extend(Frame::command(&["PING"]));
    waiter.send(&pipeline);
    wait_blocked(&mut c, 1);
    c.cmd(&["RPUSH", "q", "a", "b"]);
    assert_eq!(waiter.read_frame(), pair("q", "a"));
    assert_eq!(waiter.read_frame(), int(1));
    assert_eq!(waiter.read_frame(), simple("PONG"));
}
