//! LZF, the compression of RDB strings (Redis's lzf_c.c / lzf_d.c format).
//!
//! A stream of runs: a control byte below 32 starts a literal run of `ctrl + 1`
//! bytes; any other control byte is a back reference of `(ctrl >> 5) + 2` bytes
//! (7 means a length byte follows) at distance `((ctrl & 0x1f) << 8 | next) + 1`.

/// Longest back reference (Redis's `MAX_REF`).
const MAX_REF: usize = (1 << 8) + (1 << 3);
/// Farthest back reference (Redis's `MAX_OFF`).
const MAX_OFF: usize = 1 << 13;
/// Longest literal run (Redis's `MAX_LIT`).
const MAX_LIT: usize = 1 << 5;
/// Most bits of the compressor's hash table (16K entries, 64 KB); a short input gets
/// a table about its own size, so compressing many small strings stays cheap.
const HASH_LOG: u32 = 14;
/// Fewest bits of the hash table.
const HASH_LOG_MIN: u32 = 8;

/// Decompresses `input` into exactly `out_len` bytes; `None` when the input is not
/// valid LZF or does not produce exactly that many bytes. Never reads or writes out
/// of bounds, and allocates at most `out_len` bytes (callers bound it).
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len);
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let len = ctrl + 1;
            let lit = input.get(i..i + len)?;
            if out.len() + len > out_len {
                return None;
            }
            out.extend_from_slice(lit);
            i += len;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            if back > out.len() || out.len() + len > out_len {
                return None;
            }
            let start = out.len() - back;
            // Byte by byte: the reference may overlap what it produces.
            for k in 0..len {
                let b = out[start + k];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

/// Compresses `input`; `None` unless the result is at least 4 bytes shorter (Redis
/// stores a string compressed only then).
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    // Positions are kept as u32: a larger string is stored uncompressed.
    if input.len() < 4 || input.len() >= u32::MAX as usize {
        return None;
    }
    let limit = input.len() - 4;
    let mut out = Vec::with_capacity(limit);
    let bits = input
        .len()
        .next_power_of_two()
        .trailing_zeros()
        .clamp(HASH_LOG_MIN, HASH_LOG);
    let mut table = vec![0u32; 1 << bits];
    let mut lit_start = 0;
    let mut i = 0;
    let hash = |p: usize| {
        let v = u32::from(input[p]) << 16 | u32::from(input[p + 1]) << 8 | u32::from(input[p + 2]);
        (v.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize
    };
    while i + 2 < input.len() {
        let h = hash(i);
        let candidate = table[h] as usize;
        table[h] = i as u32 + 1;
        if candidate > 0 {
            let r = candidate - 1;
            let off = i - r;
            if off <= MAX_OFF && input[r..r + 3] == input[i..i + 3] {
                let max = MAX_REF.min(input.len() - i);
                let mut len = 3;
                while len < max && input[r + len] == input[i + len] {
                    len += 1;
                }
                flush_literals(&mut out, &input[lit_start..i]);
                let (l, o) = (len - 2, off - 1);
                if l < 7 {
                    out.push(((l << 5) | (o >> 8)) as u8);
                } else {
                    out.push(((7 << 5) | (o >> 8)) as u8);
                    out.push((l - 7) as u8);
                }
                out.push((o & 0xff) as u8);
                if out.len() >= limit {
                    return None;
                }
                i += len;
                lit_start = i;
                continue;
            }
        }
        i += 1;
    }
    flush_literals(&mut out, &input[lit_start..]);
    (out.len() <= limit).then_some(out)
}

/// Writes `lit` as literal runs of at most [`MAX_LIT`] bytes.
fn flush_literals(out: &mut Vec<u8>, lit: &[u8]) {
    for chunk in lit.chunks(MAX_LIT) {
        out.push((chunk.len() - 1) as u8);
        out.extend_from_slice(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut samples: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc hello hello hello".to_vec(),
            vec![b'x'; 100_000],
        ];
        let mut noise = Vec::new();
        let mut x = 12345u32;
        for i in 0..50_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            // Half noise, half repeats.
            noise.push(if i % 100 < 50 { (x >> 16) as u8 } else { b'q' });
        }
        samples.push(noise);
        for s in samples {
            let c = compress(&s).expect("compressible");
            assert!(c.len() + 4 <= s.len());
            assert_eq!(decompress(&c, s.len()).as_deref(), Some(&s[..]));
        }
    }

    #[test]
    fn incompressible_is_refused() {
        assert_eq!(compress(b"abcdefgh"), None);
        assert_eq!(compress(b"ab"), None);
    }

    #[test]
    fn known_stream() {
        // "aaaaaaaaaa": literal 'a', then a back reference of 9 at distance 1.
        assert_eq!(
            decompress(&[0x00, b'a', 0xe0, 0x00, 0x00], 10).as_deref(),
            Some(&b"aaaaaaaaaa"[..])
        );
    }

    #[test]
    fn bad_streams_are_refused() {
        // A reference before the start, a literal past the end, wrong lengths.
        assert_eq!(decompress(&[0x20, 0x00], 3), None);
        assert_eq!(decompress(&[0x05, b'a'], 6), None);
        assert_eq!(decompress(&[0x00, b'a'], 2), None);
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), None);
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 10), None);
        let c = compress(&[7u8; 1000]).expect("compressible");
        for cut in 0..c.len() {
            assert_eq!(decompress(&c[..cut], 1000), None);
        }
        for flip in 0..c.len() {
            let mut bad = c.clone();
            bad[flip] ^= 0x5a;
            let _ = decompress(&bad, 1000);
        }
    }
}
