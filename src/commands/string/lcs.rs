//! LCS: the longest common subsequence of two strings, by the classic O(n*m)
//! dynamic programming table, with Redis's reply shapes and its memory guard (the
//! table may not exceed `proto-max-bulk-len` bytes).

use super::edit::string_bytes;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "lcs",
    -3,
    flags!(READONLY),
    Group::String,
    "Find longest common substring",
    lcs,
)
.acl(cats!(STRING))
.keys(&[KeySpec::range(kf!(RO | ACCESS), 1, 1, 1)])];

/// Options of LCS.
#[derive(Debug, Default)]
struct Options {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

/// Parses the options from argument 3 on.
fn parse_options(req: &Request<'_>) -> Result<Options, CmdError> {
    let mut o = Options::default();
    let mut j = 3;
    while j < req.len() {
        let opt = req.arg(j);
        if is(opt, "idx") {
            o.idx = true;
        } else if is(opt, "len") {
            o.len = true;
        } else if is(opt, "withmatchlen") {
            o.with_match_len = true;
        } else if is(opt, "minmatchlen") && j + 1 < req.len() {
            o.min_match_len = parse_i64(req.arg(j + 1))?.max(0) as u64;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// A copy of the string at `key` (empty when missing); None when it holds another type.
fn read_string(ctx: &mut Ctx<'_>, key: &[u8]) -> Option<Vec<u8>> {
    match ctx.read_key(key) {
        None => Some(Vec::new()),
        Some(k) => {
            let mut tmp = itoa::Buffer::new();
            string_bytes(k.value(), &mut tmp).ok().map(<[u8]>::to_vec)
        }
    }
}

/// One matching range: positions in `a` and in `b` (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    a: (u32, u32),
    b: (u32, u32),
}

impl Match {
    fn len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

/// The LCS table: `cell(i, j)` is the LCS length of `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn cell(&self, i: usize, j: usize) -> u32 {
        self.cells.get(i * self.width + j).copied().unwrap_or(0)
    }
}

/// Fills the table for `a` and `b`; an error when it would exceed `max_bytes` or
/// cannot be allocated.
fn build(a: &[u8], b: &[u8], max_bytes: usize) -> Result<Table, CmdError> {
    let width = b.len() + 1;
    let cells = (a.len() as u128 + 1) * width as u128;
    if cells * 4 > max_bytes as u128 {
        return Err(CmdError::msg(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let cells = cells as usize;
    let mut table = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        return Err(CmdError::msg(
            "ERR Insufficient memory, failed allocating transient memory for LCS",
        ));
    }
    table.resize(cells, 0u32);
    for (i, &ai) in a.iter().enumerate() {
        let (done, rest) = table.split_at_mut((i + 1) * width);
        let prev = done.get(i * width..).unwrap_or_default();
        let Some(cur) = rest.get_mut(..width) else {
            break;
        };
        for (j, &bj) in b.iter().enumerate() {
            let up_left = prev.get(j).copied().unwrap_or(0);
            let up = prev.get(j + 1).copied().unwrap_or(0);
            let left = cur.get(j).copied().unwrap_or(0);
            if let Some(c) = cur.get_mut(j + 1) {
                *c = if ai == bj { up_left + 1 } else { up.max(left) };
            }
        }
    }
    Ok(Table {
        cells: table,
        width,
    })
}

/// Walks the table back from the end as Redis does: the LCS itself and, when asked,
/// the matching ranges from last to first (those shorter than `min_len` left out).
fn backtrack(a: &[u8], b: &[u8], t: &Table, ranges: bool, min_len: u64) -> (Vec<u8>, Vec<Match>) {
    let total = t.cell(a.len(), b.len()) as usize;
    let mut lcs = vec![0u8; total];
    let mut matches = Vec::new();
    let mut cur: Option<Match> = None;
    let (mut i, mut j, mut k) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        let mut emit = false;
        let (ca, cb) = (a.get(i - 1), b.get(j - 1));
        if ca == cb {
            if let (Some(slot), Some(&c)) = (k.checked_sub(1).and_then(|k| lcs.get_mut(k)), ca) {
                *slot = c;
            }
            let (ai, bj) = ((i - 1) as u32, (j - 1) as u32);
            match &mut cur {
                None => {
                    cur = Some(Match {
                        a: (ai, ai),
                        b: (bj, bj),
                    })
                }
                Some(m) if m.a.0 == ai + 1 && m.b.0 == bj + 1 => {
                    m.a.0 = ai;
                    m.b.0 = bj;
                }
                Some(_) => emit = true,
            }
            if cur.is_some_and(|m| m.a.0 == 0 || m.b.0 == 0) {
                emit = true;
            }
            i -= 1;
            j -= 1;
            k = k.saturating_sub(1);
        } else {
            if t.cell(i - 1, j) > t.cell(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = cur.is_some();
        }
        // The range ends here whether or not it is reported.
        if emit
            && let Some(m) = cur.take()
            && ranges
            && (min_len == 0 || u64::from(m.len()) >= min_len)
        {
            matches.push(m);
        }
    }
    (lcs, matches)
}

/// ```text
/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
/// ```
/// The longest common subsequence of the two strings (missing keys are empty); with
/// LEN its length; with IDX a map of `matches` (ranges in both strings, last first,
/// each with its length under WITHMATCHLEN, those shorter than MINMATCHLEN left out)
/// and `len`.
fn lcs(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let a = read_string(ctx, req.arg(1));
    let b = read_string(ctx, req.arg(2));
    let (Some(a), Some(b)) = (a, b) else {
        return Err(CmdError::msg(
            "ERR The specified keys must contain string values",
        ));
    };
    let o = parse_options(req)?;
    if o.len && o.idx {
        return Err(CmdError::msg(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return Err(CmdError::msg("ERR String too long for LCS"));
    }
    let table = build(&a, &b, ctx.server.config.proto.max_bulk_len)?;
    let total = table.cell(a.len(), b.len());
    if o.len {
        ctx.out.int(i64::from(total));
        return Ok(());
    }
    let (text, matches) = backtrack(&a, &b, &table, o.idx, o.min_match_len);
    if !o.idx {
        ctx.out.bulk(&text);
        return Ok(());
    }
    let out = &mut ctx.out;
    out.map_len(2);
    out.bulk(b"matches");
    out.array_len(matches.len());
    for m in &matches {
        out.array_len(if o.with_match_len { 3 } else { 2 });
        out.array_len(2);
        out.int(i64::from(m.a.0));
        out.int(i64::from(m.a.1));
        out.array_len(2);
        out.int(i64::from(m.b.0));
        out.int(i64::from(m.b.1));
        if o.with_match_len {
            out.int(i64::from(m.len()));
        }
    }
    out.bulk(b"len");
    out.int(i64::from(total));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &[u8], b: &[u8]) -> (Vec<u8>, Vec<Match>) {
        let t = build(a, b, usize::MAX).unwrap_or_else(|e| panic!("{e}"));
        backtrack(a, b, &t, true, 0)
    }

    #[test]
    fn lcs_and_ranges_as_redis_docs() {
        // The example of the LCS documentation.
        let (text, matches) = run(b"ohmytext", b"mynewtext");
        assert_eq!(text, b"mytext");
        assert_eq!(
            matches,
            [
                Match {
                    a: (4, 7),
                    b: (5, 8)
                },
                Match {
                    a: (2, 3),
                    b: (0, 1)
                }
            ]
        );
        assert_eq!(run(b"", b"abc").0, b"");
        assert_eq!(run(b"abc", b"xyz").1, []);
    }

    #[test]
    fn memory_guard_counts_the_table() {
        // (3+1) * (3+1) cells of 4 bytes = 64 bytes.
        assert!(build(b"abc", b"abc", 64).is_ok());
        assert!(build(b"abc", b"abc", 63).is_err());
    }
}
