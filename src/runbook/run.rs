//! `sitrep runbook run`: walk a runbook headless against the simulator. The
//! runner waits for the trigger to pick a scope, takes the evaluated branches,
//! ticks off manual steps, and (with `--auto`) applies each proposed action
//! through the executor, like an operator who agrees with the data.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::facts::{EvalContext, OverrideFacts, Scope};
use super::machine::{ActionOutcome, Effect, Event, Machine, Proposal, RevertPlan};
use super::model::Runbook;
use super::trigger;
use crate::action::audit::AuditLog;
use crate::action::baseline::Baseline;
use crate::action::confirm::ConfirmedAction;
use crate::action::executor::{ApplyContext, Executor};
use crate::action::ledger::Ledger;
use crate::action::request::ActionRequest;
use crate::model::FleetSnapshot;
use crate::model::history::FleetHistory;
use crate::sim::Simulator;
use crate::sim::source::SimWriter;

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
    pub simulator: Simulator,
    pub mode: Mode,
    pub minutes: u32,
    /// Where the run's audit log and ledger go.
    pub run_dir: PathBuf,
    /// The declared baseline for `drift_from_baseline()`.
    pub baseline: Option<Baseline>,
    pub revert_after_hours: f64,
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
}

#[derive(Clone, Debug)]
pub struct RunReport {
    pub scope: Option<Scope>,
    pub ending: Ending,
    /// Simulated minutes from the scenario's start to the trigger and to the end.
    pub triggered_at_min: Option<f64>,
    pub ended_at_min: f64,
    pub applied: Vec<ActionRequest>,
    pub path: Vec<String>,
    pub overrules: usize,
    pub last: FleetSnapshot,
}

struct Runner<'o> {
    sim: Arc<Mutex<Simulator>>,
    start: DateTime<Utc>,
    history: FleetHistory,
    executor: Executor,
    baseline: Option<Baseline>,
    mode: Mode,
    out: &'o mut dyn FnMut(String),
    applied: Vec<ActionRequest>,
}

impl Runner<'_> {
    fn snapshot(&mut self, advance_s: u32) -> FleetSnapshot {
        let mut sim = self.sim.lock().unwrap_or_else(|p| p.into_inner());
        sim.advance(advance_s);
        let snap = sim.snapshot();
        drop(sim);
        self.history.record(&snap);
        snap
    }

    fn facts(&self, snap: &FleetSnapshot) -> OverrideFacts {
        let overdue = self
            .executor
            .ledger()
            .overdue(snap.taken_at)
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

    /// The operator's response to the effects of one event, if any is needed.
    async fn respond(
        &mut self,
        m: &Machine,
        fx: &[Effect],
        snap: &FleetSnapshot,
    ) -> Result<Option<Event>, Ending> {
        let at = snap.taken_at;
        let mut reply = None;
        for effect in fx {
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
                    // An answer only the operator can give: take the last (the fallback).
                    let answer = suggested.clone().or_else(|| answers.last().cloned());
                    self.say(
                        at,
                        format!(
                            "  ? {question} -> {}{}",
                            answer.as_deref().unwrap_or("-"),
                            if shown.is_empty() {
                                String::new()
                            } else {
                                format!("  [{}]", shown.join(", "))
                            }
                        ),
                    );
                    reply = answer.map(Event::Choose);
                }
                Effect::AwaitStep { text, .. } => {
                    self.say(at, format!("  step: {text} (ticked)"));
                    reply = Some(Event::TickStep);
                }
                Effect::ProposeAction(p) => {
                    reply = Some(self.act(m, p, snap).await?);
                }
                Effect::Watching { until, .. } => {
                    let left = (*until - at).num_seconds();
                    self.say(
                        at,
                        format!("  watching for up to {}m{:02}s", left / 60, left % 60),
                    );
                }
                Effect::Escalate(text) => return Err(Ending::Escalated(text.clone())),
                Effect::Done(text) => return Err(Ending::Done(text.clone())),
                Effect::Error(e) => self.say(at, format!("  error: {e}")),
                Effect::AwaitConfirmation { .. } | Effect::Log(_) => {}
            }
        }
        Ok(reply)
    }

    async fn act(
        &mut self,
        m: &Machine,
        p: &Proposal,
        snap: &FleetSnapshot,
    ) -> Result<Event, Ending> {
        let at = snap.taken_at;
        let request = match &p.request {
            Ok(r) => r.clone(),
            Err(e) => {
                self.say(
                    at,
                    format!("  action {} cannot be built: {e} (skipped)", p.action),
                );
                return Ok(Event::ActionSkipped);
            }
        };
        let call = request.api_call();
        self.say(at, format!("  action: {} {}", call.operation, call.body));
        let revert = match &p.revert {
            RevertPlan::None => "none".to_string(),
            RevertPlan::Auto => "recorded by the executor".to_string(),
            RevertPlan::Request(Ok(r)) => crate::action::revert::describe_request(r),
            RevertPlan::Request(Err(e)) => format!("cannot be built: {e}"),
        };
        self.say(at, format!("  revert: {revert}"));
        match self.mode {
            Mode::Walk => Err(Ending::AwaitingConfirmation(p.node.clone())),
            Mode::DryRun => {
                self.say(at, "  dry run: not applied".into());
                Ok(Event::ActionSkipped)
            }
            Mode::Auto => {
                let mut ctx = ApplyContext::new(snap).in_runbook(&m.runbook().id, &p.node);
                if let Some(b) = &self.baseline {
                    ctx = ctx.with_baseline(b);
                }
                let outcome = self
                    .executor
                    .apply(ConfirmedAction::approved_by_auto_flag(request.clone()), ctx)
                    .await;
                self.say(at, format!("  {outcome}"));
                match ActionOutcome::from(&outcome) {
                    ActionOutcome::Applied => {
                        self.applied.push(request);
                        Ok(Event::ActionApplied(ActionOutcome::Applied))
                    }
                    // Headless there is nobody to retry: note the failure and move on.
                    ActionOutcome::Failed(_) => Ok(Event::ActionSkipped),
                }
            }
        }
    }
}

