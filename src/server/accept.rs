//! Accepting connections: maxclients, protected mode, registration.

use super::*;

impl Server {
    pub(super) fn accept_all(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => self.register(stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE and friends: connections stay queued in the backlog and
                    // no new edge announces them, so the cron tries again.
                    warn!("accept failed: {e}");
                    self.accept_pending = true;
                    return;
                }
            }
        }
    }

    pub(super) fn register(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        self.state.stats.connections_received += 1;
        if self.conns.len() >= self.state.config.maxclients {
            self.state.stats.rejected_connections += 1;
            let _ = io::Write::write(&mut stream, b"-ERR max number of clients reached\r\n");
            return;
        }
        let config = &self.state.config;
        let password_set = !self.state.acl.default_user().nopass;
        if acl::protected::denies(peer.ip(), &config.bind, password_set, config.protected_mode) {
            self.state.stats.rejected_connections += 1;
            let _ = io::Write::write(&mut stream, acl::protected::DENIED);
            debug!("refused client {peer}: protected mode");
            return;
        }
        let _ = stream.set_nodelay(true);
        let token = self.conns.vacant_key();
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut stream, Token(token), Interest::READABLE)
        {
            warn!("could not register client {peer}: {e}");
            return;
        }
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let id = self.state.next_client_id;
        self.state.next_client_id += 1;
        let mut info = ClientInfo::new(id, peer.to_string(), laddr, store::now_ms());
        info.authenticated = self.state.acl.new_client_authenticated();
        let info_key = self.state.clients.insert(info);
        let conn_key = self.conns.insert(Conn::new(stream));
        debug_assert_eq!(info_key, conn_key, "client and connection slabs in step");
        debug!("accepted client {id} from {peer}");
    }
}
