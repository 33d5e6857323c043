//! ACL categories and command ids.
//!
//! A command's categories are derived, as Redis's `setImplicitACLCategories` derives
//! most of them: from its flags (write → @write, readonly → @read, admin → @admin and
//! @dangerous, fast → @fast else @slow, pubsub → @pubsub) and its group (string →
//! @string, list → @list, generic → @keyspace, ...), plus a few name rules where Redis
//! lists categories by hand (@blocking, the non-admin @dangerous commands). Commands
//! added to the table later get their categories without touching this file.
//!
//! Every command and every subcommand of a container (CONFIG GET, CLIENT KILL, ...)
//! has an id, its position in [`registry`]: a top-level command's id is its position
//! in the command table, subcommands come after. A user's permissions are a bitmap
//! over these ids.

use std::ops::Range;
use std::sync::OnceLock;

use crate::commands::flags::{ADMIN, FAST, PUBSUB, READONLY, WRITE};
use crate::commands::server::command::subcommands_of;
use crate::commands::table;

/// Redis's ACL categories, in its order (ACL CAT, COMMAND INFO). A category's bit in a
/// mask is `1 << its position here`.
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Commands in @dangerous without the admin flag (Redis lists them by hand).
const DANGEROUS: &[&str] = &[
    "flushall",
    "flushdb",
    "info",
    "keys",
    "lastsave",
    "migrate",
    "restore",
    "restore-asking",
    "role",
    "sort",
    "sort_ro",
    "swapdb",
];

/// Commands in @keyspace outside the generic group, and generic ones outside it.
const KEYSPACE_EXTRA: &[&str] = &["dbsize", "flushall", "flushdb", "swapdb", "restore-asking"];
const KEYSPACE_EXCEPT: &[&str] = &["sort", "sort_ro", "wait"];

/// Commands in @connection outside the connection group.
const CONNECTION_EXTRA: &[&str] = &["command", "asking", "readonly", "readwrite", "wait"];

/// Commands that read lists, sets and sorted sets alike (Redis puts them in all three).
const COLLECTION_READERS: &[&str] = &["sort", "sort_ro"];

/// Blocking commands that do not follow the `b`-prefix rule of lists and sorted sets.
const BLOCKING_EXTRA: &[&str] = &["xread", "xreadgroup", "wait", "waitaof"];

/// The bit of category `name` (any case), if it is one.
pub fn bit(name: &[u8]) -> Option<u32> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// The bit of the category spelled exactly `name`.
fn bit_of(name: &str) -> u32 {
    bit(name.as_bytes()).unwrap_or(0)
}

/// The category mask of a command named `name` (`container|sub` for a subcommand,
/// which has its container's group) with `flags` in command `group`.
pub fn derive(name: &str, flags: u32, group: &str) -> u32 {
    let top = name.split('|').next().unwrap_or(name);
    let group_cat = match group {
        "generic" if !KEYSPACE_EXCEPT.contains(&top) => "keyspace",
        "string" => "string",
        "list" => "list",
        "hash" => "hash",
        "set" => "set",
        "sorted-set" | "sorted_set" => "sortedset",
        "bitmap" => "bitmap",
        "hyperloglog" => "hyperloglog",
        "geo" => "geo",
        "stream" => "stream",
        "pubsub" => "pubsub",
        "connection" => "connection",
        "transactions" => "transaction",
        "scripting" => "scripting",
        _ => "",
    };
    let mut mask = bit_of(group_cat);
    let mut add = |cond: bool, cat: &str| {
        if cond {
            mask |= bit_of(cat);
        }
    };
    add(flags & WRITE != 0, "write");
    add(flags & READONLY != 0 && group_cat != "scripting", "read");
    add(flags & ADMIN != 0, "admin");
    add(flags & ADMIN != 0 || DANGEROUS.contains(&top), "dangerous");
    add(flags & PUBSUB != 0, "pubsub");
    add(flags & FAST != 0, "fast");
    add(flags & FAST == 0, "slow");
    add(KEYSPACE_EXTRA.contains(&top), "keyspace");
    for cat in ["list", "set", "sortedset"] {
        add(COLLECTION_READERS.contains(&top), cat);
    }
    add(CONNECTION_EXTRA.contains(&top), "connection");
    let prefixed = matches!(group_cat, "list" | "sortedset") && top.starts_with('b');
    add(prefixed || BLOCKING_EXTRA.contains(&top), "blocking");
    mask
}

/// The category mask of a table entry: [`derive`]'s, except that a container (CLIENT,
/// CONFIG, ...) takes no category from its group, since a rule for one of its
/// categories would grant every subcommand (Redis gives containers none either).
pub fn of_command(name: &str, flags: u32, group: &str) -> u32 {
    let container = !subcommands_of(name).is_empty();
    derive(name, flags, if container { "" } else { group })
}

