//! JSON and JSON Lines output of `audit`. Each finding is the inventory contract
//! (`model::Finding`, same keys) plus `status` (new | known | suppressed), `fingerprint`,
//! `rule`, `level` and, when a comment allows it, `suppression`. The JSON document adds the
//! verdict, per-table totals, the baseline's progress and the suppression problems.
//! Deterministic: no timings, sorted, relative paths.

use crate::audit::rules::{Level, Status};
use crate::audit::{Audit, Item};
use crate::model::{Finding, Operation, Problem};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Version of the audit JSON document.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct SuppressionOut<'a> {
    line: u32,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    status: Status,
    fingerprint: &'a str,
    rule: &'static str,
    level: Level,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<SuppressionOut<'a>>,
}

#[derive(Serialize)]
struct OtherOut<'a> {
    rule: &'static str,
    level: Level,
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
    fingerprint: &'a str,
}

/// A dual-write verdict (issue 11): the check's fields plus the audit's rule and level.
#[derive(Serialize)]
struct DualWriteOut<'a> {
    #[serde(flatten)]
    check: &'a crate::dualwrite::Check,
    rule: &'static str,
    level: Level,
    message: &'a str,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<SuppressionOut<'a>>,
}

#[derive(Serialize)]
struct TableOut<'a> {
    table: &'a str,
    phase: &'a str,
    references: u64,
    new: u64,
    known: u64,
    suppressed: u64,
    baseline: Option<u64>,
}

#[derive(Serialize)]
struct RemovalOut<'a> {
    file: &'a str,
    table: &'a str,
    operation: Operation,
    function: Option<&'a str>,
    was: u32,
    now: u32,
}

#[derive(Serialize)]
struct UpdateOut {
    created: bool,
    recorded: u64,
    removed: u64,
    added: u64,
    refused: u64,
}

#[derive(Serialize)]
struct BaselineOut<'a> {
    path: &'a str,
    removed: u64,
    removals: Vec<RemovalOut<'a>>,
    renames: &'a BTreeMap<String, String>,
    update: Option<UpdateOut>,
    /// Entries of files this run could not analyse, kept unchanged.
    kept: Vec<KeptOut<'a>>,
}

#[derive(Serialize)]
struct KeptOut<'a> {
    file: &'a str,
    reason: crate::model::SkipReason,
    references: u64,
}

#[derive(Serialize)]
struct SummaryOut {
    verdict: &'static str,
    errors: u64,
    warnings: u64,
    notes: u64,
    references: u64,
    new: u64,
    known: u64,
    suppressed: u64,
    unresolved: u64,
    files_scanned: u64,
    files_skipped: u64,
}

#[derive(Serialize)]
struct AuditOut<'a> {
    version: u32,
    root: &'a str,
    changed_since: Option<&'a str>,
    summary: SummaryOut,
    tables: Vec<TableOut<'a>>,
    baseline: Option<BaselineOut<'a>>,
    findings: Vec<FindingOut<'a>>,
    dual_write: Vec<DualWriteOut<'a>>,
    suppression_problems: Vec<OtherOut<'a>>,
    problems: &'a [Problem],
}

fn finding_out(item: &Item) -> Option<FindingOut<'_>> {
    Some(FindingOut {
        finding: item.finding.as_ref()?,
        status: item.status?,
        fingerprint: &item.fingerprint,
        rule: item.rule.id(),
        level: item.level,
        suppression: item.allowance.as_ref().map(|a| SuppressionOut {
            line: a.line,
            reason: &a.reason,
            until: a.until.map(|d| d.to_string()),
        }),
    })
}

pub fn write_audit(audit: &Audit, out: &mut dyn Write) -> Result<()> {
    let c = audit.counts();
    let doc = AuditOut {
        version: SCHEMA_VERSION,
        root: &audit.root_display,
        changed_since: audit.changed_since.as_deref(),
        summary: SummaryOut {
            verdict: if audit.failed() { "failed" } else { "passed" },
            errors: c.errors,
            warnings: c.warnings,
            notes: c.notes,
            references: c.references,
            new: c.new,
            known: c.known,
            suppressed: c.suppressed,
            unresolved: c.unresolved,
            files_scanned: audit.stats.files_scanned,
            files_skipped: audit.stats.files_skipped,
        },
        tables: audit
            .tables
            .iter()
            .map(|t| TableOut {
                table: &t.table,
                phase: t.phase,
                references: t.references,
                new: t.new,
                known: t.known,
                suppressed: t.suppressed,
                baseline: t.baseline,
            })
            .collect(),
        baseline: audit.baseline.as_ref().map(|b| BaselineOut {
            path: &b.path,
            removed: b.removed(),
            removals: b
                .removals
                .iter()
                .map(|r| RemovalOut {
                    file: &r.key.file,
                    table: &r.key.table,
                    operation: r.key.operation,
                    function: r.key.function.as_deref(),
                    was: r.was,
                    now: r.now,
                })
                .collect(),
            renames: &b.renames,
            update: b.update.as_ref().map(|u| UpdateOut {
                created: b.created,
                recorded: u.baseline.total(),
                removed: u.removed,
                added: u.added,
                refused: u.refused,
            }),
            kept: b
                .kept
                .iter()
                .map(|k| KeptOut {
                    file: &k.file,
                    reason: k.reason,
                    references: k.references,
                })
                .collect(),
        }),
        findings: audit.items.iter().filter_map(finding_out).collect(),
        dual_write: audit
            .items
            .iter()
            .filter_map(|i| {
                Some(DualWriteOut {
                    check: i.check.as_ref()?,
                    rule: i.rule.id(),
                    level: i.level,
                    message: &i.message,
                    fingerprint: &i.fingerprint,
                    suppression: i.allowance.as_ref().map(|a| SuppressionOut {
                        line: a.line,
                        reason: &a.reason,
                        until: a.until.map(|d| d.to_string()),
                    }),
                })
            })
            .collect(),
        suppression_problems: audit
            .items
            .iter()
            .filter(|i| i.finding.is_none() && i.check.is_none())
            .map(|i| OtherOut {
                rule: i.rule.id(),
                level: i.level,
                file: &i.file,
                line: i.line,
                column: i.column,
                message: &i.message,
                fingerprint: &i.fingerprint,
            })
            .collect(),
        problems: &audit.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// One finding per line, in report order.
pub fn write_audit_jsonl(audit: &Audit, out: &mut dyn Write) -> Result<()> {
    for f in audit.items.iter().filter_map(finding_out) {
        serde_json::to_writer(&mut *out, &f)?;
        writeln!(out)?;
    }
    Ok(())
}
