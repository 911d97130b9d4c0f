//! The embedded simulator: a deterministic ECS Fargate fleet modelled on the seeds.
//!
//! Everything follows from the scenario and the seed (one ChaCha8 stream), in
//! steps of at most 5 simulated seconds, so it runs in real time or far faster.
//!
//! The model, with the seeds' numbers: load follows a JST daily curve times the
//! scenario's events; CPU is load over running tasks; P95 rises steeply past
//! ~85 % CPU; target tracking holds CPU at 70 % (3 min above to scale out,
//! 15 min below to scale in, 60 s / 300 s cooldowns) within min..max; new tasks
//! start after 60-120 s; Spot tasks get a 2-minute warning before they stop;
//! a strategy change is a rolling deployment; Redis fills under `noeviction`
//! and holds under an eviction policy. `scenarios/calm.toml` documents
//! the scenario format.

mod alarms;
mod apply;
mod autoscale;
mod backing;
mod cache;
mod events;
pub mod evidence;
pub mod fleet;
mod init;
mod scenario;
mod schedule;
mod snapshot;
pub mod source;
mod state;
mod tasks;
mod traffic;

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use scenario::{
    LoadEvent, MAXMEMORY_POLICIES, Objective, Scenario, ScenarioError, Sla, SpotRate,
    load_scenario, parse_scenario, scenario_names,
};

use crate::model::cost::{SPOT_FACTOR, task_hour_usd};
use crate::model::history::{self, Backfill};
use crate::model::{DeploymentState, EventKind, ServiceMetrics};
use alarms::AlarmTracker;
use events::EventLog;
use state::{CacheState, SvcState};
use tasks::Step;

/// Longest simulated step, seconds.
pub const STEP_S: u32 = 5;

#[derive(Clone)]
pub struct Simulator {
    scenario: Scenario,
    seed: u64,
    speed: f64,
    /// Seconds since the scenario's start.
    t: i64,
    rng: ChaCha8Rng,
    services: Vec<SvcState>,
    caches: Vec<CacheState>,
    alarms: Vec<AlarmTracker>,
    events: EventLog,
    next_task_id: u64,
    spent_usd: f64,
    /// Tables, collections and faults beyond ECS (`scenario.deps`).
    backing: backing::Backing,
}

impl Simulator {
    pub fn new(scenario: Scenario, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = scenario.start;
        let mut next_task_id = seed.wrapping_mul(1_000_003) & 0xffff_ffff;
        let mut events = EventLog::default();
        let services: Vec<SvcState> = scenario
            .fleet
            .services
            .iter()
            .map(|spec| init::service(spec, &scenario, &mut rng, &mut next_task_id))
            .collect();
        let caches: Vec<CacheState> = scenario.fleet.caches.iter().map(init::cache).collect();
        for svc in &services {
            events.push(
                start,
                EventKind::ServiceEvent,
                Some(&svc.spec.key),
                format!(
                    "(service {}) has reached a steady state.",
                    svc.spec.key.service
                ),
            );
        }
        let alarms = alarms::trackers(&services, &caches, start);
        let backing = backing::Backing::new(&scenario.deps);
        let mut sim = Self {
            backing,
            scenario,
            seed,
            speed: 1.0,
            t: 0,
            rng,
            services,
            caches,
            alarms,
            events,
            next_task_id,
            spent_usd: 0.0,
        };
        sim.measure(0);
        for svc in &mut sim.services {
            // As if the fleet had been steady before start: the alarms see history.
            if let (Some(sc), Some(cpu)) = (svc.scaling.as_mut(), svc.metrics.cpu_pct) {
                sc.minutes = std::iter::repeat_n(cpu, state::MINUTES_KEPT).collect();
            }
        }
        alarms::evaluate_all(&mut sim.alarms, &sim.services, &sim.caches, 0, start);
        sim
    }

    pub fn from_config(cfg: &crate::config::SimConfig) -> Result<Self, ScenarioError> {
        let mut sim = Self::new(load_scenario(&cfg.scenario)?, cfg.seed);
        sim.set_speed(cfg.speed);
        Ok(sim)
    }

