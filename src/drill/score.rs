//! Drill scoring, fed one snapshot at a time: time to mitigate, minutes over
//! SLA, money spent and risky moves. Pure: the cockpit and the headless runner
//! feed it and print its report.

use chrono::{DateTime, Duration, Utc};

use super::judge::{Outcome, Verdict};
use crate::model::FleetSnapshot;
use crate::model::cost::fleet_burn;
use crate::sim::Sla;

/// Within SLA this long, after a breach, counts as mitigated.
pub const STABLE_FOR: Duration = Duration::minutes(5);

#[derive(Clone, Debug)]
pub struct Scorer {
    sla: Sla,
    started_at: Option<DateTime<Utc>>,
    last_at: Option<DateTime<Utc>>,
    last_breached: bool,
    breached_ever: bool,
    /// Start of the current unbroken run within SLA.
    ok_since: Option<DateTime<Utc>>,
    over_sla: Duration,
    spent_usd: f64,
    last_burn_per_hour: f64,
    risky_moves: Vec<String>,
    actions: Vec<String>,
    hints: u32,
    runbook_done_at: Option<DateTime<Utc>>,
}

/// What the drill ends with.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub duration: Duration,
    /// From the start until the SLA held for `STABLE_FOR` after the last breach;
    /// `None` if it never did. Zero when the SLA was never breached.
    pub time_to_mitigate: Option<Duration>,
    pub over_sla: Duration,
    pub spent_usd: f64,
    pub risky_moves: Vec<String>,
    pub actions: Vec<String>,
    /// Hints taken (one per node at most).
    pub hints: u32,
    pub runbook_done: bool,
    /// 0..=100, see `points`.
    pub points: u32,
}

impl Scorer {
    pub fn new(sla: Sla) -> Self {
        Self {
            sla,
            started_at: None,
            last_at: None,
            last_breached: false,
            breached_ever: false,
            ok_since: None,
            over_sla: Duration::zero(),
            spent_usd: 0.0,
            last_burn_per_hour: 0.0,
            risky_moves: Vec::new(),
            actions: Vec::new(),
            hints: 0,
            runbook_done_at: None,
        }
    }

    /// Data time since the first snapshot (zero before it).
    pub fn elapsed(&self) -> Duration {
        match (self.started_at, self.last_at) {
            (Some(s), Some(e)) => e - s,
            _ => Duration::zero(),
        }
    }

    /// Whether the SLA service is outside its SLA in this snapshot.
    pub fn breached(&self, snap: &FleetSnapshot) -> bool {
        snap.services
            .iter()
            .filter(|s| s.key.service == self.sla.service)
            .any(|s| {
                s.metrics.p95_ms.is_some_and(|p| p > self.sla.p95_ms)
                    || s.metrics
                        .error_rate_pct
                        .is_some_and(|e| e > self.sla.error_rate_pct)
            })
    }

    pub fn observe(&mut self, snap: &FleetSnapshot) {
        let at = snap.taken_at;
        if self.last_at.is_some_and(|last| at <= last) {
            return;
        }
        if let Some(last) = self.last_at {
            let dt = at - last;
            // Cost and breach time accrue over the interval at the previous state.
            self.spent_usd += self.last_burn_per_hour * dt.num_milliseconds() as f64 / 3.6e6;
            if self.last_breached {
                self.over_sla += dt;
            }
        } else {
            self.started_at = Some(at);
        }
        let breached = self.breached(snap);
        self.breached_ever |= breached;
        self.ok_since = match (breached, self.ok_since) {
            (true, _) => None,
            (false, Some(since)) => Some(since),
            (false, None) => Some(at),
        };
        self.last_breached = breached;
        self.last_burn_per_hour = fleet_burn(snap).usd_per_hour;
        self.last_at = Some(at);
    }

    pub fn note_action(&mut self, what: impl Into<String>, risky: bool) {
        let what = what.into();
        if risky {
            self.risky_moves.push(format!("risky action: {what}"));
        }
        self.actions.push(what);
    }

    /// The operator overruled the runbook's evaluated branch.
    pub fn note_overrule(&mut self, what: impl Into<String>) {
        self.risky_moves.push(format!("overruled: {}", what.into()));
    }

    /// A guard refused an action the operator tried to apply.
    pub fn note_refusal(&mut self, what: impl Into<String>) {
        self.risky_moves
            .push(format!("refused by guard: {}", what.into()));
    }

    pub fn note_hint(&mut self) {
        self.hints += 1;
    }

    pub fn note_runbook_done(&mut self, at: DateTime<Utc>) {
        self.runbook_done_at.get_or_insert(at);
    }

