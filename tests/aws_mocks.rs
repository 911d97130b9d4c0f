//! The AWS reader and writer against aws-smithy-mocks: what moto cannot serve
//! (tasks with capacity providers and stop codes, scaling activities, cache
//! parameter groups, capacity-provider strategies), faults, and fleets of
//! 1 x 10, 5 x 100 and 20 x 500 services with their calls per refresh.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use sitrep::config::AwsConfig;
use sitrep::model::request::ActionRequest;
use sitrep::model::request::WriteErrorKind;
use sitrep::model::{Arch, EventKind, FleetSnapshot, Part, ServiceKey, StrategyItem};
use sitrep::source::FleetWriter;
use sitrep::source::aws::{AwsClients, AwsReader, AwsWriter};

const ARN: &str = "arn:aws:ecs:us-east-1:123456789012";

/// A synthetic fleet: `clusters` x `services` services, `tasks` running tasks each
/// (every third on Fargate Spot), half the services with a scalable target.
#[derive(Clone, Copy)]
struct Fleet {
    clusters: usize,
    services: usize,
    tasks: usize,
}

/// Switches a test flips between refreshes.
#[derive(Clone, Default)]
struct Faults {
    throttle_services: Arc<AtomicBool>,
    /// `cluster/service`: every DescribeServices batch holding it is throttled.
    throttle_batch_of: Arc<Mutex<Option<String>>>,
    /// ECS's token bucket on DescribeServices (burst 100, 20 a second):
    /// tokens left and when they were counted, and how many calls it throttled.
    describe_bucket: Arc<Mutex<Option<(f64, std::time::Instant)>>>,
    describe_throttled: Arc<std::sync::atomic::AtomicU32>,
    deny_policies: Arc<AtomicBool>,
    deleted: Arc<Mutex<Option<String>>>,
}

fn cluster_name(i: usize) -> String {
    format!("c{i}")
}

fn service_name(j: usize) -> String {
    format!("s{j:03}")
}

fn now() -> DateTime {
    DateTime::from_secs(chrono::Utc::now().timestamp())
}

/// Offset-based pages: `(items, next_token)`.
fn page<T: Clone>(all: &[T], token: Option<&str>, size: usize) -> (Vec<T>, Option<String>) {
    let start: usize = token.and_then(|t| t.parse().ok()).unwrap_or(0);
    let end = (start + size).min(all.len());
    let next = (end < all.len()).then(|| end.to_string());
    (all[start.min(end)..end].to_vec(), next)
}

