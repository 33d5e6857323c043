//! COMMAND, and the subcommand tables of the container commands (CLIENT, CONFIG,
//! COMMAND): one [`Subcommand`] line per subcommand, dispatched by [`run_subcommand`]
//! with Redis 7's unknown-subcommand and `cmd|sub` arity errors, and reported by
//! COMMAND INFO / DOCS / LIST as Redis reports its subcommands.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::Handler;
use crate::commands::args::is;
use crate::commands::connection::client;
use crate::commands::flags::*;
use crate::commands::table;
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::protocol::{OwnedRequest, Reply, Request};

/// One subcommand of a container command (Redis 7 gives each its own table entry).
#[derive(Debug)]
pub struct Subcommand {
    /// Full lowercase name, `container|sub` (shown by COMMAND and CLIENT LIST `cmd=`).
    pub full_name: &'static str,
    /// Argument count including the container and subcommand names; negative = at least.
    pub arity: i32,
    /// Bitwise OR of [`crate::commands::flags`].
    pub flags: u32,
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// The handler; it sees the whole request (`req.arg(1)` is the subcommand).
    pub handler: Handler,
}

impl Subcommand {
    /// The subcommand's own name (after the `|`).
    pub fn name(&self) -> &'static str {
        self.full_name
            .split_once('|')
            .map_or(self.full_name, |(_, sub)| sub)
    }
}

/// Every container command and its subcommands.
const CONTAINERS: &[(&str, &[Subcommand])] = &[
    ("client", client::SUBCOMMANDS),
    ("config", super::admin::CONFIG_SUBCOMMANDS),
    ("command", SUBCOMMANDS),
    ("memory", super::memory::SUBCOMMANDS),
    ("acl", super::acl::SUBCOMMANDS),
    ("pubsub", crate::commands::pubsub::SUBCOMMANDS),
    ("script", crate::commands::scripting::SUBCOMMANDS),
];

/// The subcommands of the command named `name` (empty for plain commands).
pub fn subcommands_of(name: &str) -> &'static [Subcommand] {
    CONTAINERS
        .iter()
        .find(|(container, _)| *container == name)
        .map_or(&[], |(_, subs)| *subs)
}

fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i32;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Runs the subcommand named by `req.arg(1)` of container `parent`, after the checks
/// Redis's `processCommand` makes: unknown subcommand, then its arity.
pub fn run_subcommand(
    parent: &str,
    subs: &'static [Subcommand],
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
) -> Result<(), CmdError> {
    let sub = req.arg(1);
    let Some(spec) = subs.iter().find(|s| is(sub, s.name())) else {
        return Err(crate::commands::unknown_subcommand(parent, sub));
    };
    if !arity_ok(spec.arity, req.len()) {
        return Err(crate::commands::subcommand_arity(parent, sub));
    }
    ctx.client_mut().last_command = spec.full_name;
    (spec.handler)(ctx, req)
}

/// Redis's `addReplyHelp`: a header naming the command, `lines`, and the HELP entry.
pub fn reply_help(ctx: &mut Ctx<'_>, req: &Request<'_>, lines: &[&str]) {
    let name = String::from_utf8_lossy(req.arg(0)).to_ascii_uppercase();
    ctx.out.array_len(lines.len() + 3);
    ctx.out.simple(
        format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").as_bytes(),
    );
    for line in lines {
        ctx.out.simple(line.as_bytes());
    }
    ctx.out.simple(b"HELP");
    ctx.out.simple(b"    Prints this help.");
}

