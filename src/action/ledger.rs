//! The override ledger: every manual override sitrep applies, with the request
//! that reverts it and the time by which it should be reverted.
//!
//! Append-only JSONL like the audit log: an `applied` record per override,
//! then `reverted` / `superseded` / `kept` records that close it. The current
//! state of each entry is the fold of its records.
//!
//! Each entry carries the source it was applied to (`SourceId`). A session's
//! ledger is scoped to its source: it lists, supersedes and reverts only its
//! own fleet's entries. Entries written before sources were recorded belong
//! to no session: they are listed with a warning and never reverted here.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::baseline::Baseline;
use super::revert::Revert;
use crate::jsonl;
use crate::model::cost::CostChange;
use crate::model::request::ActionRequest;
use crate::model::{FleetSnapshot, ServiceKey, SourceId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub service: Option<ServiceKey>,
    /// Service `cluster/name` or cache id.
    pub target: String,
    /// The request that was applied.
    pub request: ActionRequest,
    /// Data time of the apply.
    pub applied_at: DateTime<Utc>,
    pub revert: Revert,
    pub revert_by: DateTime<Utc>,
    /// Set when IaC owns the target: the change must also land in the code.
    pub iac: Option<String>,
    pub operator: String,
    pub runbook: Option<String>,
    /// The fleet the override was applied to; `None` in entries written before
    /// sitrep recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceId>,
    pub state: EntryState,
    /// The service's burn before and after the change at the seed prices:
    /// the revert's price is the same, the other way round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostChange>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryState {
    Active,
    Reverted {
        at: DateTime<Utc>,
        operator: String,
    },
    /// A later override of the same setting took over (and carries this revert).
    Superseded {
        by: String,
    },
    /// The operator decided the override stays (it landed in the code or the baseline).
    Kept {
        at: DateTime<Utc>,
        operator: String,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    Applied(Box<Entry>),
    Reverted {
        id: String,
        at: DateTime<Utc>,
        operator: String,
    },
    Superseded {
        id: String,
        by: String,
    },
    Kept {
        id: String,
        at: DateTime<Utc>,
        operator: String,
    },
}

/// An applied request, as the executor hands it to the ledger.
#[derive(Clone, Debug)]
pub struct Applied<'a> {
    pub request: &'a ActionRequest,
    pub revert: Option<Revert>,
    pub at: DateTime<Utc>,
    pub iac: Option<String>,
    pub operator: &'a str,
    pub runbook: Option<&'a str>,
    pub kind: Kind,
    /// What the change does to the burn, from the preview.
    pub cost: Option<CostChange>,
}

/// What an applied request means for the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Moves a setting away from what autoscaling or the baseline manages: record it.
    Override,
    /// Returns a setting to its declared state: closes the setting's open entries.
    Restore,
    /// Nothing lasting to revert: a forced deployment, or a desired count that
    /// target tracking manages anyway.
    Transient,
}

/// Classify `request` against the fleet before it and the declared baseline.
pub fn classify(
    request: &ActionRequest,
    before: &FleetSnapshot,
    baseline: Option<&Baseline>,
) -> Kind {
    if baseline.is_some_and(|b| b.declares(request)) {
        return Kind::Restore;
    }
    match request {
        // A rollback is where the service should stay, not an override to undo later.
        ActionRequest::ForceNewDeployment { .. } | ActionRequest::SetTaskDefinition { .. } => {
            Kind::Transient
        }
        ActionRequest::ResumeScaleIn { .. } => Kind::Restore,
        ActionRequest::SetDesiredCount { service, .. } => {
            let scaler_manages = before
                .service(service)
                .and_then(|s| s.scaling.as_ref())
                .is_some_and(|t| !t.policies.is_empty() && !t.suspended.scale_in);
            if scaler_manages {
                Kind::Transient
            } else {
                Kind::Override
            }
        }
        _ => Kind::Override,
    }
}

/// What recording an apply did to the ledger.
#[derive(Clone, Debug, PartialEq)]
pub enum LedgerChange {
    /// A new override entry.
    Recorded(Box<Entry>),
    /// The apply restored the state before these entries: they are reverted.
    Closed(Vec<String>),
    /// Not an override (forced deployment, resume, no-op).
    Nothing,
}

