//! Cockpit state and the pure event handler: `App::handle(event) -> Vec<Effect>`.
//!
//! Nothing here does IO. The loop in `run` feeds events in, performs the
//! effects that come out, and draws when `take_dirty` says something changed.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::bill::Bill;
use super::command::{Command, SortKey};
use super::event::Reply;
pub use super::event::{Effect, Event, Message, StopSignal};
use super::evidence::EvidenceView;
use super::groups::TableRow;
use super::keymap::{Key, Keymap, Layer};
use super::limits::Countdowns;
use super::runbooks::{Ctx, Runbooks};
use super::theme::Theme;
use super::trouble;
use crate::action::confirm::ConfirmInput;
use crate::action::watch::{ChangedBack, Watches};
use crate::config::Config;
use crate::model::evidence::EvidenceKind;
use crate::model::history::FleetHistory;
use crate::model::{EventKind, FleetEvent, FleetSnapshot, Part, ServiceKey, SourceInfo, cost};

/// Rows moved by page-up / page-down.
const PAGE: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Fleet,
    Detail,
    Capacity,
    Cache,
    Events,
    Cost,
}

impl Focus {
    const ORDER: [Focus; 6] = [
        Focus::Fleet,
        Focus::Detail,
        Focus::Capacity,
        Focus::Cache,
        Focus::Events,
        Focus::Cost,
    ];

    fn step(self, by: isize) -> Focus {
        let n = Self::ORDER.len() as isize;
        let i = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Self::ORDER[(i + by).rem_euclid(n) as usize]
    }
}

/// How often each part is expected to refresh; older than 3x is stale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshPlan {
    /// Metrics, tasks, alarms, events.
    pub fast: Duration,
    /// Services, scaling targets, caches: slow-changing configuration.
    pub slow: Duration,
    /// CloudWatch metrics: read once per their period.
    pub metrics: Duration,
}

impl RefreshPlan {
    pub fn from_config(cfg: &Config) -> RefreshPlan {
        if cfg.aws.enabled {
            RefreshPlan {
                fast: Duration::seconds(cfg.aws.metrics_interval_s.max(1) as i64),
                slow: Duration::seconds(cfg.aws.config_interval_s.max(1) as i64),
                metrics: Duration::seconds(
                    cfg.aws
                        .metric_period_s
                        .max(cfg.aws.metrics_interval_s)
                        .max(1) as i64,
                ),
            }
        } else {
            // The simulator publishes every step, about once a second of real time.
            RefreshPlan {
                fast: Duration::seconds(2),
                slow: Duration::seconds(2),
                metrics: Duration::seconds(2),
            }
        }
    }

