//! Replication with real Redis 7.0 on either side, and rudis → rudis.
//!
//! - A real `redis-server --replicaof` a rudis master: full sync of every type with
//!   TTLs, random writes, the same DEBUG DIGEST on both; `WAIT 1` answers 1; after
//!   `CLIENT KILL TYPE replica` a partial resync (sync_partial_ok grows, sync_full
//!   does not).
//! - A rudis replica of a real redis-server (Redis's compact encodings): same digest
//!   after random writes; a client's write gets -READONLY.
//! - rudis → rudis → rudis (chained) with nested documents, SIGKILLed replicas that
//!   catch up.
//!
//! redis-server cannot report the port it picked for `--port 0`, so its port is found
//! by binding port 0 and closing the socket just before it starts (only for the
//! redis-server child; the rudis binaries listen on port 0 and log their address).
//! Needs `redis-server` on PATH; without it the tests FAIL unless
//! `RUDIS_SKIP_REDIS_INTEROP=1`. Every process is killed by its PID when a test ends.
//! Conditions are polled with a deadline, never waited for with a fixed sleep.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::binary::{self, Binary};
use redis::Connection;

/// Longest a condition is polled for.
const DEADLINE: Duration = Duration::from_secs(30);

fn have_redis() -> bool {
    let found = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok();
    if found {
        return true;
    }
    if std::env::var("RUDIS_SKIP_REDIS_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("redis-server not found: skipped (RUDIS_SKIP_REDIS_INTEROP=1)");
        return false;
    }
    panic!("redis-server is needed; set RUDIS_SKIP_REDIS_INTEROP=1 to skip");
}

/// A redis-server child, killed by its PID and reaped on drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    fn start(extra: &[&str]) -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = common::scratch_dir("repl-redis");
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes"])
            .args(["--repl-diskless-sync-delay", "0"])
            .arg("--dir")
            .arg(&dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let out = child.stdout.take().expect("stdout");
        let mut redis = Redis { child, port };
        let mut lines = BufReader::new(out).lines();
        let mut log = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap_or_default();
            log.push_str(&line);
            log.push('\n');
            if line.contains("Ready to accept connections") {
                // Keep draining its log so that it never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return redis;
            }
        }
        let status = redis.child.wait();
        panic!("redis-server did not start ({status:?}):\n{log}");
    }

    fn con(&self) -> Connection {
        connect(self.port)
    }
}

fn connect(port: u16) -> Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .expect("client")
        .get_connection()
        .expect("connect")
}

/// A rudis binary with `args` (listening on port 0).
fn rudis(args: &[&str]) -> Binary {
    binary::start(&[&["--port", "0", "--repl-diskless-sync-delay", "0"], args].concat())
}

fn port_of(b: &Binary) -> u16 {
    b.addr.port()
}

/// Polls `cond` until it holds; panics with `what` after [`DEADLINE`].
fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    wait_within(what, DEADLINE, cond);
}

