//! Connection commands: PING ECHO QUIT SELECT HELLO AUTH CLIENT (CLIENT's
//! subcommands are in `client.rs`, AUTH in `auth.rs`).

use super::client;
use crate::REDIS_VERSION;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64, text};
use crate::error::CmdError;
use crate::protocol::reply::PONG;
use crate::protocol::{Request, RespVersion};
use crate::spec::Group;
use crate::{cats, flags};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "ping",
        -1,
        flags!(FAST),
        Group::Connection,
        "Returns the server's liveliness response.",
        ping,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "echo",
        2,
        flags!(LOADING | STALE | FAST),
        Group::Connection,
        "Returns the given string.",
        echo,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "quit",
        -1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        Group::Connection,
        "Closes the connection.",
        quit,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "select",
        2,
        flags!(LOADING | STALE | FAST),
        Group::Connection,
        "Changes the selected database.",
        select,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "hello",
        -1,
        flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        Group::Connection,
        "Handshakes with the Redis server.",
        hello,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "auth",
        -2,
        flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY),
        Group::Connection,
        "Authenticates the connection.",
        super::auth::auth,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client",
        -2,
        flags!(),
        Group::Connection,
        "A container for client connection commands.",
        client::client,
    )
    .subcommands(client::SUBCOMMANDS),
];

/// ```text
/// PING [message]
/// ```
/// `+PONG`, or the message as a bulk string; `["pong", message or ""]` for a RESP2
/// subscriber.
fn ping(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() <= 2 && ctx.client().pubsub.is_some() && !ctx.out.is_resp3() {
        // A RESP2 subscriber reads only arrays: `["pong", message or ""]`.
        ctx.out.array_len(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(if req.len() == 2 { req.arg(1) } else { b"" });
        return Ok(());
    }
    match req.len() {
        1 => ctx.out.raw(PONG),
        2 => ctx.out.bulk(req.arg(1)),
        _ => return Err(CmdError::Arity("ping".into())),
    }
    Ok(())
}

/// ```text
/// ECHO message
/// ```
fn echo(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.bulk(req.arg(1));
    Ok(())
}

/// ```text
/// QUIT
/// ```
/// `+OK`, then the connection closes.
fn quit(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.ok();
    ctx.client_mut().close_after_reply = true;
    Ok(())
}

/// ```text
/// SELECT index
/// ```
/// # Errors
/// `ERR value is not an integer or out of range`, `ERR DB index is out of range`.
fn select(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let index = crate::commands::args::parse_i64(req.arg(1))?;
    if index < 0 || index as usize >= ctx.store.db_count() {
        return Err(CmdError::DbIndex);
    }
    ctx.client_mut().db = index as usize;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// HELLO [protover [AUTH username password] [SETNAME clientname]]
/// ```
/// Switches the reply protocol (the reply itself is in the new one) and describes the
/// server as a map.
/// # Errors
/// `ERR Protocol version is not an integer or out of range`,
/// `NOPROTO unsupported protocol version`, `WRONGPASS ...`,
/// `ERR Syntax error in HELLO option '...'`, the CLIENT SETNAME error, `NOAUTH HELLO
/// must be called with the client already authenticated, ...` when the client is not
/// authenticated (and gave no AUTH).
fn hello(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut version = None;
    if req.len() >= 2 {
        let v = parse_i64(req.arg(1))
            .map_err(|_| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
        version = Some(match v {
            2 => RespVersion::V2,
            3 => RespVersion::V3,
            _ => return Err(CmdError::msg("NOPROTO unsupported protocol version")),
        });
    }
    let mut name = None;
    let mut j = 2;
    while j < req.len() {
        let more = req.len() - 1 - j;
        let opt = req.arg(j);
        if is(opt, "auth") && more >= 2 {
            super::auth::authenticate(ctx, req.arg(j + 1), req.arg(j + 2))?;
            j += 3;
        } else if is(opt, "setname") && more >= 1 {
            let n = req.arg(j + 1);
            if !client::valid_name(n) {
                return Err(client::bad_name());
            }
            name = Some(n);
            j += 2;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                text(opt)
            )));
        }
    }
    if ctx.server.acl.auth_required(ctx.client().authenticated) {
        return Err(super::auth::hello_noauth());
    }
    let client = ctx.client_mut();
    if let Some(n) = name {
        client.name = n.to_vec();
    }
    if let Some(v) = version {
        client.resp = v;
        ctx.out.set_version(v);
    }
    let (id, proto) = (ctx.client().id, ctx.client().resp);
    let out = &mut ctx.out;
    out.map_len(7);
    out.bulk(b"server");
    out.bulk(b"redis");
    out.bulk(b"version");
    out.bulk(REDIS_VERSION.as_bytes());
    out.bulk(b"proto");
    out.int(if proto == RespVersion::V3 { 3 } else { 2 });
    out.bulk(b"id");
    out.int(id as i64);
    out.bulk(b"mode");
    out.bulk(b"standalone");
    out.bulk(b"role");
    out.bulk(b"master");
    out.bulk(b"modules");
    out.array_len(0);
    Ok(())
}
