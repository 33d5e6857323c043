//! Pipelining and flow control against a real server: many requests per write, one byte
//! per write, a big bulk in random pieces, half-close, a client that does not read,
//! and QUIT.
mod common;

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::thread;

use common::*;
use rudis::protocol::Frame;
use rudis::store::Rng;

/// These tests move tens to hundreds of megabytes and one measures the process's
/// memory: they run one at a time.
static HEAVY: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes `bytes` from another thread (so the test can read replies meanwhile).
fn write_in_background(stream: &TcpStream, bytes: Vec<u8>) -> thread::JoinHandle<()> {
    let mut w = stream.try_clone().expect("clone socket");
    thread::spawn(move || w.write_all(&bytes).expect("write requests"))
}

#[test]
fn ten_thousand_set_get_pairs_in_one_write() {
    let _g = one_at_a_time();
    let server = start_server();
    let mut c = server.raw();
    const N: usize = 10_000;
    let mut stream = Vec::new();
    for i in 0..N {
        stream.extend_from_slice(&Frame::command(&[
            "SET",
            &format!("key:{i}"),
            &format!("v{i}"),
        ]));
        stream.extend_from_slice(&Frame::command(&["GET", &format!("key:{i}")]));
    }
    let writer = write_in_background(&c.stream, stream);
    for i in 0..N {
        assert_eq!(c.read_frame(), simple("OK"), "SET #{i}");
        assert_eq!(c.read_frame(), bulk(&format!("v{i}")), "GET #{i}");
    }
    writer.join().expect("writer");
    assert_eq!(c.cmd(&["DBSIZE"]), int(N as i64));
}

/// A request stream mixing every request form, and the replies it must get.
fn mixed_stream() -> (Vec<u8>, Vec<Frame>) {
    let big = "x".repeat(5000);
    let mut s = Vec::new();
    let mut want = Vec::new();
    let cmd = |s: &mut Vec<u8>, args: &[&str]| s.extend_from_slice(&Frame::command(args));
    s.extend_from_slice(b"PING\r\n");
    want.push(simple("PONG"));
    cmd(&mut s, &["SET", "a", "1"]);
    want.push(simple("OK"));
    cmd(&mut s, &["GET", "a"]);
    want.push(bulk("1"));
    s.extend_from_slice(b"\r\n\n*0\r\n*-1\r\n");
    s.extend_from_slice(b"set b \"hello world\"\r\n");
    want.push(simple("OK"));
    s.extend_from_slice(b"GET b\n");
    want.push(bulk("hello world"));
    cmd(&mut s, &["ECHO", "x\r\ny\0z"]);
    want.push(bulk("x\r\ny\0z"));
    for (args, reply) in [
        (&["SELECT", "1"][..], simple("OK")),
        (&["SET", "a", "2"], simple("OK")),
        (&["GET", "a"], bulk("2")),
        (&["DBSIZE"], int(1)),
        (&["SELECT", "0"], simple("OK")),
        (&["GET", "a"], bulk("1")),
        (&["DEL", "a", "b", "nope"], int(2)),
        (&["DBSIZE"], int(0)),
        (
            &["FOO", "bar"],
            error("ERR unknown command 'FOO', with args beginning with: 'bar' "),
        ),
        (
            &["GET"],
            error("ERR wrong number of arguments for 'get' command"),
        ),
        (&["ECHO", &big], bulk(&big)),
    ] {
        cmd(&mut s, args);
        want.push(reply);
    }
    s.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$3\r\ndoc\r\n%1\r\n+k\r\n*2\r\n:1\r\n#t\r\n");
    want.push(simple("OK"));
    cmd(&mut s, &["GET", "doc"]);
    want.push(Frame::Map(vec![(
        simple("k"),
        Frame::Array(vec![int(1), Frame::Boolean(true)]),
    )]));
    s.extend_from_slice(b"PING \"last one\"\r\n");
    want.push(bulk("last one"));
    (s, want)
}

