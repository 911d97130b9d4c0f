//! Deterministic renders of the main views to SVG (and PNG when `rsvg-convert`
//! is on PATH), for the README. Same data, same clock, same pictures.

use std::path::Path;
use std::process::Command;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{Config, SimConfig};
use crate::model::evidence::EvidenceKind;
use crate::sim::{STEP_S, Simulator};
use crate::ui::app::{App, Effect, Event};
use crate::ui::command::Command as UiCommand;
use crate::ui::fixtures;
use crate::ui::keymap::Layer;
use crate::ui::svg::buffer_to_svg;
use crate::ui::view;

/// Simulated minutes into the manga release when the saturated shot is taken:
/// traffic starts rising at 2 min and reaches 8x at 17 min.
const SATURATED_MINUTES: u32 = 20;

pub fn write_all(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).wrap_err_with(|| format!("{}: cannot create", out.display()))?;
    let cfg = Config::default();
    let sim = |scenario: &str, minutes: u32, cfg: &Config| {
        fixtures::stepped_app(&mut simulator(scenario)?, STEP_S, minutes, cfg).map_err(|e| eyre!(e))
    };
    let mut help = sim("calm", 10, &cfg)?;
    help.handle(Event::Key(KeyEvent::new(
        KeyCode::Char('?'),
        KeyModifiers::NONE,
    )));
    let mut palette = sim("calm", 10, &cfg)?;
    palette.handle(Event::Key(KeyEvent::new(
        KeyCode::Char(':'),
        KeyModifiers::NONE,
    )));
    for c in "theme".chars() {
        palette.handle(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    let wall_cfg = Config {
        wall: true,
        read_only: true,
        ..Config::default()
    };
    let light = Config {
        theme: "light".into(),
        ..Config::default()
    };
    let shots: Vec<(&str, App, u16, u16)> = vec![
        ("cockpit-calm", sim("calm", 30, &cfg)?, 160, 48),
        // Traffic rising: the orchestrator heads for its max, the cache for its marks.
        ("limits-ahead", sim("manga-release", 12, &cfg)?, 160, 48),
        (
            "manga-release-saturated",
            sim("manga-release", SATURATED_MINUTES, &cfg)?,
            160,
            48,
        ),
        (
            "cockpit-80x24",
            sim("manga-release", SATURATED_MINUTES, &cfg)?,
            80,
            24,
        ),
        ("help", help, 160, 48),
        ("palette", palette, 160, 48),
        (
            "wall-read-only",
            sim("manga-release", SATURATED_MINUTES, &wall_cfg)?,
            160,
            48,
        ),
        ("wall-calm", sim("calm", 30, &wall_cfg)?, 160, 48),
        (
            "wall-320x90",
            sim("manga-release", SATURATED_MINUTES, &wall_cfg)?,
            320,
            90,
        ),
        (
            "wall-high-contrast",
            sim(
                "manga-release",
                SATURATED_MINUTES,
                &Config {
                    theme: "high-contrast".into(),
                    ..wall_cfg.clone()
                },
            )?,
            160,
            48,
        ),
        (
            "light-theme",
            sim("manga-release", SATURATED_MINUTES, &light)?,
            160,
            48,
        ),
    ];
    // Spot cascade: the trigger fires at ~6 min; the 15-minute wait ends at the switch.
    let walk = |plan: &[(u32, &str)], cfg: &Config| {
        fixtures::stepped_walk(&mut simulator("spot-cascade")?, STEP_S, plan, cfg)
            .map_err(|e| eyre!(e))
    };
    let to_switch: [(u32, &str); 2] = [(7, "r\n\nx\n"), (16, "")];
    let read_only = Config {
        read_only: true,
        ..Config::default()
    };
    let shots: Vec<(&str, App, u16, u16)> = shots
        .into_iter()
        .chain([
            ("runbook-list", walk(&[(7, "r")], &cfg)?, 160, 48),
            ("runbook-check", walk(&[(7, "r\n")], &cfg)?, 160, 48),
            ("runbook-action", walk(&to_switch, &cfg)?, 160, 48),
            (
                "runbook-confirm",
                walk(&[to_switch[0], to_switch[1], (0, "Aorch")], &cfg)?,
                160,
                48,
            ),
            (
                "runbook-read-only",
                walk(&[to_switch[0], to_switch[1], (0, "A")], &read_only)?,
                160,
                48,
            ),
            ("runbook-80x24", walk(&[(7, "r\n")], &cfg)?, 80, 24),
            ("drill-hint", drill_hint(&cfg)?, 160, 48),
            ("drill-finished", drill_finished(&cfg)?, 160, 48),
        ])
        .collect();
    // The evidence views on bad-image: failed pulls, the rolled-back deployment, the logs.
    let shots: Vec<(&str, App, u16, u16)> = shots
        .into_iter()
        .chain([
            (
                "tasks-bad-image",
                evidence("bad-image", 10, EvidenceKind::Tasks, "worker", &cfg)?,
                160,
                48,
            ),
            (
                "deployments-bad-image",
                evidence("bad-image", 20, EvidenceKind::Deployments, "worker", &cfg)?,
                160,
                48,
            ),
            (
                "logs-bad-image",
                evidence("bad-image", 20, EvidenceKind::Logs, "worker", &cfg)?,
                160,
                48,
            ),
            ("logs-at-event", logs_at_reclaim(&cfg)?, 160, 48),
        ])
        .collect();
    let rsvg = which("rsvg-convert");
    for (name, app, w, h) in &shots {
        let buf = fixtures::render(app, *w, *h, view::draw);
        write_svg(out, name, &buf, app, rsvg)?;
    }
    // The cache pane alone, on the cache scenario after an hour of growth.
    let app = sim("cache-noeviction", 40, &cfg)?;
    let buf = fixtures::render(&app, 72, 10, |f, app| {
        crate::ui::panes::cache::render(f, f.area(), app)
    });
    write_svg(out, "cache-pane", &buf, &app, rsvg)?;
    Ok(())
}

/// The image-missing drill four minutes in, its runbook open, a hint taken at the first check.
fn drill_hint(cfg: &Config) -> Result<App> {
    let sc = crate::sim::load_scenario("image-missing").map_err(|e| eyre!("{e}"))?;
    let drill = crate::drill::start(&sc).map_err(|e| eyre!(e))?;
    fixtures::stepped_drill(
        &mut simulator("image-missing")?,
        STEP_S,
        &[(4, "r\nh")],
        cfg,
        Some(drill),
    )
    .map_err(|e| eyre!(e))
}

/// The p95-latency drill walked to its end: the slow segment, the DNS of one
/// AZ, the tasks shifted away by the seed's command, and the verdict.
fn drill_finished(cfg: &Config) -> Result<App> {
    let sc = crate::sim::load_scenario("p95-latency").map_err(|e| eyre!("{e}"))?;
    let drill = crate::drill::start(&sc).map_err(|e| eyre!(e))?;
    let mut sim = simulator("p95-latency")?;
    let lib = crate::runbook::Library::load(cfg);
    sim.declare(&lib.declared());
    fixtures::stepped_drill(
        &mut sim,
        STEP_S,
        &[(6, "r\n\n\n\n\nxx"), (14, "")],
        cfg,
        Some(drill),
    )
    .map_err(|e| eyre!(e))
}

/// An evidence view of `service` after `minutes`, read from the simulator as
/// the loop would.
fn evidence(
    scenario: &str,
    minutes: u32,
    kind: EvidenceKind,
    service: &str,
    cfg: &Config,
) -> Result<App> {
    let mut sim = simulator(scenario)?;
    let mut app = fixtures::stepped_app(&mut sim, STEP_S, minutes, cfg).map_err(|e| eyre!(e))?;
    let asks = app.run(
        Layer::Cockpit,
        UiCommand::Evidence(kind, Some(service.into())),
    );
    for effect in asks {
        if let Effect::ReadEvidence(request) = effect {
            let answer = sim.evidence(&request);
            app.handle(Event::Evidence(request, answer));
        }
    }
    Ok(app)
}

/// `o` in the events pane on a Spot reclaim of spot-cascade: its logs at its time.
fn logs_at_reclaim(cfg: &Config) -> Result<App> {
    use crate::model::EventKind;
    use crate::ui::app::Focus;
    let mut sim = simulator("spot-cascade")?;
    let mut app = fixtures::stepped_app(&mut sim, STEP_S, 30, cfg).map_err(|e| eyre!(e))?;
    while app.focus != Focus::Events {
        app.run(Layer::Cockpit, UiCommand::FocusNext);
    }
    let reclaims: Vec<usize> = app
        .notable_events()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::SpotInterruption)
        .map(|(i, _)| i)
        .collect();
    // One in the middle of the wave: lines before it and after it.
    let middle = *reclaims
        .get(reclaims.len() / 2)
        .ok_or_else(|| eyre!("spot-cascade reclaims no task in 30 minutes"))?;
    for _ in 0..middle {
        app.run(Layer::Cockpit, UiCommand::Down);
    }
    for effect in app.run(
        Layer::Cockpit,
        UiCommand::Evidence(EvidenceKind::Logs, None),
    ) {
        if let Effect::ReadEvidence(request) = effect {
            let answer = sim.evidence(&request);
            app.handle(Event::Evidence(request, answer));
        }
    }
    Ok(app)
}

