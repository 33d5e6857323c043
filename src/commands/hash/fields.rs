//! Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS
//! HGETALL here; HINCRBY HINCRBYFLOAT in [`super::incr`]; HRANDFIELD HSCAN in
//! [`super::iter`]. Redis 7's `t_hash.c` semantics and error texts.
//!
//! A key holding another type gets WRONGTYPE; a hash emptied by HDEL deletes its key;
//! writes keep the key's TTL. The encodings are in [`crate::store::hash`].

use super::incr::{hincrby, hincrbyfloat};
use super::iter::{hrandfield, hscan};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::hash::{Hash, Limits};
use crate::store::{Event, Kind, Value, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"hset",
-4,
flags!(WRITE | DENYOOM | FAST),
Group::Hash,
"Creates or modifies the value of a field in a hash.",
hset,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
"hmset",
-4,
flags!(WRITE | DENYOOM | FAST),
Group::Hash,
"Sets the values of multiple fields.",
hmset,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
"hsetnx",
4,
flags!(WRITE | DENYOOM | FAST),
Group::Hash,
"Sets the value of a field in a hash only when the field doesn't exist.",
hsetnx,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
"hget",
3,
flags!(READONLY | FAST),
Group::Hash,
"Returns the value of a field in a hash.",
hget,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hmget",
-3,
flags!(READONLY | FAST),
Group::Hash,
"Returns the values of all fields in a hash.",
hmget,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hdel",
-3,
flags!(WRITE | FAST),
Group::Hash,
"Deletes one or more fields and their values from a hash. Deletes the hash if no fields remain.",
hdel,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
"hexists",
3,
flags!(READONLY | FAST),
Group::Hash,
"Determines whether a field exists in a hash.",
hexists,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"hlen",
2,
flags!(READONLY | FAST),
Group::Hash,
"Returns the number of fields in a hash.",
hlen,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"hstrlen",
3,
flags!(READONLY | FAST),
Group::Hash,
"Returns the length of the value of a field.",
hstrlen,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"hkeys",
2,
flags!(READONLY),
Group::Hash,
"Returns all fields in a hash.",
hkeys,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hvals",
2,
flags!(READONLY),
Group::Hash,
"Returns all values in a hash.",
hvals,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hgetall",
2,
flags!(READONLY),
Group::Hash,
"Returns all fields and values in a hash.",
hgetall,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hincrby",
4,
flags!(WRITE | DENYOOM | FAST),
Group::Hash,
"Increments the integer value of a field in a hash by a number. Uses 0 as initial value if the field doesn't exist.",
hincrby,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
"hincrbyfloat",
4,
flags!(WRITE | DENYOOM | FAST),
Group::Hash,
"Increments the floating point value of a field by a number. Uses 0 as initial value if the field doesn't exist.",
hincrbyfloat,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RW | ACCESS | UPDATE), 1)]),
    CommandSpec::new(
"hrandfield",
-2,
flags!(READONLY),
Group::Hash,
"Returns one or more random fields from a hash.",
hrandfield,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"hscan",
-3,
flags!(READONLY),
Group::Hash,
"Iterates over fields and values of a hash.",
hscan,
)
.acl(cats!(HASH))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// The event of HSET, HMSET and HSETNX.
const HSET: Event = Event::new(class::HASH, "hset");
/// The event of HDEL.
const HDEL: Event = Event::new(class::HASH, "hdel");

/// The hash of the key at `key` for a read, with the reply writer beside it (the two
/// borrow different parts of `ctx`): `None` when the key is missing, WRONGTYPE when it
/// holds another type.
pub fn read<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<&'c Hash>, &'c mut Reply<'a>), CmdError> {
    let (found, out) = ctx.read_key_and_out(key);
    let hash = match found {
        Some(k) => match k.into_value() {
            Value::Hash(h) => Some(&**h),
            _ => return Err(CmdError::WrongType),
        },
        None => None,
    };
    Ok((hash, out))
}

/// The `hash-max-listpack-*` limits in force.
fn limits(ctx: &Ctx<'_>) -> Limits {
    ctx.server.config.encodings.hash_limits()
}

/// Runs `edit` on the hash at `key` (Redis's `hashTypeLookupWriteOrCreate`): WRONGTYPE
/// when the key holds another type; for a missing key, on a new hash that is stored
/// only if `edit` succeeds and leaves it non-empty. `edit` must validate before it
/// changes anything. Keeps the key's TTL. When `edit` succeeds, `writes` says how many
/// changes it made (0: none), recorded with `event`.
pub fn edit<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: Event,
    writes: impl FnOnce(&R) -> u64,
    edit: impl FnOnce(&mut Hash, Limits) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    let limits = limits(ctx);
    if let Some(mut k) = ctx.write_key_of(key, Kind::Hash)? {
        let result = match k.value_mut() {
            Value::Hash(h) => edit(h, limits),
            _ => Err(CmdError::WrongType),
        };
        match result.as_ref().map(writes) {
            Ok(0) | Err(_) => k.unchanged(),
            Ok(n) => k.changed_n(event, n),
        }
        return result;
    }
    let mut hash = Hash::default();
    let result = edit(&mut hash, limits)?;
    if !hash.is_empty() {
        let k = ctx.insert_key(key, Value::Hash(Box::new(hash)), 0);
        match writes(&result) {
            0 => k.unchanged(),
            n => k.changed_n(event, n),
        }
    }
    Ok(result)
}

