//! Popping sorted sets: ZPOPMIN ZPOPMAX ZMPOP, and the blocking BZPOPMIN BZPOPMAX
//! BZMPOP with two real connections (one blocked, one writing).

mod common;
mod zset_util;

use common::{bulk, error, int, start_server};
use redis::Commands;
use rudis::protocol::Frame;
use zset_util::{bulks, expect_raw, wait_blocked, zadd};

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn arr(items: Vec<Frame>) -> Frame {
    Frame::Array(items)
}

#[test]
fn zpopmin_and_zpopmax() {
    let server = start_server();
    let mut c = server.raw();
    zadd(
        &mut c,
        "z",
        &[("1", "a"), ("2", "b"), ("3", "c"), ("4", "d")],
    );
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), bulks(&["a", "1"]));
    assert_eq!(c.cmd(&["ZPOPMAX", "z", "2"]), bulks(&["d", "4", "c", "3"]));
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "0"]), bulks(&[]));
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "10"]), bulks(&["b", "2"]));
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(0));
    assert_eq!(c.cmd(&["ZPOPMIN", "z"]), bulks(&[]));
    assert_eq!(c.cmd(&["ZPOPMIN", "z", "0"]), bulks(&[]));
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "-1"]),
        error("ERR value is out of range, must be positive")
    );
    assert_eq!(
        c.cmd(&["ZPOPMIN", "z", "1", "2"]),
        error("ERR syntax error")
    );
    c.cmd(&["SET", "str", "x"]);
    assert_eq!(c.cmd(&["ZPOPMAX", "str"]), error(WRONGTYPE));
    // RESP3: a count nests pairs, a single pop stays flat.
    c.cmd(&["HELLO", "3"]);
    zadd(&mut c, "z", &[("1", "a"), ("2.5", "b")]);
    expect_raw(&mut c, &["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n,1\r\n");
    expect_raw(
        &mut c,
        &["ZPOPMAX", "z", "1"],
        "*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n",
    );
}

#[test]
fn zmpop_pops_from_the_first_non_empty_set() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z2", &[("1", "a"), ("2", "b"), ("3", "c")]);
    assert_eq!(
        c.cmd(&["ZMPOP", "2", "z1", "z2", "MIN"]),
        arr(vec![bulk("z2"), arr(vec![bulks(&["a", "1"])])])
    );
    assert_eq!(
        c.cmd(&["ZMPOP", "2", "z1", "z2", "MAX", "COUNT", "5"]),
        arr(vec![
            bulk("z2"),
            arr(vec![bulks(&["c", "3"]), bulks(&["b", "2"])])
        ])
    );
    assert_eq!(c.cmd(&["ZMPOP", "2", "z1", "z2", "MIN"]), Frame::Null);
    c.cmd(&["SET", "str", "x"]);
    let cases: &[(&[&str], &str)] = &[
        (
            &["ZMPOP", "0", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (
            &["ZMPOP", "x", "z", "MIN"],
            "ERR numkeys should be greater than 0",
        ),
        (&["ZMPOP", "2", "z", "MIN"], "ERR syntax error"),
        (&["ZMPOP", "1", "z", "MID"], "ERR syntax error"),
        (&["ZMPOP", "1", "z", "MIN", "COUNT"], "ERR syntax error"),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "0"],
            "ERR count should be greater than 0",
        ),
        (
            &["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"],
            "ERR syntax error",
        ),
        (
            &["ZMPOP", "9223372036854775807", "z", "MIN"],
            "ERR syntax error",
        ),
        (&["ZMPOP", "1", "str", "MIN"], WRONGTYPE),
        (
            &["BZMPOP", "0", "1", "z", "MIN", "COUNT", "-1"],
            "ERR count should be greater than 0",
        ),
        (
            &["BZMPOP", "x", "1", "z", "MIN"],
            "ERR timeout is not a float or out of range",
        ),
        (&["BZPOPMIN", "z", "-1"], "ERR timeout is negative"),
        (&["BZPOPMIN", "str", "0"], WRONGTYPE),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd(args), error(want), "{args:?}");
    }
}

