//! HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST (Redis's
//! hyperloglog.c). An HLL is a plain string in Redis's exact layout
//! ([`crate::store::hll`]), so GET/SET/DUMP/RESTORE move it between rudis and Redis.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::hll::{self, REGISTERS};
use crate::store::{Bytes, Event, Rng, Value, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "pfadd",
        -2,
        flags!(WRITE | DENYOOM | FAST),
        Group::Hyperloglog,
        "Adds the specified elements to the specified HyperLogLog.",
        pfadd,
    )
    .acl(cats!(HYPERLOGLOG))
    .keys(&[KeySpec::at(kf!(RW | INSERT), 1)]),
    CommandSpec::new(
        "pfcount",
        -2,
        flags!(READONLY),
        Group::Hyperloglog,
        "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        pfcount,
    )
    .acl(cats!(HYPERLOGLOG))
    .keys(&[KeySpec::range(kf!(RW | ACCESS), 1, -1, 1)]),
    CommandSpec::new(
        "pfmerge",
        -2,
        flags!(WRITE | DENYOOM),
        Group::Hyperloglog,
        "Merge N different HyperLogLogs into a single one.",
        pfmerge,
    )
    .acl(cats!(HYPERLOGLOG))
    .keys(&[
        KeySpec::at(kf!(RW | ACCESS | INSERT), 1),
        KeySpec::range(kf!(RO | ACCESS), 2, -1, 1),
    ]),
    CommandSpec::new(
        "pfdebug",
        3,
        flags!(WRITE | DENYOOM | ADMIN),
        Group::Hyperloglog,
        "Internal commands for debugging HyperLogLog values",
        pfdebug,
    )
    .acl(cats!(HYPERLOGLOG))
    .keys(&[KeySpec::at(kf!(RW | ACCESS), 2)]),
    CommandSpec::new(
        "pfselftest",
        1,
        flags!(ADMIN),
        Group::Hyperloglog,
        "An internal command for testing HyperLogLog values",
        pfselftest,
    )
    .acl(cats!(HYPERLOGLOG)),
];

/// The event of PFADD and PFMERGE.
const PFADD: Event = Event::new(class::STRING, "pfadd");

/// Redis's reply to a string that is not an HLL.
const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/// Redis's reply to an HLL whose registers cannot be decoded.
const CORRUPT: &str = "INVALIDOBJ Corrupted HLL object detected";

fn corrupt(_: hll::Corrupt) -> CmdError {
    CmdError::msg(CORRUPT)
}

/// The HLL bytes `value` holds: WRONGTYPE for another type, Redis's "not a valid
/// HyperLogLog" for a string that fails its checks (`isHLLObjectOrReply`).
fn as_hll(value: &Value) -> Result<&[u8], CmdError> {
    match value {
        Value::Str(b) if hll::is_valid(b) => Ok(b),
        Value::Str(_) | Value::Int(_) | Value::Doc(_) => Err(CmdError::msg(NOT_HLL)),
        _ => Err(CmdError::WrongType),
    }
}

/// The HLL string inside `value` for an edit (`value` passed [`as_hll`]).
fn hll_mut(value: &mut Value) -> Option<&mut Bytes> {
    match value {
        Value::Str(b) => Some(b),
        _ => None,
    }
}

/// The configured `hll-sparse-max-bytes`.
fn sparse_max(ctx: &Ctx<'_>) -> usize {
    ctx.server.config.encodings.hll_sparse_max_bytes
}

/// Adds `elements` to the HLL `s`: registers changed, or the corruption found.
/// A dense HLL is edited in place; a sparse one through a copy, written back.
fn add_all(b: &mut Bytes, elements: &[&[u8]], max_bytes: usize) -> (u64, Result<(), hll::Corrupt>) {
    let mut updated = 0;
    if hll::encoding(b) == hll::DENSE {
        let regs = &mut b.as_mut_slice()[hll::HDR..];
        for e in elements {
            let (index, count) = hll::pat_len(e);
            if count > hll::dense_get(regs, index) {
                hll::dense_put(regs, index, count);
                updated += 1;
            }
        }
        return (updated, Ok(()));
    }
    let mut s = b.to_vec();
    let mut result = Ok(());
    for e in elements {
        match hll::add(&mut s, e, max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(c) => {
                result = Err(c);
                break;
            }
        }
    }
    *b = Bytes::from_slice(&s);
    (updated, result)
}

