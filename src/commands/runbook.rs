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

pub fn show(cfg: &Config, id: &str, mermaid: bool) -> Result<ExitCode> {
    let lib = Library::load(cfg);
    let rb = lib.get(id).ok_or_else(|| {
        let known: Vec<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
        eyre!("no runbook `{id}` (known: {})", known.join(", "))
    })?;
    if mermaid {
        print!("{}", render::mermaid(rb));
    } else {
        print!("{}", render::tree(rb));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(cfg: &Config, paths: &Paths, args: &RunArgs) -> Result<ExitCode> {
    let lib = Library::load(cfg);
    let rb = lib
        .get(&args.id)
        .cloned()
        .ok_or_else(|| eyre!("no runbook `{}`", args.id))?;
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
        .join(format!("{stamp}-{}-{}", args.id, args.scenario));
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
        Ending::Done(text) => format!("done: {text}"),
        Ending::Escalated(text) => format!("escalated: {text}"),
        Ending::AwaitingConfirmation(node) => {
            format!("stopped at `{node}`: rerun with --auto to apply, or --dry-run to walk past it")
        }
        Ending::NeverTriggered => format!(
            "the trigger of {} never held within {} simulated minutes",
            args.id, args.minutes
        ),
        Ending::OutOfTime => format!("out of time after {} simulated minutes", args.minutes),
    };
    println!("result: {result}");
    if let Some(scope) = &report.scope {
        println!(
            "summary: {} on {scope}; path {}; {} actions applied; {} overrules; ended at t+{:.1} min",
            args.id,
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
        Ending::Escalated(_) | Ending::NeverTriggered | Ending::OutOfTime => ExitCode::FAILURE,
    })
}
