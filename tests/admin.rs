//! Server commands: INFO, COMMAND, CONFIG, TIME, SHUTDOWN, DEBUG, through raw RESP and
//! the redis crate.
mod common;

use std::collections::HashMap;

use common::*;
use rudis::protocol::Frame;

/// INFO's `field:value` lines as a map (section headers and blank lines skipped).
fn info_fields(c: &mut Raw, args: &[&str]) -> HashMap<String, String> {
    let mut cmd = vec!["INFO"];
    cmd.extend_from_slice(args);
    text(&c.cmd(&cmd))
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn info_u64(c: &mut Raw, section: &str, name: &str) -> u64 {
    let fields = info_fields(c, &[section]);
    fields
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in INFO {section}"))
        .parse()
        .expect("a number")
}

/// The flat key/value list of a map reply, as (key, value) text pairs.
fn pairs(frame: &Frame) -> Vec<(String, Frame)> {
    match frame {
        Frame::Map(p) => p.iter().map(|(k, v)| (text(k), v.clone())).collect(),
        Frame::Array(a) => a.chunks(2).map(|c| (text(&c[0]), c[1].clone())).collect(),
        other => panic!("not a map: {other:?}"),
    }
}

#[test]
fn info_default_sections_with_crlf_lines() {
    let server = start_server();
    let mut c = server.raw();
    let info = text(&c.cmd(&["INFO"]));
    let headers: Vec<&str> = info.split("\r\n").filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(!info.replace("\r\n", "").contains('\n'), "bare LF in INFO");
    assert!(info.ends_with("\r\n"));
    let f = info_fields(&mut c, &[]);
    assert_eq!(f["redis_version"], "7.0.15");
    assert_eq!(f["rudis_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(f["redis_mode"], "standalone");
    assert_eq!(f["arch_bits"], "64");
    assert_eq!(f["tcp_port"], server.addr.port().to_string());
    assert_eq!(f["process_id"], std::process::id().to_string());
    assert_eq!(f["role"], "master");
    assert_eq!(f["connected_slaves"], "0");
    assert_eq!(f["loading"], "0");
    assert_eq!(f["aof_enabled"], "0");
    assert_eq!(f["maxmemory"], "0");
    assert_eq!(f["maxmemory_policy"], "noeviction");
    assert!(f["mem_fragmentation_ratio"].parse::<f64>().expect("ratio") > 0.0);
    assert_eq!(f["maxclients"], "10000");
    assert_eq!(f["hz"], "10");
    assert!(f["used_memory"].parse::<u64>().expect("number") > 0);
    assert!(f["used_cpu_user"].contains('.'));
    for name in [
        "uptime_in_seconds",
        "uptime_in_days",
        "used_memory_rss",
        "blocked_clients",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "rejected_connections",
        "expired_keys",
        "evicted_keys",
        "migrate_cached_sockets",
        "instantaneous_ops_per_sec",
    ] {
        assert!(f[name].parse::<u64>().is_ok(), "{name}: {}", f[name]);
    }
}

#[test]
fn info_section_selection() {
    let server = start_server();
    let mut c = server.raw();
    let server_only = text(&c.cmd(&["INFO", "SERVER"]));
    assert!(server_only.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
    assert!(!server_only.contains("# Clients"));
    let two = text(&c.cmd(&["info", "clients", "keyspace"]));
    assert!(two.starts_with("# Clients\r\n"), "{two}");
    assert!(two.contains("\r\n\r\n# Keyspace\r\n"), "{two}");
    assert_eq!(text(&c.cmd(&["INFO", "nosuchsection"])), "");
    let all = text(&c.cmd(&["INFO", "all"]));
    assert!(all.contains("# Commandstats"));
    assert!(all.contains("# Server"));
    assert!(!text(&c.cmd(&["INFO"])).contains("# Commandstats"));
    assert!(text(&c.cmd(&["INFO", "everything"])).contains("# Keyspace"));
}

#[test]
fn info_counters_move() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(info_u64(&mut c, "clients", "connected_clients"), 1);
    let mut other = server.raw();
    other.cmd(&["PING"]);
    assert_eq!(info_u64(&mut c, "clients", "connected_clients"), 2);
    assert!(info_u64(&mut c, "stats", "total_connections_received") >= 2);

    let before = info_u64(&mut c, "stats", "total_commands_processed");
    c.cmd(&["PING"]);
    let after = info_u64(&mut c, "stats", "total_commands_processed");
    assert_eq!(after, before + 2, "PING and the INFO itself");

    // One read for PING, one for the INFO (a spurious wake-up could add one).
    let reads = info_u64(&mut c, "stats", "total_reads_processed");
    c.cmd(&["PING"]);
    let more = info_u64(&mut c, "stats", "total_reads_processed") - reads;
    assert!((2..=3).contains(&more), "{more} reads for two requests");

    let dirty = info_u64(&mut c, "persistence", "rdb_changes_since_last_save");
    c.cmd(&["SET", "k", "v"]);
    assert!(info_u64(&mut c, "persistence", "rdb_changes_since_last_save") > dirty);

    c.cmd(&["GET", "k"]);
    c.cmd(&["GET", "missing"]);
    assert_eq!(info_u64(&mut c, "stats", "keyspace_hits"), 1);
    assert_eq!(info_u64(&mut c, "stats", "keyspace_misses"), 1);

    let errors = info_u64(&mut c, "stats", "total_error_replies");
    c.cmd(&["NOSUCHCOMMAND"]);
    assert_eq!(info_u64(&mut c, "stats", "total_error_replies"), errors + 1);

    let ks = text(&c.cmd(&["INFO", "keyspace"]));
    assert_eq!(ks, "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n");
    c.cmd(&["SELECT", "2"]);
    c.cmd(&["SET", "a", "1"]);
    let ks = text(&c.cmd(&["INFO", "keyspace"]));
    assert!(
        ks.ends_with("\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n"),
        "{ks}"
    );

    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), simple("OK"));
    assert_eq!(info_u64(&mut c, "stats", "keyspace_hits"), 0);
    assert_eq!(info_u64(&mut c, "stats", "total_error_replies"), 0);
}

#[test]
fn info_is_verbatim_in_resp3() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    let reply = c.cmd(&["INFO", "server"]);
    assert!(
        matches!(&reply, Frame::Verbatim(f, body) if f == "txt" && body.starts_with(b"# Server")),
        "{reply:?}"
    );
}

