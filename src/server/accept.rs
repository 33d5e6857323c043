//! Accepting connections: maxclients (fitted to the open-file limit), protected
//! mode, registration; accept errors logged at most once a second.

use std::sync::atomic::AtomicI64;

use super::*;

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

/// Unix second of the last accept error logged: one line a second at most, so a
/// server out of descriptors does not fill its log.
static LAST_ACCEPT_WARNING: AtomicI64 = AtomicI64::new(0);

impl Server {
    pub(super) fn accept_all(&mut self) {
        if !accept_all(
            &self.listener,
            self.poll.registry(),
            &mut self.conns,
            &mut self.state,
        ) {
            self.accept_pending = true;
        }
    }
}

/// Accepts every connection waiting in the backlog; false when an accept failed
/// (e.g. out of file descriptors) and must be retried later.
pub(super) fn accept_all(
    listener: &TcpListener,
    registry: &Registry,
    conns: &mut Slab<Conn>,
    state: &mut ServerState,
) -> bool {
    loop {
        match listener.accept() {
            Ok((stream, peer)) => register(registry, conns, state, stream, peer),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // EMFILE and friends: connections stay queued in the backlog and
                // no new edge announces them, so the cron tries again.
                let now_s = store::now_ms() / 1000;
                if LAST_ACCEPT_WARNING.swap(now_s, Ordering::Relaxed) != now_s {
                    warn!("Accepting client connection: {e}");
                }
                return false;
            }
        }
    }
}

fn register(
    registry: &Registry,
    conns: &mut Slab<Conn>,
    state: &mut ServerState,
    mut stream: TcpStream,
    peer: SocketAddr,
) {
    state.stats.connections_received += 1;
    if conns.len() >= state.config.maxclients {
        state.stats.rejected_connections += 1;
        let _ = io::Write::write(&mut stream, b"-ERR max number of clients reached\r\n");
        return;
    }
    let config = &state.config;
    let password_set = !state.acl.default_user().nopass;
    if acl::protected::denies(peer.ip(), &config.bind, password_set, config.protected_mode) {
        state.stats.rejected_connections += 1;
        let _ = io::Write::write(&mut stream, acl::protected::DENIED);
        debug!("refused client {peer}: protected mode");
        return;
    }
    let _ = stream.set_nodelay(true);
    let token = conns.vacant_key();
    if let Err(e) = registry.register(&mut stream, Token(token), Interest::READABLE) {
        warn!("could not register client {peer}: {e}");
        return;
    }
    let laddr = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let id = state.next_client_id;
    state.next_client_id += 1;
    let mut info = ClientInfo::new(id, peer.to_string(), laddr, store::now_ms());
    info.authenticated = state.acl.new_client_authenticated();
    let info_key = state.clients.insert(info);
    let conn_key = conns.insert(Conn::new(stream));
    debug_assert_eq!(info_key, conn_key, "client and connection slabs in step");
    debug!("accepted client {id} from {peer}");
}
