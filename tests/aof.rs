//! The append-only file through the real binary: acknowledged writes survive SIGKILL
//! with `appendfsync always`, a torn tail is cut and logged, a corrupt middle refuses
//! to start with its offset, and `redis-check-aof` accepts the directory.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::binary::{self, Binary};
use common::*;

/// Kill-and-restart rounds of the crash test (the issue asks 20).
const CRASH_ROUNDS: usize = 20;
/// Writer threads of the crash test.
const WRITERS: usize = 4;

/// Starts the binary on `dir` with the AOF on and `args`.
fn start(dir: &Path, args: &[&str]) -> Binary {
    let dir = dir.to_str().expect("utf-8");
    let base: &[&str] = &["--port", "0", "--dir", dir, "--appendonly", "yes"];
    binary::start(&[base, args].concat())
}

/// Runs the binary on `dir` expecting it to refuse to start; returns its log.
fn refused(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args(["--port", "0", "--dir", dir.to_str().expect("utf-8")])
        .args(["--appendonly", "yes"])
        .output()
        .expect("run rudis-server");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    log
}

/// A minimal blocking client that reports a dead server instead of panicking.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends a command and returns the first line of its reply; `None` once the
    /// server is gone.
    fn cmd(&mut self, args: &[&str]) -> Option<String> {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.stream.write_all(req.as_bytes()).ok()?;
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                if let Some(n) = line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                    while self.buf.len() < n + 2 {
                        self.fill()?;
                    }
                    let body = String::from_utf8_lossy(&self.buf[..n]).into_owned();
                    self.buf.drain(..n + 2);
                    return Some(body);
                }
                return Some(line);
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 4096];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }
}

/// A cheap pseudo-random number from the clock (no rand dependency).
fn random_below(n: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0) as u64;
    (nanos.wrapping_mul(6364136223846793005) >> 16) % n.max(1)
}

fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

fn incr_file(dir: &Path) -> PathBuf {
    let manifest =
        std::fs::read_to_string(aof_dir(dir).join("appendonly.aof.manifest")).expect("manifest");
    let name = manifest
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("an incr file")
        .to_string();
    aof_dir(dir).join(name)
}

