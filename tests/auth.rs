//! Authentication (AUTH, HELLO AUTH, requirepass), limits before AUTH, failed-AUTH
//! counters, protected mode, through raw RESP and the redis crate.
mod common;

use common::acl::*;
use common::*;
use rudis::protocol::Frame;

#[test]
fn auth_with_requirepass() {
    let server = with_password("foobar");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), error(NOAUTH));
    assert_eq!(c.cmd(&["PING"]), error(NOAUTH));
    // Existence and arity are checked first, as Redis does.
    assert_eq!(
        c.cmd(&["NOSUCH"]),
        error("ERR unknown command 'NOSUCH', with args beginning with: ")
    );
    assert_eq!(
        c.cmd(&["GET"]),
        error("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(c.cmd(&["AUTH", "wrong!"]), error(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "default", "wrong!"]), error(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "nosuchuser", "foobar"]), error(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), error("ERR syntax error"));
    assert_eq!(c.cmd(&["GET", "k"]), error(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "foobar"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "k", "100"]), simple("OK"));
    assert_eq!(c.cmd(&["INCR", "k"]), int(101));
    assert_eq!(c.cmd(&["ACL", "WHOAMI"]), bulk("default"));
    // The two-argument form works too, and a failed AUTH keeps the earlier login.
    let mut d = server.raw();
    assert_eq!(d.cmd(&["AUTH", "default", "foobar"]), simple("OK"));
    assert_eq!(d.cmd(&["AUTH", "default", "nope"]), error(WRONGPASS));
    assert_eq!(d.cmd(&["GET", "k"]), bulk("101"));
    // QUIT needs no authentication.
    let mut q = server.raw();
    assert_eq!(q.cmd(&["QUIT"]), simple("OK"));
    q.expect_closed();
}

#[test]
fn auth_without_password() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["AUTH", "foo"]),
        error(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
        )
    );
    assert_eq!(c.cmd(&["AUTH", "default", "anything"]), simple("OK"));
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), error("ERR syntax error"));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn hello_3_auth() {
    let server = with_password("foobar");
    let mut c = server.raw();
    let noauth_hello = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
    assert_eq!(c.cmd(&["HELLO", "3"]), error(noauth_hello));
    assert_eq!(c.cmd(&["HELLO"]), error(noauth_hello));
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "bad"]),
        error(WRONGPASS)
    );
    let reply = c.cmd(&["HELLO", "3", "AUTH", "default", "foobar", "SETNAME", "me"]);
    let Frame::Map(pairs) = reply else {
        panic!("HELLO 3 replies with a map, got {reply:?}");
    };
    assert!(pairs.contains(&(bulk("proto"), int(3))));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("me"));
    assert_eq!(c.cmd(&["GET", "nokey"]), Frame::Null);
    // HELLO AUTH with a named user.
    c.cmd(&["ACL", "SETUSER", "bob", "on", ">bobpw", "+@all", "~*"]);
    let mut b = server.raw();
    let reply = b.cmd(&["HELLO", "2", "AUTH", "bob", "bobpw"]);
    assert!(matches!(reply, Frame::Array(_)), "{reply:?}");
    assert_eq!(b.cmd(&["ACL", "WHOAMI"]), bulk("bob"));
}

#[test]
fn unauthenticated_clients_cannot_make_the_server_allocate() {
    let server = with_password("foobar");
    let mut c = server.raw();
    c.send(b"*100\r\n");
    assert_eq!(
        c.read_frame(),
        error("ERR Protocol error: unauthenticated multibulk length")
    );
    c.expect_closed();
    let mut c = server.raw();
    c.send(b"*1\r\n$100000000\r\n");
    assert_eq!(
        c.read_frame(),
        error("ERR Protocol error: unauthenticated bulk length")
    );
    c.expect_closed();
    // After AUTH, in the same pipeline, big requests are fine.
    let mut c = server.raw();
    let big = "x".repeat(100_000);
    let mut pipeline = Frame::command(&["AUTH", "foobar"]);
    pipeline.extend(Frame::command(&["SET", "big", &big]));
    c.send(&pipeline);
    assert_eq!(c.read_frame(), simple("OK"));
    assert_eq!(c.read_frame(), simple("OK"));
    assert_eq!(c.cmd(&["STRLEN", "big"]), int(100_000));
}

