//! Blocking commands on one thread (BLPOP, BLMOVE, BZPOPMIN, ...).
//!
//! A handler that finds nothing to pop calls `Ctx::block`: the client is parked
//! (no thread, no polling) in a FIFO queue per key, with its deadline in a timer set,
//! and the server stops reading its requests. Every write, once the
//! command is done, reaches [`Blocking::signal`], which marks the key ready when somebody waits on it. After each
//! command the server calls `commands::blocked::serve`: for each ready key, the
//! clients waiting on it are taken longest-waiting first and their command is run again, now that there is
//! something to pop (Redis 7.2's way: one code path pops for blocked and non-blocked
//! callers alike). A run that still finds nothing leaves the client in its place.
//! Deadlines are met by [`expire_timeouts`], and the loop's poll timeout is never
//! later than [`Blocking::next_deadline`].

use std::collections::{BTreeSet, HashMap, VecDeque};

use bytes::BytesMut;

use super::ServerState;
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Reply};
use crate::store::{Key, Kind};

/// What a blocked client gets when its timeout passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// A null array (`*-1`; `_` in RESP3): BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZMPOP...
    NullArray,
    /// A null bulk string (`$-1`; `_` in RESP3): BLMOVE, BRPOPLPUSH.
    NullBulk,
}

/// Why a client is parked.
#[derive(Debug, Clone)]
pub struct BlockedOn {
    /// Database of the keys.
    pub db: usize,
    /// Keys waited on, in the command's order.
    pub keys: Vec<Key>,
    /// The kind of value that can serve it (a key of another kind does not wake it).
    pub kind: Kind,
    /// Absolute deadline in Unix ms; 0 waits forever.
    pub deadline: i64,
    /// The reply when the deadline passes.
    pub on_timeout: TimeoutReply,
    /// The command, run again when a key is ready.
    pub request: OwnedRequest,
}

/// The output buffers of connections, by token (the server's connections).
pub trait Outputs {
    /// The output buffer of client `token`, if it is still connected.
    fn output(&mut self, token: usize) -> Option<&mut BytesMut>;
}

/// Blocked clients: who waits on which key, which keys became ready, and deadlines.
#[derive(Debug, Default)]
pub struct Blocking {
    /// Tokens of clients waiting on `(db, key)`, longest-waiting first.
    waiting: HashMap<(usize, Key), VecDeque<usize>>,
    /// Keys written since the last `serve` that somebody waits on, in order.
    ready: Vec<(usize, Key)>,
    /// `(deadline, token)` of every blocked client with a timeout.
    deadlines: BTreeSet<(i64, usize)>,
    /// Clients to unblock by CLIENT UNBLOCK: `(token, with an error)`.
    unblock_requests: Vec<(usize, bool)>,
    /// Number of blocked clients.
    blocked: usize,
    /// Clients unblocked since the server last looked: it flushes their replies and
    /// resumes reading their requests.
    pub woken: Vec<usize>,
}

impl Blocking {
    /// Number of blocked clients (INFO's `blocked_clients`).
    pub fn blocked_clients(&self) -> usize {
        self.blocked
    }

    /// True when some client waits on a key.
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// True when `serve` has work to do.
    pub fn has_work(&self) -> bool {
        !self.ready.is_empty() || !self.unblock_requests.is_empty()
    }

    /// The earliest deadline (Unix ms) of a blocked client.
    pub fn next_deadline(&self) -> Option<i64> {
        self.deadlines.first().map(|&(at, _)| at)
    }

