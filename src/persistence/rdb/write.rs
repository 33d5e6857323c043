//! Writing RDB version 10, streamed into any `io::Write` while the store is walked,
//! and DUMP payloads.

use std::io::{self, Write};

use super::crc64::crc64;
use super::{RDB_VERSION, lzf, ty};
use crate::persistence::ReplInfo;
use crate::store::list::Item;
use crate::store::stream::Stream;
use crate::store::{Store, Value};

/// Strings shorter than this are never compressed (Redis's rule in `rdbSaveRawString`).
const COMPRESS_MIN: usize = 21;

/// What a save wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Keys written.
    pub keys: u64,
    /// Documents written as their RESP bytes in a string (RDB has no document type).
    pub docs: u64,
}

/// Writes an RDB file (or, bare, a DUMP payload) into `out`, keeping the CRC-64.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    crc: u64,
    stats: WriteStats,
}

impl<W: Write> Writer<W> {
    /// Starts an RDB file: the magic (`REDIS0010`) and the AUX fields Redis writes
    /// (`redis-ver` is the Redis version rudis answers as; the replication position
    /// `repl` when given), plus `rudis-ver`.
    /// # Errors
    /// Writing failed.
    pub fn new(out: W, unix_secs: i64, repl: Option<&ReplInfo>) -> io::Result<Writer<W>> {
        let mut w = Writer::bare(out);
        w.raw(format!("REDIS{RDB_VERSION:04}").as_bytes())?;
        w.aux(b"redis-ver", crate::REDIS_VERSION.as_bytes())?;
        w.aux(b"redis-bits", usize::BITS.to_string().as_bytes())?;
        w.aux(b"ctime", unix_secs.to_string().as_bytes())?;
        w.aux(b"used-mem", b"0")?;
        for (key, value) in repl.map(ReplInfo::aux_fields).into_iter().flatten() {
            w.aux(key.as_bytes(), value.as_bytes())?;
        }
        w.aux(b"aof-base", b"0")?;
        w.aux(b"rudis-ver", env!("CARGO_PKG_VERSION").as_bytes())?;
        Ok(w)
    }

    /// A writer of bare values (DUMP payloads): no header.
    fn bare(out: W) -> Writer<W> {
        Writer {
            out,
            crc: 0,
            stats: WriteStats::default(),
        }
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.crc = crc64(self.crc, bytes);
        self.out.write_all(bytes)
    }

    fn aux(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.raw(&[ty::OP_AUX])?;
        self.string(key)?;
        self.string(value)
    }

    /// A function library (`RDB_OPCODE_FUNCTION2` and its code, as Redis 7.0).
    fn function(&mut self, code: &[u8]) -> io::Result<()> {
        self.raw(&[ty::OP_FUNCTION2])?;
        self.string(code)
    }

