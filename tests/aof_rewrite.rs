//! AOF rewrite through the real binary: with `appendfsync everysec`, 200,000 INCRs and
//! mixed writes, BGREWRITEAOF shrinks the AOF directory below a tenth of its size;
//! writes made during and after the rewrite survive SIGKILL; `redis-check-aof` accepts
//! the rewritten directory; automatic rewrite and BGREWRITEAOF's scheduling.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::binary::{self, Binary};
use common::{assert_redis_check_aof, scratch_dir};

/// How long a test waits for the server to reach a state before failing.
const PATIENCE: Duration = Duration::from_secs(10);

/// Starts the binary on `dir` with the AOF on and `args`.
fn start(dir: &Path, args: &[&str]) -> Binary {
    let dir = dir.to_str().expect("utf-8");
    let base: &[&str] = &[
        "--port",
        "0",
        "--dir",
        dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
    ];
    binary::start(&[base, args].concat())
}

/// SET `key` `value`.
fn set(c: &mut redis::Connection, key: impl redis::ToRedisArgs, value: impl redis::ToRedisArgs) {
    let _: () = redis::cmd("SET").arg(key).arg(value).query(c).expect("SET");
}

/// One field of INFO persistence.
fn info(c: &mut redis::Connection, name: &str) -> String {
    let text: String = redis::cmd("INFO")
        .arg("persistence")
        .query(c)
        .expect("INFO");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in INFO"))
        .trim()
        .to_string()
}

