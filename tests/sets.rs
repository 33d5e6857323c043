//! Set commands end to end: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
//! SRANDMEMBER SMOVE SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE
//! SSCAN, through raw RESP (2 and 3) and the `redis` crate.
mod common;

use std::collections::{BTreeSet, HashSet};

use common::*;
use rudis::protocol::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Asserts that `args` replies with exactly the members `expected` (any order).
fn assert_members(c: &mut Raw, args: &[&str], expected: &[&str]) {
    assert_eq!(members(&c.cmd(args)), set_of(expected), "{args:?}");
}

/// The members of an array or set reply, sorted.
fn members(frame: &Frame) -> BTreeSet<String> {
    listed(frame).into_iter().collect()
}

/// The elements of an array or set reply, as text, in order.
fn listed(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        other => panic!("expected an array or a set, got {other:?}"),
    }
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// SADD of every member of `all` to `key`; returns the reply.
fn sadd_all(c: &mut Raw, key: &str, all: &[String]) -> Frame {
    let mut args = vec!["SADD", key];
    args.extend(all.iter().map(String::as_str));
    c.cmd(&args)
}

/// `n` members: integers for the key `ints`, `m0`, `m1`, ... otherwise.
fn generated(key: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match key {
            "ints" => i.to_string(),
            _ => format!("m{i}"),
        })
        .collect()
}

