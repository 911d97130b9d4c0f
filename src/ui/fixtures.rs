//! Deterministic sample fleets for snapshot tests, screenshots and the render
//! bench: fixed data and a fixed clock, so every render of them is the same.
//! A fleet that moves (the simulator) comes in from outside as a `SteppedFleet`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::model::history::FleetHistory;
use crate::model::*;
use crate::source::SteppedFleet;

/// 2026-11-23 09:00 JST, a weekday morning after the 8:45 pre-warm.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

struct Spec {
    name: &'static str,
    base_tasks: u32,
    min: u32,
    max: u32,
    spot_weight: u32,
    arch: Arch,
    vcpu: f64,
    mem_gb: f64,
    cpu: f64,
}

const SPECS: [Spec; 7] = [
    Spec {
        name: "manga-api",
        base_tasks: 20,
        min: 10,
        max: 50,
        spot_weight: 70,
        arch: Arch::Arm64,
        vcpu: 1.0,
        mem_gb: 2.0,
        cpu: 48.0,
    },
    Spec {
        name: "manga-reader",
        base_tasks: 30,
        min: 10,
        max: 80,
        spot_weight: 70,
        arch: Arch::Arm64,
        vcpu: 1.0,
        mem_gb: 2.0,
        cpu: 41.0,
    },
    Spec {
        name: "image-resizer",
        base_tasks: 8,
        min: 4,
        max: 40,
        spot_weight: 100,
        arch: Arch::X86_64,
        vcpu: 2.0,
        mem_gb: 4.0,
        cpu: 35.0,
    },
    Spec {
        name: "search",
        base_tasks: 6,
        min: 3,
        max: 20,
        spot_weight: 0,
        arch: Arch::X86_64,
        vcpu: 2.0,
        mem_gb: 4.0,
        cpu: 30.0,
    },
    Spec {
        name: "notifier",
        base_tasks: 4,
        min: 2,
        max: 10,
        spot_weight: 50,
        arch: Arch::Arm64,
        vcpu: 0.5,
        mem_gb: 1.0,
        cpu: 22.0,
    },
    Spec {
        name: "checkout",
        base_tasks: 10,
        min: 10,
        max: 30,
        spot_weight: 0,
        arch: Arch::X86_64,
        vcpu: 1.0,
        mem_gb: 2.0,
        cpu: 38.0,
    },
    Spec {
        name: "burst-worker",
        base_tasks: 5,
        min: 0,
        max: 60,
        spot_weight: 100,
        arch: Arch::Arm64,
        vcpu: 1.0,
        mem_gb: 2.0,
        cpu: 55.0,
    },
];

const CLUSTER: &str = "manga-prod";

