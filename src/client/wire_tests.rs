//! The client against canned-reply mocks: the exact bytes every typed helper sends,
//! how unexpected replies, closes and timeouts are reported, and the pool's liveness check.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::*;

/// Longest a test waits for bytes (a hang is a failure, not a wait).
const TIMEOUT: Duration = Duration::from_secs(10);

fn connect(addr: SocketAddr) -> Client {
    let client = Client::connect(addr).expect("connect");
    client.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    client
}

#[test]
fn the_pool_skips_idle_connections_the_server_closed() {
    // A server that answers one PING per connection, then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut sock, _) = listener.accept().expect("accept");
            read_command(&mut sock).expect("ping");
            sock.write_all(b"+PONG\r\n").expect("reply");
        }
    });
    let pool = Pool::new(addr, 1).expect("pool");
    pool.get().expect("get").ping().expect("ping");
    // The close reaches the client asynchronously: borrow until the pool notices.
    for _ in 0..10_000 {
        if pool.connections_opened() == 2 {
            break;
        }
        drop(pool.get().expect("get"));
        std::thread::yield_now();
    }
    assert_eq!(pool.connections_opened(), 2);
    let mut conn = pool.get().expect("the new connection");
    conn.ping().expect("ping on the new connection");
    drop(conn);
    server.join().expect("mock");
}

// ---- exact bytes, against a mock that replies canned RESP ----

/// Reads one whole command (a RESP array) from `sock`; None at end of stream.
fn read_command(sock: &mut TcpStream) -> Option<Vec<u8>> {
    sock.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let mut buf = Vec::new();
    loop {
        if let Some((_, used)) = Frame::decode(&buf).expect("valid RESP from the client") {
            assert_eq!(used, buf.len(), "one command at a time");
            return Some(buf);
        }
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).expect("read");
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A one-connection server that answers each command with the next canned reply and
/// returns the commands it received.
fn mock(replies: &[&'static str]) -> (SocketAddr, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let replies: Vec<&'static str> = replies.to_vec();
    let handle = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().expect("accept");
        let mut seen = Vec::new();
        for reply in replies {
            let Some(cmd) = read_command(&mut sock) else {
                break;
            };
            seen.push(String::from_utf8_lossy(&cmd).into_owned());
            sock.write_all(reply.as_bytes()).expect("reply");
        }
        seen
    });
    (addr, handle)
}

#[test]
fn typed_helpers_send_the_seed_commands() {
    let (addr, mock) = mock(&[
        ":3\r\n",
        ":6\r\n",
        ":1\r\n",
        ":0\r\n",
        ":-2\r\n",
        ":2\r\n",
        "+PONG\r\n",
        "+OK\r\n",
        "%1\r\n$1\r\na\r\n:1\r\n",
    ]);
    let mut client = connect(addr);
    assert_eq!(client.flush().expect("flush"), 3);
    assert_eq!(client.incr("n").expect("incr"), 6);
    assert!(client.expire("k", 10).expect("expire"));
    assert!(!client.expire("k", -1).expect("expire"));
    assert_eq!(client.ttl("k").expect("ttl"), -2);
    assert_eq!(client.delete(&["a", "b"]).expect("del"), 2);
    client.ping().expect("ping");
    client.set("doc", &BTreeMap::from([("a", 1)])).expect("set");
    let got: Option<BTreeMap<String, i32>> = client.get("doc").expect("get");
    assert_eq!(got, Some(BTreeMap::from([("a".into(), 1)])));
    // Nothing is sent for empty key lists.
    assert_eq!(client.delete::<&str>(&[]).expect("del"), 0);
    assert_eq!(client.mget::<i32, &str>(&[]).expect("mget"), vec![]);
    client.mset::<&str, i32>(&[]).expect("mset");
    drop(client);
    assert_eq!(
        mock.join().expect("mock"),
        [
            "*1\r\n$5\r\nFLUSH\r\n",
            "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n",
            "*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n10\r\n",
            "*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n-1\r\n",
            "*2\r\n$3\r\nTTL\r\n$1\r\nk\r\n",
            "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n",
            "*1\r\n$4\r\nPING\r\n",
            "*3\r\n$3\r\nSET\r\n$3\r\ndoc\r\n%1\r\n$1\r\na\r\n:1\r\n",
            "*2\r\n$3\r\nGET\r\n$3\r\ndoc\r\n",
        ]
    );
}

#[test]
fn mget_and_mset_send_keys_and_encoded_values() {
    let (addr, mock) = mock(&[
        "+OK\r\n",
        "+OK\r\n",
        "*3\r\n*1\r\n:1\r\n$-1\r\n*1\r\n:5\r\n",
        "*2\r\n%1\r\n$1\r\nx\r\n#t\r\n_\r\n",
    ]);
    let mut client = connect(addr);
    client.mset(&[("a", "v1"), ("b", "v2")]).expect("mset");
    client
        .mset(&[("a", &vec![1]), ("b", &vec![])])
        .expect("mset docs");
    let got: Vec<Option<Vec<i64>>> = client.mget(&["a", "b", "c"]).expect("mget");
    assert_eq!(got, vec![Some(vec![1]), None, Some(vec![5])]);
    let got: Vec<Option<HashMap<String, bool>>> = client.mget(&["x", "y"]).expect("mget");
    assert_eq!(got, vec![Some(HashMap::from([("x".into(), true)])), None]);
    drop(client);
    assert_eq!(
        mock.join().expect("mock"),
        [
            "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$2\r\nv1\r\n$1\r\nb\r\n$2\r\nv2\r\n",
            "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n*1\r\n:1\r\n$1\r\nb\r\n*0\r\n",
            "*4\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
            "*3\r\n$4\r\nMGET\r\n$1\r\nx\r\n$1\r\ny\r\n",
        ]
    );
}

#[test]
fn unexpected_and_error_replies_are_reported() {
    let (addr, mock) = mock(&[
        "+OK\r\n",
        "-ERR value is not an integer or out of range\r\n",
        "$2\r\nhi\r\n",
        ":1\r\n",
        "*1\r\n$1\r\na\r\n",
    ]);
    let mut client = connect(addr);
    let err = client.flush().expect_err("+OK is not a count");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    let err = client.incr("n").expect_err("server error");
    assert_eq!(
        err.to_string(),
        "ERR value is not an integer or out of range"
    );
    let err = client.ping().expect_err("not PONG");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    let err = client.set("k", "v").expect_err("not OK");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    let err = client
        .mget::<String, _>(&["a", "b"])
        .expect_err("one reply for two keys");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    assert!(client.is_reusable(), "replies were whole: still in step");
    // The mock has hung up: the next call fails and breaks the client.
    let err = client.ping().expect_err("closed");
    assert!(matches!(err, ClientError::Io(_)), "{err:?}");
    assert!(client.is_broken());
    mock.join().expect("mock");
}

#[test]
fn a_read_timeout_breaks_the_client() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mock = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().expect("accept");
        read_command(&mut sock).expect("command");
        // Never reply; hold the socket until the test is done.
        let _ = done_rx.recv();
    });
    let mut client = Client::connect(addr).expect("connect");
    client
        .set_read_timeout(Some(Duration::from_millis(50)))
        .expect("timeout");
    let err = client.ping().expect_err("times out");
    assert!(matches!(err, ClientError::Io(_)), "{err:?}");
    assert!(client.is_broken());
    done_tx.send(()).expect("signal");
    mock.join().expect("mock");
}
