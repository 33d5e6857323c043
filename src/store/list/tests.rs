//! The list against a `VecDeque` model, under random operations and small node
//! limits (so that nodes split, merge and empty often).

use std::collections::VecDeque;

use super::*;
use crate::store::Rng;

/// A random element: small and large integers, short, medium and long strings, and
/// texts that look like integers but are not canonical.
fn element(rng: &mut Rng) -> Vec<u8> {
    match rng.below(8) {
        0 => rng.below(20).to_string().into_bytes(),
        1 => (rng.next_u64() as i64).to_string().into_bytes(),
        2 => format!("0{}", rng.below(10)).into_bytes(),
        3 => vec![b'a' + rng.below(3) as u8; rng.below(300)],
        4 => vec![b'x'; 20000 + rng.below(100)],
        _ => format!("v{}", rng.below(30)).into_bytes(),
    }
}

fn text(item: Item<'_>) -> Vec<u8> {
    item.to_vec()
}

fn check(list: &List, model: &VecDeque<Vec<u8>>, limit: NodeLimit) {
    assert_eq!(list.len(), model.len());
    let got: Vec<Vec<u8>> = list.iter().map(text).collect();
    assert_eq!(got.len(), model.len());
    assert!(got.iter().eq(model.iter()), "contents differ");
    if !model.is_empty() {
        let back: Vec<Vec<u8>> = list.rev_from(model.len() - 1).map(text).collect();
        assert!(back.iter().eq(model.iter().rev()), "reverse walk differs");
    }
    let counted: usize = (0..list.nodes.len())
        .map(|i| list.nodes.get(i).map_or(0, |n| n.count()))
        .sum();
    assert_eq!(counted, model.len());
    for i in 0..list.nodes.len() {
        let node = list.nodes.get(i);
        assert!(node.is_some_and(|n| n.count() > 0), "empty node");
        assert!(
            node.is_some_and(|n| n.count() == 1 || limit.fits(n)),
            "oversized node"
        );
    }
}

fn run(seed: u64, limit: NodeLimit, steps: usize) {
    let mut rng = Rng::new(seed);
    let mut list = List::new();
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    let mut longest = 0;
    for _ in 0..steps {
        match rng.below(15) {
            0 | 1 | 12 | 13 => {
                let v = element(&mut rng);
                list.push(Side::Left, &v, limit);
                model.push_front(v);
            }
            2 | 3 | 14 => {
                let v = element(&mut rng);
                list.push(Side::Right, &v, limit);
                model.push_back(v);
            }
            4 => {
                let got = list.pop(Side::Left).map(|e| e.as_item().to_vec());
                assert_eq!(got, model.pop_front());
            }
            5 => {
                let got = list.pop(Side::Right).map(|e| e.as_item().to_vec());
                assert_eq!(got, model.pop_back());
            }
            6 => {
                let i = rng.below(model.len() + 2);
                assert_eq!(list.get(i).map(text), model.get(i).cloned());
                let from = rng.below(model.len() + 1);
                let got: Vec<Vec<u8>> = list.iter_from(from).take(7).map(text).collect();
                let want: Vec<Vec<u8>> = model.iter().skip(from).take(7).cloned().collect();
                assert_eq!(got, want);
            }
            7 => {
                let i = rng.below(model.len() + 1);
                let v = element(&mut rng);
                let ok = list.set(i, &v, limit);
                assert_eq!(ok, i < model.len());
                if ok {
                    model[i] = v;
                }
            }
            8 => {
                let pivot = element(&mut rng);
                let pivot = match rng.below(2) {
                    0 if !model.is_empty() => model[rng.below(model.len())].clone(),
                    _ => pivot,
                };
                let after = rng.below(2) == 0;
                let v = element(&mut rng);
                let ok = list.insert_at_pivot(&pivot, after, &v, limit);
                let at = model.iter().position(|e| *e == pivot);
                assert_eq!(ok, at.is_some());
                if let Some(at) = at {
                    model.insert(at + usize::from(after), v);
                }
            }
            9 => {
                let v = element(&mut rng);
                let count = rng.below(4);
                let from_tail = rng.below(2) == 0;
                let removed = list.remove_matching(&v, count, from_tail, limit);
                let want = if count == 0 { usize::MAX } else { count };
                let mut done = 0;
                if from_tail {
                    let mut i = model.len();
                    while i > 0 && done < want {
                        i -= 1;
                        if model[i] == v {
                            model.remove(i);
                            done += 1;
                        }
                    }
                } else {
                    let mut i = 0;
                    while i < model.len() && done < want {
                        if model[i] == v {
                            model.remove(i);
                            done += 1;
                        } else {
                            i += 1;
                        }
                    }
                }
                assert_eq!(removed, done);
            }
            10 => {
                let len = model.len();
                let start = rng.below(len / 16 + 1);
                let end = len - rng.below(len / 16 + 1);
                list.retain_range(start, end);
                let end = end.max(start);
                let kept: VecDeque<Vec<u8>> = model
                    .iter()
                    .skip(start)
                    .take(end - start)
                    .cloned()
                    .collect();
                model = kept;
            }
            _ => {
                let side = if rng.below(2) == 0 {
                    Side::Left
                } else {
                    Side::Right
                };
                let n = rng.below(5);
                list.remove_end(side, n);
                for _ in 0..n {
                    match side {
                        Side::Left => model.pop_front(),
                        Side::Right => model.pop_back(),
                    };
                }
            }
        }
        check(&list, &model, limit);
        longest = longest.max(model.len());
    }
    assert!(longest > 60, "the run should build a long list: {longest}");
    let copy = list.clone();
    assert_eq!(copy, list);
    let total = list.len();
    let mut freed = 0;
    while !list.is_empty() {
        freed += list.free_some(10);
    }
    assert_eq!(freed, total);
}

#[test]
fn random_operations_match_a_deque() {
    for seed in 1..=6 {
        run(seed * 7919, NodeLimit::new(usize::MAX, 4), 3000);
        run(seed * 104_729, NodeLimit::new(512, usize::MAX), 3000);
        run(seed * 15_485_863, NodeLimit::default(), 1500);
    }
}

#[test]
fn sixteen_byte_elements_pack_densely() {
    let mut list = List::new();
    let limit = NodeLimit::default();
    for i in 0..100_000u32 {
        list.push(Side::Right, format!("value:{i:010}").as_bytes(), limit);
    }
    let per_node = list.len() / list.node_count();
    // 8 KB nodes of 18-byte entries.
    assert!(per_node >= 450, "{per_node} entries per node");
    assert_eq!(
        list.get(54_321).map(text),
        Some(b"value:0000054321".to_vec())
    );
}

#[test]
fn small_list_keeps_one_inline_node() {
    let mut list = List::new();
    for i in 0..10 {
        list.push(Side::Left, format!("{i}").as_bytes(), NodeLimit::default());
    }
    assert!(matches!(list.nodes, Nodes::One(_)));
    assert_eq!(list.pop(Side::Right), Some(OwnedItem::Int(0)));
    assert_eq!(list.get(0), Some(Item::Int(9)));
}

#[test]
fn a_list_is_one_node_in_size() {
    assert_eq!(std::mem::size_of::<Nodes>(), std::mem::size_of::<Node>());
    assert_eq!(std::mem::size_of::<List>(), 40);
}
