//! Length-preserving rewrite of one statement before it is handed to sqlparser, so that byte
//! offsets in the rewritten text are offsets in the input. Input: the statement text.
//! Output: a `String` of the same length in which
//! - placeholders some dialect rejects (`?`, `%s`, `%(name)s`, `:name`, `${expr}`) become a
//!   number literal padded with spaces (`$1` and `@p` already parse; `? 'key'` is jsonb);
//! - words that make sqlparser misread the statement are blanked: `ONLY` in `FROM ONLY t`
//!   (read as a table named ONLY), MySQL modifiers like `SQL_CALC_FOUND_ROWS`;
//! - a psql `\copy` loses its backslash;
//! - in routine bodies, PL/pgSQL forms become SQL: `PERFORM` → `SELECT `, `INTO STRICT` and
//!   `RETURNING … INTO var` lose the variable part.
//!
//! Strings, comments and quoted identifiers are never touched (the tokenizer finds them).

use super::lex::{LexOptions, Lexer, Tok, Token, is_kw, significant};

/// Words after which `ONLY` is PostgreSQL's inheritance modifier, not a table.
const BEFORE_ONLY: &[&str] = &["from", "join", "update", "table", "truncate", "into"];

/// MySQL statement modifiers that some dialects misread as a column or table name.
const MYSQL_MODIFIERS: &[&str] = &[
    "delayed",
    "high_priority",
    "low_priority",
    "quick",
    "sql_big_result",
    "sql_buffer_result",
    "sql_cache",
    "sql_calc_found_rows",
    "sql_no_cache",
    "sql_small_result",
    "straight_join",
];

/// Rewrite `text` for parsing (see the module doc). `routine`: the text is a statement from
/// a routine body.
pub fn rewrite(text: &str, opts: LexOptions, routine: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<Token> = None;
    let mut first = true;
    let mut returning = false;
    let mut blank_rest = false;
    let mut lx = Lexer::new(text, opts);
    while let Some(t) = lx.next() {
        let s = &text[t.start..t.end];
        if blank_rest {
            push_blank(&mut out, s);
            continue;
        }
        let is_first = first && significant(&t);
        if significant(&t) {
            first = false;
        }
        let after = |kws: &[&str]| prev.is_some_and(|p| kws.iter().any(|k| is_kw(text, &p, k)));
        match t.kind {
            // PostgreSQL's jsonb operators `?`, `?|`, `?&` (`data ? 'key'`) stay.
            Tok::Placeholder
                if s == "?"
                    && (matches!(text.as_bytes().get(t.end), Some(b'|' | b'&'))
                        || lx.peek_significant().is_some_and(|n| n.kind == Tok::Str)) =>
            {
                out.push('?');
            }
            Tok::Placeholder if !s.starts_with('$') || s.starts_with("${") => {
                out.push('1');
                push_spaces(&mut out, s.len() - 1);
            }
            Tok::Punct if is_first && s == "\\" => out.push(' '),
            Tok::Word if is_kw(text, &t, "only") && after(BEFORE_ONLY) => push_blank(&mut out, s),
            Tok::Word
                if after(&["select", "insert", "update", "delete", "replace"])
                    && MYSQL_MODIFIERS.iter().any(|m| s.eq_ignore_ascii_case(m)) =>
            {
                push_blank(&mut out, s);
            }
            Tok::Word if routine && is_first && s.eq_ignore_ascii_case("perform") => {
                out.push_str("SELECT ");
            }
            Tok::Word if routine && is_kw(text, &t, "strict") && after(&["into"]) => {
                push_blank(&mut out, s);
            }
            Tok::Word if routine && is_kw(text, &t, "returning") => {
                returning = true;
                out.push_str(s);
            }
            Tok::Word if routine && returning && is_kw(text, &t, "into") => {
                blank_rest = true;
                push_blank(&mut out, s);
            }
            _ => out.push_str(s),
        }
        if significant(&t) {
            prev = Some(t);
        }
    }
    out
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Replace `s` by one space per byte (a multi-byte char becomes several spaces, so the
/// length is kept), keeping line breaks so that line numbers in parser errors stay right.
fn push_blank(out: &mut String, s: &str) {
    for b in s.bytes() {
        out.push(if b == b'\n' { '\n' } else { ' ' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_literals_of_the_same_length() {
        let s = "SELECT * FROM ONLY t WHERE a = ? AND b = %s AND c = %(name)s AND d = :d AND e = $1 AND f = '?'";
        let r = rewrite(s, LexOptions::POSTGRES, false);
        assert_eq!(r.len(), s.len());
        assert_eq!(
            r,
            "SELECT * FROM      t WHERE a = 1 AND b = 1  AND c = 1        AND d = 1  AND e = $1 AND f = '?'"
        );
    }

    #[test]
    fn plpgsql_forms() {
        let s = "PERFORM 1 FROM t";
        assert_eq!(rewrite(s, LexOptions::POSTGRES, true), "SELECT  1 FROM t");
        let s = "INSERT INTO t (a) VALUES (1) RETURNING id INTO v_id";
        assert_eq!(
            rewrite(s, LexOptions::POSTGRES, true),
            "INSERT INTO t (a) VALUES (1) RETURNING id          "
        );
        let s = "SELECT SQL_CALC_FOUND_ROWS * FROM t";
        assert_eq!(
            rewrite(s, LexOptions::MYSQL, false),
            "SELECT                     * FROM t"
        );
    }
}
