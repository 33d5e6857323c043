//! CLIENT and its subcommands: ID SETNAME GETNAME LIST INFO SETINFO UNBLOCK NO-EVICT
//! NO-TOUCH REPLY HELP (KILL is in client_kill.rs).

use std::fmt::Write as _;

use crate::commands::ClientInfo;
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, text};
use crate::commands::server::command::{reply_help, run_subcommand};
use crate::error::CmdError;
use crate::protocol::{Request, RespVersion};
use crate::spec::Group;
use crate::{cats, flags};

/// CLIENT's subcommands.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "client|id",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Returns the unique client ID of the connection.",
        client_id,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|setname",
        3,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Sets the connection name.",
        client_setname,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|getname",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Returns the name of the connection.",
        client_getname,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|list",
        -2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Lists open connections.",
        client_list,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|info",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Returns information about the connection.",
        client_info,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|setinfo",
        4,
        flags!(LOADING | STALE),
        Group::Connection,
        "Sets information specific to the client or connection.",
        client_setinfo,
    ),
    CommandSpec::new(
        "client|kill",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Terminates open connections.",
        super::client_kill::client_kill,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|no-evict",
        3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Sets the client eviction mode of the connection.",
        client_on_off,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|no-touch",
        3,
        flags!(LOADING | STALE),
        Group::Connection,
        "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
        client_on_off,
    ),
    CommandSpec::new(
        "client|reply",
        3,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Instructs the server whether to reply to commands.",
        client_reply,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|unblock",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Unblocks a client blocked by a blocking command from a different connection.",
        client_unblock,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|tracking",
        -3,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Enable or disable server assisted client side caching support",
        super::tracking::client_tracking,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|caching",
        3,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Instruct the server about tracking or not keys in the next request",
        super::tracking::client_caching,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|getredir",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Get tracking notifications redirection client ID if any",
        super::tracking::client_getredir,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|trackinginfo",
        2,
        flags!(NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Return information about server assisted client side caching for the current connection",
        super::tracking::client_trackinginfo,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|pause",
        -3,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Stop processing commands from clients for some time",
        super::pause::client_pause,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|unpause",
        2,
        flags!(ADMIN | NOSCRIPT | LOADING | STALE),
        Group::Connection,
        "Resume processing of clients that were paused",
        super::pause::client_unpause,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "client|help",
        2,
        flags!(LOADING | STALE),
        Group::Connection,
        "Returns helpful text about the different subcommands.",
        client_help,
    )
    .acl(cats!(CONNECTION)),
];

/// ```text
/// CLIENT subcommand [arg ...]
/// ```
pub fn client(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("client", SUBCOMMANDS, ctx, req)
}

/// True when `name` is a valid client name or attribute (Redis's `clientSetName`
/// charset: printable ASCII without spaces, so CLIENT LIST stays splittable).
pub fn valid_name(name: &[u8]) -> bool {
    name.iter().all(|b| (b'!'..=b'~').contains(b))
}

/// The error for a name that [`valid_name`] refuses.
pub fn bad_name() -> CmdError {
    CmdError::msg("ERR Client names cannot contain spaces, newlines or special characters.")
}

/// One CLIENT LIST line (without the newline), in Redis 7's field order.
pub fn client_line(token: usize, c: &ClientInfo, user: &[u8], now_ms: i64) -> String {
    let age = (now_ms - c.created_ms).max(0) / 1000;
    let idle = (now_ms - c.last_interaction_ms).max(0) / 1000;
    // Redis's order: P (pub/sub), x (MULTI), b (blocked), d (watched key touched),
    // c (closing).
    let mut flags = String::with_capacity(4);
    for (on, flag) in [
        (c.replica, 'S'),
        (c.master, 'M'),
        (c.pubsub.is_some(), 'P'),
        (c.multi.is_some(), 'x'),
        (c.blocked.is_some(), 'b'),
        (c.watch.is_dirty(), 'd'),
        (c.close_after_reply, 'c'),
    ] {
        if on {
            flags.push(flag);
        }
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let (multi, multi_mem) = c
        .multi
        .as_ref()
        .map_or((-1, 0), |tx| (tx.len() as i64, tx.memory()));
    let (sub, psub, ssub) = c.pubsub.as_ref().map_or((0, 0, 0), |s| {
        (s.channels(), s.patterns(), s.shard_channels())
    });
    let resp = match c.resp {
        RespVersion::V2 => 2,
        RespVersion::V3 => 3,
    };
    let mut line = String::with_capacity(300);
    let _ = write!(
        line,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} \
         sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} \
         rbs={} rbp=0 obl={} oll=0 omem={} tot-mem={} events=r cmd={} user={} \
         redir=-1 resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        token,
        String::from_utf8_lossy(&c.name),
        age,
        idle,
        flags,
        c.db,
        sub,
        psub,
        ssub,
        multi,
        c.querybuf_len,
        c.querybuf_cap.saturating_sub(c.querybuf_len),
        multi_mem,
        c.querybuf_cap,
        c.outbuf_len,
        c.outbuf_cap,
        c.querybuf_cap + c.outbuf_cap + multi_mem,
        c.last_command,
        String::from_utf8_lossy(user),
        resp,
        String::from_utf8_lossy(&c.lib_name),
        String::from_utf8_lossy(&c.lib_ver),
    );
    line
}

