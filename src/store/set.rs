//! The set type, in Redis's three encodings (OBJECT ENCODING names them):
//!
//! - `intset` ([`intset`]): an all-integer set of up to `set-max-intset-entries`
//!   members, as one sorted array of the narrowest width holding them all.
//! - `listpack` ([`packed`]): a small set of up to `set-max-listpack-entries`
//!   members of at most `set-max-listpack-value` bytes, packed in one byte buffer.
//! - `hashtable`: anything bigger, as a [`Table`] keyed by the members: incremental
//!   rehash, and dense positions, so a random member (SPOP, SRANDMEMBER) is one index
//!   away and SSCAN's cursor walks positions downwards with SCAN's guarantee.
//!
//! Conversions go one way, as Redis's: intset to listpack or hashtable, listpack to
//! hashtable; a set that shrinks keeps its encoding.

mod intset;
mod packed;
#[cfg(test)]
mod tests;

use intset::IntSet;
use packed::Packed;

use super::bytes::Bytes;
use super::item::{Item, OwnedItem};
use super::table::Table;
use super::value::canonical_int;

/// Most members a small encoding holds whatever the configuration says (Redis caps
/// intsets at 2^30 members and listpacks at 1 GiB): beyond, lookups by scanning or
/// moving the array would be too slow.
const MAX_SMALL_ENTRIES: usize = 1 << 30;
/// Largest packed buffer (Redis's listpack safety limit, 1 GiB).
const MAX_PACKED_BYTES: usize = 1 << 30;

/// When a set changes encoding: Redis's `set-max-intset-entries`,
/// `set-max-listpack-entries` and `set-max-listpack-value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetLimits {
    /// Most members of an intset.
    pub intset_entries: usize,
    /// Most members of a packed set.
    pub listpack_entries: usize,
    /// Longest member of a packed set.
    pub listpack_value: usize,
}

impl Default for SetLimits {
    /// Redis's defaults: 512, 128 and 64.
    fn default() -> SetLimits {
        SetLimits {
            intset_entries: 512,
            listpack_entries: 128,
            listpack_value: 64,
        }
    }
}

/// The encodings; see the module docs.
#[derive(Debug)]
enum Repr {
    Ints(IntSet),
    Packed(Packed),
    Big(Box<Table<()>>),
}

/// A set value.
#[derive(Debug)]
pub struct Set {
    repr: Repr,
}

impl Default for Set {
    /// An empty set (an intset, as Redis starts one).
    fn default() -> Set {
        Set {
            repr: Repr::Ints(IntSet::default()),
        }
    }
}

impl Clone for Set {
    fn clone(&self) -> Set {
        let repr = match &self.repr {
            Repr::Ints(s) => Repr::Ints(s.clone()),
            Repr::Packed(p) => Repr::Packed(p.clone()),
            Repr::Big(t) => {
                let mut copy = Table::with_hasher(t.hasher().clone());
                for (key, _, hash, _) in t.iter_hashed() {
                    copy.push_hashed(hash, key.clone(), ());
                }
                Repr::Big(Box::new(copy))
            }
        };
        Set { repr }
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|m| other.contains_member(m))
    }
}

