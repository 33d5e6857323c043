//! DUMP and RESTORE: a value in Redis's serialized form (RDB value encoding, RDB
//! version, CRC-64; see [`crate::persistence::rdb`]), so values move between rudis
//! and Redis in both directions.

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::persistence::rdb::{self, RestoreError};
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::{Event, class};
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "dump",
        2,
        flags!(READONLY),
        Group::Generic,
        "Returns a serialized representation of the value stored at a key.",
        dump,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "restore",
        -4,
        flags!(WRITE | DENYOOM),
        Group::Generic,
        "Creates a key from the serialized representation of a value.",
        restore,
    )
    .acl(cats!(KEYSPACE | DANGEROUS))
    .keys(&[KeySpec::at(kf!(OW | UPDATE), 1)]),
    CommandSpec::new(
        "restore-asking",
        -4,
        flags!(WRITE | DENYOOM | ASKING),
        Group::Server,
        "An internal command for migrating keys in a cluster.",
        restore,
    )
    .acl(cats!(KEYSPACE | DANGEROUS))
    .keys(&[KeySpec::at(kf!(OW | UPDATE), 1)]),
];

/// The event of a restored key.
const RESTORE: Event = Event::new(class::GENERIC, "restore");

/// ```text
/// DUMP key
/// ```
/// The value's serialized form (a bulk string), or null when the key is missing.
/// A document is serialized as its RESP bytes in a string.
fn dump(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let payload = ctx
        .read_key(req.arg(1))
        .map(|k| rdb::dump_payload(k.value()));
    match payload {
        Some(payload) => ctx.out.bulk(&payload),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ```text
/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
/// ```
/// Creates `key` from a DUMP payload, with a TTL in milliseconds (0 = none; an
/// absolute Unix time in ms with ABSTTL). A TTL already past creates nothing (with
/// REPLACE, the old key is deleted). IDLETIME sets the key's last access that many
/// seconds ago under an LRU policy, FREQ its access counter under an LFU one (each is
/// ignored under the other kind, as Redis does).
/// # Errors
/// `BUSYKEY Target key name already exists.` (without REPLACE),
/// `ERR Invalid TTL value, must be >= 0`, `ERR DUMP payload version or checksum are
/// wrong`, `ERR Bad data format`, `ERR Invalid IDLETIME value, must be >= 0`,
/// `ERR Invalid FREQ value, must be >= 0 and <= 255`, `ERR syntax error`.
fn restore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let key = req.arg(1);
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq) = (None, None);
    let mut i = 4;
    while i < req.len() {
        let more = i + 1 < req.len();
        let arg = req.arg(i);
        if is(arg, "replace") {
            replace = true;
        } else if is(arg, "absttl") {
            absttl = true;
        } else if is(arg, "idletime") && more && freq.is_none() {
            let n = parse_i64(req.arg(i + 1))?;
            if n < 0 {
                return Err(CmdError::msg("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(n);
            i += 1;
        } else if is(arg, "freq") && more && idle.is_none() {
            let n = parse_i64(req.arg(i + 1))?;
            if !(0..=255).contains(&n) {
                return Err(CmdError::msg(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            freq = Some(n);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if !replace && ctx.write_key(key).is_some() {
        return Err(CmdError::msg("BUSYKEY Target key name already exists."));
    }
    let ttl = parse_i64(req.arg(2))?;
    if ttl < 0 {
        return Err(CmdError::msg("ERR Invalid TTL value, must be >= 0"));
    }
    let value = match rdb::restore_payload(req.arg(3), &ctx.server.config.encodings) {
        Ok(value) => value,
        Err(RestoreError::VersionOrChecksum) => {
            return Err(CmdError::msg(
                "ERR DUMP payload version or checksum are wrong",
            ));
        }
        Err(RestoreError::BadFormat(_)) => return Err(CmdError::msg("ERR Bad data format")),
    };
    let expire_at = match ttl {
        0 => 0,
        ttl if absttl => ttl,
        ttl => ttl.saturating_add(ctx.now),
    };
    if expire_at != 0 && expire_at <= ctx.now {
        // Already expired: nothing is created; REPLACE still deletes the old key.
        if replace && let Some(k) = ctx.write_key(key) {
            k.remove(Event::DEL);
        }
        ctx.out.ok();
        return Ok(());
    }
    ctx.insert_key(key, value, expire_at).changed(RESTORE);
    let (db, now) = (ctx.db(), ctx.now);
    let idle = idle.map(|n| n.unsigned_abs());
    let freq = freq.map(|n| n.clamp(0, 255) as u32);
    ctx.store.set_access_of(db, key, idle, freq, now);
    ctx.out.ok();
    Ok(())
}
