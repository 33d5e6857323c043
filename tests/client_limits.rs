//! Every client buffer bounded: client-output-buffer-limit for normal clients and
//! replicas, CLIENT LIST's buffer fields, maxclients fitted to the open-file limit.

mod common;

use common::binary;
use common::{bulk, error, int, simple, start_server, text};
use rudis::protocol::Frame;

#[test]
fn a_normal_client_over_its_hard_limit_is_disconnected() {
    let s = start_server();
    let mut c = s.raw();
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "normal 1mb 0 0"
        ]),
        simple("OK")
    );
    let big = "x".repeat(2 << 20);
    assert_eq!(c.cmd(&["SET", "big", &big]), simple("OK"));
    // A small reply is fine.
    assert_eq!(c.cmd(&["STRLEN", "big"]), int(2 << 20));
    // A 2 MB reply passes the 1 MB hard limit: the client is closed, reply unsent.
    c.send_cmd(&["GET", "big"]);
    c.expect_closed();
    let mut other = s.raw();
    let info = text(&other.cmd(&["INFO", "stats"]));
    assert!(
        info.contains("client_output_buffer_limit_disconnections:1"),
        "{info}"
    );
    // Under the default (no limit for normal clients) the same reply goes out.
    other.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 0 0 0",
    ]);
    assert_eq!(text(&other.cmd(&["GET", "big"])).len(), 2 << 20);
}

#[test]
fn a_soft_limit_alone_tolerates_a_burst() {
    let s = start_server();
    let mut c = s.raw();
    // Soft 1 MB for 100 s: one big reply is not enough to be closed.
    c.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 0 1mb 100",
    ]);
    let big = "x".repeat(2 << 20);
    c.cmd(&["SET", "big", &big]);
    assert_eq!(text(&c.cmd(&["GET", "big"])).len(), 2 << 20);
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn client_list_shows_buffer_sizes() {
    let s = start_server();
    let mut c = s.raw();
    let mut other = s.raw();
    other.cmd(&["CLIENT", "SETNAME", "other"]);
    let list = text(&c.cmd(&["CLIENT", "LIST"]));
    let line = list
        .lines()
        .find(|l| l.contains("name=other"))
        .expect("the other client");
    let field = |name: &str| -> u64 {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {line}"))
    };
    // Its reply was written: nothing is pending.
    assert_eq!(field("obl"), 0, "{line}");
    assert_eq!(
        field("tot-mem"),
        field("qbuf") + field("qbuf-free") + field("omem") + field("multi-mem")
    );
}

#[test]
fn maxclients_is_fitted_to_the_open_file_limit() {
    // 64 descriptors, 32 of them reserved: 32 clients at most.
    let server = binary::start_with_nofile(64, &["--port", "0", "--maxclients", "1000"]);
    assert!(
        server.log_contains("maxclients has been reduced to 32"),
        "{}",
        server.log_text()
    );
    let mut clients: Vec<_> = (0..32).map(|_| server.raw()).collect();
    for c in &mut clients {
        assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    }
    let mut extra = server.raw();
    assert_eq!(
        extra.read_frame(),
        error("ERR max number of clients reached")
    );
    let mut c = clients.pop().expect("a client");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxclients"]),
        Frame::Array(vec![bulk("maxclients"), bulk("32")])
    );
    // Raising it past what the limit allows is refused, as Redis does.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxclients", "100"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating \
             system is not able to handle the specified number of clients, try with 32"
        )
    );
}

/// The process's peak resident size in kB (`VmHWM`).
fn peak_rss_kb(pid: libc::pid_t) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// INFO memory's `used_memory`.
fn used_memory(c: &mut common::Raw) -> u64 {
    let info = text(&c.cmd(&["INFO", "memory"]));
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("used_memory")
}

