//! History: the first-parent chain of a revision, read from the git object database (no
//! checkout, the working tree is never touched). Input: the scanned path and a revision;
//! output: the repository handle, where the scanned path sits inside it, and the commits
//! oldest first. Sampling and scanning are left to `burndown` and `scan`.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};

/// One commit of the first-parent chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub id: Oid,
    /// Committer time: when the change reached the branch.
    pub date: DateTime<Utc>,
}

/// An opened repository and the scanned directory inside it.
pub struct Repo {
    pub repo: Repository,
    /// The git directory, for opening one handle per worker thread (`Repository` is not `Sync`).
    pub git_dir: PathBuf,
    /// The scanned path relative to the work tree, `/`-separated, empty for the whole tree.
    pub prefix: String,
    /// Where `.cutover/` goes: the work tree, or the git directory when there is none.
    pub home: PathBuf,
}

/// Open the repository containing `root` (a work tree, a directory inside one, or a bare
/// repository).
pub fn open(root: &Path) -> Result<Repo> {
    let repo = Repository::discover(root)
        .map_err(crate::git::explain)
        .with_context(|| format!("{} is not inside a git repository", root.display()))?;
    let git_dir = repo.path().to_path_buf();
    let root = std::fs::canonicalize(root)
        .with_context(|| format!("cannot resolve {}", root.display()))?;
    // A git directory given as PATH is the whole repository, even when libgit2 guesses a
    // work tree around it (a bare mirror without `core.bare`).
    let in_git_dir = std::fs::canonicalize(&git_dir).is_ok_and(|g| root.starts_with(g));
    let prefix = match repo.workdir() {
        _ if in_git_dir => String::new(),
        None => String::new(),
        Some(workdir) => {
            let workdir = std::fs::canonicalize(workdir)
                .with_context(|| format!("cannot resolve {}", workdir.display()))?;
            let rel = root.strip_prefix(&workdir).unwrap_or(Path::new(""));
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            parts.join("/")
        }
    };
    let home = match repo.workdir() {
        Some(workdir) if !in_git_dir => workdir.to_path_buf(),
        _ => git_dir.clone(),
    };
    Ok(Repo {
        repo,
        git_dir,
        prefix,
        home,
    })
}

/// Which part of the first-parent chain to walk.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// Keep commits on or after this day (UTC).
    pub since: Option<NaiveDate>,
    /// Keep only the most recent N commits.
    pub last: Option<usize>,
}

/// The first-parent chain of `rev`, oldest first, cut to `range`.
pub fn first_parent(repo: &Repository, rev: &str, range: &Range) -> Result<Vec<Commit>> {
    let explain = crate::git::explain;
    let start = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(explain)
        .with_context(|| format!("cannot resolve revision `{rev}` to a commit"))?;
    let mut walk = repo.revwalk().map_err(explain)?;
    walk.push(start.id()).map_err(explain)?;
    walk.simplify_first_parent().map_err(explain)?;
    // Newest first, so `--commits N` can stop early.
    walk.set_sorting(git2::Sort::NONE).map_err(explain)?;
    let since = range
        .since
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    let mut commits = Vec::new();
    for oid in walk {
        let oid = oid.map_err(explain).context("reading the commit history")?;
        let commit = repo
            .find_commit(oid)
            .map_err(explain)
            .with_context(|| format!("reading commit {oid}"))?;
        let Some(date) = DateTime::from_timestamp(commit.time().seconds(), 0) else {
            bail!("commit {oid} has an out-of-range date");
        };
        // Committer dates on one chain can go backwards (rebases, clock skew): filter, do
        // not stop at the first old one.
        if since.is_some_and(|s| date < s) {
            continue;
        }
        commits.push(Commit { id: oid, date });
        if range.last.is_some_and(|n| commits.len() >= n) {
            break;
        }
    }
    commits.reverse();
    Ok(commits)
}

/// The id and committer date of `HEAD` in the repository containing `root`, if any: what
/// `audit --record` stamps its line with.
pub fn head(root: &Path) -> Option<(String, DateTime<Utc>)> {
    let repo = Repository::discover(root).ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    let date = DateTime::from_timestamp(commit.time().seconds(), 0)?;
    Some((commit.id().to_string(), date))
}
