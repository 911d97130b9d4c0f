//! Preview: the exact request an action will send and what it changes, with
//! the lines AWS behaviour adds (rolling replacement, scaler pull-back, IaC).

use serde::{Deserialize, Serialize};

use super::catalogue;
use crate::model::cost::{CostChange, tasks_burn};
use crate::model::request::{ActionRequest, ApiCall};
use crate::model::{FleetSnapshot, ScheduledAction, Service, StrategyItem, configured_spot_share};

/// One affected field, before and after, as shown and as audited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

impl FieldChange {
    fn new(field: impl Into<String>, before: impl Into<String>, after: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            before: before.into(),
            after: after.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub action: &'static str,
    pub summary: &'static str,
    pub target: String,
    pub api_call: ApiCall,
    pub changes: Vec<FieldChange>,
    /// What AWS will do as a consequence.
    pub notes: Vec<String>,
    /// Reasons to think twice (IaC ownership, target missing).
    pub warnings: Vec<String>,
    /// The service's burn before and after, at the seed prices, for an
    /// action that changes capacity or strategy.
    pub cost: Option<CostChange>,
}

/// Deployment settings assumed when the snapshot does not carry them.
pub const ASSUMED_MIN_HEALTHY_PCT: u32 = 100;
pub const ASSUMED_MAX_PCT: u32 = 200;
/// Minutes per replacement wave: Fargate start (1-2 min) plus health checks.
const MINUTES_PER_WAVE: u32 = 3;

const UNKNOWN: &str = "?";

pub fn preview(request: &ActionRequest, snapshot: &FleetSnapshot) -> Preview {
    let mut p = Preview {
        action: request.id(),
        summary: catalogue::spec(request.id()).map_or("", |s| s.summary),
        target: request
            .service()
            .map_or_else(|| request.target_name(), ToString::to_string),
        api_call: request.api_call(),
        changes: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
        cost: None,
    };
    let svc = request.service().and_then(|k| snapshot.service(k));
    p.cost = svc.and_then(|s| cost(request, s));
    if request.service().is_some() && svc.is_none() {
        p.warnings
            .push(format!("{} is not in the current snapshot", p.target));
    }
    if let Some(owner) = svc.and_then(Service::iac_owner) {
        p.warnings.push(format!(
            "managed by infrastructure as code ({owner}): its next apply undoes this change; \
             the change must also land in the code"
        ));
    }
    match request {
        ActionRequest::SetDesiredCount { desired, .. } => desired_count(&mut p, svc, *desired),
        ActionRequest::SetBounds { min, max, .. } => bounds(&mut p, svc, *min, *max),
        ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
            p.changes.push(FieldChange::new(
                "strategy",
                svc.map_or(UNKNOWN.into(), strategy_text),
                format_strategy(strategy),
            ));
            p.changes.push(FieldChange::new(
                "configured Spot share",
                svc.map_or(UNKNOWN.into(), |s| pct(configured_spot_share(&s.strategy))),
                pct(configured_spot_share(strategy)),
            ));
            if let Some(s) = svc {
                p.notes.push(format!(
                    "running now: {} on-demand, {} Spot",
                    s.running_mix.on_demand, s.running_mix.spot
                ));
            }
            p.notes.push(rollout_note(svc));
        }
        ActionRequest::ForceNewDeployment { .. } => {
            p.changes.push(FieldChange::new(
                "deployment",
                svc.map_or(UNKNOWN.into(), |s| s.deployment.label()),
                "new deployment",
            ));
            p.notes.push(rollout_note(svc));
        }
        ActionRequest::SetTaskDefinition {
            task_definition, ..
        } => {
            p.changes.push(FieldChange::new(
                "task definition",
                svc.and_then(|s| s.task_definition.clone())
                    .unwrap_or_else(|| UNKNOWN.into()),
                task_definition.clone(),
            ));
            p.notes.push(rollout_note(svc));
        }
        ActionRequest::SuspendScaleIn { .. } | ActionRequest::ResumeScaleIn { .. } => {
            let suspend = matches!(request, ActionRequest::SuspendScaleIn { .. });
            p.changes.push(FieldChange::new(
                "suspended scale-in",
                svc.and_then(|s| s.scaling.as_ref())
                    .map_or(UNKNOWN.into(), |t| t.suspended.scale_in.to_string()),
                suspend.to_string(),
            ));
            p.notes.push(if suspend {
                "scale-out keeps working; capacity stays up until scale-in is resumed".into()
            } else {
                "target tracking may lower desired again after its scale-in cooldown".into()
            });
        }
        ActionRequest::PutScheduledAction {
            name,
            schedule,
            min,
            max,
            ..
        } => {
            let existing = svc
                .and_then(|s| s.scaling.as_ref())
                .and_then(|t| t.scheduled.iter().find(|a| &a.name == name));
            p.changes.push(FieldChange::new(
                format!("scheduled action {name}"),
                existing.map_or("(none)".into(), scheduled_text),
                scheduled_text(&ScheduledAction {
                    name: name.clone(),
                    schedule: schedule.clone(),
                    min: *min,
                    max: *max,
                }),
            ));
            if existing.is_some() {
                p.notes
                    .push(format!("replaces the existing scheduled action {name}"));
            }
            p.notes.push(
                "the schedule is evaluated in UTC (no Timezone is sent): 08:45 JST is 23:45 UTC"
                    .into(),
            );
        }
        ActionRequest::SetMaxmemoryPolicy {
            cache_id,
            parameter_group,
            policy,
        } => {
            let cache = snapshot.cache(cache_id);
            if cache.is_none() {
                p.warnings
                    .push(format!("cache {cache_id} is not in the current snapshot"));
            }
            p.changes.push(FieldChange::new(
                "maxmemory-policy",
                cache
                    .and_then(|c| c.maxmemory_policy.clone())
                    .unwrap_or_else(|| UNKNOWN.into()),
                policy.clone(),
            ));
            let sharing: Vec<&str> = snapshot
                .caches
                .iter()
                .filter(|c| {
                    c.id != *cache_id && c.parameter_group.as_deref() == Some(parameter_group)
                })
                .map(|c| c.id.as_str())
                .collect();
            if !sharing.is_empty() {
                p.notes.push(format!(
                    "parameter group {parameter_group} is shared: this also changes {}",
                    sharing.join(", ")
                ));
            }
            p.notes
                .push("maxmemory-policy is dynamic: it applies without a reboot".into());
        }
    }
    if !p.changes.is_empty() && p.changes.iter().all(|c| c.before == c.after) {
        p.notes
            .insert(0, "no change: the live value already matches".into());
    }
    p
}

