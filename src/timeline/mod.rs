//! The incident record: one time-ordered account that merges what the fleet
//! did (the journal) with what the operator did (the audit log), a summary
//! measured against the SLA, and the overrides still in force (the ledger).
//!
//! `build` is pure; `records` finds and reads the files of a session,
//! `window` parses `--since`/`--until`, `markdown` writes the post-mortem
//! and `text` the terminal's lines.

pub mod markdown;
pub mod records;
mod summary;
pub mod text;
pub mod window;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use crate::action::audit::{AuditEntry, AuditOutcome, AuditRecord, Seen};
use crate::action::ledger;
use crate::action::preview::FieldChange;
use crate::action::revert::describe_request;
use crate::journal::{Entry, Recorded};
pub use summary::{Sla, Summary};
use window::Window;

/// The JSON's format; bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;

/// Who did it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    Fleet,
    Operator,
}

/// One line of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Item {
    /// Data time (simulated on the simulator).
    pub at: DateTime<Utc>,
    pub by: By,
    /// Fleet: `alarm`, `spot_warning`, `interruption`, `task`, `scaling`,
    /// `deployment`, `event`, `stale`, `recovered`, `changed_back`, `session`.
    /// Operator: `node`, `check`, `overrule`, `step`, `action`, `revert`,
    /// `refused`, `ended`.
    pub kind: &'static str,
    /// The runbook phase in force: detect, triage, mitigate, verify, revert.
    pub phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// What was recorded, in full: a task stop's codes, a check's evidence, an
    /// action's request, before/after, revert and outcome.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub detail: Value,
}

impl Item {
    /// An alarm going (or found) into ALARM.
    pub fn fired(&self) -> bool {
        self.kind == "alarm" && self.detail.get("to").and_then(|v| v.as_str()) == Some("ALARM")
    }
}

/// An override the ledger still holds, as the post-mortem's "plan the revert" needs it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Override {
    pub id: String,
    pub target: String,
    pub applied_at: DateTime<Utc>,
    pub what: String,
    pub revert: String,
    pub revert_by: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iac: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    pub v: u32,
    /// The fleet it is about: `SIM manga-release`, `prod@ap-northeast-1`.
    pub source: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub summary: Summary,
    pub items: Vec<Item>,
    pub overrides: Vec<Override>,
    /// Lines of the files that could not be read, and other warnings.
    pub problems: Vec<String>,
}

/// What a timeline is built from.
#[derive(Debug, Default)]
pub struct Inputs {
    pub source: Option<String>,
    /// The fleet the records are about, when the journal names it.
    pub fleet: Option<crate::model::SourceId>,
    pub journal: Vec<Entry>,
    pub audit: Vec<AuditRecord>,
    /// The ledger's active entries of this fleet.
    pub overrides: Vec<ledger::Entry>,
    pub problems: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub window: Window,
    /// Only this service (`cluster/service` or `service`).
    pub service: Option<String>,
    pub sla: Sla,
}

pub fn build(inputs: Inputs, opts: &Options) -> Timeline {
    let newest = inputs
        .journal
        .iter()
        .map(|e| e.at)
        .chain(inputs.audit.iter().map(|r| r.data_time))
        .max();
    let (since, until) = opts.window.resolve(newest);
    let inside = |at: DateTime<Utc>| since.is_none_or(|s| at >= s) && until.is_none_or(|u| at <= u);
    let journal: Vec<&Entry> = inputs.journal.iter().filter(|e| inside(e.at)).collect();
    let mut items: Vec<Item> = journal.iter().filter_map(|e| fleet_item(e)).collect();
    items.extend(operator_items(
        inputs.audit.iter().filter(|r| inside(r.data_time)),
    ));
    items.sort_by_key(|i| i.at);
    assign_phases(&mut items);
    if let Some(wanted) = &opts.service {
        items.retain(|i| match &i.service {
            Some(s) => same_service(s, wanted),
            // Walk records name no service: they stay, they are the response.
            None => i.by == By::Operator,
        });
    }
    let samples: Vec<&Entry> = journal
        .into_iter()
        .filter(|e| matches!(e.what, Recorded::Sample { .. }))
        .collect();
    let summary = Summary::of(&items, &samples, &opts.sla, opts.service.as_deref());
    Timeline {
        v: SCHEMA_VERSION,
        source: inputs.source,
        since,
        until,
        summary,
        items,
        overrides: inputs.overrides.iter().map(override_of).collect(),
        problems: inputs.problems,
    }
}

