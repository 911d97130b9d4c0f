//! How much trouble a service is in, for sorting the fleet table and colouring rows.

use foldhash::HashMap;

use crate::model::{Alarm, AlarmState, DeploymentState, Service};

/// CPU at or above this is saturated (seed 001 scenario 1).
pub const CPU_SATURATED: f64 = 85.0;
pub const CPU_WARN: f64 = 70.0;
/// P95 above this breaches the SLA (seed 001: 3 s).
pub const P95_BREACH_MS: f64 = 3000.0;
pub const P95_WARN_MS: f64 = 1000.0;
pub const MEM_SATURATED: f64 = 90.0;
pub const MEM_WARN: f64 = 75.0;
/// The cache memory alarms of the seeds: warning at 75 %, critical at 85 %.
pub const MARK_WARN: f64 = 75.0;
pub const MARK_ALERT: f64 = 85.0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    #[default]
    Ok,
    Warn,
    Alert,
}

/// A score (higher is worse) and the worst severity among the reasons.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trouble {
    pub score: u32,
    pub severity: Severity,
}

impl Trouble {
    fn add(&mut self, score: u32, severity: Severity) {
        self.score += score;
        self.severity = self.severity.max(severity);
    }
}

/// How many alarms in ALARM watch each subject (a service's name or
/// `cluster/service`, or a cache): built once per snapshot, so assessing every
/// service of a large fleet does not scan every alarm for each.
#[derive(Debug, Default)]
pub struct Firing<'a>(HashMap<&'a str, u32>);

impl<'a> Firing<'a> {
    pub fn of(alarms: &'a [Alarm]) -> Self {
        let mut firing = HashMap::default();
        for a in alarms.iter().filter(|a| a.state == AlarmState::Alarm) {
            if let Some(subject) = a.subject.as_deref() {
                *firing.entry(subject).or_insert(0) += 1;
            }
        }
        Self(firing)
    }

    /// Alarms in ALARM on this service, by its name or `cluster/service`.
    pub fn on(&self, s: &Service) -> u32 {
        if self.0.is_empty() {
            return 0;
        }
        let by_name = self.0.get(s.key.service.as_str()).copied().unwrap_or(0);
        let full = self.0.get(s.key.to_string().as_str()).copied().unwrap_or(0);
        by_name + full
    }
}

/// True when the service runs (or wants to run) at its scaling maximum.
pub fn pinned_at_max(s: &Service) -> bool {
    s.bounds()
        .is_some_and(|(_, max)| max > 0 && s.desired.max(s.running) >= max)
}

pub fn assess(s: &Service, firing: &Firing<'_>) -> Trouble {
    let mut t = Trouble::default();
    let m = &s.metrics;
    if let Some(cpu) = m.cpu_pct {
        if cpu >= CPU_SATURATED {
            t.add(100 + (cpu - CPU_SATURATED) as u32, Severity::Alert);
        } else if cpu >= CPU_WARN {
            t.add(20, Severity::Warn);
        }
    }
    if let Some(p95) = m.p95_ms {
        if p95 > P95_BREACH_MS {
            t.add(80, Severity::Alert);
        } else if p95 > P95_WARN_MS {
            t.add(15, Severity::Warn);
        }
    }
    if let Some(mem) = m.memory_pct {
        if mem >= MEM_SATURATED {
            t.add(60, Severity::Alert);
        } else if mem >= MEM_WARN {
            t.add(10, Severity::Warn);
        }
    }
    match s.deployment {
        DeploymentState::Failed { .. } => t.add(90, Severity::Alert),
        DeploymentState::InProgress { .. } => t.add(5, Severity::Ok),
        DeploymentState::Stable => {}
    }
    if pinned_at_max(s) {
        t.add(60, Severity::Warn);
    }
    let alarms = firing.on(s);
    if alarms > 0 {
        t.add(70 * alarms, Severity::Alert);
    }
    if s.running < s.desired {
        let short = f64::from(s.desired - s.running) / f64::from(s.desired);
        t.add(
            (40.0 * short) as u32 + 1,
            if short > 0.2 {
                Severity::Warn
            } else {
                Severity::Ok
            },
        );
    }
    t
}
