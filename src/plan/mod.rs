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
pub mod deploy;
pub mod graph;
pub mod imports;
pub mod kinds;
pub mod order;
pub mod replica;
pub mod steps;
pub mod yaml;

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
    /// Where the migration of this table stands (cutover.toml).
    pub phase: crate::config::Phase,
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
    /// What the live catalog says the replacement must copy (triggers, foreign keys, types,
    /// sequences of the legacy tables), with `replica::Source::Catalog`. The hook for
    /// `--db`: the live-catalog reader fills it; empty without it.
    pub catalog: Vec<replica::CopyItem>,
    /// How the `.sql` files are split into statements.
    pub dialect: crate::sql::Dialect,
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
    /// How sure the kind is, and why.
    pub confidence: Option<(kinds::Confidence, String)>,
    /// Table → usage by the code it imports or builds (transitively), not its own.
    pub inherited: BTreeMap<String, Usage>,
    /// The components that usage comes from.
    pub through: Vec<String>,
    /// 1-based wave; 0 for a component that touches no legacy table and imports nothing
    /// that does (listed apart, in `Plan::unaffected`).
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
    /// `imports`, or what a Dockerfile does (`copies api/`, `overlays acme/api`).
    pub how: String,
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
    /// Components that touch no legacy table and import nothing that does: no wave.
    pub unaffected: Vec<String>,
    /// What the deployment files run, and which component each runs.
    pub deployables: Vec<PlannedDeployable>,
    pub preconditions: Vec<order::Precondition>,
    /// What each replacement must copy from its legacy table, from `.sql` and the catalog.
    pub copies: Vec<replica::CopyItem>,
    /// The playbook's steps per table.
    pub steps: Vec<steps::TableSteps>,
    /// Things the reader should know (root component, ambiguous imports, tables nobody writes).
    pub notes: Vec<String>,
    /// Inputs that could not be read or understood, with their location.
    pub problems: Vec<String>,
}

/// A deployable as the plan shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedDeployable {
    pub file: String,
    pub line: u32,
    pub source: String,
    pub name: String,
    pub image: Option<String>,
    pub schedule: Option<String>,
    /// The component whose code it runs (`None`: none of this repository's).
    pub component: Option<String>,
    pub matched: String,
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
        || deploy::is_dockerfile(rel)
        || name.ends_with(".sql")
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
            phase: t.phase,
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
        catalog: Vec::new(),
        dialect: config.dialect,
        problems,
    }
}

/// Findings and runtime evidence, per component and table.
fn usage_of(
    input: &PlanInput,
    layout: &components::Layout,
    problems: &mut Vec<String>,
) -> Vec<BTreeMap<String, Usage>> {
    let mut usage: Vec<BTreeMap<String, Usage>> = vec![BTreeMap::new(); layout.components.len()];
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
    usage
}

/// Import and build edges between components, aggregated, with one example each.
#[derive(Debug, Default)]
struct Links {
    /// (from, to) → (count, example, how).
    edges: BTreeMap<(usize, usize), (u64, String, String)>,
    /// Component → names of the components that import it (builds excluded).
    imported_by: Vec<BTreeSet<String>>,
    /// Every resolved import, file by file.
    files: Vec<imports::FileImport>,
}

