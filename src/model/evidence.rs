//! Evidence read on demand for one service while a view is open: its tasks
//! (and why they stopped) and its deployments (with what changed between the
//! primary and the previous task definition).
//!
//! Environment values never reach this module: a reader keeps each value's
//! fingerprint only, enough to tell that a key's value changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ServiceKey;

/// Which evidence a view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    Tasks,
    Deployments,
    Logs,
}

impl EvidenceKind {
    pub fn label(self) -> &'static str {
        match self {
            EvidenceKind::Tasks => "tasks",
            EvidenceKind::Deployments => "deployments",
            EvidenceKind::Logs => "logs",
        }
    }
}

/// One read a view asks of the session's evidence reader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EvidenceRequest {
    pub kind: EvidenceKind,
    pub service: ServiceKey,
    /// Logs only: lines at or after this time (the newest already shown, or
    /// a while before the event a view was opened at); `None` for a tail's
    /// first read, which goes back `LOG_LOOKBACK_S`.
    #[serde(default)]
    pub after: Option<DateTime<Utc>>,
    /// Logs only: lines before this time; `None` reads up to now. Set on the
    /// first read of a view opened at an event, so a busy log's newest lines
    /// do not crowd out the event's.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

impl EvidenceRequest {
    pub fn new(kind: EvidenceKind, service: ServiceKey) -> EvidenceRequest {
        EvidenceRequest {
            kind,
            service,
            after: None,
            until: None,
        }
    }

    /// The same view (an answer to an earlier ask of it still counts).
    pub fn same_view(&self, other: &EvidenceRequest) -> bool {
        self.kind == other.kind && self.service == other.service
    }
}

/// How far back the first read of a log tail goes.
pub const LOG_LOOKBACK_S: i64 = 600;
/// Lines one read returns at most (the newest of them).
pub const LOG_READ_MAX: usize = 500;

/// A reader's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    Tasks(TaskList),
    Deployments(Deployments),
    Logs(LogTail),
}

/// Where a service's logs go, as its task definition says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogTarget {
    /// CloudWatch Logs through the `awslogs` driver: streams are named
    /// `prefix/container/task-id`.
    Awslogs {
        group: String,
        stream_prefix: Option<String>,
        container: String,
    },
    /// Another driver (FireLens is `awsfirelens`): sitrep cannot follow it.
    Other { driver: String, container: String },
    /// No container of the task definition configures logging.
    None,
}

impl LogTarget {
    pub fn label(&self) -> String {
        match self {
            LogTarget::Awslogs {
                group,
                stream_prefix,
                container,
            } => match stream_prefix {
                Some(p) => format!("awslogs {group} {p}/{container}/*"),
                None => format!("awslogs {group}"),
            },
            LogTarget::Other { driver, container } => {
                format!("{container} logs through `{driver}`, not awslogs")
            }
            LogTarget::None => "no log configuration".into(),
        }
    }
}

/// New lines of a followed log, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogTail {
    pub target: LogTarget,
    pub lines: Vec<LogLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// CloudWatch's event id: the same line read twice has the same id.
    pub id: String,
    pub at: DateTime<Utc>,
    pub stream: String,
    pub message: String,
}

impl LogTail {
    /// Add the lines not seen yet, keep time order, keep the newest `max`.
    pub fn merge(&mut self, newer: LogTail, max: usize) {
        self.target = newer.target;
        let seen: std::collections::HashSet<String> =
            self.lines.iter().map(|l| l.id.clone()).collect();
        self.lines
            .extend(newer.lines.into_iter().filter(|l| !seen.contains(&l.id)));
        self.lines
            .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        let extra = self.lines.len().saturating_sub(max);
        self.lines.drain(..extra);
    }
}

/// A pattern a runbook counts in a service's log lines over the last
/// `minutes` (`log_matches('OutOfMemoryError', 10.0)`): the runbook's checker
/// lists them, a walk's reader counts them before it evaluates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LogQuery {
    /// Text a line must contain, case-sensitive (CloudWatch's quoted term).
    pub pattern: String,
    pub minutes: u32,
}

/// The longest window `log_matches` may count over, minutes.
pub const LOG_MATCH_MAX_MIN: u32 = 60;

/// How many lines matched each query, counted by a reader at `read_at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogMatches {
    pub service: ServiceKey,
    pub read_at: DateTime<Utc>,
    pub counts: Vec<(LogQuery, u64)>,
}

