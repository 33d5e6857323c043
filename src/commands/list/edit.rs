//! List commands that search and remove: LREM LTRIM LPOS.

use super::push::{as_list, clamp_range, list_mut, node_limit, parse_in_range};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::list::{Item, Side};
use crate::store::{Event, Kind, class};
use crate::{cats, flags, kf};

/// The event of LREM.
const LREM: Event = Event::new(class::LIST, "lrem");
/// The event of LTRIM.
const LTRIM: Event = Event::new(class::LIST, "ltrim");

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "lrem",
        4,
        flags!(WRITE),
        Group::List,
        "Removes elements from a list. Deletes the list if the last element was removed.",
        lrem,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "ltrim",
        4,
        flags!(WRITE),
        Group::List,
        "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
        ltrim,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "lpos",
        -3,
        flags!(READONLY),
        Group::List,
        "Returns the index of matching elements in a list.",
        lpos,
    )
    .acl(cats!(LIST))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// ```text
/// LREM key count element
/// ```
/// Removes the first `count` elements equal to `element` (from the tail when
/// `count` is negative, all when 0); the number removed.
fn lrem(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let count = parse_i64(req.arg(2))?;
    let limit = node_limit(ctx);
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::List)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let list = list_mut(&mut k)?;
    let want = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = list.remove_matching(req.arg(3), want, count < 0, limit);
    if removed > 0 {
        k.changed_collection(LREM, removed as u64);
    } else {
        // Nothing removed: the list is as it was, and not empty.
        k.unchanged();
    }
    ctx.out.int(removed as i64);
    Ok(())
}

/// ```text
/// LTRIM key start stop
/// ```
/// Keeps only the elements from `start` to `stop` inclusive; `+OK`.
fn ltrim(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let start = parse_i64(req.arg(2))?;
    let end = parse_i64(req.arg(3))?;
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::List)? else {
        ctx.out.ok();
        return Ok(());
    };
    let list = list_mut(&mut k)?;
    let len = list.len();
    let (first, count) = clamp_range(start, end, len);
    list.remove_end(Side::Right, len - first - count);
    list.remove_end(Side::Left, first);
    k.changed_collection(LTRIM, (len - count) as u64);
    ctx.out.ok();
    Ok(())
}

/// LPOS's options.
struct LposArgs {
    /// Which match to start from: 1 = the first; negative searches from the tail.
    rank: i64,
    /// Matches to return (0 = all); `None` without COUNT (a single index reply).
    count: Option<usize>,
    /// Elements to compare at most (0 = all).
    maxlen: usize,
}

fn parse_lpos(req: &Request<'_>) -> Result<LposArgs, CmdError> {
    let mut args = LposArgs {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut j = 3;
    while j < req.len() {
        let opt = req.arg(j);
        let more = j + 1 < req.len();
        if is(opt, "rank") && more {
            args.rank = parse_i64(req.arg(j + 1))?;
            if args.rank == 0 {
                return Err(CmdError::msg(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") && more {
            let n = parse_in_range(req.arg(j + 1), 0, i64::MAX, "ERR COUNT can't be negative")?;
            args.count = Some(usize::try_from(n).unwrap_or(usize::MAX));
        } else if is(opt, "maxlen") && more {
            let n = parse_in_range(req.arg(j + 1), 0, i64::MAX, "ERR MAXLEN can't be negative")?;
            args.maxlen = usize::try_from(n).unwrap_or(usize::MAX);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 2;
    }
    Ok(args)
}

/// ```text
/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
/// ```
/// The index of the `rank`-th match (null when none); with COUNT, an array of up to
/// `num-matches` indexes (0 = all) from that match on. A negative rank searches
/// from the tail; MAXLEN compares only that many elements.
fn lpos(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let args = parse_lpos(req)?;
    let Some(k) = ctx.read_key_of(req.arg(1), Kind::List)? else {
        match args.count {
            Some(_) => ctx.out.array_len(0),
            None => ctx.out.null(),
        }
        return Ok(());
    };
    let list = as_list(k.into_value())?;
    let needle = Item::from_bytes(req.arg(2));
    let len = list.len();
    let from_tail = args.rank < 0;
    // Redis 7.0 negates the rank in a C long: i64::MIN stays negative, so every
    // match from the tail qualifies, as from rank -1.
    let skip = match args.rank {
        i64::MIN => 0,
        rank => usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX),
    };
    let want = match args.count {
        Some(0) => usize::MAX,
        Some(n) => n,
        None => 1,
    };
    let scan = if args.maxlen == 0 {
        len
    } else {
        args.maxlen.min(len)
    };
    let mut found = Vec::new();
    let mut matches = 0usize;
    let mut visit = |step: usize, item: Item<'_>| {
        if item == needle {
            matches += 1;
            if matches > skip {
                found.push(if from_tail { len - 1 - step } else { step });
            }
        }
        found.len() < want
    };
    if from_tail {
        for (step, item) in list.rev_from(len.saturating_sub(1)).take(scan).enumerate() {
            if !visit(step, item) {
                break;
            }
        }
    } else {
        for (step, item) in list.iter().take(scan).enumerate() {
            if !visit(step, item) {
                break;
            }
        }
    }
    match args.count {
        Some(_) => {
            ctx.out.array_len(found.len());
            for index in found {
                ctx.out.int(index as i64);
            }
        }
        None => match found.first() {
            Some(&index) => ctx.out.int(index as i64),
            None => ctx.out.null(),
        },
    }
    Ok(())
}
