//! One value of a given RDB type, built element by element through the store's
//! constructors (so it takes the encoding rudis's limits give it), and RESTORE's
//! payload check.

use std::io::Read;

use super::crc64::crc64;
use super::input::{Input, Str};
use super::packed::{self, OwnedItem};
use super::{LoadError, RDB_MAX_READ_VERSION, ty};
use crate::config::EncodingLimits;
use crate::store::list::{Item, List, Side};
use crate::store::set::Set;
use crate::store::{Value, hash::Hash, zset::ZSet};

/// The name of an RDB value type, for messages.
pub(crate) fn type_name(t: u8) -> &'static str {
    match t {
        ty::STRING => "string",
        ty::LIST | ty::LIST_ZIPLIST | ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => "list",
        ty::SET | ty::SET_INTSET | ty::SET_LISTPACK => "set",
        ty::ZSET | ty::ZSET_2 | ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => "zset",
        ty::HASH | ty::HASH_ZIPMAP | ty::HASH_ZIPLIST | ty::HASH_LISTPACK => "hash",
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | ty::STREAM_LISTPACKS_3 => "stream",
        ty::MODULE_PRE_GA | ty::MODULE_2 => "module",
        _ => "unknown",
    }
}

/// Builds values with the server's encoding limits.
struct Build<'l> {
    limits: &'l EncodingLimits,
}

impl Build<'_> {
    fn list_push(&self, list: &mut List, item: Item<'_>) {
        list.push_item(Side::Right, item, self.limits.list_limit());
    }

    fn set_add(&self, set: &mut Set, member: Item<'_>) -> Result<(), String> {
        if set.insert_member(member, &self.limits.set_limits()) {
            Ok(())
        } else {
            Err("duplicate set member".into())
        }
    }

    fn hash_add(&self, hash: &mut Hash, field: &[u8], value: &[u8]) -> Result<(), String> {
        if hash.insert(field, value, self.limits.hash_limits()) {
            Ok(())
        } else {
            Err("duplicate hash field".into())
        }
    }

    fn zset_add(&self, zset: &mut ZSet, member: &[u8], score: f64) -> Result<(), String> {
        if score.is_nan() {
            return Err("sorted set score is not a number".into());
        }
        match zset.insert(member, score, self.limits.zset_limits()) {
            None => Ok(()),
            Some(_) => Err("duplicate sorted set member".into()),
        }
    }
}

/// A score of a packed sorted set: an integer entry, or a number's text.
fn packed_score(e: OwnedItem<'_>) -> Result<f64, String> {
    match e {
        OwnedItem::Int(n) => Ok(n as f64),
        OwnedItem::Str(s) => {
            parse_score(s).ok_or_else(|| "sorted set score is not a number".into())
        }
    }
}

fn parse_score(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse::<f64>().ok()
}

