//! Watch after acting: once an action is applied, the fields it set are
//! watched for a while, and a change back toward what they were is raised
//! with its likely cause. A target-tracking policy pulls a raised desired
//! count back down; infrastructure as code re-applies max 50 on its next run;
//! a scheduled action rewrites the bounds. Each undoes the mitigation quietly.

use chrono::{DateTime, Duration, Utc};

use crate::model::request::ActionRequest;
use crate::model::{FleetSnapshot, Service, ServiceKey};

/// One field an action set, read back from each snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Desired,
    Min,
    Max,
    Strategy,
    TaskDefinition,
    ScaleInSuspended,
    CachePolicy,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Desired => "desired count",
            Field::Min => "min",
            Field::Max => "max",
            Field::Strategy => "capacity-provider strategy",
            Field::TaskDefinition => "task definition",
            Field::ScaleInSuspended => "scale-in suspension",
            Field::CachePolicy => "maxmemory-policy",
        }
    }

    /// The field's value in `snap` for `target` (a service or a cache id).
    fn read(self, snap: &FleetSnapshot, target: &Target) -> Option<Value> {
        match target {
            Target::Service(key) => {
                let s = snap.service(key)?;
                match self {
                    Field::Desired => Some(Value::Count(s.desired)),
                    Field::Min => s.bounds().map(|(min, _)| Value::Count(min)),
                    Field::Max => s.bounds().map(|(_, max)| Value::Count(max)),
                    Field::Strategy => Some(Value::Text(strategy_label(s))),
                    Field::TaskDefinition => s.task_definition.clone().map(Value::Text),
                    Field::ScaleInSuspended => s
                        .scaling
                        .as_ref()
                        .map(|t| Value::Text(t.suspended.scale_in.to_string())),
                    Field::CachePolicy => None,
                }
            }
            Target::Cache(id) => match self {
                Field::CachePolicy => snap
                    .caches
                    .iter()
                    .find(|c| &c.id == id)?
                    .maxmemory_policy
                    .clone()
                    .map(Value::Text),
                _ => None,
            },
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Count(u32),
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Service(ServiceKey),
    Cache(String),
}

/// The fields `request` sets, and what it sets them to.
fn expectations(request: &ActionRequest) -> (Target, Vec<(Field, Value)>) {
    use ActionRequest::*;
    let text = |s: &str| Value::Text(s.to_string());
    match request {
        SetDesiredCount { service, desired } => (
            Target::Service(service.clone()),
            vec![(Field::Desired, Value::Count(*desired))],
        ),
        SetBounds { service, min, max } => (
            Target::Service(service.clone()),
            vec![
                (Field::Min, Value::Count(*min)),
                (Field::Max, Value::Count(*max)),
            ],
        ),
        SetCapacityProviderStrategy { service, strategy } => (
            Target::Service(service.clone()),
            vec![(Field::Strategy, Value::Text(label_of(strategy)))],
        ),
        SetTaskDefinition {
            service,
            task_definition,
        } => (
            Target::Service(service.clone()),
            vec![(Field::TaskDefinition, text(task_definition))],
        ),
        SuspendScaleIn { service } => (
            Target::Service(service.clone()),
            vec![(Field::ScaleInSuspended, text("true"))],
        ),
        ResumeScaleIn { service } => (
            Target::Service(service.clone()),
            vec![(Field::ScaleInSuspended, text("false"))],
        ),
        SetMaxmemoryPolicy {
            cache_id, policy, ..
        } => (
            Target::Cache(cache_id.clone()),
            vec![(Field::CachePolicy, text(policy))],
        ),
        // A new deployment or a schedule sets nothing a snapshot holds still.
        ForceNewDeployment { service } | PutScheduledAction { service, .. } => {
            (Target::Service(service.clone()), Vec::new())
        }
    }
}

fn strategy_label(s: &Service) -> String {
    label_of(&s.strategy)
}

fn label_of(strategy: &[crate::model::StrategyItem]) -> String {
    let mut items: Vec<String> = strategy
        .iter()
        .map(|i| format!("{} {} (base {})", i.provider, i.weight, i.base))
        .collect();
    items.sort();
    items.join(", ")
}

/// One watched field: what the action set and what it was before.
#[derive(Clone, Debug)]
struct Watched {
    field: Field,
    set: Value,
    before: Option<Value>,
    raised: bool,
}

#[derive(Clone, Debug)]
struct Watch {
    action: &'static str,
    target: Target,
    fields: Vec<Watched>,
    until: DateTime<Utc>,
}

/// A field changed back after an action set it.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangedBack {
    pub at: DateTime<Utc>,
    pub action: &'static str,
    pub target: String,
    pub field: Field,
    pub set: String,
    pub now: String,
    pub cause: String,
}

