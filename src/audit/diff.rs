//! Git facts for the audit, read from the object database and the working tree with git2:
//! which lines changed since a revision (`--changed-since`), and where files the baseline
//! knows have moved (`git mv`, followed with git's rename detection). Nothing here checks
//! out, writes the index or touches the working tree.

use anyhow::{Context, Result, bail};
use git2::{Delta, DiffFindOptions, DiffOptions, Repository};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A repository and where the scanned root sits inside its working tree.
pub struct Git {
    repo: Repository,
    /// The root relative to the working tree, `/`-separated with a trailing `/`, or empty.
    prefix: String,
}

/// Lines added or changed since a revision, per file relative to the scanned root.
/// Changes of whitespace only do not count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedLines {
    pub files: BTreeMap<String, BTreeSet<u32>>,
    /// Files whose old version could not be read (its blob is missing from a partial or
    /// broken clone): every line counts as changed, and `missing` says why.
    pub whole: BTreeSet<String>,
    /// (file, what is missing): one warning each.
    pub missing: Vec<(String, String)>,
}

impl ChangedLines {
    pub fn contains(&self, file: &str, line: u32) -> bool {
        self.touches(file, line, line)
    }

    /// Whether any line of `first..=last` changed.
    pub fn touches(&self, file: &str, first: u32, last: u32) -> bool {
        self.whole.contains(file)
            || self
                .files
                .get(file)
                .is_some_and(|l| l.range(first..=last.max(first)).next().is_some())
    }
}

