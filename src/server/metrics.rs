//! The Prometheus endpoint (`--metrics-port`): `GET /metrics` over HTTP/1.x, served
//! by the event loop itself (no thread). Read-only (it runs no command), bounded
//! (at most [`MAX_CONNS`] connections, [`MAX_REQUEST`] bytes of request each, closed
//! after one response), on the bind address.

use std::io::{Read, Write};

use super::*;

/// The metrics listener's token.
pub(super) const METRICS_LISTENER: Token = Token(usize::MAX - 3);
/// Metrics connections have tokens from here up (client tokens are slab indexes,
/// far below).
pub(super) const METRICS_BASE: usize = usize::MAX / 2;
/// Most metrics connections at once; more are closed at accept (a scraper needs one).
const MAX_CONNS: usize = 16;
/// Longest request head accepted; a longer one is answered 431 and closed.
const MAX_REQUEST: usize = 8 * 1024;

/// The endpoint: its listener and open connections.
#[derive(Debug)]
pub(super) struct Metrics {
    listener: TcpListener,
    conns: Slab<HttpConn>,
}

#[derive(Debug)]
struct HttpConn {
    stream: TcpStream,
    request: Vec<u8>,
    response: Vec<u8>,
    written: usize,
}

impl Metrics {
    /// Listens on `addr` (the bind address, the metrics port).
    pub(super) fn bind(addr: SocketAddr, registry: &Registry) -> io::Result<Metrics> {
        let mut listener = TcpListener::bind(addr)?;
        registry.register(&mut listener, METRICS_LISTENER, Interest::READABLE)?;
        info!(
            "Serving metrics on http://{}/metrics",
            listener.local_addr()?
        );
        Ok(Metrics {
            listener,
            conns: Slab::new(),
        })
    }
}

impl Server {
    /// Accepts waiting metrics connections (beyond [`MAX_CONNS`] they are closed).
    pub(super) fn metrics_accept(&mut self) {
        let Some(m) = self.metrics.as_mut() else {
            return;
        };
        loop {
            match m.listener.accept() {
                Ok((mut stream, _)) => {
                    if m.conns.len() >= MAX_CONNS {
                        continue;
                    }
                    let entry = m.conns.vacant_entry();
                    let token = Token(METRICS_BASE + entry.key());
                    if self
                        .poll
                        .registry()
                        .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                        .is_ok()
                    {
                        entry.insert(HttpConn {
                            stream,
                            request: Vec::new(),
                            response: Vec::new(),
                            written: 0,
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
    }

    /// Reads a request, answers it, writes what the socket takes; closes when done.
    pub(super) fn metrics_event(&mut self, index: usize) {
        let Some(m) = self.metrics.as_mut() else {
            return;
        };
        let Some(conn) = m.conns.get_mut(index) else {
            return;
        };
        if conn.response.is_empty() {
            let mut chunk = [0u8; 4096];
            let mut gone = false;
            loop {
                match conn.stream.read(&mut chunk) {
                    Ok(0) => {
                        gone = true;
                        break;
                    }
                    Ok(n) => {
                        conn.request.extend_from_slice(&chunk[..n]);
                        if conn.request.len() > MAX_REQUEST {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        gone = true;
                        break;
                    }
                }
            }
            let head_done = conn.request.windows(4).any(|w| w == b"\r\n\r\n")
                || conn.request.windows(2).any(|w| w == b"\n\n");
            if !head_done && conn.request.len() <= MAX_REQUEST {
                if gone {
                    let mut conn = m.conns.remove(index);
                    let _ = self.poll.registry().deregister(&mut conn.stream);
                }
                return;
            }
            let request = std::mem::take(&mut conn.request);
            let response = self.metrics_response(&request);
            let Some(conn) = self.metrics.as_mut().and_then(|m| m.conns.get_mut(index)) else {
                return;
            };
            conn.response = response;
        }
        let Some(m) = self.metrics.as_mut() else {
            return;
        };
        let Some(conn) = m.conns.get_mut(index) else {
            return;
        };
        while conn.written < conn.response.len() {
            match conn.stream.write(&conn.response[conn.written..]) {
                Ok(0) => break,
                Ok(n) => conn.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => break,
            }
        }
        let mut conn = m.conns.remove(index);
        let _ = self.poll.registry().deregister(&mut conn.stream);
    }

    /// The HTTP response to a request head.
    fn metrics_response(&mut self, request: &[u8]) -> Vec<u8> {
        let line = request.split(|&b| b == b'\n').next().unwrap_or(b"");
        let mut words = line.split(|&b| b == b' ');
        let method = words.next().unwrap_or(b"");
        let path = words.next().unwrap_or(b"");
        let path = path.split(|&b| b == b'?').next().unwrap_or(b"");
        let (status, body, kind): (&str, String, &str) = if request.len() > MAX_REQUEST {
            (
                "431 Request Header Fields Too Large",
                String::new(),
                "text/plain",
            )
        } else if method != b"GET" && method != b"HEAD" {
            ("405 Method Not Allowed", "only GET\n".into(), "text/plain")
        } else if path != b"/metrics" {
            ("404 Not Found", "see /metrics\n".into(), "text/plain")
        } else {
            let mut scratch = bytes::BytesMut::new();
            let now = self.clock.unix_ms(Instant::now());
            let ctx = Ctx {
                store: &mut self.store,
                server: &mut self.state,
                me: usize::MAX,
                out: Reply::new(&mut scratch, crate::protocol::RespVersion::V2),
                now,
            };
            let text = commands::server::metrics::render(&ctx);
            ("200 OK", text, "text/plain; version=0.0.4; charset=utf-8")
        };
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        if method != b"HEAD" {
            out.extend_from_slice(body.as_bytes());
        }
        out
    }
}

/// The address the metrics endpoint listens on: the first bind address's.
pub(super) fn metrics_ip(listeners: &[TcpListener]) -> std::net::IpAddr {
    listeners
        .first()
        .and_then(|l| l.local_addr().ok())
        .map_or(std::net::IpAddr::from([127, 0, 0, 1]), |a| a.ip())
}
