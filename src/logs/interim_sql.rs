//! Stand-in for `sql::classify`, private to the log reader until the full classifier of
//! branch `sql` is merged. Input: one logged query string. Output: per statement the tables
//! with their access. Switching is one `use` in `logs/mod.rs`; the signatures match.
//!
//! The classifier here is a token walk, not a parser: it finds write targets after
//! INSERT INTO / UPDATE / DELETE FROM / TRUNCATE / COPY … FROM / REPLACE / LOAD DATA / MERGE,
//! reads after FROM / JOIN / USING, DDL and maintenance after CREATE / ALTER / DROP /
//! VACUUM / ANALYZE, and skips CTE names. It exists because logs also hold statements no
//! SQL parser accepts (`VACUUM`, `ANALYZE t; DELETE …`, `LOAD DATA`), and every logged
//! statement must be accounted for.

use crate::model::{Access, Confidence, Operation};
use crate::sql::{Dialect, Statement, TableName, TableUse, normalize_ident};

/// Index just past a quoted token starting at `i` (doubled quotes and backslashes escape).
fn skip_quoted(b: &[u8], i: usize, q: u8) -> usize {
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' && q == b'\'' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// End of a `$tag$ … $tag$` string starting at `i`, if it is one.
fn dollar_quote_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = &b[i..=j];
    let body = j + 1;
    memchr::memmem::find(&b[body..], tag).map(|p| body + p + tag.len())
}

// ---------------------------------------------------------------- token classifier

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    /// Unquoted word (keyword or identifier), as written.
    Word(&'a str),
    /// Quoted identifier, quotes included.
    Quoted(&'a str),
    Str,
    Num,
    Punct(u8),
}

impl Tok<'_> {
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
    fn is_ident(&self) -> bool {
        match self {
            Tok::Word(w) => !is_reserved(w),
            Tok::Quoted(_) => true,
            _ => false,
        }
    }
}

/// Words that never start a table name in the positions we look at.
fn is_reserved(w: &str) -> bool {
    const RESERVED: &[&str] = &[
        "all",
        "and",
        "as",
        "by",
        "cross",
        "delete",
        "distinct",
        "except",
        "for",
        "from",
        "full",
        "group",
        "having",
        "inner",
        "insert",
        "intersect",
        "into",
        "join",
        "lateral",
        "left",
        "limit",
        "natural",
        "not",
        "offset",
        "on",
        "or",
        "order",
        "outer",
        "returning",
        "right",
        "select",
        "set",
        "straight_join",
        "table",
        "union",
        "update",
        "using",
        "values",
        "where",
        "window",
        "with",
    ];
    RESERVED.iter().any(|r| w.eq_ignore_ascii_case(r))
}

fn lex(sql: &str) -> Result<Vec<(Tok<'_>, usize)>, String> {
    let b = sql.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' => {
                let end = skip_quoted(b, i, b'\'');
                if end == b.len() && !(end > i + 1 && b[end - 1] == b'\'') {
                    return Err("unterminated string literal".into());
                }
                toks.push((Tok::Str, i));
                i = end;
            }
            b'"' | b'`' => {
                let end = skip_quoted(b, i, c);
                if end == b.len() && !(end > i + 1 && b[end - 1] == c) {
                    return Err("unterminated quoted identifier".into());
                }
                toks.push((Tok::Quoted(&sql[i..end]), i));
                i = end;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match memchr::memmem::find(&b[i + 2..], b"*/") {
                Some(p) => i = i + 2 + p + 2,
                None => return Err("unterminated comment".into()),
            },
            b'$' => {
                if let Some(end) = dollar_quote_end(b, i) {
                    toks.push((Tok::Str, i));
                    i = end;
                } else {
                    let mut j = i + 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    toks.push((Tok::Num, i));
                    i = j.max(i + 1);
                }
            }
            b'0'..=b'9' => {
                let mut j = i;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.') {
                    j += 1;
                }
                toks.push((Tok::Num, i));
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => {
                let mut j = i;
                while j < b.len()
                    && (b[j].is_ascii_alphanumeric()
                        || b[j] == b'_'
                        || b[j] == b'$'
                        || b[j] >= 0x80)
                {
                    j += 1;
                }
                toks.push((Tok::Word(&sql[i..j]), i));
                i = j;
            }
            _ => {
                toks.push((Tok::Punct(c), i));
                i += 1;
            }
        }
    }
    Ok(toks)
}

