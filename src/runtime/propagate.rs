//! The propagation layer (Redis's `alsoPropagate` / `propagatePendingCommands`): after
//! a command that wrote, what it did is appended, in a deterministic and replayable
//! form, to one stream of RESP commands that the append-only file writes out (and that
//! the replication stream will send).
//!
//! - The dispatcher (`commands::call`) opens a unit at the outermost command
//!   ([`Propagation::begin`] / [`Propagation::end`]): a command, a transaction's EXEC or
//!   a script with the commands it runs. When the unit ends, its operations are
//!   appended to the stream, wrapped in MULTI/EXEC when there are several (one command
//!   is atomic already; active expiry is never wrapped).
//! - A command that moved the dirty counter propagates its argv, unless its handler
//!   asked for something else through `Ctx::propagate` (the one way to rewrite: SET EX
//!   → SET PXAT, SPOP → SREM, BLPOP → LPOP, ...). EXEC and scripts propagate only the
//!   effects of the commands they ran.
//! - Keys the store expired (lazily during a command, or by the active cycle) become
//!   `DEL key`, in the order they happened ([`Propagation::collect_expired`]).
//! - A SELECT goes before an operation whose database differs from the last one
//!   propagated.
//!
//! Nothing is recorded while propagation is off (no AOF, no replica): the cost is one
//! branch per command.

use std::ops::Range;

use super::ServerState;
use crate::protocol::Request;
use crate::store::Store;

/// The state of the propagation stream.
#[derive(Debug, Default)]
pub struct Propagation {
    /// Whether anything consumes the stream (AOF on).
    on: bool,
    /// Nesting of running commands (EXEC and scripts run commands inside).
    depth: u32,
    /// Operations of the running unit: database and span of their encoding in `args`.
    ops: Vec<(usize, Range<usize>)>,
    /// The encoded operations of the running unit (RESP arrays, no SELECT).
    args: Vec<u8>,
    /// The running command asked for its own propagation (`Ctx::propagate`).
    asked: bool,
    /// The database of the last operation appended to the stream (`None`: unknown, a
    /// SELECT goes first).
    selected: Option<usize>,
    /// The propagated stream, waiting to be written out.
    stream: Vec<u8>,
}

/// What [`Propagation::begin`] saved of the enclosing command.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Frame {
    asked: bool,
}

impl Propagation {
    /// True while something consumes the stream.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Turns propagation on or off (the store records the keys it expires only while
    /// on). The next operation is preceded by a SELECT.
    pub fn set_on(&mut self, on: bool, store: &mut Store) {
        self.on = on;
        self.selected = None;
        store.set_propagating(on);
        if !on {
            self.ops.clear();
            self.args.clear();
            self.stream.clear();
        }
    }

    /// The database of the last operation appended to the stream (`None`: a SELECT
    /// goes first).
    pub fn selected(&self) -> Option<usize> {
        self.selected
    }

    /// Forgets the last database selected: the next operation starts with SELECT (a
    /// new file of the log starts).
    pub fn reset_selected(&mut self) {
        self.selected = None;
    }

    /// A command starts (nested or not); returns what to hand back to [`Self::end`].
    pub fn begin(&mut self) -> Frame {
        self.depth += 1;
        Frame {
            asked: std::mem::take(&mut self.asked),
        }
    }

    /// The running command propagates only what it asks for (possibly nothing).
    pub fn prevent(&mut self) {
        self.asked = true;
    }

    /// Whether the running command asked for its own propagation.
    pub fn asked(&self) -> bool {
        self.asked
    }

    /// A command ends: at the outermost level, the unit's operations join the stream.
    pub fn end(&mut self, frame: Frame) {
        self.asked = frame.asked;
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 {
            self.flush_unit(true);
        }
    }

    /// Whether a command runs (a unit is open).
    pub fn in_unit(&self) -> bool {
        self.depth > 0
    }

