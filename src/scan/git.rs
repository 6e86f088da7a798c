//! The scan over git history: the trees of sampled commits in, reference counts per commit
//! out. Files are blobs read from the object database and scanned with the same per-file
//! functions as the work tree (`extract::scan_bytes`, `orm::declarations`, same language
//! detection, `scan.exclude`, hidden and size rules), so a commit counts what `inventory`
//! of a checkout of it finds.
//!
//! Nothing is scanned twice. Directory listings are kept per (path, tree id), so an
//! unchanged directory is not listed again. A blob's result is kept per blob id and scan
//! context: the table-only context, or one context per distinct model index, because the
//! ORM pass resolves usages through the models of the commit. The model index of a commit
//! is built from the declarations of its files that can declare a model (parsed once per
//! (path, blob)), and only rebuilt when that set of files changes; blobs are rescanned under
//! a new index only when they name a legacy table or model (the gate), the rest keep their
//! table-only result.
//!
//! Phases: list the trees of every sampled commit (serial, cheap); scan new blobs with the
//! table-only context, noting which can declare a model (parallel, one repository handle per
//! worker since `Repository` is not `Sync`; the versions of one path in history order on one
//! worker, each parsed incrementally from the previous one); build each commit's model
//! index; rescan the gated blobs of each index's commits; add up per commit. The naive mode
//! forgets everything between commits, for the benchmark.

use crate::burndown::history::{Commit, Repo};
use crate::burndown::{Counts, WalkStats};
use crate::config::Config;
use crate::discover::language_of;
use crate::extract::{self, ScanContext};
use crate::lang;
use crate::model::{Access, Finding, Language, Problem, SkipReason, sort_findings};
use crate::orm::{self, FileDecls, ModelIndex};
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
use std::sync::Arc;

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

/// What scanning one blob in one context found: references per (table, access), and
/// problems. It does not depend on the file's path, which is what makes caching by blob id
/// sound.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobResult {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<(String, Access, u64)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<BlobProblem>,
    /// Whether the blob can declare a model (at the path it was first seen at): its
    /// declarations join the model index of every commit that holds it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declares: bool,
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
            declares: false,
        }
    }
}

/// The context a result was computed in: 0 is the table-only context, then one per model
/// index that changes what pass 2 finds.
type CtxId = u32;
const TABLE_ONLY: CtxId = 0;

/// Where a result holds: a blob, a context and a path id. In the table-only context a
/// result depends only on the blob (the path id is 0); under a model index it depends on
/// the path too, since imports resolve relative to the file (`from .models import Order`).
type Slot = (BlobKey, CtxId, u32);

/// A file at a path: (path id, blob id).
type PathBlob = (u32, Oid);

/// References per component index of a `Layout` (`None`: outside every component).
type PerComponent = BTreeMap<Option<usize>, u64>;

/// A directory: a path id (0 unless `scan.exclude` makes results depend on the path) and its
/// tree id. Without exclude globs, identical trees at different paths share one entry.
type TreeKey = (u32, Oid);

/// One directory listing, reduced to what the counts need: entry names (interned) and what
/// they are.
#[derive(Debug, Default)]
struct Node {
    files: Vec<(u32, BlobKey)>,
    dirs: Vec<(u32, TreeKey)>,
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
#[derive(Debug, Clone)]
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

    fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
}

/// A scan context beyond the table-only one: the model index of some commits.
struct Epoch {
    ctx: ScanContext,
    /// The digest that names this context in the disk cache.
    digest: String,
}

/// The model index of one set of declaring files.
struct IndexState {
    /// The context pass 2 runs in for commits with this index.
    ctx: CtxId,
    /// Declaration findings of legacy models: (table, access, file).
    declarations: Vec<(String, Access, String)>,
}

