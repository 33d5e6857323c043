//! The command table: every family's `COMMANDS`, looked up case-insensitively
//! without allocating.

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

/// Slots in the name index: a power of two, over twice the number of commands so that
/// probes stay short (a test checks the longest).
const INDEX_SLOTS: usize = 1024;

/// Every byte's 0x20 bit: set, it makes an ASCII capital small.
const FOLD: u64 = 0x2020_2020_2020_2020;

/// A name (any case) as two words with every byte's 0x20 bit set, and its length. Two
/// names equal but for case have the same key; two names of up to 16 bytes with the
/// same key are equal but for case, unless one holds a byte other than a letter (a
/// digit, `_`, `-` and some control bytes differ only in that bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameKey {
    head: u64,
    tail: u64,
    len: usize,
}

impl NameKey {
    /// The key of `name`: its first and last eight bytes (four below eight bytes, the
    /// first, middle and last below four), folded.
    #[inline(always)]
    fn of(name: &[u8]) -> NameKey {
        let len = name.len();
        let (head, tail) = if len >= 8 {
            (word8(&name[..8]), word8(&name[len - 8..]))
        } else if len >= 4 {
            (word4(&name[..4]), word4(&name[len - 4..]))
        } else if len > 0 {
            let b = |i: usize| u64::from(name[i]);
            (b(0) | b(len / 2) << 8 | b(len - 1) << 16, 0)
        } else {
            (0, 0)
        };
        NameKey {
            head: head | FOLD,
            tail: tail | FOLD,
            len,
        }
    }

    /// The key's first slot (a multiplicative hash).
    #[inline(always)]
    fn slot(&self) -> usize {
        let mixed = (self.head ^ self.tail.rotate_left(29) ^ self.len as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - INDEX_SLOTS.trailing_zeros())) as usize
    }
}

#[inline(always)]
fn word8(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(b);
    u64::from_le_bytes(w)
}

#[inline(always)]
fn word4(b: &[u8]) -> u64 {
    let mut w = [0u8; 4];
    w.copy_from_slice(b);
    u64::from(u32::from_le_bytes(w))
}

/// One slot of the name index.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: NameKey,
    /// The command, with its position in [`all`]; `None` for an empty slot.
    spec: Option<(usize, &'static CommandSpec)>,
    /// A key match must still be confirmed byte by byte: the name is longer than 16
    /// bytes or holds a byte other than a letter.
    confirm: bool,
}

/// Command names to commands: open addressing with linear probing over [`NameKey`]s,
/// built once. Cheaper than a general hash map for the lookup every request makes (no
/// lowercase copy, no byte-wise hash, two word comparisons for most names).
struct NameIndex {
    slots: Box<[Slot; INDEX_SLOTS]>,
    /// The commands by position in [`all`].
    specs: Vec<&'static CommandSpec>,
}

impl NameIndex {
    fn build() -> NameIndex {
        let specs: Vec<&'static CommandSpec> = all().collect();
        assert!(specs.len() <= INDEX_SLOTS / 2, "grow INDEX_SLOTS");
        let empty = Slot {
            key: NameKey::of(b""),
            spec: None,
            confirm: false,
        };
        let mut slots = Box::new([empty; INDEX_SLOTS]);
        for (i, &spec) in specs.iter().enumerate() {
            let name = spec.name.as_bytes();
            let key = NameKey::of(name);
            let mut slot = key.slot();
            while slots[slot].spec.is_some() {
                slot = (slot + 1) & (INDEX_SLOTS - 1);
            }
            slots[slot] = Slot {
                key,
                spec: Some((i, spec)),
                confirm: name.len() > 16 || !name.iter().all(u8::is_ascii_lowercase),
            };
        }
        NameIndex { slots, specs }
    }

    /// The first slot from `slot` on that holds `key`; `None` at an empty slot.
    #[inline(always)]
    fn find(&self, key: &NameKey, mut slot: usize) -> Option<(usize, &Slot)> {
        loop {
            let entry = &self.slots[slot & (INDEX_SLOTS - 1)];
            entry.spec?;
            if entry.key == *key {
                return Some((slot, entry));
            }
            slot = (slot + 1) & (INDEX_SLOTS - 1);
        }
    }

