//! Configuration: defaults < config file < environment < flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bounds::Bound;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Theme name (embedded or a file in `<config dir>/themes/`).
    pub theme: String,
    pub read_only: bool,
    pub wall: bool,
    pub sim: SimConfig,
    pub aws: AwsConfig,
    pub runbooks: RunbookConfig,
    pub ledger: LedgerConfig,
    pub journal: JournalConfig,
    pub timeline: TimelineConfig,
    /// Declared baseline (intended min/max/strategy per service); default `<config dir>/baseline.toml`.
    pub baseline: Option<PathBuf>,
    /// Per-AWS-profile overrides, e.g. pin a red theme to `prod`.
    pub profiles: BTreeMap<String, ProfileConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            theme: "dark".into(),
            read_only: false,
            wall: false,
            sim: SimConfig::default(),
            aws: AwsConfig::default(),
            runbooks: RunbookConfig::default(),
            ledger: LedgerConfig::default(),
            journal: JournalConfig::default(),
            timeline: TimelineConfig::default(),
            baseline: None,
            profiles: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    pub scenario: String,
    pub seed: u64,
    /// Simulated seconds per real second.
    #[serde(deserialize_with = "speed")]
    pub speed: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            scenario: "calm".into(),
            seed: 7,
            speed: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwsConfig {
    pub enabled: bool,
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Clusters to watch; empty means all.
    pub clusters: Vec<String>,
    pub endpoint_url: Option<String>,
    #[serde(deserialize_with = "metrics_interval")]
    pub metrics_interval_s: u64,
    #[serde(deserialize_with = "config_interval")]
    pub config_interval_s: u64,
    /// Seconds between CloudWatch metric reads: the metrics' period.
    #[serde(deserialize_with = "metric_period")]
    pub metric_period_s: u64,
    /// Per-call timeout.
    #[serde(deserialize_with = "call_timeout")]
    pub call_timeout_s: u64,
    /// Attempts per call, throttling retried with exponential backoff and jitter; 1 disables retries.
    #[serde(deserialize_with = "max_attempts")]
    pub max_attempts: u32,
    /// The share of each API's quota sitrep keeps to; the rest is the console's.
    #[serde(deserialize_with = "quota_share")]
    pub quota_share: f64,
    /// Extra CloudWatch metrics mapped onto service fields (P95, 5xx, requests).
    pub metrics: Vec<CustomMetric>,
    /// The metrics the runbook library declares (`[[metric]]`), read with
    /// the fleet's: set when a session opens, not a config key.
    #[serde(skip)]
    pub declared: Vec<crate::model::declared::Declared>,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            profile: None,
            region: None,
            clusters: Vec::new(),
            endpoint_url: None,
            metrics_interval_s: 15,
            config_interval_s: 60,
            metric_period_s: 60,
            call_timeout_s: 10,
            max_attempts: 4,
            quota_share: 0.8,
            metrics: Vec::new(),
            declared: Vec::new(),
        }
    }
}

/// A CloudWatch metric that fills a service field. `{cluster}` and `{service}`
/// in dimension values are replaced per service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomMetric {
    /// `p95_ms`, `error_rate_pct` or `requests_per_min`.
    pub field: String,
    pub namespace: String,
    pub metric: String,
    /// CloudWatch statistic, e.g. `p95`, `Average`, `Sum`.
    pub stat: String,
    pub dimensions: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunbookConfig {
    /// Extra directories of runbook files, loaded after the shipped ones.
    pub dirs: Vec<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LedgerConfig {
    /// How long a manual override may stay before override-revert flags it.
    #[serde(deserialize_with = "revert_after")]
    pub revert_after_hours: f64,
    /// How long the fields an applied action set are watched for a change back.
    #[serde(deserialize_with = "watch_after")]
    pub watch_after_minutes: u32,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            revert_after_hours: 24.0,
            watch_after_minutes: 30,
        }
    }
}

/// The fleet journal (`src/journal`): what the fleet did, kept locally.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalConfig {
    /// Record while a session runs (read-only sessions too).
    pub enabled: bool,
    /// Days of data time kept.
    #[serde(deserialize_with = "keep_days")]
    pub keep_days: u32,
    /// Total size of one fleet's journal, MiB; the oldest files go first.
    #[serde(deserialize_with = "max_mb")]
    pub max_mb: u64,
}

