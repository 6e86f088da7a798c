//! The lines a finding's statement spans, so that `--changed-since` sees a change anywhere
//! in a multi-line statement, not only on its first line: a finding and the text of its file
//! in, the statement's last line out. SQL files are cut with the classifier's splitter;
//! code is parsed with tree-sitter and the finding's node widened to the statement (or
//! declaration) that holds it. A span that cannot be found, or would cover more than
//! `MAX_SPAN` lines (a whole block), is the finding's line alone.

use crate::lang::{self, Grammar};
use crate::model::{Finding, Language};
use crate::sql::Dialect;
use tree_sitter::Point;

/// Longer spans are blocks, not statements.
const MAX_SPAN: u32 = 200;

/// The last line (1-based) of the statement the finding starts.
pub fn last_line(text: &str, f: &Finding) -> u32 {
    let end = match f.language {
        Language::Sql => sql_end(text, f.line),
        _ => code_end(text, f),
    };
    match end {
        Some(e) if e >= f.line && e - f.line <= MAX_SPAN => e,
        _ => f.line,
    }
}

fn line_start(text: &str, line: u32) -> Option<usize> {
    if line <= 1 {
        return Some(0);
    }
    text.match_indices('\n')
        .nth(line as usize - 2)
        .map(|(i, _)| i + 1)
}

fn line_of(text: &str, offset: usize) -> u32 {
    text[..offset.min(text.len())].matches('\n').count() as u32 + 1
}

fn sql_end(text: &str, line: u32) -> Option<u32> {
    let start = line_start(text, line)?;
    let next = line_start(text, line + 1).unwrap_or(text.len());
    crate::sql::statements(text, Dialect::Generic)
        .into_iter()
        .find(|(s, e)| *s < next && *e > start)
        .map(|(_, e)| line_of(text, e.saturating_sub(1)))
}

fn code_end(text: &str, f: &Finding) -> Option<u32> {
    let grammar = Grammar::for_file(f.language, &f.file)?;
    let tree = lang::parse(grammar, text)?;
    let start = line_start(text, f.line)?;
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let col = line
        .char_indices()
        .nth(f.column.saturating_sub(1) as usize)
        .map_or(0, |(b, _)| b);
    let at = Point::new(f.line as usize - 1, col);
    let mut node = tree.root_node().descendant_for_point_range(at, at)?;
    loop {
        let kind = node.kind();
        if kind.ends_with("statement")
            || kind.ends_with("declaration")
            || kind == "variable_declarator"
        {
            return Some(node.end_position().row as u32 + 1);
        }
        let parent = node.parent()?;
        if parent.kind().contains("function") || parent.kind().contains("method") {
            return Some(node.end_position().row as u32 + 1);
        }
        node = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Confidence, Kind, Operation};

    fn finding(file: &str, language: Language, line: u32, column: u32) -> Finding {
        Finding {
            table: "orders_legacy".into(),
            access: Access::Write,
            operation: Operation::Update,
            file: file.into(),
            line,
            column,
            language,
            kind: Kind::RawSql,
            function: None,
            confidence: Confidence::Parsed,
            evidence: String::new(),
            sink: None,
            framework: None,
            via: Vec::new(),
            reason: None,
        }
    }

    #[test]
    fn statements_that_span_lines() {
        let py = "def f(cur):\n    cur.execute(\n        \"UPDATE orders_legacy \"\n        \"SET a = 1 WHERE id = %s\",\n        (1,),\n    )\n    return 1\n";
        assert_eq!(last_line(py, &finding("a.py", Language::Python, 3, 9)), 6);
        let sql = "-- x\nUPDATE orders_legacy\n  SET a = 1\n  WHERE id = 2;\nSELECT 1;\n";
        assert_eq!(last_line(sql, &finding("a.sql", Language::Sql, 2, 1)), 4);
        let go = "package a\n\nfunc f() {\n\t_, err := db.Exec(`UPDATE orders_legacy\n\t\tSET a = 1`)\n\t_ = err\n}\n";
        assert_eq!(last_line(go, &finding("a.go", Language::Go, 4, 20)), 5);
    }
}
