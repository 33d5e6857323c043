//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching
//! ([`crate::runtime::tracking`]).

use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::runtime::tracking::{self, ClientTracking, MAX_PREFIXES};

/// ```text
/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
/// ```
/// # Errors
/// Redis's texts: unknown redirect id, two redirects, PREFIX without BCAST, switching
/// BCAST or OPTIN/OPTOUT while on, OPTIN with OPTOUT or BCAST, overlapping prefixes.
pub fn client_tracking(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut mode = ClientTracking::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut j = 3;
    while j < req.len() {
        let arg = req.arg(j);
        let more = j + 1 < req.len();
        if is(arg, "redirect") && more {
            j += 1;
            if mode.redirect != 0 {
                return Err(CmdError::msg(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = parse_i64(req.arg(j))?;
            if !ctx.server.clients.iter().any(|(_, c)| c.id as i64 == id) {
                return Err(CmdError::msg(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            mode.redirect = id as u64;
        } else if is(arg, "bcast") {
            mode.bcast = true;
        } else if is(arg, "optin") {
            mode.optin = true;
        } else if is(arg, "optout") {
            mode.optout = true;
        } else if is(arg, "noloop") {
            mode.noloop = true;
        } else if is(arg, "prefix") && more {
            j += 1;
            if prefixes.len() == MAX_PREFIXES {
                return Err(CmdError::msg("ERR too many prefixes"));
            }
            prefixes.push(req.arg(j));
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let me = ctx.me;
    if is(req.arg(2), "on") {
        let current = ctx.client().tracking.as_deref().cloned();
        if !mode.bcast && !prefixes.is_empty() {
            return Err(CmdError::msg(
                "ERR PREFIX option requires BCAST mode to be enabled",
            ));
        }
        if let Some(cur) = &current
            && cur.bcast != mode.bcast
        {
            return Err(CmdError::msg(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
            ));
        }
        if mode.bcast && (mode.optin || mode.optout) {
            return Err(CmdError::msg(
                "ERR OPTIN and OPTOUT are not compatible with BCAST",
            ));
        }
        if mode.optin && mode.optout {
            return Err(CmdError::msg(
                "ERR You can't specify both OPTIN mode and OPTOUT mode",
            ));
        }
        if let Some(cur) = &current
            && ((mode.optin && cur.optout) || (mode.optout && cur.optin))
        {
            return Err(CmdError::msg(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
            ));
        }
        if mode.bcast {
            let existing = current.map(|c| c.prefixes).unwrap_or_default();
            tracking::check_prefixes(&existing, &prefixes).map_err(CmdError::msg)?;
        }
        tracking::enable(ctx.server, me, mode, &prefixes);
    } else if is(req.arg(2), "off") {
        tracking::disable(ctx.server, me);
    } else {
        return Err(CmdError::Syntax);
    }
    crate::runtime::notify::sync_events(ctx.server, ctx.store);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT CACHING YES|NO
/// ```
/// Whether the keys of the next command are remembered (OPTIN: YES; OPTOUT: NO).
pub fn client_caching(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(mode) = ctx.client_mut().tracking.as_mut() else {
        return Err(CmdError::msg(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
        ));
    };
    let opt = req.arg(2);
    if is(opt, "yes") {
        if !mode.optin {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(opt, "no") {
        if !mode.optout {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    mode.caching = true;
    ctx.out.ok();
    Ok(())
}

/// ```text
/// CLIENT GETREDIR
/// ```
/// The redirect client id, 0 without one, -1 when tracking is off.
pub fn client_getredir(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let redir = ctx
        .client()
        .tracking
        .as_ref()
        .map_or(-1, |m| m.redirect as i64);
    ctx.out.int(redir);
    Ok(())
}

/// ```text
/// CLIENT TRACKINGINFO
/// ```
/// `{flags: [...], redirect: id, prefixes: [...]}`.
pub fn client_trackinginfo(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let mode = ctx.client().tracking.as_deref().cloned();
    let mut flags: Vec<&str> = vec![if mode.is_some() { "on" } else { "off" }];
    if let Some(m) = &mode {
        for (on, name) in [
            (m.bcast, "bcast"),
            (m.optin, "optin"),
            (m.optin && m.caching, "caching-yes"),
            (m.optout, "optout"),
            (m.optout && m.caching, "caching-no"),
            (m.noloop, "noloop"),
            (m.broken_redirect, "broken_redirect"),
        ] {
            if on {
                flags.push(name);
            }
        }
    }
    ctx.out.map_len(3);
    ctx.out.bulk(b"flags");
    ctx.out.set_len(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"redirect");
    ctx.out.int(mode.as_ref().map_or(-1, |m| m.redirect as i64));
    ctx.out.bulk(b"prefixes");
    let prefixes = mode.map(|m| m.prefixes).unwrap_or_default();
    ctx.out.array_len(prefixes.len());
    for p in prefixes {
        ctx.out.bulk(&p);
    }
    Ok(())
}
