//! Themes as data: semantic colour roles in TOML, with an optional parent.
//!
//! The shipped themes are embedded; `<config dir>/themes/NAME.toml` adds a
//! theme or overrides a shipped one (a file may name its own shipped namesake
//! as parent to change a few roles only).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use crate::config::toml_error;
use crate::position::line_col;

/// Embedded themes: (name, text).
pub const SHIPPED: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    (
        "colour-blind-safe",
        include_str!("../../themes/colour-blind-safe.toml"),
    ),
];

/// A resolved theme: every role has a colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub fg: Color,
    pub bg: Color,
    pub muted: Color,
    pub accent: Color,
    pub ok: Color,
    pub warn: Color,
    pub alert: Color,
    pub spot: Color,
    pub on_demand: Color,
    pub border: Color,
    pub focus: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    pub header_fg: Color,
    pub header_bg: Color,
    pub badge_fg: Color,
    pub badge_bg: Color,
}

/// A theme file as written: every role optional, unknown roles refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    parent: Option<String>,
    fg: Option<Spanned<String>>,
    bg: Option<Spanned<String>>,
    muted: Option<Spanned<String>>,
    accent: Option<Spanned<String>>,
    ok: Option<Spanned<String>>,
    warn: Option<Spanned<String>>,
    alert: Option<Spanned<String>>,
    spot: Option<Spanned<String>>,
    on_demand: Option<Spanned<String>>,
    border: Option<Spanned<String>>,
    focus: Option<Spanned<String>>,
    selection_fg: Option<Spanned<String>>,
    selection_bg: Option<Spanned<String>>,
    header_fg: Option<Spanned<String>>,
    header_bg: Option<Spanned<String>>,
    badge_fg: Option<Spanned<String>>,
    badge_bg: Option<Spanned<String>>,
}

/// Where a theme's text came from, for error messages.
struct Source {
    file: PathBuf,
    text: String,
}

impl Theme {
    /// The default theme, from the embedded `dark.toml`.
    pub fn dark() -> Theme {
        Theme::load("dark", None).expect("the embedded dark theme is complete and valid")
    }

    /// Resolve `name`: a user file in `config_dir/themes/` first, then the shipped ones.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, String> {
        let mut chain = Vec::new();
        let mut seen = BTreeSet::new();
        let mut next = Some((name.to_string(), false));
        while let Some((current, shipped_only)) = next.take() {
            if !seen.insert((current.clone(), shipped_only)) {
                return Err(format!("theme `{name}`: parent chain loops at `{current}`"));
            }
            let src = find(&current, config_dir, shipped_only)?;
            let file: ThemeFile =
                toml::from_str(&src.text).map_err(|e| toml_error(&src.file, &src.text, &e))?;
            // A user file whose parent is its own name inherits the shipped theme.
            next = file
                .parent
                .clone()
                .map(|p| (p.clone(), shipped_only || p == current));
            chain.push((src, file));
        }
        resolve(name, &chain)
    }

    /// Names a user can pick: shipped themes plus files in `config_dir/themes/`.
    pub fn available(config_dir: Option<&Path>) -> Vec<String> {
        let mut names: BTreeSet<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
        if let Some(dir) = config_dir
            && let Ok(entries) = std::fs::read_dir(dir.join("themes"))
        {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml")
                    && let Some(stem) = p.file_stem()
                {
                    names.insert(stem.to_string_lossy().into_owned());
                }
            }
        }
        names.into_iter().collect()
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.fg).bg(self.bg)
    }

    pub fn style(&self, c: Color) -> Style {
        Style::default().fg(c)
    }

    pub fn bold(&self, c: Color) -> Style {
        Style::default().fg(c).add_modifier(Modifier::BOLD)
    }

    pub fn selection(&self) -> Style {
        Style::default()
            .fg(self.selection_fg)
            .bg(self.selection_bg)
            .add_modifier(Modifier::BOLD)
    }

    /// Colour for a utilisation percentage: ok below `warn`, warn below `alert`, then alert.
    pub fn level(&self, pct: f64, warn: f64, alert: f64) -> Color {
        if pct >= alert {
            self.alert
        } else if pct >= warn {
            self.warn
        } else {
            self.ok
        }
    }
}

fn find(name: &str, config_dir: Option<&Path>, shipped_only: bool) -> Result<Source, String> {
    if !shipped_only && let Some(dir) = config_dir {
        let file = dir.join("themes").join(format!("{name}.toml"));
        if file.exists() {
            let text = crate::userfile::read(&file, "theme")?;
            return Ok(Source { file, text });
        }
    }
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| Source {
            file: PathBuf::from(format!("themes/{n}.toml")),
            text: text.to_string(),
        })
        .ok_or_else(|| {
            let known: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown theme `{name}` (shipped: {}; or add <config dir>/themes/{name}.toml)",
                known.join(", ")
            )
        })
}

type Pick = fn(&ThemeFile) -> &Option<Spanned<String>>;

