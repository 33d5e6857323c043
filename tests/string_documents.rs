//! Nested documents stored by the string commands: exact round trips, MSET/MGET of
//! documents, and WRONGTYPE / dispatch errors where a string is needed.
mod common;

use common::*;
use rudis::protocol::Frame;

/// TTL given to keys that must expire during a test.
const TTL: &str = "200";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const DOC_ARG: &str = "ERR nested values are accepted only as the value of SET, SETNX, SETEX, PSETEX, GETSET, MSET and MSETNX";

const DOC: &[u8] = b"%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n";

fn doc_frame() -> Frame {
    Frame::Map(vec![(
        bulk("nested"),
        Frame::Array(vec![int(1), int(2), int(3)]),
    )])
}

/// One argument of a hand-built request.
enum Arg<'a> {
    /// A bulk string.
    S(&'a str),
    /// A document: raw RESP bytes.
    D(&'a [u8]),
}

/// Encodes a request whose arguments may be documents.
fn request(args: &[Arg<'_>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        match a {
            Arg::S(s) => {
                out.extend_from_slice(format!("${}\r\n{s}\r\n", s.len()).as_bytes());
            }
            Arg::D(d) => out.extend_from_slice(d),
        }
    }
    out
}

/// Sends a hand-built request and reads one reply frame.
fn send(c: &mut Raw, args: &[Arg<'_>]) -> Frame {
    c.send(&request(args));
    c.read_frame()
}

#[test]
fn document_round_trips_byte_identical() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        send(&mut c, &[Arg::S("SET"), Arg::S("doc"), Arg::D(DOC)]),
        simple("OK")
    );
    c.send_cmd(&["GET", "doc"]);
    assert_eq!(c.read_exact_bytes(DOC.len()), DOC);
    assert_eq!(c.cmd(&["GET", "doc"]), doc_frame());

    // Other value positions that accept documents.
    assert_eq!(
        send(&mut c, &[Arg::S("SETNX"), Arg::S("d2"), Arg::D(DOC)]),
        int(1)
    );
    assert_eq!(
        send(
            &mut c,
            &[
                Arg::S("SETEX"),
                Arg::S("d3"),
                Arg::S("100"),
                Arg::D(b":42\r\n")
            ]
        ),
        simple("OK")
    );
    c.send_cmd(&["GET", "d3"]);
    assert_eq!(c.read_exact_bytes(5), b":42\r\n");
    assert_eq!(
        send(
            &mut c,
            &[Arg::S("PSETEX"), Arg::S("d4"), Arg::S(TTL), Arg::D(DOC)]
        ),
        simple("OK")
    );
    assert_eq!(c.cmd(&["GET", "d4"]), doc_frame());
    wait_gone(&mut c, "d4");
    assert_eq!(
        send(&mut c, &[Arg::S("GETSET"), Arg::S("d2"), Arg::D(b"#t\r\n")]),
        doc_frame()
    );
    assert_eq!(c.cmd(&["GET", "d2"]), Frame::Boolean(true));

    // GET-like commands return documents as they are.
    assert_eq!(c.cmd(&["SET", "doc", "plain", "GET"]), doc_frame());
    assert_eq!(
        send(
            &mut c,
            &[
                Arg::S("SET"),
                Arg::S("doc"),
                Arg::D(DOC),
                Arg::S("XX"),
                Arg::S("GET")
            ]
        ),
        bulk("plain")
    );
    assert_eq!(c.cmd(&["GETEX", "doc", "EX", "100"]), doc_frame());
    assert_eq!(c.cmd(&["GETDEL", "doc"]), doc_frame());
    assert_eq!(c.cmd(&["GET", "doc"]), Frame::Null);
}

#[test]
fn mset_mget_documents() {
    let server = start_server();
    let mut c = server.raw();
    let arr: &[u8] = b"*2\r\n$1\r\na\r\n:7\r\n";
    assert_eq!(
        send(
            &mut c,
            &[
                Arg::S("MSET"),
                Arg::S("a"),
                Arg::D(DOC),
                Arg::S("b"),
                Arg::S("str"),
                Arg::S("c"),
                Arg::D(arr),
            ]
        ),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["MGET", "a", "b", "c", "none"]),
        Frame::Array(vec![
            doc_frame(),
            bulk("str"),
            Frame::Array(vec![bulk("a"), int(7)]),
            Frame::Null,
        ])
    );
    c.send_cmd(&["MGET", "c"]);
    let mut expected = b"*1\r\n".to_vec();
    expected.extend_from_slice(arr);
    assert_eq!(c.read_exact_bytes(expected.len()), expected);
    assert_eq!(
        send(
            &mut c,
            &[
                Arg::S("MSETNX"),
                Arg::S("x"),
                Arg::D(DOC),
                Arg::S("a"),
                Arg::S("1")
            ]
        ),
        int(0)
    );
    assert_eq!(
        send(
            &mut c,
            &[
                Arg::S("MSETNX"),
                Arg::S("x"),
                Arg::D(DOC),
                Arg::S("y"),
                Arg::S("1")
            ]
        ),
        int(1)
    );
    assert_eq!(c.cmd(&["GET", "x"]), doc_frame());
}

#[test]
fn string_edits_on_documents_are_wrongtype() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        send(&mut c, &[Arg::S("SET"), Arg::S("doc"), Arg::D(DOC)]),
        simple("OK")
    );
    for args in [
        &["APPEND", "doc", "x"][..],
        &["STRLEN", "doc"],
        &["GETRANGE", "doc", "0", "-1"],
        &["SUBSTR", "doc", "0", "-1"],
        &["SETRANGE", "doc", "0", "x"],
        &["SETRANGE", "doc", "0", ""],
        &["INCR", "doc"],
        &["DECR", "doc"],
        &["INCRBY", "doc", "2"],
        &["DECRBY", "doc", "2"],
        &["INCRBYFLOAT", "doc", "1.5"],
    ] {
        assert_eq!(c.cmd(args), error(WRONGTYPE), "{args:?}");
    }
    assert_eq!(c.cmd(&["GET", "doc"]), doc_frame());
}

#[test]
fn documents_elsewhere_are_refused_by_dispatch() {
    let server = start_server();
    let mut c = server.raw();
    let cases: [&[Arg<'_>]; 6] = [
        &[Arg::S("APPEND"), Arg::S("k"), Arg::D(DOC)],
        &[Arg::S("SET"), Arg::D(DOC), Arg::S("v")],
        &[Arg::S("SET"), Arg::S("k"), Arg::S("v"), Arg::D(b":1\r\n")],
        &[Arg::S("MSET"), Arg::D(DOC), Arg::S("v")],
        &[
            Arg::S("SETEX"),
            Arg::S("k"),
            Arg::D(b":10\r\n"),
            Arg::S("v"),
        ],
        &[Arg::S("INCRBY"), Arg::S("k"), Arg::D(b":1\r\n")],
    ];
    for args in cases {
        assert_eq!(send(&mut c, args), error(DOC_ARG));
    }
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
}
