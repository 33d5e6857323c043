//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH, and RESET (which ends them too).
//!
//! After MULTI, [`super::dispatch`] checks each command as usual (existence, arity,
//! argument kinds), then hands it to [`queue`] instead of running it: a copy of the
//! request joins the client's [`Transaction`] and the reply is `+QUEUED`. A command
//! refused at that point dooms the transaction ([`flag_error`]): EXEC then replies
//! EXECABORT. EXEC runs the queue in one go (the server runs one command at a time,
//! so no other client's command comes in between), with blocking commands replying
//! as timed out, and replies with an array of their replies; a command failing at
//! run time leaves its error in place and the rest still runs. The WATCH side lives
//! in [`crate::runtime::watch`].

use super::CommandSpec;
use super::Ctx;
use super::connection::auth::{self, Denied};
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Request, RespVersion};
use crate::runtime::transaction::Transaction;
use crate::runtime::watch;
use crate::spec::{Flags, Group, KeySpec};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "multi",
        1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        Group::Transactions,
        "Starts a transaction.",
        multi,
    )
    .acl(cats!(TRANSACTION)),
    CommandSpec::new(
        "exec",
        1,
        flags!(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG),
        Group::Transactions,
        "Executes all commands in a transaction.",
        exec,
    )
    .acl(cats!(TRANSACTION)),
    CommandSpec::new(
        "discard",
        1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        Group::Transactions,
        "Discards a transaction.",
        discard,
    )
    .acl(cats!(TRANSACTION)),
    CommandSpec::new(
        "watch",
        -2,
        flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        Group::Transactions,
        "Monitors changes to keys to determine the execution of a transaction.",
        watch_cmd,
    )
    .acl(cats!(TRANSACTION))
    .keys(&[KeySpec::range(kf!(RO), 1, -1, 1)]),
    CommandSpec::new(
        "unwatch",
        1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY),
        Group::Transactions,
        "Forgets about watched keys of a transaction.",
        unwatch,
    )
    .acl(cats!(TRANSACTION)),
    CommandSpec::new(
        "reset",
        1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        Group::Connection,
        "Resets the connection.",
        reset,
    )
    .acl(cats!(CONNECTION)),
];

/// True when `spec` runs at once inside MULTI instead of being queued, as Redis's
/// `processCommand` lets through.
pub fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "multi" | "exec" | "discard" | "watch" | "quit" | "reset"
    )
}

/// Queues a checked command of a client in MULTI and replies `+QUEUED`.
/// # Errors
/// `ERR Command not allowed inside a transaction` for a NO_MULTI command (the
/// caller then dooms the transaction).
pub fn queue(ctx: &mut Ctx<'_>, spec: &CommandSpec, req: &Request<'_>) -> Result<(), CmdError> {
    if spec.resolve(req).flags.contains(Flags::NO_MULTI) {
        return Err(CmdError::msg(
            "ERR Command not allowed inside a transaction",
        ));
    }
    let client = ctx.client_mut();
    let doomed = client.watch.is_dirty();
    if let Some(tx) = client.multi.as_mut()
        && !tx.aborted
        && !doomed
    {
        // A doomed transaction keeps nothing: EXEC will not run it anyway.
        tx.bytes += req.args().map(<[u8]>::len).sum::<usize>();
        tx.queued.push(OwnedRequest::from_request(req));
    }
    ctx.out.simple(b"QUEUED");
    Ok(())
}

/// Dooms the client's transaction, if it has one: a command was refused while
/// queueing (Redis's `flagTransaction`).
pub fn flag_error(ctx: &mut Ctx<'_>) {
    if let Some(tx) = ctx.client_mut().multi.as_mut() {
        tx.aborted = true;
        tx.queued = Vec::new();
        tx.bytes = 0;
    }
}

/// Ends the client's transaction and forgets its watches (Redis's `discardTransaction`).
pub fn discard_transaction(ctx: &mut Ctx<'_>) {
    end_transaction(ctx);
}

