//! What the propagation layer emits for each kind of write: the exact argv of the
//! stream the AOF writes, command by command.

use bytes::BytesMut;

use super::scripting::{Pump, run_pending};
use super::{Ctx, dispatch, table};
use crate::config::Config;
use crate::protocol::{OwnedRequest, Reply, RespVersion};
use crate::runtime::{ClientInfo, ServerState};
use crate::store::Store;

/// The clock every command of a test sees (Unix ms).
const NOW: i64 = 1_700_000_000_000;

struct NoPump;

impl Pump for NoPump {
    fn pump(&mut self, _: &mut Store, _: &mut ServerState) {}
}

struct Harness {
    store: Store,
    server: ServerState,
    me: usize,
    now: i64,
}

impl Harness {
    fn new() -> Harness {
        let mut store = Store::new(16);
        let mut server = ServerState::new(Config::default(), table::acl_registry());
        let me = server
            .clients
            .insert(ClientInfo::new(1, String::new(), String::new(), 0));
        server.propagation.set_on(true, &mut store);
        Harness {
            store,
            server,
            me,
            now: NOW,
        }
    }

    /// Runs `args` (as the server does, scripts included); returns the reply.
    fn run(&mut self, args: &[&str]) -> String {
        let mut buf = BytesMut::new();
        let req = OwnedRequest::from_args(args.iter().map(|a| a.as_bytes()));
        let mut ctx = Ctx {
            store: &mut self.store,
            server: &mut self.server,
            me: self.me,
            out: Reply::new(&mut buf, RespVersion::V2),
            now: self.now,
        };
        dispatch(&mut ctx, &req.request());
        if ctx.server.scripts.has_pending() {
            run_pending(&mut ctx, &mut NoPump);
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// The commands propagated since the last call, one string per command.
    fn propagated(&mut self) -> Vec<String> {
        self.server.propagation.flush_expired(&mut self.store);
        let stream = self.server.propagation.take_stream();
        decode(&stream)
            .into_iter()
            .map(|argv| argv.join(" "))
            .collect()
    }
}

/// Splits a stream of RESP arrays of bulk strings into argvs.
fn decode(mut s: &[u8]) -> Vec<Vec<String>> {
    fn line<'a>(s: &mut &'a [u8]) -> &'a [u8] {
        let end = s.windows(2).position(|w| w == b"\r\n").expect("line end");
        let l = &s[..end];
        *s = &s[end + 2..];
        l
    }
    let mut out = Vec::new();
    while !s.is_empty() {
        let head = line(&mut s);
        assert_eq!(head[0], b'*', "array expected");
        let n: usize = std::str::from_utf8(&head[1..]).unwrap().parse().unwrap();
        let mut argv = Vec::new();
        for _ in 0..n {
            let len = line(&mut s);
            assert_eq!(len[0], b'$');
            let len: usize = std::str::from_utf8(&len[1..]).unwrap().parse().unwrap();
            argv.push(String::from_utf8_lossy(&s[..len]).into_owned());
            s = &s[len + 2..];
        }
        out.push(argv);
    }
    out
}

/// Runs each command, then checks what was propagated.
fn check(h: &mut Harness, cmds: &[&[&str]], expected: &[&str]) {
    for cmd in cmds {
        h.run(cmd);
    }
    assert_eq!(h.propagated(), expected, "after {cmds:?}");
}

#[test]
fn plain_writes_propagate_their_argv_after_a_select() {
    let mut h = Harness::new();
    check(
        &mut h,
        &[&["set", "a", "1"], &["get", "a"], &["lpush", "l", "x", "y"]],
        &["SELECT 0", "set a 1", "lpush l x y"],
    );
    // Reads and writes that changed nothing propagate nothing.
    check(
        &mut h,
        &[&["get", "a"], &["del", "missing"], &["set", "a", "2", "nx"]],
        &[],
    );
    check(
        &mut h,
        &[&["select", "3"], &["set", "b", "1"]],
        &["SELECT 3", "set b 1"],
    );
    check(&mut h, &[&["set", "c", "1"]], &["set c 1"]);
}

