//! Sorted set commands on members: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZRANK
//! ZREVRANK ZRANDMEMBER ZSCAN, encodings, score text, RESP3 doubles.

mod common;
mod zset_util;

use std::collections::HashMap;

use common::{bulk, error, int, start_server, text};
use redis::Commands;
use rudis::protocol::Frame;
use zset_util::{bulks, expect_raw, zadd};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_FLOAT: &str = "ERR value is not a valid float";

#[test]
fn zadd_adds_updates_and_counts() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(zadd(&mut c, "z", &[("1", "a"), ("2", "b")]), int(2));
    assert_eq!(zadd(&mut c, "z", &[("3", "a"), ("4", "c")]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("3"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "CH", "5", "a", "2", "b", "0", "d"]),
        int(2)
    );
    assert_eq!(c.cmd(&["ZADD", "z", "NX", "9", "a", "1", "e"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("5"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "XX", "CH", "6", "a", "1", "f"]),
        int(1)
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "f"]), Frame::Null);
    assert_eq!(
        c.cmd(&["ZADD", "z", "GT", "CH", "1", "a", "7", "b"]),
        int(1)
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("6"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("7"));
    assert_eq!(
        c.cmd(&["ZADD", "z", "LT", "CH", "10", "a", "0", "b"]),
        int(1)
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("0"));
    // GT and LT still add new members.
    assert_eq!(c.cmd(&["ZADD", "z", "GT", "1", "new"]), int(1));
    assert_eq!(c.cmd(&["ZADD", "missing", "XX", "1", "a"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));
    assert_eq!(c.cmd(&["zadd", "z", "-inf", "lo", "+inf", "hi"]), int(2));
    assert_eq!(c.cmd(&["ZSCORE", "z", "lo"]), bulk("-inf"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "hi"]), bulk("inf"));
}

#[test]
fn zadd_incr_replies_the_score_or_null() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "1.5", "a"]), bulk("1.5"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "1", "a"]), bulk("2.5"));
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "GT", "-1", "a"]), Frame::Null);
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "NX", "1", "a"]), Frame::Null);
    assert_eq!(c.cmd(&["ZADD", "z", "INCR", "XX", "1", "b"]), Frame::Null);
    assert_eq!(c.cmd(&["ZINCRBY", "z", "-3", "a"]), bulk("-0.5"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "2", "new"]), bulk("2"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "+inf", "x"]), bulk("inf"));
    assert_eq!(
        c.cmd(&["ZINCRBY", "z", "-inf", "x"]),
        error("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "x"]), bulk("inf"));
    assert_eq!(c.cmd(&["ZINCRBY", "z", "abc", "x"]), error(NOT_FLOAT));
}

#[test]
fn zadd_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "str", "x"]);
    let cases: &[(&[&str], &str)] = &[
        (&["ZADD", "z", "CH", "1"], "ERR syntax error"),
        (&["ZADD", "z", "NX", "1"], "ERR syntax error"),
        (&["ZADD", "z", "1", "a", "2"], "ERR syntax error"),
        (
            &["ZADD", "z", "NX", "XX", "1", "a"],
            "ERR XX and NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "GT", "LT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "NX", "GT", "1", "a"],
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ),
        (
            &["ZADD", "z", "INCR", "1", "a", "2", "b"],
            "ERR INCR option supports a single increment-element pair",
        ),
        (&["ZADD", "z", "1", "a", "x", "b"], NOT_FLOAT),
        (&["ZADD", "z", "nan", "a"], NOT_FLOAT),
        (&["ZADD", "z", "", "a"], NOT_FLOAT),
        (&["ZADD", "z", " 1", "a"], NOT_FLOAT),
        (&["ZADD", "z", "1e400", "a"], NOT_FLOAT),
        (&["ZADD", "str", "1", "a"], WRONGTYPE),
        (
            &["ZADD", "z"],
            "ERR wrong number of arguments for 'zadd' command",
        ),
        (
            &["ZINCRBY", "z", "1"],
            "ERR wrong number of arguments for 'zincrby' command",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), error(want), "{args:?}");
    }
    // A bad score anywhere means nothing was added.
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
}

