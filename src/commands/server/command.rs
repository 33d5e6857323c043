//! COMMAND (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS, HELP), read from the
//! command declarations ([`crate::spec::CommandSpec`]), and [`run_subcommand`], which
//! dispatches a container's subcommands (CLIENT, CONFIG, COMMAND, ...) with Redis 7's
//! unknown-subcommand and `cmd|sub` arity errors.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::table;
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::protocol::{OwnedRequest, Reply, Request};
use crate::spec::{Begin, Find, Flags, Group, KeyFlags, Mode, find_keys};
use crate::{cats, flags};

/// Runs the subcommand named by `req.arg(1)` of container `parent`, after the checks
/// Redis's `processCommand` makes: unknown subcommand, then its arity.
pub fn run_subcommand(
    parent: &str,
    subs: &'static [CommandSpec],
    ctx: &mut Ctx<'_>,
    req: &Request<'_>,
) -> Result<(), CmdError> {
    let sub = req.arg(1);
    let Some(spec) = subs.iter().find(|s| is(sub, s.sub_name())) else {
        return Err(crate::commands::unknown_subcommand(parent, sub));
    };
    if !spec.arity_ok(req.len()) {
        return Err(crate::commands::subcommand_arity(parent, sub));
    }
    ctx.client_mut().last_command = spec.name;
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
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "command|count",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns a count of commands.",
        command_count,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|info",
        -2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns information about one, multiple or all commands.",
        command_info,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|docs",
        -2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns documentary information about one, multiple or all commands.",
        command_docs,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|list",
        -2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns a list of command names.",
        command_list,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|getkeys",
        -4,
        flags!(LOADING | STALE),
        Group::Server,
        "Extracts the key names from an arbitrary command.",
        command_getkeys,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|getkeysandflags",
        -4,
        flags!(LOADING | STALE),
        Group::Server,
        "Extracts the key names and access flags for an arbitrary command.",
        command_getkeysandflags,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "command|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns helpful text about the different subcommands.",
        command_help,
    )
    .acl(cats!(CONNECTION)),
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

/// Redis's `lookupCommandBySds`: `name` or `container|sub`, any case.
fn lookup_full(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.split(|&b| b == b'|');
    let top = table::lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(top),
        (Some(sub), None) => top.subcommand(sub),
        _ => None,
    }
}

/// Redis's `addReplyCommandInfo`: a 10-element array.
fn write_info(out: &mut Reply<'_>, spec: &CommandSpec) {
    out.array_len(10);
    out.bulk(spec.name.as_bytes());
    out.int(spec.arity.into());
    let mut flag_names: Vec<&str> = spec.flags.names().collect();
    if spec.movable {
        // Redis lists it after no_multi, before allow_busy.
        let at = flag_names.len() - usize::from(spec.flags.contains(Flags::ALLOW_BUSY));
        flag_names.insert(at, "movablekeys");
    }
    out.set_len(flag_names.len());
    for name in flag_names {
        out.simple(name.as_bytes());
    }
    out.int(spec.first_key.into());
    out.int(spec.last_key.into());
    out.int(spec.key_step.into());
    let cats: Vec<&str> = spec.categories().names().collect();
    out.set_len(cats.len());
    for cat in cats {
        out.simple(format!("@{cat}").as_bytes());
    }
    out.set_len(0); // tips
    write_key_specs(out, spec);
    if spec.subcommands.is_empty() {
        out.set_len(0);
    } else {
        out.array_len(spec.subcommands.len());
        for sub in spec.subcommands {
            write_info(out, sub);
        }
    }
}

/// Key-spec flag names, as a set.
fn write_key_flags(out: &mut Reply<'_>, flags: KeyFlags) {
    let names: Vec<&str> = flags.names().collect();
    out.set_len(names.len());
    for name in names {
        out.simple(name.as_bytes());
    }
}

/// Redis's `addReplyCommandKeySpecs`.
fn write_key_specs(out: &mut Reply<'_>, spec: &CommandSpec) {
    out.set_len(spec.key_specs.len());
    for ks in spec.key_specs {
        out.map_len(3);
        out.bulk(b"flags");
        write_key_flags(out, ks.flags);
        out.bulk(b"begin_search");
        out.map_len(2);
        out.bulk(b"type");
        match ks.begin {
            Begin::Index(at) => {
                out.bulk(b"index");
                out.bulk(b"spec");
                out.map_len(1);
                out.bulk(b"index");
                out.int(at.into());
            }
            Begin::Keyword {
                keyword,
                start_from,
            } => {
                out.bulk(b"keyword");
                out.bulk(b"spec");
                out.map_len(2);
                out.bulk(b"keyword");
                out.bulk(keyword.as_bytes());
                out.bulk(b"startfrom");
                out.int(start_from.into());
            }
            Begin::Unknown => {
                out.bulk(b"unknown");
                out.bulk(b"spec");
                out.map_len(0);
            }
        }
        out.bulk(b"find_keys");
        out.map_len(2);
        out.bulk(b"type");
        match ks.find {
            Find::Range { last, step, limit } => {
                out.bulk(b"range");
                out.bulk(b"spec");
                out.map_len(3);
                out.bulk(b"lastkey");
                out.int(last.into());
                out.bulk(b"keystep");
                out.int(step.into());
                out.bulk(b"limit");
                out.int(limit.into());
            }
            Find::Keynum {
                numkeys,
                first,
                step,
            } => {
                out.bulk(b"keynum");
                out.bulk(b"spec");
                out.map_len(3);
                out.bulk(b"keynumidx");
                out.int(numkeys.into());
                out.bulk(b"firstkey");
                out.int(first.into());
                out.bulk(b"keystep");
                out.int(step.into());
            }
            Find::Unknown => {
                out.bulk(b"unknown");
                out.bulk(b"spec");
                out.map_len(0);
            }
        }
    }
}

