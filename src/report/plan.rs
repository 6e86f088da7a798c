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
pub const SCHEMA_VERSION: u32 = 1;

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

fn usage_summary(c: &PlannedComponent) -> String {
    let parts: Vec<String> = c
        .usage
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
        "Order: infrastructure and components without legacy access first, then read-only and replayable ones, then writers (fewest written tables and write sites first, jobs before entry points), entry points last; never before what a component imports."
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

    writeln!(out)?;
    writeln!(out, "{}", style.paint(Role::Heading, "Components"))?;
    for c in &plan.components {
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
        writeln!(out, "    kind: {} ({source})", kind_label(c))?;
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
        writeln!(out, "    tables: {}", usage_summary(c))?;
        let imports: Vec<String> = plan
            .imports
            .iter()
            .filter(|l| l.from == c.name)
            .map(|l| format!("{} ({}x, e.g. {})", l.to, l.count, l.example))
            .collect();
        if !imports.is_empty() {
            writeln!(out, "    imports: {}", control(&imports.join(", ")))?;
        }
        writeln!(out, "    wave {}", c.wave)?;
    }

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

#[derive(Serialize)]
struct TableOut<'a> {
    name: &'a str,
    replacements: &'a [String],
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
    evidence: Vec<EvidenceOut<'a>>,
    owners: &'a [String],
    db_clients: &'a [String],
    files: usize,
    tables: BTreeMap<&'a str, UsageOut>,
    wave: usize,
    reason: &'a str,
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
    components: Vec<ComponentOut<'a>>,
    edges: EdgesOut<'a>,
    cycles: &'a [Vec<String>],
    preconditions: Vec<PreconditionOut<'a>>,
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
            })
            .collect(),
        waves: &plan.waves,
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
                    .map(|(t, u)| {
                        (
                            t.as_str(),
                            UsageOut {
                                reads: u.reads,
                                writes: u.writes,
                                ddl: u.ddl,
                                write_operations: u.write_ops.iter().map(|o| o.as_str()).collect(),
                            },
                        )
                    })
                    .collect(),
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
        notes: &plan.notes,
        problems: &plan.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
