//! The DEBUG subcommands client test suites and Redis's own tests use, beyond SLEEP
//! and RELOAD (admin.rs): ERROR, LOG, POPULATE, PROTOCOL, OBJECT, CHANGE-REPL-ID,
//! SET-ACTIVE-EXPIRE, QUICKLIST-PACKED-THRESHOLD, STRINGMATCH-LEN, LISTPACK.

use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64, text};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::store::{Event, Value, class};

/// Most keys one DEBUG POPULATE creates: a debugging aid, not a bulk loader.
const MAX_POPULATE: i64 = 100_000_000;
/// Largest value DEBUG POPULATE makes (Redis's default proto-max-bulk-len).
const MAX_POPULATE_VALUE: i64 = 512 * 1024 * 1024;

const POPULATED: Event = Event::new(class::STRING, "set");

/// Runs `DEBUG <sub> ...` when `sub` is one of this file's; `None` otherwise.
pub fn run(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Option<Result<(), CmdError>> {
    let sub = req.arg(1);
    let n = req.len();
    Some(if is(sub, "error") && n == 3 {
        // The argument is the whole error, code included (Redis's addReplyErrorSds).
        Err(CmdError::msg(text(req.arg(2))))
    } else if is(sub, "log") && n == 3 {
        log::warn!("DEBUG LOG: {}", text(req.arg(2)));
        ctx.out.ok();
        Ok(())
    } else if is(sub, "populate") && (3..=5).contains(&n) {
        populate(ctx, req)
    } else if is(sub, "protocol") && n == 3 {
        protocol(ctx, req)
    } else if is(sub, "object") && n == 3 {
        object(ctx, req)
    } else if is(sub, "set-active-expire") && n == 3 {
        // Redis's atoi: anything but a non-zero number turns it off.
        let on = parse_i64(req.arg(2)).is_ok_and(|v| v != 0);
        ctx.store.set_active_expire(on);
        ctx.out.ok();
        Ok(())
    } else if (is(sub, "change-repl-id") && n == 2)
        || (is(sub, "quicklist-packed-threshold") && n == 3)
        || (is(sub, "stringmatch-len") && n >= 2)
        || (is(sub, "listpack") && n == 3)
        || (is(sub, "set-skip-checksum-validation") && n == 3)
    {
        // Accepted: rudis has no replication id to change, and no quicklist/listpack
        // internals to tune or dump.
        ctx.out.ok();
        Ok(())
    } else {
        return None;
    })
}

/// ```text
/// DEBUG POPULATE count [prefix] [size]
/// ```
/// Creates `prefix:N` (default `key:N`) = `value:N` (cut or zero-padded to `size`)
/// for N below `count`, skipping keys that exist.
fn populate(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let positive = |arg: &[u8]| -> Result<i64, CmdError> {
        match parse_i64(arg) {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(CmdError::msg("ERR value is out of range, must be positive")),
        }
    };
    let count = positive(req.arg(2))?.min(MAX_POPULATE);
    let prefix = if req.len() >= 4 {
        req.arg(3).to_vec()
    } else {
        b"key".to_vec()
    };
    let size = if req.len() == 5 {
        positive(req.arg(4))?.min(MAX_POPULATE_VALUE) as usize
    } else {
        0
    };
    for j in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if ctx.read_key(&key).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if size != 0 {
            value.resize(size, 0);
        }
        ctx.insert_key(&key, Value::from_bytes(&value), 0)
            .changed(POPULATED);
    }
    ctx.out.ok();
    Ok(())
}

/// ```text
/// DEBUG PROTOCOL type
/// ```
/// A reply of the named RESP type (Redis's test of client libraries).
fn protocol(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let name = req.arg(2);
    let out = &mut ctx.out;
    if is(name, "string") {
        out.bulk(b"Hello World");
    } else if is(name, "integer") {
        out.int(12345);
    } else if is(name, "double") {
        // Redis's own sample value (not π).
        #[allow(clippy::approx_constant)]
        out.double(3.141);
    } else if is(name, "bignum") {
        if out.is_resp3() {
            out.raw(b"(1234567999999999999999999999999999999\r\n");
        } else {
            out.bulk(b"1234567999999999999999999999999999999");
        }
    } else if is(name, "null") {
        out.null();
    } else if is(name, "array") {
        out.array_len(3);
        for i in 0..3 {
            out.int(i);
        }
    } else if is(name, "set") {
        out.set_len(3);
        for i in 0..3 {
            out.int(i);
        }
    } else if is(name, "map") {
        out.map_len(3);
        for i in 0..3 {
            out.int(i);
            out.bool(i == 1);
        }
    } else if is(name, "attrib") {
        if out.is_resp3() {
            out.raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
        }
        out.bulk(b"Some real reply following the attribute");
    } else if is(name, "push") {
        if !out.is_resp3() {
            return Err(CmdError::msg("ERR RESP2 is not supported by this command"));
        }
        out.push_len(2);
        out.bulk(b"server-cpu-usage");
        out.int(42);
        out.bulk(b"Some real reply following the push reply");
    } else if is(name, "true") {
        out.bool(true);
    } else if is(name, "false") {
        out.bool(false);
    } else if is(name, "verbatim") {
        out.verbatim(b"This is a verbatim\nstring");
    } else {
        return Err(CmdError::msg(
            "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ));
    }
    Ok(())
}

/// ```text
/// DEBUG OBJECT key
/// ```
/// Redis's one-line description of the value (`Value at:... refcount:1 encoding:...`).
/// # Errors
/// `ERR no such key`.
fn object(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let Some(k) = ctx.read_key(req.arg(2)) else {
        return Err(CmdError::msg("ERR no such key"));
    };
    let encoding = k.value().encoding();
    let addr = k.value() as *const Value as usize;
    let line = format!(
        "Value at:0x{addr:x} refcount:1 encoding:{encoding} serializedlength:0 lru:0 lru_seconds_idle:0"
    );
    ctx.out.simple(line.as_bytes());
    Ok(())
}
