//! Pub/sub: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH,
//! PUBSUB, subscriber mode (RESP2 restrictions, RESP3 pushes), CLIENT LIST/KILL of
//! subscribers, and the pubsub class's output buffer limit.
mod common;

use std::time::{Duration, Instant};

use common::*;
use redis::{Commands, PushKind, Value};
use rudis::protocol::Frame;

/// A RESP2 array of bulk strings.
fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

/// A (un)subscribe confirmation as a RESP2 subscriber reads it.
fn confirm(word: &str, name: &str, count: i64) -> Frame {
    Frame::Array(vec![bulk(word), bulk(name), int(count)])
}

/// Subscribes `c` to `channels` (raw RESP2) and checks the confirmations.
fn subscribe(c: &mut Raw, word: &str, channels: &[&str]) {
    let mut args = vec![word];
    args.extend_from_slice(channels);
    c.send_cmd(&args);
    for _ in channels {
        match c.read_frame() {
            Frame::Array(items) if items.first() == Some(&bulk(&word.to_lowercase())) => {}
            other => panic!("not a {word} confirmation: {other:?}"),
        }
    }
}

#[test]
fn fan_out_to_channel_and_pattern_subscribers_with_the_redis_crate() {
    let server = start_server();
    let mut subs: Vec<redis::Connection> = (0..5).map(|_| server.redis()).collect();
    let mut pubsubs = Vec::new();
    for (i, conn) in subs.iter_mut().enumerate() {
        let mut ps = conn.as_pubsub();
        ps.set_read_timeout(Some(REPLY_TIMEOUT)).expect("timeout");
        if i < 3 {
            ps.subscribe("news.tech").expect("subscribe");
        } else {
            ps.psubscribe(if i == 3 { "news.*" } else { "n?ws.[st]ech" })
                .expect("psubscribe");
        }
        pubsubs.push(ps);
    }
    let mut publisher = server.redis();
    let n: i64 = publisher.publish("news.tech", "hello").expect("publish");
    assert_eq!(n, 5);
    let n: i64 = publisher.publish("news.art", "art").expect("publish");
    assert_eq!(n, 1, "only news.* matches");
    let n: i64 = publisher.publish("other", "x").expect("publish");
    assert_eq!(n, 0);
    for (i, ps) in pubsubs.iter_mut().enumerate() {
        let msg = ps.get_message().expect("message");
        assert_eq!(msg.get_channel_name(), "news.tech");
        assert_eq!(msg.get_payload::<String>().expect("payload"), "hello");
        match i {
            0..=2 => assert!(!msg.from_pattern()),
            3 => assert_eq!(msg.get_pattern::<String>().expect("pattern"), "news.*"),
            _ => assert_eq!(
                msg.get_pattern::<String>().expect("pattern"),
                "n?ws.[st]ech"
            ),
        }
    }
    let msg = pubsubs[3].get_message().expect("second message");
    assert_eq!(msg.get_channel_name(), "news.art");
    assert_eq!(msg.get_payload::<String>().expect("payload"), "art");
    // Unsubscribing through the crate stops delivery.
    pubsubs[0].unsubscribe("news.tech").expect("unsubscribe");
    let n: i64 = publisher.publish("news.tech", "again").expect("publish");
    assert_eq!(n, 4);
}

#[test]
fn replies_are_redis_frames() {
    let server = start_server();
    let mut c = server.raw();
    c.send_cmd(&["SUBSCRIBE", "a", "b", "a"]);
    assert_eq!(c.read_frame(), confirm("subscribe", "a", 1));
    assert_eq!(c.read_frame(), confirm("subscribe", "b", 2));
    assert_eq!(c.read_frame(), confirm("subscribe", "a", 2));
    c.send_cmd(&["PSUBSCRIBE", "a*"]);
    assert_eq!(c.read_frame(), confirm("psubscribe", "a*", 3));
    let mut p = server.raw();
    assert_eq!(p.cmd(&["PUBLISH", "a", "hi"]), int(2));
    assert_eq!(c.read_frame(), bulks(&["message", "a", "hi"]));
    assert_eq!(c.read_frame(), bulks(&["pmessage", "a*", "a", "hi"]));
    // Binary-safe channel and message.
    assert_eq!(p.cmd(&["PUBLISH", "b", "x\r\ny\0"]), int(1));
    assert_eq!(c.read_frame(), bulks(&["message", "b", "x\r\ny\0"]));
    c.send_cmd(&["UNSUBSCRIBE", "b", "nope"]);
    assert_eq!(c.read_frame(), confirm("unsubscribe", "b", 2));
    assert_eq!(c.read_frame(), confirm("unsubscribe", "nope", 2));
    // Without arguments: every channel, then no channel at all (a null).
    c.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(c.read_frame(), confirm("unsubscribe", "a", 1));
    c.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(
        c.read_frame(),
        Frame::Array(vec![bulk("unsubscribe"), Frame::Null, int(1)])
    );
    c.send_cmd(&["PUNSUBSCRIBE"]);
    assert_eq!(c.read_frame(), confirm("punsubscribe", "a*", 0));
    c.send_cmd(&["PUNSUBSCRIBE"]);
    assert_eq!(
        c.read_frame(),
        Frame::Array(vec![bulk("punsubscribe"), Frame::Null, int(0)])
    );
    // Out of subscriber mode: normal commands and a plain PONG again.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(p.cmd(&["PUBLISH", "a", "hi"]), int(0));
    // Wrong arities.
    assert_eq!(
        c.cmd(&["SUBSCRIBE"]),
        error("ERR wrong number of arguments for 'subscribe' command")
    );
    assert_eq!(
        c.cmd(&["PUBLISH", "a"]),
        error("ERR wrong number of arguments for 'publish' command")
    );
}

