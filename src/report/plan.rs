//! Text and JSON output of `cutover plan`: a `Plan` in, the numbered waves with a reason per
//! component, then components (kind and evidence, owners, tables, imports), cycles,
//! preconditions, notes and problems. The JSON schema is private to this file.

use crate::plan::{Plan, PlannedComponent};
use crate::report::escape::control;
use crate::report::style::{Role, Style, count};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Version of the plan JSON schema.
pub const SCHEMA_VERSION: u32 = 2;

/// How many problems the text output lists (JSON has them all).
const PROBLEMS_SHOWN: usize = 20;

/// How much evidence per component the text output shows.
const EVIDENCE_SHOWN: usize = 3;

fn kind_label(c: &PlannedComponent) -> String {
    match c.kind {
        Some(k) => k.as_str().to_string(),
        None => "unknown kind".to_string(),
    }
}

fn usage_summary(usage: &BTreeMap<String, crate::plan::Usage>) -> String {
    let parts: Vec<String> = usage
        .iter()
        .map(|(t, u)| {
            let mut a = Vec::new();
            if u.writes > 0 {
                a.push(format!("writes {}", u.writes));
            }
            if u.reads > 0 {
                a.push(format!("reads {}", u.reads));
            }
            if u.ddl > 0 {
                a.push(format!("ddl {}", u.ddl));
            }
            format!("{t} ({})", a.join(", "))
        })
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join("; ")
    }
}

