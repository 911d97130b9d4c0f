//! The action catalogue as data: which actions exist, what parameters each takes,
//! and how a runbook's evaluated parameters become a typed `ActionRequest`.

use serde_json::{Map, Value, json};

use crate::model::ServiceKey;
use crate::model::request::{ActionRequest, ids};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// A non-negative whole number (task counts, capacities).
    Count,
    Text,
    /// A list of `{provider, weight, base}`.
    Strategy,
}

#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub ty: ParamType,
    pub required: bool,
}

/// What an action targets: an ECS service or a cache cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    Service,
    Cache,
    /// `manual`: a step the operator performs elsewhere; nothing is written.
    None,
}

#[derive(Clone, Copy, Debug)]
pub struct ActionSpec {
    pub id: &'static str,
    pub target: TargetKind,
    pub params: &'static [ParamSpec],
    /// Risky actions ask for the target's name to be typed, not just `y`.
    pub risky: bool,
    pub summary: &'static str,
    /// It raises capacity or changes strategy: a runbook must name its revert.
    pub needs_revert: bool,
    /// The revert the executor records from the state before the change.
    pub revert: &'static str,
    /// What its guards check besides `guards::COMMON` (the preview shows each).
    pub guards: &'static [&'static str],
}

const fn p(name: &'static str, ty: ParamType, required: bool) -> ParamSpec {
    ParamSpec { name, ty, required }
}

pub const MANUAL: &str = "manual";

pub const CATALOGUE: &[ActionSpec] = &[
    ActionSpec {
        id: ids::SET_DESIRED_COUNT,
        target: TargetKind::Service,
        params: &[p("desired", ParamType::Count, true)],
        risky: false,
        summary: "Set the service's desired task count (UpdateService)",
        needs_revert: true,
        revert: "set the desired count back to its value before",
        guards: &[
            "desired within the scalable target's min..max (else: raise max first, offered as a fix)",
            "warns when new tasks failed to start in the last 10 min and desired rises",
        ],
    },
    ActionSpec {
        id: ids::SET_CAPACITY_PROVIDER_STRATEGY,
        target: TargetKind::Service,
        params: &[p("strategy", ParamType::Strategy, true)],
        risky: true,
        summary: "Change the capacity-provider strategy and force a new deployment",
        needs_revert: true,
        revert: "the previous strategy (a launch-type service: a manual step)",
        guards: &[
            "weights do not sum to 0",
            "at most one provider has a base",
            "providers are FARGATE or FARGATE_SPOT",
            "warns over a rolling or failed deployment",
        ],
    },
    ActionSpec {
        id: ids::FORCE_NEW_DEPLOYMENT,
        target: TargetKind::Service,
        params: &[],
        risky: true,
        summary: "Replace every task of the service (UpdateService forceNewDeployment)",
        needs_revert: false,
        revert: "none: a replacement of every task cannot be undone",
        guards: &["warns over a rolling or failed deployment"],
    },
    ActionSpec {
        id: ids::SET_TASK_DEFINITION,
        target: TargetKind::Service,
        params: &[p("task_definition", ParamType::Text, true)],
        risky: true,
        summary: "Deploy another task definition, e.g. roll back to the last one that ran (UpdateService taskDefinition)",
        needs_revert: true,
        revert: "deploy the task definition that was primary before",
        guards: &[
            "the task definition differs from the primary deployment's",
            "warns when it is not the last revision that ran",
        ],
    },
    ActionSpec {
        id: ids::SET_BOUNDS,
        target: TargetKind::Service,
        params: &[
            p("min", ParamType::Count, true),
            p("max", ParamType::Count, true),
        ],
        risky: false,
        summary: "Set the scalable target's min/max (RegisterScalableTarget)",
        needs_revert: true,
        revert: "the previous min and max (no scalable target before: deregister it, a manual step)",
        guards: &[
            "max >= min",
            "warns when new tasks failed to start in the last 10 min and min or max rises",
        ],
    },
    ActionSpec {
        id: ids::SUSPEND_SCALE_IN,
        target: TargetKind::Service,
        params: &[],
        risky: false,
        summary: "Suspend dynamic scale-in; scale-out keeps working",
        needs_revert: true,
        revert: "resume scale-in",
        guards: &[],
    },
    ActionSpec {
        id: ids::RESUME_SCALE_IN,
        target: TargetKind::Service,
        params: &[],
        risky: false,
        summary: "Resume dynamic scale-in",
        needs_revert: false,
        revert: "suspend scale-in again",
        guards: &[],
    },
    ActionSpec {
        id: ids::PUT_SCHEDULED_ACTION,
        target: TargetKind::Service,
        params: &[
            p("name", ParamType::Text, true),
            p("schedule", ParamType::Text, true),
            p("min", ParamType::Count, false),
            p("max", ParamType::Count, false),
        ],
        risky: false,
        summary: "Create or replace a scheduled scaling action",
        needs_revert: true,
        revert: "the scheduled action it replaced (a new one: delete it, a manual step)",
        guards: &["max >= min when both are given"],
    },
    ActionSpec {
        id: ids::SET_MAXMEMORY_POLICY,
        target: TargetKind::Cache,
        params: &[p("policy", ParamType::Text, true)],
        risky: true,
        summary: "Set maxmemory-policy in the cache's parameter group",
        needs_revert: true,
        revert: "the previous maxmemory-policy",
        guards: &[
            "a policy Redis knows",
            "warns when the cache is tagged as a job queue and the policy evicts",
        ],
    },
    ActionSpec {
        id: MANUAL,
        target: TargetKind::None,
        params: &[],
        risky: false,
        summary: "A step performed elsewhere and ticked off",
        needs_revert: false,
        revert: "none: nothing is written",
        guards: &[],
    },
];

