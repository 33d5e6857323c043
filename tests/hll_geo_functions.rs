//! HyperLogLog, geo and functions through real clients: the `redis` crate against
//! rudis, and side by side with a real `redis-server` 7.0 (HLL strings moved both
//! ways with GET/SET and DUMP/RESTORE, geo replies compared byte for byte, a FUNCTION
//! DUMP restored), and a function library surviving restarts (snapshot and AOF).
//!
//! The comparisons need `redis-server` on PATH (CI installs it);
//! `RUDIS_SKIP_REDIS_INTEROP=1` skips them where it is missing.

mod common;

use std::path::Path;

use common::binary;
use common::real_redis::Redis;
use common::*;
use redis::{Connection, Value};

fn have_redis() -> bool {
    common::real_redis::have(&["redis-server"])
}

/// A redis-server in a scratch directory.
fn real_redis(tag: &str) -> Redis {
    Redis::start(&scratch_dir(tag), "dump.rdb")
}

fn run(con: &mut Connection, args: &[&str]) -> Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
        .unwrap_or_else(|e| Value::SimpleString(format!("ERR: {e}")))
}

fn pfcount(con: &mut Connection, key: &str) -> i64 {
    redis::cmd("PFCOUNT").arg(key).query(con).expect("pfcount")
}

#[test]
fn hyperloglog_counts_merges_and_detects_corruption() {
    let server = start_server();
    let mut c = server.redis();
    let added: i64 = redis::cmd("PFADD")
        .arg("h")
        .arg(&["a", "b", "c"])
        .query(&mut c)
        .unwrap();
    assert_eq!(added, 1);
    let again: i64 = redis::cmd("PFADD").arg("h").arg("a").query(&mut c).unwrap();
    assert_eq!(again, 0);
    assert_eq!(pfcount(&mut c, "h"), 3);
    let elements: Vec<String> = (0..20_000).map(|i| format!("e{i}")).collect();
    let _: i64 = redis::cmd("PFADD")
        .arg("big")
        .arg(&elements)
        .query(&mut c)
        .unwrap();
    let n = pfcount(&mut c, "big");
    assert!((19_000..21_000).contains(&n), "{n}");
    let enc: String = redis::cmd("PFDEBUG")
        .arg("ENCODING")
        .arg("big")
        .query(&mut c)
        .unwrap();
    assert_eq!(enc, "dense");
    let _: () = redis::cmd("PFMERGE")
        .arg("u")
        .arg("h")
        .arg("big")
        .query(&mut c)
        .unwrap();
    let u: i64 = redis::cmd("PFCOUNT")
        .arg("h")
        .arg("big")
        .query(&mut c)
        .unwrap();
    assert_eq!(pfcount(&mut c, "u"), u);
    // A string that is not an HLL, then a corrupted one.
    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("hello")
        .query(&mut c)
        .unwrap();
    let e = redis::cmd("PFADD")
        .arg("s")
        .arg("x")
        .query::<i64>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("not a valid HyperLogLog"), "{e}");
    let _: i64 = redis::cmd("PFADD")
        .arg("c")
        .arg(&["1", "2", "3"])
        .query(&mut c)
        .unwrap();
    let _: i64 = redis::cmd("APPEND")
        .arg("c")
        .arg("hello")
        .query(&mut c)
        .unwrap();
    let e = redis::cmd("PFCOUNT")
        .arg("c")
        .query::<i64>(&mut c)
        .unwrap_err();
    assert!(
        e.to_string().contains("Corrupted HLL object detected"),
        "{e}"
    );
}

