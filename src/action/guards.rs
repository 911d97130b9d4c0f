//! Guards: pure checks of a request against the current snapshot, run before
//! the preview is confirmed and again by the executor just before the call.

use chrono::{DateTime, Duration, Utc};

use crate::model::request::ActionRequest;
use crate::model::{DeploymentState, FARGATE, FARGATE_SPOT, FleetSnapshot, Part};

/// Eviction policies Redis accepts for `maxmemory-policy`.
pub const KNOWN_POLICIES: &[&str] = &[
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "volatile-lru",
    "volatile-lfu",
    "volatile-ttl",
    "volatile-random",
    "allkeys-random",
];

/// One guard's verdict. `ok == false` blocks the action; a `warning` does not
/// block but is shown before confirmation. `fix` is a request that would make
/// the guard pass (e.g. raise max first).
#[derive(Clone, Debug, PartialEq)]
pub struct GuardResult {
    pub ok: bool,
    pub warning: bool,
    pub message: String,
    pub fix: Option<ActionRequest>,
}

impl GuardResult {
    fn pass(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            warning: false,
            message: message.into(),
            fix: None,
        }
    }

    fn fail(message: impl Into<String>) -> Self {
        Self {
            ok: false,
            warning: false,
            message: message.into(),
            fix: None,
        }
    }

    fn warn(message: impl Into<String>) -> Self {
        Self {
            ok: true,
            warning: true,
            message: message.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: ActionRequest) -> Self {
        self.fix = Some(fix);
        self
    }
}

/// The guards every action runs, in words (the catalogue lists the rest).
pub const COMMON: &[&str] = &[
    "the session may write (a read-only session has no writer)",
    "the service or cache is in the current snapshot",
    "the snapshot parts it depends on are fresh (read within 180 s, last read succeeded)",
];

/// Whether any guard blocks.
pub fn blocked(results: &[GuardResult]) -> bool {
    results.iter().any(|g| !g.ok)
}

/// What the guards need besides the request and the snapshot.
#[derive(Clone, Copy, Debug)]
pub struct GuardOptions {
    /// False in a read-only session: the action may be previewed, never applied.
    pub writable: bool,
    /// Data time now; parts read longer ago than `max_age` are stale.
    pub now: DateTime<Utc>,
    pub max_age: Duration,
}

impl GuardOptions {
    /// Default staleness limit: a few config-poll intervals.
    pub const DEFAULT_MAX_AGE_S: i64 = 180;

    pub fn new(writable: bool, now: DateTime<Utc>) -> Self {
        Self {
            writable,
            now,
            max_age: Duration::seconds(Self::DEFAULT_MAX_AGE_S),
        }
    }
}

/// Run every guard that applies to `request`.
pub fn check(
    request: &ActionRequest,
    snapshot: &FleetSnapshot,
    opts: &GuardOptions,
) -> Vec<GuardResult> {
    let mut out = Vec::new();
    out.push(if opts.writable {
        GuardResult::pass("session may write")
    } else {
        GuardResult::fail("read-only session: no write path exists in this process")
    });
    if !target_exists(request, snapshot, &mut out) {
        return out;
    }
    for part in relevant_parts(request) {
        out.push(freshness(snapshot, *part, opts));
    }
    match request {
        ActionRequest::SetDesiredCount { service, desired } => {
            if let Some(svc) = snapshot.service(service) {
                out.push(desired_within_bounds(*desired, svc.bounds(), service));
                if *desired > svc.desired {
                    out.extend(failing_starts(snapshot, svc, opts.now));
                }
            }
        }
        ActionRequest::SetBounds { min, max, service } => {
            out.push(min_max(*min, *max));
            if let Some(svc) = snapshot.service(service)
                && svc.bounds().is_some_and(|(lo, hi)| *min > lo || *max > hi)
            {
                out.extend(failing_starts(snapshot, svc, opts.now));
            }
        }
        ActionRequest::PutScheduledAction { min, max, .. } => {
            if let (Some(min), Some(max)) = (min, max) {
                out.push(min_max(*min, *max));
            }
        }
        ActionRequest::SetCapacityProviderStrategy { strategy, service } => {
            out.extend(strategy_guards(strategy));
            out.extend(snapshot.service(service).and_then(deployment_warning));
        }
        ActionRequest::ForceNewDeployment { service } => {
            out.extend(snapshot.service(service).and_then(deployment_warning));
        }
        ActionRequest::SetTaskDefinition {
            service,
            task_definition,
        } => {
            if let Some(svc) = snapshot.service(service) {
                out.extend(task_definition_guards(svc, task_definition));
            }
        }
        ActionRequest::SetMaxmemoryPolicy {
            cache_id, policy, ..
        } => {
            out.push(known_policy(policy));
            if let Some(purpose) = snapshot
                .cache(cache_id)
                .and_then(|c| c.tags.get("purpose"))
                .filter(|p| holds_a_queue(p))
                && policy != "noeviction"
            {
                out.push(GuardResult::warn(format!(
                    "cache {cache_id} is tagged purpose={purpose}: job queues (Sidekiq, Bull) \
                     need noeviction, or evictions silently drop jobs"
                )));
            }
        }
        ActionRequest::SuspendScaleIn { .. } | ActionRequest::ResumeScaleIn { .. } => {}
    }
    out
}

