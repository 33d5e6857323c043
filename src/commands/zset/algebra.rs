//! Sorted set algebra: ZUNION ZINTER ZDIFF, their *STORE forms, and ZINTERCARD
//! (Redis's `zunionInterDiffGenericCommand`). Plain sets are accepted as inputs, each
//! member with score 1, as in Redis.

use std::collections::HashMap;

use super::members::{limits, store_result, write_entry, write_list_len};
use super::score_text::parse_double;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::set::Set;
use crate::store::zset::{ZSet, order};
use crate::store::{Bytes, Event, Value, class};

/// The event of ZUNIONSTORE.
const ZUNIONSTORE: Event = Event::new(class::ZSET, "zunionstore");
/// The event of ZINTERSTORE.
const ZINTERSTORE: Event = Event::new(class::ZSET, "zinterstore");
/// The event of ZDIFFSTORE.
const ZDIFFSTORE: Event = Event::new(class::ZSET, "zdiffstore");
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "zunionstore",
        -4,
        flags!(WRITE | DENYOOM),
        Group::SortedSet,
        "Stores the union of multiple sorted sets in a key.",
        zunionstore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 1),
        KeySpec::numkeys(kf!(RO | ACCESS), 2),
    ]),
    CommandSpec::new(
        "zinterstore",
        -4,
        flags!(WRITE | DENYOOM),
        Group::SortedSet,
        "Stores the intersect of multiple sorted sets in a key.",
        zinterstore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 1),
        KeySpec::numkeys(kf!(RO | ACCESS), 2),
    ]),
    CommandSpec::new(
        "zdiffstore",
        -4,
        flags!(WRITE | DENYOOM),
        Group::SortedSet,
        "Stores the difference of multiple sorted sets in a key.",
        zdiffstore,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 1),
        KeySpec::numkeys(kf!(RO | ACCESS), 2),
    ]),
    CommandSpec::new(
        "zunion",
        -3,
        flags!(READONLY),
        Group::SortedSet,
        "Returns the union of multiple sorted sets.",
        zunion,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zinter",
        -3,
        flags!(READONLY),
        Group::SortedSet,
        "Returns the intersect of multiple sorted sets.",
        zinter,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zintercard",
        -3,
        flags!(READONLY),
        Group::SortedSet,
        "Returns the number of members of the intersect of multiple sorted sets.",
        zintercard,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "zdiff",
        -3,
        flags!(READONLY),
        Group::SortedSet,
        "Returns the difference between multiple sorted sets.",
        zdiff,
    )
    .acl(cats!(SORTEDSET))
    .keys(&[KeySpec::numkeys(kf!(RO | ACCESS), 1)]),
];

/// Which operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

/// How scores of one member combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Redis's `zunionInterAggregate`.
    fn apply(self, target: &mut f64, v: f64) {
        match self {
            Aggregate::Sum => {
                *target += v;
                // inf + -inf is NaN; Redis makes it 0.
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if v < *target {
                    *target = v;
                }
            }
            Aggregate::Max => {
                if v > *target {
                    *target = v;
                }
            }
        }
    }
}

/// One input: a sorted set, a plain set (scores 1), or nothing (a missing key).
#[derive(Debug, Clone, Copy)]
enum Source<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a Set),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Z(z) => z.len(),
            Source::S(s) => s.len(),
        }
    }

    fn find(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Z(z) => z.score(member),
            Source::S(s) => s.contains(member).then_some(1.0),
        }
    }

    fn each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Missing => {}
            Source::Z(z) => {
                for (m, s) in z.iter() {
                    if !f(m, s) {
                        return;
                    }
                }
            }
            Source::S(set) => {
                for m in set.iter() {
                    if !m.with_text(|t| f(t, 1.0)) {
                        return;
                    }
                }
            }
        }
    }
}

/// Everything after the key list.
#[derive(Debug)]
struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: usize,
}

/// ```text
/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
/// ```
/// Stores the union in `destination`; replies its size.
/// # Errors
/// `ERR at least 1 input key is needed for 'zunionstore' command`, `ERR syntax
/// error`, `ERR weight value is not a float`, `ERR value is not an integer or out of
/// range`, WRONGTYPE.
fn zunionstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zunionstore", Op::Union, Target::Store)
}

