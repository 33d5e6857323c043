//! Client-side caching (Redis's tracking.c): the keys each tracking client read, and
//! the invalidation messages sent when they change.
//!
//! A client with CLIENT TRACKING ON has the keys of its read-only commands remembered
//! ([`remember`]); a write to a remembered key (the one write path,
//! [`super::notify::publish_store_events`], calls [`invalidate`]) queues an
//! `invalidate` message for each client that read it and forgets the key. In BCAST
//! mode nothing is remembered: every write to a key under one of the client's
//! prefixes is announced ([`broadcast`]). Messages go out after the command that
//! caused them: as a RESP3 push, or, redirected to a RESP2 client subscribed to
//! `__redis__:invalidate`, as a pub/sub message.

use std::collections::{BTreeMap, HashMap};

use bytes::BytesMut;

use super::ServerState;
use super::blocking::Outputs;
use crate::protocol::{Reply, RespVersion};

/// The channel RESP2 clients receive invalidations on.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// Most prefixes one client may register: bounds the per-write prefix scan.
pub const MAX_PREFIXES: usize = 1024;

/// One client's tracking mode (Redis's CLIENT_TRACKING_* flags).
#[derive(Debug, Clone, Default)]
pub struct ClientTracking {
    /// Id of the client invalidations are redirected to (0: none).
    pub redirect: u64,
    /// The redirect target was gone when a message was due.
    pub broken_redirect: bool,
    /// Broadcast mode.
    pub bcast: bool,
    /// Only keys read right after CLIENT CACHING YES are remembered.
    pub optin: bool,
    /// Keys read right after CLIENT CACHING NO are not remembered.
    pub optout: bool,
    /// No invalidation for the client's own writes.
    pub noloop: bool,
    /// CLIENT CACHING was given for the next command.
    pub caching: bool,
    /// BCAST prefixes, in the order given.
    pub prefixes: Vec<Vec<u8>>,
}

/// A BCAST prefix: its clients and the keys written under it since the last
/// broadcast (with the client that wrote each last, for NOLOOP).
#[derive(Debug, Default)]
struct Bcast {
    clients: Vec<usize>,
    keys: BTreeMap<Vec<u8>, Option<usize>>,
}

/// Server-wide tracking state.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Key → clients (token, id) that read it.
    table: HashMap<Vec<u8>, Vec<(usize, u64)>>,
    /// Sum of the clients remembered over all keys (INFO `tracking_total_items`).
    items: usize,
    /// BCAST prefixes.
    prefixes: BTreeMap<Vec<u8>, Bcast>,
    /// Clients in tracking mode.
    clients: usize,
    /// Messages waiting for [`deliver`]: (receiver token, bytes).
    outbox: Vec<(usize, Vec<u8>)>,
    /// Keys to invalidate for the client running the current command, after its reply.
    pub writer: Option<usize>,
}

impl Tracking {
    /// True when some client tracks (the hot path's one check).
    #[inline(always)]
    pub fn active(&self) -> bool {
        self.clients != 0
    }

    /// Clients in tracking mode (INFO `tracking_clients`).
    pub fn client_count(&self) -> usize {
        self.clients
    }

    /// Keys remembered (INFO `tracking_total_keys`).
    pub fn key_count(&self) -> usize {
        self.table.len()
    }

    /// Client entries over all keys (INFO `tracking_total_items`).
    pub fn item_count(&self) -> usize {
        self.items
    }

    /// BCAST prefixes registered (INFO `tracking_total_prefixes`).
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// True when messages wait for [`deliver`].
    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty() || self.prefixes.values().any(|b| !b.keys.is_empty())
    }
}

/// The prefix of `prefixes` (or of the client's own) that overlaps `p`, if any
/// (Redis's `checkPrefixCollisionsOrReply`).
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Checks the new prefixes against each other and the client's current ones.
/// # Errors
/// Redis's texts for overlapping prefixes.
pub fn check_prefixes(current: &[Vec<u8>], new: &[&[u8]]) -> Result<(), String> {
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, p) in new.iter().enumerate() {
        if let Some(c) = current.iter().find(|c| overlaps(c, p)) {
            return Err(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                show(p),
                show(c)
            ));
        }
        if let Some(q) = new[i + 1..].iter().find(|q| overlaps(p, q)) {
            return Err(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                show(p),
                show(q)
            ));
        }
    }
    Ok(())
}

