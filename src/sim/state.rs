//! Running state of each service and cache, built from their specs.

use std::collections::VecDeque;

use crate::model::{
    DeploymentState, ScheduledAction, ServiceMetrics, StrategyItem, Suspended, TargetTrackingPolicy,
};

use super::fleet::{CacheSpec, ServiceSpec};

#[derive(Clone, Debug, PartialEq)]
pub enum TaskState {
    /// Provisioning; becomes running at `ready_at`, or fails then if `fails`.
    Pending {
        ready_at: i64,
        fails: bool,
    },
    Running,
    /// Got the 2-minute Spot warning; still serving until `stop_at`.
    Warned {
        stop_at: i64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub id: u64,
    pub spot: bool,
    pub revision: u32,
    pub state: TaskState,
    /// Seconds after start the task was launched, and when it began running.
    pub created_at: i64,
    pub started_at: Option<i64>,
}

/// Stopped tasks kept per service, newest last (ECS shows them for about an hour).
pub const STOPPED_KEPT: usize = 100;

/// A task that stopped, and why, as the tasks view shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoppedTask {
    pub task: Task,
    pub stopped_at: i64,
    pub why: StopWhy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StopWhy {
    /// ECS's stop code, e.g. `TaskFailedToStart`.
    pub code: &'static str,
    pub reason: String,
    /// The essential container's exit code, when it ran.
    pub exit_code: Option<i32>,
    /// The container's own reason (a pull error, an OOM kill).
    pub container_reason: Option<String>,
}

/// One deployment of a service, as ECS's `deployments` list keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeployRecord {
    pub id: u64,
    pub revision: u32,
    pub created_at: i64,
    pub updated_at: i64,
    pub rollout: Rollout,
    pub failed_tasks: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rollout {
    InProgress,
    Completed,
    Failed(String),
}

impl Task {
    pub fn serving(&self) -> bool {
        !matches!(self.state, TaskState::Pending { .. })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScalingState {
    pub min: u32,
    pub max: u32,
    pub suspended: Suspended,
    pub policies: Vec<TargetTrackingPolicy>,
    /// Scheduled actions with the time (s after start) each was put, for `rate()`.
    pub scheduled: Vec<(ScheduledAction, i64)>,
    pub last_scale_out: Option<i64>,
    pub last_scale_in: Option<i64>,
    /// One-minute CPU averages, newest last (what the CloudWatch alarms see).
    pub minutes: VecDeque<f64>,
    pub minute_sum: f64,
    pub minute_samples: u32,
}

pub const MINUTES_KEPT: usize = 20;

#[derive(Clone, Debug, PartialEq)]
pub struct SvcState {
    pub spec: ServiceSpec,
    /// vCPU and GB of the scenario's task size (the spec's may change).
    pub base_size: (f64, f64),
    pub desired: u32,
    pub strategy: Vec<StrategyItem>,
    pub launch_type: Option<String>,
    pub scaling: Option<ScalingState>,
    pub tasks: Vec<Task>,
    pub revision: u32,
    pub deployment: DeploymentState,
    pub deploy_failures: u32,
    /// A revision whose image is missing: its tasks never start.
    pub broken_revision: Option<u32>,
    /// No launches before this time (ECS backs off after failed starts).
    pub retry_after: i64,
    /// Slow random walk multiplying the load.
    pub noise: f64,
    pub load: f64,
    pub metrics: ServiceMetrics,
    /// When Spot tasks of this service were reclaimed, for the error rate.
    pub interruptions: VecDeque<i64>,
    /// Recently stopped tasks, newest last, at most `STOPPED_KEPT`.
    pub stopped: VecDeque<StoppedTask>,
    /// Deployments, oldest first; the last is the primary.
    pub deploys: Vec<DeployRecord>,
    /// What the tasks wrote to their `awslogs` streams, oldest first, at most
    /// `LOGS_KEPT` lines and `LOGS_KEPT_S` back.
    pub logs: VecDeque<SimLog>,
    pub next_log: u64,
}

pub const LOGS_KEPT: usize = 1000;
/// How far back a service's lines are kept: what `log_matches` can count and
/// half as much again. Without it a quiet service's lines piled up to
/// `LOGS_KEPT` over days, 2,000 services holding ~100 MB of old lines.
pub const LOGS_KEPT_S: i64 = crate::model::evidence::LOG_MATCH_MAX_MIN as i64 * 90;

/// One log event of a task.
#[derive(Clone, Debug, PartialEq)]
pub struct SimLog {
    pub n: u64,
    pub t: i64,
    pub task: u64,
    pub message: String,
}

/// The simulated image of a revision (the registry of the seeds' account).
pub fn image(service: &str, revision: u32) -> String {
    format!(
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/{service}:v1.{}.0",
        40 + revision
    )
}

impl SvcState {
    pub fn running(&self) -> u32 {
        self.tasks.iter().filter(|t| t.serving()).count() as u32
    }

    pub fn pending(&self) -> u32 {
        self.tasks.len() as u32 - self.running()
    }

    /// Remove the tasks `pred` picks, keeping them as stopped for the tasks view.
    pub fn stop_where(
        &mut self,
        t: i64,
        pred: impl Fn(&Task) -> bool,
        why: impl Fn(&Task) -> StopWhy,
    ) {
        let mut kept = Vec::with_capacity(self.tasks.len());
        for task in std::mem::take(&mut self.tasks) {
            if pred(&task) {
                let why = why(&task);
                self.stopped.push_back(StoppedTask {
                    task,
                    stopped_at: t,
                    why,
                });
            } else {
                kept.push(task);
            }
        }
        self.tasks = kept;
        while self.stopped.len() > STOPPED_KEPT {
            self.stopped.pop_front();
        }
    }

    /// A task writes a line to its log stream.
    pub fn log(&mut self, t: i64, task: u64, message: impl Into<String>) {
        self.next_log += 1;
        self.logs.push_back(SimLog {
            n: self.next_log,
            t,
            task,
            message: message.into(),
        });
        while self.logs.len() > LOGS_KEPT
            || self.logs.front().is_some_and(|l| l.t < t - LOGS_KEPT_S)
        {
            self.logs.pop_front();
        }
    }

    /// The primary deployment (the newest).
    /// The highest revision registered so far (rollbacks do not register one).
    pub fn registered_revisions(&self) -> u32 {
        self.deploys
            .iter()
            .map(|d| d.revision)
            .max()
            .unwrap_or(1)
            .max(self.revision)
    }

    pub fn primary_deploy(&mut self) -> Option<&mut DeployRecord> {
        self.deploys.last_mut()
    }

    /// Whether tasks follow the strategy (else a launch type: all on-demand).
    pub fn uses_strategy(&self) -> bool {
        self.launch_type.is_none()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CacheState {
    /// What does not change while the simulator runs (its policy and memory do).
    pub spec: CacheSpec,
    pub policy: String,
    /// The data set's share of maxmemory, before noise.
    pub memory_pct: f64,
    pub evictions_per_min: f64,
    pub writes_failing: bool,
    pub noise: f64,
    pub connections: f64,
}

impl CacheState {
    pub fn shown_memory_pct(&self) -> f64 {
        (self.memory_pct + self.noise).clamp(0.0, 100.0)
    }
}