#[test]
fn failed_auth_attempts_are_counted_in_info() {
    let server = with_password("foobar");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "bad1"]), error(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "someone", "bad2"]), error(WRONGPASS));
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "bad3"]),
        error(WRONGPASS)
    );
    let mut admin = login(&server, "default", "foobar");
    assert_eq!(
        info_field(&mut admin, "stats", "acl_access_denied_auth"),
        "3"
    );
    admin.cmd(&["ACL", "SETUSER", "r", "on", "nopass", "+get", "~k"]);
    let mut r = login(&server, "r", "any");
    r.cmd(&["SET", "k", "v"]);
    r.cmd(&["GET", "other"]);
    assert_eq!(
        info_field(&mut admin, "stats", "acl_access_denied_cmd"),
        "1"
    );
    assert_eq!(
        info_field(&mut admin, "stats", "acl_access_denied_key"),
        "1"
    );
    assert_eq!(
        info_field(&mut admin, "errorstats", "errorstat_WRONGPASS"),
        "count=3"
    );
    admin.cmd(&["CONFIG", "RESETSTAT"]);
    assert_eq!(
        info_field(&mut admin, "stats", "acl_access_denied_auth"),
        "0"
    );
}

#[test]
fn redis_crate_url_with_user_and_password() {
    let server = with_password("rootpw");
    let mut admin = login(&server, "default", "rootpw");
    admin.cmd(&["ACL", "SETUSER", "u", "on", ">p", "+@all", "~*", "&*"]);
    let port = server.addr.port();
    let mut c = redis::Client::open(format!("redis://u:p@127.0.0.1:{port}"))
        .expect("url")
        .get_connection()
        .expect("connect as u");
    let _: () = redis::cmd("SET")
        .arg("a")
        .arg("1")
        .query(&mut c)
        .expect("set");
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query(&mut c)
        .expect("whoami");
    assert_eq!(who, "u");
    // The default user by password alone.
    let mut d = redis::Client::open(format!("redis://:rootpw@127.0.0.1:{port}"))
        .expect("url")
        .get_connection()
        .expect("connect as default");
    let v: String = redis::cmd("GET").arg("a").query(&mut d).expect("get");
    assert_eq!(v, "1");
    // Wrong credentials fail at connect; none at all fail at the first command.
    let bad = redis::Client::open(format!("redis://u:wrong@127.0.0.1:{port}"))
        .expect("url")
        .get_connection();
    assert!(bad.is_err());
    let mut anon = server.redis();
    let err = redis::cmd("GET")
        .arg("a")
        .query::<String>(&mut anon)
        .expect_err("noauth");
    assert_eq!(err.code(), Some("NOAUTH"));
}

#[test]
fn config_requirepass_and_protected_mode() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "protected-mode"]),
        Frame::Array(vec![bulk("protected-mode"), bulk("yes")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "protected-mode", "no"]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "protected-mode"]),
        Frame::Array(vec![bulk("protected-mode"), bulk("no")])
    );
    assert!(matches!(
        c.cmd(&["CONFIG", "SET", "protected-mode", "maybe"]),
        Frame::Error(_)
    ));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]),
        Frame::Array(vec![bulk("requirepass"), bulk("")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "requirepass", "foobar"]),
        simple("OK")
    );
    // Connections made before keep working (they authenticated as nopass default).
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    let mut fresh = server.raw();
    assert_eq!(fresh.cmd(&["PING"]), error(NOAUTH));
    assert_eq!(fresh.cmd(&["AUTH", "foobar"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]),
        Frame::Array(vec![bulk("requirepass"), bulk(FOOBAR_HASH)])
    );
    // A binary password.
    c.send(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$11\r\nrequirepass\r\n$7\r\nabc\x00d\xffe\r\n");
    assert_eq!(c.read_frame(), simple("OK"));
    let mut b = server.raw();
    b.send(b"*2\r\n$4\r\nAUTH\r\n$3\r\nabc\r\n");
    assert_eq!(b.read_frame(), error(WRONGPASS));
    b.send(b"*2\r\n$4\r\nAUTH\r\n$7\r\nabc\x00d\xffe\r\n");
    assert_eq!(b.read_frame(), simple("OK"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", ""]), simple("OK"));
    assert_eq!(server.raw().cmd(&["PING"]), simple("PONG"));
}

#[test]
fn protected_mode_lets_loopback_clients_in() {
    // Bound to every interface with no password: only loopback peers are accepted,
    // and this test connects only over loopback.
    let server = start_server_with(|c| c.bind = "0.0.0.0".into());
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let mut c = Raw::connect(addr);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    let info = text(&c.cmd(&["INFO", "stats"]));
    assert!(info.contains("rejected_connections:0\r\n"), "{info}");
}

#[test]
fn disabled_default_user_requires_auth() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&["ACL", "SETUSER", "root", "on", ">r", "+@all", "~*", "&*"]);
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "default", "off"]),
        simple("OK")
    );
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), error(NOAUTH));
    assert_eq!(c.cmd(&["AUTH", "default", "x"]), error(WRONGPASS));
    assert_eq!(c.cmd(&["AUTH", "root", "r"]), simple("OK"));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}
