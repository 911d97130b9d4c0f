//! How much trouble a service is in, for sorting the fleet table and colouring rows.

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

/// Alarms in ALARM that watch this service (by name or `cluster/service`).
pub fn alarms_for<'a>(s: &'a Service, alarms: &'a [Alarm]) -> impl Iterator<Item = &'a Alarm> {
    let full = s.key.to_string();
    alarms.iter().filter(move |a| {
        a.state == AlarmState::Alarm
            && a.subject
                .as_deref()
                .is_some_and(|sub| sub == s.key.service || sub == full)
    })
}

/// True when the service runs (or wants to run) at its scaling maximum.
pub fn pinned_at_max(s: &Service) -> bool {
    s.bounds()
        .is_some_and(|(_, max)| max > 0 && s.desired.max(s.running) >= max)
}

pub fn assess(s: &Service, alarms: &[Alarm]) -> Trouble {
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
    let alarms = alarms_for(s, alarms).count() as u32;
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