    pub fn interval(&self, part: Part) -> Duration {
        match part {
            Part::Services | Part::Scaling | Part::Caches => self.slow,
            Part::Metrics => self.metrics,
            Part::Tasks | Part::Alarms | Part::Events => self.fast,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelpState {
    pub filter: String,
    pub scroll: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PaletteState {
    pub input: String,
    pub selected: usize,
}

/// One entry of the command palette.
#[derive(Clone, Debug, PartialEq)]
pub struct PaletteItem {
    pub command: Command,
    pub desc: String,
    pub keys: String,
}

pub struct App {
    pub snapshot: Option<Arc<FleetSnapshot>>,
    /// Shared with the trigger evaluation, which reads series where they are
    /// instead of copying a scope's hour for each of 2,000 services.
    pub history: Arc<FleetHistory>,
    /// Wall time of the newest data that was read successfully (data age is
    /// measured from it): a snapshot re-sent with failed parts does not move it.
    pub data_at: Option<DateTime<Utc>>,
    /// Wall time, advanced by the clock tick.
    pub now: DateTime<Utc>,
    /// Indices into `snapshot.services`: filtered and sorted.
    pub rows: Vec<usize>,
    /// What the fleet table shows: `rows`, under cluster headers when grouped.
    pub table: Vec<TableRow>,
    /// Grouping by cluster as the operator set it; `None` follows the fleet's size.
    pub grouping: Option<bool>,
    /// Clusters folded to their header line.
    pub collapsed: HashSet<String>,
    /// The cluster whose header the cursor is on (the selected service stays
    /// what the detail pane shows).
    pub cursor_cluster: Option<String>,
    /// The fleet's soonest limits, from the rows and their history.
    pub countdowns: Countdowns,
    /// The cockpit's own AWS calls and CloudWatch metrics over the last hour.
    pub bill: Bill,
    pub selected: Option<ServiceKey>,
    /// Until the operator moves the selection, it follows the top row (the worst trouble).
    user_selected: bool,
    pub focus: Focus,
    pub filter: String,
    /// The filter in force before the input opened; `Some` while typing a filter.
    filter_before: Option<String>,
    pub help: Option<HelpState>,
    /// The errors view's scroll, while it is open.
    pub errors: Option<usize>,
    /// The timeline view, while it is open.
    pub timeline: Option<TimelineView>,
    pub palette: Option<PaletteState>,
    pub sort: SortKey,
    pub wall: bool,
    /// An executor exists in the loop: actions can be applied. `false` is a
    /// read-only session (the loop sets it from the executor it was given).
    pub writable: bool,
    pub runbooks: Runbooks,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Theme names the palette offers.
    pub themes: Vec<String>,
    pub plan: RefreshPlan,
    pub message: Option<Message>,
    /// Scroll of the events pane and the cache pane.
    pub events_scroll: usize,
    pub cache_scroll: usize,
    /// The signal that closed the cockpit, if one did.
    pub stopped_by: Option<StopSignal>,
    /// The open tasks or deployments view, in place of the fleet panes.
    pub evidence: Option<EvidenceView>,
    /// What applied actions set, watched for a change back.
    pub watches: Watches,
    /// Changes back seen this session, oldest first (the journal records them).
    pub changed_back: Vec<ChangedBack>,
    dirty: bool,
}

/// The `:timeline` view: the timeline once built, and how far it is scrolled.
#[derive(Debug)]
pub struct TimelineView {
    /// `None` while it is being built.
    pub timeline: Option<Result<crate::timeline::Timeline, String>>,
    /// Lines scrolled past; clamped when drawn (`usize::MAX` is the end).
    pub scroll: usize,
}

impl App {
    pub fn new(cfg: &Config, keymap: Keymap, theme: Theme, now: DateTime<Utc>) -> App {
        App {
            snapshot: None,
            history: Arc::default(),
            data_at: None,
            now,
            rows: Vec::new(),
            table: Vec::new(),
            grouping: None,
            collapsed: HashSet::new(),
            cursor_cluster: None,
            countdowns: Countdowns::default(),
            bill: Bill::default(),
            selected: None,
            user_selected: false,
            focus: Focus::Fleet,
            filter: String::new(),
            filter_before: None,
            help: None,
            errors: None,
            timeline: None,
            palette: None,
            sort: SortKey::Trouble,
            wall: cfg.wall,
            writable: !cfg.read_only,
            runbooks: Runbooks::shipped(),
            keymap,
            theme,
            themes: super::theme::SHIPPED
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
            plan: RefreshPlan::from_config(cfg),
            message: None,
            events_scroll: 0,
            cache_scroll: 0,
            stopped_by: None,
            evidence: None,
            watches: Watches::new(Duration::minutes(i64::from(cfg.ledger.watch_after_minutes))),
            changed_back: Vec::new(),
            dirty: true,
        }
    }

    /// The layer that receives keys, derived from what is open (topmost first).
    pub fn layer(&self) -> Layer {
        if self.help.is_some() {
            Layer::Help
        } else if self.errors.is_some() {
            Layer::Errors
        } else if self.timeline.is_some() {
            Layer::Timeline
        } else if self.palette.is_some() {
            Layer::Palette
        } else if self.runbooks.confirm.is_some() {
            Layer::Confirm
        } else if self.runbooks.list.is_some() {
            Layer::Runbooks
        } else if self.filter_before.is_some() || self.log_filter_open() {
            Layer::Filter
        } else if self.evidence.is_some() {
            Layer::Evidence
        } else if self.runbooks.walk.as_ref().is_some_and(|w| w.focused) {
            Layer::Runbook
        } else {
            Layer::Cockpit
        }
    }

    pub fn filter_input_open(&self) -> bool {
        self.filter_before.is_some() || self.log_filter_open()
    }

    /// The log view's filter input is open (the filter layer edits it, not the fleet's).
    fn log_filter_open(&self) -> bool {
        self.evidence
            .as_ref()
            .is_some_and(|v| v.filter_before.is_some())
    }

    /// True once since the last call if anything visible changed.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) => self.on_key(key),
            Event::Resize => {
                self.dirty = true;
                Vec::new()
            }
            Event::Snapshot(snap) => self.on_snapshot(snap),
            Event::Outcome(result) => {
                self.dirty = true;
                if result.outcome.is_applied()
                    && let Some(snap) = &self.snapshot
                {
                    self.watches.start(&result.request, snap, snap.taken_at);
                }
                let (runbooks, ctx) = self.runbooks_and_ctx();
                let reply = runbooks.on_outcome(*result, &ctx);
                self.take(reply)
            }
            Event::Reverts(list) => {
                self.dirty = true;
                if let Some(m) = self.runbooks.set_reverts(list) {
                    self.message = Some(m);
                }
                Vec::new()
            }
            Event::Signal(signal) => {
                tracing::info!("{}: closing the cockpit", signal.name);
                self.stopped_by = Some(signal);
                vec![Effect::Quit]
            }
            Event::Tick(now) => {
                self.now = now;
                self.dirty = true;
                let mut effects = self.ask_evidence();
                effects.extend(
                    self.runbooks
                        .ask_logs(now, self.plan.fast)
                        .map(|(service, queries)| Effect::CountLogMatches(service, queries)),
                );
                effects
            }
            Event::LogMatches(service, result) => {
                self.dirty = true;
                let (runbooks, ctx) = self.runbooks_and_ctx();
                let reply = runbooks.on_log_matches(&service, result, &ctx);
                self.take(reply)
            }
            Event::Timeline(result) => {
                if let Some(view) = &mut self.timeline {
                    view.timeline = Some(*result);
                    self.dirty = true;
                }
                Vec::new()
            }
            Event::Played(line) => {
                self.message = Some(Message::info(line));
                self.dirty = true;
                Vec::new()
            }
            Event::Exported(result) => {
                self.message = Some(match result {
                    Ok(path) => Message::info(format!("timeline written to {}", path.display())),
                    Err(e) => Message::error(format!("timeline not written: {e}")),
                });
                self.dirty = true;
                Vec::new()
            }
            Event::Suggestions(at, result) => {
                match self.runbooks.on_suggestions(at, result) {
                    Ok(changed) => self.dirty |= changed,
                    Err(e) => {
                        tracing::warn!("runbook triggers not evaluated: {e}");
                        self.message = Some(Message::error(format!(
                            "runbook triggers not evaluated: {e}"
                        )));
                        self.dirty = true;
                    }
                }
                Vec::new()
            }
            Event::Evidence(request, result) => {
                let now = self.now;
                if let Some(v) = &mut self.evidence
                    && v.answer(&request, result, now)
                {
                    v.scroll = v.scroll.min(v.rows().saturating_sub(1));
                    self.dirty = true;
                }
                Vec::new()
            }
        }
    }

    /// The open view's read, when one is due (at the fast refresh cadence).
    fn ask_evidence(&mut self) -> Vec<Effect> {
        let (now, every) = (self.now, self.plan.fast);
        self.evidence
            .as_mut()
            .and_then(|v| v.ask(now, every))
            .map(Effect::ReadEvidence)
            .into_iter()
            .collect()
    }

    /// Events the events pane lists, newest first. Task starts are routine and
    /// would crowd out the rest; the detail pane lists them.
    pub fn notable_events(&self) -> impl Iterator<Item = &FleetEvent> {
        self.snapshot
            .iter()
            .flat_map(|s| s.events.iter().rev())
            .filter(|e| e.kind != EventKind::TaskStarted)
    }

    /// The event at the top of the events pane: `o` there opens its service's
    /// logs at its time.
    pub fn selected_event(&self) -> Option<&FleetEvent> {
        self.notable_events().nth(self.events_scroll)
    }

    /// Open (or switch) the evidence view on the named service, else the selected one.
    fn open_evidence(&mut self, kind: EvidenceKind, name: Option<String>) -> Vec<Effect> {
        if kind == EvidenceKind::Logs
            && name.is_none()
            && self.evidence.is_none()
            && self.focus == Focus::Events
            && let Some(event) = self.selected_event()
            && let Some(service) = event.service.clone()
        {
            let label = event.message.clone();
            self.evidence = Some(EvidenceView::at_event(service, event.at, label));
            return self.ask_evidence();
        }
        let service = match name {
            None => self
                .evidence
                .as_ref()
                .map(|v| v.request.service.clone())
                .or_else(|| self.selected.clone()),
            Some(name) => {
                let found = self.snapshot.as_ref().and_then(|s| {
                    s.services
                        .iter()
                        .find(|x| x.key.to_string() == name || x.key.service == name)
                        .map(|x| x.key.clone())
                });
                if found.is_none() {
                    self.message = Some(Message::error(format!("no service `{name}`")));
                    return Vec::new();
                }
                found
            }
        };
        let Some(service) = service else {
            self.message = Some(Message::error("no service selected"));
            return Vec::new();
        };
        if self
            .evidence
            .as_ref()
            .is_some_and(|v| v.request.kind == kind && v.request.service == service)
        {
            return Vec::new();
        }
        self.evidence = Some(EvidenceView::new(kind, service));
        self.ask_evidence()
    }

    fn run_evidence(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(v) = &mut self.evidence else {
            return Vec::new();
        };
        let max = v.rows().saturating_sub(1);
        match cmd {
            Command::Close => self.evidence = None,
            Command::Down => v.scroll = add(v.scroll, 1, max),
            Command::Up => v.scroll = add(v.scroll, -1, max),
            Command::PageDown => v.scroll = add(v.scroll, PAGE as isize, max),
            Command::PageUp => v.scroll = add(v.scroll, -(PAGE as isize), max),
            Command::Top => v.scroll = 0,
            Command::Bottom => v.scroll = max,
            Command::Pause if v.request.kind == EvidenceKind::Logs => {
                v.paused = !v.paused;
                self.message = Some(Message::info(if v.paused {
                    "log tail paused"
                } else {
                    "log tail following"
                }));
                return self.ask_evidence();
            }
            Command::Filter(None) if v.request.kind == EvidenceKind::Logs => {
                v.filter_before = Some(v.filter.clone());
            }
            Command::Filter(Some(text)) if v.request.kind == EvidenceKind::Logs => {
                v.filter = text;
            }
            Command::ClearFilter if v.request.kind == EvidenceKind::Logs => v.filter.clear(),
            cmd => return self.run_cockpit(cmd),
        }
        Vec::new()
    }

    fn on_snapshot(&mut self, snap: Box<FleetSnapshot>) -> Vec<Effect> {
        if let Some(at) = data_at(&snap, self.now) {
            self.data_at = Some(at);
        }
        // The source may resend unchanged data; only the age moves, and the tick shows that.
        if self.snapshot.as_deref() == Some(&*snap) {
            return Vec::new();
        }
        // No evaluation holds the history between snapshots: no copy is made.
        Arc::make_mut(&mut self.history).record(&snap);
        self.bill.record(snap.taken_at, &snap.stats);
        let mut effects = Vec::new();
        for back in self.watches.check(&snap) {
            tracing::warn!("{back}");
            self.message = Some(Message::error(format!("⚠ {back}")));
            effects.push(Effect::Journal(Box::new(back.clone())));
            self.changed_back.push(back);
        }
        self.snapshot = Some(Arc::from(snap));
        self.refresh_rows();
        self.dirty = true;
        let (runbooks, ctx) = self.runbooks_and_ctx();
        let reply = runbooks.on_snapshot(&ctx);
        effects.extend(self.take(reply));
        effects
    }

    /// The runbook side, and what it reads of the rest of the cockpit.
    fn runbooks_and_ctx(&mut self) -> (&mut Runbooks, Ctx<'_>) {
        let ctx = Ctx {
            snapshot: self.snapshot.as_ref(),
            history: &self.history,
            writable: self.writable,
            selected: self.selected.as_ref(),
            now: self.now,
        };
        (&mut self.runbooks, ctx)
    }

    /// Take a reply's message (if any) and hand its effects to the loop.
    fn take(&mut self, reply: Reply) -> Vec<Effect> {
        if let Some(m) = reply.message {
            self.message = Some(m);
        }
        reply.effects
    }

    fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        // Terminals that report release and repeat would otherwise act twice.
        if ev.kind != KeyEventKind::Press {
            return Vec::new();
        }
        // A drill with its verdict waits for the trainee to close it.
        if self
            .runbooks
            .drill
            .as_ref()
            .is_some_and(|d| d.verdict().is_some())
        {
            return match ev.code {
                KeyCode::Char('q') | KeyCode::Enter | KeyCode::Esc => vec![Effect::Quit],
                _ => Vec::new(),
            };
        }
        let layer = self.layer();
        let key = Key::from_event(&ev);
        self.dirty = true;
        // A message stays until the next key.
        self.message = None;
        if let Some(cmd) = self.keymap.resolve(layer, key).cloned() {
            return self.run(layer, cmd);
        }
        if layer.takes_text()
            && let KeyCode::Char(c) = ev.code
            && !ev
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            if layer == Layer::Confirm {
                let reply = self.runbooks.confirm_input(ConfirmInput::Char(c));
                return self.take(reply);
            }
            self.type_char(layer, c);
            return Vec::new();
        }
        self.dirty = false;
        Vec::new()
    }

