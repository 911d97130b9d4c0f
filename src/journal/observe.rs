//! What a snapshot brings that the journal does not have yet. Pure: the
//! observer remembers only what it needs to compare (alarm states, deployment
//! states, events already recorded, parts in error, the last sample's time).

use std::collections::{BTreeMap, HashSet};

use foldhash::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::entry::{Entry, Figures, Recorded};
use crate::model::{
    AlarmState, DeploymentState, EventKind, FleetEvent, FleetSnapshot, Part, ServiceKey,
};

/// Service figures are sampled once per this much data time.
pub const SAMPLE_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Default)]
pub struct Observer {
    /// Nothing before this is recorded again (the journal's newest line when
    /// it was opened): a restarted session does not repeat what AWS still lists.
    resume_after: Option<DateTime<Utc>>,
    alarms: HashMap<String, AlarmState>,
    deployments: HashMap<ServiceKey, DeploymentState>,
    /// Events recorded, by identity, while the source still lists them.
    seen: HashSet<(DateTime<Utc>, u64)>,
    /// The last service event recorded per service, to skip ECS's repeats.
    last_message: HashMap<String, String>,
    failing: HashMap<Part, String>,
    last_sample: Option<DateTime<Utc>>,
    last_taken: Option<DateTime<Utc>>,
}

/// An event's identity: its time and a fingerprint of its kind, service and
/// message (checked every snapshot for every listed event: no copy of the
/// strings; two events alike in all four are one line anyway).
fn event_id(e: &FleetEvent) -> (DateTime<Utc>, u64) {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = FINGERPRINT.build_hasher();
    e.kind.hash(&mut h);
    e.service.hash(&mut h);
    e.message.hash(&mut h);
    (e.at, h.finish())
}

/// Fixed keys: the fingerprints must agree across the observer's life.
const FINGERPRINT: std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher> =
    std::hash::BuildHasherDefault::new();

impl Observer {
    /// An observer that records only events after `t` (the journal's newest line).
    pub fn resuming_after(t: Option<DateTime<Utc>>) -> Self {
        Self {
            resume_after: t,
            ..Self::default()
        }
    }

    /// The entries `snap` adds, oldest first.
    pub fn observe(&mut self, snap: &FleetSnapshot) -> Vec<Entry> {
        let at = snap.taken_at;
        let mut out = Vec::new();
        self.alarms(snap, &mut out);
        self.events(snap, &mut out);
        self.deployments(snap, &mut out);
        self.parts(snap, &mut out);
        if self
            .last_sample
            .is_none_or(|last| at - last >= SAMPLE_EVERY)
        {
            self.last_sample = Some(at);
            out.push(Entry::new(at, sample(snap)));
        }
        self.last_taken = Some(at);
        out.sort_by_key(|e| e.at);
        out
    }

    fn alarms(&mut self, snap: &FleetSnapshot, out: &mut Vec<Entry>) {
        // Alarms are only compared when they were read: a failed read is not "all OK".
        if failed(snap, Part::Alarms) {
            return;
        }
        for alarm in &snap.alarms {
            // No allocation for an alarm already known (thousands a snapshot).
            let before = match self.alarms.get_mut(&alarm.name) {
                Some(state) => Some(std::mem::replace(state, alarm.state)),
                None => self.alarms.insert(alarm.name.clone(), alarm.state),
            };
            let changed = match before {
                Some(before) => before != alarm.state,
                // First sight: only what is wrong is worth a line, and not
                // again when the journal has it from a session before.
                None => {
                    alarm.state != AlarmState::Ok
                        && self.resume_after.is_none_or(|t| alarm.updated_at > t)
                }
            };
            if changed {
                // The alarm's own time when it falls since the last look, else now.
                let since_last =
                    before.is_none() || self.last_taken.is_none_or(|t| alarm.updated_at > t);
                let at = if since_last && alarm.updated_at <= snap.taken_at {
                    alarm.updated_at
                } else {
                    snap.taken_at
                };
                out.push(Entry::new(
                    at,
                    Recorded::Alarm {
                        name: alarm.name.clone(),
                        from: before,
                        to: alarm.state,
                        reason: alarm.reason.clone(),
                        subject: alarm.subject.clone(),
                    },
                ));
            }
        }
    }