impl std::fmt::Display for ChangedBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} changed back {} -> {} after {}; likely {}",
            self.target,
            self.field.label(),
            self.set,
            self.now,
            self.action,
            self.cause
        )
    }
}

/// The actions being watched, for `window` after each was applied.
#[derive(Clone, Debug)]
pub struct Watches {
    window: Duration,
    active: Vec<Watch>,
}

impl Watches {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            active: Vec::new(),
        }
    }

    /// Start watching what `request` set; `before` is the snapshot the
    /// action was decided on (the one on screen when it was applied).
    pub fn start(&mut self, request: &ActionRequest, before: &FleetSnapshot, at: DateTime<Utc>) {
        let (target, set) = expectations(request);
        if set.is_empty() {
            return;
        }
        let fields = set
            .into_iter()
            .map(|(field, value)| Watched {
                before: field.read(before, &target),
                field,
                set: value,
                raised: false,
            })
            .collect();
        // A newer action on the same target supersedes the older watch.
        self.active.retain(|w| w.target != target);
        self.active.push(Watch {
            action: request.id(),
            target,
            fields,
            until: at + self.window,
        });
    }

    /// Fields that changed back in `snap`, each raised once; watches past
    /// their window end.
    pub fn check(&mut self, snap: &FleetSnapshot) -> Vec<ChangedBack> {
        let now = snap.taken_at;
        self.active.retain(|w| w.until >= now);
        let mut raised = Vec::new();
        for w in &mut self.active {
            for f in &mut w.fields {
                if f.raised {
                    continue;
                }
                let Some(current) = f.field.read(snap, &w.target) else {
                    continue;
                };
                if !changed_back(&f.set, f.before.as_ref(), &current) {
                    continue;
                }
                f.raised = true;
                raised.push(ChangedBack {
                    at: now,
                    action: w.action,
                    target: target_name(&w.target),
                    field: f.field,
                    set: f.set.to_string(),
                    now: current.to_string(),
                    cause: likely_cause(snap, &w.target, f.field, &current),
                });
            }
        }
        raised
    }

    pub fn is_empty(&self) -> bool {
        self.active.is_empty()
    }
}

/// Away from what was set, toward (or to) what was there before.
fn changed_back(set: &Value, before: Option<&Value>, now: &Value) -> bool {
    if now == set {
        return false;
    }
    match (set, before, now) {
        (Value::Count(set), Some(Value::Count(before)), Value::Count(now)) => {
            (before < set && now < set) || (before > set && now > set)
        }
        // Without a before, any change of a count is a change back.
        (Value::Count(_), _, Value::Count(_)) => true,
        _ => true,
    }
}

fn target_name(target: &Target) -> String {
    match target {
        Target::Service(key) => key.to_string(),
        Target::Cache(id) => id.clone(),
    }
}

