//! A thread-safe pool of idle connections (the seed roadmap's "connection pooling").

use std::net::{SocketAddr, ToSocketAddrs};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Client, ClientError};

/// Connections to one server, shared by clones of this handle across threads.
///
/// [`Pool::get`] hands out an idle connection, or opens one; the [`PooledClient`]
/// goes back to the pool when dropped, unless it failed or changed its connection
/// state (see [`Client::is_reusable`]), or `max_idle` connections already wait.
///
/// ```no_run
/// # fn main() -> Result<(), rudis::client::ClientError> {
/// let pool = rudis::Pool::new("127.0.0.1:31337", 8)?;
/// let mut conn = pool.get()?;
/// conn.set("key", "value")?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    addrs: Vec<SocketAddr>,
    max_idle: usize,
    idle: Mutex<Vec<Client>>,
    opened: AtomicU64,
    reused: AtomicU64,
}

impl Shared {
    /// The idle list; a panic while it was held cannot leave it inconsistent (pushes
    /// and pops only), so a poisoned lock is simply taken over.
    fn idle(&self) -> MutexGuard<'_, Vec<Client>> {
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Pool {
    /// A pool for the server at `addr` keeping at most `max_idle` idle connections.
    /// Connections are opened on demand, none up front.
    ///
    /// # Errors
    /// [`ClientError::Io`] when `addr` does not resolve.
    pub fn new(addr: impl ToSocketAddrs, max_idle: usize) -> Result<Pool, ClientError> {
        let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
        if addrs.is_empty() {
            return Err(ClientError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "address resolved to nothing",
            )));
        }
        Ok(Pool {
            shared: Arc::new(Shared {
                addrs,
                max_idle,
                idle: Mutex::new(Vec::new()),
                opened: AtomicU64::new(0),
                reused: AtomicU64::new(0),
            }),
        })
    }

    /// An idle connection that is still open, or a new one.
    ///
    /// # Errors
    /// [`ClientError::Io`] when a new connection cannot be opened.
    pub fn get(&self) -> Result<PooledClient, ClientError> {
        loop {
            let Some(client) = self.shared.idle().pop() else {
                break;
            };
            // Checked outside the lock; one the server closed meanwhile is dropped.
            if client.idle_and_open() {
                self.shared.reused.fetch_add(1, Ordering::Relaxed);
                return Ok(self.wrap(client));
            }
        }
        let client = Client::connect(&self.shared.addrs[..])?;
        self.shared.opened.fetch_add(1, Ordering::Relaxed);
        Ok(self.wrap(client))
    }

    fn wrap(&self, client: Client) -> PooledClient {
        PooledClient {
            client: Some(client),
            shared: Arc::clone(&self.shared),
        }
    }

    /// How many TCP connections this pool has opened in all.
    pub fn connections_opened(&self) -> u64 {
        self.shared.opened.load(Ordering::Relaxed)
    }

    /// How many times [`Pool::get`] handed out an idle connection instead of opening one.
    pub fn reuses(&self) -> u64 {
        self.shared.reused.load(Ordering::Relaxed)
    }

    /// How many connections wait in the pool now.
    pub fn idle_count(&self) -> usize {
        self.shared.idle().len()
    }

    /// The most idle connections the pool keeps.
    pub fn max_idle(&self) -> usize {
        self.shared.max_idle
    }
}

/// A connection on loan from a [`Pool`]; derefs to [`Client`] and goes back to the
/// pool when dropped.
#[derive(Debug)]
pub struct PooledClient {
    /// Always `Some` until dropped or detached.
    client: Option<Client>,
    shared: Arc<Shared>,
}

impl PooledClient {
    /// Takes the connection out of the pool for good.
    pub fn detach(mut self) -> Client {
        match self.client.take() {
            Some(client) => client,
            None => unreachable!("a PooledClient holds its client until dropped"),
        }
    }

    fn client(&self) -> &Client {
        match &self.client {
            Some(client) => client,
            None => unreachable!("a PooledClient holds its client until dropped"),
        }
    }
}

impl Deref for PooledClient {
    type Target = Client;

    fn deref(&self) -> &Client {
        self.client()
    }
}

impl DerefMut for PooledClient {
    fn deref_mut(&mut self) -> &mut Client {
        match &mut self.client {
            Some(client) => client,
            None => unreachable!("a PooledClient holds its client until dropped"),
        }
    }
}

impl Drop for PooledClient {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if !client.is_reusable() {
            return;
        }
        let mut idle = self.shared.idle();
        if idle.len() < self.shared.max_idle {
            idle.push(client);
        }
    }
}
