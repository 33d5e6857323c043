//! Limits set by directives: client output buffers per class, and the encoding
//! thresholds of the collection types.

use super::parse_memory;

/// One client class's output buffer limits (Redis's `clientBufferLimitsConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutputLimit {
    /// Bytes at which the client is closed at once (0 = no limit).
    pub hard: usize,
    /// Bytes that close the client once exceeded for longer than `soft_seconds`
    /// (0 = no limit).
    pub soft: usize,
    /// Seconds the soft limit may stay exceeded.
    pub soft_seconds: u64,
}

/// `client-output-buffer-limit`: limits for the normal, replica and pubsub classes.
/// Only the pubsub class is enforced (when messages are delivered): a normal client's
/// own replies are bounded by [`OUTPUT_HIGH_WATER`], and there are no replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputLimits {
    /// `normal`: clients that are not subscribed (Redis's default: no limit).
    pub normal: OutputLimit,
    /// `replica` (alias `slave`): Redis's default 256mb 64mb 60.
    pub replica: OutputLimit,
    /// `pubsub`: subscribed clients (Redis's default 32mb 8mb 60).
    pub pubsub: OutputLimit,
}

impl Default for OutputLimits {
    fn default() -> Self {
        OutputLimits {
            normal: OutputLimit::default(),
            replica: OutputLimit {
                hard: 256 << 20,
                soft: 64 << 20,
                soft_seconds: 60,
            },
            pubsub: OutputLimit {
                hard: 32 << 20,
                soft: 8 << 20,
                soft_seconds: 60,
            },
        }
    }
}

impl OutputLimits {
    /// Applies Redis's `<class> <hard> <soft> <soft seconds>` groups (all or none);
    /// classes not named keep their limits.
    /// # Errors
    /// Redis's texts for a bad group count, class or number.
    pub fn set(&mut self, value: &str) -> Result<(), String> {
        let words: Vec<&str> = value.split_ascii_whitespace().collect();
        if words.is_empty() || !words.len().is_multiple_of(4) {
            return Err("Wrong number of arguments in buffer limit configuration.".into());
        }
        let mut next = *self;
        for group in words.chunks(4) {
            let class = match group[0].to_ascii_lowercase().as_str() {
                "normal" => &mut next.normal,
                "slave" | "replica" => &mut next.replica,
                "pubsub" => &mut next.pubsub,
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    );
                }
            };
            let bad = || {
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                    .to_string()
            };
            *class = OutputLimit {
                hard: parse_memory(group[1]).ok_or_else(bad)?,
                soft: parse_memory(group[2]).ok_or_else(bad)?,
                soft_seconds: group[3].parse().map_err(|_| bad())?,
            };
        }
        *self = next;
        Ok(())
    }

    /// Redis's CONFIG GET form: `normal 0 0 0 slave ... pubsub ...`.
    pub fn get(&self) -> String {
        [
            ("normal", self.normal),
            ("slave", self.replica),
            ("pubsub", self.pubsub),
        ]
        .iter()
        .map(|(name, l)| format!("{name} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
    }
}

/// Sizes up to which a collection keeps its compact encoding (Redis's
/// `*-max-listpack-*` and `set-max-intset-entries` directives, same defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingLimits {
    /// `list-max-listpack-size`: entries per packed list node when positive, else a
    /// byte size class (-1 = 4 KB ... -5 = 64 KB), as Redis's.
    pub list_max_listpack_size: i64,
    /// `list-compress-depth`: accepted and reported for compatibility; list nodes are
    /// never compressed.
    pub list_compress_depth: i64,
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`: longest field or value kept packed.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`: most members of an all-integer set kept as a sorted array.
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries`: most members of a small non-integer set kept packed.
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value`: longest member of a packed set.
    pub set_max_listpack_value: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`: longest member of a packed sorted set.
    pub zset_max_listpack_value: usize,
    /// `stream-node-max-bytes`: bytes a stream node may reach (0 = no limit).
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries`: entries a stream node may hold (0 = no limit).
    pub stream_node_max_entries: usize,
    /// `hll-sparse-max-bytes`: largest sparse HyperLogLog before it turns dense.
    pub hll_sparse_max_bytes: usize,
}

impl Default for EncodingLimits {
    fn default() -> Self {
        EncodingLimits {
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hash_max_listpack_entries: 128,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            hll_sparse_max_bytes: 3000,
        }
    }
}

impl EncodingLimits {
    /// The hash limits (`hash-max-listpack-*`).
    pub fn hash_limits(&self) -> crate::store::hash::Limits {
        crate::store::hash::Limits {
            entries: self.hash_max_listpack_entries,
            value: self.hash_max_listpack_value,
        }
    }

