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
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{GetKeys, Group, KeySpec};
use crate::store::{Event, KeyMut, Store, Value, class};
use crate::{cats, flags, kf};

/// The event of a string write.
const SET: Event = Event::new(class::STRING, "set");
/// The event of a TTL set by SET ... EX, SETEX, GETEX ...
const EXPIRE: Event = Event::new(class::GENERIC, "expire");
/// The event of a TTL removed by GETEX ... PERSIST.
const PERSIST: Event = Event::new(class::GENERIC, "persist");

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
    .getkeys(GetKeys::Set)
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

/// Reads `key` of database `db` as the GET-like writes do (hit or miss counted) and
/// replies with its value, or null; returns the key for writing. WRONGTYPE, with
/// nothing written, when GET cannot return it. Borrows only the store, so the handler
/// can still reply while it holds the key.
fn get_for_write<'s>(
    store: &'s mut Store,
    out: &mut Reply<'_>,
    db: usize,
    key: &[u8],
    now: i64,
) -> Result<Option<KeyMut<'s>>, CmdError> {
    match store.read_key(db, key, now) {
        Some(k) => {
            write_value(out, k.value())?;
            Ok(Some(k.into_mut()))
        }
        None => {
            out.null();
            Ok(None)
        }
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
    let (db, now) = (ctx.db(), ctx.now);
    // A block, so that the handles are gone before propagating.
    {
        let found = if opts.get {
            get_for_write(ctx.store, &mut ctx.out, db, key, now)?
        } else {
            ctx.store.write_key(db, key, now)
        };
        if (opts.nx && found.is_some()) || (opts.xx && found.is_none()) {
            drop(found);
            if !opts.get {
                ctx.out.null();
            }
            return Ok(());
        }
        let mut k = match found {
            Some(mut k) => {
                let ttl = if opts.keepttl { None } else { Some(expire_at) };
                k.replace(value_arg(req, 2), ttl);
                k
            }
            None => {
                drop(found);
                ctx.store
                    .insert_missing(db, key, value_arg(req, 2), expire_at)
            }
        };
        if !opts.keepttl && expire_at != 0 {
            k.record(SET);
            // Counted once, with the `set`.
            k.changed_n(EXPIRE, 0);
        } else {
            k.changed(SET);
        }
        if !opts.get {
            ctx.out.ok();
        }
    }
    let with_ttl = !opts.keepttl && expire_at != 0;
    if ctx.propagating() {
        if with_ttl {
            // SET key value PXAT ms: the relative TTL made absolute.
            propagate_set_pxat(ctx, req, 2, expire_at);
        } else if opts.get {
            // Without GET, which replays nothing.
            let argv: Vec<&[u8]> = req
                .args()
                .enumerate()
                .filter(|&(j, a)| j < 3 || !is(a, "get"))
                .map(|(_, a)| a)
                .collect();
            ctx.propagate_docs(&argv, doc_at(req, 2, 2));
        }
    }
    Ok(())
}

/// `[to]` when argument `i` of `req` is a document (it moves to position `to` of the
/// propagated form), else nothing.
fn doc_at(req: &Request<'_>, i: usize, to: usize) -> &'static [usize] {
    const POSITIONS: [usize; 4] = [0, 1, 2, 3];
    if req.is_doc(i) {
        &POSITIONS[to..=to]
    } else {
        &[]
    }
}

/// Propagates `SET key value PXAT at`, the value being argument `value_at` of `req`
/// (Redis's rewrite of SET EX/PX/EXAT/PXAT, SETEX and PSETEX).
fn propagate_set_pxat(ctx: &mut Ctx<'_>, req: &Request<'_>, value_at: usize, at: i64) {
    let mut digits = itoa::Buffer::new();
    let at = digits.format(at).as_bytes();
    let argv: [&[u8]; 5] = [b"SET", req.arg(1), req.arg(value_at), b"PXAT", at];
    ctx.propagate_docs(&argv, doc_at(req, value_at, 2));
}

/// ```text
/// SETNX key value
/// ```
/// 1 when the key was set, 0 when it already existed.
fn setnx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    if ctx.write_key(key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.insert_missing(key, value_arg(req, 2), 0).changed(SET);
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
    let mut k = ctx.insert_key(key, value_arg(req, 3), at);
    k.record(SET);
    // Counted once, with the `set`.
    k.changed_n(EXPIRE, 0);
    ctx.out.ok();
    propagate_set_pxat(ctx, req, 3, at);
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
    let db = ctx.db();
    {
        let found = get_for_write(ctx.store, &mut ctx.out, db, key, ctx.now)?;
        match found {
            Some(mut k) => {
                k.replace(value_arg(req, 2), Some(0));
                k.changed(SET);
            }
            None => {
                drop(found);
                ctx.store
                    .insert_missing(db, key, value_arg(req, 2), 0)
                    .changed(SET);
            }
        }
    }
    let argv: [&[u8]; 3] = [b"SET", key, req.arg(2)];
    ctx.propagate_docs(&argv, doc_at(req, 2, 2));
    Ok(())
}

/// ```text
/// GETDEL key
/// ```
/// The value (then deleted) or null.
fn getdel(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let db = ctx.db();
    let deleted = match get_for_write(ctx.store, &mut ctx.out, db, req.arg(1), ctx.now)? {
        Some(k) => {
            let _ = k.remove(Event::DEL);
            true
        }
        None => false,
    };
    if deleted {
        ctx.propagate(&[b"DEL", req.arg(1)]);
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
    let now = ctx.now;
    let (found, out) = ctx.read_key_and_out(req.arg(1));
    let Some(k) = found else {
        out.null();
        return Ok(());
    };
    if !gettable(k.value()) {
        return Err(CmdError::WrongType);
    }
    let expire = match opts.expire {
        Some((unit, arg)) => Some((unit, expire_time(now, unit, req.arg(arg), "getex")?)),
        None => None,
    };
    write_value(out, k.value())?;
    let mut k = k.into_mut();
    let key = req.arg(1);
    let mut digits = itoa::Buffer::new();
    // Never propagated as is: as DEL, PEXPIREAT or PERSIST.
    match expire {
        Some((ExpireUnit::ExAt | ExpireUnit::PxAt, at)) if at <= now => {
            let _ = k.remove(Event::DEL);
            ctx.propagate(&[b"DEL", key]);
        }
        Some((_, at)) => {
            k.set_expire_at(at);
            k.changed(EXPIRE);
            ctx.propagate(&[b"PEXPIREAT", key, digits.format(at).as_bytes()]);
        }
        None if opts.persist && k.expire_at() != 0 => {
            k.set_expire_at(0);
            k.changed(PERSIST);
            ctx.propagate(&[b"PERSIST", key]);
        }
        None => {}
    }
    Ok(())
}

/// ```text
/// MGET key [key ...]
/// ```
/// An array of values, null for keys that are missing or hold another type.
fn mget(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.array_len(req.len() - 1);
    for key in req.args().skip(1) {
        match ctx.read_key_and_out(key) {
            (Some(k), out) if gettable(k.value()) => write_value(out, k.value())?,
            (_, out) => out.null(),
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
        ctx.insert_key(req.arg(i), value_arg(req, i + 1), 0)
            .changed(SET);
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
        if ctx.write_key(req.arg(i)).is_some() {
            ctx.out.int(0);
            return Ok(());
        }
    }
    put_pairs(ctx, req);
    ctx.out.int(1);
    Ok(())
}