#[test]
fn zrem_zcard_and_key_removal() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    c.cmd(&["EXPIRE", "z", "1000"]);
    assert_eq!(c.cmd(&["ZCARD", "z"]), int(3));
    assert_eq!(c.cmd(&["ZREM", "z", "a", "x", "a"]), int(1));
    assert!(matches!(c.cmd(&["TTL", "z"]), Frame::Integer(n) if n > 0));
    assert_eq!(c.cmd(&["ZREM", "z", "b", "c", "d"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    assert_eq!(c.cmd(&["ZCARD", "z"]), int(0));
    assert_eq!(c.cmd(&["ZREM", "z", "a"]), int(0));
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZREM", "str", "a"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["ZCARD", "str"]), error(WRONGTYPE));
}

#[test]
fn zscore_zmscore_and_score_text() {
    let server = start_server();
    let mut c = server.raw();
    zadd(
        &mut c,
        "z",
        &[("0.1", "a"), ("1e17", "b"), ("-0", "c"), ("0x10", "d")],
    );
    assert_eq!(c.cmd(&["ZSCORE", "z", "a"]), bulk("0.10000000000000001"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("1e+17"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "c"]), bulk("-0"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "d"]), bulk("16"));
    assert_eq!(c.cmd(&["ZSCORE", "z", "x"]), Frame::Null);
    assert_eq!(c.cmd(&["ZSCORE", "nokey", "x"]), Frame::Null);
    assert_eq!(
        c.cmd(&["ZMSCORE", "z", "d", "x", "c"]),
        Frame::Array(vec![bulk("16"), Frame::Null, bulk("-0")])
    );
    assert_eq!(
        c.cmd(&["ZMSCORE", "nokey", "a", "b"]),
        Frame::Array(vec![Frame::Null, Frame::Null])
    );
    assert_eq!(
        c.cmd(&["ZMSCORE", "z"]),
        error("ERR wrong number of arguments for 'zmscore' command")
    );
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZSCORE", "str", "a"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["ZMSCORE", "str", "a"]), error(WRONGTYPE));
}

#[test]
fn resp3_replies_doubles() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    zadd(&mut c, "z", &[("1.5", "a"), ("2", "b")]);
    expect_raw(&mut c, &["ZSCORE", "z", "a"], ",1.5\r\n");
    expect_raw(
        &mut c,
        &["ZINCRBY", "z", "0.1", "b"],
        ",2.1000000000000001\r\n",
    );
    expect_raw(&mut c, &["ZSCORE", "z", "nope"], "_\r\n");
    expect_raw(
        &mut c,
        &["ZRANGE", "z", "0", "0", "WITHSCORES"],
        "*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
    );
    expect_raw(
        &mut c,
        &["ZRANK", "z", "a", "WITHSCORE"],
        "*2\r\n:0\r\n,1.5\r\n",
    );
    expect_raw(&mut c, &["ZADD", "z", "+inf", "i"], ":1\r\n");
    expect_raw(&mut c, &["ZSCORE", "z", "i"], ",inf\r\n");
    assert_eq!(
        c.cmd(&["ZMSCORE", "z", "a", "x"]),
        Frame::Array(vec![Frame::Double(1.5), Frame::Null])
    );
}

#[test]
fn zrank_and_zrevrank() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z", &[("10", "x"), ("20", "y"), ("30", "z")]);
    assert_eq!(c.cmd(&["ZRANK", "z", "x"]), int(0));
    assert_eq!(c.cmd(&["ZRANK", "z", "z"]), int(2));
    assert_eq!(c.cmd(&["ZREVRANK", "z", "x"]), int(2));
    assert_eq!(c.cmd(&["ZRANK", "z", "foo"]), Frame::Null);
    assert_eq!(c.cmd(&["ZRANK", "nokey", "foo"]), Frame::Null);
    assert_eq!(
        c.cmd(&["ZREVRANK", "z", "y", "withscore"]),
        Frame::Array(vec![int(1), bulk("20")])
    );
    assert_eq!(c.cmd(&["ZRANK", "z", "foo", "WITHSCORE"]), Frame::Null);
    assert_eq!(
        c.cmd(&["ZRANK", "z", "x", "bad"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZRANK", "z", "x", "WITHSCORE", "x"]),
        error("ERR wrong number of arguments for 'zrank' command")
    );
    assert_eq!(
        c.cmd(&["ZREVRANK", "z"]),
        error("ERR wrong number of arguments for 'zrevrank' command")
    );
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZRANK", "str", "a"]), error(WRONGTYPE));
}

#[test]
fn encodings_convert_at_the_limits() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z", &[("1", "a")]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("listpack"));
    for i in 0..127 {
        let m = format!("m{i}");
        c.cmd(&["ZADD", "z", &i.to_string(), &m]);
    }
    assert_eq!(c.cmd(&["ZCARD", "z"]), int(128));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("listpack"));
    c.cmd(&["ZADD", "z", "0", "one-more"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "z"]), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZRANK", "z", "one-more"]), int(1));
    let long = "x".repeat(65);
    c.cmd(&["ZADD", "long", "1", &long]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "long"]), bulk("skiplist"));
    c.cmd(&["CONFIG", "SET", "zset-max-ziplist-entries", "0"]);
    c.cmd(&["ZADD", "none", "1", "a"]);
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "none"]), bulk("skiplist"));
    assert_eq!(c.cmd(&["TYPE", "none"]), Frame::Simple("zset".into()));
}

