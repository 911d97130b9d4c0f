//! What the fleet depends on beyond ECS, stepped with it: a DynamoDB table
//! that throttles past its read capacity, an OpenSearch Serverless collection
//! whose search OCUs lag the load, faults with their custom metrics. Each adds
//! latency and errors to the service that calls it, and publishes the
//! CloudWatch metrics a runbook may declare. An operator's command (a runbook
//! step's, ticked) changes it after the time the real change takes.

use crate::model::declared::{Declared, DeclaredValue, MetricQuery};
use crate::sim::scenario::deps::{
    CollectionSpec, Dependencies, FaultSpec, FixEffect, FixSpec, MetricSpec, TableSpec, words,
};

/// RCU per session read (items of ~14 KB, strongly consistent).
const RCU_PER_READ: f64 = 3.6;
/// Target tracking's utilisation target, and how long its alarm takes.
const DDB_TARGET: f64 = 0.7;
const DDB_SCALE_EVERY_S: i64 = 120;
/// OpenSearch Serverless: the wait before new search OCUs serve, then the pace.
const OCU_LAG_S: i64 = 360;
const OCU_STEP_S: i64 = 120;
const OCU_STEP: f64 = 2.0;
/// Search latency at ease, and RAG searches per chatbot answer (retries included).
const SEARCH_BASE_MS: f64 = 40.0;
const SEARCHES_PER_ANSWER: f64 = 8.0;
/// A fault fades over this long once fixed (tasks drain, caches refill).
const FADE_S: i64 = 180;

#[derive(Clone, Debug)]
struct Table {
    spec: TableSpec,
    provisioned: f64,
    on_demand: bool,
    demand: f64,
    throttled: f64,
    last_scale: i64,
}

impl Table {
    fn step(&mut self, t: i64) {
        self.demand =
            self.spec.demand_rcu * self.spec.surge.as_ref().map_or(1.0, |s| s.multiplier(t));
        if self.spec.autoscaling
            && !self.on_demand
            && t - self.last_scale >= DDB_SCALE_EVERY_S
            && self.demand > DDB_TARGET * self.provisioned
        {
            self.provisioned = (self.demand / DDB_TARGET).ceil();
            self.last_scale = t;
        }
        let capacity = if self.on_demand {
            f64::INFINITY
        } else {
            self.provisioned
        };
        self.throttled = (self.demand - capacity).max(0.0);
    }

    fn share_throttled(&self) -> f64 {
        if self.demand > 0.0 {
            self.throttled / self.demand
        } else {
            0.0
        }
    }

    fn publish(&self, out: &mut Vec<(MetricQuery, f64)>) {
        let dims = vec![("TableName".to_string(), self.spec.name.clone())];
        let q = |metric: &str, stat: &str, dims: Vec<(String, String)>| MetricQuery {
            namespace: "AWS/DynamoDB".into(),
            metric: metric.into(),
            dimensions: dims,
            stat: stat.into(),
            period_s: 60,
        };
        let consumed = self.demand - self.throttled;
        out.push((
            q("ConsumedReadCapacityUnits", "Sum", dims.clone()),
            consumed * 60.0,
        ));
        out.push((
            q("ReadThrottleEvents", "Sum", dims.clone()),
            self.throttled / RCU_PER_READ * 60.0,
        ));
        if !self.on_demand {
            out.push((
                q("ProvisionedReadCapacityUnits", "Average", dims.clone()),
                self.provisioned,
            ));
        }
        let latency_dims = vec![
            ("Operation".to_string(), "GetItem".to_string()),
            ("TableName".to_string(), self.spec.name.clone()),
        ];
        out.push((
            q("SuccessfulRequestLatency", "Average", latency_dims),
            5.0 + self.share_throttled() * 110.0,
        ));
    }
}

#[derive(Clone, Debug)]
struct Collection {
    spec: CollectionSpec,
    ocu: f64,
    max_ocu: f64,
    rate: f64,
    latency_ms: f64,
    short_since: Option<i64>,
    last_add: i64,
}

impl Collection {
    fn step(&mut self, t: i64) {
        self.rate =
            self.spec.search_rate * self.spec.surge.as_ref().map_or(1.0, |s| s.multiplier(t));
        let needed = (self.rate / (self.spec.qps_per_ocu * 0.75)).ceil();
        let target = needed.min(self.max_ocu);
        if target > self.ocu {
            let since = *self.short_since.get_or_insert(t);
            if t - since >= OCU_LAG_S && t - self.last_add >= OCU_STEP_S {
                self.ocu = (self.ocu + OCU_STEP).min(target);
                self.last_add = t;
            }
        } else {
            self.short_since = None;
        }
        let u = self.rate / (self.ocu * self.spec.qps_per_ocu);
        let over = (u - 0.7).max(0.0);
        self.latency_ms = (SEARCH_BASE_MS * (1.0 + 1.8 * over * over)).min(5000.0);
    }

