//! Confirmation as a pure state machine: intent in, `ConfirmedAction` out.
//!
//! The executor only accepts a `ConfirmedAction`, and its fields are private,
//! so the only ways to make one are a successful confirmation here or the
//! explicit `--auto` approval of the headless runner (recorded as such).

use serde::{Deserialize, Serialize};

use super::catalogue;
use super::preview::{Preview, preview};
use crate::model::FleetSnapshot;
use crate::model::request::ActionRequest;

/// What a confirmed request is for; the driver passes it back with the outcome.
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

/// A confirmation waiting for the operator: the prompt, what it is for, and
/// the preview shown above it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub confirmation: Confirmation,
    pub purpose: Purpose,
    pub preview: Preview,
}

impl Pending {
    pub fn new(request: ActionRequest, purpose: Purpose, snapshot: &FleetSnapshot) -> Self {
        Pending {
            preview: preview(&request, snapshot),
            confirmation: Confirmation::new(request),
            purpose,
        }
    }
}

/// How an action was confirmed; written to the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmedBy {
    /// Plain `y` for an ordinary action.
    Yes,
    /// The target's name typed for a risky action.
    TypedName,
    /// `sitrep runbook run --auto`: the operator approved every proposed action up front.
    AutoFlag,
}

/// A request the operator confirmed. Only the executor consumes it.
#[derive(Debug, PartialEq)]
pub struct ConfirmedAction {
    request: ActionRequest,
    by: ConfirmedBy,
}

impl ConfirmedAction {
    /// Approval given by the headless runner's `--auto` flag, not by a prompt.
    pub fn approved_by_auto_flag(request: ActionRequest) -> Self {
        Self {
            request,
            by: ConfirmedBy::AutoFlag,
        }
    }

    pub fn request(&self) -> &ActionRequest {
        &self.request
    }

    pub fn confirmed_by(&self) -> ConfirmedBy {
        self.by
    }
}

/// What the operator must do to confirm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// Press `y`.
    Yes,
    /// Type this name, then Enter.
    TypeName(String),
}

/// Input to the prompt, already translated from keys by the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmInput {
    Char(char),
    Backspace,
    Enter,
    Cancel,
}

/// A pending confirmation (gitui's `ConfirmAction`).
#[derive(Clone, Debug, PartialEq)]
pub struct Confirmation {
    request: ActionRequest,
    challenge: Challenge,
    typed: String,
    /// Set after Enter with a wrong name, for the prompt to say so.
    mismatch: bool,
}

/// The result of one input.
#[derive(Debug, PartialEq)]
pub enum ConfirmStep {
    Pending(Confirmation),
    Confirmed(ConfirmedAction),
    Cancelled,
}

impl Confirmation {
    pub fn new(request: ActionRequest) -> Self {
        let risky = catalogue::spec(request.id()).is_some_and(|s| s.risky);
        let challenge = if risky {
            Challenge::TypeName(request.target_name())
        } else {
            Challenge::Yes
        };
        Self {
            request,
            challenge,
            typed: String::new(),
            mismatch: false,
        }
    }

    pub fn request(&self) -> &ActionRequest {
        &self.request
    }

    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    pub fn typed(&self) -> &str {
        &self.typed
    }

    /// The prompt line shown under the preview.
    pub fn prompt(&self) -> String {
        match &self.challenge {
            Challenge::Yes => format!("Apply {}? [y/N]", self.request.id()),
            Challenge::TypeName(name) if self.mismatch => {
                format!(
                    "That is not {name}. Type {name} to apply, Esc to cancel: {}",
                    self.typed
                )
            }
            Challenge::TypeName(name) => {
                format!("Risky: type {name} to apply, Esc to cancel: {}", self.typed)
            }
        }
    }

