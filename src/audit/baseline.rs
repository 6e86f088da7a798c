//! The ratchet baseline: `cutover-baseline.json` in, known-reference counts out, and back.
//!
//! The file records counts keyed by (file, table, operation, enclosing function): no line
//! numbers and no hashes, sorted and pretty-printed one key per object, so that two branches
//! that each remove references merge without conflicts. A count may only go down unless the
//! user passes `--allow-new`. Writes are atomic (temporary file in the same directory, then
//! rename); a file that does not parse, or comes from a newer cutover, is an error and is
//! never overwritten.

use crate::model::{Finding, Operation};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version of the baseline file format this build reads and writes.
pub const BASELINE_VERSION: u32 = 1;
pub const DEFAULT_BASELINE_FILE: &str = "cutover-baseline.json";
/// The command that creates a first baseline.
pub const CREATE_COMMAND: &str = "cutover audit --update-baseline --allow-new";

/// What a baseline count is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub file: String,
    pub table: String,
    pub operation: Operation,
    pub function: Option<String>,
}

impl Key {
    pub fn of(f: &Finding) -> Key {
        Key {
            file: f.file.clone(),
            table: f.table.clone(),
            operation: f.operation,
            function: f.function.clone(),
        }
    }

    /// `file: table operation in function` for messages.
    pub fn describe(&self) -> String {
        match &self.function {
            Some(func) => format!(
                "{}: {} {} in {}",
                self.file, self.table, self.operation, func
            ),
            None => format!("{}: {} {}", self.file, self.table, self.operation),
        }
    }
}

/// Known reference counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub counts: BTreeMap<Key, u32>,
}

/// Errors the caller branches on (all are usage errors, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(
        "baseline {path} not found: create it with `{CREATE_COMMAND}` (or pass --changed-since REF to audit without one)"
    )]
    Missing { path: PathBuf },
    #[error(
        "baseline {path} is not a valid cutover baseline ({detail}); it was left unchanged: fix or delete it, then run `{CREATE_COMMAND}`"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "baseline {path} has format version {found}, newer than this cutover understands ({BASELINE_VERSION}); upgrade cutover (the file was left unchanged)"
    )]
    FutureVersion { path: PathBuf, found: u64 },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOut {
    version: u32,
    /// Counts of known references; see the README section "Audit in CI".
    references: Vec<EntryOut>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryOut {
    file: String,
    table: String,
    operation: Operation,
    function: Option<String>,
    count: u32,
}

impl Baseline {
    /// Count findings per key.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let mut counts = BTreeMap::new();
        for f in findings {
            *counts.entry(Key::of(f)).or_insert(0) += 1;
        }
        Baseline { counts }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().map(|&n| u64::from(n)).sum()
    }

    /// Read a baseline. Distinguishes a missing file, a corrupt one and a newer format.
    pub fn load(path: &Path) -> Result<Baseline> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BaselineError::Missing {
                    path: path.to_path_buf(),
                }
                .into());
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read baseline {}", path.display()));
            }
        };
        Baseline::parse(&text, path)
    }

    /// Parse a baseline's text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Baseline> {
        let corrupt = |detail: String| BaselineError::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| corrupt(format!("invalid JSON: {e}")))?;
        // Check the version first, so a newer format is reported as such and not as corrupt.
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v > u64::from(BASELINE_VERSION) => {
                return Err(BaselineError::FutureVersion {
                    path: path.to_path_buf(),
                    found: v,
                }
                .into());
            }
            Some(_) => {}
            None => return Err(corrupt("no numeric `version` field".to_string()).into()),
        }
        let file: FileOut = serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))?;
        let mut counts = BTreeMap::new();
        for e in file.references {
            let key = Key {
                file: e.file,
                table: e.table,
                operation: e.operation,
                function: e.function,
            };
            if counts.insert(key.clone(), e.count).is_some() {
                return Err(corrupt(format!("duplicate entry for {}", key.describe())).into());
            }
        }
        counts.retain(|_, n| *n > 0);
        Ok(Baseline { counts })
    }

    /// The file's text: sorted, pretty, newline-terminated.
    pub fn to_json(&self) -> String {
        let doc = FileOut {
            version: BASELINE_VERSION,
            references: self
                .counts
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| EntryOut {
                    file: k.file.clone(),
                    table: k.table.clone(),
                    operation: k.operation,
                    function: k.function.clone(),
                    count: *n,
                })
                .collect(),
        };
        // Serialising plain strings and integers cannot fail.
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Write the baseline atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_json().as_bytes())
    }
}