impl Git {
    /// Open the repository that contains `root`, if there is one.
    pub fn open(root: &Path) -> Result<Option<Git>> {
        let root = std::fs::canonicalize(root)
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        let dir = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or(root)
        } else {
            root
        };
        let repo = match Repository::discover(&dir) {
            Ok(r) => r,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => {
                return Err(crate::git::explain(e)).with_context(|| {
                    format!("cannot open the git repository of {}", dir.display())
                });
            }
        };
        let Some(workdir) = repo.workdir() else {
            return Ok(None);
        };
        let workdir = std::fs::canonicalize(workdir)
            .with_context(|| format!("cannot resolve {}", workdir.display()))?;
        let prefix = match dir.strip_prefix(&workdir) {
            Ok(rel) if rel.as_os_str().is_empty() => String::new(),
            Ok(rel) => format!("{}/", crate::discover::relative(Path::new(""), rel)),
            Err(_) => return Ok(None),
        };
        Ok(Some(Git { repo, prefix }))
    }

    /// A path of the working tree as a path relative to the scanned root, if inside it.
    fn to_root(&self, path: &Path) -> Option<String> {
        let p = crate::discover::relative(Path::new(""), path);
        p.strip_prefix(&self.prefix).map(str::to_string)
    }

    fn tree_of(&self, rev: &str) -> Result<git2::Tree<'_>> {
        let object = match self.repo.revparse_single(rev) {
            Ok(o) => o,
            Err(e) => {
                if self.repo.is_shallow() {
                    bail!(
                        "revision `{rev}` is not in this shallow clone ({}): fetch more history with \
                         `git fetch --deepen=100` (or `git fetch --unshallow`), or fetch the revision itself \
                         with `git fetch origin {rev}`; in GitHub Actions set `fetch-depth: 0` on \
                         actions/checkout",
                        e.message()
                    );
                }
                return Err(crate::git::explain(e))
                    .with_context(|| format!("unknown git revision `{rev}`"));
            }
        };
        // Like `git diff REF...`: compare with the point where HEAD left REF, so that what
        // REF gained since (e.g. a newer main) does not count as this branch's change.
        if let Ok(commit) = object.peel_to_commit()
            && let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit())
        {
            // No merge base (unrelated histories, or a shallow clone that holds REF but not
            // the history in between, as CI checkouts of a pull request's merge commit do):
            // compare with REF itself.
            if let Ok(base) = self.repo.merge_base(commit.id(), head.id()) {
                return self
                    .repo
                    .find_commit(base)
                    .and_then(|c| c.tree())
                    .map_err(crate::git::explain)
                    .with_context(|| format!("reading the merge base of `{rev}` and HEAD"));
            }
        }
        object
            .peel_to_tree()
            .map_err(crate::git::explain)
            .with_context(|| format!("git revision `{rev}` does not name a commit or tree"))
    }

    /// Diff a tree against the working tree (staged and unstaged changes, untracked files
    /// included), with renames detected.
    fn diff_to_workdir(&self, tree: &git2::Tree<'_>, lines: bool) -> Result<git2::Diff<'_>> {
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .show_untracked_content(lines)
            .ignore_submodules(true)
            .context_lines(0);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        let mut diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(tree), Some(&mut opts))
            .map_err(crate::git::explain)
            .context("cannot diff against the working tree")?;
        let mut find = DiffFindOptions::new();
        // Above git's default limit of 1000 candidates, so that moving a whole directory
        // of migrations is still seen as a move.
        find.renames(true).for_untracked(true).rename_limit(10_000);
        diff.find_similar(Some(&mut find))
            .map_err(crate::git::explain)
            .context("git rename detection failed")?;
        Ok(diff)
    }

    /// The lines added or changed in the working tree since `rev`, whitespace-only changes
    /// left out. A renamed file keeps its unchanged lines; an untracked file is all new. A
    /// file whose old blob is missing (a partial or broken clone) is a warning naming the
    /// blob, and all of it counts as changed: the run goes on.
    pub fn changed_lines(&self, rev: &str) -> Result<ChangedLines> {
        let tree = self.tree_of(rev)?;
        let diff = match self.diff_to_workdir(&tree, false) {
            Ok(d) => d,
            // Rename detection reads old blobs; without them, compare path by path.
            Err(_) => self.diff_without_renames(&tree)?,
        };
        let workdir = self
            .repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut out = ChangedLines::default();
        for delta in diff.deltas() {
            let Some(path) = delta.new_file().path() else {
                continue;
            };
            let Some(rel) = self.to_root(path) else {
                continue;
            };
            let new = match std::fs::read(workdir.join(path)) {
                Ok(bytes) => bytes,
                Err(_) => continue, // deleted, or not a file: no lines
            };
            match delta.status() {
                Delta::Added | Delta::Untracked => {
                    let breaks = new.iter().filter(|b| **b == b'\n').count();
                    let n = (breaks + usize::from(new.last().is_some_and(|b| *b != b'\n'))) as u32;
                    out.files.entry(rel).or_default().extend(1..=n);
                }
                Delta::Deleted | Delta::Ignored | Delta::Unreadable => {}
                _ => {
                    let old_id = delta.old_file().id();
                    match self.repo.find_blob(old_id) {
                        Ok(old) => {
                            let lines = added_lines(&old, delta.old_file().path(), &new, path)?;
                            if !lines.is_empty() {
                                out.files.entry(rel).or_default().extend(lines);
                            }
                        }
                        Err(e) => {
                            out.missing.push((
                                rel.clone(),
                                format!(
                                    "its version at `{rev}` (blob {old_id}) is missing from this clone ({}); every line counts as changed",
                                    e.message()
                                ),
                            ));
                            out.whole.insert(rel);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn diff_without_renames(&self, tree: &git2::Tree<'_>) -> Result<git2::Diff<'_>> {
        let mut opts = DiffOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .ignore_submodules(true);
        if !self.prefix.is_empty() {
            opts.pathspec(&self.prefix);
        }
        self.repo
            .diff_tree_to_workdir_with_index(Some(tree), Some(&mut opts))
            .context("cannot diff against the working tree")
    }

    /// Renames since the commit that last changed `baseline` (and since HEAD), limited to
    /// the old paths in `missing` (root-relative paths the baseline has that are gone).
    pub fn renames(
        &self,
        missing: &BTreeSet<String>,
        baseline: &Path,
    ) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if missing.is_empty() {
            return Ok(out);
        }
        let mut bases = Vec::new();
        if let Some(commit) = self.last_commit_touching(baseline)? {
            bases.push(commit);
        }
        if let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit())
            && !bases.contains(&head.id())
        {
            bases.push(head.id());
        }
        for base in bases {
            let tree = self
                .repo
                .find_commit(base)
                .and_then(|c| c.tree())
                .map_err(crate::git::explain)
                .with_context(|| format!("reading commit {base}"))?;
            let diff = self.diff_to_workdir(&tree, false)?;
            for delta in diff.deltas() {
                if delta.status() != Delta::Renamed {
                    continue;
                }
                let (Some(old), Some(new)) = (delta.old_file().path(), delta.new_file().path())
                else {
                    continue;
                };
                if let (Some(old), Some(new)) = (self.to_root(old), self.to_root(new))
                    && missing.contains(&old)
                {
                    out.entry(old).or_insert(new);
                }
            }
        }
        Ok(out)
    }

    /// The newest commit on HEAD's first-parent chain whose version of `path` differs from
    /// its parent's: the commit the baseline was last written in. Bounded, so a huge history
    /// costs at most a few thousand tree lookups.
    fn last_commit_touching(&self, path: &Path) -> Result<Option<git2::Oid>> {
        const MAX_COMMITS: usize = 5000;
        let Some(workdir) = self.repo.workdir() else {
            return Ok(None);
        };
        let workdir = std::fs::canonicalize(workdir)?;
        let Ok(abs) = std::fs::canonicalize(path) else {
            return Ok(None);
        };
        let Ok(rel) = abs.strip_prefix(&workdir) else {
            return Ok(None);
        };
        let Ok(head) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(None);
        };
        let blob_at = |c: &git2::Commit<'_>| -> Option<git2::Oid> {
            c.tree().ok()?.get_path(rel).ok().map(|e| e.id())
        };
        let mut commit = head;
        for _ in 0..MAX_COMMITS {
            let here = blob_at(&commit);
            let Ok(parent) = commit.parent(0) else {
                return Ok(here.map(|_| commit.id()));
            };
            if here != blob_at(&parent) {
                return Ok(here.map(|_| commit.id()));
            }
            commit = parent;
        }
        Ok(None)
    }
}

/// The new-side numbers of the lines added between an old blob and new contents, whitespace
/// ignored.
fn added_lines(
    old: &git2::Blob<'_>,
    old_path: Option<&Path>,
    new: &[u8],
    new_path: &Path,
) -> Result<Vec<u32>> {
    let mut opts = DiffOptions::new();
    opts.ignore_whitespace(true).context_lines(0);
    let patch =
        git2::Patch::from_blob_and_buffer(old, old_path, new, Some(new_path), Some(&mut opts))
            .context("cannot diff a file against its old version")?;
    let mut out = Vec::new();
    for h in 0..patch.num_hunks() {
        for l in 0..patch.num_lines_in_hunk(h)? {
            let line = patch.line_in_hunk(h, l)?;
            if line.origin() == '+'
                && let Some(n) = line.new_lineno()
            {
                out.push(n);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn lines(n: usize, tag: &str) -> String {
        (1..=n).map(|i| format!("{tag} line {i}\n")).collect()
    }

    #[test]
    fn whitespace_only_changes_do_not_count() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("a.py"), "x = 1\ny = 2\nz = 3\n").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "one"]);
        std::fs::write(root.join("a.py"), "x = 1\ny  =  2\nz = 4\n").unwrap();
        let git = Git::open(root).unwrap().unwrap();
        let changed = git.changed_lines("HEAD").unwrap();
        assert_eq!(changed.files.get("a.py"), Some(&BTreeSet::from([3])));
        assert!(changed.touches("a.py", 2, 3) && !changed.touches("a.py", 1, 2));
    }

    #[test]
    fn a_missing_blob_is_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("a.py"), "x = 1\n").unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "one"]);
        std::fs::write(root.join("a.py"), "x = 2\n").unwrap();
        // Break the clone: remove the old blob's loose object.
        let out = std::process::Command::new("git")
            .args(["rev-parse", "HEAD:a.py"])
            .current_dir(root)
            .output()
            .unwrap();
        let oid = String::from_utf8(out.stdout).unwrap().trim().to_string();
        std::fs::remove_file(root.join(".git/objects").join(&oid[..2]).join(&oid[2..])).unwrap();
        let git = Git::open(root).unwrap().unwrap();
        let changed = git.changed_lines("HEAD").unwrap();
        assert!(changed.whole.contains("a.py"));
        assert_eq!(changed.missing.len(), 1);
        assert!(changed.missing[0].1.contains(&oid), "{:?}", changed.missing);
    }

    #[test]
    fn changed_lines_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        std::fs::write(root.join("a.py"), lines(5, "a")).unwrap();
        std::fs::write(root.join("c.py"), lines(20, "c")).unwrap();
        std::fs::write(root.join("same.py"), lines(3, "s")).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "one"]);

        // a.py: line 3 changed, a line appended; b.py: untracked; c.py moved, line 10 changed.
        let mut a: Vec<String> = lines(5, "a").lines().map(str::to_string).collect();
        a[2] = "a line 3 changed".into();
        a.push("a line 6 new".into());
        std::fs::write(root.join("a.py"), a.join("\n") + "\n").unwrap();
        std::fs::write(root.join("b.py"), lines(2, "b")).unwrap();
        std::fs::create_dir(root.join("moved")).unwrap();
        git(root, &["mv", "c.py", "moved/d.py"]);
        let mut d: Vec<String> = lines(20, "c").lines().map(str::to_string).collect();
        d[9] = "c line 10 changed".into();
        std::fs::write(root.join("moved/d.py"), d.join("\n") + "\n").unwrap();

        let git = Git::open(root).unwrap().unwrap();
        let changed = git.changed_lines("HEAD").unwrap();
        let of = |f: &str| changed.files.get(f).cloned().unwrap_or_default();
        assert_eq!(of("a.py"), BTreeSet::from([3, 6]));
        assert_eq!(of("b.py"), BTreeSet::from([1, 2]));
        assert_eq!(of("moved/d.py"), BTreeSet::from([10]));
        assert!(of("same.py").is_empty());
        assert!(changed.contains("a.py", 6) && !changed.contains("a.py", 5));

        let missing = BTreeSet::from(["c.py".to_string(), "gone.py".to_string()]);
        let renames = git
            .renames(&missing, &root.join("no-baseline.json"))
            .unwrap();
        assert_eq!(
            renames,
            BTreeMap::from([("c.py".into(), "moved/d.py".into())])
        );
    }

    #[test]
    fn changes_are_counted_from_where_the_branch_left_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        std::fs::write(root.join("a.py"), lines(4, "a")).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "one"]);
        git(root, &["checkout", "-q", "-b", "feature"]);
        std::fs::write(root.join("b.py"), lines(1, "b")).unwrap();
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "feature"]);
        // main moves on and rewrites a.py's line 2; the feature branch never touched it.
        git(root, &["checkout", "-q", "main"]);
        let mut a: Vec<String> = lines(4, "a").lines().map(str::to_string).collect();
        a[1] = "a line 2 fixed on main".into();
        std::fs::write(root.join("a.py"), a.join("\n") + "\n").unwrap();
        git(root, &["commit", "-q", "-am", "main moves on"]);
        git(root, &["checkout", "-q", "feature"]);

        let git = Git::open(root).unwrap().unwrap();
        let changed = git.changed_lines("main").unwrap();
        assert_eq!(
            changed.files,
            BTreeMap::from([("b.py".to_string(), BTreeSet::from([1]))])
        );
    }

    #[test]
    fn not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Git::open(dir.path()).unwrap().is_none());
    }
}
