//! Tests of the hash type against a `HashMap` model.

use std::collections::HashMap;

use super::*;
use crate::store::Rng;

/// A field or value of a random length (mostly short, sometimes past 64 bytes or
/// past 127, where the length prefix takes two bytes).
fn random_bytes(rng: &mut Rng, space: usize) -> Vec<u8> {
    let id = rng.below(space);
    let len = match rng.below(20) {
        0 => 65 + rng.below(200),
        1 => 0,
        _ => rng.below(12),
    };
    let mut s = format!("{id}:").into_bytes();
    s.resize(s.len() + len, b'a' + (id % 26) as u8);
    s
}

fn check(h: &Hash, model: &HashMap<Vec<u8>, Vec<u8>>) {
    assert_eq!(h.len(), model.len());
    assert_eq!(h.is_empty(), model.is_empty());
    for (f, v) in model {
        assert_eq!(h.get(f), Some(v.as_slice()), "field {f:?}");
    }
    let pairs: HashMap<Vec<u8>, Vec<u8>> =
        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
    assert_eq!(&pairs, model);
    let positions = h.positions();
    assert_eq!(positions.len(), model.len());
    for pos in 0..positions.len() {
        let (f, v) = positions.get(pos).expect("in range");
        assert_eq!(model.get(f).map(Vec::as_slice), Some(v));
    }
    assert_eq!(positions.get(positions.len()), None);
}

#[test]
fn random_operations_match_a_model_across_the_conversion() {
    for seed in 1..=20u64 {
        let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let limits = Limits {
            entries: 16 + rng.below(64),
            value: 64,
        };
        let mut h = Hash::default();
        let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let mut was_big = false;
        for step in 0..3000 {
            let field = random_bytes(&mut rng, 300);
            match rng.below(10) {
                0..=5 => {
                    let value = random_bytes(&mut rng, 1000);
                    let added = h.insert(&field, &value, limits);
                    assert_eq!(added, model.insert(field, value).is_none());
                }
                6..=8 => assert_eq!(h.remove(&field), model.remove(&field).is_some()),
                _ => assert_eq!(h.contains(&field), model.contains_key(&field)),
            }
            // Packed exactly while within the limits, and never back.
            let within = model.len() <= limits.entries
                && model.iter().all(|(f, v)| f.len() <= 64 && v.len() <= 64);
            if was_big {
                assert!(!h.is_packed(), "seed {seed} step {step}: converted back");
            } else if h.is_packed() {
                assert!(within, "seed {seed} step {step}: packed past the limits");
            }
            was_big |= !h.is_packed();
            if step % 97 == 0 {
                check(&h, &model);
            }
        }
        check(&h, &model);
        assert!(was_big, "seed {seed} never converted");
    }
}

#[test]
fn conversion_points_are_redis_s() {
    let limits = Limits {
        entries: 3,
        value: 8,
    };
    let mut h = Hash::default();
    assert_eq!(h.encoding(), "listpack");
    assert!(h.insert(b"12345678", b"v", limits));
    assert!(h.insert(b"b", b"12345678", limits));
    assert!(h.insert(b"c", b"3", limits));
    assert_eq!(h.encoding(), "listpack");
    assert!(!h.insert(b"c", b"4", limits), "an update adds nothing");
    assert!(h.insert(b"d", b"4", limits));
    assert_eq!(h.encoding(), "hashtable", "4 entries > 3");
    assert!(h.remove(b"d") && h.remove(b"c"));
    assert_eq!(h.encoding(), "hashtable", "never converts back");

    let mut long_value = Hash::default();
    long_value.insert(b"f", b"123456789", limits);
    assert_eq!(long_value.encoding(), "hashtable");
    let mut long_field = Hash::default();
    long_field.insert(b"f", b"1", limits);
    long_field.insert(b"123456789", b"1", limits);
    assert_eq!(long_field.encoding(), "hashtable");
    assert_eq!(long_field.get(b"f"), Some(&b"1"[..]));
}

