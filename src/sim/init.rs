//! A service's and a cache's state at the start of a scenario: sized for the
//! load at the start time, tasks already running with the strategy's mix.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::fleet::{self, ServiceSpec};
use super::scenario::Scenario;
use super::state::{CacheState, DeployRecord, Rollout, ScalingState, SvcState, Task, TaskState};
use super::{tasks, traffic};
use crate::model::{DeploymentState, ServiceMetrics};

pub fn service(
    spec: &ServiceSpec,
    scenario: &Scenario,
    rng: &mut ChaCha8Rng,
    next_task_id: &mut u64,
) -> SvcState {
    let load = spec.peak_load * traffic::diurnal(scenario.start);
    let scaling = spec.scaling.as_ref().map(|sc| ScalingState {
        min: sc.min,
        max: sc.max,
        suspended: sc.suspended,
        policies: sc.policies.clone(),
        scheduled: sc.scheduled.iter().map(|a| (a.clone(), 0)).collect(),
        last_scale_out: None,
        last_scale_in: None,
        minutes: VecDeque::new(),
        minute_sum: 0.0,
        minute_samples: 0,
    });
    let sized = (load / 0.6).ceil() as u32;
    let desired = spec.desired.unwrap_or(match &scaling {
        Some(sc) => sized.clamp(sc.min, sc.max),
        None => sized.max(1),
    });
    let uses_strategy = spec.launch_type.is_none();
    let (_, spot) = if uses_strategy {
        tasks::split(&spec.strategy, desired)
    } else {
        (desired, 0)
    };
    let tasks = (0..desired)
        .map(|i| {
            *next_task_id += 1;
            Task {
                id: *next_task_id,
                spot: i < spot,
                revision: 1,
                state: TaskState::Running,
                // Up since the last release, a day or so before the scenario.
                created_at: -86_400 - (*next_task_id % 3_600) as i64 - 90,
                started_at: Some(-86_400 - (*next_task_id % 3_600) as i64),
            }
        })
        .collect();
    SvcState {
        base_size: (spec.task_vcpu, spec.task_memory_gb),
        spec: spec.clone(),
        desired,
        strategy: spec.strategy.clone(),
        launch_type: spec.launch_type.clone(),
        scaling,
        tasks,
        revision: 1,
        deployment: DeploymentState::Stable,
        deploy_failures: 0,
        broken_revision: None,
        retry_after: 0,
        noise: (rng.random::<f64>() - 0.5) * 0.04,
        load,
        metrics: ServiceMetrics::default(),
        interruptions: VecDeque::new(),
        stopped: VecDeque::new(),
        logs: VecDeque::new(),
        next_log: 0,
        deploys: vec![DeployRecord {
            id: *next_task_id ^ 0x5eed,
            revision: 1,
            created_at: -86_400 - 3_600 - 600,
            updated_at: -86_400,
            rollout: Rollout::Completed,
            failed_tasks: 0,
        }],
    }
}

pub fn cache(spec: &fleet::CacheSpec) -> CacheState {
    CacheState {
        spec: spec.clone(),
        policy: spec.policy.clone(),
        memory_pct: spec.memory_pct,
        evictions_per_min: 0.0,
        writes_failing: false,
        noise: 0.0,
        connections: 0.0,
    }
}
