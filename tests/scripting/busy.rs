//! Slow scripts: past `busy-reply-threshold` other clients get BUSY (but for the
//! ALLOW_BUSY commands), SCRIPT KILL stops a script that has not written, and a
//! transaction touched by BUSY is aborted as a whole.

use super::common::*;
use rudis::protocol::Frame;

/// A server whose scripts count as busy after 20 ms.
fn server() -> TestServer {
    start_server_with(|c| c.busy_reply_threshold_ms = 20)
}

const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/// Starts an endless script on `c` and waits (through `other`) until the server
/// answers BUSY, so the script is known to be running past the threshold.
fn start_endless(c: &mut Raw, other: &mut Raw, script: &str) {
    c.send_cmd(&["EVAL", script, "0"]);
    // The server reads `other` only from the script's hook: the first reply to
    // this PING is BUSY, once the script runs past the threshold.
    assert_eq!(other.cmd(&["PING"]), error(BUSY));
}

#[test]
fn script_kill_stops_a_busy_script_and_others_get_busy() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    start_endless(&mut runner, &mut other, "while true do end");
    assert_eq!(other.cmd(&["GET", "k"]), error(BUSY));
    // A client that connects during the script is served too.
    let mut late = server.raw();
    assert_eq!(late.cmd(&["SET", "k", "v"]), error(BUSY));
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), simple("OK"));
    match runner.read_frame() {
        Frame::Error(e) => assert!(
            e.starts_with("ERR Script killed by user with SCRIPT KILL..."),
            "{e}"
        ),
        f => panic!("{f:?}"),
    }
    assert_eq!(runner.cmd(&["PING"]), simple("PONG"));
    assert_eq!(
        late.cmd(&["GET", "k"]),
        Frame::Null,
        "the refused SET did not run"
    );
    assert_eq!(
        other.cmd(&["SCRIPT", "KILL"]),
        error("NOTBUSY No scripts in execution right now.")
    );
}

#[test]
fn pcall_cannot_swallow_the_kill() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    let script = "while true do pcall(function() while true do end end) end";
    start_endless(&mut runner, &mut other, script);
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), simple("OK"));
    let reply = runner.read_frame();
    assert!(
        format!("{reply:?}").contains("Script killed by user"),
        "{reply:?}"
    );
}

#[test]
fn a_script_that_wrote_is_unkillable() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    // Writes, then spins for 1.5 s of server time (the KILL below must land within it).
    let script = "redis.call('set', 'w', '1') \
                  local t = redis.call('time') local start = t[1] * 1000000 + t[2] \
                  repeat t = redis.call('time') until t[1] * 1000000 + t[2] - start > 1500000 \
                  return 'done'";
    start_endless(&mut runner, &mut other, script);
    match other.cmd(&["SCRIPT", "KILL"]) {
        Frame::Error(e) => assert!(e.starts_with("UNKILLABLE"), "{e}"),
        f => panic!("{f:?}"),
    }
    assert_eq!(runner.read_frame(), bulk("done"));
    assert_eq!(other.cmd(&["GET", "w"]), bulk("1"));
}

#[test]
fn transactions_touched_by_busy_are_aborted() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    let mut tx = server.raw();
    tx.cmd(&["SET", "xx", "1"]);
    // MULTI is allowed while busy, INCR is refused: EXEC then aborts.
    start_endless(&mut runner, &mut other, "while true do end");
    assert_eq!(tx.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(tx.cmd(&["INCR", "xx"]), error(BUSY));
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), simple("OK"));
    runner.read_frame();
    assert_eq!(tx.cmd(&["INCR", "xx"]), simple("QUEUED"));
    match tx.cmd(&["EXEC"]) {
        Frame::Error(e) => assert!(
            e.starts_with("EXECABORT") && e.contains("previous errors"),
            "{e}"
        ),
        f => panic!("{f:?}"),
    }
    // EXEC itself during a busy script: aborted, naming BUSY.
    assert_eq!(tx.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(tx.cmd(&["INCR", "xx"]), simple("QUEUED"));
    start_endless(&mut runner, &mut other, "while true do end");
    assert_eq!(
        tx.cmd(&["EXEC"]),
        error(&format!(
            "EXECABORT Transaction discarded because of: {BUSY}"
        ))
    );
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), simple("OK"));
    runner.read_frame();
    assert_eq!(
        tx.cmd(&["GET", "xx"]),
        bulk("1"),
        "no part of either transaction ran"
    );
    assert_eq!(
        tx.cmd(&["PING", "asdf"]),
        bulk("asdf"),
        "no longer in MULTI"
    );
}

#[test]
fn only_shutdown_nosave_ends_a_busy_server() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    start_endless(&mut runner, &mut other, "while true do end");
    assert_eq!(other.cmd(&["SHUTDOWN"]), error(BUSY));
    assert_eq!(other.cmd(&["SHUTDOWN", "SAVE"]), error(BUSY));
    other.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    // The script is stopped and the server goes away: both connections close.
    match runner.try_read_frame() {
        None => {}
        Some(Frame::Error(e)) => assert!(e.contains("killed"), "{e}"),
        Some(f) => panic!("{f:?}"),
    }
    other.expect_closed();
}

#[test]
fn odd_input_while_busy_gets_the_usual_answers() {
    let server = server();
    let mut runner = server.raw();
    let mut other = server.raw();
    start_endless(&mut runner, &mut other, "while true do end");
    // An empty multibulk is skipped, an unknown command and a wrong arity get their
    // own errors (as Redis checks them before BUSY), inline commands work.
    other.send(b"*0\r\nNOSUCH\r\n");
    match other.read_frame() {
        Frame::Error(e) => assert!(e.starts_with("ERR unknown command 'NOSUCH'"), "{e}"),
        f => panic!("{f:?}"),
    }
    assert_eq!(
        other.cmd(&["GET"]),
        error("ERR wrong number of arguments for 'get' command")
    );
    other.send(b"PING\r\n");
    assert_eq!(other.read_frame(), error(BUSY));
    // Malformed protocol closes only that connection.
    let mut bad = server.raw();
    bad.send(b"*1\r\n$-5\r\n");
    match bad.try_read_frame() {
        Some(Frame::Error(e)) => assert!(e.starts_with("ERR Protocol error"), "{e}"),
        f => panic!("{f:?}"),
    }
    bad.expect_closed();
    assert_eq!(other.cmd(&["SCRIPT", "KILL"]), simple("OK"));
    runner.read_frame();
    assert_eq!(runner.cmd(&["PING"]), simple("PONG"));
    // Once the script is over, the loop frees the closed connection.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while text(&other.cmd(&["CLIENT", "LIST"])).lines().count() != 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the closed client stays listed"
        );
    }
}