    /// An `services`-service fleet on a quiet day, for benches and tests.
    pub fn synthetic(services: usize, seed: u64) -> Self {
        let mut scenario = load_scenario("calm").expect("the shipped calm scenario is valid");
        scenario.name = format!("synthetic-{services}");
        scenario.description = format!("{services} synthetic services");
        scenario.runbook = None;
        scenario.fleet = fleet::synthetic_fleet(services);
        scenario.sla.service = "svc-0000".into();
        scenario.load_events.clear();
        Self::new(scenario, seed)
    }

    /// The metrics runbooks declare: each snapshot carries the values of
    /// those the scenario models (`None` for the rest).
    pub fn declare(&mut self, declared: &[crate::model::declared::Declared]) {
        self.backing.declare(declared);
    }

    /// The operator ran a runbook step's command: a scenario fix it matches
    /// takes effect after the time the real change takes. One line back.
    pub fn operator_ran(&mut self, command: &str) -> String {
        self.backing.ran(command)
    }

    /// The declared metrics' values now.
    pub(crate) fn declared_values(&self) -> Vec<crate::model::declared::DeclaredValue> {
        self.backing.values()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.scenario.start + Duration::seconds(self.t)
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Simulated seconds per real second, reported in the snapshot's source.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed;
    }

    /// What the fleet has cost since the scenario started, in USD (seed prices).
    pub fn spent_usd(&self) -> f64 {
        self.spent_usd
    }

    pub fn advance(&mut self, seconds: u32) {
        let mut left = seconds;
        while left > 0 {
            let dt = left.min(STEP_S);
            self.step(i64::from(dt));
            left -= dt;
        }
    }

    /// The shared state one step works with, beside the services it steps
    /// (split so both can be borrowed mutably at once).
    fn step_parts(&mut self, dt: i64) -> (Step<'_>, &mut [SvcState]) {
        (
            Step {
                t: self.t,
                dt,
                start: self.scenario.start,
                rng: &mut self.rng,
                events: &mut self.events,
                next_task_id: &mut self.next_task_id,
            },
            &mut self.services,
        )
    }

    fn step(&mut self, dt: i64) {
        self.t += dt;
        let t = self.t;
        let spot_rate = self
            .scenario
            .spot_rates
            .iter()
            .rev()
            .find(|r| r.at_s <= t)
            .map_or(0.0, |r| r.per_task_hour);
        let resized = self.backing.step(t);
        let (mut step, services) = self.step_parts(dt);
        for effect in resized {
            if let scenario::deps::FixEffect::TaskSize {
                service,
                vcpu,
                memory_gb,
            } = effect
                && let Some(svc) = services.iter_mut().find(|s| s.spec.key.service == service)
            {
                svc.spec.task_vcpu = vcpu;
                svc.spec.task_memory_gb = memory_gb;
                let why = format!("task size {vcpu} vCPU / {memory_gb} GB");
                start_deployment(svc, &mut step, &why);
            }
        }
        for svc in services {
            if svc.spec.deploy_at.is_some_and(|d| d > t - dt && d <= t) {
                start_deployment(
                    svc,
                    &mut step,
                    "new task definition revision registered by the pipeline",
                );
                if svc.spec.deploy_broken {
                    svc.broken_revision = Some(svc.revision);
                }
            }
            tasks::step_service(svc, spot_rate, &mut step);
        }
        self.measure(dt);
        let (mut step, services) = self.step_parts(dt);
        for svc in services {
            autoscale::step_scaling(svc, &mut step);
        }
        let clients: f64 = self
            .services
            .iter()
            .map(|s| f64::from(s.running()) * 4.0)
            .sum();
        for c in &mut self.caches {
            cache::step_cache(c, dt, clients, &mut self.rng);
        }
        let now = self.now();
        alarms::evaluate_all(&mut self.alarms, &self.services, &self.caches, t, now);
        self.spent_usd += self.burn_per_hour() * dt as f64 / 3600.0;
    }