fn ecs_rules(fleet: Fleet, faults: &Faults) -> Vec<Rule> {
    use aws_sdk_ecs::Client;
    use aws_sdk_ecs::operation::describe_services::DescribeServicesError;
    use aws_sdk_ecs::types::*;
    let clusters: Vec<String> = (0..fleet.clusters)
        .map(|i| format!("{ARN}:cluster/{}", cluster_name(i)))
        .collect();
    let list_clusters = mock!(Client::list_clusters).then_compute_output(move |req| {
        let (arns, next) = page(&clusters, req.next_token(), 100);
        aws_sdk_ecs::operation::list_clusters::ListClustersOutput::builder()
            .set_cluster_arns(Some(arns))
            .set_next_token(next)
            .build()
    });
    let describe_clusters = mock!(Client::describe_clusters).then_compute_output(|req| {
        let clusters = req
            .clusters()
            .iter()
            .map(|c| {
                let name = c.rsplit('/').next().unwrap_or(c);
                Cluster::builder()
                    .cluster_name(name)
                    .cluster_arn(format!("{ARN}:cluster/{name}"))
                    .status("ACTIVE")
                    .build()
            })
            .collect();
        aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput::builder()
            .set_clusters(Some(clusters))
            .build()
    });
    let list_services = mock!(Client::list_services).then_compute_output(move |req| {
        let cluster = req.cluster().unwrap_or_default().to_string();
        let all: Vec<String> = (0..fleet.services)
            .map(|j| format!("{ARN}:service/{cluster}/{}", service_name(j)))
            .collect();
        let (arns, next) = page(&all, req.next_token(), 100);
        aws_sdk_ecs::operation::list_services::ListServicesOutput::builder()
            .set_service_arns(Some(arns))
            .set_next_token(next)
            .build()
    });
    let f = faults.clone();
    let describe_services = mock!(Client::describe_services).then_compute_response(move |req| {
        if f.throttle_services.load(Ordering::SeqCst) {
            return MockResponse::Error(DescribeServicesError::generic(
                aws_sdk_ecs::error::ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            ));
        }
        if let Some((tokens, at)) = f.describe_bucket.lock().unwrap().as_mut() {
            *tokens = (*tokens + at.elapsed().as_secs_f64() * 20.0).min(100.0);
            *at = std::time::Instant::now();
            if *tokens < 1.0 {
                f.describe_throttled.fetch_add(1, Ordering::SeqCst);
                return MockResponse::Error(DescribeServicesError::generic(
                    aws_sdk_ecs::error::ErrorMetadata::builder()
                        .code("ThrottlingException")
                        .message("Rate exceeded")
                        .build(),
                ));
            }
            *tokens -= 1.0;
        }
        let cluster = req.cluster().unwrap_or_default().to_string();
        let throttled_batch = f.throttle_batch_of.lock().unwrap().clone();
        if req.services().iter().any(|arn| {
            throttled_batch.as_deref()
                == Some(&format!(
                    "{cluster}/{}",
                    arn.rsplit('/').next().unwrap_or(arn)
                ))
        }) {
            return MockResponse::Error(DescribeServicesError::generic(
                aws_sdk_ecs::error::ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            ));
        }
        let deleted = f.deleted.lock().unwrap().clone();
        let mut services = Vec::new();
        let mut failures = Vec::new();
        for arn in req.services() {
            let name = arn.rsplit('/').next().unwrap_or(arn).to_string();
            if deleted.as_deref() == Some(name.as_str()) {
                failures.push(Failure::builder().arn(arn).reason("MISSING").build());
                continue;
            }
            let index: usize = name[1..].parse().unwrap_or(0);
            let spot = CapacityProviderStrategyItem::builder()
                .capacity_provider("FARGATE_SPOT")
                .weight(3)
                .build()
                .unwrap();
            let on_demand = CapacityProviderStrategyItem::builder()
                .capacity_provider("FARGATE")
                .weight(1)
                .base(1)
                .build()
                .unwrap();
            services.push(
                Service::builder()
                    .service_name(&name)
                    .service_arn(arn)
                    .cluster_arn(format!("{ARN}:cluster/{cluster}"))
                    .status("ACTIVE")
                    .desired_count(fleet.tasks as i32)
                    .running_count(fleet.tasks as i32)
                    .capacity_provider_strategy(on_demand)
                    .capacity_provider_strategy(spot)
                    .task_definition(format!("{ARN}:task-definition/{cluster}-{name}:1"))
                    .deployments(
                        Deployment::builder()
                            .status("PRIMARY")
                            .rollout_state(DeploymentRolloutState::Completed)
                            .build(),
                    )
                    .events(
                        ServiceEvent::builder()
                            .id(format!("{cluster}-{name}-ev1"))
                            .created_at(now())
                            .message(format!("(service {name}) has reached a steady state."))
                            .build(),
                    )
                    .tags(
                        Tag::builder()
                            .key("team")
                            .value(if index.is_multiple_of(2) {
                                "core"
                            } else {
                                "growth"
                            })
                            .build(),
                    )
                    .build(),
            );
        }
        MockResponse::Output(
            aws_sdk_ecs::operation::describe_services::DescribeServicesOutput::builder()
                .set_services(Some(services))
                .set_failures(Some(failures))
                .build(),
        )
    });
    let describe_task_definition =
        mock!(Client::describe_task_definition).then_compute_output(|req| {
            let arn = req.task_definition().unwrap_or_default().to_string();
            let arm = arn.contains("s000");
            let mut td = TaskDefinition::builder()
                .task_definition_arn(&arn)
                .cpu("512")
                .memory("1024");
            if arm {
                td = td.runtime_platform(
                    RuntimePlatform::builder()
                        .cpu_architecture(CpuArchitecture::Arm64)
                        .build(),
                );
            }
            aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput::builder(
            )
            .task_definition(td.build())
            .build()
        });
    let list_tasks = mock!(Client::list_tasks).then_compute_output(move |req| {
        let cluster = req.cluster().unwrap_or_default().to_string();
        let all: Vec<String> = if req.desired_status() == Some(&DesiredStatus::Stopped) {
            // c0/s000 lost two tasks to Spot reclaims, one task failed to start.
            if cluster == "c0" {
                ["spot-a", "spot-b", "failed-c", "deploy-d"]
                    .iter()
                    .map(|id| format!("{ARN}:task/c0/s000~{id}"))
                    .collect()
            } else {
                Vec::new()
            }
        } else {
            (0..fleet.services)
                .flat_map(|j| {
                    let cluster = cluster.clone();
                    (0..fleet.tasks)
                        .map(move |n| format!("{ARN}:task/{cluster}/{}~{n}", service_name(j)))
                })
                .collect()
        };
        let (arns, next) = page(&all, req.next_token(), 100);
        aws_sdk_ecs::operation::list_tasks::ListTasksOutput::builder()
            .set_task_arns(Some(arns))
            .set_next_token(next)
            .build()
    });
    let describe_tasks = mock!(Client::describe_tasks).then_compute_output(|req| {
        let tasks = req
            .tasks()
            .iter()
            .map(|arn| {
                let tail = arn.rsplit('/').next().unwrap_or(arn);
                let (service, id) = tail.split_once('~').unwrap_or((tail, "0"));
                let cluster = arn.split('/').nth(1).unwrap_or_default();
                let arch = if service == "s000" { "arm64" } else { "x86_64" };
                let t = Task::builder()
                    .task_arn(arn)
                    .group(format!("service:{service}"))
                    .desired_status("RUNNING")
                    .task_definition_arn(format!("{ARN}:task-definition/{cluster}-{service}:1"))
                    .cpu("512")
                    .memory("1024")
                    .attributes(
                        Attribute::builder()
                            .name("ecs.cpu-architecture")
                            .value(arch)
                            .build()
                            .unwrap(),
                    );
                let stop = match id {
                    "spot-a" | "spot-b" => Some((
                        TaskStopCode::SpotInterruption,
                        "Your Spot Task was interrupted.",
                    )),
                    "failed-c" => {
                        Some((TaskStopCode::TaskFailedToStart, "CannotPullContainerError"))
                    }
                    "deploy-d" => Some((TaskStopCode::ServiceSchedulerInitiated, "deployment")),
                    _ => None,
                };
                match stop {
                    Some((code, reason)) => t
                        .last_status("STOPPED")
                        .stop_code(code)
                        .stopped_reason(reason)
                        .stopped_at(now())
                        .build(),
                    None => {
                        let n: usize = id.parse().unwrap_or(0);
                        let provider = if n % 3 == 2 {
                            "FARGATE_SPOT"
                        } else {
                            "FARGATE"
                        };
                        let status = if n == 0 && service == "s001" {
                            "PENDING"
                        } else {
                            "RUNNING"
                        };
                        t.last_status(status)
                            .capacity_provider_name(provider)
                            .build()
                    }
                }
            })
            .collect();
        aws_sdk_ecs::operation::describe_tasks::DescribeTasksOutput::builder()
            .set_tasks(Some(tasks))
            .build()
    });
    let update_service = mock!(Client::update_service).then_compute_output(|req| {
        aws_sdk_ecs::operation::update_service::UpdateServiceOutput::builder()
            .service(
                Service::builder()
                    .service_name(req.service().unwrap_or_default())
                    .desired_count(req.desired_count().unwrap_or(4))
                    .set_capacity_provider_strategy(req.capacity_provider_strategy.clone())
                    .build(),
            )
            .build()
    });
    vec![
        list_clusters,
        describe_clusters,
        list_services,
        describe_services,
        describe_task_definition,
        list_tasks,
        describe_tasks,
        update_service,
    ]
}

