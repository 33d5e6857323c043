//! Generic key commands end to end: DEL UNLINK DELETE EXISTS TOUCH TYPE KEYS SCAN
//! RANDOMKEY RENAME RENAMENX OBJECT FLUSHDB FLUSHALL FLUSH SWAPDB.
mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use common::*;
use rudis::protocol::Frame;

/// The bulk strings of an array reply, as text.
fn strings(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items
            .iter()
            .map(|f| String::from_utf8_lossy(f.as_bytes().expect("string element")).into_owned())
            .collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

/// The sorted keys of a KEYS reply.
fn key_set(frame: &Frame) -> BTreeSet<String> {
    strings(frame).into_iter().collect()
}

/// A set of names.
fn set_of(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Runs a whole SCAN iteration with `opts`, returning how often each key came back.
fn full_scan(c: &mut Raw, opts: &[&str]) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    let mut cursor = "0".to_string();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(opts);
        let reply = c.cmd(&args);
        let Frame::Array(parts) = reply else {
            panic!("SCAN reply {reply:?}");
        };
        assert_eq!(parts.len(), 2);
        let next = String::from_utf8(parts[0].as_bytes().expect("cursor").to_vec()).unwrap();
        for key in strings(&parts[1]) {
            *seen.entry(key).or_insert(0) += 1;
        }
        if next == "0" {
            return seen;
        }
        cursor = next;
    }
    panic!("SCAN did not finish");
}

