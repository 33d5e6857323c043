//! COPY, MOVE and OBJECT end to end, through raw RESP and the `redis` crate.
mod common;

use common::*;
use redis::Commands;

#[test]
fn copy_keeps_value_and_ttl_and_respects_replace() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "src", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["PEXPIRE", "src", "100000"]), int(1));
    assert_eq!(c.cmd(&["COPY", "src", "dst"]), int(1));
    assert_eq!(c.cmd(&["GET", "dst"]), bulk("v"));
    match c.cmd(&["PTTL", "dst"]) {
        rudis::protocol::Frame::Integer(ms) => assert!(ms > 90_000 && ms <= 100_000, "{ms}"),
        other => panic!("PTTL: {other:?}"),
    }
    // An existing destination is left alone without REPLACE.
    assert_eq!(c.cmd(&["SET", "other", "x"]), simple("OK"));
    assert_eq!(c.cmd(&["COPY", "src", "other"]), int(0));
    assert_eq!(c.cmd(&["GET", "other"]), bulk("x"));
    assert_eq!(c.cmd(&["COPY", "src", "other", "REPLACE"]), int(1));
    assert_eq!(c.cmd(&["GET", "other"]), bulk("v"));
    // A missing source copies nothing.
    assert_eq!(c.cmd(&["COPY", "nope", "dst2"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst2"]), int(0));
}

#[test]
fn copy_to_another_database() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["COPY", "k", "k", "DB", "3"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "3"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["SELECT", "0"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
}

#[test]
fn copy_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(
        c.cmd(&["COPY", "k", "k"]),
        error("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["COPY", "k", "x", "DB", "99"]),
        error("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["COPY", "k", "x", "DB", "notanumber"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["COPY", "k", "x", "BOGUS"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["COPY", "k"]),
        error("ERR wrong number of arguments for 'copy' command")
    );
    // The connection lives on.
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
}

#[test]
fn move_between_databases() {
    let server = start_server();
    let mut r = server.redis();
    let _: () = r.set_ex("k", "v", 1000).expect("setex");
    let moved: i64 = redis::cmd("MOVE")
        .arg("k")
        .arg(1)
        .query(&mut r)
        .expect("move");
    assert_eq!(moved, 1);
    assert!(!r.exists::<_, bool>("k").expect("exists"));
    let _: () = redis::cmd("SELECT").arg(1).query(&mut r).expect("select");
    assert_eq!(r.get::<_, String>("k").expect("get"), "v");
    let ttl: i64 = r.ttl("k").expect("ttl");
    assert!(ttl > 900, "TTL kept: {ttl}");
    // Refused when the key exists in the target database, or is missing.
    let _: () = r.set("k2", "here").expect("set");
    let _: () = redis::cmd("SELECT").arg(0).query(&mut r).expect("select");
    let _: () = r.set("k2", "there").expect("set");
    let moved: i64 = redis::cmd("MOVE")
        .arg("k2")
        .arg(1)
        .query(&mut r)
        .expect("move");
    assert_eq!(moved, 0);
    assert_eq!(r.get::<_, String>("k2").expect("get"), "there");
    let moved: i64 = redis::cmd("MOVE")
        .arg("missing")
        .arg(1)
        .query(&mut r)
        .expect("move");
    assert_eq!(moved, 0);
}

#[test]
fn move_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(
        c.cmd(&["MOVE", "k", "0"]),
        error("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["MOVE", "k", "16"]),
        error("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["MOVE", "k", "x"]),
        error("ERR value is not an integer or out of range")
    );
}

#[test]
fn object_subcommands() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "n", "12345"]), simple("OK"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "n"]), bulk("int"));
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "n"]), int(0));
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "n"]), int(1));
    match c.cmd(&["OBJECT", "FREQ", "n"]) {
        rudis::protocol::Frame::Error(e) => assert!(e.starts_with("ERR An LFU maxmemory policy")),
        other => panic!("FREQ: {other:?}"),
    }
    assert_eq!(
        c.cmd(&["OBJECT", "IDLETIME", "missing"]),
        rudis::protocol::Frame::Null
    );
}