/// Scans sampled commits, remembering what it has seen.
pub struct Scanner<'a> {
    repo: &'a Repo,
    config: &'a Config,
    table_only: ScanContext,
    rules: Rules,
    progress: ProgressBar,
    nodes: IdMap<TreeKey, Node>,
    results: IdMap<Slot, BlobResult>,
    /// Disk-cache entries by key (`oid:language[@digest]`), not used yet.
    from_disk: BTreeMap<String, BlobResult>,
    /// Results computed in this run: what the disk cache gains.
    scanned: IdSet<Slot>,
    /// The path each new blob was first seen at (its declarations are taken there), and
    /// when (its place in history order, for incremental parsing).
    first_path: IdMap<BlobKey, (String, usize)>,
    /// Blobs that can declare a model.
    declaring_blobs: IdSet<BlobKey>,
    /// Blobs that name a legacy table, whose table-only scan waits until a commit in the
    /// table-only context needs it (under a model index they are scanned in that context
    /// instead, so an ORM repository parses them once, not twice).
    deferred: IdSet<BlobKey>,
    /// Declarations per (path id, blob), for blobs that can declare a model.
    decls: IdMap<(u32, Oid), Arc<FileDecls>>,
    /// Declaring files under a directory: (path id, tree id) → (path id, blob) sorted.
    declaring: IdMap<(u32, Oid), Rc<Vec<PathBlob>>>,
    /// Model indexes by the digest of their declaring files.
    indexes: HashMap<u64, IndexState>,
    epochs: Vec<Epoch>,
    /// The context of each model index digest seen (many indexes share one).
    contexts: HashMap<String, CtxId>,
    /// Per (tree key's path id, or the real path id under a model index; tree; context).
    summaries: IdMap<(u32, Oid, CtxId), Rc<Summary>>,
    attributed: IdMap<(u32, Oid, CtxId), Rc<PerComponent>>,
    /// The blobs with references per slot, as (`Summary::by_table` index, count).
    counted: IdMap<Slot, Vec<(usize, u64)>>,
    /// Table names as findings report them; `Summary::by_table` indexes into this.
    tables: Vec<String>,
    names: Interner,
    paths: Interner,
    stats: WalkStats,
}

/// What `run` found per commit and where it stands after the last one.
struct Sampled {
    root: Option<TreeKey>,
    /// The commit's declaring files' index (its `indexes` key).
    index: u64,
}

impl<'a> Scanner<'a> {
    pub fn new(repo: &'a Repo, config: &'a Config, rules: Rules, progress: ProgressBar) -> Self {
        let mut paths = Interner::default();
        // Id 0 is the scanned root, and every directory when paths do not matter.
        paths.id("");
        Scanner {
            repo,
            config,
            table_only: ScanContext::new(config),
            rules,
            progress,
            nodes: IdMap::default(),
            results: IdMap::default(),
            from_disk: BTreeMap::new(),
            scanned: IdSet::default(),
            first_path: IdMap::default(),
            declaring_blobs: IdSet::default(),
            deferred: IdSet::default(),
            decls: IdMap::default(),
            declaring: IdMap::default(),
            indexes: HashMap::new(),
            epochs: Vec::new(),
            contexts: HashMap::new(),
            summaries: IdMap::default(),
            attributed: IdMap::default(),
            counted: IdMap::default(),
            tables: config
                .tables
                .tables()
                .iter()
                .map(|t| t.display.clone())
                .collect(),
            names: Interner::default(),
            paths,
            stats: WalkStats::default(),
        }
    }

    /// Results from the on-disk cache, by key: blobs found there are not scanned again.
    pub fn preload(&mut self, results: BTreeMap<String, BlobResult>) {
        self.from_disk = results;
    }

    /// The results computed in this run, by disk-cache key, sorted.
    pub fn new_results(&self) -> BTreeMap<String, BlobResult> {
        self.scanned
            .iter()
            .filter_map(|k| {
                let result = self.results.get(k)?;
                Some((self.cache_key(*k), result.clone()))
            })
            .collect()
    }

    pub fn stats(&self) -> &WalkStats {
        &self.stats
    }

    fn cache_key(&self, (blob, ctx, path): Slot) -> String {
        let base = format!("{}:{}", blob.oid, blob.language.as_str());
        match ctx {
            TABLE_ONLY => base,
            n => format!(
                "{base}@{}:{}",
                self.epochs[n as usize - 1].digest,
                self.paths.name(path)
            ),
        }
    }

    /// The slot of `blob` at `path` in context `ctx`.
    fn slot(&mut self, blob: BlobKey, ctx: CtxId, path: &str) -> Slot {
        match ctx {
            TABLE_ONLY => (blob, ctx, 0),
            _ => (blob, ctx, self.paths.id(path)),
        }
    }

