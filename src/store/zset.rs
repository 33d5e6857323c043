//! The sorted set type: members with f64 scores, ordered by score then member bytes.
//!
//! Two encodings, as Redis's:
//! - **Packed** (`listpack`): while small (`zset-max-listpack-entries` members of at
//!   most `zset-max-listpack-value` bytes), one exactly sized, sorted byte buffer
//!   (`zset_packed.rs`: a small integer score takes one byte). Every operation is a
//!   linear walk over a few KiB, and the set costs one allocation besides its
//!   24-byte value.
//! - **Big** (`skiplist`): a member table (`Table<u32>`: member -> skip-list node,
//!   incrementally rehashed, members at dense positions) and a [`SkipList`] whose
//!   nodes hold the scores and point back at their member's position. Score lookups
//!   are O(1), ranks and range starts O(log n), a random member is one position
//!   away, and ZSCAN walks positions downwards as SCAN does (see `db.rs`). About 72
//!   bytes per member of up to 22 bytes (Redis: about 130).
//!
//! A packed set converts once it outgrows the limits; a big set is only packed again
//! when a command builds a new set (ZUNIONSTORE, ZRANGESTORE, ...), as in Redis.

use std::cmp::Ordering;

use super::bytes::Bytes;
use super::skiplist::SkipList;
use super::table::{Slots, Table};

#[path = "zset_packed.rs"]
mod packed;

use packed::{Packed, read_entry};

/// The packed-encoding limits (from `zset-max-listpack-entries` / `-value`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimits {
    /// Most members a packed set holds.
    pub entries: usize,
    /// Longest member a packed set holds.
    pub value: usize,
}

/// A sorted set value.
#[derive(Debug, Default)]
pub struct ZSet {
    repr: Repr,
}

#[derive(Debug)]
enum Repr {
    Packed(Packed),
    Big(Box<Big>),
    /// A big set being freed in slices: only its members are left.
    Freeing(Box<Slots<u32>>),
}

impl Default for Repr {
    fn default() -> Repr {
        Repr::Packed(Packed::default())
    }
}

/// Compares two `(score, member)` pairs in sorted-set order.
pub fn order(a: (f64, &[u8]), b: (f64, &[u8])) -> Ordering {
    a.0.partial_cmp(&b.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(b.1))
}

impl ZSet {
    /// An empty set for a first member of `first_len` bytes: packed unless the limits
    /// rule it out (Redis's choice in ZADD).
    pub fn new(limits: PackLimits, first_len: usize) -> ZSet {
        if limits.entries == 0 || first_len > limits.value {
            ZSet {
                repr: Repr::Big(Box::default()),
            }
        } else {
            ZSet::default()
        }
    }

