//! HRANDFIELD and HSCAN end to end (a module of the `hashes` test crate).

use std::collections::{HashMap, HashSet};

use super::common::*;
use super::{NOT_INT, SYNTAX, WRONGTYPE, arity, array, encoding, strings};
use rudis::protocol::Frame;

#[test]
fn hrandfield_without_count() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HRANDFIELD", "missing"]), Frame::Null);
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    let mut seen = HashSet::new();
    for _ in 0..200 {
        seen.insert(text(&c.cmd(&["HRANDFIELD", "h"])));
    }
    let all: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, all);
    assert_eq!(c.cmd(&["HRANDFIELD"]), arity("hrandfield"));
}

/// Checks HRANDFIELD's count forms on `key`, whose fields are `fields` (value = "v" +
/// field).
fn check_counts(c: &mut Raw, key: &str, fields: &HashSet<String>) {
    let size = fields.len();
    // Positive: distinct fields, at most the hash.
    for count in [1, 2, size - 1, size, size + 5] {
        let got = strings(c.cmd(&["HRANDFIELD", key, &count.to_string()]));
        assert_eq!(got.len(), count.min(size));
        let distinct: HashSet<String> = got.iter().cloned().collect();
        assert_eq!(distinct.len(), got.len(), "repeated: {got:?}");
        assert!(distinct.is_subset(fields));
    }
    // Negative: exactly that many, repetitions allowed, every field eventually.
    // 40 draws per field miss one with probability size * e^-40.
    let n = size * 40;
    let got = strings(c.cmd(&["HRANDFIELD", key, &format!("-{n}")]));
    assert_eq!(got.len(), n);
    let distinct: HashSet<String> = got.into_iter().collect();
    assert_eq!(&distinct, fields);
    // WITHVALUES in RESP2: flat field, value.
    let got = strings(c.cmd(&["HRANDFIELD", key, "-7", "WITHVALUES"]));
    assert_eq!(got.len(), 14);
    for pair in got.chunks(2) {
        assert_eq!(pair[1], format!("v{}", pair[0]));
    }
    let got = strings(c.cmd(&["HRANDFIELD", key, "3", "withvalues"]));
    assert_eq!(got.len(), 6);
    assert_eq!(c.cmd(&["HRANDFIELD", key, "0"]), Frame::Array(vec![]));
    assert_eq!(
        c.cmd(&["HRANDFIELD", key, "0", "WITHVALUES"]),
        Frame::Array(vec![])
    );
}

#[test]
fn hrandfield_with_count_in_both_encodings() {
    let server = start_server();
    let mut c = server.raw();
    for (key, n) in [("small", 10), ("big", 300)] {
        let mut fields = HashSet::new();
        for i in 0..n {
            let f = format!("f{i}");
            c.cmd(&["HSET", key, &f, &format!("v{f}")]);
            fields.insert(f);
        }
        check_counts(&mut c, key, &fields);
    }
    assert_eq!(encoding(&mut c, "small"), "listpack");
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    assert_eq!(c.cmd(&["HRANDFIELD", "missing", "5"]), Frame::Array(vec![]));
    assert_eq!(
        c.cmd(&["HRANDFIELD", "missing", "-5", "WITHVALUES"]),
        Frame::Array(vec![])
    );
    // RESP3: WITHVALUES gives [field, value] pairs.
    c.cmd(&["HELLO", "3"]);
    for count in ["3", "-3"] {
        match c.cmd(&["HRANDFIELD", "small", count, "WITHVALUES"]) {
            Frame::Array(pairs) => {
                assert_eq!(pairs.len(), 3);
                for pair in pairs {
                    let Frame::Array(pair) = pair else {
                        panic!("not a pair: {pair:?}");
                    };
                    assert_eq!(text(&pair[1]), format!("v{}", text(&pair[0])));
                }
            }
            other => panic!("not an array: {other:?}"),
        }
    }
    assert_eq!(strings(c.cmd(&["HRANDFIELD", "small", "3"])).len(), 3);
}