/// ```text
/// HSET key field value [field value ...]
/// ```
/// The number of fields added.
fn hset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let added = set_pairs(ctx, req, "hset")?;
    ctx.out.int(added);
    Ok(())
}

/// ```text
/// HMSET key field value [field value ...]
/// ```
/// `+OK` (HSET's old form).
fn hmset(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    set_pairs(ctx, req, "hmset")?;
    ctx.out.ok();
    Ok(())
}

/// Sets the field/value pairs of HSET and HMSET (`name`, for the arity error);
/// returns how many fields are new. Every pair counts as a change.
fn set_pairs(ctx: &mut Ctx<'_>, req: &Request<'_>, name: &str) -> Result<i64, CmdError> {
    if req.len() % 2 == 1 {
        return Err(CmdError::Arity(name.to_string()));
    }
    let pairs = (req.len() as u64 - 2) / 2;
    edit(
        ctx,
        req.arg(1),
        HSET,
        |_| pairs,
        |hash, limits| {
            let mut added = 0;
            for i in (2..req.len()).step_by(2) {
                added += i64::from(hash.insert(req.arg(i), req.arg(i + 1), limits));
            }
            Ok(added)
        },
    )
}

/// ```text
/// HSETNX key field value
/// ```
/// 1 when the field was set, 0 when it existed (and is left alone).
fn hsetnx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (key, field) = (req.arg(1), req.arg(2));
    let added = edit(
        ctx,
        key,
        HSET,
        |&added| u64::from(added),
        |hash, limits| Ok(!hash.contains(field) && hash.insert(field, req.arg(3), limits)),
    )?;
    ctx.out.int(i64::from(added));
    Ok(())
}

/// ```text
/// HGET key field
/// ```
/// The value, or null when the key or field is missing.
fn hget(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    match hash.and_then(|h| h.get(req.arg(2))) {
        Some(value) => out.bulk(value),
        None => out.null(),
    }
    Ok(())
}

/// ```text
/// HMGET key field [field ...]
/// ```
/// An array with each field's value or null (all null for a missing key).
fn hmget(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    out.array_len(req.len() - 2);
    for i in 2..req.len() {
        match hash.and_then(|h| h.get(req.arg(i))) {
            Some(value) => out.bulk(value),
            None => out.null(),
        }
    }
    Ok(())
}

/// ```text
/// HDEL key field [field ...]
/// ```
/// The number of fields removed; the key goes with its last field.
fn hdel(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::Hash)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    if let Value::Hash(hash) = k.value_mut() {
        for j in 2..req.len() {
            if hash.remove(req.arg(j)) {
                deleted += 1;
                if hash.is_empty() {
                    break;
                }
            }
        }
    }
    if deleted > 0 {
        k.changed_collection(HDEL, deleted as u64);
    } else {
        k.unchanged();
    }
    ctx.out.int(deleted);
    Ok(())
}

/// ```text
/// HEXISTS key field
/// ```
/// 1 when the field exists, else 0.
fn hexists(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    out.int(i64::from(hash.is_some_and(|h| h.contains(req.arg(2)))));
    Ok(())
}

/// ```text
/// HLEN key
/// ```
/// The number of fields (0 for a missing key).
fn hlen(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    out.int(hash.map_or(0, |h| h.len() as i64));
    Ok(())
}

/// ```text
/// HSTRLEN key field
/// ```
/// The length of the field's value (0 when the key or field is missing).
fn hstrlen(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    let len = hash.and_then(|h| h.get(req.arg(2))).map_or(0, <[u8]>::len);
    out.int(len as i64);
    Ok(())
}

/// What HKEYS, HVALS and HGETALL reply with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

/// HKEYS, HVALS and HGETALL (Redis's `genericHgetallCommand`): HGETALL replies with a
/// map (a flat array in RESP2), the others with an array.
fn get_all(ctx: &mut Ctx<'_>, req: &Request<'_>, parts: Parts) -> Result<(), CmdError> {
    let (hash, out) = read(ctx, req.arg(1))?;
    let len = hash.map_or(0, Hash::len);
    if parts == Parts::Both {
        out.map_len(len);
    } else {
        out.array_len(len);
    }
    for (field, value) in hash.into_iter().flat_map(Hash::iter) {
        if parts != Parts::Values {
            out.bulk(field);
        }
        if parts != Parts::Fields {
            out.bulk(value);
        }
    }
    Ok(())
}

/// ```text
/// HKEYS key
/// ```
fn hkeys(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    get_all(ctx, req, Parts::Fields)
}

/// ```text
/// HVALS key
/// ```
fn hvals(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    get_all(ctx, req, Parts::Values)
}

/// ```text
/// HGETALL key
/// ```
/// A map of every field to its value (RESP2: a flat array field, value, ...).
fn hgetall(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    get_all(ctx, req, Parts::Both)
}
