//! Append-only JSON Lines files: one record per line, each append fsync'd.
//!
//! Used by the audit log, the override ledger and the fleet journal. A crash mid-write can leave a
//! torn last line: the next append starts on a fresh line, so the fragment
//! stays on a line of its own and never swallows the record after it. Reading
//! goes line by line over bytes: a line that is not UTF-8 or not a record is
//! reported as `path:line: what` and every other line is still read.

use std::fs::{self, OpenOptions};
use std::io::{self, Read as _, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Append one record as a line and `sync_all` before returning, so that a
/// record reported written survives a crash or power loss. If the file does
/// not end with a newline (a torn write), the record starts with one. A new
/// file is created readable and writable by its owner only.
pub fn append<T: Serialize>(path: &Path, record: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(record).map_err(io::Error::other)?;
    line.push(b'\n');
    write_synced(path, line).map(|_| ())
}

/// Write `lines` (complete, newline-terminated) at the end of the file in one
/// call, after a newline if the file ends in a torn line, then `sync_all`.
fn write_synced(path: &Path, lines: Vec<u8>) -> io::Result<u64> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir {
        fs::create_dir_all(dir)?;
    }
    let created = !path.exists();
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let mut out = Vec::with_capacity(lines.len() + 1);
    if !ends_with_newline(&mut file)? {
        out.push(b'\n');
    }
    out.extend_from_slice(&lines);
    // One write call per append: O_APPEND keeps concurrent appenders from interleaving.
    file.write_all(&out)?;
    file.sync_all()?;
    if created && let Some(dir) = dir {
        // A new file's directory entry must be durable too. Directories cannot be
        // opened for syncing on every platform; the record itself is already synced.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(out.len() as u64)
}

/// Append several records with one write call and one `sync_all`: the
/// journal writes what one snapshot brought at once. A process killed
/// mid-call leaves at most a torn last line (the next append starts afresh).
/// Returns the bytes written.
pub fn append_all<T: Serialize>(path: &Path, records: &[T]) -> io::Result<u64> {
    if records.is_empty() {
        return Ok(0);
    }
    let mut bytes = Vec::new();
    for record in records {
        serde_json::to_writer(&mut bytes, record).map_err(io::Error::other)?;
        bytes.push(b'\n');
    }
    write_synced(path, bytes)
}

/// True for an empty file or one whose last byte is `\n`.
fn ends_with_newline(file: &mut fs::File) -> io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// What a JSONL file held: the records that parsed, and what did not.
#[derive(Debug)]
pub struct Read<T> {
    pub records: Vec<T>,
    /// `path:line: what is wrong`, for lines that did not parse.
    pub problems: Vec<String>,
}

/// Read every record, line by line. A missing file is empty. A line that is
/// not UTF-8 or does not parse is reported and skipped; a last line without
/// its newline that does not parse is reported as a torn write.
pub fn read<T: DeserializeOwned>(path: &Path) -> io::Result<Read<T>> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    let complete = bytes.last().is_none_or(|b| *b == b'\n');
    let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let lines: Vec<&[u8]> = if body.is_empty() {
        Vec::new()
    } else {
        body.split(|b| *b == b'\n').collect()
    };
    let mut out = Read {
        records: Vec::with_capacity(lines.len()),
        problems: Vec::new(),
    };
    let at = |i: usize| format!("{}:{}", path.display(), i + 1);
    for (i, raw) in lines.iter().enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = match std::str::from_utf8(raw) {
            Ok(line) => line,
            Err(e) => {
                out.problems.push(format!(
                    "{}: not UTF-8 (invalid byte at column {}), line skipped",
                    at(i),
                    e.valid_up_to() + 1
                ));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => out.records.push(record),
            Err(e) if i + 1 == lines.len() && !complete => out.problems.push(format!(
                "{}: torn last line ({} bytes, an interrupted write) ignored: {e}",
                at(i),
                line.len()
            )),
            Err(e) => out
                .problems
                .push(format!("{}: not a record ({e}), line skipped", at(i))),
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
    fn the_append_after_a_torn_line_starts_a_fresh_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append(&path, &serde_json::json!({"n": 1})).unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(br#"{"n": 2, "torn"#)
            .unwrap();
        append(&path, &serde_json::json!({"n": 3})).unwrap();
        let read: Read<serde_json::Value> = read(&path).unwrap();
        let ns: Vec<i64> = read
            .records
            .iter()
            .map(|r| r["n"].as_i64().unwrap())
            .collect();
        assert_eq!(ns, [1, 3]);
        assert_eq!(read.problems.len(), 1, "{:?}", read.problems);
        assert!(
            read.problems[0].contains("log.jsonl:2: not a record"),
            "{:?}",
            read.problems
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap().lines().count(),
            3,
            "the fragment keeps a line of its own"
        );
    }

    #[test]
    fn invalid_utf8_costs_only_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        let mut bytes = b"{\"n\":1}\n{\"n\":\"".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\"}\r\n{\"n\":3}\r\n");
        fs::write(&path, bytes).unwrap();
        let read: Read<serde_json::Value> = read(&path).unwrap();
        assert_eq!(read.records.len(), 2, "{:?}", read.problems);
        assert_eq!(
            read.problems,
            [format!(
                "{}:2: not UTF-8 (invalid byte at column 7), line skipped",
                path.display()
            )]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.jsonl");
        append(&path, &serde_json::json!({"n": 1})).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn missing_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let read: Read<serde_json::Value> = read(&dir.path().join("none.jsonl")).unwrap();
        assert!(read.records.is_empty() && read.problems.is_empty());
    }
}
