//! The list type: Redis 7's quicklist idea, a deque of packed nodes.
//!
//! Each [`Node`] is one byte buffer of length-prefixed entries (see [`node`]) holding
//! up to `list-max-listpack-size` worth of elements (8 KB by default, or a number of
//! entries), so an element costs its bytes plus two or three, not a pointer and an
//! allocation. Pushes and pops touch only the end nodes; LINDEX and LSET skip whole
//! nodes by their counts from the nearer end; LRANGE walks entries in order. A list
//! of one node (most small lists) keeps it inline, without the deque's allocation.
//!
//! OBJECT ENCODING reports `quicklist`, as Redis 7.0 does for every list.

mod iter;
mod node;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

pub use super::item::{Item, OwnedItem};
pub use iter::{Iter, RevIter};
use node::{Node, encoded_len};

/// Bytes a node may hold when its limit counts entries (Redis's SIZE_SAFETY_LIMIT):
/// a node of few but large entries stays cheap to rewrite.
const SAFETY_BYTES: usize = 8192;

/// How much one node may hold (from `list-max-listpack-size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimit {
    bytes: usize,
    entries: usize,
}

impl NodeLimit {
    /// A limit of `bytes` per node (negative `list-max-listpack-size`) or of `entries`
    /// per node (positive; nodes then also stay under 8 KB). Pass `usize::MAX` for
    /// the one that does not apply.
    pub fn new(bytes: usize, entries: usize) -> NodeLimit {
        let bytes = if bytes == usize::MAX {
            SAFETY_BYTES
        } else {
            bytes
        };
        NodeLimit {
            bytes,
            entries: entries.max(1),
        }
    }

    /// True when `node` may take one more entry of `size` bytes.
    fn allows(&self, node: &Node, size: usize) -> bool {
        node.bytes() + size <= self.bytes && node.count() < self.entries
    }

    /// True when `node` is within the limit.
    fn fits(&self, node: &Node) -> bool {
        node.bytes() <= self.bytes && node.count() <= self.entries
    }
}

impl Default for NodeLimit {
    /// Redis's default `list-max-listpack-size -2`: 8 KB per node.
    fn default() -> NodeLimit {
        NodeLimit::new(8192, usize::MAX)
    }
}

/// An end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The head (LPUSH, LPOP, LEFT).
    Left,
    /// The tail (RPUSH, RPOP, RIGHT).
    Right,
}

/// The nodes: inline when there is one (no deque allocation for small lists), the
/// deque boxed otherwise so that this stays the size of one node.
#[derive(Debug, Clone, Default)]
enum Nodes {
    #[default]
    Empty,
    One(Node),
    // Boxed on purpose: it keeps a one-node list (the common case) 16 bytes smaller.
    #[allow(clippy::box_collection)]
    Many(Box<VecDeque<Node>>),
}

impl Nodes {
    fn len(&self) -> usize {
        match self {
            Nodes::Empty => 0,
            Nodes::One(_) => 1,
            Nodes::Many(nodes) => nodes.len(),
        }
    }

    fn get(&self, i: usize) -> Option<&Node> {
        match self {
            Nodes::Empty => None,
            Nodes::One(node) => (i == 0).then_some(node),
            Nodes::Many(nodes) => nodes.get(i),
        }
    }

    fn get_mut(&mut self, i: usize) -> Option<&mut Node> {
        match self {
            Nodes::Empty => None,
            Nodes::One(node) => (i == 0).then_some(node),
            Nodes::Many(nodes) => nodes.get_mut(i),
        }
    }

    /// Inserts `node` at position `i` (`i <= len`).
    fn insert(&mut self, i: usize, node: Node) {
        match std::mem::take(self) {
            Nodes::Empty => *self = Nodes::One(node),
            Nodes::Many(mut nodes) => {
                nodes.insert(i.min(nodes.len()), node);
                *self = Nodes::Many(nodes);
            }
            Nodes::One(first) => {
                let mut nodes = VecDeque::with_capacity(4);
                nodes.push_back(first);
                nodes.insert(i.min(1), node);
                *self = Nodes::Many(Box::new(nodes));
            }
        }
    }

