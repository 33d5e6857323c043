//! ACL users: command and key rules, ACL LIST/GETUSER/SAVE/LOAD and the other
//! subcommands, through raw RESP and the redis crate.
mod common;

use common::acl::*;
use common::*;
use rudis::protocol::Frame;

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
fn acl_commands_through_the_redis_crate() {
    let server = start_server();
    let mut c = server.redis();
    let ok: String = redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "rc",
            "on",
            ">rcpw",
            "+@read",
            "+acl|whoami",
            "~*",
        ])
        .query(&mut c)
        .expect("setuser");
    assert_eq!(ok, "OK");
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query(&mut c).expect("users");
    assert_eq!(users, ["default", "rc"]);
    let list: Vec<String> = redis::cmd("ACL").arg("LIST").query(&mut c).expect("list");
    assert!(
        list[1].starts_with("user rc on #")
            && list[1].ends_with("~* resetchannels -@all +@read +acl|whoami"),
        "{list:?}"
    );
    let cats: Vec<String> = redis::cmd("ACL").arg("CAT").query(&mut c).expect("cat");
    assert!(cats.contains(&"blocking".to_string()));
    let err = redis::cmd("ACL")
        .arg(&["SETUSER", "rc", "+nosuch"])
        .query::<String>(&mut c)
        .expect_err("bad rule");
    assert!(
        err.to_string()
            .contains("Unknown command or category name in ACL"),
        "{err}"
    );
    let ok: String = redis::cmd("AUTH")
        .arg("rc")
        .arg("rcpw")
        .query(&mut c)
        .expect("auth");
    assert_eq!(ok, "OK");
    let who: String = redis::cmd("ACL")
        .arg("WHOAMI")
        .query(&mut c)
        .expect("whoami");
    assert_eq!(who, "rc");
    let err = redis::cmd("ACL")
        .arg(&["DELUSER", "rc"])
        .query::<i64>(&mut c)
        .expect_err("rc may not delete users");
    assert_eq!(err.code(), Some("NOPERM"));
    let err = redis::cmd("AUTH")
        .arg("rc")
        .arg("bad")
        .query::<String>(&mut c)
        .expect_err("wrong password");
    assert_eq!(err.code(), Some("WRONGPASS"));
    let mut admin = server.redis();
    let n: i64 = redis::cmd("ACL")
        .arg(&["DELUSER", "rc", "nobody"])
        .query(&mut admin)
        .expect("deluser");
    assert_eq!(n, 1);
    let gone: Option<Vec<String>> = redis::cmd("ACL")
        .arg(&["GETUSER", "rc"])
        .query(&mut admin)
        .expect("getuser");
    assert_eq!(gone, None);
}

/// The ACL LOG entries' `object` fields, newest first.
fn acl_log_objects(c: &mut Raw) -> Vec<String> {
    let Frame::Array(entries) = c.cmd(&["ACL", "LOG"]) else {
        panic!("ACL LOG is an array");
    };
    entries
        .iter()
        .map(|e| {
            let Frame::Array(kv) = e else { panic!("{e:?}") };
            let at = kv
                .iter()
                .position(|f| *f == bulk("object"))
                .expect("object");
            text(&kv[at + 1])
        })
        .collect()
}

#[test]
fn acllog_max_len_bounds_and_trims_the_acl_log() {
    let server = start_server_with(|c| c.set("acllog-max-len", "3").expect("acllog-max-len"));
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "acllog-max-len"]),
        Frame::Array(vec![bulk("acllog-max-len"), bulk("3")])
    );
    admin.cmd(&["ACL", "SETUSER", "u", "on", "nopass", "+set", "~obj:*"]);
    let mut u = login(&server, "u", "x");
    for j in 0..10 {
        assert_eq!(u.cmd(&["SET", &format!("k{j}"), "1"]), error(NOPERM_KEYS));
    }
    assert_eq!(acl_log_objects(&mut admin), ["k9", "k8", "k7"]);
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acllog-max-len", "5"]),
        simple("OK")
    );
    for j in 10..13 {
        u.cmd(&["SET", &format!("k{j}"), "1"]);
    }
    assert_eq!(acl_log_objects(&mut admin).len(), 5);
    // Lower: the oldest entries go at once.
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acllog-max-len", "2"]),
        simple("OK")
    );
    assert_eq!(acl_log_objects(&mut admin), ["k12", "k11"]);
    admin.cmd(&["CONFIG", "SET", "acllog-max-len", "0"]);
    u.cmd(&["SET", "k13", "1"]);
    assert!(acl_log_objects(&mut admin).is_empty());
    assert!(matches!(
        admin.cmd(&["CONFIG", "SET", "acllog-max-len", "-1"]),
        Frame::Error(e) if e.contains("acllog-max-len")
    ));
    assert_eq!(
        admin.cmd(&["ACL", "LOG", "-1"]),
        Frame::Array(vec![]),
        "a negative count shows nothing"
    );
    assert_eq!(
        admin.cmd(&["ACL", "LOG", "1", "2"]),
        error("ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.")
    );
}