/// Reads a value of RDB type `t`; `None` for an empty collection (Redis skips those
/// keys when loading a file and refuses them in RESTORE).
pub(crate) fn read_object<R: Read>(
    input: &mut Input<R>,
    t: u8,
    limits: &EncodingLimits,
) -> Result<Option<Value>, LoadError> {
    let b = Build { limits };
    let value = match t {
        ty::STRING => match input.string()? {
            Str::Int(n) => Value::Int(n),
            Str::Bytes(bytes) => Value::from_bytes(&bytes),
        },
        ty::LIST => {
            let n = input.len()?;
            let mut list = Box::<List>::default();
            for _ in 0..n {
                match input.string()? {
                    Str::Int(v) => b.list_push(&mut list, Item::Int(v)),
                    Str::Bytes(s) => b.list_push(&mut list, Item::from_bytes(&s)),
                }
            }
            Value::List(list)
        }
        ty::SET => {
            let n = input.len()?;
            let mut set = Box::<Set>::default();
            for _ in 0..n {
                let r = match input.string()? {
                    Str::Int(v) => b.set_add(&mut set, Item::Int(v)),
                    Str::Bytes(s) => b.set_add(&mut set, Item::Str(&s)),
                };
                r.map_err(|e| input.corrupt(e))?;
            }
            Value::Set(set)
        }
        ty::ZSET | ty::ZSET_2 => {
            let n = input.len()?;
            let mut zset = Box::<ZSet>::default();
            for _ in 0..n {
                let member = input.string_bytes()?;
                let score = if t == ty::ZSET_2 {
                    f64::from_le_bytes(input.array()?)
                } else {
                    read_text_double(input)?
                };
                b.zset_add(&mut zset, &member, score)
                    .map_err(|e| input.corrupt(e))?;
            }
            Value::ZSet(zset)
        }
        ty::HASH => {
            let n = input.len()?;
            let mut hash = Box::<Hash>::default();
            for _ in 0..n {
                let field = input.string_bytes()?;
                let value = input.string_bytes()?;
                b.hash_add(&mut hash, &field, &value)
                    .map_err(|e| input.corrupt(e))?;
            }
            Value::Hash(hash)
        }
        ty::LIST_QUICKLIST | ty::LIST_QUICKLIST_2 => {
            let n = input.len()?;
            let mut list = Box::<List>::default();
            for _ in 0..n {
                let container = if t == ty::LIST_QUICKLIST_2 {
                    input.len()?
                } else {
                    2
                };
                let blob = input.string_bytes()?;
                let r = match container {
                    1 => {
                        b.list_push(&mut list, Item::from_bytes(&blob));
                        Ok(())
                    }
                    2 if t == ty::LIST_QUICKLIST_2 => packed::listpack(&blob, |e| {
                        b.list_push(&mut list, item(e));
                        Ok(())
                    }),
                    2 => packed::ziplist(&blob, |e| {
                        b.list_push(&mut list, item(e));
                        Ok(())
                    }),
                    _ => Err(format!("unknown quicklist node container {container}")),
                };
                r.map_err(|e| input.corrupt(e))?;
            }
            Value::List(list)
        }
        ty::LIST_ZIPLIST => {
            let blob = input.string_bytes()?;
            let mut list = Box::<List>::default();
            packed::ziplist(&blob, |e| {
                b.list_push(&mut list, item(e));
                Ok(())
            })
            .map_err(|e| input.corrupt(e))?;
            Value::List(list)
        }
        ty::SET_INTSET | ty::SET_LISTPACK => {
            let blob = input.string_bytes()?;
            let mut set = Box::<Set>::default();
            let r = if t == ty::SET_INTSET {
                packed::intset(&blob, |v| b.set_add(&mut set, Item::Int(v)))
            } else {
                packed::listpack(&blob, |e| match e {
                    OwnedItem::Int(v) => b.set_add(&mut set, Item::Int(v)),
                    OwnedItem::Str(s) => b.set_add(&mut set, Item::Str(s)),
                })
            };
            r.map_err(|e| input.corrupt(e))?;
            Value::Set(set)
        }
        ty::ZSET_ZIPLIST | ty::ZSET_LISTPACK => {
            let blob = input.string_bytes()?;
            let mut zset = Box::<ZSet>::default();
            let mut member: Option<Vec<u8>> = None;
            let r = walk(t == ty::ZSET_LISTPACK, &blob, |e| match member.take() {
                None => {
                    member = Some(e.to_vec());
                    Ok(())
                }
                Some(m) => b.zset_add(&mut zset, &m, packed_score(e)?),
            });
            r.and_then(|()| pair_complete(member.is_none()))
                .map_err(|e| input.corrupt(e))?;
            Value::ZSet(zset)
        }
        ty::HASH_ZIPLIST | ty::HASH_LISTPACK | ty::HASH_ZIPMAP => {
            let blob = input.string_bytes()?;
            let mut hash = Box::<Hash>::default();
            let r = if t == ty::HASH_ZIPMAP {
                packed::zipmap(&blob, |f, v| b.hash_add(&mut hash, f, v))
            } else {
                let mut field: Option<Vec<u8>> = None;
                walk(t == ty::HASH_LISTPACK, &blob, |e| match field.take() {
                    None => {
                        field = Some(e.to_vec());
                        Ok(())
                    }
                    Some(f) => b.hash_add(&mut hash, &f, &e.to_vec()),
                })
                .and_then(|()| pair_complete(field.is_none()))
            };
            r.map_err(|e| input.corrupt(e))?;
            Value::Hash(hash)
        }
        ty::STREAM_LISTPACKS | ty::STREAM_LISTPACKS_2 | ty::STREAM_LISTPACKS_3 => {
            // A stream may be empty (its groups remain).
            return super::stream::read_stream(input, t).map(Some);
        }
        ty::MODULE_PRE_GA | ty::MODULE_2 => {
            return Err(input.corrupt(format!(
                "module values (RDB type {t}) cannot be loaded: rudis has no modules"
            )));
        }
        _ => return Err(input.corrupt(format!("unknown value type {t}"))),
    };
    Ok((value.elements() > 0).then_some(value))
}