fn scaling_rules(fleet: Fleet, faults: &Faults) -> Vec<Rule> {
    use aws_sdk_applicationautoscaling::Client;
    use aws_sdk_applicationautoscaling::operation::describe_scaling_policies::DescribeScalingPoliciesError;
    use aws_sdk_applicationautoscaling::types::*;
    let with_target: Vec<String> = (0..fleet.clusters)
        .flat_map(|i| {
            (0..fleet.services)
                .step_by(2)
                .map(move |j| format!("service/{}/{}", cluster_name(i), service_name(j)))
        })
        .collect();
    let targets = with_target.clone();
    let describe_targets = mock!(Client::describe_scalable_targets).then_compute_output(move |req| {
        let (ids, next) = page(&targets, req.next_token(), 50);
        let found = ids
            .iter()
            .map(|id| {
                ScalableTarget::builder()
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(id)
                    .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                    .min_capacity(2)
                    .max_capacity(10)
                    .role_arn("arn:aws:iam::123456789012:role/x")
                    .creation_time(now())
                    .build()
                    .unwrap()
            })
            .collect();
        aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput::builder()
            .set_scalable_targets(Some(found))
            .set_next_token(next)
            .build()
    });
    let f = faults.clone();
    let policies = with_target.clone();
    let describe_policies = mock!(Client::describe_scaling_policies).then_compute_response(move |req| {
        if f.deny_policies.load(Ordering::SeqCst) {
            return MockResponse::Error(DescribeScalingPoliciesError::generic(
                aws_sdk_applicationautoscaling::error::ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("User is not authorized to perform: application-autoscaling:DescribeScalingPolicies")
                    .build(),
            ));
        }
        let (ids, next) = page(&policies, req.next_token(), 50);
        let list = ids
            .iter()
            .map(|id| {
                ScalingPolicy::builder()
                    .policy_arn(format!("arn:policy/{id}"))
                    .policy_name("cpu70")
                    .service_namespace(ServiceNamespace::Ecs)
                    .resource_id(id)
                    .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                    .policy_type(PolicyType::TargetTrackingScaling)
                    .target_tracking_scaling_policy_configuration(
                        TargetTrackingScalingPolicyConfiguration::builder()
                            .target_value(70.0)
                            .predefined_metric_specification(
                                PredefinedMetricSpecification::builder()
                                    .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
                                    .build()
                                    .unwrap(),
                            )
                            .scale_out_cooldown(60)
                            .scale_in_cooldown(300)
                            .build()
                            .unwrap(),
                    )
                    .creation_time(now())
                    .build()
                    .unwrap()
            })
            .collect();
        MockResponse::Output(
            aws_sdk_applicationautoscaling::operation::describe_scaling_policies::DescribeScalingPoliciesOutput::builder()
                .set_scaling_policies(Some(list))
                .set_next_token(next)
                .build(),
        )
    });
    let describe_scheduled = mock!(Client::describe_scheduled_actions).then_output(|| {
        aws_sdk_applicationautoscaling::operation::describe_scheduled_actions::DescribeScheduledActionsOutput::builder().build()
    });
    let describe_activities = mock!(Client::describe_scaling_activities).then_output(|| {
        let activity = |id: &str, status: ScalingActivityStatusCode, text: &str| {
            ScalingActivity::builder()
                .activity_id(id)
                .service_namespace(ServiceNamespace::Ecs)
                .resource_id("service/c0/s000")
                .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
                .description(text)
                .cause("monitor alarm TargetTracking-AlarmHigh in state ALARM")
                .start_time(now())
                .status_code(status)
                .status_message("Fargate capacity unavailable")
                .build()
                .unwrap()
        };
        aws_sdk_applicationautoscaling::operation::describe_scaling_activities::DescribeScalingActivitiesOutput::builder()
            .scaling_activities(activity("act-1", ScalingActivityStatusCode::Successful, "Setting desired count to 6."))
            .scaling_activities(activity("act-2", ScalingActivityStatusCode::Failed, "Setting desired count to 12."))
            .build()
    });
    let register = mock!(Client::register_scalable_target).then_output(|| {
        aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetOutput::builder().build()
    });
    let put_scheduled = mock!(Client::put_scheduled_action).then_output(|| {
        aws_sdk_applicationautoscaling::operation::put_scheduled_action::PutScheduledActionOutput::builder().build()
    });
    vec![
        describe_targets,
        describe_policies,
        describe_scheduled,
        describe_activities,
        register,
        put_scheduled,
    ]
}

