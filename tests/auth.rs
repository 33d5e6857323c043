//! Authentication, ACL users and protected mode, through raw RESP and the redis crate.
mod common;

use common::*;
use rudis::protocol::Frame;

const NOAUTH: &str = "NOAUTH Authentication required.";
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
const NOPERM_KEYS: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";

/// SHA-256 of "foobar", as Redis shows it.
const FOOBAR_HASH: &str = "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2";

fn with_password(pw: &str) -> TestServer {
    let pw = pw.to_string();
    start_server_with(move |c| c.set("requirepass", &pw).expect("requirepass"))
}

fn info_field(c: &mut Raw, section: &str, name: &str) -> String {
    let info = text(&c.cmd(&["INFO", section]));
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

/// A raw client authenticated as `user`.
fn login(server: &TestServer, user: &str, pw: &str) -> Raw {
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", user, pw]), simple("OK"));
    c
}

fn strings(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

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
fn acl_user_may_get_but_not_set() {
    let server = start_server();
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "reader", "on", ">rpw", "+get", "~*"]),
        simple("OK")
    );
    let mut r = login(&server, "reader", "rpw");
    assert_eq!(r.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(
        r.cmd(&["SET", "k", "x"]),
        error("NOPERM this user has no permissions to run the 'set' command")
    );
    assert_eq!(
        r.cmd(&["CONFIG", "GET", "port"]),
        error("NOPERM this user has no permissions to run the 'config|get' command")
    );
    assert_eq!(admin.cmd(&["GET", "k"]), bulk("v"));
    // Rules change live; the user's connection sees them on its next command.
    admin.cmd(&["ACL", "SETUSER", "reader", "+set"]);
    assert_eq!(r.cmd(&["SET", "k", "x"]), simple("OK"));
    admin.cmd(&["ACL", "SETUSER", "reader", "-@write"]);
    assert_eq!(
        r.cmd(&["SET", "k", "y"]),
        error("NOPERM this user has no permissions to run the 'set' command")
    );
    // The same through the redis crate, logged in by URL.
    let url = format!("redis://reader:rpw@{}/", server.addr);
    let mut rc = redis::Client::open(url)
        .expect("url")
        .get_connection()
        .expect("login by URL");
    let got: String = redis::cmd("GET").arg("k").query(&mut rc).expect("get");
    assert_eq!(got, "x");
    let err = redis::cmd("SET")
        .arg("k")
        .arg("z")
        .query::<()>(&mut rc)
        .expect_err("set is denied");
    assert_eq!(err.code(), Some("NOPERM"), "{err}");
}

#[test]
fn acl_user_restricted_to_a_key_pattern() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&["ACL", "SETUSER", "kp", "on", ">pw", "+@all", "~app:*"]);
    let mut c = login(&server, "kp", "pw");
    assert_eq!(c.cmd(&["SET", "app:1", "a"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "app:1"]), bulk("a"));
    assert_eq!(c.cmd(&["GET", "secret"]), error(NOPERM_KEYS));
    assert_eq!(
        c.cmd(&["MSET", "app:2", "b", "secret", "c"]),
        error(NOPERM_KEYS)
    );
    assert_eq!(c.cmd(&["DEL", "app:1", "secret"]), error(NOPERM_KEYS));
    assert_eq!(admin.cmd(&["EXISTS", "secret", "app:2"]), int(0));
    // Read-only patterns: reads pass, writes do not.
    admin.cmd(&["ACL", "SETUSER", "kp", "%R~ro:*"]);
    admin.cmd(&["SET", "ro:1", "r"]);
    assert_eq!(c.cmd(&["GET", "ro:1"]), bulk("r"));
    assert_eq!(c.cmd(&["SET", "ro:1", "w"]), error(NOPERM_KEYS));
    // The redis crate sees the same refusal.
    let mut rc = redis::Client::open(format!("redis://kp:pw@{}/", server.addr))
        .expect("url")
        .get_connection()
        .expect("login");
    let err = redis::cmd("GET")
        .arg("secret")
        .query::<Option<String>>(&mut rc)
        .expect_err("denied");
    assert_eq!(err.code(), Some("NOPERM"));
    let ok: Option<String> = redis::cmd("GET").arg("app:1").query(&mut rc).expect("get");
    assert_eq!(ok.as_deref(), Some("a"), "the denied DEL removed nothing");
    // DRYRUN says why without running anything.
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "kp", "GET", "app:1"]),
        simple("OK")
    );
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "kp", "GET", "secret"]),
        bulk("This user has no permissions to access the 'secret' key")
    );
}

