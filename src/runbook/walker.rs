//! The one driver of a runbook `Machine`, pure: `Walker::handle(input, ctx)`
//! returns outputs as data. The cockpit turns keys into inputs and performs
//! the outputs (confirm popup, audit record, status line); the headless runner
//! answers the same outputs as an operator who agrees with the data. Neither
//! re-derives what the walk proposes: the walker holds the proposal's preview
//! and guards, checked again on every snapshot.

use chrono::{DateTime, Utc};

use super::cel::EvalContext;
use super::machine::{self, Effect, Event, Evidence, Machine, Walked};
use super::model::{NodeKind, Runbook, Scope};
use crate::action::audit::{AuditEntry, AuditRecord, Seen};
use crate::action::catalogue;
use crate::action::confirm::{Pending, Purpose};
use crate::action::guards::{self, GuardOptions, GuardResult};
use crate::action::preview::{Preview, preview};
use crate::model::request::{ActionOutcome, ActionRequest};
use crate::model::{FleetSnapshot, SourceInfo};

/// What the operator (or the headless runner) does to the walk.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// A new snapshot: re-evaluate the current node and the proposal's guards.
    Evaluate,
    /// Enter: take the evaluated answer; tick a step. Where nothing was
    /// evaluated it takes nothing: the operator chooses by number.
    Follow,
    /// Take this answer of the current check (an overrule when it differs from the evaluated one).
    Choose(String),
    /// Take the answer under the cursor, explicitly against the evaluation.
    Overrule,
    CursorDown,
    CursorUp,
    /// Tick off the current manual step.
    Tick,
    /// Undo the last navigation (applied actions stay applied).
    Back,
    /// Decline the proposed action and move on.
    Skip,
    /// Ask to apply the proposed action (`fix`: the failing guard's fix instead).
    Apply {
        fix: bool,
    },
    /// The executor's answer to a confirmed request.
    Outcome {
        purpose: Purpose,
        request: ActionRequest,
        outcome: ActionOutcome,
        /// The executor's one-line account of it.
        line: String,
    },
}

/// What the driver must do or may show after an input.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    /// The machine's own effect, for a driver that narrates the walk.
    Machine(Box<Effect>),
    /// Ask the operator to confirm this request.
    Confirm(Box<Pending>),
    /// Append this walk record to the audit log.
    Audit(Box<WalkAudit>),
    /// A line for the operator.
    Say { text: String, error: bool },
    /// Something a drill scores.
    Scored(WalkEvent),
    /// The operator ticked a step whose command they ran elsewhere: on the
    /// simulator the session plays it (`Executor::operator_ran`).
    Ran(String),
}

/// What a drill learns from a walk.
#[derive(Clone, Debug, PartialEq)]
pub enum WalkEvent {
    /// The operator answered a check as the data said.
    Answered { what: String },
    /// The operator took another branch than the data said.
    Overruled { what: String },
    /// A guard (or the executor) refused an action.
    Refused { what: String },
    /// An action was applied; `risky` as the catalogue says.
    Applied { what: String, risky: bool },
    /// A step's command the operator ran (ticked off).
    Ran { command: String },
    /// The walk reached done or escalate.
    Ended { at: DateTime<Utc> },
}

impl WalkEvent {
    /// The drill's view of an executor answer, whatever the request was for.
    pub fn from_outcome(request: &ActionRequest, outcome: &ActionOutcome) -> Option<WalkEvent> {
        let what = format!("{} {}", request.id(), request.target_name());
        match outcome {
            ActionOutcome::Applied => Some(WalkEvent::Applied {
                what,
                risky: catalogue::spec(request.id()).is_some_and(|s| s.risky),
            }),
            ActionOutcome::Refused(_) => Some(WalkEvent::Refused { what }),
            ActionOutcome::Failed(_) => None,
        }
    }
}

/// A walk record for the audit log (node entered, overruled, step ticked).
#[derive(Clone, Debug, PartialEq)]
pub struct WalkAudit {
    pub data_time: DateTime<Utc>,
    pub runbook: String,
    pub node: String,
    pub entry: AuditEntry,
}

impl WalkAudit {
    /// The audit log's record of it, by `operator` on `source`.
    pub fn record(self, operator: &str, source: Option<&SourceInfo>) -> AuditRecord {
        AuditRecord::new(
            self.data_time,
            operator,
            source,
            Some(&self.runbook),
            Some(&self.node),
            self.entry,
        )
    }
}

