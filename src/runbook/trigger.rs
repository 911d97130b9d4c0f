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
