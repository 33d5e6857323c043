//! COMMAND INFO agrees with Redis 7.0.15's for every command both have.
//!
//! `tests/data/redis-7.0.15-command.resp` is the raw RESP2 reply of `COMMAND` from a
//! stock `redis-server` 7.0.15 (`--save '' --appendonly no`). Both replies are decoded
//! with rudis's own frame decoder and compared entry by entry: name, arity, flags,
//! first key, last key, step, ACL categories, key specs (without Redis's free-text
//! notes) and subcommands, recursively. Tips are not compared (rudis reports none).

mod common;

use std::collections::BTreeMap;

use common::{bulk, start_server};
use rudis::protocol::Frame;

/// The recorded reply.
const REDIS_COMMAND: &[u8] = include_bytes!("data/redis-7.0.15-command.resp");

/// Differences kept on purpose: `(entry, field, reason)`.
const KNOWN: &[(&str, &str, &str)] = &[
    (
        "zrank",
        "arity",
        "rudis has Redis 7.2's ZRANK ... WITHSCORE (arity -3, 7.0's is 3)",
    ),
    (
        "zrevrank",
        "arity",
        "rudis has Redis 7.2's ZREVRANK ... WITHSCORE (arity -3, 7.0's is 3)",
    ),
];

/// One COMMAND INFO entry, in comparable form.
#[derive(Debug, PartialEq)]
struct Entry {
    arity: i64,
    flags: Vec<String>,
    keys: (i64, i64, i64),
    categories: Vec<String>,
    key_specs: Vec<Frame>,
    subs: BTreeMap<String, Entry>,
}

fn text(f: &Frame) -> String {
    match f {
        Frame::Simple(s) => s.clone(),
        Frame::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a string, got {other:?}"),
    }
}

fn items(f: &Frame) -> &[Frame] {
    match f {
        Frame::Array(v) | Frame::Set(v) => v,
        other => panic!("expected an array, got {other:?}"),
    }
}

fn int(f: &Frame) -> i64 {
    match f {
        Frame::Integer(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// A key spec without its `notes` pair (free text Redis adds for people).
fn without_notes(spec: &Frame) -> Frame {
    let v = items(spec);
    let mut out = Vec::new();
    for pair in v.chunks(2) {
        if text(&pair[0]) != "notes" {
            out.extend(pair.iter().cloned());
        }
    }
    Frame::Array(out)
}

fn entry(f: &Frame) -> (String, Entry) {
    let v = items(f);
    assert_eq!(v.len(), 10, "COMMAND INFO entry of 10 fields: {f:?}");
    let name = text(&v[0]);
    let subs = items(&v[9]).iter().map(entry).collect();
    let e = Entry {
        arity: int(&v[1]),
        flags: items(&v[2]).iter().map(text).collect(),
        keys: (int(&v[3]), int(&v[4]), int(&v[5])),
        categories: items(&v[6]).iter().map(text).collect(),
        key_specs: items(&v[8]).iter().map(without_notes).collect(),
        subs,
    };
    (name, e)
}

fn table(reply: &Frame) -> BTreeMap<String, Entry> {
    items(reply).iter().map(entry).collect()
}

/// Appends every difference between `ours` and `theirs` (named `name`) to `diffs`;
/// entries only one side has go to `notes`.
fn compare(
    name: &str,
    ours: &Entry,
    theirs: &Entry,
    diffs: &mut Vec<String>,
    notes: &mut Vec<String>,
) {
    let mut field = |what: &str, a: String, b: String| {
        if a == b {
            return;
        }
        let text = format!("{name}: {what}: rudis {a} / redis {b}");
        match KNOWN.iter().find(|(n, w, _)| *n == name && *w == what) {
            Some((_, _, why)) => notes.push(format!("{text} (kept: {why})")),
            None => diffs.push(text),
        }
    };
    field("arity", ours.arity.to_string(), theirs.arity.to_string());
    field(
        "flags",
        format!("{:?}", ours.flags),
        format!("{:?}", theirs.flags),
    );
    field(
        "keys",
        format!("{:?}", ours.keys),
        format!("{:?}", theirs.keys),
    );
    field(
        "categories",
        format!("{:?}", ours.categories),
        format!("{:?}", theirs.categories),
    );
    field(
        "key specs",
        format!("{:?}", ours.key_specs),
        format!("{:?}", theirs.key_specs),
    );
    for (sub, e) in &ours.subs {
        match theirs.subs.get(sub) {
            Some(t) => compare(sub, e, t, diffs, notes),
            None => notes.push(format!("{sub}: only rudis has it")),
        }
    }
    for sub in theirs.subs.keys() {
        if !ours.subs.contains_key(sub) {
            notes.push(format!("{sub}: only redis has it"));
        }
    }
}

#[test]
fn command_info_agrees_with_redis_7_0_15() {
    let (redis_reply, used) = Frame::decode(REDIS_COMMAND)
        .expect("the fixture decodes")
        .expect("the fixture is complete");
    assert_eq!(used, REDIS_COMMAND.len());
    let redis = table(&redis_reply);
    let server = start_server();
    let mut c = server.raw();
    let ours = table(&c.cmd(&["COMMAND"]));
    let mut diffs = Vec::new();
    let mut notes = Vec::new();
    for (name, e) in &ours {
        match redis.get(name) {
            Some(theirs) => compare(name, e, theirs, &mut diffs, &mut notes),
            None => notes.push(format!("{name}: only rudis has it")),
        }
    }
    for note in &notes {
        println!("note: {note}");
    }
    for diff in &diffs {
        println!("DIFF {diff}");
    }
    assert!(
        diffs.is_empty(),
        "{} differences from Redis 7.0.15",
        diffs.len()
    );
}

#[test]
fn getkeys_of_movable_and_subcommand_keys() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "eval", "return 1", "0"]),
        Frame::Array(vec![])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "memory", "usage", "k"]),
        Frame::Array(vec![bulk("k")])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b"]),
        Frame::Array(vec![bulk("d"), bulk("a"), bulk("b")])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "sort", "k", "store", "d"]),
        Frame::Array(vec![bulk("k"), bulk("d")])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        Frame::Error("ERR Invalid number of arguments specified for command".into())
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "ping", "x"]),
        Frame::Error("ERR The command has no key arguments".into())
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "memory", "nosuch", "k"]),
        Frame::Error("ERR Invalid command specified".into())
    );
}

