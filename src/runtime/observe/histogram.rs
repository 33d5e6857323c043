//! Latency histograms cheap enough to keep for every command by default: a
//! log-linear layout (each power of two split in [`SUB`] linear buckets, so a value
//! is placed within 1/[`SUB`] of itself) with the bucket found by a leading-zero
//! count and one shift; no allocation after the first sample.

/// Linear buckets per power of two (precision 12.5%).
pub const SUB_BITS: u32 = 3;
/// [`SUB_BITS`] as a count.
pub const SUB: usize = 1 << SUB_BITS;
/// Number of buckets: a power of two, so that an index needs no bounds check, and
/// enough for every `u64` (the highest, bit 63, lands in bucket 495).
pub const BUCKETS: usize = 512;

/// Counts of values by bucket.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
        }
    }
}

/// The bucket of `v`: values below [`SUB`] have their own; above, the position of
/// the highest bit picks the group and the next [`SUB_BITS`] bits the bucket.
#[inline(always)]
pub fn bucket(v: u64) -> usize {
    let high = 63 - (v | 1).leading_zeros();
    if high < SUB_BITS {
        return v as usize;
    }
    let shift = high - SUB_BITS;
    ((shift as usize + 1) << SUB_BITS) + ((v >> shift) as usize & (SUB - 1))
}

/// The highest value that falls into bucket `b`.
pub fn bucket_high(b: usize) -> u64 {
    if b < SUB {
        return b as u64;
    }
    let shift = (b >> SUB_BITS) as u32 - 1;
    let base = (SUB + (b & (SUB - 1))) as u128;
    (((base + 1) << shift) - 1).min(u64::MAX as u128) as u64
}

impl Histogram {
    /// Counts one value.
    #[inline(always)]
    pub fn record(&mut self, v: u64) {
        self.counts[bucket(v) & (BUCKETS - 1)] += 1;
    }

    /// Number of values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The value below which `p` percent of the values lie (the high end of the bucket
    /// holding that rank, as HdrHistogram's `value_at_percentile`).
    pub fn percentile(&self, p: f64) -> u64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let rank = ((p.clamp(0.0, 100.0) / 100.0) * total as f64)
            .ceil()
            .max(1.0) as u64;
        let mut seen = 0;
        for (b, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_high(b);
            }
        }
        bucket_high(BUCKETS - 1)
    }

    /// Cumulative counts at power-of-two bounds from 1024 ns, as Redis's LATENCY
    /// HISTOGRAM (`hdr_iter_log_init(.., 1024, 2)`): `(bound in µs, count of values
    /// <= bound)` for each bound where the count grew.
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let total = self.total();
        let (mut b, mut seen, mut previous) = (0, 0, 0);
        let mut bound: u64 = 1024;
        while seen < total && b < BUCKETS {
            while b < BUCKETS && bucket_high(b) < bound {
                seen += self.counts[b];
                b += 1;
            }
            if b == BUCKETS {
                seen = total;
            }
            if seen > previous {
                out.push((bound / 1000, seen));
                previous = seen;
            }
            bound = bound.saturating_mul(2);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_tight() {
        let mut last = 0;
        for v in [
            0u64,
            1,
            7,
            8,
            9,
            15,
            16,
            17,
            100,
            1000,
            123_456,
            1 << 39,
            u64::MAX,
        ] {
            let b = bucket(v);
            assert!(b >= last, "{v}");
            assert!(b < BUCKETS);
            last = b;
            if v < 1 << 62 {
                assert!(bucket_high(b) >= v, "{v} in {b} high {}", bucket_high(b));
                assert!(bucket_high(b) - v <= v / SUB as u64 + 1, "{v}");
            }
        }
        for b in 1..=bucket(u64::MAX) {
            assert_eq!(bucket(bucket_high(b)), b);
            assert_eq!(bucket(bucket_high(b - 1) + 1), b);
        }
    }

    #[test]
    fn percentiles_and_cumulative() {
        let mut h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.percentile(50.0);
        assert!((500_000..=570_000).contains(&p50), "{p50}");
        let p99 = h.percentile(99.0);
        assert!((990_000..=1_130_000).contains(&p99), "{p99}");
        let cdf = h.cumulative_usec();
        assert_eq!(cdf.last().map(|c| c.1), Some(1000));
        assert!(cdf.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
        assert_eq!(cdf[0], (1, 1), "1000 ns is below 1024 ns");
        assert_eq!(cdf[1], (2, 2));
    }
}