/// ```text
/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
/// ```
/// Stores the intersection in `destination`; replies its size.
/// # Errors
/// As ZUNIONSTORE.
fn zinterstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zinterstore", Op::Inter, Target::Store)
}

/// ```text
/// ZDIFFSTORE destination numkeys key [key ...]
/// ```
/// Stores the members of the first set absent from the others; replies its size.
/// # Errors
/// As ZUNIONSTORE.
fn zdiffstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zdiffstore", Op::Diff, Target::Store)
}

/// ```text
/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
/// ```
/// The union, ordered by score.
/// # Errors
/// As ZUNIONSTORE.
fn zunion(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zunion", Op::Union, Target::Reply)
}

/// ```text
/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
/// ```
/// The intersection, ordered by score.
/// # Errors
/// As ZUNIONSTORE.
fn zinter(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zinter", Op::Inter, Target::Reply)
}

/// ```text
/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
/// ```
/// The size of the intersection, counting at most `limit` (0: no limit).
/// # Errors
/// As ZUNIONSTORE, and `ERR LIMIT can't be negative`.
fn zintercard(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zintercard", Op::Inter, Target::Card)
}

/// ```text
/// ZDIFF numkeys key [key ...] [WITHSCORES]
/// ```
/// The members of the first set absent from the others, ordered by score.
/// # Errors
/// As ZUNIONSTORE.
fn zdiff(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, "zdiff", Op::Diff, Target::Reply)
}

/// Where the result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Into the key at argument 1.
    Store,
    /// To the client.
    Reply,
    /// Only its size, to the client.
    Card,
}

