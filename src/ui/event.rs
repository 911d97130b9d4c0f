//! What flows between the cockpit's loop and its pure state: events in,
//! effects out, and the status line's message.

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use std::path::PathBuf;

use crate::action::confirm::{ConfirmedAction, Purpose};
use crate::action::executor::Outcome;
use crate::action::watch::ChangedBack;
use crate::model::evidence::{Evidence, EvidenceRequest, LogMatches, LogQuery};
use crate::model::request::ActionRequest;
use crate::model::{FleetSnapshot, ServiceKey};
use crate::runbook::trigger::{Suggestion, TriggerPass};
use crate::runbook::walker::WalkAudit;
use crate::timeline::Timeline;

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    /// The terminal changed size: everything must be laid out again.
    Resize,
    Snapshot(Box<FleetSnapshot>),
    /// The once-a-second clock, with the wall time.
    Tick(DateTime<Utc>),
    /// The executor answered an `Effect::Apply`.
    Outcome(Box<ActionResult>),
    /// The ledger's active entries, answering `Effect::ListReverts`.
    Reverts(Result<RevertList, String>),
    /// The process was asked to stop (SIGTERM, SIGINT, SIGHUP, SIGQUIT): the
    /// cockpit closes as on `q`, so the terminal is restored.
    Signal(StopSignal),
    /// The evidence reader's answer to an `Effect::ReadEvidence`.
    Evidence(EvidenceRequest, Result<Evidence, String>),
    /// The evidence reader's answer to an `Effect::CountLogMatches`.
    LogMatches(ServiceKey, Result<LogMatches, String>),
    /// The session's timeline, answering `Effect::BuildTimeline`.
    Timeline(Box<Result<Timeline, String>>),
    /// Where `Effect::ExportTimeline` wrote the Markdown.
    Exported(Result<PathBuf, String>),
    /// What the session made of a step's command (`Effect::OperatorRan`).
    Played(String),
    /// The suggestions of the trigger pass at this data time
    /// (`Effect::EvaluateTriggers`).
    Suggestions(DateTime<Utc>, Result<Vec<Suggestion>, String>),
}

/// A signal that closes the cockpit; the process then exits with 128 + `number`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopSignal {
    pub name: &'static str,
    pub number: u8,
}

/// What the loop must do after an event.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Quit,
    /// Load a theme by name (reads the config dir), then `App::set_theme`.
    LoadTheme(String),
    /// Hand a confirmed request to the executor (off the UI loop), then send
    /// `Event::Outcome` back.
    Apply {
        action: Box<ConfirmedAction>,
        purpose: Purpose,
    },
    /// Append a walk record to the audit log.
    Audit(Box<WalkAudit>),
    /// Read the ledger's active entries and send `Event::Reverts`.
    ListReverts,
    /// Ask the session's evidence reader (off the UI loop), then send `Event::Evidence`.
    ReadEvidence(EvidenceRequest),
    /// Count the service's log lines matching these (off the UI loop), then
    /// send `Event::LogMatches`.
    CountLogMatches(ServiceKey, Vec<LogQuery>),
    /// Build the session's timeline from its files (off the UI loop), then
    /// send `Event::Timeline`.
    BuildTimeline,
    /// Write the timeline's Markdown to a file, then send `Event::Exported`.
    ExportTimeline,
    /// Record a change back after an action in the fleet journal.
    Journal(Box<ChangedBack>),
    /// The operator ran a step's command: the simulator plays it.
    OperatorRan(String),
    /// Evaluate every trigger over a large fleet (off the UI loop), then
    /// send `Event::Suggestions`.
    EvaluateTriggers(Box<TriggerPass>),
}

/// The executor's answer to an `Effect::Apply`, with what it was for.
#[derive(Debug)]
pub struct ActionResult {
    pub purpose: Purpose,
    pub request: ActionRequest,
    pub outcome: Outcome,
}

/// What the revert picker offers, and what the operator must know about the ledger.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RevertList {
    pub choices: Vec<RevertChoice>,
    /// Lines of the ledger that could not be read (`path:line: what`), and
    /// entries that are hidden or cannot be reverted from this session.
    pub warnings: Vec<String>,
}

/// One active ledger entry offered for revert.
#[derive(Clone, Debug, PartialEq)]
pub struct RevertChoice {
    pub entry_id: String,
    /// What was applied and what the revert does.
    pub label: String,
    pub request: Result<ActionRequest, String>,
}

/// A line for the status bar: information or an error.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

impl Message {
    pub fn info(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            error: false,
        }
    }

    pub fn error(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            error: true,
        }
    }
}

/// What a part of the state answers to a command: effects for the loop and
/// perhaps a line for the status bar.
#[derive(Debug, Default)]
pub struct Reply {
    pub effects: Vec<Effect>,
    pub message: Option<Message>,
}

impl Reply {
    pub fn effects(effects: Vec<Effect>) -> Reply {
        Reply {
            effects,
            message: None,
        }
    }

    pub fn say(message: Message) -> Reply {
        Reply {
            effects: Vec::new(),
            message: Some(message),
        }
    }
}
