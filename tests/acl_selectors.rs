//! ACL selectors and read/write key permissions (Redis 7.0's tests/unit/acl-v2.tcl,
//! ported), through real sockets; and the same rules side by side with a real
//! redis-server 7.0, reply for reply.
mod common;

use common::acl::*;
use common::real_redis::Redis;
use common::*;
use rudis::protocol::Frame;

/// Redis 7.0's reply to a key outside every selector's patterns.
const NOPERM_KEYS_TEXT: &str = NOPERM_KEYS;

/// `NOPERM ... run the '<cmd>' command`.
fn noperm_cmd(cmd: &str) -> Frame {
    error(&format!(
        "NOPERM this user has no permissions to run the '{cmd}' command"
    ))
}

/// The value of field `name` of a map reply (a flat array in RESP2).
fn field(map: &Frame, name: &str) -> Frame {
    let Frame::Array(kv) = map else {
        panic!("not a map: {map:?}")
    };
    kv.chunks(2)
        .find(|p| p[0] == bulk(name))
        .map(|p| p[1].clone())
        .unwrap_or_else(|| panic!("no {name} in {map:?}"))
}

/// The `selectors` of ACL GETUSER `user`.
fn selectors(c: &mut Raw, user: &str) -> Vec<Frame> {
    match field(&c.cmd(&["ACL", "GETUSER", user]), "selectors") {
        Frame::Array(s) => s,
        other => panic!("selectors is an array: {other:?}"),
    }
}

/// ACL DRYRUN `user` `args...`.
fn dry(c: &mut Raw, user: &str, args: &[&str]) -> Frame {
    let mut req = vec!["ACL", "DRYRUN", user];
    req.extend_from_slice(args);
    c.cmd(&req)
}

/// DRYRUN's refusal of `key`.
fn no_key(key: &str) -> Frame {
    bulk(&format!(
        "This user has no permissions to access the '{key}' key"
    ))
}

#[test]
fn a_command_runs_when_any_selector_allows_it() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL",
        "SETUSER",
        "selector-1",
        "on",
        "-@all",
        "resetkeys",
        "nopass",
    ]);
    let mut r2 = login(&server, "selector-1", "password");
    assert_eq!(r2.cmd(&["PING"]), noperm_cmd("ping"));
    assert_eq!(r2.cmd(&["SET", "write::foo", "bar"]), noperm_cmd("set"));
    assert_eq!(r2.cmd(&["GET", "read::foo"]), noperm_cmd("get"));
    assert_eq!(
        r.cmd(&[
            "ACL",
            "SETUSER",
            "selector-1",
            "(+@write ~write::*)",
            "(+@read ~read::*)"
        ]),
        simple("OK")
    );
    assert_eq!(r2.cmd(&["PING"]), noperm_cmd("ping"));
    assert_eq!(r2.cmd(&["SET", "write::foo", "bar"]), simple("OK"));
    assert_eq!(r2.cmd(&["GET", "read::foo"]), Frame::Null);
    assert_eq!(r2.cmd(&["GET", "write::foo"]), error(NOPERM_KEYS_TEXT));
    assert_eq!(
        r2.cmd(&["SET", "read::foo", "bar"]),
        error(NOPERM_KEYS_TEXT)
    );
    // A selector's rules do not leak into the root's or another selector's.
    assert_eq!(r.cmd(&["EXISTS", "read::foo"]), int(0));
}

#[test]
fn selectors_start_empty_and_can_be_cleared() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&["ACL", "SETUSER", "selector-default", "reset", "()"]);
    let s = selectors(&mut r, "selector-default");
    assert_eq!(s.len(), 1);
    assert_eq!(field(&s[0], "keys"), bulk(""));
    assert_eq!(field(&s[0], "channels"), bulk(""));
    assert_eq!(field(&s[0], "commands"), bulk("-@all"));

    r.cmd(&["ACL", "SETUSER", "selector-del", "on", "(~added-selector)"]);
    let s = selectors(&mut r, "selector-del");
    assert_eq!(s.len(), 1);
    assert_eq!(field(&s[0], "keys"), bulk("~added-selector"));
    r.cmd(&["ACL", "SETUSER", "selector-del", "clearselectors"]);
    assert!(selectors(&mut r, "selector-del").is_empty());
}

