//! The command table: every family's `COMMANDS`, looked up case-insensitively
//! without allocating.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::acl::Registry;

use super::connection::session as connection;
use super::hash::fields as hash;
use super::keyspace::{copy as keyspace_copy, dump, expire, generic as keyspace, migrate, sort};
use super::list::{block as list_block, edit as list_edit, pop as list_pop, push as list};
use super::server::{acl, admin, cluster, memory, observe, persistence, replication};
use super::set::members as set;
use super::stream::{
    groups as stream_groups, info as stream_info, log as stream_log, read as stream_read,
};
use super::string::{bitfield, bits, edit as string_edit, lcs, value as string};
use super::zset::{
    algebra as zset_ops, members as zset, pop as zset_block, random_scan as zset_scan,
    range as zset_range,
};
use super::{CommandSpec, geo, hll, multi, pubsub, scripting};

/// Longest command name looked up; longer names are unknown without a search.
const MAX_NAME_LEN: usize = 32;

/// Every command family's table.
const FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    admin::COMMANDS,
    persistence::COMMANDS,
    keyspace::COMMANDS,
    keyspace_copy::COMMANDS,
    dump::COMMANDS,
    migrate::COMMANDS,
    expire::COMMANDS,
    string::COMMANDS,
    string_edit::COMMANDS,
    bits::COMMANDS,
    bitfield::COMMANDS,
    lcs::COMMANDS,
    list::COMMANDS,
    list_edit::COMMANDS,
    list_pop::COMMANDS,
    list_block::COMMANDS,
    sort::COMMANDS,
    set::COMMANDS,
    hash::COMMANDS,
    memory::COMMANDS,
    acl::COMMANDS,
    multi::COMMANDS,
    pubsub::COMMANDS,
    zset::COMMANDS,
    zset_range::COMMANDS,
    zset_ops::COMMANDS,
    zset_block::COMMANDS,
    zset_scan::COMMANDS,
    scripting::COMMANDS,
    stream_log::COMMANDS,
    stream_read::COMMANDS,
    stream_groups::COMMANDS,
    stream_info::COMMANDS,
    hll::COMMANDS,
    geo::COMMANDS,
    scripting::function::COMMANDS,
    replication::COMMANDS,
    observe::COMMANDS,
    cluster::COMMANDS,
];

type Index = HashMap<&'static [u8], (usize, &'static CommandSpec), foldhash::fast::FixedState>;

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        all()
            .enumerate()
            .map(|(i, spec)| (spec.name.as_bytes(), (i, spec)))
            .collect()
    })
}

/// The ids ACL rules give commands and subcommands, built once from this table.
pub fn acl_registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::build(all()))
}

/// The command named `name` (any case).
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    lookup_indexed(name).map(|(_, spec)| spec)
}

/// The command named `name` (any case) and its position in [`all`] (for per-command stats).
pub fn lookup_indexed(name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    let mut lower = [0u8; MAX_NAME_LEN];
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    index().get(&lower[..name.len()]).copied()
}

/// The rename map `rename-command` directives make (see `ServerState::renames`);
/// `None` when there are none.
/// # Errors
/// Redis's `No such command in rename-command` (naming it) and `Target command name
/// already exists`.
#[allow(clippy::type_complexity)]
pub fn renames(
    pairs: &[(String, String)],
) -> Result<Option<Box<std::collections::HashMap<Vec<u8>, Option<usize>>>>, String> {
    if pairs.is_empty() {
        return Ok(None);
    }
    let mut map: std::collections::HashMap<Vec<u8>, Option<usize>> = Default::default();
    for (from, to) in pairs {
        let current = match map.get(from.as_bytes()) {
            Some(entry) => *entry,
            None => lookup_indexed(from.as_bytes()).map(|(i, _)| i),
        };
        let Some(index) = current else {
            return Err(format!("No such command in rename-command: '{from}'"));
        };
        map.insert(from.as_bytes().to_vec(), None);
        if !to.is_empty() {
            let taken = match map.get(to.as_bytes()) {
                Some(entry) => entry.is_some(),
                None => lookup_indexed(to.as_bytes()).is_some(),
            };
            if taken {
                return Err(format!("Target command name already exists: '{to}'"));
            }
            map.insert(to.as_bytes().to_vec(), Some(index));
        }
    }
    Ok(Some(Box::new(map)))
}

/// The command at `index` of [`all`], through the renames in effect (off the hot
/// path: only servers with `rename-command` come here).
#[cold]
#[inline(never)]
pub fn lookup_renamed(
    renames: &std::collections::HashMap<Vec<u8>, Option<usize>>,
    name: &[u8],
) -> Option<(usize, &'static CommandSpec)> {
    match renames.get(&name.to_ascii_lowercase()) {
        Some(Some(index)) => all().nth(*index).map(|spec| (*index, spec)),
        Some(None) => None,
        None => lookup_indexed(name),
    }
}

/// The name of the command at `index` of [`all`].
pub fn name_at(index: usize) -> Option<&'static str> {
    all().nth(index).map(|spec| spec.name)
}

/// Number of commands in the table.
pub fn count() -> usize {
    all().count()
}

/// Every command, in no particular order (stable within a build).
pub fn all() -> impl Iterator<Item = &'static CommandSpec> + Clone {
    FAMILIES.iter().flat_map(|family| family.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lowercase_and_short() {
        let mut seen = std::collections::HashSet::new();
        for spec in all() {
            assert!(seen.insert(spec.name), "duplicate {}", spec.name);
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert!(spec.name.len() <= MAX_NAME_LEN);
        }
        for sub in all().flat_map(|spec| spec.subcommands.iter().map(move |s| (spec, s))) {
            let (parent, sub) = sub;
            assert!(
                sub.name.starts_with(&format!("{}|", parent.name)),
                "{} under {}",
                sub.name,
                parent.name
            );
            assert!(sub.subcommands.is_empty(), "{} nests", sub.name);
        }
        assert!(lookup(b"GeT").is_some());
        assert!(lookup(b"nosuchcommand").is_none());
    }
}
