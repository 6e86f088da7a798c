//! Query fingerprints for log grouping: one SQL statement in, its normalised text out, with
//! literals and placeholders replaced by `?`, comments dropped, whitespace collapsed and
//! unquoted words lower-cased, so `SELECT a FROM t WHERE id = 42` and
//! `select a from t where id = $1` group together (the idea behind pg_stat_statements and
//! pt-query-digest). Also reads sqlcommenter tags (`/*application='billing'*/`).
//!
//! One pass over the tokens, one output allocation; quoted identifiers keep their case.

use super::Dialect;
use super::lex::{LexOptions, Lexer, Tok, is_word_byte};

/// Fingerprint with PostgreSQL/generic lexing (`"x"` is an identifier).
pub fn fingerprint(sql: &str) -> String {
    fingerprint_dialect(sql, Dialect::Generic)
}

/// Fingerprint with the lexical rules of `dialect` (MySQL: `"x"` is a string, `#` a comment,
/// backslash escapes).
pub fn fingerprint_dialect(sql: &str, dialect: Dialect) -> String {
    let opts = match dialect {
        Dialect::Mysql => LexOptions::MYSQL,
        Dialect::Postgres => LexOptions::POSTGRES,
        Dialect::Sqlite | Dialect::Generic => LexOptions::GENERIC,
    };
    let mut out: Vec<u8> = Vec::with_capacity(sql.len());
    // Output offsets of open parentheses, to collapse literal lists.
    let mut parens: Vec<usize> = Vec::new();
    for t in Lexer::without_spaces(sql, opts) {
        let text = &sql.as_bytes()[t.start..t.end];
        match t.kind {
            Tok::Space | Tok::Comment => continue,
            Tok::Semicolon => {
                // A trailing `;` is not part of the statement; an inner one separates.
                push_sep(&mut out, b";", true);
                out.push(b';');
                continue;
            }
            _ => {}
        }
        match t.kind {
            Tok::Str | Tok::Dollar | Tok::Number | Tok::Placeholder => {
                // Fold a unary minus into the literal: `= -5` and `= 5` are the same query.
                if t.kind == Tok::Number
                    && out.last() == Some(&b'-')
                    && out.len() >= 2
                    && matches!(
                        prev_significant(&out[..out.len() - 1]),
                        None | Some(b'=' | b'<' | b'>' | b'(' | b',' | b'+' | b'-' | b'*' | b'/')
                    )
                {
                    out.pop();
                    while out.last() == Some(&b' ') {
                        out.pop();
                    }
                }
                push_sep(&mut out, b"?", false);
                out.push(b'?');
            }
            Tok::Word => {
                push_sep(&mut out, text, false);
                out.extend(text.iter().map(u8::to_ascii_lowercase));
            }
            Tok::QuotedIdent => {
                push_sep(&mut out, text, false);
                out.extend_from_slice(text);
            }
            Tok::Punct if text == b"(" => {
                push_sep(&mut out, text, true);
                parens.push(out.len());
                out.push(b'(');
            }
            Tok::Punct if text == b")" => {
                while out.last() == Some(&b' ') {
                    out.pop();
                }
                match parens.pop() {
                    Some(open) => close_list(&mut out, open),
                    None => out.push(b')'),
                }
            }
            _ => {
                push_sep(&mut out, text, true);
                out.extend_from_slice(text);
            }
        }
    }
    while matches!(out.last(), Some(b' ' | b';')) {
        out.pop();
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn prev_significant(out: &[u8]) -> Option<u8> {
    out.iter().rev().copied().find(|&b| b != b' ')
}

/// Words after which `(` opens a list or subquery rather than a call: `in (…)`,
/// `values (…)`, `as (…)`. After any other word, `(` is a call or a column list and is
/// written without a space.
const SPACED_BEFORE_PAREN: &[&[u8]] = &[
    b"all",
    b"and",
    b"any",
    b"as",
    b"between",
    b"by",
    b"case",
    b"copy",
    b"else",
    b"exists",
    b"filter",
    b"from",
    b"in",
    b"into",
    b"is",
    b"join",
    b"lateral",
    b"like",
    b"not",
    b"on",
    b"or",
    b"over",
    b"returning",
    b"select",
    b"set",
    b"some",
    b"table",
    b"then",
    b"using",
    b"values",
    b"when",
    b"where",
    b"with",
    b"within",
];

fn is_operator(b: u8) -> bool {
    matches!(
        b,
        b'=' | b'<'
            | b'>'
            | b'!'
            | b'|'
            | b'&'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'^'
            | b'~'
            | b'@'
            | b'#'
    )
}

/// Write the separator before a token. Spacing is canonical, whatever the input had:
/// one space between tokens, none inside `( )`, before `,` `.` `;`, around `::` and `.`,
/// between a name and its `(`, and between the characters of an operator (`<=`, `->>`).
fn push_sep(out: &mut Vec<u8>, next: &[u8], punct: bool) {
    let Some(&last) = out.last() else { return };
    let first = next.first().copied().unwrap_or(b' ');
    if last == b' ' || matches!(last, b'(' | b'.' | b'[' | b':') {
        return;
    }
    if matches!(first, b')' | b',' | b'.' | b';' | b']' | b':' | b'[') {
        return;
    }
    if first == b'(' && (is_word_byte(last) || last == b'"' || last == b'`') {
        let word_start = out
            .iter()
            .rposition(|&b| !is_word_byte(b))
            .map_or(0, |i| i + 1);
        if !SPACED_BEFORE_PAREN.contains(&&out[word_start..]) {
            return;
        }
    }
    if punct && is_operator(last) && is_operator(first) {
        return;
    }
    out.push(b' ');
}

/// At a `)` whose `(` is at `open`: `in (?, ?, ?)` and `values (?, ?), (?, ?)` become
/// `in (?+)` and `values (?+)`, so the number of literals does not split a group.
fn close_list(out: &mut Vec<u8>, open: usize) {
    let inner = &out[open + 1..];
    let only_literals =
        inner.contains(&b'?') && inner.iter().all(|b| matches!(b, b'?' | b',' | b' '));
    if !only_literals {
        out.push(b')');
        return;
    }
    let before = &out[..open];
    let before = before.strip_suffix(b" ").unwrap_or(before);
    let ends_word = |w: &[u8]| {
        before.ends_with(w)
            && before
                .len()
                .checked_sub(w.len() + 1)
                .is_none_or(|i| !is_word_byte(before[i]))
    };
    if before.ends_with(b"(?+),") {
        // A further row of a VALUES list: drop it.
        let cut = before.len() - 1;
        out.truncate(cut);
        return;
    }
    if ends_word(b"in") || ends_word(b"values") || ends_word(b"value") {
        out.truncate(open + 1);
        out.extend_from_slice(b"?+)");
    } else {
        out.push(b')');
    }
}

/// Key/value tags of sqlcommenter-style comments (`/*application='billing',route='%2Fx'*/`),
/// keys and values URL-decoded, in order of appearance. Comments that are not entirely
/// `key='value'` pairs are ignored.
pub fn comment_tags(sql: &str) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    if !sql.contains("/*") {
        return tags;
    }
    for t in Lexer::new(sql, LexOptions::GENERIC) {
        if t.kind != Tok::Comment || !sql[t.start..].starts_with("/*") {
            continue;
        }
        let body = sql[t.start + 2..t.end]
            .strip_suffix("*/")
            .unwrap_or(&sql[t.start + 2..t.end]);
        if let Some(pairs) = parse_tag_list(body.trim()) {
            tags.extend(pairs);
        }
    }
    tags
}

fn parse_tag_list(body: &str) -> Option<Vec<(String, String)>> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let eq = i + memchr::memchr(b'=', &b[i..])?;
        let key = body[i..eq].trim();
        if key.is_empty() || key.bytes().any(|c| c.is_ascii_whitespace() || c == b'\'') {
            return None;
        }
        let mut j = eq + 1;
        if b.get(j) != Some(&b'\'') {
            return None;
        }
        j += 1;
        let vstart = j;
        // sqlcommenter escapes `'` inside values as `\'`.
        while j < b.len() && b[j] != b'\'' {
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        if j >= b.len() {
            return None;
        }
        let raw = body[vstart..j].replace("\\'", "'");
        out.push((url_decode(key), url_decode(&raw)));
        i = j + 1;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i < b.len() {
            if b[i] != b',' {
                return None;
            }
            i += 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_placeholders_group_together() {
        let a = fingerprint("SELECT abalance FROM pgbench_accounts WHERE aid = 42;");
        assert_eq!(a, "select abalance from pgbench_accounts where aid = ?");
        assert_eq!(
            fingerprint("select abalance\n  from pgbench_accounts where aid=7"),
            "select abalance from pgbench_accounts where aid = ?"
        );
        assert_eq!(
            fingerprint("SELECT abalance FROM pgbench_accounts WHERE aid = $1"),
            a
        );
        assert_eq!(
            fingerprint("SELECT  abalance /* x */ FROM pgbench_accounts -- c\n WHERE aid = -3"),
            a
        );
    }

    #[test]
    fn spacing_is_canonical() {
        assert_eq!(
            fingerprint("INSERT INTO t(a,b) VALUES(1,2)"),
            fingerprint("insert into t ( a , b ) values ( 1 , 2 )")
        );
        assert_eq!(
            fingerprint(
                "SELECT count( * ) FROM t WHERE a<=1 AND b <> 2 AND c IN(1) AND d->>'k' = ?"
            ),
            "select count(*) from t where a <= ? and b <> ? and c in (?+) and d ->> ? = ?"
        );
        assert_eq!(
            fingerprint("SELECT x - 1, y-1, z = -1"),
            "select x - ?, y - ?, z = ?"
        );
    }

    #[test]
    fn strings_lists_and_values_collapse() {
        assert_eq!(
            fingerprint(
                "SELECT * FROM t WHERE s = 'it''s' AND e = E'a\\'b' AND d = $q$x$q$ AND n IN (1, 2,3)"
            ),
            "select * from t where s = ? and e = ? and d = ? and n in (?+)"
        );
        assert_eq!(
            fingerprint("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'),(3,'z')"),
            "insert into t(a, b) values (?+)"
        );
        assert_eq!(
            fingerprint("SELECT f(1, 2) FROM \"T\""),
            "select f(?, ?) from \"T\""
        );
        // Digits inside identifiers are not literals.
        assert_eq!(
            fingerprint("SELECT c1 FROM sbtest1 t1"),
            "select c1 from sbtest1 t1"
        );
        assert_eq!(fingerprint("SELECT a::int FROM t"), "select a::int from t");
    }

    #[test]
    fn mysql_double_quotes_are_strings() {
        assert_eq!(
            fingerprint_dialect(
                "SELECT * FROM t WHERE a = \"x\\\"y\" # trailing",
                Dialect::Mysql
            ),
            "select * from t where a = ?"
        );
    }

    #[test]
    fn sqlcommenter_tags() {
        let tags = comment_tags(
            "SELECT 1 /*application='billing',route='%2Forders%2F%3Aid',db_driver='psycopg2%3A2.9',note='it\\'s'*/",
        );
        assert_eq!(
            tags,
            [
                ("application".to_string(), "billing".to_string()),
                ("route".to_string(), "/orders/:id".to_string()),
                ("db_driver".to_string(), "psycopg2:2.9".to_string()),
                ("note".to_string(), "it's".to_string()),
            ]
        );
        assert!(comment_tags("SELECT 1 /* just a comment */").is_empty());
        assert!(comment_tags("SELECT '/*a=''b''*/'").is_empty());
    }
}