#[test]
fn bzpopmin_serves_at_once_when_a_set_exists() {
    let server = start_server();
    let mut c = server.raw();
    zadd(&mut c, "z2", &[("1", "a"), ("2", "b")]);
    assert_eq!(
        c.cmd(&["BZPOPMIN", "z1", "z2", "0"]),
        bulks(&["z2", "a", "1"])
    );
    assert_eq!(c.cmd(&["BZPOPMAX", "z2", "0"]), bulks(&["z2", "b", "2"]));
    assert_eq!(c.cmd(&["EXISTS", "z2"]), int(0));
}

#[test]
fn a_blocked_bzpopmin_is_woken_by_zadd() {
    let server = start_server();
    let mut blocked = server.raw();
    let mut writer = server.raw();
    blocked.send_cmd(&["BZPOPMIN", "z1", "z2", "0"]);
    wait_blocked(&mut writer, 1);
    // Another type at the key does not wake it.
    writer.cmd(&["SET", "z1", "x"]);
    writer.cmd(&["DEL", "z1"]);
    assert_eq!(zadd(&mut writer, "z2", &[("5", "m"), ("1", "n")]), int(2));
    assert_eq!(blocked.read_frame(), bulks(&["z2", "n", "1"]));
    wait_blocked(&mut writer, 0);
    assert_eq!(writer.cmd(&["ZRANGE", "z2", "0", "-1"]), bulks(&["m"]));
}

#[test]
fn blocked_clients_are_served_in_order() {
    let server = start_server();
    let mut first = server.raw();
    let mut second = server.raw();
    let mut writer = server.raw();
    first.send_cmd(&["BZPOPMAX", "z", "0"]);
    wait_blocked(&mut writer, 1);
    second.send_cmd(&["BZMPOP", "0", "1", "z", "MAX", "COUNT", "10"]);
    wait_blocked(&mut writer, 2);
    zadd(&mut writer, "z", &[("1", "a"), ("2", "b"), ("3", "c")]);
    assert_eq!(first.read_frame(), bulks(&["z", "c", "3"]));
    assert_eq!(
        second.read_frame(),
        arr(vec![
            bulk("z"),
            arr(vec![bulks(&["b", "2"]), bulks(&["a", "1"])])
        ])
    );
    wait_blocked(&mut writer, 0);
    assert_eq!(writer.cmd(&["EXISTS", "z"]), int(0));
}

#[test]
fn blocking_pops_time_out_with_a_null() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["BZPOPMIN", "z", "0.05"]), Frame::Null);
    expect_raw(&mut c, &["BZMPOP", "0.01", "1", "z", "MIN"], "*-1\r\n");
    c.cmd(&["HELLO", "3"]);
    expect_raw(&mut c, &["BZPOPMAX", "z", "0.01"], "_\r\n");
}

#[test]
fn resp3_blocking_replies() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    zadd(&mut c, "z", &[("1.5", "a"), ("2", "b")]);
    expect_raw(
        &mut c,
        &["BZPOPMIN", "z", "0"],
        "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1.5\r\n",
    );
    expect_raw(
        &mut c,
        &["ZMPOP", "1", "z", "MIN"],
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n",
    );
}

#[test]
fn pops_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let _: i64 = con
        .zadd_multiple("z", &[(1, "a"), (2, "b"), (3, "c")])
        .unwrap();
    let min: Vec<(String, f64)> = con.zpopmin("z", 1).unwrap();
    assert_eq!(min, vec![("a".to_string(), 1.0)]);
    let max: Vec<(String, f64)> = con.zpopmax("z", 5).unwrap();
    assert_eq!(max, vec![("c".to_string(), 3.0), ("b".to_string(), 2.0)]);
    let none: Option<(String, String, f64)> = con.bzpopmin("z", 0.01).unwrap();
    assert_eq!(none, None);
}
