//! Pub/sub state and delivery: who listens to what ([`PubSub`], and each client's
//! [`Subscriptions`]), PUBLISH's fan-out ([`publish`], then [`deliver`] after the
//! command) and the pubsub class's output buffer limits. The commands are in
//! `pubsub.rs`.

use std::collections::HashMap;

use bytes::BytesMut;
use log::warn;

use super::ServerState;
use super::blocking::Outputs;
use crate::config::OutputLimit;
use crate::glob::glob_match;
use crate::protocol::{Reply, RespVersion};
use crate::store::Key;

/// A kind of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    /// SUBSCRIBE: a channel by name.
    Channel,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: a shard channel by name (its own namespace).
    Shard,
}

impl Space {
    pub(crate) const ALL: [Space; 3] = [Space::Channel, Space::Pattern, Space::Shard];

    /// The first element of a subscribe confirmation.
    pub(crate) fn subscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channel => b"subscribe",
            Space::Pattern => b"psubscribe",
            Space::Shard => b"ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    pub(crate) fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channel => b"unsubscribe",
            Space::Pattern => b"punsubscribe",
            Space::Shard => b"sunsubscribe",
        }
    }
}

/// Subscribers by channel or pattern name: tokens in subscription order.
pub(crate) type Subscribers = HashMap<Key, Vec<usize>>;

/// One client's subscriptions (names mapped to a sequence number, so "unsubscribe
/// from all" goes in subscription order), and its output limit state.
#[derive(Debug, Clone, Default)]
pub struct Subscriptions {
    channels: HashMap<Key, u64>,
    patterns: HashMap<Key, u64>,
    shard: HashMap<Key, u64>,
    next_seq: u64,
    /// Unix second when the output buffer was first seen over the soft limit; 0 = under.
    soft_since: i64,
    /// Over the limit: closed at the end of the turn, sent nothing more.
    closing: bool,
}

impl Subscriptions {
    /// Channels subscribed to (CLIENT LIST `sub=`).
    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// Patterns subscribed to (CLIENT LIST `psub=`).
    pub fn patterns(&self) -> usize {
        self.patterns.len()
    }

    /// Shard channels subscribed to (CLIENT LIST `ssub=`).
    pub fn shard_channels(&self) -> usize {
        self.shard.len()
    }

    pub(crate) fn set(&self, space: Space) -> &HashMap<Key, u64> {
        match space {
            Space::Channel => &self.channels,
            Space::Pattern => &self.patterns,
            Space::Shard => &self.shard,
        }
    }

    pub(crate) fn set_mut(&mut self, space: Space) -> &mut HashMap<Key, u64> {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }

    /// The count a confirmation reports: channels + patterns, or shard channels.
    pub(crate) fn count(&self, space: Space) -> usize {
        match space {
            Space::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    pub(crate) fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }

    /// Adds `name`; false when already subscribed.
    pub(crate) fn insert(&mut self, space: Space, name: &[u8]) -> bool {
        if self.set(space).contains_key(name) {
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.set_mut(space).insert(Key::from_slice(name), seq);
        true
    }

    /// The names of `space`, in subscription order.
    pub(crate) fn ordered(&self, space: Space) -> Vec<Key> {
        let mut names: Vec<(&Key, &u64)> = self.set(space).iter().collect();
        names.sort_unstable_by_key(|&(_, seq)| *seq);
        names.into_iter().map(|(k, _)| k.clone()).collect()
    }
}

/// A published message waiting for [`deliver`].
#[derive(Debug)]
struct Published {
    /// Published with SPUBLISH (to shard subscribers, as `smessage`).
    shard: bool,
    /// The channel.
    channel: Key,
    /// The channel and message as two bulk strings: the end of every frame sent.
    tail: Vec<u8>,
    /// The patterns that matched the channel.
    patterns: Vec<Key>,
}

/// Server-wide pub/sub state: who listens to what, and messages to deliver.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: Subscribers,
    patterns: Subscribers,
    shard: Subscribers,
    outbox: Vec<Published>,
}

impl PubSub {
    /// True when some client listens to a channel or pattern (PUBLISH would reach it).
    pub fn has_subscribers(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty()
    }

    /// True when messages wait for [`deliver`].
    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty()
    }

    /// Channels with at least one subscriber (INFO `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct patterns subscribed to (INFO `pubsub_patterns`, PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Shard channels with at least one subscriber (INFO `pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard.len()
    }

    pub(crate) fn map(&mut self, space: Space) -> &mut Subscribers {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }
}

/// Removes `token` from the subscribers of `name`, dropping the entry once empty.
pub(crate) fn remove_subscriber(map: &mut Subscribers, name: &[u8], token: usize) {
    let Some(tokens) = map.get_mut(name) else {
        return;
    };
    if let Some(pos) = tokens.iter().position(|&t| t == token) {
        tokens.remove(pos);
    }
    if tokens.is_empty() {
        map.remove(name);
    }
}

/// Drops every subscription of client `token` (it is closing or RESET).
pub fn forget(state: &mut ServerState, token: usize) {
    let Some(subs) = state.clients.get_mut(token).and_then(|c| c.pubsub.take()) else {
        return;
    };
    for space in Space::ALL {
        let map = state.pubsub.map(space);
        for name in subs.set(space).keys() {
            remove_subscriber(map, name, token);
        }
    }
}

/// Queues `message` for the subscribers of `channel` and of the patterns matching it;
/// returns how many receive it (PUBLISH's reply). Costs one hash lookup when nobody
/// subscribes to anything.
pub fn publish(server: &mut ServerState, channel: &[u8], message: &[u8]) -> usize {
    publish_in(server, false, channel, message)
}