#[test]
fn one_byte_per_write_gives_the_same_replies() {
    let _g = one_at_a_time();
    let (stream, want) = mixed_stream();

    let whole_server = start_server();
    let mut whole = whole_server.raw();
    whole.send(&stream);
    let got: Vec<Frame> = (0..want.len()).map(|_| whole.read_frame()).collect();
    assert_eq!(got, want);

    let server = start_server();
    let mut c = server.raw();
    for &b in &stream {
        c.stream.write_all(&[b]).expect("write");
        c.stream.flush().expect("flush");
    }
    let got: Vec<Frame> = (0..want.len()).map(|_| c.read_frame()).collect();
    assert_eq!(got, want);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn a_20mb_value_in_random_pieces_is_stored_intact() {
    let _g = one_at_a_time();
    let server = start_server();
    let mut c = server.raw();
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let value: Vec<u8> = (0..20 * 1024 * 1024)
        .map(|_| rng.next_u64() as u8)
        .collect();
    let request = Frame::command(&[b"SET".as_slice(), b"big", &value]);
    let mut w = c.stream.try_clone().expect("clone");
    let writer = thread::spawn(move || {
        let mut rng = Rng::new(42);
        let mut at = 0;
        while at < request.len() {
            let end = (at + 1 + rng.below(64 * 1024)).min(request.len());
            w.write_all(&request[at..end]).expect("write piece");
            w.flush().expect("flush");
            at = end;
        }
    });
    assert_eq!(c.read_frame(), simple("OK"));
    writer.join().expect("writer");
    match c.cmd(&["GET", "big"]) {
        Frame::Bulk(got) => {
            assert_eq!(got.len(), value.len());
            assert!(got == value, "GET returned different bytes");
        }
        other => panic!("GET big: {:?}", Frame::as_bytes(&other).map(<[u8]>::len)),
    }
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn half_close_still_gets_every_reply() {
    let _g = one_at_a_time();
    let server = start_server();
    let mut c = server.raw();
    for args in [
        &["SET", "a", "1"][..],
        &["GET", "a"],
        &["PING"],
        &["ECHO", "x"],
        &["DBSIZE"],
    ] {
        c.send_cmd(args);
    }
    c.shutdown_write();
    for reply in [simple("OK"), bulk("1"), simple("PONG"), bulk("x"), int(1)] {
        assert_eq!(c.read_frame(), reply);
    }
    c.expect_closed();
}

#[test]
fn half_close_with_more_output_than_the_high_water_mark() {
    let _g = one_at_a_time();
    let server = start_server();
    let value = "v".repeat(1024 * 1024);
    let mut setup = server.raw();
    assert_eq!(setup.cmd(&["SET", "big", &value]), simple("OK"));
    // 12 MB of replies, three times the output high-water mark, then the peer's FIN.
    let mut c = server.raw();
    let mut stream = Vec::new();
    for _ in 0..12 {
        stream.extend_from_slice(&Frame::command(&["GET", "big"]));
    }
    stream.extend_from_slice(&Frame::command(&["PING"]));
    c.send(&stream);
    c.shutdown_write();
    for i in 0..12 {
        match c.try_read_frame() {
            Some(Frame::Bulk(b)) => assert_eq!(b.len(), value.len(), "GET #{i}"),
            other => panic!(
                "GET #{i}: {:?}",
                other.map(|f| Frame::as_bytes(&f).map(<[u8]>::len))
            ),
        }
    }
    assert_eq!(c.try_read_frame(), Some(simple("PONG")));
    c.expect_closed();
}

/// Resident memory of this process (server included), in bytes.
fn rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .expect("VmRSS")
        * 1024
}

#[test]
fn a_client_that_does_not_read_cannot_make_the_server_buffer_its_output() {
    let _g = one_at_a_time();
    let server = start_server();
    let value = "v".repeat(1024);
    let mut other = server.raw();
    assert_eq!(other.cmd(&["SET", "v", &value]), simple("OK"));
    const N: usize = 200_000;
    let one = Frame::command(&["GET", "v"]);
    let requests: Vec<u8> = one.iter().copied().cycle().take(one.len() * N).collect();
    let base = rss();

    // The writer reports when it first finds the socket full (the server stopped
    // reading) or when it has written everything.
    let c = server.raw();
    let mut w = c.stream.try_clone().expect("clone");
    let (tx, rx) = mpsc::channel();
    let writer = thread::spawn(move || {
        w.set_nonblocking(true).expect("nonblocking");
        let mut at = 0;
        while at < requests.len() {
            match w.write(&requests[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    // Blocking again before telling: the reader shares the socket.
                    w.set_nonblocking(false).expect("blocking");
                    let _ = tx.send("blocked");
                }
                Err(e) => panic!("write: {e}"),
            }
        }
        w.set_nonblocking(false).expect("blocking");
        let _ = tx.send("done");
    });
    let _first = rx.recv().expect("writer news");

    // The server is not stuck on that client.
    assert_eq!(other.cmd(&["PING"]), simple("PONG"));
    assert_eq!(other.cmd(&["GET", "v"]), bulk(&value));
    let mut peak = rss();

    let mut c = c;
    let want = bulk(&value);
    for i in 0..N {
        if i % 5000 == 0 {
            peak = peak.max(rss());
        }
        assert!(c.read_frame() == want, "reply #{i}");
    }
    writer.join().expect("writer");
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    let grown = peak.saturating_sub(base);
    // 200 MB of replies were produced; at most a few MB may wait in the server.
    assert!(
        grown < 64 * 1024 * 1024,
        "memory grew by {} MB while the client was not reading",
        grown / (1024 * 1024)
    );
}

#[test]
fn quit_replies_ok_then_closes() {
    let _g = one_at_a_time();
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    // What is pipelined after QUIT is not run.
    let mut stream = Frame::command(&["QUIT"]);
    stream.extend_from_slice(&Frame::command(&["DEL", "k"]));
    c.send(&stream);
    assert_eq!(c.try_read_frame(), Some(simple("OK")));
    assert_eq!(c.try_read_frame(), None);
    assert_eq!(server.raw().cmd(&["GET", "k"]), bulk("v"));
    let mut inline = server.raw();
    inline.send(b"QUIT\r\n");
    assert_eq!(inline.try_read_frame(), Some(simple("OK")));
    inline.expect_closed();
}
