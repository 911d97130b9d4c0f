//! Keys as data: per-layer bindings from an embedded TOML, overlaid by
//! `<config dir>/keymap.toml`. Help, hints and the palette are all generated
//! from these entries, so they cannot drift from what the keys do.

use std::fmt;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

use super::command::Command;
use crate::config::toml_error;
use crate::position::line_col;

pub const DEFAULT: &str = include_str!("keymap.toml");

/// Which layer receives keys; derived from what is open (see `App::layer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Cockpit,
    Help,
    Palette,
    Filter,
    /// The runbook list (and the revert picker).
    Runbooks,
    /// The open runbook's pane.
    Runbook,
    /// A confirmation popup: typed keys go to the prompt.
    Confirm,
    /// A service's tasks or deployments, in place of the fleet panes.
    Evidence,
    /// `:errors`: each part's current problem.
    Errors,
    /// `:timeline`: what the fleet and the operator did this session.
    Timeline,
}

impl Layer {
    pub fn label(self) -> &'static str {
        match self {
            Layer::Cockpit => "cockpit",
            Layer::Help => "help",
            Layer::Palette => "palette",
            Layer::Filter => "filter",
            Layer::Runbooks => "runbooks",
            Layer::Runbook => "runbook",
            Layer::Confirm => "confirm",
            Layer::Evidence => "evidence",
            Layer::Errors => "errors",
            Layer::Timeline => "timeline",
        }
    }

    /// Layers where unbound printable keys are typed into an input line.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Layer::Help | Layer::Palette | Layer::Filter | Layer::Confirm
        )
    }

    /// Every layer, in the order help lists them.
    pub const ALL: [Layer; 10] = [
        Layer::Cockpit,
        Layer::Evidence,
        Layer::Runbooks,
        Layer::Runbook,
        Layer::Confirm,
        Layer::Filter,
        Layer::Palette,
        Layer::Errors,
        Layer::Timeline,
        Layer::Help,
    ];
}

/// A key with its modifiers, normalised so `G` and `shift-g` are the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            // Shift is already in the character; BackTab is shift-tab.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            c => c,
        };
        if ev.modifiers.contains(KeyModifiers::SHIFT) && code == KeyCode::Tab {
            mods -= KeyModifiers::SHIFT;
            return Key {
                code: KeyCode::BackTab,
                mods,
            };
        }
        Key { code, mods }
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "tab" => KeyCode::Tab,
            "backtab" | "shift-tab" => KeyCode::BackTab,
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            one if one.chars().count() == 1 => KeyCode::Char(one.chars().next().unwrap_or(' ')),
            _ => return Err(format!("unknown key `{s}`")),
        };
        Ok(Key { code, mods })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Backspace => f.write_str("bksp"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub command: Command,
    pub desc: String,
}