#[test]
fn hll_strings_move_between_redis_and_rudis() {
    if !have_redis() {
        return;
    }
    let real = real_redis("hlldump");
    let mut r = real.con();
    let server = start_server();
    let mut c = server.redis();
    for (key, n) in [("small", 50), ("large", 5000)] {
        let elements: Vec<String> = (0..n).map(|i| format!("{key}-{i}")).collect();
        let _: i64 = redis::cmd("PFADD")
            .arg(key)
            .arg(&elements)
            .query(&mut r)
            .unwrap();
        let _: i64 = redis::cmd("PFADD")
            .arg(key)
            .arg(&elements)
            .query(&mut c)
            .unwrap();
        // Same elements, same bytes: the representation is Redis's.
        let theirs: Vec<u8> = redis::cmd("GET").arg(key).query(&mut r).unwrap();
        let ours: Vec<u8> = redis::cmd("GET").arg(key).query(&mut c).unwrap();
        assert_eq!(theirs, ours, "{key}");
        // Redis's string counted here, ours counted there.
        let _: () = redis::cmd("SET")
            .arg("from_redis")
            .arg(&theirs)
            .query(&mut c)
            .unwrap();
        assert_eq!(pfcount(&mut c, "from_redis"), pfcount(&mut r, key));
        let _: () = redis::cmd("SET")
            .arg("from_rudis")
            .arg(&ours)
            .query(&mut r)
            .unwrap();
        assert_eq!(pfcount(&mut r, "from_rudis"), pfcount(&mut c, key));
        // DUMP / RESTORE both ways.
        let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(&mut r).unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg("restored")
            .arg(0)
            .arg(&payload)
            .arg("REPLACE")
            .query(&mut c)
            .unwrap();
        assert_eq!(pfcount(&mut c, "restored"), pfcount(&mut r, key));
        let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(&mut c).unwrap();
        let _: () = redis::cmd("RESTORE")
            .arg("restored")
            .arg(0)
            .arg(&payload)
            .arg("REPLACE")
            .query(&mut r)
            .unwrap();
        assert_eq!(pfcount(&mut r, "restored"), pfcount(&mut c, key));
    }
}

#[test]
fn geo_replies_match_redis_byte_for_byte() {
    if !have_redis() {
        return;
    }
    let real = real_redis("geo");
    let mut r = real.con();
    let server = start_server();
    let mut c = server.redis();
    let setup: &[&[&str]] = &[
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
        &[
            "GEOADD",
            "Sicily",
            "CH",
            "13.5",
            "38.0",
            "Palermo",
            "12.758489",
            "38.788135",
            "edge1",
            "17.241510",
            "38.788135",
            "edge2",
        ],
        &[
            "GEOADD",
            "Sicily",
            "NX",
            "0",
            "0",
            "Palermo",
            "-122.27652",
            "37.805186",
            "oakland",
        ],
        &[
            "GEOADD",
            "world",
            "-73.9454966",
            "40.747533",
            "nyc",
            "2.3522",
            "48.8566",
            "paris",
            "139.6917",
            "35.6895",
            "tokyo",
            "-0.1276",
            "51.5072",
            "london",
        ],
    ];
    let queries: &[&[&str]] = &[
        &["GEOPOS", "Sicily", "Palermo", "Catania", "missing"],
        &["GEODIST", "Sicily", "Palermo", "Catania"],
        &["GEODIST", "Sicily", "Palermo", "Catania", "km"],
        &["GEODIST", "world", "nyc", "tokyo", "mi"],
        &["GEOHASH", "Sicily", "Palermo", "Catania", "edge1"],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "ASC",
            "WITHCOORD",
            "WITHDIST",
            "WITHHASH",
        ],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMMEMBER",
            "Palermo",
            "BYBOX",
            "400",
            "400",
            "km",
            "DESC",
            "WITHDIST",
        ],
        &[
            "GEOSEARCH",
            "world",
            "FROMLONLAT",
            "0",
            "50",
            "BYRADIUS",
            "1000",
            "km",
            "COUNT",
            "1",
            "ANY",
        ],
        &[
            "GEORADIUS",
            "world",
            "0",
            "50",
            "10000",
            "km",
            "WITHDIST",
            "COUNT",
            "3",
        ],
        &[
            "GEORADIUSBYMEMBER_RO",
            "world",
            "paris",
            "500",
            "km",
            "WITHCOORD",
        ],
        &[
            "GEOSEARCHSTORE",
            "dst",
            "world",
            "FROMMEMBER",
            "london",
            "BYRADIUS",
            "5000",
            "km",
            "STOREDIST",
        ],
        &["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "200",
            "100",
            "BYRADIUS",
            "1",
            "m",
        ],
        &["GEOSEARCH", "Sicily", "BYRADIUS", "1", "m"],
    ];
    for cmd in setup.iter().chain(queries) {
        assert_eq!(run(&mut c, cmd), run(&mut r, cmd), "{cmd:?}");
    }
}

const LIBRARY: &str = "#!lua name=mylib\n\
    local function key_of(keys) return keys[1] end\n\
    redis.register_function('myset', function(keys, args) return redis.call('SET', key_of(keys), args[1]) end)\n\
    redis.register_function{function_name='myget', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}";

