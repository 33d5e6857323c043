use super::*;
use crate::config::EncodingLimits;
use crate::store::hash::Hash;
use crate::store::list::{List, NodeLimit, Side};
use crate::store::set::Set;
use crate::store::zset::ZSet;

/// A time before every expiry used here, so nothing counts as expired.
const NOW: i64 = 1_000;

fn options() -> LoadOptions {
    LoadOptions {
        limits: EncodingLimits::default(),
        now: NOW,
        merge: false,
        key_delay_us: 0,
    }
}

fn list(items: &[&[u8]]) -> Value {
    let mut l = List::new();
    for item in items {
        l.push(Side::Right, item, NodeLimit::default());
    }
    Value::List(Box::new(l))
}

fn hash(n: usize) -> Value {
    let mut h = Hash::default();
    for i in 0..n {
        h.insert(
            format!("f{i}").as_bytes(),
            format!("v{i}").as_bytes(),
            EncodingLimits::default().hash_limits(),
        );
    }
    Value::Hash(Box::new(h))
}

fn set(members: impl IntoIterator<Item = String>) -> Value {
    let mut s = Set::new();
    for m in members {
        s.insert(m.as_bytes(), &EncodingLimits::default().set_limits());
    }
    Value::Set(Box::new(s))
}

fn zset(n: usize) -> Value {
    let mut z = ZSet::default();
    for i in 0..n {
        z.insert(
            format!("m{i}").as_bytes(),
            i as f64 * 0.5 - 3.0,
            EncodingLimits::default().zset_limits(),
        );
    }
    z.insert(
        b"inf",
        f64::INFINITY,
        EncodingLimits::default().zset_limits(),
    );
    Value::ZSet(Box::new(z))
}

/// A store with every kind, small and big encodings, TTLs and two databases.
fn sample() -> Store {
    let mut store = Store::new(16);
    let db = store.db(0);
    db.insert(
        b"str",
        Value::Str(crate::store::Bytes::from_slice(b"hello")),
        0,
    );
    db.insert(
        b"big-str",
        Value::Str(vec![7u8; 100_000].as_slice().into()),
        0,
    );
    db.insert(
        b"empty-str",
        Value::Str(crate::store::Bytes::from_slice(b"")),
        0,
    );
    db.insert(b"int", Value::Int(-42), 5_000);
    db.insert(
        b"doc",
        Value::Doc(b"%1\r\n+a\r\n:1\r\n".as_slice().into()),
        0,
    );
    db.insert(
        b"list",
        list(&[b"a", b"12", b"", b"-9223372036854775808"]),
        0,
    );
    let long: Vec<Vec<u8>> = (0..5000).map(|i| format!("e{i}").into_bytes()).collect();
    let long: Vec<&[u8]> = long.iter().map(|v| v.as_slice()).collect();
    db.insert(b"big-list", list(&long), 9_000);
    db.insert(b"hash", hash(3), 0);
    db.insert(b"big-hash", hash(3000), 0);
    db.insert(b"intset", set((0..10).map(|i| i.to_string())), 0);
    db.insert(b"set", set(["a".to_string(), "1".to_string()]), 0);
    db.insert(b"big-set", set((0..3000).map(|i| format!("s{i}"))), 0);
    db.insert(b"zset", zset(3), 0);
    db.insert(b"big-zset", zset(3000), 0);
    store.db(15).insert(b"other", Value::Int(1), 0);
    store
}

fn encode(store: &Store) -> Vec<u8> {
    let (bytes, _) = write_store(store, Vec::new(), NOW, None).expect("write to memory");
    bytes
}

fn decode(bytes: &[u8], options: &LoadOptions) -> Result<(Store, LoadStats), LoadError> {
    let mut store = Store::new(16);
    let stats = read_store(bytes, bytes.len() as u64, &mut store, options)?;
    Ok((store, stats))
}

