//! Human-readable `inventory` output: per table, writers, readers and schema changes, one
//! finding per line in aligned columns (`file:line  function  operation  statement`), then
//! problems, a summary, and one line saying what to run next.

use crate::model::{Access, Finding};
use crate::report::json::{counts_by_table, problems_by_reason};
use crate::report::style::{Role, Style, columns, count};
use crate::scan::Inventory;
use anyhow::Result;
use std::borrow::Cow;
use std::io::Write;

fn heading(access: Access) -> (&'static str, &'static str) {
    match access {
        Access::Write => ("writer", "writers"),
        Access::Read => ("reader", "readers"),
        Access::Ddl => ("schema change", "schema changes"),
        Access::Declare => ("model declaration", "model declarations"),
        Access::Unknown => ("unresolved reference", "unresolved references"),
    }
}

/// The operation column: `update`, `select [inferred]`, `delete via Order.items`.
fn operation(f: &Finding) -> String {
    if f.access == Access::Unknown {
        return "unresolved".to_string();
    }
    let mut s = f.operation.as_str().to_string();
    if f.confidence != crate::model::Confidence::Parsed {
        s.push_str(&format!(" [{}]", f.confidence.as_str()));
    }
    if !f.via.is_empty() {
        s.push_str(&format!(" via {}", f.via.join(" → ")));
    }
    s
}

/// Where a finding is: `file:line`, or a database object's name (it has no line).
pub fn location(f: &Finding) -> String {
    if f.kind == crate::model::Kind::DbObject {
        f.file.clone()
    } else {
        format!("{}:{}", f.file, f.line)
    }
}

/// How a caller names a `[[wrappers]]` callee in its `via`.
const WRAPPER_VIA: &str = "@ cutover.toml [[wrappers]]";

/// The callers of a direct finding: same table and access, and the finding among the
/// callees their `via` names (`name @ file:line`).
fn callers_of<'a>(inv: &'a Inventory, f: &Finding) -> impl Iterator<Item = &'a Finding> {
    let at = format!("@ {}:{}", f.file, f.line);
    let (table, access) = (f.table.clone(), f.access);
    inv.scan.callers.iter().filter(move |c| {
        c.table == table && c.access == access && c.via.iter().any(|v| v.ends_with(&at))
    })
}

/// A caller on one line: where, in which function, the call, and what it calls.
fn caller_cell(c: &Finding) -> String {
    use crate::report::escape::control;
    let callees: Vec<&str> = c
        .via
        .iter()
        .map(|v| v.split(" @ ").next().unwrap_or(v))
        .collect();
    let mut callees = callees;
    callees.dedup();
    control(&format!(
        "{}  {}  {}  (calls {})",
        location(c),
        c.function.as_deref().unwrap_or("-"),
        c.evidence,
        callees.join(", ")
    ))
    .into_owned()
}

/// One finding on one line (unaligned; the inventory aligns its own).
pub fn finding_line(f: &Finding) -> String {
    format!(
        "{}  {}  {}  {}",
        location(f),
        f.function.as_deref().unwrap_or("-"),
        operation(f),
        f.evidence
    )
}

/// The cells of a finding's line, escaped for a terminal.
fn cells(f: &Finding) -> Vec<Cow<'_, str>> {
    use crate::report::escape::control;
    vec![
        Cow::Owned(control(&location(f)).into_owned()),
        Cow::Owned(control(f.function.as_deref().unwrap_or("-")).into_owned()),
        Cow::Owned(control(&operation(f)).into_owned()),
        match &f.reason {
            // An unresolved reference says why it could not be classified.
            Some(why) => Cow::Owned(control(&format!("{}  (why: {why})", f.evidence)).into_owned()),
            None => Cow::Owned(control(&f.evidence).into_owned()),
        },
    ]
}

