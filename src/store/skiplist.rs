//! The ordered index of a big sorted set: Redis's `zskiplist` (levels whose links
//! carry spans, so ranks and rank lookups are O(log n)) kept in arenas with `u32`
//! links instead of pointers.
//!
//! - A node is 24 bytes: its score, the position of its member in the sorted set's
//!   member table (the member's bytes live only there), the backward link, the level 0
//!   link, and where its upper levels are. Level 0 needs no span (it is always 1).
//! - Upper levels (a node has `height - 1` of them, a quarter of the nodes have any)
//!   are blocks of 8-byte `Level`s in a second arena; freed blocks go to a free list
//!   per size, freed nodes to a free list of nodes, so nothing ever moves.
//! - Both arenas are chunked: growing never copies more than one chunk, so inserting
//!   into a million-element set never stalls on a reallocation.
//! - A node's height comes from its member's hash (two bits per level, a 1-in-4
//!   chance each, as Redis's `ZSKIPLIST_P`): no random state, and since the hash is
//!   seeded per process a client cannot build a degenerate list.
//! - Node 0 is the header; as a link, 0 means "none" (nothing links to the header).

use super::table::Table;

/// Most levels a node has. With a 1-in-4 chance per extra level, 16 levels keep
/// searches logarithmic up to 4^16 (4 billion) elements, more than a table holds.
pub const MAX_LEVEL: usize = 16;

/// The header node, and the "no node" link.
const NIL: u32 = 0;
/// An empty free list of level blocks.
const NO_BLOCK: u32 = u32::MAX;
/// log2 of the entries per arena chunk: 4096 nodes (96 KiB), so a reallocation never
/// copies more than that. Small in tests, to exercise many chunks.
const CHUNK_BITS: u32 = if cfg!(test) { 5 } else { 12 };
/// Entries per arena chunk.
const CHUNK: usize = 1 << CHUNK_BITS;
/// Bits of [`Node::up`] addressing a level block; the top 4 bits hold `height - 1`.
const BLOCK_BITS: u32 = 28;
/// Level entries the arena may address (2^28: a set of ~800 million members); past
/// that, new nodes get a single level (slower searches, still correct).
const MAX_LEVEL_SLOTS: usize = 1 << BLOCK_BITS;

/// One upper level of a node: the next node at that level and how many level-0 steps
/// that link skips.
#[derive(Debug, Clone, Copy, Default)]
struct Level {
    forward: u32,
    span: u32,
}

/// A node of the list.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    score: f64,
    /// Position of the member in the member table.
    member: u32,
    /// The previous node (NIL for the first).
    backward: u32,
    /// The next node at level 0 (NIL for the last); the next free node when freed.
    next: u32,
    /// `height - 1` in the top 4 bits; the first index of the upper-level block below.
    up: u32,
}

impl Node {
    fn height(&self) -> usize {
        (self.up >> BLOCK_BITS) as usize + 1
    }

    fn block(&self) -> u32 {
        self.up & ((1 << BLOCK_BITS) - 1)
    }
}

/// Entries in fixed-size chunks: an index never moves.
#[derive(Debug, Clone)]
struct Arena<T> {
    chunks: Vec<Vec<T>>,
}

impl<T: Copy> Arena<T> {
    const fn new() -> Arena<T> {
        Arena { chunks: Vec::new() }
    }

