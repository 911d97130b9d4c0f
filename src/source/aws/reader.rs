//! One whole `FleetSnapshot` per refresh. Slow parts (clusters, services,
//! scalable targets, policies, task definitions, caches and their parameter
//! groups) are read every `config_interval_s`; tasks, metrics, alarms and
//! scaling activities on every refresh. A failed read keeps the part's last
//! value and marks it with the error. A slow read is one pipeline: what needs
//! nothing starts at once (clusters, caches, scalable targets and policies,
//! alarms, activities), the services and the tasks as soon as the cluster
//! list lands, metrics and task definitions as soon as the service list does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::cache::{self, CacheInfo};
use super::calls::ApiError;
use super::clients::AwsClients;
use super::ecs::{self, ClusterInfo, ServiceInfo, TaskCounts, TaskDef};
use super::kept::{EventLog, Kept, merge};
use super::metrics::{self, MetricValues};
use super::scaling::{self, TargetInfo};
use crate::config::AwsConfig;
use crate::model::declared::DeclaredValue;
use crate::model::{
    Arch, CacheCluster, Cluster, FleetSnapshot, Part, PartStatus, Reading, RefreshStats,
    ScalableTarget, ScheduledAction, Service, ServiceKey, TargetTrackingPolicy,
};
use crate::source::FeedSender;

/// How often a first read shows what it has so far (the first time after this too).
const PROGRESS_EVERY: Duration = Duration::from_millis(400);
/// DescribeTaskDefinition calls at most per slow read; the rest follow at the next.
const TASK_DEFS_PER_READ: usize = 100;

pub struct AwsReader {
    clients: AwsClients,
    cfg: AwsConfig,
    config_read_at: Option<Instant>,
    /// CloudWatch gives standard metrics one datapoint a minute: reading
    /// them more often pays for the same numbers again.
    metrics_read_at: Option<Instant>,
    /// Declared metrics of a high resolution (a period under the fleet's)
    /// are read at their own period between the fleet's metric reads.
    high_res_read_at: Option<Instant>,
    /// Metrics requested by the last refresh (GetMetricData bills each one).
    metrics_requested: u32,
    throttled: bool,
    /// The first metric read's past, for the next snapshot to carry once.
    backfill: Option<std::sync::Arc<crate::model::history::Backfill>>,
    clusters: Kept<Vec<ClusterInfo>>,
    services: Kept<Vec<ServiceInfo>>,
    task_defs: HashMap<String, TaskDef>,
    task_def_error: Option<String>,
    tasks: Kept<BTreeMap<ServiceKey, TaskCounts>>,
    stopped_seen: HashSet<String>,
    targets: Kept<BTreeMap<ServiceKey, TargetInfo>>,
    policies: Kept<BTreeMap<ServiceKey, Vec<TargetTrackingPolicy>>>,
    scheduled: Kept<BTreeMap<ServiceKey, Vec<ScheduledAction>>>,
    metrics: Kept<MetricValues>,
    caches: Kept<Vec<CacheInfo>>,
    cache_tags: Kept<BTreeMap<String, BTreeMap<String, String>>>,
    cache_policies: Kept<BTreeMap<String, String>>,
    alarms: Kept<Vec<crate::model::Alarm>>,
    activities: Kept<()>,
    events: EventLog,
}

impl AwsReader {
    pub fn new(clients: AwsClients, cfg: &AwsConfig) -> Self {
        Self {
            clients,
            cfg: cfg.clone(),
            config_read_at: None,
            metrics_read_at: None,
            high_res_read_at: None,
            metrics_requested: 0,
            throttled: false,
            backfill: None,
            clusters: Kept::default(),
            services: Kept::default(),
            task_defs: HashMap::new(),
            task_def_error: None,
            tasks: Kept::default(),
            stopped_seen: HashSet::new(),
            targets: Kept::default(),
            policies: Kept::default(),
            scheduled: Kept::default(),
            metrics: Kept::default(),
            caches: Kept::default(),
            cache_tags: Kept::default(),
            cache_policies: Kept::default(),
            alarms: Kept::default(),
            activities: Kept::default(),
            events: EventLog::default(),
        }
    }

