//! Dual-write coverage: the inventory's findings, the findings of the replacement tables
//! and the repository's call graph in; one `Check` per function out. For each legacy table
//! in the `dual-write` phase, every function that writes it is covered (it also writes the
//! replacement with the matching operation, itself or through calls followed `DEPTH` levels
//! deep or a declared helper), partial, or uncovered. Writers of a replacement that write no
//! legacy table while the legacy one is still the source of truth (phases before `cutover`)
//! are reverse divergence; in `shadow-read`, legacy reads with no read of the replacement
//! are missing shadow reads. Works on any `Finding` (raw SQL, ORM…): only its table, access,
//! operation, file and function matter.

pub mod callgraph;
pub mod guard;
mod playbook;

use crate::config::{Config, LegacyTable, Phase, TableMatcher};
use crate::model::{Access, Finding, Language, Operation};
use crate::scan::Inventory;
use crate::sql::TableName;
use anyhow::Result;
use callgraph::{CallGraph, FnId};
use playbook::{Sources, Writer};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How many calls deep coverage is looked for.
pub const DEPTH: usize = 3;

/// The result of one check. Ordered most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Writes the legacy table and no write of the replacement is reachable.
    Uncovered,
    /// Writes the replacement, but not with every operation it performs on the legacy table.
    Partial,
    /// The replacement write runs only under a condition or feature flag.
    Conditional,
    /// The replacement write runs before the legacy one, or its failure is not caught and
    /// fails the request (and, in one transaction, the legacy write).
    Order,
    /// The replacement write's failure is caught and dropped: no metric, no log.
    Swallowed,
    /// The replacement write is a plain INSERT: retries and the backfill replay rows.
    NotIdempotent,
    /// Writes the replacement (before `cutover`) and not the legacy table.
    ReplacementOnly,
    /// Reads the legacy table in `shadow-read` with no read of the replacement.
    NoShadowRead,
    /// Every legacy write has a matching replacement write.
    Covered,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Uncovered => "uncovered",
            Verdict::Partial => "partial",
            Verdict::Conditional => "conditional",
            Verdict::Order => "order",
            Verdict::Swallowed => "swallowed",
            Verdict::NotIdempotent => "not-idempotent",
            Verdict::ReplacementOnly => "replacement-only",
            Verdict::NoShadowRead => "no-shadow-read",
            Verdict::Covered => "covered",
        }
    }
}

/// One function's verdict for one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Check {
    pub file: String,
    /// The first reference the verdict is about (1-based).
    pub line: u32,
    pub column: u32,
    pub function: Option<String>,
    pub verdict: Verdict,
    /// The legacy table (as configured).
    pub table: String,
    pub replacements: Vec<String>,
    pub language: Language,
    /// What the function does to the table the verdict is about (the legacy table, or the
    /// replacement for `replacement-only`).
    pub operations: Vec<Operation>,
    /// Of those, the ones without a matching operation on the other side.
    pub missing: Vec<Operation>,
    /// How the other side is reached: `function (file:line)` of each call, or `helper NAME`.
    pub via: Vec<String>,
    /// What the playbook's rules found on the path to the new write, one sentence each
    /// (`non-atomic`, `best-effort`… as information too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Check {
    /// One sentence for diagnostics: who, what, and what is missing.
    pub fn message(&self) -> String {
        let ops = |v: &[Operation]| v.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", ");
        let who = match &self.function {
            Some(f) => format!("`{f}`"),
            None => "module-level code".to_string(),
        };
        let repl = format!("`{}`", self.replacements.join("` or `"));
        let via = if self.via.is_empty() {
            String::new()
        } else {
            format!(" via {}", self.via.join("; "))
        };
        match self.verdict {
            Verdict::Uncovered => format!(
                "{who} writes legacy table `{}` ({}) but no write of {repl} is reachable: the replacement diverges",
                self.table,
                ops(&self.operations)
            ),
            Verdict::Partial => format!(
                "{who} writes legacy table `{}` ({}) and {repl}{via}, but not for: {}",
                self.table,
                ops(&self.operations),
                ops(&self.missing)
            ),
            Verdict::ReplacementOnly => format!(
                "{who} writes {repl} ({}) but not `{}`, which is still the source of truth",
                ops(&self.operations),
                self.table
            ),
            Verdict::NoShadowRead => format!(
                "{who} reads legacy table `{}` but never {repl} (shadow-read phase)",
                self.table
            ),
            Verdict::Covered => format!(
                "{who} dual-writes `{}` and {repl} ({}){via}",
                self.table,
                ops(&self.operations)
            ),
            Verdict::Conditional | Verdict::Order | Verdict::Swallowed | Verdict::NotIdempotent => {
                format!(
                    "{who} writes `{}` and {repl} ({}){via}, but {}",
                    self.table,
                    ops(&self.operations),
                    self.notes
                        .first()
                        .map_or("breaks the playbook", String::as_str)
                )
            }
        }
    }
}

