//! Helpers for the authentication and ACL tests (tests/auth.rs, tests/acl.rs).

use rudis::protocol::Frame;

use super::{Raw, TestServer, simple, start_server_with, text};

/// Redis's reply to a command sent before AUTH.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// Redis's reply to wrong credentials.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// Redis 7.0's reply to a key outside the user's patterns.
pub const NOPERM_KEYS: &str =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
/// SHA-256 of "foobar", as Redis shows it.
pub const FOOBAR_HASH: &str = "c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2";

/// A server whose default user has password `pw`.
pub fn with_password(pw: &str) -> TestServer {
    let pw = pw.to_string();
    start_server_with(move |c| c.set("requirepass", &pw).expect("requirepass"))
}

/// The value of `name` in INFO `section`.
pub fn info_field(c: &mut Raw, section: &str, name: &str) -> String {
    let info = text(&c.cmd(&["INFO", section]));
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

/// A raw client authenticated as `user`.
pub fn login(server: &TestServer, user: &str, pw: &str) -> Raw {
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", user, pw]), simple("OK"));
    c
}

/// The texts of an array or set reply.
pub fn strings(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) | Frame::Set(items) => items.iter().map(text).collect(),
        other => panic!("not an array: {other:?}"),
    }
}