fn cloudwatch_rules() -> Vec<Rule> {
    use aws_sdk_cloudwatch::Client;
    use aws_sdk_cloudwatch::types::*;
    let get_metric_data = mock!(Client::get_metric_data).then_compute_output(|req| {
        let results = req
            .metric_data_queries()
            .iter()
            .map(|q| {
                let metric = q.metric_stat().and_then(|s| s.metric());
                let name = metric.and_then(|m| m.metric_name()).unwrap_or_default();
                let hot = metric.is_some_and(|m| {
                    m.dimensions().iter().any(|d| d.value() == Some("s000"))
                        && m.dimensions().iter().any(|d| d.value() == Some("c0"))
                });
                let value = match name {
                    "CPUUtilization" if hot => 93.0,
                    "CPUUtilization" => 35.0,
                    "DatabaseMemoryUsagePercentage" => 88.0,
                    _ => 10.0,
                };
                MetricDataResult::builder()
                    .set_id(q.id().map(str::to_string))
                    .timestamps(DateTime::from_secs(chrono::Utc::now().timestamp() - 120))
                    .values(value - 1.0)
                    .timestamps(now())
                    .values(value)
                    .build()
            })
            .collect();
        aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput::builder()
            .set_metric_data_results(Some(results))
            .build()
    });
    let describe_alarms = mock!(Client::describe_alarms).then_output(|| {
        aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput::builder()
            .metric_alarms(
                MetricAlarm::builder()
                    .alarm_name("sessions-memory-85")
                    .state_value(StateValue::Alarm)
                    .state_reason("88 > 85")
                    .dimensions(
                        Dimension::builder()
                            .name("CacheClusterId")
                            .value("sessions")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    vec![get_metric_data, describe_alarms]
}

fn elasticache_rules() -> Vec<Rule> {
    use aws_sdk_elasticache::Client;
    use aws_sdk_elasticache::types::*;
    let describe = mock!(Client::describe_cache_clusters).then_output(|| {
        aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersOutput::builder()
            .cache_clusters(
                CacheCluster::builder()
                    .cache_cluster_id("sessions")
                    .arn("arn:aws:elasticache:us-east-1:123456789012:cluster:sessions")
                    .engine("redis")
                    .cache_node_type("cache.r6g.large")
                    .cache_parameter_group(
                        CacheParameterGroupStatus::builder()
                            .cache_parameter_group_name("sessions-params")
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let tags = mock!(Client::list_tags_for_resource).then_output(|| {
        aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
            .tag_list(Tag::builder().key("purpose").value("job-queue").build())
            .build()
    });
    let params = mock!(Client::describe_cache_parameters).then_output(|| {
        aws_sdk_elasticache::operation::describe_cache_parameters::DescribeCacheParametersOutput::builder()
            .parameters(Parameter::builder().parameter_name("maxmemory").parameter_value("0").build())
            .parameters(
                Parameter::builder()
                    .parameter_name("maxmemory-policy")
                    .parameter_value("noeviction")
                    .build(),
            )
            .build()
    });
    let modify = mock!(Client::modify_cache_parameter_group).then_compute_output(|req| {
        aws_sdk_elasticache::operation::modify_cache_parameter_group::ModifyCacheParameterGroupOutput::builder()
            .set_cache_parameter_group_name(req.cache_parameter_group_name().map(str::to_string))
            .build()
    });
    vec![describe, tags, params, modify]
}

fn mock_clients(fleet: Fleet, faults: &Faults) -> AwsClients {
    mock_clients_after(fleet, faults, Duration::ZERO)
}

/// Mock clients whose every call answers after `round_trip`, as AWS's do
/// (the delay is asynchronous: concurrent calls overlap as they would).
fn mock_clients_after(fleet: Fleet, faults: &Faults, round_trip: Duration) -> AwsClients {
    let ecs = ecs_rules(fleet, faults);
    let scaling = scaling_rules(fleet, faults);
    let cw = cloudwatch_rules();
    let ec = elasticache_rules();
    let http = || delayed::client(round_trip);
    AwsClients::from_clients(
        // Retries off: a retried attempt has no input for the mock to match.
        mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &ecs, |b| b
            .retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())
            .http_client(http())),
        mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            &scaling,
            |b| b
                .retry_config(
                    aws_sdk_applicationautoscaling::config::retry::RetryConfig::disabled()
                )
                .http_client(http())
        ),
        mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, &cw, |b| b
            .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
            .http_client(http())),
        mock_client!(aws_sdk_elasticache, RuleMode::MatchAny, &ec, |b| b
            .retry_config(aws_sdk_elasticache::config::retry::RetryConfig::disabled())
            .http_client(http())),
        Duration::from_secs(5),
    )
}

/// The mocks' HTTP client behind a round trip.
mod delayed {
    use std::time::Duration;

    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;

    pub fn client(round_trip: Duration) -> SharedHttpClient {
        SharedHttpClient::new(Delayed {
            inner: aws_smithy_mocks::create_mock_http_client(),
            round_trip,
        })
    }

    #[derive(Debug)]
    struct Delayed {
        inner: SharedHttpClient,
        round_trip: Duration,
    }

    impl HttpClient for Delayed {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            SharedHttpConnector::new(DelayedConnector {
                inner: self.inner.http_connector(settings, components),
                round_trip: self.round_trip,
            })
        }
    }

    #[derive(Debug)]
    struct DelayedConnector {
        inner: SharedHttpConnector,
        round_trip: Duration,
    }

    impl HttpConnector for DelayedConnector {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let (inner, round_trip) = (self.inner.clone(), self.round_trip);
            HttpConnectorFuture::new(async move {
                if !round_trip.is_zero() {
                    tokio::time::sleep(round_trip).await;
                }
                inner.call(request).await
            })
        }
    }
}

/// Config that re-reads the slow parts on every refresh.
fn every_time() -> AwsConfig {
    AwsConfig {
        config_interval_s: 0,
        ..AwsConfig::default()
    }
}

async fn snapshot(fleet: Fleet) -> FleetSnapshot {
    AwsReader::new(
        mock_clients(fleet, &Faults::default()),
        &AwsConfig::default(),
    )
    .refresh(None)
    .await
}

const SMALL: Fleet = Fleet {
    clusters: 1,
    services: 10,
    tasks: 3,
};

#[tokio::test]
async fn tasks_give_running_mix_and_spot_interruptions() {
    let snap = snapshot(SMALL).await;
    assert!(snap.part_errors().next().is_none(), "{:?}", snap.parts);
    let s0 = snap.service(&ServiceKey::new("c0", "s000")).unwrap();
    assert_eq!((s0.running, s0.pending), (3, 0));
    assert_eq!((s0.running_mix.on_demand, s0.running_mix.spot), (2, 1));
    assert_eq!(s0.arch, Arch::Arm64);
    assert_eq!((s0.task_vcpu, s0.task_memory_gb), (0.5, 1.0));
    assert_eq!(
        s0.strategy,
        vec![
            StrategyItem::new("FARGATE", 1, 1),
            StrategyItem::new("FARGATE_SPOT", 3, 0)
        ]
    );
    let s1 = snap.service(&ServiceKey::new("c0", "s001")).unwrap();
    assert_eq!((s1.running, s1.pending), (2, 1), "a PENDING task");
    assert_eq!(s1.bounds(), None, "odd services have no scalable target");
    assert_eq!(s0.bounds(), Some((2, 10)));
    assert_eq!(
        s0.scaling.as_ref().unwrap().policies[0].scale_in_cooldown_s,
        300
    );
    assert_eq!(s0.metrics.cpu_pct, Some(93.0), "the newest datapoint");
    assert_eq!(s1.metrics.cpu_pct, Some(35.0));

    let key = ServiceKey::new("c0", "s000");
    let count = |kind| {
        snap.events
            .iter()
            .filter(|e| e.kind == kind && e.service.as_ref() == Some(&key))
            .count()
    };
    assert_eq!(count(EventKind::SpotInterruption), 2);
    assert_eq!(count(EventKind::TaskFailed), 1);
    assert_eq!(count(EventKind::ScalingActivity), 2);
    assert_eq!(count(EventKind::ServiceEvent), 1);
    let failed = snap
        .events
        .iter()
        .find(|e| e.message.contains("12."))
        .unwrap();
    assert!(
        failed
            .message
            .contains("Failed: Fargate capacity unavailable"),
        "{}",
        failed.message
    );

    let cache = snap.cache("sessions").unwrap();
    assert_eq!(cache.maxmemory_policy.as_deref(), Some("noeviction"));
    assert_eq!(cache.memory_pct, Some(88.0));
    assert_eq!(
        cache.tags.get("purpose").map(String::as_str),
        Some("job-queue")
    );
    assert_eq!(snap.alarms[0].subject.as_deref(), Some("sessions"));
}

#[tokio::test]
async fn stopped_tasks_and_activities_are_counted_once() {
    let mut reader = AwsReader::new(
        mock_clients(SMALL, &Faults::default()),
        &AwsConfig::default(),
    );
    let first = reader.refresh(None).await;
    let second = reader.refresh(None).await;
    assert_eq!(first.events.len(), second.events.len());
    // Stopped tasks already seen are not described again.
    assert_eq!(first.stats.calls_by_api.get("ecs:DescribeTasks"), Some(&2));
    assert_eq!(second.stats.calls_by_api.get("ecs:DescribeTasks"), Some(&1));
}

#[tokio::test]
async fn throttling_keeps_the_last_services_and_marks_them_stale() {
    let faults = Faults::default();
    let mut reader = AwsReader::new(mock_clients(SMALL, &faults), &every_time());
    let good = reader.refresh(None).await;
    faults.throttle_services.store(true, Ordering::SeqCst);
    let throttled = reader.refresh(None).await;
    assert!(reader.throttled());
    assert_eq!(throttled.services, good.services, "previous value kept");
    let status = &throttled.parts[&Part::Services];
    assert!(
        status
            .error
            .as_deref()
            .unwrap()
            .contains("ecs:DescribeServices: throttled by AWS (ThrottlingException)")
    );
    assert_eq!(status.fetched_at, good.parts[&Part::Services].fetched_at);
    assert_eq!(
        throttled.parts[&Part::Metrics].error,
        None,
        "other parts keep working"
    );
    faults.throttle_services.store(false, Ordering::SeqCst);
    let recovered = reader.refresh(None).await;
    assert!(!reader.throttled());
    assert_eq!(recovered.parts[&Part::Services].error, None);
}

/// 2,000 services in 4 clusters behind ECS's bucket on DescribeServices: the
/// limiter keeps under it, so nothing is throttled and every service is read,
/// in batches of 10.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_services_under_the_ecs_bucket_are_all_read() {
    let (took, _) = read_two_thousand(
        FOUR_CLUSTERS,
        Duration::ZERO,
        AwsConfig::default().quota_share,
    )
    .await;
    // 80 at once, then 16 a second: the bucket's floor at 80 % of the quota.
    assert!(took.as_secs_f64() < 15.0, "{took:?}");
}

/// The same fleet when every call takes 60 ms, as from a laptop to a region:
/// the read's round trips overlap, so it still ends near the bucket's floor
/// (7.5 s at the default 80 % share, 5 s at the whole quota), where a
/// sequential batched script needs 23-36 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_services_at_60_ms_a_call_end_near_the_buckets_floor() {
    let round_trip = Duration::from_millis(60);
    let took = read_two_thousand(FOUR_CLUSTERS, round_trip, AwsConfig::default().quota_share)
        .await
        .0;
    assert!(took.as_secs_f64() < 15.0, "{took:?}");
    let whole = read_two_thousand(FOUR_CLUSTERS, round_trip, 1.0).await.0;
    assert!(whole < took, "the whole quota reads faster: {whole:?}");
}

