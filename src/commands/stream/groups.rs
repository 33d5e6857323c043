//! Consumer groups: XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP),
//! XACK, XPENDING, XCLAIM, XAUTOCLAIM.

use super::Rewrites;
use super::read::{setid_argv, xclaim_argv};
use super::{
    GROUP_STATE, XGROUP_CREATE, XGROUP_CREATE_NEW, XGROUP_CREATECONSUMER, XGROUP_DELCONSUMER,
    XGROUP_DESTROY, XGROUP_SETID, as_stream, as_stream_mut, finish_group_write, no_group,
    no_group_for_key, parse_bound, parse_id_with, parse_ids, parse_strict_id, propagate_all,
    reply_entry, reply_id, subcommand_syntax,
};
use crate::commands::args::{is, parse_i64};
use crate::commands::server::command::{reply_help, run_subcommand};
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group as SpecGroup, KeySpec};
use crate::store::stream::{Group, INVALID_ENTRIES_READ, Log, Nack, Stream, StreamId};
use crate::store::{Kind, Value};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "xgroup",
        -2,
        flags!(),
        SpecGroup::Stream,
        "A container for consumer groups commands.",
        xgroup,
    )
    .subcommands(XGROUP_SUBCOMMANDS),
    CommandSpec::new(
        "xack",
        -4,
        flags!(WRITE | FAST),
        SpecGroup::Stream,
        "Returns the number of messages that were successfully acknowledged by the consumer group member of a stream.",
        xack,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "xpending",
        -3,
        flags!(READONLY),
        SpecGroup::Stream,
        "Returns the information and entries from a stream consumer group's pending entries list.",
        xpending,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "xclaim",
        -6,
        flags!(WRITE | FAST),
        SpecGroup::Stream,
        "Changes, or acquires, ownership of a message in a consumer group, as if the message was delivered a consumer group member.",
        xclaim,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "xautoclaim",
        -6,
        flags!(WRITE | FAST),
        SpecGroup::Stream,
        "Changes, or acquires, ownership of messages in a consumer group, as if the messages were delivered to as consumer group member.",
        xautoclaim,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 1)]),
];

/// XGROUP's subcommands.
pub const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "xgroup|create",
        -5,
        flags!(WRITE | DENYOOM),
        SpecGroup::Stream,
        "Creates a consumer group.",
        xgroup_create,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 2)]),
    CommandSpec::new(
        "xgroup|setid",
        -5,
        flags!(WRITE),
        SpecGroup::Stream,
        "Sets the last-delivered ID of a consumer group.",
        xgroup_setid,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 2)]),
    CommandSpec::new(
        "xgroup|destroy",
        4,
        flags!(WRITE),
        SpecGroup::Stream,
        "Destroys a consumer group.",
        xgroup_destroy,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 2)]),
    CommandSpec::new(
        "xgroup|createconsumer",
        5,
        flags!(WRITE | DENYOOM),
        SpecGroup::Stream,
        "Creates a consumer in a consumer group.",
        xgroup_createconsumer,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 2)]),
    CommandSpec::new(
        "xgroup|delconsumer",
        5,
        flags!(WRITE),
        SpecGroup::Stream,
        "Deletes a consumer from a consumer group.",
        xgroup_delconsumer,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RW | DELETE), 2)]),
    CommandSpec::new(
        "xgroup|help",
        2,
        flags!(LOADING | STALE),
        SpecGroup::Stream,
        "Returns helpful text about the different subcommands.",
        xgroup_help,
    )
    .acl(cats!(STREAM)),
];

/// ```text
/// XGROUP <subcommand> [<arg> ...]
/// ```
fn xgroup(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("xgroup", XGROUP_SUBCOMMANDS, ctx, req)
}

