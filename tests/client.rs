//! The client library against a real server: serde values, pipelines, the pool, error
//! mapping. The exact bytes of each typed helper are checked against canned-reply mocks
//! in src/client/wire_tests.rs.
mod common;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use common::*;
use rudis::client::{ClientError, Cmd};
use rudis::protocol::Frame;
use rudis::{Client, Pool};
use serde::{Deserialize, Serialize};

fn connect(addr: SocketAddr) -> Client {
    let client = Client::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(REPLY_TIMEOUT))
        .expect("timeout");
    client
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Status {
    Active,
    Suspended { reason: String, days: u16 },
    Scored(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    id: u64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    scores: Vec<f64>,
    matrix: Vec<Vec<i32>>,
    attrs: BTreeMap<String, Vec<Option<i64>>>,
    statuses: Vec<Status>,
    admin: bool,
    ratio: f32,
    nothing: (),
}

fn profile() -> Profile {
    Profile {
        id: u64::MAX,
        name: "Ada \r\n Lovelace".into(),
        email: Some("ada@example.com".into()),
        phone: None,
        scores: vec![1.5, -0.25, 1e-7, 12345678.875],
        matrix: vec![vec![], vec![1], vec![-2, i32::MAX]],
        attrs: BTreeMap::from([
            ("empty".into(), vec![]),
            ("mixed".into(), vec![Some(1), None, Some(i64::MIN)]),
        ]),
        statuses: vec![
            Status::Active,
            Status::Suspended {
                reason: "spam".into(),
                days: 3,
            },
            Status::Scored(0.5),
        ],
        admin: true,
        ratio: 0.3,
        nothing: (),
    }
}

// ---- serde values through a real server ----

#[test]
fn plain_strings_are_stored_as_strings() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("key", "value").expect("set");
    assert_eq!(
        client.get::<String>("key").expect("get"),
        Some("value".into())
    );
    // Any other client sees an ordinary string.
    assert_eq!(server.raw().cmd(&["GET", "key"]), bulk("value"));
    assert_eq!(client.get::<String>("missing").expect("get"), None);
}

#[test]
fn nested_maps_roundtrip_as_documents() {
    let server = start_server();
    let mut client = connect(server.addr);
    let doc: HashMap<String, Vec<i64>> = HashMap::from([("nested".into(), vec![1, 2, 3])]);
    client.set("complex", &doc).expect("set");
    assert_eq!(client.get("complex").expect("get"), Some(doc));
    assert_eq!(
        server.raw().cmd(&["GET", "complex"]),
        Frame::Map(vec![(
            bulk("nested"),
            Frame::Array(vec![int(1), int(2), int(3)])
        )])
    );
}

#[test]
fn structs_enums_options_and_floats_roundtrip() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("profile", &profile()).expect("set");
    assert_eq!(
        client.get::<Profile>("profile").expect("get"),
        Some(profile())
    );
    let list = vec![Some(profile()), None];
    client.set("profiles", &list).expect("set");
    assert_eq!(client.get("profiles").expect("get"), Some(list));
    let tuple = (
        "a".to_string(),
        -1i8,
        2.5f64,
        vec![Status::Active],
        Some(true),
    );
    client.set("tuple", &tuple).expect("set");
    assert_eq!(client.get("tuple").expect("get"), Some(tuple));
}

#[test]
fn scalars_roundtrip() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("int", &-42i64).expect("set");
    client.set("big", &u64::MAX).expect("set");
    client.set("float", &0.1f64).expect("set");
    client.set("bool", &false).expect("set");
    client.set("empty", "").expect("set");
    client.set("binary", &b"\0\xff"[..]).expect("set");
    assert_eq!(client.get::<i64>("int").expect("get"), Some(-42));
    assert_eq!(client.get::<u64>("big").expect("get"), Some(u64::MAX));
    assert_eq!(client.get::<f64>("float").expect("get"), Some(0.1));
    assert_eq!(client.get::<bool>("bool").expect("get"), Some(false));
    assert_eq!(
        client.get::<String>("empty").expect("get"),
        Some(String::new())
    );
    assert_eq!(
        client.get::<Vec<u8>>("binary").expect("get"),
        Some(vec![0, 255])
    );
    // Numbers are stored as Redis strings.
    assert_eq!(server.raw().cmd(&["GET", "int"]), bulk("-42"));
    // A number set by another client reads back as a number.
    server.raw().cmd(&["SET", "counter", "17"]);
    assert_eq!(client.get::<i32>("counter").expect("get"), Some(17));
    assert_eq!(
        client.get::<String>("counter").expect("get"),
        Some("17".into())
    );
}

#[test]
fn a_value_that_does_not_fit_is_a_decode_error() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("text", "abc").expect("set");
    let err = client.get::<i64>("text").expect_err("not a number");
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
    client.set("list", &vec![1, 2]).expect("set");
    let err = client.get::<Profile>("list").expect_err("not a profile");
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
    // A decode error leaves the connection in step.
    client.ping().expect("ping");
}

