//! `sitrep runbook check|show|run`: validate, draw, or walk headless on the simulator.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::{bail, eyre};

use std::sync::{Arc, Mutex};

use crate::action::audit::AuditLog;
use crate::action::baseline;
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::config::{Config, Paths};
use crate::headless::{self, Ending, Mode, RunOptions};
use crate::journal::Retention;
use crate::journal::recorder::{RecordedFleet, Recorder};
use crate::runbook::Runbook;
use crate::runbook::library::{self, Library, Loaded};
use crate::runbook::render;
use crate::sim;
use crate::sim::source::SimWriter;
use crate::source::SteppedFleet;

pub struct RunArgs {
    pub id: String,
    pub scenario: String,
    pub auto: bool,
    pub dry_run: bool,
    pub minutes: u32,
}

/// Validate files (a directory means its `*.toml`, and must hold one); with
/// none, the shipped and configured runbooks. Prints `OK` or each problem as
/// `file:line:col: message`.
pub fn check(cfg: &Config, files: &[PathBuf]) -> Result<ExitCode> {
    let loaded: Vec<Loaded> = if files.is_empty() {
        library::all_files(cfg)
    } else {
        files
            .iter()
            .flat_map(|p| {
                if p.is_dir() {
                    let found = library::load_dir(p);
                    if found.is_empty() {
                        return vec![no_runbooks_in(p)];
                    }
                    found
                } else {
                    vec![Loaded {
                        origin: p.display().to_string(),
                        result: crate::runbook::load_file(p),
                    }]
                }
            })
            .collect()
    };
    let mut failed = false;
    for l in &loaded {
        match &l.result {
            Ok(rb) => println!("{}: OK ({}, {} nodes)", l.origin, rb.id, rb.nodes.len()),
            Err(problems) => {
                failed = true;
                for p in problems {
                    println!("{p}");
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn no_runbooks_in(dir: &std::path::Path) -> Loaded {
    let origin = dir.display().to_string();
    Loaded {
        result: Err(vec![crate::runbook::load::Problem {
            file: origin.clone(),
            line: 1,
            col: 1,
            message: "is a directory with no runbook files (*.toml) in it".into(),
        }]),
        origin,
    }
}

/// A runbook by id from the library, or from a file when `id` names one
/// (a path that exists, or ends in `.toml`). A file with problems lists them all.
fn find(cfg: &Config, id: &str) -> Result<Arc<Runbook>> {
    let path = std::path::Path::new(id);
    if path.is_file() || id.ends_with(".toml") {
        return crate::runbook::load_file(path)
            .map(Arc::new)
            .map_err(|problems| {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                eyre!("{}", lines.join("\n"))
            });
    }
    let lib = Library::load(cfg);
    lib.get(id).cloned().ok_or_else(|| {
        let known: Vec<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
        eyre!(
            "no runbook `{id}` (known: {}; or give a file path)",
            known.join(", ")
        )
    })
}

pub fn show(cfg: &Config, id: &str, mermaid: bool) -> Result<ExitCode> {
    let rb = find(cfg, id)?;
    if mermaid {
        print!("{}", render::mermaid(&rb));
    } else {
        print!("{}", render::tree(&rb));
    }
    Ok(ExitCode::SUCCESS)
}

/// `runbook vars|helpers|actions|docs`: print a part of the reference.
pub fn reference(text: String) -> Result<ExitCode> {
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

pub fn run(cfg: &Config, paths: &Paths, args: &RunArgs) -> Result<ExitCode> {
    if cfg.aws.enabled {
        bail!(
            "runbook run walks the embedded simulator only, never an account: drop --aws \
             (and `enabled = true` under [aws] in the config) and pass --scenario"
        );
    }
    if cfg.read_only && args.auto {
        bail!(
            "--read-only and --auto: a read-only run has no writer, so nothing can be applied; \
             drop --auto to stop at the first action, or use --dry-run to walk past every action"
        );
    }
    let rb = find(cfg, &args.id)?;
    let id = rb.id.clone();
    let scenario = sim::load_scenario(&args.scenario).map_err(|e| eyre!("{e}"))?;
    let scenario_name = scenario.name.clone();
    let mut simulator = sim::Simulator::new(scenario, cfg.sim.seed);
    simulator.declare(&rb.metrics);
    let baseline = match baseline::load_configured(cfg, paths).map_err(|e| eyre!(e))? {
        Some(b) => b,
        None => {
            // No declared baseline: the simulator's calm fleet is its normal shape.
            let calm = sim::load_scenario("calm").map_err(|e| eyre!("{e}"))?;
            println!("baseline: none configured; using the calm scenario's fleet");
            baseline::capture(&sim::Simulator::new(calm, cfg.sim.seed).snapshot())
        }
    };
    let mode = match (args.dry_run, args.auto) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Auto,
        (false, false) => Mode::Walk,
    };
    let source = simulator.snapshot().source;
    let source_info = source.clone();
    let fleet = Arc::new(Mutex::new(simulator));
    // A read-only run builds no writer and writes nothing. Otherwise the run
    // keeps its own audit log and ledger: a headless walk's overrides are not
    // the operator's.
    let run_dir = if cfg.read_only {
        None
    } else {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S").to_string();
        Some(new_run_dir(
            &paths.runs_dir(),
            &stamp,
            &rb.id,
            &scenario_name,
        )?)
    };
    let executor = run_dir.as_ref().map(|dir| {
        Executor::new(
            Box::new(SimWriter::new(fleet.clone())),
            AuditLog::new(dir.join("audit.jsonl")),
            Ledger::new(dir.join("ledger.jsonl"), cfg.ledger.revert_after_hours),
            "runbook-run".into(),
            source,
        )
    });
    // The run's journal: what the fleet did while it walked, for `sitrep timeline --run`.
    let fleet: Arc<Mutex<dyn SteppedFleet>> = match &run_dir {
        Some(dir) => {
            let recorder = Recorder::open(
                &dir.join("journal"),
                Retention::default(),
                &source_info,
                cfg.read_only,
                chrono::Utc::now(),
            )
            .map_err(|e| eyre!("{e}"))?;
            Arc::new(Mutex::new(RecordedFleet::new(fleet, recorder)))
        }
        None => fleet,
    };
    let opts = RunOptions {
        runbook: rb,
        fleet,
        executor,
        mode,
        minutes: args.minutes,
        baseline: Some(baseline),
    };
    let report = super::runtime()?.block_on(headless::run(opts, &mut |line| println!("{line}")));
    let result = match &report.ending {
        Ending::AwaitingConfirmation(node) => stopped_at(node, cfg.read_only),
        Ending::NeverTriggered => format!(
            "the trigger of {} never held within {} simulated minutes",
            id, args.minutes
        ),
        Ending::OutOfTime => format!("out of time after {} simulated minutes", args.minutes),
        other => other.to_string(),
    };
    println!("result: {result}");
    if let Some(scope) = &report.scope {
        println!(
            "summary: {} on {scope}; path {}; {} actions applied; {} overrules; ended at t+{:.1} min",
            id,
            report.path.join(" > "),
            report.applied.len(),
            report.overrules,
            report.ended_at_min
        );
    }
    match &run_dir {
        Some(dir) => println!(
            "audit log, ledger and journal: {} (`sitrep timeline --run last`)",
            dir.display()
        ),
        None => println!("read-only: no writer existed, nothing was applied or recorded"),
    }
    Ok(match report.ending {
        Ending::Done(_) => ExitCode::SUCCESS,
        Ending::AwaitingConfirmation(node) => {
            println!("{}", stopped_at(&node, cfg.read_only));
            ExitCode::SUCCESS
        }
        Ending::Escalated(_)
        | Ending::NeverTriggered
        | Ending::OutOfTime
        | Ending::Stuck { .. } => ExitCode::FAILURE,
    })
}

fn stopped_at(node: &str, read_only: bool) -> String {
    if read_only {
        format!("stopped at `{node}`: a read-only run applies nothing; --dry-run walks past it")
    } else {
        format!("stopped at `{node}`: rerun with --auto to apply, or --dry-run to walk past it")
    }
}

/// A new directory `runs/<stamp>-<runbook>-<scenario>` for one run, named only
/// from safe characters (never from a path given on the command line), and
/// never shared: a run in the same second gets `-2`, `-3`, ...
fn new_run_dir(runs: &Path, stamp: &str, runbook: &str, scenario: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(runs)
        .map_err(|e| eyre!("{}: cannot create the runs directory: {e}", runs.display()))?;
    let base = format!(
        "{stamp}-{}-{}",
        crate::config::safe_name(runbook),
        crate::config::safe_name(scenario)
    );
    for n in 1..=1000 {
        let dir = if n == 1 {
            runs.join(&base)
        } else {
            runs.join(format!("{base}-{n}"))
        };
        // `create_dir` fails when the directory exists: the claim is atomic,
        // so two processes never share a run directory.
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                bail!("{}: cannot create the run directory: {e}", dir.display())
            }
        }
    }
    bail!("{}: 1000 runs named {base} already exist", runs.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::safe_name;

    #[test]
    fn run_dir_names_keep_only_safe_characters() {
        assert_eq!(safe_name("manga-release"), "manga-release");
        assert_eq!(safe_name("../../x.toml"), "-..-x.toml");
        assert_eq!(safe_name(".."), "unnamed");
        assert_eq!(safe_name("a/b\\c d"), "a-b-c-d");
        assert_eq!(safe_name("夜"), "-");
        assert_eq!(safe_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn two_runs_in_the_same_second_get_two_directories() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let a = new_run_dir(&runs, "20261121T140000", "ecs-saturation", "calm").unwrap();
        let b = new_run_dir(&runs, "20261121T140000", "ecs-saturation", "calm").unwrap();
        assert_ne!(a, b);
        assert!(a.ends_with("20261121T140000-ecs-saturation-calm"));
        assert!(b.ends_with("20261121T140000-ecs-saturation-calm-2"));
        let escape = new_run_dir(&runs, "20261121T140000", "x", "../../../x").unwrap();
        assert_eq!(escape.parent(), Some(runs.as_path()));
    }
}
