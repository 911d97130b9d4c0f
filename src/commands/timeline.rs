//! `sitrep timeline`: the incident record of an AWS fleet, the newest
//! simulator session or a headless run, as text, JSON or Markdown.

use std::io::Write;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::cli::{TimelineArgs, TimelineFormat};
use crate::config::{Config, Paths};
use crate::model::SourceId;
use crate::timeline::records::{Records, Which};
use crate::timeline::window::{Window, parse_since, parse_time};
use crate::timeline::{self, Inputs, Options, Sla};

pub fn print(cfg: &Config, paths: &Paths, args: &TimelineArgs) -> Result<ExitCode> {
    let which = if args.sim {
        Which::Sim
    } else if let Some(run) = &args.run {
        Which::Run(run.clone())
    } else {
        Which::Aws(args.fleet.clone())
    };
    let window = Window {
        since: args
            .since
            .as_deref()
            .map(parse_since)
            .transpose()
            .map_err(|e| eyre!(e))?,
        until: args
            .until
            .as_deref()
            .map(parse_time)
            .transpose()
            .map_err(|e| eyre!("--until {e}"))?,
    };
    let (records, notes) = Records::find(paths, &which).map_err(|e| eyre!(e))?;
    let mut inputs = records.load(&window);
    inputs.problems.extend(notes);
    let opts = Options {
        window,
        service: args.service.clone(),
        sla: sla_for(cfg, &inputs),
    };
    let timeline = timeline::build(inputs, &opts);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &timeline)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format.unwrap_or(TimelineFormat::Text) {
        TimelineFormat::Md => write!(out, "{}", timeline::markdown::render(&timeline))?,
        TimelineFormat::Text => {
            for problem in &timeline.problems {
                eprintln!("warning: {problem}");
            }
            write!(out, "{}", timeline::text::render(&timeline))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A simulator session is measured against its scenario's SLA; AWS against `[timeline]`.
pub fn sla_for(cfg: &Config, inputs: &Inputs) -> Sla {
    if let Some(SourceId::Sim { scenario, .. }) = &inputs.fleet
        && let Ok(s) = crate::sim::load_scenario(scenario)
    {
        let sla = s.sla;
        return Sla {
            p95_ms: sla.p95_ms,
            error_rate_pct: sla.error_rate_pct,
            services: vec![sla.service],
        };
    }
    Sla {
        p95_ms: cfg.timeline.sla_p95_ms,
        error_rate_pct: cfg.timeline.sla_error_rate_pct,
        services: cfg.timeline.sla_services.clone(),
    }
}
