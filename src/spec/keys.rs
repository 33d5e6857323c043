//! Finding a request's keys from its command's key specs (Redis's
//! `getKeysUsingKeySpecs`), with the commands' own rules ([`GetKeys`]) where the
//! specs cannot say (SORT's STORE, EVAL with no keys).

use super::{Begin, CommandSpec, Find, GetKeys, KeyFlags, KeySpec};
use crate::protocol::Request;

/// How strictly [`find_keys`] treats arguments that do not fit a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As COMMAND GETKEYS: a spec that does not fit makes the whole answer invalid.
    Strict,
    /// As the ACL checks: take the keys that exist; the command reports its own error.
    Lenient,
}

/// The keys of `req` (a request for `spec`, `req.arg(0)` its name; for a
/// subcommand, `req.arg(1)` the subcommand's name) with their key-spec flags, in
/// the order of the specs (as Redis, a key named twice is listed twice). `None` in [`Mode::Strict`] when the arguments
/// do not fit the specs.
pub fn find_keys<H>(
    spec: &CommandSpec<H>,
    req: &Request<'_>,
    mode: Mode,
) -> Option<Vec<(usize, KeyFlags)>> {
    let mut keys = Vec::new();
    let mut fits = true;
    for ks in spec.key_specs {
        if matches!(ks.begin, Begin::Unknown) || matches!(ks.find, Find::Unknown) {
            continue;
        }
        if !one_spec(ks, req, mode, &mut keys) {
            fits = false;
        }
    }
    match spec.getkeys {
        GetKeys::Specs => {}
        GetKeys::Sort => {
            // SORT's STORE destination is its last (unknown) spec.
            if let Some(store) = sort_store_key(req) {
                let flags = spec
                    .key_specs
                    .iter()
                    .rev()
                    .find(|ks| matches!(ks.begin, Begin::Unknown))
                    .map_or(KeyFlags::EMPTY, |ks| ks.flags);
                keys.push((store, flags));
            }
        }
        GetKeys::Eval => {
            // `numkeys` 0 is no keys, not an invalid request (`evalGetKeys`).
            if !fits && req.len() > 2 && req.arg(2) == b"0" {
                fits = true;
            }
        }
    }
    if !fits && mode == Mode::Strict {
        return None;
    }
    Some(keys)
}

/// Adds the keys of one spec; false when the arguments do not fit it.
fn one_spec(
    ks: &KeySpec,
    req: &Request<'_>,
    mode: Mode,
    keys: &mut Vec<(usize, KeyFlags)>,
) -> bool {
    let argc = req.len() as i64;
    let first = match ks.begin {
        Begin::Index(at) => i64::from(at),
        Begin::Keyword {
            keyword,
            start_from,
        } => {
            let found = if start_from > 0 {
                (i64::from(start_from)..argc).find(|&i| is(req, i, keyword))
            } else {
                (1..=argc + i64::from(start_from))
                    .rev()
                    .find(|&i| is(req, i, keyword))
            };
            match found {
                Some(i) => i + 1,
                // No keyword: no keys from this spec, and nothing wrong.
                None => return true,
            }
        }
        Begin::Unknown => return true,
    };
    let (first, last, step) = match ks.find {
        Find::Range { last, step, limit } => {
            let last = i64::from(last);
            let end = if last >= 0 {
                first + last
            } else if limit == 0 {
                argc + last
            } else {
                first + ((argc - first) / i64::from(limit) + last)
            };
            (first, end, i64::from(step))
        }
        Find::Keynum {
            numkeys,
            first: key0,
            step,
        } => {
            let at = first + i64::from(numkeys);
            if at >= argc {
                return false;
            }
            let Some(n) = std::str::from_utf8(req.arg(at as usize))
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|&n| n >= 0)
            else {
                return false;
            };
            let first = first + i64::from(key0);
            (first, first + n - 1, i64::from(step))
        }
        Find::Unknown => return true,
    };
    let fits = !(last >= argc || last < first || first >= argc);
    if !fits && mode == Mode::Strict {
        return false;
    }
    let mut i = first;
    while i <= last && i < argc {
        keys.push((i as usize, ks.flags));
        i += step.max(1);
    }
    fits
}

fn is(req: &Request<'_>, i: i64, keyword: &str) -> bool {
    req.arg(i as usize).eq_ignore_ascii_case(keyword.as_bytes())
}

/// The position of SORT's destination: the argument after the last STORE, skipping
/// the arguments of LIMIT (2), GET and BY (1), as Redis's `sortGetKeys`.
fn sort_store_key(req: &Request<'_>) -> Option<usize> {
    let argc = req.len();
    let mut store = None;
    let mut i = 2;
    while i < argc {
        let arg = req.arg(i);
        let is = |k: &str| arg.eq_ignore_ascii_case(k.as_bytes());
        if is("limit") {
            i += 2;
        } else if is("get") || is("by") {
            i += 1;
        } else if is("store") && i + 1 < argc {
            store = Some(i + 1);
        }
        i += 1;
    }
    store
}
