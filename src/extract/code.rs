//! What every code extractor shares: SQL text assembled from source pieces (literals,
//! concatenations, templates) with a map back to source offsets, and the step that turns
//! such text into findings (classify, keep configured tables, place each statement at the
//! line where its text starts, report interpolated table names as `dynamic`).

use super::{FileInput, FileScan, LineIndex, evidence};
use crate::model::{Access, Confidence, Finding, Kind, Operation, Problem, SkipReason};
use crate::sql::{self, DYNAMIC_MARKER_PREFIX, TableName};

/// A run of assembled text that came from one place in the source.
#[derive(Debug, Clone, Copy)]
struct Piece {
    text_start: usize,
    source_start: usize,
    /// Length in the source, to clamp the linear mapping inside the piece.
    source_len: usize,
}

/// SQL text put together from source pieces. Interpolated expressions become marker
/// identifiers (`__cutover_dyn_0__`) so the statement still parses and an interpolated table
/// name is recognisable.
#[derive(Debug, Clone, Default)]
pub struct Assembled {
    pub text: String,
    pieces: Vec<Piece>,
    /// The source text of each interpolation, by marker number.
    interpolations: Vec<String>,
}

impl Assembled {
    pub fn new() -> Assembled {
        Assembled::default()
    }

    /// Append literal text that starts at `source_start` in the file and spans `source_len`
    /// bytes there (escapes may make the two lengths differ).
    pub fn push_literal(&mut self, text: &str, source_start: usize, source_len: usize) {
        self.pieces.push(Piece {
            text_start: self.text.len(),
            source_start,
            source_len,
        });
        self.text.push_str(text);
    }

    /// Append an interpolated expression (`${t}`, `{t}`, a `%s` filled at run time…).
    pub fn push_interpolation(&mut self, expr: &str, source_start: usize) {
        self.pieces.push(Piece {
            text_start: self.text.len(),
            source_start,
            source_len: expr.len(),
        });
        let n = self.interpolations.len();
        self.interpolations.push(expr.trim().to_string());
        self.text.push_str(&marker(n));
    }

    /// Append text with no source of its own (a separator of `" ".join(...)`).
    pub fn push_synthetic(&mut self, text: &str) {
        self.text.push_str(text);
    }

