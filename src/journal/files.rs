//! The journal's files: one directory per recorded fleet, one file per UTC
//! day of data time (`2026-11-18.jsonl`, then `2026-11-18.2.jsonl` once a
//! day's file is full), rotated by age and total size.
//!
//! Durability: what one snapshot brings is written with one `write` call and
//! one `fsync` (`jsonl::append_all`). A `kill -9` loses nothing written; a
//! power loss loses at most the last snapshot's lines. One process records a
//! fleet at a time: the directory's `.lock` is held while recording.

use std::fs::{self, File};
use std::io::{self, Read as _, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::entry::{Entry, SCHEMA_VERSION};
use crate::jsonl;

/// How much journal to keep.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    /// Days of data time kept before the newest; older day files are deleted.
    pub keep_days: u32,
    /// The journal directory's total size; the oldest files go first.
    pub max_mb: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            keep_days: 30,
            max_mb: 2048,
        }
    }
}

impl Retention {
    /// A day's file rolls over at a 32nd of the total, at least 1 MiB.
    fn file_cap(&self) -> u64 {
        (self.max_mb * 1024 * 1024 / 32).max(1024 * 1024)
    }
}

/// A journal directory opened for recording.
#[derive(Debug)]
pub struct JournalDir {
    dir: PathBuf,
    retention: Retention,
    /// Held while this process records: a second recorder would double every line.
    _lock: File,
    current: Option<DayFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct DayFile {
    day: NaiveDate,
    part: u32,
    path: PathBuf,
}

/// Why recording could not start.
#[derive(Debug)]
pub enum OpenError {
    /// Another sitrep records this fleet already (a wall display, another cockpit).
    Busy(PathBuf),
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Busy(dir) => write!(
                f,
                "another sitrep records this fleet's journal already ({}); this session does not",
                dir.display()
            ),
            OpenError::Io(dir, e) => write!(f, "{}: cannot record the journal: {e}", dir.display()),
        }
    }
}

impl JournalDir {
    /// Open `dir` for recording (creating it), take its lock and apply the retention.
    pub fn open(dir: &Path, retention: Retention) -> Result<Self, OpenError> {
        let io_err = |e| OpenError::Io(dir.to_path_buf(), e);
        fs::create_dir_all(dir).map_err(io_err)?;
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(".lock"))
            .map_err(io_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(OpenError::Busy(dir.to_path_buf())),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let journal = Self {
            dir: dir.to_path_buf(),
            retention,
            _lock: lock,
            current: day_files(dir).map_err(io_err)?.pop(),
        };
        journal.prune().map_err(io_err)?;
        Ok(journal)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data time of the newest line recorded, to resume after it.
    pub fn last_at(&self) -> Option<DateTime<Utc>> {
        newest_at(&self.dir)
    }

    /// Append `entries` (one write and one fsync per day file touched).
    pub fn write(&mut self, entries: &[Entry]) -> io::Result<()> {
        let mut rest = entries;
        while let Some(first) = rest.first() {
            let day = first.at.date_naive();
            let n = rest.iter().take_while(|e| e.at.date_naive() == day).count();
            let path = self.file_for(day)?;
            jsonl::append_all(&path, &rest[..n])?;
            rest = &rest[n..];
        }
        Ok(())
    }

    /// The file lines of `day` go to: today's, or the next part once it is full.
    /// A day older than the current file's (a late event) goes to the current file.
    fn file_for(&mut self, day: NaiveDate) -> io::Result<PathBuf> {
        let rolled = match &self.current {
            Some(cur) if day <= cur.day => {
                let full =
                    fs::metadata(&cur.path).map_or(0, |m| m.len()) >= self.retention.file_cap();
                if !full {
                    return Ok(cur.path.clone());
                }
                DayFile::new(&self.dir, cur.day, cur.part + 1)
            }
            _ => DayFile::new(&self.dir, day, 1),
        };
        self.current = Some(rolled.clone());
        self.prune()?;
        Ok(rolled.path)
    }

    /// Delete day files older than `keep_days` before the newest, then the
    /// oldest while the directory is over `max_mb`. The current file stays.
    fn prune(&self) -> io::Result<()> {
        let files = day_files(&self.dir)?;
        let Some(newest) = self.current.as_ref().map(|c| c.day) else {
            return Ok(());
        };
        let oldest_kept = newest - Duration::days(i64::from(self.retention.keep_days));
        let mut kept = Vec::new();
        for f in files {
            if f.day < oldest_kept {
                fs::remove_file(&f.path)?;
            } else {
                kept.push(f);
            }
        }
        let size = |f: &DayFile| fs::metadata(&f.path).map_or(0, |m| m.len());
        let mut total: u64 = kept.iter().map(size).sum();
        let cap = self.retention.max_mb * 1024 * 1024;
        for f in &kept {
            if total <= cap || Some(f) == self.current.as_ref() {
                break;
            }
            total -= size(f);
            fs::remove_file(&f.path)?;
        }
        Ok(())
    }
}

impl DayFile {
    fn new(dir: &Path, day: NaiveDate, part: u32) -> Self {
        let name = if part == 1 {
            format!("{day}.jsonl")
        } else {
            format!("{day}.{part}.jsonl")
        };
        Self {
            day,
            part,
            path: dir.join(name),
        }
    }

