//! ACL categories and command ids.
//!
//! A command's categories are part of its declaration ([`crate::spec::CommandSpec`]):
//! those it declares, plus those Redis's `setImplicitACLCategories` derives from its
//! flags ([`crate::spec::CommandSpec::categories`]).
//!
//! Every command and every subcommand of a container (CONFIG GET, CLIENT KILL, ...)
//! has an id, its position in the [`Registry`]: a top-level command's id is its position
//! in the command table, subcommands come after. A user's permissions are a bitmap
//! over these ids.

use std::collections::HashMap;
use std::ops::Range;

use crate::spec::{Cats, CommandSpec, Flags};

/// The bit of category `name` (any case), if it is one.
pub fn bit(name: &[u8]) -> Option<u32> {
    Cats::NAMES
        .iter()
        .find(|(_, c)| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|(cat, _)| cat.bits())
}

/// The names of the categories in `mask`, in Redis's order.
pub fn names(mask: u32) -> impl Iterator<Item = &'static str> {
    Cats::from_bits(mask).names()
}

/// One command or subcommand, as ACL rules see it.
#[derive(Debug)]
pub struct Entry {
    /// Full lowercase name (`get`, `config|get`).
    pub name: &'static str,
    /// Its flags.
    pub flags: Flags,
    /// Its category mask.
    pub categories: u32,
    /// Ids of its subcommands (empty for plain commands and subcommands).
    pub subs: Range<usize>,
}

/// Every command and subcommand, by id.
pub struct Registry {
    /// Entries by id.
    pub entries: Vec<Entry>,
    /// How many of them are top-level commands.
    commands: usize,
    /// Lowercase top-level name → id.
    by_name: HashMap<Vec<u8>, usize>,
}

impl std::fmt::Debug for Registry {
    /// Only the size: users hold a reference, and their debug text should stay short.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Registry({} ids)", self.entries.len())
    }
}

impl Registry {
    /// The registry of a command table (`commands::table` builds it once, from every
    /// declaration): top-level commands first, by their table position, then the
    /// subcommands of each.
    pub fn build<H: 'static>(
        table: impl Iterator<Item = &'static CommandSpec<H>> + Clone,
    ) -> Registry {
        let entry = |spec: &'static CommandSpec<H>| Entry {
            name: spec.name,
            flags: spec.flags,
            categories: spec.categories().bits(),
            subs: 0..0,
        };
        let mut entries: Vec<Entry> = table.clone().map(entry).collect();
        let commands = entries.len();
        for (id, spec) in table.enumerate() {
            let start = entries.len();
            entries.extend(spec.subcommands.iter().map(entry));
            entries[id].subs = start..entries.len();
        }
        let by_name = entries[..commands]
            .iter()
            .enumerate()
            .map(|(id, e)| (e.name.as_bytes().to_vec(), id))
            .collect();
        Registry {
            entries,
            commands,
            by_name,
        }
    }

    /// Number of top-level commands (ids `0..commands()`).
    pub fn commands(&self) -> usize {
        self.commands
    }

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
        let top = *self.by_name.get(&parts.next()?.to_ascii_lowercase())?;
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
    use crate::commands::table::acl_registry as registry;

    fn cats(name: &str) -> Vec<&'static str> {
        let r = registry();
        names(r.entries[r.lookup(name.as_bytes()).expect(name)].categories).collect()
    }

    #[test]
    fn derived_from_flags_and_declarations() {
        assert_eq!(cats("get"), ["read", "string", "fast"]);
        assert_eq!(cats("set"), ["write", "string", "slow"]);
        assert_eq!(cats("shutdown"), ["admin", "slow", "dangerous"]);
        assert_eq!(cats("keys"), ["keyspace", "read", "slow", "dangerous"]);
        assert_eq!(cats("blpop"), ["write", "list", "slow", "blocking"]);
        assert_eq!(cats("bzpopmin"), ["write", "sortedset", "fast", "blocking"]);
        assert_eq!(cats("command|info"), ["slow", "connection"]);
        assert_eq!(cats("flushall"), ["keyspace", "write", "slow", "dangerous"]);
        assert_eq!(
            cats("sort"),
            ["write", "set", "sortedset", "list", "slow", "dangerous"]
        );
        assert_eq!(cats("publish"), ["pubsub", "fast"]);
        assert_eq!(cats("exec"), ["slow", "transaction"]);
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
