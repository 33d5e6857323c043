//! MIGRATE: moves keys to another Redis-compatible server, as Redis's
//! `migrateCommand` (cluster.c) does: DUMP here, RESTORE there, DEL here.
//!
//! Like Redis, the command blocks the server while it talks to the target (at most
//! `timeout` ms per connection attempt, write and reply line). Unlike Redis, the
//! connection to the target is not cached between calls (`migrate_cached_sockets`):
//! each MIGRATE opens its own, so it always sends SELECT and never needs Redis's
//! retry of a stale cached socket.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::error::CmdError;
use crate::persistence::rdb;
use crate::protocol::Request;
use crate::spec::{Begin, Find, GetKeys, Group, KeySpec};
use crate::store::Event;
use crate::{cats, flags, kf};

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new(
    "migrate",
    -6,
    flags!(WRITE),
    Group::Generic,
    "Atomically transfer a key from a Redis instance to another one.",
    migrate,
)
.acl(cats!(KEYSPACE | DANGEROUS))
.keys(&[
    KeySpec::at(kf!(RW | ACCESS | DELETE), 3),
    KeySpec {
        flags: kf!(RW | ACCESS | DELETE | INCOMPLETE),
        begin: Begin::Keyword {
            keyword: "KEYS",
            start_from: -2,
        },
        find: Find::Range {
            last: -1,
            step: 1,
            limit: 0,
        },
    },
])
.getkeys(GetKeys::Migrate)];

/// Bytes written per call, as Redis's 64K chunks (each chunk gets the whole timeout).
const WRITE_CHUNK: usize = 64 * 1024;

/// Longest reply line kept from the target: Redis reads replies into 1 KB buffers;
/// the rest of a longer line is read and dropped so the next reply stays in step.
const MAX_REPLY_LINE: usize = 1024;

/// `-IOERR` when the target cannot be reached (Redis's text, "client" included).
const CONNECT_ERROR: &str = "IOERR error or timeout connecting to the client";
/// `-IOERR` when a write to the target fails or times out.
const WRITE_ERROR: &str = "IOERR error or timeout writing to target instance";
/// `-IOERR` when a reply from the target fails to arrive in time.
const READ_ERROR: &str = "IOERR error or timeout reading to target instance";

/// The parsed options of one MIGRATE.
struct Options<'r> {
    copy: bool,
    replace: bool,
    username: Option<&'r [u8]>,
    password: Option<&'r [u8]>,
    /// Index of the first key, and how many.
    first_key: usize,
    num_keys: usize,
}

/// ```text
/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
///     [AUTH password | AUTH2 username password] [KEYS key [key ...]]
/// ```
/// Sends the keys that exist to `host:port` (database `destination-db`) as RESTOREs
/// with their TTLs and DUMP payloads, and, without COPY, deletes here every key the
/// target acknowledged (propagated as one DEL). `+OK`, or `+NOKEY` when none of the
/// keys exist. A timeout of 0 or less means 1000 ms.
/// # Errors
/// `IOERR error or timeout connecting to the client`, `IOERR error or timeout
/// writing to target instance`, `IOERR error or timeout reading to target instance`,
/// `ERR Target instance replied with error: <its error>`, `ERR When using MIGRATE
/// KEYS option, the key argument must be set to the empty string`, `ERR syntax
/// error`, `ERR value is not an integer or out of range`.
fn migrate(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let opts = parse_options(req)?;
    let timeout = parse_i64(req.arg(5))?;
    let dbid = parse_i64(req.arg(4))?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });

    // The keys that exist, with their remaining TTL (0 = none) and payload.
    let now = ctx.now;
    let mut found: Vec<(&[u8], i64, Vec<u8>)> = Vec::new();
    for j in 0..opts.num_keys {
        let key = req.arg(opts.first_key + j);
        if let Some(k) = ctx.read_key(key) {
            let expire_at = k.expire_at();
            let ttl = if expire_at == 0 {
                0
            } else {
                (expire_at - now).max(1)
            };
            found.push((key, ttl, rdb::dump_payload(k.value())));
        }
    }
    if found.is_empty() {
        ctx.out.simple(b"NOKEY");
        return Ok(());
    }

    let mut conn =
        Target::connect(req.arg(1), req.arg(2), timeout).ok_or(CmdError::msg(CONNECT_ERROR))?;

    // Everything in one buffer, as Redis's `rio` command buffer.
    let mut cmd = Vec::new();
    if let Some(password) = opts.password {
        match opts.username {
            Some(user) => write_command(&mut cmd, &[b"AUTH", user, password]),
            None => write_command(&mut cmd, &[b"AUTH", password]),
        }
    }
    let mut digits = itoa::Buffer::new();
    write_command(&mut cmd, &[b"SELECT", digits.format(dbid).as_bytes()]);
    for (key, ttl, payload) in &found {
        let mut ttl_digits = itoa::Buffer::new();
        let ttl = ttl_digits.format(*ttl).as_bytes();
        if opts.replace {
            write_command(&mut cmd, &[b"RESTORE", key, ttl, payload, b"REPLACE"]);
        } else {
            write_command(&mut cmd, &[b"RESTORE", key, ttl, payload]);
        }
    }
    if !conn.write_all(&cmd) {
        return Err(CmdError::msg(WRITE_ERROR));
    }

    let auth_reply = match opts.password {
        Some(_) => Some(conn.read_line().ok_or(CmdError::msg(READ_ERROR))?),
        None => None,
    };
    let select_reply = conn.read_line().ok_or(CmdError::msg(READ_ERROR))?;
    let mut target_error: Option<String> = None;
    let mut socket_error = false;
    let mut deleted: Vec<&[u8]> = Vec::new();
    for (key, _, _) in &found {
        let Some(reply) = conn.read_line() else {
            socket_error = true;
            break;
        };
        let failed = [
            auth_reply.as_deref(),
            Some(&select_reply[..]),
            Some(&reply[..]),
        ]
        .into_iter()
        .flatten()
        .find(|line| line.first() == Some(&b'-'));
        if let Some(line) = failed {
            // The first error is the one reported (AUTH's, else SELECT's, else a RESTORE's).
            if target_error.is_none() {
                target_error = Some(String::from_utf8_lossy(&line[1..]).into_owned());
            }
        } else if !opts.copy
            && let Some(k) = ctx.write_key(key)
        {
            k.remove(Event::DEL);
            deleted.push(*key);
        }
    }
    if !deleted.is_empty() && ctx.propagating() {
        let mut argv: Vec<&[u8]> = Vec::with_capacity(deleted.len() + 1);
        argv.push(b"DEL");
        argv.extend_from_slice(&deleted);
        ctx.propagate(&argv);
    }
    if let Some(msg) = target_error {
        return Err(CmdError::msg(format!(
            "ERR Target instance replied with error: {msg}"
        )));
    }
    if socket_error {
        return Err(CmdError::msg(READ_ERROR));
    }
    ctx.out.ok();
    Ok(())
}

