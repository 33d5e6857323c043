//! Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO) and LCS
//! end to end: replies, options, exact error texts, TTL effects and size limits.
mod common;

use common::*;
use rudis::protocol::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_BIT: &str = "ERR bit is not an integer or out of range";
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
/// The map `{"nested": [1, 2, 3]}` as a client sends it (a document value).
const DOC: &[u8] = b"%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n";

/// Sends a command whose arguments may be any bytes and reads its reply.
fn cmdb(c: &mut Raw, args: &[&[u8]]) -> Frame {
    c.send(&Frame::command(args));
    c.read_frame()
}

/// Stores a document under `key`.
fn set_doc(c: &mut Raw, key: &str) {
    let mut req = format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n", key.len()).into_bytes();
    req.extend_from_slice(DOC);
    c.send(&req);
    assert_eq!(c.read_frame(), simple("OK"));
}

fn ints(values: &[i64]) -> Frame {
    Frame::Array(values.iter().map(|&n| int(n)).collect())
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
    set_doc(&mut c, "doc");
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
    set_doc(&mut c, "doc");
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
    set_doc(&mut c, "doc");
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
    set_doc(&mut c, "doc");
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
    set_doc(&mut c, "doc");
    assert_eq!(c.cmd(&["BITOP", "OR", "r", "a", "doc"]), error(WRONGTYPE));
    assert_eq!(c.cmd(&["EXISTS", "r"]), int(0), "nothing written on error");
}

#[test]
fn bitfield_get_set_incrby() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "k", "SET", "i8", "0", "-100", "SET", "i8", "0", "101", "GET", "i8", "0"
        ]),
        ints(&[0, -100, 101])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "u", "SET", "u8", "0", "255", "INCRBY", "u8", "0", "100", "GET", "u8", "0"
        ]),
        ints(&[0, 99, 99])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "s", "SET", "i8", "0", "255", "SET", "i8", "0", "100"
        ]),
        ints(&[0, -1])
    );
    // #n offsets are multiples of the width.
    for (i, ch) in ["65", "66", "67"].iter().enumerate() {
        c.cmd(&["BITFIELD", "abc", "SET", "u8", &format!("#{i}"), ch]);
    }
    assert_eq!(c.cmd(&["GET", "abc"]), bulk("ABC"));
    assert_eq!(
        c.cmd(&["BITFIELD", "abc", "GET", "u4", "#1", "GET", "i16", "8"]),
        ints(&[1, 0x4243])
    );
    // Unaligned fields, and fields past the end (read as zeros).
    assert_eq!(
        c.cmd(&["BITFIELD", "un", "SET", "u5", "7", "23"]),
        ints(&[0])
    );
    assert_eq!(c.cmd(&["GET", "un"]), raw_bulk(&[0x01, 0x70]));
    assert_eq!(
        c.cmd(&["BITFIELD", "un", "GET", "u5", "7", "GET", "i64", "100"]),
        ints(&[23, 0])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD",
            "w",
            "SET",
            "i64",
            "0",
            "-9223372036854775808",
            "GET",
            "i64",
            "0",
            "GET",
            "u63",
            "1"
        ]),
        ints(&[0, i64::MIN, 0])
    );
    // An integer-encoded value is its text ("1" is 0x31).
    c.cmd(&["SET", "n", "1"]);
    assert_eq!(
        c.cmd(&["BITFIELD", "n", "GET", "u8", "0", "GET", "u1", "0"]),
        ints(&[0x31, 0])
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "n", "INCRBY", "u8", "0", "1"]),
        ints(&[0x32])
    );
    assert_eq!(c.cmd(&["GET", "n"]), bulk("2"));
    assert_eq!(c.cmd(&["BITFIELD", "missing"]), Frame::Array(vec![]));
    assert_eq!(
        c.cmd(&["BITFIELD", "missing", "GET", "u8", "0"]),
        ints(&[0])
    );
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));
}