/// Polls `cond` until it holds; panics with `what` after `limit`.
fn wait_within(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn digest(con: &mut Connection) -> String {
    redis::cmd("DEBUG")
        .arg("DIGEST")
        .query(con)
        .expect("digest")
}

fn info_field(con: &mut Connection, section: &str, name: &str) -> String {
    let info: String = redis::cmd("INFO").arg(section).query(con).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn stat(con: &mut Connection, name: &str) -> u64 {
    info_field(con, "stats", name).parse().expect("a counter")
}

fn q(con: &mut Connection, cmd: &mut redis::Cmd) -> redis::Value {
    cmd.query(con).expect("command")
}

/// Every type, small and big encodings, with and without TTLs, in two databases.
fn fill(con: &mut Connection) {
    for db in [0, 3] {
        q(con, redis::cmd("SELECT").arg(db));
        let big: Vec<String> = (0..700).map(|i| format!("element-{i}")).collect();
        let scored: Vec<String> = big
            .iter()
            .enumerate()
            .flat_map(|(i, e)| [(i as f64 / 7.0).to_string(), e.clone()])
            .collect();
        let pairs: Vec<String> = big
            .iter()
            .flat_map(|e| [e.clone(), e.to_uppercase()])
            .collect();
        for i in 0..20 {
            q(
                con,
                redis::cmd("SET")
                    .arg(format!("str{i}"))
                    .arg(format!("value {i}")),
            );
            q(con, redis::cmd("SET").arg(format!("int{i}")).arg(i * 1000));
            q(
                con,
                redis::cmd("RPUSH")
                    .arg(format!("list{i}"))
                    .arg(&["a", "b", "1", "2"]),
            );
            q(
                con,
                redis::cmd("SADD")
                    .arg(format!("intset{i}"))
                    .arg(&[1, 2, 3, i]),
            );
            q(
                con,
                redis::cmd("SADD")
                    .arg(format!("set{i}"))
                    .arg(&["x", "y", "z"]),
            );
            q(
                con,
                redis::cmd("ZADD")
                    .arg(format!("zset{i}"))
                    .arg(&["1.5", "a", "-2", "b"]),
            );
            q(
                con,
                redis::cmd("HSET")
                    .arg(format!("hash{i}"))
                    .arg(&["f", "v", "n", "7"]),
            );
            q(
                con,
                redis::cmd("PEXPIRE")
                    .arg(format!("list{i}"))
                    .arg(10_000_000 + i),
            );
            q(
                con,
                redis::cmd("SET")
                    .arg(format!("ttl{i}"))
                    .arg("x")
                    .arg("EX")
                    .arg(100_000),
            );
        }
        q(con, redis::cmd("RPUSH").arg("biglist").arg(&big));
        q(con, redis::cmd("SADD").arg("bigset").arg(&big));
        q(con, redis::cmd("ZADD").arg("bigzset").arg(&scored));
        q(con, redis::cmd("HSET").arg("bighash").arg(&pairs));
        q(con, redis::cmd("PEXPIRE").arg("bighash").arg(900_000));
    }
    q(con, redis::cmd("SELECT").arg(0));
}

/// Random writes of many kinds, with effects that depend on time or chance.
fn random_writes(con: &mut Connection, seed: u64, n: usize) {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..n {
        let k = next() % 30;
        match next() % 12 {
            0 => q(
                con,
                redis::cmd("INCRBYFLOAT")
                    .arg(format!("float{k}"))
                    .arg("1.25"),
            ),
            1 => q(con, redis::cmd("SPOP").arg(format!("set{}", k % 20))),
            2 => q(
                con,
                redis::cmd("SET")
                    .arg(format!("exp{k}"))
                    .arg(k)
                    .arg("PX")
                    .arg(1 + k),
            ),
            3 => q(
                con,
                redis::cmd("LPUSH").arg(format!("list{}", k % 20)).arg(k),
            ),
            4 => q(
                con,
                redis::cmd("ZINCRBY")
                    .arg("bigzset")
                    .arg("0.5")
                    .arg(format!("element-{k}")),
            ),
            5 => q(
                con,
                redis::cmd("HINCRBY")
                    .arg(format!("hash{}", k % 20))
                    .arg("n")
                    .arg(3),
            ),
            6 => q(con, redis::cmd("SRANDMEMBER").arg("bigset")),
            7 => q(
                con,
                redis::cmd("EXPIRE")
                    .arg(format!("str{}", k % 20))
                    .arg(1000 + k),
            ),
            8 => q(con, redis::cmd("DEL").arg(format!("int{}", k % 20))),
            9 => {
                redis::pipe()
                    .atomic()
                    .cmd("INCR")
                    .arg("counter")
                    .cmd("APPEND")
                    .arg("log")
                    .arg("x")
                    .query::<redis::Value>(con)
                    .expect("multi");
                redis::Value::Nil
            }
            10 => {
                q(con, redis::cmd("SELECT").arg(3));
                q(con, redis::cmd("RPOPLPUSH").arg("biglist").arg("biglist"));
                q(con, redis::cmd("SELECT").arg(0))
            }
            _ => q(con, redis::cmd("ZPOPMIN").arg(format!("zset{}", k % 20))),
        };
    }
}

fn wait_same_digest(a: &mut Connection, b: &mut Connection, what: &str) {
    wait_until(what, || digest(a) == digest(b));
    assert_ne!(
        digest(a),
        "0".repeat(40),
        "{what}: the data set is not empty"
    );
}

#[test]
fn redis_replica_of_rudis_master() {
    if !have_redis() {
        return;
    }
    let master = rudis(&[]);
    let mut m = master.client();
    fill(&mut m);
    let port = port_of(&master).to_string();
    let replica = Redis::start(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.con();
    wait_until("the link to come up", || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    wait_same_digest(&mut m, &mut r, "the full sync");
    let keys: u64 = redis::cmd("DBSIZE").query(&mut r).expect("dbsize");
    assert!(keys > 100, "the replica holds the data ({keys} keys)");
    random_writes(&mut m, 7, 2000);
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    wait_same_digest(&mut m, &mut r, "the stream after random writes");
    assert_eq!(info_field(&mut m, "replication", "connected_slaves"), "1");
    let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut m).expect("role");
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));

    let full = stat(&mut m, "sync_full");
    let partial = stat(&mut m, "sync_partial_ok");
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("replica")
        .query(&mut m)
        .expect("client kill");
    assert_eq!(killed, 1);
    random_writes(&mut m, 11, 300);
    wait_until("a partial resync", || {
        stat(&mut m, "sync_partial_ok") == partial + 1
    });
    wait_same_digest(&mut m, &mut r, "the partial resync");
    assert_eq!(
        stat(&mut m, "sync_full"),
        full,
        "no full sync after the kill"
    );
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
}

#[test]
fn rudis_replica_of_redis_master() {
    if !have_redis() {
        return;
    }
    let master = Redis::start(&[]);
    let mut m = master.con();
    fill(&mut m);
    let port = master.port.to_string();
    let replica = rudis(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.client();
    wait_until("the link to come up", || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    wait_same_digest(&mut m, &mut r, "the full sync");
    random_writes(&mut m, 5, 2000);
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    wait_same_digest(&mut m, &mut r, "the stream after random writes");
    let err = redis::cmd("SET")
        .arg("x")
        .arg("1")
        .query::<()>(&mut r)
        .expect_err("a write on a replica");
    assert_eq!(err.code(), Some("READONLY"));
    assert!(
        err.to_string()
            .contains("You can't write against a read only replica.")
    );
    // Reads and the master link's own writes are fine; promotion makes it writable.
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut r)
        .expect("promote");
    let _: () = redis::cmd("SET")
        .arg("x")
        .arg("1")
        .query(&mut r)
        .expect("a master's write");
}

/// Sends `payload` (raw RESP) and reads one reply's bytes.
fn raw(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.write_all(payload).expect("write");
    let mut buf = vec![0; 4096];
    let n = s.read(&mut buf).expect("read");
    buf.truncate(n);
    buf
}

#[test]
fn rudis_chain_with_documents_and_killed_replicas() {
    let master = rudis(&[]);
    let mut m = master.client();
    let doc = b"%2\r\n+a\r\n*2\r\n:1\r\n:2\r\n+b\r\n_\r\n";
    let mut set = b"*3\r\n$3\r\nSET\r\n$3\r\ndoc\r\n".to_vec();
    set.extend_from_slice(doc);
    assert_eq!(raw(port_of(&master), &set), b"+OK\r\n");
    fill(&mut m);
    let port = port_of(&master).to_string();
    let first = rudis(&["--replicaof", "127.0.0.1", &port]);
    let mut r1 = first.client();
    wait_same_digest(&mut m, &mut r1, "the first replica's sync");
    first.wait_log("rudis snapshot format");
    let get = b"*2\r\n$3\r\nGET\r\n$3\r\ndoc\r\n";
    assert_eq!(
        raw(port_of(&first), get),
        doc,
        "the document kept its nesting"
    );

    // A replica of the replica gets the stream passed on.
    let chained_port = port_of(&first).to_string();
    let chained = rudis(&["--replicaof", "127.0.0.1", &chained_port]);
    let mut r2 = chained.client();
    wait_same_digest(&mut m, &mut r2, "the chained replica's sync");
    random_writes(&mut m, 3, 500);
    wait_same_digest(&mut m, &mut r1, "the first replica's stream");
    wait_same_digest(&mut m, &mut r2, "the chained replica's stream");
    assert_eq!(raw(port_of(&chained), get), doc);

    // Replicas SIGKILLed under writes catch up each time.
    for round in 0..3 {
        let mut victim = rudis(&["--replicaof", "127.0.0.1", &port]);
        let mut v = victim.client();
        random_writes(&mut m, 100 + round, 200);
        wait_same_digest(&mut m, &mut v, "a restarted replica");
        victim.kill9();
    }
    // The master noticed and still serves the others.
    random_writes(&mut m, 999, 100);
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    wait_same_digest(&mut m, &mut r2, "the chain after the kills");
}

#[test]
fn disk_framing_both_ways_and_psync2_after_promotion() {
    if !have_redis() {
        return;
    }
    // A rudis master with `repl-diskless-sync no` sends `$<len>` (spooled in a file).
    let master = rudis(&["--repl-diskless-sync", "no"]);
    let mut m = master.client();
    fill(&mut m);
    let port = port_of(&master).to_string();
    let redis_replica = Redis::start(&["--replicaof", "127.0.0.1", &port]);
    let mut rr = redis_replica.con();
    wait_same_digest(&mut m, &mut rr, "a full sync framed by length");
    master.wait_log("target: disk");

    // A rudis replica beside it; promoted, it keeps serving the Redis replica, which
    // continues with a partial resync (psync2: the old id stays valid).
    let promoted = rudis(&["--replicaof", "127.0.0.1", &port]);
    let mut p = promoted.client();
    random_writes(&mut m, 21, 300);
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 2);
    wait_same_digest(&mut m, &mut p, "the second replica");
    wait_same_digest(&mut m, &mut rr, "the first replica");
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut p)
        .expect("promote");
    let old_id = info_field(&mut m, "replication", "master_replid");
    assert_eq!(info_field(&mut p, "replication", "master_replid2"), old_id);
    let new_port = port_of(&promoted);
    let _: () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(new_port)
        .query(&mut rr)
        .expect("follow the promoted one");
    wait_until("a partial resync with the promoted replica", || {
        stat(&mut p, "sync_partial_ok") == 1
    });
    assert_eq!(stat(&mut p, "sync_full"), 0);
    random_writes(&mut p, 22, 300);
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut p)
        .expect("wait");
    assert_eq!(acked, 1);
    wait_same_digest(&mut p, &mut rr, "the stream of the promoted master");

    // A rudis replica of a Redis master that sends `$<len>` too.
    let disk_master = Redis::start(&["--repl-diskless-sync", "no"]);
    let mut dm = disk_master.con();
    fill(&mut dm);
    let dport = disk_master.port.to_string();
    let replica = rudis(&["--replicaof", "127.0.0.1", &dport]);
    let mut r = replica.client();
    wait_same_digest(&mut dm, &mut r, "a rudis replica reading `$<len>`");
    replica.wait_log("bytes from master to disk");
}

