//! The ends of score and lex ranges (Redis's `zrangespec` and `zlexrangespec`),
//! and where a range starts and ends in a sorted set, as ranks.

use std::cmp::Ordering;

use super::score_text::parse_bound;
use crate::error::CmdError;
use crate::store::zset::ZSet;

const NOT_FLOAT: &str = "ERR min or max is not a float";
const NOT_LEX: &str = "ERR min or max not valid string range item";

/// A score interval (Redis's `zrangespec`).
#[derive(Debug, Clone, Copy)]
pub(super) struct ScoreRange {
    min: f64,
    min_ex: bool,
    max: f64,
    max_ex: bool,
}

impl ScoreRange {
    pub(super) fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        let err = || CmdError::msg(NOT_FLOAT);
        let (min, min_ex) = parse_bound(min).ok_or_else(err)?;
        let (max, max_ex) = parse_bound(max).ok_or_else(err)?;
        Ok(ScoreRange {
            min,
            min_ex,
            max,
            max_ex,
        })
    }

    fn gte_min(&self, v: f64) -> bool {
        if self.min_ex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    fn lte_max(&self, v: f64) -> bool {
        if self.max_ex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }
}

/// One end of a lex range: `-`, `+`, or a member (Redis's `shared.minstring`, ...).
#[derive(Debug, Clone, Copy)]
enum Lex<'a> {
    Min,
    Max,
    Str(&'a [u8]),
}

/// A lexicographic interval (Redis's `zlexrangespec`).
#[derive(Debug, Clone, Copy)]
pub(super) struct LexRange<'a> {
    min: Lex<'a>,
    min_ex: bool,
    max: Lex<'a>,
    max_ex: bool,
}

/// Redis's `sdscmplex`: `-` sorts before everything, `+` after.
fn cmp_lex(a: Lex<'_>, b: Lex<'_>) -> Ordering {
    match (a, b) {
        (Lex::Min, Lex::Min) | (Lex::Max, Lex::Max) => Ordering::Equal,
        (Lex::Min, _) | (_, Lex::Max) => Ordering::Less,
        (Lex::Max, _) | (_, Lex::Min) => Ordering::Greater,
        (Lex::Str(x), Lex::Str(y)) => x.cmp(y),
    }
}

impl<'a> LexRange<'a> {
    pub(super) fn parse(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
        let item = |arg: &'a [u8]| -> Option<(Lex<'a>, bool)> {
            match arg.first()? {
                b'+' if arg.len() == 1 => Some((Lex::Max, true)),
                b'-' if arg.len() == 1 => Some((Lex::Min, true)),
                b'(' => Some((Lex::Str(&arg[1..]), true)),
                b'[' => Some((Lex::Str(&arg[1..]), false)),
                _ => None,
            }
        };
        let err = || CmdError::msg(NOT_LEX);
        let (min, min_ex) = item(min).ok_or_else(err)?;
        let (max, max_ex) = item(max).ok_or_else(err)?;
        Ok(LexRange {
            min,
            min_ex,
            max,
            max_ex,
        })
    }

    fn gte_min(&self, m: &[u8]) -> bool {
        let c = cmp_lex(Lex::Str(m), self.min);
        if self.min_ex { c.is_gt() } else { c.is_ge() }
    }

    fn lte_max(&self, m: &[u8]) -> bool {
        let c = cmp_lex(Lex::Str(m), self.max);
        if self.max_ex { c.is_lt() } else { c.is_le() }
    }

    fn is_empty(&self) -> bool {
        let c = cmp_lex(self.min, self.max);
        c.is_gt() || (c.is_eq() && (self.min_ex || self.max_ex))
    }
}

/// A parsed score or lex range, as ascending ranks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Range<'a> {
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

impl Range<'_> {
    pub(super) fn gte_min(&self, m: &[u8], s: f64) -> bool {
        match self {
            Range::Score(r) => r.gte_min(s),
            Range::Lex(r) => r.gte_min(m),
        }
    }

    pub(super) fn lte_max(&self, m: &[u8], s: f64) -> bool {
        match self {
            Range::Score(r) => r.lte_max(s),
            Range::Lex(r) => r.lte_max(m),
        }
    }

    /// Rank of the first element in range (Redis's `zslFirstInRange`).
    pub(super) fn first(&self, z: &ZSet) -> Option<usize> {
        let r = match self {
            Range::Score(r) if !r.is_empty() => z.count_scores_while(|s| !r.gte_min(s)),
            Range::Lex(r) if !r.is_empty() => z.count_members_while(|m| !r.gte_min(m)),
            _ => return None,
        };
        let (m, s) = z.get(r)?;
        self.lte_max(m, s).then_some(r)
    }

    /// Rank of the last element in range (Redis's `zslLastInRange`).
    pub(super) fn last(&self, z: &ZSet) -> Option<usize> {
        let n = match self {
            Range::Score(r) if !r.is_empty() => z.count_scores_while(|s| r.lte_max(s)),
            Range::Lex(r) if !r.is_empty() => z.count_members_while(|m| r.lte_max(m)),
            _ => return None,
        };
        let r = n.checked_sub(1)?;
        let (m, s) = z.get(r)?;
        self.gte_min(m, s).then_some(r)
    }

    /// Ascending ranks `first..=last` of the elements in range.
    pub(super) fn ranks(&self, z: &ZSet) -> Option<(usize, usize)> {
        let first = self.first(z)?;
        let last = self.last(z)?;
        (first <= last).then_some((first, last))
    }
}
