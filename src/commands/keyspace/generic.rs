//! Generic key commands: DEL UNLINK DELETE EXISTS TYPE TOUCH KEYS SCAN RANDOMKEY RENAME
//! RENAMENX OBJECT, and the database-wide FLUSHDB FLUSHALL FLUSH SWAPDB.
//! The TTL commands live in [`super::expire`].

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::commands::scan::ScanArgs;
use crate::commands::subcommand_arity;
use crate::commands::unknown_subcommand;
use crate::error::CmdError;
use crate::glob::glob_match;
use crate::protocol::Request;
use crate::spec::{Group, KeySpec};
use crate::store::{Event, Key, class};
use crate::{cats, flags, kf};

/// The event on the source of a RENAME.
const RENAME_FROM: Event = Event::new(class::GENERIC, "rename_from");
/// The event on the destination of a RENAME.
const RENAME_TO: Event = Event::new(class::GENERIC, "rename_to");

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
"del",
-2,
flags!(WRITE),
Group::Generic,
"Deletes one or more keys.",
del,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::range(kf!(RM | DELETE), 1, -1, 1)]),
    CommandSpec::new(
"unlink",
-2,
flags!(WRITE | FAST),
Group::Generic,
"Deletes one or more keys; the memory is reclaimed without blocking.",
del,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::range(kf!(RM | DELETE), 1, -1, 1)]),
    CommandSpec::new(
"delete",
-2,
flags!(WRITE),
Group::Generic,
"Deletes one or more keys (rudis's original name for DEL).",
del,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::range(kf!(RM | DELETE), 1, -1, 1)]),
    CommandSpec::new(
"exists",
-2,
flags!(READONLY | FAST),
Group::Generic,
"Determines whether one or more keys exist.",
exists,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::range(kf!(RO), 1, -1, 1)]),
    CommandSpec::new(
"touch",
-2,
flags!(READONLY | FAST),
Group::Generic,
"Returns the number of existing keys out of those specified after updating the time they were last accessed.",
exists,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::range(kf!(RO), 1, -1, 1)]),
    CommandSpec::new(
"type",
2,
flags!(READONLY | FAST),
Group::Generic,
"Determines the type of value stored at a key.",
type_cmd,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::at(kf!(RO), 1)]),
    CommandSpec::new(
"keys",
2,
flags!(READONLY),
Group::Generic,
"Returns all key names that match a pattern.",
keys,
)
.acl(cats!(KEYSPACE | DANGEROUS)),
    CommandSpec::new(
"scan",
-2,
flags!(READONLY),
Group::Generic,
"Iterates over the key names in the database.",
scan,
)
.acl(cats!(KEYSPACE)),
    CommandSpec::new(
"randomkey",
1,
flags!(READONLY),
Group::Generic,
"Returns a random key name from the database.",
randomkey,
)
.acl(cats!(KEYSPACE)),
    CommandSpec::new(
"rename",
3,
flags!(WRITE),
Group::Generic,
"Renames a key and overwrites the destination.",
rename,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(OW | UPDATE), 2)]),
    CommandSpec::new(
"renamenx",
3,
flags!(WRITE | FAST),
Group::Generic,
"Renames a key only when the target key name doesn't exist.",
renamenx,
)
.acl(cats!(KEYSPACE))
.keys(&[KeySpec::at(kf!(RW | ACCESS | DELETE), 1), KeySpec::at(kf!(OW | INSERT), 2)]),
    CommandSpec::new(
"object",
-2,
flags!(),
Group::Generic,
"A container for object introspection commands.",
object,
)
.subcommands(OBJECT_SUBCOMMANDS),
    CommandSpec::new(
"flushdb",
-1,
flags!(WRITE),
Group::Server,
"Removes all keys from the current database.",
flushdb,
)
.acl(cats!(KEYSPACE | DANGEROUS)),
    CommandSpec::new(
"flushall",
-1,
flags!(WRITE),
Group::Server,
"Removes all keys from all databases.",
flushall,
)
.acl(cats!(KEYSPACE | DANGEROUS)),
    CommandSpec::new(
"flush",
1,
flags!(WRITE),
Group::Server,
"Removes all keys from the current database and returns how many there were.",
flush,
),
    CommandSpec::new(
"swapdb",
3,
flags!(WRITE | FAST),
Group::Server,
"Swaps two databases.",
swapdb,
)
.acl(cats!(KEYSPACE | DANGEROUS)),
];

