//! Streams through a real client (the `redis` crate): the log commands, consumer
//! groups, blocking XREADGROUP served in FIFO order, blocked readers failed as Redis
//! fails them, and a stream with groups surviving AOF and snapshot restarts.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::binary::{self, Binary};
use common::{scratch_dir, start_server};
use redis::{Connection, Value as RV};

/// Longest wait for a reply or a state change.
const WAIT: Duration = Duration::from_secs(10);

fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn err(con: &mut Connection, args: &[&str]) -> String {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    match cmd.query::<RV>(con) {
        Ok(v) => panic!("{args:?} should fail, got {v:?}"),
        Err(e) => e.to_string(),
    }
}

fn blocked_clients(con: &mut Connection) -> usize {
    let info: String = q(con, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("blocked_clients in INFO")
}

fn wait_blocked(con: &mut Connection, n: usize) {
    let deadline = Instant::now() + WAIT;
    while blocked_clients(con) != n {
        assert!(
            Instant::now() < deadline,
            "never reached {n} blocked clients"
        );
        std::thread::yield_now();
    }
}

/// `[[id, [field, value, ...]], ...]` as strings.
type Entries = Vec<(String, Vec<String>)>;

#[test]
fn log_commands_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let a: String = q(&mut con, &["XADD", "s", "1-1", "f", "v1"]);
    assert_eq!(a, "1-1");
    let b: String = q(&mut con, &["XADD", "s", "1-*", "f", "v2"]);
    assert_eq!(b, "1-2");
    let c: String = q(&mut con, &["XADD", "s", "*", "g", "v3", "h", "v4"]);
    assert!(c.ends_with("-0"), "{c}");
    assert!(err(&mut con, &["XADD", "s", "1-1", "f", "v"]).contains("equal or smaller"));
    assert_eq!(q::<i64>(&mut con, &["XLEN", "s"]), 3);
    let all: Entries = q(&mut con, &["XRANGE", "s", "-", "+"]);
    assert_eq!(all[0], ("1-1".into(), vec!["f".into(), "v1".into()]));
    assert_eq!(all[2].1, vec!["g", "v3", "h", "v4"]);
    let rev: Entries = q(&mut con, &["XREVRANGE", "s", "+", "(1-1", "COUNT", "5"]);
    assert_eq!(rev.len(), 2);
    assert_eq!(rev[1].0, "1-2");
    assert_eq!(q::<i64>(&mut con, &["XDEL", "s", "1-2", "9-9"]), 1);
    assert_eq!(
        q::<RV>(&mut con, &["XADD", "none", "NOMKSTREAM", "*", "f", "v"]),
        RV::Nil
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "none"]), 0);
    for i in 0..300 {
        let _: String = q(&mut con, &["XADD", "big", "*", "n", &i.to_string()]);
    }
    assert_eq!(q::<i64>(&mut con, &["XTRIM", "big", "MAXLEN", "250"]), 50);
    // `~` trims whole nodes only (100 entries each by default): the first (50 left
    // after the exact trim) and the second go, the third would leave fewer than 10.
    assert_eq!(
        q::<i64>(&mut con, &["XTRIM", "big", "MAXLEN", "~", "10"]),
        150
    );
    assert_eq!(q::<String>(&mut con, &["TYPE", "s"]), "stream");
    assert_eq!(
        q::<String>(&mut con, &["OBJECT", "ENCODING", "s"]),
        "stream"
    );
    let scanned: (String, Vec<String>) =
        q(&mut con, &["SCAN", "0", "TYPE", "stream", "COUNT", "100"]);
    let mut keys = scanned.1;
    keys.sort();
    assert_eq!(keys, vec!["big", "s"]);
    assert!(q::<i64>(&mut con, &["MEMORY", "USAGE", "big"]) > 0);
    assert_eq!(q::<i64>(&mut con, &["COPY", "s", "s2"]), 1);
    let _: String = q(&mut con, &["RENAME", "s2", "s3"]);
    let copied: Entries = q(&mut con, &["XRANGE", "s3", "-", "+"]);
    assert_eq!(copied.len(), 2);
    let dump: Vec<u8> = q(&mut con, &["DUMP", "s3"]);
    let mut restore = redis::cmd("RESTORE");
    restore.arg("s4").arg(0).arg(dump);
    let _: String = restore.query(&mut con).expect("restore");
    let restored: Entries = q(&mut con, &["XRANGE", "s4", "-", "+"]);
    assert_eq!(restored, copied);
}

