//! SORT and SORT_RO end to end: numeric and ALPHA order, BY and GET patterns (keys and
//! hash fields), LIMIT, STORE, and the errors, through raw RESP and the `redis` crate.
mod common;

use common::*;
use rudis::protocol::Frame;

/// An array of bulk strings (or nulls for `None`).
fn arr(items: &[Option<&str>]) -> Frame {
    Frame::Array(
        items
            .iter()
            .map(|i| match i {
                Some(s) => bulk(s),
                None => Frame::Null,
            })
            .collect(),
    )
}

fn all(items: &[&str]) -> Frame {
    arr(&items.iter().map(|s| Some(*s)).collect::<Vec<_>>())
}

#[test]
fn sorts_numbers_and_bytes() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "l", "3", "10", "2", "-1.5"]), int(4));
    assert_eq!(c.cmd(&["SORT", "l"]), all(&["-1.5", "2", "3", "10"]));
    assert_eq!(
        c.cmd(&["SORT", "l", "DESC"]),
        all(&["10", "3", "2", "-1.5"])
    );
    assert_eq!(
        c.cmd(&["SORT", "l", "ALPHA"]),
        all(&["-1.5", "10", "2", "3"])
    );
    assert_eq!(c.cmd(&["SORT", "l", "LIMIT", "1", "2"]), all(&["2", "3"]));
    assert_eq!(c.cmd(&["SORT", "l", "LIMIT", "10", "2"]), all(&[]));
    assert_eq!(
        c.cmd(&["SORT_RO", "l", "DESC", "LIMIT", "0", "1"]),
        all(&["10"])
    );
    assert_eq!(c.cmd(&["SADD", "s", "b", "a", "c"]), int(3));
    assert_eq!(c.cmd(&["SORT", "s", "ALPHA"]), all(&["a", "b", "c"]));
    // A missing key sorts as an empty list.
    assert_eq!(c.cmd(&["SORT", "missing"]), all(&[]));
}

#[test]
fn by_and_get_patterns_read_other_keys_and_hash_fields() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "ids", "1", "2", "3"]), int(3));
    for (id, weight, name) in [("1", "30", "one"), ("2", "10", "two"), ("3", "20", "three")] {
        assert_eq!(c.cmd(&["SET", &format!("w_{id}"), weight]), simple("OK"));
        assert_eq!(c.cmd(&["HSET", &format!("obj_{id}"), "name", name]), int(1));
    }
    assert_eq!(c.cmd(&["SORT", "ids", "BY", "w_*"]), all(&["2", "3", "1"]));
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "w_*", "GET", "obj_*->name", "GET", "#"]),
        all(&["two", "2", "three", "3", "one", "1"])
    );
    // A missing GET target is a null; a constant BY keeps the list's order.
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "nosort", "GET", "nothere_*"]),
        arr(&[None, None, None])
    );
    assert_eq!(
        c.cmd(&["SORT", "ids", "BY", "nosort", "DESC"]),
        all(&["3", "2", "1"])
    );
}

#[test]
fn store_writes_a_list_and_an_empty_result_deletes() {
    let server = start_server();
    let mut r = server.redis();
    let _: () = redis::cmd("RPUSH")
        .arg("l")
        .arg(&[3, 1, 2])
        .query(&mut r)
        .expect("rpush");
    let stored: i64 = redis::cmd("SORT")
        .arg("l")
        .arg("STORE")
        .arg("dst")
        .query(&mut r)
        .expect("sort store");
    assert_eq!(stored, 3);
    let got: Vec<String> = redis::cmd("LRANGE")
        .arg("dst")
        .arg(0)
        .arg(-1)
        .query(&mut r)
        .expect("lrange");
    assert_eq!(got, ["1", "2", "3"]);
    let stored: i64 = redis::cmd("SORT")
        .arg("empty")
        .arg("STORE")
        .arg("dst")
        .query(&mut r)
        .expect("sort store");
    assert_eq!(stored, 0);
    let exists: i64 = redis::cmd("EXISTS")
        .arg("dst")
        .query(&mut r)
        .expect("exists");
    assert_eq!(exists, 0);
}

#[test]
fn sort_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RPUSH", "l", "1", "x"]), int(2));
    assert_eq!(
        c.cmd(&["SORT", "l"]),
        error("ERR One or more scores can't be converted into double")
    );
    assert_eq!(c.cmd(&["SORT", "l", "BOGUS"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SORT", "l", "LIMIT", "a", "1"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["SORT_RO", "l", "STORE", "x"]),
        error("ERR syntax error")
    );
    assert_eq!(c.cmd(&["SET", "str", "v"]), simple("OK"));
    assert_eq!(
        c.cmd(&["SORT", "str"]),
        error("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    assert_eq!(c.cmd(&["SORT", "l", "ALPHA"]), all(&["1", "x"]));
}

#[test]
fn command_getkeys_finds_moving_keys() {
    let server = start_server();
    let mut c = server.raw();
    let keys = |c: &mut Raw, args: &[&str]| {
        let mut full = vec!["COMMAND", "GETKEYS"];
        full.extend_from_slice(args);
        c.cmd(&full)
    };
    assert_eq!(
        keys(&mut c, &["SORT", "abc", "STORE", "def"]),
        all(&["abc", "def"])
    );
    assert_eq!(
        keys(&mut c, &["SORT", "abc", "STORE", "bad", "STORE", "def"]),
        all(&["abc", "def"])
    );
    // GET's and BY's argument is a pattern, not a STORE keyword.
    assert_eq!(
        keys(&mut c, &["SORT", "abc", "GET", "store"]),
        all(&["abc"])
    );
    assert_eq!(
        keys(
            &mut c,
            &["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"]
        ),
        all(&["dst", "a", "b"])
    );
    assert_eq!(
        keys(&mut c, &["LMPOP", "2", "l1", "l2", "LEFT"]),
        all(&["l1", "l2"])
    );
    assert_eq!(
        keys(&mut c, &["PING", "x"]),
        error("ERR The command has no key arguments")
    );
    assert_eq!(
        keys(&mut c, &["GET", "a", "b"]),
        error("ERR Invalid number of arguments specified for command")
    );
}

#[test]
fn command_info_marks_movable_keys() {
    let server = start_server();
    let mut c = server.raw();
    let flags = |c: &mut Raw, name: &str| -> Vec<String> {
        match c.cmd(&["COMMAND", "INFO", name]) {
            Frame::Array(infos) => match &infos[0] {
                Frame::Array(info) => match &info[2] {
                    Frame::Array(f) | Frame::Set(f) => f
                        .iter()
                        .map(|f| match f {
                            Frame::Simple(s) => s.clone(),
                            other => text(other),
                        })
                        .collect(),
                    other => panic!("flags: {other:?}"),
                },
                other => panic!("info: {other:?}"),
            },
            other => panic!("COMMAND INFO: {other:?}"),
        }
    };
    assert!(flags(&mut c, "sort").contains(&"movablekeys".to_string()));
    assert!(flags(&mut c, "zunionstore").contains(&"movablekeys".to_string()));
    assert!(!flags(&mut c, "get").contains(&"movablekeys".to_string()));
}
