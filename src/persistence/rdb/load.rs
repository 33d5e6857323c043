//! Loading an RDB file into the store: the opcode loop of Redis's
//! `rdbLoadRioWithLoadingCtx`, one key at a time.

use std::io::Read;

use log::{info, warn};

use super::input::Input;
use super::object::{read_object, type_name};
use super::{LoadError, LoadOptions, LoadStats, RDB_MAX_READ_VERSION, ty};
use crate::persistence::repl_info::ReplAux;
use crate::store::Store;

/// The module name a 64-bit module type id encodes (Redis's `moduleTypeNameByID`).
fn module_name(id: u64) -> String {
    const SYMBOLS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = id >> 10;
    let mut name = [b'?'; 9];
    for slot in name.iter_mut().rev() {
        *slot = SYMBOLS[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// Reads an RDB file (versions 1 to 11) from `input` into `store`, skipping keys
/// expired at `options.now`. Nothing in the file can make it panic or allocate
/// far beyond what it has read.
/// # Errors
/// [`LoadError::Io`] when reading fails; [`LoadError::Corrupt`] for a file that is
/// not an intact RDB file, or holds what rudis cannot load (streams, modules).
pub fn read_store<R: Read>(
    input: R,
    store: &mut Store,
    options: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    let mut input = Input::new(input);
    let magic: [u8; 9] = input.array()?;
    if &magic[..5] != b"REDIS" || !magic[5..].iter().all(u8::is_ascii_digit) {
        return Err(LoadError::Corrupt {
            offset: 0,
            reason: "not an RDB file (bad magic)".into(),
        });
    }
    let version: u16 = magic[5..]
        .iter()
        .fold(0, |v, d| v * 10 + u16::from(d - b'0'));
    if version == 0 || version > RDB_MAX_READ_VERSION {
        return Err(LoadError::Corrupt {
            offset: 5,
            reason: format!(
                "RDB format version {version}, this server reads 1 to {RDB_MAX_READ_VERSION}"
            ),
        });
    }
    let mut stats = LoadStats::default();
    let mut db = 0usize;
    let mut expire_at: Option<i64> = None;
    let mut repl = ReplAux::default();
    loop {
        let op = input.byte()?;
        match op {
            ty::OP_EXPIRETIME => {
                expire_at = Some(i64::from(i32::from_le_bytes(input.array()?)) * 1000);
            }
            ty::OP_EXPIRETIME_MS => expire_at = Some(i64::from_le_bytes(input.array()?)),
            ty::OP_FREQ => {
                input.byte()?;
            }
            ty::OP_IDLE => {
                input.len()?;
            }
            ty::OP_EOF => break,
            ty::OP_SELECTDB => {
                let index = input.len()?;
                if index >= store.db_count() as u64 {
                    return Err(input.corrupt(format!(
                        "database {index} but the server has {} (databases)",
                        store.db_count()
                    )));
                }
                db = index as usize;
            }
            ty::OP_RESIZEDB => {
                input.len()?;
                input.len()?;
            }
            ty::OP_AUX => {
                let key = input.string_bytes()?;
                let value = input.string_bytes()?;
                if repl.take(&key, &value) {
                    // The replication position, kept below.
                } else if key == b"redis-ver" {
                    info!(
                        "Loading RDB produced by version {}",
                        String::from_utf8_lossy(&value)
                    );
                }
            }
            ty::OP_MODULE_AUX => {
                let id = input.len()?;
                return Err(input.corrupt(format!(
                    "the RDB file contains AUX data of module '{}': rudis has no modules",
                    module_name(id)
                )));
            }
            ty::OP_FUNCTION_PRE_GA => {
                return Err(input.corrupt("pre-release function format not supported"));
            }
            ty::OP_FUNCTION2 => {
                let code = input.string_bytes()?;
                let name = library_name(&code)
                    .ok_or_else(|| input.corrupt("function library without a name"))?;
                store.functions.insert(&name, &code);
            }
            t => {
                let key = input.string_bytes()?;
                let value = read_object(&mut input, t, &options.limits).map_err(|e| match e {
                    LoadError::Corrupt { offset, reason } => LoadError::Corrupt {
                        offset,
                        reason: format!(
                            "{reason} (key '{}', {} value)",
                            String::from_utf8_lossy(&key),
                            type_name(t)
                        ),
                    },
                    io => io,
                })?;
                let at = expire_at.take();
                let Some(value) = value else {
                    continue; // An empty collection: Redis skips it too.
                };
                if at.is_some_and(|at| at <= options.now) {
                    stats.expired += 1;
                    continue;
                }
                let target = store.db(db);
                if !options.merge && target.position(&key).is_some() {
                    return Err(
                        input.corrupt(format!("duplicate key '{}'", String::from_utf8_lossy(&key)))
                    );
                }
                target.insert(&key, value, at.unwrap_or(0));
                stats.loaded += 1;
                options.key_delay();
            }
        }
    }
    if version >= 5 {
        let expected = input.crc;
        let stored = u64::from_le_bytes(input.array()?);
        if stored == 0 {
            warn!("RDB file was saved with checksum disabled: no check performed.");
        } else if stored != expected {
            return Err(input.corrupt("wrong RDB checksum"));
        }
    }
    stats.repl = repl.finish();
    Ok(stats)
}

/// The library name of a function library's `#!lua name=...` line.
fn library_name(code: &[u8]) -> Option<String> {
    let line = code.split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    line.split_ascii_whitespace()
        .find_map(|p| p.strip_prefix("name=").map(str::to_string))
}
