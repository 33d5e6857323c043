//! Replication state (Redis's `replication.c` state in `struct redisServer`): the
//! replication id and offset, the backlog, the replicas this server feeds, the master
//! it follows, and WAIT's waiting clients. No sockets: the server moves the bytes
//! (`server::replication` for the master side, `server::replica` for the replica side)
//! and the commands (`commands::server::replication`) read and change this state.
//!
//! The stream is the propagation layer's ([`crate::runtime::propagate`]): the same
//! bytes the AOF logs (SELECT, MULTI/EXEC wrappers, expiries as DEL) go to the backlog
//! and to every replica; a replica passes the bytes it applied from its master on
//! unchanged, so that offsets agree along a chain.

pub mod backlog;
pub mod held;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use backlog::Backlog;
pub use held::Held;

/// The replication capability a rudis replica announces (`REPLCONF capa rudis`): it
/// receives rudis's own snapshot format, which keeps nested documents.
pub const CAPA_RUDIS: &str = "rudis";

/// Where a replica stands (INFO's `state=` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Sent REPLCONF only, no SYNC or PSYNC yet.
    Handshake,
    /// Asked for a full sync; the snapshot has not started (Redis's `wait_bgsave`).
    WaitBgsave,
    /// The snapshot is being sent (`send_bulk`); the stream since it began is held.
    Transfer,
    /// The snapshot is sent; waits for the replica's first ACK before the held stream
    /// goes out (Redis's `repl_put_online_on_ack`: a diskless replica reads the end
    /// mark as the last bytes of a read).
    WaitAck,
    /// Receives the stream as it is made.
    Online,
}

impl ReplicaState {
    /// Redis's name for the state.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::Handshake => "handshake",
            ReplicaState::WaitBgsave => "wait_bgsave",
            ReplicaState::Transfer => "send_bulk",
            ReplicaState::WaitAck | ReplicaState::Online => "online",
        }
    }

    /// Online as Redis counts it (INFO, ROLE, good replicas for
    /// `min-replicas-to-write`): a diskless replica is online once its snapshot is
    /// sent, though its stream starts with its first ACK (Redis's
    /// `replicaPutOnline` with `repl_start_cmd_stream_on_ack`).
    pub fn is_online(self) -> bool {
        matches!(self, ReplicaState::WaitAck | ReplicaState::Online)
    }
}

/// A replica connected to this server (by connection token).
#[derive(Debug, Clone)]
pub struct Replica {
    /// Where it stands.
    pub state: ReplicaState,
    /// REPLCONF listening-port.
    pub port: u16,
    /// REPLCONF ip-address (else the peer address).
    pub ip: Option<String>,
    /// REPLCONF capa eof: reads a snapshot framed by an end mark.
    pub capa_eof: bool,
    /// REPLCONF capa psync2.
    pub capa_psync2: bool,
    /// REPLCONF capa rudis: a rudis replica (gets rudis's snapshot format).
    pub capa_rudis: bool,
    /// The offset it last acknowledged.
    pub ack_offset: u64,
    /// When it last acknowledged (Unix ms).
    pub ack_ms: i64,
    /// Stream bytes not yet handed to its connection (held during a full sync).
    pub out: Held,
    /// When it asked for a full sync (Unix ms).
    pub since_ms: i64,
}

impl Replica {
    /// A client that sent its first REPLCONF at `now`.
    pub fn new(now: i64) -> Replica {
        Replica {
            state: ReplicaState::Handshake,
            port: 0,
            ip: None,
            capa_eof: false,
            capa_psync2: false,
            capa_rudis: false,
            ack_offset: 0,
            ack_ms: now,
            out: Held::default(),
            since_ms: now,
        }
    }
}

/// The replica side's link to its master (Redis's `repl_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// Must connect (the cron connects).
    Connect,
    /// The TCP connection is being made.
    Connecting,
    /// PING, AUTH, REPLCONF and PSYNC are being exchanged.
    Handshake,
    /// The snapshot is being received.
    Transfer,
    /// Receiving the stream.
    Connected,
}

