//! The simulator as a source: a task that advances it with the clock and sends
//! whole snapshots, and a writer for sessions that may write.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::Simulator;
use crate::model::ServiceKey;
use crate::model::evidence::{LogMatches, LogQuery};
use crate::model::request::ActionRequest;
use crate::model::request::{WriteError, WriteErrorKind};
use crate::source::{FeedSender, FleetWriter, SteppedFleet, WriteFuture};

fn lock(sim: &Mutex<Simulator>) -> MutexGuard<'_, Simulator> {
    // A panic while holding the lock leaves consistent-enough state to keep showing.
    sim.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Applies requests to the shared simulator. Built only for writable sessions.
pub struct SimWriter {
    sim: Arc<Mutex<Simulator>>,
}

impl SimWriter {
    pub fn new(sim: Arc<Mutex<Simulator>>) -> Self {
        Self { sim }
    }
}

impl FleetWriter for SimWriter {
    fn apply<'a>(&'a self, request: &'a ActionRequest) -> WriteFuture<'a> {
        Box::pin(async move {
            let sim = Arc::clone(&self.sim);
            let request = request.clone();
            tokio::task::spawn_blocking(move || lock(&sim).apply(&request))
                .await
                .map_err(|e| {
                    WriteError::new(
                        WriteErrorKind::Other,
                        format!("simulator write failed: {e}"),
                    )
                })?
        })
    }

    fn operator_ran(&self, command: &str) -> Option<String> {
        Some(lock(&self.sim).operator_ran(command))
    }
}

/// Advance `speed` simulated seconds per real second and send a snapshot after
/// each advance; stops when the receiver is dropped.
pub fn spawn(sim: Arc<Mutex<Simulator>>, speed: f64, tx: FeedSender) -> JoinHandle<()> {
    tokio::spawn(async move {
        let first = {
            let mut s = lock(&sim);
            s.set_speed(speed);
            let mut first = s.snapshot();
            // The cockpit opens with trends, not empty sparklines.
            first.backfill = Some(Arc::new(s.past_hour()));
            Box::new(first)
        };
        let period = publish_every(speed, first.services.len());
        if tx.send(first).await.is_err() {
            return;
        }
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut last = Instant::now();
        let mut owed = 0.0_f64;
        loop {
            ticker.tick().await;
            let now = Instant::now();
            owed += speed.max(0.0) * (now - last).as_secs_f64();
            last = now;
            let whole = owed.floor().min(f64::from(u32::MAX));
            owed -= whole;
            let sim = Arc::clone(&sim);
            // Fast speeds can mean many steps: keep them off the async workers.
            let snap = tokio::task::spawn_blocking(move || {
                let mut s = lock(&sim);
                s.advance(whole as u32);
                Box::new(s.snapshot())
            })
            .await;
            let Ok(snap) = snap else { return };
            if tx.send(snap).await.is_err() {
                return;
            }
        }
    })
}

/// Wall time between two snapshots: a second (a quarter of one at drill
/// speeds), and at least a millisecond per service. Every snapshot is
/// recorded, journaled, sorted and drawn whole: a fleet of 2,000 is shown
/// every 2 s (an AWS refresh shows it every 15 s), which keeps the idle
/// cockpit near 1 % of a core; a drill's few services still move every 250 ms.
fn publish_every(speed: f64, services: usize) -> Duration {
    let base = if speed > 1.0 {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(1)
    };
    let per_service = Duration::from_millis(u64::try_from(services).unwrap_or(u64::MAX));
    base.max(per_service)
}

impl SteppedFleet for Simulator {
    fn advance(&mut self, seconds: u32) {
        Simulator::advance(self, seconds);
    }

    fn snapshot(&self) -> crate::model::FleetSnapshot {
        Simulator::snapshot(self)
    }

    fn log_matches(
        &self,
        service: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, String> {
        Simulator::log_matches(self, service, queries)
    }

    fn operator_ran(&mut self, command: &str) -> Option<String> {
        Some(Simulator::operator_ran(self, command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_fleets_are_published_less_often_than_drills() {
        let ms = |speed, services| publish_every(speed, services).as_millis();
        assert_eq!(ms(1.0, 5), 1000);
        assert_eq!(ms(30.0, 5), 250);
        assert_eq!(ms(1.0, 2000), 2000);
        assert_eq!(ms(600.0, 2000), 2000);
    }
}
