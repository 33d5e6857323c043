//! XREAD and XREADGROUP, which may block.
//!
//! A read that finds nothing new and has BLOCK parks the client with [`Ctx::block`]
//! on its keys. A write to one of them runs the command again (see
//! `commands::blocked`): XREAD is stored with each `$` replaced by the ID it stood
//! for, so the rerun serves exactly what came after; XREADGROUP keeps `>`. A blocked
//! XREADGROUP whose key is deleted (or replaced by another type) gets Redis's
//! `-UNBLOCKED the stream key no longer exists`; one whose group was destroyed gets
//! `-NOGROUP` from the rerun itself.

use super::Rewrites;
use super::{
    as_stream, as_stream_mut, finish_group_write, id_text, no_group, parse_strict_id,
    propagate_all, reply_entry, streams_keys,
};
use crate::commands::args::{is, parse_i64};
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Request};
use crate::runtime::blocking::TimeoutReply;
use crate::spec::Group;
use crate::store::Kind;
use crate::store::stream::{INVALID_ENTRIES_READ, Stream, StreamId};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "xread",
        -4,
        flags!(READONLY | BLOCKING),
        Group::Stream,
        "Returns messages from multiple streams with IDs greater than the ones requested. Blocks until a message is available otherwise.",
        xread,
    )
    .acl(cats!(STREAM))
    .keys(&[streams_keys(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "xreadgroup",
        -7,
        flags!(WRITE | BLOCKING),
        Group::Stream,
        "Returns new or historical messages from a stream for a consumer in a group. Blocks until a message is available otherwise.",
        xreadgroup,
    )
    .acl(cats!(STREAM))
    .keys(&[streams_keys(kf!(RO | ACCESS), 4)]),
];

/// The message of a blocked XREADGROUP whose key went away (Redis's blocked.c).
pub const KEY_GONE: &str = "UNBLOCKED the stream key no longer exists";

/// True when `req` is an XREADGROUP (a blocked one fails when its key goes).
pub fn is_group_read(req: &Request<'_>) -> bool {
    is(req.arg(0), "xreadgroup")
}

/// Parsed XREAD/XREADGROUP options.
struct ReadArgs<'a> {
    /// Absolute deadline (0 = forever), `None` without BLOCK.
    block: Option<i64>,
    /// 0 = no limit.
    count: usize,
    /// Index of the first key.
    streams_at: usize,
    /// Number of streams.
    streams: usize,
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
}

