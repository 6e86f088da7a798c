//! The on-disk cache of blob scan results (`.cutover/cache` by default), so that a rerun of
//! `burndown` only scans the blobs new since the last run. Input: a cache directory and the
//! configuration; output: the results stored for that configuration, and an atomic write of
//! the merged results.
//!
//! A result depends on the blob's bytes, its language, the scan context (`git` names it in
//! the key: `<blob id>:<language>` for the table-only context, `…@<digest>` for a model
//! index) and the configuration that decides what a scan finds (tables, dialect, sinks,
//! ORM rows and declared models, size limits) and the cutover version: the file name carries
//! a SHA-256 digest of those, so a changed configuration starts a fresh file instead of
//! reusing stale counts. A cache that cannot be read is reported and ignored.

use super::git::BlobResult;
use crate::config::Config;
use crate::model::{Problem, SkipReason};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CACHE_VERSION: u32 = 2;

/// The default cache directory, relative to the repository's work tree.
pub const DEFAULT_DIR: &str = ".cutover/cache";

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    digest: String,
    /// `<blob id>:<language>[@<context digest>]` -> result.
    blobs: BTreeMap<String, BlobResult>,
    /// SHA-256 of `blobs` as written: a file edited or damaged since is not trusted.
    #[serde(default)]
    integrity: String,
}

/// The digest a cache file's results must match.
fn integrity_of(blobs: &BTreeMap<String, BlobResult>) -> String {
    let bytes = serde_json::to_vec(blobs).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of everything in the configuration that changes what a blob scan finds.
pub fn config_digest(config: &Config) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(value.as_bytes());
        h.update([0]);
    };
    field("cutover", env!("CARGO_PKG_VERSION"));
    field("cache", &CACHE_VERSION.to_string());
    field("dialect", &format!("{:?}", config.dialect));
    field("max_file_size", &config.scan.max_file_size.to_string());
    field("max_line_length", &config.scan.max_line_length.to_string());
    for t in config.tables.tables() {
        field("table", &format!("{}={:?}", t.display, t.name));
    }
    for s in &config.sinks {
        field("sink", &format!("{s:?}"));
    }
    for o in &config.orm {
        field("orm", &format!("{o:?}"));
    }
    for m in &config.models {
        field("model", &format!("{m:?}"));
    }
    let digest = h.finalize();
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// One configuration's cached results.
pub struct DiskCache {
    path: PathBuf,
    digest: String,
    blobs: BTreeMap<String, BlobResult>,
}

impl DiskCache {
    /// The file for `config` in `dir`; what it holds, or nothing when it is missing. An
    /// unreadable or corrupt file is reported as a problem and treated as empty.
    pub fn open(dir: &Path, config: &Config) -> (DiskCache, Option<Problem>) {
        let digest = config_digest(config);
        let path = dir.join(format!("blobs-{digest}.json"));
        let mut cache = DiskCache {
            path,
            digest,
            blobs: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(&cache.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (cache, None),
            Err(e) => {
                let problem = cache.problem(format!("cannot read the cache, ignored: {e}"));
                return (cache, Some(problem));
            }
        };
        match serde_json::from_str::<CacheFile>(&text) {
            Ok(file) if file.version == CACHE_VERSION && file.digest == cache.digest => {
                if file.integrity != integrity_of(&file.blobs) {
                    let problem = cache.problem(
                        "cache does not match its integrity digest (edited or damaged), ignored and rebuilt"
                            .into(),
                    );
                    return (cache, Some(problem));
                }
                cache.blobs = file.blobs;
                (cache, None)
            }
            Ok(_) => {
                let problem =
                    cache.problem("cache written for another configuration, ignored".into());
                (cache, Some(problem))
            }
            Err(e) => {
                let problem = cache.problem(format!("corrupt cache, ignored: {e}"));
                (cache, Some(problem))
            }
        }
    }

    fn problem(&self, detail: String) -> Problem {
        Problem {
            file: self.path.display().to_string(),
            line: None,
            reason: SkipReason::Unreadable,
            detail,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored results, by key.
    pub fn results(&self) -> BTreeMap<String, BlobResult> {
        self.blobs.clone()
    }

    /// Add new results and write the file atomically (temporary file, then rename), so a
    /// concurrent or interrupted run never leaves a half-written cache.
    pub fn store(&mut self, new: BTreeMap<String, BlobResult>) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        self.blobs.extend(new);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create cache directory {}", dir.display()))?;
        let file = CacheFile {
            version: CACHE_VERSION,
            digest: self.digest.clone(),
            integrity: integrity_of(&self.blobs),
            blobs: std::mem::take(&mut self.blobs),
        };
        let written = write_atomically(&self.path, &file);
        self.blobs = file.blobs;
        written
    }
}

fn write_atomically(path: &Path, file: &CacheFile) -> Result<()> {
    let bytes = serde_json::to_vec(file)
        .with_context(|| format!("cannot serialise the cache for {}", path.display()))?;
    crate::atomic::write(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{FileConfig, Overrides};

    fn config(text: &str) -> Config {
        let file = FileConfig::parse(text, Path::new("cutover.toml")).unwrap();
        Config::from_file(PathBuf::from("/r"), None, file, &Overrides::default()).unwrap()
    }

    #[test]
    fn digest_follows_what_changes_results() {
        let base = config("[[tables]]\nname = \"orders_legacy\"\n");
        let same = config("[[tables]]\nname = \"orders_legacy\"\nphase = \"cutover\"\n");
        let other_table = config("[[tables]]\nname = \"orders\"\n");
        let other_dialect = config("dialect = \"mysql\"\n[[tables]]\nname = \"orders_legacy\"\n");
        assert_eq!(
            config_digest(&base),
            config_digest(&same),
            "phase does not change a scan"
        );
        assert_ne!(config_digest(&base), config_digest(&other_table));
        assert_ne!(config_digest(&base), config_digest(&other_dialect));
    }

    #[test]
    fn corrupt_cache_is_reported_and_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config("[[tables]]\nname = \"t\"\n");
        let (cache, problem) = DiskCache::open(dir.path(), &cfg);
        assert!(problem.is_none());
        std::fs::write(cache.path(), "{not json").unwrap();
        let (cache, problem) = DiskCache::open(dir.path(), &cfg);
        assert!(problem.unwrap().detail.contains("corrupt cache"));
        assert!(cache.results().is_empty());
    }

    #[test]
    fn an_edited_cache_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config("[[tables]]\nname = \"t\"\n");
        let (mut cache, _) = DiskCache::open(dir.path(), &cfg);
        let result = BlobResult {
            counts: vec![("t".into(), crate::model::Access::Write, 7)],
            ..BlobResult::default()
        };
        cache
            .store(BTreeMap::from([("aa:go".to_string(), result)]))
            .unwrap();
        let (reopened, problem) = DiskCache::open(dir.path(), &cfg);
        assert!(problem.is_none(), "{problem:?}");
        assert_eq!(reopened.results().len(), 1);
        // A poisoned count: the file still parses, but no longer matches its digest.
        let text = std::fs::read_to_string(cache.path()).unwrap();
        std::fs::write(cache.path(), text.replace(",7]", ",0]")).unwrap();
        let (poisoned, problem) = DiskCache::open(dir.path(), &cfg);
        assert!(problem.unwrap().detail.contains("integrity"));
        assert!(poisoned.results().is_empty());
    }
}
