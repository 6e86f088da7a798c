//! Discovery: walk the scanned root in parallel with `ignore` (respecting .gitignore,
//! skipping hidden files unless configured, applying `scan.exclude`) and return a sorted list
//! of source files with their language, plus the problems met on the way. Reading and
//! parsing files is left to `extract`.

use crate::config::Config;
use crate::model::{Language, Problem, SkipReason};
use anyhow::{Context, Result};
use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File extensions the scanner reads, sorted (a test checks the order).
pub const EXTENSIONS: &[(&str, Language)] = &[
    ("cjs", Language::JavaScript),
    ("cts", Language::TypeScript),
    ("go", Language::Go),
    ("js", Language::JavaScript),
    ("jsx", Language::JavaScript),
    ("mjs", Language::JavaScript),
    ("mts", Language::TypeScript),
    // Prisma schemas: read by pass 1 only (no grammar, so pass 2 skips them).
    ("prisma", Language::TypeScript),
    ("py", Language::Python),
    ("pyi", Language::Python),
    ("sql", Language::Sql),
    ("ts", Language::TypeScript),
    ("tsx", Language::TypeScript),
];

/// The language of a path, from its extension.
pub fn language_of(path: &Path) -> Option<Language> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    EXTENSIONS
        .binary_search_by(|(e, _)| (*e).cmp(ext.as_str()))
        .ok()
        .map(|i| EXTENSIONS[i].1)
}

/// A file to scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Relative to the root, `/`-separated: what reports show.
    pub rel: String,
    pub path: PathBuf,
    pub language: Language,
    /// Size from the directory walk (0 when unknown).
    pub size: u64,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<SourceFile>,
    pub problems: Vec<Problem>,
    /// Files the walk kept whose extension cutover does not analyse (manifests, YAML…),
    /// relative, unsorted: component detection and plan read some of them.
    pub others: Vec<String>,
}

/// Walks of a directory tree since the process started: one run of any command makes
/// one (tests count them).
static WALKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many directory walks this process has made.
pub fn walks() -> usize {
    WALKS.load(std::sync::atomic::Ordering::Relaxed)
}

impl Discovered {
    /// Every kept file, source or not, sorted: what component detection sees.
    pub fn all_files(&self) -> Vec<String> {
        let mut files: Vec<String> = self.files.iter().map(|f| f.rel.clone()).collect();
        files.extend(self.others.iter().cloned());
        files.sort();
        files.dedup();
        files
    }
}

/// Turn a path under `root` into the `/`-separated relative form used in reports.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    if out.is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        out
    }
}

pub fn build_globset(patterns: &[String]) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).with_context(|| format!("invalid glob `{p}` in scan.exclude"))?);
    }
    Ok(b.build()?)
}

/// Walk `config.root` and list the files to analyse, sorted by relative path.
pub fn discover(config: &Config) -> Result<Discovered> {
    let root = &config.root;
    let exclude = build_globset(&config.scan.exclude)?;
    if root.is_file() {
        let mut out = Discovered::default();
        match language_of(root) {
            Some(language) => out.files.push(SourceFile {
                rel: relative(root.parent().unwrap_or(root), root),
                path: root.clone(),
                language,
                size: std::fs::metadata(root).map(|m| m.len()).unwrap_or(0),
            }),
            None => out
                .others
                .push(relative(root.parent().unwrap_or(root), root)),
        }
        return Ok(out);
    }
    WALKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);

    let found = Mutex::new(Discovered::default());
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(!config.scan.hidden)
        .follow_links(config.scan.follow_symlinks)
        .require_git(false)
        .threads(config.threads);
    let exclude = &exclude;
    builder.build_parallel().run(|| {
        let mut collector = Collector {
            local: Discovered::default(),
            into: &found,
        };
        Box::new(move |entry| {
            match entry {
                Ok(entry) => visit(root, exclude, &entry, &mut collector.local),
                Err(err) => collector.local.problems.push(walk_problem(root, &err)),
            }
            WalkState::Continue
        })
    });
    let mut out = found.into_inner().unwrap_or_else(|p| p.into_inner());
    out.files.sort();
    out.problems.sort();
    Ok(out)
}

/// Per-thread results of the parallel walk, merged once when the walker drops it.
struct Collector<'a> {
    local: Discovered,
    into: &'a Mutex<Discovered>,
}

impl Drop for Collector<'_> {
    fn drop(&mut self) {
        let mut g = self.into.lock().unwrap_or_else(|p| p.into_inner());
        g.files.append(&mut self.local.files);
        g.problems.append(&mut self.local.problems);
        g.others.append(&mut self.local.others);
    }
}

fn visit(root: &Path, exclude: &GlobSet, entry: &ignore::DirEntry, out: &mut Discovered) {
    let rel = relative(root, entry.path());
    let Some(ft) = entry.file_type() else { return };
    if entry.depth() > 0 && exclude.is_match(&rel) {
        return;
    }
    if ft.is_dir() {
        return;
    }
    if ft.is_symlink() {
        // Not followed (scan.follow_symlinks = false): say so for source files and for
        // directories, which may hold any number of them.
        let to_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        if to_dir || language_of(entry.path()).is_some() {
            let what = if to_dir { "to a directory " } else { "" };
            out.problems.push(Problem {
                file: rel,
                line: None,
                reason: SkipReason::Symlink,
                detail: format!(
                    "symbolic link {what}not followed (set scan.follow_symlinks = true)"
                ),
            });
        }
        return;
    }
    let Some(language) = language_of(entry.path()) else {
        if ft.is_file() {
            out.others.push(rel);
        }
        return;
    };
    if !ft.is_file() {
        out.problems.push(Problem {
            file: rel,
            line: None,
            reason: SkipReason::NotAFile,
            detail: "not a regular file (FIFO, socket or device)".into(),
        });
        return;
    }
    let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
    out.files.push(SourceFile {
        rel,
        path: entry.path().to_path_buf(),
        language,
        size,
    });
}

fn walk_problem(root: &Path, err: &ignore::Error) -> Problem {
    let path = error_path(err);
    let reason = if err.is_io() {
        SkipReason::Unreadable
    } else if err.to_string().contains("loop") {
        SkipReason::Symlink
    } else {
        SkipReason::WalkError
    };
    Problem {
        file: path
            .map(|p| relative(root, &p))
            .unwrap_or_else(|| ".".into()),
        line: None,
        reason,
        detail: err.to_string(),
    }
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_sorted() {
        assert!(EXTENSIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn languages() {
        assert_eq!(
            language_of(Path::new("a/b.TSX")),
            Some(Language::TypeScript)
        );
        assert_eq!(language_of(Path::new("x.mjs")), Some(Language::JavaScript));
        assert_eq!(language_of(Path::new("README.md")), None);
        // Prisma schemas are discovered for pass 1, but no grammar parses them in pass 2.
        let prisma = language_of(Path::new("prisma/schema.prisma"));
        assert_eq!(prisma, Some(Language::TypeScript));
        assert_eq!(
            crate::lang::Grammar::for_file(Language::TypeScript, "prisma/schema.prisma"),
            None
        );
    }
}
