//! The runbook side of the cockpit, as pure state: the library and what its
//! triggers suggest, the walk (a `runbook::Machine`) with the proposed
//! action's preview and guards, the pending confirmation, the revert picker
//! and the drill score. Keys come in through `App::run`; everything that needs
//! IO (apply, revert, audit, reading the ledger) leaves as an `Effect`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::app::{App, Effect, Message};
use super::command::Command;
use crate::action::audit::AuditEntry;
use crate::action::baseline::Baseline;
use crate::action::catalogue;
use crate::action::confirm::{ConfirmInput, ConfirmStep, Confirmation};
use crate::action::executor::Outcome;
use crate::action::guards::{self, GuardOptions, GuardResult};
use crate::action::ledger;
use crate::action::preview::{Preview, preview};
use crate::action::request::ActionRequest;
use crate::drill::score::Scorer;
use crate::model::FleetSnapshot;
use crate::runbook::library::{self, Library};
use crate::runbook::machine::{self, ActionOutcome, Walked};
use crate::runbook::model::{Runbook, ScopeKind};
use crate::runbook::trigger::{self, Suggestion};
use crate::runbook::{EvalContext, Machine, OverrideFacts, Scope};

/// What a confirmed request is for; the loop passes it back with the outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The action proposed at a runbook node.
    Node { runbook: String, node: String },
    /// The fix a failing guard offered at a runbook node.
    Fix { runbook: String, node: String },
    /// The recorded revert of a ledger entry.
    Revert { entry_id: String },
}

impl Purpose {
    /// Runbook and node for the audit record, if the request comes from a walk.
    pub fn runbook_node(&self) -> Option<(&str, &str)> {
        match self {
            Purpose::Node { runbook, node } | Purpose::Fix { runbook, node } => {
                Some((runbook, node))
            }
            Purpose::Revert { .. } => None,
        }
    }
}

/// The executor's answer to an `Effect::Apply`, with what it was for.
#[derive(Debug)]
pub struct ActionResult {
    pub purpose: Purpose,
    pub request: ActionRequest,
    pub outcome: Outcome,
}

/// Data time between trigger evaluations: every runbook is evaluated for every
/// service or cache, which on a large fleet is too much work for every refresh.
pub const TRIGGER_EVERY: chrono::Duration = chrono::Duration::seconds(5);

/// A walk record for the audit log (node entered, overruled, step ticked).
#[derive(Clone, Debug, PartialEq)]
pub struct WalkAudit {
    pub data_time: DateTime<Utc>,
    pub runbook: String,
    pub node: String,
    pub entry: AuditEntry,
}

/// One active ledger entry offered for revert.
#[derive(Clone, Debug, PartialEq)]
pub struct RevertChoice {
    pub entry_id: String,
    /// What was applied and what the revert does.
    pub label: String,
    pub request: Result<ActionRequest, String>,
}

/// The preview and guards of the request awaiting the operator.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposalView {
    pub request: Result<ActionRequest, String>,
    pub preview: Option<Preview>,
    pub guards: Vec<GuardResult>,
}

pub struct Walk {
    pub machine: Machine,
    /// Answer under the cursor at a check.
    pub cursor: usize,
    /// Data time the current node was entered (for wait and verify progress).
    pub since: DateTime<Utc>,
    pub view: Option<ProposalView>,
    /// An apply is in flight.
    pub applying: bool,
    /// Whether keys go to the runbook pane.
    pub focused: bool,
    /// The current step's text, rendered when the step was entered.
    pub step_text: Option<String>,
    /// The result line of the last apply.
    pub last_outcome: Option<(bool, String)>,
    /// Done or escalate text once the walk ended; `true` when escalated.
    pub ended: Option<(bool, String)>,
}

/// A confirmation popup: the prompt, and what to show above it.
pub struct Pending {
    pub confirmation: Confirmation,
    pub purpose: Purpose,
    pub preview: Preview,
}

