//! The runbook side of the cockpit, as pure state: the library and what its
//! triggers suggest (`list`), the open walk (`walk`, a `runbook::Walker`), the
//! pending confirmation (`confirm`) and the drill being scored. Keys come in
//! through `App::run`; everything that needs IO (apply, revert, audit,
//! reading the ledger) leaves as an `Effect`.

mod confirm;
mod list;
mod logs;
mod walk;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::action::baseline::Baseline;
use crate::action::confirm::Pending;
use crate::action::ledger;
use crate::drill::DrillState;
use crate::runbook::OverrideFacts;
use crate::runbook::Walker;
use crate::runbook::library::{self, Library};
use crate::runbook::model::Runbook;
use crate::runbook::trigger::Suggestion;

pub use list::{ListEntry, ListState};
pub use walk::Ctx;

/// Data time between trigger evaluations: every runbook is evaluated for every
/// service or cache, which on a large fleet is too much work for every refresh.
pub const TRIGGER_EVERY: chrono::Duration = chrono::Duration::seconds(5);

/// ... and at least this much data time per scope (service or cache): an
/// evaluation costs ~12 µs per scope (release, the shipped library), so a
/// fleet of 2,000 is evaluated every 20 s for ~25 ms, about 0.1 % of a core.
/// Counted in scopes, not measured, so the pacing is the same on every machine.
pub const TRIGGER_PER_SCOPE: chrono::Duration = chrono::Duration::milliseconds(10);

/// A fleet of up to this many scopes is evaluated in the loop (~3 ms);
/// a larger one on a blocking task, its suggestions coming back as an event.
pub const TRIGGER_INLINE_SCOPES: usize = 250;

/// The data time between two trigger evaluations of a fleet with `scopes` services and caches.
pub fn trigger_every(scopes: usize) -> chrono::Duration {
    TRIGGER_EVERY.max(TRIGGER_PER_SCOPE * i32::try_from(scopes).unwrap_or(i32::MAX))
}

/// The walk open in the cockpit.
pub struct OpenWalk {
    pub walker: Walker,
    /// Whether keys go to the runbook pane.
    pub focused: bool,
}

pub struct Runbooks {
    pub library: Library,
    pub baseline: Option<Baseline>,
    /// Ledger entries past their revert-by time, refreshed by the loop.
    pub overdue: Vec<ledger::Entry>,
    pub facts: OverrideFacts,
    pub suggestions: Vec<Suggestion>,
    /// Data time triggers were last evaluated (they cost one evaluation per scope).
    triggers_at: Option<DateTime<Utc>>,
    /// The pass running away from the loop, by its data time.
    triggers_pending: Option<DateTime<Utc>>,
    pub list: Option<ListState>,
    pub walk: Option<OpenWalk>,
    pub confirm: Option<Pending>,
    pub drill: Option<DrillState>,
    /// The open walk's `log_matches` counts.
    pub logs: logs::WalkLogs,
}

impl Runbooks {
    /// The shipped runbooks; the entry layer replaces them with `Library::load`.
    pub fn shipped() -> Runbooks {
        // Parsed once per process: every App starts from them (tests build many).
        static SHIPPED: std::sync::OnceLock<Library> = std::sync::OnceLock::new();
        Runbooks::new(
            SHIPPED
                .get_or_init(|| Library::from_loaded(library::shipped()))
                .clone(),
        )
    }

    pub fn new(library: Library) -> Runbooks {
        Runbooks {
            library,
            baseline: None,
            overdue: Vec::new(),
            facts: OverrideFacts::default(),
            suggestions: Vec::new(),
            triggers_at: None,
            triggers_pending: None,
            list: None,
            walk: None,
            confirm: None,
            drill: None,
            logs: Default::default(),
        }
    }

    /// Triggered runbooks first (one line per scope), then the drill's runbook, then the rest.
    pub fn entries(&self) -> Vec<ListEntry> {
        // A blind drill leaves the trainee to find the runbook in the triggered list.
        let drill_rb = self
            .drill
            .as_ref()
            .filter(|d| !d.blind)
            .and_then(|d| d.runbook.as_deref());
        let mut out: Vec<ListEntry> = Vec::new();
        for s in &self.suggestions {
            if let Some(rb) = self.library.get(&s.runbook) {
                out.push(ListEntry {
                    runbook: rb.clone(),
                    suggestion: Some(s.clone()),
                    drill: drill_rb == Some(rb.id.as_str()),
                });
            }
        }
        let triggered = |id: &str| self.suggestions.iter().any(|s| s.runbook == id);
        let mut rest: Vec<&Arc<Runbook>> = self
            .library
            .runbooks
            .iter()
            .filter(|rb| !triggered(&rb.id))
            .collect();
        // The drill's runbook leads the untriggered ones.
        rest.sort_by_key(|rb| drill_rb != Some(rb.id.as_str()));
        out.extend(rest.into_iter().map(|rb| ListEntry {
            runbook: rb.clone(),
            suggestion: None,
            drill: drill_rb == Some(rb.id.as_str()),
        }));
        out
    }
}
