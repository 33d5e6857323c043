//! The sample configuration file (`rudis.conf` in the repository), generated from
//! the configuration table: every directive [`Config::NAMES`] implements with its
//! description ([`DOCS`]) and default, then the directives rudis accepts without
//! acting on them ([`passive`]). `tests/sample_config.rs` checks the committed file
//! equals [`render`]'s text, so neither can drift from the other.

use super::{Config, passive};

/// One line of description per implemented directive (a test checks every name of
/// [`Config::NAMES`] has one).
pub const DOCS: &[(&str, &str)] = &[
    (
        "bind",
        "Addresses to listen on, separated by spaces; a leading '-' marks one that may be unavailable.",
    ),
    (
        "port",
        "TCP port; 0 picks a free port (the log says which).",
    ),
    (
        "loglevel",
        "How much to log: debug, verbose, notice or warning (nothing: off).",
    ),
    (
        "logfile",
        "File the log is appended to (reopened on SIGHUP); \"\" logs to standard error.",
    ),
    ("syslog-enabled", "Also send the log to the system log."),
    ("syslog-ident", "Program name in the system log."),
    (
        "syslog-facility",
        "Syslog facility: user or local0..local7.",
    ),
    (
        "daemonize",
        "Run in the background (the log then goes to logfile, or nowhere).",
    ),
    (
        "pidfile",
        "File the process id is written to (removed at shutdown); daemonized without one: /var/run/rudis.pid.",
    ),
    (
        "supervised",
        "Tell a supervisor when ready: no, systemd (sd_notify READY=1), upstart (SIGSTOP) or auto.",
    ),
    (
        "key-load-delay",
        "Debugging: microseconds each key adds to loading a snapshot.",
    ),
    ("maxclients", "Most simultaneous clients."),
    ("databases", "Number of databases."),
    (
        "proto-max-bulk-len",
        "Largest bulk string a client may send.",
    ),
    (
        "client-query-buffer-limit",
        "Largest query buffer per client.",
    ),
    ("hz", "Background task frequency (1..500)."),
    (
        "busy-poll-us",
        "Microseconds to poll without sleeping after activity (0: always sleep).",
    ),
    (
        "busy-reply-threshold",
        "Milliseconds a script runs before others get BUSY and SCRIPT KILL works (0: never).",
    ),
    ("lua-time-limit", "Old name of busy-reply-threshold."),
    (
        "lua-memory-limit",
        "Most memory Lua scripts may use (0: unlimited).",
    ),
    (
        "timeout",
        "Close clients idle that many seconds (0: never).",
    ),
    ("requirepass", "Password of the default user (\"\": none)."),
    (
        "protected-mode",
        "Without a password, refuse clients from other hosts when bound to a non-loopback address.",
    ),
    (
        "aclfile",
        "ACL users file, loaded at start-up and by ACL LOAD, written by ACL SAVE.",
    ),
    (
        "acl-pubsub-default",
        "Channels new users and selectors start with: resetchannels (none) or allchannels.",
    ),
    (
        "notify-keyspace-events",
        "Keyspace events to publish, Redis's letters (K E g $ l s h z x e t m n d A).",
    ),
    (
        "client-output-buffer-limit",
        "Output limits per class: class hard soft soft-seconds (normal, replica, pubsub); one line per class.",
    ),
    (
        "dir",
        "Directory of the snapshot and the AOF directory (default: the working directory at start-up).",
    ),
    ("dbfilename", "Snapshot file name inside dir."),
    (
        "save",
        "Background save after CHANGES writes within SECONDS: save SECONDS CHANGES, one line each (\"\": never).",
    ),
    (
        "stop-writes-on-bgsave-error",
        "Refuse writes (-MISCONF) while the last background save failed and save points are set.",
    ),
    (
        "snapshot-format",
        "Format SAVE and BGSAVE write: rudis (keeps nested documents) or redis (Redis's RDB).",
    ),
    (
        "rdb-key-save-delay",
        "Debugging: microseconds each key adds to a save.",
    ),
    ("appendonly", "Log every write to the append-only file."),
    (
        "appendfsync",
        "When the AOF is fsynced: always, everysec or no.",
    ),
    ("appenddirname", "Directory of the AOF files inside dir."),
    ("appendfilename", "Name the AOF files start with."),
    (
        "aof-load-truncated",
        "Start from an AOF cut mid-command, dropping that command.",
    ),
    (
        "auto-aof-rewrite-percentage",
        "Rewrite the AOF when it grew this much since the last rewrite (0: never automatically).",
    ),
    (
        "auto-aof-rewrite-min-size",
        "No automatic AOF rewrite below this size.",
    ),
    (
        "aof-use-rdb-preamble",
        "Write the AOF base as an RDB file (commands when the data set holds nested documents).",
    ),
    (
        "sanitize-dump-payload",
        "Accepted (no, yes, clients): rudis always checks RESTORE payloads in full.",
    ),
    (
        "list-max-listpack-size",
        "Entries (positive) or bytes (-1..-5: 4kb..64kb) per list node.",
    ),
    (
        "list-max-ziplist-size",
        "Old name of list-max-listpack-size.",
    ),
    (
        "list-compress-depth",
        "List nodes left uncompressed at each end (0: none compressed).",
    ),
    (
        "hash-max-listpack-entries",
        "A hash with more fields takes its big encoding.",
    ),
    (
        "hash-max-ziplist-entries",
        "Old name of hash-max-listpack-entries.",
    ),
    (
        "hash-max-listpack-value",
        "A hash with a longer field or value takes its big encoding.",
    ),
    (
        "hash-max-ziplist-value",
        "Old name of hash-max-listpack-value.",
    ),
    (
        "set-max-intset-entries",
        "An integer set with more members takes its big encoding.",
    ),
    (
        "set-max-listpack-entries",
        "A small set with more members takes its big encoding.",
    ),
    (
        "set-max-listpack-value",
        "A small set with a longer member takes its big encoding.",
    ),
    (
        "zset-max-listpack-entries",
        "A sorted set with more members takes its big encoding.",
    ),
    (
        "zset-max-ziplist-entries",
        "Old name of zset-max-listpack-entries.",
    ),
    (
        "zset-max-listpack-value",
        "A sorted set with a longer member takes its big encoding.",
    ),
    (
        "zset-max-ziplist-value",
        "Old name of zset-max-listpack-value.",
    ),
    (
        "stream-node-max-bytes",
        "A stream node (packed block of entries) is closed at this size; 0 = no limit.",
    ),
    (
        "stream-node-max-entries",
        "... or at this many entries; 0 = no limit.",
    ),
    (
        "maxmemory",
        "Most heap memory (used_memory) before keys are evicted or writes refused with -OOM; 0 = no limit.",
    ),
    (
        "maxmemory-policy",
        "What goes past maxmemory: allkeys-lru|lfu|random, volatile-lru|lfu|random|ttl, or noeviction.",
    ),
    (
        "maxmemory-samples",
        "Keys sampled per eviction step (1..64).",
    ),
    (
        "maxmemory-eviction-tenacity",
        "How long one eviction call may run (0..100; the loop goes on evicting between turns).",
    ),
    ("lfu-log-factor", "How slowly the LFU counter grows."),
    (
        "lfu-decay-time",
        "Minutes after which an idle key's LFU counter halves; 0 = never.",
    ),
    (
        "replicaof",
        "Follow the master at HOST PORT (\"\": be a master).",
    ),
    ("slaveof", "Old name of replicaof."),
    ("masterauth", "Password this replica gives its master."),
    (
        "masteruser",
        "User this replica authenticates as with its master (\"\": default user).",
    ),
    (
        "replica-read-only",
        "Clients' writes on a replica get -READONLY.",
    ),
    ("slave-read-only", "Old name of replica-read-only."),
    (
        "replica-serve-stale-data",
        "A replica whose link is down still answers (no: -MASTERDOWN).",
    ),
    (
        "slave-serve-stale-data",
        "Old name of replica-serve-stale-data.",
    ),
    (
        "repl-diskless-sync",
        "Stream full syncs to replicas without a file.",
    ),
    (
        "repl-diskless-sync-delay",
        "Seconds to wait for more replicas before a full sync starts.",
    ),
    (
        "repl-diskless-load",
        "How a replica loads a full sync: disabled, on-empty-db (as disabled) or swapdb (aside; the old data set serves reads meanwhile).",
    ),
    (
        "repl-ping-replica-period",
        "Seconds between the master's PINGs to its replicas.",
    ),
    (
        "repl-ping-slave-period",
        "Old name of repl-ping-replica-period.",
    ),
    (
        "repl-timeout",
        "Seconds after which a silent replication link is dropped.",
    ),
    (
        "repl-backlog-size",
        "Bytes of the stream kept for partial resyncs.",
    ),
    (
        "min-replicas-to-write",
        "Refuse writes with fewer good replicas than this (0: off).",
    ),
    ("min-slaves-to-write", "Old name of min-replicas-to-write."),
    (
        "min-replicas-max-lag",
        "A good replica acknowledged within this many seconds.",
    ),
    ("min-slaves-max-lag", "Old name of min-replicas-max-lag."),
    (
        "replica-priority",
        "Sentinel promotion priority (0: never promoted).",
    ),
    ("slave-priority", "Old name of replica-priority."),
    (
        "replica-announce-ip",
        "Address this replica announces to its master (\"\": its own).",
    ),
    ("slave-announce-ip", "Old name of replica-announce-ip."),
    (
        "replica-announce-port",
        "Port this replica announces to its master (0: its own).",
    ),
    ("slave-announce-port", "Old name of replica-announce-port."),
    (
        "hll-sparse-max-bytes",
        "A sparse HyperLogLog that would grow past this turns dense.",
    ),
    (
        "slowlog-log-slower-than",
        "Commands taking at least this many microseconds go to the slow log (0: all, negative: none).",
    ),
    ("slowlog-max-len", "Entries the slow log keeps."),
    ("acllog-max-len", "Entries the ACL log (ACL LOG) keeps."),
    (
        "latency-monitor-threshold",
        "Latency events of at least this many milliseconds are recorded for LATENCY (0: off).",
    ),
    (
        "latency-tracking",
        "Per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM).",
    ),
    (
        "latency-tracking-info-percentiles",
        "Percentiles INFO latencystats shows.",
    ),
    (
        "tracking-table-max-keys",
        "Keys remembered for client-side caching (0: no limit).",
    ),
    (
        "enable-debug-command",
        "Who may run DEBUG: no, yes, or local (loopback clients).",
    ),
    (
        "metrics-port",
        "Port of the Prometheus endpoint GET /metrics on the bind address (0: off).",
    ),
];

