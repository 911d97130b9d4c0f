//! A part's last good value, kept across failed reads, with its staleness.

use std::collections::{HashSet, VecDeque};

use chrono::{DateTime, Utc};

use super::calls::ApiError;
use crate::model::request::WriteErrorKind;
use crate::model::{FleetEvent, PartStatus};

/// Events kept across refreshes, oldest dropped first.
const MAX_EVENTS: usize = 500;

#[derive(Debug, Default)]
pub struct Kept<T> {
    pub value: T,
    pub fetched_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl<T> Kept<T> {
    /// Take a new value, or keep the old one and record why the read failed.
    /// Returns true when the failure was throttling.
    pub fn apply(&mut self, read: Result<T, ApiError>, now: DateTime<Utc>) -> bool {
        match read {
            Ok(value) => {
                self.value = value;
                self.fetched_at = Some(now);
                self.error = None;
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "AWS read failed; keeping the previous value");
                self.error = Some(e.message);
                e.kind == WriteErrorKind::Throttled
            }
        }
    }

    pub fn status(&self) -> (Option<DateTime<Utc>>, Option<&str>) {
        (self.fetched_at, self.error.as_deref())
    }
}

/// One part's status from its pieces: the oldest read, every error.
pub fn merge<'a>(
    pieces: impl IntoIterator<Item = (Option<DateTime<Utc>>, Option<&'a str>)>,
) -> PartStatus {
    let mut fetched_at: Option<DateTime<Utc>> = None;
    let mut errors: Vec<&str> = Vec::new();
    let mut never = false;
    for (at, error) in pieces {
        match at {
            Some(at) => fetched_at = Some(fetched_at.map_or(at, |f| f.min(at))),
            None => never = true,
        }
        errors.extend(error);
    }
    PartStatus {
        fetched_at: if never && errors.is_empty() {
            None
        } else {
            fetched_at
        },
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

/// Recent events from every source, de-duplicated by their AWS id.
#[derive(Debug, Default)]
pub struct EventLog {
    events: VecDeque<(String, FleetEvent)>,
    pub ids: HashSet<String>,
}

impl EventLog {
    pub fn add(&mut self, items: impl IntoIterator<Item = (String, FleetEvent)>) {
        let mut added = false;
        for (id, event) in items {
            if self.ids.insert(id.clone()) {
                self.events.push_back((id, event));
                added = true;
            }
        }
        if !added {
            return;
        }
        self.events.make_contiguous().sort_by_key(|(_, e)| e.at);
        while self.events.len() > MAX_EVENTS {
            if let Some((id, _)) = self.events.pop_front() {
                self.ids.remove(&id);
            }
        }
    }

    pub fn list(&self) -> Vec<FleetEvent> {
        self.events.iter().map(|(_, e)| e.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    #[test]
    fn failed_read_keeps_value_and_marks_error() {
        let mut k = Kept::<u32>::default();
        assert!(!k.apply(Ok(5), at(10)));
        let throttled = k.apply(
            Err(ApiError {
                kind: WriteErrorKind::Throttled,
                message: "ecs:DescribeServices: ThrottlingException: Rate exceeded".into(),
            }),
            at(20),
        );
        assert!(throttled);
        assert_eq!(k.value, 5);
        assert_eq!(k.fetched_at, Some(at(10)));
        assert!(k.error.as_deref().unwrap().contains("Rate exceeded"));
    }

    #[test]
    fn merge_takes_oldest_and_joins_errors() {
        let s = merge([
            (Some(at(10)), None),
            (Some(at(5)), Some("a")),
            (None, Some("b")),
        ]);
        assert_eq!(s.fetched_at, Some(at(5)));
        assert_eq!(s.error.as_deref(), Some("a; b"));
        assert_eq!(merge([(None, None)]).fetched_at, None);
    }

    #[test]
    fn events_dedup_sort_and_stay_bounded() {
        let mut log = EventLog::default();
        let ev = |s| FleetEvent {
            at: at(s),
            kind: EventKind::ScalingActivity,
            service: None,
            message: String::new(),
            stop: None,
        };
        log.add([
            ("b".to_string(), ev(2)),
            ("a".to_string(), ev(1)),
            ("b".to_string(), ev(2)),
        ]);
        assert_eq!(
            log.list().iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![at(1), at(2)]
        );
        log.add((0..600).map(|i| (format!("x{i}"), ev(100 + i))));
        assert_eq!(log.list().len(), MAX_EVENTS);
        assert!(!log.ids.contains("a"));
    }
}
