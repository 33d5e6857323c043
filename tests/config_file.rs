//! The configuration file, through the real binary: `rudis-server FILE [flags]`.

mod common;

use common::binary::{run_to_exit, start};
use common::*;
use rudis::protocol::Frame;

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
    let (code, log) = run_to_exit(&[path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("FATAL CONFIG FILE ERROR"), "{log}");
    assert!(log.contains("at line 2"), "{log}");
    assert!(log.contains("'no-such-directive yes'"), "{log}");
    let missing = dir.join("missing.conf");
    let (code, log) = run_to_exit(&[missing.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1));
    assert!(log.contains("missing.conf"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