/// A value as a configuration line writes it: bare when it is one plain word,
/// quoted otherwise (Redis's `sdscatrepr`).
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\'));
    if plain {
        return value.to_string();
    }
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The lines `name value` a directive is written as: one per save point and per
/// output class, as Redis writes them.
pub fn lines(name: &str, value: &str) -> Vec<String> {
    let words: Vec<&str> = value.split_ascii_whitespace().collect();
    match name {
        "save" if !words.is_empty() => words
            .chunks(2)
            .map(|p| format!("save {}", p.join(" ")))
            .collect(),
        "client-output-buffer-limit" => words
            .chunks(4)
            .map(|c| format!("{name} {}", c.join(" ")))
            .collect(),
        "bind" | "oom-score-adj-values" | "latency-tracking-info-percentiles" | "replicaof"
            if !words.is_empty() =>
        {
            vec![format!("{name} {}", words.join(" "))]
        }
        _ => vec![format!("{name} {}", quote(value))],
    }
}

/// The sample file's text.
pub fn render() -> String {
    let defaults = Config::default();
    let mut out = String::from(
        "# rudis.conf: every directive rudis understands, with its default.\n\
         #\n\
         # Generated from the configuration table (src/config/sample.rs and\n\
         # src/config/passive.rs); tests/sample_config.rs checks this file against it.\n\
         # Regenerate with: RUDIS_BLESS=1 cargo test --test sample_config\n\
         #\n\
         # Start with: rudis-server /path/to/rudis.conf [--directive value ...]\n\
         # One directive per line, as in Redis's redis.conf; options given on the\n\
         # command line after the file override it. 'include /path/other.conf' reads\n\
         # another file in place; 'rename-command NAME NEW' renames (\"\": removes) a\n\
         # command; 'user ...' lines declare ACL users (ACL file syntax).\n\
         # Every line below is commented out and shows the default.\n",
    );
    for (name, doc) in DOCS {
        let value = match *name {
            "dir" => "./".to_string(),
            _ => defaults.get(name).unwrap_or_default(),
        };
        out.push('\n');
        out.push_str(&format!("# {doc}\n"));
        for line in lines(name, &value) {
            out.push_str(&format!("# {line}\n"));
        }
    }
    let sections = [
        (
            passive::NO_EFFECT,
            "Redis 7.0 directives that do not apply to rudis: accepted, shown by CONFIG GET,\n\
             # kept by CONFIG REWRITE, and logged at start-up as \"accepted, no effect in rudis\".",
        ),
        (
            passive::NOT_YET,
            "Redis 7.0 directives rudis does not implement yet: accepted and kept the same way.",
        ),
    ];
    for (table, title) in sections {
        out.push_str(&format!("\n# {title}\n"));
        for (name, default, _) in table {
            for line in lines(name, default) {
                out.push_str(&format!("# {line}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_implemented_directive_is_documented_once() {
        for name in Config::names() {
            assert_eq!(
                DOCS.iter().filter(|(n, _)| *n == name).count(),
                1,
                "'{name}' needs one line in config::sample::DOCS"
            );
        }
        for (name, _) in DOCS {
            assert!(Config::knows(name), "{name}");
        }
    }

    #[test]
    fn the_sample_parses_back_to_the_defaults() {
        let text = render();
        let uncommented: String = text
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter(|l| {
                l.split(' ')
                    .next()
                    .is_some_and(|w| Config::default().get(w).is_some())
            })
            .filter(|l| !l.starts_with("dir "))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut c = Config::default();
        c.apply_text(&uncommented).unwrap();
        for name in Config::names().filter(|n| *n != "dir") {
            assert_eq!(c.get(name), Config::default().get(name), "{name}");
        }
    }
}
