//! Keyspace notifications: `notify-keyspace-events` flags (CONFIG SET/GET and the
//! command-line flag), `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`
//! messages for writes, expiries (lazy and active), new keys and misses.
mod common;

use common::*;
use redis::Commands;
use rudis::protocol::Frame;

/// A pmessage of the `*` pattern as a RESP2 subscriber reads it.
fn pmessage(channel: &str, message: &str) -> Frame {
    Frame::Array(vec![
        bulk("pmessage"),
        bulk("*"),
        bulk(channel),
        bulk(message),
    ])
}

/// A raw connection subscribed to every channel.
fn listener(server: &TestServer) -> Raw {
    let mut c = server.raw();
    c.send_cmd(&["PSUBSCRIBE", "*"]);
    assert_eq!(
        c.read_frame(),
        Frame::Array(vec![bulk("psubscribe"), bulk("*"), int(1)])
    );
    c
}

#[test]
fn set_expire_and_del_raise_keyspace_and_keyevent_messages() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        simple("OK")
    );
    let mut l = listener(&server);
    assert_eq!(c.cmd(&["SET", "foo", "bar"]), simple("OK"));
    assert_eq!(c.cmd(&["EXPIRE", "foo", "100"]), int(1));
    assert_eq!(c.cmd(&["DEL", "foo"]), int(1));
    assert_eq!(c.cmd(&["DEL", "foo"]), int(0), "no event: nothing deleted");
    assert_eq!(c.cmd(&["PUBLISH", "marker", "end"]), int(1));
    for (event, key) in [("set", "foo"), ("expire", "foo"), ("del", "foo")] {
        assert_eq!(
            l.read_frame(),
            pmessage(&format!("__keyspace@0__:{key}"), event)
        );
        assert_eq!(
            l.read_frame(),
            pmessage(&format!("__keyevent@0__:{event}"), key)
        );
    }
    assert_eq!(l.read_frame(), pmessage("marker", "end"));
}

#[test]
fn events_through_the_redis_crate_name_the_database() {
    let server = start_server_with(|c| {
        c.set("notify-keyspace-events", "K$").expect("valid flags");
    });
    let mut sub = server.redis();
    let mut ps = sub.as_pubsub();
    ps.set_read_timeout(Some(REPLY_TIMEOUT)).expect("timeout");
    ps.psubscribe("__keyspace@5__:*").expect("psubscribe");
    let mut conn = server.redis();
    let _: () = redis::cmd("SELECT")
        .arg(5)
        .query(&mut conn)
        .expect("select");
    let _: () = conn.set("k", "1").expect("set");
    let _: i64 = conn.incr("k", 2).expect("incrby");
    let _: i64 = conn.append("k", "0").expect("append");
    let _: i64 = conn.del("k").expect("del is generic: masked");
    let _: () = conn.set("k", "2").expect("set");
    for event in ["set", "incrby", "append", "set"] {
        let msg = ps.get_message().expect("message");
        assert_eq!(msg.get_channel_name(), "__keyspace@5__:k");
        assert_eq!(msg.get_payload::<String>().expect("payload"), event);
    }
}

#[test]
fn a_key_with_a_short_ttl_raises_expired() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]),
        simple("OK")
    );
    let mut l = listener(&server);
    // Nobody reads the key: the active expiry cycle removes it and publishes.
    assert_eq!(c.cmd(&["SET", "short", "v", "PX", "30"]), simple("OK"));
    assert_eq!(l.read_frame(), pmessage("__keyevent@0__:expired", "short"));
    assert_eq!(c.cmd(&["EXISTS", "short"]), int(0));
}

#[test]
fn a_lookup_that_finds_a_key_expired_raises_expired() {
    // A slow cron (1 Hz) leaves the expiry to the lookups.
    let server = start_server_with(|c| c.hz = 1);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEgx"]),
        simple("OK")
    );
    let mut l = listener(&server);
    assert_eq!(c.cmd(&["SELECT", "3"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "20"]), simple("OK"));
    wait_gone(&mut c, "k");
    assert_eq!(c.cmd(&["PUBLISH", "marker", "end"]), int(1));
    // SET ... PX raises `expire` (generic) as in Redis.
    assert_eq!(l.read_frame(), pmessage("__keyspace@3__:k", "expire"));
    assert_eq!(l.read_frame(), pmessage("__keyevent@3__:expire", "k"));
    assert_eq!(l.read_frame(), pmessage("__keyspace@3__:k", "expired"));
    assert_eq!(l.read_frame(), pmessage("__keyevent@3__:expired", "k"));
    assert_eq!(l.read_frame(), pmessage("marker", "end"));
}

