//! Client-side caching: CLIENT TRACKING (default, REDIRECT, BCAST, PREFIX, OPTIN,
//! OPTOUT, NOLOOP), invalidations as RESP3 pushes and as `__redis__:invalidate`
//! messages to a RESP2 redirect client, CLIENT CACHING / GETREDIR / TRACKINGINFO,
//! FLUSHALL, expiry and `tracking-table-max-keys`.
mod common;

use common::*;
use redis::Commands;
use rudis::protocol::Frame;

fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

/// A RESP3 push `invalidate [keys]`.
fn push(keys: &[&str]) -> Frame {
    Frame::Push(vec![bulk("invalidate"), bulks(keys)])
}

/// A RESP2 message on `__redis__:invalidate` carrying `keys`.
fn message(keys: &[&str]) -> Frame {
    Frame::Array(vec![
        bulk("message"),
        bulk("__redis__:invalidate"),
        bulks(keys),
    ])
}

fn resp3(server: &TestServer) -> Raw {
    let mut c = server.raw();
    match c.cmd(&["HELLO", "3"]) {
        Frame::Map(_) => {}
        other => panic!("HELLO 3: {other:?}"),
    }
    c
}

/// A RESP2 client subscribed to the invalidation channel, and its id.
fn redirect_target(server: &TestServer) -> (Raw, String) {
    let mut r = server.raw();
    let Frame::Integer(id) = r.cmd(&["CLIENT", "ID"]) else {
        panic!()
    };
    r.cmd(&["SUBSCRIBE", "__redis__:invalidate"]);
    (r, id.to_string())
}

#[test]
fn resp3_client_gets_a_push_after_its_key_changes() {
    let server = start_server();
    let mut c = resp3(&server);
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "ON"]), simple("OK"));
    let mut writer = server.redis();
    let _: () = writer.set("k", "1").unwrap();
    let _: () = writer.set("other", "1").unwrap();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("1"));
    assert_eq!(
        c.cmd(&["MGET", "other", "missing"]),
        Frame::Array(vec![bulk("1"), Frame::Null])
    );
    let _: () = writer.set("k", "2").unwrap();
    // The push comes before the next reply.
    c.send_cmd(&["PING"]);
    assert_eq!(c.read_frame(), push(&["k"]));
    assert_eq!(c.read_frame(), simple("PONG"));
    // Forgotten once invalidated: a second write sends nothing until read again.
    let _: () = writer.set("k", "3").unwrap();
    let _: i64 = writer.del("missing").unwrap();
    let _: () = writer.set("missing", "x").unwrap();
    assert_eq!(c.cmd(&["PING"]), push(&["missing"]));
    assert_eq!(c.read_frame(), simple("PONG"));
    // Its own write invalidates too (after its reply), unless NOLOOP.
    assert_eq!(c.cmd(&["GET", "k"]), bulk("3"));
    assert_eq!(c.cmd(&["SET", "k", "4"]), simple("OK"));
    assert_eq!(c.read_frame(), push(&["k"]));
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "ON", "NOLOOP"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("4"));
    assert_eq!(c.cmd(&["SET", "k", "5"]), simple("OK"));
    assert_eq!(
        c.cmd(&["PING"]),
        simple("PONG"),
        "no push for its own write"
    );
    // FLUSHALL: a null invalidation.
    let _: () = redis::cmd("FLUSHALL").query(&mut writer).unwrap();
    assert_eq!(
        c.cmd(&["PING"]),
        Frame::Push(vec![bulk("invalidate"), Frame::Null])
    );
    assert_eq!(c.read_frame(), simple("PONG"));
}

#[test]
fn resp2_client_gets_invalidations_through_its_redirect_target() {
    let server = start_server();
    let (mut target, id) = redirect_target(&server);
    let mut c = server.redis();
    let _: () = redis::cmd("CLIENT")
        .arg(&["TRACKING", "on", "REDIRECT", &id])
        .query(&mut c)
        .unwrap();
    let redir: i64 = redis::cmd("CLIENT").arg("GETREDIR").query(&mut c).unwrap();
    assert_eq!(redir.to_string(), id);
    let _: () = c.set("a", "1").unwrap();
    let _: () = c.set("b", "1").unwrap();
    let _: Option<String> = c.get("a").unwrap();
    let mut writer = server.redis();
    let _: i64 = writer.incr("b", 1).unwrap(); // not read: no message
    let _: i64 = writer.incr("a", 1).unwrap();
    assert_eq!(target.read_frame(), message(&["a"]));
    // Expiry invalidates too.
    let _: Option<String> = c.get("b").unwrap();
    let _: () = redis::cmd("PEXPIRE")
        .arg("b")
        .arg(1)
        .query(&mut writer)
        .unwrap();
    assert_eq!(target.read_frame(), message(&["b"]));
    // TRACKINGINFO
    let info: redis::Value = redis::cmd("CLIENT")
        .arg("TRACKINGINFO")
        .query(&mut c)
        .unwrap();
    let text = format!("{info:?}");
    assert!(text.contains("on") && text.contains(&id), "{text}");
    // The target goes away: the tracking client's info says so.
    drop(target);
    let _: Option<String> = c.get("a").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let _: i64 = writer.incr("a", 1).unwrap();
    let info: redis::Value = redis::cmd("CLIENT")
        .arg("TRACKINGINFO")
        .query(&mut c)
        .unwrap();
    assert!(format!("{info:?}").contains("broken_redirect"), "{info:?}");
    let _: () = redis::cmd("CLIENT")
        .arg(&["TRACKING", "off"])
        .query(&mut c)
        .unwrap();
    let redir: i64 = redis::cmd("CLIENT").arg("GETREDIR").query(&mut c).unwrap();
    assert_eq!(redir, -1);
}

