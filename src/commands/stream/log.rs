//! The log commands: XADD XTRIM XDEL XLEN XRANGE XREVRANGE XSETID.

use super::Rewrites;
use super::{
    XADD, XDEL, XSETID, XTRIM, as_stream, as_stream_mut, id_text, node_limits, parse_bound,
    parse_ids, parse_strict_id, propagate_all, reply_entry, reply_id,
};
use crate::commands::args::{is, parse_i64};
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::stream::{MAX_NODE_BYTES, Stream, StreamId, Trim};
use crate::store::{Kind, Value};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "xadd",
        -5,
        flags!(WRITE | DENYOOM | FAST),
        Group::Stream,
        "Appends a new message to a stream. Creates the key if it doesn't exist.",
        xadd,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "xtrim",
        -4,
        flags!(WRITE),
        Group::Stream,
        "Deletes messages from the beginning of a stream.",
        xtrim,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "xdel",
        -3,
        flags!(WRITE | FAST),
        Group::Stream,
        "Returns the number of messages after removing them from a stream.",
        xdel,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
    CommandSpec::new(
        "xlen",
        2,
        flags!(READONLY | FAST),
        Group::Stream,
        "Return the number of messages in a stream.",
        xlen,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
        "xrange",
        -4,
        flags!(READONLY),
        Group::Stream,
        "Returns the messages from a stream within a range of IDs.",
        xrange,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "xrevrange",
        -4,
        flags!(READONLY),
        Group::Stream,
        "Returns the messages from a stream within a range of IDs in reverse order.",
        xrevrange,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "xsetid",
        -3,
        flags!(WRITE | DENYOOM | FAST),
        Group::Stream,
        "An internal command for replicating stream values.",
        xsetid,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
];

/// Trimming asked by XADD or XTRIM (Redis's `streamAddTrimArgs`).
#[derive(Debug, Default)]
struct TrimArgs {
    how: Option<Trim>,
    approx: bool,
    /// Most entries to trim (0 = no limit).
    limit: u64,
    /// Index of the MAXLEN/MINID value (the `~`/`=` is just before it, if given).
    value_at: usize,
    /// Index of LIMIT's keyword, if given.
    limit_at: Option<usize>,
    /// XADD: the explicit ID, and whether its sequence was given (not `ms-*`).
    id: Option<(StreamId, bool)>,
    nomkstream: bool,
}