/// A list item from a packed element.
fn item(e: OwnedItem<'_>) -> Item<'_> {
    match e {
        OwnedItem::Int(v) => Item::Int(v),
        OwnedItem::Str(s) => Item::from_bytes(s),
    }
}

/// Walks a listpack (`listpack`) or a ziplist.
fn walk(
    listpack: bool,
    blob: &[u8],
    f: impl FnMut(OwnedItem<'_>) -> packed::Result<()>,
) -> packed::Result<()> {
    if listpack {
        packed::listpack(blob, f)
    } else {
        packed::ziplist(blob, f)
    }
}

fn pair_complete(complete: bool) -> packed::Result<()> {
    if complete {
        Ok(())
    } else {
        Err("odd number of entries in a packed hash or sorted set".into())
    }
}

/// A score of the old ZSET type: a length byte (253 NaN, 254 +inf, 255 -inf) and text.
fn read_text_double<R: Read>(input: &mut Input<R>) -> Result<f64, LoadError> {
    match input.byte()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => {
            let text = input.bytes(u64::from(n))?;
            parse_score(&text).ok_or_else(|| input.corrupt("sorted set score is not a number"))
        }
    }
}

/// Why RESTORE refuses a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    /// Too short, from a newer RDB version, or a checksum mismatch
    /// (`ERR DUMP payload version or checksum are wrong`).
    VersionOrChecksum,
    /// The value does not decode (`ERR Bad data format`); the reason is for logs.
    BadFormat(String),
}

/// Decodes a DUMP payload (value type, value, RDB version as 2 bytes little endian,
/// CRC-64 of everything before it as 8 bytes little endian) into a value, checking
/// the version (at most [`RDB_MAX_READ_VERSION`]) and the checksum first, as Redis's
/// `verifyDumpPayload`. Bytes after the value are ignored, as Redis does.
/// # Errors
/// [`RestoreError`] as Redis's RESTORE replies.
pub fn restore_payload(payload: &[u8], limits: &EncodingLimits) -> Result<Value, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::VersionOrChecksum);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_MAX_READ_VERSION {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc) {
        return Err(RestoreError::VersionOrChecksum);
    }
    let mut input = Input::new(body);
    let bad = |e: LoadError| RestoreError::BadFormat(e.to_string());
    let t = input.byte().map_err(bad)?;
    match read_object(&mut input, t, limits).map_err(bad)? {
        Some(value) => Ok(value),
        None => Err(RestoreError::BadFormat("empty collection".into())),
    }
}

/// The library codes of a FUNCTION DUMP payload, checked as Redis's FUNCTION RESTORE
/// (`verifyDumpPayload`, then function opcodes only).
/// # Errors
/// Redis's texts: `DUMP payload version or checksum are wrong`,
/// `given type is not a function`, `can not read data type`.
pub fn functions_from_payload(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let wrong = || "DUMP payload version or checksum are wrong".to_string();
    if payload.len() < 10 {
        return Err(wrong());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if version > RDB_MAX_READ_VERSION
        || crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc)
    {
        return Err(wrong());
    }
    let mut input = Input::new(body);
    let mut codes = Vec::new();
    while (input.pos as usize) < body.len() {
        let t = input
            .byte()
            .map_err(|_| "can not read data type".to_string())?;
        if t != super::ty::OP_FUNCTION2 {
            return Err("given type is not a function".into());
        }
        let code = input
            .string_bytes()
            .map_err(|_| "failed loading the given functions payload".to_string())?;
        codes.push(code);
    }
    Ok(codes)
}
