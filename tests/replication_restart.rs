//! A replica that restarts keeps its replication id and offset (Redis 7's
//! `repl-id` / `repl-offset` in its dump file), and a full sync's load does not
//! freeze it.
//!
//! - A rudis master under a writer thread that never stops (SET, INCR, LPUSH, HSET,
//!   SADD, EXPIRE, transactions, another database, nested documents) and a rudis
//!   replica with its own directory, SIGKILLed (by its PID) and restarted on the same
//!   directory 20 times: each time it comes back online, catches up (the writer is
//!   paused only for the comparison) and has the master's DEBUG DIGEST; the master
//!   counts partial resyncs (the replica resumed from the full sync it last received,
//!   or from its last SAVE / BGSAVE) where the backlog still held what it missed.
//! - A full sync of 300,000 keys: a client of the replica keeps getting replies
//!   (`-LOADING`, INFO `loading:1`) while it loads; with `repl-diskless-load swapdb`
//!   and the same history, the old data set keeps answering (`async_loading:1`).
//!
//! Every process listens on port 0 and is killed by its PID; conditions are polled
//! with a deadline, never waited for with a fixed sleep.

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::binary;
use common::{Raw, set_doc_request};
use redis::Connection;
use rudis::protocol::Frame;

/// Longest a condition is polled for.
const DEADLINE: Duration = Duration::from_secs(30);
/// Restarts of the replica.
const ROUNDS: usize = 20;
/// Stream bytes the writer adds between two steps of a round.
const STEP_BYTES: u64 = 60_000;
/// Commands the writer pipelines per batch.
const BATCH: usize = 4;
/// Keys of each kind the writer touches.
const KEYS: u64 = 100;

/// Polls `cond` until it holds; panics with `what` after [`DEADLINE`].
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg(section).query(con).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn number(con: &mut Connection, section: &str, name: &str) -> u64 {
    let text = info_field(con, section, name);
    text.parse()
        .unwrap_or_else(|_| panic!("INFO {section} {name}: '{text}'"))
}

fn digest(con: &mut Connection) -> String {
    redis::cmd("DEBUG")
        .arg("DIGEST")
        .query(con)
        .expect("digest")
}

/// What the main thread asks of the writer.
enum Order {
    /// Stop writing and say so on the sender; wait for `Resume`.
    Pause(mpsc::Sender<()>),
    Resume,
    Stop,
}

/// A small xorshift generator: the writer's choices, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// One random write as a request; how many replies it gets.
fn random_request(rng: &mut Rng) -> (Vec<u8>, usize) {
    let k = rng.next() % KEYS;
    let m = rng.next() % 20;
    let cmd = |args: &[&str]| (Frame::command(args), 1);
    match rng.next() % 12 {
        0 | 1 => cmd(&["SET", &format!("str:{k}"), &format!("value {m}")]),
        2 => cmd(&["INCR", &format!("counter:{k}")]),
        3 => cmd(&["LPUSH", &format!("list:{k}"), &m.to_string()]),
        4 => cmd(&["LTRIM", &format!("list:{k}"), "0", "20"]),
        5 => cmd(&[
            "HSET",
            &format!("hash:{k}"),
            &format!("f{m}"),
            &k.to_string(),
        ]),
        6 => cmd(&["SADD", &format!("set:{k}"), &format!("m{m}")]),
        7 => cmd(&["EXPIRE", &format!("str:{k}"), &(1000 + m).to_string()]),
        // Short TTLs: the master expires them and sends DELs.
        8 => cmd(&[
            "SET",
            &format!("short:{k}"),
            "x",
            "PX",
            &(1 + 2 * m).to_string(),
        ]),
        9 => {
            let mut req = Frame::command(&["MULTI"]);
            req.extend(Frame::command(&["INCR", &format!("counter:{k}")]));
            req.extend(Frame::command(&["LPUSH", &format!("list:{k}"), "tx"]));
            req.extend(Frame::command(&["EXEC"]));
            (req, 4)
        }
        10 => {
            // Another database: the stream switches with SELECT.
            let mut req = Frame::command(&["SELECT", "2"]);
            req.extend(Frame::command(&["INCRBY", &format!("other:{k}"), "5"]));
            req.extend(Frame::command(&["SELECT", "0"]));
            (req, 3)
        }
        _ => {
            let doc = format!("%2\r\n+n\r\n:{m}\r\n+list\r\n*2\r\n+a\r\n#t\r\n");
            (set_doc_request(&format!("doc:{k}"), doc.as_bytes()), 1)
        }
    }
}

