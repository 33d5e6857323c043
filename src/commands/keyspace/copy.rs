//! Commands that copy or move a key between databases: COPY and MOVE.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "copy",
        -3,
        flags!(WRITE | DENYOOM),
        Group::Generic,
        "Copies the value of a key to a new key.",
        copy,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[
        KeySpec::at(kf!(RO | ACCESS), 1),
        KeySpec::at(kf!(OW | UPDATE), 2),
    ]),
    CommandSpec::new(
        "move",
        3,
        flags!(WRITE | FAST),
        Group::Generic,
        "Moves a key to another database.",
        move_key,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
];

/// Redis's reply when source and destination are the same key.
const SAME_OBJECT: &str = "ERR source and destination objects are the same";

/// A database index argument: an integer that fits C's `int` (else
/// `ERR value is not an integer or out of range`) naming an existing database (else
/// `ERR DB index is out of range`), as Redis's `getIntFromObjectOrReply` + `selectDb`.
fn db_arg(ctx: &Ctx<'_>, arg: &[u8]) -> Result<usize, CmdError> {
    let n = parse_i64(arg)?;
    i32::try_from(n).map_err(|_| CmdError::NotInteger)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n < ctx.store.db_count())
        .ok_or(CmdError::DbIndex)
}

/// ```text
/// COPY source destination [DB destination-db] [REPLACE]
/// ```
/// 1 when copied (with the source's TTL), 0 when the source is missing or the
/// destination exists without REPLACE.
/// # Errors
/// `ERR source and destination objects are the same`, `ERR DB index is out of range`,
/// `ERR syntax error`.
fn copy(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (src, dst) = (req.arg(1), req.arg(2));
    let mut replace = false;
    let mut dst_db = ctx.db();
    let mut i = 3;
    while i < req.len() {
        if is(req.arg(i), "replace") {
            replace = true;
        } else if is(req.arg(i), "db") && i + 1 < req.len() {
            dst_db = db_arg(ctx, req.arg(i + 1))?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let src_db = ctx.db();
    if src_db == dst_db && src == dst {
        return Err(CmdError::msg(SAME_OBJECT));
    }
    let Some(at) = ctx.lookup_read(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let db = ctx.store.db(src_db);
    let value = db.value_ref(at).clone();
    let expire_at = db.expire_at(at);
    if let Some(existing) = ctx.store.lookup_write(dst_db, dst, ctx.now) {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        let old = ctx.store.db(dst_db).remove_index(existing);
        ctx.store.dispose(old.value);
    }
    ctx.store.db(dst_db).insert(dst, value, expire_at);
    ctx.store.dirty += 1;
    ctx.changed_in(dst_db, dst, notify::GENERIC, "copy_to");
    ctx.out.int(1);
    Ok(())
}

/// ```text
/// MOVE key db
/// ```
/// 1 when moved (with its TTL), 0 when the key is missing here or exists there.
/// # Errors
/// `ERR source and destination objects are the same`, `ERR DB index is out of range`.
fn move_key(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let dst_db = db_arg(ctx, req.arg(2))?;
    let src_db = ctx.db();
    if src_db == dst_db {
        return Err(CmdError::msg(SAME_OBJECT));
    }
    let Some(at) = ctx.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    if ctx.store.lookup_write(dst_db, key, ctx.now).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let entry = ctx.store.db(src_db).remove_index(at);
    ctx.store
        .db(dst_db)
        .insert(key, entry.value, entry.expire_at);
    ctx.store.dirty += 1;
    ctx.changed_in(src_db, key, notify::GENERIC, "move_from");
    ctx.changed_in(dst_db, key, notify::GENERIC, "move_to");
    ctx.out.int(1);
    Ok(())
}
