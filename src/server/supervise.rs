//! Running under a supervisor: `supervised systemd` tells systemd through the
//! datagram socket named by `$NOTIFY_SOCKET` (sd_notify's protocol: `READY=1`,
//! `STATUS=...`, `STOPPING=1`); `supervised upstart` stops itself with SIGSTOP once
//! ready, as upstart's `expect stop` waits for; `auto` picks whichever the
//! environment names. Also daemonizing and the pid file.

use std::os::unix::net::UnixDatagram;

use log::{info, warn};

use crate::config::Config;

/// The supervision protocol in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not supervised.
    No,
    /// systemd's notify socket.
    Systemd,
    /// upstart's SIGSTOP.
    Upstart,
}

/// The mode `config` asks for, `auto` resolved from the environment.
pub fn mode(config: &Config) -> Mode {
    match config.supervised.as_str() {
        "systemd" => Mode::Systemd,
        "upstart" => Mode::Upstart,
        "auto" if std::env::var_os("NOTIFY_SOCKET").is_some() => Mode::Systemd,
        "auto" if std::env::var_os("UPSTART_JOB").is_some() => Mode::Upstart,
        _ => Mode::No,
    }
}

/// Sends `message` (`READY=1\n`, `STATUS=...\n`) to systemd's notify socket, if
/// supervised by systemd. A path starting with `@` is an abstract socket.
pub fn notify(config: &Config, message: &str) {
    if mode(config) != Mode::Systemd {
        return;
    }
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        warn!("systemd supervision requested or auto-detected, but NOTIFY_SOCKET is not set");
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|socket| {
        let bytes = path.as_encoded_bytes();
        match bytes.strip_prefix(b"@") {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(message.as_bytes(), &addr)
            }
            None => socket.send_to(message.as_bytes(), &path),
        }
    });
    if let Err(e) = sent {
        warn!("Can't send notification to systemd: {e}");
    }
}

/// Tells the supervisor the server is ready to accept connections.
pub fn ready(config: &Config) {
    match mode(config) {
        Mode::Systemd => {
            info!(
                "supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."
            );
            notify(config, "STATUS=Ready to accept connections\n");
            notify(config, "READY=1\n");
        }
        Mode::Upstart => {
            info!("supervised by upstart, will stop to signal readiness.");
            // SAFETY: stopping ourselves; upstart continues us.
            unsafe { libc::raise(libc::SIGSTOP) };
        }
        Mode::No => {}
    }
}

/// Detaches from the terminal (Redis's `daemonize`): the parent exits 0, the child
/// starts a new session with standard input and output on /dev/null (standard error
/// too, unless it is the log). Call before any thread starts.
pub fn daemonize(keep_stderr: bool) {
    // SAFETY: fork before any other thread exists; the child only goes on with
    // the single thread it has.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!(
                    "Can't daemonize: fork failed: {}",
                    std::io::Error::last_os_error()
                );
                std::process::exit(1);
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, libc::STDIN_FILENO);
            libc::dup2(null, libc::STDOUT_FILENO);
            if !keep_stderr {
                libc::dup2(null, libc::STDERR_FILENO);
            }
            if null > libc::STDERR_FILENO {
                libc::close(null);
            }
        }
    }
}

/// The pid file to write: `pidfile`, or Redis's default place when daemonized.
pub fn pidfile(config: &Config) -> Option<String> {
    if !config.pidfile.is_empty() {
        Some(config.pidfile.clone())
    } else if config.daemonize {
        Some("/var/run/rudis.pid".to_string())
    } else {
        None
    }
}

/// Writes the process id to the pid file (a failure is logged, as in Redis).
pub fn write_pidfile(config: &Config) {
    if let Some(path) = pidfile(config)
        && let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id()))
    {
        warn!(
            "Failed to write PID file '{path}' (pidfile): {}",
            crate::config::os_text(&e)
        );
    }
}

/// Removes the pid file at shutdown.
pub fn remove_pidfile(config: &Config) {
    if let Some(path) = pidfile(config) {
        let _ = std::fs::remove_file(path);
    }
}
