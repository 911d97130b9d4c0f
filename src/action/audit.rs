//! The audit log: append-only JSONL, one fsync'd record per line.
//!
//! Every write attempt leaves an `intent` record before the API call and a
//! `result` record after it; an intent without a result means the process
//! died mid-call and the outcome must be checked by hand. Runbook navigation
//! (`node_entered`, `overruled`, `step_ticked`) goes in the same log.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::confirm::ConfirmedBy;
use super::preview::FieldChange;
use super::revert::Revert;
use crate::jsonl;
use crate::model::request::{ActionRequest, ApiCall};
use crate::model::request::{WriteError, WriteErrorKind};
use crate::model::{SourceId, SourceInfo};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Wall clock, UTC.
    pub time: DateTime<Utc>,
    /// Data time of the snapshot the decision was made on (simulated time on the simulator).
    pub data_time: DateTime<Utc>,
    pub operator: String,
    /// Where the data came from: `SIM calm`, `prod-admin@ap-northeast-1`.
    pub source: String,
    /// Which fleet: the simulator's scenario and seed, or the AWS account,
    /// region and profile. Absent in records written before sitrep kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<SourceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "one record per write, serialized and dropped at once"
)]
pub enum AuditEntry {
    /// Written and fsync'd before the API call.
    Intent {
        apply_id: String,
        request: ActionRequest,
        api_call: ApiCall,
        /// Affected fields, before and after.
        changes: Vec<FieldChange>,
        confirmed_by: ConfirmedBy,
        revert: Option<Revert>,
        /// Set when this applies the revert of a ledger entry.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverts_entry: Option<String>,
    },
    /// Written and fsync'd after the API call answered.
    Result {
        apply_id: String,
        request: ActionRequest,
        outcome: AuditOutcome,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ledger_id: Option<String>,
    },
    /// Guards refused the action at apply time; nothing was sent.
    Refused {
        request: ActionRequest,
        reasons: Vec<String>,
    },
    NodeEntered {
        title: String,
        /// The runbook phase the node is in: detect, triage, mitigate, verify, revert.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook_phase: Option<String>,
    },
    /// A check answered as the data said, with the evidence shown.
    Answered {
        answer: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<Seen>,
    },
    /// The operator took another branch than the evaluated one.
    Overruled {
        evaluated: String,
        chosen: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<Seen>,
    },
    /// The walk ended: done, or escalated to a person.
    Finished { escalated: bool, text: String },
    /// A manual step performed elsewhere and ticked off, with the command
    /// it asked the operator to run.
    StepTicked {
        step: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
    },
}

/// One figure of a check's evidence as the operator saw it: `service.cpu_pct = 94.0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    pub expr: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuditOutcome {
    Ok {
        summary: String,
    },
    Error {
        kind: WriteErrorKind,
        message: String,
    },
}

impl AuditOutcome {
    pub fn from_write(result: &Result<String, WriteError>) -> Self {
        match result {
            Ok(summary) => AuditOutcome::Ok {
                summary: scrub(summary),
            },
            Err(e) => AuditOutcome::Error {
                kind: e.kind,
                message: scrub(&e.message),
            },
        }
    }
}

impl AuditRecord {
    /// A record stamped with the wall clock now and its source (`None` only
    /// when no data has arrived yet, so there is no fleet to name).
    pub fn new(
        data_time: DateTime<Utc>,
        operator: &str,
        source: Option<&SourceInfo>,
        runbook: Option<&str>,
        node: Option<&str>,
        entry: AuditEntry,
    ) -> Self {
        Self {
            time: Utc::now(),
            data_time,
            operator: operator.to_string(),
            source: source.map(SourceInfo::label).unwrap_or_default(),
            source_id: source.map(SourceInfo::id),
            runbook: runbook.map(str::to_string),
            node: node.map(str::to_string),
            entry,
        }
    }
}

/// The audit log file. Cheap to clone; every append opens, writes one line and fsyncs.
#[derive(Clone, Debug)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The audit log of a session on `source`: the simulator's apart from AWS's.
    pub fn for_source(paths: &crate::config::Paths, source: &SourceInfo) -> Self {
        Self::new(paths.audit_log_for(source))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, record: &AuditRecord) -> io::Result<()> {
        jsonl::append(&self.path, record)
    }

    /// Every record; a torn last line is reported in `problems`, not fatal.
    pub fn read(&self) -> io::Result<jsonl::Read<AuditRecord>> {
        jsonl::read(&self.path)
    }
}