#[test]
fn resp2_subscriber_mode_allows_only_subscription_commands() {
    let server = start_server();
    let mut c = server.raw();
    subscribe(&mut c, "SUBSCRIBE", &["ch"]);
    assert_eq!(c.cmd(&["PING"]), bulks(&["pong", ""]));
    assert_eq!(c.cmd(&["PING", "hey"]), bulks(&["pong", "hey"]));
    let refused = |cmd: &str| {
        format!(
            "ERR Can't execute '{cmd}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )
    };
    assert_eq!(c.cmd(&["GET", "k"]), error(&refused("get")));
    assert_eq!(c.cmd(&["client", "list"]), error(&refused("client|list")));
    assert_eq!(c.cmd(&["PUBLISH", "ch", "x"]), error(&refused("publish")));
    assert_eq!(
        c.cmd(&["nosuch"]),
        error("ERR unknown command 'nosuch', with args beginning with: ")
    );
    // Still subscribed after the refusals.
    assert_eq!(server.raw().cmd(&["PUBLISH", "ch", "m"]), int(1));
    assert_eq!(c.read_frame(), bulks(&["message", "ch", "m"]));
    subscribe(&mut c, "PSUBSCRIBE", &["p*"]);
    c.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(c.read_frame(), confirm("unsubscribe", "ch", 1));
    assert_eq!(c.cmd(&["GET", "k"]), error(&refused("get")), "p* remains");
    c.send_cmd(&["PUNSUBSCRIBE", "p*"]);
    assert_eq!(c.read_frame(), confirm("punsubscribe", "p*", 0));
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    subscribe(&mut c, "SUBSCRIBE", &["ch"]);
    assert_eq!(c.cmd(&["QUIT"]), simple("OK"));
    c.expect_closed();
}

#[test]
fn resp3_subscribers_get_pushes_and_run_any_command() {
    let server = start_server();
    let mut c = server.raw();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Frame::Map(_)));
    c.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![bulk("subscribe"), bulk("ch"), int(1)])
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(server.raw().cmd(&["PUBLISH", "ch", "hi"]), int(1));
    c.send_cmd(&["GET", "k"]);
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![bulk("message"), bulk("ch"), bulk("hi")]),
        "the push was queued before GET's reply"
    );
    assert_eq!(c.read_frame(), bulk("v"));
    let mut c2 = server.raw();
    assert!(matches!(c2.cmd(&["HELLO", "3"]), Frame::Map(_)));
    c2.send_cmd(&["SUBSCRIBE", "ch"]);
    c2.read_frame();
    assert_eq!(server.raw().cmd(&["PUBLISH", "ch", "m2"]), int(2));
    assert_eq!(
        c2.read_frame(),
        Frame::Push(vec![bulk("message"), bulk("ch"), bulk("m2")])
    );
    // Publishing to itself: the reply, then the push (pushes are out of band).
    assert_eq!(c2.cmd(&["PUBLISH", "ch", "self"]), int(2));
    assert_eq!(
        c2.read_frame(),
        Frame::Push(vec![bulk("message"), bulk("ch"), bulk("self")])
    );
    c2.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(
        c2.read_frame(),
        Frame::Push(vec![bulk("unsubscribe"), bulk("ch"), int(0)])
    );
    c2.send_cmd(&["UNSUBSCRIBE"]);
    assert_eq!(
        c2.read_frame(),
        Frame::Push(vec![bulk("unsubscribe"), Frame::Null, int(0)])
    );
}

