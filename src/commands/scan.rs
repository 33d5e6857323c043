//! The arguments shared by SCAN, HSCAN, SSCAN and ZSCAN.

use super::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;

/// SCAN's default COUNT, as Redis's.
pub const DEFAULT_COUNT: usize = 10;

/// Writes the reply of a scan over nothing (a missing key): cursor 0, no elements.
pub fn reply_finished(out: &mut crate::protocol::Reply<'_>) {
    out.array_len(2);
    out.bulk(b"0");
    out.array_len(0);
}

/// `cursor [MATCH pattern] [COUNT count] [TYPE type]`, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanArgs<'a> {
    /// Where the step starts (0 starts an iteration).
    pub cursor: u64,
    /// How much work the step may do (a hint, as Redis's COUNT).
    pub count: usize,
    /// Only elements matching this glob; `None` for all (`*` is no filter).
    pub pattern: Option<&'a [u8]>,
    /// Only keys of this type (SCAN only).
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanArgs<'a> {
    /// Parses the cursor at `at` and the options after it; TYPE only when `with_type`.
    /// # Errors
    /// `ERR invalid cursor`, `ERR value is not an integer or out of range`,
    /// `ERR syntax error` (unknown option, COUNT < 1).
    pub fn parse(req: &Request<'a>, at: usize, with_type: bool) -> Result<ScanArgs<'a>, CmdError> {
        let mut args = ScanArgs {
            cursor: parse_cursor(req.arg(at))?,
            count: DEFAULT_COUNT,
            pattern: None,
            type_name: None,
        };
        let mut i = at + 1;
        while i < req.len() {
            let opt = req.arg(i);
            let has_value = req.len() - i >= 2;
            if is(opt, "count") && has_value {
                let n = parse_i64(req.arg(i + 1))?;
                if n < 1 {
                    return Err(CmdError::Syntax);
                }
                args.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if is(opt, "match") && has_value {
                let p = req.arg(i + 1);
                // Exactly `*` matches everything (even the empty key): no filter.
                args.pattern = (p != b"*").then_some(p);
            } else if with_type && is(opt, "type") && has_value {
                args.type_name = Some(req.arg(i + 1));
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(args)
    }

    /// True when `element` passes the MATCH filter.
    pub fn matches(&self, element: &[u8]) -> bool {
        self.pattern
            .is_none_or(|p| crate::glob::glob_match(p, element, false))
    }
}

/// SCAN's cursor, parsed as Redis's `strtoul` call: optional sign (a negative value wraps,
/// as in C), digits up to the first NUL, no leading space, no overflow; the empty string
/// is cursor 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::msg("ERR invalid cursor");
    let text = arg.split(|&b| b == 0).next().unwrap_or_default();
    if text.is_empty() {
        return Ok(0);
    }
    if matches!(text[0], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return Err(invalid());
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}
