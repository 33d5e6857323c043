//! Blocking list commands: BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH.
//!
//! Each first tries what its non-blocking form does; when there is nothing to pop it
//! parks the client with [`Ctx::block`]. A push to one of its keys wakes it, and the
//! server runs the command again (see `blocking`): the same code then pops for it,
//! so a woken BLPOP serves the first non-empty key in argument order, and a BLMOVE
//! pushes to its destination (waking whoever waits there) exactly as LMOVE would.

use super::pop::{move_element, parse_mpop, pop_first_of};
use super::push::parse_side;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::runtime::blocking::{TimeoutReply, parse_timeout};
use crate::spec::{Group, KeySpec};
use crate::store::Kind;
use crate::store::list::Side;
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"blpop",
-3,
flags!(WRITE | NOSCRIPT | BLOCKING),
Group::List,
"Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
blpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::range(kf!(RW | ACCESS | DELETE), 1, -2, 1)]),
    CommandSpec::new(
"brpop",
-3,
flags!(WRITE | NOSCRIPT | BLOCKING),
Group::List,
"Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
brpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::range(kf!(RW | ACCESS | DELETE), 1, -2, 1)]),
    CommandSpec::new(
"blmpop",
-5,
flags!(WRITE | BLOCKING),
Group::List,
"Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.",
blmpop,
)
.acl(cats!(LIST))
.keys(&[KeySpec::numkeys(kf!(RW | ACCESS | DELETE), 2)]),
    CommandSpec::new(
"blmove",
6,
flags!(WRITE | DENYOOM | NOSCRIPT | BLOCKING),
Group::List,
"Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.",
blmove,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(RW | INSERT), 2)]),
    CommandSpec::new(
"brpoplpush",
4,
flags!(WRITE | DENYOOM | NOSCRIPT | BLOCKING),
Group::List,
"Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.",
brpoplpush,
)
.acl(cats!(LIST))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(RW | INSERT), 2)]),
];

/// BLPOP and BRPOP: `key [key ...] timeout`.
fn bpop_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, side: Side) -> Result<(), CmdError> {
    let last = req.len() - 1;
    let deadline = parse_timeout(req.arg(last), ctx.now)?;
    let keys = (1..last).map(|j| req.arg(j));
    if !pop_first_of(ctx, keys.clone(), side, None)? {
        ctx.block(keys, Kind::List, deadline, TimeoutReply::NullArray, req);
    }
    Ok(())
}

/// ```text
/// BLPOP key [key ...] timeout
/// ```
/// `[key, element]` from the head of the first non-empty list; blocks up to
/// `timeout` seconds (0 = forever) when all are empty, then a null array.
fn blpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bpop_generic(ctx, req, Side::Left)
}

/// ```text
/// BRPOP key [key ...] timeout
/// ```
/// As BLPOP, from the tail.
fn brpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    bpop_generic(ctx, req, Side::Right)
}

/// ```text
/// BLMPOP timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]
/// ```
/// As LMPOP, blocking up to `timeout` seconds (0 = forever) when all lists are empty.
fn blmpop(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let args = parse_mpop(req, 2)?;
    let deadline = parse_timeout(req.arg(1), ctx.now)?;
    let keys = (args.first_key..args.keys_end).map(|j| req.arg(j));
    if !pop_first_of(ctx, keys.clone(), args.side, Some(args.count))? {
        ctx.block(keys, Kind::List, deadline, TimeoutReply::NullArray, req);
    }
    Ok(())
}

/// BLMOVE and BRPOPLPUSH once their arguments are parsed.
fn bmove_generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    from: Side,
    to: Side,
    deadline: i64,
) -> Result<(), CmdError> {
    let src = req.arg(1);
    if move_element(ctx, src, req.arg(2), from, to)? {
        // As LMOVE (BLMOVE) or RPOPLPUSH (BRPOPLPUSH), which do not block.
        if req.len() == 4 {
            ctx.propagate(&[b"RPOPLPUSH", src, req.arg(2)]);
        } else {
            ctx.propagate(&[b"LMOVE", src, req.arg(2), req.arg(3), req.arg(4)]);
        }
        return Ok(());
    }
    if ctx.client().deny_blocking && ctx.client().blocked.is_none() {
        // Inside MULTI: LMOVE's null, though a timeout replies with a null array.
        ctx.out.null();
    } else {
        ctx.block([src], Kind::List, deadline, TimeoutReply::NullArray, req);
    }
    Ok(())
}

/// ```text
/// BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
/// ```
/// As LMOVE, blocking up to `timeout` seconds (0 = forever) while `source` is
/// empty, then a null array (Redis 7.0's reply to every list timeout; inside MULTI,
/// where nothing blocks, a null bulk string as LMOVE).
fn blmove(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let from = parse_side(req.arg(3))?;
    let to = parse_side(req.arg(4))?;
    let deadline = parse_timeout(req.arg(5), ctx.now)?;
    bmove_generic(ctx, req, from, to, deadline)
}

/// ```text
/// BRPOPLPUSH source destination timeout
/// ```
/// BLMOVE source destination RIGHT LEFT timeout.
fn brpoplpush(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let deadline = parse_timeout(req.arg(3), ctx.now)?;
    bmove_generic(ctx, req, Side::Right, Side::Left, deadline)
}
