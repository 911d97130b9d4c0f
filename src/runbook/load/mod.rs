//! Loading and validating runbook files. Every problem found is reported at
//! once, each with file, line and column; a bad file never panics.

mod build;
mod source;

use std::path::Path;

use build::Builder;
use source::Source;

use super::model::Runbook;
use super::raw::RawRunbook;

/// One problem in a runbook file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// Stack for loading: cel's parser recurses deeply (more so in debug builds).
const LOAD_STACK: usize = 64 << 20;

/// Load and validate one runbook from text. `file` names it in problems.
pub fn load_str(file: &str, text: &str) -> Result<Runbook, Vec<Problem>> {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("runbook-load".into())
            .stack_size(LOAD_STACK)
            .spawn_scoped(scope, || load_here(file, text));
        match spawned {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(vec![Problem {
                    file: file.to_string(),
                    line: 1,
                    col: 1,
                    message: "internal error while loading this file".into(),
                }])
            }),
            Err(_) => load_here(file, text),
        }
    })
}

fn load_here(file: &str, text: &str) -> Result<Runbook, Vec<Problem>> {
    let src = Source::new(file, text);
    let raw: RawRunbook = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return Err(vec![src.problem(at, e.message().trim_end().to_string())]);
        }
    };
    let mut b = Builder::new(src, &raw);
    let runbook = b.build(&raw);
    let mut problems = b.problems;
    if problems.is_empty()
        && let Some(runbook) = runbook
    {
        return Ok(runbook);
    }
    problems.sort();
    problems.dedup();
    Err(problems)
}

/// All problems of a runbook text; empty when it is valid.
pub fn validate(file: &str, text: &str) -> Vec<Problem> {
    load_str(file, text).err().unwrap_or_default()
}

pub fn load_file(path: &Path) -> Result<Runbook, Vec<Problem>> {
    let file = path.display().to_string();
    match crate::userfile::read(path, "runbook") {
        Ok(text) => load_str(&file, &text),
        Err(e) => {
            let (line, col) = e.at.unwrap_or((1, 1));
            Err(vec![Problem {
                file,
                line,
                col,
                message: e.message,
            }])
        }
    }
}