/// The names of the categories in `mask`, in Redis's order.
pub fn names(mask: u32) -> impl Iterator<Item = &'static str> {
    CATEGORIES
        .iter()
        .enumerate()
        .filter(move |(i, _)| mask & (1 << i) != 0)
        .map(|(_, name)| *name)
}

/// One command or subcommand, as ACL rules see it.
#[derive(Debug)]
pub struct Entry {
    /// Full lowercase name (`get`, `config|get`).
    pub name: &'static str,
    /// Its flags.
    pub flags: u32,
    /// Its category mask.
    pub categories: u32,
    /// Ids of its subcommands (empty for plain commands and subcommands).
    pub subs: Range<usize>,
}

/// Every command and subcommand, by id.
#[derive(Debug)]
pub struct Registry {
    /// Entries by id.
    pub entries: Vec<Entry>,
}

/// The registry, built on first use from the command table.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut entries: Vec<Entry> = table::all()
            .map(|spec| Entry {
                name: spec.name,
                flags: spec.flags,
                categories: of_command(spec.name, spec.flags, spec.group),
                subs: 0..0,
            })
            .collect();
        for (id, spec) in table::all().enumerate() {
            let start = entries.len();
            for sub in subcommands_of(spec.name) {
                entries.push(Entry {
                    name: sub.full_name,
                    flags: sub.flags,
                    categories: derive(sub.full_name, sub.flags, spec.group),
                    subs: 0..0,
                });
            }
            entries[id].subs = start..entries.len();
        }
        Registry { entries }
    })
}

impl Registry {
    /// Number of ids.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no commands (never, in practice).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of `name` or `container|sub` (any case).
    pub fn lookup(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.splitn(2, |&b| b == b'|');
        let (top, _) = table::lookup_indexed(parts.next()?)?;
        match parts.next() {
            None => Some(top),
            Some(sub) => self.sub_of(top, sub),
        }
    }

    /// The id of subcommand `sub` (any case) of the command with id `top`.
    pub fn sub_of(&self, top: usize, sub: &[u8]) -> Option<usize> {
        self.entries.get(top)?.subs.clone().find(|&id| {
            self.entries[id]
                .name
                .split_once('|')
                .is_some_and(|(_, s)| s.as_bytes().eq_ignore_ascii_case(sub))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::flags::{LOADING, STALE};

    fn cats(name: &str, flags: u32, group: &str) -> Vec<&'static str> {
        names(derive(name, flags, group)).collect()
    }

    #[test]
    fn derived_from_flags_group_and_name() {
        assert_eq!(
            cats("get", READONLY | FAST, "string"),
            ["read", "string", "fast"]
        );
        assert_eq!(cats("set", WRITE, "string"), ["write", "string", "slow"]);
        assert_eq!(
            cats("shutdown", ADMIN | LOADING | STALE, "server"),
            ["admin", "slow", "dangerous"]
        );
        assert_eq!(
            cats("keys", READONLY, "generic"),
            ["keyspace", "read", "slow", "dangerous"]
        );
        assert_eq!(
            cats("blpop", WRITE, "list"),
            ["write", "list", "slow", "blocking"]
        );
        assert_eq!(
            cats("bzpopmin", WRITE | FAST, "sorted-set"),
            ["write", "sortedset", "fast", "blocking"]
        );
        assert_eq!(cats("command|info", 0, "server"), ["slow", "connection"]);
        assert_eq!(
            cats("flushall", WRITE, "server"),
            ["keyspace", "write", "slow", "dangerous"]
        );
        assert_eq!(
            cats("sort", WRITE, "generic"),
            ["write", "set", "sortedset", "list", "slow", "dangerous"]
        );
        assert_eq!(cats("publish", PUBSUB | FAST, "pubsub"), ["pubsub", "fast"]);
        assert_eq!(cats("exec", 0, "transactions"), ["slow", "transaction"]);
    }

    #[test]
    fn category_bits_round_trip() {
        assert_eq!(bit(b"READ"), Some(2));
        assert_eq!(bit(b"nosuch"), None);
        assert_eq!(
            names(bit(b"list").unwrap_or(0)).collect::<Vec<_>>(),
            ["list"]
        );
    }

    #[test]
    fn registry_covers_commands_and_subcommands() {
        let r = registry();
        let get = r.lookup(b"GET").expect("get");
        assert_eq!(r.entries[get].name, "get");
        let config = r.lookup(b"config").expect("config");
        let config_get = r.lookup(b"Config|Get").expect("config|get");
        assert!(r.entries[config].subs.contains(&config_get));
        assert_eq!(r.entries[config_get].name, "config|get");
        assert!(r.lookup(b"config|nosuch").is_none());
        assert!(r.lookup(b"get|x").is_none());
        assert!(r.lookup(b"nosuch").is_none());
        let client = r.lookup(b"client").expect("client");
        assert_eq!(
            names(r.entries[client].categories).collect::<Vec<_>>(),
            ["slow"]
        );
        assert_eq!(r.len(), r.entries.len());
    }
}
