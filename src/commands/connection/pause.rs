//! CLIENT PAUSE and CLIENT UNPAUSE ([`crate::runtime::pause`]).

use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::runtime::pause::PauseKind;

/// ```text
/// CLIENT PAUSE timeout [WRITE | ALL]
/// ```
/// Holds the commands of every client (ALL, the default) or the writing ones
/// (WRITE) for `timeout` milliseconds, or until CLIENT UNPAUSE.
/// # Errors
/// `ERR CLIENT PAUSE mode must be WRITE or ALL`, `ERR timeout is not an integer or
/// out of range`, `ERR timeout is negative`.
pub fn client_pause(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 4 {
        return Err(CmdError::Syntax);
    }
    let kind = if req.len() == 4 {
        if is(req.arg(3), "write") {
            PauseKind::Write
        } else if is(req.arg(3), "all") {
            PauseKind::All
        } else {
            return Err(CmdError::msg("ERR CLIENT PAUSE mode must be WRITE or ALL"));
        }
    } else {
        PauseKind::All
    };
    let ms = parse_i64(req.arg(2))
        .map_err(|_| CmdError::msg("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(CmdError::msg("ERR timeout is negative"));
    }
    let end = ctx.now.saturating_add(ms);
    ctx.server.pause.start(kind, end);
    // Nothing expires while paused (Redis's expireIfNeeded): the data set stays as is.
    ctx.store.set_expiry_paused(true);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT UNPAUSE
/// ```
/// Ends the pause; the held commands run.
pub fn client_unpause(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let ServerState {
        pause, blocking, ..
    } = &mut *ctx.server;
    pause.stop(&mut blocking.woken);
    ctx.store.set_expiry_paused(false);
    ctx.out.ok();
    Ok(())
}

use crate::runtime::ServerState;