#[test]
fn selector_syntax_errors_name_the_whole_selector() {
    let server = start_server();
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&[
            "ACL",
            "SETUSER",
            "selector-syntax",
            "on",
            "(this-is-invalid)"
        ]),
        error("ERR Error in ACL SETUSER modifier '(this-is-invalid)': Syntax error")
    );
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "selector-syntax", "on", "(&* &fail)"]),
        error(
            "ERR Error in ACL SETUSER modifier '(&* &fail)': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        )
    );
    assert_eq!(
        r.cmd(&["ACL", "GETUSER", "selector-syntax"]),
        Frame::Null,
        "a failed SETUSER creates nobody"
    );
    // User rules are not selector rules.
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "x", "(on)"]),
        error("ERR Error in ACL SETUSER modifier '(on)': Syntax error")
    );
}

#[test]
fn selectors_may_be_spread_over_arguments() {
    let server = start_server();
    let mut r = server.raw();
    assert_eq!(
        r.cmd(&[
            "ACL",
            "SETUSER",
            "selector-2",
            "(~key1 +get )",
            "( ~key2 +get )",
            "( ~key3 +get)",
            "(~key4 +get)"
        ]),
        simple("OK")
    );
    // As `(~key5 +get ) ( ~key6 +get ) ...` typed unquoted into redis-cli.
    let spread = "(~key5 +get ) ( ~key6 +get ) ( ~key7 +get) (~key8 +get)";
    let mut req = vec!["ACL", "SETUSER", "selector-2"];
    req.extend(spread.split(' '));
    assert_eq!(r.cmd(&req), simple("OK"));
    let s = selectors(&mut r, "selector-2");
    assert_eq!(s.len(), 8);
    for (i, sel) in s.iter().enumerate() {
        assert_eq!(field(sel, "keys"), bulk(&format!("~key{}", i + 1)));
        assert_eq!(field(sel, "commands"), bulk("-@all +get"));
    }
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "invalid-selector", " () "]),
        error("ERR Error in ACL SETUSER modifier ' () ': Syntax error")
    );
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "invalid-selector", "("]),
        error("ERR Unmatched parenthesis in acl selector starting at '('.")
    );
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "invalid-selector", ")"]),
        error("ERR Error in ACL SETUSER modifier ')': Syntax error")
    );
    assert_eq!(r.cmd(&["ACL", "GETUSER", "invalid-selector"]), Frame::Null);
}

#[test]
fn read_and_write_key_permissions() {
    let server = start_server();
    let mut r = server.raw();
    // %R~: reads only.
    r.cmd(&[
        "ACL",
        "SETUSER",
        "key-permission-R",
        "on",
        "nopass",
        "%R~read*",
        "+@all",
    ]);
    let mut r2 = login(&server, "key-permission-R", "password");
    assert_eq!(r2.cmd(&["PING"]), simple("PONG"));
    r.cmd(&["SET", "readstr", "bar"]);
    assert_eq!(r2.cmd(&["GET", "readstr"]), bulk("bar"));
    assert_eq!(r2.cmd(&["SET", "readstr", "bar"]), error(NOPERM_KEYS));
    assert_eq!(r2.cmd(&["GET", "notread"]), error(NOPERM_KEYS));
    // %W~: writes only (LPUSH inserts without reading).
    r.cmd(&[
        "ACL",
        "SETUSER",
        "key-permission-W",
        "on",
        "nopass",
        "%W~write*",
        "+@all",
    ]);
    let mut r2 = login(&server, "key-permission-W", "password");
    assert_eq!(r2.cmd(&["LPUSH", "writelist", "10"]), int(1));
    assert_eq!(r2.cmd(&["GET", "writestr"]), error(NOPERM_KEYS));
    assert_eq!(r2.cmd(&["LPUSH", "notwrite", "10"]), error(NOPERM_KEYS));
    // Both, on different patterns: COPY reads its source and writes its destination.
    r.cmd(&[
        "ACL",
        "SETUSER",
        "key-permission-RW",
        "on",
        "nopass",
        "%R~read*",
        "%W~write*",
        "+@all",
    ]);
    let mut r2 = login(&server, "key-permission-RW", "password");
    r.cmd(&["SET", "read", "bar"]);
    assert_eq!(r2.cmd(&["COPY", "read", "write"]), int(1));
    assert_eq!(r2.cmd(&["COPY", "write", "read"]), error(NOPERM_KEYS));
}

