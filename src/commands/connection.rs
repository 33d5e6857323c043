//! Connection commands: PING ECHO QUIT SELECT HELLO CLIENT.

use super::flags::*;
use super::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::protocol::reply::PONG;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "ping",
        -1,
        FAST | STALE | LOADING,
        (0, 0, 0),
        "connection",
        "Returns the server's liveliness response.",
        ping,
    ),
    CommandSpec::new(
        "echo",
        2,
        FAST,
        (0, 0, 0),
        "connection",
        "Returns the given string.",
        echo,
    ),
    CommandSpec::new(
        "quit",
        -1,
        FAST | NO_AUTH | STALE | LOADING,
        (0, 0, 0),
        "connection",
        "Closes the connection.",
        quit,
    ),
    CommandSpec::new(
        "select",
        2,
        FAST | LOADING | STALE,
        (0, 0, 0),
        "connection",
        "Changes the selected database.",
        select,
    ),
];

/// ```text
/// PING [message]
/// ```
/// `+PONG`, or the message as a bulk string.
fn ping(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
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
    let index = super::args::parse_i64(req.arg(1))?;
    if index < 0 || index as usize >= ctx.store.db_count() {
        return Err(CmdError::DbIndex);
    }
    ctx.client_mut().db = index as usize;
    ctx.out.ok();
    Ok(())
}
