//! Files cutover writes (issue 10): a write that fails half-way leaves the old file intact.
//! The failures are injected for real: the temporary file is opened on `/dev/full`, a
//! device that answers "no space left" on the first write, as a full disk would; or a
//! directory stands where the temporary file goes. Both work as root too (permissions would
//! not).

use cutover::atomic::{temporary_path as temp_of, write_through};
use cutover::audit::baseline::{Baseline, write_atomic};
use std::fs;
use std::path::{Path, PathBuf};

/// Open `/dev/full` in place of the temporary file.
fn full_disk(_: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).open("/dev/full")
}

const OLD: &str = r#"{
  "version": 1,
  "references": [
    {
      "file": "a.py",
      "table": "orders_legacy",
      "operation": "update",
      "function": null,
      "count": 3
    }
  ]
}
"#;

#[cfg(target_os = "linux")]
#[test]
fn disk_full_mid_write_leaves_the_old_baseline_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover-baseline.json");
    fs::write(&path, OLD).unwrap();

    let smaller = Baseline::parse(r#"{"version": 1, "references": []}"#, &path).unwrap();
    let err = write_through(&path, smaller.to_json().as_bytes(), full_disk).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("cannot write"), "{message}");
    assert!(message.contains("No space left"), "{message}");

    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        OLD,
        "old baseline changed"
    );
    // The failed temporary file is cleaned up: only the old baseline is left.
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["cutover-baseline.json"]);

    // Once the disk has room again, the same save goes through.
    smaller.save(&path).unwrap();
    assert_eq!(Baseline::load(&path).unwrap(), smaller);
}

#[test]
fn failure_to_create_the_temporary_file_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    fs::write(&path, "old contents\n").unwrap();
    // A directory (with a file in it, so it cannot be removed) where the temporary file goes.
    let blocker = temp_of(&path);
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "x").unwrap();

    let err = write_atomic(&path, b"new contents\n").unwrap_err();
    assert!(format!("{err:#}").contains("cannot create"), "{err:#}");
    assert_eq!(fs::read_to_string(&path).unwrap(), "old contents\n");
    assert!(
        blocker.join("keep").exists(),
        "cleanup removed what it did not write"
    );
}

/// A link someone left at the temporary path is not followed: the write fails, the link's
/// target and the old file are untouched.
#[cfg(unix)]
#[test]
fn a_link_at_the_temporary_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cutover-baseline.json");
    fs::write(&path, OLD).unwrap();
    let victim = dir.path().join("victim");
    fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, temp_of(&path)).unwrap();
    let err = write_atomic(&path, b"new").unwrap_err();
    assert!(format!("{err:#}").contains("cannot create"), "{err:#}");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    assert_eq!(fs::read_to_string(&path).unwrap(), OLD);
}

/// The burndown cache: a failed rewrite keeps the previous cache file as it was.
#[test]
fn failed_write_leaves_the_old_burndown_cache_intact() {
    use cutover::config::{Config, FileConfig, Overrides};
    use cutover::model::Access;
    use cutover::scan::cache::DiskCache;
    use cutover::scan::git::BlobResult;
    use std::collections::BTreeMap;

    let file = FileConfig::parse("[[tables]]\nname = \"orders_legacy\"\n", Path::new("c")).unwrap();
    let config = Config::from_file(PathBuf::from("/r"), None, file, &Overrides::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let result = |n| BlobResult {
        counts: vec![("orders_legacy".to_string(), Access::Write, n)],
        ..BlobResult::default()
    };
    let key = |hex: &str| format!("{hex}:python");
    let (mut cache, problem) = DiskCache::open(dir.path(), &config);
    assert!(problem.is_none());
    cache
        .store(BTreeMap::from([(key("aa"), result(1))]))
        .unwrap();
    let path = cache.path().to_path_buf();
    let old = fs::read(&path).unwrap();

    let blocker = temp_of(&path);
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), "x").unwrap();
    let err = cache
        .store(BTreeMap::from([(key("bb"), result(2))]))
        .unwrap_err();
    assert!(format!("{err:#}").contains("cannot create"), "{err:#}");
    assert_eq!(fs::read(&path).unwrap(), old, "old cache changed");
    fs::remove_dir_all(&blocker).unwrap();

    // A later run still reads the old cache.
    let (reopened, problem) = DiskCache::open(dir.path(), &config);
    assert!(problem.is_none(), "{problem:?}");
    assert_eq!(reopened.results().len(), 1);
}

/// The history file is appended to: a record cut short by an earlier failure (no final
/// newline) costs only itself, reported with its line; the next record is not glued to it.
#[test]
fn a_history_line_cut_short_does_not_swallow_the_next_record() {
    use cutover::burndown::record::{Record, append, read};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let first = r#"{"commit":"c1","date":"2026-01-01T00:00:00Z","counts":{}}"#;
    fs::write(&path, format!("{first}\n{{\"commit\":\"c2\",\"da")).unwrap();
    let next: Record =
        serde_json::from_str(r#"{"commit":"c3","date":"2026-01-03T00:00:00Z","counts":{}}"#)
            .unwrap();
    append(&path, &next).unwrap();
    let (points, problems) = read(&path).unwrap();
    assert_eq!(
        points.len(),
        2,
        "the appended record was lost: {problems:?}"
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, Some(2));
}