/// The writer: pipelined batches of random writes until told to stop; every reply
/// must be a success.
fn writer(addr: std::net::SocketAddr, seed: u64, orders: mpsc::Receiver<Order>) -> u64 {
    let mut c = Raw::connect(addr);
    let mut rng = Rng(seed | 1);
    let mut written = 0u64;
    loop {
        match orders.try_recv() {
            Ok(Order::Pause(done)) => {
                done.send(()).expect("the test waits");
                match orders.recv() {
                    Ok(Order::Resume) => {}
                    _ => return written,
                }
            }
            Ok(Order::Resume) => {}
            Ok(Order::Stop) | Err(mpsc::TryRecvError::Disconnected) => return written,
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let mut batch = Vec::new();
        let mut replies = 0;
        for _ in 0..BATCH {
            let (req, n) = random_request(&mut rng);
            batch.extend(req);
            replies += n;
        }
        c.send(&batch);
        for _ in 0..replies {
            let reply = c.read_frame();
            assert!(
                !matches!(reply, Frame::Error(_)),
                "a write failed: {reply:?}"
            );
        }
        written += BATCH as u64;
    }
}

/// The writer thread and its orders.
struct Writer {
    orders: mpsc::Sender<Order>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Writer {
    fn start(addr: std::net::SocketAddr, seed: u64) -> Writer {
        let (orders, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || writer(addr, seed, rx));
        Writer {
            orders,
            thread: Some(thread),
        }
    }

    /// Returns once the writer has stopped writing (its last replies read).
    fn pause(&self) {
        let (tx, rx) = mpsc::channel();
        self.orders.send(Order::Pause(tx)).expect("writer alive");
        rx.recv_timeout(DEADLINE).expect("the writer paused");
    }

    fn resume(&self) {
        self.orders.send(Order::Resume).expect("writer alive");
    }

    fn stop(mut self) -> u64 {
        let _ = self.orders.send(Order::Stop);
        self.thread
            .take()
            .map(|t| t.join().expect("writer ok"))
            .unwrap_or(0)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.orders.send(Order::Stop);
    }
}

/// Waits until the master's offset grew by `bytes` (the writer is running).
fn let_writer_run(m: &mut Connection, bytes: u64) {
    let start = number(m, "replication", "master_repl_offset");
    wait_until("the writer's progress", || {
        number(m, "replication", "master_repl_offset") >= start + bytes
    });
}

/// Waits until the replica is online at the master's offset with the same digest
/// (the writer is paused; keys with short TTLs may still expire meanwhile).
fn wait_caught_up(m: &mut Connection, r: &mut Connection, what: &str) {
    wait_until(what, || {
        info_field(r, "replication", "master_link_status") == "up"
            && number(r, "replication", "slave_repl_offset")
                == number(m, "replication", "master_repl_offset")
            && digest(m) == digest(r)
    });
}

fn replica_args<'a>(dir: &'a str, master_port: &'a str) -> Vec<&'a str> {
    vec![
        "--port",
        "0",
        "--dir",
        dir,
        "--replicaof",
        "127.0.0.1",
        master_port,
    ]
}

#[test]
fn a_sigkilled_replica_resumes_from_its_dump_with_partial_resyncs() {
    let master_dir = common::scratch_dir("restart-master");
    let master = binary::start(&[
        "--port",
        "0",
        "--dir",
        master_dir.to_str().expect("utf-8 path"),
        "--repl-diskless-sync-delay",
        "0",
        // Small enough that some restarts miss more than it holds.
        "--repl-backlog-size",
        "256kb",
    ]);
    let mut m = master.client();
    let port = master.addr.port().to_string();
    let dir = common::scratch_dir("restart-replica");
    let dir_text = dir.to_str().expect("utf-8 path").to_string();
    let writer = Writer::start(master.addr, 0x5EED);
    let mut replica = binary::start(&replica_args(&dir_text, &port));
    let mut r = replica.client();
    writer.pause();
    wait_caught_up(&mut m, &mut r, "the first sync");
    writer.resume();
    let (mut partial, mut full) = (0, 0);
    let started = Instant::now();
    for round in 0..ROUNDS {
        match round % 4 {
            // The dump file is then the replica's own save, mid-stream.
            1 => {
                let _: () = redis::cmd("SAVE").query(&mut r).expect("SAVE");
            }
            3 => {
                let _: String = redis::cmd("BGSAVE").query(&mut r).expect("BGSAVE");
                wait_until("the BGSAVE", || {
                    info_field(&mut r, "persistence", "rdb_bgsave_in_progress") == "0"
                });
                assert_eq!(
                    info_field(&mut r, "persistence", "rdb_last_bgsave_status"),
                    "ok"
                );
            }
            // Otherwise the dump file is the last full sync received.
            _ => {}
        }
        let_writer_run(&mut m, STEP_BYTES);
        let partial_before = number(&mut m, "stats", "sync_partial_ok");
        let full_before = number(&mut m, "stats", "sync_full");
        replica.kill9();
        // The master notices the replica is gone while the writes go on.
        wait_until("the master to drop the replica", || {
            number(&mut m, "replication", "connected_slaves") == 0
        });
        let_writer_run(&mut m, STEP_BYTES / 4);
        replica = binary::start(&replica_args(&dir_text, &port));
        r = replica.client();
        wait_until("the replica to come back online", || {
            info_field(&mut r, "replication", "master_link_status") == "up"
        });
        writer.pause();
        wait_caught_up(&mut m, &mut r, &format!("round {round}"));
        writer.resume();
        let partial_now = number(&mut m, "stats", "sync_partial_ok") - partial_before;
        let full_now = number(&mut m, "stats", "sync_full") - full_before;
        assert_eq!(
            partial_now + full_now,
            1,
            "round {round}: one sync per restart ({partial_now} partial, {full_now} full)\n{}",
            replica.log_text()
        );
        // A replica leaves expiry to its master, after a restart too: the short TTLs
        // go only with the master's DELs.
        assert_eq!(
            number(&mut r, "stats", "expired_keys"),
            0,
            "round {round}: the replica expired keys itself"
        );
        if partial_now == 1 {
            // Waited for: the log reader may still be behind the replies.
            replica.wait_log("Successful partial resynchronization");
            partial += 1;
        } else {
            full += 1;
        }
    }
    let writes = writer.stop();
    eprintln!(
        "{ROUNDS} restarts in {:.1} s under {writes} writes: {partial} partial resyncs, {full} full",
        started.elapsed().as_secs_f64()
    );
    assert!(number(&mut m, "stats", "sync_partial_ok") > 0);
    assert!(partial > 0, "no restart resumed with a partial resync");
    // Nothing written by the writer is missing on the replica.
    wait_caught_up(&mut m, &mut r, "the end");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&master_dir);
}

/// Checks that the replica `r` of `m` leaves expiry to its master (the data set it
/// serves after a sync or a restart too): a key whose TTL passed reads as missing
/// there, but stays until the master's DEL (the master's active expiry is off
/// meanwhile, so none comes).
fn leaves_expiry_to_its_master(m: &mut Connection, r: &mut Connection, key: &str) {
    let active_expire = |m: &mut Connection, on: i64| {
        let _: () = redis::cmd("DEBUG")
            .arg("SET-ACTIVE-EXPIRE")
            .arg(on)
            .query(m)
            .expect("DEBUG SET-ACTIVE-EXPIRE");
    };
    active_expire(m, 0);
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg("v")
        .arg("PX")
        .arg(50)
        .query(m)
        .expect("set");
    let acked: i64 = redis::cmd("WAIT").arg(1).arg(5000).query(m).expect("wait");
    assert_eq!(acked, 1);
    wait_until("the key to read as expired on the replica", || {
        redis::cmd("GET")
            .arg(key)
            .query::<Option<String>>(r)
            .expect("GET")
            .is_none()
    });
    let dbsize = |c: &mut Connection| redis::cmd("DBSIZE").query::<i64>(c).expect("DBSIZE");
    assert_eq!(
        dbsize(r),
        dbsize(m),
        "the replica removed an expired key itself"
    );
    active_expire(m, 1);
    wait_until("the master's DEL on the replica", || dbsize(r) == dbsize(m));
}

/// Sends `args` on `c` and returns the reply and how long it took.
fn timed(c: &mut Raw, args: &[&str]) -> (Frame, Duration) {
    let start = Instant::now();
    let reply = c.cmd(args);
    (reply, start.elapsed())
}

/// Longest a replica's client may wait for a reply while a full sync loads.
const MAX_REPLY_WAIT: Duration = Duration::from_secs(2);

#[test]
fn a_big_full_sync_loads_while_clients_get_replies() {
    let master_dir = common::scratch_dir("loading-master");
    let master = binary::start(&[
        "--port",
        "0",
        "--dir",
        master_dir.to_str().expect("utf-8 path"),
        "--repl-diskless-sync-delay",
        "0",
        // Small: a replica that missed a few writes needs a full sync.
        "--repl-backlog-size",
        "16kb",
    ]);
    let mut m = master.client();
    let _: () = redis::cmd("DEBUG")
        .arg("POPULATE")
        .arg(300_000)
        .query(&mut m)
        .expect("populate");
    let _: () = redis::cmd("SET")
        .arg("marker")
        .arg("first")
        .query(&mut m)
        .expect("set");
    let dir = common::scratch_dir("loading-replica");
    let dir_text = dir.to_str().expect("utf-8 path").to_string();
    // `repl-diskless-load disabled` (the default): emptied, then loaded.
    let mut replica = binary::start(&["--port", "0", "--dir", &dir_text]);
    let mut c = replica.raw();
    let port = master.addr.port().to_string();
    assert_eq!(
        c.cmd(&["REPLICAOF", "127.0.0.1", &port]),
        Frame::Simple("OK".into())
    );
    // The first sync: clients get -LOADING while it loads.
    let mut loading_replies = 0;
    let mut info_loading = false;
    let mut slowest = Duration::ZERO;
    wait_until("the first sync", || {
        let (reply, took) = timed(&mut c, &["GET", "marker"]);
        slowest = slowest.max(took);
        match reply {
            Frame::Error(e) => {
                assert!(e.starts_with("LOADING "), "{e}");
                loading_replies += 1;
                let (info, took) = timed(&mut c, &["INFO", "persistence"]);
                slowest = slowest.max(took);
                info_loading |= common::text(&info).contains("\nloading:1\r\n");
                false
            }
            reply => reply == Frame::Bulk(b"first".to_vec()),
        }
    });
    assert!(loading_replies > 0, "no -LOADING while the sync loaded");
    assert!(info_loading, "INFO never showed loading:1");
    assert!(
        slowest < MAX_REPLY_WAIT,
        "a reply took {slowest:?} while the sync loaded"
    );
    let mut r = replica.client();
    wait_caught_up(&mut m, &mut r, "the first sync");
    assert_eq!(number(&mut m, "stats", "sync_full"), 1);
    // The received snapshot is the replica's dump file.
    assert!(dir.join("dump.rdb").exists());
    leaves_expiry_to_its_master(&mut m, &mut r, "short-lived");

    // Killed, it misses more than the backlog holds: it restarts from its dump file
    // (the same history) and gets a full sync, loaded aside while the old data set
    // keeps answering.
    replica.kill9();
    let _: () = redis::cmd("SET")
        .arg("marker")
        .arg("second")
        .query(&mut m)
        .expect("set");
    let filler = "x".repeat(64 * 1024);
    let _: () = redis::cmd("SET")
        .arg("filler")
        .arg(&filler)
        .query(&mut m)
        .expect("set");
    let replica = binary::start(&[
        "--port",
        "0",
        "--dir",
        &dir_text,
        "--repl-diskless-load",
        "swapdb",
        "--replicaof",
        "127.0.0.1",
        &port,
    ]);
    let mut c = replica.raw();
    let (mut old_replies, mut async_seen, mut refused) = (0, false, false);
    slowest = Duration::ZERO;
    wait_until("the second sync", || {
        let (reply, took) = timed(&mut c, &["GET", "marker"]);
        slowest = slowest.max(took);
        if reply == Frame::Bulk(b"first".to_vec()) {
            old_replies += 1;
            let (info, took) = timed(&mut c, &["INFO", "persistence"]);
            slowest = slowest.max(took);
            if common::text(&info).contains("\nasync_loading:1\r\n") {
                async_seen = true;
                // What must not run during an asynchronous load.
                let (save, _) = timed(&mut c, &["SAVE"]);
                refused |= matches!(save, Frame::Error(e) if e.starts_with("LOADING "));
            }
            return false;
        }
        reply == Frame::Bulk(b"second".to_vec())
    });
    // Waited for: the log reader may still be behind the replies.
    replica.wait_log("Full resync from master");
    replica.wait_log("Swapping active DB with loaded DB");
    assert!(old_replies > 0, "the old data set did not answer");
    assert!(async_seen, "INFO never showed async_loading:1");
    assert!(refused, "SAVE ran during the asynchronous load");
    assert!(
        slowest < MAX_REPLY_WAIT,
        "a reply took {slowest:?} while the sync loaded"
    );
    let mut r = replica.client();
    wait_caught_up(&mut m, &mut r, "the second sync");
    // The data set loaded aside expires keys as the one it replaced.
    leaves_expiry_to_its_master(&mut m, &mut r, "short-lived");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&master_dir);
}

