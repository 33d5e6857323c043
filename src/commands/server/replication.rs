//! Replication commands: REPLCONF, PSYNC, SYNC, WAIT, ROLE, REPLICAOF and SLAVEOF
//! (Redis's `replication.c`). They change [`crate::replication::Replication`]; the
//! server moves the bytes (snapshots, the stream, the link to a master).

use crate::commands::args::{is, parse_i64, text};
use crate::commands::{CommandSpec, Ctx, table};
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Request};
use crate::replication::{CAPA_RUDIS, LinkState, MasterLink, Replica, ReplicaState, Waiter};
use crate::spec::{Flags, Group};
use crate::{cats, flags};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "replconf",
        -1,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY),
        Group::Server,
        "An internal command for configuring the replication stream.",
        replconf,
    ),
    CommandSpec::new(
        "psync",
        -3,
        flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI),
        Group::Server,
        "An internal command used in replication.",
        psync,
    ),
    CommandSpec::new(
        "sync",
        1,
        flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI),
        Group::Server,
        "An internal command used in replication.",
        sync,
    ),
    CommandSpec::new(
        "wait",
        3,
        flags!(NOSCRIPT),
        Group::Generic,
        "Blocks until the asynchronous replication of all preceding write commands sent \
         by the connection is completed.",
        wait,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "role",
        1,
        flags!(NOSCRIPT | LOADING | STALE | FAST),
        Group::Server,
        "Returns the replication role.",
        role,
    )
    .acl(cats!(ADMIN | DANGEROUS)),
    CommandSpec::new(
        "replicaof",
        3,
        flags!(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING),
        Group::Server,
        "Configures a server as replica of another, or promotes it to a master.",
        replicaof,
    ),
    CommandSpec::new(
        "slaveof",
        3,
        flags!(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING),
        Group::Server,
        "Sets a Redis server as a replica of another, or promotes it to being a master.",
        replicaof,
    ),
];

/// The refusal of a client's write while [`crate::replication::Replication::guard`]
/// is set (a read-only replica: `-READONLY`; too few good replicas: `-NOREPLICAS`).
/// The master's own stream is never refused. Cold: only on replicas and with
/// `min-replicas-to-write`.
#[cold]
#[inline(never)]
pub fn write_refused(ctx: &Ctx<'_>, spec: &CommandSpec, req: &Request<'_>) -> Option<CmdError> {
    if ctx.server.repl.master_token() == Some(ctx.me) {
        return None;
    }
    if !spec.flags.contains(Flags::STALE)
        && let Some(why) = ctx.server.repl.stale_refusal(&ctx.server.config.repl)
    {
        return Some(CmdError::msg(why));
    }
    let is_write = |spec: &CommandSpec, req: &Request<'_>| {
        spec.flags.contains(Flags::WRITE) || spec.resolve(req).flags.contains(Flags::WRITE)
    };
    let refused = is_write(spec, req)
        || (spec.name == "exec"
            && ctx.client().multi.as_ref().is_some_and(|tx| {
                tx.queued.iter().any(|q| {
                    let q = q.request();
                    table::lookup_indexed(q.arg(0)).is_some_and(|(_, s)| is_write(s, &q))
                })
            }));
    if !refused {
        return None;
    }
    let why = ctx.server.repl.write_refusal(&ctx.server.config.repl)?;
    Some(CmdError::msg(why))
}

/// Longest value of a REPLCONF ip-address (an address or a host name).
const MAX_ANNOUNCED_IP: usize = 256;

