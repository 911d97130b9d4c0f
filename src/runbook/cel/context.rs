//! What a runbook expression is evaluated against: the snapshot, its history,
//! the facts about overrides, the log counts a walk's reader made, and the
//! fleet aggregates computed once per snapshot.

use chrono::{DateTime, Utc};

use super::facts::OverrideFacts;
use super::variables::FleetVars;
use crate::model::FleetSnapshot;
use crate::model::evidence::LogMatches;
use crate::model::history::FleetHistory;

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