/// The burn of the service's desired tasks under its strategy, now and once
/// the request has taken effect (for a scheduled action: when it fires).
/// Both are the steady state, so a change that moves nothing costs nothing.
fn cost(request: &ActionRequest, s: &Service) -> Option<CostChange> {
    let desired = f64::from(s.desired);
    let before = tasks_burn(s, desired, &s.strategy);
    let clamp = |min: Option<u32>, max: Option<u32>| {
        let lo = f64::from(min.unwrap_or(0));
        let hi = max.map_or(f64::INFINITY, f64::from).max(lo);
        desired.clamp(lo, hi)
    };
    let ceiling = |max: Option<u32>| {
        let old = s.scaling.as_ref()?.max;
        let new = max?;
        (new != old).then(|| {
            (
                tasks_burn(s, f64::from(old), &s.strategy),
                tasks_burn(s, f64::from(new), &s.strategy),
            )
        })
    };
    let (after, ceiling_usd_per_hour) = match request {
        ActionRequest::SetDesiredCount { desired, .. } => {
            (tasks_burn(s, f64::from(*desired), &s.strategy), None)
        }
        ActionRequest::SetCapacityProviderStrategy { strategy, .. } => {
            (tasks_burn(s, desired, strategy), None)
        }
        ActionRequest::SetBounds { min, max, .. } => (
            tasks_burn(s, clamp(Some(*min), Some(*max)), &s.strategy),
            ceiling(Some(*max)),
        ),
        ActionRequest::PutScheduledAction { min, max, .. } => {
            (tasks_burn(s, clamp(*min, *max), &s.strategy), ceiling(*max))
        }
        ActionRequest::ForceNewDeployment { .. }
        | ActionRequest::SetTaskDefinition { .. }
        | ActionRequest::SuspendScaleIn { .. }
        | ActionRequest::ResumeScaleIn { .. }
        | ActionRequest::SetMaxmemoryPolicy { .. } => return None,
    };
    Some(CostChange {
        before_usd_per_hour: before,
        after_usd_per_hour: after,
        ceiling_usd_per_hour,
    })
}

