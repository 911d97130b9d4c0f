//! The closed catalogue of writes sitrep can make. A request is exactly what
//! the writer sends: `api_call` renders it as the AWS operation and body.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::{ServiceKey, StrategyItem};

/// Declares the request enum, its serde tags and `id()` from one list, so
/// each catalogue id is spelled once (the catalogue refers to `ids::*`).
macro_rules! requests {
    ($(
        $(#[$doc:meta])*
        $const:ident = $id:literal => $variant:ident { $($field:ident: $ty:ty),* $(,)? }
    ),* $(,)?) => {
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "action")]
        pub enum ActionRequest {
            $( $(#[$doc])* #[serde(rename = $id)] $variant { $($field: $ty),* }, )*
        }

        /// The catalogue id of every request kind.
        pub mod ids {
            $( pub const $const: &str = $id; )*
        }

        impl ActionRequest {
            /// Every request kind's catalogue id, in declaration order.
            pub const IDS: &[&str] = &[$($id),*];

            /// Catalogue id, e.g. `ecs.set_desired_count`.
            pub fn id(&self) -> &'static str {
                match self {
                    $( Self::$variant { .. } => $id, )*
                }
            }
        }
    };
}

requests! {
    SET_DESIRED_COUNT = "ecs.set_desired_count" => SetDesiredCount { service: ServiceKey, desired: u32 },
    /// Always forces a new deployment: ECS refuses a strategy change without one.
    SET_CAPACITY_PROVIDER_STRATEGY = "ecs.set_capacity_provider_strategy" => SetCapacityProviderStrategy {
        service: ServiceKey,
        strategy: Vec<StrategyItem>,
    },
    FORCE_NEW_DEPLOYMENT = "ecs.force_new_deployment" => ForceNewDeployment { service: ServiceKey },
    /// Deploys another task definition (`family:revision`): a rollback to the last one that ran.
    SET_TASK_DEFINITION = "ecs.set_task_definition" => SetTaskDefinition {
        service: ServiceKey,
        task_definition: String,
    },
    SET_BOUNDS = "autoscaling.set_bounds" => SetBounds { service: ServiceKey, min: u32, max: u32 },
    SUSPEND_SCALE_IN = "autoscaling.suspend_scale_in" => SuspendScaleIn { service: ServiceKey },
    RESUME_SCALE_IN = "autoscaling.resume_scale_in" => ResumeScaleIn { service: ServiceKey },
    PUT_SCHEDULED_ACTION = "autoscaling.put_scheduled_action" => PutScheduledAction {
        service: ServiceKey,
        name: String,
        schedule: String,
        min: Option<u32>,
        max: Option<u32>,
    },
    SET_MAXMEMORY_POLICY = "elasticache.set_maxmemory_policy" => SetMaxmemoryPolicy {
        cache_id: String,
        parameter_group: String,
        policy: String,
    },
}

/// An AWS operation and its request body, as shown in previews and the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    pub operation: String,
    pub body: Value,
}

impl ActionRequest {
    /// The service this request changes, if it targets one.
    pub fn service(&self) -> Option<&ServiceKey> {
        match self {
            Self::SetDesiredCount { service, .. }
            | Self::SetCapacityProviderStrategy { service, .. }
            | Self::ForceNewDeployment { service }
            | Self::SetTaskDefinition { service, .. }
            | Self::SetBounds { service, .. }
            | Self::SuspendScaleIn { service }
            | Self::ResumeScaleIn { service }
            | Self::PutScheduledAction { service, .. } => Some(service),
            Self::SetMaxmemoryPolicy { .. } => None,
        }
    }

    /// The resource name shown to (and typed by) the operator.
    pub fn target_name(&self) -> String {
        match self {
            Self::SetMaxmemoryPolicy { cache_id, .. } => cache_id.clone(),
            _ => self
                .service()
                .map(|s| s.service.clone())
                .unwrap_or_default(),
        }
    }