    fn type_char(&mut self, layer: Layer, c: char) {
        match layer {
            Layer::Help => {
                if let Some(h) = &mut self.help {
                    h.filter.push(c);
                    h.scroll = 0;
                }
            }
            Layer::Palette => {
                if let Some(p) = &mut self.palette {
                    p.input.push(c);
                    p.selected = 0;
                }
            }
            Layer::Filter => {
                if let Some(v) = self.evidence.as_mut().filter(|v| v.filter_before.is_some()) {
                    v.filter.push(c);
                    v.scroll = 0;
                    return;
                }
                self.filter.push(c);
                self.refresh_rows();
            }
            Layer::Cockpit
            | Layer::Runbooks
            | Layer::Runbook
            | Layer::Confirm
            | Layer::Evidence
            | Layer::Errors
            | Layer::Timeline => {}
        }
    }

    /// Carry out a command in the layer it was given in.
    pub fn run(&mut self, layer: Layer, cmd: Command) -> Vec<Effect> {
        self.dirty = true;
        match layer {
            Layer::Help => self.run_help(cmd),
            Layer::Errors => self.run_errors(cmd),
            Layer::Timeline => self.run_timeline(cmd),
            Layer::Palette => self.run_palette(cmd),
            Layer::Filter => self.run_filter(cmd),
            Layer::Cockpit => self.run_cockpit(cmd),
            Layer::Evidence => self.run_evidence(cmd),
            Layer::Runbooks => {
                let (runbooks, ctx) = self.runbooks_and_ctx();
                let reply = runbooks.run_list(cmd, &ctx);
                self.take(reply)
            }
            Layer::Runbook => match cmd {
                Command::Help | Command::Palette => self.run_cockpit(cmd),
                cmd => {
                    let (runbooks, ctx) = self.runbooks_and_ctx();
                    let reply = runbooks.run_walk(cmd, &ctx);
                    self.take(reply)
                }
            },
            Layer::Confirm => {
                let reply = self.runbooks.run_confirm(cmd);
                self.take(reply)
            }
        }
    }