/// Whose an entry is, seen from a ledger scoped to one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// This source's (or any entry, for a ledger not scoped to a source).
    Own,
    /// Another source's: not listed, never reverted from here.
    Other,
    /// Recorded without a source: listed with a warning, never reverted from here.
    Unknown,
}

/// The active overrides as a session's revert picker shows them.
#[derive(Clone, Debug, Default)]
pub struct ActiveView {
    /// This source's active entries, oldest first.
    pub own: Vec<Entry>,
    /// Active entries recorded without a source.
    pub unknown: Vec<Entry>,
    /// How many active entries belong to other sources.
    pub others: usize,
    /// Lines of the file that could not be read, as `path:line: what`.
    pub problems: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Ledger {
    path: PathBuf,
    revert_after: Duration,
    /// The session's source; `None` sees every entry (tools, tests).
    source: Option<SourceId>,
}

impl Ledger {
    pub fn new(path: impl Into<PathBuf>, revert_after_hours: f64) -> Self {
        Self {
            path: path.into(),
            revert_after: Duration::milliseconds((revert_after_hours * 3_600_000.0) as i64),
            source: None,
        }
    }

    /// The same file, seen by a session on `source`: new entries carry it, and
    /// only its entries are listed, superseded and reverted.
    pub fn for_source(mut self, source: SourceId) -> Self {
        self.source = Some(source);
        self
    }

    pub fn source(&self) -> Option<&SourceId> {
        self.source.as_ref()
    }

    /// Whose `entry` is, from this ledger's source.
    pub fn owner(&self, entry: &Entry) -> Owner {
        match (&self.source, &entry.source) {
            (None, _) => Owner::Own,
            (Some(_), None) => Owner::Unknown,
            (Some(mine), Some(its)) if mine.same_fleet(its) => Owner::Own,
            (Some(_), Some(_)) => Owner::Other,
        }
    }