    /// The context scan results are computed in.
    fn ctx(&self, id: CtxId) -> &ScanContext {
        match id {
            TABLE_ONLY => &self.table_only,
            n => &self.epochs[n as usize - 1].ctx,
        }
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
        self.progress.set_length(commits.len() as u64);
        if naive {
            self.progress.set_message("scanning commits");
            let mut out = Vec::with_capacity(commits.len());
            for root in &roots {
                self.forget();
                let sampled = self.sample(std::slice::from_ref(root), false)?;
                out.push(self.count_commit(&sampled[0], *root, layout)?);
                self.progress.inc(1);
            }
            return Ok(out);
        }
        let sampled = self.sample(&roots, true)?;
        let mut out = Vec::with_capacity(commits.len());
        for (s, root) in sampled.iter().zip(&roots) {
            out.push(self.count_commit(s, *root, layout)?);
        }
        Ok(out)
    }

    /// Forget every result (the naive benchmark baseline).
    fn forget(&mut self) {
        self.nodes.clear();
        self.results.clear();
        self.counted.clear();
        self.summaries.clear();
        self.attributed.clear();
        self.first_path.clear();
        self.declaring_blobs.clear();
        self.deferred.clear();
        self.decls.clear();
        self.declaring.clear();
        self.indexes.clear();
        self.epochs.clear();
        self.contexts.clear();
    }

    /// List, scan and index the given commit roots: after this, every blob of every root
    /// has a result in its commit's context.
    fn sample(&mut self, roots: &[Option<Oid>], reuse: bool) -> Result<Vec<Sampled>> {
        self.progress.set_message("reading trees");
        let mut pending = IdMap::default();
        let mut keys = Vec::with_capacity(roots.len());
        for root in roots {
            keys.push(match root {
                Some(oid) => Some(self.read_trees(*oid, &mut pending)?),
                None => None,
            });
            self.progress.inc(1);
        }
        self.read_new_blobs(pending, reuse);
        let mut sampled = Vec::with_capacity(roots.len());
        let mut by_ctx: BTreeMap<CtxId, Vec<TreeKey>> = BTreeMap::new();
        for (key, root) in keys.into_iter().zip(roots) {
            let index = match root {
                Some(oid) => self.index_of(*oid)?,
                None => 0,
            };
            let ctx = self.indexes.get(&index).map_or(TABLE_ONLY, |s| s.ctx);
            if let Some(key) = key {
                by_ctx.entry(ctx).or_default().push(key);
            }
            sampled.push(Sampled { root: key, index });
        }
        for (ctx, roots) in by_ctx {
            match ctx {
                TABLE_ONLY => self.scan_deferred(&roots, reuse),
                _ => self.scan_in_context(ctx, &roots, reuse),
            }
        }
        Ok(sampled)
    }

