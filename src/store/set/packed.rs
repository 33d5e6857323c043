//! Redis's listpack for small sets: every member in one exactly sized byte buffer,
//! after a 4-byte member count, each as a LEB128 length then its bytes, in insertion
//! order. A member of up to 127 bytes costs one byte more than its text. Lookups scan
//! the buffer (the set holds a bounded number of short members).

/// Bytes of the member count at the head of the buffer.
const HEAD: usize = 4;

/// Members packed back to back; see the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Packed {
    /// The count (little-endian `u32`) then the members; empty for an empty set.
    buf: Box<[u8]>,
}

/// The length prefix at the start of `bytes`: (member length, prefix length).
fn read_len(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut len = 0usize;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        len |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((len, i + 1));
        }
    }
    None
}

/// Appends the length prefix of a `len`-byte member.
fn write_len(out: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        out.push((len & 0x7f) as u8 | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

/// Bytes of the length prefix of a `len`-byte member.
fn len_bytes(len: usize) -> usize {
    (usize::BITS - (len | 1).leading_zeros()).div_ceil(7) as usize
}

impl Packed {
    /// Number of members.
    pub fn len(&self) -> usize {
        match self.buf.get(..HEAD) {
            Some(head) => u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize,
            None => 0,
        }
    }

    /// Bytes of the buffer.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Bytes the buffer would have after adding a `len`-byte member.
    pub fn bytes_with(&self, len: usize) -> usize {
        self.buf.len().max(HEAD) + len_bytes(len) + len
    }

    fn set_len(buf: &mut [u8], n: usize) {
        if let Some(head) = buf.get_mut(..HEAD) {
            head.copy_from_slice(&(n as u32).to_le_bytes());
        }
    }

    /// The members in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            rest: self.buf.get(HEAD..).unwrap_or_default(),
        }
    }

    /// The byte range (prefix included) and index of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, usize, usize)> {
        let mut at = HEAD;
        let mut i = 0;
        while let Some((len, prefix)) = self.buf.get(at..).and_then(read_len) {
            let start = at + prefix;
            let end = start + len;
            if self.buf.get(start..end) == Some(member) {
                return Some((at, end, i));
            }
            at = end;
            i += 1;
        }
        None
    }

    /// The byte range of the member at index `index`: (entry start, member start, end).
    fn range_of(&self, index: usize) -> Option<(usize, usize, usize)> {
        let mut at = HEAD;
        let mut i = 0;
        loop {
            let (len, prefix) = self.buf.get(at..).and_then(read_len)?;
            let end = at + prefix + len;
            if i == index {
                return (end <= self.buf.len()).then_some((at, at + prefix, end));
            }
            at = end;
            i += 1;
        }
    }

    /// True when `member` is present.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.find(member).is_some()
    }

    /// Appends `member`, which the caller knows is absent; the buffer grows by
    /// exactly its size.
    pub fn push(&mut self, member: &[u8]) {
        let n = self.len() + 1;
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        if buf.is_empty() {
            buf.resize(HEAD, 0);
        }
        buf.reserve_exact(len_bytes(member.len()) + member.len());
        write_len(&mut buf, member.len());
        buf.extend_from_slice(member);
        Packed::set_len(&mut buf, n);
        self.buf = buf.into_boxed_slice();
    }

    /// Removes `member`; false when absent.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.find(member) {
            Some((start, end, _)) => {
                self.cut(start, end);
                true
            }
            None => false,
        }
    }

    /// Removes the byte range of one member and shrinks the buffer to its size.
    fn cut(&mut self, start: usize, end: usize) {
        let n = self.len().saturating_sub(1);
        if n == 0 {
            self.buf = Box::default();
            return;
        }
        let mut buf = std::mem::take(&mut self.buf).into_vec();
        buf.drain(start..end);
        Packed::set_len(&mut buf, n);
        self.buf = buf.into_boxed_slice();
    }

    /// The member at index `index` (insertion order).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (_, start, end) = self.range_of(index)?;
        self.buf.get(start..end)
    }

    /// Removes and returns the member at index `index`.
    pub fn remove_at(&mut self, index: usize) -> Option<Vec<u8>> {
        let (entry, start, end) = self.range_of(index)?;
        let member = self.buf.get(start..end)?.to_vec();
        self.cut(entry, end);
        Some(member)
    }
}

/// The members of a [`Packed`] set in insertion order.
#[derive(Debug, Clone)]
pub(super) struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, prefix) = read_len(self.rest)?;
        let member = self.rest.get(prefix..prefix + len)?;
        self.rest = &self.rest[prefix + len..];
        Some(member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_round_trip() {
        for len in [0, 1, 127, 128, 300, 16_383, 16_384, 1 << 30] {
            let mut out = Vec::new();
            write_len(&mut out, len);
            assert_eq!(out.len(), len_bytes(len), "{len}");
            assert_eq!(read_len(&out), Some((len, out.len())));
        }
    }

    #[test]
    fn push_find_remove_keep_the_buffer_exact() {
        let mut p = Packed::default();
        let long = vec![b'x'; 200];
        for m in [&b"a"[..], b"", b"bcd", &long] {
            assert!(!p.contains(m));
            p.push(m);
        }
        assert_eq!(p.len(), 4);
        assert_eq!(p.bytes(), HEAD + 2 + 1 + 4 + 202);
        assert_eq!(
            p.iter().collect::<Vec<_>>(),
            [&b"a"[..], b"", b"bcd", &long]
        );
        assert_eq!(p.get(2), Some(&b"bcd"[..]));
        assert_eq!(p.get(4), None);
        assert!(p.remove(b""));
        assert!(!p.remove(b""));
        assert_eq!(p.remove_at(2), Some(long.clone()));
        assert_eq!(p.iter().collect::<Vec<_>>(), [&b"a"[..], b"bcd"]);
        assert_eq!(p.bytes(), HEAD + 2 + 4);
        assert_eq!(p.bytes_with(3), HEAD + 2 + 4 + 4);
        assert!(p.remove(b"a") && p.remove(b"bcd"));
        assert_eq!((p.len(), p.bytes()), (0, 0));
    }
}
