//! Transactions end to end: MULTI EXEC DISCARD WATCH UNWATCH RESET, through raw RESP
//! and through the `redis` crate's atomic pipelines and `redis::transaction`; ACL
//! users in `multi/acl.rs`, blocking commands in `multi/blocking.rs`.
#[path = "multi/acl.rs"]
mod acl;
#[path = "multi/blocking.rs"]
mod blocking;
mod common;

use std::time::{Duration, Instant};

use common::*;
use rudis::protocol::Frame;

fn ok() -> Frame {
    simple("OK")
}

fn queued() -> Frame {
    simple("QUEUED")
}

fn arr(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}

/// Runs `MULTI`, then each command (each must reply `+QUEUED`).
fn begin(c: &mut Raw, cmds: &[&[&str]]) {
    assert_eq!(c.cmd(&["MULTI"]), ok());
    for cmd in cmds {
        assert_eq!(c.cmd(cmd), queued(), "{cmd:?}");
    }
}

/// Sends EXEC and returns its raw reply bytes (to tell `*-1` from `$-1`).
fn exec_raw(c: &mut Raw, expected_len: usize) -> Vec<u8> {
    c.send_cmd(&["EXEC"]);
    c.read_exact_bytes(expected_len)
}

/// MULTI, PING, EXEC: true when the EXEC ran (`[PONG]`), false when a watch failed it.
fn exec_ping(c: &mut Raw) -> bool {
    begin(c, &[&["PING"]]);
    match c.cmd(&["EXEC"]) {
        Frame::Array(items) => {
            assert_eq!(items, vec![simple("PONG")]);
            true
        }
        Frame::Null => false,
        other => panic!("unexpected EXEC reply {other:?}"),
    }
}

/// The CLIENT LIST line of the client named `name`, seen from `observer`.
fn client_line(observer: &mut Raw, name: &str) -> String {
    let list = text(&observer.cmd(&["CLIENT", "LIST"]));
    list.lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client {name} in {list}"))
        .to_string()
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

#[test]
fn exec_runs_the_queue_and_replies_with_every_reply() {
    let server = start_server();
    let mut c = server.raw();
    begin(
        &mut c,
        &[&["SET", "a", "1"], &["INCR", "a"], &["GET", "a"], &["PING"]],
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![ok(), int(2), bulk("2"), simple("PONG")])
    );
    // An empty transaction is an empty array; the client is out of MULTI after EXEC.
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![]));
    assert_eq!(c.cmd(&["GET", "a"]), bulk("2"));
}

#[test]
fn queued_commands_do_not_run_before_exec_and_discard_drops_them() {
    let server = start_server();
    let mut c = server.raw();
    let mut other = server.raw();
    begin(&mut c, &[&["SET", "k", "v"]]);
    assert_eq!(other.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    assert_eq!(c.cmd(&["DISCARD"]), error("ERR DISCARD without MULTI"));
    assert_eq!(c.cmd(&["EXEC"]), error("ERR EXEC without MULTI"));
}

#[test]
fn nested_multi_and_watch_inside_multi_are_refused_without_dooming() {
    let server = start_server();
    let mut c = server.raw();
    begin(&mut c, &[&["SET", "k", "v"]]);
    assert_eq!(
        c.cmd(&["MULTI"]),
        error("ERR MULTI calls can not be nested")
    );
    assert_eq!(
        c.cmd(&["WATCH", "x"]),
        error("ERR WATCH inside MULTI is not allowed")
    );
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![ok()]));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
}

#[test]
fn a_command_refused_while_queueing_aborts_exec() {
    let server = start_server();
    let mut c = server.raw();
    let execabort = || error("EXECABORT Transaction discarded because of previous errors.");
    // Unknown command, wrong arity, a command not allowed in MULTI.
    let refused: [(&[&str], &str); 3] = [
        (
            &["NOSUCH", "x"],
            "ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
        ),
        (&["GET"], "ERR wrong number of arguments for 'get' command"),
        (
            &["SHUTDOWN"],
            "ERR Command not allowed inside a transaction",
        ),
    ];
    for (cmd, err) in refused {
        begin(&mut c, &[&["SET", "a", "1"]]);
        assert_eq!(c.cmd(cmd), error(err));
        assert_eq!(c.cmd(&["SET", "b", "2"]), queued());
        assert_eq!(c.cmd(&["EXEC"]), execabort(), "{cmd:?}");
        assert_eq!(c.cmd(&["EXISTS", "a", "b"]), int(0));
        assert_eq!(c.cmd(&["PING"]), simple("PONG"), "out of MULTI");
    }
    // A document argument where the command takes none.
    begin(&mut c, &[]);
    c.send(b"*2\r\n$3\r\nGET\r\n*1\r\n:1\r\n");
    assert!(matches!(c.read_frame(), Frame::Error(e) if e.starts_with("ERR nested values")));
    assert_eq!(c.cmd(&["EXEC"]), execabort());
}

