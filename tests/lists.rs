//! Lists end to end: pushes, reads, edits, pops and moves with their Redis 7 replies
//! and error texts, through raw RESP (RESP2 and RESP3) and the `redis` crate; blocking
//! commands in `lists/blocking.rs`.
#[path = "lists/blocking.rs"]
mod blocking;
mod common;

use common::*;
use rudis::protocol::Frame;

fn arr(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

fn ints(items: &[i64]) -> Frame {
    Frame::Array(items.iter().map(|&n| int(n)).collect())
}

fn wrongtype() -> Frame {
    error("WRONGTYPE Operation against a key holding the wrong kind of value")
}

/// Sends a command and reads exactly `expected.len()` raw reply bytes, to tell null
/// bulk strings, null arrays and RESP3 nulls apart.
fn raw_reply(c: &mut Raw, args: &[&str], expected: &[u8]) {
    c.send_cmd(args);
    assert_eq!(
        String::from_utf8_lossy(&c.read_exact_bytes(expected.len())),
        String::from_utf8_lossy(expected),
        "{args:?}"
    );
}

#[test]
fn pushes_and_reads() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["LPUSH", "l", "a", "b", "c"]), int(3));
    assert_eq!(c.cmd(&["RPUSH", "l", "0", "1", "2"]), int(6));
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        arr(&["c", "b", "a", "0", "1", "2"])
    );
    assert_eq!(
        c.cmd(&["LRANGE", "l", "1", "-2"]),
        arr(&["b", "a", "0", "1"])
    );
    assert_eq!(c.cmd(&["LRANGE", "l", "-3", "-1"]), arr(&["0", "1", "2"]));
    assert_eq!(
        c.cmd(&["LRANGE", "l", "-100", "100"]),
        arr(&["c", "b", "a", "0", "1", "2"])
    );
    assert_eq!(c.cmd(&["LRANGE", "l", "4", "2"]), arr(&[]));
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-7"]), arr(&[]));
    assert_eq!(c.cmd(&["LRANGE", "missing", "0", "-1"]), arr(&[]));
    assert_eq!(
        c.cmd(&["LRANGE", "l", "x", "1"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["LLEN", "l"]), int(6));
    assert_eq!(c.cmd(&["LLEN", "missing"]), int(0));
    assert_eq!(c.cmd(&["LINDEX", "l", "0"]), bulk("c"));
    assert_eq!(c.cmd(&["LINDEX", "l", "-1"]), bulk("2"));
    assert_eq!(c.cmd(&["LINDEX", "l", "6"]), Frame::Null);
    assert_eq!(c.cmd(&["LINDEX", "l", "-7"]), Frame::Null);
    assert_eq!(c.cmd(&["LINDEX", "missing", "x"]), Frame::Null);
    assert_eq!(
        c.cmd(&["LINDEX", "l", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "l"]), bulk("quicklist"));
    assert_eq!(c.cmd(&["TYPE", "l"]), simple("list"));
    // Integer-looking elements come back exactly as sent.
    let odd = [
        "007",
        "-0",
        "+1",
        "9223372036854775807",
        "9223372036854775808",
        "-12",
        " 3",
    ];
    for e in odd {
        c.cmd(&["RPUSH", "n", e]);
    }
    assert_eq!(c.cmd(&["LRANGE", "n", "0", "-1"]), arr(&odd));
    assert_eq!(c.cmd(&["LPUSHX", "nope", "a"]), int(0));
    assert_eq!(c.cmd(&["RPUSHX", "nope", "a", "b"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "nope"]), int(0));
    assert_eq!(c.cmd(&["RPUSHX", "l", "x", "y"]), int(8));
    assert_eq!(c.cmd(&["LPUSHX", "l", "w"]), int(9));
    assert_eq!(c.cmd(&["LINDEX", "l", "0"]), bulk("w"));
}