impl Set {
    /// An empty set.
    pub fn new() -> Set {
        Set::default()
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Ints(s) => s.len(),
            Repr::Packed(p) => p.len(),
            Repr::Big(t) => t.len(),
        }
    }

    /// True when empty (an empty collection is never stored: its key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match &self.repr {
            Repr::Ints(_) => "intset",
            Repr::Packed(_) => "listpack",
            Repr::Big(_) => "hashtable",
        }
    }

    /// True for the hashtable encoding (O(1) access by index).
    pub fn is_big(&self) -> bool {
        matches!(self.repr, Repr::Big(_))
    }

    /// True when `member` (a client's bytes) is a member.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.contains_member(Item::Str(member))
    }

    /// True when `member` is a member.
    pub fn contains_member(&self, member: Item<'_>) -> bool {
        match &self.repr {
            Repr::Ints(s) => match member {
                Item::Int(n) => s.contains(n),
                Item::Str(b) => canonical_int(b).is_some_and(|n| s.contains(n)),
            },
            Repr::Packed(p) => member.with_text(|t| p.contains(t)),
            Repr::Big(t) => member.with_text(|k| t.position(k).is_some()),
        }
    }

    /// Adds `member` (a client's bytes), changing encoding when `limits` say so;
    /// false when it was already there.
    pub fn insert(&mut self, member: &[u8], limits: &SetLimits) -> bool {
        self.insert_member(Item::Str(member), limits)
    }

    /// Adds `member`; see [`Set::insert`].
    pub fn insert_member(&mut self, member: Item<'_>, limits: &SetLimits) -> bool {
        let member = match member {
            Item::Str(b) => Item::from_bytes(b),
            int => int,
        };
        match (&mut self.repr, member) {
            (Repr::Ints(s), Item::Int(n)) => {
                if s.contains(n) {
                    return false;
                }
                if s.len() < limits.intset_entries.min(MAX_SMALL_ENTRIES) {
                    return s.insert(n);
                }
                self.convert_to_big();
            }
            (Repr::Ints(s), Item::Str(text)) => {
                // Redis 7.2's rule: packed when every member, the integers included,
                // stays within the listpack limits.
                let widest = s.min_max().map_or(0, |(lo, hi)| digits(lo).max(digits(hi)));
                if s.len() < limits.listpack_entries.min(MAX_SMALL_ENTRIES)
                    && text.len().max(widest) <= limits.listpack_value
                    && (s.len() + 1) * (widest.max(text.len()) + 2) <= MAX_PACKED_BYTES
                {
                    self.convert_to_packed();
                } else {
                    self.convert_to_big();
                }
            }
            (Repr::Packed(p), m) => {
                let fits = m.with_text(|t| {
                    if p.contains(t) {
                        return None;
                    }
                    let fits = p.len() < limits.listpack_entries.min(MAX_SMALL_ENTRIES)
                        && t.len() <= limits.listpack_value
                        && p.bytes_with(t.len()) <= MAX_PACKED_BYTES;
                    if fits {
                        p.push(t);
                    }
                    Some(fits)
                });
                match fits {
                    None => return false,
                    Some(true) => return true,
                    Some(false) => self.convert_to_big(),
                }
            }
            (Repr::Big(_), _) => {}
        }
        match &mut self.repr {
            Repr::Packed(p) => {
                // Just converted, and known absent.
                member.with_text(|t| p.push(t));
                true
            }
            Repr::Big(t) => member.with_text(|k| {
                let hash = t.hash(k);
                if t.find_hashed(hash, k).is_some() {
                    return false;
                }
                t.push_hashed(hash, Bytes::from_slice(k), ());
                true
            }),
            Repr::Ints(_) => false,
        }
    }

    /// Re-encodes an intset as a packed set.
    fn convert_to_packed(&mut self) {
        if let Repr::Ints(s) = &self.repr {
            let mut p = Packed::default();
            for n in s.iter() {
                p.push(itoa::Buffer::new().format(n).as_bytes());
            }
            self.repr = Repr::Packed(p);
        }
    }

    /// Re-encodes a small set as a hashtable.
    fn convert_to_big(&mut self) {
        if self.is_big() {
            return;
        }
        let mut t = Table::default();
        for m in self.iter() {
            m.with_text(|k| t.push_hashed(t.hash(k), Bytes::from_slice(k), ()));
        }
        self.repr = Repr::Big(Box::new(t));
    }

    /// Removes `member` (a client's bytes); false when absent.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Ints(s) => canonical_int(member).is_some_and(|n| s.remove(n)),
            Repr::Packed(p) => p.remove(member),
            Repr::Big(t) => t.remove(member).is_some(),
        }
    }

    /// The member at `index` (< len): O(1), except O(n) for a packed set (see
    /// [`Set::sampler`] for many picks).
    pub fn get(&self, index: usize) -> Option<Item<'_>> {
        match &self.repr {
            Repr::Ints(s) => s.get(index).map(Item::Int),
            Repr::Packed(p) => p.get(index).map(Item::Str),
            Repr::Big(t) => t.get_index(index).map(|(k, _)| Item::Str(k)),
        }
    }

    /// Removes and returns the member at `index` (< len). For a hashtable the last
    /// member moves into its place.
    pub fn remove_at(&mut self, index: usize) -> Option<OwnedItem> {
        match &mut self.repr {
            Repr::Ints(s) => s.remove_at(index).map(OwnedItem::Int),
            Repr::Packed(p) => p.remove_at(index).map(|m| OwnedItem::Str(Bytes::from(m))),
            Repr::Big(t) => t
                .swap_remove_index(index)
                .map(|(k, _, _)| OwnedItem::Str(k)),
        }
    }

    /// The members, in the encoding's order.
    pub fn iter(&self) -> Iter<'_> {
        let inner = match &self.repr {
            Repr::Ints(s) => Inner::Ints(s.iter()),
            Repr::Packed(p) => Inner::Packed(p.iter()),
            Repr::Big(t) => Inner::Big(t, 0),
        };
        Iter { inner }
    }

    /// O(1) access by index for many random picks: a packed set's members are listed
    /// once.
    pub fn sampler(&self) -> Sampler<'_> {
        let listed = match &self.repr {
            Repr::Packed(p) => p.iter().map(Item::Str).collect(),
            _ => Vec::new(),
        };
        Sampler { set: self, listed }
    }

    /// One SSCAN step: a small set is returned whole with cursor 0 (as Redis); a
    /// hashtable visits up to `count` positions below `cursor` (0 = start), downwards.
    /// Calls `visit` with each member; returns the next cursor (0 = done).
    pub fn scan<'a>(&'a self, cursor: u64, count: usize, mut visit: impl FnMut(Item<'a>)) -> u64 {
        let Repr::Big(t) = &self.repr else {
            self.iter().for_each(visit);
            return 0;
        };
        t.scan(cursor, count, |_, k, _| visit(Item::Str(k)))
    }

    /// Frees up to `budget` elements (for freeing a big value in slices); returns how
    /// many it freed. A small encoding is freed at once.
    pub fn free_some(&mut self, budget: usize) -> usize {
        match &mut self.repr {
            Repr::Big(t) => {
                let mut freed = 0;
                while freed < budget && t.pop().is_some() {
                    freed += 1;
                }
                freed
            }
            _ => {
                let n = self.len();
                *self = Set::default();
                n
            }
        }
    }
}

