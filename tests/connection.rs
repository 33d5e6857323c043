//! Connection commands: HELLO, AUTH and CLIENT, through raw RESP and the redis crate.
mod common;

use common::*;
use rudis::protocol::Frame;

/// The value under `key` of a HELLO reply (a RESP3 map or a RESP2 flat array).
fn field(reply: &Frame, key: &str) -> Frame {
    let pairs: Vec<(Frame, Frame)> = match reply {
        Frame::Map(pairs) => pairs.clone(),
        Frame::Array(items) => items
            .chunks(2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect(),
        other => panic!("not a map: {other:?}"),
    };
    pairs
        .into_iter()
        .find(|(k, _)| *k == bulk(key))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {key} in {reply:?}"))
}

/// Sends GET of a missing key and returns the raw null bytes.
fn raw_null(c: &mut Raw) -> Vec<u8> {
    c.send_cmd(&["GET", "no-such-key"]);
    let first = c.read_exact_bytes(1);
    let rest = if first == b"_" { 2 } else { 4 };
    [first, c.read_exact_bytes(rest)].concat()
}

#[test]
fn hello_3_switches_to_resp3_and_2_back() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(raw_null(&mut c), b"$-1\r\n");
    let id = c.cmd(&["CLIENT", "ID"]);
    let reply = c.cmd(&["HELLO", "3"]);
    assert!(
        matches!(reply, Frame::Map(ref m) if m.len() == 7),
        "{reply:?}"
    );
    assert_eq!(field(&reply, "server"), bulk("redis"));
    assert_eq!(field(&reply, "version"), bulk("7.0.15"));
    assert_eq!(field(&reply, "proto"), int(3));
    assert_eq!(field(&reply, "id"), id);
    assert_eq!(field(&reply, "mode"), bulk("standalone"));
    assert_eq!(field(&reply, "role"), bulk("master"));
    assert_eq!(field(&reply, "modules"), Frame::Array(vec![]));
    assert_eq!(raw_null(&mut c), b"_\r\n");

    let reply = c.cmd(&["HELLO", "2"]);
    assert!(
        matches!(reply, Frame::Array(ref a) if a.len() == 14),
        "{reply:?}"
    );
    assert_eq!(field(&reply, "proto"), int(2));
    assert_eq!(raw_null(&mut c), b"$-1\r\n");
}

#[test]
fn hello_without_version_keeps_the_protocol() {
    let server = start_server();
    let mut c = server.raw();
    let reply = c.cmd(&["HELLO"]);
    assert!(matches!(reply, Frame::Array(_)), "{reply:?}");
    assert_eq!(field(&reply, "proto"), int(2));
    c.cmd(&["HELLO", "3"]);
    let reply = c.cmd(&["HELLO"]);
    assert!(matches!(reply, Frame::Map(_)), "{reply:?}");
    assert_eq!(field(&reply, "proto"), int(3));
}

#[test]
fn hello_errors_leave_the_protocol_unchanged() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        error("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "1"]),
        error("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "x"]),
        error("ERR Protocol version is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "FOO"]),
        error("ERR Syntax error in HELLO option 'FOO'")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default"]),
        error("ERR Syntax error in HELLO option 'AUTH'")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "bob", "pw"]),
        error("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "SETNAME", "a b"]),
        error("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(raw_null(&mut c), b"$-1\r\n");
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
}

#[test]
fn hello_auth_default_and_setname() {
    let server = start_server();
    let mut c = server.raw();
    let reply = c.cmd(&["HELLO", "3", "AUTH", "default", "any", "SETNAME", "app"]);
    assert_eq!(field(&reply, "proto"), int(3));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("app"));
}

#[test]
fn auth_without_a_configured_password() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["AUTH", "secret"]),
        error(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
        )
    );
    assert_eq!(c.cmd(&["AUTH", "default", "anything"]), simple("OK"));
    assert_eq!(
        c.cmd(&["AUTH", "bob", "x"]),
        error("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["AUTH"]),
        error("ERR wrong number of arguments for 'auth' command")
    );
}

#[test]
fn client_setname_getname() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
    for bad in ["a b", "a\nb", "tab\there"] {
        assert_eq!(
            c.cmd(&["CLIENT", "SETNAME", bad]),
            error("ERR Client names cannot contain spaces, newlines or special characters.")
        );
    }
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "worker-1"]), simple("OK"));
    assert_eq!(c.cmd(&["client", "getname"]), bulk("worker-1"));
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), simple("OK"));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Frame::Null);
}

#[test]
fn client_ids_increase() {
    let server = start_server();
    let mut a = server.raw();
    let mut b = server.raw();
    let (Frame::Integer(ia), Frame::Integer(ib)) =
        (a.cmd(&["CLIENT", "ID"]), b.cmd(&["CLIENT", "ID"]))
    else {
        panic!("ids are integers");
    };
    assert!(ib > ia, "{ia} {ib}");
}

