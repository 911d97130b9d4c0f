//! One line of the journal, and its schema (versioned by `v`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{AlarmState, Part, SourceId, TaskStop};

/// The journal's line format. A reader skips lines of a newer version it
/// does not know (and says so) rather than misreading them.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub v: u32,
    /// Data time: the event's own time, or the snapshot's for what a
    /// comparison of snapshots found (simulated time on the simulator).
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub what: Recorded,
}

impl Entry {
    pub fn new(at: DateTime<Utc>, what: Recorded) -> Self {
        Self {
            v: SCHEMA_VERSION,
            at,
            what,
        }
    }
}

/// What happened. Services are named `cluster/service`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recorded {
    /// A session started recording this fleet.
    Session {
        source: String,
        source_id: SourceId,
        /// Wall clock when the session opened (on the simulator `at` is simulated).
        opened: DateTime<Utc>,
        read_only: bool,
        version: String,
    },
    /// An alarm changed state (`from` is absent for the state found at the start).
    Alarm {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<AlarmState>,
        to: AlarmState,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
    },
    SpotWarning {
        service: Option<String>,
        message: String,
    },
    Interruption {
        service: Option<String>,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stop: Option<TaskStop>,
    },
    /// Tasks that failed to start or whose essential container exited.
    Task {
        service: Option<String>,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stop: Option<TaskStop>,
    },
    Scaling {
        service: Option<String>,
        message: String,
    },
    /// A deployment `started`, `completed` or `failed` (from the service's
    /// state), or an ECS message about one (`event`).
    Deployment {
        service: String,
        state: String,
        detail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        task_definition: Option<String>,
    },
    /// A service event, recorded once (ECS repeats "has reached a steady state").
    Event {
        service: Option<String>,
        message: String,
    },
    /// A part of the fleet could not be read from here on.
    Stale { part: Part, reason: String },
    /// A stale part was read again.
    Recovered { part: Part },
    /// A field an applied action set was changed back by someone else.
    ChangedBack {
        service: String,
        field: String,
        set: String,
        now: String,
        action: String,
        cause: String,
    },
    /// Every service's figures and every cache's memory, once a minute.
    Sample {
        services: BTreeMap<String, Figures>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        caches: BTreeMap<String, f32>,
    },
}

/// A service's figures in a sample, as a compact array:
/// `[running, desired, cpu %, p95 ms, error %]` (null when not measured).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures(
    pub u32,
    pub u32,
    pub Option<u16>,
    pub Option<u32>,
    pub Option<f32>,
);

impl Figures {
    pub fn running(&self) -> u32 {
        self.0
    }

    pub fn desired(&self) -> u32 {
        self.1
    }

    pub fn cpu_pct(&self) -> Option<u16> {
        self.2
    }

    pub fn p95_ms(&self) -> Option<u32> {
        self.3
    }

    pub fn error_rate_pct(&self) -> Option<f32> {
        self.4
    }
}

