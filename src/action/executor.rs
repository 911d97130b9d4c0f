//! The executor: the one place in sitrep that calls `FleetWriter::apply`.
//!
//! Read-only by construction: an `Executor` cannot exist without a writer, and
//! a read-only session never builds a writer (`Executor::for_session` does not
//! even call the writer factory), so the UI holds `Option<Executor>` and the
//! read-only path has nothing to call. Only a `ConfirmedAction` gets in.
//!
//! Order of one apply: re-check guards against the latest snapshot; audit the
//! intent (fsync); call the writer; audit the result (fsync); on success
//! record the override and its revert in the ledger. No intent record, no call.
//!
//! The executor knows its source (the simulator's scenario and seed, or the
//! AWS account, region and profile): every record it writes carries it, its
//! ledger sees only that source's entries, and it refuses to revert another's.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};

use super::audit::{AuditEntry, AuditLog, AuditOutcome, AuditRecord};
use super::baseline::Baseline;
use super::confirm::ConfirmedAction;
use super::guards::{self, GuardOptions, GuardResult};
use super::ledger::{self, Applied, Ledger, LedgerChange};
use super::preview;
use super::revert::{Revert, revert_of};
use crate::model::request::WriteError;
use crate::model::request::{ActionOutcome, ActionRequest};
use crate::model::{FleetSnapshot, SourceInfo};
use crate::source::FleetWriter;

/// Where an apply comes from and what it is judged against.
#[derive(Clone, Copy, Debug)]
pub struct ApplyContext<'a> {
    pub runbook: Option<&'a str>,
    pub node: Option<&'a str>,
    /// The latest snapshot: guards are re-checked and the revert computed from it.
    pub snapshot: &'a FleetSnapshot,
    /// Data time now, for staleness and the ledger (default: the snapshot's time).
    pub now: DateTime<Utc>,
    /// The declared baseline: a request that restores it closes overrides instead of adding one.
    pub baseline: Option<&'a Baseline>,
}

impl<'a> ApplyContext<'a> {
    pub fn new(snapshot: &'a FleetSnapshot) -> Self {
        Self {
            runbook: None,
            node: None,
            snapshot,
            now: snapshot.taken_at,
            baseline: None,
        }
    }

    pub fn with_baseline(mut self, baseline: &'a Baseline) -> Self {
        self.baseline = Some(baseline);
        self
    }

    pub fn in_runbook(mut self, runbook: &'a str, node: &'a str) -> Self {
        self.runbook = Some(runbook);
        self.node = Some(node);
        self
    }

    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Applied {
        /// What the API answered.
        summary: String,
        revert: Option<Revert>,
        ledger: LedgerChange,
        /// Bookkeeping that failed after the write succeeded.
        warnings: Vec<String>,
    },
    /// A guard failed at apply time; nothing was sent.
    Refused { guards: Vec<GuardResult> },
    /// The API refused or failed; audited, no ledger entry.
    Failed { error: WriteError },
    /// Nothing was sent: the intent could not be audited, or the revert is not applicable.
    NotSent { reason: String },
}

impl Outcome {
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied { .. })
    }
}

/// What the walk and the drill need from the executor's answer.
impl From<&Outcome> for ActionOutcome {
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Applied { .. } => ActionOutcome::Applied,
            Outcome::Refused { .. } => ActionOutcome::Refused(outcome.to_string()),
            Outcome::Failed { .. } | Outcome::NotSent { .. } => {
                ActionOutcome::Failed(outcome.to_string())
            }
        }
    }
}

/// One line for the status bar and the headless runner.
impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Applied {
                summary,
                revert,
                ledger,
                warnings,
            } => {
                write!(f, "applied: {summary}")?;
                match ledger {
                    LedgerChange::Recorded(entry) => write!(
                        f,
                        "; override {} recorded, revert by {}",
                        entry.id,
                        entry.revert_by.format("%Y-%m-%d %H:%M UTC")
                    )?,
                    LedgerChange::Closed(ids) => write!(f, "; closes {}", ids.join(", "))?,
                    LedgerChange::Nothing => {}
                }
                if let Some(revert) = revert {
                    write!(f, "; revert: {}", revert.describe())?;
                }
                for w in warnings {
                    write!(f, "; WARNING {w}")?;
                }
                Ok(())
            }
            Outcome::Refused { guards } => {
                let reasons: Vec<&str> = guards
                    .iter()
                    .filter(|g| !g.ok)
                    .map(|g| g.message.as_str())
                    .collect();
                write!(f, "refused: {}", reasons.join("; "))
            }
            Outcome::Failed { error } => write!(f, "failed: {error}"),
            Outcome::NotSent { reason } => write!(f, "not sent: {reason}"),
        }
    }
}

pub struct Executor {
    writer: Box<dyn FleetWriter>,
    audit: AuditLog,
    ledger: Ledger,
    operator: String,
    source: SourceInfo,
    max_age: Duration,
    /// One write at a time: ledger ids and supersede decisions read the file first.
    serial: tokio::sync::Mutex<()>,
    applies: AtomicU64,
}

impl Executor {
    /// An executor writing to `source`; `ledger` is scoped to it.
    pub fn new(
        writer: Box<dyn FleetWriter>,
        audit: AuditLog,
        ledger: Ledger,
        operator: String,
        source: SourceInfo,
    ) -> Self {
        Self {
            writer,
            audit,
            ledger: ledger.for_source(source.id()),
            operator,
            source,
            max_age: Duration::seconds(GuardOptions::DEFAULT_MAX_AGE_S),
            serial: tokio::sync::Mutex::new(()),
            applies: AtomicU64::new(0),
        }
    }

