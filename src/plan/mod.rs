//! `cutover plan`: the migration order. Input: the repository's file list and the texts of
//! the files plan reads (source, manifests, YAML, crontabs, CODEOWNERS), the scan's
//! findings, the declared components and the legacy tables. Output: a `Plan` — components
//! with kind, evidence and owners; component → table and import edges; import cycles;
//! numbered waves with a one-line reason per component; data preconditions. Rendering is
//! left to `report::plan`, `report::dot` and `report::mermaid`.
//!
//! `build` is a pure function of its input, so tests hand it built findings; `input` takes
//! it from the scan, which read every file plan needs in its one pass.
//!
//! Extension point for query-log evidence (log reconciliation): `PlanInput::runtime`.
//! Each `RuntimeAccess` is folded into the same per-component, per-table `Usage` as the
//! code findings (`Usage::add`), so a writer seen only in the logs ranks as a writer. The
//! intended source is the log reconciliation's rows (table, access, client, operations,
//! distinct statements) whose client maps to a component through `db_clients`; a `--logs`
//! flag on `plan` would build them. The CLI does not fill it yet.

pub mod codeowners;
pub mod components;
pub mod graph;
pub mod imports;
pub mod kinds;
pub mod order;

use crate::config::ComponentConfig;
use crate::discover::language_of;
use crate::model::{Access, Finding, Operation, Problem};
use crate::scan::Inventory;
use anyhow::Result;
use codeowners::CodeOwners;
use components::ROOT_NAME;
use kinds::{ComponentKind, Evidence, KindSource};
use std::collections::{BTreeMap, BTreeSet};

/// A legacy table and what replaces it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableInfo {
    pub name: String,
    pub replacements: Vec<String>,
}

/// An access seen at run time (query logs), already attributed to a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeAccess {
    pub component: String,
    pub table: String,
    pub access: Access,
    pub operation: Operation,
    /// Distinct statements seen (not executions), so that it weighs like places in code.
    pub count: u64,
}

/// How one component touches one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Places in code (findings) plus runtime observations.
    pub reads: u64,
    pub writes: u64,
    pub ddl: u64,
    pub write_ops: BTreeSet<Operation>,
    /// Unresolved references (also counted as writes).
    pub unresolved: u64,
}

impl Usage {
    /// Count one access; the single place findings and runtime evidence are merged.
    pub fn add(&mut self, access: Access, operation: Operation, count: u64) {
        match access {
            Access::Read => self.reads += count,
            Access::Write => {
                self.writes += count;
                self.write_ops.insert(operation);
            }
            Access::Ddl => self.ddl += count,
            // A model declaration moves with the table but neither reads nor writes it.
            Access::Declare => {}
            // Unresolved: may be a writer, so ranked as one (the safe order), and counted.
            Access::Unknown => {
                self.unresolved += count;
                self.writes += count;
                self.write_ops.insert(operation);
            }
        }
    }
}

/// Everything `build` needs.
#[derive(Debug, Default)]
pub struct PlanInput {
    /// Every file of the repository, relative with `/`, sorted.
    pub files: Vec<String>,
    /// Texts of the files plan reads (see `wanted`).
    pub texts: BTreeMap<String, String>,
    pub findings: Vec<Finding>,
    pub components: Vec<ComponentConfig>,
    pub tables: Vec<TableInfo>,
    /// Query-log evidence (see the module docs); empty today.
    pub runtime: Vec<RuntimeAccess>,
    /// Files that could not be read while loading.
    pub problems: Vec<Problem>,
}

/// One component in the plan.
#[derive(Debug, Clone)]
pub struct PlannedComponent {
    pub name: String,
    /// Directory relative to the root (`""` = the root).
    pub dir: String,
    /// Why these files are a component.
    pub origin: String,
    pub declared: bool,
    pub kind: Option<ComponentKind>,
    pub kind_source: KindSource,
    pub evidence: Vec<Evidence>,
    pub owners: Vec<String>,
    pub files: usize,
    pub db_clients: Vec<String>,
    /// Table → usage.
    pub usage: BTreeMap<String, Usage>,
    /// 1-based wave.
    pub wave: usize,
    pub reason: String,
}

/// An import edge, aggregated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportLink {
    pub from: String,
    pub to: String,
    pub count: u64,
    /// The first import statement, `file:line`.
    pub example: String,
}

