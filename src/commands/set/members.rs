//! Set commands on one key (SADD SREM SISMEMBER SMISMEMBER SCARD SMOVE SSCAN), the
//! family's table, and helpers shared with `random` (SPOP SRANDMEMBER) and
//! `algebra` (SMEMBERS and the SINTER, SUNION and SDIFF families).

use super::algebra;
use super::random;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::notify;
use crate::commands::scan::{ScanArgs, parse_cursor};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::set::{Member, Set, SetLimits};
use crate::store::{Kind, Store, Value};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"sadd",
-3,
flags!(WRITE | DENYOOM | FAST),
Group::Set,
"Adds one or more members to a set. Creates the key if it doesn't exist.",
sadd,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
"srem",
-3,
flags!(WRITE | FAST),
Group::Set,
"Removes one or more members from a set. Deletes the set if the last member was removed.",
srem,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
"smembers",
2,
flags!(READONLY),
Group::Set,
"Returns all members of a set.",
algebra::smembers,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"sismember",
3,
flags!(READONLY | FAST),
Group::Set,
"Determines whether a member belongs to a set.",
sismember,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"smismember",
-3,
flags!(READONLY | FAST),
Group::Set,
"Determines whether multiple members belong to a set.",
smismember,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"scard",
2,
flags!(READONLY | FAST),
Group::Set,
"Returns the number of members in a set.",
scard,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"spop",
-2,
flags!(WRITE | FAST),
Group::Set,
"Returns one or more random members from a set after removing them. Deletes the set if the last member was popped.",
random::spop,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1)]),
    CommandSpec::new(
"srandmember",
-2,
flags!(READONLY),
Group::Set,
"Get one or multiple random members from a set",
random::srandmember,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"smove",
4,
flags!(WRITE | FAST),
Group::Set,
"Moves a member from one set to another.",
smove,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(RW | INSERT), 2)]),
    CommandSpec::new(
"sinter",
-2,
flags!(READONLY),
Group::Set,
"Returns the intersect of multiple sets.",
algebra::sinter,
)
.acl(cats!(SET))
.keys(&[KeySpec::range(kf!(RO | ACCESS), 1, -1, 1)]),
    CommandSpec::new(
"sintercard",
-3,
flags!(READONLY),
Group::Set,
"Returns the number of members of the intersect of multiple sets.",
algebra::sintercard,
)
.acl(cats!(SET))
.keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
"sinterstore",
-3,
flags!(WRITE | DENYOOM),
Group::Set,
"Stores the intersect of multiple sets in a key.",
algebra::sinterstore,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RW | UPDATE), 1), KeySpec::range(kf!(RO | ACCESS), 2, -1, 1)]),
    CommandSpec::new(
"sunion",
-2,
flags!(READONLY),
Group::Set,
"Returns the union of multiple sets.",
algebra::sunion,
)
.acl(cats!(SET))
.keys(&[KeySpec::range(kf!(RO | ACCESS), 1, -1, 1)]),
    CommandSpec::new(
"sunionstore",
-3,
flags!(WRITE | DENYOOM),
Group::Set,
"Stores the union of multiple sets in a key.",
algebra::sunionstore,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(OW | UPDATE), 1), KeySpec::range(kf!(RO | ACCESS), 2, -1, 1)]),
    CommandSpec::new(
"sdiff",
-2,
flags!(READONLY),
Group::Set,
"Returns the difference of multiple sets.",
algebra::sdiff,
)
.acl(cats!(SET))
.keys(&[KeySpec::range(kf!(RO | ACCESS), 1, -1, 1)]),
    CommandSpec::new(
"sdiffstore",
-3,
flags!(WRITE | DENYOOM),
Group::Set,
"Stores the difference of multiple sets in a key.",
algebra::sdiffstore,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(OW | UPDATE), 1), KeySpec::range(kf!(RO | ACCESS), 2, -1, 1)]),
    CommandSpec::new(
"sscan",
-3,
flags!(READONLY),
Group::Set,
"Iterates over members of a set.",
sscan,
)
.acl(cats!(SET))
.keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// The configured encoding limits of sets.
pub fn limits(ctx: &Ctx<'_>) -> SetLimits {
    ctx.server.config.encodings.set_limits()
}