pub fn write_inventory(inv: &Inventory, style: Style, out: &mut dyn Write) -> Result<()> {
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
        writeln!(out, "{}", style.paint(Role::Heading, &title))?;
        if of_table.is_empty() {
            writeln!(out, "  no references found")?;
        }
        for access in Access::ALL {
            let group: Vec<&&Finding> = of_table.iter().filter(|f| f.access == access).collect();
            if group.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({})", heading(access).1, group.len())?;
            let rows: Vec<Vec<Cow<'_, str>>> = group.iter().map(|f| cells(f)).collect();
            let role = Role::of_access(access);
            let lines = columns(&rows, |c, cell| paint_cell(style, role, c, cell));
            for (line, f) in lines.into_iter().zip(&group) {
                writeln!(out, "    {line}")?;
                for c in callers_of(inv, f) {
                    writeln!(
                        out,
                        "      {} {}",
                        style.paint(Role::Dim, "called from"),
                        caller_cell(c)
                    )?;
                }
            }
        }
        let declared: Vec<&Finding> = inv
            .scan
            .callers
            .iter()
            .filter(|c| c.table == table.display && c.via.iter().any(|v| v.ends_with(WRAPPER_VIA)))
            .collect();
        if !declared.is_empty() {
            writeln!(out, "  callers of declared wrappers ({})", declared.len())?;
            for c in declared {
                writeln!(out, "    {} {}", c.access, caller_cell(c))?;
            }
        }
        writeln!(out)?;
    }

    if !inv.scan.problems.is_empty() {
        let title = format!("problems ({})", inv.scan.problems.len());
        writeln!(out, "{}", style.paint(Role::Heading, &title))?;
        for p in &inv.scan.problems {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            writeln!(
                out,
                "  {}{}: {}: {}",
                style.paint(Role::Path, &p.file),
                at,
                style.paint(Role::Read, p.reason.as_str()),
                style.paint(Role::Dim, &p.detail)
            )?;
        }
        writeln!(out)?;
    }

    let s = &inv.scan.stats;
    writeln!(out, "{}", style.paint(Role::Heading, "summary"))?;
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
        "  files: {} scanned, {} parsed, {} skipped; {}{}",
        s.files_scanned,
        s.files_parsed,
        s.files_skipped,
        count(inv.scan.problems.len() as u64, "problem", "problems"),
        reasons
    )?;
    for (table, counts) in counts_by_table(inv) {
        // Unresolved references are named only when there are some.
        let parts: Vec<String> = Access::ALL
            .iter()
            .filter(|a| **a != Access::Unknown || counts.get(a).is_some_and(|n| *n > 0))
            .map(|a| {
                let (one, many) = heading(*a);
                count(counts.get(a).copied().unwrap_or(0), one, many)
            })
            .collect();
        writeln!(out, "  {table}: {}", parts.join(", "))?;
    }
    if !inv.scan.callers.is_empty() {
        writeln!(
            out,
            "  {} (one level up, listed under what they call, not counted above)",
            count(inv.scan.callers.len() as u64, "caller", "callers")
        )?;
    }
    writeln!(out, "  time: {:.2} s", inv.elapsed.as_secs_f64())?;
    Ok(())
}

/// A cell of a finding line: the location in path and line colours, the operation in its
/// access's colour, the rest plain.
fn paint_cell(style: Style, role: Role, column: usize, cell: &str) -> String {
    match column {
        0 => match cell.rsplit_once(':') {
            Some((file, line)) => format!(
                "{}:{}",
                style.paint(Role::Path, file),
                style.paint(Role::Line, line)
            ),
            None => style.paint(Role::Path, cell),
        },
        2 => style.paint(role, cell),
        _ => cell.to_string(),
    }
}

/// The last line of the text inventory: what to run next, for the repository at
/// `root` (`with_logs`: the run already read query logs).
pub fn write_next_step(
    root: &str,
    with_logs: bool,
    style: Style,
    out: &mut dyn Write,
) -> Result<()> {
    let path = shell_word(root);
    let path = if path == "." {
        String::new()
    } else {
        format!(" {path}")
    };
    let hint = if with_logs {
        format!(
            "next: `cutover plan{path}` orders the migration; `cutover audit{path} \
             --update-baseline --allow-new` locks these references in for CI"
        )
    } else {
        format!(
            "next: `cutover inventory{path} --logs FILE` adds the writers only the query logs \
             show; `cutover plan{path}` orders the migration"
        )
    };
    writeln!(out)?;
    writeln!(out, "{}", style.paint(Role::Dim, &hint))?;
    Ok(())
}

/// `path` as one word for a POSIX shell: as is when it is plain, else single-quoted.
fn shell_word(path: &str) -> String {
    let plain = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':'));
    if plain {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("fixtures/demo"), "fixtures/demo");
        assert_eq!(shell_word("my repo"), "'my repo'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
