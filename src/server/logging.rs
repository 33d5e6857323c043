//! The server's log, in Redis's format so that existing parsers and alerts match:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm level message`, role `M` (the server) or `C`
//! (a forked child: background save or rewrite), level `.` debug, `-` verbose,
//! `*` notice, `#` warning. Lines go to the `logfile` (appended; reopened after
//! SIGHUP, for logrotate) or to standard error, and to syslog when enabled.

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use log::{Level, Log, Metadata, Record};

use crate::config::Config;

/// Set by SIGHUP: the next line reopens the log file.
static REOPEN: AtomicBool = AtomicBool::new(false);
/// The role letter of the main process (`M`; a replica sets `S`).
static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Asks the logger to reopen its file before the next line (async-signal-safe).
pub fn request_reopen() {
    REOPEN.store(true, Ordering::SeqCst);
}

/// Sets the role letter of the main process (`M` master, `S` replica).
pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// Where the lines go.
#[derive(Debug)]
struct Logger {
    /// The log file's path; `None`: standard error.
    path: Option<String>,
    file: Mutex<Option<File>>,
    syslog: bool,
    /// The process that installed the logger: a line from another is a child's.
    pid: u32,
}

/// Opens `path` for appending; the error names the path and the directive.
fn open(path: &str) -> Result<File, String> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            format!(
                "Can't open the log file '{path}' (logfile): {}",
                crate::config::os_text(&e)
            )
        })
}

/// Checks that the log file can be opened, before the server detaches (Redis's
/// check at the end of reading the configuration).
/// # Errors
/// `Can't open the log file '<path>' (logfile): <why>`.
pub fn check(config: &Config) -> Result<(), String> {
    if config.logfile.is_empty() {
        Ok(())
    } else {
        open(&config.logfile).map(drop)
    }
}

/// Installs the logger `config` describes (logfile, syslog, level).
/// # Errors
/// The log file cannot be opened.
pub fn init(config: &Config) -> Result<(), String> {
    let (path, file) = if config.logfile.is_empty() {
        (None, None)
    } else {
        (Some(config.logfile.clone()), Some(open(&config.logfile)?))
    };
    if config.syslog_enabled {
        let ident = CString::new(config.syslog_ident.replace('\0', "")).unwrap_or_default();
        let facility =
            crate::config::syslog_facility(&config.syslog_facility).unwrap_or(libc::LOG_LOCAL0);
        // SAFETY: openlog keeps the pointer: the string is leaked, so it lives forever.
        unsafe {
            libc::openlog(
                ident.into_raw(),
                libc::LOG_PID | libc::LOG_NDELAY | libc::LOG_NOWAIT,
                facility,
            )
        };
    }
    let logger = Logger {
        path,
        file: Mutex::new(file),
        syslog: config.syslog_enabled,
        pid: std::process::id(),
    };
    log::set_logger(Box::leak(Box::new(logger))).map_err(|e| e.to_string())?;
    log::set_max_level(config.loglevel);
    Ok(())
}

/// Redis's level letter for a record.
fn level_char(level: Level) -> char {
    match level {
        Level::Trace => '.',
        Level::Debug => '-',
        Level::Info => '*',
        Level::Warn | Level::Error => '#',
    }
}

/// `07 Dec 2026 05:00:00.123` in local time, as Redis's `serverLogRaw`.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r fills the zeroed struct from the time value given.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Formats one line (with its newline).
pub fn format_line(pid: u32, role: char, level: Level, message: &str) -> String {
    format!(
        "{pid}:{role} {} {} {message}\n",
        timestamp(),
        level_char(level)
    )
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let pid = std::process::id();
        let role = if pid == self.pid {
            ROLE.load(Ordering::Relaxed) as char
        } else {
            'C'
        };
        let message = record.args().to_string();
        let line = format_line(pid, role, record.level(), &message);
        match &self.path {
            None => {
                let _ = std::io::stderr().write_all(line.as_bytes());
            }
            Some(path) => {
                let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
                if REOPEN.swap(false, Ordering::SeqCst) {
                    // A failed reopen keeps the old file: losing the log is worse.
                    if let Ok(f) = open(path) {
                        *file = Some(f);
                    }
                }
                if let Some(f) = file.as_mut() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
        }
        if self.syslog {
            let priority = match record.level() {
                Level::Trace => libc::LOG_DEBUG,
                Level::Debug => libc::LOG_INFO,
                Level::Info => libc::LOG_NOTICE,
                Level::Warn | Level::Error => libc::LOG_WARNING,
            };
            if let Ok(text) = CString::new(message.replace('\0', "")) {
                // SAFETY: a constant format and a NUL-terminated argument.
                unsafe { libc::syslog(priority, c"%s".as_ptr(), text.as_ptr()) };
            }
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_have_redis_s_shape() {
        let line = format_line(42, 'M', Level::Info, "Ready");
        // 42:M 07 Dec 2026 05:00:00.123 * Ready
        let (head, rest) = line.split_once(' ').unwrap();
        assert_eq!(head, "42:M");
        let words: Vec<&str> = rest.split(' ').collect();
        assert_eq!(words[0].len(), 2, "{line}");
        assert_eq!(words[1].len(), 3, "{line}");
        assert_eq!(words[2].len(), 4, "{line}");
        assert_eq!(words[3].len(), "05:00:00.123".len(), "{line}");
        assert_eq!(words[4], "*");
        assert_eq!(words[5], "Ready\n");
        assert!(format_line(1, 'C', Level::Warn, "x").contains(" # x"));
    }
}