#[test]
fn functions_load_call_list_and_refuse_as_redis() {
    let server = start_server();
    let mut c = server.redis();
    let name: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(LIBRARY)
        .query(&mut c)
        .unwrap();
    assert_eq!(name, "mylib");
    let _: () = redis::cmd("FCALL")
        .arg("myset")
        .arg(1)
        .arg("k")
        .arg("v")
        .query(&mut c)
        .unwrap();
    let v: String = redis::cmd("FCALL_RO")
        .arg("MYGET")
        .arg(1)
        .arg("k")
        .query(&mut c)
        .unwrap();
    assert_eq!(v, "v");
    let e = redis::cmd("FCALL_RO")
        .arg("myset")
        .arg(1)
        .arg("k")
        .arg("v")
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Can not execute a script with write flag using *_ro command"),
        "{e}"
    );
    let e = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(LIBRARY)
        .query::<String>(&mut c)
        .unwrap_err();
    assert!(
        e.to_string().contains("Library 'mylib' already exists"),
        "{e}"
    );
    let list = run(&mut c, &["FUNCTION", "LIST", "LIBRARYNAME", "my*"]);
    let text = format!("{list:?}");
    assert!(
        text.contains("myget") && text.contains("no-writes") && text.contains("reads"),
        "{text}"
    );
    let _: () = redis::cmd("FUNCTION")
        .arg("DELETE")
        .arg("mylib")
        .query(&mut c)
        .unwrap();
    let e = redis::cmd("FCALL")
        .arg("myset")
        .arg(0)
        .query::<()>(&mut c)
        .unwrap_err();
    assert!(e.to_string().contains("Function not found"), "{e}");
}

#[test]
fn a_function_dump_moves_between_redis_and_rudis() {
    if !have_redis() {
        return;
    }
    let real = real_redis("fndump");
    let mut r = real.con();
    let server = start_server();
    let mut c = server.redis();
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(LIBRARY)
        .query(&mut r)
        .unwrap();
    let payload: Vec<u8> = redis::cmd("FUNCTION").arg("DUMP").query(&mut r).unwrap();
    let _: () = redis::cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&payload)
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("FCALL")
        .arg("myset")
        .arg(1)
        .arg("k")
        .arg("from-redis")
        .query(&mut c)
        .unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "from-redis");
    // And ours restores in Redis.
    let _: () = redis::cmd("FUNCTION").arg("FLUSH").query(&mut r).unwrap();
    let payload: Vec<u8> = redis::cmd("FUNCTION").arg("DUMP").query(&mut c).unwrap();
    let _: () = redis::cmd("FUNCTION")
        .arg("RESTORE")
        .arg(&payload)
        .query(&mut r)
        .unwrap();
    let _: () = redis::cmd("FCALL")
        .arg("myset")
        .arg(1)
        .arg("k")
        .arg("from-rudis")
        .query(&mut r)
        .unwrap();
    let v: String = redis::cmd("GET").arg("k").query(&mut r).unwrap();
    assert_eq!(v, "from-rudis");
}

fn call_myget(server: &binary::Binary) -> Frame {
    let mut c = server.raw();
    c.cmd(&["SET", "k", "kept"]);
    c.cmd(&["FCALL_RO", "myget", "1", "k"])
}

fn load_library(server: &binary::Binary) {
    let mut c = server.raw();
    assert_eq!(text(&c.cmd(&["FUNCTION", "LOAD", LIBRARY])), "mylib");
}

fn dir_arg(dir: &Path) -> &str {
    dir.to_str().expect("utf-8")
}

#[test]
fn a_function_library_survives_restarts_in_the_snapshot_the_rdb_and_the_aof() {
    for (tag, args) in [
        (
            "snapshot",
            &["--appendonly", "no", "--snapshot-format", "rudis"][..],
        ),
        (
            "rdb",
            &["--appendonly", "no", "--snapshot-format", "redis"][..],
        ),
        ("aof", &["--appendonly", "yes"][..]),
    ] {
        let dir = scratch_dir(&format!("functions-restart-{tag}"));
        let base = ["--port", "0", "--dir", dir_arg(&dir)];
        let server = binary::start(&[&base[..], args].concat());
        load_library(&server);
        if tag != "aof" {
            let mut c = server.raw();
            assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
        }
        drop(server);
        let again = binary::start(&[&base[..], args].concat());
        assert_eq!(text(&call_myget(&again)), "kept", "{tag}");
        if tag == "aof" {
            // A rewrite keeps it too.
            let mut c = again.raw();
            c.cmd(&["BGREWRITEAOF"]);
            again.wait_log("Background AOF rewrite finished successfully");
            drop(again);
            let third = binary::start(&[&base[..], args].concat());
            assert_eq!(text(&call_myget(&third)), "kept", "aof rewrite");
        }
    }
}

use rudis::protocol::Frame;
