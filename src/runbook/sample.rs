//! A small, fully populated fleet that the validator evaluates every
//! expression against: CEL reports unknown fields and type mismatches only
//! when it evaluates, so each expression is run once here at load time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::cel::EvalContext;
use super::cel::facts::{BaselineBounds, OverrideFacts};
use super::model::Scope;
use crate::model::history::FleetHistory;
use crate::model::{
    Arch, CacheCluster, CapacityMix, DeploymentState, FARGATE, FARGATE_SPOT, FleetSnapshot,
    ScalableTarget, Service, ServiceKey, ServiceMetrics, SourceInfo, StrategyItem, Suspended,
    TargetTrackingPolicy,
};

pub fn service_key() -> ServiceKey {
    ServiceKey::new("sample", "orchestrator")
}

pub const CACHE_ID: &str = "sample-cache";

pub fn scope(kind: super::model::ScopeKind) -> Scope {
    match kind {
        super::model::ScopeKind::Service => Scope::Service(service_key()),
        super::model::ScopeKind::Cache => Scope::Cache(CACHE_ID.into()),
    }
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_774_000_000, 0).unwrap_or_default()
}

pub fn snapshot() -> FleetSnapshot {
    let service = Service {
        key: service_key(),
        desired: 45,
        running: 45,
        pending: 0,
        launch_type: None,
        strategy: vec![
            StrategyItem::new(FARGATE, 1, 2),
            StrategyItem::new(FARGATE_SPOT, 3, 0),
        ],
        running_mix: CapacityMix {
            on_demand: 12,
            spot: 33,
        },
        arch: Arch::Arm64,
        task_vcpu: 1.0,
        task_memory_gb: 2.0,
        deployment: DeploymentState::Stable,
        task_definition: Some("orchestrator:3".into()),
        previous_task_definition: Some("orchestrator:2".into()),
        scaling: Some(ScalableTarget {
            min: 10,
            max: 50,
            suspended: Suspended::default(),
            policies: vec![TargetTrackingPolicy {
                name: "cpu70".into(),
                metric: "ECSServiceAverageCPUUtilization".into(),
                target: 70.0,
                scale_out_cooldown_s: 60,
                scale_in_cooldown_s: 300,
                disable_scale_in: false,
            }],
            scheduled: Vec::new(),
        }),
        metrics: ServiceMetrics {
            cpu_pct: Some(60.0),
            memory_pct: Some(50.0),
            p95_ms: Some(1500.0),
            error_rate_pct: Some(0.1),
            requests_per_min: Some(1000.0),
        },
        tags: BTreeMap::from([
            ("next-event".to_string(), "2026-03-20T10:00:00Z".to_string()),
            ("team".to_string(), "platform".to_string()),
        ]),
    };
    let cache = CacheCluster {
        id: CACHE_ID.into(),
        engine: "redis".into(),
        node_type: "cache.r6g.large".into(),
        memory_pct: Some(50.0),
        max_memory_gb: Some(13.0),
        evictions_per_min: Some(0.0),
        connections: Some(100.0),
        maxmemory_policy: Some("allkeys-lfu".into()),
        parameter_group: Some("sample-redis7".into()),
        tags: BTreeMap::from([("purpose".to_string(), "cache".to_string())]),
    };
    FleetSnapshot {
        taken_at: at(),
        source: SourceInfo::Sim {
            scenario: "validation".into(),
            seed: 0,
            speed: 1.0,
        },
        clusters: Vec::new(),
        services: vec![service],
        caches: vec![cache],
        alarms: Vec::new(),
        events: Vec::new(),
        parts: BTreeMap::new(),
        stats: Default::default(),
        backfill: None,
        declared: Vec::new(),
    }
}

pub fn facts() -> OverrideFacts {
    OverrideFacts {
        baselines: BTreeMap::from([(service_key(), BaselineBounds { min: 10, max: 50 })]),
        ..OverrideFacts::default()
    }
}

/// Run `f` with an evaluation context over the sample fleet.
pub fn with_context<T>(f: impl FnOnce(&EvalContext<'_>) -> T) -> T {
    let snap = snapshot();
    let history = FleetHistory::default();
    let facts = facts();
    f(&EvalContext::new(&snap, &history, &facts))
}
