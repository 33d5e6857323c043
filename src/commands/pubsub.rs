//! Pub/sub (Redis's pubsub.c): SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
//! PUBSUB, and the sharded SSUBSCRIBE SUNSUBSCRIBE SPUBLISH (one shard here).
//!
//! Subscriptions live twice, as in Redis: per client ([`Subscriptions`], in its
//! [`ClientInfo`](super::ClientInfo)) and per channel or pattern (the tokens of its
//! subscribers, in [`PubSub`]). A command cannot reach other clients' output buffers,
//! so PUBLISH counts the receivers, queues the message once in the outbox (with the
//! patterns it matched) and returns; right after the command the server calls
//! [`deliver`], which writes it to every receiver's buffer (O(subscribers +
//! patterns)), enforces the pubsub class's output limits, and hands the receivers to
//! the server to be flushed in the same loop turn.

use std::collections::HashMap;

use bytes::BytesMut;
use log::warn;

use super::args::{is, text};
use super::blocking::Outputs;
use super::flags::*;
use super::glob::glob_match;
use super::introspection::{Subcommand, reply_help, run_subcommand};
use super::{CommandSpec, Ctx, ServerState};
use crate::config::OutputLimit;
use crate::error::CmdError;
use crate::protocol::{Reply, Request, RespVersion};
use crate::store::Key;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "subscribe",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Listens for messages published to channels.",
        subscribe,
    ),
    CommandSpec::new(
        "unsubscribe",
        -1,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Stops listening to messages posted to channels.",
        unsubscribe,
    ),
    CommandSpec::new(
        "psubscribe",
        -2,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Listens for messages published to channels that match one or more patterns.",
        psubscribe,
    ),
    CommandSpec::new(
        "punsubscribe",
        -1,
        PUBSUB | LOADING | STALE,
        (0, 0, 0),
        "pubsub",
        "Stops listening to messages published to channels that match one or more patterns.",
        punsubscribe,
    ),
    CommandSpec::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (0, 0, 0),
        "pubsub",
        "Posts a message to a channel.",
        publish_command,
    ),
    CommandSpec::new(
        "ssubscribe",
        -2,
        PUBSUB | LOADING | STALE,
        (1, -1, 1),
        "pubsub",
        "Listens for messages published to shard channels.",
        ssubscribe,
    ),
    CommandSpec::new(
        "sunsubscribe",
        -1,
        PUBSUB | LOADING | STALE,
        (1, -1, 1),
        "pubsub",
        "Stops listening to messages posted to shard channels.",
        sunsubscribe,
    ),
    CommandSpec::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (1, 1, 1),
        "pubsub",
        "Post a message to a shard channel",
        spublish,
    ),
    CommandSpec::new(
        "pubsub",
        -2,
        0,
        (0, 0, 0),
        "pubsub",
        "A container for Pub/Sub commands.",
        pubsub_command,
    ),
];

/// PUBSUB's subcommands.
pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        full_name: "pubsub|channels",
        arity: -2,
        flags: PUBSUB | LOADING | STALE,
        summary: "Returns the active channels.",
        handler: pubsub_channels,
    },
    Subcommand {
        full_name: "pubsub|numpat",
        arity: 2,
        flags: PUBSUB | LOADING | STALE,
        summary: "Returns a count of unique pattern subscriptions.",
        handler: pubsub_numpat,
    },
    Subcommand {
        full_name: "pubsub|numsub",
        arity: -2,
        flags: PUBSUB | LOADING | STALE,
        summary: "Returns a count of subscribers to channels.",
        handler: pubsub_numsub,
    },
    Subcommand {
        full_name: "pubsub|shardchannels",
        arity: -2,
        flags: PUBSUB | LOADING | STALE,
        summary: "Returns the active shard channels.",
        handler: pubsub_shardchannels,
    },
    Subcommand {
        full_name: "pubsub|shardnumsub",
        arity: -2,
        flags: PUBSUB | LOADING | STALE,
        summary: "Returns the count of subscribers of shard channels.",
        handler: pubsub_shardnumsub,
    },
    Subcommand {
        full_name: "pubsub|help",
        arity: 2,
        flags: LOADING | STALE,
        summary: "Returns helpful text about the different subcommands.",
        handler: pubsub_help,
    },
];

/// Commands a RESP2 client may run while subscribed (Redis's processCommand list).
const SUBSCRIBER_COMMANDS: &[&str] = &[
    "ping",
    "subscribe",
    "ssubscribe",
    "unsubscribe",
    "sunsubscribe",
    "psubscribe",
    "punsubscribe",
    "quit",
    "reset",
];

/// A kind of subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    /// SUBSCRIBE: a channel by name.
    Channel,
    /// PSUBSCRIBE: channels matching a glob pattern.
    Pattern,
    /// SSUBSCRIBE: a shard channel by name (its own namespace).
    Shard,
}

impl Space {
    const ALL: [Space; 3] = [Space::Channel, Space::Pattern, Space::Shard];

