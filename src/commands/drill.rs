//! `sitrep drill SCENARIO`: the cockpit on a scenario of the simulator, at
//! drill speed, with its runbook suggested; a score and a report at the end.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::{Config, Paths, SimConfig};
use crate::drill;

pub fn run(mut cfg: Config, paths: Paths, scenario: &str) -> Result<ExitCode> {
    if cfg.aws.enabled {
        color_eyre::eyre::bail!("drills run on the embedded simulator; drop --aws");
    }
    let sc = crate::sim::load_scenario(scenario).map_err(|e| eyre!("{e}"))?;
    cfg.sim.scenario = scenario.to_string();
    if cfg.sim.speed == SimConfig::default().speed {
        cfg.sim.speed = drill::DRILL_SPEED;
    }
    let mut app = super::cockpit::prepare(&cfg, &paths)?;
    app.runbooks.drill = Some(drill::start(&sc));
    super::cockpit::open_and_drive(&cfg, &paths, &mut app)?;
    let state = app
        .runbooks
        .drill
        .take()
        .ok_or_else(|| eyre!("the drill state was lost"))?;
    let (score, file) = drill::finish(&state, &paths.data_dir, Utc::now())
        .map_err(|e| eyre!("cannot write the drill report: {e}"))?;
    // After SIGHUP the terminal is gone: the report file is what remains.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", drill::summary(&state, &score));
    let _ = writeln!(out, "report: {}", file.display());
    Ok(super::cockpit::exit_code(&app))
}
