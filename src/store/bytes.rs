//! A compact byte string for keys and string values.
//!
//! [`Bytes`] is 24 bytes, like a `Vec<u8>`, but holds up to [`INLINE_CAP`] bytes
//! inline, with no heap allocation: most keys and many values are that short, and a
//! separate allocation per key costs both its size class rounding and the allocator's
//! bookkeeping. Longer strings live in a boxed buffer whose unused tail is spare
//! capacity, grown geometrically so APPEND and SETRANGE are amortized O(1) per byte
//! (Redis's `sdsMakeRoomFor`).
//!
//! It is written without `unsafe`: an enum whose inline length is itself an enum of
//! 23 values leaves the compiler 233 spare bit patterns in that byte to tag the other
//! variants, and lets [`Value`](super::Value) (which wraps a `Bytes`) stay 24 bytes too.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

/// Bytes held inline: what fits in 24 bytes beside the one-byte length.
pub const INLINE_CAP: usize = 22;

/// Longest string kept as a boxed buffer with a `u32` length; longer ones (possible only
/// with a raised proto-max-bulk-len) take a boxed `Vec`. Small in tests to exercise both.
const HEAP_MAX: usize = if cfg!(test) { 1000 } else { u32::MAX as usize };

/// Above this size growth adds this much instead of doubling (Redis's SDS_MAX_PREALLOC),
/// so a huge string appended to once does not reserve as much again.
const MAX_PREALLOC: usize = 1024 * 1024;

/// A length of an inline string: 0..=22, so the other 233 values of the byte are free
/// for the enum tags of [`Repr`] and of the types that contain a [`Bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
enum InlineLen {
    L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
    L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22,
}

/// `INLINE_LENS[n]` is the inline length `n`.
#[rustfmt::skip]
const INLINE_LENS: [InlineLen; INLINE_CAP + 1] = {
    use InlineLen::*;
    [
        L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11,
        L12, L13, L14, L15, L16, L17, L18, L19, L20, L21, L22,
    ]
};

/// The three representations.
#[derive(Debug)]
enum Repr {
    /// Up to [`INLINE_CAP`] bytes, in place.
    Inline {
        len: InlineLen,
        data: [u8; INLINE_CAP],
    },
    /// `buf[..len]` is the string; the rest of `buf` is spare capacity.
    Heap { buf: Box<[u8]>, len: u32 },
    /// A string longer than [`HEAP_MAX`]. Boxed on purpose: a bare `Vec` would make
    /// every `Bytes` 32 bytes; the extra allocation only matters for giant strings.
    #[allow(clippy::box_collection)]
    Huge(Box<Vec<u8>>),
}

/// A byte string of 24 bytes: inline up to [`INLINE_CAP`] bytes, on the heap beyond.
/// It dereferences to `[u8]`, hashes and compares as one, and can be borrowed as one
/// (so a `HashSet<Bytes>` is searched with a `&[u8]`).
pub struct Bytes(Repr);

impl Bytes {
    /// The empty string.
    pub const fn new() -> Bytes {
        Bytes(Repr::Inline {
            len: InlineLen::L0,
            data: [0; INLINE_CAP],
        })
    }

    /// A copy of `bytes`, exactly sized when it does not fit inline.
    pub fn from_slice(bytes: &[u8]) -> Bytes {
        let len = bytes.len();
        if len <= INLINE_CAP {
            let mut data = [0; INLINE_CAP];
            data[..len].copy_from_slice(bytes);
            Bytes(Repr::Inline {
                len: INLINE_LENS[len],
                data,
            })
        } else if len <= HEAP_MAX {
            Bytes(Repr::Heap {
                buf: bytes.into(),
                len: len as u32,
            })
        } else {
            Bytes(Repr::Huge(Box::new(bytes.to_vec())))
        }
    }