/// One cluster of 2,000 services is 20 pages of listing: each page is
/// described as it lands, so the first rows do not wait for the last page
/// (20 round trips, 1.2 s, before any describe if they did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_cluster_of_two_thousand_shows_rows_before_its_listing_ends() {
    const ONE_CLUSTER: Fleet = Fleet {
        clusters: 1,
        services: 2000,
        tasks: 1,
    };
    let round_trip = Duration::from_millis(60);
    let (took, first_rows) =
        read_two_thousand(ONE_CLUSTER, round_trip, AwsConfig::default().quota_share).await;
    assert!(took.as_secs_f64() < 15.0, "{took:?}");
    assert!(first_rows.as_secs_f64() < 1.0, "{first_rows:?}");
}

const FOUR_CLUSTERS: Fleet = Fleet {
    clusters: 4,
    services: 500,
    tasks: 1,
};

/// Read a fleet of 2,000 services once with `quota_share` of ECS's quota,
/// checking what every such read must hold (first rows within 1.5 s among
/// them); the wall time of the read, and of its first rows.
async fn read_two_thousand(
    fleet: Fleet,
    round_trip: Duration,
    quota_share: f64,
) -> (Duration, Duration) {
    assert_eq!(fleet.clusters * fleet.services, 2000);
    let faults = Faults::default();
    *faults.describe_bucket.lock().unwrap() = Some((100.0, std::time::Instant::now()));
    let mut clients = mock_clients_after(fleet, &faults, round_trip);
    clients.calls = sitrep::source::aws::calls::Calls::limited(
        std::time::Duration::from_secs(10),
        std::sync::Arc::new(sitrep::source::aws::limiter::Limiter::new(quota_share)),
    );
    let mut reader = AwsReader::new(clients, &every_time());
    let started = std::time::Instant::now();
    // The first screen fills in as batches land: partial snapshots with progress.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Box<FleetSnapshot>>(64);
    let shown = tokio::spawn(async move {
        let mut shown = Vec::new();
        while let Some(s) = rx.recv().await {
            shown.push((
                started.elapsed(),
                s.stats.reading,
                s.services.len(),
                s.taken_at,
            ));
        }
        shown
    });
    let snap = reader.refresh(Some(&tx)).await;
    let took = started.elapsed();
    drop(tx);
    let shown = shown.await.unwrap();
    assert!(shown.len() >= 5, "{shown:?}");
    let (first_at, _, first_rows, _) = shown[0];
    assert!(first_at.as_secs_f64() < 1.5 && first_rows > 0, "{shown:?}");
    assert!(
        shown.windows(2).all(|w| w[0].2 <= w[1].2),
        "rows only grow: {shown:?}"
    );
    let (_, reading, rows, partial_at) = shown[shown.len() - 1];
    assert!(
        partial_at < snap.taken_at,
        "the whole snapshot is newer: history and journal take it"
    );
    let reading = reading.expect("partial snapshots say how far the read is");
    assert_eq!(reading.total, 2000);
    assert_eq!(reading.read as usize, rows);
    assert_eq!(
        rows, 2000,
        "the last batches show while what needs the service list is read"
    );
    assert_eq!(
        snap.stats.reading, None,
        "the whole snapshot is not partial"
    );
    assert_eq!(snap.services.len(), 2000);
    assert_eq!(snap.parts[&Part::Services].error, None);
    let throttled = faults.describe_throttled.load(Ordering::SeqCst);
    let calls = &snap.stats.calls_by_api;
    if quota_share < 1.0 {
        // Headroom left under the bucket: never throttled.
        assert_eq!(throttled, 0);
        assert_eq!(
            calls["ecs:DescribeServices"], 200,
            "batches of 10, never one per service"
        );
    } else {
        // The whole quota meets the bucket's edge: a throttled batch is
        // retried, and nothing is lost.
        assert_eq!(calls["ecs:DescribeServices"], 200 + throttled);
    }
    assert_eq!(calls["ecs:ListServices"], 20, "pages of 100");
    eprintln!(
        "2,000 services in {} cluster(s) under the bucket, {round_trip:?} a call, {quota_share} of the quota: \
         {took:?}, {} calls; first rows after {first_at:?}, {} partial screens",
        fleet.clusters,
        snap.stats.api_calls,
        shown.len()
    );
    (took, first_at)
}