    /// The set limits (`set-max-intset-entries`, `set-max-listpack-*`).
    pub fn set_limits(&self) -> crate::store::set::SetLimits {
        crate::store::set::SetLimits {
            intset_entries: self.set_max_intset_entries,
            listpack_entries: self.set_max_listpack_entries,
            listpack_value: self.set_max_listpack_value,
        }
    }

    /// The stream node limits (`stream-node-max-*`).
    pub fn stream_limits(&self) -> crate::store::stream::NodeLimits {
        crate::store::stream::NodeLimits {
            max_bytes: self.stream_node_max_bytes,
            max_entries: self.stream_node_max_entries,
        }
    }

    /// The sorted set limits (`zset-max-listpack-*`).
    pub fn zset_limits(&self) -> crate::store::zset::PackLimits {
        crate::store::zset::PackLimits {
            entries: self.zset_max_listpack_entries,
            value: self.zset_max_listpack_value,
        }
    }

    /// The list node limit (`list-max-listpack-size`).
    pub fn list_limit(&self) -> crate::store::list::NodeLimit {
        crate::store::list::NodeLimit::new(self.list_node_bytes(), self.list_node_entries())
    }

    /// Bytes a packed list node may hold (for a negative `list-max-listpack-size`),
    /// or `usize::MAX` when the limit counts entries.
    pub fn list_node_bytes(&self) -> usize {
        match self.list_max_listpack_size {
            n if n > 0 => usize::MAX,
            -1 => 4 * 1024,
            -2 => 8 * 1024,
            -3 => 16 * 1024,
            -4 => 32 * 1024,
            _ => 64 * 1024,
        }
    }

    /// Entries a packed list node may hold (for a positive `list-max-listpack-size`),
    /// or `usize::MAX` when the limit counts bytes.
    pub fn list_node_entries(&self) -> usize {
        match self.list_max_listpack_size {
            n if n > 0 => n as usize,
            _ => usize::MAX,
        }
    }

    /// Sets `name` (with the `ziplist` spellings Redis still accepts); `Ok(false)` when
    /// `name` is not one of these directives.
    pub(super) fn set(&mut self, name: &str, value: &str) -> Result<bool, ()> {
        let size = || value.parse::<usize>().map_err(|_| ());
        let name = name.replace("ziplist", "listpack");
        match name.as_str() {
            "list-max-listpack-size" => {
                self.list_max_listpack_size = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (-5..=i64::from(i32::MAX)).contains(n) && *n != 0)
                    .ok_or(())?
            }
            "list-compress-depth" => {
                self.list_compress_depth = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=i64::from(i32::MAX)).contains(n))
                    .ok_or(())?
            }
            "hash-max-listpack-entries" => self.hash_max_listpack_entries = size()?,
            "hash-max-listpack-value" => self.hash_max_listpack_value = size()?,
            "set-max-intset-entries" => self.set_max_intset_entries = size()?,
            "set-max-listpack-entries" => self.set_max_listpack_entries = size()?,
            "set-max-listpack-value" => self.set_max_listpack_value = size()?,
            "zset-max-listpack-entries" => self.zset_max_listpack_entries = size()?,
            "zset-max-listpack-value" => self.zset_max_listpack_value = size()?,
            "stream-node-max-bytes" => self.stream_node_max_bytes = size()?,
            "stream-node-max-entries" => self.stream_node_max_entries = size()?,
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes = size()?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub(super) fn get(&self, name: &str) -> Option<String> {
        let name = name.replace("ziplist", "listpack");
        Some(match name.as_str() {
            "list-max-listpack-size" => self.list_max_listpack_size.to_string(),
            "list-compress-depth" => self.list_compress_depth.to_string(),
            "hash-max-listpack-entries" => self.hash_max_listpack_entries.to_string(),
            "hash-max-listpack-value" => self.hash_max_listpack_value.to_string(),
            "set-max-intset-entries" => self.set_max_intset_entries.to_string(),
            "set-max-listpack-entries" => self.set_max_listpack_entries.to_string(),
            "set-max-listpack-value" => self.set_max_listpack_value.to_string(),
            "zset-max-listpack-entries" => self.zset_max_listpack_entries.to_string(),
            "zset-max-listpack-value" => self.zset_max_listpack_value.to_string(),
            "stream-node-max-bytes" => self.stream_node_max_bytes.to_string(),
            "stream-node-max-entries" => self.stream_node_max_entries.to_string(),
            "hll-sparse-max-bytes" => self.hll_sparse_max_bytes.to_string(),
            _ => return None,
        })
    }
}
