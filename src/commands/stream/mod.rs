//! The stream family (`store::stream` holds the type): appends, ranges, trimming and
//! deletion (`log`), reads that may block (`read`), consumer groups (`groups`), and
//! XINFO (`info`). This file holds what they share: ID parsing and entry replies.

pub mod groups;
pub mod info;
pub mod log;
pub mod read;

use crate::commands::Ctx;
use crate::error::CmdError;
use crate::protocol::Reply;
use crate::spec::{Begin, Find, KeyFlags, KeySpec};
use crate::store::stream::{NodeLimits, Stream, StreamId};
use crate::store::{Event, Value, class};

/// Longest text accepted as an ID (Redis parses IDs in a 128-byte buffer).
const MAX_ID_TEXT: usize = 127;

/// `xadd` event.
pub const XADD: Event = Event::new(class::STREAM, "xadd");
/// `xtrim` event.
pub const XTRIM: Event = Event::new(class::STREAM, "xtrim");
/// `xdel` event.
pub const XDEL: Event = Event::new(class::STREAM, "xdel");
/// `xsetid` event (as all group events below, it touches no WATCHed key, as in
/// Redis, which calls no `signalModifiedKey` for them).
pub const XSETID: Event = Event::new(class::STREAM | class::NO_TOUCH, "xsetid");
/// `xgroup-create` event.
pub const XGROUP_CREATE: Event = Event::new(class::STREAM | class::NO_TOUCH, "xgroup-create");
/// `xgroup-setid` event.
pub const XGROUP_SETID: Event = Event::new(class::STREAM | class::NO_TOUCH, "xgroup-setid");
/// `xgroup-destroy` event.
pub const XGROUP_DESTROY: Event = Event::new(class::STREAM | class::NO_TOUCH, "xgroup-destroy");
/// `xgroup-createconsumer` event.
pub const XGROUP_CREATECONSUMER: Event =
    Event::new(class::STREAM | class::NO_TOUCH, "xgroup-createconsumer");
/// `xgroup-delconsumer` event.
pub const XGROUP_DELCONSUMER: Event =
    Event::new(class::STREAM | class::NO_TOUCH, "xgroup-delconsumer");
/// `xgroup-create` on a stream XGROUP CREATE ... MKSTREAM just created: the new key
/// touches WATCHed keys.
pub const XGROUP_CREATE_NEW: Event = Event::new(class::STREAM, "xgroup-create");
/// A change with no keyspace event of its own (a group read moving the PEL); as in
/// Redis, WATCHed keys are not touched.
pub const GROUP_STATE: Event = Event::new(class::NO_TOUCH, "");

/// The key spec of XREAD and XREADGROUP: the keys after `STREAMS`, searched from
/// `start_from`, half of what follows.
pub const fn streams_keys(flags: KeyFlags, start_from: i32) -> KeySpec {
    KeySpec {
        flags,
        begin: Begin::Keyword {
            keyword: "STREAMS",
            start_from,
        },
        find: Find::Range {
            last: -1,
            step: 1,
            limit: 2,
        },
    }
}

fn invalid_id() -> CmdError {
    CmdError::msg("ERR Invalid stream ID specified as stream command argument")
}

/// Redis's `streamGenericParseIDOrReply`: `-`, `+` (unless `strict`), `ms-seq`, or
/// `ms` with `missing_seq`.
pub fn parse_id_with(arg: &[u8], missing_seq: u64, strict: bool) -> Result<StreamId, CmdError> {
    if arg.len() > MAX_ID_TEXT {
        return Err(invalid_id());
    }
    match arg {
        b"-" | b"+" if strict => Err(invalid_id()),
        b"-" => Ok(StreamId::MIN),
        b"+" => Ok(StreamId::MAX),
        _ => StreamId::parse(arg, missing_seq).ok_or_else(invalid_id),
    }
}

/// A strict ID (no `-`/`+`), sequence 0 when missing.
pub fn parse_strict_id(arg: &[u8]) -> Result<StreamId, CmdError> {
    parse_id_with(arg, 0, true)
}

/// A range bound (`-`, `+`, an ID, or `(ID` exclusive), already moved past an
/// exclusive bound: `start` rounds up, the end rounds down.
/// # Errors
/// An invalid ID, or `ERR invalid start ID for the interval` (end) at the limits.
pub fn parse_bound(arg: &[u8], end: bool) -> Result<StreamId, CmdError> {
    let missing_seq = if end { u64::MAX } else { 0 };
    if arg.len() > 1 && arg[0] == b'(' {
        let id = parse_id_with(&arg[1..], missing_seq, true)?;
        let moved = if end { id.decr() } else { id.incr() };
        return moved.ok_or_else(|| {
            CmdError::msg(if end {
                "ERR invalid end ID for the interval"
            } else {
                "ERR invalid start ID for the interval"
            })
        });
    }
    parse_id_with(arg, missing_seq, false)
}