/// Everything the analysis found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    pub checks: Vec<Check>,
    /// Files the call graph could not read: (file, reason).
    pub problems: Vec<(String, String)>,
}

impl Analysis {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks.iter().filter(|c| c.verdict == verdict).count()
    }
}

/// The replacement operations that keep a legacy operation in step. Bulk loads (COPY, LOAD)
/// insert; MERGE and REPLACE both insert and update, so an upsert mirrors them;
/// TRUNCATE empties the table, which a delete (or truncate) of the replacement mirrors.
pub fn mirrors(legacy: Operation) -> &'static [Operation] {
    use Operation as O;
    match legacy {
        O::Insert => &[O::Insert, O::Upsert, O::Merge, O::Replace, O::Copy, O::Load],
        O::Update => &[O::Update, O::Upsert, O::Merge],
        O::Delete => &[O::Delete, O::Truncate],
        O::Upsert | O::Merge | O::Replace => &[O::Upsert, O::Merge, O::Replace],
        O::Copy | O::Load => &[O::Insert, O::Upsert, O::Copy, O::Load],
        O::Truncate => &[O::Truncate, O::Delete],
        _ => &[],
    }
}

/// The tables to scan for besides the legacy ones: every replacement of a table whose phase
/// asks for a check. They get their own matcher, so the inventory never reports them.
pub fn replacement_matcher(tables: &TableMatcher) -> TableMatcher {
    let mut seen = BTreeSet::new();
    let list = tables
        .tables()
        .iter()
        .filter(|t| t.phase < Phase::Cutover)
        .flat_map(|t| t.replacements.iter())
        .filter(|r| seen.insert(r.to_string()))
        .map(|r| LegacyTable {
            display: r.clone(),
            name: TableName::parse_config(r),
            replacements: Vec::new(),
            phase: Phase::default(),
            severity: None,
            dual_write_helpers: Vec::new(),
        })
        .collect();
    TableMatcher::new(list)
}

/// The whole analysis of one scan (made with `Wants::replacements`): its legacy and
/// replacement findings, and the call graph of its source files, built only when some check
/// has a candidate (a legacy writer in dual-write, a legacy reader in shadow-read, or a
/// writer of a replacement), so an audit of tables still in `prepare` stays as cheap as a
/// scan. Nothing to do when no table has a replacement in a phase before `cutover`.
pub fn run(inventory: &Inventory) -> Result<Analysis> {
    let config = &inventory.config;
    if replacement_matcher(&config.tables).is_empty() {
        return Ok(Analysis::default());
    }
    if !inventory.wants.replacements {
        anyhow::bail!("dual-write analysis needs a scan of the replacement tables");
    }
    let legacy = &inventory.scan.findings;
    let replacement = &inventory.replacement_findings;
    let has = |table: &str, access: Access, of: &[Finding]| {
        of.iter().any(|f| {
            f.table == table
                && f.access == access
                && f.confidence != crate::model::Confidence::Dynamic
        })
    };
    let candidates = config.tables.tables().iter().any(|t| {
        !t.replacements.is_empty()
            && t.phase < Phase::Cutover
            && ((t.phase == Phase::DualWrite && has(&t.display, Access::Write, legacy))
                || (t.phase == Phase::ShadowRead && has(&t.display, Access::Read, legacy))
                || t.replacements
                    .iter()
                    .any(|r| has(r, Access::Write, replacement)))
    });
    if !candidates {
        return Ok(Analysis::default());
    }
    let graph = callgraph::build(&inventory.source_files, config.scan.max_file_size);
    Ok(analyze(config, legacy, replacement, &graph))
}

