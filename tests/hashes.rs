//! Hash commands end to end: replies, exact error texts, both encodings and the
//! conversion between them, RESP3 shapes, WRONGTYPE and TTLs.
mod common;
#[path = "hashes/sampling.rs"]
mod sampling;

use std::collections::{HashMap, HashSet};

use common::*;
use rudis::protocol::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";

fn arity(cmd: &str) -> Frame {
    error(&format!(
        "ERR wrong number of arguments for '{cmd}' command"
    ))
}

fn array(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

/// The strings of an array reply.
fn strings(frame: Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items.iter().map(text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn encoding(c: &mut Raw, key: &str) -> String {
    text(&c.cmd(&["OBJECT", "ENCODING", key]))
}

#[test]
fn hset_hget_hmset_hsetnx() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HGET", "h", "a"]), Frame::Null);
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b", "2"]), int(2));
    assert_eq!(c.cmd(&["HSET", "h", "a", "10", "c", "3"]), int(1));
    assert_eq!(c.cmd(&["HGET", "h", "a"]), bulk("10"));
    assert_eq!(c.cmd(&["HGET", "h", "nope"]), Frame::Null);
    assert_eq!(c.cmd(&["HMSET", "h", "d", "4", "a", "11"]), simple("OK"));
    assert_eq!(c.cmd(&["HGET", "h", "a"]), bulk("11"));
    assert_eq!(c.cmd(&["HSETNX", "h", "a", "x"]), int(0));
    assert_eq!(c.cmd(&["HGET", "h", "a"]), bulk("11"));
    assert_eq!(c.cmd(&["HSETNX", "h", "e", "5"]), int(1));
    assert_eq!(c.cmd(&["HSETNX", "new", "f", ""]), int(1));
    assert_eq!(c.cmd(&["HGET", "new", "f"]), bulk(""));
    assert_eq!(c.cmd(&["HLEN", "h"]), int(5));
    assert_eq!(c.cmd(&["TYPE", "h"]), simple("hash"));
    // Odd pairs: HSET's own arity check, named after the command used.
    assert_eq!(c.cmd(&["HSET", "h", "a", "1", "b"]), arity("hset"));
    assert_eq!(c.cmd(&["HMSET", "h", "a", "1", "b"]), arity("hmset"));
    assert_eq!(c.cmd(&["HSET", "h", "a"]), arity("hset"));
    assert_eq!(c.cmd(&["HSETNX", "h", "a"]), arity("hsetnx"));
    assert_eq!(c.cmd(&["HGET", "h"]), arity("hget"));
    assert_eq!(
        c.cmd(&["HLEN", "h"]),
        int(5),
        "failed writes change nothing"
    );
    assert_eq!(c.cmd(&["HSET", "none", "a", "1", "b"]), arity("hset"));
    assert_eq!(c.cmd(&["EXISTS", "none"]), int(0));
}

#[test]
fn hmget_hexists_hlen_hstrlen() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&[
        "HSET",
        "h",
        "a",
        "1",
        "b",
        "hello",
        "n",
        "-9223372036854775808",
    ]);
    assert_eq!(
        c.cmd(&["HMGET", "h", "a", "zz", "b"]),
        Frame::Array(vec![bulk("1"), Frame::Null, bulk("hello")])
    );
    assert_eq!(
        c.cmd(&["HMGET", "missing", "a", "b"]),
        Frame::Array(vec![Frame::Null, Frame::Null])
    );
    assert_eq!(c.cmd(&["HMGET", "h"]), arity("hmget"));
    assert_eq!(c.cmd(&["HEXISTS", "h", "a"]), int(1));
    assert_eq!(c.cmd(&["HEXISTS", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", "missing", "a"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", "h"]), arity("hexists"));
    assert_eq!(c.cmd(&["HLEN", "h"]), int(3));
    assert_eq!(c.cmd(&["HLEN", "missing"]), int(0));
    assert_eq!(c.cmd(&["HLEN", "h", "x"]), arity("hlen"));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "b"]), int(5));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "n"]), int(20));
    assert_eq!(c.cmd(&["HSTRLEN", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", "missing", "zz"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", "h"]), arity("hstrlen"));
}