fn dump(store: &Store) -> Vec<(usize, Vec<u8>, Value, i64)> {
    let mut all: Vec<_> = store
        .dbs()
        .iter()
        .enumerate()
        .flat_map(|(i, db)| {
            db.iter()
                .map(move |(k, v, at)| (i, k.to_vec(), v.clone(), at))
        })
        .collect();
    all.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    all
}

#[test]
fn every_kind_round_trips_with_its_ttl() {
    let store = sample();
    let bytes = encode(&store);
    assert_eq!(&bytes[..8], &MAGIC);
    let (loaded, stats) = decode(&bytes, &options()).expect("valid snapshot");
    assert_eq!(stats.loaded, 15);
    assert_eq!(stats.expired, 0);
    assert_eq!(dump(&loaded), dump(&store));
    // Encodings are rebuilt by the ordinary constructors.
    let enc = |store: &Store, key: &[u8]| {
        let (value, _) = store.dbs()[0].peek(key).expect("key");
        value.encoding()
    };
    for (key, expected) in [
        (&b"hash"[..], "listpack"),
        (b"big-hash", "hashtable"),
        (b"intset", "intset"),
        (b"set", "listpack"),
        (b"big-set", "hashtable"),
        (b"zset", "listpack"),
        (b"big-zset", "skiplist"),
        (b"int", "int"),
    ] {
        assert_eq!(enc(&loaded, key), expected, "{key:?}");
    }
}

#[test]
fn encodings_follow_the_limits_at_load_time() {
    let bytes = encode(&sample());
    let mut opts = options();
    opts.limits.hash_max_listpack_entries = 10_000;
    opts.limits.zset_max_listpack_entries = 1;
    let (loaded, _) = decode(&bytes, &opts).expect("valid");
    let db = &loaded.dbs()[0];
    let enc = |key: &[u8]| db.peek(key).expect("key").0.encoding();
    assert_eq!(enc(b"big-hash"), "listpack");
    assert_eq!(enc(b"zset"), "skiplist");
}

#[test]
fn expired_keys_are_skipped_at_save_and_at_load() {
    let store = sample();
    // At save: a key expired by then is not written.
    let (_, written) = write_store(&store, Vec::new(), 6_000, None).expect("write");
    assert_eq!(written, 14);
    // At load: keys expired since the save are skipped, collections included.
    let mut opts = options();
    opts.now = 9_000;
    let (loaded, stats) = decode(&encode(&store), &opts).expect("valid");
    assert_eq!((stats.loaded, stats.expired), (13, 2));
    assert!(loaded.dbs()[0].position(b"big-list").is_none());
    assert!(loaded.dbs()[0].position(b"int").is_none());
}

#[test]
fn empty_store_round_trips() {
    let (loaded, stats) = decode(&encode(&Store::new(16)), &options()).expect("valid");
    assert_eq!(stats, LoadStats::default());
    assert!(loaded.dbs().iter().all(|db| db.is_empty()));
}

#[test]
fn every_truncation_is_refused() {
    let bytes = encode(&sample());
    // Every prefix: the header, inside frames, exactly at frame boundaries.
    let step = (bytes.len() / 300).max(1);
    let cuts = (0..bytes.len())
        .step_by(step)
        .chain(bytes.len() - 64..bytes.len());
    for cut in cuts {
        assert!(
            decode(&bytes[..cut], &options()).is_err(),
            "prefix of {cut} bytes accepted"
        );
    }
}

#[test]
fn frame_boundary_truncation_of_a_small_file_is_refused() {
    let mut store = Store::new(16);
    store.db(0).insert(b"a", Value::Int(1), 0);
    store.db(0).insert(b"b", list(&[b"x"]), 0);
    let bytes = encode(&store);
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut], &options()).is_err(), "cut {cut}");
    }
}

#[test]
fn every_flipped_byte_is_refused() {
    let mut store = Store::new(16);
    store.db(0).insert(b"k", Value::Int(5), 0);
    store
        .db(0)
        .insert(b"s", Value::Str(b"text".as_slice().into()), 0);
    store.db(3).insert(b"z", zset(2), 7_000);
    store.db(3).insert(b"h", hash(2), 0);
    let bytes = encode(&store);
    for at in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xFF] {
            let mut bad = bytes.clone();
            bad[at] ^= flip;
            assert!(
                decode(&bad, &options()).is_err(),
                "byte {at} ^ {flip:#x} accepted"
            );
        }
    }
}

