//! HINCRBY and HINCRBYFLOAT: arithmetic on a hash field, as Redis's `t_hash.c`.
//! Their specs are in [`super::fields`]'s table.

use super::fields::edit;
use crate::commands::Ctx;
use crate::commands::args::{parse_f64, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::protocol::reply::format_double;
use crate::store::value::canonical_int;
use crate::store::{Event, class};

/// The event of HINCRBY.
const HINCRBY: Event = Event::new(class::HASH, "hincrby");
/// The event of HINCRBYFLOAT.
const HINCRBYFLOAT: Event = Event::new(class::HASH, "hincrbyfloat");

/// Longest field value read as a float (Redis's `MAX_LONG_DOUBLE_CHARS`, the buffer
/// `string2ld` copies into).
const MAX_FLOAT_CHARS: usize = 5 * 1024;

/// ```text
/// HINCRBY key field increment
/// ```
/// Adds `increment` to the field's integer (0 when missing); replies with the result.
/// `ERR hash value is not an integer` when the field holds anything but an integer's
/// canonical text; `ERR increment or decrement would overflow` past i64.
pub fn hincrby(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let by = parse_i64(req.arg(3))?;
    let (key, field) = (req.arg(1), req.arg(2));
    let new = edit(
        ctx,
        key,
        HINCRBY,
        |_| 1,
        |hash, limits| {
            let old = match hash.get(field) {
                Some(text) => canonical_int(text)
                    .ok_or_else(|| CmdError::msg("ERR hash value is not an integer"))?,
                None => 0,
            };
            let new = old.checked_add(by).ok_or(CmdError::Overflow)?;
            hash.insert(field, itoa::Buffer::new().format(new).as_bytes(), limits);
            Ok(new)
        },
    )?;
    ctx.out.int(new);
    Ok(())
}

/// ```text
/// HINCRBYFLOAT key field increment
/// ```
/// Adds `increment` to the field's number (0 when missing); replies with the result,
/// written and stored as INCRBYFLOAT writes it. `ERR value is NaN or Infinity` for an
/// infinite increment, `ERR hash value is not a float` when the field is no number,
/// `ERR increment would produce NaN or Infinity` when the sum is not finite.
pub fn hincrbyfloat(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let by = parse_f64(req.arg(3))?;
    if !by.is_finite() {
        return Err(CmdError::msg("ERR value is NaN or Infinity"));
    }
    let (key, field) = (req.arg(1), req.arg(2));
    let text = edit(
        ctx,
        key,
        HINCRBYFLOAT,
        |_| 1,
        |hash, limits| {
            let old = match hash.get(field) {
                Some(text) => parse_field_float(text)?,
                None => 0.0,
            };
            let sum = old + by;
            if !sum.is_finite() {
                return Err(CmdError::msg("ERR increment would produce NaN or Infinity"));
            }
            let text = format_double(sum);
            hash.insert(field, text.as_bytes(), limits);
            Ok(text)
        },
    )?;
    ctx.out.bulk(text.as_bytes());
    // The result, not the increment: float formatting never differs on replay.
    ctx.propagate(&[b"HSET", key, field, text.as_bytes()]);
    Ok(())
}

/// A field's value as a float, as Redis's `string2ld`: no spaces, no NaN.
fn parse_field_float(text: &[u8]) -> Result<f64, CmdError> {
    let not_float = || CmdError::msg("ERR hash value is not a float");
    if text.len() >= MAX_FLOAT_CHARS {
        return Err(not_float());
    }
    parse_f64(text).map_err(|_| not_float())
}
