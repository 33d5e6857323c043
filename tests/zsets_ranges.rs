//! Sorted set ranges and algebra: ZRANGE (all forms) ZRANGESTORE ZCOUNT ZLEXCOUNT
//! ZREMRANGEBY* ZUNION ZINTER ZDIFF (and *STORE) ZINTERCARD.

mod common;
mod zset_util;

use common::{Raw, bulk, error, int, start_server};
use redis::Commands;
use zset_util::{bulks, expect_raw, zadd};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_FLOAT: &str = "ERR min or max is not a float";
const NOT_LEX: &str = "ERR min or max not valid string range item";

fn scores(c: &mut Raw) {
    zadd(
        c,
        "z",
        &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e")],
    );
}

fn lex(c: &mut Raw) {
    let members = ["alpha", "bar", "cool", "down", "elephant", "foo", "great"];
    let pairs: Vec<(&str, &str)> = members.iter().map(|m| ("0", *m)).collect();
    zadd(c, "l", &pairs);
}

#[test]
fn zrange_by_rank() {
    let server = start_server();
    let mut c = server.raw();
    scores(&mut c);
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "-1"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(c.cmd(&["ZRANGE", "z", "1", "2"]), bulks(&["b", "c"]));
    assert_eq!(c.cmd(&["ZRANGE", "z", "-2", "100"]), bulks(&["d", "e"]));
    assert_eq!(c.cmd(&["ZRANGE", "z", "3", "1"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "0", "WITHSCORES"]),
        bulks(&["a", "1"])
    );
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "1", "REV"]), bulks(&["e", "d"]));
    assert_eq!(
        c.cmd(&["ZREVRANGE", "z", "0", "1", "WITHSCORES"]),
        bulks(&["e", "5", "d", "4"])
    );
    assert_eq!(c.cmd(&["ZREVRANGE", "z", "-1", "-1"]), bulks(&["a"]));
    assert_eq!(c.cmd(&["ZRANGE", "nokey", "0", "-1"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"])
            .clone(),
        bulks(&["a", "b", "c", "d", "e"])
    );
}

#[test]
fn zrange_by_score() {
    let server = start_server();
    let mut c = server.raw();
    scores(&mut c);
    zadd(&mut c, "z", &[("-inf", "lo"), ("+inf", "hi")]);
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "2", "4"]),
        bulks(&["b", "c", "d"])
    );
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", "(2", "(4"]), bulks(&["c"]));
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "-inf", "1"]),
        bulks(&["lo", "a"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "5", "+inf"]),
        bulks(&["e", "hi"])
    );
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", "4", "2"]), bulks(&[]));
    assert_eq!(c.cmd(&["ZRANGEBYSCORE", "z", "(3", "3"]), bulks(&[]));
    assert_eq!(
        c.cmd(&[
            "ZRANGEBYSCORE",
            "z",
            "1",
            "5",
            "WITHSCORES",
            "LIMIT",
            "1",
            "2"
        ]),
        bulks(&["b", "2", "c", "3"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "1", "-1"]),
        bulks(&["b", "c", "d", "e"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "-1", "2"]),
        bulks(&[])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", "z", "1", "5", "LIMIT", "10", "2"]),
        bulks(&[])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYSCORE", "z", "4", "(2"]),
        bulks(&["d", "c"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "2"]),
        bulks(&["e", "d"])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "z", "(1", "3", "BYSCORE"]),
        bulks(&["b", "c"])
    );
    assert_eq!(
        c.cmd(&[
            "ZRANGE",
            "z",
            "5",
            "2",
            "BYSCORE",
            "REV",
            "LIMIT",
            "1",
            "2",
            "WITHSCORES"
        ]),
        bulks(&["d", "4", "c", "3"])
    );
    assert_eq!(c.cmd(&["ZCOUNT", "z", "2", "4"]), int(3));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "(2", "+inf"]), int(4));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "-inf", "+inf"]), int(7));
    assert_eq!(c.cmd(&["ZCOUNT", "z", "3", "2"]), int(0));
    assert_eq!(c.cmd(&["ZCOUNT", "nokey", "0", "1"]), int(0));
    for bad in [
        &["ZRANGEBYSCORE", "z", "str", "1"][..],
        &["ZRANGEBYSCORE", "z", "1", "nan"],
        &["ZCOUNT", "z", "[1", "2"],
    ] {
        assert_eq!(c.cmd(bad), error(NOT_FLOAT), "{bad:?}");
    }
}

