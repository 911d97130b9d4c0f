//! Opening a session: the source that feeds snapshots, and — only for a
//! session that may write — the executor with its writer.

use std::sync::{Arc, Mutex};

use color_eyre::Result;
use tokio::task::JoinHandle;

use crate::action::audit::{AuditLog, operator_from_env};
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::config::{Config, Paths};
use crate::model::SourceInfo;
use crate::sim::Simulator;
use crate::sim::source::SimWriter;
use crate::source::aws::{AwsClients, AwsWriter};
use crate::source::{Feed, FleetWriter};

/// Snapshots buffered between the source and the UI; the UI drains them all per frame.
const FEED_DEPTH: usize = 16;

pub struct Session {
    pub feed: Feed,
    /// `None` in a read-only session: no writer was ever built.
    pub executor: Option<Executor>,
    pub info: SourceInfo,
    /// The simulator, when it is the source (drills read its clock and spend).
    pub sim: Option<Arc<Mutex<Simulator>>>,
    task: JoinHandle<()>,
}

impl Session {
    /// Start the configured source. Must run inside a multi-threaded tokio runtime.
    pub fn open(cfg: &Config, paths: &Paths) -> Result<Session> {
        if cfg.aws.enabled {
            Self::open_aws(cfg, paths)
        } else {
            Self::open_sim(cfg, paths)
        }
    }

    fn open_sim(cfg: &Config, paths: &Paths) -> Result<Session> {
        let (tx, feed) = tokio::sync::mpsc::channel(FEED_DEPTH);
        let sim = Simulator::from_config(&cfg.sim)?;
        let info = SourceInfo::Sim {
            scenario: sim.scenario().name.clone(),
            seed: cfg.sim.seed,
            speed: cfg.sim.speed,
        };
        let sim = Arc::new(Mutex::new(sim));
        let task = crate::sim::source::spawn(Arc::clone(&sim), cfg.sim.speed, tx);
        let writer_sim = Arc::clone(&sim);
        let executor = executor_for(cfg, paths, &info, move || {
            Box::new(SimWriter::new(writer_sim))
        });
        Ok(Session {
            feed,
            executor,
            info,
            sim: Some(sim),
            task,
        })
    }

    /// One poller reads the account; a writable session's writer shares its
    /// clients, so a write makes the poller re-read at once.
    fn open_aws(cfg: &Config, paths: &Paths) -> Result<Session> {
        let (tx, feed) = tokio::sync::mpsc::channel(FEED_DEPTH);
        // Client setup reads profiles and may ask SSO; it happens once, before the first frame.
        let clients = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(AwsClients::new(&cfg.aws))
        })?;
        let info = clients.source.clone();
        let task = crate::source::aws::spawn_with(clients.clone(), &cfg.aws, tx);
        let executor = executor_for(cfg, paths, &info, move || {
            Box::new(AwsWriter::new(&clients))
        });
        Ok(Session {
            feed,
            executor,
            info,
            sim: None,
            task,
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.task.abort();
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
        AuditLog::for_paths(paths),
        Ledger::from_config(paths, &cfg.ledger),
        operator_from_env(),
        info.label(),
    )
}