#[test]
fn zrandmember_forms_and_errors() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    let mut seen = HashMap::new();
    for _ in 0..200 {
        *seen.entry(text(&c.cmd(&["ZRANDMEMBER", "z"]))).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(c.cmd(&["ZRANDMEMBER", "nokey"]), Frame::Null);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "nokey", "5"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["ZRANDMEMBER", "z", "0"]), Frame::Array(vec![]));
    let Frame::Array(all) = c.cmd(&["ZRANDMEMBER", "z", "10", "WITHSCORES"]) else {
        panic!("array")
    };
    assert_eq!(all, bulks(&["a", "1", "b", "2", "c", "3"]).into_array());
    let Frame::Array(two) = c.cmd(&["ZRANDMEMBER", "z", "2"]) else {
        panic!("array")
    };
    assert_eq!(two.len(), 2);
    assert_ne!(two[0], two[1]);
    let Frame::Array(rep) = c.cmd(&["ZRANDMEMBER", "z", "-20"]) else {
        panic!("array")
    };
    assert_eq!(rep.len(), 20);
    c.cmd(&["HELLO", "3"]);
    let Frame::Array(pairs) = c.cmd(&["ZRANDMEMBER", "z", "-2", "WITHSCORES"]) else {
        panic!("array")
    };
    assert!(
        pairs
            .iter()
            .all(|p| matches!(p, Frame::Array(v) if v.len() == 2))
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZRANDMEMBER", "z", "x"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZRANDMEMBER", "z", "1", "bad"], "ERR syntax error"),
        (
            &["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"],
            "ERR syntax error",
        ),
        (
            &["ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"],
            "ERR value is out of range",
        ),
        (
            &["ZRANDMEMBER", "z", "-9223372036854775808"],
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), error(want), "{args:?}");
    }
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZRANDMEMBER", "str", "1"]), error(WRONGTYPE));
}

trait IntoArray {
    fn into_array(self) -> Vec<Frame>;
}

impl IntoArray for Frame {
    fn into_array(self) -> Vec<Frame> {
        match self {
            Frame::Array(v) => v,
            other => panic!("not an array: {other:?}"),
        }
    }
}

#[test]
fn zrandmember_distinct_picks_from_a_big_set() {
    let server = start_server();
    let mut c = server.raw();
    let pairs: Vec<(String, String)> = (0..300).map(|i| (i.to_string(), format!("m{i}"))).collect();
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(s, m)| (s.as_str(), m.as_str()))
        .collect();
    zadd(&mut c, "z", &refs);
    for count in ["5", "150", "299"] {
        let got = c.cmd(&["ZRANDMEMBER", "z", count]).into_array();
        let n: usize = count.parse().unwrap();
        let unique: std::collections::HashSet<String> = got.iter().map(text).collect();
        assert_eq!((got.len(), unique.len()), (n, n), "count {count}");
    }
}