/// Counts are `u32`, so `catalogue::build` already refused negatives; what is
/// left to check is that the target is in the snapshot.
fn target_exists(
    request: &ActionRequest,
    snapshot: &FleetSnapshot,
    out: &mut Vec<GuardResult>,
) -> bool {
    let (found, what) = match request {
        ActionRequest::SetMaxmemoryPolicy { cache_id, .. } => (
            snapshot.cache(cache_id).is_some(),
            format!("cache {cache_id}"),
        ),
        _ => {
            let key = request.service();
            (
                key.and_then(|k| snapshot.service(k)).is_some(),
                format!(
                    "service {}",
                    key.map(ToString::to_string).unwrap_or_default()
                ),
            )
        }
    };
    out.push(if found {
        GuardResult::pass(format!("{what} exists"))
    } else {
        GuardResult::fail(format!("{what} is not in the current snapshot"))
    });
    found
}

/// The snapshot parts whose freshness a request depends on.
fn relevant_parts(request: &ActionRequest) -> &'static [Part] {
    match request {
        ActionRequest::SetDesiredCount { .. } => &[Part::Services, Part::Scaling],
        ActionRequest::SetCapacityProviderStrategy { .. }
        | ActionRequest::ForceNewDeployment { .. }
        | ActionRequest::SetTaskDefinition { .. } => &[Part::Services],
        ActionRequest::SetBounds { .. }
        | ActionRequest::SuspendScaleIn { .. }
        | ActionRequest::ResumeScaleIn { .. }
        | ActionRequest::PutScheduledAction { .. } => &[Part::Scaling],
        ActionRequest::SetMaxmemoryPolicy { .. } => &[Part::Caches],
    }
}

fn freshness(snapshot: &FleetSnapshot, part: Part, opts: &GuardOptions) -> GuardResult {
    let name = format!("{part:?}").to_lowercase();
    let Some(status) = snapshot.parts.get(&part) else {
        return GuardResult::fail(format!("{name} data was never read"));
    };
    if let Some(err) = &status.error {
        return GuardResult::fail(format!(
            "{name} data is stale: the last read failed ({err})"
        ));
    }
    match status.fetched_at {
        None => GuardResult::fail(format!("{name} data was never read")),
        Some(at) if opts.now - at > opts.max_age => GuardResult::fail(format!(
            "{name} data is stale: read {}s ago (limit {}s)",
            (opts.now - at).num_seconds(),
            opts.max_age.num_seconds()
        )),
        Some(_) => GuardResult::pass(format!("{name} data is fresh")),
    }
}

fn desired_within_bounds(
    desired: u32,
    bounds: Option<(u32, u32)>,
    service: &crate::model::ServiceKey,
) -> GuardResult {
    let Some((min, max)) = bounds else {
        return GuardResult::pass("no scalable target: desired is not bounded");
    };
    if desired > max {
        GuardResult::fail(format!(
            "desired {desired} > max {max}: raise max first (the scaler would pull it back to {max})"
        ))
        .with_fix(ActionRequest::SetBounds {
            service: service.clone(),
            min,
            max: desired,
        })
    } else if desired < min {
        GuardResult::fail(format!(
            "desired {desired} < min {min}: lower min first (the scaler would pull it back to {min})"
        ))
        .with_fix(ActionRequest::SetBounds {
            service: service.clone(),
            min: desired,
            max,
        })
    } else {
        GuardResult::pass(format!("desired {desired} within min {min}..max {max}"))
    }
}

fn min_max(min: u32, max: u32) -> GuardResult {
    if max >= min {
        GuardResult::pass(format!("max {max} >= min {min}"))
    } else {
        GuardResult::fail(format!("max {max} < min {min}"))
    }
}