#[test]
fn wrong_types_and_arity() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    c.cmd(&["RPUSH", "l", "a"]);
    let cmds: &[&[&str]] = &[
        &["LPUSH", "s", "a"],
        &["RPUSHX", "s", "a"],
        &["LLEN", "s"],
        &["LRANGE", "s", "0", "1"],
        &["LINDEX", "s", "0"],
        &["LSET", "s", "0", "a"],
        &["LINSERT", "s", "BEFORE", "a", "b"],
        &["LREM", "s", "0", "a"],
        &["LTRIM", "s", "0", "1"],
        &["LPOS", "s", "a"],
        &["LPOP", "s"],
        &["RPOP", "s", "2"],
        &["LMOVE", "s", "l", "LEFT", "LEFT"],
        &["LMOVE", "l", "s", "LEFT", "LEFT"],
        &["RPOPLPUSH", "l", "s"],
        &["LMPOP", "2", "missing", "s", "LEFT"],
        &["BLPOP", "missing", "s", "0"],
        &["BLMOVE", "s", "l", "LEFT", "LEFT", "0"],
        &["BLMPOP", "0", "1", "s", "RIGHT"],
    ];
    for cmd in cmds {
        assert_eq!(c.cmd(cmd), wrongtype(), "{cmd:?}");
    }
    // The failed moves left the source alone.
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]), arr(&["a"]));
    let arity = |name: &str| {
        error(&format!(
            "ERR wrong number of arguments for '{name}' command"
        ))
    };
    assert_eq!(c.cmd(&["LPOP", "l", "1", "1"]), arity("lpop"));
    assert_eq!(c.cmd(&["RPOP", "l", "1", "1"]), arity("rpop"));
    assert_eq!(c.cmd(&["LPUSH", "l"]), arity("lpush"));
    assert_eq!(c.cmd(&["LLEN"]), arity("llen"));
    assert_eq!(c.cmd(&["LMPOP", "1", "l"]), arity("lmpop"));
    assert_eq!(c.cmd(&["BLMPOP", "0", "1", "l"]), arity("blmpop"));
    assert_eq!(
        c.cmd(&["BLMOVE", "a", "b", "LEFT", "LEFT"]),
        arity("blmove")
    );
}

#[test]
fn pops_with_counts_in_resp2_and_resp3() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["LPUSH", "l", "aa", "bb", "cc", "dd", "ee", "ff", "gg"]),
        int(7)
    );
    assert_eq!(c.cmd(&["LPOP", "l"]), bulk("gg"));
    assert_eq!(c.cmd(&["LPOP", "l", "2"]), arr(&["ff", "ee"]));
    assert_eq!(c.cmd(&["RPOP", "l", "2"]), arr(&["aa", "bb"]));
    assert_eq!(c.cmd(&["RPOP", "l"]), bulk("cc"));
    assert_eq!(c.cmd(&["RPOP", "l", "123"]), arr(&["dd"]));
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
    let range = error("ERR value is out of range, must be positive");
    assert_eq!(c.cmd(&["LPOP", "l", "-1"]), range);
    assert_eq!(c.cmd(&["LPOP", "l", "x"]), range);
    c.cmd(&["RPUSH", "l", "zero"]);
    for proto in ["2", "3"] {
        c.cmd(&["HELLO", proto]);
        let (bulk_null, array_null): (&[u8], &[u8]) = if proto == "2" {
            (b"$-1\r\n", b"*-1\r\n")
        } else {
            (b"_\r\n", b"_\r\n")
        };
        raw_reply(&mut c, &["LPOP", "l", "0"], b"*0\r\n");
        raw_reply(&mut c, &["RPOP", "l", "0"], b"*0\r\n");
        raw_reply(&mut c, &["LPOP", "missing"], bulk_null);
        raw_reply(&mut c, &["RPOP", "missing", "0"], array_null);
        raw_reply(&mut c, &["LPOP", "missing", "1"], array_null);
        raw_reply(&mut c, &["LMPOP", "1", "missing", "LEFT"], array_null);
        raw_reply(&mut c, &["LINDEX", "missing", "0"], bulk_null);
        raw_reply(
            &mut c,
            &["LMOVE", "missing", "x", "LEFT", "RIGHT"],
            bulk_null,
        );
        raw_reply(&mut c, &["LPOS", "l", "nothing"], bulk_null);
        raw_reply(&mut c, &["BLPOP", "missing", "0.01"], array_null);
        // Redis 7.0 times every blocked list command out with a null array.
        raw_reply(&mut c, &["BRPOPLPUSH", "missing", "x", "0.01"], array_null);
    }
}

