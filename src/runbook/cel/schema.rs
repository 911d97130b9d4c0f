//! What runbook expressions can name, declared once: each variable with its
//! type, the known values of enum-like strings, and what it means. The static
//! checker (`check`) types expressions against it, `sitrep runbook vars` and
//! docs/runbooks.md print it, and a test holds it equal to the serialised
//! variables (`variables.rs`), so none of them can drift.

use std::fmt;
use std::sync::LazyLock;

use crate::action::guards::KNOWN_POLICIES;
use crate::model::{FARGATE, FARGATE_SPOT};

/// A CEL type as the checker sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Bool,
    Int,
    UInt,
    Double,
    String,
    /// A string whose values are known: comparing it with any other literal is a mistake.
    Enum(&'static Values),
    Bytes,
    Null,
    Timestamp,
    Duration,
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    Object(&'static Object),
    /// Unknown until run time: anything goes.
    Dyn,
}

/// The known values of an enum-like string field.
#[derive(Debug, PartialEq)]
pub struct Values {
    /// Where the values come from, for messages: `service.deployment`.
    pub of: &'static str,
    pub values: Vec<&'static str>,
}

/// A record: `service`, `cache`, a strategy item.
#[derive(Debug, PartialEq)]
pub struct Object {
    pub name: &'static str,
    pub fields: Vec<Field>,
}

impl Object {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, PartialEq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

/// A top-level variable.
#[derive(Debug)]
pub struct Variable {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

impl Ty {
    pub fn list(t: Ty) -> Ty {
        Ty::List(Box::new(t))
    }

    pub fn map(k: Ty, v: Ty) -> Ty {
        Ty::Map(Box::new(k), Box::new(v))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Ty::String | Ty::Enum(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Ty::Int | Ty::UInt | Ty::Double)
    }

    /// The values this type is known to take, if it is enum-like.
    pub fn values(&self) -> Option<&'static Values> {
        match self {
            Ty::Enum(v) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::Int => f.write_str("int"),
            Ty::UInt => f.write_str("uint"),
            Ty::Double => f.write_str("double"),
            Ty::String | Ty::Enum(_) => f.write_str("string"),
            Ty::Bytes => f.write_str("bytes"),
            Ty::Null => f.write_str("null"),
            Ty::Timestamp => f.write_str("timestamp"),
            Ty::Duration => f.write_str("duration"),
            Ty::List(t) => write!(f, "list({t})"),
            Ty::Map(k, v) => write!(f, "map({k}, {v})"),
            Ty::Object(o) => f.write_str(o.name),
            Ty::Dyn => f.write_str("dyn"),
        }
    }
}

/// `Object`, where `Ty::*` is in scope.
type Record = Object;

fn values(of: &'static str, values: &[&'static str]) -> &'static Values {
    Box::leak(Box::new(Values {
        of,
        values: values.to_vec(),
    }))
}

