//! Every write command reaches the one write path (issue 10, point 3): for each command
//! the server flags `write`, a sample invocation must invalidate a WATCH on the key it
//! writes and publish a keyspace event for it, unless Redis 7.0 itself does not (the
//! [`EXCEPTIONS`], each with its reason).
//!
//! The list of write commands comes from the server (`COMMAND`, flags containing
//! `write`, subcommands included), so a new write command without a sample in
//! [`SAMPLES`] fails the test.
//!
//! Set `WRITE_PATH_ADDR=127.0.0.1:<port>` to run the same samples against another
//! server (e.g. a Redis 7.0 started by hand) and check the expectations there; the
//! commands it has and this table lacks are then only printed.
mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use common::*;
use rudis::protocol::Frame;

/// One write command exercised: set-up commands (run first, their events ignored),
/// then the write, and the key (of database 0) it writes.
struct Sample {
    /// The command's name as COMMAND reports it (`parent|sub` for a subcommand).
    name: &'static str,
    setup: &'static [&'static [&'static str]],
    write: &'static [&'static str],
    key: &'static str,
}

/// A sample writing key `k` after `setup`.
const fn s(
    name: &'static str,
    setup: &'static [&'static [&'static str]],
    write: &'static [&'static str],
) -> Sample {
    Sample {
        name,
        setup,
        write,
        key: "k",
    }
}

/// A sample writing key `key` (a destination) after `setup`.
const fn to(
    name: &'static str,
    setup: &'static [&'static [&'static str]],
    write: &'static [&'static str],
    key: &'static str,
) -> Sample {
    Sample {
        name,
        setup,
        write,
        key,
    }
}

const STR: &[&[&str]] = &[&["SET", "k", "v"]];
const NUM: &[&[&str]] = &[&["SET", "k", "10"]];
const TTL: &[&[&str]] = &[&["SET", "k", "v", "EX", "100"]];
const LIST: &[&[&str]] = &[&["RPUSH", "k", "a", "b", "c"]];
const SET: &[&[&str]] = &[&["SADD", "k", "a", "b", "c"]];
const SETS: &[&[&str]] = &[&["SADD", "s1", "a", "b"], &["SADD", "s2", "b", "c"]];
const HASH: &[&[&str]] = &[&["HSET", "k", "f", "1", "g", "2"]];
const ZSET: &[&[&str]] = &[&["ZADD", "k", "1", "a", "2", "b", "3", "c"]];
const ZSETS: &[&[&str]] = &[
    &["ZADD", "z1", "1", "a", "2", "b"],
    &["ZADD", "z2", "1", "b"],
];
const NONE: &[&[&str]] = &[];
const STREAM: &[&[&str]] = &[
    &["XADD", "k", "1-0", "f", "v"],
    &["XADD", "k", "2-0", "f", "v"],
];
const GROUPED: &[&[&str]] = &[
    &["XADD", "k", "1-0", "f", "v"],
    &["XGROUP", "CREATE", "k", "g", "0"],
    &["XGROUP", "CREATECONSUMER", "k", "g", "c"],
];
const PENDING: &[&[&str]] = &[
    &["XADD", "k", "1-0", "f", "v"],
    &["XGROUP", "CREATE", "k", "g", "0"],
    &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"],
];
/// `DUMP` of the string `aam`: type 0, length 3, the bytes, RDB version 10, CRC-64.
const AAM_PAYLOAD: &str = "\x00\x03aam\n\x00\x0b\x12d\x1c\x12<\x1aB";

