//! Big values are freed in slices after the turn that deleted them (UNLINK, DEL,
//! FLUSHDB ASYNC): the memory comes back within a few turns, INFO counts them as
//! Redis's lazyfree does, and one huge request does not keep its parsing index.
mod common;

use std::time::{Duration, Instant};

use common::acl::info_field;
use common::*;
use rudis::protocol::Frame;

fn used(c: &mut Raw) -> u64 {
    info_field(c, "memory", "used_memory")
        .parse()
        .expect("used_memory")
}

#[test]
fn unlink_and_flushdb_async_give_the_memory_back_and_count_it() {
    // Its own process: the test's allocations must not count as the server's.
    let server = binary::start(&["--port", "0"]);
    let mut c = server.raw();
    let orig = used(&mut c);
    let members: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    for round in ["UNLINK", "FLUSHDB"] {
        let mut args = vec!["SADD", "myset"];
        args.extend(members.iter().map(String::as_str));
        assert_eq!(c.cmd(&args), Frame::Integer(100_000));
        let peak = used(&mut c);
        assert!(peak > orig + 1_000_000, "peak {peak}, orig {orig}");
        match round {
            "UNLINK" => assert_eq!(c.cmd(&["UNLINK", "myset"]), Frame::Integer(1)),
            _ => assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), simple("OK")),
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pending = info_field(&mut c, "memory", "lazyfree_pending_objects");
            let now = used(&mut c);
            if pending == "0" && now < orig * 2 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{round}: used {now} (orig {orig}, peak {peak}), pending {pending}"
            );
        }
    }
    // The set was one lazily freed object; the flushed table another.
    let freed: u64 = info_field(&mut c, "memory", "lazyfreed_objects")
        .parse()
        .unwrap();
    assert!(freed >= 1, "lazyfreed_objects {freed}");
    // A small value is freed at once and not counted.
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), simple("OK"));
    assert_eq!(c.cmd(&["SADD", "small", "a", "b"]), Frame::Integer(2));
    assert_eq!(c.cmd(&["UNLINK", "small"]), Frame::Integer(1));
    assert_eq!(info_field(&mut c, "memory", "lazyfreed_objects"), "0");
}