/// Who is operating: `SITREP_OPERATOR` (shared or container accounts), else the login name.
pub fn operator_from_env() -> String {
    ["SITREP_OPERATOR", "USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// Redact anything credential-like from API text before it is written:
/// access key ids and presigned-URL signature parameters.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(len) = access_key_len(rest) {
            out.push_str(&rest[..4]);
            out.push_str("****");
            rest = &rest[len..];
        } else if let Some(param) = [
            "X-Amz-Signature=",
            "X-Amz-Credential=",
            "X-Amz-Security-Token=",
        ]
        .iter()
        .find(|p| rest.starts_with(**p))
        {
            out.push_str(param);
            out.push_str("****");
            let value_end = rest[param.len()..]
                .find(|c: char| c == '&' || c.is_whitespace() || c == '"')
                .map_or(rest.len(), |i| i + param.len());
            rest = &rest[value_end..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
fn access_key_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let prefixed = b.starts_with(b"AKIA") || b.starts_with(b"ASIA");
    (prefixed
        && b.len() >= 20
        && b[4..20]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
    .then_some(20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::svc_key;

    fn calm() -> SourceInfo {
        SourceInfo::Sim {
            scenario: "calm".into(),
            seed: 7,
            speed: 1.0,
        }
    }

    #[test]
    fn records_written_before_sources_were_kept_still_read() {
        let old = r#"{"time":"2026-11-21T14:00:05Z","data_time":"2026-11-21T14:00:00Z","operator":"sre","source":"SIM calm","phase":"step_ticked","step":"paged"}"#;
        let rec: AuditRecord = serde_json::from_str(old).unwrap();
        assert_eq!(rec.source, "SIM calm");
        assert_eq!(rec.source_id, None);
    }

    #[test]
    fn scrubs_access_keys_and_signatures() {
        let s = scrub(
            "denied for AKIAIOSFODNN7EXAMPLE at https://x/?X-Amz-Credential=abc%2F&X-Amz-Signature=deadbeef ok",
        );
        assert_eq!(
            s,
            "denied for AKIA**** at https://x/?X-Amz-Credential=****&X-Amz-Signature=**** ok"
        );
        assert_eq!(scrub("AKIA short"), "AKIA short");
    }

    #[test]
    fn records_round_trip_with_phase_tag() {
        let rec = AuditRecord::new(
            Utc::now(),
            "sre",
            Some(&calm()),
            Some("ecs-saturation"),
            Some("raise-max"),
            AuditEntry::Result {
                apply_id: "a1".into(),
                request: ActionRequest::SuspendScaleIn { service: svc_key() },
                outcome: AuditOutcome::Error {
                    kind: WriteErrorKind::Throttled,
                    message: "Rate exceeded".into(),
                },
                ledger_id: None,
            },
        );
        let line = serde_json::to_string(&rec).unwrap();
        assert!(
            line.contains(
                r#""source":"SIM calm","source_id":{"kind":"sim","scenario":"calm","seed":7}"#
            ),
            "{line}"
        );
        assert!(line.contains(r#""phase":"result""#), "{line}");
        assert!(line.contains(r#""status":"error""#), "{line}");
        assert_eq!(serde_json::from_str::<AuditRecord>(&line).unwrap(), rec);
        let walk = AuditRecord::new(
            Utc::now(),
            "sre",
            Some(&calm()),
            Some("spot-cascade"),
            Some("regional?"),
            AuditEntry::Overruled {
                evaluated: "local".into(),
                chosen: "regional".into(),
                evidence: vec![Seen {
                    expr: "interrupted_share(5.0)".into(),
                    value: "12".into(),
                }],
            },
        );
        let line = serde_json::to_string(&walk).unwrap();
        assert!(line.contains(r#""phase":"overruled""#), "{line}");
        assert_eq!(serde_json::from_str::<AuditRecord>(&line).unwrap(), walk);
    }
}