/// The simulator on a shipped scenario, seed 7: the same pictures every time.
fn simulator(scenario: &str) -> Result<Simulator> {
    Simulator::from_config(&SimConfig {
        scenario: scenario.to_string(),
        seed: 7,
        speed: 1.0,
    })
    .map_err(|e| eyre!("{e}"))
}

fn write_svg(
    out: &Path,
    name: &str,
    buf: &ratatui::buffer::Buffer,
    app: &App,
    rsvg: bool,
) -> Result<()> {
    let svg_path = out.join(format!("{name}.svg"));
    std::fs::write(&svg_path, buffer_to_svg(buf, app.theme.fg, app.theme.bg))
        .wrap_err_with(|| format!("{}: cannot write", svg_path.display()))?;
    if rsvg {
        let png = out.join(format!("{name}.png"));
        let status = Command::new("rsvg-convert")
            .arg("-o")
            .arg(&png)
            .arg(&svg_path)
            .status()
            .wrap_err("running rsvg-convert")?;
        if !status.success() {
            return Err(eyre!("rsvg-convert failed on {}", svg_path.display()));
        }
    }
    Ok(())
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_every_view() {
        let dir = tempfile::tempdir().unwrap();
        super::write_all(dir.path()).unwrap();
        for name in [
            "cockpit-calm",
            "manga-release-saturated",
            "help",
            "cache-pane",
            "cockpit-80x24",
            "tasks-bad-image",
            "deployments-bad-image",
            "logs-bad-image",
            "logs-at-event",
        ] {
            let svg = std::fs::read_to_string(dir.path().join(format!("{name}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{name}");
        }
    }
}
