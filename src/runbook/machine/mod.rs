//! The runbook walk as a pure state machine: `handle(event, ctx)` returns
//! effects as data and performs no IO. `walker::Walker` is its one driver,
//! shared by the cockpit and the headless runner.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::Map;

use super::cel::{EvalContext, Evaluator, Expr, display};
use super::model::{ActionNode, NodeKind, Phase, Revert, Runbook, Scope};
use crate::action::catalogue::{self, Target};
use crate::model::request::{ActionOutcome, ActionRequest};

#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A new snapshot arrived (or time passed): re-evaluate the current node.
    Evaluate,
    /// Same as `Evaluate`; sent by a driver's timer while a wait runs.
    WaitTick,
    /// The operator answers a check (recorded as an overrule when it differs
    /// from the evaluated answer), or picks `met` / `timeout` at a wait whose
    /// condition cannot be evaluated.
    Choose(String),
    /// The operator deliberately overrules the evaluated answer.
    Overrule(String),
    /// The operator ticks off a manual step.
    TickStep,
    /// Undo the last navigation (applied actions stay applied).
    Back,
    /// The executor applied (or failed to apply) the proposed action.
    ActionApplied(ActionOutcome),
    /// The operator declines the proposed action and moves on.
    ActionSkipped,
}

/// An expression shown beside a question, and the value it had.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub expr: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RevertPlan {
    None,
    /// The executor records the before-state and builds the revert itself.
    Auto,
    /// Built from the snapshot at proposal time, i.e. the before-state.
    Request(Result<ActionRequest, String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub node: String,
    pub action: String,
    pub request: Result<ActionRequest, String>,
    /// The evaluated parameters: `proposed` in the verify condition.
    pub values: Map<String, serde_json::Value>,
    pub revert: RevertPlan,
    /// The revert the executor will record in the ledger, computed from the
    /// same before-state: what `RevertPlan::Auto` shows.
    pub recorded: Option<crate::action::revert::Revert>,
    /// Verify condition source and timeout in minutes.
    pub verify: Option<(String, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Entered {
        node: String,
        phase: Phase,
    },
    AwaitAnswer {
        node: String,
        question: String,
        answers: Vec<String>,
        suggested: Option<String>,
        evidence: Vec<Evidence>,
    },
    /// The walk cannot decide by itself at `node`: no answer matched, or an
    /// expression failed to evaluate. It stays there until the operator
    /// chooses (or the data changes); never a default branch.
    Stuck {
        node: String,
        why: String,
    },
    ProposeAction(Box<Proposal>),
    AwaitConfirmation {
        node: String,
    },
    AwaitStep {
        node: String,
        text: String,
        /// The exact command the step asks the operator to run.
        command: Option<String>,
    },
    Watching {
        node: String,
        until: DateTime<Utc>,
    },
    Log(WalkEntry),
    Escalate(String),
    Done(String),
    /// An event that does not fit the current state, or an evaluation failure.
    Error(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct WalkEntry {
    pub at: DateTime<Utc>,
    pub node: String,
    pub what: Walked,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Walked {
    Entered,
    Answered {
        answer: String,
        suggested: Option<String>,
        overruled: bool,
        evidence: Vec<Evidence>,
    },
    Applied(Option<ActionRequest>),
    ApplyFailed(String),
    Skipped,
    /// A step ticked off, with the command it asked for (rendered when ticked).
    StepDone(Option<String>),
    WaitMet,
    WaitTimedOut,
    Verified,
    VerifyTimedOut,
    Back {
        from: String,
    },
    Escalated(String),
    Done(String),
}

/// Where the walk stands at the current node.
#[derive(Clone, Debug, PartialEq)]
pub enum State {
    Answering {
        suggested: Option<String>,
        evidence: Vec<Evidence>,
        /// Why nothing is suggested: no answer matched, or an evaluation failed.
        stuck: Option<String>,
    },
    Proposed(Box<Proposal>),
    Verifying {
        deadline: DateTime<Utc>,
        /// The applied action's parameters, `proposed.<name>` in the condition.
        proposed: Map<String, serde_json::Value>,
    },
    Stepping,
    Waiting {
        deadline: DateTime<Utc>,
        /// The condition failed to evaluate: the wait neither meets nor
        /// times out until it evaluates again or the operator picks an edge.
        stuck: Option<String>,
    },
    Finished,
}

/// A recorded overrule: the operator took another branch than the data said.
#[derive(Clone, Debug, PartialEq)]
pub struct Overrule {
    pub at: DateTime<Utc>,
    pub node: String,
    pub suggested: Option<String>,
    pub chosen: String,
}

#[derive(Clone, Debug)]
pub struct Machine {
    runbook: Arc<Runbook>,
    scope: Scope,
    current: usize,
    state: State,
    /// Nodes entered, in order, for `Back`.
    path: Vec<usize>,
    history: Vec<WalkEntry>,
    overrules: Vec<Overrule>,
    /// Evidence used for each answered check, by node id.
    evidence: BTreeMap<String, Vec<Evidence>>,
    /// The scoped subject when the walk began: `at_start` in expressions.
    at_start: serde_json::Value,
}

impl Machine {
    /// A machine before its first event; send `Evaluate` to enter the start node.
    pub fn new(runbook: Arc<Runbook>, scope: Scope) -> Self {
        let start = runbook.start;
        Self {
            runbook,
            scope,
            current: start,
            state: State::Stepping,
            path: Vec::new(),
            history: Vec::new(),
            overrules: Vec::new(),
            evidence: BTreeMap::new(),
            at_start: serde_json::Value::Null,
        }
    }

    /// Variables and helpers for this evaluation, `at_start` included.
    fn evaluator(&self, ec: &EvalContext<'_>) -> Evaluator {
        let mut eval = Evaluator::new(ec, &self.scope);
        eval.set_at_start(&self.at_start);
        eval
    }

    pub fn runbook(&self) -> &Runbook {
        &self.runbook
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn current(&self) -> &str {
        &self.runbook.nodes[self.current].id
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Node ids entered, in order.
    pub fn path(&self) -> Vec<&str> {
        self.path
            .iter()
            .map(|&i| self.runbook.nodes[i].id.as_str())
            .collect()
    }

    pub fn history(&self) -> &[WalkEntry] {
        &self.history
    }

    pub fn overrules(&self) -> &[Overrule] {
        &self.overrules
    }

    pub fn evidence(&self, node: &str) -> Option<&[Evidence]> {
        self.evidence.get(node).map(Vec::as_slice)
    }

    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Why the walk cannot go on by itself at the current node, if it cannot.
    pub fn stuck(&self) -> Option<&str> {
        match &self.state {
            State::Answering { stuck, .. } | State::Waiting { stuck, .. } => stuck.as_deref(),
            _ => None,
        }
    }

    /// The action awaiting confirmation, if any.
    pub fn proposal(&self) -> Option<&Proposal> {
        match &self.state {
            State::Proposed(p) => Some(p),
            _ => None,
        }
    }

    pub fn handle(&mut self, event: Event, ec: &EvalContext<'_>) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.path.is_empty() {
            self.at_start = Evaluator::subject(ec, &self.scope);
            self.enter(self.runbook.start, ec, &mut fx);
            if event == Event::Evaluate || event == Event::WaitTick {
                return fx;
            }
        }
        match (event, self.state.clone()) {
            (Event::Evaluate | Event::WaitTick, state) => self.reevaluate(state, ec, &mut fx),
            (
                Event::Choose(answer),
                State::Answering {
                    suggested,
                    evidence,
                    ..
                },
            ) => {
                self.answer(answer, false, suggested, evidence, ec, &mut fx);
            }
            (
                Event::Overrule(answer),
                State::Answering {
                    suggested,
                    evidence,
                    ..
                },
            ) => {
                self.answer(answer, true, suggested, evidence, ec, &mut fx);
            }
            (
                Event::Choose(edge) | Event::Overrule(edge),
                State::Waiting {
                    stuck: Some(why), ..
                },
            ) => self.choose_wait_edge(edge, why, ec, &mut fx),
            (Event::TickStep, State::Stepping) => {
                let command = match self.node_kind() {
                    NodeKind::Step {
                        command: Some(c), ..
                    } => Some(self.evaluator(ec).render(c)),
                    _ => None,
                };
                self.log(ec, Walked::StepDone(command), &mut fx);
                if let NodeKind::Step { next, .. } = self.node_kind() {
                    let next = *next;
                    self.enter(next, ec, &mut fx);
                }
            }
            (Event::ActionApplied(outcome), State::Proposed(p)) => match outcome {
                ActionOutcome::Applied => {
                    self.log(ec, Walked::Applied(p.request.clone().ok()), &mut fx);
                    match &p.verify {
                        Some((_, minutes)) => {
                            self.state = State::Verifying {
                                deadline: ec.now() + minutes_to_duration(*minutes),
                                proposed: p.values.clone(),
                            };
                        }
                        None => self.advance_action(ec, &mut fx),
                    }
                }
                ActionOutcome::Failed(e) | ActionOutcome::Refused(e) => {
                    self.log(ec, Walked::ApplyFailed(e.clone()), &mut fx);
                    fx.push(Effect::Error(format!("action failed: {e}")));
                }
            },
            (Event::ActionSkipped, State::Proposed(_)) => {
                self.log(ec, Walked::Skipped, &mut fx);
                self.advance_action(ec, &mut fx);
            }
            (Event::Back, _) => self.back(ec, &mut fx),
            (event, state) => fx.push(Effect::Error(format!(
                "{event:?} does not apply at `{}` ({})",
                self.current(),
                state_name(&state)
            ))),
        }
        fx
    }

    fn node_kind(&self) -> &NodeKind {
        &self.runbook.nodes[self.current].kind
    }

    fn log(&mut self, ec: &EvalContext<'_>, what: Walked, fx: &mut Vec<Effect>) {
        let entry = WalkEntry {
            at: ec.now(),
            node: self.current().to_string(),
            what,
        };
        self.history.push(entry.clone());
        fx.push(Effect::Log(entry));
    }

    fn enter(&mut self, index: usize, ec: &EvalContext<'_>, fx: &mut Vec<Effect>) {
        // Waits met on entry advance at once; a bound stops a loop of waits
        // that are all already met from spinning within one event.
        let mut index = index;
        for _ in 0..=self.runbook.nodes.len() {
            self.current = index;
            self.path.push(index);
            let node = &self.runbook.nodes[index];
            fx.push(Effect::Entered {
                node: node.id.clone(),
                phase: node.phase,
            });
            self.log(ec, Walked::Entered, fx);
            match self.start_node(ec, fx) {
                Some(next) => index = next,
                None => return,
            }
        }
        fx.push(Effect::Error(format!(
            "stopped at `{}`: every wait on the loop is already met",
            self.current()
        )));
    }

    /// Set up the current node's state; returns a node to move to at once.
    fn start_node(&mut self, ec: &EvalContext<'_>, fx: &mut Vec<Effect>) -> Option<usize> {
        let eval = self.evaluator(ec);
        let node = self.runbook.nodes[self.current].clone();
        match &node.kind {
            NodeKind::Check(_) => {
                self.state = self.evaluate_check(&eval, fx);
                None
            }
            NodeKind::Action(a) => {
                let p = self.propose(a, &eval, ec);
                fx.push(Effect::ProposeAction(Box::new(p.clone())));
                fx.push(Effect::AwaitConfirmation { node: node.id });
                self.state = State::Proposed(Box::new(p));
                None
            }
            NodeKind::Step { text, command, .. } => {
                self.state = State::Stepping;
                fx.push(Effect::AwaitStep {
                    node: node.id,
                    text: eval.render(text),
                    command: command.as_ref().map(|c| eval.render(c)),
                });
                None
            }
            NodeKind::Wait(w) => {
                let deadline = ec.now() + minutes_to_duration(w.minutes);
                self.state = State::Waiting {
                    deadline,
                    stuck: None,
                };
                fx.push(Effect::Watching {
                    node: node.id,
                    until: deadline,
                });
                self.check_wait(&eval, ec, fx)
            }
            NodeKind::Escalate { text } => {
                let text = eval.render(text);
                self.state = State::Finished;
                self.log(ec, Walked::Escalated(text.clone()), fx);
                fx.push(Effect::Escalate(text));
                None
            }
            NodeKind::Done { text } => {
                let text = eval.render(text);
                self.state = State::Finished;
                self.log(ec, Walked::Done(text.clone()), fx);
                fx.push(Effect::Done(text));
                None
            }
        }
    }

    /// Evaluate the current check's answers in order; the first that holds
    /// is suggested. No match, or an answer that fails to evaluate, leaves
    /// nothing suggested and says why: the operator decides.
    fn evaluate_check(&self, eval: &Evaluator, fx: &mut Vec<Effect>) -> State {
        let NodeKind::Check(check) = self.node_kind() else {
            return State::Finished;
        };
        let mut suggested = None;
        let mut stuck = None;
        for answer in &check.answers {
            if let Some(when) = &answer.when {
                match eval.eval_bool(when) {
                    Ok(true) => {
                        suggested = Some(answer.name.clone());
                        break;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        stuck = Some(format!(
                            "answer `{}` (`{}`) cannot be evaluated: {e}",
                            answer.name, when.src
                        ));
                        break;
                    }
                }
            }
        }
        if suggested.is_none() && stuck.is_none() {
            let open: Vec<&str> = check
                .answers
                .iter()
                .filter(|a| a.when.is_none())
                .map(|a| a.name.as_str())
                .collect();
            stuck = Some(if open.is_empty() {
                "no answer matched the data".to_string()
            } else {
                format!(
                    "no answer matched the data; {} is the operator's to choose",
                    open.join(", ")
                )
            });
        }
        let evidence: Vec<Evidence> = check.evidence.iter().map(|e| evidence(eval, e)).collect();
        fx.push(Effect::AwaitAnswer {
            node: self.current().to_string(),
            question: check.question.clone(),
            answers: check.answers.iter().map(|a| a.name.clone()).collect(),
            suggested: suggested.clone(),
            evidence: evidence.clone(),
        });
        if let Some(why) = &stuck {
            fx.push(Effect::Stuck {
                node: self.current().to_string(),
                why: why.clone(),
            });
            fx.push(Effect::Error(format!("`{}`: {why}", self.current())));
        }
        State::Answering {
            suggested,
            evidence,
            stuck,
        }
    }

    fn propose(&self, a: &ActionNode, eval: &Evaluator, ec: &EvalContext<'_>) -> Proposal {
        let target = self.target(ec);
        let (request, values) = build(eval, &a.action, &a.params, &target);
        let revert = match &a.revert {
            Revert::None => RevertPlan::None,
            Revert::Auto => RevertPlan::Auto,
            Revert::Action { action, params } => {
                RevertPlan::Request(build(eval, action, params, &target).0)
            }
        };
        let recorded = request
            .as_ref()
            .ok()
            .and_then(|r| crate::action::revert::revert_of(r, ec.snapshot));
        Proposal {
            node: self.current().to_string(),
            action: a.action.clone(),
            request,
            values,
            recorded,
            revert,
            verify: a.verify.as_ref().map(|v| (v.when.src.clone(), v.minutes)),
        }
    }

    fn target(&self, ec: &EvalContext<'_>) -> Result<Target, String> {
        match &self.scope {
            Scope::Service(key) => Ok(Target::Service(key.clone())),
            Scope::Cache(id) => {
                let group = ec
                    .snapshot
                    .cache(id)
                    .and_then(|c| c.parameter_group.clone())
                    .ok_or_else(|| format!("cache `{id}` has no readable parameter group"))?;
                Ok(Target::Cache {
                    id: id.clone(),
                    parameter_group: group,
                })
            }
        }
    }

    fn reevaluate(&mut self, state: State, ec: &EvalContext<'_>, fx: &mut Vec<Effect>) {
        let eval = self.evaluator(ec);
        match state {
            State::Answering { .. } => {
                let mut scratch = Vec::new();
                let fresh = self.evaluate_check(&eval, &mut scratch);
                if fresh != self.state {
                    self.state = fresh;
                    fx.extend(scratch);
                }
            }
            State::Proposed(old) => {
                let NodeKind::Action(a) = self.node_kind() else {
                    return;
                };
                let fresh = self.propose(a, &eval, ec);
                if fresh != *old {
                    fx.push(Effect::ProposeAction(Box::new(fresh.clone())));
                    fx.push(Effect::AwaitConfirmation {
                        node: fresh.node.clone(),
                    });
                    self.state = State::Proposed(Box::new(fresh));
                }
            }
            State::Verifying { deadline, proposed } => {
                let NodeKind::Action(a) = self.node_kind() else {
                    return;
                };
                let Some(verify) = &a.verify else {
                    return;
                };
                let mut eval = eval;
                eval.set_proposed(&proposed);
                match eval.eval_bool(&verify.when) {
                    Ok(true) => {
                        self.log(ec, Walked::Verified, fx);
                        self.advance_action(ec, fx);
                    }
                    _ if ec.now() >= deadline => {
                        self.log(ec, Walked::VerifyTimedOut, fx);
                        self.advance_action(ec, fx);
                    }
                    Ok(false) => {}
                    Err(e) => fx.push(Effect::Error(format!("verify: {e}"))),
                }
            }
            State::Waiting { .. } => {
                if let Some(next) = self.check_wait(&eval, ec, fx) {
                    self.enter(next, ec, fx);
                }
            }
            State::Stepping | State::Finished => {}
        }
    }

    /// Whether the current wait is over: its edge target if so. A condition
    /// that fails to evaluate neither meets nor times out the wait: it stays,
    /// says why, and the operator may pick `met` or `timeout`.
    fn check_wait(
        &mut self,
        eval: &Evaluator,
        ec: &EvalContext<'_>,
        fx: &mut Vec<Effect>,
    ) -> Option<usize> {
        let (NodeKind::Wait(w), State::Waiting { deadline, stuck }) =
            (self.node_kind().clone(), &self.state)
        else {
            return None;
        };
        let (deadline, was_stuck) = (*deadline, stuck.clone());
        match eval.eval_bool(&w.when) {
            Ok(true) => {
                self.log(ec, Walked::WaitMet, fx);
                Some(w.met)
            }
            Ok(false) if ec.now() >= deadline => {
                self.log(ec, Walked::WaitTimedOut, fx);
                Some(w.timeout)
            }
            Ok(false) => {
                self.state = State::Waiting {
                    deadline,
                    stuck: None,
                };
                None
            }
            Err(e) => {
                let why = format!(
                    "the wait's condition `{}` cannot be evaluated: {e}; choose met or timeout",
                    w.when.src
                );
                if was_stuck.as_deref() != Some(why.as_str()) {
                    fx.push(Effect::Stuck {
                        node: self.current().to_string(),
                        why: why.clone(),
                    });
                    fx.push(Effect::Error(format!("`{}`: {why}", self.current())));
                }
                self.state = State::Waiting {
                    deadline,
                    stuck: Some(why),
                };
                None
            }
        }
    }

    /// The operator takes an edge of a wait that cannot evaluate its condition.
    fn choose_wait_edge(
        &mut self,
        edge: String,
        why: String,
        ec: &EvalContext<'_>,
        fx: &mut Vec<Effect>,
    ) {
        let NodeKind::Wait(w) = self.node_kind().clone() else {
            return;
        };
        let (target, what) = match edge.as_str() {
            "met" => (w.met, Walked::WaitMet),
            "timeout" => (w.timeout, Walked::WaitTimedOut),
            _ => {
                fx.push(Effect::Error(format!(
                    "`{edge}` is not an edge of `{}` (edges: met, timeout)",
                    self.current()
                )));
                return;
            }
        };
        self.overrules.push(Overrule {
            at: ec.now(),
            node: self.current().to_string(),
            suggested: None,
            chosen: edge.clone(),
        });
        self.log(
            ec,
            Walked::Answered {
                answer: edge,
                suggested: None,
                overruled: true,
                evidence: vec![Evidence {
                    expr: w.when.src.clone(),
                    value: format!("error: {why}"),
                }],
            },
            fx,
        );
        self.log(ec, what, fx);
        self.enter(target, ec, fx);
    }

    fn advance_action(&mut self, ec: &EvalContext<'_>, fx: &mut Vec<Effect>) {
        if let NodeKind::Action(a) = self.node_kind() {
            let next = a.next;
            self.enter(next, ec, fx);
        }
    }

    fn answer(
        &mut self,
        answer: String,
        explicit: bool,
        suggested: Option<String>,
        evidence: Vec<Evidence>,
        ec: &EvalContext<'_>,
        fx: &mut Vec<Effect>,
    ) {
        let NodeKind::Check(check) = self.node_kind() else {
            return;
        };
        let Some(target) = check.target(&answer) else {
            let names: Vec<&str> = check.answers.iter().map(|a| a.name.as_str()).collect();
            fx.push(Effect::Error(format!(
                "`{answer}` is not an answer of `{}` (answers: {})",
                self.current(),
                names.join(", ")
            )));
            return;
        };
        let overruled = explicit || suggested.as_ref().is_some_and(|s| s != &answer);
        if overruled {
            self.overrules.push(Overrule {
                at: ec.now(),
                node: self.current().to_string(),
                suggested: suggested.clone(),
                chosen: answer.clone(),
            });
        }
        self.evidence
            .insert(self.current().to_string(), evidence.clone());
        self.log(
            ec,
            Walked::Answered {
                answer,
                suggested,
                overruled,
                evidence,
            },
            fx,
        );
        self.enter(target, ec, fx);
    }

    fn back(&mut self, ec: &EvalContext<'_>, fx: &mut Vec<Effect>) {
        if self.path.len() < 2 {
            fx.push(Effect::Error("already at the start".into()));
            return;
        }
        let from = self.current().to_string();
        self.path.pop();
        let Some(mut previous) = self.path.pop() else {
            return;
        };
        // A wait re-entered may be met at once and walk straight back here:
        // step over waits to the node before them.
        while matches!(self.runbook.nodes[previous].kind, NodeKind::Wait(_))
            && let Some(&before) = self.path.last()
        {
            self.path.pop();
            previous = before;
        }
        self.current = previous;
        self.log(ec, Walked::Back { from }, fx);
        self.enter(previous, ec, fx);
    }
}

fn evidence(eval: &Evaluator, e: &Expr) -> Evidence {
    Evidence {
        expr: e.src.clone(),
        value: eval
            .eval(e)
            .map_or_else(|err| format!("error: {err}"), |v| display(&v)),
    }
}

/// The request from evaluated parameters, and the values themselves.
fn build(
    eval: &Evaluator,
    action: &str,
    params: &[(String, Expr)],
    target: &Result<Target, String>,
) -> (
    Result<ActionRequest, String>,
    Map<String, serde_json::Value>,
) {
    let mut values = Map::new();
    for (name, expr) in params {
        match eval.eval_json(expr) {
            Ok(v) => {
                values.insert(name.clone(), v);
            }
            Err(e) => return (Err(format!("parameter `{name}`: {e}")), values),
        }
    }
    let request = match target {
        Ok(target) => catalogue::build(action, target, &values),
        Err(e) => Err(e.clone()),
    };
    (request, values)
}

fn minutes_to_duration(minutes: f64) -> Duration {
    Duration::milliseconds((minutes * 60_000.0) as i64)
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Answering { .. } => "awaiting an answer",
        State::Proposed(_) => "awaiting confirmation",
        State::Verifying { .. } => "verifying",
        State::Stepping => "awaiting a step",
        State::Waiting { .. } => "waiting",
        State::Finished => "finished",
    }
}

#[cfg(test)]
mod tests;
