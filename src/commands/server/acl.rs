//! ACL and its subcommands: SETUSER DELUSER GETUSER LIST USERS WHOAMI CAT GENPASS
//! DRYRUN LOAD SAVE LOG HELP (Redis's `aclCommand`).

use std::io::Read;

use super::command::{reply_help, run_subcommand};
use crate::acl::category;
use crate::acl::user::has_spaces;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64, text};
use crate::commands::connection::auth::{
    Denied, disconnect_revoked_subscribers, disconnect_users, permission,
};
use crate::commands::table;
use crate::commands::table::acl_registry as registry;
use crate::error::CmdError;
use crate::flags;
use crate::protocol::{ArgSpan, Request};
use crate::spec::Group;

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "acl",
    -2,
    flags!(),
    Group::Server,
    "A container for Access List Control commands.",
    acl,
)
.subcommands(SUBCOMMANDS)];

/// Most bits ACL GENPASS makes (Redis's GENPASS_MAX_BITS).
const GENPASS_MAX_BITS: i64 = 4096;
/// Bits ACL GENPASS makes by default.
const GENPASS_DEFAULT_BITS: i64 = 256;

/// ACL's subcommands, with Redis 7.0's arities and flags.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "acl|cat",
        -2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Lists the ACL categories, or the commands inside a category.",
        cat,
    ),
    CommandSpec::new(
        "acl|deluser",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Deletes ACL users, and terminates their connections.",
        deluser,
    ),
    CommandSpec::new(
        "acl|dryrun",
        -4,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Simulates the execution of a command by a user, without executing the command.",
        dryrun,
    ),
    CommandSpec::new(
        "acl|genpass",
        -2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Generates a pseudorandom, secure password that can be used to identify ACL users.",
        genpass,
    ),
    CommandSpec::new(
        "acl|getuser",
        3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Lists the ACL rules of a user.",
        getuser,
    ),
    CommandSpec::new(
        "acl|help",
        2,
        flags!(LOADING | STALE),
        Group::Server,
        "Returns helpful text about the different subcommands.",
        help,
    ),
    CommandSpec::new(
        "acl|list",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Dumps the effective rules in ACL file format.",
        list,
    ),
    CommandSpec::new(
        "acl|load",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Reloads the rules from the configured ACL file.",
        load,
    ),
    CommandSpec::new(
        "acl|log",
        -2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Lists recent security events generated due to ACL rules.",
        log,
    ),
    CommandSpec::new(
        "acl|save",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Saves the effective ACL rules in the configured ACL file.",
        save,
    ),
    CommandSpec::new(
        "acl|setuser",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Creates and modifies an ACL user and its rules.",
        setuser,
    ),
    CommandSpec::new(
        "acl|users",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Lists all ACL users.",
        users,
    ),
    CommandSpec::new(
        "acl|whoami",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Server,
        "Returns the authenticated username of the current connection.",
        whoami,
    ),
];

/// ```text
/// ACL subcommand [arg ...]
/// ```
fn acl(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("acl", SUBCOMMANDS, ctx, req)
}