/// Writes a member as a bulk string.
pub fn reply_member(out: &mut Reply<'_>, member: Member<'_>) {
    match member {
        Member::Int(n) => out.bulk_int(n),
        Member::Str(s) => out.bulk(s),
    }
}

/// The set at `index` of database `db` (WRONGTYPE if it holds something else).
pub fn set_ref(store: &Store, db: usize, index: usize) -> Result<&Set, CmdError> {
    match store.dbs().get(db).map(|d| d.value_ref(index)) {
        Some(Value::Set(s)) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The set at `index` of database `db`, mutably.
pub fn set_mut(store: &mut Store, db: usize, index: usize) -> Result<&mut Set, CmdError> {
    match store.db(db).value_at(index) {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Looks up every key of `keys` (for reading, counting hits and misses, or for
/// writing), expiring dead ones, and returns their indexes. The indexes are read
/// after all lookups: expiring a key moves another one, so an index taken before a
/// later lookup could be stale.
pub fn lookup_all(ctx: &mut Ctx<'_>, keys: &[&[u8]], read: bool) -> Vec<Option<usize>> {
    for key in keys {
        if read {
            ctx.lookup_read(key);
        } else {
            ctx.lookup_write(key);
        }
    }
    // Same `now`: nothing expires any more, so these lookups only find positions.
    keys.iter().map(|key| ctx.lookup_write(key)).collect()
}

/// Fails with WRONGTYPE unless every found key holds a set.
pub fn check_sets(ctx: &mut Ctx<'_>, found: &[Option<usize>]) -> Result<(), CmdError> {
    for &i in found.iter().flatten() {
        if ctx.value(i).kind() != Kind::Set {
            return Err(CmdError::WrongType);
        }
    }
    Ok(())
}

/// Deletes the key at `index` if its set is empty, with Redis's `del` event.
pub fn delete_if_empty(ctx: &mut Ctx<'_>, index: usize, key: &[u8]) -> bool {
    let deleted = ctx.delete_if_empty(index);
    if deleted {
        ctx.notify(notify::GENERIC, "del", key);
    }
    deleted
}

/// ```text
/// SADD key member [member ...]
/// ```
/// The number of members added.
/// # Errors
/// WRONGTYPE.
fn sadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let found = ctx.lookup_kind_write(key, Kind::Set)?;
    let limits = limits(ctx);
    let db = ctx.db();
    let members = req.args().skip(2);
    let added = match found {
        Some(i) => {
            let set = set_mut(ctx.store, db, i)?;
            members.filter(|m| set.insert(m, &limits)).count()
        }
        None => {
            let mut set = Set::new();
            let added = members.filter(|m| set.insert(m, &limits)).count();
            ctx.current_db().insert(key, Value::Set(Box::new(set)), 0);
            added
        }
    };
    if added > 0 {
        ctx.store.dirty += added as u64;
        ctx.changed(key, notify::SET, "sadd");
    }
    ctx.out.int(added as i64);
    Ok(())
}

/// ```text
/// SREM key member [member ...]
/// ```
/// The number of members removed; the key goes with its last member.
/// # Errors
/// WRONGTYPE.
fn srem(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let Some(i) = ctx.lookup_kind_write(key, Kind::Set)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let db = ctx.db();
    let set = set_mut(ctx.store, db, i)?;
    let mut removed = 0;
    for member in req.args().skip(2) {
        if set.remove(member) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        ctx.store.dirty += removed;
        ctx.changed(key, notify::SET, "srem");
        delete_if_empty(ctx, i, key);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// ```text
/// SISMEMBER key member
/// ```
/// 1 when `member` is in the set, else 0.
/// # Errors
/// WRONGTYPE.
fn sismember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let found = ctx.lookup_kind_read(req.arg(1), Kind::Set)?;
    let db = ctx.db();
    let present = match found {
        Some(i) => set_ref(ctx.store, db, i)?.contains(req.arg(2)),
        None => false,
    };
    ctx.out.int(i64::from(present));
    Ok(())
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
/// An array of 1 or 0, one per member (all 0 for a missing key).
/// # Errors
/// WRONGTYPE.
fn smismember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let found = ctx.lookup_kind_read(req.arg(1), Kind::Set)?;
    let db = ctx.db();
    let set = match found {
        Some(i) => Some(set_ref(ctx.store, db, i)?),
        None => None,
    };
    ctx.out.array_len(req.len() - 2);
    for member in req.args().skip(2) {
        let present = set.is_some_and(|s| s.contains(member));
        ctx.out.int(i64::from(present));
    }
    Ok(())
}

/// ```text
/// SCARD key
/// ```
/// The number of members (0 for a missing key).
/// # Errors
/// WRONGTYPE.
fn scard(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let found = ctx.lookup_kind_read(req.arg(1), Kind::Set)?;
    let db = ctx.db();
    let len = match found {
        Some(i) => set_ref(ctx.store, db, i)?.len(),
        None => 0,
    };
    ctx.out.int(len as i64);
    Ok(())
}

/// ```text
/// SMOVE source destination member
/// ```
/// 1 when `member` was moved (or source and destination are the same set holding
/// it), 0 when the source does not hold it. Emits `srem` (and `del` when the
/// source empties) and, when the destination gained the member, `sadd`.
/// # Errors
/// WRONGTYPE when either key holds another type (not checked when the source is
/// missing, as Redis).
fn smove(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (src, dst, member) = (req.arg(1), req.arg(2), req.arg(3));
    let found = lookup_all(ctx, &[src, dst], false);
    let (Some(s), d) = (found[0], found[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    check_sets(ctx, &found)?;
    let db = ctx.db();
    if d == Some(s) {
        let present = set_ref(ctx.store, db, s)?.contains(member);
        ctx.out.int(i64::from(present));
        return Ok(());
    }
    if !set_mut(ctx.store, db, s)?.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    let limits = limits(ctx);
    let added = match d {
        Some(d) => set_mut(ctx.store, db, d)?.insert(member, &limits),
        None => {
            let mut set = Set::new();
            set.insert(member, &limits);
            // A new key goes at the end: the source's index stays valid.
            ctx.current_db().insert(dst, Value::Set(Box::new(set)), 0);
            true
        }
    };
    ctx.store.dirty += 1;
    ctx.changed(src, notify::SET, "srem");
    delete_if_empty(ctx, s, src);
    if added {
        ctx.store.dirty += 1;
        ctx.changed(dst, notify::SET, "sadd");
    }
    ctx.out.int(1);
    Ok(())
}

/// ```text
/// SSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// `[next cursor, [member ...]]`. A small set comes whole with cursor 0; a big one
/// a step of about COUNT members at a time, with SCAN's guarantee.
/// # Errors
/// `ERR invalid cursor`, WRONGTYPE, then `ERR syntax error` or
/// `ERR value is not an integer or out of range` for the options (not checked for a
/// missing key, as Redis).
fn sscan(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    parse_cursor(req.arg(2))?;
    let Some(i) = ctx.lookup_kind_read(req.arg(1), Kind::Set)? else {
        crate::commands::scan::reply_finished(&mut ctx.out);
        return Ok(());
    };
    let args = ScanArgs::parse(req, 2, false)?;
    let db = ctx.db();
    let set = set_ref(ctx.store, db, i)?;
    let mut members = Vec::new();
    let next = set.scan(args.cursor, args.count, |m| {
        if m.with_text(|t| args.matches(t)) {
            members.push(m);
        }
    });
    ctx.out.array_len(2);
    ctx.out.bulk_int(next as i64);
    ctx.out.array_len(members.len());
    for m in members {
        reply_member(&mut ctx.out, m);
    }
    Ok(())
}