/// `manga/orchestrator` matches `manga/orchestrator` and `orchestrator` (an
/// alarm's subject names no cluster); two different clusters never match.
pub fn same_service(a: &str, b: &str) -> bool {
    let last = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    a == b || ((!a.contains('/') || !b.contains('/')) && last(a) == last(b))
}

fn fleet_item(e: &Entry) -> Option<Item> {
    let detail = match &e.what {
        Recorded::Sample { .. } => return None,
        Recorded::Interruption {
            stop: Some(stop), ..
        }
        | Recorded::Task {
            stop: Some(stop), ..
        } => {
            json!({ "stop": stop })
        }
        Recorded::Alarm { name, from, to, .. } => json!({ "alarm": name, "from": from, "to": to }),
        Recorded::Deployment {
            state,
            task_definition,
            ..
        } => json!({ "state": state, "task_definition": task_definition }),
        Recorded::ChangedBack {
            field,
            set,
            now,
            action,
            cause,
            ..
        } => json!({ "field": field, "set": set, "now": now, "action": action, "cause": cause }),
        _ => Value::Null,
    };
    Some(Item {
        at: e.at,
        by: By::Fleet,
        kind: e.what.kind(),
        phase: "detect",
        service: e.what.service().map(str::to_string),
        text: e.what.describe(),
        runbook: None,
        operator: None,
        detail,
    })
}

/// Walk records and applies, an intent joined with its result.
fn operator_items<'a>(records: impl Iterator<Item = &'a AuditRecord>) -> Vec<Item> {
    let records: Vec<&AuditRecord> = records.collect();
    let outcomes: HashMap<&str, (&AuditOutcome, Option<&str>)> = records
        .iter()
        .filter_map(|r| match &r.entry {
            AuditEntry::Result {
                apply_id,
                outcome,
                ledger_id,
                ..
            } => Some((apply_id.as_str(), (outcome, ledger_id.as_deref()))),
            _ => None,
        })
        .collect();
    let mut titles: HashMap<(&str, &str), &str> = HashMap::new();
    let mut items = Vec::new();
    for r in records {
        let key = (
            r.runbook.as_deref().unwrap_or_default(),
            r.node.as_deref().unwrap_or_default(),
        );
        let item = |kind, text: String, detail| Item {
            at: r.data_time,
            by: By::Operator,
            kind,
            phase: "detect",
            service: None,
            text,
            runbook: r.runbook.clone(),
            operator: Some(r.operator.clone()),
            detail,
        };
        items.push(match &r.entry {
            AuditEntry::NodeEntered {
                title,
                runbook_phase,
            } => {
                titles.insert(key, title);
                item(
                    "node",
                    title.clone(),
                    json!({ "runbook_phase": runbook_phase, "node": r.node }),
                )
            }
            AuditEntry::Answered { answer, evidence } => item(
                "check",
                check_text(titles.get(&key).copied(), answer, evidence),
                json!({ "node": r.node, "answer": answer, "evidence": evidence }),
            ),
            AuditEntry::Overruled {
                evaluated,
                chosen,
                evidence,
            } => item(
                "overrule",
                format!(
                    "{}: took {chosen} where the data said {evaluated}{}",
                    titles.get(&key).copied().unwrap_or("check"),
                    evidence_text(evidence)
                ),
                json!({ "node": r.node, "evaluated": evaluated, "chosen": chosen, "evidence": evidence }),
            ),
            AuditEntry::StepTicked { step, command } => match command {
                Some(c) => item("step", format!("done: {step}: `{c}`"), json!({ "command": c })),
                None => item("step", format!("done: {step}"), Value::Null),
            },
            AuditEntry::Finished { escalated, text } => item(
                "ended",
                if *escalated {
                    format!("escalated: {text}")
                } else {
                    format!("done: {text}")
                },
                Value::Null,
            ),
            AuditEntry::Intent {
                apply_id,
                request,
                api_call,
                changes,
                confirmed_by,
                revert,
                reverts_entry,
            } => {
                let (outcome, ledger_id) = match outcomes.get(apply_id.as_str()) {
                    Some((o, l)) => (outcome_text(o), *l),
                    None => ("no result recorded: check the fleet".to_string(), None),
                };
                let mut it = item(
                    if reverts_entry.is_some() { "revert" } else { "action" },
                    format!(
                        "{} {}: {} ({outcome})",
                        request.id(),
                        request.target_name(),
                        changes_text(changes, request)
                    ),
                    json!({
                        "request": request,
                        "api_call": api_call,
                        "changes": changes,
                        "revert": revert,
                        "reverts_entry": reverts_entry,
                        "confirmed_by": confirmed_by,
                        "outcome": outcome,
                        "ledger_id": ledger_id,
                    }),
                );
                it.service = request.service().map(ToString::to_string);
                it
            }
            AuditEntry::Refused { request, reasons } => {
                let mut it = item(
                    "refused",
                    format!("{} {} refused: {}", request.id(), request.target_name(), reasons.join("; ")),
                    json!({ "request": request, "reasons": reasons }),
                );
                it.service = request.service().map(ToString::to_string);
                it
            }
            AuditEntry::Result { .. } => continue,
        });
    }
    items
}

