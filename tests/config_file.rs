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

#[test]
fn include_save_lines_renames_and_output_classes_accumulate() {
    let dir = scratch_dir("conf-multi");
    let extra = dir.join("extra.conf");
    std::fs::write(
        &extra,
        "save 300 10\nclient-output-buffer-limit pubsub 2mb 1mb 10\nio-threads 4\n",
    )
    .expect("write include");
    let path = dir.join("rudis.conf");
    std::fs::write(
        &path,
        format!(
            "port 1\nsave 900 1\ninclude {}\nclient-output-buffer-limit normal 1mb 512kb 5\n\
             rename-command FLUSHALL \"\"\nrename-command CONFIG MYCONFIG\n",
            extra.display()
        ),
    )
    .expect("write config");
    let server = start(&[path.to_str().expect("utf-8"), "--port", "0"]);
    let mut c = server.raw();
    let get = |c: &mut Raw, name: &str| match c.cmd(&["MYCONFIG", "GET", name]) {
        Frame::Array(items) if items.len() == 2 => items[1].clone(),
        f => panic!("{f:?}"),
    };
    assert_eq!(get(&mut c, "save"), bulk("900 1 300 10"));
    assert_eq!(
        get(&mut c, "client-output-buffer-limit"),
        bulk("normal 1048576 524288 5 slave 268435456 67108864 60 pubsub 2097152 1048576 10")
    );
    assert_eq!(get(&mut c, "io-threads"), bulk("4"));
    match c.cmd(&["CONFIG", "GET", "save"]) {
        Frame::Error(e) => assert!(e.starts_with("ERR unknown command"), "{e}"),
        f => panic!("{f:?}"),
    }
    match c.cmd(&["FLUSHALL"]) {
        Frame::Error(e) => assert!(e.starts_with("ERR unknown command"), "{e}"),
        f => panic!("{f:?}"),
    }
    assert!(server.log_contains("io-threads"), "{}", server.log_text());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_directive_in_an_included_file_names_that_file_and_line() {
    let dir = scratch_dir("conf-include-bad");
    let inner = dir.join("inner.conf");
    std::fs::write(&inner, "# inner\nhz 10\nno-such-thing 1\n").expect("write");
    let outer = dir.join("outer.conf");
    std::fs::write(&outer, format!("port 0\ninclude {}\n", inner.display())).expect("write");
    let (code, log) = run_to_exit(&[outer.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains(&format!("{}, at line 3", inner.display())),
        "{log}"
    );
    assert!(log.contains("unknown option 'no-such-thing'"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_lines_declare_acl_users_and_debug_directives_stay_hidden() {
    let dir = scratch_dir("conf-users");
    let path = dir.join("rudis.conf");
    std::fs::write(
        &path,
        "port 0\nuser default on nopass ~* &* +@all\nuser alice on >wonderland ~* +get\n",
    )
    .expect("write config");
    let server = start(&[path.to_str().expect("utf-8")]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "alice", "wonderland"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), Frame::Null);
    match c.cmd(&["SET", "k", "v"]) {
        Frame::Error(e) => assert!(e.starts_with("NOPERM"), "{e}"),
        f => panic!("{f:?}"),
    }
    let mut admin = server.raw();
    // A glob leaves the debugging directives out; their names still answer.
    match admin.cmd(&["CONFIG", "GET", "*delay*"]) {
        Frame::Array(items) => assert!(!items.contains(&bulk("key-load-delay")), "{items:?}"),
        f => panic!("{f:?}"),
    }
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "key-load-delay"]),
        Frame::Array(vec![bulk("key-load-delay"), bulk("0")])
    );
    let _ = std::fs::remove_dir_all(&dir);
}