#[test]
fn run_time_errors_stay_in_place_and_the_rest_runs() {
    let server = start_server();
    let mut c = server.raw();
    begin(
        &mut c,
        &[
            &["SET", "s", "text"],
            &["INCR", "s"],
            &["SADD", "s", "m"],
            &["SET", "t", "1"],
        ],
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![
            ok(),
            error("ERR value is not an integer or out of range"),
            error("WRONGTYPE Operation against a key holding the wrong kind of value"),
            ok(),
        ])
    );
    assert_eq!(c.cmd(&["GET", "t"]), bulk("1"));
}

#[test]
fn commands_that_change_the_client_work_inside_exec() {
    let server = start_server();
    let mut c = server.raw();
    begin(
        &mut c,
        &[
            &["SELECT", "3"],
            &["SET", "k", "in3"],
            &["SADD", "myset", "a"],
            &["SPOP", "myset"],
            &["EXISTS", "myset"],
        ],
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![ok(), ok(), int(1), bulk("a"), int(0)])
    );
    assert_eq!(
        c.cmd(&["GET", "k"]),
        bulk("in3"),
        "SELECT inside EXEC stays"
    );
    // HELLO 3 inside EXEC: the rest of the reply is RESP3 already.
    begin(&mut c, &[&["HELLO", "3"], &["GET", "nosuch"]]);
    match c.cmd(&["EXEC"]) {
        Frame::Array(items) => {
            assert!(matches!(items[0], Frame::Map(_)), "{:?}", items[0]);
            assert_eq!(items[1], Frame::Null);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_failed_watch_replies_a_null_array_in_resp2_and_resp3() {
    let server = start_server();
    let mut c = server.raw();
    for (hello, null) in [("2", &b"*-1\r\n"[..]), ("3", &b"_\r\n"[..])] {
        c.cmd(&["HELLO", hello]);
        assert_eq!(c.cmd(&["WATCH", "k"]), ok());
        assert_eq!(c.cmd(&["SET", "k", "mine"]), ok());
        begin(&mut c, &[&["SET", "k", "tx"]]);
        assert_eq!(exec_raw(&mut c, null.len()), null, "HELLO {hello}");
        assert_eq!(c.cmd(&["GET", "k"]), bulk("mine"));
    }
    // RESP3 EXEC that runs is an array too.
    begin(&mut c, &[&["PING"]]);
    assert_eq!(exec_raw(&mut c, 11), b"*1\r\n+PONG\r\n");
}

#[test]
fn watch_is_invalidated_by_another_connection_only_on_its_keys() {
    let server = start_server();
    let mut c = server.raw();
    let mut other = server.raw();
    c.cmd(&["SET", "x", "1"]);
    assert_eq!(c.cmd(&["WATCH", "a", "b", "x", "z"]), ok());
    other.cmd(&["SET", "unrelated", "1"]);
    assert!(exec_ping(&mut c), "untouched watch");

    assert_eq!(c.cmd(&["WATCH", "a", "b", "x", "z"]), ok());
    other.cmd(&["SET", "x", "2"]);
    assert!(!exec_ping(&mut c), "touched by another client");
    // EXEC forgot the watches, failed or not.
    other.cmd(&["SET", "x", "3"]);
    assert!(exec_ping(&mut c));
}

#[test]
fn watch_sees_every_kind_of_write() {
    let server = start_server();
    let mut c = server.raw();
    let mut other = server.raw();
    let writes: [&[&str]; 5] = [
        &["DEL", "k"],
        &["EXPIRE", "k", "100"],
        &["APPEND", "k", "x"],
        &["RENAME", "k", "k2"],
        &["SORT", "emptyset", "STORE", "k"],
    ];
    for write in writes {
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(&["WATCH", "k"]), ok());
        other.cmd(write);
        assert!(!exec_ping(&mut c), "{write:?}");
    }
}

#[test]
fn a_write_by_the_same_client_before_multi_counts() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["WATCH", "k"]);
    c.cmd(&["SET", "k", "1"]);
    c.cmd(&["CLIENT", "SETNAME", "me"]);
    assert!(field(&client_line(&mut c, "me"), "flags").contains('d'));
    assert!(!exec_ping(&mut c));
    assert_eq!(field(&client_line(&mut c, "me"), "flags"), "N");
}