/// Decimal digits of `n` (with its sign).
fn digits(n: i64) -> usize {
    itoa::Buffer::new().format(n).len()
}

/// The members of a [`Set`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: Inner<'a>,
}

#[derive(Debug, Clone)]
enum Inner<'a> {
    Ints(intset::Iter<'a>),
    Packed(packed::Iter<'a>),
    /// The table and the next position.
    Big(&'a Table<()>, usize),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        match &mut self.inner {
            Inner::Ints(it) => it.next().map(Item::Int),
            Inner::Packed(it) => it.next().map(Item::Str),
            Inner::Big(t, at) => {
                let table: &'a Table<()> = t;
                let (k, _) = table.get_index(*at)?;
                *at += 1;
                Some(Item::Str(k))
            }
        }
    }
}

/// Members by index in O(1), for repeated random picks ([`Set::sampler`]).
#[derive(Debug)]
pub struct Sampler<'a> {
    set: &'a Set,
    /// A packed set's members; empty for the other encodings.
    listed: Vec<Item<'a>>,
}

impl<'a> Sampler<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True when the set is empty.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The member at `index`.
    pub fn get(&self, index: usize) -> Option<Item<'a>> {
        match self.set.repr {
            Repr::Packed(_) => self.listed.get(index).copied(),
            _ => self.set.get(index),
        }
    }
}
