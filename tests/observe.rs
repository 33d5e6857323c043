//! SLOWLOG, LATENCY (events, histograms, INFO latencystats) and MONITOR through real
//! clients (the `redis` crate and raw RESP).
mod common;

use common::*;
use redis::Value;
use rudis::protocol::Frame;

fn cmd(c: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
}

fn int_of(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn slowlog_logs_trims_and_resets() {
    let server = start_server();
    let mut c = server.redis();
    let mut admin = server.redis();
    assert_eq!(int_of(&cmd(&mut c, &["SLOWLOG", "LEN"]).unwrap()), 0);
    cmd(
        &mut admin,
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
    )
    .unwrap();
    cmd(&mut c, &["CLIENT", "SETNAME", "worker"]).unwrap();
    let mut many = vec!["SADD", "s"];
    let numbers: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    many.extend(numbers.iter().map(|s| s.as_str()));
    cmd(&mut c, &many).unwrap();
    let long = "A".repeat(200);
    cmd(&mut c, &["SET", "k", &long]).unwrap();
    cmd(&mut c, &["AUTH", "secret"]).unwrap_err();
    let Value::Array(entries) = cmd(&mut c, &["SLOWLOG", "GET", "3"]).unwrap() else {
        panic!("not an array")
    };
    assert_eq!(entries.len(), 3);
    let fields = |e: &Value| match e {
        Value::Array(f) => f.clone(),
        other => panic!("{other:?}"),
    };
    // Newest first: AUTH (redacted), SET (trimmed), SADD (trimmed arguments).
    let auth = fields(&entries[0]);
    assert_eq!(strings(&auth[3]), ["AUTH", "(redacted)"]);
    let set = fields(&entries[1]);
    let args = strings(&set[3]);
    assert_eq!(args[2], format!("{}... (72 more bytes)", "A".repeat(128)));
    let sadd = fields(&entries[2]);
    let args = strings(&sadd[3]);
    assert_eq!(args.len(), 32);
    assert_eq!(args[31], "... (11 more arguments)");
    assert_eq!(args[30], "28");
    assert_eq!(int_of(&sadd[0]) + 1, int_of(&set[0]), "ids increase");
    assert!(int_of(&sadd[1]) > 1_600_000_000, "unix time");
    assert!(int_of(&sadd[2]) >= 0);
    let Value::BulkString(name) = &sadd[5] else {
        panic!()
    };
    assert_eq!(name, b"worker");
    let Value::BulkString(addr) = &sadd[4] else {
        panic!()
    };
    assert!(String::from_utf8_lossy(addr).starts_with("127.0.0.1:"));
    // Bounded by slowlog-max-len.
    cmd(&mut admin, &["CONFIG", "SET", "slowlog-max-len", "5"]).unwrap();
    for _ in 0..20 {
        cmd(&mut c, &["PING"]).unwrap();
    }
    assert_eq!(int_of(&cmd(&mut c, &["SLOWLOG", "LEN"]).unwrap()), 5);
    let all = cmd(&mut c, &["SLOWLOG", "GET", "-1"]).unwrap();
    assert!(matches!(&all, Value::Array(v) if v.len() == 5));
    let err = cmd(&mut c, &["SLOWLOG", "GET", "-2"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("count should be greater than or equal to -1")
    );
    // Disabled: nothing more is logged.
    cmd(
        &mut admin,
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
    )
    .unwrap();
    cmd(&mut c, &["SLOWLOG", "RESET"]).unwrap();
    cmd(&mut c, &["DEBUG", "SLEEP", "0.01"]).unwrap();
    assert_eq!(int_of(&cmd(&mut c, &["SLOWLOG", "LEN"]).unwrap()), 0);
    // Only commands over the threshold.
    cmd(
        &mut admin,
        &["CONFIG", "SET", "slowlog-log-slower-than", "20000"],
    )
    .unwrap();
    cmd(&mut c, &["PING"]).unwrap();
    cmd(&mut c, &["DEBUG", "SLEEP", "0.03"]).unwrap();
    let Value::Array(entries) = cmd(&mut c, &["SLOWLOG", "GET"]).unwrap() else {
        panic!()
    };
    assert_eq!(entries.len(), 1);
    let e = fields(&entries[0]);
    assert_eq!(strings(&e[3]), ["DEBUG", "SLEEP", "0.03"]);
    assert!(int_of(&e[2]) >= 30_000, "duration in µs: {:?}", e[2]);
}

#[test]
fn latency_events_history_and_histograms() {
    let server = start_server();
    let mut c = server.redis();
    cmd(
        &mut c,
        &["CONFIG", "SET", "latency-monitor-threshold", "20"],
    )
    .unwrap();
    cmd(&mut c, &["DEBUG", "SLEEP", "0.04"]).unwrap();
    let latest = cmd(&mut c, &["LATENCY", "LATEST"]).unwrap();
    let Value::Array(events) = latest else {
        panic!()
    };
    assert_eq!(events.len(), 1);
    let Value::Array(ev) = &events[0] else {
        panic!()
    };
    assert_eq!(ev[0], Value::BulkString(b"command".to_vec()));
    assert!(int_of(&ev[2]) >= 40 && int_of(&ev[3]) >= 40, "{ev:?}");
    let Value::Array(history) = cmd(&mut c, &["LATENCY", "HISTORY", "command"]).unwrap() else {
        panic!()
    };
    assert_eq!(history.len(), 1);
    let graph = cmd(&mut c, &["LATENCY", "GRAPH", "command"]).unwrap();
    let text = redis::from_redis_value::<String>(graph).unwrap();
    assert!(text.starts_with("command - high "), "{text}");
    let doctor =
        redis::from_redis_value::<String>(cmd(&mut c, &["LATENCY", "DOCTOR"]).unwrap()).unwrap();
    assert!(doctor.contains("1. command: 1 latency spikes"), "{doctor}");
    let err = cmd(&mut c, &["LATENCY", "GRAPH", "nope"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("No samples available for event 'nope'")
    );
    assert_eq!(int_of(&cmd(&mut c, &["LATENCY", "RESET"]).unwrap()), 1);
    assert_eq!(
        cmd(&mut c, &["LATENCY", "LATEST"]).unwrap(),
        Value::Array(vec![])
    );
    // Histograms per command and subcommand, reset with the stats.
    cmd(&mut c, &["CONFIG", "RESETSTAT"]).unwrap();
    cmd(&mut c, &["SET", "a", "b"]).unwrap();
    cmd(&mut c, &["SET", "a", "c"]).unwrap();
    cmd(&mut c, &["CLIENT", "ID"]).unwrap();
    let mut raw = server.raw();
    let reply = raw.cmd(&["LATENCY", "HISTOGRAM", "set", "client", "nosuch"]);
    let Frame::Array(items) = reply else {
        panic!("{reply:?}")
    };
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0], bulk("set"));
    let Frame::Array(set) = &items[1] else {
        panic!()
    };
    assert_eq!(set[0], bulk("calls"));
    assert_eq!(set[1], int(2));
    assert_eq!(set[2], bulk("histogram_usec"));
    let Frame::Array(cdf) = &set[3] else { panic!() };
    assert_eq!(
        cdf.last(),
        Some(&int(2)),
        "cumulative count ends at the calls"
    );
    assert_eq!(items[2], bulk("client|id"));
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    let line = info
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{info}"));
    assert!(
        line.contains("p50=") && line.contains(",p99=") && line.contains(",p99.9="),
        "{line}"
    );
    cmd(
        &mut c,
        &["CONFIG", "SET", "latency-tracking-info-percentiles", "90"],
    )
    .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    assert!(
        info.contains("latency_percentiles_usec_client|id:p90="),
        "{info}"
    );
    cmd(&mut c, &["CONFIG", "SET", "latency-tracking", "no"]).unwrap();
    let info: String = redis::cmd("INFO")
        .arg("latencystats")
        .query(&mut c)
        .unwrap();
    assert!(!info.contains("latency_percentiles_usec"), "{info}");
}

#[test]
fn monitor_shows_commands_quoted_and_redacted() {
    let server = start_server();
    let mut mon = server.raw();
    assert_eq!(mon.cmd(&["MONITOR"]), simple("OK"));
    let mut c = server.raw();
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "key with space", "a\"b\n\x01"]);
    c.cmd(&["AUTH", "user", "pw"]);
    c.cmd(&["EVAL", "return redis.call('get', KEYS[1])", "1", "k"]);
    c.cmd(&["CONFIG", "GET", "port"]);
    c.cmd(&["PING"]);
    let mut lines = Vec::new();
    for _ in 0..6 {
        match mon.read_frame() {
            Frame::Simple(s) => lines.push(s),
            other => panic!("not a status line: {other:?}"),
        }
    }
    assert!(lines[0].ends_with("\"SELECT\" \"2\""), "{}", lines[0]);
    let (time, rest) = lines[1].split_once(' ').unwrap();
    assert!(
        time.contains('.') && time.split('.').nth(1).unwrap().len() == 6,
        "{time}"
    );
    assert!(rest.starts_with("[2 127.0.0.1:"), "{rest}");
    assert!(
        rest.ends_with("] \"SET\" \"key with space\" \"a\\\"b\\n\\x01\""),
        "{rest}"
    );
    assert!(
        lines[2].ends_with("\"AUTH\" \"(redacted)\" \"(redacted)\""),
        "{}",
        lines[2]
    );
    assert!(lines[3].contains("\"EVAL\""), "{}", lines[3]);
    assert!(lines[4].contains("[2 lua] \"get\" \"k\""), "{}", lines[4]);
    // CONFIG is an admin command: not shown.
    assert!(lines[5].ends_with("\"PING\""), "{}", lines[5]);
}