impl Default for JournalConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            keep_days: 30,
            max_mb: 2048,
        }
    }
}

/// What `sitrep timeline` measures an AWS fleet against (a simulator's
/// scenario brings its own SLA).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimelineConfig {
    /// A service over this P95 is over its SLA, milliseconds.
    pub sla_p95_ms: f64,
    /// ... or over this error rate, percent.
    pub sla_error_rate_pct: f64,
    /// Services the SLA applies to (`cluster/service` or `service`); empty: all.
    pub sla_services: Vec<String>,
}

impl Default for TimelineConfig {
    fn default() -> Self {
        Self {
            sla_p95_ms: 2000.0,
            sla_error_rate_pct: 1.0,
            sla_services: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    pub theme: Option<String>,
    pub read_only: Option<bool>,
}

/// Simulator speed: an hour of fleet per real second keeps each tick's work bounded.
pub const SPEED: Bound<f64> =
    Bound::new(0.0, 3600.0, "simulated seconds per real second (0 pauses)");
pub const METRICS_INTERVAL: Bound<u64> = Bound::new(1, 3600, "seconds between metric polls");
pub const CONFIG_INTERVAL: Bound<u64> = Bound::new(
    1,
    86_400,
    "seconds between reads of the slow-changing parts",
);
pub const CALL_TIMEOUT: Bound<u64> = Bound::new(1, 300, "seconds an AWS call may take");
pub const MAX_ATTEMPTS: Bound<u32> = Bound::new(1, 10, "attempts per AWS call");
pub const METRIC_PERIOD: Bound<u64> = Bound::new(1, 3600, "seconds between metric reads");
pub const QUOTA_SHARE: Bound<f64> =
    Bound::new(0.05, 1.0, "share of each AWS API's quota sitrep may use");
pub const REVERT_AFTER: Bound<f64> = Bound::new(
    0.0,
    8760.0,
    "hours an override may stay before it is flagged",
);

crate::bounded!(speed: f64 = SPEED);
crate::bounded!(metrics_interval: u64 = METRICS_INTERVAL);
crate::bounded!(config_interval: u64 = CONFIG_INTERVAL);
crate::bounded!(call_timeout: u64 = CALL_TIMEOUT);
crate::bounded!(max_attempts: u32 = MAX_ATTEMPTS);
crate::bounded!(quota_share: f64 = QUOTA_SHARE);
crate::bounded!(metric_period: u64 = METRIC_PERIOD);
pub const WATCH_AFTER: Bound<u32> = Bound::new(
    0,
    1440,
    "minutes the fields an action set are watched for a change back",
);

crate::bounded!(revert_after: f64 = REVERT_AFTER);
pub const KEEP_DAYS: Bound<u32> = Bound::new(1, 3650, "days of journal kept");
pub const MAX_MB: Bound<u64> = Bound::new(1, 1_048_576, "MiB of journal kept per fleet");
crate::bounded!(keep_days: u32 = KEEP_DAYS);
crate::bounded!(max_mb: u64 = MAX_MB);
crate::bounded!(watch_after: u32 = WATCH_AFTER);

/// A file or directory name made only of safe characters (never a path
/// from the command line): ASCII letters, digits, `-`, `_` and inner `.`,
/// anything else becomes `-`. At most 64 characters; never empty, `.` or `..`.
pub fn safe_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let trimmed = mapped.trim_matches('.');
    if trimmed.is_empty() {
        "unnamed".into()
    } else {
        trimmed.to_string()
    }
}

/// Where sitrep reads configuration and writes its data (audit log, ledger, logs).
/// `SITREP_CONFIG_DIR` / `SITREP_DATA_DIR` override the platform dirs (tests use them).
#[derive(Clone, Debug, PartialEq)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    pub fn from_env() -> Self {
        let dirs = directories::ProjectDirs::from("", "", "sitrep");
        let pick = |var: &str, platform: Option<PathBuf>, fallback: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or(platform)
                .unwrap_or_else(|| PathBuf::from(fallback))
        };
        Self {
            config_dir: pick(
                "SITREP_CONFIG_DIR",
                dirs.as_ref().map(|d| d.config_dir().to_path_buf()),
                ".sitrep/config",
            ),
            data_dir: pick(
                "SITREP_DATA_DIR",
                dirs.as_ref().map(|d| d.data_dir().to_path_buf()),
                ".sitrep/data",
            ),
        }
    }

    /// The audit log of AWS sessions: the operator's real one.
    pub fn audit_log(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }

    /// The override ledger of AWS sessions.
    pub fn ledger(&self) -> PathBuf {
        self.data_dir.join("ledger.jsonl")
    }

    /// Simulator sessions and drills keep their audit log and ledger here,
    /// apart from the operator's: a drill's override never shows in an AWS session.
    pub fn sim_dir(&self) -> PathBuf {
        self.data_dir.join("sim")
    }

    pub fn sim_audit_log(&self) -> PathBuf {
        self.sim_dir().join("audit.jsonl")
    }

    pub fn sim_ledger(&self) -> PathBuf {
        self.sim_dir().join("ledger.jsonl")
    }

    /// The audit log a session on `source` writes.
    pub fn audit_log_for(&self, source: &crate::model::SourceInfo) -> PathBuf {
        if source.is_sim() {
            self.sim_audit_log()
        } else {
            self.audit_log()
        }
    }

    /// The ledger a session on `source` keeps.
    pub fn ledger_for(&self, source: &crate::model::SourceInfo) -> PathBuf {
        if source.is_sim() {
            self.sim_ledger()
        } else {
            self.ledger()
        }
    }

    /// Where `sitrep runbook run` keeps each run's audit log and ledger.
    /// Where a session on `source` keeps its journal: one directory per AWS
    /// fleet (account or profile, region, endpoint), continued across
    /// sessions; one per simulator session (a scenario restarts its clock).
    pub fn journal_dir(
        &self,
        source: &crate::model::SourceInfo,
        opened: chrono::DateTime<chrono::Utc>,
    ) -> PathBuf {
        match source.id() {
            crate::model::SourceId::Sim { scenario, seed } => self.sim_journals().join(format!(
                "{}-{}-seed{seed}",
                opened.format("%Y%m%dT%H%M%S"),
                safe_name(&scenario)
            )),
            crate::model::SourceId::Aws {
                account,
                profile,
                region,
                endpoint_url,
            } => {
                let who = account.or(profile).unwrap_or_else(|| "default".to_string());
                let mut name = format!("{who}-{region}");
                if let Some(url) = endpoint_url {
                    name.push('-');
                    name.push_str(url.split("://").last().unwrap_or(&url));
                }
                self.aws_journals().join(safe_name(&name))
            }
        }
    }

    /// Where the cockpit's `:export` writes post-mortem Markdown.
    pub fn postmortems_for(&self, source: &crate::model::SourceInfo) -> PathBuf {
        if source.is_sim() {
            self.sim_dir().join("postmortems")
        } else {
            self.data_dir.join("postmortems")
        }
    }

    /// The journals of AWS fleets, one directory each.
    pub fn aws_journals(&self) -> PathBuf {
        self.data_dir.join("journal")
    }

    /// The journals of simulator sessions, one directory per session, oldest first by name.
    pub fn sim_journals(&self) -> PathBuf {
        self.sim_dir().join("journal")
    }

    pub fn runs_dir(&self) -> PathBuf {
        self.data_dir.join("runs")
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("sitrep.log")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn baseline(&self) -> PathBuf {
        self.config_dir.join("baseline.toml")
    }
}