/// Turns tracking on for client `token` with `mode` (the caller checked the
/// options); prefixes add to those it had (Redis's `enableTracking`).
pub fn enable(
    server: &mut ServerState,
    token: usize,
    mut mode: ClientTracking,
    prefixes: &[&[u8]],
) {
    let Some(client) = server.clients.get_mut(token) else {
        return;
    };
    let old = client.tracking.take();
    if old.is_none() {
        server.tracking.clients += 1;
    }
    if mode.bcast {
        mode.prefixes = old.map(|o| o.prefixes).unwrap_or_default();
        let wanted: Vec<&[u8]> = if prefixes.is_empty() {
            vec![&b""[..]]
        } else {
            prefixes.to_vec()
        };
        for p in wanted {
            let bcast = server.tracking.prefixes.entry(p.to_vec()).or_default();
            if !bcast.clients.contains(&token) {
                bcast.clients.push(token);
                mode.prefixes.push(p.to_vec());
            }
        }
    }
    server.clients[token].tracking = Some(Box::new(mode));
}

/// Turns tracking off for client `token` (CLIENT TRACKING OFF, RESET, close).
pub fn disable(server: &mut ServerState, token: usize) {
    let Some(mode) = server
        .clients
        .get_mut(token)
        .and_then(|c| c.tracking.take())
    else {
        return;
    };
    server.tracking.clients -= 1;
    for p in &mode.prefixes {
        if let Some(b) = server.tracking.prefixes.get_mut(p) {
            b.clients.retain(|&t| t != token);
            if b.clients.is_empty() {
                server.tracking.prefixes.remove(p);
            }
        }
    }
    if server.tracking.clients == 0 {
        server.tracking.table.clear();
        server.tracking.items = 0;
    }
}

/// After a read-only command of client `token`: remembers `keys` for it unless it
/// is in BCAST mode or OPTIN/OPTOUT says not to (Redis's `trackingRememberKeys`).
pub fn remember<'a>(server: &mut ServerState, token: usize, keys: impl Iterator<Item = &'a [u8]>) {
    let Some(client) = server.clients.get(token) else {
        return;
    };
    let Some(mode) = client.tracking.as_ref() else {
        return;
    };
    if mode.bcast || (mode.optin && !mode.caching) || (mode.optout && mode.caching) {
        return;
    }
    let id = client.id;
    let t = &mut server.tracking;
    for key in keys {
        let ids = t.table.entry(key.to_vec()).or_default();
        if !ids.iter().any(|&(_, i)| i == id) {
            ids.push((token, id));
            t.items += 1;
        }
    }
    enforce_limit(server);
}

/// Invalidates remembered keys until at most `tracking-table-max-keys` remain
/// (Redis's `trackingLimitUsedSlots`; also run by the cron, so that lowering the
/// limit takes effect without new reads).
pub fn enforce_limit(server: &mut ServerState) {
    let max = server.config.observe.tracking_table_max_keys;
    if max == 0 {
        return;
    }
    while server.tracking.table.len() > max {
        let Some(key) = server.tracking.table.keys().next().cloned() else {
            break;
        };
        invalidate_key(server, &key, None, false);
    }
}

/// A write to `key` by client `writer` (None: the server itself, e.g. expiry):
/// queues invalidations for the clients that read it and for BCAST prefixes.
pub fn invalidate(server: &mut ServerState, key: &[u8], writer: Option<usize>) {
    invalidate_key(server, key, writer, true);
}

fn invalidate_key(server: &mut ServerState, key: &[u8], writer: Option<usize>, bcast: bool) {
    if bcast {
        for (p, b) in server.tracking.prefixes.iter_mut() {
            if key.starts_with(p) {
                b.keys.insert(key.to_vec(), writer);
            }
        }
    }
    let Some(ids) = server.tracking.table.remove(key) else {
        return;
    };
    server.tracking.items -= ids.len();
    let mut one = BytesMut::new();
    Reply::new(&mut one, RespVersion::V2).array_len(1);
    Reply::new(&mut one, RespVersion::V2).bulk(key);
    for (token, id) in ids {
        let Some(c) = server.clients.get(token).filter(|c| c.id == id) else {
            continue;
        };
        let Some(mode) = c.tracking.as_ref() else {
            continue;
        };
        if mode.bcast || (mode.noloop && writer == Some(token)) {
            continue;
        }
        send(server, token, &one);
    }
}

