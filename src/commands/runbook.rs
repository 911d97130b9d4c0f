//! `sitrep runbook check|show|run`: validate, draw, or walk headless on the simulator.

use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::eyre;

use std::sync::{Arc, Mutex};

use crate::action::audit::AuditLog;
use crate::action::baseline;
use crate::action::executor::Executor;
use crate::action::ledger::Ledger;
use crate::config::{Config, Paths};
use crate::headless::{self, Ending, Mode, RunOptions};
use crate::runbook::Runbook;
use crate::runbook::library::{self, Library, Loaded};
use crate::runbook::render;
use crate::sim;
use crate::sim::source::SimWriter;

pub struct RunArgs {
    pub id: String,
    pub scenario: String,
    pub auto: bool,
    pub dry_run: bool,
    pub minutes: u32,
}

/// Validate files (a directory means its `*.toml`); with none, the shipped and
/// configured runbooks. Prints `OK` or each problem as `file:line:col: message`.
pub fn check(cfg: &Config, files: &[PathBuf]) -> Result<ExitCode> {
    let loaded: Vec<Loaded> = if files.is_empty() {
        library::all_files(cfg)
    } else {
        files
            .iter()
            .flat_map(|p| {
                if p.is_dir() {
                    library::load_dir(p)
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
    let rb = find(cfg, &args.id)?;
    let id = rb.id.clone();
    let scenario = sim::load_scenario(&args.scenario).map_err(|e| eyre!("{e}"))?;
    let simulator = sim::Simulator::new(scenario, cfg.sim.seed);
    let baseline = match baseline::load_configured(cfg, paths).map_err(|e| eyre!(e))? {
        Some(b) => b,
        None => {
            // No declared baseline: the simulator's calm fleet is its normal shape.
            let calm = sim::load_scenario("calm").map_err(|e| eyre!("{e}"))?;
            println!("baseline: none configured; using the calm scenario's fleet");
            baseline::capture(&sim::Simulator::new(calm, cfg.sim.seed).snapshot())
        }
    };
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let run_dir = paths
        .data_dir
        .join("runs")
        .join(format!("{stamp}-{}-{}", id, args.scenario));
    let mode = match (args.dry_run, args.auto) {
        (true, _) => Mode::DryRun,
        (false, true) => Mode::Auto,
        (false, false) => Mode::Walk,
    };
    std::fs::create_dir_all(&run_dir).map_err(|e| {
        eyre!(
            "{}: cannot create the run directory: {e}",
            run_dir.display()
        )
    })?;
    // The run keeps its own audit log and ledger: a headless walk's overrides
    // are not the operator's.
    let source = simulator.snapshot().source.label();
    let fleet = Arc::new(Mutex::new(simulator));
    let executor = Executor::new(
        Box::new(SimWriter::new(fleet.clone())),
        AuditLog::new(run_dir.join("audit.jsonl")),
        Ledger::new(run_dir.join("ledger.jsonl"), cfg.ledger.revert_after_hours),
        "runbook-run".into(),
        source,
    );
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
    println!("audit log and ledger: {}", run_dir.display());
    Ok(match report.ending {
        Ending::Done(_) => ExitCode::SUCCESS,
        Ending::AwaitingConfirmation(node) => {
            println!(
                "stopped at `{node}`: rerun with --auto to apply, or --dry-run to walk past it"
            );
            ExitCode::SUCCESS
        }
        Ending::Escalated(_)
        | Ending::NeverTriggered
        | Ending::OutOfTime
        | Ending::Stuck { .. } => ExitCode::FAILURE,
    })
}