#[test]
fn one_command_building_a_reply_past_the_hard_limit_is_cut_short() {
    // Redis's obuf-limits "No response for single command if client output buffer
    // hard limit is enforced", with MGET of values that add up to 40 MB against a
    // 1 MB limit: the reply is never built whole.
    let s = common::binary::start(&["--port", "0"]);
    let mut c = s.raw();
    let big = "x".repeat(2 << 20);
    for i in 0..20 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), &big]), simple("OK"));
    }
    c.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1mb 0 0",
    ]);
    let before = used_memory(&mut c);
    let peak_before = peak_rss_kb(s.pid());
    let mut reader = s.raw();
    assert_eq!(reader.cmd(&["CLIENT", "SETNAME", "big"]), simple("OK"));
    let keys: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    let mut args = vec!["MGET"];
    args.extend(keys.iter().map(String::as_str));
    reader.send_cmd(&args);
    // Closed with nothing sent: not even the first value.
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut reader.stream, &mut got);
    assert!(got.is_empty(), "{} bytes of reply", got.len());
    let list = text(&c.cmd(&["CLIENT", "LIST"]));
    assert!(!list.contains("name=big"), "{list}");
    // The reply never held more than the limit: memory is back (Redis's test allows
    // 10k of deviation; the MGET would have taken 40 MB).
    let after = used_memory(&mut c);
    assert!(after < before + (1 << 20), "{before} -> {after}");
    // Nor for a moment: the process's peak RSS grew by less than the 40 MB reply.
    let peak_after = peak_rss_kb(s.pid());
    assert!(
        peak_after < peak_before + 8 * 1024,
        "peak RSS {peak_before} kB -> {peak_after} kB"
    );
    let log = s.wait_log("for overcoming of output buffer limits.");
    assert!(
        log.contains("name=big") && log.contains("scheduled to be closed ASAP"),
        "{log}"
    );
    // LRANGE of a list whose reply passes the limit: the same.
    let item = "y".repeat(1000);
    for _ in 0..1500 {
        c.send_cmd(&["RPUSH", "list", &item]);
    }
    for _ in 0..1500 {
        c.read_frame();
    }
    let mut lrange = s.raw();
    lrange.send_cmd(&["LRANGE", "list", "0", "-1"]);
    let mut got = Vec::new();
    let _ = std::io::Read::read_to_end(&mut lrange.stream, &mut got);
    assert!(got.is_empty(), "{} bytes of reply", got.len());
    let info = text(&c.cmd(&["INFO", "stats"]));
    assert!(
        info.contains("client_output_buffer_limit_disconnections:2"),
        "{info}"
    );
}

#[test]
fn random_replies_with_huge_counts_stop_at_the_limit() {
    // Redis's "Obuf limit, HRANDFIELD with huge count stopped mid-run" (and SRANDMEMBER,
    // ZRANDMEMBER): with a hard limit, the count is not refused but the client closed.
    let s = start_server();
    let mut c = s.raw();
    c.cmd(&["HSET", "h", "a", "b"]);
    c.cmd(&["SADD", "s", "a"]);
    c.cmd(&["ZADD", "z", "1", "a"]);
    // Without a limit rudis refuses such a reply (it would not fit in memory).
    assert_eq!(
        c.cmd(&["HRANDFIELD", "h", "-999999999"]),
        error("ERR value is out of range, the reply would be too large")
    );
    c.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 1000000 0 0",
    ]);
    for args in [
        ["HRANDFIELD", "h", "-999999999"],
        ["SRANDMEMBER", "s", "-999999999"],
        ["ZRANDMEMBER", "z", "-999999999"],
    ] {
        let mut r = s.raw();
        r.send_cmd(&args);
        let mut got = Vec::new();
        let _ = std::io::Read::read_to_end(&mut r.stream, &mut got);
        assert!(got.is_empty(), "{args:?}: {} bytes", got.len());
    }
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn a_transaction_runs_whole_even_when_its_reply_passes_the_limit() {
    // Redis's "Execute transactions completely even if client output buffer limit is
    // enforced".
    let s = start_server();
    let mut c = s.raw();
    c.cmd(&[
        "CONFIG",
        "SET",
        "client-output-buffer-limit",
        "normal 100000 0 0",
    ]);
    let item = "x".repeat(1000);
    for _ in 0..150 {
        c.cmd(&["LPUSH", "mylist", &item]);
    }
    let mut t = s.raw();
    t.cmd(&["SET", "k1", "v1"]);
    t.cmd(&["MULTI"]);
    for args in [
        &["SET", "k2", "v2"][..],
        &["GET", "k2"],
        &["LRANGE", "mylist", "0", "-1"],
        &["SET", "k3", "v3"],
        &["DEL", "k1"],
    ] {
        assert_eq!(t.cmd(args), simple("QUEUED"));
    }
    t.send_cmd(&["EXEC"]);
    t.expect_closed();
    assert_eq!(c.cmd(&["GET", "k1"]), Frame::Null);
    assert_eq!(c.cmd(&["GET", "k2"]), bulk("v2"));
    assert_eq!(c.cmd(&["GET", "k3"]), bulk("v3"));
}

