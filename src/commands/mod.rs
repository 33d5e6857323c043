//! The command room: a request and a [`Ctx`] in, replies and store changes out.
//! No sockets, no mio: the server hands each parsed request to [`dispatch`].
//!
//! Every command is one [`CommandSpec`] line in its family's `COMMANDS` table
//! (`string/value.rs`, `keyspace/generic.rs`, ...); [`table`] gathers them. Each
//! family has its folder (`string/`, `list/`, `hash/`, `set/`, `zset/`, `keyspace/`,
//! `server/`, `connection/`, `scripting/`; `pubsub.rs` and `multi.rs` are one file). [`dispatch`] checks
//! existence, arity, authentication and ACL permissions ([`connection::auth`]) and document
//! arguments in one place, as Redis's `processCommand`.

pub mod args;
pub mod blocked;
pub mod connection;
pub mod ctx;
pub mod events;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod keyspace;
pub mod list;
pub mod multi;
#[cfg(test)]
mod propagate_tests;
pub mod pubsub;
pub mod scan;
pub mod scripting;
pub mod server;
pub mod set;
pub mod stream;
pub mod string;
pub mod table;
pub mod zset;

pub use crate::config::keyspace_events as notify;
pub use crate::runtime::{ClientInfo, ServerState};
pub use ctx::Ctx;

use crate::error::CmdError;
use crate::protocol::Request;
use crate::runtime::observe::ticks;

/// A command handler: validates its arguments, then writes its reply through `ctx.out`.
/// On `Err`, dispatch takes back whatever it wrote and writes the error reply alone.
pub type Handler = fn(&mut Ctx<'_>, &Request<'_>) -> Result<(), CmdError>;

pub use crate::spec::{DocArgs, Flags};

/// One command's declaration: [`crate::spec::CommandSpec`] with this room's handler.
pub type CommandSpec = crate::spec::CommandSpec<Handler>;

