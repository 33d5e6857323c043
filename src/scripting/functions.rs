//! Compiled function libraries (Redis 7's functions.c and function_lua.c): a Lua
//! interpreter of their own, the libraries by name, and their functions by name
//! (names compare without case, as Redis's dictionaries). The code itself is kept in
//! the store ([`crate::store::functions::FunctionLibs`]) so that it is saved with
//! the data; [`Functions::sync`] recompiles from it when it changed underneath
//! (a load from disk, FUNCTION RESTORE).

use std::collections::BTreeMap;
use std::time::Duration;

use super::engine::{Engine, Registered};
use crate::store::functions::FunctionLibs;

/// How long a library's code may run at FUNCTION LOAD (Redis's `LOAD_TIMEOUT_MS`).
pub const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// One function of a library.
#[derive(Debug)]
pub struct FunctionInfo {
    /// Its name, as registered.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// Its flags, in Redis's order.
    pub flags: Vec<String>,
    pub(crate) callback: mlua::Function,
}

impl FunctionInfo {
    /// True when declared `no-writes`.
    pub fn no_writes(&self) -> bool {
        self.flags.iter().any(|f| f == "no-writes")
    }

    /// True when declared `allow-oom`.
    pub fn allow_oom(&self) -> bool {
        self.flags.iter().any(|f| f == "allow-oom")
    }
}

/// A loaded library.
#[derive(Debug)]
pub struct Library {
    /// Its name, from `#!lua name=...`.
    pub name: String,
    /// Its whole code.
    pub code: Vec<u8>,
    /// Its functions in registration order.
    pub functions: Vec<FunctionInfo>,
}

/// Every loaded library, compiled.
#[derive(Default)]
pub struct Functions {
    /// The functions' interpreter; `None` until first needed, and while a function runs.
    pub(crate) engine: Option<Engine>,
    /// Libraries by lowercase name.
    libs: BTreeMap<String, Library>,
    /// The store content these were compiled from.
    stamp: u64,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Functions")
            .field("libraries", &self.libs.len())
            .finish()
    }
}

/// What a `#!lua name=...` first line declares: engine, library name, and the code
/// after the line (its newline kept, so line numbers stay the user's).
fn metadata(code: &[u8]) -> Result<(String, String, &[u8]), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Missing library metadata".into());
    };
    let line = String::from_utf8_lossy(&code[..end]);
    let parts = split_args(&line);
    let mut parts = parts.iter().map(String::as_str);
    let engine = parts
        .next()
        .map(|e| e.trim_start_matches("#!").to_string())
        .ok_or("Invalid library metadata")?;
    let mut name = None;
    for part in parts {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_string());
            continue;
        }
        return Err(format!("Invalid metadata value given: {part}"));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok((engine, name, &code[end..]))
}

