//! The one way cutover replaces a file (reports, baselines, the burndown cache): write a
//! temporary file next to it, flush it to disk, give it the old file's permissions, and
//! rename it over the old one. A reader never sees half a file, and a failed or killed write
//! leaves the old file as it was.
//!
//! The temporary file is `.NAME.PID.tmp`, created exclusively (`O_EXCL`: never through a link
//! someone left there). One left behind by a process that was killed is removed by the next
//! write of the same file.

use anyhow::{Context, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Replace `path` with `bytes`.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_through(path, bytes, |tmp| {
        OpenOptions::new().write(true).create_new(true).open(tmp)
    })
}

/// `write`, with the temporary file opened by `open` (tests inject a full disk here).
#[doc(hidden)]
pub fn write_through(
    path: &Path,
    bytes: &[u8],
    open: impl FnOnce(&Path) -> std::io::Result<File>,
) -> Result<()> {
    if path.is_dir() {
        anyhow::bail!("cannot write {}: it is a directory", path.display());
    }
    let tmp = temporary_path(path);
    remove_stale_temporaries(path);
    let result = (|| -> Result<()> {
        let mut file = open(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        keep_permissions(path, &tmp)?;
        std::fs::rename(&tmp, path)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        // The rename itself is durable once the directory is flushed; not every file
        // system allows opening a directory, and the data is already safe.
        if let Ok(dir) = File::open(directory_of(path)) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        // Only a file or link this process made: never a directory someone put there.
        if std::fs::symlink_metadata(&tmp).is_ok_and(|m| !m.is_dir()) {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    result
}

/// The temporary file this process uses for `path`.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cutover-output".to_string());
    directory_of(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A replaced file keeps its mode (a baseline made group-writable stays so); a new one gets
/// the process's default (0666 less the umask).
fn keep_permissions(path: &Path, tmp: &Path) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp, meta.permissions())
            .with_context(|| format!("cannot set permissions of {}", tmp.display()))?;
    }
    Ok(())
}

/// Remove `.NAME.PID.tmp` files of `path` whose process is gone (Linux: no `/proc/PID`).
/// A live process's temporary file, and anything that is not a plain file, is left alone.
fn remove_stale_temporaries(path: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(directory_of(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_file = entry
            .file_type()
            .is_ok_and(|t| t.is_file() || t.is_symlink());
        let alive = Path::new("/proc").join(pid.to_string()).exists();
        if is_file && !alive {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write(&path, b"one").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
            write(&path, b"two").unwrap();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_process_temporary_file_is_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cutover-baseline.json");
        // PIDs are at most 2^22 on Linux: this one cannot be running.
        let stale = dir.path().join(".cutover-baseline.json.99999999.tmp");
        std::fs::write(&stale, "half").unwrap();
        let other = dir.path().join(".unrelated.99999999.tmp");
        std::fs::write(&other, "x").unwrap();
        write(&path, b"{}").unwrap();
        assert!(!stale.exists());
        assert!(other.exists(), "another file's temporary was removed");
    }

    #[test]
    fn a_link_at_the_temporary_path_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let target = dir.path().join("victim");
        std::fs::write(&target, "keep").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&target, temporary_path(&path)).unwrap();
            // Our own PID is alive, so the link is not stale: the exclusive create refuses it.
            assert!(write(&path, b"new").is_err());
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        }
    }
}