#[test]
fn a_monitor_that_never_reads_is_closed_at_its_bound() {
    let server = start_server_with(|c| {
        c.set("client-output-buffer-limit", "normal 1mb 0 0")
            .unwrap();
    });
    let mut mon = server.raw();
    assert_eq!(mon.cmd(&["MONITOR"]), simple("OK"));
    let mut c = server.raw();
    let value = "x".repeat(10_000);
    // ~2 MB of monitor output the monitor never reads (the socket takes some).
    for _ in 0..2000 {
        c.send_cmd(&["SET", "k", &value]);
    }
    for _ in 0..2000 {
        assert_eq!(c.read_frame(), simple("OK"));
    }
    let info = c.cmd(&["INFO", "stats"]);
    let text = text(&info);
    assert!(
        text.contains("client_output_buffer_limit_disconnections:1"),
        "{text}"
    );
}

#[test]
fn enable_debug_command_guards_debug() {
    let server = start_server_with(|c| c.set("enable-debug-command", "no").unwrap());
    let mut c = server.raw();
    let reply = c.cmd(&["DEBUG", "SLEEP", "0"]);
    let Frame::Error(e) = reply else {
        panic!("{reply:?}")
    };
    assert!(
        e.starts_with(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\""
        ),
        "{e}"
    );
    let reply = c.cmd(&["CONFIG", "SET", "enable-debug-command", "yes"]);
    assert!(
        matches!(reply, Frame::Error(ref e) if e.contains("can't set immutable config")),
        "{reply:?}"
    );
    // The default, local, lets a loopback client in.
    let server = start_server();
    assert_eq!(server.raw().cmd(&["DEBUG", "SLEEP", "0"]), simple("OK"));
}

