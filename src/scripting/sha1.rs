//! SHA-1 (FIPS 180-4), for naming scripts as Redis does (EVALSHA, SCRIPT LOAD,
//! `redis.sha1hex`). Not used for security: only as Redis's script identifier.

/// The lowercase hex SHA-1 of `data` (40 characters).
pub fn sha1_hex(data: &[u8]) -> String {
    let digest = sha1(data);
    let mut hex = String::with_capacity(40);
    for byte in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
    hex
}

/// The SHA-1 digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    crate::acl::sha256::padded_blocks(data, |block| compress(&mut h, block));
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn compress(h: &mut [u32; 5], block: &[u8]) {
    let mut w = [0u32; 80];
    for (i, word) in block.chunks_exact(4).enumerate() {
        w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    // One loop per round function, with no branch per step (EVAL hashes its
    // script at every call).
    let mut v = *h;
    rounds(&mut v, &w[0..20], 0x5A827999, |b, c, d| (b & c) | (!b & d));
    rounds(&mut v, &w[20..40], 0x6ED9EBA1, |b, c, d| b ^ c ^ d);
    rounds(&mut v, &w[40..60], 0x8F1BBCDC, |b, c, d| {
        (b & c) | (b & d) | (c & d)
    });
    rounds(&mut v, &w[60..80], 0xCA62C1D6, |b, c, d| b ^ c ^ d);
    for (x, y) in h.iter_mut().zip(v) {
        *x = x.wrapping_add(y);
    }
}

/// Twenty steps of one round: round function `f` and constant `k`.
#[inline(always)]
fn rounds(v: &mut [u32; 5], w: &[u32], k: u32, f: impl Fn(u32, u32, u32) -> u32) {
    let [mut a, mut b, mut c, mut d, mut e] = *v;
    for &wi in w {
        let t = a
            .rotate_left(5)
            .wrapping_add(f(b, c, d))
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    *v = [a, b, c, d, e];
}

#[cfg(test)]
mod tests {
    use super::sha1_hex;

    #[test]
    fn standard_vectors() {
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            sha1_hex(&vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        // SCRIPT LOAD "return 'hello moon'" (checked against Python's hashlib).
        assert_eq!(
            sha1_hex(b"return 'hello moon'"),
            "8e3d8cfcbb6571ecf555cc0a7d6fb950b4437dc6"
        );
    }
}