/// Writes an ID as a bulk string.
pub fn reply_id(out: &mut Reply<'_>, id: StreamId) {
    let mut text = [0u8; 44];
    let n = format_id(id, &mut text);
    out.bulk(&text[..n]);
}

/// Formats `id` into `buf`; returns the length.
fn format_id(id: StreamId, buf: &mut [u8; 44]) -> usize {
    let mut a = itoa::Buffer::new();
    let ms = a.format(id.ms).as_bytes();
    buf[..ms.len()].copy_from_slice(ms);
    let mut n = ms.len();
    buf[n] = b'-';
    n += 1;
    let mut b = itoa::Buffer::new();
    let seq = b.format(id.seq).as_bytes();
    buf[n..n + seq.len()].copy_from_slice(seq);
    n + seq.len()
}

/// Writes one entry: `[id, [field, value, ...]]`.
pub fn reply_entry(out: &mut Reply<'_>, id: StreamId, pairs: &[(&[u8], &[u8])]) {
    out.array_len(2);
    reply_id(out, id);
    out.array_len(pairs.len() * 2);
    for (f, v) in pairs {
        out.bulk(f);
        out.bulk(v);
    }
}

/// The stream a value holds, or WRONGTYPE.
pub fn as_stream(value: &Value) -> Result<&Stream, CmdError> {
    match value {
        Value::Stream(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The stream a value holds, mutably, or WRONGTYPE.
pub fn as_stream_mut(value: &mut Value) -> Result<&mut Stream, CmdError> {
    match value {
        Value::Stream(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The node limits from the configuration.
pub fn node_limits(ctx: &Ctx<'_>) -> NodeLimits {
    ctx.server.config.encodings.stream_limits()
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`.
pub fn no_group(key: &[u8], group: &[u8], suffix: &str) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

/// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
pub fn no_group_for_key(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        String::from_utf8_lossy(group),
        String::from_utf8_lossy(key)
    ))
}

/// The ID as owned text (for propagated commands).
pub fn id_text(id: StreamId) -> Vec<u8> {
    let mut buf = [0u8; 44];
    let n = format_id(id, &mut buf);
    buf[..n].to_vec()
}

/// Parses the IDs from argument `from` on (XDEL, XACK), strict.
pub fn parse_ids(
    req: &crate::protocol::Request<'_>,
    from: usize,
) -> Result<Vec<StreamId>, CmdError> {
    (from..req.len())
        .map(|j| parse_strict_id(req.arg(j)))
        .collect()
}

/// The commands a handler propagates in place of its own, built only while
/// propagation is on (no AOF: no allocation per delivered entry).
#[derive(Debug, Default)]
pub struct Rewrites {
    on: bool,
    commands: Vec<Vec<Vec<u8>>>,
}

impl Rewrites {
    /// Collects only when `on` ([`Ctx::propagating`]).
    pub fn new(on: bool) -> Rewrites {
        Rewrites {
            on,
            commands: Vec::new(),
        }
    }

    /// Adds the command `argv` builds, if collecting.
    pub fn push(&mut self, argv: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.on {
            self.commands.push(argv());
        }
    }
}

/// Propagates the collected commands, in order.
pub fn propagate_all(ctx: &mut Ctx<'_>, rewrites: &Rewrites) {
    for argv in &rewrites.commands {
        let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        ctx.propagate(&argv);
    }
}

/// Finishes the handle of a group write: the consumer creation event if one was
/// created, then `dirty` changes of group state (nothing when 0).
pub fn finish_group_write(mut k: crate::store::KeyMut<'_>, created: bool, dirty: u64) {
    if created {
        k.record(XGROUP_CREATECONSUMER);
    }
    if dirty > 0 {
        k.changed_n(GROUP_STATE, dirty);
    } else {
        k.unchanged();
    }
}

/// Redis's `addReplySubcommandSyntaxError`.
pub fn subcommand_syntax(req: &crate::protocol::Request<'_>) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(req.arg(1))
            .chars()
            .take(128)
            .collect::<String>(),
        String::from_utf8_lossy(req.arg(0)).to_ascii_uppercase()
    ))
}