impl Recorded {
    /// The kind as the JSON spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Recorded::Session { .. } => "session",
            Recorded::Alarm { .. } => "alarm",
            Recorded::SpotWarning { .. } => "spot_warning",
            Recorded::Interruption { .. } => "interruption",
            Recorded::Task { .. } => "task",
            Recorded::Scaling { .. } => "scaling",
            Recorded::Deployment { .. } => "deployment",
            Recorded::Event { .. } => "event",
            Recorded::Stale { .. } => "stale",
            Recorded::Recovered { .. } => "recovered",
            Recorded::ChangedBack { .. } => "changed_back",
            Recorded::Sample { .. } => "sample",
        }
    }

    /// The service (or alarm subject) it is about, `cluster/service`.
    pub fn service(&self) -> Option<&str> {
        match self {
            Recorded::SpotWarning { service, .. }
            | Recorded::Interruption { service, .. }
            | Recorded::Task { service, .. }
            | Recorded::Scaling { service, .. }
            | Recorded::Event { service, .. } => service.as_deref(),
            Recorded::Deployment { service, .. } | Recorded::ChangedBack { service, .. } => {
                Some(service)
            }
            Recorded::Alarm { subject, .. } => subject.as_deref(),
            Recorded::Session { .. }
            | Recorded::Stale { .. }
            | Recorded::Recovered { .. }
            | Recorded::Sample { .. } => None,
        }
    }

    /// One line for a person: what happened, with the reason where there is one.
    pub fn describe(&self) -> String {
        match self {
            Recorded::Session {
                source, read_only, ..
            } => format!(
                "recording started on {source}{}",
                if *read_only { " (read-only)" } else { "" }
            ),
            Recorded::Alarm {
                name,
                from,
                to,
                reason,
                ..
            } => match from {
                Some(from) => format!("{name}: {} -> {} ({reason})", state(*from), state(*to)),
                None => format!("{name} is {} ({reason})", state(*to)),
            },
            Recorded::SpotWarning { message, .. }
            | Recorded::Scaling { message, .. }
            | Recorded::Event { message, .. } => message.clone(),
            Recorded::Interruption { message, stop, .. } | Recorded::Task { message, stop, .. } => {
                match stop {
                    Some(stop) => stop_line(stop),
                    None => message.clone(),
                }
            }
            Recorded::Deployment {
                state,
                detail,
                task_definition,
                ..
            } => match task_definition {
                Some(td) if state != "event" => format!("deployment {state}: {td} ({detail})"),
                _ if state == "event" => detail.clone(),
                _ => format!("deployment {state} ({detail})"),
            },
            Recorded::Stale { part, reason } => {
                format!("{} not read: {reason}", part_name(*part))
            }
            Recorded::Recovered { part } => format!("{} read again", part_name(*part)),
            Recorded::ChangedBack {
                field,
                set,
                now,
                action,
                cause,
                ..
            } => format!("{field} changed back {set} -> {now} after {action}; likely {cause}"),
            Recorded::Sample { services, .. } => format!("{} services sampled", services.len()),
        }
    }
}

/// `TaskFailedToStart: CannotPullContainerError... (3 tasks; app: reason)`.
fn stop_line(stop: &TaskStop) -> String {
    let mut line = format!("{}: {}", stop.code, stop.reason);
    let mut parts = Vec::new();
    match stop.tasks.len() {
        0 => {}
        1 => parts.push(format!("task {}", stop.tasks[0])),
        n => parts.push(format!("{n} tasks")),
    }
    for c in &stop.containers {
        match (c.exit_code, &c.reason) {
            (Some(x), Some(r)) => parts.push(format!("{} exit {x}: {r}", c.name)),
            (Some(x), None) => parts.push(format!("{} exit {x}", c.name)),
            (None, Some(r)) if !stop.reason.contains(r.as_str()) => {
                parts.push(format!("{}: {r}", c.name));
            }
            _ => {}
        }
    }
    if !parts.is_empty() {
        line.push_str(&format!(" ({})", parts.join("; ")));
    }
    line
}

fn state(s: AlarmState) -> &'static str {
    match s {
        AlarmState::Ok => "OK",
        AlarmState::Alarm => "ALARM",
        AlarmState::InsufficientData => "INSUFFICIENT_DATA",
    }
}

fn part_name(part: Part) -> String {
    serde_json::to_value(part)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::ContainerState;

    #[test]
    fn a_sample_is_a_compact_array_per_service() {
        let mut services = BTreeMap::new();
        services.insert(
            "manga/orchestrator".to_string(),
            Figures(12, 20, Some(81), Some(2300), Some(0.4)),
        );
        let e = Entry::new(
            DateTime::UNIX_EPOCH,
            Recorded::Sample {
                services,
                caches: BTreeMap::new(),
            },
        );
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"v":1,"at":"1970-01-01T00:00:00Z","kind":"sample","services":{"manga/orchestrator":[12,20,81,2300,0.4]}}"#
        );
        assert_eq!(serde_json::from_str::<Entry>(&json).unwrap(), e);
    }

    #[test]
    fn a_task_stop_says_code_reason_and_exit_codes() {
        let r = Recorded::Task {
            service: Some("manga/worker".into()),
            message: "stopped".into(),
            stop: Some(TaskStop {
                code: "EssentialContainerExited".into(),
                reason: "Essential container in task exited".into(),
                tasks: vec!["0a1b2c3d".into()],
                containers: vec![ContainerState {
                    name: "app".into(),
                    exit_code: Some(137),
                    reason: Some("OutOfMemoryError: Container killed due to memory usage".into()),
                }],
            }),
        };
        assert_eq!(
            r.describe(),
            "EssentialContainerExited: Essential container in task exited (task 0a1b2c3d; app exit 137: OutOfMemoryError: Container killed due to memory usage)"
        );
        assert_eq!(r.kind(), "task");
        assert_eq!(r.service(), Some("manga/worker"));
    }
}
