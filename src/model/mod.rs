//! The fleet as plain data: one whole, immutable `FleetSnapshot` per refresh.
//!
//! Sources (simulator, AWS) build snapshots; everything else only reads them.
//! Numeric fields that expressions compare are `f64`/`u32` on purpose: the
//! runbook layer exposes them to CEL as doubles.

pub mod cost;
pub mod declared;
pub mod evidence;
pub mod history;
pub mod projection;
pub mod request;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A service is identified by its cluster and name: the same name may live in two clusters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ServiceKey {
    pub cluster: String,
    pub service: String,
}

impl ServiceKey {
    pub fn new(cluster: impl Into<String>, service: impl Into<String>) -> Self {
        Self {
            cluster: cluster.into(),
            service: service.into(),
        }
    }

    /// Application Auto Scaling's resource id for this service.
    pub fn resource_id(&self) -> String {
        format!("service/{}/{}", self.cluster, self.service)
    }
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.cluster, self.service)
    }
}

/// Where a snapshot came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceInfo {
    Sim {
        scenario: String,
        seed: u64,
        speed: f64,
    },
    Aws {
        /// The account id, when the credentials name it (SSO, assume-role,
        /// `AWS_ACCOUNT_ID`, `aws_account_id` in the profile).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        profile: Option<String>,
        region: String,
        endpoint_url: Option<String>,
    },
}

impl SourceInfo {
    /// What ledger and audit records are matched on: the fleet, not how fast
    /// the simulator runs.
    pub fn id(&self) -> SourceId {
        match self {
            SourceInfo::Sim { scenario, seed, .. } => SourceId::Sim {
                scenario: scenario.clone(),
                seed: *seed,
            },
            SourceInfo::Aws {
                account,
                profile,
                region,
                endpoint_url,
            } => SourceId::Aws {
                account: account.clone(),
                profile: profile.clone(),
                region: region.clone(),
                endpoint_url: endpoint_url.clone(),
            },
        }
    }

    pub fn is_sim(&self) -> bool {
        matches!(self, SourceInfo::Sim { .. })
    }

    /// Short label for the header: `SIM calm` or `prod-admin@ap-northeast-1`.
    pub fn label(&self) -> String {
        match self {
            SourceInfo::Sim { scenario, .. } => format!("SIM {scenario}"),
            SourceInfo::Aws {
                profile, region, ..
            } => match profile {
                Some(p) => format!("{p}@{region}"),
                None => format!("aws@{region}"),
            },
        }
    }
}

/// Which fleet a ledger entry or audit record is about. A session sees and
/// reverts only entries of its own fleet (`same_fleet`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SourceId {
    /// The embedded simulator: a scenario and its seed.
    Sim { scenario: String, seed: u64 },
    /// An AWS account and region. Without an account id (static keys that do
    /// not name it), profile + region + endpoint are the identity.
    Aws {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
        #[serde(default)]
        profile: Option<String>,
        region: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint_url: Option<String>,
    },
}

impl SourceId {
    /// True when both name the same fleet. Simulator: same scenario and seed.
    /// AWS: same region and endpoint, and the same account when both know it,
    /// else the same profile. A simulator never matches AWS.
    pub fn same_fleet(&self, other: &SourceId) -> bool {
        match (self, other) {
            (
                SourceId::Sim { scenario, seed },
                SourceId::Sim {
                    scenario: other_scenario,
                    seed: other_seed,
                },
            ) => scenario == other_scenario && seed == other_seed,
            (
                SourceId::Aws {
                    account,
                    profile,
                    region,
                    endpoint_url,
                },
                SourceId::Aws {
                    account: other_account,
                    profile: other_profile,
                    region: other_region,
                    endpoint_url: other_endpoint,
                },
            ) => {
                region == other_region
                    && endpoint_url == other_endpoint
                    && match (account, other_account) {
                        (Some(a), Some(b)) => a == b,
                        _ => profile == other_profile,
                    }
            }
            _ => false,
        }
    }
}

/// `SIM manga-release seed 7`, `account 123456789012 (prod) in ap-northeast-1`.
impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceId::Sim { scenario, seed } => write!(f, "SIM {scenario} seed {seed}"),
            SourceId::Aws {
                account,
                profile,
                region,
                endpoint_url,
            } => {
                match account {
                    Some(a) => write!(f, "account {a}")?,
                    None => write!(f, "AWS")?,
                }
                match profile {
                    Some(p) => write!(f, " (profile {p})")?,
                    None => write!(f, " (no profile)")?,
                }
                write!(f, " in {region}")?;
                if let Some(url) = endpoint_url {
                    write!(f, " at {url}")?;
                }
                Ok(())
            }
        }
    }
}

/// The parts of a snapshot that are fetched (and can fail) independently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Services,
    Tasks,
    Scaling,
    Metrics,
    Caches,
    Alarms,
    Events,
}

impl Part {
    pub const ALL: [Part; 7] = [
        Part::Services,
        Part::Tasks,
        Part::Scaling,
        Part::Metrics,
        Part::Caches,
        Part::Alarms,
        Part::Events,
    ];
}

