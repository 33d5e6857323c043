//! The snapshot file format: the only code that knows it, so it can be swapped here.
//!
//! Not Redis's RDB: serde records encoded by bincode 2 (standard configuration).
//! - The file starts with [`MAGIC`] and [`VERSION`] (u32, little endian).
//! - Then frames: a body length (u64, little endian) and one bincode-encoded
//!   [`Record`]. A frame longer than what remains of the file is refused before
//!   anything is allocated, and each record is decoded *borrowed* from its frame, so
//!   no length inside a record can reach past the frame either (bincode checks
//!   borrowed lengths against the slice; sequences preallocate at most 1 MB).
//! - A key is one `Key` record (key, absolute expiry in Unix ms or 0, the value or,
//!   for a collection, its element count), followed for a collection by chunk records
//!   of at most [`CHUNK`] elements: no frame holds a whole big collection, and the
//!   writer streams frames into its `Write` (a `BufWriter` over the file).
//! - `Aux` records (name, value) describe the file, as the RDB's AUX fields: the
//!   replication position (`repl-stream-db`, `repl-id`, `repl-offset`) comes first.
//! - `Db` records switch database; `End` closes the file with the number of keys and
//!   a checksum of all earlier frames, so a truncated or altered file is refused.
//!
//! Loading rebuilds every value through the store's ordinary constructors (the
//! encodings follow the current `EncodingLimits`) and skips keys already expired.

mod decode;

use std::io::{self, Write};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::persistence::ReplInfo;
use crate::store::list::Item;
use crate::store::{Store, Value};

pub use decode::{LoadError, LoadOptions, LoadStats, read_store};

/// First bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"RUDISNAP";
/// Format version after the magic; a file of another version is refused.
pub const VERSION: u32 = 1;
/// Elements per chunk record: small enough that a frame of a big collection stays
/// a few KB to a few MB, large enough that per-frame costs vanish.
pub const CHUNK: usize = 1024;
/// Bytes of a stream body per record: frames stay small whatever the stream's size.
const STREAM_CHUNK: usize = 256 * 1024;
/// Scratch capacity kept between frames; a larger buffer (a huge string) is freed
/// after its frame instead of being held for the rest of the save.
const SCRATCH_KEEP: usize = 1 << 20;
/// Bytes before the first frame: magic and version.
const HEADER_LEN: u64 = MAGIC.len() as u64 + 4;
/// Starting value of the checksum.
const SUM_SEED: u64 = 0xCBF2_9CE4_8422_2325;

/// Bytes that serialize as one length-prefixed blob (serde's `&[u8]` would be a
/// sequence of single bytes) and deserialize borrowed from the frame.
#[derive(Debug, Clone, Copy)]
struct Blob<'a>(&'a [u8]);

impl Serialize for Blob<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Blob<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de [u8]>::deserialize(d).map(Blob)
    }
}

/// A list or set element: integers stay integers.
#[derive(Debug, Serialize, Deserialize)]
enum OwnedItem<'a> {
    Int(i64),
    Bytes(#[serde(borrow)] Blob<'a>),
}