/// ```text
/// REPLCONF option value [option value ...]
/// ```
/// `listening-port`, `ip-address`, `capa` (eof, psync2, rudis), `ack` (no reply),
/// `getack` (on a replica, from its master: an ACK goes back), `rdb-only`,
/// `rdb-filter-only` (accepted).
/// # Errors
/// `ERR syntax error`, `ERR Unrecognized REPLCONF option: ...`.
fn replconf(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let now = ctx.now;
    let me = ctx.me;
    for i in (1..req.len()).step_by(2) {
        let (opt, value) = (req.arg(i), req.arg(i + 1));
        if is(opt, "ack") {
            // No reply: the replica does not read any.
            let offset = parse_i64(value).unwrap_or(0).max(0) as u64;
            if let Some(r) = ctx.server.repl.replicas.get_mut(&me) {
                r.ack_offset = r.ack_offset.max(offset);
                r.ack_ms = now;
                if r.state == ReplicaState::WaitAck {
                    r.state = ReplicaState::Online;
                }
            }
            return Ok(());
        } else if is(opt, "getack") {
            if ctx.server.repl.master_token() == Some(me)
                && let Some(m) = ctx.server.repl.master.as_mut()
            {
                m.ack_requested = true;
            }
            return Ok(());
        }
        let r = ctx
            .server
            .repl
            .replicas
            .entry(me)
            .or_insert_with(|| Replica::new(now));
        if is(opt, "listening-port") {
            r.port = u16::try_from(parse_i64(value)?).map_err(|_| CmdError::NotInteger)?;
        } else if is(opt, "ip-address") {
            if value.len() > MAX_ANNOUNCED_IP {
                return Err(CmdError::msg(
                    "ERR REPLCONF ip-address provided by replica instance is too long",
                ));
            }
            r.ip = Some(text(value));
        } else if is(opt, "capa") {
            r.capa_eof |= is(value, "eof");
            r.capa_psync2 |= is(value, "psync2");
            r.capa_rudis |= is(value, CAPA_RUDIS);
        } else if is(opt, "rdb-only") || is(opt, "rdb-filter-only") {
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unrecognized REPLCONF option: {}",
                text(opt)
            )));
        }
    }
    ctx.out.ok();
    Ok(())
}

/// Whether the client may start a sync: `false` when it is a replica already (the
/// request is ignored), an error inside MULTI or while this replica has no master link
/// (Redis's `-NOMASTERLINK`).
fn can_sync(ctx: &Ctx<'_>) -> Result<bool, CmdError> {
    if ctx.client().multi.is_some() {
        return Err(CmdError::msg(
            "ERR Command is not allowed inside a transaction",
        ));
    }
    if let Some(m) = &ctx.server.repl.master
        && m.state != LinkState::Connected
    {
        return Err(CmdError::msg(
            "NOMASTERLINK Can't SYNC while not connected with my master",
        ));
    }
    let me = ctx.me;
    Ok(ctx
        .server
        .repl
        .replicas
        .get(&me)
        .is_none_or(|r| r.state == ReplicaState::Handshake))
}

/// Makes the client a replica that waits for a full sync; the server starts the
/// snapshot (and sends `+FULLRESYNC` for PSYNC) once `repl-diskless-sync-delay` passed.
fn wait_full_sync(ctx: &mut Ctx<'_>, psync: bool) {
    let now = ctx.now;
    let me = ctx.me;
    let repl = &mut ctx.server.repl;
    repl.stats.full += 1;
    let size = ctx.server.config.repl.backlog_size;
    repl.ensure_backlog(size);
    if !ctx.server.propagation.is_on() {
        ctx.server.propagation.set_on(true, ctx.store);
    }
    let r = ctx
        .server
        .repl
        .replicas
        .entry(me)
        .or_insert_with(|| Replica::new(now));
    r.state = ReplicaState::WaitBgsave;
    r.since_ms = now;
    ctx.server.clients[me].replica = true;
    r.out.clear();
    if !psync {
        // SYNC: the old protocol, a `$<len>` payload and no +FULLRESYNC line.
        r.capa_eof = false;
        r.capa_psync2 = false;
    }
    r.ack_ms = now;
    // The snapshot answers: nothing is written now.
}

