//! Command-line interface. Flags override the config file and environment.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sitrep",
    version,
    about = "Incident runbook cockpit for ECS Fargate fleets"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    /// No write path exists in the process: actions preview but cannot be applied.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Large, calm panes for a spare screen.
    #[arg(long, global = true)]
    pub wall: bool,
    /// Theme: dark, light, high-contrast, colour-blind-safe, or a file in the config dir.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Config file (default: config.toml in the platform config dir).
    #[arg(long, global = true, env = "SITREP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Simulator scenario (from scenarios/).
    #[arg(long, global = true)]
    pub scenario: Option<String>,
    /// Simulator seed: same seed, same fleet.
    #[arg(long, global = true)]
    pub seed: Option<u64>,
    /// Simulated seconds per real second.
    #[arg(long, global = true)]
    pub speed: Option<f64>,
    /// Read a real AWS account instead of the simulator.
    #[arg(long, global = true)]
    pub aws: bool,
    /// AWS profile from the shared config (SSO, assume-role and static keys all work).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (default: the profile's or AWS_REGION).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Cluster to watch (repeatable); all clusters when omitted.
    #[arg(long = "cluster", global = true)]
    pub clusters: Vec<String>,
    /// Endpoint for every AWS service (test endpoints such as moto).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a drill: the simulator injects a scenario, you work the runbook, a score at the end.
    Drill {
        /// Scenario name, e.g. spot-cascade.
        scenario: String,
    },
    /// Validate, show or walk runbooks.
    #[command(subcommand)]
    Runbook(RunbookCommand),
    /// Print the audit log of applied actions.
    Audit {
        #[arg(long)]
        json: bool,
    },
    /// The declared baseline that override-revert compares against.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print one snapshot and exit.
    Snapshot {
        /// JSON in the documented schema (the only format for now).
        #[arg(long)]
        json: bool,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Render the main views to SVG (and PNG when rsvg-convert exists).
    Screenshots {
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Validate runbook files; exit non-zero on errors.
    Check { paths: Vec<PathBuf> },
    /// Render a runbook's tree, with each action's revert.
    Show {
        /// A runbook id, or the path of a runbook file.
        id: String,
        #[arg(long)]
        mermaid: bool,
    },
    /// Walk a runbook headless against the simulator.
    Run {
        /// A runbook id, or the path of a runbook file.
        id: String,
        #[arg(long)]
        scenario: String,
        /// Take the evaluated branches and apply the proposed actions.
        #[arg(long)]
        auto: bool,
        /// Print what would be applied without applying it.
        #[arg(long)]
        dry_run: bool,
        /// Give up after this many simulated minutes.
        #[arg(long, default_value_t = 90)]
        minutes: u32,
    },
    /// The variables expressions can read: type, known values, meaning.
    Vars,
    /// The helper functions: signature, lookback, meaning.
    Helpers,
    /// The actions: parameters, guards, confirmation, revert.
    Actions,
    /// The whole reference with a worked example (docs/runbooks.md).
    Docs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write the live fleet's min/max/strategy as the declared baseline.
    Capture {
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the default configuration file.
    PrintDefault,
    /// Print where sitrep reads config and writes data.
    Paths,
}
