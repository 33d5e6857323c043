//! String commands that read and replace whole values: GET SET SETNX SETEX PSETEX
//! GETSET GETDEL GETEX MGET MSET MSETNX. Edits in place (APPEND, SETRANGE, INCR, ...)
//! are in `string_edit`.
//!
//! A document (nested RESP value) is stored where these commands take a value, and is
//! returned by the GET-like commands as the exact bytes the client sent.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::DocArgs;
use crate::commands::args::{is, parse_i64};
use crate::commands::notify;
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::{Event, Value, class};
use crate::{cats, flags, kf};

/// The event of a string write.
const SET: Event = Event::new(class::STRING, "set");

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "get",
        2,
        flags!(READONLY | FAST),
        Group::String,
        "Returns the string value of a key.",
        get,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "set",
        -3,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Sets the string value of a key, ignoring its type.",
        set,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE | VARIABLE_FLAGS), 1)])
    .with_docs(DocArgs::At(2)),
    CommandSpec::new(
        "setnx",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Set the string value of a key only when the key doesn't exist.",
        setnx,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(OW | INSERT), 1)])
    .with_docs(DocArgs::At(2)),
    CommandSpec::new(
        "setex",
        4,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Sets the string value and expiration time of a key.",
        setex,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(OW | UPDATE), 1)])
    .with_docs(DocArgs::At(3)),
    CommandSpec::new(
        "psetex",
        4,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Sets the string value and expiration time in milliseconds of a key.",
        psetex,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(OW | UPDATE), 1)])
    .with_docs(DocArgs::At(3)),
    CommandSpec::new(
        "getset",
        3,
        flags!(WRITE | DENYOOM | FAST),
        Group::String,
        "Returns the previous string value of a key after setting it to a new value.",
        getset,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)])
    .with_docs(DocArgs::At(2)),
    CommandSpec::new(
        "getdel",
        2,
        flags!(WRITE | FAST),
        Group::String,
        "Returns the string value of a key after deleting the key.",
        getdel,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
        "getex",
        -2,
        flags!(WRITE | FAST),
        Group::String,
        "Returns the string value of a key after setting its expiration time.",
        getex,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
        "mget",
        -2,
        flags!(READONLY | FAST),
        Group::String,
        "Atomically returns the string values of one or more keys.",
        mget,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::range(kf!(RO | ACCESS), 1, -1, 1)]),
    CommandSpec::new(
        "mset",
        -3,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Atomically creates or modifies the string values of one or more keys.",
        mset,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::range(kf!(OW | UPDATE), 1, -1, 2)])
    .with_docs(DocArgs::Every { first: 2, step: 2 }),
    CommandSpec::new(
        "msetnx",
        -3,
        flags!(WRITE | DENYOOM),
        Group::String,
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        msetnx,
    )
    .acl(cats!(STRING))
    .keys(&[KeySpec::range(kf!(OW | INSERT), 1, -1, 2)])
    .with_docs(DocArgs::Every { first: 2, step: 2 }),
];

/// True when GET can return `value` (a string or a document).
pub fn gettable(value: &Value) -> bool {
    matches!(value, Value::Str(_) | Value::Int(_) | Value::Doc(_))
}