    fn get(&self, i: u32) -> &T {
        &self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    fn get_mut(&mut self, i: u32) -> &mut T {
        &mut self.chunks[(i >> CHUNK_BITS) as usize][i as usize & (CHUNK - 1)]
    }

    /// Entries in use or wasted (an upper bound on the next index).
    fn extent(&self) -> usize {
        match self.chunks.last() {
            Some(last) => ((self.chunks.len() - 1) << CHUNK_BITS) + last.len(),
            None => 0,
        }
    }

    /// Appends `n` (<= CHUNK) copies of `fill` within one chunk; returns the first
    /// index. The first chunk grows by doubling (a small list stays small); later
    /// chunks are allocated whole.
    fn push_block(&mut self, n: usize, fill: T) -> u32 {
        let full = self.chunks.last().is_none_or(|c| c.len() + n > CHUNK);
        if full {
            let cap = if self.chunks.is_empty() { n } else { CHUNK };
            self.chunks.push(Vec::with_capacity(cap));
        }
        let ci = self.chunks.len() - 1;
        let chunk = &mut self.chunks[ci];
        let start = chunk.len();
        chunk.extend(std::iter::repeat_n(fill, n));
        ((ci << CHUNK_BITS) | start) as u32
    }
}

/// The skip list; see the module docs. Members are compared through the member
/// table passed to the methods that search.
#[derive(Debug, Clone)]
pub struct SkipList {
    nodes: Arena<Node>,
    levels: Arena<Level>,
    /// Head of the free nodes (NIL when none), linked by `next`.
    free_node: u32,
    /// Heads of the free level blocks by size - 1, linked by their first `forward`.
    free_blocks: [u32; MAX_LEVEL],
    tail: u32,
    len: usize,
    /// Levels in use (at least 1).
    level: usize,
}

/// Nodes per level of a search: the last node before the target at each level.
type Path = [u32; MAX_LEVEL];

impl Default for SkipList {
    fn default() -> SkipList {
        SkipList::new()
    }
}

impl SkipList {
    /// An empty list (the header only).
    pub fn new() -> SkipList {
        let mut list = SkipList {
            nodes: Arena::new(),
            levels: Arena::new(),
            free_node: NIL,
            free_blocks: [NO_BLOCK; MAX_LEVEL],
            tail: NIL,
            len: 0,
            level: 1,
        };
        let block = list.levels.push_block(MAX_LEVEL - 1, Level::default());
        list.nodes.push_block(
            1,
            Node {
                up: ((MAX_LEVEL as u32 - 1) << BLOCK_BITS) | block,
                ..Node::default()
            },
        );
        list
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The height a member with table hash `hash` gets: one more level for each pair
    /// of low zero bits, so each level is a quarter as likely as the one below.
    pub fn height_for(hash: u32) -> usize {
        (1 + hash.trailing_zeros() as usize / 2).min(MAX_LEVEL)
    }

    fn node(&self, x: u32) -> &Node {
        self.nodes.get(x)
    }

    fn fwd(&self, x: u32, i: usize) -> u32 {
        if i == 0 {
            self.node(x).next
        } else {
            self.levels.get(self.node(x).block() + i as u32 - 1).forward
        }
    }

    fn span(&self, x: u32, i: usize) -> u32 {
        if i == 0 {
            1
        } else {
            self.levels.get(self.node(x).block() + i as u32 - 1).span
        }
    }

    fn set_fwd(&mut self, x: u32, i: usize, to: u32) {
        if i == 0 {
            self.nodes.get_mut(x).next = to;
        } else {
            let at = self.node(x).block() + i as u32 - 1;
            self.levels.get_mut(at).forward = to;
        }
    }

    fn set_span(&mut self, x: u32, i: usize, span: u32) {
        if i > 0 {
            let at = self.node(x).block() + i as u32 - 1;
            self.levels.get_mut(at).span = span;
        }
    }

    /// The score of node `x`.
    pub fn score(&self, x: u32) -> f64 {
        self.node(x).score
    }

    /// The member-table position of node `x`.
    pub fn member_pos(&self, x: u32) -> usize {
        self.node(x).member as usize
    }

    /// Records that the member of node `x` moved to table position `pos`.
    pub fn set_member_pos(&mut self, x: u32, pos: usize) {
        self.nodes.get_mut(x).member = pos as u32;
    }

    /// The first node, if any.
    pub fn first(&self) -> Option<u32> {
        self.some(self.node(NIL).next)
    }

    /// The last node, if any.
    pub fn last(&self) -> Option<u32> {
        self.some(self.tail)
    }

    /// The node after `x`.
    pub fn next(&self, x: u32) -> Option<u32> {
        self.some(self.node(x).next)
    }

    /// The node before `x`.
    pub fn prev(&self, x: u32) -> Option<u32> {
        self.some(self.node(x).backward)
    }

    fn some(&self, x: u32) -> Option<u32> {
        (x != NIL).then_some(x)
    }

    /// True when node `x` sorts before `(score, member)`.
    fn before(&self, members: &Table<u32>, x: u32, score: f64, member: &[u8]) -> bool {
        let n = self.node(x);
        n.score < score || (n.score == score && member_of(members, n.member) < member)
    }

    /// The search path to `(score, member)` and the rank of each step (Redis's
    /// `update` and `rank` arrays of `zslInsert`).
    fn path(&self, members: &Table<u32>, score: f64, member: &[u8]) -> (Path, [usize; MAX_LEVEL]) {
        let mut update = [NIL; MAX_LEVEL];
        let mut rank = [0usize; MAX_LEVEL];
        let mut x = NIL;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !self.before(members, f, score, member) {
                    break;
                }
                rank[i] += self.span(x, i) as usize;
                x = f;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Allocates a node of `height` levels.
    fn alloc(&mut self, score: f64, member: u32, height: usize) -> u32 {
        let mut height = height.clamp(1, MAX_LEVEL);
        let mut block = 0;
        if height > 1 {
            let head = self.free_blocks[height - 1];
            if head != NO_BLOCK {
                self.free_blocks[height - 1] = self.levels.get(head).forward;
                block = head;
            } else if self.levels.extent() + height <= MAX_LEVEL_SLOTS {
                block = self.levels.push_block(height - 1, Level::default());
            } else {
                height = 1;
            }
        }
        let node = Node {
            score,
            member,
            backward: NIL,
            next: NIL,
            up: ((height as u32 - 1) << BLOCK_BITS) | block,
        };
        if self.free_node != NIL {
            let x = self.free_node;
            self.free_node = self.node(x).next;
            *self.nodes.get_mut(x) = node;
            x
        } else {
            self.nodes.push_block(1, node)
        }
    }

    fn free(&mut self, x: u32) {
        let n = *self.node(x);
        let height = n.height();
        if height > 1 {
            let block = n.block();
            self.levels.get_mut(block).forward = self.free_blocks[height - 1];
            self.free_blocks[height - 1] = block;
        }
        self.nodes.get_mut(x).next = self.free_node;
        self.free_node = x;
    }

    /// Inserts `(score, member)`, absent from the list, whose member sits at table
    /// position `pos`; returns its node. `members` need not hold it yet.
    pub fn insert(
        &mut self,
        members: &Table<u32>,
        score: f64,
        member: &[u8],
        pos: usize,
        height: usize,
    ) -> u32 {
        let (mut update, mut rank) = self.path(members, score, member);
        let x = self.alloc(score, pos as u32, height);
        let height = self.node(x).height();
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = NIL;
                self.set_span(NIL, i, self.len as u32);
            }
            self.level = height;
        }
        for i in 0..height {
            let u = update[i];
            self.set_fwd(x, i, self.fwd(u, i));
            self.set_fwd(u, i, x);
            let skipped = (rank[0] - rank[i]) as u32;
            self.set_span(x, i, self.span(u, i).wrapping_sub(skipped));
            self.set_span(u, i, skipped + 1);
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.set_span(u, i, self.span(u, i).wrapping_add(1));
        }
        self.nodes.get_mut(x).backward = update[0];
        let next = self.node(x).next;
        if next == NIL {
            self.tail = x;
        } else {
            self.nodes.get_mut(next).backward = x;
        }
        self.len += 1;
        x
    }

