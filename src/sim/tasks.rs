//! What ECS does with a service's tasks each step: start pending tasks after the
//! Fargate lag, reclaim Spot tasks after a 2-minute warning, keep the task count
//! at desired with the strategy's mix, and roll deployments in batches.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::events::EventLog;
use super::state::{DeployRecord, Rollout, StopWhy, SvcState, Task, TaskState};
use crate::model::evidence::ContainerState;
use crate::model::{DeploymentState, EventKind, FARGATE, FARGATE_SPOT, StrategyItem, TaskStop};

/// Fargate provisioning lag, seconds (seed 001: 60-120 s).
pub const START_LAG_S: (i64, i64) = (60, 120);
/// Spot reclaim warning.
pub const SPOT_WARNING_S: i64 = 120;
/// Pause after a failed start before ECS tries again.
const RETRY_BACKOFF_S: i64 = 30;
const PULL_ERROR: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref: not found";
const PULL_ERROR_SHORT: &str = "CannotPullContainerError: image tag not found";
const SPOT_REASON: &str = "Your Spot Task was interrupted.";

/// Everything a step needs besides the service itself.
pub struct Step<'a> {
    /// Seconds since start.
    pub t: i64,
    pub dt: i64,
    pub start: DateTime<Utc>,
    pub rng: &'a mut ChaCha8Rng,
    pub events: &'a mut EventLog,
    pub next_task_id: &'a mut u64,
}

impl Step<'_> {
    pub fn at(&self, t: i64) -> DateTime<Utc> {
        self.start + Duration::seconds(t)
    }
}

/// How ECS spreads `n` tasks over on-demand and Spot: bases first, then by weight.
pub fn split(strategy: &[StrategyItem], n: u32) -> (u32, u32) {
    let item = |p: &str| strategy.iter().find(|i| i.provider == p);
    let (od_base, od_w) = item(FARGATE).map_or((0, 0), |i| (i.base, i.weight));
    let (spot_base, spot_w) = item(FARGATE_SPOT).map_or((0, 0), |i| (i.base, i.weight));
    let od = od_base.min(n);
    let spot = spot_base.min(n - od);
    let rest = n - od - spot;
    let total_w = od_w + spot_w;
    let od_extra = if total_w == 0 {
        rest
    } else {
        ((f64::from(rest) * f64::from(od_w) / f64::from(total_w)).round() as u32).min(rest)
    };
    (od + od_extra, spot + rest - od_extra)
}

pub fn step_service(svc: &mut SvcState, spot_rate: f64, step: &mut Step) {
    settle_pending(svc, step);
    reclaim_spot(svc, spot_rate, step);
    reconcile(svc, step);
}

fn settle_pending(svc: &mut SvcState, step: &mut Step) {
    let t = step.t;
    let (mut started, mut started_spot, mut failed_ids) = (0u32, 0u32, Vec::new());
    let mut started_ids = Vec::new();
    for task in &mut svc.tasks {
        if let TaskState::Pending { ready_at, fails } = task.state
            && ready_at <= t
        {
            if fails {
                failed_ids.push(task.id);
            } else {
                task.state = TaskState::Running;
                task.started_at = Some(t);
                started_ids.push(task.id);
                started += 1;
                started_spot += u32::from(task.spot);
            }
        }
    }
    let failed = failed_ids.len() as u32;
    let app = app_name(&svc.spec.key.service);
    for id in started_ids {
        svc.log(
            t,
            id,
            format!("INFO  o.s.b.StartupInfoLogger : Started {app} in 8.4 seconds (process running for 9.1)"),
        );
    }
    let image = super::state::image(&svc.spec.key.service, svc.revision);
    for &id in &failed_ids {
        svc.log(
            t,
            id,
            format!(
                "ERROR CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found\n\tat ecs-agent pull (task stopped before the container started)"
            ),
        );
    }
    svc.stop_where(
        t,
        |task| failed_ids.contains(&task.id),
        |_| StopWhy {
            code: "TaskFailedToStart",
            reason: PULL_ERROR.into(),
            exit_code: None,
            container_reason: Some(PULL_ERROR_SHORT.into()),
        },
    );
    if let Some(d) = svc.primary_deploy() {
        d.failed_tasks += failed;
    }
    let key = svc.spec.key.clone();
    if started > 0 {
        let msg = format!(
            "service {} started {started} task(s) ({} FARGATE, {started_spot} FARGATE_SPOT)",
            key.service,
            started - started_spot
        );
        step.events
            .push(step.at(t), EventKind::TaskStarted, Some(&key), msg);
    }
    if failed > 0 {
        svc.deploy_failures += failed;
        svc.retry_after = t + RETRY_BACKOFF_S;
        let msg = format!(
            "service {} is unable to consistently start tasks successfully: {failed} task(s) stopped: {PULL_ERROR}",
            key.service
        );
        let stop = TaskStop {
            code: "TaskFailedToStart".into(),
            reason: PULL_ERROR.into(),
            tasks: failed_ids.iter().map(|id| short_task_id(*id)).collect(),
            containers: vec![ContainerState {
                name: super::evidence::CONTAINER.into(),
                exit_code: None,
                reason: Some(PULL_ERROR_SHORT.into()),
            }],
        };
        step.events
            .push_stop(step.at(t), EventKind::TaskFailed, &key, msg, stop);
        trip_circuit_breaker(svc, step);
    }
}