/// ```text
/// PSYNC replicationid offset
/// ```
/// `+CONTINUE <replid>` and the missed stream when the backlog holds it (also for
/// the previous id after a promotion), else a full sync (`+FULLRESYNC <replid>
/// <offset>`, then the snapshot).
/// # Errors
/// `-NOMASTERLINK` on a replica not connected to its master.
fn psync(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if !can_sync(ctx)? {
        return Ok(());
    }
    let replid = text(req.arg(1));
    let offset = parse_i64(req.arg(2)).unwrap_or(-1);
    if replid != "?" && offset >= 0 {
        if let Some(missed) = ctx.server.repl.try_partial(&replid, offset as u64) {
            let now = ctx.now;
            let me = ctx.me;
            let repl = &mut ctx.server.repl;
            repl.stats.partial_ok += 1;
            let r = repl.replicas.entry(me).or_insert_with(|| Replica::new(now));
            r.state = ReplicaState::Online;
            r.ack_ms = now;
            r.ack_offset = offset as u64 - 1;
            ctx.server.clients[me].replica = true;
            let line = if r.capa_psync2 {
                format!("+CONTINUE {}\r\n", repl.replid)
            } else {
                "+CONTINUE\r\n".to_string()
            };
            ctx.out.raw(line.as_bytes());
            ctx.out.raw(&missed);
            log::info!(
                "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting from offset {offset}.",
                ctx.client().addr,
                missed.len()
            );
            return Ok(());
        }
        ctx.server.repl.stats.partial_err += 1;
    }
    log::info!("Full resync requested by replica {}", ctx.client().addr);
    wait_full_sync(ctx, true);
    Ok(())
}

/// ```text
/// SYNC
/// ```
/// The old full sync: the snapshot with `$<len>` framing, then the stream.
fn sync(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if !can_sync(ctx)? {
        return Ok(());
    }
    wait_full_sync(ctx, false);
    Ok(())
}

/// ```text
/// WAIT numreplicas timeout
/// ```
/// Blocks until `numreplicas` replicas acknowledged every write made so far, or
/// `timeout` ms passed (0 = forever); replies with how many did.
/// # Errors
/// On a replica; `ERR timeout is negative`; not an integer.
fn wait(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.server.repl.is_replica() {
        return Err(CmdError::msg(
            "ERR WAIT cannot be used with replica instances. Please also note that since \
             Redis 4.0 if a replica is configured to be writable (which is not the default) \
             writes to replicas are just local and are not propagated.",
        ));
    }
    let replicas = parse_i64(req.arg(1))?;
    let timeout = parse_i64(req.arg(2))?;
    if timeout < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let pending = ctx.server.propagation.stream().len() as u64;
    let offset = ctx.server.repl.offset + pending;
    let acked = ctx.server.repl.acked(offset);
    if acked as i64 >= replicas || ctx.client().deny_blocking {
        ctx.out.int(acked as i64);
        return Ok(());
    }
    let deadline = if timeout == 0 {
        0
    } else {
        ctx.now.saturating_add(timeout)
    };
    ctx.server.repl.waiters.push(Waiter {
        token: ctx.me,
        replicas: replicas as u64,
        offset,
        deadline,
    });
    ctx.server.repl.getack_wanted = true;
    let db = ctx.client().db;
    ctx.client_mut().blocked = Some(Box::new(crate::runtime::blocking::BlockedOn {
        db,
        keys: Vec::new(),
        kind: crate::store::Kind::String,
        deadline: 0,
        on_timeout: crate::runtime::blocking::TimeoutReply::NullArray,
        request: OwnedRequest::from_request(req),
    }));
    ctx.server.blocking.add_blocked(ctx.me, 0);
    Ok(())
}

/// Redis's name for a replica link's state in ROLE.
fn link_role_state(state: LinkState) -> &'static str {
    match state {
        LinkState::Connect => "connect",
        LinkState::Connecting => "connecting",
        LinkState::Handshake => "handshake",
        LinkState::Transfer => "sync",
        LinkState::Connected => "connected",
    }
}

