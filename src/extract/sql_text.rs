//! SQL text in code, what every code extractor shares: text assembled from source pieces
//! (literals, concatenations, templates) with a map back to source offsets (`Assembled`),
//! and the step that turns such text into findings (`sql_findings`: classify, keep
//! configured tables, place each statement at the line where its text starts, report
//! interpolated table names as `dynamic`), with the bulk-copy calls that name a table.

use super::{FileInput, FileScan, LineIndex, evidence, prefilter};
use crate::model::{Access, Confidence, Kind, Operation, Problem, Site, SkipReason};
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
        // One pass over `other.text`: markers are renumbered, and `shifts` records how much
        // longer the text has become after each marker, so that the piece map stays exact
        // when a marker gains a digit.
        let mut text = String::with_capacity(other.text.len() + 8);
        let mut shifts: Vec<(usize, isize)> = Vec::new();
        let mut delta: isize = 0;
        let mut at = 0;
        while let Some(i) = other.text[at..].find(DYNAMIC_MARKER_PREFIX) {
            let start = at + i;
            let digits_at = start + DYNAMIC_MARKER_PREFIX.len();
            let digits = other.text[digits_at..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let end = digits_at + digits + 2;
            let number = other.text[digits_at..digits_at + digits].parse::<usize>();
            match number {
                Ok(n) if digits > 0 && other.text.get(digits_at + digits..end) == Some("__") => {
                    text.push_str(&other.text[at..start]);
                    let renumbered = marker(n + base_marker);
                    delta += renumbered.len() as isize - (end - start) as isize;
                    text.push_str(&renumbered);
                    shifts.push((end, delta));
                    at = end;
                }
                _ => {
                    text.push_str(&other.text[at..digits_at]);
                    at = digits_at;
                }
            }
        }
        text.push_str(&other.text[at..]);
        for p in &other.pieces {
            let k = shifts.partition_point(|&(end, _)| end <= p.text_start);
            let shift = k.checked_sub(1).map_or(0, |k| shifts[k].1);
            self.pieces.push(Piece {
                text_start: base_text + p.text_start.saturating_add_signed(shift),
                ..*p
            });
        }
        self.interpolations
            .extend(other.interpolations.iter().cloned());
        self.text.push_str(&text);
    }

    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The text in `range` with its piece map, for templates whose placeholders are
    /// filled in (`%`, `.format`, `fmt.Sprintf`). Interpolations are all kept, so markers
    /// inside the range stay meaningful; `append` renumbers them.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Assembled {
        let (start, end) = (
            range.start.min(self.text.len()),
            range.end.min(self.text.len()),
        );
        let mut out = Assembled {
            text: self
                .text
                .get(start..end.max(start))
                .unwrap_or("")
                .to_string(),
            pieces: Vec::new(),
            interpolations: self.interpolations.clone(),
        };
        if out.text.is_empty() {
            return out;
        }
        let first = self
            .pieces
            .partition_point(|p| p.text_start <= start)
            .saturating_sub(1);
        for (i, p) in self.pieces.iter().enumerate().skip(first) {
            if p.text_start >= end {
                break;
            }
            let piece_end = self
                .pieces
                .get(i + 1)
                .map_or(self.text.len(), |n| n.text_start);
            if piece_end <= start {
                continue;
            }
            let skip = start.saturating_sub(p.text_start);
            out.pieces.push(Piece {
                text_start: p.text_start.max(start) - start,
                source_start: p.source_start + skip.min(p.source_len),
                source_len: p.source_len.saturating_sub(skip),
            });
        }
        out
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

/// Where SQL text was found: the function around it and the call that runs it. Each
/// statement of the text becomes a `Site` at the place its own text starts.
#[derive(Debug, Clone, Default)]
pub struct SqlSite {
    pub function: Option<String>,
    /// The sink call as written (`cursor.execute`), `None` for a bare SQL literal.
    pub sink: Option<String>,
    /// Source offset used when the assembled text has no piece map (never expected).
    pub fallback_offset: usize,
}

