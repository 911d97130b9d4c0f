//! CloudWatch-like alarms derived from the simulated metrics: a threshold that
//! must hold for a period before the alarm goes to ALARM.

use chrono::{DateTime, Utc};

use super::state::{CacheState, SvcState};
use crate::model::{Alarm, AlarmState};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Watch {
    Cpu,
    P95,
    Errors,
    CacheWarn,
    CacheCritical,
    CacheWrites,
}

impl Watch {
    /// (suffix, threshold, seconds it must hold, description)
    fn rule(self) -> (&'static str, f64, i64, &'static str) {
        match self {
            Watch::Cpu => ("cpu-high", 85.0, 120, "CPUUtilization > 85 % for 2 min"),
            Watch::P95 => ("p95-high", 3000.0, 60, "P95 latency > 3000 ms for 1 min"),
            Watch::Errors => ("5xx-rate", 1.0, 60, "5xx rate > 1 % for 1 min"),
            Watch::CacheWarn => (
                "memory-warn",
                75.0,
                600,
                "DatabaseMemoryUsagePercentage > 75 % for 10 min",
            ),
            Watch::CacheCritical => (
                "memory-critical",
                85.0,
                300,
                "DatabaseMemoryUsagePercentage > 85 % for 5 min",
            ),
            Watch::CacheWrites => ("oom-writes", 0.5, 60, "write commands failing with OOM"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AlarmTracker {
    watch: Watch,
    /// Index of the service or cache in the simulator's list.
    index: usize,
    subject: String,
    /// The alarm's name and state reason, as CloudWatch keeps them: the reason
    /// is written at a transition (with the value that caused it), not at
    /// every evaluation, so a snapshot only copies them.
    name: String,
    reason: String,
    breach_since: Option<i64>,
    state: AlarmState,
    updated_at: DateTime<Utc>,
}

/// The alarms of every service and cache, in that order.
pub fn trackers(
    services: &[SvcState],
    caches: &[CacheState],
    at: DateTime<Utc>,
) -> Vec<AlarmTracker> {
    let mut all = Vec::new();
    for (index, svc) in services.iter().enumerate() {
        for watch in [Watch::Cpu, Watch::P95, Watch::Errors] {
            all.push(tracker(watch, index, &svc.spec.key.service, at));
        }
    }
    for (index, cache) in caches.iter().enumerate() {
        for watch in [Watch::CacheWarn, Watch::CacheCritical, Watch::CacheWrites] {
            all.push(tracker(watch, index, &cache.spec.id, at));
        }
    }
    all
}

fn tracker(watch: Watch, index: usize, subject: &str, at: DateTime<Utc>) -> AlarmTracker {
    let (suffix, _, _, rule) = watch.rule();
    AlarmTracker {
        watch,
        index,
        subject: subject.to_string(),
        name: format!("{subject}-{suffix}"),
        reason: reason(AlarmState::InsufficientData, None, rule),
        breach_since: None,
        state: AlarmState::InsufficientData,
        updated_at: at,
    }
}

fn reason(state: AlarmState, value: Option<f64>, rule: &str) -> String {
    match (state, value) {
        (AlarmState::Alarm, Some(v)) => format!("Threshold crossed: {rule} (value {v:.1})"),
        (AlarmState::Ok, Some(v)) => format!("OK: {rule} not met (value {v:.1})"),
        _ => format!("Insufficient data for {rule}"),
    }
}

impl AlarmTracker {
    fn value(&self, services: &[SvcState], caches: &[CacheState]) -> Option<f64> {
        match self.watch {
            Watch::Cpu | Watch::P95 | Watch::Errors => {
                let m = &services.get(self.index)?.metrics;
                match self.watch {
                    Watch::Cpu => m.cpu_pct,
                    Watch::P95 => m.p95_ms,
                    _ => m.error_rate_pct,
                }
            }
            _ => {
                let c = caches.get(self.index)?;
                Some(match self.watch {
                    Watch::CacheWrites => f64::from(u8::from(c.writes_failing)),
                    _ => c.shown_memory_pct(),
                })
            }
        }
    }

    /// Re-evaluate. On the first evaluation a breach counts as already sustained:
    /// a scenario starts in the middle of its story.
    pub fn evaluate(&mut self, t: i64, at: DateTime<Utc>, value: Option<f64>) {
        let (_, threshold, hold, rule) = self.watch.rule();
        let first = self.state == AlarmState::InsufficientData;
        let new_state = match value {
            None => AlarmState::InsufficientData,
            Some(v) if v > threshold => {
                let since = *self
                    .breach_since
                    .get_or_insert(if first { t - hold } else { t });
                if t - since >= hold {
                    AlarmState::Alarm
                } else {
                    self.state
                }
            }
            Some(_) => {
                self.breach_since = None;
                AlarmState::Ok
            }
        };
        if new_state != self.state {
            self.state = new_state;
            self.updated_at = at;
            self.reason = reason(new_state, value, rule);
        }
    }

    pub fn to_alarm(&self) -> Alarm {
        Alarm {
            name: self.name.clone(),
            state: self.state,
            reason: self.reason.clone(),
            updated_at: self.updated_at,
            subject: Some(self.subject.clone()),
        }
    }
}

pub fn evaluate_all(
    trackers: &mut [AlarmTracker],
    services: &[SvcState],
    caches: &[CacheState],
    t: i64,
    at: DateTime<Utc>,
) {
    for tracker in trackers {
        let value = tracker.value(services, caches);
        tracker.evaluate(t, at, value);
    }
}