#[test]
fn watch_remembers_the_database_of_its_key() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SELECT", "5"]);
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "x", "10"]);
    c.cmd(&["SELECT", "5"]);
    assert!(exec_ping(&mut c));
}

#[test]
fn a_watched_key_that_expires_fails_exec() {
    let server = start_server();
    let mut c = server.raw();
    let mut other = server.raw();
    c.cmd(&["SET", "k", "v", "PX", "30"]);
    c.cmd(&["WATCH", "k"]);
    wait_gone(&mut other, "k");
    assert!(!exec_ping(&mut c));
    // A TTL that does not run out changes nothing.
    c.cmd(&["SET", "k", "v", "PX", "100000"]);
    c.cmd(&["WATCH", "k"]);
    assert!(exec_ping(&mut c));
}

#[test]
fn flushes_touch_only_watched_keys_that_exist() {
    let server = start_server();
    let mut c = server.raw();
    for flush in [
        &["FLUSHALL"][..],
        &["FLUSHDB"],
        &["FLUSHDB", "ASYNC"],
        &["FLUSH"],
    ] {
        c.cmd(&["SET", "x", "30"]);
        c.cmd(&["WATCH", "x"]);
        c.cmd(flush);
        assert!(!exec_ping(&mut c), "{flush:?} of an existing key");

        c.cmd(&["DEL", "x"]);
        c.cmd(&["WATCH", "x"]);
        c.cmd(flush);
        assert!(exec_ping(&mut c), "{flush:?} of a missing key");
    }
    // FLUSHDB of another database leaves this one's watches alone.
    let mut other = server.raw();
    c.cmd(&["SET", "x", "30"]);
    c.cmd(&["WATCH", "x"]);
    other.cmd(&["SELECT", "2"]);
    other.cmd(&["FLUSHDB"]);
    assert!(exec_ping(&mut c));
    // Several watched keys of one client, all flushed at once.
    c.cmd(&["MSET", "a", "a", "b", "b"]);
    c.cmd(&["WATCH", "b", "a"]);
    c.cmd(&["FLUSHALL"]);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert!(!exec_ping(&mut c));
}

#[test]
fn swapdb_touches_watched_keys_present_on_either_side() {
    let server = start_server();
    let mut c = server.raw();
    // The watched key exists and is swapped away.
    c.cmd(&["SET", "x", "30"]);
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SWAPDB", "0", "1"]);
    assert!(!exec_ping(&mut c));
    // The watched key is missing and is swapped in.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "x", "30"]);
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SWAPDB", "0", "1"]);
    assert!(!exec_ping(&mut c));
    // The same, for a key watched in the second database named.
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SWAPDB", "0", "1"]);
    assert!(!exec_ping(&mut c));
    c.cmd(&["SELECT", "0"]);
    // Missing on both sides, or a database swapped with itself: no change.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SET", "y", "1"]);
    c.cmd(&["WATCH", "x", "y"]);
    c.cmd(&["SWAPDB", "0", "0"]);
    c.cmd(&["SWAPDB", "2", "3"]);
    assert!(exec_ping(&mut c));
}

#[test]
fn unwatch_discard_and_exec_clear_watches_and_the_dirty_flag() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "x", "30"]);
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SET", "x", "40"]);
    assert_eq!(c.cmd(&["UNWATCH"]), ok());
    assert!(exec_ping(&mut c));
    assert_eq!(c.cmd(&["UNWATCH"]), ok(), "nothing watched");

    // DISCARD clears the dirty flag...
    c.cmd(&["WATCH", "x"]);
    c.cmd(&["SET", "x", "10"]);
    begin(&mut c, &[]);
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    begin(&mut c, &[&["INCR", "x"]]);
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![int(11)]));
    // ... and forgets the keys.
    c.cmd(&["WATCH", "x"]);
    begin(&mut c, &[]);
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    c.cmd(&["SET", "x", "10"]);
    begin(&mut c, &[&["INCR", "x"]]);
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![int(11)]));
}

#[test]
fn a_disconnected_client_leaves_no_watch_behind() {
    let server = start_server();
    let mut observer = server.raw();
    {
        let mut gone = server.raw();
        gone.cmd(&["CLIENT", "SETNAME", "gone"]);
        gone.cmd(&["WATCH", "k"]);
    }
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while text(&observer.cmd(&["CLIENT", "LIST"])).contains("name=gone ") {
        assert!(Instant::now() < deadline, "client never closed");
        std::thread::sleep(Duration::from_millis(1));
    }
    // The next connection takes the freed slot; a write to the old watch's key must
    // not doom it.
    let mut next = server.raw();
    observer.cmd(&["SET", "k", "1"]);
    assert!(exec_ping(&mut next));
}

