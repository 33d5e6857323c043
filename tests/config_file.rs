//! The configuration file, through the real binary: `rudis-server FILE [flags]`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use rudis::protocol::Frame;

/// A running `rudis-server` child and the address it reported.
struct Binary {
    child: Child,
    addr: std::net::SocketAddr,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` and reads its log until it says where it listens.
fn start(args: &[&str]) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rudis-server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("log ended before the server was ready");
        let line = line.expect("read log");
        if let Some((_, addr)) = line.split_once("Ready to accept connections on ") {
            break addr.trim().parse().expect("address");
        }
    };
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Binary { child, addr }
}

#[test]
fn directives_from_the_file_apply_and_flags_override_them() {
    let dir = scratch_dir("conf");
    let path = dir.join("rudis.conf");
    std::fs::write(
        &path,
        "# a Redis-style configuration file\n\
         port 1\n\
         requirepass \"open sesame\"\n\
         notify-keyspace-events KEA\n\
         busy-reply-threshold 1234\n\
         save \"\"\n",
    )
    .expect("write config");
    let server = start(&[path.to_str().expect("utf-8"), "--port", "0"]);
    let mut c = Raw::connect(server.addr);
    match c.cmd(&["GET", "k"]) {
        Frame::Error(e) => assert!(e.starts_with("NOAUTH"), "{e}"),
        f => panic!("{f:?}"),
    }
    assert_eq!(
        c.cmd(&["AUTH", "wrong"]),
        error("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(c.cmd(&["AUTH", "open sesame"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        Frame::Array(vec![bulk("notify-keyspace-events"), bulk("AKE")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "lua-time-limit"]),
        Frame::Array(vec![bulk("lua-time-limit"), bulk("1234")])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_file_stops_startup_naming_the_line() {
    let dir = scratch_dir("conf-bad");
    let path = dir.join("bad.conf");
    std::fs::write(&path, "port 0\nno-such-directive yes\n").expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .arg(&path)
        .output()
        .expect("run rudis-server");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("FATAL CONFIG FILE ERROR"), "{log}");
    assert!(log.contains("at line 2"), "{log}");
    assert!(log.contains("'no-such-directive yes'"), "{log}");
    let missing = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .arg(dir.join("missing.conf"))
        .output()
        .expect("run rudis-server");
    assert_eq!(missing.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
