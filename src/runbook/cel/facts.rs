//! Facts about manual overrides that the action layer (ledger, declared
//! baseline) provides to runbook expressions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::action::baseline::{self, Baseline, Drift};
use crate::action::ledger;
use crate::model::{FleetSnapshot, ServiceKey};

/// A ledger entry whose revert-by time has passed while the change is still in force.
#[derive(Clone, Debug, PartialEq)]
pub struct OverdueOverride {
    pub service: ServiceKey,
    /// Catalogue id of the applied action, e.g. `autoscaling.set_bounds`.
    pub action: String,
    pub revert_by: DateTime<Utc>,
}

/// The declared bounds of a service, for proposing a revert to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BaselineBounds {
    pub min: u32,
    pub max: u32,
}

/// Facts about overrides, filled by whoever owns the ledger and the baseline.
/// Empty facts are valid: the override helpers then report nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OverrideFacts {
    pub overdue: Vec<OverdueOverride>,
    pub drift: Vec<Drift>,
    pub baselines: BTreeMap<ServiceKey, BaselineBounds>,
}

impl OverrideFacts {
    /// Facts from the declared baseline and the ledger's overdue entries.
    pub fn gather(
        baseline: Option<&Baseline>,
        overdue: &[ledger::Entry],
        snapshot: &FleetSnapshot,
    ) -> Self {
        let mut facts = OverrideFacts {
            overdue: overdue
                .iter()
                .filter_map(|e| {
                    Some(OverdueOverride {
                        service: e.service.clone()?,
                        action: e.request.id().to_string(),
                        revert_by: e.revert_by,
                    })
                })
                .collect(),
            ..OverrideFacts::default()
        };
        if let Some(b) = baseline {
            facts.drift = baseline::drift(b, snapshot);
            for (key, intended) in &b.services {
                let Some((cluster, service)) = key.split_once('/') else {
                    continue;
                };
                if let (Some(min), Some(max)) = (intended.min, intended.max) {
                    facts.baselines.insert(
                        ServiceKey::new(cluster, service),
                        BaselineBounds { min, max },
                    );
                }
            }
        }
        facts
    }
}