#[test]
fn zscan_walks_every_member() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "small", &[("1", "a"), ("2.5", "b")]);
    assert_eq!(
        c.cmd(&["ZSCAN", "small", "0"]),
        Frame::Array(vec![bulk("0"), bulks(&["a", "1", "b", "2.5"])])
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "small", "0", "MATCH", "b*"]),
        Frame::Array(vec![bulk("0"), bulks(&["b", "2.5"])])
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "nokey", "0"]),
        Frame::Array(vec![bulk("0"), Frame::Array(vec![])])
    );
    for i in 0..1000 {
        c.cmd(&["ZADD", "big", &i.to_string(), &format!("m{i}")]);
    }
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    loop {
        let reply = c
            .cmd(&["ZSCAN", "big", &cursor, "COUNT", "50"])
            .into_array();
        cursor = text(&reply[0]);
        let items = reply[1].clone().into_array();
        for pair in items.chunks(2) {
            seen.insert(text(&pair[0]), text(&pair[1]));
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.get("m7").map(String::as_str), Some("7"));
    assert_eq!(c.cmd(&["ZSCAN", "big", "x"]), error("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["ZSCAN", "big", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["ZSCAN", "big", "0", "FOO"]),
        error("ERR syntax error")
    );
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZSCAN", "str", "0"]), error(WRONGTYPE));
}

#[test]
fn a_million_member_set_answers_ranks() {
    let server = start_server();
    let mut c = server.raw();
    let per_call = 10_000;
    for chunk in 0..100 {
        let mut args: Vec<String> = vec!["ZADD".into(), "big".into()];
        for i in chunk * per_call..(chunk + 1) * per_call {
            args.push(i.to_string());
            args.push(format!("member:{i:08}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&refs), int(per_call as i64));
    }
    assert_eq!(c.cmd(&["ZCARD", "big"]), int(1_000_000));
    for i in [0usize, 1, 499_999, 999_999] {
        let m = format!("member:{i:08}");
        assert_eq!(c.cmd(&["ZRANK", "big", &m]), int(i as i64));
        assert_eq!(c.cmd(&["ZREVRANK", "big", &m]), int(999_999 - i as i64));
        assert_eq!(
            c.cmd(&["ZRANGE", "big", &i.to_string(), &i.to_string()]),
            bulks(&[&m])
        );
    }
    assert_eq!(c.cmd(&["ZCOUNT", "big", "(100", "200"]), int(100));
    assert_eq!(c.cmd(&["DEL", "big"]), int(1));
}

#[test]
fn through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let added: i64 = con
        .zadd_multiple("z", &[(1, "a"), (2, "b"), (3, "c")])
        .unwrap();
    assert_eq!(added, 3);
    let score: f64 = con.zscore("z", "b").unwrap();
    assert_eq!(score, 2.0);
    let rank: Option<i64> = con.zrank("z", "c").unwrap();
    assert_eq!(rank, Some(2));
    let card: i64 = con.zcard("z").unwrap();
    assert_eq!(card, 3);
    let removed: i64 = con.zrem("z", "a").unwrap();
    assert_eq!(removed, 1);
    let new: f64 = con.zincr("z", "b", 0.5).unwrap();
    assert_eq!(new, 2.5);
    let range: Vec<(String, f64)> = con.zrange_withscores("z", 0, -1).unwrap();
    assert_eq!(range, vec![("b".to_string(), 2.5), ("c".to_string(), 3.0)]);
    let scores: Vec<Option<f64>> = redis::cmd("ZMSCORE")
        .arg("z")
        .arg("b")
        .arg("x")
        .query(&mut con)
        .unwrap();
    assert_eq!(scores, vec![Some(2.5), None]);
    let _: () = con.set("s", "x").unwrap();
    let err = con.zadd::<_, _, _, i64>("s", "a", 1).unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"));
}

#[test]
fn writes_raise_redis_keyspace_events() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Egz"]);
    let mut l = server.raw();
    l.send_cmd(&["PSUBSCRIBE", "__keyevent@0__:*"]);
    l.read_frame();
    zadd(&mut c, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    zadd(&mut c, "z", &[("1", "a")]);
    c.cmd(&["ZINCRBY", "z", "1", "a"]);
    c.cmd(&["ZREM", "z", "nope"]);
    c.cmd(&["ZREM", "z", "a"]);
    c.cmd(&["ZPOPMAX", "z"]);
    c.cmd(&["ZUNIONSTORE", "u", "1", "z"]);
    c.cmd(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]);
    c.cmd(&["ZRANGESTORE", "u", "z", "0", "-1"]);
    c.cmd(&["PUBLISH", "__keyevent@0__:end", "x"]);
    let expected = [
        ("zadd", "z"),
        ("zincr", "z"),
        ("zrem", "z"),
        ("zpopmax", "z"),
        ("zunionstore", "u"),
        ("zremrangebyscore", "z"),
        ("del", "z"),
        ("del", "u"),
        ("end", "x"),
    ];
    for (event, key) in expected {
        let msg = l.read_frame().into_array();
        assert_eq!(
            (text(&msg[2]), text(&msg[3])),
            (format!("__keyevent@0__:{event}"), key.to_string())
        );
    }
}
