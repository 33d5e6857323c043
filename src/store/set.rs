//! The set type (placeholder: its family's work replaces this file).

/// A set value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Set {
    len: usize,
}

impl Set {
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
        "intset"
    }

    /// Frees up to `budget` elements (for freeing a big value in slices); returns how
    /// many it freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        let n = budget.min(self.len);
        self.len -= n;
        n
    }
}

// Stand-ins for the set type's reading API (`iter`, `contains`, `Member`), with the
// same signatures, so the sorted set commands that accept sets compile before the
// set family lands; that family's set.rs replaces all of this.

/// A member as a set holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member<'a> {
    /// An integer (from an intset).
    Int(i64),
    /// Bytes.
    Str(&'a [u8]),
}

impl Member<'_> {
    /// Calls `f` with the member's text.
    pub fn with_text<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Member::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
            Member::Str(s) => f(s),
        }
    }
}

impl Set {
    /// True when `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        let _ = member;
        false
    }

    /// The members.
    pub fn iter(&self) -> impl Iterator<Item = Member<'_>> {
        std::iter::empty()
    }
}
