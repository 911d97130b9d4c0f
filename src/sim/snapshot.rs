//! The whole fleet at `now()`, as the rest of sitrep sees it.

use std::collections::BTreeMap;

use super::Simulator;
use super::evidence::task_def;
use super::state::{CacheState, SvcState};
use crate::model::{
    CacheCluster, CapacityMix, Cluster, FleetSnapshot, Part, PartStatus, RefreshStats,
    ScalableTarget, Service, SourceInfo,
};

impl Simulator {
    /// Every part is fresh at `now()`; the simulator makes no API calls.
    pub fn snapshot(&self) -> FleetSnapshot {
        let now = self.now();
        let services: Vec<Service> = self.services.iter().map(service).collect();
        let mut clusters: BTreeMap<&str, Cluster> = BTreeMap::new();
        for s in &services {
            let c = clusters
                .entry(s.key.cluster.as_str())
                .or_insert_with(|| Cluster {
                    name: s.key.cluster.clone(),
                    arn: Some(format!(
                        "arn:aws:ecs:ap-northeast-1:123456789012:cluster/{}",
                        s.key.cluster
                    )),
                    active_services: 0,
                    running_tasks: 0,
                    pending_tasks: 0,
                });
            c.active_services += 1;
            c.running_tasks += s.running;
            c.pending_tasks += s.pending;
        }
        FleetSnapshot {
            taken_at: now,
            source: SourceInfo::Sim {
                scenario: self.scenario.name.clone(),
                seed: self.seed,
                speed: self.speed,
            },
            clusters: clusters.into_values().collect(),
            services,
            caches: self.caches.iter().map(cache).collect(),
            alarms: self.alarms.iter().map(|a| a.to_alarm()).collect(),
            events: self.events.to_vec(),
            parts: Part::ALL
                .iter()
                .map(|p| {
                    (
                        *p,
                        PartStatus {
                            fetched_at: Some(now),
                            error: None,
                        },
                    )
                })
                .collect(),
            stats: RefreshStats::default(),
            backfill: None,
            declared: self.declared_values(),
        }
    }
}

fn service(s: &SvcState) -> Service {
    let mut mix = CapacityMix::default();
    for task in s.tasks.iter().filter(|t| t.serving()) {
        if task.spot {
            mix.spot += 1;
        } else {
            mix.on_demand += 1;
        }
    }
    Service {
        key: s.spec.key.clone(),
        desired: s.desired,
        running: s.running(),
        pending: s.pending(),
        launch_type: s.launch_type.clone(),
        strategy: if s.launch_type.is_some() {
            Vec::new()
        } else {
            s.strategy.clone()
        },
        running_mix: mix,
        arch: s.spec.arch,
        task_vcpu: s.spec.task_vcpu,
        task_memory_gb: s.spec.task_memory_gb,
        deployment: s.deployment.clone(),
        task_definition: Some(task_def(&s.spec.key, s.revision)),
        previous_task_definition: s
            .tasks
            .iter()
            .filter(|t| t.revision != s.revision && t.serving())
            .map(|t| t.revision)
            .max()
            .map(|r| task_def(&s.spec.key, r)),
        scaling: s.scaling.as_ref().map(|sc| ScalableTarget {
            min: sc.min,
            max: sc.max,
            suspended: sc.suspended,
            policies: sc.policies.clone(),
            scheduled: sc.scheduled.iter().map(|(a, _)| a.clone()).collect(),
        }),
        metrics: s.metrics.clone(),
        tags: s.spec.tags.clone(),
    }
}

fn cache(c: &CacheState) -> CacheCluster {
    CacheCluster {
        id: c.spec.id.clone(),
        engine: "redis".into(),
        node_type: c.spec.node_type.clone(),
        memory_pct: Some(c.shown_memory_pct()),
        max_memory_gb: Some(c.spec.max_memory_gb),
        evictions_per_min: Some(c.evictions_per_min),
        connections: Some(c.connections.round()),
        maxmemory_policy: Some(c.policy.clone()),
        parameter_group: Some(c.spec.parameter_group.clone()),
        tags: c.spec.tags.clone(),
    }
}