/// Run the walk; `out` receives one line per thing that happened.
pub async fn run(opts: RunOptions, out: &mut dyn FnMut(String)) -> std::io::Result<RunReport> {
    std::fs::create_dir_all(&opts.run_dir)?;
    let source = opts.simulator.snapshot().source.label();
    let start = opts.simulator.now();
    let sim = Arc::new(Mutex::new(opts.simulator));
    let executor = Executor::new(
        Box::new(SimWriter::new(sim.clone())),
        AuditLog::new(opts.run_dir.join("audit.jsonl")),
        Ledger::new(opts.run_dir.join("ledger.jsonl"), opts.revert_after_hours),
        "runbook-run".into(),
        source,
    );
    let mut runner = Runner {
        sim,
        start,
        history: FleetHistory::default(),
        executor,
        baseline: opts.baseline,
        mode: opts.mode,
        out,
        applied: Vec::new(),
    };
    let rb = opts.runbook;
    let end = start + chrono::Duration::minutes(i64::from(opts.minutes));

    // Wait for the trigger to name the scope.
    let mut snap = runner.snapshot(0);
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
        let at = runner.minutes(snap.taken_at);
        return Ok(RunReport {
            scope: None,
            ending: Ending::NeverTriggered,
            triggered_at_min: None,
            ended_at_min: at,
            applied: Vec::new(),
            path: Vec::new(),
            overrules: 0,
            last: snap,
        });
    };
    let triggered_at_min = Some(runner.minutes(snap.taken_at));

    let mut machine = Machine::new(rb.clone(), scope.clone());
    let mut event = Event::Evaluate;
    let ending = loop {
        let facts = runner.facts(&snap);
        let fx = {
            let ec = EvalContext::new(&snap, &runner.history, &facts);
            machine.handle(event, &ec)
        };
        match runner.respond(&machine, &fx, &snap).await {
            Err(ending) => break ending,
            Ok(Some(reply)) => {
                // An applied action shows in the next snapshot, not this one.
                if matches!(reply, Event::ActionApplied(_)) {
                    snap = runner.snapshot(0);
                }
                event = reply;
            }
            Ok(None) => {
                if snap.taken_at >= end {
                    break Ending::OutOfTime;
                }
                snap = runner.snapshot(TICK_S);
                event = Event::Evaluate;
            }
        }
    };
    let ended_at_min = runner.minutes(snap.taken_at);
    runner.say(snap.taken_at, format!("end: {ending:?}"));
    Ok(RunReport {
        scope: Some(scope),
        ending,
        triggered_at_min,
        ended_at_min,
        applied: runner.applied,
        path: machine.path().into_iter().map(str::to_string).collect(),
        overrules: machine.overrules().len(),
        last: snap,
    })
}
