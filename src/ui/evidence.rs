//! The open evidence view (tasks or deployments of one service): what it
//! shows, when it last asked, and when it asks again. Only an open view asks;
//! closing it drops this state, so nothing polls for a closed view.

use chrono::{DateTime, Duration, Utc};

use crate::model::ServiceKey;
use crate::model::evidence::{Evidence, EvidenceKind, EvidenceRequest, LogLine};

/// An answer not back after this long is given up, and asked again.
const GIVE_UP_S: i64 = 60;
/// A log tail polls at least this often (a few seconds; the simulator's faster
/// refresh wins there).
pub const LOG_POLL_S: i64 = 5;
/// Lines a log view keeps (the newest).
pub const LOG_KEEP: usize = 2000;
/// A log view opened at an event first reads from this long before it to
/// this long after it...
pub const AROUND_S: i64 = 300;
/// ...and shows this many lines after it, the lead-up above them.
pub const TRAIL_LINES: usize = 8;

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
    /// Rows from the top; for logs, lines up from the newest (0 follows the tail).
    pub scroll: usize,
    /// Logs only: no reads while paused.
    pub paused: bool,
    /// Logs only: the lines shown contain this (any case).
    pub filter: String,
    /// The filter before the input opened; `Some` while typing one.
    pub filter_before: Option<String>,
    /// Logs only: the event the view was opened at (its time and a label),
    /// marked among the lines.
    pub at: Option<(DateTime<Utc>, String)>,
}

impl EvidenceView {
    pub fn new(kind: EvidenceKind, service: ServiceKey) -> EvidenceView {
        EvidenceView {
            request: EvidenceRequest::new(kind, service),
            evidence: None,
            error: None,
            answered_at: None,
            asked_at: None,
            in_flight: false,
            scroll: 0,
            paused: false,
            filter: String::new(),
            filter_before: None,
            at: None,
        }
    }

    /// The service's logs around an event: read from `AROUND_S` before it to
    /// `AROUND_S` after it, paused (space follows the tail from the newest
    /// line read), scrolled to the event once read.
    pub fn at_event(service: ServiceKey, at: DateTime<Utc>, label: String) -> EvidenceView {
        let mut view = EvidenceView::new(EvidenceKind::Logs, service);
        view.request.after = Some(at - Duration::seconds(AROUND_S));
        view.request.until = Some(at + Duration::seconds(AROUND_S));
        view.paused = true;
        view.at = Some((at, label));
        view
    }

    /// The request to send now, if one is due: none in flight (or one given
    /// up on) and the last ask at least `every` ago.
    pub fn ask(&mut self, now: DateTime<Utc>, every: Duration) -> Option<EvidenceRequest> {
        let logs = self.request.kind == EvidenceKind::Logs;
        // A paused tail reads nothing more; one opened paused at an event reads once.
        if logs && self.paused && self.evidence.is_some() {
            return None;
        }
        let every = if logs {
            every.min(Duration::seconds(LOG_POLL_S))
        } else {
            every
        };
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
        let mut request = self.request.clone();
        // A tail asks from its newest line on (that line again: ids dedupe it).
        if let Some(Evidence::Logs(tail)) = &self.evidence {
            request.after = tail.lines.last().map(|l| l.at).or(request.after);
            request.until = None;
        }
        Some(request)
    }

    /// Take an answer if it is for this view; answers for a view since closed
    /// or switched are dropped.
    pub fn answer(
        &mut self,
        request: &EvidenceRequest,
        result: Result<Evidence, String>,
        now: DateTime<Utc>,
    ) -> bool {
        if !request.same_view(&self.request) {
            return false;
        }
        self.in_flight = false;
        self.answered_at = Some(now);
        let first = self.evidence.is_none();
        match result {
            Ok(Evidence::Logs(newer)) => {
                if let Some(Evidence::Logs(tail)) = &mut self.evidence {
                    tail.merge(newer, LOG_KEEP);
                } else {
                    let mut tail = newer;
                    tail.lines.truncate(LOG_KEEP);
                    self.evidence = Some(Evidence::Logs(tail));
                }
                self.error = None;
            }
            Ok(e) => {
                self.evidence = Some(e);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        if first && let Some((at, _)) = &self.at {
            let after = self.shown_lines().iter().filter(|l| l.at > *at).count();
            self.scroll = after.saturating_sub(TRAIL_LINES);
        }
        true
    }

    /// Rows the view can scroll through.
    pub fn rows(&self) -> usize {
        match &self.evidence {
            Some(Evidence::Tasks(list)) => list.tasks.len(),
            Some(Evidence::Logs(_)) => self.shown_lines().len(),
            Some(Evidence::Deployments(d)) => {
                d.deployments.len() + d.diff.as_ref().map_or(0, |x| x.changes.len() + 2)
            }
            _ => 0,
        }
    }
}

impl EvidenceView {
    /// Log lines that pass the filter, oldest first.
    pub fn shown_lines(&self) -> Vec<&LogLine> {
        let Some(Evidence::Logs(tail)) = &self.evidence else {
            return Vec::new();
        };
        let needle = self.filter.to_lowercase();
        tail.lines
            .iter()
            .filter(|l| needle.is_empty() || l.message.to_lowercase().contains(&needle))
            .collect()
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
    fn a_paused_tail_does_not_ask_and_a_tail_asks_from_its_newest_line() {
        use crate::model::evidence::{LogTail, LogTarget};
        let mut v = EvidenceView::new(EvidenceKind::Logs, ServiceKey::new("c", "s"));
        let every = Duration::seconds(15);
        let first = v.ask(t(0), every).unwrap();
        assert_eq!(first.after, None);
        let line = LogLine {
            id: "1".into(),
            at: t(-3),
            stream: "ecs/app/x".into(),
            message: "Connection is not available".into(),
        };
        let tail = LogTail {
            target: LogTarget::None,
            lines: vec![line],
        };
        v.answer(&first, Ok(Evidence::Logs(tail.clone())), t(0));
        // Logs poll every LOG_POLL_S, faster than the 15 s refresh.
        let next = v.ask(t(LOG_POLL_S), every).unwrap();
        assert_eq!(next.after, Some(t(-3)));
        v.answer(&next, Ok(Evidence::Logs(tail)), t(LOG_POLL_S));
        assert_eq!(v.shown_lines().len(), 1, "the same event id once");
        v.filter = "nothing like it".into();
        assert!(v.shown_lines().is_empty());
        v.paused = true;
        assert!(v.ask(t(600), every).is_none());
    }

    #[test]
    fn answers_for_another_view_are_dropped() {
        let mut v = EvidenceView::new(EvidenceKind::Tasks, ServiceKey::new("c", "s"));
        let other = EvidenceRequest::new(EvidenceKind::Deployments, ServiceKey::new("c", "s"));
        assert!(!v.answer(&other, Err("x".into()), t(0)));
        assert_eq!((v.evidence, v.error), (None, None));
    }
}