#[test]
fn client_list_shows_every_client_in_redis_format() {
    let server = start_server();
    let mut a = server.raw();
    let mut b = server.raw();
    a.cmd(&["CLIENT", "SETNAME", "alpha"]);
    b.cmd(&["SELECT", "3"]);
    let id_b = b.cmd(&["CLIENT", "ID"]);
    let list = text(&a.cmd(&["CLIENT", "LIST"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(list.ends_with('\n'));
    let fields = [
        "id=",
        "addr=",
        "laddr=",
        "fd=",
        "name=",
        "age=",
        "idle=",
        "flags=",
        "db=",
        "sub=",
        "psub=",
        "ssub=",
        "multi=",
        "qbuf=",
        "qbuf-free=",
        "argv-mem=",
        "multi-mem=",
        "rbs=",
        "rbp=",
        "obl=",
        "oll=",
        "omem=",
        "tot-mem=",
        "events=",
        "cmd=",
        "user=",
        "redir=",
        "resp=",
    ];
    for line in &lines {
        let keys: Vec<&str> = line
            .split(' ')
            .map(|kv| kv.split('=').next().unwrap_or(""))
            .collect();
        let expected: Vec<&str> = fields.iter().map(|f| f.trim_end_matches('=')).collect();
        assert_eq!(&keys[..expected.len()], &expected[..], "{line}");
    }
    assert!(lines[0].contains(" name=alpha "), "{list}");
    assert!(lines[0].contains(" cmd=client|list "), "{list}");
    assert!(lines[0].contains(" user=default redir=-1 resp=2"), "{list}");
    let Frame::Integer(id_b) = id_b else {
        panic!("id")
    };
    assert!(lines[1].starts_with(&format!("id={id_b} ")), "{list}");
    assert!(lines[1].contains(" db=3 "), "{list}");
    assert!(lines[1].contains(&format!(" addr={} ", b.stream.local_addr().expect("addr"))));

    // Filters.
    assert_eq!(
        text(&a.cmd(&["CLIENT", "LIST", "TYPE", "normal"]))
            .lines()
            .count(),
        2
    );
    assert_eq!(text(&a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"])), "");
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "TYPE", "bogus"]),
        error("ERR Unknown client type 'bogus'")
    );
    let only_b = text(&a.cmd(&["CLIENT", "LIST", "ID", &id_b.to_string(), "99999"]));
    assert_eq!(only_b.lines().count(), 1);
    assert!(only_b.starts_with(&format!("id={id_b} ")));
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "ID", "x"]),
        error("ERR Invalid client ID")
    );
    assert_eq!(a.cmd(&["CLIENT", "LIST", "ID"]), error("ERR syntax error"));
    assert_eq!(
        a.cmd(&["CLIENT", "LIST", "FOO", "bar"]),
        error("ERR syntax error")
    );
}

#[test]
fn client_info_and_list_are_verbatim_in_resp3() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    let info = c.cmd(&["CLIENT", "INFO"]);
    let Frame::Verbatim(format, body) = &info else {
        panic!("verbatim expected: {info:?}")
    };
    assert_eq!(format, "txt");
    let body = String::from_utf8_lossy(body);
    assert!(body.contains(" resp=3"), "{body}");
    assert!(body.contains(" cmd=client|info "), "{body}");
    assert!(body.ends_with('\n'));
}

#[test]
fn client_setinfo() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "mylib"]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-ver", "1.2.3"]),
        simple("OK")
    );
    let info = text(&c.cmd(&["CLIENT", "INFO"]));
    assert!(info.contains(" lib-name=mylib lib-ver=1.2.3"), "{info}");
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "x", "y"]),
        error("ERR Unrecognized option 'x'")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "a b"]),
        error("ERR LIB-NAME cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "LIB-NAME"]),
        error("ERR wrong number of arguments for 'client|setinfo' command")
    );
}