/// The preview and guards of the request awaiting the operator.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposalView {
    pub request: Result<ActionRequest, String>,
    pub preview: Option<Preview>,
    pub guards: Vec<GuardResult>,
}

/// What the walker reads besides the machine: the evaluation context and
/// whether an executor exists (guards say so when it does not).
pub struct WalkContext<'a> {
    pub eval: &'a EvalContext<'a>,
    pub writable: bool,
}

impl WalkContext<'_> {
    fn snapshot(&self) -> &FleetSnapshot {
        self.eval.snapshot
    }
}

pub struct Walker {
    machine: Machine,
    /// Answer under the cursor at a check.
    pub cursor: usize,
    /// Data time the current node was entered (for wait and verify progress).
    pub since: DateTime<Utc>,
    pub view: Option<ProposalView>,
    /// An apply is in flight.
    pub applying: bool,
    /// The current step's text, rendered when the step was entered.
    pub step_text: Option<String>,
    /// The command the current step asks the operator to run.
    pub step_command: Option<String>,
    /// The result line of the last apply.
    pub last_outcome: Option<(bool, String)>,
    /// Done or escalate text once the walk ended; `true` when escalated.
    pub ended: Option<(bool, String)>,
}

fn say(text: impl Into<String>) -> Output {
    Output::Say {
        text: text.into(),
        error: false,
    }
}

fn complain(text: impl Into<String>) -> Output {
    Output::Say {
        text: text.into(),
        error: true,
    }
}

impl Walker {
    /// A walk before its first input; send `Input::Evaluate` to enter the start node.
    pub fn new(runbook: std::sync::Arc<Runbook>, scope: Scope, since: DateTime<Utc>) -> Self {
        Walker {
            machine: Machine::new(runbook, scope),
            cursor: 0,
            since,
            view: None,
            applying: false,
            step_text: None,
            step_command: None,
            last_outcome: None,
            ended: None,
        }
    }

    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    pub fn runbook(&self) -> &Runbook {
        self.machine.runbook()
    }

    /// Answers of the current check, in order; `met` and `timeout` at a wait
    /// whose condition cannot be evaluated (the operator decides there too).
    pub fn answers(&self) -> Vec<String> {
        let rb = self.machine.runbook();
        match rb
            .node_index(self.machine.current())
            .map(|i| &rb.nodes[i].kind)
        {
            Some(NodeKind::Check(c)) => c.answers.iter().map(|a| a.name.clone()).collect(),
            Some(NodeKind::Wait(_)) if self.machine.stuck().is_some() => {
                vec!["met".into(), "timeout".into()]
            }
            _ => Vec::new(),
        }
    }

    pub fn handle(&mut self, input: Input, ctx: &WalkContext<'_>) -> Vec<Output> {
        match input {
            Input::Evaluate => self.step(Event::Evaluate, ctx),
            Input::Follow => self.follow(ctx),
            Input::Choose(answer) => self.step(Event::Choose(answer), ctx),
            Input::Overrule => match self.answers().get(self.cursor).cloned() {
                Some(a) => self.step(Event::Overrule(a), ctx),
                None => vec![complain("nothing to overrule here")],
            },
            Input::CursorDown => {
                let n = self.answers().len();
                self.cursor = (self.cursor + 1).min(n.saturating_sub(1));
                Vec::new()
            }
            Input::CursorUp => {
                self.cursor = self.cursor.saturating_sub(1);
                Vec::new()
            }
            // The outcome of an apply under way must find the walk where it left it.
            Input::Back | Input::Skip | Input::Tick if self.applying => {
                vec![say("applying; wait for the result")]
            }
            Input::Tick => self.step(Event::TickStep, ctx),
            Input::Back => {
                self.ended = None;
                self.step(Event::Back, ctx)
            }
            Input::Skip => {
                if self.machine.proposal().is_none() {
                    return vec![complain("no action proposed here")];
                }
                self.step(Event::ActionSkipped, ctx)
            }
            Input::Apply { fix } => self.confirm(fix, ctx),
            Input::Outcome {
                purpose,
                request,
                outcome,
                line,
            } => self.outcome(purpose, &request, outcome, line, ctx),
        }
    }

