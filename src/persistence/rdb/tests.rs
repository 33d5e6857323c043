//! The codec's unit tests: round trips through writer and reader, files from
//! Redis's test suite in the old encodings, and corrupt input that must fail cleanly.

use std::collections::BTreeMap;

use super::*;
use crate::config::EncodingLimits;
use crate::store::list::{List, Side};
use crate::store::set::Set;
use crate::store::{Store, Value, hash::Hash, zset::ZSet};

const NOW: i64 = 1_700_000_000_000;

fn options() -> LoadOptions {
    LoadOptions {
        limits: EncodingLimits::default(),
        now: NOW,
        merge: false,
        key_delay_us: 0,
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A value in comparable form (encoding-blind; sets and hashes sorted).
fn canon(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("string {}", text(s)),
        Value::Int(n) => format!("string {n}"),
        Value::Doc(d) => format!("doc {}", text(d)),
        Value::List(l) => {
            let items: Vec<String> = l.iter().map(|i| i.with_text(text)).collect();
            format!("list {}", items.join(","))
        }
        Value::Set(s) => {
            let mut m: Vec<String> = s.iter().map(|m| m.with_text(text)).collect();
            m.sort();
            format!("set {}", m.join(","))
        }
        Value::Hash(h) => {
            let mut p: Vec<String> = h
                .iter()
                .map(|(f, v)| format!("{}={}", text(f), text(v)))
                .collect();
            p.sort();
            format!("hash {}", p.join(","))
        }
        Value::ZSet(z) => {
            let p: Vec<String> = z.iter().map(|(m, s)| format!("{}={s}", text(m))).collect();
            format!("zset {}", p.join(","))
        }
        Value::Stream(s) => format!("stream {s:?}"),
    }
}

/// Every key of `store`: (db, key) → (value, expiry).
fn contents(store: &Store) -> BTreeMap<(usize, String), (String, i64)> {
    let mut out = BTreeMap::new();
    for (i, db) in store.dbs().iter().enumerate() {
        for (k, v, at) in db.iter() {
            out.insert((i, text(k)), (canon(v), at));
        }
    }
    out
}

fn list_of(items: impl IntoIterator<Item = String>) -> Value {
    let mut l = Box::<List>::default();
    for i in items {
        l.push(
            Side::Right,
            i.as_bytes(),
            EncodingLimits::default().list_limit(),
        );
    }
    Value::List(l)
}

fn set_of(items: impl IntoIterator<Item = String>) -> Value {
    let mut s = Box::<Set>::default();
    for i in items {
        s.insert(i.as_bytes(), &EncodingLimits::default().set_limits());
    }
    Value::Set(s)
}

fn hash_of(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut h = Box::<Hash>::default();
    for (f, v) in pairs {
        h.insert(
            f.as_bytes(),
            v.as_bytes(),
            EncodingLimits::default().hash_limits(),
        );
    }
    Value::Hash(h)
}

fn zset_of(pairs: impl IntoIterator<Item = (String, f64)>) -> Value {
    let mut z = Box::<ZSet>::default();
    for (m, s) in pairs {
        z.insert(m.as_bytes(), s, EncodingLimits::default().zset_limits());
    }
    Value::ZSet(z)
}

/// One of every type, in small and big encodings, in two databases.
fn sample_store() -> Store {
    let mut store = Store::new(16);
    let db = store.db(0);
    db.insert(b"s:short", Value::from_bytes(b"hello"), 0);
    db.insert(b"s:empty", Value::from_bytes(b""), 0);
    db.insert(b"s:int", Value::Int(-123_456), 0);
    db.insert(b"s:int64", Value::Int(i64::MIN), 0);
    db.insert(b"s:intlike", Value::from_bytes(b"0012"), 0);
    db.insert(b"s:long", Value::from_bytes(&[b'a'; 5000]), 0);
    db.insert(
        b"s:binary",
        Value::from_bytes(&(0..=255u8).collect::<Vec<_>>()),
        0,
    );
    db.insert(b"s:ttl", Value::from_bytes(b"later"), NOW + 60_000);
    db.insert(b"s:expired", Value::from_bytes(b"gone"), NOW - 1);
    db.insert(b"doc", Value::Doc(b"*2\r\n:1\r\n:2\r\n".to_vec().into()), 0);
    db.insert(
        b"l:small",
        list_of(["a", "1", "-7", "bb"].map(String::from)),
        0,
    );
    db.insert(
        b"l:big",
        list_of((0..5000).map(|i| {
            if i % 3 == 0 {
                i.to_string()
            } else {
                format!("item-{i}")
            }
        })),
        NOW + 1,
    );
    db.insert(
        b"set:ints",
        set_of((0..20).map(|i| (i * 1000).to_string())),
        0,
    );
    db.insert(b"set:small", set_of(["x", "y", "3"].map(String::from)), 0);
    db.insert(b"set:big", set_of((0..1000).map(|i| format!("m{i}"))), 0);
    db.insert(
        b"h:small",
        hash_of([("f", "v"), ("n", "12")].map(|(a, b)| (a.into(), b.into()))),
        0,
    );
    db.insert(
        b"h:big",
        hash_of((0..500).map(|i| (format!("field{i}"), "v".repeat(i % 100)))),
        0,
    );
    db.insert(
        b"z:small",
        zset_of([("a", 1.5), ("b", -2.0), ("c", f64::INFINITY)].map(|(m, s)| (m.into(), s))),
        0,
    );
    db.insert(
        b"z:big",
        zset_of((0..1000).map(|i| (format!("member{i}"), f64::from(i) / 7.0))),
        0,
    );
    let db3 = store.db(3);
    db3.insert(b"other", Value::from_bytes(b"db three"), 0);
    db3.insert(b"n", Value::Int(7), 0);
    store
}

fn write(store: &Store) -> (Vec<u8>, WriteStats) {
    write_store(store, Vec::new(), NOW, None).expect("writes into a Vec")
}

fn read(bytes: &[u8]) -> Result<Store, LoadError> {
    let mut store = Store::new(16);
    read_store(bytes, &mut store, &options())?;
    Ok(store)
}

#[test]
fn every_type_round_trips() {
    let store = sample_store();
    let (bytes, stats) = write(&store);
    assert!(is_rdb(&bytes) && bytes.starts_with(b"REDIS0010"));
    assert_eq!(stats.docs, 1);
    assert_eq!(stats.keys, contents(&store).len() as u64 - 1); // The expired key.
    let back = read(&bytes).expect("reads its own file");
    let mut expected = contents(&store);
    expected.remove(&(0, "s:expired".into()));
    let doc = expected.get_mut(&(0, "doc".into())).expect("doc");
    doc.0 = "string *2\r\n:1\r\n:2\r\n".into();
    assert_eq!(contents(&back), expected);
    // Integers and short numbers keep the integer encoding.
    assert_eq!(
        back.dbs()[0]
            .iter()
            .find(|(k, ..)| &***k == b"s:int")
            .map(|(_, v, _)| v.encoding()),
        Some("int")
    );
}

#[test]
fn big_strings_are_compressed() {
    let mut store = Store::new(16);
    store
        .db(0)
        .insert(b"k", Value::from_bytes(&[b'z'; 100_000]), 0);
    let (bytes, _) = write(&store);
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    assert_eq!(contents(&read(&bytes).expect("reads")), contents(&store));
}

/// The sample without its big values: a file of about 1 KB, cheap to cut everywhere.
fn small_store() -> Store {
    let mut store = Store::new(16);
    for (i, db) in sample_store().dbs().iter().enumerate() {
        for (k, v, at) in db.iter() {
            if !k.ends_with(b":big") && &**k != b"s:long" {
                store.db(i).insert(k, v.clone(), at);
            }
        }
    }
    store
}

#[test]
fn truncated_files_are_refused() {
    let (bytes, _) = write(&small_store());
    for cut in 0..bytes.len() {
        assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    // The big file at a stride.
    let (bytes, _) = write(&sample_store());
    for cut in (0..bytes.len()).step_by(997) {
        assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let (bytes, _) = write(&small_store());
    for at in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[at] ^= mask;
            assert!(
                read(&bad).is_err(),
                "flip {mask:#x} at {at} passed the checksum"
            );
            // Without the checksum, the parser itself must cope.
            let n = bad.len();
            bad[n - 8..].fill(0);
            let _ = read(&bad);
        }
    }
}

#[test]
fn redis_encodings_rdb_loads() {
    // Redis 2.4-era file (RDB 4): zipmap hashes, ziplists, intsets, LZF.
    let store = read(include_bytes!("../../../tests/data/rdb/encodings.rdb")).expect("loads");
    let c = contents(&store);
    let get = |k: &str| {
        c.get(&(0, k.to_string()))
            .map(|(v, _)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("compressible"), format!("string {}", "a".repeat(137)));
    assert_eq!(
        get("hash"),
        "hash a=1,aa=10,aaa=100,b=2,bb=20,bbb=200,c=3,cc=30,ccc=300,ddd=400,eee=5000000000"
    );
    assert_eq!(get("hash_zipped"), "hash a=1,b=2,c=3");
    let l = "1,2,3,a,b,c,100000,6000000000";
    assert_eq!(get("list"), format!("list {l},{l},{l}"));
    assert_eq!(get("list_zipped"), format!("list {l}"));
    assert_eq!(get("number"), "string 10");
    assert_eq!(get("set"), "set 1,100000,2,3,6000000000,a,b,c");
    assert_eq!(get("set_zipped_1"), "set 1,2,3,4");
    assert_eq!(get("set_zipped_2"), "set 100000,200000,300000,400000");
    assert_eq!(
        get("set_zipped_3"),
        "set 1000000000,2000000000,3000000000,4000000000,5000000000,6000000000"
    );
    assert_eq!(get("string"), "string Hello World");
    assert_eq!(
        get("zset"),
        "zset a=1,b=2,c=3,aa=10,bb=20,cc=30,aaa=100,bbb=200,ccc=300,aaaa=1000,cccc=123456789,bbbb=5000000000"
    );
    assert_eq!(get("zset_zipped"), "zset a=1,b=2,c=3");
}

#[test]
fn redis_old_packed_files_load() {
    let hash = "hash f1=v1,f2=v2";
    for file in [
        &include_bytes!("../../../tests/data/rdb/hash-zipmap.rdb")[..],
        include_bytes!("../../../tests/data/rdb/hash-ziplist.rdb"),
    ] {
        let c = contents(&read(file).expect("loads"));
        assert_eq!(c.get(&(0, "hash".into())).map(|v| v.0.as_str()), Some(hash));
    }
    let c =
        contents(&read(include_bytes!("../../../tests/data/rdb/zset-ziplist.rdb")).expect("loads"));
    assert_eq!(
        c.get(&(0, "zset".into())).map(|v| v.0.as_str()),
        Some("zset one=1,two=2")
    );
    let c = contents(
        &read(include_bytes!("../../../tests/data/rdb/list-quicklist.rdb")).expect("loads"),
    );
    assert_eq!(
        c.get(&(0, "x".into())).map(|v| v.0.as_str()),
        Some("string 7")
    );
    assert!(
        c.get(&(0, "list".into()))
            .is_some_and(|v| v.0.starts_with("list 7"))
    );
}

#[test]
fn dump_payloads_round_trip() {
    let store = sample_store();
    let limits = EncodingLimits::default();
    for db in store.dbs() {
        for (k, v, _) in db.iter() {
            let payload = dump_payload(v);
            assert_eq!(&payload[payload.len() - 10..payload.len() - 8], &[10, 0]);
            let back = restore_payload(&payload, &limits).expect("restores");
            let want = match v {
                Value::Doc(d) => format!("string {}", text(d)),
                v => canon(v),
            };
            assert_eq!(canon(&back), want, "{}", text(k));
        }
    }
}

#[test]
fn bad_payloads_are_refused() {
    let limits = EncodingLimits::default();
    let good = dump_payload(&Value::from_bytes(b"hello"));
    assert!(restore_payload(&good, &limits).is_ok());
    assert_eq!(
        restore_payload(&good[..9], &limits),
        Err(RestoreError::VersionOrChecksum)
    );
    let mut newer = good.clone();
    let n = newer.len();
    newer[n - 10] = 12;
    assert_eq!(
        restore_payload(&newer, &limits),
        Err(RestoreError::VersionOrChecksum)
    );
    let mut flipped = good.clone();
    flipped[2] ^= 1;
    assert_eq!(
        restore_payload(&flipped, &limits),
        Err(RestoreError::VersionOrChecksum)
    );
    // A valid footer around a body that does not decode.
    let with_footer = |body: &[u8]| {
        let mut p = body.to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crc64::crc64(0, &p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    };
    for body in [
        &[][..],
        &[0x00, 0x05, b'a'],
        &[0x02, 0x00],
        &[0x0f, 0x00],
        &[0x63],
    ] {
        assert!(
            matches!(
                restore_payload(&with_footer(body), &limits),
                Err(RestoreError::BadFormat(_))
            ),
            "{body:?}"
        );
    }
    // Every cut and flip of real payloads, with a fixed-up checksum: never a panic.
    for (_, v, _) in small_store().dbs()[0].iter() {
        let p = dump_payload(v);
        let body = &p[..p.len() - 10];
        for cut in 0..body.len() {
            assert!(restore_payload(&with_footer(&body[..cut]), &limits).is_err());
        }
        for at in 0..body.len() {
            let mut bad = body.to_vec();
            bad[at] ^= 0x41;
            let _ = restore_payload(&with_footer(&bad), &limits);
        }
    }
}

#[test]
fn refused_content_is_named() {
    // A stream value cut short is an error (streams load since RDB type 15); module
    // AUX data is refused with an error that says what it is.
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(&[0xfe, 0x00, 15, 0x01, b's']);
    assert!(read(&file).is_err());
    let mut file = b"REDIS0010".to_vec();
    file.extend_from_slice(&[0xf7, 0x05]);
    let err = read(&file).expect_err("refused").to_string();
    assert!(err.contains("module"), "{err}");
    assert!(
        read(b"REDIS0012\xff")
            .expect_err("newer")
            .to_string()
            .contains("version 12")
    );
    assert!(read(b"RUDISNAP\x01\x00").is_err());
}

#[test]
fn magic_detection() {
    assert!(is_rdb(b"REDIS0011\xfa"));
    assert!(!is_rdb(b"REDIS001"));
    assert!(!is_rdb(b"RUDISNAP\x01\x00\x00\x00"));
}

/// A listpack of `elems` (strings, or integers when they parse), encoded as Redis's
/// listpack.c does, for the encodings no Redis 7.0 file here holds.
fn listpack_of(elems: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for e in elems {
        let mut entry = Vec::new();
        let int = std::str::from_utf8(e)
            .ok()
            .and_then(|s| s.parse::<i64>().ok());
        match int {
            Some(v @ 0..=127) => entry.push(v as u8),
            Some(v @ -4096..=4095) => {
                let u = if v < 0 { (1 << 13) + v } else { v } as u16;
                entry.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
            }
            Some(v) if i16::try_from(v).is_ok() => {
                entry.push(0xf1);
                entry.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v @ -8_388_608..=8_388_607) => {
                entry.push(0xf2);
                entry.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                entry.push(0xf3);
                entry.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                entry.push(0xf4);
                entry.extend_from_slice(&v.to_le_bytes());
            }
            None if e.len() < 64 => entry.push(0x80 | e.len() as u8),
            None if e.len() < 4096 => {
                entry.extend_from_slice(&[0xe0 | (e.len() >> 8) as u8, e.len() as u8]);
            }
            None => {
                entry.push(0xf0);
                entry.extend_from_slice(&(e.len() as u32).to_le_bytes());
            }
        }
        if int.is_none() {
            entry.extend_from_slice(e);
        }
        // The back-length: 7 bits a byte, most significant first, high bit on all
        // but the first.
        let l = entry.len();
        let mut back = vec![(l & 127) as u8];
        let mut rest = l >> 7;
        while rest > 0 {
            back[0] |= 0x80;
            back.insert(0, (rest & 127) as u8);
            rest >>= 7;
        }
        for b in back.iter_mut().skip(1) {
            *b |= 0x80;
        }
        body.extend_from_slice(&entry);
        body.extend_from_slice(&back);
    }
    let mut lp = ((body.len() + 7) as u32).to_le_bytes().to_vec();
    lp.extend_from_slice(&(elems.len() as u16).to_le_bytes());
    lp.extend_from_slice(&body);
    lp.push(0xff);
    lp
}

/// A RESTORE payload of RDB 11 around `body`.
fn payload11(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&11u16.to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// A string with a 32-bit length (what a listpack blob of any size can use).
fn rdb_string(s: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80];
    v.extend_from_slice(&(s.len() as u32).to_be_bytes());
    v.extend_from_slice(s);
    v
}

#[test]
fn listpack_sets_and_quicklist2_plain_nodes() {
    let limits = EncodingLimits::default();
    let long = vec![b'q'; 5000];
    let mid = vec![b'm'; 100];
    let elems: Vec<&[u8]> = vec![
        b"a",
        b"5",
        b"-1000",
        b"30000",
        b"-5000000",
        b"2000000000",
        b"-9223372036854775808",
        &mid,
        &long,
    ];
    let lp = listpack_of(&elems);
    let texts: Vec<String> = elems.iter().map(|e| text(e)).collect();
    // RDB_TYPE_SET_LISTPACK (Redis 7.2).
    let mut body = vec![ty::SET_LISTPACK];
    body.extend_from_slice(&rdb_string(&lp));
    let set = restore_payload(&payload11(&body), &limits).expect("a listpack set");
    let mut want = texts.clone();
    want.sort();
    assert_eq!(canon(&set), format!("set {}", want.join(",")));
    // RDB_TYPE_LIST_QUICKLIST_2: a plain node, then a packed one.
    let mut body = vec![ty::LIST_QUICKLIST_2, 2, 1];
    body.extend_from_slice(&rdb_string(b"plain node"));
    body.push(2);
    body.extend_from_slice(&rdb_string(&lp));
    let list = restore_payload(&payload11(&body), &limits).expect("a quicklist");
    assert_eq!(canon(&list), format!("list plain node,{}", texts.join(",")));
    // An unknown container is refused.
    body[2] = 3;
    assert!(restore_payload(&payload11(&body), &limits).is_err());
    // A listpack with a wrong back-length or count is refused.
    let mut bad = lp.clone();
    bad[8] ^= 0x01;
    let mut body = vec![ty::SET_LISTPACK];
    body.extend_from_slice(&rdb_string(&bad));
    assert!(restore_payload(&payload11(&body), &limits).is_err());
    // Functions are skipped, expired keys dropped, old EXPIRETIME in seconds read.
    let mut file = b"REDIS0011".to_vec();
    file.extend_from_slice(&[ty::OP_FUNCTION2]);
    file.extend_from_slice(&rdb_string(
        b"#!lua name=lib\nredis.register_function('f', function() end)",
    ));
    file.extend_from_slice(&[ty::OP_SELECTDB, 0, ty::OP_EXPIRETIME]);
    file.extend_from_slice(&1i32.to_le_bytes());
    file.extend_from_slice(&[ty::STRING, 1, b'x', 1, b'y']);
    file.extend_from_slice(&[ty::OP_EXPIRETIME]);
    file.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    file.extend_from_slice(&[ty::OP_FREQ, 3, ty::OP_IDLE, 5, ty::STRING, 1, b'k', 1, b'v']);
    file.push(ty::OP_EOF);
    let crc = crc64::crc64(0, &file);
    file.extend_from_slice(&crc.to_le_bytes());
    let mut store = Store::new(16);
    let stats = read_store(&file[..], &mut store, &options()).expect("loads");
    assert_eq!((stats.loaded, stats.expired), (1, 1));
    let c = contents(&store);
    assert_eq!(
        c.get(&(0, "k".into())),
        Some(&("string v".to_string(), 2_000_000_000_000))
    );
    // A zero checksum is not checked (Redis's rdbchecksum no).
    let n = file.len();
    file[n - 8..].fill(0);
    assert!(read_store(&file[..], &mut Store::new(16), &options()).is_ok());
}

#[test]
fn the_replication_position_round_trips_as_aux_fields() {
    let store = sample_store();
    let id = "8de9a4a1c5b2d3e4f5a6b7c8d9e0f1a2b3c4d5e6";
    let position = crate::persistence::ReplInfo::new(id, 987_654_321, 3).expect("an id");
    let (bytes, _) = write_store(&store, Vec::new(), NOW, Some(&position)).expect("write");
    // As Redis writes them: AUX fields named repl-stream-db, repl-id, repl-offset.
    let text = String::from_utf8_lossy(&bytes[..200]).into_owned();
    let at = |name: &str| {
        text.find(name)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert!(at("repl-stream-db") < at("repl-id") && at("repl-id") < at("repl-offset"));
    let mut back = Store::new(16);
    let stats = read_store(&bytes[..], &mut back, &options()).expect("read");
    assert_eq!(stats.repl, Some(position));
    assert_eq!(contents(&back).len(), contents(&store).len() - 1);
    // Without a position, none comes back.
    let (bytes, _) = write(&store);
    let stats = read_store(&bytes[..], &mut Store::new(16), &options()).expect("read");
    assert_eq!(stats.repl, None);
}