#[test]
fn hrandfield_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(c.cmd(&["HRANDFIELD", "h", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["HRANDFIELD", "h", "1", "WITHVALUE"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "1", "WITHVALUES", "x"]),
        error(SYNTAX)
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "-9223372036854775808"]),
        error(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
        )
    );
    for count in ["-9223372036854770000", "4611686018427387904"] {
        assert_eq!(
            c.cmd(&["HRANDFIELD", "h", count, "WITHVALUES"]),
            error("ERR value is out of range")
        );
    }
    // A repeated sample too big to build is refused, not attempted.
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "-9223372036854775807"]),
        error("ERR value is out of range, the reply would be too large")
    );
    let big = "x".repeat(100_000);
    c.cmd(&["HSET", "fat", "f", &big]);
    assert_eq!(
        c.cmd(&["HRANDFIELD", "fat", "-10000", "WITHVALUES"]),
        error("ERR value is out of range, the reply would be too large")
    );
    // A huge positive count is just the whole hash.
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "9223372036854775807"]),
        array(&["a"])
    );
}

#[test]
fn hscan_small_and_big() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["HSCAN", "missing", "0"]),
        Frame::Array(vec![bulk("0"), Frame::Array(vec![])])
    );
    c.cmd(&["HSET", "small", "a", "1", "b", "2", "ab", "3"]);
    // A small hash comes whole, whatever the cursor and COUNT.
    assert_eq!(
        c.cmd(&["HSCAN", "small", "7", "COUNT", "1"]),
        Frame::Array(vec![bulk("0"), array(&["a", "1", "b", "2", "ab", "3"])])
    );
    assert_eq!(
        c.cmd(&["HSCAN", "small", "0", "MATCH", "a*"]),
        Frame::Array(vec![bulk("0"), array(&["a", "1", "ab", "3"])])
    );
    for i in 0..1000 {
        c.cmd(&["HSET", "big", &format!("f{i}"), &i.to_string()]);
    }
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    let mut steps = 0;
    loop {
        let Frame::Array(reply) = c.cmd(&["HSCAN", "big", &cursor, "COUNT", "50"]) else {
            panic!("not an array");
        };
        cursor = text(&reply[0]);
        let items = strings(reply[1].clone());
        assert!(items.len() <= 100);
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone(), pair[1].clone());
        }
        steps += 1;
        if cursor == "0" {
            break;
        }
    }
    assert!(steps >= 20, "COUNT bounds each step: {steps} steps");
    assert_eq!(seen.len(), 1000);
    assert!((0..1000).all(|i| seen[&format!("f{i}")] == i.to_string()));
    // MATCH filters fields.
    let Frame::Array(reply) = c.cmd(&["HSCAN", "big", "0", "COUNT", "5000", "MATCH", "f99*"])
    else {
        panic!("not an array");
    };
    assert_eq!(reply[0], bulk("0"));
    let got: HashSet<String> = strings(reply[1].clone()).into_iter().step_by(2).collect();
    let want: HashSet<String> = [
        "f99", "f990", "f991", "f992", "f993", "f994", "f995", "f996", "f997", "f998", "f999",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
}

#[test]
fn hscan_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1"]);
    c.cmd(&["SET", "s", "x"]);
    assert_eq!(c.cmd(&["HSCAN", "h", "abc"]), error("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["HSCAN", "s", "abc"]),
        error("ERR invalid cursor"),
        "cursor first"
    );
    assert_eq!(
        c.cmd(&["HSCAN", "s", "0", "COUNT", "0"]),
        error(WRONGTYPE),
        "type next"
    );
    assert_eq!(c.cmd(&["HSCAN", "h", "0", "COUNT", "0"]), error(SYNTAX));
    assert_eq!(c.cmd(&["HSCAN", "h", "0", "COUNT", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["HSCAN", "h", "0", "MATCH"]), error(SYNTAX));
    assert_eq!(c.cmd(&["HSCAN", "h", "0", "TYPE", "hash"]), error(SYNTAX));
    assert_eq!(c.cmd(&["HSCAN", "h"]), arity("hscan"));
}
