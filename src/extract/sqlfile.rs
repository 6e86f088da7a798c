//! `.sql` files (migrations, views, functions, triggers): every statement is classified, and
//! statements inside function and trigger bodies are attributed to their routine.

use super::{FileInput, FileScan, LineIndex, evidence};
use crate::model::{Finding, Kind, Problem, SkipReason};
use crate::sql;

pub fn extract(file: &FileInput<'_>, out: &mut FileScan) {
    let text = file.text;
    let index = LineIndex::new(text);
    for stmt in sql::classify(text, file.ctx.dialect) {
        let (line, column) = index.position(text, stmt.start);
        let body = &text[stmt.start..stmt.end.max(stmt.start)];
        let mut matched = false;
        for u in &stmt.uses {
            let Some(table) = file.ctx.tables.resolve(&u.table) else {
                continue;
            };
            matched = true;
            out.findings.push(Finding {
                table: table.display.clone(),
                access: u.access,
                operation: u.operation,
                file: file.rel.to_string(),
                line,
                column,
                language: file.language,
                kind: Kind::SqlFile,
                function: stmt.routine.clone(),
                confidence: stmt.confidence,
                evidence: evidence(body),
                sink: None,
                framework: None,
                via: Vec::new(),
            });
        }
        if !matched && stmt.uses.is_empty() && stmt.error.is_some() {
            // A statement no parser understood and in which the fallback found no table:
            // report it only when it might concern a legacy table.
            if file.ctx.may_match(body.as_bytes()) {
                out.problems.push(Problem {
                    file: file.rel.to_string(),
                    line: Some(line),
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