/// When a part was last read successfully, and why the latest attempt failed, if it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartStatus {
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

/// Cost of the last refresh, shown in the status line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RefreshStats {
    pub api_calls: u32,
    pub latency_ms: u64,
    /// Calls per API operation, e.g. `ecs:DescribeServices` -> 3.
    pub calls_by_api: BTreeMap<String, u32>,
    /// Metrics GetMetricData was asked for (CloudWatch bills each one).
    #[serde(default)]
    pub metrics_requested: u32,
    /// Set on the partial snapshots of a first read still under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<Reading>,
}

/// How much of a first read has arrived: `read` of `total` services so far
/// (`total` grows as clusters are listed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub read: u32,
    pub total: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetSnapshot {
    /// Data time: simulated time on the simulator, wall time on AWS.
    pub taken_at: DateTime<Utc>,
    pub source: SourceInfo,
    pub clusters: Vec<Cluster>,
    pub services: Vec<Service>,
    pub caches: Vec<CacheCluster>,
    pub alarms: Vec<Alarm>,
    /// Recent events, oldest first, bounded by the source.
    pub events: Vec<FleetEvent>,
    pub parts: BTreeMap<Part, PartStatus>,
    pub stats: RefreshStats,
    /// The values of the metrics runbooks declare (`metric('name')`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declared: Vec<declared::DeclaredValue>,
    /// On the first snapshot only: the metrics' recent past, for the history.
    #[serde(skip)]
    pub backfill: Option<std::sync::Arc<history::Backfill>>,
}

impl FleetSnapshot {
    pub fn service(&self, key: &ServiceKey) -> Option<&Service> {
        self.services.iter().find(|s| &s.key == key)
    }

    /// A declared metric's latest value; `None` when not read or no datapoint.
    pub fn declared(&self, name: &str) -> Option<f64> {
        self.declared
            .iter()
            .find(|d| d.name == name)
            .and_then(|d| d.value)
    }

    pub fn cache(&self, id: &str) -> Option<&CacheCluster> {
        self.caches.iter().find(|c| c.id == id)
    }

    /// Age of a part at `now`; `None` if it was never read.
    pub fn part_age(&self, part: Part, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.parts
            .get(&part)
            .and_then(|p| p.fetched_at)
            .map(|t| now - t)
    }

    /// The latest error of any part, for the status line.
    pub fn part_errors(&self) -> impl Iterator<Item = (Part, &str)> {
        self.parts
            .iter()
            .filter_map(|(part, status)| status.error.as_deref().map(|e| (*part, e)))
    }

    /// Events about one service at or after `since`.
    pub fn events_for<'a>(
        &'a self,
        key: &'a ServiceKey,
        since: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a FleetEvent> {
        self.events
            .iter()
            .filter(move |e| e.at >= since && e.service.as_ref() == Some(key))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub arn: Option<String>,
    pub active_services: u32,
    pub running_tasks: u32,
    pub pending_tasks: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub fn label(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86",
            Arch::Arm64 => "arm64",
        }
    }
}

/// One entry of a capacity-provider strategy (`FARGATE` / `FARGATE_SPOT`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyItem {
    pub provider: String,
    pub weight: u32,
    pub base: u32,
}

pub const FARGATE: &str = "FARGATE";
pub const FARGATE_SPOT: &str = "FARGATE_SPOT";

impl StrategyItem {
    pub fn new(provider: &str, weight: u32, base: u32) -> Self {
        Self {
            provider: provider.to_string(),
            weight,
            base,
        }
    }
}

/// Share of Spot that a strategy aims for, ignoring bases (0.0..=1.0).
pub fn configured_spot_share(strategy: &[StrategyItem]) -> f64 {
    let total: u32 = strategy.iter().map(|i| i.weight).sum();
    if total == 0 {
        return 0.0;
    }
    let spot: u32 = strategy
        .iter()
        .filter(|i| i.provider == FARGATE_SPOT)
        .map(|i| i.weight)
        .sum();
    f64::from(spot) / f64::from(total)
}

/// The Spot share the strategy gives `running` tasks: its base tasks go to
/// their provider first, the rest split by weight (ECS's placement). A few
/// tasks with an on-demand base run well under the weights' share.
pub fn expected_spot_share(strategy: &[StrategyItem], running: u32) -> f64 {
    let total: u32 = strategy.iter().map(|i| i.weight).sum();
    if running == 0 || total == 0 {
        return configured_spot_share(strategy);
    }
    let mut left = running;
    let mut spot = 0.0;
    for item in strategy.iter().filter(|i| i.base > 0) {
        let placed = item.base.min(left);
        left -= placed;
        if item.provider == FARGATE_SPOT {
            spot += f64::from(placed);
        }
    }
    spot += f64::from(left) * configured_spot_share(strategy);
    spot / f64::from(running)
}

/// Running tasks by capacity provider: what is actually there, not what is configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityMix {
    pub on_demand: u32,
    pub spot: u32,
}

impl CapacityMix {
    pub fn total(&self) -> u32 {
        self.on_demand + self.spot
    }