/// One text field of ACL GETUSER's reply.
fn getuser_field(admin: &mut Raw, user: &str, field: &str) -> String {
    let Frame::Array(items) = admin.cmd(&["ACL", "GETUSER", user]) else {
        panic!("no user {user}");
    };
    let at = items
        .iter()
        .step_by(2)
        .position(|f| text(f) == field)
        .expect(field);
    text(&items[2 * at + 1])
}

#[test]
fn revoking_a_channel_disconnects_its_subscribers() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&[
        "ACL", "SETUSER", "ps", "on", ">pw", "+@all", "~*", "&news:*", "&chat",
    ]);
    let mut sub = login(&server, "ps", "pw");
    sub.send_cmd(&["SUBSCRIBE", "news:1"]);
    sub.read_frame();
    let mut psub = login(&server, "ps", "pw");
    psub.send_cmd(&["PSUBSCRIBE", "news:*"]);
    psub.read_frame();
    let mut ssub = login(&server, "ps", "pw");
    ssub.send_cmd(&["SSUBSCRIBE", "chat"]);
    ssub.read_frame();
    // Adding a channel revokes nothing: everyone stays.
    admin.cmd(&["ACL", "SETUSER", "ps", "&more"]);
    assert_eq!(admin.cmd(&["PUBLISH", "news:1", "x"]), int(2));
    // `&news:1` still allows the channel, not the pattern (patterns must be listed).
    admin.cmd(&["ACL", "SETUSER", "ps", "resetchannels", "&news:1", "&chat"]);
    psub.expect_closed();
    assert_eq!(admin.cmd(&["PUBLISH", "news:1", "x"]), int(1));
    assert_eq!(admin.cmd(&["SPUBLISH", "chat", "x"]), int(1));
    // A selector's channels count too.
    admin.cmd(&["ACL", "SETUSER", "ps", "resetchannels", "(&news:1 +@all)"]);
    ssub.expect_closed();
    assert_eq!(admin.cmd(&["PUBLISH", "news:1", "x"]), int(1));
    admin.cmd(&["ACL", "SETUSER", "ps", "clearselectors"]);
    sub.expect_closed();
}

#[test]
fn acl_pubsub_default_decides_the_channels_of_new_users() {
    let server = start_server_with(|c| {
        c.set("acl-pubsub-default", "allchannels")
            .expect("acl-pubsub-default")
    });
    let mut admin = server.raw();
    admin.cmd(&["ACL", "SETUSER", "a"]);
    let channels = |admin: &mut Raw, user: &str| getuser_field(admin, user, "channels");
    assert_eq!(channels(&mut admin, "a"), "&*");
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "b", "&x"]),
        error(
            "ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
        )
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acl-pubsub-default", "resetchannels"]),
        simple("OK")
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "acl-pubsub-default"]),
        Frame::Array(vec![bulk("acl-pubsub-default"), bulk("resetchannels")])
    );
    // Existing users keep theirs; new ones and `reset` start without channels.
    assert_eq!(channels(&mut admin, "a"), "&*");
    admin.cmd(&["ACL", "SETUSER", "a", "reset"]);
    assert_eq!(channels(&mut admin, "a"), "");
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "acl-pubsub-default", "some"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'acl-pubsub-default') - argument(s) must be one of the following: allchannels, resetchannels"
        )
    );
}

#[test]
fn rules_that_change_nothing_are_not_shown() {
    let server = start_server();
    let mut admin = server.raw();
    let commands = |admin: &mut Raw| getuser_field(admin, "u", "commands");
    admin.cmd(&["ACL", "SETUSER", "u", "+memory|doctor"]);
    assert_eq!(commands(&mut admin), "-@all +memory|doctor");
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "u",
        "+@all",
        "+client|id",
        "+select|0",
        "+get",
    ]);
    assert_eq!(commands(&mut admin), "+@all");
    admin.cmd(&["ACL", "SETUSER", "u", "-@all", "-get", "+get", "+get"]);
    assert_eq!(commands(&mut admin), "-@all +get");
    // READONLY exists (as in Redis without cluster mode), so rules may name it.
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "u", "+readonly", "+readwrite", "+asking"]),
        simple("OK")
    );
    assert_eq!(
        admin.cmd(&["READONLY"]),
        error("ERR This instance has cluster support disabled")
    );
}

#[test]
fn a_relative_aclfile_is_inside_dir() {
    let dir = scratch_dir("aclfile-dir");
    std::fs::write(
        dir.join("users.acl"),
        "user carol on >carolpw ~* &* +@all\n",
    )
    .expect("write");
    let server = start_server_with(|c| {
        c.dir = dir.clone();
        c.set("aclfile", "users.acl").expect("aclfile");
    });
    let mut admin = server.raw();
    assert_eq!(strings(&admin.cmd(&["ACL", "USERS"])), ["carol", "default"]);
    admin.cmd(&["ACL", "SETUSER", "dave", "on", ">pw"]);
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), simple("OK"));
    let saved = std::fs::read_to_string(dir.join("users.acl")).expect("read");
    assert!(saved.contains("user dave on"), "{saved}");
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), simple("OK"));
    let _ = std::fs::remove_dir_all(&dir);
}