/// Parses XADD's (`xadd`) or XTRIM's options from index 2; returns them and, for
/// XADD, the index of the ID. `node_entries` sets the default LIMIT of `~`.
fn parse_trim(
    req: &Request<'_>,
    xadd: bool,
    node_entries: usize,
) -> Result<(TrimArgs, usize), CmdError> {
    let mut args = TrimArgs::default();
    let mut i = 2;
    let mut limit_given = false;
    let argc = req.len();
    while i < argc {
        let more = argc - 1 - i;
        let opt = req.arg(i);
        if xadd && opt == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if args.how.is_some() {
                return Err(CmdError::msg(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            args.approx = false;
            let next = req.arg(i + 1);
            if more >= 2 && (next == b"~" || next == b"=") {
                args.approx = next == b"~";
                i += 1;
            }
            let value = req.arg(i + 1);
            if is(opt, "maxlen") {
                let n = parse_i64(value)?;
                if n < 0 {
                    return Err(CmdError::msg("ERR The MAXLEN argument must be >= 0."));
                }
                args.how = Some(Trim::MaxLen(n as u64));
            } else {
                args.how = Some(Trim::MinId(parse_strict_id(value)?));
            }
            i += 1;
            args.value_at = i;
        } else if is(opt, "limit") && more > 0 {
            let n = parse_i64(req.arg(i + 1))?;
            if n < 0 {
                return Err(CmdError::msg("ERR The LIMIT argument must be >= 0."));
            }
            args.limit = n as u64;
            args.limit_at = Some(i);
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            args.nomkstream = true;
        } else if xadd {
            let seq_given = !(opt.len() >= 2 && opt.ends_with(b"-*"));
            let id = if seq_given {
                parse_strict_id(opt)?
            } else {
                let ms = &opt[..opt.len() - 2];
                if ms.contains(&b'-') || ms.len() > 126 {
                    return Err(CmdError::msg(
                        "ERR Invalid stream ID specified as stream command argument",
                    ));
                }
                parse_strict_id(ms)?
            };
            args.id = Some((id, seq_given));
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if args.limit != 0 && args.how.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && args.how.is_none() {
        return Err(CmdError::msg(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if limit_given {
        if !args.approx {
            return Err(CmdError::msg(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if args.approx {
        // At most 100 nodes of work per call, as Redis.
        args.limit = (100 * node_entries as u64).clamp(1, 1_000_000);
        if node_entries == 0 {
            args.limit = 10_000;
        }
    }
    Ok((args, i))
}

/// The deterministic form of a trim for propagation: `~` becomes `=` with what the
/// trim reached (the length, or the first ID left), and LIMIT goes.
fn rewrite_trim(
    req: &Request<'_>,
    args: &TrimArgs,
    s: &Stream,
    id_at: Option<(usize, &[u8])>,
) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = req.args().map(<[u8]>::to_vec).collect();
    if let Some((at, id)) = id_at {
        argv[at] = id.to_vec();
    }
    if args.approx {
        argv[args.value_at - 1] = b"=".to_vec();
        argv[args.value_at] = match args.how {
            Some(Trim::MaxLen(_)) => s.log.length.to_string().into_bytes(),
            _ => id_text(s.log.edge(false).unwrap_or(StreamId::MAX)),
        };
        if let Some(at) = args.limit_at {
            argv.drain(at..at + 2);
        }
    }
    argv
}

/// ```text
/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
/// ```
/// Appends an entry; replies with its ID (null with NOMKSTREAM on a missing key).
fn xadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let propagating = ctx.propagating();
    let limits = node_limits(ctx);
    let (args, id_at) = parse_trim(req, true, limits.max_entries)?;
    let fields_at = id_at + 1;
    let argc = req.len();
    if argc < fields_at + 2 || (argc - fields_at) % 2 == 1 {
        return Err(CmdError::Arity("xadd".into()));
    }
    if let Some((id, true)) = args.id
        && id.is_zero()
    {
        return Err(CmdError::msg(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let pairs: Vec<(&[u8], &[u8])> = (fields_at..argc)
        .step_by(2)
        .map(|j| (req.arg(j), req.arg(j + 1)))
        .collect();
    let total: usize = pairs.iter().map(|(f, v)| f.len() + v.len()).sum();
    let key = req.arg(1);
    let now = ctx.now;
    if args.nomkstream && ctx.read_key_of_write_stream(key)?.is_none() {
        ctx.out.null();
        return Ok(());
    }
    if total > MAX_NODE_BYTES {
        return Err(CmdError::msg("ERR Elements are too large to be stored"));
    }
    let mut k = ctx.write_key_or_create(key, Kind::Stream, || Value::Stream(Box::default()))?;
    let s = as_stream(k.value())?;
    if s.log.last_id == StreamId::MAX {
        k.unchanged();
        return Err(CmdError::msg(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let last = s.log.last_id;
    let id = match args.id {
        None => s.log.next_id(now),
        Some((id, true)) => Some(id),
        Some((id, false)) if id.ms == last.ms => last.incr().filter(|n| n.ms == id.ms),
        Some((id, false)) => Some(id),
    };
    let Some(id) = id.filter(|id| *id > last) else {
        k.unchanged();
        return Err(CmdError::msg(
            "ERR The ID specified in XADD is equal or smaller than the target stream top item",
        ));
    };
    let s = as_stream_mut(k.value_mut())?;
    s.log.append(id, &pairs, limits);
    let trimmed = match args.how {
        Some(how) => s.log.trim(how, args.approx, args.limit),
        None => 0,
    };
    let id_given_whole = matches!(args.id, Some((_, true)));
    let argv = (propagating && rewritten(&args, id_given_whole)).then(|| {
        let text = id_text(id);
        rewrite_trim(req, &args, s, Some((id_at, &text)))
    });
    k.record(XADD);
    if trimmed > 0 {
        k.record(XTRIM);
    }
    k.unchanged();
    reply_id(&mut ctx.out, id);
    if let Some(argv) = argv {
        let mut one = Rewrites::new(true);
        one.push(|| argv);
        propagate_all(ctx, &one);
    }
    Ok(())
}

/// Whether XADD's propagated form differs from what the client sent.
fn rewritten(args: &TrimArgs, id_given_whole: bool) -> bool {
    !id_given_whole || args.approx
}

/// ```text
/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
/// ```
/// Trims the stream; replies with the number of entries deleted.
fn xtrim(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let limits = node_limits(ctx);
    let (args, _) = parse_trim(req, false, limits.max_entries)?;
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::Stream)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(how) = args.how else {
        k.unchanged();
        return Err(CmdError::Syntax);
    };
    let s = as_stream_mut(k.value_mut())?;
    let deleted = s.log.trim(how, args.approx, args.limit);
    if deleted == 0 {
        k.unchanged();
        ctx.out.int(0);
        return Ok(());
    }
    let argv = args.approx.then(|| rewrite_trim(req, &args, s, None));
    k.changed_n(XTRIM, deleted);
    ctx.out.int(deleted as i64);
    if let Some(argv) = argv {
        let mut one = Rewrites::new(true);
        one.push(|| argv);
        propagate_all(ctx, &one);
    }
    Ok(())
}

/// ```text
/// XDEL key id [id ...]
/// ```
/// Deletes entries; replies with how many existed.
fn xdel(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::Stream)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let ids = match parse_ids(req, 2) {
        Ok(ids) => ids,
        Err(e) => {
            k.unchanged();
            return Err(e);
        }
    };
    let s = as_stream_mut(k.value_mut())?;
    let mut deleted = 0u64;
    let mut first = false;
    for id in ids {
        if s.log.delete(id) {
            first |= id == s.log.first_id;
            if id > s.log.max_deleted {
                s.log.max_deleted = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if s.log.length == 0 {
            s.log.first_id = StreamId::MIN;
        } else if first {
            s.log.first_id = s.log.edge(false).unwrap_or(StreamId::MAX);
        }
        k.changed_n(XDEL, deleted);
    } else {
        k.unchanged();
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// ```text
/// XLEN key
/// ```
fn xlen(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let n = match ctx.read_key_of(req.arg(1), Kind::Stream)? {
        Some(k) => as_stream(k.value())?.len(),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

/// XRANGE and XREVRANGE.
fn range_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, rev: bool) -> Result<(), CmdError> {
    let (start_arg, end_arg) = if rev {
        (req.arg(3), req.arg(2))
    } else {
        (req.arg(2), req.arg(3))
    };
    let start = parse_bound(start_arg, false)?;
    let end = parse_bound(end_arg, true)?;
    let mut count: i64 = -1;
    let mut j = 4;
    while j < req.len() {
        if is(req.arg(j), "count") && j + 1 < req.len() {
            count = parse_i64(req.arg(j + 1))?.max(0);
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let (found, out) = ctx.read_key_and_out(req.arg(1));
    let Some(k) = found else {
        out.array_len(0);
        return Ok(());
    };
    let s = as_stream(k.into_value())?;
    if count == 0 {
        out.null_array();
        return Ok(());
    }
    let count = if count < 0 { 0 } else { count as usize };
    let entries = s.log.range(start, end, rev, count);
    out.array_len(entries.len());
    for (id, pairs) in &entries {
        reply_entry(out, *id, pairs);
    }
    Ok(())
}

/// ```text
/// XRANGE key start end [COUNT count]
/// ```
/// Entries from `start` to `end` (`-`, `+`, `(` for exclusive).
fn xrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, false)
}

/// ```text
/// XREVRANGE key end start [COUNT count]
/// ```
fn xrevrange(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    range_generic(ctx, req, true)
}

/// ```text
/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
/// ```
fn xsetid(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let id = parse_strict_id(req.arg(2))?;
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < req.len() {
        let more = req.len() - 1 - i;
        let opt = req.arg(i);
        if is(opt, "entriesadded") && more > 0 {
            entries_added = parse_i64(req.arg(i + 1))?;
            if entries_added < 0 {
                return Err(CmdError::msg("ERR entries_added must be positive"));
            }
        } else if is(opt, "maxdeletedid") && more > 0 {
            max_deleted = parse_strict_id(req.arg(i + 1))?;
            if id < max_deleted {
                return Err(CmdError::msg(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let Some(mut k) = ctx.write_key_of(req.arg(1), Kind::Stream)? else {
        return Err(CmdError::NoSuchKey);
    };
    let s = as_stream(k.value())?;
    if s.log.length > 0 {
        let max = s.log.edge(true).unwrap_or(StreamId::MIN);
        if id < max {
            k.unchanged();
            return Err(CmdError::msg(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added != -1 && s.log.length > entries_added as u64 {
            k.unchanged();
            return Err(CmdError::msg(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    let s = as_stream_mut(k.value_mut())?;
    s.log.last_id = id;
    if entries_added != -1 {
        s.log.entries_added = entries_added as u64;
    }
    if !max_deleted.is_zero() {
        s.log.max_deleted = max_deleted;
    }
    k.changed(XSETID);
    ctx.out.ok();
    Ok(())
}
