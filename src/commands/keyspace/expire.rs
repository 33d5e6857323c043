//! Key expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with Redis 7's NX XX GT LT),
//! TTL PTTL EXPIRETIME PEXPIRETIME and PERSIST.
//!
//! A TTL is stored as an absolute Unix time in milliseconds (`Db::expire_at`, 0 for
//! none); the key is removed lazily by lookups and actively by the expiry cycle.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64, text};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::{Event, class};
use crate::{cats, flags, kf};

/// The event of a TTL set (by any of the four EXPIRE commands).
const EXPIRE: Event = Event::new(class::GENERIC, "expire");
/// The event of PERSIST.
const PERSIST: Event = Event::new(class::GENERIC, "persist");

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "expire",
        -3,
        flags!(WRITE | FAST),
        Group::Generic,
        "Sets the expiration time of a key in seconds.",
        expire,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "pexpire",
        -3,
        flags!(WRITE | FAST),
        Group::Generic,
        "Sets the expiration time of a key in milliseconds.",
        pexpire,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "expireat",
        -3,
        flags!(WRITE | FAST),
        Group::Generic,
        "Sets the expiration time of a key to a Unix timestamp.",
        expireat,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "pexpireat",
        -3,
        flags!(WRITE | FAST),
        Group::Generic,
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        pexpireat,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "ttl",
        2,
        flags!(READONLY | FAST),
        Group::Generic,
        "Returns the expiration time in seconds of a key.",
        ttl,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "pttl",
        2,
        flags!(READONLY | FAST),
        Group::Generic,
        "Returns the expiration time in milliseconds of a key.",
        pttl,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "expiretime",
        2,
        flags!(READONLY | FAST),
        Group::Generic,
        "Returns the expiration time of a key as a Unix timestamp.",
        expiretime,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "pexpiretime",
        2,
        flags!(READONLY | FAST),
        Group::Generic,
        "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        pexpiretime,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "persist",
        2,
        flags!(WRITE | FAST),
        Group::Generic,
        "Removes the expiration time of a key.",
        persist,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
];

/// The EXPIRE options given (Redis's EXPIRE_NX ... flags).
#[derive(Debug, Default, Clone, Copy)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// Parses the options after the time (Redis's `parseExtendedExpireArgumentsOrReply`).
fn parse_conditions(req: &Request<'_>) -> Result<Conditions, CmdError> {
    let mut c = Conditions::default();
    for opt in req.args().skip(3) {
        if is(opt, "nx") {
            c.nx = true;
        } else if is(opt, "xx") {
            c.xx = true;
        } else if is(opt, "gt") {
            c.gt = true;
        } else if is(opt, "lt") {
            c.lt = true;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unsupported option {}",
                text(opt)
            )));
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::msg(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(CmdError::msg(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// ```text
/// EXPIRE key seconds [NX | XX | GT | LT]
/// ```
/// 1 when the TTL was set (or the key deleted because the time is past), else 0.
fn expire(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let now = ctx.now;
    expire_generic(ctx, req, now, true, "expire")
}

/// ```text
/// PEXPIRE key milliseconds [NX | XX | GT | LT]
/// ```
fn pexpire(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let now = ctx.now;
    expire_generic(ctx, req, now, false, "pexpire")
}

/// ```text
/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
/// ```
fn expireat(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    expire_generic(ctx, req, 0, true, "expireat")
}

/// ```text
/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
/// ```
fn pexpireat(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    expire_generic(ctx, req, 0, false, "pexpireat")
}

/// The four EXPIRE commands (Redis's `expireGenericCommand`): `basetime` is now for the
/// relative ones and 0 for the absolute ones; `name` goes into the overflow error.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    basetime: i64,
    seconds: bool,
    name: &str,
) -> Result<(), CmdError> {
    let cond = parse_conditions(req)?;
    let when = parse_i64(req.arg(2))?;
    let overflow = || CmdError::msg(format!("ERR invalid expire time in '{name}' command"));
    let when = if seconds {
        when.checked_mul(1000).ok_or_else(overflow)?
    } else {
        when
    };
    let when = when.checked_add(basetime).ok_or_else(overflow)?;

    let now = ctx.now;
    let Some(mut k) = ctx.write_key(req.arg(1)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = k.expire_at();
    let refused = (cond.nx && current != 0)
        || (cond.xx && current == 0)
        // No TTL counts as an infinite one: never lower for GT, always higher for LT.
        || (cond.gt && (current == 0 || when <= current))
        || (cond.lt && current != 0 && when >= current);
    if refused {
        k.unchanged();
        ctx.out.int(0);
        return Ok(());
    }
    let key = req.arg(1);
    if when <= now {
        // A time already past deletes the key, as Redis's checkAlreadyExpired.
        let _ = k.remove(Event::DEL);
        ctx.propagate(&[b"DEL", key]);
    } else {
        k.set_expire_at(when);
        k.changed(EXPIRE);
        if ctx.propagating() {
            // PEXPIREAT key ms [options]: the relative time made absolute.
            let mut digits = itoa::Buffer::new();
            let mut argv: Vec<&[u8]> = vec![b"PEXPIREAT", key, digits.format(when).as_bytes()];
            argv.extend(req.args().skip(3));
            ctx.propagate(&argv);
        }
    }
    ctx.out.int(1);
    Ok(())
}

/// ```text
/// TTL key
/// ```
/// Seconds left (rounded), -1 without a TTL, -2 for a missing key.
fn ttl(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ttl_generic(ctx, req, false, false)
}

/// ```text
/// PTTL key
/// ```
/// Milliseconds left, -1 without a TTL, -2 for a missing key.
fn pttl(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ttl_generic(ctx, req, true, false)
}

/// ```text
/// EXPIRETIME key
/// ```
/// The expiry as a Unix time in seconds, -1 without a TTL, -2 for a missing key.
fn expiretime(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ttl_generic(ctx, req, false, true)
}

/// ```text
/// PEXPIRETIME key
/// ```
/// The expiry as a Unix time in milliseconds, -1 without a TTL, -2 for a missing key.
fn pexpiretime(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ttl_generic(ctx, req, true, true)
}

/// TTL, PTTL, EXPIRETIME and PEXPIRETIME (Redis's `ttlGenericCommand`).
fn ttl_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    millis: bool,
    absolute: bool,
) -> Result<(), CmdError> {
    // Not an access (Redis's LOOKUP_NOTOUCH).
    ctx.store.set_touching(false);
    let found = ctx.read_key(req.arg(1)).map(|k| k.expire_at());
    ctx.store.set_touching(true);
    let Some(expire_at) = found else {
        ctx.out.int(-2);
        return Ok(());
    };
    if expire_at == 0 {
        ctx.out.int(-1);
        return Ok(());
    }
    let left = if absolute {
        expire_at
    } else {
        (expire_at - ctx.now).max(0)
    };
    ctx.out.int(if millis {
        left
    } else {
        left.saturating_add(500) / 1000
    });
    Ok(())
}

/// ```text
/// PERSIST key
/// ```
/// 1 when a TTL was removed, 0 when the key has none or is missing.
fn persist(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(mut k) = ctx.write_key(req.arg(1)) else {
        ctx.out.int(0);
        return Ok(());
    };
    if k.expire_at() == 0 {
        k.unchanged();
        ctx.out.int(0);
        return Ok(());
    }
    k.set_expire_at(0);
    k.changed(PERSIST);
    ctx.out.int(1);
    Ok(())
}
