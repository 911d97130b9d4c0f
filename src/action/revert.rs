//! The revert of an action, computed from the state before it was applied.
//! "Always plan the revert": every override names the request that undoes it.

use serde::{Deserialize, Serialize};

use crate::model::FleetSnapshot;
use crate::model::request::ActionRequest;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revert {
    /// A catalogue request that restores the previous state.
    Request { request: ActionRequest },
    /// The catalogue cannot undo it; what the operator must do elsewhere.
    Manual { text: String },
}

impl Revert {
    pub fn request(&self) -> Option<&ActionRequest> {
        match self {
            Revert::Request { request } => Some(request),
            Revert::Manual { .. } => None,
        }
    }

    /// One line for tables: `autoscaling.set_bounds min 10 max 50` or the manual text.
    pub fn describe(&self) -> String {
        match self {
            Revert::Request { request } => describe_request(request),
            Revert::Manual { text } => format!("manual: {text}"),
        }
    }
}

/// `ecs.set_desired_count desired 30`: the action and its values, on one line.
pub fn describe_request(request: &ActionRequest) -> String {
    let values = match request {
        ActionRequest::SetDesiredCount { desired, .. } => format!("desired {desired}"),
        ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
            super::preview::format_strategy(strategy)
        }
        ActionRequest::SetBounds { min, max, .. } => format!("min {min} max {max}"),
        ActionRequest::PutScheduledAction { name, schedule, .. } => format!("{name} {schedule}"),
        ActionRequest::SetMaxmemoryPolicy { policy, .. } => policy.clone(),
        ActionRequest::SetTaskDefinition {
            task_definition, ..
        } => task_definition.clone(),
        ActionRequest::ForceNewDeployment { .. }
        | ActionRequest::SuspendScaleIn { .. }
        | ActionRequest::ResumeScaleIn { .. } => String::new(),
    };
    format!("{} {values}", request.id()).trim_end().to_string()
}

fn undo(request: ActionRequest) -> Option<Revert> {
    Some(Revert::Request { request })
}

fn manual(text: String) -> Option<Revert> {
    Some(Revert::Manual { text })
}

