//! The smallest end-to-end check: the server answers over a real socket.
mod common;

use common::*;

#[test]
fn ping_set_get_over_raw_socket() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["SET", "k", "v"]), simple("OK"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "missing"]), rudis::protocol::Frame::Null);
}

#[test]
fn redis_crate_talks_to_the_server() {
    let server = start_server();
    let mut con = server.redis();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg(42)
        .query(&mut con)
        .expect("set");
    let v: i64 = redis::cmd("GET").arg("k").query(&mut con).expect("get");
    assert_eq!(v, 42);
}
