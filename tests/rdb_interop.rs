//! Interchange with a real Redis 7.0 (`redis-server`, `redis-cli`'s sibling
//! `redis-check-rdb`): Redis's dump.rdb read by rudis's reader, rudis's RDB loaded by
//! Redis and accepted by `redis-check-rdb`, and DUMP payloads moved both ways.
//!
//! Needs `redis-server` and `redis-check-rdb` on PATH (CI installs them). Without
//! them the tests FAIL, unless `RUDIS_SKIP_REDIS_INTEROP=1` says to skip. Every
//! server started here is killed by its PID when the test ends.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::binary::{self, Binary};
use common::real_redis::Redis;
use common::{scratch_dir, start_server};
use redis::{Connection, Value as RV};
use rudis::config::EncodingLimits;
use rudis::persistence::rdb;
use rudis::persistence::rdb::LoadOptions;
use rudis::store::list::{List, Side};
use rudis::store::set::Set;
use rudis::store::{Store, Value, hash::Hash, zset::ZSet};

/// A key's contents in comparable form: type, then elements (sets and hashes sorted,
/// scores as Rust formats the f64), then the absolute expiry in ms (-1 = none).
type Contents = (String, Vec<String>, i64);

fn have_redis() -> bool {
    common::real_redis::have(&["redis-server", "redis-check-rdb"])
}

fn q(con: &mut Connection, cmd: &mut redis::Cmd) -> RV {
    cmd.query(con).expect("command")
}

