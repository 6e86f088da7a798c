//! JSON and JSON Lines output of `inventory`: the contract outside scripts rely on.
//! Deterministic: no timings, sorted findings, relative paths.

use crate::logs::reconcile::Reconciliation;
use crate::model::{Access, Finding, Problem};
use crate::scan::Inventory;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Version of the JSON document schema. 2: `callers` (kind `caller`, the callee in `via`),
/// apart from `findings`; JSON Lines prints them after the findings.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct TableOut<'a> {
    name: &'a str,
    phase: &'a str,
    replacements: &'a [String],
    counts: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct StatsOut {
    files_scanned: u64,
    files_parsed: u64,
    files_skipped: u64,
    bytes_scanned: u64,
    findings: usize,
    problems_by_reason: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
struct InventoryOut<'a> {
    version: u32,
    root: &'a str,
    tables: Vec<TableOut<'a>>,
    findings: &'a [Finding],
    /// Call sites of functions that touch a legacy table, one level up: never counted
    /// with `findings`.
    callers: &'a [Finding],
    problems: &'a [Problem],
    stats: StatsOut,
    /// `inventory --logs`: the code reconciled with the query logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<&'a Reconciliation>,
    /// `inventory --db`: the database read; its objects are among `findings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<serde_json::Value>,
}

/// Findings per table and access, for every configured table (zeros included).
pub fn counts_by_table(inv: &Inventory) -> BTreeMap<&str, BTreeMap<Access, u64>> {
    let mut counts: BTreeMap<&str, BTreeMap<Access, u64>> = BTreeMap::new();
    for t in inv.config.tables.tables() {
        let entry = counts.entry(t.display.as_str()).or_default();
        for a in Access::ALL {
            entry.insert(a, 0);
        }
    }
    for f in &inv.scan.findings {
        *counts
            .entry(f.table.as_str())
            .or_default()
            .entry(f.access)
            .or_default() += 1;
    }
    counts
}

/// Problems per reason.
pub fn problems_by_reason(problems: &[Problem]) -> BTreeMap<&'static str, u64> {
    let mut by = BTreeMap::new();
    for p in problems {
        *by.entry(p.reason.as_str()).or_default() += 1;
    }
    by
}

pub fn write_inventory(
    inv: &Inventory,
    runtime: Option<&Reconciliation>,
    database: Option<&crate::db::Catalog>,
    out: &mut dyn Write,
) -> Result<()> {
    let counts = counts_by_table(inv);
    let tables = inv
        .config
        .tables
        .tables()
        .iter()
        .map(|t| TableOut {
            name: &t.display,
            phase: t.phase.as_str(),
            replacements: &t.replacements,
            counts: counts
                .get(t.display.as_str())
                .map(|c| c.iter().map(|(a, n)| (a.as_str(), *n)).collect())
                .unwrap_or_default(),
        })
        .collect();
    let doc = InventoryOut {
        version: SCHEMA_VERSION,
        root: &inv.root_display,
        tables,
        findings: &inv.scan.findings,
        callers: &inv.scan.callers,
        problems: &inv.scan.problems,
        stats: StatsOut {
            files_scanned: inv.scan.stats.files_scanned,
            files_parsed: inv.scan.stats.files_parsed,
            files_skipped: inv.scan.stats.files_skipped,
            bytes_scanned: inv.scan.stats.bytes_scanned,
            findings: inv.scan.findings.len(),
            problems_by_reason: problems_by_reason(&inv.scan.problems),
        },
        runtime,
        database: database.map(super::db::source_json),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

pub fn write_findings_jsonl(findings: &[Finding], out: &mut dyn Write) -> Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *out, f)?;
        writeln!(out)?;
    }
    Ok(())
}
