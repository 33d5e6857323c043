//! Protected mode (Redis's `protected-mode`): while the default user has no password,
//! a server listening on a non-loopback address refuses clients from other hosts.

use std::net::IpAddr;

/// The reply a refused client gets before the connection closes (networking.c's text,
/// with its typos, as clients and operators know it).
pub const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected \
mode is enabled and no password is set for the default user. \
In this mode connections are only accepted from the loopback interface. \
If you want to connect from external computers to Redis you \
may adopt one of the following solutions: \
1) Just disable protected mode sending the command \
'CONFIG SET protected-mode no' from the loopback interface \
by connecting to Redis from the same host the server is \
running, however MAKE SURE Redis is not publicly accessible \
from internet if you do so. Use CONFIG REWRITE to make this \
change permanent. \
2) Alternatively you can just disable the protected mode by \
editing the Redis configuration file, and setting the protected \
mode option to 'no', and then restarting the server. \
3) If you started the server manually just for testing, restart \
it with the '--protected-mode no' option. \
4) Setup a an authentication password for the default user. \
NOTE: You only need to do one of the above things in order for \
the server to start accepting connections from the outside.\r\n";

/// True when a connection from `peer` must be refused: protected mode is on, the
/// default user needs no password, the server listens on a non-loopback address
/// (`bind`, as given to `--bind`), and the peer is not on the loopback interface.
pub fn denies(peer: IpAddr, bind: &str, password_set: bool, protected_mode: bool) -> bool {
    protected_mode && !password_set && !bind_is_loopback(bind) && !is_loopback(peer)
}

/// True for 127.0.0.0/8, `::1` and IPv4-mapped loopback (`::ffff:127.x.y.z`).
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// True when every address `bind` names is a loopback one (`localhost` included);
/// a wildcard or unparsable address counts as reachable from outside.
fn bind_is_loopback(bind: &str) -> bool {
    let mut addrs = bind.split_whitespace().peekable();
    addrs.peek().is_some()
        && addrs.all(|a| {
            let a = a.trim_start_matches('-');
            a.eq_ignore_ascii_case("localhost")
                || a.trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(is_loopback)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn refuses_only_remote_peers_without_password_on_open_bind() {
        let remote = ip("192.168.1.20");
        assert!(denies(remote, "0.0.0.0", false, true));
        assert!(denies(remote, "::", false, true));
        assert!(denies(remote, "10.0.0.1", false, true));
        assert!(denies(ip("2001:db8::1"), "0.0.0.0 ::", false, true));
        // Any one condition missing lets the client in.
        assert!(!denies(remote, "0.0.0.0", true, true));
        assert!(!denies(remote, "0.0.0.0", false, false));
        assert!(!denies(remote, "127.0.0.1", false, true));
        assert!(!denies(remote, "localhost", false, true));
        assert!(!denies(remote, "127.0.0.1 ::1", false, true));
    }

    #[test]
    fn loopback_peers_are_always_welcome() {
        for peer in [
            "127.0.0.1",
            "127.0.0.2",
            "127.255.255.254",
            "::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!denies(ip(peer), "0.0.0.0", false, true), "{peer}");
        }
        assert!(denies(ip("::ffff:10.0.0.1"), "::", false, true));
        assert!(denies(ip("128.0.0.1"), "0.0.0.0", false, true));
    }

    #[test]
    fn bind_list_is_loopback_only_when_every_address_is() {
        assert!(bind_is_loopback("127.0.0.1"));
        assert!(bind_is_loopback("127.0.0.1 -::1"));
        assert!(bind_is_loopback("[::1]"));
        assert!(!bind_is_loopback("127.0.0.1 0.0.0.0"));
        assert!(!bind_is_loopback("*"));
        assert!(!bind_is_loopback(""));
        assert!(!bind_is_loopback("example.com"));
    }

    #[test]
    fn denied_text_is_one_redis_error_line() {
        assert!(DENIED.starts_with(b"-DENIED Redis is running in protected mode"));
        assert!(DENIED.ends_with(b"from the outside.\r\n"));
        assert_eq!(DENIED.iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