#[test]
fn read_and_write_permissions_on_different_selectors_do_not_add_up() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL",
        "SETUSER",
        "key-permission-RW-selector",
        "on",
        "nopass",
        "(%R~read* +@all)",
        "(%W~write* +@all)",
    ]);
    let mut r2 = login(&server, "key-permission-RW-selector", "password");
    assert_eq!(r2.cmd(&["PING"]), simple("PONG"));
    assert_eq!(r2.cmd(&["LPUSH", "writelist", "10"]), int(1));
    assert_eq!(r2.cmd(&["GET", "writestr"]), error(NOPERM_KEYS));
    assert_eq!(r2.cmd(&["LPUSH", "notwrite", "10"]), error(NOPERM_KEYS));
    r.cmd(&["SET", "readstr", "bar"]);
    assert_eq!(r2.cmd(&["GET", "readstr"]), bulk("bar"));
    assert_eq!(r2.cmd(&["SET", "readstr", "bar"]), error(NOPERM_KEYS));
    assert_eq!(r2.cmd(&["GET", "notread"]), error(NOPERM_KEYS));
    // COPY needs both keys through one selector.
    r.cmd(&["SET", "read", "bar"]);
    assert_eq!(r2.cmd(&["COPY", "read", "write"]), error(NOPERM_KEYS));
    assert_eq!(r2.cmd(&["COPY", "write", "read"]), error(NOPERM_KEYS));
}

#[test]
fn set_reads_its_key_only_with_get() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL", "SETUSER", "set-R", "on", "nopass", "%R~read*", "+@all",
    ]);
    let mut r2 = login(&server, "set-R", "x");
    assert_eq!(r2.cmd(&["GET", "readstr"]), Frame::Null);
    for args in [
        &["SET", "readstr", "bar"][..],
        &["SET", "readstr", "bar", "get"],
        &["SET", "readstr", "bar", "ex", "100"],
        &["SET", "readstr", "bar", "keepttl", "nx"],
    ] {
        assert_eq!(r2.cmd(args), error(NOPERM_KEYS), "{args:?}");
    }
    r.cmd(&[
        "ACL",
        "SETUSER",
        "set-W",
        "on",
        "nopass",
        "%W~write*",
        "+@all",
    ]);
    let mut r2 = login(&server, "set-W", "x");
    assert_eq!(r2.cmd(&["SET", "writestr", "bar"]), simple("OK"));
    // The value "get" is not the GET option.
    assert_eq!(r2.cmd(&["SET", "writestr", "get"]), simple("OK"));
    for args in [
        &["SET", "get", "writestr"][..],
        &["SET", "writestr", "bar", "get"],
        &["SET", "writestr", "bar", "get", "ex", "100"],
        &["SET", "writestr", "bar", "get", "keepttl", "nx"],
        // Any later argument spelled GET counts, even where it is a syntax error.
        &["SET", "writestr", "bar", "ex", "get"],
    ] {
        assert_eq!(r2.cmd(args), error(NOPERM_KEYS), "{args:?}");
    }
    r.cmd(&[
        "ACL",
        "SETUSER",
        "set-RW",
        "on",
        "nopass",
        "%RW~readwrite*",
        "+@all",
    ]);
    let mut r2 = login(&server, "set-RW", "x");
    assert_eq!(r2.cmd(&["GET", "readwrite_str"]), Frame::Null);
    assert_eq!(
        r2.cmd(&["SET", "readwrite_str", "bar", "ex", "get"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(r2.cmd(&["SET", "readwrite_str", "bar"]), simple("OK"));
    assert_eq!(
        r2.cmd(&["SET", "readwrite_str", "bar2", "get"]),
        bulk("bar")
    );
    assert_eq!(
        r2.cmd(&["SET", "readwrite_str", "bar3", "get", "ex", "10"]),
        bulk("bar2")
    );
    assert_eq!(r2.cmd(&["GET", "readwrite_str"]), bulk("bar3"));
    let Frame::Integer(ttl) = r2.cmd(&["TTL", "readwrite_str"]) else {
        panic!("TTL is an integer")
    };
    assert!((5..=10).contains(&ttl), "{ttl}");
}

#[test]
fn bitfield_reads_only_with_get_alone() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL", "SETUSER", "bf-R", "on", "nopass", "%R~read*", "+@all",
    ]);
    let mut r2 = login(&server, "bf-R", "x");
    assert_eq!(
        r2.cmd(&["BITFIELD", "readstr", "get", "u4", "0"]),
        Frame::Array(vec![int(0)])
    );
    for args in [
        &["BITFIELD", "readstr", "set", "u4", "0", "1"][..],
        &[
            "BITFIELD", "readstr", "get", "u4", "0", "set", "u4", "0", "1",
        ],
        &["BITFIELD", "readstr", "incrby", "u4", "0", "1"],
    ] {
        assert_eq!(r2.cmd(args), error(NOPERM_KEYS), "{args:?}");
    }
    r.cmd(&[
        "ACL",
        "SETUSER",
        "bf-W",
        "on",
        "nopass",
        "%W~write*",
        "+@all",
    ]);
    let mut r2 = login(&server, "bf-W", "x");
    for args in [
        &["BITFIELD", "writestr", "get", "u4", "0"][..],
        &["BITFIELD", "writestr", "set", "u4", "0", "1"],
        &["BITFIELD", "writestr", "incrby", "u4", "0", "1"],
    ] {
        assert_eq!(r2.cmd(args), error(NOPERM_KEYS), "{args:?}");
    }
    r.cmd(&[
        "ACL",
        "SETUSER",
        "bf-RW",
        "on",
        "nopass",
        "%RW~readwrite*",
        "+@all",
    ]);
    let mut r2 = login(&server, "bf-RW", "x");
    let one = |n| Frame::Array(vec![int(n)]);
    assert_eq!(
        r2.cmd(&["BITFIELD", "readwrite_str", "get", "u4", "0"]),
        one(0)
    );
    assert_eq!(
        r2.cmd(&["BITFIELD", "readwrite_str", "set", "u4", "0", "1"]),
        one(0)
    );
    assert_eq!(
        r2.cmd(&["BITFIELD", "readwrite_str", "incrby", "u4", "0", "1"]),
        one(2)
    );
    assert_eq!(
        r2.cmd(&["BITFIELD", "readwrite_str", "get", "u4", "0"]),
        one(2)
    );
}

