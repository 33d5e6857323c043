//! String commands: GET SET and family.

use super::flags::*;
use super::{CommandSpec, Ctx, DocArgs};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::store::Value;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "get",
        2,
        READONLY | FAST,
        (1, 1, 1),
        "string",
        "Returns the string value of a key.",
        get,
    ),
    CommandSpec::new(
        "set",
        -3,
        WRITE | DENYOOM,
        (1, 1, 1),
        "string",
        "Sets the string value of a key, ignoring its type.",
        set,
    )
    .with_docs(DocArgs::At(2)),
];

/// Writes a stored string or document as GET returns it; WRONGTYPE for other types.
pub fn reply_value(ctx: &mut Ctx<'_>, value: &Value) -> Result<(), CmdError> {
    match value {
        Value::Str(s) => ctx.out.bulk(s),
        Value::Int(n) => ctx.out.bulk_int(*n),
        Value::Doc(d) => ctx.out.raw(d),
    }
    Ok(())
}

/// The value to store for argument `i`: a document keeps its RESP bytes.
pub fn value_arg(req: &Request<'_>, i: usize) -> Value {
    if req.is_doc(i) {
        Value::Doc(req.arg(i).into())
    } else {
        Value::from_bytes(req.arg(i))
    }
}

/// ```text
/// GET key
/// ```
/// The value, a document as it was sent, or null.
fn get(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    match ctx.lookup_read(req.arg(1)) {
        None => ctx.out.null(),
        Some(i) => {
            let db = ctx.db();
            let entry = ctx.store.db(db).entry_ref(i);
            match &entry.value {
                Value::Str(s) => ctx.out.bulk(s),
                Value::Int(n) => ctx.out.bulk_int(*n),
                Value::Doc(d) => ctx.out.raw(d),
            }
        }
    }
    Ok(())
}

/// ```text
/// SET key value
/// ```
fn set(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let value = value_arg(req, 2);
    let db = ctx.db();
    ctx.store.db(db).insert(req.arg(1), value, 0);
    ctx.store.dirty += 1;
    ctx.out.ok();
    Ok(())
}
