//! String commands end to end: replies, options, exact error texts and TTL effects
//! (documents stored as values are in string_documents.rs).
mod common;

use common::*;
use rudis::protocol::Frame;

/// Short TTL in ms: long enough that a loaded machine runs the next few commands
/// before it passes, short enough to keep the tests fast.
const TTL_MS: i64 = 200;
/// [`TTL_MS`] as an argument.
const TTL: &str = "200";

const NOT_INT: &str = "ERR value is not an integer or out of range";
const NOT_FLOAT: &str = "ERR value is not a valid float";
const SYNTAX: &str = "ERR syntax error";

/// Sets a sentinel key with a [`TTL`] and waits for it to expire: afterwards, any
/// key given a TTL of at most [`TTL`] before this call has passed its deadline too.
fn wait_past_ttl(c: &mut Raw) {
    assert_eq!(c.cmd(&["SET", "sentinel", "x", "PX", TTL]), simple("OK"));
    wait_gone(c, "sentinel");
}

#[test]
fn get_and_plain_set() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["SET", "k", "12345"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("12345"));
    assert_eq!(c.cmd(&["SET", "k", "-007"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("-007"));
    assert_eq!(c.cmd(&["SET", "e", ""]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "e"]), bulk(""));
    assert_eq!(
        c.cmd(&["GET"]),
        error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        c.cmd(&["SET", "k"]),
        error("ERR wrong number of arguments for 'set' command")
    );
}

#[test]
fn set_nx_xx_get() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "1", "XX"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "k", "1", "nx"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "k", "2", "NX"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("1"));
    assert_eq!(c.cmd(&["SET", "k", "3", "xx"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("3"));
    // GET returns the old value whether or not the write happens.
    assert_eq!(c.cmd(&["SET", "k", "4", "GET"]), bulk("3"));
    assert_eq!(c.cmd(&["SET", "k", "5", "NX", "GET"]), bulk("4"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("4"));
    assert_eq!(c.cmd(&["SET", "n", "1", "NX", "GET"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "n"]), bulk("1"));
    assert_eq!(c.cmd(&["SET", "x", "1", "XX", "GET"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "x"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "k", "6", "GET", "get"]), bulk("4"));
    // Options may repeat when they agree.
    assert_eq!(c.cmd(&["SET", "k", "7", "XX", "XX"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("7"));
}

#[test]
fn set_option_errors() {
    let server = start_server();
    let mut c = server.raw();
    for args in [
        &["SET", "k", "v", "NX", "XX"][..],
        &["SET", "k", "v", "XX", "NX"],
        &["SET", "k", "v", "EX", "10", "PX", "100"],
        &["SET", "k", "v", "PX", "100", "EXAT", "10"],
        &["SET", "k", "v", "EX", "10", "KEEPTTL"],
        &["SET", "k", "v", "KEEPTTL", "PXAT", "10"],
        &["SET", "k", "v", "EX"],
        &["SET", "k", "v", "PERSIST"],
        &["SET", "k", "v", "FOO"],
        &["SET", "k", "v", "NX", "bar"],
    ] {
        assert_eq!(c.cmd(args), error(SYNTAX), "{args:?}");
    }
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "ten"]), error(NOT_INT));
    assert_eq!(c.cmd(&["SET", "k", "v", "EX", "1.5"]), error(NOT_INT));
    let bad_expire = error("ERR invalid expire time in 'set' command");
    for args in [
        &["SET", "k", "v", "EX", "0"][..],
        &["SET", "k", "v", "PX", "-1"],
        &["SET", "k", "v", "EXAT", "0"],
        &["SET", "k", "v", "EX", "9223372036854776"],
        &["SET", "k", "v", "PX", "9223372036854775807"],
    ] {
        assert_eq!(c.cmd(args), bad_expire, "{args:?}");
    }
    // Nothing was written by the failed commands.
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    // Seconds that fit in ms but overflow once added to now are refused; as an
    // absolute time they are fine.
    assert_eq!(
        c.cmd(&["SET", "k", "v", "EX", "9223372036854775"]),
        error("ERR invalid expire time in 'set' command")
    );
    assert_eq!(
        c.cmd(&["SET", "k", "v", "EXAT", "9223372036854775"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
}

#[test]
fn set_expiry_options() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "px", "v", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "px"]), bulk("v"));
    wait_gone(&mut c, "px");

    let at = rudis::store::now_ms() + TTL_MS;
    assert_eq!(
        c.cmd(&["SET", "pxat", "v", "PXAT", &at.to_string()]),
        simple("OK")
    );
    wait_gone(&mut c, "pxat");
    assert_eq!(c.cmd(&["SET", "past", "v", "EXAT", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "past"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "ex", "v", "ex", "100"]), simple("OK"));

    // KEEPTTL keeps the deadline; a plain SET clears it.
    assert_eq!(c.cmd(&["SET", "keep", "a", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "keep", "b", "KEEPTTL"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "clear", "a", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "clear", "b"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "nottl", "c", "KEEPTTL"]), simple("OK"));
    wait_gone(&mut c, "keep");
    wait_past_ttl(&mut c);
    assert_eq!(c.cmd(&["GET", "clear"]), bulk("b"));
    assert_eq!(c.cmd(&["GET", "nottl"]), bulk("c"));
    assert_eq!(c.cmd(&["GET", "ex"]), bulk("v"));
}