#[test]
fn del_unlink_delete_count_removed_keys() {
    let server = start_server();
    let mut c = server.raw();
    for k in ["a", "b", "c", "d", "e"] {
        assert_eq!(c.cmd(&["SET", k, "1"]), simple("OK"));
    }
    assert_eq!(c.cmd(&["DEL", "a", "b", "missing"]), int(2));
    assert_eq!(c.cmd(&["DEL", "c", "c"]), int(1));
    assert_eq!(c.cmd(&["UNLINK", "d", "nope"]), int(1));
    assert_eq!(c.cmd(&["DELETE", "e"]), int(1));
    assert_eq!(c.cmd(&["DELETE", "e"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    for name in ["DEL", "UNLINK", "DELETE"] {
        assert_eq!(
            c.cmd(&[name]),
            error(&format!(
                "ERR wrong number of arguments for '{}' command",
                name.to_lowercase()
            ))
        );
    }
}

#[test]
fn exists_and_touch_count_repeats() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    assert_eq!(c.cmd(&["EXISTS", "a", "a", "b", "x"]), int(3));
    assert_eq!(c.cmd(&["EXISTS", "x"]), int(0));
    assert_eq!(c.cmd(&["TOUCH", "a", "x", "b"]), int(2));
    assert_eq!(
        c.cmd(&["EXISTS"]),
        error("ERR wrong number of arguments for 'exists' command")
    );
}

#[test]
fn type_names_and_object_encoding() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "num", "12345"]);
    c.cmd(&["SET", "short", "hello"]);
    c.cmd(&["SET", "long", &"x".repeat(100)]);
    set_doc(&mut c, "doc", b"*2\r\n:1\r\n:2\r\n");
    assert_eq!(c.cmd(&["TYPE", "missing"]), simple("none"));
    assert_eq!(c.cmd(&["TYPE", "num"]), simple("string"));
    assert_eq!(c.cmd(&["TYPE", "short"]), simple("string"));
    assert_eq!(c.cmd(&["TYPE", "doc"]), simple("document"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "num"]), bulk("int"));
    assert_eq!(c.cmd(&["object", "encoding", "short"]), bulk("embstr"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "long"]), bulk("raw"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "doc"]), bulk("document"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "missing"]), Frame::Null);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "num"]), int(1));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING"]),
        error("ERR wrong number of arguments for 'object|encoding' command")
    );
    assert_eq!(
        c.cmd(&["OBJECT", "FOO", "num"]),
        error("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    );
    assert_eq!(
        c.cmd(&["OBJECT"]),
        error("ERR wrong number of arguments for 'object' command")
    );
    let help = strings(&c.cmd(&["OBJECT", "HELP"]));
    assert_eq!(
        help.first().map(String::as_str),
        Some("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(
        help.last().map(String::as_str),
        Some("    Prints this help.")
    );
    assert_eq!(
        c.cmd(&["TYPE"]),
        error("ERR wrong number of arguments for 'type' command")
    );
}

#[test]
fn keys_matches_glob_patterns() {
    let server = start_server();
    let mut c = server.raw();
    for k in ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", ""] {
        assert_eq!(c.cmd(&["SET", k, "v"]), simple("OK"));
    }
    assert_eq!(
        key_set(&c.cmd(&["KEYS", "*"])),
        set_of(&["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", ""])
    );
    assert_eq!(
        key_set(&c.cmd(&["KEYS", "h?llo"])),
        set_of(&["hello", "hallo", "hxllo"])
    );
    assert_eq!(
        key_set(&c.cmd(&["KEYS", "h*llo"])),
        set_of(&["hello", "hallo", "hxllo", "hllo", "heeeello"])
    );
    assert_eq!(
        key_set(&c.cmd(&["KEYS", "h[ae]llo"])),
        set_of(&["hello", "hallo"])
    );
    assert_eq!(
        key_set(&c.cmd(&["KEYS", "h[^e]llo"])),
        set_of(&["hallo", "hxllo"])
    );
    assert_eq!(key_set(&c.cmd(&["KEYS", "h[a-b]llo"])), set_of(&["hallo"]));
    assert_eq!(key_set(&c.cmd(&["KEYS", "a\\*b"])), set_of(&["a*b"]));
    assert_eq!(key_set(&c.cmd(&["KEYS", "HELLO"])), set_of(&[]));
    // Only the pattern `*` itself matches the empty key, as in Redis.
    assert!(!key_set(&c.cmd(&["KEYS", "**"])).contains(""));
    assert_eq!(
        c.cmd(&["KEYS"]),
        error("ERR wrong number of arguments for 'keys' command")
    );
}

#[test]
fn keys_and_scan_skip_keys_whose_ttl_passed() {
    // hz 1: the cron runs once a second, so the dead keys are usually still in the table
    // when KEYS and SCAN look; either way they must not be returned.
    let server = start_server_with(|cfg| cfg.hz = 1);
    let mut c = server.raw();
    for i in 0..50 {
        c.cmd(&["SET", &format!("dead{i}"), "v"]);
        assert_eq!(c.cmd(&["PEXPIRE", &format!("dead{i}"), "20"]), int(1));
    }
    c.cmd(&["SET", "live", "v"]);
    // A sentinel with the same TTL, set last: once it is gone, every dead key's time
    // has passed too. Polling it expires only the sentinel.
    c.cmd(&["SET", "clock", "v"]);
    c.cmd(&["PEXPIRE", "clock", "20"]);
    let start = Instant::now();
    while c.cmd(&["PTTL", "clock"]) != int(-2) {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "clock never expired"
        );
    }
    assert_eq!(key_set(&c.cmd(&["KEYS", "*"])), set_of(&["live"]));
    let scanned = full_scan(&mut c, &["COUNT", "7"]);
    assert_eq!(
        scanned.keys().cloned().collect::<BTreeSet<_>>(),
        set_of(&["live"])
    );
    // SCAN reclaimed the dead keys it met.
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
}

#[test]
fn scan_returns_every_key_with_match_count_and_type() {
    let server = start_server();
    let mut c = server.raw();
    for i in 0..500 {
        c.cmd(&["SET", &format!("key:{i}"), "v"]);
    }
    for i in 0..20 {
        set_doc(&mut c, &format!("doc:{i}"), b"*2\r\n:1\r\n:2\r\n");
    }
    let all = full_scan(&mut c, &[]);
    assert_eq!(all.len(), 520);
    let counted = full_scan(&mut c, &["COUNT", "33"]);
    assert_eq!(counted.len(), 520);
    let matched = full_scan(&mut c, &["MATCH", "key:1*", "COUNT", "50"]);
    let want: BTreeSet<String> = (0..500)
        .map(|i| format!("key:{i}"))
        .filter(|k| k.starts_with("key:1"))
        .collect();
    assert_eq!(matched.keys().cloned().collect::<BTreeSet<_>>(), want);
    let docs = full_scan(&mut c, &["TYPE", "DOCUMENT", "COUNT", "100"]);
    assert_eq!(docs.len(), 20);
    assert!(docs.keys().all(|k| k.starts_with("doc:")));
    let strings_only = full_scan(&mut c, &["type", "string", "match", "*"]);
    assert_eq!(strings_only.len(), 500);
    assert!(full_scan(&mut c, &["TYPE", "list"]).is_empty());
}