#[test]
fn hkeys_hvals_hgetall_in_both_protocols() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    // A small hash keeps insertion order, as a listpack does.
    assert_eq!(c.cmd(&["HKEYS", "h"]), array(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["HVALS", "h"]), array(&["1", "2", "3"]));
    assert_eq!(
        c.cmd(&["HGETALL", "h"]),
        array(&["a", "1", "b", "2", "c", "3"])
    );
    assert_eq!(c.cmd(&["HGETALL", "missing"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["HKEYS", "missing"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["HKEYS"]), arity("hkeys"));
    assert_eq!(c.cmd(&["HVALS", "a", "b"]), arity("hvals"));
    assert_eq!(c.cmd(&["HGETALL"]), arity("hgetall"));

    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["HGETALL", "h"]),
        Frame::Map(vec![
            (bulk("a"), bulk("1")),
            (bulk("b"), bulk("2")),
            (bulk("c"), bulk("3")),
        ])
    );
    assert_eq!(c.cmd(&["HGETALL", "missing"]), Frame::Map(vec![]));
    assert_eq!(c.cmd(&["HKEYS", "h"]), array(&["a", "b", "c"]));
    assert_eq!(c.cmd(&["HGET", "h", "zz"]), Frame::Null);
}

#[test]
fn hdel_counts_and_deletes_the_emptied_key() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
    assert_eq!(c.cmd(&["HDEL", "h", "a", "zz", "a"]), int(1));
    assert_eq!(c.cmd(&["HDEL", "h", "zz"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "missing", "a"]), int(0));
    assert_eq!(c.cmd(&["HDEL", "h"]), arity("hdel"));
    assert_eq!(c.cmd(&["HKEYS", "h"]), array(&["b", "c"]));
    assert_eq!(c.cmd(&["HDEL", "h", "b", "c", "b"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", "h"]), int(0));
    assert_eq!(c.cmd(&["TYPE", "h"]), simple("none"));
    // The same for a big hash.
    let mut args = vec!["HSET".to_string(), "big".to_string()];
    for i in 0..300 {
        args.push(format!("f{i}"));
        args.push(i.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&args), int(300));
    let mut del = vec!["HDEL", "big"];
    del.extend(args[2..].iter().step_by(2));
    assert_eq!(c.cmd(&del), int(300));
    assert_eq!(c.cmd(&["EXISTS", "big"]), int(0));
}

#[test]
fn hincrby() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "5"]), int(5));
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "-7"]), int(-2));
    assert_eq!(c.cmd(&["HGET", "h", "n"]), bulk("-2"));
    c.cmd(&["HSET", "h", "big", "17179869184", "s", " 11", "z", "007"]);
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "big", "17179869184"]),
        int(34359738368)
    );
    let not_int = error("ERR hash value is not an integer");
    assert_eq!(c.cmd(&["HINCRBY", "h", "s", "1"]), not_int);
    assert_eq!(c.cmd(&["HINCRBY", "h", "z", "1"]), not_int);
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["HINCRBY", "h", "n", "1.5"]), error(NOT_INT));
    c.cmd(&["HSET", "h", "max", "9223372036854775807"]);
    let overflow = error("ERR increment or decrement would overflow");
    assert_eq!(c.cmd(&["HINCRBY", "h", "max", "1"]), overflow);
    c.cmd(&["HSET", "h", "min", "-9223372036854775807"]);
    assert_eq!(
        c.cmd(&["HINCRBY", "h", "min", "-1"]),
        int(i64::MIN),
        "reaches the minimum"
    );
    assert_eq!(c.cmd(&["HINCRBY", "h", "min", "-1"]), overflow);
    assert_eq!(c.cmd(&["HINCRBY", "h", "n"]), arity("hincrby"));
    // A failed increment never creates the key.
    assert_eq!(c.cmd(&["HINCRBY", "new", "n", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["EXISTS", "new"]), int(0));
}