/// Merge the layers: defaults < config file < profile pin < environment < flags.
pub fn load(flags: &crate::cli::GlobalArgs, paths: &Paths) -> color_eyre::Result<Config> {
    load_with(flags, paths, &|var| std::env::var(var).ok())
}

/// `load` with the environment passed in, so tests need not touch the process env.
pub fn load_with(
    flags: &crate::cli::GlobalArgs,
    paths: &Paths,
    env: &dyn Fn(&str) -> Option<String>,
) -> color_eyre::Result<Config> {
    let mut cfg = match &flags.config {
        Some(file) => read_file(file)?,
        None => {
            let file = paths.config_file();
            if file.exists() {
                read_file(&file)?
            } else {
                Config::default()
            }
        }
    };
    apply_profile_pin(&mut cfg, flags);
    apply_env(&mut cfg, env)?;
    apply_flags(&mut cfg, flags);
    check(&cfg)?;
    Ok(cfg)
}

/// Read and parse one config file; errors name the file, line, column and field.
pub fn read_file(file: &Path) -> color_eyre::Result<Config> {
    let text = crate::userfile::read(file, "config").map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    parse_file(file, &text)
}

fn parse_file(file: &Path, text: &str) -> color_eyre::Result<Config> {
    toml::from_str(text).map_err(|e| color_eyre::eyre::eyre!(toml_error(file, text, &e)))
}