/// One sample invocation per write command.
const SAMPLES: &[Sample] = &[
    // Strings.
    s("append", STR, &["APPEND", "k", "x"]),
    s("bitfield", NONE, &["BITFIELD", "k", "SET", "u8", "0", "1"]),
    to(
        "bitop",
        &[&["SET", "a", "x"]],
        &["BITOP", "NOT", "k", "a"],
        "k",
    ),
    s("decr", NUM, &["DECR", "k"]),
    s("decrby", NUM, &["DECRBY", "k", "2"]),
    s("getdel", STR, &["GETDEL", "k"]),
    s("getex", STR, &["GETEX", "k", "EX", "100"]),
    s("getset", STR, &["GETSET", "k", "w"]),
    s("incr", NUM, &["INCR", "k"]),
    s("incrby", NUM, &["INCRBY", "k", "2"]),
    s("incrbyfloat", NUM, &["INCRBYFLOAT", "k", "1.5"]),
    s("mset", NONE, &["MSET", "k", "1", "other", "2"]),
    s("msetnx", NONE, &["MSETNX", "k", "1", "other", "2"]),
    s("psetex", NONE, &["PSETEX", "k", "100000", "v"]),
    s("set", NONE, &["SET", "k", "v"]),
    s("setbit", NONE, &["SETBIT", "k", "7", "1"]),
    s("setex", NONE, &["SETEX", "k", "100", "v"]),
    s("setnx", NONE, &["SETNX", "k", "v"]),
    s("setrange", STR, &["SETRANGE", "k", "1", "xyz"]),
    // Keyspace.
    to("copy", STR, &["COPY", "k", "d"], "d"),
    s("del", STR, &["DEL", "k"]),
    s("delete", STR, &["DELETE", "k"]),
    s("expire", STR, &["EXPIRE", "k", "100"]),
    s("expireat", STR, &["EXPIREAT", "k", "99999999999"]),
    s("move", STR, &["MOVE", "k", "1"]),
    // A missing key: NOKEY before any connection (a sample has no target to send to).
    s(
        "migrate",
        NONE,
        &["MIGRATE", "127.0.0.1", "1", "k", "0", "100"],
    ),
    s("persist", TTL, &["PERSIST", "k"]),
    s("pexpire", STR, &["PEXPIRE", "k", "100000"]),
    s("pexpireat", STR, &["PEXPIREAT", "k", "99999999999999"]),
    // DUMP of the string "aam" (RDB 10, CRC-64): a payload that is all ASCII.
    s("restore", NONE, &["RESTORE", "k", "0", AAM_PAYLOAD]),
    s(
        "restore-asking",
        STR,
        &["RESTORE-ASKING", "k", "0", AAM_PAYLOAD, "REPLACE"],
    ),
    s("rename", STR, &["RENAME", "k", "d"]),
    s("renamenx", STR, &["RENAMENX", "k", "d"]),
    to("sort", LIST, &["SORT", "k", "ALPHA", "STORE", "d"], "d"),
    s("unlink", STR, &["UNLINK", "k"]),
    // Server: the whole-database writes (see EXCEPTIONS).
    s("flush", STR, &["FLUSH"]),
    s("flushall", STR, &["FLUSHALL"]),
    s("flushdb", STR, &["FLUSHDB"]),
    s("swapdb", STR, &["SWAPDB", "0", "1"]),
    // Lists.
    s("blmove", LIST, &["BLMOVE", "k", "d", "LEFT", "RIGHT", "0"]),
    s("blmpop", LIST, &["BLMPOP", "0", "1", "k", "LEFT"]),
    s("blpop", LIST, &["BLPOP", "k", "0"]),
    s("brpop", LIST, &["BRPOP", "k", "0"]),
    s("brpoplpush", LIST, &["BRPOPLPUSH", "k", "d", "0"]),
    s("linsert", LIST, &["LINSERT", "k", "BEFORE", "b", "x"]),
    s("lmove", LIST, &["LMOVE", "k", "d", "LEFT", "RIGHT"]),
    s("lmpop", LIST, &["LMPOP", "1", "k", "LEFT"]),
    s("lpop", LIST, &["LPOP", "k"]),
    s("lpush", NONE, &["LPUSH", "k", "a"]),
    s("lpushx", LIST, &["LPUSHX", "k", "a"]),
    s("lrem", LIST, &["LREM", "k", "0", "a"]),
    s("lset", LIST, &["LSET", "k", "0", "x"]),
    s("ltrim", LIST, &["LTRIM", "k", "0", "1"]),
    s("rpop", LIST, &["RPOP", "k"]),
    s("rpoplpush", LIST, &["RPOPLPUSH", "k", "d"]),
    s("rpush", NONE, &["RPUSH", "k", "a"]),
    s("rpushx", LIST, &["RPUSHX", "k", "a"]),
    // Hashes.
    s("hdel", HASH, &["HDEL", "k", "f"]),
    s("hincrby", HASH, &["HINCRBY", "k", "f", "2"]),
    s("hincrbyfloat", HASH, &["HINCRBYFLOAT", "k", "f", "0.5"]),
    s("hmset", NONE, &["HMSET", "k", "f", "1"]),
    s("hset", NONE, &["HSET", "k", "f", "1"]),
    s("hsetnx", NONE, &["HSETNX", "k", "f", "1"]),
    // Sets.
    s("sadd", NONE, &["SADD", "k", "a"]),
    to("sdiffstore", SETS, &["SDIFFSTORE", "k", "s1", "s2"], "k"),
    to("sinterstore", SETS, &["SINTERSTORE", "k", "s1", "s2"], "k"),
    s("smove", SET, &["SMOVE", "k", "d", "a"]),
    s("spop", SET, &["SPOP", "k"]),
    s("srem", SET, &["SREM", "k", "a"]),
    to("sunionstore", SETS, &["SUNIONSTORE", "k", "s1", "s2"], "k"),
    // Sorted sets.
    s("bzmpop", ZSET, &["BZMPOP", "0", "1", "k", "MIN"]),
    s("bzpopmax", ZSET, &["BZPOPMAX", "k", "0"]),
    s("bzpopmin", ZSET, &["BZPOPMIN", "k", "0"]),
    s("zadd", NONE, &["ZADD", "k", "1", "a"]),
    to(
        "zdiffstore",
        ZSETS,
        &["ZDIFFSTORE", "k", "2", "z1", "z2"],
        "k",
    ),
    s("zincrby", ZSET, &["ZINCRBY", "k", "2", "a"]),
    to(
        "zinterstore",
        ZSETS,
        &["ZINTERSTORE", "k", "2", "z1", "z2"],
        "k",
    ),
    s("zmpop", ZSET, &["ZMPOP", "1", "k", "MAX"]),
    s("zpopmax", ZSET, &["ZPOPMAX", "k"]),
    s("zpopmin", ZSET, &["ZPOPMIN", "k"]),
    to(
        "zrangestore",
        ZSET,
        &["ZRANGESTORE", "d", "k", "0", "1"],
        "d",
    ),
    s("zrem", ZSET, &["ZREM", "k", "a"]),
    s("zremrangebylex", ZSET, &["ZREMRANGEBYLEX", "k", "-", "+"]),
    s("zremrangebyrank", ZSET, &["ZREMRANGEBYRANK", "k", "0", "0"]),
    s(
        "zremrangebyscore",
        ZSET,
        &["ZREMRANGEBYSCORE", "k", "1", "1"],
    ),
    to(
        "zunionstore",
        ZSETS,
        &["ZUNIONSTORE", "k", "2", "z1", "z2"],
        "k",
    ),
    // Streams.
    s("xadd", NONE, &["XADD", "k", "*", "f", "v"]),
    s("xtrim", STREAM, &["XTRIM", "k", "MAXLEN", "0"]),
    s("xdel", STREAM, &["XDEL", "k", "1-0"]),
    s("xsetid", STREAM, &["XSETID", "k", "5-0"]),
    s(
        "xgroup|create",
        STREAM,
        &["XGROUP", "CREATE", "k", "g", "0"],
    ),
    s("xgroup|setid", GROUPED, &["XGROUP", "SETID", "k", "g", "0"]),
    s("xgroup|destroy", GROUPED, &["XGROUP", "DESTROY", "k", "g"]),
    s(
        "xgroup|createconsumer",
        GROUPED,
        &["XGROUP", "CREATECONSUMER", "k", "g", "d"],
    ),
    s(
        "xgroup|delconsumer",
        GROUPED,
        &["XGROUP", "DELCONSUMER", "k", "g", "c"],
    ),
    s(
        "xreadgroup",
        GROUPED,
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"],
    ),
    s("xack", PENDING, &["XACK", "k", "g", "1-0"]),
    s("xclaim", PENDING, &["XCLAIM", "k", "g", "c", "0", "1-0"]),
    s(
        "xautoclaim",
        PENDING,
        &["XAUTOCLAIM", "k", "g", "c", "0", "0"],
    ),
    // HyperLogLog.
    s("pfadd", NONE, &["PFADD", "k", "a"]),
    to(
        "pfmerge",
        &[&["PFADD", "h", "a"]],
        &["PFMERGE", "k", "h"],
        "k",
    ),
    s(
        "pfdebug",
        &[&["PFADD", "k", "a"]],
        &["PFDEBUG", "TODENSE", "k"],
    ),
    // Geo.
    s(
        "geoadd",
        NONE,
        &["GEOADD", "k", "13.36", "38.11", "Palermo"],
    ),
    to(
        "geosearchstore",
        &[&["GEOADD", "g", "13.36", "38.11", "Palermo"]],
        &[
            "GEOSEARCHSTORE",
            "k",
            "g",
            "FROMLONLAT",
            "13",
            "38",
            "BYRADIUS",
            "100",
            "km",
        ],
        "k",
    ),
    to(
        "georadius",
        &[&["GEOADD", "g", "13.36", "38.11", "Palermo"]],
        &["GEORADIUS", "g", "13", "38", "100", "km", "STORE", "k"],
        "k",
    ),
    to(
        "georadiusbymember",
        &[&["GEOADD", "g", "13.36", "38.11", "Palermo"]],
        &[
            "GEORADIUSBYMEMBER",
            "g",
            "Palermo",
            "100",
            "km",
            "STOREDIST",
            "k",
        ],
        "k",
    ),
    // Functions.
    s(
        "function|load",
        NONE,
        &["FUNCTION", "LOAD", "REPLACE", WP_LIBRARY],
    ),
    s(
        "function|delete",
        &[&["FUNCTION", "LOAD", "REPLACE", WP_LIBRARY]],
        &["FUNCTION", "DELETE", "wp"],
    ),
    s("function|flush", NONE, &["FUNCTION", "FLUSH"]),
    s(
        "function|restore",
        &[&["FUNCTION", "FLUSH"]],
        &["FUNCTION", "RESTORE", EMPTY_FUNCTIONS_PAYLOAD],
    ),
];