/// ```text
/// ACL LOG [count | RESET]
/// ```
/// The newest `count` (default 10) refusals: count, reason, context, object,
/// username, age-seconds, client-info.
/// # Errors
/// The subcommand syntax error (more arguments); a count that is not an integer.
fn log(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if req.len() > 3 {
        return Err(syntax(req));
    }
    let mut count = 10usize;
    if req.len() == 3 {
        if is(req.arg(2), "reset") {
            ctx.server.observe.acl_log.entries.clear();
            ctx.out.ok();
            return Ok(());
        }
        // A negative count shows nothing, as Redis.
        count = usize::try_from(parse_i64(req.arg(2))?).unwrap_or(0);
    }
    let now = ctx.now;
    let entries = &ctx.server.observe.acl_log.entries;
    let n = count.min(entries.len());
    ctx.out.array_len(n);
    for e in entries.iter().take(n) {
        ctx.out.map_len(7);
        ctx.out.bulk(b"count");
        ctx.out.int(e.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(e.reason.as_bytes());
        ctx.out.bulk(b"context");
        ctx.out.bulk(e.context.as_bytes());
        ctx.out.bulk(b"object");
        ctx.out.bulk(&e.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&e.username);
        ctx.out.bulk(b"age-seconds");
        ctx.out.double((now - e.updated_ms).max(0) as f64 / 1000.0);
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(e.client_info.as_bytes());
    }
    Ok(())
}

/// ```text
/// ACL SETUSER username [rule ...]
/// ```
/// Creates the user (off, no passwords, keys, channels or commands) or changes it;
/// the rules apply all or none. Clients of the user subscribed to channels it may no
/// longer use are disconnected.
/// # Errors
/// `ERR Usernames can't contain spaces or null characters`, `ERR Error in ACL
/// SETUSER modifier '<rule>': <why>`.
fn setuser(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let name = req.arg(2);
    if has_spaces(name) {
        return Err(CmdError::msg(
            "ERR Usernames can't contain spaces or null characters",
        ));
    }
    let rules: Vec<&[u8]> = (3..req.len()).map(|i| req.arg(i)).collect();
    let narrowed = ctx
        .server
        .acl
        .set_user(name, &rules)
        .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    if let Some((user, channels)) = narrowed {
        disconnect_revoked_subscribers(ctx, user, &channels);
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// ACL DELUSER username [username ...]
/// ```
/// The number of users deleted; their connections are closed.
/// # Errors
/// `ERR The 'default' user cannot be removed`.
fn deluser(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if (2..req.len()).any(|i| req.arg(i) == b"default") {
        return Err(CmdError::msg("ERR The 'default' user cannot be removed"));
    }
    let mut deleted = Vec::new();
    for i in 2..req.len() {
        if let Some(id) = ctx.server.acl.delete_user(req.arg(i)) {
            deleted.push(id);
        }
    }
    disconnect_users(ctx, &deleted);
    ctx.out.int(deleted.len() as i64);
    Ok(())
}

/// ```text
/// ACL GETUSER username
/// ```
/// A map of `flags`, `passwords` (hashes), the root selector's `commands`, `keys` and
/// `channels`, and `selectors` (a map of `commands`, `keys` and `channels` for each
/// other selector), or null when there is no such user (Redis 7.0's shape).
fn getuser(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let acl = &ctx.server.acl;
    let Some(user) = acl.lookup(req.arg(2)).and_then(|id| acl.user(id)) else {
        ctx.out.null();
        return Ok(());
    };
    let out = &mut ctx.out;
    out.map_len(6);
    out.bulk(b"flags");
    let flags = user.flag_names();
    out.set_len(flags.len());
    for f in flags {
        out.bulk(f.as_bytes());
    }
    out.bulk(b"passwords");
    out.array_len(user.passwords.len());
    for h in &user.passwords {
        out.bulk(crate::acl::sha256::to_hex(h).as_bytes());
    }
    describe_selector(out, &user.root);
    out.bulk(b"selectors");
    out.array_len(user.selectors.len());
    for s in &user.selectors {
        out.map_len(3);
        describe_selector(out, s);
    }
    Ok(())
}

/// A selector's `commands`, `keys` and `channels` fields (Redis's
/// `aclAddReplySelectorDescription`).
fn describe_selector(out: &mut crate::protocol::Reply<'_>, s: &crate::acl::Selector) {
    out.bulk(b"commands");
    out.bulk(s.command_rules().as_bytes());
    out.bulk(b"keys");
    out.bulk(s.keys_text().as_bytes());
    out.bulk(b"channels");
    out.bulk(s.channels_text().as_bytes());
}

/// ```text
/// ACL LIST
/// ```
/// Every user as an ACL file line, `user <name> <rules>`, in name order.
fn list(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let lines: Vec<String> = ctx
        .server
        .acl
        .users()
        .map(|(_, u)| format!("user {} {}", String::from_utf8_lossy(&u.name), u.describe()))
        .collect();
    ctx.out.array_len(lines.len());
    for line in lines {
        ctx.out.bulk(line.as_bytes());
    }
    Ok(())
}

/// ```text
/// ACL USERS
/// ```
fn users(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let names: Vec<Vec<u8>> = ctx
        .server
        .acl
        .users()
        .map(|(_, u)| u.name.clone())
        .collect();
    ctx.out.array_len(names.len());
    for n in names {
        ctx.out.bulk(&n);
    }
    Ok(())
}

/// ```text
/// ACL WHOAMI
/// ```
fn whoami(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let id = ctx.client().user;
    match ctx.server.acl.user(id).map(|u| u.name.clone()) {
        Some(name) => ctx.out.bulk(&name),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ```text
/// ACL CAT [category]
/// ```
/// The categories, or the commands and subcommands of one.
/// # Errors
/// `ERR Unknown category '<name>'`.
fn cat(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    match req.len() {
        2 => {
            ctx.out.array_len(crate::spec::Cats::NAMES.len());
            for (_, c) in crate::spec::Cats::NAMES {
                ctx.out.bulk(c.as_bytes());
            }
        }
        3 => {
            let mask = category::bit(req.arg(2)).ok_or_else(|| {
                CmdError::msg(format!(
                    "ERR Unknown category '{}'",
                    text(req.arg(2)).chars().take(128).collect::<String>()
                ))
            })?;
            let names: Vec<&str> = registry()
                .entries
                .iter()
                .filter(|e| e.categories & mask != 0)
                .map(|e| e.name)
                .collect();
            ctx.out.array_len(names.len());
            for n in names {
                ctx.out.bulk(n.as_bytes());
            }
        }
        _ => return Err(syntax(req)),
    }
    Ok(())
}

/// Redis's `addReplySubcommandSyntaxError` for ACL.
fn syntax(req: &Request<'_>) -> CmdError {
    CmdError::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        text(req.arg(1)).chars().take(128).collect::<String>()
    ))
}

/// ```text
/// ACL GENPASS [bits]
/// ```
/// `bits` (default 256) of randomness from the OS, as hex.
/// # Errors
/// `ERR ACL GENPASS argument must be the number of bits for the output password, a
/// positive number up to 4096`, `ERR value is not an integer or out of range`.
fn genpass(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let bits = match req.len() {
        2 => GENPASS_DEFAULT_BITS,
        3 => parse_i64(req.arg(2))?,
        _ => return Err(syntax(req)),
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return Err(CmdError::msg(format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {GENPASS_MAX_BITS}"
        )));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut random = vec![0u8; chars.div_ceil(2)];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .map_err(|e| CmdError::msg(format!("ERR cannot read random bytes: {e}")))?;
    let digest_hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    ctx.out.bulk(&digest_hex.as_bytes()[..chars]);
    Ok(())
}

/// ```text
/// ACL DRYRUN username command [arg ...]
/// ```
/// `+OK` when `username` could run the command, else why not, as a bulk string.
/// # Errors
/// `ERR User '<name>' not found`, `ERR Command '<name>' not found` (also for a
/// container's unknown subcommand), `ERR wrong number of arguments for '<cmd>'
/// command` (`<container>|<sub>` for a subcommand).
fn dryrun(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let acl = &ctx.server.acl;
    let Some(user) = acl.lookup(req.arg(2)).and_then(|id| acl.user(id)) else {
        return Err(CmdError::msg(format!(
            "ERR User '{}' not found",
            text(req.arg(2))
        )));
    };
    let not_found = || CmdError::msg(format!("ERR Command '{}' not found", text(req.arg(3))));
    let (index, spec) = table::lookup_indexed(req.arg(3)).ok_or_else(not_found)?;
    // Redis's `lookupCommand`: with an argument, a container's subcommand must exist.
    let target = match spec.subcommands.is_empty() || req.len() == 4 {
        true => spec,
        false => spec.subcommand(req.arg(4)).ok_or_else(not_found)?,
    };
    let mut buf = Vec::new();
    let mut spans = Vec::new();
    for i in 3..req.len() {
        let start = buf.len();
        buf.extend_from_slice(req.arg(i));
        spans.push(ArgSpan {
            start,
            end: buf.len(),
        });
    }
    let inner = Request::new(&buf, &spans, &[]);
    if !target.arity_ok(inner.len()) {
        return Err(CmdError::Arity(target.name.to_string()));
    }
    match permission(user, index, spec, &inner) {
        Ok(()) => ctx.out.ok(),
        Err(Denied::Command(name)) => ctx
            .out
            .bulk(format!("This user has no permissions to run the '{name}' command").as_bytes()),
        Err(Denied::Key(i)) => ctx.out.bulk(
            format!(
                "This user has no permissions to access the '{}' key",
                text(inner.arg(i))
            )
            .as_bytes(),
        ),
        Err(Denied::Channel(i)) => ctx.out.bulk(
            format!(
                "This user has no permissions to access the '{}' channel",
                text(inner.arg(i))
            )
            .as_bytes(),
        ),
    }
    Ok(())
}

/// The error for ACL LOAD/SAVE without `--aclfile`.
fn no_aclfile() -> CmdError {
    CmdError::msg(
        "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.",
    )
}

/// ```text
/// ACL LOAD
/// ```
/// Replaces every user with the ACL file's; clients of the replaced users are
/// disconnected. On any error nothing changes.
/// # Errors
/// The no-file error, `ERR Error loading ACLs, opening file ...`, the file's errors.
fn load(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.server.config.aclfile.is_empty() {
        return Err(no_aclfile());
    }
    let path = ctx.server.config.aclfile_path();
    let dropped = ctx
        .server
        .acl
        .load_file(&path)
        .map_err(|e| CmdError::msg(format!("ERR {e}")))?;
    disconnect_users(ctx, &dropped);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// ACL SAVE
/// ```
/// Writes every user to the ACL file (passwords as hashes).
/// # Errors
/// The no-file error, `ERR There was an error trying to save the ACLs. Please check
/// the server logs for more information`.
fn save(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.server.config.aclfile.is_empty() {
        return Err(no_aclfile());
    }
    let path = ctx.server.config.aclfile_path();
    if let Err(e) = ctx.server.acl.save_file(&path) {
        log::warn!("Saving the ACL file {path}: {e}");
        return Err(CmdError::msg(
            "ERR There was an error trying to save the ACLs. Please check the server logs for more information",
        ));
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// ACL HELP
/// ```
fn help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommands_resolve_in_the_registry() {
        for s in SUBCOMMANDS {
            assert!(registry().lookup(s.name.as_bytes()).is_some(), "{}", s.name);
        }
    }
}