/// `file:line:column: message (field `a.b`)` for a TOML error, located by its span.
pub fn toml_error(file: &Path, text: &str, err: &toml::de::Error) -> String {
    let message = err.message().trim();
    let Some(span) = err.span() else {
        return format!("{}: {message}", file.display());
    };
    let (line, col) = crate::position::line_col(text, span.start);
    let field = field_at(text, line)
        .filter(|f| !message.contains(&format!("`{}`", f.rsplit('.').next().unwrap_or(f))))
        .map(|f| format!(" (field `{f}`)"))
        .unwrap_or_default();
    format!("{}:{line}:{col}: {message}{field}", file.display())
}

/// The dotted key assigned on a 1-based line, prefixed by the table it sits in.
fn field_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let here = lines.get(line.checked_sub(1)?)?;
    let (key, _) = here.split_once('=')?;
    let key = key.trim().trim_matches('"');
    let table = lines[..line - 1]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|l| l.trim_matches(['[', ']']).trim().to_string());
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key.to_string(),
    })
}

/// A profile may pin a theme (so prod looks different) and force read-only.
fn apply_profile_pin(cfg: &mut Config, flags: &crate::cli::GlobalArgs) {
    let profile = flags.profile.as_ref().or(cfg.aws.profile.as_ref());
    let Some(pin) = profile.and_then(|p| cfg.profiles.get(p)).cloned() else {
        return;
    };
    if let Some(theme) = pin.theme {
        cfg.theme = theme;
    }
    if pin.read_only == Some(true) {
        cfg.read_only = true;
    }
}

fn apply_env(cfg: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> color_eyre::Result<()> {
    if let Some(t) = env("SITREP_THEME").filter(|t| !t.is_empty()) {
        cfg.theme = t;
    }
    if let Some(v) = env("SITREP_READ_ONLY").filter(|v| !v.is_empty()) {
        cfg.read_only = match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => true,
            "0" | "false" | "no" | "off" => false,
            _ => color_eyre::eyre::bail!(
                "SITREP_READ_ONLY={v:?}: expected 1/true/yes/on or 0/false/no/off"
            ),
        };
    }
    if let Some(s) = env("SITREP_SCENARIO").filter(|s| !s.is_empty()) {
        cfg.sim.scenario = s;
    }
    if let Some(v) = env("SITREP_SPEED").filter(|v| !v.is_empty()) {
        let speed = v
            .parse::<f64>()
            .map_err(|_| format!("not a number: expected {}", SPEED.what))
            .and_then(|s| SPEED.check(s))
            .map_err(|e| color_eyre::eyre::eyre!("SITREP_SPEED={v:?}: {e}"))?;
        cfg.sim.speed = speed;
    }
    Ok(())
}

/// Values a flag may set: a file's values were checked where they were read.
fn check(cfg: &Config) -> color_eyre::Result<()> {
    SPEED
        .check(cfg.sim.speed)
        .map_err(|e| color_eyre::eyre::eyre!("--speed {e}"))?;
    Ok(())
}

