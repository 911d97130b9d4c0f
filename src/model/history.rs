//! Bounded time series kept beside the snapshots, for sparklines and for
//! runbook conditions over a window ("sustained for 15 min").
//!
//! One ring per series: an hour of samples at least `SPACING_S` apart, plus
//! the newest. A snapshot carries only the latest values, so the history is
//! the one place that remembers. At 2,000 services that is 16,000 series, so
//! a point is 8 bytes (seconds and an `f32`) and the spacing bounds their
//! number whatever the refresh rate.

use std::collections::VecDeque;

use foldhash::HashMap;

use chrono::{DateTime, Utc};

use super::{FleetSnapshot, ServiceKey};

/// Seconds between the samples a series keeps (the newest is always kept).
pub const SPACING_S: i64 = 15;
/// How far back a series reaches.
pub const WINDOW_S: i64 = 3600;
/// Samples kept: an hour at `SPACING_S`, and the newest.
pub const CAPACITY: usize = (WINDOW_S / SPACING_S) as usize + 1;

/// A fixed-capacity FIFO of timestamped values.
#[derive(Clone, Debug)]
pub struct Ring {
    cap: usize,
    /// Unix seconds (good until 2106) and the value.
    points: VecDeque<(u32, f32)>,
}

impl Ring {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            points: VecDeque::with_capacity(cap.min(16)),
        }
    }

    pub fn push(&mut self, t: i64, v: f64) {
        if self.points.len() == self.cap {
            self.points.pop_front();
        }
        self.points.push_back(point(t, v));
    }

    /// Replace the newest point.
    fn replace_last(&mut self, t: i64, v: f64) {
        if let Some(last) = self.points.back_mut() {
            *last = point(t, v);
        }
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn last(&self) -> Option<(i64, f64)> {
        self.points.back().copied().map(widen)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + '_ {
        self.points.iter().copied().map(widen)
    }

    /// The newest `n` values, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = f64> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .map(|p| f64::from(p.1))
    }

    /// Points with a timestamp at or after `since` (unix seconds).
    pub fn since(&self, since: i64) -> impl Iterator<Item = (i64, f64)> + '_ {
        let start = self.points.partition_point(|p| i64::from(p.0) < since);
        self.points.range(start..).copied().map(widen)
    }
}

fn point(t: i64, v: f64) -> (u32, f32) {
    (u32::try_from(t.max(0)).unwrap_or(u32::MAX), v as f32)
}

fn widen((t, v): (u32, f32)) -> (i64, f64) {
    (i64::from(t), f64::from(v))
}

/// One metric's history.
#[derive(Clone, Debug)]
pub struct Series {
    pub fine: Ring,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            fine: Ring::new(CAPACITY),
        }
    }
}

impl Series {
    pub fn record(&mut self, t: i64, v: f64) {
        let (last, before) = {
            let mut newest = self.fine.iter().rev().map(|p| p.0);
            (newest.next(), newest.next())
        };
        match (last, before) {
            // Same snapshot seen twice, or time went backwards.
            (Some(last), _) if last >= t => {}
            // The newest point stands in for its spacing slot until the slot is full.
            (Some(last), Some(before)) if last - before < SPACING_S => self.fine.replace_last(t, v),
            _ => self.fine.push(t, v),
        }
    }

    /// Older points in front (those not older than the first one held are
    /// dropped), keeping the ring's capacity (the newest stay).
    fn prepend(&mut self, points: &[(i64, f64)]) {
        let first = self.fine.points.front().map(|p| i64::from(p.0));
        let mut all: VecDeque<(u32, f32)> = points
            .iter()
            .filter(|(t, _)| first.is_none_or(|f| *t < f))
            .map(|&(t, v)| point(t, v))
            .collect();
        all.extend(self.fine.points.drain(..));
        while all.len() > self.fine.cap {
            all.pop_front();
        }
        self.fine.points = all;
    }

    pub fn latest(&self) -> Option<f64> {
        self.fine.last().map(|p| p.1)
    }

    /// True when every sample since `since` satisfies `pred` and the samples
    /// reach back to within one spacing of `since` (a condition cannot be
    /// "sustained for 15 min" on 2 minutes of data).
    pub fn sustained(&self, since: i64, pred: impl Fn(f64) -> bool) -> bool {
        let mut points = self.fine.since(since).peekable();
        let Some(&(first, _)) = points.peek() else {
            return false;
        };
        first - since <= self.step_seconds() && points.all(|(_, v)| pred(v))
    }

    /// Spacing of the newest samples: `SPACING_S`, or wider when the data
    /// comes slower (AWS metrics every minute). The newest point may sit
    /// closer than the spacing, so the two newest gaps are read.
    pub fn step_seconds(&self) -> i64 {
        let times: Vec<i64> = self.fine.iter().rev().take(3).map(|p| p.0).collect();
        times
            .windows(2)
            .map(|w| w[0] - w[1])
            .max()
            .unwrap_or(SPACING_S)
            .max(SPACING_S)
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
    /// A declared metric's value (its subject names it).
    Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Service(ServiceKey),
    Cache(String),
    /// A metric a runbook declares, by its name.
    Declared(String),
}

/// All series of a fleet, fed one snapshot at a time.
/// Points from before the first snapshot, to fill the rings at open: the
/// hour CloudWatch still holds, or the simulator's hour before its start.
/// Each series' points are oldest first and older than any it has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Backfill {
    pub series: Vec<(Subject, Metric, Points)>,
}