/// Keys with their flags.
type KeysAndFlags<'a> = &'a [(&'a str, &'a [&'a str])];

/// `[key, [flags...]]` pairs, as GETKEYSANDFLAGS replies.
fn keys_and_flags(pairs: &[(&str, &[&str])]) -> Frame {
    Frame::Array(
        pairs
            .iter()
            .map(|(k, flags)| {
                Frame::Array(vec![
                    bulk(k),
                    Frame::Array(flags.iter().map(|f| common::simple(f)).collect()),
                ])
            })
            .collect(),
    )
}

/// The replies of Redis 7.0.15 (checked against a real redis-server).
#[test]
fn getkeysandflags_as_redis() {
    let server = start_server();
    let mut c = server.raw();
    let cases: &[(&[&str], KeysAndFlags)] = &[
        (
            &["lmove", "a", "b", "left", "right"],
            &[("a", &["RW", "access", "delete"]), ("b", &["RW", "insert"])],
        ),
        (
            &["zunionstore", "d", "2", "a", "b"],
            &[
                ("d", &["OW", "update"]),
                ("a", &["RO", "access"]),
                ("b", &["RO", "access"]),
            ],
        ),
        (
            &["sort", "k", "store", "d"],
            &[("k", &["RO", "access"]), ("d", &["OW", "update"])],
        ),
        (
            &["mset", "a", "1", "b", "2"],
            &[("a", &["OW", "update"]), ("b", &["OW", "update"])],
        ),
        (
            &["eval", "x", "2", "a", "b"],
            &[
                ("a", &["RW", "access", "update"]),
                ("b", &["RW", "access", "update"]),
            ],
        ),
        (&["memory", "usage", "k"], &[("k", &["RO"])]),
        (
            &["del", "a", "b"],
            &[("a", &["RM", "delete"]), ("b", &["RM", "delete"])],
        ),
        (
            &["smove", "s", "d", "m"],
            &[("s", &["RW", "access", "delete"]), ("d", &["RW", "insert"])],
        ),
    ];
    for (args, want) in cases {
        let mut req = vec!["COMMAND", "GETKEYSANDFLAGS"];
        req.extend_from_slice(args);
        assert_eq!(c.cmd(&req), keys_and_flags(want), "{args:?}");
    }
}