#[test]
fn min_replicas_and_wait_timeout() {
    let master = rudis(&["--min-replicas-to-write", "1"]);
    let mut m = master.client();
    let err = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query::<()>(&mut m)
        .expect_err("too few replicas");
    assert_eq!(err.code(), Some("NOREPLICAS"));
    let started = Instant::now();
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(200)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 0);
    assert!(started.elapsed() >= Duration::from_millis(200));
    let port = port_of(&master).to_string();
    let replica = rudis(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.client();
    wait_until("a good replica", || {
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(&mut m)
            .is_ok()
    });
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(0)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    let v: String = redis::cmd("GET").arg("k").query(&mut r).expect("get");
    assert_eq!(v, "v");
    let err = redis::cmd("WAIT")
        .arg(0)
        .arg(0)
        .query::<i64>(&mut r)
        .expect_err("on a replica");
    assert!(
        err.to_string()
            .contains("WAIT cannot be used with replica instances")
    );
}

/// A replica leaves expired keys to its master (Redis's expireIfNeeded): reads see them
/// missing, but only the master's DEL removes them, so both keep the same keys even
/// when the master has not expired them yet (the divergence that broke a promoted
/// replica's stream: it had removed keys its own replicas still held).
#[test]
fn replica_leaves_expiry_to_its_master() {
    let master = rudis(&[]);
    let mut m = master.client();
    let _: () = redis::cmd("DEBUG")
        .arg("SET-ACTIVE-EXPIRE")
        .arg(0)
        .query(&mut m)
        .expect("active expiry off on the master");
    let port = port_of(&master).to_string();
    let replica = rudis(&["--replicaof", "127.0.0.1", &port]);
    let mut r = replica.client();
    wait_until("the replica online", || {
        info_field(&mut r, "replication", "master_link_status") == "up"
    });
    q(&mut m, redis::cmd("SET").arg("kept").arg("v"));
    q(
        &mut m,
        redis::cmd("SET").arg("short").arg("v").arg("PX").arg(30),
    );
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    // Logically expired on the replica: reads say so, the key stays.
    wait_until("the key to read as expired on the replica", || {
        let v: Option<String> = redis::cmd("GET").arg("short").query(&mut r).expect("get");
        v.is_none()
    });
    let exists: i64 = redis::cmd("EXISTS")
        .arg("short")
        .query(&mut r)
        .expect("exists");
    assert_eq!(exists, 0);
    let mget: Vec<Option<String>> = redis::cmd("MGET")
        .arg("short")
        .arg("kept")
        .query(&mut r)
        .expect("mget");
    assert_eq!(mget, vec![None, Some("v".to_string())]);
    let dbsize: i64 = redis::cmd("DBSIZE").query(&mut r).expect("dbsize");
    assert_eq!(dbsize, 2, "the replica must not remove the key itself");
    assert_eq!(digest(&mut m), digest(&mut r));
    // The master removes it on access and sends the DEL.
    let v: Option<String> = redis::cmd("GET").arg("short").query(&mut m).expect("get");
    assert_eq!(v, None);
    wait_until("the master's DEL on the replica", || {
        redis::cmd("DBSIZE").query::<i64>(&mut r).expect("dbsize") == 1
    });
    assert_eq!(digest(&mut m), digest(&mut r));
    // Promoted, it expires keys itself again.
    q(
        &mut m,
        redis::cmd("SET").arg("later").arg("v").arg("PX").arg(30),
    );
    let acked: i64 = redis::cmd("WAIT")
        .arg(1)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 1);
    let _: () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query(&mut r)
        .expect("promote");
    wait_until("the promoted replica's active expiry", || {
        redis::cmd("DBSIZE").query::<i64>(&mut r).expect("dbsize") == 1
    });
}