    fn events(&mut self, snap: &FleetSnapshot, out: &mut Vec<Entry>) {
        for e in &snap.events {
            if self.resume_after.is_some_and(|t| e.at <= t) {
                continue;
            }
            if !self.seen.insert(event_id(e)) {
                continue;
            }
            if let Some(recorded) = self.recorded(e) {
                out.push(Entry::new(e.at, recorded));
            }
        }
        // Forget what the source no longer lists: it cannot come back.
        if let Some(oldest) = snap.events.iter().map(|e| e.at).min() {
            self.seen.retain(|id| id.0 >= oldest);
        }
    }

    fn recorded(&mut self, e: &FleetEvent) -> Option<Recorded> {
        let service = e.service.as_ref().map(ToString::to_string);
        let message = e.message.clone();
        Some(match e.kind {
            EventKind::SpotWarning => Recorded::SpotWarning { service, message },
            EventKind::SpotInterruption => Recorded::Interruption {
                service,
                message,
                stop: e.stop.clone(),
            },
            EventKind::TaskFailed => Recorded::Task {
                service,
                message,
                stop: e.stop.clone(),
            },
            EventKind::ScalingActivity => Recorded::Scaling { service, message },
            EventKind::Deployment => Recorded::Deployment {
                service: service.unwrap_or_default(),
                state: "event".into(),
                detail: message,
                task_definition: None,
            },
            EventKind::ServiceEvent => {
                let key = service.clone().unwrap_or_default();
                if self.last_message.get(&key) == Some(&message) {
                    return None;
                }
                self.last_message.insert(key, message.clone());
                Recorded::Event { service, message }
            }
            // Task starts are in the samples' running counts; sitrep's own
            // actions are in the audit log, with their requests.
            EventKind::TaskStarted | EventKind::Action => return None,
        })
    }

    fn deployments(&mut self, snap: &FleetSnapshot, out: &mut Vec<Entry>) {
        if failed(snap, Part::Services) {
            return;
        }
        for svc in &snap.services {
            // Compared in place; copied only when it changed.
            let before = match self.deployments.get_mut(&svc.key) {
                Some(known) if known.state() == svc.deployment.state() => continue,
                Some(known) => Some(std::mem::replace(known, svc.deployment.clone())),
                None => self
                    .deployments
                    .insert(svc.key.clone(), svc.deployment.clone()),
            };
            let name = svc.key.to_string();
            let state = match (before.as_ref(), &svc.deployment) {
                (Some(b), now) if b.state() == now.state() => continue,
                // First sight: a stable service is not news, a rollout under way is.
                (None, DeploymentState::Stable) => continue,
                (None, DeploymentState::InProgress { .. }) => "in_progress",
                (Some(_), DeploymentState::InProgress { .. }) => "started",
                (Some(_), DeploymentState::Stable) => "completed",
                (_, DeploymentState::Failed { .. }) => "failed",
            };
            let detail = match &svc.deployment {
                DeploymentState::Failed { reason } => reason.clone(),
                other => other.label(),
            };
            out.push(Entry::new(
                snap.taken_at,
                Recorded::Deployment {
                    service: name,
                    state: state.into(),
                    detail,
                    task_definition: svc.task_definition.clone(),
                },
            ));
        }
    }

    fn parts(&mut self, snap: &FleetSnapshot, out: &mut Vec<Entry>) {
        for (part, status) in &snap.parts {
            match (&status.error, self.failing.get(part)) {
                (Some(reason), None) => {
                    self.failing.insert(*part, reason.clone());
                    out.push(Entry::new(
                        snap.taken_at,
                        Recorded::Stale {
                            part: *part,
                            reason: reason.clone(),
                        },
                    ));
                }
                (None, Some(_)) => {
                    self.failing.remove(part);
                    out.push(Entry::new(
                        snap.taken_at,
                        Recorded::Recovered { part: *part },
                    ));
                }
                _ => {}
            }
        }
    }
}

fn failed(snap: &FleetSnapshot, part: Part) -> bool {
    snap.parts
        .get(&part)
        .is_some_and(|s| s.error.is_some() && s.fetched_at.is_none())
}