fn check_text(title: Option<&str>, answer: &str, evidence: &[Seen]) -> String {
    format!(
        "{}: {answer}{}",
        title.unwrap_or("check"),
        evidence_text(evidence)
    )
}

fn evidence_text(evidence: &[Seen]) -> String {
    if evidence.is_empty() {
        return String::new();
    }
    let seen: Vec<String> = evidence
        .iter()
        .map(|e| format!("{} = {}", e.expr, e.value))
        .collect();
    format!(" [{}]", seen.join("; "))
}

fn changes_text(changes: &[FieldChange], request: &crate::model::request::ActionRequest) -> String {
    if changes.is_empty() {
        return describe_request(request);
    }
    changes
        .iter()
        .map(|c| format!("{} {} -> {}", c.field, c.before, c.after))
        .collect::<Vec<_>>()
        .join(", ")
}

fn outcome_text(o: &AuditOutcome) -> String {
    match o {
        AuditOutcome::Ok { .. } => "ok".into(),
        AuditOutcome::Error { kind, message } => format!("failed, {kind:?}: {message}"),
    }
}

/// Each item takes the runbook phase of the node the operator was at.
fn assign_phases(items: &mut [Item]) {
    let mut phase = "detect";
    for item in items {
        if item.kind == "node"
            && let Some(p) = item.detail.get("runbook_phase").and_then(Value::as_str)
        {
            phase = phase_name(p);
        }
        item.phase = phase;
    }
}

/// The phases in walk order, as the Markdown's sections.
pub const PHASES: [&str; 5] = ["detect", "triage", "mitigate", "verify", "revert"];

fn phase_name(p: &str) -> &'static str {
    PHASES
        .iter()
        .find(|n| **n == p)
        .copied()
        .unwrap_or("detect")
}

fn override_of(e: &ledger::Entry) -> Override {
    Override {
        id: e.id.clone(),
        target: e.target.clone(),
        applied_at: e.applied_at,
        what: describe_request(&e.request),
        revert: e.revert.describe(),
        revert_by: e.revert_by,
        iac: e.iac.clone(),
    }
}
