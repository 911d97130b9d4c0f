//! Commands: what a key or a palette line asks for, parsed from one text grammar
//! (`quit`, `theme dark`, `sort cpu`) so keymap files and the palette agree.

use std::fmt;

use crate::model::evidence::EvidenceKind;

/// Orders of the fleet table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Saturation, failing deployments, pinned at max and alarms first.
    Trouble,
    Name,
    Cpu,
    Memory,
    P95,
    Cost,
}

impl SortKey {
    pub const ALL: [SortKey; 6] = [
        SortKey::Trouble,
        SortKey::Name,
        SortKey::Cpu,
        SortKey::Memory,
        SortKey::P95,
        SortKey::Cost,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Trouble => "trouble",
            SortKey::Name => "name",
            SortKey::Cpu => "cpu",
            SortKey::Memory => "memory",
            SortKey::P95 => "p95",
            SortKey::Cost => "cost",
        }
    }

    pub fn next(self) -> SortKey {
        let i = Self::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    fn parse(s: &str) -> Option<SortKey> {
        Self::ALL.into_iter().find(|k| k.label() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    FocusNext,
    FocusPrev,
    /// Open the filter input, or set the filter directly from the palette.
    Filter(Option<String>),
    ClearFilter,
    Sort(SortKey),
    SortNext,
    Theme(String),
    Wall,
    /// Fold or unfold the cluster under the cursor.
    Collapse,
    /// Group the fleet table by cluster, or stop grouping.
    Group,
    Help,
    /// The errors view: each part's current problem.
    Errors,
    /// This session's timeline: the journal and the audit log merged.
    Timeline,
    /// Write the timeline as a Markdown post-mortem section.
    Export,
    Palette,
    Close,
    Accept,
    Backspace,
    /// Open the runbook list, or return to the open runbook.
    Runbooks,
    /// Take the evaluated branch (or tick a step).
    Follow,
    /// Choose answer N (1-based) of the current check.
    Answer(usize),
    /// Overrule the evaluated answer with the one under the cursor.
    Overrule,
    /// In a drill: the next node on the evaluated path, for points.
    Hint,
    Tick,
    Back,
    /// Apply the proposed action (opens the confirmation).
    Apply,
    /// Skip the proposed action and walk on.
    Skip,
    /// Apply the fix a failing guard offers (opens the confirmation).
    ApplyFix,
    /// Active overrides in the ledger, to revert one.
    Reverts,
    /// Stop walking the open runbook.
    CloseRunbook,
    /// Open an evidence view (tasks, deployments) of the named service, or of
    /// the selected one.
    Evidence(EvidenceKind, Option<String>),
    /// Pause or resume the log tail.
    Pause,
}

impl Command {
    pub fn parse(text: &str) -> Result<Command, String> {
        let text = text.trim();
        let (word, arg) = match text.split_once(char::is_whitespace) {
            Some((w, a)) => (w, Some(a.trim()).filter(|a| !a.is_empty())),
            None => (text, None),
        };
        let no_arg = |c: Command| match arg {
            None => Ok(c),
            Some(a) => Err(format!("`{word}` takes no argument (got `{a}`)")),
        };
        match word {
            "quit" | "q" => no_arg(Command::Quit),
            "up" => no_arg(Command::Up),
            "down" => no_arg(Command::Down),
            "top" => no_arg(Command::Top),
            "bottom" => no_arg(Command::Bottom),
            "page-up" => no_arg(Command::PageUp),
            "page-down" => no_arg(Command::PageDown),
            "focus-next" => no_arg(Command::FocusNext),
            "focus-prev" => no_arg(Command::FocusPrev),
            "filter" => Ok(Command::Filter(arg.map(str::to_string))),
            "clear-filter" => no_arg(Command::ClearFilter),
            "sort" => {
                let a =
                    arg.ok_or("`sort` needs an order: trouble, name, cpu, memory, p95, cost")?;
                SortKey::parse(a)
                    .map(Command::Sort)
                    .ok_or_else(|| format!("unknown sort order `{a}`"))
            }
            "sort-next" => no_arg(Command::SortNext),
            "theme" => arg
                .map(|a| Command::Theme(a.to_string()))
                .ok_or_else(|| "`theme` needs a name, e.g. `theme light`".to_string()),
            "wall" => no_arg(Command::Wall),
            "help" => no_arg(Command::Help),
            "collapse" => no_arg(Command::Collapse),
            "group" => no_arg(Command::Group),
            "errors" => no_arg(Command::Errors),
            "timeline" => no_arg(Command::Timeline),
            "export" => no_arg(Command::Export),
            "palette" => no_arg(Command::Palette),
            "close" => no_arg(Command::Close),
            "accept" => no_arg(Command::Accept),
            "backspace" => no_arg(Command::Backspace),
            "runbooks" => no_arg(Command::Runbooks),
            "follow" => no_arg(Command::Follow),
            "answer" => {
                let a = arg.ok_or("`answer` needs a number, e.g. `answer 2`")?;
                match a.parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(Command::Answer(n)),
                    _ => Err(format!("`answer` needs a number from 1 (got `{a}`)")),
                }
            }
            "overrule" => no_arg(Command::Overrule),
            "tick" => no_arg(Command::Tick),
            "hint" => no_arg(Command::Hint),
            "back" => no_arg(Command::Back),
            "apply" => no_arg(Command::Apply),
            "skip" => no_arg(Command::Skip),
            "apply-fix" => no_arg(Command::ApplyFix),
            "revert" => no_arg(Command::Reverts),
            "close-runbook" => no_arg(Command::CloseRunbook),
            "tasks" => Ok(Command::Evidence(
                EvidenceKind::Tasks,
                arg.map(str::to_string),
            )),
            "deployments" => Ok(Command::Evidence(
                EvidenceKind::Deployments,
                arg.map(str::to_string),
            )),
            "logs" => Ok(Command::Evidence(
                EvidenceKind::Logs,
                arg.map(str::to_string),
            )),
            "pause" => no_arg(Command::Pause),
            "" => Err("empty command".into()),
            other => Err(format!("unknown command `{other}`")),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Quit => f.write_str("quit"),
            Command::Up => f.write_str("up"),
            Command::Down => f.write_str("down"),
            Command::Top => f.write_str("top"),
            Command::Bottom => f.write_str("bottom"),
            Command::PageUp => f.write_str("page-up"),
            Command::PageDown => f.write_str("page-down"),
            Command::FocusNext => f.write_str("focus-next"),
            Command::FocusPrev => f.write_str("focus-prev"),
            Command::Filter(None) => f.write_str("filter"),
            Command::Filter(Some(t)) => write!(f, "filter {t}"),
            Command::ClearFilter => f.write_str("clear-filter"),
            Command::Sort(k) => write!(f, "sort {}", k.label()),
            Command::SortNext => f.write_str("sort-next"),
            Command::Theme(t) => write!(f, "theme {t}"),
            Command::Wall => f.write_str("wall"),
            Command::Help => f.write_str("help"),
            Command::Collapse => f.write_str("collapse"),
            Command::Group => f.write_str("group"),
            Command::Errors => f.write_str("errors"),
            Command::Timeline => f.write_str("timeline"),
            Command::Export => f.write_str("export"),
            Command::Palette => f.write_str("palette"),
            Command::Close => f.write_str("close"),
            Command::Accept => f.write_str("accept"),
            Command::Backspace => f.write_str("backspace"),
            Command::Runbooks => f.write_str("runbooks"),
            Command::Follow => f.write_str("follow"),
            Command::Answer(n) => write!(f, "answer {n}"),
            Command::Overrule => f.write_str("overrule"),
            Command::Tick => f.write_str("tick"),
            Command::Hint => f.write_str("hint"),
            Command::Back => f.write_str("back"),
            Command::Apply => f.write_str("apply"),
            Command::Skip => f.write_str("skip"),
            Command::ApplyFix => f.write_str("apply-fix"),
            Command::Reverts => f.write_str("revert"),
            Command::CloseRunbook => f.write_str("close-runbook"),
            Command::Evidence(kind, None) => f.write_str(kind.label()),
            Command::Evidence(kind, Some(s)) => write!(f, "{} {s}", kind.label()),
            Command::Pause => f.write_str("pause"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for text in [
            "quit",
            "theme high-contrast",
            "sort p95",
            "filter manga",
            "filter",
            "page-down",
            "answer 2",
            "revert",
            "apply",
            "tasks",
            "deployments manga-chatbot/worker",
            "logs",
            "pause",
        ] {
            assert_eq!(Command::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn parse_errors_say_why() {
        assert!(
            Command::parse("sort sideways")
                .unwrap_err()
                .contains("sideways")
        );
        assert!(
            Command::parse("quit now")
                .unwrap_err()
                .contains("no argument")
        );
        assert!(
            Command::parse("frobnicate")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(
            Command::parse("theme")
                .unwrap_err()
                .contains("needs a name")
        );
    }
}