    /// Enter: take the evaluated answer; on a step, tick it. Never a
    /// default by position: with nothing evaluated, the operator chooses.
    fn follow(&mut self, ctx: &WalkContext<'_>) -> Vec<Output> {
        match self.machine.state() {
            machine::State::Answering {
                suggested: Some(a), ..
            } => {
                let a = a.clone();
                self.step(Event::Choose(a), ctx)
            }
            machine::State::Answering { stuck, .. }
            | machine::State::Waiting {
                stuck: stuck @ Some(_),
                ..
            } => vec![complain(format!(
                "the evaluation found no answer ({}): choose 1-{}",
                stuck.as_deref().unwrap_or("nothing matched"),
                self.answers().len()
            ))],
            machine::State::Stepping => self.step(Event::TickStep, ctx),
            machine::State::Proposed(_) => {
                vec![say("A applies the proposed action, S skips it")]
            }
            machine::State::Waiting { .. } | machine::State::Verifying { .. } => {
                vec![say("watching the fleet: the walk moves on by itself")]
            }
            machine::State::Finished => vec![say("the runbook is finished; C closes it")],
        }
    }

    /// `Apply`: the confirmation to open, or why not.
    fn confirm(&mut self, fix: bool, ctx: &WalkContext<'_>) -> Vec<Output> {
        let Some(view) = &self.view else {
            return vec![complain("no action proposed here")];
        };
        if !ctx.writable {
            return vec![complain("read-only session: cannot apply")];
        }
        if self.applying {
            return vec![say("already applying; wait for the result")];
        }
        let runbook = self.machine.runbook().id.clone();
        let node = self.machine.current().to_string();
        if fix {
            return match view.guards.iter().find_map(|g| g.fix.clone()) {
                Some(r) => vec![Output::Confirm(Box::new(Pending::new(
                    r,
                    Purpose::Fix { runbook, node },
                    ctx.snapshot(),
                )))],
                None => vec![complain("no failing guard offers a fix here")],
            };
        }
        let request = match &view.request {
            Ok(r) => r.clone(),
            Err(e) => return vec![complain(format!("the action cannot be built: {e}"))],
        };
        if let Some(g) = view.guards.iter().find(|g| !g.ok) {
            let offer = if g.fix.is_some() {
                "; F applies the fix"
            } else {
                ""
            };
            return vec![
                complain(format!("blocked: {}{offer}", g.message)),
                Output::Scored(WalkEvent::Refused {
                    what: format!("{}: {}", request.id(), g.message),
                }),
            ];
        }
        vec![Output::Confirm(Box::new(Pending::new(
            request,
            Purpose::Node { runbook, node },
            ctx.snapshot(),
        )))]
    }

    /// The operator confirmed: the request is on its way to the executor.
    pub fn sent(&mut self, purpose: &Purpose) {
        if let Purpose::Node { .. } = purpose {
            self.applying = true;
        }
    }

    fn outcome(
        &mut self,
        purpose: Purpose,
        request: &ActionRequest,
        outcome: ActionOutcome,
        line: String,
        ctx: &WalkContext<'_>,
    ) -> Vec<Output> {
        let mut out: Vec<Output> = WalkEvent::from_outcome(request, &outcome)
            .map(Output::Scored)
            .into_iter()
            .collect();
        if let Purpose::Node { runbook, node } = &purpose {
            self.applying = false;
            if self.machine.runbook().id == *runbook && self.machine.current() == node {
                self.last_outcome = Some((outcome.is_applied(), line));
                self.since = ctx.snapshot().taken_at;
                out.extend(self.step(Event::ActionApplied(outcome), ctx));
            }
        }
        out
    }

    /// Feed one event to the machine and take in what it says.
    fn step(&mut self, event: Event, ctx: &WalkContext<'_>) -> Vec<Output> {
        if self.ended.is_some() {
            return Vec::new();
        }
        let fx = self.machine.handle(event, ctx.eval);
        let mut out = Vec::new();
        for effect in fx {
            self.absorb(&effect, ctx, &mut out);
            out.push(Output::Machine(Box::new(effect)));
        }
        // Guards are re-checked on every input: a fix may have made them pass.
        let snap = ctx.snapshot();
        self.view = self.machine.proposal().map(|p| match &p.request {
            Ok(r) => ProposalView {
                request: Ok(r.clone()),
                preview: Some(preview(r, snap)),
                guards: guards::check(r, snap, &GuardOptions::new(ctx.writable, snap.taken_at)),
            },
            Err(e) => ProposalView {
                request: Err(e.clone()),
                preview: None,
                guards: Vec::new(),
            },
        });
        out
    }