/// The plan: every renderer's only input.
#[derive(Debug, Clone)]
pub struct Plan {
    pub root: String,
    /// Sorted by name.
    pub components: Vec<PlannedComponent>,
    pub tables: Vec<TableInfo>,
    pub imports: Vec<ImportLink>,
    /// Import cycles (groups of more than one component), each sorted.
    pub cycles: Vec<Vec<String>>,
    /// Component names per wave, in order.
    pub waves: Vec<Vec<String>>,
    pub preconditions: Vec<order::Precondition>,
    /// Things the reader should know (root component, ambiguous imports, tables nobody writes).
    pub notes: Vec<String>,
    /// Inputs that could not be read or understood, with their location.
    pub problems: Vec<String>,
}

impl Plan {
    pub fn component(&self, name: &str) -> Option<&PlannedComponent> {
        self.components.iter().find(|c| c.name == name)
    }
}

/// Whether plan reads the text of this file.
pub fn wanted(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let is_source =
        language_of(std::path::Path::new(rel)).is_some_and(|l| l != crate::model::Language::Sql);
    is_source
        || matches!(name, "go.mod" | "package.json" | "Procfile" | "crontab")
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".cron")
        || name.ends_with(".crontab")
        || rel.contains("cron.d/")
        || codeowners::LOCATIONS.contains(&rel)
}

/// The plan's input from one scan (made with `Wants::plan_texts`): its file list, the
/// texts plan reads, its findings and problems, the declared components and the tables.
pub fn input(inventory: &Inventory) -> PlanInput {
    let config = &inventory.config;
    let mut files = inventory.files.clone();
    for loc in codeowners::LOCATIONS {
        if inventory.plan_texts.contains_key(*loc) && !files.iter().any(|f| f == loc) {
            files.push((*loc).to_string());
        }
    }
    files.sort();
    let mut problems: Vec<Problem> = inventory
        .scan
        .problems
        .iter()
        .chain(&inventory.plan_problems)
        .cloned()
        .collect();
    problems.sort();
    // The scan and plan's own reading may both report one file (e.g. too large).
    problems.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.reason == b.reason);
    let mut tables: Vec<TableInfo> = config
        .tables
        .tables()
        .iter()
        .map(|t| TableInfo {
            name: t.display.clone(),
            replacements: t.replacements.clone(),
        })
        .collect();
    tables.sort();
    PlanInput {
        files,
        texts: inventory.plan_texts.clone(),
        findings: inventory.scan.findings.clone(),
        components: config.components.clone(),
        tables,
        runtime: Vec::new(),
        problems,
    }
}

