//! Opening a session: the one place that chooses between the simulator and
//! AWS. It hands on the snapshot feed and, only for a session that may write,
//! the executor with its writer. Simulator sessions (and drills) keep their
//! audit log and ledger apart from AWS sessions' (`Paths::sim_dir`).

use crate::model::declared::Declared;
use std::sync::{Arc, Mutex};

use color_eyre::Result;
use color_eyre::eyre::eyre;
use tokio::task::JoinHandle;

use crate::action::audit::{AuditLog, operator_from_env};
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::config::{Config, Paths};
use crate::journal::Retention;
use crate::journal::recorder::{Notes, Recorder};
use crate::model::{FleetSnapshot, SourceInfo};
use crate::sim::Simulator;
use crate::sim::evidence::SimEvidence;
use crate::sim::source::SimWriter;
use crate::source::aws::{AwsClients, AwsEvidence, AwsWriter};
use crate::source::{EvidenceReader, Feed, FleetWriter};

/// Snapshots buffered between the source and the UI; the UI drains them all per frame.
const FEED_DEPTH: usize = 16;

pub struct Session {
    pub feed: Feed,
    /// `None` in a read-only session: no writer was ever built.
    pub executor: Option<Executor>,
    /// Where walk records go: the executor's log, or the same file when read-only
    /// (a local record, not a write to the fleet).
    pub audit: AuditLog,
    /// The source task; dropping it stops the source.
    pub source: SourceTask,
    /// Reads tasks and deployments of one service while a view asks; read-only
    /// sessions have it too (it only reads).
    pub evidence: Arc<dyn EvidenceReader>,
    /// Where the fleet journal goes, or why this session does not record one.
    pub journal: JournalStatus,
    /// The fleet this session reads.
    pub source_info: SourceInfo,
}

/// Whether this session records the fleet journal.
#[derive(Clone, Debug)]
pub enum JournalStatus {
    /// Recording in this directory; notes (a change back) go through the sender.
    Recording(std::path::PathBuf, Notes),
    /// Not recording, and why (turned off, another sitrep records it, a disk error).
    Off(String),
}

/// The task that feeds snapshots; aborted when dropped.
pub struct SourceTask(JoinHandle<()>);

impl Drop for SourceTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Session {
    /// Start the configured source, reading the metrics the runbooks declare
    /// beside the fleet's. Must run inside the multi-threaded runtime.
    pub async fn open(cfg: &Config, paths: &Paths, declared: &[Declared]) -> Result<Session> {
        let (tx, feed) = tokio::sync::mpsc::channel(FEED_DEPTH);
        let (executor, task, info, evidence) = if cfg.aws.enabled {
            let mut aws = cfg.aws.clone();
            aws.declared = declared.to_vec();
            // One poller reads the account; a writable session's writer shares its
            // clients, so a write makes the poller re-read at once. Client setup
            // reads profiles and may ask SSO; it happens once, before the first frame.
            let clients = AwsClients::new(&cfg.aws).await?;
            let info = clients.source.clone();
            let task = crate::source::aws::spawn_with(clients.clone(), &aws, tx);
            // The evidence reader shares the poller's clients and call limiter.
            let evidence: Arc<dyn EvidenceReader> = Arc::new(AwsEvidence::new(clients.clone()));
            let executor = executor_for(cfg, paths, &info, move || {
                Box::new(AwsWriter::new(&clients))
            });
            (executor, task, info, evidence)
        } else {
            let mut sim = Simulator::from_config(&cfg.sim)?;
            sim.declare(declared);
            let info = sim_info(&sim, cfg);
            let sim = Arc::new(Mutex::new(sim));
            let task = crate::sim::source::spawn(Arc::clone(&sim), cfg.sim.speed, tx);
            let evidence: Arc<dyn EvidenceReader> = Arc::new(SimEvidence::new(Arc::clone(&sim)));
            let executor = executor_for(cfg, paths, &info, move || Box::new(SimWriter::new(sim)));
            (executor, task, info, evidence)
        };
        let audit = executor.as_ref().map_or_else(
            || AuditLog::for_source(paths, &info),
            |ex| ex.audit().clone(),
        );
        let (feed, journal) = record(cfg, paths, &info, feed);
        Ok(Session {
            feed,
            executor,
            audit,
            source: SourceTask(task),
            evidence,
            journal,
            source_info: info,
        })
    }
}

/// Put the journal's recorder between the source and the screen, unless the
/// journal is off or cannot be opened (then the feed is handed on as it is).
fn record(cfg: &Config, paths: &Paths, info: &SourceInfo, feed: Feed) -> (Feed, JournalStatus) {
    if !cfg.journal.enabled {
        return (
            feed,
            JournalStatus::Off("journal off ([journal] enabled = false)".into()),
        );
    }
    let retention = Retention {
        keep_days: cfg.journal.keep_days,
        max_mb: cfg.journal.max_mb,
    };
    let now = chrono::Utc::now();
    let dir = paths.journal_dir(info, now);
    match Recorder::open(&dir, retention, info, cfg.read_only, now) {
        Ok(recorder) => {
            tracing::info!("journal: recording to {}", dir.display());
            // The recorder ends when the source does.
            let (feed, notes, _task) = crate::journal::recorder::spawn(recorder, feed);
            (feed, JournalStatus::Recording(dir, notes))
        }
        Err(e) => {
            tracing::warn!("{e}");
            (feed, JournalStatus::Off(e.to_string()))
        }
    }
}

/// One snapshot of the configured fleet: one AWS refresh, or the simulator at its scenario start.
pub async fn one_snapshot(cfg: &Config) -> Result<FleetSnapshot> {
    if cfg.aws.enabled {
        crate::source::aws::snapshot_once(&cfg.aws).await
    } else {
        Ok(Simulator::from_config(&cfg.sim)
            .map_err(|e| eyre!("simulator: {e}"))?
            .snapshot())
    }
}

fn sim_info(sim: &Simulator, cfg: &Config) -> SourceInfo {
    SourceInfo::Sim {
        scenario: sim.scenario().name.clone(),
        seed: cfg.sim.seed,
        speed: cfg.sim.speed,
    }
}

/// The executor a session gets; the writer factory runs only when it may write.
fn executor_for(
    cfg: &Config,
    paths: &Paths,
    info: &SourceInfo,
    make_writer: impl FnOnce() -> Box<dyn FleetWriter>,
) -> Option<Executor> {
    Executor::for_session(
        cfg.read_only,
        make_writer,
        AuditLog::for_source(paths, info),
        Ledger::from_config(paths, &cfg.ledger, info),
        operator_from_env(),
        info.clone(),
    )
}
