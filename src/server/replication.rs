//! The master side of replication (Redis's `replication.c`, master half): the stream
//! fed to the backlog and to every replica, full syncs from a forked child that writes
//! the snapshot into a socket pair which the loop reads in chunks and copies to the
//! replicas' sockets (never blocking the loop, never holding the whole snapshot:
//! the child waits while the replicas' output is above [`TRANSFER_HIGH_WATER`]),
//! PINGs, WAIT's answers, and `min-replicas-to-write`.
//!
//! Framing: a replica that announced `capa eof` gets `$EOF:<40 chars>\r\n`, the
//! snapshot and the 40 chars (diskless); any other (SYNC, or `repl-diskless-sync no`)
//! gets `$<len>\r\n` and the snapshot, which the loop first spools into a file in
//! `dir` (the length must be known first).
//!
//! A child writing Redis's RDB (for a real Redis replica) turns documents into their
//! RESP bytes in a string; it reports how many up a pipe, and the loop logs one
//! warning per full sync with that number.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::PathBuf;

use bytes::BytesMut;
use log::{info, warn};

use super::*;
use crate::config::SnapshotFormat;
use crate::persistence::ReplInfo;
use crate::replication::{ReplicaState, new_replid};

/// The token of the socket the snapshot child writes into.
pub(super) const TRANSFER: Token = Token(usize::MAX - 2);
/// A replica's output above which the snapshot is not read further (backpressure on
/// the child): the loop holds at most this much of a snapshot per replica.
const TRANSFER_HIGH_WATER: usize = 1024 * 1024;
/// Snapshot bytes read per loop turn: other clients are served between chunks.
const TRANSFER_TURN_BUDGET: usize = 4 * SCRATCH_LEN;
/// A replica's held stream longer than this goes to its connection a chunk at a
/// time, moved rather than copied (the turn's writes, below it, are copied: that
/// keeps the buffers' allocations for reuse).
const HANDOVER_MIN: usize = 64 * 1024;
/// The ping the master sends its replicas.
const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";
/// The master's request for acknowledgements (WAIT).
const GETACK: &[u8] = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

/// A full sync in progress: the child writing the snapshot, and the replicas served.
#[derive(Debug)]
pub(super) struct Transfer {
    pid: libc::pid_t,
    source: mio::net::UnixStream,
    /// Replicas reading the snapshot as it comes (`capa eof`).
    streamed: Vec<usize>,
    /// Replicas that get it from the spool file once complete (`$<len>`).
    spooled: Vec<usize>,
    /// The spool file (only with spooled replicas).
    spool: Option<(File, PathBuf)>,
    mark: [u8; 40],
    started: Instant,
    bytes: u64,
    /// Where the child writes, when it is done, the number of documents it wrote
    /// as strings (the RDB format has no document type).
    report: File,
}

/// A spooled snapshot being sent to one replica.
#[derive(Debug)]
pub(super) struct FileSend {
    token: usize,
    file: File,
    left: u64,
    path: std::rc::Rc<PathBuf>,
}

/// The server's replication I/O state.
#[derive(Debug, Default)]
pub(super) struct ReplIo {
    pub(super) transfer: Option<Transfer>,
    pub(super) file_sends: Vec<FileSend>,
    /// The replica side's link I/O.
    pub(super) link: super::replica::LinkIo,
    /// The second in which waiting replicas last got a keepalive newline.
    pub(super) newline_sec: i64,
}

impl Server {
    /// Appends output for connection `token` and schedules its flush.
    pub(super) fn push_output(&mut self, token: usize, bytes: &[u8]) {
        let Some(conn) = self.conns.get_mut(token).filter(|c| !c.closing) else {
            return;
        };
        conn.wbuf.extend_from_slice(bytes);
        if !conn.pending_write {
            conn.pending_write = true;
            self.pending_write.push(token);
        }
    }

    /// Feeds the turn's propagated commands to the backlog and the replicas (a master
    /// only: a replica passes on its master's bytes instead), before the AOF takes
    /// them.
    pub(super) fn feed_replication(&mut self) {
        feed_replication(&mut self.store, &mut self.state);
    }