    /// Load, CPU, latency and errors of every service at the current time.
    fn measure(&mut self, dt: i64) {
        let now = self.now();
        let t = self.t;
        let curve = traffic::diurnal(now);
        for svc in &mut self.services {
            let drift = (self.rng.random::<f64>() - 0.5) * 0.02 * (dt as f64 / 5.0).sqrt();
            svc.noise = (svc.noise * 0.97 + drift).clamp(-0.08, 0.08);
            let spike: f64 = self
                .scenario
                .load_events
                .iter()
                .filter(|e| e.applies_to(&svc.spec.key.service))
                .map(|e| e.multiplier(t))
                .product();
            svc.load = svc.spec.peak_load * curve * spike * (1.0 + svc.noise);
            while svc.interruptions.front().is_some_and(|&i| t - i > 600) {
                svc.interruptions.pop_front();
            }
            let serving = svc.running();
            let recent = svc.interruptions.iter().filter(|&&i| t - i <= 60).count();
            let jitter = (self.rng.random::<f64>() - 0.5) * 2.0;
            svc.metrics = measure_service(svc, svc.load, serving, recent, jitter);
            let (p95, errors) = self.backing.impact(&svc.spec.key.service);
            if let Some(v) = svc.metrics.p95_ms.as_mut() {
                *v += p95;
            }
            if let Some(v) = svc.metrics.error_rate_pct.as_mut() {
                *v = (*v + errors).min(100.0);
            }
            if t % 60 < dt.max(1) {
                saturation_logs(svc, t);
            }
        }
    }

    /// The hour before the start, a minute a point, as a steady fleet had it:
    /// the daily load curve on the tasks running at the start (a scenario's
    /// traffic events have not begun). The cockpit's sparklines open with it.
    /// Its own random stream: the simulation itself is not changed.
    pub fn past_hour(&self) -> Backfill {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ 0x005e_ed0f_1a57);
        let start = self.scenario.start;
        let mut out = Backfill::default();
        for svc in &self.services {
            let serving = svc.running();
            let subject = history::Subject::Service(svc.spec.key.clone());
            let mut series: Vec<(history::Metric, Vec<(i64, f64)>)> = [
                history::Metric::Cpu,
                history::Metric::Memory,
                history::Metric::P95,
                history::Metric::ErrorRate,
                history::Metric::Requests,
                history::Metric::Running,
                history::Metric::Desired,
            ]
            .into_iter()
            .map(|m| (m, Vec::with_capacity(60)))
            .collect();
            for minutes in (1..=60).rev() {
                let at = start - Duration::minutes(minutes);
                let load = svc.spec.peak_load * traffic::diurnal(at);
                let jitter = (rng.random::<f64>() - 0.5) * 2.0;
                let m = measure_service(svc, load, serving, 0, jitter);
                let values = [
                    m.cpu_pct,
                    m.memory_pct,
                    m.p95_ms,
                    m.error_rate_pct,
                    m.requests_per_min,
                    Some(f64::from(serving)),
                    Some(f64::from(svc.desired)),
                ];
                for ((_, points), v) in series.iter_mut().zip(values) {
                    if let Some(v) = v {
                        points.push((at.timestamp(), v));
                    }
                }
            }
            out.series.extend(
                series
                    .into_iter()
                    .map(|(metric, points)| (subject.clone(), metric, points)),
            );
        }
        out
    }

    /// Current burn of running tasks, USD per hour.
    fn burn_per_hour(&self) -> f64 {
        self.services
            .iter()
            .map(|s| {
                let per_task = task_hour_usd(s.spec.task_vcpu, s.spec.task_memory_gb, s.spec.arch);
                s.tasks
                    .iter()
                    .filter(|t| t.serving())
                    .map(|t| {
                        if t.spot {
                            per_task * SPOT_FACTOR
                        } else {
                            per_task
                        }
                    })
                    .sum::<f64>()
            })
            .sum()
    }
}

