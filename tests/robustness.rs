//! Every command, called with many odd argument lists, answers with a well-formed reply
//! (a value or an error) and never takes the server down.
mod common;

use common::*;
use rudis::protocol::Frame;
use rudis::store::Rng;

/// Commands that end the connection or the server, sleep, or may block forever on a
/// missing key, which this sweep skips; the (un)subscribe commands, which reply
/// one frame per argument and change what the connection may run (tests/pubsub.rs
/// covers them); and the replication commands that make the connection a replica (its
/// input becomes a snapshot and a stream), the server a replica of a random address,
/// or wait forever for replicas (tests/replication.rs covers them).
const SKIPPED: &[&str] = &[
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "wait",
    "shutdown",
    "quit",
    "debug",
    "client",
    // Blocking commands may wait forever on a missing key with a valid timeout.
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
    "subscribe",
    "psubscribe",
    "ssubscribe",
    "unsubscribe",
    "punsubscribe",
    "sunsubscribe",
    // MONITOR turns the connection into a feed of every command, and a second
    // MONITOR gets no reply at all (as Redis's monitorCommand).
    "monitor",
    // Runs Redis's self test (10M elements into two HLLs): seconds a call, 150 calls.
    "pfselftest",
];
/// Odd arguments: keywords of many commands, edge numbers, empty and binary strings.
const POOL: &[&str] = &[
    "k",
    "k2",
    "d",
    "",
    "0",
    "1",
    "-1",
    "2",
    "10",
    "-100",
    "100000000000",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "1.5",
    "-inf",
    "inf",
    "nan",
    "abc",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "MATCH",
    "COUNT",
    "TYPE",
    "string",
    "*",
    "[a-",
    "\\",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "BIT",
    "BYTE",
    "u8",
    "i64",
    "u63",
    "#1",
    "OVERFLOW",
    "SAT",
    "FAIL",
    "WRAP",
    "SET",
    "INCRBY",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "DB",
    "REPLACE",
    "ASYNC",
    "SYNC",
    "ID",
    "SETNAME",
    "LIST",
    "DOCS",
    "INFO",
    "COUNT",
    "all",
    "GETKEYS",
    "FILTERBY",
    "PATTERN",
    "maxclients",
    "hz",
    "busy-poll-us",
    "3",
    "2\r\n",
];

fn command_names(c: &mut Raw) -> Vec<String> {
    let Frame::Array(names) = c.cmd(&["COMMAND", "LIST"]) else {
        panic!("COMMAND LIST is an array");
    };
    names
        .iter()
        .filter_map(|n| {
            n.as_bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned())
        })
        .filter(|n| !SKIPPED.contains(&n.as_str()))
        .collect()
}

#[test]
fn every_command_survives_odd_arguments() {
    let server = start_server();
    let mut c = server.raw();
    let names = command_names(&mut c);
    assert!(names.len() > 80, "only {} commands listed", names.len());
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    for name in &names {
        for round in 0..150 {
            // Seed a few keys of each kind so commands meet existing values too.
            if round % 10 == 0 {
                // Leave a transaction MULTI may have opened, so the seeding runs.
                c.cmd(&["DISCARD"]);
                c.cmd(&["SET", "k", "12345"]);
                c.cmd(&["SET", "k2", "hello world"]);
                c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nd\r\n%1\r\n$1\r\na\r\n*2\r\n:1\r\n_\r\n");
                assert_eq!(c.read_frame(), simple("OK"));
            }
            let argc = rng.below(7);
            let mut args: Vec<&str> = vec![name.as_str()];
            for _ in 0..argc {
                args.push(POOL[rng.below(POOL.len())]);
            }
            assert_answers(&mut c, &args);
        }
        c.cmd(&["DISCARD"]);
        assert_eq!(c.cmd(&["PING"]), simple("PONG"), "after {name}");
        c.cmd(&["SELECT", "0"]);
        c.cmd(&["HELLO", "2"]);
    }
    // A fresh connection still works and sees a consistent server.
    let mut fresh = server.raw();
    assert_eq!(fresh.cmd(&["PING"]), simple("PONG"));
}