/// COMMAND's subcommands.
pub const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        full_name: "command|count",
        arity: 2,
        flags: LOADING | STALE,
        summary: "Returns a count of commands.",
        handler: command_count,
    },
    Subcommand {
        full_name: "command|info",
        arity: -2,
        flags: LOADING | STALE,
        summary: "Returns information about one, multiple or all commands.",
        handler: command_info,
    },
    Subcommand {
        full_name: "command|docs",
        arity: -2,
        flags: LOADING | STALE,
        summary: "Returns documentary information about one, multiple or all commands.",
        handler: command_docs,
    },
    Subcommand {
        full_name: "command|list",
        arity: -2,
        flags: LOADING | STALE,
        summary: "Returns a list of command names.",
        handler: command_list,
    },
    Subcommand {
        full_name: "command|getkeys",
        arity: -4,
        flags: LOADING | STALE,
        summary: "Extracts the key names from an arbitrary command.",
        handler: command_getkeys,
    },
    Subcommand {
        full_name: "command|help",
        arity: 2,
        flags: LOADING | STALE,
        summary: "Returns helpful text about the different subcommands.",
        handler: command_help,
    },
];

/// ```text
/// COMMAND [COUNT | INFO [name ...] | DOCS [name ...] | LIST [FILTERBY ...] | GETKEYS cmd ... | HELP]
/// ```
/// Without a subcommand: every command's details, as COMMAND INFO.
pub fn command(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() == 1 {
        write_all_info(&mut ctx.out);
        return Ok(());
    }
    run_subcommand("command", SUBCOMMANDS, ctx, req)
}

/// A command or a container's subcommand, as COMMAND INFO/DOCS name them.
#[derive(Debug, Clone, Copy)]
enum Found {
    Top(&'static CommandSpec),
    Sub(&'static CommandSpec, &'static Subcommand),
}

/// Redis's `lookupCommandBySds`: `name` or `container|sub`, any case.
fn lookup_full(name: &[u8]) -> Option<Found> {
    let mut parts = name.split(|&b| b == b'|');
    let top = table::lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(Found::Top(top)),
        (Some(sub), None) => subcommands_of(top.name)
            .iter()
            .find(|s| is(sub, s.name()))
            .map(|s| Found::Sub(top, s)),
        _ => None,
    }
}

/// ACL categories of a command, in Redis's order (see [`crate::acl::category`]).
fn categories(name: &str, flags: u32, group: &str) -> Vec<&'static str> {
    crate::acl::category::names(crate::acl::category::of_command(name, flags, group)).collect()
}

/// Everything COMMAND INFO reports about one entry.
struct InfoView<'a> {
    name: &'a str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    group: &'a str,
    /// The command itself when it is a container (its subcommands are listed).
    container: Option<&'static CommandSpec>,
}

impl Found {
    fn view(self) -> InfoView<'static> {
        match self {
            Found::Top(spec) => InfoView {
                name: spec.name,
                arity: spec.arity,
                flags: spec.flags,
                keys: (spec.first_key, spec.last_key, spec.key_step),
                group: spec.group,
                container: (!subcommands_of(spec.name).is_empty()).then_some(spec),
            },
            Found::Sub(parent, sub) => InfoView {
                name: sub.full_name,
                arity: sub.arity,
                flags: sub.flags,
                keys: (0, 0, 0),
                group: parent.group,
                container: None,
            },
        }
    }

    fn summary(self) -> &'static str {
        match self {
            Found::Top(spec) => spec.summary,
            Found::Sub(_, sub) => sub.summary,
        }
    }
}