#[test]
fn acl_log_records_refusals_and_folds_repeats() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "limited",
        "on",
        ">pw",
        "~allowed*",
        "&chan",
        "+get",
        "+set",
        "+publish",
    ]);
    let mut c = server.raw();
    assert!(matches!(
        c.cmd(&["AUTH", "limited", "wrong"]),
        Frame::Error(_)
    ));
    assert_eq!(c.cmd(&["AUTH", "limited", "pw"]), simple("OK"));
    assert!(matches!(c.cmd(&["DEL", "allowed1"]), Frame::Error(_)));
    assert!(matches!(c.cmd(&["DEL", "allowed1"]), Frame::Error(_)));
    assert!(matches!(c.cmd(&["GET", "secret"]), Frame::Error(_)));
    assert!(matches!(c.cmd(&["PUBLISH", "other", "m"]), Frame::Error(_)));
    let Frame::Array(entries) = admin.cmd(&["ACL", "LOG"]) else {
        panic!()
    };
    assert_eq!(entries.len(), 4, "{entries:?}");
    let field = |e: &Frame, name: &str| -> Frame {
        let Frame::Array(kv) = e else { panic!("{e:?}") };
        kv.chunks(2)
            .find(|p| p[0] == bulk(name))
            .map(|p| p[1].clone())
            .expect(name)
    };
    // Newest first.
    assert_eq!(field(&entries[0], "reason"), bulk("channel"));
    assert_eq!(field(&entries[0], "object"), bulk("other"));
    assert_eq!(field(&entries[1], "reason"), bulk("key"));
    assert_eq!(field(&entries[1], "object"), bulk("secret"));
    assert_eq!(field(&entries[2], "reason"), bulk("command"));
    assert_eq!(field(&entries[2], "object"), bulk("del"));
    assert_eq!(field(&entries[2], "count"), int(2));
    assert_eq!(field(&entries[2], "username"), bulk("limited"));
    assert_eq!(field(&entries[2], "context"), bulk("toplevel"));
    assert_eq!(field(&entries[3], "reason"), bulk("auth"));
    assert_eq!(field(&entries[3], "object"), bulk("AUTH"));
    let info = text(&field(&entries[3], "client-info"));
    assert!(info.starts_with("id="), "{info}");
    let Frame::Array(one) = admin.cmd(&["ACL", "LOG", "1"]) else {
        panic!()
    };
    assert_eq!(one.len(), 1);
    assert_eq!(admin.cmd(&["ACL", "LOG", "RESET"]), simple("OK"));
    assert_eq!(admin.cmd(&["ACL", "LOG"]), Frame::Array(vec![]));
}

