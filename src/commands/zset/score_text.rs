//! Scores as text, exactly as Redis 7.0 reads and writes them: C's `strtod` rules for
//! input (hex floats, `inf`, `infinity`, leading spaces where Redis allows them) and
//! `%.17g` for replies (`addReplyDouble`), so clients see the same digits.

use crate::error::CmdError;
use crate::protocol::Reply;

/// What C's `strtod` makes of `text`: the value, how many bytes it consumed (0 when
/// none form a number), and whether it overflowed or underflowed (`ERANGE`).
pub fn strtod(text: &[u8]) -> (f64, usize, bool) {
    let mut i = 0;
    while i < text.len() && is_space(text[i]) {
        i += 1;
    }
    let negative = match text.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &text[i..];
    let word = |w: &[u8]| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
    if word(b"infinity") {
        return (sign * f64::INFINITY, i + 8, false);
    }
    if word(b"inf") {
        return (sign * f64::INFINITY, i + 3, false);
    }
    if word(b"nan") {
        let mut end = i + 3;
        if text.get(end) == Some(&b'(') {
            let close = text[end..].iter().position(|&b| b == b')');
            let inner_ok = |len: usize| {
                text[end + 1..end + len]
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            };
            if let Some(len) = close.filter(|&len| inner_ok(len)) {
                end += len + 1;
            }
        }
        return (f64::NAN, end, false);
    }
    if rest.len() > 2
        && rest[0] == b'0'
        && (rest[1] | 0x20) == b'x'
        && let Some((v, used, range)) = hex(&rest[2..])
    {
        return (sign * v, i + 2 + used, range);
    }
    let (used, nonzero) = decimal_len(rest);
    if used == 0 {
        return (0.0, 0, false);
    }
    let digits = std::str::from_utf8(&rest[..used]).unwrap_or("0");
    let v: f64 = digits.parse().unwrap_or(0.0);
    let range = v.is_infinite() || (v == 0.0 && nonzero);
    (sign * v, i + used, range)
}

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Length of the decimal float at the start of `s` (digits, optional fraction,
/// optional exponent with digits), and whether any digit is non-zero.
fn decimal_len(s: &[u8]) -> (usize, bool) {
    let mut i = 0;
    let mut digits = 0;
    let mut nonzero = false;
    while i < s.len() && s[i].is_ascii_digit() {
        nonzero |= s[i] != b'0';
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            nonzero |= s[i] != b'0';
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return (0, false);
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if s.get(j).is_some_and(u8::is_ascii_digit) {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    (i, nonzero)
}

/// A hex float after `0x`: digits, optional fraction, optional binary exponent.
fn hex(s: &[u8]) -> Option<(f64, usize, bool)> {
    let mut i = 0;
    let mut mantissa = 0.0f64;
    let mut exp: i64 = 0;
    let mut digits = 0;
    while let Some(d) = s.get(i).and_then(|&b| (b as char).to_digit(16)) {
        mantissa = mantissa * 16.0 + f64::from(d);
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while let Some(d) = s.get(i).and_then(|&b| (b as char).to_digit(16)) {
            mantissa = mantissa * 16.0 + f64::from(d);
            exp -= 4;
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let neg = match s.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        if s.get(j).is_some_and(u8::is_ascii_digit) {
            let mut e: i64 = 0;
            while let Some(b) = s.get(j).filter(|b| b.is_ascii_digit()) {
                e = (e * 10 + i64::from(b - b'0')).min(100_000);
                j += 1;
            }
            exp += if neg { -e } else { e };
            i = j;
        }
    }
    let v = mantissa * 2f64.powi(exp.clamp(-2000, 2000) as i32);
    let range = v.is_infinite() || (v == 0.0 && mantissa != 0.0);
    Some((v, i, range))
}

/// A score argument, as Redis's `getDoubleFromObject`: the whole text is a float, no
/// leading space, no overflow, not NaN.
/// # Errors
/// `ERR value is not a valid float`.
pub fn parse_score(arg: &[u8]) -> Result<f64, CmdError> {
    parse_double(arg).ok_or(CmdError::NotFloat)
}

/// [`parse_score`] without the error value.
pub fn parse_double(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || is_space(arg[0]) {
        return None;
    }
    let (v, used, range) = strtod(arg);
    let bad_range = range && (v.is_infinite() || v == 0.0);
    (used == arg.len() && !bad_range && !v.is_nan()).then_some(v)
}

/// One end of a score range (`1.5`, `(1.5`, `-inf`), as Redis's `zslParseRange`:
/// the value and whether it is exclusive. `strtod` rules: leading spaces and an
/// empty text (0) pass, NaN does not.
pub fn parse_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, exclusive) = match arg.first() {
        Some(b'(') => (&arg[1..], true),
        _ => (arg, false),
    };
    let (v, used, _) = strtod(text);
    (used == text.len() && !v.is_nan()).then_some((v, exclusive))
}

/// `%.17g` of `v`, as Redis 7.0's `addReplyDouble` (and `inf`, `-inf`, `nan`).
pub fn format_score(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{:.16e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::with_capacity(24);
    if v < 0.0 {
        out.push('-');
    }
    if !(-4..17).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        let rest = rest.trim_end_matches('0');
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        out.push_str(int);
        let frac = frac.trim_end_matches('0');
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
    }
    out
}

/// The text of a score stored in a packed set, as Redis's `d2string`: integers (that
/// fit in a long long) in plain digits, anything else as `%.17g`. ZSCAN of a packed
/// set shows scores so.
pub fn format_packed_score(v: f64) -> String {
    // Redis's double2ll: integral values within +-LLONG_MAX/2 print as integers.
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if v.is_finite() && v == v.trunc() && v.abs() <= LIMIT && !(v == 0.0 && v.is_sign_negative()) {
        return (v as i64).to_string();
    }
    format_score(v)
}

/// Writes a score reply: a RESP3 double (`,`), or a bulk string for RESP2, with
/// [`format_score`]'s digits.
pub fn reply_score(out: &mut Reply<'_>, v: f64) {
    out.double_text(format_score(v).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_print_as_percent_17g() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-2.0, "-2"),
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1.1, "1.1000000000000001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "4.9406564584124654e-324"),
            (-0.0, "-0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (3.0e-5, "3.0000000000000001e-05"),
            (100.0, "100"),
            (2.5e10, "25000000000"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_score(v), want, "{v:e}");
        }
        assert_eq!(format_packed_score(1e17), "100000000000000000");
        assert_eq!(format_packed_score(1.5), "1.5");
        assert_eq!(format_packed_score(-0.0), "-0");
    }

    #[test]
    fn scores_parse_as_strtod() {
        assert_eq!(parse_double(b"1.5"), Some(1.5));
        assert_eq!(parse_double(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_double(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_double(b"0x10"), Some(16.0));
        assert_eq!(parse_double(b"0x1p-2"), Some(0.25));
        assert_eq!(parse_double(b"1e3"), Some(1000.0));
        assert_eq!(parse_double(b".5"), Some(0.5));
        assert_eq!(parse_double(b"5."), Some(5.0));
        assert_eq!(parse_double(b"9.8813129168249309e-323"), Some(1e-322));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"nan",
            b"abc",
            b"1e400",
            b"1e-400",
            b"1e",
            b"-",
            b".",
        ] {
            assert_eq!(
                parse_double(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn bounds_parse_as_zsl_parse_range() {
        assert_eq!(parse_bound(b"(1.5"), Some((1.5, true)));
        assert_eq!(parse_bound(b"-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(parse_bound(b"("), Some((0.0, true)));
        assert_eq!(parse_bound(b""), Some((0.0, false)));
        assert_eq!(parse_bound(b" 2"), Some((2.0, false)));
        assert_eq!(parse_bound(b"1e400"), Some((f64::INFINITY, false)));
        for bad in [&b"nan"[..], b"(nan", b"str", b"1 ", b"[1", b"((1", b"  "] {
            assert_eq!(parse_bound(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