#[test]
fn bcast_with_prefixes_optin_and_errors() {
    let server = start_server();
    let mut c = resp3(&server);
    assert_eq!(
        c.cmd(&[
            "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:"
        ]),
        simple("OK")
    );
    let mut writer = server.redis();
    let _: () = redis::cmd("MSET")
        .arg(&["a:1", "x", "b:2", "y", "c:3", "z"])
        .query(&mut writer)
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        match c.read_frame() {
            Frame::Push(items) => got.push(items[1].clone()),
            other => panic!("{other:?}"),
        }
    }
    got.sort_by_key(|f| format!("{f:?}"));
    assert_eq!(got, vec![bulks(&["a:1"]), bulks(&["b:2"])]);
    // Errors as Redis words them.
    let err = |f: Frame| match f {
        Frame::Error(e) => e,
        other => panic!("{other:?}"),
    };
    assert!(err(c.cmd(&["CLIENT", "TRACKING", "on", "PREFIX", "x"])).contains("requires BCAST"));
    assert!(
        err(c.cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a"]))
            .contains("overlaps with an existing prefix 'a:'")
    );
    assert!(err(c.cmd(&["CLIENT", "TRACKING", "on"])).contains("switch BCAST mode"));
    assert!(
        err(c.cmd(&["CLIENT", "TRACKING", "on", "REDIRECT", "99999"])).contains("does not exist")
    );
    assert!(err(c.cmd(&["CLIENT", "CACHING", "yes"])).contains("OPTIN mode"));
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "off"]), simple("OK"));
    // OPTIN: only after CLIENT CACHING yes, for one command.
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "on", "OPTIN"]), simple("OK"));
    let _: () = writer.set("k1", "1").unwrap();
    let _: () = writer.set("k2", "1").unwrap();
    assert_eq!(c.cmd(&["GET", "k1"]), bulk("1"));
    assert_eq!(c.cmd(&["CLIENT", "CACHING", "yes"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k2"]), bulk("1"));
    let _: () = writer.set("k1", "2").unwrap();
    let _: () = writer.set("k2", "2").unwrap();
    assert_eq!(c.cmd(&["PING"]), push(&["k2"]));
    assert_eq!(c.read_frame(), simple("PONG"));
    let info = c.cmd(&["INFO", "clients"]);
    assert!(
        text(&info).contains("tracking_clients:1"),
        "{}",
        text(&info)
    );
}

#[test]
fn tracking_table_max_keys_invalidates_the_overflow() {
    let server = start_server();
    let mut c = resp3(&server);
    c.cmd(&["CONFIG", "SET", "tracking-table-max-keys", "1"]);
    c.cmd(&["CLIENT", "TRACKING", "on"]);
    c.cmd(&["MSET", "a", "1", "b", "2"]);
    c.send_cmd(&["MGET", "a", "b"]);
    let mut frames = vec![c.read_frame(), c.read_frame()];
    frames.sort_by_key(|f| format!("{f:?}"));
    assert!(
        frames.contains(&Frame::Array(vec![bulk("1"), bulk("2")])),
        "{frames:?}"
    );
    assert!(
        frames.contains(&push(&["a"])) || frames.contains(&push(&["b"])),
        "{frames:?}"
    );
}

/// A write held by a pause in the middle of a pipelined batch: the requests before it
/// are answered, it and those after it run in order once the pause ends (the batch's
/// consumed bytes are dropped once, at its end, so the held request must be found
/// again at the right place).
#[test]
fn a_pause_holds_a_pipelined_batch_from_its_first_write() {
    let server = start_server();
    let mut admin = server.raw();
    let mut writer = server.raw();
    assert_eq!(writer.cmd(&["SET", "k", "1"]), simple("OK"));
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        simple("OK")
    );
    writer.send(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n2\r\n*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(writer.read_frame(), bulk("1"));
    assert_eq!(writer.read_frame(), simple("PONG"));
    assert_held(&mut writer);
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), simple("OK"));
    assert_eq!(writer.read_frame(), simple("OK"));
    assert_eq!(writer.read_frame(), int(3));
    assert_eq!(writer.read_frame(), bulk("3"));
    assert_eq!(writer.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn client_pause_holds_writes_until_unpause_or_timeout() {
    let server = start_server();
    let mut admin = server.raw();
    let mut writer = server.raw();
    let mut reader = server.raw();
    assert_eq!(reader.cmd(&["SET", "k", "1"]), simple("OK"));
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        simple("OK")
    );
    writer.send_cmd(&["SET", "k", "2"]);
    // Reads go on while the write waits.
    assert_eq!(reader.cmd(&["GET", "k"]), bulk("1"));
    assert_held(&mut writer);
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), simple("OK"));
    assert_eq!(writer.read_frame(), simple("OK"));
    assert_eq!(reader.cmd(&["GET", "k"]), bulk("2"));
    // ALL holds reads too, until the timeout.
    let start = std::time::Instant::now();
    assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "300", "ALL"]), simple("OK"));
    assert_eq!(reader.cmd(&["GET", "k"]), bulk("2"));
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    let err = admin.cmd(&["CLIENT", "PAUSE", "10", "SOME"]);
    assert_eq!(err, error("ERR CLIENT PAUSE mode must be WRITE or ALL"));
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "-1"]),
        error("ERR timeout is negative")
    );
    assert_eq!(admin.cmd(&["CLIENT", "NO-EVICT", "on"]), simple("OK"));
}