    /// The first element of a subscribe confirmation.
    fn subscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channel => b"subscribe",
            Space::Pattern => b"psubscribe",
            Space::Shard => b"ssubscribe",
        }
    }

    /// The first element of an unsubscribe confirmation.
    fn unsubscribe_word(self) -> &'static [u8] {
        match self {
            Space::Channel => b"unsubscribe",
            Space::Pattern => b"punsubscribe",
            Space::Shard => b"sunsubscribe",
        }
    }
}

/// Subscribers by channel or pattern name: tokens in subscription order.
type Subscribers = HashMap<Key, Vec<usize>>;

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

    fn set(&self, space: Space) -> &HashMap<Key, u64> {
        match space {
            Space::Channel => &self.channels,
            Space::Pattern => &self.patterns,
            Space::Shard => &self.shard,
        }
    }

    fn set_mut(&mut self, space: Space) -> &mut HashMap<Key, u64> {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }

    /// The count a confirmation reports: channels + patterns, or shard channels.
    fn count(&self, space: Space) -> usize {
        match space {
            Space::Shard => self.shard.len(),
            _ => self.channels.len() + self.patterns.len(),
        }
    }

    fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }

    /// Adds `name`; false when already subscribed.
    fn insert(&mut self, space: Space, name: &[u8]) -> bool {
        if self.set(space).contains_key(name) {
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.set_mut(space).insert(Key::from_slice(name), seq);
        true
    }

    /// The names of `space`, in subscription order.
    fn ordered(&self, space: Space) -> Vec<Key> {
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

    fn map(&mut self, space: Space) -> &mut Subscribers {
        match space {
            Space::Channel => &mut self.channels,
            Space::Pattern => &mut self.patterns,
            Space::Shard => &mut self.shard,
        }
    }
}

/// Removes `token` from the subscribers of `name`, dropping the entry once empty.
fn remove_subscriber(map: &mut Subscribers, name: &[u8], token: usize) {
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

fn publish_in(server: &mut ServerState, shard: bool, channel: &[u8], message: &[u8]) -> usize {
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

/// Redis's `checkClientOutputBufferLimits`: the hard limit at once, the soft limit
/// once exceeded continuously for more than its seconds.
fn over_limit(used: usize, limit: OutputLimit, subs: &mut Subscriptions, now_s: i64) -> bool {
    let hard = limit.hard != 0 && used >= limit.hard;
    let mut soft = limit.soft != 0 && used >= limit.soft;
    if soft {
        if subs.soft_since == 0 {
            subs.soft_since = now_s;
            soft = false;
        } else if now_s - subs.soft_since <= limit.soft_seconds as i64 {
            soft = false;
        }
    } else {
        subs.soft_since = 0;
    }
    hard || soft
}

/// The error for a command a RESP2 subscriber may not run (None when allowed). Called
/// by dispatch only for subscribed clients.
pub fn subscriber_mode_error(
    ctx: &Ctx<'_>,
    spec: &CommandSpec,
    req: &Request<'_>,
) -> Option<CmdError> {
    if ctx.out.is_resp3() || SUBSCRIBER_COMMANDS.contains(&spec.name) {
        return None;
    }
    let sub = super::introspection::subcommands_of(spec.name)
        .iter()
        .find(|s| req.len() > 1 && is(req.arg(1), s.name()));
    let name = sub.map_or(spec.name, |s| s.full_name);
    Some(CmdError::msg(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    )))
}

/// Writes a (un)subscribe confirmation: `[word, name or null, count]`.
fn confirm(out: &mut Reply<'_>, word: &[u8], name: Option<&[u8]>, count: usize) {
    out.push_len(3);
    out.bulk(word);
    match name {
        Some(name) => out.bulk(name),
        None => out.null(),
    }
    out.int(count as i64);
}

fn subscribe_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, space: Space) {
    let me = ctx.me;
    let server = &mut *ctx.server;
    for name in req.args().skip(1) {
        let subs = server.clients[me].pubsub.get_or_insert_with(Box::default);
        if subs.insert(space, name) {
            let tokens = server.pubsub.map(space).entry(Key::from_slice(name));
            tokens.or_default().push(me);
        }
        confirm(
            &mut ctx.out,
            space.subscribe_word(),
            Some(name),
            subs.count(space),
        );
    }
    server.clients[me].pushing = true;
}

fn unsubscribe_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, space: Space) {
    let me = ctx.me;
    let server = &mut *ctx.server;
    let names: Vec<Key> = if req.len() > 1 {
        req.args().skip(1).map(Key::from_slice).collect()
    } else {
        server.clients[me]
            .pubsub
            .as_ref()
            .map_or_else(Vec::new, |s| s.ordered(space))
    };
    let word = space.unsubscribe_word();
    let count = |server: &ServerState| {
        server.clients[me]
            .pubsub
            .as_ref()
            .map_or(0, |s| s.count(space))
    };
    if names.is_empty() {
        confirm(&mut ctx.out, word, None, count(server));
    }
    for name in &names {
        let removed = server.clients[me]
            .pubsub
            .as_mut()
            .is_some_and(|s| s.set_mut(space).remove(name.as_slice()).is_some());
        if removed {
            remove_subscriber(server.pubsub.map(space), name, me);
        }
        confirm(&mut ctx.out, word, Some(name), count(server));
    }
    let client = &mut server.clients[me];
    if client.pubsub.as_ref().is_some_and(|s| s.total() == 0) {
        client.pubsub = None;
    }
    client.pushing = true;
}

