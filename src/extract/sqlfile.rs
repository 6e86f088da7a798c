//! `.sql` files (migrations, views, functions, triggers): every statement is classified, and
//! statements inside function and trigger bodies are attributed to their routine.
//! Named-query files (sqlc `-- name: GetX :one`, yesql / goyesql / aiosql `-- name: get-x!`,
//! PugSQL / HugSQL `-- :name get_x :one`) name each statement after its query: that name
//! is the finding's `function` and its framework the library, so that the code calling
//! the query by name can be listed as its callers (`scan::callers`).

use super::{FileInput, FileScan, LineIndex, evidence, sql_text};
use crate::model::{Confidence, Kind, Problem, Site, SkipReason};
use crate::sql;
use std::sync::LazyLock;

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
    for (named, mut stmt) in statements(text, file.ctx.dialect) {
        if heuristic {
            stmt.confidence = Confidence::Heuristic;
        }
        let body = &text[stmt.start..stmt.end.max(stmt.start)];
        let named = named.as_ref();
        let at = Site {
            function: stmt
                .routine
                .clone()
                .or_else(|| named.map(|q| q.name.clone())),
            evidence: evidence(body),
            framework: named.map(|q| q.framework.to_string()),
            ..file.site_at(index, from + stmt.start)
        };
        let mut matched = false;
        let mut dynamic = Vec::new();
        let before = out.findings.len();
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
        let written: Vec<String> = out.findings[before..]
            .iter()
            .filter(|f| f.access == crate::model::Access::Write)
            .map(|f| f.table.clone())
            .collect();
        let cascaded = super::foreign_keys::statement_cascades(
            file,
            &stmt,
            body,
            &at,
            Kind::SqlFile,
            &written,
        );
        matched |= !cascaded.is_empty();
        out.findings.extend(cascaded);
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

/// The statements of a `.sql` file, each with the named query it belongs to. A name marker
/// ends the query before it, semicolon or not (aiosql and yesql split on the markers), so
/// each query is classified on its own.
fn statements(text: &str, dialect: sql::Dialect) -> Vec<(Option<NamedQuery>, sql::Statement)> {
    let names = named_queries(text);
    let first = names.first().map_or(text.len(), |q| q.at);
    let mut pieces: Vec<(Option<&NamedQuery>, usize, usize)> = vec![(None, 0, first)];
    for (i, q) in names.iter().enumerate() {
        let end = names.get(i + 1).map_or(text.len(), |n| n.at);
        pieces.push((Some(q), q.at, end));
    }
    let cuts = meta_commands(text);
    let mut out = Vec::new();
    for (named, start, end) in pieces {
        for (a, b) in between(start, end, &cuts) {
            for mut stmt in sql::classify(&text[a..b], dialect) {
                stmt.start += a;
                stmt.end += a;
                out.push((named.cloned(), stmt));
            }
        }
    }
    out
}

/// psql meta-commands, as byte ranges to leave out: a line that starts with `\` (`\set`,
/// `\if :x`, `\endif`, `\i file`) and a `\g`, `\gexec`, `\gset`, `\gx` that ends a
/// statement on its line. Each ends the statement before it, semicolon or not.
static META_COMMAND: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r"(?m)^[ \t]*\\[A-Za-z!?][^\n]*|\\g(?:exec|set|x|desc)?\b[^\n]*").ok()
});

fn meta_commands(text: &str) -> Vec<(usize, usize)> {
    if !text.contains('\\') {
        return Vec::new();
    }
    let Some(re) = META_COMMAND.as_ref() else {
        return Vec::new();
    };
    re.find_iter(text).map(|m| (m.start(), m.end())).collect()
}

/// The parts of `start..end` outside the `cuts` (sorted, non-overlapping).
fn between(start: usize, end: usize, cuts: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    for &(a, b) in cuts.iter().filter(|(a, b)| *b > start && *a < end) {
        if a > at {
            out.push((at, a));
        }
        at = at.max(b);
    }
    if at < end {
        out.push((at, end));
    }
    out
}