#[test]
fn consumer_groups_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let _: String = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    assert!(err(&mut con, &["XGROUP", "CREATE", "s", "g", "$"]).contains("BUSYGROUP"));
    for i in 1..=4 {
        let _: String = q(
            &mut con,
            &["XADD", "s", &format!("{i}-0"), "n", &i.to_string()],
        );
    }
    let read: Vec<(String, Entries)> = q(
        &mut con,
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "3",
            "STREAMS",
            "s",
            ">",
        ],
    );
    assert_eq!(read[0].1.len(), 3);
    // The summary: 3 pending, from 1-0 to 3-0, all alice's.
    let summary: (i64, String, String, Vec<(String, String)>) =
        q(&mut con, &["XPENDING", "s", "g"]);
    assert_eq!(summary.0, 3);
    assert_eq!((summary.1.as_str(), summary.2.as_str()), ("1-0", "3-0"));
    assert_eq!(summary.3, vec![("alice".to_string(), "3".to_string())]);
    assert_eq!(q::<i64>(&mut con, &["XACK", "s", "g", "1-0", "1-0"]), 1);
    let claimed: Vec<String> = q(&mut con, &["XCLAIM", "s", "g", "bob", "0", "2-0", "JUSTID"]);
    assert_eq!(claimed, vec!["2-0"]);
    let extended: Vec<(String, String, i64, i64)> =
        q(&mut con, &["XPENDING", "s", "g", "-", "+", "10"]);
    assert_eq!(extended[0].1, "bob");
    assert_eq!(extended[1].1, "alice");
    let auto: (String, Entries, Vec<String>) = q(
        &mut con,
        &["XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "1"],
    );
    assert_eq!(auto.0, "3-0");
    assert_eq!(auto.1[0].0, "2-0");
    // The history of a consumer: its pending entries.
    let history: Vec<(String, Entries)> = q(
        &mut con,
        &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
    );
    assert_eq!(history[0].1[0].0, "2-0");
    let groups: Vec<std::collections::HashMap<String, RV>> = q(&mut con, &["XINFO", "GROUPS", "s"]);
    assert_eq!(groups[0].get("lag"), Some(&RV::Int(1)));
    assert_eq!(groups[0].get("entries-read"), Some(&RV::Int(3)));
    assert_eq!(
        q::<i64>(&mut con, &["XGROUP", "DELCONSUMER", "s", "g", "carol"]),
        1
    );
    assert_eq!(q::<i64>(&mut con, &["XGROUP", "DESTROY", "s", "g"]), 1);
}

