//! The tasks and deployments views' AWS reads against aws-smithy-mocks (moto's
//! DescribeTasks answers container cpu as a number the SDK rejects): a
//! 500-task service read in batches with its calls counted, stop codes and
//! exit codes, deployments with the circuit breaker and a task definition
//! diff that names environment keys and never their values, and
//! `log_matches`' FilterLogEvents (the pattern quoted, the window, the page cap).

use std::time::Duration;

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    Container, ContainerDefinition, Deployment, DeploymentCircuitBreaker, DeploymentConfiguration,
    DeploymentRolloutState, DesiredStatus, HealthStatus, KeyValuePair, LogConfiguration, LogDriver,
    Secret, Service, Task, TaskDefinition, TaskStopCode,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use sitrep::model::ServiceKey;
use sitrep::model::evidence::{Evidence, EvidenceKind, EvidenceRequest, LogQuery};
use sitrep::source::EvidenceReader;
use sitrep::source::aws::{AwsClients, AwsEvidence};

const ARN: &str = "arn:aws:ecs:ap-northeast-1:123456789012";
const RUNNING: usize = 480;
const STOPPED: usize = 40;

fn page(all: &[String], token: Option<&str>) -> (Vec<String>, Option<String>) {
    let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + 100).min(all.len());
    let next = (end < all.len()).then(|| end.to_string());
    (all[start..end].to_vec(), next)
}

fn task_arn(i: usize) -> String {
    format!("{ARN}:task/manga-chatbot/{i:08x}000000000000000000000000")
}

/// Stopped tasks: every fourth an OOM kill, the rest failed pulls and Spot reclaims.
fn task(i: usize) -> Task {
    let b = Task::builder()
        .task_arn(task_arn(i))
        .group("service:worker")
        .task_definition_arn(format!("{ARN}:task-definition/worker:{}", 7 + i % 2))
        .availability_zone("ap-northeast-1a")
        .capacity_provider_name(if i.is_multiple_of(3) {
            "FARGATE_SPOT"
        } else {
            "FARGATE"
        })
        .created_at(DateTime::from_secs(1_800_000_000))
        .started_at(DateTime::from_secs(1_800_000_060));
    if i < RUNNING {
        return b
            .last_status("RUNNING")
            .desired_status("RUNNING")
            .health_status(HealthStatus::Healthy)
            .build();
    }
    let b = b
        .last_status("STOPPED")
        .desired_status("STOPPED")
        .stopped_at(DateTime::from_secs(1_800_000_000 + i as i64));
    match i % 4 {
        0 => b
            .stop_code(TaskStopCode::EssentialContainerExited)
            .stopped_reason("Essential container in task exited")
            .containers(
                Container::builder()
                    .name("app")
                    .exit_code(137)
                    .reason("OutOfMemoryError: Container killed due to memory usage")
                    .build(),
            )
            .build(),
        1 => b
            .stop_code(TaskStopCode::TaskFailedToStart)
            .stopped_reason(
                "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
            )
            .build(),
        _ => b
            .stop_code(TaskStopCode::SpotInterruption)
            .stopped_reason("Your Spot Task was interrupted.")
            .build(),
    }
}

fn task_def(rev: i32, image: &str, pool: &str, extra: Option<&str>) -> TaskDefinition {
    let mut c = ContainerDefinition::builder()
        .name("app")
        .image(image)
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/worker")
                .options("awslogs-stream-prefix", "ecs")
                .build()
                .unwrap(),
        )
        .environment(
            KeyValuePair::builder()
                .name("DB_POOL_SIZE")
                .value(pool)
                .build(),
        )
        .environment(
            KeyValuePair::builder()
                .name("API_TOKEN")
                .value("tok-very-secret")
                .build(),
        )
        .secrets(
            Secret::builder()
                .name("DB_PASSWORD")
                .value_from("arn:aws:secretsmanager:ap-northeast-1:1:secret:db")
                .build()
                .unwrap(),
        );
    if let Some(k) = extra {
        c = c.environment(KeyValuePair::builder().name(k).value("on").build());
    }
    TaskDefinition::builder()
        .family("worker")
        .revision(rev)
        .cpu(if rev == 8 { "2048" } else { "1024" })
        .memory("4096")
        .container_definitions(c.build())
        .build()
}