#[test]
fn client_kill_by_id_closes_the_victim() {
    let server = start_server();
    let mut killer = server.raw();
    let mut victim = server.raw();
    let Frame::Integer(id) = victim.cmd(&["CLIENT", "ID"]) else {
        panic!("id")
    };
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]),
        int(1)
    );
    victim.expect_closed();
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &id.to_string()]),
        int(0)
    );
    assert_eq!(text(&killer.cmd(&["CLIENT", "LIST"])).lines().count(), 1);
    assert_eq!(killer.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn client_kill_by_addr_old_and_new_forms() {
    let server = start_server();
    let mut killer = server.raw();
    let mut v1 = server.raw();
    let mut v2 = server.raw();
    v1.cmd(&["PING"]);
    v2.cmd(&["PING"]);
    let addr1 = v1.stream.local_addr().expect("addr").to_string();
    let addr2 = v2.stream.local_addr().expect("addr").to_string();
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &addr1]), simple("OK"));
    v1.expect_closed();
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", &addr1]),
        error("ERR No such client")
    );
    assert_eq!(killer.cmd(&["CLIENT", "KILL", "ADDR", &addr2]), int(1));
    v2.expect_closed();
    assert_eq!(killer.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn client_kill_self_and_option_errors() {
    let server = start_server();
    let mut c = server.raw();
    let Frame::Integer(id) = c.cmd(&["CLIENT", "ID"]) else {
        panic!("id")
    };
    let id = id.to_string();
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", &id]),
        int(0),
        "skipme by default"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", "0"]),
        error("ERR client-id should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", "x"]),
        error("ERR client-id should be greater than 0")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "TYPE", "x"]),
        error("ERR Unknown client type 'x'")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "USER", "bob"]),
        error("ERR No such user 'bob'")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", &id, "SKIPME"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", &id, "SKIPME", "maybe"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "FOO", "bar"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "KILL", "ID", &id, "SKIPME", "no"]),
        int(1)
    );
    c.expect_closed();
}

#[test]
fn client_accepted_modes() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), simple("OK"));
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "OFF"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
        error("ERR syntax error")
    );
    assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CLIENT", "REPLY", "bad"]),
        error("ERR syntax error")
    );
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn client_unknown_subcommand_arity_and_help() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CLIENT", "FOO"]),
        error("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    );
    assert_eq!(
        c.cmd(&["CLIENT"]),
        error("ERR wrong number of arguments for 'client' command")
    );
    for (args, name) in [
        (&["CLIENT", "SETNAME"][..], "client|setname"),
        (&["CLIENT", "GETNAME", "x"][..], "client|getname"),
        (&["CLIENT", "ID", "x"][..], "client|id"),
        (&["CLIENT", "KILL"][..], "client|kill"),
        (&["CLIENT", "INFO", "x"][..], "client|info"),
        (&["CLIENT", "NO-EVICT"][..], "client|no-evict"),
        (&["CLIENT", "REPLY"][..], "client|reply"),
        (&["CLIENT", "HELP", "x"][..], "client|help"),
    ] {
        assert_eq!(
            c.cmd(args),
            error(&format!(
                "ERR wrong number of arguments for '{name}' command"
            )),
            "{args:?}"
        );
    }
    let Frame::Array(help) = c.cmd(&["client", "help"]) else {
        panic!("help is an array")
    };
    assert_eq!(
        help[0],
        simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
    assert_eq!(help[help.len() - 2], simple("HELP"));
}

#[test]
fn redis_crate_client_commands() {
    let server = start_server();
    let mut con = server.redis();
    let _: () = redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg("crate")
        .query(&mut con)
        .expect("setname");
    let name: Option<String> = redis::cmd("CLIENT")
        .arg("GETNAME")
        .query(&mut con)
        .expect("getname");
    assert_eq!(name.as_deref(), Some("crate"));
    let id: i64 = redis::cmd("CLIENT").arg("ID").query(&mut con).expect("id");
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut con)
        .expect("list");
    assert!(list.contains(&format!("id={id} ")), "{list}");
    assert!(list.contains("name=crate"), "{list}");
    let err = redis::cmd("HELLO")
        .arg(4)
        .query::<redis::Value>(&mut con)
        .expect_err("NOPROTO");
    assert_eq!(err.code(), Some("NOPROTO"));
}

#[test]
fn client_reply_off_skip_on() {
    let server = start_server();
    let mut c = server.raw();
    // OFF: nothing comes back, errors included, until ON answers +OK.
    c.send_cmd(&["CLIENT", "REPLY", "OFF"]);
    c.send_cmd(&["SET", "a", "1"]);
    c.send_cmd(&["GET", "a"]);
    c.send_cmd(&["NOSUCHCOMMAND"]);
    c.send_cmd(&["CLIENT", "REPLY", "ON"]);
    assert_eq!(c.read_frame(), simple("OK"));
    assert_eq!(c.cmd(&["GET", "a"]), bulk("1"));
    // SKIP: the SKIP itself and the next command get no reply; the one after does.
    c.send_cmd(&["CLIENT", "REPLY", "SKIP"]);
    c.send_cmd(&["ECHO", "skipped"]);
    assert_eq!(c.cmd(&["ECHO", "seen"]), bulk("seen"));
    assert_eq!(
        c.cmd(&["CLIENT", "REPLY", "MAYBE"]),
        error("ERR syntax error")
    );
}
