//! The replica side of replication (Redis's `replication.c`, replica half): the link
//! to the master as a non-blocking state machine in the loop. Connect; PING; AUTH
//! (`masterauth`, `masteruser`), REPLCONF listening-port and capa, PSYNC (pipelined);
//! on `+FULLRESYNC` the snapshot (`$<len>` or `$EOF:<mark>` framing) is written to a
//! file in `dir` as it comes, then loaded into a new data set that replaces the old
//! one (the magic decides the reader: Redis's RDB or rudis's format); on `+CONTINUE`
//! the stream resumes. The stream is then run as the master client's commands, whose
//! replies are dropped; the bytes applied are the replica's offset, passed on
//! unchanged to its own backlog and replicas. REPLCONF ACK goes back every second and
//! on GETACK.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;

use log::{info, warn};

use super::loading::LoadPump;
use super::*;
use crate::config::{DisklessLoad, SnapshotFormat};
use crate::persistence::{LoadError, LoadStats, read_snapshot_with_progress};
use crate::replication::{Backlog, CAPA_RUDIS, LinkState, ReplicaState};
use crate::runtime::Loading;

/// A new, empty data set set up as the configuration says (as the server's first),
/// that takes over from `old`: it expires keys as `old` did (a replica's leaves it to
/// the master; `DEBUG SET-ACTIVE-EXPIRE` stays in force).
fn new_store(config: &crate::config::Config, old: &Store) -> Store {
    let mut store = Store::new(config.databases);
    notify::sync_tracking(config, &mut store);
    store.set_access(config.access);
    store.inherit_expiry(old);
    store
}

/// Longest handshake reply line accepted from a master.
const MAX_LINE: usize = 64 * 1024;

/// A reply the handshake waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pong,
    Auth,
    Port,
    Capa,
    Psync,
    /// `$<len>` or `$EOF:<mark>` after `+FULLRESYNC`.
    Bulk,
}

/// The replica side's link I/O state.
#[derive(Debug, Default)]
pub(super) struct LinkIo {
    expect: VecDeque<Expect>,
    /// The snapshot file being received.
    file: Option<(File, PathBuf)>,
    /// End mark of a `$EOF:` snapshot.
    mark: Option<[u8; 40]>,
    /// Bytes of a `$<len>` snapshot still to come.
    left: u64,
    /// The id and offset `+FULLRESYNC` announced.
    full: Option<(String, u64)>,
    /// When the last connection attempt started (Unix ms).
    last_try_ms: i64,
    /// When the last ACK went out (Unix ms).
    last_ack_ms: i64,
    /// Stream bytes run inside a transaction the master has not closed yet: they
    /// count in the offset (and go on to our replicas) only once its EXEC ran, so
    /// that the offset always matches the data set (Redis's `reploff` stays put
    /// while the master client is in MULTI) and a resync resends the whole
    /// transaction.
    pending: Vec<u8>,
}

/// Appends `argv` as a RESP command.
fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    crate::runtime::propagate::encode(out, argv.iter().copied());
}

impl Server {
    /// The cron's replica work: connect when due, ACK every second, time out a silent
    /// master.
    pub(super) fn replica_cron(&mut self, now: i64) {
        let Some(m) = self.state.repl.master.as_ref() else {
            return;
        };
        let timeout = self.state.config.repl.timeout as i64 * 1000;
        match m.state {
            LinkState::Connect => {
                if now - self.repl_io.link.last_try_ms >= 1000 {
                    self.repl_io.link.last_try_ms = now;
                    self.connect_master(now);
                }
            }
            LinkState::Connected => {
                if now - m.last_io_ms > timeout {
                    warn!("MASTER timeout: no data nor PING received...");
                    self.drop_master_link();
                } else if now - self.repl_io.link.last_ack_ms >= 1000 {
                    self.send_ack(now);
                }
            }
            _ => {
                if now - m.last_io_ms > timeout {
                    warn!("Timeout connecting to the MASTER...");
                    self.drop_master_link();
                }
            }
        }
    }

    /// Closes the connection to the master (it is reconnected by the cron).
    fn drop_master_link(&mut self) {
        if let Some(token) = self.state.repl.master_token() {
            self.close(token);
        } else {
            self.master_link_lost();
        }
    }