/// What one function does directly: (table, access) → operations, and its first position.
#[derive(Debug, Default)]
struct Effects {
    ops: BTreeMap<(String, Access), BTreeSet<Operation>>,
    first: BTreeMap<(String, Access), (u32, u32)>,
    language: Option<Language>,
}

/// Run the analysis on a scan's findings. `graph` is the repository's call graph.
pub fn analyze(
    config: &Config,
    legacy: &[Finding],
    replacement: &[Finding],
    graph: &CallGraph,
) -> Analysis {
    let mut effects: BTreeMap<FnId, Effects> = BTreeMap::new();
    // A replacement write whose table is computed at run time (`INSERT INTO %s`) may be any
    // table: it proves no dual write and is no divergence either.
    let proven = replacement
        .iter()
        .filter(|f| f.confidence != crate::model::Confidence::Dynamic);
    for f in legacy.iter().chain(proven) {
        let e = effects
            .entry((f.file.clone(), f.function.clone()))
            .or_default();
        let key = (f.table.clone(), f.access);
        e.ops
            .entry(key.clone())
            .or_default()
            .insert(idempotent_as(f));
        let pos = (f.line, f.column);
        e.first
            .entry(key)
            .and_modify(|p| *p = (*p).min(pos))
            .or_insert(pos);
        e.language.get_or_insert(f.language);
    }
    let mut callers: BTreeMap<&FnId, BTreeSet<&FnId>> = BTreeMap::new();
    for (caller, calls) in &graph.calls {
        for target in calls.iter().flat_map(|c| &c.targets) {
            callers.entry(target).or_default().insert(caller);
        }
    }
    let mut checks = Vec::new();
    let mut sources = Sources::default();
    for t in config.tables.tables() {
        if t.replacements.is_empty() || t.phase >= Phase::Cutover {
            continue;
        }
        let helpers = &t.dual_write_helpers;
        for (id, e) in &effects {
            let lang = e.language.unwrap_or(Language::Sql);
            let legacy_writes = e.ops.get(&(t.display.clone(), Access::Write));
            let legacy_reads = e.ops.get(&(t.display.clone(), Access::Read));
            let repl_writes: BTreeSet<Operation> = t
                .replacements
                .iter()
                .filter_map(|r| e.ops.get(&(r.clone(), Access::Write)))
                .flatten()
                .copied()
                .collect();
            if t.phase == Phase::DualWrite
                && let Some(ops) = legacy_writes
            {
                let reach = reachable(id, graph, &effects, helpers, |e| {
                    t.replacements
                        .iter()
                        .filter_map(|r| e.ops.get(&(r.clone(), Access::Write)))
                        .flatten()
                        .copied()
                        .collect()
                });
                let missing: Vec<Operation> = if reach.helper.is_some() {
                    Vec::new()
                } else {
                    ops.iter()
                        .copied()
                        .filter(|op| !mirrors(*op).iter().any(|m| reach.ops.contains(m)))
                        .collect()
                };
                let mut verdict = if reach.helper.is_none() && reach.ops.is_empty() {
                    Verdict::Uncovered
                } else if missing.is_empty() {
                    Verdict::Covered
                } else {
                    Verdict::Partial
                };
                let (line, column) = e.first[&(t.display.clone(), Access::Write)];
                let mut notes = Vec::new();
                if reach.helper.is_none() && !reach.ops.is_empty() {
                    let at = Writer {
                        id,
                        line,
                        language: lang,
                        reached: &reach.ops,
                    };
                    if let Some((worst, found)) =
                        playbook::check(&at, t, graph, &effects, &mut sources)
                    {
                        notes = found;
                        if verdict == Verdict::Covered {
                            verdict = worst.unwrap_or(Verdict::Covered);
                        }
                    }
                }
                checks.push(Check {
                    file: id.0.clone(),
                    line,
                    column,
                    function: id.1.clone(),
                    verdict,
                    table: t.display.clone(),
                    replacements: t.replacements.clone(),
                    language: lang,
                    operations: ops.iter().copied().collect(),
                    missing,
                    via: reach.via,
                    notes,
                });
            }
            // Reverse divergence: the replacement is written, the source of truth is not.
            // A function that reads the legacy table while writing the replacement copies
            // from the source of truth (a backfill): not divergence.
            if !repl_writes.is_empty() && legacy_writes.is_none() && legacy_reads.is_none() {
                let reach = reachable(id, graph, &effects, helpers, |e| {
                    e.ops
                        .get(&(t.display.clone(), Access::Write))
                        .cloned()
                        .unwrap_or_default()
                });
                // A function that only writes the replacement is often the second half of a
                // dual write: its callers (DEPTH levels up) may write the legacy table.
                let up = callers_reach(id, &callers, &effects, helpers, &t.display);
                let missing: Vec<Operation> = if reach.helper.is_some() || up.helper.is_some() {
                    Vec::new()
                } else {
                    repl_writes
                        .iter()
                        .copied()
                        .filter(|op| {
                            !reach
                                .ops
                                .iter()
                                .chain(&up.ops)
                                .any(|legacy| same_change(*legacy, *op))
                        })
                        .collect()
                };
                if !missing.is_empty() {
                    let (line, column) = t
                        .replacements
                        .iter()
                        .filter_map(|r| e.first.get(&(r.clone(), Access::Write)))
                        .min()
                        .copied()
                        .unwrap_or((1, 1));
                    checks.push(Check {
                        file: id.0.clone(),
                        line,
                        column,
                        function: id.1.clone(),
                        verdict: Verdict::ReplacementOnly,
                        table: t.display.clone(),
                        replacements: t.replacements.clone(),
                        language: lang,
                        operations: repl_writes.iter().copied().collect(),
                        missing,
                        via: reach.via,
                        notes: Vec::new(),
                    });
                }
            }
            if t.phase == Phase::ShadowRead
                && let Some(ops) = legacy_reads
            {
                let reach = reachable(id, graph, &effects, helpers, |e| {
                    t.replacements
                        .iter()
                        .filter_map(|r| e.ops.get(&(r.clone(), Access::Read)))
                        .flatten()
                        .copied()
                        .collect()
                });
                if reach.helper.is_none() && reach.ops.is_empty() {
                    let (line, column) = e.first[&(t.display.clone(), Access::Read)];
                    checks.push(Check {
                        file: id.0.clone(),
                        line,
                        column,
                        function: id.1.clone(),
                        verdict: Verdict::NoShadowRead,
                        table: t.display.clone(),
                        replacements: t.replacements.clone(),
                        language: lang,
                        operations: ops.iter().copied().collect(),
                        missing: ops.iter().copied().collect(),
                        via: Vec::new(),
                        notes: Vec::new(),
                    });
                }
            }
        }
    }
    checks.sort();
    Analysis {
        checks,
        problems: graph.problems.clone(),
    }
}

