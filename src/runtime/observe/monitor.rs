//! MONITOR (Redis's `replicationFeedMonitors`): every command run is shown to the
//! clients in monitor mode as `+<unix time.µs> [<db> <addr>] "arg" "arg"...`.
//!
//! Lines are formatted once into an outbox while the command runs and appended to
//! every monitor's output buffer after it (as pub/sub messages are). A monitor that
//! does not read is closed once its pending output passes [`MAX_PENDING`] (or the
//! `normal` class hard limit when lower), so it never makes the server hold
//! unbounded memory for it.

use log::warn;

use crate::runtime::ServerState;
use crate::runtime::blocking::Outputs;

/// Most output a monitor may have waiting before it is closed: a few seconds of a
/// busy server's commands, far below what would hurt the other clients.
pub const MAX_PENDING: usize = 64 * 1024 * 1024;

/// The monitors and what waits for them.
#[derive(Debug, Default)]
pub struct Monitors {
    /// Tokens of the clients in monitor mode, in the order they asked.
    pub tokens: Vec<usize>,
    /// Lines to append to every monitor's output.
    outbox: Vec<u8>,
}

impl Monitors {
    /// True when no client monitors (the hot path's one check).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// True when lines wait for [`deliver`].
    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Stops feeding client `token` (it closed or was reset).
    pub fn remove(&mut self, token: usize) {
        self.tokens.retain(|&t| t != token);
    }

    /// Queues the line for one command: `who` is the client's address, or `lua` for
    /// a script's commands.
    pub fn feed(&mut self, db: usize, who: &str, args: &[&[u8]]) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let out = &mut self.outbox;
        out.extend_from_slice(
            format!(
                "+{}.{:06} [{db} {who}] ",
                now.as_secs(),
                now.subsec_micros()
            )
            .as_bytes(),
        );
        for (j, arg) in args.iter().enumerate() {
            if j > 0 {
                out.push(b' ');
            }
            cat_repr(out, arg);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `s` quoted and escaped as Redis's `sdscatrepr` does.
pub fn cat_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// Appends the queued lines to every monitor's output; closes a monitor whose
/// pending output passed its bound.
pub fn deliver(state: &mut ServerState, outputs: &mut dyn Outputs) {
    let outbox = std::mem::take(&mut state.observe.monitors.outbox);
    let limit = match state.config.output_limits.normal.hard {
        0 => MAX_PENDING,
        hard => hard.min(MAX_PENDING),
    };
    let mut dropped = Vec::new();
    for &token in &state.observe.monitors.tokens {
        let Some(buf) = outputs.output(token) else {
            continue;
        };
        buf.extend_from_slice(&outbox);
        if buf.len() > limit {
            *buf = bytes::BytesMut::new();
            dropped.push(token);
        }
    }
    for token in dropped {
        state.observe.monitors.remove(token);
        state.killed.push(token);
        state.stats.output_limit_disconnections += 1;
        if let Some(c) = state.clients.get(token) {
            warn!(
                "Client id={} addr={} closed for overcoming of output buffer limits.",
                c.id, c.addr
            );
        }
    }
    // Keep the allocation for the next command.
    let mut outbox = outbox;
    outbox.clear();
    if state.observe.monitors.outbox.is_empty() {
        state.observe.monitors.outbox = outbox;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_sdscatrepr() {
        let mut out = Vec::new();
        cat_repr(&mut out, b"a \"b\"\\\n\x01\xff");
        assert_eq!(out, b"\"a \\\"b\\\"\\\\\\n\\x01\\xff\"");
    }

    #[test]
    fn lines_have_time_db_and_client() {
        let mut m = Monitors::default();
        m.feed(3, "127.0.0.1:5", &[b"set", b"k v"]);
        let line = String::from_utf8(m.outbox.clone()).unwrap();
        assert!(line.starts_with('+'));
        assert!(
            line.ends_with(" [3 127.0.0.1:5] \"set\" \"k v\"\r\n"),
            "{line}"
        );
    }
}
