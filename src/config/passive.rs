//! Redis 7.0 directives rudis accepts without acting on them, in two tables kept
//! apart from the directives [`Config`](super::Config) implements: [`NO_EFFECT`]
//! (they do not apply to rudis: threads, allocator, defragmentation, cluster, TLS,
//! ...) and [`NOT_YET`] (other parts of rudis are to implement them). Both are
//! accepted in a configuration file, on the command line and by CONFIG SET (unless
//! Redis makes them immutable), shown by CONFIG GET, kept by CONFIG REWRITE, and
//! logged once at start-up when given. A directive in neither table nor in
//! [`Config::NAMES`](super::Config::NAMES) is an error.

/// Redis 7.0 directives that do not apply to rudis: accepted, kept for CONFIG GET
/// and CONFIG REWRITE, logged once at start-up. `(name, Redis's default, CONFIG SET
/// may change it)`.
pub const NO_EFFECT: &[(&str, &str, bool)] = &[
    ("active-defrag-cycle-max", "25", true),
    ("active-defrag-cycle-min", "1", true),
    ("active-defrag-ignore-bytes", "104857600", true),
    ("active-defrag-max-scan-fields", "1000", true),
    ("active-defrag-threshold-lower", "10", true),
    ("active-defrag-threshold-upper", "100", true),
    ("active-expire-effort", "1", true),
    ("activedefrag", "no", true),
    ("activerehashing", "yes", true),
    ("always-show-logo", "no", false),
    ("aof-disable-auto-gc", "no", true),
    ("aof-rewrite-incremental-fsync", "yes", true),
    ("aof-timestamp-enabled", "no", true),
    ("aof_rewrite_cpulist", "", false),
    ("bgsave_cpulist", "", false),
    ("bind-source-addr", "", true),
    ("bio_cpulist", "", false),
    ("cluster-allow-pubsubshard-when-down", "yes", true),
    ("cluster-allow-reads-when-down", "no", true),
    ("cluster-allow-replica-migration", "yes", true),
    ("cluster-announce-bus-port", "0", true),
    ("cluster-announce-hostname", "", true),
    ("cluster-announce-ip", "", true),
    ("cluster-announce-port", "0", true),
    ("cluster-announce-tls-port", "0", true),
    ("cluster-config-file", "nodes.conf", false),
    ("cluster-enabled", "no", false),
    ("cluster-link-sendbuf-limit", "0", true),
    ("cluster-migration-barrier", "1", true),
    ("cluster-node-timeout", "15000", true),
    ("cluster-port", "0", false),
    ("cluster-preferred-endpoint-type", "ip", true),
    ("cluster-replica-no-failover", "no", true),
    ("cluster-replica-validity-factor", "10", true),
    ("cluster-require-full-coverage", "yes", true),
    ("crash-log-enabled", "yes", true),
    ("crash-memcheck-enabled", "yes", true),
    ("disable-thp", "yes", false),
    ("dynamic-hz", "yes", true),
    ("enable-module-command", "no", false),
    ("enable-protected-configs", "no", false),
    ("ignore-warnings", "", true),
    ("io-threads", "1", false),
    ("io-threads-do-reads", "no", false),
    ("jemalloc-bg-thread", "yes", true),
    ("lazyfree-lazy-eviction", "no", true),
    ("lazyfree-lazy-expire", "no", true),
    ("lazyfree-lazy-server-del", "no", true),
    ("lazyfree-lazy-user-del", "no", true),
    ("lazyfree-lazy-user-flush", "no", true),
    ("loading-process-events-interval-bytes", "2097152", true),
    ("maxmemory-clients", "0", true),
    ("no-appendfsync-on-rewrite", "no", true),
    ("oom-score-adj", "no", true),
    ("oom-score-adj-values", "0 200 800", true),
    (
        "proc-title-template",
        "{title} {listen-addr} {server-mode}",
        true,
    ),
    ("propagation-error-behavior", "ignore", true),
    ("rdb-del-sync-files", "no", true),
    ("rdb-save-incremental-fsync", "yes", true),
    ("rdbchecksum", "yes", false),
    ("rdbcompression", "yes", true),
    ("server_cpulist", "", false),
    ("set-proc-title", "yes", false),
    ("shutdown-on-sigint", "default", true),
    ("shutdown-on-sigterm", "default", true),
    ("shutdown-timeout", "10", true),
    ("socket-mark-id", "0", false),
    ("tcp-backlog", "511", false),
    ("tcp-keepalive", "300", true),
    ("tls-auth-clients", "yes", true),
    ("tls-ca-cert-dir", "", true),
    ("tls-ca-cert-file", "", true),
    ("tls-cert-file", "", true),
    ("tls-ciphers", "", true),
    ("tls-ciphersuites", "", true),
    ("tls-client-cert-file", "", true),
    ("tls-client-key-file", "", true),
    ("tls-client-key-file-pass", "", true),
    ("tls-cluster", "no", true),
    ("tls-dh-params-file", "", true),
    ("tls-key-file", "", true),
    ("tls-key-file-pass", "", true),
    ("tls-port", "0", true),
    ("tls-prefer-server-ciphers", "no", true),
    ("tls-protocols", "", true),
    ("tls-replication", "no", true),
    ("tls-session-cache-size", "20480", true),
    ("tls-session-cache-timeout", "300", true),
    ("tls-session-caching", "yes", true),
    ("unixsocket", "", false),
    ("unixsocketperm", "0", false),
    ("use-exit-on-panic", "no", true),
    ("watchdog-period", "0", true),
];

