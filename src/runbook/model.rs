//! A validated runbook: every edge points at a node, every expression compiles,
//! every action is in the catalogue. Built only by the loader.

use std::collections::BTreeMap;

use super::cel::{Expr, Template};
use crate::model::ServiceKey;
use crate::model::declared::Declared;
use crate::model::evidence::LogQuery;

/// What a runbook walk is bound to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Service(ServiceKey),
    Cache(String),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Service(key) => write!(f, "{key}"),
            Scope::Cache(id) => write!(f, "cache {id}"),
        }
    }
}

/// The seeds' five phases; each node belongs to one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Detect,
    Triage,
    Mitigate,
    Verify,
    /// Revert and post-mortem.
    Revert,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Detect,
        Phase::Triage,
        Phase::Mitigate,
        Phase::Verify,
        Phase::Revert,
    ];

    pub fn parse(s: &str) -> Option<Phase> {
        Some(match s {
            "detect" => Phase::Detect,
            "triage" => Phase::Triage,
            "mitigate" => Phase::Mitigate,
            "verify" => Phase::Verify,
            "revert" | "post-mortem" => Phase::Revert,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Detect => "detect",
            Phase::Triage => "triage",
            Phase::Mitigate => "mitigate",
            Phase::Verify => "verify",
            Phase::Revert => "revert",
        }
    }
}

/// What a runbook binds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Service,
    Cache,
}

impl ScopeKind {
    pub fn label(self) -> &'static str {
        match self {
            ScopeKind::Service => "service",
            ScopeKind::Cache => "cache",
        }
    }
}

/// Makes the cockpit suggest the runbook for each scope where `when` holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Trigger {
    pub when: Expr,
    pub why: Template,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub description: String,
    pub scope: ScopeKind,
    pub trigger: Option<Trigger>,
    /// Index of the first node.
    pub start: usize,
    pub nodes: Vec<Node>,
    /// What its `log_matches` calls count: a walk's reader counts these
    /// before each evaluation (expressions are synchronous, reads are not).
    pub log_queries: Vec<LogQuery>,
    /// The CloudWatch metrics it reads by name (`metric('name')`).
    pub metrics: Vec<Declared>,
    /// Where it was loaded from (a path, or `shipped:<file>`).
    pub origin: String,
}

impl Runbook {
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub phase: Phase,
    /// Short label for diagrams; the question or text when absent.
    pub title: Option<String>,
    pub kind: NodeKind,
}

impl Node {
    /// The label shown in trees and diagrams.
    pub fn label(&self) -> String {
        if let Some(t) = &self.title {
            return t.clone();
        }
        match &self.kind {
            NodeKind::Check(c) => c.question.clone(),
            NodeKind::Action(a) => a.action.clone(),
            NodeKind::Step { text, .. } | NodeKind::Done { text } | NodeKind::Escalate { text } => {
                text.source()
            }
            NodeKind::Wait(w) => format!("Wait up to {} min for {}", w.minutes, w.when.src),
        }
    }

    /// Outgoing edges: (label, target index).
    pub fn edges(&self) -> Vec<(String, usize)> {
        match &self.kind {
            NodeKind::Check(c) => c.edges.iter().map(|(a, t)| (a.clone(), *t)).collect(),
            NodeKind::Action(a) => vec![(String::new(), a.next)],
            NodeKind::Step { next, .. } => vec![(String::new(), *next)],
            NodeKind::Wait(w) => vec![("met".into(), w.met), ("timeout".into(), w.timeout)],
            NodeKind::Done { .. } | NodeKind::Escalate { .. } => Vec::new(),
        }
    }

    /// The diagram label of an outgoing edge.
    pub fn edge_label(&self, answer: &str) -> Option<&str> {
        match &self.kind {
            NodeKind::Check(c) => c.labels.get(answer).map(String::as_str),
            NodeKind::Wait(w) => w.labels.get(answer).map(String::as_str),
            _ => None,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Check(_) => "check",
            NodeKind::Action(_) => "action",
            NodeKind::Step { .. } => "step",
            NodeKind::Wait(_) => "wait",
            NodeKind::Done { .. } => "done",
            NodeKind::Escalate { .. } => "escalate",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Check(Check),
    Action(ActionNode),
    /// A manual instruction the operator ticks off; `command` is the exact
    /// command to run where sitrep has no action for the fix (recorded when
    /// ticked, and played by the simulator).
    Step {
        text: Template,
        command: Option<Template>,
        next: usize,
    },
    Wait(Wait),
    Done {
        text: Template,
    },
    Escalate {
        text: Template,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub question: String,
    /// The answers in order; for a yes/no check, `yes` and `no`.
    pub answers: Vec<Answer>,
    /// Answer name -> target index, in answer order.
    pub edges: Vec<(String, usize)>,
    /// Edge labels for diagrams (answer name -> text).
    pub labels: BTreeMap<String, String>,
    /// Expressions whose values are shown beside the question.
    pub evidence: Vec<Expr>,
}

impl Check {
    pub fn target(&self, answer: &str) -> Option<usize> {
        self.edges.iter().find(|(a, _)| a == answer).map(|e| e.1)
    }
}

/// An answer is suggested when its `when` holds (first match wins); an answer
/// without `when` is only ever chosen by the operator.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub name: String,
    pub when: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionNode {
    /// Catalogue id.
    pub action: String,
    pub params: Vec<(String, Expr)>,
    pub revert: Revert,
    pub verify: Option<Verify>,
    pub next: usize,
}

/// How to undo an action. Parameters are evaluated when the action is proposed,
/// so `service.max` there is the value before the change.
#[derive(Clone, Debug, PartialEq)]
pub enum Revert {
    /// No revert declared (allowed only for actions that lower capacity or only read).
    None,
    /// The executor records the before-state and builds the revert from it.
    Auto,
    Action {
        action: String,
        params: Vec<(String, Expr)>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verify {
    pub when: Expr,
    pub minutes: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Wait {
    pub when: Expr,
    pub minutes: f64,
    pub met: usize,
    pub timeout: usize,
    /// Edge labels for diagrams (`met` / `timeout` -> text).
    pub labels: BTreeMap<String, String>,
}
