use super::*;

#[test]
fn default_state_needs_no_checks() {
    let acl = Acl::new(crate::commands::table::acl_registry());
    assert!(!acl.checks());
    assert!(acl.new_client_authenticated());
    assert!(!acl.auth_required(false));
    assert_eq!(acl.authenticate(b"default", b"any"), Some(DEFAULT_USER));
    assert_eq!(acl.authenticate(b"nosuch", b"any"), None);
}

#[test]
fn requirepass_sets_the_default_password() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    acl.set_default_password(Some(&sha256::sha256(b"secret")));
    assert!(acl.checks());
    assert!(!acl.new_client_authenticated());
    assert!(acl.auth_required(false));
    assert!(!acl.auth_required(true));
    assert_eq!(acl.authenticate(b"default", b"secret"), Some(DEFAULT_USER));
    assert_eq!(acl.authenticate(b"default", b"wrong"), None);
    acl.set_default_password(None);
    assert!(!acl.checks());
    assert!(acl.default_user().nopass);
}

#[test]
fn users_are_created_changed_and_deleted() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    acl.set_user(b"bob", &[b"on", b">pw", b"+get", b"~*"])
        .expect("create");
    assert!(acl.checks(), "another user exists");
    let bob = acl.authenticate(b"bob", b"pw").expect("bob logs in");
    assert_eq!(acl.user(bob).map(|u| u.name.as_slice()), Some(&b"bob"[..]));
    // All or nothing: a bad rule changes nothing.
    let err = acl
        .set_user(b"bob", &[b"off", b"+nosuch"])
        .expect_err("bad rule");
    assert_eq!(
        err,
        "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
    );
    assert!(acl.authenticate(b"bob", b"pw").is_some());
    let names: Vec<Vec<u8>> = {
        acl.set_user(b"alice", &[]).expect("alice");
        acl.users().map(|(_, u)| u.name.clone()).collect()
    };
    assert_eq!(
        names,
        [b"alice".to_vec(), b"bob".to_vec(), b"default".to_vec()]
    );
    assert_eq!(acl.delete_user(b"default"), None);
    assert_eq!(acl.delete_user(b"bob"), Some(bob));
    assert_eq!(acl.delete_user(b"bob"), None);
    acl.delete_user(b"alice");
    assert!(!acl.checks());
}

#[test]
fn file_round_trip_keeps_only_hashes() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    acl.set_user(b"bob", &[b"on", b">hunter2", b"~cache:*", b"+@read"])
        .expect("bob");
    acl.set_default_password(Some(&sha256::sha256(b"rootpw")));
    let text = acl.to_file_text();
    assert!(!text.contains("hunter2") && !text.contains("rootpw"));
    assert!(text.starts_with("user bob on #"));
    let mut other = Acl::new(crate::commands::table::acl_registry());
    let dropped = other.load_text(&text, "users.acl").expect("loads");
    assert!(dropped.is_empty());
    assert_eq!(other.to_file_text(), text);
    assert!(other.authenticate(b"bob", b"hunter2").is_some());
    assert!(other.authenticate(b"default", b"rootpw").is_some());
    assert!(other.auth_required(false));
}

#[test]
fn load_errors_change_nothing() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    acl.set_user(b"keep", &[b"on", b"nopass"]).expect("keep");
    let err = acl
        .load_text("user a on +nosuch\nfoo bar\nuser a on\n", "f.acl")
        .expect_err("bad file");
    assert_eq!(
        err,
        "f.acl:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. \
         f.acl:2 should start with user keyword followed by the username. \
         WARNING: Duplicate user 'a' found on line 3. \
         WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
    );
    assert!(acl.lookup(b"keep").is_some());
    assert!(acl.lookup(b"a").is_none());
}

#[test]
fn load_replaces_users_and_resets_a_missing_default() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    acl.set_default_password(Some(&sha256::sha256(b"pw")));
    acl.set_user(b"old", &[b"on"]).expect("old");
    let old = acl.lookup(b"old").expect("old id");
    let dropped = acl
        .load_text("\n  user new on nopass +@all ~*  \r\n", "f")
        .expect("loads");
    assert_eq!(dropped, [old]);
    assert!(acl.lookup(b"old").is_none());
    assert!(acl.authenticate(b"new", b"x").is_some());
    // No `default` line: the default user is back to `on nopass ~* &* +@all`.
    assert_eq!(acl.default_user().describe(), "on nopass ~* &* +@all");
}

#[test]
fn missing_file_error_reads_like_strerror() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    let err = acl
        .load_file("/nonexistent/rudis-test.acl")
        .expect_err("no file");
    assert_eq!(
        err,
        "Error loading ACLs, opening file '/nonexistent/rudis-test.acl': No such file or directory"
    );
}

#[test]
fn failed_auth_logging_does_not_panic_under_bursts() {
    let mut acl = Acl::new(crate::commands::table::acl_registry());
    for _ in 0..100 {
        acl.note_failed_auth(&[b'x'; 500], "127.0.0.1:1");
    }
    assert_eq!(acl.suppressed_auth_logs, 99);
}
