//! Functions runbook expressions may call. CEL functions must own their data,
//! so each scope's evaluation gathers the little it needs (its recent events,
//! its series or the shared history) into a `HelperData`, which `Helpers`
//! hands to the registered functions.
//!
//! `HELPERS` declares each one (signature, lookback, meaning): the static
//! checker, `sitrep runbook helpers` and docs/runbooks.md read it, and a test
//! holds it equal to what `register` adds.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use cel::{Context, ExecutionError};
use chrono::{DateTime, Duration, Utc};

use super::context::EvalContext;
use crate::model::evidence::{LogMatches, LogQuery};
use crate::model::history::{FleetHistory, Metric, Points, Series, Subject};
use crate::model::projection::{self, Eta, Toward};
use crate::model::{EventKind, ServiceKey};
use crate::runbook::model::Scope;

/// How far back helpers can look: the history's ring holds an hour.
pub const LOOKBACK_S: i64 = crate::model::history::WINDOW_S;
/// CPU above which a service is saturated: its CPU no longer tells its load.
pub const SATURATED_CPU: f64 = 90.0;
/// Window of the load trend `needed_tasks` projects on.
const TREND_S: i64 = 300;
/// Tag naming a known traffic event for `scheduled-prewarm` (RFC 3339).
pub const NEXT_EVENT_TAG: &str = "next-event";

/// A helper's parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A double (CEL has no implicit int -> double: write 10.0).
    Double,
    /// A metric name: one of `SERVICE_METRICS` or `CACHE_METRICS`, or a
    /// metric the runbook declares with `[[metric]]`.
    Metric,
    /// A metric the runbook declares with `[[metric]]`.
    Declared,
    /// Any number of doubles (`max`, `min`).
    Doubles,
    /// A string literal: text a log line contains.
    Pattern,
}

/// What a helper returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returns {
    Bool,
    Double,
    String,
}

/// One helper, as the reference and the checker know it.
#[derive(Debug)]
pub struct Helper {
    pub name: &'static str,
    pub args: &'static [(&'static str, Arg)],
    pub returns: Returns,
    /// The argument that is a window of minutes back: at most `LOOKBACK_S / 60`.
    pub lookback: Option<usize>,
    pub doc: &'static str,
}

impl Helper {
    pub fn signature(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|(n, a)| match a {
                Arg::Double => format!("{n}: double"),
                Arg::Metric => format!("{n}: metric"),
                Arg::Declared => format!("{n}: declared metric"),
                Arg::Doubles => format!("{n}: double..."),
                Arg::Pattern => format!("{n}: string"),
            })
            .collect();
        let returns = match self.returns {
            Returns::Bool => "bool",
            Returns::Double => "double",
            Returns::String => "string",
        };
        format!("{}({}) -> {returns}", self.name, args.join(", "))
    }
}

/// Metric names a service scope can read.
pub const SERVICE_METRICS: &[&str] = &[
    "cpu",
    "memory",
    "p95",
    "error_rate",
    "requests",
    "running",
    "desired",
    "spot_share",
];
/// Metric names a cache scope can read.
pub const CACHE_METRICS: &[&str] = &["cache_memory", "evictions"];

const MINUTES: (&str, Arg) = ("minutes", Arg::Double);