    /// The contents.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, data } => &data[..*len as usize],
            Repr::Heap { buf, len } => &buf[..*len as usize],
            Repr::Huge(v) => v,
        }
    }

    /// The contents, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match &mut self.0 {
            Repr::Inline { len, data } => &mut data[..*len as usize],
            Repr::Heap { buf, len } => &mut buf[..*len as usize],
            Repr::Huge(v) => v,
        }
    }

    /// Bytes it can hold without reallocating.
    pub fn capacity(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => INLINE_CAP,
            Repr::Heap { buf, .. } => buf.len(),
            Repr::Huge(v) => v.capacity(),
        }
    }

    /// True when the bytes are on the heap.
    pub fn is_heap(&self) -> bool {
        !matches!(self.0, Repr::Inline { .. })
    }

    /// Appends `tail`, growing geometrically.
    pub fn extend_from_slice(&mut self, tail: &[u8]) {
        let len = self.len();
        let new_len = len.saturating_add(tail.len());
        self.reserve_total(new_len);
        match &mut self.0 {
            Repr::Huge(v) => v.extend_from_slice(tail),
            _ => {
                self.whole_buffer()[len..new_len].copy_from_slice(tail);
                self.set_len(new_len);
            }
        }
    }

    /// Sets the length to `new_len`, filling new bytes with `fill` (growing
    /// geometrically) or dropping the tail (keeping the capacity).
    pub fn resize(&mut self, new_len: usize, fill: u8) {
        let len = self.len();
        self.reserve_total(new_len);
        match &mut self.0 {
            Repr::Huge(v) => v.resize(new_len, fill),
            _ => {
                if new_len > len {
                    self.whole_buffer()[len..new_len].fill(fill);
                }
                self.set_len(new_len);
            }
        }
    }

    /// Writes `patch` at `offset`, zero-padding first when the string is shorter
    /// (SETRANGE).
    pub fn set_range(&mut self, offset: usize, patch: &[u8]) {
        let end = offset.saturating_add(patch.len());
        if self.len() < end {
            self.resize(end, 0);
        }
        self.as_mut_slice()[offset..end].copy_from_slice(patch);
    }

    /// Makes room for a total length of `total` bytes, moving to a bigger buffer with
    /// spare room when needed. A `Huge` string grows by `Vec`'s own rules.
    fn reserve_total(&mut self, total: usize) {
        if total <= self.capacity() || matches!(self.0, Repr::Huge(_)) {
            return;
        }
        let len = self.len();
        let wanted = if total < MAX_PREALLOC {
            total * 2
        } else {
            total.saturating_add(MAX_PREALLOC)
        };
        if total > HEAP_MAX {
            let mut v = Vec::with_capacity(wanted);
            v.extend_from_slice(self.as_slice());
            self.0 = Repr::Huge(Box::new(v));
            return;
        }
        let cap = wanted.min(HEAP_MAX);
        let mut v = Vec::with_capacity(cap);
        v.extend_from_slice(self.as_slice());
        // The spare tail must exist as initialized bytes of the box; zeroing it is
        // amortized into the doubling.
        v.resize(cap, 0);
        self.0 = Repr::Heap {
            buf: v.into_boxed_slice(),
            len: len as u32,
        };
    }

    /// The whole inline or boxed buffer, spare capacity included (not for `Huge`).
    fn whole_buffer(&mut self) -> &mut [u8] {
        match &mut self.0 {
            Repr::Inline { data, .. } => data,
            Repr::Heap { buf, .. } => buf,
            Repr::Huge(v) => v,
        }
    }

    /// Sets the length of an inline or boxed string (`n` within capacity).
    fn set_len(&mut self, n: usize) {
        match &mut self.0 {
            Repr::Inline { len, .. } => *len = INLINE_LENS[n],
            Repr::Heap { len, .. } => *len = n as u32,
            Repr::Huge(v) => v.truncate(n),
        }
    }
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::new()
    }
}