    pub fn score(&self) -> Score {
        let (start, end) = match (self.started_at, self.last_at) {
            (Some(s), Some(e)) => (s, e),
            _ => {
                let zero = Duration::zero();
                return Score {
                    duration: zero,
                    time_to_mitigate: None,
                    over_sla: zero,
                    spent_usd: 0.0,
                    risky_moves: self.risky_moves.clone(),
                    actions: self.actions.clone(),
                    hints: self.hints,
                    runbook_done: false,
                    points: 0,
                };
            }
        };
        let time_to_mitigate = if !self.breached_ever {
            Some(Duration::zero())
        } else {
            self.ok_since
                .filter(|since| end - *since >= STABLE_FOR)
                .map(|since| since - start)
        };
        let mut score = Score {
            duration: end - start,
            time_to_mitigate,
            over_sla: self.over_sla,
            spent_usd: self.spent_usd,
            risky_moves: self.risky_moves.clone(),
            actions: self.actions.clone(),
            hints: self.hints,
            runbook_done: self.runbook_done_at.is_some(),
            points: 0,
        };
        score.points = points(&score);
        score
    }
}

/// 100 points, less: 1 per minute over SLA (at most 40), 1 per 2 minutes to
/// mitigate (at most 30; 30 when never mitigated), 10 per risky move,
/// `HINT_COST` per hint, and 10 when the runbook was not walked to its end.
pub fn points(score: &Score) -> u32 {
    let over = score.over_sla.num_minutes().clamp(0, 40);
    let mitigate = score
        .time_to_mitigate
        .map_or(30, |t| (t.num_minutes() / 2).clamp(0, 30));
    let risky = 10 * score.risky_moves.len() as i64;
    let hints = i64::from(score.hints * super::hint::HINT_COST);
    let unfinished = if score.runbook_done { 0 } else { 10 };
    (100 - over - mitigate - risky - hints - unfinished).clamp(0, 100) as u32
}

/// The points of a judged drill: a lost drill scores at most 40, and when a
/// par exists, time to mitigate counts only beyond par's (1 point per 2 minutes).
pub fn points_against(score: &Score, verdict: Option<&Verdict>, par: Option<&Score>) -> u32 {
    let mut adjusted = score.clone();
    if let (Some(mine), Some(par_ttm)) =
        (score.time_to_mitigate, par.and_then(|p| p.time_to_mitigate))
    {
        adjusted.time_to_mitigate = Some((mine - par_ttm).max(Duration::zero()));
    }
    let points = points(&adjusted);
    match verdict {
        Some(v) if v.outcome == Outcome::Lost => points.min(LOST_CAP),
        _ => points,
    }
}

/// The most a lost drill can score.
pub const LOST_CAP: u32 = 40;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Simulator;

    fn sla() -> Sla {
        Sla {
            service: "orchestrator".into(),
            p95_ms: 2000.0,
            error_rate_pct: 1.0,
        }
    }

    fn snap_at(sim: &Simulator, minute: i64, p95: f64) -> FleetSnapshot {
        let mut s = sim.snapshot();
        s.taken_at = sim.now() + Duration::minutes(minute);
        for svc in &mut s.services {
            if svc.key.service == "orchestrator" {
                svc.metrics.p95_ms = Some(p95);
                svc.metrics.error_rate_pct = Some(0.1);
            }
        }
        s
    }

    #[test]
    fn counts_minutes_over_sla_and_time_to_mitigate() {
        let sim = Simulator::from_config(&crate::config::SimConfig::default()).unwrap();
        let mut scorer = Scorer::new(sla());
        // 0-10 min breached, then healthy until minute 20.
        for m in 0..=20 {
            let p95 = if m < 10 { 5000.0 } else { 900.0 };
            scorer.observe(&snap_at(&sim, m, p95));
        }
        let score = scorer.score();
        assert_eq!(score.over_sla, Duration::minutes(10));
        assert_eq!(score.time_to_mitigate, Some(Duration::minutes(10)));
        assert_eq!(score.duration, Duration::minutes(20));
        assert!(score.spent_usd > 0.0);
        // 100 - 10 over - 5 mitigate - 10 runbook unfinished.
        assert_eq!(score.points, 75);
    }

    #[test]
    fn unmitigated_and_risky_moves_cost_points() {
        let sim = Simulator::from_config(&crate::config::SimConfig::default()).unwrap();
        let mut scorer = Scorer::new(sla());
        for m in 0..=6 {
            scorer.observe(&snap_at(&sim, m, 9000.0));
        }
        scorer.note_action("ecs.force_new_deployment orchestrator", true);
        scorer.note_overrule("near-max: no -> yes");
        scorer.note_hint();
        scorer.note_runbook_done(sim.now());
        let score = scorer.score();
        assert_eq!(score.time_to_mitigate, None);
        assert_eq!(score.risky_moves.len(), 2);
        assert_eq!(score.hints, 1);
        assert_eq!(score.points, 100 - 6 - 30 - 20 - 5);
    }

    #[test]
    fn never_breached_is_mitigated_at_once() {
        let sim = Simulator::from_config(&crate::config::SimConfig::default()).unwrap();
        let mut scorer = Scorer::new(sla());
        scorer.observe(&snap_at(&sim, 0, 800.0));
        scorer.observe(&snap_at(&sim, 1, 800.0));
        // The same snapshot again changes nothing.
        scorer.observe(&snap_at(&sim, 1, 9000.0));
        let score = scorer.score();
        assert_eq!(score.time_to_mitigate, Some(Duration::zero()));
        assert_eq!(score.over_sla, Duration::zero());
    }
}
