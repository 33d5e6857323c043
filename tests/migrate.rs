//! MIGRATE through real sockets: rudis to rudis (every type, TTLs, COPY, REPLACE,
//! KEYS, NOKEY, AUTH/AUTH2, the target's errors forwarded), a target that never
//! answers or does not listen (IOERR within the timeout), rudis to and from a real
//! redis-server, and the command's key specs (COMMAND INFO, GETKEYS, ACL DRYRUN).

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::acl::*;
use common::*;
use rudis::protocol::Frame;

/// `MIGRATE 127.0.0.1 <port> <rest...>` on `c`.
fn migrate(c: &mut Raw, port: u16, rest: &[&str]) -> Frame {
    let port = port.to_string();
    let mut args = vec!["MIGRATE", "127.0.0.1", &port];
    args.extend_from_slice(rest);
    c.cmd(&args)
}

/// The integer of an integer reply.
fn integer(frame: &Frame) -> i64 {
    match frame {
        Frame::Integer(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Fills `c` with one key of each type, the even ones with a TTL.
fn fill(c: &mut Raw) {
    assert_eq!(c.cmd(&["SET", "s", "hello"]), simple("OK"));
    assert_eq!(c.cmd(&["RPUSH", "l", "a", "b", "c"]), int(3));
    assert_eq!(c.cmd(&["HSET", "h", "f1", "v1", "f2", "v2"]), int(2));
    assert_eq!(c.cmd(&["SADD", "set", "x", "y"]), int(2));
    assert_eq!(c.cmd(&["ZADD", "z", "1", "a", "2.5", "b"]), int(2));
    assert_eq!(c.cmd(&["XADD", "x", "1-1", "field", "value"]), bulk("1-1"));
    for key in ["s", "h", "z"] {
        assert_eq!(c.cmd(&["PEXPIRE", key, "100000"]), int(1));
    }
}

/// Checks that `c` (in the right database) holds what [`fill`] wrote.
fn check_filled(c: &mut Raw) {
    assert_eq!(c.cmd(&["GET", "s"]), bulk("hello"));
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        Frame::Array(vec![bulk("a"), bulk("b"), bulk("c")])
    );
    assert_eq!(c.cmd(&["HGET", "h", "f2"]), bulk("v2"));
    assert_eq!(c.cmd(&["SISMEMBER", "set", "y"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "z", "b"]), bulk("2.5"));
    assert_eq!(c.cmd(&["XLEN", "x"]), int(1));
    for key in ["s", "h", "z"] {
        let ttl = integer(&c.cmd(&["PTTL", key]));
        assert!((1..=100_000).contains(&ttl), "{key}: pttl {ttl}");
    }
    for key in ["l", "set", "x"] {
        assert_eq!(c.cmd(&["PTTL", key]), int(-1), "{key}");
    }
}

const ALL_KEYS: [&str; 6] = ["s", "l", "h", "set", "z", "x"];

#[test]
fn keys_of_every_type_move_with_their_ttl() {
    let (src, dst) = (start_server(), start_server());
    let (mut a, mut b) = (src.raw(), dst.raw());
    fill(&mut a);
    let port = dst.addr.port();
    // One key, the plain form, into database 3.
    assert_eq!(migrate(&mut a, port, &["s", "3", "5000"]), simple("OK"));
    assert_eq!(a.cmd(&["EXISTS", "s"]), int(0));
    assert_eq!(b.cmd(&["EXISTS", "s"]), int(0));
    // The rest with KEYS (a missing key is skipped).
    let mut rest = vec!["", "3", "5000", "KEYS"];
    rest.extend(ALL_KEYS.iter().filter(|k| **k != "s"));
    rest.push("missing");
    assert_eq!(migrate(&mut a, port, &rest), simple("OK"));
    assert_eq!(a.cmd(&["DBSIZE"]), int(0));
    assert_eq!(b.cmd(&["SELECT", "3"]), simple("OK"));
    assert_eq!(b.cmd(&["DBSIZE"]), int(6));
    check_filled(&mut b);
    // Nothing left to move.
    assert_eq!(migrate(&mut a, port, &["s", "3", "5000"]), simple("NOKEY"));
    assert_eq!(
        migrate(&mut a, port, &["", "3", "5000", "KEYS", "s", "l"]),
        simple("NOKEY")
    );
}

#[test]
fn copy_keeps_the_keys_and_replace_overwrites() {
    let (src, dst) = (start_server(), start_server());
    let (mut a, mut b) = (src.raw(), dst.raw());
    fill(&mut a);
    let port = dst.addr.port();
    let mut rest = vec!["", "0", "5000", "COPY", "KEYS"];
    rest.extend(ALL_KEYS);
    assert_eq!(migrate(&mut a, port, &rest), simple("OK"));
    assert_eq!(a.cmd(&["DBSIZE"]), int(6));
    check_filled(&mut a);
    check_filled(&mut b);

    // Keys already there: the target's BUSYKEY is forwarded, nothing is deleted here.
    assert_eq!(a.cmd(&["SET", "s", "new"]), simple("OK"));
    assert_eq!(
        migrate(&mut a, port, &["s", "0", "5000"]),
        error("ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    );
    assert_eq!(a.cmd(&["GET", "s"]), bulk("new"));
    assert_eq!(b.cmd(&["GET", "s"]), bulk("hello"));
    // REPLACE overwrites (and, without COPY, deletes here).
    assert_eq!(
        migrate(&mut a, port, &["s", "0", "5000", "REPLACE"]),
        simple("OK")
    );
    assert_eq!(a.cmd(&["EXISTS", "s"]), int(0));
    assert_eq!(b.cmd(&["GET", "s"]), bulk("new"));
    assert_eq!(b.cmd(&["PTTL", "s"]), int(-1));
}

#[test]
fn only_the_acknowledged_keys_are_deleted() {
    // As Redis's "MIGRATE with multiple keys: delete just ack keys".
    let (src, dst) = (start_server(), start_server());
    let (mut a, mut b) = (src.raw(), dst.raw());
    assert_eq!(
        a.cmd(&["MSET", "a", "1", "b", "2", "c", "3", "d", "4"]),
        simple("OK")
    );
    assert_eq!(b.cmd(&["MSET", "b", "_", "c", "_"]), simple("OK"));
    let reply = migrate(
        &mut a,
        dst.addr.port(),
        &["", "0", "5000", "KEYS", "a", "b", "c", "d"],
    );
    assert_eq!(
        reply,
        error("ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    );
    assert_eq!(a.cmd(&["DBSIZE"]), int(2));
    assert_eq!(a.cmd(&["EXISTS", "b", "c"]), int(2));
    assert_eq!(
        b.cmd(&["MGET", "a", "d"]),
        Frame::Array(vec![bulk("1"), bulk("4")])
    );
}

#[test]
fn syntax_errors_as_redis() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    let port = 1;
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "100", "KEYS", "k"]),
        error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
        )
    );
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "100", "NOPE"]),
        error("ERR syntax error")
    );
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "100", "AUTH"]),
        error("ERR syntax error")
    );
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "100", "AUTH2", "u"]),
        error("ERR syntax error")
    );
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "soon"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        migrate(&mut c, port, &["k", "x", "100"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["MIGRATE", "127.0.0.1", "1", "k", "0"]),
        error("ERR wrong number of arguments for 'migrate' command")
    );
    // Missing keys are checked before connecting.
    assert_eq!(
        migrate(&mut c, port, &["nokey", "0", "100"]),
        simple("NOKEY")
    );
}