/// Parses the options after the timeout, as `migrateCommand` (KEYS ends them).
fn parse_options<'r>(req: &'r Request<'_>) -> Result<Options<'r>, CmdError> {
    let mut opts = Options {
        copy: false,
        replace: false,
        username: None,
        password: None,
        first_key: 3,
        num_keys: 1,
    };
    let argc = req.len();
    let mut j = 6;
    while j < argc {
        let more = argc - 1 - j;
        let arg = req.arg(j);
        if is(arg, "copy") {
            opts.copy = true;
        } else if is(arg, "replace") {
            opts.replace = true;
        } else if is(arg, "auth") {
            if more == 0 {
                return Err(CmdError::Syntax);
            }
            j += 1;
            opts.password = Some(req.arg(j));
        } else if is(arg, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            opts.username = Some(req.arg(j + 1));
            opts.password = Some(req.arg(j + 2));
            j += 2;
        } else if is(arg, "keys") {
            if !req.arg(3).is_empty() {
                return Err(CmdError::msg(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            opts.first_key = j + 1;
            opts.num_keys = argc - j - 1;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(opts)
}

/// Appends `args` as a RESP array of bulk strings.
fn write_command(buf: &mut Vec<u8>, args: &[&[u8]]) {
    let mut digits = itoa::Buffer::new();
    buf.push(b'*');
    buf.extend_from_slice(digits.format(args.len()).as_bytes());
    buf.extend_from_slice(b"\r\n");
    for arg in args {
        buf.push(b'$');
        buf.extend_from_slice(digits.format(arg.len()).as_bytes());
        buf.extend_from_slice(b"\r\n");
        buf.extend_from_slice(arg);
        buf.extend_from_slice(b"\r\n");
    }
}

/// A blocking connection to the target, every operation bounded by the timeout.
struct Target {
    stream: TcpStream,
    timeout: Duration,
    /// Bytes read past the last reply line.
    buf: Vec<u8>,
}

impl Target {
    /// Connects to `host:port` (each address the host resolves to, in turn), or
    /// `None`. A port that is not a number is port 0, as Redis's `atoi`.
    fn connect(host: &[u8], port: &[u8], timeout: Duration) -> Option<Target> {
        let host = std::str::from_utf8(host).ok()?;
        let port = std::str::from_utf8(port)
            .ok()
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        let deadline = Instant::now() + timeout;
        let addrs = (host, port).to_socket_addrs().ok()?;
        for addr in addrs {
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            if let Ok(stream) = TcpStream::connect_timeout(&addr, left) {
                let _ = stream.set_nodelay(true);
                return Some(Target {
                    stream,
                    timeout,
                    buf: Vec::new(),
                });
            }
        }
        None
    }

    /// Writes `bytes` in [`WRITE_CHUNK`]s, each within the timeout; false on an
    /// error or a timeout.
    fn write_all(&mut self, bytes: &[u8]) -> bool {
        for chunk in bytes.chunks(WRITE_CHUNK) {
            let deadline = Instant::now() + self.timeout;
            let mut pos = 0;
            while pos < chunk.len() {
                let Some(left) = remaining(deadline) else {
                    return false;
                };
                if self.stream.set_write_timeout(Some(left)).is_err() {
                    return false;
                }
                match self.stream.write(&chunk[pos..]) {
                    Ok(0) => return false,
                    Ok(n) => pos += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return false,
                }
            }
        }
        true
    }

    /// Reads one reply line (without its CR LF, cut at [`MAX_REPLY_LINE`]) within the
    /// timeout; `None` on an error, a timeout or the end of the stream.
    fn read_line(&mut self) -> Option<Vec<u8>> {
        let deadline = Instant::now() + self.timeout;
        let mut line = Vec::new();
        loop {
            if let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
                let mut taken: Vec<u8> = self.buf.drain(..=nl).collect();
                taken.pop();
                if taken.last() == Some(&b'\r') {
                    taken.pop();
                }
                let room = MAX_REPLY_LINE.saturating_sub(line.len());
                line.extend_from_slice(&taken[..taken.len().min(room)]);
                return Some(line);
            }
            let room = MAX_REPLY_LINE.saturating_sub(line.len());
            line.extend_from_slice(&self.buf[..self.buf.len().min(room)]);
            self.buf.clear();
            let left = remaining(deadline)?;
            self.stream.set_read_timeout(Some(left)).ok()?;
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
    }
}

/// The time left until `deadline`, `None` when it has passed.
fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}