/// The master this server follows.
#[derive(Debug, Clone)]
pub struct MasterLink {
    /// Master host.
    pub host: String,
    /// Master port.
    pub port: u16,
    /// Where the link stands.
    pub state: LinkState,
    /// Token of the connection to the master, while one exists.
    pub token: Option<usize>,
    /// When the master last sent something (Unix ms).
    pub last_io_ms: i64,
    /// When the link went down (Unix ms).
    pub down_since_ms: i64,
    /// Bytes of the stream applied (the replica's offset since the last sync).
    pub processed: u64,
    /// Bytes of the snapshot received, and its size when known (`$<len>`).
    pub transfer_read: u64,
    /// Size announced for the snapshot (-1: end-mark framing).
    pub transfer_size: i64,
    /// The master asked for an ACK (REPLCONF GETACK).
    pub ack_requested: bool,
    /// The database the master's stream last selected: a partial resync continues in
    /// it (Redis keeps its cached master client, with its database).
    pub db: usize,
}

/// Counters of INFO stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct SyncStats {
    /// Full resyncs served (`sync_full`).
    pub full: u64,
    /// Partial resyncs accepted (`sync_partial_ok`).
    pub partial_ok: u64,
    /// Partial resyncs refused (`sync_partial_err`).
    pub partial_err: u64,
}

/// A client parked by WAIT.
#[derive(Debug, Clone, Copy)]
pub struct Waiter {
    /// Its connection token.
    pub token: usize,
    /// Replicas it waits for.
    pub replicas: u64,
    /// Offset they must acknowledge.
    pub offset: u64,
    /// Unix ms deadline; 0 = never.
    pub deadline: i64,
}

/// The replication state.
#[derive(Debug)]
pub struct Replication {
    /// This server's replication id (`master_replid`).
    pub replid: String,
    /// The previous master's id after a promotion (`master_replid2`).
    pub replid2: String,
    /// Offset up to which `replid2` is valid, plus one (`second_repl_offset`; -1 none).
    pub second_offset: i64,
    /// Bytes of stream made or applied (`master_repl_offset`).
    pub offset: u64,
    /// The backlog, created when the first replica connects.
    pub backlog: Option<Backlog>,
    /// Replicas by connection token.
    pub replicas: BTreeMap<usize, Replica>,
    /// Sync counters.
    pub stats: SyncStats,
    /// Clients parked by WAIT.
    pub waiters: Vec<Waiter>,
    /// The master this server follows (a replica), if any.
    pub master: Option<MasterLink>,
    /// Replicas that count for `min-replicas-to-write` (refreshed by the cron).
    pub good_replicas: u64,
    /// Writes of clients are refused: a read-only replica, or too few good replicas
    /// (one flag for dispatch; see [`Replication::write_refusal`]).
    pub guard: bool,
    /// When the last PING went to the replicas (Unix ms).
    pub last_ping_ms: i64,
    /// A WAIT asked the replicas for an ACK this turn.
    pub getack_wanted: bool,
}

/// A new random replication id: 40 hex digits.
pub fn new_replid() -> String {
    let seed = crate::store::now_ms() as u64 ^ ((std::process::id() as u64) << 32);
    let mut rng = crate::store::Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
    let mut id = String::with_capacity(48);
    while id.len() < 40 {
        let _ = write!(id, "{:016x}", rng.next_u64());
    }
    id.truncate(40);
    id
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replid: new_replid(),
            replid2: "0".repeat(40),
            second_offset: -1,
            offset: 0,
            backlog: None,
            replicas: BTreeMap::new(),
            stats: SyncStats::default(),
            waiters: Vec::new(),
            master: None,
            good_replicas: 0,
            guard: false,
            last_ping_ms: 0,
            getack_wanted: false,
        }
    }
}

impl Replication {
    /// True when this server follows a master.
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// The token of the connection to the master.
    pub fn master_token(&self) -> Option<usize> {
        self.master.as_ref().and_then(|m| m.token)
    }

    /// Creates the backlog if there is none (the first replica, or a replica's first
    /// sync).
    pub fn ensure_backlog(&mut self, size: usize) {
        if self.backlog.is_none() {
            self.backlog = Some(Backlog::new(size, self.offset));
        }
    }

