//! Refactors that read as progress: between two sampled commits, a file that named a legacy
//! table was deleted while a copy of it stayed (the same blob, or a file of the same name
//! whose lines are mostly the same). The references did not go away; they stopped being
//! counted twice. Input: the repository, the scanned prefix and two commits; output: the
//! (deleted, kept) pairs. Only git objects are read.

use git2::{Delta, ObjectType, Oid, Repository, Tree, TreeWalkMode, TreeWalkResult};
use std::collections::{BTreeMap, BTreeSet};

/// Lines shared (of the deleted file's distinct lines) for a file of the same name to be a
/// copy.
const SIMILAR: f64 = 0.8;

/// The files of a tree under `prefix`: path relative to the prefix → blob.
fn files(tree: &Tree<'_>, prefix: &str) -> BTreeMap<String, Oid> {
    let mut out = BTreeMap::new();
    let _ = tree.walk(TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() == Some(ObjectType::Blob) {
            let path = format!("{dir}{}", e.name().unwrap_or(""));
            let rel = if prefix.is_empty() {
                Some(path.as_str())
            } else {
                path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rel) = rel {
                out.insert(rel.to_string(), e.id());
            }
        }
        TreeWalkResult::Ok
    });
    out
}

fn lines(repo: &Repository, oid: Oid) -> Option<BTreeSet<String>> {
    let blob = repo.find_blob(oid).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

fn name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// (deleted, kept) pairs between `before` and `after` for files that mention one of
/// `tables` (lower-case).
pub fn moved_between_copies(
    repo: &Repository,
    prefix: &str,
    before: Oid,
    after: Oid,
    tables: &[String],
) -> Vec<(String, String)> {
    let tree = |c: Oid| repo.find_commit(c).and_then(|c| c.tree());
    let (Ok(old), Ok(new)) = (tree(before), tree(after)) else {
        return Vec::new();
    };
    let Ok(diff) = repo.diff_tree_to_tree(Some(&old), Some(&new), None) else {
        return Vec::new();
    };
    let kept = files(&new, prefix);
    let was = files(&old, prefix);
    let mut out = Vec::new();
    for delta in diff.deltas().filter(|d| d.status() == Delta::Deleted) {
        let Some(path) = delta.old_file().path().and_then(|p| p.to_str()) else {
            continue;
        };
        let rel = match prefix {
            "" => path,
            p => match path.strip_prefix(p).and_then(|r| r.strip_prefix('/')) {
                Some(r) => r,
                None => continue,
            },
        };
        let oid = delta.old_file().id();
        let Some(gone) = lines(repo, oid) else {
            continue;
        };
        let mentions = gone.iter().any(|l| {
            let l = l.to_ascii_lowercase();
            tables.iter().any(|t| l.contains(t.as_str()))
        });
        if !mentions {
            continue;
        }
        // A twin existed before too and is still there.
        let twin = kept.iter().find(|(p, k)| {
            was.contains_key(*p)
                && (**k == oid
                    || (name(p) == name(rel)
                        && lines(repo, **k).is_some_and(|l| {
                            gone.intersection(&l).count() as f64 >= SIMILAR * gone.len() as f64
                        })))
        });
        if let Some((p, _)) = twin {
            out.push((rel.to_string(), p.clone()));
        }
    }
    out.sort();
    out
}