/// ECS's own rules for a strategy, checked before ECS refuses it.
fn strategy_guards(strategy: &[crate::model::StrategyItem]) -> Vec<GuardResult> {
    let mut out = Vec::new();
    if strategy.iter().map(|i| i.weight).sum::<u32>() == 0 {
        out.push(GuardResult::fail(
            "strategy weights sum to 0: no task could be placed",
        ));
    }
    if strategy.iter().filter(|i| i.base > 0).count() > 1 {
        out.push(GuardResult::fail(
            "only one capacity provider in a strategy may have a base",
        ));
    }
    for item in strategy {
        if item.provider != FARGATE && item.provider != FARGATE_SPOT {
            out.push(GuardResult::fail(format!(
                "unknown capacity provider {} (Fargate services use FARGATE and FARGATE_SPOT)",
                item.provider
            )));
        }
    }
    if out.is_empty() {
        out.push(GuardResult::pass("strategy is valid"));
    }
    out
}

/// Minutes of task failures that make a capacity raise suspect.
pub const FAILING_STARTS_MIN: i64 = 10;

/// Raising capacity while new tasks fail to start adds failed starts, not
/// capacity: say so, with the latest stop reason.
fn failing_starts(
    snapshot: &FleetSnapshot,
    svc: &crate::model::Service,
    now: DateTime<Utc>,
) -> Option<GuardResult> {
    let since = now - Duration::minutes(FAILING_STARTS_MIN);
    let failures: Vec<&crate::model::FleetEvent> = snapshot
        .events
        .iter()
        .filter(|e| {
            e.kind == crate::model::EventKind::TaskFailed
                && e.service.as_ref() == Some(&svc.key)
                && e.at >= since
        })
        .collect();
    let last = failures
        .iter()
        .max_by_key(|e| e.at)
        .map(|e| e.message.as_str());
    match (&svc.deployment, last) {
        (_, Some(reason)) => Some(GuardResult::warn(format!(
            "{} task failure(s) in the last {FAILING_STARTS_MIN} min ({reason}): \
             more capacity means more failed starts, not more capacity",
            failures.len()
        ))),
        (DeploymentState::Failed { reason }, None) => Some(GuardResult::warn(format!(
            "the last deployment failed ({reason}): new tasks may not start"
        ))),
        _ => None,
    }
}

/// A new deployment on top of a rolling or failed one deserves a second look.
/// A deploy of `wanted` must change something, and should go where tasks ran.
fn task_definition_guards(svc: &crate::model::Service, wanted: &str) -> Vec<GuardResult> {
    let current = svc.task_definition.as_deref();
    let mut out = vec![if wanted.trim().is_empty() {
        GuardResult::fail("no task definition to deploy (no earlier revision ran)")
    } else if current == Some(wanted) {
        GuardResult::fail(format!("{wanted} is already the primary deployment"))
    } else {
        GuardResult::pass(format!(
            "{} -> {wanted}",
            current.unwrap_or("unknown task definition")
        ))
    }];
    if !wanted.is_empty() && svc.previous_task_definition.as_deref() != Some(wanted) {
        out.push(GuardResult::warn(format!(
            "{wanted} is not the last revision that ran ({}): nothing shows it starts",
            svc.previous_task_definition
                .as_deref()
                .unwrap_or("none known")
        )));
    }
    out
}

fn deployment_warning(svc: &crate::model::Service) -> Option<GuardResult> {
    match &svc.deployment {
        DeploymentState::Stable => None,
        DeploymentState::InProgress { updated, total } => Some(GuardResult::warn(format!(
            "a deployment is already rolling ({updated}/{total}): a new one replaces it and starts over"
        ))),
        DeploymentState::Failed { reason } => Some(GuardResult::warn(format!(
            "the last deployment failed ({reason}): the same task definition may fail the same way"
        ))),
    }
}

/// Guard results as text lines: `ok`, `WARN` or `FAIL`, with the offered fix.
pub fn to_text(results: &[GuardResult]) -> String {
    let mut out = String::new();
    for g in results {
        let mark = match (g.ok, g.warning) {
            (false, _) => "FAIL",
            (true, true) => "WARN",
            (true, false) => "ok  ",
        };
        out.push_str(&format!("  {mark}  {}\n", g.message));
        if let Some(fix) = &g.fix {
            out.push_str(&format!(
                "        fix: {}\n",
                super::revert::describe_request(fix)
            ));
        }
    }
    out
}

