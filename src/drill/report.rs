//! The written drill report: what happened, the score, and how it was counted.

use std::fmt::Write;

use chrono::Duration;

use super::hint::HINT_COST;
use super::judge::{Outcome, Verdict};
use super::play::PlayResult;
use super::score::{LOST_CAP, Score};

/// What the report is about.
pub struct Drill<'a> {
    pub scenario: &'a str,
    pub runbook: Option<&'a str>,
    pub objective: Option<&'a str>,
    pub verdict: Option<&'a Verdict>,
    pub score: &'a Score,
    /// The scenario's runbook walked as written on the same seed.
    pub par: Option<&'a PlayResult>,
    /// What the trainee did, in order, with its data time.
    pub steps: &'a [String],
    /// What the fleet did, in the same form.
    pub fleet: &'a [String],
    /// Played without the runbook pointed out.
    pub blind: bool,
}

fn minutes(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    format!("{}m{:02}s", s / 60, s % 60)
}

/// The fleet's lines and the trainee's in data-time order (`t+MM:SS ...`;
/// the fleet first at the same second: what the trainee saw).
fn timeline(fleet: &[String], steps: &[String]) -> Vec<String> {
    let mine = |l: &String| {
        let (t, rest) = l.split_once(' ').unwrap_or((l.as_str(), ""));
        (clock(l), 1, format!("{t} **you:** {rest}"))
    };
    let mut all: Vec<((u32, u32), u8, String)> = fleet
        .iter()
        .map(|l| (clock(l), 0, l.clone()))
        .chain(steps.iter().map(mine))
        .collect();
    all.sort_by_key(|(t, who, _)| (*t, *who));
    all.into_iter().map(|(_, _, l)| l).collect()
}

