//! The bucket arrays of [`super::Table`]'s index, allocated and freed in pieces.

use super::{PIECE, PIECE_BITS};

/// A bucket array: `len` (a power of two, or 0) heads, each a position + 1 or 0,
/// in pieces of [`PIECE`] allocated on first write (a smaller array is one piece).
#[derive(Debug, Default)]
pub(super) struct Buckets {
    /// `None` is a piece whose buckets are all empty.
    pieces: Vec<Option<Box<[u32]>>>,
    len: usize,
}

impl Buckets {
    /// `len` empty buckets, allocating only the list of pieces.
    pub(super) fn new(len: usize) -> Buckets {
        Buckets {
            pieces: (0..len.div_ceil(PIECE)).map(|_| None).collect(),
            len,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bucket `hash` falls in (the array is not empty).
    pub(super) fn bucket_of(&self, hash: u32) -> usize {
        hash as usize & (self.len - 1)
    }

    /// The head of bucket `b`.
    pub(super) fn get(&self, b: usize) -> u32 {
        match &self.pieces[b >> PIECE_BITS] {
            Some(piece) => piece[b & (PIECE - 1)],
            None => 0,
        }
    }

    /// The head of bucket `b`, for writing; allocates its piece if needed.
    pub(super) fn get_mut(&mut self, b: usize) -> &mut u32 {
        let piece_len = self.len.min(PIECE);
        let piece = self.pieces[b >> PIECE_BITS]
            .get_or_insert_with(|| vec![0; piece_len].into_boxed_slice());
        &mut piece[b & (PIECE - 1)]
    }

    /// Empties bucket `b`, returning its head.
    pub(super) fn take(&mut self, b: usize) -> u32 {
        match &mut self.pieces[b >> PIECE_BITS] {
            Some(piece) => std::mem::take(&mut piece[b & (PIECE - 1)]),
            None => 0,
        }
    }

    /// True when the piece holding bucket `b` was never written (all empty).
    pub(super) fn piece_is_empty(&self, b: usize) -> bool {
        self.pieces[b >> PIECE_BITS].is_none()
    }

    /// Number of pieces allocated.
    #[cfg(test)]
    pub(super) fn allocated_pieces(&self) -> usize {
        self.pieces.iter().filter(|p| p.is_some()).count()
    }

    /// Frees the piece holding bucket `b`.
    pub(super) fn free_piece(&mut self, b: usize) {
        self.pieces[b >> PIECE_BITS] = None;
    }
}
