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
    pub desired: u32,
    pub strategy: Vec<StrategyItem>,
    pub launch_type: Option<String>,
    pub scaling: Option<ScalingState>,
    pub tasks: Vec<Task>,
    pub revision: u32,
    pub deployment: DeploymentState,
    pub deploy_failures: u32,
    /// No launches before this time (ECS backs off after failed starts).
    pub retry_after: i64,
    /// Slow random walk multiplying the load.
    pub noise: f64,
    pub load: f64,
    pub metrics: ServiceMetrics,
    /// When Spot tasks of this service were reclaimed, for the error rate.
    pub interruptions: VecDeque<i64>,
}

impl SvcState {
    pub fn running(&self) -> u32 {
        self.tasks.iter().filter(|t| t.serving()).count() as u32
    }

    pub fn pending(&self) -> u32 {
        self.tasks.len() as u32 - self.running()
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