/// A master for the replica-class tests: diskless syncs start at once.
fn master() -> binary::Binary {
    binary::start(&[
        "--port",
        "0",
        "--repl-diskless-sync",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
    ])
}

/// A raw replica of `master` that asks for a full sync and reads nothing after the
/// REPLCONF answer.
fn raw_replica(master: &binary::Binary) -> common::Raw {
    let mut r = master.raw();
    assert_eq!(
        r.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        simple("OK")
    );
    r.send_cmd(&["PSYNC", "?", "-1"]);
    r
}

/// One INFO field of `section` as an integer.
fn info_int(c: &mut common::Raw, section: &str, name: &str) -> i64 {
    let info = text(&c.cmd(&["INFO", section]));
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}

/// Writes on `c` until the master has closed a replica for its output buffer, at most
/// `most` bytes of 100 KB values; returns the bytes written.
fn write_until_replica_dropped(c: &mut common::Raw, most: usize) -> usize {
    let value = "v".repeat(100 * 1024);
    let mut written = 0;
    while info_int(c, "stats", "client_output_buffer_limit_disconnections") == 0 {
        assert!(written < most, "no replica closed after {written} bytes");
        for _ in 0..10 {
            c.send_cmd(&["SET", "k", &value]);
        }
        for _ in 0..10 {
            assert_eq!(c.read_frame(), simple("OK"));
        }
        written += 10 * value.len();
    }
    written
}

#[test]
fn a_replica_past_its_hard_limit_is_closed_during_its_sync() {
    // A replica that never acknowledges its snapshot holds the stream made since:
    // past the replica class's hard limit the master closes it (Redis's
    // closeClientOnOutputBufferLimitReached as the replication buffer is fed).
    let m = master();
    let mut c = m.raw();
    // Redis's default for the class.
    let limits = c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]);
    assert_eq!(
        limits,
        Frame::Array(vec![
            bulk("client-output-buffer-limit"),
            bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ])
    );
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "replica 1mb 0 0"
        ]),
        simple("OK")
    );
    let mut r = raw_replica(&m);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while info_int(&mut c, "replication", "connected_slaves") != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never synced"
        );
    }
    let written = write_until_replica_dropped(&mut c, 64 << 20);
    // Closed once the held stream passed 1 MB (not after the 64 MB cap).
    assert!(written <= 4 << 20, "{written} bytes written");
    let log = m.wait_log("for overcoming of output buffer limits.");
    assert!(
        log.contains("scheduled to be closed ASAP") && log.contains("flags=S"),
        "{log}"
    );
    assert_eq!(info_int(&mut c, "replication", "connected_slaves"), 0);
    // The replica's socket is closed (after whatever the master had sent).
    r.expect_closed();
}

#[test]
fn an_online_replica_over_its_soft_limit_for_its_seconds_is_closed() {
    let m = master();
    let mut c = m.raw();
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "slave 0 512kb 2"
        ]),
        simple("OK")
    );
    let mut r = raw_replica(&m);
    m.wait_log("Waiting for REPLCONF ACK from replica");
    // Online from its first ACK; from then on it reads nothing.
    r.send_cmd(&["REPLCONF", "ACK", "0"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !text(&c.cmd(&["INFO", "replication"])).contains("state=online") {
        assert!(
            std::time::Instant::now() < deadline,
            "the replica never got online"
        );
    }
    // 24 MB of stream: more than the socket buffers take, so the rest waits in the
    // master, over the soft limit.
    let started = std::time::Instant::now();
    let value = "v".repeat(100 * 1024);
    for _ in 0..24 {
        for _ in 0..10 {
            c.send_cmd(&["SET", "k", &value]);
        }
        for _ in 0..10 {
            assert_eq!(c.read_frame(), simple("OK"));
        }
    }
    // Closed only once it has stayed over 512 kB for more than 2 s.
    while info_int(&mut c, "stats", "client_output_buffer_limit_disconnections") == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the replica was never closed"
        );
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_secs(2),
        "closed after {elapsed:?}"
    );
    let log = m.wait_log("for overcoming of output buffer limits.");
    assert!(log.contains("flags=S"), "{log}");
    assert_eq!(info_int(&mut c, "replication", "connected_slaves"), 0);
    r.expect_closed();
}