    /// The ledger of a session on `source` (the simulator's apart from AWS's),
    /// scoped to it, with the configured revert-by delay.
    pub fn from_config(
        paths: &crate::config::Paths,
        cfg: &crate::config::LedgerConfig,
        source: &crate::model::SourceInfo,
    ) -> Self {
        Self::new(paths.ledger_for(source), cfg.revert_after_hours).for_source(source.id())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry in its current state, oldest first, with lines that did not parse.
    pub fn load(&self) -> io::Result<(Vec<Entry>, Vec<String>)> {
        let read: jsonl::Read<Record> = jsonl::read(&self.path)?;
        let mut entries: Vec<Entry> = Vec::new();
        for record in read.records {
            let (id, state) = match record {
                Record::Applied(entry) => {
                    entries.push(*entry);
                    continue;
                }
                Record::Reverted { id, at, operator } => {
                    (id, EntryState::Reverted { at, operator })
                }
                Record::Superseded { id, by } => (id, EntryState::Superseded { by }),
                Record::Kept { id, at, operator } => (id, EntryState::Kept { at, operator }),
            };
            if let Some(e) = entries.iter_mut().find(|e| e.id == id) {
                e.state = state;
            }
        }
        Ok((entries, read.problems))
    }

    pub fn entries(&self) -> io::Result<Vec<Entry>> {
        let (entries, problems) = self.load()?;
        for p in problems {
            tracing::warn!("ledger: {p}");
        }
        Ok(entries)
    }

    pub fn find(&self, id: &str) -> io::Result<Option<Entry>> {
        Ok(self.entries()?.into_iter().find(|e| e.id == id))
    }

    /// This source's active entries.
    pub fn active(&self) -> io::Result<Vec<Entry>> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.state == EntryState::Active && self.owner(e) == Owner::Own)
            .collect())
    }

    /// Every active entry sorted by owner, with the lines that did not parse.
    pub fn active_view(&self) -> io::Result<ActiveView> {
        let (entries, problems) = self.load()?;
        let mut view = ActiveView {
            problems,
            ..ActiveView::default()
        };
        for e in entries
            .into_iter()
            .filter(|e| e.state == EntryState::Active)
        {
            match self.owner(&e) {
                Owner::Own => view.own.push(e),
                Owner::Unknown => view.unknown.push(e),
                Owner::Other => view.others += 1,
            }
        }
        Ok(view)
    }

    /// The entry `id` if this source may revert it now: active and its own.
    pub fn revertible(&self, id: &str) -> Result<Entry, String> {
        let entry = self
            .find(id)
            .map_err(|e| format!("ledger {} unreadable: {e}", self.path.display()))?
            .ok_or_else(|| format!("no ledger entry {id}"))?;
        let mine = self
            .source
            .as_ref()
            .map_or_else(|| "this session".to_string(), ToString::to_string);
        match (self.owner(&entry), &entry.source) {
            (Owner::Own, _) => {}
            (Owner::Unknown, _) | (Owner::Other, None) => {
                return Err(format!(
                    "ledger entry {id} was recorded without its source: sitrep cannot tell \
                     which fleet it changed, so it is not reverted from {mine}; check it by hand"
                ));
            }
            (Owner::Other, Some(its)) => {
                return Err(format!(
                    "ledger entry {id} belongs to {its}, not to {mine}: revert it from a session on that source"
                ));
            }
        }
        if entry.state != EntryState::Active {
            return Err(format!(
                "ledger entry {id} is not active ({:?})",
                entry.state
            ));
        }
        Ok(entry)
    }

    /// Active entries past their revert-by time (data time).
    pub fn overdue(&self, now: DateTime<Utc>) -> io::Result<Vec<Entry>> {
        Ok(self
            .active()?
            .into_iter()
            .filter(|e| e.revert_by <= now)
            .collect())
    }

    /// The operator keeps an override on purpose; it stops being flagged.
    pub fn keep(&self, id: &str, operator: &str, at: DateTime<Utc>) -> io::Result<()> {
        self.require_active(id)?;
        jsonl::append(
            &self.path,
            &Record::Kept {
                id: id.into(),
                at,
                operator: operator.into(),
            },
        )
    }

    /// The operator reverted an entry elsewhere (a manual revert such as
    /// deleting a scheduled action) and ticks it off.
    pub fn reverted_by_hand(&self, id: &str, operator: &str, at: DateTime<Utc>) -> io::Result<()> {
        self.require_active(id)?;
        jsonl::append(
            &self.path,
            &Record::Reverted {
                id: id.into(),
                at,
                operator: operator.into(),
            },
        )
    }

    fn require_active(&self, id: &str) -> io::Result<Entry> {
        match self.find(id)? {
            Some(e) if self.owner(&e) != Owner::Own => Err(io::Error::other(format!(
                "ledger entry {id} is not this source's ({})",
                e.source
                    .as_ref()
                    .map_or_else(|| "recorded without a source".into(), ToString::to_string)
            ))),
            Some(e) if e.state == EntryState::Active => Ok(e),
            Some(e) => Err(io::Error::other(format!(
                "ledger entry {id} is not active ({:?})",
                e.state
            ))),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no ledger entry {id} in {}", self.path.display()),
            )),
        }
    }

    /// Record a successful apply. A request that restores what active entries
    /// overrode (their revert, or the baseline) closes them; a new override of
    /// a setting that is already overridden supersedes the older entry and
    /// inherits its revert, so the revert always returns to the state before
    /// the first override.
    pub fn record(&self, applied: Applied<'_>) -> io::Result<LedgerChange> {
        let Some(slot) = slot(applied.request) else {
            return Ok(LedgerChange::Nothing);
        };
        let (entries, _) = self.load()?;
        let same: Vec<&Entry> = entries
            .iter()
            .filter(|e| {
                e.state == EntryState::Active
                    && self.owner(e) == Owner::Own
                    && slot_of(e) == Some(slot.clone())
            })
            .collect();
        let restores = applied.kind == Kind::Restore
            || same
                .iter()
                .any(|e| e.revert.request() == Some(applied.request));
        if restores {
            let ids: Vec<String> = same.iter().map(|e| e.id.clone()).collect();
            if ids.is_empty() {
                return Ok(LedgerChange::Nothing);
            }
            for id in &ids {
                jsonl::append(
                    &self.path,
                    &Record::Reverted {
                        id: id.clone(),
                        at: applied.at,
                        operator: applied.operator.into(),
                    },
                )?;
            }
            return Ok(LedgerChange::Closed(ids));
        }
        let revert = match (same.first(), applied.revert) {
            (Some(first), _) => first.revert.clone(),
            (None, Some(revert)) if applied.kind == Kind::Override => revert,
            _ => return Ok(LedgerChange::Nothing),
        };
        let applied_count = entries.len();
        let entry = Box::new(Entry {
            id: format!(
                "{}-{}",
                applied.at.format("%Y%m%dT%H%M%SZ"),
                applied_count + 1
            ),
            service: applied.request.service().cloned(),
            target: slot.0,
            request: applied.request.clone(),
            applied_at: applied.at,
            revert,
            revert_by: applied.at + self.revert_after,
            iac: applied
                .iac
                .map(|owner| format!("managed by {owner}: the change must also land in the code")),
            operator: applied.operator.into(),
            runbook: applied.runbook.map(str::to_string),
            source: self.source.clone(),
            state: EntryState::Active,
            cost: applied.cost,
        });
        jsonl::append(&self.path, &Record::Applied(entry.clone()))?;
        for older in same {
            jsonl::append(
                &self.path,
                &Record::Superseded {
                    id: older.id.clone(),
                    by: entry.id.clone(),
                },
            )?;
        }
        Ok(LedgerChange::Recorded(entry))
    }
}