/// ECS's deployment circuit breaker (with rollback): after enough failed starts
/// in a deployment, roll back to the last revision that ran.
fn trip_circuit_breaker(svc: &mut SvcState, step: &mut Step) {
    if !svc.spec.deploy.circuit_breaker
        || !matches!(svc.deployment, DeploymentState::InProgress { .. })
    {
        return;
    }
    let threshold = (svc.desired.div_ceil(2)).clamp(3, 200);
    if svc.deploy_failures < threshold {
        return;
    }
    let previous = svc
        .tasks
        .iter()
        .filter(|t| t.revision != svc.revision && t.serving())
        .map(|t| t.revision)
        .max();
    let Some(previous) = previous else { return };
    let failed_rev = svc.revision;
    svc.revision = previous;
    let t = step.t;
    svc.stop_where(
        t,
        |task| task.revision != previous && !task.serving(),
        |_| scheduler_stop("deployment circuit breaker: rolling back", None),
    );
    let reason = format!(
        "circuit breaker: {} tasks failed to start in revision {failed_rev}; rolled back to {previous}",
        svc.deploy_failures
    );
    if let Some(d) = svc.primary_deploy() {
        d.rollout = Rollout::Failed(reason.clone());
        d.updated_at = t;
    }
    let id = deploy_id(t, previous);
    svc.deploys.push(DeployRecord {
        id,
        revision: previous,
        created_at: t,
        updated_at: t,
        rollout: Rollout::InProgress,
        failed_tasks: 0,
    });
    let key = svc.spec.key.clone();
    step.events.push(
        step.at(step.t),
        EventKind::Deployment,
        Some(&key),
        format!("(service {}) deployment failed: {reason}", key.service),
    );
    svc.deployment = DeploymentState::Failed { reason };
}

fn reclaim_spot(svc: &mut SvcState, rate_per_hour: f64, step: &mut Step) {
    let t = step.t;
    let p = rate_per_hour * step.dt as f64 / 3600.0;
    let key = svc.spec.key.clone();
    let mut stopped = Vec::new();
    for task in &mut svc.tasks {
        match task.state {
            TaskState::Warned { stop_at } if stop_at <= t => stopped.push(task.id),
            TaskState::Running if task.spot && p > 0.0 && step.rng.random::<f64>() < p => {
                task.state = TaskState::Warned {
                    stop_at: t + SPOT_WARNING_S,
                };
                let msg = format!(
                    "Spot interruption warning: task {} stops in 2 minutes",
                    short_task_id(task.id)
                );
                step.events
                    .push(step.at(t), EventKind::SpotWarning, Some(&key), msg);
            }
            _ => {}
        }
    }
    if stopped.is_empty() {
        return;
    }
    svc.stop_where(
        t,
        |task| stopped.contains(&task.id),
        |_| StopWhy {
            code: "SpotInterruption",
            reason: SPOT_REASON.into(),
            exit_code: Some(143),
            container_reason: None,
        },
    );
    for id in stopped {
        svc.log(
            t,
            id,
            "INFO  o.s.c.s.DefaultLifecycleProcessor : SIGTERM received (Spot interruption): draining in-flight requests",
        );
        svc.interruptions.push_back(t);
        let msg = format!(
            "stopped: SpotInterruption (Your Spot Task was interrupted.) task {}",
            short_task_id(id)
        );
        let stop = TaskStop {
            code: "SpotInterruption".into(),
            reason: SPOT_REASON.into(),
            tasks: vec![short_task_id(id)],
            containers: vec![ContainerState {
                name: super::evidence::CONTAINER.into(),
                exit_code: Some(143),
                reason: None,
            }],
        };
        step.events
            .push_stop(step.at(t), EventKind::SpotInterruption, &key, msg, stop);
    }
}