/// A query name declared in a comment of a named-query file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedQuery {
    /// Byte offset of the comment: the statements after it, up to the next name, are it.
    pub at: usize,
    /// The name code calls it by (`GetAccount`; yesql's `get-user!` becomes `get_user`, as
    /// aiosql exposes it).
    pub name: String,
    /// `sqlc`, `yesql` (yesql, goyesql, aiosql) or `pugsql` (PugSQL, HugSQL).
    pub framework: &'static str,
}

/// `-- name: GetX :one` (sqlc), `-- name: get-x<!` (yesql family), `-- :name x :one` (PugSQL).
static NAME_MARKER: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?m)^[ \t]*--[ \t]*(?:name:[ \t]*([A-Za-z_][\w-]*)[ \t]*(<!|\*!|!|#|\^|\$)?[ \t]*(:[a-z]+)?|:name[ \t]+([A-Za-z_][\w-]*))",
    )
    .ok()
});

/// The query names a `.sql` file declares, in file order.
pub fn named_queries(text: &str) -> Vec<NamedQuery> {
    let Some(re) = NAME_MARKER.as_ref() else {
        return Vec::new();
    };
    re.captures_iter(text)
        .filter_map(|c| {
            let at = c.get(0)?.start();
            if let Some(n) = c.get(4) {
                return Some(NamedQuery {
                    at,
                    name: n.as_str().replace('-', "_"),
                    framework: "pugsql",
                });
            }
            let name = c.get(1)?.as_str();
            let sqlc = c.get(3).is_some() && c.get(2).is_none();
            Some(NamedQuery {
                at,
                name: if sqlc {
                    name.to_string()
                } else {
                    name.replace('-', "_")
                },
                framework: if sqlc { "sqlc" } else { "yesql" },
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_meta_commands_end_statements() {
        let text = "\\set ON_ERROR_STOP on\n\
                    SELECT id FROM orders_legacy WHERE id = 1 \\gset\n\
                    \\if :dry_run\n\
                    UPDATE orders_legacy SET status = 'x'\n\
                    \\else\n\
                    DELETE FROM orders_legacy WHERE id = 2\n\
                    \\endif\n\
                    INSERT INTO orders_legacy (id) VALUES (3)\n\
                    \\g\n";
        let got: Vec<(crate::model::Operation, String)> = statements(text, sql::Dialect::Postgres)
            .into_iter()
            .flat_map(|(_, s)| {
                let body = text[s.start..s.end].trim().to_string();
                s.uses.into_iter().map(move |u| (u.operation, body.clone()))
            })
            .collect();
        let ops: Vec<crate::model::Operation> = got.iter().map(|(o, _)| *o).collect();
        assert_eq!(
            ops,
            vec![
                crate::model::Operation::Select,
                crate::model::Operation::Update,
                crate::model::Operation::Delete,
                crate::model::Operation::Insert
            ],
            "{got:?}"
        );
        assert!(got.iter().all(|(_, b)| !b.contains('\\')), "{got:?}");
    }

    #[test]
    fn query_names_of_each_library() {
        let text = "-- name: GetAccount :one\nSELECT 1;\n\
                    -- name: get-user-by-email^\nSELECT 2;\n\
                    -- name: add-favorite<!\nINSERT INTO f VALUES (1);\n\
                    -- name: list\nSELECT 3;\n\
                    -- :name find_order :one\nSELECT 4;\n\
                    -- names: not a marker\n";
        let got: Vec<(String, &str)> = named_queries(text)
            .into_iter()
            .map(|q| (q.name, q.framework))
            .collect();
        assert_eq!(
            got,
            vec![
                ("GetAccount".to_string(), "sqlc"),
                ("get_user_by_email".to_string(), "yesql"),
                ("add_favorite".to_string(), "yesql"),
                ("list".to_string(), "yesql"),
                ("find_order".to_string(), "pugsql"),
            ]
        );
    }
}