    pub fn clients(&self) -> &AwsClients {
        &self.clients
    }

    /// Whether the last refresh was throttled (even after the SDK's retries).
    pub fn throttled(&self) -> bool {
        self.throttled
    }

    /// Read what is due and return the whole fleet. Never fails: errors are
    /// in the snapshot's part statuses. On the first read, `partial` gets
    /// snapshots of the services described so far, a few a second.
    pub async fn refresh(&mut self, partial: Option<&FeedSender>) -> FleetSnapshot {
        let started = Instant::now();
        let now = Utc::now();
        self.throttled = false;
        let interval = Duration::from_secs(self.cfg.config_interval_s);
        let changed = self.clients.changed.take();
        let due = changed || self.config_read_at.is_none_or(|t| t.elapsed() >= interval);
        if due {
            // The slow parts and the live ones in one pipeline: each call
            // starts as soon as what it needs is known (about five round trips).
            self.read_config(now, partial).await;
            self.config_read_at = Some(Instant::now());
        } else {
            self.read_live(now).await;
        }
        let calls_by_api = self.clients.calls.take();
        let stats = RefreshStats {
            metrics_requested: std::mem::take(&mut self.metrics_requested),
            api_calls: calls_by_api.values().sum(),
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            calls_by_api,
            reading: None,
        };
        let mut snap = self.snapshot(now, stats);
        snap.backfill = self.backfill.take();
        snap
    }

