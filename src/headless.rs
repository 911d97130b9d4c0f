//! `sitrep runbook run`: walk a runbook without a screen, on a fleet whose
//! clock the runner moves (the simulator). The runner waits for the trigger
//! to pick a scope, then answers the walker as an operator who agrees with
//! the data: it takes the evaluated branches, ticks off manual steps, and
//! (with `--auto`) confirms each proposed action and applies it through the
//! executor. It drives the same `runbook::Walker` as the cockpit. Where the
//! data decides nothing (no answer matches, an expression fails, an action
//! cannot be built) it stops: `Ending::Stuck`, never a default branch.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::action::baseline::Baseline;
use crate::action::confirm::{ConfirmedAction, Pending};
use crate::action::executor::{ApplyContext, Executor, Outcome};
use crate::model::evidence::{LogMatches, LogQuery};
use crate::model::history::FleetHistory;
use crate::model::request::{ActionOutcome, ActionRequest};
use crate::model::{FleetSnapshot, ServiceKey};
use crate::runbook::machine::{Effect, Proposal, RevertPlan};
use crate::runbook::model::{Runbook, Scope};
use crate::runbook::{EvalContext, Input, Output, OverrideFacts, WalkContext, Walker, trigger};
use crate::source::SteppedFleet;

/// Simulated seconds between snapshots.
pub const TICK_S: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Take the evaluated branches; stop at the first proposed action.
    Walk,
    /// Apply every proposed action.
    Auto,
    /// Show every proposed action, apply none, keep walking.
    DryRun,
}

pub struct RunOptions {
    pub runbook: Arc<Runbook>,
    /// The fleet the walk reads; the executor's writer changes the same fleet.
    pub fleet: Arc<Mutex<dyn SteppedFleet>>,
    /// Applies `--auto`'s actions; its audit log and ledger are the run's own.
    /// `None` for a read-only run: no writer exists, and nothing is applied.
    pub executor: Option<Executor>,
    pub mode: Mode,
    pub minutes: u32,
    /// The declared baseline for `drift_from_baseline()`.
    pub baseline: Option<Baseline>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    Done(String),
    Escalated(String),
    /// `Walk` mode reached an action that needs confirmation.
    AwaitingConfirmation(String),
    /// The trigger never held within the time given.
    NeverTriggered,
    /// Time ran out mid-walk.
    OutOfTime,
    /// The walk could not decide by itself at `node`; an operator must.
    Stuck {
        node: String,
        why: String,
    },
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Done(text) => write!(f, "done: {text}"),
            Ending::Escalated(text) => write!(f, "escalated: {text}"),
            Ending::AwaitingConfirmation(node) => write!(
                f,
                "stopped at `{node}`: rerun with --auto to apply, or --dry-run to walk past it"
            ),
            Ending::NeverTriggered => f.write_str("the trigger never held"),
            Ending::OutOfTime => f.write_str("out of time"),
            Ending::Stuck { node, why } => write!(f, "stuck at {node}: {why}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RunReport {
    pub scope: Option<Scope>,
    pub ending: Ending,
    /// Simulated minutes from the scenario's start to the trigger and to the end.
    pub triggered_at_min: Option<f64>,
    pub ended_at_min: f64,
    pub applied: Vec<ActionRequest>,
    /// Commands of ticked steps, in order (the operator runs them).
    pub ran: Vec<String>,
    pub path: Vec<String>,
    pub overrules: usize,
    pub last: FleetSnapshot,
}

struct Runner<'o> {
    fleet: Arc<Mutex<dyn SteppedFleet>>,
    start: DateTime<Utc>,
    history: FleetHistory,
    executor: Option<Executor>,
    baseline: Option<Baseline>,
    mode: Mode,
    out: &'o mut dyn FnMut(String),
    applied: Vec<ActionRequest>,
    ran: Vec<String>,
    /// The walk's service and what its runbook's `log_matches` calls count,
    /// counted again with each snapshot.
    logs_of: Option<(ServiceKey, Vec<LogQuery>)>,
    logs: Option<LogMatches>,
}