    /// The replication part of `before_sleep`: starts a due full sync, moves snapshot
    /// bytes, hands the stream to online replicas, answers WAIT.
    pub(super) fn replication_turn(&mut self) {
        let repl = &mut self.state.repl;
        if std::mem::take(&mut repl.getack_wanted) && repl.backlog.is_some() {
            repl.feed(GETACK);
        }
        if self.state.repl.replicas.is_empty()
            && self.repl_io.transfer.is_none()
            && self.repl_io.file_sends.is_empty()
        {
            if !self.state.repl.waiters.is_empty() {
                self.serve_waiters();
            }
            return;
        }
        self.start_full_sync();
        self.pump_transfer();
        self.pump_file_sends();
        let tokens: Vec<usize> = self.state.repl.replicas.keys().copied().collect();
        for token in tokens {
            let Some(r) = self.state.repl.replicas.get_mut(&token) else {
                continue;
            };
            if r.out.is_empty() {
                continue;
            }
            if r.state == ReplicaState::Online {
                self.hand_over(token);
            }
        }
        self.enforce_replica_limits();
        if !self.state.repl.waiters.is_empty() {
            self.serve_waiters();
        }
    }

    /// Hands an online replica's held stream to its connection. A little (the
    /// turn's writes) is copied; more (what a full sync held back: tens of MB under
    /// write load) goes a chunk at a time, each moved in as the output buffer once
    /// that is empty, so no turn copies or first-touches more than a chunk.
    fn hand_over(&mut self, token: usize) {
        let Some(r) = self.state.repl.replicas.get_mut(&token) else {
            return;
        };
        let Some(conn) = self.conns.get_mut(token).filter(|c| !c.closing) else {
            return;
        };
        if r.out.chunks() <= 1 && r.out.len() <= HANDOVER_MIN {
            for slice in r.out.slices() {
                conn.wbuf.extend_from_slice(slice);
            }
            r.out.clear();
        } else if conn.wbuf.is_empty()
            && let Some(chunk) = r.out.pop_front()
        {
            conn.wbuf = BytesMut::from(bytes::Bytes::from(chunk));
        } else {
            // Comes back once the connection has written what it holds.
            return;
        }
        if !conn.pending_write {
            conn.pending_write = true;
            self.pending_write.push(token);
        }
    }

    /// True when an online replica has written all its output and has more held:
    /// the loop must not sleep (no event would wake it for that).
    pub(super) fn hand_over_pending(&self) -> bool {
        self.state.repl.replicas.iter().any(|(t, r)| {
            r.state == ReplicaState::Online
                && !r.out.is_empty()
                && self
                    .conns
                    .get(*t)
                    .is_some_and(|c| c.wbuf.is_empty() && !c.closing)
        })
    }

    /// Answers the WAIT clients whose replicas acknowledged, or whose time is up.
    fn serve_waiters(&mut self) {
        // The clock the deadline was set with (the command's `now`).
        let now = self.clock.unix_ms(std::time::Instant::now());
        let waiters = std::mem::take(&mut self.state.repl.waiters);
        for w in waiters {
            let acked = self.state.repl.acked(w.offset);
            // Past the deadline, as Redis's checkBlockedClientTimeout: both are
            // whole milliseconds, so `now == deadline` may still be short of it.
            let timed_out = w.deadline != 0 && now > w.deadline;
            if acked < w.replicas && !timed_out && !self.state.repl.is_replica() {
                self.state.repl.waiters.push(w);
                continue;
            }
            let resp = self.state.clients.get(w.token).map(|c| c.resp);
            if let (Some(resp), Some(conn)) = (resp, self.conns.get_mut(w.token)) {
                Reply::new(&mut conn.wbuf, resp).int(acked as i64);
            }
            blocking::unblock(&mut self.state, w.token);
            self.state.blocking.woken.push(w.token);
        }
        self.resume_woken();
    }