    /// A replica that loaded a snapshot carrying `position` at start-up takes it as
    /// its own history (Redis's `loadDataFromDisk` and
    /// `replicationCacheMasterUsingMyself`): its first PSYNC asks for what follows,
    /// in the database the stream had selected. False (nothing changes) when this
    /// server follows no master or the database does not exist here.
    pub fn resume_from(
        &mut self,
        position: &crate::persistence::ReplInfo,
        backlog_size: usize,
        databases: usize,
    ) -> bool {
        let Some(m) = self.master.as_mut() else {
            return false;
        };
        if position.stream_db >= databases {
            return false;
        }
        m.db = position.stream_db;
        self.replid = position.replid().to_string();
        self.replid2 = "0".repeat(40);
        self.second_offset = -1;
        self.offset = position.offset;
        self.backlog = Some(Backlog::new(backlog_size, position.offset));
        true
    }

    /// Appends stream bytes to the backlog and to every replica that takes the stream.
    pub fn feed(&mut self, data: &[u8]) {
        let Some(backlog) = self.backlog.as_mut() else {
            return;
        };
        if data.is_empty() {
            return;
        }
        backlog.feed(data);
        self.offset += data.len() as u64;
        for r in self.replicas.values_mut() {
            if matches!(
                r.state,
                ReplicaState::Transfer | ReplicaState::WaitAck | ReplicaState::Online
            ) {
                r.out.extend_from_slice(data);
            }
        }
    }

    /// Decides a PSYNC for `replid` from `offset`: the bytes to send after
    /// `+CONTINUE` when a partial resync is possible (Redis's
    /// `masterTryPartialResynchronization`).
    pub fn try_partial(&self, replid: &str, offset: u64) -> Option<Vec<u8>> {
        let same = replid == self.replid
            || (replid == self.replid2 && (offset as i64) <= self.second_offset);
        if !same || self.is_replica() && self.master.as_ref()?.state != LinkState::Connected {
            return None;
        }
        self.backlog.as_ref()?.since(offset)
    }

    /// Replicas that acknowledged at least `offset`.
    pub fn acked(&self, offset: u64) -> u64 {
        self.replicas
            .values()
            .filter(|r| r.state == ReplicaState::Online && r.ack_offset >= offset)
            .count() as u64
    }

    /// A replica was lost or promoted: the id changes and the old one stays valid up
    /// to the current offset (Redis's `shiftReplicationId`).
    pub fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, new_replid());
        self.second_offset = self.offset as i64 + 1;
    }

    /// Why a client's write is refused while [`Replication::guard`] is set.
    pub fn write_refusal(&self, config: &crate::config::ReplConfig) -> Option<&'static str> {
        if self.is_replica() && config.replica_read_only {
            Some("READONLY You can't write against a read only replica.")
        } else if config.min_replicas_to_write > 0
            && self.good_replicas < config.min_replicas_to_write
            && !self.is_replica()
        {
            Some("NOREPLICAS Not enough good replicas to write.")
        } else {
            None
        }
    }

    /// Recomputes [`Replication::guard`] and the good replicas (Redis's
    /// `refreshGoodSlavesCount`) at `now` (Unix ms).
    pub fn refresh_guard(&mut self, config: &crate::config::ReplConfig, now: i64) {
        let lag = config.min_replicas_max_lag as i64 * 1000;
        self.good_replicas = self
            .replicas
            .values()
            .filter(|r| r.state.is_online() && now - r.ack_ms <= lag)
            .count() as u64;
        self.guard = self.write_refusal(config).is_some() || self.stale_refusal(config).is_some();
    }

    /// Why a command that may not run on stale data is refused: the link to the
    /// master is down and `replica-serve-stale-data` is off (Redis's `-MASTERDOWN`).
    pub fn stale_refusal(&self, config: &crate::config::ReplConfig) -> Option<&'static str> {
        let down = self.master.as_ref()?.state != LinkState::Connected;
        (down && !config.replica_serve_stale_data).then_some(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        )
    }
}