/// XGROUP's options from index 5: MKSTREAM (CREATE) and ENTRIESREAD (CREATE, SETID).
fn parse_group_options(req: &Request<'_>, create: bool) -> Result<(bool, i64), CmdError> {
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < req.len() {
        if create && is(req.arg(i), "mkstream") {
            mkstream = true;
            i += 1;
        } else if is(req.arg(i), "entriesread") && i + 1 < req.len() {
            entries_read = parse_i64(req.arg(i + 1))?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(CmdError::msg(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(req));
        }
    }
    Ok((mkstream, entries_read))
}

fn key_required() -> CmdError {
    CmdError::msg(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    )
}

/// ```text
/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
/// ```
fn xgroup_create(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (mkstream, entries_read) = parse_group_options(req, true)?;
    if req.len() > 8 {
        return Err(subcommand_syntax(req));
    }
    let (key, name) = (req.arg(2), req.arg(3));
    let existing = match ctx.read_key_of_write_stream(key)? {
        Some(last) => Some(last),
        None if mkstream => None,
        None => return Err(key_required()),
    };
    let id = if req.arg(4) == b"$" {
        existing.unwrap_or(StreamId::MIN)
    } else {
        parse_strict_id(req.arg(4))?
    };
    let mut k = ctx.write_key_or_create(key, Kind::Stream, || Value::Stream(Box::default()))?;
    let s = as_stream_mut(k.value_mut())?;
    if s.groups.contains_key(name) {
        if existing.is_some() {
            k.unchanged();
        } else {
            k.changed(GROUP_STATE);
        }
        return Err(CmdError::msg(
            "BUSYGROUP Consumer Group name already exists",
        ));
    }
    s.groups.insert(name.into(), Group::new(id, entries_read));
    k.changed(if existing.is_some() {
        XGROUP_CREATE
    } else {
        XGROUP_CREATE_NEW
    });
    ctx.out.ok();
    Ok(())
}

impl Ctx<'_> {
    /// The last ID of the stream at `key` looked up for writing (no hit counted),
    /// `None` when missing; WRONGTYPE for another type.
    pub(super) fn read_key_of_write_stream(
        &mut self,
        key: &[u8],
    ) -> Result<Option<StreamId>, CmdError> {
        match self.write_key_of(key, Kind::Stream)? {
            Some(k) => {
                let last = as_stream(k.value())?.log.last_id;
                k.unchanged();
                Ok(Some(last))
            }
            None => Ok(None),
        }
    }
}

/// The stream at `key` (which must exist) and its group `name` for a subcommand of
/// XGROUP, or the errors Redis gives in that order.
fn group_for_subcommand<'c>(
    ctx: &'c mut Ctx<'_>,
    req: &Request<'_>,
) -> Result<crate::store::KeyMut<'c>, CmdError> {
    let (key, name) = (req.arg(2), req.arg(3));
    let Some(k) = ctx.write_key_of(key, Kind::Stream)? else {
        return Err(key_required());
    };
    if !as_stream(k.value())?.groups.contains_key(name) {
        k.unchanged();
        return Err(no_group_for_key(key, name));
    }
    Ok(k)
}

