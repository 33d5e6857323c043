//! rudis in place of redis-server, through the real binary: Redis's own
//! configuration files, the log where operators send it, daemon and supervisor,
//! serving -LOADING while the data set loads, and start-up errors that name what
//! they are about.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::binary::{Launch, launch, run_to_exit, start, wait_file_contains};
use common::*;
use rudis::protocol::Frame;

/// `text` with each line starting with `name ` (a directive) replaced by `line`.
fn set_directive(text: &str, name: &str, line: &str) -> String {
    let mut found = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.split_whitespace().next() == Some(name) {
                found = true;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    let mut out = out.join("\n") + "\n";
    if !found {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Starts rudis on a copy of the Redis configuration file `original` (port 0, the
/// process in the foreground, files in a scratch directory), checks it serves
/// redis-cli and the `redis` crate, then that CONFIG REWRITE rewrites the copy in
/// place, keeping its comments and order.
fn starts_on_redis_conf(original: &Path) {
    let dir = scratch_dir("redis-conf");
    let text = std::fs::read_to_string(original)
        .unwrap_or_else(|e| panic!("{}: {e} (install redis-server)", original.display()));
    let d = dir.display();
    let mut conf = text.clone();
    for (name, line) in [
        ("port", "port 0".to_string()),
        ("daemonize", "daemonize no".to_string()),
        ("logfile", "logfile \"\"".to_string()),
        ("dir", format!("dir {d}")),
        ("pidfile", format!("pidfile {d}/redis.pid")),
    ] {
        conf = set_directive(&conf, name, &line);
    }
    let path = dir.join("redis.conf");
    std::fs::write(&path, &conf).expect("write config");
    let server = start(&[path.to_str().expect("utf-8")]);
    assert!(
        server.log_contains("accepted, no effect in rudis"),
        "{}",
        server.log_text()
    );
    // redis-cli, as an operator would.
    let cli = std::process::Command::new("redis-cli")
        .args(["-p", &server.addr.port().to_string(), "SET", "k", "v"])
        .output()
        .expect("redis-cli (install redis-tools)");
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), "OK");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "tcp-backlog"]),
        Frame::Array(vec![bulk("tcp-backlog"), bulk("511")])
    );
    let info = match c.cmd(&["INFO", "server"]) {
        Frame::Bulk(b) => String::from_utf8(b).expect("utf-8"),
        f => panic!("{f:?}"),
    };
    let canonical = std::fs::canonicalize(&path).expect("canonical");
    assert!(
        info.contains(&format!("config_file:{}", canonical.display())),
        "{info}"
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "25"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), simple("OK"));
    let rewritten = std::fs::read_to_string(&path).expect("read back");
    let comments = |t: &str| t.lines().filter(|l| l.starts_with('#')).count();
    assert_eq!(comments(&rewritten), comments(&conf), "comments kept");
    let line_of = |t: &str, want: &str| t.lines().position(|l| l == want);
    // In place: where `hz 10` was, after the same comment (runs of blank lines
    // become one, as Redis does, so line numbers may move).
    let before = |t: &str, want: &str| {
        let at = line_of(t, want).unwrap_or_else(|| panic!("no '{want}'"));
        t.lines()
            .take(at)
            .filter(|l| !l.is_empty())
            .last()
            .map(str::to_string)
    };
    assert_eq!(before(&rewritten, "hz 25"), before(&conf, "hz 10"));
    assert!(line_of(&rewritten, "lazyfree-lazy-user-del yes").is_some());
    assert!(!rewritten.contains("# ???"), "{rewritten}");
    // The rewritten file starts the server again, with the new values.
    drop(server);
    let again = start(&[path.to_str().expect("utf-8")]);
    assert_eq!(
        again.raw().cmd(&["CONFIG", "GET", "hz"]),
        Frame::Array(vec![bulk("hz"), bulk("25")])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn starts_on_debians_redis_conf() {
    starts_on_redis_conf(Path::new("/etc/redis/redis.conf"));
}

#[test]
fn starts_on_the_redis_source_trees_redis_conf() {
    starts_on_redis_conf(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/redis-7.0.15.conf"),
    );
}

/// A log line in Redis's format: `pid:M dd Mon yyyy hh:mm:ss.mmm * message`.
fn redis_log_line(line: &str) -> bool {
    let Some((head, rest)) = line.split_once(' ') else {
        return false;
    };
    let Some((pid, role)) = head.split_once(':') else {
        return false;
    };
    let words: Vec<&str> = rest.splitn(6, ' ').collect();
    pid.parse::<u32>().is_ok()
        && ["M", "C", "S"].contains(&role)
        && words.len() == 6
        && words[0].len() == 2
        && words[1].len() == 3
        && words[2].len() == 4
        && words[3].len() == 12
        && [".", "-", "*", "#"].contains(&words[4])
}

#[test]
fn logfile_in_redis_format_reopened_on_sighup() {
    let dir = scratch_dir("logfile");
    let log = dir.join("rudis.log");
    let log_arg = log.to_str().expect("utf-8");
    let server = launch(Launch {
        args: &["--port", "0", "--logfile", log_arg],
        log_file: Some(&log),
        ..Launch::default()
    });
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.lines().all(redis_log_line), "{text}");
    assert_eq!(server.raw().cmd(&["PING"]), simple("PONG"));
    // logrotate: move the file away, then SIGHUP.
    let moved = dir.join("rudis.log.1");
    std::fs::rename(&log, &moved).expect("move the log");
    server.signal(libc::SIGHUP);
    let fresh = wait_file_contains(&log, "Received SIGHUP");
    assert!(fresh.lines().all(redis_log_line), "{fresh}");
    assert!(
        !std::fs::read_to_string(&moved)
            .expect("old log")
            .contains("SIGHUP")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn daemonize_detaches_and_writes_the_pidfile() {
    let dir = scratch_dir("daemon");
    let log = dir.join("rudis.log");
    let pidfile = dir.join("rudis.pid");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args([
            "--port",
            "0",
            "--daemonize",
            "yes",
            "--logfile",
            log.to_str().expect("utf-8"),
            "--pidfile",
            pidfile.to_str().expect("utf-8"),
        ])
        .status()
        .expect("run rudis-server");
    // The command returns once the server detached.
    assert!(status.success());
    let text = wait_file_contains(&log, "Ready to accept connections on ");
    let pid: libc::pid_t = std::fs::read_to_string(&pidfile)
        .expect("pidfile")
        .trim()
        .parse()
        .expect("a pid");
    let addr = text
        .lines()
        .find_map(|l| l.split_once("Ready to accept connections on "))
        .map(|(_, a)| a.trim().parse().expect("address"))
        .expect("address");
    assert!(text.contains(&format!("{pid}:M ")), "{text}");
    let mut c = Raw::connect(addr);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    // SAFETY: signals the daemon this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    wait_file_contains(&log, "Shutting down");
    let deadline = Instant::now() + Duration::from_secs(20);
    while pidfile.exists() {
        assert!(Instant::now() < deadline, "pidfile not removed");
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn supervised_systemd_notifies_ready() {
    let dir = scratch_dir("notify");
    let socket_path = dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let server = launch(Launch {
        args: &["--port", "0", "--supervised", "systemd"],
        env: &[("NOTIFY_SOCKET", socket_path.to_str().expect("utf-8"))],
        ..Launch::default()
    });
    let mut got = String::new();
    while !got.contains("READY=1") {
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).expect("a notification");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("STATUS=Ready to accept connections"), "{got}");
    assert_eq!(server.raw().cmd(&["PING"]), simple("PONG"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Keys in the snapshot the loading test makes, and the delay per key: about 3 s of
/// load, long enough for a progress line (every 2 s).
const LOAD_KEYS: usize = 30_000;
const LOAD_DELAY_US: &str = "100";

#[test]
fn loading_answers_loading_at_once_and_logs_progress() {
    let dir = scratch_dir("loading");
    let d = dir.to_str().expect("utf-8");
    {
        let writer = start(&["--port", "0", "--dir", d]);
        let mut c = writer.client();
        for chunk in (0..LOAD_KEYS).collect::<Vec<_>>().chunks(1000) {
            let mut mset = redis::cmd("MSET");
            for i in chunk {
                mset.arg(format!("key:{i}")).arg(i);
            }
            let _: () = mset.query(&mut c).expect("MSET");
        }
        let _: () = redis::cmd("SAVE").query(&mut c).expect("SAVE");
    }
    let server = launch(Launch {
        args: &["--port", "0", "--dir", d, "--key-load-delay", LOAD_DELAY_US],
        ready: Some("listening on "),
        ..Launch::default()
    });
    let mut c = server.raw();
    let mut round_trips = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let reply = c.cmd(&["PING"]);
        round_trips.push(t.elapsed());
        assert_eq!(
            reply,
            error("LOADING rudis is loading the dataset in memory")
        );
    }
    round_trips.sort();
    let median = round_trips[round_trips.len() / 2];
    assert!(median < Duration::from_millis(1), "{round_trips:?}");
    let info = match c.cmd(&["INFO", "persistence"]) {
        Frame::Bulk(b) => String::from_utf8(b).expect("utf-8"),
        f => panic!("{f:?}"),
    };
    assert!(info.contains("loading:1\r\n"), "{info}");
    for field in [
        "loading_start_time:",
        "loading_total_bytes:",
        "loading_loaded_bytes:",
        "loading_loaded_perc:",
        "loading_eta_seconds:",
    ] {
        assert!(info.contains(field), "{field} in {info}");
    }
    server.wait_log("Loading the dataset: ");
    server.wait_log("Ready to accept connections on ");
    assert_eq!(c.cmd(&["DBSIZE"]), int(LOAD_KEYS as i64));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a start-up that must fail: exit code 1 and a message containing every
/// `needle`, without Rust's debug text, without calling the server Redis.
fn fails_naming(args: &[&str], needles: &[&str]) {
    let (code, out) = run_to_exit(args);
    assert_eq!(code, Some(1), "{args:?}: {out}");
    for needle in needles {
        assert!(out.contains(needle), "{args:?}: no '{needle}' in:\n{out}");
    }
    for debug in ["Os {", "kind:", "Custom {", "Error {"] {
        assert!(!out.contains(debug), "{args:?}: debug text in:\n{out}");
    }
    assert!(!out.contains("Redis startup"), "{out}");
    assert!(!out.contains("(Redis "), "{out}");
}

#[test]
fn startup_errors_name_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    fails_naming(
        &["--port", &port],
        &[&format!("127.0.0.1:{port}"), "Address already in use"],
    );
}

#[test]
fn startup_errors_name_the_path_and_directive() {
    let dir = scratch_dir("start-errors");
    let d = dir.to_str().expect("utf-8");
    fails_naming(
        &["--dir", "/nonexistent/rudis-dir"],
        &[
            "Can't chdir to '/nonexistent/rudis-dir' (dir)",
            "No such file or directory",
        ],
    );
    fails_naming(
        &["--dbfilename", "sub/dump.rdb"],
        &["'dbfilename sub/dump.rdb'", "can't be a path"],
    );
    std::fs::write(dir.join("dump.rdb"), b"not a snapshot at all").expect("write");
    fails_naming(
        &["--port", "0", "--dir", d],
        &[&format!("{d}/dump.rdb"), "dbfilename 'dump.rdb'"],
    );
    fails_naming(
        &["--logfile", "/nonexistent/rudis.log"],
        &[
            "'/nonexistent/rudis.log' (logfile)",
            "No such file or directory",
        ],
    );
    fails_naming(
        &["--port", "0", "--aclfile", "/nonexistent/users.acl"],
        &["'/nonexistent/users.acl' (aclfile)"],
    );
    fails_naming(&["--bogus"], &["unknown option", "bogus"]);
    fails_naming(&["--bogus", "1"], &["unknown option", "bogus"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn version_help_and_test_memory() {
    for flag in ["--version", "-v"] {
        let (code, out) = run_to_exit(&[flag]);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.contains(&format!("v={}", env!("CARGO_PKG_VERSION"))),
            "{out}"
        );
    }
    let (code, out) = run_to_exit(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("Usage: rudis-server"), "{out}");
    let (code, out) = run_to_exit(&["--test-memory", "100"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("no memory test"), "{out}");
}