/// Redis 7.0 directives that other parts of rudis are to implement (eviction,
/// replication, observability, data types): accepted and kept like [`NO_EFFECT`]
/// until then. Whoever implements one removes its line here (a test checks that no
/// name is both here and in [`Config::NAMES`](super::Config::NAMES)).
pub const NOT_YET: &[(&str, &str, bool)] = &[
    // replication
    ("repl-backlog-ttl", "3600", true),
    ("repl-disable-tcp-nodelay", "no", true),
    ("repl-diskless-sync-max-replicas", "0", true),
    ("replica-announced", "yes", true),
    ("replica-ignore-disk-write-errors", "no", true),
    ("replica-ignore-maxmemory", "yes", true),
    ("replica-lazy-flush", "no", true),
];

/// Old names Redis still accepts, and the directive each stands for.
pub const ALIASES: &[(&str, &str)] = &[
    ("cluster-slave-no-failover", "cluster-replica-no-failover"),
    (
        "cluster-slave-validity-factor",
        "cluster-replica-validity-factor",
    ),
    ("slave-ignore-maxmemory", "replica-ignore-maxmemory"),
    ("slave-lazy-flush", "replica-lazy-flush"),
];

/// Directives Redis accepts and ignores (`deprecated_configs` in config.c), with
/// how many words (the name included) they take.
pub const DEPRECATED: &[(&str, usize)] = &[
    ("list-max-ziplist-entries", 2),
    ("list-max-ziplist-value", 2),
    ("lua-replicate-commands", 2),
];

/// One passive directive: its primary name, Redis's default, whether CONFIG SET
/// may change it, and whether it is only pending ([`NOT_YET`]).
#[derive(Debug, Clone, Copy)]
pub struct Passive {
    /// The primary name (an alias resolved).
    pub name: &'static str,
    /// Redis's default value.
    pub default: &'static str,
    /// CONFIG SET may change it.
    pub mutable: bool,
    /// In [`NOT_YET`] rather than [`NO_EFFECT`].
    pub pending: bool,
}

/// The passive directive `name` (lowercase, an alias allowed), if it is one.
pub fn find(name: &str) -> Option<Passive> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, primary)| primary);
    let entry = |pending: bool| {
        move |&(n, default, mutable): &(&'static str, &'static str, bool)| {
            (n == name).then_some(Passive {
                name: n,
                default,
                mutable,
                pending,
            })
        }
    };
    NO_EFFECT
        .iter()
        .find_map(entry(false))
        .or_else(|| NOT_YET.iter().find_map(entry(true)))
}

/// Every passive name CONFIG GET can match, aliases included.
pub fn names() -> impl Iterator<Item = &'static str> {
    NO_EFFECT
        .iter()
        .chain(NOT_YET)
        .map(|(n, _, _)| *n)
        .chain(ALIASES.iter().map(|(a, _)| *a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn no_name_is_both_passive_and_implemented() {
        for name in names() {
            assert!(
                !Config::knows(name),
                "'{name}' is implemented: remove it from src/config/passive.rs"
            );
        }
        for (alias, primary) in ALIASES {
            assert!(find(alias).is_some_and(|p| p.name == *primary), "{alias}");
        }
    }
}
