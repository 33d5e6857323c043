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

use super::CommandSpec;
use super::Ctx;
use super::ServerState;
use super::args::text;
use super::server::command::{reply_help, run_subcommand};
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::protocol::{Reply, Request};
pub use crate::runtime::pubsub::{PubSub, Subscriptions, deliver, forget, publish};
use crate::runtime::pubsub::{Space, publish_in, remove_subscriber};
use crate::spec::{Group, KeySpec};
use crate::store::Key;
use crate::{flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "subscribe",
        -2,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Listens for messages published to channels.",
        subscribe,
    ),
    CommandSpec::new(
        "unsubscribe",
        -1,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Stops listening to messages posted to channels.",
        unsubscribe,
    ),
    CommandSpec::new(
        "psubscribe",
        -2,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Listens for messages published to channels that match one or more patterns.",
        psubscribe,
    ),
    CommandSpec::new(
        "punsubscribe",
        -1,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Stops listening to messages published to channels that match one or more patterns.",
        punsubscribe,
    ),
    CommandSpec::new(
        "publish",
        3,
        flags!(PUBSUB | LOADING | STALE | FAST),
        Group::Pubsub,
        "Posts a message to a channel.",
        publish_command,
    ),
    CommandSpec::new(
        "ssubscribe",
        -2,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Listens for messages published to shard channels.",
        ssubscribe,
    )
    .keys(&[KeySpec::range(kf!(NOT_KEY), 1, -1, 1)]),
    CommandSpec::new(
        "sunsubscribe",
        -1,
        flags!(PUBSUB | NOSCRIPT | LOADING | STALE),
        Group::Pubsub,
        "Stops listening to messages posted to shard channels.",
        sunsubscribe,
    )
    .keys(&[KeySpec::range(kf!(NOT_KEY), 1, -1, 1)]),
    CommandSpec::new(
        "spublish",
        3,
        flags!(PUBSUB | LOADING | STALE | FAST),
        Group::Pubsub,
        "Post a message to a shard channel",
        spublish,
    )
    .keys(&[KeySpec::at(kf!(NOT_KEY), 1)]),
    CommandSpec::new(
        "pubsub",
        -2,
        flags!(),
        Group::Pubsub,
        "A container for Pub/Sub commands.",
        pubsub_command,
    )
    .subcommands(SUBCOMMANDS),
];

/// PUBSUB's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "pubsub|channels",
        -2,
        flags!(PUBSUB | LOADING | STALE),
        Group::Pubsub,
        "Returns the active channels.",
        pubsub_channels,
    ),
    CommandSpec::new(
        "pubsub|numpat",
        2,
        flags!(PUBSUB | LOADING | STALE),
        Group::Pubsub,
        "Returns a count of unique pattern subscriptions.",
        pubsub_numpat,
    ),
    CommandSpec::new(
        "pubsub|numsub",
        -2,
        flags!(PUBSUB | LOADING | STALE),
        Group::Pubsub,
        "Returns a count of subscribers to channels.",
        pubsub_numsub,
    ),
    CommandSpec::new(
        "pubsub|shardchannels",
        -2,
        flags!(PUBSUB | LOADING | STALE),
        Group::Pubsub,
        "Returns the active shard channels.",
        pubsub_shardchannels,
    ),
    CommandSpec::new(
        "pubsub|shardnumsub",
        -2,
        flags!(PUBSUB | LOADING | STALE),
        Group::Pubsub,
        "Returns the count of subscribers of shard channels.",
        pubsub_shardnumsub,
    ),
    CommandSpec::new(
        "pubsub|help",
        2,
        flags!(LOADING | STALE),
        Group::Pubsub,
        "Returns helpful text about the different subcommands.",
        pubsub_help,
    ),
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
    let name = spec.resolve(req).name;
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
