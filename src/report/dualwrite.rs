//! Output of `cutover dual-write`: the `dualwrite::Analysis` in, text (one block per verdict,
//! most serious first, with the operations missing and how coverage was reached) or JSON
//! out. Deterministic: checks are sorted by the analysis.

use crate::dualwrite::{Analysis, Check, Verdict};
use crate::report::escape::control;
use crate::report::style::{Role, Style, columns};
use anyhow::Result;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

/// Version of the JSON document schema.
pub const SCHEMA_VERSION: u32 = 1;

/// What a verdict means, for the text report's headings.
fn heading(v: Verdict) -> &'static str {
    match v {
        Verdict::Uncovered => "uncovered: writes the legacy table, never the replacement",
        Verdict::Partial => "partial: some legacy operations have no matching replacement write",
        Verdict::Conditional => "conditional: the new write runs only under a condition or flag",
        Verdict::Order => {
            "order: the new write runs first, or its failure can fail the legacy write"
        }
        Verdict::Swallowed => "swallowed: the new write's failure is dropped with no metric or log",
        Verdict::NotIdempotent => "not idempotent: the new write is a plain INSERT",
        Verdict::ReplacementOnly => {
            "replacement-only: writes the replacement while the legacy table is the source of truth"
        }
        Verdict::NoShadowRead => "no shadow read: reads the legacy table, never the replacement",
        Verdict::Covered => "covered",
    }
}

const ORDER: [Verdict; 9] = [
    Verdict::Uncovered,
    Verdict::Partial,
    Verdict::Conditional,
    Verdict::Order,
    Verdict::Swallowed,
    Verdict::NotIdempotent,
    Verdict::ReplacementOnly,
    Verdict::NoShadowRead,
    Verdict::Covered,
];

/// The cells of a check's line, escaped for a terminal.
fn cells(c: &Check) -> Vec<Cow<'_, str>> {
    let ops =
        |v: &[crate::model::Operation]| v.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(",");
    let mut row: Vec<Cow<'_, str>> = vec![
        format!("{}:{}", control(&c.file), c.line).into(),
        control(c.function.as_deref().unwrap_or("<module>")),
        ops(&c.operations).into(),
        format!("{} → {}", c.table, c.replacements.join(", ")).into(),
    ];
    if !c.missing.is_empty() {
        row.push(format!("missing: {}", ops(&c.missing)).into());
    }
    if !c.via.is_empty() {
        row.push(
            control(&format!("via: {}", c.via.join("; ")))
                .into_owned()
                .into(),
        );
    }
    row
}

fn role(v: Verdict) -> Role {
    match v {
        Verdict::Uncovered => Role::Write,
        Verdict::Partial
        | Verdict::Conditional
        | Verdict::Order
        | Verdict::Swallowed
        | Verdict::NotIdempotent
        | Verdict::ReplacementOnly
        | Verdict::NoShadowRead => Role::Read,
        Verdict::Covered => Role::Good,
    }
}

pub fn write_text(a: &Analysis, style: Style, out: &mut dyn Write) -> Result<()> {
    if a.checks.is_empty() {
        let none = "no function writes a legacy table in the dual-write phase (or reads one in \
                    shadow-read)";
        writeln!(out, "{}", style.paint(Role::Dim, none))?;
    }
    for v in ORDER {
        let group: Vec<&Check> = a.checks.iter().filter(|c| c.verdict == v).collect();
        if group.is_empty() {
            continue;
        }
        let title = format!("{} ({})", heading(v), group.len());
        writeln!(out, "{}", style.paint(role(v), &title))?;
        let rows: Vec<Vec<Cow<'_, str>>> = group.iter().map(|c| cells(c)).collect();
        let lines = columns(&rows, |c, cell| match c {
            0 => style.paint(Role::Path, cell),
            _ => cell.to_string(),
        });
        for (line, c) in lines.iter().zip(&group) {
            writeln!(out, "  {line}")?;
            for n in &c.notes {
                writeln!(out, "      - {}", control(n))?;
            }
        }
    }
    for (file, reason) in &a.problems {
        writeln!(out, "problem: {}: {}", control(file), control(reason))?;
    }
    let summary: Vec<String> = ORDER
        .iter()
        .map(|v| format!("{} {}", a.count(*v), v.as_str()))
        .collect();
    writeln!(out, "{}", style.paint(Role::Heading, &summary.join(", ")))?;
    Ok(())
}

#[derive(Serialize)]
struct ProblemOut<'a> {
    file: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct AnalysisOut<'a> {
    version: u32,
    depth: usize,
    checks: &'a [Check],
    counts: BTreeMap<&'static str, usize>,
    problems: Vec<ProblemOut<'a>>,
}

pub fn write_json(a: &Analysis, out: &mut dyn Write) -> Result<()> {
    let doc = AnalysisOut {
        version: SCHEMA_VERSION,
        depth: crate::dualwrite::DEPTH,
        checks: &a.checks,
        counts: ORDER.iter().map(|v| (v.as_str(), a.count(*v))).collect(),
        problems: a
            .problems
            .iter()
            .map(|(file, reason)| ProblemOut { file, reason })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}
