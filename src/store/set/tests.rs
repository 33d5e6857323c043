//! The set type against a `HashSet` model, through every encoding and conversion.

use std::collections::HashSet;

use super::*;
use crate::store::Rng;

fn text(m: Item<'_>) -> Vec<u8> {
    m.with_text(|t| t.to_vec())
}

/// A random member: small or wide integers, non-canonical integer texts, short
/// strings, and strings too long to pack.
fn random_member(rng: &mut Rng, spread: usize) -> Vec<u8> {
    match rng.below(10) {
        0..=3 => (rng.below(spread) as i64 - 50).to_string().into_bytes(),
        4 => (rng.next_u64() as i64 >> rng.below(64))
            .to_string()
            .into_bytes(),
        5 => format!("0{}", rng.below(spread)).into_bytes(),
        6 => vec![b'L'; 60 + rng.below(10)],
        _ => format!("m{}", rng.below(spread)).into_bytes(),
    }
}

fn check(set: &Set, model: &HashSet<Vec<u8>>) {
    assert_eq!(set.len(), model.len());
    let listed: Vec<Vec<u8>> = set.iter().map(text).collect();
    assert_eq!(
        listed.len(),
        model.len(),
        "iteration yields each member once"
    );
    assert_eq!(listed.iter().cloned().collect::<HashSet<_>>(), *model);
    for i in 0..set.len() {
        let m = set.get(i).map(text).expect("index in range");
        assert!(model.contains(&m));
    }
    assert_eq!(set.get(set.len()), None);
}

fn run(seed: u64, limits: SetLimits, ops: usize, spread: usize) -> HashSet<&'static str> {
    let mut rng = Rng::new(seed);
    let mut set = Set::new();
    let mut model: HashSet<Vec<u8>> = HashSet::new();
    let mut seen = HashSet::new();
    for step in 0..ops {
        let m = random_member(&mut rng, spread);
        match rng.below(8) {
            0..=3 => assert_eq!(set.insert(&m, &limits), model.insert(m.clone())),
            4 => assert_eq!(set.remove(&m), model.remove(&m)),
            5 => assert_eq!(set.contains(&m), model.contains(&m)),
            6 if !set.is_empty() => {
                let i = rng.below(set.len());
                let got = set.remove_at(i).expect("in range");
                assert!(model.remove(&text(got.as_item())));
            }
            _ => {
                let copy = set.clone();
                assert_eq!(copy, set);
                assert_eq!(copy.encoding(), set.encoding());
            }
        }
        seen.insert(set.encoding());
        if step % 97 == 0 {
            check(&set, &model);
        }
    }
    check(&set, &model);
    let mut freed = 0;
    while !set.is_empty() {
        freed += set.free_some(100);
    }
    assert_eq!(freed, model.len());
    seen
}

#[test]
fn random_operations_match_a_hash_set_across_conversions() {
    let mut seen = HashSet::new();
    for seed in 1..6 {
        seen.extend(run(seed, SetLimits::default(), 4000, 400));
        let tight = SetLimits {
            intset_entries: 8,
            listpack_entries: 6,
            listpack_value: 62,
        };
        seen.extend(run(seed * 77, tight, 2000, 30));
    }
    assert_eq!(seen.len(), 3, "every encoding met: {seen:?}");
}

#[test]
fn conversions_follow_redis_rules() {
    let limits = SetLimits::default();
    let mut s = Set::new();
    for i in 0..512 {
        assert!(s.insert(i.to_string().as_bytes(), &limits));
    }
    assert_eq!(s.encoding(), "intset");
    assert!(s.insert(b"512", &limits));
    assert_eq!(s.encoding(), "hashtable", "past set-max-intset-entries");

    let mut s = Set::new();
    s.insert(b"1", &limits);
    s.insert(b"a", &limits);
    assert_eq!(s.encoding(), "listpack");
    assert!(s.contains(b"1") && s.contains_member(Item::Int(1)));
    for i in 0..126 {
        s.insert(format!("m{i}").as_bytes(), &limits);
    }
    assert_eq!((s.len(), s.encoding()), (128, "listpack"));
    s.insert(b"one more", &limits);
    assert_eq!(s.encoding(), "hashtable", "past set-max-listpack-entries");
    assert!(s.remove(b"one more"));
    assert_eq!(s.encoding(), "hashtable", "never converts back");

    let mut s = Set::new();
    s.insert(b"1", &limits);
    s.insert(&[b'x'; 65], &limits);
    assert_eq!(s.encoding(), "hashtable", "past set-max-listpack-value");

    let mut s = Set::new();
    s.insert(b"x", &limits);
    s.insert(&[b'x'; 65], &limits);
    assert_eq!(s.encoding(), "hashtable");

    // Integers beyond i64 and non-canonical texts are strings.
    let mut s = Set::new();
    s.insert(b"213244124402402314402033402", &limits);
    assert_eq!(s.encoding(), "listpack");
    let mut s = Set::new();
    s.insert(b"-0", &limits);
    assert_eq!(s.encoding(), "listpack");
}

#[test]
fn scan_of_a_hashtable_returns_every_stable_member() {
    let limits = SetLimits::default();
    let mut s = Set::new();
    for i in 0..1000 {
        s.insert(format!("k{i}").as_bytes(), &limits);
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        cursor = s.scan(cursor, 7, |m| {
            seen.insert(text(m));
        });
        round += 1;
        // Remove a member already returned, moving the last one around.
        let victim = format!("k{}", round * 3);
        if seen.contains(victim.as_bytes()) {
            s.remove(victim.as_bytes());
        }
        if cursor == 0 {
            break;
        }
    }
    for m in s.iter() {
        assert!(seen.contains(&text(m)));
    }
    // A small set comes whole in one step.
    let mut small = Set::new();
    small.insert(b"1", &limits);
    small.insert(b"2", &limits);
    let mut n = 0;
    assert_eq!(small.scan(17, 1, |_| n += 1), 0);
    assert_eq!(n, 2);
}

#[test]
fn sampler_and_owned_members() {
    let limits = SetLimits::default();
    let mut s = Set::new();
    for m in ["a", "b", "c"] {
        s.insert(m.as_bytes(), &limits);
    }
    let sampler = s.sampler();
    assert_eq!(sampler.len(), 3);
    let all: HashSet<Vec<u8>> = (0..3).filter_map(|i| sampler.get(i)).map(text).collect();
    assert_eq!(all.len(), 3);
    assert_eq!(sampler.get(3), None);
    assert_eq!(Item::from_bytes(b"12"), Item::Int(12));
    assert_eq!(Item::from_bytes(b"012"), Item::Str(b"012"));
    assert_eq!(Item::Int(7).to_owned_item().as_item(), Item::Int(7));
}

#[test]
fn a_set_stays_small() {
    assert!(std::mem::size_of::<Set>() <= 24);
}