/// A scripted master: accepts one replica, answers its handshake and gives it an
/// empty data set with a full sync.
struct FakeMaster {
    listener: std::net::TcpListener,
    replid: String,
}

/// The replica's link as the fake master sees it.
struct Link {
    stream: std::net::TcpStream,
    buf: Vec<u8>,
}

impl Link {
    /// The replica's next command (its arguments as text).
    fn next_command(&mut self) -> Vec<String> {
        use std::io::Read;
        loop {
            // A lone newline is a keepalive, not a command.
            while self.buf.first() == Some(&b'\n') {
                self.buf.remove(0);
            }
            if let Some((frame, used)) = Frame::decode(&self.buf).expect("valid RESP") {
                self.buf.drain(..used);
                let Frame::Array(args) = frame else {
                    panic!("not a command: {frame:?}");
                };
                return args.iter().map(common::text).collect();
            }
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).expect("read from the replica");
            assert!(n > 0, "the replica closed the link");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stream.write_all(bytes).expect("write to the replica");
    }

    /// The next command that is not an ACK.
    fn next_request(&mut self) -> Vec<String> {
        loop {
            let cmd = self.next_command();
            if !(cmd.len() == 3 && cmd[0] == "REPLCONF" && cmd[1] == "ACK") {
                return cmd;
            }
        }
    }
}