#[test]
fn hincrbyfloat() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "1.23"]), bulk("1.23"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "0.77"]), bulk("2"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f", "-0.1"]), bulk("1.9"));
    assert_eq!(c.cmd(&["HGET", "h", "f"]), bulk("1.9"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "5e3"]), bulk("5000"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "g", "-5000"]), bulk("0"));
    c.cmd(&[
        "HSET",
        "h",
        "i",
        "17179869184",
        "s",
        "11 ",
        "e",
        "",
        "huge",
        "1e308",
    ]);
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "i", "1"]), bulk("17179869185"));
    let not_float = error("ERR hash value is not a float");
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "s", "1"]), not_float);
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "e", "1"]), not_float);
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "f", "abc"]),
        error("ERR value is not a valid float")
    );
    let nan_or_inf = error("ERR value is NaN or Infinity");
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "new", "f", "+inf"]), nan_or_inf);
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "new", "f", "-inf"]), nan_or_inf);
    assert_eq!(c.cmd(&["EXISTS", "new"]), int(0));
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", "h", "huge", "1e308"]),
        error("ERR increment would produce NaN or Infinity")
    );
    assert_eq!(c.cmd(&["HGET", "h", "huge"]), bulk("1e308"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", "h", "f"]), arity("hincrbyfloat"));
}

#[test]
fn conversion_to_the_big_encoding_keeps_contents() {
    let server = start_server();
    let mut c = server.raw();
    let mut model = HashMap::new();
    for i in 0..128 {
        let (f, v) = (format!("field:{i}"), format!("value:{i}"));
        c.cmd(&["HSET", "h", &f, &v]);
        model.insert(f, v);
    }
    assert_eq!(encoding(&mut c, "h"), "listpack");
    c.cmd(&["HSET", "h", "one-more", "x"]);
    model.insert("one-more".into(), "x".into());
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let all = strings(c.cmd(&["HGETALL", "h"]));
    let got: HashMap<String, String> = all
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    assert_eq!(got, model);
    // Never back, even when it shrinks.
    c.cmd(&["HDEL", "h", "one-more", "field:1", "field:2"]);
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    // A long value converts at once; the limits follow CONFIG SET.
    c.cmd(&["HSET", "v", "a", "1"]);
    c.cmd(&["HSET", "v", "b", &"x".repeat(65)]);
    assert_eq!(encoding(&mut c, "v"), "hashtable");
    assert_eq!(c.cmd(&["HGET", "v", "a"]), bulk("1"));
    c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
    c.cmd(&["HSET", "s", "a", "1", "b", "2"]);
    assert_eq!(encoding(&mut c, "s"), "listpack");
    c.cmd(&["HSET", "s", "c", "3"]);
    assert_eq!(encoding(&mut c, "s"), "hashtable");
    c.cmd(&["CONFIG", "SET", "hash-max-ziplist-value", "3"]);
    c.cmd(&["HINCRBYFLOAT", "t", "abcd", "1"]);
    assert_eq!(encoding(&mut c, "t"), "hashtable");
    assert_eq!(c.cmd(&["HGET", "t", "abcd"]), bulk("1"));
}

#[test]
fn wrongtype_everywhere() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    let cmds: &[&[&str]] = &[
        &["HSET", "s", "a", "1"],
        &["HMSET", "s", "a", "1"],
        &["HSETNX", "s", "a", "1"],
        &["HGET", "s", "a"],
        &["HMGET", "s", "a"],
        &["HDEL", "s", "a"],
        &["HEXISTS", "s", "a"],
        &["HLEN", "s"],
        &["HSTRLEN", "s", "a"],
        &["HKEYS", "s"],
        &["HVALS", "s"],
        &["HGETALL", "s"],
        &["HINCRBY", "s", "a", "1"],
        &["HINCRBYFLOAT", "s", "a", "1"],
        &["HRANDFIELD", "s"],
        &["HRANDFIELD", "s", "2"],
        &["HSCAN", "s", "0"],
    ];
    for cmd in cmds {
        assert_eq!(c.cmd(cmd), error(WRONGTYPE), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["GET", "s"]), bulk("x"));
    c.cmd(&["HSET", "h", "a", "1"]);
    assert_eq!(c.cmd(&["INCR", "h"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["APPEND", "h", "x"]), error(WRONGTYPE));
}

#[test]
fn ttl_survives_every_write() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HSET", "h", "a", "1", "b", "2", "n", "1"]);
    assert_eq!(c.cmd(&["EXPIRE", "h", "1000"]), int(1));
    let writes: &[&[&str]] = &[
        &["HSET", "h", "c", "3"],
        &["HMSET", "h", "a", "9"],
        &["HSETNX", "h", "d", "4"],
        &["HDEL", "h", "b"],
        &["HINCRBY", "h", "n", "1"],
        &["HINCRBYFLOAT", "h", "n", "0.5"],
    ];
    for cmd in writes {
        c.cmd(cmd);
        let Frame::Integer(ttl) = c.cmd(&["TTL", "h"]) else {
            panic!("TTL");
        };
        assert!((990..=1000).contains(&ttl), "{cmd:?} left TTL {ttl}");
    }
    // Growing past the small encoding keeps it too.
    for i in 0..200 {
        c.cmd(&["HSET", "h", &format!("f{i}"), "v"]);
    }
    assert_eq!(encoding(&mut c, "h"), "hashtable");
    let Frame::Integer(ttl) = c.cmd(&["TTL", "h"]) else {
        panic!("TTL");
    };
    assert!(ttl > 990);
}

