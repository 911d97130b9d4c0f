//! Torn writes: a child process appends to an audit log, a ledger and a fleet
//! journal in a loop
//! and is killed (SIGKILL) at random points, run after run on the same files.
//! No record whose append returned is ever lost, and the first append after a
//! torn line is readable.
//!
//! SIGKILL cannot split one `write(2)` of a few hundred bytes to a local file,
//! which is how `jsonl::append` writes; a torn line comes from a crash of the
//! machine or from a writer that writes a line in pieces. The child plays that
//! writer too: between real appends it writes a line in two halves with a
//! pause between them, so a kill often lands mid-line and the next process
//! finds the file ending in a fragment.
//!
//! The child is this test binary run again with `SITREP_TORN_CHILD` set.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use sitrep::action::audit::{AuditEntry, AuditLog, AuditRecord};
use sitrep::action::ledger::{Applied, Kind, Ledger};
use sitrep::action::revert::Revert;
use sitrep::journal::{Entry, JournalDir, Recorded, Retention};
use sitrep::model::request::ActionRequest;
use sitrep::model::{ServiceKey, SourceInfo};

const CHILD: &str = "SITREP_TORN_CHILD";
const RUN: &str = "SITREP_TORN_RUN";
const RUNS: u32 = 100;
/// CI bound: stop early (after at least `MIN_RUNS`) once this much time has gone.
const BUDGET: Duration = Duration::from_secs(5);
const MIN_RUNS: u32 = 20;

fn source() -> SourceInfo {
    SourceInfo::Sim {
        scenario: "calm".into(),
        seed: 7,
        speed: 1.0,
    }
}

fn at(run: u32, i: u32) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000 + i64::from(run) * 100_000 + i64::from(i), 0)
        .unwrap()
}

/// A line written in two `write` calls with a pause between them: a kill in
/// the pause leaves the file ending in half a line.
fn write_in_pieces(path: &Path, line: &[u8]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    let half = line.len() / 2;
    f.write_all(&line[..half]).unwrap();
    std::thread::sleep(Duration::from_millis(3));
    f.write_all(&line[half..]).unwrap();
    f.write_all(b"\n").unwrap();
}

/// The child: append until killed, printing `ack audit <id>` / `ack ledger <id>`
/// once each append has returned. Does nothing in an ordinary test run.
#[test]
fn child_process_appends_until_killed() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let dir = Path::new(&dir);
    let run: u32 = std::env::var(RUN).unwrap().parse().unwrap();
    let audit = AuditLog::new(dir.join("audit.jsonl"));
    let ledger = Ledger::new(dir.join("ledger.jsonl"), 24.0).for_source(source().id());
    // The killed child's lock goes with it: the next run records at once. Runs
    // are a simulated day apart: keep them all (age rotation has its own test).
    let keep_all = Retention {
        keep_days: 3650,
        ..Retention::default()
    };
    let mut journal = JournalDir::open(&dir.join("journal"), keep_all).unwrap();
    let mut out = std::io::stdout();
    for i in 0.. {
        let step = format!("{run}-{i}");
        let record = AuditRecord::new(
            at(run, i),
            "torn",
            Some(&source()),
            None,
            None,
            AuditEntry::StepTicked {
                step: step.clone(),
                command: None,
            },
        );
        audit.append(&record).unwrap();
        writeln!(out, "ack audit {step}").unwrap();

        let service = ServiceKey::new("c", format!("s{}", i % 3));
        let request = ActionRequest::SetBounds {
            service: service.clone(),
            min: 10,
            max: 100 + i,
        };
        let change = ledger
            .record(Applied {
                request: &request,
                revert: Some(Revert::Request {
                    request: ActionRequest::SetBounds {
                        service,
                        min: 10,
                        max: 50,
                    },
                }),
                at: at(run, i),
                iac: None,
                operator: "torn",
                runbook: None,
                kind: Kind::Override,
                cost: None,
            })
            .unwrap();
        if let sitrep::action::ledger::LedgerChange::Recorded(e) = change {
            writeln!(out, "ack ledger {}", e.id).unwrap();
        }

        // A snapshot's worth of journal lines, in one append.
        let lines: Vec<Entry> = (0..3)
            .map(|k| {
                Entry::new(
                    at(run, i),
                    Recorded::Event {
                        service: Some("c/s".into()),
                        message: format!("{step}/{k}"),
                    },
                )
            })
            .collect();
        journal.write(&lines).unwrap();
        writeln!(out, "ack journal {step}").unwrap();

        let noise = serde_json::to_vec(&AuditRecord::new(
            at(run, i),
            "noise",
            Some(&source()),
            None,
            None,
            AuditEntry::StepTicked {
                step: format!("noise {step}"),
                command: None,
            },
        ))
        .unwrap();
        write_in_pieces(&dir.join("audit.jsonl"), &noise);
        let noise = format!(
            r#"{{"record":"kept","id":"noise-{step}","at":"{}","operator":"noise"}}"#,
            at(run, i).to_rfc3339()
        );
        write_in_pieces(&dir.join("ledger.jsonl"), noise.as_bytes());
        let noise = serde_json::to_vec(&Entry::new(
            at(run, i),
            Recorded::Event {
                service: None,
                message: format!("noise {step}"),
            },
        ))
        .unwrap();
        write_in_pieces(&journal_file(dir, run, i), &noise);
    }
}

/// `(file, id)` from a whole `ack FILE ID` line (the test harness may print
/// before it on the same line; a line cut by the kill is not an ack).
fn ack(line: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(line.strip_suffix(b"\n")?).ok()?;
    let rest = &text[text.find("ack ")? + 4..];
    let (file, id) = rest.split_once(' ')?;
    matches!(file, "audit" | "ledger" | "journal").then(|| (file.to_string(), id.to_string()))
}