    /// The executor a session gets: none when read-only, and then the writer
    /// factory is never called, so no writer (no credentials for writing, no
    /// client) exists in the process.
    pub fn for_session(
        read_only: bool,
        make_writer: impl FnOnce() -> Box<dyn FleetWriter>,
        audit: AuditLog,
        ledger: Ledger,
        operator: String,
        source: SourceInfo,
    ) -> Option<Self> {
        (!read_only).then(|| Self::new(make_writer(), audit, ledger, operator, source))
    }

    /// How old a snapshot part may be before guards call it stale.
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The ledger, scoped to this executor's source.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Who applies through this executor, as the audit log names them.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// A step's command the operator ran outside sitrep (the audit log has it
    /// from the walk): the simulator plays it; AWS saw it from their shell.
    pub fn operator_ran(&self, command: &str) -> Option<String> {
        self.writer.operator_ran(command)
    }

    pub async fn apply(&self, action: ConfirmedAction, ctx: ApplyContext<'_>) -> Outcome {
        self.run(action, ctx, None).await
    }

    /// The request that would revert a ledger entry, for the UI to preview and
    /// confirm: only for an active entry of this executor's own source.
    pub fn revert_request(&self, entry_id: &str) -> Result<ActionRequest, String> {
        let entry = self.ledger.revertible(entry_id)?;
        entry
            .revert
            .request()
            .cloned()
            .ok_or_else(|| entry.revert.describe())
    }

    /// Apply the recorded revert of a ledger entry through the same path
    /// (guards, audit, writer); the ledger marks the entry reverted. The
    /// confirmed request must be that entry's revert.
    pub async fn revert(
        &self,
        entry_id: &str,
        action: ConfirmedAction,
        ctx: ApplyContext<'_>,
    ) -> Outcome {
        match self.revert_request(entry_id) {
            Ok(req) if &req == action.request() => self.run(action, ctx, Some(entry_id)).await,
            Ok(req) => Outcome::NotSent {
                reason: format!(
                    "confirmed {} is not the revert of {entry_id} ({})",
                    action.request().id(),
                    req.id()
                ),
            },
            Err(reason) => Outcome::NotSent { reason },
        }
    }

    async fn run(
        &self,
        action: ConfirmedAction,
        ctx: ApplyContext<'_>,
        reverts_entry: Option<&str>,
    ) -> Outcome {
        let _one = self.serial.lock().await;
        let request = action.request();
        let snapshot = ctx.snapshot;
        let record = |entry| {
            AuditRecord::new(
                ctx.now,
                &self.operator,
                Some(&self.source),
                ctx.runbook,
                ctx.node,
                entry,
            )
        };

        let opts = GuardOptions {
            writable: true,
            now: ctx.now,
            max_age: self.max_age,
        };
        let checked = guards::check(request, snapshot, &opts);
        if guards::blocked(&checked) {
            let reasons = checked
                .iter()
                .filter(|g| !g.ok)
                .map(|g| g.message.clone())
                .collect();
            if let Err(e) = self.audit.append(&record(AuditEntry::Refused {
                request: request.clone(),
                reasons,
            })) {
                tracing::warn!("audit: refused record not written: {e}");
            }
            return Outcome::Refused { guards: checked };
        }

        let apply_id = format!(
            "{:x}-{}",
            Utc::now().timestamp_millis(),
            self.applies.fetch_add(1, Ordering::Relaxed) + 1
        );
        let revert = revert_of(request, snapshot);
        let preview = preview::preview(request, snapshot);
        let intent = AuditEntry::Intent {
            apply_id: apply_id.clone(),
            request: request.clone(),
            api_call: request.api_call(),
            changes: preview.changes,
            confirmed_by: action.confirmed_by(),
            revert: revert.clone(),
            reverts_entry: reverts_entry.map(str::to_string),
        };
        if let Err(e) = self.audit.append(&record(intent)) {
            return Outcome::NotSent {
                reason: format!(
                    "the audit log {} is not writable ({e}): nothing was sent",
                    self.audit.path().display()
                ),
            };
        }

        let answer = self.writer.apply(request).await;

        let mut warnings = Vec::new();
        let ledger = match &answer {
            Ok(_) => self
                .ledger
                .record(Applied {
                    request,
                    revert: revert.clone(),
                    at: ctx.now,
                    iac: request
                        .service()
                        .and_then(|k| snapshot.service(k))
                        .and_then(|s| s.iac_owner()),
                    operator: &self.operator,
                    runbook: ctx.runbook,
                    kind: ledger::classify(request, snapshot, ctx.baseline),
                    cost: preview.cost,
                })
                .unwrap_or_else(|e| {
                    warnings.push(format!(
                        "applied, but the ledger {} was not updated ({e}); revert by hand: {}",
                        self.ledger.path().display(),
                        revert.as_ref().map_or("none".into(), Revert::describe)
                    ));
                    LedgerChange::Nothing
                }),
            Err(_) => LedgerChange::Nothing,
        };
        let ledger_id = match &ledger {
            LedgerChange::Recorded(entry) => Some(entry.id.clone()),
            _ => None,
        };
        if let Err(e) = self.audit.append(&record(AuditEntry::Result {
            apply_id,
            request: request.clone(),
            outcome: AuditOutcome::from_write(&answer),
            ledger_id,
        })) {
            warnings.push(format!("the result record was not audited: {e}"));
        }
        match answer {
            Ok(summary) => Outcome::Applied {
                summary,
                revert,
                ledger,
                warnings,
            },
            Err(error) => Outcome::Failed { error },
        }
    }
}
