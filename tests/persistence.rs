//! Snapshots through real sockets: SAVE / BGSAVE / restart keep every value kind and
//! TTL, LASTSAVE and INFO persistence, SAVE inside MULTI, save points, SHUTDOWN and
//! FLUSHALL saves, DEBUG RELOAD, the dir / dbfilename / save directives, and corrupt
//! files refused at startup without a panic.
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use rudis::protocol::Frame;
use rudis::{Config, Server};

/// Longest a test waits for a background save.
const SAVE_WAIT: Duration = Duration::from_secs(20);

/// A fresh directory under the system temp dir, removed on drop (it outlives the
/// servers started on it, unlike a server's own scratch dir).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        TempDir(scratch_dir(&format!("persist-{tag}")))
    }

    fn dump(&self) -> PathBuf {
        self.0.join("dump.rdb")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config_in(dir: &Path, save: &str) -> impl FnOnce(&mut Config) {
    let dir = dir.to_path_buf();
    let save = rudis::config::parse_save(save).expect("valid save points");
    move |c: &mut Config| {
        c.dir = dir;
        c.save = save;
    }
}

/// A server whose snapshot lives in `dir`, without save points.
fn server_in(dir: &TempDir) -> TestServer {
    start_server_with(config_in(&dir.0, ""))
}

/// One field of INFO persistence.
fn info_field(c: &mut Raw, name: &str) -> String {
    let info = text(&c.cmd(&["INFO", "persistence"]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {info}"))
        .to_string()
}

/// Polls INFO until no background save runs; returns its last status.
fn wait_bgsave(c: &mut Raw) -> String {
    let deadline = Instant::now() + SAVE_WAIT;
    while info_field(c, "rdb_bgsave_in_progress") == "1" {
        assert!(Instant::now() < deadline, "background save did not finish");
    }
    info_field(c, "rdb_last_bgsave_status")
}

/// Writes one key of every kind (TTLs on some) into databases 0 and 3.
fn fill(c: &mut Raw) {
    let big = "x".repeat(70_000);
    let ok = simple("OK");
    assert_eq!(c.cmd(&["SET", "str", "hello"]), ok);
    assert_eq!(c.cmd(&["SET", "big", &big]), ok);
    assert_eq!(c.cmd(&["SET", "int", "-12345"]), ok);
    assert_eq!(c.cmd(&["SET", "ttl", "v", "PX", "500000"]), ok);
    set_doc(c, "doc", b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");
    assert_eq!(c.cmd(&["RPUSH", "list", "a", "1", "", "b"]), int(4));
    assert_eq!(c.cmd(&["HSET", "hash", "f1", "v1", "f2", "v2"]), int(2));
    assert_eq!(c.cmd(&["SADD", "ints", "3", "1", "2"]), int(3));
    assert_eq!(c.cmd(&["SADD", "set", "a", "b"]), int(2));
    assert_eq!(c.cmd(&["ZADD", "zset", "1.5", "a", "-inf", "b"]), int(2));
    assert_eq!(c.cmd(&["PEXPIRE", "zset", "600000"]), int(1));
    let mut big_hash = vec!["HSET", "bighash"];
    let fields: Vec<String> = (0..600).map(|i| format!("field{i}")).collect();
    for f in &fields {
        big_hash.extend_from_slice(&[f.as_str(), "value"]);
    }
    assert_eq!(c.cmd(&big_hash), int(600));
    let mut big_zset = vec!["ZADD", "bigzset"];
    let members: Vec<(String, String)> =
        (0..600).map(|i| (i.to_string(), format!("m{i}"))).collect();
    for (s, m) in &members {
        big_zset.extend_from_slice(&[s.as_str(), m.as_str()]);
    }
    assert_eq!(c.cmd(&big_zset), int(600));
    assert_eq!(c.cmd(&["SELECT", "3"]), ok);
    assert_eq!(c.cmd(&["LPUSH", "other", "z"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok);
}

/// Everything [`fill`] wrote, as read back.
fn snapshot_of(c: &mut Raw) -> Vec<Frame> {
    let mut all = vec![
        c.cmd(&["DBSIZE"]),
        c.cmd(&["GET", "str"]),
        c.cmd(&["STRLEN", "big"]),
        c.cmd(&["GET", "int"]),
        c.cmd(&["OBJECT", "ENCODING", "int"]),
        c.cmd(&["GET", "doc"]),
        c.cmd(&["LRANGE", "list", "0", "-1"]),
        c.cmd(&["HGETALL", "hash"]),
        c.cmd(&["SMEMBERS", "ints"]),
        c.cmd(&["OBJECT", "ENCODING", "ints"]),
        c.cmd(&["SORT", "set", "ALPHA"]),
        c.cmd(&["ZRANGE", "zset", "0", "-1", "WITHSCORES"]),
        c.cmd(&["HLEN", "bighash"]),
        c.cmd(&["OBJECT", "ENCODING", "bighash"]),
        c.cmd(&["ZRANGE", "bigzset", "590", "-1", "WITHSCORES"]),
        c.cmd(&["OBJECT", "ENCODING", "bigzset"]),
        c.cmd(&["TTL", "str"]),
    ];
    assert_eq!(c.cmd(&["SELECT", "3"]), simple("OK"));
    all.push(c.cmd(&["LRANGE", "other", "0", "-1"]));
    assert_eq!(c.cmd(&["SELECT", "0"]), simple("OK"));
    all
}

/// PTTL of `key`, checked to be within `(0, max]`.
fn assert_ttl_within(c: &mut Raw, key: &str, max: i64) {
    match c.cmd(&["PTTL", key]) {
        Frame::Integer(ms) => assert!(ms > 0 && ms <= max, "{key}: pttl {ms}"),
        other => panic!("{key}: {other:?}"),
    }
}

#[test]
fn every_kind_and_ttl_survive_save_and_restart() {
    let dir = TempDir::new("save");
    let before = {
        let server = server_in(&dir);
        let mut c = server.raw();
        fill(&mut c);
        assert_ne!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
        assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
        assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
        assert_eq!(info_field(&mut c, "rdb_saves"), "1");
        snapshot_of(&mut c)
    };
    assert!(dir.dump().exists());
    let server = server_in(&dir);
    let mut c = server.raw();
    assert_eq!(snapshot_of(&mut c), before);
    assert_eq!(before[0], int(12));
    assert_ttl_within(&mut c, "ttl", 500_000);
    assert_ttl_within(&mut c, "zset", 600_000);
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "13");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("dump.rdb")]);
}

#[test]
fn bgsave_then_restart_with_the_redis_crate() {
    let dir = TempDir::new("bgsave");
    {
        let server = server_in(&dir);
        let mut r = server.redis();
        let _: () = redis::cmd("RPUSH")
            .arg("l")
            .arg(&["a", "b", "c"])
            .query(&mut r)
            .expect("rpush");
        let _: () = redis::cmd("SET")
            .arg("k")
            .arg("v")
            .arg("EX")
            .arg(1000)
            .query(&mut r)
            .expect("set");
        let started: String = redis::cmd("BGSAVE").query(&mut r).expect("bgsave");
        assert_eq!(started, "Background saving started");
        let mut c = server.raw();
        assert_eq!(wait_bgsave(&mut c), "ok");
        assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
        let err = redis::cmd("BGSAVE")
            .arg("NOW")
            .query::<String>(&mut r)
            .expect_err("syntax");
        assert_eq!(err.code(), Some("ERR"));
        assert!(err.to_string().contains("syntax error"), "{err}");
        // Pipelined in one write, the three run in one turn, before the cron can reap
        // the child: the second and third find the save in progress.
        let mut pipe = Frame::command(&["BGSAVE", "SCHEDULE"]);
        pipe.extend(Frame::command(&["SAVE"]));
        pipe.extend(Frame::command(&["BGSAVE"]));
        c.send(&pipe);
        assert_eq!(c.read_frame(), simple("Background saving started"));
        let busy = error("ERR Background save already in progress");
        assert_eq!(c.read_frame(), busy);
        assert_eq!(c.read_frame(), busy);
        assert_eq!(wait_bgsave(&mut c), "ok");
    }
    let server = server_in(&dir);
    let mut r = server.redis();
    let list: Vec<String> = redis::cmd("LRANGE")
        .arg("l")
        .arg(0)
        .arg(-1)
        .query(&mut r)
        .expect("lrange");
    assert_eq!(list, ["a", "b", "c"]);
    let ttl: i64 = redis::cmd("TTL").arg("k").query(&mut r).expect("ttl");
    assert!((1..=1000).contains(&ttl), "ttl {ttl}");
    let saved: i64 = redis::cmd("LASTSAVE").query(&mut r).expect("lastsave");
    assert!(saved > 0);
}

#[test]
fn lastsave_moves_with_each_save() {
    let dir = TempDir::new("lastsave");
    let server = server_in(&dir);
    let mut c = server.raw();
    let Frame::Integer(first) = c.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE is an integer");
    };
    assert_eq!(info_field(&mut c, "rdb_last_save_time"), first.to_string());
    // Wait (polling TIME) for the next second, so that a save must move it.
    let deadline = Instant::now() + SAVE_WAIT;
    loop {
        let Frame::Array(t) = c.cmd(&["TIME"]) else {
            panic!("TIME is an array");
        };
        if text(&t[0]).parse::<i64>().expect("seconds") > first {
            break;
        }
        assert!(Instant::now() < deadline, "clock stuck");
    }
    assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
    let Frame::Integer(second) = c.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE is an integer");
    };
    assert!(second > first, "{second} <= {first}");
    assert_eq!(
        c.cmd(&["LASTSAVE", "x"]),
        error("ERR wrong number of arguments for 'lastsave' command")
    );
    assert_eq!(
        c.cmd(&["SAVE", "x"]),
        error("ERR wrong number of arguments for 'save' command")
    );
}

#[test]
fn save_is_refused_inside_multi_and_bgsave_is_scheduled() {
    let dir = TempDir::new("multi");
    let server = server_in(&dir);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(
        c.cmd(&["SAVE"]),
        error("ERR Command not allowed inside a transaction")
    );
    assert_eq!(
        c.cmd(&["EXEC"]),
        error("EXECABORT Transaction discarded because of previous errors.")
    );
    assert!(!dir.dump().exists());
    // BGSAVE in a transaction is scheduled; the cron starts it.
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(c.cmd(&["BGSAVE"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::Array(vec![simple("Background saving scheduled")])
    );
    let deadline = Instant::now() + SAVE_WAIT;
    while info_field(&mut c, "rdb_changes_since_last_save") != "0" {
        assert!(Instant::now() < deadline, "scheduled save never ran");
    }
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert!(dir.dump().exists());
}

#[test]
fn save_points_start_a_background_save() {
    let dir = TempDir::new("points");
    let server = start_server_with(config_in(&dir.0, "1 2"));
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "save"]),
        Frame::Array(vec![bulk("save"), bulk("1 2")])
    );
    assert_eq!(c.cmd(&["SET", "a", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "b", "2"]), simple("OK"));
    // More than a second after startup with two changes: the cron saves by itself.
    let deadline = Instant::now() + SAVE_WAIT;
    while info_field(&mut c, "rdb_changes_since_last_save") != "0" {
        assert!(Instant::now() < deadline, "save point never triggered");
    }
    assert_eq!(wait_bgsave(&mut c), "ok");
    assert_eq!(info_field(&mut c, "rdb_saves"), "1");
    drop(c);
    drop(server);
    let server = server_in(&dir);
    assert_eq!(
        server.raw().cmd(&["MGET", "a", "b"]),
        Frame::Array(vec![bulk("1"), bulk("2")])
    );
}

