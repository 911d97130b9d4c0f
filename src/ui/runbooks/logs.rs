//! The open walk's log counts. CEL evaluation is synchronous over what is at
//! hand, so `log_matches` reads counts made beforehand: while a walk of a
//! runbook that calls it is open (and not ended), the loop asks the session's
//! reader to count the runbook's queries at the fast refresh cadence, and each
//! answer re-evaluates the walk. No walk, no count.

use chrono::{DateTime, Duration, Utc};

use super::Runbooks;
use crate::model::ServiceKey;
use crate::model::evidence::{LogMatches, LogQuery};
use crate::runbook::Input;
use crate::runbook::model::Scope;
use crate::ui::event::{Message, Reply};

/// An answer not back after this long is given up, and asked again.
const GIVE_UP_S: i64 = 60;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WalkLogs {
    /// The latest counts; `log_matches` uses them only for their service.
    pub counted: Option<LogMatches>,
    /// The service and wall time of the latest ask, and whether it is answered.
    asked: Option<(ServiceKey, DateTime<Utc>)>,
    in_flight: bool,
}

impl Runbooks {
    /// What to count now, if the open walk needs counts and one is due.
    pub fn ask_logs(
        &mut self,
        now: DateTime<Utc>,
        every: Duration,
    ) -> Option<(ServiceKey, Vec<LogQuery>)> {
        let walker = &self.walk.as_ref()?.walker;
        let queries = &walker.runbook().log_queries;
        let Scope::Service(service) = walker.machine().scope() else {
            return None;
        };
        if queries.is_empty() || walker.ended.is_some() {
            return None;
        }
        let due = match &self.logs.asked {
            Some((s, _)) if s != service => true,
            Some((_, at)) if self.logs.in_flight => now - *at >= Duration::seconds(GIVE_UP_S),
            Some((_, at)) => now - *at >= every,
            None => true,
        };
        if !due {
            return None;
        }
        self.logs.asked = Some((service.clone(), now));
        self.logs.in_flight = true;
        Some((service.clone(), queries.clone()))
    }

    /// The reader's counts: kept, and the walk evaluated again with them.
    pub fn on_log_matches(
        &mut self,
        service: &ServiceKey,
        result: Result<LogMatches, String>,
        ctx: &super::Ctx<'_>,
    ) -> Reply {
        if self.logs.asked.as_ref().is_some_and(|(s, _)| s == service) {
            self.logs.in_flight = false;
        }
        match result {
            Ok(counted) => {
                self.logs.counted = Some(counted);
                self.walk_input(Input::Evaluate, ctx)
            }
            Err(e) => Reply::say(Message::error(format!(
                "log_matches: cannot count {service}'s log lines: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::Walker;
    use crate::ui::runbooks::OpenWalk;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn walking(runbook: &str, service: &ServiceKey) -> Runbooks {
        let mut runbooks = Runbooks::shipped();
        let rb = runbooks.library.get(runbook).unwrap().clone();
        runbooks.walk = Some(OpenWalk {
            walker: Walker::new(rb, Scope::Service(service.clone()), t(0)),
            focused: true,
        });
        runbooks
    }

    /// Counts are asked for only while a walk that needs them is open, one at
    /// a time, at the cadence, and at once for another service.
    #[test]
    fn a_walk_asks_for_its_counts_at_the_cadence_and_only_while_open() {
        let every = Duration::seconds(15);
        let svc = ServiceKey::new("manga-chatbot", "orchestrator");
        let mut rb = walking("spot-cascade", &svc);
        let (service, queries) = rb.ask_logs(t(0), every).expect("asked at once");
        assert_eq!(service, svc);
        let patterns: Vec<&str> = queries.iter().map(|q| q.pattern.as_str()).collect();
        assert_eq!(patterns, ["SIGTERM"]);
        assert!(rb.ask_logs(t(20), every).is_none(), "one in flight");
        rb.logs.in_flight = false;
        assert!(rb.ask_logs(t(10), every).is_none(), "not yet due");
        assert!(rb.ask_logs(t(15), every).is_some());
        // Another service's walk asks at once.
        let other = ServiceKey::new("manga-chatbot", "worker");
        let mut rb2 = walking("spot-cascade", &other);
        rb2.logs = rb.logs.clone();
        assert_eq!(rb2.ask_logs(t(36), every).map(|a| a.0), Some(other));
        // A runbook that counts nothing, or no walk: no ask.
        assert!(
            walking("cache-memory", &svc)
                .ask_logs(t(0), every)
                .is_none()
        );
        rb.walk = None;
        assert!(rb.ask_logs(t(600), every).is_none());
    }
}