/// ```text
/// ROLE
/// ```
fn role(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let repl = &ctx.server.repl;
    if let Some(m) = &repl.master {
        ctx.out.array_len(5);
        ctx.out.bulk(b"slave");
        ctx.out.bulk(m.host.as_bytes());
        ctx.out.int(i64::from(m.port));
        ctx.out.bulk(link_role_state(m.state).as_bytes());
        let offset = if m.state == LinkState::Connected {
            repl.offset as i64
        } else {
            -1
        };
        ctx.out.int(offset);
        return Ok(());
    }
    ctx.out.array_len(3);
    ctx.out.bulk(b"master");
    ctx.out.int(repl.offset as i64);
    let online: Vec<(String, u16, u64)> = repl
        .replicas
        .iter()
        .filter(|(_, r)| r.state == ReplicaState::Online)
        .map(|(t, r)| (replica_ip(ctx, *t, r), r.port, r.ack_offset))
        .collect();
    ctx.out.array_len(online.len());
    for (ip, port, offset) in online {
        ctx.out.array_len(3);
        ctx.out.bulk(ip.as_bytes());
        ctx.out.bulk(port.to_string().as_bytes());
        ctx.out.bulk(offset.to_string().as_bytes());
    }
    Ok(())
}

/// The address a replica is known by: what it announced, else its peer address.
pub fn replica_ip(ctx: &Ctx<'_>, token: usize, r: &Replica) -> String {
    r.ip.clone().unwrap_or_else(|| {
        let addr = ctx
            .server
            .clients
            .get(token)
            .map(|c| c.addr.as_str())
            .unwrap_or("");
        match addr.rfind(':') {
            Some(cut) => addr[..cut].trim_matches(['[', ']']).to_string(),
            None => addr.to_string(),
        }
    })
}

/// ```text
/// REPLICAOF host port | NO ONE
/// SLAVEOF host port | NO ONE
/// ```
/// Follows a master (the link is made by the server, in the background), or stops
/// following one and becomes a master keeping the data set (psync2: the old id
/// stays valid for replicas that followed along).
/// # Errors
/// A port that is not an integer.
fn replicaof(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let now = ctx.now;
    if is(req.arg(1), "no") && is(req.arg(2), "one") {
        if let Some(m) = ctx.server.repl.master.take() {
            if let Some(token) = m.token {
                ctx.server.killed.push(token);
            }
            ctx.server.repl.shift_replid();
            // Expired keys are now ours to remove (and to propagate as DEL).
            ctx.store.set_expiring(crate::store::Expiring::Delete);
            ctx.server.config.repl.replicaof = None;
            // Our own writes now feed the backlog, starting with a SELECT.
            ctx.server.propagation.reset_selected();
            if ctx.server.repl.backlog.is_some() && !ctx.server.propagation.is_on() {
                ctx.server.propagation.set_on(true, ctx.store);
            }
            log::info!(
                "MASTER MODE enabled (user request from '{}')",
                ctx.client().addr
            );
        }
        ctx.server.repl.refresh_guard(&ctx.server.config.repl, now);
        ctx.out.ok();
        return Ok(());
    }
    let port = parse_i64(req.arg(2))?;
    let port = u16::try_from(port).map_err(|_| CmdError::msg("ERR Invalid master port"))?;
    let host = text(req.arg(1));
    if let Some(m) = &ctx.server.repl.master
        && m.host.eq_ignore_ascii_case(&host)
        && m.port == port
    {
        ctx.out.simple(b"OK Already connected to specified master");
        return Ok(());
    }
    follow(ctx.server, ctx.store, host, port, now);
    log::info!(
        "REPLICAOF {}:{} enabled (user request from '{}')",
        text(req.arg(1)),
        port,
        ctx.client().addr
    );
    ctx.out.ok();
    Ok(())
}

