//! The code of the function libraries (FUNCTION LOAD), kept beside the databases so
//! that snapshots, the RDB and DUMP carry them as Redis's do. The compiled form
//! lives with the Lua engine (`scripting::functions`), which rebuilds itself when
//! [`FunctionLibs::stamp`] moves (a load from disk replaces the store).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Source of stamps: every change of any [`FunctionLibs`] gets a new one, so a
/// replaced store never looks like the one the engine compiled.
static STAMPS: AtomicU64 = AtomicU64::new(1);

/// Library name → its full code (the `#!lua name=...` line included).
#[derive(Debug, Default, Clone)]
pub struct FunctionLibs {
    libs: BTreeMap<String, Vec<u8>>,
    stamp: u64,
}

impl FunctionLibs {
    /// The libraries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.libs.iter().map(|(n, c)| (n.as_str(), c.as_slice()))
    }

    /// Number of libraries.
    pub fn len(&self) -> usize {
        self.libs.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.libs.is_empty()
    }

    /// Identifies the current content (0: never changed).
    pub fn stamp(&self) -> u64 {
        self.stamp
    }

    fn touch(&mut self) {
        self.stamp = STAMPS.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds or replaces a library.
    pub fn insert(&mut self, name: &str, code: &[u8]) {
        self.libs.insert(name.to_string(), code.to_vec());
        self.touch();
    }

    /// Replaces every library.
    pub fn replace_all(&mut self, libs: impl IntoIterator<Item = (String, Vec<u8>)>) {
        self.libs = libs.into_iter().collect();
        self.touch();
    }

    /// Removes a library; true when it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let found = self.libs.remove(name).is_some();
        self.touch();
        found
    }
}