/// Splits a line into words as Redis's `sdssplitargs` does for the simple cases:
/// spaces separate, double or single quotes group (and are dropped).
fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_ascii_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Redis's `functionsVerifyName`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Functions {
    fn engine(&mut self) -> Result<&Engine, String> {
        if self.engine.is_none() {
            self.engine = Some(Engine::new_functions().map_err(|e| e.to_string())?);
        }
        self.engine
            .as_ref()
            .ok_or_else(|| "the Lua interpreter is busy".to_string())
    }

    /// Compiles and runs `code`, checking it as FUNCTION LOAD does, and returns the
    /// library (not yet linked).
    fn create(&mut self, code: &[u8], timeout: Option<Duration>) -> Result<Library, String> {
        let (engine, name, body) = metadata(code)?;
        if !valid_name(&name) {
            return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
        }
        if !engine.eq_ignore_ascii_case("lua") {
            return Err(format!("Engine '{engine}' not found"));
        }
        let lua = self.engine()?;
        let f = lua
            .compile_library(body)
            .map_err(|e| format!("Error compiling function: {e}"))?;
        let registered = lua
            .load_library(&f, timeout)
            .map_err(|e| format!("Error registering functions: {e}"))?;
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        let functions = registered
            .into_iter()
            .map(|r: Registered| FunctionInfo {
                name: r.name,
                description: r.description,
                flags: r.flags,
                callback: r.callback,
            })
            .collect();
        Ok(Library {
            name,
            code: code.to_vec(),
            functions,
        })
    }

    /// FUNCTION LOAD: loads `code` (replacing a library of the same name when
    /// `replace`) and records it in `store`; the library's name, or Redis's error
    /// text (without `ERR `).
    pub fn load(
        &mut self,
        store: &mut FunctionLibs,
        code: &[u8],
        replace: bool,
        timeout: Option<Duration>,
    ) -> Result<String, String> {
        self.sync(store);
        let lib = self.create(code, timeout)?;
        let key = lib.name.to_ascii_lowercase();
        if !replace && self.libs.contains_key(&key) {
            return Err(format!("Library '{}' already exists", lib.name));
        }
        for f in &lib.functions {
            if let Some(other) = self.library_of(&f.name)
                && other.to_ascii_lowercase() != key
            {
                return Err(format!("Function {} already exists", f.name));
            }
        }
        let name = lib.name.clone();
        if let Some(old) = self.libs.get(&key) {
            store.remove(&old.name.clone());
        }
        store.insert(&name, code);
        self.libs.insert(key, lib);
        self.stamp = store.stamp();
        Ok(name)
    }

    /// FUNCTION DELETE: true when the library existed.
    pub fn delete(&mut self, store: &mut FunctionLibs, name: &str) -> bool {
        self.sync(store);
        let Some(lib) = self.libs.remove(&name.to_ascii_lowercase()) else {
            return false;
        };
        store.remove(&lib.name);
        self.stamp = store.stamp();
        true
    }

    /// FUNCTION FLUSH: drops every library and starts a fresh interpreter.
    pub fn flush(&mut self, store: &mut FunctionLibs) {
        store.replace_all(Vec::new());
        self.libs.clear();
        self.engine = None;
        self.stamp = store.stamp();
    }

    /// FUNCTION RESTORE: loads `codes` into a fresh set (`flush`), or next to the
    /// current libraries, replacing same-named ones when `replace`; nothing changes
    /// on error.
    pub fn restore(
        &mut self,
        store: &mut FunctionLibs,
        codes: &[Vec<u8>],
        flush: bool,
        replace: bool,
    ) -> Result<(), String> {
        self.sync(store);
        let mut next: Vec<(String, Vec<u8>)> = if flush {
            Vec::new()
        } else {
            store
                .iter()
                .map(|(n, c)| (n.to_string(), c.to_vec()))
                .collect()
        };
        let mut scratch = Functions::default();
        let mut new_libs = Vec::new();
        for code in codes {
            let lib = scratch.create(code, None)?;
            new_libs.push(lib);
        }
        for lib in &new_libs {
            let clash = next
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(&lib.name));
            match clash {
                Some(i) if replace => {
                    next.remove(i);
                }
                Some(_) => return Err(format!("Library {} already exists", lib.name)),
                None => {}
            }
            next.push((lib.name.clone(), lib.code.clone()));
        }
        // Check function names across the result by compiling it whole.
        let mut trial = Functions::default();
        let mut trial_store = FunctionLibs::default();
        for (_, code) in &next {
            trial.load(&mut trial_store, code, false, None)?;
        }
        store.replace_all(next);
        trial.stamp = store.stamp();
        *self = trial;
        Ok(())
    }

    /// Recompiles every library from `store` if it changed underneath (loaded from
    /// disk); a library that no longer loads is dropped with a warning.
    pub fn sync(&mut self, store: &FunctionLibs) {
        if self.stamp == store.stamp() {
            return;
        }
        let mut fresh = Functions::default();
        let mut scratch = FunctionLibs::default();
        for (name, code) in store.iter() {
            if let Err(e) = fresh.load(&mut scratch, code, false, None) {
                log::warn!("function library '{name}' could not be loaded: {e}");
            }
        }
        fresh.stamp = store.stamp();
        *self = fresh;
    }

    /// The libraries, by name.
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libs.values()
    }

    /// The library holding function `name` (any case).
    fn library_of(&self, name: &str) -> Option<&str> {
        self.libs.values().find_map(|l| {
            l.functions
                .iter()
                .any(|f| f.name.eq_ignore_ascii_case(name))
                .then_some(l.name.as_str())
        })
    }

    /// Function `name` (any case).
    pub fn function(&self, name: &[u8]) -> Option<&FunctionInfo> {
        self.libs
            .values()
            .flat_map(|l| l.functions.iter())
            .find(|f| f.name.as_bytes().eq_ignore_ascii_case(name))
    }

    /// Number of functions.
    pub fn function_count(&self) -> usize {
        self.libs.values().map(|l| l.functions.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lines() {
        let (e, n, body) = metadata(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!(
            (e.as_str(), n.as_str(), body),
            ("lua", "mylib", &b"\nreturn 1"[..])
        );
        assert_eq!(
            metadata(b"return 1").unwrap_err(),
            "Missing library metadata"
        );
        assert_eq!(
            metadata(b"#!lua name=a name=b\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(
            metadata(b"#!lua foo=bar\n").unwrap_err(),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            metadata(b"#!lua\n").unwrap_err(),
            "Library name was not given"
        );
    }

    #[test]
    fn load_registers_and_finds_case_insensitively() {
        let mut f = Functions::default();
        let mut store = FunctionLibs::default();
        let code =
            b"#!lua name=lib\nredis.register_function('Hello', function(keys, args) return 1 end)";
        assert_eq!(f.load(&mut store, code, false, None).unwrap(), "lib");
        assert!(f.function(b"hello").is_some());
        assert_eq!(store.len(), 1);
        let again = f.load(&mut store, code, false, None).unwrap_err();
        assert_eq!(again, "Library 'lib' already exists");
        let empty = f
            .load(&mut store, b"#!lua name=x\nlocal a = 1", false, None)
            .unwrap_err();
        assert_eq!(empty, "No functions registered");
    }
}