/// The journal's file for a line at `at(run, i)`: one per UTC day.
fn journal_file(dir: &Path, run: u32, i: u32) -> std::path::PathBuf {
    dir.join("journal")
        .join(format!("{}.jsonl", at(run, i).date_naive()))
}

fn ends_torn(path: &Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|b| b.last().copied())
        .is_some_and(|b| b != b'\n')
}

#[test]
fn no_acknowledged_record_is_lost_when_writers_are_killed() {
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let ledger_path = dir.path().join("ledger.jsonl");
    let seed: u64 = std::env::var("SITREP_TORN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_subsec_nanos().into());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let me = std::env::current_exe().unwrap();
    // The child test's name inside this binary: its module path without the crate.
    let child_test = format!(
        "{}::child_process_appends_until_killed",
        module_path!()
            .split_once("::")
            .map_or("", |(_, module)| module)
    );
    let started = Instant::now();
    let mut acked_audit = BTreeSet::new();
    let mut acked_ledger = BTreeSet::new();
    let mut acked_journal = BTreeSet::new();
    let (mut runs, mut torn_found, mut fixed_by_parent) = (0u32, 0u32, 0u32);
    while runs < RUNS && (runs < MIN_RUNS || started.elapsed() < BUDGET) {
        let mut child = Command::new(&me)
            .args(["--exact", &child_test, "--nocapture", "--test-threads", "1"])
            .env(CHILD, dir.path())
            .env(RUN, runs.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = Vec::new();
        let mut acks = Vec::new();
        // Wait for the first acknowledgement: the child is in its loop.
        while stdout.read_until(b'\n', &mut line).unwrap() > 0 {
            let done = ack(&line).is_some();
            acks.push(std::mem::take(&mut line));
            if done {
                break;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..25_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        while stdout.read_until(b'\n', &mut line).unwrap() > 0 {
            acks.push(std::mem::take(&mut line));
        }
        for (file, id) in acks.iter().filter_map(|l| ack(l)) {
            match file.as_str() {
                "audit" => acked_audit.insert(id),
                "journal" => acked_journal.insert(id),
                _ => acked_ledger.insert(id),
            };
        }
        let torn = [&audit_path, &ledger_path]
            .into_iter()
            .filter(|p| ends_torn(p))
            .count()
            + usize::from(ends_torn(&journal_file(dir.path(), runs, 0)));
        torn_found += u32::try_from(torn).unwrap();

        // Every acknowledged record is still there, torn lines or not.
        let audit = AuditLog::new(&audit_path).read().unwrap();
        let steps: BTreeSet<String> = audit
            .records
            .iter()
            .filter_map(|r| match &r.entry {
                AuditEntry::StepTicked { step, .. } => Some(step.clone()),
                _ => None,
            })
            .collect();
        let lost: Vec<&String> = acked_audit.difference(&steps).collect();
        assert!(
            lost.is_empty(),
            "run {runs} (seed {seed}): audit records lost: {lost:?}; {:?}",
            audit.problems
        );
        let (entries, problems) = Ledger::new(&ledger_path, 24.0).load().unwrap();
        let ids: BTreeSet<String> = entries.into_iter().map(|e| e.id).collect();
        let lost: Vec<&String> = acked_ledger.difference(&ids).collect();
        assert!(
            lost.is_empty(),
            "run {runs} (seed {seed}): ledger entries lost: {lost:?}; {problems:?}"
        );

        let journal =
            sitrep::journal::files::read(&dir.path().join("journal"), None, None).unwrap();
        let steps: BTreeSet<String> = journal
            .entries
            .iter()
            .filter_map(|e| match &e.what {
                Recorded::Event { message, .. } => message.strip_suffix("/2").map(str::to_string),
                _ => None,
            })
            .collect();
        let lost: Vec<&String> = acked_journal.difference(&steps).collect();
        assert!(
            lost.is_empty(),
            "run {runs} (seed {seed}): journal lines lost: {lost:?}; {:?}",
            journal.problems
        );

        // Now and then the next append is the parent's: readable at once.
        if torn > 0 && runs % 4 == 0 {
            fixed_by_parent += 1;
            let marker = format!("parent-{runs}");
            AuditLog::new(&audit_path)
                .append(&AuditRecord::new(
                    Utc::now(),
                    "parent",
                    Some(&source()),
                    None,
                    None,
                    AuditEntry::StepTicked {
                        step: marker.clone(),
                        command: None,
                    },
                ))
                .unwrap();
            let last = AuditLog::new(&audit_path).read().unwrap().records.pop();
            assert!(
                matches!(last.map(|r| r.entry), Some(AuditEntry::StepTicked { step, .. }) if step == marker),
                "run {runs} (seed {seed}): the append after a torn line is not readable"
            );
        }
        runs += 1;
    }
    eprintln!(
        "{runs} runs in {:?} (seed {seed}): {} audit, {} ledger and {} journal appends \
         acknowledged, {torn_found} torn endings found, {fixed_by_parent} appended to by the parent",
        started.elapsed(),
        acked_audit.len(),
        acked_ledger.len(),
        acked_journal.len()
    );
    assert!(runs >= MIN_RUNS);
    assert!(
        !acked_audit.is_empty() && !acked_ledger.is_empty() && !acked_journal.is_empty(),
        "the child never got to write"
    );
    assert!(
        torn_found > 0,
        "no kill left a torn line (seed {seed}): the test did not test anything"
    );
}
