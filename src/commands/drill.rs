//! `sitrep drill`: the cockpit on a scenario of the simulator, at drill speed,
//! with its runbook suggested, ended by the verdict on its objective and
//! compared with par; or `--headless`, played by the runbook or by nobody;
//! or `--list`.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use color_eyre::Result;
use color_eyre::eyre::eyre;
use serde::Serialize;

use crate::action::baseline::{self, Baseline};
use crate::cli::PlayArg;
use crate::config::{Config, Paths, SimConfig};
use crate::drill;
use crate::drill::judge::{Outcome, clock};
use crate::drill::play::{self, Play, PlayResult};
use crate::runbook::library::Library;
use crate::sim::{self, Scenario, Simulator};

pub fn run(mut cfg: Config, paths: Paths, scenario: &str, blind: bool) -> Result<ExitCode> {
    if cfg.aws.enabled {
        color_eyre::eyre::bail!("drills run on the embedded simulator; drop --aws");
    }
    let sc = sim::load_scenario(scenario).map_err(|e| eyre!("{e}"))?;
    cfg.sim.scenario = scenario.to_string();
    if cfg.sim.speed == SimConfig::default().speed {
        cfg.sim.speed = drill::DRILL_SPEED;
    }
    let mut app = super::cockpit::prepare(&cfg, &paths)?;
    let mut state = drill::start(&sc).map_err(|e| eyre!(e))?;
    state.blind = blind;
    app.runbooks.drill = Some(state);
    super::cockpit::open_and_drive(&cfg, &paths, &mut app)?;
    let state = app
        .runbooks
        .drill
        .take()
        .ok_or_else(|| eyre!("the drill state was lost"))?;
    let _ = writeln!(
        std::io::stdout(),
        "computing par ({} walked as written)…",
        sc.runbook.as_deref().unwrap_or("-")
    );
    let par = par(&cfg, &paths, &sc)?;
    let (score, file) = drill::finish(&state, par.as_ref(), &paths.data_dir, Utc::now())
        .map_err(|e| eyre!("cannot write the drill report: {e}"))?;
    // After SIGHUP the terminal is gone: the report file is what remains.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", drill::summary(&state, &score));
    let _ = writeln!(out, "report: {}", file.display());
    Ok(super::cockpit::exit_code(&app))
}

/// The scenario's runbook walked as written on the same seed, if it has both.
fn par(cfg: &Config, paths: &Paths, sc: &Scenario) -> Result<Option<PlayResult>> {
    if sc.objective.is_none() || sc.runbook.is_none() {
        return Ok(None);
    }
    let (result, _) = play_one(cfg, paths, sc, Play::Runbook)?;
    Ok(Some(result))
}

/// Play once; the result and the directory that keeps its records.
fn play_one(
    cfg: &Config,
    paths: &Paths,
    sc: &Scenario,
    who: Play,
) -> Result<(PlayResult, std::path::PathBuf)> {
    let library = Library::load(cfg);
    let runbook = sc
        .runbook
        .as_deref()
        .and_then(|id| library.get(id).cloned());
    let baseline = baseline_for(cfg, paths)?;
    let stamp = Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let dir = paths.data_dir.join("drills").join("plays").join(format!(
        "{stamp}-{}-{}",
        safe(&sc.name),
        std::process::id()
    ));
    let result = super::runtime()?
        .block_on(play::play(
            sc,
            cfg.sim.seed,
            who,
            runbook,
            Some(&baseline),
            &dir,
        ))
        .map_err(|e| eyre!(e))?;
    Ok((result, dir))
}

/// The declared baseline, else the calm scenario's fleet (as `runbook run` does).
fn baseline_for(cfg: &Config, paths: &Paths) -> Result<Baseline> {
    if let Some(b) = baseline::load_configured(cfg, paths).map_err(|e| eyre!(e))? {
        return Ok(b);
    }
    let calm = sim::load_scenario("calm").map_err(|e| eyre!("{e}"))?;
    Ok(baseline::capture(
        &Simulator::new(calm, cfg.sim.seed).snapshot(),
    ))
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What `--headless --json` prints.
#[derive(Serialize)]
struct HeadlessJson<'a> {
    scenario: &'a str,
    seed: u64,
    play: Play,
    verdict: Outcome,
    why: &'a str,
    score: u32,
    minutes_over_sla: f64,
    time_to_mitigate_s: Option<i64>,
    spent_usd: f64,
    actions: &'a [String],
    par: Option<ParJson>,
}

#[derive(Serialize)]
struct ParJson {
    verdict: Outcome,
    time_to_mitigate_s: Option<i64>,
    minutes_over_sla: f64,
}

pub fn headless(
    cfg: &Config,
    paths: &Paths,
    scenario: &str,
    who: PlayArg,
    json: bool,
) -> Result<ExitCode> {
    let sc = sim::load_scenario(scenario).map_err(|e| eyre!("{e}"))?;
    let who = match who {
        PlayArg::Runbook => Play::Runbook,
        PlayArg::Idle => Play::Idle,
    };
    let (result, dir) = play_one(cfg, paths, &sc, who)?;
    let par = match who {
        Play::Runbook => None,
        Play::Idle => par(cfg, paths, &sc)?,
    };
    let state_score = &result.score;
    let points = drill::score::points_against(
        state_score,
        Some(&result.verdict),
        par.as_ref().map(|p| &p.score),
    );
    let out = HeadlessJson {
        scenario: &sc.name,
        seed: cfg.sim.seed,
        play: who,
        verdict: result.verdict.outcome.clone(),
        why: &result.verdict.why,
        score: points,
        minutes_over_sla: state_score.over_sla.num_seconds() as f64 / 60.0,
        time_to_mitigate_s: result.verdict.mitigated_after.map(|d| d.num_seconds()),
        spent_usd: (state_score.spent_usd * 100.0).round() / 100.0,
        actions: &state_score.actions,
        par: par.as_ref().map(|p| ParJson {
            verdict: p.verdict.outcome.clone(),
            time_to_mitigate_s: p.verdict.mitigated_after.map(|d| d.num_seconds()),
            minutes_over_sla: p.score.over_sla.num_seconds() as f64 / 60.0,
        }),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let mitigated = result
            .verdict
            .mitigated_after
            .map_or("not mitigated".into(), clock);
        println!(
            "drill {} played by {}: {} ({}); {}/100, mitigated {mitigated}, {:.1} min over SLA",
            sc.name,
            if who == Play::Runbook {
                "its runbook"
            } else {
                "nobody"
            },
            if out.verdict == Outcome::Won {
                "WON"
            } else {
                "LOST"
            },
            out.why,
            out.score,
            out.minutes_over_sla
        );
        println!(
            "journal, audit log and ledger: {} (`sitrep timeline --run {}`)",
            dir.display(),
            dir.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list() -> Result<ExitCode> {
    for name in sim::scenario_names() {
        let sc = sim::load_scenario(name).map_err(|e| eyre!("{e}"))?;
        match &sc.objective {
            Some(o) => println!(
                "{name:<22} runbook {:<20} {}",
                sc.runbook.as_deref().unwrap_or("-"),
                o.text
            ),
            None => println!("{name:<22} (not a drill: no objective)"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