#[test]
fn setnx_setex_psetex() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SETNX", "k", "1"]), int(1));
    assert_eq!(c.cmd(&["SETNX", "k", "2"]), int(0));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("1"));

    assert_eq!(c.cmd(&["SETEX", "s", "100", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "s"]), bulk("v"));
    assert_eq!(c.cmd(&["PSETEX", "p", TTL, "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "p"]), bulk("v"));
    wait_gone(&mut c, "p");
    assert_eq!(c.cmd(&["GET", "s"]), bulk("v"));

    assert_eq!(
        c.cmd(&["SETEX", "s", "0", "v"]),
        error("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        c.cmd(&["SETEX", "s", "9223372036854776", "v"]),
        error("ERR invalid expire time in 'setex' command")
    );
    assert_eq!(
        c.cmd(&["PSETEX", "p", "-5", "v"]),
        error("ERR invalid expire time in 'psetex' command")
    );
    assert_eq!(c.cmd(&["SETEX", "s", "x", "v"]), error(NOT_INT));
    assert_eq!(
        c.cmd(&["SETEX", "s", "10"]),
        error("ERR wrong number of arguments for 'setex' command")
    );
    assert_eq!(c.cmd(&["GET", "p"]), Frame::Null);
}

#[test]
fn getset_getdel() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GETSET", "k", "1"]), Frame::Null);
    assert_eq!(c.cmd(&["GETSET", "k", "2"]), bulk("1"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("2"));
    // GETSET clears the TTL.
    assert_eq!(c.cmd(&["SET", "t", "a", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["GETSET", "t", "b"]), bulk("a"));
    wait_past_ttl(&mut c);
    assert_eq!(c.cmd(&["GET", "t"]), bulk("b"));

    assert_eq!(c.cmd(&["GETDEL", "k"]), bulk("2"));
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(c.cmd(&["GETDEL", "k"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "n", "42"]), simple("OK"));
    assert_eq!(c.cmd(&["GETDEL", "n"]), bulk("42"));
    assert_eq!(c.cmd(&["GET", "n"]), Frame::Null);
}

#[test]
fn getex_options() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GETEX", "missing"]), Frame::Null);
    // Expire times are validated only once the key is found, as Redis does.
    assert_eq!(c.cmd(&["GETEX", "missing", "EX", "-1"]), Frame::Null);
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GETEX", "k"]), bulk("v"));
    assert_eq!(
        c.cmd(&["GETEX", "k", "EX", "-1"]),
        error("ERR invalid expire time in 'getex' command")
    );
    assert_eq!(c.cmd(&["GETEX", "k", "PX", "abc"]), error(NOT_INT));
    for args in [
        &["GETEX", "k", "EX", "1", "PX", "1"][..],
        &["GETEX", "k", "PERSIST", "EX", "1"],
        &["GETEX", "k", "EX", "1", "PERSIST"],
        &["GETEX", "k", "NX"],
        &["GETEX", "k", "KEEPTTL"],
        &["GETEX", "k", "GET"],
        &["GETEX", "k", "PX"],
    ] {
        assert_eq!(c.cmd(args), error(SYNTAX), "{args:?}");
    }
    // The syntax check comes first, even for a missing key.
    assert_eq!(c.cmd(&["GETEX", "missing", "FOO"]), error(SYNTAX));

    assert_eq!(c.cmd(&["GETEX", "k", "PX", TTL]), bulk("v"));
    wait_gone(&mut c, "k");

    assert_eq!(c.cmd(&["SET", "p", "v", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["GETEX", "p", "PERSIST"]), bulk("v"));
    assert_eq!(c.cmd(&["SET", "e", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GETEX", "e", "ex", "100"]), bulk("v"));
    wait_past_ttl(&mut c);
    assert_eq!(c.cmd(&["GET", "p"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "e"]), bulk("v"));

    // A deadline already past deletes the key after returning it.
    assert_eq!(c.cmd(&["GETEX", "e", "EXAT", "1"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "e"]), Frame::Null);
    let at = rudis::store::now_ms() + TTL_MS;
    assert_eq!(c.cmd(&["GETEX", "p", "PXAT", &at.to_string()]), bulk("v"));
    wait_gone(&mut c, "p");
}

#[test]
fn mget_mset_msetnx() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["MSET", "a", "1", "b", "two"]), simple("OK"));
    assert_eq!(
        c.cmd(&["MGET", "a", "b", "nope", "a"]),
        Frame::Array(vec![bulk("1"), bulk("two"), Frame::Null, bulk("1")])
    );
    assert_eq!(c.cmd(&["MSET", "a", "x", "a", "y"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "a"]), bulk("y"));
    assert_eq!(
        c.cmd(&["MSET", "a", "1", "b"]),
        error("ERR wrong number of arguments for 'mset' command")
    );
    assert_eq!(
        c.cmd(&["MSETNX", "c", "1", "d"]),
        error("ERR wrong number of arguments for 'msetnx' command")
    );
    assert_eq!(
        c.cmd(&["MGET"]),
        error("ERR wrong number of arguments for 'mget' command")
    );
    assert_eq!(c.cmd(&["MSETNX", "c", "1", "a", "2"]), int(0));
    assert_eq!(c.cmd(&["GET", "c"]), Frame::Null);
    assert_eq!(c.cmd(&["MSETNX", "c", "1", "d", "2"]), int(1));
    assert_eq!(
        c.cmd(&["MGET", "c", "d"]),
        Frame::Array(vec![bulk("1"), bulk("2")])
    );
    // MSET clears TTLs.
    assert_eq!(c.cmd(&["SET", "t", "old", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["MSET", "t", "new"]), simple("OK"));
    wait_past_ttl(&mut c);
    assert_eq!(c.cmd(&["GET", "t"]), bulk("new"));
}

#[test]
fn append_and_strlen() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(0));
    assert_eq!(c.cmd(&["APPEND", "k", "hello"]), int(5));
    assert_eq!(c.cmd(&["APPEND", "k", " world"]), int(11));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("hello world"));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(11));
    assert_eq!(c.cmd(&["APPEND", "k", ""]), int(11));
    // An integer-valued string appends as text and still counts as a number.
    assert_eq!(c.cmd(&["SET", "n", "-12"]), simple("OK"));
    assert_eq!(c.cmd(&["STRLEN", "n"]), int(3));
    assert_eq!(c.cmd(&["APPEND", "n", "3"]), int(4));
    assert_eq!(c.cmd(&["GET", "n"]), bulk("-123"));
    assert_eq!(c.cmd(&["INCR", "n"]), int(-122));
    // APPEND keeps the TTL.
    assert_eq!(c.cmd(&["SET", "t", "a", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["APPEND", "t", "b"]), int(2));
    wait_gone(&mut c, "t");
}

#[test]
fn append_respects_proto_max_bulk_len() {
    let server = start_server_with(|cfg| cfg.proto.max_bulk_len = 1024 * 1024);
    let mut c = server.raw();
    let big = "x".repeat(1024 * 1024 - 1);
    assert_eq!(c.cmd(&["SET", "k", &big]), simple("OK"));
    assert_eq!(c.cmd(&["APPEND", "k", "y"]), int(1024 * 1024));
    assert_eq!(
        c.cmd(&["APPEND", "k", "z"]),
        error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(1024 * 1024));
}

#[test]
fn getrange_and_substr() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GETRANGE", "k", "0", "-1"]), bulk(""));
    assert_eq!(c.cmd(&["SET", "k", "This is a string"]), simple("OK"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "0", "3"]), bulk("This"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "-3", "-1"]), bulk("ing"));
    assert_eq!(
        c.cmd(&["GETRANGE", "k", "0", "-1"]),
        bulk("This is a string")
    );
    assert_eq!(c.cmd(&["GETRANGE", "k", "10", "100"]), bulk("string"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "5", "3"]), bulk(""));
    assert_eq!(c.cmd(&["GETRANGE", "k", "-1", "-5"]), bulk(""));
    assert_eq!(c.cmd(&["GETRANGE", "k", "100", "200"]), bulk(""));
    assert_eq!(c.cmd(&["GETRANGE", "k", "-100", "1"]), bulk("Th"));
    assert_eq!(c.cmd(&["SUBSTR", "k", "5", "6"]), bulk("is"));
    assert_eq!(c.cmd(&["GETRANGE", "k", "a", "1"]), error(NOT_INT));
    assert_eq!(c.cmd(&["GETRANGE", "k", "0", "1.0"]), error(NOT_INT));
    assert_eq!(c.cmd(&["SET", "n", "1234"]), simple("OK"));
    assert_eq!(c.cmd(&["GETRANGE", "n", "1", "2"]), bulk("23"));
    assert_eq!(c.cmd(&["SET", "e", ""]), simple("OK"));
    assert_eq!(c.cmd(&["GETRANGE", "e", "0", "-1"]), bulk(""));
}

