//! The open-file limit and `maxclients` (Redis's `adjustOpenFilesLimit`).

use std::io;

use log::{info, warn};

/// File descriptors kept for the server's own use beyond clients: listener, epoll,
/// waker, AOF and snapshot files, a save child's pipe (Redis's
/// `CONFIG_MIN_RESERVED_FDS`).
pub const RESERVED_FDS: u64 = 32;

/// Fits `maxclients` to the open-file limit (Redis's `adjustOpenFilesLimit`): raises
/// the soft limit towards `maxclients` + [`RESERVED_FDS`] as far as the hard limit
/// allows; if that is not enough, returns a lower maxclients, logging why.
/// # Errors
/// When the limit leaves no room for any client.
pub fn fit_maxclients(maxclients: usize) -> Result<usize, String> {
    let wanted = maxclients as u64 + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        let fallback = (1024 - RESERVED_FDS) as usize;
        warn!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            io::Error::last_os_error()
        );
        return Ok(maxclients.min(fallback));
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        return Ok(maxclients);
    }
    let best = wanted.min(limit.rlim_max);
    let mut error = None;
    if best > old {
        let raised = libc::rlimit {
            rlim_cur: best,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            error = Some(io::Error::last_os_error());
        }
    }
    let got = if error.is_none() { best.max(old) } else { old };
    if got >= wanted {
        info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {old})."
        );
        return Ok(maxclients);
    }
    if got <= RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {got} is not enough for the server to start. Please increase your open file limit to at least {wanted}. Exiting."
        ));
    }
    let reduced = (got - RESERVED_FDS) as usize;
    warn!(
        "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
    );
    let why = error.map_or_else(
        || "the hard limit is lower".to_string(),
        |e| format!("OS error: {e}"),
    );
    warn!("Server can't set maximum open files to {wanted} because of {why}.");
    warn!(
        "Current maximum open files is {got}. maxclients has been reduced to {reduced} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    Ok(reduced)
}