#[test]
fn flushall_saves_and_resets_changes_only_with_save_points() {
    let dir = TempDir::new("flushall");
    let server = server_in(&dir);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["FLUSHALL"]), simple("OK"));
    assert_ne!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(!dir.dump().exists());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "save", "3600 1 300 100 60 10000"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["FLUSHALL"]), simple("OK"));
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert!(dir.dump().exists());
}

#[test]
fn shutdown_saves_as_its_options_say() {
    let dir = TempDir::new("shutdown");
    // Save points configured: a plain SHUTDOWN saves.
    let server = start_server_with(config_in(&dir.0, "3600 1"));
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "1"]), simple("OK"));
    c.send_cmd(&["SHUTDOWN"]);
    c.expect_closed();
    drop(server);
    assert!(dir.dump().exists());
    // NOSAVE: the change is lost.
    let server = start_server_with(config_in(&dir.0, "3600 1"));
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("1"));
    assert_eq!(c.cmd(&["SET", "k", "2"]), simple("OK"));
    c.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    c.expect_closed();
    drop(server);
    // No save points: SHUTDOWN SAVE still saves.
    let server = server_in(&dir);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("1"));
    assert_eq!(c.cmd(&["SET", "k", "3"]), simple("OK"));
    c.send_cmd(&["SHUTDOWN", "SAVE"]);
    c.expect_closed();
    drop(server);
    let server = server_in(&dir);
    assert_eq!(server.raw().cmd(&["GET", "k"]), bulk("3"));
}