    /// The connection to the master is gone: back to `Connect`.
    pub(super) fn master_link_lost(&mut self) {
        let now = store::now_ms();
        let Some(m) = self.state.repl.master.as_mut() else {
            return;
        };
        if m.state == LinkState::Connected {
            info!("Connection with master lost.");
            m.down_since_ms = now;
        }
        m.state = LinkState::Connect;
        m.token = None;
        let link = &mut self.repl_io.link;
        link.expect.clear();
        link.full = None;
        link.mark = None;
        link.pending.clear();
        if let Some((_, path)) = link.file.take() {
            let _ = std::fs::remove_file(path);
        }
        self.state.repl.refresh_guard(&self.state.config.repl, now);
    }

    fn connect_master(&mut self, now: i64) {
        let Some(m) = self.state.repl.master.as_mut() else {
            return;
        };
        info!("Connecting to MASTER {}:{}", m.host, m.port);
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(m.host.as_str(), m.port))
            .ok()
            .and_then(|mut a| a.next());
        let Some(addr) = addr else {
            warn!("Unable to connect to MASTER: can't resolve {}", m.host);
            return;
        };
        let mut stream = match TcpStream::connect(addr) {
            Ok(s) => s,
            Err(e) => {
                warn!("Unable to connect to MASTER: {e}");
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let token = self.conns.vacant_key();
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut stream, Token(token), interest)
        {
            warn!("Unable to connect to MASTER: {e}");
            return;
        }
        let id = self.state.next_client_id;
        self.state.next_client_id += 1;
        let mut info = ClientInfo::new(id, addr.to_string(), String::new(), now);
        // The master's commands are applied, never answered.
        info.reply_off = true;
        info.authenticated = true;
        info.deny_blocking = true;
        info.master = true;
        info.db = m.db;
        let info_key = self.state.clients.insert(info);
        let mut conn = Conn::new(stream);
        conn.assume_write_interest();
        // Written once connected (the first writable event finds it waiting).
        let mut ping = Vec::new();
        command(&mut ping, &[b"PING"]);
        conn.wbuf.extend_from_slice(&ping);
        self.repl_io.link.expect = VecDeque::from([Expect::Pong]);
        let conn_key = self.conns.insert(conn);
        debug_assert_eq!(info_key, conn_key);
        m.token = Some(token);
        m.state = LinkState::Connecting;
        m.last_io_ms = now;
        info!("MASTER <-> REPLICA sync started");
    }

    /// Services the connection to the master: the handshake and the snapshot here,
    /// the stream through the normal request path (`true`: go on with it).
    pub(super) fn service_master(&mut self, token: usize) -> bool {
        let Some(state) = self.state.repl.master.as_ref().map(|m| m.state) else {
            return true;
        };
        if state == LinkState::Connected {
            return true;
        }
        let now = store::now_ms();
        if state == LinkState::Connecting {
            let Some(conn) = self.conns.get_mut(token) else {
                return false;
            };
            match conn.stream.take_error() {
                Ok(Some(e)) | Err(e) => {
                    warn!("Error condition on socket for SYNC: {e}");
                    self.close(token);
                    return false;
                }
                Ok(None) => {}
            }
            if conn.stream.peer_addr().is_err() {
                return false;
            }
            info!("Non blocking connect for SYNC fired the event.");
            if let Some(m) = self.state.repl.master.as_mut() {
                m.state = LinkState::Handshake;
                m.last_io_ms = now;
            }
        }
        if self.flush(token).is_none() {
            return false;
        }
        let Some(conn) = self.conns.get_mut(token) else {
            return false;
        };
        match conn.fill(&mut self.scratch) {
            Ok((outcome, n)) => {
                self.state.stats.net_input_bytes += n as u64;
                if n > 0
                    && let Some(m) = self.state.repl.master.as_mut()
                {
                    m.last_io_ms = now;
                }
                if outcome == ReadOutcome::Eof {
                    conn.eof = true;
                }
                if outcome == ReadOutcome::BudgetSpent {
                    self.enqueue(token);
                }
            }
            Err(e) => {
                warn!("Error reading from MASTER: {e}");
                self.close(token);
                return false;
            }
        }
        if let Err(e) = self.advance_link(token, now) {
            warn!("{e}");
            self.close(token);
            return false;
        }
        let connected = self
            .state
            .repl
            .master
            .as_ref()
            .is_some_and(|m| m.state == LinkState::Connected);
        let eof = self.conns.get(token).is_none_or(|c| c.eof);
        if eof && !connected {
            warn!("Master closed the connection during the handshake or the transfer");
            self.close(token);
            return false;
        }
        connected
    }

