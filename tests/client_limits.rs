//! Every client buffer bounded: client-output-buffer-limit for normal clients,
//! CLIENT LIST's buffer fields, maxclients fitted to the open-file limit.

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