/// Write the plan as text.
pub fn write_text(plan: &Plan, style: Style, out: &mut dyn Write) -> Result<()> {
    let title = format!("Migration plan for {}", plan.root);
    writeln!(out, "{}", style.paint(Role::Heading, &title))?;
    let tables: Vec<String> = plan
        .tables
        .iter()
        .map(|t| match t.replacements.first() {
            Some(r) => format!("{} -> {r}", t.name),
            None => t.name.clone(),
        })
        .collect();
    writeln!(out, "Legacy tables: {}", tables.join(", "))?;
    writeln!(
        out,
        "Order: the schema first, then infrastructure, then read-only and replayable components, then writers (fewest written tables and write sites first, jobs before entry points), entry points last; never before what a component imports or builds, whose accesses it inherits."
    )?;
    for (i, wave) in plan.waves.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.paint(Role::Heading, &format!("Wave {}", i + 1))
        )?;
        for name in wave {
            if let Some(c) = plan.component(name) {
                writeln!(
                    out,
                    "  - {} ({}): {}",
                    style.paint(Role::Path, &c.name),
                    kind_label(c),
                    control(&c.reason)
                )?;
            }
        }
    }
    if !plan.unaffected.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Not affected (no legacy table, directly or through what they import): {}",
            plan.unaffected.join(", ")
        )?;
    }

    write_steps(plan, out)?;
    writeln!(out)?;
    writeln!(out, "{}", style.paint(Role::Heading, "Components"))?;
    // Those in no wave were listed once, above; `--format json` has them in full.
    for c in plan.components.iter().filter(|c| c.wave > 0) {
        let dir = if c.dir.is_empty() {
            "."
        } else {
            c.dir.as_str()
        };
        writeln!(
            out,
            "  {}  {}  [{}; {}]",
            style.paint(Role::Path, &c.name),
            control(dir),
            c.origin,
            count(c.files as u64, "file", "files")
        )?;
        let source = match c.kind_source {
            crate::plan::kinds::KindSource::Declared => "declared",
            crate::plan::kinds::KindSource::Inferred => "inferred",
            crate::plan::kinds::KindSource::Unknown => "no evidence",
        };
        match &c.confidence {
            Some((level, why)) => writeln!(
                out,
                "    kind: {} ({source}; {} confidence: {why})",
                kind_label(c),
                level.as_str()
            )?,
            None => writeln!(out, "    kind: {} ({source})", kind_label(c))?,
        }
        let chosen: Vec<_> = c
            .evidence
            .iter()
            .filter(|e| Some(e.kind) == c.kind)
            .collect();
        for e in chosen.iter().take(EVIDENCE_SHOWN) {
            let what = control(&e.what);
            if e.file.is_empty() {
                writeln!(out, "      {what}")?;
            } else if e.line == 0 {
                writeln!(out, "      {}: {what}", control(&e.file))?;
            } else {
                writeln!(out, "      {}:{}: {what}", control(&e.file), e.line)?;
            }
        }
        let hidden = chosen.len().saturating_sub(EVIDENCE_SHOWN);
        if hidden > 0 {
            writeln!(out, "      (+{hidden} more; see --format json)")?;
        }
        let others: std::collections::BTreeSet<&str> = c
            .evidence
            .iter()
            .filter(|e| Some(e.kind) != c.kind)
            .map(|e| e.kind.as_str())
            .collect();
        if !others.is_empty() {
            let others: Vec<&str> = others.into_iter().collect();
            writeln!(out, "      also evidence of: {}", others.join(", "))?;
        }
        if !c.owners.is_empty() {
            writeln!(out, "    owners: {}", control(&c.owners.join(" ")))?;
        }
        if !c.db_clients.is_empty() {
            writeln!(out, "    db clients: {}", control(&c.db_clients.join(", ")))?;
        }
        writeln!(out, "    tables: {}", usage_summary(&c.usage))?;
        if !c.through.is_empty() {
            writeln!(
                out,
                "    through {}: {}",
                control(&c.through.join(", ")),
                usage_summary(&c.inherited)
            )?;
        }
        write_links(plan, c, out)?;
        writeln!(out, "    wave {}", c.wave)?;
    }
    write_deployables(plan, out)?;

    writeln!(out)?;
    if plan.cycles.is_empty() {
        writeln!(out, "{}", style.paint(Role::Heading, "Import cycles: none"))?;
    } else {
        let title = "Import cycles (each moves as one group)";
        writeln!(out, "{}", style.paint(Role::Heading, title))?;
        for cycle in &plan.cycles {
            writeln!(out, "  - {}", control(&cycle.join(" <-> ")))?;
        }
    }
    if !plan.preconditions.is_empty() {
        writeln!(out)?;
        let title = "Preconditions (data, not order)";
        writeln!(out, "{}", style.paint(Role::Heading, title))?;
        for p in &plan.preconditions {
            writeln!(out, "  - {}", control(&p.text()))?;
        }
    }
    if !plan.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.paint(Role::Heading, "Notes"))?;
        for n in &plan.notes {
            writeln!(out, "  - {}", control(n))?;
        }
    }
    if !plan.problems.is_empty() {
        writeln!(out)?;
        let title = format!("Problems ({})", plan.problems.len());
        writeln!(out, "{}", style.paint(Role::Heading, &title))?;
        for p in plan.problems.iter().take(PROBLEMS_SHOWN) {
            writeln!(out, "  - {}", control(p))?;
        }
        if plan.problems.len() > PROBLEMS_SHOWN {
            writeln!(
                out,
                "  ... {} more (see --format json)",
                plan.problems.len() - PROBLEMS_SHOWN
            )?;
        }
    }
    Ok(())
}

/// A component's import and build edges.
fn write_links(plan: &Plan, c: &PlannedComponent, out: &mut dyn Write) -> Result<()> {
    let of = |imports: bool| -> Vec<String> {
        plan.imports
            .iter()
            .filter(|l| l.from == c.name && (l.how == "imports") == imports)
            .map(|l| {
                if imports {
                    format!("{} ({}x, e.g. {})", l.to, l.count, l.example)
                } else {
                    format!("{} ({}, {})", l.to, l.how, l.example)
                }
            })
            .collect()
    };
    for (label, list) in [("imports", of(true)), ("builds", of(false))] {
        if !list.is_empty() {
            writeln!(out, "    {label}: {}", control(&list.join(", ")))?;
        }
    }
    Ok(())
}

