//! The written drill report: what happened, the score, and how it was counted.

use std::fmt::Write;

use chrono::Duration;

use super::score::Score;

fn minutes(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    format!("{}m{:02}s", s / 60, s % 60)
}

/// Markdown report for a finished drill.
pub fn markdown(scenario: &str, runbook: Option<&str>, score: &Score) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Drill report: {scenario}\n");
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
    let _ = writeln!(out, "| risky moves | {} |\n", score.risky_moves.len());
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
         (risky actions, overruled checks, guard refusals), and 10 when the runbook was not \
         walked to its end."
    );
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
            runbook_done: true,
            points: 71,
        };
        let text = markdown("manga-release", Some("ecs-saturation"), &score);
        for needle in [
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
