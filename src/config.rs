//! Configuration: defaults < config file < environment < flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    pub metrics_interval_s: u64,
    pub config_interval_s: u64,
    /// Per-call timeout.
    pub call_timeout_s: u64,
    /// Attempts per call, throttling retried with exponential backoff and jitter; 1 disables retries.
    pub max_attempts: u32,
    /// Extra CloudWatch metrics mapped onto service fields (P95, 5xx, requests).
    pub metrics: Vec<CustomMetric>,
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
            call_timeout_s: 10,
            max_attempts: 4,
            metrics: Vec::new(),
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
    pub revert_after_hours: f64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            revert_after_hours: 24.0,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProfileConfig {
    pub theme: Option<String>,
    pub read_only: Option<bool>,
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

    pub fn audit_log(&self) -> PathBuf {
        self.data_dir.join("audit.jsonl")
    }

    pub fn ledger(&self) -> PathBuf {
        self.data_dir.join("ledger.jsonl")
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

/// Merge the layers: defaults < config file < environment < flags.
pub fn load(flags: &crate::cli::GlobalArgs, paths: &Paths) -> color_eyre::Result<Config> {
    // Placeholder layering (flags only); the config-file and env layers land with the cockpit.
    let _ = paths;
    let mut cfg = Config::default();
    apply_flags(&mut cfg, flags);
    Ok(cfg)
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

/// The text of `sitrep config --print-default`.
pub fn default_file_text() -> String {
    toml::to_string_pretty(&Config::default()).unwrap_or_default()
}
