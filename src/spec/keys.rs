//! Finding a request's keys from its command's key specs (Redis's
//! `getKeysUsingKeySpecs`), with the commands' own rules ([`GetKeys`]) where the
//! specs cannot say (SORT's STORE, EVAL with no keys, SET's and BITFIELD's flags).

use super::{Begin, CommandSpec, Find, GetKeys, KeyFlags, KeySpec};
use crate::protocol::Request;

/// How strictly [`find_keys`] treats arguments that do not fit a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As Redis's `getKeysFromCommandWithSpecs` (COMMAND GETKEYS, the ACL checks): a
    /// spec that does not fit makes the whole answer invalid (no keys).
    Strict,
    /// Take the keys that exist (client tracking); the command reports its own error.
    Lenient,
}

/// The keys of `req` (a request for `spec`, `req.arg(0)` its name; for a
/// subcommand, `req.arg(1)` the subcommand's name) with their key-spec flags, in
/// the order of the specs (as Redis, a key named twice is listed twice). `None` in
/// [`Mode::Strict`] when the arguments do not fit the specs.
pub fn find_keys<H>(
    spec: &CommandSpec<H>,
    req: &Request<'_>,
    mode: Mode,
) -> Option<Vec<(usize, KeyFlags)>> {
    let mut keys = Vec::new();
    let fits = for_each_key(spec, req, mode, |i, flags| {
        keys.push((i, flags));
        true
    });
    fits.then_some(keys)
}

/// Calls `visit` with each key of `req` and its flags, as [`find_keys`] lists them,
/// without collecting them (the ACL check runs for every command); `visit` returns
/// false to stop. Returns false in [`Mode::Strict`] when the arguments do not fit the
/// specs (nothing is visited).
pub fn for_each_key<H>(
    spec: &CommandSpec<H>,
    req: &Request<'_>,
    mode: Mode,
    mut visit: impl FnMut(usize, KeyFlags) -> bool,
) -> bool {
    match spec.getkeys {
        // Their flags depend on the arguments (`variable_flags`): Redis asks their
        // own rules, never the specs.
        GetKeys::Set if req.len() > 1 => {
            visit(1, set_key_flags(req));
            return true;
        }
        GetKeys::Bitfield if req.len() > 1 => {
            visit(1, bitfield_key_flags(req));
            return true;
        }
        // Its KEYS spec is incomplete: Redis falls back to `migrateGetKeys` once the
        // specs find the keyword.
        GetKeys::Migrate if migrate_keys_spec_matches(req) => {
            let flags = spec
                .key_specs
                .first()
                .map_or(KeyFlags::EMPTY, |ks| ks.flags);
            for i in migrate_keys(req) {
                if !visit(i, flags) {
                    break;
                }
            }
            return true;
        }
        _ => {}
    }
    if mode == Mode::Strict && !fits(spec, req) {
        return false;
    }
    for ks in keyed_specs(spec) {
        let SpecKeys::Range {
            first, last, step, ..
        } = spec_keys(ks, req)
        else {
            continue;
        };
        let mut i = first;
        while i <= last && i < req.len() as i64 {
            if !visit(i as usize, ks.flags) {
                return true;
            }
            i += step.max(1);
        }
    }
    if spec.getkeys == GetKeys::Sort
        && let Some(store) = sort_store_key(req)
    {
        // SORT's STORE destination is its last (unknown) spec.
        let flags = spec
            .key_specs
            .iter()
            .rev()
            .find(|ks| matches!(ks.begin, Begin::Unknown))
            .map_or(KeyFlags::EMPTY, |ks| ks.flags);
        visit(store, flags);
    }
    true
}

/// The specs that find keys from the arguments: not those left to the command's own
/// rule (unknown), nor `not_key` ones (SPUBLISH's shard channel; Redis's
/// GET_KEYSPEC_DEFAULT).
fn keyed_specs<H>(spec: &CommandSpec<H>) -> impl Iterator<Item = &KeySpec> {
    spec.key_specs.iter().filter(|ks| {
        !matches!(ks.begin, Begin::Unknown)
            && !matches!(ks.find, Find::Unknown)
            && !ks.flags.contains(KeyFlags::NOT_KEY)
    })
}