    /// Spot share of running tasks (0.0..=1.0); 0 when nothing runs.
    pub fn spot_share(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            n => f64::from(self.spot) / f64::from(n),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeploymentState {
    Stable,
    /// A rolling deployment: `updated` of `total` tasks replaced so far.
    InProgress {
        updated: u32,
        total: u32,
    },
    Failed {
        reason: String,
    },
}

impl DeploymentState {
    /// The state's name, as runbook expressions (`service.deployment`) and the
    /// snapshot JSON (`deployment_state`) spell it.
    pub fn state(&self) -> &'static str {
        match self {
            DeploymentState::Stable => "stable",
            DeploymentState::InProgress { .. } => "in_progress",
            DeploymentState::Failed { .. } => "failed",
        }
    }

    pub fn label(&self) -> String {
        match self {
            DeploymentState::Stable => "stable".into(),
            DeploymentState::InProgress { updated, total } => format!("rolling {updated}/{total}"),
            DeploymentState::Failed { .. } => "FAILED".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub key: ServiceKey,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    /// `FARGATE` when the service uses a launch type, else `None` (strategy in use).
    pub launch_type: Option<String>,
    pub strategy: Vec<StrategyItem>,
    pub running_mix: CapacityMix,
    pub arch: Arch,
    pub task_vcpu: f64,
    pub task_memory_gb: f64,
    pub deployment: DeploymentState,
    /// The primary deployment's task definition (`family:revision`).
    #[serde(default)]
    pub task_definition: Option<String>,
    /// The newest other deployment's task definition with tasks still running:
    /// the last revision that ran, where a rollback goes.
    #[serde(default)]
    pub previous_task_definition: Option<String>,
    pub scaling: Option<ScalableTarget>,
    pub metrics: ServiceMetrics,
    pub tags: BTreeMap<String, String>,
}

impl Service {
    /// Min/max of the scalable target, if the service has one.
    pub fn bounds(&self) -> Option<(u32, u32)> {
        self.scaling.as_ref().map(|s| (s.min, s.max))
    }

    /// Tags that say infrastructure as code owns this service and will undo manual changes.
    pub fn iac_owner(&self) -> Option<String> {
        self.tags
            .iter()
            .find(|(k, _)| {
                k.as_str() == "aws:cloudformation:stack-name"
                    || k.eq_ignore_ascii_case("managed-by")
                    || k.eq_ignore_ascii_case("managed_by")
            })
            .map(|(k, v)| format!("{k}={v}"))
    }
}

/// Latest metric values; `None` when there is no datapoint yet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMetrics {
    pub cpu_pct: Option<f64>,
    pub memory_pct: Option<f64>,
    pub p95_ms: Option<f64>,
    pub error_rate_pct: Option<f64>,
    pub requests_per_min: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalableTarget {
    pub min: u32,
    pub max: u32,
    pub suspended: Suspended,
    pub policies: Vec<TargetTrackingPolicy>,
    pub scheduled: Vec<ScheduledAction>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspended {
    pub scale_in: bool,
    pub scale_out: bool,
    pub scheduled: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetTrackingPolicy {
    pub name: String,
    /// e.g. `ECSServiceAverageCPUUtilization`.
    pub metric: String,
    pub target: f64,
    pub scale_out_cooldown_s: u32,
    pub scale_in_cooldown_s: u32,
    pub disable_scale_in: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub name: String,
    /// `cron(45 23 * * ? *)`, `at(2026-11-23T10:00:00)` or `rate(1 day)`.
    pub schedule: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheCluster {
    pub id: String,
    pub engine: String,
    pub node_type: String,
    pub memory_pct: Option<f64>,
    pub max_memory_gb: Option<f64>,
    /// Evictions in the last minute.
    pub evictions_per_min: Option<f64>,
    pub connections: Option<f64>,
    /// `None` when the parameter group could not be read.
    pub maxmemory_policy: Option<String>,
    pub parameter_group: Option<String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub state: AlarmState,
    pub reason: String,
    pub updated_at: DateTime<Utc>,
    /// The service or cache the alarm watches, when known.
    pub subject: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ScalingActivity,
    SpotInterruption,
    /// The 2-minute warning before a Spot reclaim (simulator only; AWS's is unreliable).
    SpotWarning,
    TaskFailed,
    TaskStarted,
    Deployment,
    ServiceEvent,
    /// A change made through sitrep's executor.
    Action,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub service: Option<ServiceKey>,
    pub message: String,
    /// For tasks that stopped: why, in ECS's words, kept for the journal
    /// (AWS forgets stopped tasks about an hour after they stop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<TaskStop>,
}

impl FleetEvent {
    pub fn new(
        at: DateTime<Utc>,
        kind: EventKind,
        service: Option<ServiceKey>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            at,
            kind,
            service,
            message: message.into(),
            stop: None,
        }
    }
}

/// Why one or more tasks stopped: the stop code, the reason and each
/// container's exit code and reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskStop {
    /// `TaskFailedToStart`, `EssentialContainerExited`, `SpotInterruption`...
    pub code: String,
    pub reason: String,
    /// Task ids (the last part of the ARN, or the simulator's short ids).
    pub tasks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<evidence::ContainerState>,
}
