//! `client-output-buffer-limit` for every client (Redis's
//! `checkClientOutputBufferLimits` + `closeClientOnOutputBufferLimitReached`): after
//! the commands a client ran in a turn (at most 4 MB of replies and one more reply,
//! since reading stops at [`crate::config::OUTPUT_HIGH_WATER`]), a client whose pending
//! replies pass its class's hard limit, or its soft limit for longer than the soft
//! seconds, is closed without its replies.
//! Subscribers are also checked as messages are delivered (`runtime/pubsub.rs`).

use bytes::BytesMut;
use log::warn;

use super::conn::Conn;
use crate::runtime::ServerState;

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
    let Some(info) = state.clients.get_mut(token) else {
        return false;
    };
    let limits = &state.config.output_limits;
    // Classes as Redis's getClientType: subscribers are pubsub, the rest normal
    // (replicas would be the replica class).
    let limit = if info.pubsub.is_some() {
        limits.pubsub
    } else {
        limits.normal
    };
    let used = conn.wbuf.len();
    if !limit.exceeded(used, &mut conn.obuf_soft_since, now_ms.div_euclid(1000)) {
        return false;
    }
    warn!(
        "Client id={} addr={} name={} closed for overcoming of output buffer limits.",
        info.id,
        info.addr,
        String::from_utf8_lossy(&info.name)
    );
    conn.wbuf = BytesMut::new();
    info.close_after_reply = true;
    info.outbuf_len = 0;
    state.killed.push(token);
    state.stats.output_limit_disconnections += 1;
    true
}
