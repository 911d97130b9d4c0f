//! Evidence from ECS for one service, read only while a view asks: its tasks
//! (ListTasks RUNNING and STOPPED, then DescribeTasks 100 at a time) and its
//! deployments (one DescribeServices, and the two task definitions compared,
//! cached by ARN since they never change). Every call goes through the
//! session's `Calls`, so the views share the poller's limit on calls in flight.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_ecs::types::DesiredStatus;

use super::calls::{ApiError, all_pages, concurrently};
use super::clients::AwsClients;
use super::time;
use crate::model::ServiceKey;
use crate::model::evidence::{
    CircuitBreaker, ContainerShape, DeploymentInfo, Deployments, Evidence, EvidenceKind,
    EvidenceRequest, LOG_LOOKBACK_S, LOG_READ_MAX, LogLine, LogMatches, LogQuery, LogTail,
    LogTarget, TaskDefDiff, TaskDefShape, TaskInfo, TaskList, fingerprint,
};
use crate::source::{EvidenceFuture, EvidenceReader, MatchesFuture};

/// Tasks described per read at most; a bigger service shows the first ones and a count.
pub const MAX_TASKS: usize = 1000;
/// FilterLogEvents pages one log read follows at most; the next read goes on
/// from the newest line it got.
pub const LOG_PAGES: usize = 5;
/// FilterLogEvents pages one `log_matches` count follows at most; a busier
/// window is counted on what they held (a lower bound).
pub const MATCH_PAGES: usize = 10;

pub struct AwsEvidence {
    clients: AwsClients,
    /// Task definitions by the name they were asked by (ARN or `family:revision`).
    task_defs: Mutex<HashMap<String, TaskDefShape>>,
    /// Where each service logs, resolved on a tail's first read.
    log_targets: Mutex<HashMap<ServiceKey, LogTarget>>,
}

impl AwsEvidence {
    pub fn new(clients: AwsClients) -> Self {
        Self {
            clients,
            task_defs: Mutex::new(HashMap::new()),
            log_targets: Mutex::new(HashMap::new()),
        }
    }

    pub async fn tasks(&self, key: &ServiceKey) -> Result<TaskList, ApiError> {
        let c = &self.clients;
        let (mut running, stopped) = tokio::try_join!(
            list_tasks(c, key, DesiredStatus::Running),
            list_tasks(c, key, DesiredStatus::Stopped),
        )?;
        running.extend(stopped);
        let total = running.len();
        running.truncate(MAX_TASKS);
        let pages = concurrently(running.chunks(100).map(<[String]>::to_vec).map(|chunk| {
            c.calls.run(
                "ecs:DescribeTasks",
                c.ecs
                    .describe_tasks()
                    .cluster(&key.cluster)
                    .set_tasks(Some(chunk))
                    .send(),
            )
        }))
        .await?;
        let tasks = pages
            .iter()
            .flat_map(|p| p.tasks())
            .map(task_info)
            .collect();
        Ok(TaskList::new(tasks, (total - running.len()) as u32))
    }

