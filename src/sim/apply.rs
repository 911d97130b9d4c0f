//! Writes against the simulated fleet, validated the way AWS validates them.

use super::evidence::task_def;
use super::scenario::{MAXMEMORY_POLICIES, validate_strategy};
use super::schedule::Schedule;
use super::state::SvcState;
use super::{Simulator, deploy_revision, start_deployment};
use crate::model::request::ActionRequest;
use crate::model::request::{WriteError, WriteErrorKind};
use crate::model::{EventKind, ScheduledAction, ServiceKey};

/// ECS's limit on tasks per service.
const MAX_DESIRED: u32 = 5000;

fn rejected(msg: impl Into<String>) -> WriteError {
    WriteError::new(WriteErrorKind::Rejected, msg)
}

/// The revision `name` (`family:revision`) names, if ECS knows it for this service.
fn registered_revision(svc: &SvcState, name: &str) -> Result<u32, WriteError> {
    let unknown = || {
        WriteError::new(
            WriteErrorKind::NotFound,
            format!("ClientException: TaskDefinition not found: {name}"),
        )
    };
    let (family, revision) = name.rsplit_once(':').ok_or_else(unknown)?;
    let revision: u32 = revision.parse().map_err(|_| unknown())?;
    if family != svc.spec.key.service || revision == 0 || revision > svc.registered_revisions() {
        return Err(unknown());
    }
    Ok(revision)
}

impl Simulator {
    /// Apply one catalogue request; on success a one-line summary of the change.
    pub fn apply(&mut self, req: &ActionRequest) -> Result<String, WriteError> {
        let summary = match req {
            ActionRequest::SetMaxmemoryPolicy {
                cache_id,
                parameter_group,
                policy,
            } => self.set_policy(cache_id, parameter_group, policy)?,
            _ => {
                let key = req
                    .service()
                    .expect("every other request targets a service");
                let index = self.service_index(key)?;
                self.apply_to_service(index, req)?
            }
        };
        let now = self.now();
        self.events.push(
            now,
            EventKind::Action,
            req.service(),
            format!(
                "{} {}: {summary}",
                req.api_call().operation,
                req.target_name()
            ),
        );
        Ok(summary)
    }

    fn service_index(&self, key: &ServiceKey) -> Result<usize, WriteError> {
        self.services
            .iter()
            .position(|s| &s.spec.key == key)
            .ok_or_else(|| {
                WriteError::new(
                    WriteErrorKind::NotFound,
                    format!("ServiceNotFoundException: service {key} not found"),
                )
            })
    }

    fn apply_to_service(
        &mut self,
        index: usize,
        req: &ActionRequest,
    ) -> Result<String, WriteError> {
        let (mut step, services) = self.step_parts(0);
        let svc = &mut services[index];
        match req {
            ActionRequest::SetDesiredCount { desired, .. } => {
                if *desired > MAX_DESIRED {
                    return Err(rejected(format!(
                        "InvalidParameterException: desiredCount {desired} exceeds the limit of {MAX_DESIRED} tasks per service"
                    )));
                }
                let old = svc.desired;
                svc.desired = *desired;
                let note = match svc.bounds() {
                    Some((min, max)) if !(min..=max).contains(desired) => {
                        format!(" (outside {min}..{max}: auto scaling will pull it back)")
                    }
                    _ => String::new(),
                };
                Ok(format!("desiredCount {old} -> {desired}{note}"))
            }
            ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
                validate_strategy(strategy, svc.spec.arch)
                    .map_err(|m| rejected(format!("InvalidParameterException: {m}")))?;
                svc.strategy = strategy.clone();
                svc.launch_type = None;
                start_deployment(svc, &mut step, "capacity provider strategy changed");
                Ok(format!(
                    "capacityProviderStrategy {}; new deployment replacing {} task(s)",
                    strategy
                        .iter()
                        .map(|i| format!("{}:{}/{}", i.provider, i.weight, i.base))
                        .collect::<Vec<_>>()
                        .join(", "),
                    svc.tasks.len()
                ))
            }
            ActionRequest::ForceNewDeployment { .. } => {
                start_deployment(svc, &mut step, "forceNewDeployment");
                Ok(format!(
                    "new deployment replacing {} task(s)",
                    svc.tasks.len()
                ))
            }
            ActionRequest::SetTaskDefinition {
                task_definition, ..
            } => {
                let revision = registered_revision(svc, task_definition)?;
                let from = task_def(&svc.spec.key, svc.revision);
                deploy_revision(svc, &mut step, revision, "taskDefinition changed");
                Ok(format!("taskDefinition {from} -> {task_definition}"))
            }
            ActionRequest::SetBounds { min, max, .. } => set_bounds(svc, *min, *max),
            ActionRequest::SuspendScaleIn { .. } | ActionRequest::ResumeScaleIn { .. } => {
                let suspend = matches!(req, ActionRequest::SuspendScaleIn { .. });
                let sc = scalable(svc)?;
                sc.suspended.scale_in = suspend;
                Ok(format!("DynamicScalingInSuspended = {suspend}"))
            }
            ActionRequest::PutScheduledAction {
                name,
                schedule,
                min,
                max,
                ..
            } => put_scheduled(svc, step.t, name, schedule, *min, *max),
            ActionRequest::SetMaxmemoryPolicy { .. } => unreachable!("handled by apply"),
        }
    }

    fn set_policy(
        &mut self,
        cache_id: &str,
        group: &str,
        policy: &str,
    ) -> Result<String, WriteError> {
        let cache = self
            .caches
            .iter()
            .find(|c| c.spec.id == cache_id)
            .ok_or_else(|| {
                WriteError::new(
                    WriteErrorKind::NotFound,
                    format!("CacheClusterNotFound: cache cluster {cache_id} not found"),
                )
            })?;
        if cache.spec.parameter_group != group {
            return Err(WriteError::new(
                WriteErrorKind::NotFound,
                format!(
                    "CacheParameterGroupNotFound: {group} is not the parameter group of {cache_id} ({})",
                    cache.spec.parameter_group
                ),
            ));
        }
        if group.starts_with("default.") {
            return Err(rejected(format!(
                "InvalidCacheParameterGroupState: default parameter group {group} cannot be modified"
            )));
        }
        if !MAXMEMORY_POLICIES.contains(&policy) {
            return Err(rejected(format!(
                "InvalidParameterValue: {policy} is not a valid maxmemory-policy ({})",
                MAXMEMORY_POLICIES.join(", ")
            )));
        }
        let old = cache.policy.clone();
        // The parameter group applies to every cluster that uses it.
        for c in self
            .caches
            .iter_mut()
            .filter(|c| c.spec.parameter_group == group)
        {
            c.policy = policy.to_string();
        }
        Ok(format!("maxmemory-policy {old} -> {policy} in {group}"))
    }
}