/// Fills the current database with every type in its small and big encodings.
fn fill(con: &mut Connection, tag: &str) {
    let big: Vec<String> = (0..3000).map(|i| format!("{tag}-element-{i}")).collect();
    let pairs: Vec<String> = big
        .iter()
        .flat_map(|e| [e.clone(), e.to_uppercase()])
        .collect();
    let scored: Vec<String> = big
        .iter()
        .enumerate()
        .flat_map(|(i, e)| [(i as f64 / 7.0).to_string(), e.clone()])
        .collect();
    let ints: Vec<i64> = (0..1000).map(|i| i * 37 - 5000).collect();
    q(con, redis::cmd("SET").arg("str").arg("hello world"));
    q(con, redis::cmd("SET").arg("int").arg(-42));
    q(con, redis::cmd("SET").arg("int64").arg(i64::MIN));
    q(
        con,
        redis::cmd("SET")
            .arg("compressible")
            .arg("abc".repeat(5000)),
    );
    q(con, redis::cmd("SET").arg("empty").arg(""));
    q(
        con,
        redis::cmd("SET")
            .arg("ttl")
            .arg("soon")
            .arg("PX")
            .arg(500_000),
    );
    q(
        con,
        redis::cmd("RPUSH").arg("list").arg(&["a", "1", "-2", "b"]),
    );
    q(con, redis::cmd("RPUSH").arg("biglist").arg(&big));
    q(
        con,
        redis::cmd("RPUSH").arg("biglist").arg("x".repeat(20_000)),
    );
    q(
        con,
        redis::cmd("SADD")
            .arg("intset")
            .arg(&[1i64, 2, 300_000, -70_000_000_000]),
    );
    q(con, redis::cmd("SADD").arg("bigintset").arg(&ints));
    q(
        con,
        redis::cmd("SADD").arg("smallset").arg(&["x", "y", "7"]),
    );
    q(con, redis::cmd("SADD").arg("bigset").arg(&big));
    q(
        con,
        redis::cmd("HSET").arg("hash").arg(&["f", "v", "n", "12"]),
    );
    q(con, redis::cmd("HSET").arg("bighash").arg(&pairs));
    q(
        con,
        redis::cmd("HSET")
            .arg("longhash")
            .arg("f")
            .arg("v".repeat(100)),
    );
    q(
        con,
        redis::cmd("ZADD")
            .arg("zset")
            .arg(&["1", "a", "2.5", "b", "-inf", "c", "inf", "d"]),
    );
    q(con, redis::cmd("ZADD").arg("bigzset").arg(&scored));
    q(con, redis::cmd("PEXPIRE").arg("bighash").arg(900_000));
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn sorted_pairs(items: Vec<String>) -> Vec<String> {
    let mut pairs: Vec<Vec<String>> = items.chunks(2).map(<[String]>::to_vec).collect();
    pairs.sort();
    pairs.concat()
}

/// A key's contents read over RESP (Redis or rudis).
fn contents_of(con: &mut Connection, key: &[u8]) -> Contents {
    let kind: String = redis::cmd("TYPE").arg(key).query(con).expect("type");
    let strings = |c: &mut redis::Cmd, con: &mut Connection| -> Vec<String> {
        let v: Vec<Vec<u8>> = c.query(con).expect("read");
        v.into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect()
    };
    let items = match kind.as_str() {
        "string" => strings(redis::cmd("MGET").arg(key), con),
        "list" => strings(redis::cmd("LRANGE").arg(key).arg(0).arg(-1), con),
        "set" => sorted(strings(redis::cmd("SMEMBERS").arg(key), con)),
        "hash" => sorted_pairs(strings(redis::cmd("HGETALL").arg(key), con)),
        "zset" => strings(
            redis::cmd("ZRANGE")
                .arg(key)
                .arg(0)
                .arg(-1)
                .arg("WITHSCORES"),
            con,
        )
        .chunks(2)
        .flat_map(|c| {
            let score: f64 = c[1].parse().expect("a score");
            [c[0].clone(), score.to_string()]
        })
        .collect(),
        other => panic!("unexpected type {other}"),
    };
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg(key)
        .query(con)
        .expect("pexpiretime");
    (kind, items, at)
}

/// Every key of the connection's databases 0..`dbs`, over RESP.
fn all_contents(con: &mut Connection, dbs: usize) -> BTreeMap<(usize, String), Contents> {
    let mut out = BTreeMap::new();
    for db in 0..dbs {
        q(con, redis::cmd("SELECT").arg(db));
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(con).expect("keys");
        for key in keys {
            let c = contents_of(con, &key);
            out.insert((db, String::from_utf8_lossy(&key).into_owned()), c);
        }
    }
    q(con, redis::cmd("SELECT").arg(0));
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A stored value in the same form.
fn contents_of_value(v: &Value, at: i64) -> Contents {
    let (kind, items) = match v {
        Value::Str(s) => ("string", vec![text(s)]),
        Value::Int(n) => ("string", vec![n.to_string()]),
        Value::Doc(d) => ("string", vec![text(d)]),
        Value::List(l) => ("list", l.iter().map(|i| i.with_text(text)).collect()),
        Value::Set(s) => ("set", sorted(s.iter().map(|m| m.with_text(text)).collect())),
        Value::Hash(h) => (
            "hash",
            sorted_pairs(h.iter().flat_map(|(f, v)| [text(f), text(v)]).collect()),
        ),
        Value::ZSet(z) => (
            "zset",
            z.iter()
                .flat_map(|(m, s)| [text(m), s.to_string()])
                .collect(),
        ),
        Value::Stream(s) => (
            "stream",
            s.log
                .range(
                    rudis::store::stream::StreamId::MIN,
                    rudis::store::stream::StreamId::MAX,
                    false,
                    0,
                )
                .iter()
                .flat_map(|(id, pairs)| {
                    std::iter::once(id.to_string())
                        .chain(pairs.iter().flat_map(|(f, v)| [text(f), text(v)]))
                })
                .collect(),
        ),
    };
    (kind.to_string(), items, if at == 0 { -1 } else { at })
}

fn store_contents(store: &Store) -> BTreeMap<(usize, String), Contents> {
    let mut out = BTreeMap::new();
    for (i, db) in store.dbs().iter().enumerate() {
        for (k, v, at) in db.iter() {
            out.insert((i, text(k)), contents_of_value(v, at));
        }
    }
    out
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

#[test]
fn redis_dump_rdb_reads_identically() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("rdb-from-redis");
    let redis = Redis::start(&dir, "dump.rdb");
    let mut con = redis.con();
    fill(&mut con, "zero");
    q(&mut con, redis::cmd("SELECT").arg(1));
    fill(&mut con, "one");
    q(&mut con, redis::cmd("SELECT").arg(0));
    // The encodings Redis chose: compact and big ones are both in the file.
    let enc = |con: &mut Connection, k: &str| -> String {
        redis::cmd("OBJECT")
            .arg("ENCODING")
            .arg(k)
            .query(con)
            .expect("encoding")
    };
    assert_eq!(enc(&mut con, "list"), "quicklist");
    assert_eq!(enc(&mut con, "intset"), "intset");
    assert_eq!(enc(&mut con, "bigintset"), "hashtable");
    assert_eq!(enc(&mut con, "hash"), "listpack");
    assert_eq!(enc(&mut con, "bighash"), "hashtable");
    assert_eq!(enc(&mut con, "zset"), "listpack");
    assert_eq!(enc(&mut con, "bigzset"), "skiplist");
    let expected = all_contents(&mut con, 2);
    q(&mut con, &mut redis::cmd("SAVE"));
    let file = std::fs::File::open(dir.join("dump.rdb")).expect("dump.rdb");
    let mut store = Store::new(16);
    let options = LoadOptions {
        limits: EncodingLimits::default(),
        now: now_ms(),
        merge: false,
        key_delay_us: 0,
    };
    let stats = rdb::read_store(std::io::BufReader::new(file), &mut store, &options)
        .expect("rudis reads Redis's dump.rdb");
    assert_eq!(stats.loaded as usize, expected.len());
    assert_eq!(store_contents(&store), expected);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One of every type, written by rudis.
fn rudis_store() -> Store {
    let limits = EncodingLimits::default();
    let mut store = Store::new(16);
    let db = store.db(0);
    db.insert(b"str", Value::from_bytes(b"hello"), 0);
    db.insert(b"int", Value::Int(123_456_789_012), 0);
    db.insert(b"small", Value::Int(-7), 0);
    db.insert(b"long", Value::from_bytes("xyz".repeat(4000).as_bytes()), 0);
    db.insert(b"doc", Value::Doc(b"%1\r\n+a\r\n:1\r\n".to_vec().into()), 0);
    db.insert(b"ttl", Value::from_bytes(b"v"), now_ms() + 600_000);
    let mut list = Box::<List>::default();
    for i in 0..5000 {
        list.push(
            Side::Right,
            format!("item{i}").as_bytes(),
            limits.list_limit(),
        );
        list.push(Side::Right, i.to_string().as_bytes(), limits.list_limit());
    }
    db.insert(b"list", Value::List(list), 0);
    let mut set = Box::<Set>::default();
    for m in ["1", "2", "3"] {
        set.insert(m.as_bytes(), &limits.set_limits());
    }
    db.insert(b"intset", Value::Set(set), 0);
    let mut set = Box::<Set>::default();
    for i in 0..1000 {
        set.insert(format!("m{i}").as_bytes(), &limits.set_limits());
    }
    db.insert(b"set", Value::Set(set), 0);
    let mut hash = Box::<Hash>::default();
    for i in 0..300 {
        hash.insert(
            format!("f{i}").as_bytes(),
            format!("v{i}").as_bytes(),
            limits.hash_limits(),
        );
    }
    db.insert(b"hash", Value::Hash(hash), now_ms() + 900_000);
    let mut zset = Box::<ZSet>::default();
    for i in 0..300 {
        zset.insert(
            format!("z{i}").as_bytes(),
            f64::from(i) * 0.1,
            limits.zset_limits(),
        );
    }
    zset.insert(b"neg", f64::NEG_INFINITY, limits.zset_limits());
    db.insert(b"zset", Value::ZSet(zset), 0);
    let db5 = store.db(5);
    db5.insert(b"five", Value::from_bytes(b"in db 5"), 0);
    store
}

fn check_rdb(path: &Path) {
    let out = Command::new("redis-check-rdb")
        .arg(path)
        .output()
        .expect("run redis-check-rdb");
    assert!(
        out.status.success(),
        "redis-check-rdb refused {}:\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn rudis_rdb_loads_in_redis() {
    if !have_redis() {
        return;
    }
    let store = rudis_store();
    let dir = scratch_dir("rdb-to-redis");
    let path: PathBuf = dir.join("rudis.rdb");
    let file = std::fs::File::create(&path).expect("create");
    let (_, stats) =
        rdb::write_store(&store, std::io::BufWriter::new(file), now_ms(), None).expect("write");
    assert_eq!(stats.docs, 1);
    check_rdb(&path);
    let redis = Redis::start(&dir, "rudis.rdb");
    let mut con = redis.con();
    assert_eq!(all_contents(&mut con, 16), store_contents(&store));
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_payloads_move_both_ways() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("dump-interop");
    let redis = Redis::start(&dir, "dump.rdb");
    let mut theirs = redis.con();
    let server = start_server();
    let mut ours = server.redis();
    fill(&mut theirs, "r");
    fill(&mut ours, "r");
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("*")
        .query(&mut theirs)
        .expect("keys");
    assert!(keys.len() > 10);
    for key in &keys {
        let mut copy = key.clone();
        copy.extend_from_slice(b":copy");
        move_one(&mut theirs, &mut ours, key, &copy);
        move_one(&mut ours, &mut theirs, key, &copy);
    }
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// DUMPs `key` on `from`, RESTOREs it as `copy` on `to`, and compares both.
fn move_one(from: &mut Connection, to: &mut Connection, key: &[u8], copy: &[u8]) {
    let payload: Vec<u8> = redis::cmd("DUMP").arg(key).query(from).expect("dump");
    let ok: String = redis::cmd("RESTORE")
        .arg(copy)
        .arg(0)
        .arg(&payload)
        .arg("REPLACE")
        .query(to)
        .unwrap_or_else(|e| panic!("RESTORE {} refused: {e}", text(key)));
    assert_eq!(ok, "OK");
    let (kind, items, _) = contents_of(from, key);
    let (kind2, items2, _) = contents_of(to, copy);
    assert_eq!((kind, items), (kind2, items2), "{}", text(key));
}

/// Starts the `rudis-server` binary on a free port in `dir` with `args`.
fn start_rudis(dir: &Path, args: &[&str]) -> Binary {
    let dir = dir.to_str().expect("utf-8 path");
    binary::start(&[&["--port", "0", "--dir", dir][..], args].concat())
}

/// Kills `rudis` (SIGKILL) and returns its whole log.
fn stop(rudis: &mut Binary) -> String {
    rudis.kill9();
    rudis.log_text()
}

#[test]
fn redis_dump_rdb_loads_at_rudis_startup() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("rdb-startup");
    let redis = Redis::start(&dir, "dump.rdb");
    let mut con = redis.con();
    fill(&mut con, "zero");
    q(&mut con, redis::cmd("SELECT").arg(1));
    fill(&mut con, "one");
    let expected = all_contents(&mut con, 2);
    q(&mut con, &mut redis::cmd("SAVE"));
    // Killed by its PID (on drop): no shutdown save touches the file.
    drop(redis);
    let mut rudis = start_rudis(&dir, &[]);
    let mut ours = rudis.client();
    assert_eq!(all_contents(&mut ours, 2), expected);
    let log = stop(&mut rudis);
    assert!(log.contains("Redis RDB format"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rudis_saves_an_rdb_that_redis_starts_from() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("rdb-save-for-redis");
    let mut rudis = start_rudis(&dir, &["--snapshot-format", "redis"]);
    let mut con = rudis.client();
    fill(&mut con, "zero");
    q(&mut con, redis::cmd("SELECT").arg(1));
    fill(&mut con, "one");
    let expected = all_contents(&mut con, 2);
    q(&mut con, &mut redis::cmd("SAVE"));
    rudis.kill9();
    check_rdb(&dir.join("dump.rdb"));
    let redis = Redis::start(&dir, "dump.rdb");
    let mut theirs = redis.con();
    assert_eq!(all_contents(&mut theirs, 2), expected);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sets `key` to a nested document (a map argument), over a raw socket.
fn set_doc(addr: std::net::SocketAddr, key: &str) {
    let mut raw = common::Raw::connect(addr);
    common::set_doc(&mut raw, key, b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");
}

#[test]
fn documents_become_strings_logged_once_per_save() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("rdb-docs");
    let mut rudis = start_rudis(&dir, &["--snapshot-format", "redis"]);
    set_doc(rudis.addr, "doc1");
    set_doc(rudis.addr, "doc2");
    let mut con = rudis.client();
    q(&mut con, redis::cmd("SET").arg("plain").arg("v"));
    q(&mut con, &mut redis::cmd("SAVE"));
    // And once more from a background save (the child reports it to the parent).
    q(&mut con, &mut redis::cmd("BGSAVE"));
    loop {
        let info: String = redis::cmd("INFO")
            .arg("persistence")
            .query(&mut con)
            .expect("info");
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
            break;
        }
    }
    let log = stop(&mut rudis);
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("document")).collect();
    assert_eq!(warnings.len(), 2, "{log:#?}");
    assert!(
        warnings.iter().all(|l| l.contains("2 document")),
        "{log:#?}"
    );
    check_rdb(&dir.join("dump.rdb"));
    let redis = Redis::start(&dir, "dump.rdb");
    let mut theirs = redis.con();
    let doc: Vec<u8> = redis::cmd("GET")
        .arg("doc1")
        .query(&mut theirs)
        .expect("get");
    assert_eq!(doc, b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");
    let kind: String = redis::cmd("TYPE")
        .arg("doc2")
        .query(&mut theirs)
        .expect("type");
    assert_eq!(kind, "string");
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The value of `field` in `INFO persistence`.
fn persistence_field(con: &mut Connection, field: &str) -> String {
    let info: String = redis::cmd("INFO")
        .arg("persistence")
        .query(con)
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Waits until a started (or scheduled) AOF rewrite is over; asserts it succeeded.
fn wait_rewrite(con: &mut Connection) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while persistence_field(con, "aof_rewrite_in_progress") != "0"
        || persistence_field(con, "aof_rewrite_scheduled") != "0"
        || persistence_field(con, "aof_rewrites") == "0"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the rewrite did not finish"
        );
        std::thread::yield_now();
    }
    assert_eq!(persistence_field(con, "aof_last_bgrewrite_status"), "ok");
}

#[test]
fn a_redis_appendonlydir_with_an_rdb_base_opens_in_rudis() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("aof-rdb-base");
    let redis = Redis::start_with(&dir, "dump.rdb", &["--appendonly", "yes"]);
    let mut con = redis.con();
    fill(&mut con, "zero");
    // The rewrite moves database 0 into an RDB base (Redis 7's default preamble).
    let _: () = redis::cmd("BGREWRITEAOF")
        .query(&mut con)
        .expect("BGREWRITEAOF");
    wait_rewrite(&mut con);
    // Database 1 goes to the incremental file after the rewrite.
    q(&mut con, redis::cmd("SELECT").arg(1));
    fill(&mut con, "one");
    let expected = all_contents(&mut con, 2);
    // SHUTDOWN NOSAVE writes and fsyncs the AOF, and saves no dump.rdb.
    let _: redis::RedisResult<()> = redis::cmd("SHUTDOWN").arg("NOSAVE").query(&mut con);
    drop(redis);
    let bases: Vec<String> = std::fs::read_dir(dir.join("appendonlydir"))
        .expect("Redis's appendonlydir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".base.rdb"))
        .collect();
    assert_eq!(bases.len(), 1, "one RDB base: {bases:?}");
    assert!(!dir.join("dump.rdb").exists());
    let mut rudis = start_rudis(&dir, &["--appendonly", "yes"]);
    let mut ours = rudis.client();
    assert_eq!(all_contents(&mut ours, 2), expected);
    let log = stop(&mut rudis);
    assert!(log.contains("RDB base"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stream with nodes of several shapes, deleted entries, counters and groups with
/// pending entries, built over RESP (on Redis or rudis).
fn fill_stream(con: &mut Connection) {
    for i in 1..=250 {
        let id = format!("{i}-0");
        q(
            con,
            redis::cmd("XADD")
                .arg("s")
                .arg(&id)
                .arg("n")
                .arg(i)
                .arg("x")
                .arg("y"),
        );
    }
    q(
        con,
        redis::cmd("XADD")
            .arg("s")
            .arg("251-5")
            .arg("other")
            .arg("v".repeat(100))
            .arg("n")
            .arg(-70_000),
    );
    q(con, redis::cmd("XDEL").arg("s").arg("200-0").arg("3-0"));
    q(
        con,
        redis::cmd("XGROUP")
            .arg("CREATE")
            .arg("s")
            .arg("g1")
            .arg("0"),
    );
    q(
        con,
        redis::cmd("XGROUP").arg(&["CREATE", "s", "g2", "$", "ENTRIESREAD", "3"]),
    );
    q(
        con,
        redis::cmd("XREADGROUP").arg(&["GROUP", "g1", "a", "COUNT", "5", "STREAMS", "s", ">"]),
    );
    q(
        con,
        redis::cmd("XREADGROUP").arg(&["GROUP", "g1", "b", "COUNT", "3", "STREAMS", "s", ">"]),
    );
    q(con, redis::cmd("XACK").arg(&["s", "g1", "4-0"]));
    q(
        con,
        redis::cmd("XCLAIM").arg(&["s", "g1", "c", "0", "5-0", "RETRYCOUNT", "7"]),
    );
    q(
        con,
        redis::cmd("XGROUP").arg(&["CREATECONSUMER", "s", "g2", "idle"]),
    );
    q(
        con,
        redis::cmd("XSETID").arg(&["s", "300-0", "ENTRIESADDED", "400", "MAXDELETEDID", "250-0"]),
    );
    q(
        con,
        redis::cmd("XGROUP").arg(&["CREATE", "empty", "g", "$", "MKSTREAM"]),
    );
}

/// The streams' contents and XINFO STREAM FULL, without the radix tree's internal
/// node count (rudis has no radix tree).
fn stream_state(con: &mut Connection) -> String {
    let mut out = String::new();
    for key in ["s", "empty"] {
        let entries = q(con, redis::cmd("XRANGE").arg(key).arg("-").arg("+"));
        let full = q(
            con,
            redis::cmd("XINFO")
                .arg("STREAM")
                .arg(key)
                .arg("FULL")
                .arg("COUNT")
                .arg(0),
        );
        let full = match full {
            RV::Array(items) => {
                let mut kept = Vec::new();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if k != RV::BulkString(b"radix-tree-nodes".to_vec()) {
                        kept.push(k);
                        kept.push(v);
                    }
                }
                kept
            }
            other => panic!("{other:?}"),
        };
        out.push_str(&format!("{key}: {entries:?} {full:?}\n"));
    }
    out
}

#[test]
fn streams_with_groups_move_between_redis_and_rudis() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("rdb-streams");
    let redis = Redis::start(&dir, "dump.rdb");
    let mut con = redis.con();
    fill_stream(&mut con);
    let expected = stream_state(&mut con);
    q(&mut con, &mut redis::cmd("SAVE"));
    // Killed by its PID (on drop): no shutdown save touches the file.
    drop(redis);
    // Redis's file read by rudis at startup...
    let mut rudis = start_rudis(&dir, &["--snapshot-format", "redis"]);
    let mut ours = rudis.client();
    assert_eq!(stream_state(&mut ours), expected);
    // ...written back by rudis, accepted by redis-check-rdb, loaded by Redis.
    q(&mut ours, &mut redis::cmd("SAVE"));
    stop(&mut rudis);
    check_rdb(&dir.join("dump.rdb"));
    let redis = Redis::start(&dir, "dump.rdb");
    let mut theirs = redis.con();
    assert_eq!(stream_state(&mut theirs), expected);
    // DUMP payloads move both ways too.
    let payload: Vec<u8> = redis::cmd("DUMP")
        .arg("s")
        .query(&mut theirs)
        .expect("dump");
    drop(redis);
    let rudis = start_rudis(&dir, &[]);
    let mut ours = rudis.client();
    q(
        &mut ours,
        redis::cmd("RESTORE")
            .arg("s")
            .arg(0)
            .arg(&payload)
            .arg("REPLACE"),
    );
    assert_eq!(stream_state(&mut ours), expected);
    drop(rudis);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rudis_appendonlydir_opens_in_redis() {
    if !have_redis() {
        return;
    }
    let dir = scratch_dir("aof-for-redis");
    let mut rudis = start_rudis(&dir, &["--appendonly", "yes"]);
    let mut con = rudis.client();
    fill(&mut con, "zero");
    // The rewrite writes database 0 into an RDB base (`aof-use-rdb-preamble yes`).
    q(&mut con, &mut redis::cmd("BGREWRITEAOF"));
    wait_rewrite(&mut con);
    // Database 1 goes to the incremental file as commands.
    q(&mut con, redis::cmd("SELECT").arg(1));
    fill(&mut con, "one");
    let expected = all_contents(&mut con, 2);
    rudis.kill9();
    let manifest = dir.join("appendonlydir").join("appendonly.aof.manifest");
    common::assert_redis_check_aof(&manifest);
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(
        text.starts_with("file appendonly.aof.2.base.rdb seq 2 type b\n"),
        "{text}"
    );
    let redis = Redis::start_with(&dir, "dump.rdb", &["--appendonly", "yes"]);
    let mut theirs = redis.con();
    assert_eq!(all_contents(&mut theirs, 2), expected);
    drop(redis);
    let _ = std::fs::remove_dir_all(&dir);
}