/// `(reason, object)` of the newest ACL LOG entry, and its user and context.
fn newest_log(r: &mut Raw) -> (String, String, String, String) {
    let Frame::Array(entries) = r.cmd(&["ACL", "LOG"]) else {
        panic!("ACL LOG is an array")
    };
    let e = entries.first().expect("an entry");
    (
        text(&field(e, "reason")),
        text(&field(e, "object")),
        text(&field(e, "username")),
        text(&field(e, "context")),
    )
}

#[test]
fn acl_log_names_the_relevant_refusal_among_selectors() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&["ACL", "SETUSER", "sel-log", "on", "nopass"]);
    r.cmd(&[
        "ACL",
        "SETUSER",
        "sel-log",
        "+mget",
        "~key",
        "(+mget ~key ~otherkey)",
    ]);
    let mut r2 = login(&server, "sel-log", "x");
    let who = |reason: &str, object: &str| {
        (
            reason.to_string(),
            object.to_string(),
            "sel-log".to_string(),
            "toplevel".to_string(),
        )
    };
    // The command only when no selector allows it.
    r.cmd(&["ACL", "LOG", "RESET"]);
    assert_eq!(r2.cmd(&["GET", "key"]), noperm_cmd("get"));
    assert_eq!(newest_log(&mut r), who("command", "get"));
    // Else the latest key any selector refused.
    r.cmd(&["ACL", "LOG", "RESET"]);
    assert_eq!(
        r2.cmd(&["MGET", "otherkey", "someotherkey"]),
        error(NOPERM_KEYS)
    );
    assert_eq!(newest_log(&mut r), who("key", "someotherkey"));
    r.cmd(&["ACL", "LOG", "RESET"]);
    assert_eq!(
        r2.cmd(&["MGET", "key", "otherkey", "someotherkey"]),
        error(NOPERM_KEYS)
    );
    assert_eq!(newest_log(&mut r), who("key", "someotherkey"));
}

#[test]
fn getuser_and_list_show_every_selector() {
    let server = start_server();
    let mut r = server.raw();
    let root = "-@all +get resetchannels &channel1 %R~foo1 %W~bar1 ~baz1";
    let mut req = vec!["ACL", "SETUSER", "selector-info"];
    req.extend(root.split(' '));
    r.cmd(&req);
    r.cmd(&[
        "ACL",
        "SETUSER",
        "selector-info",
        "(-@all +set resetchannels &channel2 %R~foo2 %W~bar2 ~baz2)",
    ]);
    let user = r.cmd(&["ACL", "GETUSER", "selector-info"]);
    assert_eq!(field(&user, "keys"), bulk("%R~foo1 %W~bar1 ~baz1"));
    assert_eq!(field(&user, "channels"), bulk("&channel1"));
    assert_eq!(field(&user, "commands"), bulk("-@all +get"));
    let Frame::Array(s) = field(&user, "selectors") else {
        panic!("selectors")
    };
    assert_eq!(
        s,
        [Frame::Array(vec![
            bulk("commands"),
            bulk("-@all +set"),
            bulk("keys"),
            bulk("%R~foo2 %W~bar2 ~baz2"),
            bulk("channels"),
            bulk("&channel2"),
        ])]
    );
    // ACL LIST: the root's rules, then each selector in parentheses.
    let list = strings(&r.cmd(&["ACL", "LIST"]));
    assert!(
        list.contains(
            &"user selector-info off %R~foo1 %W~bar1 ~baz1 resetchannels &channel1 -@all +get (%R~foo2 %W~bar2 ~baz2 resetchannels &channel2 -@all +set)"
                .to_string()
        ),
        "{list:?}"
    );
    // %R and %W on one pattern are ~.
    r.cmd(&[
        "ACL",
        "SETUSER",
        "selector-rw-info",
        "%R~foo",
        "%W~foo",
        "%RW~bar",
    ]);
    let user = r.cmd(&["ACL", "GETUSER", "selector-rw-info"]);
    assert_eq!(field(&user, "keys"), bulk("~foo ~bar"));
    // RESP3: maps.
    r.cmd(&["HELLO", "3"]);
    let Frame::Map(user) = r.cmd(&["ACL", "GETUSER", "selector-info"]) else {
        panic!("a map in RESP3")
    };
    let selectors = &user
        .iter()
        .find(|(k, _)| *k == bulk("selectors"))
        .expect("selectors")
        .1;
    assert!(
        matches!(selectors, Frame::Array(s) if matches!(&s[0], Frame::Map(m) if m.len() == 3)),
        "{selectors:?}"
    );
}

