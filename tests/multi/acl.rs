//! Transactions and ACL users: refusals while queueing, rules changed before EXEC,
//! RESET back to the default user.

use crate::common::acl::{NOAUTH, NOPERM_KEYS, info_field, with_password};
use crate::common::*;
use rudis::protocol::Frame;

const REVOKED: &str = "NOPERM ACLs rules changed between the moment the transaction was \
                       accumulated and the EXEC call. This command is no longer allowed for \
                       the following reason: ";

/// A server with user `alice` (password `pw`, every command on keys `a*`) and a
/// connection authenticated as her.
fn alice() -> (TestServer, Raw, Raw) {
    let server = start_server();
    let mut admin = server.raw();
    let mut c = server.raw();
    admin.cmd(&["ACL", "SETUSER", "alice", "on", ">pw", "~a*", "+@all"]);
    assert_eq!(c.cmd(&["AUTH", "alice", "pw"]), simple("OK"));
    (server, admin, c)
}

#[test]
fn a_command_refused_by_acl_while_queueing_aborts_exec() {
    let (_server, _admin, mut c) = alice();
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "a1", "v"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["SET", "other", "v"]), error(NOPERM_KEYS));
    assert_eq!(
        c.cmd(&["EXEC"]),
        error("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(c.cmd(&["EXISTS", "a1"]), int(0));
}

#[test]
fn rules_changed_before_exec_refuse_only_the_commands_they_cover() {
    let (_server, mut admin, mut c) = alice();
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    for cmd in [
        &["SET", "a1", "v"][..],
        &["GET", "a1"],
        &["SET", "ab", "v"],
        &["PING"],
    ] {
        assert_eq!(c.cmd(cmd), simple("QUEUED"));
    }
    let before: u64 = info_field(&mut admin, "stats", "acl_access_denied_cmd")
        .parse()
        .expect("counter");
    admin.cmd(&["ACL", "SETUSER", "alice", "-get", "resetkeys", "~a1"]);
    assert_eq!(
        c.cmd(&["EXEC"]),
        Frame::Array(vec![
            simple("OK"),
            error(&format!(
                "{REVOKED}no permission to execute the command or subcommand"
            )),
            error(&format!(
                "{REVOKED}no permission to touch the specified keys"
            )),
            simple("PONG"),
        ])
    );
    let after: u64 = info_field(&mut admin, "stats", "acl_access_denied_cmd")
        .parse()
        .expect("counter");
    assert_eq!(after, before + 1);
    assert_eq!(admin.cmd(&["EXISTS", "a1", "ab"]), int(1));
}

#[test]
fn reset_goes_back_to_the_default_user() {
    let (_server, _admin, mut c) = alice();
    assert_eq!(c.cmd(&["SET", "b", "v"]), error(NOPERM_KEYS));
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    assert_eq!(c.cmd(&["SET", "b", "v"]), simple("OK"));

    // With a password on the default user, RESET needs a new AUTH.
    let server = with_password("secret");
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "secret"]), simple("OK"));
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    assert_eq!(c.cmd(&["MULTI"]), error(NOAUTH));
}
