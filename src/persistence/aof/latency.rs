//! What the AOF measures for the latency monitor (Redis's `aof-*` events, sampled in
//! `flushAppendOnlyFile`, `getAppendOnlyFileSize` and `backgroundRewriteDoneHandler`):
//! the AOF times its own system calls and the server, which owns the latency monitor
//! and knows whether a child runs, takes the figures after each flush.

use std::time::{Duration, Instant};

/// Durations measured since the server last took them (the worst of each kind).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AofTimings {
    /// The `write` of the buffer (`aof-write`), and whether a background fsync was
    /// running meanwhile (`aof-write-pending-fsync`; else `aof-write-active-child` or
    /// `aof-write-alone`, which the server tells apart).
    pub write: Option<(Duration, bool)>,
    /// The fsync of `appendfsync always` (`aof-fsync-always`).
    pub fsync_always: Option<Duration>,
    /// Reading a file's size (`aof-fstat`).
    pub fstat: Option<Duration>,
    /// Renaming a rewritten file into place (`aof-rename`).
    pub rename: Option<Duration>,
}

/// Keeps the worse of `slot` and `took`.
fn worst(slot: &mut Option<Duration>, took: Duration) {
    *slot = Some(slot.map_or(took, |d| d.max(took)));
}

impl AofTimings {
    /// Records a write that took `took`, with a background fsync running or not.
    pub fn note_write(&mut self, took: Duration, pending_fsync: bool) {
        self.write = Some(match self.write {
            Some((d, p)) if d >= took => (d, p),
            _ => (took, pending_fsync),
        });
    }

    /// Records an `always` fsync.
    pub fn note_fsync_always(&mut self, took: Duration) {
        worst(&mut self.fsync_always, took);
    }

    /// Runs `f` (a `stat` of an AOF file) and records how long it took.
    pub fn fstat<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        worst(&mut self.fstat, start.elapsed());
        out
    }

    /// Runs `f` (a rename) and records how long it took.
    pub fn rename<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        worst(&mut self.rename, start.elapsed());
        out
    }

    /// The events to sample, Redis's names: the write under its circumstance (the
    /// caller says whether a child process runs) and as `aof-write`, the fsync, the
    /// stat and the renames.
    pub fn events(&self, child_active: bool) -> impl Iterator<Item = (&'static str, Duration)> {
        let write = self.write.map(|(d, pending)| {
            let kind = if pending {
                "aof-write-pending-fsync"
            } else if child_active {
                "aof-write-active-child"
            } else {
                "aof-write-alone"
            };
            [(kind, d), ("aof-write", d)]
        });
        write
            .into_iter()
            .flatten()
            .chain(self.fsync_always.map(|d| ("aof-fsync-always", d)))
            .chain(self.fstat.map(|d| ("aof-fstat", d)))
            .chain(self.rename.map(|d| ("aof-rename", d)))
    }

    /// True when nothing was measured.
    pub fn is_empty(&self) -> bool {
        *self == AofTimings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_use_redis_names_and_keep_the_worst() {
        let mut t = AofTimings::default();
        t.note_write(Duration::from_millis(3), false);
        t.note_write(Duration::from_millis(1), true);
        t.note_fsync_always(Duration::from_millis(2));
        let events: Vec<_> = t.events(true).collect();
        assert_eq!(
            events,
            vec![
                ("aof-write-active-child", Duration::from_millis(3)),
                ("aof-write", Duration::from_millis(3)),
                ("aof-fsync-always", Duration::from_millis(2)),
            ]
        );
        assert!(!t.is_empty());
        assert!(AofTimings::default().is_empty());
    }
}
