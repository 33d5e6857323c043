//! The seed README's session, byte for byte as a client of the seed's protocol sends it:
//! arrays whose arguments may be nested maps, arrays and integers.
mod common;

use common::*;
use rudis::protocol::Frame;

const NESTED: &[u8] = b"%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n";

#[test]
fn seed_session_round_trips_strings_and_nested_documents() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "key", "value"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "key"]), bulk("value"));

    c.send(&set_doc_request("complex", NESTED));
    assert_eq!(c.read_frame(), simple("OK"));
    c.send_cmd(&["GET", "complex"]);
    // The document comes back exactly as sent: a map, even to a RESP2 client.
    assert_eq!(c.read_exact_bytes(NESTED.len()), NESTED);

    let doc2: &[u8] = b"%2\r\n$4\r\nname\r\n$4\r\ntest\r\n$6\r\nvalues\r\n*3\r\n:1\r\n:2\r\n:3\r\n";
    c.send(&set_doc_request("complex", doc2));
    assert_eq!(c.read_frame(), simple("OK"));
    let expected = Frame::decode(doc2).expect("valid").expect("whole").0;
    assert_eq!(c.cmd(&["GET", "complex"]), expected);
    assert_eq!(c.cmd(&["TYPE", "complex"]), simple("document"));

    assert_eq!(
        c.cmd(&["MSET", "k1", "v1", "k2", "v2", "k3", "v3"]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["MGET", "k1", "k2", "k3"]),
        Frame::Array(vec![bulk("v1"), bulk("v2"), bulk("v3")])
    );
    assert_eq!(c.cmd(&["DELETE", "k1"]), int(1));
    assert_eq!(c.cmd(&["GET", "k1"]), Frame::Null);
    // FLUSH: the seed's command, replying with the number of keys removed.
    assert_eq!(c.cmd(&["FLUSH"]), int(4));
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
}

#[test]
fn integer_and_null_arguments_are_documents_too() {
    let server = start_server();
    let mut c = server.raw();
    c.send(&set_doc_request("n", b":42\r\n"));
    assert_eq!(c.read_frame(), simple("OK"));
    assert_eq!(c.cmd(&["GET", "n"]), int(42));
    c.send(&set_doc_request("z", b"$-1\r\n"));
    assert_eq!(c.read_frame(), simple("OK"));
    assert_eq!(c.cmd(&["GET", "z"]), Frame::Null);
    assert_eq!(c.cmd(&["EXISTS", "z"]), int(1));
    assert_eq!(
        c.cmd(&["INCR", "n"]),
        error("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}