    /// Unlinks node `x` given its search path (Redis's `zslDeleteNode`), then frees it.
    fn unlink(&mut self, x: u32, update: &Path) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            if self.fwd(u, i) == x {
                let span = self
                    .span(u, i)
                    .wrapping_add(self.span(x, i))
                    .wrapping_sub(1);
                self.set_span(u, i, span);
                self.set_fwd(u, i, self.fwd(x, i));
            } else {
                self.set_span(u, i, self.span(u, i).wrapping_sub(1));
            }
        }
        let (next, backward) = (self.node(x).next, self.node(x).backward);
        if next == NIL {
            self.tail = backward;
        } else {
            self.nodes.get_mut(next).backward = backward;
        }
        while self.level > 1 && self.fwd(NIL, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.free(x);
    }

    /// Removes node `x` (whose member is still in `members`).
    pub fn delete(&mut self, members: &Table<u32>, x: u32) {
        let n = *self.node(x);
        let (update, _) = self.path(members, n.score, member_of(members, n.member));
        debug_assert_eq!(self.fwd(update[0], 0), x, "node missing from its path");
        self.unlink(x, &update);
    }

    /// Changes the score of node `x`; returns its node afterwards (a new one when it
    /// had to move, as Redis's `zslUpdateScore`).
    pub fn update_score(&mut self, members: &Table<u32>, x: u32, score: f64) -> u32 {
        let n = *self.node(x);
        let prev_ok = n.backward == NIL || self.node(n.backward).score < score;
        let next_ok = n.next == NIL || self.node(n.next).score > score;
        if prev_ok && next_ok {
            self.nodes.get_mut(x).score = score;
            return x;
        }
        let height = n.height();
        self.delete(members, x);
        let member = member_of(members, n.member);
        self.insert(members, score, member, n.member as usize, height)
    }

