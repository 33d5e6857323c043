//! Tests of the key table.

use std::collections::HashMap;

use super::*;
use crate::store::Rng;

impl<V> Table<V> {
    /// Pieces allocated in the (old, new) bucket arrays (tests only).
    fn allocated_pieces(&self) -> (usize, usize) {
        (
            self.buckets[0].allocated_pieces(),
            self.buckets[1].allocated_pieces(),
        )
    }

    /// Checks every invariant (tests only): each entry is reachable from exactly the
    /// bucket its hash names in one of the arrays, and nothing else is linked.
    fn check(&self) {
        let mut seen = vec![false; self.len()];
        for (t, buckets) in self.buckets.iter().enumerate() {
            for b in 0..buckets.len() {
                let head = buckets.get(b);
                if t == 0 && self.is_rehashing() && b < self.rehash_idx {
                    assert_eq!(head, 0, "moved bucket {b} not emptied");
                    let piece_done = (b | (PIECE - 1)) < self.rehash_idx;
                    assert!(!piece_done || buckets.piece_is_empty(b), "piece kept");
                }
                let mut link = head;
                while link != 0 {
                    let pos = link as usize - 1;
                    assert!(pos < self.len(), "link past the end");
                    assert!(!seen[pos], "entry {pos} linked twice");
                    seen[pos] = true;
                    let slot = self.slots.at(link);
                    assert_eq!(buckets.bucket_of(self.hash(&slot.key)), b);
                    assert!(slot.may_be(self.hash(&slot.key)));
                    link = slot.next;
                }
            }
        }
        assert!(seen.iter().all(|&s| s), "entry not linked");
        assert!(self.slots.chunks.len() <= self.len().div_ceil(CHUNK) + 1);
    }
}

fn key(i: usize) -> Vec<u8> {
    // Mix short (inline) and long (heap) keys.
    if i.is_multiple_of(3) {
        format!("a-rather-long-key-name-for-the-heap-{i}").into_bytes()
    } else {
        format!("k{i}").into_bytes()
    }
}

#[test]
fn insert_lookup_replace() {
    let mut t: Table<usize> = Table::default();
    assert_eq!(t.bucket_counts(), (0, 0));
    for i in 0..100 {
        assert_eq!(t.insert(&key(i), i), (i, None));
    }
    assert_eq!(t.len(), 100);
    for i in 0..100 {
        assert_eq!(t.position(&key(i)), Some(i));
        assert_eq!(t[i], i);
        assert_eq!(t.get_index(i).map(|(k, _)| k.to_vec()), Some(key(i)));
    }
    assert_eq!(t.insert(&key(7), 70), (7, Some(7)));
    assert_eq!(t[7], 70);
    assert_eq!(t.position(b"absent"), None);
    t.check();
}

#[test]
fn swap_remove_moves_the_last_entry_into_the_hole() {
    let mut t: Table<usize> = Table::default();
    for i in 0..10 {
        t.insert(&key(i), i);
    }
    let (k, v, h) = t.swap_remove_index(3).expect("in range");
    assert_eq!((k.to_vec(), v, h), (key(3), 3, t.hash(&key(3))));
    assert_eq!(t.len(), 9);
    assert_eq!(t[3], 9, "the last entry moved to position 3");
    assert_eq!(t.position(&key(9)), Some(3));
    assert_eq!(t.position(&key(3)), None);
    // Removing the last entry moves nothing.
    assert_eq!(t.swap_remove_index(8).map(|(_, v, _)| v), Some(8));
    assert_eq!(t.position(&key(9)), Some(3));
    assert!(t.swap_remove_index(8).is_none());
    assert_eq!(t.remove(&key(0)).map(|(_, v)| v), Some(0));
    assert_eq!(t[0], 7);
    t.check();
    while t.pop().is_some() {
        t.check();
    }
    assert!(t.is_empty());
}

#[test]
fn growth_is_incremental() {
    let mut t: Table<usize> = Table::default();
    let mut rehashes = 0;
    let mut longest = 0;
    let mut run = 0;
    for i in 0..50_000 {
        let was = t.is_rehashing();
        t.insert(&key(i), i);
        if t.is_rehashing() {
            run += 1;
            if !was {
                rehashes += 1;
            }
        } else {
            longest = longest.max(run);
            run = 0;
        }
        if i % 997 == 0 {
            t.check();
        }
    }
    // 4 buckets to 65536: 14 doublings, each spread over many inserts.
    assert_eq!(rehashes, 14);
    assert!(longest > 1000, "longest rehash spanned {longest} inserts");
    for i in (0..50_000).step_by(7) {
        assert_eq!(t.position(&key(i)), Some(i));
    }
    // Idle steps finish a rehash.
    while t.rehash_step(100) {}
    assert!(!t.is_rehashing());
    t.check();
}