fn desired_count(p: &mut Preview, svc: Option<&Service>, desired: u32) {
    p.changes.push(FieldChange::new(
        "desired",
        svc.map_or(UNKNOWN.into(), |s| s.desired.to_string()),
        desired.to_string(),
    ));
    let Some(target) = svc.and_then(|s| s.scaling.as_ref()) else {
        return;
    };
    if desired < target.min || desired > target.max {
        p.notes.push(format!(
            "desired {desired} is outside min {}..max {}: the scaler will pull it back at its next evaluation",
            target.min, target.max
        ));
    } else if !target.suspended.scale_in
        && let Some(policy) = target.policies.iter().find(|p| !p.disable_scale_in)
    {
        p.notes.push(format!(
            "scale-in is active: target tracking {} ({} {}) may lower it again after its {} s scale-in cooldown",
            policy.name, policy.metric, policy.target, policy.scale_in_cooldown_s
        ));
    }
}

fn bounds(p: &mut Preview, svc: Option<&Service>, min: u32, max: u32) {
    let target = svc.and_then(|s| s.scaling.as_ref());
    p.changes.push(FieldChange::new(
        "min",
        target.map_or("(no scalable target)".into(), |t| t.min.to_string()),
        min.to_string(),
    ));
    p.changes.push(FieldChange::new(
        "max",
        target.map_or("(no scalable target)".into(), |t| t.max.to_string()),
        max.to_string(),
    ));
    if let Some(s) = svc {
        if target.is_none() {
            p.notes.push(format!(
                "registers a new scalable target for {}; no scaling policy is attached yet",
                s.key
            ));
        }
        if s.desired < min {
            p.notes.push(format!(
                "desired {} is below the new min {min}: Application Auto Scaling raises it to {min} at once",
                s.desired
            ));
        } else if s.desired > max {
            p.notes.push(format!(
                "desired {} is above the new max {max}: Application Auto Scaling lowers it to {max} at once",
                s.desired
            ));
        }
    }
}

/// "replaces N tasks, ~M min": a strategy change or forced deployment is a
/// rolling replacement of every task, paced by the deployment settings.
fn rollout_note(svc: Option<&Service>) -> String {
    let Some(s) = svc else {
        return "replaces every task of the service (count unknown)".into();
    };
    let tasks = s.running.max(s.desired);
    // With minimumHealthyPercent 100, each wave may add (maximumPercent - 100) % of desired.
    let batch = (s.desired * (ASSUMED_MAX_PCT - ASSUMED_MIN_HEALTHY_PCT) / 100).max(1);
    let waves = tasks.div_ceil(batch).max(1);
    format!(
        "replaces {tasks} tasks, ~{} min at the service's deployment settings \
         (minimumHealthyPercent {ASSUMED_MIN_HEALTHY_PCT} / maximumPercent {ASSUMED_MAX_PCT} assumed: \
         not in the snapshot)",
        waves * MINUTES_PER_WAVE
    )
}

fn strategy_text(s: &Service) -> String {
    match (&s.launch_type, s.strategy.is_empty()) {
        (Some(lt), true) => format!("launch type {lt}"),
        _ => format_strategy(&s.strategy),
    }
}

/// `FARGATE 1 (base 2) + FARGATE_SPOT 4`.
pub fn format_strategy(strategy: &[StrategyItem]) -> String {
    if strategy.is_empty() {
        return "(none)".into();
    }
    strategy
        .iter()
        .map(|i| match i.base {
            0 => format!("{} {}", i.provider, i.weight),
            b => format!("{} {} (base {b})", i.provider, i.weight),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn scheduled_text(a: &ScheduledAction) -> String {
    let opt = |v: Option<u32>| v.map_or("-".into(), |v| v.to_string());
    format!("{} min {} max {}", a.schedule, opt(a.min), opt(a.max))
}

fn pct(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

impl Preview {
    /// The cost line: `$0.47/h -> $0.72/h, +$0.25/h`, said of the scheduled
    /// time for a scheduled action.
    pub fn cost_line(&self, cost: &CostChange) -> String {
        if self.action == "autoscaling.put_scheduled_action" {
            format!("when it fires, {cost}")
        } else {
            cost.to_string()
        }
    }

    /// The request body as sent, pretty-printed.
    pub fn body_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.api_call.body).unwrap_or_default()
    }

    /// Plain text, for the headless runner, the audit CLI and tests.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}  {}\n  {}\n\n", self.action, self.target, self.summary);
        out.push_str(&self.api_call.operation);
        out.push('\n');
        out.push_str(&self.body_pretty());
        out.push_str("\n\n");
        let width = self
            .changes
            .iter()
            .map(|c| c.field.len())
            .max()
            .unwrap_or(0);
        for c in &self.changes {
            out.push_str(&format!(
                "  {:width$}  {} -> {}\n",
                c.field, c.before, c.after
            ));
        }
        if let Some(cost) = &self.cost {
            out.push_str(&format!("cost: {}\n", self.cost_line(cost)));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }
}