pub(crate) fn publish_in(
    server: &mut ServerState,
    shard: bool,
    channel: &[u8],
    message: &[u8],
) -> usize {
    let ps = &mut server.pubsub;
    let direct = if shard { &ps.shard } else { &ps.channels };
    let mut receivers = direct.get(channel).map_or(0, Vec::len);
    let mut patterns = Vec::new();
    if !shard {
        for (pattern, tokens) in &ps.patterns {
            if glob_match(pattern, channel, false) {
                receivers += tokens.len();
                patterns.push(pattern.clone());
            }
        }
    }
    if receivers == 0 {
        return 0;
    }
    let mut tail = BytesMut::with_capacity(channel.len() + message.len() + 32);
    let mut out = Reply::new(&mut tail, RespVersion::V2);
    out.bulk(channel);
    out.bulk(message);
    ps.outbox.push(Published {
        shard,
        channel: Key::from_slice(channel),
        tail: tail.to_vec(),
        patterns,
    });
    receivers
}

/// Writes the queued messages into their receivers' output buffers. A receiver whose
/// buffer passes the pubsub class's hard limit, or its soft limit for longer than
/// allowed, gets nothing more: its buffer is freed and it is closed at the end of the
/// turn (Redis's `closeClientOnOutputBufferLimitReached`).
pub fn deliver(state: &mut ServerState, outputs: &mut dyn Outputs, now_ms: i64) {
    let outbox = std::mem::take(&mut state.pubsub.outbox);
    let ServerState {
        pubsub,
        clients,
        killed,
        stats,
        config,
        ..
    } = state;
    let mut sink = Sink {
        clients,
        outputs,
        killed,
        disconnections: &mut stats.output_limit_disconnections,
        limit: config.output_limits.pubsub,
        now_s: now_ms.div_euclid(1000),
    };
    for p in &outbox {
        let (direct, kind): (_, &[u8]) = if p.shard {
            (&pubsub.shard, b"smessage")
        } else {
            (&pubsub.channels, b"message")
        };
        for &token in direct.get(p.channel.as_slice()).into_iter().flatten() {
            sink.send(token, kind, None, &p.tail);
        }
        for pattern in &p.patterns {
            for &token in pubsub.patterns.get(pattern).into_iter().flatten() {
                sink.send(token, b"pmessage", Some(pattern), &p.tail);
            }
        }
    }
}

/// Where [`deliver`] writes: receivers' buffers, and what closes them.
struct Sink<'a> {
    clients: &'a mut slab::Slab<super::ClientInfo>,
    outputs: &'a mut dyn Outputs,
    killed: &'a mut Vec<usize>,
    disconnections: &'a mut u64,
    limit: OutputLimit,
    now_s: i64,
}

impl Sink<'_> {
    fn send(&mut self, token: usize, kind: &[u8], pattern: Option<&Key>, tail: &[u8]) {
        let Some(client) = self.clients.get_mut(token) else {
            return;
        };
        let resp = client.resp;
        let Some(subs) = client.pubsub.as_mut().filter(|s| !s.closing) else {
            return;
        };
        let Some(buf) = self.outputs.output(token) else {
            return;
        };
        let mut out = Reply::new(buf, resp);
        out.push_len(if pattern.is_some() { 4 } else { 3 });
        out.bulk(kind);
        if let Some(pattern) = pattern {
            out.bulk(pattern);
        }
        out.raw(tail);
        client.outbuf_len = buf.len();
        client.outbuf_cap = buf.capacity();
        if over_limit(buf.len(), self.limit, subs, self.now_s) {
            subs.closing = true;
            *buf = BytesMut::new();
            self.killed.push(token);
            *self.disconnections += 1;
            warn!(
                "Client id={} addr={} closed for overcoming of output buffer limits.",
                client.id, client.addr
            );
        }
    }
}

/// Redis's `checkClientOutputBufferLimits` for a subscriber.
fn over_limit(used: usize, limit: OutputLimit, subs: &mut Subscriptions, now_s: i64) -> bool {
    limit.exceeded(used, &mut subs.soft_since, now_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_limit_needs_time_hard_limit_does_not() {
        let limit = OutputLimit {
            hard: 100,
            soft: 10,
            soft_seconds: 2,
        };
        let mut subs = Subscriptions::default();
        assert!(!over_limit(5, limit, &mut subs, 1000));
        assert!(
            !over_limit(20, limit, &mut subs, 1000),
            "first time over soft"
        );
        assert!(!over_limit(20, limit, &mut subs, 1002));
        assert!(over_limit(20, limit, &mut subs, 1003));
        assert!(!over_limit(5, limit, &mut subs, 1004), "back under resets");
        assert!(!over_limit(20, limit, &mut subs, 1005));
        assert!(over_limit(100, limit, &mut subs, 1005), "hard at once");
        let off = OutputLimit::default();
        assert!(!over_limit(usize::MAX, off, &mut subs, 0));
    }

    #[test]
    fn subscriptions_keep_their_order() {
        let mut subs = Subscriptions::default();
        for name in [&b"b"[..], b"a", b"c", b"a"] {
            subs.insert(Space::Pattern, name);
        }
        assert!(subs.insert(Space::Channel, b"a"));
        let names: Vec<Key> = subs.ordered(Space::Pattern);
        assert_eq!(names, vec![Key::from("b"), Key::from("a"), Key::from("c")]);
        assert_eq!(subs.count(Space::Channel), 4);
        assert_eq!(subs.count(Space::Shard), 0);
    }
}