    /// Goes back to the inline forms once at most one node is left.
    fn unbox_if_small(&mut self) {
        if let Nodes::Many(nodes) = self
            && nodes.len() <= 1
        {
            *self = nodes.pop_front().map_or(Nodes::Empty, Nodes::One);
        }
    }

    /// Removes the node at position `i`.
    fn remove(&mut self, i: usize) -> Option<Node> {
        match std::mem::take(self) {
            Nodes::Empty => None,
            Nodes::One(node) if i == 0 => Some(node),
            one @ Nodes::One(_) => {
                *self = one;
                None
            }
            Nodes::Many(mut nodes) => {
                let removed = nodes.remove(i);
                *self = Nodes::Many(nodes);
                self.unbox_if_small();
                removed
            }
        }
    }
}

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct List {
    len: usize,
    nodes: Nodes,
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl List {
    /// An empty list.
    pub fn new() -> List {
        List::default()
    }

    /// Elements held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty (an empty collection is never stored: its key is deleted).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Frees up to `budget` elements (for freeing a big value in slices), a node at a
    /// time from the tail; returns how many it freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let mut freed = 0;
        while freed < budget {
            let Some(last) = self.nodes.len().checked_sub(1) else {
                break;
            };
            freed += self.nodes.remove(last).map_or(0, |n| n.count());
        }
        self.len -= freed.min(self.len);
        freed
    }

    /// Heap bytes the list owns beyond its own struct (MEMORY USAGE), measuring
    /// `samples` nodes and scaling up when there are more (0 = all), as Redis does.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        let count = self.nodes.len();
        let deque = match &self.nodes {
            Nodes::Empty | Nodes::One(_) => 0,
            Nodes::Many(nodes) => {
                std::mem::size_of::<VecDeque<Node>>()
                    + nodes.capacity() * std::mem::size_of::<Node>()
            }
        };
        let take = if samples == 0 {
            count
        } else {
            samples.min(count)
        };
        let sampled: usize = (0..take)
            .filter_map(|i| self.nodes.get(i))
            .map(Node::heap_bytes)
            .sum();
        let nodes = match take {
            0 => 0,
            _ => sampled / take * count,
        };
        deque + nodes
    }

    /// Number of nodes (for tests and introspection).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Pushes client bytes at one end.
    pub fn push(&mut self, side: Side, value: &[u8], limit: NodeLimit) {
        self.push_item(side, Item::from_bytes(value), limit);
    }

    /// Pushes an element at one end: into the end node while it has room, else into
    /// a new node.
    pub fn push_item(&mut self, side: Side, item: Item<'_>, limit: NodeLimit) {
        let size = encoded_len(item);
        let count = self.nodes.len();
        let end = match side {
            Side::Left => 0,
            Side::Right => count.saturating_sub(1),
        };
        self.len += 1;
        if let Some(node) = self.nodes.get_mut(end)
            && limit.allows(node, size)
        {
            let off = match side {
                Side::Left => node.first(),
                Side::Right => node.end(),
            };
            node.insert(off, item, limit.bytes);
            return;
        }
        let at = match side {
            Side::Left => 0,
            Side::Right => count,
        };
        self.nodes.insert(at, Node::with_item(item));
    }

    /// Removes and returns the element at one end.
    pub fn pop(&mut self, side: Side) -> Option<OwnedItem> {
        let i = match side {
            Side::Left => 0,
            Side::Right => self.nodes.len().checked_sub(1)?,
        };
        let node = self.nodes.get_mut(i)?;
        let off = match side {
            Side::Left => node.first(),
            Side::Right => node.prev(node.end()),
        };
        let elem = node.remove(off);
        if node.count() == 0 {
            self.nodes.remove(i);
        }
        self.len -= 1;
        Some(elem)
    }

    /// Removes `n` elements (at most all) from one end.
    pub fn remove_end(&mut self, side: Side, n: usize) {
        let mut left = n.min(self.len);
        self.len -= left;
        while left > 0 {
            let i = match side {
                Side::Left => 0,
                Side::Right => self.nodes.len().saturating_sub(1),
            };
            let Some(node) = self.nodes.get_mut(i) else {
                break;
            };
            if node.count() <= left {
                left -= node.count();
                self.nodes.remove(i);
            } else {
                match side {
                    Side::Left => node.remove_front(left),
                    Side::Right => node.remove_back(left),
                }
                left = 0;
            }
        }
    }

    /// Keeps only the elements at `start..end` (clamped), as LTRIM.
    pub fn retain_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.len);
        let start = start.min(end);
        let tail = self.len - end;
        self.remove_end(Side::Right, tail);
        self.remove_end(Side::Left, start);
    }

    /// The node and byte offset of element `index`, reached by skipping whole nodes
    /// from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut rest = index;
            for i in 0..self.nodes.len() {
                let node = self.nodes.get(i)?;
                if rest < node.count() {
                    return Some((i, node.nth(rest)));
                }
                rest -= node.count();
            }
        } else {
            let mut rest = self.len - 1 - index;
            for i in (0..self.nodes.len()).rev() {
                let node = self.nodes.get(i)?;
                if rest < node.count() {
                    return Some((i, node.nth(node.count() - 1 - rest)));
                }
                rest -= node.count();
            }
        }
        None
    }

    /// Element `index` (0 = head).
    pub fn get(&self, index: usize) -> Option<Item<'_>> {
        let (i, off) = self.locate(index)?;
        Some(self.nodes.get(i)?.read(off).0)
    }

    /// Replaces element `index` with `value`; false when out of range.
    pub fn set(&mut self, index: usize, value: &[u8], limit: NodeLimit) -> bool {
        let Some((i, off)) = self.locate(index) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(i) else {
            return false;
        };
        node.replace(off, Item::from_bytes(value));
        self.split_oversized(i, limit);
        true
    }

    /// Inserts `value` just before (or `after`) the first element equal to `pivot`;
    /// false when there is none.
    pub fn insert_at_pivot(
        &mut self,
        pivot: &[u8],
        after: bool,
        value: &[u8],
        limit: NodeLimit,
    ) -> bool {
        let pivot = Item::from_bytes(pivot);
        let mut found = None;
        'nodes: for i in 0..self.nodes.len() {
            let Some(node) = self.nodes.get(i) else {
                break;
            };
            let mut off = node.first();
            while off < node.end() {
                let (item, next) = node.read(off);
                if item == pivot {
                    found = Some((i, if after { next } else { off }));
                    break 'nodes;
                }
                off = next;
            }
        }
        let Some((i, off)) = found else {
            return false;
        };
        self.insert_in_node(i, off, Item::from_bytes(value), limit);
        true
    }

    /// Inserts at offset `off` of node `i`: into a neighbour when the node is full
    /// and the spot is at its edge, else into the node, which is split if it overflows.
    fn insert_in_node(&mut self, i: usize, off: usize, item: Item<'_>, limit: NodeLimit) {
        let size = encoded_len(item);
        self.len += 1;
        let Some(node) = self.nodes.get(i) else {
            return;
        };
        if !limit.allows(node, size) {
            let (at_start, at_end) = (off == node.first(), off == node.end());
            if at_end
                && let Some(next) = self.nodes.get_mut(i + 1)
                && limit.allows(next, size)
            {
                next.insert(next.first(), item, limit.bytes);
                return;
            }
            if at_start
                && i > 0
                && let Some(prev) = self.nodes.get_mut(i - 1)
                && limit.allows(prev, size)
            {
                prev.push_back(item, limit.bytes);
                return;
            }
        }
        if let Some(node) = self.nodes.get_mut(i) {
            node.insert(off, item, limit.bytes);
        }
        self.split_oversized(i, limit);
    }

    /// Splits node `i` in halves (by bytes) until every piece fits `limit` or holds a
    /// single entry.
    fn split_oversized(&mut self, i: usize, limit: NodeLimit) {
        let mut pending = vec![i];
        while let Some(i) = pending.pop() {
            let Some(node) = self.nodes.get_mut(i) else {
                continue;
            };
            if node.count() <= 1 || limit.fits(node) {
                continue;
            }
            let half = node.bytes() / 2;
            let (mut off, mut before) = (node.first(), 0);
            while before + 1 < node.count() {
                off = node.read(off).1;
                before += 1;
                if off - node.first() >= half {
                    break;
                }
            }
            let rest = node.split_off(off, before);
            self.nodes.insert(i + 1, rest);
            pending.push(i);
            pending.push(i + 1);
        }
    }

    /// Removes elements equal to `value`: the first `count` from the head, or
    /// (`from_tail`) the last `count`; `count` 0 removes all. Returns how many.
    pub fn remove_matching(
        &mut self,
        value: &[u8],
        count: usize,
        from_tail: bool,
        limit: NodeLimit,
    ) -> usize {
        let needle = Item::from_bytes(value);
        let want = if count == 0 { usize::MAX } else { count };
        let nodes = self.nodes.len();
        let (mut removed, mut lo, mut hi) = (0, nodes, 0);
        for step in 0..nodes {
            let i = if from_tail { nodes - 1 - step } else { step };
            let Some(node) = self.nodes.get_mut(i) else {
                break;
            };
            let n = node.remove_matching(needle, want - removed, from_tail);
            if n > 0 {
                removed += n;
                lo = lo.min(i);
                hi = hi.max(i);
            }
            if removed == want {
                break;
            }
        }
        if removed > 0 {
            self.len -= removed;
            self.tidy_nodes(lo, hi, limit);
        }
        removed
    }

    /// Drops empty nodes among `lo..=hi` and merges neighbours whose entries fit one
    /// node, so that removals leave no trail of tiny nodes: one pass that packs the
    /// kept nodes to the front of the range, then one drain of the rest.
    fn tidy_nodes(&mut self, lo: usize, hi: usize, limit: NodeLimit) {
        let Nodes::Many(nodes) = &mut self.nodes else {
            if self.nodes.get(0).is_some_and(|n| n.count() == 0) {
                self.nodes.remove(0);
            }
            return;
        };
        let start = lo.saturating_sub(1);
        let end = hi.saturating_add(2).min(nodes.len());
        let mut kept: Option<usize> = None;
        for read in start..end {
            if nodes[read].count() == 0 {
                continue;
            }
            match kept {
                Some(k)
                    if nodes[k].bytes() + nodes[read].bytes() <= limit.bytes
                        && nodes[k].count() + nodes[read].count() <= limit.entries =>
                {
                    let taken = std::mem::take(&mut nodes[read]);
                    nodes[k].append(&taken);
                }
                _ => {
                    let k = kept.map_or(start, |k| k + 1);
                    nodes.swap(k, read);
                    kept = Some(k);
                }
            }
        }
        let packed_end = kept.map_or(start, |k| k + 1);
        nodes.drain(packed_end..end);
        self.nodes.unbox_if_small();
    }

    /// The elements from the head.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// The elements from `index` towards the tail (empty when out of range).
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        match self.locate(index) {
            Some((node, off)) => Iter {
                nodes: &self.nodes,
                node,
                off,
                left: self.len - index,
            },
            None => Iter {
                nodes: &self.nodes,
                node: 0,
                off: 0,
                left: 0,
            },
        }
    }

    /// The elements from `index` towards the head (empty when out of range).
    pub fn rev_from(&self, index: usize) -> RevIter<'_> {
        let found = self
            .locate(index)
            .and_then(|(node, off)| Some((node, self.nodes.get(node)?.read(off).1)));
        match found {
            Some((node, end)) => RevIter {
                nodes: &self.nodes,
                node,
                end,
                left: index + 1,
            },
            None => RevIter {
                nodes: &self.nodes,
                node: 0,
                end: 0,
                left: 0,
            },
        }
    }
}
