//! The scenario file as written (spans kept for error messages), and how it
//! resolves against the default fleet.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use super::deps::{RawCollection, RawDependencies, RawFault, RawFix, RawMetric, RawTable};
use super::units::{CPU, Fail, MEMORY_GB, RawLoad, minute, minute_opt, secs};
use super::{Objective, Scenario, ScenarioError, Sla, SpotRate};
use crate::bounds::Bound;
use crate::model::{Arch, FARGATE, FARGATE_SPOT, ScalableTarget, StrategyItem};
use crate::sim::fleet::{self, Fleet};
use crate::sim::schedule::Schedule;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScenario {
    description: String,
    runbook: Option<String>,
    /// Start time with its offset, e.g. `2026-11-20T19:50:00+09:00` (JST).
    start: Spanned<toml::value::Datetime>,
    sla: Spanned<Sla>,
    /// What a drill on this scenario must achieve; none for a scenario that is not a drill.
    objective: Option<Spanned<Objective>>,
    /// Spot interruptions per Spot task-hour at start.
    #[serde(default = "default_spot_rate", deserialize_with = "spot_rate")]
    spot_rate: f64,
    /// A generated fleet of this many services in four clusters (`svc-0000`
    /// ...) in place of the manga chatbot's.
    #[serde(default, deserialize_with = "tasks")]
    synthetic_services: Option<u32>,
    #[serde(default)]
    service: Vec<Spanned<RawService>>,
    #[serde(default)]
    cache: Vec<Spanned<RawCache>>,
    #[serde(default)]
    load: Vec<Spanned<RawLoad>>,
    #[serde(default)]
    spot: Vec<Spanned<RawSpot>>,
    #[serde(default)]
    table: Vec<Spanned<RawTable>>,
    #[serde(default)]
    collection: Vec<Spanned<RawCollection>>,
    #[serde(default)]
    fault: Vec<Spanned<RawFault>>,
    #[serde(default)]
    metric: Vec<Spanned<RawMetric>>,
    #[serde(default)]
    fix: Vec<Spanned<RawFix>>,
}

