//! CLIENT PAUSE WRITE / ALL and CLIENT UNPAUSE through a real client (the `redis`
//! crate): held commands wait unanswered (counted in INFO's blocked_clients), are
//! served in order once the pause ends (by UNPAUSE or its timeout), and nothing
//! expires while clients are paused. Held commands run on their own threads; the
//! test learns they are held from INFO, never from a sleep.

mod common;

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use common::{REPLY_TIMEOUT, start_server, start_server_with};
use redis::{Commands, Connection};

/// An INFO field as an integer.
fn info_int(c: &mut Connection, section: &str, name: &str) -> i64 {
    let info: String = redis::cmd("INFO").arg(section).query(c).expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}

/// Polls until INFO's blocked_clients is `n`.
fn wait_blocked(c: &mut Connection, n: i64) {
    let deadline = Instant::now() + REPLY_TIMEOUT;
    while info_int(c, "clients", "blocked_clients") != n {
        assert!(
            Instant::now() < deadline,
            "blocked_clients never reached {n}"
        );
    }
}

/// Runs `f` on connection `c` in its own thread; its result arrives on the channel.
/// (Connections are made before a pause: the client's handshake would wait too.)
fn spawn<T: Send + 'static>(
    mut c: Connection,
    f: impl FnOnce(&mut Connection) -> T + Send + 'static,
) -> Receiver<T> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f(&mut c));
    });
    rx
}

/// `CLIENT PAUSE ms mode`.
fn pause(c: &mut Connection, ms: u64, mode: &str) {
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(ms)
        .arg(mode)
        .query(c)
        .expect("CLIENT PAUSE");
}

fn unpause(c: &mut Connection) {
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query(c)
        .expect("CLIENT UNPAUSE");
}

#[test]
fn a_write_pause_holds_writes_then_serves_them_in_order() {
    let server = start_server();
    let mut admin = server.redis();
    let _: () = admin.set("k", "before").unwrap();
    let (c1, c2) = (server.redis(), server.redis());
    pause(&mut admin, 100_000, "WRITE");
    // One client's pipeline of writes waits whole, another's MULTI/EXEC too.
    let writes = spawn(c1, |c| {
        redis::pipe()
            .incr("n", 1)
            .incr("n", 1)
            .set("k", "after")
            .incr("n", 1)
            .query::<(i64, i64, String, i64)>(c)
    });
    let tx = spawn(c2, |c| {
        redis::pipe()
            .atomic()
            .rpush("list", "a")
            .get("n")
            .query::<(i64, Option<i64>)>(c)
    });
    wait_blocked(&mut admin, 2);
    // Reads are served meanwhile and see nothing of the held writes.
    let mut reader = server.redis();
    assert_eq!(reader.get::<_, String>("k").unwrap(), "before");
    assert_eq!(reader.get::<_, Option<i64>>("n").unwrap(), None);
    let exists: i64 = reader.exists("list").unwrap();
    assert_eq!(exists, 0);
    assert_eq!(writes.try_recv().err(), Some(TryRecvError::Empty));
    assert_eq!(tx.try_recv().err(), Some(TryRecvError::Empty));
    unpause(&mut admin);
    let served = writes.recv_timeout(REPLY_TIMEOUT).expect("writes served");
    assert_eq!(served.unwrap(), (1, 2, "OK".to_string(), 3));
    let (len, _) = tx
        .recv_timeout(REPLY_TIMEOUT)
        .expect("EXEC served")
        .unwrap();
    assert_eq!(len, 1);
    assert_eq!(reader.get::<_, String>("k").unwrap(), "after");
    assert_eq!(info_int(&mut admin, "clients", "blocked_clients"), 0);
}