fn generic(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    name: &str,
    op: Op,
    target: Target,
) -> Result<(), CmdError> {
    let numkeys_at = if target == Target::Store { 2 } else { 1 };
    let n = parse_i64(req.arg(numkeys_at))?;
    if n < 1 {
        return Err(CmdError::msg(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let first = numkeys_at + 1;
    if n as u64 > (req.len() - first) as u64 {
        return Err(CmdError::Syntax);
    }
    let n = n as usize;
    let keys: Vec<&[u8]> = (first..first + n).map(|k| req.arg(k)).collect();
    // Every key expires first; then, as Redis's loop of lookupKeyRead, the reads
    // count hits and misses up to the first key of another type, which fails.
    let readable: Vec<bool> = keys
        .iter()
        .map(|key| {
            ctx.write_key(key)
                .is_none_or(|k| matches!(k.value(), Value::ZSet(_) | Value::Set(_)))
        })
        .collect();
    if let Some(wrong) = readable.iter().position(|&ok| !ok) {
        let _ = ctx.read_keys(&keys[..=wrong]);
        return Err(CmdError::WrongType);
    }
    let limits = limits(ctx);
    let db = ctx.db();
    let values = ctx.store.read_keys(db, &keys, ctx.now);
    let opts = parse_options(req, first + n, n, op, target)?;
    let mut sources: Vec<(Source<'_>, f64, Option<*const Value>)> = values
        .into_iter()
        .zip(&opts.weights)
        .map(|(v, &w)| {
            let src = match v {
                Some(Value::ZSet(z)) => Source::Z(z),
                Some(Value::Set(s)) => Source::S(s),
                _ => Source::Missing,
            };
            (src, w, v.map(std::ptr::from_ref))
        })
        .collect();
    if op != Op::Diff {
        // Smallest first: the intersection walks it and probes the others.
        sources.sort_by_key(|(s, _, _)| s.len());
    }
    if target == Target::Card {
        let n = inter_card(&sources, opts.limit);
        ctx.out.int(n as i64);
        return Ok(());
    }
    let entries = match op {
        Op::Union => union(&sources, opts.aggregate),
        Op::Inter => inter(&sources, opts.aggregate),
        Op::Diff => diff(&sources),
    };
    if target == Target::Store {
        let result = ZSet::from_entries(entries, limits);
        let event = match op {
            Op::Union => ZUNIONSTORE,
            Op::Inter => ZINTERSTORE,
            Op::Diff => ZDIFFSTORE,
        };
        store_result(ctx, req.arg(1), result, event);
        return Ok(());
    }
    let mut entries = entries;
    entries.sort_unstable_by(|a, b| order((a.1, &a.0), (b.1, &b.0)));
    write_list_len(&mut ctx.out, entries.len(), opts.withscores);
    for (m, s) in &entries {
        write_entry(&mut ctx.out, m, *s, opts.withscores);
    }
    Ok(())
}

/// Parses the options from `at`; `n` inputs.
fn parse_options(
    req: &Request<'_>,
    mut at: usize,
    n: usize,
    op: Op,
    target: Target,
) -> Result<Options, CmdError> {
    let mut opts = Options {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && target != Target::Card;
    while at < req.len() {
        let remaining = req.len() - at;
        let opt = req.arg(at);
        if algebra && remaining > n && is(opt, "weights") {
            for (k, w) in opts.weights.iter_mut().enumerate() {
                *w = parse_double(req.arg(at + 1 + k))
                    .ok_or_else(|| CmdError::msg("ERR weight value is not a float"))?;
            }
            at += 1 + n;
        } else if algebra && remaining >= 2 && is(opt, "aggregate") {
            let how = req.arg(at + 1);
            opts.aggregate = if is(how, "sum") {
                Aggregate::Sum
            } else if is(how, "min") {
                Aggregate::Min
            } else if is(how, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            at += 2;
        } else if target == Target::Reply && is(opt, "withscores") {
            opts.withscores = true;
            at += 1;
        } else if target == Target::Card && remaining >= 2 && is(opt, "limit") {
            let limit = parse_i64(req.arg(at + 1))
                .ok()
                .filter(|&l| l >= 0)
                .ok_or_else(|| CmdError::msg("ERR LIMIT can't be negative"))?;
            opts.limit = usize::try_from(limit).unwrap_or(usize::MAX);
            at += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(opts)
}

/// The inputs: each source, its weight and the value it reads (the same key given
/// twice reads the same value).
type Inputs<'a> = [(Source<'a>, f64, Option<*const Value>)];

/// The weighted score of `s` (NaN, from `inf * 0`, counts as 0 as in Redis).
fn weighted(s: f64, w: f64) -> f64 {
    let v = s * w;
    if v.is_nan() { 0.0 } else { v }
}

/// Walks the intersection: calls `f` with each member of the smallest input found in
/// all the others, and its aggregated score, until `f` returns false.
fn walk_inter(inputs: &Inputs<'_>, how: Aggregate, mut f: impl FnMut(&[u8], f64) -> bool) {
    let Some(&(first, w0, k0)) = inputs.first() else {
        return;
    };
    if first.len() == 0 {
        return;
    }
    first.each(|m, s| {
        let mut score = weighted(s, w0);
        for &(src, w, k) in &inputs[1..] {
            // The same key twice: its score is known without a lookup.
            let v = if k == k0 { Some(s) } else { src.find(m) };
            match v {
                Some(v) => how.apply(&mut score, v * w),
                None => return true,
            }
        }
        f(m, score)
    });
}

fn inter(inputs: &Inputs<'_>, how: Aggregate) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    walk_inter(inputs, how, |m, s| {
        out.push((Bytes::from_slice(m), s));
        true
    });
    out
}

fn inter_card(inputs: &Inputs<'_>, limit: usize) -> usize {
    let mut n = 0;
    walk_inter(inputs, Aggregate::Sum, |_, _| {
        n += 1;
        limit == 0 || n < limit
    });
    n
}

fn union(inputs: &Inputs<'_>, how: Aggregate) -> Vec<(Bytes, f64)> {
    let biggest = inputs.iter().map(|(s, _, _)| s.len()).max().unwrap_or(0);
    let mut acc: HashMap<Bytes, f64, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(biggest, Default::default());
    for &(src, w, _) in inputs {
        src.each(|m, s| {
            let v = weighted(s, w);
            match acc.get_mut(m) {
                Some(target) => how.apply(target, v),
                None => {
                    acc.insert(Bytes::from_slice(m), v);
                }
            }
            true
        });
    }
    acc.into_iter().collect()
}

fn diff(inputs: &Inputs<'_>) -> Vec<(Bytes, f64)> {
    let Some(&(first, _, k0)) = inputs.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    first.each(|m, s| {
        let elsewhere = inputs[1..]
            .iter()
            .any(|&(src, _, k)| k == k0 || src.find(m).is_some());
        if !elsewhere {
            out.push((Bytes::from_slice(m), s));
        }
        true
    });
    out
}