#[test]
fn dryrun_checks_commands_and_key_access() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL",
        "SETUSER",
        "command-test",
        "+@all",
        "%R~read*",
        "%W~write*",
        "%RW~rw*",
    ]);
    let mut dr = |args: &[&str]| dry(&mut r, "command-test", args);
    assert_eq!(dr(&["GET", "read"]), simple("OK"));
    // SORT reads its key and writes STORE's.
    assert_eq!(dr(&["SORT", "read", "STORE", "write"]), simple("OK"));
    assert_eq!(dr(&["SORT", "read", "STORE", "read"]), no_key("read"));
    assert_eq!(dr(&["SORT", "write", "STORE", "write"]), no_key("write"));
    // EVAL's keys are read and written; EVAL_RO's only read; a bad numkeys is no key.
    assert_eq!(dr(&["EVAL", "", "1", "rw1"]), simple("OK"));
    assert_eq!(dr(&["EVAL", "", "1", "read"]), no_key("read"));
    assert_eq!(dr(&["EVAL_RO", "", "1", "rw1"]), simple("OK"));
    assert_eq!(dr(&["EVAL_RO", "", "1", "read"]), simple("OK"));
    assert_eq!(dr(&["EVAL", "", "0", "read"]), simple("OK"));
    assert_eq!(dr(&["EVAL", "", "-1", "read"]), simple("OK"));
    assert_eq!(dr(&["EVAL", "", "3", "rw", "rw"]), simple("OK"));
    assert_eq!(dr(&["EVAL", "", "3", "rw", "read"]), simple("OK"));
    // GEORADIUS's STORE and STOREDIST keys are written.
    let geo = |key: &str, store: &str, dest: &str| {
        vec![
            "GEORADIUS".to_string(),
            key.into(),
            "longitude".into(),
            "latitude".into(),
            "radius".into(),
            "M".into(),
            store.into(),
            dest.into(),
        ]
    };
    for store in ["STOREDIST", "STORE"] {
        let run = |dr: &mut dyn FnMut(&[&str]) -> Frame, args: Vec<String>| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            dr(&args)
        };
        assert_eq!(run(&mut dr, geo("read", store, "write")), simple("OK"));
        assert_eq!(run(&mut dr, geo("read1", store, "read2")), no_key("read2"));
        assert_eq!(
            run(&mut dr, geo("write1", store, "write2")),
            no_key("write1")
        );
    }
    assert_eq!(
        dr(&["GEORADIUS", "read", "longitude", "latitude", "radius", "M"]),
        simple("OK")
    );
    // Existence tests and cardinalities need either permission; other reads need read.
    for cmd in [
        &["HEXISTS", "{}", "foo"][..],
        &["HSTRLEN", "{}", "foo"],
        &["SISMEMBER", "{}", "foo"],
        &["TOUCH", "{}"],
        &["EXISTS", "{}"],
        &["MEMORY", "USAGE", "{}"],
        &["TYPE", "{}"],
        &["STRLEN", "{}"],
        &["HLEN", "{}"],
        &["LLEN", "{}"],
        &["SCARD", "{}"],
        &["ZCARD", "{}"],
        &["XLEN", "{}"],
    ] {
        for (key, want) in [
            ("read", simple("OK")),
            ("write", simple("OK")),
            ("rw", simple("OK")),
            ("nothing", no_key("nothing")),
        ] {
            let args: Vec<&str> = cmd
                .iter()
                .map(|a| if *a == "{}" { key } else { a })
                .collect();
            assert_eq!(dr(&args), want, "{args:?}");
        }
    }
    for cmd in [
        &["SINTERCARD", "2", "{}", "read"][..],
        &["ZCOUNT", "{}", "0", "1"],
        &["PFCOUNT", "{}", "read"],
        &["ZINTERCARD", "2", "{}", "read"],
    ] {
        for (key, want) in [
            ("read", simple("OK")),
            ("write", no_key("write")),
            ("nothing", no_key("nothing")),
        ] {
            let args: Vec<&str> = cmd
                .iter()
                .map(|a| if *a == "{}" { key } else { a })
                .collect();
            assert_eq!(dr(&args), want, "{args:?}");
        }
    }
    // Command permissions.
    r.cmd(&["ACL", "SETUSER", "command-test", "-@all"]);
    assert_eq!(
        dry(&mut r, "command-test", &["set", "somekey", "somevalue"]),
        bulk("This user has no permissions to run the 'set' command")
    );
    assert_eq!(
        dry(&mut r, "command-test", &["get", "somekey"]),
        bulk("This user has no permissions to run the 'get' command")
    );
    // Errors.
    assert_eq!(
        dry(&mut r, "not-a-user", &["GET", "read"]),
        error("ERR User 'not-a-user' not found")
    );
    assert_eq!(
        dry(&mut r, "command-test", &["not-a-command", "read"]),
        error("ERR Command 'not-a-command' not found")
    );
    assert_eq!(
        dry(&mut r, "command-test", &["CONFIG", "nosuch"]),
        error("ERR Command 'CONFIG' not found")
    );
    assert_eq!(
        dry(&mut r, "command-test", &["CONFIG", "GET"]),
        error("ERR wrong number of arguments for 'config|get' command")
    );
    r.cmd(&["ACL", "SETUSER", "test-dry-run", "+@all", "~v*"]);
    assert_eq!(
        dry(&mut r, "test-dry-run", &["SET", "v", "v"]),
        simple("OK")
    );
    for args in [&["SET", "v"][..], &["SET"]] {
        assert_eq!(
            dry(&mut r, "test-dry-run", args),
            error("ERR wrong number of arguments for 'set' command")
        );
    }
}