#[tokio::test]
async fn a_batch_that_stays_throttled_keeps_its_services_and_the_rest_is_fresh() {
    const TWO: Fleet = Fleet {
        clusters: 2,
        services: 30,
        tasks: 1,
    };
    let faults = Faults::default();
    let mut reader = AwsReader::new(mock_clients(TWO, &faults), &every_time());
    let good = reader.refresh(None).await;
    *faults.throttle_batch_of.lock().unwrap() = Some("c1/s013".into());
    let partial = reader.refresh(None).await;
    assert_eq!(
        partial.services.len(),
        good.services.len(),
        "no service lost to one batch"
    );
    assert_eq!(partial.services, good.services, "kept and fresh alike");
    let status = &partial.parts[&Part::Services];
    let error = status.error.as_deref().unwrap();
    assert!(
        error.contains("10 services not read this refresh, 10 kept from the last read"),
        "{error}"
    );
    assert!(error.contains("throttled by AWS"), "{error}");
    assert!(
        status.fetched_at > good.parts[&Part::Services].fetched_at,
        "the rest is fresh"
    );
    assert!(reader.throttled(), "the poller backs off");
    // The failing batch was tried four times (three retries), the others once.
    let batches = TWO.clusters * TWO.services.div_ceil(10);
    assert_eq!(
        partial.stats.calls_by_api["ecs:DescribeServices"] as usize,
        batches + 3
    );
    assert!(
        partial.parts[&Part::Scaling].error.is_none(),
        "scaling is read for every service"
    );
    *faults.throttle_batch_of.lock().unwrap() = None;
    let recovered = reader.refresh(None).await;
    assert_eq!(recovered.parts[&Part::Services].error, None);
}