/// ```text
/// PFADD key [element [element ...]]
/// ```
/// 1 when a register changed (or the key was created), else 0.
/// # Errors
/// WRONGTYPE, `WRONGTYPE Key is not a valid HyperLogLog string value.`,
/// `INVALIDOBJ Corrupted HLL object detected`.
fn pfadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let elements: Vec<&[u8]> = req.args().skip(2).collect();
    let max_bytes = sparse_max(ctx);
    let Some(mut k) = ctx.write_key(key) else {
        let mut b = Bytes::from_slice(&hll::new_sparse());
        let (updated, result) = add_all(&mut b, &elements, max_bytes);
        result.map_err(corrupt)?;
        let mut s = b.to_vec();
        hll::invalidate(&mut s);
        ctx.insert_key(key, Value::Str(Bytes::from_slice(&s)), 0)
            .changed_n(PFADD, updated + 1);
        ctx.out.int(1);
        return Ok(());
    };
    as_hll(k.value())?;
    let Some(b) = hll_mut(k.value_mut()) else {
        k.unchanged();
        return Err(CmdError::WrongType);
    };
    let (updated, result) = add_all(b, &elements, max_bytes);
    if updated > 0 {
        hll::invalidate(b.as_mut_slice());
    }
    if let Err(c) = result {
        // Registers changed before the corruption was met stay, unannounced (as Redis).
        k.unchanged();
        return Err(corrupt(c));
    }
    if updated > 0 {
        k.changed_n(PFADD, updated);
    } else {
        k.unchanged();
    }
    ctx.out.int(i64::from(updated > 0));
    Ok(())
}

/// ```text
/// PFCOUNT key [key ...]
/// ```
/// The estimated cardinality of the HLL, or of the union of several. With one key,
/// the cached cardinality, recomputed (and stored: a change that propagates) when stale.
/// # Errors
/// WRONGTYPE, `WRONGTYPE Key is not a valid HyperLogLog string value.`,
/// `INVALIDOBJ Corrupted HLL object detected`.
fn pfcount(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 2 {
        let keys: Vec<&[u8]> = req.args().skip(1).collect();
        let mut max = [0u8; REGISTERS];
        for v in ctx.read_keys(&keys).into_iter().flatten() {
            hll::merge(as_hll(v)?, &mut max).map_err(corrupt)?;
        }
        ctx.out.int(hll::count_raw(&max) as i64);
        return Ok(());
    }
    let Some(k) = ctx.read_key(req.arg(1)) else {
        ctx.out.int(0);
        return Ok(());
    };
    let s = as_hll(k.value())?;
    if let Some(card) = hll::cached(s) {
        ctx.out.int(card as i64);
        return Ok(());
    }
    let card = hll::count(s).map_err(corrupt)?;
    let mut k = k.into_mut();
    if let Some(b) = hll_mut(k.value_mut()) {
        hll::set_cached(b.as_mut_slice(), card);
    }
    k.changed(Event::UNNAMED);
    ctx.out.int(card as i64);
    Ok(())
}