#[test]
fn bitfield_overflow_modes() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["BITFIELD", "u", "SET", "u8", "#0", "100"]);
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "u", "OVERFLOW", "WRAP", "INCRBY", "u8", "#0", "257"
        ]),
        ints(&[101])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "u", "OVERFLOW", "sat", "INCRBY", "u8", "#0", "257"
        ]),
        ints(&[255])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "u", "OVERFLOW", "SAT", "INCRBY", "u8", "#0", "-300"
        ]),
        ints(&[0])
    );
    c.cmd(&["BITFIELD", "i", "SET", "i8", "#0", "100"]);
    assert_eq!(
        c.cmd(&["BITFIELD", "i", "INCRBY", "i8", "#0", "257"]),
        ints(&[101])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "i", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "100"
        ]),
        ints(&[127])
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "i", "OVERFLOW", "SAT", "INCRBY", "i8", "#0", "-1000"
        ]),
        ints(&[-128])
    );
    // FAIL: a null reply and nothing written; the mode applies to later ops only.
    assert_eq!(
        c.cmd(&[
            "BITFIELD", "i", "INCRBY", "i8", "#0", "-1", "OVERFLOW", "FAIL", "INCRBY", "i8", "#0",
            "200", "SET", "i8", "#0", "128", "GET", "i8", "#0", "INCRBY", "i8", "#0", "1",
        ]),
        Frame::Array(vec![
            int(127),
            Frame::Null,
            Frame::Null,
            int(127),
            Frame::Null
        ])
    );
    // RESP3 null for FAIL.
    c.cmd(&["HELLO", "3"]);
    c.send(&Frame::command(&[
        "BITFIELD", "i", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9",
    ]));
    assert_eq!(c.read_exact_bytes(7), b"*1\r\n_\r\n");
}

#[test]
fn bitfield_errors() {
    let server = start_server_with(|c| c.proto.max_bulk_len = 1000);
    let mut c = server.raw();
    for bad in ["u64", "i65", "i0", "x8", "I8", "u", "8"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "k", "GET", bad, "0"]),
            error(BAD_TYPE),
            "{bad}"
        );
    }
    for bad in ["-1", "#-1", "x", "8000", "#1000", "#"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "k", "GET", "u8", bad]),
            error(BAD_OFFSET),
            "{bad}"
        );
    }
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8", "7992"]), ints(&[0]));
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "x"]),
        error(NOT_INT)
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "INCRBY", "u8", "0"]),
        error(SYNTAX)
    );
    assert_eq!(c.cmd(&["BITFIELD", "k", "GET", "u8"]), error(SYNTAX));
    assert_eq!(c.cmd(&["BITFIELD", "k", "FOO", "u8", "0"]), error(SYNTAX));
    assert_eq!(c.cmd(&["BITFIELD", "k", "OVERFLOW"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "OVERFLOW", "CLAMP", "GET", "u8", "0"]),
        error("ERR Invalid OVERFLOW type specified")
    );
    // Errors come before any write.
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u99", "0"]),
        error(BAD_TYPE)
    );
    assert_eq!(c.cmd(&["EXISTS", "k"]), int(0));
    set_doc(&mut c, "doc");
    assert_eq!(
        c.cmd(&["BITFIELD", "doc", "GET", "u8", "0"]),
        error(WRONGTYPE)
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "doc", "SET", "u8", "0", "1"]),
        error(WRONGTYPE)
    );
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "doc", "GET", "u8", "0"]),
        error(WRONGTYPE)
    );
}

#[test]
fn bitfield_ro() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["BITFIELD", "k", "SET", "u8", "0", "100"]);
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4"]),
        ints(&[100, 4])
    );
    assert_eq!(c.cmd(&["BITFIELD_RO", "k"]), Frame::Array(vec![]));
    let ro = error("ERR BITFIELD_RO only supports the GET subcommand");
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "u8", "0"]),
        ro
    );
    assert_eq!(c.cmd(&["BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"]), ro);
    // Parse errors come first.
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "u64", "0"]),
        error(BAD_TYPE)
    );
    assert_eq!(c.cmd(&["GET", "k"]), raw_bulk(&[100]));
}

