//! Which runbooks the cockpit should suggest, and for which service or cache.

use super::expr::Evaluator;
use super::facts::{EvalContext, Scope};
use super::model::{Runbook, ScopeKind};

/// A runbook's trigger holds for one scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub runbook: String,
    pub scope: Scope,
    /// The trigger's `why` text, rendered.
    pub why: String,
}

/// Every scope of the runbook's kind for which its trigger is true. A trigger
/// that fails to evaluate for a scope does not match it.
pub fn matching(rb: &Runbook, ec: &EvalContext<'_>) -> Vec<Suggestion> {
    let Some(trigger) = &rb.trigger else {
        return Vec::new();
    };
    let scopes: Vec<Scope> = match rb.scope {
        ScopeKind::Service => ec
            .snapshot
            .services
            .iter()
            .map(|s| Scope::Service(s.key.clone()))
            .collect(),
        ScopeKind::Cache => ec
            .snapshot
            .caches
            .iter()
            .map(|c| Scope::Cache(c.id.clone()))
            .collect(),
    };
    scopes
        .into_iter()
        .filter_map(|scope| {
            let eval = Evaluator::new(ec, &scope);
            eval.eval_bool(&trigger.when)
                .ok()
                .filter(|&hit| hit)
                .map(|_| Suggestion {
                    runbook: rb.id.clone(),
                    why: eval.render(&trigger.why),
                    scope,
                })
        })
        .collect()
}

/// Suggestions of every runbook, in library order.
pub fn suggest(runbooks: &[std::sync::Arc<Runbook>], ec: &EvalContext<'_>) -> Vec<Suggestion> {
    runbooks.iter().flat_map(|rb| matching(rb, ec)).collect()
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
