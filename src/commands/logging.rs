//! Logs go to a file in the data dir, never to the screen; `SITREP_LOG` sets
//! the filter (default `info`). Started once, for every subcommand.
//!
//! The file is readable by its owner only (0600, tightened if it already
//! existed looser), and every event is scrubbed of credentials before it is
//! written (`crate::redact`), at every level up to `trace`.

use std::fs::File;
use std::path::Path;

use color_eyre::Result;
use color_eyre::eyre::eyre;

use crate::config::Paths;
use crate::redact::{Redacting, register_env_secrets};

pub fn init(paths: &Paths) -> Result<()> {
    let file = paths.log_file();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| eyre!("{}: cannot create log dir: {e}", dir.display()))?;
    }
    let log =
        open_private(&file).map_err(|e| eyre!("{}: cannot open log file: {e}", file.display()))?;
    register_env_secrets();
    let filter = tracing_subscriber::EnvFilter::try_from_env("SITREP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests run many commands in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Redacting::new(log))
        .try_init();
    Ok(())
}

/// Open `file` for appending, created with mode 0600; an existing file that
/// others could read is narrowed to 0600 first.
pub fn open_private(file: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let log = options.open(file)?;
        if log.metadata()?.permissions().mode() & 0o077 != 0 {
            log.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(log)
    }
    #[cfg(not(unix))]
    options.open(file)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(file: &Path) -> u32 {
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_log_is_created_private_and_an_open_one_is_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.log");
        open_private(&new).unwrap();
        assert_eq!(mode(&new), 0o600);
        let old = dir.path().join("old.log");
        std::fs::write(&old, "kept\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_private(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "kept\n");
    }
}
