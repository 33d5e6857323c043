//! The command side of blocking (BLPOP, BLMOVE, BZPOPMIN, ...): [`Ctx::block`] parks
//! the calling client, and [`serve`] runs the commands of clients whose key became
//! ready again. The registry of who waits on what is [`crate::runtime::blocking`].

use crate::protocol::{OwnedRequest, Reply, Request};
use crate::runtime::ServerState;
use crate::runtime::blocking::{BlockedOn, Outputs, TimeoutReply, unblock, write_timeout};
use crate::store::{Key, Kind, Store};

use super::Ctx;

impl Ctx<'_> {
    /// Parks the calling client on `keys` until one of them holds a `kind` value, or
    /// until `deadline` (Unix ms, 0 = never); nothing is replied now. Called by a
    /// blocking command that found nothing. When the command is being run again for
    /// a client that is already parked, this keeps its place; inside MULTI (where
    /// nothing may block) it replies as a timeout at once.
    pub fn block<'k>(
        &mut self,
        keys: impl IntoIterator<Item = &'k [u8]>,
        kind: Kind,
        deadline: i64,
        on_timeout: TimeoutReply,
        req: &Request<'_>,
    ) {
        let me = self.me;
        if self.server.clients[me].blocked.is_some() {
            self.server.clients[me].still_blocked = true;
            return;
        }
        if self.server.clients[me].deny_blocking {
            write_timeout(&mut self.out, on_timeout);
            return;
        }
        let db = self.db();
        let mut owned: Vec<Key> = Vec::new();
        for key in keys {
            if owned.iter().any(|k| k.as_slice() == key) {
                continue;
            }
            let key = Key::from_slice(key);
            self.server.blocking.wait(db, key.clone(), me);
            owned.push(key);
        }
        self.server.blocking.add_blocked(me, deadline);
        self.server.clients[me].blocked = Some(Box::new(BlockedOn {
            db,
            keys: owned,
            kind,
            deadline,
            on_timeout,
            request: OwnedRequest::from_request(req),
        }));
    }
}

/// Serves clients blocked on keys that became ready, and CLIENT UNBLOCK requests.
/// Replies go to the clients' buffers; the tokens served are added to
/// [`Blocking::woken`](crate::runtime::blocking::Blocking::woken).
pub fn serve(store: &mut Store, state: &mut ServerState, now: i64, outputs: &mut dyn Outputs) {
    for (token, error) in state.blocking.take_unblock_requests() {
        let Some(on_timeout) = state
            .clients
            .get(token)
            .and_then(|c| c.blocked.as_ref())
            .map(|b| b.on_timeout)
        else {
            continue;
        };
        unblock(state, token);
        if let Some(buf) = outputs.output(token) {
            let mut out = Reply::new(buf, state.clients[token].resp);
            if error {
                out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            } else {
                write_timeout(&mut out, on_timeout);
            }
        }
        state.blocking.woken.push(token);
    }
    // Served commands may write other keys (BLMOVE pushes), which adds ready keys.
    let mut next = 0;
    while let Some(id) = state.blocking.ready_at(next) {
        next += 1;
        serve_key(store, state, now, outputs, &id);
    }
    state.blocking.clear_ready();
}

/// Serves the clients waiting on one ready key, longest-waiting first, while the key
/// holds a value of the kind they wait for.
fn serve_key(
    store: &mut Store,
    state: &mut ServerState,
    now: i64,
    outputs: &mut dyn Outputs,
    id: &(usize, Key),
) {
    let (db, key) = (id.0, &id.1);
    loop {
        let Some(token) = state.blocking.first_waiting(id) else {
            return;
        };
        let Some(blocked) = state.clients.get(token).and_then(|c| c.blocked.as_ref()) else {
            return;
        };
        let kind = blocked.kind;
        let request = blocked.request.clone();
        // A write lookup, as Redis's: it may expire the key, and counts no hit.
        let present = store
            .write_key(db, key, now)
            .is_some_and(|k| k.value().kind() == kind);
        if !present {
            if kind == Kind::Stream {
                fail_group_readers(state, outputs, id);
            }
            return;
        }
        let Some(buf) = outputs.output(token) else {
            unblock(state, token);
            continue;
        };
        let resp = state.clients[token].resp;
        // The client's selected database may differ from the one it blocked in only
        // if it ran SELECT, which it cannot do while blocked.
        state.clients[token].still_blocked = false;
        let mut ctx = Ctx {
            store,
            server: state,
            me: token,
            out: Reply::new(buf, resp),
            now,
        };
        let req = request.request();
        super::rerun(&mut ctx, &req);
        // A blocking command counts as one call, made when it first ran (Redis's
        // call stats; an error of the served run still counts as a failed call).
        if let Some((index, _)) = super::table::lookup_indexed(req.arg(0)) {
            let stats = ctx.server.command_stats(index);
            stats.calls = stats.calls.saturating_sub(1);
        }
        if std::mem::take(&mut state.clients[token].still_blocked) {
            // Nothing to pop after all: it keeps its place, and so do those behind it.
            return;
        }
        unblock(state, token);
        state.blocking.woken.push(token);
    }
}

/// Fails the XREADGROUP clients blocked on `id`, a key that no longer holds a stream,
/// with `-UNBLOCKED the stream key no longer exists` (Redis's blocked.c); XREAD
/// clients stay blocked until a stream is there again.
fn fail_group_readers(state: &mut ServerState, outputs: &mut dyn Outputs, id: &(usize, Key)) {
    let tokens = state.blocking.waiting_on(id);
    for token in tokens {
        let group_read = state
            .clients
            .get(token)
            .and_then(|c| c.blocked.as_ref())
            .is_some_and(|b| crate::commands::stream::read::is_group_read(&b.request.request()));
        if !group_read {
            continue;
        }
        unblock(state, token);
        if let Some(buf) = outputs.output(token) {
            let mut out = Reply::new(buf, state.clients[token].resp);
            out.error(crate::commands::stream::read::KEY_GONE);
        }
        state.blocking.woken.push(token);
    }
}