fn rules() -> Vec<Rule> {
    let running: Vec<String> = (0..RUNNING).map(task_arn).collect();
    let stopped: Vec<String> = (RUNNING..RUNNING + STOPPED).map(task_arn).collect();
    let list = mock!(Client::list_tasks)
        .match_requests(|r| {
            r.service_name() == Some("worker") && r.cluster() == Some("manga-chatbot")
        })
        .then_compute_output(move |req| {
            let all = if req.desired_status() == Some(&DesiredStatus::Stopped) {
                &stopped
            } else {
                &running
            };
            let (arns, next) = page(all, req.next_token());
            aws_sdk_ecs::operation::list_tasks::ListTasksOutput::builder()
                .set_task_arns(Some(arns))
                .set_next_token(next)
                .build()
        });
    let describe = mock!(Client::describe_tasks).then_compute_output(|req| {
        assert!(req.tasks().len() <= 100, "DescribeTasks takes 100 at most");
        let tasks = req
            .tasks()
            .iter()
            .map(|arn| {
                let hex = arn.rsplit('/').next().unwrap();
                task(usize::from_str_radix(&hex[..8], 16).unwrap())
            })
            .collect();
        aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput::builder()
            .set_tasks(Some(tasks))
            .build()
    });
    let services = mock!(Client::describe_services).then_compute_output(|_| {
        let dep = |id: &str, status: &str, rev: i32, state, reason: &str, failed, at| {
            Deployment::builder()
                .id(id)
                .status(status)
                .task_definition(format!("{ARN}:task-definition/worker:{rev}"))
                .rollout_state(state)
                .rollout_state_reason(reason)
                .desired_count(10)
                .running_count(if status == "PRIMARY" { 2 } else { 8 })
                .pending_count(3)
                .failed_tasks(failed)
                .created_at(DateTime::from_secs(at))
                .build()
        };
        aws_sdk_ecs::operation::describe_services::DescribeServicesOutput::builder()
            .services(
                Service::builder()
                    .service_name("worker")
                    .status("ACTIVE")
                    .task_definition(format!("{ARN}:task-definition/worker:8"))
                    .deployment_configuration(
                        DeploymentConfiguration::builder()
                            .deployment_circuit_breaker(
                                DeploymentCircuitBreaker::builder()
                                    .enable(true)
                                    .rollback(true)
                                    .build(),
                            )
                            .build(),
                    )
                    .deployments(dep(
                        "ecs-svc/1",
                        "ACTIVE",
                        7,
                        DeploymentRolloutState::Completed,
                        "ECS deployment completed.",
                        0,
                        1_799_000_000,
                    ))
                    .deployments(dep(
                        "ecs-svc/2",
                        "PRIMARY",
                        8,
                        DeploymentRolloutState::InProgress,
                        "ECS deployment in progress.",
                        6,
                        1_800_000_000,
                    ))
                    .build(),
            )
            .build()
    });
    let defs = mock!(Client::describe_task_definition).then_compute_output(|req| {
        let def = if req.task_definition().unwrap_or("").ends_with(":8") {
            task_def(8, "repo/worker:1.9.0", "30", Some("FEATURE_FLAGS"))
        } else {
            task_def(7, "repo/worker:1.8.2", "20", None)
        };
        aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput::builder()
            .task_definition(def)
            .build()
    });
    vec![list, describe, services, defs]
}

fn clients() -> AwsClients {
    let ecs = rules();
    AwsClients::from_clients(
        mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &ecs, |b| b
            .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())),
        mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, &[]),
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &[]),
        mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, &[]),
        Duration::from_secs(5),
    )
}

fn request(kind: EvidenceKind) -> EvidenceRequest {
    EvidenceRequest::new(kind, ServiceKey::new("manga-chatbot", "worker"))
}

#[tokio::test]
async fn a_500_task_service_is_read_in_batches_failing_first() {
    let c = clients();
    let reader = AwsEvidence::new(c.clone());
    let Evidence::Tasks(list) = reader.read(&request(EvidenceKind::Tasks)).await.unwrap() else {
        panic!("tasks")
    };
    assert_eq!(list.tasks.len(), RUNNING + STOPPED);
    assert_eq!(list.more, 0);
    // 5 + 1 pages of ListTasks, 520 tasks in 6 DescribeTasks: no call per task.
    let calls = c.calls.take();
    assert_eq!(calls.get("ecs:ListTasks"), Some(&6), "{calls:?}");
    assert_eq!(calls.get("ecs:DescribeTasks"), Some(&6), "{calls:?}");
    let first = &list.tasks[0];
    assert!(first.failed(), "{first:?}");
    let oom = list
        .tasks
        .iter()
        .find(|t| t.stop_code.as_deref() == Some("EssentialContainerExited"))
        .unwrap();
    assert!(
        oom.why().contains("app exit 137 (OutOfMemoryError"),
        "{}",
        oom.why()
    );
    let pull = list
        .tasks
        .iter()
        .find(|t| t.stop_code.as_deref() == Some("TaskFailedToStart"))
        .unwrap();
    assert!(pull.why().contains("CannotPullContainerError"));
    let failing = list.count(|t| t.failed());
    assert!(list.tasks[..failing].iter().all(|t| t.failed()));
    assert_eq!(
        list.tasks[failing].stop_code.as_deref(),
        Some("SpotInterruption")
    );
    let running = list
        .tasks
        .iter()
        .find(|t| t.last_status == "RUNNING")
        .unwrap();
    assert_eq!(running.health.as_deref(), Some("HEALTHY"));
    assert_eq!(running.az.as_deref(), Some("ap-northeast-1a"));
    assert!(running.revision().is_some());
}