#[test]
fn command_count_matches_command_and_info_shapes() {
    let server = start_server();
    let mut c = server.raw();
    let Frame::Integer(count) = c.cmd(&["COMMAND", "COUNT"]) else {
        panic!("count")
    };
    let Frame::Array(all) = c.cmd(&["COMMAND"]) else {
        panic!("array")
    };
    assert_eq!(all.len() as i64, count);
    assert!(count >= 15, "{count}");
    for entry in &all {
        let Frame::Array(fields) = entry else {
            panic!("entry {entry:?}")
        };
        assert_eq!(fields.len(), 10, "{entry:?}");
    }
    let Frame::Array(info) = c.cmd(&["COMMAND", "INFO", "get", "NOSUCH", "client|list"]) else {
        panic!("array")
    };
    assert_eq!(info.len(), 3);
    let Frame::Array(get) = &info[0] else {
        panic!("get info")
    };
    assert_eq!(get[0], bulk("get"));
    assert_eq!(get[1], int(2));
    assert!(matches!(&get[2], Frame::Array(f) if f.contains(&simple("readonly"))));
    assert_eq!(&get[3..6], &[int(1), int(1), int(1)]);
    assert!(matches!(&get[6], Frame::Array(c) if c.contains(&simple("@read"))));
    assert!(matches!(&get[8], Frame::Array(specs) if specs.len() == 1));
    assert_eq!(info[1], Frame::Null);
    let Frame::Array(list) = &info[2] else {
        panic!("client|list info")
    };
    assert_eq!(list[0], bulk("client|list"));
    assert_eq!(list[1], int(-2));

    let Frame::Array(client) = c.cmd(&["COMMAND", "INFO", "client"]) else {
        panic!("array")
    };
    let Frame::Array(client) = &client[0] else {
        panic!("client")
    };
    assert!(matches!(&client[9], Frame::Array(subs) if subs.len() > 5));
}

#[test]
fn command_info_in_resp3_uses_sets() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    let Frame::Array(info) = c.cmd(&["COMMAND", "INFO", "set"]) else {
        panic!("array")
    };
    let Frame::Array(set) = &info[0] else {
        panic!("set info")
    };
    assert!(matches!(&set[2], Frame::Set(f) if f.contains(&simple("write"))));
    assert!(matches!(&set[8], Frame::Set(s) if matches!(&s[0], Frame::Map(_))));
}