    /// The 0-based rank of node `x`.
    pub fn rank(&self, members: &Table<u32>, x: u32) -> usize {
        let n = *self.node(x);
        let member = member_of(members, n.member);
        let mut rank = 0usize;
        let mut at = NIL;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(at, i);
                if f == NIL {
                    break;
                }
                let fnode = self.node(f);
                let le = fnode.score < n.score
                    || (fnode.score == n.score && member_of(members, fnode.member) <= member);
                if !le {
                    break;
                }
                rank += self.span(at, i) as usize;
                at = f;
            }
            if at == x {
                return rank - 1;
            }
        }
        debug_assert!(false, "node missing from the list");
        0
    }

    /// The node at 0-based `rank`.
    pub fn by_rank(&self, rank: usize) -> Option<u32> {
        if rank >= self.len {
            return None;
        }
        let target = rank + 1;
        let mut traversed = 0usize;
        let mut x = NIL;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.span(x, i) as usize > target {
                    break;
                }
                traversed += self.span(x, i) as usize;
                x = f;
            }
            if traversed == target {
                return Some(x);
            }
        }
        None
    }

    /// How many leading nodes satisfy `pred` (which must hold for a prefix of the
    /// list, then fail): the rank of the first node that fails it.
    pub fn count_while(&self, mut pred: impl FnMut(u32) -> bool) -> usize {
        let mut traversed = 0usize;
        let mut x = NIL;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !pred(f) {
                    break;
                }
                traversed += self.span(x, i) as usize;
                x = f;
            }
        }
        traversed
    }

    /// Checks every invariant (links, spans, order, backward links, tail); for tests.
    #[cfg(test)]
    pub fn check(&self, members: &Table<u32>) {
        let mut order = Vec::new();
        let mut x = self.node(NIL).next;
        let mut prev = NIL;
        while x != NIL {
            assert_eq!(self.node(x).backward, prev);
            order.push(x);
            prev = x;
            x = self.node(x).next;
        }
        assert_eq!(self.tail, prev);
        assert_eq!(order.len(), self.len);
        for w in order.windows(2) {
            let (a, b) = (self.node(w[0]), self.node(w[1]));
            let key = |n: &Node| (n.score, member_of(members, n.member).to_vec());
            assert!(key(a).partial_cmp(&key(b)) == Some(std::cmp::Ordering::Less));
        }
        let rank_of = |x: u32| order.iter().position(|&o| o == x).map_or(0, |p| p + 1);
        for i in 1..self.level {
            let mut at = NIL;
            loop {
                let f = self.fwd(at, i);
                if f == NIL {
                    break;
                }
                assert_eq!(self.span(at, i) as usize, rank_of(f) - rank_of(at));
                at = f;
            }
        }
        for (r, &x) in order.iter().enumerate() {
            assert_eq!(self.rank(members, x), r);
            assert_eq!(self.by_rank(r), Some(x));
        }
    }
}

/// The member at table position `pos`.
fn member_of(members: &Table<u32>, pos: u32) -> &[u8] {
    members
        .get_index(pos as usize)
        .map_or(&[][..], |(k, _)| k.as_slice())
}