#[test]
fn relative_ttls_become_absolute() {
    let mut h = Harness::new();
    let at = NOW + 10_000;
    check(
        &mut h,
        &[
            &["set", "a", "1", "ex", "10"],
            &["set", "a", "1", "px", "10000", "xx"],
            &["setex", "a", "10", "v"],
            &["psetex", "a", "10000", "v"],
            &["set", "a", "1", "exat", "1700000010"],
            &["expire", "a", "10"],
            &["pexpire", "a", "10000", "gt"],
            &["expireat", "a", "1700000020"],
            &["pexpireat", "a", "1700000030000"],
            &["getex", "a", "ex", "10"],
            &["getex", "a", "persist"],
        ],
        &[
            "SELECT 0",
            &format!("SET a 1 PXAT {at}"),
            &format!("SET a 1 PXAT {at}"),
            &format!("SET a v PXAT {at}"),
            &format!("SET a v PXAT {at}"),
            &format!("SET a 1 PXAT {at}"),
            &format!("PEXPIREAT a {at}"),
            // Refused by GT (not greater): nothing.
            &format!("PEXPIREAT a {}", NOW + 20_000),
            &format!("PEXPIREAT a {}", NOW + 30_000),
            &format!("PEXPIREAT a {at}"),
            "PERSIST a",
        ],
    );
    // A time already past deletes the key: DEL.
    check(
        &mut h,
        &[
            &["expireat", "a", "1000"],
            &["set", "b", "1"],
            &["getex", "b", "pxat", "5"],
        ],
        &["DEL a", "set b 1", "DEL b"],
    );
}

#[test]
fn rewrites_of_nondeterministic_and_derived_writes() {
    let mut h = Harness::new();
    check(
        &mut h,
        &[
            &["set", "f", "1.5"],
            &["incrbyfloat", "f", "0.25"],
            &["hincrbyfloat", "h", "x", "2.5"],
            &["getset", "f", "3"],
            &["getdel", "f"],
            &["set", "g", "1", "get"],
            &["sadd", "s", "only"],
            &["spop", "s"],
            &["sadd", "t", "a", "b"],
            &["spop", "t", "5"],
        ],
        &[
            "SELECT 0",
            "set f 1.5",
            "SET f 1.75 KEEPTTL",
            "HSET h x 2.5",
            "SET f 3",
            "DEL f",
            "set g 1",
            "sadd s only",
            "SREM s only",
            "sadd t a b",
            "DEL t",
        ],
    );
    h.run(&["sadd", "u", "1", "2", "3"]);
    h.propagated();
    h.run(&["spop", "u", "2"]);
    // Several SREMs: one transaction, as Redis wraps several propagated commands.
    let mut srems = h.propagated();
    assert_eq!(srems.len(), 4, "{srems:?}");
    assert_eq!(
        (srems.remove(0), srems.pop()),
        ("MULTI".into(), Some("EXEC".into()))
    );
    assert!(srems.iter().all(|c| c.starts_with("SREM u ")), "{srems:?}");
    // The remaining member is the one not removed.
    h.run(&["spop", "u"]);
    let last = h.propagated();
    assert_eq!(last.len(), 1);
    assert!(!srems.contains(&last[0]), "{srems:?} then {last:?}");
}

#[test]
fn blocking_and_multi_pops_propagate_their_plain_form() {
    let mut h = Harness::new();
    h.run(&["rpush", "l", "a", "b", "c", "d"]);
    h.run(&["zadd", "z", "1", "m1", "2", "m2", "3", "m3"]);
    h.propagated();
    check(
        &mut h,
        &[
            &["blpop", "empty", "l", "0"],
            &["brpop", "l", "0"],
            &["lmpop", "1", "l", "left", "count", "10"],
            &["rpush", "l", "x", "y"],
            &["blmove", "l", "m", "left", "right", "0"],
            &["brpoplpush", "l", "m", "0"],
            &["bzpopmin", "z", "0"],
            &["bzmpop", "0", "1", "z", "max", "count", "5"],
        ],
        &[
            "LPOP l",
            "RPOP l",
            "LPOP l 2",
            "rpush l x y",
            "LMOVE l m left right",
            "RPOPLPUSH l m",
            "ZPOPMIN z",
            "ZPOPMAX z 2",
        ],
    );
}

