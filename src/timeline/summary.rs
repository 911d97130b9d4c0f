//! The timeline's summary: first alarm, minutes over the SLA, time to
//! mitigate and the actions taken, from the journal's samples and items.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{Item, same_service};
use crate::journal::{Entry, Figures, Recorded};

/// A sample counts for at most this long (a gap in the recording is not SLA time).
const SAMPLE_WEIGHT_MAX: Duration = Duration::minutes(5);
/// Back within the SLA this long, without a relapse, is mitigated.
pub const VERIFY: Duration = Duration::minutes(5);

/// What a service must stay within.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sla {
    pub p95_ms: f64,
    pub error_rate_pct: f64,
    /// `cluster/service` or `service`; empty: every service.
    pub services: Vec<String>,
}

impl Default for Sla {
    fn default() -> Self {
        Self {
            p95_ms: 2000.0,
            error_rate_pct: 1.0,
            services: Vec::new(),
        }
    }
}

impl Sla {
    fn applies_to(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| same_service(service, s))
    }

    fn breached_by(&self, f: &Figures) -> bool {
        f.p95_ms().is_some_and(|p| f64::from(p) > self.p95_ms)
            || f.error_rate_pct()
                .is_some_and(|e| f64::from(e) > self.error_rate_pct)
    }
}

/// The worst P95 seen among the SLA's services.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Worst {
    pub service: String,
    pub p95_ms: u32,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub sla: Sla,
    pub first_alarm: Option<DateTime<Utc>>,
    /// The first sample with a service over its SLA.
    pub over_sla_from: Option<DateTime<Utc>>,
    /// The incident's start: the first alarm or the first minute over the SLA.
    pub started: Option<DateTime<Utc>>,
    pub first_action: Option<DateTime<Utc>>,
    /// Back within the SLA (and held `VERIFY`), or the alarms back to OK.
    pub mitigated: Option<DateTime<Utc>>,
    pub minutes_to_mitigate: Option<f64>,
    pub minutes_over_sla: f64,
    pub worst: Option<Worst>,
    /// The applied actions and reverts, one line each.
    pub actions: Vec<String>,
    pub samples: usize,
}

impl Summary {
    pub fn of(items: &[Item], samples: &[&Entry], sla: &Sla, only: Option<&str>) -> Summary {
        let counted =
            |name: &str| sla.applies_to(name) && only.is_none_or(|o| same_service(name, o));
        let mut worst: Option<Worst> = None;
        let over: Vec<(DateTime<Utc>, bool)> = samples
            .iter()
            .filter_map(|e| match &e.what {
                Recorded::Sample { services, .. } => Some((e.at, services)),
                _ => None,
            })
            .map(|(at, services)| {
                let mut over = false;
                for (name, f) in services.iter().filter(|(n, _)| counted(n)) {
                    over |= sla.breached_by(f);
                    if let Some(p) = f.p95_ms()
                        && worst.as_ref().is_none_or(|w| p > w.p95_ms)
                    {
                        worst = Some(Worst {
                            service: name.clone(),
                            p95_ms: p,
                            at,
                        });
                    }
                }
                (at, over)
            })
            .collect();
        let minutes_over_sla = over
            .iter()
            .enumerate()
            .filter(|(_, (_, o))| *o)
            .map(|(i, (at, _))| {
                let weight = over
                    .get(i + 1)
                    .map_or(Duration::minutes(1), |(next, _)| *next - *at)
                    .min(SAMPLE_WEIGHT_MAX);
                weight.num_seconds() as f64 / 60.0
            })
            .fold(0.0, |a, b| a + b);
        let over_sla_from = over.iter().find(|(_, o)| *o).map(|(at, _)| *at);
        let first_alarm = items.iter().find(|i| i.fired()).map(|i| i.at);
        // The incident starts with an alarm on a service the SLA is about (or
        // naming none), not with one that was firing elsewhere all along.
        let sla_alarm = items
            .iter()
            .filter(|i| i.service.as_deref().is_none_or(counted))
            .find(|i| i.fired())
            .map(|i| i.at);
        let started = [sla_alarm, over_sla_from].into_iter().flatten().min();
        let mitigated = match over_sla_from {
            Some(_) => held_within(&over),
            None => started.and_then(|s| alarms_clear(items, s)),
        };
        let actions: Vec<&Item> = items
            .iter()
            .filter(|i| matches!(i.kind, "action" | "revert"))
            .collect();
        Summary {
            sla: sla.clone(),
            first_alarm,
            over_sla_from,
            started,
            first_action: actions.first().map(|i| i.at),
            mitigated,
            minutes_to_mitigate: started
                .zip(mitigated)
                .map(|(s, m)| (m - s).num_seconds() as f64 / 60.0),
            minutes_over_sla,
            worst,
            actions: actions.iter().map(|i| i.text.clone()).collect(),
            samples: over.len(),
        }
    }
}

