//! The playbook's rules on one covered writer: the path from the legacy writer to its
//! replacement write (found over the call graph) and the facts `guard` reads on it in; the
//! most serious verdict the rules give and one sentence per rule out.
//!
//! The rules: the old write comes first and stays authoritative (**order**: the new write
//! runs before it, or its failure is not caught and fails the request); the new write runs
//! on every path (**conditional**: under a condition or a feature flag, called out when the
//! flag is off by default); its failure is caught, logged and counted (**swallowed**:
//! caught with neither metric nor log; caught with one of them is information); it handles
//! duplicates (**not idempotent**: a plain INSERT). Writes outside one transaction are noted
//! as information (**non-atomic**).

use super::callgraph::{CallGraph, FnId};
use super::guard::{Failure, Hop, PathFacts};
use super::{DEPTH, Effects, Verdict, helper_matches};
use crate::config::LegacyTable;
use crate::model::Language;
use crate::model::{Access, Operation};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::LazyLock;

/// The texts of the files on paths, read once each from the call graph's paths.
#[derive(Debug, Default)]
pub(super) struct Sources {
    cache: BTreeMap<String, Option<String>>,
}

impl Sources {
    /// The texts of the hops' files (a file that cannot be read again is left out: its hop
    /// then counts as unconditional and unguarded, the conservative reading).
    pub(super) fn texts(&mut self, graph: &CallGraph, hops: &[Hop]) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for h in hops {
            let text = self.cache.entry(h.file.clone()).or_insert_with(|| {
                let path = graph.paths.get(&h.file)?;
                let bytes = std::fs::read(path).ok()?;
                crate::extract::decode(&bytes)
                    .ok()
                    .map(|d| d.text.into_owned())
            });
            if let Some(t) = text {
                out.insert(h.file.clone(), t.clone());
            }
        }
        out
    }
}

/// A legacy writer that reaches its replacement: the function, the line of its legacy
/// write, its language and the replacement operations it reaches.
pub(super) struct Writer<'a> {
    pub id: &'a FnId,
    pub line: u32,
    pub language: Language,
    pub reached: &'a BTreeSet<Operation>,
}

/// The playbook on one writer of table `t`: the most serious verdict the rules give (if
/// any) and every sentence; `None` when no path to the new write is found (a helper
/// vouches for it).
pub(super) fn check(
    w: &Writer,
    t: &LegacyTable,
    graph: &CallGraph,
    effects: &BTreeMap<FnId, Effects>,
    sources: &mut Sources,
) -> Option<(Option<Verdict>, Vec<String>)> {
    let helpers = &t.dual_write_helpers;
    let repl = |e: &Effects| first_write(e, &t.replacements);
    let hops = path_to(w.id, graph, effects, helpers, &repl)?;
    let facts = super::guard::facts(&hops, w.line, w.language, &sources.texts(graph, &hops));
    let target_writes_legacy = hops.last().is_some_and(|h| {
        effects.iter().any(|(fid, fe)| {
            fid.0 == h.file
                && graph.defined.get(fid).copied().unwrap_or(0) == h.defined
                && fe.ops.contains_key(&(t.display.clone(), Access::Write))
        })
    });
    Some(rules_of(
        &facts,
        &hops,
        w.line,
        w.reached,
        graph,
        target_writes_legacy,
    ))
}

/// The first line where a function writes one of `tables`.
pub(super) fn first_write(e: &Effects, tables: &[String]) -> Option<u32> {
    tables
        .iter()
        .filter_map(|t| e.first.get(&(t.clone(), Access::Write)))
        .map(|p| p.0)
        .min()
}

/// The shortest path of calls from `start` to a function that writes the replacement
/// (`site` gives its line), `DEPTH` calls at most: one hop per function, each with the line
/// of its call onward, the last with the line of the write.
pub(super) fn path_to(
    start: &FnId,
    graph: &CallGraph,
    effects: &BTreeMap<FnId, Effects>,
    helpers: &[String],
    site: &dyn Fn(&Effects) -> Option<u32>,
) -> Option<Vec<Hop>> {
    let hop = |id: &FnId, line: u32| Hop {
        file: id.0.clone(),
        defined: graph.defined.get(id).copied().unwrap_or(0),
        site: line,
    };
    if let Some(line) = effects.get(start).and_then(site) {
        return Some(vec![hop(start, line)]);
    }
    let mut parent: BTreeMap<&FnId, (&FnId, u32)> = BTreeMap::new();
    let mut queue: VecDeque<(&FnId, usize)> = VecDeque::from([(start, 0)]);
    while let Some((id, depth)) = queue.pop_front() {
        if depth >= DEPTH {
            continue;
        }
        for call in graph.calls.get(id).into_iter().flatten() {
            if helpers.iter().any(|h| helper_matches(h, &call.callee)) {
                continue;
            }
            for target in &call.targets {
                if target == start || parent.contains_key(target) {
                    continue;
                }
                parent.insert(target, (id, call.line));
                if let Some(line) = effects.get(target).and_then(site) {
                    let mut hops = vec![hop(target, line)];
                    let mut cur = target;
                    while let Some(&(p, l)) = parent.get(cur) {
                        hops.push(hop(p, l));
                        cur = p;
                    }
                    hops.reverse();
                    return Some(hops);
                }
                queue.push_back((target, depth + 1));
            }
        }
    }
    None
}