impl LogMatches {
    pub fn count(&self, query: &LogQuery) -> Option<u64> {
        self.counts.iter().find(|(q, _)| q == query).map(|c| c.1)
    }
}

impl LogQuery {
    /// Lines at or after `now - minutes` that contain the pattern.
    pub fn count<'a>(
        &self,
        lines: impl Iterator<Item = (DateTime<Utc>, &'a str)>,
        now: DateTime<Utc>,
    ) -> u64 {
        let since = now - chrono::Duration::minutes(i64::from(self.minutes));
        lines
            .filter(|(at, message)| *at >= since && message.contains(&self.pattern))
            .count() as u64
    }
}

/// A service's tasks, failing ones first (see `TaskList::new`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskList {
    pub tasks: Vec<TaskInfo>,
    /// Tasks listed but not described (the reader caps a read).
    pub more: u32,
}

impl TaskList {
    /// Sorted by `TaskInfo::rank`, then the most recent first.
    pub fn new(mut tasks: Vec<TaskInfo>, more: u32) -> TaskList {
        tasks.sort_by(|a, b| {
            a.rank()
                .cmp(&b.rank())
                .then_with(|| b.last_change().cmp(&a.last_change()))
                .then_with(|| a.id.cmp(&b.id))
        });
        TaskList { tasks, more }
    }