fn arity(name: &str) -> Frame {
    error(&format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

#[test]
fn sadd_srem_and_membership() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SADD", "s", "a", "b", "a"]), int(2));
    assert_eq!(c.cmd(&["SADD", "s", "a"]), int(0));
    assert_eq!(c.cmd(&["SADD", "s", "A", "a", "c", "B"]), int(3));
    assert_eq!(c.cmd(&["SCARD", "s"]), int(5));
    assert_eq!(c.cmd(&["SCARD", "nokey"]), int(0));
    assert_eq!(c.cmd(&["SISMEMBER", "s", "a"]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", "s", "z"]), int(0));
    assert_eq!(c.cmd(&["SISMEMBER", "nokey", "a"]), int(0));
    assert_eq!(
        c.cmd(&["SMISMEMBER", "s", "a", "z", "B"]),
        Frame::Array(vec![int(1), int(0), int(1)])
    );
    assert_eq!(
        c.cmd(&["SMISMEMBER", "nokey", "a", "b"]),
        Frame::Array(vec![int(0), int(0)])
    );
    assert_members(&mut c, &["SMEMBERS", "s"], &["A", "B", "a", "b", "c"]);
    assert_eq!(c.cmd(&["SMEMBERS", "nokey"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["SREM", "s", "a", "z", "a"]), int(1));
    assert_eq!(c.cmd(&["SREM", "nokey", "a"]), int(0));
    assert_eq!(c.cmd(&["SREM", "s", "A", "B", "b", "c", "x"]), int(4));
    assert_eq!(
        c.cmd(&["EXISTS", "s"]),
        int(0),
        "the last member takes the key"
    );
    // Integers: canonical texts only are integers; others are distinct strings.
    assert_eq!(c.cmd(&["SADD", "n", "1", "01", "-0", "0"]), int(4));
    assert_eq!(c.cmd(&["SISMEMBER", "n", "01"]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", "n", "001"]), int(0));
    assert_eq!(c.cmd(&["SREM", "n", "1", "01"]), int(2));
    assert_members(&mut c, &["SMEMBERS", "n"], &["-0", "0"]);
    // Empty and binary members.
    assert_eq!(c.cmd(&["SADD", "b", "", "\x00\r\n"]), int(2));
    assert_eq!(c.cmd(&["SISMEMBER", "b", ""]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", "b", "\x00\r\n"]), int(1));
}

#[test]
fn arity_and_wrong_type_errors() {
    let server = start_server();
    let mut c = server.raw();
    for (name, args) in [
        ("sadd", &["SADD", "s"][..]),
        ("srem", &["SREM", "s"]),
        ("smembers", &["SMEMBERS"]),
        ("sismember", &["SISMEMBER", "s"]),
        ("smismember", &["SMISMEMBER", "s"]),
        ("scard", &["SCARD", "s", "x"]),
        ("spop", &["SPOP"]),
        ("srandmember", &["SRANDMEMBER"]),
        ("smove", &["SMOVE", "a", "b"]),
        ("sinter", &["SINTER"]),
        ("sintercard", &["SINTERCARD", "1"]),
        ("sinterstore", &["SINTERSTORE", "d"]),
        ("sunion", &["SUNION"]),
        ("sunionstore", &["SUNIONSTORE", "d"]),
        ("sdiff", &["SDIFF"]),
        ("sdiffstore", &["SDIFFSTORE", "d"]),
        ("sscan", &["SSCAN", "s"]),
    ] {
        assert_eq!(c.cmd(args), arity(name), "{args:?}");
    }
    c.cmd(&["SET", "str", "x"]);
    c.cmd(&["SADD", "s", "a"]);
    for args in [
        &["SADD", "str", "a"][..],
        &["SREM", "str", "a"],
        &["SMEMBERS", "str"],
        &["SISMEMBER", "str", "a"],
        &["SMISMEMBER", "str", "a"],
        &["SCARD", "str"],
        &["SPOP", "str"],
        &["SPOP", "str", "0"],
        &["SRANDMEMBER", "str"],
        &["SRANDMEMBER", "str", "0"],
        &["SMOVE", "str", "s", "a"],
        &["SMOVE", "s", "str", "a"],
        &["SINTER", "s", "str"],
        &["SINTER", "nokey", "str"],
        &["SINTERCARD", "2", "str", "nokey"],
        &["SUNION", "str", "nokey"],
        &["SDIFF", "nokey", "str"],
        &["SDIFF", "s", "str"],
        &["SINTERSTORE", "d", "nokey", "str"],
        &["SUNIONSTORE", "d", "s", "str"],
        &["SDIFFSTORE", "d", "s", "str"],
        &["SSCAN", "str", "0"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0), "nothing stored on error");
    assert_eq!(c.cmd(&["GET", "str"]), bulk("x"));
    // SMOVE from a missing source answers 0 before looking at the destination.
    assert_eq!(c.cmd(&["SMOVE", "nokey", "str", "a"]), int(0));
}

#[test]
fn encodings_convert_one_way_as_redis() {
    let server = start_server();
    let mut c = server.raw();
    let encoding = |c: &mut Raw, key: &str| c.cmd(&["OBJECT", "ENCODING", key]);
    c.cmd(&["SADD", "i", "1", "2", "-70000"]);
    assert_eq!(encoding(&mut c, "i"), bulk("intset"));
    c.cmd(&["SADD", "i", "a"]);
    assert_eq!(encoding(&mut c, "i"), bulk("listpack"));
    assert_eq!(c.cmd(&["SISMEMBER", "i", "-70000"]), int(1));
    c.cmd(&["SADD", "i", &"x".repeat(65)]);
    assert_eq!(encoding(&mut c, "i"), bulk("hashtable"));
    c.cmd(&["SREM", "i", "a", &"x".repeat(65)]);
    assert_eq!(encoding(&mut c, "i"), bulk("hashtable"), "never back");
    assert_members(&mut c, &["SMEMBERS", "i"], &["-70000", "1", "2"]);

    assert_eq!(sadd_all(&mut c, "big", &generated("ints", 512)), int(512));
    assert_eq!(encoding(&mut c, "big"), bulk("intset"));
    c.cmd(&["SADD", "big", "512"]);
    assert_eq!(encoding(&mut c, "big"), bulk("hashtable"));
    assert_eq!(c.cmd(&["SCARD", "big"]), int(513));
    c.cmd(&["SADD", "huge", "213244124402402314402033402"]);
    assert_eq!(encoding(&mut c, "huge"), bulk("listpack"));

    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-listpack-entries", "2"]),
        simple("OK")
    );
    c.cmd(&["SADD", "p", "a", "b"]);
    assert_eq!(encoding(&mut c, "p"), bulk("listpack"));
    c.cmd(&["SADD", "p", "c"]);
    assert_eq!(encoding(&mut c, "p"), bulk("hashtable"));
    c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "1"]);
    c.cmd(&["SADD", "q", "1", "2"]);
    assert_eq!(encoding(&mut c, "q"), bulk("hashtable"));
    assert_eq!(c.cmd(&["TYPE", "q"]), simple("set"));
}

#[test]
fn ttl_survives_changes_and_store_replaces_it() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SADD", "s", "a", "b", "c", "d"]);
    c.cmd(&["EXPIRE", "s", "1000"]);
    c.cmd(&["SADD", "s", "e", "1"]);
    c.cmd(&["SREM", "s", "a"]);
    c.cmd(&["SPOP", "s"]);
    c.cmd(&["SPOP", "s", "1"]);
    c.cmd(&["SMOVE", "s", "t", "b"]);
    c.cmd(&["SADD", "s", "b"]);
    assert_eq!(c.cmd(&["TTL", "s"]), int(1000));
    c.cmd(&["SADD", "t", "x"]);
    c.cmd(&["EXPIRE", "t", "500"]);
    c.cmd(&["SMOVE", "s", "t", "b"]);
    assert_eq!(c.cmd(&["TTL", "t"]), int(500));
    assert_eq!(c.cmd(&["SUNIONSTORE", "t", "s"]), c.cmd(&["SCARD", "s"]));
    assert_eq!(c.cmd(&["TTL", "t"]), int(-1), "*STORE replaces the key");
}

#[test]
fn spop_with_and_without_count() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SPOP", "nokey"]), Frame::Null);
    assert_eq!(c.cmd(&["SPOP", "nokey", "5"]), Frame::Array(vec![]));
    c.cmd(&["SADD", "s", "a", "b", "c"]);
    assert_eq!(c.cmd(&["SPOP", "s", "0"]), Frame::Array(vec![]));
    for bad in ["-1", "abc", "1.5"] {
        assert_eq!(
            c.cmd(&["SPOP", "s", bad]),
            error("ERR value is out of range, must be positive"),
            "{bad}"
        );
    }
    assert_eq!(c.cmd(&["SPOP", "s", "1", "2"]), error("ERR syntax error"));
    let mut popped = BTreeSet::new();
    popped.insert(text(&c.cmd(&["SPOP", "s"])));
    popped.extend(listed(&c.cmd(&["SPOP", "s", "1"])));
    popped.extend(listed(&c.cmd(&["SPOP", "s", "10"])));
    assert_eq!(popped, set_of(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["EXISTS", "s"]), int(0));
    // Counts below the size, for every encoding, including a big set.
    for (key, n) in [("ints", 300), ("strs", 100), ("big", 20_000)] {
        let all = generated(key, n);
        sadd_all(&mut c, key, &all);
        let take = n - 7;
        let got = listed(&c.cmd(&["SPOP", key, &take.to_string()]));
        assert_eq!(got.len(), take);
        let left = listed(&c.cmd(&["SMEMBERS", key]));
        assert_eq!(left.len(), 7);
        let union: HashSet<String> = got.into_iter().chain(left).collect();
        assert_eq!(union.len(), n, "{key}: every member once");
        assert!(all.iter().all(|m| union.contains(m)));
    }
}

#[test]
fn srandmember_counts_as_redis() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SRANDMEMBER", "nokey"]), Frame::Null);
    assert_eq!(c.cmd(&["SRANDMEMBER", "nokey", "5"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["SRANDMEMBER", "nokey", "-5"]), Frame::Array(vec![]));
    c.cmd(&["SADD", "s", "a"]);
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-9223372036854775808"]),
        error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "1", "2"]),
        error("ERR syntax error")
    );
    assert_eq!(c.cmd(&["SRANDMEMBER", "s", "0"]), Frame::Array(vec![]));
    for (key, n) in [("ints", 50), ("strs", 50), ("big", 3000)] {
        let all = generated(key, n);
        sadd_all(&mut c, key, &all);
        let universe: HashSet<&String> = all.iter().collect();
        // Negative: exactly that many, repeats allowed, every one a member.
        let got = listed(&c.cmd(&["SRANDMEMBER", key, "-100"]));
        assert_eq!(got.len(), 100);
        assert!(got.iter().all(|m| universe.contains(m)));
        // Positive: distinct members, capped at the size.
        for count in [1, 5, n - 5, n, n + 10] {
            let got = listed(&c.cmd(&["SRANDMEMBER", key, &count.to_string()]));
            assert_eq!(got.len(), count.min(n), "{key} {count}");
            let distinct: HashSet<&String> = got.iter().collect();
            assert_eq!(distinct.len(), got.len(), "{key} {count}: distinct");
            assert!(got.iter().all(|m| universe.contains(m)));
        }
        // Every member comes up eventually.
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            seen.extend(listed(&c.cmd(&["SRANDMEMBER", key, "-50"])));
            if seen.len() == n {
                break;
            }
        }
        assert_eq!(seen.len(), n, "{key}: all members drawn");
        assert!(universe.contains(&text(&c.cmd(&["SRANDMEMBER", key]))));
    }
    assert_eq!(
        c.cmd(&["SCARD", "big"]),
        int(3000),
        "SRANDMEMBER removes nothing"
    );
}

