//! A real `redis-server` 7.0 for side-by-side tests: started on a free port, killed
//! (by its PID) and reaped on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use redis::Connection;

/// Whether `bins` (e.g. `redis-server`, `redis-check-rdb`) are on PATH; panics (a
/// test failure) when one is not, unless `RUDIS_SKIP_REDIS_INTEROP=1` says to skip.
pub fn have(bins: &[&str]) -> bool {
    let found = bins.iter().all(|bin| {
        Command::new(bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if found {
        return true;
    }
    if std::env::var("RUDIS_SKIP_REDIS_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("{bins:?} not found: skipped (RUDIS_SKIP_REDIS_INTEROP=1)");
        return false;
    }
    panic!(
        "{bins:?} are needed (apt-get install redis-server redis-tools); \
         set RUDIS_SKIP_REDIS_INTEROP=1 to skip"
    );
}

/// A redis-server child, killed (by its PID) and reaped on drop.
pub struct Redis {
    child: Child,
    /// Its port.
    pub port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    /// Starts redis-server on a free port with `dir` and `dbfilename`, no save points;
    /// returns once it logs that it accepts connections.
    pub fn start(dir: &Path, dbfilename: &str) -> Redis {
        Redis::start_with(dir, dbfilename, &[])
    }

    /// [`Redis::start`] with more arguments (later ones win).
    pub fn start_with(dir: &Path, dbfilename: &str, extra: &[&str]) -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .args(["--dbfilename", dbfilename])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let out = child.stdout.take().expect("stdout");
        let mut redis = Redis { child, port };
        let mut log = String::new();
        for line in BufReader::new(out).lines() {
            let line = line.unwrap_or_default();
            log.push_str(&line);
            log.push('\n');
            if line.contains("Ready to accept connections") {
                return redis;
            }
        }
        let status = redis.child.wait();
        panic!("redis-server did not start ({status:?}):\n{log}");
    }

    /// A connection through the `redis` crate.
    pub fn con(&self) -> Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .expect("client")
            .get_connection()
            .expect("connect to redis-server")
    }
}
