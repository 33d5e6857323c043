//! Redis's RDB format, both ways: the codec that lets a `dump.rdb` move between
//! Redis and rudis, and the value encoding of DUMP and RESTORE.
//!
//! - [`read`] loads what Redis 2.6 to 7.2 write (RDB versions 1 to 11) from any
//!   `io::Read`, building each value as it goes: the plain types, LZF and integer
//!   strings, ziplists, zipmaps, intsets, listpacks and quicklists (1 and 2).
//!   Streams of every version (RDB types 15, 19 and 21, see `stream`). Modules and
//!   the pre-release function format are refused with a message that names them;
//!   function libraries are skipped with a warning.
//! - [`write`] writes version 10 (what Redis 7.0 writes and loads) into any
//!   `io::Write`, walking the store: strings (integer-encoded or LZF-compressed when
//!   that is shorter, as Redis does), lists as `RDB_TYPE_LIST`, sets as
//!   `RDB_TYPE_SET`, hashes as `RDB_TYPE_HASH`, sorted sets as `RDB_TYPE_ZSET_2`,
//!   streams as `RDB_TYPE_STREAM_LISTPACKS_2` (with their consumer groups).
//!   A document becomes its RESP bytes in a string.
//! - Every length in a file is bounded by what is actually read: nothing is
//!   allocated from a length the file claims beyond a small cap, and a corrupt or
//!   truncated file is an error, never a panic.
//!
//! Layout: [`crc64`] (the checksum), [`lzf`] (string compression), `input` (length
//! and string decoding over a counting, checksumming reader), `packed` (ziplist,
//! listpack, intset, zipmap), `object` (a value of a given type), `load` (the file),
//! `write` (the writer and DUMP payloads).

pub mod crc64;
mod input;
mod load;
pub mod lzf;
mod object;
mod packed;
pub mod stream;
mod write;

pub use crate::persistence::format::{LoadError, LoadOptions, LoadStats};
pub use load::read_store;
pub use object::{RestoreError, functions_from_payload, restore_payload};
pub use stream::stream_from_body;
pub use write::{WriteStats, Writer, dump_payload, functions_payload, stream_body, write_store};

/// The RDB version this writer produces and DUMP stamps (Redis 7.0's `RDB_VERSION`).
pub const RDB_VERSION: u16 = 10;
/// The newest RDB version the reader understands (Redis 7.2's).
pub const RDB_MAX_READ_VERSION: u16 = 11;

/// Value types and opcodes (Redis's rdb.h).
pub(crate) mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;

    pub const OP_FUNCTION2: u8 = 245;
    pub const OP_FUNCTION_PRE_GA: u8 = 246;
    pub const OP_MODULE_AUX: u8 = 247;
    pub const OP_IDLE: u8 = 248;
    pub const OP_FREQ: u8 = 249;
    pub const OP_AUX: u8 = 250;
    pub const OP_RESIZEDB: u8 = 251;
    pub const OP_EXPIRETIME_MS: u8 = 252;
    pub const OP_EXPIRETIME: u8 = 253;
    pub const OP_SELECTDB: u8 = 254;
    pub const OP_EOF: u8 = 255;
}

/// True when `first_bytes` (at least the first 9 bytes of a file) start like an
/// RDB file: `REDIS` and a four-digit version.
pub fn is_rdb(first_bytes: &[u8]) -> bool {
    first_bytes.len() >= 9
        && &first_bytes[..5] == b"REDIS"
        && first_bytes[5..9].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests;
