//! MEMORY USAGE and MEMORY HELP: an estimate of the bytes a key takes, from the
//! sizes of the structures that hold it (there is no allocator introspection).

use super::command::{reply_help, run_subcommand};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::Value;
use crate::store::hash::Hash;
use crate::store::list::List;
use crate::{flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "memory",
    -2,
    flags!(),
    Group::Server,
    "A container for memory diagnostics commands.",
    memory,
)
.subcommands(SUBCOMMANDS)];

/// MEMORY's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "memory|usage",
        -3,
        flags!(READONLY),
        Group::Server,
        "Estimates the memory usage of a key.",
        usage,
    )
    .keys(&[KeySpec::at(kf!(RO), 2)]),
    CommandSpec::new(
        "memory|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns helpful text about the different subcommands.",
        help,
    ),
];

/// Bytes of a key table entry: a 24-byte key, a 24-byte value, a `u32` hash and a
/// `u32` link, plus about one `u32` bucket head.
const ENTRY_BYTES: usize = 60;
/// Per-element estimate for collection types that report no size of their own.
const ELEMENT_BYTES: usize = 32;
/// Elements sampled when SAMPLES is not given (Redis's `OBJ_COMPUTE_SIZE_DEF_SAMPLES`):
/// the estimate of a big collection stays O(1).
const DEFAULT_SAMPLES: usize = 5;

/// ```text
/// MEMORY <subcommand> [<arg> ...]
/// ```
fn memory(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("memory", SUBCOMMANDS, ctx, req)
}

/// ```text
/// MEMORY USAGE key [SAMPLES count]
/// ```
/// The estimated bytes of the key, its value and its table entry; null for a missing
/// key. Elements of variable size are sampled: `count` of them (default 5, 0 = all).
fn usage(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < req.len() {
        if is(req.arg(i), "samples") && i + 1 < req.len() {
            let n = parse_i64(req.arg(i + 1))?;
            samples = usize::try_from(n).map_err(|_| CmdError::Syntax)?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let key = req.arg(2);
    let Some(k) = ctx.read_key(key) else {
        ctx.out.null();
        return Ok(());
    };
    let spilled_key = if key.len() > crate::store::bytes::INLINE_CAP {
        key.len()
    } else {
        0
    };
    let bytes = ENTRY_BYTES + spilled_key + value_bytes(k.value(), samples);
    ctx.out.int(bytes as i64);
    Ok(())
}

/// Heap bytes a value owns, sampling `samples` elements of a big one (0 = all).
fn value_bytes(value: &Value, samples: usize) -> usize {
    match value {
        Value::Str(s) if s.is_heap() => s.capacity(),
        Value::Str(_) | Value::Int(_) => 0,
        Value::Doc(d) => d.len(),
        Value::Hash(h) => std::mem::size_of::<Hash>() + h.heap_bytes(samples),
        Value::List(l) => std::mem::size_of::<List>() + l.heap_bytes(samples),
        Value::Stream(s) => s.memory(),
        other => other.elements() * ELEMENT_BYTES,
    }
}

/// ```text
/// MEMORY HELP
/// ```
fn help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
    Ok(())
}
