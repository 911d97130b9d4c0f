//! Drills: a scenario on the simulator, the runbook worked against it in the
//! cockpit, a score. `DrillState` learns from the walk's events and every
//! snapshot; the entry layer opens the drill and writes the report when it ends.

pub mod report;
pub mod score;

use crate::runbook::walker::WalkEvent;
use chrono::{DateTime, Utc};
use score::{Score, Scorer};
use std::path::{Path, PathBuf};

/// Simulated seconds per real second when the config keeps the default speed:
/// a 25-minute incident plays out in under 3 minutes.
pub const DRILL_SPEED: f64 = 10.0;

/// A drill in progress: the score fed from every snapshot and walk event.
pub struct DrillState {
    pub scenario: String,
    pub runbook: Option<String>,
    pub scorer: Scorer,
}

impl DrillState {
    /// Learn from the walk; `true` when the event ends the drill (its runbook finished).
    pub fn learn(&mut self, event: &WalkEvent) -> bool {
        match event {
            WalkEvent::Overruled { what } => self.scorer.note_overrule(what.clone()),
            WalkEvent::Refused { what } => self.scorer.note_refusal(what.clone()),
            WalkEvent::Applied { what, risky } => self.scorer.note_action(what.clone(), *risky),
            WalkEvent::Ended { at } => {
                self.scorer.note_runbook_done(*at);
                return true;
            }
        }
        false
    }
}

/// The drill state for a scenario: its runbook suggested, its SLA scored.
pub fn start(sc: &crate::sim::Scenario) -> DrillState {
    DrillState {
        scenario: sc.name.clone(),
        runbook: sc.runbook.clone(),
        scorer: Scorer::new(sc.sla.clone()),
    }
}

/// Score the drill and write its report to `<data_dir>/drills/<time>-<scenario>.md`.
pub fn finish(
    drill: &DrillState,
    data_dir: &Path,
    at: DateTime<Utc>,
) -> std::io::Result<(Score, PathBuf)> {
    let score = drill.scorer.score();
    let dir = data_dir.join("drills");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!(
        "{}-{}.md",
        at.format("%Y%m%dT%H%M%SZ"),
        drill.scenario
    ));
    let text = report::markdown(&drill.scenario, drill.runbook.as_deref(), &score);
    std::fs::write(&file, text)?;
    Ok((score, file))
}

/// One line for the terminal after the cockpit closes.
pub fn summary(drill: &DrillState, score: &Score) -> String {
    let ttm = score
        .time_to_mitigate
        .map_or("never mitigated".to_string(), |d| {
            format!(
                "mitigated after {}m{:02}s",
                d.num_minutes(),
                d.num_seconds() % 60
            )
        });
    format!(
        "drill {}: {}/100 — {ttm}, {} min over SLA, ${:.2} spent, {} risky move(s), runbook {}",
        drill.scenario,
        score.points,
        score.over_sla.num_minutes(),
        score.spent_usd,
        score.risky_moves.len(),
        if score.runbook_done {
            "walked to the end"
        } else {
            "not finished"
        }
    )
}
