//! The packed blobs an RDB file stores as strings: ziplist, listpack, intset and
//! zipmap. Each parser walks a blob with every offset checked against its end and
//! hands the elements to a callback; a malformed blob is an error message.

/// One element of a ziplist or listpack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OwnedItem<'a> {
    /// An integer encoding.
    Int(i64),
    /// A string.
    Str(&'a [u8]),
}

impl OwnedItem<'_> {
    /// The element's bytes (an integer as its decimal text).
    pub(crate) fn to_vec(self) -> Vec<u8> {
        match self {
            OwnedItem::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            OwnedItem::Str(s) => s.to_vec(),
        }
    }
}

/// What a parser reports.
pub(crate) type Result<T> = std::result::Result<T, String>;

fn slice(blob: &[u8], at: usize, n: usize) -> Result<&[u8]> {
    at.checked_add(n)
        .and_then(|end| blob.get(at..end))
        .ok_or_else(|| "entry runs past the end of its blob".to_string())
}

fn le<const N: usize>(blob: &[u8], at: usize) -> Result<[u8; N]> {
    let mut b = [0u8; N];
    b.copy_from_slice(slice(blob, at, N)?);
    Ok(b)
}

/// Sign-extends the low `bits` bits of `v`.
fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

/// Walks a ziplist (Redis's ziplist.c), checking the header, every entry's
/// previous-length field, the count and the end marker.
pub(crate) fn ziplist(blob: &[u8], mut f: impl FnMut(OwnedItem<'_>) -> Result<()>) -> Result<()> {
    const HEADER: usize = 10;
    if blob.len() < HEADER + 1 {
        return Err("ziplist shorter than its header".into());
    }
    let total = u32::from_le_bytes(le(blob, 0)?) as usize;
    let count = u16::from_le_bytes(le(blob, 8)?);
    if total != blob.len() || blob[total - 1] != 0xff {
        return Err("ziplist size or end marker is wrong".into());
    }
    let end = total - 1;
    let (mut at, mut prev, mut seen) = (HEADER, 0usize, 0usize);
    while at < end {
        let start = at;
        let prevlen = if blob[at] < 254 {
            at += 1;
            usize::from(blob[start])
        } else if blob[at] == 254 {
            at += 5;
            u32::from_le_bytes(le(blob, start + 1)?) as usize
        } else {
            return Err("end marker inside a ziplist".into());
        };
        if prevlen != prev {
            return Err("ziplist entry with a wrong previous length".into());
        }
        let enc = *blob.get(at).ok_or("ziplist entry cut short")?;
        let elem = match enc >> 6 {
            0 => {
                let n = usize::from(enc & 0x3f);
                at += 1 + n;
                OwnedItem::Str(slice(blob, at - n, n)?)
            }
            1 => {
                let n = usize::from(enc & 0x3f) << 8
                    | usize::from(*blob.get(at + 1).ok_or("ziplist entry cut short")?);
                at += 2 + n;
                OwnedItem::Str(slice(blob, at - n, n)?)
            }
            2 => {
                let n = u32::from_be_bytes(le(blob, at + 1)?) as usize;
                at = at.checked_add(5 + n).ok_or("ziplist entry too long")?;
                OwnedItem::Str(slice(blob, at - n, n)?)
            }
            _ => {
                let (v, n) = match enc {
                    0xc0 => (i64::from(i16::from_le_bytes(le(blob, at + 1)?)), 2),
                    0xd0 => (i64::from(i32::from_le_bytes(le(blob, at + 1)?)), 4),
                    0xe0 => (i64::from_le_bytes(le(blob, at + 1)?), 8),
                    0xf0 => {
                        let b: [u8; 3] = le(blob, at + 1)?;
                        let v = u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16;
                        (sign_extend(v, 24), 3)
                    }
                    0xfe => (
                        i64::from(*blob.get(at + 1).ok_or("ziplist entry cut short")? as i8),
                        1,
                    ),
                    0xf1..=0xfd => (i64::from(enc & 0x0f) - 1, 0),
                    _ => return Err(format!("unknown ziplist encoding {enc:#04x}")),
                };
                at += 1 + n;
                OwnedItem::Int(v)
            }
        };
        if at > end {
            return Err("ziplist entry runs past the end marker".into());
        }
        prev = at - start;
        seen += 1;
        f(elem)?;
    }
    if count != u16::MAX && usize::from(count) != seen {
        return Err("ziplist count does not match its entries".into());
    }
    Ok(())
}

/// Bytes of a listpack entry's back-length field for an entry of `len` bytes.
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    }
}