/// Who most likely wrote `now` into `field`, from what the snapshot shows.
fn likely_cause(snap: &FleetSnapshot, target: &Target, field: Field, now: &Value) -> String {
    let iac = |tags: &std::collections::BTreeMap<String, String>| {
        ["managed-by", "ManagedBy", "iac"]
            .iter()
            .find_map(|k| tags.get(*k))
            .map(|tool| format!("infrastructure as code ({tool}) re-applying its value"))
    };
    match target {
        Target::Cache(id) => snap
            .caches
            .iter()
            .find(|c| &c.id == id)
            .and_then(|c| iac(&c.tags))
            .unwrap_or_else(|| "another writer (console, IaC) on the parameter group".into()),
        Target::Service(key) => {
            let Some(s) = snap.service(key) else {
                return "unknown: the service is gone".into();
            };
            let scaling = s.scaling.as_ref();
            if field == Field::Desired
                && let Some(policy) =
                    scaling.and_then(|t| t.policies.iter().find(|p| !p.disable_scale_in))
                && !scaling.is_some_and(|t| t.suspended.scale_in)
            {
                return format!(
                    "the scaler: target tracking `{}` ({} {}) scaling in; suspend scale-in \
                     to hold the count",
                    policy.name, policy.metric, policy.target
                );
            }
            if matches!(field, Field::Min | Field::Max)
                && let Some(action) = scaling.and_then(|t| {
                    t.scheduled.iter().find(|a| {
                        let v = match field {
                            Field::Min => a.min,
                            _ => a.max,
                        };
                        v.map(Value::Count).as_ref() == Some(now)
                    })
                })
            {
                return format!(
                    "the scheduled action `{}` ({})",
                    action.name, action.schedule
                );
            }
            iac(&s.tags).unwrap_or_else(|| {
                "another writer (the console, a deploy pipeline, another operator)".into()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> FleetSnapshot {
        crate::action::testing::fleet()
    }

    fn key(snap: &FleetSnapshot) -> ServiceKey {
        snap.services[0].key.clone()
    }

    fn at(snap: &FleetSnapshot, minutes: i64) -> FleetSnapshot {
        let mut s = snap.clone();
        s.taken_at = snap.taken_at + Duration::minutes(minutes);
        s
    }

    #[test]
    fn the_scaler_pulling_desired_back_is_raised_once_with_its_policy() {
        let before = fleet();
        let service = key(&before);
        let mut watches = Watches::new(Duration::minutes(30));
        let raised_to = before.services[0].desired + 20;
        let request = ActionRequest::SetDesiredCount {
            service: service.clone(),
            desired: raised_to,
        };
        watches.start(&request, &before, before.taken_at);
        let mut applied = at(&before, 1);
        applied.services[0].desired = raised_to;
        assert!(watches.check(&applied).is_empty());
        let mut pulled = at(&before, 5);
        // The fixture's service scales on a CPU 70 % target-tracking policy.
        pulled.services[0].desired = raised_to - 8;
        let raised = watches.check(&pulled);
        assert_eq!(raised.len(), 1, "{raised:?}");
        let line = raised[0].to_string();
        assert!(line.contains("desired count changed back"), "{line}");
        assert!(
            line.contains("likely the scaler: target tracking `cpu70`"),
            "{line}"
        );
        assert!(watches.check(&at(&pulled, 1)).is_empty(), "raised once");
    }

    #[test]
    fn max_re_applied_names_iac_and_moving_on_is_not_a_change_back() {
        let before = fleet();
        let service = key(&before);
        let (min, max) = before.services[0].bounds().unwrap();
        let mut watches = Watches::new(Duration::minutes(30));
        watches.start(
            &ActionRequest::SetBounds {
                service: service.clone(),
                min,
                max: max + 150,
            },
            &before,
            before.taken_at,
        );
        // The scaler using the new room is not a change back.
        let mut grown = at(&before, 2);
        grown.services[0].scaling.as_mut().unwrap().max = max + 150;
        grown.services[0].desired += 30;
        assert!(watches.check(&grown).is_empty());
        let mut reapplied = at(&before, 10);
        reapplied.services[0].scaling.as_mut().unwrap().max = max;
        reapplied.services[0]
            .tags
            .insert("managed-by".into(), "terraform".into());
        let raised = watches.check(&reapplied);
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].field, Field::Max);
        assert!(
            raised[0]
                .cause
                .contains("infrastructure as code (terraform)"),
            "{}",
            raised[0].cause
        );
    }

    #[test]
    fn the_window_ends_the_watch() {
        let before = fleet();
        let mut watches = Watches::new(Duration::minutes(30));
        watches.start(
            &ActionRequest::SetDesiredCount {
                service: key(&before),
                desired: 99,
            },
            &before,
            before.taken_at,
        );
        let late = at(&before, 31);
        assert!(watches.check(&late).is_empty());
        assert!(watches.is_empty());
    }
}