#[tokio::test]
async fn access_denied_on_one_api_marks_only_its_part() {
    let faults = Faults::default();
    faults.deny_policies.store(true, Ordering::SeqCst);
    let snap = AwsReader::new(mock_clients(SMALL, &faults), &AwsConfig::default())
        .refresh(None)
        .await;
    let scaling = &snap.parts[&Part::Scaling];
    assert!(
        scaling.error.as_deref().unwrap().contains(
            "application-autoscaling:DescribeScalingPolicies: access denied: these \
                 credentials may not call application-autoscaling:DescribeScalingPolicies"
        ),
        "{scaling:?}"
    );
    assert!(scaling.fetched_at.is_some(), "targets were read");
    let s0 = snap.service(&ServiceKey::new("c0", "s000")).unwrap();
    assert_eq!(s0.bounds(), Some((2, 10)), "targets still there");
    assert!(s0.scaling.as_ref().unwrap().policies.is_empty());
    for part in [
        Part::Services,
        Part::Tasks,
        Part::Metrics,
        Part::Caches,
        Part::Alarms,
    ] {
        assert_eq!(snap.parts[&part].error, None, "{part:?}");
    }
}

#[tokio::test]
async fn a_service_deleted_mid_refresh_disappears_without_error() {
    let faults = Faults::default();
    let mut reader = AwsReader::new(mock_clients(SMALL, &faults), &every_time());
    assert_eq!(reader.refresh(None).await.services.len(), 10);
    *faults.deleted.lock().unwrap() = Some("s004".into());
    let snap = reader.refresh(None).await;
    assert_eq!(snap.services.len(), 9);
    assert!(snap.service(&ServiceKey::new("c0", "s004")).is_none());
    assert_eq!(snap.parts[&Part::Services].error, None);
}

#[tokio::test]
async fn writer_sends_each_catalogue_request() {
    let clients = mock_clients(SMALL, &Faults::default());
    let writer = AwsWriter::new(&clients);
    let key = ServiceKey::new("c0", "s000");
    let out = writer
        .apply(&ActionRequest::SetCapacityProviderStrategy {
            service: key.clone(),
            strategy: vec![StrategyItem::new("FARGATE", 1, 2)],
        })
        .await
        .unwrap();
    assert!(out.starts_with("ecs:UpdateService c0/s000"), "{out}");
    let out = writer
        .apply(&ActionRequest::SetMaxmemoryPolicy {
            cache_id: "sessions".into(),
            parameter_group: "sessions-params".into(),
            policy: "allkeys-lfu".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        out,
        "elasticache:ModifyCacheParameterGroup sessions-params: maxmemory-policy allkeys-lfu"
    );
    for request in [
        ActionRequest::SetDesiredCount {
            service: key.clone(),
            desired: 6,
        },
        ActionRequest::ForceNewDeployment {
            service: key.clone(),
        },
        ActionRequest::SetBounds {
            service: key.clone(),
            min: 2,
            max: 20,
        },
        ActionRequest::SuspendScaleIn {
            service: key.clone(),
        },
        ActionRequest::ResumeScaleIn {
            service: key.clone(),
        },
        ActionRequest::PutScheduledAction {
            service: key.clone(),
            name: "prewarm".into(),
            schedule: "cron(15 23 * * ? *)".into(),
            min: Some(100),
            max: None,
        },
    ] {
        writer
            .apply(&request)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", request.id()));
    }
    assert!(clients.changed.take(), "a write asks the poller to re-read");
    let huge = writer
        .apply(&ActionRequest::SetDesiredCount {
            service: key,
            desired: u32::MAX,
        })
        .await
        .unwrap_err();
    assert_eq!(huge.kind, WriteErrorKind::Rejected);
}

/// Calls per refresh at three fleet sizes: first refresh (everything) and the
/// next one within the config interval (live parts only).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_per_refresh_at_scale() {
    for (fleet, first_max) in [
        (
            Fleet {
                clusters: 1,
                services: 10,
                tasks: 2,
            },
            40,
        ),
        (
            Fleet {
                clusters: 5,
                services: 100,
                tasks: 2,
            },
            1_000,
        ),
        (
            Fleet {
                clusters: 20,
                services: 500,
                tasks: 2,
            },
            16_000,
        ),
    ] {
        let mut reader = AwsReader::new(
            mock_clients(fleet, &Faults::default()),
            &AwsConfig::default(),
        );
        let started = Instant::now();
        let first = reader.refresh(None).await;
        let first_time = started.elapsed();
        let second = reader.refresh(None).await;
        let n = fleet.clusters * fleet.services;
        assert_eq!(first.services.len(), n);
        assert!(first.part_errors().next().is_none(), "{:?}", first.parts);
        let calls = &first.stats.calls_by_api;
        let get = |api: &str| calls.get(api).copied().unwrap_or(0) as usize;
        assert_eq!(
            get("ecs:DescribeServices"),
            fleet.clusters * fleet.services.div_ceil(10)
        );
        assert_eq!(
            get("ecs:DescribeTasks"),
            fleet.clusters * (fleet.services * fleet.tasks).div_ceil(100) + 1
        );
        assert_eq!(
            get("application-autoscaling:DescribeScalableTargets"),
            (fleet.clusters * fleet.services.div_ceil(2)).div_ceil(50),
            "the namespace's targets (every other service has one), in pages of 50"
        );
        assert_eq!(get("cloudwatch:GetMetricData"), (2 * n + 3).div_ceil(500));
        assert!(
            first.stats.api_calls <= first_max,
            "{}",
            first.stats.api_calls
        );
        eprintln!(
            "{} x {}: first refresh {} calls in {:?} {:?}; next refresh {} calls {:?}",
            fleet.clusters,
            fleet.services,
            first.stats.api_calls,
            first_time,
            first.stats.calls_by_api,
            second.stats.api_calls,
            second.stats.calls_by_api,
        );
    }
}

