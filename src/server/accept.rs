//! Accepting connections: maxclients, protected mode, registration.

use super::*;

impl Server {
    pub(super) fn accept_all(&mut self) {
        if !accept_all(
            &self.listeners,
            self.poll.registry(),
            &mut self.conns,
            &mut self.state,
        ) {
            self.accept_pending = true;
        }
    }
}

/// Accepts every connection waiting in the backlogs of `listeners`; false when an
/// accept failed (e.g. out of file descriptors) and must be retried later.
pub(super) fn accept_all(
    listeners: &[TcpListener],
    registry: &Registry,
    conns: &mut Slab<Conn>,
    state: &mut ServerState,
) -> bool {
    // Every listener is drained, even after one failed.
    let mut ok = true;
    for listener in listeners {
        ok &= accept_from(listener, registry, conns, state);
    }
    ok
}

fn accept_from(
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
                warn!("accept failed: {e}");
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
