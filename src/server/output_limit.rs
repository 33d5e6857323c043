//! `client-output-buffer-limit` for every client (Redis's
//! `checkClientOutputBufferLimits` + `closeClientOnOutputBufferLimitReached`):
//!
//! - while a command writes its reply: the reply writer refuses to take the output
//!   buffer to the client's hard limit ([`reply_limit`]), and the client is closed at
//!   once ([`close_over_limit`]), so a single command building a huge reply (MGET of
//!   big values, LRANGE of a huge list) never holds more than the limit;
//! - after the commands a client ran in a turn ([`enforce`]): a client whose pending
//!   replies pass its class's hard limit, or its soft limit for longer than the soft
//!   seconds, is closed without its replies;
//! - replicas, each turn of `replication.rs` ([`Server::enforce_replica_limits`], the
//!   `replica` class), counting the stream held for them during a full sync;
//! - subscribers also as messages are delivered (`runtime/pubsub.rs`).

use bytes::BytesMut;
use log::warn;

use super::Server;
use super::conn::Conn;
use crate::config::OutputLimit;
use crate::replication::ReplicaState;
use crate::runtime::{ClientInfo, ServerState};

/// The hard limit a reply of client `info` must stay under while it is written (0:
/// none): its class's, Redis's `getClientType` (subscribers are `pubsub`, replicas
/// are checked apart, the rest `normal`).
#[inline(always)]
pub(super) fn reply_limit(state: &ServerState, info: &ClientInfo) -> usize {
    let limits = &state.config.output_limits;
    if info.pubsub.is_none() {
        limits.normal.hard
    } else {
        limits.pubsub.hard
    }
}

/// The limits of client `info`'s class (Redis's `getClientType`; a master counts as
/// normal).
pub(super) fn class_limit(state: &ServerState, info: &ClientInfo) -> OutputLimit {
    let limits = &state.config.output_limits;
    if info.replica {
        limits.replica
    } else if info.pubsub.is_some() {
        limits.pubsub
    } else {
        limits.normal
    }
}

/// Closes the client at `token` if its output buffer is over its class's limit;
/// true when it did. `now_ms` is called only for a buffer near a limit: the common
/// case costs a few comparisons.
#[inline]
pub(super) fn enforce(
    conn: &mut Conn,
    state: &mut ServerState,
    token: usize,
    now_ms: impl FnOnce() -> i64,
) -> bool {
    let l = &state.config.output_limits;
    let floor = [l.normal.hard, l.normal.soft, l.pubsub.hard, l.pubsub.soft]
        .into_iter()
        .filter(|&n| n != 0)
        .min()
        .unwrap_or(usize::MAX);
    if conn.wbuf.len() < floor && conn.obuf_soft_since == 0 {
        return false;
    }
    check(conn, state, token, now_ms())
}

/// [`enforce`] for a buffer at or over some limit, or with a soft limit running.
#[cold]
#[inline(never)]
fn check(conn: &mut Conn, state: &mut ServerState, token: usize, now_ms: i64) -> bool {
    let Some(info) = state.clients.get(token) else {
        return false;
    };
    if info.replica {
        // The replica class is checked each turn with the stream held for it.
        return false;
    }
    let limit = class_limit(state, info);
    let used = conn.wbuf.len();
    if !limit.exceeded(used, &mut conn.obuf_soft_since, now_ms.div_euclid(1000)) {
        return false;
    }
    close_client(conn, state, token, "closed");
    true
}

impl Server {
    /// The `replica` class (Redis's `closeClientOnOutputBufferLimitReached` as the
    /// replication stream is fed): a replica whose stream not yet taken passes the
    /// hard limit, or stays over the soft limit for longer than its seconds, is closed
    /// (it will ask for a sync again). A replica's usage is the stream held for it
    /// during a full sync plus, once online, its unsent output (Redis's
    /// `getClientOutputBufferMemoryUsage` for a replica: the replication buffer it
    /// references); snapshot bytes on their way do not count, as in Redis.
    pub(super) fn enforce_replica_limits(&mut self) {
        let limit = self.state.config.output_limits.replica;
        if limit.hard == 0 && limit.soft == 0 {
            return;
        }
        let mut now_s = None;
        let mut over = Vec::new();
        for (&token, r) in &self.state.repl.replicas {
            let Some(conn) = self.conns.get_mut(token).filter(|c| !c.closing) else {
                continue;
            };
            let queued = if r.state == ReplicaState::Online {
                conn.wbuf.len()
            } else {
                0
            };
            let used = r.out.len() + queued;
            if used == 0 && conn.obuf_soft_since == 0 {
                continue;
            }
            let now_s = *now_s.get_or_insert_with(|| crate::store::now_ms().div_euclid(1000));
            if limit.exceeded(used, &mut conn.obuf_soft_since, now_s) {
                over.push((token, used, conn.wbuf.capacity()));
            }
        }
        for (token, used, cap) in over {
            if let Some(info) = self.state.clients.get_mut(token) {
                info.outbuf_len = used;
                info.outbuf_cap = cap;
            }
            // Redis frees a replica asynchronously, so its words are these.
            log_over_limit(&self.state, token, "scheduled to be closed ASAP");
            self.state.stats.output_limit_disconnections += 1;
            self.close(token);
        }
    }
}

/// A reply refused by the hard limit while it was written: the client is closed
/// without its replies (Redis's asynchronous close, "scheduled to be closed ASAP").
#[cold]
#[inline(never)]
pub(super) fn close_over_limit(conn: &mut Conn, state: &mut ServerState, token: usize) {
    close_client(conn, state, token, "scheduled to be closed ASAP");
}

/// Logs as Redis does (with the client's CLIENT LIST line), drops the pending output
/// and marks the client to be freed at the end of the turn.
fn close_client(conn: &mut Conn, state: &mut ServerState, token: usize, how: &str) {
    if state.killed.contains(&token) {
        // Already closed this turn.
        return;
    }
    let Some(info) = state.clients.get_mut(token) else {
        return;
    };
    info.outbuf_len = conn.wbuf.len();
    info.outbuf_cap = conn.wbuf.capacity();
    log_over_limit(state, token, how);
    conn.wbuf = BytesMut::new();
    let info = &mut state.clients[token];
    info.close_after_reply = true;
    info.outbuf_len = 0;
    info.outbuf_cap = 0;
    state.killed.push(token);
    state.stats.output_limit_disconnections += 1;
}

/// Redis's warning for a client closed for its output buffer:
/// `Client <CLIENT LIST line> <how> for overcoming of output buffer limits.`
pub(super) fn log_over_limit(state: &ServerState, token: usize, how: &str) {
    let Some(info) = state.clients.get(token) else {
        return;
    };
    let user = state.acl.user(info.user).map_or(&[][..], |u| &u.name[..]);
    let line =
        crate::commands::connection::client::client_line(token, info, user, crate::store::now_ms());
    warn!("Client {line} {how} for overcoming of output buffer limits.");
}