#[test]
fn resp3_push_messages_with_the_redis_crate() {
    let server = start_server();
    let client = redis::Client::open(format!("{}?protocol=resp3", server.url())).expect("client");
    let mut conn = client.get_connection().expect("connect");
    let (tx, rx) = std::sync::mpsc::channel();
    conn.set_push_sender(tx);
    conn.subscribe_resp3("events").expect("subscribe");
    conn.psubscribe_resp3("ev*").expect("psubscribe");
    let _: () = conn.set("k", "v").expect("normal command while subscribed");
    let mut publisher = server.redis();
    let n: i64 = publisher.publish("events", "payload").expect("publish");
    assert_eq!(n, 2);
    // A normal command on the same connection reads the pushes queued before its reply.
    let v: String = conn.get("k").expect("get");
    assert_eq!(v, "v");
    let pushes: Vec<_> = rx.try_iter().collect();
    let kinds: Vec<PushKind> = pushes.iter().map(|p| p.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            PushKind::Subscribe,
            PushKind::PSubscribe,
            PushKind::Message,
            PushKind::PMessage
        ]
    );
    assert_eq!(
        pushes[2].data,
        vec![
            Value::BulkString(b"events".to_vec()),
            Value::BulkString(b"payload".to_vec())
        ]
    );
    assert_eq!(
        pushes[3].data,
        vec![
            Value::BulkString(b"ev*".to_vec()),
            Value::BulkString(b"events".to_vec()),
            Value::BulkString(b"payload".to_vec())
        ]
    );
}