/// ```text
/// DEL key [key ...]
/// UNLINK key [key ...]
/// DELETE key [key ...]
/// ```
/// The number of keys removed (a key named twice counts once).
fn del(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut removed = 0;
    for key in req.args().skip(1) {
        let Some(k) = ctx.write_key(key) else {
            continue;
        };
        let entry = k.remove(Event::DEL);
        ctx.store.dispose(entry.value);
        removed += 1;
    }
    ctx.out.int(removed);
    Ok(())
}

/// ```text
/// EXISTS key [key ...]
/// TOUCH key [key ...]
/// ```
/// How many of the keys exist; a key named twice counts twice.
fn exists(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let mut found = 0;
    // EXISTS is no access (Redis's LOOKUP_NOTOUCH); TOUCH is one.
    ctx.store.set_touching(is(req.arg(0), "touch"));
    for key in req.args().skip(1) {
        if ctx.read_key(key).is_some() {
            found += 1;
        }
    }
    ctx.store.set_touching(true);
    ctx.out.int(found);
    Ok(())
}

/// ```text
/// TYPE key
/// ```
/// `none`, `string` or `document`, as a simple string.
fn type_cmd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    ctx.store.set_touching(false);
    let name = match ctx.read_key(req.arg(1)) {
        Some(k) => k.value().type_name(),
        None => "none",
    };
    ctx.store.set_touching(true);
    ctx.out.simple(name.as_bytes());
    Ok(())
}

/// ```text
/// KEYS pattern
/// ```
/// Every live key matching the glob `pattern`. Keys whose TTL has passed are left out
/// (and left for expiry to reclaim), as Redis's `keyIsExpired` check.
fn keys(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let pattern = req.arg(1);
    let all = pattern == b"*";
    let now = ctx.now;
    let db = ctx.db();
    let found: Vec<&Key> = ctx.store.dbs()[db]
        .iter()
        .filter(|&(k, _, at)| !(at != 0 && at <= now) && (all || glob_match(pattern, k, false)))
        .map(|(k, _, _)| k)
        .collect();
    ctx.out.array_len(found.len());
    for key in found {
        if ctx.out.over() {
            // Past the client's output limit: it is closing (Redis stops mid-run too).
            break;
        }
        ctx.out.bulk(key);
    }
    Ok(())
}

/// ```text
/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
/// ```
/// One step of an iteration: `[next-cursor, [key ...]]`; cursor 0 starts and ends it.
/// Every key present for the whole iteration is returned at least once. MATCH and TYPE
/// filter after the step, so a step may return fewer than COUNT keys, even none.
fn scan(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let ScanArgs {
        cursor,
        count,
        pattern,
        type_name,
    } = ScanArgs::parse(req, 1, true)?;
    let now = ctx.now;
    let db = ctx.db();
    let mut found: Vec<Key> = Vec::new();
    let mut expired: Vec<Key> = Vec::new();
    let next = ctx.store.dbs()[db].scan(cursor, count, |key, value, at| {
        if pattern.is_some_and(|p| !glob_match(p, key, false)) {
            return;
        }
        if type_name.is_some_and(|t| !t.eq_ignore_ascii_case(value.type_name().as_bytes())) {
            return;
        }
        if at != 0 && at <= now {
            expired.push(key.clone());
        } else {
            found.push(key.clone());
        }
    });
    // Reclaim the dead keys met on the way, as Redis's SCAN does; removal only moves
    // the last entry down, which keeps the cursor's guarantee.
    for key in &expired {
        // A write lookup expires the key; there is nothing else to do with it.
        drop(ctx.write_key(key));
    }
    ctx.out.array_len(2);
    ctx.out.bulk(itoa::Buffer::new().format(next).as_bytes());
    ctx.out.array_len(found.len());
    for key in &found {
        ctx.out.bulk(key);
    }
    Ok(())
}