    pub fn handle(mut self, input: ConfirmInput) -> ConfirmStep {
        match (&self.challenge, input) {
            (_, ConfirmInput::Cancel) => ConfirmStep::Cancelled,
            (Challenge::Yes, ConfirmInput::Char('y' | 'Y')) => self.confirm(ConfirmedBy::Yes),
            (Challenge::Yes, ConfirmInput::Char('n' | 'N') | ConfirmInput::Enter) => {
                ConfirmStep::Cancelled
            }
            (Challenge::Yes, _) => ConfirmStep::Pending(self),
            (Challenge::TypeName(name), ConfirmInput::Enter) => {
                if &self.typed == name {
                    self.confirm(ConfirmedBy::TypedName)
                } else {
                    self.mismatch = true;
                    ConfirmStep::Pending(self)
                }
            }
            (Challenge::TypeName(_), ConfirmInput::Char(c)) => {
                self.typed.push(c);
                ConfirmStep::Pending(self)
            }
            (Challenge::TypeName(_), ConfirmInput::Backspace) => {
                self.typed.pop();
                ConfirmStep::Pending(self)
            }
        }
    }

    fn confirm(self, by: ConfirmedBy) -> ConfirmStep {
        ConfirmStep::Confirmed(ConfirmedAction {
            request: self.request,
            by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::svc_key;

    fn feed(mut c: Confirmation, inputs: &[ConfirmInput]) -> ConfirmStep {
        for (i, input) in inputs.iter().enumerate() {
            match c.handle(*input) {
                ConfirmStep::Pending(next) => c = next,
                done => {
                    assert_eq!(i + 1, inputs.len(), "finished early at input {i}");
                    return done;
                }
            }
        }
        ConfirmStep::Pending(c)
    }

    fn chars(s: &str) -> Vec<ConfirmInput> {
        s.chars().map(ConfirmInput::Char).collect()
    }

    #[test]
    fn ordinary_action_needs_y() {
        let req = ActionRequest::SetBounds {
            service: svc_key(),
            min: 10,
            max: 200,
        };
        let c = Confirmation::new(req.clone());
        assert_eq!(c.challenge(), &Challenge::Yes);
        assert_eq!(c.prompt(), "Apply autoscaling.set_bounds? [y/N]");
        let ConfirmStep::Confirmed(done) = feed(
            c.clone(),
            &[ConfirmInput::Char('x'), ConfirmInput::Char('y')],
        ) else {
            panic!("not confirmed")
        };
        assert_eq!(done.request(), &req);
        assert_eq!(done.confirmed_by(), ConfirmedBy::Yes);
        assert_eq!(
            feed(c.clone(), &[ConfirmInput::Enter]),
            ConfirmStep::Cancelled
        );
        assert_eq!(feed(c, &[ConfirmInput::Char('n')]), ConfirmStep::Cancelled);
    }

    #[test]
    fn risky_action_needs_the_name_typed() {
        let req = ActionRequest::ForceNewDeployment { service: svc_key() };
        let c = Confirmation::new(req);
        assert_eq!(c.challenge(), &Challenge::TypeName("orchestrator".into()));
        // `y` alone is just a typed letter.
        let ConfirmStep::Pending(c) = feed(c, &[ConfirmInput::Char('y'), ConfirmInput::Enter])
        else {
            panic!("y must not confirm a risky action")
        };
        assert!(
            c.prompt().starts_with("That is not orchestrator"),
            "{}",
            c.prompt()
        );
        let mut inputs = vec![ConfirmInput::Backspace];
        inputs.extend(chars("orchestrator"));
        inputs.push(ConfirmInput::Enter);
        let ConfirmStep::Confirmed(done) = feed(c, &inputs) else {
            panic!("typed name must confirm")
        };
        assert_eq!(done.confirmed_by(), ConfirmedBy::TypedName);
    }

    #[test]
    fn escape_cancels_a_typed_confirmation() {
        let c = Confirmation::new(ActionRequest::ForceNewDeployment { service: svc_key() });
        let mut inputs = chars("orch");
        inputs.push(ConfirmInput::Cancel);
        assert_eq!(feed(c, &inputs), ConfirmStep::Cancelled);
    }
}