impl Binding {
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Keymap {
    pub cockpit: Vec<Binding>,
    pub help: Vec<Binding>,
    pub palette: Vec<Binding>,
    pub filter: Vec<Binding>,
    pub runbooks: Vec<Binding>,
    pub runbook: Vec<Binding>,
    pub confirm: Vec<Binding>,
    pub evidence: Vec<Binding>,
    pub errors: Vec<Binding>,
    pub timeline: Vec<Binding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: Spanned<Vec<String>>,
    run: Spanned<String>,
    #[serde(default)]
    desc: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawKeymap {
    cockpit: Vec<RawBinding>,
    help: Vec<RawBinding>,
    palette: Vec<RawBinding>,
    filter: Vec<RawBinding>,
    runbooks: Vec<RawBinding>,
    runbook: Vec<RawBinding>,
    confirm: Vec<RawBinding>,
    evidence: Vec<RawBinding>,
    errors: Vec<RawBinding>,
    timeline: Vec<RawBinding>,
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_map() -> Keymap {
        parse(Path::new("src/ui/keymap.toml"), DEFAULT)
            .expect("the embedded keymap is valid (tested)")
    }

    /// Defaults overlaid by `config_dir/keymap.toml` when it exists.
    pub fn load(config_dir: &Path) -> Result<Keymap, String> {
        let mut map = Keymap::default_map();
        let file: PathBuf = config_dir.join("keymap.toml");
        if file.exists() {
            let text = crate::userfile::read(&file, "keymap")?;
            map.overlay(parse(&file, &text)?);
        }
        Ok(map)
    }

    pub fn layer(&self, layer: Layer) -> &[Binding] {
        match layer {
            Layer::Cockpit => &self.cockpit,
            Layer::Help => &self.help,
            Layer::Palette => &self.palette,
            Layer::Filter => &self.filter,
            Layer::Runbooks => &self.runbooks,
            Layer::Runbook => &self.runbook,
            Layer::Confirm => &self.confirm,
            Layer::Evidence => &self.evidence,
            Layer::Errors => &self.errors,
            Layer::Timeline => &self.timeline,
        }
    }

    /// The command bound to `key` in `layer`, if any.
    pub fn resolve(&self, layer: Layer, key: Key) -> Option<&Command> {
        self.layer(layer)
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| &b.command)
    }

    /// A user binding takes its keys away from the defaults that had them.
    fn overlay(&mut self, user: Keymap) {
        fn merge(base: &mut Vec<Binding>, user: Vec<Binding>) {
            for b in &user {
                for existing in base.iter_mut() {
                    existing.keys.retain(|k| !b.keys.contains(k));
                }
            }
            base.retain(|b| !b.keys.is_empty());
            base.extend(user);
        }
        merge(&mut self.cockpit, user.cockpit);
        merge(&mut self.help, user.help);
        merge(&mut self.palette, user.palette);
        merge(&mut self.filter, user.filter);
        merge(&mut self.runbooks, user.runbooks);
        merge(&mut self.runbook, user.runbook);
        merge(&mut self.confirm, user.confirm);
        merge(&mut self.evidence, user.evidence);
        merge(&mut self.errors, user.errors);
        merge(&mut self.timeline, user.timeline);
    }
}

fn parse(file: &Path, text: &str) -> Result<Keymap, String> {
    let raw: RawKeymap = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
    let at = |span: std::ops::Range<usize>, field: &str, msg: String| {
        let (line, col) = line_col(text, span.start);
        format!("{}:{line}:{col}: field `{field}`: {msg}", file.display())
    };
    let layer = |bindings: Vec<RawBinding>| -> Result<Vec<Binding>, String> {
        bindings
            .into_iter()
            .map(|b| {
                let keys =
                    b.on.get_ref()
                        .iter()
                        .map(|k| Key::parse(k))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| at(b.on.span(), "on", e))?;
                if keys.is_empty() {
                    return Err(at(b.on.span(), "on", "no keys".into()));
                }
                let command =
                    Command::parse(b.run.get_ref()).map_err(|e| at(b.run.span(), "run", e))?;
                Ok(Binding {
                    keys,
                    command,
                    desc: b.desc,
                })
            })
            .collect()
    };
    Ok(Keymap {
        cockpit: layer(raw.cockpit)?,
        help: layer(raw.help)?,
        palette: layer(raw.palette)?,
        filter: layer(raw.filter)?,
        runbooks: layer(raw.runbooks)?,
        runbook: layer(raw.runbook)?,
        confirm: layer(raw.confirm)?,
        evidence: layer(raw.evidence)?,
        errors: layer(raw.errors)?,
        timeline: layer(raw.timeline)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn default_keymap_loads_and_resolves() {
        let map = Keymap::default_map();
        assert_eq!(map.resolve(Layer::Cockpit, key("q")), Some(&Command::Quit));
        assert_eq!(map.resolve(Layer::Cockpit, key("j")), Some(&Command::Down));
        assert_eq!(
            map.resolve(Layer::Cockpit, key("down")),
            Some(&Command::Down)
        );
        assert_eq!(map.resolve(Layer::Help, key("esc")), Some(&Command::Close));
        assert_eq!(map.resolve(Layer::Palette, key("q")), None);
    }

    #[test]
    fn no_write_can_hide_on_lowercase_navigation() {
        // Every cockpit binding on a bare lowercase letter is navigation or view only.
        let map = Keymap::default_map();
        let writes = |c: &Command| {
            matches!(
                c,
                Command::Accept
                    | Command::Apply
                    | Command::ApplyFix
                    | Command::Skip
                    | Command::Reverts
            )
        };
        for b in map.cockpit.iter().chain(&map.runbooks).chain(&map.runbook) {
            for k in &b.keys {
                if let KeyCode::Char(c) = k.code
                    && k.mods.is_empty()
                    && c.is_ascii_lowercase()
                {
                    assert!(!writes(&b.command), "{k} runs {}", b.command);
                }
            }
        }
    }

    #[test]
    fn shifted_letters_and_backtab_normalise() {
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), key("G"));
        let ev = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), key("backtab"));
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), key("ctrl-c"));
    }

    #[test]
    fn user_overlay_takes_keys_from_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("keymap.toml"),
            "[[cockpit]]\non = [\"x\", \"q\"]\nrun = \"theme light\"\ndesc = \"Daylight\"\n",
        )
        .unwrap();
        let map = Keymap::load(dir.path()).unwrap();
        assert_eq!(
            map.resolve(Layer::Cockpit, key("q")),
            Some(&Command::Theme("light".into()))
        );
        // ctrl-c still quits.
        assert_eq!(
            map.resolve(Layer::Cockpit, key("ctrl-c")),
            Some(&Command::Quit)
        );
    }

    #[test]
    fn bad_keymap_names_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keymap.toml");
        std::fs::write(&file, "[[cockpit]]\non = [\"j\"]\nrun = \"jump\"\n").unwrap();
        let err = Keymap::load(dir.path()).unwrap_err();
        assert!(err.contains("keymap.toml:3:7:"), "{err}");
        assert!(err.contains("field `run`"), "{err}");
        std::fs::write(&file, "[[cockpit]]\non = [\"hyper-j\"]\nrun = \"up\"\n").unwrap();
        let err = Keymap::load(dir.path()).unwrap_err();
        assert!(err.contains("keymap.toml:2:6:"), "{err}");
        assert!(err.contains("hyper-j"), "{err}");
    }
}
