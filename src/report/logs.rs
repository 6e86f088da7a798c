//! Rendering of `cutover logs`: a `LogReport` in, text, JSON or JSON Lines out. Text groups
//! by table, then writers / readers / schema changes, one client per line with its counts,
//! time window and top normalised statements, and always ends with the accounting. JSON is
//! the whole report (deterministic: sorted, no timings); JSON Lines is one row per line.

use crate::logs::{LogReport, Row};
use crate::model::Access;
use crate::report::escape::control;
use crate::report::style::{Role, Style, columns, count};
use anyhow::Result;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;

/// Version of the JSON document schema of `cutover logs`.
pub const SCHEMA_VERSION: u32 = 1;
/// Statements listed per row in text output.
const TOP_STATEMENTS: usize = 3;

fn heading(access: Access) -> &'static str {
    match access {
        Access::Write => "writers",
        Access::Read => "readers",
        Access::Ddl => "schema changes and maintenance",
        Access::Declare => "model declarations",
        Access::Unknown => "unresolved",
    }
}

/// The counts of a row on one line: `394 executions, 4 failed`.
pub fn row_counts(r: &Row) -> String {
    let mut s = count(r.executions, "execution", "executions");
    if r.failed > 0 {
        s.push_str(&format!(", {} failed (attempted, not applied)", r.failed));
    }
    s
}

pub fn write_text(report: &LogReport, style: Style, out: &mut dyn Write) -> Result<()> {
    let mut tables: Vec<&str> = report.rows.iter().map(|r| r.table.as_str()).collect();
    for t in &report.tables {
        tables.push(t);
    }
    tables.sort();
    tables.dedup();
    for table in tables {
        writeln!(out, "{}", style.paint(Role::Heading, table))?;
        let rows: Vec<&Row> = report.rows_of(table).collect();
        if rows.is_empty() {
            writeln!(out, "  not seen in the logs")?;
        }
        for access in Access::ALL {
            let group: Vec<&&Row> = rows.iter().filter(|r| r.access == access).collect();
            if group.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({})", heading(access), group.len())?;
            // Clients in aligned columns: who, how often, what, when.
            let cells: Vec<Vec<Cow<'_, str>>> = group
                .iter()
                .map(|r| {
                    let ops: Vec<&str> = r.operations.iter().map(|o| o.as_str()).collect();
                    let mut row: Vec<Cow<'_, str>> = vec![
                        control(&r.client),
                        row_counts(r).into(),
                        format!("[{}]", ops.join(", ")).into(),
                    ];
                    if let (Some(a), Some(b)) = (&r.first, &r.last) {
                        row.push(control(&format!("{a} .. {b}")).into_owned().into());
                    }
                    row
                })
                .collect();
            let role = Role::of_access(access);
            let lines = columns(&cells, |c, cell| match c {
                0 => style.paint(Role::Heading, cell),
                2 => style.paint(role, cell),
                _ => cell.to_string(),
            });
            for (r, line) in group.iter().zip(lines) {
                writeln!(out, "    {line}")?;
                for s in r.statements.iter().take(TOP_STATEMENTS) {
                    let failed = if s.failed > 0 {
                        format!(" ({} failed)", s.failed)
                    } else {
                        String::new()
                    };
                    writeln!(
                        out,
                        "      {:>8}{}  {}",
                        s.executions,
                        failed,
                        control(&crate::logs::truncate(&s.statement, 140))
                    )?;
                }
                if r.statements.len() > TOP_STATEMENTS {
                    writeln!(
                        out,
                        "      … {} more",
                        count(
                            (r.statements.len() - TOP_STATEMENTS) as u64,
                            "distinct statement",
                            "distinct statements"
                        )
                    )?;
                }
            }
        }
        writeln!(out)?;
    }
    write_accounting(report, out)
}