    /// Append another assembled value (a variable's earlier assignment, the other side of
    /// `+`). Its markers are renumbered.
    pub fn append(&mut self, other: &Assembled) {
        let base_text = self.text.len();
        let base_marker = self.interpolations.len();
        let mut text = other.text.clone();
        // Renumber from the highest marker down so `_1` does not clobber `_10`.
        for n in (0..other.interpolations.len()).rev() {
            text = text.replace(&marker(n), &marker(n + base_marker));
        }
        for p in &other.pieces {
            self.pieces.push(Piece {
                text_start: base_text + p.text_start,
                ..*p
            });
        }
        self.interpolations
            .extend(other.interpolations.iter().cloned());
        // Renumbering changes lengths only when the marker gets more digits; the piece map
        // stays close enough to place a statement's first line.
        self.text.push_str(&text);
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    pub fn has_interpolation(&self) -> bool {
        !self.interpolations.is_empty()
    }

    /// Source offset of a byte offset in `text`.
    pub fn source_offset(&self, text_offset: usize) -> Option<usize> {
        let i = self
            .pieces
            .partition_point(|p| p.text_start <= text_offset)
            .checked_sub(1)?;
        let p = self.pieces[i];
        Some(p.source_start + (text_offset - p.text_start).min(p.source_len))
    }

    /// `text` with markers replaced by `${expr}`, for evidence.
    pub fn display(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (n, expr) in self.interpolations.iter().enumerate().rev() {
            out = out.replace(&marker(n), &format!("${{{expr}}}"));
        }
        out
    }

    fn interpolation_of(&self, table: &TableName) -> Option<&str> {
        let n: usize = table
            .name
            .strip_prefix(DYNAMIC_MARKER_PREFIX)?
            .trim_end_matches('_')
            .parse()
            .ok()?;
        self.interpolations.get(n).map(String::as_str)
    }
}

fn marker(n: usize) -> String {
    format!("{DYNAMIC_MARKER_PREFIX}{n}__")
}

/// Where SQL text was found: the function around it and the call that runs it.
#[derive(Debug, Clone, Default)]
pub struct SqlSite {
    pub function: Option<String>,
    /// The sink call as written (`cursor.execute`), `None` for a bare SQL literal.
    pub sink: Option<String>,
    /// Source offset used when the assembled text has no piece map (never expected).
    pub fallback_offset: usize,
}

/// Classify assembled SQL and add a finding per (statement, configured table, access).
pub fn sql_findings(
    file: &FileInput<'_>,
    index: &LineIndex,
    sql_text: &Assembled,
    site: &SqlSite,
    out: &mut FileScan,
) {
    if sql_text.is_empty() {
        return;
    }
    for stmt in sql::classify(&sql_text.text, file.ctx.dialect) {
        let source = sql_text
            .source_offset(stmt.start)
            .unwrap_or(site.fallback_offset);
        let (line, column) = index.position(file.text, source);
        let body = sql_text
            .text
            .get(stmt.start..stmt.end.max(stmt.start))
            .unwrap_or("");
        let shown = evidence(&sql_text.display(body));
        let mut named_configured = false;
        let mut dynamic: Vec<(Access, Operation, &str)> = Vec::new();
        for u in &stmt.uses {
            if let Some(expr) = sql_text.interpolation_of(&u.table) {
                dynamic.push((u.access, u.operation, expr));
                continue;
            }
            let Some(table) = file.ctx.tables.resolve(&u.table) else {
                continue;
            };
            named_configured = true;
            out.findings.push(Finding {
                table: table.display.clone(),
                access: u.access,
                operation: u.operation,
                file: file.rel.to_string(),
                line,
                column,
                language: file.language,
                kind: Kind::RawSql,
                function: site.function.clone(),
                confidence: stmt.confidence,
                evidence: shown.clone(),
                sink: site.sink.clone(),
                framework: None,
                via: Vec::new(),
            });
        }
        // SQL run by a sink that no parser understood and in which the fallback found no
        // table, yet it names a legacy table: say so rather than drop it. (A bare literal
        // that does not parse is more likely prose than SQL, so it stays quiet.)
        if !named_configured && dynamic.is_empty() && stmt.error.is_some() && site.sink.is_some() {
            let mentioned = file.ctx.names_in(body.as_bytes());
            if !mentioned.is_empty() {
                out.problems.push(Problem {
                    file: file.rel.to_string(),
                    line: Some(line),
                    reason: SkipReason::UnparsedSql,
                    detail: format!(
                        "SQL mentions {} but could not be classified: {}",
                        mentioned.join(", "),
                        stmt.error.as_deref().unwrap_or("parse error")
                    ),
                });
            }
        }
        // An interpolated table in a statement that names no legacy table could be any of
        // them: report it against the legacy tables this file mentions.
        if !named_configured && !dynamic.is_empty() {
            let mentioned = file.ctx.names_in(file.text.as_bytes());
            for t in file.ctx.tables.tables() {
                if !mentioned.contains(&t.name.name.to_ascii_lowercase()) {
                    continue;
                }
                for (access, operation, _expr) in &dynamic {
                    out.findings.push(Finding {
                        table: t.display.clone(),
                        access: *access,
                        operation: *operation,
                        file: file.rel.to_string(),
                        line,
                        column,
                        language: file.language,
                        kind: Kind::RawSql,
                        function: site.function.clone(),
                        confidence: Confidence::Dynamic,
                        evidence: shown.clone(),
                        sink: site.sink.clone(),
                        framework: None,
                        via: Vec::new(),
                    });
                }
            }
        }
    }
}

/// A bulk-copy call naming a table directly (`copy_from(f, "orders_legacy")`).
#[expect(
    clippy::too_many_arguments,
    reason = "one flat call site per extractor"
)]
pub fn table_finding(
    file: &FileInput<'_>,
    index: &LineIndex,
    table_text: &str,
    offset: usize,
    site: &SqlSite,
    access: Access,
    operation: Operation,
    call_text: &str,
    out: &mut FileScan,
) {
    let name = TableName::parse_config(table_text);
    let Some(table) = file.ctx.tables.resolve(&name) else {
        return;
    };
    let (line, column) = index.position(file.text, offset);
    out.findings.push(Finding {
        table: table.display.clone(),
        access,
        operation,
        file: file.rel.to_string(),
        line,
        column,
        language: file.language,
        kind: Kind::BulkCopy,
        function: site.function.clone(),
        confidence: Confidence::Parsed,
        evidence: evidence(call_text),
        sink: site.sink.clone(),
        framework: None,
        via: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclassifiable_sink_sql_naming_a_legacy_table_is_a_problem() {
        use crate::config::{Config, FileConfig, Overrides};
        use crate::extract::ScanContext;
        use crate::model::Language;
        let file_cfg = FileConfig::parse(
            "[[tables]]\nname = \"_private_jobs\"\n",
            std::path::Path::new("cutover.toml"),
        )
        .unwrap();
        let config = Config::from_file(".".into(), None, file_cfg, &Overrides::default()).unwrap();
        let ctx = ScanContext::new(&config);
        let text = "x";
        let input = FileInput {
            rel: "a.ts",
            language: Language::TypeScript,
            text,
            ctx: &ctx,
        };
        let index = LineIndex::new(text);
        let mut sql = Assembled::new();
        // psql variables as schema: no parser and no fallback reads this.
        sql.push_literal(
            "delete from :WORKER_SCHEMA._private_jobs where id = 1",
            0,
            1,
        );
        let mut out = FileScan::default();
        let sink = SqlSite {
            sink: Some("db.query".into()),
            ..SqlSite::default()
        };
        sql_findings(&input, &index, &sql, &sink, &mut out);
        let bare = SqlSite::default();
        sql_findings(&input, &index, &sql, &bare, &mut out);
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
        assert_eq!(out.problems[0].reason, SkipReason::UnparsedSql);
        assert!(out.problems[0].detail.contains("_private_jobs"));
    }

    #[test]
    fn offsets_map_back_through_pieces() {
        let mut a = Assembled::new();
        a.push_literal("SELECT * ", 10, 9);
        a.push_synthetic(" ");
        a.push_literal("FROM t", 40, 6);
        assert_eq!(a.source_offset(0), Some(10));
        assert_eq!(a.source_offset(3), Some(13));
        assert_eq!(a.source_offset(a.text.find("FROM").unwrap()), Some(40));
    }

    #[test]
    fn interpolations_become_markers_and_display_back() {
        let mut a = Assembled::new();
        a.push_literal("DELETE FROM ", 0, 12);
        a.push_interpolation("table", 14);
        let name = TableName::parse_config(&a.text["DELETE FROM ".len()..]);
        assert_eq!(a.interpolation_of(&name), Some("table"));
        assert_eq!(a.display(&a.text), "DELETE FROM ${table}");
        let mut b = Assembled::new();
        b.push_interpolation("x", 0);
        b.append(&a);
        assert_eq!(b.display(&b.text), "${x}DELETE FROM ${table}");
    }
}