/// Compute the plan.
pub fn build(input: &PlanInput, root: &str) -> Result<Plan> {
    let layout = components::detect(&input.files, &input.components)?;
    let comps = &layout.components;
    let n = comps.len();
    let mut problems: Vec<String> = input
        .problems
        .iter()
        .map(|p| match p.line {
            Some(line) => format!("{}:{line}: {} ({})", p.file, p.reason.as_str(), p.detail),
            None => format!("{}: {} ({})", p.file, p.reason.as_str(), p.detail),
        })
        .collect();
    let mut notes = Vec::new();

    // Table usage per component.
    let mut usage: Vec<BTreeMap<String, Usage>> = vec![BTreeMap::new(); n];
    for f in &input.findings {
        match layout.component_of(&f.file) {
            Some(c) => usage[c]
                .entry(f.table.clone())
                .or_default()
                .add(f.access, f.operation, 1),
            None => problems.push(format!(
                "{}:{}: finding outside every component (not in the file list)",
                f.file, f.line
            )),
        }
    }
    for r in &input.runtime {
        match layout.index_of(&r.component) {
            Some(c) => {
                usage[c]
                    .entry(r.table.clone())
                    .or_default()
                    .add(r.access, r.operation, r.count)
            }
            None => problems.push(format!(
                "runtime access by unknown component `{}` on {}",
                r.component, r.table
            )),
        }
    }

    // Imports.
    let imports = imports::resolve_all(&layout, &input.files, &input.texts);
    for (file, reason) in &imports.problems {
        problems.push(format!("{file}: {reason}"));
    }
    for (file, line, spec, candidates) in &imports.ambiguous {
        notes.push(format!(
            "{file}:{line}: import `{spec}` matches code in {}; not counted as an edge",
            order::join_and(candidates)
        ));
    }
    let mut import_counts: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    let mut examples: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for e in &imports.edges {
        *import_counts.entry((e.from, e.to)).or_default() += 1;
        examples
            .entry((e.from, e.to))
            .or_insert_with(|| format!("{}:{}", e.file, e.line));
    }
    let mut imported_by: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];
    for &(from, to) in import_counts.keys() {
        imported_by[to].insert(comps[from].name.clone());
    }

    // Kinds and owners.
    let verdicts = kinds::infer(&layout, &input.texts, &imported_by)?;
    let owners_file = codeowners::LOCATIONS
        .iter()
        .find_map(|loc| input.texts.get(*loc).map(|t| CodeOwners::parse(loc, t)));
    if let Some(co) = &owners_file {
        for (line, reason) in &co.problems {
            problems.push(format!("{}:{line}: {reason}", co.path));
        }
    }

    // Graph and order.
    let g = graph::build(n, &usage, &import_counts);
    let members: Vec<order::Member> = comps
        .iter()
        .zip(&verdicts)
        .zip(&usage)
        .map(|((c, v), u)| order::Member {
            name: &c.name,
            kind: v.kind,
            usage: u,
        })
        .collect();
    let ordered = order::order(&members, &g);
    let replacement = |t: &str| {
        input
            .tables
            .iter()
            .find(|x| x.name == t)
            .and_then(|x| x.replacements.first().cloned())
    };
    let preconditions = order::preconditions(&members, &replacement);

    // Tables read or changed that nothing in the code writes: the logs must say who does.
    for t in &input.tables {
        let touched = usage.iter().any(|u| u.contains_key(&t.name));
        let written = usage
            .iter()
            .any(|u| u.get(&t.name).is_some_and(|x| x.writes > 0));
        if touched && !written {
            notes.push(format!(
                "nothing in the code writes {}; check the query logs for writers before switching its readers",
                t.name
            ));
        }
    }
    if let Some(root_comp) = comps.iter().find(|c| c.name == ROOT_NAME) {
        notes.push(format!(
            "{} file(s) outside any detected or declared component form the component {ROOT_NAME}",
            root_comp.files.len()
        ));
    }
    if !layout.unassigned.is_empty() {
        notes.push(format!(
            "{} file(s) at the top level hold no code (e.g. {}) and belong to no component",
            layout.unassigned.len(),
            layout.unassigned[0]
        ));
    }

    let planned: Vec<PlannedComponent> = comps
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (wave, reason) = ordered.placement.get(&i).cloned().unwrap_or_default();
            let owners = owners_file.as_ref().map_or_else(Vec::new, |co| {
                let set: BTreeSet<String> = c.files.iter().flat_map(|f| co.owners_of(f)).collect();
                set.into_iter().collect()
            });
            PlannedComponent {
                name: c.name.clone(),
                dir: c.dir.clone(),
                origin: c.origin.describe(&c.dir),
                declared: c.origin == components::Origin::Declared,
                kind: verdicts[i].kind,
                kind_source: verdicts[i].source,
                evidence: verdicts[i].evidence.clone(),
                owners,
                files: c.files.len(),
                db_clients: c.db_clients.clone(),
                usage: usage[i].clone(),
                wave,
                reason,
            }
        })
        .collect();
    let cycles: Vec<Vec<String>> = g
        .groups
        .iter()
        .filter(|grp| grp.len() > 1)
        .map(|grp| grp.iter().map(|&i| comps[i].name.clone()).collect())
        .collect();
    let waves = ordered
        .waves
        .iter()
        .map(|w| w.iter().map(|&i| comps[i].name.clone()).collect())
        .collect();
    let mut import_links: Vec<ImportLink> = import_counts
        .iter()
        .map(|(&(from, to), &count)| ImportLink {
            from: comps[from].name.clone(),
            to: comps[to].name.clone(),
            count,
            example: examples.get(&(from, to)).cloned().unwrap_or_default(),
        })
        .collect();
    import_links.sort();
    problems.sort();
    Ok(Plan {
        root: root.to_string(),
        components: planned,
        tables: input.tables.clone(),
        imports: import_links,
        cycles,
        waves,
        preconditions,
        notes,
        problems,
    })
}