pub fn spec(id: &str) -> Option<&'static ActionSpec> {
    CATALOGUE.iter().find(|s| s.id == id)
}

/// What a request is aimed at, chosen by the runbook's scope.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Service(ServiceKey),
    Cache { id: String, parameter_group: String },
}

/// Build a typed request from evaluated parameters. Whole-number doubles (CEL
/// computes in doubles) become integers; anything else that does not fit the
/// catalogue is an error naming the parameter.
pub fn build(
    id: &str,
    target: &Target,
    params: &Map<String, Value>,
) -> Result<ActionRequest, String> {
    let spec = spec(id).ok_or_else(|| format!("unknown action `{id}`"))?;
    if spec.target == TargetKind::None {
        return Err(format!("`{id}` writes nothing and has no request"));
    }
    let mut body = Map::new();
    body.insert("action".into(), json!(id));
    match (spec.target, target) {
        (TargetKind::Service, Target::Service(key)) => {
            body.insert("service".into(), json!(key));
        }
        (
            TargetKind::Cache,
            Target::Cache {
                id,
                parameter_group,
            },
        ) => {
            body.insert("cache_id".into(), json!(id));
            body.insert("parameter_group".into(), json!(parameter_group));
        }
        _ => return Err(format!("`{id}` cannot target {target:?}")),
    }
    for (name, value) in params {
        let param = spec
            .params
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("`{id}` has no parameter `{name}`"))?;
        body.insert(name.clone(), coerce(param, value)?);
    }
    for param in spec.params.iter().filter(|p| p.required) {
        if !params.contains_key(param.name) {
            return Err(format!("`{id}` needs parameter `{}`", param.name));
        }
    }
    serde_json::from_value(Value::Object(body)).map_err(|e| format!("`{id}`: {e}"))
}