#[test]
fn lmpop_arguments_and_replies() {
    let server = start_server();
    let mut c = server.raw();
    let numkeys = error("ERR numkeys should be greater than 0");
    let count = error("ERR count should be greater than 0");
    assert_eq!(c.cmd(&["LMPOP", "0", "l", "LEFT"]), numkeys);
    assert_eq!(c.cmd(&["LMPOP", "a", "l", "LEFT"]), numkeys);
    assert_eq!(c.cmd(&["LMPOP", "-1", "l", "RIGHT"]), numkeys);
    for bad in [
        &["LMPOP", "1", "l", "bad_where"][..],
        &["LMPOP", "1", "l", "LEFT", "bar"],
        &["LMPOP", "1", "l", "RIGHT", "LEFT"],
        &["LMPOP", "1", "l", "COUNT"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2"],
        &["LMPOP", "2", "l", "l2", "bad"],
        &["LMPOP", "5", "l", "LEFT"],
    ] {
        assert_eq!(c.cmd(bad), error("ERR syntax error"), "{bad:?}");
    }
    assert_eq!(c.cmd(&["LMPOP", "1", "l", "LEFT", "COUNT", "0"]), count);
    assert_eq!(c.cmd(&["LMPOP", "1", "l", "RIGHT", "COUNT", "a"]), count);
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "-1"]),
        count
    );
    assert_eq!(c.cmd(&["BLMPOP", "0", "0", "l", "LEFT"]), numkeys);
    c.cmd(&["RPUSH", "l2", "1", "2", "3", "4", "5"]);
    let nested = |key: &str, items: &[&str]| Frame::Array(vec![bulk(key), arr(items)]);
    assert_eq!(
        c.cmd(&["LMPOP", "2", "l", "l2", "RIGHT", "COUNT", "2"]),
        nested("l2", &["5", "4"])
    );
    assert_eq!(
        c.cmd(&["LMPOP", "2", "l", "l2", "left"]),
        nested("l2", &["1"])
    );
    assert_eq!(
        c.cmd(&["LMPOP", "1", "l2", "LEFT", "COUNT", "10"]),
        nested("l2", &["2", "3"])
    );
    assert_eq!(c.cmd(&["EXISTS", "l2"]), int(0));
    c.cmd(&["RPUSH", "l", "a"]);
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "2", "l", "l2", "LEFT", "COUNT", "3"]),
        nested("l", &["a"])
    );
}