#[test]
fn command_docs_list_and_getkeys() {
    let server = start_server();
    let mut c = server.raw();
    let docs = pairs(&c.cmd(&["COMMAND", "DOCS", "get", "nosuch", "CONFIG"]));
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].0, "get");
    let get = pairs(&docs[0].1);
    assert_eq!(get[0].0, "summary");
    assert!(
        get.iter()
            .any(|(k, v)| k == "group" && *v == bulk("string"))
    );
    let config = pairs(&docs[1].1);
    let subs = config
        .iter()
        .find(|(k, _)| k == "subcommands")
        .map(|(_, v)| pairs(v))
        .expect("subcommands");
    assert!(subs.iter().any(|(k, _)| k == "config|get"));
    let Frame::Integer(count) = c.cmd(&["COMMAND", "COUNT"]) else {
        panic!("count")
    };
    assert_eq!(pairs(&c.cmd(&["COMMAND", "DOCS"])).len() as i64, count);

    let Frame::Array(names) = c.cmd(&["COMMAND", "LIST"]) else {
        panic!("list")
    };
    assert!(names.contains(&bulk("get")));
    assert!(names.contains(&bulk("client|kill")));
    assert!(names.len() as i64 > count);
    let Frame::Array(client) = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "client*"]) else {
        panic!("list")
    };
    assert!(client.contains(&bulk("client")));
    assert!(client.iter().all(|n| text(n).starts_with("client")));
    let Frame::Array(admin) = c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"]) else {
        panic!("list")
    };
    assert!(admin.contains(&bulk("shutdown")));
    assert!(!admin.contains(&bulk("get")));
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]),
        Frame::Array(vec![])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "BAD", "x"]),
        error("ERR syntax error")
    );

    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "SET", "a", "b"]),
        Frame::Array(vec![bulk("a")])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "NOPE", "a"]),
        error("ERR Invalid command specified")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "PING", "a"]),
        error("ERR The command has no key arguments")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "GET", "a", "b"]),
        error("ERR Invalid number of arguments specified for command")
    );
}

#[test]
fn command_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["COMMAND", "FOO"]),
        error("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "COUNT", "x"]),
        error("ERR wrong number of arguments for 'command|count' command")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "GET"]),
        error("ERR wrong number of arguments for 'command|getkeys' command")
    );
    let Frame::Array(help) = c.cmd(&["COMMAND", "HELP"]) else {
        panic!("help")
    };
    assert_eq!(
        help[0],
        simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
}

#[test]
fn config_get_and_set_round_trip() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "maxclients"]),
        Frame::Array(vec![bulk("maxclients"), bulk("10000")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "MAXCLIENTS"]),
        Frame::Array(vec![bulk("maxclients"), bulk("10000")])
    );
    let compat = pairs(&c.cmd(&["CONFIG", "GET", "save", "appendonly", "databases"]));
    assert_eq!(
        compat,
        [
            ("save".to_string(), bulk("")),
            ("appendonly".to_string(), bulk("no")),
            ("databases".to_string(), bulk("16")),
        ]
    );
    let max: Vec<String> = pairs(&c.cmd(&["CONFIG", "GET", "max*"]))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for name in ["maxclients", "maxmemory", "maxmemory-policy"] {
        assert!(max.contains(&name.to_string()), "{max:?}");
    }
    assert!(max.iter().all(|k| k.starts_with("max")));
    let all = pairs(&c.cmd(&["CONFIG", "GET", "*"]));
    assert!(all.len() >= 20, "{all:?}");
    assert_eq!(c.cmd(&["CONFIG", "GET", "nosuch"]), Frame::Array(vec![]));

    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "20"]), simple("OK"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        Frame::Array(vec![bulk("hz"), bulk("20")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "HZ", "15", "maxclients", "50"]),
        simple("OK")
    );
    assert_eq!(info_fields(&mut c, &["server"])["hz"], "15");
    assert_eq!(info_fields(&mut c, &["clients"])["maxclients"], "50");
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), simple("OK"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "appendonly", "NO"]), simple("OK"));

    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        Frame::Map(vec![(bulk("hz"), bulk("15"))])
    );
}

#[test]
fn config_errors() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "nosuch", "1"]),
        error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "1", "x"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz"]),
        error("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET"]),
        error("ERR wrong number of arguments for 'config|get' command")
    );
    let Frame::Error(bad) = c.cmd(&["CONFIG", "SET", "hz", "0"]) else {
        panic!("hz 0 must fail")
    };
    assert!(
        bad.starts_with("ERR CONFIG SET failed (possibly related to argument 'hz') - "),
        "{bad}"
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "port", "1"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"
        )
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "io-threads", "4"]),
        error(
            "ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set immutable config"
        )
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "30", "hz", "40"]),
        error("ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter")
    );
    // All or nothing: a bad second pair leaves the first unapplied.
    assert!(matches!(
        c.cmd(&["CONFIG", "SET", "hz", "30", "maxclients", "0"]),
        Frame::Error(_)
    ));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "30", "bogus", "1"]),
        error("ERR Unknown option or number of arguments for CONFIG SET - 'bogus'")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        Frame::Array(vec![bulk("hz"), bulk("10")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        error("ERR The server is running without a config file")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "FOO"]),
        error("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
    );
    assert_eq!(
        c.cmd(&["CONFIG"]),
        error("ERR wrong number of arguments for 'config' command")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "RESETSTAT", "x"]),
        error("ERR wrong number of arguments for 'config|resetstat' command")
    );
    assert!(matches!(c.cmd(&["CONFIG", "HELP"]), Frame::Array(h) if h.len() == 11));
}