    /// A length (Redis's `rdbSaveLen`).
    fn len(&mut self, n: u64) -> io::Result<()> {
        if n < 1 << 6 {
            self.raw(&[n as u8])
        } else if n < 1 << 14 {
            self.raw(&[(n >> 8) as u8 | 0x40, n as u8])
        } else if n <= u64::from(u32::MAX) {
            self.raw(&[0x80])?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.raw(&[0x81])?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// An integer as a string: integer-encoded when it fits 32 bits, else its text.
    fn int(&mut self, n: i64) -> io::Result<()> {
        if let Ok(v) = i8::try_from(n) {
            self.raw(&[0xc0, v as u8])
        } else if let Ok(v) = i16::try_from(n) {
            self.raw(&[0xc1])?;
            self.raw(&v.to_le_bytes())
        } else if let Ok(v) = i32::try_from(n) {
            self.raw(&[0xc2])?;
            self.raw(&v.to_le_bytes())
        } else {
            let mut buf = itoa::Buffer::new();
            let text = buf.format(n).as_bytes();
            self.len(text.len() as u64)?;
            self.raw(text)
        }
    }

    /// A string as Redis's `rdbSaveRawString` writes it: integer-encoded when it is
    /// a small integer's canonical text, LZF-compressed when longer than 20 bytes and
    /// that saves at least 4 bytes, else raw.
    fn string(&mut self, s: &[u8]) -> io::Result<()> {
        if s.len() <= 11
            && let Some(n) = crate::store::value::canonical_int(s)
            && i32::try_from(n).is_ok()
        {
            return self.int(n);
        }
        if s.len() >= COMPRESS_MIN
            && let Some(packed) = lzf::compress(s)
        {
            self.raw(&[0xc3])?;
            self.len(packed.len() as u64)?;
            self.len(s.len() as u64)?;
            return self.raw(&packed);
        }
        self.len(s.len() as u64)?;
        self.raw(s)
    }

    /// Starts database `db` (SELECTDB) with its size hints (RESIZEDB).
    /// # Errors
    /// Writing failed.
    pub fn select(&mut self, db: usize, keys: u64, expires: u64) -> io::Result<()> {
        self.raw(&[ty::OP_SELECTDB])?;
        self.len(db as u64)?;
        self.raw(&[ty::OP_RESIZEDB])?;
        self.len(keys)?;
        self.len(expires)
    }

    /// Writes a key with its value and expiry (absolute Unix ms, 0 = none).
    /// # Errors
    /// Writing failed.
    pub fn key(&mut self, key: &[u8], value: &Value, expire_at: i64) -> io::Result<()> {
        if expire_at != 0 {
            self.raw(&[ty::OP_EXPIRETIME_MS])?;
            self.raw(&expire_at.to_le_bytes())?;
        }
        self.raw(&[value_type(value)])?;
        self.string(key)?;
        self.value(value)?;
        self.stats.keys += 1;
        Ok(())
    }

    /// A value's body (after its type byte).
    fn value(&mut self, value: &Value) -> io::Result<()> {
        match value {
            Value::Str(s) => self.string(s),
            Value::Int(n) => self.int(*n),
            Value::Doc(d) => {
                self.stats.docs += 1;
                self.string(d)
            }
            Value::List(l) => {
                self.len(l.len() as u64)?;
                for item in l.iter() {
                    match item {
                        Item::Int(n) => self.int(n)?,
                        Item::Str(s) => self.string(s)?,
                    }
                }
                Ok(())
            }
            Value::Set(s) => {
                self.len(s.len() as u64)?;
                for member in s.iter() {
                    match member {
                        Item::Int(n) => self.int(n)?,
                        Item::Str(m) => self.string(m)?,
                    }
                }
                Ok(())
            }
            Value::Hash(h) => {
                self.len(h.len() as u64)?;
                for (f, v) in h.iter() {
                    self.string(f)?;
                    self.string(v)?;
                }
                Ok(())
            }
            Value::Stream(s) => self.stream(s),
            Value::ZSet(z) => {
                self.len(z.len() as u64)?;
                for (m, score) in z.iter() {
                    self.string(m)?;
                    self.raw(&score.to_le_bytes())?;
                }
                Ok(())
            }
        }
    }

    /// A stream's body as Redis 7.0's `rdbSaveObject` writes it.
    fn stream(&mut self, s: &Stream) -> io::Result<()> {
        self.len(s.log.nodes() as u64)?;
        for (master, block) in s.log.blocks() {
            self.string(&master.to_be_bytes())?;
            self.string(&super::stream::node_listpack(*master, block))?;
        }
        let log = &s.log;
        for n in [
            log.length,
            log.last_id.ms,
            log.last_id.seq,
            log.first_id.ms,
            log.first_id.seq,
            log.max_deleted.ms,
            log.max_deleted.seq,
            log.entries_added,
        ] {
            self.len(n)?;
        }
        self.len(s.groups.len() as u64)?;
        for (name, g) in &s.groups {
            self.string(name)?;
            self.len(g.last_id.ms)?;
            self.len(g.last_id.seq)?;
            self.len(g.entries_read as u64)?;
            self.len(g.pel.len() as u64)?;
            for (id, nack) in &g.pel {
                self.raw(&id.to_be_bytes())?;
                self.raw(&nack.delivery_time.to_le_bytes())?;
                self.len(nack.delivery_count)?;
            }
            self.len(g.consumers.len() as u64)?;
            for (cname, c) in &g.consumers {
                self.string(cname)?;
                self.raw(&c.seen_time.to_le_bytes())?;
                self.len(c.pel.len() as u64)?;
                for id in &c.pel {
                    self.raw(&id.to_be_bytes())?;
                }
            }
        }
        Ok(())
    }

    /// What was written so far.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    /// Writes EOF and the checksum, flushes, and returns the output.
    /// # Errors
    /// Writing failed.
    pub fn finish(mut self) -> io::Result<W> {
        self.raw(&[ty::OP_EOF])?;
        let crc = self.crc;
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The RDB type a value is written as.
fn value_type(value: &Value) -> u8 {
    match value {
        Value::Str(_) | Value::Int(_) | Value::Doc(_) => ty::STRING,
        Value::List(_) => ty::LIST,
        Value::Set(_) => ty::SET,
        Value::Hash(_) => ty::HASH,
        Value::ZSet(_) => ty::ZSET_2,
        Value::Stream(_) => ty::STREAM_LISTPACKS_2,
    }
}

/// Writes every database of `store` as an RDB file into `out`, skipping keys expired
/// at `now` (Unix ms), with the replication position `repl` when given; returns the
/// output and what was written (the caller logs the documents turned into strings,
/// once per save).
/// # Errors
/// Writing failed.
pub fn write_store<W: Write>(
    store: &Store,
    out: W,
    now: i64,
    repl: Option<&ReplInfo>,
) -> io::Result<(W, WriteStats)> {
    let mut w = Writer::new(out, now / 1000, repl)?;
    // Function libraries come before the data, as Redis's rdbSaveFunctions.
    for (_, code) in store.functions.iter() {
        w.function(code)?;
    }
    for (index, db) in store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        w.select(index, db.len() as u64, db.expires_len() as u64)?;
        for (key, value, expire_at) in db.iter() {
            if expire_at != 0 && expire_at <= now {
                continue;
            }
            w.key(key, value, expire_at)?;
        }
    }
    let stats = w.stats();
    Ok((w.finish()?, stats))
}

/// DUMP's payload for `value`: its RDB type and encoding, the RDB version (2 bytes,
/// little endian) and the CRC-64 of all that (8 bytes, little endian).
pub fn dump_payload(value: &Value) -> Vec<u8> {
    let mut w = Writer::bare(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.raw(&[value_type(value)]);
    let _ = w.value(value);
    let _ = w.raw(&RDB_VERSION.to_le_bytes());
    let crc = w.crc;
    let mut out = w.out;
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// A stream's RDB body (`RDB_TYPE_STREAM_LISTPACKS_2`, without the type byte): how
/// rudis's own snapshot format stores a stream too.
pub fn stream_body(s: &Stream) -> Vec<u8> {
    let mut w = Writer::bare(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = w.stream(s);
    w.out
}

/// FUNCTION DUMP's payload: every library as `RDB_OPCODE_FUNCTION2` and its code,
/// then the RDB version (2 bytes) and the CRC-64 (8 bytes), little endian.
pub fn functions_payload<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut w = Writer::bare(Vec::new());
    for code in codes {
        // Writing into a Vec cannot fail.
        let _ = w.function(code);
    }
    let _ = w.raw(&RDB_VERSION.to_le_bytes());
    let crc = w.crc;
    let mut out = w.out;
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