#[test]
fn pubsub_introspection() {
    let server = start_server();
    let mut a = server.raw();
    let mut b = server.raw();
    subscribe(&mut a, "SUBSCRIBE", &["news.1", "news.2", "misc"]);
    subscribe(&mut b, "SUBSCRIBE", &["news.1"]);
    subscribe(&mut a, "PSUBSCRIBE", &["foo*", "bar*"]);
    subscribe(&mut b, "PSUBSCRIBE", &["foo*"]);
    let mut c = server.raw();
    let mut channels = |args: &[&str]| -> Vec<String> {
        let Frame::Array(items) = c.cmd(args) else {
            panic!("not an array");
        };
        let mut names: Vec<String> = items.iter().map(text).collect();
        names.sort();
        names
    };
    assert_eq!(
        channels(&["PUBSUB", "CHANNELS"]),
        ["misc", "news.1", "news.2"]
    );
    assert_eq!(
        channels(&["pubsub", "channels", "news.*"]),
        ["news.1", "news.2"]
    );
    assert!(channels(&["PUBSUB", "CHANNELS", "zzz*"]).is_empty());
    assert_eq!(
        c.cmd(&["PUBSUB", "NUMSUB", "news.1", "misc", "none"]),
        Frame::Array(vec![
            bulk("news.1"),
            int(2),
            bulk("misc"),
            int(1),
            bulk("none"),
            int(0)
        ])
    );
    assert_eq!(c.cmd(&["PUBSUB", "NUMSUB"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["PUBSUB", "NUMPAT"]), int(2), "distinct patterns");
    let Frame::Array(help) = c.cmd(&["PUBSUB", "HELP"]) else {
        panic!("help is an array");
    };
    assert_eq!(
        help[0],
        simple("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(help.len(), 14);
    assert_eq!(
        c.cmd(&["PUBSUB", "NOPE"]),
        error("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.")
    );
    assert_eq!(
        c.cmd(&["PUBSUB", "NUMPAT", "x"]),
        error("ERR wrong number of arguments for 'pubsub|numpat' command")
    );
    assert_eq!(
        c.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        error(
            "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."
        )
    );
    assert_eq!(
        c.cmd(&["PUBSUB"]),
        error("ERR wrong number of arguments for 'pubsub' command")
    );
    // INFO and CLIENT LIST report the subscriptions.
    let info = text(&c.cmd(&["INFO", "stats"]));
    assert!(info.contains("pubsub_channels:3\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:2\r\n"), "{info}");
    let list = text(&c.cmd(&["CLIENT", "LIST"]));
    assert!(list.contains("flags=P db=0 sub=3 psub=2 ssub=0"), "{list}");
    assert!(list.contains("flags=P db=0 sub=1 psub=1 ssub=0"), "{list}");
    let pubsub_only = text(&c.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]));
    assert_eq!(pubsub_only.lines().count(), 2, "{pubsub_only}");
    let normal = text(&c.cmd(&["CLIENT", "LIST", "TYPE", "normal"]));
    assert_eq!(normal.lines().count(), 1, "{normal}");
    // A closed subscriber is forgotten.
    assert_eq!(c.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), int(2));
    a.expect_closed();
    b.expect_closed();
    assert_eq!(c.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    assert_eq!(c.cmd(&["PUBSUB", "CHANNELS"]), Frame::Array(vec![]));
    assert_eq!(c.cmd(&["PUBLISH", "news.1", "x"]), int(0));
}

#[test]
fn disconnected_subscribers_are_forgotten() {
    let server = start_server();
    let mut p = server.raw();
    {
        let mut s = server.raw();
        subscribe(&mut s, "SUBSCRIBE", &["ch"]);
        subscribe(&mut s, "PSUBSCRIBE", &["c*"]);
        assert_eq!(p.cmd(&["PUBLISH", "ch", "x"]), int(2));
    }
    // The server sees the close on its next turn: poll until it has.
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while p.cmd(&["PUBLISH", "ch", "x"]) != int(0) {
        assert!(Instant::now() < deadline, "closed subscriber still counted");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(p.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    assert_eq!(p.cmd(&["PUBSUB", "NUMSUB", "ch"]), bulks_int("ch", 0));
}

fn bulks_int(name: &str, n: i64) -> Frame {
    Frame::Array(vec![bulk(name), int(n)])
}

#[test]
fn shard_channels_are_their_own_namespace() {
    let server = start_server();
    let mut s = server.raw();
    s.send_cmd(&["SSUBSCRIBE", "a", "b"]);
    assert_eq!(s.read_frame(), confirm("ssubscribe", "a", 1));
    assert_eq!(s.read_frame(), confirm("ssubscribe", "b", 2));
    subscribe(&mut s, "SUBSCRIBE", &["a"]);
    let mut p = server.raw();
    assert_eq!(p.cmd(&["SPUBLISH", "a", "x"]), int(1));
    assert_eq!(s.read_frame(), bulks(&["smessage", "a", "x"]));
    assert_eq!(p.cmd(&["PUBLISH", "a", "y"]), int(1));
    assert_eq!(s.read_frame(), bulks(&["message", "a", "y"]));
    assert_eq!(p.cmd(&["PUBSUB", "SHARDNUMSUB", "a", "z"]), {
        Frame::Array(vec![bulk("a"), int(1), bulk("z"), int(0)])
    });
    let Frame::Array(names) = p.cmd(&["PUBSUB", "SHARDCHANNELS", "b*"]) else {
        panic!("array");
    };
    assert_eq!(names, vec![bulk("b")]);
    s.send_cmd(&["SUNSUBSCRIBE"]);
    assert_eq!(s.read_frame(), confirm("sunsubscribe", "a", 1));
    assert_eq!(s.read_frame(), confirm("sunsubscribe", "b", 0));
    assert_eq!(p.cmd(&["SPUBLISH", "a", "x"]), int(0));
    s.send_cmd(&["SUNSUBSCRIBE"]);
    assert_eq!(
        s.read_frame(),
        Frame::Array(vec![bulk("sunsubscribe"), Frame::Null, int(0)])
    );
}

#[test]
fn confirmations_pass_client_reply_off() {
    let server = start_server();
    let mut c = server.raw();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Frame::Map(_)));
    c.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    c.send_cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![bulk("subscribe"), bulk("ch"), int(1)])
    );
    c.send_cmd(&["SET", "k", "v"]);
    assert_eq!(server.raw().cmd(&["PUBLISH", "ch", "m"]), int(1));
    assert_eq!(
        c.read_frame(),
        Frame::Push(vec![bulk("message"), bulk("ch"), bulk("m")]),
        "SET's reply was dropped, the message was not"
    );
    c.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(c.read_frame(), simple("OK"));
}

/// Publishes `size`-byte messages until PUBLISH reaches nobody (the subscriber was
/// closed) or `max` messages; returns how many went out.
fn publish_until_dropped(p: &mut Raw, size: usize, max: usize) -> usize {
    let payload = "x".repeat(size);
    for i in 0..max {
        if p.cmd(&["PUBLISH", "ch", &payload]) == int(0) {
            return i;
        }
    }
    panic!("the subscriber was never disconnected");
}

