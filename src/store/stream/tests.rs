use super::*;

fn add(log: &mut Log, ms: u64, v: &[u8], limits: NodeLimits) {
    log.append(StreamId::new(ms, 0), &[(b"f", v)], limits);
}

#[test]
fn ranges_cross_nodes_in_both_directions() {
    let limits = NodeLimits {
        max_bytes: 4096,
        max_entries: 3,
    };
    let mut log = Log::default();
    for ms in 1..=10 {
        add(&mut log, ms, ms.to_string().as_bytes(), limits);
    }
    assert_eq!(log.nodes(), 4);
    let ids: Vec<u64> = log
        .range(StreamId::new(2, 0), StreamId::new(8, 0), false, 0)
        .iter()
        .map(|(id, _)| id.ms)
        .collect();
    assert_eq!(ids, vec![2, 3, 4, 5, 6, 7, 8]);
    let ids: Vec<u64> = log
        .range(StreamId::new(2, 0), StreamId::new(8, 0), true, 3)
        .iter()
        .map(|(id, _)| id.ms)
        .collect();
    assert_eq!(ids, vec![8, 7, 6]);
    assert!(log.delete(StreamId::new(5, 0)));
    assert!(!log.delete(StreamId::new(5, 0)));
    assert!(!log.exists(StreamId::new(5, 0)));
    assert_eq!(log.length, 9);
    assert_eq!(log.trim(Trim::MaxLen(4), false, 0), 5);
    assert_eq!(log.first_id, StreamId::new(7, 0));
    assert_eq!(log.trim(Trim::MinId(StreamId::new(9, 0)), true, 0), 0);
    assert_eq!(log.trim(Trim::MinId(StreamId::new(9, 0)), false, 0), 2);
    assert_eq!(log.edge(false), Some(StreamId::new(9, 0)));
    assert_eq!(log.edge(true), Some(StreamId::new(10, 0)));
}

#[test]
fn groups_track_pending_entries_per_consumer() {
    let mut g = Group::new(StreamId::MIN, 0);
    g.create_consumer(b"a", 1);
    g.create_consumer(b"b", 1);
    g.deliver(StreamId::new(1, 0), b"a", 5);
    g.deliver(StreamId::new(1, 0), b"b", 6);
    assert!(g.consumers[&b"a"[..]].pel.is_empty());
    assert_eq!(g.consumers[&b"b"[..]].pel.len(), 1);
    assert!(g.ack(StreamId::new(1, 0)));
    assert!(g.consumers[&b"b"[..]].pel.is_empty());
}