    /// Consumes what the master sent during the handshake and the transfer.
    fn advance_link(&mut self, token: usize, now: i64) -> Result<(), String> {
        loop {
            let state = self.state.repl.master.as_ref().map(|m| m.state);
            match state {
                Some(LinkState::Handshake) => {
                    let Some(line) = self.take_line(token)? else {
                        return Ok(());
                    };
                    self.handshake_reply(token, &line, now)?;
                }
                Some(LinkState::Transfer) => return self.receive_snapshot(token, now),
                _ => return Ok(()),
            }
        }
    }

    /// The next reply line from the master (keepalive newlines skipped).
    fn take_line(&mut self, token: usize) -> Result<Option<String>, String> {
        let Some(conn) = self.conns.get_mut(token) else {
            return Ok(None);
        };
        loop {
            let Some(end) = memchr::memchr(b'\n', &conn.rbuf) else {
                if conn.rbuf.len() > MAX_LINE {
                    return Err("MASTER sent a line too long".into());
                }
                return Ok(None);
            };
            let line = conn.rbuf.split_to(end + 1);
            let line = String::from_utf8_lossy(&line).trim_end().to_string();
            if !line.is_empty() {
                return Ok(Some(line));
            }
        }
    }

    fn handshake_reply(&mut self, token: usize, line: &str, now: i64) -> Result<(), String> {
        let Some(expect) = self.repl_io.link.expect.pop_front() else {
            return Err(format!("Unexpected reply from MASTER: {line}"));
        };
        match expect {
            Expect::Pong => {
                if line.starts_with('-')
                    && !line.starts_with("-NOAUTH")
                    && !line.starts_with("-NOPERM")
                    && !line.starts_with("-ERR operation not permitted")
                {
                    return Err(format!("Error reply to PING from master: '{line}'"));
                }
                self.send_handshake(token);
            }
            Expect::Auth => {
                if line.starts_with('-') {
                    return Err(format!("Unable to AUTH to MASTER: {line}"));
                }
            }
            Expect::Port | Expect::Capa => {
                if line.starts_with('-') {
                    info!("(Non critical) Master does not understand REPLCONF: {line}");
                }
                if expect == Expect::Capa {
                    self.send_psync(token);
                }
            }
            Expect::Psync => return self.psync_reply(token, line, now),
            Expect::Bulk => {
                if let Some(mark) = line.strip_prefix("$EOF:") {
                    let mark: [u8; 40] = mark
                        .as_bytes()
                        .try_into()
                        .map_err(|_| format!("Bad EOF mark from MASTER: {line}"))?;
                    self.repl_io.link.mark = Some(mark);
                    self.begin_transfer(-1, now)?;
                    info!(
                        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
                    );
                } else if let Some(len) = line.strip_prefix('$') {
                    let len: u64 = len
                        .parse()
                        .map_err(|_| format!("Bad bulk length from MASTER: {line}"))?;
                    self.repl_io.link.left = len;
                    self.begin_transfer(len as i64, now)?;
                    info!("MASTER <-> REPLICA sync: receiving {len} bytes from master to disk");
                } else if line.starts_with('-') {
                    return Err(format!("MASTER aborted replication with an error: {line}"));
                } else {
                    return Err(format!(
                        "Bad protocol from MASTER, the first byte is not '$': {line}"
                    ));
                }
            }
        }
        Ok(())
    }