#[test]
fn a_subscriber_that_never_reads_is_closed_at_the_hard_limit() {
    let server = start_server();
    let mut p = server.raw();
    assert_eq!(
        p.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0 0"
        ]),
        simple("OK")
    );
    assert_eq!(
        p.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        bulks(&[
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0"
        ])
    );
    let mut slow = server.raw();
    subscribe(&mut slow, "SUBSCRIBE", &["ch"]);
    let mut reader = server.raw();
    subscribe(&mut reader, "PSUBSCRIBE", &["nothing*"]);
    // 64 KB messages: the socket buffers fill first, then the output buffer grows to
    // the limit (at most ~256 MB sent before the test gives up).
    let sent = publish_until_dropped(&mut p, 64 * 1024, 4096);
    assert!(
        sent > 16,
        "closed after {sent} messages: before 1 MB was queued"
    );
    let info = text(&p.cmd(&["INFO", "stats"]));
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    // The server answers others, and the other subscriber is still subscribed.
    assert_eq!(server.raw().cmd(&["PING"]), simple("PONG"));
    assert_eq!(reader.cmd(&["PING"]), bulks(&["pong", ""]));
    assert_eq!(p.cmd(&["PUBSUB", "NUMSUB", "ch"]), bulks_int("ch", 0));
    // The slow subscriber's connection ends (after what was already in the socket).
    slow.expect_closed();
}

/// The `obl=` (output buffer length) of client `id` in CLIENT LIST; None once gone.
fn output_len(c: &mut Raw, id: i64) -> Option<usize> {
    let line = text(&c.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]));
    let field = line.split(' ').find_map(|f| f.strip_prefix("obl="))?;
    field.parse().ok()
}

#[test]
fn the_soft_limit_closes_a_subscriber_over_it_for_too_long() {
    let server = start_server_with(|c| {
        c.set("client-output-buffer-limit", "pubsub 64mb 256kb 1")
            .expect("valid limit");
    });
    let mut p = server.raw();
    let mut slow = server.raw();
    let Frame::Integer(id) = slow.cmd(&["CLIENT", "ID"]) else {
        panic!("CLIENT ID");
    };
    subscribe(&mut slow, "SUBSCRIBE", &["ch"]);
    // Paced publishing (a few MB a second, far below the hard limit): the subscriber
    // is closed only once its output stayed over 256 KB for more than one second.
    let payload = "x".repeat(16 * 1024);
    let start = Instant::now();
    let mut over_since: Option<Instant> = None;
    while p.cmd(&["PUBLISH", "ch", &payload]) != int(0) {
        assert!(start.elapsed() < REPLY_TIMEOUT, "never disconnected");
        if over_since.is_none() && output_len(&mut p, id).is_some_and(|n| n >= 256 * 1024) {
            over_since = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let over = over_since.expect("went over the soft limit").elapsed();
    assert!(over >= Duration::from_millis(900), "closed after {over:?}");
    assert!(output_len(&mut p, id).is_none());
    let info = text(&p.cmd(&["INFO", "stats"]));
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1\r\n"),
        "{info}"
    );
    slow.expect_closed();
}

#[test]
fn output_limit_config_is_checked() {
    let server = start_server();
    let mut c = server.raw();
    let failed = |why: &str| {
        error(&format!(
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - {why}"
        ))
    };
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 1mb 0"
        ]),
        failed("Wrong number of arguments in buffer limit configuration.")
    );
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 1 1 1"
        ]),
        failed("Invalid client class specified in buffer limit configuration.")
    );
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 1mb 1 pubsub x 0 0"
        ]),
        failed("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
    );
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1kb 2kb 3 replica 4mb 5mb 6"
        ]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        bulks(&[
            "client-output-buffer-limit",
            "normal 1024 2048 3 slave 4194304 5242880 6 pubsub 33554432 8388608 60"
        ])
    );
    let config = rudis::Config::from_args(
        ["--client-output-buffer-limit", "pubsub 10mb 5mb 30"]
            .iter()
            .map(|s| s.to_string()),
    )
    .expect("valid flag");
    assert_eq!(config.output_limits.pubsub.hard, 10 << 20);
    assert_eq!(config.output_limits.pubsub.soft_seconds, 30);
    assert!(
        rudis::Config::from_args(
            ["--client-output-buffer-limit", "pubsub 1 2"]
                .iter()
                .map(|s| s.to_string())
        )
        .is_err()
    );
}

#[test]
fn subscribers_are_not_closed_for_idling() {
    let server = start_server_with(|c| c.timeout = 1);
    let mut sub = server.raw();
    subscribe(&mut sub, "SUBSCRIBE", &["ch"]);
    let mut idle = server.raw();
    assert_eq!(idle.cmd(&["PING"]), simple("PONG"));
    idle.expect_closed(); // the timeout has passed for both
    assert_eq!(server.raw().cmd(&["PUBLISH", "ch", "still"]), int(1));
    assert_eq!(sub.read_frame(), bulks(&["message", "ch", "still"]));
}
