//! Set commands on one key (SADD SREM SISMEMBER SMISMEMBER SCARD SMOVE SSCAN), the
//! family's table, and helpers shared with `random` (SPOP SRANDMEMBER) and
//! `algebra` (SMEMBERS and the SINTER, SUNION and SDIFF families).

use super::algebra;
use super::random;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::scan::{ScanArgs, parse_cursor};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group, KeySpec};
use crate::store::Item;
use crate::store::set::{Set, SetLimits};
use crate::store::{Event, KeyMut, Kind, Value, class};
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

/// The event of SADD (and of SMOVE's destination).
const SADD: Event = Event::new(class::SET, "sadd");
/// The event of SREM (and of SMOVE's source).
const SREM: Event = Event::new(class::SET, "srem");

/// Writes a member as a bulk string.
pub fn reply_member(out: &mut Reply<'_>, member: Item<'_>) {
    match member {
        Item::Int(n) => out.bulk_int(n),
        Item::Str(s) => out.bulk(s),
    }
}

/// The set `value` holds, or WRONGTYPE.
pub fn as_set(value: &Value) -> Result<&Set, CmdError> {
    match value {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The set at `key` for a read (hit or miss counted), with the reply writer beside
/// it: `None` when the key is missing.
/// # Errors
/// WRONGTYPE when the key holds another type.
pub fn read<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<&'c Set>, &'c mut Reply<'a>), CmdError> {
    ctx.read_as_and_out(key, as_set)
}

/// The set at `key` for a write (nothing counted), with the reply writer beside it:
/// `None` when the key is missing.
/// # Errors
/// WRONGTYPE when the key holds another type.
pub fn write<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(Option<KeyMut<'c>>, &'c mut Reply<'a>), CmdError> {
    ctx.write_key_of_and_out(key, Kind::Set)
}

/// ```text
/// SADD key member [member ...]
/// ```
/// The number of members added.
/// # Errors
/// WRONGTYPE.
fn sadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let limits = limits(ctx);
    let mut k =
        ctx.write_key_or_create(req.arg(1), Kind::Set, || Value::Set(Box::new(Set::new())))?;
    let added = match k.value_mut() {
        Value::Set(set) => req
            .args()
            .skip(2)
            .filter(|m| set.insert(m, &limits))
            .count(),
        _ => 0,
    };
    if added > 0 {
        k.changed_n(SADD, added as u64);
    } else {
        k.unchanged();
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
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::Set)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut removed = 0;
    if let Value::Set(set) = k.value_mut() {
        for member in req.args().skip(2) {
            if set.remove(member) {
                removed += 1;
                if set.is_empty() {
                    break;
                }
            }
        }
    }
    if removed > 0 {
        k.changed_collection(SREM, removed);
    } else {
        k.unchanged();
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
    let (set, out) = read(ctx, req.arg(1))?;
    let present = set.is_some_and(|s| s.contains(req.arg(2)));
    out.int(i64::from(present));
    Ok(())
}

/// ```text
/// SMISMEMBER key member [member ...]
/// ```
/// An array of 1 or 0, one per member (all 0 for a missing key).
/// # Errors
/// WRONGTYPE.
fn smismember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (set, out) = read(ctx, req.arg(1))?;
    out.array_len(req.len() - 2);
    for member in req.args().skip(2) {
        let present = set.is_some_and(|s| s.contains(member));
        out.int(i64::from(present));
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
    let (set, out) = read(ctx, req.arg(1))?;
    out.int(set.map_or(0, Set::len) as i64);
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
    // Both keys expire first (write lookups count nothing); each handle is let go
    // before the next lookup.
    let src_kind = ctx.write_key(src).map(|k| k.value().kind());
    let dst_kind = ctx.write_key(dst).map(|k| k.value().kind());
    let Some(src_kind) = src_kind else {
        ctx.out.int(0);
        return Ok(());
    };
    if src_kind != Kind::Set || dst_kind.is_some_and(|kind| kind != Kind::Set) {
        return Err(CmdError::WrongType);
    }
    let Some(mut s) = ctx.write_key(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    if src == dst {
        let present = as_set(s.value())?.contains(member);
        s.unchanged();
        ctx.out.int(i64::from(present));
        return Ok(());
    }
    let removed = match s.value_mut() {
        Value::Set(set) => set.remove(member),
        _ => false,
    };
    if !removed {
        s.unchanged();
        ctx.out.int(0);
        return Ok(());
    }
    s.changed_collection(SREM, 1);
    let limits = limits(ctx);
    let mut d = ctx.write_key_or_create(dst, Kind::Set, || Value::Set(Box::new(Set::new())))?;
    let added = match d.value_mut() {
        Value::Set(set) => set.insert(member, &limits),
        _ => false,
    };
    if added {
        d.changed(SADD);
    } else {
        d.unchanged();
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
    let (set, out) = read(ctx, req.arg(1))?;
    let Some(set) = set else {
        crate::commands::scan::reply_finished(out);
        return Ok(());
    };
    let args = ScanArgs::parse(req, 2, false)?;
    let mut members = Vec::new();
    let next = set.scan(args.cursor, args.count, |m| {
        if m.with_text(|t| args.matches(t)) {
            members.push(m);
        }
    });
    out.array_len(2);
    out.bulk_int(next as i64);
    out.array_len(members.len());
    for m in members {
        reply_member(out, m);
    }
    Ok(())
}