#[test]
fn lcs_replies() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "a", "ohmytext"]);
    c.cmd(&["SET", "b", "mynewtext"]);
    assert_eq!(c.cmd(&["LCS", "a", "b"]), bulk("mytext"));
    assert_eq!(c.cmd(&["LCS", "a", "b", "LEN"]), int(6));
    let range = |a0, a1, b0, b1| {
        Frame::Array(vec![
            Frame::Array(vec![int(a0), int(a1)]),
            Frame::Array(vec![int(b0), int(b1)]),
        ])
    };
    let with_len = |m: Frame, n| match m {
        Frame::Array(mut v) => {
            v.push(int(n));
            Frame::Array(v)
        }
        other => other,
    };
    let flat = |matches: Vec<Frame>| {
        Frame::Array(vec![
            bulk("matches"),
            Frame::Array(matches),
            bulk("len"),
            int(6),
        ])
    };
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX"]),
        flat(vec![range(4, 7, 5, 8), range(2, 3, 0, 1)])
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "idx", "withmatchlen"]),
        flat(vec![
            with_len(range(4, 7, 5, 8), 4),
            with_len(range(2, 3, 0, 1), 2)
        ])
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"]),
        flat(vec![with_len(range(4, 7, 5, 8), 4)])
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "-5"]),
        flat(vec![range(4, 7, 5, 8), range(2, 3, 0, 1)])
    );
    // RESP3: IDX is a map.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["LCS", "a", "b", "IDX", "MINMATCHLEN", "3"]),
        Frame::Map(vec![
            (bulk("matches"), Frame::Array(vec![range(4, 7, 5, 8)])),
            (bulk("len"), int(6)),
        ])
    );
    // Missing keys are empty strings; integers are their text.
    assert_eq!(c.cmd(&["LCS", "a", "missing"]), bulk(""));
    assert_eq!(c.cmd(&["LCS", "missing", "a", "LEN"]), int(0));
    c.cmd(&["SET", "n1", "12345"]);
    c.cmd(&["SET", "n2", "2x4"]);
    assert_eq!(c.cmd(&["LCS", "n1", "n2"]), bulk("24"));
}

#[test]
fn lcs_errors() {
    let server = start_server_with(|c| c.proto.max_bulk_len = 1000);
    let mut c = server.raw();
    c.cmd(&["SET", "a", "abc"]);
    set_doc(&mut c, "doc");
    let not_strings = error("ERR The specified keys must contain string values");
    assert_eq!(c.cmd(&["LCS", "a", "doc"]), not_strings);
    assert_eq!(c.cmd(&["LCS", "doc", "missing", "BAD"]), not_strings);
    assert_eq!(c.cmd(&["LCS", "a", "a", "BAD"]), error(SYNTAX));
    assert_eq!(c.cmd(&["LCS", "a", "a", "MINMATCHLEN"]), error(SYNTAX));
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "MINMATCHLEN", "x"]),
        error(NOT_INT)
    );
    assert_eq!(
        c.cmd(&["LCS", "a", "a", "LEN", "IDX"]),
        error("ERR If you want both the length and indexes, please just use IDX.")
    );
    assert_eq!(
        c.cmd(&["LCS", "a"]),
        error("ERR wrong number of arguments for 'lcs' command")
    );
    // The table is (len+1)^2 4-byte cells: 15x15 fits 1000 bytes, 16x16 does not.
    c.cmd(&["SET", "x", &"x".repeat(14)]);
    assert_eq!(c.cmd(&["LCS", "x", "x", "LEN"]), int(14));
    c.cmd(&["SET", "y", &"y".repeat(15)]);
    assert_eq!(
        c.cmd(&["LCS", "y", "y"]),
        error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    );
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
