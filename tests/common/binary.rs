//! A real `rudis-server` process for the tests that need one (signals, crashes,
//! start-up and load): started on port 0, its address read from its log, its log kept
//! line by line (drained at once, so the server never blocks on a full pipe).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Stops following a log file.
    stop: Arc<AtomicBool>,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// How to start the binary: arguments, where its log goes, which line says where
/// it listens, extra environment.
#[derive(Default)]
pub struct Launch<'a> {
    /// Its arguments.
    pub args: &'a [&'a str],
    /// The log file it writes (`logfile`), followed instead of standard error.
    pub log_file: Option<&'a Path>,
    /// The log text followed by its address (default: "Ready to accept connections
    /// on "; "listening on " returns as soon as it listens, before it loads).
    pub ready: Option<&'a str>,
    /// Extra environment variables.
    pub env: &'a [(&'a str, &'a str)],
}

/// Starts the binary with `args`; `Err(log)` when it exits before it is ready.
pub fn try_start(args: &[&str]) -> Result<Binary, String> {
    try_launch(Launch {
        args,
        ..Launch::default()
    })
}

/// Starts the binary as `launch` says; `Err(log)` when it exits (or, daemonized,
/// stops logging) before it is ready.
pub fn try_launch(launch: Launch<'_>) -> Result<Binary, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rudis-server"));
    command.args(launch.args).stderr(Stdio::piped());
    for (k, v) in launch.env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("run rudis-server");
    let stderr = child.stderr.take().expect("stderr");
    let stop = Arc::new(AtomicBool::new(false));
    let source: Box<dyn BufRead + Send> = match launch.log_file {
        None => Box::new(BufReader::new(stderr)),
        Some(path) => {
            // Standard error still drains (errors before the log file opens).
            std::thread::spawn(move || BufReader::new(stderr).lines().for_each(drop));
            Box::new(BufReader::new(Tail::open(path, stop.clone())))
        }
    };
    let needle = launch
        .ready
        .unwrap_or("Ready to accept connections on ")
        .to_string();
    let log: Log = Arc::default();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let sink = log.clone();
    // Reads the log to its end (so the server never blocks on a full pipe), keeps
    // every line, and reports the address once the server is ready.
    std::thread::spawn(move || {
        for line in source.lines() {
            let Ok(line) = line else { break };
            if let Some((_, addr)) = line.split_once(needle.as_str()) {
                let _ = ready_tx.send(addr.trim().parse::<SocketAddr>().ok());
            }
            let (lines, cond) = &*sink;
            lines.lock().expect("log lock").push(line);
            cond.notify_all();
        }
        let _ = ready_tx.send(None);
    });
    match ready_rx.recv_timeout(WAIT) {
        Ok(Some(addr)) => Ok(Binary {
            child,
            addr,
            log,
            stop,
        }),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            stop.store(true, Ordering::SeqCst);
            let (lines, _) = &*log;
            Err(lines.lock().expect("log lock").join("\n"))
        }
    }
}

/// Starts the binary with `args`, panicking with its log when it does not start.
pub fn start(args: &[&str]) -> Binary {
    try_start(args).unwrap_or_else(|log| panic!("rudis-server did not start:\n{log}"))
}

/// Starts the binary as `launch` says, panicking with its log when it does not start.
pub fn launch(launch: Launch<'_>) -> Binary {
    try_launch(launch).unwrap_or_else(|log| panic!("rudis-server did not start:\n{log}"))
}

/// Runs the binary to its end (a start-up that fails, `--version`): exit code and
/// everything it printed (standard output, then standard error).
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rudis-server"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run rudis-server");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// A file read as it grows (`tail -f`): at its end, waits a little and reads again
/// until stopped. The file may not exist yet.
struct Tail {
    path: PathBuf,
    file: Option<std::fs::File>,
    stop: Arc<AtomicBool>,
}

impl Tail {
    fn open(path: &Path, stop: Arc<AtomicBool>) -> Tail {
        Tail {
            path: path.to_path_buf(),
            file: None,
            stop,
        }
    }
}

impl Read for Tail {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let deadline = Instant::now() + WAIT * 3;
        loop {
            if self.stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                return Ok(0);
            }
            if self.file.is_none() {
                self.file = std::fs::File::open(&self.path).ok();
            }
            if let Some(file) = self.file.as_mut() {
                let n = file.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
            }
            // Polls the file: a log file announces nothing when it grows.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Waits (bounded) until the file at `path` contains `needle`; returns its text.
pub fn wait_file_contains(path: &Path, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no '{needle}' in {}:\n{text}",
            path.display()
        );
        // Polls the file: a file announces nothing when it changes.
        std::thread::sleep(Duration::from_millis(5));
    }
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
