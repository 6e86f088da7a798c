//! GitHub Actions output of `audit`: workflow commands (`::error file=…,line=…,col=…,title=…::
//! message`) so results show inline on pull requests — new and forbidden references and
//! dual-write findings, not the known backlog — most important first because GitHub
//! shows only 10 annotations of each level per step; and, when the caller passes the
//! `GITHUB_STEP_SUMMARY` file, the full results as a Markdown table appended to it, capped
//! below GitHub's 1 MiB limit. Suppressed findings are not annotated.

use crate::audit::rules::{Level, Rule};
use crate::audit::{Audit, Item};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// GitHub rejects a step summary over 1 MiB.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;

/// Escape a workflow command's message: GitHub's own escapes for `%` and line ends, and
/// other control characters (an ANSI sequence in a file name) shown as visible escapes.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if crate::report::escape::is_unsafe(c) => {
                out.push_str(&crate::report::escape::control(c.encode_utf8(&mut [0; 4])));
            }
            c => out.push(c),
        }
    }
    out
}

/// Escape a workflow command's property value (also `:` and `,`, which end properties).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    }
}

/// The annotated results, most important first: errors, then warnings, then notes; within
/// a level in file order.
fn ordered(audit: &Audit) -> Vec<&Item> {
    let mut items: Vec<&Item> = audit
        .items
        .iter()
        // A covered dual write is good news, and a known reference is the backlog (the step
        // summary lists both): neither is annotated on a pull request (issue 18).
        .filter(|i| {
            i.allowance.is_none()
                && i.rule != Rule::DualWriteCovered
                && i.rule != Rule::KnownReference
        })
        .collect();
    items.sort_by_key(|i| i.level);
    items
}

pub fn write_audit(audit: &Audit, step_summary: Option<&Path>, out: &mut dyn Write) -> Result<()> {
    for item in ordered(audit) {
        writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            command(item.level),
            escape_property(&item.file),
            item.line.max(1),
            item.column.max(1),
            escape_property(&format!("{} ({})", item.rule.title(), item.rule.id())),
            escape_data(&item.message)
        )?;
    }
    writeln!(
        out,
        "cutover audit {}: {}",
        if audit.failed() { "failed" } else { "passed" },
        counts_line(audit)
    )?;
    if let Some(path) = step_summary {
        let existing = std::fs::metadata(path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let budget = STEP_SUMMARY_LIMIT.saturating_sub(existing);
        let text = summary_markdown(audit, budget);
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open GITHUB_STEP_SUMMARY {}", path.display()))?;
        f.write_all(text.as_bytes())
            .with_context(|| format!("cannot write GITHUB_STEP_SUMMARY {}", path.display()))?;
    }
    Ok(())
}

/// `1 error, 2 warnings; 3 references: 1 new, 2 known, 0 suppressed`.
fn counts_line(audit: &Audit) -> String {
    use crate::report::style::count;
    let c = audit.counts();
    let unresolved = if c.unresolved > 0 {
        format!(", {} unresolved", c.unresolved)
    } else {
        String::new()
    };
    format!(
        "{}, {}; {}: {} new, {} known, {} suppressed{unresolved}",
        count(c.errors, "error", "errors"),
        count(c.warnings, "warning", "warnings"),
        count(c.references, "reference", "references"),
        c.new,
        c.known,
        c.suppressed
    )
}

/// A Markdown table cell: no line breaks, `|` escaped, control characters visible.
fn cell(s: &str) -> String {
    crate::report::escape::control(&s.replace(['\r', '\n'], " ")).replace('|', "\\|")
}

/// The step summary: verdict, totals per table, then every result (suppressed ones too),
/// at most `budget` bytes; rows that do not fit are counted in a closing line.
pub fn summary_markdown(audit: &Audit, budget: usize) -> String {
    let mut head = format!(
        "\n## cutover audit {}\n\n{}\n\n",
        if audit.failed() { "failed" } else { "passed" },
        counts_line(audit)
    );
    head.push_str("| table | phase | references | new | known | suppressed | baseline |\n");
    head.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for t in &audit.tables {
        head.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&t.table),
            t.phase,
            t.references,
            t.new,
            t.known,
            t.suppressed,
            t.baseline
                .map(|n| n.to_string())
                .unwrap_or_else(|| "-".into())
        ));
    }
    head.push_str("\n| level | rule | location | status | message |\n");
    head.push_str("| --- | --- | --- | --- | --- |\n");
    // Reserve room for the closing line so the whole text stays within the budget.
    const TAIL_RESERVE: usize = 128;
    if head.len() + TAIL_RESERVE > budget {
        return String::new();
    }
    let mut text = head;
    let mut items: Vec<&Item> = audit.items.iter().collect();
    items.sort_by_key(|i| (i.level, i.allowance.is_some()));
    let total = items.len();
    let mut written = 0;
    for item in items {
        let status = match (&item.allowance, item.status) {
            (Some(a), _) => format!("suppressed: {}", a.reason),
            (None, Some(s)) => s.as_str().to_string(),
            (None, None) => "-".to_string(),
        };
        let row = format!(
            "| {} | `{}` | `{}:{}` | {} | {} |\n",
            item.level.as_str(),
            item.rule.id(),
            cell(&item.file),
            item.line,
            cell(&status),
            cell(&item.message)
        );
        if text.len() + row.len() + TAIL_RESERVE > budget {
            break;
        }
        text.push_str(&row);
        written += 1;
    }
    if written < total {
        text.push_str(&format!(
            "\n{} more results did not fit in the step summary: see the SARIF or JSON report.\n",
            total - written
        ));
    }
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a,b:c%\n"), "a%2Cb%3Ac%25%0A");
        assert_eq!(escape_data("x\x1b[31m\u{202e}"), "x\\x1b[31m\\u{202e}");
    }
}
