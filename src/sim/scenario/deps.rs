//! What the fleet depends on beyond ECS, for the seeds' scenarios that are
//! not about ECS itself: a DynamoDB table, an OpenSearch Serverless
//! collection, a fault with its custom metrics (seed 002's DNS timeouts), and
//! the commands an operator runs to fix them (`[[fix]]`: the simulator plays
//! a runbook step's command when it matches).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::LoadEvent;
use super::units::{Fail, RawLoad};
use crate::bounds::Bound;
use crate::model::declared::MetricQuery;
use crate::sim::fleet::Fleet;

pub const CAPACITY: Bound<f64> = Bound::new(1.0, 1_000_000.0, "read capacity units per second");
pub const RATE: Bound<f64> = Bound::new(0.0, 1_000_000.0, "queries per second");
pub const OCU: Bound<f64> = Bound::new(1.0, 1_000.0, "OpenSearch compute units");
pub const ADDED_MS: Bound<f64> = Bound::new(0.0, 600_000.0, "milliseconds added to the P95");
pub const ADDED_PCT: Bound<f64> = Bound::new(0.0, 100.0, "percentage points of errors");
pub const FIX_MIN: Bound<f64> = Bound::new(0.0, 120.0, "minutes until a fix takes effect");

crate::bounded!(capacity: f64 = CAPACITY);
crate::bounded!(capacity_opt: Option<f64> = CAPACITY);
crate::bounded!(rate: f64 = RATE);
crate::bounded!(ocu: f64 = OCU);
crate::bounded!(ocu_opt: Option<f64> = OCU);
crate::bounded!(added_ms: f64 = ADDED_MS);
crate::bounded!(added_pct: f64 = ADDED_PCT);
crate::bounded!(fix_min: f64 = FIX_MIN);

/// A DynamoDB table in provisioned (or on-demand) mode.
#[derive(Clone, Debug, PartialEq)]
pub struct TableSpec {
    pub name: String,
    /// The service whose requests read it (its P95 and errors suffer).
    pub service: String,
    pub provisioned_rcu: f64,
    /// Read demand at start, RCU per second.
    pub demand_rcu: f64,
    pub on_demand: bool,
    /// Target tracking at 70 % is attached and follows consumption.
    pub autoscaling: bool,
    pub surge: Option<LoadEvent>,
}

/// An OpenSearch Serverless collection serving vector search.
#[derive(Clone, Debug, PartialEq)]
pub struct CollectionSpec {
    pub name: String,
    pub service: String,
    /// Search rate at start, queries per second.
    pub search_rate: f64,
    pub ocu: f64,
    /// The account's `maxSearchCapacityInOCU`.
    pub max_ocu: f64,
    /// Queries per second one search OCU serves at 40 ms.
    pub qps_per_ocu: f64,
    pub surge: Option<LoadEvent>,
}

/// Something broken outside ECS that slows a service from `at_s` until fixed.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSpec {
    pub id: String,
    pub service: String,
    pub at_s: i64,
    pub p95_ms: f64,
    pub error_pct: f64,
}

/// A custom metric: its value, and its value while a fault is at full strength.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSpec {
    pub query: MetricQuery,
    pub value: f64,
    pub fault: Option<String>,
    pub during: f64,
}

/// What a fix changes once it takes effect.
#[derive(Clone, Debug, PartialEq)]
pub enum FixEffect {
    OnDemand {
        table: String,
    },
    Rcu {
        table: String,
        value: f64,
    },
    MaxOcu {
        collection: String,
        value: f64,
    },
    EndsFault {
        fault: String,
    },
    TaskSize {
        service: String,
        vcpu: f64,
        memory_gb: f64,
    },
}