/// Minutes and seconds of a `t+MM:SS ...` line.
fn clock(line: &str) -> (u32, u32) {
    let t = line
        .strip_prefix("t+")
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or("");
    let mut parts = t.split(':').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Markdown report for a finished drill.
pub fn markdown(d: &Drill) -> String {
    let (scenario, runbook, score) = (d.scenario, d.runbook, d.score);
    let mut out = String::new();
    let _ = writeln!(out, "# Drill report: {scenario}\n");
    if let Some(objective) = d.objective {
        let _ = writeln!(out, "Objective: {objective}\n");
        let verdict = match d.verdict {
            Some(v) if v.outcome == Outcome::Won => format!("**won**: {}", v.why),
            Some(v) => format!("**lost**: {}", v.why),
            None => "**lost**: the drill ended before the objective was met".into(),
        };
        let _ = writeln!(out, "Verdict: {verdict}\n");
    }
    let _ = writeln!(out, "Score: **{}/100**\n", score.points);
    let _ = writeln!(out, "| measure | value |\n|---|---|");
    let _ = writeln!(out, "| runbook | {} |", runbook.unwrap_or("(none)"));
    let _ = writeln!(
        out,
        "| walked to the end | {} |",
        if score.runbook_done { "yes" } else { "no" }
    );
    let _ = writeln!(
        out,
        "| drill length (simulated) | {} |",
        minutes(score.duration)
    );
    let mitigate = score
        .time_to_mitigate
        .map_or("not mitigated".to_string(), minutes);
    let _ = writeln!(out, "| time to mitigate | {mitigate} |");
    let _ = writeln!(out, "| time over SLA | {} |", minutes(score.over_sla));
    let _ = writeln!(out, "| money spent | ${:.2} |", score.spent_usd);
    let _ = writeln!(out, "| risky moves | {} |", score.risky_moves.len());
    let _ = writeln!(out, "| hints taken | {} |", score.hints);
    let _ = writeln!(
        out,
        "| runbook pointed out | {} |\n",
        if d.blind { "no (blind)" } else { "yes" }
    );
    if let Some(par) = d.par {
        let _ = writeln!(out, "## Against par\n");
        let _ = writeln!(
            out,
            "Par is {} walked as written on the same seed (headless, every proposed action applied).\n",
            runbook.unwrap_or("the runbook")
        );
        let _ = writeln!(out, "| | you | par |\n|---|---|---|");
        let ttm = |s: &Score| s.time_to_mitigate.map_or("not mitigated".into(), minutes);
        let _ = writeln!(
            out,
            "| time to mitigate | {} | {} |",
            ttm(score),
            ttm(&par.score)
        );
        let _ = writeln!(
            out,
            "| time over SLA | {} | {} |",
            minutes(score.over_sla),
            minutes(par.score.over_sla)
        );
        let _ = writeln!(
            out,
            "| money spent | ${:.2} | ${:.2} |",
            score.spent_usd, par.score.spent_usd
        );
        let _ = writeln!(
            out,
            "| actions | {} | {} |\n",
            score.actions.join("; "),
            par.score.actions.join("; ")
        );
        let _ = writeln!(out, "You, step by step:\n");
        if d.steps.is_empty() {
            let _ = writeln!(out, "- nothing applied, overruled or finished");
        }
        for step in d.steps {
            let _ = writeln!(out, "- {step}");
        }
        let _ = writeln!(out);
        if !par.steps.is_empty() {
            let _ = writeln!(out, "Par, step by step:\n");
            for step in &par.steps {
                let _ = writeln!(out, "- {step}");
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(out, "## Timeline: the fleet and you\n");
    let timeline = timeline(d.fleet, d.steps);
    if timeline.is_empty() {
        let _ = writeln!(out, "- nothing recorded");
    }
    for line in timeline {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## What to practise next\n");
    for line in practise_next(d) {
        let _ = writeln!(out, "- {line}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "## Actions applied\n");
    if score.actions.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for a in &score.actions {
        let _ = writeln!(out, "- {a}");
    }
    if !score.risky_moves.is_empty() {
        let _ = writeln!(out, "\n## Risky moves\n");
        for m in &score.risky_moves {
            let _ = writeln!(out, "- {m}");
        }
    }
    let _ = writeln!(
        out,
        "\n## How the score is counted\n\n100 points, less 1 per minute over SLA (at most 40), \
         1 per 2 minutes to mitigate (at most 30; 30 when never mitigated), 10 per risky move \
         (overruled checks, guard refusals, risky actions after an overrule), {HINT_COST} per hint, and 10 when \
         the runbook was not walked to its end. Against par, only the minutes to mitigate beyond par's count. \
         A lost drill scores at most {LOST_CAP}."
    );
    out
}

/// The next thing to work on, from where this drill lost the most.
fn practise_next(d: &Drill) -> Vec<String> {
    let score = d.score;
    let runbook = d.runbook.unwrap_or("the scenario's runbook");
    let mut out = Vec::new();
    let lost = d.verdict.is_none_or(|v| v.outcome == Outcome::Lost);
    if d.objective.is_some() && lost {
        out.push(format!(
            "Reach the objective: walk {runbook} to its action; doing nothing loses every drill."
        ));
    }
    let par_ttm = d.par.and_then(|p| p.score.time_to_mitigate);
    if let (Some(mine), Some(par)) = (score.time_to_mitigate, par_ttm)
        && mine - par >= Duration::minutes(5)
    {
        out.push(format!(
            "Speed: par mitigated {} sooner. Compare the two step lists above: where did you wait?",
            minutes(mine - par)
        ));
    }
    if !score.risky_moves.is_empty() {
        out.push(
            "Answer checks from their evidence: each overrule, refusal or risky action cost 10 points."
                .into(),
        );
    }
    if score.hints > 0 {
        out.push(format!(
            "Play it again without hints ({} taken, {} points).",
            score.hints,
            score.hints * HINT_COST
        ));
    }
    if out.is_empty() {
        out.push(if d.blind {
            "A clean run: try another scenario (`sitrep drill --list`) or another seed (`--seed`)."
                .into()
        } else {
            "A clean run: play it `--blind`, picking the runbook from the triggered list yourself."
                .into()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_every_measure() {
        let score = Score {
            duration: Duration::minutes(42),
            time_to_mitigate: Some(Duration::seconds(754)),
            over_sla: Duration::minutes(9),
            spent_usd: 1.234,
            risky_moves: vec!["overruled: near-max".into()],
            actions: vec!["autoscaling.set_bounds orchestrator 5..200".into()],
            hints: 2,
            runbook_done: true,
            points: 71,
        };
        let text = markdown(&Drill {
            scenario: "manga-release",
            runbook: Some("ecs-saturation"),
            objective: None,
            verdict: None,
            score: &score,
            par: None,
            steps: &["t+03:20 action: ecs.set_task_definition worker".into()],
            fleet: &[
                "t+03:20 alarm: worker-p95: OK -> ALARM (P95 > 5 s)".into(),
                "t+01:05 task: manga/worker: failed to start".into(),
            ],
            blind: false,
        });
        for needle in [
            // The fleet and the trainee in one time order; the fleet first at a tie.
            "- t+01:05 task: manga/worker: failed to start\n- t+03:20 alarm: worker-p95: OK -> ALARM (P95 > 5 s)\n- t+03:20 **you:** action: ecs.set_task_definition worker\n",
            "| hints taken | 2 |",
            "- Play it again without hints (2 taken, 10 points).",
            "Score: **71/100**",
            "| time to mitigate | 12m34s |",
            "| time over SLA | 9m00s |",
            "| money spent | $1.23 |",
            "- autoscaling.set_bounds orchestrator 5..200",
            "- overruled: near-max",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