/// ```text
/// PFMERGE destkey [sourcekey [sourcekey ...]]
/// ```
/// Stores in `destkey` the union of the HLLs (`destkey` included); dense when any
/// source is.
/// # Errors
/// WRONGTYPE, `WRONGTYPE Key is not a valid HyperLogLog string value.`,
/// `INVALIDOBJ Corrupted HLL object detected`.
fn pfmerge(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let keys: Vec<&[u8]> = req.args().skip(1).collect();
    let mut max = [0u8; REGISTERS];
    let mut use_dense = false;
    for v in ctx.read_keys(&keys).into_iter().flatten() {
        let s = as_hll(v)?;
        use_dense |= hll::encoding(s) == hll::DENSE;
        hll::merge(s, &mut max).map_err(corrupt)?;
    }
    let max_bytes = sparse_max(ctx);
    let dest = req.arg(1);
    let mut s = match ctx.write_key(dest) {
        Some(k) => {
            let s = match k.value() {
                Value::Str(b) => Some(b.to_vec()),
                _ => None,
            };
            k.unchanged();
            s.unwrap_or_else(hll::new_sparse)
        }
        None => hll::new_sparse(),
    };
    if use_dense {
        hll::to_dense(&mut s).map_err(corrupt)?;
    }
    for (j, &m) in max.iter().enumerate() {
        if m != 0 {
            // A valid destination cannot fail here (its registers were merged above).
            let _ = hll::set(&mut s, j, m, max_bytes);
        }
    }
    hll::invalidate(&mut s);
    let value = Value::Str(Bytes::from_slice(&s));
    if let Some(mut k) = ctx.write_key(dest) {
        *k.value_mut() = value;
        k.changed(PFADD);
    } else {
        ctx.insert_key(dest, value, 0).changed(PFADD);
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
/// ```
/// GETREG: the 16384 registers (the HLL turns dense); DECODE: the sparse opcodes as
/// text; ENCODING: `dense` or `sparse`; TODENSE: 1 when it converted.
/// # Errors
/// `ERR The specified key does not exist`, `ERR HLL encoding is not sparse`,
/// `ERR Unknown PFDEBUG subcommand '...'`, the HLL errors.
fn pfdebug(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let sub = req.arg(1);
    let Some(k) = ctx.write_key(req.arg(2)) else {
        return Err(CmdError::msg("ERR The specified key does not exist"));
    };
    let s = match as_hll(k.value()) {
        Ok(s) => s.to_vec(),
        Err(e) => {
            k.unchanged();
            return Err(e);
        }
    };
    let sparse = hll::encoding(&s) == hll::SPARSE;
    if is(sub, "getreg") || is(sub, "todense") {
        let mut dense = s;
        if sparse && let Err(c) = hll::to_dense(&mut dense) {
            k.unchanged();
            return Err(corrupt(c));
        }
        let regs = hll::registers(&dense).unwrap_or_default();
        let mut k = k;
        let converted = sparse;
        if converted {
            *k.value_mut() = Value::Str(Bytes::from_slice(&dense));
        }
        k.unchanged();
        if converted {
            // The encoding change counts as a write, propagated, but signals nothing
            // (Redis's pfdebugCommand: dirty++ only).
            ctx.store.count_change();
        }
        if is(sub, "todense") {
            ctx.out.int(i64::from(sparse));
        } else {
            ctx.out.array_len(regs.len());
            for r in regs {
                ctx.out.int(i64::from(r));
            }
        }
        return Ok(());
    }
    k.unchanged();
    if is(sub, "decode") {
        if !sparse {
            return Err(CmdError::msg("ERR HLL encoding is not sparse"));
        }
        ctx.out.bulk(hll::decode(&s).as_bytes());
    } else if is(sub, "encoding") {
        ctx.out.simple(if sparse { b"sparse" } else { b"dense" });
    } else {
        return Err(CmdError::msg(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(())
}

/// Rounds of PFSELFTEST's register access test (Redis's `HLL_TEST_CYCLES`).
const TEST_CYCLES: usize = 1000;

/// ```text
/// PFSELFTEST
/// ```
/// OK when register access and the estimator's error (dense and sparse agreeing)
/// pass Redis's self test.
/// # Errors
/// `ERR TESTFAILED ...`.
fn pfselftest(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let mut rng = Rng::new(ctx.now as u64 ^ 0x9e37_79b9_7f4a_7c15);
    let mut regs = vec![0u8; hll::DENSE_SIZE - hll::HDR];
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..TEST_CYCLES {
        for (i, b) in bytes.iter_mut().enumerate() {
            let r = (rng.next_u64() & 63) as u8;
            *b = r;
            hll::dense_put(&mut regs, i, r);
        }
        for (i, &b) in bytes.iter().enumerate() {
            let v = hll::dense_get(&regs, i);
            if v != b {
                return Err(CmdError::msg(format!(
                    "ERR TESTFAILED Register {i} should be {b} but is {v}"
                )));
            }
        }
    }
    let mut dense = hll::new_sparse();
    hll::to_dense(&mut dense).map_err(corrupt)?;
    let mut sparse = hll::new_sparse();
    let max_bytes = sparse_max(ctx);
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let mut checkpoint: u64 = 1;
    let seed = rng.next_u64();
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut dense, &ele, max_bytes);
        let _ = hll::add(&mut sparse, &ele, max_bytes);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < max_bytes / 2 && hll::encoding(&sparse) != hll::SPARSE {
            return Err(CmdError::msg("ERR TESTFAILED sparse encoding not used"));
        }
        let card = hll::count(&dense).unwrap_or(0);
        if Ok(card) != hll::count(&sparse) {
            return Err(CmdError::msg("ERR TESTFAILED dense/sparse disagree"));
        }
        let abserr = (checkpoint as i64 - card as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(CmdError::msg(format!(
                "ERR TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            )));
        }
        checkpoint *= 10;
    }
    ctx.out.ok();
    Ok(())
}