    async fn read_config(&mut self, now: DateTime<Utc>, partial: Option<&FeedSender>) {
        // Alarms and scaling activities need nothing and nothing needs them:
        // they run beside the whole pipeline, so a slow one delays no stage.
        let side = {
            let c = self.clients.clone();
            let seen = self.events.ids.clone();
            tokio::spawn(async move {
                tokio::join!(metrics::alarms(&c), scaling::activities(&c, &seen))
            })
        };
        // Two chains and three listings, at once: the cluster list, then the
        // services and the tasks of those clusters; the cache list, then its
        // tags and parameter groups; scalable targets and policies of the
        // whole namespace; scheduled actions. Each read is boxed: nested in
        // one future they would make a state machine too large for a thread's
        // stack. A list that fails this time is followed with the one kept
        // from before.
        let c = &self.clients;
        let clusters_chain = async {
            let listed = Box::pin(ecs::cluster_names(c, &self.cfg.clusters)).await;
            let names: Option<Vec<String>> = match &listed {
                Ok(names) => Some(names.clone()),
                Err(_) if self.clusters.fetched_at.is_some() => {
                    Some(self.clusters.value.iter().map(|c| c.name.clone()).collect())
                }
                Err(_) => None,
            };
            let Some(names) = names else {
                let services = Err(not_yet("services wait for the cluster list"));
                let tasks = Err(not_yet("tasks wait for the cluster list"));
                return (listed.map(|_| (Vec::new(), Vec::new())), services, tasks);
            };
            let services = async {
                let read = match partial {
                    Some(tx) if self.services.fetched_at.is_none() => {
                        Box::pin(self.services_shown_as_read(&names, tx, now)).await
                    }
                    _ => Box::pin(ecs::services(c, &names, None)).await,
                };
                read.with_kept(&self.services.value)
            };
            let tasks = Box::pin(ecs::tasks(c, &names, &self.stopped_seen));
            let described = Box::pin(ecs::describe_clusters(c, &names));
            let (services, tasks, described) = tokio::join!(services, tasks, described);
            let clusters = listed.and(described);
            (clusters, services, tasks)
        };
        let caches_chain = async {
            let caches = Box::pin(cache::clusters(c)).await;
            let list: Option<Vec<CacheInfo>> = match &caches {
                Ok(list) => Some(list.clone()),
                Err(_) if self.caches.fetched_at.is_some() => Some(self.caches.value.clone()),
                Err(_) => None,
            };
            let Some(list) = list else {
                let tags = Err(not_yet("cache tags wait for the cache list"));
                return (
                    caches,
                    tags,
                    Err(not_yet("parameter groups wait for the cache list")),
                );
            };
            let mut groups: Vec<String> = list
                .iter()
                .filter_map(|c| c.parameter_group.clone())
                .collect();
            groups.sort();
            groups.dedup();
            let (tags, policies) = tokio::join!(
                Box::pin(cache::tags(c, &list)),
                Box::pin(cache::policies(c, &groups)),
            );
            (caches, tags, policies)
        };
        let (
            (clusters, services, tasks),
            (caches, tags, cache_policies),
            (targets, policies),
            scheduled,
        ) = tokio::join!(
            clusters_chain,
            caches_chain,
            async {
                tokio::join!(
                    Box::pin(scaling::targets(c)),
                    Box::pin(scaling::policies(c))
                )
            },
            Box::pin(scaling::scheduled(c)),
        );
        let mut throttled = false;
        let warnings = clusters.as_ref().ok().map(|(_, w)| w.join("; "));
        throttled |= self.clusters.apply(clusters.map(|(list, _)| list), now);
        if let Some(w) = warnings.filter(|w| !w.is_empty()) {
            self.clusters.error = Some(w);
        }
        throttled |= self.caches.apply(caches, now);
        throttled |= self.targets.apply(targets, now);
        throttled |= self.policies.apply(policies, now);
        throttled |= self.scheduled.apply(scheduled, now);
        // Read beside the description: what belongs to a cluster that is not
        // active (or not found) is left out; without any cluster list yet
        // (the description failed the first time), nothing read is kept.
        let active: Option<HashSet<String>> = self
            .clusters
            .fetched_at
            .map(|_| self.clusters.value.iter().map(|c| c.name.clone()).collect());
        let (services, tasks) = match &active {
            Some(active) => (
                services.map(|(mut list, note)| {
                    list.retain(|s| active.contains(&s.key.cluster));
                    (list, note)
                }),
                tasks.map(|mut read| {
                    read.counts.retain(|k, _| active.contains(&k.cluster));
                    read
                }),
            ),
            None => (
                Err(not_yet("services wait for the cluster list")),
                Err(not_yet("tasks wait for the cluster list")),
            ),
        };
        throttled |= self.apply_tasks(tasks, now);
        // A partial read is fresh where it read, kept where it could not, and says so.
        let partial = services.as_ref().ok().and_then(|(_, note)| note.clone());
        throttled |= self.services.apply(services.map(|(list, _)| list), now);
        if let Some(note) = partial {
            throttled |= note.kind == crate::model::request::WriteErrorKind::Throttled;
            self.services.error = Some(note.message);
        }
        throttled |= self.cache_tags.apply(tags, now);
        throttled |= self.cache_policies.apply(cache_policies, now);
        for s in &self.services.value {
            self.events.add(s.events.iter().cloned());
        }

        // What needs the service list: metrics, and the task definitions no
        // running task described.
        let (queries, warning) = self.metric_queries();
        let missing = self.task_defs_missing();
        let c = &self.clients;
        let (values, defs) = tokio::join!(
            self.read_metrics(&queries, now),
            Box::pin(ecs::task_defs(c, missing)),
        );
        throttled |= self.apply_metrics(values, queries.len(), warning, now);
        self.apply_task_defs(defs);
        let (alarms, activities) = side.await.unwrap_or_else(|e| {
            let lost = || not_yet(&format!("the read was lost: {e}"));
            (Err(lost()), Err(lost()))
        });
        throttled |= self.apply_alarms_and_activities(alarms, activities, now);
        self.throttled |= throttled;
    }

