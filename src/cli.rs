//! Command-line interface. Flags override the config file and environment.
//!
//! Each command takes only the flags it uses: the cockpit all of them, a
//! snapshot or baseline capture the source flags, a drill the simulator and
//! look flags, and so on; `--config` goes with every command. Flags written
//! before a subcommand (`sitrep --aws snapshot`) count for it when it takes
//! them, and are refused by name when it does not.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sitrep",
    version,
    about = "Incident runbook cockpit for ECS Fargate fleets",
    long_about = "Incident runbook cockpit for ECS Fargate fleets.\n\nWith no command, opens the cockpit on the simulator, or on a real account with --aws."
)]
pub struct Cli {
    /// Config file (default: config.toml in the platform config dir).
    #[arg(long, global = true, env = "SITREP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub cockpit: CockpitArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The flags that override the config, gathered from wherever the chosen
/// command took them.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    pub read_only: bool,
    pub wall: bool,
    pub theme: Option<String>,
    pub config: Option<PathBuf>,
    pub scenario: Option<String>,
    pub seed: Option<u64>,
    pub speed: Option<f64>,
    pub aws: bool,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub clusters: Vec<String>,
    pub endpoint_url: Option<String>,
}

/// Whether the session may write.
#[derive(Debug, Clone, Default, Args)]
pub struct SessionArgs {
    /// No write path exists in the process: actions preview but cannot be applied.
    #[arg(long)]
    pub read_only: bool,
}

/// How the cockpit looks.
#[derive(Debug, Clone, Default, Args)]
pub struct LookArgs {
    /// Large, calm panes for a spare screen.
    #[arg(long)]
    pub wall: bool,
    /// Theme: dark, light, high-contrast, colour-blind-safe, or a file in the config dir.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
}

