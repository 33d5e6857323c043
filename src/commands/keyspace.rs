//! Generic key commands: DEL EXISTS TYPE KEYS SCAN RANDOMKEY RENAME EXPIRE TTL ...

use super::flags::*;
use super::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::Request;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "del",
    -2,
    WRITE,
    (1, -1, 1),
    "generic",
    "Deletes one or more keys.",
    del,
)];

/// ```text
/// DEL key [key ...]
/// ```
/// The number of keys removed.
fn del(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut removed = 0;
    for key in req.args().skip(1) {
        if ctx.lookup_write(key).is_some() {
            ctx.current_db().remove(key);
            removed += 1;
        }
    }
    ctx.store.dirty += removed as u64;
    ctx.out.int(removed);
    Ok(())
}