/// The playbook per table, and what its replacement must copy.
fn write_steps(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    for (t, steps) in plan.tables.iter().zip(&plan.steps) {
        writeln!(out)?;
        let target = t
            .replacements
            .first()
            .map_or(String::new(), |r| format!(" -> {r}"));
        writeln!(
            out,
            "Steps for {}{target} (phase now: {})",
            t.name,
            t.phase.as_str()
        )?;
        for (i, s) in steps.steps.iter().enumerate() {
            let now = if s.current { "  <- now" } else { "" };
            writeln!(out, "  {}. {}: {}{now}", i + 1, s.name, s.text)?;
        }
        let items: Vec<_> = plan.copies.iter().filter(|c| c.table == t.name).collect();
        if items.is_empty() {
            continue;
        }
        writeln!(out, "  The replacement must copy ({}):", items.len())?;
        for c in items {
            let name = if c.name.is_empty() {
                String::new()
            } else {
                format!(" {}", c.name)
            };
            writeln!(
                out,
                "    - {}{name}: {} ({})",
                c.what.as_str(),
                c.detail,
                c.source.describe()
            )?;
        }
    }
    Ok(())
}

/// What the deployment files run.
fn write_deployables(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    if plan.deployables.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Deployables (from the deployment files)")?;
    for d in &plan.deployables {
        let runs = match &d.component {
            Some(c) => format!("runs {c} ({})", d.matched),
            None => format!("runs no component ({})", d.matched),
        };
        let mut extra = String::new();
        if let Some(i) = &d.image {
            extra.push_str(&format!("; image {i}"));
        }
        if let Some(s) = &d.schedule {
            extra.push_str(&format!("; schedule {s}"));
        }
        writeln!(
            out,
            "  - {} `{}` {}:{}: {runs}{extra}",
            d.source, d.name, d.file, d.line
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct TableOut<'a> {
    name: &'a str,
    replacements: &'a [String],
    phase: &'static str,
}

#[derive(Serialize)]
struct UsageOut {
    reads: u64,
    writes: u64,
    ddl: u64,
    write_operations: Vec<&'static str>,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    file: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    line: u32,
    what: &'a str,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct ComponentOut<'a> {
    name: &'a str,
    dir: &'a str,
    origin: &'a str,
    declared: bool,
    kind: Option<&'static str>,
    kind_source: crate::plan::kinds::KindSource,
    confidence: Option<&'static str>,
    confidence_why: Option<&'a str>,
    evidence: Vec<EvidenceOut<'a>>,
    owners: &'a [String],
    db_clients: &'a [String],
    files: usize,
    tables: BTreeMap<&'a str, UsageOut>,
    /// Usage through imported or built components.
    inherited: BTreeMap<&'a str, UsageOut>,
    through: &'a [String],
    /// 0: in no wave (see `unaffected`).
    wave: usize,
    reason: &'a str,
}

fn usage_out(u: &crate::plan::Usage) -> UsageOut {
    UsageOut {
        reads: u.reads,
        writes: u.writes,
        ddl: u.ddl,
        write_operations: u.write_ops.iter().map(|o| o.as_str()).collect(),
    }
}

#[derive(Serialize)]
struct StepOut<'a> {
    table: &'a str,
    step: &'static str,
    text: &'a str,
    current: bool,
}

#[derive(Serialize)]
struct CopyOut<'a> {
    table: &'a str,
    what: &'static str,
    name: &'a str,
    detail: &'a str,
    source: String,
}

#[derive(Serialize)]
struct DeployableOut<'a> {
    file: &'a str,
    line: u32,
    source: &'a str,
    name: &'a str,
    image: Option<&'a str>,
    schedule: Option<&'a str>,
    component: Option<&'a str>,
    matched: &'a str,
}

#[derive(Serialize)]
struct TableEdgeOut<'a> {
    component: &'a str,
    table: &'a str,
    reads: u64,
    writes: u64,
    ddl: u64,
}

#[derive(Serialize)]
struct ImportEdgeOut<'a> {
    from: &'a str,
    to: &'a str,
    count: u64,
    example: &'a str,
    how: &'a str,
}

#[derive(Serialize)]
struct EdgesOut<'a> {
    tables: Vec<TableEdgeOut<'a>>,
    imports: Vec<ImportEdgeOut<'a>>,
}

#[derive(Serialize)]
struct PreconditionOut<'a> {
    reader: &'a str,
    table: &'a str,
    replacement: Option<&'a str>,
    writers: &'a [String],
    text: String,
}