    fn run_errors(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(scroll) = &mut self.errors else {
            return Vec::new();
        };
        match cmd {
            Command::Close => self.errors = None,
            Command::Down => *scroll += 1,
            Command::Up => *scroll = scroll.saturating_sub(1),
            Command::Help => self.help = Some(HelpState::default()),
            Command::Quit => return vec![Effect::Quit],
            _ => {}
        }
        Vec::new()
    }

    fn run_timeline(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(view) = &mut self.timeline else {
            return Vec::new();
        };
        match cmd {
            Command::Close => self.timeline = None,
            Command::Down => view.scroll += 1,
            Command::Up => view.scroll = view.scroll.saturating_sub(1),
            Command::Top => view.scroll = 0,
            Command::Bottom => view.scroll = usize::MAX,
            Command::Export => return vec![Effect::ExportTimeline],
            Command::Help => self.help = Some(HelpState::default()),
            Command::Quit => return vec![Effect::Quit],
            _ => {}
        }
        Vec::new()
    }

    fn run_help(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(h) = &mut self.help else {
            return Vec::new();
        };
        match cmd {
            Command::Close => self.help = None,
            Command::Down => h.scroll += 1,
            Command::Up => h.scroll = h.scroll.saturating_sub(1),
            Command::Backspace => {
                h.filter.pop();
            }
            Command::Quit => return vec![Effect::Quit],
            _ => {}
        }
        Vec::new()
    }