#[test]
fn packed_keeps_insertion_order_and_updates_in_place() {
    let mut h = Hash::default();
    let limits = Limits::default();
    for (f, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
        h.insert(f.as_bytes(), v.as_bytes(), limits);
    }
    h.insert(b"a", b"longer value", limits);
    h.insert(b"b", b"", limits);
    h.remove(b"c");
    h.insert(b"c", b"3", limits);
    let pairs: Vec<(&[u8], &[u8])> = h.iter().collect();
    assert_eq!(
        pairs,
        vec![(&b"a"[..], &b"longer value"[..]), (b"b", b""), (b"c", b"3")]
    );
    let Repr::Packed(p) = &h.repr else {
        panic!("packed");
    };
    assert_eq!(p.buf.len(), 2 + 13 + 2 + 1 + 2 + 2, "exactly sized");
}

#[test]
fn long_entries_have_multi_byte_prefixes() {
    let limits = Limits {
        entries: 10,
        value: 100_000,
    };
    let mut h = Hash::default();
    let big = vec![b'x'; 70_000];
    h.insert(b"f", &big, limits);
    h.insert(&big[..200], b"v", limits);
    assert!(h.is_packed());
    assert_eq!(h.get(b"f"), Some(big.as_slice()));
    assert_eq!(h.get(&big[..200]), Some(&b"v"[..]));
    assert!(h.remove(b"f"));
    assert_eq!(h.len(), 1);
}

#[test]
fn scan_of_a_big_hash_returns_every_stable_field() {
    let limits = Limits::default();
    let mut h = Hash::default();
    for i in 0..1000 {
        h.insert(format!("f{i}").as_bytes(), b"v", limits);
    }
    let mut seen = std::collections::HashSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        cursor = h.scan(cursor, 10, |f, _| {
            seen.insert(f.to_vec());
        });
        round += 1;
        // Remove fields already seen and add new ones: moves entries around.
        h.remove(format!("f{}", round * 7 % 1000).as_bytes());
        h.insert(format!("new{round}").as_bytes(), b"v", limits);
        if cursor == 0 {
            break;
        }
    }
    for i in 0..1000 {
        let f = format!("f{i}");
        if h.contains(f.as_bytes()) {
            assert!(seen.contains(f.as_bytes()), "{f} missed");
        }
    }
}

#[test]
fn scan_of_a_packed_hash_is_one_step() {
    let mut h = Hash::default();
    h.insert(b"a", b"1", Limits::default());
    h.insert(b"b", b"2", Limits::default());
    let mut n = 0;
    assert_eq!(h.scan(77, 1, |_, _| n += 1), 0);
    assert_eq!(n, 2);
}

#[test]
fn free_some_frees_a_big_hash_in_slices() {
    let mut h = Hash::default();
    for i in 0..5000 {
        h.insert(format!("f{i}").as_bytes(), b"v", Limits::default());
    }
    assert_eq!(h.free_some(1000), 1000);
    assert_eq!(h.len(), 4000);
    assert_eq!(h.encoding(), "hashtable");
    let mut total = 1000;
    while !h.is_empty() {
        total += h.free_some(1000);
    }
    assert_eq!(total, 5000);
    let mut small = Hash::default();
    small.insert(b"a", b"1", Limits::default());
    assert_eq!(small.free_some(10), 1);
    assert!(small.is_empty());
}

#[test]
fn clone_and_equality_ignore_encoding_and_order() {
    let limits = Limits {
        entries: 2,
        value: 64,
    };
    let mut big = Hash::default();
    let mut small = Hash::default();
    for f in ["a", "b", "c"] {
        big.insert(f.as_bytes(), b"1", limits);
    }
    for f in ["c", "b", "a"] {
        small.insert(f.as_bytes(), b"1", Limits::default());
    }
    assert_ne!(big.encoding(), small.encoding());
    assert_eq!(big, small);
    let copy = big.clone();
    assert_eq!(copy, big);
    assert_eq!(copy.encoding(), "hashtable");
    small.insert(b"a", b"2", Limits::default());
    assert_ne!(big, small);
    assert_eq!(small.clone(), small);
}

#[test]
fn stays_small() {
    assert_eq!(std::mem::size_of::<Hash>(), 24);
}