fn apply_flags(cfg: &mut Config, flags: &crate::cli::GlobalArgs) {
    cfg.read_only |= flags.read_only;
    cfg.wall |= flags.wall;
    if let Some(t) = &flags.theme {
        cfg.theme = t.clone();
    }
    if let Some(s) = &flags.scenario {
        cfg.sim.scenario = s.clone();
    }
    if let Some(s) = flags.seed {
        cfg.sim.seed = s;
    }
    if let Some(s) = flags.speed {
        cfg.sim.speed = s;
    }
    cfg.aws.enabled |= flags.aws;
    if flags.profile.is_some() {
        cfg.aws.profile = flags.profile.clone();
    }
    if flags.region.is_some() {
        cfg.aws.region = flags.region.clone();
    }
    if !flags.clusters.is_empty() {
        cfg.aws.clusters = flags.clusters.clone();
    }
    if flags.endpoint_url.is_some() {
        cfg.aws.endpoint_url = flags.endpoint_url.clone();
    }
}

/// The text of `sitrep config --print-default`: every setting at its default, commented.
pub fn default_file_text() -> String {
    DEFAULT_FILE.to_string()
}

const DEFAULT_FILE: &str = r#"# sitrep configuration. Every value below is the default.
# Layers, lowest first: these defaults < this file < a profile's pin
# < environment (SITREP_THEME, SITREP_READ_ONLY, SITREP_SCENARIO, SITREP_SPEED) < flags.

# dark, light, high-contrast, colour-blind-safe, or NAME for <config dir>/themes/NAME.toml
theme = "dark"
# No write path exists in the process: actions preview but cannot be applied.
read_only = false
# Large, calm panes for a spare screen.
wall = false
# Declared baseline (intended min/max/strategy per service); default <config dir>/baseline.toml.
# baseline = "/path/to/baseline.toml"

[sim]
# Scenario from scenarios/.
scenario = "calm"
# Same seed, same fleet.
seed = 7
# Simulated seconds per real second, 0 (paused) to 3600.
speed = 1.0

[aws]
# Read a real AWS account instead of the simulator.
enabled = false
# profile = "prod-admin"
# region = "ap-northeast-1"
# Clusters to watch; empty means all.
clusters = []
# endpoint_url = "http://localhost:5000"
# Seconds between metric polls (1 to 3600), and between slow-changing config polls (1 to 86400).
metrics_interval_s = 15
config_interval_s = 60
# Seconds between CloudWatch metric reads (1 to 3600): standard ECS and ElastiCache metrics
# have one datapoint a minute, and GetMetricData bills every metric each time it is asked.
metric_period_s = 60
# Per-call timeout in seconds, 1 to 300.
call_timeout_s = 10
# Attempts per call, 1 to 10; throttling is retried with backoff and jitter; 1 disables retries.
max_attempts = 4
# The share of each AWS API's quota sitrep keeps to (0.05 to 1.0); the console and other
# tools share the rest. Calls wait for a token rather than be throttled; writes never wait.
quota_share = 0.8
# Extra CloudWatch metrics mapped onto service fields (p95_ms, error_rate_pct, requests_per_min):
# [[aws.metrics]]
# field = "p95_ms"
# namespace = "AWS/ApplicationELB"
# metric = "TargetResponseTime"
# stat = "p95"
# dimensions = { TargetGroup = "{service}" }
metrics = []

[runbooks]
# Extra directories of runbook files, loaded after the shipped ones.
dirs = []

[ledger]
# How long a manual override may stay before override-revert flags it, 0 to 8760 hours.
revert_after_hours = 24.0
# How long the fields an applied action set are watched for a change back (the scaler
# pulling desired down, IaC re-applying max), 0 to 1440 minutes; 0 stops watching.
watch_after_minutes = 30

[journal]
# Record what the fleet does (alarms, interruptions, task stops and their reasons, scaling,
# deployments, service events, figures once a minute) in <data dir>/journal while a session
# runs, read-only sessions too: it is a local file, not a write to AWS.
enabled = true
# Days kept (1 to 3650), and MiB per fleet (the oldest files go first).
keep_days = 30
max_mb = 2048

[timeline]
# What `sitrep timeline` counts as over the SLA on AWS (scenarios bring their own):
# a service's P95 over sla_p95_ms or its error rate over sla_error_rate_pct.
sla_p95_ms = 2000.0
sla_error_rate_pct = 1.0
# Services the SLA applies to ("cluster/service" or "service"); empty means all.
sla_services = []

