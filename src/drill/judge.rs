//! The verdict of a drill: the scenario's objective (a CEL condition over the
//! SLA's service or a cache) must hold for its verify window before its time
//! limit. Fed one snapshot at a time, like the scorer; pure.

use chrono::{DateTime, Duration, Utc};

use crate::model::history::FleetHistory;
use crate::model::{FleetSnapshot, ServiceKey};
use crate::runbook::cel::{EvalContext, Evaluator, Expr};
use crate::runbook::{OverrideFacts, Scope};
use crate::sim::Objective;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Won,
    Lost,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// Data time the verdict was reached.
    pub at: DateTime<Utc>,
    /// From the start until the objective began to hold for good (won only).
    pub mitigated_after: Option<Duration>,
    pub why: String,
}

#[derive(Clone, Debug)]
pub struct Judge {
    objective: Objective,
    condition: Expr,
    /// The SLA's service name, resolved to its key on the first snapshot.
    service: String,
    started_at: Option<DateTime<Utc>>,
    held_since: Option<DateTime<Utc>>,
    /// Why the objective did not hold at the last snapshot (for a lost verdict).
    last_miss: String,
    verdict: Option<Verdict>,
}

impl Judge {
    /// A judge for the objective; the condition is compiled here so a bad
    /// scenario fails before the drill starts.
    pub fn new(objective: &Objective, sla_service: &str) -> Result<Judge, String> {
        let condition = Expr::compile(&objective.mitigated)
            .map_err(|e| format!("objective: `{}`: {}", objective.mitigated, e.message))?;
        Ok(Judge {
            objective: objective.clone(),
            condition,
            service: sla_service.to_string(),
            started_at: None,
            held_since: None,
            last_miss: "the objective never held".into(),
            verdict: None,
        })
    }

    pub fn objective(&self) -> &Objective {
        &self.objective
    }

    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    fn scope(&self, snap: &FleetSnapshot) -> Option<Scope> {
        match &self.objective.cache {
            Some(id) => Some(Scope::Cache(id.clone())),
            None => snap
                .services
                .iter()
                .map(|s| &s.key)
                .find(|k| k.service == self.service)
                .map(|k: &ServiceKey| Scope::Service(k.clone())),
        }
    }

    /// Take one snapshot in; returns the verdict once it is reached.
    pub fn observe(
        &mut self,
        snap: &FleetSnapshot,
        history: &FleetHistory,
        facts: &OverrideFacts,
    ) -> Option<&Verdict> {
        if self.verdict.is_some() {
            return self.verdict.as_ref();
        }
        let at = snap.taken_at;
        let start = *self.started_at.get_or_insert(at);
        let holds = match self.scope(snap) {
            Some(scope) => {
                let ec = EvalContext::new(snap, history, facts);
                Evaluator::new(&ec, &scope).eval_bool(&self.condition)
            }
            None => Err(format!("`{}` is not in the fleet", self.service)),
        };
        match holds {
            Ok(true) => {
                let since = *self.held_since.get_or_insert(at);
                if at - since >= minutes(self.objective.verify_minutes) {
                    self.verdict = Some(Verdict {
                        outcome: Outcome::Won,
                        at,
                        mitigated_after: Some(since - start),
                        why: format!(
                            "{} held for {} min from t+{}",
                            self.objective.mitigated,
                            self.objective.verify_minutes,
                            clock(since - start)
                        ),
                    });
                }
            }
            Ok(false) => {
                self.held_since = None;
                self.last_miss = format!("{} did not hold", self.objective.mitigated);
            }
            Err(e) => {
                self.held_since = None;
                self.last_miss = format!("the objective could not be evaluated: {e}");
            }
        }
        if self.verdict.is_none() && at - start >= minutes(self.objective.limit_minutes) {
            self.verdict = Some(Verdict {
                outcome: Outcome::Lost,
                at,
                mitigated_after: None,
                why: format!(
                    "time limit of {} min reached: {}",
                    self.objective.limit_minutes, self.last_miss
                ),
            });
        }
        self.verdict.as_ref()
    }
}

fn minutes(m: f64) -> Duration {
    Duration::milliseconds((m * 60_000.0) as i64)
}

/// `12m30s`.
pub fn clock(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    format!("{}m{:02}s", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SimConfig;
    use crate::sim::Simulator;

    fn objective(limit: f64, verify: f64) -> Objective {
        Objective {
            text: "orchestrator P95 under 2 s".into(),
            limit_minutes: limit,
            verify_minutes: verify,
            mitigated: "service.p95_ms < 2000.0".into(),
            cache: None,
        }
    }

    fn at(sim: &Simulator, minute: i64, p95: f64) -> FleetSnapshot {
        let mut s = sim.snapshot();
        s.taken_at = sim.now() + Duration::minutes(minute);
        for svc in &mut s.services {
            if svc.key.service == "orchestrator" {
                svc.metrics.p95_ms = Some(p95);
            }
        }
        s
    }

    fn run(judge: &mut Judge, p95_by_minute: impl Fn(i64) -> f64, minutes: i64) {
        let sim = Simulator::from_config(&SimConfig::default()).unwrap();
        let history = FleetHistory::default();
        for m in 0..=minutes {
            judge.observe(
                &at(&sim, m, p95_by_minute(m)),
                &history,
                &OverrideFacts::default(),
            );
        }
    }

    #[test]
    fn won_when_the_objective_holds_through_the_verify_window() {
        let mut judge = Judge::new(&objective(30.0, 5.0), "orchestrator").unwrap();
        run(&mut judge, |m| if m < 8 { 5000.0 } else { 900.0 }, 30);
        let v = judge.verdict().unwrap();
        assert_eq!(v.outcome, Outcome::Won);
        assert_eq!(v.mitigated_after, Some(Duration::minutes(8)));
        assert_eq!(v.at - judge.started_at.unwrap(), Duration::minutes(13));
    }

    #[test]
    fn a_relapse_restarts_the_verify_window_and_the_limit_loses() {
        let mut judge = Judge::new(&objective(20.0, 5.0), "orchestrator").unwrap();
        // Good for 4 minutes at a time, never 5.
        run(&mut judge, |m| if m % 5 == 4 { 5000.0 } else { 900.0 }, 25);
        let v = judge.verdict().unwrap();
        assert_eq!(v.outcome, Outcome::Lost);
        assert!(
            v.why.starts_with("time limit of 20 min reached"),
            "{}",
            v.why
        );
    }

    #[test]
    fn a_bad_condition_fails_before_the_drill() {
        let mut o = objective(20.0, 5.0);
        o.mitigated = "service.p95_ms <".into();
        assert!(Judge::new(&o, "orchestrator").is_err());
    }
}
