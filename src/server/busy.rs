//! Serving other clients while a slow script runs: the script's count hook calls
//! [`BusyPump::pump`], which reads every other connection and runs what it sent.
//! Dispatch answers BUSY to all but the `ALLOW_BUSY` commands (SCRIPT KILL,
//! SHUTDOWN, MULTI, ...), so nothing here can change the data the script sees.
//! New connections are accepted too (SCRIPT KILL usually comes from a new one).

use mio::net::TcpListener;
use mio::{Registry, Token};
use slab::Slab;

use super::clock::Clock;
use super::conn::{Conn, ReadOutcome};
use super::{Step, accept, run_next};
use crate::commands::Ctx;
use crate::commands::scripting::{self, Pump};
use crate::protocol::Reply;
use crate::runtime::ServerState;
use crate::store::Store;

/// Runs the script that EVAL left pending for client `me`, with the other
/// connections lent to its hook. The caller's output buffer is taken out of its
/// connection meanwhile, so that the two can be borrowed apart.
pub(super) fn run_script(
    conns: &mut Slab<Conn>,
    store: &mut Store,
    state: &mut ServerState,
    me: usize,
    now: i64,
    io: Io<'_>,
) {
    let Some(conn) = conns.get_mut(me) else {
        return;
    };
    let mut wbuf = std::mem::take(&mut conn.wbuf);
    let resp = state.clients[me].resp;
    let hard = super::output_limit::reply_limit(state, &state.clients[me]);
    let over = {
        let mut pump = BusyPump {
            conns: &mut *conns,
            io,
            me,
        };
        let mut ctx = Ctx {
            store,
            server: state,
            me,
            out: Reply::limited(&mut wbuf, resp, hard),
            now,
        };
        scripting::run_pending(&mut ctx, &mut pump);
        ctx.out.over()
    };
    if let Some(conn) = conns.get_mut(me) {
        conn.wbuf = wbuf;
        if over {
            super::output_limit::close_over_limit(conn, state, me);
        }
    }
}

/// What the hook needs of the server's I/O besides the connections.
pub(super) struct Io<'a> {
    /// For clients connecting during the script.
    pub listeners: &'a [TcpListener],
    /// For keeping write interest in step.
    pub registry: &'a Registry,
    /// The loop's read buffer.
    pub scratch: &'a mut [u8],
}

/// The connections, lent to a running script's hook.
struct BusyPump<'a> {
    conns: &'a mut Slab<Conn>,
    io: Io<'a>,
    /// The client running the script: not read until it ends (Redis's protectClient).
    me: usize,
}

impl Pump for BusyPump<'_> {
    fn pump(&mut self, store: &mut Store, server: &mut ServerState) {
        let dispatch = crate::commands::dispatch_while_busy;
        serve_others(
            self.conns,
            &mut self.io,
            Some(self.me),
            dispatch,
            store,
            server,
        );
    }
}

/// Accepts new connections and serves every connection but `me` with `dispatch`
/// (which refuses what may not run now: BUSY during a script, LOADING during a
/// load); used while the loop itself is held up.
pub(super) fn serve_others(
    conns: &mut Slab<Conn>,
    io: &mut Io<'_>,
    me: Option<usize>,
    dispatch: fn(&mut Ctx<'_>, &crate::protocol::Request<'_>),
    store: &mut Store,
    server: &mut ServerState,
) {
    {
        let clock = Clock::now();
        // A failed accept is retried by the cron once the loop runs again.
        let _ = accept::accept_all(io.listeners, io.registry, conns, server);
        // Replies made earlier in this turn may acknowledge writes: under `always` they
        // go out only once those writes are on disk (a script's own effects are held
        // until it ends, so none of them is written here; during a load the AOF is
        // not open yet, so this does nothing).
        super::replication::feed_replication(store, server);
        super::aof::flush_aof(store, server);
        for (token, conn) in conns.iter_mut() {
            if Some(token) == me || conn.closing {
                continue;
            }
            let Some(client) = server.clients.get(token) else {
                continue;
            };
            if client.blocked.is_some() || client.close_after_reply {
                continue;
            }
            if !conn.eof {
                match conn.fill(io.scratch) {
                    Ok((ReadOutcome::Eof, _)) | Err(_) => conn.eof = true,
                    Ok((_, n)) => server.stats.net_input_bytes += n as u64,
                }
            }
            let mut batch_start = None;
            while !server.clients[token].close_after_reply
                && conn.unread().len() <= server.config.max_querybuf
            {
                match run_next(
                    conn,
                    store,
                    server,
                    token,
                    &clock,
                    &mut batch_start,
                    dispatch,
                ) {
                    Step::Ran | Step::Script { .. } => {}
                    Step::Incomplete | Step::ProtocolError | Step::Paused | Step::OverLimit => {
                        break;
                    }
                }
            }
            conn.release();
            if let Ok((_, n)) = conn.flush() {
                server.stats.net_output_bytes += n as u64;
            }
            let _ = conn.sync_write_interest(io.registry, Token(token));
            if server.clients[token].close_after_reply && conn.wbuf.is_empty() {
                // QUIT or a protocol error: the peer sees the close now; the loop frees
                // the connection when the script is over (the hangup raises an event).
                let _ = conn.stream.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}