#[test]
fn redis_crate_config_and_command() {
    let server = start_server();
    let mut con = server.redis();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("hz")
        .arg(25)
        .query(&mut con)
        .expect("set");
    let got: HashMap<String, String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("hz")
        .query(&mut con)
        .expect("get");
    assert_eq!(got["hz"], "25");
    let count: i64 = redis::cmd("COMMAND")
        .arg("COUNT")
        .query(&mut con)
        .expect("count");
    let all: Vec<redis::Value> = redis::cmd("COMMAND").query(&mut con).expect("command");
    assert_eq!(all.len() as i64, count);
    let info: redis::InfoDict = redis::cmd("INFO").query(&mut con).expect("info");
    assert_eq!(
        info.get::<String>("redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(info.get::<i64>("connected_clients"), Some(1));
}

#[test]
fn time_dbsize_debug() {
    let server = start_server();
    let mut c = server.raw();
    let Frame::Array(t) = c.cmd(&["TIME"]) else {
        panic!("time")
    };
    let secs: u64 = text(&t[0]).parse().expect("seconds");
    let micros: u64 = text(&t[1]).parse().expect("micros");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(secs.abs_diff(now) <= 5, "{secs} vs {now}");
    assert!(micros < 1_000_000);
    assert_eq!(
        c.cmd(&["TIME", "x"]),
        error("ERR wrong number of arguments for 'time' command")
    );
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SET", "a", "1"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), simple("OK"));
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.001"]), simple("OK"));
    assert_eq!(
        c.cmd(&["DEBUG", "FOO"]),
        error("ERR unknown subcommand or wrong number of arguments for 'FOO'. Try DEBUG HELP.")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "SLEEP"]),
        error("ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.")
    );
}

#[test]
fn shutdown_stops_the_server() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SHUTDOWN", "FOO"]), error("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        error("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["SHUTDOWN", "ABORT"]),
        error("ERR No shutdown in progress.")
    );
    let mut other = server.raw();
    other.cmd(&["PING"]);
    c.send_cmd(&["SHUTDOWN", "NOSAVE"]);
    c.expect_closed();
    other.expect_closed();
    assert!(std::net::TcpStream::connect(server.addr).is_err());
}

#[test]
fn info_commandstats_and_errorstats_count_calls_rejections_and_failures() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SET", "s", "x"]);
    c.cmd(&["GET", "s"]);
    c.cmd(&["GET", "s"]);
    c.cmd(&["GET"]); // rejected: arity
    c.cmd(&["INCR", "s"]); // fails: not an integer
    c.cmd(&["NOSUCH"]);
    let Frame::Bulk(info) = c.cmd(&["INFO", "commandstats", "errorstats"]) else {
        panic!("INFO is a bulk string");
    };
    let info = String::from_utf8(info).expect("text");
    assert!(
        info.contains("cmdstat_get:calls=2,") && info.contains("rejected_calls=1,failed_calls=0"),
        "{info}"
    );
    assert!(
        info.contains("cmdstat_incr:calls=1,") && info.contains("rejected_calls=0,failed_calls=1"),
        "{info}"
    );
    assert!(info.contains("errorstat_ERR:count=3"), "{info}");
    let Frame::Bulk(default) = c.cmd(&["INFO"]) else {
        panic!("INFO is a bulk string");
    };
    assert!(!String::from_utf8_lossy(&default).contains("cmdstat_"));
}

#[test]
fn busy_poll_can_be_read_changed_and_switched_off() {
    let server = start_server_with(|c| c.busy_poll_us = 0);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "busy-poll-us"]),
        Frame::Array(vec![bulk("busy-poll-us"), bulk("0")])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "busy-poll-us", "200"]),
        simple("OK")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "busy-poll-us"]),
        Frame::Array(vec![bulk("busy-poll-us"), bulk("200")])
    );
    assert!(matches!(
        c.cmd(&["CONFIG", "SET", "busy-poll-us", "99999999"]),
        Frame::Error(_)
    ));
    // The loop keeps serving with any setting.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}