#[test]
fn bucket_pieces_are_allocated_and_freed_as_the_rehash_passes() {
    let mut t: Table<usize> = Table::default();
    let mut i = 0;
    // Grow until a rehash to 4096 buckets (64 pieces in tests) starts.
    while t.bucket_counts().1 != 4096 {
        t.insert(&key(i), i);
        i += 1;
    }
    assert_eq!(t.allocated_pieces().0, 2048 / PIECE);
    assert!(t.allocated_pieces().1 <= 1, "{:?}", t.allocated_pieces());
    let mut fewest_old = usize::MAX;
    while t.is_rehashing() {
        t.insert(&key(i), i);
        i += 1;
        if t.is_rehashing() {
            fewest_old = fewest_old.min(t.allocated_pieces().0);
        }
        // Among others, `check` asserts that the pieces the rehash passed are freed.
        t.check();
    }
    assert!(fewest_old <= 1, "old pieces freed during the rehash");
    assert_eq!(t.allocated_pieces(), (4096 / PIECE, 0));
}

#[test]
fn lookups_and_deletes_work_mid_rehash() {
    let mut t: Table<usize> = Table::default();
    let mut i = 0;
    while !(t.is_rehashing() && t.len() > 1000) {
        t.insert(&key(i), i);
        i += 1;
    }
    let n = i;
    t.check();
    // Delete every other key while the rehash is under way.
    for j in (0..n).step_by(2) {
        assert!(t.remove(&key(j)).is_some(), "{j}");
        t.check();
    }
    for j in 0..n {
        assert_eq!(t.position(&key(j)).is_some(), j % 2 == 1, "{j}");
    }
}

#[test]
fn shrinks_incrementally_after_deletes() {
    let mut t: Table<usize> = Table::default();
    for i in 0..20_000 {
        t.insert(&key(i), i);
    }
    while t.rehash_step(1000) {}
    assert_eq!(t.bucket_counts(), (32768, 0));
    let mut shrinks = 0;
    for i in 0..19_990 {
        let was = t.is_rehashing();
        t.remove(&key(i));
        if t.is_rehashing() && !was {
            shrinks += 1;
        }
    }
    while t.rehash_step(1000) {}
    t.check();
    assert!(shrinks >= 2, "{shrinks}");
    assert!(t.bucket_counts().0 <= 64, "{:?}", t.bucket_counts());
    for i in 19_990..20_000 {
        assert!(t.position(&key(i)).is_some());
    }
    // The emptied chunks were freed (one spare is kept).
    assert!(t.slots.chunks.len() <= 2);
}

#[test]
fn chunks_are_allocated_whole_and_kept_one_spare() {
    let mut t: Table<()> = Table::default();
    for i in 0..CHUNK + 1 {
        t.insert(&key(i), ());
    }
    assert_eq!(t.slots.chunks.len(), 2);
    assert_eq!(t.slots.chunks[1].capacity(), CHUNK);
    t.pop();
    assert_eq!(t.slots.chunks.len(), 2, "spare kept");
    t.pop();
    assert_eq!(t.slots.chunks.len(), 2, "spare kept");
    for _ in 0..CHUNK - 1 {
        t.pop();
    }
    assert_eq!(t.len(), 0);
    assert!(t.slots.chunks.len() <= 1);
    t.check();
}

#[test]
fn slots_free_in_slices() {
    let mut t: Table<usize> = Table::default();
    for i in 0..10_000 {
        t.insert(&key(i), i);
    }
    let mut slots = t.into_slots();
    assert_eq!(slots.free_some(4000), 4000);
    assert_eq!(slots.len(), 6000);
    assert_eq!(slots.pop().map(|(_, v)| v), Some(5999));
    assert_eq!(slots.free_some(10_000), 5999);
    assert!(slots.is_empty());
    assert_eq!(slots.free_some(10), 0);
}

