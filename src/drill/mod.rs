//! Drills: a scenario on the simulator, the runbook worked against it in the
//! cockpit, a score. `DrillState` learns from the walk's events and every
//! snapshot; the entry layer opens the drill and writes the report when it ends.

pub mod hint;
pub mod judge;
pub mod play;
pub mod report;
pub mod score;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::journal::entry::Recorded;
use crate::journal::observe::Observer;
use crate::model::FleetSnapshot;
use crate::model::history::FleetHistory;
use crate::runbook::OverrideFacts;
use crate::runbook::walker::WalkEvent;
use judge::{Judge, Outcome, Verdict};
use score::{Score, Scorer};

/// Simulated seconds per real second when the config keeps the default speed:
/// a 25-minute incident plays out in under 3 minutes.
/// The report's fleet lines are bounded (a long Spot cascade warns often).
const FLEET_LINES_KEPT: usize = 500;

pub const DRILL_SPEED: f64 = 10.0;

/// A drill in progress: the score fed from every snapshot and walk event, and
/// the judge of its objective.
pub struct DrillState {
    pub scenario: String,
    pub runbook: Option<String>,
    pub scorer: Scorer,
    /// `None` for a scenario without an objective: it ends with its runbook.
    pub judge: Option<Judge>,
    /// The scenario's runbook is not pointed out: the trainee picks it from
    /// the triggered list.
    pub blind: bool,
    /// Nodes a hint was taken at (each charged once).
    hinted: BTreeSet<String>,
    /// What the trainee did, in order, with its data time (`t+12:30 action: ...`).
    pub steps: Vec<String>,
    /// What the fleet did meanwhile (alarms, interruptions, scaling, task
    /// failures, deployments), in the same form, read as the journal reads it.
    pub fleet: Vec<String>,
    observer: Observer,
    started_at: Option<DateTime<Utc>>,
    /// An answer against the evidence was given: risky actions from here on
    /// are not what the data asked for.
    off_the_evidence: bool,
}

impl DrillState {
    /// Learn from the walk; `true` when the event ends the drill (the runbook
    /// finished and there is no objective to wait for).
    pub fn learn(&mut self, event: &WalkEvent) -> bool {
        let line = match event {
            WalkEvent::Answered { what } => format!("answered {what}"),
            WalkEvent::Overruled { what } => format!("overruled: {what}"),
            WalkEvent::Refused { what } => format!("refused by guard: {what}"),
            WalkEvent::Applied { what, .. } => format!("action: {what}"),
            WalkEvent::Ran { command } => format!("ran: {command}"),
            WalkEvent::Ended { .. } => "runbook walked to its end".into(),
        };
        self.step(line);
        match event {
            WalkEvent::Answered { .. } => {}
            WalkEvent::Overruled { what } => {
                self.off_the_evidence = true;
                self.scorer.note_overrule(what.clone());
            }
            WalkEvent::Refused { what } => self.scorer.note_refusal(what.clone()),
            WalkEvent::Ran { command } => {
                self.scorer.note_action(format!("ran `{command}`"), false)
            }
            // A risky action the evidence led to answers a need; after an
            // overrule it is a risky move.
            WalkEvent::Applied { what, risky } => self
                .scorer
                .note_action(what.clone(), *risky && self.off_the_evidence),
            WalkEvent::Ended { at } => {
                self.scorer.note_runbook_done(*at);
                return self.judge.is_none();
            }
        }
        false
    }

    /// A hint at `node`: `true` when it is the first there (and charged).
    pub fn take_hint(&mut self, node: &str, hint: &str) -> bool {
        if !self.hinted.insert(node.to_string()) {
            return false;
        }
        self.scorer.note_hint();
        self.step(format!("hint at {node}: {hint}"));
        true
    }

    fn step(&mut self, line: String) {
        let t = self.scorer.elapsed().num_seconds().max(0);
        self.steps
            .push(format!("t+{:02}:{:02} {line}", t / 60, t % 60));
    }

    /// Take a snapshot in; `true` when it brings the verdict (the drill ends).
    pub fn observe(
        &mut self,
        snap: &FleetSnapshot,
        history: &FleetHistory,
        facts: &OverrideFacts,
    ) -> bool {
        // The verdict closes the record: the fleet goes on under the popup.
        if self.verdict().is_some() {
            return false;
        }
        self.scorer.observe(snap);
        self.note_fleet(snap);
        self.judge
            .as_mut()
            .is_some_and(|j| j.observe(snap, history, facts).is_some())
    }