#[test]
fn smove_between_sets() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SADD", "src", "1", "a", "b"]);
    c.cmd(&["SADD", "dst", "2", "3"]);
    assert_eq!(c.cmd(&["SMOVE", "src", "dst", "a"]), int(1));
    assert_members(&mut c, &["SMEMBERS", "src"], &["1", "b"]);
    assert_members(&mut c, &["SMEMBERS", "dst"], &["2", "3", "a"]);
    assert_eq!(c.cmd(&["SMOVE", "src", "dst", "nope"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "src", "src", "b"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", "src", "src", "nope"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "nokey", "dst", "a"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", "src", "new", "1"]), int(1));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "new"]), bulk("intset"));
    c.cmd(&["SADD", "new", "b"]);
    assert_eq!(
        c.cmd(&["SMOVE", "src", "new", "b"]),
        int(1),
        "already there"
    );
    assert_eq!(
        c.cmd(&["EXISTS", "src"]),
        int(0),
        "emptied source is deleted"
    );
    assert_members(&mut c, &["SMEMBERS", "new"], &["1", "b"]);
}

/// Three sets of every encoding mix: integers, small strings, and a big one.
fn algebra_fixture(c: &mut Raw) {
    let mut big = generated("ints", 1000);
    big.push("foo".to_string());
    sadd_all(c, "big", &big);
    c.cmd(&["SADD", "ints", "1", "2", "3", "5000"]);
    c.cmd(&["SADD", "strs", "1", "3", "foo", "bar"]);
    c.cmd(&["SET", "str", "x"]);
}