impl Clone for Bytes {
    /// A copy without the spare capacity.
    fn clone(&self) -> Bytes {
        Bytes::from_slice(self)
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for Bytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Borrow<[u8]> for Bytes {
    fn borrow(&self) -> &[u8] {
        self
    }
}

impl Hash for Bytes {
    /// Hashes as the `[u8]` it holds, which `Borrow<[u8]>` requires.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl PartialEq<[u8]> for Bytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl PartialEq<&[u8]> for Bytes {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Bytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Bytes) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.as_slice().escape_ascii())
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Bytes {
        Bytes::from_slice(bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for Bytes {
    fn from(bytes: &[u8; N]) -> Bytes {
        Bytes::from_slice(bytes)
    }
}

impl From<&str> for Bytes {
    fn from(s: &str) -> Bytes {
        Bytes::from_slice(s.as_bytes())
    }
}

impl From<Vec<u8>> for Bytes {
    /// Reuses the vector's allocation when the string does not fit inline.
    fn from(v: Vec<u8>) -> Bytes {
        let len = v.len();
        if len <= INLINE_CAP {
            Bytes::from_slice(&v)
        } else if len <= HEAP_MAX {
            Bytes(Repr::Heap {
                buf: v.into_boxed_slice(),
                len: len as u32,
            })
        } else {
            Bytes(Repr::Huge(Box::new(v)))
        }
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(b: Bytes) -> Vec<u8> {
        match b.0 {
            Repr::Huge(v) => *v,
            Repr::Heap { buf, len } => {
                let mut v = buf.into_vec();
                v.truncate(len as usize);
                v
            }
            Repr::Inline { .. } => b.as_slice().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn is_24_bytes_and_leaves_a_niche() {
        assert_eq!(std::mem::size_of::<Bytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<Bytes>>(), 24);
    }

    #[test]
    fn inline_up_to_22_bytes() {
        for n in 0..=40 {
            let data: Vec<u8> = (0..n as u8).collect();
            let b = Bytes::from_slice(&data);
            assert_eq!(b.as_slice(), &data[..]);
            assert_eq!(b.is_heap(), n > INLINE_CAP, "{n}");
            assert_eq!(Bytes::from(data.clone()), b);
            assert_eq!(Vec::from(b.clone()), data);
        }
    }

    #[test]
    fn append_across_the_inline_boundary_and_grow_geometrically() {
        let mut b = Bytes::new();
        let mut model = Vec::new();
        let mut reallocs = 0;
        for i in 0..900u32 {
            let before = b.capacity();
            b.extend_from_slice(&[i as u8]);
            model.push(i as u8);
            if b.capacity() != before {
                reallocs += 1;
            }
            assert_eq!(b.as_slice(), &model[..]);
        }
        assert!(reallocs <= 7, "{reallocs} reallocations for 900 appends");
    }

    #[test]
    fn huge_strings_keep_working() {
        // HEAP_MAX is 1000 in tests.
        let mut b = Bytes::from_slice(&[7; 999]);
        assert!(matches!(b.0, Repr::Heap { .. }));
        b.extend_from_slice(&[8; 10]);
        assert!(matches!(b.0, Repr::Huge(_)));
        assert_eq!(b.len(), 1009);
        assert_eq!(b[998..1000], [7, 8]);
        b.set_range(2000, b"xy");
        assert_eq!(b.len(), 2002);
        assert_eq!(b[1500], 0);
        assert_eq!(&b[2000..], b"xy");
        assert!(matches!(Bytes::from(vec![1; 2000]).0, Repr::Huge(_)));
        assert!(matches!(b.clone().0, Repr::Huge(_)));
    }

    #[test]
    fn resize_zero_fills_even_over_stale_bytes() {
        let mut b = Bytes::from_slice(b"abcdefghijklmnopqrstuvwxyz0123456789");
        b.resize(3, 0);
        assert_eq!(&b[..], b"abc");
        b.resize(6, 0);
        assert_eq!(&b[..], b"abc\0\0\0");
        let mut s = Bytes::from_slice(b"hello");
        s.resize(2, 0);
        s.resize(4, b'-');
        assert_eq!(&s[..], b"he--");
    }

    #[test]
    fn set_range_pads_and_overwrites() {
        let mut b = Bytes::from_slice(b"Hello World");
        b.set_range(6, b"Redis");
        assert_eq!(&b[..], b"Hello Redis");
        let mut e = Bytes::new();
        e.set_range(3, b"x");
        assert_eq!(&e[..], b"\0\0\0x");
        let mut long = Bytes::new();
        long.set_range(30, b"end");
        assert_eq!(long.len(), 33);
        assert!(long[..30].iter().all(|&c| c == 0));
        long.set_range(0, b"start");
        assert_eq!(&long[..5], b"start");
    }

    #[test]
    fn clone_drops_spare_capacity() {
        let mut b = Bytes::from_slice(&[1; 30]);
        b.extend_from_slice(&[2; 10]);
        assert!(b.capacity() >= 80);
        let c = b.clone();
        assert_eq!(c, b);
        assert_eq!(c.capacity(), 40);
    }

    #[test]
    fn hashes_and_borrows_as_a_slice() {
        let mut set = HashSet::new();
        set.insert(Bytes::from("short"));
        set.insert(Bytes::from(&[b'x'; 50][..]));
        assert!(set.contains(&b"short"[..]));
        assert!(set.contains(&[b'x'; 50][..]));
        assert!(!set.contains(&b"other"[..]));
        assert!(Bytes::from("a") < Bytes::from("b"));
        assert_eq!(format!("{:?}", Bytes::from("a\n")), "b\"a\\n\"");
    }
}
