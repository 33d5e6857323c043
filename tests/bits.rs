//! Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP) end to end: replies, options,
//! exact error texts, TTL effects and size limits (BITFIELD and LCS: bitfield_lcs.rs).
mod common;

use common::*;
use rudis::protocol::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
/// The map `{"nested": [1, 2, 3]}` as a client sends it (a document value).
const DOC: &[u8] = b"%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n";

/// Sends a command whose arguments may be any bytes and reads its reply.
fn cmdb(c: &mut Raw, args: &[&[u8]]) -> Frame {
    c.send(&Frame::command(args));
    c.read_frame()
}

fn raw_bulk(bytes: &[u8]) -> Frame {
    Frame::Bulk(bytes.to_vec())
}

#[test]
fn setbit_and_getbit() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SETBIT", "k", "1", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "k"]), raw_bulk(&[0b0100_0000]));
    assert_eq!(c.cmd(&["SETBIT", "k", "1", "0"]), int(1));
    assert_eq!(c.cmd(&["SETBIT", "k", "23", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "k"]), raw_bulk(&[0, 0, 1]));
    assert_eq!(c.cmd(&["GETBIT", "k", "23"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "k", "22"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "k", "1000"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "missing", "0"]), int(0));
    // "@" is 01000000.
    c.cmd(&["SET", "s", "@"]);
    assert_eq!(c.cmd(&["SETBIT", "s", "2", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "s"]), bulk("`"));
    // An integer-encoded value is its text: "1" is 00110001.
    c.cmd(&["SET", "n", "1"]);
    assert_eq!(c.cmd(&["GETBIT", "n", "2"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "n", "7"]), int(1));
    assert_eq!(c.cmd(&["SETBIT", "n", "6", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "n"]), bulk("3"));
    assert_eq!(c.cmd(&["INCR", "n"]), int(4));
}

#[test]
fn setbit_keeps_the_ttl_and_counts_changes_only() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "k", "a", "EX", "1000"]);
    c.cmd(&["SETBIT", "k", "100", "1"]);
    let Frame::Integer(ttl) = c.cmd(&["TTL", "k"]) else {
        panic!("TTL")
    };
    assert!(ttl > 900, "{ttl}");
    let dirty = || -> i64 {
        let mut d = server.raw();
        let Frame::Bulk(info) = d.cmd(&["INFO", "persistence"]) else {
            panic!("INFO")
        };
        let info = String::from_utf8(info).expect("utf8");
        info.lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("rdb_changes_since_last_save")
    };
    let before = dirty();
    c.cmd(&["SETBIT", "k", "100", "1"]); // no change
    c.cmd(&["BITFIELD", "k", "SET", "u1", "100", "1"]); // no change
    assert_eq!(dirty(), before);
    c.cmd(&["SETBIT", "k", "100", "0"]);
    c.cmd(&["SETBIT", "k", "200", "0"]); // grows
    c.cmd(&[
        "BITFIELD", "k", "SET", "u1", "100", "1", "SET", "u1", "100", "1",
    ]);
    assert_eq!(dirty(), before + 3);
}

#[test]
fn bit_offset_and_value_errors() {
    let server = start_server_with(|c| c.proto.max_bulk_len = 1000);
    let mut c = server.raw();
    for bad in ["-1", "abc", "1.5", "", "8000"] {
        assert_eq!(
            c.cmd(&["SETBIT", "k", bad, "1"]),
            error(BAD_OFFSET),
            "{bad}"
        );
        assert_eq!(c.cmd(&["GETBIT", "k", bad]), error(BAD_OFFSET), "{bad}");
    }
    // The last bit of a proto-max-bulk-len string is addressable.
    assert_eq!(c.cmd(&["SETBIT", "k", "7999", "1"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(1000));
    for bad in ["2", "-1", "10", "x"] {
        assert_eq!(c.cmd(&["SETBIT", "k", "0", bad]), error(BAD_BIT), "{bad}");
    }
    set_doc(&mut c, "doc", DOC);
    assert_eq!(c.cmd(&["SETBIT", "doc", "0", "1"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["GETBIT", "doc", "0"]), error(WRONGTYPE));
    assert_eq!(
        c.cmd(&["SETBIT", "k", "0"]),
        error("ERR wrong number of arguments for 'setbit' command")
    );
}

#[test]
fn default_offset_limit_is_two_to_the_32_bits() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["SETBIT", "k", "4294967296", "1"]),
        error(BAD_OFFSET)
    );
    assert_eq!(c.cmd(&["GETBIT", "k", "4294967295"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
}

#[test]
fn bitcount_ranges() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "foobar"]);
    assert_eq!(c.cmd(&["BITCOUNT", "s"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "0"]), int(4));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1"]), int(6));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "-2"]), int(18)); // "ooba"
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-2", "1"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1000"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-6", "-7"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "4", "10"]), int(7));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "10", "20"]), int(0));
    // "foobar" bits: 01100110 01101111 ...
    assert_eq!(c.cmd(&["BITCOUNT", "s", "5", "30", "BIT"]), int(17));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "-1", "bit"]), int(26));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "2", "bit"]), int(2));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "3", "4", "bit"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "10", "-34", "BIT"]), int(4));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "1", "1", "BYTE"]), int(6));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-6", "-15", "bit"]), int(0));
    c.cmd(&["SET", "n", "123"]);
    assert_eq!(c.cmd(&["BITCOUNT", "n"]), int(10));
    c.cmd(&["SET", "e", ""]);
    assert_eq!(c.cmd(&["BITCOUNT", "e", "0", "-1"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "missing"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "missing", "0", "1000", "bit"]), int(0));
}