#[test]
fn delete_counts_the_keys_that_existed() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("a", "1").expect("set");
    client.set("b", &vec![1]).expect("set");
    assert_eq!(client.delete(&["a", "b", "c"]).expect("del"), 2);
    assert_eq!(client.delete(&["a"]).expect("del"), 0);
    assert_eq!(client.get::<String>("a").expect("get"), None);
}

// ---- errors ----

#[test]
fn error_replies_become_server_errors() {
    let server = start_server();
    let mut client = connect(server.addr);
    let err = client.cmd(&["NOSUCHCMD", "a"]).expect_err("unknown");
    assert!(
        matches!(&err, ClientError::Server(m) if m.starts_with("ERR unknown command 'NOSUCHCMD'")),
        "{err:?}"
    );
    assert_eq!(err.code(), Some("ERR"));
    let err = client.cmd(&["GET"]).expect_err("arity");
    assert_eq!(
        err.to_string(),
        "ERR wrong number of arguments for 'get' command"
    );
    let nested = Cmd::new("GET").value(&vec![1]).expect("encodes");
    let err = client.query(&nested).expect_err("doc where a key goes");
    assert!(
        matches!(&err, ClientError::Server(m) if m.starts_with("ERR nested values")),
        "{err:?}"
    );
    let err = client.cmd::<&str>(&[]).expect_err("empty");
    assert!(matches!(err, ClientError::Encode(_)), "{err:?}");
    // None of these broke the connection.
    assert!(client.is_reusable());
    assert_eq!(
        client.cmd(&["ECHO", "still here"]).expect("echo"),
        bulk("still here")
    );
}

#[test]
fn a_closed_connection_breaks_the_client() {
    let server = start_server();
    let mut client = connect(server.addr);
    assert_eq!(client.cmd(&["QUIT"]).expect("quit"), simple("OK"));
    assert!(!client.is_reusable());
    let err = client.ping().expect_err("closed");
    assert!(matches!(err, ClientError::Io(_)), "{err:?}");
    assert!(client.is_broken());
    let err = client.ping().expect_err("still broken");
    assert!(
        matches!(&err, ClientError::Io(e) if e.kind() == std::io::ErrorKind::NotConnected),
        "{err:?}"
    );
}

// ---- pipelines ----

#[test]
fn a_pipeline_of_1000_commands_gets_1000_replies_in_order() {
    let server = start_server();
    let mut client = connect(server.addr);
    let mut pipe = client.pipeline();
    for i in 0..500 {
        let key = format!("k{i}");
        pipe.cmd(&["SET", &key, &i.to_string()]);
        pipe.cmd(&["GET", &key]);
    }
    assert_eq!(pipe.len(), 1000);
    let replies = pipe.query().expect("query");
    assert_eq!(replies.len(), 1000);
    for (i, pair) in replies.chunks(2).enumerate() {
        assert_eq!(pair, [simple("OK"), bulk(&i.to_string())]);
    }
    assert!(pipe.is_empty(), "query empties the pipeline");
    assert_eq!(pipe.query().expect("empty"), vec![]);
    assert_eq!(client.cmd(&["DBSIZE"]).expect("dbsize"), int(500));
}

