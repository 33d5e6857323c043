//! An element of a list or a member of a set, as the compact encodings keep it: an
//! integer (for text that is an i64's canonical form) or bytes. `Int(5)` and
//! `Str(b"5")` name the same element; [`Item::from_bytes`] always gives the integer.

use super::bytes::Bytes;
use super::value::canonical_int;

/// An element borrowed from its container (or from a client's argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// An integer (stored for text that is an i64's canonical form).
    Int(i64),
    /// Any other string (possibly the text of an integer, when not normalized).
    Str(&'a [u8]),
}

impl<'a> Item<'a> {
    /// The item for client bytes: an integer when they are an i64's canonical text, so
    /// that two equal texts always give equal items.
    pub fn from_bytes(bytes: &'a [u8]) -> Item<'a> {
        canonical_int(bytes).map_or(Item::Str(bytes), Item::Int)
    }

    /// Calls `f` with the item's text (an integer is formatted on the stack).
    pub fn with_text<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Item::Int(n) => f(itoa::Buffer::new().format(n).as_bytes()),
            Item::Str(s) => f(s),
        }
    }

    /// The item's text, owned.
    pub fn to_vec(self) -> Vec<u8> {
        self.with_text(<[u8]>::to_vec)
    }

    /// An owned copy.
    pub fn to_owned_item(self) -> OwnedItem {
        match self {
            Item::Int(n) => OwnedItem::Int(n),
            Item::Str(s) => OwnedItem::Str(Bytes::from_slice(s)),
        }
    }
}

/// An element taken out of its container (a pop), owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedItem {
    /// An integer.
    Int(i64),
    /// A string (inline up to 22 bytes).
    Str(Bytes),
}

impl OwnedItem {
    /// A borrowed view (to push it, or to reply with it).
    pub fn as_item(&self) -> Item<'_> {
        match self {
            OwnedItem::Int(n) => Item::Int(*n),
            OwnedItem::Str(s) => Item::Str(s),
        }
    }
}
