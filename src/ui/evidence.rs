//! The open evidence view (tasks or deployments of one service): what it
//! shows, when it last asked, and when it asks again. Only an open view asks;
//! closing it drops this state, so nothing polls for a closed view.

use chrono::{DateTime, Duration, Utc};

use crate::model::ServiceKey;
use crate::model::evidence::{Evidence, EvidenceKind, EvidenceRequest};

/// An answer not back after this long is given up, and asked again.
const GIVE_UP_S: i64 = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct EvidenceView {
    pub request: EvidenceRequest,
    /// The latest evidence read; `None` until the first arrives.
    pub evidence: Option<Evidence>,
    /// Why the latest read failed; the rows of the one before stay.
    pub error: Option<String>,
    /// Wall time of the latest answer, and of the ask now in flight.
    pub answered_at: Option<DateTime<Utc>>,
    pub asked_at: Option<DateTime<Utc>>,
    pub in_flight: bool,
    pub scroll: usize,
}

impl EvidenceView {
    pub fn new(kind: EvidenceKind, service: ServiceKey) -> EvidenceView {
        EvidenceView {
            request: EvidenceRequest { kind, service },
            evidence: None,
            error: None,
            answered_at: None,
            asked_at: None,
            in_flight: false,
            scroll: 0,
        }
    }

    /// The request to send now, if one is due: none in flight (or one given
    /// up on) and the last ask at least `every` ago.
    pub fn ask(&mut self, now: DateTime<Utc>, every: Duration) -> Option<EvidenceRequest> {
        let due = match self.asked_at {
            None => true,
            Some(at) if self.in_flight => now - at >= Duration::seconds(GIVE_UP_S),
            Some(at) => now - at >= every,
        };
        if !due {
            return None;
        }
        self.asked_at = Some(now);
        self.in_flight = true;
        Some(self.request.clone())
    }

    /// Take an answer if it is for this view; answers for a view since closed
    /// or switched are dropped.
    pub fn answer(
        &mut self,
        request: &EvidenceRequest,
        result: Result<Evidence, String>,
        now: DateTime<Utc>,
    ) -> bool {
        if *request != self.request {
            return false;
        }
        self.in_flight = false;
        self.answered_at = Some(now);
        match result {
            Ok(e) => {
                self.evidence = Some(e);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        true
    }

    /// Rows the view can scroll through.
    pub fn rows(&self) -> usize {
        match &self.evidence {
            Some(Evidence::Tasks(list)) => list.tasks.len(),
            Some(Evidence::Deployments(d)) => {
                d.deployments.len() + d.diff.as_ref().map_or(0, |x| x.changes.len() + 2)
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::TaskList;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn asks_once_then_at_the_cadence() {
        let mut v = EvidenceView::new(EvidenceKind::Tasks, ServiceKey::new("c", "s"));
        let every = Duration::seconds(15);
        assert!(v.ask(t(0), every).is_some());
        // In flight: no second ask until the answer (or the give-up time).
        assert!(v.ask(t(20), every).is_none());
        let req = v.request.clone();
        assert!(v.answer(&req, Ok(Evidence::Tasks(TaskList::default())), t(1)));
        assert!(v.ask(t(10), every).is_none());
        assert!(v.ask(t(15), every).is_some());
        assert!(v.ask(t(15 + GIVE_UP_S), every).is_some());
    }

    #[test]
    fn answers_for_another_view_are_dropped() {
        let mut v = EvidenceView::new(EvidenceKind::Tasks, ServiceKey::new("c", "s"));
        let other = EvidenceRequest {
            kind: EvidenceKind::Deployments,
            service: ServiceKey::new("c", "s"),
        };
        assert!(!v.answer(&other, Err("x".into()), t(0)));
        assert_eq!((v.evidence, v.error), (None, None));
    }
}