    fn run_palette(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(p) = &mut self.palette else {
            return Vec::new();
        };
        match cmd {
            Command::Close => self.palette = None,
            Command::Down => p.selected += 1,
            Command::Up => p.selected = p.selected.saturating_sub(1),
            Command::Backspace => {
                p.input.pop();
                p.selected = 0;
            }
            Command::Accept => {
                let (selected, input) = (p.selected, p.input.clone());
                let items = self.palette_matches();
                let chosen = match items.get(selected.min(items.len().saturating_sub(1))) {
                    Some(item) => Ok(item.command.clone()),
                    None => Command::parse(&input),
                };
                self.palette = None;
                return match chosen {
                    Ok(cmd) => self.run_cockpit(cmd),
                    Err(e) => {
                        self.message = Some(Message {
                            text: e,
                            error: true,
                        });
                        Vec::new()
                    }
                };
            }
            Command::Quit => return vec![Effect::Quit],
            _ => {}
        }
        Vec::new()
    }

    fn run_filter(&mut self, cmd: Command) -> Vec<Effect> {
        if let Some(v) = self.evidence.as_mut().filter(|v| v.filter_before.is_some()) {
            match cmd {
                Command::Close => v.filter = v.filter_before.take().unwrap_or_default(),
                Command::Accept => v.filter_before = None,
                Command::Backspace => {
                    v.filter.pop();
                }
                Command::Quit => return vec![Effect::Quit],
                _ => {}
            }
            return Vec::new();
        }
        match cmd {
            Command::Close => {
                self.filter = self.filter_before.take().unwrap_or_default();
                self.refresh_rows();
            }
            Command::Accept => self.filter_before = None,
            Command::Backspace => {
                self.filter.pop();
                self.refresh_rows();
            }
            Command::Down | Command::Up => return self.run_cockpit(cmd),
            Command::Quit => return vec![Effect::Quit],
            _ => {}
        }
        Vec::new()
    }