#[test]
fn randomized_against_a_hashmap() {
    let mut rng = Rng::new(0x1234_5678_9abc_def1);
    let mut t: Table<u64> = Table::default();
    let mut model: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut ops: u32 = 0;
    let (mut grows, mut shrinks) = (0, 0);
    // Phases of growth and decay over different key spaces: several grows and shrinks.
    for (rounds, space, insert_pct) in [
        (6000, 3000, 80),
        (8000, 3000, 20),
        (20_000, 20_000, 75),
        (30_000, 20_000, 15),
        (5000, 500, 60),
    ] {
        for _ in 0..rounds {
            ops += 1;
            let (was, size) = (t.is_rehashing(), t.bucket_counts().0);
            let k = key(rng.below(space));
            let roll = rng.below(100);
            if roll < insert_pct {
                let v = rng.next_u64();
                let (pos, old) = t.insert(&k, v);
                assert_eq!(old, model.insert(k.clone(), v));
                assert_eq!(t[pos], v);
            } else if roll < insert_pct + (100 - insert_pct) / 2 {
                let got = t.remove(&k).map(|(key, v)| (key.to_vec(), v));
                assert_eq!(got, model.remove(&k).map(|v| (k.clone(), v)));
            } else if !t.is_empty() {
                let pos = rng.below(t.len());
                let (key, v, _) = t.swap_remove_index(pos).expect("in range");
                assert_eq!(model.remove(key.as_slice()), Some(v));
            }
            if !was && t.is_rehashing() {
                if t.bucket_counts().1 > size {
                    grows += 1;
                } else {
                    shrinks += 1;
                }
            }
            if rng.below(50) == 0 {
                t.rehash_step(rng.below(8));
            }
            let probe = key(rng.below(space));
            assert_eq!(t.position(&probe).map(|p| t[p]), model.get(&probe).copied());
            assert_eq!(t.len(), model.len());
            if ops.is_multiple_of(1000) {
                t.check();
            }
        }
        t.check();
        for (k, v) in &model {
            let pos = t.position(k).expect("present");
            assert_eq!(t[pos], *v);
        }
        assert_eq!(t.iter().count(), model.len());
    }
    assert!(
        grows >= 10 && shrinks >= 3,
        "{grows} grows, {shrinks} shrinks"
    );
}

#[test]
fn slots_of_small_values_take_no_room_for_the_flag() {
    assert_eq!(std::mem::size_of::<Slot<crate::store::Value>>(), 56);
}

#[test]
fn flag_sets_clears_and_follows_its_entry() {
    let mut t: Table<usize> = Table::default();
    t.insert(b"a", 1);
    assert!(!t.flag(0), "a new entry is unflagged");
    t.set_flag(0, true);
    assert!(t.flag(0));
    assert_eq!(
        t.position(b"a"),
        Some(0),
        "the flag does not disturb lookups"
    );
    t.set_flag(0, false);
    assert!(!t.flag(0));
    assert!(!t.flag(5), "out of range");
    t.set_flag(5, true);
    t.remove(b"a");

    // Flag every third key, then grow (rehashing), remove from the middle (moving the
    // last entry into each hole) and shrink: each key keeps its own flag.
    let flagged = |i: usize| i.is_multiple_of(3);
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut live: Vec<usize> = Vec::new();
    for i in 0..5000 {
        let (pos, _) = t.insert(&key(i), i);
        t.set_flag(pos, flagged(i));
        live.push(i);
        if rng.below(7) == 0 {
            t.rehash_step(1);
        }
    }
    while live.len() > 100 {
        let victim = live.swap_remove(rng.below(live.len()));
        let pos = t.position(&key(victim)).expect("present");
        assert_eq!(t.swap_remove_index(pos).map(|(_, v, _)| v), Some(victim));
        if live.len().is_multiple_of(97) {
            t.check();
        }
    }
    while t.rehash_step(100) {}
    t.check();
    for &i in &live {
        let pos = t.position(&key(i)).expect("present");
        assert_eq!((t[pos], t.flag(pos)), (i, flagged(i)), "key {i}");
    }
    let flags = t.iter_hashed().filter(|&(_, _, _, f)| f).count();
    assert_eq!(flags, live.iter().filter(|&&i| flagged(i)).count());
}

#[test]
fn clock_and_flag_share_the_entry_and_move_with_it() {
    let mut t: Table<u32> = Table::default();
    for i in 0..300 {
        t.insert(&key(i), i as u32);
    }
    for pos in 0..300 {
        t.set_clock(pos, 0xFF_0000 | pos as u32);
        t.set_flag(pos, pos % 2 == 0);
    }
    t.set_clock(5, u32::MAX);
    assert_eq!(t.clock(5), CLOCK_MAX, "kept to 24 bits");
    assert!(t.flag(4) && !t.flag(5), "the clock leaves the flag alone");
    // Removing position 7 moves the last entry (299) there, with its clock and flag.
    t.swap_remove_index(7);
    assert_eq!(t.position(&key(299)), Some(7));
    assert_eq!(t.clock(7), 0xFF_0000 | 299);
    assert!(!t.flag(7));
    t.check();
    // Growing (a rehash of every entry) keeps clocks and lookups.
    for i in 300..3000 {
        t.insert(&key(i), i as u32);
    }
    while t.rehash_step(1000) {}
    t.check();
    let pos = t.position(&key(100)).expect("present");
    assert_eq!(t.clock(pos), 0xFF_0000 | 100);
}