#[test]
fn auth_and_auth2_to_a_protected_target() {
    let (src, dst) = (start_server(), with_password("foobar"));
    let mut a = src.raw();
    let port = dst.addr.port();
    assert_eq!(a.cmd(&["RPUSH", "list", "a", "b"]), int(2));
    // No password: the target's NOAUTH (to SELECT) is forwarded.
    assert_eq!(
        migrate(&mut a, port, &["list", "0", "5000"]),
        error(&format!("ERR Target instance replied with error: {NOAUTH}"))
    );
    assert_eq!(
        migrate(&mut a, port, &["list", "0", "5000", "AUTH", "wrong"]),
        error(&format!(
            "ERR Target instance replied with error: {WRONGPASS}"
        ))
    );
    assert_eq!(a.cmd(&["EXISTS", "list"]), int(1));
    assert_eq!(
        migrate(
            &mut a,
            port,
            &["list", "0", "5000", "COPY", "AUTH", "foobar"]
        ),
        simple("OK")
    );
    assert_eq!(
        migrate(
            &mut a,
            port,
            &[
                "", "0", "5000", "REPLACE", "AUTH2", "default", "foobar", "KEYS", "list"
            ]
        ),
        simple("OK")
    );
    assert_eq!(a.cmd(&["EXISTS", "list"]), int(0));
    let mut b = login(&dst, "default", "foobar");
    assert_eq!(
        b.cmd(&["LRANGE", "list", "0", "-1"]),
        Frame::Array(vec![bulk("a"), bulk("b")])
    );
}