#[test]
fn lset_linsert_lrem_ltrim() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["LSET", "l", "0", "x"]), error("ERR no such key"));
    c.cmd(&["RPUSH", "l", "99", "98", "97", "96", "95"]);
    assert_eq!(c.cmd(&["LSET", "l", "1", "foo"]), simple("OK"));
    assert_eq!(c.cmd(&["LSET", "l", "-1", "bar"]), simple("OK"));
    assert_eq!(
        c.cmd(&["LSET", "l", "5", "x"]),
        error("ERR index out of range")
    );
    assert_eq!(
        c.cmd(&["LSET", "l", "-6", "x"]),
        error("ERR index out of range")
    );
    assert_eq!(
        c.cmd(&["LSET", "l", "x", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        arr(&["99", "foo", "97", "96", "bar"])
    );
    assert_eq!(c.cmd(&["LINSERT", "l", "BEFORE", "97", "zz"]), int(6));
    assert_eq!(c.cmd(&["LINSERT", "l", "after", "bar", "yy"]), int(7));
    assert_eq!(c.cmd(&["LINSERT", "l", "AFTER", "bad", "x"]), int(-1));
    assert_eq!(c.cmd(&["LINSERT", "missing", "AFTER", "a", "x"]), int(0));
    assert_eq!(
        c.cmd(&["LINSERT", "l", "aft3r", "a", "x"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        arr(&["99", "foo", "zz", "97", "96", "bar", "yy"])
    );
    c.cmd(&["DEL", "l"]);
    c.cmd(&["RPUSH", "l", "a", "foo", "bar", "foo", "b", "foo", "bar"]);
    assert_eq!(c.cmd(&["LREM", "l", "-1", "bar"]), int(1));
    assert_eq!(c.cmd(&["LREM", "l", "1", "foo"]), int(1));
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        arr(&["a", "bar", "foo", "b", "foo"])
    );
    assert_eq!(c.cmd(&["LREM", "l", "0", "foo"]), int(2));
    assert_eq!(c.cmd(&["LREM", "l", "0", "nothing"]), int(0));
    assert_eq!(c.cmd(&["LREM", "missing", "0", "a"]), int(0));
    assert_eq!(
        c.cmd(&["LREM", "l", "x", "a"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["LREM", "l", "0", "a"]), int(1));
    assert_eq!(c.cmd(&["LREM", "l", "0", "bar"]), int(1));
    assert_eq!(c.cmd(&["LREM", "l", "0", "b"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
    let trim = |c: &mut Raw, start: &str, stop: &str| {
        c.cmd(&["DEL", "t"]);
        c.cmd(&["RPUSH", "t", "1", "2", "3", "4", "5"]);
        assert_eq!(c.cmd(&["LTRIM", "t", start, stop]), simple("OK"));
        c.cmd(&["LRANGE", "t", "0", "-1"])
    };
    assert_eq!(trim(&mut c, "0", "0"), arr(&["1"]));
    assert_eq!(trim(&mut c, "1", "-2"), arr(&["2", "3", "4"]));
    assert_eq!(trim(&mut c, "-2", "-1"), arr(&["4", "5"]));
    assert_eq!(trim(&mut c, "-10", "10"), arr(&["1", "2", "3", "4", "5"]));
    assert_eq!(trim(&mut c, "0", "-5"), arr(&["1"]));
    assert_eq!(trim(&mut c, "0", "-6"), arr(&[]));
    assert_eq!(c.cmd(&["EXISTS", "t"]), int(0));
    assert_eq!(c.cmd(&["LTRIM", "missing", "0", "1"]), simple("OK"));
}

#[test]
fn lpos_options() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"]);
    assert_eq!(c.cmd(&["LPOS", "l", "a"]), int(0));
    assert_eq!(c.cmd(&["LPOS", "l", "c"]), int(2));
    assert_eq!(c.cmd(&["LPOS", "l", "3"]), int(5));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "2"]), int(6));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "4"]), Frame::Null);
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "-1"]), int(7));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "RANK", "-2"]), int(6));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "COUNT", "0"]), ints(&[2, 6, 7]));
    assert_eq!(c.cmd(&["LPOS", "l", "c", "COUNT", "2"]), ints(&[2, 6]));
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "RANK", "2"]),
        ints(&[6, 7])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "1"]),
        ints(&[])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"]),
        ints(&[2])
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3", "RANK", "-1"]),
        ints(&[7, 6])
    );
    assert_eq!(c.cmd(&["LPOS", "missing", "c", "COUNT", "0"]), ints(&[]));
    assert_eq!(c.cmd(&["LPOS", "missing", "c"]), Frame::Null);
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "RANK", "0"]),
        error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
        )
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "COUNT", "-1"]),
        error("ERR COUNT can't be negative")
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "MAXLEN", "-1"]),
        error("ERR MAXLEN can't be negative")
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "RANK"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["LPOS", "l", "c", "FOO", "1"]),
        error("ERR syntax error")
    );
}