/// A key's value, or the element count of a collection whose chunks follow.
#[derive(Debug, Serialize, Deserialize)]
enum Head<'a> {
    Str(#[serde(borrow)] Blob<'a>),
    Int(i64),
    Doc(#[serde(borrow)] Blob<'a>),
    List(u64),
    Hash(u64),
    Set(u64),
    ZSet(u64),
    /// A stream: its RDB body's length in bytes, in `Bytes` chunks that follow.
    Stream(u64),
}

/// One frame's content.
#[derive(Debug, Serialize, Deserialize)]
enum Record<'a> {
    /// The following keys belong to this database.
    Db(u32),
    /// A key.
    Key {
        #[serde(borrow)]
        key: Blob<'a>,
        /// Absolute expiry in Unix ms; 0 = none.
        expire_at: i64,
        #[serde(borrow)]
        value: Head<'a>,
    },
    /// Elements of the open list or set.
    Items(#[serde(borrow)] Vec<OwnedItem<'a>>),
    /// Fields and values of the open hash.
    Pairs(#[serde(borrow)] Vec<(Blob<'a>, Blob<'a>)>),
    /// Members and scores of the open sorted set.
    Scored(#[serde(borrow)] Vec<(Blob<'a>, f64)>),
    /// Bytes of the open stream's body (Redis's RDB stream encoding).
    Bytes(#[serde(borrow)] Blob<'a>),
    /// The end: how many keys the file holds, and the checksum of all earlier frames.
    End { keys: u64, checksum: u64 },
    /// A function library: its name and code (FUNCTION LOAD).
    Function {
        #[serde(borrow)]
        name: Blob<'a>,
        #[serde(borrow)]
        code: Blob<'a>,
    },
    /// A named property of the file, as the RDB's AUX fields (the replication
    /// position: `repl-stream-db`, `repl-id`, `repl-offset`). A reader skips the
    /// names it does not know. Added after the first files of version 1 were
    /// written: older readers refuse a file that has one, newer ones read both.
    Aux {
        #[serde(borrow)]
        key: Blob<'a>,
        #[serde(borrow)]
        value: Blob<'a>,
    },
}

fn bincode_config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Folds `bytes` into checksum `h`: FNV-1a's multiply over 8-byte words, with a
/// rotation for diffusion. Each step is a bijection of the state, so changing any
/// single byte always changes the result. Detects corruption; not cryptographic.
fn checksum(mut h: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(PRIME)
            .rotate_left(29);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME).rotate_left(29);
    }
    h
}

/// Writes a snapshot frame by frame into `out`.
#[derive(Debug)]
pub struct Encoder<W: Write> {
    out: W,
    scratch: Vec<u8>,
    sum: u64,
    keys: u64,
}

impl<W: Write> Encoder<W> {
    /// Starts a snapshot: writes the magic and version.
    pub fn new(mut out: W) -> io::Result<Encoder<W>> {
        out.write_all(&MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        Ok(Encoder {
            out,
            scratch: Vec::new(),
            sum: SUM_SEED,
            keys: 0,
        })
    }

    fn frame(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.scratch.clear();
        bincode::serde::encode_into_std_write(record, &mut self.scratch, bincode_config())
            .map_err(io::Error::other)?;
        let len = (self.scratch.len() as u64).to_le_bytes();
        self.sum = checksum(checksum(self.sum, &len), &self.scratch);
        self.out.write_all(&len)?;
        self.out.write_all(&self.scratch)?;
        if self.scratch.capacity() > SCRATCH_KEEP {
            self.scratch = Vec::new();
        }
        Ok(())
    }

    /// A function library.
    pub fn function(&mut self, name: &str, code: &[u8]) -> io::Result<()> {
        self.frame(&Record::Function {
            name: Blob(name.as_bytes()),
            code: Blob(code),
        })
    }

    /// A named property of the file (an `Aux` record).
    pub fn aux(&mut self, key: &str, value: &str) -> io::Result<()> {
        self.frame(&Record::Aux {
            key: Blob(key.as_bytes()),
            value: Blob(value.as_bytes()),
        })
    }

    /// Starts database `db`: the following keys belong to it.
    pub fn select(&mut self, db: usize) -> io::Result<()> {
        let db = u32::try_from(db).map_err(io::Error::other)?;
        self.frame(&Record::Db(db))
    }

    /// Writes one key with its value and expiry (absolute Unix ms, 0 = none).
    pub fn key(&mut self, key: &[u8], value: &Value, expire_at: i64) -> io::Result<()> {
        self.keys += 1;
        let head = match value {
            Value::Str(s) => Head::Str(Blob(s)),
            Value::Int(n) => Head::Int(*n),
            Value::Doc(d) => Head::Doc(Blob(d)),
            Value::List(l) => Head::List(l.len() as u64),
            Value::Hash(h) => Head::Hash(h.len() as u64),
            Value::Set(s) => Head::Set(s.len() as u64),
            Value::ZSet(z) => Head::ZSet(z.len() as u64),
            Value::Stream(_) => Head::Stream(0),
        };
        let body = match value {
            Value::Stream(s) => Some(crate::persistence::rdb::stream_body(s)),
            _ => None,
        };
        let head = match (&body, head) {
            (Some(b), Head::Stream(_)) => Head::Stream(b.len() as u64),
            (_, head) => head,
        };
        self.frame(&Record::Key {
            key: Blob(key),
            expire_at,
            value: head,
        })?;
        match value {
            Value::Str(_) | Value::Int(_) | Value::Doc(_) => Ok(()),
            Value::List(l) => self.chunks(
                l.iter().map(|item| match item {
                    Item::Int(n) => OwnedItem::Int(n),
                    Item::Str(s) => OwnedItem::Bytes(Blob(s)),
                }),
                Record::Items,
            ),
            Value::Set(s) => self.chunks(
                s.iter().map(|m| match m {
                    Item::Int(n) => OwnedItem::Int(n),
                    Item::Str(s) => OwnedItem::Bytes(Blob(s)),
                }),
                Record::Items,
            ),
            Value::Hash(h) => self.chunks(h.iter().map(|(f, v)| (Blob(f), Blob(v))), Record::Pairs),
            Value::ZSet(z) => self.chunks(z.iter().map(|(m, s)| (Blob(m), s)), Record::Scored),
            Value::Stream(_) => {
                for chunk in body.as_deref().unwrap_or_default().chunks(STREAM_CHUNK) {
                    self.frame(&Record::Bytes(Blob(chunk)))?;
                }
                Ok(())
            }
        }
    }

    /// Writes `items` as records of at most [`CHUNK`] elements.
    fn chunks<'v, T>(
        &mut self,
        items: impl Iterator<Item = T>,
        wrap: fn(Vec<T>) -> Record<'v>,
    ) -> io::Result<()> {
        let mut items = items.peekable();
        while items.peek().is_some() {
            let chunk: Vec<T> = items.by_ref().take(CHUNK).collect();
            self.frame(&wrap(chunk))?;
        }
        Ok(())
    }

    /// Writes the end record and flushes; returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let end = Record::End {
            keys: self.keys,
            checksum: self.sum,
        };
        self.frame(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes every database of `store` to `out`, skipping keys already expired at `now`
/// (Unix ms), after the replication position `repl` when given; returns the output
/// and the number of keys written.
pub fn write_store<W: Write>(
    store: &Store,
    out: W,
    now: i64,
    repl: Option<&ReplInfo>,
) -> io::Result<(W, u64)> {
    let mut enc = Encoder::new(out)?;
    for (key, value) in repl.map(ReplInfo::aux_fields).into_iter().flatten() {
        enc.aux(key, &value)?;
    }
    for (name, code) in store.functions.iter() {
        enc.function(name, code)?;
    }
    for (index, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        enc.select(index)?;
        for (key, value, expire_at) in db.iter() {
            if expire_at != 0 && expire_at <= now {
                continue;
            }
            enc.key(key, value, expire_at)?;
        }
    }
    let keys = enc.keys;
    Ok((enc.finish()?, keys))
}

#[cfg(test)]
mod tests;
