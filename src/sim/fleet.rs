//! The fleet a scenario starts from: service and cache specifications.
//!
//! The default fleet is the seeds' manga chatbot (cluster `manga-chatbot`);
//! scenarios override parts of it. `synthetic` builds large fleets for benches.

use std::collections::BTreeMap;

use crate::model::{
    Arch, FARGATE, FARGATE_SPOT, ScalableTarget, ScheduledAction, ServiceKey, StrategyItem,
    Suspended, TargetTrackingPolicy,
};

pub const CLUSTER: &str = "manga-chatbot";

/// Rolling-deployment settings (ECS `deploymentConfiguration`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeployConfig {
    pub min_healthy_pct: u32,
    pub max_pct: u32,
    /// ECS's deployment circuit breaker with rollback.
    pub circuit_breaker: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    pub key: ServiceKey,
    pub arch: Arch,
    pub task_vcpu: f64,
    pub task_memory_gb: f64,
    pub tags: BTreeMap<String, String>,
    pub launch_type: Option<String>,
    pub strategy: Vec<StrategyItem>,
    /// Desired count at start; `None` sizes it from the load at start.
    pub desired: Option<u32>,
    /// The scalable target at start (the same shape the snapshot reports).
    pub scaling: Option<ScalableTarget>,
    /// Load at the daily peak, in tasks at 100 % CPU.
    pub peak_load: f64,
    /// Requests per minute one task serves at 100 % CPU.
    pub rpm_per_unit: f64,
    /// P95 latency when idle.
    pub base_p95_ms: f64,
    pub deploy: DeployConfig,
    /// Seconds after start from which new tasks fail to start, and until when.
    pub fail_new_tasks: Option<(i64, Option<i64>)>,
    /// A new revision is rolled out this many seconds after start.
    pub deploy_at: Option<i64>,
    /// That revision's image is missing: its tasks never start, whenever launched.
    pub deploy_broken: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CacheSpec {
    pub id: String,
    pub node_type: String,
    pub max_memory_gb: f64,
    pub parameter_group: String,
    pub policy: String,
    pub memory_pct: f64,
    /// How fast the data set grows when nothing is evicted.
    pub growth_pct_per_hour: f64,
    pub tags: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Fleet {
    pub services: Vec<ServiceSpec>,
    pub caches: Vec<CacheSpec>,
}

impl Fleet {
    pub fn service_mut(&mut self, name: &str) -> Option<&mut ServiceSpec> {
        self.services.iter_mut().find(|s| s.key.service == name)
    }

    pub fn cache_mut(&mut self, id: &str) -> Option<&mut CacheSpec> {
        self.caches.iter_mut().find(|c| c.id == id)
    }
}

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// Seed 004: target tracking on CPU 70 %, 60 s scale-out / 300 s scale-in cooldown.
pub fn cpu_policy(service: &str) -> TargetTrackingPolicy {
    TargetTrackingPolicy {
        name: format!("{service}-cpu-target-tracking"),
        metric: "ECSServiceAverageCPUUtilization".into(),
        target: 70.0,
        scale_out_cooldown_s: 60,
        scale_in_cooldown_s: 300,
        disable_scale_in: false,
    }
}

fn scaling(service: &str, min: u32, max: u32) -> ScalableTarget {
    ScalableTarget {
        min,
        max,
        suspended: Suspended::default(),
        policies: vec![cpu_policy(service)],
        scheduled: Vec::new(),
    }
}

const DEFAULT_DEPLOY: DeployConfig = DeployConfig {
    min_healthy_pct: 100,
    max_pct: 200,
    circuit_breaker: true,
};

/// A small x86 service on on-demand Fargate with no scaling, for scenario additions.
pub fn plain_service(cluster: &str, name: &str) -> ServiceSpec {
    let mut s = service(name, Arch::X86_64, 0.25, 0.5);
    s.key = ServiceKey::new(cluster, name);
    s.desired = Some(2);
    s.launch_type = Some(FARGATE.into());
    s
}

fn service(name: &str, arch: Arch, vcpu: f64, mem: f64) -> ServiceSpec {
    ServiceSpec {
        key: ServiceKey::new(CLUSTER, name),
        arch,
        task_vcpu: vcpu,
        task_memory_gb: mem,
        tags: BTreeMap::new(),
        launch_type: None,
        strategy: vec![StrategyItem::new(FARGATE, 1, 0)],
        desired: None,
        scaling: None,
        peak_load: 1.0,
        rpm_per_unit: 600.0,
        base_p95_ms: 1000.0,
        deploy: DEFAULT_DEPLOY,
        fail_new_tasks: None,
        deploy_at: None,
        deploy_broken: false,
    }
}

/// The manga chatbot fleet of seeds 000 and 001.
pub fn default_fleet() -> Fleet {
    let mut orchestrator = service("orchestrator", Arch::X86_64, 1.0, 2.0);
    orchestrator.tags = tags(&[
        ("managed-by", "terraform"),
        ("team", "platform"),
        ("tier", "critical"),
    ]);
    orchestrator.strategy = vec![
        StrategyItem::new(FARGATE, 30, 3),
        StrategyItem::new(FARGATE_SPOT, 70, 0),
    ];
    let mut orch_scaling = scaling("orchestrator", 5, 60);
    // Seed 000: pre-scale at 8:45 JST, scale down at 23:00 JST (cron is in UTC).
    orch_scaling.scheduled = vec![
        ScheduledAction {
            name: "prewarm-0845-jst".into(),
            schedule: "cron(45 23 * * ? *)".into(),
            min: Some(20),
            max: None,
        },
        ScheduledAction {
            name: "scale-down-2300-jst".into(),
            schedule: "cron(0 14 * * ? *)".into(),
            min: Some(5),
            max: None,
        },
    ];
    orchestrator.scaling = Some(orch_scaling);
    orchestrator.peak_load = 9.5;
    orchestrator.rpm_per_unit = 700.0;
    orchestrator.base_p95_ms = 1000.0;
    // Smaller batches than the default, so a strategy switch visibly rolls.
    orchestrator.deploy = DeployConfig {
        min_healthy_pct: 100,
        max_pct: 150,
        circuit_breaker: true,
    };

    let mut websocket = service("websocket-handler", Arch::Arm64, 0.5, 1.0);
    websocket.tags = tags(&[("managed-by", "terraform"), ("team", "realtime")]);
    websocket.launch_type = Some(FARGATE.into());
    websocket.scaling = Some(scaling("websocket-handler", 2, 15));
    websocket.peak_load = 4.0;
    websocket.rpm_per_unit = 1500.0;
    websocket.base_p95_ms = 180.0;

    let mut worker = service("worker", Arch::X86_64, 0.5, 1.0);
    worker.tags = tags(&[("team", "platform")]);
    worker.strategy = vec![
        StrategyItem::new(FARGATE, 50, 1),
        StrategyItem::new(FARGATE_SPOT, 50, 0),
    ];
    worker.scaling = Some(scaling("worker", 2, 20));
    worker.peak_load = 3.0;
    worker.rpm_per_unit = 300.0;
    worker.base_p95_ms = 2200.0;

    let mut admin = service("admin-api", Arch::X86_64, 0.25, 0.5);
    admin.tags = tags(&[("managed-by", "terraform"), ("team", "backoffice")]);
    admin.launch_type = Some(FARGATE.into());
    admin.desired = Some(2);
    admin.peak_load = 0.5;
    admin.rpm_per_unit = 200.0;
    admin.base_p95_ms = 300.0;

    let mut analytics = service("analytics-enqueue", Arch::Arm64, 0.25, 0.5);
    analytics.tags = tags(&[
        ("aws:cloudformation:stack-name", "manga-analytics"),
        ("team", "data"),
    ]);
    analytics.scaling = Some(scaling("analytics-enqueue", 1, 6));
    analytics.peak_load = 1.2;
    analytics.rpm_per_unit = 900.0;
    analytics.base_p95_ms = 90.0;

    let caches = vec![
        CacheSpec {
            id: "manga-cache".into(),
            node_type: "cache.r6g.large".into(),
            max_memory_gb: 13.07,
            parameter_group: "manga-redis7".into(),
            policy: "allkeys-lfu".into(),
            memory_pct: 68.0,
            growth_pct_per_hour: 6.0,
            tags: tags(&[("purpose", "semantic-cache"), ("team", "platform")]),
        },
        CacheSpec {
            id: "manga-jobs".into(),
            node_type: "cache.t4g.medium".into(),
            max_memory_gb: 3.09,
            parameter_group: "manga-redis7-queue".into(),
            policy: "noeviction".into(),
            memory_pct: 31.0,
            growth_pct_per_hour: 0.0,
            tags: tags(&[("purpose", "job-queue"), ("team", "platform")]),
        },
    ];

    Fleet {
        services: vec![orchestrator, websocket, worker, admin, analytics],
        caches,
    }
}

/// `n` services over a few clusters with mixed sizes and strategies.
pub fn synthetic_fleet(n: usize) -> Fleet {
    let clusters = ["synthetic-a", "synthetic-b", "synthetic-c", "synthetic-d"];
    let services = (0..n)
        .map(|i| {
            let arch = if i % 3 == 0 {
                Arch::Arm64
            } else {
                Arch::X86_64
            };
            let (vcpu, mem) = [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)][i % 4];
            let mut s = service(&format!("svc-{i:04}"), arch, vcpu, mem);
            s.key = ServiceKey::new(clusters[i % clusters.len()], format!("svc-{i:04}"));
            if arch == Arch::X86_64 && i % 2 == 0 {
                s.strategy = vec![
                    StrategyItem::new(FARGATE, 30, 1),
                    StrategyItem::new(FARGATE_SPOT, 70, 0),
                ];
            }
            if i % 5 == 0 {
                s.tags = tags(&[("managed-by", "terraform")]);
            }
            s.peak_load = 1.0 + (i % 7) as f64 * 1.5;
            // Quick APIs: a calm synthetic service is not a latency warning.
            s.base_p95_ms = 120.0 + (i % 9) as f64 * 20.0;
            s.scaling = Some(scaling(&format!("svc-{i:04}"), 1, 40));
            s
        })
        .collect();
    Fleet {
        services,
        caches: vec![CacheSpec {
            id: "synthetic-cache".into(),
            node_type: "cache.r6g.large".into(),
            max_memory_gb: 13.07,
            parameter_group: "synthetic-redis7".into(),
            policy: "allkeys-lru".into(),
            memory_pct: 60.0,
            growth_pct_per_hour: 5.0,
            tags: BTreeMap::new(),
        }],
    }
}
