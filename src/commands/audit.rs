//! `sitrep audit`: the audit log as a table or JSON lines.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use crate::action::audit::{AuditEntry, AuditLog, AuditOutcome, AuditRecord};
use crate::action::revert::Revert;
use crate::config::Paths;
use crate::model::request::ActionRequest;

/// The AWS sessions' audit log, or with `sim` the simulator's and drills'.
/// Lines that cannot be read are warnings on stderr; every other record prints.
pub fn audit(paths: &Paths, json: bool, sim: bool) -> Result<ExitCode> {
    let log = AuditLog::new(if sim {
        paths.sim_audit_log()
    } else {
        paths.audit_log()
    });
    let read = log
        .read()
        .wrap_err_with(|| format!("reading {}", log.path().display()))?;
    for problem in &read.problems {
        eprintln!("warning: {problem}");
    }
    let mut out = std::io::stdout().lock();
    if json {
        for record in &read.records {
            writeln!(out, "{}", serde_json::to_string(record)?)?;
        }
    } else if read.records.is_empty() {
        writeln!(out, "no audit records in {}", log.path().display())?;
    } else {
        write!(out, "{}", audit_table(&read.records))?;
    }
    Ok(ExitCode::SUCCESS)
}

const HEADER: [&str; 7] = [
    "TIME (UTC)",
    "OPERATOR",
    "RUNBOOK/NODE",
    "ACTION",
    "TARGET",
    "OUTCOME",
    "REVERT",
];

/// One row per apply (intent joined with its result), refusal or walk step.
fn audit_table(records: &[AuditRecord]) -> String {
    let mut answered: BTreeMap<&str, (&AuditOutcome, Option<&str>)> = BTreeMap::new();
    for r in records {
        if let AuditEntry::Result {
            apply_id,
            outcome,
            ledger_id,
            ..
        } = &r.entry
        {
            answered.insert(apply_id, (outcome, ledger_id.as_deref()));
        }
    }
    let mut rows: Vec<[String; 7]> = vec![HEADER.map(str::to_string)];
    for r in records {
        let (action, target, outcome, revert) = match &r.entry {
            AuditEntry::Intent {
                apply_id,
                request,
                revert,
                reverts_entry,
                ..
            } => {
                let outcome = match answered.get(apply_id.as_str()) {
                    Some((AuditOutcome::Ok { summary }, ledger)) => match ledger {
                        Some(id) => format!("ok: {summary} (ledger {id})"),
                        None => format!("ok: {summary}"),
                    },
                    Some((AuditOutcome::Error { kind, message }, _)) => {
                        format!("FAILED {kind:?}: {message}")
                    }
                    None => "NO RESULT: the call's outcome is unknown, check the fleet".into(),
                };
                let revert = match reverts_entry {
                    Some(id) => format!("(reverts {id})"),
                    None => revert.as_ref().map_or("-".into(), Revert::describe),
                };
                (request.id().to_string(), target(request), outcome, revert)
            }
            AuditEntry::Refused { request, reasons } => (
                request.id().to_string(),
                target(request),
                format!("refused: {}", reasons.join("; ")),
                "-".into(),
            ),
            AuditEntry::NodeEntered { title, .. } => {
                ("node_entered".into(), title.clone(), "-".into(), "-".into())
            }
            AuditEntry::Answered { answer, .. } => {
                ("answered".into(), answer.clone(), "-".into(), "-".into())
            }
            AuditEntry::Finished { escalated, text } => (
                if *escalated { "escalated" } else { "done" }.into(),
                text.clone(),
                "-".into(),
                "-".into(),
            ),
            AuditEntry::Overruled {
                evaluated, chosen, ..
            } => (
                "overruled".into(),
                format!("{evaluated} -> {chosen}"),
                "-".into(),
                "-".into(),
            ),
            AuditEntry::StepTicked { step, command } => (
                "step_ticked".into(),
                match command {
                    Some(c) => format!("{step}: {c}"),
                    None => step.clone(),
                },
                "done".into(),
                "-".into(),
            ),
            AuditEntry::Result { .. } => continue,
        };
        let where_ = match (&r.runbook, &r.node) {
            (Some(rb), Some(node)) => format!("{rb}/{node}"),
            (Some(rb), None) => rb.clone(),
            _ => "-".into(),
        };
        rows.push([
            r.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.operator.clone(),
            where_,
            action,
            target,
            outcome,
            revert,
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn target(request: &ActionRequest) -> String {
    request
        .service()
        .map_or_else(|| request.target_name(), ToString::to_string)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::action::confirm::ConfirmedBy;
    use crate::action::testing::svc_key;

    fn rec(entry: AuditEntry) -> AuditRecord {
        let mut r = AuditRecord::new(
            Utc::now(),
            "sre",
            None,
            Some("ecs-saturation"),
            Some("raise-max"),
            entry,
        );
        r.time = "2026-11-21T14:00:05Z".parse().unwrap();
        r
    }

    #[test]
    fn intent_without_result_says_outcome_unknown() {
        let req = ActionRequest::SetBounds {
            service: svc_key(),
            min: 10,
            max: 200,
        };
        let table = audit_table(&[rec(AuditEntry::Intent {
            apply_id: "a1".into(),
            request: req.clone(),
            api_call: req.api_call(),
            changes: vec![],
            confirmed_by: ConfirmedBy::Yes,
            revert: None,
            reverts_entry: None,
        })]);
        assert!(table.contains("NO RESULT"), "{table}");
        assert!(table.starts_with("TIME (UTC)"), "{table}");
    }

    #[test]
    fn a_revert_names_the_ledger_entry_it_closes() {
        let req = ActionRequest::SetBounds {
            service: svc_key(),
            min: 10,
            max: 50,
        };
        let records = [
            rec(AuditEntry::Intent {
                apply_id: "a2".into(),
                request: req.clone(),
                api_call: req.api_call(),
                changes: vec![],
                confirmed_by: ConfirmedBy::Yes,
                revert: None,
                reverts_entry: Some("20261121T140000Z-1".into()),
            }),
            rec(AuditEntry::Result {
                apply_id: "a2".into(),
                request: req,
                outcome: AuditOutcome::Ok {
                    summary: "ok".into(),
                },
                ledger_id: None,
            }),
        ];
        let table = audit_table(&records);
        let row = table.lines().nth(1).unwrap();
        assert!(row.contains("  ok: ok  "), "{row}");
        assert!(row.ends_with("(reverts 20261121T140000Z-1)"), "{row}");
        assert_eq!(table.lines().count(), 2, "the result joins its intent");
    }
}
