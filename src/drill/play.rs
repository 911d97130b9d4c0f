//! Drills without a screen: the scenario on the simulator, played by its
//! runbook (walked as written, every proposed action applied: par) or by
//! nobody (idle), judged and scored as a trainee's drill is. Tests and
//! scoring changes use it; the interactive drill compares the trainee with it.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use super::DrillState;
use super::judge::Verdict;
use super::score::Score;
use crate::action::audit::AuditLog;
use crate::action::baseline::Baseline;
use crate::action::catalogue;
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::headless::{self, Mode, RunOptions};
use crate::journal::Retention;
use crate::journal::recorder::{RecordedFleet, Recorder};
use crate::model::FleetSnapshot;
use crate::model::ServiceKey;
use crate::model::evidence::{LogMatches, LogQuery};
use crate::model::history::FleetHistory;
use crate::runbook::{OverrideFacts, Runbook};
use crate::sim::source::SimWriter;
use crate::sim::{Scenario, Simulator};
use crate::source::SteppedFleet;

/// Simulated seconds between judged snapshots when nobody plays.
const IDLE_STEP_S: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Play {
    /// The scenario's runbook, walked as written, every action applied.
    Runbook,
    /// Nobody touches anything.
    Idle,
}

#[derive(Clone, Debug)]
pub struct PlayResult {
    pub play: Play,
    pub verdict: Verdict,
    pub score: Score,
    /// What the player did, in order, with its data time (`t+12:30 action: ...`).
    pub steps: Vec<String>,
}

/// The simulator with a drill watching every snapshot the player takes.
struct Watched {
    sim: Arc<Mutex<Simulator>>,
    drill: Arc<Mutex<Watch>>,
}

struct Watch {
    state: DrillState,
    history: FleetHistory,
    facts: OverrideFacts,
}

fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SteppedFleet for Watched {
    fn advance(&mut self, seconds: u32) {
        lock(&self.sim).advance(seconds);
    }

    fn snapshot(&self) -> FleetSnapshot {
        let snap = lock(&self.sim).snapshot();
        let mut w = lock(&self.drill);
        let w = &mut *w;
        w.history.record(&snap);
        w.state.observe(&snap, &w.history, &w.facts);
        snap
    }

    fn log_matches(
        &self,
        service: &ServiceKey,
        queries: &[LogQuery],
    ) -> Result<LogMatches, String> {
        lock(&self.sim).log_matches(service, queries)
    }
}

/// Play a scenario to its verdict. `dir` takes the run's audit log and ledger.
pub async fn play(
    scenario: &Scenario,
    seed: u64,
    play: Play,
    runbook: Option<Arc<Runbook>>,
    baseline: Option<&Baseline>,
    dir: &Path,
) -> Result<PlayResult, String> {
    let objective = scenario
        .objective
        .clone()
        .ok_or_else(|| format!("{}: no objective; it is not a drill", scenario.name))?;
    let mut simulator = Simulator::new(scenario.clone(), seed);
    if let Some(rb) = &runbook {
        simulator.declare(&rb.metrics);
    }
    let sim = Arc::new(Mutex::new(simulator));
    let state = super::start(scenario)?;
    let facts = baseline.map_or_else(OverrideFacts::default, |b| {
        OverrideFacts::gather(Some(b), &[], &lock(&sim).snapshot())
    });
    let drill = Arc::new(Mutex::new(Watch {
        state,
        history: FleetHistory::default(),
        facts,
    }));
    // Every snapshot the player or the judge takes is journaled in the play's
    // directory: `sitrep timeline --run DIR` reads it with the audit log.
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let source = lock(&sim).snapshot().source;
    let recorder = Recorder::open(
        &dir.join("journal"),
        Retention::default(),
        &source,
        false,
        chrono::Utc::now(),
    )
    .map_err(|e| e.to_string())?;
    let fleet = Arc::new(Mutex::new(RecordedFleet::new(
        Watched {
            sim: sim.clone(),
            drill: drill.clone(),
        },
        recorder,
    )));
    let mut steps = Vec::new();
    let limit = objective.limit_minutes.ceil() as u32;
    match (play, runbook) {
        (Play::Runbook, Some(rb)) => {
            let executor = Executor::new(
                Box::new(SimWriter::new(sim.clone())),
                AuditLog::new(dir.join("audit.jsonl")),
                Ledger::new(dir.join("ledger.jsonl"), 24.0),
                "drill-par".into(),
                source,
            );
            let opts = RunOptions {
                runbook: rb,
                fleet: fleet.clone(),
                executor: Some(executor),
                mode: Mode::Auto,
                minutes: limit,
                baseline: baseline.cloned(),
            };
            let report = headless::run(opts, &mut |line| {
                if line.contains("action:")
                    || line.contains("ran:")
                    || line.contains("? ")
                    || line.contains("trigger:")
                {
                    steps.push(line.trim().to_string());
                }
            })
            .await;
            for command in &report.ran {
                lock(&drill)
                    .state
                    .scorer
                    .note_action(format!("ran `{command}`"), false);
            }
            for applied in &report.applied {
                let what = format!("{} {}", applied.id(), applied.target_name());
                let risky = catalogue::spec(applied.id()).is_some_and(|s| s.risky);
                lock(&drill).state.scorer.note_action(what, risky);
            }
            if report.ended_at_min > 0.0 {
                let at = report.last.taken_at;
                lock(&drill).state.scorer.note_runbook_done(at);
            }
        }
        (Play::Runbook, None) => {
            return Err(format!("{}: names no runbook to play", scenario.name));
        }
        (Play::Idle, _) => {}
    }
    // Whoever played, the fleet goes on until the verdict.
    // The judge rules at the time limit at the latest; the bound is a backstop.
    let mut steps_left = (objective.limit_minutes * 60.0 / f64::from(IDLE_STEP_S)) as u64 + 2;
    let verdict = loop {
        if let Some(v) = lock(&drill).state.verdict() {
            break v.clone();
        }
        if steps_left == 0 {
            return Err(format!("{}: no verdict by the time limit", scenario.name));
        }
        steps_left -= 1;
        let mut fleet = lock(&fleet);
        fleet.advance(IDLE_STEP_S);
        fleet.snapshot();
    };
    let score = lock(&drill).state.score(None);
    Ok(PlayResult {
        play,
        verdict,
        score,
        steps,
    })
}