/// Every role a theme must set (itself or through a parent).
const ROLES: [(&str, Pick); 17] = [
    ("fg", |f| &f.fg),
    ("bg", |f| &f.bg),
    ("muted", |f| &f.muted),
    ("accent", |f| &f.accent),
    ("ok", |f| &f.ok),
    ("warn", |f| &f.warn),
    ("alert", |f| &f.alert),
    ("spot", |f| &f.spot),
    ("on_demand", |f| &f.on_demand),
    ("border", |f| &f.border),
    ("focus", |f| &f.focus),
    ("selection_fg", |f| &f.selection_fg),
    ("selection_bg", |f| &f.selection_bg),
    ("header_fg", |f| &f.header_fg),
    ("header_bg", |f| &f.header_bg),
    ("badge_fg", |f| &f.badge_fg),
    ("badge_bg", |f| &f.badge_bg),
];

/// Fold the chain (child first) into a theme; the nearest file that sets a role wins.
fn resolve(name: &str, chain: &[(Source, ThemeFile)]) -> Result<Theme, String> {
    let role = |pick: fn(&ThemeFile) -> &Option<Spanned<String>>, role: &str| {
        for (src, file) in chain {
            if let Some(v) = pick(file) {
                return Color::from_str(v.get_ref()).map_err(|_| {
                    let (line, col) = line_col(&src.text, v.span().start);
                    format!(
                        "{}:{line}:{col}: field `{role}`: `{}` is not a colour (use a name like `red`, `#rrggbb` or 0-255)",
                        src.file.display(),
                        v.get_ref()
                    )
                });
            }
        }
        Err(format!(
            "theme `{name}`: role `{role}` is not set by it or any parent"
        ))
    };
    let missing: Vec<&str> = ROLES
        .iter()
        .filter(|(_, pick)| chain.iter().all(|(_, file)| pick(file).is_none()))
        .map(|(role, _)| *role)
        .collect();
    if !missing.is_empty() {
        let file = chain.first().map_or_else(
            || format!("themes/{name}.toml"),
            |(src, _)| src.file.display().to_string(),
        );
        return Err(format!(
            "{file}: theme `{name}` leaves {} unset: {} (set them, or add `parent = \"dark\"` to inherit the rest)",
            if missing.len() == 1 {
                "a role"
            } else {
                "roles"
            },
            missing.join(", ")
        ));
    }
    Ok(Theme {
        name: name.to_string(),
        fg: role(|f| &f.fg, "fg")?,
        bg: role(|f| &f.bg, "bg")?,
        muted: role(|f| &f.muted, "muted")?,
        accent: role(|f| &f.accent, "accent")?,
        ok: role(|f| &f.ok, "ok")?,
        warn: role(|f| &f.warn, "warn")?,
        alert: role(|f| &f.alert, "alert")?,
        spot: role(|f| &f.spot, "spot")?,
        on_demand: role(|f| &f.on_demand, "on_demand")?,
        border: role(|f| &f.border, "border")?,
        focus: role(|f| &f.focus, "focus")?,
        selection_fg: role(|f| &f.selection_fg, "selection_fg")?,
        selection_bg: role(|f| &f.selection_bg, "selection_bg")?,
        header_fg: role(|f| &f.header_fg, "header_fg")?,
        header_bg: role(|f| &f.header_bg, "header_bg")?,
        badge_fg: role(|f| &f.badge_fg, "badge_fg")?,
        badge_bg: role(|f| &f.badge_bg, "badge_bg")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_loads() {
        for (name, _) in SHIPPED {
            let t = Theme::load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn child_inherits_unset_roles() {
        let cb = Theme::load("colour-blind-safe", None).unwrap();
        let dark = Theme::dark();
        assert_eq!(cb.bg, dark.bg);
        assert_ne!(cb.alert, dark.alert);
    }

    #[test]
    fn bad_colour_names_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/mine.toml"),
            "parent = \"dark\"\nok = \"green\"\nalert = \"reddish\"\n",
        )
        .unwrap();
        let err = Theme::load("mine", Some(dir.path())).unwrap_err();
        assert!(err.contains("mine.toml:3:9:"), "{err}");
        assert!(err.contains("field `alert`"), "{err}");
    }

    #[test]
    fn unknown_role_names_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/mine.toml"), "\nalarm = \"red\"\n").unwrap();
        let err = Theme::load("mine", Some(dir.path())).unwrap_err();
        assert!(err.contains("mine.toml:2:1:"), "{err}");
        assert!(err.contains("`alarm`"), "{err}");
    }

    #[test]
    fn user_file_overrides_shipped_namesake() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/dark.toml"),
            "parent = \"dark\"\nalert = \"#ff0000\"\n",
        )
        .unwrap();
        let t = Theme::load("dark", Some(dir.path())).unwrap();
        assert_eq!(t.alert, Color::Rgb(255, 0, 0));
        assert_eq!(t.bg, Theme::dark().bg);
        assert!(Theme::available(Some(dir.path())).contains(&"dark".to_string()));
    }

    #[test]
    fn incomplete_root_and_loops_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/a.toml"), "parent = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("themes/b.toml"), "parent = \"a\"\n").unwrap();
        std::fs::write(dir.path().join("themes/bare.toml"), "ok = \"green\"\n").unwrap();
        assert!(
            Theme::load("a", Some(dir.path()))
                .unwrap_err()
                .contains("loops")
        );
        let err = Theme::load("bare", Some(dir.path())).unwrap_err();
        assert!(
            err.contains(
                "themes/bare.toml: theme `bare` leaves roles unset: fg, bg, muted, accent, warn,"
            ),
            "{err}"
        );
        assert!(
            Theme::load("nope", None)
                .unwrap_err()
                .contains("unknown theme")
        );
    }
}