    /// The counts of one sampled commit.
    fn count_commit(
        &mut self,
        sampled: &Sampled,
        root: Option<Oid>,
        layout: Option<&Layout>,
    ) -> Result<Counts> {
        let state = self.indexes.get(&sampled.index);
        let ctx = state.map_or(TABLE_ONLY, |s| s.ctx);
        let declarations = state.map(|s| s.declarations.clone()).unwrap_or_default();
        let mut counts = self.total(sampled.root, ctx);
        for (table, access, _) in &declarations {
            *counts.by_table.entry((table.clone(), *access)).or_default() += 1;
        }
        if let (Some(layout), Some(oid)) = (layout, root) {
            counts.by_component = self.by_component(oid, ctx, layout)?;
            for (_, _, file) in &declarations {
                let name = match layout.component_of(file) {
                    Some(i) => layout.components[i].name.clone(),
                    None => ROOT_NAME.to_string(),
                };
                *counts.by_component.entry(name).or_default() += 1;
            }
        }
        Ok(counts)
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

    /// List every directory under `root` not listed before; blobs without a table-only
    /// result go to `pending` (with a file name for the extractor, and the path they were
    /// first seen at).
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
                        node.dirs.push((self.names.id(&name), child));
                        stack.push((child, child_path));
                    }
                    Entry::File(blob) => {
                        let slot = (blob, TABLE_ONLY, 0);
                        if !self.results.contains_key(&slot) && !self.take_from_disk(slot) {
                            let seq = pending.len();
                            pending.entry(blob).or_insert_with(|| Pending {
                                name: name.to_string(),
                                path: join(&name),
                                seq,
                            });
                        }
                        node.files.push((self.names.id(&name), blob));
                    }
                }
            }
            self.nodes.insert(key, node);
        }
        Ok(root_key)
    }

    /// Move a disk-cache entry into the results, if there is one.
    fn take_from_disk(&mut self, slot: Slot) -> bool {
        if self.from_disk.is_empty() {
            return false;
        }
        let Some(result) = self.from_disk.remove(&self.cache_key(slot)) else {
            return false;
        };
        self.stats.blobs_from_disk_cache += 1;
        if result.declares {
            self.declaring_blobs.insert(slot.0);
        }
        self.store(slot, result);
        true
    }

    /// Read pending blobs once: note which can declare a model (and take their
    /// declarations at the path they were first seen at), and give those that name no
    /// legacy table their (empty) table-only result; the others are deferred.
    fn read_new_blobs(&mut self, pending: IdMap<BlobKey, Pending>, reuse: bool) {
        self.progress.set_position(0);
        self.progress.set_length(pending.len() as u64);
        self.progress.set_message("reading blobs");
        let items: Vec<(BlobKey, Pending)> = pending.into_iter().collect();
        let ctx = &self.table_only;
        let config = self.config;
        let max = self.rules.max_file_size;
        let done = self.in_parallel(&items, reuse, |repo, key, item| {
            match read_blob(repo, key, max) {
                Ok(blob) => {
                    let decls = declarations_of(config, key, &item.path, &blob);
                    let result = (!gated(blob.content(), key.language, ctx))
                        .then(|| scan_blob(&blob, key, &item.name, ctx));
                    (result, decls)
                }
                Err(problem) => (Some(problem), None),
            }
        });
        for ((key, item), (result, decls)) in items.into_iter().zip(done) {
            if let Some(decls) = decls {
                let path = self.paths.id(&item.path);
                self.decls.insert((path, key.oid), Arc::new(decls));
                self.declaring_blobs.insert(key);
            }
            self.first_path.insert(key, (item.path, item.seq));
            match result {
                Some(mut result) => {
                    self.stats.blobs_scanned += 1;
                    result.declares = self.declaring_blobs.contains(&key);
                    self.scanned.insert((key, TABLE_ONLY, 0));
                    self.store((key, TABLE_ONLY, 0), result);
                }
                None => {
                    self.deferred.insert(key);
                }
            }
        }
    }

    /// Scan the deferred blobs under `roots` (commits in the table-only context).
    fn scan_deferred(&mut self, roots: &[TreeKey], reuse: bool) {
        if self.deferred.is_empty() {
            return;
        }
        let mut blobs: Vec<BlobKey> = Vec::new();
        let mut seen: IdSet<TreeKey> = IdSet::default();
        let mut stack: Vec<TreeKey> = roots.to_vec();
        while let Some(key) = stack.pop() {
            if !seen.insert(key) {
                continue;
            }
            if let Some(node) = self.nodes.get(&key) {
                blobs.extend(
                    node.files
                        .iter()
                        .map(|(_, b)| *b)
                        .filter(|b| self.deferred.contains(b)),
                );
                stack.extend(node.dirs.iter().map(|(_, d)| *d));
            }
        }
        blobs.sort_unstable();
        blobs.dedup();
        let items: Vec<(BlobKey, Pending)> = blobs
            .into_iter()
            .map(|b| {
                let (path, seq) = self.first_path.get(&b).cloned().unwrap_or_default();
                let name = path.rsplit('/').next().unwrap_or(&path).to_string();
                (b, Pending { name, path, seq })
            })
            .collect();
        self.progress.set_position(0);
        self.progress.set_length(items.len() as u64);
        self.progress.set_message("scanning blobs");
        let ctx = &self.table_only;
        let max = self.rules.max_file_size;
        let done = self.in_parallel(&items, reuse, |repo, key, item| {
            match read_blob(repo, key, max) {
                Ok(blob) => scan_blob(&blob, key, &item.name, ctx),
                Err(problem) => problem,
            }
        });
        for ((key, _), mut result) in items.into_iter().zip(done) {
            self.stats.blobs_scanned += 1;
            self.deferred.remove(&key);
            result.declares = self.declaring_blobs.contains(&key);
            self.scanned.insert((key, TABLE_ONLY, 0));
            self.store((key, TABLE_ONLY, 0), result);
        }
    }

    /// Run `work` over `items` in parallel: chunks of them, each with its own repository
    /// handle (its object caches stay warm along the chunk). With `reuse`, the versions of
    /// one path are scanned in the order they were found (history order) by one worker,
    /// each parsed incrementally from the previous one: a changed file's parse costs about
    /// its change. Results do not depend on the order (see `lang::Reuse`), only the time
    /// does. Results come back in `items` order.
    fn in_parallel<R: Send>(
        &self,
        items: &[(BlobKey, Pending)],
        reuse: bool,
        work: impl Fn(Result<&Repository, &git2::Error>, BlobKey, &Pending) -> R + Sync,
    ) -> Vec<R> {
        let git_dir = &self.repo.git_dir;
        let bar = &self.progress;
        let mut order: Vec<usize> = (0..items.len()).collect();
        if reuse {
            order.sort_unstable_by(|&a, &b| {
                (&items[a].1.path, items[a].1.seq).cmp(&(&items[b].1.path, items[b].1.seq))
            });
        } else {
            order.sort_unstable_by_key(|&i| items[i].0);
        }
        let chunks = chunk_by_path(&order, items, reuse);
        let done: Vec<Vec<(usize, R)>> = chunks
            .par_iter()
            .map(|chunk| {
                let repo = Repository::open(git_dir);
                let _memo = reuse.then(crate::sql::Memo::start);
                let mut out = Vec::new();
                for group in chunk {
                    let _reuse = reuse.then(lang::Reuse::start);
                    for &i in *group {
                        let (key, item) = &items[i];
                        out.push((i, work(repo.as_ref(), *key, item)));
                        bar.inc(1);
                    }
                }
                out
            })
            .collect();
        let mut all: Vec<(usize, R)> = done.into_iter().flatten().collect();
        all.sort_unstable_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, r)| r).collect()
    }

    /// Remember a result and its references for `summarize`.
    fn store(&mut self, slot: Slot, result: BlobResult) {
        if !result.counts.is_empty() {
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
            self.counted.insert(slot, counts);
        }
        self.results.insert(slot, result);
    }

    /// The digest of the declaring files of the tree `root` (its key in `indexes`), building
    /// that model index and its context the first time.
    fn index_of(&mut self, root: Oid) -> Result<u64> {
        let declaring = self.declaring_under(String::new(), root)?;
        let digest = {
            use std::hash::{Hash, Hasher};
            let mut h = std::hash::DefaultHasher::new();
            declaring.hash(&mut h);
            h.finish()
        };
        if !self.indexes.contains_key(&digest) {
            let state = self.build_index(&declaring)?;
            self.indexes.insert(digest, state);
        }
        Ok(digest)
    }

    /// Declaring files under the directory `tree` at `path`, memoised per (path, tree).
    fn declaring_under(&mut self, path: String, tree: Oid) -> Result<Rc<Vec<PathBlob>>> {
        let path_id = self.paths.id(&path);
        if let Some(done) = self.declaring.get(&(path_id, tree)) {
            return Ok(Rc::clone(done));
        }
        let key = if self.paths_matter() {
            (path_id, tree)
        } else {
            (0, tree)
        };
        let (files, dirs) = match self.nodes.get(&key) {
            Some(node) => (node.files.clone(), node.dirs.clone()),
            None => (Vec::new(), Vec::new()),
        };
        let mut out = Vec::new();
        for (name, blob) in files {
            if self.declaring_blobs.contains(&blob) {
                let rel = join(&path, self.names.name(name));
                out.push((self.paths.id(&rel), blob.oid));
            }
        }
        for (name, (_, child)) in dirs {
            let rel = join(&path, self.names.name(name));
            out.extend(self.declaring_under(rel, child)?.iter().copied());
        }
        out.sort_unstable_by(|a, b| self.paths.name(a.0).cmp(self.paths.name(b.0)));
        let out = Rc::new(out);
        self.declaring.insert((path_id, tree), Rc::clone(&out));
        Ok(out)
    }

    /// The model index of a set of declaring files (in path order, as the work tree's pass
    /// 1 sees them) and the context pass 2 runs in with it.
    fn build_index(&mut self, declaring: &[PathBlob]) -> Result<IndexState> {
        let mut files = Vec::with_capacity(declaring.len());
        for &(path, oid) in declaring {
            files.push(self.decls_at(path, oid)?);
        }
        let index = ModelIndex::build(files.iter().map(|d| (**d).clone()).collect(), self.config);
        let declarations = index
            .declaration_findings()
            .into_iter()
            .map(|f: Finding| (f.table, f.access, f.file))
            .collect();
        // Commits of one period mostly differ in code, not in models: building a context
        // (its prefilter) is the costly part, so it is built once per index digest.
        let digest = index.digest_without_positions();
        let id = match self.contexts.get(&digest) {
            Some(id) => *id,
            None => {
                let ctx = ScanContext::with_models(self.config, index, Vec::new());
                // An index without legacy models or naming conventions finds what the
                // table-only context finds: those commits share its results.
                let id = if ctx.parses_same_files_as(&self.table_only) {
                    TABLE_ONLY
                } else {
                    self.epochs.push(Epoch {
                        digest: context_digest(&ctx),
                        ctx,
                    });
                    self.epochs.len() as CtxId
                };
                self.contexts.insert(digest, id);
                id
            }
        };
        Ok(IndexState {
            ctx: id,
            declarations,
        })
    }

    /// The declarations of the blob `oid` at `path`: taken when the blob was scanned at its
    /// first path, read again for another path (a moved or copied model file).
    fn decls_at(&mut self, path: u32, oid: Oid) -> Result<Arc<FileDecls>> {
        if let Some(d) = self.decls.get(&(path, oid)) {
            return Ok(Arc::clone(d));
        }
        let rel = self.paths.name(path).to_string();
        let Some(language) = language_of(Path::new(&rel)) else {
            return Ok(Arc::default());
        };
        let key = BlobKey { oid, language };
        let decls = read_blob(Ok(&self.repo.repo), key, self.rules.max_file_size)
            .ok()
            .and_then(|blob| declarations_of(self.config, key, &rel, &blob))
            .unwrap_or_default();
        let decls = Arc::new(decls);
        self.decls.insert((path, oid), Arc::clone(&decls));
        Ok(decls)
    }

    /// Give every file under `roots` a result in context `ctx`: the blobs that name a
    /// legacy table or model there are scanned again (at their path); the others keep their
    /// table-only result.
    fn scan_in_context(&mut self, ctx: CtxId, roots: &[TreeKey], reuse: bool) {
        let mut files: Vec<(String, BlobKey)> = Vec::new();
        let mut seen: HashSet<(String, Oid)> = HashSet::new();
        let mut stack: Vec<(String, TreeKey)> = roots.iter().map(|r| (String::new(), *r)).collect();
        while let Some((path, key)) = stack.pop() {
            if !seen.insert((path.clone(), key.1)) {
                continue;
            }
            if let Some(node) = self.nodes.get(&key) {
                for (name, blob) in &node.files {
                    files.push((join(&path, self.names.name(*name)), *blob));
                }
                for (name, dir) in &node.dirs {
                    stack.push((join(&path, self.names.name(*name)), *dir));
                }
            }
        }
        files.sort_unstable();
        files.dedup();
        let mut items: Vec<(BlobKey, Pending)> = Vec::new();
        for (path, blob) in files {
            let slot = self.slot(blob, ctx, &path);
            if self.results.contains_key(&slot) || self.take_from_disk(slot) {
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let seq = self
                .first_path
                .get(&blob)
                .map_or(usize::MAX, |(_, seq)| *seq);
            items.push((blob, Pending { name, path, seq }));
        }
        self.progress.set_position(0);
        self.progress.set_length(items.len() as u64);
        self.progress.set_message("scanning with models");
        let context = self.ctx(ctx);
        let max = self.rules.max_file_size;
        let done = self.in_parallel(&items, reuse, |repo, key, item| {
            let Ok(blob) = read_blob(repo, key, max) else {
                return None;
            };
            gated(blob.content(), key.language, context)
                .then(|| scan_blob(&blob, key, &item.path, context))
        });
        for ((key, item), result) in items.into_iter().zip(done) {
            let result = match result {
                Some(mut r) => {
                    self.stats.blobs_rescanned += 1;
                    r.declares = self.declaring_blobs.contains(&key);
                    r
                }
                // Not gated in here, so not in the table-only context either: its result
                // (empty but for problems) holds.
                None => self
                    .results
                    .get(&(key, TABLE_ONLY, 0))
                    .cloned()
                    .unwrap_or_default(),
            };
            let slot = self.slot(key, ctx, &item.path);
            self.scanned.insert(slot);
            self.store(slot, result);
        }
    }

    /// Totals of one commit in context `ctx`; updates the file counters.
    fn total(&mut self, root: Option<TreeKey>, ctx: CtxId) -> Counts {
        let Some(root) = root else {
            return Counts::default();
        };
        let summary = self.summarize("", root, ctx);
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

    /// Totals of the directory `key` at `path` in context `ctx`. In the table-only context
    /// the path does not matter (unless exclude globs made it part of the key); under a
    /// model index it does.
    fn summarize(&mut self, path: &str, key: TreeKey, ctx: CtxId) -> Rc<Summary> {
        let memo = match ctx {
            TABLE_ONLY => (key.0, key.1, ctx),
            _ => (self.paths.id(path), key.1, ctx),
        };
        if let Some(s) = self.summaries.get(&memo) {
            return Rc::clone(s);
        }
        let mut summary = Summary::default();
        let (files, dirs) = match self.nodes.get(&key) {
            Some(node) => (node.files.clone(), node.dirs.clone()),
            None => (Vec::new(), Vec::new()),
        };
        for (name, blob) in files {
            summary.files += 1;
            let rel = if ctx == TABLE_ONLY {
                String::new()
            } else {
                join(path, self.names.name(name))
            };
            let slot = self.slot(blob, ctx, &rel);
            if let Some(counts) = self.counted.get(&slot) {
                for &(i, n) in counts {
                    summary.add(i, n);
                }
            }
        }
        for (name, dir) in dirs {
            let child_path = if ctx == TABLE_ONLY {
                String::new()
            } else {
                join(path, self.names.name(name))
            };
            let child = self.summarize(&child_path, dir, ctx);
            summary.files += child.files;
            for (i, &n) in child.by_table.iter().enumerate() {
                if n > 0 {
                    summary.add(i, n);
                }
            }
        }
        let summary = Rc::new(summary);
        self.summaries.insert(memo, Rc::clone(&summary));
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
                let rel = join(&path, &name);
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
    fn by_component(
        &mut self,
        root: Oid,
        ctx: CtxId,
        layout: &Layout,
    ) -> Result<BTreeMap<String, u64>> {
        let mut out = BTreeMap::new();
        let per_index = self.attribute(String::new(), root, ctx, layout)?;
        for (i, n) in per_index.iter() {
            let name = match i {
                Some(i) => layout.components[*i].name.clone(),
                None => ROOT_NAME.to_string(),
            };
            *out.entry(name).or_default() += n;
        }
        Ok(out)
    }

    fn attribute(
        &mut self,
        path: String,
        oid: Oid,
        ctx: CtxId,
        layout: &Layout,
    ) -> Result<Rc<PerComponent>> {
        let memo_key = (self.paths.id(&path), oid, ctx);
        if let Some(done) = self.attributed.get(&memo_key) {
            return Ok(Rc::clone(done));
        }
        let key = self.key_of(&path, oid);
        let mut out: BTreeMap<Option<usize>, u64> = BTreeMap::new();
        if self.summarize(&path, key, ctx).total() > 0 {
            let tree = self
                .repo
                .repo
                .find_tree(oid)
                .with_context(|| format!("reading tree {oid} ({})", display_dir(&path)))?;
            for e in tree.iter() {
                let name = String::from_utf8_lossy(e.name_bytes());
                let rel = join(&path, &name);
                match self.entry(&name, &rel, &e) {
                    Entry::Skip | Entry::Symlink => {}
                    Entry::Dir => {
                        let child = self.attribute(rel, e.id(), ctx, layout)?;
                        for (c, n) in child.iter() {
                            *out.entry(*c).or_default() += n;
                        }
                    }
                    Entry::File(blob) => {
                        let slot = self.slot(blob, ctx, &rel);
                        let n: u64 = self
                            .counted
                            .get(&slot)
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
    pub fn problems(&mut self, commit: &Commit) -> Result<Vec<Problem>> {
        let ctx = match self.root_of(commit)? {
            Some(root) => {
                let index = self.index_of(root)?;
                self.indexes.get(&index).map_or(TABLE_ONLY, |s| s.ctx)
            }
            None => TABLE_ONLY,
        };
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
                    let slot = match ctx {
                        TABLE_ONLY => (blob, ctx, 0),
                        _ => (
                            blob,
                            ctx,
                            self.paths.ids.get(rel).copied().unwrap_or(u32::MAX),
                        ),
                    };
                    let found = self.results.get(&slot);
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

/// Chunks of `order` for the workers: runs of one path stay together (with `reuse`), and
/// there are many chunks per worker, because the paths with SQL (the costly ones) tend to
/// sit side by side in one directory.
fn chunk_by_path<'o>(
    order: &'o [usize],
    items: &[(BlobKey, Pending)],
    reuse: bool,
) -> Vec<Vec<&'o [usize]>> {
    let mut groups: Vec<&[usize]> = Vec::new();
    let mut rest = order;
    while !rest.is_empty() {
        let len = if reuse {
            let path = &items[rest[0]].1.path;
            rest.iter()
                .take_while(|&&i| &items[i].1.path == path)
                .count()
        } else {
            1
        };
        let (group, tail) = rest.split_at(len);
        groups.push(group);
        rest = tail;
    }
    let target = order
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 16)
        .max(1);
    let mut chunks: Vec<Vec<&[usize]>> = Vec::new();
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
    chunks
}

/// A digest of what pass 2 sees in a context: its prefilter names and its model index
/// without positions (an edit above a model moves its line, not what code means by it).
fn context_digest(ctx: &ScanContext) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for name in ctx.prefilter_names() {
        h.update(name.as_bytes());
        h.update([0]);
    }
    h.update(ctx.models.digest_without_positions().as_bytes());
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether pass 2 parses these bytes in `ctx` (the same test `extract::scan_bytes` makes).
fn gated(bytes: &[u8], language: Language, ctx: &ScanContext) -> bool {
    let Ok(decoded) = extract::decode(bytes) else {
        return false;
    };
    let text = decoded.text.as_bytes();
    ctx.names_table_where_used(text, language) || ctx.may_name_model(text)
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}/{name}")
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

/// A blob's bytes, or the problem that keeps it from being scanned.
fn read_blob<'r>(
    repo: Result<&'r Repository, &git2::Error>,
    key: BlobKey,
    max_file_size: u64,
) -> Result<git2::Blob<'r>, BlobResult> {
    let repo = repo.map_err(|e| {
        BlobResult::problem(
            SkipReason::Unreadable,
            format!("cannot open the repository: {}", e.message()),
        )
    })?;
    let blob = repo.find_blob(key.oid).map_err(|e| {
        BlobResult::problem(
            SkipReason::Unreadable,
            format!("cannot read blob {}: {}", key.oid, e.message()),
        )
    })?;
    let size = blob.size() as u64;
    if size > max_file_size {
        return Err(BlobResult::problem(
            SkipReason::TooLarge,
            format!("{size} bytes, over scan.max_file_size ({max_file_size} bytes)"),
        ));
    }
    Ok(blob)
}

/// The declarations of a blob at `rel`, when it can declare a model there.
fn declarations_of(
    config: &Config,
    key: BlobKey,
    rel: &str,
    blob: &git2::Blob<'_>,
) -> Option<FileDecls> {
    let bytes = blob.content();
    if key.language == Language::Sql || !orm::may_declare(key.language, rel, bytes) {
        return None;
    }
    let text = extract::decode(bytes).ok()?.text;
    let catalog = crate::catalog::OrmCatalog::for_language(Language::Python, &config.orm);
    Some(orm::declarations(key.language, rel, &text, &catalog))
}

/// Scan one blob like `inventory` scans one file.
fn scan_blob(blob: &git2::Blob<'_>, key: BlobKey, rel: &str, ctx: &ScanContext) -> BlobResult {
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
        declares: false,
    }
}