fn write_all_info(out: &mut Reply<'_>) {
    out.array_len(table::count());
    for spec in table::all() {
        write_info(out, spec);
    }
}

/// Redis's `addReplyCommandDocs`: summary, group, and the subcommands' docs.
fn write_docs(out: &mut Reply<'_>, spec: &CommandSpec) {
    let container = !spec.subcommands.is_empty();
    out.map_len(if container { 3 } else { 2 });
    out.bulk(b"summary");
    out.bulk(spec.summary.as_bytes());
    out.bulk(b"group");
    out.bulk(spec.group.name().as_bytes());
    if container {
        out.bulk(b"subcommands");
        out.map_len(spec.subcommands.len());
        for sub in spec.subcommands {
            out.bulk(sub.name.as_bytes());
            write_docs(out, sub);
        }
    }
}

/// ```text
/// COMMAND COUNT
/// ```
fn command_count(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    ctx.out.int(table::count() as i64);
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
            Some(spec) => write_info(&mut ctx.out, spec),
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
    let found: Vec<&CommandSpec> = if req.len() == 2 {
        table::all().collect()
    } else {
        (2..req.len())
            .filter_map(|i| lookup_full(req.arg(i)))
            .collect()
    };
    ctx.out.map_len(found.len());
    for spec in found {
        ctx.out.bulk(spec.name.as_bytes());
        write_docs(&mut ctx.out, spec);
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
    fn keeps(&self, spec: &CommandSpec) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => spec.categories().names().any(|c| is(cat, c)),
            ListFilter::Pattern(p) => glob_match(p, spec.name.as_bytes(), true),
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
        if filter.keeps(spec) {
            names.push(spec.name);
        }
        for sub in spec.subcommands {
            if filter.keeps(sub) {
                names.push(sub.name);
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
/// The keys of a command, as its key specs find them (Redis's
/// `getKeysFromCommandWithSpecs`).
/// # Errors
/// `ERR Invalid command specified`, `ERR The command has no key arguments`,
/// `ERR Invalid number of arguments specified for command`,
/// `ERR Invalid arguments specified for command`.
fn command_getkeys(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    getkeys_generic(ctx, req, false)
}

/// ```text
/// COMMAND GETKEYSANDFLAGS command [arg ...]
/// ```
/// As COMMAND GETKEYS, each key with its key-spec flags.
/// # Errors
/// As COMMAND GETKEYS.
fn command_getkeysandflags(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    getkeys_generic(ctx, req, true)
}

/// Redis's `getKeysSubcommandImpl`.
fn getkeys_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, with_flags: bool) -> Result<(), CmdError> {
    let invalid = || CmdError::msg("ERR Invalid command specified");
    let argc = req.len() - 2;
    let top = table::lookup(req.arg(2)).ok_or_else(invalid)?;
    // Redis's `lookupCommand`: a container with an argument names a subcommand.
    let spec = if top.subcommands.is_empty() || argc < 2 {
        top
    } else {
        top.subcommand(req.arg(3)).ok_or_else(invalid)?
    };
    if !spec.has_keys() {
        return Err(CmdError::msg("ERR The command has no key arguments"));
    }
    if !spec.arity_ok(argc) {
        return Err(CmdError::msg(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let inner = OwnedRequest::from_args(req.args().skip(2));
    let inner = inner.request();
    let keys = find_keys(spec, &inner, Mode::Strict).unwrap_or_default();
    if keys.is_empty() && !spec.flags.contains(Flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::msg("ERR Invalid arguments specified for command"));
    }
    ctx.out.array_len(keys.len());
    for (i, flags) in keys {
        if with_flags {
            ctx.out.array_len(2);
            ctx.out.bulk(inner.arg(i));
            write_key_flags(&mut ctx.out, flags);
        } else {
            ctx.out.bulk(inner.arg(i));
        }
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
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_flags_and_declarations() {
        let get = table::lookup(b"get").expect("get");
        assert_eq!(
            get.categories().names().collect::<Vec<_>>(),
            ["read", "string", "fast"]
        );
        let shutdown = table::lookup(b"shutdown").expect("shutdown");
        assert_eq!(
            shutdown.categories().names().collect::<Vec<_>>(),
            ["admin", "slow", "dangerous"]
        );
    }

    #[test]
    fn full_names_resolve() {
        assert_eq!(lookup_full(b"GET").map(|s| s.name), Some("get"));
        assert_eq!(
            lookup_full(b"client|LIST").map(|s| s.name),
            Some("client|list")
        );
        assert!(lookup_full(b"get|x").is_none());
        assert!(lookup_full(b"client|list|x").is_none());
        assert!(lookup_full(b"nosuch").is_none());
    }
}