/// Classify every statement of `sql`. Same contract as `sql::classify`.
pub fn classify(sql: &str, dialect: Dialect) -> Vec<Statement> {
    let _ = dialect;
    let toks = match lex(sql) {
        Ok(t) => t,
        Err(e) => {
            return vec![Statement {
                start: 0,
                end: sql.len(),
                uses: Vec::new(),
                confidence: Confidence::Heuristic,
                error: Some(e),
                routine: None,
            }];
        }
    };
    let mut out = Vec::new();
    for part in toks.split(|(t, _)| *t == Tok::Punct(b';')) {
        if part.is_empty() {
            continue;
        }
        let start = part[0].1;
        let end = part
            .last()
            .map(|(t, p)| match t {
                Tok::Word(w) | Tok::Quoted(w) => p + w.len(),
                _ => p + 1,
            })
            .unwrap_or(start);
        let toks: Vec<&Tok<'_>> = part.iter().map(|(t, _)| t).collect();
        let (uses, error) = classify_tokens(&toks);
        out.push(Statement {
            start,
            end: end.min(sql.len()),
            uses,
            confidence: if error.is_some() {
                Confidence::Heuristic
            } else {
                Confidence::Parsed
            },
            error,
            routine: None,
        });
    }
    out
}

/// A qualified name at `i`: returns the name and the index after it.
fn name_at(t: &[&Tok<'_>], i: usize) -> Option<(TableName, usize)> {
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut j = i;
    loop {
        match t.get(j) {
            Some(Tok::Word(w)) if parts.is_empty() && is_reserved(w) => return None,
            Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => parts.push(normalize_ident(w)),
            _ => break,
        }
        j += 1;
        if t.get(j) == Some(&&Tok::Punct(b'.'))
            && t.get(j + 1)
                .is_some_and(|x| x.is_ident() || matches!(x, Tok::Word(_)))
        {
            j += 1;
        } else {
            break;
        }
    }
    let (name, quoted) = parts.pop()?;
    let schema = parts.pop();
    Some((
        TableName {
            quoted: quoted || schema.as_ref().is_some_and(|s| s.1),
            schema: schema.map(|s| s.0),
            name,
        },
        j,
    ))
}

fn classify_tokens(t: &[&Tok<'_>]) -> (Vec<TableUse>, Option<String>) {
    let mut uses: Vec<TableUse> = Vec::new();
    let mut ctes: Vec<String> = Vec::new();
    // Relation aliases, for MySQL `DELETE a FROM t a JOIN …`.
    let mut aliases: Vec<(String, TableName)> = Vec::new();
    let mut delete_aliases: Vec<String> = Vec::new();
    let upsert = t.windows(2).any(|w| {
        (w[0].is_kw("conflict")
            && t.first()
                .is_some_and(|f| f.is_kw("insert") || f.is_kw("with")))
            || (w[0].is_kw("duplicate") && w[1].is_kw("key"))
    });
    let first = t.first().copied();
    let verb = |s: &str| first.is_some_and(|f| f.is_kw(s));
    // CTE names: `WITH name [(cols)] AS (` and `, name AS (`.
    for k in 0..t.len() {
        if t[k].is_ident()
            && k > 0
            && (t[k - 1].is_kw("with")
                || t[k - 1].is_kw("recursive")
                || *t[k - 1] == Tok::Punct(b','))
        {
            let mut j = k + 1;
            if t.get(j) == Some(&&Tok::Punct(b'(')) {
                let mut depth = 0;
                while j < t.len() {
                    match t[j] {
                        Tok::Punct(b'(') => depth += 1,
                        Tok::Punct(b')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                j += 1;
            }
            if t.get(j).is_some_and(|x| x.is_kw("as")) {
                let mut m = j + 1;
                while t
                    .get(m)
                    .is_some_and(|x| x.is_kw("not") || x.is_kw("materialized"))
                {
                    m += 1;
                }
                if t.get(m) == Some(&&Tok::Punct(b'('))
                    && let Tok::Word(w) | Tok::Quoted(w) = t[k]
                {
                    ctes.push(normalize_ident(w).0);
                }
            }
        }
    }
    let push = |uses: &mut Vec<TableUse>, ctes: &[String], name: TableName, access, operation| {
        if name.schema.is_none() && ctes.contains(&name.name) {
            return;
        }
        uses.push(TableUse {
            table: name,
            access,
            operation,
        });
    };
    // Functions whose argument syntax uses FROM without naming a table.
    let mut paren_fn: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let tok = t[i];
        let prev = if i > 0 { Some(t[i - 1]) } else { None };
        let prev_is = |kw: &str| prev.is_some_and(|p| p.is_kw(kw));
        match tok {
            Tok::Punct(b'(') => {
                let f = prev.is_some_and(|p| {
                    ["extract", "substring", "trim", "overlay", "position"]
                        .iter()
                        .any(|k| p.is_kw(k))
                });
                paren_fn.push(f);
            }
            Tok::Punct(b')') => {
                paren_fn.pop();
            }
            _ => {}
        }
        let in_fn = paren_fn.last().copied().unwrap_or(false);
        if tok.is_kw("into")
            && (prev_is("insert") || prev_is("ignore") || prev_is("replace") || prev_is("merge"))
        {
            let op = if prev_is("merge") {
                Operation::Merge
            } else if prev_is("replace") {
                Operation::Replace
            } else if upsert {
                Operation::Upsert
            } else {
                Operation::Insert
            };
            if let Some((n, j)) = name_at(t, i + 1) {
                push(&mut uses, &ctes, n, Access::Write, op);
                i = j;
                continue;
            }
        } else if tok.is_kw("update")
            && !(prev_is("key")
                || prev_is("do")
                || prev_is("for")
                || prev_is("on")
                || prev_is("no"))
        {
            let mut j = i + 1;
            while t
                .get(j)
                .is_some_and(|x| x.is_kw("only") || x.is_kw("low_priority") || x.is_kw("ignore"))
            {
                j += 1;
            }
            if let Some((n, j)) = name_at(t, j) {
                let alias = alias_at(t, j);
                if let Some(a) = alias {
                    aliases.push((a, n.clone()));
                }
                push(&mut uses, &ctes, n, Access::Write, Operation::Update);
                i = j;
                continue;
            }
        } else if tok.is_kw("delete") && !prev_is("on") {
            let mut j = i + 1;
            while t
                .get(j)
                .is_some_and(|x| x.is_kw("low_priority") || x.is_kw("quick") || x.is_kw("ignore"))
            {
                j += 1;
            }
            if t.get(j).is_some_and(|x| x.is_kw("from")) {
                let mut k = j + 1;
                if t.get(k).is_some_and(|x| x.is_kw("only")) {
                    k += 1;
                }
                if let Some((n, e)) = name_at(t, k) {
                    push(&mut uses, &ctes, n, Access::Write, Operation::Delete);
                    i = e;
                    continue;
                }
            } else {
                // MySQL multi-table DELETE: targets are aliases listed before FROM.
                while let Some(Tok::Word(w) | Tok::Quoted(w)) = t.get(j).copied() {
                    if is_reserved(w) {
                        break;
                    }
                    delete_aliases.push(normalize_ident(w).0);
                    j += 1;
                    if t.get(j) == Some(&&Tok::Punct(b'.'))
                        && t.get(j + 1) == Some(&&Tok::Punct(b'*'))
                    {
                        j += 2;
                    }
                    if t.get(j) == Some(&&Tok::Punct(b',')) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                i = j;
                continue;
            }
        } else if tok.is_kw("truncate") {
            let mut j = i + 1;
            while t
                .get(j)
                .is_some_and(|x| x.is_kw("table") || x.is_kw("only"))
            {
                j += 1;
            }
            while let Some((n, e)) = name_at(t, j) {
                push(&mut uses, &ctes, n, Access::Write, Operation::Truncate);
                j = e;
                if t.get(j) == Some(&&Tok::Punct(b',')) {
                    j += 1;
                } else {
                    break;
                }
            }
            i = j;
            continue;
        } else if tok.is_kw("copy") && i == 0 {
            if let Some((n, mut j)) = name_at(t, i + 1) {
                if t.get(j) == Some(&&Tok::Punct(b'(')) {
                    while j < t.len() && *t[j] != Tok::Punct(b')') {
                        j += 1;
                    }
                    j += 1;
                }
                let (access, dir) = if t.get(j).is_some_and(|x| x.is_kw("to")) {
                    (Access::Read, true)
                } else {
                    (Access::Write, false)
                };
                let _ = dir;
                push(&mut uses, &ctes, n, access, Operation::Copy);
                // Skip FROM/TO and its source (STDIN, 'file') so it is not read as a table.
                i = j + 2;
                continue;
            }
        } else if tok.is_kw("load") && t.get(i + 1).is_some_and(|x| x.is_kw("data")) {
            let mut j = i + 2;
            while j < t.len() && !(t[j].is_kw("table") && j > 0 && t[j - 1].is_kw("into")) {
                j += 1;
            }
            if let Some((n, e)) = name_at(t, j + 1) {
                push(&mut uses, &ctes, n, Access::Write, Operation::Load);
                i = e;
                continue;
            }
        } else if (tok.is_kw("from")
            || tok.is_kw("join")
            || (tok.is_kw("using") && verb("merge"))
            || (tok.is_kw("using") && verb("delete")))
            && !in_fn
            && !prev_is("distinct")
        {
            let mut j = i + 1;
            loop {
                while t
                    .get(j)
                    .is_some_and(|x| x.is_kw("only") || x.is_kw("lateral"))
                {
                    j += 1;
                }
                let Some((n, e)) = name_at(t, j) else { break };
                if t.get(e) == Some(&&Tok::Punct(b'(')) {
                    break; // a set-returning function, not a table
                }
                let alias = alias_at(t, e);
                let is_delete_target = alias.as_ref().is_some_and(|a| delete_aliases.contains(a))
                    || (n.schema.is_none() && delete_aliases.contains(&n.name));
                if n.name != "dual" {
                    if is_delete_target {
                        push(
                            &mut uses,
                            &ctes,
                            n.clone(),
                            Access::Write,
                            Operation::Delete,
                        );
                    } else {
                        push(&mut uses, &ctes, n.clone(), Access::Read, Operation::Select);
                    }
                }
                if let Some(a) = alias {
                    aliases.push((a, n));
                }
                j = e;
                // skip [AS] alias [(cols)]
                if t.get(j).is_some_and(|x| x.is_kw("as")) {
                    j += 1;
                }
                if t.get(j).is_some_and(|x| x.is_ident()) {
                    j += 1;
                }
                if tok.is_kw("from") && t.get(j) == Some(&&Tok::Punct(b',')) {
                    j += 1;
                    continue;
                }
                break;
            }
            i = j.max(i + 1);
            continue;
        } else if i == 0
            && (tok.is_kw("vacuum")
                || tok.is_kw("analyze")
                || tok.is_kw("optimize")
                || tok.is_kw("check")
                || tok.is_kw("repair"))
        {
            let mut j = i + 1;
            loop {
                match t.get(j) {
                    Some(x)
                        if [
                            "full",
                            "freeze",
                            "verbose",
                            "analyze",
                            "table",
                            "local",
                            "no_write_to_binlog",
                            "skip_locked",
                        ]
                        .iter()
                        .any(|k| x.is_kw(k)) =>
                    {
                        j += 1
                    }
                    Some(Tok::Punct(b'(')) => {
                        while j < t.len() && *t[j] != Tok::Punct(b')') {
                            j += 1;
                        }
                        j += 1;
                    }
                    _ => break,
                }
            }
            while let Some((n, e)) = name_at(t, j) {
                push(&mut uses, &ctes, n, Access::Ddl, Operation::Unknown);
                j = e;
                if t.get(j) == Some(&&Tok::Punct(b'(')) {
                    while j < t.len() && *t[j] != Tok::Punct(b')') {
                        j += 1;
                    }
                    j += 1;
                }
                if t.get(j) == Some(&&Tok::Punct(b',')) {
                    j += 1;
                } else {
                    break;
                }
            }
            i = j.max(1);
            continue;
        } else if i == 0 && (tok.is_kw("create") || tok.is_kw("alter") || tok.is_kw("drop")) {
            let op = if tok.is_kw("create") {
                Operation::Create
            } else if tok.is_kw("alter") {
                Operation::Alter
            } else {
                Operation::Drop
            };
            let mut j = i + 1;
            let skip = [
                "or",
                "replace",
                "temp",
                "temporary",
                "unlogged",
                "global",
                "local",
                "unique",
                "if",
                "not",
                "exists",
                "concurrently",
                "only",
            ];
            while t.get(j).is_some_and(|x| skip.iter().any(|k| x.is_kw(k))) {
                j += 1;
            }
            if t.get(j).is_some_and(|x| x.is_kw("table")) {
                j += 1;
                while t.get(j).is_some_and(|x| skip.iter().any(|k| x.is_kw(k))) {
                    j += 1;
                }
                while let Some((n, e)) = name_at(t, j) {
                    push(&mut uses, &ctes, n, Access::Ddl, op);
                    j = e;
                    if op == Operation::Drop && t.get(j) == Some(&&Tok::Punct(b',')) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                i = j;
                continue;
            } else if t.get(j).is_some_and(|x| x.is_kw("index")) {
                // CREATE INDEX [name] ON table
                while j < t.len() && !t[j].is_kw("on") {
                    j += 1;
                }
                let mut k = j + 1;
                if t.get(k).is_some_and(|x| x.is_kw("only")) {
                    k += 1;
                }
                if let Some((n, e)) = name_at(t, k) {
                    push(&mut uses, &ctes, n, Access::Ddl, op);
                    i = e;
                    continue;
                }
                i = j.max(1);
                continue;
            } else if t.get(j).is_some_and(|x| {
                x.is_kw("function")
                    || x.is_kw("procedure")
                    || x.is_kw("trigger")
                    || x.is_kw("view")
                    || x.is_kw("role")
                    || x.is_kw("user")
                    || x.is_kw("database")
                    || x.is_kw("schema")
            }) {
                // Bodies and definitions: a view's query still reads its tables (scan on).
                if t[j].is_kw("view") {
                    i = j + 1;
                    continue;
                }
                break;
            }
        }
        i += 1;
    }
    uses.sort();
    uses.dedup();
    (uses, None)
}

/// `[AS] alias` after a relation name, when present.
fn alias_at(t: &[&Tok<'_>], j: usize) -> Option<String> {
    let mut k = j;
    if t.get(k).is_some_and(|x| x.is_kw("as")) {
        k += 1;
    }
    match t.get(k) {
        Some(Tok::Word(w)) if !is_reserved(w) => Some(normalize_ident(w).0),
        Some(Tok::Quoted(w)) => Some(normalize_ident(w).0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(sql: &str) -> Vec<String> {
        classify(sql, Dialect::Postgres)
            .iter()
            .flat_map(|s| s.uses.iter())
            .map(|u| format!("{} {} {}", u.table.name, u.access, u.operation))
            .collect()
    }

    #[test]
    fn classifies_sample_shapes() {
        assert_eq!(
            uses(
                "ANALYZE pgbench_history; DELETE FROM audit_events WHERE id > 0 AND id < (SELECT max(id) - 5000 FROM audit_events);"
            ),
            vec![
                "pgbench_history ddl unknown",
                "audit_events write delete",
                "audit_events read select"
            ]
        );
        assert_eq!(
            uses(
                "WITH moved AS (DELETE FROM pgbench_history WHERE bid = $1 RETURNING tid) INSERT INTO history_archive (tid) SELECT tid FROM moved"
            ),
            vec![
                "history_archive write insert",
                "pgbench_history write delete"
            ]
        );
        assert_eq!(
            uses(
                "UPDATE pgbench_branches AS b SET bbalance = s.total FROM (SELECT bid, sum(tbalance) AS total FROM pgbench_tellers GROUP BY bid) AS s WHERE b.bid = s.bid"
            ),
            vec![
                "pgbench_branches write update",
                "pgbench_tellers read select"
            ]
        );
        assert_eq!(
            uses("COPY  audit_events ( aid, action, payload ) FROM STDIN WITH (FORMAT csv)"),
            vec!["audit_events write copy"]
        );
        assert_eq!(
            uses(
                "DELETE a FROM orders_archive a JOIN sbtest3 t ON t.id = a.id WHERE a.x < NOW(6) - INTERVAL 20 SECOND"
            ),
            vec!["orders_archive write delete", "sbtest3 read select"]
        );
        assert_eq!(
            uses(
                "LOAD DATA LOCAL INFILE '/tmp/a.csv' INTO TABLE audit_log FIELDS TERMINATED BY ','"
            ),
            vec!["audit_log write load"]
        );
        assert_eq!(
            uses("SELECT extract(epoch FROM now()) FROM \"Orders\""),
            vec!["Orders read select"]
        );
        assert_eq!(
            uses("vacuum analyze pgbench_accounts"),
            vec!["pgbench_accounts ddl unknown"]
        );
        assert!(uses("BEGIN;").is_empty());
        let s = classify("SELECT 'oops", Dialect::Postgres);
        assert_eq!(s[0].error.as_deref(), Some("unterminated string literal"));
    }
}