/// Which simulated fleet.
#[derive(Debug, Clone, Default, Args)]
pub struct SimArgs {
    /// Simulator scenario (from scenarios/).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Simulator seed: same seed, same fleet.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// How fast simulated time runs.
#[derive(Debug, Clone, Default, Args)]
pub struct SpeedArgs {
    /// Simulated seconds per real second.
    #[arg(long, value_name = "X")]
    pub speed: Option<f64>,
}

/// A real AWS account instead of the simulator.
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// Read a real AWS account instead of the simulator.
    #[arg(long)]
    pub aws: bool,
    /// AWS profile from the shared config (SSO, assume-role and static keys all work).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (default: the profile's or AWS_REGION).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Cluster to watch (repeatable); all clusters when omitted.
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,
    /// Endpoint for every AWS service (test endpoints such as moto).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The cockpit's flags: every session, look and source flag.
#[derive(Debug, Clone, Default, Args)]
pub struct CockpitArgs {
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub look: LookArgs,
    #[command(flatten)]
    pub sim: SimArgs,
    #[command(flatten)]
    pub speed: SpeedArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a drill: the simulator injects a scenario, you work the runbook, a verdict and a score at the end.
    Drill {
        /// Scenario name, e.g. spot-cascade.
        #[arg(required_unless_present = "list")]
        scenario: Option<String>,
        /// List the drills with their objective and runbook.
        #[arg(long)]
        list: bool,
        /// Play without a screen (for tests and scoring changes).
        #[arg(long)]
        headless: bool,
        /// Who plays a headless drill.
        #[arg(long, value_enum, default_value_t = PlayArg::Runbook, requires = "headless")]
        play: PlayArg,
        /// Print the headless result as JSON.
        #[arg(long, requires = "headless")]
        json: bool,
        /// Do not point out the scenario's runbook: pick it from the triggered list.
        #[arg(long, conflicts_with = "headless")]
        blind: bool,
        #[command(flatten)]
        session: SessionArgs,
        #[command(flatten)]
        look: LookArgs,
        /// Simulator seed: same seed, same fleet.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        #[command(flatten)]
        speed: SpeedArgs,
    },
    /// Validate, show or walk runbooks.
    #[command(subcommand)]
    Runbook(RunbookCommand),
    /// Print the audit log of applied actions (AWS sessions'; --sim for the simulator's).
    Audit {
        /// One JSON object per record instead of the table.
        #[arg(long)]
        json: bool,
        /// The simulator's and drills' audit log instead of the AWS sessions'.
        #[arg(long)]
        sim: bool,
    },
    /// The incident record: what the fleet did (the journal) and what the operator
    /// did (the audit log), in time order, with a summary and the overrides in force.
    Timeline(TimelineArgs),
    /// The declared baseline that override-revert compares against.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print one snapshot and exit.
    Snapshot {
        /// JSON in the documented schema (the only format for now).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        sim: SimArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Render the main views to SVG (and PNG when rsvg-convert exists).
    Screenshots {
        /// Directory to write them to.
        #[arg(long, default_value = "screenshots", value_name = "DIR")]
        out: PathBuf,
    },
    /// Print a shell completion script: `sitrep completions bash > /etc/bash_completion.d/sitrep`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `sitrep man > sitrep.1`.
    Man,
}

#[derive(Clone, Debug, PartialEq, clap::Args)]
pub struct TimelineArgs {
    /// From this long before the end of the record (30m, 6h, 2d) or from a time
    /// (2026-11-18T14:00:00+09:00, or 2026-11-18 05:00 in UTC).
    #[arg(long, value_name = "6h|TIME")]
    pub since: Option<String>,
    /// Up to this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this service (`cluster/service` or `service`), and the walk records.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// The timeline as one JSON document (schema version `v`, in the README).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// `md`: a post-mortem section in Markdown; `text` (default): one line per item.
    #[arg(long, value_enum)]
    pub format: Option<TimelineFormat>,
    /// The newest simulator session's (cockpit or drill) records.
    #[arg(long, conflicts_with_all = ["run", "fleet"])]
    pub sim: bool,
    /// A headless run's records: `last`, or its directory name or path.
    #[arg(long, value_name = "last|DIR", conflicts_with = "fleet")]
    pub run: Option<String>,
    /// The AWS fleet whose journal directory name contains this (account, profile or region).
    #[arg(long, value_name = "NAME")]
    pub fleet: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineFormat {
    Text,
    Md,
}

/// Who plays a headless drill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlayArg {
    /// The scenario's runbook, walked as written (par).
    Runbook,
    /// Nobody: the fleet left alone.
    Idle,
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// Validate runbook files; exit non-zero on errors.
    Check {
        /// Files or directories (their *.toml); the shipped and configured runbooks when none.
        paths: Vec<PathBuf>,
    },
    /// Render a runbook's tree, with each action's revert.
    Show {
        /// A runbook id, or the path of a runbook file.
        id: String,
        /// A Mermaid flowchart instead of the text tree.
        #[arg(long)]
        mermaid: bool,
    },
    /// Walk a runbook headless against the simulator.
    Run {
        /// A runbook id, or the path of a runbook file.
        id: String,
        /// Simulator scenario to walk it on (from scenarios/).
        #[arg(long, value_name = "NAME")]
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
        /// Simulator seed: same seed, same fleet.
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        #[command(flatten)]
        session: SessionArgs,
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
        /// Where to write it (default: the configured baseline, else baseline.toml in the config dir).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        sim: SimArgs,
        #[command(flatten)]
        aws: AwsArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the default configuration file.
    PrintDefault,
    /// Print where sitrep reads config and writes data.
    Paths,
}

impl Cli {
    /// The flags in force for the chosen command: its own, over those written
    /// before it. A flag written before a command that does not take it is an
    /// error that names both.
    pub fn flags(&self) -> Result<GlobalArgs, String> {
        let mut flags = GlobalArgs::default();
        flags.take_cockpit(&self.cockpit);
        flags.config = self.config.clone();
        let Some(command) = &self.command else {
            return Ok(flags);
        };
        let (name, accepts) = command.accepts();
        let stray: Vec<String> = flags
            .given()
            .into_iter()
            .filter(|f| *f != "config" && !accepts.contains(f))
            .map(|f| format!("--{f}"))
            .collect();
        if !stray.is_empty() {
            let list = stray.join(", ");
            let verb = if stray.len() == 1 { "does" } else { "do" };
            return Err(format!(
                "{list} {verb} not apply to `sitrep {name}` (see `sitrep {name} --help`)"
            ));
        }
        command.overlay(&mut flags);
        Ok(flags)
    }

    /// The clap command, for completions and the man page.
    pub fn definition() -> clap::Command {
        Cli::command()
    }
}

impl GlobalArgs {
    fn take_cockpit(&mut self, c: &CockpitArgs) {
        self.take_session(&c.session);
        self.take_look(&c.look);
        self.take_sim(&c.sim);
        self.take_speed(&c.speed);
        self.take_aws(&c.aws);
    }

