//! Key expiry end to end: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL
//! EXPIRETIME PEXPIRETIME PERSIST, lazy expiry on access and active expiry by the cron.
mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use rudis::protocol::Frame;

/// Longest a test waits for a key to expire once its deadline is near.
const EXPIRY_WAIT: Duration = Duration::from_secs(5);

/// The client's clock in Unix ms (same host as the server).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap()
}

/// The integer of an integer reply.
fn int_of(frame: Frame) -> i64 {
    match frame {
        Frame::Integer(n) => n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

#[test]
fn ttl_and_pttl_report_missing_persistent_and_expiring_keys() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["TTL", "missing"]), int(-2));
    assert_eq!(c.cmd(&["PTTL", "missing"]), int(-2));
    assert_eq!(c.cmd(&["EXPIRETIME", "missing"]), int(-2));
    assert_eq!(c.cmd(&["PEXPIRETIME", "missing"]), int(-2));
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["PTTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(-1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(-1));

    assert_eq!(c.cmd(&["EXPIRE", "k", "100"]), int(1));
    let ttl = int_of(c.cmd(&["TTL", "k"]));
    assert!((99..=100).contains(&ttl), "ttl {ttl}");
    let pttl = int_of(c.cmd(&["PTTL", "k"]));
    assert!((99_000..=100_000).contains(&pttl), "pttl {pttl}");

    assert_eq!(c.cmd(&["PEXPIRE", "k", "5500"]), int(1));
    let pttl = int_of(c.cmd(&["PTTL", "k"]));
    assert!((5000..=5500).contains(&pttl), "pttl {pttl}");

    let at = now_ms() + 1_000_000;
    assert_eq!(c.cmd(&["PEXPIREAT", "k", &at.to_string()]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(at));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int((at + 500) / 1000));
    let secs = now_ms() / 1000 + 2000;
    assert_eq!(c.cmd(&["EXPIREAT", "k", &secs.to_string()]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", "k"]), int(secs));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(secs * 1000));
    assert_eq!(
        c.cmd(&["TTL"]),
        error("ERR wrong number of arguments for 'ttl' command")
    );
}

#[test]
fn expire_on_a_missing_key_returns_zero() {
    let server = start_server();
    let mut c = server.raw();
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        assert_eq!(c.cmd(&[cmd, "nokey", "100"]), int(0), "{cmd}");
        assert_eq!(c.cmd(&[cmd, "nokey", "-100"]), int(0), "{cmd}");
    }
    assert_eq!(c.cmd(&["EXISTS", "nokey"]), int(0));
}

#[test]
fn a_time_in_the_past_deletes_the_key_and_returns_one() {
    let server = start_server();
    let mut c = server.raw();
    let cases: [&[&str]; 5] = [
        &["EXPIRE", "k", "-1"],
        &["EXPIRE", "k", "0"],
        &["PEXPIRE", "k", "-100"],
        &["EXPIREAT", "k", "1"],
        &["PEXPIREAT", "k", "0"],
    ];
    for case in cases {
        c.cmd(&["SET", "k", "v"]);
        assert_eq!(c.cmd(case), int(1), "{case:?}");
        assert_eq!(c.cmd(&["EXISTS", "k"]), int(0), "{case:?}");
        assert_eq!(c.cmd(&["DBSIZE"]), int(0), "{case:?}");
    }
}

#[test]
fn nx_xx_gt_lt_conditions() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "k", "v"]);
    // No TTL yet: XX and GT refuse, NX and LT set.
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "XX"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "NX"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", "k", "200", "NX"]), int(0));
    assert_eq!(c.cmd(&["TTL", "k"]), int(100));
    assert_eq!(c.cmd(&["EXPIRE", "k", "200", "xx"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(200));
    assert_eq!(c.cmd(&["EXPIRE", "k", "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "300", "GT"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(300));
    assert_eq!(c.cmd(&["EXPIRE", "k", "400", "LT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", "k", "50", "lt"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(50));
    assert_eq!(c.cmd(&["EXPIRE", "k", "60", "XX", "GT"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(60));
    c.cmd(&["PERSIST", "k"]);
    assert_eq!(c.cmd(&["PEXPIRE", "k", "100000", "LT"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(100));
    // A refused condition leaves even a past time alone.
    assert_eq!(c.cmd(&["EXPIRE", "k", "-1", "NX"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(1));
    let at = now_ms() + 500_000;
    assert_eq!(c.cmd(&["PEXPIREAT", "k", &at.to_string(), "GT"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(at));
}

#[test]
fn expire_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "k", "v"]);
    let nx_err = error("ERR NX and XX, GT or LT options at the same time are not compatible");
    for opts in [["NX", "XX"], ["NX", "GT"], ["LT", "NX"]] {
        assert_eq!(c.cmd(&["EXPIRE", "k", "100", opts[0], opts[1]]), nx_err);
    }
    assert_eq!(
        c.cmd(&["PEXPIRE", "k", "100", "GT", "LT"]),
        error("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "100", "FOO"]),
        error("ERR Unsupported option FOO")
    );
    // Options are checked before the time.
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "abc", "bar"]),
        error("ERR Unsupported option bar")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "abc"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "9223372036854775807"]),
        error("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", "k", "-9223372036854775808"]),
        error("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        c.cmd(&["PEXPIRE", "k", "9223372036854775807"]),
        error("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        c.cmd(&["EXPIREAT", "k", "9223372036854775807"]),
        error("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    // The largest absolute time in ms is accepted.
    assert_eq!(c.cmd(&["PEXPIREAT", "k", "9223372036854775807"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", "k"]), int(i64::MAX));
    assert_eq!(
        c.cmd(&["EXPIRE", "k"]),
        error("ERR wrong number of arguments for 'expire' command")
    );
}

#[test]
fn persist_removes_the_ttl() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PERSIST", "missing"]), int(0));
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(c.cmd(&["PERSIST", "k"]), int(0));
    c.cmd(&["EXPIRE", "k", "100"]);
    assert_eq!(c.cmd(&["PERSIST", "k"]), int(1));
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
    assert_eq!(c.cmd(&["PERSIST", "k"]), int(0));
    // SET without options replaces the value and drops the TTL.
    c.cmd(&["EXPIRE", "k", "100"]);
    c.cmd(&["SET", "k", "w"]);
    assert_eq!(c.cmd(&["TTL", "k"]), int(-1));
}

#[test]
fn lazy_expiry_on_access() {
    // hz 1: the cron runs once a second, so it rarely gets to a key first. A trial
    // counts only when DBSIZE still held the key right before GET returned null: then
    // it was the read that removed it. A trial the cron spoiled is repeated.
    let server = start_server_with(|cfg| cfg.hz = 1);
    let mut c = server.raw();
    let mut confirmed = false;
    for _trial in 0..5 {
        c.cmd(&["SET", "k", "v"]);
        // Read before the server reads its clock: the key cannot expire earlier.
        let earliest = now_ms() + 30;
        assert_eq!(c.cmd(&["PEXPIRE", "k", "30"]), int(1));
        let start = Instant::now();
        let size_before_null = loop {
            let size = c.cmd(&["DBSIZE"]);
            match c.cmd(&["GET", "k"]) {
                Frame::Null => break size,
                reply => assert_eq!(reply, bulk("v")),
            }
            assert!(start.elapsed() < EXPIRY_WAIT, "key never expired");
        };
        assert!(now_ms() >= earliest, "expired before its deadline");
        assert_eq!(c.cmd(&["DBSIZE"]), int(0));
        if size_before_null == int(1) {
            confirmed = true;
            break;
        }
    }
    assert!(confirmed, "GET never removed an expired key itself");

    // Past the deadline every access path sees a key as gone. A sentinel set after `x`
    // with the same TTL tells when the deadline has passed without touching `x`.
    for cmd in [
        &["EXISTS", "x"][..],
        &["TTL", "x"],
        &["TYPE", "x"],
        &["PERSIST", "x"],
    ] {
        c.cmd(&["SET", "x", "v"]);
        c.cmd(&["PEXPIRE", "x", "5"]);
        c.cmd(&["SET", "clock", "v"]);
        c.cmd(&["PEXPIRE", "clock", "5"]);
        let start = Instant::now();
        while c.cmd(&["PTTL", "clock"]) != int(-2) {
            assert!(start.elapsed() < EXPIRY_WAIT, "key never expired");
        }
        let want = match cmd[0] {
            "TTL" => int(-2),
            "TYPE" => simple("none"),
            _ => int(0),
        };
        assert_eq!(c.cmd(cmd), want, "{cmd:?}");
    }
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    let server = start_server();
    let mut c = server.raw();
    for i in 0..300 {
        let key = format!("tmp:{i}");
        c.cmd(&["SET", &key, "v"]);
        assert_eq!(c.cmd(&["PEXPIRE", &key, "20"]), int(1));
    }
    for i in 0..10 {
        c.cmd(&["SET", &format!("keep:{i}"), "v"]);
    }
    c.cmd(&["SET", "long", "v"]);
    c.cmd(&["EXPIRE", "long", "1000"]);
    // DBSIZE counts the table, including dead keys: only the active cycle can lower it.
    assert_eq!(c.cmd(&["DBSIZE"]), int(311));
    let start = Instant::now();
    while c.cmd(&["DBSIZE"]) != int(11) {
        assert!(
            start.elapsed() < EXPIRY_WAIT,
            "active expiry left {:?} keys",
            c.cmd(&["DBSIZE"])
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(c.cmd(&["EXISTS", "long"]), int(1));
}

#[test]
fn expire_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let _: () = redis::cmd("SET").arg("k").arg("v").query(&mut con).unwrap();
    let set: i64 = redis::cmd("EXPIRE")
        .arg("k")
        .arg(50)
        .query(&mut con)
        .unwrap();
    assert_eq!(set, 1);
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut con).unwrap();
    assert!((49..=50).contains(&ttl), "ttl {ttl}");
    let refused: i64 = redis::cmd("EXPIRE")
        .arg("k")
        .arg(10)
        .arg("GT")
        .query(&mut con)
        .unwrap();
    assert_eq!(refused, 0);
    let persisted: i64 = redis::cmd("PERSIST").arg("k").query(&mut con).unwrap();
    assert_eq!(persisted, 1);
    let err = redis::cmd("EXPIRE")
        .arg("k")
        .arg(10)
        .arg("NX")
        .arg("XX")
        .query::<i64>(&mut con)
        .unwrap_err();
    assert!(err.to_string().contains("not compatible"), "{err}");
}