/// ```text
/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
/// ```
fn xgroup_setid(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (_, entries_read) = parse_group_options(req, false)?;
    if req.len() != 5 && req.len() != 7 {
        return Err(subcommand_syntax(req));
    }
    let id_arg = req.arg(4);
    let parsed = if id_arg == b"$" {
        None
    } else {
        Some(parse_id_with(id_arg, 0, false))
    };
    let mut k = group_for_subcommand(ctx, req)?;
    let id = match parsed {
        None => as_stream(k.value())?.log.last_id,
        Some(Ok(id)) => id,
        Some(Err(e)) => {
            k.unchanged();
            return Err(e);
        }
    };
    let s = as_stream_mut(k.value_mut())?;
    if let Some(g) = s.groups.get_mut(req.arg(3)) {
        g.last_id = id;
        g.entries_read = entries_read;
    }
    k.changed(XGROUP_SETID);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// XGROUP DESTROY key group
/// ```
/// 1 when the group existed. Its blocked readers get `-NOGROUP`.
fn xgroup_destroy(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(mut k) = ctx.write_key_of(req.arg(2), Kind::Stream)? else {
        return Err(key_required());
    };
    let s = as_stream_mut(k.value_mut())?;
    if s.groups.remove(req.arg(3)).is_some() {
        k.changed(XGROUP_DESTROY);
        ctx.out.int(1);
    } else {
        k.unchanged();
        ctx.out.int(0);
    }
    Ok(())
}

/// ```text
/// XGROUP CREATECONSUMER key group consumer
/// ```
fn xgroup_createconsumer(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let now = ctx.now;
    let mut k = group_for_subcommand(ctx, req)?;
    let s = as_stream_mut(k.value_mut())?;
    let created = s
        .groups
        .get_mut(req.arg(3))
        .is_some_and(|g| g.create_consumer(req.arg(4), now));
    if created {
        k.changed(XGROUP_CREATECONSUMER);
    } else {
        k.unchanged();
    }
    ctx.out.int(i64::from(created));
    Ok(())
}

/// ```text
/// XGROUP DELCONSUMER key group consumer
/// ```
/// The number of entries the consumer had pending (now dropped).
fn xgroup_delconsumer(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut k = group_for_subcommand(ctx, req)?;
    let s = as_stream_mut(k.value_mut())?;
    let pending = s
        .groups
        .get_mut(req.arg(3))
        .and_then(|g| g.delete_consumer(req.arg(4)));
    match pending {
        Some(n) => {
            k.changed(XGROUP_DELCONSUMER);
            ctx.out.int(n as i64);
        }
        None => {
            k.unchanged();
            ctx.out.int(0);
        }
    }
    Ok(())
}

/// XGROUP HELP
fn xgroup_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

/// ```text
/// XACK key group id [id ...]
/// ```
/// The number of IDs that were pending and are now acknowledged.
fn xack(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (key, name) = (req.arg(1), req.arg(2));
    let Some(mut k) = ctx.write_key_of(key, Kind::Stream)? else {
        ctx.out.int(0);
        return Ok(());
    };
    if !as_stream(k.value())?.groups.contains_key(name) {
        k.unchanged();
        ctx.out.int(0);
        return Ok(());
    }
    let ids = match parse_ids(req, 3) {
        Ok(ids) => ids,
        Err(e) => {
            k.unchanged();
            return Err(e);
        }
    };
    let s = as_stream_mut(k.value_mut())?;
    let mut acked = 0u64;
    if let Some(g) = s.groups.get_mut(name) {
        for id in ids {
            acked += u64::from(g.ack(id));
        }
    }
    if acked > 0 {
        k.changed_n(GROUP_STATE, acked);
    } else {
        k.unchanged();
    }
    ctx.out.int(acked as i64);
    Ok(())
}

/// ```text
/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
/// ```
/// The summary (count, smallest and greatest ID, count per consumer), or the pending
/// entries in a range: `[id, consumer, idle ms, deliveries]`.
fn xpending(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let argc = req.len();
    let (key, name) = (req.arg(1), req.arg(2));
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(req.arg(3), "idle") {
            min_idle = parse_i64(req.arg(4))?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = parse_i64(req.arg(at + 2))?.max(0) as usize;
        let start = parse_bound(req.arg(at), false)?;
        let end = parse_bound(req.arg(at + 1), true)?;
        let consumer = (at + 3 < argc).then(|| req.arg(at + 3));
        range = Some((min_idle, start, end, count, consumer));
    }
    let now = ctx.now;
    let (found, out) = ctx.read_key_and_out(key);
    let stream = match found {
        Some(k) => Some(as_stream(k.into_value())?),
        None => None,
    };
    let Some(g) = stream.and_then(|s| s.groups.get(name)) else {
        return Err(no_group(key, name, ""));
    };
    let Some((min_idle, start, end, mut count, consumer)) = range else {
        out.array_len(4);
        out.int(g.pel.len() as i64);
        match (g.pel.first_key_value(), g.pel.last_key_value()) {
            (Some((first, _)), Some((last, _))) => {
                reply_id(out, *first);
                reply_id(out, *last);
                let busy: Vec<_> = g
                    .consumers
                    .iter()
                    .filter(|(_, c)| !c.pel.is_empty())
                    .collect();
                out.array_len(busy.len());
                for (n, c) in busy {
                    out.array_len(2);
                    out.bulk(n);
                    out.bulk_int(c.pel.len() as i64);
                }
            }
            _ => {
                out.null();
                out.null();
                out.null_array();
            }
        }
        return Ok(());
    };
    // Walked lazily: the work is bounded by COUNT (and the IDLE filter), not the PEL.
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(c) => match g.consumers.get(c) {
            Some(c) => Box::new(c.pel.range(start..).copied()),
            None => {
                out.array_len(0);
                return Ok(());
            }
        },
        None => Box::new(g.pel.range(start..).map(|(id, _)| *id)),
    };
    let mut rows = Vec::new();
    for id in ids {
        if count == 0 || id > end {
            break;
        }
        let Some(nack) = g.pel.get(&id) else { continue };
        if min_idle != 0 && now - nack.delivery_time < min_idle {
            continue;
        }
        count -= 1;
        rows.push((id, nack));
    }
    out.array_len(rows.len());
    for (id, nack) in rows {
        out.array_len(4);
        reply_id(out, id);
        out.bulk(&nack.consumer);
        out.int((now - nack.delivery_time).max(0));
        out.int(nack.delivery_count as i64);
    }
    Ok(())
}