#[test]
fn failed_saves_report_errors_and_keep_the_server_up() {
    let dir = TempDir::new("fail");
    let gone = dir.0.join("gone");
    std::fs::create_dir(&gone).expect("mkdir");
    let server = server_in(&dir);
    let mut c = server.raw();
    let gone_text = gone.to_str().expect("utf-8 path");
    assert_eq!(c.cmd(&["CONFIG", "SET", "dir", gone_text]), simple("OK"));
    std::fs::remove_dir(&gone).expect("rmdir");
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["SAVE"]), error("ERR"));
    assert_eq!(c.cmd(&["BGSAVE"]), simple("Background saving started"));
    assert_eq!(wait_bgsave(&mut c), "err");
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE"]),
        error("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), error("ERR"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
}

#[test]
fn debug_reload_keeps_the_dataset() {
    let dir = TempDir::new("reload");
    let server = server_in(&dir);
    let mut c = server.raw();
    fill(&mut c);
    let before = snapshot_of(&mut c);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), simple("OK"));
    assert_eq!(snapshot_of(&mut c), before);
    assert_ttl_within(&mut c, "ttl", 500_000);
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "FAST"]),
        error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
    );
    // NOSAVE reloads the file as it is: later writes are dropped.
    assert_eq!(c.cmd(&["SET", "later", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["DEBUG", "RELOAD", "NOSAVE"]), simple("OK"));
    assert_eq!(c.cmd(&["EXISTS", "later"]), int(0));
    // NOFLUSH without MERGE meets its own keys: a load error.
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "NOFLUSH", "NOSAVE"]),
        error("ERR Error trying to load the RDB dump")
    );
    assert_eq!(c.cmd(&["SET", "extra", "1"]), simple("OK"));
    assert_eq!(
        c.cmd(&["DEBUG", "RELOAD", "MERGE", "NOFLUSH", "NOSAVE"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["GET", "extra"]), bulk("1"));
}