#[test]
fn moves_between_and_within_lists() {
    let server = start_server();
    let mut c = server.raw();
    for (from, to, moved, src, dst) in [
        ("LEFT", "LEFT", "a", ["b", "c"], ["a", "x"]),
        ("LEFT", "RIGHT", "a", ["b", "c"], ["x", "a"]),
        ("RIGHT", "LEFT", "c", ["a", "b"], ["c", "x"]),
        ("RIGHT", "RIGHT", "c", ["a", "b"], ["x", "c"]),
    ] {
        c.cmd(&["DEL", "s", "d"]);
        c.cmd(&["RPUSH", "s", "a", "b", "c"]);
        c.cmd(&["RPUSH", "d", "x"]);
        assert_eq!(c.cmd(&["LMOVE", "s", "d", from, to]), bulk(moved));
        assert_eq!(c.cmd(&["LRANGE", "s", "0", "-1"]), arr(&src));
        assert_eq!(c.cmd(&["LRANGE", "d", "0", "-1"]), arr(&dst));
    }
    assert_eq!(
        c.cmd(&["LMOVE", "s", "d", "UP", "LEFT"]),
        error("ERR syntax error")
    );
    c.cmd(&["DEL", "s", "d"]);
    c.cmd(&["RPUSH", "s", "a", "b", "c"]);
    assert_eq!(c.cmd(&["RPOPLPUSH", "s", "s"]), bulk("c"));
    assert_eq!(c.cmd(&["LRANGE", "s", "0", "-1"]), arr(&["c", "a", "b"]));
    assert_eq!(c.cmd(&["LMOVE", "s", "s", "LEFT", "RIGHT"]), bulk("c"));
    assert_eq!(c.cmd(&["LRANGE", "s", "0", "-1"]), arr(&["a", "b", "c"]));
    // A one-element list moved onto itself survives.
    c.cmd(&["DEL", "one"]);
    c.cmd(&["RPUSH", "one", "x"]);
    assert_eq!(c.cmd(&["LMOVE", "one", "one", "LEFT", "RIGHT"]), bulk("x"));
    assert_eq!(c.cmd(&["LRANGE", "one", "0", "-1"]), arr(&["x"]));
    // Moving the last element deletes the source and creates the destination.
    assert_eq!(c.cmd(&["RPOPLPUSH", "one", "new"]), bulk("x"));
    assert_eq!(c.cmd(&["EXISTS", "one"]), int(0));
    assert_eq!(c.cmd(&["LRANGE", "new", "0", "-1"]), arr(&["x"]));
    assert_eq!(c.cmd(&["RPOPLPUSH", "missing", "new"]), Frame::Null);
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));
}

#[test]
fn ttl_survives_edits_and_empty_lists_vanish() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "l", "a", "b", "c"]);
    assert_eq!(c.cmd(&["EXPIRE", "l", "1000"]), int(1));
    c.cmd(&["LPUSH", "l", "z"]);
    c.cmd(&["LSET", "l", "0", "y"]);
    c.cmd(&["LINSERT", "l", "AFTER", "y", "q"]);
    c.cmd(&["LREM", "l", "1", "q"]);
    c.cmd(&["LTRIM", "l", "0", "2"]);
    c.cmd(&["RPOP", "l"]);
    c.cmd(&["RPOPLPUSH", "l", "l"]);
    let ttl = c.cmd(&["TTL", "l"]);
    assert!(matches!(ttl, Frame::Integer(n) if n > 990), "{ttl:?}");
    c.cmd(&["LPOP", "l", "10"]);
    assert_eq!(c.cmd(&["EXISTS", "l"]), int(0));
    c.cmd(&["RPUSH", "l", "fresh"]);
    assert_eq!(c.cmd(&["TTL", "l"]), int(-1));
}