    /// Adds `argv` run in database `db` to the running unit (Redis's `alsoPropagate`).
    pub fn push<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        let start = self.args.len();
        encode(&mut self.args, argv);
        self.ops.push((db, start..self.args.len()));
    }

    /// Adds `req` run in database `db` to the running unit; a document argument is
    /// written as its own RESP value, as it came.
    pub fn push_request(&mut self, db: usize, req: &Request<'_>) {
        let start = self.args.len();
        if req.doc_positions().is_empty() {
            encode(&mut self.args, req.args());
        } else {
            let mut digits = itoa::Buffer::new();
            self.args.push(b'*');
            self.args
                .extend_from_slice(digits.format(req.len()).as_bytes());
            self.args.extend_from_slice(b"\r\n");
            for (i, arg) in req.args().enumerate() {
                if req.is_doc(i) {
                    self.args.extend_from_slice(arg);
                } else {
                    encode_bulk(&mut self.args, arg);
                }
            }
        }
        self.ops.push((db, start..self.args.len()));
    }

    /// The running command propagates `argv` instead of its own arguments (and may call
    /// this several times).
    /// The arguments at positions `docs` are documents, written as they are.
    pub fn push_asked(&mut self, db: usize, argv: &[&[u8]], docs: &[usize]) {
        self.asked = true;
        let start = self.args.len();
        if docs.is_empty() {
            encode(&mut self.args, argv.iter().copied());
        } else {
            let mut digits = itoa::Buffer::new();
            self.args.push(b'*');
            self.args
                .extend_from_slice(digits.format(argv.len()).as_bytes());
            self.args.extend_from_slice(b"\r\n");
            for (i, arg) in argv.iter().enumerate() {
                if docs.contains(&i) {
                    self.args.extend_from_slice(arg);
                } else {
                    encode_bulk(&mut self.args, arg);
                }
            }
        }
        self.ops.push((db, start..self.args.len()));
    }

    /// Adds a `DEL key` for each key the store expired since the last call.
    pub fn collect_expired(&mut self, store: &mut Store) {
        if !store.has_expired_log() {
            return;
        }
        store.drain_expired_log(|db, key| {
            let start = self.args.len();
            encode(&mut self.args, [&b"DEL"[..], key].into_iter());
            self.ops.push((db, start..self.args.len()));
        });
    }

    /// Appends what the store expired outside any command (the active cycle, a lookup
    /// by the server) to the stream, without MULTI.
    pub fn flush_expired(&mut self, store: &mut Store) {
        if self.depth > 0 || !self.on {
            return;
        }
        self.collect_expired(store);
        self.flush_unit(false);
    }

    /// Appends the unit's operations to the stream (MULTI/EXEC around several when
    /// `wrap`).
    fn flush_unit(&mut self, wrap: bool) {
        if self.ops.is_empty() {
            return;
        }
        let wrap = wrap && self.ops.len() > 1;
        if wrap {
            let db = self.ops[0].0;
            self.select(db);
            encode(&mut self.stream, [&b"MULTI"[..]].into_iter());
        }
        for i in 0..self.ops.len() {
            let (db, ref span) = self.ops[i];
            let span = span.clone();
            self.select(db);
            self.stream.extend_from_slice(&self.args[span]);
        }
        if wrap {
            encode(&mut self.stream, [&b"EXEC"[..]].into_iter());
        }
        self.ops.clear();
        self.args.clear();
    }

    fn select(&mut self, db: usize) {
        if self.selected != Some(db) {
            let mut digits = itoa::Buffer::new();
            let db_text = digits.format(db).as_bytes();
            encode(&mut self.stream, [&b"SELECT"[..], db_text].into_iter());
            self.selected = Some(db);
        }
    }

    /// The stream waiting to be written out.
    pub fn stream(&self) -> &[u8] {
        &self.stream
    }

    /// Takes the stream waiting to be written out, leaving it empty.
    pub fn take_stream(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.stream)
    }

    /// Empties the stream, keeping its buffer (after it was written out).
    pub fn clear_stream(&mut self) {
        self.stream.clear();
    }
}

