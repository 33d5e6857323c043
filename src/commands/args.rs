//! Argument helpers shared by command handlers.

use crate::error::CmdError;
use crate::number::parse_int;

/// Most elements a negative-count HRANDFIELD, SRANDMEMBER or ZRANDMEMBER may return:
/// far above any sane sample; a count near 2^63 would otherwise never finish and the
/// whole reply sits in the output buffer (Redis would try any count).
pub const MAX_RANDOM_REPLY: u64 = 1 << 24;

/// Refuses a random-sample reply of more than [`MAX_RANDOM_REPLY`] elements.
/// # Errors
/// `ERR value is out of range, the reply would be too large`.
pub fn check_random_reply(elements: u64) -> Result<(), CmdError> {
    if elements > MAX_RANDOM_REPLY {
        return Err(random_reply_too_large());
    }
    Ok(())
}

/// The error for a random-sample reply that would be too large.
pub fn random_reply_too_large() -> CmdError {
    CmdError::msg("ERR value is out of range, the reply would be too large")
}

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn parse_i64(arg: &[u8]) -> Result<i64, CmdError> {
    parse_int(arg).ok_or(CmdError::NotInteger)
}

/// Parses a non-negative integer that must fit `usize`.
pub fn parse_usize(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_int(arg) {
        Some(n) if n >= 0 => Ok(n as usize),
        _ => Err(CmdError::NotInteger),
    }
}

/// Parses a float argument as Redis's `getLongDoubleFromObject`: decimal text,
/// `inf`/`-inf` accepted, NaN and spaces refused (`ERR value is not a valid float`).
pub fn parse_f64(arg: &[u8]) -> Result<f64, CmdError> {
    let text = std::str::from_utf8(arg).map_err(|_| CmdError::NotFloat)?;
    if text.is_empty()
        || text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
    {
        return Err(CmdError::NotFloat);
    }
    let value = match text.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        _ => text.parse::<f64>().map_err(|_| CmdError::NotFloat)?,
    };
    if value.is_nan() {
        return Err(CmdError::NotFloat);
    }
    Ok(value)
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// Lossy text of an argument, for error messages.
pub fn text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_redis() {
        assert_eq!(parse_f64(b"1.5"), Ok(1.5));
        assert_eq!(parse_f64(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Ok(1000.0));
        for bad in [&b"nan"[..], b"", b" 1", b"1 ", b"abc"] {
            assert_eq!(parse_f64(bad), Err(CmdError::NotFloat), "{bad:?}");
        }
    }
}