#[tokio::test]
async fn deployments_with_breaker_and_a_keys_only_diff() {
    let c = clients();
    let reader = AwsEvidence::new(c.clone());
    let req = request(EvidenceKind::Deployments);
    let read = || reader.read(&req);
    let Evidence::Deployments(d) = read().await.unwrap() else {
        panic!("deployments")
    };
    assert_eq!(d.deployments[0].status, "PRIMARY");
    assert_eq!(d.deployments[0].task_definition, "worker:8");
    assert_eq!(d.deployments[0].failed_tasks, 6);
    assert_eq!(
        d.deployments[0].rollout_state.as_deref(),
        Some("IN_PROGRESS")
    );
    assert_eq!(
        sitrep::model::evidence::CircuitBreaker::label(d.circuit_breaker),
        "on, with rollback"
    );
    let diff = d.diff.expect("a diff between worker:7 and worker:8");
    assert_eq!(
        (diff.from.as_str(), diff.to.as_str()),
        ("worker:7", "worker:8")
    );
    let text = format!("{:?}", diff.changes);
    assert!(text.contains("repo/worker:1.9.0"), "{text}");
    assert!(
        text.contains("FEATURE_FLAGS") && text.contains("DB_POOL_SIZE"),
        "{text}"
    );
    assert!(text.contains("2048"), "{text}");
    assert!(
        !text.contains("API_TOKEN") && !text.contains("DB_PASSWORD"),
        "unchanged keys stay out: {text}"
    );
    assert!(
        !text.contains("tok-very-secret") && !text.contains("secretsmanager"),
        "{text}"
    );
    let calls = c.calls.take();
    assert_eq!(calls.get("ecs:DescribeServices"), Some(&1), "{calls:?}");
    assert_eq!(
        calls.get("ecs:DescribeTaskDefinition"),
        Some(&2),
        "{calls:?}"
    );
    // Task definitions never change: the next read describes only the service.
    read().await.unwrap();
    let calls = c.calls.take();
    assert_eq!(calls.get("ecs:DescribeTaskDefinition"), None, "{calls:?}");
    assert_eq!(calls.get("ecs:DescribeServices"), Some(&1), "{calls:?}");
}

/// `log_matches` sends the pattern as a quoted term over the window on the
/// app container's streams, and follows the token for at most 10 pages: a
/// busier window counts what those held.
#[tokio::test]
async fn log_matches_filters_the_window_and_stops_at_the_page_cap() {
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use aws_sdk_cloudwatchlogs::types::FilteredLogEvent;
    let filter = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
        .match_requests(|r| {
            r.log_group_name() == Some("/ecs/worker")
                && r.log_stream_name_prefix() == Some("ecs/app/")
                && r.end_time().zip(r.start_time()).map(|(e, s)| e - s) == Some(10 * 60_000)
        })
        .then_compute_output(|r| {
            let pattern = r.filter_pattern().unwrap_or("").to_string();
            let event = |id: &str, message: &str| {
                FilteredLogEvent::builder()
                    .event_id(id)
                    .log_stream_name("ecs/app/0123")
                    .timestamp(r.start_time().unwrap() + 1000)
                    .message(message)
                    .build()
            };
            let events = if pattern == "\"OutOfMemoryError\"" {
                vec![
                    event("1", "java.lang.OutOfMemoryError: Java heap space"),
                    event("2", "java.lang.OutOfMemoryError: Metaspace"),
                ]
            } else {
                Vec::new()
            };
            FilterLogEventsOutput::builder()
                .set_events(Some(events))
                .next_token(format!("more-{}", r.next_token().unwrap_or("0")))
                .build()
        });
    let c = clients().with_logs(mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        &[&filter]
    ));
    let reader = AwsEvidence::new(c.clone());
    let oom = LogQuery {
        pattern: "OutOfMemoryError".into(),
        minutes: 10,
    };
    let key = ServiceKey::new("manga-chatbot", "worker");
    let counted = reader
        .log_matches(&key, std::slice::from_ref(&oom))
        .await
        .unwrap();
    // Every page answered two lines and another token: ten pages, then stop.
    assert_eq!(counted.count(&oom), Some(20));
    let calls = c.calls.take();
    assert_eq!(calls.get("logs:FilterLogEvents"), Some(&10), "{calls:?}");
    assert_eq!(calls.get("ecs:DescribeServices"), Some(&1), "{calls:?}");
    // The log target is kept: the next count asks only CloudWatch Logs.
    reader.log_matches(&key, &[oom]).await.unwrap();
    let calls = c.calls.take();
    assert_eq!(calls.get("ecs:DescribeServices"), None, "{calls:?}");
}