fn parse_read<'a>(
    ctx: &Ctx<'_>,
    req: &Request<'a>,
    group_read: bool,
) -> Result<ReadArgs<'a>, CmdError> {
    let mut args = ReadArgs {
        block: None,
        count: 0,
        streams_at: 0,
        streams: 0,
        group: None,
        noack: false,
    };
    let argc = req.len();
    let mut i = 1;
    while i < argc {
        let more = argc - i - 1;
        let opt = req.arg(i);
        if is(opt, "block") && more > 0 {
            if ctx.client().in_script {
                return Err(CmdError::msg(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(req.arg(0))
                )));
            }
            i += 1;
            let ms = parse_i64(req.arg(i))
                .map_err(|_| CmdError::msg("ERR timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(CmdError::msg("ERR timeout is negative"));
            }
            args.block = Some(if ms == 0 {
                0
            } else {
                ms.saturating_add(ctx.now)
            });
        } else if is(opt, "count") && more > 0 {
            i += 1;
            args.count = parse_i64(req.arg(i))?.max(0) as usize;
        } else if is(opt, "streams") && more > 0 {
            args.streams_at = i + 1;
            let n = argc - args.streams_at;
            if !n.is_multiple_of(2) {
                return Err(CmdError::msg(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            args.streams = n / 2;
            break;
        } else if is(opt, "group") && more >= 2 {
            if !group_read {
                return Err(CmdError::msg(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.group = Some((req.arg(i + 1), req.arg(i + 2)));
            i += 2;
        } else if is(opt, "noack") {
            if !group_read {
                return Err(CmdError::msg(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if args.streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    if group_read && args.group.is_none() {
        return Err(CmdError::msg("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(args)
}

/// ```text
/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// ```
/// Entries after each ID (`$`: the stream's last ID); blocks with BLOCK until one
/// arrives, else a null array.
fn xread(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let args = parse_read(ctx, req, false)?;
    let n = args.streams;
    let mut ids = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        let key = req.arg(args.streams_at + i);
        let id_arg = req.arg(args.streams_at + n + i);
        let last = match ctx.read_key_of(key, Kind::Stream)? {
            Some(k) => Some(as_stream(k.value())?.log.last_id),
            None => None,
        };
        let id = match id_arg {
            b"$" => last.unwrap_or(StreamId::MIN),
            b">" => {
                return Err(CmdError::msg(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            _ => parse_strict_id(id_arg)?,
        };
        ids.push(id);
    }
    // Which streams have something after their ID.
    let mut serve = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        let key = req.arg(args.streams_at + i);
        if let Some(k) = ctx
            .store
            .read_key(ctx.server.clients[ctx.me].db, key, ctx.now)
            && let Ok(s) = as_stream(k.value())
            && s.log.length > 0
            && s.log.edge(true).is_some_and(|max| max > id)
        {
            serve.push(i);
        }
    }
    if !serve.is_empty() {
        reply_streams_header(ctx, serve.len());
        for &i in &serve {
            let key = req.arg(args.streams_at + i);
            let Some(start) = ids[i].incr() else { continue };
            let db = ctx.db();
            let Some(k) = ctx.store.read_key(db, key, ctx.now) else {
                continue;
            };
            let s = as_stream(k.into_value())?;
            let out = &mut ctx.out;
            if !out.is_resp3() {
                out.array_len(2);
            }
            out.bulk(key);
            let entries = s.log.range(start, StreamId::MAX, false, args.count);
            out.array_len(entries.len());
            for (id, pairs) in &entries {
                reply_entry(out, *id, pairs);
            }
        }
        return Ok(());
    }
    match args.block {
        Some(deadline) if !ctx.client().deny_blocking => {
            // Store `$` as the ID it stood for: the rerun serves what came after it.
            let mut argv: Vec<Vec<u8>> = req.args().map(<[u8]>::to_vec).collect();
            for (i, id) in ids.iter().enumerate() {
                let at = args.streams_at + n + i;
                if argv[at] == b"$" {
                    argv[at] = id_text(*id);
                }
            }
            let owned = OwnedRequest::from_args(argv.iter().map(Vec::as_slice));
            let keys: Vec<&[u8]> = (0..n).map(|i| req.arg(args.streams_at + i)).collect();
            ctx.block(
                keys,
                Kind::Stream,
                deadline,
                TimeoutReply::NullArray,
                &owned.request(),
            );
        }
        _ => ctx.out.null_array(),
    }
    Ok(())
}

/// The reply's outer container: an array of `[key, entries]` (RESP2) or a map.
fn reply_streams_header(ctx: &mut Ctx<'_>, n: usize) {
    if ctx.out.is_resp3() {
        ctx.out.map_len(n);
    } else {
        ctx.out.array_len(n);
    }
}

/// ```text
/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
/// ```
/// With `>`: entries never delivered to the group, now pending for `consumer`
/// (unless NOACK); with an ID: the consumer's pending entries after it.
fn xreadgroup(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let on = ctx.propagating();
    let args = parse_read(ctx, req, true)?;
    let Some((group, consumer)) = args.group else {
        return Err(CmdError::Syntax);
    };
    let n = args.streams;
    let mut ids = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        let key = req.arg(args.streams_at + i);
        let id_arg = req.arg(args.streams_at + n + i);
        let has_group = match ctx.read_key_of(key, Kind::Stream)? {
            Some(k) => as_stream(k.value())?.groups.contains_key(group),
            None => false,
        };
        if !has_group {
            return Err(no_group(key, group, " in XREADGROUP with GROUP option"));
        }
        let id = match id_arg {
            b"$" => {
                return Err(CmdError::msg(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            b">" => StreamId::MAX,
            _ => parse_strict_id(id_arg)?,
        };
        ids.push(id);
    }
    let db = ctx.db();
    let mut serve = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        let key = req.arg(args.streams_at + i);
        let Some(k) = ctx.store.read_key(db, key, ctx.now) else {
            continue;
        };
        let Ok(s) = as_stream(k.value()) else {
            continue;
        };
        let Some(g) = s.groups.get(group) else {
            continue;
        };
        let history = id != StreamId::MAX;
        if history || (s.log.length > 0 && s.log.edge(true).is_some_and(|max| max > g.last_id)) {
            serve.push(i);
        }
    }
    if serve.is_empty() {
        match args.block {
            Some(deadline) if !ctx.client().deny_blocking => {
                let keys: Vec<&[u8]> = (0..n).map(|i| req.arg(args.streams_at + i)).collect();
                ctx.block(keys, Kind::Stream, deadline, TimeoutReply::NullArray, req);
            }
            _ => ctx.out.null_array(),
        }
        ctx.propagate_nothing();
        return Ok(());
    }
    reply_streams_header(ctx, serve.len());
    let mut propagate = Rewrites::new(on);
    for &i in &serve {
        let key = req.arg(args.streams_at + i);
        let id = ids[i];
        let now = ctx.now;
        let (found, out) = ctx.write_key_of_and_out(key, Kind::Stream)?;
        let Some(mut k) = found else { continue };
        let s = as_stream_mut(k.value_mut())?;
        if !out.is_resp3() {
            out.array_len(2);
        }
        out.bulk(key);
        let Stream { log, groups } = s;
        let Some(g) = groups.get_mut(group) else {
            out.array_len(0);
            k.unchanged();
            continue;
        };
        let created = g.touch_consumer(consumer, now);
        if created && args.noack {
            propagate.push(|| {
                vec![
                    b"XGROUP".to_vec(),
                    b"CREATECONSUMER".to_vec(),
                    key.to_vec(),
                    group.to_vec(),
                    consumer.to_vec(),
                ]
            });
        }
        if id != StreamId::MAX {
            // History: the consumer's pending entries after `id`.
            let start = id.incr().unwrap_or(StreamId::MAX);
            let pending: Vec<StreamId> = g
                .consumers
                .get(consumer)
                .map(|c| {
                    let it = c.pel.range(start..);
                    if args.count == 0 {
                        it.copied().collect()
                    } else {
                        it.take(args.count).copied().collect()
                    }
                })
                .unwrap_or_default();
            out.array_len(pending.len());
            for pid in pending {
                match log.get(pid) {
                    Some(pairs) => {
                        reply_entry(out, pid, &pairs);
                        if let Some(nack) = g.pel.get_mut(&pid) {
                            nack.delivery_time = now;
                            nack.delivery_count += 1;
                        }
                    }
                    None => {
                        out.array_len(2);
                        super::reply_id(out, pid);
                        out.null_array();
                    }
                }
            }
        } else {
            let start = g.last_id.incr().unwrap_or(StreamId::MAX);
            let entries = log.range(start, StreamId::MAX, false, args.count);
            out.array_len(entries.len());
            let mut moved = false;
            for (eid, pairs) in &entries {
                if *eid > g.last_id {
                    if g.entries_read != INVALID_ENTRIES_READ
                        && !log.has_tombstones(*eid, StreamId::MAX)
                    {
                        g.entries_read += 1;
                    } else if log.entries_added > 0 {
                        g.entries_read = log.estimate_distance(*eid);
                    }
                    g.last_id = *eid;
                    moved = true;
                }
                reply_entry(out, *eid, pairs);
                if !args.noack {
                    g.deliver(*eid, consumer, now);
                    if let Some(nack) = g.pel.get(eid) {
                        propagate.push(|| xclaim_argv(key, group, *eid, nack, g.last_id));
                    }
                }
            }
            if args.noack && moved {
                propagate.push(|| setid_argv(key, group, g.last_id, g.entries_read));
            }
        }
        finish_group_write(k, created, 1);
    }
    ctx.propagate_nothing();
    propagate_all(ctx, &propagate);
    Ok(())
}

/// Redis's `streamPropagateXCLAIM`: the deterministic form of a delivery.
pub fn xclaim_argv(
    key: &[u8],
    group: &[u8],
    id: StreamId,
    nack: &crate::store::stream::Nack,
    last_id: StreamId,
) -> Vec<Vec<u8>> {
    vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        group.to_vec(),
        nack.consumer.to_vec(),
        b"0".to_vec(),
        id_text(id),
        b"TIME".to_vec(),
        nack.delivery_time.to_string().into_bytes(),
        b"RETRYCOUNT".to_vec(),
        nack.delivery_count.to_string().into_bytes(),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        id_text(last_id),
    ]
}

/// Redis's `streamPropagateGroupID`: `XGROUP SETID key group id ENTRIESREAD n`.
pub fn setid_argv(key: &[u8], group: &[u8], last_id: StreamId, entries_read: i64) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        group.to_vec(),
        id_text(last_id),
        b"ENTRIESREAD".to_vec(),
        entries_read.to_string().into_bytes(),
    ]
}