/// An INSERT that ignores duplicates (`ON CONFLICT DO NOTHING`, `INSERT IGNORE`,
/// `WHERE NOT EXISTS`) replays like an upsert: count it as one.
fn idempotent_as(f: &Finding) -> Operation {
    static IGNORES_DUPLICATES: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(
        || {
            regex::Regex::new(r"(?i)\bon\s+conflict\b|\binsert\s+ignore\b|\bnot\s+exists\b|\bon\s+duplicate\s+key\b").ok()
        },
    );
    let ignores = IGNORES_DUPLICATES
        .as_ref()
        .is_some_and(|r| r.is_match(&f.evidence));
    if f.operation == Operation::Insert && ignores {
        Operation::Upsert
    } else {
        f.operation
    }
}

/// Whether a legacy and a replacement operation keep each other in step, in either
/// direction (an upsert of the replacement mirrors an update of the legacy table).
fn same_change(legacy: Operation, replacement: Operation) -> bool {
    mirrors(legacy).contains(&replacement) || mirrors(replacement).contains(&legacy)
}

/// The legacy writes of the functions that call `start`, `DEPTH` levels up, and whether one
/// of them is a declared helper.
fn callers_reach(
    start: &FnId,
    callers: &BTreeMap<&FnId, BTreeSet<&FnId>>,
    effects: &BTreeMap<FnId, Effects>,
    helpers: &[String],
    legacy: &str,
) -> Reach {
    let mut reach = Reach {
        ops: BTreeSet::new(),
        via: Vec::new(),
        helper: None,
    };
    let mut seen: BTreeSet<&FnId> = BTreeSet::from([start]);
    let mut queue: VecDeque<(&FnId, usize)> = VecDeque::from([(start, 0)]);
    while let Some((id, depth)) = queue.pop_front() {
        if depth >= DEPTH {
            continue;
        }
        for &caller in callers.get(id).into_iter().flatten() {
            if !seen.insert(caller) {
                continue;
            }
            if let Some(name) = &caller.1
                && let Some(h) = helpers.iter().find(|h| helper_matches(h, name))
            {
                reach.helper.get_or_insert_with(|| h.clone());
            }
            if let Some(ops) = effects
                .get(caller)
                .and_then(|e| e.ops.get(&(legacy.to_string(), Access::Write)))
            {
                reach.ops.extend(ops.iter().copied());
            }
            queue.push_back((caller, depth + 1));
        }
    }
    reach
}

