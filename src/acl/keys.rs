//! Which arguments of a request are keys or channels, for the ACL checks.
//!
//! Keys come from the command's key specs ([`crate::spec::find_keys`]); channels are
//! the arguments of PUBLISH and the SUBSCRIBE family.

use crate::protocol::Request;
use crate::spec::{CommandSpec, Mode, find_keys};

/// Positions of the keys in `req`, a request for `spec` (a subcommand's spec when
/// `req.arg(1)` names one) whose arity was checked. Lenient: a key count that runs
/// past the end gives the keys that exist; the command reports its own error.
pub fn key_positions<H>(spec: &CommandSpec<H>, req: &Request<'_>) -> Vec<usize> {
    let mut keys: Vec<usize> = find_keys(spec, req, Mode::Lenient)
        .unwrap_or_default()
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The arguments of a request for command `name` (`argc` arguments) that are
/// channels Redis's ACL checks (published to or subscribed to; unsubscribing is
/// always allowed), and whether they are patterns (PSUBSCRIBE). Redis's
/// `commands_with_channels`.
pub fn channel_args(name: &str, argc: usize) -> Option<(std::ops::Range<usize>, bool)> {
    match name {
        "publish" | "spublish" => Some((1..argc.min(2), false)),
        "subscribe" | "ssubscribe" => Some((1..argc, false)),
        "psubscribe" => Some((1..argc, true)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{CommandSpec, table};
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

    /// XREAD's key spec, as Redis declares it.
    const XREAD_KEYS: &[crate::spec::KeySpec] = &[crate::spec::KeySpec {
        flags: crate::kf!(RO | ACCESS),
        begin: crate::spec::Begin::Keyword {
            keyword: "STREAMS",
            start_from: 1,
        },
        find: crate::spec::Find::Range {
            last: -1,
            step: 1,
            limit: 2,
        },
    }];

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
        let zus = table::lookup(b"zunionstore").expect("zunionstore");
        assert_eq!(
            positions(
                &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"],
                zus
            ),
            [1, 3, 4]
        );
        assert_eq!(positions(&["zunionstore", "d", "99", "a"], zus), [1, 3]);
        assert_eq!(positions(&["zunionstore", "d", "x", "a"], zus), [1]);
        let lmpop = table::lookup(b"lmpop").expect("lmpop");
        assert_eq!(positions(&["lmpop", "2", "a", "b", "left"], lmpop), [2, 3]);
        let sort = table::lookup(b"sort").expect("sort");
        assert_eq!(
            positions(&["sort", "k", "limit", "0", "1", "store", "d"], sort),
            [1, 6]
        );
        // XREAD, as Redis declares it (rudis has no streams yet).
        let xread = CommandSpec::new(
            "xread",
            -4,
            crate::flags!(READONLY),
            crate::spec::Group::Stream,
            "",
            get.handler,
        )
        .keys(XREAD_KEYS);
        assert_eq!(
            positions(
                &["xread", "count", "1", "streams", "a", "b", "0", "0"],
                &xread
            ),
            [4, 5]
        );
    }
}
