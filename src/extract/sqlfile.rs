//! `.sql` files (migrations, views, functions, triggers): every statement is classified, and
//! statements inside function and trigger bodies are attributed to their routine.

use super::{FileInput, FileScan, LineIndex, evidence, sql_text};
use crate::model::{Confidence, Kind, Problem, Site, SkipReason};
use crate::sql;

pub fn extract(file: &FileInput<'_>, out: &mut FileScan) {
    let index = LineIndex::new(file.text);
    classify_from(file, &index, 0, false, out);
    if let Some((start, open)) = sql::unterminated_tail(file.text, file.ctx.dialect) {
        unterminated(file, &index, start, open, out);
    }
}

/// A comment or quote opened at `start` never closes: what follows it would be invisible.
/// It is read again as SQL from after the opener (findings not already made are added as
/// heuristic), and the file is reported.
fn unterminated(
    file: &FileInput<'_>,
    index: &LineIndex,
    start: usize,
    open: usize,
    out: &mut FileScan,
) {
    let before = out.findings.len();
    let mut tail = FileScan::default();
    // From the next line: the rest of the opener's line is the comment's or string's text.
    let after = start + open;
    let from =
        memchr::memchr(b'\n', &file.text.as_bytes()[after..]).map_or(after, |k| after + k + 1);
    classify_from(file, index, from, true, &mut tail);
    for f in tail.findings {
        let known = out.findings[..before]
            .iter()
            .any(|g| g.table == f.table && g.access == f.access && g.operation == f.operation);
        if !known {
            out.findings.push(f);
        }
    }
    out.problems.extend(tail.problems);
    let (line, _) = index.position(file.text, start);
    out.problems.push(Problem {
        file: file.rel.to_string(),
        line: Some(line),
        reason: SkipReason::SyntaxError,
        detail: format!(
            "`{}` never closes: the rest of the file was also read as SQL (heuristic)",
            &file.text[start..start + open]
        ),
    });
}

/// Classify the statements of `file.text[from..]`; `heuristic` marks every finding so.
fn classify_from(
    file: &FileInput<'_>,
    index: &LineIndex,
    from: usize,
    heuristic: bool,
    out: &mut FileScan,
) {
    let text = &file.text[from..];
    for mut stmt in sql::classify(text, file.ctx.dialect) {
        if heuristic {
            stmt.confidence = Confidence::Heuristic;
        }
        let body = &text[stmt.start..stmt.end.max(stmt.start)];
        let at = Site {
            function: stmt.routine.clone(),
            evidence: evidence(body),
            ..file.site_at(index, from + stmt.start)
        };
        let mut matched = false;
        let mut dynamic = Vec::new();
        for u in &stmt.uses {
            if u.table.name.starts_with(sql::DYNAMIC_MARKER_PREFIX) {
                dynamic.push((u.access, u.operation));
                continue;
            }
            let Some(table) = file.ctx.tables.resolve(&u.table) else {
                continue;
            };
            matched = true;
            out.findings.push(at.finding(
                table.display.clone(),
                u.access,
                u.operation,
                Kind::SqlFile,
                stmt.confidence,
            ));
        }
        // `EXECUTE format('DELETE FROM %I …', t)` in a routine: the table is computed at run
        // time, so it may be any legacy table this file mentions (as in code: see
        // `sql_text::sql_findings`).
        if !matched && !dynamic.is_empty() {
            for table in file.ctx.tables.tables() {
                let name = table.name.name.to_ascii_lowercase();
                if !sql_text::mentioned_tables(file).contains(&name) {
                    continue;
                }
                for &(access, operation) in &dynamic {
                    out.findings.push(at.finding(
                        table.display.clone(),
                        access,
                        operation,
                        Kind::SqlFile,
                        Confidence::Dynamic,
                    ));
                }
            }
        }
        if !matched && stmt.uses.is_empty() && stmt.error.is_some() {
            // A statement no parser understood and in which the fallback found no table:
            // report it only when it might concern a legacy table.
            if file.ctx.may_match(body.as_bytes()) {
                out.problems.push(Problem {
                    file: file.rel.to_string(),
                    line: Some(at.line),
                    reason: SkipReason::UnparsedSql,
                    detail: format!(
                        "statement mentions a legacy table but could not be classified: {}",
                        stmt.error.as_deref().unwrap_or("parse error")
                    ),
                });
            }
        }
    }
}
