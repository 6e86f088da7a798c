//! Files cutover writes (issue 10): a write that fails half-way leaves the old file intact.
//! The failure is injected for real: the temporary file `write_atomic` creates is made a
//! symlink to `/dev/full`, so the bytes go to a device that answers "no space left" on the
//! first write, as a full disk would. This works as root too (permissions would not).

use cutover::audit::baseline::{Baseline, write_atomic};
use std::fs;
use std::path::{Path, PathBuf};

/// The temporary path `write_atomic` uses for `path` in this process.
fn temp_of(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
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
    std::os::unix::fs::symlink("/dev/full", temp_of(&path)).unwrap();

    let smaller = Baseline::parse(r#"{"version": 1, "references": []}"#, &path).unwrap();
    let err = smaller.save(&path).unwrap_err();
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