    /// After the PONG: AUTH, REPLCONF listening-port, REPLCONF capa and PSYNC, in one
    /// write; the replies are read in order.
    fn send_handshake(&mut self, token: usize) {
        let config = &self.state.config.repl;
        let mut out = Vec::new();
        let expect = &mut self.repl_io.link.expect;
        if let Some(pass) = &config.masterauth {
            match &config.masteruser {
                Some(user) => command(&mut out, &[b"AUTH", user.as_bytes(), pass.as_bytes()]),
                None => command(&mut out, &[b"AUTH", pass.as_bytes()]),
            }
            expect.push_back(Expect::Auth);
        }
        let port = if config.announce_port != 0 {
            config.announce_port
        } else {
            self.state.port
        };
        let port = port.to_string();
        command(&mut out, &[b"REPLCONF", b"listening-port", port.as_bytes()]);
        expect.push_back(Expect::Port);
        if let Some(ip) = &config.announce_ip {
            command(&mut out, &[b"REPLCONF", b"ip-address", ip.as_bytes()]);
            expect.push_back(Expect::Port);
        }
        command(
            &mut out,
            &[
                b"REPLCONF",
                b"capa",
                b"eof",
                b"capa",
                b"psync2",
                b"capa",
                CAPA_RUDIS.as_bytes(),
            ],
        );
        expect.push_back(Expect::Capa);
        self.push_output(token, &out);
    }

    /// PSYNC, once the REPLCONF replies came (Redis refuses a PSYNC from a client
    /// with replies still pending).
    fn send_psync(&mut self, token: usize) {
        // Partial resync from our own id and offset (Redis's
        // replicationCacheMasterUsingMyself); `?` with no history yet.
        let repl = &self.state.repl;
        let (id, offset) = if repl.backlog.is_some() {
            (repl.replid.clone(), (repl.offset + 1).to_string())
        } else {
            ("?".to_string(), "-1".to_string())
        };
        info!("Trying a partial resynchronization (request {id}:{offset}).");
        let mut out = Vec::new();
        command(&mut out, &[b"PSYNC", id.as_bytes(), offset.as_bytes()]);
        self.repl_io.link.expect.push_back(Expect::Psync);
        self.push_output(token, &out);
    }

