//! The replication backlog (Redis's `repl_backlog`): the last `size` bytes of the
//! replication stream, so that a replica that reconnects gets only what it missed.

/// A bounded ring of the stream's most recent bytes.
#[derive(Debug)]
pub struct Backlog {
    buf: Vec<u8>,
    /// Where the next byte goes in `buf`.
    head: usize,
    /// Bytes held (at most `buf.len()`).
    len: usize,
    /// Offset of the last byte written (the master's `master_repl_offset`).
    end_offset: u64,
}

impl Backlog {
    /// An empty backlog of `size` bytes whose next byte has offset `offset + 1`.
    pub fn new(size: usize, offset: u64) -> Backlog {
        Backlog {
            buf: vec![0; size.max(1)],
            head: 0,
            len: 0,
            end_offset: offset,
        }
    }

    /// Capacity in bytes.
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// Bytes held (INFO `repl_backlog_histlen`).
    pub fn histlen(&self) -> usize {
        self.len
    }

    /// Offset of the first byte held (INFO `repl_backlog_first_byte_offset`).
    pub fn first_offset(&self) -> u64 {
        self.end_offset + 1 - self.len as u64
    }

    /// Appends `data`, dropping the oldest bytes beyond the capacity.
    pub fn feed(&mut self, data: &[u8]) {
        self.end_offset += data.len() as u64;
        let size = self.buf.len();
        let data = if data.len() > size {
            &data[data.len() - size..]
        } else {
            data
        };
        let first = data.len().min(size - self.head);
        self.buf[self.head..self.head + first].copy_from_slice(&data[..first]);
        self.buf[..data.len() - first].copy_from_slice(&data[first..]);
        self.head = (self.head + data.len()) % size;
        self.len = (self.len + data.len()).min(size);
    }

    /// The bytes from offset `from` (inclusive) to the end, when still held.
    pub fn since(&self, from: u64) -> Option<Vec<u8>> {
        if from < self.first_offset() || from > self.end_offset + 1 {
            return None;
        }
        let skip = (from - self.first_offset()) as usize;
        let want = self.len - skip;
        let size = self.buf.len();
        let start = (self.head + size - self.len + skip) % size;
        let mut out = Vec::with_capacity(want);
        let first = want.min(size - start);
        out.extend_from_slice(&self.buf[start..start + first]);
        out.extend_from_slice(&self.buf[..want - first]);
        Some(out)
    }

    /// Changes the capacity, keeping the most recent bytes that fit.
    pub fn resize(&mut self, size: usize) {
        if size == self.buf.len() {
            return;
        }
        let kept = self.since(self.first_offset()).unwrap_or_default();
        let end = self.end_offset;
        *self = Backlog::new(size, end - kept.len() as u64);
        self.feed(&kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_their_offsets() {
        let mut b = Backlog::new(8, 0);
        b.feed(b"abc");
        assert_eq!(b.first_offset(), 1);
        assert_eq!(b.since(2).as_deref(), Some(&b"bc"[..]));
        b.feed(b"defghij");
        assert_eq!(b.histlen(), 8);
        assert_eq!(b.first_offset(), 3);
        assert_eq!(b.since(3).as_deref(), Some(&b"cdefghij"[..]));
        assert_eq!(b.since(2), None);
        assert_eq!(b.since(11).as_deref(), Some(&b""[..]));
        assert_eq!(b.since(12), None);
        b.feed(b"0123456789xy");
        assert_eq!(b.since(15).as_deref(), Some(&b"456789xy"[..]));
        b.resize(4);
        assert_eq!(b.since(19).as_deref(), Some(&b"89xy"[..]));
        assert_eq!(b.first_offset(), 19);
    }
}