/// What `--update-baseline` would write, and what it refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    pub baseline: Baseline,
    /// References the update dropped (counts that fell).
    pub removed: u64,
    /// References it added (only with `allow_new`).
    pub added: u64,
    /// References it refused to add (without `allow_new`).
    pub refused: u64,
}

/// The ratchet for `--update-baseline`: each key gets the current count, except that
/// without `allow_new` no key is added and no count is raised.
pub fn update(old: &Baseline, current: &Baseline, allow_new: bool) -> Update {
    let mut out = Update::default();
    let keys: std::collections::BTreeSet<&Key> =
        old.counts.keys().chain(current.counts.keys()).collect();
    for key in keys {
        let was = old.counts.get(key).copied().unwrap_or(0);
        let now = current.counts.get(key).copied().unwrap_or(0);
        let keep = if now > was && !allow_new {
            out.refused += u64::from(now - was);
            was
        } else {
            if now > was {
                out.added += u64::from(now - was);
            } else {
                out.removed += u64::from(was - now);
            }
            now
        };
        if keep > 0 {
            out.baseline.counts.insert(key.clone(), keep);
        }
    }
    out
}

pub use crate::atomic::write as write_atomic;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(file: &str, func: Option<&str>) -> Key {
        Key {
            file: file.into(),
            table: "orders_legacy".into(),
            operation: Operation::Update,
            function: func.map(str::to_string),
        }
    }

    fn baseline(entries: &[(Key, u32)]) -> Baseline {
        Baseline {
            counts: entries.iter().cloned().collect(),
        }
    }

    #[test]
    fn round_trips_sorted_and_pretty() {
        let b = baseline(&[(key("b.py", None), 1), (key("a.py", Some("f")), 2)]);
        let text = b.to_json();
        assert!(text.find("a.py").unwrap() < text.find("b.py").unwrap());
        assert!(text.contains("\n    {\n      \"file\": \"a.py\""), "{text}");
        assert!(text.starts_with("{\n  \"version\": 1,"), "{text}");
        assert_eq!(Baseline::parse(&text, Path::new("x")).unwrap(), b);
    }

    #[test]
    fn corrupt_and_future_files_are_distinct_errors() {
        let err = Baseline::parse("{not json", Path::new("b.json")).unwrap_err();
        assert!(matches!(
            err.downcast_ref::<BaselineError>(),
            Some(BaselineError::Corrupt { .. })
        ));
        assert!(err.to_string().contains("b.json"));
        let err =
            Baseline::parse(r#"{"version": 7, "whatever": []}"#, Path::new("b.json")).unwrap_err();
        assert!(matches!(
            err.downcast_ref::<BaselineError>(),
            Some(BaselineError::FutureVersion { found: 7, .. })
        ));
        let err = Baseline::parse(
            r#"{"version": 1, "references": [{"file": 3}]}"#,
            Path::new("b"),
        )
        .unwrap_err();
        assert!(matches!(
            err.downcast_ref::<BaselineError>(),
            Some(BaselineError::Corrupt { .. })
        ));
    }

    #[test]
    fn missing_file_names_the_create_command() {
        let dir = tempfile::tempdir().unwrap();
        let err = Baseline::load(&dir.path().join("nope.json")).unwrap_err();
        assert!(err.to_string().contains(CREATE_COMMAND), "{err}");
    }

    #[test]
    fn update_only_goes_down_without_allow_new() {
        let old = baseline(&[(key("a.py", None), 3), (key("b.py", None), 1)]);
        let now = baseline(&[
            (key("a.py", None), 1),
            (key("b.py", None), 2),
            (key("c.py", None), 1),
        ]);
        let u = update(&old, &now, false);
        assert_eq!(
            u.baseline,
            baseline(&[(key("a.py", None), 1), (key("b.py", None), 1)])
        );
        assert_eq!((u.removed, u.added, u.refused), (2, 0, 2));
        let u = update(&old, &now, true);
        assert_eq!(u.baseline, now);
        assert_eq!((u.removed, u.added, u.refused), (2, 2, 0));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