fn known_policy(policy: &str) -> GuardResult {
    if KNOWN_POLICIES.contains(&policy) {
        GuardResult::pass(format!("{policy} is a known maxmemory-policy"))
    } else {
        GuardResult::fail(format!(
            "unknown maxmemory-policy {policy:?}; one of: {}",
            KNOWN_POLICIES.join(", ")
        ))
    }
}

/// Whether a cache's `purpose` tag says it holds a job queue.
pub fn holds_a_queue(purpose: &str) -> bool {
    let p = purpose.to_ascii_lowercase();
    ["queue", "sidekiq", "bull", "jobs"]
        .iter()
        .any(|w| p.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::{cache_key, fleet, svc_key};
    use crate::model::StrategyItem;

    fn run(req: ActionRequest) -> Vec<GuardResult> {
        let snap = fleet();
        check(&req, &snap, &GuardOptions::new(true, snap.taken_at))
    }

    fn failures(req: ActionRequest) -> Vec<String> {
        run(req)
            .into_iter()
            .filter(|g| !g.ok)
            .map(|g| g.message)
            .collect()
    }

    #[test]
    fn table_of_blocking_guards() {
        let s = svc_key;
        let cases: Vec<(ActionRequest, Option<&str>)> = vec![
            (
                ActionRequest::SetDesiredCount {
                    service: s(),
                    desired: 40,
                },
                None,
            ),
            (
                ActionRequest::SetDesiredCount {
                    service: s(),
                    desired: 120,
                },
                Some("desired 120 > max 50: raise max first"),
            ),
            (
                ActionRequest::SetDesiredCount {
                    service: s(),
                    desired: 2,
                },
                Some("desired 2 < min 10: lower min first"),
            ),
            (
                ActionRequest::SetBounds {
                    service: s(),
                    min: 10,
                    max: 200,
                },
                None,
            ),
            (
                ActionRequest::SetBounds {
                    service: s(),
                    min: 60,
                    max: 50,
                },
                Some("max 50 < min 60"),
            ),
            (
                ActionRequest::SetBounds {
                    service: crate::model::ServiceKey::new("manga", "ghost"),
                    min: 1,
                    max: 2,
                },
                Some("service manga/ghost is not in the current snapshot"),
            ),
            (
                ActionRequest::PutScheduledAction {
                    service: s(),
                    name: "prewarm".into(),
                    schedule: "cron(15 23 * * ? *)".into(),
                    min: Some(100),
                    max: Some(50),
                },
                Some("max 50 < min 100"),
            ),
            (
                ActionRequest::SetCapacityProviderStrategy {
                    service: s(),
                    strategy: vec![StrategyItem::new(FARGATE, 0, 0)],
                },
                Some("weights sum to 0"),
            ),
            (
                ActionRequest::SetCapacityProviderStrategy {
                    service: s(),
                    strategy: vec![
                        StrategyItem::new(FARGATE, 1, 2),
                        StrategyItem::new(FARGATE_SPOT, 4, 1),
                    ],
                },
                Some("only one capacity provider"),
            ),
            (
                ActionRequest::SetCapacityProviderStrategy {
                    service: s(),
                    strategy: vec![StrategyItem::new("EC2", 1, 0)],
                },
                Some("unknown capacity provider EC2"),
            ),
            (
                ActionRequest::SetMaxmemoryPolicy {
                    cache_id: cache_key(),
                    parameter_group: "manga-redis7".into(),
                    policy: "allkeys-lfu".into(),
                },
                None,
            ),
            (
                ActionRequest::SetMaxmemoryPolicy {
                    cache_id: cache_key(),
                    parameter_group: "manga-redis7".into(),
                    policy: "lru".into(),
                },
                Some("unknown maxmemory-policy \"lru\""),
            ),
            (
                ActionRequest::SetMaxmemoryPolicy {
                    cache_id: "nope".into(),
                    parameter_group: "g".into(),
                    policy: "noeviction".into(),
                },
                Some("cache nope is not in the current snapshot"),
            ),
        ];
        for (req, want) in cases {
            let fails = failures(req.clone());
            match want {
                None => assert!(fails.is_empty(), "{req:?}: {fails:?}"),
                Some(want) => assert!(
                    fails.iter().any(|f| f.contains(want)),
                    "{req:?}: want {want:?}, got {fails:?}"
                ),
            }
        }
    }

    #[test]
    fn desired_above_max_offers_raise_max_first() {
        let results = run(ActionRequest::SetDesiredCount {
            service: svc_key(),
            desired: 120,
        });
        let failed = results.iter().find(|g| !g.ok).unwrap();
        assert_eq!(
            failed.fix,
            Some(ActionRequest::SetBounds {
                service: svc_key(),
                min: 10,
                max: 120
            })
        );
    }

    #[test]
    fn read_only_blocks_everything() {
        let snap = fleet();
        let req = ActionRequest::SuspendScaleIn { service: svc_key() };
        let results = check(&req, &snap, &GuardOptions::new(false, snap.taken_at));
        assert!(blocked(&results));
        assert!(results[0].message.starts_with("read-only session"));
    }

    #[test]
    fn stale_parts_block() {
        let mut snap = fleet();
        let req = ActionRequest::SetBounds {
            service: svc_key(),
            min: 10,
            max: 60,
        };
        let later = snap.taken_at + Duration::seconds(600);
        let results = check(&req, &snap, &GuardOptions::new(true, later));
        assert!(
            results
                .iter()
                .any(|g| !g.ok && g.message.contains("scaling data is stale: read 600s ago")),
            "{results:?}"
        );
        snap.parts.get_mut(&Part::Scaling).unwrap().error = Some("Throttling".into());
        let results = check(&req, &snap, &GuardOptions::new(true, snap.taken_at));
        assert!(
            results
                .iter()
                .any(|g| !g.ok && g.message.contains("the last read failed (Throttling)"))
        );
    }

    #[test]
    fn text_marks_failures_and_names_the_fix() {
        let text = to_text(&run(ActionRequest::SetDesiredCount {
            service: svc_key(),
            desired: 120,
        }));
        assert!(
            text.contains("  FAIL  desired 120 > max 50: raise max first"),
            "{text}"
        );
        assert!(
            text.contains("        fix: autoscaling.set_bounds min 10 max 120\n"),
            "{text}"
        );
        assert!(text.starts_with("  ok    session may write\n"), "{text}");
    }

    #[test]
    fn deploying_over_a_rolling_deployment_warns() {
        let mut snap = fleet();
        snap.services[0].deployment = DeploymentState::InProgress {
            updated: 12,
            total: 30,
        };
        let req = ActionRequest::ForceNewDeployment { service: svc_key() };
        let results = check(&req, &snap, &GuardOptions::new(true, snap.taken_at));
        assert!(!blocked(&results));
        assert!(
            results
                .iter()
                .any(|g| g.warning && g.message.contains("already rolling (12/30)"))
        );
    }

    #[test]
    fn queue_cache_warns_but_does_not_block() {
        let mut snap = fleet();
        snap.caches[0]
            .tags
            .insert("purpose".into(), "sidekiq-queue".into());
        let req = ActionRequest::SetMaxmemoryPolicy {
            cache_id: cache_key(),
            parameter_group: "manga-redis7".into(),
            policy: "allkeys-lfu".into(),
        };
        let results = check(&req, &snap, &GuardOptions::new(true, snap.taken_at));
        assert!(!blocked(&results));
        let warn = results.iter().find(|g| g.warning).unwrap();
        assert!(warn.message.contains("need noeviction"), "{}", warn.message);
    }

    #[test]
    fn raising_capacity_while_tasks_fail_to_start_warns_with_the_reason() {
        let mut snap = fleet();
        snap.events.push(crate::model::FleetEvent {
            at: snap.taken_at - Duration::minutes(3),
            kind: crate::model::EventKind::TaskFailed,
            service: Some(svc_key()),
            message: "stopped: CannotPullContainerError".into(),
            stop: None,
        });
        let opts = GuardOptions::new(true, snap.taken_at);
        let (lo, hi) = snap.services[0].bounds().unwrap();
        let raise = ActionRequest::SetBounds {
            service: svc_key(),
            min: lo,
            max: hi * 4,
        };
        let results = check(&raise, &snap, &opts);
        assert!(!blocked(&results), "a warning, not a block");
        let warn = results.iter().find(|g| g.warning).expect("a warning");
        assert_eq!(
            warn.message,
            "1 task failure(s) in the last 10 min (stopped: CannotPullContainerError): \
             more capacity means more failed starts, not more capacity"
        );
        let more = ActionRequest::SetDesiredCount {
            service: svc_key(),
            desired: snap.services[0].desired + 1,
        };
        assert!(check(&more, &snap, &opts).iter().any(|g| g.warning));
        // Lowering capacity is not suspect.
        let fewer = ActionRequest::SetDesiredCount {
            service: svc_key(),
            desired: snap.services[0].desired.saturating_sub(1).max(lo),
        };
        assert!(!check(&fewer, &snap, &opts).iter().any(|g| g.warning));
    }
}