#[test]
fn zrange_by_lex() {
    let server = start_server();
    let mut c = server.raw();
    lex(&mut c);
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "-", "[cool"]),
        bulks(&["alpha", "bar", "cool"])
    );
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "[bar", "(down"]),
        bulks(&["bar", "cool"])
    );
    assert_eq!(c.cmd(&["ZRANGEBYLEX", "l", "(great", "+"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "[f", "+"]),
        bulks(&["foo", "great"])
    );
    assert_eq!(c.cmd(&["ZRANGEBYLEX", "l", "+", "-"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZRANGEBYLEX", "l", "-", "+", "LIMIT", "2", "2"]),
        bulks(&["cool", "down"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYLEX", "l", "[cool", "-"]),
        bulks(&["cool", "bar", "alpha"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGEBYLEX", "l", "+", "(e", "LIMIT", "0", "2"]),
        bulks(&["great", "foo"])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "l", "[b", "[d", "BYLEX"]),
        bulks(&["bar", "cool"])
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "l", "[d", "[b", "BYLEX", "REV"]),
        bulks(&["cool", "bar"])
    );
    assert_eq!(c.cmd(&["ZLEXCOUNT", "l", "-", "+"]), int(7));
    assert_eq!(c.cmd(&["ZLEXCOUNT", "l", "(bar", "[foo"]), int(4));
    assert_eq!(c.cmd(&["ZLEXCOUNT", "l", "[z", "+"]), int(0));
    for bad in [
        &["ZRANGEBYLEX", "l", "a", "+"][..],
        &["ZRANGEBYLEX", "l", "-", "b"],
        &["ZLEXCOUNT", "l", "--", "+"],
        &["ZLEXCOUNT", "l", "", "+"],
    ] {
        assert_eq!(c.cmd(bad), error(NOT_LEX), "{bad:?}");
    }
}

#[test]
fn zrange_option_errors() {
    let server = start_server();
    let mut c = server.raw();
    scores(&mut c);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"],
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ),
        (
            &["ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"],
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ),
        (
            &["ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"],
            "ERR syntax error",
        ),
        (&["ZRANGE", "z", "0", "1", "REV", "REV"], "ERR syntax error"),
        (&["ZRANGE", "z", "0", "1", "LIMIT", "1"], "ERR syntax error"),
        (&["ZRANGE", "z", "0", "1", "FOO"], "ERR syntax error"),
        (&["ZREVRANGE", "z", "0", "1", "REV"], "ERR syntax error"),
        (
            &["ZRANGEBYSCORE", "z", "0", "1", "BYLEX"],
            "ERR syntax error",
        ),
        (
            &["ZRANGE", "z", "a", "1"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "x", "1"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["ZRANGE", "z", "0"],
            "ERR wrong number of arguments for 'zrange' command",
        ),
        (
            &["ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"],
            "ERR syntax error",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), error(want), "{args:?}");
    }
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZRANGE", "str", "0", "1"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["ZCOUNT", "str", "0", "1"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["ZLEXCOUNT", "str", "-", "+"]), error(WRONGTYPE));
}

#[test]
fn zrangestore_stores_or_deletes() {
    let server = start_server();
    let mut c = server.raw();
    scores(&mut c);
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "z", "1", "2"]), int(2));
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        bulks(&["b", "2", "c", "3"])
    );
    assert_eq!(
        c.cmd(&[
            "ZRANGESTORE",
            "d",
            "z",
            "4",
            "(2",
            "BYSCORE",
            "REV",
            "LIMIT",
            "0",
            "1"
        ]),
        int(1)
    );
    assert_eq!(c.cmd(&["ZRANGE", "d", "0", "-1"]), bulks(&["d"]));
    c.cmd(&["EXPIRE", "d", "100"]);
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "z", "0", "0"]), int(1));
    assert_eq!(c.cmd(&["TTL", "d"]), int(-1));
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "z", "10", "20"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    c.cmd(&["SET", "d", "x"]);
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "nokey", "0", "-1"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(
        c.cmd(&["ZRANGESTORE", "d", "str", "0", "-1"]),
        error(WRONGTYPE)
    );
    assert_eq!(c.cmd(&["ZRANGESTORE", "d", "z", "0", "-1"]), int(5));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "d"]), bulk("listpack"));
}