fn default_spot_rate() -> f64 {
    0.02
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    name: String,
    cluster: Option<String>,
    arch: Option<String>,
    #[serde(default, deserialize_with = "cpu")]
    cpu: Option<f64>,
    #[serde(default, deserialize_with = "memory_gb")]
    memory_gb: Option<f64>,
    #[serde(default, deserialize_with = "tasks")]
    min: Option<u32>,
    #[serde(default, deserialize_with = "tasks")]
    max: Option<u32>,
    #[serde(default, deserialize_with = "tasks")]
    desired: Option<u32>,
    strategy: Option<Vec<RawStrategy>>,
    /// Multiplies the service's daily load curve.
    #[serde(default, deserialize_with = "load_factor")]
    load_factor: Option<f64>,
    scale_in_suspended: Option<bool>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    fail_new_tasks: Option<RawWindow>,
    #[serde(default, deserialize_with = "minute_opt")]
    deploy_at_min: Option<f64>,
    /// The revision rolled out at `deploy_at_min` cannot pull its image.
    #[serde(default)]
    deploy_broken: bool,
    /// ECS's deployment circuit breaker (with rollback); on unless set false.
    circuit_breaker: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategy {
    provider: String,
    #[serde(deserialize_with = "weight")]
    weight: u32,
    #[serde(default, deserialize_with = "base")]
    base: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    #[serde(deserialize_with = "minute")]
    from_min: f64,
    #[serde(default, deserialize_with = "minute_opt")]
    until_min: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    id: String,
    policy: Option<String>,
    #[serde(default, deserialize_with = "memory_pct")]
    memory_pct: Option<f64>,
    #[serde(default, deserialize_with = "growth")]
    growth_pct_per_hour: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpot {
    #[serde(deserialize_with = "minute")]
    at_min: f64,
    #[serde(deserialize_with = "spot_rate")]
    rate: f64,
}

// Every number a scenario holds has a range, checked where it is read so the
// error names its line and column. They keep the simulator's work and memory
// bounded (ECS runs at most 5,000 tasks per service).
pub const TASKS: Bound<u32> =
    Bound::new(0, 5000, "a task count (ECS runs at most 5000 per service)");
pub const LOAD_FACTOR: Bound<f64> = Bound::new(0.0, 100.0, "a multiplier of the daily load");
pub const SPOT_RATE: Bound<f64> = Bound::new(0.0, 60.0, "Spot interruptions per Spot task-hour");
pub const MEMORY_PCT: Bound<f64> = Bound::new(0.0, 100.0, "a percentage of cache memory");
pub const GROWTH: Bound<f64> = Bound::new(-100.0, 100.0, "cache memory % per hour");
pub const WEIGHT: Bound<u32> = Bound::new(0, 1000, "a capacity-provider weight");
pub const BASE: Bound<u32> = Bound::new(0, 100_000, "a capacity-provider base");
pub const P95_MS: Bound<f64> = Bound::new(1.0, 600_000.0, "a P95 latency in ms");
pub const ERROR_RATE: Bound<f64> = Bound::new(0.0, 100.0, "an error rate in %");

crate::bounded!(tasks: Option<u32> = TASKS);
crate::bounded!(cpu: Option<f64> = CPU);
crate::bounded!(memory_gb: Option<f64> = MEMORY_GB);
crate::bounded!(load_factor: Option<f64> = LOAD_FACTOR);
crate::bounded!(spot_rate: f64 = SPOT_RATE);
crate::bounded!(memory_pct: Option<f64> = MEMORY_PCT);
crate::bounded!(growth: Option<f64> = GROWTH);
crate::bounded!(weight: u32 = WEIGHT);
crate::bounded!(base: u32 = BASE);
crate::bounded!(pub(super) p95_ms: f64 = P95_MS);
crate::bounded!(pub(super) error_rate: f64 = ERROR_RATE);

pub const MAXMEMORY_POLICIES: [&str; 8] = [
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
];

impl RawScenario {
    pub(super) fn resolve(self, name: &str, fail: &Fail) -> Result<Scenario, ScenarioError> {
        let start = parse_start(self.start.get_ref()).map_err(|m| fail(self.start.span(), m))?;
        let mut fleet = match self.synthetic_services {
            Some(n) => fleet::synthetic_fleet(n as usize),
            None => fleet::default_fleet(),
        };
        catch_up_schedules(&mut fleet, start);
        for svc in &self.service {
            apply_service(&mut fleet, svc.get_ref()).map_err(|m| fail(svc.span(), m))?;
        }
        for cache in &self.cache {
            apply_cache(&mut fleet, cache.get_ref()).map_err(|m| fail(cache.span(), m))?;
        }
        let known = |n: &str| fleet.services.iter().any(|s| s.key.service == n);
        let mut load_events = Vec::new();
        for load in &self.load {
            let l = load.get_ref();
            if let Some(unknown) = l.services.iter().find(|s| !known(s)) {
                return Err(fail(
                    load.span(),
                    format!("load: unknown service `{unknown}`"),
                ));
            }
            load_events.push(l.event());
        }
        let mut spot_rates = vec![SpotRate {
            at_s: 0,
            per_task_hour: self.spot_rate,
        }];
        for spot in &self.spot {
            let s = spot.get_ref();
            spot_rates.push(SpotRate {
                at_s: secs(s.at_min),
                per_task_hour: s.rate,
            });
        }
        spot_rates.sort_by_key(|r| r.at_s);
        if !known(&self.sla.get_ref().service) {
            let message = format!("sla: unknown service `{}`", self.sla.get_ref().service);
            return Err(fail(self.sla.span(), message));
        }
        if let Some(o) = &self.objective {
            let obj = o.get_ref();
            let bad_minutes = |m: f64| !(m.is_finite() && m > 0.0 && m <= 24.0 * 60.0);
            if bad_minutes(obj.limit_minutes) || bad_minutes(obj.verify_minutes) {
                let message =
                    "objective: limit_minutes and verify_minutes must be between 0 and 1440";
                return Err(fail(o.span(), message.to_string()));
            }
            if obj.verify_minutes >= obj.limit_minutes {
                let message = "objective: verify_minutes must be shorter than limit_minutes";
                return Err(fail(o.span(), message.to_string()));
            }
            if let Some(id) = &obj.cache
                && !self.cache.iter().any(|c| c.get_ref().id == *id)
            {
                return Err(fail(o.span(), format!("objective: unknown cache `{id}`")));
            }
        }
        let deps = RawDependencies {
            tables: &self.table,
            collections: &self.collection,
            faults: &self.fault,
            metrics: &self.metric,
            fixes: &self.fix,
        }
        .resolve(&fleet, fail)?;
        Ok(Scenario {
            deps,
            name: name.to_string(),
            description: self.description.trim().to_string(),
            runbook: self.runbook,
            start,
            objective: self.objective.map(Spanned::into_inner),
            sla: self.sla.into_inner(),
            fleet,
            load_events,
            spot_rates,
        })
    }
}

fn parse_start(dt: &toml::value::Datetime) -> Result<DateTime<Utc>, String> {
    if dt.offset.is_none() || dt.date.is_none() || dt.time.is_none() {
        return Err(
            "start needs a date, a time and an offset, e.g. 2026-11-20T19:50:00+09:00".into(),
        );
    }
    DateTime::parse_from_rfc3339(&dt.to_string())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("start: {e}"))
}

/// Apply each scalable target's latest scheduled action before `start`, as if
/// the fleet had been running all along (the 8:45 pre-warm, the 23:00 scale-down).
pub fn catch_up_schedules(fleet: &mut Fleet, start: DateTime<Utc>) {
    for svc in &mut fleet.services {
        let Some(scaling) = &mut svc.scaling else {
            continue;
        };
        let latest = scaling
            .scheduled
            .iter()
            .filter_map(|a| {
                let fired = Schedule::parse(&a.schedule).ok()?.last_fire_before(start)?;
                Some((fired, a.min, a.max))
            })
            .max_by_key(|(fired, ..)| *fired);
        if let Some((_, min, max)) = latest {
            scaling.min = min.unwrap_or(scaling.min);
            scaling.max = max.unwrap_or(scaling.max).max(scaling.min);
        }
    }
}

fn apply_service(fleet: &mut Fleet, raw: &RawService) -> Result<(), String> {
    if fleet.service_mut(&raw.name).is_none() {
        let cluster = raw.cluster.as_deref().unwrap_or(fleet::CLUSTER);
        fleet
            .services
            .push(fleet::plain_service(cluster, &raw.name));
    }
    let spec = fleet.service_mut(&raw.name).expect("inserted above");
    if let Some(cluster) = &raw.cluster {
        spec.key.cluster = cluster.clone();
    }
    if let Some(arch) = &raw.arch {
        spec.arch = match arch.as_str() {
            "x86" | "X86_64" => Arch::X86_64,
            "arm64" | "ARM64" => Arch::Arm64,
            other => return Err(format!("arch `{other}` must be X86_64 or ARM64")),
        };
    }
    if let Some(cpu) = raw.cpu {
        spec.task_vcpu = cpu;
    }
    if let Some(mem) = raw.memory_gb {
        spec.task_memory_gb = mem;
    }
    if raw.min.is_some() || raw.max.is_some() || raw.scale_in_suspended.is_some() {
        let name = raw.name.clone();
        let scaling = spec.scaling.get_or_insert_with(|| ScalableTarget {
            min: 1,
            max: 10,
            suspended: Default::default(),
            policies: vec![fleet::cpu_policy(&name)],
            scheduled: Vec::new(),
        });
        scaling.min = raw.min.unwrap_or(scaling.min);
        scaling.max = raw.max.unwrap_or(scaling.max);
        if scaling.min > scaling.max {
            return Err(format!(
                "service `{}`: min {} is greater than max {}",
                raw.name, scaling.min, scaling.max
            ));
        }
        if let Some(s) = raw.scale_in_suspended {
            scaling.suspended.scale_in = s;
        }
    }
    if let Some(desired) = raw.desired {
        spec.desired = Some(desired);
    }
    if let Some(items) = &raw.strategy {
        let strategy: Vec<StrategyItem> = items
            .iter()
            .map(|i| StrategyItem::new(&i.provider, i.weight, i.base))
            .collect();
        validate_strategy(&strategy, spec.arch)?;
        spec.strategy = strategy;
        spec.launch_type = None;
    }
    if let Some(f) = raw.load_factor {
        spec.peak_load *= f;
    }
    spec.tags.extend(raw.tags.clone());
    if let Some(w) = &raw.fail_new_tasks {
        spec.fail_new_tasks = Some((secs(w.from_min), w.until_min.map(secs)));
    }
    spec.deploy_at = raw.deploy_at_min.map(secs);
    if raw.deploy_broken && spec.deploy_at.is_none() {
        return Err("`deploy_broken` needs `deploy_at_min`: the revision it breaks".into());
    }
    spec.deploy_broken = raw.deploy_broken;
    if let Some(on) = raw.circuit_breaker {
        spec.deploy.circuit_breaker = on;
    }
    Ok(())
}

fn apply_cache(fleet: &mut Fleet, raw: &RawCache) -> Result<(), String> {
    let cache = fleet
        .cache_mut(&raw.id)
        .ok_or_else(|| format!("unknown cache `{}`", raw.id))?;
    if let Some(policy) = &raw.policy {
        if !MAXMEMORY_POLICIES.contains(&policy.as_str()) {
            return Err(format!(
                "policy `{policy}` is not a maxmemory-policy ({})",
                MAXMEMORY_POLICIES.join(", ")
            ));
        }
        cache.policy = policy.clone();
    }
    if let Some(m) = raw.memory_pct {
        cache.memory_pct = m;
    }
    if let Some(g) = raw.growth_pct_per_hour {
        cache.growth_pct_per_hour = g;
    }
    Ok(())
}

/// ECS's rules for a capacity-provider strategy on Fargate.
pub fn validate_strategy(strategy: &[StrategyItem], arch: Arch) -> Result<(), String> {
    if strategy.is_empty() {
        return Err("capacity-provider strategy is empty".into());
    }
    for item in strategy {
        if item.provider != FARGATE && item.provider != FARGATE_SPOT {
            return Err(format!(
                "capacity provider `{}` is not FARGATE or FARGATE_SPOT",
                item.provider
            ));
        }
        if item.weight > 1000 || item.base > 100_000 {
            return Err("weight must be 0..=1000 and base 0..=100000".into());
        }
    }
    if strategy.iter().all(|i| i.weight == 0) {
        return Err("at least one capacity provider needs a weight above 0".into());
    }
    if strategy.iter().filter(|i| i.base > 0).count() > 1 {
        return Err("only one capacity provider in a strategy can have a base".into());
    }
    for (i, a) in strategy.iter().enumerate() {
        if strategy[i + 1..].iter().any(|b| b.provider == a.provider) {
            return Err(format!(
                "capacity provider `{}` is listed twice",
                a.provider
            ));
        }
    }
    if arch == Arch::Arm64
        && strategy
            .iter()
            .any(|i| i.provider == FARGATE_SPOT && i.weight > 0)
    {
        return Err("FARGATE_SPOT does not support ARM64 tasks".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FARGATE, FARGATE_SPOT};

    #[test]
    fn strategies_follow_ecs_rules() {
        let ok = [
            StrategyItem::new(FARGATE, 30, 3),
            StrategyItem::new(FARGATE_SPOT, 70, 0),
        ];
        assert!(validate_strategy(&ok, Arch::X86_64).is_ok());
        let two_bases = [
            StrategyItem::new(FARGATE, 30, 3),
            StrategyItem::new(FARGATE_SPOT, 70, 1),
        ];
        assert!(validate_strategy(&two_bases, Arch::X86_64).is_err());
        assert!(validate_strategy(&[StrategyItem::new("EC2", 1, 0)], Arch::X86_64).is_err());
        assert!(validate_strategy(&[StrategyItem::new(FARGATE, 0, 1)], Arch::X86_64).is_err());
        assert!(validate_strategy(&ok, Arch::Arm64).is_err());
        assert!(validate_strategy(&[], Arch::X86_64).is_err());
    }

    #[test]
    fn catch_up_applies_the_latest_schedule() {
        let jst = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let mut day = fleet::default_fleet();
        catch_up_schedules(&mut day, jst("2026-11-20T14:00:00+09:00"));
        assert_eq!(day.services[0].scaling.as_ref().unwrap().min, 20);
        let mut night = fleet::default_fleet();
        catch_up_schedules(&mut night, jst("2026-11-21T02:00:00+09:00"));
        assert_eq!(night.services[0].scaling.as_ref().unwrap().min, 5);
    }
}
