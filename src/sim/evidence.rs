//! The simulator's evidence: its tasks (running, starting, recently stopped)
//! and deployments as ECS would describe them, for the tasks and deployments
//! views.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::Simulator;
use super::state::{DeployRecord, Rollout, SvcState, Task, TaskState};
use crate::model::evidence::{
    CircuitBreaker, ContainerShape, ContainerState, DeploymentInfo, Deployments, Evidence,
    EvidenceKind, EvidenceRequest, LOG_LOOKBACK_S, LOG_READ_MAX, LogLine, LogMatches, LogQuery,
    LogTail, LogTarget, TaskDefDiff, TaskDefShape, TaskInfo, TaskList, fingerprint,
};
use crate::model::{FARGATE, FARGATE_SPOT, ServiceKey};
use crate::source::{EvidenceFuture, EvidenceReader, MatchesFuture};

const AZS: [&str; 3] = ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"];
/// The one container of every simulated task definition.
pub const CONTAINER: &str = "app";

impl Simulator {
    /// Evidence about one service now; an error names a service it does not know.
    pub fn evidence(&self, request: &EvidenceRequest) -> Result<Evidence, String> {
        let svc = self
            .services
            .iter()
            .find(|s| s.spec.key == request.service)
            .ok_or_else(|| format!("no service {} in the simulator", request.service))?;
        let start = self.scenario.start;
        Ok(match request.kind {
            EvidenceKind::Tasks => Evidence::Tasks(tasks_of(svc, start)),
            EvidenceKind::Deployments => Evidence::Deployments(deployments_of(svc, start)),
            EvidenceKind::Logs => Evidence::Logs(logs_of(svc, start, self.now(), request)),
        })
    }
}