    fn psync_reply(&mut self, token: usize, line: &str, now: i64) -> Result<(), String> {
        if let Some(rest) = line.strip_prefix("+FULLRESYNC") {
            let mut words = rest.split_ascii_whitespace();
            let id = words.next().unwrap_or("").to_string();
            let offset: u64 = words.next().and_then(|o| o.parse().ok()).unwrap_or(0);
            info!("Full resync from master: {id}:{offset}");
            self.repl_io.link.full = Some((id, offset));
            self.repl_io.link.expect.push_back(Expect::Bulk);
            return Ok(());
        }
        if let Some(rest) = line.strip_prefix("+CONTINUE") {
            let new_id = rest.trim();
            let repl = &mut self.state.repl;
            if !new_id.is_empty() && new_id != repl.replid {
                // psync2: the master changed id (a promotion); our history stays
                // valid under the old one up to here.
                repl.replid2 = std::mem::replace(&mut repl.replid, new_id.to_string());
                repl.second_offset = repl.offset as i64 + 1;
                info!("Master replication ID changed to {new_id}");
                // Our replicas follow the id change (Redis disconnects them).
                self.disconnect_replicas();
            }
            info!("Successful partial resynchronization with master.");
            self.link_connected(token, now);
            return Ok(());
        }
        if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
            return Err(format!(
                "Master is currently unable to PSYNC but should be in the future: {line}"
            ));
        }
        Err(format!("Unexpected reply to PSYNC from master: {line}"))
    }

    fn begin_transfer(&mut self, size: i64, now: i64) -> Result<(), String> {
        let path =
            self.state
                .config
                .dir
                .join(format!("temp-{}.{}.rdb", now / 1000, std::process::id()));
        let file = File::create(&path).map_err(|e| {
            format!("Opening the temp file needed for MASTER <-> REPLICA synchronization: {e}")
        })?;
        self.repl_io.link.file = Some((file, path));
        if let Some(m) = self.state.repl.master.as_mut() {
            m.state = LinkState::Transfer;
            m.transfer_read = 0;
            m.transfer_size = size;
        }
        Ok(())
    }

    /// Writes the snapshot bytes received to the file; loads it once complete.
    fn receive_snapshot(&mut self, token: usize, now: i64) -> Result<(), String> {
        let Some(conn) = self.conns.get_mut(token) else {
            return Ok(());
        };
        let link = &mut self.repl_io.link;
        let Some((file, _)) = link.file.as_mut() else {
            return Err("no snapshot file".into());
        };
        let write_err = |e: io::Error| format!("Write error writing the snapshot from MASTER: {e}");
        let done;
        let taken;
        if let Some(mark) = link.mark {
            let len = conn.rbuf.len();
            if len >= 40 && conn.rbuf[len - 40..] == mark {
                file.write_all(&conn.rbuf[..len - 40]).map_err(write_err)?;
                taken = len;
                done = true;
            } else {
                let keep = len.min(40);
                file.write_all(&conn.rbuf[..len - keep])
                    .map_err(write_err)?;
                taken = len - keep;
                done = false;
            }
        } else {
            let n = (link.left as usize).min(conn.rbuf.len());
            file.write_all(&conn.rbuf[..n]).map_err(write_err)?;
            link.left -= n as u64;
            taken = n;
            done = link.left == 0;
        }
        let _ = conn.rbuf.split_to(taken);
        if let Some(m) = self.state.repl.master.as_mut() {
            m.transfer_read += taken as u64;
        }
        if done {
            self.load_transferred(token, now)?;
        }
        Ok(())
    }

    /// The snapshot is received: it becomes `dir/dbfilename` (Redis's disk-based
    /// load renames it so, fsynced, so that a replica killed afterwards restarts from
    /// it, replication position included), then is loaded while clients are served
    /// ([`Server::load_serving`]) and replaces the data set.
    fn load_transferred(&mut self, token: usize, now: i64) -> Result<(), String> {
        let Some((file, temp)) = self.repl_io.link.file.take() else {
            return Ok(());
        };
        let synced = file.sync_all();
        drop(file);
        let fail = |e: String| {
            let _ = std::fs::remove_file(&temp);
            e
        };
        synced.map_err(|e| {
            fail(format!(
                "Failed trying to sync the temp DB to disk in MASTER <-> REPLICA \
                 synchronization: {}",
                crate::persistence::strerror(&e)
            ))
        })?;
        // A child writing the old data set would copy the pages the load changes, and
        // a background save would then replace the file just received.
        self.state.persistence.kill_rewrite();
        if self.state.persistence.in_progress() {
            info!(
                "Replica is about to load the RDB file received from the master, but there \
                 is a pending RDB child running. Killing it to avoid any race"
            );
            self.state.persistence.kill_child(&self.state.config);
        }
        let path = crate::persistence::snapshot_path(&self.state.config);
        std::fs::rename(&temp, &path).map_err(|e| {
            fail(format!(
                "Failed trying to rename the temp DB into {} in MASTER <-> REPLICA \
                 synchronization: {}",
                self.state.config.dbfilename,
                crate::persistence::strerror(&e)
            ))
        })?;
        std::fs::File::open(&self.state.config.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| {
                format!(
                    "Failed trying to sync DB directory {} in MASTER <-> REPLICA \
                     synchronization: {}",
                    self.state.config.dir.display(),
                    crate::persistence::strerror(&e)
                )
            })?;
        let (id, offset) = self.repl_io.link.full.take().unwrap_or_default();
        let aside = self.state.config.repl.diskless_load == DisklessLoad::Swapdb;
        // Clients keep reading the old data set only when it is an earlier point of
        // the history being loaded (Redis's condition for async loading).
        let async_load = aside && id == self.state.repl.replid;
        if !aside {
            // Redis's replicationAttachToNewMaster and emptyData: our replicas must
            // sync again, our history is gone (a save meanwhile carries no position).
            self.disconnect_replicas();
            self.state.repl.backlog = None;
            info!("MASTER <-> REPLICA sync: Flushing old data");
            self.flush_for_sync(now);
        }
        info!("MASTER <-> REPLICA sync: Loading DB in memory");
        let started = Instant::now();
        let loaded = self.load_serving(&path, token, aside, async_load);
        let (fmt, stats) = match loaded {
            Ok(done) => done,
            Err(e) => {
                if aside {
                    info!("MASTER <-> REPLICA sync: Discarding temporary DB");
                } else {
                    // No half-loaded data set stays.
                    self.flush_for_sync(now);
                }
                return Err(format!(
                    "Failed trying to load the MASTER synchronization DB from disk: {}",
                    crate::persistence::load_error_text(&e)
                ));
            }
        };
        if aside {
            info!("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
        }
        self.state.propagation.set_on(true, &mut self.store);
        if self.state.persistence.aof.is_some() {
            // The AOF logged the old data set: a rewrite starts it again from the new
            // one (Redis's restartAOFAfterSYNC); scheduled when a child runs.
            if crate::runtime::propagate::rewrite_aof(&mut self.store, &mut self.state).is_err() {
                self.state.persistence.rewrite.scheduled = true;
            }
        }
        info!(
            "MASTER <-> REPLICA sync: Finished with success ({}, {} keys, {:.3} s)",
            crate::persistence::format_label(fmt),
            stats.loaded,
            started.elapsed().as_secs_f64()
        );
        let repl = &mut self.state.repl;
        repl.replid = id;
        repl.replid2 = "0".repeat(40);
        repl.second_offset = -1;
        repl.offset = offset;
        repl.backlog = Some(Backlog::new(self.state.config.repl.backlog_size, offset));
        self.repl_io.link.pending.clear();
        // The master client starts in the database the snapshot's stream had selected
        // (the master sends SELECT first anyway).
        if let Some(info) = stats.repl.filter(|i| i.stream_db < self.store.db_count()) {
            self.state.clients[token].db = info.stream_db;
        }
        // Our replicas hold another history: they must sync again.
        self.disconnect_replicas();
        self.link_connected(token, now);
        Ok(())
    }

    /// Empties the data set before (or after a failed) full-sync load: a new store,
    /// WATCHed keys touched as FLUSHALL does.
    fn flush_for_sync(&mut self, now: i64) {
        for db in 0..self.store.db_count() {
            crate::runtime::watch::touch_db(&self.store, &mut self.state, db, None, now);
        }
        let mut fresh = new_store(&self.state.config, &self.store);
        fresh.set_propagating(self.state.propagation.is_on());
        drop(std::mem::replace(&mut self.store, fresh));
    }

    /// Loads the snapshot at `path` while the event loop's clients are served from
    /// the load's progress callback (as the start-up load does): into the data set
    /// itself (emptied first), clients getting `-LOADING`; or, `aside`, into a new
    /// one that replaces the data set only once complete, the old one serving
    /// clients meanwhile when `async_load` (else `-LOADING`). The master link
    /// (`master`) is not read meanwhile.
    fn load_serving(
        &mut self,
        path: &std::path::Path,
        master: usize,
        aside: bool,
        async_load: bool,
    ) -> Result<(SnapshotFormat, LoadStats), LoadError> {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        let mut loading = Loading::new(len);
        loading.async_load = async_load;
        let Server {
            poll,
            listeners,
            conns,
            store,
            state,
            scratch,
            ..
        } = self;
        state.loading = Some(loading);
        let config = state.config.clone();
        let io = busy::Io {
            listeners,
            registry: poll.registry(),
            scratch,
        };
        let mut pump = LoadPump::new(io, conns, Some(master));
        // What LOADING-flagged commands see when the data set is not served.
        let mut empty = Store::new(1);
        let result = if !aside {
            let dispatch = commands::dispatch_while_loading;
            read_snapshot_with_progress(store, path, &config, false, &mut |read, len| {
                pump.progress(state, &mut empty, dispatch, read, len)
            })
        } else {
            let mut fresh = new_store(&config, store);
            let loaded = if async_load {
                let dispatch = commands::dispatch_while_async_loading;
                read_snapshot_with_progress(&mut fresh, path, &config, false, &mut |read, len| {
                    pump.progress(state, store, dispatch, read, len)
                })
            } else {
                let dispatch = commands::dispatch_while_loading;
                read_snapshot_with_progress(&mut fresh, path, &config, false, &mut |read, len| {
                    pump.progress(state, &mut empty, dispatch, read, len)
                })
            };
            if loaded.is_ok() {
                drop(std::mem::replace(store, fresh));
            }
            loaded
        };
        state.loading = None;
        self.enqueue_all(Some(master));
        result
    }

    /// Closes every replica of this server (they reconnect and resync).
    fn disconnect_replicas(&mut self) {
        let tokens: Vec<usize> = self.state.repl.replicas.keys().copied().collect();
        for token in tokens {
            self.close(token);
        }
    }

    fn link_connected(&mut self, _token: usize, now: i64) {
        let size = self.state.config.repl.backlog_size;
        self.state.repl.ensure_backlog(size);
        if !self.state.propagation.is_on() {
            self.state.propagation.set_on(true, &mut self.store);
        }
        if let Some(m) = self.state.repl.master.as_mut() {
            m.state = LinkState::Connected;
            m.last_io_ms = now;
        }
        self.state.repl.refresh_guard(&self.state.config.repl, now);
        self.send_ack(now);
    }

    /// Sends `REPLCONF ACK <offset>` to the master.
    pub(super) fn send_ack(&mut self, now: i64) {
        let Some(token) = self.state.repl.master_token() else {
            return;
        };
        self.repl_io.link.last_ack_ms = now;
        let offset = self.state.repl.offset.to_string();
        let mut out = Vec::new();
        command(&mut out, &[b"REPLCONF", b"ACK", offset.as_bytes()]);
        self.push_output(token, &out);
    }

    /// After the master's commands ran: the bytes they took (`applied`, the start of
    /// what the read buffer held) join this server's stream, and an ACK goes back
    /// when the master asked for one.
    pub(super) fn master_applied(&mut self, applied: &[u8]) {
        if applied.is_empty() {
            return;
        }
        self.state.repl.feed(applied);
        if let Some(m) = self.state.repl.master.as_mut() {
            m.last_io_ms = store::now_ms();
            m.processed += applied.len() as u64;
            if std::mem::take(&mut m.ack_requested) {
                self.send_ack(store::now_ms());
            }
        }
        let _ = ReplicaState::Online;
    }
}