    pub async fn deployments(&self, key: &ServiceKey) -> Result<Deployments, ApiError> {
        let c = &self.clients;
        let out = c
            .calls
            .run(
                "ecs:DescribeServices",
                c.ecs
                    .describe_services()
                    .cluster(&key.cluster)
                    .services(&key.service)
                    .send(),
            )
            .await?;
        let Some(svc) = out.services().first() else {
            return Err(ApiError {
                kind: crate::model::request::WriteErrorKind::NotFound,
                message: format!("ecs:DescribeServices: no service {key}"),
            });
        };
        let circuit_breaker = svc
            .deployment_configuration()
            .and_then(|d| d.deployment_circuit_breaker())
            .map(|b| CircuitBreaker {
                enable: b.enable(),
                rollback: b.rollback(),
            });
        let mut deployments: Vec<DeploymentInfo> = svc
            .deployments()
            .iter()
            .map(|d| DeploymentInfo {
                id: d.id().unwrap_or("?").to_string(),
                status: d.status().unwrap_or("?").to_string(),
                task_definition: short_def(d.task_definition().unwrap_or("?")),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_string()),
                rollout_reason: d.rollout_state_reason().map(str::to_string),
                desired: count(d.desired_count()),
                running: count(d.running_count()),
                pending: count(d.pending_count()),
                failed_tasks: count(d.failed_tasks()),
                created_at: d.created_at().map(time),
                updated_at: d.updated_at().map(time),
            })
            .collect();
        // PRIMARY first, then the newest.
        deployments.sort_by(|a, b| {
            (b.status == "PRIMARY")
                .cmp(&(a.status == "PRIMARY"))
                .then_with(|| b.created_at.cmp(&a.created_at))
        });
        let primary = svc
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .and_then(|d| d.task_definition())
            .or(svc.task_definition());
        let previous = svc
            .deployments()
            .iter()
            .filter(|d| d.status() != Some("PRIMARY"))
            .max_by_key(|d| d.created_at().map(|t| t.secs()))
            .and_then(|d| d.task_definition())
            .map(str::to_string)
            .or_else(|| primary.and_then(revision_before));
        let diff = match (primary, previous) {
            (Some(p), Some(b)) if short_def(p) != short_def(&b) => {
                // A previous revision that is gone (deregistered and deleted) leaves no diff.
                let (after, before) = tokio::join!(self.task_def(p), self.task_def(&b));
                match (before, after?) {
                    (Ok(before), after) => Some(TaskDefDiff::between(&before, &after)),
                    (Err(_), _) => None,
                }
            }
            _ => None,
        };
        Ok(Deployments {
            circuit_breaker,
            deployments,
            diff,
        })
    }

    /// New lines of the service's `awslogs` streams since `after` (the first
    /// read goes back `LOG_LOOKBACK_S`) and before `until` when given: FilterLogEvents on the group with the
    /// stream prefix `prefix/container/`, following the token (a page with no
    /// events may still carry one) for at most `LOG_PAGES` pages; the next read
    /// goes on from the newest line. Another log driver is reported, not read.
    pub async fn logs(
        &self,
        key: &ServiceKey,
        after: Option<chrono::DateTime<chrono::Utc>>,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<LogTail, ApiError> {
        // A tail's first read resolves the target again (a new deployment may log elsewhere).
        let target = self.target(key, after.is_none()).await?;
        let LogTarget::Awslogs {
            group,
            stream_prefix,
            container,
        } = &target
        else {
            return Ok(LogTail {
                target,
                lines: Vec::new(),
            });
        };
        let start = after
            .unwrap_or_else(|| chrono::Utc::now() - chrono::Duration::seconds(LOG_LOOKBACK_S))
            .timestamp_millis();
        let prefix = stream_prefix.as_ref().map(|p| format!("{p}/{container}/"));
        let c = &self.clients;
        let mut lines = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..LOG_PAGES {
            let page = c
                .calls
                .run(
                    "logs:FilterLogEvents",
                    c.logs
                        .filter_log_events()
                        .log_group_name(group)
                        .set_log_stream_name_prefix(prefix.clone())
                        .start_time(start)
                        .set_end_time(until.map(|u| u.timestamp_millis()))
                        .set_next_token(token.take())
                        .send(),
                )
                .await?;
            // The prefix is checked here too: not every server applies it (moto does not).
            let ours = |stream: &str| {
                prefix
                    .as_ref()
                    .is_none_or(|p| stream.starts_with(p.as_str()))
            };
            lines.extend(
                page.events()
                    .iter()
                    .filter(|e| ours(e.log_stream_name().unwrap_or("")))
                    .filter_map(|e| {
                        Some(LogLine {
                            id: e.event_id()?.to_string(),
                            at: chrono::DateTime::from_timestamp_millis(e.timestamp()?)?,
                            stream: e.log_stream_name().unwrap_or("").to_string(),
                            message: e.message().unwrap_or("").trim_end().to_string(),
                        })
                    }),
            );
            token = super::calls::next_page(page.next_token());
            if token.is_none() {
                break;
            }
        }
        let extra = lines.len().saturating_sub(LOG_READ_MAX);
        lines.drain(..extra);
        Ok(LogTail { target, lines })
    }

    /// Where the service logs: cached, or resolved (and cached) when `fresh`.
    async fn target(&self, key: &ServiceKey, fresh: bool) -> Result<LogTarget, ApiError> {
        let cached = self
            .log_targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned();
        match cached {
            Some(t) if !fresh => Ok(t),
            _ => {
                let t = self.log_target(key).await?;
                self.log_targets
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key.clone(), t.clone());
                Ok(t)
            }
        }
    }

    /// Lines of the service's `awslogs` streams matching each query over its
    /// window up to now: one FilterLogEvents a query with the pattern as a
    /// quoted term (CloudWatch matches it case-sensitively, as the simulator
    /// does), following the token for at most `MATCH_PAGES` pages. A service
    /// logging through another driver has nothing to count: an error says so.
    pub async fn log_matches(
        &self,
        key: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, ApiError> {
        let target = self.target(key, false).await?;
        let LogTarget::Awslogs {
            group,
            stream_prefix,
            container,
        } = &target
        else {
            return Err(ApiError {
                kind: crate::model::request::WriteErrorKind::NotFound,
                message: format!("{key}: {}: no log lines to count", target.label()),
            });
        };
        let prefix = stream_prefix.as_ref().map(|p| format!("{p}/{container}/"));
        let now = chrono::Utc::now();
        let counts: Vec<_> = queries
            .iter()
            .map(|q| self.count_matching(group, prefix.as_deref(), q, now))
            .collect();
        let counts = concurrently(counts).await?;
        Ok(LogMatches {
            service: key.clone(),
            read_at: now,
            counts,
        })
    }

    /// One query's count over its window up to `now`.
    async fn count_matching(
        &self,
        group: &str,
        prefix: Option<&str>,
        q: &LogQuery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(LogQuery, u64), ApiError> {
        let c = &self.clients;
        let start = now - chrono::Duration::minutes(i64::from(q.minutes));
        let mut count = 0u64;
        let mut token: Option<String> = None;
        for _ in 0..MATCH_PAGES {
            let page = c
                .calls
                .run(
                    "logs:FilterLogEvents",
                    c.logs
                        .filter_log_events()
                        .log_group_name(group)
                        .set_log_stream_name_prefix(prefix.map(str::to_string))
                        .filter_pattern(format!("\"{}\"", q.pattern))
                        .start_time(start.timestamp_millis())
                        .end_time(now.timestamp_millis())
                        .set_next_token(token.take())
                        .send(),
                )
                .await?;
            // Prefix and pattern are checked here too: not every server applies them.
            count += page
                .events()
                .iter()
                .filter(|e| {
                    prefix.is_none_or(|p| e.log_stream_name().unwrap_or("").starts_with(p))
                        && e.message().unwrap_or("").contains(&q.pattern)
                })
                .count() as u64;
            token = super::calls::next_page(page.next_token());
            if token.is_none() {
                break;
            }
        }
        Ok((q.clone(), count))
    }

    /// The log driver of the primary deployment's task definition: its first
    /// container that configures one.
    async fn log_target(&self, key: &ServiceKey) -> Result<LogTarget, ApiError> {
        let c = &self.clients;
        let out = c
            .calls
            .run(
                "ecs:DescribeServices",
                c.ecs
                    .describe_services()
                    .cluster(&key.cluster)
                    .services(&key.service)
                    .send(),
            )
            .await?;
        let Some(arn) = out.services().first().and_then(|s| {
            s.deployments()
                .iter()
                .find(|d| d.status() == Some("PRIMARY"))
                .and_then(|d| d.task_definition())
                .or(s.task_definition())
        }) else {
            return Ok(LogTarget::None);
        };
        let td = c
            .calls
            .run(
                "ecs:DescribeTaskDefinition",
                c.ecs.describe_task_definition().task_definition(arn).send(),
            )
            .await?;
        Ok(td.task_definition().map_or(LogTarget::None, log_target_of))
    }

    async fn task_def(&self, name: &str) -> Result<TaskDefShape, ApiError> {
        if let Some(shape) = self.cached(name) {
            return Ok(shape);
        }
        let c = &self.clients;
        let out = c
            .calls
            .run(
                "ecs:DescribeTaskDefinition",
                c.ecs
                    .describe_task_definition()
                    .task_definition(name)
                    .send(),
            )
            .await?;
        let shape = out.task_definition().map(shape).unwrap_or_default();
        self.task_defs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), shape.clone());
        Ok(shape)
    }

    fn cached(&self, name: &str) -> Option<TaskDefShape> {
        self.task_defs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }
}