/// Runs `args` on its own connection in a thread; the reply (or error text) comes
/// back on the channel.
fn in_thread(server: &common::TestServer, args: Vec<String>) -> mpsc::Receiver<Result<RV, String>> {
    let mut con = server.redis();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut cmd = redis::cmd(&args[0]);
        for a in &args[1..] {
            cmd.arg(a);
        }
        let _ = tx.send(cmd.query::<RV>(&mut con).map_err(|e| e.to_string()));
    });
    rx
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// The first entry ID of an XREADGROUP reply.
fn first_id(reply: &RV) -> String {
    let entries = match reply {
        RV::Array(streams) => match &streams[0] {
            RV::Array(pair) => pair[1].clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    match entries {
        RV::Array(e) => match &e[0] {
            RV::Array(entry) => match &entry[0] {
                RV::BulkString(id) => String::from_utf8_lossy(id).into_owned(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn blocking_xreadgroup_is_served_in_fifo_order() {
    let server = start_server();
    let mut con = server.redis();
    let _: String = q(
        &mut con,
        &["XGROUP", "CREATE", "jobs", "workers", "$", "MKSTREAM"],
    );
    let read = |who: &str| {
        strings(&[
            "XREADGROUP",
            "GROUP",
            "workers",
            who,
            "COUNT",
            "1",
            "BLOCK",
            "0",
            "STREAMS",
            "jobs",
            ">",
        ])
    };
    let first = in_thread(&server, read("w1"));
    wait_blocked(&mut con, 1);
    let second = in_thread(&server, read("w2"));
    wait_blocked(&mut con, 2);
    let third = in_thread(&server, read("w3"));
    wait_blocked(&mut con, 3);
    let _: String = q(&mut con, &["XADD", "jobs", "1-0", "job", "a"]);
    let got = first
        .recv_timeout(WAIT)
        .expect("first waiter served")
        .expect("reply");
    assert_eq!(first_id(&got), "1-0");
    wait_blocked(&mut con, 2);
    assert!(second.try_recv().is_err() && third.try_recv().is_err());
    let _: String = q(&mut con, &["XADD", "jobs", "2-0", "job", "b"]);
    let got = second
        .recv_timeout(WAIT)
        .expect("second waiter served")
        .expect("reply");
    assert_eq!(first_id(&got), "2-0");
    let _: String = q(&mut con, &["XADD", "jobs", "3-0", "job", "c"]);
    let got = third
        .recv_timeout(WAIT)
        .expect("third waiter served")
        .expect("reply");
    assert_eq!(first_id(&got), "3-0");
    let pending: Vec<(String, String, i64, i64)> =
        q(&mut con, &["XPENDING", "jobs", "workers", "-", "+", "10"]);
    let owners: Vec<&str> = pending.iter().map(|p| p.1.as_str()).collect();
    assert_eq!(owners, vec!["w1", "w2", "w3"]);
}

/// A client blocked in `XREADGROUP GROUP g c BLOCK 0 STREAMS s >`.
fn blocked_group_read(
    server: &common::TestServer,
    con: &mut Connection,
) -> mpsc::Receiver<Result<RV, String>> {
    let args = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "0",
        "STREAMS",
        "s",
        ">",
    ];
    let reader = in_thread(server, strings(&args));
    wait_blocked(con, 1);
    reader
}

/// The error a blocked client was unblocked with.
fn unblocked_with_error(reader: &mpsc::Receiver<Result<RV, String>>) -> String {
    reader
        .recv_timeout(WAIT)
        .expect("unblocked")
        .expect_err("an error")
}

#[test]
fn blocked_readers_fail_as_redis_fails_them() {
    let server = start_server();
    let mut con = server.redis();
    let _: String = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]);
    let reader = blocked_group_read(&server, &mut con);
    let _: i64 = q(&mut con, &["XGROUP", "DESTROY", "s", "g"]);
    let e = unblocked_with_error(&reader);
    assert!(e.contains("NOGROUP"), "{e}");
    let _: String = q(&mut con, &["XGROUP", "CREATE", "s", "g", "$"]);
    let reader = blocked_group_read(&server, &mut con);
    let _: i64 = q(&mut con, &["DEL", "s"]);
    let e = unblocked_with_error(&reader);
    assert!(e.contains("no longer exists"), "{e}");
    // XREAD with `$` waits for what comes after, and times out with a null.
    let _: String = q(&mut con, &["XADD", "t", "5-0", "f", "v"]);
    let reader = in_thread(
        &server,
        strings(&["XREAD", "BLOCK", "0", "STREAMS", "t", "$"]),
    );
    wait_blocked(&mut con, 1);
    let _: String = q(&mut con, &["XADD", "t", "6-0", "f", "v"]);
    let got = reader.recv_timeout(WAIT).expect("served").expect("reply");
    assert_eq!(first_id(&got), "6-0");
    let timed_out: RV = q(&mut con, &["XREAD", "BLOCK", "10", "STREAMS", "t", "$"]);
    assert_eq!(timed_out, RV::Nil);
}

/// What a restart must keep: entries, counters, groups, pending entries (with their
/// delivery times and counts) and consumers.
fn state(con: &mut Connection) -> String {
    let entries: Entries = q(con, &["XRANGE", "s", "-", "+"]);
    let full: RV = q(con, &["XINFO", "STREAM", "s", "FULL"]);
    // Seen times are when a consumer last acted: a replay does it again.
    let text = format!("{entries:?} {full:?}");
    strip_seen_times(&text)
}

fn strip_seen_times(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("seen-time") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        // Skip the label and the integer after it.
        let end = tail.find("Int(").map_or(tail.len(), |i| {
            tail[i..].find(')').map_or(tail.len(), |j| i + j + 1)
        });
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn build(con: &mut Connection) {
    for i in 1..=250 {
        let _: String = q(
            con,
            &[
                "XADD",
                "s",
                &format!("{i}-0"),
                "n",
                &i.to_string(),
                "x",
                "y",
            ],
        );
    }
    let _: String = q(
        con,
        &[
            "XADD", "s", "MAXLEN", "~", "150", "251-0", "other", "fields",
        ],
    );
    let _: i64 = q(con, &["XDEL", "s", "200-0"]);
    let _: String = q(con, &["XGROUP", "CREATE", "s", "g1", "0"]);
    let _: String = q(
        con,
        &["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3"],
    );
    let _: RV = q(
        con,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "a",
            "COUNT",
            "5",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: RV = q(
        con,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "b",
            "COUNT",
            "3",
            "NOACK",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: RV = q(
        con,
        &[
            "XREADGROUP",
            "GROUP",
            "g1",
            "c",
            "COUNT",
            "2",
            "STREAMS",
            "s",
            ">",
        ],
    );
    let _: i64 = q(con, &["XACK", "s", "g1", "101-0"]);
    let _: RV = q(
        con,
        &["XCLAIM", "s", "g1", "d", "0", "102-0", "RETRYCOUNT", "7"],
    );
    let _: RV = q(con, &["XAUTOCLAIM", "s", "g1", "e", "0", "0", "COUNT", "1"]);
    let _: i64 = q(con, &["XGROUP", "CREATECONSUMER", "s", "g2", "idle"]);
    let _: String = q(
        con,
        &[
            "XSETID",
            "s",
            "300-0",
            "ENTRIESADDED",
            "400",
            "MAXDELETEDID",
            "250-0",
        ],
    );
}

fn start(dir: &std::path::Path, args: &[&str]) -> Binary {
    let dir = dir.to_str().expect("utf-8");
    let base: &[&str] = &["--port", "0", "--dir", dir];
    binary::start(&[base, args].concat())
}

#[test]
fn a_stream_with_groups_survives_an_aof_restart() {
    let dir = scratch_dir("stream-aof");
    // The server is SIGKILLed: under `everysec` a write waiting for a running fsync
    // (Redis's delayed fsync, up to 2 s) would be lost, so every write is synced.
    let aof: &[&str] = &["--appendonly", "yes", "--appendfsync", "always"];
    let server = start(&dir, aof);
    let mut con = server.client();
    build(&mut con);
    let before = state(&mut con);
    drop(con);
    drop(server);
    let server = start(&dir, aof);
    let mut con = server.client();
    assert_eq!(state(&mut con), before);
    // BGREWRITEAOF writes the stream as commands; they replay to the same state.
    let _: RV = q(&mut con, &["BGREWRITEAOF"]);
    let deadline = Instant::now() + WAIT;
    loop {
        let info: String = q(&mut con, &["INFO", "persistence"]);
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            break;
        }
        assert!(Instant::now() < deadline, "rewrite never finished");
        std::thread::yield_now();
    }
    drop(con);
    drop(server);
    let server = start(&dir, &["--appendonly", "yes"]);
    let mut con = server.client();
    assert_eq!(state(&mut con), before);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_stream_with_groups_survives_a_snapshot_restart() {
    for format in ["rudis", "redis"] {
        let dir = scratch_dir("stream-snapshot");
        let server = start(&dir, &["--snapshot-format", format]);
        let mut con = server.client();
        build(&mut con);
        let before = state(&mut con);
        let _: String = q(&mut con, &["SAVE"]);
        drop(con);
        drop(server);
        let server = start(&dir, &["--snapshot-format", format]);
        let mut con = server.client();
        assert_eq!(state(&mut con), before, "{format}");
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
