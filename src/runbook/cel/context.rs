//! What a runbook expression is evaluated against: the snapshot, its history,
//! the facts about overrides, the log counts a walk's reader made, and the
//! fleet aggregates computed once per snapshot.

use foldhash::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::facts::OverrideFacts;
use super::variables::FleetVars;
use crate::model::evidence::LogMatches;
use crate::model::history::FleetHistory;
use crate::model::{EventKind, FleetEvent, FleetSnapshot, Service, ServiceKey};

/// Everything an evaluation reads: borrows, plus the fleet aggregates computed
/// once per snapshot (every scope's evaluation shares them).
#[derive(Clone, Copy, Debug)]
pub struct EvalContext<'a> {
    pub snapshot: &'a FleetSnapshot,
    pub history: &'a FleetHistory,
    pub facts: &'a OverrideFacts,
    /// What `log_matches` reads: counted before the evaluation, for a walk's
    /// scope only (CEL evaluation is synchronous; the reader is not).
    pub logs: Option<&'a LogMatches>,
    pub fleet: FleetVars,
    /// Lookups built once when every scope is evaluated (the triggers):
    /// without it each scope searched the whole fleet and its events.
    pub index: Option<&'a FleetIndex<'a>>,
    /// The same history, shared: helpers then read the series they use where
    /// they are, instead of copying every series of the scope's hour.
    pub shared: Option<&'a Arc<FleetHistory>>,
}

/// The snapshot's services by key, and its events by service, for
/// evaluations of every scope of a large fleet.
#[derive(Debug)]
pub struct FleetIndex<'a> {
    services: HashMap<&'a ServiceKey, &'a Service>,
    events: HashMap<&'a ServiceKey, Vec<&'a FleetEvent>>,
    spot: Vec<&'a FleetEvent>,
}

impl<'a> FleetIndex<'a> {
    pub fn new(snapshot: &'a FleetSnapshot) -> Self {
        let mut events: HashMap<&ServiceKey, Vec<&FleetEvent>> = HashMap::default();
        let mut spot = Vec::new();
        for e in &snapshot.events {
            if e.kind == EventKind::SpotInterruption {
                spot.push(e);
            } else if let Some(key) = &e.service {
                events.entry(key).or_default().push(e);
            }
        }
        Self {
            services: snapshot.services.iter().map(|s| (&s.key, s)).collect(),
            events,
            spot,
        }
    }
}

impl<'a> EvalContext<'a> {
    pub fn new(
        snapshot: &'a FleetSnapshot,
        history: &'a FleetHistory,
        facts: &'a OverrideFacts,
    ) -> Self {
        Self {
            snapshot,
            history,
            facts,
            logs: None,
            fleet: FleetVars::from_snapshot(snapshot),
            index: None,
            shared: None,
        }
    }

    /// The same context with a fleet index (see `FleetIndex`).
    pub fn with_index(self, index: &'a FleetIndex<'a>) -> Self {
        Self {
            index: Some(index),
            ..self
        }
    }

    /// The same context reading `history` shared (it must be the one given).
    pub fn with_shared(self, history: &'a Arc<FleetHistory>) -> Self {
        Self {
            shared: Some(history),
            ..self
        }
    }

    /// A service of the snapshot by key.
    pub fn service(&self, key: &ServiceKey) -> Option<&'a Service> {
        match self.index {
            Some(i) => i.services.get(key).copied(),
            None => self.snapshot.service(key),
        }
    }

    /// The events a scope's helpers read, oldest first: Spot interruptions
    /// fleet-wide, and everything else of `scoped` only.
    pub fn events_of(&self, scoped: Option<&ServiceKey>) -> Vec<&'a FleetEvent> {
        match self.index {
            Some(i) => {
                let mut out = i.spot.clone();
                if let Some(own) = scoped.and_then(|k| i.events.get(k)) {
                    out.extend(own.iter().copied());
                    out.sort_by_key(|e| e.at);
                }
                out
            }
            None => self
                .snapshot
                .events
                .iter()
                .filter(|e| {
                    e.kind == EventKind::SpotInterruption
                        || (e.service.is_some() && e.service.as_ref() == scoped)
                })
                .collect(),
        }
    }

    /// The same context with the walk's log counts.
    pub fn with_logs(self, logs: Option<&'a LogMatches>) -> Self {
        Self { logs, ..self }
    }

    /// Data time of the snapshot: simulated time on the simulator.
    pub fn now(&self) -> DateTime<Utc> {
        self.snapshot.taken_at
    }
}