#[test]
fn bitcount_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "foobar"]);
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0"]), error(SYNTAX));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "1", "hello"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["BITCOUNT", "s", "0", "1", "bit", "x"]),
        error(SYNTAX)
    );
    assert_eq!(c.cmd(&["BITCOUNT", "s", "a", "1"]), error(NOT_INT));
    assert_eq!(c.cmd(&["BITCOUNT", "s", "0", "b"]), error(NOT_INT));
    // As Redis: a reversed negative range is 0 before the unit is looked at, and a
    // missing key is 0 before the arguments are.
    assert_eq!(c.cmd(&["BITCOUNT", "s", "-1", "-2", "hello"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", "missing", "0"]), int(0));
    set_doc(&mut c, "doc", DOC);
    assert_eq!(c.cmd(&["BITCOUNT", "doc"]), error(WRONGTYPE));
}

#[test]
fn bitpos_searches() {
    let server = start_server();
    let mut c = server.raw();
    cmdb(&mut c, &[b"SET", b"s", b"\xff\xf0\x00"]);
    assert_eq!(c.cmd(&["BITPOS", "s", "0"]), int(12));
    assert_eq!(c.cmd(&["BITPOS", "s", "1"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "1"]), int(12));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "0", "-1", "bit"]), int(12));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "13", "-1", "BIT"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "2", "5", "bit"]), int(2));
    cmdb(&mut c, &[b"SET", b"s", b"\x00\xff\x00"]);
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "-1"]), int(8));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "2", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "1", "-1"]), int(16));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "2", "200"]), int(16));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "1", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "8", "8", "bit"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "5", "2"]), int(-1));
    // No end: the string counts as followed by zeros; with an end, it does not.
    cmdb(&mut c, &[b"SET", b"s", b"\xff\xff\xff"]);
    assert_eq!(c.cmd(&["BITPOS", "s", "0"]), int(24));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "0"]), int(24));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "0", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "s", "0", "0", "-1", "bit"]), int(-1));
    // A long run of zeros, then a set bit.
    let mut long = vec![0u8; 1000];
    long.push(0x10);
    cmdb(&mut c, &[b"SET", b"l", &long]);
    assert_eq!(c.cmd(&["BITPOS", "l", "1"]), int(8003));
    assert_eq!(c.cmd(&["BITPOS", "l", "1", "3", "-1"]), int(8003));
    assert_eq!(c.cmd(&["BITPOS", "l", "1", "0", "8002", "bit"]), int(-1));
    c.cmd(&["SET", "e", ""]);
    assert_eq!(c.cmd(&["BITPOS", "e", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "missing", "0"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "missing", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "missing", "0", "0", "-1", "bit"]), int(0));
}

#[test]
fn bitpos_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "abc"]);
    let bad_bit = error("ERR The bit argument must be 1 or 0.");
    assert_eq!(c.cmd(&["BITPOS", "s", "2"]), bad_bit);
    assert_eq!(c.cmd(&["BITPOS", "missing", "-1"]), bad_bit);
    assert_eq!(c.cmd(&["BITPOS", "s", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "x"]), error(NOT_INT));
    assert_eq!(c.cmd(&["BITPOS", "s", "1", "0", "x"]), error(NOT_INT));
    assert_eq!(
        c.cmd(&["BITPOS", "s", "1", "0", "1", "bits"]),
        error(SYNTAX)
    );
    assert_eq!(
        c.cmd(&["BITPOS", "s", "1", "0", "1", "bit", "x"]),
        error(SYNTAX)
    );
    set_doc(&mut c, "doc", DOC);
    assert_eq!(c.cmd(&["BITPOS", "doc", "1"]), error(WRONGTYPE));
}