impl SvcState {
    pub(super) fn bounds(&self) -> Option<(u32, u32)> {
        self.scaling.as_ref().map(|s| (s.min, s.max))
    }
}

fn scalable(svc: &mut SvcState) -> Result<&mut super::state::ScalingState, WriteError> {
    let key = svc.spec.key.clone();
    svc.scaling.as_mut().ok_or_else(|| {
        WriteError::new(
            WriteErrorKind::NotFound,
            format!(
                "ObjectNotFoundException: no scalable target registered for {}",
                key.resource_id()
            ),
        )
    })
}

/// RegisterScalableTarget: desired is clamped into the new range at once.
fn set_bounds(svc: &mut SvcState, min: u32, max: u32) -> Result<String, WriteError> {
    if min > max {
        return Err(rejected(format!(
            "ValidationException: MinCapacity {min} cannot be greater than MaxCapacity {max}"
        )));
    }
    if max > MAX_DESIRED {
        return Err(rejected(format!(
            "ValidationException: MaxCapacity {max} exceeds the limit of {MAX_DESIRED}"
        )));
    }
    let name = svc.spec.key.service.clone();
    let sc = svc
        .scaling
        .get_or_insert_with(|| super::state::ScalingState {
            min,
            max,
            suspended: Default::default(),
            policies: Vec::new(),
            scheduled: Vec::new(),
            last_scale_out: None,
            last_scale_in: None,
            minutes: Default::default(),
            minute_sum: 0.0,
            minute_samples: 0,
        });
    let (old_min, old_max, old_desired) = (sc.min, sc.max, svc.desired);
    sc.min = min;
    sc.max = max;
    svc.desired = svc.desired.clamp(min, max);
    let mut out = format!("{name}: min {old_min} -> {min}, max {old_max} -> {max}");
    if svc.desired != old_desired {
        out.push_str(&format!(", desired {old_desired} -> {}", svc.desired));
    }
    Ok(out)
}

fn put_scheduled(
    svc: &mut SvcState,
    t: i64,
    name: &str,
    schedule: &str,
    min: Option<u32>,
    max: Option<u32>,
) -> Result<String, WriteError> {
    if name.is_empty() || name.len() > 256 {
        return Err(rejected(
            "ValidationException: ScheduledActionName must be 1-256 characters",
        ));
    }
    Schedule::parse(schedule).map_err(|m| rejected(format!("ValidationException: {m}")))?;
    match (min, max) {
        (None, None) => {
            return Err(rejected(
                "ValidationException: ScalableTargetAction needs MinCapacity or MaxCapacity",
            ));
        }
        (Some(lo), Some(hi)) if lo > hi => {
            return Err(rejected(format!(
                "ValidationException: MinCapacity {lo} cannot be greater than MaxCapacity {hi}"
            )));
        }
        _ => {}
    }
    let sc = scalable(svc)?;
    let action = ScheduledAction {
        name: name.to_string(),
        schedule: schedule.to_string(),
        min,
        max,
    };
    let replaced = sc.scheduled.iter().position(|(a, _)| a.name == name);
    match replaced {
        Some(i) => sc.scheduled[i] = (action, t),
        None => sc.scheduled.push((action, t)),
    }
    Ok(format!(
        "scheduled action {name} {} ({schedule})",
        if replaced.is_some() {
            "replaced"
        } else {
            "created"
        }
    ))
}