    fn run_cockpit(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Quit => return vec![Effect::Quit],
            Command::Down => self.scroll(1),
            Command::Up => self.scroll(-1),
            Command::PageDown => self.scroll(PAGE as isize),
            Command::PageUp => self.scroll(-(PAGE as isize)),
            Command::Top => self.scroll(isize::MIN / 2),
            Command::Bottom => self.scroll(isize::MAX / 2),
            Command::FocusNext => self.focus = self.focus.step(1),
            Command::FocusPrev => self.focus = self.focus.step(-1),
            Command::Filter(None) => {
                self.filter_before = Some(self.filter.clone());
                self.focus = Focus::Fleet;
            }
            Command::Filter(Some(text)) => {
                self.filter = text;
                self.refresh_rows();
            }
            Command::ClearFilter => {
                self.filter.clear();
                self.message = None;
                self.refresh_rows();
            }
            Command::Sort(k) => {
                self.sort = k;
                self.refresh_rows();
            }
            Command::SortNext => {
                self.sort = self.sort.next();
                self.refresh_rows();
            }
            Command::Theme(name) => return vec![Effect::LoadTheme(name)],
            Command::Wall => self.wall = !self.wall,
            Command::Help => self.help = Some(HelpState::default()),
            Command::Errors => self.errors = Some(0),
            Command::Timeline => {
                // Newest last, so the view opens at the end.
                self.timeline = Some(TimelineView {
                    timeline: None,
                    scroll: usize::MAX,
                });
                return vec![Effect::BuildTimeline];
            }
            Command::Export => {
                self.message = Some(Message::info("writing the timeline..."));
                return vec![Effect::ExportTimeline];
            }
            Command::Palette => self.palette = Some(PaletteState::default()),
            Command::Runbooks => self.runbooks.open(),
            // Enter on a cluster header folds it, as `z` does.
            Command::Evidence(EvidenceKind::Tasks, None) if self.cursor_cluster.is_some() => {
                self.toggle_collapse()
            }
            Command::Evidence(kind, name) => return self.open_evidence(kind, name),
            Command::Collapse => self.toggle_collapse(),
            Command::Group => {
                self.grouping = Some(!self.grouped());
                self.cursor_cluster = None;
                self.refresh_rows();
            }
            Command::Pause => {}
            Command::Reverts => {
                let (runbooks, ctx) = self.runbooks_and_ctx();
                let reply = runbooks.ask_reverts(&ctx);
                return self.take(reply);
            }
            Command::Close
            | Command::Accept
            | Command::Backspace
            | Command::Follow
            | Command::Answer(_)
            | Command::Overrule
            | Command::Hint
            | Command::Tick
            | Command::Back
            | Command::Apply
            | Command::Skip
            | Command::ApplyFix
            | Command::CloseRunbook => {}
        }
        Vec::new()
    }

    /// Apply the result of `Effect::LoadTheme`.
    pub fn set_theme(&mut self, theme: Result<Theme, String>) {
        match theme {
            Ok(t) => {
                self.message = Some(Message {
                    text: format!("theme {}", t.name),
                    error: false,
                });
                self.theme = t;
            }
            Err(e) => {
                self.message = Some(Message {
                    text: e,
                    error: true,
                })
            }
        }
        self.dirty = true;
    }

    fn scroll(&mut self, by: isize) {
        match self.focus {
            Focus::Events => {
                let n = self.notable_events().count();
                self.events_scroll = add(self.events_scroll, by, n.saturating_sub(1));
            }
            Focus::Cache => {
                let n = self.snapshot.as_ref().map_or(0, |s| s.caches.len());
                self.cache_scroll = add(self.cache_scroll, by, n.saturating_sub(1));
            }
            _ => self.move_selection(by),
        }
    }

    fn move_selection(&mut self, by: isize) {
        let Some(snap) = &self.snapshot else { return };
        if self.table.is_empty() {
            return;
        }
        let current = self.selected_row().unwrap_or(0);
        let next = add(current, by, self.table.len() - 1);
        self.user_selected = true;
        match &self.table[next] {
            TableRow::Service(i) => {
                self.selected = Some(snap.services[*i].key.clone());
                self.cursor_cluster = None;
            }
            TableRow::Cluster(c) => self.cursor_cluster = Some(c.name.clone()),
        }
    }

    /// Position of the cursor in the table: a cluster header, or the selected service.
    pub fn selected_row(&self) -> Option<usize> {
        let snap = self.snapshot.as_ref()?;
        if let Some(cluster) = &self.cursor_cluster {
            return self
                .table
                .iter()
                .position(|r| matches!(r, TableRow::Cluster(c) if &c.name == cluster));
        }
        let key = self.selected.as_ref()?;
        self.table
            .iter()
            .position(|r| matches!(r, TableRow::Service(i) if &snap.services[*i].key == key))
    }

    pub fn selected_service(&self) -> Option<&crate::model::Service> {
        let snap = self.snapshot.as_ref()?;
        let key = self.selected.as_ref()?;
        self.rows
            .iter()
            .map(|&i| &snap.services[i])
            .find(|s| &s.key == key)
    }

    /// Whether the table is grouped by cluster now.
    pub fn grouped(&self) -> bool {
        self.grouping.unwrap_or_else(|| {
            self.snapshot
                .as_deref()
                .is_some_and(crate::ui::groups::by_default)
        })
    }

    /// Fold or unfold the cluster under the cursor (its header, or the selected
    /// service's), leaving the cursor on its header.
    fn toggle_collapse(&mut self) {
        let cluster = self.cursor_cluster.clone().or_else(|| {
            self.selected_service()
                .filter(|_| self.grouped())
                .map(|s| s.key.cluster.clone())
        });
        let Some(cluster) = cluster else { return };
        if !self.collapsed.remove(&cluster) {
            self.collapsed.insert(cluster.clone());
        }
        self.cursor_cluster = Some(cluster);
        self.user_selected = true;
        self.refresh_rows();
    }

    /// Recompute the visible rows after a new snapshot, filter or sort; keep the
    /// selection on the same service when it is still visible.
    fn refresh_rows(&mut self) {
        let Some(snap) = &self.snapshot else { return };
        let needle = self.filter.to_lowercase();
        let firing = trouble::Firing::of(&snap.alarms);
        let mut rows: Vec<(usize, u32)> = snap
            .services
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                needle.is_empty() || s.key.to_string().to_lowercase().contains(&needle)
            })
            .map(|(i, s)| (i, trouble::assess(s, &firing).score))
            .collect();
        let services = &snap.services;
        let by_f64 = |a: Option<f64>, b: Option<f64>| {
            b.unwrap_or(f64::MIN).total_cmp(&a.unwrap_or(f64::MIN))
        };
        rows.sort_by(|&(a, ta), &(b, tb)| {
            let (sa, sb) = (&services[a], &services[b]);
            let primary = match self.sort {
                SortKey::Trouble => tb.cmp(&ta),
                SortKey::Name => std::cmp::Ordering::Equal,
                SortKey::Cpu => by_f64(sa.metrics.cpu_pct, sb.metrics.cpu_pct),
                SortKey::Memory => by_f64(sa.metrics.memory_pct, sb.metrics.memory_pct),
                SortKey::P95 => by_f64(sa.metrics.p95_ms, sb.metrics.p95_ms),
                SortKey::Cost => by_f64(
                    Some(cost::service_burn(sa).usd_per_hour),
                    Some(cost::service_burn(sb).usd_per_hour),
                ),
            };
            primary.then_with(|| sa.key.cmp(&sb.key))
        });
        self.rows = rows.into_iter().map(|(i, _)| i).collect();
        let grouped = self.grouped();
        let Some(snap) = &self.snapshot else { return };
        self.table = crate::ui::groups::table(snap, &self.rows, grouped, &self.collapsed);
        self.countdowns
            .refresh(snap, &self.rows, &self.history, &self.filter);
        if self.cursor_cluster.is_some() && self.selected_row().is_none() {
            self.cursor_cluster = None;
        }
        if !self.user_selected || self.selected_row().is_none() {
            self.cursor_cluster = None;
            self.selected = self.rows.first().map(|&i| snap.services[i].key.clone());
        }
    }

    /// Palette entries: the cockpit keymap's commands, then themes and sort orders.
    pub fn palette_items(&self) -> Vec<PaletteItem> {
        let mut items: Vec<PaletteItem> = Vec::new();
        for b in &self.keymap.cockpit {
            if let Some(existing) = items.iter_mut().find(|i| i.command == b.command) {
                existing.keys = format!("{} {}", existing.keys, b.keys_label());
                continue;
            }
            items.push(PaletteItem {
                command: b.command.clone(),
                desc: b.desc.clone(),
                keys: b.keys_label(),
            });
        }
        for t in &self.themes {
            items.push(PaletteItem {
                command: Command::Theme(t.clone()),
                desc: format!("Switch to the {t} theme"),
                keys: String::new(),
            });
        }
        for k in SortKey::ALL {
            items.push(PaletteItem {
                command: Command::Sort(k),
                desc: format!("Sort services by {}", k.label()),
                keys: String::new(),
            });
        }
        items
    }

    /// Palette entries matching the typed text (in the command or its description).
    pub fn palette_matches(&self) -> Vec<PaletteItem> {
        let input = self
            .palette
            .as_ref()
            .map(|p| p.input.to_lowercase())
            .unwrap_or_default();
        self.palette_items()
            .into_iter()
            .filter(|i| {
                input.is_empty()
                    || i.command.to_string().contains(&input)
                    || i.desc.to_lowercase().contains(&input)
            })
            .collect()
    }

    /// Wall time since the newest successfully read data; `None` before any
    /// part was read.
    pub fn data_age(&self) -> Option<Duration> {
        self.data_at.map(|t| self.now - t)
    }

    /// Why the data is stale, if it is: a part failed, a part is older than 3x its
    /// refresh interval, or no snapshot arrived for 3x the fast interval.
    pub fn stale_reason(&self) -> Option<String> {
        self.stale_reason_of(&Part::ALL)
    }

    /// Why the data of `parts` cannot be trusted (failed read, too old), if it cannot.
    pub fn stale_reason_of(&self, parts: &[Part]) -> Option<String> {
        let snap = self.snapshot.as_ref()?;
        if let Some((part, err)) = snap.part_errors().find(|(p, _)| parts.contains(p)) {
            return Some(format!("{part:?}: {err}"));
        }
        for &part in parts {
            if let Some(age) = snap.part_age(part, snap.taken_at)
                && age > self.plan.interval(part) * 3
            {
                return Some(format!("{part:?} {}s old", age.num_seconds()));
            }
        }
        match self.data_age() {
            Some(age) if age > self.plan.fast * 3 => {
                Some(format!("no data for {}s", age.num_seconds()))
            }
            _ => None,
        }
    }

    /// The time shown in the header: data time on the simulator, wall time on AWS.
    pub fn clock(&self) -> DateTime<Utc> {
        match self.snapshot.as_deref() {
            Some(FleetSnapshot {
                source: SourceInfo::Sim { .. },
                taken_at,
                ..
            }) => *taken_at,
            _ => self.now,
        }
    }
}

/// Wall time (on the cockpit's clock `now`) at which the newest successfully
/// read part of `snap` was read: its lag behind the snapshot's own time, taken
/// back from the arrival. Data time and wall time differ on the simulator, so
/// only the difference within the snapshot is used. A snapshot without parts
/// counts as read when taken; one whose parts were never read gives `None`.
fn data_at(snap: &FleetSnapshot, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let newest = if snap.parts.is_empty() {
        Some(snap.taken_at)
    } else {
        snap.parts.values().filter_map(|p| p.fetched_at).max()
    }?;
    Some(now - (snap.taken_at - newest).max(Duration::zero()))
}

fn add(v: usize, by: isize, max: usize) -> usize {
    v.saturating_add_signed(by).min(max)
}
