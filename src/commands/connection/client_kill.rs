//! CLIENT KILL: its old (`ip:port`) and new (filters) forms.

use super::client::client_type;
use crate::commands::ClientInfo;
use crate::commands::Ctx;
use crate::commands::args::{is, text};
use crate::error::CmdError;
use crate::protocol::Request;

/// Which clients CLIENT KILL closes.
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    id: Option<u64>,
    /// USER: clients authenticated as this ACL user.
    user: Option<crate::acl::UserId>,
    /// The TYPE filter.
    type_matches: fn(&ClientInfo) -> bool,
    skipme: bool,
}

impl KillFilter<'_> {
    fn parse<'a>(req: &Request<'a>, acl: &crate::acl::Acl) -> Result<KillFilter<'a>, CmdError> {
        let mut f = KillFilter {
            addr: None,
            laddr: None,
            id: None,
            user: None,
            type_matches: |_| true,
            skipme: true,
        };
        if req.len() == 3 {
            // Old form: CLIENT KILL addr, which may kill the caller too.
            f.addr = Some(req.arg(2));
            f.skipme = false;
            return Ok(f);
        }
        let mut i = 2;
        while i < req.len() {
            if i + 1 >= req.len() {
                return Err(CmdError::Syntax);
            }
            let (opt, value) = (req.arg(i), req.arg(i + 1));
            if is(opt, "id") {
                let id = crate::commands::args::parse_i64(value)
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| CmdError::msg("ERR client-id should be greater than 0"))?;
                f.id = Some(id as u64);
            } else if is(opt, "type") {
                f.type_matches = client_type(value)?;
            } else if is(opt, "addr") {
                f.addr = Some(value);
            } else if is(opt, "laddr") {
                f.laddr = Some(value);
            } else if is(opt, "user") {
                let id = acl.lookup(value);
                f.user =
                    Some(id.ok_or_else(|| {
                        CmdError::msg(format!("ERR No such user '{}'", text(value)))
                    })?);
            } else if is(opt, "skipme") {
                f.skipme = if is(value, "yes") {
                    true
                } else if is(value, "no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                };
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(f)
    }

    fn matches(&self, token: usize, me: usize, c: &ClientInfo) -> bool {
        (self.type_matches)(c)
            && self.addr.is_none_or(|a| a == c.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == c.laddr.as_bytes())
            && self.id.is_none_or(|id| id == c.id)
            && self.user.is_none_or(|u| u == c.user)
            && !(self.skipme && token == me)
    }
}

/// ```text
/// CLIENT KILL ip:port
/// CLIENT KILL [ID id] [TYPE type] [ADDR ip:port] [LADDR ip:port] [USER name] [SKIPME yes|no] ...
/// ```
/// Other clients are closed at the end of this event-loop turn without their pending
/// replies; the caller, if it matches, is closed after this reply. The old form
/// replies `+OK`, the new form the number of clients killed.
/// # Errors
/// `ERR No such client` (old form), `ERR client-id should be greater than 0`,
/// `ERR Unknown client type '...'`, `ERR No such user '...'`, `ERR syntax error`.
pub fn client_kill(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let filter = KillFilter::parse(req, &ctx.server.acl)?;
    let me = ctx.me;
    let victims: Vec<usize> = ctx
        .server
        .clients
        .iter()
        .filter(|&(token, c)| filter.matches(token, me, c))
        .map(|(token, _)| token)
        .collect();
    if req.len() == 3 && victims.is_empty() {
        return Err(CmdError::msg("ERR No such client"));
    }
    if req.len() == 3 {
        ctx.out.ok();
    } else {
        ctx.out.int(victims.len() as i64);
    }
    for &token in &victims {
        ctx.server.clients[token].close_after_reply = true;
        if token != me {
            ctx.server.killed.push(token);
        }
    }
    Ok(())
}