/// True when the arguments fit every spec (Redis's `getKeysUsingKeySpecs` does not
/// fail), or fit as the command's own rule says (EVAL with `numkeys` 0).
fn fits<H>(spec: &CommandSpec<H>, req: &Request<'_>) -> bool {
    let all = keyed_specs(spec).all(|ks| match spec_keys(ks, req) {
        SpecKeys::None => true,
        SpecKeys::Invalid => false,
        SpecKeys::Range { fits, .. } => fits,
    });
    // `numkeys` 0 is no keys, not an invalid request (`evalGetKeys`).
    all || (spec.getkeys == GetKeys::Eval && req.len() > 2 && req.arg(2) == b"0")
}

/// Where one spec's keys are in a request.
enum SpecKeys {
    /// None, and nothing wrong (its keyword is absent).
    None,
    /// None: the key count is missing or not a count.
    Invalid,
    /// From `first` to `last` (inclusive), every `step`; `fits` is false when the
    /// range runs outside the arguments (then only the keys inside are used, and only
    /// in [`Mode::Lenient`]).
    Range {
        first: i64,
        last: i64,
        step: i64,
        fits: bool,
    },
}

/// Where `ks`'s keys are in `req` (one spec of Redis's `getKeysUsingKeySpecs`).
fn spec_keys(ks: &KeySpec, req: &Request<'_>) -> SpecKeys {
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
                None => return SpecKeys::None,
            }
        }
        Begin::Unknown => return SpecKeys::None,
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
                return SpecKeys::Invalid;
            }
            let Some(n) = std::str::from_utf8(req.arg(at as usize))
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .filter(|&n| n >= 0)
            else {
                return SpecKeys::Invalid;
            };
            let first = first + i64::from(key0);
            (first, first + n - 1, i64::from(step))
        }
        Find::Unknown => return SpecKeys::None,
    };
    SpecKeys::Range {
        first,
        last,
        step,
        fits: !(last >= argc || last < first || first >= argc),
    }
}

/// SET's key flags (Redis's `setGetKeys`): read and written when a `GET` follows the
/// value, else only overwritten.
fn set_key_flags(req: &Request<'_>) -> KeyFlags {
    if (3..req.len()).any(|i| req.arg(i).eq_ignore_ascii_case(b"get")) {
        KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::UPDATE)
    } else {
        KeyFlags::OW.union(KeyFlags::UPDATE)
    }
}

/// BITFIELD's key flags (Redis's `bitfieldGetKeys`): read-only when every operation
/// is a complete `GET` (or `OVERFLOW`), else read and written (a syntax error counts
/// as a write).
fn bitfield_key_flags(req: &Request<'_>) -> KeyFlags {
    let argc = req.len();
    let mut i = 2;
    while i < argc {
        let left = argc - i - 1;
        let arg = req.arg(i);
        if arg.eq_ignore_ascii_case(b"get") && left >= 2 {
            i += 3;
        } else if arg.eq_ignore_ascii_case(b"overflow") && left >= 1 {
            i += 2;
        } else {
            return KeyFlags::RW.union(KeyFlags::ACCESS).union(KeyFlags::UPDATE);
        }
    }
    KeyFlags::RO.union(KeyFlags::ACCESS)
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

/// True when MIGRATE's KEYS spec finds its keyword: searched backwards from the
/// second to last argument, as its key spec says.
fn migrate_keys_spec_matches(req: &Request<'_>) -> bool {
    let argc = req.len();
    argc >= 2 && (1..=argc - 2).any(|i| req.arg(i).eq_ignore_ascii_case(b"keys"))
}

/// MIGRATE's keys as Redis's `migrateGetKeys`: the key at 3, or with KEYS (searched
/// from 6, skipping the arguments of AUTH and AUTH2) every argument after it; none
/// when KEYS comes with a non-empty key (MIGRATE reports that syntax error).
fn migrate_keys(req: &Request<'_>) -> std::ops::Range<usize> {
    let argc = req.len();
    let mut i = 6;
    while i < argc {
        let arg = req.arg(i);
        let is = |k: &str| arg.eq_ignore_ascii_case(k.as_bytes());
        if is("keys") {
            if !req.arg(3).is_empty() {
                return 0..0;
            }
            return i + 1..argc;
        }
        if is("auth") {
            i += 1;
        } else if is("auth2") {
            i += 2;
        }
        i += 1;
    }
    3..4.min(argc)
}