impl FakeMaster {
    fn new() -> FakeMaster {
        FakeMaster {
            listener: std::net::TcpListener::bind("127.0.0.1:0").expect("bind"),
            replid: "f".repeat(40),
        }
    }

    fn port(&self) -> String {
        self.listener.local_addr().expect("addr").port().to_string()
    }

    /// Accepts the replica and runs the handshake up to its PSYNC, whose id and
    /// offset it returns.
    fn accept(&self) -> (Link, String, String) {
        let (stream, _) = self.listener.accept().expect("the replica connects");
        stream
            .set_read_timeout(Some(DEADLINE))
            .expect("read timeout");
        let mut link = Link {
            stream,
            buf: Vec::new(),
        };
        loop {
            let cmd = link.next_request();
            match cmd[0].as_str() {
                "PING" => link.send(b"+PONG\r\n"),
                "REPLCONF" => link.send(b"+OK\r\n"),
                "PSYNC" => return (link, cmd[1].clone(), cmd[2].clone()),
                other => panic!("unexpected {other} from the replica"),
            }
        }
    }

    /// A full sync at offset 0 of a data set holding only `stale`, a string whose
    /// TTL passed long ago (the master has not removed it yet).
    fn full_sync(&self, link: &mut Link) {
        let mut rdb = b"REDIS0010".to_vec();
        // SELECTDB 0; EXPIRETIME_MS 1000 (1970); a string "stale" = "x".
        rdb.extend_from_slice(b"\xfe\x00\xfc");
        rdb.extend_from_slice(&1000u64.to_le_bytes());
        rdb.extend_from_slice(b"\x00\x05stale\x01x");
        // EOF, checksum 0 (not checked).
        rdb.push(0xff);
        rdb.extend_from_slice(&[0; 8]);
        let head = format!("+FULLRESYNC {} 0\r\n${}\r\n", self.replid, rdb.len());
        link.send(head.as_bytes());
        link.send(&rdb);
    }
}