    /// A set of `entries` (distinct members), packed when it fits `limits`.
    pub fn from_entries(mut entries: Vec<(Bytes, f64)>, limits: PackLimits) -> ZSet {
        entries.sort_unstable_by(|a, b| order((a.1, &a.0), (b.1, &b.0)));
        let fits =
            entries.len() <= limits.entries && entries.iter().all(|(m, _)| m.len() <= limits.value);
        let repr = if fits {
            let mut packed = Packed::default();
            for (m, s) in &entries {
                packed.push(m, *s);
            }
            Repr::Packed(packed)
        } else {
            let mut big = Big::default();
            for (m, s) in &entries {
                big.insert_new(m, *s);
            }
            Repr::Big(Box::new(big))
        };
        ZSet { repr }
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.len(),
            Repr::Big(b) => b.list.len(),
            Repr::Freeing(slots) => slots.len(),
        }
    }

    /// True when empty (an empty collection is never stored: its key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Packed(_) => "listpack",
            _ => "skiplist",
        }
    }

    /// Frees up to `budget` elements (for freeing a big value in slices); returns how
    /// many it freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        match &mut self.repr {
            Repr::Packed(p) => {
                let n = p.len();
                self.repr = Repr::Freeing(Box::new(Table::default().into_slots()));
                n
            }
            Repr::Big(_) => {
                let Repr::Big(big) = std::mem::take(&mut self.repr) else {
                    return 0;
                };
                // The list goes at once (a few hundred chunk frees); the members,
                // which may own heap bytes each, go a slice at a time.
                let Big { table, list } = *big;
                drop(list);
                let mut slots = Box::new(table.into_slots());
                let freed = slots.free_some(budget);
                self.repr = Repr::Freeing(slots);
                freed
            }
            Repr::Freeing(slots) => slots.free_some(budget),
        }
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|(_, _, s)| s),
            Repr::Big(b) => b.table.position(member).map(|pos| b.score_at(pos)),
            Repr::Freeing(_) => None,
        }
    }

    /// Sets the score of `member`, adding it if absent (converting to the big encoding
    /// if it then outgrows `limits`); returns its previous score.
    pub fn insert(&mut self, member: &[u8], score: f64, limits: PackLimits) -> Option<f64> {
        if let Repr::Packed(p) = &mut self.repr {
            if let Some((_, off, old)) = p.find(member) {
                if old != score {
                    p.remove_at(off);
                    p.insert_sorted(member, score);
                }
                return Some(old);
            }
            if p.len() < limits.entries && member.len() <= limits.value {
                p.insert_sorted(member, score);
                return None;
            }
            self.convert();
        }
        match &mut self.repr {
            Repr::Big(b) => b.insert(member, score),
            _ => None,
        }
    }

    /// Converts a packed set to the big encoding.
    fn convert(&mut self) {
        if let Repr::Packed(p) = &self.repr {
            let mut big = Big::default();
            for (m, s) in p.iter() {
                big.insert_new(m, s);
            }
            self.repr = Repr::Big(Box::new(big));
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.repr {
            Repr::Packed(p) => {
                let (_, off, score) = p.find(member)?;
                p.remove_at(off);
                Some(score)
            }
            Repr::Big(b) => {
                let pos = b.table.find_hashed(b.table.hash(member), member)?;
                let score = b.score_at(pos);
                b.remove_pos(pos);
                Some(score)
            }
            Repr::Freeing(_) => None,
        }
    }

    /// The 0-based rank (ascending) and score of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match &self.repr {
            Repr::Packed(p) => p.find(member).map(|(r, _, s)| (r, s)),
            Repr::Big(b) => {
                let pos = b.table.position(member)?;
                let node = b.table[pos];
                Some((b.list.rank(&b.table, node), b.list.score(node)))
            }
            Repr::Freeing(_) => None,
        }
    }

    /// The member and score at 0-based `rank` (ascending).
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.iter_from(rank, false).next()
    }

    /// Members and scores from `rank` (counted from the end when `rev`), in
    /// ascending order, or descending when `rev`.
    pub fn iter_from(&self, rank: usize, rev: bool) -> Iter<'_> {
        let inner = match &self.repr {
            Repr::Packed(p) => {
                if rev {
                    let mut offs: Vec<usize> = p.iter_offsets().map(|(off, _, _)| off).collect();
                    offs.truncate(p.len().saturating_sub(rank));
                    Inner::PackedRev { buf: &p.buf, offs }
                } else {
                    let off = p
                        .iter_offsets()
                        .nth(rank)
                        .map_or(p.buf.len(), |(o, _, _)| o);
                    Inner::PackedFwd { buf: &p.buf, off }
                }
            }
            Repr::Big(b) => {
                let n = b.list.len();
                let node = if rank >= n {
                    None
                } else if rev {
                    if rank == 0 {
                        b.list.last()
                    } else {
                        b.list.by_rank(n - 1 - rank)
                    }
                } else if rank == 0 {
                    b.list.first()
                } else {
                    b.list.by_rank(rank)
                };
                Inner::Big { big: b, node, rev }
            }
            Repr::Freeing(_) => Inner::Empty,
        };
        Iter { inner }
    }

    /// All members and scores in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0, false)
    }

    /// How many leading elements (ascending) have a score satisfying `pred`, which
    /// must hold for a prefix of the scores: the rank of the first that fails it.
    pub fn count_scores_while(&self, pred: impl Fn(f64) -> bool) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.iter().take_while(|&(_, s)| pred(s)).count(),
            Repr::Big(b) => b.list.count_while(|x| pred(b.list.score(x))),
            Repr::Freeing(_) => 0,
        }
    }

    /// How many leading elements (ascending) have a member satisfying `pred`: the
    /// rank of the first that fails it (Redis's lex search, which assumes equal scores).
    pub fn count_members_while(&self, pred: impl Fn(&[u8]) -> bool) -> usize {
        match &self.repr {
            Repr::Packed(p) => p.iter().take_while(|&(m, _)| pred(m)).count(),
            Repr::Big(b) => b.list.count_while(|x| pred(b.member_of(x))),
            Repr::Freeing(_) => 0,
        }
    }

    /// Removes the elements of ascending ranks `start..=end` (clamped); returns how
    /// many it removed.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start >= len || start > end {
            return 0;
        }
        let count = end.min(len - 1) - start + 1;
        match &mut self.repr {
            Repr::Packed(p) => p.remove_ranks(start, count),
            Repr::Big(b) => {
                let mut x = b.list.by_rank(start);
                for _ in 0..count {
                    let Some(node) = x else { break };
                    x = b.list.next(node);
                    b.remove_pos(b.list.member_pos(node));
                }
            }
            Repr::Freeing(_) => return 0,
        }
        count
    }

    /// Removes and returns the lowest element, or the highest when `max`.
    pub fn pop(&mut self, max: bool) -> Option<(Bytes, f64)> {
        let rank = if max { self.len().checked_sub(1)? } else { 0 };
        match &mut self.repr {
            Repr::Packed(p) => {
                let (off, m, s) = p.iter_offsets().nth(rank)?;
                let member = Bytes::from_slice(m);
                p.remove_at(off);
                Some((member, s))
            }
            Repr::Big(b) => {
                let node = if max { b.list.last() } else { b.list.first() }?;
                let pos = b.list.member_pos(node);
                let score = b.list.score(node);
                let member = Bytes::from_slice(b.member_of(node));
                b.remove_pos(pos);
                Some((member, score))
            }
            Repr::Freeing(_) => None,
        }
    }

    /// The element `r` (any number: taken modulo the size) designates: uniform for a
    /// uniform `r`. O(1) for big sets.
    pub fn random(&self, r: u64) -> Option<(&[u8], f64)> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        let i = (r % len as u64) as usize;
        match &self.repr {
            Repr::Big(b) => b
                .table
                .get_index(i)
                .map(|(m, &node)| (m.as_slice(), b.list.score(node))),
            _ => self.get(i),
        }
    }

    /// One step of ZSCAN from `cursor` (0 starts): visits about `count` elements and
    /// returns the next cursor (0 when done). A packed set is visited whole at once.
    pub fn scan<'a>(
        &'a self,
        cursor: u64,
        count: usize,
        mut visit: impl FnMut(&'a [u8], f64),
    ) -> u64 {
        let Repr::Big(b) = &self.repr else {
            for (m, s) in self.iter() {
                visit(m, s);
            }
            return 0;
        };
        b.table
            .scan(cursor, count, |_, m, &node| visit(m, b.list.score(node)))
    }

    /// Checks the big encoding's invariants; for tests.
    #[cfg(test)]
    fn check(&self) {
        if let Repr::Big(b) = &self.repr {
            b.list.check(&b.table);
            assert_eq!(b.table.len(), b.list.len());
            for (pos, (_, &node)) in b.table.iter().enumerate() {
                assert_eq!(b.list.member_pos(node), pos);
            }
        }
    }
}