#[test]
fn scan_guarantee_holds_while_keys_are_deleted_and_added() {
    let server = start_server();
    let mut c = server.raw();
    for i in 0..300 {
        c.cmd(&["SET", &format!("stable:{i}"), "v"]);
        c.cmd(&["SET", &format!("churn:{i}"), "v"]);
    }
    let mut seen = BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut step = 0;
    loop {
        let Frame::Array(parts) = c.cmd(&["SCAN", &cursor, "COUNT", "10"]) else {
            panic!("bad SCAN reply");
        };
        seen.extend(strings(&parts[1]));
        // Between steps: delete some churn keys and add new ones.
        c.cmd(&["DEL", &format!("churn:{}", step * 7 % 300)]);
        c.cmd(&["SET", &format!("new:{step}"), "v"]);
        step += 1;
        cursor = String::from_utf8(parts[0].as_bytes().unwrap().to_vec()).unwrap();
        if cursor == "0" {
            break;
        }
        assert!(step < 10_000, "SCAN did not finish");
    }
    for i in 0..300 {
        assert!(seen.contains(&format!("stable:{i}")), "stable:{i} missed");
    }
}

#[test]
fn scan_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "k", "v"]);
    for bad in ["abc", " 1", "1 ", "+", "-", "18446744073709551616", "1x"] {
        assert_eq!(
            c.cmd(&["SCAN", bad]),
            error("ERR invalid cursor"),
            "{bad:?}"
        );
    }
    // strtoul accepts a sign and the empty string, as Redis does.
    for ok in ["", "+0", "-0", "18446744073709551615"] {
        assert!(matches!(c.cmd(&["SCAN", ok]), Frame::Array(_)), "{ok:?}");
    }
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "0"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "-1"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SCAN", "0", "COUNT", "x"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT"]), error("ERR syntax error"));
    assert_eq!(c.cmd(&["SCAN", "0", "MATCH"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SCAN", "0", "FOO", "bar"]),
        error("ERR syntax error")
    );
    // The cursor is checked before the options.
    assert_eq!(c.cmd(&["SCAN", "x", "FOO"]), error("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["SCAN"]),
        error("ERR wrong number of arguments for 'scan' command")
    );
}

#[test]
fn randomkey_returns_a_live_key_or_null() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RANDOMKEY"]), Frame::Null);
    let names = ["a", "b", "c"];
    for k in names {
        c.cmd(&["SET", k, "v"]);
    }
    let mut got = BTreeSet::new();
    for _ in 0..200 {
        let reply = c.cmd(&["RANDOMKEY"]);
        got.insert(String::from_utf8(reply.as_bytes().expect("bulk").to_vec()).unwrap());
    }
    assert_eq!(got, set_of(&names));
    assert_eq!(
        c.cmd(&["RANDOMKEY", "x"]),
        error("ERR wrong number of arguments for 'randomkey' command")
    );
}

#[test]
fn rename_and_renamenx() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RENAME", "nokey", "x"]), error("ERR no such key"));
    assert_eq!(c.cmd(&["RENAMENX", "nokey", "x"]), error("ERR no such key"));
    assert_eq!(
        c.cmd(&["RENAME", "nokey", "nokey"]),
        error("ERR no such key")
    );
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["RENAME", "a", "a"]), simple("OK"));
    assert_eq!(c.cmd(&["RENAMENX", "a", "a"]), int(0));
    assert_eq!(c.cmd(&["GET", "a"]), bulk("1"));

    // RENAME keeps the TTL and overwrites the destination (and drops the latter's TTL).
    assert_eq!(c.cmd(&["EXPIRE", "a", "100"]), int(1));
    c.cmd(&["SET", "b", "old"]);
    assert_eq!(c.cmd(&["RENAME", "a", "b"]), simple("OK"));
    assert_eq!(c.cmd(&["EXISTS", "a"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), bulk("1"));
    let Frame::Integer(ttl) = c.cmd(&["TTL", "b"]) else {
        panic!("TTL");
    };
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    c.cmd(&["SET", "c", "3"]);
    c.cmd(&["EXPIRE", "c", "100"]);
    assert_eq!(c.cmd(&["RENAME", "b", "c"]), simple("OK"));
    c.cmd(&["PERSIST", "c"]);
    c.cmd(&["SET", "d", "4"]);
    assert_eq!(c.cmd(&["RENAME", "d", "c"]), simple("OK"));
    assert_eq!(c.cmd(&["TTL", "c"]), int(-1));

    assert_eq!(c.cmd(&["SET", "e", "5"]), simple("OK"));
    assert_eq!(c.cmd(&["RENAMENX", "e", "c"]), int(0));
    assert_eq!(c.cmd(&["GET", "c"]), bulk("4"));
    assert_eq!(c.cmd(&["RENAMENX", "e", "f"]), int(1));
    assert_eq!(c.cmd(&["GET", "f"]), bulk("5"));
    assert_eq!(c.cmd(&["EXISTS", "e"]), int(0));
    assert_eq!(
        c.cmd(&["RENAME", "f"]),
        error("ERR wrong number of arguments for 'rename' command")
    );
}

