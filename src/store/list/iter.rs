//! Walking a list in either direction, entry by entry across nodes.

use super::Nodes;
use crate::store::item::Item;

/// Elements towards the tail (see [`List::iter_from`]).
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    pub(super) nodes: &'a Nodes,
    pub(super) node: usize,
    pub(super) off: usize,
    pub(super) left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.left == 0 {
            return None;
        }
        let nodes: &'a Nodes = self.nodes;
        loop {
            let node = nodes.get(self.node)?;
            if self.off < node.end() {
                let (item, next) = node.read(self.off);
                self.off = next;
                self.left -= 1;
                return Some(item);
            }
            self.node += 1;
            self.off = nodes.get(self.node)?.first();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Elements towards the head (see [`List::rev_from`]).
#[derive(Debug, Clone)]
pub struct RevIter<'a> {
    pub(super) nodes: &'a Nodes,
    pub(super) node: usize,
    pub(super) end: usize,
    pub(super) left: usize,
}

impl<'a> Iterator for RevIter<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        if self.left == 0 {
            return None;
        }
        let nodes: &'a Nodes = self.nodes;
        loop {
            let node = nodes.get(self.node)?;
            if self.end > node.first() {
                let at = node.prev(self.end);
                self.end = at;
                self.left -= 1;
                return Some(node.read(at).0);
            }
            self.node = self.node.checked_sub(1)?;
            self.end = nodes.get(self.node)?.end();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for RevIter<'_> {}