#[test]
fn acknowledged_writes_survive_sigkill_with_appendfsync_always() {
    let dir = scratch_dir("aof-crash");
    // Per writer: the highest i whose SET and INCR were acknowledged, over all rounds.
    let mut acked = vec![0u64; WRITERS];
    for round in 0..CRASH_ROUNDS {
        let mut server = start(&dir, &["--appendfsync", "always"]);
        // Every write acknowledged before is there.
        let mut check = Conn::connect(server.addr);
        for (w, &n) in acked.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let count = check.cmd(&["GET", &format!("count:{w}")]).expect("alive");
            let count: u64 = count.parse().unwrap_or(0);
            assert!(
                count >= n,
                "round {round}: writer {w} acked {n}, found {count}"
            );
            let last = check.cmd(&["GET", &format!("w:{w}:{n}")]).expect("alive");
            assert_eq!(last, n.to_string(), "round {round}: writer {w} key {n}");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (addr, stop) = (server.addr, stop.clone());
                let mut next = acked[w] + 1;
                std::thread::spawn(move || {
                    let mut c = Conn::connect(addr);
                    let mut done = next - 1;
                    while !stop.load(Ordering::SeqCst) {
                        let key = format!("w:{w}:{next}");
                        let value = next.to_string();
                        if c.cmd(&["SET", &key, &value]).as_deref() != Some("+OK") {
                            break;
                        }
                        match c.cmd(&["INCR", &format!("count:{w}")]) {
                            Some(r) if r.starts_with(':') => done = next,
                            _ => break,
                        }
                        next += 1;
                    }
                    done
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(20 + random_below(200)));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        for (w, h) in handles.into_iter().enumerate() {
            acked[w] = h.join().expect("writer");
        }
    }
    assert!(acked.iter().all(|&n| n > 0), "no writes made: {acked:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_tail_is_cut_and_logged() {
    let dir = scratch_dir("aof-torn");
    {
        let server = start(&dir, &["--appendfsync", "always"]);
        let mut c = Conn::connect(server.addr);
        assert_eq!(c.cmd(&["SET", "a", "1"]).as_deref(), Some("+OK"));
        assert_eq!(c.cmd(&["RPUSH", "l", "x", "y"]).as_deref(), Some(":2"));
    }
    let incr = incr_file(&dir);
    let whole = std::fs::metadata(&incr).expect("incr").len();
    // A crash in the middle of writing a command, and one in the middle of a
    // transaction whose EXEC never came.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&incr)
        .expect("open");
    f.write_all(b"*2\r\n$5\r\nMULTI\r\n").expect("append");
    f.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$2\r\nxy")
        .expect("append");
    drop(f);
    let server = start(&dir, &[]);
    assert!(server.log_contains("short read while loading the AOF file"));
    assert!(server.log_contains(&format!(
        "Truncating the AOF appendonly.aof.1.incr.aof at offset {whole}"
    )));
    let mut c = Conn::connect(server.addr);
    assert_eq!(c.cmd(&["GET", "a"]).as_deref(), Some("1"));
    assert_eq!(c.cmd(&["LLEN", "l"]).as_deref(), Some(":2"));
    assert_eq!(c.cmd(&["EXISTS", "b"]).as_deref(), Some(":0"));
    assert_eq!(std::fs::metadata(&incr).expect("incr").len(), whole);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_middle_refuses_to_start_with_its_offset() {
    let dir = scratch_dir("aof-corrupt");
    {
        // always: every acknowledged write is in the file when the server is killed
        // (everysec may hold writes back while its fsync runs, as Redis does).
        let server = start(&dir, &["--appendfsync", "always"]);
        let mut c = Conn::connect(server.addr);
        assert_eq!(c.cmd(&["SET", "a", "1"]).as_deref(), Some("+OK"));
        assert_eq!(c.cmd(&["SET", "b", "2"]).as_deref(), Some("+OK"));
    }
    let incr = incr_file(&dir);
    let good = std::fs::read(&incr).expect("read");
    // The second command (after SELECT and the first SET) starts here.
    let second = good
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"*3\r\n")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("two SETs in {:?}", String::from_utf8_lossy(&good)));
    let mut bad = good.clone();
    bad[second] = b'!';
    std::fs::write(&incr, &bad).expect("write");
    let log = refused(&dir);
    assert!(
        log.contains("Bad file format reading the append only file"),
        "{log}"
    );
    assert!(log.contains(&format!("at offset {second}")), "{log}");
    // With aof-load-truncated no, a torn tail refuses to start too.
    let mut torn = good.clone();
    torn.truncate(good.len() - 3);
    std::fs::write(&incr, &torn).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args(["--port", "0", "--dir", dir.to_str().expect("utf-8")])
        .args(["--appendonly", "yes", "--aof-load-truncated", "no"])
        .output()
        .expect("run");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("Unexpected end of file"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_aof_wins_over_the_snapshot_and_redis_check_aof_accepts_it() {
    let dir = scratch_dir("aof-check");
    {
        // A snapshot first, without the AOF.
        let server = start_server_with({
            let dir = dir.clone();
            move |c: &mut rudis::Config| c.dir = dir
        });
        let mut c = server.raw();
        c.cmd(&["SET", "from-snapshot", "1"]);
        c.cmd(&["SAVE"]);
    }
    {
        // Turning the AOF on starts it from the snapshot's data.
        let server = start(&dir, &[]);
        let mut c = Conn::connect(server.addr);
        assert_eq!(c.cmd(&["GET", "from-snapshot"]).as_deref(), Some("1"));
        for i in 0..50 {
            let k = format!("k{i}");
            c.cmd(&["SET", &k, "v", "EX", "1000"]);
            c.cmd(&["SADD", "s", &k]);
            c.cmd(&["HSET", "h", &k, "1"]);
            c.cmd(&["ZADD", "z", "1.5", &k]);
        }
        c.cmd(&["SELECT", "2"]);
        c.cmd(&["INCRBYFLOAT", "f", "0.1"]);
        c.cmd(&["SPOP", "nothing"]);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "appendfsync", "always"])
                .as_deref(),
            Some("+OK")
        );
        c.cmd(&["SET", "last", "1"]);
    }
    // A snapshot that disagrees: the AOF wins.
    std::fs::write(dir.join("dump.rdb"), b"not read").expect("write");
    {
        let server = start(&dir, &[]);
        let mut c = Conn::connect(server.addr);
        assert_eq!(c.cmd(&["GET", "from-snapshot"]).as_deref(), Some("1"));
        assert_eq!(c.cmd(&["SCARD", "s"]).as_deref(), Some(":50"));
        assert_eq!(c.cmd(&["ZSCORE", "z", "k7"]).as_deref(), Some("1.5"));
        c.cmd(&["SELECT", "2"]);
        assert_eq!(c.cmd(&["GET", "f"]).as_deref(), Some("0.1"));
        assert_eq!(c.cmd(&["GET", "last"]).as_deref(), Some("1"));
        assert_eq!(c.cmd(&["SELECT", "0"]).as_deref(), Some("+OK"));
        let ttl: i64 = c
            .cmd(&["TTL", "k3"])
            .and_then(|t| t[1..].parse().ok())
            .unwrap_or(0);
        assert!((990..=1000).contains(&ttl), "{ttl}");
    }
    let manifest = aof_dir(&dir).join("appendonly.aof.manifest");
    assert_redis_check_aof(&manifest);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_set_appendonly_starts_the_log_from_the_data_set() {
    let dir = scratch_dir("aof-config");
    let server = start_server_with({
        let dir = dir.clone();
        move |c: &mut rudis::Config| c.dir = dir
    });
    let mut c = server.raw();
    c.cmd(&["SET", "before", "1"]);
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]), simple("OK"));
    c.cmd(&["SET", "after", "2"]);
    let shown = format!("{:?}", c.cmd(&["CONFIG", "GET", "appendonly"]));
    assert!(shown.contains(&format!("{:?}", bulk("yes"))), "{shown}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let manifest = aof_dir(&dir).join("appendonly.aof.manifest");
    while !manifest.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(manifest.exists());
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "no"]), simple("OK"));
    drop(c);
    drop(server);
    let server = start(&dir, &[]);
    let mut c = Conn::connect(server.addr);
    assert_eq!(c.cmd(&["GET", "before"]).as_deref(), Some("1"));
    assert_eq!(c.cmd(&["GET", "after"]).as_deref(), Some("2"));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