impl SqlSite {
    /// The site at `offset` showing `shown` (already evidence, or a call's text).
    pub fn placed(
        &self,
        file: &FileInput<'_>,
        index: &LineIndex,
        offset: usize,
        shown: String,
    ) -> Site {
        Site {
            function: self.function.clone(),
            evidence: shown,
            sink: self.sink.clone(),
            ..file.site_at(index, offset)
        }
    }
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
        let body = sql_text
            .text
            .get(stmt.start..stmt.end.max(stmt.start))
            .unwrap_or("");
        let at = site.placed(file, index, source, evidence(&sql_text.display(body)));
        let mut named_configured = false;
        let mut dynamic: Vec<(Access, Operation, &str)> = Vec::new();
        let before = out.findings.len();
        for u in &stmt.uses {
            if let Some(expr) = sql_text.interpolation_of(&u.table) {
                dynamic.push((u.access, u.operation, expr));
                continue;
            }
            // `EXECUTE format('… %I …', t)` in a routine body held in a string: computed by
            // the routine at run time, not by our interpolations.
            if u.table.name == sql::DYNAMIC_EXECUTE_MARKER {
                dynamic.push((u.access, u.operation, "EXECUTE"));
                continue;
            }
            let Some(table) = file.ctx.tables.resolve(&u.table) else {
                continue;
            };
            named_configured = true;
            out.findings.push(at.finding(
                table.display.clone(),
                u.access,
                u.operation,
                Kind::RawSql,
                stmt.confidence,
            ));
        }
        let written: Vec<String> = out.findings[before..]
            .iter()
            .filter(|f| f.access == Access::Write)
            .map(|f| f.table.clone())
            .collect();
        let cascaded =
            super::foreign_keys::statement_cascades(file, &stmt, body, &at, Kind::RawSql, &written);
        named_configured |= !cascaded.is_empty();
        out.findings.extend(cascaded);
        // SQL run by a sink that no parser understood and in which the fallback found no
        // table, yet it names a legacy table: say so rather than drop it. (A bare literal
        // that does not parse is more likely prose than SQL, so it stays quiet.)
        if !named_configured && dynamic.is_empty() && stmt.error.is_some() && site.sink.is_some() {
            let mentioned: Vec<String> = file
                .ctx
                .names_in(body.as_bytes())
                .into_iter()
                .filter(|name| prefilter::mentions_word(body, name))
                .collect();
            if !mentioned.is_empty() {
                out.problems.push(Problem {
                    file: file.rel.to_string(),
                    line: Some(at.line),
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
            let mentioned = mentioned_tables(file);
            for t in file.ctx.tables.tables() {
                if !mentioned.contains(&t.name.name.to_ascii_lowercase()) {
                    continue;
                }
                for (access, operation, _expr) in &dynamic {
                    out.findings.push(at.finding(
                        t.display.clone(),
                        *access,
                        *operation,
                        Kind::RawSql,
                        Confidence::Dynamic,
                    ));
                }
            }
        }
    }
}

/// A bulk-copy call naming a table directly (`copy_from(f, "orders_legacy")`): `call` is
/// the call's site, placed at the table argument.
pub fn table_finding(
    file: &FileInput<'_>,
    call: &Site,
    table_text: &str,
    (access, operation): (Access, Operation),
    out: &mut FileScan,
) {
    let name = TableName::parse_config(table_text);
    let Some(table) = file.ctx.tables.resolve(&name) else {
        return;
    };
    out.findings.push(call.finding(
        table.display.clone(),
        access,
        operation,
        Kind::BulkCopy,
        Confidence::Parsed,
    ));
}

/// A bulk-copy call whose table argument is computed at run time (`copy_from(f, table)`):
/// like an interpolated table name in SQL, it is reported as `dynamic` against the legacy
/// tables the file mentions, with the call as evidence.
pub fn dynamic_table_findings(
    file: &FileInput<'_>,
    call: &Site,
    (access, operation): (Access, Operation),
    out: &mut FileScan,
) {
    let mentioned = mentioned_tables(file);
    for t in file.ctx.tables.tables() {
        if !mentioned.contains(&t.name.name.to_ascii_lowercase()) {
            continue;
        }
        out.findings.push(call.finding(
            t.display.clone(),
            access,
            operation,
            Kind::BulkCopy,
            Confidence::Dynamic,
        ));
    }
}

/// The prefilter names (table names lower-case) that `file` names where SQL can use them,
/// computed once per file: a file with many dynamic statements must not be rescanned for each.
/// `RECORDING_FEEDBACK_DATAFRAME` does not mention `recording_feedback`.
pub fn mentioned_tables<'f>(file: &'f FileInput<'_>) -> &'f [String] {
    file.mentioned.get_or_init(|| {
        // As in the prefilter: a variable `orders` names no table.
        file.ctx
            .names_where_used(file.text.as_bytes(), file.language)
    })
}

/// Whether text in code reads like a SQL statement (a verb and the word that must follow
/// it), checked at the start of any `;`-separated statement. SQL passed to a known sink
/// needs no such check; a bare literal does, so that log messages and docs that mention a
/// table ("update orders_legacy rows") are not reported as statements.
pub fn looks_like_sql(text: &str) -> bool {
    static SHAPE: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?is)(?:^|;)(?:\s|--[^\n]*\n|/\*.*?\*/|\(|begin\s*;|__cutover_dyn_\d+__)*(?:select\s.*\sfrom\s|insert\s+(?:ignore\s+)?into\s|insert\s+or\s+\w+\s+into\s|replace\s+into\s|upsert\s+into\s|update\s+(?:only\s+)?\S+(?:\s+(?:as\s+)?\w+)?\s+set\s|delete\s+from\s|with\s+(?:recursive\s+)?\S+(?:\s*\([^)]*\))?\s+as\s*(?:not\s+)?(?:materialized\s*)?\(|merge\s+into\s|truncate\s|copy\s+\S+.*\s(?:from|to)\s|create\s+(?:or\s+replace\s+)?(?:(?:global\s+|local\s+)?(?:temporary\s+|temp\s+|unlogged\s+)?table|(?:unique\s+)?index|(?:materialized\s+)?view|trigger|function|procedure|rule|policy)\s|alter\s+table\s|drop\s+(?:table|view|index|trigger)\s|comment\s+on\s|grant\s.*\son\s|lock\s+table\s|rename\s+table\s)"#,
        )
        .ok()
    });
    SHAPE.as_ref().is_some_and(|re| re.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_shapes_and_prose() {
        for sql in [
            "SELECT a FROM t",
            "\n  insert into t values (1)",
            "-- note\nUPDATE t SET a = 1",
            "UPDATE ONLY t AS x SET a = 1",
            "__cutover_dyn_0__ SELECT * FROM t",
            "WITH x (a) AS (SELECT 1) DELETE FROM t",
            "BEGIN; TRUNCATE t",
            "CREATE UNIQUE INDEX i ON t (a)",
            "COPY t FROM STDIN",
            "x = 1; DROP TABLE t",
        ] {
            assert!(looks_like_sql(sql), "{sql}");
        }
        for prose in [
            "Update orders_legacy rows in batches",
            "orders_legacy is read-only",
            "select an order",
            "Deleting from orders_legacy",
            "insert the card",
        ] {
            assert!(!looks_like_sql(prose), "{prose}");
        }
    }

    #[test]
    fn slices_keep_their_source_map() {
        let mut a = Assembled::new();
        a.push_literal("SELECT * ", 10, 9);
        a.push_literal("FROM t", 40, 6);
        let s = a.slice(7..13);
        assert_eq!(s.text, "* FROM");
        assert_eq!(s.source_offset(0), Some(17));
        assert_eq!(s.source_offset(2), Some(40));
        assert!(a.slice(100..200).text.is_empty());
    }

    #[test]
    fn appending_many_interpolations_keeps_the_map_exact() {
        let mut tail = Assembled::new();
        for i in 0..12 {
            tail.push_interpolation(&format!("x{i}"), 1000 + i * 10);
            tail.push_literal(",", 1005 + i * 10, 1);
        }
        tail.push_literal("\nSELECT 1", 2000, 9);
        let mut head = Assembled::new();
        for i in 0..12 {
            head.push_interpolation(&format!("h{i}"), i * 10);
        }
        head.append(&tail);
        let select = head.text.find("SELECT").unwrap();
        assert_eq!(head.source_offset(select), Some(2001));
        assert!(head.text.contains("__cutover_dyn_23__"));
        assert_eq!(head.display(&head.text).matches("${").count(), 24);
    }

    /// The findings and problems of `sql`, found in a TypeScript file `text` under `config`,
    /// at each of `sites`.
    fn scan_sql(config: &str, text: &str, sql: &str, sites: &[SqlSite]) -> FileScan {
        use crate::config::{Config, FileConfig, Overrides};
        use crate::extract::ScanContext;
        use crate::model::Language;
        let file_cfg = FileConfig::parse(config, std::path::Path::new("cutover.toml")).unwrap();
        let config = Config::from_file(".".into(), None, file_cfg, &Overrides::default()).unwrap();
        let ctx = ScanContext::new(&config);
        let input = FileInput {
            rel: "a.ts",
            language: Language::TypeScript,
            text,
            ctx: &ctx,
            mentioned: std::cell::OnceCell::new(),
        };
        let index = LineIndex::new(text);
        let mut assembled = Assembled::new();
        assembled.push_literal(sql, 0, 1);
        let mut out = FileScan::default();
        for site in sites {
            sql_findings(&input, &index, &assembled, site, &mut out);
        }
        out
    }

    #[test]
    fn dynamic_execute_in_a_routine_held_in_code_is_dynamic() {
        let out = scan_sql(
            "dialect = \"postgres\"\n[[tables]]\nname = \"orders_legacy\"\n",
            "const t = 'orders_legacy';",
            "CREATE FUNCTION purge(t text) RETURNS void AS $$ BEGIN \
             EXECUTE format('DELETE FROM %I WHERE id = $1', t); END $$ LANGUAGE plpgsql",
            &[SqlSite::default()],
        );
        assert!(
            out.findings
                .iter()
                .any(|f| f.confidence == Confidence::Dynamic && f.access == Access::Write),
            "{:?}",
            out.findings
        );
    }

    #[test]
    fn unclassifiable_sink_sql_naming_a_legacy_table_is_a_problem() {
        let sink = SqlSite {
            sink: Some("db.query".into()),
            ..SqlSite::default()
        };
        // psql variables as schema: no parser and no fallback reads this.
        let out = scan_sql(
            "[[tables]]\nname = \"_private_jobs\"\n",
            "x",
            "delete from :WORKER_SCHEMA._private_jobs where id = 1",
            &[sink, SqlSite::default()],
        );
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