/// The application's name in its log lines: `manga-orchestrator` -> `MangaOrchestratorApplication`.
pub fn app_name(service: &str) -> String {
    let mut name: String = service
        .split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    name.push_str("Application");
    name
}

/// A deployment's id, as ECS spells them (`ecs-svc/` and 19 digits).
pub fn deploy_id(t: i64, revision: u32) -> u64 {
    (t.unsigned_abs() << 8 | u64::from(revision)) % 10_000_000_000_000_000_000
}

/// The reason ECS gives when its scheduler stops a task: the primary deployment's activity.
fn scaling_activity(svc: &SvcState) -> String {
    let id = svc.deploys.last().map_or(0, |d| d.id);
    format!("Scaling activity initiated by (deployment ecs-svc/{id:019})")
}

fn scheduler_stop(reason: &str, exit_code: Option<i32>) -> StopWhy {
    StopWhy {
        code: "ServiceSchedulerInitiated",
        reason: reason.to_string(),
        exit_code,
        container_reason: None,
    }
}

/// The first 8 hex digits of a task id, as the ECS console shortens them;
/// events lead with what happened, so the id goes last.
fn short_task_id(id: u64) -> String {
    format!("{:08x}", id & 0xffff_ffff)
}

fn reconcile(svc: &mut SvcState, step: &mut Step) {
    let current = svc.revision;
    let desired = svc.desired;
    let new_count = svc.tasks.iter().filter(|t| t.revision == current).count() as u32;
    let old_count = svc.tasks.len() as u32 - new_count;

    if old_count == 0 {
        if new_count < desired {
            launch(svc, desired - new_count, step);
        } else if new_count > desired {
            stop_excess(svc, new_count - desired, step);
        }
        finish_deployment(svc, step);
        return;
    }

    // Rolling deployment: stay within max_pct of desired, keep min_healthy_pct serving.
    let max_total = (desired * svc.spec.deploy.max_pct / 100).max(desired + 1);
    let min_healthy = (desired * svc.spec.deploy.min_healthy_pct).div_ceil(100);
    let total = new_count + old_count;
    if new_count < desired && total < max_total {
        launch(svc, (desired - new_count).min(max_total - total), step);
    } else if new_count > desired {
        stop_excess(svc, new_count - desired, step);
    }
    // Old tasks that never started can go at once.
    let by = scaling_activity(svc);
    svc.stop_where(
        step.t,
        |t| t.revision != current && !t.serving(),
        |_| scheduler_stop(&by, None),
    );
    let mut serving = svc.running();
    let mut victims = Vec::new();
    for task in svc.tasks.iter().filter(|t| t.revision != current) {
        if serving > min_healthy || serving > desired {
            victims.push(task.id);
            serving -= 1;
        }
    }
    svc.stop_where(
        step.t,
        |t| victims.contains(&t.id),
        |_| scheduler_stop(&by, Some(0)),
    );
    let updated = svc
        .tasks
        .iter()
        .filter(|t| t.revision == current && t.serving())
        .count() as u32;
    if svc.tasks.iter().any(|t| t.revision != current) {
        if !matches!(svc.deployment, DeploymentState::Failed { .. }) {
            svc.deployment = DeploymentState::InProgress {
                updated,
                total: desired,
            };
        }
    } else {
        finish_deployment(svc, step);
    }
}