    /// The fleet's own events in this snapshot, for the report's timeline.
    fn note_fleet(&mut self, snap: &FleetSnapshot) {
        let start = *self.started_at.get_or_insert(snap.taken_at);
        for entry in self.observer.observe(snap) {
            let shown = matches!(
                entry.what,
                Recorded::Alarm { .. }
                    | Recorded::Interruption { .. }
                    | Recorded::Task { .. }
                    | Recorded::Scaling { .. }
                    | Recorded::Deployment { .. }
                    | Recorded::Stale { .. }
                    | Recorded::Recovered { .. }
            );
            if shown && self.fleet.len() < FLEET_LINES_KEPT {
                let t = (entry.at - start).num_seconds().max(0);
                let who = entry
                    .what
                    .service()
                    .map(|s| format!("{s}: "))
                    .unwrap_or_default();
                self.fleet.push(format!(
                    "t+{:02}:{:02} {}: {who}{}",
                    t / 60,
                    t % 60,
                    entry.what.kind(),
                    entry.what.describe()
                ));
            }
        }
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        self.judge.as_ref().and_then(Judge::verdict)
    }

    /// The score, with the verdict and par counted in.
    pub fn score(&self, par: Option<&play::PlayResult>) -> Score {
        let mut score = self.scorer.score();
        score.points = score::points_against(&score, self.verdict(), par.map(|p| &p.score));
        score
    }
}

/// The drill state for a scenario: its runbook suggested, its SLA scored, its objective judged.
pub fn start(sc: &crate::sim::Scenario) -> Result<DrillState, String> {
    let judge = sc
        .objective
        .as_ref()
        .map(|o| Judge::new(o, &sc.sla.service))
        .transpose()
        .map_err(|e| format!("{}: {e}", sc.name))?;
    Ok(DrillState {
        scenario: sc.name.clone(),
        runbook: sc.runbook.clone(),
        scorer: Scorer::new(sc.sla.clone()),
        judge,
        blind: false,
        hinted: BTreeSet::new(),
        steps: Vec::new(),
        fleet: Vec::new(),
        observer: Observer::default(),
        started_at: None,
        off_the_evidence: false,
    })
}

/// Score the drill and write its report to `<data_dir>/drills/<time>-<scenario>.md`.
pub fn finish(
    drill: &DrillState,
    par: Option<&play::PlayResult>,
    data_dir: &Path,
    at: DateTime<Utc>,
) -> std::io::Result<(Score, PathBuf)> {
    let score = drill.score(par);
    let dir = data_dir.join("drills");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!(
        "{}-{}.md",
        at.format("%Y%m%dT%H%M%SZ"),
        drill.scenario
    ));
    let text = report::markdown(&report::Drill {
        scenario: &drill.scenario,
        runbook: drill.runbook.as_deref(),
        objective: drill.judge.as_ref().map(|j| j.objective().text.as_str()),
        verdict: drill.verdict(),
        score: &score,
        par,
        steps: &drill.steps,
        fleet: &drill.fleet,
        blind: drill.blind,
    });
    std::fs::write(&file, text)?;
    Ok((score, file))
}

/// One line for the terminal after the cockpit closes.
pub fn summary(drill: &DrillState, score: &Score) -> String {
    let ttm = score
        .time_to_mitigate
        .map_or("never mitigated".to_string(), |d| {
            format!(
                "mitigated after {}m{:02}s",
                d.num_minutes(),
                d.num_seconds() % 60
            )
        });
    let verdict = match drill.verdict() {
        Some(v) if v.outcome == Outcome::Won => format!("WON ({})", v.why),
        Some(v) => format!("LOST ({})", v.why),
        None if drill.judge.is_some() => "LOST (ended before a verdict)".to_string(),
        None => "no objective".to_string(),
    };
    format!(
        "drill {}: {verdict}; {}/100 — {ttm}, {} min over SLA, ${:.2} spent, {} risky move(s), runbook {}",
        drill.scenario,
        score.points,
        score.over_sla.num_minutes(),
        score.spent_usd,
        score.risky_moves.len(),
        if score.runbook_done {
            "walked to the end"
        } else {
            "not finished"
        }
    )
}