/// Walks a listpack (Redis's listpack.c), checking the header, every entry's
/// back-length, the count and the end marker.
pub(crate) fn listpack(blob: &[u8], mut f: impl FnMut(OwnedItem<'_>) -> Result<()>) -> Result<()> {
    const HEADER: usize = 6;
    if blob.len() < HEADER + 1 {
        return Err("listpack shorter than its header".into());
    }
    let total = u32::from_le_bytes(le(blob, 0)?) as usize;
    let count = u16::from_le_bytes(le(blob, 4)?);
    if total != blob.len() || blob[total - 1] != 0xff {
        return Err("listpack size or end marker is wrong".into());
    }
    let end = total - 1;
    let (mut at, mut seen) = (HEADER, 0usize);
    while at < end {
        let b = blob[at];
        let (elem, len) = if b & 0x80 == 0 {
            (OwnedItem::Int(i64::from(b & 0x7f)), 1)
        } else if b & 0xc0 == 0x80 {
            let n = usize::from(b & 0x3f);
            (OwnedItem::Str(slice(blob, at + 1, n)?), 1 + n)
        } else if b & 0xe0 == 0xc0 {
            let lo = *blob.get(at + 1).ok_or("listpack entry cut short")?;
            let v = u64::from(b & 0x1f) << 8 | u64::from(lo);
            (OwnedItem::Int(sign_extend(v, 13)), 2)
        } else if b & 0xf0 == 0xe0 {
            let lo = *blob.get(at + 1).ok_or("listpack entry cut short")?;
            let n = usize::from(b & 0x0f) << 8 | usize::from(lo);
            (OwnedItem::Str(slice(blob, at + 2, n)?), 2 + n)
        } else {
            match b {
                0xf0 => {
                    let n = u32::from_le_bytes(le(blob, at + 1)?) as usize;
                    (OwnedItem::Str(slice(blob, at + 5, n)?), 5 + n)
                }
                0xf1 => (
                    OwnedItem::Int(i64::from(i16::from_le_bytes(le(blob, at + 1)?))),
                    3,
                ),
                0xf2 => {
                    let x: [u8; 3] = le(blob, at + 1)?;
                    let v = u64::from(x[0]) | u64::from(x[1]) << 8 | u64::from(x[2]) << 16;
                    (OwnedItem::Int(sign_extend(v, 24)), 4)
                }
                0xf3 => (
                    OwnedItem::Int(i64::from(i32::from_le_bytes(le(blob, at + 1)?))),
                    5,
                ),
                0xf4 => (OwnedItem::Int(i64::from_le_bytes(le(blob, at + 1)?)), 9),
                _ => return Err(format!("unknown listpack encoding {b:#04x}")),
            }
        };
        let back = backlen_size(len);
        let next = at + len + back;
        if next > end {
            return Err("listpack entry runs past the end marker".into());
        }
        // The back-length, read right to left: 7 bits a byte, high bit = more.
        let mut value = 0usize;
        for (i, &byte) in blob[at + len..next].iter().rev().enumerate() {
            value |= usize::from(byte & 0x7f) << (7 * i);
        }
        if value != len {
            return Err("listpack entry with a wrong back-length".into());
        }
        at = next;
        seen += 1;
        f(elem)?;
    }
    if count != u16::MAX && usize::from(count) != seen {
        return Err("listpack count does not match its entries".into());
    }
    Ok(())
}

/// Walks an intset (Redis's intset.c): sorted, distinct integers of 2, 4 or 8 bytes.
pub(crate) fn intset(blob: &[u8], mut f: impl FnMut(i64) -> Result<()>) -> Result<()> {
    if blob.len() < 8 {
        return Err("intset shorter than its header".into());
    }
    let width = u32::from_le_bytes(le(blob, 0)?) as usize;
    let count = u32::from_le_bytes(le(blob, 4)?) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(format!("intset of {width}-byte integers"));
    }
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err("intset size does not match its count".into());
    }
    let mut prev: Option<i64> = None;
    for chunk in blob[8..].chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([chunk[0], chunk[1]])),
            4 => i64::from(i32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])),
            _ => {
                let mut b = [0u8; 8];
                b.copy_from_slice(chunk);
                i64::from_le_bytes(b)
            }
        };
        if prev.is_some_and(|p| p >= v) {
            return Err("intset not sorted or with a repeated member".into());
        }
        prev = Some(v);
        f(v)?;
    }
    Ok(())
}

/// Walks a zipmap (Redis 2.x's zipmap.c): field/value pairs.
pub(crate) fn zipmap(blob: &[u8], mut f: impl FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
    fn len_at(blob: &[u8], at: &mut usize) -> Result<Option<usize>> {
        let b = *blob.get(*at).ok_or("zipmap cut short")?;
        *at += 1;
        Ok(match b {
            0..=253 => Some(usize::from(b)),
            254 => {
                let n = u32::from_le_bytes(le(blob, *at)?) as usize;
                *at += 4;
                Some(n)
            }
            255 => None,
        })
    }
    let mut at = 1;
    while let Some(klen) = len_at(blob, &mut at)? {
        let field = slice(blob, at, klen)?;
        at += klen;
        let vlen = len_at(blob, &mut at)?.ok_or("zipmap field without a value")?;
        let free = usize::from(*blob.get(at).ok_or("zipmap cut short")?);
        at += 1;
        let value = slice(blob, at, vlen)?;
        at += vlen + free;
        f(field, value)?;
    }
    if at != blob.len() {
        return Err("zipmap end marker is not at its end".into());
    }
    Ok(())
}
