//! Test harness: a real server on 127.0.0.1:0 in a background thread, and helpers to
//! talk to it with raw bytes. No sleeps, no fixed ports.
#![allow(dead_code)]

pub mod acl;
pub mod binary;
pub mod real_redis;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use rudis::protocol::Frame;
use rudis::server::ShutdownHandle;
use rudis::{Config, Server};

/// Longest a test waits for a reply before failing (a hang is a failure, not a wait).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// A server running for one test; stopped when dropped.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The server's own snapshot directory (`dir`), removed when it stops: a SAVE
    /// (e.g. by a command sweep) never leaves a dump.rdb that other servers load.
    scratch_dir: std::path::PathBuf,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.scratch_dir);
    }
}

/// A new empty directory under the system temp dir, unique to this call.
pub fn scratch_dir(tag: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("rudis-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).expect("create scratch dir");
    path
}

/// Starts a server with default settings on a free port.
pub fn start_server() -> TestServer {
    start_server_with(|_| {})
}

/// Starts a server after letting `tweak` change its configuration.
pub fn start_server_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
    let scratch_dir = scratch_dir("server");
    let mut config = Config {
        port: 0,
        dir: scratch_dir.clone(),
        ..Config::default()
    };
    tweak(&mut config);
    // The server lives on its thread from the start: it holds the Lua interpreter,
    // which is not `Send`.
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let server = Server::bind(config).expect("bind 127.0.0.1:0");
        let addr = server.local_addr().expect("local addr");
        tx.send((addr, server.shutdown_handle()))
            .expect("report the address");
        server.run().expect("server loop")
    });
    let (addr, handle) = rx.recv().expect("server started");
    TestServer {
        addr,
        handle,
        thread: Some(thread),
        scratch_dir,
    }
}

impl TestServer {
    /// A raw connection to this server.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.addr)
    }

    /// A `redis` crate connection (a real third-party client).
    pub fn redis(&self) -> redis::Connection {
        redis::Client::open(format!("redis://{}/", self.addr))
            .expect("client")
            .get_connection()
            .expect("connect")
    }

    /// The `redis://` URL of this server.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }
}

/// A raw socket that sends bytes and reads whole RESP frames.
pub struct Raw {
    /// The socket.
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends a command as an array of bulk strings.
    pub fn send_cmd(&mut self, args: &[&str]) {
        self.send(&Frame::command(args));
    }

    /// Sends a command and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Frame {
        self.send_cmd(args);
        self.read_frame()
    }

    /// Reads the next whole reply frame (panics on timeout or close).
    pub fn read_frame(&mut self) -> Frame {
        self.try_read_frame()
            .expect("connection closed before a reply")
    }

    /// Reads the next reply frame, or None if the server closed the connection first.
    pub fn try_read_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some((frame, used)) = Frame::decode(&self.buf).expect("valid RESP from server") {
                self.buf.drain(..used);
                return Some(frame);
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk).expect("read reply");
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads exactly `n` bytes of raw reply.
    pub fn read_exact_bytes(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            let mut chunk = [0u8; 64 * 1024];
            let got = self.stream.read(&mut chunk).expect("read reply");
            assert!(got > 0, "closed after {} of {n} bytes", self.buf.len());
            self.buf.extend_from_slice(&chunk[..got]);
        }
        self.buf.drain(..n).collect()
    }

    /// Asserts that the server closes the connection (after any pending replies are read).
    pub fn expect_closed(&mut self) {
        let mut chunk = [0u8; 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
                Err(e) => panic!("expected close, got {e}"),
            }
        }
    }

    /// Closes the sending side (half-close).
    pub fn shutdown_write(&mut self) {
        self.stream.shutdown(Shutdown::Write).expect("shutdown");
    }
}

/// Longest a test waits for a key to expire.
pub const EXPIRY_WAIT: Duration = Duration::from_secs(5);

/// Polls GET until `key` is gone; panics after [`EXPIRY_WAIT`].
pub fn wait_gone(c: &mut Raw, key: &str) {
    let deadline = std::time::Instant::now() + EXPIRY_WAIT;
    while c.cmd(&["GET", key]) != Frame::Null {
        assert!(std::time::Instant::now() < deadline, "{key} did not expire");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A SET request whose value is the document `doc` (raw RESP bytes).
pub fn set_doc_request(key: &str, doc: &[u8]) -> Vec<u8> {
    let mut req = format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n", key.len()).into_bytes();
    req.extend_from_slice(doc);
    req
}

/// Stores the document `doc` at `key` and checks the `+OK`.
pub fn set_doc(c: &mut Raw, key: &str, doc: &[u8]) {
    c.send(&set_doc_request(key, doc));
    assert_eq!(c.read_frame(), simple("OK"));
}

/// Sends `args` and checks the server answers it: the connection stays open, and an
/// error reply starts with an uppercase code (`ERR`, `WRONGTYPE`, ...). Returns the reply.
pub fn assert_answers(c: &mut Raw, args: &[&str]) -> Frame {
    c.send_cmd(args);
    let reply = c
        .try_read_frame()
        .unwrap_or_else(|| panic!("server closed the connection on {args:?}"));
    if let Frame::Error(e) = &reply {
        assert!(
            e.split(' ')
                .next()
                .is_some_and(|w| w.chars().all(|ch| ch.is_ascii_uppercase())),
            "error without a code for {args:?}: {e}"
        );
    }
    reply
}

/// The text of a bulk or verbatim string reply (panics on any other reply).
pub fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a string: {other:?}"),
    }
}

/// A bulk string frame.
pub fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

/// A simple string frame.
pub fn simple(s: &str) -> Frame {
    Frame::Simple(s.to_string())
}

/// An error frame.
pub fn error(s: &str) -> Frame {
    Frame::Error(s.to_string())
}

/// An integer frame.
pub fn int(n: i64) -> Frame {
    Frame::Integer(n)
}

/// Runs Redis's `redis-check-aof` on an AOF manifest and asserts that it accepts the
/// directory (CI installs redis-tools; without it the check is skipped, said so).
pub fn assert_redis_check_aof(manifest: &std::path::Path) {
    match std::process::Command::new("redis-check-aof")
        .arg(manifest)
        .output()
    {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}");
            assert!(
                text.contains("All AOF files and manifest are valid"),
                "{text}"
            );
        }
        Err(e) => eprintln!("redis-check-aof not installed ({e}): skipped"),
    }
}