    pub fn count(&self, pred: impl Fn(&TaskInfo) -> bool) -> usize {
        self.tasks.iter().filter(|t| pred(t)).count()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskInfo {
    /// The task id (the last part of its ARN).
    pub id: String,
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, STOPPED...
    pub last_status: String,
    pub desired_status: String,
    /// HEALTHY, UNHEALTHY or UNKNOWN; `None` without a health check.
    pub health: Option<String>,
    /// `FARGATE_SPOT`, `FARGATE`, or `None` for a launch type.
    pub capacity_provider: Option<String>,
    pub az: Option<String>,
    /// `family:revision` of the task definition.
    pub task_definition: String,
    pub created_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// TaskFailedToStart, EssentialContainerExited, SpotInterruption, UserInitiated,
    /// ServiceSchedulerInitiated...
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<ContainerState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContainerState {
    pub name: String,
    pub exit_code: Option<i32>,
    /// e.g. `OutOfMemoryError: Container killed due to memory usage`.
    pub reason: Option<String>,
}

impl TaskInfo {
    pub fn stopped(&self) -> bool {
        self.last_status == "STOPPED" || self.desired_status == "STOPPED"
    }

    pub fn spot(&self) -> bool {
        self.capacity_provider.as_deref() == Some(super::FARGATE_SPOT)
    }

    /// A task that stopped for a reason other than the scheduler or an operator:
    /// a failed start, a container that exited non-zero, an OOM kill.
    pub fn failed(&self) -> bool {
        if !self.stopped() {
            return false;
        }
        let by_code = matches!(
            self.stop_code.as_deref(),
            Some("TaskFailedToStart" | "EssentialContainerExited")
        );
        let by_exit = self
            .containers
            .iter()
            .any(|c| c.exit_code.is_some_and(|x| x != 0 && x != 143) || c.reason.is_some());
        by_code || by_exit
    }

    /// Sort rank: failed, reclaimed, unhealthy, starting, running, stopped otherwise.
    pub fn rank(&self) -> u8 {
        if self.failed() {
            0
        } else if self.stopped() && self.stop_code.as_deref() == Some("SpotInterruption") {
            1
        } else if self.stopped() {
            5
        } else if self.health.as_deref() == Some("UNHEALTHY") {
            2
        } else if self.last_status != "RUNNING" {
            3
        } else {
            4
        }
    }

    /// The latest thing that happened to the task.
    pub fn last_change(&self) -> Option<DateTime<Utc>> {
        self.stopped_at.or(self.started_at).or(self.created_at)
    }

    /// Stop code, reason and the exit codes, in one line, for stopped tasks.
    pub fn why(&self) -> String {
        if !self.stopped() {
            return String::new();
        }
        let mut parts = Vec::new();
        if let Some(c) = &self.stop_code {
            parts.push(c.clone());
        }
        if let Some(r) = &self.stopped_reason {
            parts.push(r.clone());
        }
        let said = |r: &str| {
            let head = r.split(':').next().unwrap_or(r);
            self.stopped_reason
                .as_deref()
                .is_some_and(|s| s.contains(head))
        };
        for c in &self.containers {
            // A container reason the task's reason already gives is said once.
            let reason = c.reason.as_ref().filter(|r| !said(r));
            match (c.exit_code, reason) {
                (Some(x), Some(r)) => parts.push(format!("{} exit {x} ({r})", c.name)),
                (Some(x), None) => parts.push(format!("{} exit {x}", c.name)),
                (None, Some(r)) => parts.push(format!("{}: {r}", c.name)),
                (None, None) => {}
            }
        }
        parts.join(" · ")
    }

    /// The revision number of `family:revision`.
    pub fn revision(&self) -> Option<u32> {
        self.task_definition.rsplit(':').next()?.parse().ok()
    }
}

/// A service's deployments as ECS reports them, newest first, with the task
/// definition diff between the primary and the one before it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Deployments {
    pub circuit_breaker: Option<CircuitBreaker>,
    pub deployments: Vec<DeploymentInfo>,
    /// From the previous task definition to the primary's; `None` when there is
    /// no previous one to compare (or it could not be read).
    pub diff: Option<TaskDefDiff>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

impl CircuitBreaker {
    pub fn label(breaker: Option<CircuitBreaker>) -> &'static str {
        match breaker {
            Some(CircuitBreaker {
                enable: true,
                rollback: true,
            }) => "on, with rollback",
            Some(CircuitBreaker { enable: true, .. }) => "on, no rollback",
            _ => "off",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentInfo {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    /// `family:revision`.
    pub task_definition: String,
    /// IN_PROGRESS, COMPLETED or FAILED.
    pub rollout_state: Option<String>,
    pub rollout_reason: Option<String>,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a diff needs of a task definition. Environment and secret values are
/// kept as fingerprints only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskDefShape {
    /// `family:revision`.
    pub name: String,
    /// CPU units and MiB, as registered (`"1024"`, `"2048"`).
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub containers: Vec<ContainerShape>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerShape {
    pub name: String,
    pub image: String,
    /// Key -> fingerprint of the value (environment variables and secrets).
    pub env: BTreeMap<String, u64>,
}

/// A fingerprint of an environment value: tells a change, never the value.
pub fn fingerprint(value: &str) -> u64 {
    // FNV-1a: stable across runs and platforms (unlike the std hasher's seed).
    value.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskDefDiff {
    pub from: String,
    pub to: String,
    /// One line per change; empty when the two differ only in revision.
    pub changes: Vec<Change>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `cpu`, `memory`, `image app`, `env app`, `container`.
    pub what: String,
    pub before: String,
    pub after: String,
}

impl TaskDefDiff {
    /// What changed from `before` to `after`: image, cpu/memory, containers and
    /// environment keys added, removed or given another value (keys only).
    pub fn between(before: &TaskDefShape, after: &TaskDefShape) -> TaskDefDiff {
        let mut changes = Vec::new();
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        if before.cpu != after.cpu {
            changes.push(change("cpu", opt(&before.cpu), opt(&after.cpu)));
        }
        if before.memory != after.memory {
            changes.push(change("memory", opt(&before.memory), opt(&after.memory)));
        }
        for b in &before.containers {
            if !after.containers.iter().any(|a| a.name == b.name) {
                changes.push(change("container", b.name.clone(), "removed".into()));
            }
        }
        for a in &after.containers {
            let Some(b) = before.containers.iter().find(|b| b.name == a.name) else {
                changes.push(change("container", "-".into(), format!("{} added", a.name)));
                continue;
            };
            if a.image != b.image {
                changes.push(change(
                    &format!("image {}", a.name),
                    b.image.clone(),
                    a.image.clone(),
                ));
            }
            let added: Vec<&str> = keys(&a.env, |k| !b.env.contains_key(k));
            let removed: Vec<&str> = keys(&b.env, |k| !a.env.contains_key(k));
            let changed: Vec<&str> = keys(&a.env, |k| b.env.get(k).is_some_and(|v| v != &a.env[k]));
            for (label, list) in [
                ("added", added),
                ("removed", removed),
                ("value changed", changed),
            ] {
                if !list.is_empty() {
                    changes.push(change(
                        &format!("env {}", a.name),
                        label.into(),
                        list.join(", "),
                    ));
                }
            }
        }
        TaskDefDiff {
            from: before.name.clone(),
            to: after.name.clone(),
            changes,
        }
    }
}

fn keys(env: &BTreeMap<String, u64>, keep: impl Fn(&str) -> bool) -> Vec<&str> {
    env.keys().map(String::as_str).filter(|k| keep(k)).collect()
}

fn change(what: &str, before: String, after: String) -> Change {
    Change {
        what: what.to_string(),
        before,
        after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, status: &str, code: Option<&str>, exit: Option<i32>) -> TaskInfo {
        TaskInfo {
            id: id.into(),
            last_status: status.into(),
            desired_status: status.into(),
            health: None,
            capacity_provider: None,
            az: None,
            task_definition: "worker:3".into(),
            created_at: None,
            started_at: None,
            stopped_at: None,
            stop_code: code.map(str::to_string),
            stopped_reason: None,
            containers: vec![ContainerState {
                name: "app".into(),
                exit_code: exit,
                reason: None,
            }],
        }
    }

    #[test]
    fn log_tails_merge_by_event_id() {
        let line = |id: &str, s: i64| LogLine {
            id: id.into(),
            at: DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap(),
            stream: "ecs/app/1".into(),
            message: format!("line {id}"),
        };
        let mut tail = LogTail {
            target: LogTarget::None,
            lines: vec![line("a", 0), line("b", 1)],
        };
        tail.merge(
            LogTail {
                target: LogTarget::None,
                lines: vec![line("b", 1), line("c", 2), line("d", 3)],
            },
            3,
        );
        let ids: Vec<&str> = tail.lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "d"]);
        // `log_matches` counts case-sensitively over the last N minutes.
        let now = DateTime::from_timestamp(1_800_000_000 + 62, 0).unwrap();
        let lines = || tail.lines.iter().map(|l| (l.at, l.message.as_str()));
        let query = |pattern: &str, minutes| LogQuery {
            pattern: pattern.into(),
            minutes,
        };
        assert_eq!(
            query("line", 1).count(lines(), now),
            2,
            "b, 61 s back, is out"
        );
        assert_eq!(query("line", 2).count(lines(), now), 3);
        assert_eq!(query("LINE", 2).count(lines(), now), 0);
    }

    #[test]
    fn failing_tasks_sort_first() {
        let list = TaskList::new(
            vec![
                task("a", "RUNNING", None, None),
                task("b", "STOPPED", Some("ServiceSchedulerInitiated"), Some(143)),
                task("c", "STOPPED", Some("SpotInterruption"), None),
                task("d", "STOPPED", Some("EssentialContainerExited"), Some(137)),
                task("e", "PENDING", None, None),
            ],
            0,
        );
        let order: Vec<&str> = list.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(order, ["d", "c", "e", "a", "b"]);
        assert_eq!(list.tasks[0].revision(), Some(3));
        assert_eq!(
            list.tasks[0].why(),
            "EssentialContainerExited · app exit 137"
        );
    }

    #[test]
    fn diff_names_keys_never_values() {
        let shape = |rev: u32, image: &str, env: &[(&str, &str)], cpu: &str| TaskDefShape {
            name: format!("worker:{rev}"),
            cpu: Some(cpu.into()),
            memory: Some("2048".into()),
            containers: vec![ContainerShape {
                name: "app".into(),
                image: image.into(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), fingerprint(v)))
                    .collect(),
            }],
        };
        let before = shape(
            1,
            "repo/worker:1.0",
            &[("DB_PASSWORD", "hunter2"), ("OLD", "x")],
            "1024",
        );
        let after = shape(
            2,
            "repo/worker:1.1",
            &[("DB_PASSWORD", "s3cret"), ("NEW", "y")],
            "2048",
        );
        let diff = TaskDefDiff::between(&before, &after);
        let text = format!("{diff:?}");
        assert!(
            !text.contains("hunter2") && !text.contains("s3cret"),
            "{text}"
        );
        let lines: Vec<String> = diff
            .changes
            .iter()
            .map(|c| format!("{}: {} -> {}", c.what, c.before, c.after))
            .collect();
        assert_eq!(
            lines,
            [
                "cpu: 1024 -> 2048",
                "image app: repo/worker:1.0 -> repo/worker:1.1",
                "env app: added -> NEW",
                "env app: removed -> OLD",
                "env app: value changed -> DB_PASSWORD",
            ]
        );
    }
}
