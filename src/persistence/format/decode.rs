//! Reading a snapshot: frames bounded by the file, records decoded borrowed from
//! their frame, values rebuilt through the store's constructors.

use std::fmt;
use std::io::{self, Read};

use super::{
    Blob, HEADER_LEN, Head, MAGIC, OwnedItem, Record, SUM_SEED, VERSION, bincode_config, checksum,
};
use crate::config::EncodingLimits;
use crate::persistence::repl_info::{ReplAux, ReplInfo};
use crate::store::list::{Item, List, Side};
use crate::store::set::Set;
use crate::store::{Key, Store, Value};

/// Why a snapshot could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// Reading failed.
    Io(io::Error),
    /// The content is not a valid snapshot.
    Corrupt {
        /// File offset of the frame (or header) at fault.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "read error: {e}"),
            LoadError::Corrupt { offset, reason } => {
                write!(f, "corrupt snapshot at offset {offset}: {reason}")
            }
        }
    }
}

/// What a load found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadStats {
    /// Keys loaded into the store.
    pub loaded: u64,
    /// Keys skipped because they had expired.
    pub expired: u64,
    /// The replication position the file carried (see [`ReplInfo`]).
    pub repl: Option<ReplInfo>,
}

/// How a load treats the file's content.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Encoding limits of the rebuilt values.
    pub limits: EncodingLimits,
    /// Keys that expired before this time (Unix ms) are skipped.
    pub now: i64,
    /// A key already in the store is replaced (DEBUG RELOAD MERGE) instead of
    /// being refused as a duplicate.
    pub merge: bool,
    /// Debug knob: microseconds each key adds to the load (`key-load-delay`).
    pub key_delay_us: u64,
}

impl LoadOptions {
    /// Sleeps the `key-load-delay` after a key (tests of slow loads).
    #[inline]
    pub fn key_delay(&self) {
        if self.key_delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(self.key_delay_us));
        }
    }
}

/// A collection whose chunks are being read.
struct Open {
    key: Key,
    expire_at: i64,
    /// Elements still to come.
    left: u64,
    /// The value being built; `None` for an expired key (its chunks are skipped).
    value: Option<Value>,
}

/// The reading state of one load.
struct Loader<'s, R> {
    input: R,
    len: u64,
    /// Offset of the next unread byte.
    pos: u64,
    /// Offset of the frame being handled (for error messages).
    frame_at: u64,
    buf: Vec<u8>,
    sum: u64,
    store: &'s mut Store,
    options: LoadOptions,
    db: Option<usize>,
    open: Option<Open>,
    /// The body of the open stream so far.
    stream_buf: Vec<u8>,
    keys: u64,
    stats: LoadStats,
    /// The replication AUX records met.
    repl: ReplAux,
}

/// Reads a snapshot of `len` bytes from `input` into `store`. Nothing in the file
/// can make it panic or allocate beyond the file's size.
/// # Errors
/// [`LoadError::Corrupt`] for anything that is not a complete, intact snapshot.
pub fn read_store<R: Read>(
    input: R,
    len: u64,
    store: &mut Store,
    options: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    let mut loader = Loader {
        input,
        len,
        pos: 0,
        frame_at: 0,
        buf: Vec::new(),
        sum: SUM_SEED,
        store,
        options: *options,
        db: None,
        open: None,
        stream_buf: Vec::new(),
        keys: 0,
        stats: LoadStats::default(),
        repl: ReplAux::default(),
    };
    loader.header()?;
    loop {
        let before = loader.sum;
        loader.next_frame()?;
        let buf = std::mem::take(&mut loader.buf);
        let decoded =
            bincode::serde::borrow_decode_from_slice::<Record<'_>, _>(&buf, bincode_config());
        let record = match decoded {
            Ok((record, used)) if used == buf.len() => record,
            Ok(_) => return Err(loader.corrupt("trailing bytes in a frame")),
            // bincode's text shows Rust's debug form (`InvalidIntegerType { .. }`).
            Err(_) => return Err(loader.corrupt("a record that cannot be decoded")),
        };
        if let Record::End { keys, checksum } = record {
            return loader.end(keys, checksum, before);
        }
        loader.apply(record)?;
        loader.buf = buf;
    }
}

