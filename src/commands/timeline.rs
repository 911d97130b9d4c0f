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
use crate::timeline::{self, By, Inputs, Options, Sla, Timeline};

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
            write!(out, "{}", text(&timeline))?;
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

/// One line per item, after a short summary.
pub fn text(t: &Timeline) -> String {
    let s = &t.summary;
    let mut out = format!(
        "timeline of {}: {} items, {:.1} min over the SLA, {} actions, time to mitigate {}\n",
        t.source.as_deref().unwrap_or("an unknown fleet"),
        t.items.len(),
        s.minutes_over_sla,
        s.actions.len(),
        s.minutes_to_mitigate
            .map_or_else(|| "-".into(), |m| format!("{m:.1} min"))
    );
    if t.items.is_empty() {
        out.push_str("nothing recorded in this window\n");
    }
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("+09:00");
    for i in &t.items {
        out.push_str(&format!(
            "{} UTC {} JST  {:<8} {:<9} {:<12} {:<28} {}\n",
            i.at.format("%Y-%m-%d %H:%M:%S"),
            i.at.with_timezone(&jst).format("%H:%M"),
            i.phase,
            match i.by {
                By::Fleet => "fleet",
                By::Operator => "operator",
            },
            i.kind,
            i.service.as_deref().unwrap_or("-"),
            i.text
        ));
    }
    for o in &t.overrides {
        out.push_str(&format!(
            "override in force: {} {} (revert: {}; by {})\n",
            o.target,
            o.what,
            o.revert,
            o.revert_by.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    out
}