#[test]
fn a_key_evicted_before_a_command_is_invalidated_before_its_reply() {
    // Its own process: the memory of other tests' threads must not count.
    let server = common::binary::start(&["--port", "0"]);
    let mut c = server.raw();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Frame::Map(_)));
    assert_eq!(c.cmd(&["CLIENT", "TRACKING", "ON"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "volatile-random"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SETEX", "volatile", "10000", "x"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "volatile"]), bulk("x"));
    // A limit just above what is used now; a 200 KB bitmap (not volatile) passes it.
    let used: usize = common::acl::info_field(&mut c, "memory", "used_memory")
        .parse()
        .expect("used_memory");
    let limit = (used + 100 * 1024).to_string();
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", &limit]), simple("OK"));
    assert_eq!(c.cmd(&["SETBIT", "big", "1600000", "0"]), Frame::Integer(0));
    // The next command evicts the volatile key first: its invalidation comes before
    // the reply (Redis sends it at once, the command not yet executing).
    assert_eq!(c.cmd(&["GETBIT", "big", "0"]), push(&["volatile"]));
    assert_eq!(c.read_frame(), Frame::Integer(0));
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]), simple("OK"));
}

#[test]
fn a_write_pause_holds_scripts_by_their_declared_flags() {
    // Redis's pause.tcl: scripts declaring no-writes run, others wait; the held
    // clients count in INFO's blocked_clients (Redis's BLOCKED_POSTPONE).
    let server = start_server();
    let mut admin = server.raw();
    let blocked = |c: &mut common::Raw| -> String {
        text(&c.cmd(&["INFO", "clients"]))
            .lines()
            .find(|l| l.starts_with("blocked_clients:"))
            .map(str::to_string)
            .expect("blocked_clients")
    };
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        simple("OK")
    );
    let mut ro = server.raw();
    assert_eq!(
        ro.cmd(&["EVAL", "#!lua flags=no-writes\nreturn 'ro'", "0"]),
        bulk("ro")
    );
    assert_eq!(ro.cmd(&["EVAL_RO", "return 'ro2'", "0"]), bulk("ro2"));
    assert_eq!(
        ro.cmd(&["SCRIPT", "LOAD", "return 1"]),
        bulk("e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    );
    let mut w1 = server.raw();
    w1.send_cmd(&["EVAL", "return 1", "0"]);
    let mut w2 = server.raw();
    w2.send_cmd(&["EVAL", "#!lua\nreturn 2", "0"]);
    let deadline = std::time::Instant::now() + REPLY_TIMEOUT;
    while blocked(&mut admin) != "blocked_clients:2" {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            blocked(&mut admin)
        );
    }
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), simple("OK"));
    assert_eq!(w1.read_frame(), int(1));
    assert_eq!(w2.read_frame(), int(2));
    assert_eq!(blocked(&mut admin), "blocked_clients:0");
}

/// Asserts that `c` gets no reply within 100 ms: its paused write is held.
fn assert_held(c: &mut Raw) {
    c.stream
        .set_read_timeout(Some(std::time::Duration::from_millis(100)))
        .unwrap();
    let mut byte = [0u8; 1];
    let held = std::io::Read::read(&mut c.stream, &mut byte);
    assert!(held.is_err(), "the paused write answered: {held:?}");
    c.stream.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
}
