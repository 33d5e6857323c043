//! maxmemory: eviction policies, -OOM under noeviction, the per-key access clock
//! (OBJECT IDLETIME / FREQ, RESTORE IDLETIME / FREQ), evictions as DEL and events.
//! Memory is the process's heap: tests that need a real budget run the binary.

mod common;

use common::binary;
use common::{bulk, error, int, simple, start_server};
use redis::Commands;

const OOM: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// The integer INFO field `name`.
fn info_field(c: &mut redis::Connection, section: &str, name: &str) -> u64 {
    let info: String = redis::cmd("INFO").arg(section).query(c).expect("info");
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
}

#[test]
fn noeviction_refuses_writes_with_oom_but_serves_reads_and_dels() {
    let s = start_server();
    let mut c = s.raw();
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["SET", "b", "2"]);
    // A limit the heap is always over.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "c", "3"]), error(OOM));
    assert_eq!(c.cmd(&["LPUSH", "l", "x"]), error(OOM));
    assert_eq!(c.cmd(&["GET", "a"]), bulk("1"));
    assert_eq!(c.cmd(&["DEL", "a"]), int(1));
    assert_eq!(
        c.cmd(&["DBSIZE"]),
        int(1),
        "nothing evicted under noeviction"
    );
    // Inside MULTI, queueing is refused too, but EXEC and DISCARD are not.
    assert_eq!(c.cmd(&["MULTI"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "b"]), error(OOM));
    assert_eq!(c.cmd(&["DISCARD"]), simple("OK"));
    // A script may read but not grow memory.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get', 'b')", "0"]),
        bulk("2")
    );
    let refused = c.cmd(&["EVAL", "return redis.call('set', 'x', '1')", "0"]);
    assert!(
        format!("{refused:?}").contains("OOM command not allowed"),
        "{refused:?}"
    );
    // Lifting the limit lets writes in again.
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "0"]), simple("OK"));
    assert_eq!(c.cmd(&["SET", "c", "3"]), simple("OK"));
    let mut r = s.redis();
    assert_eq!(info_field(&mut r, "stats", "evicted_keys"), 0);
}

#[test]
fn maxmemory_directives_are_read_and_set_at_run_time() {
    let s = start_server();
    let mut c = s.redis();
    for (name, value) in [
        ("maxmemory", "104857600"),
        ("maxmemory-policy", "allkeys-lfu"),
        ("maxmemory-samples", "10"),
        ("maxmemory-eviction-tenacity", "20"),
        ("lfu-log-factor", "5"),
        ("lfu-decay-time", "0"),
    ] {
        let _: () = redis::cmd("CONFIG")
            .arg("SET")
            .arg(name)
            .arg(value)
            .query(&mut c)
            .expect(name);
        let got: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query(&mut c)
            .unwrap();
        assert_eq!(got, [name, value]);
    }
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("0")
        .query(&mut c)
        .unwrap();
    let bad: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("most-recent")
        .query(&mut c);
    assert!(bad.is_err());
    let bad: redis::RedisResult<()> = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-samples")
        .arg("0")
        .query(&mut c);
    assert!(bad.is_err());
}

#[test]
fn object_idletime_and_freq_follow_the_policy() {
    let s = start_server();
    let mut c = s.redis();
    let int_of = |c: &mut redis::Connection, args: &[&str]| -> redis::RedisResult<Option<i64>> {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        cmd.query(c)
    };
    let _: () = c.set("k", "v").unwrap();
    let payload: Vec<u8> = redis::cmd("DUMP").arg("k").query(&mut c).unwrap();
    let _: () = redis::cmd("RESTORE")
        .arg("old")
        .arg(0)
        .arg(&payload)
        .arg("IDLETIME")
        .arg(1000)
        .query(&mut c)
        .unwrap();
    assert_eq!(
        int_of(&mut c, &["OBJECT", "IDLETIME", "k"]).unwrap(),
        Some(0)
    );
    let idle = int_of(&mut c, &["OBJECT", "IDLETIME", "old"])
        .unwrap()
        .unwrap();
    assert!((1000..=1002).contains(&idle), "{idle}");
    // TYPE, TTL and EXISTS are no access; GET is one.
    for cmd in ["TYPE", "TTL", "EXISTS"] {
        let _: redis::Value = redis::cmd(cmd).arg("old").query(&mut c).unwrap();
    }
    let idle = int_of(&mut c, &["OBJECT", "IDLETIME", "old"])
        .unwrap()
        .unwrap();
    assert!(idle >= 1000, "{idle}");
    let _: String = c.get("old").unwrap();
    assert_eq!(
        int_of(&mut c, &["OBJECT", "IDLETIME", "old"]).unwrap(),
        Some(0)
    );
    let no_lfu = int_of(&mut c, &["OBJECT", "FREQ", "k"]).unwrap_err();
    assert!(
        no_lfu
            .to_string()
            .contains("An LFU maxmemory policy is not selected")
    );
    let _: () = c.set("n", "v").unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("allkeys-lfu")
        .query(&mut c)
        .unwrap();
    let no_lru = int_of(&mut c, &["OBJECT", "IDLETIME", "k"]).unwrap_err();
    assert!(
        no_lru
            .to_string()
            .contains("An LRU maxmemory policy is not selected")
    );
    let _: () = c.set("f", "v").unwrap();
    assert_eq!(
        int_of(&mut c, &["OBJECT", "FREQ", "f"]).unwrap(),
        Some(5),
        "LFU_INIT_VAL"
    );
    for _ in 0..200 {
        let _: String = c.get("f").unwrap();
    }
    let freq = int_of(&mut c, &["OBJECT", "FREQ", "f"]).unwrap().unwrap();
    assert!(freq > 5, "{freq}");
    let _: () = redis::cmd("RESTORE")
        .arg("g")
        .arg(0)
        .arg(&payload)
        .arg("FREQ")
        .arg(100)
        .query(&mut c)
        .unwrap();
    assert_eq!(int_of(&mut c, &["OBJECT", "FREQ", "g"]).unwrap(), Some(100));
    assert_eq!(
        int_of(&mut c, &["OBJECT", "FREQ", "missing"]).unwrap(),
        None
    );
}

