//! DEBUG DIGEST and DEBUG DIGEST-VALUE with Redis's algorithm (debug.c,
//! `computeDatasetDigest` / `xorObjectDigest`), so that a rudis node and a Redis node
//! holding the same data report the same digest. Unordered collections xor their
//! elements' digests; lists mix them in order; a key with a TTL adds `!!expire!!`.
//! A document is digested as the string of its RESP bytes (what a Redis replica holds).

use crate::commands::Ctx;
use crate::commands::zset::score_text::format_score;
use crate::scripting::sha1::sha1;
use crate::store::Value;

/// A 20-byte digest.
type Digest = [u8; 20];

/// `digest ^= SHA1(data)`.
fn xor_digest(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))`: order matters.
fn mix_digest(digest: &mut Digest, data: &[u8]) {
    xor_digest(digest, data);
    *digest = sha1(&digest[..]);
}

/// Redis's object type numbers (OBJ_STRING ...), mixed in big-endian.
fn type_code(v: &Value) -> u32 {
    match v {
        Value::Str(_) | Value::Int(_) | Value::Doc(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// Mixes value `v` (with a TTL when `expires`) into `digest` (`xorObjectDigest`).
fn object_digest(digest: &mut Digest, v: &Value, expires: bool) {
    mix_digest(digest, &type_code(v).to_be_bytes());
    match v {
        Value::Str(s) => mix_digest(digest, s),
        Value::Int(n) => mix_digest(digest, itoa::Buffer::new().format(*n).as_bytes()),
        Value::Doc(d) => mix_digest(digest, d),
        Value::List(l) => {
            for item in l.iter() {
                item.with_text(|t| mix_digest(digest, t));
            }
        }
        Value::Set(s) => {
            for m in s.iter() {
                m.with_text(|t| xor_digest(digest, t));
            }
        }
        Value::ZSet(z) => {
            for (m, score) in z.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, m);
                mix_digest(&mut ele, format_score(score).as_bytes());
                xor_digest(digest, &ele);
            }
        }
        Value::Hash(h) => {
            for (f, val) in h.iter() {
                let mut ele = [0u8; 20];
                mix_digest(&mut ele, f);
                mix_digest(&mut ele, val);
                xor_digest(digest, &ele);
            }
        }
        Value::Stream(s) => {
            // Entries only, as Redis (its groups are not digested).
            use crate::store::stream::StreamId;
            for (id, pairs) in s.log.range(StreamId::MIN, StreamId::MAX, false, 0) {
                mix_digest(digest, format!("{}.{}", id.ms, id.seq).as_bytes());
                for (field, value) in pairs {
                    mix_digest(digest, field);
                    mix_digest(digest, value);
                }
            }
        }
    }
    if expires {
        xor_digest(digest, b"!!expire!!");
    }
}

fn hex(d: &Digest) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// `DEBUG DIGEST`: the digest of every database.
pub fn digest(ctx: &mut Ctx<'_>) {
    let mut total = [0u8; 20];
    for (i, db) in ctx.store.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        mix_digest(&mut total, &(i as u32).to_be_bytes());
        for (key, v, at) in db.iter() {
            let mut d = [0u8; 20];
            mix_digest(&mut d, key);
            object_digest(&mut d, v, at != 0);
            xor_digest(&mut total, &d);
        }
    }
    ctx.out.simple(hex(&total).as_bytes());
}

/// `DEBUG DIGEST-VALUE key ...`: each value's digest (zeros for a missing key).
pub fn digest_value(ctx: &mut Ctx<'_>, keys: &[&[u8]]) {
    let db = ctx.client().db;
    let digests: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut d = [0u8; 20];
            if let Some((v, at)) = ctx.store.dbs()[db].peek(k) {
                object_digest(&mut d, v, at != 0);
            }
            hex(&d)
        })
        .collect();
    ctx.out.array_len(digests.len());
    for d in digests {
        ctx.out.simple(d.as_bytes());
    }
}
