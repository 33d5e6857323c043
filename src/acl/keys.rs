//! Which arguments of a request are keys or channels, for the ACL checks.
//!
//! Keys come from the command's `(first, last, step)` range, plus, for the commands
//! whose keys move (a `numkeys` argument, `STORE`, `STREAMS`), the rule Redis's key
//! specs give them. Channels are the arguments of PUBLISH and the SUBSCRIBE family.

use crate::commands::CommandSpec;
use crate::commands::args::is;
use crate::protocol::Request;

/// Commands whose key count is the argument at index 2, keys following it.
const NUMKEYS_AT_2: &[&str] = &[
    "zunionstore",
    "zinterstore",
    "zdiffstore",
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "blmpop",
    "bzmpop",
];

/// Commands whose key count is the argument at index 1, keys following it.
const NUMKEYS_AT_1: &[&str] = &[
    "zunion",
    "zinter",
    "zdiff",
    "zintercard",
    "sintercard",
    "lmpop",
    "zmpop",
];

/// Positions of the keys in `req`, a request for `spec` whose arity was checked.
pub fn key_positions(spec: &CommandSpec, req: &Request<'_>) -> Vec<usize> {
    let argc = req.len();
    let mut keys = Vec::new();
    if spec.first_key > 0 {
        let first = spec.first_key as usize;
        let last = if spec.last_key < 0 {
            argc as i64 + i64::from(spec.last_key)
        } else {
            i64::from(spec.last_key)
        };
        let step = spec.key_step.max(1) as usize;
        let mut j = first;
        while (j as i64) <= last && j < argc {
            keys.push(j);
            j += step;
        }
    }
    let numkeys_at = if NUMKEYS_AT_2.contains(&spec.name) {
        Some(2)
    } else if NUMKEYS_AT_1.contains(&spec.name) {
        Some(1)
    } else {
        None
    };
    if let Some(at) = numkeys_at.filter(|&at| at < argc) {
        // A count that is not a number, or runs past the end, is the command's own
        // error to report; only the arguments that exist are looked at.
        let n = crate::commands::args::parse_usize(req.arg(at)).unwrap_or(0);
        keys.extend((at + 1..argc).take(n));
    }
    match spec.name {
        "sort" | "sort_ro" => keys.extend(sort_store_key(req)),
        "xread" | "xreadgroup" => {
            if let Some(at) = (1..argc).find(|&i| is(req.arg(i), "streams")) {
                let n = (argc - at - 1) / 2;
                keys.extend((at + 1..argc).take(n));
            }
        }
        _ => {}
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// True for the commands whose keys are not all in their `(first, last, step)` range.
pub fn has_movable_keys(name: &str) -> bool {
    NUMKEYS_AT_1.contains(&name)
        || NUMKEYS_AT_2.contains(&name)
        || matches!(name, "sort" | "sort_ro" | "xread" | "xreadgroup")
}

/// The position of SORT's destination: the argument after the last STORE, skipping
/// the arguments of LIMIT (2), GET and BY (1), as Redis's `sortGetKeys`.
fn sort_store_key(req: &Request<'_>) -> Option<usize> {
    let argc = req.len();
    let mut store = None;
    let mut i = 2;
    while i < argc {
        let arg = req.arg(i);
        if is(arg, "limit") {
            i += 2;
        } else if is(arg, "get") || is(arg, "by") {
            i += 1;
        } else if is(arg, "store") && i + 1 < argc {
            store = Some(i + 1);
        }
        i += 1;
    }
    store
}

/// Positions of the channels in `req` for command `name`, each with whether it is a
/// pattern (PSUBSCRIBE).
pub fn channel_positions(name: &str, req: &Request<'_>) -> Vec<(usize, bool)> {
    match name {
        "publish" | "spublish" if req.len() > 1 => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..req.len()).map(|i| (i, false)).collect(),
        "psubscribe" => (1..req.len()).map(|i| (i, true)).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::table;
    use crate::protocol::ArgSpan;

    fn positions(words: &[&str], spec: &CommandSpec) -> Vec<usize> {
        let mut buf = Vec::new();
        let mut spans = Vec::new();
        for w in words {
            let start = buf.len();
            buf.extend_from_slice(w.as_bytes());
            spans.push(ArgSpan {
                start,
                end: buf.len(),
            });
        }
        key_positions(spec, &Request::new(&buf, &spans, &[]))
    }

    fn spec(name: &'static str, keys: (i32, i32, i32)) -> CommandSpec {
        let get = table::lookup(b"get").expect("get");
        CommandSpec::new(name, -1, 0, keys, "generic", "", get.handler)
    }

    #[test]
    fn ranges_and_movable_keys() {
        let get = table::lookup(b"get").expect("get");
        assert_eq!(positions(&["get", "k"], get), [1]);
        let mset = table::lookup(b"mset").expect("mset");
        assert_eq!(positions(&["mset", "a", "1", "b", "2"], mset), [1, 3]);
        let del = table::lookup(b"del").expect("del");
        assert_eq!(positions(&["del", "a", "b", "c"], del), [1, 2, 3]);
        let ping = table::lookup(b"ping").expect("ping");
        assert!(positions(&["ping"], ping).is_empty());
        let zus = spec("zunionstore", (1, 1, 1));
        assert_eq!(
            positions(
                &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"],
                &zus
            ),
            [1, 3, 4]
        );
        assert_eq!(positions(&["zunionstore", "d", "99", "a"], &zus), [1, 3]);
        assert_eq!(positions(&["zunionstore", "d", "x", "a"], &zus), [1]);
        let lmpop = spec("lmpop", (0, 0, 0));
        assert_eq!(positions(&["lmpop", "2", "a", "b", "left"], &lmpop), [2, 3]);
        let sort = spec("sort", (1, 1, 1));
        assert_eq!(
            positions(&["sort", "k", "limit", "0", "1", "store", "d"], &sort),
            [1, 6]
        );
        let xread = spec("xread", (0, 0, 0));
        assert_eq!(
            positions(
                &["xread", "count", "1", "streams", "a", "b", "0", "0"],
                &xread
            ),
            [4, 5]
        );
    }
}