    #[inline]
    fn get(&self, name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
        let key = NameKey::of(name);
        let (slot, entry) = self.find(&key, key.slot())?;
        if entry.confirm {
            return self.get_confirmed(name, &key, slot);
        }
        entry.spec
    }

    /// [`NameIndex::get`] from `slot` on, for keys that may match names that differ
    /// (off the hot path: long names and names with digits, `_` or `-`).
    #[cold]
    #[inline(never)]
    fn get_confirmed(
        &self,
        name: &[u8],
        key: &NameKey,
        mut slot: usize,
    ) -> Option<(usize, &'static CommandSpec)> {
        loop {
            let (at, entry) = self.find(key, slot)?;
            let found = entry.spec?;
            if !entry.confirm || found.1.name.as_bytes().eq_ignore_ascii_case(name) {
                return Some(found);
            }
            slot = (at + 1) & (INDEX_SLOTS - 1);
        }
    }
}

fn name_index() -> &'static NameIndex {
    static INDEX: OnceLock<NameIndex> = OnceLock::new();
    INDEX.get_or_init(NameIndex::build)
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
#[inline]
pub fn lookup_indexed(name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    if name.len() > MAX_NAME_LEN {
        return None;
    }
    name_index().get(name)
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
        Some(Some(index)) => spec_at(*index).map(|spec| (*index, spec)),
        Some(None) => None,
        None => lookup_indexed(name),
    }
}

/// The name of the command at `index` of [`all`].
pub fn name_at(index: usize) -> Option<&'static str> {
    spec_at(index).map(|spec| spec.name)
}

/// The command at `index` of [`all`].
pub fn spec_at(index: usize) -> Option<&'static CommandSpec> {
    name_index().specs.get(index).copied()
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

    #[test]
    fn every_name_is_found_in_any_case_and_near_misses_are_not() {
        for (i, spec) in all().enumerate() {
            let name = spec.name.as_bytes();
            let upper = name.to_ascii_uppercase();
            let mut mixed = name.to_vec();
            for b in mixed.iter_mut().step_by(2) {
                b.make_ascii_uppercase();
            }
            for probe in [name, &upper[..], &mixed[..]] {
                let found = lookup_indexed(probe).map(|(at, s)| (at, s.name));
                assert_eq!(found, Some((i, spec.name)), "{}", spec.name);
            }
            assert_eq!(spec_at(i).map(|s| s.name), Some(spec.name));
            // One byte more, one less, one changed (case folding must not hide it).
            let mut longer = name.to_vec();
            longer.push(b'x');
            let shorter = &name[..name.len() - 1];
            let mut changed = name.to_vec();
            let last = changed.len() - 1;
            changed[last] ^= 0x01;
            // `_` and DEL differ by the bit that makes capitals small.
            let folded: Vec<u8> = name
                .iter()
                .map(|&b| if b == b'_' { 0x7f } else { b })
                .collect();
            for probe in [&longer[..], shorter, &changed[..], &folded[..]] {
                if let Some((_, s)) = lookup_indexed(probe) {
                    assert!(s.name.as_bytes().eq_ignore_ascii_case(probe), "{}", s.name);
                    assert!(probe != &folded[..] || !name.contains(&b'_'), "{}", s.name);
                }
            }
        }
        for probe in [
            &b""[..],
            b"g",
            b"ge",
            b"gett",
            b"get\0",
            b"\xc7et",
            b"_et",
            b"G\x7fT",
        ] {
            assert!(lookup_indexed(probe).is_none(), "{probe:?}");
        }
    }

    #[test]
    fn name_index_probes_stay_short() {
        let index = name_index();
        let longest = all()
            .map(|spec| {
                let key = NameKey::of(spec.name.as_bytes());
                let mut slot = key.slot();
                let mut probes = 1;
                while index.slots[slot].spec.map(|(_, s)| s.name) != Some(spec.name) {
                    slot = (slot + 1) & (INDEX_SLOTS - 1);
                    probes += 1;
                }
                probes
            })
            .max();
        assert!(longest.is_some_and(|n| n <= 8), "{longest:?}");
    }
}