    /// The earliest WAIT deadline (Unix ms).
    pub(super) fn wait_deadline(&self) -> Option<i64> {
        self.state
            .repl
            .waiters
            .iter()
            .filter(|w| w.deadline != 0)
            .map(|w| w.deadline)
            .min()
    }

    /// Starts a full sync for the replicas waiting for one, once
    /// `repl-diskless-sync-delay` passed since the first asked and no child runs
    /// (Redis's `startBgsaveForReplication`, from `replicationCron`).
    fn start_full_sync(&mut self) {
        if self.repl_io.transfer.is_some() || self.state.persistence.child_active() {
            return;
        }
        let waiting: Vec<(usize, bool, bool, i64)> = self
            .state
            .repl
            .replicas
            .iter()
            .filter(|(_, r)| r.state == ReplicaState::WaitBgsave)
            .map(|(t, r)| (*t, r.capa_rudis, r.capa_eof, r.since_ms))
            .collect();
        let Some(oldest) = waiting.iter().map(|w| w.3).min() else {
            return;
        };
        let config = &self.state.config.repl;
        let now = store::now_ms();
        if config.diskless_sync && now - oldest < config.diskless_sync_delay as i64 * 1000 {
            return;
        }
        // One snapshot format per child: the rest wait for the next one.
        let rudis = waiting[0].1;
        let targets: Vec<(usize, bool)> = waiting
            .iter()
            .filter(|w| w.1 == rudis)
            .map(|w| (w.0, w.2 && config.diskless_sync))
            .collect();
        let fmt = if rudis {
            SnapshotFormat::Rudis
        } else {
            SnapshotFormat::Redis
        };
        if let Err(e) = self.fork_transfer(fmt, targets) {
            warn!("Can't start the replication snapshot: {e}");
        }
    }