/// The start of the last run of samples within the SLA that follows a breach
/// and lasts `VERIFY`; `None` while the fleet is still over, or not back long enough.
fn held_within(over: &[(DateTime<Utc>, bool)]) -> Option<DateTime<Utc>> {
    let last_over = over.iter().rposition(|(_, o)| *o)?;
    let back = over.get(last_over + 1)?.0;
    let end = over.last()?.0;
    (end - back >= VERIFY).then_some(back)
}

/// When no alarm is in ALARM any more, after `started`.
fn alarms_clear(items: &[Item], started: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut firing = std::collections::BTreeSet::new();
    let mut cleared = None;
    for i in items.iter().filter(|i| i.kind == "alarm") {
        let name = i
            .detail
            .get("alarm")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if i.fired() {
            firing.insert(name.to_string());
            cleared = None;
        } else if firing.remove(name) && firing.is_empty() && i.at >= started {
            cleared = Some(i.at);
        }
    }
    cleared
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn sample(min: i64, p95: u32) -> Entry {
        let mut services = BTreeMap::new();
        services.insert(
            "manga/orchestrator".to_string(),
            Figures(10, 10, Some(50), Some(p95), None),
        );
        services.insert(
            "manga/worker".to_string(),
            Figures(5, 5, Some(20), Some(100), None),
        );
        Entry::new(
            DateTime::UNIX_EPOCH + Duration::minutes(min),
            Recorded::Sample {
                services,
                caches: BTreeMap::new(),
            },
        )
    }

    #[test]
    fn minutes_over_the_sla_and_time_to_mitigate_come_from_the_samples() {
        let p95 = [800, 2500, 3100, 2900, 1500, 1200, 1100, 1000, 900, 900, 900];
        let entries: Vec<Entry> = p95
            .iter()
            .enumerate()
            .map(|(m, p)| sample(m as i64, *p))
            .collect();
        let refs: Vec<&Entry> = entries.iter().collect();
        let s = Summary::of(&[], &refs, &Sla::default(), None);
        assert_eq!(s.minutes_over_sla, 3.0);
        assert_eq!(
            s.over_sla_from,
            Some(DateTime::UNIX_EPOCH + Duration::minutes(1))
        );
        assert_eq!(
            s.mitigated,
            Some(DateTime::UNIX_EPOCH + Duration::minutes(4))
        );
        assert_eq!(s.minutes_to_mitigate, Some(3.0));
        assert_eq!(s.worst.unwrap().p95_ms, 3100);
    }

    #[test]
    fn not_mitigated_until_back_within_for_the_verify_window() {
        let p95 = [2500, 2500, 1000, 1000];
        let entries: Vec<Entry> = p95
            .iter()
            .enumerate()
            .map(|(m, p)| sample(m as i64, *p))
            .collect();
        let refs: Vec<&Entry> = entries.iter().collect();
        let s = Summary::of(&[], &refs, &Sla::default(), None);
        assert_eq!(s.mitigated, None);
        assert_eq!(s.minutes_over_sla, 2.0);
    }

    #[test]
    fn the_sla_counts_only_its_services() {
        let entries = [sample(0, 5000), sample(1, 5000)];
        let refs: Vec<&Entry> = entries.iter().collect();
        let sla = Sla {
            services: vec!["worker".into()],
            ..Sla::default()
        };
        let s = Summary::of(&[], &refs, &sla, None);
        assert_eq!(s.minutes_over_sla, 0.0);
        assert_eq!(s.worst.unwrap().service, "manga/worker");
    }
}