#[test]
fn flush_commands() {
    let server = start_server();
    let mut c = server.raw();
    for i in 0..5 {
        c.cmd(&["SET", &format!("k{i}"), "v"]);
    }
    assert_eq!(c.cmd(&["FLUSH"]), int(5));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["FLUSH"]), int(0));
    assert_eq!(
        c.cmd(&["FLUSH", "x"]),
        error("ERR wrong number of arguments for 'flush' command")
    );

    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["SELECT", "1"]), simple("OK"));
    c.cmd(&["SET", "b", "1"]);
    assert_eq!(c.cmd(&["FLUSHDB", "SYNC"]), simple("OK"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["FLUSHDB", "async"]), simple("OK"));
    assert_eq!(c.cmd(&["FLUSHDB"]), simple("OK"));
    assert_eq!(c.cmd(&["FLUSHDB", "now"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["FLUSHDB", "sync", "async"]),
        error("ERR syntax error")
    );

    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "b", "1"]);
    assert_eq!(c.cmd(&["FLUSHALL", "x"]), error("ERR syntax error"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), simple("OK"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SELECT", "0"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["FLUSHALL"]), simple("OK"));
}

#[test]
fn swapdb_swaps_contents() {
    let server = start_server();
    let mut c = server.raw();
    let mut other = server.raw();
    c.cmd(&["SET", "in0", "zero"]);
    other.cmd(&["SELECT", "1"]);
    other.cmd(&["SET", "in1", "one"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "in1"]), bulk("one"));
    assert_eq!(other.cmd(&["GET", "in0"]), bulk("zero"));
    assert_eq!(c.cmd(&["SWAPDB", "0", "0"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "in1"]), bulk("one"));
    assert_eq!(
        c.cmd(&["SWAPDB", "x", "1"]),
        error("ERR invalid first DB index")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "4294967296"]),
        error("ERR invalid second DB index")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "16"]),
        error("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "-1", "0"]),
        error("ERR DB index is out of range")
    );
}

#[test]
fn generic_commands_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    for k in ["r1", "r2", "r3"] {
        let _: () = redis::cmd("SET").arg(k).arg("v").query(&mut con).unwrap();
    }
    let n: i64 = redis::cmd("EXISTS")
        .arg("r1")
        .arg("r2")
        .arg("zz")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 2);
    let mut keys: Vec<String> = redis::cmd("KEYS").arg("r*").query(&mut con).unwrap();
    keys.sort();
    assert_eq!(keys, ["r1", "r2", "r3"]);
    let (cursor, page): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("COUNT")
        .arg(1000)
        .query(&mut con)
        .unwrap();
    assert_eq!((cursor, page.len()), (0, 3));
    let t: String = redis::cmd("TYPE").arg("r1").query(&mut con).unwrap();
    assert_eq!(t, "string");
    let removed: i64 = redis::cmd("DELETE").arg("r1").query(&mut con).unwrap();
    assert_eq!(removed, 1);
    let removed: i64 = redis::cmd("DEL")
        .arg("r2")
        .arg("r1")
        .query(&mut con)
        .unwrap();
    assert_eq!(removed, 1);
    let err = redis::cmd("RENAME")
        .arg("r1")
        .arg("x")
        .query::<()>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("no such key"), "{err}");
    let flushed: i64 = redis::cmd("FLUSH").query(&mut con).unwrap();
    assert_eq!(flushed, 1);
}