    fn fork_transfer(
        &mut self,
        fmt: SnapshotFormat,
        targets: Vec<(usize, bool)>,
    ) -> io::Result<()> {
        let (parent, child) = std::os::unix::net::UnixStream::pair()?;
        let spooled: Vec<usize> = targets.iter().filter(|t| !t.1).map(|t| t.0).collect();
        let spool = if spooled.is_empty() {
            None
        } else {
            let path = self
                .state
                .config
                .dir
                .join(format!("temp-repl-{}.rdb", std::process::id()));
            Some((
                File::options()
                    .create(true)
                    .truncate(true)
                    .read(true)
                    .write(true)
                    .open(&path)?,
                path,
            ))
        };
        // The snapshot carries the position +FULLRESYNC announces (Redis's
        // rdbPopulateSaveInfo): a replica that keeps it as its dump file restarts from
        // there with a partial resync.
        let db = self.state.save_info().map_or(0, |i| i.stream_db);
        let position = ReplInfo::new(&self.state.repl.replid, self.state.repl.offset, db);
        // The stream made so far is in the snapshot: what follows starts with SELECT.
        self.state.propagation.reset_selected();
        // SAFETY: as Persistence::bgsave: the child closes every inherited descriptor
        // but its socket, only writes the snapshot from its copy of the memory, and
        // leaves with `_exit`.
        // The child reports on it how many documents it wrote as strings (it cannot
        // log: another thread may have held the logger's lock at the fork).
        let (report_rx, report_tx) = crate::persistence::reason_pipe()?;
        let forked = Instant::now();
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let [fd, report] = crate::persistence::close_inherited_fds_but([
                child.as_raw_fd(),
                report_tx.as_raw_fd(),
            ]);
            // SAFETY: descriptor `fd` is the child's socket, owned by nobody else now.
            let file = unsafe { File::from_raw_fd(fd) };
            let out = io::BufWriter::with_capacity(SCRATCH_LEN, file);
            let now = store::now_ms();
            let written = match fmt {
                SnapshotFormat::Rudis => crate::persistence::format::write_store(
                    &self.store,
                    out,
                    now,
                    position.as_ref(),
                )
                .map(|(w, _)| (w, 0)),
                SnapshotFormat::Redis => {
                    crate::persistence::rdb::write_store(&self.store, out, now, position.as_ref())
                        .map(|(w, stats)| (w, stats.docs))
                }
            };
            let code = match written.and_then(|(mut w, docs)| w.flush().map(|()| docs)) {
                Ok(docs) => {
                    let text = docs.to_string();
                    // SAFETY: writes our own buffer to our own pipe; a short or failed
                    // write only loses the count.
                    unsafe { libc::write(report, text.as_ptr().cast(), text.len()) };
                    0
                }
                Err(_) => 1,
            };
            // SAFETY: ends the child without unwinding or running destructors.
            unsafe { libc::_exit(code) }
        }
        if pid == -1 {
            return Err(io::Error::last_os_error());
        }
        let fork_took = forked.elapsed();
        let fork_us = fork_took.as_micros();
        // INFO's latest_fork_usec and LATENCY's `fork` event count this fork too.
        crate::runtime::observe::note_fork(fork_took);
        drop(child);
        drop(report_tx);
        parent.set_nonblocking(true)?;
        let mut source = mio::net::UnixStream::from_std(parent);
        self.poll
            .registry()
            .register(&mut source, TRANSFER, Interest::READABLE)?;
        let mut mark = [0u8; 40];
        mark.copy_from_slice(new_replid().as_bytes());
        let (replid, offset) = (self.state.repl.replid.clone(), self.state.repl.offset);
        let mut streamed = Vec::new();
        for &(token, eof) in &targets {
            let psync2 = match self.state.repl.replicas.get_mut(&token) {
                Some(r) => {
                    r.state = ReplicaState::Transfer;
                    r.out.clear();
                    r.capa_psync2 || r.capa_eof
                }
                None => continue,
            };
            let sync_only = !psync2 && !eof;
            if !sync_only {
                self.push_output(
                    token,
                    format!("+FULLRESYNC {replid} {offset}\r\n").as_bytes(),
                );
            }
            if eof {
                let mut head = b"$EOF:".to_vec();
                head.extend_from_slice(&mark);
                head.extend_from_slice(b"\r\n");
                self.push_output(token, &head);
                streamed.push(token);
            }
        }
        info!(
            "Starting BGSAVE for SYNC with target: {} (pid {pid}, fork {} us, {} format, {} replica(s))",
            if spool.is_some() {
                "disk"
            } else {
                "replicas sockets"
            },
            fork_us,
            crate::persistence::format_label(fmt).trim_end_matches(" format"),
            targets.len()
        );
        self.repl_io.transfer = Some(Transfer {
            pid,
            source,
            streamed,
            spooled,
            spool,
            mark,
            started: Instant::now(),
            bytes: 0,
            report: File::from(report_rx),
        });
        Ok(())
    }

    /// Moves snapshot bytes from the child to the replicas, while their output is
    /// below the high-water mark.
    fn pump_transfer(&mut self) {
        let mut read = 0;
        loop {
            let Some(t) = self.repl_io.transfer.as_mut() else {
                return;
            };
            t.streamed
                .retain(|tok| self.conns.get(*tok).is_some_and(|c| !c.closing));
            t.spooled
                .retain(|tok| self.conns.get(*tok).is_some_and(|c| !c.closing));
            if t.streamed.is_empty() && t.spooled.is_empty() {
                warn!("Replication snapshot aborted: no replica left");
                self.end_transfer(false);
                return;
            }
            let full = t.streamed.iter().any(|tok| {
                self.conns
                    .get(*tok)
                    .is_some_and(|c| c.wbuf.len() >= TRANSFER_HIGH_WATER)
            });
            if full || read >= TRANSFER_TURN_BUDGET {
                return;
            }
            match t.source.read(&mut self.scratch) {
                Ok(0) => {
                    self.end_transfer(true);
                    return;
                }
                Ok(n) => {
                    read += n;
                    t.bytes += n as u64;
                    let mut failed = None;
                    if let Some((file, _)) = t.spool.as_mut()
                        && let Err(e) = file.write_all(&self.scratch[..n])
                    {
                        failed = Some(e);
                    }
                    let streamed = t.streamed.clone();
                    for tok in streamed {
                        if let Some(conn) = self.conns.get_mut(tok) {
                            conn.wbuf.extend_from_slice(&self.scratch[..n]);
                            if !conn.pending_write {
                                conn.pending_write = true;
                                self.pending_write.push(tok);
                            }
                        }
                    }
                    if let Some(e) = failed {
                        warn!("Can't write the replication spool file: {e}");
                        self.end_transfer(false);
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    warn!("Can't read the replication snapshot: {e}");
                    self.end_transfer(false);
                    return;
                }
            }
        }
    }

    /// The child finished (`ok`: its socket reached its end) or the sync is given up.
    fn end_transfer(&mut self, ok: bool) {
        let Some(mut t) = self.repl_io.transfer.take() else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut t.source);
        let mut status = 0;
        // SAFETY: our own child; at the end of its socket it is exiting.
        unsafe {
            if !ok {
                libc::kill(t.pid, libc::SIGUSR1);
            }
            libc::waitpid(t.pid, &mut status, 0);
        }
        let ok = ok && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
        if !ok {
            warn!("Replication snapshot child failed");
            for tok in t.streamed.iter().chain(&t.spooled) {
                self.close(*tok);
            }
            if let Some((_, path)) = t.spool {
                let _ = std::fs::remove_file(path);
            }
            return;
        }
        info!(
            "Replication snapshot of {} bytes done in {:.3} s",
            t.bytes,
            t.started.elapsed().as_secs_f64()
        );
        // The child has exited: its end of the pipe is closed, the read ends.
        let mut count = String::new();
        let _ = (&mut t.report).take(20).read_to_string(&mut count);
        let docs: u64 = count.trim().parse().unwrap_or(0);
        if docs > 0 {
            let replicas = t.streamed.len() + t.spooled.len();
            warn!(
                "{docs} document value(s) sent to {replicas} replica(s) as strings (their RESP \
                 bytes) in the RDB snapshot of this full sync: the Redis RDB format has no \
                 document type (a rudis replica keeps them)"
            );
        }
        let now = store::now_ms();
        for tok in t.streamed {
            self.push_output(tok, &t.mark);
            if let Some(r) = self.state.repl.replicas.get_mut(&tok) {
                // Online as Redis's replicaPutOnline (the ack time too: no false
                // timeout); the stream follows its first ACK.
                r.state = ReplicaState::WaitAck;
                r.ack_ms = now;
            }
            let name = self.state.clients.get(tok).map_or("?", |c| c.addr.as_str());
            info!(
                "Streamed RDB transfer with replica {name} succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming"
            );
            info!("Synchronization with replica {name} succeeded");
        }
        if let Some((mut file, path)) = t.spool {
            let path = std::rc::Rc::new(path);
            let len = t.bytes;
            for tok in t.spooled {
                let Ok(f) = File::open(&*path) else {
                    self.close(tok);
                    continue;
                };
                self.push_output(tok, format!("${len}\r\n").as_bytes());
                self.repl_io.file_sends.push(FileSend {
                    token: tok,
                    file: f,
                    left: len,
                    path: path.clone(),
                });
            }
            let _ = file.flush();
            drop(file);
            if std::rc::Rc::strong_count(&path) == 1 {
                let _ = std::fs::remove_file(&*path);
            }
        }
    }

    /// Sends spooled snapshots in chunks while the replicas' output is low.
    fn pump_file_sends(&mut self) {
        let mut i = 0;
        while i < self.repl_io.file_sends.len() {
            let token = self.repl_io.file_sends[i].token;
            let alive = self.conns.get(token).is_some_and(|c| !c.closing);
            let mut done = !alive;
            let mut budget = TRANSFER_TURN_BUDGET;
            while alive && !done && budget > 0 {
                if self
                    .conns
                    .get(token)
                    .is_none_or(|c| c.wbuf.len() >= TRANSFER_HIGH_WATER)
                {
                    break;
                }
                let send = &mut self.repl_io.file_sends[i];
                let want = (send.left as usize).min(self.scratch.len());
                match send.file.read(&mut self.scratch[..want]) {
                    Ok(n) if n > 0 => {
                        send.left -= n as u64;
                        budget = budget.saturating_sub(n);
                        let chunk = self.scratch[..n].to_vec();
                        self.push_output(token, &chunk);
                        done = self.repl_io.file_sends[i].left == 0;
                        if done && let Some(r) = self.state.repl.replicas.get_mut(&token) {
                            // `$<len>`: the replica reads exactly that, the stream may follow.
                            r.state = ReplicaState::Online;
                            r.ack_ms = store::now_ms();
                            info!(
                                "Synchronization with replica {} succeeded",
                                self.state
                                    .clients
                                    .get(token)
                                    .map_or("?", |c| c.addr.as_str())
                            );
                        }
                    }
                    _ => {
                        warn!("Can't read the replication spool file");
                        self.close(token);
                        done = true;
                    }
                }
            }
            if done {
                let send = self.repl_io.file_sends.swap_remove(i);
                if std::rc::Rc::strong_count(&send.path) == 1 {
                    let _ = std::fs::remove_file(&*send.path);
                }
            } else {
                i += 1;
            }
        }
    }

    /// The cron's replication work (Redis's `replicationCron`): PING the replicas,
    /// recount the good ones, and the replica side's link.
    pub(super) fn replication_cron(&mut self) {
        let now = store::now_ms();
        let repl = &mut self.state.repl;
        let period = self.state.config.repl.ping_period as i64 * 1000;
        if repl.backlog.is_some()
            && !repl.is_replica()
            && !repl.replicas.is_empty()
            && now - repl.last_ping_ms >= period
        {
            repl.last_ping_ms = now;
            repl.feed(PING);
        }
        // Replicas waiting for a snapshot get a newline every second, so they do not
        // time out (Redis's `replicationCron`).
        if now / 1000 != self.repl_io.newline_sec {
            self.repl_io.newline_sec = now / 1000;
            let waiting: Vec<usize> = repl
                .replicas
                .iter()
                .filter(|(_, r)| r.state == ReplicaState::WaitBgsave)
                .map(|(t, _)| *t)
                .collect();
            for token in waiting {
                self.push_output(token, b"\n");
            }
        }
        // Replicas silent for longer than `repl-timeout` are dropped (Redis's
        // "Disconnecting timedout replica").
        let timeout = self.state.config.repl.timeout as i64 * 1000;
        let silent: Vec<usize> = self
            .state
            .repl
            .replicas
            .iter()
            .filter(|(_, r)| r.state == ReplicaState::Online && now - r.ack_ms > timeout)
            .map(|(t, _)| *t)
            .collect();
        for token in silent {
            warn!("Disconnecting timedout replica (streaming sync)");
            self.close(token);
        }
        self.state.repl.refresh_guard(&self.state.config.repl, now);
        self.replica_cron(now);
    }

    /// A connection closes: it stops being a replica, a WAIT client or the master link.
    pub(super) fn forget_replication(&mut self, token: usize) {
        let repl = &mut self.state.repl;
        if repl.replicas.remove(&token).is_some() {
            info!(
                "Connection with replica {} lost.",
                self.state
                    .clients
                    .get(token)
                    .map_or("?", |c| c.addr.as_str())
            );
        }
        repl.waiters.retain(|w| w.token != token);
        if repl.master_token() == Some(token) {
            let db = self.state.clients.get(token).map_or(0, |c| c.db);
            if let Some(m) = self.state.repl.master.as_mut() {
                m.db = db;
            }
            self.master_link_lost();
        }
    }
}

/// Hands the propagated stream to the backlog (and so to the replicas) before the AOF
/// takes it: each loop turn, and before a busy script's pump flushes the AOF.
pub(super) fn feed_replication(store: &mut Store, state: &mut ServerState) {
    if !state.propagation.is_on() {
        return;
    }
    state.propagation.flush_expired(store);
    if state.repl.backlog.is_some() && !state.repl.is_replica() {
        let stream = state.propagation.stream();
        if !stream.is_empty() {
            state.repl.feed(stream);
        }
    }
    if state.persistence.aof.is_none() {
        state.propagation.clear_stream();
    }
}