#[test]
fn an_all_pause_holds_every_command_until_its_timeout() {
    // Under ALL every command waits, CLIENT UNPAUSE and INFO included (as in Redis
    // 7.0's processCommand): only the timeout ends it.
    let server = start_server();
    let mut admin = server.redis();
    let _: () = admin.set("k", "v").unwrap();
    let conns: Vec<Connection> = (0..4).map(|_| server.redis()).collect();
    let [c1, c2, c3, c4] = <[Connection; 4]>::try_from(conns)
        .ok()
        .expect("4 connections");
    let start = Instant::now();
    pause(&mut admin, 500, "ALL");
    let read = spawn(c1, |c| c.get::<_, String>("k"));
    let ping = spawn(c2, |c| redis::cmd("PING").query::<String>(c));
    let write = spawn(c3, |c| c.set::<_, _, ()>("k", "w"));
    let unpause = spawn(c4, |c| redis::cmd("CLIENT").arg("UNPAUSE").query::<()>(c));
    fn served<T>(rx: &Receiver<T>, start: Instant) -> T {
        let got = rx.recv_timeout(REPLY_TIMEOUT).expect("served");
        let at = start.elapsed();
        assert!(at >= Duration::from_millis(450), "served after {at:?}");
        got
    }
    // The four threads race to send: the read may be held behind the write.
    let got = served(&read, start).unwrap();
    assert!(got == "v" || got == "w", "{got}");
    assert_eq!(served(&ping, start).unwrap(), "PONG");
    served(&write, start).unwrap();
    served(&unpause, start).unwrap();
    assert_eq!(admin.get::<_, String>("k").unwrap(), "w");
    assert_eq!(info_int(&mut admin, "clients", "blocked_clients"), 0);
}

#[test]
fn a_pause_ends_by_its_timeout_and_the_held_writes_run() {
    let server = start_server();
    let mut admin = server.redis();
    let writer = server.redis();
    let start = Instant::now();
    pause(&mut admin, 300, "WRITE");
    let write = spawn(writer, |c| c.incr::<_, _, i64>("n", 5));
    let done = write.recv_timeout(REPLY_TIMEOUT).expect("served").unwrap();
    assert_eq!(done, 5);
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "served after {:?}",
        start.elapsed()
    );
    // And the server is no longer paused.
    let _: () = admin.set("k", "v").unwrap();
}

#[test]
fn nothing_expires_while_clients_are_paused() {
    // Redis's pause.tcl "Test both active and passive expires are skipped during
    // client pause", through a real client, with the active cycle at 100 Hz.
    let server = start_server_with(|c| c.hz = 100);
    let mut c = server.redis();
    // Set and paused in one transaction, so that foo cannot expire before the pause.
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("foo")
        .arg("bar")
        .arg("PX")
        .arg(50)
        .ignore()
        .cmd("SET")
        .arg("keep")
        .arg("v")
        .ignore()
        .cmd("CLIENT")
        .arg("PAUSE")
        .arg(100_000)
        .arg("WRITE")
        .ignore()
        .query(&mut c)
        .unwrap();
    // Readers see foo expire ...
    let deadline = Instant::now() + common::EXPIRY_WAIT;
    while c.get::<_, Option<String>>("foo").unwrap().is_some() {
        assert!(Instant::now() < deadline, "foo never expired");
    }
    let ttl: i64 = c.ttl("foo").unwrap();
    assert_eq!(ttl, -2);
    let keys: Vec<String> = c.keys("*").unwrap();
    assert_eq!(keys, vec!["keep".to_string()]);
    // ... but it is not removed, by lookups or by the active cycle, while paused.
    let watch_until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < watch_until {
        let size: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        assert_eq!(size, 2);
        assert_eq!(c.get::<_, Option<String>>("foo").unwrap(), None);
    }
    assert_eq!(info_int(&mut c, "stats", "expired_keys"), 0);
    // Once unpaused it goes.
    unpause(&mut c);
    let deadline = Instant::now() + common::EXPIRY_WAIT;
    while redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap() != 1 {
        assert!(Instant::now() < deadline, "foo never removed");
    }
    assert_eq!(info_int(&mut c, "stats", "expired_keys"), 1);
}

#[test]
fn replicas_are_never_paused() {
    // A replica's REPLCONF ACK is served under ALL (Redis's processCommand skips
    // CLIENT_SLAVE): the stream held for it during its sync then goes out.
    use std::io::Read;
    let m = common::binary::start(&[
        "--port",
        "0",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ]);
    let mut r = m.raw();
    assert_eq!(
        r.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        common::simple("OK")
    );
    r.send_cmd(&["PSYNC", "?", "-1"]);
    m.wait_log("Waiting for REPLCONF ACK from replica");
    let mut c = m.raw();
    assert_eq!(c.cmd(&["SET", "x", "held"]), common::simple("OK"));
    assert_eq!(
        c.cmd(&["CLIENT", "PAUSE", "100000", "ALL"]),
        common::simple("OK")
    );
    r.send_cmd(&["REPLCONF", "ACK", "0"]);
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"held") {
        let n = r.stream.read(&mut chunk).expect("the stream, while paused");
        assert!(n > 0, "closed");
        got.extend_from_slice(&chunk[..n]);
    }
}