/// Every helper `register` adds, in the order the reference lists them.
pub static HELPERS: &[Helper] = &[
    Helper {
        name: "sustained_above",
        args: &[("metric", Arg::Metric), ("threshold", Arg::Double), MINUTES],
        returns: Returns::Bool,
        lookback: Some(2),
        doc: "every sample of the last N minutes is above the threshold, and the samples cover the window",
    },
    Helper {
        name: "sustained_below",
        args: &[("metric", Arg::Metric), ("threshold", Arg::Double), MINUTES],
        returns: Returns::Bool,
        lookback: Some(2),
        doc: "every sample of the last N minutes is below the threshold, and the samples cover the window",
    },
    Helper {
        name: "average",
        args: &[("metric", Arg::Metric), MINUTES],
        returns: Returns::Double,
        lookback: Some(1),
        doc: "mean of the last N minutes of samples; -1 when they do not cover the window",
    },
    Helper {
        name: "lowest",
        args: &[("metric", Arg::Metric), MINUTES],
        returns: Returns::Double,
        lookback: Some(1),
        doc: "the smallest sample of the last N minutes; -1 when there is none",
    },
    Helper {
        name: "highest",
        args: &[("metric", Arg::Metric), MINUTES],
        returns: Returns::Double,
        lookback: Some(1),
        doc: "the largest sample of the last N minutes; -1 when there is none",
    },
    Helper {
        name: "metric",
        args: &[("name", Arg::Declared)],
        returns: Returns::Double,
        lookback: None,
        doc: "latest value of a metric the runbook declares with `[[metric]]` (any CloudWatch metric, read in the same batched GetMetricData; modelled by the simulator for its scenarios); -1 when it has no datapoint",
    },
    Helper {
        name: "eta_above",
        args: &[("metric", Arg::Metric), ("limit", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "minutes until the metric rises to the limit on its trend of the last 10 minutes (a least-squares line that must stand out of the noise): 0 when already there; -1 when flat, falling, too noisy, more than a day away, or on under 2 minutes of samples",
    },
    Helper {
        name: "eta_below",
        args: &[("metric", Arg::Metric), ("limit", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "as eta_above, for a floor: minutes until the metric falls to the limit",
    },
    Helper {
        name: "interrupted_share",
        args: &[MINUTES],
        returns: Returns::Double,
        lookback: Some(0),
        doc: "Spot interruptions of the scoped service in N minutes, % of its running tasks",
    },
    Helper {
        name: "interruptions",
        args: &[MINUTES],
        returns: Returns::Double,
        lookback: Some(0),
        doc: "Spot interruptions of the scoped service in N minutes",
    },
    Helper {
        name: "services_interrupted",
        args: &[MINUTES],
        returns: Returns::Double,
        lookback: Some(0),
        doc: "services, fleet-wide, with a Spot interruption in N minutes",
    },
    Helper {
        name: "scaling_active",
        args: &[MINUTES],
        returns: Returns::Bool,
        lookback: Some(0),
        doc: "a scaling activity of the scoped service, or its desired count rising, in N minutes",
    },
    Helper {
        name: "failed_tasks",
        args: &[MINUTES],
        returns: Returns::Double,
        lookback: Some(0),
        doc: "tasks of the scoped service that failed to start (or whose essential container exited) in N minutes",
    },
    Helper {
        name: "started_tasks",
        args: &[MINUTES],
        returns: Returns::Double,
        lookback: Some(0),
        doc: "tasks of the scoped service started in N minutes",
    },
    Helper {
        name: "last_failure",
        args: &[MINUTES],
        returns: Returns::String,
        lookback: Some(0),
        doc: "message (stop reason) of the scoped service's latest task failure in N minutes; '' when none",
    },
    Helper {
        name: "log_matches",
        args: &[("pattern", Arg::Pattern), MINUTES],
        returns: Returns::Double,
        lookback: None,
        doc: "lines of the scoped service's logs in the last N minutes (whole, at most 60) that contain the pattern (case-sensitive; literals only). Counted by the session's reader (CloudWatch Logs FilterLogEvents, or the simulator's lines) while a walk is open, at the refresh cadence; an error until the first count arrives, and in triggers",
    },
    Helper {
        name: "needed_tasks",
        args: &[("target_pct", Arg::Double), ("minutes_ahead", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "the immediate need: tasks that run the load at the scaling target. Running x CPU / target; past 90 % CPU (which hides the load) the load is read from requests per minute against what a task served per CPU % in the latest unsaturated sample of the last hour, projected N minutes ahead on the last 5 minutes' rise. Never below running x CPU / target; an error without a CPU datapoint",
    },
    Helper {
        name: "cost_of",
        args: &[("tasks", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "hourly cost of N tasks of the scoped service under its capacity-provider strategy, at the seed prices",
    },
    Helper {
        name: "ledger_overdue",
        args: &[],
        returns: Returns::Double,
        lookback: None,
        doc: "ledger entries of the scoped service past their revert-by time",
    },
    Helper {
        name: "drift_from_baseline",
        args: &[],
        returns: Returns::Double,
        lookback: None,
        doc: "live settings of the scoped service that differ from the declared baseline",
    },
    Helper {
        name: "event_schedule",
        args: &[("offset_minutes", Arg::Double)],
        returns: Returns::String,
        lookback: None,
        doc: "`at(...)` schedule for the scoped service's `next-event` tag (RFC 3339) plus the offset; an error without the tag",
    },
    Helper {
        name: "ceil",
        args: &[("x", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "x rounded up to a whole number (task counts)",
    },
    Helper {
        name: "floor",
        args: &[("x", Arg::Double)],
        returns: Returns::Double,
        lookback: None,
        doc: "x rounded down to a whole number",
    },
    Helper {
        name: "max",
        args: &[("x", Arg::Doubles)],
        returns: Returns::Double,
        lookback: None,
        doc: "the largest of its arguments",
    },
    Helper {
        name: "min",
        args: &[("x", Arg::Doubles)],
        returns: Returns::Double,
        lookback: None,
        doc: "the smallest of its arguments",
    },
];

pub fn helper(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

struct EventFact {
    at: i64,
    kind: EventKind,
    service: Option<ServiceKey>,
    message: String,
}

/// Where a scope's series and the declared metrics' are read: copied when
/// the evaluation starts, or, when the history is shared (the cockpit's
/// triggers over every scope), read where they are when a helper asks: one
/// series, not every one of the scope and every declared metric.
enum ScopeSeries {
    Copied {
        scope: HashMap<Metric, Points>,
        declared: HashMap<String, Points>,
    },
    Shared {
        history: Arc<FleetHistory>,
        subject: Subject,
        since: i64,
    },
}

impl ScopeSeries {
    fn get(&self, metric: Metric) -> Option<Cow<'_, Points>> {
        match self {
            ScopeSeries::Copied { scope, .. } => scope.get(&metric).map(Cow::Borrowed),
            ScopeSeries::Shared {
                history,
                subject,
                since,
            } => history
                .get(subject, metric)
                .map(|s| Cow::Owned(s.fine.since(*since).collect())),
        }
    }

    fn declared(&self, name: &str) -> Option<Cow<'_, Points>> {
        match self {
            ScopeSeries::Copied { declared, .. } => declared.get(name).map(Cow::Borrowed),
            ScopeSeries::Shared { history, since, .. } => history
                .declared(name)
                .map(|s| Cow::Owned(s.fine.since(*since).collect())),
        }
    }
}

struct HelperData {
    now: i64,
    scoped: Option<ServiceKey>,
    running: f64,
    cpu: Option<f64>,
    /// The scoped service, for `cost_of`: its task size, arch and strategy.
    service: Option<crate::model::Service>,
    series: ScopeSeries,
    /// Declared metrics' latest values.
    declared: HashMap<String, f64>,
    /// Every declared name the snapshot carries, with data or without.
    declared_names: Vec<String>,
    events: Vec<EventFact>,
    overdue: f64,
    drift: f64,
    next_event: Option<DateTime<Utc>>,
    /// The walk's log counts, when they are for this scope.
    logs: Option<LogMatches>,
}

fn metric_by_name(name: &str) -> Option<Metric> {
    Some(match name {
        "cpu" => Metric::Cpu,
        "memory" => Metric::Memory,
        "p95" => Metric::P95,
        "error_rate" => Metric::ErrorRate,
        "requests" => Metric::Requests,
        "running" => Metric::Running,
        "desired" => Metric::Desired,
        "spot_share" => Metric::SpotShare,
        "cache_memory" => Metric::CacheMemory,
        "evictions" => Metric::Evictions,
        _ => return None,
    })
}

const METRICS: [Metric; 10] = [
    Metric::Cpu,
    Metric::Memory,
    Metric::P95,
    Metric::ErrorRate,
    Metric::Requests,
    Metric::Running,
    Metric::Desired,
    Metric::SpotShare,
    Metric::CacheMemory,
    Metric::Evictions,
];

impl HelperData {
    fn new(ec: &EvalContext<'_>, scope: &Scope) -> Self {
        let now = ec.now().timestamp();
        let since = now - LOOKBACK_S;
        let subject = match scope {
            Scope::Service(key) => Subject::Service(key.clone()),
            Scope::Cache(id) => Subject::Cache(id.clone()),
        };
        let series = match ec.shared {
            Some(history) => ScopeSeries::Shared {
                history: Arc::clone(history),
                subject,
                since,
            },
            None => ScopeSeries::Copied {
                scope: METRICS
                    .iter()
                    .filter_map(|&m| {
                        Some((m, ec.history.get(&subject, m)?.fine.since(since).collect()))
                    })
                    .collect(),
                declared: ec
                    .snapshot
                    .declared
                    .iter()
                    .filter_map(|d| {
                        let points = ec.history.declared(&d.name)?.fine.since(since);
                        Some((d.name.clone(), points.collect()))
                    })
                    .collect(),
            },
        };
        let scoped = match scope {
            Scope::Service(key) => Some(key.clone()),
            Scope::Cache(_) => None,
        };
        let service = scoped.as_ref().and_then(|k| ec.service(k));
        // Only what the helpers read: this scope's events, and Spot interruptions
        // fleet-wide (`services_interrupted`). Copying every event for every
        // scope made trigger evaluation quadratic in fleet size.
        let events = ec
            .events_of(scoped.as_ref())
            .into_iter()
            .filter(|e| e.at.timestamp() >= since)
            .map(|e| EventFact {
                at: e.at.timestamp(),
                kind: e.kind,
                service: e.service.clone(),
                // Only failures' messages are read (`last_failure`).
                message: if e.kind == EventKind::TaskFailed {
                    e.message.clone()
                } else {
                    String::new()
                },
            })
            .collect();
        let mine = |s: &ServiceKey| scoped.as_ref() == Some(s);
        Self {
            now,
            declared: ec
                .snapshot
                .declared
                .iter()
                .filter_map(|d| Some((d.name.clone(), d.value?)))
                .collect(),
            declared_names: ec
                .snapshot
                .declared
                .iter()
                .map(|d| d.name.clone())
                .collect(),
            running: service.map_or(0.0, |s| f64::from(s.running)),
            cpu: service.and_then(|s| s.metrics.cpu_pct),
            service: service.map(|s| crate::model::Service {
                tags: Default::default(),
                ..s.clone()
            }),
            next_event: service
                .and_then(|s| s.tags.get(NEXT_EVENT_TAG))
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc)),
            overdue: ec.facts.overdue.iter().filter(|o| mine(&o.service)).count() as f64,
            drift: ec.facts.drift.iter().filter(|d| mine(&d.service)).count() as f64,
            logs: ec
                .logs
                .filter(|l| scoped.as_ref() == Some(&l.service))
                .cloned(),
            scoped,
            series,
            events,
        }
    }

    fn log_matches(&self, pattern: &str, minutes: f64) -> Result<f64, ExecutionError> {
        let query = LogQuery {
            pattern: pattern.to_string(),
            minutes: minutes as u32,
        };
        let logs = self.logs.as_ref().ok_or_else(|| {
            ExecutionError::function_error(
                "log_matches",
                "the service's log lines are not counted yet (a walk's reader counts them)",
            )
        })?;
        let count = logs.count(&query).ok_or_else(|| {
            ExecutionError::function_error(
                "log_matches",
                format!("`{pattern}` over {minutes} min was not counted"),
            )
        })?;
        Ok(count as f64)
    }

    /// Same rule as `Series::sustained`: the window must be covered by samples.
    fn sustained(
        &self,
        metric: &str,
        minutes: f64,
        pred: impl Fn(f64) -> bool,
    ) -> Result<bool, ExecutionError> {
        let since = self.now - (minutes * 60.0) as i64;
        let Some(points) = self.points(metric)? else {
            return Ok(false);
        };
        let mut series = Series::default();
        for &(t, v) in points.iter() {
            series.record(t, v);
        }
        Ok(series.sustained(since, pred))
    }

    /// Minutes to `limit` on the metric's recent trend; -1 when it is not heading there.
    fn eta(&self, metric: &str, limit: f64, toward: Toward) -> Result<f64, ExecutionError> {
        let Some(points) = self.points(metric)? else {
            return Ok(Eta::Unknown.minutes());
        };
        let mut series = Series::default();
        for &(t, v) in points.iter() {
            series.record(t, v);
        }
        Ok(projection::eta(&series, limit, toward).minutes())
    }

    /// Mean over the window, under the same coverage rule; -1 (missing) when
    /// the samples do not reach back to the window's start.
    fn average(&self, metric: &str, minutes: f64) -> Result<f64, ExecutionError> {
        let since = self.now - (minutes * 60.0) as i64;
        let Some(points) = self.points(metric)? else {
            return Ok(super::variables::MISSING);
        };
        let mut series = Series::default();
        for &(t, v) in points.iter() {
            series.record(t, v);
        }
        if !series.sustained(since, |_| true) {
            return Ok(super::variables::MISSING);
        }
        let window: Vec<f64> = series.fine.since(since).map(|p| p.1).collect();
        Ok(window.iter().sum::<f64>() / window.len() as f64)
    }

    /// The last hour of a scope metric or a declared one (`None` without
    /// data); an error for a name that is neither.
    fn points(&self, metric: &str) -> Result<Option<Cow<'_, Points>>, ExecutionError> {
        match metric_by_name(metric) {
            Some(m) => Ok(self.series.get(m)),
            None if self.declared_names.iter().any(|n| n == metric) => {
                Ok(self.series.declared(metric))
            }
            None => Err(ExecutionError::function_error(
                "metric",
                format!("unknown metric `{metric}`"),
            )),
        }
    }

    /// The smallest (or largest) sample of the window; -1 when there is none.
    fn extreme(&self, metric: &str, minutes: f64, largest: bool) -> Result<f64, ExecutionError> {
        let since = self.now - (minutes * 60.0) as i64;
        let points = self.points(metric)?.unwrap_or_default();
        let window = points.iter().filter(|p| p.0 >= since).map(|p| p.1);
        let found = if largest {
            window.reduce(f64::max)
        } else {
            window.reduce(f64::min)
        };
        Ok(found.unwrap_or(super::variables::MISSING))
    }

    fn count(&self, minutes: f64, kind: EventKind, scoped_only: bool) -> f64 {
        let since = self.now - (minutes * 60.0) as i64;
        self.events
            .iter()
            .filter(|e| e.at >= since && e.kind == kind)
            .filter(|e| !scoped_only || (e.service.is_some() && e.service == self.scoped))
            .count() as f64
    }

    /// The immediate need: see the module documentation.
    fn needed_tasks(&self, target: f64, ahead_min: f64) -> Result<f64, ExecutionError> {
        if !(target > 0.0 && target <= 100.0) {
            return Err(ExecutionError::function_error(
                "needed_tasks",
                format!("target must be a CPU percentage in (0, 100], got {target}"),
            ));
        }
        let Some(cpu) = self.cpu else {
            return Err(ExecutionError::function_error(
                "needed_tasks",
                "the service has no CPU datapoint: the need is unknown",
            ));
        };
        let simple = (self.running * cpu / target).ceil();
        if cpu < SATURATED_CPU {
            return Ok(simple);
        }
        let get = |m| self.series.get(m).unwrap_or_default();
        let (cpus, requests, running) = (
            get(Metric::Cpu),
            get(Metric::Requests),
            get(Metric::Running),
        );
        let at = |points: &Vec<(i64, f64)>, t: i64| {
            points
                .binary_search_by_key(&t, |p| p.0)
                .ok()
                .map(|i| points[i].1)
        };
        // Requests per minute one task served per CPU %, when CPU still told the load.
        let per_task_pct = cpus.iter().rev().find_map(|&(t, c)| {
            let (r, n) = (at(&requests, t)?, at(&running, t)?);
            (c < SATURATED_CPU && c > 0.0 && r > 0.0 && n > 0.0).then(|| r / (n * c))
        });
        let (Some(per_task_pct), Some(&(now_t, now_r))) = (per_task_pct, requests.last()) else {
            return Ok(simple);
        };
        let before = requests
            .iter()
            .find(|p| p.0 >= now_t - TREND_S)
            .filter(|p| p.0 < now_t);
        let slope = before.map_or(0.0, |&(t, r)| (now_r - r) / ((now_t - t) as f64 / 60.0));
        let load = now_r + slope.max(0.0) * ahead_min.max(0.0);
        Ok((load / (per_task_pct * target)).ceil().max(simple))
    }

    fn cost_of(&self, tasks: f64) -> Result<f64, ExecutionError> {
        let s = self.service.as_ref().ok_or_else(|| {
            ExecutionError::function_error("cost_of", "the scope is not a service in the snapshot")
        })?;
        Ok(crate::model::cost::tasks_burn(
            s,
            tasks.max(0.0),
            &s.strategy,
        ))
    }

    /// The message of the scoped service's latest task failure in the window.
    fn last_failure(&self, minutes: f64) -> String {
        let since = self.now - (minutes * 60.0) as i64;
        self.events
            .iter()
            .filter(|e| e.at >= since && e.kind == EventKind::TaskFailed)
            .filter(|e| e.service.is_some() && e.service == self.scoped)
            .max_by_key(|e| e.at)
            .map(|e| e.message.clone())
            .unwrap_or_default()
    }

    fn services_interrupted(&self, minutes: f64) -> f64 {
        let since = self.now - (minutes * 60.0) as i64;
        let mut keys: Vec<&ServiceKey> = self
            .events
            .iter()
            .filter(|e| e.at >= since && e.kind == EventKind::SpotInterruption)
            .filter_map(|e| e.service.as_ref())
            .collect();
        keys.sort();
        keys.dedup();
        keys.len() as f64
    }

    fn desired_rising(&self, minutes: f64) -> bool {
        let since = self.now - (minutes * 60.0) as i64;
        let Some(points) = self.series.get(Metric::Desired) else {
            return false;
        };
        let mut window = points.iter().filter(|p| p.0 >= since);
        let first = window.next().map(|p| p.1);
        let last = window.next_back().map(|p| p.1);
        matches!((first, last), (Some(a), Some(b)) if b > a)
    }

    fn event_schedule(&self, offset_minutes: f64) -> Result<String, ExecutionError> {
        let at = self.next_event.ok_or_else(|| {
            ExecutionError::function_error(
                "event_schedule",
                format!("the service has no `{NEXT_EVENT_TAG}` tag (RFC 3339 time)"),
            )
        })?;
        let at = at + Duration::seconds((offset_minutes * 60.0) as i64);
        Ok(format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")))
    }
}

/// Register every helper on `ctx`, bound to this evaluation's data.
/// The scope the helpers answer for. One set of registered functions can
/// serve scope after scope (the triggers over a whole fleet): registering
/// them is a good part of an evaluator's cost, so only the data is swapped.
pub struct Helpers(RwLock<Arc<HelperData>>);

impl Helpers {
    pub fn new(ec: &EvalContext<'_>, scope: &Scope) -> Arc<Self> {
        Arc::new(Self(RwLock::new(Arc::new(HelperData::new(ec, scope)))))
    }

    /// Answer for `scope` from now on.
    pub fn set(&self, ec: &EvalContext<'_>, scope: &Scope) {
        let data = Arc::new(HelperData::new(ec, scope));
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = data;
    }

    fn data(&self) -> Arc<HelperData> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Add every helper to `ctx`, answering from `helpers`.
pub fn register(ctx: &mut Context<'_, '_>, helpers: &Arc<Helpers>) {
    let h = || Arc::clone(helpers);
    let (h1, h2, h3, h4, h5, h6, h7) = (h(), h(), h(), h(), h(), h(), h());
    let (h8, h9, h10, h11, h12, h13, h14) = (h(), h(), h(), h(), h(), h(), h());
    let (h15, h16, h17, h18, h19, h20, h21) = (h(), h(), h(), h(), h(), h(), h());
    let results = [
        ctx.add_function(
            "sustained_above",
            move |m: Arc<String>, threshold: f64, minutes: f64| {
                h1.data().sustained(&m, minutes, |v| v > threshold)
            },
        ),
        ctx.add_function(
            "sustained_below",
            move |m: Arc<String>, threshold: f64, minutes: f64| {
                h2.data().sustained(&m, minutes, |v| v < threshold)
            },
        ),
        ctx.add_function("average", move |m: Arc<String>, minutes: f64| {
            h14.data().average(&m, minutes)
        }),
        ctx.add_function("lowest", move |m: Arc<String>, minutes: f64| {
            h19.data().extreme(&m, minutes, false)
        }),
        ctx.add_function("highest", move |m: Arc<String>, minutes: f64| {
            h20.data().extreme(&m, minutes, true)
        }),
        ctx.add_function("metric", move |name: Arc<String>| {
            h21.data()
                .declared
                .get(name.as_str())
                .copied()
                .unwrap_or(super::variables::MISSING)
        }),
        ctx.add_function("eta_above", move |m: Arc<String>, limit: f64| {
            h17.data().eta(&m, limit, Toward::Above)
        }),
        ctx.add_function("eta_below", move |m: Arc<String>, limit: f64| {
            h18.data().eta(&m, limit, Toward::Below)
        }),
        ctx.add_function("interrupted_share", move |minutes: f64| {
            let d = h3.data();
            d.count(minutes, EventKind::SpotInterruption, true) / d.running.max(1.0) * 100.0
        }),
        ctx.add_function("interruptions", move |minutes: f64| {
            h4.data().count(minutes, EventKind::SpotInterruption, true)
        }),
        ctx.add_function("services_interrupted", move |minutes: f64| {
            h5.data().services_interrupted(minutes)
        }),
        ctx.add_function("scaling_active", move |minutes: f64| {
            let d = h6.data();
            d.count(minutes, EventKind::ScalingActivity, true) > 0.0 || d.desired_rising(minutes)
        }),
        ctx.add_function("failed_tasks", move |minutes: f64| {
            h7.data().count(minutes, EventKind::TaskFailed, true)
        }),
        ctx.add_function("started_tasks", move |minutes: f64| {
            h8.data().count(minutes, EventKind::TaskStarted, true)
        }),
        ctx.add_function("last_failure", move |minutes: f64| {
            cel::Value::from(h12.data().last_failure(minutes))
        }),
        ctx.add_function("log_matches", move |pattern: Arc<String>, minutes: f64| {
            h16.data().log_matches(&pattern, minutes)
        }),
        ctx.add_function("needed_tasks", move |target: f64, ahead: f64| {
            h13.data().needed_tasks(target, ahead)
        }),
        ctx.add_function("cost_of", move |tasks: f64| h15.data().cost_of(tasks)),
        ctx.add_function("ledger_overdue", move || h9.data().overdue),
        ctx.add_function("drift_from_baseline", move || h10.data().drift),
        ctx.add_function("event_schedule", move |offset: f64| {
            h11.data().event_schedule(offset).map(cel::Value::from)
        }),
        ctx.add_function("ceil", |x: f64| x.ceil()),
        ctx.add_function("floor", |x: f64| x.floor()),
        ctx.add_function("max", cel::functions::max),
        ctx.add_function("min", cel::functions::min),
    ];
    // The names are fixed and distinct from the standard library's.
    debug_assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::cel::expr::Expr;
    use crate::runbook::cel::{Evaluator, display};
    use crate::runbook::sample;

    /// `log_matches` reads the counts made for the scoped service, and says
    /// so when there are none.
    #[test]
    fn log_matches_reads_the_counts_of_its_service() {
        use crate::model::evidence::{LogMatches, LogQuery};
        sample::with_context(|ec| {
            let scope = sample::scope(crate::runbook::model::ScopeKind::Service);
            let expr = Expr::compile("log_matches('OutOfMemoryError', 10.0)").unwrap();
            let got = Evaluator::new(ec, &scope).eval(&expr);
            assert!(
                got.as_ref().is_err_and(|e| e.contains("not counted yet")),
                "{got:?}"
            );
            let query = |minutes| LogQuery {
                pattern: "OutOfMemoryError".into(),
                minutes,
            };
            let counted = LogMatches {
                service: sample::service_key(),
                read_at: ec.now(),
                counts: vec![(query(10), 4)],
            };
            let with = ec.with_logs(Some(&counted));
            let got = Evaluator::new(&with, &scope).eval(&expr).unwrap();
            assert_eq!(display(&got), "4");
            let other = Expr::compile("log_matches('OutOfMemoryError', 5.0)").unwrap();
            let got = Evaluator::new(&with, &scope).eval(&other);
            assert!(got.is_err_and(|e| e.contains("was not counted")));
            // Counts of another service are not this scope's.
            let elsewhere = LogMatches {
                service: crate::model::ServiceKey::new("other", "svc"),
                ..counted.clone()
            };
            let with = ec.with_logs(Some(&elsewhere));
            assert!(Evaluator::new(&with, &scope).eval(&expr).is_err());
        });
    }

    /// A declared metric reads as the snapshot has it (-1 without a
    /// datapoint), and the history helpers take its name like a scope metric's.
    #[test]
    fn declared_metrics_read_by_name_now_and_over_a_window() {
        use crate::model::declared::DeclaredValue;
        use crate::model::history::FleetHistory;
        let mut snap = sample::snapshot();
        let mut history = FleetHistory::default();
        let end = snap.taken_at;
        for (i, v) in [3000.0, 3000.0, 4500.0, 6000.0, 10000.0]
            .into_iter()
            .enumerate()
        {
            snap.taken_at = end - Duration::minutes(4 - i as i64);
            snap.declared = vec![
                DeclaredValue {
                    name: "provisioned_rcu".into(),
                    value: Some(v),
                },
                DeclaredValue {
                    name: "throttles".into(),
                    value: None,
                },
            ];
            history.record(&snap);
        }
        let facts = sample::facts();
        let shared = Arc::new(history.clone());
        // Copied from the history, and read in place from a shared one: the same answers.
        let copied = EvalContext::new(&snap, &history, &facts);
        let in_place = EvalContext::new(&snap, &shared, &facts).with_shared(&shared);
        for ec in [copied, in_place] {
            let eval = Evaluator::new(
                &ec,
                &sample::scope(crate::runbook::model::ScopeKind::Service),
            );
            let get = |src: &str| display(&eval.eval(&Expr::compile(src).unwrap()).unwrap());
            assert_eq!(get("metric('provisioned_rcu')"), "10000");
            assert_eq!(get("metric('throttles')"), "-1");
            assert_eq!(get("lowest('provisioned_rcu', 10.0)"), "3000");
            assert_eq!(get("highest('provisioned_rcu', 2.0)"), "10000");
            assert_eq!(
                get("sustained_above('provisioned_rcu', 2000.0, 4.0)"),
                "true"
            );
            assert_eq!(get("lowest('throttles', 10.0)"), "-1");
            let unknown = eval.eval(&Expr::compile("lowest('nothing', 5.0)").unwrap());
            assert!(unknown.is_err_and(|e| e.contains("unknown metric `nothing`")));
        }
    }

    /// Every declared helper is registered, and every registered one declared.
    #[test]
    fn helpers_declared_are_the_helpers_registered() {
        let source = include_str!("functions.rs");
        let register = &source[source.find("pub fn register(").unwrap()..];
        let register = &register[..register.find("\n}\n").unwrap()];
        let mut registered: Vec<&str> = register
            .split("add_function(")
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
            .collect();
        let mut declared: Vec<&str> = HELPERS.iter().map(|h| h.name).collect();
        registered.sort_unstable();
        declared.sort_unstable();
        assert_eq!(registered, declared);
        // And each answers a call of its declared signature on the sample fleet.
        sample::with_context(|ec| {
            let eval = Evaluator::new(
                ec,
                &sample::scope(crate::runbook::model::ScopeKind::Service),
            );
            for h in HELPERS {
                let args: Vec<&str> = h
                    .args
                    .iter()
                    .map(|(_, a)| match a {
                        Arg::Metric => "'cpu'",
                        Arg::Declared => "'read_throttles'",
                        Arg::Pattern => "'OutOfMemoryError'",
                        Arg::Double | Arg::Doubles => "1.0",
                    })
                    .collect();
                let src = format!("{}({})", h.name, args.join(", "));
                let got = eval.eval(&Expr::compile(&src).unwrap());
                assert!(
                    !got.as_ref().is_err_and(|e| e.contains("Undeclared")),
                    "{src}: {got:?}"
                );
            }
        });
    }
}