#[test]
fn memory_usage() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "missing"]), Frame::Null);
    c.cmd(&["HSET", "h", "a", "1"]);
    let Frame::Integer(small) = c.cmd(&["MEMORY", "USAGE", "h"]) else {
        panic!("not an integer");
    };
    for i in 0..1000 {
        c.cmd(&["HSET", "h", &format!("field{i}"), "value"]);
    }
    let Frame::Integer(big) = c.cmd(&["MEMORY", "USAGE", "h", "SAMPLES", "0"]) else {
        panic!("not an integer");
    };
    assert!(small > 0 && big > small * 100, "{small} {big}");
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "h", "SAMPLES"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "h", "SAMPLES", "-1"]),
        error(SYNTAX)
    );
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "h", "SAMPLES", "x"]),
        error(NOT_INT)
    );
    assert_eq!(c.cmd(&["MEMORY", "USAGE"]), arity("memory|usage"));
    assert_eq!(
        c.cmd(&["MEMORY", "NOPE"]),
        error("ERR unknown subcommand 'NOPE'. Try MEMORY HELP.")
    );
    let Frame::Array(help) = c.cmd(&["MEMORY", "HELP"]) else {
        panic!("not an array");
    };
    assert!(help.len() > 3);
}

#[test]
fn through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let added: i64 = redis::cmd("HSET")
        .arg("h")
        .arg(&[("a", "1"), ("b", "2")])
        .query(&mut con)
        .expect("hset");
    assert_eq!(added, 2);
    let ok: String = redis::cmd("HMSET")
        .arg("h")
        .arg("c")
        .arg("3")
        .query(&mut con)
        .expect("hmset");
    assert_eq!(ok, "OK");
    let v: Option<String> = redis::cmd("HGET")
        .arg("h")
        .arg("a")
        .query(&mut con)
        .expect("hget");
    assert_eq!(v.as_deref(), Some("1"));
    let all: HashMap<String, String> = redis::cmd("HGETALL")
        .arg("h")
        .query(&mut con)
        .expect("hgetall");
    assert_eq!(all.len(), 3);
    assert_eq!(all["c"], "3");
    let vals: Vec<Option<String>> = redis::cmd("HMGET")
        .arg("h")
        .arg("a")
        .arg("zz")
        .query(&mut con)
        .expect("hmget");
    assert_eq!(vals, vec![Some("1".to_string()), None]);
    let n: i64 = redis::cmd("HINCRBY")
        .arg("h")
        .arg("a")
        .arg(41)
        .query(&mut con)
        .expect("hincrby");
    assert_eq!(n, 42);
    let f: f64 = redis::cmd("HINCRBYFLOAT")
        .arg("h")
        .arg("x")
        .arg(1.5)
        .query(&mut con)
        .expect("hincrbyfloat");
    assert_eq!(f, 1.5);
    let keys: HashSet<String> = redis::cmd("HKEYS").arg("h").query(&mut con).expect("hkeys");
    assert_eq!(keys.len(), 4);
    let len: i64 = redis::cmd("HLEN").arg("h").query(&mut con).expect("hlen");
    assert_eq!(len, 4);
    let exists: bool = redis::cmd("HEXISTS")
        .arg("h")
        .arg("b")
        .query(&mut con)
        .expect("hexists");
    assert!(exists);
    let deleted: i64 = redis::cmd("HDEL")
        .arg("h")
        .arg("b")
        .arg("zz")
        .query(&mut con)
        .expect("hdel");
    assert_eq!(deleted, 1);
    let (cursor, items): (u64, Vec<String>) = redis::cmd("HSCAN")
        .arg("h")
        .arg(0)
        .query(&mut con)
        .expect("hscan");
    assert_eq!((cursor, items.len()), (0, 6));
    let sample: Vec<String> = redis::cmd("HRANDFIELD")
        .arg("h")
        .arg(-5)
        .query(&mut con)
        .expect("hrandfield");
    assert_eq!(sample.len(), 5);
    let err = redis::cmd("HINCRBY")
        .arg("h")
        .arg("x")
        .arg(1)
        .query::<i64>(&mut con)
        .expect_err("1.5 is no integer");
    assert!(
        err.to_string().contains("hash value is not an integer"),
        "{err}"
    );
    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("v")
        .query(&mut con)
        .expect("set");
    let err = redis::cmd("HGET")
        .arg("s")
        .arg("a")
        .query::<Option<String>>(&mut con)
        .expect_err("wrongtype");
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
}