#[test]
fn bitop_operations() {
    let server = start_server();
    let mut c = server.raw();
    cmdb(&mut c, &[b"SET", b"a", b"\x01\x02\xff\xff"]);
    cmdb(&mut c, &[b"SET", b"b", b"\x01\x02\xff"]);
    assert_eq!(c.cmd(&["BITOP", "AND", "r", "a", "b"]), int(4));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\x01\x02\xff\x00"));
    assert_eq!(c.cmd(&["BITOP", "or", "r", "a", "b"]), int(4));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\x01\x02\xff\xff"));
    assert_eq!(c.cmd(&["BITOP", "Xor", "r", "a", "b"]), int(4));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\x00\x00\x00\xff"));
    assert_eq!(c.cmd(&["BITOP", "NOT", "r", "b"]), int(3));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\xfe\xfd\x00"));
    // Missing keys are zeros; a single source is copied.
    assert_eq!(c.cmd(&["BITOP", "AND", "r", "missing", "a"]), int(4));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\x00\x00\x00\x00"));
    assert_eq!(c.cmd(&["BITOP", "OR", "r", "b"]), int(3));
    assert_eq!(c.cmd(&["GET", "r"]), raw_bulk(b"\x01\x02\xff"));
    // Integer-encoded sources are their text: "1" ^ "2" ^ "1" = "2".
    c.cmd(&["SET", "one", "1"]);
    c.cmd(&["SET", "two", "2"]);
    assert_eq!(c.cmd(&["BITOP", "XOR", "r", "one", "two", "one"]), int(1));
    assert_eq!(c.cmd(&["GET", "r"]), bulk("2"));
    // The target may be a source.
    assert_eq!(c.cmd(&["BITOP", "NOT", "b", "b"]), int(3));
    assert_eq!(c.cmd(&["GET", "b"]), raw_bulk(b"\xfe\xfd\x00"));
}

#[test]
fn bitop_target_is_replaced_or_deleted() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "src", "abc"]);
    c.cmd(&["SET", "dest", "old", "EX", "1000"]);
    assert_eq!(c.cmd(&["BITOP", "OR", "dest", "src"]), int(3));
    assert_eq!(c.cmd(&["TTL", "dest"]), int(-1));
    set_doc(&mut c, "doc", DOC);
    assert_eq!(c.cmd(&["BITOP", "OR", "doc", "src"]), int(3));
    assert_eq!(c.cmd(&["GET", "doc"]), bulk("abc"));
    // An empty result deletes the target.
    c.cmd(&["SET", "empty", ""]);
    assert_eq!(c.cmd(&["BITOP", "AND", "dest", "empty", "missing"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dest"]), int(0));
    assert_eq!(c.cmd(&["BITOP", "NOT", "dest", "missing"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dest"]), int(0));
}

#[test]
fn bitop_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "a", "x"]);
    assert_eq!(
        c.cmd(&["BITOP", "NOT", "r", "a", "a"]),
        error("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(c.cmd(&["BITOP", "NAND", "r", "a"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["BITOP", "AND", "r"]),
        error("ERR wrong number of arguments for 'bitop' command")
    );
    set_doc(&mut c, "doc", DOC);
    assert_eq!(c.cmd(&["BITOP", "OR", "r", "a", "doc"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["EXISTS", "r"]), int(0), "nothing written on error");
}

#[test]
fn through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let old: i64 = redis::cmd("SETBIT")
        .arg("k")
        .arg(7)
        .arg(1)
        .query(&mut con)
        .expect("setbit");
    assert_eq!(old, 0);
    let bit: i64 = redis::cmd("GETBIT")
        .arg("k")
        .arg(7)
        .query(&mut con)
        .expect("getbit");
    assert_eq!(bit, 1);
    let count: i64 = redis::cmd("BITCOUNT")
        .arg("k")
        .query(&mut con)
        .expect("bitcount");
    assert_eq!(count, 1);
    let pos: i64 = redis::cmd("BITPOS")
        .arg("k")
        .arg(1)
        .query(&mut con)
        .expect("bitpos");
    assert_eq!(pos, 7);
    let len: i64 = redis::cmd("BITOP")
        .arg("NOT")
        .arg("r")
        .arg("k")
        .query(&mut con)
        .expect("bitop");
    assert_eq!(len, 1);
    let fields: Vec<Option<i64>> = redis::cmd("BITFIELD")
        .arg("r")
        .arg(&[
            "GET", "u8", "0", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "10",
        ])
        .query(&mut con)
        .expect("bitfield");
    assert_eq!(fields, vec![Some(254), None]);
    let err = redis::cmd("SETBIT")
        .arg("k")
        .arg(-1)
        .arg(1)
        .query::<i64>(&mut con)
        .expect_err("negative offset");
    assert!(
        err.to_string()
            .contains("bit offset is not an integer or out of range"),
        "{err}"
    );
    let _: () = redis::cmd("MSET")
        .arg(&["a", "ohmytext", "b", "mynewtext"])
        .query(&mut con)
        .expect("mset");
    let lcs: String = redis::cmd("LCS")
        .arg("a")
        .arg("b")
        .query(&mut con)
        .expect("lcs");
    assert_eq!(lcs, "mytext");
}
