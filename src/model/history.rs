//! Bounded time series kept beside the snapshots, for sparklines and for
//! runbook conditions over a window ("sustained for 15 min").
//!
//! Two rings per series: every sample for the last hour or so, and one-minute
//! averages for a day. A snapshot carries only the latest values, so the
//! history is the one place that remembers.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use super::{FleetSnapshot, ServiceKey};

/// Samples kept at full resolution (1 h at 5 s steps).
pub const FINE_CAPACITY: usize = 720;
/// One-minute averages kept (24 h).
pub const COARSE_CAPACITY: usize = 1440;

/// A fixed-capacity FIFO of timestamped values.
#[derive(Clone, Debug)]
pub struct Ring {
    cap: usize,
    points: VecDeque<(i64, f64)>,
}

impl Ring {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            points: VecDeque::with_capacity(cap.min(64)),
        }
    }

    pub fn push(&mut self, t: i64, v: f64) {
        if self.points.len() == self.cap {
            self.points.pop_front();
        }
        self.points.push_back((t, v));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn last(&self) -> Option<(i64, f64)> {
        self.points.back().copied()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        self.points.iter().copied()
    }

    /// The newest `n` values, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = f64> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .map(|p| p.1)
    }

    /// Points with a timestamp at or after `since` (unix seconds).
    pub fn since(&self, since: i64) -> impl Iterator<Item = (i64, f64)> + '_ {
        let start = self.points.partition_point(|p| p.0 < since);
        self.points.range(start..).copied()
    }
}

/// One metric's history: raw samples plus per-minute averages.
#[derive(Clone, Debug)]
pub struct Series {
    pub fine: Ring,
    pub coarse: Ring,
    minute: Option<(i64, f64, u32)>,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            fine: Ring::new(FINE_CAPACITY),
            coarse: Ring::new(COARSE_CAPACITY),
            minute: None,
        }
    }
}

impl Series {
    pub fn record(&mut self, t: i64, v: f64) {
        if self.fine.last().is_some_and(|(last, _)| last >= t) {
            return; // same snapshot seen twice, or time went backwards
        }
        self.fine.push(t, v);
        let bucket = t.div_euclid(60) * 60;
        match &mut self.minute {
            Some((b, sum, n)) if *b == bucket => {
                *sum += v;
                *n += 1;
            }
            Some((b, sum, n)) => {
                self.coarse.push(*b, *sum / f64::from(*n));
                self.minute = Some((bucket, v, 1));
            }
            None => self.minute = Some((bucket, v, 1)),
        }
    }

    pub fn latest(&self) -> Option<f64> {
        self.fine.last().map(|p| p.1)
    }

    /// True when every sample since `since` satisfies `pred` and the samples
    /// reach back to within one step of `since` (a condition cannot be
    /// "sustained for 15 min" on 2 minutes of data).
    pub fn sustained(&self, since: i64, pred: impl Fn(f64) -> bool) -> bool {
        let mut points = self.fine.since(since).peekable();
        let Some(&(first, _)) = points.peek() else {
            return false;
        };
        let step = self.step_seconds().unwrap_or(60);
        first - since <= step && points.all(|(_, v)| pred(v))
    }

    /// Typical spacing of samples, from the newest two.
    pub fn step_seconds(&self) -> Option<i64> {
        let mut it = self.fine.iter().rev();
        let (a, _) = it.next()?;
        let (b, _) = it.next()?;
        Some(a - b)
    }
}

/// Which metric of a service or cache a series holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    Cpu,
    Memory,
    P95,
    ErrorRate,
    Requests,
    Running,
    Desired,
    SpotShare,
    CacheMemory,
    Evictions,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Service(ServiceKey),
    Cache(String),
}

/// All series of a fleet, fed one snapshot at a time.
#[derive(Clone, Debug, Default)]
pub struct FleetHistory {
    series: HashMap<(Subject, Metric), Series>,
    last_recorded: Option<DateTime<Utc>>,
}

impl FleetHistory {
    pub fn record(&mut self, snap: &FleetSnapshot) {
        if self.last_recorded.is_some_and(|t| t >= snap.taken_at) {
            return;
        }
        self.last_recorded = Some(snap.taken_at);
        let t = snap.taken_at.timestamp();
        for s in &snap.services {
            let m = &s.metrics;
            let subject = Subject::Service(s.key.clone());
            let values = [
                (Metric::Cpu, m.cpu_pct),
                (Metric::Memory, m.memory_pct),
                (Metric::P95, m.p95_ms),
                (Metric::ErrorRate, m.error_rate_pct),
                (Metric::Requests, m.requests_per_min),
                (Metric::Running, Some(f64::from(s.running))),
                (Metric::Desired, Some(f64::from(s.desired))),
                (Metric::SpotShare, Some(s.running_mix.spot_share())),
            ];
            self.record_values(&subject, t, &values);
        }
        for c in &snap.caches {
            let subject = Subject::Cache(c.id.clone());
            let values = [
                (Metric::CacheMemory, c.memory_pct),
                (Metric::Evictions, c.evictions_per_min),
            ];
            self.record_values(&subject, t, &values);
        }
    }

    fn record_values(&mut self, subject: &Subject, t: i64, values: &[(Metric, Option<f64>)]) {
        for &(metric, value) in values {
            if let Some(v) = value {
                self.series
                    .entry((subject.clone(), metric))
                    .or_default()
                    .record(t, v);
            }
        }
    }

    pub fn get(&self, subject: &Subject, metric: Metric) -> Option<&Series> {
        self.series.get(&(subject.clone(), metric))
    }

    pub fn service(&self, key: &ServiceKey, metric: Metric) -> Option<&Series> {
        self.get(&Subject::Service(key.clone()), metric)
    }

    pub fn cache(&self, id: &str, metric: Metric) -> Option<&Series> {
        self.get(&Subject::Cache(id.to_string()), metric)
    }

    pub fn last_recorded(&self) -> Option<DateTime<Utc>> {
        self.last_recorded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_drops_oldest_at_capacity() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i, i as f64);
        }
        assert_eq!(r.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(r.tail(2).collect::<Vec<_>>(), vec![3.0, 4.0]);
        assert_eq!(r.since(3).count(), 2);
    }

    #[test]
    fn day_of_minutes_fits() {
        let mut s = Series::default();
        for i in 0..(24 * 60 * 12 + 10) {
            s.record(i * 5, 1.0);
        }
        assert_eq!(s.fine.len(), FINE_CAPACITY);
        assert_eq!(s.coarse.len(), COARSE_CAPACITY);
    }

    #[test]
    fn coarse_holds_minute_averages() {
        let mut s = Series::default();
        for i in 0..13 {
            s.record(i * 5, if i < 12 { 10.0 } else { 99.0 });
        }
        assert_eq!(s.coarse.last(), Some((0, 10.0)));
    }

    #[test]
    fn sustained_needs_enough_history() {
        let mut s = Series::default();
        for i in 0..=24 {
            s.record(1000 + i * 5, 12.0);
        }
        // 2 minutes of data cannot prove 15 minutes.
        assert!(!s.sustained(1120 - 900, |v| v > 10.0));
        assert!(s.sustained(1120 - 60, |v| v > 10.0));
        assert!(!s.sustained(1120 - 60, |v| v > 20.0));
    }
}