    fn publish(&self, out: &mut Vec<(MetricQuery, f64)>) {
        let q = |metric: &str, stat: &str| MetricQuery {
            namespace: "AWS/AOSS".into(),
            metric: metric.into(),
            dimensions: vec![("CollectionName".to_string(), self.spec.name.clone())],
            stat: stat.into(),
            period_s: 60,
        };
        out.push((q("SearchLatency", "p95"), self.latency_ms));
        out.push((q("SearchRate", "Average"), self.rate));
        out.push((q("SearchOCU", "Maximum"), self.ocu));
    }
}

#[derive(Clone, Debug)]
struct Fault {
    spec: FaultSpec,
    fixed_at: Option<i64>,
}

impl Fault {
    /// 0 before it starts, 1 while it lasts, fading to 0 once fixed.
    fn strength(&self, t: i64) -> f64 {
        if t < self.spec.at_s {
            return 0.0;
        }
        match self.fixed_at {
            Some(at) => (1.0 - (t - at) as f64 / FADE_S as f64).clamp(0.0, 1.0),
            None => 1.0,
        }
    }
}

#[derive(Clone, Debug)]
struct Pending {
    due: i64,
    effect: FixEffect,
}

/// The scenario's dependencies as they are now.
#[derive(Clone, Debug, Default)]
pub struct Backing {
    tables: Vec<Table>,
    collections: Vec<Collection>,
    faults: Vec<Fault>,
    metrics: Vec<MetricSpec>,
    fixes: Vec<FixSpec>,
    pending: Vec<Pending>,
    declared: Vec<Declared>,
    t: i64,
}

impl Backing {
    pub fn new(deps: &Dependencies) -> Self {
        let mut b = Self {
            tables: deps
                .tables
                .iter()
                .map(|s| Table {
                    provisioned: s.provisioned_rcu,
                    on_demand: s.on_demand,
                    demand: 0.0,
                    throttled: 0.0,
                    last_scale: i64::MIN / 2,
                    spec: s.clone(),
                })
                .collect(),
            collections: deps
                .collections
                .iter()
                .map(|s| Collection {
                    ocu: s.ocu,
                    max_ocu: s.max_ocu,
                    rate: 0.0,
                    latency_ms: SEARCH_BASE_MS,
                    short_since: None,
                    last_add: i64::MIN / 2,
                    spec: s.clone(),
                })
                .collect(),
            faults: deps
                .faults
                .iter()
                .map(|s| Fault {
                    spec: s.clone(),
                    fixed_at: None,
                })
                .collect(),
            metrics: deps.metrics.clone(),
            fixes: deps.fixes.clone(),
            pending: Vec::new(),
            declared: Vec::new(),
            t: 0,
        };
        b.step(0);
        b
    }

    /// The metrics runbooks declare: the snapshot carries their values.
    pub fn declare(&mut self, declared: &[Declared]) {
        self.declared = declared.to_vec();
    }

