//! Scanning history: the trees of the sampled commits in, reference counts per commit out.
//! Files are read as blobs from the object database and scanned with the same engine as
//! `inventory` (`extract::scan_bytes`, same language detection, same `scan.exclude`, hidden
//! and size rules). Nothing is scanned twice: results are kept per blob id (content-addressed,
//! so an unchanged file costs nothing), directory listings and per-directory totals per
//! (path, tree id) (an unchanged directory is not even listed again).
//!
//! Three phases: list the trees of every sampled commit (serial, cheap), scan the blobs not
//! seen before (parallel, one repository handle per worker since `Repository` is not `Sync`),
//! then add up per commit. The naive mode forgets everything between commits, for the
//! benchmark.

use super::history::{Commit, Repo};
use super::{Counts, WalkStats, component_of};
use crate::discover::language_of;
use crate::extract::{self, ScanContext};
use crate::model::{Access, Language, Problem, SkipReason, sort_findings};
use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};
use globset::GlobSet;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

/// A blob as a given language: the same bytes under another extension scan differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobKey {
    pub oid: Oid,
    pub language: Language,
}

/// A problem found in a blob, without the path (a blob can live at several paths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobProblem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub reason: SkipReason,
    pub detail: String,
}

/// What scanning one blob found: references per (table, access), and problems. It does not
/// depend on the file's path, which is what makes caching by blob id sound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobResult {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<(String, Access, u64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<BlobProblem>,
}

impl BlobResult {
    fn problem(reason: SkipReason, detail: String) -> BlobResult {
        BlobResult {
            counts: Vec::new(),
            problems: vec![BlobProblem {
                line: None,
                reason,
                detail,
            }],
        }
    }
}

/// A directory of one commit: its path under the scanned root ("" for the root) and tree id.
type TreeKey = (String, Oid);

#[derive(Debug, Default)]
struct Node {
    files: Vec<(String, BlobKey)>,
    symlinks: Vec<String>,
    dirs: Vec<TreeKey>,
}

/// Totals of one directory (recursively).
#[derive(Debug, Default)]
struct Summary {
    counts: Counts,
    files: u64,
}

/// How files are selected; the same rules as `discover`.
pub struct Rules {
    pub exclude: GlobSet,
    pub hidden: bool,
    pub max_file_size: u64,
}

/// Scans sampled commits, remembering what it has seen.
pub struct Scanner<'a> {
    repo: &'a Repo,
    ctx: &'a ScanContext,
    rules: Rules,
    progress: ProgressBar,
    nodes: HashMap<TreeKey, Node>,
    results: HashMap<BlobKey, BlobResult>,
    /// Preloaded from the disk cache and not used yet (to count disk hits once).
    from_disk: HashSet<BlobKey>,
    /// Scanned in this run: what the disk cache gains.
    scanned: HashSet<BlobKey>,
    summaries: HashMap<TreeKey, Rc<Summary>>,
    stats: WalkStats,
}

impl<'a> Scanner<'a> {
    pub fn new(repo: &'a Repo, ctx: &'a ScanContext, rules: Rules, progress: ProgressBar) -> Self {
        Scanner {
            repo,
            ctx,
            rules,
            progress,
            nodes: HashMap::new(),
            results: HashMap::new(),
            from_disk: HashSet::new(),
            scanned: HashSet::new(),
            summaries: HashMap::new(),
            stats: WalkStats::default(),
        }
    }

    /// Results from the on-disk cache: blobs found there are not read again.
    pub fn preload(&mut self, results: HashMap<BlobKey, BlobResult>) {
        self.from_disk = results.keys().copied().collect();
        self.results = results;
    }

    /// The blobs scanned in this run and their results, sorted.
    pub fn new_results(&self) -> BTreeMap<BlobKey, BlobResult> {
        self.scanned
            .iter()
            .filter_map(|k| self.results.get(k).map(|r| (*k, r.clone())))
            .collect()
    }

    pub fn stats(&self) -> &WalkStats {
        &self.stats
    }

