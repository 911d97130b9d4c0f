//! ECS reads: clusters, services (10 per DescribeServices), tasks (100 per
//! DescribeTasks) and task definitions (immutable, so cached by ARN).

use std::collections::{BTreeMap, HashSet};

use aws_sdk_ecs::types::{
    CpuArchitecture, DeploymentRolloutState, DesiredStatus, ServiceField, TaskStopCode,
};

use tokio::sync::mpsc;

use super::calls::{ApiError, all_pages, concurrently, retry_throttled};
use super::clients::AwsClients;
use super::time;
use crate::model::evidence::ContainerState;
use crate::model::{
    Arch, CapacityMix, DeploymentState, EventKind, FARGATE_SPOT, FleetEvent, ServiceKey,
    StrategyItem, TaskStop,
};

/// Service events kept per read; ECS returns up to 100, newest first.
const EVENTS_PER_SERVICE: usize = 5;

#[derive(Clone, Debug, PartialEq)]
pub struct ClusterInfo {
    pub name: String,
    pub arn: Option<String>,
    pub running: u32,
    pub pending: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceInfo {
    pub key: ServiceKey,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub launch_type: Option<String>,
    pub strategy: Vec<StrategyItem>,
    pub task_definition: Option<String>,
    /// The newest ACTIVE (non-primary) deployment's task definition that still runs tasks.
    pub previous_task_definition: Option<String>,
    pub deployment: DeploymentState,
    pub tags: BTreeMap<String, String>,
    /// Recent service events with their ECS ids (for de-duplication).
    pub events: Vec<(String, FleetEvent)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskDef {
    pub vcpu: f64,
    pub memory_gb: f64,
    pub arch: Arch,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TaskCounts {
    pub running: u32,
    pub pending: u32,
    pub mix: CapacityMix,
}

#[derive(Debug, Default)]
pub struct TasksRead {
    pub counts: BTreeMap<ServiceKey, TaskCounts>,
    /// Task definitions whose size and architecture running tasks already told.
    pub shapes: Vec<(String, TaskDef)>,
    /// Every stopped task ARN listed now (seen or not).
    pub stopped: HashSet<String>,
    /// Spot interruptions and failures among stopped tasks not seen before.
    pub events: Vec<(String, FleetEvent)>,
}

/// The clusters to watch, by name: `wanted`, or every cluster listed. The
/// services and tasks are read from these names while the clusters are
/// described (`describe_clusters`), not after.
pub async fn cluster_names(c: &AwsClients, wanted: &[String]) -> Result<Vec<String>, ApiError> {
    let listed = if wanted.is_empty() {
        all_pages("ecs:ListClusters", |token| async move {
            let page = c
                .calls
                .run(
                    "ecs:ListClusters",
                    c.ecs
                        .list_clusters()
                        .max_results(100)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            Ok((
                page.cluster_arns().to_vec(),
                page.next_token().map(str::to_string),
            ))
        })
        .await?
    } else {
        wanted.to_vec()
    };
    // An ARN (`arn:aws:ecs:...:cluster/NAME`) or a name: the name.
    Ok(listed
        .iter()
        .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
        .collect())
}

/// The named clusters that are active, with their task counts; a name ECS
/// does not know is a warning.
pub async fn describe_clusters(
    c: &AwsClients,
    names: &[String],
) -> Result<(Vec<ClusterInfo>, Vec<String>), ApiError> {
    let pages = concurrently(names.chunks(100).map(<[String]>::to_vec).map(|chunk| {
        c.calls.run(
            "ecs:DescribeClusters",
            c.ecs.describe_clusters().set_clusters(Some(chunk)).send(),
        )
    }))
    .await?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for page in pages {
        for cl in page.clusters() {
            if cl.status().is_some_and(|s| s != "ACTIVE") {
                continue;
            }
            let Some(name) = cl.cluster_name() else {
                continue;
            };
            out.push(ClusterInfo {
                name: name.to_string(),
                arn: cl.cluster_arn().map(str::to_string),
                running: count(cl.running_tasks_count()),
                pending: count(cl.pending_tasks_count()),
            });
        }
        for f in page.failures() {
            warnings.push(format!(
                "cluster {} {}",
                f.arn().unwrap_or("?"),
                f.reason().unwrap_or("unreadable").to_lowercase()
            ));
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((out, warnings))
}

/// How far a read of the services has come, for the first screen of a
/// large account: rows appear as batches arrive.
#[derive(Debug)]
pub enum Progress {
    /// A cluster's services were listed: this many more to describe.
    Listed(usize),
    /// A batch was described.
    Described(Vec<ServiceInfo>),
}

/// Every active service of `clusters`, described with tags, batch by batch.
/// A throttled call is retried; a batch that still fails, or a cluster whose
/// listing fails, is reported in `missing` so the caller keeps those
/// services' last values: one failed batch of 200 never blanks the table.
/// `progress` hears of each page listed and batch described as it lands.
pub async fn services(
    c: &AwsClients,
    clusters: &[String],
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> ServicesRead {
    let per_cluster = futures_util::future::join_all(
        clusters
            .iter()
            .map(|cluster| cluster_services(c, cluster, progress)),
    )
    .await;
    let mut all = ServicesRead::default();
    for read in per_cluster {
        all.services.extend(read.services);
        all.missing.extend(read.missing);
    }
    all.services.sort_by(|a, b| a.key.cmp(&b.key));
    all
}

/// What one read of the services got, and what it could not.
#[derive(Debug, Default)]
pub struct ServicesRead {
    pub services: Vec<ServiceInfo>,
    pub missing: Vec<Missing>,
}

/// Services a read could not describe: a batch, or a whole cluster (`names` empty).
#[derive(Debug)]
pub struct Missing {
    pub cluster: String,
    pub names: Vec<String>,
    pub error: ApiError,
}

impl ServicesRead {
    /// The services to show: those read, plus the last known values of those
    /// that could not be, and a note of how many those are and why. An error
    /// when nothing at all was read.
    pub fn with_kept(
        self,
        previous: &[ServiceInfo],
    ) -> Result<(Vec<ServiceInfo>, Option<ApiError>), ApiError> {
        let Some(first) = self.missing.first() else {
            return Ok((self.services, None));
        };
        if self.services.is_empty() {
            return Err(first.error.clone());
        }
        let is_missing = |key: &ServiceKey| {
            self.missing.iter().any(|m| {
                m.cluster == key.cluster && (m.names.is_empty() || m.names.contains(&key.service))
            })
        };
        let kept: Vec<ServiceInfo> = previous
            .iter()
            .filter(|s| is_missing(&s.key))
            .cloned()
            .collect();
        let services: usize = self.missing.iter().map(|m| m.names.len()).sum();
        let clusters = self.missing.iter().filter(|m| m.names.is_empty()).count();
        let what = match (services, clusters) {
            (s, 0) => format!("{s} services"),
            (0, c) => format!("{c} cluster(s)"),
            (s, c) => format!("{s} services and {c} cluster(s)"),
        };
        let note = ApiError {
            kind: first.error.kind,
            message: format!(
                "{what} not read this refresh, {} kept from the last read: {}",
                kept.len(),
                first.error.message
            ),
        };
        let mut all = self.services;
        all.extend(kept);
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok((all, Some(note)))
    }
}

/// `arn:aws:ecs:region:account:service/cluster/name` (or an old-style ARN) -> `name`.
fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// One cluster's services: each page of the listing is described, in
/// batches of 10, as soon as it lands, while the next page is listed (a
/// cluster of 2,000 services is 20 pages: its first rows need not wait for
/// the last page). A listing that fails leaves the whole cluster to be kept.
async fn cluster_services(
    c: &AwsClients,
    cluster: &str,
    progress: Option<&mpsc::UnboundedSender<Progress>>,
) -> ServicesRead {
    use futures_util::StreamExt;
    let (batches_tx, batches_rx) = mpsc::unbounded_channel::<Vec<String>>();
    // The listing owns the sender: the describes end when it does.
    let list = async move {
        let batches = &batches_tx;
        all_pages("ecs:ListServices", |token| async move {
            let (arns, next) = retry_throttled(|| list_service_page(c, cluster, &token)).await?;
            if let Some(p) = progress {
                let _ = p.send(Progress::Listed(arns.len()));
            }
            for batch in arns.chunks(10) {
                let _ = batches.send(batch.to_vec());
            }
            Ok((Vec::<()>::new(), next))
        })
        .await
    };
    let describe = futures_util::stream::unfold(batches_rx, |mut rx| async move {
        rx.recv().await.map(|batch| (batch, rx))
    })
    .map(|batch| async move {
        let infos = describe_batch(c, cluster, &batch).await;
        if let (Some(p), Ok(infos)) = (progress, &infos) {
            let _ = p.send(Progress::Described(infos.clone()));
        }
        (batch, infos)
    })
    // The calls' permits bound what is in flight; the buckets, how fast.
    .buffer_unordered(super::calls::MAX_IN_FLIGHT)
    .collect::<Vec<_>>();
    let (listed, batches) = tokio::join!(list, describe);
    let mut read = ServicesRead::default();
    if let Err(error) = listed {
        read.missing.push(Missing {
            cluster: cluster.to_string(),
            names: Vec::new(),
            error,
        });
        return read;
    }
    for (batch, answer) in batches {
        match answer {
            Ok(infos) => read.services.extend(infos),
            Err(error) => read.missing.push(Missing {
                cluster: cluster.to_string(),
                names: batch.iter().map(|arn| name_of(arn).to_string()).collect(),
                error,
            }),
        }
    }
    read
}

/// Up to 10 services of a cluster, described with their tags. A service
/// deleted between List and Describe comes back as a failure: skipped.
async fn describe_batch(
    c: &AwsClients,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<ServiceInfo>, ApiError> {
    let out = retry_throttled(|| {
        c.calls.run(
            "ecs:DescribeServices",
            c.ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(arns.to_vec()))
                .include(ServiceField::Tags)
                .send(),
        )
    })
    .await?;
    Ok(out
        .services()
        .iter()
        .filter(|s| s.status() == Some("ACTIVE"))
        .filter_map(|s| service_info(cluster, s))
        .collect())
}

/// One page (up to 100) of a cluster's service ARNs, and the next page's token.
async fn list_service_page(
    c: &AwsClients,
    cluster: &str,
    token: &Option<String>,
) -> Result<(Vec<String>, Option<String>), ApiError> {
    let page = c
        .calls
        .run(
            "ecs:ListServices",
            c.ecs
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(token.clone())
                .send(),
        )
        .await?;
    Ok((
        page.service_arns().to_vec(),
        page.next_token().map(str::to_string),
    ))
}

fn service_info(cluster: &str, s: &aws_sdk_ecs::types::Service) -> Option<ServiceInfo> {
    let key = ServiceKey::new(cluster, s.service_name()?);
    let events = s
        .events()
        .iter()
        .take(EVENTS_PER_SERVICE)
        .filter_map(|e| {
            Some((
                e.id()?.to_string(),
                FleetEvent {
                    at: time(e.created_at()?),
                    kind: EventKind::ServiceEvent,
                    service: Some(key.clone()),
                    message: e.message().unwrap_or_default().to_string(),
                    stop: None,
                },
            ))
        })
        .collect();
    Some(ServiceInfo {
        desired: count(s.desired_count()),
        running: count(s.running_count()),
        pending: count(s.pending_count()),
        launch_type: s.launch_type().map(|l| l.as_str().to_string()),
        strategy: s
            .capacity_provider_strategy()
            .iter()
            .map(|i| StrategyItem {
                provider: i.capacity_provider().to_string(),
                weight: count(i.weight()),
                base: count(i.base()),
            })
            .collect(),
        task_definition: s.task_definition().map(str::to_string),
        previous_task_definition: previous_task_definition(s.deployments()),
        deployment: deployment_state(s.deployments()),
        tags: s
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect(),
        events,
        key,
    })
}

/// Where a rollback goes: the newest non-primary deployment with running tasks.
fn previous_task_definition(deployments: &[aws_sdk_ecs::types::Deployment]) -> Option<String> {
    deployments
        .iter()
        .filter(|d| d.status() != Some("PRIMARY") && d.running_count() > 0)
        .max_by_key(|d| d.created_at().map(|t| t.secs()))
        .and_then(|d| d.task_definition())
        .map(str::to_string)
}

fn deployment_state(deployments: &[aws_sdk_ecs::types::Deployment]) -> DeploymentState {
    let Some(primary) = deployments.iter().find(|d| d.status() == Some("PRIMARY")) else {
        return DeploymentState::Stable;
    };
    match primary.rollout_state() {
        Some(DeploymentRolloutState::Failed) => DeploymentState::Failed {
            reason: primary.rollout_state_reason().unwrap_or("").to_string(),
        },
        Some(DeploymentRolloutState::InProgress) if deployments.len() > 1 => {
            DeploymentState::InProgress {
                updated: count(primary.running_count()),
                total: count(primary.desired_count()),
            }
        }
        _ => DeploymentState::Stable,
    }
}

/// Describe task definitions not yet cached. Returns what was read and the first error.
pub async fn task_defs(
    c: &AwsClients,
    arns: Vec<String>,
) -> (Vec<(String, TaskDef)>, Option<ApiError>) {
    use futures_util::StreamExt;
    let results: Vec<Result<(String, TaskDef), ApiError>> =
        futures_util::stream::iter(arns.into_iter().map(|arn| async move {
            let out = c
                .calls
                .run(
                    "ecs:DescribeTaskDefinition",
                    c.ecs
                        .describe_task_definition()
                        .task_definition(&arn)
                        .send(),
                )
                .await?;
            let td = out.task_definition();
            let def = TaskDef {
                vcpu: parse_units(td.and_then(|t| t.cpu())) / 1024.0,
                memory_gb: parse_units(td.and_then(|t| t.memory())) / 1024.0,
                arch: match td
                    .and_then(|t| t.runtime_platform())
                    .and_then(|p| p.cpu_architecture())
                {
                    Some(CpuArchitecture::Arm64) => Arch::Arm64,
                    _ => Arch::X86_64,
                },
            };
            Ok((arn, def))
        }))
        .buffer_unordered(super::calls::MAX_IN_FLIGHT)
        .collect()
        .await;
    let mut defs = Vec::new();
    let mut first_error = None;
    for r in results {
        match r {
            Ok(d) => defs.push(d),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    (defs, first_error)
}

/// Running and pending tasks per service, and new stopped tasks worth an event.
pub async fn tasks(
    c: &AwsClients,
    clusters: &[String],
    seen_stopped: &HashSet<String>,
) -> Result<TasksRead, ApiError> {
    let per_cluster = concurrently(clusters.iter().cloned().map(|cluster| async move {
        let cluster = cluster.as_str();
        let (running, stopped) = tokio::try_join!(
            list_task_arns(c, cluster, DesiredStatus::Running),
            list_task_arns(c, cluster, DesiredStatus::Stopped),
        )?;
        let new_stopped: Vec<String> = stopped
            .iter()
            .filter(|a| !seen_stopped.contains(*a))
            .cloned()
            .collect();
        let (live, ended) = tokio::try_join!(
            describe_tasks(c, cluster, &running),
            describe_tasks(c, cluster, &new_stopped),
        )?;
        let mut read = TasksRead {
            shapes: live.iter().filter_map(task_shape).collect(),
            ..TasksRead::default()
        };
        for t in &live {
            let Some(key) = service_of(cluster, t.group()) else {
                continue;
            };
            let entry = read.counts.entry(key).or_default();
            if t.last_status() == Some("RUNNING") {
                entry.running += 1;
                if t.capacity_provider_name() == Some(FARGATE_SPOT) {
                    entry.mix.spot += 1;
                } else {
                    entry.mix.on_demand += 1;
                }
            } else {
                entry.pending += 1;
            }
        }
        read.events = ended
            .iter()
            .filter_map(|t| stopped_event(cluster, t))
            .collect();
        read.stopped = stopped.into_iter().collect();
        Ok(read)
    }))
    .await?;
    let mut all = TasksRead::default();
    for r in per_cluster {
        all.counts.extend(r.counts);
        all.shapes.extend(r.shapes);
        all.stopped.extend(r.stopped);
        all.events.extend(r.events);
    }
    Ok(all)
}

async fn list_task_arns(
    c: &AwsClients,
    cluster: &str,
    status: DesiredStatus,
) -> Result<Vec<String>, ApiError> {
    all_pages("ecs:ListTasks", |token| {
        let status = status.clone();
        async move {
            let page = c
                .calls
                .run(
                    "ecs:ListTasks",
                    c.ecs
                        .list_tasks()
                        .cluster(cluster)
                        .desired_status(status)
                        .max_results(100)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            Ok((
                page.task_arns().to_vec(),
                page.next_token().map(str::to_string),
            ))
        }
    })
    .await
}

async fn describe_tasks(
    c: &AwsClients,
    cluster: &str,
    arns: &[String],
) -> Result<Vec<aws_sdk_ecs::types::Task>, ApiError> {
    let pages = concurrently(arns.chunks(100).map(<[String]>::to_vec).map(|chunk| {
        c.calls.run(
            "ecs:DescribeTasks",
            c.ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk))
                .send(),
        )
    }))
    .await?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.tasks.unwrap_or_default())
        .collect())
}

/// A running task's definition size and CPU architecture (the
/// `ecs.cpu-architecture` attribute), which saves a DescribeTaskDefinition.
fn task_shape(t: &aws_sdk_ecs::types::Task) -> Option<(String, TaskDef)> {
    let arch = t
        .attributes()
        .iter()
        .find(|a| a.name() == "ecs.cpu-architecture")
        .and_then(|a| a.value())?;
    Some((
        t.task_definition_arn()?.to_string(),
        TaskDef {
            vcpu: parse_units(Some(t.cpu()?)) / 1024.0,
            memory_gb: parse_units(Some(t.memory()?)) / 1024.0,
            arch: if arch.eq_ignore_ascii_case("arm64") {
                Arch::Arm64
            } else {
                Arch::X86_64
            },
        },
    ))
}

/// Tasks started by a service carry the group `service:<name>`.
fn service_of(cluster: &str, group: Option<&str>) -> Option<ServiceKey> {
    group
        .and_then(|g| g.strip_prefix("service:"))
        .map(|name| ServiceKey::new(cluster, name))
}

/// Fargate Spot reclaims are stopped tasks with stopCode `SpotInterruption`;
/// failures are tasks that failed to start or whose essential container exited.
fn stopped_event(cluster: &str, t: &aws_sdk_ecs::types::Task) -> Option<(String, FleetEvent)> {
    let kind = match t.stop_code()? {
        TaskStopCode::SpotInterruption => EventKind::SpotInterruption,
        TaskStopCode::TaskFailedToStart | TaskStopCode::EssentialContainerExited => {
            EventKind::TaskFailed
        }
        _ => return None,
    };
    let arn = t.task_arn()?.to_string();
    let at = t
        .stopped_at()
        .or(t.stopping_at())
        .or(t.created_at())
        .map(time)?;
    let id = arn.rsplit('/').next().unwrap_or(&arn);
    let reason = t.stopped_reason().unwrap_or("no reason given");
    let mut event = FleetEvent::new(
        at,
        kind,
        service_of(cluster, t.group()),
        // What happened first: the pane cuts long lines at its edge.
        format!("stopped: {reason} task {}", id.get(..8).unwrap_or(id)),
    );
    event.stop = Some(TaskStop {
        code: t.stop_code()?.as_str().to_string(),
        reason: reason.to_string(),
        tasks: vec![id.to_string()],
        containers: container_states(t),
    });
    Some((arn.clone(), event))
}

/// Each container's name, exit code and reason, as a stopped task tells them.
pub fn container_states(t: &aws_sdk_ecs::types::Task) -> Vec<ContainerState> {
    t.containers()
        .iter()
        .map(|c| ContainerState {
            name: c.name().unwrap_or("?").to_string(),
            exit_code: c.exit_code(),
            reason: c.reason().map(str::to_string),
        })
        .collect()
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// `"1024"` or `"1 vCPU"`/`"2 GB"` as ECS units (CPU units, MiB).
fn parse_units(text: Option<&str>) -> f64 {
    let Some(text) = text else { return 0.0 };
    let lower = text.trim().to_ascii_lowercase();
    let number: String = lower
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let value: f64 = number.parse().unwrap_or(0.0);
    if lower.ends_with("vcpu") || lower.ends_with("gb") {
        value * 1024.0
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Deployment;

    fn deployment(status: &str, def: &str, running: i32, created_s: i64) -> Deployment {
        Deployment::builder()
            .status(status)
            .task_definition(def)
            .running_count(running)
            .created_at(aws_smithy_types::DateTime::from_secs(created_s))
            .build()
    }

    #[test]
    fn a_rollback_goes_to_the_newest_older_deployment_that_runs_tasks() {
        let arn = |rev: u32| format!("arn:aws:ecs:us-east-1:1:task-definition/worker:{rev}");
        let deployments = [
            deployment("PRIMARY", &arn(3), 0, 300),
            deployment("ACTIVE", &arn(2), 4, 200),
            deployment("ACTIVE", &arn(1), 2, 100),
        ];
        assert_eq!(previous_task_definition(&deployments), Some(arn(2)));
        let drained = [
            deployment("PRIMARY", &arn(3), 0, 300),
            deployment("ACTIVE", &arn(2), 0, 200),
        ];
        assert_eq!(previous_task_definition(&drained), None);
        assert_eq!(previous_task_definition(&[]), None);
    }

    #[test]
    fn units_parse_both_forms() {
        assert_eq!(parse_units(Some("1024")), 1024.0);
        assert_eq!(parse_units(Some("0.5 vCPU")), 512.0);
        assert_eq!(parse_units(Some("2 GB")), 2048.0);
        assert_eq!(parse_units(None), 0.0);
    }

    #[test]
    fn task_group_names_the_service() {
        assert_eq!(
            service_of("manga", Some("service:api")),
            Some(ServiceKey::new("manga", "api"))
        );
        assert_eq!(service_of("manga", Some("family:batch")), None);
    }

    #[test]
    fn deployment_state_from_primary() {
        use aws_sdk_ecs::types::Deployment;
        let primary = |state| {
            Deployment::builder()
                .status("PRIMARY")
                .rollout_state(state)
                .running_count(3)
                .desired_count(10)
                .rollout_state_reason("circuit breaker")
                .build()
        };
        let old = Deployment::builder().status("ACTIVE").build();
        assert_eq!(
            deployment_state(&[primary(DeploymentRolloutState::InProgress), old]),
            DeploymentState::InProgress {
                updated: 3,
                total: 10
            }
        );
        assert_eq!(
            deployment_state(&[primary(DeploymentRolloutState::Failed)]),
            DeploymentState::Failed {
                reason: "circuit breaker".into()
            }
        );
        assert_eq!(
            deployment_state(&[primary(DeploymentRolloutState::Completed)]),
            DeploymentState::Stable
        );
    }

    #[test]
    fn only_spot_reclaims_and_failures_become_events() {
        use aws_sdk_ecs::types::Task;
        let task = |code| {
            Task::builder()
                .task_arn("arn:aws:ecs:us-east-1:1:task/manga/abc123")
                .group("service:orchestrator")
                .stop_code(code)
                .stopped_reason("why")
                .stopped_at(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                .build()
        };
        let (_, spot) = stopped_event("manga", &task(TaskStopCode::SpotInterruption)).unwrap();
        assert_eq!(spot.kind, EventKind::SpotInterruption);
        assert_eq!(spot.service, Some(ServiceKey::new("manga", "orchestrator")));
        assert_eq!(spot.message, "stopped: why task abc123");
        let (_, failed) = stopped_event("manga", &task(TaskStopCode::TaskFailedToStart)).unwrap();
        assert_eq!(failed.kind, EventKind::TaskFailed);
        assert!(stopped_event("manga", &task(TaskStopCode::UserInitiated)).is_none());
    }
}