/// One selectable line of the runbook list.
#[derive(Clone, Debug)]
pub struct ListEntry {
    pub runbook: Arc<Runbook>,
    /// The scope the trigger fired for; `None` for an untriggered runbook.
    pub suggestion: Option<Suggestion>,
    /// The runbook the running drill is about.
    pub drill: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListState {
    pub selected: usize,
    /// Set while the list shows active overrides to revert instead of runbooks.
    pub reverts: Option<Vec<RevertChoice>>,
}

/// A drill in progress: the score fed from every snapshot and outcome.
pub struct DrillState {
    pub scenario: String,
    pub runbook: Option<String>,
    pub scorer: Scorer,
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
    pub list: Option<ListState>,
    pub walk: Option<Walk>,
    pub confirm: Option<Pending>,
    pub drill: Option<DrillState>,
}

impl Runbooks {
    /// The shipped runbooks; `run_cockpit` replaces them with `Library::load`.
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
            list: None,
            walk: None,
            confirm: None,
            drill: None,
        }
    }

    /// Triggered runbooks first (one line per scope), then the drill's runbook, then the rest.
    pub fn entries(&self) -> Vec<ListEntry> {
        let drill_rb = self.drill.as_ref().and_then(|d| d.runbook.as_deref());
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

fn info(text: impl Into<String>) -> Option<Message> {
    Some(Message {
        text: text.into(),
        error: false,
    })
}

fn error(text: impl Into<String>) -> Option<Message> {
    Some(Message {
        text: text.into(),
        error: true,
    })
}

impl App {
    /// Re-evaluate triggers and the walk against the snapshot just recorded.
    pub(super) fn runbooks_on_snapshot(&mut self) -> Vec<Effect> {
        let Some(snap) = self.snapshot.clone() else {
            return Vec::new();
        };
        let rb = &mut self.runbooks;
        rb.facts = OverrideFacts::gather(rb.baseline.as_ref(), &rb.overdue, &snap);
        let due = rb
            .triggers_at
            .is_none_or(|at| snap.taken_at - at >= TRIGGER_EVERY || snap.taken_at < at);
        if due {
            let ec = EvalContext::new(&snap, &self.history, &rb.facts);
            rb.suggestions = trigger::suggest(&rb.library.runbooks, &ec);
            rb.triggers_at = Some(snap.taken_at);
        }
        if let Some(d) = &mut rb.drill {
            d.scorer.observe(&snap);
        }
        self.step(machine::Event::Evaluate)
    }

    /// Feed one event to the walk's machine and take in what it says.
    fn step(&mut self, event: machine::Event) -> Vec<Effect> {
        let Some(snap) = self.snapshot.clone() else {
            return Vec::new();
        };
        let Some(walk) = self.runbooks.walk.as_mut() else {
            return Vec::new();
        };
        if walk.ended.is_some() {
            return Vec::new();
        }
        let ec = EvalContext::new(&snap, &self.history, &self.runbooks.facts);
        let fx = walk.machine.handle(event, &ec);
        self.absorb(fx, &snap)
    }

    fn absorb(&mut self, fx: Vec<machine::Effect>, snap: &FleetSnapshot) -> Vec<Effect> {
        let mut out = Vec::new();
        let writable = self.writable;
        let Some(walk) = self.runbooks.walk.as_mut() else {
            return out;
        };
        let runbook = walk.machine.runbook().id.clone();
        for effect in fx {
            match effect {
                machine::Effect::Entered { .. } => {
                    walk.since = snap.taken_at;
                    walk.cursor = 0;
                    walk.step_text = None;
                }
                machine::Effect::AwaitStep { text, .. } => walk.step_text = Some(text),
                machine::Effect::AwaitAnswer {
                    answers, suggested, ..
                } => {
                    walk.cursor = suggested
                        .and_then(|s| answers.iter().position(|a| *a == s))
                        .unwrap_or(0);
                }
                machine::Effect::Log(entry) => {
                    let label = |id: &str| {
                        walk.machine
                            .runbook()
                            .node_index(id)
                            .map(|i| walk.machine.runbook().nodes[i].label())
                            .unwrap_or_else(|| id.to_string())
                    };
                    let audit = match &entry.what {
                        Walked::Entered => Some(AuditEntry::NodeEntered {
                            title: label(&entry.node),
                        }),
                        Walked::Answered {
                            answer,
                            suggested,
                            overruled: true,
                            ..
                        } => {
                            let evaluated = suggested.clone().unwrap_or_else(|| "none".into());
                            if let Some(d) = &mut self.runbooks.drill {
                                d.scorer.note_overrule(format!(
                                    "{}: {evaluated} -> {answer}",
                                    entry.node
                                ));
                            }
                            Some(AuditEntry::Overruled {
                                evaluated,
                                chosen: answer.clone(),
                            })
                        }
                        Walked::StepDone => Some(AuditEntry::StepTicked {
                            step: label(&entry.node),
                        }),
                        _ => None,
                    };
                    if let Some(entry_) = audit {
                        out.push(Effect::Audit(Box::new(WalkAudit {
                            data_time: entry.at,
                            runbook: runbook.clone(),
                            node: entry.node.clone(),
                            entry: entry_,
                        })));
                    }
                }
                machine::Effect::Done(text) | machine::Effect::Escalate(text) => {
                    let escalated = walk
                        .machine
                        .history()
                        .last()
                        .is_some_and(|e| matches!(e.what, Walked::Escalated(_)));
                    walk.ended = Some((escalated, text));
                    if let Some(d) = &mut self.runbooks.drill {
                        d.scorer.note_runbook_done(snap.taken_at);
                        out.push(Effect::Quit);
                    }
                }
                machine::Effect::Error(e) => self.message = error(e),
                machine::Effect::ProposeAction(_)
                | machine::Effect::AwaitConfirmation { .. }
                | machine::Effect::Watching { .. } => {}
            }
        }
        // Guards are re-checked on every snapshot: a fix may have made them pass.
        walk.view = walk.machine.proposal().map(|p| {
            let opts = GuardOptions::new(writable, snap.taken_at);
            match &p.request {
                Ok(r) => ProposalView {
                    request: Ok(r.clone()),
                    preview: Some(preview(r, snap)),
                    guards: guards::check(r, snap, &opts),
                },
                Err(e) => ProposalView {
                    request: Err(e.clone()),
                    preview: None,
                    guards: Vec::new(),
                },
            }
        });
        out
    }

    /// `r`: back to the open walk, or the list of runbooks.
    pub(super) fn open_runbooks(&mut self) {
        match &mut self.runbooks.walk {
            Some(w) if !w.focused && w.ended.is_none() => w.focused = true,
            _ => self.runbooks.list = Some(ListState::default()),
        }
    }

    /// `R`: ask the loop for the ledger's active entries.
    pub(super) fn ask_reverts(&mut self) -> Vec<Effect> {
        if !self.writable {
            self.message = error("read-only session: cannot revert");
            return Vec::new();
        }
        vec![Effect::ListReverts]
    }

    /// The loop's answer to `Effect::ListReverts`.
    pub fn set_reverts(&mut self, reverts: Result<Vec<RevertChoice>, String>) {
        match reverts {
            Ok(list) if list.is_empty() => self.message = info("no active overrides in the ledger"),
            Ok(list) => {
                self.runbooks.list = Some(ListState {
                    selected: 0,
                    reverts: Some(list),
                })
            }
            Err(e) => self.message = error(e),
        }
    }

    pub(super) fn run_runbooks_list(&mut self, cmd: Command) -> Vec<Effect> {
        let len = match self.runbooks.list.as_ref().map(|l| &l.reverts) {
            None => return Vec::new(),
            Some(Some(r)) => r.len(),
            Some(None) => self.runbooks.entries().len(),
        };
        let Some(list) = &mut self.runbooks.list else {
            return Vec::new();
        };
        match cmd {
            Command::Close => self.runbooks.list = None,
            Command::Down => list.selected = (list.selected + 1).min(len.saturating_sub(1)),
            Command::Up => list.selected = list.selected.saturating_sub(1),
            Command::Quit => return vec![Effect::Quit],
            Command::Reverts => return self.ask_reverts(),
            Command::Accept => {
                let selected = list.selected;
                return match list.reverts.take() {
                    Some(reverts) => {
                        self.runbooks.list = None;
                        self.confirm_revert(reverts.into_iter().nth(selected));
                        Vec::new()
                    }
                    None => {
                        let entry = self.runbooks.entries().into_iter().nth(selected);
                        self.runbooks.list = None;
                        self.open_walk(entry)
                    }
                };
            }
            _ => {}
        }
        Vec::new()
    }

    fn confirm_revert(&mut self, choice: Option<RevertChoice>) {
        let Some(choice) = choice else { return };
        let (request, snap) = match (choice.request, &self.snapshot) {
            (Ok(r), Some(s)) => (r, s.clone()),
            (Err(e), _) => {
                self.message = error(format!("{}: cannot revert here: {e}", choice.entry_id));
                return;
            }
            (_, None) => return,
        };
        self.runbooks.confirm = Some(Pending {
            preview: preview(&request, &snap),
            confirmation: Confirmation::new(request),
            purpose: Purpose::Revert {
                entry_id: choice.entry_id,
            },
        });
    }

    fn open_walk(&mut self, entry: Option<ListEntry>) -> Vec<Effect> {
        let Some(entry) = entry else {
            return Vec::new();
        };
        let scope = match (&entry.suggestion, entry.runbook.scope) {
            (Some(s), _) => Some(s.scope.clone()),
            (None, ScopeKind::Service) => self.selected.clone().map(Scope::Service),
            (None, ScopeKind::Cache) => self
                .snapshot
                .as_ref()
                .and_then(|s| s.caches.first())
                .map(|c| Scope::Cache(c.id.clone())),
        };
        let Some(scope) = scope else {
            self.message = error(format!(
                "{}: no {} to walk it for",
                entry.runbook.id,
                entry.runbook.scope.label()
            ));
            return Vec::new();
        };
        if let Some(w) = &mut self.runbooks.walk
            && w.machine.runbook().id == entry.runbook.id
            && w.machine.scope() == &scope
            && w.ended.is_none()
        {
            w.focused = true;
            return Vec::new();
        }
        let since = self.snapshot.as_ref().map_or(self.now, |s| s.taken_at);
        self.runbooks.walk = Some(Walk {
            machine: Machine::new(entry.runbook.clone(), scope),
            cursor: 0,
            since,
            view: None,
            applying: false,
            focused: true,
            step_text: None,
            last_outcome: None,
            ended: None,
        });
        self.step(machine::Event::Evaluate)
    }

    pub(super) fn run_runbook(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(walk) = &mut self.runbooks.walk else {
            return Vec::new();
        };
        match cmd {
            Command::Quit => vec![Effect::Quit],
            Command::Close => {
                walk.focused = false;
                Vec::new()
            }
            Command::CloseRunbook => {
                self.runbooks.walk = None;
                Vec::new()
            }
            Command::Runbooks => {
                self.runbooks.list = Some(ListState::default());
                Vec::new()
            }
            Command::Reverts => self.ask_reverts(),
            Command::Help | Command::Palette => self.run_cockpit(cmd),
            Command::Down | Command::Up => {
                let n = self.answers().len();
                let walk = self.runbooks.walk.as_mut().expect("checked above");
                walk.cursor = match cmd {
                    Command::Down => (walk.cursor + 1).min(n.saturating_sub(1)),
                    _ => walk.cursor.saturating_sub(1),
                };
                Vec::new()
            }
            Command::Follow => self.follow(),
            Command::Answer(n) => match self.answers().get(n - 1).cloned() {
                Some(a) => self.step(machine::Event::Choose(a)),
                None => {
                    self.message = error(format!("no answer {n} here"));
                    Vec::new()
                }
            },
            Command::Overrule => {
                let cursor = walk.cursor;
                match self.answers().get(cursor).cloned() {
                    Some(a) => self.step(machine::Event::Overrule(a)),
                    None => {
                        self.message = error("nothing to overrule here");
                        Vec::new()
                    }
                }
            }
            // The outcome of an apply under way must find the walk where it left it.
            Command::Back | Command::Skip | Command::Tick if walk.applying => {
                self.message = info("applying; wait for the result");
                Vec::new()
            }
            Command::Tick => self.step(machine::Event::TickStep),
            Command::Back => {
                walk.ended = None;
                self.step(machine::Event::Back)
            }
            Command::Skip => {
                if walk.machine.proposal().is_none() {
                    self.message = error("no action proposed here");
                    return Vec::new();
                }
                self.step(machine::Event::ActionSkipped)
            }
            Command::Apply => {
                self.propose_confirm(false);
                Vec::new()
            }
            Command::ApplyFix => {
                self.propose_confirm(true);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Answers of the current check, in order.
    pub fn answers(&self) -> Vec<String> {
        let Some(walk) = &self.runbooks.walk else {
            return Vec::new();
        };
        let rb = walk.machine.runbook();
        match rb
            .node_index(walk.machine.current())
            .map(|i| &rb.nodes[i].kind)
        {
            Some(crate::runbook::model::NodeKind::Check(c)) => {
                c.answers.iter().map(|a| a.name.clone()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Enter: take the evaluated answer; on a step, tick it.
    fn follow(&mut self) -> Vec<Effect> {
        let Some(walk) = &self.runbooks.walk else {
            return Vec::new();
        };
        match walk.machine.state() {
            machine::State::Answering { suggested, .. } => {
                let answer = suggested
                    .clone()
                    .or_else(|| self.answers().get(walk.cursor).cloned());
                match answer {
                    Some(a) => self.step(machine::Event::Choose(a)),
                    None => Vec::new(),
                }
            }
            machine::State::Stepping => self.step(machine::Event::TickStep),
            machine::State::Proposed(_) => {
                self.message = info("A applies the proposed action, S skips it");
                Vec::new()
            }
            machine::State::Waiting { .. } | machine::State::Verifying { .. } => {
                self.message = info("watching the fleet: the walk moves on by itself");
                Vec::new()
            }
            machine::State::Finished => {
                self.message = info("the runbook is finished; C closes it");
                Vec::new()
            }
        }
    }

    /// `A` (or `F` for a guard's fix): open the confirmation, or say why not.
    fn propose_confirm(&mut self, fix: bool) {
        let writable = self.writable;
        let Some(snap) = self.snapshot.clone() else {
            return;
        };
        let Some(walk) = &self.runbooks.walk else {
            return;
        };
        let Some(view) = &walk.view else {
            self.message = error("no action proposed here");
            return;
        };
        if !writable {
            self.message = error("read-only session: cannot apply");
            return;
        }
        if walk.applying {
            self.message = info("already applying; wait for the result");
            return;
        }
        let runbook = walk.machine.runbook().id.clone();
        let node = walk.machine.current().to_string();
        let request = if fix {
            match view.guards.iter().find_map(|g| g.fix.clone()) {
                Some(r) => r,
                None => {
                    self.message = error("no failing guard offers a fix here");
                    return;
                }
            }
        } else {
            let request = match &view.request {
                Ok(r) => r.clone(),
                Err(e) => {
                    self.message = error(format!("the action cannot be built: {e}"));
                    return;
                }
            };
            if let Some(g) = view.guards.iter().find(|g| !g.ok) {
                let offer = if g.fix.is_some() {
                    "; F applies the fix"
                } else {
                    ""
                };
                self.message = error(format!("blocked: {}{offer}", g.message));
                if let Some(d) = &mut self.runbooks.drill {
                    d.scorer
                        .note_refusal(format!("{}: {}", request.id(), g.message));
                }
                return;
            }
            request
        };
        let purpose = if fix {
            Purpose::Fix { runbook, node }
        } else {
            Purpose::Node { runbook, node }
        };
        self.runbooks.confirm = Some(Pending {
            preview: preview(&request, &snap),
            confirmation: Confirmation::new(request),
            purpose,
        });
    }

    pub(super) fn run_confirm(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Close => self.confirm_input(ConfirmInput::Cancel),
            Command::Accept => self.confirm_input(ConfirmInput::Enter),
            Command::Backspace => self.confirm_input(ConfirmInput::Backspace),
            _ => Vec::new(),
        }
    }

    pub(super) fn confirm_input(&mut self, input: ConfirmInput) -> Vec<Effect> {
        let Some(pending) = self.runbooks.confirm.take() else {
            return Vec::new();
        };
        match pending.confirmation.handle(input) {
            ConfirmStep::Pending(c) => {
                self.runbooks.confirm = Some(Pending {
                    confirmation: c,
                    ..pending
                });
                Vec::new()
            }
            ConfirmStep::Cancelled => {
                self.message = info("cancelled: nothing was sent");
                Vec::new()
            }
            ConfirmStep::Confirmed(action) => {
                if let (Purpose::Node { .. }, Some(w)) = (&pending.purpose, &mut self.runbooks.walk)
                {
                    w.applying = true;
                }
                self.message = info(format!("applying {}…", action.request().id()));
                vec![Effect::Apply {
                    action: Box::new(action),
                    purpose: pending.purpose,
                }]
            }
        }
    }

    /// The loop's answer to `Effect::Apply`.
    pub(super) fn on_outcome(&mut self, result: ActionResult) -> Vec<Effect> {
        let ActionResult {
            purpose,
            request,
            outcome,
        } = result;
        let applied = outcome.is_applied();
        let line = outcome.to_string();
        self.message = Some(Message {
            text: line.clone(),
            error: !applied,
        });
        if let Some(d) = &mut self.runbooks.drill {
            let what = format!("{} {}", request.id(), request.target_name());
            match &outcome {
                Outcome::Applied { .. } => {
                    let risky = catalogue::spec(request.id()).is_some_and(|s| s.risky);
                    d.scorer.note_action(what, risky);
                }
                Outcome::Refused { .. } => d.scorer.note_refusal(what),
                Outcome::Failed { .. } | Outcome::NotSent { .. } => {}
            }
        }
        let Some(walk) = &mut self.runbooks.walk else {
            return Vec::new();
        };
        if let Purpose::Node { .. } = &purpose {
            walk.applying = false;
        }
        if let Purpose::Node { runbook, node } = &purpose
            && walk.machine.runbook().id == *runbook
            && walk.machine.current() == node
        {
            walk.last_outcome = Some((applied, line));
            walk.since = self.snapshot.as_ref().map_or(self.now, |s| s.taken_at);
            return self.step(machine::Event::ActionApplied(ActionOutcome::from(&outcome)));
        }
        Vec::new()
    }
}
