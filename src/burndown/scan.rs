//! Scanning history: the trees of the sampled commits in, reference counts per commit out.
//! Files are read as blobs from the object database and scanned with the same engine as
//! `inventory` (`extract::scan_bytes`, same language detection, same `scan.exclude`, hidden
//! and size rules). Nothing is scanned twice: results are kept per blob id (content-addressed,
//! so an unchanged file costs nothing), directory listings and per-directory totals per
//! (path, tree id) (an unchanged directory is not even listed again).
//!
//! Three phases: list the trees of every sampled commit (serial, cheap), scan the blobs not
//! seen before (parallel, one repository handle per worker since `Repository` is not `Sync`;
//! the versions of one path in history order on one worker, each parsed incrementally from
//! the previous one), then add up per commit. The naive mode forgets everything between commits, for the
//! benchmark.

use super::history::{Commit, Repo};
use super::{Counts, WalkStats};
use crate::discover::language_of;
use crate::extract::{self, ScanContext};
use crate::lang;
use crate::model::{Access, Language, Problem, SkipReason, sort_findings};
use crate::plan::components::{Layout, ROOT_NAME};
use anyhow::{Context, Result};
use git2::{ObjectType, Oid, Repository};
use globset::GlobSet;
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

/// The hasher of the scanner's maps, keyed by object ids: FxHash's multiply-rotate, since
/// object ids are already uniformly distributed and SipHash showed up in profiles.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IdHasher>>;
type IdSet<K> = HashSet<K, std::hash::BuildHasherDefault<IdHasher>>;

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

/// References per component index of a `Layout` (`None`: outside every component).
type PerComponent = BTreeMap<Option<usize>, u64>;

/// A directory: a path id (0 unless `scan.exclude` makes results depend on the path) and its
/// tree id. Without exclude globs, identical trees at different paths share one entry.
type TreeKey = (u32, Oid);

/// One directory listing, reduced to what the counts need.
#[derive(Debug, Default)]
struct Node {
    files: Vec<BlobKey>,
    dirs: Vec<TreeKey>,
}

/// Totals of one directory (recursively).
#[derive(Debug, Default)]
struct Summary {
    /// Indexed by `table index * ACCESSES + access index`; may be shorter than the table list.
    by_table: Vec<u64>,
    files: u64,
}

impl Summary {
    fn add(&mut self, i: usize, n: u64) {
        if self.by_table.len() <= i {
            self.by_table.resize(i + 1, 0);
        }
        self.by_table[i] += n;
    }

    fn total(&self) -> u64 {
        self.by_table.iter().sum()
    }
}

/// A blob to scan: the file name the extractor sees (its extension picks the grammar), the
/// path it was first seen at and in which order (to scan the versions of a path in turn).
#[derive(Debug)]
struct Pending {
    name: String,
    path: String,
    seq: usize,
}

/// How files are selected; the same rules as `discover`.
pub struct Rules {
    pub exclude: GlobSet,
    pub hidden: bool,
    pub max_file_size: u64,
}

/// What a tree entry is to the scanner.
enum Entry {
    Skip,
    Dir,
    /// A symbolic link to a source file: reported, not followed.
    Symlink,
    File(BlobKey),
}

/// Small integer ids for repeated strings (directory names and paths).
#[derive(Default)]
struct Interner {
    ids: IdMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }
}

/// Scans sampled commits, remembering what it has seen.
pub struct Scanner<'a> {
    repo: &'a Repo,
    ctx: &'a ScanContext,
    rules: Rules,
    progress: ProgressBar,
    nodes: IdMap<TreeKey, Node>,
    results: IdMap<BlobKey, BlobResult>,
    /// Preloaded from the disk cache and not used yet (to count disk hits once).
    from_disk: IdSet<BlobKey>,
    /// Scanned in this run: what the disk cache gains.
    scanned: IdSet<BlobKey>,
    summaries: IdMap<TreeKey, Rc<Summary>>,
    /// References per component of a directory, by (path id, tree id).
    attributed: IdMap<(u32, Oid), Rc<PerComponent>>,
    /// The blobs with references, as (`Summary::by_table` index, count): most blobs have
    /// none, and this small map is what summing a directory looks up.
    counted: IdMap<BlobKey, Vec<(usize, u64)>>,
    /// Table names as findings report them; `Summary::by_table` indexes into this.
    tables: Vec<String>,
    paths: Interner,
    stats: WalkStats,
}