/// Parses an integer option of XCLAIM/XAUTOCLAIM with its own error text.
fn int_arg(arg: &[u8], error: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg).map_err(|_| CmdError::msg(error))
}

/// Claims pending `id` for `consumer` (Redis's XCLAIM/XAUTOCLAIM step once the entry
/// is known to exist): moves it, sets its delivery time and count.
fn claim(g: &mut Group, id: StreamId, consumer: &[u8], time: i64, count: Option<u64>) {
    g.reassign(id, consumer);
    if let Some(nack) = g.pel.get_mut(&id) {
        nack.delivery_time = time;
        match count {
            Some(n) => nack.delivery_count = n,
            None => nack.delivery_count += 1,
        }
    }
}

/// The entries XCLAIM/XAUTOCLAIM claimed (their IDs only with JUSTID).
fn reply_claimed(out: &mut Reply<'_>, log: &Log, claimed: &[StreamId], justid: bool) {
    out.array_len(claimed.len());
    for id in claimed {
        if justid {
            reply_id(out, *id);
        } else if let Some(pairs) = log.get(*id) {
            reply_entry(out, *id, &pairs);
        } else {
            out.null_array();
        }
    }
}

/// ```text
/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-ms]
///     [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
/// ```
/// Moves pending entries idle at least `min-idle-time` to `consumer`; replies with
/// them (or their IDs with JUSTID).
fn xclaim(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let on = ctx.propagating();
    let (key, name, consumer) = (req.arg(1), req.arg(2), req.arg(3));
    let exists = match ctx.read_key_of(key, Kind::Stream)? {
        Some(k) => as_stream(k.value())?.groups.contains_key(name),
        None => false,
    };
    if !exists {
        return Err(no_group(key, name, ""));
    }
    let min_idle = int_arg(req.arg(4), "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut j = 5;
    let mut ids = Vec::new();
    while j < req.len() {
        match parse_strict_id(req.arg(j)) {
            Ok(id) => ids.push(id),
            Err(_) => break,
        }
        j += 1;
    }
    let now = ctx.now;
    let (mut force, mut justid) = (false, false);
    let mut time: i64 = -1;
    let mut retry: i64 = -1;
    let mut last_id = StreamId::MIN;
    while j < req.len() {
        let more = req.len() - 1 - j;
        let opt = req.arg(j);
        if is(opt, "force") {
            force = true;
        } else if is(opt, "justid") {
            justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            time = now - int_arg(req.arg(j), "ERR Invalid IDLE option argument for XCLAIM")?;
        } else if is(opt, "time") && more > 0 {
            j += 1;
            time = int_arg(req.arg(j), "ERR Invalid TIME option argument for XCLAIM")?;
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            retry = int_arg(
                req.arg(j),
                "ERR Invalid RETRYCOUNT option argument for XCLAIM",
            )?;
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_strict_id(req.arg(j))?;
        } else {
            return Err(CmdError::msg(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
        j += 1;
    }
    let time = if time < 0 || time > now { now } else { time };
    let propagate = {
        let (found, out) = ctx.write_key_of_and_out(key, Kind::Stream)?;
        let Some(mut k) = found else {
            return Err(no_group(key, name, ""));
        };
        let s = as_stream_mut(k.value_mut())?;
        let Stream { log, groups } = s;
        let Some(g) = groups.get_mut(name) else {
            k.unchanged();
            return Err(no_group(key, name, ""));
        };
        let mut propagate = Rewrites::new(on);
        let mut propagate_last_id = false;
        if last_id > g.last_id {
            g.last_id = last_id;
            propagate_last_id = true;
        }
        let mut claimed = Vec::new();
        let mut created = false;
        let mut consumer_ready = false;
        let mut dirty = 0u64;
        for id in ids {
            let pending = g.pel.contains_key(&id);
            if !log.exists(id) {
                if let Some(nack) = g.pel.get(&id) {
                    propagate.push(|| xclaim_argv(key, name, id, nack, g.last_id));
                    propagate_last_id = false;
                    dirty += 1;
                    g.ack(id);
                }
                continue;
            }
            let forced = force && !pending;
            if !pending && !forced {
                continue;
            }
            if !forced
                && min_idle != 0
                && let Some(nack) = g.pel.get(&id)
                && now - nack.delivery_time < min_idle
            {
                continue;
            }
            if !consumer_ready {
                created = g.touch_consumer(consumer, now);
                consumer_ready = true;
            }
            if forced {
                g.pel.insert(
                    id,
                    Nack {
                        delivery_time: now,
                        delivery_count: 1,
                        consumer: consumer.into(),
                    },
                );
            }
            let count = if retry >= 0 {
                Some(retry as u64)
            } else if justid {
                g.pel.get(&id).map(|n| n.delivery_count)
            } else {
                None
            };
            claim(g, id, consumer, time, count);
            claimed.push(id);
            if let Some(nack) = g.pel.get(&id) {
                propagate.push(|| xclaim_argv(key, name, id, nack, g.last_id));
            }
            propagate_last_id = false;
            dirty += 1;
        }
        if propagate_last_id {
            propagate.push(|| setid_argv(key, name, g.last_id, g.entries_read));
            dirty += 1;
        }
        reply_claimed(out, log, &claimed, justid);
        finish_group_write(k, created, dirty);
        propagate
    };
    ctx.propagate_nothing();
    propagate_all(ctx, &propagate);
    Ok(())
}

/// ```text
/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
/// ```
/// Claims up to `count` (default 100) pending entries idle at least
/// `min-idle-time`, scanning at most 10 × `count` of them from `start`; replies
/// `[next start, claimed, deleted IDs]`.
fn xautoclaim(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let on = ctx.propagating();
    let (key, name, consumer) = (req.arg(1), req.arg(2), req.arg(3));
    let min_idle = int_arg(
        req.arg(4),
        "ERR Invalid min-idle-time argument for XAUTOCLAIM",
    )?
    .max(0);
    let start = parse_bound(req.arg(5), false)?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < req.len() {
        let more = req.len() - 1 - j;
        if is(req.arg(j), "count") && more > 0 {
            let max = i64::MAX / 16;
            count = parse_i64(req.arg(j + 1))
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| CmdError::msg("ERR COUNT must be > 0"))?;
            j += 1;
        } else if is(req.arg(j), "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let now = ctx.now;
    let propagate = {
        let (found, out) = ctx.write_key_of_and_out(key, Kind::Stream)?;
        let Some(mut k) = found else {
            return Err(no_group(key, name, ""));
        };
        if !as_stream(k.value())?.groups.contains_key(name) {
            k.unchanged();
            return Err(no_group(key, name, ""));
        }
        let s = as_stream_mut(k.value_mut())?;
        let Stream { log, groups } = s;
        let Some(g) = groups.get_mut(name) else {
            k.unchanged();
            return Err(no_group(key, name, ""));
        };
        let mut attempts = count.saturating_mul(10);
        let mut left = count;
        let mut propagate = Rewrites::new(on);
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let mut created = false;
        let mut consumer_ready = false;
        let mut cursor = start;
        let mut dirty = 0u64;
        while attempts > 0 && left > 0 {
            let Some(id) = g.pel.range(cursor..).next().map(|(id, _)| *id) else {
                cursor = StreamId::MAX;
                break;
            };
            attempts -= 1;
            cursor = id.incr().unwrap_or(StreamId::MAX);
            if !log.exists(id) {
                if let Some(nack) = g.pel.get(&id) {
                    propagate.push(|| xclaim_argv(key, name, id, nack, g.last_id));
                }
                g.ack(id);
                deleted.push(id);
                dirty += 1;
                left -= 1;
                continue;
            }
            if min_idle != 0
                && g.pel
                    .get(&id)
                    .is_some_and(|n| now - n.delivery_time < min_idle)
            {
                continue;
            }
            if !consumer_ready {
                created = g.touch_consumer(consumer, now);
                consumer_ready = true;
            }
            let keep = justid.then(|| g.pel.get(&id).map_or(1, |n| n.delivery_count));
            claim(g, id, consumer, now, keep);
            claimed.push(id);
            if let Some(nack) = g.pel.get(&id) {
                propagate.push(|| xclaim_argv(key, name, id, nack, g.last_id));
            }
            dirty += 1;
            left -= 1;
        }
        let next = if cursor == StreamId::MAX && g.pel.range(cursor..).next().is_none() {
            StreamId::MIN
        } else {
            g.pel
                .range(cursor..)
                .next()
                .map_or(StreamId::MIN, |(id, _)| *id)
        };
        out.array_len(3);
        reply_id(out, next);
        reply_claimed(out, log, &claimed, justid);
        out.array_len(deleted.len());
        for id in &deleted {
            reply_id(out, *id);
        }
        finish_group_write(k, created, dirty);
        propagate
    };
    ctx.propagate_nothing();
    propagate_all(ctx, &propagate);
    Ok(())
}
