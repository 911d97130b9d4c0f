//! Drills: a scenario on the simulator, the runbook worked against it in the
//! cockpit, a score. The cockpit feeds the scorer (see `ui::walk::DrillState`);
//! this module opens the drill and writes the report when it ends.

pub mod report;
pub mod score;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::{Config, Paths, SimConfig};
use crate::ui::walk::DrillState;
use score::{Score, Scorer};

/// Simulated seconds per real second when the config keeps the default speed:
/// a 25-minute incident plays out in under 3 minutes.
pub const DRILL_SPEED: f64 = 10.0;

pub fn run(mut cfg: Config, paths: Paths, scenario: &str) -> Result<ExitCode> {
    let sc = crate::sim::load_scenario(scenario).map_err(|e| eyre!("{e}"))?;
    cfg.sim.scenario = scenario.to_string();
    if cfg.sim.speed == SimConfig::default().speed {
        cfg.sim.speed = DRILL_SPEED;
    }
    let mut app = crate::ui::prepare(&cfg, &paths)?;
    app.runbooks.drill = Some(start(&sc));
    crate::ui::open_and_drive(&cfg, &paths, &mut app)?;
    let drill = app
        .runbooks
        .drill
        .take()
        .ok_or_else(|| eyre!("the drill state was lost"))?;
    let (score, file) = finish(&drill, &paths.data_dir, Utc::now())
        .map_err(|e| eyre!("cannot write the drill report: {e}"))?;
    println!("{}", summary(&drill, &score));
    println!("report: {}", file.display());
    Ok(ExitCode::SUCCESS)
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
