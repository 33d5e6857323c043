//! The manifest of Redis 7's multi-part AOF (`<appendfilename>.manifest` in
//! `appenddirname`): one line per file, `file <name> seq <n> type <b|h|i>`, the base
//! first, then history files, then the incremental files in order (Redis's
//! `getAofManifestAsString` / `aofLoadManifestFromFile`).

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// One file the manifest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File name inside the AOF directory.
    pub name: String,
    /// Sequence number.
    pub seq: u64,
    /// `b` base, `h` history (to delete), `i` incremental.
    pub kind: char,
}

/// The files of the AOF, as the manifest lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, if any.
    pub base: Option<Entry>,
    /// Files left from before a rewrite, waiting to be deleted.
    pub history: Vec<Entry>,
    /// Incremental files, oldest first.
    pub incrs: Vec<Entry>,
}

impl Manifest {
    /// Parses a manifest's text (`#` comments and blank lines skipped).
    /// # Errors
    /// A description of the first invalid line.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_ascii_whitespace().collect();
            if !words.len().is_multiple_of(2) {
                return Err(format!(
                    "Invalid AOF manifest file format at line {}",
                    n + 1
                ));
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                match pair[0] {
                    "file" => name = Some(pair[1].trim_matches('"').to_string()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => kind = pair[1].chars().next(),
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(format!(
                    "Invalid AOF manifest file format at line {}",
                    n + 1
                ));
            };
            let entry = Entry { name, seq, kind };
            match kind {
                'b' => {
                    if m.base.is_some() {
                        return Err("Found duplicate base file information".into());
                    }
                    m.base = Some(entry);
                }
                'h' => m.history.push(entry),
                'i' => m.incrs.push(entry),
                _ => return Err(format!("Unknown AOF file type '{kind}'")),
            }
        }
        Ok(m)
    }

    /// The manifest's text, as Redis writes it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let all = self.base.iter().chain(&self.history).chain(&self.incrs);
        for e in all {
            out.push_str(&format!("file {} seq {} type {}\n", e.name, e.seq, e.kind));
        }
        out
    }

    /// The highest incremental sequence number (0 when none).
    pub fn last_incr_seq(&self) -> u64 {
        self.incrs.iter().map(|e| e.seq).max().unwrap_or(0)
    }

    /// Writes the manifest to `dir/name` atomically: a temporary file, fsync, rename,
    /// fsync of the directory.
    /// # Errors
    /// The I/O error; the previous manifest is then intact.
    pub fn persist(&self, dir: &Path, name: &str) -> io::Result<()> {
        let temp = dir.join(format!("temp-{name}"));
        let result = (|| {
            let mut f = File::create(&temp)?;
            f.write_all(self.render().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&temp, dir.join(name))?;
            File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_redis_writes_and_writes_it_back() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\n\
                    file appendonly.aof.1.incr.aof seq 1 type i\n\
                    file appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).expect("valid");
        assert_eq!(m.base.as_ref().map(|b| b.seq), Some(1));
        assert_eq!(m.incrs.len(), 2);
        assert_eq!(m.last_incr_seq(), 2);
        assert_eq!(m.render(), text);
        assert!(Manifest::parse("file x seq 1 type z\n").is_err());
        assert!(Manifest::parse("file x seq\n").is_err());
    }
}