#[test]
fn dir_dbfilename_and_save_directives() {
    let dir = TempDir::new("config");
    let server = server_in(&dir);
    let mut c = server.raw();
    let canonical = std::fs::canonicalize(&dir.0).expect("canonical");
    let shown = canonical.to_str().expect("utf-8");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "dir"]),
        Frame::Array(vec![bulk("dir"), bulk(shown)])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "dbfilename"]),
        Frame::Array(vec![bulk("dbfilename"), bulk("dump.rdb")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "save"]),
        Frame::Array(vec![bulk("save"), bulk("")])
    );
    let failed = |name: &str, why: &str| {
        error(&format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/no/such/dir/anywhere"]),
        failed("dir", "No such file or directory")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/etc/hostname"]),
        failed("dir", "Not a directory")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dbfilename", "a/b.rdb"]),
        failed("dbfilename", "dbfilename can't be a path, just a filename")
    );
    for bad in ["1", "0 1", "1 -1", "x 1", "10 5 20"] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "save", bad]),
            failed("save", "Invalid save parameters"),
            "{bad}"
        );
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "save", " 900 1  300 10 "]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "save"]),
        Frame::Array(vec![bulk("save"), bulk("900 1 300 10")])
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), simple("OK"));
    // Saves go to the new dir and file name.
    let sub = dir.0.join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "dir",
            sub.to_str().expect("utf-8"),
            "dbfilename",
            "x.snap"
        ]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
    assert!(sub.join("x.snap").exists());
    assert!(!dir.dump().exists());
    // Flags set the same directives.
    let args = ["--dir", shown, "--dbfilename", "y.rdb", "--save", "60 5"].map(String::from);
    let config = Config::from_args(args).expect("valid flags");
    assert_eq!(
        (config.dbfilename.as_str(), config.save.len()),
        ("y.rdb", 1)
    );
    assert!(Config::from_args(["--dir", "/no/such/dir"].map(String::from)).is_err());
}

/// Binds a server on the snapshot in `dir`; the error text if it refuses.
fn bind_error(dir: &TempDir) -> Option<String> {
    let mut config = Config {
        port: 0,
        ..Config::default()
    };
    config.dir = dir.0.clone();
    Server::bind(config).err().map(|e| e.to_string())
}