    /// The first read of a large account's services, showing rows as their
    /// batches land: a partial snapshot every `PROGRESS_EVERY` while the read
    /// lasts, with the count read so far ("reading 1,200/2,000 services").
    async fn services_shown_as_read(
        &self,
        clusters: &[String],
        tx: &FeedSender,
        now: DateTime<Utc>,
    ) -> ecs::ServicesRead {
        let (progress, mut heard) = tokio::sync::mpsc::unbounded_channel();
        let read = async move {
            let read = ecs::services(&self.clients, clusters, Some(&progress)).await;
            drop(progress);
            read
        };
        let show = async {
            let (mut total, mut seen) = (0usize, Vec::new());
            let send = |seen: &mut Vec<ServiceInfo>, total: usize| {
                seen.sort_by(|a: &ServiceInfo, b| a.key.cmp(&b.key));
                let stats = RefreshStats {
                    reading: Some(Reading {
                        read: u32::try_from(seen.len()).unwrap_or(u32::MAX),
                        total: u32::try_from(total.max(seen.len())).unwrap_or(u32::MAX),
                    }),
                    ..RefreshStats::default()
                };
                // Stamped just before the read's own time: the whole snapshot
                // that follows is newer, so the history and the journal take it.
                let at = now - chrono::Duration::seconds(1);
                // A full feed means the screen is behind: skip this one, not wait.
                let _ = tx.try_send(Box::new(self.snapshot_of(seen, at, stats)));
            };
            // A read done within the first interval (a small account) shows
            // whole, as every later refresh does.
            let mut shown_at = Instant::now();
            let mut shown = 0;
            while let Some(p) = heard.recv().await {
                match p {
                    ecs::Progress::Listed(n) => total += n,
                    ecs::Progress::Described(infos) => seen.extend(infos),
                }
                if shown_at.elapsed() < PROGRESS_EVERY || seen.is_empty() {
                    continue;
                }
                shown_at = Instant::now();
                shown = seen.len();
                send(&mut seen, total);
            }
            // The last batches, shown while what needs the service list
            // (metrics, task definitions) is read.
            if shown > 0 && seen.len() > shown {
                send(&mut seen, total);
            }
        };
        tokio::join!(read, show).0
    }

    /// Task definitions of services that no running task described, a bounded
    /// number per read (they are immutable and cached by ARN).
    fn task_defs_missing(&self) -> Vec<String> {
        let mut missing: Vec<String> = self
            .services
            .value
            .iter()
            .filter_map(|s| s.task_definition.clone())
            .filter(|arn| !self.task_defs.contains_key(arn))
            .collect();
        missing.sort();
        missing.dedup();
        missing.truncate(TASK_DEFS_PER_READ);
        missing
    }

    fn apply_task_defs(&mut self, (defs, error): (Vec<(String, TaskDef)>, Option<ApiError>)) {
        self.task_defs.extend(defs);
        self.throttled |= error
            .as_ref()
            .is_some_and(|e| e.kind == crate::model::request::WriteErrorKind::Throttled);
        self.task_def_error = error.map(|e| e.message);
    }

    /// Without a first cluster or service list, an empty answer would look like a read.
    fn fleet_known(&self) -> bool {
        self.services.fetched_at.is_some() || self.caches.fetched_at.is_some()
    }

    fn metric_queries(&self) -> (Vec<metrics::Query>, Option<String>) {
        let keys: Vec<ServiceKey> = self.services.value.iter().map(|s| s.key.clone()).collect();
        let cache_ids: Vec<String> = self.caches.value.iter().map(|c| c.id.clone()).collect();
        metrics::queries(&keys, &cache_ids, &self.cfg.metrics, &self.cfg.declared)
    }

