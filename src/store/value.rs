//! What a key holds.

use super::bytes::Bytes;
use super::hash::Hash;
use super::list::List;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;

/// A key's bytes (an owned copy, never a view into a connection buffer): inline up to
/// 22 bytes, else exactly sized on the heap.
pub type Key = Bytes;

/// A stored value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string (binary safe): inline up to 22 bytes; longer ones keep spare capacity
    /// once edited, so APPEND and SETRANGE grow them in place.
    Str(Bytes),
    /// A string that is the canonical text of an i64, kept as the number
    /// (Redis's OBJ_ENCODING_INT): INCR needs no parse, and it takes no heap.
    Int(i64),
    /// A nested document: the exact RESP bytes the client sent (map, array, integer, ...).
    Doc(Box<[u8]>),
    /// A list (LPUSH, ...).
    List(Box<List>),
    /// A hash (HSET, ...).
    Hash(Box<Hash>),
    /// A set (SADD, ...).
    Set(Box<Set>),
    /// A sorted set (ZADD, ...).
    ZSet(Box<ZSet>),
    /// A stream (XADD, ...).
    Stream(Box<Stream>),
}

/// The kind of a value, for type checks (WRONGTYPE) and TYPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Strings, integers, and documents (GET returns all of them).
    String,
    /// Lists.
    List,
    /// Hashes.
    Hash,
    /// Sets.
    Set,
    /// Sorted sets.
    ZSet,
    /// Streams.
    Stream,
}

impl Value {
    /// A string value from client bytes, integer-encoded when it is an i64's canonical text.
    pub fn from_bytes(bytes: &[u8]) -> Value {
        match canonical_int(bytes) {
            Some(n) => Value::Int(n),
            None => Value::Str(Bytes::from_slice(bytes)),
        }
    }

    /// The name TYPE replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) | Value::Int(_) => "string",
            Value::Doc(_) => "document",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The value's kind (a document counts as a string: GET and SET serve both).
    pub fn kind(&self) -> Kind {
        match self {
            Value::Str(_) | Value::Int(_) | Value::Doc(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Hash(_) => Kind::Hash,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Stream(_) => Kind::Stream,
        }
    }

    /// Elements a collection holds (1 for strings): decides whether freeing it is
    /// big enough to be done in slices.
    pub fn elements(&self) -> usize {
        match self {
            Value::Str(_) | Value::Int(_) | Value::Doc(_) => 1,
            Value::List(l) => l.len(),
            Value::Hash(h) => h.len(),
            Value::Set(s) => s.len(),
            Value::ZSet(z) => z.len(),
            Value::Stream(s) => s.elements(),
        }
    }

    /// The name OBJECT ENCODING replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) if s.len() <= 44 => "embstr",
            Value::Str(_) => "raw",
            Value::Int(_) => "int",
            Value::Doc(_) => "document",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    /// Frees up to `budget` elements of a collection (a string frees itself whole);
    /// returns how many it freed. [`Value::elements`] reaches 0 once all are freed.
    pub fn free_some(&mut self, budget: usize) -> usize {
        match self {
            Value::Str(_) | Value::Int(_) | Value::Doc(_) => {
                *self = Value::List(Box::default());
                1
            }
            Value::List(l) => l.free_some(budget),
            Value::Hash(h) => h.free_some(budget),
            Value::Set(s) => s.free_some(budget),
            Value::ZSet(z) => z.free_some(budget),
            Value::Stream(s) => s.free_some(budget),
        }
    }

    /// True for string values (raw or integer-encoded).
    pub fn is_string(&self) -> bool {
        matches!(self, Value::Str(_) | Value::Int(_))
    }
}

/// The i64 whose canonical decimal text is exactly `bytes` (no `+`, no leading zeros, no `-0`).
pub fn canonical_int(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let n = crate::number::parse_int(bytes)?;
    let mut tmp = itoa::Buffer::new();
    (tmp.format(n).as_bytes() == bytes).then_some(n)
}

/// A key's value and expiry time, as a removal returns them.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Absolute expiry in Unix milliseconds; 0 means the key never expires.
    pub expire_at: i64,
}

impl Entry {
    /// An entry without expiry.
    pub fn new(value: Value) -> Entry {
        Entry {
            value,
            expire_at: 0,
        }
    }

    /// True when the entry has a TTL that has passed at `now` (Unix ms).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_at != 0 && self.expire_at <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn integer_encoding_only_for_canonical_text() {
        assert_eq!(Value::from_bytes(b"123"), Value::Int(123));
        assert_eq!(Value::from_bytes(b"-5"), Value::Int(-5));
        for text in [
            &b"007"[..],
            b"-0",
            b"+1",
            b" 1",
            b"",
            b"99999999999999999999",
        ] {
            assert!(matches!(Value::from_bytes(text), Value::Str(_)), "{text:?}");
        }
    }
}