#[test]
fn client_list_shows_the_transaction() {
    let server = start_server();
    let mut c = server.raw();
    let mut observer = server.raw();
    c.cmd(&["CLIENT", "SETNAME", "tx"]);
    let line = client_line(&mut observer, "tx");
    assert_eq!((field(&line, "flags"), field(&line, "multi")), ("N", "-1"));
    begin(&mut c, &[&["SET", "key", "value"], &["PING"]]);
    let line = client_line(&mut observer, "tx");
    assert_eq!((field(&line, "flags"), field(&line, "multi")), ("x", "2"));
    assert_eq!(field(&line, "multi-mem"), "15");
    c.cmd(&["EXEC"]);
    assert_eq!(field(&client_line(&mut observer, "tx"), "multi"), "-1");
}

#[test]
fn quit_and_reset_run_at_once_inside_multi() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SELECT", "4"]);
    c.cmd(&["WATCH", "w"]);
    begin(&mut c, &[&["SET", "k", "v"]]);
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    assert_eq!(c.cmd(&["EXEC"]), error("ERR EXEC without MULTI"));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    c.cmd(&["SET", "w", "1"]);
    c.cmd(&["SELECT", "4"]);
    assert!(exec_ping(&mut c), "RESET forgot the watch");

    begin(&mut c, &[&["SET", "k", "v"]]);
    assert_eq!(c.cmd(&["QUIT"]), ok());
    c.expect_closed();
    assert_eq!(server.raw().cmd(&["EXISTS", "k"]), int(0));
}

// ---- the redis crate ----

#[test]
fn redis_crate_atomic_pipeline() {
    let server = start_server();
    let mut con = server.redis();
    let (set, incr, get): (String, i64, String) = redis::pipe()
        .atomic()
        .set("a", 1)
        .incr("a", 5)
        .get("a")
        .query(&mut con)
        .expect("transaction");
    assert_eq!((set.as_str(), incr, get.as_str()), ("OK", 6, "6"));

    // A run-time error inside EXEC comes back as an error for the pipeline, and
    // the commands around it ran.
    let err = redis::pipe()
        .atomic()
        .set("s", "text")
        .incr("s", 1)
        .set("after", 1)
        .query::<()>(&mut con)
        .expect_err("INCR of text");
    assert!(err.to_string().contains("not an integer"), "{err}");
    let after: i64 = redis::cmd("GET").arg("after").query(&mut con).expect("get");
    assert_eq!(after, 1);

    // A refused command aborts the whole transaction.
    let err = redis::pipe()
        .atomic()
        .set("never", 1)
        .cmd("NOSUCHCOMMAND")
        .query::<()>(&mut con)
        .expect_err("unknown command");
    assert!(
        err.to_string().contains("EXECABORT") || err.to_string().contains("unknown command"),
        "{err}"
    );
    let exists: i64 = redis::cmd("EXISTS")
        .arg("never")
        .query(&mut con)
        .expect("exists");
    assert_eq!(exists, 0);
}

#[test]
fn redis_crate_transaction_retries_when_a_watched_key_changes() {
    let server = start_server();
    let mut con = server.redis();
    let mut other = server.redis();
    redis::cmd("SET")
        .arg("counter")
        .arg(10)
        .exec(&mut con)
        .expect("set");
    let mut attempts = 0;
    let (value,): (i64,) = redis::transaction(&mut con, &["counter"], |con, pipe| {
        attempts += 1;
        let old: i64 = redis::cmd("GET").arg("counter").query(con)?;
        if attempts == 1 {
            // Another client changes the key between WATCH and EXEC.
            redis::cmd("INCRBY")
                .arg("counter")
                .arg(100)
                .exec(&mut other)?;
        }
        pipe.set("counter", old + 1)
            .ignore()
            .get("counter")
            .query(con)
    })
    .expect("transaction");
    assert_eq!(attempts, 2);
    assert_eq!(value, 111);

    // The null array of a failed EXEC is `None` for the crate.
    redis::cmd("WATCH")
        .arg("counter")
        .exec(&mut con)
        .expect("watch");
    redis::cmd("SET")
        .arg("counter")
        .arg(0)
        .exec(&mut other)
        .expect("set");
    let failed: Option<(i64,)> = redis::pipe()
        .atomic()
        .incr("counter", 1)
        .query(&mut con)
        .expect("exec");
    assert_eq!(failed, None);
}