/// ```text
/// RANDOMKEY
/// ```
/// A random live key, or null when the database is empty.
fn randomkey(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let db = ctx.db();
    match ctx.store.random_key(db, ctx.now) {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
    Ok(())
}

/// ```text
/// RENAME key newkey
/// ```
/// `+OK`; the value keeps its TTL; `ERR no such key` when `key` is missing.
fn rename(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    rename_generic(ctx, req, false)
}

/// ```text
/// RENAMENX key newkey
/// ```
/// 1 when renamed, 0 when `newkey` exists; `ERR no such key` when `key` is missing.
fn renamenx(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    rename_generic(ctx, req, true)
}

/// RENAME and RENAMENX (Redis's `renameGenericCommand`).
fn rename_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, nx: bool) -> Result<(), CmdError> {
    let (src, dst) = (req.arg(1), req.arg(2));
    if ctx.write_key(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    if src == dst {
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    // Each handle is finished before the next is taken: looking `dst` up may expire
    // it, so `src` is found again by key.
    if nx && ctx.write_key(dst).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let entry = ctx.write_key(src).ok_or(CmdError::NoSuchKey)?.take();
    // The move is recorded below, naming both keys (one change).
    ctx.insert_key(dst, entry.value, entry.expire_at)
        .unchanged();
    let db = ctx.db();
    ctx.store
        .record_write(db, Key::from_slice(src), RENAME_FROM, 1);
    ctx.store
        .record_write(db, Key::from_slice(dst), RENAME_TO, 0);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

/// OBJECT HELP's lines after the header (HELP's own lines are appended).
const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

/// OBJECT IDLETIME's error under an LFU policy (the clocks hold counters).
const NO_LRU: &str = "ERR An LRU maxmemory policy is not selected, access time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// OBJECT FREQ's error unless the policy is LFU (the clocks hold access times).
const NO_LFU: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// ```text
/// OBJECT ENCODING key
/// OBJECT REFCOUNT key
/// OBJECT HELP
/// ```
/// ENCODING: `int`, `embstr`, `raw`, `document`, `quicklist`, `listpack`, `intset`,
/// `hashtable` or `skiplist`, or null for a missing key.
/// REFCOUNT: 1 (values are never shared), or null.
/// IDLETIME: seconds since the last access (the error under an LFU policy).
/// FREQ: the logarithmic access counter (the error unless the policy is LFU).
/// None of them counts as an access.
fn object(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let sub = req.arg(1);
    if is(sub, "help") {
        if req.len() != 2 {
            return Err(subcommand_arity("object", sub));
        }
        ctx.out.array_len(OBJECT_HELP.len() + 3);
        ctx.out
            .simple(b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        for line in OBJECT_HELP {
            ctx.out.simple(line.as_bytes());
        }
        ctx.out.simple(b"HELP");
        ctx.out.simple(b"    Prints this help.");
        return Ok(());
    }
    let known = ["encoding", "refcount", "idletime", "freq"];
    if !known.iter().any(|name| is(sub, name)) {
        return Err(unknown_subcommand("object", sub));
    }
    if req.len() != 3 {
        return Err(subcommand_arity("object", sub));
    }
    let key = req.arg(2);
    ctx.store.set_touching(false);
    let encoding = ctx.read_key(key).map(|k| k.value().encoding());
    ctx.store.set_touching(true);
    let (db, now) = (ctx.db(), ctx.now);
    let lfu = ctx.store.access().policy.is_lfu();
    match encoding {
        None => ctx.out.null(),
        Some(name) if is(sub, "encoding") => ctx.out.bulk(name.as_bytes()),
        Some(_) if is(sub, "freq") => {
            if !lfu {
                return Err(CmdError::msg(NO_LFU));
            }
            let freq = ctx.store.frequency(db, key, now).unwrap_or(0);
            ctx.out.int(i64::from(freq));
        }
        Some(_) if is(sub, "idletime") => {
            if lfu {
                return Err(CmdError::msg(NO_LRU));
            }
            let idle = ctx.store.idle_ms(db, key, now).unwrap_or(0);
            ctx.out.int((idle / 1000) as i64);
        }
        Some(_) => ctx.out.int(1),
    }
    Ok(())
}

/// FLUSHDB and FLUSHALL's optional argument: `ASYNC` or `SYNC`, nothing else. Both
/// free in slices from the cron (the keys are gone at once), so the two behave the same.
fn check_flush_mode(req: &Request<'_>) -> Result<(), CmdError> {
    match req.len() {
        1 => Ok(()),
        2 if is(req.arg(1), "async") || is(req.arg(1), "sync") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

/// ```text
/// FLUSHDB [ASYNC | SYNC]
/// ```
fn flushdb(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    check_flush_mode(req)?;
    let db = ctx.db();
    crate::runtime::watch::touch_db(ctx.store, ctx.server, db, None, ctx.now);
    ctx.store.flush_db(db);
    // Blocked XREADGROUP clients learn that their stream is gone.
    ctx.server.blocking.signal_db(db);
    crate::runtime::tracking::flush(ctx.server);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// FLUSHALL [ASYNC | SYNC]
/// ```
fn flushall(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    check_flush_mode(req)?;
    for db in 0..ctx.store.db_count() {
        crate::runtime::watch::touch_db(ctx.store, ctx.server, db, None, ctx.now);
    }
    ctx.store.flush_all();
    for db in 0..ctx.store.db_count() {
        ctx.server.blocking.signal_db(db);
    }
    crate::runtime::tracking::flush(ctx.server);
    crate::commands::server::persistence::after_flushall(ctx);
    ctx.out.ok();
    Ok(())
}

/// ```text
/// FLUSH
/// ```
/// Empties the current database (rudis's original command); the number of keys it
/// held, counted as DBSIZE counts them.
fn flush(ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    let db = ctx.db();
    crate::runtime::watch::touch_db(ctx.store, ctx.server, db, None, ctx.now);
    let removed = ctx.store.flush_db(db);
    crate::runtime::tracking::flush(ctx.server);
    ctx.out.int(removed as i64);
    Ok(())
}

/// A SWAPDB argument: an integer that fits C's `int`, else the error `msg`.
fn int_arg(arg: &[u8], msg: &'static str) -> Result<i64, CmdError> {
    parse_i64(arg)
        .ok()
        .filter(|n| i32::try_from(*n).is_ok())
        .ok_or(CmdError::msg(msg))
}

/// A database index below `databases`, else `ERR DB index is out of range`.
fn in_range(n: i64, databases: usize) -> Result<usize, CmdError> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n < databases)
        .ok_or(CmdError::DbIndex)
}

/// ```text
/// SWAPDB index1 index2
/// ```
/// Swaps two databases: clients of one now see the other's keys.
fn swapdb(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let dbs = ctx.store.db_count();
    let first = int_arg(req.arg(1), "ERR invalid first DB index")?;
    let second = int_arg(req.arg(2), "ERR invalid second DB index")?;
    let first = in_range(first, dbs)?;
    let second = in_range(second, dbs)?;
    if first != second {
        crate::runtime::watch::touch_db(ctx.store, ctx.server, first, Some(second), ctx.now);
        crate::runtime::watch::touch_db(ctx.store, ctx.server, second, Some(first), ctx.now);
    }
    ctx.store.swap_dbs(first, second);
    ctx.server.blocking.signal_db(first);
    ctx.server.blocking.signal_db(second);
    ctx.out.ok();
    Ok(())
}

/// OBJECT's subcommands (one handler, [`object`], serves them all).
pub const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "object|idletime",
        3,
        flags!(READONLY),
        Group::Generic,
        "Get the time since a Redis object was last accessed",
        object,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO), 2)]),
    CommandSpec::new(
        "object|help",
        2,
        flags!(LOADING | STALE),
        Group::Generic,
        "Show helpful text about the different subcommands",
        object,
    )
    .acl(cats!(KEYSPACE)),
    CommandSpec::new(
        "object|freq",
        3,
        flags!(READONLY),
        Group::Generic,
        "Get the logarithmic access frequency counter of a Redis object",
        object,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO), 2)]),
    CommandSpec::new(
        "object|encoding",
        3,
        flags!(READONLY),
        Group::Generic,
        "Inspect the internal encoding of a Redis object",
        object,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO), 2)]),
    CommandSpec::new(
        "object|refcount",
        3,
        flags!(READONLY),
        Group::Generic,
        "Get the number of references to the value of the key",
        object,
    )
    .acl(cats!(KEYSPACE))
    .keys(&[KeySpec::at(kf!(RO), 2)]),
];