impl Server {
    /// Reads and applies the master's stream (the connection is up).
    pub(super) fn service_master_stream(&mut self, token: usize) {
        if self.flush(token).is_none() {
            return;
        }
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        let mut again = false;
        if !conn.eof {
            match conn.fill(&mut self.scratch) {
                Ok((outcome, n)) => {
                    self.state.stats.net_input_bytes += n as u64;
                    match outcome {
                        ReadOutcome::Drained => {}
                        ReadOutcome::BudgetSpent => again = true,
                        ReadOutcome::Eof => conn.eof = true,
                    }
                }
                Err(e) => {
                    warn!("Error reading from MASTER: {e}");
                    self.close(token);
                    return;
                }
            }
        }
        let held = conn.rbuf.to_vec();
        // Bytes of `held` up to the end of the last command run outside a
        // transaction.
        let mut settled = None;
        // The master's commands see every key it still holds, expired here or not.
        let expiring = self.store.set_expiring(store::Expiring::Ignore);
        self.execute_observed(token, |state, conns| {
            if state.clients.get(token).is_some_and(|c| c.multi.is_none()) {
                let left = conns.get(token).map_or(0, |c| c.unread().len());
                settled = Some(held.len().saturating_sub(left));
            }
        });
        self.store.set_expiring(expiring);
        let left = self.conns.get(token).map_or(0, |c| c.unread().len());
        let consumed = held.len().saturating_sub(left);
        let pending = &mut self.repl_io.link.pending;
        match settled {
            Some(settled) => {
                let mut applied = std::mem::take(pending);
                applied.extend_from_slice(&held[..settled]);
                pending.extend_from_slice(&held[settled..consumed]);
                self.master_applied(&applied);
            }
            None => pending.extend_from_slice(&held[..consumed]),
        }
        let Some(conn) = self.conns.get_mut(token) else {
            return;
        };
        if conn.eof || self.state.clients[token].close_after_reply {
            warn!("Connection with master lost.");
            self.close(token);
            return;
        }
        if !conn.wbuf.is_empty() && !conn.pending_write {
            conn.pending_write = true;
            self.pending_write.push(token);
        }
        if again {
            self.enqueue(token);
        }
    }
}
