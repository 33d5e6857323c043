//! The command room: a request and a [`Ctx`] in, replies and store changes out.
//! No sockets, no mio: the server hands each parsed request to [`dispatch`].
//!
//! Every command is one [`CommandSpec`] line in its family's `COMMANDS` table
//! (`string.rs`, `keyspace.rs`, ...); [`table`] gathers them. [`dispatch`] checks
//! existence, arity, authentication and ACL permissions ([`auth`]) and document
//! arguments in one place, as Redis's `processCommand`.

pub mod acl;
pub mod admin;
pub mod args;
pub mod auth;
pub mod bitfield;
pub mod bits;
pub mod blocking;
pub mod client;
pub mod client_kill;
pub mod connection;
pub mod ctx;
pub mod expire;
pub mod glob;
pub mod hash;
pub mod hash_incr;
pub mod hash_iter;
pub mod info;
pub mod introspection;
pub mod keyspace;
pub mod keyspace_copy;
pub mod lcs;
pub mod list;
pub mod list_block;
pub mod list_edit;
pub mod list_pop;
pub mod memory;
pub mod multi;
pub mod notify;
pub mod persistence;
pub mod pubsub;
pub mod pubsub_state;
pub mod scan;
pub mod scripting;
pub mod set;
pub mod set_ops;
pub mod set_random;
pub mod sort;
pub mod state;
pub mod string;
pub mod string_edit;
pub mod table;
pub mod watch;
pub mod zset;
pub mod zset_block;
pub mod zset_num;
pub mod zset_ops;
pub mod zset_range;
pub mod zset_scan;

pub use ctx::Ctx;
pub use state::{ClientInfo, ServerState};

use crate::error::CmdError;
use crate::protocol::Request;

/// A command handler: validates its arguments, then writes its reply through `ctx.out`.
/// On `Err` nothing must have been written yet; dispatch writes the error reply.
pub type Handler = fn(&mut Ctx<'_>, &Request<'_>) -> Result<(), CmdError>;

/// Command flags, as Redis's (reported by COMMAND, checked by dispatch).
pub mod flags {
    /// Modifies the dataset.
    pub const WRITE: u32 = 1;
    /// Only reads the dataset.
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory use.
    pub const DENYOOM: u32 = 1 << 2;
    /// Administrative.
    pub const ADMIN: u32 = 1 << 3;
    /// Allowed while the client is not authenticated.
    pub const NO_AUTH: u32 = 1 << 4;
    /// O(1) or O(log n).
    pub const FAST: u32 = 1 << 5;
    /// Allowed while loading a snapshot.
    pub const LOADING: u32 = 1 << 6;
    /// Allowed on a replica with stale data.
    pub const STALE: u32 = 1 << 7;
    /// Pub/sub related.
    pub const PUBSUB: u32 = 1 << 8;
    /// Refused inside MULTI (SHUTDOWN, SAVE).
    pub const NO_MULTI: u32 = 1 << 9;
    /// Refused inside scripts (`redis.call`).
    pub const NOSCRIPT: u32 = 1 << 10;
    /// Allowed while a slow script runs (others get BUSY).
    pub const ALLOW_BUSY: u32 = 1 << 11;