fn links(
    input: &PlanInput,
    layout: &components::Layout,
    deployment: &deploy::Deployment,
    problems: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Links {
    let comps = &layout.components;
    let imports = imports::resolve_all(layout, &input.files, &input.texts);
    for (file, reason) in &imports.problems {
        problems.push(format!("{file}: {reason}"));
    }
    for (file, line, spec, candidates) in &imports.ambiguous {
        notes.push(format!(
            "{file}:{line}: import `{spec}` matches code in {}; not counted as an edge",
            order::join_and(candidates)
        ));
    }
    let mut out = Links {
        imported_by: vec![BTreeSet::new(); comps.len()],
        files: imports.files.clone(),
        ..Links::default()
    };
    for e in &imports.edges {
        let entry = out
            .edges
            .entry((e.from, e.to))
            .or_insert_with(|| (0, format!("{}:{}", e.file, e.line), "imports".to_string()));
        entry.0 += 1;
        out.imported_by[e.to].insert(comps[e.from].name.clone());
    }
    for b in &deployment.builds {
        let entry = out
            .edges
            .entry((b.from, b.to))
            .or_insert_with(|| (0, format!("{}:{}", b.file, b.line), b.what.clone()));
        entry.0 += 1;
    }
    out
}

/// The files an import target names: a module file (`a/b` → `a/b.py`, `a/b.ts`…), a Go
/// package (the `.go` files directly in the directory), or a package directory (every file
/// under it).
fn target_files<'a>(files: &'a [String], target: &str) -> Vec<&'a str> {
    let prefix = if target.is_empty() {
        String::new()
    } else {
        format!("{target}/")
    };
    let under = |f: &&String| f.starts_with(&prefix);
    let start = files.partition_point(|f| f.as_str() < prefix.as_str());
    let inside: Vec<&'a String> = files[start..].iter().take_while(under).collect();
    // `files` is sorted: each prefix is one range, found by bisection (imports × files would
    // be too slow on a large repository).
    let stem = format!("{target}.");
    let from = files.partition_point(|f| f.as_str() < stem.as_str());
    let modules: Vec<&'a str> = files[from..]
        .iter()
        .take_while(|f| f.starts_with(&stem))
        .filter(|f| !f[stem.len()..].contains('/'))
        .map(String::as_str)
        .collect();
    if !modules.is_empty() {
        return modules;
    }
    let go: Vec<&'a str> = inside
        .iter()
        .filter(|f| f.ends_with(".go") && !f[prefix.len()..].contains('/'))
        .map(|f| f.as_str())
        .collect();
    if !go.is_empty() {
        return go;
    }
    inside.into_iter().map(String::as_str).collect()
}

/// What each component reaches through the imports of its files (followed file by file,
/// transitively, across components) and through the code its Dockerfiles copy or overlay:
/// the usage of the reached files outside it, and the components they belong to. The
/// schema component is not inherited (importing migrations does not make a service change
/// the schema) and inherits nothing (migrations that import the models do not write
/// through them).
fn inherit(
    input: &PlanInput,
    layout: &components::Layout,
    file_imports: &[imports::FileImport],
    builds: &[deploy::BuildEdge],
    is_schema: &[bool],
) -> Vec<(BTreeMap<String, Usage>, Vec<String>)> {
    let mut by_file: BTreeMap<&str, BTreeMap<String, Usage>> = BTreeMap::new();
    for f in &input.findings {
        by_file
            .entry(f.file.as_str())
            .or_default()
            .entry(f.table.clone())
            .or_default()
            .add(f.access, f.operation, 1);
    }
    let mut targets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for imp in file_imports {
        let files = targets
            .entry(imp.target.as_str())
            .or_insert_with(|| target_files(&input.files, &imp.target));
        next.entry(imp.file.as_str())
            .or_default()
            .extend(files.iter().copied());
    }
    let comps = &layout.components;
    (0..comps.len())
        .map(|c| {
            if is_schema[c] {
                // Migrations that import the models do not make the schema a writer.
                return (BTreeMap::new(), Vec::new());
            }
            let mut stack: Vec<&str> = comps[c].files.iter().map(String::as_str).collect();
            for b in builds.iter().filter(|b| b.from == c) {
                stack.extend(comps[b.to].files.iter().map(String::as_str));
            }
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            let mut total: BTreeMap<String, Usage> = BTreeMap::new();
            let mut through = BTreeSet::new();
            while let Some(f) = stack.pop() {
                if !seen.insert(f) {
                    continue;
                }
                stack.extend(next.get(f).into_iter().flatten().copied());
                let owner = layout.component_of(f);
                if owner == Some(c) || owner.is_some_and(|o| is_schema[o]) {
                    continue;
                }
                let Some(u) = by_file.get(f) else { continue };
                if let Some(o) = owner {
                    through.insert(comps[o].name.clone());
                }
                for (t, x) in u {
                    total.entry(t.clone()).or_default().merge(x);
                }
            }
            (total, through.into_iter().collect())
        })
        .collect()
}