/// Polls until INFO's `name` is `value`.
fn wait_info(c: &mut redis::Connection, name: &str, value: &str) {
    let deadline = Instant::now() + PATIENCE;
    while info(c, name) != value {
        assert!(Instant::now() < deadline, "{name} never became {value}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until no rewrite runs and `rewrites` have been made; asserts the last one
/// succeeded.
fn wait_rewrites(c: &mut redis::Connection, rewrites: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let done: u64 = info(c, "aof_rewrites").parse().expect("number");
        if done >= rewrites && info(c, "aof_rewrite_in_progress") == "0" {
            break;
        }
        assert!(Instant::now() < deadline, "the rewrite never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(info(c, "aof_last_bgrewrite_status"), "ok");
}

/// Total size of the files in `dir`.
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").metadata().expect("metadata").len())
        .sum()
}

/// Polls until the files in `dir` are `expected` (old files are removed off the
/// loop, shortly after the rewrite ends).
fn wait_files(dir: &Path, expected: &[&str]) {
    let deadline = Instant::now() + PATIENCE;
    while dir_files(dir) != expected {
        assert!(
            Instant::now() < deadline,
            "{:?} never became {expected:?}",
            dir_files(dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Names of the files in `dir`, sorted.
fn dir_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Mixed writes of round `round`: strings, a hash, a list, a set, a sorted set, TTLs
/// and deletions.
fn mixed_writes(c: &mut redis::Connection, round: usize) {
    let mut pipe = redis::pipe();
    for i in 0..500 {
        let n = round * 1000 + i;
        pipe.cmd("SET").arg(format!("s:{n}")).arg(n).ignore();
        pipe.cmd("HSET")
            .arg("h")
            .arg(format!("f{n}"))
            .arg(n)
            .ignore();
        pipe.cmd("RPUSH").arg("l").arg(n).ignore();
        pipe.cmd("SADD").arg("set").arg(n).ignore();
        pipe.cmd("ZADD")
            .arg("z")
            .arg(n)
            .arg(format!("m{n}"))
            .ignore();
        if i % 10 == 0 {
            pipe.cmd("EXPIRE").arg(format!("s:{n}")).arg(1000).ignore();
        }
        if i % 7 == 0 {
            pipe.cmd("DEL").arg(format!("s:{n}")).ignore();
        }
    }
    pipe.query::<()>(c).expect("mixed writes");
}

/// `count` INCRs of `counter`, pipelined in batches.
fn incrs(c: &mut redis::Connection, count: usize) {
    const BATCH: usize = 10_000;
    let mut left = count;
    while left > 0 {
        let n = left.min(BATCH);
        let mut pipe = redis::pipe();
        for _ in 0..n {
            pipe.cmd("INCR").arg("counter").ignore();
        }
        pipe.query::<()>(c).expect("INCRs");
        left -= n;
    }
}

/// Asserts what [`mixed_writes`] rounds `rounds` left.
fn check_mixed(c: &mut redis::Connection, rounds: std::ops::Range<usize>) {
    let per_round = 500;
    let total = rounds.len() * per_round;
    let hlen: usize = redis::cmd("HLEN").arg("h").query(c).expect("HLEN");
    let llen: usize = redis::cmd("LLEN").arg("l").query(c).expect("LLEN");
    let scard: usize = redis::cmd("SCARD").arg("set").query(c).expect("SCARD");
    let zcard: usize = redis::cmd("ZCARD").arg("z").query(c).expect("ZCARD");
    assert_eq!((hlen, llen, scard, zcard), (total, total, total, total));
    for round in rounds {
        for i in (0..per_round).step_by(37) {
            let n = round * 1000 + i;
            let key = format!("s:{n}");
            let value: Option<String> = redis::cmd("GET").arg(&key).query(c).expect("GET");
            let ttl: i64 = redis::cmd("TTL").arg(&key).query(c).expect("TTL");
            if i % 7 == 0 {
                assert_eq!(value, None, "{key}");
            } else {
                assert_eq!(value, Some(n.to_string()), "{key}");
                if i % 10 == 0 {
                    assert!((990..=1000).contains(&ttl), "{key} ttl {ttl}");
                } else {
                    assert_eq!(ttl, -1, "{key}");
                }
            }
        }
    }
}

#[test]
fn rewrite_shrinks_the_log_and_every_write_survives_sigkill() {
    let dir = scratch_dir("aof-rewrite");
    let aof_dir = dir.join("appendonlydir");
    let mut server = start(&dir, &["--auto-aof-rewrite-percentage", "0"]);
    let mut c = server.client();
    incrs(&mut c, 100_000);
    mixed_writes(&mut c, 0);
    incrs(&mut c, 100_000);
    mixed_writes(&mut c, 1);
    let before = dir_size(&aof_dir);

    let reply: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    assert_eq!(reply, "Background append only file rewriting started");
    // Writes go on while the child writes the base.
    incrs(&mut c, 500);
    mixed_writes(&mut c, 2);
    wait_rewrites(&mut c, 1);
    // Old files are removed, no temporary file is left; the base is an RDB
    // (`aof-use-rdb-preamble yes`, the default).
    wait_files(
        &aof_dir,
        &[
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest",
        ],
    );
    let after = dir_size(&aof_dir);
    assert!(
        after * 10 < before,
        "the AOF went from {before} to {after} bytes"
    );
    // Redis's `aof_base_size`: the size right after the rewrite (writes made during
    // it may land after the switch, so the current size can be larger).
    let base: u64 = info(&mut c, "aof_base_size").parse().expect("number");
    let current: u64 = info(&mut c, "aof_current_size").parse().expect("number");
    assert!(base > 0 && base <= current, "{base} {current}");

    // Writes after the rewrite.
    incrs(&mut c, 500);
    mixed_writes(&mut c, 3);
    set(&mut c, "after", "rewrite");
    // SIGKILL keeps what was written (the page cache survives the process); under
    // everysec a write waits only while a background fsync runs. The reply that shows
    // none running comes after that turn wrote the buffer.
    wait_info(&mut c, "aof_pending_bio_fsync", "0");
    server.kill9();

    let server = start(&dir, &["--auto-aof-rewrite-percentage", "0"]);
    let mut c = server.client();
    let counter: u64 = redis::cmd("GET").arg("counter").query(&mut c).expect("GET");
    assert_eq!(counter, 201_000);
    check_mixed(&mut c, 0..4);
    let after: String = redis::cmd("GET").arg("after").query(&mut c).expect("GET");
    assert_eq!(after, "rewrite");
    drop(server);

    let manifest = aof_dir.join("appendonly.aof.manifest");
    assert_redis_check_aof(&manifest);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn automatic_rewrite_and_scheduling() {
    let dir = scratch_dir("aof-autorewrite");
    let server = start(&dir, &["--auto-aof-rewrite-min-size", "1mb"]);
    let mut c = server.client();
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("auto-aof-rewrite-*")
        .query(&mut c)
        .expect("CONFIG GET");
    assert!(
        got.windows(2)
            .any(|w| w == ["auto-aof-rewrite-min-size", "1048576"]),
        "{got:?}"
    );
    assert!(
        got.windows(2)
            .any(|w| w == ["auto-aof-rewrite-percentage", "100"]),
        "{got:?}"
    );
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("auto-aof-rewrite-min-size")
        .arg("100kb")
        .query(&mut c)
        .expect("CONFIG SET");
    assert_eq!(info(&mut c, "aof_rewrites"), "0");
    // About 300 kB of INCRs: past the minimum and 100% over the (empty) base.
    incrs(&mut c, 10_000);
    wait_rewrites(&mut c, 1);
    let counter: u64 = redis::cmd("GET").arg("counter").query(&mut c).expect("GET");
    assert_eq!(counter, 10_000);

    // BGREWRITEAOF while a BGSAVE runs is scheduled and runs once it ends.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("auto-aof-rewrite-percentage")
        .arg("0")
        .arg("rdb-key-save-delay")
        .arg("200000")
        .query(&mut c)
        .expect("CONFIG SET");
    wait_info(&mut c, "aof_rewrite_in_progress", "0");
    let done: u64 = info(&mut c, "aof_rewrites").parse().expect("number");
    let reply: String = redis::cmd("BGSAVE").query(&mut c).expect("BGSAVE");
    assert_eq!(reply, "Background saving started");
    let reply: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    assert_eq!(reply, "Background append only file rewriting scheduled");
    assert_eq!(info(&mut c, "aof_rewrite_scheduled"), "1");
    wait_rewrites(&mut c, done + 1);
    assert_eq!(info(&mut c, "aof_rewrite_scheduled"), "0");
    assert_eq!(info(&mut c, "rdb_bgsave_in_progress"), "0");
    let counter: u64 = redis::cmd("GET").arg("counter").query(&mut c).expect("GET");
    assert_eq!(counter, 10_000);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_rewrite_keeps_the_old_files_and_writing_goes_on() {
    let dir = scratch_dir("aof-rewrite-fail");
    let aof_dir = dir.join("appendonlydir");
    let slow = [
        "--auto-aof-rewrite-percentage",
        "0",
        "--rdb-key-save-delay",
        "500000",
    ];
    let mut server = start(&dir, &slow);
    let mut c = server.client();
    for i in 0..10 {
        set(&mut c, format!("k{i}"), i);
    }
    incrs(&mut c, 100);
    let reply: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    assert_eq!(reply, "Background append only file rewriting started");
    let again = redis::cmd("BGREWRITEAOF").query::<String>(&mut c);
    let again = again.expect_err("a second rewrite").to_string();
    assert!(
        again.contains("Background append only file rewriting already in progress"),
        "{again}"
    );
    let bgsave = redis::cmd("BGSAVE").query::<String>(&mut c);
    let bgsave = bgsave.expect_err("BGSAVE during a rewrite").to_string();
    assert!(
        bgsave.contains("Another child process is active (AOF?)"),
        "{bgsave}"
    );
    assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "1");
    incrs(&mut c, 100);

    let pid = server.wait_log_after("Background append only file rewriting started by pid ");
    let killed = Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_info(&mut c, "aof_rewrite_in_progress", "0");
    assert_eq!(info(&mut c, "aof_last_bgrewrite_status"), "err");
    assert_eq!(info(&mut c, "aof_rewrites_consecutive_failures"), "1");
    incrs(&mut c, 100);
    let manifest =
        std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).expect("manifest");
    assert_eq!(
        manifest,
        "file appendonly.aof.1.base.rdb seq 1 type b\n\
         file appendonly.aof.1.incr.aof seq 1 type i\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert_eq!(
        dir_files(&aof_dir),
        [
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest"
        ],
        "no temporary file is left"
    );
    wait_info(&mut c, "aof_pending_bio_fsync", "0");
    server.kill9();

    // Everything is there after a restart, and the next rewrite succeeds.
    let server = start(&dir, &["--auto-aof-rewrite-percentage", "0"]);
    let mut c = server.client();
    let counter: u64 = redis::cmd("GET").arg("counter").query(&mut c).expect("GET");
    assert_eq!(counter, 300);
    let k9: u64 = redis::cmd("GET").arg("k9").query(&mut c).expect("GET");
    assert_eq!(k9, 9);
    let reply: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    assert_eq!(reply, "Background append only file rewriting started");
    wait_rewrites(&mut c, 1);
    assert_eq!(info(&mut c, "aof_rewrites_consecutive_failures"), "0");
    wait_files(
        &aof_dir,
        &[
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.3.incr.aof",
            "appendonly.aof.manifest",
        ],
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn nested_documents_keep_a_command_base_and_survive_a_restart() {
    let dir = scratch_dir("aof-rewrite-docs");
    let aof_dir = dir.join("appendonlydir");
    let doc: &[u8] = b"%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n";
    let mut server = start(&dir, &["--auto-aof-rewrite-percentage", "0"]);
    let mut raw = server.raw();
    common::set_doc(&mut raw, "doc", doc);
    let mut c = server.client();
    set(&mut c, "plain", "v");
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("aof-use-rdb-preamble")
        .query(&mut c)
        .expect("CONFIG GET");
    assert_eq!(got, ["aof-use-rdb-preamble", "yes"]);
    let (name, value) = ("sanitize-dump-payload", "clients");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(&mut c)
        .expect("CONFIG SET");
    let got: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg(name)
        .query(&mut c)
        .expect("CONFIG GET");
    assert_eq!(got, [name, value]);
    let bad = redis::cmd("CONFIG")
        .arg("SET")
        .arg("aof-use-rdb-preamble")
        .arg("maybe")
        .query::<()>(&mut c);
    assert!(bad.is_err());
    let _: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    wait_rewrites(&mut c, 1);
    // RDB has no document type: the base is written as commands instead.
    wait_files(
        &aof_dir,
        &[
            "appendonly.aof.2.base.aof",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest",
        ],
    );
    wait_info(&mut c, "aof_pending_bio_fsync", "0");
    server.kill9();

    let server = start(&dir, &["--auto-aof-rewrite-percentage", "0"]);
    let mut c = server.client();
    let kind: String = redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg("doc")
        .query(&mut c)
        .expect("OBJECT ENCODING");
    assert_eq!(kind, "document");
    let plain: String = redis::cmd("GET").arg("plain").query(&mut c).expect("GET");
    assert_eq!(plain, "v");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bgrewriteaof_with_the_aof_off_writes_a_base_only_directory() {
    let dir = scratch_dir("aof-rewrite-off");
    let aof_dir = dir.join("appendonlydir");
    let d = dir.to_str().expect("utf-8");
    let server = binary::start(&["--port", "0", "--dir", d]);
    let mut c = server.client();
    for i in 0..100 {
        set(&mut c, format!("k{i}"), i);
    }
    let reply: String = redis::cmd("BGREWRITEAOF")
        .query(&mut c)
        .expect("BGREWRITEAOF");
    assert_eq!(reply, "Background append only file rewriting started");
    wait_rewrites(&mut c, 1);
    assert_eq!(info(&mut c, "aof_enabled"), "0");
    wait_files(
        &aof_dir,
        &["appendonly.aof.1.base.rdb", "appendonly.aof.manifest"],
    );
    let manifest =
        std::fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).expect("manifest");
    assert_eq!(manifest, "file appendonly.aof.1.base.rdb seq 1 type b\n");
    assert_redis_check_aof(&aof_dir.join("appendonly.aof.manifest"));
    drop(server);

    // Started with the AOF on, rudis loads the base and appends a new incremental file.
    let server = start(&dir, &[]);
    let mut c = server.client();
    let n: u64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert_eq!(n, 100);
    let v: u64 = redis::cmd("GET").arg("k42").query(&mut c).expect("GET");
    assert_eq!(v, 42);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn turning_the_aof_on_writes_the_base_in_the_background_and_exit_completes_it() {
    let dir = scratch_dir("aof-turn-on");
    let aof_dir = dir.join("appendonlydir");
    let d = dir.to_str().expect("utf-8");
    // 20 keys at 100 ms each: the first base takes the child two seconds.
    let mut server = binary::start(&["--port", "0", "--dir", d, "--rdb-key-save-delay", "100000"]);
    let mut c = server.client();
    for i in 0..20 {
        set(&mut c, format!("k{i}"), i);
    }
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query(&mut c)
        .expect("CONFIG SET appendonly yes");
    // The loop answers at once; writes go to the temporary file meanwhile.
    assert_eq!(info(&mut c, "aof_enabled"), "1");
    assert_eq!(info(&mut c, "aof_rewrite_in_progress"), "1");
    set(&mut c, "during", "1");
    assert!(aof_dir.join("temp-appendonly.aof.incr").exists());
    assert!(!aof_dir.join("appendonly.aof.manifest").exists());
    // SIGTERM stops the child: the exit writes the whole base itself.
    server.signal(libc::SIGTERM);
    assert!(server.wait_exit().success());
    wait_files(
        &aof_dir,
        &[
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest",
        ],
    );
    let server = start(&dir, &[]);
    let mut c = server.client();
    let n: u64 = redis::cmd("DBSIZE").query(&mut c).expect("DBSIZE");
    assert_eq!(n, 21);
    drop(server);

    // And when the child finishes, base and file are installed together.
    let _ = std::fs::remove_dir_all(&aof_dir);
    let server = binary::start(&["--port", "0", "--dir", d]);
    let mut c = server.client();
    set(&mut c, "before", "1");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query(&mut c)
        .expect("CONFIG SET appendonly yes");
    set(&mut c, "after", "2");
    wait_rewrites(&mut c, 1);
    wait_files(
        &aof_dir,
        &[
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest",
        ],
    );
    set(&mut c, "later", "3");
    wait_info(&mut c, "aof_pending_bio_fsync", "0");
    drop(server);
    let server = start(&dir, &[]);
    let mut c = server.client();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut c).expect("KEYS");
    assert_eq!(
        {
            let mut keys = keys;
            keys.sort();
            keys
        },
        ["after", "before", "later"]
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
