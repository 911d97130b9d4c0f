//! The open walk: keys become walker inputs, and the walker's outputs become
//! effects, the status line and the confirmation popup.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{OpenWalk, Runbooks, TRIGGER_INLINE_SCOPES, trigger_every};
use crate::model::history::FleetHistory;
use crate::model::request::ActionOutcome;
use crate::model::{FleetSnapshot, ServiceKey};
use crate::runbook::trigger::{Suggestion, TriggerPass};
use crate::runbook::walker::WalkEvent;
use crate::runbook::{EvalContext, Input, Output, OverrideFacts, WalkContext};
use crate::ui::command::Command;
use crate::ui::event::{ActionResult, Effect, Message, Reply};

/// What the runbook side reads of the rest of the cockpit.
pub struct Ctx<'a> {
    pub snapshot: Option<&'a Arc<FleetSnapshot>>,
    pub history: &'a Arc<FleetHistory>,
    /// An executor exists in the loop: actions can be applied.
    pub writable: bool,
    /// The service selected in the fleet table.
    pub selected: Option<&'a ServiceKey>,
    /// Wall time.
    pub now: DateTime<Utc>,
}

impl Runbooks {
    /// Re-evaluate triggers and the walk against the snapshot just recorded.
    pub fn on_snapshot(&mut self, ctx: &Ctx<'_>) -> Reply {
        let Some(snap) = ctx.snapshot else {
            return Reply::default();
        };
        self.facts = OverrideFacts::gather(self.baseline.as_ref(), &self.overdue, snap);
        let mut reply = Reply::default();
        reply.effects.extend(self.pass_triggers(snap, ctx.history));
        // The drill ends itself on its verdict (won after the verify window,
        // or lost at the limit): the verdict stays on screen until a key.
        if let Some(d) = self.drill.as_mut()
            && (d.verdict().is_some() || d.observe(snap, ctx.history, &self.facts))
        {
            return reply;
        }
        let walk = self.walk_input(Input::Evaluate, ctx);
        reply.effects.extend(walk.effects);
        reply.message = walk.message;
        reply
    }

    /// Evaluate every trigger when its pace says so: here on a small fleet,
    /// away from the loop (`Effect::EvaluateTriggers`) when it costs more.
    fn pass_triggers(
        &mut self,
        snap: &Arc<FleetSnapshot>,
        history: &Arc<FleetHistory>,
    ) -> Option<Effect> {
        let scopes = snap.services.len() + snap.caches.len();
        // Data time running back (a new drill, a replay) starts the pace again.
        let rewound = self.triggers_at.is_some_and(|at| snap.taken_at < at);
        let paced = self.triggers_pending.is_none()
            && self
                .triggers_at
                .is_none_or(|at| snap.taken_at - at >= trigger_every(scopes));
        if !(rewound || paced) {
            return None;
        }
        let pass = TriggerPass {
            runbooks: self.library.runbooks.clone(),
            snapshot: snap.clone(),
            history: history.clone(),
            facts: self.facts.clone(),
        };
        self.triggers_at = Some(snap.taken_at);
        if scopes <= TRIGGER_INLINE_SCOPES {
            self.triggers_pending = None;
            self.suggestions = pass.run();
            return None;
        }
        self.triggers_pending = Some(snap.taken_at);
        Some(Effect::EvaluateTriggers(Box::new(pass)))
    }

    /// A pass run away from the loop answers; one older than the pass last
    /// asked for is dropped. True if the suggestions changed.
    pub fn on_suggestions(
        &mut self,
        at: DateTime<Utc>,
        result: Result<Vec<Suggestion>, String>,
    ) -> Result<bool, String> {
        if self.triggers_pending != Some(at) {
            return Ok(false);
        }
        self.triggers_pending = None;
        let suggestions = result?;
        let changed = suggestions != self.suggestions;
        self.suggestions = suggestions;
        Ok(changed)
    }

