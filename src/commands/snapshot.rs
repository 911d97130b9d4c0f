//! One snapshot, printed and exit: `sitrep snapshot --json`.
//!
//! The output is a dedicated, versioned schema (`SnapshotJson`), not the
//! internal model, so scripts keep working when the model changes.

use std::collections::BTreeMap;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use color_eyre::eyre::bail;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::model::{FleetSnapshot, SourceInfo};

const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SnapshotJson {
    pub schema_version: u32,
    pub taken_at: DateTime<Utc>,
    /// `SIM calm` or `profile@region`.
    pub source: String,
    pub services: Vec<ServiceJson>,
    pub caches: Vec<CacheJson>,
    pub alarms: Vec<AlarmJson>,
    /// Parts whose latest read failed; their data is the last good read.
    pub errors: Vec<PartErrorJson>,
    pub api_calls: u32,
    pub calls_by_api: BTreeMap<String, u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceJson {
    pub cluster: String,
    pub name: String,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    /// Scalable-target bounds; `null` when the service has no scalable target.
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub launch_type: Option<String>,
    pub strategy: Vec<StrategyJson>,
    pub running_on_demand: u32,
    pub running_spot: u32,
    /// `x86` or `arm64`.
    pub arch: String,
    pub cpu_pct: Option<f64>,
    pub memory_pct: Option<f64>,
    /// `stable`, `rolling n/m` or `FAILED`: the label the fleet table shows.
    pub deployment: String,
    /// `stable`, `in_progress` or `failed`: the state as runbook expressions
    /// read it (`service.deployment`).
    pub deployment_state: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrategyJson {
    pub provider: String,
    pub weight: u32,
    pub base: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CacheJson {
    pub id: String,
    pub engine: String,
    pub node_type: String,
    pub memory_pct: Option<f64>,
    pub evictions_per_min: Option<f64>,
    /// `null` when the parameter group could not be read.
    pub maxmemory_policy: Option<String>,
    pub parameter_group: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlarmJson {
    pub name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub subject: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PartErrorJson {
    pub part: String,
    pub error: String,
}

impl SnapshotJson {
    pub fn from_snapshot(s: &FleetSnapshot) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            taken_at: s.taken_at,
            source: s.source.label(),
            services: s
                .services
                .iter()
                .map(|svc| ServiceJson {
                    cluster: svc.key.cluster.clone(),
                    name: svc.key.service.clone(),
                    desired: svc.desired,
                    running: svc.running,
                    pending: svc.pending,
                    min: svc.bounds().map(|b| b.0),
                    max: svc.bounds().map(|b| b.1),
                    launch_type: svc.launch_type.clone(),
                    strategy: svc
                        .strategy
                        .iter()
                        .map(|i| StrategyJson {
                            provider: i.provider.clone(),
                            weight: i.weight,
                            base: i.base,
                        })
                        .collect(),
                    running_on_demand: svc.running_mix.on_demand,
                    running_spot: svc.running_mix.spot,
                    arch: svc.arch.label().to_string(),
                    cpu_pct: svc.metrics.cpu_pct,
                    memory_pct: svc.metrics.memory_pct,
                    deployment: svc.deployment.label(),
                    deployment_state: svc.deployment.state().to_string(),
                })
                .collect(),
            caches: s
                .caches
                .iter()
                .map(|c| CacheJson {
                    id: c.id.clone(),
                    engine: c.engine.clone(),
                    node_type: c.node_type.clone(),
                    memory_pct: c.memory_pct,
                    evictions_per_min: c.evictions_per_min,
                    maxmemory_policy: c.maxmemory_policy.clone(),
                    parameter_group: c.parameter_group.clone(),
                })
                .collect(),
            alarms: s
                .alarms
                .iter()
                .map(|a| AlarmJson {
                    name: a.name.clone(),
                    state: serde_name(&a.state),
                    subject: a.subject.clone(),
                    reason: a.reason.clone(),
                })
                .collect(),
            errors: s
                .part_errors()
                .map(|(part, error)| PartErrorJson {
                    part: serde_name(&part),
                    error: error.to_string(),
                })
                .collect(),
            api_calls: s.stats.api_calls,
            calls_by_api: s.stats.calls_by_api.clone(),
        }
    }
}

/// An enum value as its serde name (`ALARM`, `services`).
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// True when not a single part could be read.
fn nothing_read(s: &FleetSnapshot) -> bool {
    !s.parts.is_empty() && s.parts.values().all(|p| p.fetched_at.is_none())
}

pub fn print_json(cfg: &Config) -> Result<ExitCode> {
    let snapshot = super::runtime()?.block_on(crate::session::one_snapshot(cfg))?;
    if nothing_read(&snapshot) {
        let reason = snapshot
            .part_errors()
            .next()
            .map(|(_, e)| e.to_string())
            .unwrap_or_else(|| "no part answered".into());
        let from = match &snapshot.source {
            SourceInfo::Aws { .. } => format!("AWS ({})", snapshot.source.label()),
            SourceInfo::Sim { .. } => "the simulator".to_string(),
        };
        bail!("nothing could be read from {from}: {reason}");
    }
    let json = serde_json::to_string_pretty(&SnapshotJson::from_snapshot(&snapshot))?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulator_snapshot_renders_schema_v1() {
        let snap = crate::sim::Simulator::from_config(&crate::config::SimConfig::default())
            .unwrap()
            .snapshot();
        let json = SnapshotJson::from_snapshot(&snap);
        assert_eq!(json.schema_version, 1);
        assert_eq!(json.services.len(), snap.services.len());
        assert!(!json.services.is_empty());
        let value = serde_json::to_value(&json).unwrap();
        for field in [
            "cluster", "name", "desired", "min", "max", "strategy", "cpu_pct",
        ] {
            assert!(value["services"][0].get(field).is_some(), "{field}");
        }
        assert!(!nothing_read(&snap));
    }

    #[test]
    fn all_parts_failed_means_nothing_read() {
        let cfg = crate::config::AwsConfig::default();
        let snap = crate::source::aws::unavailable(&cfg, "no credentials");
        assert!(nothing_read(&snap));
        let json = SnapshotJson::from_snapshot(&snap);
        assert_eq!(json.errors.len(), 7);
        assert_eq!(json.errors[0].part, "services");
    }
}