#[test]
fn cluster_answers_that_cluster_support_is_disabled() {
    let server = start_server();
    let mut c = server.redis();
    let err = cmd(&mut c, &["CLUSTER", "INFO"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("This instance has cluster support disabled"),
        "{err}"
    );
    let err = cmd(&mut c, &["CLUSTER", "KEYSLOT"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("wrong number of arguments for 'cluster|keyslot'"),
        "{err}"
    );
    // ACL rules may name it now.
    cmd(
        &mut c,
        &["ACL", "SETUSER", "ops", "+cluster|info", "+@admin"],
    )
    .unwrap();
    let Value::Array(names) = cmd(
        &mut c,
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "cluster*"],
    )
    .unwrap() else {
        panic!()
    };
    assert!(
        names.contains(&Value::BulkString(b"cluster|help".to_vec())),
        "{names:?}"
    );
}

#[test]
fn debug_subcommands_used_by_test_suites() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", "100", "pk", "12"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["DBSIZE"]), int(100));
    let Frame::Bulk(v) = c.cmd(&["GET", "pk:7"]) else {
        panic!()
    };
    assert_eq!(&v[..7], b"value:7");
    assert_eq!(v.len(), 12);
    assert_eq!(
        c.cmd(&["DEBUG", "ERROR", "MYERR some text"]),
        error("MYERR some text")
    );
    let Frame::Simple(line) = c.cmd(&["DEBUG", "OBJECT", "pk:1"]) else {
        panic!()
    };
    assert!(
        line.starts_with("Value at:") && line.contains("encoding:"),
        "{line}"
    );
    assert_eq!(
        c.cmd(&["DEBUG", "OBJECT", "nope"]),
        error("ERR no such key")
    );
    assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "integer"]), int(12345));
    assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), simple("OK"));
    assert_eq!(c.cmd(&["DEBUG", "CHANGE-REPL-ID"]), simple("OK"));
    assert_eq!(c.cmd(&["DEBUG", "LOG", "hello"]), simple("OK"));
}

