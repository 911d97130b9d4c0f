//! The timeline as a post-mortem section in Markdown: times in UTC and JST,
//! a summary, the actions taken, a table per runbook phase, and the
//! overrides still in force.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Utc};

use super::{By, PHASES, Timeline};

fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("a fixed +09:00 offset")
}

fn utc_jst(t: DateTime<Utc>) -> String {
    format!(
        "{} UTC / {} JST",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.with_timezone(&jst()).format("%H:%M:%S")
    )
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), utc_jst)
}

/// A table cell: one line, no `|` breaking the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(t: &Timeline) -> String {
    let mut md = String::new();
    let s = &t.summary;
    let _ = writeln!(
        md,
        "## Incident timeline: {}\n",
        t.source.as_deref().unwrap_or("unknown fleet")
    );
    let (first, last) = (t.items.first().map(|i| i.at), t.items.last().map(|i| i.at));
    let _ = writeln!(
        md,
        "Recorded from {} to {} (data time; timeline format v{}).\n",
        opt_time(t.since.or(first)),
        opt_time(t.until.or(last)),
        t.v
    );
    let _ = writeln!(md, "### Summary\n");
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| First alarm | {} |", opt_time(s.first_alarm));
    let _ = writeln!(md, "| Over the SLA from | {} |", opt_time(s.over_sla_from));
    let _ = writeln!(md, "| First action | {} |", opt_time(s.first_action));
    let _ = writeln!(md, "| Mitigated | {} |", opt_time(s.mitigated));
    let _ = writeln!(
        md,
        "| Time to mitigate | {} |",
        s.minutes_to_mitigate.map_or_else(
            || "not mitigated in this record".into(),
            |m| format!("{m:.1} min")
        )
    );
    let services = if s.sla.services.is_empty() {
        "any service".to_string()
    } else {
        s.sla.services.join(", ")
    };
    let _ = writeln!(
        md,
        "| Minutes over the SLA | {:.1} ({services}: P95 over {} ms or errors over {} %; {} samples) |",
        s.minutes_over_sla, s.sla.p95_ms, s.sla.error_rate_pct, s.samples
    );
    if let Some(w) = &s.worst {
        let _ = writeln!(
            md,
            "| Worst P95 | {} ms on {} at {} |",
            w.p95_ms,
            cell(&w.service),
            utc_jst(w.at)
        );
    }
    let _ = writeln!(md, "| Actions taken | {} |\n", s.actions.len());
    if !s.actions.is_empty() {
        let _ = writeln!(md, "### Actions taken\n");
        for i in t
            .items
            .iter()
            .filter(|i| matches!(i.kind, "action" | "revert"))
        {
            let _ = writeln!(md, "- {}: {}", utc_jst(i.at), i.text);
        }
        md.push('\n');
    }
    // A check names its node already: the node's own line would say it twice.
    let answered: std::collections::HashSet<&str> = t
        .items
        .iter()
        .filter(|i| matches!(i.kind, "check" | "overrule"))
        .filter_map(|i| i.detail.get("node").and_then(|n| n.as_str()))
        .collect();
    let said_twice = |i: &&super::Item| {
        i.kind == "node"
            && i.detail
                .get("node")
                .and_then(|n| n.as_str())
                .is_some_and(|n| answered.contains(n))
    };
    for phase in PHASES {
        let items: Vec<_> = t
            .items
            .iter()
            .filter(|i| i.phase == phase && !said_twice(i))
            .collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(md, "### {}\n", title(phase));
        let _ = writeln!(md, "| UTC | JST | by | kind | service | what |");
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for i in items {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                i.at.format("%m-%d %H:%M:%S"),
                i.at.with_timezone(&jst()).format("%H:%M:%S"),
                match i.by {
                    By::Fleet => "fleet",
                    By::Operator => "operator",
                },
                i.kind,
                cell(i.service.as_deref().unwrap_or("")),
                cell(&i.text)
            );
        }
        md.push('\n');
    }
    let _ = writeln!(md, "### Overrides still in force\n");
    if t.overrides.is_empty() {
        let _ = writeln!(md, "None: nothing is left to revert.\n");
    } else {
        let _ = writeln!(
            md,
            "| applied | target | override | revert | revert by | IaC |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|");
        for o in &t.overrides {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                utc_jst(o.applied_at),
                cell(&o.target),
                cell(&o.what),
                cell(&o.revert),
                utc_jst(o.revert_by),
                cell(o.iac.as_deref().unwrap_or("-"))
            );
        }
        md.push('\n');
    }
    if !t.problems.is_empty() {
        let _ = writeln!(md, "### Not read\n");
        for p in &t.problems {
            let _ = writeln!(md, "- {}", cell(p));
        }
        md.push('\n');
    }
    md
}

fn title(phase: &str) -> &'static str {
    match phase {
        "triage" => "Triage",
        "mitigate" => "Mitigate",
        "verify" => "Verify",
        "revert" => "Revert and follow-up",
        _ => "Detect",
    }
}