#[test]
fn acl_list_shows_no_plain_password() {
    let server = with_password("foobar");
    let mut c = login(&server, "default", "foobar");
    c.cmd(&[
        "ACL",
        "SETUSER",
        "alice",
        "on",
        ">Sup3rS3cret",
        "~cached:*",
        "&news",
        "-@all",
        "+@read",
        "-keys",
    ]);
    let lines = strings(&c.cmd(&["ACL", "LIST"]));
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| !l.contains("Sup3rS3cret") && !l.contains("foobar"))
    );
    assert_eq!(
        lines[1],
        format!("user default on #{FOOBAR_HASH} ~* &* +@all")
    );
    assert!(
        lines[0].starts_with("user alice on #")
            && lines[0].ends_with(" ~cached:* resetchannels &news -@all +@read -keys"),
        "{}",
        lines[0]
    );
    assert_eq!(strings(&c.cmd(&["ACL", "USERS"])), ["alice", "default"]);
    let Frame::Array(user) = c.cmd(&["ACL", "GETUSER", "alice"]) else {
        panic!("GETUSER is a map");
    };
    let fields: Vec<String> = user.iter().step_by(2).map(text).collect();
    assert_eq!(
        fields,
        [
            "flags",
            "passwords",
            "commands",
            "keys",
            "channels",
            "selectors"
        ]
    );
    assert_eq!(user[5], bulk("-@all +@read -keys"));
    assert_eq!(user[7], bulk("~cached:*"));
    assert_eq!(c.cmd(&["ACL", "GETUSER", "nobody"]), Frame::Null);
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]),
        Frame::Array(vec![bulk("requirepass"), bulk(FOOBAR_HASH)])
    );
}