/// The name of `c`'s ACL user (empty if it was just deleted).
fn user_name<'a>(ctx: &'a Ctx<'_>, c: &ClientInfo) -> &'a [u8] {
    ctx.server.acl.user(c.user).map_or(&[], |u| &u.name)
}

/// Redis's `getClientTypeByName`, as a filter on clients: `pubsub` takes subscribed
/// clients, `normal` the others, and the replication types none.
pub fn client_type(name: &[u8]) -> Result<fn(&ClientInfo) -> bool, CmdError> {
    if is(name, "normal") {
        Ok(|c| c.pubsub.is_none() && !c.replica && !c.master)
    } else if is(name, "pubsub") {
        Ok(|c| c.pubsub.is_some())
    } else if is(name, "slave") || is(name, "replica") {
        Ok(|c| c.replica)
    } else if is(name, "master") {
        Ok(|c| c.master)
    } else {
        Err(CmdError::msg(format!(
            "ERR Unknown client type '{}'",
            text(name)
        )))
    }
}

/// ```text
/// CLIENT ID
/// ```
fn client_id(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let id = ctx.client().id;
    ctx.out.int(id as i64);
    Ok(())
}

/// ```text
/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
/// ```
/// 1 when the client was blocked (it then gets its timeout reply, or an
/// `-UNBLOCKED` error), else 0.
/// # Errors
/// `ERR value is not an integer or out of range`, `ERR CLIENT UNBLOCK reason should
/// be TIMEOUT or ERROR`.
fn client_unblock(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let id = crate::commands::args::parse_i64(req.arg(2))?;
    let error = match req.len() {
        3 => false,
        4 if is(req.arg(3), "timeout") => false,
        4 if is(req.arg(3), "error") => true,
        4 => {
            return Err(CmdError::msg(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ));
        }
        _ => return Err(CmdError::Syntax),
    };
    let blocked = ctx
        .server
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id && c.blocked.is_some())
        .map(|(token, _)| token);
    if let Some(token) = blocked {
        ctx.server.blocking.request_unblock(token, error);
    }
    ctx.out.int(i64::from(blocked.is_some()));
    Ok(())
}