fn measure_service(
    svc: &SvcState,
    load: f64,
    serving: u32,
    recent_interruptions: usize,
    jitter: f64,
) -> ServiceMetrics {
    let rpm = load * svc.spec.rpm_per_unit;
    if serving == 0 {
        return ServiceMetrics {
            cpu_pct: None,
            memory_pct: None,
            p95_ms: None,
            error_rate_pct: Some(if rpm > 0.0 { 100.0 } else { 0.0 }),
            requests_per_min: Some(rpm),
        };
    }
    // Load is in units of the scenario's task size; a resized task holds
    // that much more (or less) of it, and its memory fills accordingly.
    let (vcpu, memory) = svc.base_size;
    let u = load / f64::from(serving) * vcpu / svc.spec.task_vcpu;
    let memory_scale = memory / svc.spec.task_memory_gb;
    let interrupted_share = recent_interruptions as f64 / f64::from(serving);
    ServiceMetrics {
        cpu_pct: Some((u * 100.0 + jitter).clamp(0.5, 100.0)),
        memory_pct: Some(
            ((traffic::memory_pct(load / f64::from(serving)) + jitter * 0.5) * memory_scale)
                .clamp(0.0, 100.0),
        ),
        p95_ms: Some(traffic::p95_ms(svc.spec.base_p95_ms, u) * (1.0 + jitter * 0.01)),
        error_rate_pct: Some(traffic::error_rate_pct(u, interrupted_share)),
        requests_per_min: Some(rpm),
    }
}

/// What a saturated task writes once a minute: connection-pool timeouts past
/// 90 % CPU, heap exhaustion past 92 % memory, each with its stack trace.
fn saturation_logs(svc: &mut SvcState, t: i64) {
    let Some(task) = svc.tasks.iter().find(|k| k.serving()).map(|k| k.id) else {
        return;
    };
    if svc.metrics.cpu_pct.is_some_and(|c| c >= 90.0) {
        svc.log(
            t,
            task,
            "WARN  com.zaxxer.hikari.pool.HikariPool : HikariPool-1 - Connection is not available, request timed out after 30000ms.\n\
             java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.\n\
             \tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n\
             \tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
        );
    }
    if svc.metrics.memory_pct.is_some_and(|m| m >= 92.0) {
        svc.log(
            t,
            task,
            "ERROR o.a.c.c.C.[.[.[/].[dispatcherServlet] : Servlet.service() threw exception\n\
             java.lang.OutOfMemoryError: Java heap space\n\
             \tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
        );
    }
}

/// A new revision: every task is replaced in batches at the deployment settings.
fn start_deployment(svc: &mut SvcState, step: &mut Step, why: &str) {
    let next = svc.registered_revisions() + 1;
    deploy_revision(svc, step, next, why);
}

/// Roll out `revision` (new or registered before): tasks of any other
/// revision are replaced in batches at the deployment settings.
fn deploy_revision(svc: &mut SvcState, step: &mut Step, revision: u32, why: &str) {
    svc.revision = revision;
    svc.deploys.push(state::DeployRecord {
        id: tasks::deploy_id(step.t, svc.revision),
        revision: svc.revision,
        created_at: step.t,
        updated_at: step.t,
        rollout: state::Rollout::InProgress,
        failed_tasks: 0,
    });
    // ECS keeps the deployments whose tasks still run; a few older ones are plenty.
    if svc.deploys.len() > 5 {
        svc.deploys.remove(0);
    }
    svc.deploy_failures = 0;
    svc.deployment = DeploymentState::InProgress {
        updated: 0,
        total: svc.desired,
    };
    let key = svc.spec.key.clone();
    let msg = format!(
        "(service {}) started deployment of revision {} ({why}): replacing {} task(s), minimumHealthyPercent {}, maximumPercent {}",
        key.service,
        svc.revision,
        svc.tasks.len(),
        svc.spec.deploy.min_healthy_pct,
        svc.spec.deploy.max_pct
    );
    step.events
        .push(step.at(step.t), EventKind::Deployment, Some(&key), msg);
}
