//! HRANDFIELD and HSCAN: sampling and iterating a hash, as Redis's `t_hash.c` and
//! `scanGenericCommand`. Their specs are in [`super::fields`]'s table.

use std::collections::HashSet;

use super::fields::read;
use crate::commands::Ctx;
use crate::commands::args::{check_random_reply, is, parse_i64, random_reply_too_large};
use crate::commands::scan::{ScanArgs, parse_cursor};
use crate::error::CmdError;
use crate::protocol::{Reply, Request};
use crate::store::Rng;
use crate::store::hash::Positions;

/// Most bytes a negative-count HRANDFIELD reply may take: the whole reply sits in the
/// output buffer at once, and repetition can make it far bigger than the hash itself.
const MAX_REPEATED_BYTES: u64 = 512 * 1024 * 1024;
/// Reply bytes an element adds beyond its contents (`$<len>\r\n...\r\n`, and the
/// pair header in RESP3), for the [`MAX_REPEATED_BYTES`] estimate.
const ELEMENT_OVERHEAD: u64 = 16;

/// Redis's range error for a count of `i64::MIN` (its `-LONG_MAX..LONG_MAX`).
const COUNT_RANGE: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// ```text
/// HRANDFIELD key [count [WITHVALUES]]
/// ```
/// Without count: one random field, or null for a missing key. With a positive count:
/// up to `count` distinct fields; with a negative one: exactly `-count` fields, maybe
/// repeated. WITHVALUES adds each value: a flat array in RESP2, `[field, value]` pairs
/// in RESP3.
pub fn hrandfield(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let seed = ctx.store.random();
    if req.len() == 2 {
        let (hash, out) = read(ctx, req.arg(1))?;
        let positions = hash.map(|h| h.positions());
        match positions
            .as_ref()
            .and_then(|p| pick(p, &mut Rng::new(seed)))
        {
            Some((field, _)) => out.bulk(field),
            None => out.null(),
        }
        return Ok(());
    }
    let count = parse_i64(req.arg(2))?;
    if count == i64::MIN {
        return Err(CmdError::msg(COUNT_RANGE));
    }
    let with_values = match req.len() {
        3 => false,
        4 if is(req.arg(3), "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::msg("ERR value is out of range"));
    }
    // Under an output limit the reply cannot grow past it: the client is closed.
    let bounded = ctx.out.is_limited();
    let (hash, out) = read(ctx, req.arg(1))?;
    let Some(hash) = hash.filter(|_| count != 0) else {
        out.array_len(0);
        return Ok(());
    };
    let positions = hash.positions();
    let mut rng = Rng::new(seed);
    if count < 0 || count == 1 {
        let n = count.unsigned_abs();
        if !bounded {
            check_repeated(&positions, rng.clone(), n, with_values)?;
        }
        header(out, n as usize, with_values);
        for _ in 0..n {
            if out.over() {
                break;
            }
            if let Some((field, value)) = pick(&positions, &mut rng) {
                element(out, field, value, with_values);
            }
        }
        return Ok(());
    }
    let size = positions.len();
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(size);
    header(out, n, with_values);
    let chosen: Vec<usize> = if n == size {
        (0..size).collect()
    } else {
        sample_distinct(&mut rng, size, n)
    };
    for pos in chosen {
        if let Some((field, value)) = positions.get(pos) {
            element(out, field, value, with_values);
        }
    }
    Ok(())
}

/// A random pair, or `None` when there is none.
fn pick<'a>(positions: &Positions<'a>, rng: &mut Rng) -> Option<(&'a [u8], &'a [u8])> {
    match positions.len() {
        0 => None,
        len => positions.get(rng.below(len)),
    }
}

/// Fails when a reply of `n` random elements would pass [`MAX_RANDOM_REPLY`] elements or
/// [`MAX_REPEATED_BYTES`] bytes; `rng` is a copy of the generator that will draw them,
/// so the estimate is exact.
fn check_repeated(
    positions: &Positions<'_>,
    mut rng: Rng,
    n: u64,
    with_values: bool,
) -> Result<(), CmdError> {
    check_random_reply(n)?;
    let mut bytes = 0u64;
    for _ in 0..n {
        if let Some((field, value)) = pick(positions, &mut rng) {
            bytes += field.len() as u64 + ELEMENT_OVERHEAD;
            if with_values {
                bytes += value.len() as u64 + ELEMENT_OVERHEAD;
            }
        }
        if bytes > MAX_REPEATED_BYTES {
            return Err(random_reply_too_large());
        }
    }
    Ok(())
}

/// `n` distinct positions below `size` (`n` < `size`), in random order: Floyd's
/// sampling, then a shuffle.
fn sample_distinct(rng: &mut Rng, size: usize, n: usize) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(n);
    let mut chosen = Vec::with_capacity(n);
    for j in size - n..size {
        let t = rng.below(j + 1);
        let pos = if seen.contains(&t) { j } else { t };
        seen.insert(pos);
        chosen.push(pos);
    }
    for i in (1..chosen.len()).rev() {
        chosen.swap(i, rng.below(i + 1));
    }
    chosen
}

/// The array header for `n` elements.
fn header(out: &mut Reply<'_>, n: usize, with_values: bool) {
    if with_values && !out.is_resp3() {
        out.array_len(n * 2);
    } else {
        out.array_len(n);
    }
}

/// One element: the field, or field and value (a pair in RESP3).
fn element(out: &mut Reply<'_>, field: &[u8], value: &[u8], with_values: bool) {
    if with_values && out.is_resp3() {
        out.array_len(2);
    }
    out.bulk(field);
    if with_values {
        out.bulk(value);
    }
}

/// ```text
/// HSCAN key cursor [MATCH pattern] [COUNT count]
/// ```
/// `[next-cursor, [field, value, ...]]`. A small hash comes whole in one step with
/// cursor 0; a big one about COUNT pairs per step. MATCH filters fields after the
/// step. Every pair present for the whole iteration is returned at least once.
pub fn hscan(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    // As Redis: the cursor first, then the key, then the options.
    parse_cursor(req.arg(2))?;
    let (hash, out) = read(ctx, req.arg(1))?;
    let Some(hash) = hash else {
        out.array_len(2);
        out.bulk(b"0");
        out.array_len(0);
        return Ok(());
    };
    let args = ScanArgs::parse(req, 2, false)?;
    let mut found = Vec::new();
    let next = hash.scan(args.cursor, args.count, |field, value| {
        if args.matches(field) {
            found.push((field, value));
        }
    });
    out.array_len(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array_len(found.len() * 2);
    for (field, value) in found {
        out.bulk(field);
        out.bulk(value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_samples_are_distinct_and_uniform() {
        let mut rng = Rng::new(42);
        let mut hits = [0u32; 10];
        for _ in 0..10_000 {
            let s = sample_distinct(&mut rng, 10, 3);
            let set: HashSet<_> = s.iter().collect();
            assert_eq!(set.len(), 3);
            for p in s {
                hits[p] += 1;
            }
        }
        // 3000 expected per position.
        assert!(hits.iter().all(|&h| (2700..3300).contains(&h)), "{hits:?}");
    }
}