# Per-AWS-profile pins, e.g. make prod look different and never writable:
# [profiles.prod-admin]
# theme = "high-contrast"
# read_only = true
[profiles]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_out_of_range_is_an_error_not_a_hang() {
        for bad in [f64::INFINITY, f64::NAN, -1.0, 1e9] {
            let mut cfg = Config::default();
            cfg.sim.speed = bad;
            let err = check(&cfg).unwrap_err().to_string();
            assert!(err.contains("(0 pauses), 0 to 3600"), "{err}");
        }
        let mut cfg = Config::default();
        cfg.sim.speed = 0.0;
        assert!(check(&cfg).is_ok());
    }
    use crate::cli::GlobalArgs;

    fn paths(dir: &Path) -> Paths {
        Paths {
            config_dir: dir.to_path_buf(),
            data_dir: dir.join("data"),
        }
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn default_file_parses_back_to_defaults() {
        let cfg: Config = toml::from_str(&default_file_text()).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn missing_default_file_means_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = load_with(&GlobalArgs::default(), &paths(dir.path()), &no_env).unwrap();
        assert_eq!(cfg, Config::default());
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "theme = \"light\"\n[sim]\nscenario = \"from-file\"\nspeed = 2.0\nseed = 3\n",
        )
        .unwrap();
        let env = |v: &str| match v {
            "SITREP_SCENARIO" => Some("from-env".to_string()),
            "SITREP_SPEED" => Some("4".to_string()),
            "SITREP_READ_ONLY" => Some("yes".to_string()),
            _ => None,
        };
        let flags = GlobalArgs {
            speed: Some(8.0),
            ..GlobalArgs::default()
        };
        let cfg = load_with(&flags, &paths(dir.path()), &env).unwrap();
        assert_eq!(cfg.theme, "light"); // file
        assert_eq!(cfg.sim.seed, 3); // file
        assert_eq!(cfg.sim.scenario, "from-env"); // env over file
        assert_eq!(cfg.sim.speed, 8.0); // flag over env
        assert!(cfg.read_only);
    }

    #[test]
    fn explicit_config_flag_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let flags = GlobalArgs {
            config: Some(dir.path().join("nope.toml")),
            ..GlobalArgs::default()
        };
        let err = load_with(&flags, &paths(dir.path()), &no_env).unwrap_err();
        assert!(err.to_string().contains("nope.toml"), "{err}");
    }

    #[test]
    fn bad_value_names_file_line_column_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "theme = \"dark\"\n\n[sim]\nspeed = \"fast\"\n").unwrap();
        let err = read_file(&file).unwrap_err().to_string();
        assert!(err.contains("config.toml:4:9:"), "{err}");
        assert!(err.contains("field `sim.speed`"), "{err}");
    }

    #[test]
    fn unknown_field_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "[aws]\nregon = \"x\"\n").unwrap();
        let err = read_file(&file).unwrap_err().to_string();
        assert!(err.contains("config.toml:2:1:"), "{err}");
        assert!(err.contains("`regon`"), "{err}");
    }

    #[test]
    fn bad_env_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let env = |v: &str| (v == "SITREP_SPEED").then(|| "quick".to_string());
        let err = load_with(&GlobalArgs::default(), &paths(dir.path()), &env).unwrap_err();
        assert!(err.to_string().contains("SITREP_SPEED"), "{err}");
    }

    #[test]
    fn profile_pins_theme_and_read_only_but_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "[profiles.prod]\ntheme = \"high-contrast\"\nread_only = true\n",
        )
        .unwrap();
        let mut flags = GlobalArgs {
            profile: Some("prod".into()),
            ..GlobalArgs::default()
        };
        let cfg = load_with(&flags, &paths(dir.path()), &no_env).unwrap();
        assert_eq!(cfg.theme, "high-contrast");
        assert!(cfg.read_only);
        flags.theme = Some("light".into());
        let cfg = load_with(&flags, &paths(dir.path()), &no_env).unwrap();
        assert_eq!(cfg.theme, "light");
    }
}