#[test]
fn shard_channels_are_channels_not_keys() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&[
        "ACL",
        "SETUSER",
        "test-channels",
        "+@all",
        "resetchannels",
        "&channel",
    ]);
    let mut dr = |args: &[&str]| dry(&mut r, "test-channels", args);
    assert_eq!(dr(&["spublish", "channel", "foo"]), simple("OK"));
    assert_eq!(dr(&["ssubscribe", "channel"]), simple("OK"));
    assert_eq!(dr(&["sunsubscribe"]), simple("OK"));
    assert_eq!(dr(&["sunsubscribe", "channel"]), simple("OK"));
    assert_eq!(dr(&["sunsubscribe", "otherchannel"]), simple("OK"));
    let no = bulk("This user has no permissions to access the 'otherchannel' channel");
    assert_eq!(dr(&["spublish", "otherchannel", "foo"]), no);
    assert_eq!(dr(&["ssubscribe", "otherchannel", "foo"]), no);
    assert_eq!(
        r.cmd(&["COMMAND", "GETKEYS", "spublish", "a", "b"]),
        error("ERR The command has no key arguments")
    );
}

#[test]
fn sort_by_and_get_need_read_access_to_every_key() {
    let server = start_server();
    let mut r = server.raw();
    r.cmd(&["SET", "v1", "1"]);
    r.cmd(&["LPUSH", "mylist", "1"]);
    r.cmd(&[
        "ACL",
        "SETUSER",
        "test-sort-acl",
        "on",
        "nopass",
        "(+sort ~mylist)",
    ]);
    let mut r2 = login(&server, "test-sort-acl", "nopass");
    let by = error("ERR BY option of SORT denied due to insufficient ACL permissions.");
    let get = error("ERR GET option of SORT denied due to insufficient ACL permissions.");
    for sel in [
        "(+sort ~mylist)",
        "(+sort ~mylist ~v*)",
        "(+sort ~mylist %W~*)",
    ] {
        r.cmd(&["ACL", "SETUSER", "test-sort-acl", sel]);
        assert_eq!(r2.cmd(&["SORT", "mylist", "by", "v*"]), by, "{sel}");
        assert_eq!(r2.cmd(&["SORT", "mylist", "get", "v*"]), get, "{sel}");
    }
    r.cmd(&["ACL", "SETUSER", "test-sort-acl", "(+sort ~mylist %R~*)"]);
    assert_eq!(
        r2.cmd(&["SORT", "mylist", "by", "v*"]),
        Frame::Array(vec![bulk("1")])
    );
    assert_eq!(
        r2.cmd(&["SORT", "mylist", "get", "v*"]),
        Frame::Array(vec![bulk("1")])
    );
    // A BY pattern without `*` reads no other key: no check.
    r.cmd(&[
        "ACL",
        "SETUSER",
        "test-sort-acl",
        "clearselectors",
        "(+sort ~mylist)",
    ]);
    assert_eq!(
        r2.cmd(&["SORT", "mylist", "by", "nosort"]),
        Frame::Array(vec![bulk("1")])
    );
}