#[tokio::test]
async fn services_without_tasks_read_their_task_definition_in_bounded_batches() {
    let idle = Fleet {
        clusters: 2,
        services: 100,
        tasks: 0,
    };
    let mut reader = AwsReader::new(mock_clients(idle, &Faults::default()), &every_time());
    let first = reader.refresh(None).await;
    assert_eq!(
        first.stats.calls_by_api.get("ecs:DescribeTaskDefinition"),
        Some(&100)
    );
    let second = reader.refresh(None).await;
    assert_eq!(
        second.stats.calls_by_api.get("ecs:DescribeTaskDefinition"),
        Some(&100)
    );
    let third = reader.refresh(None).await;
    assert_eq!(
        third.stats.calls_by_api.get("ecs:DescribeTaskDefinition"),
        None,
        "all cached"
    );
    let s0 = third.service(&ServiceKey::new("c1", "s000")).unwrap();
    assert_eq!((s0.arch, s0.task_vcpu), (Arch::Arm64, 0.5));
}

/// The first metric read brings the datapoints before the newest: the
/// history (and the sparklines) open full; later snapshots carry none.
#[tokio::test]
async fn the_first_metric_read_backfills_the_history() {
    use sitrep::model::history::{FleetHistory, Metric};
    let mut reader = AwsReader::new(mock_clients(SMALL, &Faults::default()), &every_time());
    let first = reader.refresh(None).await;
    let past = first
        .backfill
        .clone()
        .expect("the first snapshot carries the past");
    let hot = ServiceKey::new("c0", "s000");
    let mut history = FleetHistory::default();
    history.record(&first);
    let cpu: Vec<f64> = history
        .service(&hot, Metric::Cpu)
        .unwrap()
        .fine
        .iter()
        .map(|p| p.1)
        .collect();
    assert_eq!(cpu, [92.0, 93.0], "the past datapoint, then the snapshot's");
    assert!(
        past.series.len() >= 2 * SMALL.services,
        "{}",
        past.series.len()
    );
    let second = reader.refresh(None).await;
    assert!(second.backfill.is_none(), "only once");
}

/// A declared metric of a high resolution (1 s here) is read at its own
/// period between the fleet's metric reads (every 60 s): alone, in one call,
/// billed as one metric; a standard one waits for the fleet's read.
#[tokio::test]
async fn high_resolution_declared_metrics_are_read_at_their_own_period() {
    use sitrep::model::declared::{Declared, MetricQuery};
    const SMALL: Fleet = Fleet {
        clusters: 1,
        services: 3,
        tasks: 1,
    };
    let declared = |name: &str, period_s| Declared {
        name: name.into(),
        query: MetricQuery {
            namespace: "Manga/Orchestrator".into(),
            metric: name.into(),
            dimensions: Vec::new(),
            stat: "Average".into(),
            period_s,
        },
    };
    let cfg = AwsConfig {
        declared: vec![declared("queue_depth", 1), declared("segment_ms", 60)],
        ..AwsConfig::default()
    };
    let mut reader = AwsReader::new(mock_clients(SMALL, &Faults::default()), &cfg);
    let get_metric_data = |s: &FleetSnapshot| {
        s.stats
            .calls_by_api
            .get("cloudwatch:GetMetricData")
            .copied()
            .unwrap_or(0)
    };
    let first = reader.refresh(None).await;
    assert_eq!(get_metric_data(&first), 1, "everything in one read");
    assert_eq!(first.declared("queue_depth"), Some(10.0));
    assert_eq!(first.declared("segment_ms"), Some(10.0));
    let soon = reader.refresh(None).await;
    assert_eq!(get_metric_data(&soon), 0, "nothing due yet");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let later = reader.refresh(None).await;
    assert_eq!(get_metric_data(&later), 1, "the 1 s metric alone");
    assert_eq!(later.stats.metrics_requested, 1);
    assert_eq!(later.declared("queue_depth"), Some(10.0));
    assert_eq!(
        later.declared("segment_ms"),
        Some(10.0),
        "the standard one keeps its value until the fleet's read"
    );
}