static ENV_ONLY: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?:getenv|environ\.get|Getenv)\s*\(\s*["']([A-Za-z_]\w*)["']\s*\)|process\.env\.([A-Za-z_]\w*)|environ\[\s*["']([A-Za-z_]\w*)["']\s*\]"#).ok()
});

/// Why the condition is off by default, if it is.
fn default_off(condition: &str, graph: &CallGraph) -> Option<String> {
    if let Some(c) = ENV_ONLY.as_ref().and_then(|r| r.captures(condition)) {
        let name = c.get(1).or(c.get(2)).or(c.get(3))?.as_str();
        return Some(format!(
            "off unless the environment sets {name}: the new write is skipped by default"
        ));
    }
    condition
        .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
        .filter(|w| !w.is_empty())
        .find_map(|w| graph.off_defaults.get(w).map(|d| (w, d)))
        .map(|(w, (at, text))| {
            format!(
                "flag {w} defaults to off ({at}: `{text}`): the new write is skipped by default"
            )
        })
}

/// The rules on one path: the most serious verdict they give (if any) and every sentence.
pub(super) fn rules_of(
    facts: &PathFacts,
    hops: &[Hop],
    legacy_line: u32,
    reached: &BTreeSet<Operation>,
    graph: &CallGraph,
    // The function at the end of the path writes the legacy table too: it is a dual write
    // of its own, whose order is judged where it is.
    target_writes_legacy: bool,
) -> (Option<Verdict>, Vec<String>) {
    let mut found: Vec<(Verdict, String)> = Vec::new();
    if let Some(cond) = &facts.condition {
        found.push((
            Verdict::Conditional,
            format!("the new write runs only when {cond}"),
        ));
        if let Some(off) = default_off(cond, graph) {
            found.push((Verdict::Conditional, off));
        }
    }
    let site = hops.first().map_or(0, |h| h.site);
    if site < legacy_line && !(hops.len() > 1 && target_writes_legacy) {
        found.push((
            Verdict::Order,
            format!(
                "the new write (line {site}) runs before the legacy write (line {legacy_line})"
            ),
        ));
    }
    match &facts.failure {
        Failure::Propagates => found.push((
            Verdict::Order,
            if facts.transaction {
                "a failure of the new write is not caught: it fails the request and rolls back the legacy write in the same transaction".to_string()
            } else {
                "a failure of the new write is not caught: it fails the request after the legacy write".to_string()
            },
        )),
        Failure::Caught { at, counted: false, logged: false } => found.push((
            Verdict::Swallowed,
            format!("a failure of the new write is swallowed at {at}: no metric, no log"),
        )),
        Failure::Caught { at, counted, logged } => found.push((
            Verdict::Covered,
            format!(
                "best-effort: a failure of the new write is caught at {at}, {}",
                match (counted, logged) {
                    (true, true) => "counted and logged",
                    (true, false) => "counted (not logged)",
                    _ => "logged (not counted with a metric)",
                }
            ),
        )),
    }
    let upsert = [Operation::Upsert, Operation::Merge, Operation::Replace];
    if reached.contains(&Operation::Insert) && !upsert.iter().any(|o| reached.contains(o)) {
        found.push((
            Verdict::NotIdempotent,
            "the new write is a plain INSERT with no conflict handling: retries and the backfill will replay rows".to_string(),
        ));
    }
    if !facts.transaction {
        found.push((
            Verdict::Covered,
            "non-atomic (information): the two writes are separate statements outside one transaction".to_string(),
        ));
    }
    found.sort_by_key(|(v, _)| *v);
    let worst = found
        .iter()
        .map(|(v, _)| *v)
        .find(|v| *v != Verdict::Covered);
    (worst, found.into_iter().map(|(_, s)| s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_that_are_off() {
        let mut graph = CallGraph::default();
        graph.off_defaults.insert(
            "MIRROR_ORDERS".into(),
            ("settings.py:3".into(), "MIRROR_ORDERS = False".into()),
        );
        assert!(
            default_off("settings.MIRROR_ORDERS (a.py:4)", &graph)
                .unwrap()
                .starts_with("flag MIRROR_ORDERS defaults to off (settings.py:3")
        );
        assert!(
            default_off("os.getenv(\"MIRROR\") == \"1\" (a.py:4)", &graph)
                .unwrap()
                .starts_with("off unless the environment sets MIRROR")
        );
        assert_eq!(default_off("order.total > 0 (a.py:4)", &graph), None);
    }
}