/// Ends the client's transaction and forgets its watches, returning it.
fn end_transaction(ctx: &mut Ctx<'_>) -> Option<Box<Transaction>> {
    let tx = ctx.client_mut().multi.take();
    watch::unwatch(ctx.server, ctx.me);
    tx
}

/// ```text
/// MULTI
/// ```
/// # Errors
/// `ERR MULTI calls can not be nested`.
fn multi(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let client = ctx.client_mut();
    if client.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    client.multi = Some(Box::default());
    ctx.out.ok();
    Ok(())
}

/// ```text
/// EXEC
/// ```
/// The array of the queued commands' replies; a null array when a watched key
/// changed.
/// # Errors
/// `ERR EXEC without MULTI`, `EXECABORT Transaction discarded because of previous
/// errors.` (the transaction ends either way).
fn exec(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.client().multi.is_none() {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    }
    let watch_failed = watch::exec_fails(ctx.store, ctx.client(), ctx.now);
    let Some(tx) = end_transaction(ctx) else {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    };
    if tx.aborted {
        return Err(CmdError::msg(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if watch_failed {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array_len(tx.queued.len());
    let deny_blocking = std::mem::replace(&mut ctx.client_mut().deny_blocking, true);
    for req in &tx.queued {
        let req = req.request();
        if let Some(reason) = permission_revoked(ctx, &req) {
            let text = format!(
                "NOPERM ACLs rules changed between the moment the transaction was \
                 accumulated and the EXEC call. This command is no longer allowed for the \
                 following reason: {reason}"
            );
            ctx.server.count_error(&text);
            ctx.out.error(&text);
            continue;
        }
        super::rerun(ctx, &req);
    }
    ctx.client_mut().deny_blocking = deny_blocking;
    Ok(())
}

/// Why the client's user may no longer run queued `req`, if its ACL rules changed
/// since MULTI (Redis's check at EXEC); counted as any ACL refusal.
fn permission_revoked(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Option<&'static str> {
    if !ctx.server.acl.checks() {
        return None;
    }
    let (index, spec) = super::lookup(ctx.server, req.arg(0))?;
    let Some(user) = ctx.server.acl.user(ctx.client().user) else {
        // Its user was deleted: the client is being disconnected.
        return Some("no permission");
    };
    let denied = auth::permission(user, index, spec, req).err()?;
    denied.count(&mut ctx.server.stats);
    Some(match denied {
        Denied::Command(_) => "no permission to execute the command or subcommand",
        Denied::Key(_) => "no permission to touch the specified keys",
        Denied::Channel(_) => "no permission to access one of the channels used as arguments",
    })
}

/// ```text
/// DISCARD
/// ```
/// # Errors
/// `ERR DISCARD without MULTI`.
fn discard(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.client().multi.is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    end_transaction(ctx);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// WATCH key [key ...]
/// ```
/// # Errors
/// `ERR WATCH inside MULTI is not allowed`.
fn watch_cmd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.client().multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    // A dirty client's EXEC fails anyway: no point in watching more.
    if !ctx.client().watch.is_dirty() {
        let db = ctx.db();
        for key in req.args().skip(1) {
            watch::watch(ctx.store, ctx.server, ctx.me, db, key, ctx.now);
        }
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// UNWATCH
/// ```
fn unwatch(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    watch::unwatch(ctx.server, ctx.me);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// RESET
/// ```
/// `+RESET`, after ending any transaction, forgetting watches, and going back to
/// database 0, RESP2, the default user, no subscriptions, no name and replies on (Redis's
/// `clearClientConnectionState`).
fn reset(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    end_transaction(ctx);
    auth::reset_auth(ctx);
    crate::runtime::pubsub::forget(ctx.server, ctx.me);
    let client = ctx.client_mut();
    client.db = 0;
    client.resp = RespVersion::V2;
    client.name.clear();
    client.reply_off = false;
    client.reply_skip_next = false;
    ctx.out.set_version(RespVersion::V2);
    ctx.out.simple(b"RESET");
    Ok(())
}