/// The accounting block, printed by every text view of a log read.
pub fn write_accounting(report: &LogReport, out: &mut dyn Write) -> Result<()> {
    let a = &report.accounting;
    let c = &report.classify;
    writeln!(out, "accounting")?;
    for f in &report.files {
        let comp = f.compression.map(|c| format!(", {c}")).unwrap_or_default();
        let env = f
            .envelope
            .map(|e| format!(" in {}", e.as_str()))
            .unwrap_or_default();
        writeln!(
            out,
            "  file {}: {}{env}{}, {} bytes, {} lines",
            control(&f.path),
            f.format.as_str(),
            comp,
            f.bytes,
            f.lines
        )?;
        if let Some(p) = &f.provider {
            writeln!(out, "    provider: {}", p.name())?;
        }
        if let Some(p) = &f.log_line_prefix {
            let how = f
                .prefix_source
                .as_deref()
                .map(|h| format!(", {h}"))
                .unwrap_or_default();
            writeln!(out, "    log_line_prefix: '{}'{how}", control(p))?;
        }
    }
    writeln!(
        out,
        "  lines read: {}; records: {}; statements found: {} ({} executions, {} failed on the server)",
        a.lines, a.records, a.statements, a.executions, a.failed
    )?;
    writeln!(
        out,
        "  not statements: {} protocol records (parse/bind/prepare), {} other records",
        a.protocol_records, a.other_records
    )?;
    writeln!(
        out,
        "  distinct statements: {}; classified: {}; failed to parse: {}; without tables: {}; other tables only: {}",
        c.distinct_statements,
        c.classified,
        c.failed_to_parse,
        c.without_tables,
        c.other_tables_only
    )?;
    for (reason, u) in &report.unparsed {
        writeln!(
            out,
            "    failed to parse ({}): {} statements, {} executions",
            control(reason),
            u.statements,
            u.executions
        )?;
        write_examples(out, "      ", &u.examples)?;
    }
    writeln!(
        out,
        "  lines not matching the format: {}",
        a.unmatched_lines
    )?;
    if a.unmatched_lines * 20 > a.lines {
        writeln!(
            out,
            "    more than 5% of the lines match no record: is the format right? \
             (--log-format, --doctor)"
        )?;
    }
    write_examples(out, "    ", &report.unmatched_examples)?;
    if a.prefix_mismatches > 0 {
        writeln!(
            out,
            "  records whose log_line_prefix did not match (client unknown): {}; run --doctor",
            a.prefix_mismatches
        )?;
        write_examples(out, "    ", &report.prefix_mismatch_examples)?;
    }
    if a.invalid_utf8_lines > 0 {
        writeln!(
            out,
            "  lines that are not UTF-8 (read with U+FFFD in their place): {}",
            a.invalid_utf8_lines
        )?;
        write_examples(out, "    ", &report.invalid_utf8_examples)?;
    }
    if a.audit_repeats > 0 {
        writeln!(
            out,
            "  audit records repeating the access before them (OBJECT and SESSION), counted once: {}",
            a.audit_repeats
        )?;
    }
    for n in &report.notes {
        writeln!(out, "  note: {}", control(n))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    #[serde(flatten)]
    report: &'a LogReport,
}

pub fn write_json(report: &LogReport, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(
        &mut *out,
        &Doc {
            version: SCHEMA_VERSION,
            report,
        },
    )?;
    writeln!(out)?;
    Ok(())
}

pub fn write_jsonl(report: &LogReport, out: &mut dyn Write) -> Result<()> {
    for r in &report.rows {
        serde_json::to_writer(&mut *out, r)?;
        writeln!(out)?;
    }
    Ok(())
}

fn runtime_line(r: &crate::logs::reconcile::RuntimeClient) -> String {
    let mut s = format!(
        "{}  {}",
        control(&r.client),
        count(r.executions, "execution", "executions")
    );
    if r.failed > 0 {
        s.push_str(&format!(", {} failed", r.failed));
    }
    if let (Some(a), Some(b)) = (&r.first, &r.last) {
        s.push_str(&format!("  {a} .. {b}"));
    }
    s
}

/// The runtime section appended to `inventory` text output when `--logs` is given.
pub fn write_reconciliation_text(
    r: &crate::logs::reconcile::Reconciliation,
    style: Style,
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out)?;
    let window = r
        .window
        .as_ref()
        .map(|(a, b)| format!(", window {a} .. {b}"))
        .unwrap_or_default();
    let title = format!("runtime evidence ({}{window})", r.files.join(", "));
    writeln!(out, "{}", style.paint(Role::Heading, &title))?;
    for t in &r.tables {
        writeln!(out, "  {}", style.paint(Role::Heading, &t.table))?;
        writeln!(
            out,
            "    unexplained writers ({})",
            t.unexplained_writers.len()
        )?;
        for w in &t.unexplained_writers {
            writeln!(out, "      {}", style.paint(Role::Write, &runtime_line(w)))?;
            writeln!(out, "        why: {}", control(&w.reason))?;
            for s in &w.statements {
                writeln!(
                    out,
                    "        {:>8}  {}",
                    s.executions + s.failed,
                    control(&crate::logs::truncate(&s.statement, 120))
                )?;
            }
        }
        writeln!(
            out,
            "    unexplained readers ({})",
            t.unexplained_readers.len()
        )?;
        for w in &t.unexplained_readers {
            writeln!(out, "      {}", runtime_line(w))?;
            writeln!(out, "        why: {}", control(&w.reason))?;
        }
        writeln!(
            out,
            "    code writers not observed in the logs ({})",
            t.not_observed_writers.len()
        )?;
        for n in &t.not_observed_writers {
            writeln!(
                out,
                "      {}: {}",
                control(n.component.as_deref().unwrap_or("(no component)")),
                control(&n.reason)
            )?;
            for l in &n.locations {
                writeln!(
                    out,
                    "        {}:{}  {}  {}",
                    control(&l.file),
                    l.line,
                    l.operation,
                    control(&l.evidence)
                )?;
            }
        }
        let names = |v: &[crate::logs::reconcile::RuntimeClient]| {
            let mut n: Vec<String> = v
                .iter()
                .map(|c| c.component.clone().unwrap_or_else(|| c.client.clone()))
                .collect();
            n.sort();
            n.dedup();
            n.join(", ")
        };
        writeln!(
            out,
            "    explained: writers [{}], readers [{}]",
            control(&names(&t.explained_writers)),
            control(&names(&t.explained_readers))
        )?;
        for c in t.explained_writers.iter().chain(&t.explained_readers) {
            if let Some(l) = &c.code_location {
                writeln!(
                    out,
                    "      {} → {}:{} (its source_location tag)",
                    control(&c.client),
                    control(&l.file),
                    l.line
                )?;
            }
        }
    }
    if !r.unmapped_clients.is_empty() {
        writeln!(out, "  clients that match no component's db_clients")?;
        for c in &r.unmapped_clients {
            writeln!(out, "    {}", control(c))?;
        }
    }
    let a = &r.accounting;
    writeln!(
        out,
        "  logs: {} lines, {} records, {} statements ({} failed), {} unmatched lines",
        a.lines, a.records, a.statements, a.failed, a.unmatched_lines
    )?;
    Ok(())
}

/// Example records, one per line under `indent`: `file:line: text`, terminal-safe.
fn write_examples<'e>(
    out: &mut dyn Write,
    indent: &str,
    examples: impl IntoIterator<Item = &'e crate::logs::Example>,
) -> Result<()> {
    for e in examples {
        writeln!(
            out,
            "{indent}{}:{}: {}",
            control(&e.file),
            e.line,
            control(&e.text)
        )?;
    }
    Ok(())
}