/// How to undo `request`, from the state in `before`. `None` when there is
/// nothing to undo: the target is unknown, the action is a no-op, or (a forced
/// deployment) it cannot be undone.
pub fn revert_of(request: &ActionRequest, before: &FleetSnapshot) -> Option<Revert> {
    if let ActionRequest::SetMaxmemoryPolicy {
        cache_id,
        parameter_group,
        policy,
    } = request
    {
        let cache = before.cache(cache_id)?;
        return match &cache.maxmemory_policy {
            Some(prev) if prev == policy => None,
            Some(prev) => undo(ActionRequest::SetMaxmemoryPolicy {
                cache_id: cache_id.clone(),
                parameter_group: parameter_group.clone(),
                policy: prev.clone(),
            }),
            None => manual(format!(
                "set maxmemory-policy in {parameter_group} back to its previous value \
                 (unreadable when the change was made)"
            )),
        };
    }
    let key = request.service()?;
    let svc = before.service(key)?;
    let service = key.clone();
    let target = svc.scaling.as_ref();
    match request {
        ActionRequest::SetDesiredCount { desired, .. } => (*desired != svc.desired)
            .then_some(ActionRequest::SetDesiredCount {
                service,
                desired: svc.desired,
            })
            .and_then(undo),
        ActionRequest::SetBounds { min, max, .. } => match target {
            Some(t) if (t.min, t.max) == (*min, *max) => None,
            Some(t) => undo(ActionRequest::SetBounds {
                service,
                min: t.min,
                max: t.max,
            }),
            None => manual(format!(
                "deregister the scalable target {} (DeregisterScalableTarget)",
                service.resource_id()
            )),
        },
        ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
            if svc.strategy.is_empty() {
                manual(format!(
                    "{service} used launch type {} before: switching back needs UpdateService \
                     with launchType, which the catalogue does not send",
                    svc.launch_type.as_deref().unwrap_or("FARGATE")
                ))
            } else if &svc.strategy == strategy {
                None
            } else {
                undo(ActionRequest::SetCapacityProviderStrategy {
                    service,
                    strategy: svc.strategy.clone(),
                })
            }
        }
        ActionRequest::ForceNewDeployment { .. } => None,
        ActionRequest::SetTaskDefinition {
            task_definition, ..
        } => match &svc.task_definition {
            Some(prev) if prev == task_definition => None,
            Some(prev) => undo(ActionRequest::SetTaskDefinition {
                service,
                task_definition: prev.clone(),
            }),
            None => manual(format!(
                "deploy {service}'s previous task definition again (unreadable when the change was made)"
            )),
        },
        ActionRequest::SuspendScaleIn { .. } => match target {
            Some(t) if !t.suspended.scale_in => undo(ActionRequest::ResumeScaleIn { service }),
            _ => None,
        },
        ActionRequest::ResumeScaleIn { .. } => match target {
            Some(t) if t.suspended.scale_in => undo(ActionRequest::SuspendScaleIn { service }),
            _ => None,
        },
        ActionRequest::PutScheduledAction { name, .. } => {
            match target.and_then(|t| t.scheduled.iter().find(|a| &a.name == name)) {
                Some(prev) => undo(ActionRequest::PutScheduledAction {
                    service,
                    name: prev.name.clone(),
                    schedule: prev.schedule.clone(),
                    min: prev.min,
                    max: prev.max,
                }),
                None => manual(format!(
                    "delete scheduled action {name} of {} (DeleteScheduledAction)",
                    service.resource_id()
                )),
            }
        }
        ActionRequest::SetMaxmemoryPolicy { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::{cache_key, fleet, suspend_scale_in, svc_key};
    use crate::model::{FARGATE, FARGATE_SPOT, ServiceKey, StrategyItem};

    fn req(r: ActionRequest) -> Option<Revert> {
        Some(Revert::Request { request: r })
    }

    #[test]
    fn table_of_reverts() {
        let s = svc_key;
        let search = || ServiceKey::new("manga", "search-api");
        let cases: Vec<(ActionRequest, Option<Revert>)> = vec![
            (
                ActionRequest::SetBounds {
                    service: s(),
                    min: 100,
                    max: 200,
                },
                req(ActionRequest::SetBounds {
                    service: s(),
                    min: 10,
                    max: 50,
                }),
            ),
            (
                ActionRequest::SetBounds {
                    service: s(),
                    min: 10,
                    max: 50,
                },
                None,
            ),
            (
                ActionRequest::SetDesiredCount {
                    service: s(),
                    desired: 45,
                },
                req(ActionRequest::SetDesiredCount {
                    service: s(),
                    desired: 30,
                }),
            ),
            (
                ActionRequest::SetCapacityProviderStrategy {
                    service: s(),
                    strategy: vec![StrategyItem::new(FARGATE, 1, 0)],
                },
                req(ActionRequest::SetCapacityProviderStrategy {
                    service: s(),
                    strategy: vec![
                        StrategyItem::new(FARGATE, 1, 2),
                        StrategyItem::new(FARGATE_SPOT, 4, 0),
                    ],
                }),
            ),
            (ActionRequest::ForceNewDeployment { service: s() }, None),
            (
                ActionRequest::SuspendScaleIn { service: s() },
                req(ActionRequest::ResumeScaleIn { service: s() }),
            ),
            (ActionRequest::ResumeScaleIn { service: s() }, None),
            (
                ActionRequest::PutScheduledAction {
                    service: s(),
                    name: "night-scale-down".into(),
                    schedule: "cron(0 15 * * ? *)".into(),
                    min: Some(2),
                    max: Some(10),
                },
                req(ActionRequest::PutScheduledAction {
                    service: s(),
                    name: "night-scale-down".into(),
                    schedule: "cron(0 14 * * ? *)".into(),
                    min: Some(5),
                    max: Some(20),
                }),
            ),
            (
                ActionRequest::PutScheduledAction {
                    service: s(),
                    name: "prewarm".into(),
                    schedule: "cron(15 23 * * ? *)".into(),
                    min: Some(100),
                    max: None,
                },
                Some(Revert::Manual {
                    text: "delete scheduled action prewarm of service/manga/orchestrator \
                           (DeleteScheduledAction)"
                        .into(),
                }),
            ),
            (
                ActionRequest::SetMaxmemoryPolicy {
                    cache_id: cache_key(),
                    parameter_group: "manga-redis7".into(),
                    policy: "allkeys-lfu".into(),
                },
                req(ActionRequest::SetMaxmemoryPolicy {
                    cache_id: cache_key(),
                    parameter_group: "manga-redis7".into(),
                    policy: "noeviction".into(),
                }),
            ),
            (
                ActionRequest::SetBounds {
                    service: search(),
                    min: 2,
                    max: 8,
                },
                Some(Revert::Manual {
                    text: "deregister the scalable target service/manga/search-api \
                           (DeregisterScalableTarget)"
                        .into(),
                }),
            ),
            (
                ActionRequest::SetDesiredCount {
                    service: ServiceKey::new("x", "y"),
                    desired: 1,
                },
                None,
            ),
        ];
        let snap = fleet();
        for (request, want) in cases {
            assert_eq!(revert_of(&request, &snap), want, "{request:?}");
        }
    }

    #[test]
    fn resume_reverts_to_suspend_when_it_was_suspended() {
        let mut snap = fleet();
        suspend_scale_in(&mut snap);
        assert_eq!(
            revert_of(&ActionRequest::ResumeScaleIn { service: svc_key() }, &snap),
            req(ActionRequest::SuspendScaleIn { service: svc_key() })
        );
        assert_eq!(
            revert_of(&ActionRequest::SuspendScaleIn { service: svc_key() }, &snap),
            None
        );
    }

    #[test]
    fn describes_requests_on_one_line() {
        assert_eq!(
            describe_request(&ActionRequest::SetBounds {
                service: svc_key(),
                min: 10,
                max: 50
            }),
            "autoscaling.set_bounds min 10 max 50"
        );
        assert_eq!(
            describe_request(&ActionRequest::SuspendScaleIn { service: svc_key() }),
            "autoscaling.suspend_scale_in"
        );
    }
}