    /// Counts per commit, in the order given. `naive` rescans every commit from scratch.
    pub fn run(&mut self, commits: &[Commit], naive: bool) -> Result<Vec<Counts>> {
        self.stats.commits_sampled = commits.len() as u64;
        let roots: Vec<Option<TreeKey>> = commits
            .iter()
            .map(|c| self.root_of(c))
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(commits.len());
        if naive {
            self.progress.set_length(commits.len() as u64);
            self.progress.set_message("scanning commits");
            for root in &roots {
                self.nodes.clear();
                self.results.clear();
                self.summaries.clear();
                let mut pending = BTreeMap::new();
                if let Some(root) = root {
                    self.read_trees(root.clone(), &mut pending)?;
                }
                self.scan(pending, false);
                out.push(self.total(root.as_ref()));
                self.progress.inc(1);
            }
            return Ok(out);
        }
        self.progress.set_length(commits.len() as u64);
        self.progress.set_message("reading trees");
        let mut pending = BTreeMap::new();
        for root in roots.iter().flatten() {
            self.read_trees(root.clone(), &mut pending)?;
            self.progress.inc(1);
        }
        self.progress.set_position(0);
        self.progress.set_length(pending.len() as u64);
        self.progress.set_message("scanning blobs");
        self.scan(pending, true);
        for root in &roots {
            out.push(self.total(root.as_ref()));
        }
        Ok(out)
    }

    /// The tree of the scanned directory at `commit`, or `None` when it did not exist yet.
    fn root_of(&self, commit: &Commit) -> Result<Option<TreeKey>> {
        let repo = &self.repo.repo;
        let c = repo
            .find_commit(commit.id)
            .with_context(|| format!("reading commit {}", commit.id))?;
        let tree = c
            .tree()
            .with_context(|| format!("reading the tree of commit {}", commit.id))?;
        if self.repo.prefix.is_empty() {
            return Ok(Some((String::new(), tree.id())));
        }
        Ok(match tree.get_path(Path::new(&self.repo.prefix)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                Some((String::new(), entry.id()))
            }
            _ => None,
        })
    }

    /// List every directory under `root` not listed before; blobs never scanned go to
    /// `pending` (with the first path seen, for the extractor).
    fn read_trees(&mut self, root: TreeKey, pending: &mut BTreeMap<BlobKey, String>) -> Result<()> {
        let mut stack = vec![root];
        while let Some(key) = stack.pop() {
            if self.nodes.contains_key(&key) {
                continue;
            }
            let tree = self
                .repo
                .repo
                .find_tree(key.1)
                .with_context(|| format!("reading tree {} ({})", key.1, display_dir(&key.0)))?;
            self.stats.trees_read += 1;
            let mut node = Node::default();
            for entry in tree.iter() {
                let name = String::from_utf8_lossy(entry.name_bytes());
                // Same rule as the directory walk: dot files and directories are hidden.
                if !self.rules.hidden && name.starts_with('.') {
                    continue;
                }
                let rel = if key.0.is_empty() {
                    name.into_owned()
                } else {
                    format!("{}/{name}", key.0)
                };
                match entry.kind() {
                    Some(ObjectType::Tree) => node.dirs.push((rel, entry.id())),
                    Some(ObjectType::Blob) => {
                        let Some(language) = language_of(Path::new(&rel)) else {
                            continue;
                        };
                        if self.rules.exclude.is_match(&rel) {
                            continue;
                        }
                        // A symbolic link's blob is its target path, not source.
                        if entry.filemode() == 0o120000 {
                            node.symlinks.push(rel);
                            continue;
                        }
                        let blob = BlobKey {
                            oid: entry.id(),
                            language,
                        };
                        if self.from_disk.remove(&blob) {
                            self.stats.blobs_from_disk_cache += 1;
                        } else if !self.results.contains_key(&blob) {
                            pending.entry(blob).or_insert_with(|| rel.clone());
                        }
                        node.files.push((rel, blob));
                    }
                    // Submodules: their content is another repository's.
                    _ => {}
                }
            }
            stack.extend(node.dirs.iter().cloned());
            self.nodes.insert(key, node);
        }
        Ok(())
    }

    /// Scan pending blobs in parallel.
    fn scan(&mut self, pending: BTreeMap<BlobKey, String>, progress: bool) {
        let git_dir = &self.repo.git_dir;
        let ctx = self.ctx;
        let max = self.rules.max_file_size;
        let bar = &self.progress;
        let items: Vec<(BlobKey, String)> = pending.into_iter().collect();
        let done: Vec<(BlobKey, BlobResult)> = items
            .par_iter()
            .map_init(
                || Repository::open(git_dir),
                |repo, (key, rel)| {
                    let result = match repo {
                        Ok(repo) => scan_blob(repo, *key, rel, ctx, max),
                        Err(e) => BlobResult::problem(
                            SkipReason::Unreadable,
                            format!(
                                "cannot open repository {}: {}",
                                git_dir.display(),
                                e.message()
                            ),
                        ),
                    };
                    if progress {
                        bar.inc(1);
                    }
                    (*key, result)
                },
            )
            .collect();
        self.stats.blobs_scanned += done.len() as u64;
        for (key, result) in done {
            self.scanned.insert(key);
            self.results.insert(key, result);
        }
    }

    /// Totals of one commit; updates the file counters.
    fn total(&mut self, root: Option<&TreeKey>) -> Counts {
        let Some(root) = root else {
            return Counts::default();
        };
        let summary = self.summarize(root);
        self.stats.files_seen += summary.files;
        self.stats.blobs_reused = self
            .stats
            .files_seen
            .saturating_sub(self.stats.blobs_scanned + self.stats.blobs_from_disk_cache);
        summary.counts.clone()
    }

    fn summarize(&mut self, key: &TreeKey) -> Rc<Summary> {
        if let Some(s) = self.summaries.get(key) {
            return Rc::clone(s);
        }
        let mut summary = Summary::default();
        let dirs = match self.nodes.get(key) {
            None => Vec::new(),
            Some(node) => {
                for (rel, blob) in &node.files {
                    summary.files += 1;
                    let Some(result) = self.results.get(blob) else {
                        continue;
                    };
                    for (table, access, n) in &result.counts {
                        *summary
                            .counts
                            .by_table
                            .entry((table.clone(), *access))
                            .or_default() += n;
                        *summary
                            .counts
                            .by_component
                            .entry(component_of(rel).to_string())
                            .or_default() += n;
                    }
                }
                node.dirs.clone()
            }
        };
        for dir in &dirs {
            let child = self.summarize(dir);
            summary.files += child.files;
            for (k, n) in &child.counts.by_table {
                *summary.counts.by_table.entry(k.clone()).or_default() += n;
            }
            for (k, n) in &child.counts.by_component {
                *summary.counts.by_component.entry(k.clone()).or_default() += n;
            }
        }
        let summary = Rc::new(summary);
        self.summaries.insert(key.clone(), Rc::clone(&summary));
        summary
    }

    /// The problems of every file of one commit (the last sample's are reported), sorted.
    pub fn problems(&self, commit: &Commit) -> Result<Vec<Problem>> {
        let mut out = Vec::new();
        let mut stack: Vec<TreeKey> = self.root_of(commit)?.into_iter().collect();
        while let Some(key) = stack.pop() {
            let Some(node) = self.nodes.get(&key) else {
                continue;
            };
            for rel in &node.symlinks {
                out.push(Problem {
                    file: rel.clone(),
                    line: None,
                    reason: SkipReason::Symlink,
                    detail: "symbolic link not followed".to_string(),
                });
            }
            for (rel, blob) in &node.files {
                for p in self
                    .results
                    .get(blob)
                    .map(|r| r.problems.as_slice())
                    .unwrap_or(&[])
                {
                    out.push(Problem {
                        file: rel.clone(),
                        line: p.line,
                        reason: p.reason,
                        detail: p.detail.clone(),
                    });
                }
            }
            stack.extend(node.dirs.iter().cloned());
        }
        out.sort();
        Ok(out)
    }
}

