//! DUMP and RESTORE through a real socket: every type round-trips, payloads taken
//! from Redis 7.0.15 restore, and every refusal has Redis's text.

mod common;

use common::start_server;
use redis::{Connection, RedisResult, Value as RV};

/// DUMP payloads recorded from redis-server 7.0.15 (`redis-cli --raw DUMP k | xxd -p`),
/// with what the restored key must hold.
const REDIS_PAYLOADS: &[(&str, &str, &[&str])] = &[
    // SET s hello
    ("string", "000568656c6c6f0a006372df766534200a", &["hello"]),
    // SET n 12345 (integer-encoded)
    ("string", "00c139300a009d94ea2793fc08b9", &["12345"]),
    // RPUSH l a b 1 2 (quicklist of one listpack)
    (
        "list",
        "1201021111000000040081610281620201010201ff0a006d72713e9b43482b",
        &["a", "b", "1", "2"],
    ),
    // SADD si 1 2 3 (intset)
    (
        "set",
        "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
        &["1", "2", "3"],
    ),
    // HSET h f1 v1 f2 v2 (listpack)
    (
        "hash",
        "101717000000040082663103827631038266320382763203ff0a0003f84c0c15d4a2bc",
        &["f1", "v1", "f2", "v2"],
    ),
    // ZADD z 1 a 2.5 b (listpack)
    (
        "zset",
        "1114140000000400816102010181620283322e3504ff0a00d44c6ea4f644d9d7",
        &["a", "1", "b", "2.5"],
    ),
    // SADD ss x y (a plain set: 7.0 has no listpack sets)
    ("set", "0202017801790a00ac3a8d681184aa31", &["x", "y"]),
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A key's contents in comparable form: sets and hashes sorted.
fn contents(con: &mut Connection, key: &str) -> (String, Vec<String>) {
    let kind: String = redis::cmd("TYPE").arg(key).query(con).expect("type");
    let mut items: Vec<String> = match kind.as_str() {
        "string" => vec![redis::cmd("GET").arg(key).query(con).expect("get")],
        "list" => redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query(con)
            .expect("lrange"),
        "set" => redis::cmd("SMEMBERS")
            .arg(key)
            .query(con)
            .expect("smembers"),
        "hash" => redis::cmd("HGETALL").arg(key).query(con).expect("hgetall"),
        "zset" => redis::cmd("ZRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query(con)
            .expect("zrange"),
        _ => Vec::new(),
    };
    match kind.as_str() {
        "set" => items.sort(),
        "hash" => {
            let mut pairs: Vec<Vec<String>> = items.chunks(2).map(|c| c.to_vec()).collect();
            pairs.sort();
            items = pairs.concat();
        }
        _ => {}
    }
    (kind, items)
}

fn dump(con: &mut Connection, key: &str) -> Option<Vec<u8>> {
    redis::cmd("DUMP").arg(key).query(con).expect("dump")
}

fn restore(
    con: &mut Connection,
    key: &str,
    ttl: i64,
    payload: &[u8],
    opts: &[&str],
) -> RedisResult<String> {
    redis::cmd("RESTORE")
        .arg(key)
        .arg(ttl)
        .arg(payload)
        .arg(opts)
        .query(con)
}

fn err_text(r: RedisResult<String>) -> String {
    let e = r.expect_err("an error reply");
    format!(
        "{} {}",
        e.code().unwrap_or_default(),
        e.detail().unwrap_or_default()
    )
}

fn fill(con: &mut Connection) {
    let big: Vec<String> = (0..2000).map(|i| format!("element-{i}")).collect();
    let q = |c: &mut redis::Cmd, con: &mut Connection| c.query::<RV>(con).expect("fill");
    q(redis::cmd("SET").arg("str").arg("hello world"), con);
    q(redis::cmd("SET").arg("int").arg(-42), con);
    q(redis::cmd("SET").arg("long").arg("x".repeat(10_000)), con);
    q(redis::cmd("RPUSH").arg("list").arg(&["a", "1", "b"]), con);
    q(redis::cmd("RPUSH").arg("biglist").arg(&big), con);
    q(redis::cmd("SADD").arg("intset").arg(&[1, 2, 300_000]), con);
    q(redis::cmd("SADD").arg("smallset").arg(&["x", "y"]), con);
    q(redis::cmd("SADD").arg("bigset").arg(&big), con);
    q(
        redis::cmd("HSET").arg("hash").arg(&["f", "v", "g", "w"]),
        con,
    );
    let pairs: Vec<String> = big
        .iter()
        .flat_map(|e| [e.clone(), e.to_uppercase()])
        .collect();
    q(redis::cmd("HSET").arg("bighash").arg(&pairs), con);
    q(
        redis::cmd("ZADD")
            .arg("zset")
            .arg(&["1", "a", "2.5", "b", "-inf", "c"]),
        con,
    );
    let scored: Vec<String> = big
        .iter()
        .enumerate()
        .flat_map(|(i, e)| [i.to_string(), e.clone()])
        .collect();
    q(redis::cmd("ZADD").arg("bigzset").arg(&scored), con);
}

const KEYS: &[&str] = &[
    "str", "int", "long", "list", "biglist", "intset", "smallset", "bigset", "hash", "bighash",
    "zset", "bigzset",
];

#[test]
fn every_type_round_trips() {
    let server = start_server();
    let mut con = server.redis();
    fill(&mut con);
    for key in KEYS {
        let payload = dump(&mut con, key).expect("the key exists");
        let copy = format!("{key}:copy");
        assert_eq!(
            restore(&mut con, &copy, 0, &payload, &[]).expect("restore"),
            "OK"
        );
        assert_eq!(contents(&mut con, &copy), contents(&mut con, key), "{key}");
        let ttl: i64 = redis::cmd("PTTL").arg(&copy).query(&mut con).expect("pttl");
        assert_eq!(ttl, -1);
    }
    assert_eq!(dump(&mut con, "missing"), None);
}

#[test]
fn redis_payloads_restore() {
    let server = start_server();
    let mut con = server.redis();
    for (i, (kind, hex, items)) in REDIS_PAYLOADS.iter().enumerate() {
        let key = format!("k{i}");
        assert_eq!(
            restore(&mut con, &key, 0, &unhex(hex), &[]).expect("restore"),
            "OK"
        );
        let (got_kind, got) = contents(&mut con, &key);
        assert_eq!(got_kind, *kind);
        let mut want: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        if *kind == "set" {
            want.sort();
        }
        assert_eq!(got, want, "{hex}");
    }
    // The string payload comes back byte for byte: same encoding, same checksum.
    let payload = dump(&mut con, "k0").expect("exists");
    assert_eq!(payload, unhex(REDIS_PAYLOADS[0].1));
}

#[test]
fn ttl_replace_and_absttl() {
    let server = start_server();
    let mut con = server.redis();
    fill(&mut con);
    let payload = dump(&mut con, "str").expect("exists");
    assert_eq!(
        restore(&mut con, "t", 100_000, &payload, &[]).expect("ok"),
        "OK"
    );
    let pttl: i64 = redis::cmd("PTTL").arg("t").query(&mut con).expect("pttl");
    assert!(pttl > 90_000 && pttl <= 100_000, "{pttl}");
    // BUSYKEY comes before the TTL check, as in Redis.
    assert_eq!(
        err_text(restore(&mut con, "t", -5, &payload, &[])),
        "BUSYKEY Target key name already exists."
    );
    assert_eq!(
        restore(&mut con, "t", 0, &payload, &["REPLACE"]).expect("ok"),
        "OK"
    );
    let pttl: i64 = redis::cmd("PTTL").arg("t").query(&mut con).expect("pttl");
    assert_eq!(pttl, -1);
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
        + 100_000;
    assert_eq!(
        restore(&mut con, "abs", at, &payload, &["ABSTTL"]).expect("ok"),
        "OK"
    );
    let pttl: i64 = redis::cmd("PTTL").arg("abs").query(&mut con).expect("pttl");
    assert!(pttl > 90_000 && pttl <= 100_000, "{pttl}");
    // A TTL in the past creates nothing; with REPLACE it deletes the old key.
    assert_eq!(
        restore(&mut con, "past", 1, &payload, &["ABSTTL"]).expect("ok"),
        "OK"
    );
    assert_eq!(
        restore(&mut con, "t", 1, &payload, &["ABSTTL", "REPLACE"]).expect("ok"),
        "OK"
    );
    let n: i64 = redis::cmd("EXISTS")
        .arg(&["past", "t"])
        .query(&mut con)
        .expect("exists");
    assert_eq!(n, 0);
    // IDLETIME and FREQ are accepted.
    assert_eq!(
        restore(&mut con, "i", 0, &payload, &["IDLETIME", "1000"]).expect("ok"),
        "OK"
    );
    assert_eq!(
        restore(&mut con, "f", 0, &payload, &["FREQ", "100"]).expect("ok"),
        "OK"
    );
}

#[test]
fn refusals_have_redis_texts() {
    let server = start_server();
    let mut con = server.redis();
    fill(&mut con);
    let payload = dump(&mut con, "list").expect("exists");
    let cases: &[(i64, Vec<u8>, &[&str], &str)] = &[
        (
            -1,
            payload.clone(),
            &[],
            "ERR Invalid TTL value, must be >= 0",
        ),
        (
            0,
            b"short".to_vec(),
            &[],
            "ERR DUMP payload version or checksum are wrong",
        ),
        (
            0,
            {
                let mut p = payload.clone();
                p[1] ^= 1;
                p
            },
            &[],
            "ERR DUMP payload version or checksum are wrong",
        ),
        (
            0,
            {
                // Version 99 with a correct checksum.
                let mut p = payload[..payload.len() - 10].to_vec();
                p.extend_from_slice(&99u16.to_le_bytes());
                let crc = rudis::persistence::rdb::crc64::crc64(0, &p);
                p.extend_from_slice(&crc.to_le_bytes());
                p
            },
            &[],
            "ERR DUMP payload version or checksum are wrong",
        ),
        (
            0,
            {
                // Garbage with a valid footer.
                let mut p = vec![0x0e, 0x05, 0x01];
                p.extend_from_slice(&10u16.to_le_bytes());
                let crc = rudis::persistence::rdb::crc64::crc64(0, &p);
                p.extend_from_slice(&crc.to_le_bytes());
                p
            },
            &[],
            "ERR Bad data format",
        ),
        (0, payload.clone(), &["BOGUS"], "ERR syntax error"),
        (
            0,
            payload.clone(),
            &["IDLETIME", "-1"],
            "ERR Invalid IDLETIME value, must be >= 0",
        ),
        (
            0,
            payload.clone(),
            &["FREQ", "256"],
            "ERR Invalid FREQ value, must be >= 0 and <= 255",
        ),
        (
            0,
            payload.clone(),
            &["IDLETIME", "1", "FREQ", "1"],
            "ERR syntax error",
        ),
        (0, payload.clone(), &["IDLETIME"], "ERR syntax error"),
        (
            0,
            payload.clone(),
            &["FREQ", "x"],
            "ERR value is not an integer or out of range",
        ),
    ];
    for (ttl, p, opts, want) in cases {
        assert_eq!(
            err_text(restore(&mut con, "new", *ttl, p, opts)),
            *want,
            "{opts:?}"
        );
    }
    let n: i64 = redis::cmd("EXISTS")
        .arg("new")
        .query(&mut con)
        .expect("exists");
    assert_eq!(n, 0);
}