fn sample(snap: &FleetSnapshot) -> Recorded {
    let services = snap
        .services
        .iter()
        .map(|s| {
            let m = &s.metrics;
            (
                s.key.to_string(),
                Figures(
                    s.running,
                    s.desired,
                    m.cpu_pct.map(|v| v.clamp(0.0, 6553.5).round() as u16),
                    m.p95_ms.map(|v| v.clamp(0.0, 4.0e9).round() as u32),
                    m.error_rate_pct.map(|v| ((v * 10.0).round() / 10.0) as f32),
                ),
            )
        })
        .collect();
    let caches: BTreeMap<String, f32> = snap
        .caches
        .iter()
        .filter_map(|c| Some((c.id.clone(), ((c.memory_pct? * 10.0).round() / 10.0) as f32)))
        .collect();
    Recorded::Sample { services, caches }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Alarm, RefreshStats, ServiceKey, SourceInfo};

    fn snap(min: i64, alarm: AlarmState, events: &[(i64, &str)]) -> FleetSnapshot {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        FleetSnapshot {
            taken_at: t0 + Duration::minutes(min),
            source: SourceInfo::Sim {
                scenario: "t".into(),
                seed: 1,
                speed: 1.0,
            },
            clusters: Vec::new(),
            services: Vec::new(),
            caches: Vec::new(),
            alarms: vec![Alarm {
                name: "p95-high".into(),
                state: alarm,
                reason: "threshold".into(),
                updated_at: t0,
                subject: Some("orchestrator".into()),
            }],
            events: events
                .iter()
                .map(|(m, text)| {
                    FleetEvent::new(
                        t0 + Duration::minutes(*m),
                        EventKind::ServiceEvent,
                        Some(ServiceKey::new("c", "orchestrator")),
                        *text,
                    )
                })
                .collect(),
            parts: BTreeMap::new(),
            stats: RefreshStats::default(),
            backfill: None,
            declared: Vec::new(),
        }
    }

    fn kinds(entries: &[Entry]) -> Vec<String> {
        entries.iter().map(|e| e.what.describe()).collect()
    }

    #[test]
    fn an_alarm_is_recorded_when_it_changes_and_when_first_seen_firing() {
        let mut o = Observer::default();
        let first = o.observe(&snap(0, AlarmState::Ok, &[]));
        assert!(
            !kinds(&first).iter().any(|k| k.contains("p95-high")),
            "{first:?}"
        );
        let fired = o.observe(&snap(1, AlarmState::Alarm, &[]));
        assert!(kinds(&fired).contains(&"p95-high: OK -> ALARM (threshold)".to_string()));
        let same = o.observe(&snap(2, AlarmState::Alarm, &[]));
        assert!(!kinds(&same).iter().any(|k| k.contains("p95-high")));
        let mut fresh = Observer::default();
        let seen = fresh.observe(&snap(3, AlarmState::Alarm, &[]));
        assert!(kinds(&seen).contains(&"p95-high is ALARM (threshold)".to_string()));
    }

    #[test]
    fn ecs_repeating_a_steady_state_is_recorded_once() {
        let steady = "(service orchestrator) has reached a steady state.";
        let mut o = Observer::default();
        let a = o.observe(&snap(0, AlarmState::Ok, &[(0, steady)]));
        // Listed again, and said again six hours later: neither is news.
        let b = o.observe(&snap(1, AlarmState::Ok, &[(0, steady), (1, steady)]));
        let c = o.observe(&snap(
            2,
            AlarmState::Ok,
            &[(1, steady), (2, "has started 2 tasks")],
        ));
        let count = |v: &[Entry]| {
            v.iter()
                .filter(|e| matches!(e.what, Recorded::Event { .. }))
                .count()
        };
        assert_eq!((count(&a), count(&b), count(&c)), (1, 0, 1));
    }

    #[test]
    fn samples_come_once_a_minute_of_data_time() {
        let mut o = Observer::default();
        let mut samples = 0;
        for s in 0..12 {
            let mut sn = snap(0, AlarmState::Ok, &[]);
            sn.taken_at += Duration::seconds(s * 15);
            samples += o
                .observe(&sn)
                .iter()
                .filter(|e| matches!(e.what, Recorded::Sample { .. }))
                .count();
        }
        assert_eq!(samples, 3);
    }
}
