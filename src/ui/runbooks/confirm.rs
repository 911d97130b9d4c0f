//! The confirmation popup: `y` (or the typed name for a risky action) sends
//! the request to the loop as `Effect::Apply`; anything else sends nothing.

use super::Runbooks;
use crate::action::confirm::{ConfirmInput, ConfirmStep, Pending};
use crate::ui::command::Command;
use crate::ui::event::{Effect, Message, Reply};

impl Runbooks {
    pub fn run_confirm(&mut self, cmd: Command) -> Reply {
        match cmd {
            Command::Close => self.confirm_input(ConfirmInput::Cancel),
            Command::Accept => self.confirm_input(ConfirmInput::Enter),
            Command::Backspace => self.confirm_input(ConfirmInput::Backspace),
            _ => Reply::default(),
        }
    }

    pub fn confirm_input(&mut self, input: ConfirmInput) -> Reply {
        let Some(pending) = self.confirm.take() else {
            return Reply::default();
        };
        match pending.confirmation.handle(input) {
            ConfirmStep::Pending(c) => {
                self.confirm = Some(Pending {
                    confirmation: c,
                    ..pending
                });
                Reply::default()
            }
            ConfirmStep::Cancelled => Reply::say(Message::info("cancelled: nothing was sent")),
            ConfirmStep::Confirmed(action) => {
                if let Some(w) = &mut self.walk {
                    w.walker.sent(&pending.purpose);
                }
                Reply {
                    message: Some(Message::info(format!(
                        "applying {}…",
                        action.request().id()
                    ))),
                    effects: vec![Effect::Apply {
                        action: Box::new(action),
                        purpose: pending.purpose,
                    }],
                }
            }
        }
    }
}