#[test]
fn lolwut_shows_the_version() {
    let server = start_server();
    let mut c = server.redis();
    let text: String = redis::cmd("LOLWUT").query(&mut c).unwrap();
    assert_eq!(text, "Redis ver. 7.0.15\n");
    assert!(cmd(&mut c, &["LOLWUT", "VERSION", "x"]).is_err());
}

/// The event names in LATENCY LATEST.
fn latest_events(c: &mut Raw) -> Vec<String> {
    match c.cmd(&["LATENCY", "LATEST"]) {
        Frame::Array(rows) => rows
            .iter()
            .map(|row| match row {
                Frame::Array(fields) => text(&fields[0]),
                other => panic!("not a row: {other:?}"),
            })
            .collect(),
        other => panic!("not an array: {other:?}"),
    }
}

#[test]
fn eviction_is_sampled_as_eviction_cycle_and_eviction_del() {
    let s = start_server();
    let mut c = s.raw();
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100000"]), simple("OK"));
    // A key whose deletion alone takes milliseconds: a sorted set of 200k members.
    let script = "for i=1,200000 do redis.call('zadd', KEYS[1], i, 'member:'..i) end";
    c.cmd(&["EVAL", script, "1", "bigz"]);
    for args in [
        ["maxmemory-eviction-tenacity", "100"],
        ["maxmemory-policy", "allkeys-random"],
    ] {
        assert_eq!(c.cmd(&["CONFIG", "SET", args[0], args[1]]), simple("OK"));
    }
    // With the monitor off (threshold 0, Redis's default) nothing is recorded.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "0"]),
        simple("OK")
    );
    c.cmd(&["SET", "trigger", "1"]);
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1"]), simple("OK"));
    let deadline = std::time::Instant::now() + REPLY_TIMEOUT;
    while c.cmd(&["EXISTS", "trigger"]) != int(0) {
        assert!(std::time::Instant::now() < deadline, "nothing evicted");
    }
    assert_eq!(latest_events(&mut c), Vec::<String>::new());
    // Once on, evicting the 100k keys and the big set (one cycle: no time limit at
    // tenacity 100) is sampled.
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100000"]), simple("OK"));
    c.cmd(&["EVAL", script, "1", "bigz"]);
    c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1"]), simple("OK"));
    let deadline = std::time::Instant::now() + REPLY_TIMEOUT;
    while c.cmd(&["DBSIZE"]) != int(0) {
        assert!(std::time::Instant::now() < deadline, "nothing evicted");
    }
    c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    let events = latest_events(&mut c);
    assert!(events.contains(&"eviction-cycle".to_string()), "{events:?}");
    assert!(events.contains(&"eviction-del".to_string()), "{events:?}");
    let history = c.cmd(&["LATENCY", "HISTORY", "eviction-cycle"]);
    assert!(
        matches!(&history, Frame::Array(rows) if !rows.is_empty()),
        "{history:?}"
    );
}

#[test]
fn aof_writes_are_sampled_as_aof_events() {
    let s = start_server();
    let mut c = s.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "appendfsync", "always"]),
        simple("OK")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "yes"]), simple("OK"));
    let big = "x".repeat(32 << 20);
    // Threshold 0: off.
    assert_eq!(c.cmd(&["SET", "big", &big]), simple("OK"));
    assert_eq!(latest_events(&mut c), Vec::<String>::new());
    // The rewrite that turning the AOF on started is over: no child runs.
    let deadline = std::time::Instant::now() + REPLY_TIMEOUT;
    loop {
        let info = text(&c.cmd(&["INFO", "persistence"]));
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{info}");
    }
    // Writing 32 MB to the file takes more than a millisecond.
    c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "1"]);
    assert_eq!(c.cmd(&["SET", "big", &big]), simple("OK"));
    let events = latest_events(&mut c);
    for name in ["aof-write", "aof-write-alone"] {
        assert!(events.contains(&name.to_string()), "{name}: {events:?}");
    }
    assert!(
        !events.contains(&"aof-write-pending-fsync".to_string()),
        "{events:?}"
    );
}
