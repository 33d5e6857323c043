//! Periodic work (Redis's serverCron).

use super::*;

impl Server {
    /// Periodic work (Redis's serverCron), `hz` times a second.
    pub(super) fn cron(&mut self) {
        let start = Instant::now();
        self.clock = Clock::now();
        self.store.tick(store::now_ms());
        if self.state.config.maxmemory != 0 {
            crate::runtime::evict::perform(&mut self.store, &mut self.state, store::now_ms());
        }
        let deadline = start + CRON_EXPIRE_BUDGET;
        let now_ms = store::now_ms();
        if self.state.pause.is_on() && now_ms >= self.state.pause.end_ms {
            let crate::runtime::ServerState {
                pause, blocking, ..
            } = &mut self.state;
            pause.stop(&mut blocking.woken);
            self.store.set_expiry_paused(false);
            self.resume_woken();
        }
        // Nothing expires while clients are paused, nor on a replica (the store's
        // one rule, Store::expiry).
        if self.store.expiry() == store::Expiring::Delete {
            self.store.active_expire(now_ms, deadline);
            let done = Instant::now();
            self.expire_behind = done >= deadline;
            self.state.latency_event("expire-cycle", done - start);
        }
        self.state.take_fork_event();
        self.publish_store_events();
        if self.state.tracking.active() {
            tracking::enforce_limit(&mut self.state);
            let mut receivers = Receivers {
                conns: &mut self.conns,
                pending_write: &mut self.pending_write,
            };
            tracking::deliver(&mut self.state, &mut receivers);
        }
        if !self.pending_write.is_empty() {
            self.flush_pending();
        }
        self.store.free_some();
        self.store.rehash_step(CRON_REHASH_BUDGET);
        self.close_idle_clients();
        let repl = self.state.save_info();
        self.state
            .persistence
            .cron(&self.store, &self.state.config, repl);
        crate::runtime::propagate::rewrite_cron(&mut self.store, &mut self.state);
        self.replication_cron();
        if std::mem::take(&mut self.accept_pending) {
            self.accept_all();
        }
        let period = Duration::from_millis(1000 / self.state.config.hz.max(1) as u64);
        self.next_cron = start + period;
    }

    /// Before exiting; false when the server must go on. SHUTDOWN already saved; a
    /// signal saves when save points are configured and, if that save fails, does
    /// not exit (Redis's finishShutdown: "Error trying to save the DB, can't exit."):
    /// the server keeps serving and the next signal tries again. A
    /// [`ShutdownHandle`] (embedding, tests) saves likewise but exits anyway. A
    /// running background save is stopped either way.
    pub(super) fn persist_on_exit(&mut self, signal: Option<libc::c_int>) -> bool {
        let p = &mut self.state.persistence;
        if self.state.shutdown {
            p.kill_child(&self.state.config);
            p.kill_rewrite();
            return true;
        }
        if let Some(signal) = signal {
            warn!("Received {} scheduling shutdown...", signal::name(signal));
        }
        info!("User requested shutdown...");
        let force = self.stop.load(Ordering::SeqCst);
        let mode = crate::persistence::ShutdownSave::Default;
        let repl = self.state.save_info();
        let p = &mut self.state.persistence;
        if p.shutdown(&self.store, &self.state.config, mode, force, repl)
            .is_err()
        {
            warn!("Errors trying to shut down the server. Check the logs for more information.");
            return false;
        }
        true
    }

    /// Closes clients idle for longer than `timeout` seconds, subscribers excepted
    /// (Redis's clientsCronHandleTimeout).
    pub(super) fn close_idle_clients(&mut self) {
        let timeout = self.state.config.timeout;
        if timeout == 0 {
            return;
        }
        let now = self.clock.unix_ms(Instant::now());
        let limit = timeout.saturating_mul(1000).min(i64::MAX as u64) as i64;
        let idle: Vec<usize> = self
            .state
            .clients
            .iter()
            // Subscribers only listen: never idle, as in Redis.
            .filter(|(_, c)| c.pubsub.is_none() && now - c.last_interaction_ms > limit)
            .map(|(token, _)| token)
            .collect();
        for token in idle {
            debug!("closing idle client {}", self.state.clients[token].id);
            self.close(token);
        }
    }
}