impl Runner<'_> {
    fn snapshot(&mut self, advance_s: u32) -> FleetSnapshot {
        let mut fleet = self.fleet.lock().unwrap_or_else(|p| p.into_inner());
        fleet.advance(advance_s);
        let snap = fleet.snapshot();
        drop(fleet);
        self.count_logs();
        self.history.record(&snap);
        snap
    }

    /// Count what the walk's `log_matches` calls read, now.
    fn count_logs(&mut self) {
        let Some((service, queries)) = &self.logs_of else {
            return;
        };
        let counted = {
            let fleet = self.fleet.lock().unwrap_or_else(|p| p.into_inner());
            fleet.log_matches(service, queries)
        };
        match counted {
            Ok(c) => self.logs = Some(c),
            Err(e) => {
                // `log_matches` then says the lines are not counted; this says why.
                (self.out)(format!("  note: cannot count the log lines: {e}"));
                self.logs = None;
            }
        }
    }

    fn facts(&self, snap: &FleetSnapshot) -> OverrideFacts {
        let overdue = self
            .executor
            .as_ref()
            .and_then(|ex| ex.ledger().overdue(snap.taken_at).ok())
            .unwrap_or_default();
        OverrideFacts::gather(self.baseline.as_ref(), &overdue, snap)
    }

    fn minutes(&self, at: DateTime<Utc>) -> f64 {
        (at - self.start).num_seconds() as f64 / 60.0
    }

    fn say(&mut self, at: DateTime<Utc>, text: String) {
        let m = (at - self.start).num_seconds();
        (self.out)(format!("t+{:02}:{:02} {text}", m / 60, m % 60));
    }

    /// One input to the walker, and the operator's reply to what it answers.
    async fn handle(
        &mut self,
        walker: &mut Walker,
        input: Input,
        snap: &FleetSnapshot,
    ) -> Result<Option<Input>, Ending> {
        // Headless, nobody retries: an action refused or failed is passed by.
        let pass_by = match &input {
            Input::Apply { .. } => true,
            Input::Outcome { outcome, .. } => !outcome.is_applied(),
            _ => false,
        };
        let facts = self.facts(snap);
        let outputs = {
            let ec = EvalContext::new(snap, &self.history, &facts).with_logs(self.logs.as_ref());
            let ctx = WalkContext {
                eval: &ec,
                writable: self.executor.is_some(),
            };
            walker.handle(input, &ctx)
        };
        let at = snap.taken_at;
        let mut reply = None;
        for output in outputs {
            match output {
                Output::Machine(effect) => {
                    if let Some(r) = self.narrate(&effect, snap)? {
                        reply = Some(r);
                    }
                }
                Output::Confirm(pending) => reply = Some(self.apply(walker, *pending, snap).await),
                Output::Say { text, error } => {
                    let what = if error { "error" } else { "note" };
                    self.say(at, format!("  {what}: {text}"));
                }
                // A run with an executor keeps its walk in its own audit log,
                // as the cockpit does: the timeline's checks and their evidence.
                Output::Audit(walk) => {
                    if let Some(ex) = &self.executor {
                        let record = walk.record(ex.operator(), Some(&snap.source));
                        if let Err(e) = ex.audit().append(&record) {
                            self.say(at, format!("  error: audit log: {e}"));
                        }
                    }
                }
                Output::Scored(_) => {}
                Output::Ran(command) => {
                    let played = self
                        .executor
                        .as_ref()
                        .and_then(|ex| ex.operator_ran(&command));
                    self.say(at, format!("  ran: {command}"));
                    if let Some(line) = played {
                        self.say(at, format!("    {line}"));
                    }
                    self.ran.push(command);
                }
            }
        }
        if pass_by && reply.is_none() && walker.machine().proposal().is_some() {
            return Ok(Some(Input::Skip));
        }
        Ok(reply)
    }

    /// Print one machine effect; the reply an agreeing operator gives to it.
    fn narrate(&mut self, effect: &Effect, snap: &FleetSnapshot) -> Result<Option<Input>, Ending> {
        let at = snap.taken_at;
        match effect {
            Effect::Entered { node, phase } => {
                self.say(at, format!("[{}] {node}", phase.label()));
            }
            Effect::AwaitAnswer {
                question,
                answers,
                suggested,
                evidence,
                ..
            } => {
                let shown: Vec<String> = evidence
                    .iter()
                    .map(|e| format!("{} = {}", e.expr, e.value))
                    .collect();
                // Only the evaluated answer: with none, `Stuck` follows and ends the walk.
                let answer = suggested.clone();
                self.say(
                    at,
                    format!(
                        "  ? {question} -> {}{}",
                        answer.as_deref().map_or_else(
                            || format!("? (one of {})", answers.join(", ")),
                            str::to_string
                        ),
                        if shown.is_empty() {
                            String::new()
                        } else {
                            format!("  [{}]", shown.join(", "))
                        }
                    ),
                );
                return Ok(answer.map(Input::Choose));
            }
            Effect::AwaitStep { text, .. } => {
                self.say(at, format!("  step: {text} (ticked)"));
                return Ok(Some(Input::Tick));
            }
            Effect::ProposeAction(p) => return self.propose(p, snap).map(Some),
            Effect::Watching { until, .. } => {
                let left = (*until - at).num_seconds();
                self.say(
                    at,
                    format!("  watching for up to {}m{:02}s", left / 60, left % 60),
                );
            }
            Effect::Stuck { node, why } => {
                return Err(Ending::Stuck {
                    node: node.clone(),
                    why: why.clone(),
                });
            }
            Effect::Escalate(text) => return Err(Ending::Escalated(text.clone())),
            Effect::Done(text) => return Err(Ending::Done(text.clone())),
            Effect::Error(_) | Effect::AwaitConfirmation { .. } | Effect::Log(_) => {}
        }
        Ok(None)
    }

    /// Show the proposed action and its revert; apply, skip or stop by mode.
    fn propose(&mut self, p: &Proposal, snap: &FleetSnapshot) -> Result<Input, Ending> {
        let at = snap.taken_at;
        let request = match &p.request {
            Ok(r) => r,
            Err(e) => {
                return Err(Ending::Stuck {
                    node: p.node.clone(),
                    why: format!("action {} cannot be built: {e}", p.action),
                });
            }
        };
        let call = request.api_call();
        self.say(at, format!("  action: {} {}", call.operation, call.body));
        let preview = crate::action::preview::preview(request, snap);
        if let Some(cost) = &preview.cost {
            self.say(at, format!("  cost: {}", preview.cost_line(cost)));
        }
        let revert = match &p.revert {
            RevertPlan::None => "none".to_string(),
            RevertPlan::Auto => match &p.recorded {
                Some(r) => format!("{} (recorded by the executor)", r.describe()),
                None => "nothing to revert (recorded by the executor)".to_string(),
            },
            RevertPlan::Request(Ok(r)) => crate::action::revert::describe_request(r),
            RevertPlan::Request(Err(e)) => format!("cannot be built: {e}"),
        };
        self.say(at, format!("  revert: {revert}"));
        match self.mode {
            Mode::Walk => Err(Ending::AwaitingConfirmation(p.node.clone())),
            Mode::DryRun => {
                self.say(at, "  dry run: not applied".into());
                Ok(Input::Skip)
            }
            Mode::Auto => Ok(Input::Apply { fix: false }),
        }
    }

    /// `--auto` confirms for the operator; the executor applies.
    async fn apply(
        &mut self,
        walker: &mut Walker,
        pending: Pending,
        snap: &FleetSnapshot,
    ) -> Input {
        let request = pending.confirmation.request().clone();
        walker.sent(&pending.purpose);
        let mut ctx = ApplyContext::new(snap);
        if let Some((rb, node)) = pending.purpose.runbook_node() {
            ctx = ctx.in_runbook(rb, node);
        }
        if let Some(b) = &self.baseline {
            ctx = ctx.with_baseline(b);
        }
        let outcome = match &self.executor {
            Some(ex) => {
                ex.apply(ConfirmedAction::approved_by_auto_flag(request.clone()), ctx)
                    .await
            }
            None => Outcome::NotSent {
                reason: "read-only run: no writer exists".into(),
            },
        };
        self.say(snap.taken_at, format!("  {outcome}"));
        let line = outcome.to_string();
        let outcome = ActionOutcome::from(&outcome);
        if outcome.is_applied() {
            self.applied.push(request.clone());
        }
        Input::Outcome {
            purpose: pending.purpose,
            request,
            outcome,
            line,
        }
    }
}