#[test]
fn random_damage_never_panics() {
    let bytes = encode(&sample());
    let mut rng = crate::store::Rng::new(7);
    for _ in 0..100 {
        let mut bad = bytes.clone();
        for _ in 0..1 + rng.next_u64() % 4 {
            let at = (rng.next_u64() % bad.len() as u64) as usize;
            bad[at] = rng.next_u64() as u8;
        }
        let _ = decode(&bad, &options());
    }
}

#[test]
fn lengths_beyond_the_file_are_refused_without_allocating() {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&VERSION.to_le_bytes());
    bytes.extend_from_slice(&u64::MAX.to_le_bytes());
    bytes.extend_from_slice(&[0; 16]);
    let err = decode(&bytes, &options()).expect_err("bogus frame length");
    assert!(err.to_string().contains("left in the file"), "{err}");
}

#[test]
fn bad_header_and_foreign_databases_are_refused() {
    let mut bytes = encode(&sample());
    let err = decode(b"REDIS0011", &options()).expect_err("an RDB file");
    assert!(err.to_string().contains("header"), "{err}");
    bytes[8] = 99;
    let err = decode(&bytes, &options()).expect_err("future version");
    assert!(err.to_string().contains("version 99"), "{err}");
    let mut small = Store::new(4);
    let bytes = encode(&sample());
    let err = read_store(&bytes[..], bytes.len() as u64, &mut small, &options())
        .expect_err("database 15 of 4");
    assert!(err.to_string().contains("database 15"), "{err}");
}

#[test]
fn duplicate_keys_are_refused_unless_merging() {
    let bytes = encode(&sample());
    let mut store = Store::new(16);
    store.db(0).insert(b"str", Value::Int(1), 0);
    let err =
        read_store(&bytes[..], bytes.len() as u64, &mut store, &options()).expect_err("duplicate");
    assert!(err.to_string().contains("duplicate key"), "{err}");
    let mut store = Store::new(16);
    store.db(0).insert(b"str", Value::Int(1), 0);
    let mut opts = options();
    opts.merge = true;
    read_store(&bytes[..], bytes.len() as u64, &mut store, &opts).expect("merge");
    assert_eq!(dump(&store), dump(&sample()));
}

#[test]
fn checksum_sees_every_single_byte_change() {
    let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let base = checksum(SUM_SEED, &data);
    for at in 0..data.len() {
        let mut other = data.clone();
        other[at] ^= 0x40;
        assert_ne!(checksum(SUM_SEED, &other), base, "byte {at}");
    }
}

#[test]
fn the_replication_position_round_trips_and_old_files_still_load() {
    let store = sample();
    let id = "8de9a4a1c5b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6";
    let position = crate::persistence::ReplInfo::new(id, 42, 15).expect("an id");
    let (bytes, _) = write_store(&store, Vec::new(), NOW, Some(&position)).expect("write");
    let (back, stats) = decode(&bytes, &options()).expect("read");
    assert_eq!(stats.repl, Some(position));
    assert_eq!(dump(&back), dump(&store));
    // A file without Aux records (as written before they existed) loads, with no
    // position; and an unknown Aux name is skipped.
    let (old, _) = decode(&encode(&store), &options()).expect("read");
    assert_eq!(dump(&old), dump(&store));
    let mut enc = Encoder::new(Vec::new()).expect("header");
    enc.aux("some-future-field", "x").expect("aux");
    enc.select(0).expect("db");
    enc.key(b"k", &Value::Int(1), 0).expect("key");
    let bytes = enc.finish().expect("end");
    let (back, stats) = decode(&bytes, &options()).expect("read");
    assert_eq!(stats.repl, None);
    assert_eq!(back.dbs()[0].len(), 1);
}
