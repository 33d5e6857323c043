//! Helpers shared by the sorted set test files.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use rudis::protocol::Frame;

use crate::common::{Raw, bulk};

/// An array of bulk strings.
pub fn bulks(items: &[&str]) -> Frame {
    Frame::Array(items.iter().map(|s| bulk(s)).collect())
}

/// Sends `args` and checks the exact reply bytes.
pub fn expect_raw(c: &mut Raw, args: &[&str], want: &str) {
    c.send_cmd(args);
    let got = String::from_utf8(c.read_exact_bytes(want.len())).expect("utf8 reply");
    assert_eq!(got, want, "{args:?}");
}

/// Fills `key` with `members` (score, member) pairs through one ZADD.
pub fn zadd(c: &mut Raw, key: &str, pairs: &[(&str, &str)]) -> Frame {
    let mut args = vec!["ZADD", key];
    for (score, member) in pairs {
        args.push(score);
        args.push(member);
    }
    c.cmd(&args)
}

/// The value of `field` in INFO's text.
pub fn info_field(c: &mut Raw, section: &str, field: &str) -> Option<String> {
    let info = crate::common::text(&c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
}

/// Waits until INFO reports `n` blocked clients (bounded: fails after 10 s).
pub fn wait_blocked(c: &mut Raw, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = info_field(c, "clients", "blocked_clients");
        if now.as_deref() == Some(n.to_string().as_str()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "blocked_clients stayed {now:?}, wanted {n}"
        );
        std::thread::yield_now();
    }
}