    fn absorb(&mut self, effect: &Effect, ctx: &WalkContext<'_>, out: &mut Vec<Output>) {
        let at = ctx.snapshot().taken_at;
        match effect {
            Effect::Entered { .. } => {
                self.since = at;
                self.cursor = 0;
                self.step_text = None;
                self.step_command = None;
            }
            Effect::AwaitStep { text, command, .. } => {
                self.step_text = Some(text.clone());
                self.step_command = command.clone();
            }
            Effect::AwaitAnswer {
                answers, suggested, ..
            } => {
                self.cursor = suggested
                    .as_ref()
                    .and_then(|s| answers.iter().position(|a| a == s))
                    .unwrap_or(0);
            }
            Effect::Log(entry) => {
                if let Some(audit) = self.audit_entry(&entry.node, &entry.what, out) {
                    out.push(Output::Audit(Box::new(WalkAudit {
                        data_time: entry.at,
                        runbook: self.machine.runbook().id.clone(),
                        node: entry.node.clone(),
                        entry: audit,
                    })));
                }
            }
            Effect::Done(text) | Effect::Escalate(text) => {
                let escalated = matches!(effect, Effect::Escalate(_));
                self.ended = Some((escalated, text.clone()));
                out.push(Output::Scored(WalkEvent::Ended { at }));
            }
            Effect::Error(e) => out.push(complain(e.clone())),
            Effect::Stuck { .. }
            | Effect::ProposeAction(_)
            | Effect::AwaitConfirmation { .. }
            | Effect::Watching { .. } => {}
        }
    }

    /// The audit record of a walk log entry, and the overrule a drill scores.
    fn audit_entry(&self, node: &str, what: &Walked, out: &mut Vec<Output>) -> Option<AuditEntry> {
        let rb = self.machine.runbook();
        let label = |id: &str| {
            rb.node_index(id)
                .map(|i| rb.nodes[i].label())
                .unwrap_or_else(|| id.to_string())
        };
        let seen = |evidence: &[Evidence]| -> Vec<Seen> {
            evidence
                .iter()
                .map(|e| Seen {
                    expr: e.expr.clone(),
                    value: e.value.clone(),
                })
                .collect()
        };
        match what {
            Walked::Entered => Some(AuditEntry::NodeEntered {
                title: label(node),
                runbook_phase: rb
                    .node_index(node)
                    .map(|i| rb.nodes[i].phase.label().to_string()),
            }),
            Walked::Answered {
                answer,
                suggested,
                overruled: true,
                evidence,
            } => {
                let evaluated = suggested.clone().unwrap_or_else(|| "none".into());
                out.push(Output::Scored(WalkEvent::Overruled {
                    what: format!("{node}: {evaluated} -> {answer}"),
                }));
                Some(AuditEntry::Overruled {
                    evaluated,
                    chosen: answer.clone(),
                    evidence: seen(evidence),
                })
            }
            Walked::Answered {
                answer,
                overruled: false,
                evidence,
                ..
            } => {
                out.push(Output::Scored(WalkEvent::Answered {
                    what: format!("{node}: {answer}"),
                }));
                Some(AuditEntry::Answered {
                    answer: answer.clone(),
                    evidence: seen(evidence),
                })
            }
            Walked::Escalated(text) => Some(AuditEntry::Finished {
                escalated: true,
                text: text.clone(),
            }),
            Walked::Done(text) => Some(AuditEntry::Finished {
                escalated: false,
                text: text.clone(),
            }),
            Walked::StepDone(command) => {
                if let Some(command) = command {
                    out.push(Output::Ran(command.clone()));
                    out.push(Output::Scored(WalkEvent::Ran {
                        command: command.clone(),
                    }));
                }
                Some(AuditEntry::StepTicked {
                    step: label(node),
                    command: command.clone(),
                })
            }
            _ => None,
        }
    }
}
