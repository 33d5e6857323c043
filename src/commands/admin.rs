//! Server commands: DBSIZE INFO COMMAND CONFIG FLUSHDB FLUSHALL SHUTDOWN.

use super::flags::*;
use super::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::Request;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "dbsize",
    1,
    READONLY | FAST,
    (0, 0, 0),
    "server",
    "Returns the number of keys in the database.",
    dbsize,
)];

/// ```text
/// DBSIZE
/// ```
fn dbsize(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let n = ctx.current_db().len();
    ctx.out.int(n as i64);
    Ok(())
}
