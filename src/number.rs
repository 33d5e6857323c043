//! Integer parsing shared by the protocol (lengths), the store (integer-encoded
//! strings) and the commands (arguments): a leaf that depends on nothing.

/// Parses a strict decimal integer (optional `-`, no `+`, no spaces, fits in i64).
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
    }
    if neg { Some(v) } else { v.checked_neg() }
}
