//! Human-readable `inventory` output: per table, writers, readers and schema changes, each
//! on one line (`file:line  function  operation  statement`), then problems and a summary.

use crate::model::{Access, Finding};
use crate::report::json::{counts_by_table, problems_by_reason};
use crate::scan::Inventory;
use anyhow::Result;
use std::io::Write;

fn heading(access: Access) -> &'static str {
    match access {
        Access::Write => "writers",
        Access::Read => "readers",
        Access::Ddl => "schema changes",
        Access::Declare => "model declarations",
    }
}

/// One finding on one line.
pub fn finding_line(f: &Finding) -> String {
    let confidence = match f.confidence {
        crate::model::Confidence::Parsed => String::new(),
        other => format!(" [{}]", other.as_str()),
    };
    // A database object has no line: its name is its location.
    let at = if f.kind == crate::model::Kind::DbObject {
        f.file.clone()
    } else {
        format!("{}:{}", f.file, f.line)
    };
    format!(
        "{}  {}  {}{}  {}",
        at,
        f.function.as_deref().unwrap_or("-"),
        f.operation,
        confidence,
        f.evidence
    )
}

pub fn write_inventory(inv: &Inventory, out: &mut dyn Write) -> Result<()> {
    for table in inv.config.tables.tables() {
        let of_table: Vec<&Finding> = inv
            .scan
            .findings
            .iter()
            .filter(|f| f.table == table.display)
            .collect();
        let mut title = format!("{} (phase: {}", table.display, table.phase.as_str());
        if !table.replacements.is_empty() {
            title.push_str(&format!(", replacement: {}", table.replacements.join(", ")));
        }
        title.push(')');
        writeln!(out, "{title}")?;
        if of_table.is_empty() {
            writeln!(out, "  no references found")?;
        }
        for access in Access::ALL {
            let group: Vec<&&Finding> = of_table.iter().filter(|f| f.access == access).collect();
            if group.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({})", heading(access), group.len())?;
            for f in group {
                writeln!(out, "    {}", finding_line(f))?;
            }
        }
        writeln!(out)?;
    }

    if !inv.scan.problems.is_empty() {
        writeln!(out, "problems ({})", inv.scan.problems.len())?;
        for p in &inv.scan.problems {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "  {}{}: {}: {}",
                p.file,
                at,
                p.reason.as_str(),
                p.detail
            )?;
        }
        writeln!(out)?;
    }

    let s = &inv.scan.stats;
    writeln!(out, "summary")?;
    let reasons = problems_by_reason(&inv.scan.problems);
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            reasons
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    writeln!(
        out,
        "  files: {} scanned, {} parsed, {} skipped; problems: {}{}",
        s.files_scanned,
        s.files_parsed,
        s.files_skipped,
        inv.scan.problems.len(),
        reasons
    )?;
    for (table, counts) in counts_by_table(inv) {
        let parts: Vec<String> = Access::ALL
            .iter()
            .map(|a| format!("{} {}", counts.get(a).copied().unwrap_or(0), heading(*a)))
            .collect();
        writeln!(out, "  {table}: {}", parts.join(", "))?;
    }
    writeln!(out, "  time: {:.2} s", inv.elapsed.as_secs_f64())?;
    Ok(())
}
