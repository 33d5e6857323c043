//! BITFIELD, BITFIELD_RO and LCS end to end (the bit commands are in bits.rs).
//! end to end: replies, options, exact error texts, TTL effects and size limits.
mod common;

use common::*;
use rudis::protocol::Frame;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INT: &str = "ERR value is not an integer or out of range";
const SYNTAX: &str = "ERR syntax error";
const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";
const BAD_TYPE: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
/// The map `{"nested": [1, 2, 3]}` as a client sends it (a document value).
const DOC: &[u8] = b"%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n";

fn ints(values: &[i64]) -> Frame {
    Frame::Array(values.iter().map(|&n| int(n)).collect())
}

fn raw_bulk(bytes: &[u8]) -> Frame {
    Frame::Bulk(bytes.to_vec())
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
    set_doc(&mut c, "doc", DOC);
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
    set_doc(&mut c, "doc", DOC);
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