impl Clone for ZSet {
    fn clone(&self) -> ZSet {
        let repr = match &self.repr {
            Repr::Packed(p) => Repr::Packed(p.clone()),
            Repr::Big(b) => {
                // Same hasher and the same insertion order: the same positions, so
                // the cloned list's member positions hold.
                let mut table = Table::with_hasher(b.table.hasher().clone());
                for (key, &node, hash, _) in b.table.iter_hashed() {
                    table.push_hashed(hash, key.clone(), node);
                }
                Repr::Big(Box::new(Big {
                    table,
                    list: b.list.clone(),
                }))
            }
            Repr::Freeing(_) => Repr::default(),
        };
        ZSet { repr }
    }
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Iterator over `(member, score)`; see [`ZSet::iter_from`].
#[derive(Debug)]
pub struct Iter<'a> {
    inner: Inner<'a>,
}

#[derive(Debug)]
enum Inner<'a> {
    Empty,
    PackedFwd {
        buf: &'a [u8],
        off: usize,
    },
    PackedRev {
        buf: &'a [u8],
        offs: Vec<usize>,
    },
    Big {
        big: &'a Big,
        node: Option<u32>,
        rev: bool,
    },
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match &mut self.inner {
            Inner::Empty => None,
            Inner::PackedFwd { buf, off } => {
                let (m, s, next) = read_entry(buf, *off)?;
                *off = next;
                Some((m, s))
            }
            Inner::PackedRev { buf, offs } => {
                let off = offs.pop()?;
                read_entry(buf, off).map(|(m, s, _)| (m, s))
            }
            Inner::Big { big, node, rev } => {
                let x = (*node)?;
                *node = if *rev {
                    big.list.prev(x)
                } else {
                    big.list.next(x)
                };
                Some((big.member_of(x), big.list.score(x)))
            }
        }
    }
}

/// The big encoding: members at dense table positions, each mapped to its node.
#[derive(Debug, Default)]
struct Big {
    table: Table<u32>,
    list: SkipList,
}

impl Big {
    fn score_at(&self, pos: usize) -> f64 {
        self.list.score(self.table[pos])
    }

    fn member_of(&self, node: u32) -> &[u8] {
        self.table
            .get_index(self.list.member_pos(node))
            .map_or(&[][..], |(k, _)| k.as_slice())
    }

    /// Adds `member`, known to be absent.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        let hash = self.table.hash(member);
        let pos = self.table.len();
        let height = SkipList::height_for(hash);
        let node = self.list.insert(&self.table, score, member, pos, height);
        self.table
            .push_hashed(hash, Bytes::from_slice(member), node);
    }

    /// Adds or updates `member`; returns its previous score.
    fn insert(&mut self, member: &[u8], score: f64) -> Option<f64> {
        let hash = self.table.hash(member);
        match self.table.find_hashed(hash, member) {
            Some(pos) => {
                let node = self.table[pos];
                let old = self.list.score(node);
                if old != score {
                    let moved = self.list.update_score(&self.table, node, score);
                    self.table[pos] = moved;
                }
                Some(old)
            }
            None => {
                self.insert_new(member, score);
                None
            }
        }
    }

    /// Removes the member at table position `pos`.
    fn remove_pos(&mut self, pos: usize) {
        let node = self.table[pos];
        self.list.delete(&self.table, node);
        self.table.swap_remove_index(pos);
        if let Some((_, &moved)) = self.table.get_index(pos) {
            self.list.set_member_pos(moved, pos);
        }
    }
}

#[cfg(test)]
#[path = "zset_tests.rs"]
mod tests;