impl Simulator {
    /// The service's log lines matching each query now (simulated time), over
    /// the lines it keeps (`LOGS_KEPT` a service, at most `LOGS_KEPT_S` back).
    pub fn log_matches(
        &self,
        service: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, String> {
        let svc = self
            .services
            .iter()
            .find(|s| &s.spec.key == service)
            .ok_or_else(|| format!("no service {service} in the simulator"))?;
        let (start, now) = (self.scenario.start, self.now());
        let lines = || {
            svc.logs
                .iter()
                .map(|l| (at(start, l.t), l.message.as_str()))
        };
        Ok(LogMatches {
            service: service.clone(),
            read_at: now,
            counts: queries
                .iter()
                .map(|q| (q.clone(), q.count(lines(), now)))
                .collect(),
        })
    }
}

fn at(start: DateTime<Utc>, t: i64) -> DateTime<Utc> {
    start + Duration::seconds(t)
}

/// ECS task ids are 32 hex digits; the first 8 are what events show.
pub fn task_id(id: u64) -> String {
    format!(
        "{:08x}{:024x}",
        id & 0xffff_ffff,
        u128::from(id.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & ((1u128 << 96) - 1)
    )
}

/// The simulated task definition name of a revision, as ECS spells it (`family:revision`).
pub(crate) fn task_def(key: &ServiceKey, revision: u32) -> String {
    format!("{}:{revision}", key.service)
}

fn base_info(svc: &SvcState, task: &Task, start: DateTime<Utc>) -> TaskInfo {
    TaskInfo {
        id: task_id(task.id),
        last_status: "RUNNING".into(),
        desired_status: "RUNNING".into(),
        health: Some("HEALTHY".into()),
        capacity_provider: if !svc.uses_strategy() {
            None
        } else if task.spot {
            Some(FARGATE_SPOT.into())
        } else {
            Some(FARGATE.into())
        },
        az: Some(AZS[(task.id % 3) as usize].into()),
        task_definition: task_def(&svc.spec.key, task.revision),
        created_at: Some(at(start, task.created_at)),
        started_at: task.started_at.map(|t| at(start, t)),
        stopped_at: None,
        stop_code: None,
        stopped_reason: None,
        containers: Vec::new(),
    }
}

fn tasks_of(svc: &SvcState, start: DateTime<Utc>) -> TaskList {
    let mut out: Vec<TaskInfo> = svc
        .tasks
        .iter()
        .map(|task| {
            let mut info = base_info(svc, task, start);
            match task.state {
                TaskState::Running => {}
                TaskState::Pending { .. } => {
                    info.last_status = "PENDING".into();
                    info.health = Some("UNKNOWN".into());
                }
                TaskState::Warned { stop_at } => {
                    info.last_status = "DEACTIVATING".into();
                    info.desired_status = "STOPPED".into();
                    info.stop_code = Some("SpotInterruption".into());
                    info.stopped_reason = Some(format!(
                        "Spot interruption warning: stops at {}",
                        at(start, stop_at).format("%H:%M:%S")
                    ));
                }
            }
            info
        })
        .collect();
    for s in &svc.stopped {
        let mut info = base_info(svc, &s.task, start);
        info.last_status = "STOPPED".into();
        info.desired_status = "STOPPED".into();
        info.health = Some("UNKNOWN".into());
        info.stopped_at = Some(at(start, s.stopped_at));
        info.stop_code = Some(s.why.code.into());
        info.stopped_reason = Some(s.why.reason.clone());
        info.containers = vec![ContainerState {
            name: CONTAINER.into(),
            exit_code: s.why.exit_code,
            reason: s.why.container_reason.clone(),
        }];
        out.push(info);
    }
    TaskList::new(out, 0)
}

/// The simulated task definition of a revision: the image tag follows the
/// revision; from revision 2 a feature-flag variable is added and the pool size changes.
pub fn task_def_shape(svc: &SvcState, revision: u32) -> TaskDefShape {
    let name = &svc.spec.key.service;
    let mut env: Vec<(&str, String)> = vec![
        ("LOG_LEVEL", "info".into()),
        (
            "QUEUE_URL",
            format!("https://sqs.ap-northeast-1.amazonaws.com/123456789012/{name}"),
        ),
        ("DB_PASSWORD", format!("secret-{name}")),
        (
            "DB_POOL_SIZE",
            if revision >= 2 { "30" } else { "20" }.into(),
        ),
    ];
    if revision >= 2 {
        env.push(("FEATURE_FLAGS", format!("release-{revision}")));
    }
    TaskDefShape {
        name: task_def(&svc.spec.key, revision),
        cpu: Some(format!("{}", (svc.spec.task_vcpu * 1024.0).round() as u32)),
        memory: Some(format!(
            "{}",
            (svc.spec.task_memory_gb * 1024.0).round() as u32
        )),
        containers: vec![ContainerShape {
            name: CONTAINER.into(),
            image: super::state::image(name, revision),
            env: env
                .into_iter()
                .map(|(k, v)| (k.to_string(), fingerprint(&v)))
                .collect(),
        }],
    }
}

/// The `awslogs` group of the seeds' task definitions: `/ecs/<service>`, prefix `ecs`.
fn log_target(svc: &SvcState) -> LogTarget {
    LogTarget::Awslogs {
        group: format!("/ecs/{}", svc.spec.key.service),
        stream_prefix: Some("ecs".into()),
        container: CONTAINER.into(),
    }
}

fn logs_of(
    svc: &SvcState,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    request: &EvidenceRequest,
) -> LogTail {
    let from = request
        .after
        .unwrap_or(now - Duration::seconds(LOG_LOOKBACK_S));
    let until = request.until.unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut lines: Vec<LogLine> = svc
        .logs
        .iter()
        .filter(|l| at(start, l.t) >= from && at(start, l.t) < until)
        .map(|l| LogLine {
            id: format!("{}-{:012}", svc.spec.key.service, l.n),
            at: at(start, l.t),
            stream: format!("ecs/{CONTAINER}/{}", task_id(l.task)),
            message: l.message.clone(),
        })
        .collect();
    let extra = lines.len().saturating_sub(LOG_READ_MAX);
    lines.drain(..extra);
    LogTail {
        target: log_target(svc),
        lines,
    }
}

fn deployments_of(svc: &SvcState, start: DateTime<Utc>) -> Deployments {
    let n = svc.deploys.len();
    let mut out = Vec::new();
    for (i, d) in svc.deploys.iter().enumerate().rev() {
        let primary = i + 1 == n;
        // The newest record of a revision owns its tasks.
        let owns = svc.deploys[i + 1..]
            .iter()
            .all(|l| l.revision != d.revision);
        let (running, pending) = if owns {
            let of_rev = svc.tasks.iter().filter(|t| t.revision == d.revision);
            let running = of_rev.clone().filter(|t| t.serving()).count() as u32;
            (running, of_rev.count() as u32 - running)
        } else {
            (0, 0)
        };
        let status = if primary {
            "PRIMARY"
        } else if owns && running + pending > 0 {
            "ACTIVE"
        } else {
            "INACTIVE"
        };
        out.push(deployment_info(svc, d, status, running, pending, start));
    }
    let diff = (n >= 2).then(|| {
        TaskDefDiff::between(
            &task_def_shape(svc, svc.deploys[n - 2].revision),
            &task_def_shape(svc, svc.deploys[n - 1].revision),
        )
    });
    Deployments {
        circuit_breaker: Some(CircuitBreaker {
            enable: svc.spec.deploy.circuit_breaker,
            rollback: svc.spec.deploy.circuit_breaker,
        }),
        deployments: out,
        diff,
    }
}

fn deployment_info(
    svc: &SvcState,
    d: &DeployRecord,
    status: &str,
    running: u32,
    pending: u32,
    start: DateTime<Utc>,
) -> DeploymentInfo {
    let (state, reason) = match &d.rollout {
        Rollout::InProgress => ("IN_PROGRESS", "ECS deployment in progress.".to_string()),
        Rollout::Completed => ("COMPLETED", "ECS deployment completed.".to_string()),
        Rollout::Failed(r) => ("FAILED", r.clone()),
    };
    DeploymentInfo {
        id: format!("ecs-svc/{:019}", d.id),
        status: status.into(),
        task_definition: task_def(&svc.spec.key, d.revision),
        rollout_state: Some(state.into()),
        rollout_reason: Some(reason),
        desired: if status == "PRIMARY" {
            svc.desired
        } else {
            running
        },
        running,
        pending,
        failed_tasks: d.failed_tasks,
        created_at: Some(at(start, d.created_at)),
        updated_at: Some(at(start, d.updated_at)),
    }
}

/// The simulator as an evidence reader: reads the shared simulator under its lock.
pub struct SimEvidence {
    sim: Arc<Mutex<Simulator>>,
}

impl SimEvidence {
    pub fn new(sim: Arc<Mutex<Simulator>>) -> Self {
        Self { sim }
    }
}

impl EvidenceReader for SimEvidence {
    fn read<'a>(&'a self, request: &'a EvidenceRequest) -> EvidenceFuture<'a> {
        Box::pin(async move {
            let sim = self.sim.lock().unwrap_or_else(|p| p.into_inner());
            sim.evidence(request)
        })
    }

    fn count_matches<'a>(
        &'a self,
        service: &'a ServiceKey,
        queries: &'a [LogQuery],
    ) -> MatchesFuture<'a> {
        Box::pin(async move {
            let sim = self.sim.lock().unwrap_or_else(|p| p.into_inner());
            sim.log_matches(service, queries)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::load_scenario;

    fn read(sim: &Simulator, kind: EvidenceKind, service: &str) -> Evidence {
        let key = sim
            .snapshot()
            .services
            .iter()
            .find(|s| s.key.service == service)
            .map(|s| s.key.clone())
            .expect("service");
        sim.evidence(&EvidenceRequest::new(kind, key))
            .expect("evidence")
    }

    #[test]
    fn bad_image_tasks_show_pull_errors_first() {
        let mut sim = Simulator::new(load_scenario("bad-image").unwrap(), 7);
        sim.advance(8 * 60);
        let Evidence::Tasks(list) = read(&sim, EvidenceKind::Tasks, "worker") else {
            panic!("tasks")
        };
        let first = &list.tasks[0];
        assert!(first.failed(), "{first:?}");
        assert_eq!(first.stop_code.as_deref(), Some("TaskFailedToStart"));
        assert!(
            first.why().contains("CannotPullContainerError"),
            "{}",
            first.why()
        );
        assert_eq!(first.task_definition, "worker:2");
        assert!(list.count(|t| t.last_status == "RUNNING") > 0);
    }

    #[test]
    fn bad_image_deployments_show_the_failed_rollout_and_diff() {
        let mut sim = Simulator::new(load_scenario("bad-image").unwrap(), 7);
        sim.advance(20 * 60);
        let Evidence::Deployments(d) = read(&sim, EvidenceKind::Deployments, "worker") else {
            panic!("deployments")
        };
        let failed = d
            .deployments
            .iter()
            .find(|d| d.rollout_state.as_deref() == Some("FAILED"))
            .expect("a failed rollout");
        assert_eq!(failed.task_definition, "worker:2");
        assert!(failed.failed_tasks >= 3, "{failed:?}");
        assert!(
            failed
                .rollout_reason
                .as_deref()
                .unwrap_or("")
                .contains("circuit breaker")
        );
        assert_eq!(d.deployments[0].status, "PRIMARY");
        assert_eq!(d.deployments[0].task_definition, "worker:1");
        let diff = d.diff.expect("diff");
        assert_eq!(
            (diff.from.as_str(), diff.to.as_str()),
            ("worker:2", "worker:1")
        );
        let text = format!("{diff:?}");
        assert!(
            text.contains("image app") && text.contains("FEATURE_FLAGS"),
            "{text}"
        );
        assert!(!text.contains("secret-worker"), "{text}");
    }

    #[test]
    fn spot_cascade_tasks_show_reclaims() {
        let mut sim = Simulator::new(load_scenario("spot-cascade").unwrap(), 7);
        sim.advance(40 * 60);
        let snap = sim.snapshot();
        let reclaimed = snap
            .services
            .iter()
            .filter_map(|s| {
                let Ok(Evidence::Tasks(list)) =
                    sim.evidence(&EvidenceRequest::new(EvidenceKind::Tasks, s.key.clone()))
                else {
                    return None;
                };
                Some(list.count(|t| t.stop_code.as_deref() == Some("SpotInterruption")))
            })
            .sum::<usize>();
        assert!(reclaimed > 0);
    }

    #[test]
    fn logs_follow_what_the_simulator_models() {
        let mut sim = Simulator::new(load_scenario("bad-image").unwrap(), 7);
        sim.advance(20 * 60);
        let Evidence::Logs(tail) = read(&sim, EvidenceKind::Logs, "worker") else {
            panic!("logs")
        };
        assert_eq!(
            tail.target.label(),
            "awslogs /ecs/worker ecs/app/*",
            "the seeds' group"
        );
        let text: Vec<&str> = tail.lines.iter().map(|l| l.message.as_str()).collect();
        assert!(
            text.iter().any(|m| m.contains("CannotPullContainerError")),
            "{text:#?}"
        );
        assert!(text.iter().any(|m| m.contains("HikariPool-1")), "{text:#?}");
        // A follow-up read from the newest line returns only that line's second and later.
        let key = sim.snapshot().services[0].key.clone();
        let newest = tail.lines.last().unwrap().at;
        let mut req = EvidenceRequest::new(EvidenceKind::Logs, key);
        req.service.service = "worker".into();
        req.after = Some(newest);
        let Ok(Evidence::Logs(more)) = sim.evidence(&req) else {
            panic!("logs")
        };
        assert!(more.lines.iter().all(|l| l.at >= newest));
        assert!(more.lines.len() < tail.lines.len());
        // A bounded read (a view opened at an event) stops before `until`.
        req.after = None;
        req.until = Some(newest);
        let Ok(Evidence::Logs(before)) = sim.evidence(&req) else {
            panic!("logs")
        };
        assert!(!before.lines.is_empty() && before.lines.iter().all(|l| l.at < newest));
    }

    /// Lines are kept for what `log_matches` can count (and half as much
    /// again), not until `LOGS_KEPT` of them pile up over days.
    #[test]
    fn a_services_lines_are_kept_an_hour_and_a_half() {
        use crate::sim::state::{LOGS_KEPT, LOGS_KEPT_S};
        let mut sim = Simulator::new(load_scenario("bad-image").unwrap(), 7);
        sim.advance(60);
        let start = sim.now().timestamp();
        let svc = &mut sim.services[0];
        // One line a minute for six hours: 360 lines written.
        for minute in 1..=360 {
            svc.log(start + minute * 60, 1, "a line");
        }
        let last = start + 360 * 60;
        let kept: Vec<i64> = svc.logs.iter().map(|l| l.t).collect();
        assert!(kept.len() < LOGS_KEPT);
        assert!(kept.iter().all(|&t| t >= last - LOGS_KEPT_S), "{kept:?}");
        assert_eq!(kept.len() as i64, LOGS_KEPT_S / 60 + 1);
    }

    #[test]
    fn log_matches_count_the_lines_the_simulator_wrote() {
        let query = |pattern: &str, minutes| LogQuery {
            pattern: pattern.into(),
            minutes,
        };
        let count = |scenario: &str, minutes: u32, service: &str, q: LogQuery| {
            let mut sim = Simulator::new(load_scenario(scenario).unwrap(), 7);
            sim.advance(minutes * 60);
            let key = sim
                .snapshot()
                .services
                .iter()
                .find(|s| s.key.service == service)
                .map(|s| s.key.clone())
                .unwrap();
            let got = sim.log_matches(&key, std::slice::from_ref(&q)).unwrap();
            assert_eq!(got.read_at, sim.now());
            got.count(&q).unwrap()
        };
        let pulls = count(
            "bad-image",
            10,
            "worker",
            query("CannotPullContainerError", 10),
        );
        assert!(pulls > 0);
        // Case-sensitive, as CloudWatch's quoted terms are.
        assert_eq!(
            count(
                "bad-image",
                10,
                "worker",
                query("cannotpullcontainererror", 10)
            ),
            0
        );
        let sigterms = count("spot-cascade", 10, "orchestrator", query("SIGTERM", 10));
        assert!(sigterms > 0);
        assert_eq!(count("calm", 10, "orchestrator", query("SIGTERM", 10)), 0);
    }

    #[test]
    fn unknown_service_is_an_error() {
        let sim = Simulator::new(load_scenario("calm").unwrap(), 7);
        let err = sim
            .evidence(&EvidenceRequest::new(
                EvidenceKind::Tasks,
                ServiceKey::new("nope", "nope"),
            ))
            .unwrap_err();
        assert!(err.contains("nope/nope"), "{err}");
    }
}
