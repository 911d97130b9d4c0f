//! The bounded event log: oldest first, the newest `CAPACITY` kept.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::model::{EventKind, FleetEvent, ServiceKey, TaskStop};

pub const CAPACITY: usize = 500;

#[derive(Clone, Debug, Default)]
pub struct EventLog {
    events: VecDeque<FleetEvent>,
}

impl EventLog {
    pub fn push(
        &mut self,
        at: DateTime<Utc>,
        kind: EventKind,
        service: Option<&ServiceKey>,
        message: impl Into<String>,
    ) {
        self.push_event(FleetEvent::new(at, kind, service.cloned(), message));
    }

    /// An event about stopped tasks, with why they stopped.
    pub fn push_stop(
        &mut self,
        at: DateTime<Utc>,
        kind: EventKind,
        service: &ServiceKey,
        message: impl Into<String>,
        stop: TaskStop,
    ) {
        let mut event = FleetEvent::new(at, kind, Some(service.clone()), message);
        event.stop = Some(stop);
        self.push_event(event);
    }

    fn push_event(&mut self, event: FleetEvent) {
        if self.events.len() == CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    pub fn to_vec(&self) -> Vec<FleetEvent> {
        self.events.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_oldest_first() {
        let mut log = EventLog::default();
        let t = DateTime::<Utc>::UNIX_EPOCH;
        for i in 0..CAPACITY + 3 {
            log.push(t, EventKind::ServiceEvent, None, format!("e{i}"));
        }
        let v = log.to_vec();
        assert_eq!(v.len(), CAPACITY);
        assert_eq!(v[0].message, "e3");
        assert_eq!(v[CAPACITY - 1].message, format!("e{}", CAPACITY + 2));
    }
}
