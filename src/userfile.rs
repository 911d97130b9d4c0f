//! Reading a file the user gave sitrep (config, theme, keymap, scenario,
//! runbook, baseline): only a regular file, of a bounded size, as UTF-8 text.
//! A FIFO, a directory or a device in its place is refused before it is
//! opened, so that reading it never blocks or runs without end.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest user file sitrep reads. The biggest shipped file is a few KB.
pub const MAX_BYTES: u64 = 8 << 20;

/// Why a user file could not be read. Displays as `path: message`, or
/// `path:line:col: message` when the problem has a place in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFileError {
    pub path: PathBuf,
    /// 1-based line and column (characters), when known.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl std::fmt::Display for UserFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at {
            Some((line, col)) => {
                write!(f, "{}:{line}:{col}: {}", self.path.display(), self.message)
            }
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for UserFileError {}

impl From<UserFileError> for String {
    fn from(e: UserFileError) -> String {
        e.to_string()
    }
}

/// The text of `path`, or why it cannot be read as `what` (e.g. "scenario").
pub fn read(path: &Path, what: &str) -> Result<String, UserFileError> {
    read_bounded(path, what, MAX_BYTES)
}

fn read_bounded(path: &Path, what: &str, max: u64) -> Result<String, UserFileError> {
    let fail = |message: String| UserFileError {
        path: path.to_path_buf(),
        at: None,
        message,
    };
    let cannot = |e: std::io::Error| fail(format!("cannot read {what}: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    check_kind(&meta, what).map_err(fail)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    // The path may have been swapped since: check what was opened, too.
    check_kind(&file.metadata().map_err(cannot)?, what).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(fail(format!(
            "{what} is larger than {} MiB; is this the right file?",
            max >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let before = std::str::from_utf8(&e.as_bytes()[..valid]).unwrap_or_default();
        UserFileError {
            at: Some(crate::position::line_col(before, valid)),
            ..fail(format!("{what} is not UTF-8 text (invalid byte here)"))
        }
    })
}

fn check_kind(meta: &std::fs::Metadata, what: &str) -> Result<(), String> {
    if meta.is_file() {
        return Ok(());
    }
    Err(format!(
        "{what} must be a regular file, and this is {}",
        kind_of(meta)
    ))
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "x = 1\n").unwrap();
        assert_eq!(read(&file, "config").unwrap(), "x = 1\n");
    }

    #[test]
    fn refuses_a_directory_and_a_missing_file_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), "theme").unwrap_err().to_string();
        assert!(err.starts_with(&dir.path().display().to_string()), "{err}");
        assert!(err.contains("theme must be a regular file, and this is a directory"));
        let err = read(&dir.path().join("nope.toml"), "keymap")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope.toml: cannot read keymap"), "{err}");
    }

    #[test]
    fn bounds_the_size() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big.toml");
        std::fs::write(&file, vec![b'#'; 4096]).unwrap();
        let err = read_bounded(&file, "scenario", 1024)
            .unwrap_err()
            .to_string();
        assert!(err.contains("scenario is larger than"), "{err}");
        assert!(read_bounded(&file, "scenario", 4096).is_ok());
    }

    #[test]
    fn invalid_utf8_names_its_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, b"a = 1\nb = \"\xff\"\n").unwrap();
        let err = read(&file, "runbook").unwrap_err().to_string();
        assert!(err.contains("bad.toml:2:6: runbook is not UTF-8"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("config.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();
        let err = read(&fifo, "config").unwrap_err().to_string();
        assert!(err.contains("a FIFO"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