#[test]
fn zremrange_by_rank_score_and_lex() {
    let server = start_server();
    let mut c = server.raw();
    scores(&mut c);
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "z", "1", "2"]), int(2));
    assert_eq!(c.cmd(&["ZRANGE", "z", "0", "-1"]), bulks(&["a", "d", "e"]));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "z", "5", "10"]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "z", "(1", "4"]), int(1));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", "z", "-inf", "+inf"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    lex(&mut c);
    assert_eq!(c.cmd(&["ZREMRANGEBYLEX", "l", "[bar", "(down"]), int(2));
    assert_eq!(
        c.cmd(&["ZRANGE", "l", "0", "-1"]),
        bulks(&["alpha", "down", "elephant", "foo", "great"])
    );
    assert_eq!(c.cmd(&["ZREMRANGEBYLEX", "nokey", "-", "+"]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "l", "-1", "-1"]), int(1));
    assert_eq!(
        c.cmd(&["ZREMRANGEBYRANK", "l", "x", "1"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["ZREMRANGEBYSCORE", "l", "x", "1"]),
        error(NOT_FLOAT)
    );
    assert_eq!(c.cmd(&["ZREMRANGEBYLEX", "l", "x", "+"]), error(NOT_LEX));
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(
        c.cmd(&["ZREMRANGEBYRANK", "str", "0", "1"]),
        error(WRONGTYPE)
    );
}

#[test]
fn union_inter_diff() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "a", &[("1", "x"), ("2", "y"), ("3", "z")]);
    zadd(&mut c, "b", &[("10", "y"), ("20", "z"), ("30", "w")]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "a", "b", "WITHSCORES"]),
        bulks(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(
        c.cmd(&[
            "ZUNION",
            "2",
            "a",
            "b",
            "WEIGHTS",
            "2",
            "1",
            "AGGREGATE",
            "MIN",
            "WITHSCORES"
        ]),
        bulks(&["x", "2", "y", "4", "z", "6", "w", "30"])
    );
    assert_eq!(c.cmd(&["ZINTER", "2", "a", "b"]), bulks(&["y", "z"]));
    assert_eq!(
        c.cmd(&["ZINTER", "2", "a", "b", "AGGREGATE", "max", "WITHSCORES"]),
        bulks(&["y", "10", "z", "20"])
    );
    assert_eq!(c.cmd(&["ZINTER", "2", "a", "nokey"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZDIFF", "2", "a", "b", "WITHSCORES"]),
        bulks(&["x", "1"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", "a", "a"]), bulks(&[]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b"]), int(2));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "a", "b", "LIMIT", "1"]), int(1));
    assert_eq!(c.cmd(&["ZINTERCARD", "1", "a", "LIMIT", "0"]), int(3));
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "2", "a", "b"]), int(4));
    assert_eq!(c.cmd(&["ZSCORE", "d", "z"]), bulk("23"));
    assert_eq!(
        c.cmd(&["ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "0"]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        bulks(&["y", "2", "z", "3"])
    );
    assert_eq!(c.cmd(&["ZDIFFSTORE", "d", "2", "b", "a"]), int(1));
    assert_eq!(c.cmd(&["ZRANGE", "d", "0", "-1"]), bulks(&["w"]));
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "1", "nokey"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "d"]), int(0));
    zadd(&mut c, "inf", &[("inf", "k")]);
    zadd(&mut c, "ninf", &[("-inf", "k")]);
    assert_eq!(c.cmd(&["ZUNIONSTORE", "d", "2", "inf", "ninf"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "d", "k"]), bulk("0"));
    assert_eq!(
        c.cmd(&["ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"]),
        bulks(&["k", "0"])
    );
}