/// Run the walk; `out` receives one line per thing that happened.
pub async fn run(opts: RunOptions, out: &mut dyn FnMut(String)) -> RunReport {
    let mut runner = Runner {
        fleet: opts.fleet,
        start: DateTime::<Utc>::MIN_UTC,
        history: FleetHistory::default(),
        executor: opts.executor,
        baseline: opts.baseline,
        mode: opts.mode,
        out,
        applied: Vec::new(),
        ran: Vec::new(),
        logs_of: None,
        logs: None,
    };
    let rb = opts.runbook;

    // Wait for the trigger to name the scope.
    let mut snap = runner.snapshot(0);
    runner.start = snap.taken_at;
    let end = runner.start + chrono::Duration::minutes(i64::from(opts.minutes));
    let scope = loop {
        let facts = runner.facts(&snap);
        let ec = EvalContext::new(&snap, &runner.history, &facts);
        let hit = if rb.trigger.is_some() {
            trigger::matching(&rb, &ec).into_iter().next()
        } else {
            None
        };
        if let Some(s) = hit {
            runner.say(snap.taken_at, format!("trigger: {} on {}", s.why, s.scope));
            break Some(s.scope);
        }
        if rb.trigger.is_none() || snap.taken_at >= end {
            break None;
        }
        snap = runner.snapshot(TICK_S);
    };
    let Some(scope) = scope else {
        return RunReport {
            scope: None,
            ending: Ending::NeverTriggered,
            triggered_at_min: None,
            ended_at_min: runner.minutes(snap.taken_at),
            applied: Vec::new(),
            ran: Vec::new(),
            path: Vec::new(),
            overrules: 0,
            last: snap,
        };
    };
    let triggered_at_min = Some(runner.minutes(snap.taken_at));
    if let Scope::Service(service) = &scope
        && !rb.log_queries.is_empty()
    {
        runner.logs_of = Some((service.clone(), rb.log_queries.clone()));
        runner.count_logs();
    }

    let mut walker = Walker::new(rb.clone(), scope.clone(), snap.taken_at);
    let mut input = Input::Evaluate;
    let ending = loop {
        match runner.handle(&mut walker, input, &snap).await {
            Err(ending) => break ending,
            Ok(Some(reply)) => {
                // An applied action shows in the next snapshot, not this one.
                if matches!(reply, Input::Outcome { .. }) {
                    snap = runner.snapshot(0);
                }
                input = reply;
            }
            Ok(None) => {
                if snap.taken_at >= end {
                    break Ending::OutOfTime;
                }
                snap = runner.snapshot(TICK_S);
                input = Input::Evaluate;
            }
        }
    };
    runner.say(snap.taken_at, format!("end: {ending:?}"));
    let machine = walker.machine();
    RunReport {
        scope: Some(scope),
        ending,
        triggered_at_min,
        ended_at_min: runner.minutes(snap.taken_at),
        applied: runner.applied,
        ran: runner.ran,
        path: machine.path().into_iter().map(str::to_string).collect(),
        overrules: machine.overrules().len(),
        last: snap,
    }
}