    /// `2026-11-18.jsonl` -> (day, 1); `2026-11-18.2.jsonl` -> (day, 2).
    fn parse(path: &Path) -> Option<Self> {
        let stem = path.file_name()?.to_str()?.strip_suffix(".jsonl")?;
        let (day, part) = match stem.split_once('.') {
            Some((day, part)) => (day, part.parse().ok()?),
            None => (stem, 1),
        };
        Some(Self {
            day: day.parse().ok()?,
            part,
            path: path.to_path_buf(),
        })
    }
}

/// The day files of a journal directory, oldest first.
fn day_files(dir: &Path) -> io::Result<Vec<DayFile>> {
    let mut files: Vec<DayFile> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| DayFile::parse(&e.ok()?.path())).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    files.sort();
    Ok(files)
}

/// The first `session` line of a journal directory (every session of one
/// directory records the same fleet), reading only as far as it.
pub fn first_session(dir: &Path) -> Option<Entry> {
    use std::io::BufRead;
    for f in day_files(dir).ok()? {
        let reader = io::BufReader::new(File::open(&f.path).ok()?);
        for line in reader.lines().map_while(Result::ok) {
            if line.contains("\"kind\":\"session\"")
                && let Ok(e) = serde_json::from_str::<Entry>(&line)
            {
                return Some(e);
            }
        }
    }
    None
}

/// The data time of the newest line of a journal directory.
pub fn newest_at(dir: &Path) -> Option<DateTime<Utc>> {
    last_line_at(&day_files(dir).ok()?.pop()?.path)
}

/// The `at` of a file's last complete line, reading only its end.
fn last_line_at(path: &Path) -> Option<DateTime<Utc>> {
    let mut file = File::open(path).ok()?;
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let start = len.saturating_sub(256 * 1024);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = String::new();
    file.read_to_string(&mut tail).ok()?;
    tail.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| v.get("at")?.as_str()?.parse().ok())
}

/// What a journal held between two data times.
#[derive(Debug, Default)]
pub struct Read {
    pub entries: Vec<Entry>,
    /// `file:line: what`, for lines that could not be read.
    pub problems: Vec<String>,
}