#[test]
fn errors_inside_a_pipeline_are_error_frames() {
    let server = start_server();
    let mut client = connect(server.addr);
    let doc = Cmd::new("SET")
        .arg("doc")
        .value(&BTreeMap::from([("a", 1)]))
        .expect("encodes");
    let replies = client
        .pipeline()
        .cmd(&["SET", "a", "1"])
        .cmd(&["GET"])
        .add(&doc)
        .cmd(&["BOGUS"])
        .cmd(&["GET", "a"])
        .query()
        .expect("query");
    assert_eq!(replies.len(), 5);
    assert_eq!(replies[0], simple("OK"));
    assert_eq!(
        replies[1],
        error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(replies[2], simple("OK"));
    assert!(matches!(&replies[3], Frame::Error(m) if m.starts_with("ERR unknown command 'BOGUS'")));
    assert_eq!(replies[4], bulk("1"));
    // An empty command fails the pipeline before anything is sent.
    let err = client
        .pipeline()
        .cmd(&["SET", "b", "1"])
        .cmd::<&str>(&[])
        .query();
    assert!(matches!(err, Err(ClientError::Encode(_))), "{err:?}");
    assert_eq!(client.get::<i64>("b").expect("get"), None);
    assert_eq!(
        client
            .get::<BTreeMap<String, i32>>("doc")
            .expect("get")
            .map(|m| m["a"]),
        Some(1)
    );
}

// ---- the pool ----

#[test]
fn the_pool_reuses_a_returned_connection() {
    let server = start_server();
    let pool = Pool::new(server.addr, 4).expect("pool");
    let first_addr = {
        let mut conn = pool.get().expect("get");
        conn.set("shared", "yes").expect("set");
        conn.local_addr().expect("addr")
    };
    assert_eq!(pool.idle_count(), 1);
    let mut conn = pool.get().expect("get again");
    assert_eq!(
        conn.local_addr().expect("addr"),
        first_addr,
        "same TCP connection"
    );
    assert_eq!(
        conn.get::<String>("shared").expect("get"),
        Some("yes".into())
    );
    assert_eq!((pool.connections_opened(), pool.reuses()), (1, 1));
    // A second borrower while the first holds its connection gets a new one.
    let other = pool.get().expect("second");
    assert_ne!(other.local_addr().expect("addr"), first_addr);
    assert_eq!(pool.connections_opened(), 2);
}

#[test]
fn the_pool_keeps_at_most_max_idle_connections() {
    let server = start_server();
    let pool = Pool::new(server.addr, 2).expect("pool");
    let conns: Vec<_> = (0..3).map(|_| pool.get().expect("get")).collect();
    assert_eq!(pool.idle_count(), 0);
    drop(conns);
    assert_eq!(pool.idle_count(), 2);
    assert_eq!(pool.connections_opened(), 3);
}

#[test]
fn the_pool_drops_connections_that_failed_or_changed_state() {
    let server = start_server();
    let pool = Pool::new(server.addr, 4).expect("pool");
    {
        let mut conn = pool.get().expect("get");
        conn.cmd(&["SELECT", "1"]).expect("select");
    }
    {
        let mut conn = pool.get().expect("get");
        conn.cmd(&["QUIT"]).expect("quit");
    }
    {
        let mut conn = pool.get().expect("get");
        let _ = conn.cmd(&["NOSUCH"]); // a server error is harmless
    }
    assert_eq!(pool.idle_count(), 1);
    assert_eq!(pool.connections_opened(), 3);
    let detached: Client = pool.get().expect("get").detach();
    assert_eq!(pool.idle_count(), 0);
    drop(detached);
    assert_eq!(pool.idle_count(), 0);
}

#[test]
fn the_pool_is_shared_across_threads() {
    let server = start_server();
    let pool = Pool::new(server.addr, 8).expect("pool");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let mut conn = pool.get().expect("get");
                    conn.set(format!("t{t}:{i}"), &i).expect("set");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert!(
        pool.connections_opened() <= 4,
        "{}",
        pool.connections_opened()
    );
    assert_eq!(pool.connections_opened() + pool.reuses(), 200);
    let mut conn = pool.get().expect("get");
    assert_eq!(conn.cmd(&["DBSIZE"]).expect("dbsize"), int(200));
}

// ---- against a real server, once the commands exist ----

#[test]
fn mset_and_mget_roundtrip() {
    let server = start_server();
    let mut client = connect(server.addr);
    client
        .mset(&[("k1", "v1"), ("k2", "v2"), ("k3", "v3")])
        .expect("mset");
    let got: Vec<Option<String>> = client.mget(&["k1", "k2", "nope", "k3"]).expect("mget");
    let want = [Some("v1"), Some("v2"), None, Some("v3")].map(|v| v.map(String::from));
    assert_eq!(got, want);
    client
        .mset(&[("d1", &vec![1, 2]), ("d2", &vec![])])
        .expect("mset docs");
    let got: Vec<Option<Vec<i64>>> = client.mget(&["d1", "d2"]).expect("mget docs");
    assert_eq!(got, [Some(vec![1, 2]), Some(vec![])]);
}

#[test]
fn incr_counts_from_a_number_set_by_the_client() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("n", &41).expect("set");
    assert_eq!(client.incr("n").expect("incr"), 42);
    assert_eq!(client.incr("fresh").expect("incr"), 1);
    assert_eq!(client.get::<i64>("n").expect("get"), Some(42));
    client.set("text", "abc").expect("set");
    let err = client.incr("text").expect_err("not an integer");
    assert_eq!(
        err.to_string(),
        "ERR value is not an integer or out of range"
    );
}

#[test]
fn expire_and_ttl() {
    let server = start_server();
    let mut client = connect(server.addr);
    client.set("k", "v").expect("set");
    assert_eq!(client.ttl("k").expect("ttl"), -1);
    assert!(client.expire("k", 100).expect("expire"));
    let ttl = client.ttl("k").expect("ttl");
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert!(!client.expire("missing", 100).expect("expire"));
    assert_eq!(client.ttl("missing").expect("ttl"), -2);
}

#[test]
fn flush_reports_the_keys_removed() {
    let server = start_server();
    let mut client = connect(server.addr);
    for k in ["a", "b", "c"] {
        client.set(k, "v").expect("set");
    }
    assert_eq!(client.delete(&["a", "zzz"]).expect("del"), 1);
    assert_eq!(client.flush().expect("flush"), 2);
    assert_eq!(client.flush().expect("flush again"), 0);
    assert_eq!(client.get::<String>("b").expect("get"), None);
}