#[test]
fn long_lists_with_small_nodes_stay_consistent() {
    let server = start_server();
    let mut c = server.raw();
    for size in ["4", "-1"] {
        c.cmd(&["DEL", "big"]);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "list-max-listpack-size", size]),
            simple("OK")
        );
        let mut pipeline = Vec::new();
        for i in 0..2000 {
            pipeline.extend(Frame::command(&["RPUSH", "big", &i.to_string()]));
        }
        c.send(&pipeline);
        for i in 0..2000 {
            assert_eq!(c.read_frame(), int(i + 1));
        }
        for i in [0, 1, 3, 4, 5, 999, 1500, 1999] {
            assert_eq!(
                c.cmd(&["LINDEX", "big", &i.to_string()]),
                bulk(&i.to_string())
            );
            let back = (-2000 + i).to_string();
            assert_eq!(c.cmd(&["LINDEX", "big", &back]), bulk(&i.to_string()));
        }
        let want: Vec<String> = (995..1005).map(|i| i.to_string()).collect();
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&["LRANGE", "big", "995", "1004"]), arr(&want));
        assert_eq!(c.cmd(&["LINSERT", "big", "BEFORE", "1000", "x"]), int(2001));
        assert_eq!(c.cmd(&["LINDEX", "big", "1000"]), bulk("x"));
        assert_eq!(c.cmd(&["LREM", "big", "0", "x"]), int(1));
        assert_eq!(
            c.cmd(&["LSET", "big", "1000", &"y".repeat(10_000)]),
            simple("OK")
        );
        assert_eq!(c.cmd(&["LINDEX", "big", "1001"]), bulk("1001"));
        assert_eq!(c.cmd(&["LTRIM", "big", "10", "-11"]), simple("OK"));
        assert_eq!(c.cmd(&["LLEN", "big"]), int(1980));
        assert_eq!(c.cmd(&["LINDEX", "big", "0"]), bulk("10"));
        assert_eq!(c.cmd(&["LPOS", "big", "1989"]), int(1979));
    }
}

#[test]
fn through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let len: i64 = redis::cmd("RPUSH")
        .arg("l")
        .arg(&["a", "b", "c", "42"])
        .query(&mut con)
        .unwrap();
    assert_eq!(len, 4);
    let all: Vec<String> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(all, ["a", "b", "c", "42"]);
    let n: i64 = redis::cmd("LINDEX")
        .arg("l")
        .arg(-1)
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 42);
    let two: Vec<String> = redis::cmd("LPOP").arg("l").arg(2).query(&mut con).unwrap();
    assert_eq!(two, ["a", "b"]);
    let none: Option<String> = redis::cmd("LPOP").arg("missing").query(&mut con).unwrap();
    assert_eq!(none, None);
    let moved: String = redis::cmd("LMOVE")
        .arg("l")
        .arg("m")
        .arg("RIGHT")
        .arg("LEFT")
        .query(&mut con)
        .unwrap();
    assert_eq!(moved, "42");
    let popped: Option<(String, Vec<String>)> = redis::cmd("LMPOP")
        .arg(2)
        .arg("x")
        .arg("m")
        .arg("LEFT")
        .query(&mut con)
        .unwrap();
    assert_eq!(popped, Some(("m".to_string(), vec!["42".to_string()])));
    let pos: Option<i64> = redis::cmd("LPOS")
        .arg("l")
        .arg("c")
        .query(&mut con)
        .unwrap();
    assert_eq!(pos, Some(0));
    let err = redis::cmd("LSET")
        .arg("l")
        .arg(9)
        .arg("x")
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("index out of range"), "{err}");
    redis::cmd("SET")
        .arg("s")
        .arg("v")
        .query::<()>(&mut con)
        .unwrap();
    let err = redis::cmd("LPUSH")
        .arg("s")
        .arg("x")
        .query::<i64>(&mut con)
        .unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"));
    let timed_out: Option<(String, String)> = redis::cmd("BLPOP")
        .arg("nothing")
        .arg(0.05)
        .query(&mut con)
        .unwrap();
    assert_eq!(timed_out, None);
}

#[test]
fn sort_reads_and_stores_lists() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["RPUSH", "src", "3", "1", "2"]);
    assert_eq!(c.cmd(&["SORT", "src"]), arr(&["1", "2", "3"]));
    assert_eq!(c.cmd(&["SORT", "src", "DESC", "STORE", "dst"]), int(3));
    assert_eq!(c.cmd(&["LRANGE", "dst", "0", "-1"]), arr(&["3", "2", "1"]));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "dst"]), bulk("quicklist"));
}