#[test]
fn sinter_family() {
    let server = start_server();
    let mut c = server.raw();
    algebra_fixture(&mut c);
    assert_members(&mut c, &["SINTER", "big", "ints", "strs"], &["1", "3"]);
    assert_members(&mut c, &["SINTER", "strs", "big"], &["1", "3", "foo"]);
    assert_eq!(c.cmd(&["SINTER", "big", "nokey"]), Frame::Array(vec![]));
    assert_eq!(members(&c.cmd(&["SINTER", "ints", "ints"])).len(), 4);
    assert_eq!(c.cmd(&["SINTERCARD", "3", "big", "ints", "strs"]), int(2));
    assert_eq!(
        c.cmd(&["SINTERCARD", "2", "big", "strs", "LIMIT", "2"]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "2", "big", "strs", "limit", "0"]),
        int(3)
    );
    assert_eq!(c.cmd(&["SINTERCARD", "1", "nokey", "LIMIT", "5"]), int(0));
    let numkeys = "ERR numkeys should be greater than 0";
    let negative = "ERR LIMIT can't be negative";
    for (args, err) in [
        ("0 big", numkeys),
        ("a big", numkeys),
        (
            "2 big",
            "ERR Number of keys can't be greater than number of args",
        ),
        ("1 big strs", "ERR syntax error"),
        ("1 big LIMIT", "ERR syntax error"),
        ("1 big LIMIT -1", negative),
        ("1 big LIMIT x", negative),
    ] {
        let mut cmd = vec!["SINTERCARD"];
        cmd.extend(args.split(' '));
        assert_eq!(c.cmd(&cmd), error(err), "{args}");
    }
    assert_eq!(c.cmd(&["SINTERSTORE", "dst", "big", "strs"]), int(3));
    assert_members(&mut c, &["SMEMBERS", "dst"], &["1", "3", "foo"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "dst"]), bulk("listpack"));
    assert_eq!(
        c.cmd(&["SINTERSTORE", "ints", "ints", "big"]),
        int(3),
        "dst among sources"
    );
    assert_members(&mut c, &["SMEMBERS", "ints"], &["1", "2", "3"]);
    // An empty result deletes the destination, whatever it held.
    assert_eq!(c.cmd(&["SINTERSTORE", "str", "big", "nokey"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "str"]), int(0));
    c.cmd(&["SADD", "x", "zzz"]);
    assert_eq!(c.cmd(&["SINTERSTORE", "dst", "x", "strs"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
}

#[test]
fn sunion_and_sdiff_families() {
    let server = start_server();
    let mut c = server.raw();
    algebra_fixture(&mut c);
    assert_members(
        &mut c,
        &["SUNION", "ints", "strs", "nokey"],
        &["1", "2", "3", "5000", "foo", "bar"],
    );
    assert_eq!(c.cmd(&["SUNION", "nokey"]), Frame::Array(vec![]));
    assert_eq!(members(&c.cmd(&["SUNION", "big", "strs"])).len(), 1002);
    assert_members(&mut c, &["SDIFF", "ints", "strs"], &["2", "5000"]);
    assert_members(&mut c, &["SDIFF", "strs", "ints", "nokey"], &["foo", "bar"]);
    assert_members(&mut c, &["SDIFF", "strs", "big"], &["bar"]);
    // Big first set against small ones, and small against big (both algorithms).
    assert_eq!(
        members(&c.cmd(&["SDIFF", "big", "ints", "strs"])).len(),
        1001 - 4
    );
    assert_members(&mut c, &["SDIFF", "ints", "big"], &["5000"]);
    assert_eq!(c.cmd(&["SDIFF", "nokey", "ints"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["SDIFF", "ints", "ints"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "ints", "strs"]), int(6));
    assert_eq!(c.cmd(&["SCARD", "u"]), int(6));
    assert_eq!(c.cmd(&["SDIFFSTORE", "d", "ints", "strs"]), int(2));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), bulk("intset"));
    assert_eq!(
        c.cmd(&["SDIFFSTORE", "str", "ints", "strs"]),
        int(2),
        "replaces a string"
    );
    assert_eq!(c.cmd(&["TYPE", "str"]), simple("set"));
    assert_eq!(c.cmd(&["SDIFFSTORE", "d", "ints", "ints"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    assert_eq!(c.cmd(&["SUNIONSTORE", "u", "nokey", "nokey2"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "u"]), int(0));
}

#[test]
fn sscan_small_and_big_sets() {
    let server = start_server();
    let mut c = server.raw();
    let empty = Frame::Array(vec![bulk("0"), Frame::Array(vec![])]);
    assert_eq!(c.cmd(&["SSCAN", "nokey", "0"]), empty);
    assert_eq!(
        c.cmd(&["SSCAN", "nokey", "0", "BAD"]),
        empty,
        "options unchecked"
    );
    assert_eq!(c.cmd(&["SSCAN", "nokey", "x"]), error("ERR invalid cursor"));
    c.cmd(&["SADD", "small", "a1", "a2", "b1"]);
    assert_eq!(
        c.cmd(&["SSCAN", "small", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SSCAN", "small", "0", "TYPE", "set"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SSCAN", "small", "0", "COUNT", "x"]),
        error("ERR value is not an integer or out of range")
    );
    let Frame::Array(parts) = c.cmd(&["SSCAN", "small", "123", "COUNT", "1", "MATCH", "a*"]) else {
        panic!("SSCAN reply");
    };
    assert_eq!(parts[0], bulk("0"), "a small set comes whole");
    assert_eq!(members(&parts[1]), set_of(&["a1", "a2"]));

    sadd_all(&mut c, "big", &generated("big", 5000));
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut steps = 0;
    loop {
        let Frame::Array(parts) = c.cmd(&["SSCAN", "big", &cursor, "COUNT", "100"]) else {
            panic!("SSCAN reply");
        };
        cursor = text(&parts[0]);
        let batch = listed(&parts[1]);
        assert!(batch.len() <= 100);
        seen.extend(batch);
        steps += 1;
        // Remove members as we go: the ones left must all be seen.
        c.cmd(&["SREM", "big", &format!("m{}", steps * 7)]);
        if cursor == "0" {
            break;
        }
    }
    assert!(steps > 10, "a big set takes steps");
    for m in listed(&c.cmd(&["SMEMBERS", "big"])) {
        assert!(seen.contains(&m), "{m} missed");
    }
    let Frame::Array(parts) = c.cmd(&["SSCAN", "big", "0", "COUNT", "10000", "MATCH", "m1?"])
    else {
        panic!("SSCAN reply");
    };
    assert_eq!(parts[0], bulk("0"));
    // m10..m19 but m14, removed during the scan above.
    assert_eq!(listed(&parts[1]).len(), 9);
}

#[test]
fn resp3_replies_are_sets() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["SADD", "a", "1", "2", "x"]);
    c.cmd(&["SADD", "b", "2", "x", "y"]);
    for args in [
        &["SMEMBERS", "a"][..],
        &["SINTER", "a", "b"],
        &["SUNION", "a", "b"],
        &["SDIFF", "a", "b"],
        &["SMEMBERS", "nokey"],
        &["SINTER", "a", "nokey"],
        &["SPOP", "nokey", "1"],
    ] {
        assert!(matches!(c.cmd(args), Frame::Set(_)), "{args:?}");
    }
    assert!(matches!(c.cmd(&["SRANDMEMBER", "a", "2"]), Frame::Array(_)));
    assert!(matches!(c.cmd(&["SSCAN", "a", "0"]), Frame::Array(_)));
    assert_eq!(c.cmd(&["SPOP", "nokey"]), Frame::Null);
    let Frame::Set(popped) = c.cmd(&["SPOP", "a", "2"]) else {
        panic!("SPOP with a count is a set");
    };
    assert_eq!(popped.len(), 2);
    let Frame::Set(rest) = c.cmd(&["SPOP", "a", "5"]) else {
        panic!("SPOP of everything is a set");
    };
    assert_eq!(rest.len(), 1);
}

#[test]
fn through_the_redis_crate() {
    use redis::Commands;
    let server = start_server();
    let mut con = server.redis();
    let added: usize = con.sadd("s", &["a", "b", "c", "1"]).expect("sadd");
    assert_eq!(added, 4);
    let all: HashSet<String> = con.smembers("s").expect("smembers");
    assert_eq!(all.len(), 4);
    assert!(con.sismember::<_, _, bool>("s", "a").expect("sismember"));
    assert_eq!(con.scard::<_, usize>("s").expect("scard"), 4);
    let _: usize = con.sadd("t", &["b", "z"]).expect("sadd");
    let inter: HashSet<String> = con.sinter(&["s", "t"]).expect("sinter");
    assert_eq!(inter, HashSet::from(["b".to_string()]));
    let union: HashSet<String> = con.sunion(&["s", "t"]).expect("sunion");
    assert_eq!(union.len(), 5);
    let diff: HashSet<String> = con.sdiff(&["s", "t"]).expect("sdiff");
    assert_eq!(diff.len(), 3);
    assert!(con.smove::<_, _, _, bool>("s", "t", "a").expect("smove"));
    let picks: Vec<String> = con.srandmember_multiple("s", -5).expect("srandmember");
    assert_eq!(picks.len(), 5);
    let popped: String = con.spop("t").expect("spop");
    assert!(["a", "b", "z"].contains(&popped.as_str()));
    let scanned: HashSet<String> = con
        .sscan::<_, String>("s")
        .expect("sscan")
        .map(|m| m.expect("member"))
        .collect();
    let all: HashSet<String> = con.smembers("s").expect("smembers");
    assert_eq!(scanned, all);
    let _: () = con.set("str", "x").expect("set");
    let err = con.sadd::<_, _, usize>("str", "a").expect_err("wrong type");
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    let err = redis::cmd("SINTERCARD")
        .arg(0)
        .arg("s")
        .query::<i64>(&mut con)
        .expect_err("numkeys");
    assert!(
        err.to_string().contains("numkeys should be greater than 0"),
        "{err}"
    );
    let n: i64 = redis::cmd("SINTERCARD")
        .arg(2)
        .arg("s")
        .arg("s")
        .arg("LIMIT")
        .arg(1)
        .query(&mut con)
        .expect("sintercard");
    assert_eq!(n, 1);
}

#[test]
fn huge_negative_random_counts_are_refused_not_built() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SADD", "s", "a", "b"]), int(2));
    let too_large = error("ERR value is out of range, the reply would be too large");
    assert_eq!(
        c.cmd(&["SRANDMEMBER", "s", "-9223372036854775807"]),
        too_large
    );
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a"]), int(1));
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", "z", "-9223372036854775807"]),
        too_large
    );
    // Up to the cap, the sample is built as asked.
    match c.cmd(&["SRANDMEMBER", "s", "-1000"]) {
        Frame::Array(items) => assert_eq!(items.len(), 1000),
        other => panic!("SRANDMEMBER: {other:?}"),
    }
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}
