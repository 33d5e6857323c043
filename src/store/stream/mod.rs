//! Streams (XADD, XREADGROUP, ...): an append-only log of entries with IDs, kept as
//! a B-tree of packed nodes keyed by each node's first (master) ID, plus consumer
//! groups.
//!
//! Finding where a range starts is a B-tree search, then entries are decoded in order
//! from the packed nodes ([`block`]), so XRANGE costs O(log n + count). A node holds
//! up to `stream-node-max-entries` entries and `stream-node-max-bytes` bytes, as
//! Redis's listpacks do; deleted entries are flagged in place and a node goes when
//! its last live entry does.

pub mod block;
pub mod group;
pub mod id;

use std::collections::BTreeMap;

pub use block::{Block, RawEntry};
pub use group::{Consumer, Group, INVALID_ENTRIES_READ, Nack};
pub use id::StreamId;

/// Field-value pairs of one entry, borrowed from its node.
pub type Pairs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`; 0 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// Bytes a node may reach.
    pub max_bytes: usize,
    /// Entries a node may hold (deleted ones count).
    pub max_entries: usize,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// Largest node Redis allows (its `STREAM_LISTPACK_MAX_SIZE`, 1 GB): an entry larger
/// than this is refused.
pub const MAX_NODE_BYTES: usize = 1 << 30;

/// How XADD and XTRIM trim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries below this ID.
    MinId(StreamId),
}

/// The entries of a stream and its counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Log {
    blocks: BTreeMap<StreamId, Block>,
    /// Live entries.
    pub length: u64,
    /// Greatest ID ever added (or set by XSETID).
    pub last_id: StreamId,
    /// First live entry's ID (0-0 when empty).
    pub first_id: StreamId,
    /// Greatest ID deleted by XDEL.
    pub max_deleted: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
}

/// A stream value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    /// The entries.
    pub log: Log,
    /// Consumer groups by name (ordered, as Redis's radix tree lists them).
    pub groups: BTreeMap<Box<[u8]>, Group>,
}

impl Stream {
    /// Live entries.
    pub fn len(&self) -> usize {
        self.log.length as usize
    }

    /// True with no live entry.
    pub fn is_empty(&self) -> bool {
        self.log.length == 0
    }

    /// Approximate bytes used (MEMORY USAGE): nodes, tree, groups.
    pub fn memory(&self) -> usize {
        let nodes: usize = self.log.blocks.values().map(|b| b.capacity() + 48).sum();
        let groups: usize = self.groups.iter().map(|(n, g)| n.len() + g.memory()).sum();
        128 + nodes + groups
    }

    /// Frees up to `budget` nodes (lazy freeing of a deleted stream); how many went.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let mut freed = 0;
        while freed < budget.max(1) {
            let Some((_, b)) = self.log.blocks.pop_first() else {
                break;
            };
            freed += b.count().max(1);
        }
        if self.log.blocks.is_empty() {
            self.groups.clear();
            self.log.length = 0;
        }
        freed
    }

    /// Elements to free: entries plus pending entries.
    pub fn elements(&self) -> usize {
        if self.log.blocks.is_empty() {
            return 0;
        }
        self.len() + self.groups.values().map(|g| g.pel.len()).sum::<usize>()
    }
}

impl Log {
    /// Number of nodes (XINFO's radix-tree-keys).
    pub fn nodes(&self) -> usize {
        self.blocks.len()
    }

    /// The nodes with their master IDs, in order (persistence).
    pub fn blocks(&self) -> impl Iterator<Item = (&StreamId, &Block)> {
        self.blocks.iter()
    }

    /// The ID `*` gives at `now_ms` (Redis's `streamNextID`); `None` when the last
    /// possible ID was used.
    pub fn next_id(&self, now_ms: i64) -> Option<StreamId> {
        let now = now_ms.max(0) as u64;
        if self.last_id.ms >= now {
            self.last_id.incr()
        } else {
            Some(StreamId::new(now, 0))
        }
    }

    /// Appends entry `id` (greater than `last_id`) with `pairs`.
    pub fn append(&mut self, id: StreamId, pairs: &[(&[u8], &[u8])], limits: NodeLimits) {
        let max_bytes = match limits.max_bytes {
            0 => MAX_NODE_BYTES,
            n => n.min(MAX_NODE_BYTES),
        };
        let cost = Block::entry_cost(pairs);
        let fits = self.blocks.last_key_value().is_some_and(|(_, b)| {
            b.byte_len() + cost < max_bytes
                && (limits.max_entries == 0 || b.count() < limits.max_entries)
        });
        if !fits {
            if let Some((_, last)) = self.blocks.iter_mut().next_back() {
                last.seal();
            }
            self.blocks.insert(id, Block::new(pairs));
        }
        if let Some((&master, last)) = self.blocks.iter_mut().next_back() {
            last.append(master, id, pairs);
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Calls `f` with each live entry from `start` to `end` (inclusive), backwards
    /// with `rev`, until it returns false.
    pub fn visit<'a>(
        &'a self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(StreamId, &'a Block, &RawEntry) -> bool,
    ) {
        if start > end {
            return;
        }
        // The node holding `start` may begin before it.
        let from = self
            .blocks
            .range(..=start)
            .next_back()
            .map_or(start, |(k, _)| *k);
        let nodes = self.blocks.range(from..=end);
        let mut step =
            |master: &StreamId, block: &'a Block, entries: &mut dyn Iterator<Item = RawEntry>| {
                let _ = master;
                for e in entries {
                    if e.id < start || e.id > end || !e.is_live() {
                        continue;
                    }
                    if !f(e.id, block, &e) {
                        return false;
                    }
                }
                true
            };
        if rev {
            for (master, block) in nodes.rev() {
                let entries = block.entries(*master);
                if !step(master, block, &mut entries.into_iter().rev()) {
                    return;
                }
            }
        } else {
            for (master, block) in nodes {
                let entries = block.entries(*master);
                if !step(master, block, &mut entries.into_iter()) {
                    return;
                }
            }
        }
    }

    /// Up to `count` (0 = all) live entries from `start` to `end`.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
    ) -> Vec<(StreamId, Pairs<'_>)> {
        let mut out = Vec::new();
        self.visit(start, end, rev, |id, block, e| {
            out.push((id, block.pairs(e)));
            count == 0 || out.len() < count
        });
        out
    }

    /// The live entry `id`, if any.
    pub fn get(&self, id: StreamId) -> Option<Pairs<'_>> {
        self.range(id, id, false, 1).pop().map(|(_, p)| p)
    }

    /// True when live entry `id` exists.
    pub fn exists(&self, id: StreamId) -> bool {
        let mut found = false;
        self.visit(id, id, false, |_, _, _| {
            found = true;
            false
        });
        found
    }

    /// The first (or last, with `rev`) live ID.
    pub fn edge(&self, rev: bool) -> Option<StreamId> {
        let mut found = None;
        self.visit(StreamId::MIN, StreamId::MAX, rev, |id, _, _| {
            found = Some(id);
            false
        });
        found
    }

    /// Deletes live entry `id` (XDEL); false if there is none. Does not touch
    /// `first_id` or `max_deleted` (the caller does, as XDEL).
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, block)) = self.blocks.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(entry) = block.entries(master).into_iter().find(|e| e.id == id) else {
            return false;
        };
        if !block.mark_deleted(&entry) {
            return false;
        }
        if block.live == 0 {
            self.blocks.remove(&master);
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// Trims (Redis's `streamTrim`): whole nodes, then, unless `approx`, entries of
    /// the first remaining node; at most `limit` entries (0 = no limit). Returns how
    /// many entries went.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&master, block)) = self.blocks.first_key_value() {
            if let Trim::MaxLen(max) = how
                && self.length <= max
            {
                break;
            }
            let entries = u64::from(block.live);
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove = match how {
                Trim::MaxLen(max) => self.length.saturating_sub(entries) >= max,
                Trim::MinId(min) => block.entries(master).last().is_some_and(|e| e.id < min),
            };
            if remove {
                self.blocks.pop_first();
                self.length = self.length.saturating_sub(entries);
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let Some(block) = self.blocks.get_mut(&master) else {
                break;
            };
            for e in block.entries(master) {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if block.mark_deleted(&e) {
                    self.length = self.length.saturating_sub(1);
                    deleted += 1;
                }
            }
            if block.live == 0 {
                self.blocks.remove(&master);
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted != 0 {
            self.first_id = self.edge(false).unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// Redis's `streamRangeHasTombstones`: whether an XDEL may have left a gap
    /// between `start` and `end`.
    pub fn has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.length == 0 || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`: the logical position of
    /// `id` among all entries ever added, or [`INVALID_ENTRIES_READ`].
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return added,
            std::cmp::Ordering::Greater => return INVALID_ENTRIES_READ,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            let base = added - self.length as i64;
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return base,
                std::cmp::Ordering::Equal => return base + 1,
                std::cmp::Ordering::Greater => {}
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag (Redis's `streamReplyWithCGLag`), `None` when unknown.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != INVALID_ENTRIES_READ
            && !self.has_tombstones(group.last_id, StreamId::MAX)
        {
            return Some(added - group.entries_read);
        }
        let read = self.estimate_distance(group.last_id);
        (read != INVALID_ENTRIES_READ).then_some(added - read)
    }

    /// Inserts a node as loaded from a file (RDB): `master` is its key.
    pub fn insert_block(&mut self, master: StreamId, block: Block) {
        self.blocks.insert(master, block);
    }
}

#[cfg(test)]
mod tests;