/// A command an operator runs (matched on its words, as a prefix) and what it does.
#[derive(Clone, Debug, PartialEq)]
pub struct FixSpec {
    pub command: String,
    pub takes_s: i64,
    pub effect: FixEffect,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dependencies {
    pub tables: Vec<TableSpec>,
    pub collections: Vec<CollectionSpec>,
    pub faults: Vec<FaultSpec>,
    pub metrics: Vec<MetricSpec>,
    pub fixes: Vec<FixSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    name: String,
    service: String,
    #[serde(deserialize_with = "capacity")]
    provisioned_rcu: f64,
    #[serde(deserialize_with = "capacity")]
    demand_rcu: f64,
    #[serde(default)]
    on_demand: bool,
    #[serde(default)]
    autoscaling: bool,
    surge: Option<RawLoad>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCollection {
    name: String,
    service: String,
    #[serde(deserialize_with = "rate")]
    search_rate: f64,
    #[serde(deserialize_with = "ocu")]
    ocu: f64,
    #[serde(default, deserialize_with = "ocu_opt")]
    max_ocu: Option<f64>,
    #[serde(default, deserialize_with = "capacity_opt")]
    qps_per_ocu: Option<f64>,
    surge: Option<RawLoad>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    id: String,
    service: String,
    #[serde(deserialize_with = "super::units::minute")]
    at_min: f64,
    #[serde(default, deserialize_with = "added_ms")]
    p95_ms: f64,
    #[serde(default, deserialize_with = "added_pct")]
    error_pct: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetric {
    namespace: String,
    metric: String,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
    stat: String,
    value: f64,
    fault: Option<String>,
    during: Option<f64>,
}

/// `rcu = { table, value }`: the table's provisioned read capacity becomes `value`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRcu {
    table: String,
    #[serde(deserialize_with = "capacity")]
    value: f64,
}

/// `max_ocu = { collection, value }`: the account's search OCU limit becomes `value`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaxOcu {
    collection: String,
    #[serde(deserialize_with = "ocu")]
    value: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSize {
    service: String,
    #[serde(deserialize_with = "super::units::cpu_value")]
    cpu: f64,
    #[serde(deserialize_with = "super::units::memory_value")]
    memory_gb: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFix {
    command: String,
    #[serde(default, deserialize_with = "fix_min")]
    takes_min: f64,
    on_demand: Option<String>,
    rcu: Option<RawRcu>,
    max_ocu: Option<RawMaxOcu>,
    ends_fault: Option<String>,
    task_size: Option<RawSize>,
}

/// The raw sections, resolved against the fleet; each error names its section.
pub(super) struct RawDependencies<'a> {
    pub tables: &'a [Spanned<RawTable>],
    pub collections: &'a [Spanned<RawCollection>],
    pub faults: &'a [Spanned<RawFault>],
    pub metrics: &'a [Spanned<RawMetric>],
    pub fixes: &'a [Spanned<RawFix>],
}

impl RawDependencies<'_> {
    pub(super) fn resolve(
        &self,
        fleet: &Fleet,
        fail: &Fail,
    ) -> Result<Dependencies, super::ScenarioError> {
        let known = |n: &str| fleet.services.iter().any(|s| s.key.service == n);
        let service = |n: &str, what: &str| {
            if known(n) {
                Ok(n.to_string())
            } else {
                Err(format!("{what}: unknown service `{n}`"))
            }
        };
        let mut out = Dependencies::default();
        for t in self.tables {
            let r = t.get_ref();
            out.tables.push(TableSpec {
                name: r.name.clone(),
                service: service(&r.service, "table").map_err(|m| fail(t.span(), m))?,
                provisioned_rcu: r.provisioned_rcu,
                demand_rcu: r.demand_rcu,
                on_demand: r.on_demand,
                autoscaling: r.autoscaling,
                surge: r.surge.as_ref().map(RawLoad::event),
            });
        }
        for c in self.collections {
            let r = c.get_ref();
            out.collections.push(CollectionSpec {
                name: r.name.clone(),
                service: service(&r.service, "collection").map_err(|m| fail(c.span(), m))?,
                search_rate: r.search_rate,
                ocu: r.ocu,
                max_ocu: r.max_ocu.unwrap_or(r.ocu.max(10.0)).max(r.ocu),
                qps_per_ocu: r.qps_per_ocu.unwrap_or(40.0),
                surge: r.surge.as_ref().map(RawLoad::event),
            });
        }
        for f in self.faults {
            let r = f.get_ref();
            out.faults.push(FaultSpec {
                id: r.id.clone(),
                service: service(&r.service, "fault").map_err(|m| fail(f.span(), m))?,
                at_s: (r.at_min * 60.0).round() as i64,
                p95_ms: r.p95_ms,
                error_pct: r.error_pct,
            });
        }
        let fault_known = |id: &str| out.faults.iter().any(|f| f.id == id);
        for m in self.metrics {
            let r = m.get_ref();
            if let Some(id) = r.fault.as_deref().filter(|id| !fault_known(id)) {
                return Err(fail(m.span(), format!("metric: unknown fault `{id}`")));
            }
            if !(r.value.is_finite() && r.during.is_none_or(f64::is_finite)) {
                return Err(fail(
                    m.span(),
                    "metric: value and during must be numbers".into(),
                ));
            }
            out.metrics.push(MetricSpec {
                query: MetricQuery {
                    namespace: r.namespace.clone(),
                    metric: r.metric.clone(),
                    dimensions: r.dimensions.clone().into_iter().collect(),
                    stat: r.stat.clone(),
                    period_s: 60,
                },
                value: r.value,
                fault: r.fault.clone(),
                during: r.during.unwrap_or(r.value),
            });
        }
        for f in self.fixes {
            let r = f.get_ref();
            let effect = fix_effect(r, &out, fleet).map_err(|m| fail(f.span(), m))?;
            out.fixes.push(FixSpec {
                command: words(&r.command),
                takes_s: (r.takes_min * 60.0).round() as i64,
                effect,
            });
        }
        Ok(out)
    }
}

fn fix_effect(r: &RawFix, deps: &Dependencies, fleet: &Fleet) -> Result<FixEffect, String> {
    let table = |name: &str| {
        deps.tables
            .iter()
            .any(|t| t.name == name)
            .then(|| name.to_string())
            .ok_or_else(|| format!("fix: unknown table `{name}`"))
    };
    let mut effects = Vec::new();
    if let Some(t) = &r.on_demand {
        effects.push(FixEffect::OnDemand { table: table(t)? });
    }
    if let Some(t) = &r.rcu {
        effects.push(FixEffect::Rcu {
            table: table(&t.table)?,
            value: t.value,
        });
    }
    if let Some(t) = &r.max_ocu {
        if !deps.collections.iter().any(|c| c.name == t.collection) {
            return Err(format!("fix: unknown collection `{}`", t.collection));
        }
        effects.push(FixEffect::MaxOcu {
            collection: t.collection.clone(),
            value: t.value,
        });
    }
    if let Some(id) = &r.ends_fault {
        if !deps.faults.iter().any(|f| &f.id == id) {
            return Err(format!("fix: unknown fault `{id}`"));
        }
        effects.push(FixEffect::EndsFault { fault: id.clone() });
    }
    if let Some(s) = &r.task_size {
        if !fleet.services.iter().any(|x| x.key.service == s.service) {
            return Err(format!("fix: unknown service `{}`", s.service));
        }
        effects.push(FixEffect::TaskSize {
            service: s.service.clone(),
            vcpu: s.cpu,
            memory_gb: s.memory_gb,
        });
    }
    match effects.len() {
        1 => Ok(effects.remove(0)),
        _ => Err("fix: give exactly one of on_demand, rcu, max_ocu, ends_fault, task_size".into()),
    }
}

/// A command's words joined by single spaces: how fixes are matched.
pub fn words(command: &str) -> String {
    command.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::sim::scenario::parse_scenario;

    const HEAD: &str = "description = \"d\"\nstart = 2026-11-20T19:00:00+09:00\nsla = { service = \"orchestrator\", p95_ms = 2000 }\n";

    fn error(body: &str) -> String {
        parse_scenario("t", "t.toml", &format!("{HEAD}{body}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_fix_does_exactly_one_thing_to_something_the_scenario_has() {
        let table = "[[table]]\nname = \"s\"\nservice = \"orchestrator\"\nprovisioned_rcu = 3000\ndemand_rcu = 100\n";
        let two = error(&format!(
            "{table}[[fix]]\ncommand = \"aws x\"\non_demand = \"s\"\nrcu = {{ table = \"s\", value = 5000 }}\n"
        ));
        assert!(
            two.starts_with("t.toml:9:1: fix: give exactly one"),
            "{two}"
        );
        let unknown = error("[[fix]]\ncommand = \"aws x\"\non_demand = \"nope\"\n");
        assert!(unknown.contains("fix: unknown table `nope`"), "{unknown}");
        let service = error(
            "[[table]]\nname = \"s\"\nservice = \"nobody\"\nprovisioned_rcu = 1\ndemand_rcu = 1\n",
        );
        assert!(
            service.contains("table: unknown service `nobody`"),
            "{service}"
        );
        let fault = error(
            "[[metric]]\nnamespace = \"N\"\nmetric = \"M\"\nstat = \"p95\"\nvalue = 1\nfault = \"f\"\n",
        );
        assert!(fault.contains("metric: unknown fault `f`"), "{fault}");
        let range = error(
            "[[collection]]\nname = \"c\"\nservice = \"orchestrator\"\nsearch_rate = 1\nocu = 0\n",
        );
        assert!(range.contains("OpenSearch compute units"), "{range}");
        let rcu = error(&format!(
            "{table}[[fix]]\ncommand = \"aws x\"\nrcu = {{ table = \"s\", value = 0 }}\n"
        ));
        assert!(
            rcu.starts_with("t.toml:11:") && rcu.contains("read capacity units"),
            "{rcu}"
        );
    }

    #[test]
    fn commands_match_on_their_words() {
        assert_eq!(
            super::words("  aws   ecs\tupdate-service \n"),
            "aws ecs update-service"
        );
    }
}
