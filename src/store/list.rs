//! The list type (placeholder: its family's work replaces this file).

/// A list value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct List {
    len: usize,
}

impl List {
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

    /// Frees up to `budget` elements (for freeing a big value in slices); returns how
    /// many it freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let n = budget.min(self.len);
        self.len -= n;
        n
    }
}