fn display_dir(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

/// Scan one blob like `inventory` scans one file.
fn scan_blob(
    repo: &Repository,
    key: BlobKey,
    rel: &str,
    ctx: &ScanContext,
    max_file_size: u64,
) -> BlobResult {
    let blob = match repo.find_blob(key.oid) {
        Ok(b) => b,
        Err(e) => {
            return BlobResult::problem(
                SkipReason::Unreadable,
                format!("cannot read blob {}: {}", key.oid, e.message()),
            );
        }
    };
    let size = blob.size() as u64;
    if size > max_file_size {
        return BlobResult::problem(
            SkipReason::TooLarge,
            format!("{size} bytes, over scan.max_file_size ({max_file_size} bytes)"),
        );
    }
    let mut scan = extract::scan_bytes(rel, key.language, blob.content(), ctx);
    // `inventory` drops exact duplicates the same way.
    sort_findings(&mut scan.findings);
    let mut counts: BTreeMap<(String, Access), u64> = BTreeMap::new();
    for f in scan.findings {
        *counts.entry((f.table, f.access)).or_default() += 1;
    }
    let mut problems: Vec<BlobProblem> = scan
        .problems
        .into_iter()
        .map(|p| BlobProblem {
            line: p.line,
            reason: p.reason,
            detail: p.detail,
        })
        .collect();
    problems.sort_by(|a, b| (a.line, a.reason, &a.detail).cmp(&(b.line, b.reason, &b.detail)));
    BlobResult {
        counts: counts.into_iter().map(|((t, a), n)| (t, a, n)).collect(),
        problems,
    }
}