/// FLUSHDB / FLUSHALL: every tracking client is told to drop everything (a null
/// invalidation), and the table is emptied.
pub fn flush(server: &mut ServerState) {
    if !server.tracking.active() {
        return;
    }
    let tokens: Vec<usize> = server
        .clients
        .iter()
        .filter(|(_, c)| c.tracking.is_some())
        .map(|(t, _)| t)
        .collect();
    for token in tokens {
        let resp = server.clients[token].resp;
        let null: &[u8] = if resp == RespVersion::V3 {
            b"_\r\n"
        } else {
            b"*-1\r\n"
        };
        send(server, token, null);
    }
    server.tracking.table.clear();
    server.tracking.items = 0;
}

/// Queues `keys` (an encoded array, or null) for client `token`, through its
/// redirect target if it has one (Redis's `sendTrackingMessage`).
fn send(server: &mut ServerState, token: usize, keys: &[u8]) {
    let Some(c) = server.clients.get_mut(token) else {
        return;
    };
    let Some(mode) = c.tracking.as_mut() else {
        return;
    };
    let mut target = token;
    let mut redirected = false;
    if mode.redirect != 0 {
        let redirect = mode.redirect;
        let found = server
            .clients
            .iter()
            .find(|(_, c)| c.id == redirect)
            .map(|(t, _)| t);
        match found {
            Some(t) => {
                target = t;
                redirected = true;
            }
            None => {
                let c = &mut server.clients[token];
                if let Some(mode) = c.tracking.as_mut() {
                    mode.broken_redirect = true;
                }
                if c.resp == RespVersion::V3 {
                    let mut msg = BytesMut::new();
                    let mut out = Reply::new(&mut msg, RespVersion::V3);
                    out.push_len(2);
                    out.bulk(b"tracking-redir-broken");
                    out.int(redirect as i64);
                    server.tracking.outbox.push((token, msg.to_vec()));
                }
                return;
            }
        }
    }
    let receiver = &server.clients[target];
    let mut msg = BytesMut::new();
    if receiver.resp == RespVersion::V3 {
        let mut out = Reply::new(&mut msg, RespVersion::V3);
        out.push_len(2);
        out.bulk(b"invalidate");
    } else if redirected && receiver.pubsub.is_some() {
        let mut out = Reply::new(&mut msg, RespVersion::V2);
        out.array_len(3);
        out.bulk(b"message");
        out.bulk(CHANNEL);
    } else {
        return;
    }
    msg.extend_from_slice(keys);
    server.tracking.outbox.push((target, msg.to_vec()));
}

/// Queues the keys written under each BCAST prefix for its clients (Redis's
/// `trackingBroadcastInvalidationMessages`).
fn broadcast(server: &mut ServerState) {
    let mut sends: Vec<(usize, Vec<u8>)> = Vec::new();
    for b in server.tracking.prefixes.values_mut() {
        if b.keys.is_empty() {
            continue;
        }
        let keys = std::mem::take(&mut b.keys);
        for &token in &b.clients {
            let noloop = server
                .clients
                .get(token)
                .and_then(|c| c.tracking.as_ref())
                .is_some_and(|m| m.noloop);
            let shown: Vec<&Vec<u8>> = keys
                .iter()
                .filter(|(_, w)| !(noloop && **w == Some(token)))
                .map(|(k, _)| k)
                .collect();
            if shown.is_empty() {
                continue;
            }
            let mut arr = BytesMut::new();
            let mut out = Reply::new(&mut arr, RespVersion::V2);
            out.array_len(shown.len());
            for k in shown {
                out.bulk(k);
            }
            sends.push((token, arr.to_vec()));
        }
    }
    for (token, arr) in sends {
        send(server, token, &arr);
    }
}

/// Takes the queued messages whose receiver is `token`, in order (for a client that
/// must see them before the reply it is about to get).
pub fn take_for(server: &mut ServerState, token: usize) -> Vec<Vec<u8>> {
    if server.tracking.outbox.is_empty() {
        return Vec::new();
    }
    let (mine, rest) = std::mem::take(&mut server.tracking.outbox)
        .into_iter()
        .partition(|(t, _)| *t == token);
    server.tracking.outbox = rest;
    mine.into_iter().map(|(_, msg)| msg).collect()
}

/// Writes the queued invalidation messages into their receivers' output buffers.
pub fn deliver(server: &mut ServerState, outputs: &mut dyn Outputs) {
    broadcast(server);
    for (token, msg) in std::mem::take(&mut server.tracking.outbox) {
        if let Some(buf) = outputs.output(token) {
            buf.extend_from_slice(&msg);
        }
    }
}