/// `user alice on (+get ~rw*)` / `user bob on (+set %W~w*) (+get %R~r*)`: Redis's
/// tests/assets/userwithselectors.acl.
const USERS_WITH_SELECTORS: &str =
    "user alice on (+get ~rw*)\nuser bob on (+set %W~w*) (+get %R~r*)\n";

#[test]
fn selectors_load_from_and_save_to_the_acl_file() {
    let dir = scratch_dir("aclsel");
    let path = dir.join("users.acl");
    std::fs::write(&path, USERS_WITH_SELECTORS).expect("write acl file");
    let p = path.to_string_lossy().into_owned();
    let server = start_server_with(|c| c.set("aclfile", &p).expect("aclfile"));
    let mut r = server.raw();
    let s = selectors(&mut r, "alice");
    assert_eq!(s.len(), 1);
    assert_eq!(field(&s[0], "commands"), bulk("-@all +get"));
    assert_eq!(field(&s[0], "keys"), bulk("~rw*"));
    let s = selectors(&mut r, "bob");
    assert_eq!(s.len(), 2);
    assert_eq!(field(&s[0], "commands"), bulk("-@all +set"));
    assert_eq!(field(&s[0], "keys"), bulk("%W~w*"));
    assert_eq!(field(&s[1], "commands"), bulk("-@all +get"));
    assert_eq!(field(&s[1], "keys"), bulk("%R~r*"));
    // Saved as ACL LIST shows them, and loaded back the same.
    let before = strings(&r.cmd(&["ACL", "LIST"]));
    assert_eq!(r.cmd(&["ACL", "SAVE"]), simple("OK"));
    let saved = std::fs::read_to_string(&path).expect("read acl file");
    assert!(
        saved.contains("user bob on resetchannels -@all (%W~w* resetchannels -@all +set) (%R~r* resetchannels -@all +get)\n"),
        "{saved}"
    );
    assert_eq!(r.cmd(&["ACL", "LOAD"]), simple("OK"));
    assert_eq!(strings(&r.cmd(&["ACL", "LIST"])), before);
    // An unclosed selector fails the whole load.
    std::fs::write(&path, "user carol on (+get ~x\n").expect("rewrite");
    let Frame::Error(e) = r.cmd(&["ACL", "LOAD"]) else {
        panic!("an unclosed selector is refused")
    };
    assert!(
        e.starts_with(&format!(
            "ERR {p}:1: Unmatched parenthesis in selector definition."
        )),
        "{e}"
    );
    assert_eq!(r.cmd(&["ACL", "GETUSER", "carol"]), Frame::Null);
    // bob may SET w* and GET r*, nothing else.
    r.cmd(&["ACL", "SETUSER", "bob", ">pw"]);
    let mut bob = login(&server, "bob", "pw");
    assert_eq!(bob.cmd(&["SET", "w1", "x"]), simple("OK"));
    assert_eq!(bob.cmd(&["GET", "r1"]), Frame::Null);
    assert_eq!(bob.cmd(&["GET", "w1"]), error(NOPERM_KEYS));
    assert_eq!(bob.cmd(&["SET", "r1", "x"]), error(NOPERM_KEYS));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_directives_may_declare_selectors() {
    // One selector quoted, one spread over words, as a configuration file may have them.
    let server = start_server_with(|c| {
        c.apply_text("user carol on nopass \"(+get ~c*)\" (+set ~d*)\n")
            .expect("user directive")
    });
    let mut r = server.raw();
    assert_eq!(
        strings(&r.cmd(&["ACL", "LIST"]))[0],
        "user carol on nopass resetchannels -@all (~c* resetchannels -@all +get) (~d* resetchannels -@all +set)"
    );
}

/// Every reply of rudis and of a real redis-server 7.0 to the same ACL commands.
#[test]
fn selector_replies_match_redis() {
    if !real_redis::have(&["redis-server"]) {
        return;
    }
    let real = Redis::start(&scratch_dir("aclcmp"), "dump.rdb");
    let mut theirs = Raw::connect(([127, 0, 0, 1], real.port).into());
    let server = start_server();
    let mut ours = server.raw();
    let script: &[&[&str]] = &[
        &[
            "ACL",
            "SETUSER",
            "a",
            "on",
            "nopass",
            "~a*",
            "+get",
            "(+set ~b* &c)",
            "()",
        ],
        &["ACL", "SETUSER", "a", "(", "~x", "+get"],
        &[
            "ACL", "SETUSER", "a", "(~x", "+get", ")", "(+mget", "%R~m*)",
        ],
        &["ACL", "SETUSER", "a", "(\"~q\" '+get')", "(\"~k)"],
        &["ACL", "SETUSER", "a", "(on)"],
        &["ACL", "SETUSER", "a", "(allkeys ~x)"],
        &["ACL", "SETUSER", "a", "(%RX~x)"],
        &[
            "ACL",
            "SETUSER",
            "a",
            "(+@all -@all +select|0) (&* allchannels)",
        ],
        &["ACL", "GETUSER", "a"],
        &[
            "ACL",
            "SETUSER",
            "b",
            "(%W~*)",
            "(%R~*)",
            "(nocommands)",
            "%RW~x %R~y",
        ],
        &["ACL", "GETUSER", "b"],
        &["ACL", "SETUSER", "b", "clearselectors", "reset", "(+get)"],
        &["ACL", "GETUSER", "b"],
        &["ACL", "LIST"],
        &[
            "ACL",
            "SETUSER",
            "m",
            "on",
            "+@all",
            "~a",
            "(+get ~b &c)",
            "(+publish &d)",
        ],
        &["ACL", "DRYRUN", "m", "publish", "d", "x"],
        &["ACL", "DRYRUN", "m", "publish", "e", "x"],
        &["ACL", "DRYRUN", "m", "get", "b"],
        &["ACL", "DRYRUN", "m", "set", "b", "x"],
        &["ACL", "DRYRUN", "m", "mget", "b", "c"],
        &["ACL", "DRYRUN", "m", "psubscribe", "c"],
        &["ACL", "SETUSER", "k", "+@all", "%R~r*", "%W~w*", "%RW~rw*"],
        &[
            "ACL", "DRYRUN", "k", "lmove", "read", "write", "left", "right",
        ],
        &[
            "ACL", "DRYRUN", "k", "lmove", "rw", "write", "left", "right",
        ],
        &["ACL", "DRYRUN", "k", "xread", "streams", "r", "w", "0", "0"],
        &["ACL", "DRYRUN", "k", "zunionstore", "w", "2", "r", "r2"],
        &["ACL", "DRYRUN", "k", "zunionstore", "w", "2", "r", "w"],
        &["ACL", "DRYRUN", "k", "zunionstore", "w", "99", "r", "w"],
        &["ACL", "DRYRUN", "k", "rename", "r", "w"],
        &["ACL", "DRYRUN", "k", "del", "r"],
        &["ACL", "DRYRUN", "k", "getdel", "w"],
        &["ACL", "DRYRUN", "k", "incr", "w"],
        &["ACL", "DRYRUN", "k", "append", "w", "x"],
        &["ACL", "DRYRUN", "k", "rpoplpush", "r", "w"],
        &["ACL", "DRYRUN", "k", "hincrby", "w", "a", "1"],
        &["ACL", "DRYRUN", "k", "spop", "w"],
        &["ACL", "DRYRUN", "k", "lmpop", "2", "r", "w", "left"],
        &["ACL", "DRYRUN", "k", "bitfield", "r", "get", "u4", "0"],
        &[
            "ACL", "DRYRUN", "k", "bitfield", "r", "overflow", "wrap", "get", "u4", "0",
        ],
        &["ACL", "DRYRUN", "k", "bitfield", "r", "get", "u4"],
        &["ACL", "DRYRUN", "k", "fcall", "f", "1", "r"],
        &["ACL", "DRYRUN", "k", "fcall_ro", "f", "1", "r"],
        &["ACL", "DRYRUN", "k", "config", "get", "x", "y"],
        &["ACL", "DRYRUN", "k", "config"],
        &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"],
        &["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"],
        &[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "bitfield",
            "k",
            "get",
            "u4",
            "0",
        ],
        &[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "bitfield",
            "k",
            "set",
            "u4",
            "0",
            "1",
        ],
        &["ACL", "LOG", "1", "2"],
        &["ACL", "HELP"],
    ];
    for args in script {
        assert_eq!(ours.cmd(args), theirs.cmd(args), "{args:?}");
    }
}
