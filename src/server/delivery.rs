//! Getting replies and messages out: the per-turn flush, pub/sub delivery, and
//! clients woken from a blocking command.

use super::*;

impl Server {
    /// Flushes every connection with replies or messages written this turn.
    pub(super) fn flush_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending_write);
        for token in pending {
            let Some(conn) = self.conns.get_mut(token) else {
                continue;
            };
            conn.pending_write = false;
            match self.flush(token) {
                Some(FlushOutcome::Done) => {
                    let input_waiting = self.conns.get(token).is_some_and(|c| !c.rbuf.is_empty());
                    if self.state.clients[token].close_after_reply {
                        self.close(token);
                    } else if input_waiting {
                        // Input may have waited on the output backlog.
                        self.enqueue(token);
                    }
                }
                Some(FlushOutcome::BudgetSpent) => self.enqueue(token),
                Some(FlushOutcome::Blocked) | None => {}
            }
        }
    }

    /// Publishes the keyspace events the store recorded outside commands (keys the
    /// expiry cycle removed) and delivers them; the receivers join the pending writes.
    pub(super) fn publish_store_events(&mut self) {
        if !self.store.has_events() {
            return;
        }
        self.state.tracking.writer = None;
        notify::publish_store_events(&mut self.state, &mut self.store, None);
        if self.state.tracking.active() && self.state.tracking.has_outbox() {
            let mut receivers = Receivers {
                conns: &mut self.conns,
                pending_write: &mut self.pending_write,
            };
            crate::runtime::tracking::deliver(&mut self.state, &mut receivers);
        }
        if self.state.pubsub.has_outbox() {
            let now = self.clock.unix_ms(Instant::now());
            let mut receivers = Receivers {
                conns: &mut self.conns,
                pending_write: &mut self.pending_write,
            };
            pubsub::deliver(&mut self.state, &mut receivers, now);
        }
    }

    /// Clients just unblocked: their replies go out this turn, and their requests
    /// that waited in the buffer run.
    pub(super) fn resume_woken(&mut self) {
        for token in std::mem::take(&mut self.state.blocking.woken) {
            let Some(conn) = self.conns.get_mut(token) else {
                continue;
            };
            if !conn.pending_write {
                conn.pending_write = true;
                self.pending_write.push(token);
            }
            self.enqueue(token);
        }
    }
}

/// The connections as seen by pub/sub delivery: a receiver's buffer, with the
/// receiver put on the pending-write list so it is flushed this turn.
pub(super) struct Receivers<'a> {
    pub(super) conns: &'a mut Slab<Conn>,
    pub(super) pending_write: &'a mut Vec<usize>,
}

impl Outputs for Receivers<'_> {
    fn output(&mut self, token: usize) -> Option<&mut bytes::BytesMut> {
        let conn = self.conns.get_mut(token).filter(|c| !c.closing)?;
        if !conn.pending_write {
            conn.pending_write = true;
            self.pending_write.push(token);
        }
        Some(&mut conn.wbuf)
    }
}

impl Outputs for Slab<Conn> {
    fn output(&mut self, token: usize) -> Option<&mut bytes::BytesMut> {
        self.get_mut(token)
            .filter(|c| !c.closing)
            .map(|c| &mut c.wbuf)
    }
}
