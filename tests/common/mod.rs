//! Shared fixtures: the action suites' fleet and fake writer, moto servers
//! for the AWS suites and moto's request recorder.

pub mod moto;
pub mod recording;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sitrep::action::audit::{AuditEntry, AuditLog, AuditRecord};
use sitrep::action::confirm::{ConfirmInput, ConfirmStep, Confirmation, ConfirmedAction};
use sitrep::action::executor::Executor;
use sitrep::action::ledger::Ledger;
use sitrep::model::request::ActionRequest;
use sitrep::model::request::WriteError;
use sitrep::model::{FleetSnapshot, ServiceKey};
use sitrep::source::{FleetWriter, WriteFuture};

pub fn fleet() -> FleetSnapshot {
    serde_json::from_str(include_str!("../fixtures/action_fleet.json")).unwrap()
}

pub fn orchestrator() -> ServiceKey {
    ServiceKey::new("manga", "orchestrator")
}

/// What the fake writer saw on each call: the request and the audit log's last
/// record at that moment (to prove the intent was on disk before the call).
#[derive(Clone, Debug)]
pub struct Call {
    pub request: ActionRequest,
    pub last_audit: Option<AuditRecord>,
}

/// A `FleetWriter` that records calls and answers with a fixed result.
pub struct Recording {
    pub calls: Arc<Mutex<Vec<Call>>>,
    pub audit_path: PathBuf,
    pub answer: Result<String, WriteError>,
}

impl FleetWriter for Recording {
    fn apply<'a>(&'a self, request: &'a ActionRequest) -> WriteFuture<'a> {
        let last_audit = AuditLog::new(&self.audit_path)
            .read()
            .unwrap()
            .records
            .pop();
        self.calls.lock().unwrap().push(Call {
            request: request.clone(),
            last_audit,
        });
        let answer = self.answer.clone();
        Box::pin(async move { answer })
    }
}

pub struct Rig {
    pub dir: tempfile::TempDir,
    pub executor: Executor,
    pub calls: Arc<Mutex<Vec<Call>>>,
}

impl Rig {
    pub fn new(answer: Result<String, WriteError>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::in_dir(dir, answer)
    }

    pub fn in_dir(dir: tempfile::TempDir, answer: Result<String, WriteError>) -> Self {
        let audit_path = dir.path().join("data/audit.jsonl");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let writer = Recording {
            calls: calls.clone(),
            audit_path: audit_path.clone(),
            answer,
        };
        let executor = Executor::new(
            Box::new(writer),
            AuditLog::new(audit_path),
            Ledger::new(dir.path().join("data/ledger.jsonl"), 24.0),
            "sre-test".into(),
            fleet().source,
        );
        Self {
            dir,
            executor,
            calls,
        }
    }

    pub fn audit(&self) -> Vec<AuditRecord> {
        self.executor.audit().read().unwrap().records
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Confirm a request the way the operator would (`y`, or the typed name).
pub fn confirm(request: ActionRequest) -> ConfirmedAction {
    let name = request.target_name();
    let mut c = Confirmation::new(request);
    let inputs: Vec<ConfirmInput> = match c.challenge() {
        sitrep::action::confirm::Challenge::Yes => vec![ConfirmInput::Char('y')],
        sitrep::action::confirm::Challenge::TypeName(_) => name
            .chars()
            .map(ConfirmInput::Char)
            .chain([ConfirmInput::Enter])
            .collect(),
    };
    for input in inputs {
        match c.handle(input) {
            ConfirmStep::Pending(next) => c = next,
            ConfirmStep::Confirmed(done) => return done,
            ConfirmStep::Cancelled => panic!("cancelled"),
        }
    }
    panic!("not confirmed")
}

pub fn phase(r: &AuditRecord) -> &'static str {
    match r.entry {
        AuditEntry::Intent { .. } => "intent",
        AuditEntry::Result { .. } => "result",
        AuditEntry::Refused { .. } => "refused",
        AuditEntry::NodeEntered { .. } => "node_entered",
        AuditEntry::Overruled { .. } => "overruled",
        AuditEntry::StepTicked { .. } => "step_ticked",
        AuditEntry::Answered { .. } => "answered",
        AuditEntry::Finished { .. } => "finished",
    }
}