/// Makes this server follow `host:port` (REPLICAOF, the `replicaof` directive): the
/// link to an old master is dropped, the cron connects. From now on expired keys are
/// removed only by the master's `DEL`s.
pub fn follow(
    server: &mut crate::runtime::ServerState,
    store: &mut crate::store::Store,
    host: String,
    port: u16,
    now: i64,
) {
    store.set_expiring(crate::store::Expiring::Replica);
    if let Some(token) = server.repl.master_token() {
        server.killed.push(token);
    }
    server.config.repl.replicaof = Some((host.clone(), port));
    server.repl.master = Some(MasterLink {
        host,
        port,
        state: LinkState::Connect,
        token: None,
        last_io_ms: now,
        down_since_ms: now,
        processed: 0,
        transfer_read: 0,
        transfer_size: -1,
        ack_requested: false,
        db: 0,
    });
    // Clients waiting on WAIT get their answer: a replica does not wait.
    server.repl.refresh_guard(&server.config.repl, now);
}

/// INFO replication, with Redis 7.0's field names.
pub fn info(ctx: &Ctx<'_>, field: &mut dyn FnMut(&str, &dyn std::fmt::Display)) {
    let repl = &ctx.server.repl;
    let now = ctx.now.max(crate::store::now_ms());
    if let Some(m) = &repl.master {
        field("role", &"slave");
        field("master_host", &m.host);
        field("master_port", &m.port);
        let up = m.state == LinkState::Connected;
        field("master_link_status", &if up { "up" } else { "down" });
        let io_ago = if up { (now - m.last_io_ms) / 1000 } else { -1 };
        field("master_last_io_seconds_ago", &io_ago);
        let syncing = m.state == LinkState::Transfer;
        field("master_sync_in_progress", &u8::from(syncing));
        field("slave_read_repl_offset", &repl.offset);
        field("slave_repl_offset", &repl.offset);
        if syncing {
            let total = m.transfer_size;
            field("master_sync_total_bytes", &total);
            field("master_sync_read_bytes", &m.transfer_read);
            let left = if total < 0 {
                -1
            } else {
                total - m.transfer_read as i64
            };
            field("master_sync_left_bytes", &left);
            let perc = if total > 0 {
                m.transfer_read as f64 * 100.0 / total as f64
            } else {
                0.0
            };
            field("master_sync_perc", &format!("{perc:.2}"));
            field(
                "master_sync_last_io_seconds_ago",
                &((now - m.last_io_ms) / 1000),
            );
        }
        if !up {
            field(
                "master_link_down_since_seconds",
                &((now - m.down_since_ms) / 1000),
            );
        }
        field("slave_priority", &ctx.server.config.repl.replica_priority);
        field(
            "slave_read_only",
            &u8::from(ctx.server.config.repl.replica_read_only),
        );
        field("replica_announced", &1);
    } else {
        field("role", &"master");
    }
    let listed: Vec<_> = repl
        .replicas
        .iter()
        .filter(|(_, r)| r.state != ReplicaState::Handshake)
        .collect();
    field("connected_slaves", &listed.len());
    if ctx.server.config.repl.min_replicas_to_write > 0 {
        field("min_slaves_good_slaves", &repl.good_replicas);
    }
    for (i, (token, r)) in listed.into_iter().enumerate() {
        let line = format!(
            "ip={},port={},state={},offset={},lag={}",
            replica_ip(ctx, *token, r),
            r.port,
            r.state.name(),
            r.ack_offset,
            (now - r.ack_ms).max(0) / 1000
        );
        field(&format!("slave{i}"), &line);
    }
    field("master_failover_state", &"no-failover");
    field("master_replid", &repl.replid);
    field("master_replid2", &repl.replid2);
    field("master_repl_offset", &repl.offset);
    field("second_repl_offset", &repl.second_offset);
    let backlog = repl.backlog.as_ref();
    field("repl_backlog_active", &u8::from(backlog.is_some()));
    field(
        "repl_backlog_size",
        &backlog.map_or(ctx.server.config.repl.backlog_size, |b| b.size()),
    );
    field(
        "repl_backlog_first_byte_offset",
        &backlog.map_or(0, |b| b.first_offset()),
    );
    field("repl_backlog_histlen", &backlog.map_or(0, |b| b.histlen()));
}
