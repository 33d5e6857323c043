//! The slow log (Redis's slowlog.c): the last `slowlog-max-len` commands that took at
//! least `slowlog-log-slower-than` microseconds, newest first.

use std::collections::VecDeque;

/// Most arguments kept per entry; the last kept one then says how many were left out
/// (Redis's SLOWLOG_ENTRY_MAX_ARGC).
pub const MAX_ARGC: usize = 32;
/// Longest argument kept, in bytes; the rest is summarised (SLOWLOG_ENTRY_MAX_STRING).
pub const MAX_STRING: usize = 128;

/// One logged command.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Increasing id (never reused, even after RESET).
    pub id: u64,
    /// Unix time in seconds when it was logged.
    pub time: i64,
    /// Duration in microseconds.
    pub duration_us: u64,
    /// Its arguments, trimmed and redacted.
    pub args: Vec<Vec<u8>>,
    /// The client's `ip:port`.
    pub peer: String,
    /// The client's name.
    pub name: Vec<u8>,
}

/// The log.
#[derive(Debug, Default)]
pub struct SlowLog {
    /// Entries, newest first.
    pub entries: VecDeque<Entry>,
    next_id: u64,
}

/// The arguments as an entry keeps them: at most [`MAX_ARGC`] (the last saying how
/// many more there were), each cut at [`MAX_STRING`] bytes.
pub fn trim_args<'a>(args: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<Vec<u8>> {
    let argc = args.len();
    let kept = argc.min(MAX_ARGC);
    let mut out = Vec::with_capacity(kept);
    for (j, arg) in args.take(kept).enumerate() {
        if kept != argc && j == kept - 1 {
            out.push(format!("... ({} more arguments)", argc - kept + 1).into_bytes());
        } else if arg.len() > MAX_STRING {
            let mut s = arg[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes());
            out.push(s);
        } else {
            out.push(arg.to_vec());
        }
    }
    out
}

impl SlowLog {
    /// Logs a command (the caller checked the threshold), then keeps at most `max_len`.
    pub fn push(&mut self, mut entry: Entry, max_len: usize) {
        entry.id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }

    /// Empties the log (ids go on).
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_as_redis() {
        let many: Vec<Vec<u8>> = (0..35).map(|i| i.to_string().into_bytes()).collect();
        let out = trim_args(many.iter().map(|a| a.as_slice()));
        assert_eq!(out.len(), 32);
        assert_eq!(out[31], b"... (4 more arguments)");
        assert_eq!(out[30], b"30");
        let long = [b'A'; 129];
        let out = trim_args([&long[..]].into_iter());
        assert_eq!(out[0].len(), 128 + b"... (1 more bytes)".len());
        assert!(out[0].ends_with(b"A... (1 more bytes)"));
        let exact: Vec<Vec<u8>> = (0..32).map(|i| i.to_string().into_bytes()).collect();
        assert_eq!(trim_args(exact.iter().map(|a| a.as_slice()))[31], b"31");
    }

    #[test]
    fn keeps_newest_first_and_bounded() {
        let mut log = SlowLog::default();
        for i in 0..5 {
            let e = Entry {
                id: 0,
                time: i,
                duration_us: 1,
                args: vec![],
                peer: String::new(),
                name: vec![],
            };
            log.push(e, 3);
        }
        let ids: Vec<u64> = log.entries.iter().map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        log.reset();
        assert!(log.entries.is_empty());
    }
}
