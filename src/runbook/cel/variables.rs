//! The snapshot as CEL variables. CEL is strictly typed (`0.9 * max` fails when
//! `max` is an int), so every number is a double. A metric with no datapoint is
//! `-1.0` and its `has_*` flag is false: guard "below" thresholds with the flag
//! (`service.has_cpu && service.cpu < 30.0`), since -1 is below everything.

use std::collections::{BTreeMap, HashMap};

use cel::common::types::{CelBool, CelDouble, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::Val;

use serde::Serialize;

use super::facts::OverrideFacts;
use crate::model::{CacheCluster, FleetSnapshot, Service, ServiceKey, configured_spot_share};
use crate::runbook::model::Scope;

/// Stand-in for a missing metric value.
pub const MISSING: f64 = -1.0;

fn metric(v: Option<f64>) -> f64 {
    v.unwrap_or(MISSING)
}

/// A struct of variables that CEL reads field by field. Besides the struct
/// (serialisable, for `at_start` and the schema), it gets `to_cel`, which
/// builds the CEL map of the fields an expression reads: on a large fleet
/// the scope's variables are built for every scope, and serialising all of
/// them was most of a trigger evaluation's cost.
macro_rules! record {
    ($(#[$outer:meta])* pub struct $name:ident { $($(#[$meta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$outer])*
        #[derive(Clone, Debug, Default, Serialize)]
        pub struct $name {
            $($(#[$meta])* pub $field: $ty,)*
        }

        impl $name {
            /// The CEL map of the fields `wanted` names.
            pub fn to_cel(&self, wanted: &dyn Fn(&str) -> bool) -> Box<dyn Val> {
                let mut map: HashMap<CelMapKey<'static>, Box<dyn Val>> = HashMap::new();
                $(
                    if wanted(stringify!($field)) {
                        map.insert(stringify!($field).into(), self.$field.to_val());
                    }
                )*
                Box::new(CelMap::from(map))
            }
        }
    };
}

/// A field's value as CEL sees it.
trait ToVal {
    fn to_val(&self) -> Box<dyn Val>;
}

impl ToVal for f64 {
    fn to_val(&self) -> Box<dyn Val> {
        Box::new(CelDouble::from(*self))
    }
}

impl ToVal for bool {
    fn to_val(&self) -> Box<dyn Val> {
        Box::new(CelBool::from(*self))
    }
}

impl ToVal for String {
    fn to_val(&self) -> Box<dyn Val> {
        Box::new(CelString::from(self.clone()))
    }
}

/// Lists and maps go through serde: they hold strings and doubles only,
/// which always serialise.
impl<T: Serialize> ToVal for Vec<T> {
    fn to_val(&self) -> Box<dyn Val> {
        serialised(self)
    }
}

impl ToVal for BTreeMap<String, String> {
    fn to_val(&self) -> Box<dyn Val> {
        serialised(self)
    }
}

fn serialised(value: &impl Serialize) -> Box<dyn Val> {
    let value = cel::to_value(value).unwrap_or(cel::Value::Null);
    Box::<dyn Val>::try_from(value).unwrap_or_else(|_| Box::new(CelNull))
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StrategyVar {
    pub provider: String,
    pub weight: f64,
    pub base: f64,
}

record! {
/// `service`: the scoped service.
pub struct ServiceVars {
    /// False when the scope is not a service, or the service is not in the snapshot.
    pub exists: bool,
    pub name: String,
    pub cluster: String,
    pub running: f64,
    pub desired: f64,
    pub pending: f64,
    /// Scalable target bounds; -1 without a scalable target.
    pub min: f64,
    pub max: f64,
    pub has_scaling: bool,
    pub cpu: f64,
    pub has_cpu: bool,
    pub memory: f64,
    pub has_memory: bool,
    pub p95_ms: f64,
    pub has_p95: bool,
    /// 5xx share of requests, percent.
    pub error_rate: f64,
    pub has_error_rate: bool,
    pub requests_per_min: f64,
    /// Spot share of running tasks, percent.
    pub spot_share: f64,
    /// Spot share the capacity-provider strategy aims for, percent.
    pub configured_spot_share: f64,
    pub on_demand_tasks: f64,
    pub spot_tasks: f64,
    /// What the running tasks cost per hour at the seed prices.
    pub burn_usd_per_hour: f64,
    pub strategy: Vec<StrategyVar>,
    pub arch: String,
    /// `stable`, `in_progress` or `failed`.
    pub deployment: String,
    /// The primary deployment's task definition; empty when unknown.
    pub task_definition: String,
    /// The last revision that ran before it; empty when there is none.
    pub previous_task_definition: String,
    pub scaling_suspended_in: bool,
    pub scaling_suspended_out: bool,
    /// A target-tracking policy has `DisableScaleIn`.
    pub scale_in_disabled: bool,
    pub policies: f64,
    /// Target value of the first target-tracking policy; -1 without one.
    pub target_cpu: f64,
    pub scale_out_cooldown_s: f64,
    pub scale_in_cooldown_s: f64,
    pub scheduled_actions: f64,
    /// Names of the scheduled scaling actions.
    pub scheduled: Vec<String>,
    pub task_vcpu: f64,
    pub task_memory_gb: f64,
    /// Infrastructure as code owns the service (stack or `managed-by` tag).
    pub iac: bool,
    pub tags: BTreeMap<String, String>,
}
}

impl ServiceVars {
    pub fn from_service(s: &Service) -> Self {
        let m = &s.metrics;
        let scaling = s.scaling.as_ref();
        let policy = scaling.and_then(|t| t.policies.first());
        Self {
            exists: true,
            name: s.key.service.clone(),
            cluster: s.key.cluster.clone(),
            running: f64::from(s.running),
            desired: f64::from(s.desired),
            pending: f64::from(s.pending),
            min: scaling.map_or(MISSING, |t| f64::from(t.min)),
            max: scaling.map_or(MISSING, |t| f64::from(t.max)),
            has_scaling: scaling.is_some(),
            cpu: metric(m.cpu_pct),
            has_cpu: m.cpu_pct.is_some(),
            memory: metric(m.memory_pct),
            has_memory: m.memory_pct.is_some(),
            p95_ms: metric(m.p95_ms),
            has_p95: m.p95_ms.is_some(),
            error_rate: metric(m.error_rate_pct),
            has_error_rate: m.error_rate_pct.is_some(),
            requests_per_min: metric(m.requests_per_min),
            spot_share: s.running_mix.spot_share() * 100.0,
            configured_spot_share: configured_spot_share(&s.strategy) * 100.0,
            on_demand_tasks: f64::from(s.running_mix.on_demand),
            spot_tasks: f64::from(s.running_mix.spot),
            burn_usd_per_hour: crate::model::cost::service_burn(s).usd_per_hour,
            strategy: s
                .strategy
                .iter()
                .map(|i| StrategyVar {
                    provider: i.provider.clone(),
                    weight: f64::from(i.weight),
                    base: f64::from(i.base),
                })
                .collect(),
            arch: s.arch.label().to_string(),
            deployment: s.deployment.state().to_string(),
            task_definition: s.task_definition.clone().unwrap_or_default(),
            previous_task_definition: s.previous_task_definition.clone().unwrap_or_default(),
            scaling_suspended_in: scaling.is_some_and(|t| t.suspended.scale_in),
            scaling_suspended_out: scaling.is_some_and(|t| t.suspended.scale_out),
            scale_in_disabled: scaling
                .is_some_and(|t| t.policies.iter().any(|p| p.disable_scale_in)),
            policies: scaling.map_or(0.0, |t| t.policies.len() as f64),
            target_cpu: policy.map_or(MISSING, |p| p.target),
            scale_out_cooldown_s: policy.map_or(MISSING, |p| f64::from(p.scale_out_cooldown_s)),
            scale_in_cooldown_s: policy.map_or(MISSING, |p| f64::from(p.scale_in_cooldown_s)),
            scheduled_actions: scaling.map_or(0.0, |t| t.scheduled.len() as f64),
            scheduled: scaling
                .map(|t| t.scheduled.iter().map(|a| a.name.clone()).collect())
                .unwrap_or_default(),
            task_vcpu: s.task_vcpu,
            task_memory_gb: s.task_memory_gb,
            iac: s.iac_owner().is_some(),
            tags: s.tags.clone(),
        }
    }

    fn absent(key: Option<&ServiceKey>) -> Self {
        Self {
            name: key.map(|k| k.service.clone()).unwrap_or_default(),
            cluster: key.map(|k| k.cluster.clone()).unwrap_or_default(),
            ..Self::missing()
        }
    }

    fn missing() -> Self {
        Self {
            min: MISSING,
            max: MISSING,
            cpu: MISSING,
            memory: MISSING,
            p95_ms: MISSING,
            error_rate: MISSING,
            requests_per_min: MISSING,
            target_cpu: MISSING,
            scale_out_cooldown_s: MISSING,
            scale_in_cooldown_s: MISSING,
            ..Self::default()
        }
    }
}

record! {
/// `cache`: the scoped cache cluster.
pub struct CacheVars {
    pub exists: bool,
    pub id: String,
    pub engine: String,
    pub node_type: String,
    pub memory_pct: f64,
    pub has_memory: bool,
    pub max_memory_gb: f64,
    /// Evictions in the last minute.
    pub evictions: f64,
    pub has_evictions: bool,
    /// `maxmemory-policy`; empty when the parameter group could not be read.
    pub policy: String,
    pub parameter_group: String,
    /// The `purpose` tag (`queue`, `cache`, ...); empty when untagged.
    pub purpose: String,
    pub tags: BTreeMap<String, String>,
}
}

impl CacheVars {
    pub fn from_cache(c: &CacheCluster) -> Self {
        Self {
            exists: true,
            id: c.id.clone(),
            engine: c.engine.clone(),
            node_type: c.node_type.clone(),
            memory_pct: metric(c.memory_pct),
            has_memory: c.memory_pct.is_some(),
            max_memory_gb: metric(c.max_memory_gb),
            evictions: metric(c.evictions_per_min),
            has_evictions: c.evictions_per_min.is_some(),
            policy: c.maxmemory_policy.clone().unwrap_or_default(),
            parameter_group: c.parameter_group.clone().unwrap_or_default(),
            purpose: c.tags.get("purpose").cloned().unwrap_or_default(),
            tags: c.tags.clone(),
        }
    }

    fn absent(id: Option<&str>) -> Self {
        Self {
            id: id.unwrap_or_default().to_string(),
            memory_pct: MISSING,
            max_memory_gb: MISSING,
            evictions: MISSING,
            ..Self::default()
        }
    }
}

/// `fleet`: aggregates over every service and cache.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct FleetVars {
    pub services: f64,
    pub running: f64,
    pub desired: f64,
    pub pending: f64,
    pub caches: f64,
    pub alarms_firing: f64,
    /// Some part of the snapshot failed its latest refresh.
    pub stale: bool,
}

impl FleetVars {
    pub fn from_snapshot(snap: &FleetSnapshot) -> Self {
        let sum = |f: fn(&Service) -> u32| snap.services.iter().map(|s| f64::from(f(s))).sum();
        Self {
            services: snap.services.len() as f64,
            running: sum(|s| s.running),
            desired: sum(|s| s.desired),
            pending: sum(|s| s.pending),
            caches: snap.caches.len() as f64,
            alarms_firing: snap
                .alarms
                .iter()
                .filter(|a| a.state == crate::model::AlarmState::Alarm)
                .count() as f64,
            stale: snap.part_errors().next().is_some(),
        }
    }
}

/// `baseline`: the declared bounds of the scoped service.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BaselineVars {
    pub known: bool,
    pub min: f64,
    pub max: f64,
}

/// All variables of one evaluation.
pub struct Vars {
    pub service: ServiceVars,
    pub cache: CacheVars,
    pub fleet: FleetVars,
    pub baseline: BaselineVars,
}

impl Vars {
    /// `service` is the scoped service, looked up by the caller (through the
    /// evaluation's index when it has one).
    pub fn new(
        snap: &FleetSnapshot,
        facts: &OverrideFacts,
        fleet: FleetVars,
        scope: &Scope,
        service: Option<&Service>,
    ) -> Self {
        let (service, cache, baseline) = match scope {
            Scope::Service(key) => {
                let service = service
                    .map_or_else(|| ServiceVars::absent(Some(key)), ServiceVars::from_service);
                let baseline = facts.baselines.get(key).map_or(
                    BaselineVars {
                        known: false,
                        min: MISSING,
                        max: MISSING,
                    },
                    |b| BaselineVars {
                        known: true,
                        min: f64::from(b.min),
                        max: f64::from(b.max),
                    },
                );
                (service, CacheVars::absent(None), baseline)
            }
            Scope::Cache(id) => {
                let cache = snap
                    .cache(id)
                    .map_or_else(|| CacheVars::absent(Some(id)), CacheVars::from_cache);
                let baseline = BaselineVars {
                    known: false,
                    min: MISSING,
                    max: MISSING,
                };
                (ServiceVars::absent(None), cache, baseline)
            }
        };
        Self {
            service,
            cache,
            fleet,
            baseline,
        }
    }
}
