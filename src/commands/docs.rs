//! `sitrep completions SHELL` and `sitrep man`: both from the clap definition,
//! so they cannot drift from the flags each command takes.

use std::io::Write;

use clap_mangen::Man;

use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::definition(), "sitrep", out);
}

/// One self-contained page: the cockpit's synopsis and options, then a
/// COMMANDS section with each command's synopsis and its own options.
pub fn man_page(out: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::definition().disable_help_subcommand(true);
    cmd.build();
    let top = Man::new(cmd.clone());
    top.render_title(out)?;
    top.render_name_section(out)?;
    top.render_synopsis_section(out)?;
    top.render_description_section(out)?;
    top.render_options_section(out)?;
    writeln!(out, ".SH COMMANDS")?;
    let mut leaves = Vec::new();
    leaf_commands(&cmd, &mut leaves);
    for sub in leaves {
        let name = sub.get_bin_name().unwrap_or(sub.get_name()).to_string();
        writeln!(out, ".SS \"{}\"", name.replace('"', ""))?;
        let man = Man::new(sub.clone());
        // The command's own sections, as sub-parts of this one.
        let mut body = Vec::new();
        man.render_description_section(&mut body)?;
        man.render_synopsis_section(&mut body)?;
        man.render_options_section(&mut body)?;
        for line in String::from_utf8_lossy(&body).lines() {
            if !line.starts_with(".SH ") {
                writeln!(out, "{line}")?;
            } else if line.starts_with(".SH SYNOPSIS") || line.starts_with(".SH OPTIONS") {
                writeln!(out, ".PP")?;
            }
        }
    }
    top.render_version_section(out)
}

/// The commands that run something (not the groups such as `runbook`), in order.
fn leaf_commands<'a>(cmd: &'a clap::Command, into: &mut Vec<&'a clap::Command>) {
    for sub in cmd.get_subcommands() {
        if sub.has_subcommands() {
            leaf_commands(sub, into);
        } else {
            into.push(sub);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_every_command_and_its_own_flags() {
        let mut page = Vec::new();
        man_page(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH sitrep 1"),
            "{page}"
        );
        for command in [
            "sitrep drill",
            "sitrep runbook check",
            "sitrep runbook run",
            "sitrep snapshot",
            "sitrep config paths",
            "sitrep completions",
            "sitrep man",
        ] {
            assert!(page.contains(&format!(".SS \"{command}\"")), "{command}");
        }
        let audit = &page[page.find(".SS \"sitrep audit\"").unwrap()..];
        let audit = &audit[..audit[1..].find(".SS").unwrap()];
        assert!(audit.contains("\\-\\-json"), "{audit}");
        assert!(!audit.contains("\\-\\-aws"), "{audit}");
        assert!(
            !page.contains("sitrep\\-drill(1)"),
            "no pages that do not exist"
        );
    }
}
