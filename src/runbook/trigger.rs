//! Which runbooks the cockpit should suggest, and for which service or cache.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::cel::expr::needs_of;
use super::cel::{EvalContext, Evaluator, FleetEvaluator, FleetIndex, OverrideFacts};
use super::model::Scope;
use super::model::{Runbook, ScopeKind};
use crate::model::FleetSnapshot;
use crate::model::history::FleetHistory;

/// A runbook's trigger holds for one scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub runbook: String,
    pub scope: Scope,
    /// The trigger's `why` text, rendered.
    pub why: String,
}

/// One evaluation of every trigger over a fleet, owning what it reads so it
/// can run away from the UI loop (at 2,000 services it costs ~25 ms).
#[derive(Clone, Debug)]
pub struct TriggerPass {
    pub runbooks: Vec<Arc<Runbook>>,
    pub snapshot: Arc<FleetSnapshot>,
    pub history: Arc<FleetHistory>,
    pub facts: OverrideFacts,
}

impl TriggerPass {
    /// The data time the pass is about.
    pub fn at(&self) -> DateTime<Utc> {
        self.snapshot.taken_at
    }

    pub fn run(&self) -> Vec<Suggestion> {
        let ec =
            EvalContext::new(&self.snapshot, &self.history, &self.facts).with_shared(&self.history);
        suggest(&self.runbooks, &ec)
    }
}

/// Passes are equal when they read the same data: the history, which is
/// large and has no equality of its own, by identity.
impl PartialEq for TriggerPass {
    fn eq(&self, other: &TriggerPass) -> bool {
        Arc::ptr_eq(&self.history, &other.history)
            && self.snapshot == other.snapshot
            && self.facts == other.facts
            && self.runbooks == other.runbooks
    }
}

/// Every scope of the runbook's kind for which its trigger is true. A trigger
/// that fails to evaluate for a scope does not match it.
pub fn matching(rb: &Runbook, ec: &EvalContext<'_>) -> Vec<Suggestion> {
    suggest_among(&[rb], ec)
}

/// Suggestions of every runbook, in library order.
pub fn suggest(runbooks: &[Arc<Runbook>], ec: &EvalContext<'_>) -> Vec<Suggestion> {
    let runbooks: Vec<&Runbook> = runbooks.iter().map(|rb| rb.as_ref()).collect();
    suggest_among(&runbooks, ec)
}

/// Scope by scope: the helpers are registered once for the fleet, and each
/// scope builds only the variables its kind's conditions read. A match's
/// `why` is rendered by a full evaluator (matches are few).
fn suggest_among(runbooks: &[&Runbook], ec: &EvalContext<'_>) -> Vec<Suggestion> {
    let index = FleetIndex::new(ec.snapshot);
    let ec = &ec.with_index(&index);
    let services = ec
        .snapshot
        .services
        .iter()
        .map(|s| (ScopeKind::Service, Scope::Service(s.key.clone())));
    let caches = ec
        .snapshot
        .caches
        .iter()
        .map(|c| (ScopeKind::Cache, Scope::Cache(c.id.clone())));
    let triggered = |kind: ScopeKind| {
        runbooks.iter().enumerate().filter_map(move |(i, &rb)| {
            let trigger = rb.trigger.as_ref().filter(|_| rb.scope == kind)?;
            Some((i, rb, trigger))
        })
    };
    let mut evaluators: Vec<(ScopeKind, FleetEvaluator)> = Vec::new();
    let mut found: Vec<(usize, Suggestion)> = Vec::new();
    for (kind, scope) in services.chain(caches) {
        if triggered(kind).next().is_none() {
            continue;
        }
        let at = match evaluators.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => {
                let needs = needs_of(triggered(kind).map(|(_, _, t)| &t.when));
                evaluators.push((kind, FleetEvaluator::new(ec, &scope, needs)));
                evaluators.len() - 1
            }
        };
        let eval = evaluators[at].1.scope(ec, &scope);
        let mut full = None;
        for (i, rb, trigger) in triggered(kind) {
            if eval.eval_bool(&trigger.when) == Ok(true) {
                let full = full.get_or_insert_with(|| Evaluator::new(ec, &scope));
                let suggestion = Suggestion {
                    runbook: rb.id.clone(),
                    why: full.render(&trigger.why),
                    scope: scope.clone(),
                };
                found.push((i, suggestion));
            }
        }
    }
    // Library order first, then the snapshot's order of scopes.
    found.sort_by_key(|(i, _)| *i);
    found.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::model::history::FleetHistory;
    use crate::runbook::library::Library;
    use crate::runbook::sample;

    #[test]
    fn suggests_each_runbook_for_the_scopes_where_its_trigger_holds() {
        let lib = Library::from_loaded(crate::runbook::library::shipped());
        let mut snap = sample::snapshot();
        let mut history = FleetHistory::default();
        // Three minutes at 95 % CPU and 12.4 s P95: the seed's composite alarm.
        let end = snap.taken_at;
        for i in (0..=18).rev() {
            snap.taken_at = end - Duration::seconds(i * 10);
            snap.services[0].metrics.cpu_pct = Some(95.0);
            snap.services[0].metrics.p95_ms = Some(12_400.0);
            history.record(&snap);
        }
        snap.caches[0].memory_pct = Some(96.0);
        let facts = sample::facts();
        let ec = EvalContext::new(&snap, &history, &facts);
        let got: Vec<(String, String)> = suggest(&lib.runbooks, &ec)
            .into_iter()
            .map(|s| (s.runbook, s.why))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "ecs-saturation".to_string(),
                    "CPU 95% and P95 12400 ms with 45/50 tasks".to_string()
                ),
                (
                    "cache-memory".to_string(),
                    "sample-cache at 96% memory, policy allkeys-lfu, 0 evictions/min".to_string()
                ),
                (
                    // The sample fleet's event is 13 minutes away.
                    "scheduled-prewarm".to_string(),
                    "Known event at 2026-03-20T10:00:00Z and no pre-warm scheduled".to_string()
                ),
            ]
        );
    }
}
