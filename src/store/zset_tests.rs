//! The sorted set against a model (a map and a sorted vector), with random
//! operations across the packed -> big conversion.

use std::collections::HashMap;

use super::*;
use crate::store::Rng;

const LIMITS: PackLimits = PackLimits {
    entries: 16,
    value: 8,
};

const SCORES: &[f64] = &[
    f64::NEG_INFINITY,
    -3.5,
    -1.0,
    -0.0,
    0.0,
    1.0,
    2.0,
    2.5,
    1e300,
    f64::INFINITY,
];

fn member(rng: &mut Rng, range: u64) -> Vec<u8> {
    let n = rng.below(range as usize) as u64;
    let long = rng.below(40) == 0;
    let mut m = format!("m{n}").into_bytes();
    if long {
        m.extend_from_slice(b"-a-long-member-name");
    }
    m
}

fn sorted(model: &HashMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
    let mut v: Vec<(Vec<u8>, f64)> = model.iter().map(|(m, &s)| (m.clone(), s)).collect();
    v.sort_by(|a, b| order((a.1, &a.0), (b.1, &b.0)));
    v
}

fn contents(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
    z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
}

fn compare(z: &ZSet, model: &HashMap<Vec<u8>, f64>, rng: &mut Rng) {
    z.check();
    let want = sorted(model);
    assert_eq!(z.len(), want.len());
    assert_eq!(contents(z), want);
    let rev: Vec<_> = z.iter_from(0, true).map(|(m, s)| (m.to_vec(), s)).collect();
    let mut want_rev = want.clone();
    want_rev.reverse();
    assert_eq!(rev, want_rev);
    if want.is_empty() {
        return;
    }
    let r = rng.below(want.len() + 2);
    let fwd: Vec<_> = z
        .iter_from(r, false)
        .map(|(m, s)| (m.to_vec(), s))
        .collect();
    assert_eq!(fwd, want.iter().skip(r).cloned().collect::<Vec<_>>());
    let back: Vec<_> = z.iter_from(r, true).map(|(m, s)| (m.to_vec(), s)).collect();
    assert_eq!(back, want_rev.iter().skip(r).cloned().collect::<Vec<_>>());
    for (rank, (m, s)) in want.iter().enumerate() {
        assert_eq!(z.rank(m), Some((rank, *s)));
        assert_eq!(z.score(m), Some(*s));
    }
    let bound = SCORES[rng.below(SCORES.len())];
    let below = want.iter().filter(|(_, s)| *s < bound).count();
    assert_eq!(z.count_scores_while(|s| s < bound), below);
    let lex = member(rng, 30);
    let lex_below = want
        .iter()
        .take_while(|(m, _)| m.as_slice() < &lex[..])
        .count();
    let monotonic = want[lex_below..]
        .iter()
        .all(|(m, _)| m.as_slice() >= &lex[..]);
    if monotonic {
        assert_eq!(z.count_members_while(|m| m < &lex[..]), lex_below);
    }
    let (m, s) = z.random(rng.next_u64()).expect("non-empty");
    assert_eq!(model.get(m), Some(&s));
    let mut scanned = HashMap::new();
    let mut cursor = 0;
    loop {
        cursor = z.scan(cursor, 3, |m, s| {
            scanned.insert(m.to_vec(), s);
        });
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(&scanned, model);
    assert!(z.clone() == *z);
}

fn random_ops(seed: u64, rounds: usize, range: u64) {
    let mut rng = Rng::new(seed);
    let mut z = ZSet::new(LIMITS, 1);
    let mut model: HashMap<Vec<u8>, f64> = HashMap::new();
    for round in 0..rounds {
        match rng.below(10) {
            0..=4 => {
                let m = member(&mut rng, range);
                let s = SCORES[rng.below(SCORES.len())];
                assert_eq!(z.insert(&m, s, LIMITS), model.insert(m, s));
            }
            5 | 6 => {
                let m = member(&mut rng, range);
                assert_eq!(z.remove(&m), model.remove(&m));
            }
            7 => {
                let max = rng.below(2) == 0;
                let want = sorted(&model);
                let expect = if max { want.last() } else { want.first() };
                let got = z.pop(max).map(|(m, s)| (m.as_slice().to_vec(), s));
                assert_eq!(got.as_ref(), expect);
                if let Some((m, _)) = got {
                    model.remove(&m);
                }
            }
            8 => {
                let want = sorted(&model);
                let start = rng.below(want.len() + 1);
                let end = start + rng.below(4);
                let removed = z.remove_ranks(start, end);
                let gone: Vec<_> = want.iter().skip(start).take(end - start + 1).collect();
                assert_eq!(removed, gone.len());
                for (m, _) in gone {
                    model.remove(m);
                }
            }
            _ => {
                let m = member(&mut rng, range);
                assert_eq!(z.score(&m), model.get(&m).copied());
            }
        }
        if round % 7 == 0 {
            compare(&z, &model, &mut rng);
        }
    }
    compare(&z, &model, &mut rng);
}

#[test]
fn random_operations_match_the_model_across_conversion() {
    for seed in 1..40 {
        random_ops(seed * 7919, 400, 30);
    }
}

#[test]
fn a_big_set_stays_consistent() {
    random_ops(12345, 6000, 700);
}

#[test]
fn encodings_follow_the_limits() {
    let mut z = ZSet::new(LIMITS, 1);
    assert_eq!(z.encoding(), "listpack");
    for i in 0..16 {
        z.insert(format!("{i}").as_bytes(), i as f64, LIMITS);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"x", 0.0, LIMITS);
    assert_eq!(z.encoding(), "skiplist");
    let mut long = ZSet::new(LIMITS, 1);
    long.insert(b"123456789", 1.0, LIMITS);
    assert_eq!(long.encoding(), "skiplist");
    assert_eq!(ZSet::new(LIMITS, 9).encoding(), "skiplist");
    let none = PackLimits {
        entries: 0,
        value: 64,
    };
    assert_eq!(ZSet::new(none, 1).encoding(), "skiplist");
    let built = ZSet::from_entries(
        vec![(Bytes::from("b"), 2.0), (Bytes::from("a"), 2.0)],
        LIMITS,
    );
    assert_eq!(built.encoding(), "listpack");
    assert_eq!(built.get(0), Some((&b"a"[..], 2.0)));
}

#[test]
fn freeing_in_slices_empties_the_set() {
    let mut z = ZSet::new(LIMITS, 1);
    for i in 0..1000 {
        z.insert(format!("member-{i}").as_bytes(), i as f64, LIMITS);
    }
    let mut freed = 0;
    while !z.is_empty() {
        freed += z.free_some(64);
    }
    assert_eq!(freed, 1000);
    let mut small = ZSet::new(LIMITS, 1);
    small.insert(b"a", 1.0, LIMITS);
    assert_eq!(small.free_some(10), 1);
    assert!(small.is_empty());
}

#[test]
fn ranks_stay_fast_and_right_in_a_large_set() {
    let mut z = ZSet::new(LIMITS, 1);
    let n = 50_000;
    for i in 0..n {
        z.insert(format!("{i:08}").as_bytes(), (i / 3) as f64, LIMITS);
    }
    for i in (0..n).step_by(997) {
        let m = format!("{i:08}");
        assert_eq!(z.rank(m.as_bytes()), Some((i, (i / 3) as f64)));
        assert_eq!(z.get(i), Some((m.as_bytes(), (i / 3) as f64)));
    }
    assert_eq!(z.remove_ranks(10, 19), 10);
    assert_eq!(z.len(), n - 10);
    assert_eq!(
        z.get(10).map(|(m, _)| m.to_vec()),
        Some(b"00000020".to_vec())
    );
}

#[test]
fn lex_counts_with_equal_scores() {
    for n in [10usize, 500] {
        let mut z = ZSet::new(LIMITS, 1);
        let mut members: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("{}", i * 7919 % 1000).into_bytes())
            .collect();
        for m in &members {
            z.insert(m, 0.0, LIMITS);
        }
        members.sort();
        members.dedup();
        for probe in ["", "1", "5", "50", "999", "a"] {
            let want = members
                .iter()
                .filter(|m| m.as_slice() < probe.as_bytes())
                .count();
            assert_eq!(
                z.count_members_while(|m| m < probe.as_bytes()),
                want,
                "{probe}"
            );
        }
    }
}

#[test]
fn a_set_is_small() {
    // Boxed inside a value: 24 bytes is one 32-byte allocation.
    assert!(
        std::mem::size_of::<ZSet>() <= 24,
        "{}",
        std::mem::size_of::<ZSet>()
    );
}

#[test]
fn packed_scores_round_trip_in_every_width() {
    let mut z = ZSet::new(LIMITS, 1);
    let scores = [
        0.0,
        -0.0,
        111.0,
        -112.0,
        112.0,
        -113.0,
        40000.0,
        -40000.0,
        3e9,
        1.5,
        f64::INFINITY,
    ];
    for (i, &s) in scores.iter().enumerate() {
        z.insert(
            format!("{i}").as_bytes(),
            s,
            PackLimits {
                entries: 64,
                value: 64,
            },
        );
    }
    assert_eq!(z.encoding(), "listpack");
    for (i, &s) in scores.iter().enumerate() {
        let got = z.score(format!("{i}").as_bytes()).expect("present");
        assert_eq!(got.to_bits(), s.to_bits(), "{s}");
    }
}