/// A function library for the FUNCTION samples.
const WP_LIBRARY: &str = "#!lua name=wp\nredis.register_function('wp', function() return 1 end)";
/// Stands for the payload of FUNCTION DUMP with no library (not UTF-8, so it cannot
/// be a `&str`): [`run_sample`] sends the real bytes in its place.
const EMPTY_FUNCTIONS_PAYLOAD: &str = "<empty FUNCTION DUMP payload>";

/// What Redis 7.0 does differently from "a keyspace event for the key, and WATCH
/// invalidated": (command, publishes an event for the key, invalidates WATCH, why).
const EXCEPTIONS: &[(&str, bool, bool, &str)] = &[
    (
        "migrate",
        false,
        false,
        "the sample migrates a missing key (NOKEY: nothing written); tests/migrate.rs checks that a migrated key's deletion publishes del and touches WATCH",
    ),
    (
        "flushall",
        false,
        true,
        "a flush publishes no per-key event (Redis's flushallCommand), but touches watched keys that existed",
    ),
    (
        "flushdb",
        false,
        true,
        "a flush publishes no per-key event (Redis's flushdbCommand), but touches watched keys that existed",
    ),
    (
        "flush",
        false,
        true,
        "rudis's FLUSH is FLUSHDB returning the count: no per-key event, watched keys touched",
    ),
    (
        "swapdb",
        false,
        true,
        "SWAPDB publishes no per-key event, but touches watched keys present in either database",
    ),
    (
        "xsetid",
        true,
        false,
        "Redis's xsetidCommand calls no signalModifiedKey",
    ),
    (
        "xgroup|create",
        true,
        false,
        "a group on an existing stream: no signalModifiedKey",
    ),
    (
        "xgroup|setid",
        true,
        false,
        "group state only: no signalModifiedKey",
    ),
    (
        "xgroup|destroy",
        true,
        false,
        "group state only: no signalModifiedKey",
    ),
    (
        "xgroup|createconsumer",
        true,
        false,
        "group state only: no signalModifiedKey",
    ),
    (
        "xgroup|delconsumer",
        true,
        false,
        "group state only: no signalModifiedKey",
    ),
    (
        "xreadgroup",
        false,
        false,
        "a group read: no event (its consumer exists), no signalModifiedKey",
    ),
    (
        "xack",
        false,
        false,
        "Redis's xackCommand neither notifies nor signals",
    ),
    (
        "xclaim",
        false,
        false,
        "Redis's xclaimCommand neither notifies nor signals",
    ),
    (
        "xautoclaim",
        false,
        false,
        "Redis's xautoclaimCommand neither notifies nor signals",
    ),
    (
        "pfdebug",
        false,
        false,
        "PFDEBUG's encoding change only counts as dirty (Redis's pfdebugCommand): no event, no signal",
    ),
    (
        "function|load",
        false,
        false,
        "functions are not keys: no keyspace event, no watched key touched",
    ),
    (
        "function|delete",
        false,
        false,
        "functions are not keys: no keyspace event, no watched key touched",
    ),
    (
        "function|flush",
        false,
        false,
        "functions are not keys: no keyspace event, no watched key touched",
    ),
    (
        "function|restore",
        false,
        false,
        "functions are not keys: no keyspace event, no watched key touched",
    ),
];