/// The setting a request writes: (target, setting). Two requests with the same
/// slot override each other.
fn slot(request: &ActionRequest) -> Option<(String, String)> {
    let target = request
        .service()
        .map_or_else(|| request.target_name(), ToString::to_string);
    let setting = match request {
        ActionRequest::SetDesiredCount { .. } => "desired".to_string(),
        ActionRequest::SetBounds { .. } => "bounds".into(),
        ActionRequest::SetCapacityProviderStrategy { .. } => "strategy".into(),
        ActionRequest::SuspendScaleIn { .. } | ActionRequest::ResumeScaleIn { .. } => {
            "scale-in".into()
        }
        ActionRequest::PutScheduledAction { name, .. } => format!("scheduled {name}"),
        ActionRequest::SetMaxmemoryPolicy { .. } => "maxmemory-policy".into(),
        ActionRequest::SetTaskDefinition { .. } => "task-definition".into(),
        ActionRequest::ForceNewDeployment { .. } => return None,
    };
    Some((target, setting))
}

fn slot_of(entry: &Entry) -> Option<(String, String)> {
    slot(&entry.request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::testing::{fleet, suspend_scale_in, svc_key};

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::hours(h)
    }

    /// A ledger in a fresh directory (kept alive by the returned guard).
    fn ledger_in_tempdir(revert_after_hours: f64) -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path().join("ledger.jsonl"), revert_after_hours);
        (dir, ledger)
    }

    fn bounds(min: u32, max: u32) -> ActionRequest {
        ActionRequest::SetBounds {
            service: svc_key(),
            min,
            max,
        }
    }

    fn apply(
        ledger: &Ledger,
        req: &ActionRequest,
        revert: Option<ActionRequest>,
        h: i64,
    ) -> LedgerChange {
        ledger
            .record(Applied {
                request: req,
                revert: revert.map(|request| Revert::Request { request }),
                at: at(h),
                iac: None,
                operator: "sre",
                runbook: None,
                kind: classify(req, &fleet(), None),
                cost: None,
            })
            .unwrap()
    }

    #[test]
    fn override_becomes_overdue_after_revert_after_hours() {
        let (_dir, ledger) = ledger_in_tempdir(24.0);
        let LedgerChange::Recorded(e) = apply(&ledger, &bounds(100, 200), Some(bounds(10, 50)), 0)
        else {
            panic!("not recorded")
        };
        assert_eq!(e.revert_by, at(24));
        assert_eq!(ledger.active().unwrap().len(), 1);
        assert!(ledger.overdue(at(23)).unwrap().is_empty());
        assert_eq!(ledger.overdue(at(24)).unwrap()[0].id, e.id);
    }

    #[test]
    fn second_override_supersedes_and_keeps_the_first_revert() {
        let (_dir, ledger) = ledger_in_tempdir(24.0);
        apply(&ledger, &bounds(10, 200), Some(bounds(10, 50)), 0);
        let LedgerChange::Recorded(second) =
            apply(&ledger, &bounds(100, 200), Some(bounds(10, 200)), 1)
        else {
            panic!("not recorded")
        };
        assert_eq!(second.revert.request(), Some(&bounds(10, 50)));
        let active = ledger.active().unwrap();
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].id, second.id);
        // Applying the revert closes it instead of recording a new override.
        let LedgerChange::Closed(ids) = apply(&ledger, &bounds(10, 50), Some(bounds(100, 200)), 2)
        else {
            panic!("not closed")
        };
        assert_eq!(ids, vec![second.id.clone()]);
        assert!(ledger.active().unwrap().is_empty());
        assert!(matches!(
            ledger.find(&second.id).unwrap().unwrap().state,
            EntryState::Reverted { .. }
        ));
    }

    #[test]
    fn resume_without_suspend_and_forced_deployments_are_not_overrides() {
        let (_dir, ledger) = ledger_in_tempdir(24.0);
        let resume = ActionRequest::ResumeScaleIn { service: svc_key() };
        let suspend = ActionRequest::SuspendScaleIn { service: svc_key() };
        assert_eq!(
            apply(&ledger, &resume, Some(suspend), 0),
            LedgerChange::Nothing
        );
        let deploy = ActionRequest::ForceNewDeployment { service: svc_key() };
        assert_eq!(apply(&ledger, &deploy, None, 0), LedgerChange::Nothing);
        assert!(ledger.entries().unwrap().is_empty());
    }

    #[test]
    fn manual_revert_is_ticked_off_by_hand() {
        let (_dir, ledger) = ledger_in_tempdir(24.0);
        let put = ActionRequest::PutScheduledAction {
            service: svc_key(),
            name: "prewarm".into(),
            schedule: "cron(15 23 * * ? *)".into(),
            min: Some(100),
            max: None,
        };
        let change = ledger
            .record(Applied {
                request: &put,
                revert: crate::action::revert::revert_of(&put, &fleet()),
                at: at(0),
                iac: None,
                operator: "sre",
                runbook: None,
                kind: classify(&put, &fleet(), None),
                cost: None,
            })
            .unwrap();
        let LedgerChange::Recorded(e) = change else {
            panic!("{change:?}")
        };
        assert!(e.revert.request().is_none(), "no delete in the catalogue");
        ledger.reverted_by_hand(&e.id, "sre", at(1)).unwrap();
        assert!(matches!(
            ledger.find(&e.id).unwrap().unwrap().state,
            EntryState::Reverted { .. }
        ));
    }

    #[test]
    fn restoring_the_baseline_closes_instead_of_recording() {
        let (_dir, ledger) = ledger_in_tempdir(24.0);
        let snap = fleet();
        let baseline = crate::action::baseline::capture(&snap);
        // An override recorded with a revert that is not the baseline (10/50).
        apply(&ledger, &bounds(100, 200), Some(bounds(20, 60)), 0);
        let back = bounds(10, 50);
        assert_eq!(classify(&back, &snap, Some(&baseline)), Kind::Restore);
        let change = ledger
            .record(Applied {
                request: &back,
                revert: Some(Revert::Request {
                    request: bounds(100, 200),
                }),
                at: at(1),
                iac: None,
                operator: "sre",
                runbook: None,
                kind: Kind::Restore,
                cost: None,
            })
            .unwrap();
        assert!(matches!(change, LedgerChange::Closed(ref ids) if ids.len() == 1));
        assert!(ledger.active().unwrap().is_empty());
    }

    #[test]
    fn desired_count_under_target_tracking_is_transient() {
        let mut snap = fleet();
        let desired = ActionRequest::SetDesiredCount {
            service: svc_key(),
            desired: 45,
        };
        assert_eq!(classify(&desired, &snap, None), Kind::Transient);
        suspend_scale_in(&mut snap);
        assert_eq!(classify(&desired, &snap, None), Kind::Override);
    }

    #[test]
    fn kept_entries_stop_being_flagged() {
        let (_dir, ledger) = ledger_in_tempdir(1.0);
        let LedgerChange::Recorded(e) = apply(&ledger, &bounds(20, 60), Some(bounds(10, 50)), 0)
        else {
            panic!("not recorded")
        };
        ledger.keep(&e.id, "sre", at(2)).unwrap();
        assert!(ledger.overdue(at(3)).unwrap().is_empty());
        assert!(ledger.reverted_by_hand(&e.id, "sre", at(3)).is_err());
        assert!(ledger.keep(&e.id, "sre", at(3)).is_err());
        assert!(
            ledger
                .keep("nope", "sre", at(3))
                .unwrap_err()
                .to_string()
                .contains("no ledger entry nope")
        );
    }
}
