//! AUTH, the authentication step of HELLO, and the checks dispatch makes before a
//! command runs: `NOAUTH` for a client that must authenticate first, `NOPERM` for a
//! command, key or channel its ACL user may not use (Redis's `processCommand` and
//! `ACLCheckAllPerm`). Users and their rules are in [`crate::acl`].

use crate::acl::keys::channel_args;
use crate::acl::{Selector, User};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::protocol::Request;
use crate::spec::{Flags, KeyFlags, Mode, for_each_key};

/// `NOAUTH Authentication required.`
pub fn noauth() -> CmdError {
    CmdError::msg("NOAUTH Authentication required.")
}

/// The error for credentials the server does not accept.
pub fn wrongpass() -> CmdError {
    CmdError::msg("WRONGPASS invalid username-password pair or user is disabled.")
}

/// HELLO's refusal for a client that is not authenticated (Redis 7.0's text).
pub fn hello_noauth() -> CmdError {
    CmdError::msg(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    )
}

/// ```text
/// AUTH [username] password
/// ```
/// Authenticates the connection as `username` (`default` when omitted).
/// # Errors
/// `ERR AUTH <password> called without any password configured for the default
/// user. Are you sure your configuration is correct?` (one argument while the default
/// user needs no password), `WRONGPASS ...`, `ERR syntax error` (more than two).
pub fn auth(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (user, password): (&[u8], &[u8]) = match req.len() {
        2 if ctx.server.acl.default_user().nopass => {
            return Err(CmdError::msg(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        2 => (b"default", req.arg(1)),
        3 => (req.arg(1), req.arg(2)),
        _ => return Err(CmdError::Syntax),
    };
    authenticate(ctx, user, password)?;
    ctx.out.ok();
    Ok(())
}

/// Authenticates the calling client as `user` (Redis's `ACLAuthenticateUser`); a
/// failure is counted (INFO `acl_access_denied_auth`) and logged, rate-limited.
/// # Errors
/// `WRONGPASS invalid username-password pair or user is disabled.`
pub fn authenticate(ctx: &mut Ctx<'_>, user: &[u8], password: &[u8]) -> Result<(), CmdError> {
    match ctx.server.acl.authenticate(user, password) {
        Some(id) => {
            let client = ctx.client_mut();
            client.user = id;
            client.authenticated = true;
            Ok(())
        }
        None => {
            ctx.server.stats.acl_denied_auth += 1;
            log_denial(ctx, "auth", b"AUTH", Some(user));
            let addr = ctx.client().addr.clone();
            ctx.server.acl.note_failed_auth(user, &addr);
            Err(wrongpass())
        }
    }
}

/// Checks that the calling client may run `req` (command `spec` at `index` of the
/// command table): authenticated unless the command is flagged `no_auth`, then
/// allowed by its user's rules ([`permission`]). Dispatch calls it only while
/// [`crate::acl::Acl::checks`] is true.
/// # Errors
/// `NOAUTH Authentication required.`, `NOPERM this user has no permissions to run
/// the '<cmd>' command`, `NOPERM this user has no permissions to access one of the
/// keys used as arguments`, and the same for channels.
pub fn check(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
) -> Result<(), CmdError> {
    let client = &ctx.server.clients[ctx.me];
    let acl = &ctx.server.acl;
    if acl.auth_required(client.authenticated) && !spec.flags.contains(Flags::NO_AUTH) {
        return Err(noauth());
    }
    let Some(user) = acl.user(client.user) else {
        // Its user was deleted: the client is being disconnected.
        return Err(noauth());
    };
    let Err(denied) = permission(user, index, spec, req) else {
        return Ok(());
    };
    denied.count(&mut ctx.server.stats);
    log_denied(ctx, denied, req);
    Err(match denied {
        Denied::Command(name) => CmdError::msg(format!(
            "NOPERM this user has no permissions to run the '{name}' command"
        )),
        Denied::Key(_) => CmdError::msg(
            "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        Denied::Channel(_) => CmdError::msg(
            "NOPERM this user has no permissions to access one of the channels used as arguments",
        ),
    })
}

/// The ACL check of a script's `redis.call` (Redis's `scriptVerifyACL`): the caller's
/// rules, with Redis's wording for scripts; counted as any ACL refusal.
pub fn check_from_script(
    ctx: &mut Ctx<'_>,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
) -> Result<(), CmdError> {
    let Some(user) = ctx.server.acl.user(ctx.server.clients[ctx.me].user) else {
        return Err(noauth());
    };
    let Err(denied) = permission(user, index, spec, req) else {
        return Ok(());
    };
    denied.count(&mut ctx.server.stats);
    log_denied(ctx, denied, req);
    let reason = match denied {
        Denied::Command(_) => "can't run this command or subcommand",
        Denied::Key(_) => {
            "can't access at least one of the keys mentioned in the command arguments"
        }
        Denied::Channel(_) => "can't publish to the channel mentioned in the command",
    };
    Err(CmdError::msg(format!(
        "ERR The user executing the script {reason}"
    )))
}

/// Logs a refused command in ACL LOG (reason command, key or channel).
fn log_denied(ctx: &mut Ctx<'_>, denied: Denied, req: &Request<'_>) {
    let (reason, object): (&'static str, Vec<u8>) = match denied {
        Denied::Command(name) => ("command", name.as_bytes().to_vec()),
        Denied::Key(i) => ("key", req.arg(i).to_vec()),
        Denied::Channel(i) => ("channel", req.arg(i).to_vec()),
    };
    log_denial(ctx, reason, &object, None);
}

/// Adds an ACL LOG entry for the calling client; `user` overrides the client's user
/// (an AUTH naming another).
pub fn log_denial(ctx: &mut Ctx<'_>, reason: &'static str, object: &[u8], user: Option<&[u8]>) {
    let client = ctx.client();
    let context = if client.in_script {
        "lua"
    } else if client.multi.is_some() {
        "multi"
    } else {
        "toplevel"
    };
    let username = match user {
        Some(u) => u.to_vec(),
        None => ctx
            .server
            .acl
            .user(client.user)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
    };
    let user_name = username.clone();
    let info = super::client::client_line(ctx.me, client, &user_name, ctx.now);
    let max_len = ctx.server.config.observe.acllog_max_len;
    ctx.server.observe.acl_log.add(
        crate::runtime::observe::acl_log::Entry {
            count: 1,
            reason,
            context,
            object: object.to_vec(),
            username,
            updated_ms: ctx.now,
            client_info: info,
        },
        max_len,
    );
}

/// What a permission check refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The command (its full name, `config|set` for a subcommand).
    Command(&'static str),
    /// The key at this argument position.
    Key(usize),
    /// The channel at this argument position.
    Channel(usize),
}

impl Denied {
    /// Counts the refusal in INFO's `acl_access_denied_*`.
    pub fn count(self, stats: &mut crate::runtime::ServerStats) {
        match self {
            Denied::Command(_) => stats.acl_denied_cmd += 1,
            Denied::Key(_) => stats.acl_denied_key += 1,
            Denied::Channel(_) => stats.acl_denied_channel += 1,
        }
    }

    /// True when this refusal is the one to report rather than `other`, when every
    /// selector refused (Redis's `ACLCheckAllUserCommandPerm`): a channel before a key
    /// before the command, and between two keys or channels the later argument.
    fn outranks(self, other: Denied) -> bool {
        let rank = |d: Denied| match d {
            Denied::Command(_) => (0, 0),
            Denied::Key(i) => (1, i),
            Denied::Channel(i) => (2, i),
        };
        rank(self) > rank(other)
    }
}

/// One request as the ACL checks see it: the command or subcommand run, its first
/// argument (for `+cmd|arg` rules), and where its keys are.
struct Checked<'a, 'r> {
    req: &'a Request<'r>,
    /// The command's id in the ACL registry (a subcommand's own id).
    id: usize,
    /// Its full name, for the refusal.
    name: &'static str,
    /// Its flags, with `no_auth` when its container has it.
    flags: Flags,
    /// The argument `+cmd|arg` rules compare with.
    first_arg: Option<&'a [u8]>,
    /// The entry whose key specs apply (a subcommand's).
    target: &'a CommandSpec,
    /// The top-level command's name (channels are found by it).
    top: &'static str,
}

impl<'a, 'r> Checked<'a, 'r> {
    fn new(index: usize, spec: &'a CommandSpec, req: &'a Request<'r>) -> Self {
        let reg = crate::commands::table::acl_registry();
        let mut id = index;
        let mut first_arg = 1;
        if !reg.entries[index].subs.is_empty()
            && req.len() >= 2
            && let Some(sub) = reg.sub_of(index, req.arg(1))
        {
            id = sub;
            first_arg = 2;
        }
        let entry = &reg.entries[id];
        let no_auth = if spec.flags.contains(Flags::NO_AUTH) {
            Flags::NO_AUTH
        } else {
            Flags::EMPTY
        };
        Checked {
            req,
            id,
            name: entry.name,
            flags: entry.flags | no_auth,
            first_arg: (first_arg < req.len()).then(|| req.arg(first_arg)),
            target: spec.resolve(req),
            top: spec.name,
        }
    }

    /// Whether `sel` allows the request (Redis's `ACLSelectorCheckCmd`): the command,
    /// then each key with the access its key spec says, then each channel.
    fn by(&self, sel: &Selector) -> Result<(), Denied> {
        if !sel.can_run(self.id, self.flags, self.first_arg) {
            return Err(Denied::Command(self.name));
        }
        if !sel.allkeys && self.target.has_keys() {
            let req = self.req;
            let mut refused = None;
            for_each_key(self.target, req, Mode::Strict, |i, flags| {
                let ok = sel.can_access_key(req.arg(i), flags);
                if !ok {
                    refused = Some(i);
                }
                ok
            });
            if let Some(i) = refused {
                return Err(Denied::Key(i));
            }
        }
        if !sel.allchannels
            && let Some((args, pattern)) = channel_args(self.top, self.req.len())
        {
            for i in args {
                if !sel.can_access_channel(self.req.arg(i), pattern) {
                    return Err(Denied::Channel(i));
                }
            }
        }
        Ok(())
    }
}

/// Whether `user` may run `req`, a request for `spec` at `index` of the command table
/// whose arity was checked (Redis's `ACLCheckAllUserCommandPerm`): allowed when one of
/// its selectors allows the command and all of its keys and channels. A user without
/// selectors (the usual case) is checked against its root rules alone.
pub fn permission(
    user: &User,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
) -> Result<(), Denied> {
    if user.unrestricted() {
        return Ok(());
    }
    let checked = Checked::new(index, spec, req);
    let Err(mut worst) = checked.by(&user.root) else {
        return Ok(());
    };
    for sel in &user.selectors {
        match checked.by(sel) {
            Ok(()) => return Ok(()),
            Err(d) if d.outranks(worst) => worst = d,
            Err(_) => {}
        }
    }
    Err(worst)
}

/// True when `user` may run `req` (command `spec` at `index`) and use every key with
/// `flags` access through one selector (Redis's
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess`; SORT's BY and GET need it).
pub fn full_key_access(
    user: &User,
    index: usize,
    spec: &CommandSpec,
    req: &Request<'_>,
    flags: KeyFlags,
) -> bool {
    let checked = Checked::new(index, spec, req);
    user.all_selectors()
        .any(|sel| checked.by(sel).is_ok() && sel.can_access_all_keys(flags))
}

/// Disconnects the clients authenticated as one of `users` (deleted or replaced by
/// ACL DELUSER / ACL LOAD): they fall back to the unauthenticated default user at
/// once, and are closed at the end of this turn (the caller after its reply).
pub fn disconnect_users(ctx: &mut Ctx<'_>, users: &[crate::acl::UserId]) {
    let me = ctx.me;
    let server = &mut *ctx.server;
    for (token, c) in server.clients.iter_mut() {
        if c.user == crate::acl::DEFAULT_USER || !users.contains(&c.user) {
            continue;
        }
        c.user = crate::acl::DEFAULT_USER;
        c.authenticated = false;
        c.close_after_reply = true;
        if token != me {
            server.killed.push(token);
        }
    }
}

/// Disconnects the clients of `user` subscribed to a channel, pattern or shard
/// channel that `channels` (the union of its selectors' patterns after ACL SETUSER)
/// no longer allows: a channel must match a pattern, a pattern must be one of them
/// (Redis's `ACLKillPubsubClientsIfNeeded`). Closed as [`disconnect_users`] does.
pub fn disconnect_revoked_subscribers(
    ctx: &mut Ctx<'_>,
    user: crate::acl::UserId,
    channels: &[Vec<u8>],
) {
    use crate::runtime::pubsub::Space;
    let me = ctx.me;
    let server = &mut *ctx.server;
    for (token, c) in server.clients.iter_mut() {
        if c.user != user {
            continue;
        }
        let Some(subs) = c.pubsub.as_deref() else {
            continue;
        };
        let revoked = Space::ALL.iter().any(|&space| {
            let pattern = space == Space::Pattern;
            subs.set(space).keys().any(|name| {
                !channels.iter().any(|p| {
                    if pattern {
                        p.as_slice() == name.as_ref()
                    } else {
                        glob_match(p, name, false)
                    }
                })
            })
        });
        if revoked {
            c.close_after_reply = true;
            if token != me {
                server.killed.push(token);
            }
        }
    }
}

/// Puts the calling client back to the `default` user, authenticated only when that
/// user needs no password (Redis's `clientSetDefaultAuth`, for RESET).
pub fn reset_auth(ctx: &mut Ctx<'_>) {
    let open = ctx.server.acl.new_client_authenticated();
    let client = ctx.client_mut();
    client.user = crate::acl::DEFAULT_USER;
    client.authenticated = open;
}
