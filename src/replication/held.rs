//! The stream held for one replica (during a full sync, or between loop turns), in
//! chunks: growing never copies what is already held. A contiguous buffer doubling
//! through a long full sync under write load copies tens of MB at once, into pages
//! touched for the first time, which is a pause of the event loop (Redis keeps
//! replicas' output as a list of blocks for the same reason).

use std::collections::VecDeque;

/// Bytes per chunk once the first chunk is full: a chunk is handed to the replica's
/// connection whole (no copy), and 1 MB is what one flush writes per turn.
pub const CHUNK: usize = 1024 * 1024;

/// Stream bytes not yet handed to a replica's connection.
#[derive(Debug, Default, Clone)]
pub struct Held {
    chunks: VecDeque<Vec<u8>>,
    len: usize,
}

impl Held {
    /// Bytes held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Chunks held.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Forgets what is held; keeps the first chunk's allocation for reuse (at most
    /// [`CHUNK`] bytes).
    pub fn clear(&mut self) {
        self.chunks.truncate(1);
        if let Some(first) = self.chunks.front_mut() {
            first.clear();
        }
        self.len = 0;
    }

    /// Appends `data`: into the last chunk while it is below [`CHUNK`] (the first one
    /// grows as a vector does, so a replica fed a little per turn holds little), then
    /// into new chunks of [`CHUNK`] bytes.
    pub fn extend_from_slice(&mut self, mut data: &[u8]) {
        self.len += data.len();
        while !data.is_empty() {
            match self.chunks.back_mut() {
                Some(last) if last.len() < CHUNK => {
                    let take = data.len().min(CHUNK - last.len());
                    last.extend_from_slice(&data[..take]);
                    data = &data[take..];
                }
                Some(_) => self.chunks.push_back(Vec::with_capacity(CHUNK)),
                None => self.chunks.push_back(Vec::new()),
            }
        }
    }

    /// Takes the oldest chunk.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let chunk = self.chunks.pop_front()?;
        self.len -= chunk.len();
        Some(chunk)
    }

    /// The bytes held, in order (for copying out a small amount).
    pub fn slices(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks.iter().map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_chunks_without_moving_them() {
        let mut held = Held::default();
        let data: Vec<u8> = (0..(3 * CHUNK + 123)).map(|i| (i % 251) as u8).collect();
        for piece in data.chunks(70_001) {
            held.extend_from_slice(piece);
        }
        assert_eq!(held.len(), data.len());
        assert_eq!(held.chunks(), 4);
        let second = held.chunks[1].as_ptr();
        held.extend_from_slice(b"tail");
        assert_eq!(held.chunks[1].as_ptr(), second, "a full chunk never moves");
        let mut out = Vec::new();
        while let Some(chunk) = held.pop_front() {
            assert!(chunk.len() <= CHUNK);
            out.extend_from_slice(&chunk);
        }
        assert_eq!(&out[..data.len()], &data[..]);
        assert_eq!(&out[data.len()..], b"tail");
        assert!(held.is_empty());
    }

    #[test]
    fn clear_keeps_one_small_chunk() {
        let mut held = Held::default();
        held.extend_from_slice(&[7; 100]);
        held.extend_from_slice(&vec![1; 2 * CHUNK]);
        held.clear();
        assert!(held.is_empty());
        assert_eq!(held.chunks(), 1);
        held.extend_from_slice(b"abc");
        assert_eq!(held.slices().collect::<Vec<_>>(), vec![&b"abc"[..]]);
    }
}