impl<'a> Scanner<'a> {
    pub fn new(repo: &'a Repo, ctx: &'a ScanContext, rules: Rules, progress: ProgressBar) -> Self {
        let mut paths = Interner::default();
        // Id 0 is the scanned root, and every directory when paths do not matter.
        paths.id("");
        Scanner {
            repo,
            ctx,
            rules,
            progress,
            nodes: IdMap::default(),
            results: IdMap::default(),
            from_disk: IdSet::default(),
            scanned: IdSet::default(),
            summaries: IdMap::default(),
            attributed: IdMap::default(),
            counted: IdMap::default(),
            tables: ctx
                .tables
                .tables()
                .iter()
                .map(|t| t.display.clone())
                .collect(),
            paths,
            stats: WalkStats::default(),
        }
    }

    /// Results from the on-disk cache: blobs found there are not read again.
    pub fn preload(&mut self, results: BTreeMap<BlobKey, BlobResult>) {
        self.from_disk = results.keys().copied().collect();
        for (key, result) in &results {
            self.count(*key, result);
        }
        self.results = results.into_iter().collect();
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

    /// Counts per commit, in the order given, per component of `layout` too when given.
    /// `naive` rescans every commit from scratch.
    pub fn run(
        &mut self,
        commits: &[Commit],
        naive: bool,
        layout: Option<&Layout>,
    ) -> Result<Vec<Counts>> {
        self.stats.commits_sampled = commits.len() as u64;
        let roots: Vec<Option<Oid>> = commits
            .iter()
            .map(|c| self.root_of(c))
            .collect::<Result<_>>()?;
        let mut out = Vec::with_capacity(commits.len());
        self.progress.set_length(commits.len() as u64);
        if naive {
            self.progress.set_message("scanning commits");
            for root in &roots {
                self.nodes.clear();
                self.results.clear();
                self.counted.clear();
                self.summaries.clear();
                let mut pending = IdMap::default();
                let key = match root {
                    Some(oid) => Some(self.read_trees(*oid, &mut pending)?),
                    None => None,
                };
                self.scan(pending, false);
                let mut counts = self.total(key);
                if let (Some(layout), Some(oid)) = (layout, root) {
                    self.attributed.clear();
                    counts.by_component = self.by_component(*oid, layout)?;
                }
                out.push(counts);
                self.progress.inc(1);
            }
            return Ok(out);
        }
        self.progress.set_message("reading trees");
        let mut pending = IdMap::default();
        let mut keys = Vec::with_capacity(roots.len());
        for root in &roots {
            keys.push(match root {
                Some(oid) => Some(self.read_trees(*oid, &mut pending)?),
                None => None,
            });
            self.progress.inc(1);
        }
        self.progress.set_position(0);
        self.progress.set_length(pending.len() as u64);
        self.progress.set_message("scanning blobs");
        self.scan(pending, true);
        for (key, root) in keys.into_iter().zip(&roots) {
            let mut counts = self.total(key);
            if let (Some(layout), Some(oid)) = (layout, root) {
                counts.by_component = self.by_component(*oid, layout)?;
            }
            out.push(counts);
        }
        Ok(out)
    }

    /// The tree of the scanned directory at `commit`, or `None` when it did not exist yet.
    fn root_of(&self, commit: &Commit) -> Result<Option<Oid>> {
        let repo = &self.repo.repo;
        let c = repo
            .find_commit(commit.id)
            .with_context(|| format!("reading commit {}", commit.id))?;
        let tree = c
            .tree()
            .with_context(|| format!("reading the tree of commit {}", commit.id))?;
        if self.repo.prefix.is_empty() {
            return Ok(Some(tree.id()));
        }
        Ok(match tree.get_path(Path::new(&self.repo.prefix)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(entry.id()),
            _ => None,
        })
    }

    /// The same selection as `discover`: hidden names, known extensions, `scan.exclude` on
    /// the path relative to the scanned root. `rel` is only needed with exclude globs.
    fn entry(&self, name: &str, rel: &str, entry: &git2::TreeEntry<'_>) -> Entry {
        if !self.rules.hidden && name.starts_with('.') {
            return Entry::Skip;
        }
        match entry.kind() {
            Some(ObjectType::Tree) => Entry::Dir,
            Some(ObjectType::Blob) => {
                let Some(language) = language_of(Path::new(name)) else {
                    return Entry::Skip;
                };
                if self.paths_matter() && self.rules.exclude.is_match(rel) {
                    return Entry::Skip;
                }
                // A symbolic link's blob is its target path, not source.
                if entry.filemode() == 0o120000 {
                    return Entry::Symlink;
                }
                Entry::File(BlobKey {
                    oid: entry.id(),
                    language,
                })
            }
            // Submodules: their content is another repository's.
            _ => Entry::Skip,
        }
    }

    fn paths_matter(&self) -> bool {
        !self.rules.exclude.is_empty()
    }

    /// List every directory under `root` not listed before; blobs never scanned go to
    /// `pending` (with a file name for the extractor, and the path they were first seen at).
    fn read_trees(&mut self, root: Oid, pending: &mut IdMap<BlobKey, Pending>) -> Result<TreeKey> {
        let root_key = (0, root);
        let mut stack: Vec<(TreeKey, String)> = vec![(root_key, String::new())];
        let mut rel = String::new();
        while let Some((key, path)) = stack.pop() {
            if self.nodes.contains_key(&key) {
                continue;
            }
            let tree = self
                .repo
                .repo
                .find_tree(key.1)
                .with_context(|| format!("reading tree {} ({})", key.1, display_dir(&path)))?;
            self.stats.trees_read += 1;
            let mut node = Node::default();
            let join = |name: &str| -> String {
                if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}/{name}")
                }
            };
            for e in tree.iter() {
                let name = String::from_utf8_lossy(e.name_bytes());
                // Most entries are files already seen: their path is only needed for
                // exclude globs.
                rel.clear();
                if self.paths_matter() {
                    rel.push_str(&join(&name));
                }
                match self.entry(&name, &rel, &e) {
                    Entry::Skip | Entry::Symlink => {}
                    Entry::Dir => {
                        let child_path = join(&name);
                        let id = if self.paths_matter() {
                            self.paths.id(&child_path)
                        } else {
                            0
                        };
                        let child = (id, e.id());
                        node.dirs.push(child);
                        stack.push((child, child_path));
                    }
                    Entry::File(blob) => {
                        if !self.from_disk.is_empty() && self.from_disk.remove(&blob) {
                            self.stats.blobs_from_disk_cache += 1;
                        } else if !self.results.contains_key(&blob) {
                            let seq = pending.len();
                            pending.entry(blob).or_insert_with(|| Pending {
                                name: name.to_string(),
                                path: join(&name),
                                seq,
                            });
                        }
                        node.files.push(blob);
                    }
                }
            }
            self.nodes.insert(key, node);
        }
        Ok(root_key)
    }

    /// Scan pending blobs in parallel: chunks of them, each with its own repository
    /// handle (its object caches stay warm along the chunk). With `reuse`, the versions of one
    /// path are scanned in the order they were found (history order) by one worker, each
    /// parsed incrementally from the previous one: a changed file's parse costs about its
    /// change.
    /// Results do not depend on the order (see `lang::Reuse`), only the time does.
    fn scan(&mut self, pending: IdMap<BlobKey, Pending>, reuse: bool) {
        let git_dir = &self.repo.git_dir;
        let ctx = self.ctx;
        let max = self.rules.max_file_size;
        let bar = &self.progress;
        let mut items: Vec<(BlobKey, Pending)> = pending.into_iter().collect();
        if reuse {
            items.sort_unstable_by(|(_, a), (_, b)| (&a.path, a.seq).cmp(&(&b.path, b.seq)));
        } else {
            items.sort_unstable_by_key(|(key, _)| *key);
        }
        // Groups: runs of one path (each blob its own group without reuse).
        let mut groups: Vec<&[(BlobKey, Pending)]> = Vec::new();
        let mut rest = items.as_slice();
        while !rest.is_empty() {
            let len = if reuse {
                rest.iter()
                    .take_while(|(_, p)| p.path == rest[0].1.path)
                    .count()
            } else {
                1
            };
            let (group, tail) = rest.split_at(len);
            groups.push(group);
            rest = tail;
        }
        // Many chunks per worker: the versions of a path stay together, and the paths with
        // SQL (the costly ones) tend to sit side by side in one directory.
        let target = items
            .len()
            .div_ceil(rayon::current_num_threads().max(1) * 16)
            .max(1);
        let mut chunks: Vec<Vec<&[(BlobKey, Pending)]>> = Vec::new();
        let mut size = 0;
        for group in groups {
            if chunks.is_empty() || size >= target {
                chunks.push(Vec::new());
                size = 0;
            }
            size += group.len();
            if let Some(chunk) = chunks.last_mut() {
                chunk.push(group);
            }
        }
        let done: Vec<Vec<(BlobKey, BlobResult)>> = chunks
            .par_iter()
            .map(|chunk| {
                let repo = Repository::open(git_dir);
                let _memo = reuse.then(crate::sql::Memo::start);
                let mut out = Vec::new();
                for group in chunk {
                    let _reuse = reuse.then(lang::Reuse::start);
                    for (key, item) in group.iter() {
                        let result = match &repo {
                            Ok(repo) => scan_blob(repo, *key, &item.name, ctx, max),
                            Err(e) => BlobResult::problem(
                                SkipReason::Unreadable,
                                format!(
                                    "cannot open repository {}: {}",
                                    git_dir.display(),
                                    e.message()
                                ),
                            ),
                        };
                        if reuse {
                            bar.inc(1);
                        }
                        out.push((*key, result));
                    }
                }
                out
            })
            .collect();
        for (key, result) in done.into_iter().flatten() {
            self.stats.blobs_scanned += 1;
            self.count(key, &result);
            self.scanned.insert(key);
            self.results.insert(key, result);
        }
    }

    /// Remember the references of a blob for `summarize`.
    fn count(&mut self, key: BlobKey, result: &BlobResult) {
        if result.counts.is_empty() {
            return;
        }
        let counts = result
            .counts
            .iter()
            .map(|(table, access, n)| {
                (
                    table_index(&mut self.tables, table) * ACCESSES + access_index(*access),
                    *n,
                )
            })
            .collect();
        self.counted.insert(key, counts);
    }

    /// Totals of one commit; updates the file counters.
    fn total(&mut self, root: Option<TreeKey>) -> Counts {
        let Some(root) = root else {
            return Counts::default();
        };
        let summary = self.summarize(root);
        self.stats.files_seen += summary.files;
        self.stats.blobs_reused = self
            .stats
            .files_seen
            .saturating_sub(self.stats.blobs_scanned + self.stats.blobs_from_disk_cache);
        let mut counts = Counts::default();
        for (i, &n) in summary.by_table.iter().enumerate() {
            if n > 0 {
                counts.by_table.insert(
                    (self.tables[i / ACCESSES].clone(), Access::ALL[i % ACCESSES]),
                    n,
                );
            }
        }
        counts
    }

    fn summarize(&mut self, key: TreeKey) -> Rc<Summary> {
        if let Some(s) = self.summaries.get(&key) {
            return Rc::clone(s);
        }
        let mut summary = Summary::default();
        let mut dirs = Vec::new();
        if let Some(node) = self.nodes.get(&key) {
            for blob in &node.files {
                summary.files += 1;
                if let Some(counts) = self.counted.get(blob) {
                    for &(i, n) in counts {
                        summary.add(i, n);
                    }
                }
            }
            dirs.clone_from(&node.dirs);
        }
        for dir in dirs {
            let child = self.summarize(dir);
            summary.files += child.files;
            for (i, &n) in child.by_table.iter().enumerate() {
                if n > 0 {
                    summary.add(i, n);
                }
            }
        }
        let summary = Rc::new(summary);
        self.summaries.insert(key, Rc::clone(&summary));
        summary
    }

    /// The tree key a directory at `rel` with id `oid` was listed under.
    fn key_of(&mut self, rel: &str, oid: Oid) -> TreeKey {
        if self.paths_matter() {
            (self.paths.id(rel), oid)
        } else {
            (0, oid)
        }
    }

    /// Every file of one commit that the scan rules keep, whatever its language (sorted):
    /// what component detection needs (manifests such as `go.mod` or `package.json`).
    pub fn file_list(&self, commit: &Commit) -> Result<Vec<String>> {
        let mut out = Vec::new();
        self.walk(commit, |name, rel, e| {
            if !self.rules.hidden && name.starts_with('.') {
                return false;
            }
            match e.kind() {
                Some(ObjectType::Tree) => return true,
                Some(ObjectType::Blob) if !self.rules.exclude.is_match(rel) => {
                    out.push(rel.to_string())
                }
                _ => {}
            }
            false
        })?;
        out.sort();
        Ok(out)
    }

    /// Every entry of `commit`'s tree, depth first: `visit` gets each entry's name and
    /// repository-relative path, and says whether to descend into it (trees only).
    fn walk(
        &self,
        commit: &Commit,
        mut visit: impl FnMut(&str, &str, &git2::TreeEntry<'_>) -> bool,
    ) -> Result<()> {
        let Some(root) = self.root_of(commit)? else {
            return Ok(());
        };
        let mut stack: Vec<(Oid, String)> = vec![(root, String::new())];
        while let Some((oid, path)) = stack.pop() {
            let tree = self
                .repo
                .repo
                .find_tree(oid)
                .with_context(|| format!("reading tree {oid} ({})", display_dir(&path)))?;
            for e in tree.iter() {
                let name = String::from_utf8_lossy(e.name_bytes());
                let rel = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}/{name}")
                };
                if visit(&name, &rel, &e) && e.kind() == Some(ObjectType::Tree) {
                    stack.push((e.id(), rel));
                }
            }
        }
        Ok(())
    }

    /// References of one commit per component of `layout` (files outside every component
    /// count for `(root)`). Descends only into directories with references, remembering
    /// each (path, tree) it has attributed, so an unchanged directory is not read again.
    fn by_component(&mut self, root: Oid, layout: &Layout) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        let per_index = self.attribute(String::new(), root, layout)?;
        for (i, n) in per_index.iter() {
            let name = match i {
                Some(i) => layout.components[*i].name.clone(),
                None => ROOT_NAME.to_string(),
            };
            *out.entry(name).or_default() += n;
        }
        Ok(out)
    }

    fn attribute(&mut self, path: String, oid: Oid, layout: &Layout) -> Result<Rc<PerComponent>> {
        let memo_key = (self.paths.id(&path), oid);
        if let Some(done) = self.attributed.get(&memo_key) {
            return Ok(Rc::clone(done));
        }
        let key = self.key_of(&path, oid);
        let mut out: BTreeMap<Option<usize>, u64> = BTreeMap::new();
        if self.summarize(key).total() > 0 {
            let tree = self
                .repo
                .repo
                .find_tree(oid)
                .with_context(|| format!("reading tree {oid} ({})", display_dir(&path)))?;
            for e in tree.iter() {
                let name = String::from_utf8_lossy(e.name_bytes());
                let rel = if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}/{name}")
                };
                match self.entry(&name, &rel, &e) {
                    Entry::Skip | Entry::Symlink => {}
                    Entry::Dir => {
                        let child = self.attribute(rel, e.id(), layout)?;
                        for (c, n) in child.iter() {
                            *out.entry(*c).or_default() += n;
                        }
                    }
                    Entry::File(blob) => {
                        let n: u64 = self
                            .counted
                            .get(&blob)
                            .map_or(0, |c| c.iter().map(|(_, n)| n).sum());
                        if n > 0 {
                            *out.entry(layout.component_of(&rel)).or_default() += n;
                        }
                    }
                }
            }
        }
        let out = Rc::new(out);
        self.attributed.insert(memo_key, Rc::clone(&out));
        Ok(out)
    }

    /// The problems of every file of one commit (the last sample's are reported), sorted.
    /// Walks that commit's tree again to name the files.
    pub fn problems(&self, commit: &Commit) -> Result<Vec<Problem>> {
        let mut out = Vec::new();
        self.walk(commit, |name, rel, e| {
            match self.entry(name, rel, e) {
                Entry::Skip => {}
                Entry::Dir => return true,
                Entry::Symlink => out.push(Problem {
                    file: rel.to_string(),
                    line: None,
                    reason: SkipReason::Symlink,
                    detail: "symbolic link not followed".to_string(),
                }),
                Entry::File(blob) => {
                    let found = self.results.get(&blob);
                    for p in found.map(|r| r.problems.as_slice()).unwrap_or(&[]) {
                        out.push(Problem {
                            file: rel.to_string(),
                            line: p.line,
                            reason: p.reason,
                            detail: p.detail.clone(),
                        });
                    }
                }
            }
            false
        })?;
        out.sort();
        Ok(out)
    }
}

/// The index of `table` in `tables`, added if new (a finding always names a configured
/// table, so this is a lookup in practice).
fn table_index(tables: &mut Vec<String>, table: &str) -> usize {
    match tables.iter().position(|t| t == table) {
        Some(i) => i,
        None => {
            tables.push(table.to_string());
            tables.len() - 1
        }
    }
}

/// Number of access kinds: the stride of the flat per-table counters.
const ACCESSES: usize = Access::ALL.len();

fn access_index(access: Access) -> usize {
    Access::ALL.iter().position(|a| *a == access).unwrap_or(0)
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