#[test]
fn setrange() {
    let server = start_server();
    let mut c = server.raw();
    // Nothing to write on a missing key: 0 and no key created.
    assert_eq!(c.cmd(&["SETRANGE", "k", "5", ""]), int(0));
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    assert_eq!(c.cmd(&["SETRANGE", "k", "3", "ab"]), int(5));
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Bulk(b"\0\0\0ab".to_vec()));
    assert_eq!(c.cmd(&["SET", "s", "Hello World"]), simple("OK"));
    assert_eq!(c.cmd(&["SETRANGE", "s", "6", "Redis"]), int(11));
    assert_eq!(c.cmd(&["GET", "s"]), bulk("Hello Redis"));
    assert_eq!(c.cmd(&["SETRANGE", "s", "0", ""]), int(11));
    assert_eq!(c.cmd(&["SETRANGE", "s", "12", "!"]), int(13));
    assert_eq!(
        c.cmd(&["GET", "s"]),
        Frame::Bulk(b"Hello Redis\0!".to_vec())
    );
    assert_eq!(c.cmd(&["SET", "n", "1234"]), simple("OK"));
    assert_eq!(c.cmd(&["SETRANGE", "n", "1", "9"]), int(4));
    assert_eq!(c.cmd(&["INCR", "n"]), int(1935));
    assert_eq!(
        c.cmd(&["SETRANGE", "s", "-1", "x"]),
        error("ERR offset is out of range")
    );
    assert_eq!(c.cmd(&["SETRANGE", "s", "x", "x"]), error(NOT_INT));
    let too_big = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    assert_eq!(c.cmd(&["SETRANGE", "s", "536870911", "ab"]), too_big);
    assert_eq!(c.cmd(&["SETRANGE", "new", "536870911", "ab"]), too_big);
    assert_eq!(
        c.cmd(&["SETRANGE", "s", "9223372036854775807", "ab"]),
        too_big
    );
    assert_eq!(c.cmd(&["GET", "new"]), Frame::Null);
    // SETRANGE keeps the TTL.
    assert_eq!(c.cmd(&["SET", "t", "abc", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["SETRANGE", "t", "1", "X"]), int(3));
    assert_eq!(c.cmd(&["GET", "t"]), bulk("aXc"));
    wait_gone(&mut c, "t");
}