#[test]
fn plain_sets_count_with_score_one() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    c.cmd(&["SADD", "s", "a", "b", "x"]);
    c.cmd(&["SADD", "ints", "1", "2"]);
    assert_eq!(
        c.cmd(&["ZUNION", "2", "z", "s", "WEIGHTS", "1", "2", "WITHSCORES"]),
        bulks(&["x", "2", "a", "3", "c", "3", "b", "4"])
    );
    assert_eq!(c.cmd(&["ZINTERSTORE", "d", "2", "s", "z"]), int(2));
    assert_eq!(
        c.cmd(&["ZRANGE", "d", "0", "-1", "WITHSCORES"]),
        bulks(&["a", "2", "b", "3"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", "s", "z"]), bulks(&["x"]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", "s", "ints"]), int(0));
    assert_eq!(
        c.cmd(&["ZUNION", "1", "ints", "WITHSCORES"]),
        bulks(&["1", "1", "2", "1"])
    );
    assert_eq!(
        c.cmd(&["SORT", "z", "BY", "nosort", "DESC"]),
        bulks(&["c", "b", "a"])
    );
}

#[test]
fn algebra_errors() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "a", &[("1", "x")]);
    c.cmd(&["SET", "str", "x"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZUNION", "0", "a"],
            "ERR at least 1 input key is needed for 'zunion' command",
        ),
        (
            &["ZINTERSTORE", "d", "0", "a"],
            "ERR at least 1 input key is needed for 'zinterstore' command",
        ),
        (
            &["ZINTERCARD", "-1", "a"],
            "ERR at least 1 input key is needed for 'zintercard' command",
        ),
        (
            &["ZUNION", "x", "a"],
            "ERR value is not an integer or out of range",
        ),
        (&["ZUNION", "3", "a"], "ERR syntax error"),
        (&["ZUNION", "1", "a", "WEIGHTS"], "ERR syntax error"),
        (
            &["ZUNION", "1", "a", "WEIGHTS", "x"],
            "ERR weight value is not a float",
        ),
        (
            &["ZUNION", "1", "a", "AGGREGATE", "avg"],
            "ERR syntax error",
        ),
        (&["ZDIFF", "1", "a", "WEIGHTS", "1"], "ERR syntax error"),
        (
            &["ZUNIONSTORE", "d", "1", "a", "WITHSCORES"],
            "ERR syntax error",
        ),
        (&["ZINTERCARD", "1", "a", "WITHSCORES"], "ERR syntax error"),
        (
            &["ZINTERCARD", "1", "a", "LIMIT", "-1"],
            "ERR LIMIT can't be negative",
        ),
        (
            &["ZINTERCARD", "1", "a", "LIMIT", "x"],
            "ERR LIMIT can't be negative",
        ),
        (&["ZUNION", "2", "a", "str"], WRONGTYPE),
        (&["ZINTER", "1", "str", "FOO"], WRONGTYPE),
        (&["ZDIFFSTORE", "d", "1", "str"], WRONGTYPE),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), error(want), "{args:?}");
    }
}

#[test]
fn resp3_algebra_and_ranges_nest_pairs() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    zadd(&mut c, "a", &[("1.5", "x")]);
    expect_raw(
        &mut c,
        &["ZUNION", "1", "a", "WITHSCORES"],
        "*1\r\n*2\r\n$1\r\nx\r\n,1.5\r\n",
    );
    expect_raw(
        &mut c,
        &["ZRANGEBYSCORE", "a", "-inf", "inf", "WITHSCORES"],
        "*1\r\n*2\r\n$1\r\nx\r\n,1.5\r\n",
    );
    expect_raw(&mut c, &["ZUNION", "1", "a"], "*1\r\n$1\r\nx\r\n");
}

#[test]
fn ranges_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let _: i64 = con
        .zadd_multiple("z", &[(1, "a"), (2, "b"), (3, "c")])
        .unwrap();
    let by_score: Vec<String> = con.zrangebyscore("z", "(1", "+inf").unwrap();
    assert_eq!(by_score, vec!["b", "c"]);
    let rev: Vec<String> = con.zrevrange("z", 0, 0).unwrap();
    assert_eq!(rev, vec!["c"]);
    let count: i64 = con.zcount("z", 2, 3).unwrap();
    assert_eq!(count, 2);
    let stored: i64 = con.zunionstore("u", &["z", "z"]).unwrap();
    assert_eq!(stored, 3);
    let doubled: f64 = con.zscore("u", "c").unwrap();
    assert_eq!(doubled, 6.0);
    let removed: i64 = con.zrembyscore("z", 1, 2).unwrap();
    assert_eq!(removed, 2);
    let err = con.zcount::<_, _, _, i64>("z", "x", 1).unwrap_err();
    assert_eq!(err.detail(), Some("min or max is not a float"));
}