impl Usage {
    /// Add another usage's counts.
    pub fn merge(&mut self, other: &Usage) {
        self.reads += other.reads;
        self.writes += other.writes;
        self.ddl += other.ddl;
        self.write_ops.extend(other.write_ops.iter().copied());
    }
}

/// Tables read or changed that nothing in the code writes, the root component, and files
/// that belong to no component: what the reader should know.
fn layout_notes(
    input: &PlanInput,
    layout: &components::Layout,
    usage: &[BTreeMap<String, Usage>],
    notes: &mut Vec<String>,
) {
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
    if let Some(root_comp) = layout.components.iter().find(|c| c.name == ROOT_NAME) {
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
}

fn problem_lines(input: &PlanInput) -> Vec<String> {
    input
        .problems
        .iter()
        .map(|p| match p.line {
            Some(line) => format!("{}:{line}: {} ({})", p.file, p.reason.as_str(), p.detail),
            None => format!("{}: {} ({})", p.file, p.reason.as_str(), p.detail),
        })
        .collect()
}

/// Compute the plan.
pub fn build(input: &PlanInput, root: &str) -> Result<Plan> {
    let shipped = components::Shipped {
        go_mains: deploy::go_main_dirs(&input.files, &input.texts),
        schema: deploy::schema_dirs(&input.files),
    };
    let layout = components::detect_shipped(&input.files, &input.components, &shipped)?;
    let comps = &layout.components;
    let mut problems = problem_lines(input);
    let mut notes = Vec::new();
    let usage = usage_of(input, &layout, &mut problems);
    let deployment = deploy::survey(&layout, &input.files, &input.texts);
    notes.extend(deployment.notes.iter().cloned());
    let links = links(input, &layout, &deployment, &mut problems, &mut notes);

    // Kinds and owners.
    let verdicts = kinds::infer(&layout, &input.texts, &links.imported_by, &deployment)?;
    let owners_file = codeowners::LOCATIONS
        .iter()
        .find_map(|loc| input.texts.get(*loc).map(|t| CodeOwners::parse(loc, t)));
    if let Some(co) = &owners_file {
        for (line, reason) in &co.problems {
            problems.push(format!("{}:{line}: {reason}", co.path));
        }
    }

    // Inherited usage, graph and order.
    let names: Vec<String> = comps.iter().map(|c| c.name.clone()).collect();
    let is_schema: Vec<bool> = verdicts
        .iter()
        .map(|v| v.kind == Some(ComponentKind::Schema))
        .collect();
    let inherited = inherit(input, &layout, &links.files, &deployment.builds, &is_schema);
    // The schema moves first whatever its migrations import (Django and Alembic migrations
    // import the application's models): its imports do not order it.
    let counts: BTreeMap<(usize, usize), u64> = links
        .edges
        .iter()
        .filter(|((from, _), _)| !is_schema[*from])
        .map(|(k, v)| (*k, v.0))
        .collect();
    let g = graph::build(comps.len(), &usage, &counts);
    let mut builds: Vec<Vec<String>> = vec![Vec::new(); comps.len()];
    for b in &deployment.builds {
        builds[b.from].push(names[b.to].clone());
    }
    let members: Vec<order::Member> = comps
        .iter()
        .enumerate()
        .map(|(i, c)| order::Member {
            name: &c.name,
            kind: verdicts[i].kind,
            usage: &usage[i],
            through: &inherited[i].1,
            builds: &builds[i],
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
    layout_notes(input, &layout, &usage, &mut notes);

    let planned: Vec<PlannedComponent> = comps
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let owners = owners_file
                .as_ref()
                .map_or_else(Vec::new, |co| owners_of(co, c));
            planned_component(
                c,
                &verdicts[i],
                &usage[i],
                &inherited[i],
                owners,
                &ordered.placement,
                i,
            )
        })
        .collect();
    let cycles: Vec<Vec<String>> = g
        .groups
        .iter()
        .filter(|grp| grp.len() > 1)
        .map(|grp| grp.iter().map(|&i| names[i].clone()).collect())
        .collect();
    let waves = ordered
        .waves
        .iter()
        .map(|w| w.iter().map(|&i| names[i].clone()).collect())
        .collect();
    let unaffected = ordered.apart.iter().map(|&i| names[i].clone()).collect();
    let mut import_links: Vec<ImportLink> = links
        .edges
        .iter()
        .map(|(&(from, to), (count, example, how))| ImportLink {
            from: names[from].clone(),
            to: names[to].clone(),
            count: *count,
            example: example.clone(),
            how: how.clone(),
        })
        .collect();
    import_links.sort();
    let deployables = deployment
        .deployables
        .iter()
        .map(|d| PlannedDeployable {
            file: d.file.clone(),
            line: d.line,
            source: d.source.clone(),
            name: d.name.clone(),
            image: d.image.clone(),
            schedule: d.schedule.clone(),
            component: d.component.map(|c| names[c].clone()),
            matched: d.matched.clone(),
        })
        .collect();
    let copies = copies(input);
    let steps = steps::build(&input.tables, &planned, &copies);
    problems.sort();
    Ok(Plan {
        root: root.to_string(),
        components: planned,
        tables: input.tables.clone(),
        imports: import_links,
        cycles,
        waves,
        unaffected,
        deployables,
        preconditions,
        copies,
        steps,
        notes,
        problems,
    })
}

fn owners_of(co: &CodeOwners, c: &components::Component) -> Vec<String> {
    let set: BTreeSet<String> = c.files.iter().flat_map(|f| co.owners_of(f)).collect();
    set.into_iter().collect()
}

/// One component as the plan shows it.
fn planned_component(
    c: &components::Component,
    verdict: &kinds::KindVerdict,
    usage: &BTreeMap<String, Usage>,
    inherited: &(BTreeMap<String, Usage>, Vec<String>),
    owners: Vec<String>,
    placement: &BTreeMap<usize, (usize, String)>,
    index: usize,
) -> PlannedComponent {
    let (wave, reason) = placement.get(&index).cloned().unwrap_or_default();
    PlannedComponent {
        name: c.name.clone(),
        dir: c.dir.clone(),
        origin: c.origin.describe(&c.dir),
        declared: c.origin == components::Origin::Declared,
        kind: verdict.kind,
        kind_source: verdict.source,
        evidence: verdict.evidence.clone(),
        owners,
        files: c.files.len(),
        db_clients: c.db_clients.clone(),
        usage: usage.clone(),
        confidence: verdict.confidence.clone(),
        inherited: inherited.0.clone(),
        through: inherited.1.clone(),
        wave,
        reason,
    }
}

/// The copy list: the `.sql` files' facts and the live catalog's, each once.
fn copies(input: &PlanInput) -> Vec<replica::CopyItem> {
    let legacy: BTreeMap<String, String> = input
        .tables
        .iter()
        .map(|t| {
            let bare = t.name.rsplit('.').next().unwrap_or(&t.name);
            (bare.to_ascii_lowercase(), t.name.clone())
        })
        .collect();
    let mut out = replica::from_sql(&input.texts, &legacy, input.dialect);
    out.extend(input.catalog.iter().cloned());
    out.sort();
    // The same fact in several files (a migration and a schema dump) is listed once, at
    // its first source.
    out.dedup_by(|b, a| {
        (&a.table, a.what, &a.name, &a.detail) == (&b.table, b.what, &b.name, &b.detail)
    });
    out
}
