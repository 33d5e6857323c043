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

/// Keys [`KeyRefs`] holds without allocating: nearly every command names fewer.
const INLINE_KEYS: usize = 8;

/// A request's keys, `(argument position, key-spec flags)` in the order of the specs;
/// the first [`INLINE_KEYS`] need no allocation (the ACL check runs per command).
#[derive(Debug, Clone)]
pub struct KeyRefs {
    len: usize,
    inline: [(usize, KeyFlags); INLINE_KEYS],
    spill: Vec<(usize, KeyFlags)>,
}

impl Default for KeyRefs {
    fn default() -> Self {
        KeyRefs {
            len: 0,
            inline: [(0, KeyFlags::EMPTY); INLINE_KEYS],
            spill: Vec::new(),
        }
    }
}

impl KeyRefs {
    /// Adds a key.
    pub fn push(&mut self, pos: usize, flags: KeyFlags) {
        if self.len < INLINE_KEYS {
            self.inline[self.len] = (pos, flags);
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push((pos, flags));
        }
        self.len += 1;
    }

    /// The keys.
    pub fn as_slice(&self) -> &[(usize, KeyFlags)] {
        if self.len > INLINE_KEYS {
            &self.spill
        } else {
            &self.inline[..self.len]
        }
    }

    /// Forgets every key.
    pub fn clear(&mut self) {
        self.len = 0;
        self.spill.clear();
    }
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
    let mut keys = KeyRefs::default();
    find_keys_into(spec, req, mode, &mut keys).then(|| keys.as_slice().to_vec())
}

/// [`find_keys`] into `keys` (cleared first); false (and no keys) in [`Mode::Strict`]
/// when the arguments do not fit the specs.
pub fn find_keys_into<H>(
    spec: &CommandSpec<H>,
    req: &Request<'_>,
    mode: Mode,
    keys: &mut KeyRefs,
) -> bool {
    keys.clear();
    match spec.getkeys {
        // Their flags depend on the arguments (`variable_flags`): Redis asks their
        // own rules, never the specs.
        GetKeys::Set if req.len() > 1 => {
            keys.push(1, set_key_flags(req));
            return true;
        }
        GetKeys::Bitfield if req.len() > 1 => {
            keys.push(1, bitfield_key_flags(req));
            return true;
        }
        _ => {}
    }
    let mut fits = true;
    for ks in spec.key_specs {
        // Unknown specs are the command's own rule's; `not_key` ones (SPUBLISH's shard
        // channel) are no keys (Redis's GET_KEYSPEC_DEFAULT).
        if matches!(ks.begin, Begin::Unknown)
            || matches!(ks.find, Find::Unknown)
            || ks.flags.contains(KeyFlags::NOT_KEY)
        {
            continue;
        }
        if !one_spec(ks, req, mode, keys) {
            fits = false;
        }
    }
    match spec.getkeys {
        GetKeys::Specs | GetKeys::Set | GetKeys::Bitfield => {}
        GetKeys::Sort => {
            // SORT's STORE destination is its last (unknown) spec.
            if let Some(store) = sort_store_key(req) {
                let flags = spec
                    .key_specs
                    .iter()
                    .rev()
                    .find(|ks| matches!(ks.begin, Begin::Unknown))
                    .map_or(KeyFlags::EMPTY, |ks| ks.flags);
                keys.push(store, flags);
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
        keys.clear();
        return false;
    }
    true
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

/// Adds the keys of one spec; false when the arguments do not fit it.
fn one_spec(ks: &KeySpec, req: &Request<'_>, mode: Mode, keys: &mut KeyRefs) -> bool {
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
        keys.push(i as usize, ks.flags);
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