impl<R: Read> Loader<'_, R> {
    fn corrupt(&self, reason: &str) -> LoadError {
        LoadError::Corrupt {
            offset: self.frame_at,
            reason: reason.to_string(),
        }
    }

    fn read_exact(&mut self, n: usize) -> Result<(), LoadError> {
        self.buf.clear();
        self.buf.resize(n, 0);
        match self.input.read_exact(&mut self.buf) {
            Ok(()) => {
                self.pos += n as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(self.corrupt("unexpected end of file"))
            }
            Err(e) => Err(LoadError::Io(e)),
        }
    }

    fn header(&mut self) -> Result<(), LoadError> {
        if self.len < HEADER_LEN {
            return Err(self.corrupt("file too short for the header"));
        }
        self.read_exact(HEADER_LEN as usize)?;
        if self.buf[..MAGIC.len()] != MAGIC {
            return Err(self.corrupt("not a rudis snapshot (bad magic)"));
        }
        let mut version = [0u8; 4];
        version.copy_from_slice(&self.buf[MAGIC.len()..]);
        let version = u32::from_le_bytes(version);
        if version != VERSION {
            return Err(self.corrupt(&format!(
                "format version {version}, this server reads version {VERSION}"
            )));
        }
        Ok(())
    }

    /// Reads the next frame's body into `buf`, folding it into the checksum.
    fn next_frame(&mut self) -> Result<(), LoadError> {
        self.frame_at = self.pos;
        if self.len - self.pos < 8 {
            return Err(self.corrupt("unexpected end of file (no end record)"));
        }
        self.read_exact(8)?;
        let mut head = [0u8; 8];
        head.copy_from_slice(&self.buf);
        let n = u64::from_le_bytes(head);
        let left = self.len - self.pos;
        if n > left {
            return Err(self.corrupt(&format!(
                "frame of {n} bytes but only {left} left in the file"
            )));
        }
        self.read_exact(n as usize)?;
        self.sum = checksum(checksum(self.sum, &head), &self.buf);
        Ok(())
    }

    fn end(&mut self, keys: u64, checksum: u64, expected: u64) -> Result<LoadStats, LoadError> {
        if self.open.is_some() {
            return Err(self.corrupt("end record inside a collection"));
        }
        if checksum != expected {
            return Err(self.corrupt("checksum mismatch"));
        }
        if keys != self.keys {
            return Err(self.corrupt(&format!(
                "end record counts {keys} keys, the file holds {}",
                self.keys
            )));
        }
        if self.pos != self.len {
            return Err(self.corrupt("data after the end record"));
        }
        self.stats.repl = self.repl.finish();
        Ok(self.stats)
    }

    fn apply(&mut self, record: Record<'_>) -> Result<(), LoadError> {
        if self.open.is_some() && matches!(record, Record::Db(_) | Record::Key { .. }) {
            return Err(self.corrupt("collection ended before all its elements"));
        }
        match record {
            Record::Db(index) => {
                let index = index as usize;
                if index >= self.store.db_count() {
                    return Err(self.corrupt(&format!(
                        "database {index} but the server has {} (databases)",
                        self.store.db_count()
                    )));
                }
                self.db = Some(index);
            }
            Record::Key {
                key,
                expire_at,
                value,
            } => self.key(key.0, expire_at, value)?,
            Record::Items(items) => self.items(items)?,
            Record::Pairs(pairs) => self.pairs(pairs)?,
            Record::Scored(scored) => self.scored(scored)?,
            Record::Bytes(bytes) => self.stream_bytes(bytes.0)?,
            Record::End { .. } => {}
            Record::Aux { key, value } => {
                // Other names are for newer readers.
                self.repl.take(key.0, value.0);
            }
            Record::Function { name, code } => {
                let name = String::from_utf8_lossy(name.0).into_owned();
                self.store.functions.insert(&name, code.0);
            }
        }
        Ok(())
    }

    fn key(&mut self, key: &[u8], expire_at: i64, head: Head<'_>) -> Result<(), LoadError> {
        let Some(db) = self.db else {
            return Err(self.corrupt("key before any database record"));
        };
        if expire_at < 0 {
            return Err(self.corrupt("negative expiry"));
        }
        if !self.options.merge && self.store.db(db).position(key).is_some() {
            return Err(self.corrupt("duplicate key"));
        }
        self.keys += 1;
        let expired = expire_at != 0 && expire_at <= self.options.now;
        let (value, count) = match head {
            Head::Str(s) => (Value::from_bytes(s.0), 0),
            Head::Int(n) => (Value::Int(n), 0),
            Head::Doc(d) => (Value::Doc(d.0.into()), 0),
            Head::List(n) => (Value::List(Box::default()), n),
            Head::Hash(n) => (Value::Hash(Box::default()), n),
            Head::Set(n) => (Value::Set(Box::default()), n),
            Head::ZSet(n) => (Value::ZSet(Box::default()), n),
            Head::Stream(n) => (Value::Stream(Box::default()), n),
        };
        if !value.is_string() && !matches!(value, Value::Doc(_)) {
            if count == 0 {
                return Err(self.corrupt("empty collection"));
            }
            self.open = Some(Open {
                key: Key::from_slice(key),
                expire_at,
                left: count,
                value: (!expired).then_some(value),
            });
            return Ok(());
        }
        if expired {
            self.stats.expired += 1;
        } else {
            self.store.db(db).insert(key, value, expire_at);
            self.stats.loaded += 1;
            self.options.key_delay();
        }
        Ok(())
    }

    /// Takes `n` elements from the open collection's count; the collection to fill
    /// (`None` when its key expired).
    fn take(&mut self, n: usize) -> Result<Option<&mut Value>, LoadError> {
        let n = n as u64;
        match self.open.as_ref().map(|o| n != 0 && n <= o.left) {
            None => Err(self.corrupt("elements outside a collection")),
            Some(false) => Err(self.corrupt("chunk size does not match the element count")),
            Some(true) => Ok(self.open.as_mut().and_then(|o| {
                o.left -= n;
                o.value.as_mut()
            })),
        }
    }

    /// Stores the open collection once all its elements arrived.
    fn close_if_complete(&mut self) {
        if self.open.as_ref().is_some_and(|o| o.left == 0)
            && let (Some(open), Some(db)) = (self.open.take(), self.db)
        {
            match open.value {
                Some(value) => {
                    self.store.db(db).insert(&open.key, value, open.expire_at);
                    self.stats.loaded += 1;
                    self.options.key_delay();
                }
                None => self.stats.expired += 1,
            }
        }
    }

    fn items(&mut self, items: Vec<OwnedItem<'_>>) -> Result<(), LoadError> {
        let (list_limit, set_limits) = (
            self.options.limits.list_limit(),
            self.options.limits.set_limits(),
        );
        let mut duplicate = false;
        let mut wrong = false;
        match self.take(items.len())? {
            None => {}
            Some(Value::List(list)) => push_all(list, &items, list_limit),
            Some(Value::Set(set)) => duplicate = !add_all(set, &items, &set_limits),
            Some(_) => wrong = true,
        }
        self.check(wrong, duplicate)
    }

    fn pairs(&mut self, pairs: Vec<(Blob<'_>, Blob<'_>)>) -> Result<(), LoadError> {
        let limits = self.options.limits.hash_limits();
        let mut duplicate = false;
        let mut wrong = false;
        match self.take(pairs.len())? {
            None => {}
            Some(Value::Hash(hash)) => {
                duplicate = !pairs.iter().all(|(f, v)| hash.insert(f.0, v.0, limits));
            }
            Some(_) => wrong = true,
        }
        self.check(wrong, duplicate)
    }

    fn scored(&mut self, scored: Vec<(Blob<'_>, f64)>) -> Result<(), LoadError> {
        if scored.iter().any(|(_, s)| s.is_nan()) {
            return Err(self.corrupt("NaN score"));
        }
        let limits = self.options.limits.zset_limits();
        let mut duplicate = false;
        let mut wrong = false;
        match self.take(scored.len())? {
            None => {}
            Some(Value::ZSet(zset)) => {
                duplicate = !scored
                    .iter()
                    .all(|(m, s)| zset.insert(m.0, *s, limits).is_none());
            }
            Some(_) => wrong = true,
        }
        self.check(wrong, duplicate)
    }

    /// Adds bytes to the open stream's body; decodes it once complete.
    fn stream_bytes(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        let wrong = match self.take(bytes.len())? {
            None | Some(Value::Stream(_)) => false,
            Some(_) => true,
        };
        if wrong {
            return self.check(true, false);
        }
        self.stream_buf.extend_from_slice(bytes);
        if self.open.as_ref().is_some_and(|o| o.left == 0) {
            let body = std::mem::take(&mut self.stream_buf);
            let decoded = crate::persistence::rdb::stream_from_body(&body)
                .map_err(|e| self.corrupt(&format!("stream: {e}")))?;
            if let Some(open) = self.open.as_mut()
                && open.value.is_some()
            {
                open.value = Some(decoded);
            }
        }
        self.check(false, false)
    }

    /// Refuses a chunk of the wrong kind or with a repeated element, else stores the
    /// collection if it is complete.
    fn check(&mut self, wrong: bool, duplicate: bool) -> Result<(), LoadError> {
        if wrong {
            return Err(self.corrupt("chunk of another type than its collection"));
        }
        if duplicate {
            return Err(self.corrupt("duplicate element in a collection"));
        }
        self.close_if_complete();
        Ok(())
    }
}

fn push_all(list: &mut List, items: &[OwnedItem<'_>], limit: crate::store::list::NodeLimit) {
    for item in items {
        let item = match item {
            OwnedItem::Int(n) => Item::Int(*n),
            OwnedItem::Bytes(b) => Item::from_bytes(b.0),
        };
        list.push_item(Side::Right, item, limit);
    }
}

/// Adds every member; false if one was already there.
fn add_all(set: &mut Set, items: &[OwnedItem<'_>], limits: &crate::store::set::SetLimits) -> bool {
    items.iter().all(|item| {
        let member = match item {
            OwnedItem::Int(n) => Item::Int(*n),
            OwnedItem::Bytes(b) => Item::Str(b.0),
        };
        set.insert_member(member, limits)
    })
}