/// The names of the commands `c`'s server flags `write`, subcommands as `parent|sub`.
fn write_commands(c: &mut Raw) -> BTreeSet<String> {
    let Frame::Array(entries) = c.cmd(&["COMMAND"]) else {
        panic!("COMMAND did not return an array");
    };
    let mut out = BTreeSet::new();
    collect_writes(&entries, &mut out);
    out
}

/// Adds the write-flagged commands among COMMAND `entries` (and their subcommands).
fn collect_writes(entries: &[Frame], out: &mut BTreeSet<String>) {
    for entry in entries {
        let Frame::Array(info) = entry else {
            continue;
        };
        let name = match info.first() {
            Some(Frame::Bulk(name)) => String::from_utf8_lossy(name).to_lowercase(),
            other => panic!("COMMAND entry without a name: {other:?}"),
        };
        let flags = match info.get(2) {
            Some(Frame::Array(flags) | Frame::Set(flags)) => flags.as_slice(),
            _ => &[],
        };
        if flags
            .iter()
            .any(|f| matches!(f, Frame::Simple(f) if f == "write"))
        {
            out.insert(name);
        }
        if let Some(Frame::Array(subs)) = info.get(9) {
            collect_writes(subs, out);
        }
    }
}

/// The marker channel that closes each batch of events.
const MARKER: &str = "write-path-marker";