/// ```text
/// CLIENT SETNAME name
/// ```
/// An empty name removes the name.
/// # Errors
/// `ERR Client names cannot contain spaces, newlines or special characters.`
fn client_setname(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let name = req.arg(2);
    if !valid_name(name) {
        return Err(bad_name());
    }
    ctx.client_mut().name = name.to_vec();
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT GETNAME
/// ```
/// The name, or null when none is set.
fn client_getname(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    if ctx.client().name.is_empty() {
        ctx.out.null();
    } else {
        let name = ctx.client().name.clone();
        ctx.out.bulk(&name);
    }
    Ok(())
}

/// ```text
/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id ...]
/// ```
/// One line per client, oldest first, as a verbatim string.
/// # Errors
/// `ERR Unknown client type '...'`, `ERR Invalid client ID`, `ERR syntax error`.
fn client_list(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut ids: Option<Vec<i64>> = None;
    let mut include: fn(&ClientInfo) -> bool = |_| true;
    if req.len() == 4 && is(req.arg(2), "type") {
        include = client_type(req.arg(3))?;
    } else if req.len() > 3 && is(req.arg(2), "id") {
        let parsed = (3..req.len())
            .map(|i| {
                crate::commands::args::parse_i64(req.arg(i))
                    .map_err(|_| CmdError::msg("ERR Invalid client ID"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        ids = Some(parsed);
    } else if req.len() != 2 {
        return Err(CmdError::Syntax);
    }
    let now = ctx.now;
    let mut out = String::new();
    match ids {
        Some(ids) => {
            for id in ids {
                if let Some((token, c)) = ctx.server.clients.iter().find(|(_, c)| c.id as i64 == id)
                {
                    out.push_str(&client_line(token, c, user_name(ctx, c), now));
                    out.push('\n');
                }
            }
        }
        None => {
            let mut all: Vec<(usize, &ClientInfo)> = ctx
                .server
                .clients
                .iter()
                .filter(|(_, c)| include(c))
                .collect();
            all.sort_by_key(|(_, c)| c.id);
            for (token, c) in all {
                out.push_str(&client_line(token, c, user_name(ctx, c), now));
                out.push('\n');
            }
        }
    }
    ctx.out.verbatim(out.as_bytes());
    Ok(())
}

/// ```text
/// CLIENT INFO
/// ```
/// This connection's CLIENT LIST line.
fn client_info(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let mut line = client_line(ctx.me, ctx.client(), user_name(ctx, ctx.client()), ctx.now);
    line.push('\n');
    ctx.out.verbatim(line.as_bytes());
    Ok(())
}

/// ```text
/// CLIENT SETINFO LIB-NAME name | LIB-VER version
/// ```
/// # Errors
/// `ERR Unrecognized option '...'`, `ERR <attr> cannot contain spaces, newlines or
/// special characters.` (Redis 7.2 texts).
fn client_setinfo(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let attr = req.arg(2);
    let value = req.arg(3);
    let lib_name = if is(attr, "lib-name") {
        true
    } else if is(attr, "lib-ver") {
        false
    } else {
        return Err(CmdError::msg(format!(
            "ERR Unrecognized option '{}'",
            text(attr)
        )));
    };
    if !valid_name(value) {
        return Err(CmdError::msg(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            text(attr)
        )));
    }
    let client = ctx.client_mut();
    if lib_name {
        client.lib_name = value.to_vec();
    } else {
        client.lib_ver = value.to_vec();
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT NO-EVICT ON|OFF
/// CLIENT NO-TOUCH ON|OFF
/// ```
/// Accepted for compatibility: this server neither evicts clients nor tracks key LRU.
fn client_on_off(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    if !is(req.arg(2), "on") && !is(req.arg(2), "off") {
        return Err(CmdError::Syntax);
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT REPLY ON|OFF|SKIP
/// ```
/// ON: `+OK` and replies resume. OFF: no reply to this or any later command until
/// ON. SKIP: no reply to this command nor to the next one. The server drops the
/// replies (see [`ClientInfo::reply_suppressed`](crate::commands::ClientInfo::reply_suppressed)).
/// # Errors
/// `ERR syntax error`.
fn client_reply(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mode = req.arg(2);
    let me = ctx.client_mut();
    if is(mode, "on") {
        me.reply_off = false;
        me.reply_skip = false;
        me.reply_skip_next = false;
        ctx.out.ok();
    } else if is(mode, "off") {
        me.reply_off = true;
    } else if is(mode, "skip") {
        if !me.reply_off {
            me.reply_skip = true;
            me.reply_skip_next = true;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// ```text
/// CLIENT HELP
/// ```
fn client_help(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    reply_help(
        ctx,
        req,
        &[
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients with the specified IDs.",
            "REPLY ON",
            "    Control the replies sent to the current connection (only ON is supported).",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_printable_ascii_without_spaces() {
        assert!(valid_name(b"worker-1"));
        assert!(valid_name(b""));
        assert!(!valid_name(b"a b"));
        assert!(!valid_name(b"a\nb"));
        assert!(!valid_name("é".as_bytes()));
    }

    #[test]
    fn line_has_redis_fields() {
        let mut c = ClientInfo::new(7, "127.0.0.1:5000".into(), "127.0.0.1:6379".into(), 0);
        c.name = b"x".to_vec();
        let line = client_line(3, &c, b"default", 5_000);
        assert!(line.starts_with(
            "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=3 name=x age=5 idle=5 flags=N db=0"
        ));
        assert!(line.contains(" cmd=NULL user=default redir=-1 resp=2"));
    }
}