/// ```text
/// SUBSCRIBE channel [channel ...]
/// ```
/// One `subscribe` confirmation per channel with the client's subscription count.
fn subscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    subscribe_generic(ctx, req, Space::Channel);
    Ok(())
}

/// ```text
/// UNSUBSCRIBE [channel [channel ...]]
/// ```
/// Without channels, from all; one confirmation each (a null channel when none).
fn unsubscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    unsubscribe_generic(ctx, req, Space::Channel);
    Ok(())
}

/// ```text
/// PSUBSCRIBE pattern [pattern ...]
/// ```
fn psubscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    subscribe_generic(ctx, req, Space::Pattern);
    Ok(())
}

/// ```text
/// PUNSUBSCRIBE [pattern [pattern ...]]
/// ```
fn punsubscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    unsubscribe_generic(ctx, req, Space::Pattern);
    Ok(())
}

/// ```text
/// SSUBSCRIBE shardchannel [shardchannel ...]
/// ```
/// # Errors
/// `ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client` inside MULTI.
fn ssubscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.client().deny_blocking {
        return Err(CmdError::msg(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_generic(ctx, req, Space::Shard);
    Ok(())
}

/// ```text
/// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
/// ```
fn sunsubscribe(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    unsubscribe_generic(ctx, req, Space::Shard);
    Ok(())
}

/// ```text
/// PUBLISH channel message
/// ```
/// The number of clients that receive it (channel and pattern subscribers).
fn publish_command(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let n = publish(ctx.server, req.arg(1), req.arg(2));
    ctx.out.int(n as i64);
    Ok(())
}

/// ```text
/// SPUBLISH shardchannel message
/// ```
fn spublish(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let n = publish_in(ctx.server, true, req.arg(1), req.arg(2));
    ctx.out.int(n as i64);
    Ok(())
}

/// ```text
/// PUBSUB subcommand [arg ...]
/// ```
fn pubsub_command(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("pubsub", SUBCOMMANDS, ctx, req)
}

/// Redis's `addReplySubcommandSyntaxError`.
fn syntax_error(req: &Request<'_>) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        text(req.arg(1)).chars().take(128).collect::<String>(),
        text(req.arg(0)).to_ascii_uppercase()
    ))
}

fn channel_list(ctx: &mut Ctx<'_>, req: &Request<'_>, space: Space) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(syntax_error(req));
    }
    let pattern = (req.len() == 3).then(|| req.arg(2));
    let names: Vec<Key> = ctx
        .server
        .pubsub
        .map(space)
        .keys()
        .filter(|name| pattern.is_none_or(|p| glob_match(p, name, false)))
        .cloned()
        .collect();
    ctx.out.array_len(names.len());
    for name in &names {
        ctx.out.bulk(name);
    }
    Ok(())
}

fn numsub(ctx: &mut Ctx<'_>, req: &Request<'_>, space: Space) {
    ctx.out.array_len((req.len() - 2) * 2);
    for name in req.args().skip(2) {
        let n = ctx.server.pubsub.map(space).get(name).map_or(0, Vec::len);
        ctx.out.bulk(name);
        ctx.out.int(n as i64);
    }
}

/// ```text
/// PUBSUB CHANNELS [pattern]
/// ```
/// Channels with subscribers, matching the glob pattern if given.
fn pubsub_channels(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    channel_list(ctx, req, Space::Channel)
}

/// ```text
/// PUBSUB SHARDCHANNELS [pattern]
/// ```
fn pubsub_shardchannels(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    channel_list(ctx, req, Space::Shard)
}

/// ```text
/// PUBSUB NUMSUB [channel ...]
/// ```
/// A flat array: each channel and its number of (non-pattern) subscribers.
fn pubsub_numsub(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    numsub(ctx, req, Space::Channel);
    Ok(())
}

/// ```text
/// PUBSUB SHARDNUMSUB [shardchannel ...]
/// ```
fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    numsub(ctx, req, Space::Shard);
    Ok(())
}

/// ```text
/// PUBSUB NUMPAT
/// ```
/// The number of distinct patterns subscribed to.
fn pubsub_numpat(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let n = ctx.server.pubsub.pattern_count();
    ctx.out.int(n as i64);
    Ok(())
}

/// ```text
/// PUBSUB HELP
/// ```
fn pubsub_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
    Ok(())
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