/// A fresh path under the temp dir (removed when dropped).
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(tag: &str, contents: &str) -> TempFile {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("rudis-{tag}-{}-{nanos}.acl", std::process::id()));
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0).expect("read temp file")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn acl_save_and_load_round_trip() {
    let file = TempFile::new("roundtrip", "user carol on >carolpw ~* &* +@all\n");
    let path = file.path();
    let server = start_server_with(|c| c.set("aclfile", &path).expect("aclfile"));
    let mut admin = server.raw();
    // The file was loaded at startup, its password hashed.
    assert_eq!(strings(&admin.cmd(&["ACL", "USERS"])), ["carol", "default"]);
    let mut carol = login(&server, "carol", "carolpw");
    admin.cmd(&["ACL", "SETUSER", "dave", "on", ">davepw", "+get", "~d:*"]);
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), simple("OK"));
    let saved = file.read();
    assert!(
        !saved.contains("carolpw") && !saved.contains("davepw"),
        "{saved}"
    );
    assert_eq!(saved.lines().count(), 3);
    assert!(saved.contains("\nuser dave on #"), "{saved}");
    assert!(
        saved.ends_with("user default on nopass ~* &* +@all\n"),
        "{saved}"
    );
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "dave"]), int(1));
    assert_eq!(admin.cmd(&["AUTH", "dave", "davepw"]), error(WRONGPASS));
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), simple("OK"));
    assert_eq!(
        strings(&admin.cmd(&["ACL", "USERS"])),
        ["carol", "dave", "default"]
    );
    let mut dave = login(&server, "dave", "davepw");
    assert_eq!(dave.cmd(&["GET", "d:1"]), Frame::Null);
    assert_eq!(dave.cmd(&["GET", "x"]), error(NOPERM_KEYS));
    // Clients of the users the load replaced are disconnected.
    carol.expect_closed();
    // A broken file changes nothing.
    std::fs::write(&file.0, "user erin on +nosuchcommand\n").expect("rewrite");
    let Frame::Error(e) = admin.cmd(&["ACL", "LOAD"]) else {
        panic!("a bad file is refused");
    };
    assert!(
        e.starts_with(&format!(
            "ERR {path}:1: Error in applying operation '+nosuchcommand'"
        )),
        "{e}"
    );
    assert!(e.ends_with("no change to the previously active ACL rules was performed"));
    assert_eq!(dave.cmd(&["GET", "d:1"]), Frame::Null);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "aclfile", "/x"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'aclfile') - can't set immutable config"
        )
    );
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
fn acl_command_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "a b"]),
        error("ERR Usernames can't contain spaces or null characters")
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "on", "+nosuch"]),
        error(
            "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
        )
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "bogus"]),
        error("ERR Error in ACL SETUSER modifier 'bogus': Syntax error")
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "#123"]),
        error(
            "ERR Error in ACL SETUSER modifier '#123': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
        )
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "allkeys", "~foo"]),
        error(
            "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
        )
    );
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "<nopw"]),
        error(
            "ERR Error in ACL SETUSER modifier '<nopw': The password you are trying to remove from the user does not exist"
        )
    );
    assert_eq!(
        strings(&c.cmd(&["ACL", "USERS"])),
        ["default"],
        "failed SETUSERs create nobody"
    );
    assert_eq!(c.cmd(&["ACL", "SETUSER", "x"]), simple("OK"));
    assert_eq!(
        strings(&c.cmd(&["ACL", "LIST"])),
        [
            "user default on nopass ~* &* +@all",
            "user x off resetchannels -@all"
        ]
    );
    // New users start disabled.
    assert_eq!(c.cmd(&["AUTH", "x", ""]), error(WRONGPASS));
    assert_eq!(
        c.cmd(&["ACL", "DELUSER", "x", "default"]),
        error("ERR The 'default' user cannot be removed")
    );
    assert_eq!(c.cmd(&["ACL", "DELUSER", "x", "nobody"]), int(1));
    assert_eq!(
        c.cmd(&["ACL", "LOAD"]),
        error(
            "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
        )
    );
    assert!(
        matches!(c.cmd(&["ACL", "SAVE"]), Frame::Error(e) if e.starts_with("ERR This Redis instance is not configured"))
    );
    assert_eq!(
        c.cmd(&["ACL", "NOSUCH"]),
        error("ERR unknown subcommand 'NOSUCH'. Try ACL HELP.")
    );
    assert_eq!(
        c.cmd(&["ACL", "GETUSER"]),
        error("ERR wrong number of arguments for 'acl|getuser' command")
    );
    assert_eq!(
        c.cmd(&["ACL", "CAT", "nosuch"]),
        error("ERR Unknown category 'nosuch'")
    );
    let cats = strings(&c.cmd(&["ACL", "CAT"]));
    for want in [
        "read",
        "write",
        "keyspace",
        "string",
        "list",
        "hash",
        "set",
        "sortedset",
        "fast",
        "slow",
        "admin",
        "dangerous",
        "connection",
        "pubsub",
        "transaction",
        "blocking",
    ] {
        assert!(cats.iter().any(|c| c == want), "{want}");
    }
    let strings_cat = strings(&c.cmd(&["ACL", "CAT", "string"]));
    assert!(strings_cat.contains(&"get".to_string()) && !strings_cat.contains(&"del".to_string()));
    let admin_cat = strings(&c.cmd(&["ACL", "CAT", "admin"]));
    assert!(
        admin_cat.contains(&"config|set".to_string())
            && admin_cat.contains(&"acl|setuser".to_string())
    );
    assert_eq!(text(&c.cmd(&["ACL", "GENPASS"])).len(), 64);
    assert_eq!(text(&c.cmd(&["ACL", "GENPASS", "5"])).len(), 2);
    assert_eq!(
        c.cmd(&["ACL", "GENPASS", "0"]),
        error(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
        )
    );
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "nobody", "GET", "k"]),
        error("ERR User 'nobody' not found")
    );
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "default", "NOSUCH"]),
        error("ERR Command 'NOSUCH' not found")
    );
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "default", "GET"]),
        error("ERR wrong number of arguments for 'get' command")
    );
    assert!(matches!(c.cmd(&["ACL", "HELP"]), Frame::Array(lines) if lines.len() > 10));
}

#[test]
fn deleting_a_user_disconnects_its_clients() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&["ACL", "SETUSER", "temp", "on", ">t", "+@all", "~*"]);
    let mut t = login(&server, "temp", "t");
    let list = text(&admin.cmd(&["CLIENT", "LIST"]));
    assert!(list.contains(" user=temp "), "{list}");
    assert!(list.contains(" user=default "), "{list}");
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "temp"]), int(1));
    t.expect_closed();
    assert_eq!(admin.cmd(&["PING"]), simple("PONG"));
    // A user deleting itself gets its reply, then the connection closes.
    admin.cmd(&["ACL", "SETUSER", "self", "on", ">s", "+@all", "~*"]);
    let mut s = login(&server, "self", "s");
    assert_eq!(s.cmd(&["ACL", "DELUSER", "self"]), int(1));
    s.expect_closed();
    // CLIENT KILL USER.
    admin.cmd(&["ACL", "SETUSER", "k", "on", ">k", "+@all"]);
    let mut k = login(&server, "k", "k");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "k"]), int(1));
    k.expect_closed();
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "nobody"]),
        error("ERR No such user 'nobody'")
    );
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