#[test]
fn corrupt_snapshots_are_refused_at_startup() {
    let dir = TempDir::new("corrupt");
    {
        let server = server_in(&dir);
        let mut c = server.raw();
        fill(&mut c);
        assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
    }
    let good = std::fs::read(dir.dump()).expect("read snapshot");
    assert_eq!(bind_error(&dir), None);
    let cuts = (0..good.len())
        .step_by(good.len() / 97 + 1)
        .chain([good.len() - 1]);
    for cut in cuts {
        std::fs::write(dir.dump(), &good[..cut]).expect("write");
        let err = bind_error(&dir).unwrap_or_else(|| panic!("accepted a cut at {cut}"));
        assert!(err.contains("Bad snapshot file"), "{err}");
    }
    for at in (0..good.len()).step_by(good.len() / 97 + 1) {
        let mut bad = good.clone();
        bad[at] ^= 0x20;
        std::fs::write(dir.dump(), &bad).expect("write");
        assert!(bind_error(&dir).is_some(), "accepted a flip at {at}");
    }
    // The binary logs the reason and exits with status 1, without panicking.
    std::fs::write(dir.dump(), &good[..good.len() / 2]).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args(["--port", "0", "--dir", dir.0.to_str().expect("utf-8")])
        .output()
        .expect("run rudis-server");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("Bad snapshot file"), "{log}");
    assert!(log.contains("Unrecoverable error, aborting now."), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

/// CONFIG GET snapshot-format's reply for `value`.
fn format_is(value: &str) -> Frame {
    Frame::Array(vec![bulk("snapshot-format"), bulk(value)])
}

#[test]
fn snapshot_format_redis_saves_rdb_that_loads_back() {
    let dir = TempDir::new("format");
    let doc = b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n";
    let before = {
        let server = server_in(&dir);
        let mut c = server.raw();
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "snapshot-format"]),
            format_is("rudis")
        );
        assert!(matches!(
            c.cmd(&["CONFIG", "SET", "snapshot-format", "rdb"]),
            Frame::Error(_)
        ));
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "snapshot-format", "REDIS"]),
            simple("OK")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "snapshot-format"]),
            format_is("redis")
        );
        fill(&mut c);
        assert_eq!(c.cmd(&["SAVE"]), simple("OK"));
        snapshot_of(&mut c)
    };
    let bytes = std::fs::read(dir.dump()).expect("read snapshot");
    assert!(bytes.starts_with(b"REDIS0010"));
    // Loaded by its magic (the new server's own setting is the default, rudis).
    let server = server_in(&dir);
    let mut c = server.raw();
    let after = snapshot_of(&mut c);
    // Everything is identical but the document, which is now a string of its RESP.
    assert_eq!(after[..5], before[..5]);
    assert_eq!(after[6..], before[6..]);
    assert_eq!(after[5], Frame::Bulk(doc.to_vec()));
    assert_eq!(c.cmd(&["TYPE", "doc"]), simple("string"));
    assert_ttl_within(&mut c, "ttl", 500_000);
    assert_ttl_within(&mut c, "zset", 600_000);
    // DEBUG RELOAD writes and reads the configured format too.
    set_doc(&mut c, "doc2", doc);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "snapshot-format", "redis"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), simple("OK"));
    assert_eq!(c.cmd(&["TYPE", "doc2"]), simple("string"));
    assert!(
        std::fs::read(dir.dump())
            .expect("read")
            .starts_with(b"REDIS0010")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "snapshot-format", "rudis"]),
        simple("OK")
    );
    set_doc(&mut c, "doc3", doc);
    assert_eq!(c.cmd(&["DEBUG", "RELOAD"]), simple("OK"));
    assert_ne!(c.cmd(&["TYPE", "doc3"]), simple("string"));
    assert!(
        std::fs::read(dir.dump())
            .expect("read")
            .starts_with(b"RUDISNAP")
    );
}

#[test]
fn a_file_in_neither_format_is_refused_naming_its_path() {
    let dir = TempDir::new("neither");
    for content in [
        &b""[..],
        b"hello world, not a snapshot",
        b"REDIS",
        b"RUDISNA",
    ] {
        std::fs::write(dir.dump(), content).expect("write");
        let err = bind_error(&dir).expect("refused");
        assert!(err.contains(&dir.dump().display().to_string()), "{err}");
        assert!(err.contains("neither a Redis RDB file"), "{err}");
        assert!(!err.contains("Custom {") && !err.contains("kind:"), "{err}");
    }
}