    /// Flag names in COMMAND's reply order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NO_AUTH, "no_auth"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (FAST, "fast"),
        (NO_MULTI, "no_multi"),
        (NOSCRIPT, "noscript"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Which arguments of a command may be documents (nested RESP values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocArgs {
    /// None: every argument must be a bulk string.
    None,
    /// Only the argument at this index (SET's value is at 2).
    At(usize),
    /// Every `step`-th argument from `first` (MSET's values: from 2, step 2).
    Every {
        /// First index that may be a document.
        first: usize,
        /// Distance between such indexes.
        step: usize,
    },
}

impl DocArgs {
    /// True when argument `i` may be a document.
    pub fn allows(self, i: usize) -> bool {
        match self {
            DocArgs::None => false,
            DocArgs::At(at) => i == at,
            DocArgs::Every { first, step } => i >= first && (i - first).is_multiple_of(step),
        }
    }
}

/// One command's declaration (Redis's `struct redisCommand`).
#[derive(Debug)]
pub struct CommandSpec {
    /// Lowercase name.
    pub name: &'static str,
    /// Argument count including the name; negative means "at least -arity".
    pub arity: i32,
    /// Bitwise OR of [`flags`].
    pub flags: u32,
    /// Position of the first key (0 = no keys).
    pub first_key: i32,
    /// Position of the last key (-1 = the last argument).
    pub last_key: i32,
    /// Step between keys.
    pub key_step: i32,
    /// Arguments that may be documents.
    pub docs: DocArgs,
    /// Command group for COMMAND DOCS (`string`, `generic`, `connection`, `server`).
    pub group: &'static str,
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// The handler.
    pub handler: Handler,
}

impl CommandSpec {
    /// A spec with keys at `(first, last, step)` (use `(0, 0, 0)` for none) and no
    /// document arguments; chain [`CommandSpec::with_docs`] to allow some.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: u32,
        keys: (i32, i32, i32),
        group: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> CommandSpec {
        CommandSpec {
            name,
            arity,
            flags,
            first_key: keys.0,
            last_key: keys.1,
            key_step: keys.2,
            docs: DocArgs::None,
            group,
            summary,
            handler,
        }
    }

    /// The same spec, accepting documents at `docs`.
    pub const fn with_docs(mut self, docs: DocArgs) -> CommandSpec {
        self.docs = docs;
        self
    }

    /// True when `argc` arguments satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }
}

/// Runs one request: looks the command up, checks it, calls its handler, and writes
/// the error reply if it fails. Never panics on client input.
pub fn dispatch(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    if req.is_empty() {
        return;
    }
    ctx.server.stats.commands_processed += 1;
    let Some((index, spec)) = table::lookup_indexed(req.arg(0)) else {
        reject(ctx, None, unknown_command(req));
        return;
    };
    ctx.client_mut().last_command = spec.name;
    if !spec.arity_ok(req.len()) {
        reject(ctx, Some(index), CmdError::Arity(spec.name.to_string()));
        return;
    }
    // One bool while only a password-less, unrestricted default user exists.
    if ctx.server.acl.checks()
        && let Err(e) = auth::check(ctx, index, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    if req.doc_positions().iter().any(|&i| !spec.docs.allows(i)) {
        reject(ctx, Some(index), CmdError::DocArgument);
        return;
    }
    if ctx.client().pubsub.is_some()
        && let Some(e) = pubsub::subscriber_mode_error(ctx, spec, req)
    {
        reject(ctx, Some(index), e);
        return;
    }
    if ctx.client().multi.is_some() && !multi::runs_inside_multi(spec) {
        if let Err(e) = multi::queue(ctx, spec, req) {
            reject(ctx, Some(index), e);
        }
        return;
    }
    call(ctx, index, spec, req);
}

/// Runs a checked command's handler and counts it (Redis's `call`).
fn call(ctx: &mut Ctx<'_>, index: usize, spec: &CommandSpec, req: &Request<'_>) {
    let observed = ctx.server.observes_writes();
    ctx.store.set_observed(observed);
    let result = (spec.handler)(ctx, req);
    if ctx.store.has_events() {
        ctx.notify_store_events();
    }
    ctx.server.command_stats(index).calls += 1;
    ctx.server.batch.push(index);
    if let Err(e) = result {
        ctx.server.command_stats(index).failed_calls += 1;
        reply_error(ctx, &e);
    }
}

/// [`dispatch`] for a client served while a slow script runs: as Redis's
/// `processCommand`, an existing command with a valid arity from an authenticated
/// client is refused with BUSY unless it is `ALLOW_BUSY` (SCRIPT KILL, SHUTDOWN,
/// MULTI, AUTH, ...). Kept apart so that dispatch, the hot path, pays nothing.
pub fn dispatch_while_busy(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    use flags::ALLOW_BUSY;
    let refuse = |spec: &CommandSpec| {
        let allowed = spec.flags & ALLOW_BUSY != 0
            || (req.len() > 1
                && introspection::subcommands_of(spec.name)
                    .iter()
                    .any(|sub| sub.flags & ALLOW_BUSY != 0 && args::is(req.arg(1), sub.name())));
        !allowed && spec.arity_ok(req.len())
    };
    if req.is_empty() {
        return;
    }
    let authenticated = !ctx.server.acl.auth_required(ctx.client().authenticated);
    match table::lookup_indexed(req.arg(0)) {
        Some((index, spec)) if authenticated && refuse(spec) => {
            ctx.server.stats.commands_processed += 1;
            reject(ctx, Some(index), CmdError::msg(scripting::BUSY_ERROR));
        }
        _ => dispatch(ctx, req),
    }
}

/// Runs a command for a script's `redis.call` (Redis's `scriptCall`): the checks of
/// dispatch that apply inside scripts, then the command, whose reply goes to
/// `ctx.out`. `Ok(true)` when it was a write command; `Err` when it was refused
/// (nothing written).
pub fn script_call(
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
    read_only: bool,
) -> Result<bool, CmdError> {
    use flags::{NOSCRIPT, WRITE};
    let Some((index, spec)) = table::lookup_indexed(req.arg(0)) else {
        return Err(CmdError::msg(
            "ERR Unknown Redis command called from script",
        ));
    };
    if !spec.arity_ok(req.len()) {
        return Err(CmdError::msg(
            "ERR Wrong number of args calling Redis command from script",
        ));
    }
    if spec.flags & NOSCRIPT != 0 {
        return Err(CmdError::msg(
            "ERR This Redis command is not allowed from script",
        ));
    }
    if ctx.server.acl.checks() {
        auth::check_from_script(ctx, index, spec, req)?;
    }
    let write = spec.flags & WRITE != 0;
    if read_only && write {
        return Err(CmdError::msg(
            "ERR Write commands are not allowed from read-only scripts.",
        ));
    }
    ctx.server.stats.commands_processed += 1;
    call(ctx, index, spec, req);
    Ok(write)
}

/// Runs again a request that was checked when it first came (a blocked client's
/// command, once its key is ready).
pub fn rerun(ctx: &mut Ctx<'_>, req: &Request<'_>) {
    if let Some((index, spec)) = table::lookup_indexed(req.arg(0)) {
        call(ctx, index, spec, req);
    }
}

/// Refuses a command before it runs (Redis's `rejectCommand`); inside MULTI this
/// dooms the transaction. Cold: an error path, kept out of dispatch.
#[cold]
#[inline(never)]
fn reject(ctx: &mut Ctx<'_>, index: Option<usize>, e: CmdError) {
    multi::flag_error(ctx);
    if let Some(index) = index {
        ctx.server.command_stats(index).rejected_calls += 1;
        if ctx.client().multi.is_some() && table::name_at(index) == Some("exec") {
            // A refused EXEC still ends the transaction (Redis's execCommandAbort).
            multi::discard_transaction(ctx);
            let e = CmdError::msg(format!("EXECABORT Transaction discarded because of: {e}"));
            reply_error(ctx, &e);
            return;
        }
    }
    reply_error(ctx, &e);
}

fn reply_error(ctx: &mut Ctx<'_>, e: &CmdError) {
    let text = e.to_string();
    ctx.server.count_error(&text);
    ctx.out.error(&text);
}

/// Redis's text for an unknown command, quoting the first arguments.
fn unknown_command(req: &Request<'_>) -> CmdError {
    let name = String::from_utf8_lossy(req.arg(0));
    let name: String = name.chars().take(128).collect();
    let mut args = String::new();
    for i in 1..req.len() {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let text = String::from_utf8_lossy(req.arg(i));
        let text: String = text.chars().take(room).collect();
        args.push('\'');
        args.push_str(&text);
        args.push_str("' ");
    }
    CmdError::UnknownCommand(format!(
        "ERR unknown command '{name}', with args beginning with: {args}"
    ))
}

/// The error for an unknown subcommand of `cmd` (e.g. `CLIENT FOO`).
pub fn unknown_subcommand(cmd: &str, sub: &[u8]) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub)
            .chars()
            .take(128)
            .collect::<String>(),
        cmd.to_ascii_uppercase()
    ))
}

/// The arity error for a subcommand, named `cmd|sub` as Redis 7 does.
pub fn subcommand_arity(cmd: &str, sub: &[u8]) -> CmdError {
    CmdError::Arity(format!(
        "{}|{}",
        cmd,
        String::from_utf8_lossy(sub).to_ascii_lowercase()
    ))
}