/// A `redis-server --sentinel` child monitoring `master_port`.
fn sentinel(dir: &std::path::Path, n: usize, master_port: u16) -> Redis {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let conf = dir.join(format!("sentinel-{n}.conf"));
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds mymaster 1000\n\
             sentinel failover-timeout mymaster 10000\n"
        ),
    )
    .expect("sentinel config");
    let mut child = Command::new("redis-server")
        .arg(&conf)
        .arg("--sentinel")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-sentinel");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let log = dir.join(format!("sentinel-{n}.log"));
    for line in lines.by_ref() {
        if line.unwrap_or_default().contains("Sentinel ID is") {
            // Its log is kept in the scratch directory.
            std::thread::spawn(move || {
                let mut f = std::fs::File::create(log).expect("sentinel log");
                for line in lines.map_while(Result::ok) {
                    let _ = writeln!(f, "{line}");
                }
            });
            return Redis { child, port };
        }
    }
    let _ = child.kill();
    let status = child.wait();
    panic!("redis-sentinel did not start ({status:?})");
}

fn master_port_by_sentinel(s: &mut Connection) -> u16 {
    let addr: Vec<String> = redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg("mymaster")
        .query(s)
        .expect("master address");
    addr[1].parse().expect("a port")
}

#[test]
fn sentinel_fails_rudis_over() {
    if !have_redis() {
        return;
    }
    // The master starts from a configuration file, which Sentinel's CONFIG REWRITE
    // updates when it makes it a replica.
    let dir = common::scratch_dir("sentinel");
    let conf = dir.join("rudis.conf");
    std::fs::write(
        &conf,
        "# the old master\nport 0\nrepl-diskless-sync-delay 0\n",
    )
    .expect("conf");
    let master = binary::start(&[conf.to_str().expect("utf-8")]);
    let mport = port_of(&master);
    let mp = mport.to_string();
    let replicas = [
        rudis(&["--replicaof", "127.0.0.1", &mp]),
        rudis(&["--replicaof", "127.0.0.1", &mp]),
    ];
    let mut m = master.client();
    wait_until("two replicas online", || {
        info_field(&mut m, "replication", "connected_slaves") == "2"
            && redis::cmd("WAIT").arg(2).arg(100).query::<i64>(&mut m).ok() == Some(2)
    });
    let _: () = redis::cmd("SET")
        .arg("acked")
        .arg("yes")
        .query(&mut m)
        .expect("set");
    let acked: i64 = redis::cmd("WAIT")
        .arg(2)
        .arg(5000)
        .query(&mut m)
        .expect("wait");
    assert_eq!(acked, 2);
    let sentinels: Vec<Redis> = (0..3).map(|n| sentinel(&dir, n, mport)).collect();
    let mut s = sentinels[0].con();
    wait_until("the sentinels to know the replicas and each other", || {
        let replicas: Vec<redis::Value> = redis::cmd("SENTINEL")
            .arg("REPLICAS")
            .arg("mymaster")
            .query(&mut s)
            .unwrap_or_default();
        let others: Vec<redis::Value> = redis::cmd("SENTINEL")
            .arg("SENTINELS")
            .arg("mymaster")
            .query(&mut s)
            .unwrap_or_default();
        replicas.len() == 2 && others.len() == 2
    });
    let started = Instant::now();
    let _: () = redis::cmd("SENTINEL")
        .arg("FAILOVER")
        .arg("mymaster")
        .query(&mut s)
        .expect("failover");
    wait_until("a new master", || master_port_by_sentinel(&mut s) != mport);
    let new_port = master_port_by_sentinel(&mut s);
    let mut n = connect(new_port);
    wait_until("the promoted replica to be a master", || {
        info_field(&mut n, "replication", "role") == "master"
    });
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "failover took {:?}",
        started.elapsed()
    );
    let v: String = redis::cmd("GET").arg("acked").query(&mut n).expect("get");
    assert_eq!(
        v, "yes",
        "a write acknowledged by WAIT 2 survives the failover"
    );
    let _: () = redis::cmd("SET")
        .arg("after")
        .arg("1")
        .query(&mut n)
        .expect("a write");
    // Sentinel reconfigures an old master that still claims to be one after its next
    // INFO refresh (every 10 s) plus 8 s (its SENTINEL_PUBLISH_PERIOD * 4).
    let reconf = Duration::from_secs(60);
    // Sentinel closes the normal clients of a node it reconfigures: a new connection
    // for each try.
    wait_within(
        "the old master to become a read-only replica",
        reconf,
        || {
            redis::cmd("SET")
                .arg("x")
                .arg("1")
                .query::<()>(&mut connect(mport))
                .is_err_and(|e| e.code() == Some("READONLY"))
        },
    );
    let text = std::fs::read_to_string(&conf).expect("conf");
    assert!(text.starts_with("# the old master\n"), "{text}");
    assert!(
        text.contains(&format!("replicaof 127.0.0.1 {new_port}\n")),
        "{text}"
    );
    let ports: Vec<u16> = replicas.iter().map(port_of).chain([mport]).collect();
    for port in ports.into_iter().filter(|&p| p != new_port) {
        wait_within("every node to follow the new master", reconf, || {
            let mut c = connect(port);
            info_field(&mut c, "replication", "master_port") == new_port.to_string()
                && info_field(&mut c, "replication", "master_link_status") == "up"
        });
    }
}
