//! Every non-blocking sorted set command with many odd argument lists against small
//! and big sorted sets: each reply is well-formed, errors carry a code, and after
//! every burst the sets are still consistent (ZCARD, ZRANGE order, ZSCORE, ZRANK).

mod common;

use common::{Raw, assert_answers, start_server, text};
use rudis::protocol::Frame;
use rudis::store::Rng;

const COMMANDS: &[&str] = &[
    "ZADD",
    "ZINCRBY",
    "ZREM",
    "ZSCORE",
    "ZMSCORE",
    "ZCARD",
    "ZRANK",
    "ZREVRANK",
    "ZRANDMEMBER",
    "ZSCAN",
    "ZRANGE",
    "ZRANGESTORE",
    "ZREVRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYSCORE",
    "ZREMRANGEBYLEX",
    "ZUNIONSTORE",
    "ZINTERSTORE",
    "ZDIFFSTORE",
    "ZUNION",
    "ZINTER",
    "ZINTERCARD",
    "ZDIFF",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZMPOP",
];

const POOL: &[&str] = &[
    "z",
    "z",
    "big",
    "big",
    "s",
    "nokey",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "-2",
    "10",
    "1.5",
    "(1",
    "(2",
    "[a",
    "[m10",
    "(m5",
    "-",
    "+",
    "-inf",
    "+inf",
    "inf",
    "nan",
    "1e308",
    "",
    "a",
    "b",
    "m1",
    "m150",
    "WITHSCORES",
    "WITHSCORE",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "COUNT",
    "MATCH",
    "m*",
    "-9223372036854775808",
    "9223372036854775807",
];

fn seed(c: &mut Raw) {
    c.cmd(&["DEL", "z", "big", "s"]);
    c.cmd(&["SET", "s", "x"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b", "2", "c", "-inf", "m1"]);
    let mut args = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..200 {
        args.push((i % 17).to_string());
        args.push(format!("m{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&refs);
}

fn as_array(f: Frame) -> Vec<Frame> {
    match f {
        Frame::Array(v) => v,
        other => panic!("not an array: {other:?}"),
    }
}

/// The set at `key` agrees with itself across commands.
fn check(c: &mut Raw, key: &str) {
    let Frame::Integer(card) = c.cmd(&["ZCARD", key]) else {
        return;
    };
    let all = as_array(c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]));
    assert_eq!(all.len() as i64, card * 2, "{key}");
    let mut last: Option<(f64, String)> = None;
    for (rank, pair) in all.chunks(2).enumerate() {
        let member = text(&pair[0]);
        let score: f64 = text(&pair[1]).parse().expect("score");
        if let Some((s, m)) = &last {
            assert!(
                (*s, m.as_str()) < (score, member.as_str()),
                "{key} out of order"
            );
        }
        assert_eq!(c.cmd(&["ZSCORE", key, &member]), pair[1], "{key} {member}");
        assert_eq!(c.cmd(&["ZRANK", key, &member]), Frame::Integer(rank as i64));
        last = Some((score, member));
    }
}

#[test]
fn sorted_set_commands_survive_odd_arguments() {
    let server = start_server();
    let mut c = server.raw();
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for name in COMMANDS {
        for round in 0..200 {
            if round % 25 == 0 {
                check(&mut c, "z");
                check(&mut c, "big");
                seed(&mut c);
            }
            let argc = 1 + rng.below(7);
            let mut args: Vec<&str> = vec![name];
            for _ in 0..argc {
                args.push(POOL[rng.below(POOL.len())]);
            }
            assert_answers(&mut c, &args);
        }
        check(&mut c, "z");
        check(&mut c, "big");
        for key in ["d", "nokey", "z1"] {
            check(&mut c, key);
        }
    }
}