impl EvidenceReader for AwsEvidence {
    fn read<'a>(&'a self, request: &'a EvidenceRequest) -> EvidenceFuture<'a> {
        Box::pin(async move {
            let key = &request.service;
            match request.kind {
                EvidenceKind::Tasks => self.tasks(key).await.map(Evidence::Tasks),
                EvidenceKind::Deployments => self.deployments(key).await.map(Evidence::Deployments),
                EvidenceKind::Logs => self
                    .logs(key, request.after, request.until)
                    .await
                    .map(Evidence::Logs),
            }
            .map_err(|e| e.message)
        })
    }

    fn count_matches<'a>(
        &'a self,
        service: &'a ServiceKey,
        queries: &'a [LogQuery],
    ) -> MatchesFuture<'a> {
        Box::pin(async move {
            self.log_matches(service, queries)
                .await
                .map_err(|e| e.message)
        })
    }
}

async fn list_tasks(
    c: &AwsClients,
    key: &ServiceKey,
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
                        .cluster(&key.cluster)
                        .service_name(&key.service)
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

fn task_info(t: &aws_sdk_ecs::types::Task) -> TaskInfo {
    let arn = t.task_arn().unwrap_or("?");
    TaskInfo {
        id: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        last_status: t.last_status().unwrap_or("?").to_string(),
        desired_status: t.desired_status().unwrap_or("?").to_string(),
        health: t.health_status().map(|h| h.as_str().to_string()),
        capacity_provider: t.capacity_provider_name().map(str::to_string),
        az: t.availability_zone().map(str::to_string),
        task_definition: short_def(t.task_definition_arn().unwrap_or("?")),
        created_at: t.created_at().map(time),
        started_at: t.started_at().map(time),
        stopped_at: t.stopped_at().map(time),
        stop_code: t.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: t.stopped_reason().map(str::to_string),
        containers: super::ecs::container_states(t),
    }
}

/// The first container's log configuration, as a log target.
pub fn log_target_of(td: &aws_sdk_ecs::types::TaskDefinition) -> LogTarget {
    for c in td.container_definitions() {
        let Some(cfg) = c.log_configuration() else {
            continue;
        };
        let container = c.name().unwrap_or("?").to_string();
        let options = cfg.options();
        let option = |k: &str| options.and_then(|o| o.get(k)).cloned();
        return match cfg.log_driver().as_str() {
            "awslogs" => match option("awslogs-group") {
                Some(group) => LogTarget::Awslogs {
                    group,
                    stream_prefix: option("awslogs-stream-prefix"),
                    container,
                },
                None => LogTarget::Other {
                    driver: "awslogs without awslogs-group".into(),
                    container,
                },
            },
            driver => LogTarget::Other {
                driver: driver.to_string(),
                container,
            },
        };
    }
    LogTarget::None
}

fn shape(td: &aws_sdk_ecs::types::TaskDefinition) -> TaskDefShape {
    TaskDefShape {
        name: format!("{}:{}", td.family().unwrap_or("?"), td.revision()),
        cpu: td.cpu().map(str::to_string),
        memory: td.memory().map(str::to_string),
        containers: td
            .container_definitions()
            .iter()
            .map(|c| ContainerShape {
                name: c.name().unwrap_or("?").to_string(),
                image: c.image().unwrap_or("?").to_string(),
                // Values go no further than this fingerprint.
                env: c
                    .environment()
                    .iter()
                    .filter_map(|kv| Some((kv.name()?.to_string(), fingerprint(kv.value()?))))
                    .chain(
                        c.secrets()
                            .iter()
                            .map(|s| (s.name().to_string(), fingerprint(s.value_from()))),
                    )
                    .collect(),
            })
            .collect(),
    }
}

/// `family:revision` from a task definition ARN (or the name itself).
pub(super) fn short_def(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// The ARN of the revision before this one, if there is one.
fn revision_before(arn: &str) -> Option<String> {
    let (head, rev) = arn.rsplit_once(':')?;
    let rev: u32 = rev.parse().ok()?;
    (rev > 1).then(|| format!("{head}:{}", rev - 1))
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_targets_from_the_task_definition() {
        use aws_sdk_ecs::types::{
            ContainerDefinition, LogConfiguration, LogDriver, TaskDefinition,
        };
        let td = |driver: LogDriver, opts: &[(&str, &str)]| {
            let mut cfg = LogConfiguration::builder().log_driver(driver);
            for (k, v) in opts {
                cfg = cfg.options(*k, *v);
            }
            TaskDefinition::builder()
                .container_definitions(ContainerDefinition::builder().name("sidecar").build())
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("app")
                        .log_configuration(cfg.build().unwrap())
                        .build(),
                )
                .build()
        };
        assert_eq!(
            log_target_of(&td(
                LogDriver::Awslogs,
                &[
                    ("awslogs-group", "/ecs/manga-orchestrator"),
                    ("awslogs-stream-prefix", "ecs"),
                ]
            ))
            .label(),
            "awslogs /ecs/manga-orchestrator ecs/app/*"
        );
        assert_eq!(
            log_target_of(&td(LogDriver::Awsfirelens, &[("Name", "datadog")])),
            LogTarget::Other {
                driver: "awsfirelens".into(),
                container: "app".into()
            }
        );
    }

    #[test]
    fn task_definition_names() {
        let arn = "arn:aws:ecs:ap-northeast-1:1:task-definition/worker:7";
        assert_eq!(short_def(arn), "worker:7");
        assert_eq!(
            revision_before(arn).as_deref(),
            Some("arn:aws:ecs:ap-northeast-1:1:task-definition/worker:6")
        );
        assert_eq!(revision_before("worker:1"), None);
    }
}