fn field(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

/// Values of `service.deployment`, as `variables.rs` writes them.
pub const DEPLOYMENT_STATES: &[&str] = &["stable", "in_progress", "failed"];
/// Values of `service.arch`.
pub const ARCHES: &[&str] = &["x86", "arm64"];

pub static STRATEGY_ITEM: LazyLock<Object> = LazyLock::new(|| Object {
    name: "strategy item",
    fields: vec![
        field(
            "provider",
            Ty::Enum(values("strategy provider", &[FARGATE, FARGATE_SPOT])),
            "capacity provider",
        ),
        field(
            "weight",
            Ty::Double,
            "relative share of tasks beyond the base",
        ),
        field("base", Ty::Double, "tasks placed on this provider first"),
    ],
});

pub static SERVICE: LazyLock<Object> = LazyLock::new(|| {
    use Ty::*;
    let metric = "a metric; -1 when there is no datapoint";
    Record {
        name: "service",
        fields: vec![
            field(
                "exists",
                Bool,
                "false when the scope is not a service, or the service is not in the snapshot",
            ),
            field("name", String, "service name"),
            field("cluster", String, "cluster name"),
            field("running", Double, "running tasks"),
            field("desired", Double, "desired tasks"),
            field("pending", Double, "pending tasks"),
            field(
                "min",
                Double,
                "scalable target min; -1 without a scalable target",
            ),
            field(
                "max",
                Double,
                "scalable target max; -1 without a scalable target",
            ),
            field("has_scaling", Bool, "a scalable target is registered"),
            field(
                "cpu",
                Double,
                "CPU utilisation, %; a metric: -1 without a datapoint",
            ),
            field("has_cpu", Bool, "`cpu` has a datapoint"),
            field("memory", Double, "memory utilisation, %; a metric"),
            field("has_memory", Bool, "`memory` has a datapoint"),
            field("p95_ms", Double, "P95 latency, ms; a metric"),
            field("has_p95", Bool, "`p95_ms` has a datapoint"),
            field("error_rate", Double, "5xx share of requests, %; a metric"),
            field("has_error_rate", Bool, "`error_rate` has a datapoint"),
            field("requests_per_min", Double, metric),
            field("spot_share", Double, "Spot share of running tasks, %"),
            field(
                "configured_spot_share",
                Double,
                "Spot share the capacity-provider strategy aims for, %",
            ),
            field("on_demand_tasks", Double, "running tasks on FARGATE"),
            field("spot_tasks", Double, "running tasks on FARGATE_SPOT"),
            field(
                "burn_usd_per_hour",
                Double,
                "what the running tasks cost per hour at the seed prices (x86 $0.04048/vCPU-h + $0.004445/GB-h, ARM64 -20 %, Spot -70 %)",
            ),
            field(
                "strategy",
                Ty::list(Object(&STRATEGY_ITEM)),
                "capacity-provider strategy: {provider, weight, base}",
            ),
            field(
                "arch",
                Enum(values("service.arch", ARCHES)),
                "CPU architecture",
            ),
            field(
                "deployment",
                Enum(values("service.deployment", DEPLOYMENT_STATES)),
                "state of the latest deployment",
            ),
            field(
                "task_definition",
                String,
                "the primary deployment's task definition (family:revision); '' when unknown",
            ),
            field(
                "previous_task_definition",
                String,
                "the last task definition that ran before it (an older deployment with running tasks); '' when none",
            ),
            field(
                "scaling_suspended_in",
                Bool,
                "dynamic scale-in is suspended",
            ),
            field(
                "scaling_suspended_out",
                Bool,
                "dynamic scale-out is suspended",
            ),
            field(
                "scale_in_disabled",
                Bool,
                "a target-tracking policy has DisableScaleIn",
            ),
            field("policies", Double, "scaling policies attached"),
            field(
                "target_cpu",
                Double,
                "target value of the first target-tracking policy; -1 without one",
            ),
            field(
                "scale_out_cooldown_s",
                Double,
                "scale-out cooldown of that policy, s; -1 without one",
            ),
            field(
                "scale_in_cooldown_s",
                Double,
                "scale-in cooldown of that policy, s; -1 without one",
            ),
            field("scheduled_actions", Double, "scheduled scaling actions"),
            field(
                "scheduled",
                Ty::list(String),
                "names of the scheduled scaling actions",
            ),
            field("task_vcpu", Double, "vCPU per task"),
            field("task_memory_gb", Double, "memory per task, GB"),
            field(
                "iac",
                Bool,
                "infrastructure as code owns the service (stack or `managed-by` tag)",
            ),
            field("tags", Ty::map(String, String), "the service's tags"),
        ],
    }
});

pub static CACHE: LazyLock<Object> = LazyLock::new(|| {
    use Ty::*;
    let mut policies: Vec<&'static str> = KNOWN_POLICIES.to_vec();
    policies.push("");
    Record {
        name: "cache",
        fields: vec![
            field(
                "exists",
                Bool,
                "false when the scope is not a cache, or it is not in the snapshot",
            ),
            field("id", String, "cache cluster id"),
            field("engine", String, "redis, valkey, ..."),
            field("node_type", String, "cache.r6g.large, ..."),
            field(
                "memory_pct",
                Double,
                "memory used, %; a metric: -1 without a datapoint",
            ),
            field("has_memory", Bool, "`memory_pct` has a datapoint"),
            field("max_memory_gb", Double, "node memory, GB; -1 when unknown"),
            field(
                "evictions",
                Double,
                "evictions in the last minute; a metric",
            ),
            field("has_evictions", Bool, "`evictions` has a datapoint"),
            field(
                "policy",
                Enum(values("cache.policy", &policies)),
                "maxmemory-policy; '' when the parameter group could not be read",
            ),
            field("parameter_group", String, "the cache's parameter group"),
            field(
                "purpose",
                String,
                "the `purpose` tag (queue, cache, ...); '' when untagged",
            ),
            field("tags", Ty::map(String, String), "the cache's tags"),
        ],
    }
});

pub static FLEET: LazyLock<Object> = LazyLock::new(|| {
    use Ty::*;
    Record {
        name: "fleet",
        fields: vec![
            field("services", Double, "services in the snapshot"),
            field("running", Double, "running tasks, all services"),
            field("desired", Double, "desired tasks, all services"),
            field("pending", Double, "pending tasks, all services"),
            field("caches", Double, "cache clusters in the snapshot"),
            field("alarms_firing", Double, "alarms in ALARM"),
            field(
                "stale",
                Bool,
                "some part of the snapshot failed its latest refresh",
            ),
        ],
    }
});

pub static BASELINE: LazyLock<Object> = LazyLock::new(|| {
    use Ty::*;
    Record {
        name: "baseline",
        fields: vec![
            field(
                "known",
                Bool,
                "the declared baseline has the scoped service's bounds",
            ),
            field("min", Double, "declared min; -1 when unknown"),
            field("max", Double, "declared max; -1 when unknown"),
        ],
    }
});

/// Every variable an expression may name, in the order the reference lists them.
pub static VARIABLES: LazyLock<Vec<Variable>> = LazyLock::new(|| {
    vec![
        Variable {
            name: "service",
            ty: Ty::Object(&SERVICE),
            doc: "the scoped service (scope = \"service\")",
        },
        Variable {
            name: "cache",
            ty: Ty::Object(&CACHE),
            doc: "the scoped cache cluster (scope = \"cache\")",
        },
        Variable {
            name: "fleet",
            ty: Ty::Object(&FLEET),
            doc: "aggregates over every service and cache",
        },
        Variable {
            name: "baseline",
            ty: Ty::Object(&BASELINE),
            doc: "the declared bounds of the scoped service",
        },
        Variable {
            name: "now",
            ty: Ty::Timestamp,
            doc: "data time of the snapshot (simulated time on the simulator)",
        },
        Variable {
            name: "scope",
            ty: Ty::String,
            doc: "what the walk is bound to: `cluster/service` or `cache <id>`",
        },
    ]
});

/// `at_start`, in a node: the scoped subject when the walk began.
pub const AT_START_DOC: &str = "in a node (not the trigger): the scoped service (or cache) as it was when the walk began, with the same fields: `at_start.max` is max before anything the walk changed";

/// `proposed`, in an action's `verify`: the parameters as applied.
pub const PROPOSED_DOC: &str =
    "in an action's `verify` only: the action's parameters as applied (`proposed.max`)";

pub fn variable(name: &str) -> Option<&'static Variable> {
    VARIABLES.iter().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::model::{Arch, DeploymentState};
    use crate::runbook::cel::variables::{BaselineVars, CacheVars, FleetVars, ServiceVars};
    use crate::runbook::sample;

    /// Every serialised field is declared with a matching type, and every
    /// declared field is serialised: the reference cannot drift from the data.
    fn same_shape(object: &Object, value: Value) {
        let Value::Object(map) = value else {
            panic!("{} does not serialise to an object", object.name);
        };
        let declared: Vec<&str> = object.fields.iter().map(|f| f.name).collect();
        let served: Vec<&str> = map.keys().map(String::as_str).collect();
        let mut a = declared.clone();
        let mut b = served.clone();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "{}: declared vs serialised fields", object.name);
        for f in &object.fields {
            let v = &map[f.name];
            let fits = match (&f.ty, v) {
                (Ty::Double, Value::Number(_)) | (Ty::Bool, Value::Bool(_)) => true,
                (t, Value::String(_)) => t.is_string(),
                (Ty::List(_), Value::Array(_)) | (Ty::Map(..), Value::Object(_)) => true,
                _ => false,
            };
            assert!(
                fits,
                "{}.{}: declared {} but serialised {v}",
                object.name, f.name, f.ty
            );
            if let (Some(values), Value::String(s)) = (f.ty.values(), v) {
                assert!(
                    values.values.contains(&s.as_str()),
                    "{}.{} = {s}",
                    object.name,
                    f.name
                );
            }
        }
    }

    #[test]
    fn declared_variables_match_the_serialised_ones() {
        let snap = sample::snapshot();
        let svc = ServiceVars::from_service(&snap.services[0]);
        same_shape(&SERVICE, serde_json::to_value(&svc).unwrap());
        same_shape(
            &STRATEGY_ITEM,
            serde_json::to_value(&svc.strategy[0]).unwrap(),
        );
        same_shape(
            &CACHE,
            serde_json::to_value(CacheVars::from_cache(&snap.caches[0])).unwrap(),
        );
        same_shape(
            &FLEET,
            serde_json::to_value(FleetVars::from_snapshot(&snap)).unwrap(),
        );
        same_shape(
            &BASELINE,
            serde_json::to_value(BaselineVars::default()).unwrap(),
        );
    }

    #[test]
    fn known_values_are_the_values_written() {
        let mut snap = sample::snapshot();
        for state in [
            DeploymentState::Stable,
            DeploymentState::InProgress {
                updated: 1,
                total: 2,
            },
            DeploymentState::Failed { reason: "x".into() },
        ] {
            snap.services[0].deployment = state;
            let v = ServiceVars::from_service(&snap.services[0]).deployment;
            assert!(DEPLOYMENT_STATES.contains(&v.as_str()), "{v}");
        }
        for arch in [Arch::X86_64, Arch::Arm64] {
            assert!(ARCHES.contains(&arch.label()));
        }
    }
}