    /// The metrics when their period has passed (`None` otherwise). The first
    /// read fills the history's hour; later ones only what is new.
    async fn read_metrics(
        &self,
        queries: &[metrics::Query],
        now: DateTime<Utc>,
    ) -> Option<Result<(MetricValues, crate::model::history::Backfill), ApiError>> {
        if !self.fleet_known() {
            return Some(Err(not_yet("metrics wait for the service and cache lists")));
        }
        if !self.metrics_due() {
            return None;
        }
        let lookback = if self.metrics.fetched_at.is_none() {
            metrics::BACKFILL_MIN
        } else {
            metrics::LOOKBACK_MIN
        };
        Some(Box::pin(metrics::read(&self.clients, queries, now, lookback)).await)
    }

    fn metrics_due(&self) -> bool {
        let period = Duration::from_secs(self.cfg.metric_period_s);
        self.metrics_read_at.is_none_or(|t| t.elapsed() >= period)
    }

    /// The high-resolution declared metrics, when the shortest of their
    /// periods has passed since they were last read (with the fleet's or alone).
    fn high_res_due(&self, queries: &[metrics::Query]) -> Vec<metrics::Query> {
        let high_res: Vec<metrics::Query> = queries
            .iter()
            .filter(|q| matches!(q.subject, metrics::Subject::Declared(_)))
            .filter(|q| u64::from(q.period_s) < self.cfg.metric_period_s)
            .cloned()
            .collect();
        let Some(every) = high_res.iter().map(|q| q.period_s).min() else {
            return Vec::new();
        };
        let due = self
            .high_res_read_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(u64::from(every)));
        if due { high_res } else { Vec::new() }
    }

    async fn read_high_res(
        &self,
        queries: &[metrics::Query],
        now: DateTime<Utc>,
    ) -> Option<Result<(MetricValues, crate::model::history::Backfill), ApiError>> {
        if queries.is_empty() {
            return None;
        }
        Some(
            Box::pin(metrics::read(
                &self.clients,
                queries,
                now,
                metrics::HIGH_RES_LOOKBACK_MIN,
            ))
            .await,
        )
    }

    /// Their values replace those of the last read; one without a datapoint
    /// now is missing, not its old value.
    fn apply_high_res(
        &mut self,
        queries: &[metrics::Query],
        read: Option<Result<(MetricValues, crate::model::history::Backfill), ApiError>>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(read) = read else { return false };
        self.high_res_read_at = Some(Instant::now());
        self.metrics_requested += u32::try_from(queries.len()).unwrap_or(u32::MAX);
        match read {
            Ok((values, _)) => {
                let declared = &mut self.metrics.value.declared;
                for q in queries {
                    if let metrics::Subject::Declared(name) = &q.subject {
                        declared.remove(name);
                    }
                }
                declared.extend(values.declared);
                false
            }
            // Kept as a failed read of the metrics: the last values stay.
            Err(e) => self.metrics.apply(Err(e), now),
        }
    }

    /// Tasks, metrics when due, alarms and scaling activities: the refreshes
    /// between two slow reads.
    async fn read_live(&mut self, now: DateTime<Utc>) {
        let names: Vec<String> = self.clusters.value.iter().map(|c| c.name.clone()).collect();
        let (queries, warning) = self.metric_queries();
        let high_res = if self.metrics_due() {
            Vec::new() // read with the fleet's
        } else {
            self.high_res_due(&queries)
        };
        let clusters_known = self.clusters.fetched_at.is_some();
        let c = &self.clients;
        let (tasks, values, high_res_values, alarms, activities) = tokio::join!(
            async {
                if clusters_known {
                    Box::pin(ecs::tasks(c, &names, &self.stopped_seen)).await
                } else {
                    Err(not_yet("tasks wait for the cluster list"))
                }
            },
            self.read_metrics(&queries, now),
            self.read_high_res(&high_res, now),
            Box::pin(metrics::alarms(c)),
            Box::pin(scaling::activities(c, &self.events.ids)),
        );
        let mut throttled = self.apply_tasks(tasks, now);
        throttled |= self.apply_metrics(values, queries.len(), warning, now);
        throttled |= self.apply_high_res(&high_res, high_res_values, now);
        throttled |= self.apply_alarms_and_activities(alarms, activities, now);
        self.throttled |= throttled;
    }

    fn apply_tasks(&mut self, tasks: Result<ecs::TasksRead, ApiError>, now: DateTime<Utc>) -> bool {
        match tasks {
            Ok(read) => {
                self.task_defs.extend(read.shapes);
                self.stopped_seen = read.stopped;
                self.events.add(read.events);
                self.tasks.apply(Ok(read.counts), now)
            }
            Err(e) => self.tasks.apply(Err(e), now),
        }
    }

    /// `None`: metrics were not due (their period has not passed).
    fn apply_metrics(
        &mut self,
        values: Option<Result<(MetricValues, crate::model::history::Backfill), ApiError>>,
        queries: usize,
        warning: Option<String>,
        now: DateTime<Utc>,
    ) -> bool {
        let mut throttled = false;
        if let Some(values) = values {
            let first = self.metrics.fetched_at.is_none();
            let values = values.map(|(values, past)| {
                if first && !past.series.is_empty() {
                    self.backfill = Some(std::sync::Arc::new(past));
                }
                values
            });
            if self.fleet_known() {
                self.metrics_read_at = Some(Instant::now());
                self.high_res_read_at = self.metrics_read_at;
                self.metrics_requested = u32::try_from(queries).unwrap_or(u32::MAX);
            }
            throttled |= self.metrics.apply(values, now);
        }
        if let Some(w) = warning {
            self.metrics.error = Some(w);
        }
        throttled
    }

    fn apply_alarms_and_activities(
        &mut self,
        alarms: Result<Vec<crate::model::Alarm>, ApiError>,
        activities: Result<Vec<(String, crate::model::FleetEvent)>, ApiError>,
        now: DateTime<Utc>,
    ) -> bool {
        let mut throttled = self.alarms.apply(alarms, now);
        match activities {
            Ok(list) => {
                self.events.add(list);
                throttled |= self.activities.apply(Ok(()), now);
            }
            Err(e) => throttled |= self.activities.apply(Err(e), now),
        }
        throttled
    }

    fn snapshot(&self, now: DateTime<Utc>, stats: RefreshStats) -> FleetSnapshot {
        self.snapshot_of(&self.services.value, now, stats)
    }

    /// The fleet with these services (all of them, or those read so far).
    fn snapshot_of(
        &self,
        services: &[ServiceInfo],
        now: DateTime<Utc>,
        stats: RefreshStats,
    ) -> FleetSnapshot {
        // Task counts are read every refresh, service counts only with the slow parts.
        let tasks_newer =
            self.tasks.fetched_at.is_some() && self.tasks.fetched_at >= self.services.fetched_at;
        let services: Vec<Service> = services
            .iter()
            .map(|s| self.service(s, tasks_newer))
            .collect();
        let clusters = self
            .clusters
            .value
            .iter()
            .map(|cl| {
                let mine = services.iter().filter(|s| s.key.cluster == cl.name);
                let (n, running, pending) = mine.fold((0, 0, 0), |(n, r, p), s| {
                    (n + 1, r + s.running, p + s.pending)
                });
                Cluster {
                    name: cl.name.clone(),
                    arn: cl.arn.clone(),
                    active_services: n,
                    running_tasks: if tasks_newer { running } else { cl.running },
                    pending_tasks: if tasks_newer { pending } else { cl.pending },
                }
            })
            .collect();
        let caches = self
            .caches
            .value
            .iter()
            .map(|c| {
                let m = self
                    .metrics
                    .value
                    .caches
                    .get(&c.id)
                    .copied()
                    .unwrap_or_default();
                CacheCluster {
                    id: c.id.clone(),
                    engine: c.engine.clone(),
                    node_type: c.node_type.clone(),
                    memory_pct: m.memory_pct,
                    max_memory_gb: cache::node_memory_gb(&c.node_type),
                    evictions_per_min: m.evictions_per_min,
                    connections: m.connections,
                    maxmemory_policy: c
                        .parameter_group
                        .as_ref()
                        .and_then(|g| self.cache_policies.value.get(g))
                        .cloned(),
                    parameter_group: c.parameter_group.clone(),
                    tags: self
                        .cache_tags
                        .value
                        .get(&c.id)
                        .cloned()
                        .unwrap_or_default(),
                }
            })
            .collect();
        let services_at = self.services.fetched_at;
        let parts: BTreeMap<Part, PartStatus> = [
            (
                Part::Services,
                merge([
                    self.clusters.status(),
                    self.services.status(),
                    (services_at, self.task_def_error.as_deref()),
                ]),
            ),
            (Part::Tasks, merge([self.tasks.status()])),
            (
                Part::Scaling,
                merge([
                    self.targets.status(),
                    self.policies.status(),
                    self.scheduled.status(),
                ]),
            ),
            (Part::Metrics, merge([self.metrics.status()])),
            (
                Part::Caches,
                merge([
                    self.caches.status(),
                    self.cache_tags.status(),
                    self.cache_policies.status(),
                ]),
            ),
            (Part::Alarms, merge([self.alarms.status()])),
            (Part::Events, merge([self.activities.status()])),
        ]
        .into_iter()
        .collect();
        FleetSnapshot {
            taken_at: now,
            source: self.clients.source.clone(),
            clusters,
            services,
            caches,
            alarms: self.alarms.value.clone(),
            events: self.events.list(),
            parts,
            stats,
            backfill: None,
            declared: self
                .cfg
                .declared
                .iter()
                .map(|d| DeclaredValue {
                    name: d.name.clone(),
                    value: self.metrics.value.declared.get(&d.name).copied(),
                })
                .collect(),
        }
    }

    fn service(&self, s: &ServiceInfo, tasks_newer: bool) -> Service {
        let counts = self.tasks.value.get(&s.key).copied().unwrap_or_default();
        let def = s
            .task_definition
            .as_ref()
            .and_then(|a| self.task_defs.get(a));
        let scaling = self.targets.value.get(&s.key).map(|t| ScalableTarget {
            min: t.min,
            max: t.max,
            suspended: t.suspended,
            policies: self.policies.value.get(&s.key).cloned().unwrap_or_default(),
            scheduled: self
                .scheduled
                .value
                .get(&s.key)
                .cloned()
                .unwrap_or_default(),
        });
        Service {
            key: s.key.clone(),
            desired: s.desired,
            running: if tasks_newer {
                counts.running
            } else {
                s.running
            },
            pending: if tasks_newer {
                counts.pending
            } else {
                s.pending
            },
            launch_type: s.launch_type.clone(),
            strategy: s.strategy.clone(),
            running_mix: counts.mix,
            arch: def.map_or(Arch::X86_64, |d| d.arch),
            task_vcpu: def.map_or(0.0, |d| d.vcpu),
            task_memory_gb: def.map_or(0.0, |d| d.memory_gb),
            deployment: s.deployment.clone(),
            task_definition: s.task_definition.as_deref().map(super::evidence::short_def),
            previous_task_definition: s
                .previous_task_definition
                .as_deref()
                .map(super::evidence::short_def),
            scaling,
            metrics: self
                .metrics
                .value
                .services
                .get(&s.key)
                .cloned()
                .unwrap_or_default(),
            tags: s.tags.clone(),
        }
    }
}

fn not_yet(message: &str) -> ApiError {
    ApiError {
        kind: crate::model::request::WriteErrorKind::Other,
        message: message.to_string(),
    }
}
