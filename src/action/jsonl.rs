//! Append-only JSON Lines files: one record per line, each append fsync'd.
//!
//! Used by the audit log and the override ledger. A crash mid-write can leave a
//! torn last line; reading reports it and carries on rather than failing.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Append one record as a line and `sync_all` before returning, so that a
/// record reported written survives a crash or power loss.
pub fn append<T: Serialize>(path: &Path, record: &T) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
    line.push(b'\n');
    let created = !path.exists();
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    // One write call per record: O_APPEND keeps concurrent appenders from interleaving.
    file.write_all(&line)?;
    file.sync_all()?;
    if created && let Some(dir) = dir {
        // A new file's directory entry must be durable too. Directories cannot be
        // opened for syncing on every platform; the record itself is already synced.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// What a JSONL file held: the records that parsed, and what did not.
#[derive(Debug)]
pub struct Read<T> {
    pub records: Vec<T>,
    /// `path:line: what is wrong`, for lines that did not parse.
    pub problems: Vec<String>,
}

/// Read every record. A missing file is empty. A last line without its newline
/// that does not parse is a torn write and is reported as such.
pub fn read<T: DeserializeOwned>(path: &Path) -> io::Result<Read<T>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Read {
        records: Vec::with_capacity(lines.len()),
        problems: Vec::new(),
    };
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => out.records.push(record),
            Err(e) if i + 1 == lines.len() && !complete => out.problems.push(format!(
                "{}:{}: torn last line ({} bytes, an interrupted write) ignored: {e}",
                path.display(),
                i + 1,
                line.len()
            )),
            Err(e) => out
                .problems
                .push(format!("{}:{}: {e}", path.display(), i + 1)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_creates_dirs_and_reports_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/log.jsonl");
        append(&path, &serde_json::json!({"n": 1})).unwrap();
        append(&path, &serde_json::json!({"n": 2})).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"n": 3"#).unwrap();
        let read: Read<serde_json::Value> = read(&path).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.problems.len(), 1);
        assert!(
            read.problems[0].contains(":3: torn last line"),
            "{:?}",
            read.problems
        );
    }

    #[test]
    fn a_bad_middle_line_names_its_line_and_the_rest_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        fs::write(&path, "{\"n\":1}\nnot json\n{\"n\":3}\n").unwrap();
        let read: Read<serde_json::Value> = read(&path).unwrap();
        assert_eq!(read.records.len(), 2);
        assert!(
            read.problems[0].contains("log.jsonl:2:"),
            "{:?}",
            read.problems
        );
        assert!(!read.problems[0].contains("torn"));
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let read: Read<serde_json::Value> = read(&dir.path().join("none.jsonl")).unwrap();
        assert!(read.records.is_empty() && read.problems.is_empty());
    }
}