#[test]
fn allkeys_lru_evicts_cold_keys_as_dels_with_events() {
    let dir = common::scratch_dir("evict-aof");
    let dir_s = dir.display().to_string();
    let server = binary::start(&[
        "--port",
        "0",
        "--dir",
        &dir_s,
        "--appendonly",
        "yes",
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let mut c = server.client();
    let base = info_field(&mut c, "memory", "used_memory");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(base + 4 * 1024 * 1024)
        .query(&mut c)
        .unwrap();
    let value = "x".repeat(100);
    let _: () = c.set("hot", &value).unwrap();
    // The LRU clock counts seconds (as Redis's): cold keys written in the same
    // second as the hot key's last read would tie with it, so they are restored
    // 100 s idle (RESTORE ... IDLETIME) and the hot key is always the most recent.
    let _: () = c.set("seed", &value).unwrap();
    let payload: Vec<u8> = redis::cmd("DUMP").arg("seed").query(&mut c).unwrap();
    let _: () = c.del("seed").unwrap();
    for i in 0..100_000 {
        let _: () = redis::cmd("RESTORE")
            .arg(format!("key:{i}"))
            .arg(0)
            .arg(&payload)
            .arg("IDLETIME")
            .arg(100)
            .query(&mut c)
            .unwrap();
        if i % 100 == 0 {
            let _: Option<String> = c.get("hot").unwrap();
        }
    }
    let evicted = info_field(&mut c, "stats", "evicted_keys");
    let keys: u64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert!(evicted > 10_000, "evicted {evicted}");
    assert_eq!(keys + evicted, 100_001, "every key stored or evicted");
    let used = info_field(&mut c, "memory", "used_memory");
    assert!(used <= base + 5 * 1024 * 1024, "used {used}, base {base}");
    let hot: Option<String> = c.get("hot").unwrap();
    assert!(hot.is_some(), "the hot key survives LRU eviction");
    // Evictions are published as `evicted` (a subscriber that never read through
    // the whole load would hold every event in its output buffer, which counts).
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("Ee")
        .query(&mut c)
        .unwrap();
    let mut sub = server.client();
    let mut pubsub = sub.as_pubsub();
    pubsub.subscribe("__keyevent@0__:evicted").unwrap();
    for i in 0..1000 {
        let _: () = c.set(format!("more:{i}"), &value).unwrap();
    }
    let msg = pubsub.get_message().unwrap();
    let key: String = msg.get_payload().unwrap();
    assert!(key.starts_with("key:"), "{key}");
    // The AOF holds a DEL for the evicted keys.
    let aof_dir = dir.join("appendonlydir");
    let log: String = std::fs::read_dir(&aof_dir)
        .expect("aof dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".incr."))
        .map(|e| String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned())
        .collect();
    assert!(
        log.contains("$3\r\nDEL\r\n$"),
        "evictions logged as DEL in the AOF"
    );
}

#[test]
fn memory_stats_doctor_and_malloc_stats_report_the_heap() {
    let s = start_server();
    let mut c = s.redis();
    for i in 0..1000 {
        let _: () = c.set(format!("k{i}"), "x".repeat(100)).unwrap();
    }
    let stats: Vec<redis::Value> = redis::cmd("MEMORY").arg("STATS").query(&mut c).unwrap();
    let field = |name: &str| -> i64 {
        let at = stats
            .iter()
            .position(|v| matches!(v, redis::Value::BulkString(b) if b == name.as_bytes()))
            .unwrap_or_else(|| panic!("{name} in MEMORY STATS"));
        match &stats[at + 1] {
            redis::Value::Int(n) => *n,
            other => panic!("{name}: {other:?}"),
        }
    };
    assert!(field("keys.count") >= 1000);
    assert!(
        field("total.allocated") > 100_000,
        "the heap holds the values"
    );
    assert!(field("peak.allocated") >= field("total.allocated"));
    let doctor: String = redis::cmd("MEMORY").arg("DOCTOR").query(&mut c).unwrap();
    assert!(
        doctor.starts_with("Hi Sam") || doctor.starts_with("Sam,"),
        "{doctor}"
    );
    let malloc: String = redis::cmd("MEMORY")
        .arg("MALLOC-STATS")
        .query(&mut c)
        .unwrap();
    assert!(malloc.contains("counted.used:"), "{malloc}");
    let _: () = redis::cmd("MEMORY").arg("PURGE").query(&mut c).unwrap();
    assert!(info_field(&mut c, "memory", "used_memory") > 100_000);
}