/// The fleet `minutes` into a manga release: traffic on `manga-api` and
/// `manga-reader` climbs 8x over 15 minutes; scaling lags behind and pins at max.
pub fn manga_release(minutes: f64) -> FleetSnapshot {
    let at = start() + Duration::milliseconds((minutes * 60_000.0) as i64);
    let surge = (minutes / 15.0).clamp(0.0, 1.0);
    let services: Vec<Service> = SPECS
        .iter()
        .enumerate()
        .map(|(i, spec)| service(spec, i, minutes, surge))
        .collect();
    let hot = surge > 0.5;
    let alarms = vec![
        alarm(
            "manga-api-cpu-high",
            hot,
            "CPU > 85 % for 3 datapoints",
            at,
            "manga-api",
        ),
        alarm(
            "manga-api-p95-slo",
            surge > 0.7,
            "P95 > 3 s",
            at,
            "manga-api",
        ),
        alarm(
            "manga-cache-memory-85",
            surge > 0.8,
            "memory > 85 %",
            at,
            "manga-cache",
        ),
        alarm("checkout-5xx", false, "5xx < 1 %", at, "checkout"),
    ];
    let mut events = vec![
        event(
            at - Duration::minutes(16),
            EventKind::ScalingActivity,
            "manga-api",
            "scheduled pre-warm: min 10 -> 10, desired 20",
        ),
        event(
            at - Duration::minutes(9),
            EventKind::Deployment,
            "search",
            "deployment completed: 6/6 tasks on rev 42",
        ),
    ];
    if minutes > 2.0 {
        events.push(event(
            at - Duration::seconds(150),
            EventKind::ScalingActivity,
            "manga-api",
            "target tracking: desired 20 -> 38 (CPU 78 % > 70 %)",
        ));
        events.push(event(
            at - Duration::seconds(95),
            EventKind::SpotWarning,
            "manga-reader",
            "2-minute Spot interruption warning for 3 tasks",
        ));
        events.push(event(
            at - Duration::seconds(60),
            EventKind::TaskFailed,
            "burst-worker",
            "task stopped: CannotPullContainerError (image burst-worker:rc2)",
        ));
        events.push(event(
            at - Duration::seconds(30),
            EventKind::SpotInterruption,
            "manga-reader",
            "3 tasks stopped: SpotInterruption",
        ));
        events.push(event(
            at - Duration::seconds(10),
            EventKind::ScalingActivity,
            "manga-api",
            "target tracking: desired 38 -> 50 (max 50 reached)",
        ));
    }
    let caches = vec![
        CacheCluster {
            id: "manga-cache".into(),
            engine: "redis 7.1".into(),
            node_type: "cache.r7g.large".into(),
            memory_pct: Some(62.0 + 27.0 * surge),
            max_memory_gb: Some(13.07),
            evictions_per_min: Some(0.0),
            connections: Some(820.0 + 2400.0 * surge),
            maxmemory_policy: Some("noeviction".into()),
            parameter_group: Some("manga-redis7".into()),
            tags: BTreeMap::new(),
        },
        CacheCluster {
            id: "session-store".into(),
            engine: "redis 7.1".into(),
            node_type: "cache.r7g.large".into(),
            memory_pct: Some(71.0 + 8.0 * surge),
            max_memory_gb: Some(13.07),
            evictions_per_min: Some(12.0 + 140.0 * surge),
            connections: Some(310.0),
            maxmemory_policy: Some("allkeys-lfu".into()),
            parameter_group: Some("session-redis7".into()),
            tags: BTreeMap::new(),
        },
        CacheCluster {
            id: "jobs-queue".into(),
            engine: "redis 7.1".into(),
            node_type: "cache.t4g.medium".into(),
            memory_pct: Some(18.0),
            max_memory_gb: Some(3.09),
            evictions_per_min: Some(0.0),
            connections: Some(40.0),
            maxmemory_policy: None,
            parameter_group: None,
            tags: BTreeMap::new(),
        },
    ];
    let parts = Part::ALL
        .iter()
        .map(|p| {
            (
                *p,
                PartStatus {
                    fetched_at: Some(at),
                    error: None,
                },
            )
        })
        .collect();
    FleetSnapshot {
        taken_at: at,
        source: SourceInfo::Sim {
            scenario: "manga-release".into(),
            seed: 7,
            speed: 1.0,
        },
        clusters: vec![Cluster {
            name: CLUSTER.into(),
            arn: None,
            active_services: services.len() as u32,
            running_tasks: services.iter().map(|s| s.running).sum(),
            pending_tasks: services.iter().map(|s| s.pending).sum(),
        }],
        services,
        caches,
        alarms,
        events,
        parts,
        stats: RefreshStats::default(),
        backfill: None,
        declared: Vec::new(),
    }
}

