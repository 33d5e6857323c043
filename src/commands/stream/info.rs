//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.

use super::{as_stream, no_group_for_key, reply_entry, reply_id, subcommand_syntax};
use crate::commands::args::{is, parse_i64};
use crate::commands::server::command::{reply_help, run_subcommand};
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::spec::{Group as SpecGroup, KeySpec};
use crate::store::stream::{INVALID_ENTRIES_READ, Stream, StreamId};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "xinfo",
    -2,
    flags!(),
    SpecGroup::Stream,
    "A container for stream introspection commands.",
    xinfo,
)
.subcommands(SUBCOMMANDS)];

/// XINFO's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "xinfo|stream",
        -3,
        flags!(READONLY),
        SpecGroup::Stream,
        "Returns information about a stream.",
        xinfo_stream,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "xinfo|groups",
        3,
        flags!(READONLY),
        SpecGroup::Stream,
        "Returns a list of the consumer groups of a stream.",
        xinfo_groups,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "xinfo|consumers",
        4,
        flags!(READONLY),
        SpecGroup::Stream,
        "Returns a list of the consumers in a consumer group.",
        xinfo_consumers,
    )
    .acl(cats!(STREAM))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 2)]),
    CommandSpec::new(
        "xinfo|help",
        2,
        flags!(LOADING | STALE),
        SpecGroup::Stream,
        "Returns helpful text about the different subcommands.",
        xinfo_help,
    )
    .acl(cats!(STREAM)),
];

/// ```text
/// XINFO <subcommand> [<arg> ...]
/// ```
fn xinfo(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("xinfo", SUBCOMMANDS, ctx, req)
}

fn entries_read(out: &mut Reply<'_>, n: i64) {
    if n == INVALID_ENTRIES_READ {
        out.null();
    } else {
        out.int(n);
    }
}

fn lag(out: &mut Reply<'_>, s: &Stream, g: &crate::store::stream::Group) {
    match s.log.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// The stream at `key` and the reply writer; `ERR no such key` when missing.
fn existing_stream<'c, 'a>(
    ctx: &'c mut Ctx<'a>,
    key: &[u8],
) -> Result<(&'c Stream, &'c mut Reply<'a>), CmdError> {
    match ctx.read_as_and_out(key, as_stream)? {
        (Some(s), out) => Ok((s, out)),
        (None, _) => Err(CmdError::NoSuchKey),
    }
}

/// ```text
/// XINFO STREAM key [FULL [COUNT count]]
/// ```
fn xinfo_stream(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let opts = req.len() - 3;
    let mut full = false;
    let mut count: i64 = 10;
    if opts != 0 {
        if (opts != 1 && opts != 3) || !is(req.arg(3), "full") {
            return Err(subcommand_syntax(req));
        }
        full = true;
        if opts == 3 {
            if !is(req.arg(4), "count") {
                return Err(subcommand_syntax(req));
            }
            count = parse_i64(req.arg(5))?;
            if count < 0 {
                count = 10;
            }
        }
    }
    let (s, out) = existing_stream(ctx, req.arg(2))?;
    let count = count as usize;
    out.map_len(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.log.length as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.log.nodes() as i64);
    out.bulk(b"radix-tree-nodes");
    out.int((s.log.nodes() * 2 + 1) as i64);
    out.bulk(b"last-generated-id");
    reply_id(out, s.log.last_id);
    out.bulk(b"max-deleted-entry-id");
    reply_id(out, s.log.max_deleted);
    out.bulk(b"entries-added");
    out.int(s.log.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    reply_id(out, s.log.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        for (label, rev) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
            out.bulk(label);
            match s.log.range(StreamId::MIN, StreamId::MAX, rev, 1).first() {
                Some((id, pairs)) => reply_entry(out, *id, pairs),
                None => out.null(),
            }
        }
        return Ok(());
    }
    out.bulk(b"entries");
    let entries = s.log.range(StreamId::MIN, StreamId::MAX, false, count);
    out.array_len(entries.len());
    for (id, pairs) in &entries {
        reply_entry(out, *id, pairs);
    }
    out.bulk(b"groups");
    out.array_len(s.groups.len());
    let limit = |n: usize| if count == 0 { n } else { n.min(count) };
    for (name, g) in &s.groups {
        out.map_len(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g.entries_read);
        out.bulk(b"lag");
        lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        out.array_len(limit(g.pel.len()));
        for (id, nack) in g.pel.iter().take(limit(g.pel.len())) {
            out.array_len(4);
            reply_id(out, *id);
            out.bulk(&nack.consumer);
            out.int(nack.delivery_time);
            out.int(nack.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array_len(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map_len(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            out.array_len(limit(c.pel.len()));
            for id in c.pel.iter().take(limit(c.pel.len())) {
                let nack = g.pel.get(id);
                out.array_len(3);
                reply_id(out, *id);
                out.int(nack.map_or(0, |n| n.delivery_time));
                out.int(nack.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}

/// ```text
/// XINFO GROUPS key
/// ```
fn xinfo_groups(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (s, out) = existing_stream(ctx, req.arg(2))?;
    out.array_len(s.groups.len());
    for (name, g) in &s.groups {
        out.map_len(6);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"consumers");
        out.int(g.consumers.len() as i64);
        out.bulk(b"pending");
        out.int(g.pel.len() as i64);
        out.bulk(b"last-delivered-id");
        reply_id(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g.entries_read);
        out.bulk(b"lag");
        lag(out, s, g);
    }
    Ok(())
}

/// ```text
/// XINFO CONSUMERS key group
/// ```
fn xinfo_consumers(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let now = ctx.now;
    let (key, name) = (req.arg(2), req.arg(3));
    let (s, out) = existing_stream(ctx, key)?;
    let Some(g) = s.groups.get(name) else {
        return Err(no_group_for_key(key, name));
    };
    out.array_len(g.consumers.len());
    for (cname, c) in &g.consumers {
        out.map_len(3);
        out.bulk(b"name");
        out.bulk(cname);
        out.bulk(b"pending");
        out.int(c.pel.len() as i64);
        out.bulk(b"idle");
        out.int((now - c.seen_time).max(0));
    }
    Ok(())
}

/// XINFO HELP
fn xinfo_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}
