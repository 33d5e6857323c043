//! The ACL file (`--aclfile`): one `user <name> <rules...>` line per user, as ACL LIST
//! shows them. Passwords appear only as `#<sha256>` (a hand-written `>password` is
//! accepted and hashed on load).

use std::io::Write;

use super::category::Registry;
use super::user::{RuleError, User, has_spaces, merge_selector_args};

/// Parses an ACL file's `text` into users (Redis's `ACLLoadFromFile`); `path` names
/// the file in the errors; `channels_default` is `acl-pubsub-default allchannels`.
/// All or nothing: one bad line fails the whole file.
pub fn parse(
    text: &str,
    path: &str,
    registry: &'static Registry,
    channels_default: bool,
) -> Result<Vec<User>, String> {
    let mut errors = String::new();
    let mut users: Vec<User> = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let linenum = i + 1;
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() {
            continue;
        }
        let argv: Vec<&str> = line.split(' ').collect();
        if argv[0] != "user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1];
        if has_spaces(name.as_bytes()) {
            errors.push_str(&format!(
                "'{path}:{linenum}: username '{name}' contains invalid characters. "
            ));
            continue;
        }
        if users.iter().any(|u| u.name == name.as_bytes()) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{name}' found on line {linenum}. "
            ));
            continue;
        }
        let mut user = User::new(name.as_bytes(), registry).channels_default(channels_default);
        let rules: Vec<&[u8]> = argv[2..].iter().map(|r| r.as_bytes()).collect();
        let Ok(rules) = merge_selector_args(&rules) else {
            errors.push_str(&format!(
                "{path}:{linenum}: Unmatched parenthesis in selector definition."
            ));
            continue;
        };
        let mut syntax_error = false;
        for rule in &rules {
            let rule = String::from_utf8_lossy(rule);
            let rule = rule.trim_matches(['\t', '\r', '\n']);
            match user.apply(rule.as_bytes()) {
                Ok(()) => {}
                Err(e @ RuleError::Unknown) => errors.push_str(&format!(
                    "{path}:{linenum}: Error in applying operation '{rule}': {e}. "
                )),
                // Only the first other error of a line: it may explain the next ones.
                Err(e) if !syntax_error => {
                    errors.push_str(&format!("{path}:{linenum}: {e}. "));
                    syntax_error = true;
                }
                Err(_) => {}
            }
        }
        users.push(user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        Err(errors)
    }
}

/// The file text for `users`.
pub fn render<'a>(users: impl Iterator<Item = &'a User>) -> String {
    let mut text = String::new();
    for u in users {
        text.push_str("user ");
        text.push_str(&String::from_utf8_lossy(&u.name));
        text.push(' ');
        text.push_str(&u.describe());
        text.push('\n');
    }
    text
}

/// Writes `data` to `path` through `<path>.tmp-<pid>-<ms>` and a rename (Redis's
/// `ACLSaveToFile`); the temporary file is removed on failure.
pub fn write_atomically(path: &str, data: &[u8]) -> std::io::Result<()> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let tmp = format!("{path}.tmp-{}-{ms}", std::process::id());
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(data).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// An I/O error as C's `strerror` words it (without Rust's ` (os error N)` suffix).
pub fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}