#[test]
fn a_silent_or_absent_target_gives_ioerr_within_the_timeout() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    // A listener that never accepts nor answers: the kernel completes the connection.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("addr").port();
    let start = Instant::now();
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "300"]),
        error("IOERR error or timeout reading to target instance")
    );
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    drop(silent);
    // Nothing listens there any more: the connection is refused.
    assert_eq!(
        migrate(&mut c, port, &["k", "0", "300"]),
        error("IOERR error or timeout connecting to the client")
    );
    assert_eq!(
        c.cmd(&["MIGRATE", "no.such.host.invalid", "1", "k", "0", "300"]),
        error("IOERR error or timeout connecting to the client")
    );
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn migrate_has_movable_keys_and_acl_key_checks() {
    let server = start_server();
    let mut c = server.raw();
    let info = c.cmd(&["COMMAND", "INFO", "migrate"]);
    let Frame::Array(entries) = info else {
        panic!("{info:?}")
    };
    let Frame::Array(entry) = &entries[0] else {
        panic!("{entries:?}")
    };
    assert_eq!(entry[1], int(-6));
    let flags = format!("{:?}", entry[2]);
    assert!(
        flags.contains("write") && flags.contains("movablekeys"),
        "{flags}"
    );
    assert_eq!(&entry[3..6], &[int(3), int(3), int(1)]);

    let keys = |c: &mut Raw, args: &[&str]| {
        let mut all = vec!["COMMAND", "GETKEYS"];
        all.extend_from_slice(args);
        c.cmd(&all)
    };
    assert_eq!(
        keys(&mut c, &["MIGRATE", "h", "1", "k", "0", "5"]),
        Frame::Array(vec![bulk("k")])
    );
    assert_eq!(
        keys(
            &mut c,
            &[
                "MIGRATE", "h", "1", "", "0", "5", "AUTH2", "KEYS", "x", "KEYS", "a", "b"
            ]
        ),
        Frame::Array(vec![bulk("a"), bulk("b")])
    );

    // Acl-v2's "Test various odd commands for key permissions".
    assert_eq!(
        c.cmd(&[
            "ACL",
            "SETUSER",
            "t",
            "+@all",
            "%R~read*",
            "%W~write*",
            "%RW~rw*"
        ]),
        simple("OK")
    );
    let dry = |c: &mut Raw, args: &[&str]| {
        let mut all = vec!["ACL", "DRYRUN", "t", "MIGRATE", "h", "p"];
        all.extend_from_slice(args);
        c.cmd(&all)
    };
    let denied = |key: &str| {
        bulk(&format!(
            "This user has no permissions to access the '{key}' key"
        ))
    };
    assert_eq!(dry(&mut c, &["rw", "0", "500"]), simple("OK"));
    assert_eq!(dry(&mut c, &["read", "0", "500"]), denied("read"));
    assert_eq!(dry(&mut c, &["write", "0", "500"]), denied("write"));
    for prefix in [
        &["KEYS"][..],
        &["AUTH", "KEYS", "KEYS"],
        &["AUTH2", "USER", "KEYS", "KEYS"],
    ] {
        for (key, want) in [
            ("rw", simple("OK")),
            ("read", denied("read")),
            ("write", denied("write")),
        ] {
            let mut args = vec!["", "0", "5000"];
            args.extend_from_slice(prefix);
            args.push(key);
            assert_eq!(dry(&mut c, &args), want, "{args:?}");
        }
    }
}

#[test]
fn to_and_from_a_real_redis_server() {
    if !real_redis::have(&["redis-server"]) {
        return;
    }
    let dir = scratch_dir("migrate-redis");
    let redis = real_redis::Redis::start(&dir, "dump.rdb");
    let server = start_server();
    let mut a = server.raw();
    let mut r = Raw::connect(format!("127.0.0.1:{}", redis.port).parse().expect("addr"));
    fill(&mut a);
    let mut rest = vec!["", "5", "5000", "KEYS"];
    rest.extend(ALL_KEYS);
    assert_eq!(migrate(&mut a, redis.port, &rest), simple("OK"));
    assert_eq!(a.cmd(&["DBSIZE"]), int(0));
    assert_eq!(r.cmd(&["SELECT", "5"]), simple("OK"));
    check_filled(&mut r);
    // And back, by redis-server's own MIGRATE.
    let port = server.addr.port().to_string();
    let mut back = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
    back.extend(ALL_KEYS);
    assert_eq!(r.cmd(&back), simple("OK"));
    assert_eq!(r.cmd(&["DBSIZE"]), int(0));
    check_filled(&mut a);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_migrated_key_is_deleted_through_the_write_path() {
    let (src, dst) = (start_server(), start_server());
    let mut a = src.raw();
    assert_eq!(
        a.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        simple("OK")
    );
    assert_eq!(a.cmd(&["SET", "k", "v"]), simple("OK"));
    let mut sub = src.raw();
    sub.send_cmd(&["SUBSCRIBE", "__keyevent@0__:del"]);
    assert_eq!(
        sub.read_frame(),
        Frame::Array(vec![bulk("subscribe"), bulk("__keyevent@0__:del"), int(1)])
    );
    let mut w = src.raw();
    assert_eq!(w.cmd(&["WATCH", "k"]), simple("OK"));
    assert_eq!(w.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(w.cmd(&["PING"]), simple("QUEUED"));
    // COPY keeps the key; the move then deletes it.
    let port = dst.addr.port();
    assert_eq!(
        migrate(&mut a, port, &["k", "0", "5000", "COPY"]),
        simple("OK")
    );
    assert_eq!(
        migrate(&mut a, port, &["k", "0", "5000", "REPLACE"]),
        simple("OK")
    );
    assert_eq!(
        sub.read_frame(),
        Frame::Array(vec![bulk("message"), bulk("__keyevent@0__:del"), bulk("k")])
    );
    assert_eq!(w.cmd(&["EXEC"]), Frame::Null);
    assert_eq!(dst.raw().cmd(&["GET", "k"]), bulk("v"));
}