    pub fn api_call(&self) -> ApiCall {
        let (operation, body) = match self {
            Self::SetDesiredCount { service, desired } => (
                "ecs:UpdateService",
                json!({"cluster": service.cluster, "service": service.service, "desiredCount": desired}),
            ),
            Self::SetCapacityProviderStrategy { service, strategy } => (
                "ecs:UpdateService",
                json!({
                    "cluster": service.cluster,
                    "service": service.service,
                    "capacityProviderStrategy": strategy.iter().map(strategy_item).collect::<Vec<_>>(),
                    "forceNewDeployment": true,
                }),
            ),
            Self::ForceNewDeployment { service } => (
                "ecs:UpdateService",
                json!({"cluster": service.cluster, "service": service.service, "forceNewDeployment": true}),
            ),
            Self::SetTaskDefinition {
                service,
                task_definition,
            } => (
                "ecs:UpdateService",
                json!({"cluster": service.cluster, "service": service.service, "taskDefinition": task_definition}),
            ),
            Self::SetBounds { service, min, max } => (
                "application-autoscaling:RegisterScalableTarget",
                json!({
                    "ServiceNamespace": "ecs",
                    "ResourceId": service.resource_id(),
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "MinCapacity": min,
                    "MaxCapacity": max,
                }),
            ),
            Self::SuspendScaleIn { service } | Self::ResumeScaleIn { service } => (
                "application-autoscaling:RegisterScalableTarget",
                json!({
                    "ServiceNamespace": "ecs",
                    "ResourceId": service.resource_id(),
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "SuspendedState": {
                        "DynamicScalingInSuspended": matches!(self, Self::SuspendScaleIn { .. })
                    },
                }),
            ),
            Self::PutScheduledAction {
                service,
                name,
                schedule,
                min,
                max,
            } => {
                let mut target = serde_json::Map::new();
                if let Some(min) = min {
                    target.insert("MinCapacity".into(), json!(min));
                }
                if let Some(max) = max {
                    target.insert("MaxCapacity".into(), json!(max));
                }
                (
                    "application-autoscaling:PutScheduledAction",
                    json!({
                        "ServiceNamespace": "ecs",
                        "ScheduledActionName": name,
                        "ResourceId": service.resource_id(),
                        "ScalableDimension": "ecs:service:DesiredCount",
                        "Schedule": schedule,
                        "ScalableTargetAction": target,
                    }),
                )
            }
            Self::SetMaxmemoryPolicy {
                parameter_group,
                policy,
                ..
            } => (
                "elasticache:ModifyCacheParameterGroup",
                json!({
                    "CacheParameterGroupName": parameter_group,
                    "ParameterNameValues": [{"ParameterName": "maxmemory-policy", "ParameterValue": policy}],
                }),
            ),
        };
        ApiCall {
            operation: operation.to_string(),
            body,
        }
    }
}

/// A strategy item as ECS receives it: the SDK leaves out a weight or base of
/// 0 (the API's default), so the recorded request does too.
fn strategy_item(item: &StrategyItem) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("capacityProvider".into(), json!(item.provider));
    if item.weight != 0 {
        out.insert("weight".into(), json!(item.weight));
    }
    if item.base != 0 {
        out.insert("base".into(), json!(item.base));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_change_always_forces_deployment() {
        let req = ActionRequest::SetCapacityProviderStrategy {
            service: ServiceKey::new("manga", "orchestrator"),
            strategy: vec![StrategyItem::new("FARGATE", 100, 10)],
        };
        let call = req.api_call();
        assert_eq!(call.operation, "ecs:UpdateService");
        assert_eq!(call.body["forceNewDeployment"], json!(true));
        assert_eq!(call.body["capacityProviderStrategy"][0]["base"], json!(10));
    }

    #[test]
    fn requests_round_trip_through_json() {
        let req = ActionRequest::SetBounds {
            service: ServiceKey::new("manga", "orchestrator"),
            min: 5,
            max: 200,
        };
        let text = serde_json::to_string(&req).unwrap();
        assert!(text.contains(r#""action":"autoscaling.set_bounds""#));
        assert_eq!(serde_json::from_str::<ActionRequest>(&text).unwrap(), req);
        assert_eq!(
            req.api_call().body["ResourceId"],
            json!("service/manga/orchestrator")
        );
    }
}

/// Why a write did not happen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WriteError {
    pub kind: WriteErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteErrorKind {
    /// The target does not exist (deleted service, unknown cache).
    NotFound,
    /// Credentials missing or the call is not permitted.
    Denied,
    Throttled,
    /// The API rejected the request as invalid.
    Rejected,
    Timeout,
    Other,
}

impl WriteError {
    pub fn new(kind: WriteErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for WriteError {}

/// What became of a request, as a runbook walk and a drill need it; the
/// executor's full outcome converts into it.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionOutcome {
    Applied,
    /// A guard refused it at apply time; nothing was sent.
    Refused(String),
    /// The API failed it, or it was not sent.
    Failed(String),
}

impl ActionOutcome {
    pub fn is_applied(&self) -> bool {
        *self == ActionOutcome::Applied
    }
}
