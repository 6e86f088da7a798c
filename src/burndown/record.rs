//! Recorded history: one JSON line per CI run, `{"commit", "date", "counts": {table: {access:
//! n}}}`, appended by `audit --record FILE` and read back by `burndown --from FILE`. Input:
//! findings (to append) or the file (to read); output: the file grows by one line, or the
//! points to plot plus the lines that could not be read (reported with their line number).

use super::{Counts, Point};
use crate::config::TableMatcher;
use crate::model::{Access, Finding, Problem, SkipReason};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// One line of a history file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The commit the counts were taken at, when the run was in a git repository.
    pub commit: Option<String>,
    pub date: DateTime<Utc>,
    /// table -> access -> references; configured tables are present even at zero.
    pub counts: BTreeMap<String, BTreeMap<Access, u64>>,
}

impl Record {
    /// Count `findings` per table and access. `tables` lists zeros for tables with none.
    pub fn from_findings(
        commit: Option<String>,
        date: DateTime<Utc>,
        tables: &TableMatcher,
        findings: &[Finding],
    ) -> Record {
        let mut counts: BTreeMap<String, BTreeMap<Access, u64>> = BTreeMap::new();
        for t in tables.tables() {
            let entry = counts.entry(t.display.clone()).or_default();
            for a in Access::ALL {
                entry.insert(a, 0);
            }
        }
        for f in findings {
            *counts
                .entry(f.table.clone())
                .or_default()
                .entry(f.access)
                .or_default() += 1;
        }
        Record {
            commit,
            date,
            counts,
        }
    }

    /// The record of a scan of `root` now: stamped with `HEAD` and its committer date when
    /// `root` is in a git repository (so a rerun on the same commit replaces, not adds, a
    /// point), with the current time otherwise.
    pub fn for_scan(root: &Path, tables: &TableMatcher, findings: &[Finding]) -> Record {
        let (commit, date) = match super::history::head(root) {
            Some((id, date)) => (Some(id), date),
            None => (None, Utc::now()),
        };
        Record::from_findings(commit, date, tables, findings)
    }

    fn into_point(self) -> Point {
        let mut counts = Counts::default();
        for (table, by_access) in self.counts {
            for (access, n) in by_access {
                counts.by_table.insert((table.clone(), access), n);
            }
        }
        Point {
            commit: self.commit,
            date: self.date,
            counts,
        }
    }
}

/// Append one record to `path` (created with its directory if needed) as a single write, so
/// concurrent appenders do not interleave lines.
pub fn append(path: &Path, record: &Record) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))?;
    }
    let mut line = serde_json::to_string(record)?;
    line.push('\n');
    // A line left without its newline by an earlier failed append would swallow this record.
    if ends_without_newline(path) {
        line.insert(0, '\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open history file {}", path.display()))?;
    f.write_all(line.as_bytes())
        .with_context(|| format!("cannot append to history file {}", path.display()))
}

/// Whether `path` exists, is not empty and does not end with a newline.
fn ends_without_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut last = [0u8; 1];
    f.seek(SeekFrom::End(-1)).is_ok() && f.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

/// Read a history file: its points oldest first (a commit recorded twice keeps its last
/// record), and one problem per line that is not a record.
pub fn read(path: &Path) -> Result<(Vec<Point>, Vec<Problem>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read history file {}", path.display()))?;
    let mut records: Vec<(usize, Record)> = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push((i, r)),
            Err(e) => problems.push(Problem {
                file: path.display().to_string(),
                line: Some(i as u32 + 1),
                reason: SkipReason::Unreadable,
                detail: format!("not a history record: {e}"),
            }),
        }
    }
    // By commit: the last line for a commit wins; records without a commit all stay.
    let mut last_for_commit: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in &records {
        if let Some(c) = &r.commit {
            last_for_commit.insert(c.clone(), *i);
        }
    }
    records.retain(|(i, r)| r.commit.as_ref().is_none_or(|c| last_for_commit[c] == *i));
    // Stable: equal dates keep file order.
    records.sort_by_key(|(i, r)| (r.date, *i));
    Ok((
        records.into_iter().map(|(_, r)| r.into_point()).collect(),
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn append_then_read_round_trips_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/history.jsonl");
        let mut counts = BTreeMap::new();
        counts.insert(
            "orders_legacy".to_string(),
            BTreeMap::from([(Access::Write, 2), (Access::Read, 5), (Access::Ddl, 0)]),
        );
        let r1 = Record {
            commit: Some("aaa".into()),
            date: Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap(),
            counts: counts.clone(),
        };
        let mut r0 = r1.clone();
        r0.commit = Some("bbb".into());
        r0.date = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        append(&path, &r1).unwrap();
        append(&path, &r0).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(r#"{"commit":"aaa","date":"2026-01-02T00:00:00Z","counts":{"orders_legacy":{"write":2,"read":5,"ddl":0}}}"#), "{text}");
        text.push_str("not json\n");
        // The same commit recorded again replaces the earlier record.
        let mut again = r1.clone();
        again
            .counts
            .get_mut("orders_legacy")
            .unwrap()
            .insert(Access::Read, 1);
        text.push_str(&serde_json::to_string(&again).unwrap());
        std::fs::write(&path, text).unwrap();

        let (points, problems) = read(&path).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].commit.as_deref(), Some("bbb"), "sorted by date");
        assert_eq!(
            points[1].counts.by_table[&("orders_legacy".to_string(), Access::Read)],
            1
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(3));
    }
}