/// What a function reaches: the wanted operations and how.
struct Reach {
    ops: BTreeSet<Operation>,
    via: Vec<String>,
    /// The declared helper that vouches for the function, if any.
    helper: Option<String>,
}

/// Whether a declared helper names this function or this call. `A.b` matches the function
/// `A.b`, and a call written `A.b(…)` or `x.A.b(…)`; a helper without a dot matches any
/// function or call whose last name it is.
fn helper_matches(helper: &str, name: &str) -> bool {
    name == helper
        || name.ends_with(&format!(".{helper}"))
        || (!helper.contains('.') && name.rsplit('.').next() == Some(helper))
}

/// Breadth-first over calls from `start`, `DEPTH` levels, collecting `wanted(effects)`.
fn reachable(
    start: &FnId,
    graph: &CallGraph,
    effects: &BTreeMap<FnId, Effects>,
    helpers: &[String],
    wanted: impl Fn(&Effects) -> BTreeSet<Operation>,
) -> Reach {
    let mut reach = Reach {
        ops: BTreeSet::new(),
        via: Vec::new(),
        helper: None,
    };
    if let Some(name) = &start.1
        && let Some(h) = helpers.iter().find(|h| helper_matches(h, name))
    {
        reach.helper = Some(h.clone());
        reach.via.push(format!("helper {h}"));
    }
    if let Some(e) = effects.get(start) {
        reach.ops.extend(wanted(e));
    }
    let mut seen: BTreeSet<&FnId> = BTreeSet::from([start]);
    let mut queue: VecDeque<(&FnId, usize)> = VecDeque::from([(start, 0)]);
    while let Some((id, depth)) = queue.pop_front() {
        if depth >= DEPTH {
            continue;
        }
        for call in graph.calls.get(id).into_iter().flatten() {
            if let Some(h) = helpers.iter().find(|h| helper_matches(h, &call.callee)) {
                reach.helper.get_or_insert_with(|| h.clone());
                reach
                    .via
                    .push(format!("helper {} ({}:{})", call.callee, id.0, call.line));
                continue;
            }
            for target in &call.targets {
                if !seen.insert(target) {
                    continue;
                }
                let by_helper = target
                    .1
                    .as_deref()
                    .and_then(|n| helpers.iter().find(|h| helper_matches(h, n)));
                let found = effects.get(target).map(&wanted).unwrap_or_default();
                if let Some(h) = by_helper {
                    reach.helper.get_or_insert_with(|| h.clone());
                }
                if !found.is_empty() || by_helper.is_some() {
                    reach.via.push(format!(
                        "{} ({}:{})",
                        target.1.as_deref().unwrap_or("<module>"),
                        id.0,
                        call.line
                    ));
                    reach.ops.extend(found);
                }
                queue.push_back((target, depth + 1));
            }
        }
    }
    reach.via.sort();
    reach.via.dedup();
    reach
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_mirrors() {
        assert!(mirrors(Operation::Insert).contains(&Operation::Upsert));
        assert!(mirrors(Operation::Update).contains(&Operation::Upsert));
        assert!(!mirrors(Operation::Delete).contains(&Operation::Update));
        assert!(!mirrors(Operation::Insert).contains(&Operation::Delete));
        assert!(mirrors(Operation::Select).is_empty());
    }

    #[test]
    fn helpers_match_functions_and_calls() {
        assert!(helper_matches("orders.dualWrite", "orders.dualWrite"));
        assert!(helper_matches("orders.dualWrite", "this.orders.dualWrite"));
        assert!(!helper_matches("orders.dualWrite", "myorders.dualWrite"));
        assert!(helper_matches("dualWrite", "this.repo.dualWrite"));
        assert!(!helper_matches("Repo.save", "save"));
    }
}