    /// Move to `t` seconds after start. Fixes due by then take effect; those
    /// that change a service (its task size) are handed back to the fleet.
    pub fn step(&mut self, t: i64) -> Vec<FixEffect> {
        self.t = t;
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due <= t);
        self.pending = later;
        let mut for_fleet = Vec::new();
        for p in due {
            match p.effect {
                FixEffect::OnDemand { table } => {
                    for x in self.tables.iter_mut().filter(|x| x.spec.name == table) {
                        x.on_demand = true;
                    }
                }
                FixEffect::Rcu { table, value } => {
                    for x in self.tables.iter_mut().filter(|x| x.spec.name == table) {
                        x.provisioned = value;
                    }
                }
                FixEffect::MaxOcu { collection, value } => {
                    for x in self
                        .collections
                        .iter_mut()
                        .filter(|x| x.spec.name == collection)
                    {
                        x.max_ocu = value;
                    }
                }
                FixEffect::EndsFault { fault } => {
                    for x in self.faults.iter_mut().filter(|x| x.spec.id == fault) {
                        x.fixed_at.get_or_insert(p.due);
                    }
                }
                effect @ FixEffect::TaskSize { .. } => for_fleet.push(effect),
            }
        }
        for x in &mut self.tables {
            x.step(t);
        }
        for x in &mut self.collections {
            x.step(t);
        }
        for_fleet
    }

    /// P95 milliseconds and error-rate points the dependencies add to `service`.
    pub fn impact(&self, service: &str) -> (f64, f64) {
        let mut p95 = 0.0;
        let mut errors = 0.0;
        for x in self.tables.iter().filter(|x| x.spec.service == service) {
            let share = x.share_throttled();
            p95 += share * 6000.0;
            errors += share * 8.0;
        }
        for x in self
            .collections
            .iter()
            .filter(|x| x.spec.service == service)
        {
            p95 += (x.latency_ms - SEARCH_BASE_MS) * SEARCHES_PER_ANSWER;
        }
        for x in self.faults.iter().filter(|x| x.spec.service == service) {
            let s = x.strength(self.t);
            p95 += x.spec.p95_ms * s;
            errors += x.spec.error_pct * s;
        }
        (p95, errors)
    }

    /// Every metric the dependencies publish now, at a 60-second period.
    fn published(&self) -> Vec<(MetricQuery, f64)> {
        let mut out = Vec::new();
        for x in &self.tables {
            x.publish(&mut out);
        }
        for x in &self.collections {
            x.publish(&mut out);
        }
        for m in &self.metrics {
            let s = m
                .fault
                .as_deref()
                .and_then(|id| self.faults.iter().find(|f| f.spec.id == id))
                .map_or(0.0, |f| f.strength(self.t));
            out.push((m.query.clone(), m.value + (m.during - m.value) * s));
        }
        out
    }

    /// The declared metrics' values; `None` for what the scenario does not model.
    pub fn values(&self) -> Vec<DeclaredValue> {
        if self.declared.is_empty() {
            return Vec::new();
        }
        let published = self.published();
        self.declared
            .iter()
            .map(|d| DeclaredValue {
                name: d.name.clone(),
                value: published.iter().find(|(q, _)| q.same_series(&d.query)).map(
                    |(q, v)| match q.stat.as_str() {
                        // A sum over a longer (or shorter) period than a minute.
                        "Sum" | "SampleCount" => v * f64::from(d.query.period_s) / 60.0,
                        _ => *v,
                    },
                ),
            })
            .collect()
    }

    /// The operator ran `command`: every fix it matches (its words start
    /// with the fix's) takes effect after the time the real change takes.
    pub fn ran(&mut self, command: &str) -> String {
        let said = words(command);
        let matched: Vec<&FixSpec> = self
            .fixes
            .iter()
            .filter(|f| said.starts_with(&f.command))
            .collect();
        if matched.is_empty() {
            return "the simulator has no model for this command: nothing changes".to_string();
        }
        let mut out = Vec::new();
        for f in matched {
            self.pending.push(Pending {
                due: self.t + f.takes_s,
                effect: f.effect.clone(),
            });
            out.push(match f.takes_s {
                0 => "takes effect now".to_string(),
                s => format!("takes effect in {} min", (s as f64 / 60.0).ceil()),
            });
        }
        format!("the simulator played it: {}", out.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::LoadEvent;

    fn surge(factor: f64) -> Option<LoadEvent> {
        Some(LoadEvent {
            services: Vec::new(),
            at_s: 60,
            ramp_s: 60,
            factor,
            hold_s: None,
            decay_s: 0,
        })
    }

    fn table(autoscaling: bool) -> Dependencies {
        Dependencies {
            tables: vec![TableSpec {
                name: "sessions".into(),
                service: "orchestrator".into(),
                provisioned_rcu: 3000.0,
                demand_rcu: 1200.0,
                on_demand: false,
                autoscaling,
                surge: surge(4.0),
            }],
            fixes: vec![FixSpec {
                command:
                    "aws dynamodb update-table --table-name sessions --billing-mode PAY_PER_REQUEST"
                        .into(),
                takes_s: 120,
                effect: FixEffect::OnDemand {
                    table: "sessions".into(),
                },
            }],
            ..Default::default()
        }
    }

    fn declared(name: &str, metric: &str, stat: &str) -> Declared {
        Declared {
            name: name.into(),
            query: MetricQuery {
                namespace: "AWS/DynamoDB".into(),
                metric: metric.into(),
                dimensions: vec![("TableName".into(), "sessions".into())],
                stat: stat.into(),
                period_s: 60,
            },
        }
    }

    /// Seed 001, scenario 2: 4,800 RCU of demand on 3,000 provisioned
    /// throttles ~500 reads a second and slows the orchestrator; on-demand,
    /// two minutes after the command, ends it.
    #[test]
    fn a_provisioned_table_throttles_past_its_capacity_until_on_demand() {
        let mut b = Backing::new(&table(false));
        b.declare(&[
            declared("throttles", "ReadThrottleEvents", "Sum"),
            declared("provisioned", "ProvisionedReadCapacityUnits", "Average"),
            declared("latency", "SuccessfulRequestLatency", "Average"),
        ]);
        assert_eq!(b.values()[0].value, Some(0.0));
        assert_eq!(b.impact("orchestrator"), (0.0, 0.0));
        b.step(600);
        let v = b.values();
        let per_second = v[0].value.unwrap() / 60.0;
        assert!((per_second - 500.0).abs() < 1.0, "{per_second}");
        assert_eq!(v[1].value, Some(3000.0));
        // The latency query names Operation too: not the same series.
        assert_eq!(v[2].value, None);
        let (p95, errors) = b.impact("orchestrator");
        assert!(p95 > 2000.0 && errors > 2.0, "{p95} {errors}");
        assert!(
            b.ran(
                "aws   dynamodb update-table --table-name sessions --billing-mode PAY_PER_REQUEST"
            )
            .contains("in 2 min")
        );
        b.step(660);
        assert!(b.impact("orchestrator").0 > 0.0);
        b.step(720);
        assert_eq!(b.impact("orchestrator"), (0.0, 0.0));
        // On-demand tables publish no provisioned capacity.
        assert_eq!(b.values()[1].value, None);
        assert!(b.ran("aws dynamodb describe-table").contains("no model"));
    }

    /// With target tracking attached the table catches up within minutes.
    #[test]
    fn autoscaling_follows_demand() {
        let mut b = Backing::new(&table(true));
        for t in (0..=900).step_by(5) {
            b.step(t);
        }
        assert_eq!(b.impact("orchestrator"), (0.0, 0.0));
    }

    /// Seed 001, scenario 3: search OCUs capped at 4 stay at 4 while the
    /// search rate quadruples; raised to 20, they arrive after the lag.
    #[test]
    fn search_ocus_follow_the_rate_up_to_the_cap_after_a_lag() {
        let deps = Dependencies {
            collections: vec![CollectionSpec {
                name: "search".into(),
                service: "orchestrator".into(),
                search_rate: 120.0,
                ocu: 4.0,
                max_ocu: 4.0,
                qps_per_ocu: 40.0,
                surge: surge(4.0),
            }],
            fixes: vec![FixSpec {
                command: "aws opensearchserverless update-account-settings".into(),
                takes_s: 60,
                effect: FixEffect::MaxOcu {
                    collection: "search".into(),
                    value: 20.0,
                },
            }],
            ..Default::default()
        };
        let mut b = Backing::new(&deps);
        assert!(b.impact("orchestrator").0 < 50.0);
        for t in (0..=1200).step_by(5) {
            b.step(t);
        }
        assert_eq!(b.collections[0].ocu, 4.0);
        assert!(b.collections[0].latency_ms > 300.0);
        b.ran("aws opensearchserverless update-account-settings --capacity-limits maxSearchCapacityInOCU=20");
        let mut t = 1200;
        while b.collections[0].ocu < 12.0 {
            t += 5;
            b.step(t);
            assert!(t < 1200 + 1800, "OCUs never came");
        }
        assert!(t - 1200 >= OCU_LAG_S, "{t}");
        assert!(b.collections[0].latency_ms < 100.0);
    }

    #[test]
    fn a_fault_fades_once_fixed() {
        let deps = Dependencies {
            faults: vec![FaultSpec {
                id: "dns".into(),
                service: "orchestrator".into(),
                at_s: 60,
                p95_ms: 1500.0,
                error_pct: 0.0,
            }],
            fixes: vec![FixSpec {
                command: "aws ecs update-service".into(),
                takes_s: 0,
                effect: FixEffect::EndsFault {
                    fault: "dns".into(),
                },
            }],
            ..Default::default()
        };
        let mut b = Backing::new(&deps);
        b.step(120);
        assert_eq!(b.impact("orchestrator").0, 1500.0);
        b.ran("aws ecs update-service --cluster c --service orchestrator");
        b.step(120 + FADE_S / 2);
        assert!((b.impact("orchestrator").0 - 750.0).abs() < 1.0);
        b.step(120 + FADE_S);
        assert_eq!(b.impact("orchestrator").0, 0.0);
    }
}