/// Reads `sub`'s messages up to the marker `token`; returns the keyspace channels seen.
fn events_until(sub: &mut Raw, token: &str) -> Vec<String> {
    let mut channels = Vec::new();
    loop {
        let Frame::Array(parts) = sub.read_frame() else {
            panic!("subscriber read a non-array");
        };
        match parts.as_slice() {
            [kind, _pattern, channel, _event] if *kind == bulk("pmessage") => {
                channels.push(text(channel));
            }
            [kind, channel, message] if *kind == bulk("message") => {
                assert_eq!(text(channel), MARKER);
                if text(message) == token {
                    return channels;
                }
            }
            other => panic!("unexpected push {other:?}"),
        }
    }
}

/// Sends `args` on `c` and fails on an error reply.
fn ok(c: &mut Raw, args: &[&str]) -> Frame {
    let reply = c.cmd(args);
    assert!(
        !matches!(reply, Frame::Error(_)),
        "{args:?} failed: {reply:?}"
    );
    reply
}

/// How one sample behaved: whether an event named its key, and whether EXEC failed.
fn run_sample(addr: SocketAddr, sample: &Sample, n: usize) -> (bool, bool) {
    let mut a = Raw::connect(addr);
    let mut w = Raw::connect(addr);
    let mut sub = Raw::connect(addr);
    sub.send_cmd(&["PSUBSCRIBE", "__keyspace@*__:*"]);
    let _ = sub.read_frame();
    sub.send_cmd(&["SUBSCRIBE", MARKER]);
    let _ = sub.read_frame();

    ok(&mut w, &["FLUSHALL"]);
    for cmd in sample.setup {
        ok(&mut w, cmd);
    }
    let token = format!("setup-{n}");
    ok(&mut w, &["PUBLISH", MARKER, &token]);
    let _ = events_until(&mut sub, &token);

    ok(&mut a, &["WATCH", sample.key]);
    if sample.write.contains(&EMPTY_FUNCTIONS_PAYLOAD) {
        let payload = rudis::persistence::rdb::functions_payload(std::iter::empty());
        let mut req = b"*3\r\n$8\r\nFUNCTION\r\n$7\r\nRESTORE\r\n".to_vec();
        req.extend_from_slice(format!("${}\r\n", payload.len()).as_bytes());
        req.extend_from_slice(&payload);
        req.extend_from_slice(b"\r\n");
        w.send(&req);
        let reply = w.read_frame();
        assert!(
            !matches!(reply, Frame::Error(_)),
            "FUNCTION RESTORE: {reply:?}"
        );
    } else {
        ok(&mut w, sample.write);
    }
    let token = format!("write-{n}");
    ok(&mut w, &["PUBLISH", MARKER, &token]);
    let suffix = format!("__:{}", sample.key);
    let event = events_until(&mut sub, &token)
        .iter()
        .any(|channel| channel.starts_with("__keyspace@") && channel.ends_with(&suffix));

    ok(&mut a, &["MULTI"]);
    ok(&mut a, &["PING"]);
    let exec = a.cmd(&["EXEC"]);
    let invalidated = match exec {
        Frame::Null => true,
        Frame::Array(_) => false,
        other => panic!("{}: EXEC replied {other:?}", sample.name),
    };
    (event, invalidated)
}

