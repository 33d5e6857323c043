//! The latency monitor (Redis's latency.c): for each event class (`command`,
//! `fast-command`, `expire-cycle`, `fork`, `aof-fsync-always`, ...), the worst latency
//! of each second over the last [`SAMPLES`] seconds with one, when it reached
//! `latency-monitor-threshold` milliseconds.

use std::collections::BTreeMap;

/// Samples kept per event (Redis's LATENCY_TS_LEN).
pub const SAMPLES: usize = 160;

/// One sample: the worst latency in milliseconds seen in second `time`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// Unix seconds (0: unused slot).
    pub time: i64,
    /// Milliseconds.
    pub latency: u64,
}

/// The samples of one event, a ring.
#[derive(Debug, Clone)]
pub struct Series {
    /// The ring of samples.
    pub samples: [Sample; SAMPLES],
    /// Next slot to write.
    pub idx: usize,
    /// Worst latency ever seen (ms).
    pub max: u64,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            samples: [Sample::default(); SAMPLES],
            idx: 0,
            max: 0,
        }
    }
}

impl Series {
    /// The samples in the ring, oldest first.
    pub fn history(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..SAMPLES)
            .map(move |j| self.samples[(self.idx + j) % SAMPLES])
            .filter(|s| s.time != 0)
    }

    /// The newest sample.
    pub fn latest(&self) -> Sample {
        self.samples[(self.idx + SAMPLES - 1) % SAMPLES]
    }
}

/// Every event's samples, by event name.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    /// Series by event name.
    pub events: BTreeMap<&'static str, Series>,
}

impl LatencyMonitor {
    /// Records `latency_ms` for `event` at Unix second `now`: one sample per second,
    /// the worst (Redis's `latencyAddSample`).
    pub fn add(&mut self, event: &'static str, latency_ms: u64, now: i64) {
        let ts = self.events.entry(event).or_default();
        ts.max = ts.max.max(latency_ms);
        let prev = (ts.idx + SAMPLES - 1) % SAMPLES;
        if ts.samples[prev].time == now {
            ts.samples[prev].latency = ts.samples[prev].latency.max(latency_ms);
            return;
        }
        ts.samples[ts.idx] = Sample {
            time: now,
            latency: latency_ms,
        };
        ts.idx = (ts.idx + 1) % SAMPLES;
    }

    /// Forgets `event` (any case), or every event for `None`; returns how many.
    pub fn reset(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(name) => self
                .events
                .retain(|e, _| !e.as_bytes().eq_ignore_ascii_case(name)),
        }
        before - self.events.len()
    }

    /// The series of `event` (exact name, as Redis's dictionary lookup).
    pub fn get(&self, event: &[u8]) -> Option<(&'static str, &Series)> {
        self.events
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(e, s)| (*e, s))
    }
}

/// Interpretation of one event's samples for LATENCY DOCTOR (Redis's `analyzeLatencyForEvent`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Analysis {
    /// Samples.
    pub samples: u64,
    /// Mean latency (ms).
    pub avg: u64,
    /// Mean absolute deviation from the mean (ms).
    pub mad: u64,
    /// Seconds between the first and the last sample, divided by the samples.
    pub period: u64,
    /// Worst ever (ms).
    pub all_time_high: u64,
}

/// Redis's `analyzeLatencyForEvent`.
pub fn analyze(series: &Series, now: i64) -> Analysis {
    let samples: Vec<Sample> = series.history().collect();
    let n = samples.len() as u64;
    if n == 0 {
        return Analysis::default();
    }
    let sum: u64 = samples.iter().map(|s| s.latency).sum();
    let avg = sum / n;
    let mad = samples.iter().map(|s| s.latency.abs_diff(avg)).sum::<u64>() / n;
    let oldest = samples.iter().map(|s| s.time).min().unwrap_or(now);
    let period = ((now - oldest).max(0) as u64) / n;
    Analysis {
        samples: n,
        avg,
        mad,
        period,
        all_time_high: series.max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_the_worst() {
        let mut m = LatencyMonitor::default();
        m.add("command", 300, 100);
        m.add("command", 500, 100);
        m.add("command", 200, 101);
        let s = &m.events["command"];
        let h: Vec<Sample> = s.history().collect();
        assert_eq!(
            h,
            [
                Sample {
                    time: 100,
                    latency: 500
                },
                Sample {
                    time: 101,
                    latency: 200
                }
            ]
        );
        assert_eq!(s.max, 500);
        assert_eq!(s.latest().latency, 200);
        for t in 0..200 {
            m.add("command", 1, 1000 + t);
        }
        assert_eq!(m.events["command"].history().count(), SAMPLES);
        assert_eq!(m.reset(Some(b"COMMAND")), 1);
        assert_eq!(m.reset(None), 0);
    }
}