#[test]
fn transactions_and_scripts_propagate_their_effects_in_multi_exec() {
    let mut h = Harness::new();
    check(
        &mut h,
        &[
            &["multi"],
            &["set", "a", "1"],
            &["incr", "a"],
            &["get", "a"],
            &["exec"],
        ],
        &["SELECT 0", "MULTI", "set a 1", "incr a", "EXEC"],
    );
    // One write alone needs no MULTI; a transaction of reads propagates nothing.
    check(
        &mut h,
        &[&["multi"], &["incr", "a"], &["exec"]],
        &["incr a"],
    );
    check(&mut h, &[&["multi"], &["get", "a"], &["exec"]], &[]);
    check(
        &mut h,
        &[&[
            "eval",
            "redis.call('set', KEYS[1], 'x'); redis.call('get', KEYS[1]); \
             redis.call('spop', KEYS[2]); return redis.call('incrbyfloat', KEYS[1] .. 'n', '1.5')",
            "2",
            "k",
            "s",
        ]],
        &["MULTI", "set k x", "SET kn 1.5 KEEPTTL", "EXEC"],
    );
    h.run(&["sadd", "s", "m"]);
    h.propagated();
    check(
        &mut h,
        &[&["eval", "return redis.call('spop', KEYS[1])", "1", "s"]],
        &["SREM s m"],
    );
}

#[test]
fn expired_keys_propagate_as_del_before_the_command() {
    let mut h = Harness::new();
    h.run(&["set", "a", "1", "px", "100"]);
    h.run(&["set", "b", "1", "px", "100"]);
    h.propagated();
    h.now = NOW + 1000;
    // A read of an expired key: the DEL alone.
    check(&mut h, &[&["get", "a"]], &["DEL a"]);
    // A write over one: DEL then the write, as one transaction.
    check(
        &mut h,
        &[&["set", "b", "2"]],
        &["MULTI", "DEL b", "set b 2", "EXEC"],
    );
    // The active cycle's DELs, without MULTI.
    h.run(&["set", "c", "1", "px", "100"]);
    h.run(&["set", "d", "1", "px", "100"]);
    h.propagated();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    h.store.active_expire(NOW + 5000, deadline);
    let mut dels = h.propagated();
    dels.sort();
    assert_eq!(dels, ["DEL c", "DEL d"]);
}

#[test]
fn nothing_is_recorded_while_propagation_is_off() {
    let mut h = Harness::new();
    h.server.propagation.set_on(false, &mut h.store);
    h.run(&["set", "a", "1", "px", "1"]);
    h.now = NOW + 10;
    h.run(&["get", "a"]);
    assert!(h.server.propagation.stream().is_empty());
    assert!(!h.store.has_expired_log());
}

#[test]
fn migrate_propagates_the_acknowledged_keys_as_one_del() {
    use std::io::{Read, Write};
    // A target that acknowledges SELECT and the first RESTORE, refuses the second.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let target = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        conn.write_all(b"+OK\r\n+OK\r\n-BUSYKEY Target key name already exists.\r\n")
            .expect("reply");
        let mut sink = Vec::new();
        let _ = conn.read_to_end(&mut sink);
    });
    let mut h = Harness::new();
    check(
        &mut h,
        &[&["set", "a", "1"], &["set", "b", "2"]],
        &["SELECT 0", "set a 1", "set b 2"],
    );
    let reply = h.run(&[
        "migrate",
        "127.0.0.1",
        &port,
        "",
        "0",
        "5000",
        "keys",
        "a",
        "b",
    ]);
    assert!(
        reply.starts_with("-ERR Target instance replied with error: BUSYKEY"),
        "{reply}"
    );
    target.join().expect("target");
    assert_eq!(h.propagated(), ["DEL a"]);
    assert_eq!(h.run(&["exists", "a", "b"]), ":1\r\n");
    // COPY and NOKEY delete nothing, so propagate nothing.
    assert_eq!(
        h.run(&["migrate", "127.0.0.1", "1", "gone", "0", "100"]),
        "+NOKEY\r\n"
    );
    assert!(h.propagated().is_empty());
}