fn finish_deployment(svc: &mut SvcState, step: &mut Step) {
    let DeploymentState::InProgress { .. } = svc.deployment else {
        return;
    };
    if svc.tasks.iter().any(|t| !t.serving()) {
        let updated = svc.running();
        svc.deployment = DeploymentState::InProgress {
            updated,
            total: svc.desired,
        };
        return;
    }
    svc.deployment = DeploymentState::Stable;
    svc.deploy_failures = 0;
    let t = step.t;
    if let Some(d) = svc.primary_deploy() {
        d.rollout = Rollout::Completed;
        d.updated_at = t;
    }
    let key = svc.spec.key.clone();
    step.events.push(
        step.at(step.t),
        EventKind::Deployment,
        Some(&key),
        format!(
            "(service {}) has reached a steady state. Deployment completed.",
            key.service
        ),
    );
}

fn launch(svc: &mut SvcState, n: u32, step: &mut Step) {
    let t = step.t;
    if n == 0 || t < svc.retry_after {
        return;
    }
    let current = svc.revision;
    let fails = svc.broken_revision == Some(current)
        || svc
            .spec
            .fail_new_tasks
            .is_some_and(|(from, until)| t >= from && until.is_none_or(|u| t < u));
    for _ in 0..n {
        let (mut od, mut spot) = (0u32, 0u32);
        for task in svc.tasks.iter().filter(|t| t.revision == current) {
            if task.spot {
                spot += 1;
            } else {
                od += 1;
            }
        }
        let want_spot = svc.uses_strategy() && split(&svc.strategy, od + spot + 1).1 > spot;
        let lag = if fails {
            step.rng.random_range(30..=75)
        } else {
            step.rng.random_range(START_LAG_S.0..=START_LAG_S.1)
        };
        *step.next_task_id += 1;
        svc.tasks.push(Task {
            id: *step.next_task_id,
            spot: want_spot,
            revision: current,
            state: TaskState::Pending {
                ready_at: t + lag,
                fails,
            },
            created_at: t,
            started_at: None,
        });
    }
}

/// Scale in: warned tasks first (going anyway), then pending, then running tasks
/// of whichever provider is over its share.
fn stop_excess(svc: &mut SvcState, n: u32, step: &mut Step) {
    let before = svc.tasks.len();
    for _ in 0..n {
        let current = svc.revision;
        let pick = |pred: &dyn Fn(&Task) -> bool| {
            svc.tasks
                .iter()
                .filter(|t| t.revision == current && pred(t))
                .map(|t| t.id)
                .max()
        };
        let spot_now = svc
            .tasks
            .iter()
            .filter(|t| t.revision == current && t.spot)
            .count() as u32;
        let remaining =
            (svc.tasks.iter().filter(|t| t.revision == current).count() as u32).saturating_sub(1);
        let spot_over = svc.uses_strategy() && spot_now > split(&svc.strategy, remaining).1;
        let victim = pick(&|t| matches!(t.state, TaskState::Warned { .. }))
            .or_else(|| pick(&|t| !t.serving()))
            .or_else(|| pick(&|t| t.spot == spot_over))
            .or_else(|| pick(&|_| true));
        let Some(id) = victim else { break };
        let by = scaling_activity(svc);
        svc.stop_where(
            step.t,
            |t| t.id == id,
            |t| scheduler_stop(&by, t.serving().then_some(0)),
        );
    }
    let stopped = before - svc.tasks.len();
    if stopped > 0 {
        let key = svc.spec.key.clone();
        let msg = format!(
            "(service {}) has stopped {stopped} task(s): scaling in to desired {}",
            key.service, svc.desired
        );
        step.events
            .push(step.at(step.t), EventKind::ServiceEvent, Some(&key), msg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_base_then_weights() {
        let s = vec![
            StrategyItem::new(FARGATE, 30, 3),
            StrategyItem::new(FARGATE_SPOT, 70, 0),
        ];
        assert_eq!(split(&s, 2), (2, 0));
        assert_eq!(split(&s, 3), (3, 0));
        assert_eq!(split(&s, 13), (6, 7));
        let od = vec![StrategyItem::new(FARGATE, 100, 10)];
        assert_eq!(split(&od, 40), (40, 0));
        let spot_only = vec![StrategyItem::new(FARGATE_SPOT, 1, 0)];
        assert_eq!(split(&spot_only, 5), (0, 5));
    }
}
