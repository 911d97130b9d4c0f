//! Where snapshots come from and where writes go.
//!
//! Reading and writing are separate: a source task sends whole snapshots down a
//! channel (the UI never calls a source), and a `FleetWriter` is built only for
//! a session that may write. Read-only sessions never construct one.

use std::future::Future;
use std::pin::Pin;

use crate::action::request::ActionRequest;
use crate::model::FleetSnapshot;

/// Snapshots as the source produces them, newest last.
pub type Feed = tokio::sync::mpsc::Receiver<Box<FleetSnapshot>>;
pub type FeedSender = tokio::sync::mpsc::Sender<Box<FleetSnapshot>>;

/// Why a write did not happen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WriteError {
    pub kind: WriteErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteErrorKind {
    /// The target does not exist (deleted service, unknown cache).
    NotFound,
    /// Credentials missing or the call is not permitted.
    Denied,
    Throttled,
    /// The API rejected the request as invalid.
    Rejected,
    Timeout,
    Other,
}

impl WriteError {
    pub fn new(kind: WriteErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for WriteError {}

pub type WriteFuture<'a> = Pin<Box<dyn Future<Output = Result<String, WriteError>> + Send + 'a>>;

/// Applies catalogue requests to a fleet. Only `action::executor` calls `apply`.
/// On success it returns a one-line summary of what the API answered.
pub trait FleetWriter: Send + Sync {
    fn apply<'a>(&'a self, request: &'a ActionRequest) -> WriteFuture<'a>;
}

pub mod aws;
pub mod once;