/// Writes `value` as GET returns it: a string as a bulk string, a document as the
/// RESP bytes it was sent as; WRONGTYPE, with nothing written, for other types.
pub fn write_value(out: &mut Reply<'_>, value: &Value) -> Result<(), CmdError> {
    match value {
        Value::Str(s) => out.bulk(s),
        Value::Int(n) => out.bulk_int(*n),
        Value::Doc(d) => out.raw(d),
        _ => return Err(CmdError::WrongType),
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

/// Stores `value` under `key`, found at `found` by a lookup in this turn.
/// `ttl` is the new absolute expiry (0 = none), or `None` to keep the current one.
pub fn put(ctx: &mut Ctx<'_>, key: &[u8], found: Option<usize>, value: Value, ttl: Option<i64>) {
    let db = ctx.current_db();
    match found {
        Some(i) => {
            *db.value_at(i) = value;
            if let Some(at) = ttl {
                db.set_expire_at(i, at);
            }
        }
        None => db.insert(key, value, ttl.unwrap_or(0)),
    }
}

/// Writes the value at `found` as GET would (null when absent), after checking its type.
fn reply_found(ctx: &mut Ctx<'_>, found: Option<usize>) -> Result<(), CmdError> {
    match found {
        None => ctx.out.null(),
        Some(i) => {
            let db = ctx.db();
            let value = ctx.store.db(db).value_ref(i);
            write_value(&mut ctx.out, value)?;
        }
    }
    Ok(())
}

/// Fails with WRONGTYPE when the key at `found` holds something GET cannot return.
fn check_gettable(ctx: &mut Ctx<'_>, found: Option<usize>) -> Result<(), CmdError> {
    match found {
        Some(i) if !gettable(ctx.value(i)) => Err(CmdError::WrongType),
        _ => Ok(()),
    }
}

/// How an expire argument is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    /// `EX`: seconds from now.
    Ex,
    /// `PX`: milliseconds from now.
    Px,
    /// `EXAT`: a Unix time in seconds.
    ExAt,
    /// `PXAT`: a Unix time in milliseconds.
    PxAt,
}

/// The absolute expiry (Unix ms) an expire argument asks for, validated as Redis's
/// `getExpireMillisecondsOrReply`: positive, and no overflow once converted.
fn expire_time(now: i64, unit: ExpireUnit, arg: &[u8], cmd: &str) -> Result<i64, CmdError> {
    let n = parse_i64(arg)?;
    let invalid = || CmdError::msg(format!("ERR invalid expire time in '{cmd}' command"));
    let seconds = matches!(unit, ExpireUnit::Ex | ExpireUnit::ExAt);
    if n <= 0 || (seconds && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let ms = if seconds { n * 1000 } else { n };
    match unit {
        ExpireUnit::Ex | ExpireUnit::Px => ms.checked_add(now).ok_or_else(invalid),
        ExpireUnit::ExAt | ExpireUnit::PxAt => Ok(ms),
    }
}

/// Options of SET (from argument 3) or GETEX (from argument 2), parsed with the
/// compatibility rules of Redis's `parseExtendedStringArgumentsOrReply`.
#[derive(Debug, Default)]
struct ExtOptions {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    /// The unit and argument index of EX/PX/EXAT/PXAT.
    expire: Option<(ExpireUnit, usize)>,
}

/// Parses SET's options (`for_set`) or GETEX's; `ERR syntax error` on anything unknown,
/// repeated in a conflicting way, or missing its argument.
fn parse_options(req: &Request<'_>, first: usize, for_set: bool) -> Result<ExtOptions, CmdError> {
    let mut o = ExtOptions::default();
    let mut j = first;
    while j < req.len() {
        let opt = req.arg(j);
        let has_next = j + 1 < req.len();
        let no_expire = o.expire.is_none();
        let expire_unit = if is(opt, "ex") {
            Some(ExpireUnit::Ex)
        } else if is(opt, "px") {
            Some(ExpireUnit::Px)
        } else if is(opt, "exat") {
            Some(ExpireUnit::ExAt)
        } else if is(opt, "pxat") {
            Some(ExpireUnit::PxAt)
        } else {
            None
        };
        if let Some(unit) = expire_unit {
            // The same unit twice is accepted (the last wins), as Redis does.
            let compatible = o.expire.is_none_or(|(u, _)| u == unit);
            if o.keepttl || o.persist || !compatible || !has_next {
                return Err(CmdError::Syntax);
            }
            o.expire = Some((unit, j + 1));
            j += 2;
            continue;
        }
        if for_set && is(opt, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && is(opt, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && is(opt, "get") {
            o.get = true;
        } else if for_set && is(opt, "keepttl") && no_expire {
            o.keepttl = true;
        } else if !for_set && is(opt, "persist") && no_expire {
            o.persist = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// ```text
/// GET key
/// ```
/// The value, a document as it was sent, or null.
fn get(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    match ctx.read_key_and_out(req.arg(1)) {
        (Some(found), out) => write_value(out, found.value()),
        (None, out) => {
            out.null();
            Ok(())
        }
    }
}

/// ```text
/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds |
///     EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
/// ```
/// OK, or null when NX/XX prevented the write; with GET, the old value (or null).
fn set(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    if req.len() == 3 {
        ctx.insert_key(key, value_arg(req, 2), 0).changed(SET);
        ctx.out.ok();
        return Ok(());
    }
    let opts = parse_options(req, 3, true)?;
    let expire_at = match opts.expire {
        Some((unit, i)) => expire_time(ctx.now, unit, req.arg(i), "set")?,
        None => 0,
    };
    let found = if opts.get {
        let found = ctx.lookup_read(key);
        check_gettable(ctx, found)?;
        reply_found(ctx, found)?;
        found
    } else {
        ctx.lookup_write(key)
    };
    if (opts.nx && found.is_some()) || (opts.xx && found.is_none()) {
        if !opts.get {
            ctx.out.null();
        }
        return Ok(());
    }
    let ttl = if opts.keepttl { None } else { Some(expire_at) };
    put(ctx, key, found, value_arg(req, 2), ttl);
    ctx.store.dirty += 1;
    ctx.changed(key, notify::STRING, "set");
    if !opts.keepttl && expire_at != 0 {
        ctx.changed(key, notify::GENERIC, "expire");
    }
    if !opts.get {
        ctx.out.ok();
    }
    Ok(())
}

/// ```text
/// SETNX key value
/// ```
/// 1 when the key was set, 0 when it already existed.
fn setnx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    if ctx.lookup_write(key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    put(ctx, key, None, value_arg(req, 2), Some(0));
    ctx.store.dirty += 1;
    ctx.changed(key, notify::STRING, "set");
    ctx.out.int(1);
    Ok(())
}

/// SETEX and PSETEX: SET with a relative expiry in `unit`.
fn set_with_expire(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    unit: ExpireUnit,
    cmd: &str,
) -> Result<(), CmdError> {
    let at = expire_time(ctx.now, unit, req.arg(2), cmd)?;
    let key = req.arg(1);
    let found = ctx.lookup_write(key);
    put(ctx, key, found, value_arg(req, 3), Some(at));
    ctx.store.dirty += 1;
    ctx.changed(key, notify::STRING, "set");
    ctx.changed(key, notify::GENERIC, "expire");
    ctx.out.ok();
    Ok(())
}

/// ```text
/// SETEX key seconds value
/// ```
fn setex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    set_with_expire(ctx, req, ExpireUnit::Ex, "setex")
}

/// ```text
/// PSETEX key milliseconds value
/// ```
fn psetex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    set_with_expire(ctx, req, ExpireUnit::Px, "psetex")
}

/// ```text
/// GETSET key value
/// ```
/// The old value or null; the new value has no TTL.
fn getset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let found = ctx.lookup_read(key);
    check_gettable(ctx, found)?;
    reply_found(ctx, found)?;
    put(ctx, key, found, value_arg(req, 2), Some(0));
    ctx.store.dirty += 1;
    ctx.changed(key, notify::STRING, "set");
    Ok(())
}

/// ```text
/// GETDEL key
/// ```
/// The value (then deleted) or null.
fn getdel(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let found = ctx.lookup_read(req.arg(1));
    check_gettable(ctx, found)?;
    reply_found(ctx, found)?;
    if let Some(i) = found {
        ctx.current_db().remove_index(i);
        ctx.store.dirty += 1;
        ctx.changed(req.arg(1), notify::GENERIC, "del");
    }
    Ok(())
}

/// ```text
/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
///     PXAT unix-time-milliseconds | PERSIST]
/// ```
/// The value or null, after which the TTL is changed as asked. An EXAT/PXAT time
/// already past deletes the key.
fn getex(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let opts = parse_options(req, 2, false)?;
    let Some(i) = ctx.lookup_read(req.arg(1)) else {
        ctx.out.null();
        return Ok(());
    };
    check_gettable(ctx, Some(i))?;
    let expire = match opts.expire {
        Some((unit, arg)) => Some((unit, expire_time(ctx.now, unit, req.arg(arg), "getex")?)),
        None => None,
    };
    reply_found(ctx, Some(i))?;
    let now = ctx.now;
    let db = ctx.current_db();
    let event = match expire {
        Some((ExpireUnit::ExAt | ExpireUnit::PxAt, at)) if at <= now => {
            db.remove_index(i);
            "del"
        }
        Some((_, at)) => {
            db.set_expire_at(i, at);
            "expire"
        }
        None if opts.persist && db.expire_at(i) != 0 => {
            db.set_expire_at(i, 0);
            "persist"
        }
        None => return Ok(()),
    };
    ctx.store.dirty += 1;
    ctx.changed(req.arg(1), notify::GENERIC, event);
    Ok(())
}

/// ```text
/// MGET key [key ...]
/// ```
/// An array of values, null for keys that are missing or hold another type.
fn mget(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.array_len(req.len() - 1);
    for key in req.args().skip(1) {
        let found = ctx.lookup_read(key);
        match found {
            Some(i) if gettable(ctx.value(i)) => reply_found(ctx, found)?,
            _ => ctx.out.null(),
        }
    }
    Ok(())
}

/// Fails with the arity error unless the arguments after the name come in pairs.
fn check_pairs(req: &Request<'_>, cmd: &str) -> Result<(), CmdError> {
    if req.len().is_multiple_of(2) {
        return Err(CmdError::Arity(cmd.to_string()));
    }
    Ok(())
}

/// Stores every key/value pair of MSET or MSETNX, clearing TTLs.
fn put_pairs(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    for i in (1..req.len()).step_by(2) {
        let key = req.arg(i);
        let found = ctx.lookup_write(key);
        put(ctx, key, found, value_arg(req, i + 1), Some(0));
    }
    ctx.store.dirty += (req.len() / 2) as u64;
    for i in (1..req.len()).step_by(2) {
        ctx.changed(req.arg(i), notify::STRING, "set");
    }
}

/// ```text
/// MSET key value [key value ...]
/// ```
fn mset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    check_pairs(req, "mset")?;
    put_pairs(ctx, req);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// MSETNX key value [key value ...]
/// ```
/// 1 when every key was set, 0 (and nothing set) when any of them existed.
fn msetnx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    check_pairs(req, "msetnx")?;
    for i in (1..req.len()).step_by(2) {
        if ctx.lookup_write(req.arg(i)).is_some() {
            ctx.out.int(0);
            return Ok(());
        }
    }
    put_pairs(ctx, req);
    ctx.out.int(1);
    Ok(())
}
