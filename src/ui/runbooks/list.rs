//! The runbook list (triggered first) and the revert picker over the ledger's
//! active entries; choosing opens a walk or a revert confirmation.

use std::sync::Arc;

use super::walk::Ctx;
use super::{OpenWalk, Runbooks};
use crate::action::confirm::{Pending, Purpose};
use crate::runbook::Input;
use crate::runbook::Walker;
use crate::runbook::model::{Runbook, Scope, ScopeKind};
use crate::runbook::trigger::Suggestion;
use crate::ui::command::Command;
use crate::ui::event::{Effect, Message, Reply, RevertChoice, RevertList};

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

impl Runbooks {
    /// `R`: ask the loop for the ledger's active entries.
    pub fn ask_reverts(&mut self, ctx: &Ctx<'_>) -> Reply {
        if !ctx.writable {
            return Reply::say(Message::error("read-only session: cannot revert"));
        }
        Reply::effects(vec![Effect::ListReverts])
    }

    /// The loop's answer to `Effect::ListReverts`.
    /// Open the revert picker; the message names what the ledger could not
    /// show (bad lines, entries of other sources or of none).
    pub fn set_reverts(&mut self, reverts: Result<RevertList, String>) -> Option<Message> {
        let RevertList { choices, warnings } = match reverts {
            Ok(list) => list,
            Err(e) => return Some(Message::error(e)),
        };
        let warning = (!warnings.is_empty()).then(|| Message::error(warnings.join("; ")));
        if choices.is_empty() {
            return Some(warning.map_or_else(
                || Message::info("no active overrides in the ledger"),
                |w| Message::error(format!("no active overrides of this session; {}", w.text)),
            ));
        }
        self.list = Some(ListState {
            selected: 0,
            reverts: Some(choices),
        });
        warning
    }

    pub fn run_list(&mut self, cmd: Command, ctx: &Ctx<'_>) -> Reply {
        let len = match self.list.as_ref().map(|l| &l.reverts) {
            None => return Reply::default(),
            Some(Some(r)) => r.len(),
            Some(None) => self.entries().len(),
        };
        let Some(list) = &mut self.list else {
            return Reply::default();
        };
        match cmd {
            Command::Close => self.list = None,
            Command::Down => list.selected = (list.selected + 1).min(len.saturating_sub(1)),
            Command::Up => list.selected = list.selected.saturating_sub(1),
            Command::Quit => return Reply::effects(vec![Effect::Quit]),
            Command::Reverts => return self.ask_reverts(ctx),
            Command::Accept => {
                let selected = list.selected;
                return match list.reverts.take() {
                    Some(reverts) => {
                        self.list = None;
                        self.confirm_revert(reverts.into_iter().nth(selected), ctx)
                    }
                    None => {
                        let entry = self.entries().into_iter().nth(selected);
                        self.list = None;
                        self.open_walk(entry, ctx)
                    }
                };
            }
            _ => {}
        }
        Reply::default()
    }

    fn confirm_revert(&mut self, choice: Option<RevertChoice>, ctx: &Ctx<'_>) -> Reply {
        let Some(choice) = choice else {
            return Reply::default();
        };
        match (choice.request, ctx.snapshot) {
            (Ok(request), Some(snap)) => {
                let purpose = Purpose::Revert {
                    entry_id: choice.entry_id,
                };
                self.confirm = Some(Pending::new(request, purpose, snap));
                Reply::default()
            }
            (Err(e), _) => Reply::say(Message::error(format!(
                "{}: cannot revert here: {e}",
                choice.entry_id
            ))),
            (_, None) => Reply::default(),
        }
    }

    fn open_walk(&mut self, entry: Option<ListEntry>, ctx: &Ctx<'_>) -> Reply {
        let Some(entry) = entry else {
            return Reply::default();
        };
        let scope = match (&entry.suggestion, entry.runbook.scope) {
            (Some(s), _) => Some(s.scope.clone()),
            (None, ScopeKind::Service) => ctx.selected.cloned().map(Scope::Service),
            (None, ScopeKind::Cache) => ctx
                .snapshot
                .and_then(|s| s.caches.first())
                .map(|c| Scope::Cache(c.id.clone())),
        };
        let Some(scope) = scope else {
            return Reply::say(Message::error(format!(
                "{}: no {} to walk it for",
                entry.runbook.id,
                entry.runbook.scope.label()
            )));
        };
        if let Some(w) = &mut self.walk
            && w.walker.runbook().id == entry.runbook.id
            && w.walker.machine().scope() == &scope
            && w.walker.ended.is_none()
        {
            w.focused = true;
            return Reply::default();
        }
        let since = ctx.snapshot.map_or(ctx.now, |s| s.taken_at);
        self.walk = Some(OpenWalk {
            walker: Walker::new(entry.runbook.clone(), scope, since),
            focused: true,
        });
        self.walk_input(Input::Evaluate, ctx)
    }
}