#[test]
fn every_write_command_invalidates_watch_and_publishes_a_keyspace_event() {
    let external: Option<SocketAddr> = std::env::var("WRITE_PATH_ADDR")
        .ok()
        .map(|a| a.parse().expect("WRITE_PATH_ADDR is host:port"));
    let server = external.is_none().then(start_server);
    let addr = external.unwrap_or_else(|| server.as_ref().map(|s| s.addr).expect("a server"));

    let mut admin = Raw::connect(addr);
    ok(
        &mut admin,
        &["CONFIG", "SET", "notify-keyspace-events", "KEA"],
    );
    let writes = write_commands(&mut admin);
    assert!(writes.contains("set"), "COMMAND lists no write command");

    let sampled: BTreeSet<String> = SAMPLES.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(sampled.len(), SAMPLES.len(), "a command sampled twice");
    let unsampled: Vec<&String> = writes.difference(&sampled).collect();
    let stale: Vec<&String> = sampled.difference(&writes).collect();
    if external.is_some() {
        eprintln!("write commands without a sample: {unsampled:?}");
        eprintln!("samples the server does not flag write: {stale:?}");
    } else {
        assert!(
            unsampled.is_empty(),
            "write commands without a sample in SAMPLES: {unsampled:?}"
        );
        assert!(
            stale.is_empty(),
            "samples for commands the server does not flag write: {stale:?}"
        );
    }
    for (name, ..) in EXCEPTIONS {
        assert!(sampled.contains(*name), "exception {name} has no sample");
    }

    let mut failures = Vec::new();
    for (n, sample) in SAMPLES.iter().enumerate() {
        if !writes.contains(sample.name) {
            continue;
        }
        let expected = EXCEPTIONS
            .iter()
            .find(|(name, ..)| *name == sample.name)
            .map_or((true, true), |&(_, event, watch, _)| (event, watch));
        let got = run_sample(addr, sample, n);
        if got != expected {
            failures.push(format!(
                "{}: keyspace event {} (expected {}), WATCH invalidated {} (expected {})",
                sample.name, got.0, expected.0, got.1, expected.1
            ));
        }
    }
    ok(&mut admin, &["CONFIG", "SET", "notify-keyspace-events", ""]);
    assert!(
        failures.is_empty(),
        "write commands off the write path:\n{}",
        failures.join("\n")
    );
}