    fn take_session(&mut self, s: &SessionArgs) {
        self.read_only |= s.read_only;
    }

    fn take_look(&mut self, l: &LookArgs) {
        self.wall |= l.wall;
        if l.theme.is_some() {
            self.theme = l.theme.clone();
        }
    }

    fn take_sim(&mut self, s: &SimArgs) {
        if s.scenario.is_some() {
            self.scenario = s.scenario.clone();
        }
        self.take_seed(s.seed);
    }

    fn take_seed(&mut self, seed: Option<u64>) {
        if seed.is_some() {
            self.seed = seed;
        }
    }

    fn take_speed(&mut self, s: &SpeedArgs) {
        if s.speed.is_some() {
            self.speed = s.speed;
        }
    }

    fn take_aws(&mut self, a: &AwsArgs) {
        self.aws |= a.aws;
        if a.profile.is_some() {
            self.profile = a.profile.clone();
        }
        if a.region.is_some() {
            self.region = a.region.clone();
        }
        if !a.clusters.is_empty() {
            self.clusters = a.clusters.clone();
        }
        if a.endpoint_url.is_some() {
            self.endpoint_url = a.endpoint_url.clone();
        }
    }

    /// The long names of the flags that were given.
    fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let mut note = |set: bool, name: &'static str| {
            if set {
                given.push(name);
            }
        };
        note(self.read_only, "read-only");
        note(self.wall, "wall");
        note(self.theme.is_some(), "theme");
        note(self.config.is_some(), "config");
        note(self.scenario.is_some(), "scenario");
        note(self.seed.is_some(), "seed");
        note(self.speed.is_some(), "speed");
        note(self.aws, "aws");
        note(self.profile.is_some(), "profile");
        note(self.region.is_some(), "region");
        note(!self.clusters.is_empty(), "cluster");
        note(self.endpoint_url.is_some(), "endpoint-url");
        given
    }
}

const SOURCE_FLAGS: &[&str] = &[
    "scenario",
    "seed",
    "aws",
    "profile",
    "region",
    "cluster",
    "endpoint-url",
];

impl Command {
    /// The command's name as typed, and the long names of the flags it takes.
    fn accepts(&self) -> (&'static str, &'static [&'static str]) {
        match self {
            Command::Drill { .. } => ("drill", &["read-only", "wall", "theme", "seed", "speed"]),
            Command::Runbook(RunbookCommand::Check { .. }) => ("runbook check", &[]),
            Command::Runbook(RunbookCommand::Show { .. }) => ("runbook show", &[]),
            Command::Runbook(RunbookCommand::Vars) => ("runbook vars", &[]),
            Command::Runbook(RunbookCommand::Helpers) => ("runbook helpers", &[]),
            Command::Runbook(RunbookCommand::Actions) => ("runbook actions", &[]),
            Command::Runbook(RunbookCommand::Docs) => ("runbook docs", &[]),
            Command::Runbook(RunbookCommand::Run { .. }) => ("runbook run", &["seed", "read-only"]),
            Command::Audit { .. } => ("audit", &[]),
            Command::Timeline(_) => ("timeline", &[]),
            Command::Baseline(BaselineCommand::Capture { .. }) => {
                ("baseline capture", SOURCE_FLAGS)
            }
            Command::Snapshot { .. } => ("snapshot", SOURCE_FLAGS),
            Command::Config(ConfigCommand::PrintDefault) => ("config print-default", &[]),
            Command::Config(ConfigCommand::Paths) => ("config paths", &[]),
            Command::Screenshots { .. } => ("screenshots", &[]),
            Command::Completions { .. } => ("completions", &[]),
            Command::Man => ("man", &[]),
        }
    }

    /// Put the command's own flags over `flags`.
    fn overlay(&self, flags: &mut GlobalArgs) {
        match self {
            Command::Drill {
                session,
                look,
                seed,
                speed,
                ..
            } => {
                flags.take_session(session);
                flags.take_look(look);
                flags.take_seed(*seed);
                flags.take_speed(speed);
            }
            Command::Runbook(RunbookCommand::Run { seed, session, .. }) => {
                flags.take_seed(*seed);
                flags.take_session(session);
            }
            Command::Snapshot { sim, aws, .. }
            | Command::Baseline(BaselineCommand::Capture { sim, aws, .. }) => {
                flags.take_sim(sim);
                flags.take_aws(aws);
            }
            Command::Runbook(
                RunbookCommand::Check { .. }
                | RunbookCommand::Show { .. }
                | RunbookCommand::Vars
                | RunbookCommand::Helpers
                | RunbookCommand::Actions
                | RunbookCommand::Docs,
            )
            | Command::Audit { .. }
            | Command::Timeline(_)
            | Command::Config(_)
            | Command::Screenshots { .. }
            | Command::Completions { .. }
            | Command::Man => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Result<GlobalArgs, String> {
        let cli = Cli::try_parse_from(std::iter::once("sitrep").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.flags()
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_command_takes_its_own_flags_in_either_place() {
        let f = flags(&["--aws", "--read-only", "--wall", "--cluster", "a"]).unwrap();
        assert!(f.aws && f.read_only && f.wall);
        assert_eq!(f.clusters, ["a"]);
        let after = flags(&["snapshot", "--json", "--aws", "--region", "r"]).unwrap();
        let before = flags(&["--aws", "--region", "r", "snapshot", "--json"]).unwrap();
        for f in [after, before] {
            assert!(f.aws);
            assert_eq!(f.region.as_deref(), Some("r"));
        }
        let f = flags(&["baseline", "capture", "--seed", "7", "--scenario", "calm"]).unwrap();
        assert_eq!((f.seed, f.scenario.as_deref()), (Some(7), Some("calm")));
        let f = flags(&["drill", "spot-cascade", "--speed", "5", "--wall"]).unwrap();
        assert_eq!(f.speed, Some(5.0));
        assert!(f.wall);
        assert_eq!(f.scenario, None, "the drill's scenario is its argument");
        let f = flags(&["--config", "c.toml", "audit"]).unwrap();
        assert_eq!(f.config, Some(PathBuf::from("c.toml")));
        let f = flags(&["audit", "--config", "c.toml"]).unwrap();
        assert_eq!(f.config, Some(PathBuf::from("c.toml")));
    }

    #[test]
    fn a_flag_a_command_does_not_take_is_refused() {
        let err = flags(&["audit", "--aws"]).unwrap_err();
        assert!(err.contains("--aws"), "{err}");
        let err =
            flags(&["--wall", "--aws", "runbook", "run", "x", "--scenario", "s"]).unwrap_err();
        assert_eq!(
            err,
            "--wall, --aws do not apply to `sitrep runbook run` (see `sitrep runbook run --help`)"
        );
        assert!(flags(&["runbook", "run", "x", "--scenario", "s", "--aws"]).is_err());
        assert!(flags(&["snapshot", "--wall"]).is_err());
        assert!(flags(&["drill", "calm", "--aws"]).is_err());
        assert!(flags(&["--scenario", "calm", "drill", "calm"]).is_err());
    }

    #[test]
    fn help_lists_only_the_flags_a_command_takes() {
        let help = |path: &[&str]| {
            let mut cmd = Cli::command();
            cmd.build(); // spreads --config to every command
            let mut sub = &mut cmd;
            for name in path {
                sub = sub.find_subcommand_mut(name).unwrap();
            }
            sub.render_long_help().to_string()
        };
        let audit = help(&["audit"]);
        for absent in ["--aws", "--wall", "--read-only", "--seed", "--endpoint-url"] {
            assert!(
                !audit.contains(absent),
                "{absent} in audit's help:\n{audit}"
            );
        }
        assert!(audit.contains("--json") && audit.contains("--config"));
        let snapshot = help(&["snapshot"]);
        for present in ["--aws", "--profile", "--cluster", "--scenario", "--seed"] {
            assert!(snapshot.contains(present), "{present} not in:\n{snapshot}");
        }
        for absent in ["--wall", "--theme", "--read-only", "--speed"] {
            assert!(!snapshot.contains(absent), "{absent} in:\n{snapshot}");
        }
        let run = help(&["runbook", "run"]);
        assert!(!run.contains("--aws") && run.contains("--seed"), "{run}");
        let top = Cli::command().render_long_help().to_string();
        for present in [
            "--aws",
            "--wall",
            "--read-only",
            "--speed",
            "completions",
            "man",
        ] {
            assert!(top.contains(present), "{present} not in:\n{top}");
        }
    }
}