#[test]
fn incr_decr_family() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["INCR", "n"]), int(1));
    assert_eq!(c.cmd(&["INCR", "n"]), int(2));
    assert_eq!(c.cmd(&["DECR", "n"]), int(1));
    assert_eq!(c.cmd(&["INCRBY", "n", "100"]), int(101));
    assert_eq!(c.cmd(&["DECRBY", "n", "200"]), int(-99));
    assert_eq!(c.cmd(&["GET", "n"]), bulk("-99"));
    assert_eq!(c.cmd(&["DECR", "m"]), int(-1));
    assert_eq!(c.cmd(&["DECRBY", "m2", "-5"]), int(5));

    for bad in ["abc", "007", "+1", " 1", "1.0", "", "99999999999999999999"] {
        assert_eq!(c.cmd(&["SET", "s", bad]), simple("OK"));
        assert_eq!(c.cmd(&["INCR", "s"]), error(NOT_INT), "{bad:?}");
    }
    assert_eq!(c.cmd(&["INCRBY", "n", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["INCRBY", "n", "1.5"]), error(NOT_INT));
    assert_eq!(
        c.cmd(&["DECRBY", "n", "9223372036854775808"]),
        error(NOT_INT)
    );

    let overflow = error("ERR increment or decrement would overflow");
    assert_eq!(c.cmd(&["SET", "max", "9223372036854775807"]), simple("OK"));
    assert_eq!(c.cmd(&["INCR", "max"]), overflow);
    assert_eq!(c.cmd(&["GET", "max"]), bulk("9223372036854775807"));
    assert_eq!(c.cmd(&["SET", "min", "-9223372036854775808"]), simple("OK"));
    assert_eq!(c.cmd(&["DECR", "min"]), overflow);
    assert_eq!(c.cmd(&["INCRBY", "min", "-1"]), overflow);
    assert_eq!(
        c.cmd(&["DECRBY", "n", "-9223372036854775808"]),
        error("ERR decrement would overflow")
    );
    assert_eq!(c.cmd(&["INCRBY", "min", "9223372036854775807"]), int(-1));

    // INCR keeps the TTL.
    assert_eq!(c.cmd(&["SET", "t", "5", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["INCR", "t"]), int(6));
    wait_gone(&mut c, "t");
    assert_eq!(
        c.cmd(&["INCR"]),
        error("ERR wrong number of arguments for 'incr' command")
    );
}

#[test]
fn incrbyfloat() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "1"]), bulk("1"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "0.25"]), bulk("1.25"));
    assert_eq!(c.cmd(&["SET", "f", "10.50"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "0.1"]), bulk("10.6"));
    assert_eq!(c.cmd(&["GET", "f"]), bulk("10.6"));
    assert_eq!(c.cmd(&["SET", "g", "5.0e3"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "g", "2.0e2"]), bulk("5200"));
    // The result is an ordinary string: INCR works on an integral one.
    assert_eq!(c.cmd(&["INCR", "g"]), int(5201));
    assert_eq!(c.cmd(&["SET", "i", "17"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "i", "-17"]), bulk("0"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "i", "-1.5"]), bulk("-1.5"));

    assert_eq!(c.cmd(&["SET", "s", "abc"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "s", "1"]), error(NOT_FLOAT));
    assert_eq!(c.cmd(&["SET", "s", " 1"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "s", "1"]), error(NOT_FLOAT));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "x"]), error(NOT_FLOAT));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "nan"]), error(NOT_FLOAT));
    let nan_inf = error("ERR increment would produce NaN or Infinity");
    assert_eq!(c.cmd(&["INCRBYFLOAT", "f", "inf"]), nan_inf);
    assert_eq!(c.cmd(&["SET", "big", "1.7e308"]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "big", "1.7e308"]), nan_inf);
    assert_eq!(c.cmd(&["GET", "f"]), bulk("10.6"));

    // INCRBYFLOAT keeps the TTL.
    assert_eq!(c.cmd(&["SET", "t", "1.5", "PX", TTL]), simple("OK"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", "t", "1"]), bulk("2.5"));
    wait_gone(&mut c, "t");
}

#[test]
fn through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let ok: bool = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .arg("NX")
        .query(&mut con)
        .expect("set nx");
    assert!(ok);
    let none: Option<String> = redis::cmd("SET")
        .arg("k")
        .arg("w")
        .arg("NX")
        .query(&mut con)
        .expect("set nx again");
    assert_eq!(none, None);
    let old: Option<String> = redis::cmd("SET")
        .arg("k")
        .arg("w")
        .arg("GET")
        .query(&mut con)
        .expect("set get");
    assert_eq!(old.as_deref(), Some("v"));

    let _: () = redis::cmd("MSET")
        .arg(&["a", "1", "b", "2"])
        .query(&mut con)
        .expect("mset");
    let values: Vec<Option<i64>> = redis::cmd("MGET")
        .arg(&["a", "b", "c"])
        .query(&mut con)
        .expect("mget");
    assert_eq!(values, vec![Some(1), Some(2), None]);

    let n: i64 = redis::cmd("INCRBY")
        .arg("a")
        .arg(41)
        .query(&mut con)
        .expect("incrby");
    assert_eq!(n, 42);
    let f: f64 = redis::cmd("INCRBYFLOAT")
        .arg("a")
        .arg(0.5)
        .query(&mut con)
        .expect("incrbyfloat");
    assert_eq!(f, 42.5);
    let len: usize = redis::cmd("APPEND")
        .arg("k")
        .arg("xyz")
        .query(&mut con)
        .expect("append");
    assert_eq!(len, 4);
    let part: String = redis::cmd("GETRANGE")
        .arg("k")
        .arg(1)
        .arg(-1)
        .query(&mut con)
        .expect("getrange");
    assert_eq!(part, "xyz");
    let err = redis::cmd("INCR")
        .arg("k")
        .query::<i64>(&mut con)
        .expect_err("incr of text");
    assert!(err.to_string().contains("not an integer"), "{err}");
    let gone: Option<String> = redis::cmd("GETDEL")
        .arg("k")
        .query(&mut con)
        .expect("getdel");
    assert_eq!(gone.as_deref(), Some("wxyz"));
}
