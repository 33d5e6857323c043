//! Commands that copy or move a key between databases: COPY and MOVE.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::{Event, Key, class};
use crate::{cats, flags, kf};

/// The event on the destination of a COPY.
const COPY_TO: Event = Event::new(class::GENERIC, "copy_to");
/// The event on the key in its old database, after MOVE.
const MOVE_FROM: Event = Event::new(class::GENERIC, "move_from");
/// The event on the key in its new database, after MOVE.
const MOVE_TO: Event = Event::new(class::GENERIC, "move_to");

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
    let Some(k) = ctx.read_key(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let (value, expire_at) = (k.value().clone(), k.expire_at());
    let now = ctx.now;
    // A destination replaced is deleted, then added (a `new` key, as Redis's dbDelete
    // + dbAdd); the one change is `copy_to`.
    let old = match ctx.store.write_key(dst_db, dst, now) {
        Some(d) if replace => Some(d.take()),
        Some(d) => {
            d.unchanged();
            ctx.out.int(0);
            return Ok(());
        }
        None => None,
    };
    if let Some(old) = old {
        ctx.store.dispose(old.value);
    }
    // The lookup above found `dst` missing, or deleted it.
    ctx.store
        .insert_missing(dst_db, dst, value, expire_at)
        .changed(COPY_TO);
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
    let now = ctx.now;
    // Each handle is finished before the next is taken: `key` is found again by key
    // once the destination is checked.
    if ctx.write_key(key).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    if ctx.store.write_key(dst_db, key, now).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let Some(k) = ctx.write_key(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let entry = k.take();
    // The lookup above found `key` missing in `dst_db`. The move is recorded below,
    // naming both databases (one change).
    ctx.store
        .insert_missing(dst_db, key, entry.value, entry.expire_at)
        .unchanged();
    ctx.store
        .record_write(src_db, Key::from_slice(key), MOVE_FROM, 1);
    ctx.store
        .record_write(dst_db, Key::from_slice(key), MOVE_TO, 0);
    ctx.out.int(1);
    Ok(())
}
