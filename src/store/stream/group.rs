//! Consumer groups: the delivered-but-unacknowledged entries (the PEL) of a group
//! and of each of its consumers.

use std::collections::{BTreeMap, BTreeSet};

use super::id::StreamId;

/// A group's `entries_read` when it is unknown (Redis's `SCG_INVALID_ENTRIES_READ`).
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A pending (delivered, not acknowledged) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nack {
    /// Last delivery, Unix ms.
    pub delivery_time: i64,
    /// Number of deliveries.
    pub delivery_count: u64,
    /// The consumer it was last delivered to.
    pub consumer: Box<[u8]>,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consumer {
    /// Last time it read or claimed, Unix ms.
    pub seen_time: i64,
    /// IDs pending for it (their details are in the group's PEL).
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Group {
    /// Last ID delivered to the group.
    pub last_id: StreamId,
    /// Entries the group read (logically), or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    /// Pending entries of all its consumers.
    pub pel: BTreeMap<StreamId, Nack>,
    /// Its consumers, by name.
    pub consumers: BTreeMap<Box<[u8]>, Consumer>,
}

impl Group {
    /// A group that has delivered up to `last_id`.
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Creates consumer `name` (seen at `now`); false if it existed.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.into(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Looks consumer `name` up, refreshing its seen time; creates it when missing.
    /// Returns true when it was created.
    pub fn touch_consumer(&mut self, name: &[u8], now: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now;
                false
            }
            None => self.create_consumer(name, now),
        }
    }

    /// Deletes consumer `name` and its pending entries; how many were pending, or
    /// `None` if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Acknowledges `id`; false if it was not pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Records `id` as delivered to `consumer` (which exists) at `now`: a new pending
    /// entry, or one moved from another consumer with its count reset to 1.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: i64) {
        if let Some(old) = self.pel.get(&id).map(|n| n.consumer.clone())
            && let Some(c) = self.consumers.get_mut(&old)
        {
            c.pel.remove(&id);
        }
        self.pel.insert(
            id,
            Nack {
                delivery_time: now,
                delivery_count: 1,
                consumer: consumer.into(),
            },
        );
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Moves pending `id` to `consumer` (which exists), keeping the entry's counters.
    pub fn reassign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if *nack.consumer != *consumer {
            let old = std::mem::replace(&mut nack.consumer, consumer.into());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn memory(&self) -> usize {
        let pel: usize = self.pel.values().map(|n| 48 + n.consumer.len()).sum();
        let consumers: usize = self
            .consumers
            .iter()
            .map(|(name, c)| 64 + name.len() + c.pel.len() * 24)
            .sum();
        96 + pel + consumers
    }
}