fn service(spec: &Spec, i: usize, minutes: f64, surge: f64) -> Service {
    let wobble = ((minutes * 1.7 + i as f64).sin() + 1.0) * 2.0;
    let hot = i < 2;
    let load = if hot { 1.0 + 7.0 * surge } else { 1.0 };
    // Scaling follows load with a lag and stops at max.
    let wanted = (f64::from(spec.base_tasks) * load * 0.55).round() as u32;
    let desired = wanted.clamp(spec.base_tasks.min(spec.max), spec.max);
    let lag = if hot { (6.0 * surge) as u32 } else { 0 };
    let running = desired.saturating_sub(lag);
    let pending = desired - running;
    let capacity = f64::from(running.max(1)) / f64::from(spec.base_tasks.max(1));
    let cpu = (spec.cpu * load / capacity + wobble).min(99.0);
    let p95 = if cpu > 80.0 {
        180.0 + (cpu - 80.0).powi(2) * 14.0
    } else {
        120.0 + cpu * 1.5
    };
    let spot_target = f64::from(spec.spot_weight) / 100.0;
    // Interruptions on manga-reader pull its running Spot share below the configured one.
    let spot_share = if spec.name == "manga-reader" && minutes > 2.0 {
        spot_target * 0.6
    } else {
        spot_target
    };
    let spot = (f64::from(running) * spot_share).round() as u32;
    let strategy = if spec.spot_weight == 0 {
        vec![StrategyItem::new(FARGATE, 1, 0)]
    } else if spec.spot_weight == 100 {
        vec![StrategyItem::new(FARGATE_SPOT, 1, 0)]
    } else {
        vec![
            StrategyItem::new(FARGATE, 100 - spec.spot_weight, 2),
            StrategyItem::new(FARGATE_SPOT, spec.spot_weight, 0),
        ]
    };
    let deployment = match spec.name {
        "burst-worker" if minutes > 2.0 => DeploymentState::Failed {
            reason: "CannotPullContainerError".into(),
        },
        "search" if minutes > 4.0 => DeploymentState::InProgress {
            updated: 2,
            total: 6,
        },
        _ => DeploymentState::Stable,
    };
    let mut tags = BTreeMap::new();
    if spec.name == "checkout" {
        tags.insert("managed-by".to_string(), "terraform".to_string());
    }
    Service {
        key: ServiceKey::new(CLUSTER, spec.name),
        desired,
        running,
        pending,
        launch_type: None,
        strategy,
        running_mix: CapacityMix {
            on_demand: running - spot,
            spot,
        },
        arch: spec.arch,
        task_vcpu: spec.vcpu,
        task_memory_gb: spec.mem_gb,
        deployment,
        task_definition: Some(format!("{}:1", spec.name)),
        previous_task_definition: None,
        scaling: Some(ScalableTarget {
            min: spec.min,
            max: spec.max,
            suspended: Suspended {
                scale_in: spec.name == "checkout",
                ..Suspended::default()
            },
            policies: vec![TargetTrackingPolicy {
                name: format!("{}-cpu70", spec.name),
                metric: "ECSServiceAverageCPUUtilization".into(),
                target: 70.0,
                scale_out_cooldown_s: 60,
                scale_in_cooldown_s: 300,
                disable_scale_in: false,
            }],
            scheduled: if hot {
                vec![
                    ScheduledAction {
                        name: "prewarm-0845".into(),
                        schedule: "cron(45 23 * * ? *)".into(),
                        min: Some(spec.min * 2),
                        max: None,
                    },
                    ScheduledAction {
                        name: "scale-down-2300".into(),
                        schedule: "cron(0 14 * * ? *)".into(),
                        min: Some(spec.min),
                        max: None,
                    },
                ]
            } else {
                Vec::new()
            },
        }),
        metrics: ServiceMetrics {
            cpu_pct: Some(cpu),
            memory_pct: Some((38.0 + cpu * 0.35 + wobble).min(97.0)),
            p95_ms: Some(p95),
            error_rate_pct: Some(if cpu > 90.0 { 1.4 } else { 0.1 }),
            requests_per_min: Some(1200.0 * load * f64::from(spec.base_tasks)),
        },
        tags,
    }
}

fn alarm(name: &str, firing: bool, reason: &str, at: DateTime<Utc>, subject: &str) -> Alarm {
    Alarm {
        name: name.into(),
        state: if firing {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        },
        reason: reason.into(),
        updated_at: at - Duration::minutes(if firing { 1 } else { 30 }),
        subject: Some(subject.into()),
    }
}

fn event(at: DateTime<Utc>, kind: EventKind, service: &str, message: &str) -> FleetEvent {
    FleetEvent {
        at,
        kind,
        service: Some(ServiceKey::new(CLUSTER, service)),
        message: message.into(),
        stop: None,
    }
}

/// The release fleet after `minutes`, with history fed every 5 s from the start.
pub fn manga_release_with_history(minutes: f64) -> (FleetSnapshot, FleetHistory) {
    let mut history = FleetHistory::default();
    let steps = (minutes * 12.0) as u32;
    for step in 0..=steps {
        history.record(&manga_release(f64::from(step) / 12.0));
    }
    (manga_release(minutes), history)
}

/// A fleet of `n` services in four clusters (for the render bench and the
/// large-fleet tests), cycling the sample specs.
pub fn large(n: usize, minutes: f64) -> FleetSnapshot {
    const CLUSTERS: usize = 4;
    let mut snap = manga_release(minutes);
    let surge = (minutes / 15.0).clamp(0.0, 1.0);
    let cluster = |i: usize| format!("cluster-{}", i * CLUSTERS / n.max(1));
    snap.services = (0..n)
        .map(|i| {
            let mut s = service(&SPECS[i % SPECS.len()], i % SPECS.len(), minutes, surge);
            s.key = ServiceKey::new(
                cluster(i),
                format!("{}-{i:03}", SPECS[i % SPECS.len()].name),
            );
            s
        })
        .collect();
    let template = snap.clusters[0].clone();
    snap.clusters = (0..CLUSTERS.min(n))
        .map(|c| crate::model::Cluster {
            name: format!("cluster-{c}"),
            active_services: (n / CLUSTERS) as u32,
            ..template.clone()
        })
        .collect();
    snap
}

/// A cockpit showing the release fleet after `minutes`, its history filled in,
/// the wall clock at the data time (so data age reads 0 s).
pub fn app(minutes: f64, cfg: &crate::config::Config) -> crate::ui::app::App {
    use crate::ui::{app::App, app::Event, keymap::Keymap, theme::Theme};
    let theme = Theme::load(&cfg.theme, None).unwrap_or_else(|_| Theme::dark());
    let (snap, history) = manga_release_with_history(minutes);
    let mut app = App::new(cfg, Keymap::default_map(), theme, snap.taken_at);
    app.history = history.into();
    app.handle(Event::Snapshot(Box::new(snap)));
    app
}

