//! Verify: watch a condition over successive snapshots until it holds (for
//! long enough) or a timeout in data time runs out. The condition itself is
//! evaluated by the caller (a CEL expression in the runbook layer).

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Still watching.
    Pending,
    /// The condition held (for `hold_for`) at this data time.
    Passed { at: DateTime<Utc> },
    /// The timeout ran out first.
    TimedOut { at: DateTime<Utc> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Verifier {
    started: DateTime<Utc>,
    timeout: Duration,
    hold_for: Duration,
    /// Since when the condition has held without a break.
    holding_since: Option<DateTime<Utc>>,
    last_seen: DateTime<Utc>,
    verdict: Verdict,
}

impl Verifier {
    pub fn new(started: DateTime<Utc>, timeout: Duration) -> Self {
        Self {
            started,
            timeout,
            hold_for: Duration::zero(),
            holding_since: None,
            last_seen: started,
            verdict: Verdict::Pending,
        }
    }

    /// Require the condition to hold continuously this long (e.g. CPU < 70 % for 5 min).
    pub fn hold_for(mut self, hold_for: Duration) -> Self {
        self.hold_for = hold_for;
        self
    }

    /// Feed one snapshot's evaluation. Once decided, the verdict does not change.
    pub fn observe(&mut self, at: DateTime<Utc>, holds: bool) -> Verdict {
        if self.verdict != Verdict::Pending || at < self.last_seen {
            return self.verdict;
        }
        self.last_seen = at;
        self.holding_since = match (holds, self.holding_since) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(at),
            (false, _) => None,
        };
        if let Some(since) = self.holding_since
            && at - since >= self.hold_for
        {
            self.verdict = Verdict::Passed { at };
        } else if at - self.started >= self.timeout {
            self.verdict = Verdict::TimedOut { at };
        }
        self.verdict
    }

    /// Like `observe`, evaluating the condition only while still pending.
    pub fn observe_with(&mut self, at: DateTime<Utc>, condition: impl FnOnce() -> bool) -> Verdict {
        match self.verdict {
            Verdict::Pending => self.observe(at, condition()),
            decided => decided,
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Data time elapsed since the start, as of the last observation.
    pub fn elapsed(&self) -> Duration {
        self.last_seen - self.started
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// 0.0..=1.0 of the timeout used, for a progress gauge.
    pub fn progress(&self) -> f64 {
        let total = self.timeout.num_milliseconds();
        if total <= 0 {
            return 1.0;
        }
        (self.elapsed().num_milliseconds() as f64 / total as f64).clamp(0.0, 1.0)
    }

    /// `verifying 2:30 / 5:00` or the verdict.
    pub fn label(&self) -> String {
        let mmss = |d: Duration| format!("{}:{:02}", d.num_minutes(), d.num_seconds() % 60);
        match self.verdict {
            Verdict::Pending => format!(
                "verifying {} / {}",
                mmss(self.elapsed()),
                mmss(self.timeout)
            ),
            Verdict::Passed { at } => format!("verified after {}", mmss(at - self.started)),
            Verdict::TimedOut { .. } => format!("not verified within {}", mmss(self.timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn passes_when_condition_holds() {
        let mut v = Verifier::new(t(0), Duration::minutes(5));
        assert_eq!(v.observe(t(30), false), Verdict::Pending);
        assert_eq!(v.label(), "verifying 0:30 / 5:00");
        assert_eq!(v.observe(t(90), true), Verdict::Passed { at: t(90) });
        assert_eq!(v.label(), "verified after 1:30");
        // Decided: later observations change nothing.
        assert_eq!(v.observe(t(400), false), Verdict::Passed { at: t(90) });
    }

    #[test]
    fn times_out_in_data_time() {
        let mut v = Verifier::new(t(0), Duration::minutes(5));
        assert_eq!(v.observe(t(150), false), Verdict::Pending);
        assert!((v.progress() - 0.5).abs() < 1e-9);
        assert_eq!(v.observe(t(300), false), Verdict::TimedOut { at: t(300) });
        assert_eq!(v.label(), "not verified within 5:00");
    }

    #[test]
    fn hold_for_needs_an_unbroken_run() {
        let mut v = Verifier::new(t(0), Duration::minutes(10)).hold_for(Duration::minutes(2));
        assert_eq!(v.observe(t(60), true), Verdict::Pending);
        assert_eq!(v.observe(t(120), false), Verdict::Pending);
        assert_eq!(v.observe(t(180), true), Verdict::Pending);
        assert_eq!(v.observe(t(240), true), Verdict::Pending);
        assert_eq!(v.observe(t(300), true), Verdict::Passed { at: t(300) });
    }

    #[test]
    fn condition_is_not_evaluated_once_decided() {
        let mut v = Verifier::new(t(0), Duration::seconds(10));
        assert_eq!(
            v.observe_with(t(10), || false),
            Verdict::TimedOut { at: t(10) }
        );
        assert_eq!(
            v.observe_with(t(20), || panic!("evaluated after the verdict")),
            Verdict::TimedOut { at: t(10) }
        );
    }
}