#[test]
fn classes_mask_events() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Kg"]),
        simple("OK")
    );
    let mut l = listener(&server);
    assert_eq!(c.cmd(&["SET", "a", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["RENAME", "a", "b"]), simple("OK"));
    assert_eq!(c.cmd(&["PUBLISH", "marker", "end"]), int(1));
    assert_eq!(l.read_frame(), pmessage("__keyspace@0__:a", "rename_from"));
    assert_eq!(l.read_frame(), pmessage("__keyspace@0__:b", "rename_to"));
    assert_eq!(l.read_frame(), pmessage("marker", "end"));
    // A class without K or E publishes nothing, and so does the default "".
    for flags in ["g$", ""] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", flags]),
            simple("OK")
        );
        assert_eq!(c.cmd(&["SET", "a", "1"]), simple("OK"));
        assert_eq!(c.cmd(&["DEL", "a"]), int(1));
        assert_eq!(c.cmd(&["PUBLISH", "marker", flags]), int(1));
        assert_eq!(l.read_frame(), pmessage("marker", flags));
    }
}

#[test]
fn new_keys_and_misses_have_their_own_classes() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "En"]),
        simple("OK")
    );
    let mut l = listener(&server);
    assert_eq!(c.cmd(&["SET", "foo", "bar"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "foo", "baz"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "bar", "bar"]), simple("OK"));
    assert_eq!(l.read_frame(), pmessage("__keyevent@0__:new", "foo"));
    assert_eq!(l.read_frame(), pmessage("__keyevent@0__:new", "bar"));
    // `A` does not include `n` or `m`.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "EA"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SET", "fresh", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "missing"]), Frame::Null);
    assert_eq!(l.read_frame(), pmessage("__keyevent@0__:set", "fresh"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "Em"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["GET", "missing"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "fresh"]), bulk("1"));
    assert_eq!(
        l.read_frame(),
        pmessage("__keyevent@0__:keymiss", "missing")
    );
    assert_eq!(c.cmd(&["PUBLISH", "marker", "end"]), int(1));
    assert_eq!(l.read_frame(), pmessage("marker", "end"));
}

#[test]
fn flags_print_and_parse_as_redis() {
    let server = start_server();
    let mut c = server.raw();
    let get = |c: &mut Raw| match c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]) {
        Frame::Array(items) => text(&items[1]),
        other => panic!("{other:?}"),
    };
    assert_eq!(get(&mut c), "");
    for (set, shown) in [
        ("gKE", "gKE"),
        ("$lshzxeKE", "$lshzxeKE"),
        ("KA", "AK"),
        ("EA", "AE"),
        ("mEtn", "tnEm"),
        ("", ""),
    ] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", set]),
            simple("OK")
        );
        assert_eq!(get(&mut c), shown, "{set}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEq"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
    let config = rudis::Config::from_args(
        ["--notify-keyspace-events", "Elg"]
            .iter()
            .map(|s| s.to_string()),
    )
    .expect("valid flag");
    assert_eq!(
        config.notify_keyspace_events,
        rudis::commands::notify::KEYEVENT
            | rudis::commands::notify::LIST
            | rudis::commands::notify::GENERIC
    );
    assert!(
        rudis::Config::from_args(
            ["--notify-keyspace-events", "x!"]
                .iter()
                .map(|s| s.to_string())
        )
        .is_err()
    );
}

#[test]
fn a_resp3_client_hears_its_own_writes() {
    let server = start_server_with(|c| {
        c.set("notify-keyspace-events", "KEA").expect("valid flags");
    });
    let mut c = server.raw();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Frame::Map(_)));
    c.send_cmd(&["SUBSCRIBE", "__keyevent@0__:set"]);
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![bulk("subscribe"), bulk("__keyevent@0__:set"), int(1)])
    );
    assert_eq!(c.cmd(&["SET", "mine", "1"]), simple("OK"));
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![
            bulk("message"),
            bulk("__keyevent@0__:set"),
            bulk("mine")
        ])
    );
}
