//! Application Auto Scaling reads for ECS services: scalable targets (50
//! resource ids per call), target-tracking policies, scheduled actions and
//! scaling activities.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalingActivityStatusCode, ServiceNamespace,
};

use super::calls::{ApiError, all_pages, next_page};
use super::clients::AwsClients;
use super::time;
use crate::model::{
    EventKind, FleetEvent, ScheduledAction, ServiceKey, Suspended, TargetTrackingPolicy,
};

/// Pages of scaling activities read at most per refresh (50 each).
const ACTIVITY_PAGES: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetInfo {
    pub min: u32,
    pub max: u32,
    pub suspended: Suspended,
}

/// `service/<cluster>/<service>` back to a key.
pub fn key_of(resource_id: &str) -> Option<ServiceKey> {
    let rest = resource_id.strip_prefix("service/")?;
    let (cluster, service) = rest.split_once('/')?;
    Some(ServiceKey::new(cluster, service))
}

/// Scalable targets of every ECS service, by service: like the policies, one
/// listing of the namespace, which needs no service list and so runs beside
/// it (at 2,000 services it ends long before the throttled describes do).
pub async fn targets(c: &AwsClients) -> Result<BTreeMap<ServiceKey, TargetInfo>, ApiError> {
    let pages = all_pages(
        "application-autoscaling:DescribeScalableTargets",
        |token| async move {
            let page = c
                .calls
                .run(
                    "application-autoscaling:DescribeScalableTargets",
                    c.scaling
                        .describe_scalable_targets()
                        .service_namespace(ServiceNamespace::Ecs)
                        .max_results(50)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            Ok((
                page.scalable_targets().to_vec(),
                page.next_token().map(str::to_string),
            ))
        },
    )
    .await?;
    Ok(pages
        .into_iter()
        .filter_map(|t| {
            let s = t.suspended_state();
            Some((
                key_of(t.resource_id())?,
                TargetInfo {
                    min: u32::try_from(t.min_capacity()).unwrap_or(0),
                    max: u32::try_from(t.max_capacity()).unwrap_or(0),
                    suspended: Suspended {
                        scale_in: s.and_then(|s| s.dynamic_scaling_in_suspended()) == Some(true),
                        scale_out: s.and_then(|s| s.dynamic_scaling_out_suspended()) == Some(true),
                        scheduled: s.and_then(|s| s.scheduled_scaling_suspended()) == Some(true),
                    },
                },
            ))
        })
        .collect())
}

/// Target-tracking policies of every ECS service, by service.
pub async fn policies(
    c: &AwsClients,
) -> Result<BTreeMap<ServiceKey, Vec<TargetTrackingPolicy>>, ApiError> {
    let found = all_pages(
        "application-autoscaling:DescribeScalingPolicies",
        |token| async move {
            let page = c
                .calls
                .run(
                    "application-autoscaling:DescribeScalingPolicies",
                    c.scaling
                        .describe_scaling_policies()
                        .service_namespace(ServiceNamespace::Ecs)
                        .max_results(50)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            let mut found = Vec::new();
            for p in page.scaling_policies() {
                let (Some(key), PolicyType::TargetTrackingScaling, Some(conf)) = (
                    key_of(p.resource_id()),
                    p.policy_type(),
                    p.target_tracking_scaling_policy_configuration(),
                ) else {
                    continue;
                };
                let metric = conf
                    .predefined_metric_specification()
                    .map(|m| m.predefined_metric_type().as_str().to_string())
                    .or_else(|| {
                        conf.customized_metric_specification()
                            .and_then(|m| m.metric_name())
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| "custom".into());
                found.push((
                    key,
                    TargetTrackingPolicy {
                        name: p.policy_name().to_string(),
                        metric,
                        target: conf.target_value(),
                        scale_out_cooldown_s: seconds(conf.scale_out_cooldown()),
                        scale_in_cooldown_s: seconds(conf.scale_in_cooldown()),
                        disable_scale_in: conf.disable_scale_in() == Some(true),
                    },
                ));
            }
            Ok((found, page.next_token().map(str::to_string)))
        },
    )
    .await?;
    Ok(by_service(found))
}

pub async fn scheduled(
    c: &AwsClients,
) -> Result<BTreeMap<ServiceKey, Vec<ScheduledAction>>, ApiError> {
    let found = all_pages(
        "application-autoscaling:DescribeScheduledActions",
        |token| async move {
            let page = c
                .calls
                .run(
                    "application-autoscaling:DescribeScheduledActions",
                    c.scaling
                        .describe_scheduled_actions()
                        .service_namespace(ServiceNamespace::Ecs)
                        .max_results(50)
                        .set_next_token(token)
                        .send(),
                )
                .await?;
            let mut found = Vec::new();
            for a in page.scheduled_actions() {
                let Some(key) = key_of(a.resource_id()) else {
                    continue;
                };
                let target = a.scalable_target_action();
                found.push((
                    key,
                    ScheduledAction {
                        name: a.scheduled_action_name().to_string(),
                        schedule: a.schedule().to_string(),
                        min: target
                            .and_then(|t| t.min_capacity())
                            .and_then(|n| u32::try_from(n).ok()),
                        max: target
                            .and_then(|t| t.max_capacity())
                            .and_then(|n| u32::try_from(n).ok()),
                    },
                ));
            }
            Ok((found, page.next_token().map(str::to_string)))
        },
    )
    .await?;
    Ok(by_service(found))
}

/// Recent scaling activities not seen before, newest pages first; stops at the
/// first page that holds an activity already seen.
pub async fn activities(
    c: &AwsClients,
    seen: &HashSet<String>,
) -> Result<Vec<(String, FleetEvent)>, ApiError> {
    let mut out = Vec::new();
    let mut token = None;
    for _ in 0..ACTIVITY_PAGES {
        let page = c
            .calls
            .run(
                "application-autoscaling:DescribeScalingActivities",
                c.scaling
                    .describe_scaling_activities()
                    .service_namespace(ServiceNamespace::Ecs)
                    .max_results(50)
                    .set_next_token(token.take())
                    .send(),
            )
            .await?;
        let mut reached_seen = false;
        for a in page.scaling_activities() {
            if seen.contains(a.activity_id()) {
                reached_seen = true;
                continue;
            }
            let status = a.status_code();
            let mut message = a.description().to_string();
            if matches!(
                status,
                ScalingActivityStatusCode::Failed | ScalingActivityStatusCode::Unfulfilled
            ) {
                message = format!(
                    "{message} ({}: {})",
                    status.as_str(),
                    a.status_message().unwrap_or("")
                );
            }
            out.push((
                a.activity_id().to_string(),
                FleetEvent {
                    at: time(a.start_time()),
                    kind: EventKind::ScalingActivity,
                    service: key_of(a.resource_id()),
                    message,
                    stop: None,
                },
            ));
        }
        token = next_page(page.next_token()).filter(|_| !reached_seen);
        if token.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Group per-service items, keeping the order they were read in.
fn by_service<T>(items: Vec<(ServiceKey, T)>) -> BTreeMap<ServiceKey, Vec<T>> {
    let mut out: BTreeMap<ServiceKey, Vec<T>> = BTreeMap::new();
    for (key, item) in items {
        out.entry(key).or_default().push(item);
    }
    out
}

fn seconds(n: Option<i32>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_round_trip() {
        let key = ServiceKey::new("manga", "orchestrator");
        assert_eq!(key_of(&key.resource_id()), Some(key));
        assert_eq!(key_of("table/users"), None);
    }
}