/// A series' points: unix seconds and the value, oldest first.
pub type Points = Vec<(i64, f64)>;

/// A subject's series, one slot per metric: one lookup per service and
/// snapshot, not one per series (2,000 services record 16,000 figures a snapshot).
#[derive(Clone, Debug, Default)]
struct Slots([Option<Series>; METRIC_COUNT]);

const METRIC_COUNT: usize = Metric::Value as usize + 1;

impl Slots {
    fn record(&mut self, t: i64, values: &[(Metric, Option<f64>)]) {
        for &(metric, value) in values {
            if let Some(v) = value {
                self.0[metric as usize]
                    .get_or_insert_with(Series::default)
                    .record(t, v);
            }
        }
    }

    fn get(&self, metric: Metric) -> Option<&Series> {
        self.0[metric as usize].as_ref()
    }

    fn get_mut(&mut self, metric: Metric) -> &mut Series {
        self.0[metric as usize].get_or_insert_with(Series::default)
    }
}

#[derive(Clone, Debug, Default)]
pub struct FleetHistory {
    services: HashMap<ServiceKey, Slots>,
    caches: HashMap<String, Slots>,
    declared: HashMap<String, Slots>,
    last_recorded: Option<DateTime<Utc>>,
}

/// Work on the subject's slots, inserted on first sight (the key is cloned
/// only then): one lookup for a subject seen before, which is every service
/// of every snapshot but the first. A closure, not a returned borrow: the
/// borrow checker cannot return `get_mut`'s answer and insert otherwise.
fn with_slots<K, Q>(map: &mut HashMap<K, Slots>, key: &Q, work: impl FnOnce(&mut Slots))
where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: ToOwned<Owned = K> + std::hash::Hash + Eq + ?Sized,
{
    if let Some(slots) = map.get_mut(key) {
        work(slots);
        return;
    }
    let mut slots = Slots::default();
    work(&mut slots);
    map.insert(key.to_owned(), slots);
}

impl FleetHistory {
    pub fn record(&mut self, snap: &FleetSnapshot) {
        if self.last_recorded.is_some_and(|t| t >= snap.taken_at) {
            return;
        }
        self.last_recorded = Some(snap.taken_at);
        if let Some(b) = &snap.backfill {
            self.backfill(b);
        }
        let t = snap.taken_at.timestamp();
        for s in &snap.services {
            let m = &s.metrics;
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
            with_slots(&mut self.services, &s.key, |slots| slots.record(t, &values));
        }
        for c in &snap.caches {
            let values = [
                (Metric::CacheMemory, c.memory_pct),
                (Metric::Evictions, c.evictions_per_min),
            ];
            with_slots(&mut self.caches, c.id.as_str(), |slots| {
                slots.record(t, &values)
            });
        }
        for d in &snap.declared {
            with_slots(&mut self.declared, d.name.as_str(), |slots| {
                slots.record(t, &[(Metric::Value, d.value)])
            });
        }
    }

    /// Put points from before what the series hold in front of them.
    pub fn backfill(&mut self, b: &Backfill) {
        for (subject, metric, points) in &b.series {
            let prepend = |slots: &mut Slots| slots.get_mut(*metric).prepend(points);
            match subject {
                Subject::Service(key) => with_slots(&mut self.services, key, prepend),
                Subject::Cache(id) => with_slots(&mut self.caches, id.as_str(), prepend),
                Subject::Declared(name) => with_slots(&mut self.declared, name.as_str(), prepend),
            }
        }
    }

    pub fn get(&self, subject: &Subject, metric: Metric) -> Option<&Series> {
        let slots = match subject {
            Subject::Service(key) => self.services.get(key),
            Subject::Cache(id) => self.caches.get(id),
            Subject::Declared(name) => self.declared.get(name),
        };
        slots.and_then(|s| s.get(metric))
    }

    pub fn service(&self, key: &ServiceKey, metric: Metric) -> Option<&Series> {
        self.services.get(key).and_then(|s| s.get(metric))
    }

    pub fn cache(&self, id: &str, metric: Metric) -> Option<&Series> {
        self.caches.get(id).and_then(|s| s.get(metric))
    }

    /// A declared metric's series, by its name.
    pub fn declared(&self, name: &str) -> Option<&Series> {
        self.declared.get(name).and_then(|s| s.get(Metric::Value))
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
    fn samples_are_kept_a_spacing_apart_and_the_newest_always() {
        let mut s = Series::default();
        for i in 0..=8 {
            s.record(1000 + i * 5, i as f64);
        }
        let times: Vec<i64> = s.fine.iter().map(|p| p.0).collect();
        assert_eq!(times, [1000, 1015, 1030, 1040]);
        assert_eq!(s.latest(), Some(8.0));
        assert_eq!(s.step_seconds(), 15);
    }

    #[test]
    fn an_hour_fits_in_a_few_kilobytes() {
        let mut s = Series::default();
        for i in 0..(24 * 60 * 12) {
            s.record(i * 5, 1.0);
        }
        assert_eq!(s.fine.len(), CAPACITY);
        let first = s.fine.iter().next().unwrap().0;
        let last = s.fine.last().unwrap().0;
        assert!(last - first <= WINDOW_S, "{}", last - first);
        assert!(std::mem::size_of::<(u32, f32)>() * CAPACITY < 2_100);
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