/// A cockpit on a stepped fleet (the simulator) after `minutes`, every step
/// recorded in its history, the wall clock at the data time, and the service
/// in the most trouble selected, as an operator would first.
pub fn stepped_app(
    fleet: &mut dyn SteppedFleet,
    step_s: u32,
    minutes: u32,
    cfg: &crate::config::Config,
) -> Result<crate::ui::app::App, String> {
    use crate::ui::app::Event;
    let mut app = stepped_walk(fleet, step_s, &[(minutes, "")], cfg)?;
    app.handle(Event::Snapshot(Box::new(fleet.snapshot())));
    app.run(
        crate::ui::keymap::Layer::Cockpit,
        crate::ui::command::Command::Top,
    );
    Ok(app)
}

/// Render the cockpit (or one pane) into a `w` x `h` test buffer.
pub fn render(
    app: &crate::ui::app::App,
    w: u16,
    h: u16,
    draw: impl FnOnce(&mut ratatui::Frame, &crate::ui::app::App),
) -> ratatui::buffer::Buffer {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h))
        .expect("a test backend never fails");
    terminal
        .draw(|f| draw(f, app))
        .expect("a test backend never fails");
    terminal.backend().buffer().clone()
}

/// A buffer as plain text, one line per row, trailing spaces trimmed.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        for x in 0..area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A key as the terminal sends it: `\n` Enter, `\x1b` Esc, `\x08` Backspace,
/// uppercase letters with shift, anything else as typed.
pub fn key_event(c: char) -> crossterm::event::KeyEvent {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let code = match c {
        '\n' => KeyCode::Enter,
        '\x1b' => KeyCode::Esc,
        '\x08' => KeyCode::Backspace,
        c => KeyCode::Char(c),
    };
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    KeyEvent::new(code, mods)
}

/// A cockpit on a stepped fleet driven by a plan: for each entry, advance
/// that many minutes (every `step_s` step fed in), then press the keys.
pub fn stepped_walk(
    fleet: &mut dyn SteppedFleet,
    step_s: u32,
    plan: &[(u32, &str)],
    cfg: &crate::config::Config,
) -> Result<crate::ui::app::App, String> {
    stepped_drill(fleet, step_s, plan, cfg, None)
}

/// `stepped_walk` with a drill being scored from the start.
pub fn stepped_drill(
    fleet: &mut dyn SteppedFleet,
    step_s: u32,
    plan: &[(u32, &str)],
    cfg: &crate::config::Config,
    drill: Option<crate::drill::DrillState>,
) -> Result<crate::ui::app::App, String> {
    use crate::ui::{app::App, keymap::Keymap, theme::Theme};
    let theme = Theme::load(&cfg.theme, None)?;
    let mut app = App::new(cfg, Keymap::default_map(), theme, fleet.snapshot().taken_at);
    app.runbooks.drill = drill;
    play_plan(&mut app, fleet, step_s, plan);
    Ok(app)
}

/// Go on: each `(minutes, keys)` steps the fleet that long, then presses the keys.
pub fn play_plan(
    app: &mut crate::ui::app::App,
    fleet: &mut dyn SteppedFleet,
    step_s: u32,
    plan: &[(u32, &str)],
) {
    use crate::ui::app::Event;
    for (minutes, keys) in plan {
        for _ in 0..(minutes * 60 / step_s) {
            fleet.advance(step_s);
            let snap = fleet.snapshot();
            app.now = snap.taken_at;
            app.handle(Event::Snapshot(Box::new(snap)));
            count_logs(app, fleet);
        }
        for c in keys.chars() {
            // A ticked step's command is played by the fleet, as the loop has the executor do.
            for effect in app.handle(Event::Key(key_event(c))) {
                if let crate::ui::app::Effect::OperatorRan(command) = effect
                    && let Some(line) = fleet.operator_ran(&command)
                {
                    app.handle(Event::Played(line));
                }
            }
        }
        count_logs(app, fleet);
    }
}

/// A clock tick, and the fleet's answer when the open walk asks for its log
/// counts (as the loop answers with the session's evidence reader).
fn count_logs(app: &mut crate::ui::app::App, fleet: &dyn SteppedFleet) {
    use crate::ui::app::{Effect, Event};
    for effect in app.handle(Event::Tick(app.now)) {
        if let Effect::CountLogMatches(service, queries) = effect {
            let counted = fleet.log_matches(&service, &queries);
            app.handle(Event::LogMatches(service, counted));
        }
    }
}