/// Read the entries of `dir` with `since <= at <= until`, in time order.
/// Files wholly outside the window are not opened.
pub fn read(
    dir: &Path,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> io::Result<Read> {
    let mut out = Read::default();
    let files = day_files(dir)?;
    for (i, f) in files.iter().enumerate() {
        // A file holds its day, and late lines of earlier days: skip it only
        // when the next file starts before `since` or its day is after `until`.
        let next_day = files.get(i + 1).map(|n| n.day);
        if since.is_some_and(|s| next_day.is_some_and(|d| d < s.date_naive())) {
            continue;
        }
        if until.is_some_and(|u| f.day > u.date_naive()) {
            continue;
        }
        let read: jsonl::Read<serde_json::Value> = jsonl::read(&f.path)?;
        out.problems.extend(read.problems);
        for value in read.records {
            let v = value.get("v").and_then(serde_json::Value::as_u64);
            if v.is_some_and(|v| v > u64::from(SCHEMA_VERSION)) {
                out.problems.push(format!(
                    "{}: a line of journal version {} (this sitrep reads {SCHEMA_VERSION}) skipped",
                    f.path.display(),
                    v.unwrap_or_default()
                ));
                continue;
            }
            match serde_json::from_value::<Entry>(value) {
                Ok(e) if since.is_none_or(|s| e.at >= s) && until.is_none_or(|u| e.at <= u) => {
                    out.entries.push(e);
                }
                Ok(_) => {}
                Err(e) => out
                    .problems
                    .push(format!("{}: a line not read: {e}", f.path.display())),
            }
        }
    }
    out.entries.sort_by_key(|e| e.at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Recorded;

    fn event(at: DateTime<Utc>, message: &str) -> Entry {
        Entry::new(
            at,
            Recorded::Event {
                service: Some("c/s".into()),
                message: message.into(),
            },
        )
    }

    fn day(d: u32) -> DateTime<Utc> {
        format!("2026-11-{d:02}T12:00:00Z").parse().unwrap()
    }

    #[test]
    fn lines_go_to_the_file_of_their_day_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = JournalDir::open(dir.path(), Retention::default()).unwrap();
        j.write(&[event(day(1), "a"), event(day(2), "b")]).unwrap();
        j.write(&[event(day(2) + Duration::minutes(1), "c")])
            .unwrap();
        assert!(dir.path().join("2026-11-01.jsonl").exists());
        assert!(dir.path().join("2026-11-02.jsonl").exists());
        let read = read(dir.path(), None, None).unwrap();
        let msgs: Vec<String> = read.entries.iter().map(|e| e.what.describe()).collect();
        assert_eq!(msgs, ["a", "b", "c"]);
        assert_eq!(j.last_at(), Some(day(2) + Duration::minutes(1)));
        let window = super::read(dir.path(), Some(day(2)), None).unwrap();
        assert_eq!(window.entries.len(), 2);
    }

    #[test]
    fn a_second_recorder_of_the_same_fleet_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = JournalDir::open(dir.path(), Retention::default()).unwrap();
        let second = JournalDir::open(dir.path(), Retention::default());
        assert!(matches!(second, Err(OpenError::Busy(_))), "{second:?}");
    }

    #[test]
    fn days_older_than_keep_days_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let retention = Retention {
            keep_days: 3,
            max_mb: 100,
        };
        let mut j = JournalDir::open(dir.path(), retention).unwrap();
        for d in 1..=10 {
            j.write(&[event(day(d), "x")]).unwrap();
        }
        let days: Vec<NaiveDate> = day_files(dir.path())
            .unwrap()
            .iter()
            .map(|f| f.day)
            .collect();
        assert_eq!(days.len(), 4, "{days:?}");
        assert_eq!(days[0], day(7).date_naive());
    }

    #[test]
    fn a_full_day_rolls_to_a_second_part_and_the_total_stays_under_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let retention = Retention {
            keep_days: 30,
            max_mb: 2,
        };
        let mut j = JournalDir::open(dir.path(), retention).unwrap();
        let big = "x".repeat(64 * 1024);
        for i in 0..80 {
            j.write(&[event(day(1) + Duration::seconds(i), &big)])
                .unwrap();
        }
        let files = day_files(dir.path()).unwrap();
        assert!(files.len() >= 2, "{files:?}");
        let total: u64 = files
            .iter()
            .map(|f| fs::metadata(&f.path).unwrap().len())
            .sum();
        assert!(total <= 2 * 1024 * 1024 + 1024 * 1024 + 70_000, "{total}");
        // The newest lines are kept.
        let read = read(dir.path(), None, None).unwrap();
        assert_eq!(
            read.entries.last().unwrap().at,
            day(1) + Duration::seconds(79)
        );
    }

    #[test]
    fn lines_of_a_newer_version_are_skipped_and_said() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("2026-11-01.jsonl"),
            "{\"v\":99,\"at\":\"2026-11-01T00:00:00Z\",\"kind\":\"future\"}\n",
        )
        .unwrap();
        let read = read(dir.path(), None, None).unwrap();
        assert!(read.entries.is_empty());
        assert!(
            read.problems[0].contains("version 99"),
            "{:?}",
            read.problems
        );
    }
}
