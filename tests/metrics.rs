//! `--metrics-port`: GET /metrics serves Prometheus text with redis_exporter's names and
//! the latency histograms; other requests are refused; the endpoint is off by default.
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::*;
use redis::Commands;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn http(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to metrics");
    s.set_read_timeout(Some(REPLY_TIMEOUT)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    // Read until the server closes; a request it did not read whole (too long) may
    // end in a reset after the response.
    let mut out = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset && !out.is_empty() => break,
            Err(e) => panic!("read response: {e}"),
        }
    }
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn metrics_endpoint_serves_exporter_names_and_histograms() {
    let port = free_port();
    let server = start_server_with(|c| c.set("metrics-port", &port.to_string()).unwrap());
    let mut c = server.redis();
    let _: () = c.set("a", "1").unwrap();
    let _: Option<String> = c.get("a").unwrap();
    let _: Option<String> = c.get("missing").unwrap();
    let page = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    let (head, body) = page.split_once("\r\n\r\n").expect("a head");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    for needle in [
        "redis_up 1",
        "# TYPE redis_commands_processed_total counter",
        "redis_keyspace_hits_total 1",
        "redis_keyspace_misses_total 1",
        "redis_db_keys{db=\"db0\"} 1",
        "redis_commands_total{cmd=\"get\"} 2",
        "redis_latency_percentiles_usec{cmd=\"get\",quantile=\"50\"}",
        "redis_latency_percentiles_usec_count{cmd=\"get\"} 2",
        "rudis_command_latency_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 2",
        "redis_connected_clients ",
    ] {
        assert!(body.contains(needle), "missing {needle}\n{body}");
    }
    // Families are declared once.
    let types = body
        .lines()
        .filter(|l| l.starts_with("# TYPE redis_commands_total "))
        .count();
    assert_eq!(types, 1);
    // Read-only and bounded.
    assert!(http(port, "POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
    assert!(http(port, "GET /other HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    let huge = format!("GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000));
    assert!(http(port, &huge).starts_with("HTTP/1.1 431"));
    // The data port still serves.
    let n: i64 = c.exists("a").unwrap();
    assert_eq!(n, 1);
}

#[test]
fn metrics_are_off_by_default() {
    let server = start_server();
    let mut c = server.raw();
    let reply = c.cmd(&["CONFIG", "GET", "metrics-port"]);
    assert_eq!(
        reply,
        rudis::protocol::Frame::Array(vec![bulk("metrics-port"), bulk("0")])
    );
}