/// CONFIG SET appendonly: starts an AOF, or closes it. Starting writes no data in
/// the loop (Redis's `startAppendOnly`): writes go to a temporary file at once, and a
/// background rewrite (scheduled if another child runs) writes the first base; the
/// AOF is complete when both are installed.
/// # Errors
/// Why the AOF could not be started.
pub fn switch_aof(store: &mut Store, state: &mut ServerState, on: bool) -> Result<(), String> {
    if on && state.persistence.aof.is_none() {
        let aof = crate::persistence::aof::Aof::begin_waiting(&state.config)
            .map_err(|e| crate::persistence::strerror(&e))?;
        state.persistence.aof = Some(aof);
        state.propagation.set_on(true, store);
        if state.persistence.child_active() {
            log::warn!(
                "AOF was enabled but there is already another background operation. An AOF \
                 background was scheduled to start when possible."
            );
            state.persistence.rewrite.scheduled = true;
        } else if rewrite_aof(store, state).is_err() {
            close_aof(store, state);
            return Err("Unable to turn on AOF. Check server logs.".into());
        }
    } else if !on && state.persistence.aof.is_some() {
        state.persistence.kill_rewrite();
        state.persistence.rewrite.scheduled = false;
        close_aof(store, state);
    }
    Ok(())
}

/// Turns the AOF off: writes and fsyncs what it holds (a start still waiting for
/// its first base drops its temporary file instead).
fn close_aof(store: &mut Store, state: &mut ServerState) {
    let Some(mut aof) = state.persistence.aof.take() else {
        return;
    };
    aof.feed(state.propagation.stream());
    aof.close(crate::store::now_ms() / 1000);
    aof.discard_waiting();
    // Replicas still take the stream.
    if state.repl.backlog.is_none() {
        state.propagation.set_on(false, store);
    }
    state.persistence.sync_write_denial(&state.config);
}

/// Starts a background AOF rewrite (BGREWRITEAOF, a scheduled or automatic one):
/// what the log still holds for the current incremental file is written there first
/// (and fsynced under `always`), the next command starts with SELECT in the new one.
/// With the AOF off, it writes a base-only AOF directory (Redis 7.0).
/// # Errors
/// Why it could not start (logged).
pub fn rewrite_aof(store: &mut Store, state: &mut ServerState) -> std::io::Result<()> {
    if state.persistence.child_active() {
        return Err(std::io::Error::other("another child process is active"));
    }
    if let Some(aof) = state.persistence.aof.as_mut() {
        state.propagation.flush_expired(store);
        aof.feed(state.propagation.stream());
        state.propagation.clear_stream();
        let now = crate::store::now_ms() / 1000;
        if !aof.flush(state.config.appendfsync, now, true) {
            // As Server::flush_aof: an `always` write that failed cannot be acknowledged.
            std::process::exit(1);
        }
        if aof.has_buffered() {
            // Commands the child's data set holds must not reach the new file.
            log::warn!(
                "Can't rewrite append only file in background: the AOF buffer could not be \
                 written"
            );
            return Err(std::io::Error::other("the AOF buffer could not be written"));
        }
    }
    state.propagation.reset_selected();
    state.persistence.start_rewrite(store, &state.config)
}

/// The cron's part (Redis's serverCron): reaps a finished rewrite, then starts a
/// scheduled or automatic one when due.
pub fn rewrite_cron(store: &mut Store, state: &mut ServerState) {
    if state.persistence.reap_rewrite()
        && state.persistence.rewrite_due(&state.config)
        && rewrite_aof(store, state).is_err()
    {
        // Counted, so that a rewrite that cannot start is retried ever more slowly
        // instead of on every tick.
        state.persistence.rewrite.consecutive_failures += 1;
    }
}

/// Appends `argv` as a RESP array of bulk strings.
pub fn encode<'a>(out: &mut Vec<u8>, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
    let mut digits = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(digits.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        encode_bulk(out, arg);
    }
}

/// Appends `arg` as a RESP bulk string.
fn encode_bulk(out: &mut Vec<u8>, arg: &[u8]) {
    let mut digits = itoa::Buffer::new();
    out.push(b'$');
    out.extend_from_slice(digits.format(arg.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(arg);
    out.extend_from_slice(b"\r\n");
}
