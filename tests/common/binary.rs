//! A real `rudis-server` process for the tests that need one (signals, crashes,
//! start-up and load): started on port 0, its address read from its log, its log kept
//! line by line (drained at once, so the server never blocks on a full pipe).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::Raw;

/// Longest a test waits for a log line, the start or an exit.
const WAIT: Duration = Duration::from_secs(20);

/// The lines a binary logged so far, and a signal for each new one.
type Log = Arc<(Mutex<Vec<String>>, Condvar)>;

/// A running `rudis-server`, killed (SIGKILL) when dropped if still running.
pub struct Binary {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log: Log,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args`; `Err(log)` when it exits before it is ready.
pub fn try_start(args: &[&str]) -> Result<Binary, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rudis-server"));
    command.args(args);
    try_start_command(command)
}

/// Starts the binary with `args` under an open-file limit (soft and hard) of `nofile`.
pub fn start_with_nofile(nofile: u64, args: &[&str]) -> Binary {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_rudis-server"))
        .args(args);
    try_start_command(command).unwrap_or_else(|log| panic!("rudis-server did not start:\n{log}"))
}

/// Runs `command` (rudis-server, possibly through a shell that `exec`s it).
fn try_start_command(mut command: Command) -> Result<Binary, String> {
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rudis-server");
    let stderr = child.stderr.take().expect("stderr");
    let log: Log = Arc::default();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sink = log.clone();
    // Reads the log to its end (so the server never blocks on a full pipe), keeps
    // every line, and reports the address once the server is ready.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some((_, addr)) = line.split_once("Ready to accept connections on ") {
                let _ = ready_tx.send(addr.trim().parse::<SocketAddr>().ok());
            }
            let (lines, cond) = &*sink;
            lines.lock().expect("log lock").push(line);
            cond.notify_all();
        }
        let _ = ready_tx.send(None);
    });
    match ready_rx.recv_timeout(WAIT) {
        Ok(Some(addr)) => Ok(Binary { child, addr, log }),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            let (lines, _) = &*log;
            Err(lines.lock().expect("log lock").join("\n"))
        }
    }
}

/// Starts the binary with `args`, panicking with its log when it does not start.
pub fn start(args: &[&str]) -> Binary {
    try_start(args).unwrap_or_else(|log| panic!("rudis-server did not start:\n{log}"))
}

impl Binary {
    /// A raw-RESP connection to it.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr)
    }

    /// Its process id.
    pub fn pid(&self) -> libc::pid_t {
        self.child.id() as libc::pid_t
    }

    /// Sends it `signal`.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: signals the process this test started.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0);
    }

    /// Waits (bounded) for a log line containing `needle`; returns it.
    pub fn wait_log(&self, needle: &str) -> String {
        let (lines, cond) = &*self.log;
        let deadline = Instant::now() + WAIT;
        let mut guard = lines.lock().expect("log lock");
        loop {
            if let Some(line) = guard.iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no '{needle}' in the log:\n{}",
                guard.join("\n")
            );
            guard = cond.wait_timeout(guard, left).expect("log lock").0;
        }
    }

    /// What follows `needle` in the first log line containing it (waits, bounded).
    pub fn wait_log_after(&self, needle: &str) -> String {
        let line = self.wait_log(needle);
        line.split_once(needle)
            .map_or(String::new(), |(_, rest)| rest.trim().to_string())
    }

    /// True when some log line so far contains `needle`.
    pub fn log_contains(&self, needle: &str) -> bool {
        self.log
            .0
            .lock()
            .expect("log lock")
            .iter()
            .any(|l| l.contains(needle))
    }

    /// A connection of the `redis` crate.
    pub fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://{}/", self.addr))
            .and_then(|c| c.get_connection())
            .expect("connect")
    }

    /// True while the process has not exited.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Kills it with SIGKILL and reaps it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The whole log so far.
    pub fn log_text(&self) -> String {
        self.log.0.lock().expect("log lock").join("\n")
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            // Waits on the log instead of sleeping: the log ends when it exits.
            let (lines, cond) = &*self.log;
            let guard = lines.lock().expect("log lock");
            let _ = cond.wait_timeout(guard, Duration::from_millis(20));
        }
    }
}