#[test]
fn the_offset_stays_before_a_transaction_until_its_exec_and_survives_a_restart() {
    let master = FakeMaster::new();
    let port = master.port();
    let dir = common::scratch_dir("fake-master-replica");
    let dir_text = dir.to_str().expect("utf-8 path").to_string();
    let args = [
        "--port",
        "0",
        "--dir",
        &dir_text,
        "--replicaof",
        "127.0.0.1",
        &port,
    ];
    let mut replica = binary::start(&args);
    let (mut link, id, offset) = master.accept();
    assert_eq!((id.as_str(), offset.as_str()), ("?", "-1"));
    master.full_sync(&mut link);
    let mut r = replica.client();
    wait_until("the sync", || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    // A replica keeps what its master's snapshot holds, expired or not (Redis's
    // rdbLoad drops expired keys only on a master): reads see it missing, and it
    // stays until the master's DEL.
    let dbsize: i64 = redis::cmd("DBSIZE").query(&mut r).expect("DBSIZE");
    assert_eq!(dbsize, 1, "the expired key of the snapshot was dropped");
    let stale: Option<String> = redis::cmd("GET").arg("stale").query(&mut r).expect("GET");
    assert_eq!(stale, None);
    // A write, then a transaction the master has not closed yet, in one segment.
    let before = Frame::command(&["SET", "x", "1"]);
    let mut open = Frame::command(&["MULTI"]);
    open.extend(Frame::command(&["SET", "a", "1"]));
    link.send(&[before.clone(), open.clone()].concat());
    wait_until("the write", || {
        redis::cmd("GET")
            .arg("x")
            .query::<Option<String>>(&mut r)
            .expect("GET")
            .is_some()
    });
    // The queued part does not count: a resync would not send it again.
    assert_eq!(
        number(&mut r, "replication", "slave_repl_offset"),
        before.len() as u64
    );
    let exec = Frame::command(&["EXEC"]);
    link.send(&exec);
    wait_until("the transaction", || {
        redis::cmd("GET")
            .arg("a")
            .query::<Option<String>>(&mut r)
            .expect("GET")
            .is_some()
    });
    let total = before.len() + open.len() + exec.len();
    assert_eq!(
        number(&mut r, "replication", "slave_repl_offset"),
        total as u64
    );

    // The link drops inside a transaction: the replica asks for it again, whole.
    link.send(&open);
    link.send(b"*1\r\n$4\r\nPING\r\n");
    drop(link);
    let (mut link, id, offset) = master.accept();
    assert_eq!(id, master.replid);
    assert_eq!(offset, (total + 1).to_string());
    link.send(format!("+CONTINUE {}\r\n", master.replid).as_bytes());
    link.send(&[open.clone(), exec.clone()].concat());
    let total = total + open.len() + exec.len();
    wait_until("the resent transaction", || {
        number(&mut r, "replication", "slave_repl_offset") == total as u64
    });

    // The stream moves to database 5; the replica saves, is killed and restarts: it
    // asks to continue from its dump's offset, in database 5 (the master sends no
    // SELECT on a partial resync).
    let select = [
        Frame::command(&["SELECT", "5"]),
        Frame::command(&["SET", "y", "1"]),
    ]
    .concat();
    link.send(&select);
    let total = total + select.len();
    wait_until("the write in database 5", || {
        number(&mut r, "replication", "slave_repl_offset") == total as u64
    });
    let _: () = redis::cmd("SAVE").query(&mut r).expect("SAVE");
    replica.kill9();
    drop(link);
    let replica = binary::start(&args);
    assert!(replica.log_contains("synthesize a cached master"));
    let (mut link, id, offset) = master.accept();
    assert_eq!(id, master.replid);
    assert_eq!(offset, (total + 1).to_string());
    link.send(format!("+CONTINUE {}\r\n", master.replid).as_bytes());
    link.send(&Frame::command(&["SET", "z", "1"]));
    let mut r = replica.client();
    let _: () = redis::cmd("SELECT").arg(5).query(&mut r).expect("SELECT");
    wait_until("the write after the restart", || {
        redis::cmd("GET")
            .arg("z")
            .query::<Option<String>>(&mut r)
            .expect("GET")
            .is_some()
    });
    let y: Option<String> = redis::cmd("GET").arg("y").query(&mut r).expect("GET");
    assert_eq!(y.as_deref(), Some("1"), "the saved data set came back");
    // The data set loaded at start-up leaves expiry to the master (this one never
    // sends a DEL).
    let dbsize = |r: &mut Connection| redis::cmd("DBSIZE").query::<i64>(r).expect("DBSIZE");
    let before = dbsize(&mut r);
    let applied = number(&mut r, "replication", "slave_repl_offset");
    let short = Frame::command(&["SET", "gone", "1", "PX", "30"]);
    link.send(&short);
    wait_until("the short-lived write", || {
        number(&mut r, "replication", "slave_repl_offset") == applied + short.len() as u64
    });
    wait_until("the key to read as expired", || {
        redis::cmd("GET")
            .arg("gone")
            .query::<Option<String>>(&mut r)
            .expect("GET")
            .is_none()
    });
    assert_eq!(
        dbsize(&mut r),
        before + 1,
        "the replica expired a key itself"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
