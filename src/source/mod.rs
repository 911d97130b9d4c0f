//! Where snapshots come from and where writes go.
//!
//! Reading and writing are separate: a source task sends whole snapshots down a
//! channel (the UI never calls a source), and a `FleetWriter` is built only for
//! a session that may write. Read-only sessions never construct one.

use std::future::Future;
use std::pin::Pin;

use crate::model::FleetSnapshot;
use crate::model::ServiceKey;
use crate::model::evidence::{Evidence, EvidenceRequest, LogMatches, LogQuery};
use crate::model::request::{ActionRequest, WriteError};

/// Snapshots as the source produces them, newest last.
pub type Feed = tokio::sync::mpsc::Receiver<Box<FleetSnapshot>>;
pub type FeedSender = tokio::sync::mpsc::Sender<Box<FleetSnapshot>>;

pub type WriteFuture<'a> = Pin<Box<dyn Future<Output = Result<String, WriteError>> + Send + 'a>>;

/// Applies catalogue requests to a fleet. Only `action::executor` calls `apply`.
/// On success it returns a one-line summary of what the API answered.
pub trait FleetWriter: Send + Sync {
    fn apply<'a>(&'a self, request: &'a ActionRequest) -> WriteFuture<'a>;

    /// The operator ticked a runbook step whose command they ran themselves
    /// (a fix sitrep has no action for). On AWS there is nothing to do: it
    /// ran in their shell. The simulator plays it; the answer is one line.
    fn operator_ran(&self, _command: &str) -> Option<String> {
        None
    }
}

pub type EvidenceFuture<'a> = Pin<Box<dyn Future<Output = Result<Evidence, String>> + Send + 'a>>;

/// Reads evidence about one service on demand: the tasks or deployments view
/// asks while it is open, never otherwise. The simulator and AWS implement it;
/// the session hands the UI loop one as a trait object. Errors are one line.
pub trait EvidenceReader: Send + Sync {
    fn read<'a>(&'a self, request: &'a EvidenceRequest) -> EvidenceFuture<'a>;

    /// Count the service's log lines matching each query, for a runbook walk
    /// whose expressions call `log_matches` (asked only while such a walk is open).
    fn count_matches<'a>(
        &'a self,
        service: &'a ServiceKey,
        queries: &'a [LogQuery],
    ) -> MatchesFuture<'a>;
}

pub type MatchesFuture<'a> = Pin<Box<dyn Future<Output = Result<LogMatches, String>> + Send + 'a>>;

pub mod aws;

/// A fleet whose clock the caller moves, one step at a time: the simulator,
/// as the headless runner and the screenshots drive it.
pub trait SteppedFleet: Send {
    /// Move the fleet's clock on by this many seconds.
    fn advance(&mut self, seconds: u32);
    fn snapshot(&self) -> FleetSnapshot;
    /// Count the service's log lines matching each query, now (`log_matches`).
    fn log_matches(&self, service: &ServiceKey, queries: &[LogQuery])
    -> Result<LogMatches, String>;

    /// A step's command the operator ran (see `FleetWriter::operator_ran`).
    fn operator_ran(&mut self, _command: &str) -> Option<String> {
        None
    }
}

/// A fleet shared with its writer (the simulator behind a `SimWriter`) steps as itself.
impl<F: SteppedFleet + ?Sized> SteppedFleet for std::sync::Arc<std::sync::Mutex<F>> {
    fn advance(&mut self, seconds: u32) {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .advance(seconds);
    }

    fn snapshot(&self) -> FleetSnapshot {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .snapshot()
    }

    fn log_matches(
        &self,
        service: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, String> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .log_matches(service, queries)
    }

    fn operator_ran(&mut self, command: &str) -> Option<String> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .operator_ran(command)
    }
}