/// Runs one request: looks the command up, checks it, calls its handler, and writes
/// the error reply if it fails. Never panics on client input.
pub fn dispatch(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    if req.is_empty() {
        return;
    }
    ctx.server.stats.commands_processed += 1;
    let Some((index, spec)) = lookup(ctx.server, req.arg(0)) else {
        reject(ctx, None, unknown_command(req));
        return;
    };
    ctx.client_mut().last_command = spec.name;
    if !spec.arity_ok(req.len()) {
        reject(ctx, Some(index), CmdError::Arity(spec.name.to_string()));
        return;
    }
    // One bool while only a password-less, unrestricted default user exists.
    if ctx.server.acl.checks()
        && let Err(e) = connection::auth::check(ctx, index, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    if req.doc_positions().iter().any(|&i| !spec.docs.allows(i)) {
        reject(ctx, Some(index), CmdError::DocArgument);
        return;
    }
    // One comparison while no maxmemory is set, one atomic load more while memory is
    // under it (Redis's processCommand evicts here, and refuses commands that may grow
    // memory when nothing more can go).
    if ctx.server.config.maxmemory != 0 {
        if crate::runtime::evict::counted_memory() <= ctx.server.config.maxmemory {
            // What a script started by this command sees (pre_command_oom_state).
            ctx.server.out_of_memory = false;
        } else if out_of_memory(ctx, spec, req) {
            reject(ctx, Some(index), CmdError::msg(OOM));
            return;
        }
    }
    // One bool while the last background save is fine (Redis's processCommand checks
    // writeCommandsDeniedByDiskError here, before queueing in MULTI).
    if ctx.server.persistence.deny_writes
        && ctx.server.repl.master_token() != Some(ctx.me)
        && let Some(e) = server::persistence::write_refused(ctx, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    // One bool on a master without `min-replicas-to-write` (Redis's processCommand:
    // -READONLY on a read-only replica, -NOREPLICAS with too few good replicas).
    if ctx.server.repl.guard
        && let Some(e) = server::replication::write_refused(ctx, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    if ctx.client().pubsub.is_some()
        && let Some(e) = pubsub::subscriber_mode_error(ctx, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    if ctx.client().multi.is_some() && !multi::runs_inside_multi(spec) {
        if let Err(e) = multi::queue(ctx, spec, req) {
            reject(ctx, Some(index), e);
        }
        return;
    }
    call(ctx, index, spec, req);
    if ctx.server.tracking.active() && spec.name != "client" && ctx.client().multi.is_none() {
        // CLIENT CACHING applies to the next command only (Redis's resetClient).
        if let Some(mode) = ctx.client_mut().tracking.as_mut() {
            mode.caching = false;
        }
    }
}

/// After a read-only command of a tracking client: remembers its keys for
/// invalidation (Redis's `call` → `trackingRememberKeys`; scripts' own read-only
/// entry points are left out, their commands count one by one).
#[cold]
#[inline(never)]
fn track_keys(ctx: &mut Ctx<'_>, spec: &CommandSpec, req: &Request<'_>) {
    let entry = spec.resolve(req);
    if !entry.flags.contains(Flags::READONLY)
        || entry.flags.contains(Flags::PUBSUB)
        || matches!(spec.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
        || ctx.client().tracking.is_none()
    {
        return;
    }
    if ctx.client().in_script {
        // A script's read remembers the keys the script declared (Redis tracks the
        // caller's command: EVAL's or FCALL's keys).
        let declared: Vec<Vec<u8>> = ctx
            .server
            .observe
            .pending
            .as_ref()
            .map(|call| script_keys(&call.args).to_vec())
            .unwrap_or_default();
        crate::runtime::tracking::remember(
            ctx.server,
            ctx.me,
            declared.iter().map(|k| k.as_slice()),
        );
        return;
    }
    let positions = crate::acl::keys::key_positions(entry, req);
    crate::runtime::tracking::remember(ctx.server, ctx.me, positions.iter().map(|&i| req.arg(i)));
}

/// The keys an EVAL or FCALL declares (`name script numkeys key ... arg ...`).
fn script_keys(args: &[Vec<u8>]) -> &[Vec<u8>] {
    let n = args
        .get(2)
        .and_then(|n| std::str::from_utf8(n).ok())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let end = 3usize.saturating_add(n).min(args.len());
    args.get(3..end).unwrap_or(&[])
}

/// The command a client calls `name`, through the `rename-command`s in effect.
#[inline]
pub fn lookup(server: &ServerState, name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    match &server.renames {
        None => table::lookup_indexed(name),
        Some(renames) => table::lookup_renamed(renames, name),
    }
}

/// Redis's reply to a command refused because memory is over `maxmemory`.
pub const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// Evicts what the policy allows, then says whether `spec` must be refused: it may
/// grow memory (`denyoom`, or an EXEC of such commands, or anything queued inside
/// MULTI but EXEC, DISCARD, QUIT and RESET) and memory is still over the limit.
#[cold]
#[inline(never)]
fn out_of_memory(ctx: &mut Ctx<'_>, spec: &CommandSpec, req: &Request<'_>) -> bool {
    use crate::store::Evicted;
    let failed = crate::runtime::evict::perform(ctx.store, ctx.server, ctx.now) == Evicted::Fail;
    if ctx.store.has_events() {
        // Keys evicted before the command runs are nobody's write, and the caller's
        // own invalidations come before its reply (Redis sends them at once: the
        // command is not executing yet).
        ctx.server.tracking.writer = None;
        ctx.notify_store_events();
        for msg in crate::runtime::tracking::take_for(ctx.server, ctx.me) {
            ctx.out.raw(&msg);
        }
    }
    // What a script started by this command sees (Redis's pre_command_oom_state).
    ctx.server.out_of_memory = failed;
    if !failed {
        return false;
    }
    let denyoom = |s: &CommandSpec, r: &Request<'_>| {
        s.flags.contains(Flags::DENYOOM) || s.resolve(r).flags.contains(Flags::DENYOOM)
    };
    let tx = ctx.client().multi.as_ref();
    denyoom(spec, req)
        || (spec.name == "exec"
            && tx.is_some_and(|tx| {
                tx.queued.iter().any(|q| {
                    let q = q.request();
                    table::lookup_indexed(q.arg(0)).is_some_and(|(_, s)| denyoom(s, &q))
                })
            }))
        || (tx.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset"))
}

/// Runs a checked command's handler and counts it (Redis's `call`). A reply is all or
/// nothing: whatever a failing handler wrote before its error is taken back, so the
/// client sees the error alone.
fn call(ctx: &mut Ctx<'_>, index: usize, spec: &CommandSpec, req: &Request<'_>) {
    let observed = ctx.server.observes_writes();
    ctx.store.set_observed(observed);
    let mark = ctx.out.len();
    if !ctx.server.observe.monitors.is_empty()
        && propagates_effects_only(spec)
        && spec.name != "exec"
    {
        // Scripts are shown before the commands they run (Redis's evalGenericCommand).
        monitor_script(ctx, req);
    }
    let start = ticks::now();
    let result = if ctx.server.propagation.is_on() {
        call_propagated(ctx, spec, req)
    } else {
        (spec.handler)(ctx, req)
    };
    let ns = ticks::to_ns(ticks::now().wrapping_sub(start));
    if ctx.store.has_events() {
        ctx.server.tracking.writer = Some(ctx.me);
        ctx.notify_store_events();
    }
    if ctx.server.tracking.active() {
        track_keys(ctx, spec, req);
    }
    let pending = ctx.server.scripts.has_pending();
    let stats = ctx.server.command_stats(index);
    stats.calls += 1;
    if pending {
        defer_observation(ctx, index, spec, req, start);
    } else {
        stats.nanos += ns;
        observe(ctx, index, spec, req, ns);
    }
    if let Err(e) = result {
        ctx.out.truncate(mark);
        ctx.server.command_stats(index).failed_calls += 1;
        reply_error(ctx, &e);
    }
}

/// Counts a command's duration in its histogram, and takes the slow path (slow log,
/// latency event, monitors) past a threshold or while somebody monitors.
#[inline(always)]
fn observe(ctx: &mut Ctx<'_>, index: usize, spec: &CommandSpec, req: &Request<'_>, ns: u64) {
    let server = &mut *ctx.server;
    if server.config.observe.latency_tracking {
        let id = if spec.subcommands.is_empty() {
            index
        } else {
            histogram_id(server, index, req)
        };
        server.observe.record(id, ns);
    }
    if ns >= server.observe.cold_ns || !server.observe.monitors.is_empty() {
        let entry = spec.resolve(req);
        let args: Vec<&[u8]> = req.args().collect();
        let mut flags = entry.flags;
        if spec.flags.contains(Flags::SKIP_MONITOR) {
            flags = flags.union(Flags::SKIP_MONITOR);
        }
        server.observe_slow(ctx.me, entry.name, flags, &args, ns);
    }
}

/// The histogram id of a container's call: its subcommand's, else its own.
#[cold]
fn histogram_id(server: &ServerState, index: usize, req: &Request<'_>) -> usize {
    if req.len() < 2 {
        return index;
    }
    server
        .acl
        .registry()
        .sub_of(index, req.arg(1))
        .unwrap_or(index)
}

/// EVAL or FCALL left its script to run after the handler: its duration is
/// recorded once the script ends (`ServerState::finish_pending_call`).
#[cold]
#[inline(never)]
fn defer_observation(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
    start: u64,
) {
    ctx.server.observe.pending = Some(crate::runtime::observe::PendingCall {
        start,
        index,
        id: index,
        name: spec.name,
        flags: spec.flags,
        args: req.args().map(|a| a.to_vec()).collect(),
        failed: false,
    });
}

/// Shows a script command to the monitors before it runs.
#[cold]
#[inline(never)]
fn monitor_script(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    let args: Vec<&[u8]> = req.args().collect();
    let args = crate::runtime::observe::shown_args("", &args);
    ctx.server.feed_monitors(ctx.me, &args);
}

/// Runs the handler inside a propagation unit (AOF on): the keys the store expires
/// become DELs in order, then, if the command wrote (the dirty counter moved by more
/// than its expiries), its argv is propagated unless the handler asked for its own
/// form (`Ctx::propagate`) or it only runs others (EXEC, scripts: their commands
/// propagate themselves). Redis's `call` → `alsoPropagate` → `afterCommand`.
#[cold]
#[inline(never)]
fn call_propagated(
    ctx: &mut Ctx<'_>,
    spec: &CommandSpec,
    req: &Request<'_>,
) -> Result<(), CmdError> {
    if !ctx.server.propagation.in_unit() {
        // Expiries made outside commands (a blocked client's lookup) go first, alone.
        ctx.server.propagation.flush_expired(ctx.store);
    }
    let dirty = ctx.store.dirty();
    let expired = ctx.store.stats.expired_keys;
    let frame = ctx.server.propagation.begin();
    let result = (spec.handler)(ctx, req);
    let propagation = &mut ctx.server.propagation;
    propagation.collect_expired(ctx.store);
    let writes = (ctx.store.dirty() - dirty).saturating_sub(ctx.store.stats.expired_keys - expired);
    if writes > 0 && !propagation.asked() && !propagates_effects_only(spec) {
        let db = ctx.server.clients[ctx.me].db;
        ctx.server.propagation.push_request(db, req);
    }
    ctx.server.propagation.end(frame);
    result
}

/// Commands whose own argv is never propagated: they run others, which propagate
/// themselves (EXEC, scripts: Redis propagates a script's effects, not the script).
fn propagates_effects_only(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}

/// The reply to commands that cannot run while the data set loads (Redis's
/// `shared.loadingerr`, naming this server: clients match on `LOADING`).
pub const LOADING_ERROR: &str = "LOADING rudis is loading the dataset in memory";

/// [`dispatch`] for a client served while the data set loads at start-up: as
/// Redis's `processCommand`, an existing command with a valid arity from an
/// authenticated client is refused with `-LOADING` unless it is `LOADING`-flagged
/// (INFO, CONFIG, AUTH, HELLO, ...). Such commands see an empty store.
pub fn dispatch_while_loading(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    dispatch_refusing(ctx, req, |spec, req| {
        !spec.flags.contains(Flags::LOADING) && !spec.resolve(req).flags.contains(Flags::LOADING)
    });
}

/// [`dispatch`] for a client served while a replica loads a full sync aside
/// (`repl-diskless-load swapdb`, Redis's `async_loading`): commands run against the
/// old data set, except the `NO_ASYNC_LOADING` ones (SAVE, BGSAVE, REPLICAOF, ...),
/// refused with `-LOADING` as Redis's `processCommand` does.
pub fn dispatch_while_async_loading(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    dispatch_refusing(ctx, req, |spec, req| {
        spec.flags.contains(Flags::NO_ASYNC_LOADING)
            || spec.resolve(req).flags.contains(Flags::NO_ASYNC_LOADING)
    });
}

/// [`dispatch`], but an existing command with a valid arity from an authenticated
/// client that `refused` picks gets `-LOADING` (Redis's `processCommand`).
fn dispatch_refusing(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    refused: impl Fn(&CommandSpec, &Request<'_>) -> bool,
) {
    if req.is_empty() {
        return;
    }
    let authenticated = !ctx.server.acl.auth_required(ctx.client().authenticated);
    match lookup(ctx.server, req.arg(0)) {
        Some((index, spec)) if authenticated && spec.arity_ok(req.len()) && refused(spec, req) => {
            ctx.server.stats.commands_processed += 1;
            reject(ctx, Some(index), CmdError::msg(LOADING_ERROR));
        }
        _ => dispatch(ctx, req),
    }
}

/// [`dispatch`] for a client served while a slow script runs: as Redis's
/// `processCommand`, an existing command with a valid arity from an authenticated
/// client is refused with BUSY unless it is `ALLOW_BUSY` (SCRIPT KILL, SHUTDOWN,
/// MULTI, AUTH, ...). Kept apart so that dispatch, the hot path, pays nothing.
pub fn dispatch_while_busy(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    let refuse = |spec: &CommandSpec| {
        let allowed = spec.flags.contains(Flags::ALLOW_BUSY)
            || spec.resolve(req).flags.contains(Flags::ALLOW_BUSY);
        !allowed && spec.arity_ok(req.len())
    };
    if req.is_empty() {
        return;
    }
    let authenticated = !ctx.server.acl.auth_required(ctx.client().authenticated);
    match lookup(ctx.server, req.arg(0)) {
        Some((index, spec)) if authenticated && refuse(spec) => {
            ctx.server.stats.commands_processed += 1;
            reject(
                ctx,
                Some(index),
                CmdError::msg(scripting::busy_error(&ctx.server.scripts)),
            );
        }
        _ => dispatch(ctx, req),
    }
}

/// Runs a command for a script's `redis.call` (Redis's `scriptCall`): the checks of
/// dispatch that apply inside scripts, then the command, whose reply goes to
/// `ctx.out`. `Ok(true)` when it was a write command; `Err` when it was refused
/// (nothing written).
pub fn script_call(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    read_only: bool,
) -> Result<bool, CmdError> {
    let Some((index, spec)) = lookup(ctx.server, req.arg(0)) else {
        return Err(CmdError::msg(
            "ERR Unknown Redis command called from script",
        ));
    };
    let checked = script_call_allowed(ctx, index, spec, req, read_only);
    if checked.is_err() {
        // Counted as Redis's scriptCall does (incrCommandStatsOnError, REJECTED).
        ctx.server.command_stats(index).rejected_calls += 1;
    }
    let write = checked?;
    ctx.server.stats.commands_processed += 1;
    call(ctx, index, spec, req);
    Ok(write)
}

/// The checks `redis.call` makes before running a command (Redis's scriptCall):
/// whether it is a write, or why it is refused.
fn script_call_allowed(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
    read_only: bool,
) -> Result<bool, CmdError> {
    if !spec.arity_ok(req.len()) {
        return Err(CmdError::msg(
            "ERR Wrong number of args calling Redis command from script",
        ));
    }
    // A container's flags are its subcommand's (SCRIPT FLUSH, CONFIG SET).
    let entry = spec.resolve(req);
    if entry.flags.contains(Flags::NOSCRIPT) {
        return Err(CmdError::msg(
            "ERR This Redis command is not allowed from script",
        ));
    }
    if ctx.server.acl.checks() {
        connection::auth::check_from_script(ctx, index, spec, req)?;
    }
    let write = entry.flags.contains(Flags::WRITE);
    if read_only && write {
        return Err(CmdError::msg(
            "ERR Write commands are not allowed from read-only scripts.",
        ));
    }
    // A script that already wrote is not failed half-way (Redis's
    // scriptVerifyWriteCommandAllow).
    if write
        && ctx.server.persistence.deny_writes
        && !ctx.server.scripts.running.as_ref().is_some_and(|r| r.wrote)
    {
        return Err(CmdError::msg(
            ctx.server.persistence.write_denial(&ctx.server.config),
        ));
    }
    // Too few good replicas (or a read-only replica): a script without declared
    // flags is refused at its first write, unless it already wrote (Redis's
    // scriptVerifyWriteCommandAllow).
    if write
        && ctx.server.repl.guard
        && ctx.server.repl.master_token() != Some(ctx.me)
        && !ctx.server.scripts.running.as_ref().is_some_and(|r| r.wrote)
        && let Some(why) = ctx.server.repl.write_refusal(&ctx.server.config.repl)
    {
        return Err(CmdError::msg(why));
    }
    // Memory was over the limit when the script started: a command that may grow it
    // is refused, unless the script already wrote (Redis's scriptVerifyOOM).
    if ctx.server.config.maxmemory != 0
        && ctx.server.out_of_memory
        && entry.flags.contains(Flags::DENYOOM)
        && !ctx.server.scripts.running.as_ref().is_some_and(|r| r.wrote)
    {
        return Err(CmdError::msg(OOM));
    }
    Ok(write)
}

/// Runs again a request that was checked when it first came (a blocked client's
/// command, once its key is ready).
pub fn rerun(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    if let Some((index, spec)) = lookup(ctx.server, req.arg(0)) {
        // The slow log takes a blocked command when it completes (Redis's
        // updateStatsOnUnblock).
        ctx.server.observe.rerunning = true;
        call(ctx, index, spec, req);
        ctx.server.observe.rerunning = false;
    }
}

/// Refuses a command before it runs (Redis's `rejectCommand`); inside MULTI this
/// dooms the transaction. Cold: an error path, kept out of dispatch.
#[cold]
#[inline(never)]
fn reject(ctx: &mut Ctx<'_>, index: Option<usize>, e: CmdError) {
    multi::flag_error(ctx);
    if let Some(index) = index {
        ctx.server.command_stats(index).rejected_calls += 1;
        if ctx.client().multi.is_some() && table::name_at(index) == Some("exec") {
            // A refused EXEC still ends the transaction (Redis's execCommandAbort).
            multi::discard_transaction(ctx);
            let e = CmdError::msg(format!("EXECABORT Transaction discarded because of: {e}"));
            reply_error(ctx, &e);
            return;
        }
    }
    reply_error(ctx, &e);
}

fn reply_error(ctx: &mut Ctx<'_>, e: &CmdError) {
    let text = e.to_string();
    ctx.server.count_error(&text);
    ctx.out.error(&text);
}

/// Redis's text for an unknown command, quoting the first arguments.
fn unknown_command(req: &Request<'_>) -> CmdError {
    let name = String::from_utf8_lossy(req.arg(0));
    let name: String = name.chars().take(128).collect();
    let mut args = String::new();
    for i in 1..req.len() {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(req.arg(i));
        let text: String = text.chars().take(room).collect();
        args.push('\'');
        args.push_str(&text);
        args.push_str("' ");
    }
    CmdError::UnknownCommand(format!(
        "ERR unknown command '{name}', with args beginning with: {args}"
    ))
}

/// The error for an unknown subcommand of `cmd` (e.g. `CLIENT FOO`).
pub fn unknown_subcommand(cmd: &str, sub: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub)
            .chars()
            .take(128)
            .collect::<String>(),
        cmd.to_ascii_uppercase()
    ))
}

/// The arity error for a subcommand, named `cmd|sub` as Redis 7 does.
pub fn subcommand_arity(cmd: &str, sub: &[u8]) -> CmdError {
    CmdError::Arity(format!(
        "{}|{}",
        cmd,
        String::from_utf8_lossy(sub).to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::protocol::{OwnedRequest, Reply, RespVersion};
    use crate::runtime::{ClientInfo, ServerState};
    use crate::spec::Group;
    use crate::store::Store;
    use bytes::BytesMut;

    /// Writes half a reply, then fails, as a careless handler could.
    fn half_then_error(ctx: &mut Ctx<'_>, _: &Request<'_>) -> Result<(), CmdError> {
        ctx.out.array_len(2);
        ctx.out.bulk(b"first");
        Err(CmdError::msg("ERR second element failed"))
    }

    #[test]
    fn a_failing_handler_leaves_only_its_error() {
        let spec = CommandSpec::new(
            "halfway",
            1,
            crate::flags!(),
            Group::Generic,
            "test",
            half_then_error,
        );
        let mut store = Store::new(1);
        let mut server = ServerState::new(Config::default(), table::acl_registry());
        let me = server
            .clients
            .insert(ClientInfo::new(1, String::new(), String::new(), 0));
        let mut buf = BytesMut::from(&b"+earlier reply\r\n"[..]);
        let req = OwnedRequest::from_args([&b"halfway"[..]]);
        let mut ctx = Ctx {
            store: &mut store,
            server: &mut server,
            me,
            out: Reply::new(&mut buf, RespVersion::V2),
            now: 0,
        };
        call(&mut ctx, 0, &spec, &req.request());
        assert_eq!(
            &buf[..],
            b"+earlier reply\r\n-ERR second element failed\r\n"
        );
    }
}