    /// Hand one input to the walker and perform what it answers.
    pub(super) fn walk_input(&mut self, input: Input, ctx: &Ctx<'_>) -> Reply {
        let mut reply = Reply::default();
        let (Some(snap), Some(walk)) = (ctx.snapshot, self.walk.as_mut()) else {
            return reply;
        };
        let ec =
            EvalContext::new(snap, ctx.history, &self.facts).with_logs(self.logs.counted.as_ref());
        let wctx = WalkContext {
            eval: &ec,
            writable: ctx.writable,
        };
        for output in walk.walker.handle(input, &wctx) {
            match output {
                Output::Machine(_) => {}
                Output::Confirm(pending) => self.confirm = Some(*pending),
                Output::Audit(record) => reply.effects.push(Effect::Audit(record)),
                Output::Say { text, error } => reply.message = Some(Message { text, error }),
                Output::Scored(event) => reply.effects.extend(self.score(&event)),
                Output::Ran(command) => reply.effects.push(Effect::OperatorRan(command)),
            }
        }
        reply
    }

    /// A drill learns from the walk; its runbook's end ends it.
    fn score(&mut self, event: &WalkEvent) -> Option<Effect> {
        let drill = self.drill.as_mut()?;
        drill.learn(event).then_some(Effect::Quit)
    }

    pub fn run_walk(&mut self, cmd: Command, ctx: &Ctx<'_>) -> Reply {
        let Some(walk) = &mut self.walk else {
            return Reply::default();
        };
        let input = match cmd {
            Command::Quit => return Reply::effects(vec![Effect::Quit]),
            Command::Close => {
                walk.focused = false;
                return Reply::default();
            }
            Command::CloseRunbook => {
                self.walk = None;
                return Reply::default();
            }
            Command::Runbooks => {
                self.list = Some(Default::default());
                return Reply::default();
            }
            Command::Reverts => return self.ask_reverts(ctx),
            Command::Down => Input::CursorDown,
            Command::Up => Input::CursorUp,
            Command::Follow => Input::Follow,
            Command::Answer(n) => match walk.walker.answers().get(n - 1).cloned() {
                Some(a) => Input::Choose(a),
                None => return Reply::say(Message::error(format!("no answer {n} here"))),
            },
            Command::Overrule => Input::Overrule,
            Command::Hint => return self.hint(),
            Command::Tick => Input::Tick,
            Command::Back => Input::Back,
            Command::Skip => Input::Skip,
            Command::Apply => Input::Apply { fix: false },
            Command::ApplyFix => Input::Apply { fix: true },
            _ => return Reply::default(),
        };
        self.walk_input(input, ctx)
    }

    /// `h` in a drill: where the evaluated path goes next, charged once per node.
    fn hint(&mut self) -> Reply {
        let (Some(drill), Some(walk)) = (self.drill.as_mut(), self.walk.as_ref()) else {
            return Reply::say(Message::error("hints are for drills (sitrep drill NAME)"));
        };
        let machine = walk.walker.machine();
        let Some(hint) = crate::drill::hint::next_on_path(machine) else {
            return Reply::say(Message::error(
                "no hint here: the data does not decide this node yet",
            ));
        };
        let cost = if drill.take_hint(machine.current(), &hint) {
            format!(" (-{} points)", crate::drill::hint::HINT_COST)
        } else {
            String::new()
        };
        Reply::say(Message {
            text: format!("hint: {hint}{cost}"),
            error: false,
        })
    }

    /// The loop's answer to `Effect::Apply`.
    pub fn on_outcome(&mut self, result: ActionResult, ctx: &Ctx<'_>) -> Reply {
        let ActionResult {
            purpose,
            request,
            outcome,
        } = result;
        let line = outcome.to_string();
        let message = Message {
            text: line.clone(),
            error: !outcome.is_applied(),
        };
        let outcome = ActionOutcome::from(&outcome);
        let mut reply = if self.walk.is_some() {
            self.walk_input(
                Input::Outcome {
                    purpose,
                    request,
                    outcome,
                    line,
                },
                ctx,
            )
        } else {
            // No walk to tell (a revert from the ledger): the drill still learns.
            let effects = WalkEvent::from_outcome(&request, &outcome)
                .and_then(|event| self.score(&event))
                .into_iter()
                .collect();
            Reply::effects(effects)
        };
        // What the walk said about the outcome (a failed action) wins over the executor's line.
        reply.message.get_or_insert(message);
        reply
    }

    /// `r`: back to the open walk, or the list of runbooks.
    pub fn open(&mut self) {
        match &mut self.walk {
            Some(OpenWalk { walker, focused }) if !*focused && walker.ended.is_none() => {
                *focused = true
            }
            _ => self.list = Some(Default::default()),
        }
    }
}
