//! The on-disk cache of blob scan results (`.cutover/cache` by default), so that a rerun of
//! `burndown` only scans the blobs new since the last run. Input: a cache directory and the
//! configuration; output: the results stored for that configuration, and an atomic write of
//! the merged results.
//!
//! A result depends on the blob's bytes, its language, and the configuration that decides
//! what a scan finds (tables, dialect, sinks, size limit) and the cutover version: the file
//! name carries a SHA-256 digest of those, so a changed configuration starts a fresh file
//! instead of reusing stale counts. A cache that cannot be read is reported and ignored.

use super::scan::{BlobKey, BlobResult};
use crate::config::Config;
use crate::model::{Language, Problem, SkipReason};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const CACHE_VERSION: u32 = 1;

/// The default cache directory, relative to the repository's work tree.
pub const DEFAULT_DIR: &str = ".cutover/cache";

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    digest: String,
    /// `<blob id>:<language>` -> result.
    blobs: BTreeMap<String, BlobResult>,
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

    /// The stored results keyed for the scanner; entries with a bad key are dropped (the
    /// next write rewrites the file without them).
    pub fn results(&self) -> BTreeMap<BlobKey, BlobResult> {
        self.blobs
            .iter()
            .filter_map(|(k, v)| parse_key(k).map(|key| (key, v.clone())))
            .collect()
    }

    /// Add new results and write the file atomically (temporary file, then rename), so a
    /// concurrent or interrupted run never leaves a half-written cache.
    pub fn store(&mut self, new: BTreeMap<BlobKey, BlobResult>) -> Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        for (key, result) in new {
            self.blobs.insert(format_key(key), result);
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create cache directory {}", dir.display()))?;
        let file = CacheFile {
            version: CACHE_VERSION,
            digest: self.digest.clone(),
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

fn format_key(key: BlobKey) -> String {
    format!("{}:{}", key.oid, key.language.as_str())
}

fn parse_key(text: &str) -> Option<BlobKey> {
    let (oid, language) = text.split_once(':')?;
    let language = match language {
        "go" => Language::Go,
        "javascript" => Language::JavaScript,
        "python" => Language::Python,
        "sql" => Language::Sql,
        "typescript" => Language::TypeScript,
        _ => return None,
    };
    Some(BlobKey {
        oid: git2::Oid::from_str(oid).ok()?,
        language,
    })
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
    fn keys_round_trip() {
        let key = BlobKey {
            oid: git2::Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap(),
            language: Language::TypeScript,
        };
        assert_eq!(parse_key(&format_key(key)), Some(key));
        assert_eq!(parse_key("nothex:sql"), None);
        assert_eq!(
            parse_key("0123456789abcdef0123456789abcdef01234567:cobol"),
            None
        );
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
}