fn coerce(param: &ParamSpec, value: &Value) -> Result<Value, String> {
    let bad = |what: &str| format!("parameter `{}` must be {what}, got {value}", param.name);
    match param.ty {
        ParamType::Count => count(value)
            .map(|n| json!(n))
            .ok_or_else(|| bad("a whole number >= 0")),
        ParamType::Text => value.as_str().map(|s| json!(s)).ok_or_else(|| bad("text")),
        ParamType::Strategy => {
            let items = value
                .as_array()
                .ok_or_else(|| bad("a list of {provider, weight, base}"))?;
            items
                .iter()
                .map(|item| {
                    let provider = item.get("provider").and_then(Value::as_str);
                    let weight = item.get("weight").and_then(count);
                    let base = item.get("base").map_or(Some(0), count);
                    match (provider, weight, base) {
                        (Some(provider), Some(weight), Some(base)) => {
                            Ok(json!({"provider": provider, "weight": weight, "base": base}))
                        }
                        _ => Err(bad("a list of {provider, weight, base}")),
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

fn count(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    (f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX)).then_some(f as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> Target {
        Target::Service(ServiceKey::new("manga", "orchestrator"))
    }

    #[test]
    fn the_catalogue_lists_every_request_kind_once_in_order() {
        let ids: Vec<&str> = CATALOGUE
            .iter()
            .map(|s| s.id)
            .filter(|id| *id != MANUAL)
            .collect();
        assert_eq!(ids, ActionRequest::IDS);
    }

    #[test]
    fn builds_bounds_from_cel_doubles() {
        let params = json!({"min": 5.0, "max": 200.0});
        let req = build(
            "autoscaling.set_bounds",
            &svc(),
            params.as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(
            req,
            ActionRequest::SetBounds {
                service: ServiceKey::new("manga", "orchestrator"),
                min: 5,
                max: 200
            }
        );
    }

    #[test]
    fn rejects_unknown_missing_and_bad_params() {
        let bad = json!({"desired": 1.5});
        let err = build("ecs.set_desired_count", &svc(), bad.as_object().unwrap()).unwrap_err();
        assert!(err.contains("whole number"), "{err}");
        let unknown = json!({"desired": 3, "maximum": 4});
        assert!(
            build(
                "ecs.set_desired_count",
                &svc(),
                unknown.as_object().unwrap()
            )
            .unwrap_err()
            .contains("no parameter `maximum`")
        );
        assert!(
            build("ecs.set_desired_count", &svc(), &Map::new())
                .unwrap_err()
                .contains("needs parameter `desired`")
        );
        assert!(
            build("ecs.nope", &svc(), &Map::new())
                .unwrap_err()
                .contains("unknown action")
        );
    }

    #[test]
    fn builds_strategy_with_default_base() {
        let params = json!({"strategy": [{"provider": "FARGATE", "weight": 100.0}]});
        let req = build(
            "ecs.set_capacity_provider_strategy",
            &svc(),
            params.as_object().unwrap(),
        )
        .unwrap();
        let ActionRequest::SetCapacityProviderStrategy { strategy, .. } = req else {
            panic!("wrong request {req:?}");
        };
        assert_eq!(strategy[0].base, 0);
        assert_eq!(strategy[0].weight, 100);
    }

    #[test]
    fn every_catalogue_entry_but_manual_builds() {
        for spec in CATALOGUE.iter().filter(|s| s.id != MANUAL) {
            let target = match spec.target {
                TargetKind::Cache => Target::Cache {
                    id: "manga-cache".into(),
                    parameter_group: "manga-redis7".into(),
                },
                _ => svc(),
            };
            let mut params = Map::new();
            for p in spec.params {
                let v = match p.ty {
                    ParamType::Count => json!(3),
                    ParamType::Text => json!("x"),
                    ParamType::Strategy => json!([{"provider": "FARGATE", "weight": 1}]),
                };
                params.insert(p.name.into(), v);
            }
            let req = build(spec.id, &target, &params).unwrap();
            assert_eq!(req.id(), spec.id);
        }
    }
}
