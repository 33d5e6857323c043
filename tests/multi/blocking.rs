//! Blocking commands and transactions: no blocking inside EXEC, and clients blocked
//! on keys a transaction fills are served after it.

use std::time::{Duration, Instant};

use super::{arr, begin, client_line, field};
use crate::common::*;
use rudis::protocol::Frame;

/// A blocking pop on this server and the push that feeds it, if any is implemented
/// (the data-type families come separately): `(pop, push)` commands for key `q`.
fn blocking_pair(c: &mut Raw) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
    let candidates = [
        (vec!["BLPOP", "q", "0"], vec!["RPUSH", "q", "a"]),
        (vec!["BZPOPMIN", "q", "0"], vec!["ZADD", "q", "1", "a"]),
    ];
    candidates.into_iter().find(|(pop, push)| {
        matches!(c.cmd(&["COMMAND", "INFO", pop[0], push[0]]),
            Frame::Array(ref v) if !v.contains(&Frame::Null))
    })
}

#[test]
fn blocking_commands_inside_multi_time_out_at_once() {
    let server = start_server();
    let mut c = server.raw();
    let Some((pop, _)) = blocking_pair(&mut c) else {
        eprintln!("no blocking command on this build: skipped");
        return;
    };
    begin(&mut c, &[&pop, &["PING"]]);
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![Frame::Null, simple("PONG")]));
    // Outside MULTI it blocks again as usual.
    c.cmd(&["CLIENT", "SETNAME", "popper"]);
    let mut observer = server.raw();
    c.send_cmd(&pop);
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while !field(&client_line(&mut observer, "popper"), "flags").contains('b') {
        assert!(Instant::now() < deadline, "never blocked");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn clients_blocked_on_keys_a_transaction_fills_are_served_after_exec() {
    let server = start_server();
    let mut c = server.raw();
    let Some((pop, push)) = blocking_pair(&mut c) else {
        eprintln!("no blocking command on this build: skipped");
        return;
    };
    let mut waiter = server.raw();
    waiter.cmd(&["CLIENT", "SETNAME", "waiter"]);
    waiter.send_cmd(&pop);
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while !field(&client_line(&mut c, "waiter"), "flags").contains('b') {
        assert!(Instant::now() < deadline, "never blocked");
        std::thread::sleep(Duration::from_millis(1));
    }
    begin(&mut c, &[&push, &["PING"]]);
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![int(1), simple("PONG")]));
    match waiter.read_frame() {
        Frame::Array(items) => assert_eq!(items[0], bulk("q")),
        other => panic!("{other:?}"),
    }
}