#[derive(Serialize)]
struct PlanOut<'a> {
    version: u32,
    root: &'a str,
    tables: Vec<TableOut<'a>>,
    waves: &'a [Vec<String>],
    unaffected: &'a [String],
    components: Vec<ComponentOut<'a>>,
    deployables: Vec<DeployableOut<'a>>,
    edges: EdgesOut<'a>,
    cycles: &'a [Vec<String>],
    preconditions: Vec<PreconditionOut<'a>>,
    steps: Vec<StepOut<'a>>,
    copies: Vec<CopyOut<'a>>,
    notes: &'a [String],
    problems: &'a [String],
}

/// Write the plan as one JSON document.
pub fn write_json(plan: &Plan, out: &mut dyn Write) -> Result<()> {
    let doc = PlanOut {
        version: SCHEMA_VERSION,
        root: &plan.root,
        tables: plan
            .tables
            .iter()
            .map(|t| TableOut {
                name: &t.name,
                replacements: &t.replacements,
                phase: t.phase.as_str(),
            })
            .collect(),
        waves: &plan.waves,
        unaffected: &plan.unaffected,
        deployables: plan
            .deployables
            .iter()
            .map(|d| DeployableOut {
                file: &d.file,
                line: d.line,
                source: &d.source,
                name: &d.name,
                image: d.image.as_deref(),
                schedule: d.schedule.as_deref(),
                component: d.component.as_deref(),
                matched: &d.matched,
            })
            .collect(),
        components: plan
            .components
            .iter()
            .map(|c| ComponentOut {
                name: &c.name,
                dir: &c.dir,
                origin: &c.origin,
                declared: c.declared,
                kind: c.kind.map(|k| k.as_str()),
                kind_source: c.kind_source,
                confidence: c.confidence.as_ref().map(|(l, _)| l.as_str()),
                confidence_why: c.confidence.as_ref().map(|(_, w)| w.as_str()),
                evidence: c
                    .evidence
                    .iter()
                    .map(|e| EvidenceOut {
                        kind: e.kind.as_str(),
                        file: &e.file,
                        line: e.line,
                        what: &e.what,
                    })
                    .collect(),
                owners: &c.owners,
                db_clients: &c.db_clients,
                files: c.files,
                tables: c
                    .usage
                    .iter()
                    .map(|(t, u)| (t.as_str(), usage_out(u)))
                    .collect(),
                inherited: c
                    .inherited
                    .iter()
                    .map(|(t, u)| (t.as_str(), usage_out(u)))
                    .collect(),
                through: &c.through,
                wave: c.wave,
                reason: &c.reason,
            })
            .collect(),
        edges: EdgesOut {
            tables: plan
                .components
                .iter()
                .flat_map(|c| {
                    c.usage.iter().map(|(t, u)| TableEdgeOut {
                        component: &c.name,
                        table: t,
                        reads: u.reads,
                        writes: u.writes,
                        ddl: u.ddl,
                    })
                })
                .collect(),
            imports: plan
                .imports
                .iter()
                .map(|l| ImportEdgeOut {
                    from: &l.from,
                    to: &l.to,
                    count: l.count,
                    example: &l.example,
                    how: &l.how,
                })
                .collect(),
        },
        cycles: &plan.cycles,
        preconditions: plan
            .preconditions
            .iter()
            .map(|p| PreconditionOut {
                reader: &p.reader,
                table: &p.table,
                replacement: p.replacement.as_deref(),
                writers: &p.writers,
                text: p.text(),
            })
            .collect(),
        steps: plan
            .steps
            .iter()
            .flat_map(|t| {
                t.steps.iter().map(|s| StepOut {
                    table: &t.table,
                    step: s.name,
                    text: &s.text,
                    current: s.current,
                })
            })
            .collect(),
        copies: plan
            .copies
            .iter()
            .map(|c| CopyOut {
                table: &c.table,
                what: c.what.as_str(),
                name: &c.name,
                detail: &c.detail,
                source: c.source.describe(),
            })
            .collect(),
        notes: &plan.notes,
        problems: &plan.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