/// Redis's `addReplyCommandInfo`: a 10-element array.
fn write_info(out: &mut Reply<'_>, v: &InfoView<'_>) {
    out.array_len(10);
    out.bulk(v.name.as_bytes());
    out.int(v.arity.into());
    let mut flag_names: Vec<&str> = NAMES_IN_REDIS_ORDER
        .iter()
        .filter(|(bit, _)| v.flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    // Keys that a (first, last, step) range cannot describe (COMMAND GETKEYS finds them).
    if v.container.is_none() && crate::acl::keys::has_movable_keys(v.name) {
        flag_names.push("movablekeys");
    }
    out.set_len(flag_names.len());
    for name in flag_names {
        out.simple(name.as_bytes());
    }
    out.int(v.keys.0.into());
    out.int(v.keys.1.into());
    out.int(v.keys.2.into());
    let cats = categories(v.name, v.flags, v.group);
    out.set_len(cats.len());
    for cat in cats {
        out.simple(format!("@{cat}").as_bytes());
    }
    out.set_len(0); // tips
    write_key_specs(out, v);
    match v.container {
        Some(parent) => {
            let subs = subcommands_of(parent.name);
            out.array_len(subs.len());
            for sub in subs {
                write_info(out, &Found::Sub(parent, sub).view());
            }
        }
        None => out.set_len(0),
    }
}

/// Command flags in the order Redis's `addReplyFlagsForCommand` lists them.
const NAMES_IN_REDIS_ORDER: &[(u32, &str)] = &[
    (WRITE, "write"),
    (READONLY, "readonly"),
    (DENYOOM, "denyoom"),
    (ADMIN, "admin"),
    (PUBSUB, "pubsub"),
    (LOADING, "loading"),
    (STALE, "stale"),
    (FAST, "fast"),
    (NO_AUTH, "no_auth"),
];

/// One key spec derived from the legacy `(first, last, step)` triple.
fn write_key_specs(out: &mut Reply<'_>, v: &InfoView<'_>) {
    let (first, last, step) = v.keys;
    if first <= 0 {
        out.set_len(0);
        return;
    }
    out.set_len(1);
    out.map_len(3);
    out.bulk(b"flags");
    let key_flags: &[&str] = if v.flags & WRITE != 0 {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    };
    out.set_len(key_flags.len());
    for f in key_flags {
        out.simple(f.as_bytes());
    }
    out.bulk(b"begin_search");
    out.map_len(2);
    out.bulk(b"type");
    out.bulk(b"index");
    out.bulk(b"spec");
    out.map_len(1);
    out.bulk(b"index");
    out.int(first.into());
    out.bulk(b"find_keys");
    out.map_len(2);
    out.bulk(b"type");
    out.bulk(b"range");
    out.bulk(b"spec");
    out.map_len(3);
    out.bulk(b"lastkey");
    out.int(if last < 0 { last } else { last - first }.into());
    out.bulk(b"keystep");
    out.int(step.into());
    out.bulk(b"limit");
    out.int(0);
}

fn write_all_info(out: &mut Reply<'_>) {
    let n = table::all().count();
    out.array_len(n);
    for spec in table::all() {
        write_info(out, &Found::Top(spec).view());
    }
}

/// Redis's `addReplyCommandDocs`: summary, group, and the subcommands' docs.
fn write_docs(out: &mut Reply<'_>, found: Found) {
    let v = found.view();
    out.map_len(if v.container.is_some() { 3 } else { 2 });
    out.bulk(b"summary");
    out.bulk(found.summary().as_bytes());
    out.bulk(b"group");
    out.bulk(v.group.as_bytes());
    if let Some(parent) = v.container {
        let subs = subcommands_of(parent.name);
        out.bulk(b"subcommands");
        out.map_len(subs.len());
        for sub in subs {
            out.bulk(sub.full_name.as_bytes());
            write_docs(out, Found::Sub(parent, sub));
        }
    }
}

/// ```text
/// COMMAND COUNT
/// ```
fn command_count(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.int(table::all().count() as i64);
    Ok(())
}

/// ```text
/// COMMAND INFO [name ...]
/// ```
/// Each name may be `container|sub`; unknown names give a null.
fn command_info(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() == 2 {
        write_all_info(&mut ctx.out);
        return Ok(());
    }
    ctx.out.array_len(req.len() - 2);
    for i in 2..req.len() {
        match lookup_full(req.arg(i)) {
            Some(found) => write_info(&mut ctx.out, &found.view()),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ```text
/// COMMAND DOCS [name ...]
/// ```
/// A map from command name to its docs; unknown names are left out.
fn command_docs(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let found: Vec<Found> = if req.len() == 2 {
        table::all().map(Found::Top).collect()
    } else {
        (2..req.len())
            .filter_map(|i| lookup_full(req.arg(i)))
            .collect()
    };
    ctx.out.map_len(found.len());
    for f in found {
        ctx.out.bulk(f.view().name.as_bytes());
        write_docs(&mut ctx.out, f);
    }
    Ok(())
}

/// Which names COMMAND LIST keeps.
enum ListFilter<'a> {
    All,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

impl ListFilter<'_> {
    fn keeps(&self, name: &str, flags: u32, group: &str) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => categories(name, flags, group).iter().any(|c| is(cat, c)),
            ListFilter::Pattern(p) => glob_match(p, name.as_bytes(), true),
        }
    }
}

/// ```text
/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
/// ```
/// # Errors
/// `ERR syntax error` for anything else.
fn command_list(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let filter = match req.len() {
        2 => ListFilter::All,
        5 if is(req.arg(2), "filterby") => {
            let arg = req.arg(4);
            match req.arg(3) {
                t if is(t, "module") => ListFilter::Module,
                t if is(t, "aclcat") => ListFilter::AclCat(arg),
                t if is(t, "pattern") => ListFilter::Pattern(arg),
                _ => return Err(CmdError::Syntax),
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let mut names = Vec::new();
    for spec in table::all() {
        if filter.keeps(spec.name, spec.flags, spec.group) {
            names.push(spec.name);
        }
        for sub in subcommands_of(spec.name) {
            if filter.keeps(sub.full_name, sub.flags, spec.group) {
                names.push(sub.full_name);
            }
        }
    }
    ctx.out.array_len(names.len());
    for name in names {
        ctx.out.bulk(name.as_bytes());
    }
    Ok(())
}

/// ```text
/// COMMAND GETKEYS command [arg ...]
/// ```
/// The keys of a command: its `(first, last, step)` positions, plus the keys that
/// move (after a `numkeys` argument, SORT's last STORE), as the ACL checks find them.
/// # Errors
/// `ERR Invalid command specified`, `ERR The command has no key arguments`,
/// `ERR Invalid number of arguments specified for command`,
/// `ERR Invalid arguments specified for command`.
fn command_getkeys(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let argc = req.len() - 2;
    let spec = table::lookup(req.arg(2)).ok_or(CmdError::msg("ERR Invalid command specified"))?;
    let subs = subcommands_of(spec.name);
    if !subs.is_empty() && argc >= 2 {
        // Subcommands declare no keys here.
        return Err(if subs.iter().any(|s| is(req.arg(3), s.name())) {
            CmdError::msg("ERR The command has no key arguments")
        } else {
            CmdError::msg("ERR Invalid command specified")
        });
    }
    let inner = OwnedRequest::from_args(req.args().skip(2));
    let positions = crate::acl::keys::key_positions(spec, &inner.request());
    let movable = crate::acl::keys::has_movable_keys(spec.name);
    if spec.first_key <= 0 && !movable {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    if !arity_ok(spec.arity, argc) {
        return Err(CmdError::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    // The fixed range must fit in the arguments given (Redis checks the same).
    let last = if spec.last_key < 0 {
        argc as i32 + spec.last_key
    } else {
        spec.last_key
    };
    if positions.is_empty() || (spec.first_key > 0 && last as usize >= argc) {
        return Err(CmdError::msg("ERR Invalid arguments specified for command"));
    }
    ctx.out.array_len(positions.len());
    for p in positions {
        ctx.out.bulk(inner.request().arg(p));
    }
    Ok(())
}

/// ```text
/// COMMAND HELP
/// ```
fn command_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_flags_and_group() {
        assert_eq!(
            categories("get", READONLY | FAST, "string"),
            ["read", "string", "fast"]
        );
        assert_eq!(
            categories("shutdown", ADMIN, "server"),
            ["admin", "slow", "dangerous"]
        );
    }

    #[test]
    fn full_names_resolve() {
        assert!(matches!(lookup_full(b"GET"), Some(Found::Top(_))));
        assert!(matches!(
            lookup_full(b"client|LIST"),
            Some(Found::Sub(_, _))
        ));
        assert!(lookup_full(b"get|x").is_none());
        assert!(lookup_full(b"client|list|x").is_none());
        assert!(lookup_full(b"nosuch").is_none());
    }
}
