//! The timeline as plain text: a summary line, then one line per item.

use super::{By, Timeline};

/// One line per item, after a short summary.
pub fn render(t: &Timeline) -> String {
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