    /// Marks `key` of `db` ready if a client waits on it (cheap when none does).
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.waiting.is_empty() {
            return;
        }
        let id = (db, Key::from_slice(key));
        if self.waiting.contains_key(&id) && !self.ready.contains(&id) {
            self.ready.push(id);
        }
    }

    /// Marks every key of `db` that somebody waits on as ready (SWAPDB brought in new
    /// contents; Redis's `scanDatabaseForReadyKeys`): serving checks what is there.
    pub fn signal_db(&mut self, db: usize) {
        let keys: Vec<(usize, Key)> = self
            .waiting
            .keys()
            .filter(|(d, _)| *d == db)
            .cloned()
            .collect();
        for id in keys {
            if !self.ready.contains(&id) {
                self.ready.push(id);
            }
        }
    }

    /// Queues client `token` behind those waiting on `(db, key)`.
    pub fn wait(&mut self, db: usize, key: Key, token: usize) {
        self.waiting.entry((db, key)).or_default().push_back(token);
    }

    /// Counts client `token` as blocked, with its `deadline` (Unix ms, 0 = never).
    pub fn add_blocked(&mut self, token: usize, deadline: i64) {
        if deadline != 0 {
            self.deadlines.insert((deadline, token));
        }
        self.blocked += 1;
    }

    /// The longest-waiting client on `(db, key)`.
    pub fn first_waiting(&self, id: &(usize, Key)) -> Option<usize> {
        self.waiting.get(id).and_then(|q| q.front()).copied()
    }

    /// Every client waiting on `(db, key)`, longest-waiting first.
    pub fn waiting_on(&self, id: &(usize, Key)) -> Vec<usize> {
        self.waiting
            .get(id)
            .map(|q| q.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Takes the CLIENT UNBLOCK requests made since the last call.
    pub fn take_unblock_requests(&mut self) -> Vec<(usize, bool)> {
        std::mem::take(&mut self.unblock_requests)
    }

    /// The `n`th key marked ready since the last [`Blocking::clear_ready`].
    pub fn ready_at(&self, n: usize) -> Option<(usize, Key)> {
        self.ready.get(n).cloned()
    }

    /// Forgets the keys marked ready (all were served).
    pub fn clear_ready(&mut self) {
        self.ready.clear();
    }

    /// Asks for blocked client `token` to be unblocked (CLIENT UNBLOCK) after the
    /// command, with its timeout reply or, with `error`, an `-UNBLOCKED` error.
    pub fn request_unblock(&mut self, token: usize, error: bool) {
        self.unblock_requests.push((token, error));
    }
}

/// Parses a blocking command's timeout (seconds, fractions allowed) into an absolute
/// deadline in Unix ms, 0 for "forever".
/// # Errors
/// `ERR timeout is not a float or out of range`, `ERR timeout is negative`,
/// `ERR timeout is out of range`, as Redis.
pub fn parse_timeout(arg: &[u8], now: i64) -> Result<i64, CmdError> {
    let not_float = || CmdError::msg("ERR timeout is not a float or out of range");
    let text = std::str::from_utf8(arg).map_err(|_| not_float())?;
    if text.is_empty() || text.starts_with(|c: char| c.is_ascii_whitespace()) {
        return Err(not_float());
    }
    let seconds: f64 = text.parse().map_err(|_| not_float())?;
    if seconds.is_nan() {
        return Err(not_float());
    }
    let ms = (seconds * 1000.0).ceil();
    // Redis 7.0 converts to a C long long: `inf` and values past its range come out
    // negative.
    if ms < 0.0 || ms >= i64::MAX as f64 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    if ms == 0.0 {
        return Ok(0);
    }
    if ms >= (i64::MAX - now) as f64 {
        return Err(CmdError::msg("ERR timeout is out of range"));
    }
    Ok(now + ms as i64)
}

/// Writes the reply of a blocked command whose time ran out.
pub fn write_timeout(out: &mut Reply<'_>, on_timeout: TimeoutReply) {
    match on_timeout {
        TimeoutReply::NullArray => out.null_array(),
        TimeoutReply::NullBulk => out.null(),
    }
}

/// Removes client `token` from every wait queue and the timer; its state is gone.
/// Call when a blocked client is served, times out, or disconnects.
pub fn unblock(state: &mut ServerState, token: usize) {
    let Some(blocked) = state.clients.get_mut(token).and_then(|c| c.blocked.take()) else {
        return;
    };
    let blocking = &mut state.blocking;
    for key in blocked.keys {
        let id = (blocked.db, key);
        if let Some(queue) = blocking.waiting.get_mut(&id) {
            queue.retain(|&t| t != token);
            if queue.is_empty() {
                blocking.waiting.remove(&id);
            }
        }
    }
    if blocked.deadline != 0 {
        blocking.deadlines.remove(&(blocked.deadline, token));
    }
    blocking.blocked -= 1;
}

/// Replies to the blocked clients whose deadline has passed at `now` (Unix ms):
/// `now > deadline`, as Redis's `handleBlockedClientsTimeout`, since both are whole
/// milliseconds and `now == deadline` may still be short of the timeout.
pub fn expire_timeouts(state: &mut ServerState, now: i64, outputs: &mut dyn Outputs) {
    while let Some(&(at, token)) = state.blocking.deadlines.first() {
        if at >= now {
            return;
        }
        let on_timeout = state
            .clients
            .get(token)
            .and_then(|c| c.blocked.as_ref())
            .map(|b| b.on_timeout);
        state.blocking.deadlines.pop_first();
        let Some(on_timeout) = on_timeout else {
            continue;
        };
        if let Some(buf) = outputs.output(token) {
            write_timeout(&mut Reply::new(buf, state.clients[token].resp), on_timeout);
        }
        unblock(state, token);
        state.blocking.woken.push(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis() {
        assert_eq!(parse_timeout(b"0", 1000), Ok(0));
        assert_eq!(parse_timeout(b"1", 1000), Ok(2000));
        assert_eq!(parse_timeout(b"0.1", 1000), Ok(1100));
        assert_eq!(parse_timeout(b"0.0001", 1000), Ok(1001));
        let err = |text: &[u8]| parse_timeout(text, 0).map_err(|e| e.to_string());
        assert_eq!(err(b"-1"), Err("ERR timeout is negative".to_string()));
        for huge in [&b"inf"[..], b"-inf", b"1e300", b"99999999999999999999"] {
            assert_eq!(err(huge), Err("ERR timeout is negative".to_string()));
        }
        for bad in [&b"abc"[..], b"", b"nan", b" 1", b"1 "] {
            assert_eq!(
                err(bad),
                Err("ERR timeout is not a float or out of range".to_string()),
                "{bad:?}"
            );
        }
    }
}
