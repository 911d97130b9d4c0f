//! The recorder: observes each snapshot and appends what is new. The cockpit
//! runs it as a task between the source and the screen (`spawn`); the
//! headless runner calls it in line.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::entry::{Entry, Recorded};
use super::files::{JournalDir, OpenError, Retention};
use super::observe::Observer;
use crate::model::evidence::{LogMatches, LogQuery};
use crate::model::{FleetSnapshot, ServiceKey, SourceInfo};
use crate::source::{Feed, SteppedFleet};

#[derive(Debug)]
pub struct Recorder {
    observer: Observer,
    dir: JournalDir,
    /// Written with the first snapshot, at its data time.
    opening: Option<Recorded>,
    /// The last write failed: said once in the log, not per snapshot.
    failing: bool,
}

impl Recorder {
    /// Start recording `source` in `dir`; a journal already there is continued.
    pub fn open(
        dir: &Path,
        retention: Retention,
        source: &SourceInfo,
        read_only: bool,
        opened: DateTime<Utc>,
    ) -> Result<Self, OpenError> {
        let dir = JournalDir::open(dir, retention)?;
        Ok(Self {
            observer: Observer::resuming_after(dir.last_at()),
            dir,
            opening: Some(Recorded::Session {
                source: source.label(),
                source_id: source.id(),
                opened,
                read_only,
                version: env!("CARGO_PKG_VERSION").into(),
            }),
            failing: false,
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.dir()
    }

    /// What `snap` adds to the journal (not written yet).
    pub fn observe(&mut self, snap: &FleetSnapshot) -> Vec<Entry> {
        // A first read still under way is not the fleet yet: its samples would be partial.
        if snap.stats.reading.is_some() {
            return Vec::new();
        }
        let mut entries = Vec::new();
        if let Some(opening) = self.opening.take() {
            entries.push(Entry::new(snap.taken_at, opening));
        }
        entries.extend(self.observer.observe(snap));
        entries
    }

    /// Observe and write at once (the headless runner).
    pub fn record(&mut self, snap: &FleetSnapshot) {
        let entries = self.observe(snap);
        self.write(&entries);
    }

    /// Write entries; a failure is logged once until writing works again.
    /// The journal never stops the fleet from showing.
    pub fn write(&mut self, entries: &[Entry]) {
        match self.dir.write(entries) {
            Ok(()) => {
                if self.failing {
                    tracing::info!("journal: writing to {} again", self.dir().display());
                }
                self.failing = false;
            }
            Err(e) => {
                if !self.failing {
                    tracing::warn!(
                        "journal: cannot write to {}: {e}; the fleet still shows",
                        self.dir().display()
                    );
                }
                self.failing = true;
            }
        }
    }
}

/// A stepped fleet whose every snapshot is recorded: headless runs and drills.
pub struct RecordedFleet<F> {
    fleet: F,
    recorder: Mutex<Recorder>,
}

impl<F: SteppedFleet> RecordedFleet<F> {
    pub fn new(fleet: F, recorder: Recorder) -> Self {
        Self {
            fleet,
            recorder: Mutex::new(recorder),
        }
    }
}

impl<F: SteppedFleet> SteppedFleet for RecordedFleet<F> {
    fn advance(&mut self, seconds: u32) {
        self.fleet.advance(seconds);
    }

    fn snapshot(&self) -> FleetSnapshot {
        let snap = self.fleet.snapshot();
        self.recorder
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(&snap);
        snap
    }

    fn log_matches(
        &self,
        service: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, String> {
        self.fleet.log_matches(service, queries)
    }
}

/// Notes for the journal from the cockpit (a change back after an action).
#[derive(Clone, Debug)]
pub struct Notes(mpsc::UnboundedSender<Entry>);

impl Notes {
    pub fn send(&self, entry: Entry) {
        // The recorder only stops with the session.
        let _ = self.0.send(entry);
    }
}

/// Run `recorder` between `source` and the returned feed: each snapshot is
/// handed on first, then what it adds is written off the async workers.
pub fn spawn(mut recorder: Recorder, mut source: Feed) -> (Feed, Notes, JoinHandle<()>) {
    let (tx, feed) = mpsc::channel(source.max_capacity());
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let entries = tokio::select! {
                snap = source.recv() => {
                    let Some(snap) = snap else { break };
                    let entries = recorder.observe(&snap);
                    if tx.send(snap).await.is_err() {
                        break;
                    }
                    entries
                }
                Some(note) = notes.recv() => vec![note],
            };
            if entries.is_empty() {
                continue;
            }
            recorder = match tokio::task::spawn_blocking(move || {
                recorder.write(&entries);
                recorder
            })
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!("journal: the writer stopped: {e}");
                    break;
                }
            };
        }
    });
    (feed, Notes(notes_tx), task)
}
