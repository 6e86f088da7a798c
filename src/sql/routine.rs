//! Routine bodies: finds the body of `CREATE FUNCTION/PROCEDURE … AS $$ … $$`, `DO $$ … $$`,
//! `CREATE TRIGGER/PROCEDURE … BEGIN … END` and MySQL one-statement triggers, and cuts it
//! into the SQL statements and SQL expressions it runs. Input: one statement's range in the
//! source. Output: byte ranges in the source, so findings inside a body point at their line.
//!
//! PL/pgSQL and SQL/PSM bodies are not SQL: control words (DECLARE sections, IF … THEN,
//! LOOP, WHILE, FOR … IN … LOOP, EXCEPTION WHEN, labels, RAISE, RETURN …) are stripped, the
//! statement after them is kept, and conditions or assignments that hold a subquery are kept
//! as expressions. Dynamic SQL whose text is literal (`EXECUTE 'DELETE FROM ' || t`,
//! `EXECUTE format('… %I …', t)`) is rebuilt with `DYNAMIC_EXECUTE_MARKER` for the computed
//! parts; SQL held in a variable (`EXECUTE v_sql`) is not followed.

use super::lex::{LexOptions, Lexer, Tok, Token, is_kw, significant};
use super::split::split_range;
use super::{DYNAMIC_EXECUTE_MARKER as DYN, normalize_ident};

/// How to read a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Plain SQL statements (`LANGUAGE sql`, a MySQL one-statement trigger).
    Sql,
    /// PL/pgSQL.
    Plpgsql,
    /// `BEGIN … END` (MySQL, SQLite, SQL-standard `BEGIN ATOMIC`).
    Compound,
}

/// A routine found in a statement.
#[derive(Debug)]
pub struct Routine {
    /// The function, procedure or trigger name, normalised; `None` for `DO` blocks.
    pub name: Option<String>,
    pub body: (usize, usize),
    pub kind: BodyKind,
    /// The body is a `'…'` string: `''` inside it must be read as `'`.
    pub quoted: bool,
}

/// One thing to classify from a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A SQL statement.
    Sql(usize, usize),
    /// An expression holding a subquery (condition, assignment, RETURN).
    Expr(usize, usize),
    /// Dynamic SQL (`EXECUTE 'DELETE FROM ' || quote_ident(t)`, `EXECUTE format('… %I …')`):
    /// the range of the EXECUTE argument and the SQL rebuilt from its literal parts, with a
    /// dynamic marker where a value is computed.
    Dynamic(usize, usize, String),
}

fn toks(src: &str, start: usize, end: usize, opts: LexOptions) -> Vec<Token> {
    let mut lx = Lexer::without_spaces(&src[..end], opts);
    lx.set_pos(start);
    lx.filter(significant).collect()
}

fn word_in(src: &str, t: &Token, ks: &[&str]) -> bool {
    ks.iter().any(|k| is_kw(src, t, k))
}

/// The routine defined by the statement `src[start..end]`, if any.
pub fn find(src: &str, start: usize, end: usize, opts: LexOptions) -> Option<Routine> {
    let first = {
        let mut lx = Lexer::without_spaces(&src[..end], opts);
        lx.set_pos(start);
        lx.find(significant)?
    };
    if is_kw(src, &first, "do") {
        let ts = toks(src, start, end, LexOptions::POSTGRES);
        let d = ts.iter().find(|t| t.kind == Tok::Dollar)?;
        return Some(Routine {
            name: None,
            body: dollar_inner(src, d),
            kind: BodyKind::Plpgsql,
            quoted: false,
        });
    }
    if !is_kw(src, &first, "create") {
        return None;
    }
    let ts = toks(src, start, end, opts);
    let k = ts
        .iter()
        .take(14)
        .position(|t| word_in(src, t, &["function", "procedure", "trigger", "event"]))?;
    let mut i = k + 1;
    while i < ts.len() && word_in(src, &ts[i], &["if", "not", "exists"]) {
        i += 1;
    }
    let (name, after_name) = qualified_name(src, &ts, i)?;
    let rest = &ts[after_name..];
    let begin = rest.iter().position(|t| is_kw(src, t, "begin"));
    let compound = |b: usize| Routine {
        name: Some(name.clone()),
        body: (rest[b].start, end),
        kind: BodyKind::Compound,
        quoted: false,
    };
    let kind_word = &ts[k];
    if word_in(src, kind_word, &["function", "procedure"]) {
        let lang = rest
            .iter()
            .position(|t| is_kw(src, t, "language"))
            .and_then(|p| rest.get(p + 1))
            .map(|t| {
                normalize_ident(&src[t.start..t.end])
                    .0
                    .trim_matches('\'')
                    .to_string()
            });
        let kind = match lang.as_deref() {
            None | Some("plpgsql") => BodyKind::Plpgsql,
            Some("sql") => BodyKind::Sql,
            Some(_) => return None,
        };
        if let Some(d) = rest.iter().find(|t| t.kind == Tok::Dollar) {
            return Some(Routine {
                name: Some(name),
                body: dollar_inner(src, d),
                kind,
                quoted: false,
            });
        }
        let as_pos = rest.iter().position(|t| is_kw(src, t, "as"));
        if let Some(p) = as_pos
            && let Some(s) = rest.get(p + 1).filter(|t| t.kind == Tok::Str)
            && s.end - s.start >= 2
            && src.as_bytes()[s.start] == b'\''
        {
            return Some(Routine {
                name: Some(name),
                body: (s.start + 1, s.end - 1),
                kind,
                quoted: true,
            });
        }
        return begin.map(compound);
    }
    if let Some(b) = begin {
        return Some(compound(b));
    }
    if is_kw(src, kind_word, "trigger") {
        // MySQL one-statement trigger: `… FOR EACH ROW [FOLLOWS|PRECEDES t] stmt`.
        let row = rest.iter().position(|t| is_kw(src, t, "row"))?;
        if rest.iter().any(|t| is_kw(src, t, "execute")) {
            return None;
        }
        let mut j = row + 1;
        if rest
            .get(j)
            .is_some_and(|t| word_in(src, t, &["follows", "precedes"]))
        {
            j += 2;
        }
        let s = rest.get(j)?;
        return Some(Routine {
            name: Some(name),
            body: (s.start, end),
            kind: BodyKind::Sql,
            quoted: false,
        });
    }
    if is_kw(src, kind_word, "event") {
        let d = rest.iter().position(|t| is_kw(src, t, "do"))?;
        let s = rest.get(d + 1)?;
        return Some(Routine {
            name: Some(name),
            body: (s.start, end),
            kind: BodyKind::Sql,
            quoted: false,
        });
    }
    None
}

/// `a`, `s.a`, `"S"."A"` starting at token `i`: the normalised name and the index after it.
fn qualified_name(src: &str, ts: &[Token], i: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    let mut j = i;
    while let Some(t) = ts.get(j) {
        if !matches!(t.kind, Tok::Word | Tok::QuotedIdent) {
            break;
        }
        parts.push(normalize_ident(&src[t.start..t.end]).0);
        j += 1;
        if ts.get(j).is_some_and(|t| &src[t.start..t.end] == ".") {
            j += 1;
        } else {
            break;
        }
    }
    (!parts.is_empty()).then(|| (parts.join("."), j))
}

/// The inside of a `$tag$ … $tag$` token.
fn dollar_inner(src: &str, t: &Token) -> (usize, usize) {
    let tok = &src[t.start..t.end];
    let tag = tok[1..].find('$').map_or(tok.len(), |k| k + 2);
    let start = (t.start + tag).min(t.end);
    let end = if tok.len() >= 2 * tag && tok.ends_with(&tok[..tag]) {
        t.end - tag
    } else {
        t.end
    };
    (start, end.max(start))
}

/// Cut a body into pieces to classify.
pub fn pieces(src: &str, body: (usize, usize), kind: BodyKind, opts: LexOptions) -> Vec<Piece> {
    match kind {
        BodyKind::Sql => split_range(src, body.0, body.1, opts)
            .into_iter()
            .map(|(a, b)| Piece::Sql(a, b))
            .collect(),
        BodyKind::Plpgsql => procedural(src, body, LexOptions::POSTGRES, true),
        BodyKind::Compound => procedural(src, body, opts, false),
    }
}

/// Walk a procedural body chunk by chunk (`;`-separated).
fn procedural(src: &str, body: (usize, usize), opts: LexOptions, plpgsql: bool) -> Vec<Piece> {
    let ts = toks(src, body.0, body.1, opts);
    let mut out = Vec::new();
    let mut declare = false;
    let mut chunk: Vec<Token> = Vec::new();
    for t in ts {
        if t.kind == Tok::Semicolon {
            chunk_pieces(src, &chunk, plpgsql, &mut declare, &mut out);
            chunk.clear();
        } else {
            chunk.push(t);
        }
    }
    chunk_pieces(src, &chunk, plpgsql, &mut declare, &mut out);
    out
}

/// Index of the first word in `ks` at parenthesis depth 0, from `from`.
fn find_top(src: &str, c: &[Token], from: usize, ks: &[&str]) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in c.iter().enumerate().skip(from) {
        match &src[t.start..t.end] {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ if depth == 0 && word_in(src, t, ks) => return Some(i),
            _ => {}
        }
    }
    None
}

fn has_select(src: &str, c: &[Token]) -> bool {
    c.iter().any(|t| is_kw(src, t, "select"))
}

fn expr_piece(src: &str, c: &[Token], out: &mut Vec<Piece>) {
    if let (Some(a), Some(b)) = (c.first(), c.last())
        && has_select(src, c)
    {
        out.push(Piece::Expr(a.start, b.end));
    }
}

fn chunk_pieces(src: &str, c: &[Token], plpgsql: bool, declare: &mut bool, out: &mut Vec<Piece>) {
    let text = |t: &Token| &src[t.start..t.end];
    let mut i = 0;
    while i < c.len() {
        let t = &c[i];
        if *declare && !is_kw(src, t, "begin") {
            // `name CURSOR FOR query` reads; other declarations do not.
            cursor(src, &c[i..], out);
            return;
        }
        if text(t) == "<" && c.get(i + 1).is_some_and(|n| text(n) == "<") {
            // `<<label>>`
            i = c[i..]
                .iter()
                .position(|x| text(x) == ">")
                .map_or(c.len(), |p| i + p + 2);
            continue;
        }
        if t.kind == Tok::Word
            && c.get(i + 1).is_some_and(|n| text(n) == ":")
            && c.get(i + 2).is_none_or(|n| text(n) != "=")
        {
            i += 2; // MySQL `label:`
            continue;
        }
        let w = if t.kind == Tok::Word {
            text(t).to_ascii_lowercase()
        } else {
            String::new()
        };
        match w.as_str() {
            "declare" => {
                if plpgsql {
                    *declare = true;
                    i += 1;
                    continue;
                }
                cursor(src, &c[i + 1..], out);
                return;
            }
            "begin" => {
                *declare = false;
                i += 1;
                while c
                    .get(i)
                    .is_some_and(|x| word_in(src, x, &["atomic", "not"]))
                {
                    i += 1;
                }
            }
            "else" | "loop" | "then" | "exception" | "repeat" | "do" => i += 1,
            "end" => return,
            "if" | "elsif" | "elseif" | "while" | "when" | "until" | "case" => {
                let Some(k) = find_top(src, c, i + 1, &["then", "loop", "do", "end"]) else {
                    expr_piece(src, &c[i + 1..], out);
                    return;
                };
                expr_piece(src, &c[i + 1..k], out);
                i = k + 1;
            }
            "for" | "foreach" => {
                let Some(inn) = find_top(src, c, i + 1, &["in"]) else {
                    return;
                };
                let Some(lp) = find_top(src, c, inn + 1, &["loop"]) else {
                    return;
                };
                let q = &c[inn + 1..lp];
                if q.first()
                    .is_some_and(|x| word_in(src, x, &["select", "with"]))
                {
                    out.push(Piece::Sql(q[0].start, q[q.len() - 1].end));
                } else {
                    expr_piece(src, q, out);
                }
                i = lp + 1;
            }
            "return" => {
                if c.get(i + 1).is_some_and(|x| is_kw(src, x, "query")) {
                    i += 2;
                    continue;
                }
                expr_piece(src, &c[i + 1..], out);
                return;
            }
            "open" => {
                if let Some(f) = find_top(src, c, i + 1, &["for"])
                    && c.get(f + 1)
                        .is_some_and(|x| word_in(src, x, &["select", "with"]))
                {
                    out.push(Piece::Sql(c[f + 1].start, c[c.len() - 1].end));
                }
                return;
            }
            "execute" => {
                if let Some(p) = dynamic(src, &c[i + 1..]) {
                    out.push(p);
                }
                return;
            }
            "raise" | "null" | "exit" | "continue" | "leave" | "iterate" | "signal"
            | "resignal" | "get" | "close" | "fetch" | "move" | "assert" => return,
            _ => {
                // `target := expr` / `target = expr` (PL/pgSQL assignment).
                let mut j = i;
                while c
                    .get(j)
                    .is_some_and(|x| matches!(x.kind, Tok::Word | Tok::QuotedIdent))
                    && c.get(j + 1).is_some_and(|x| text(x) == ".")
                {
                    j += 2;
                }
                let assign = c
                    .get(j)
                    .is_some_and(|x| matches!(x.kind, Tok::Word | Tok::QuotedIdent))
                    && match c.get(j + 1).map(text) {
                        Some(":") => c.get(j + 2).is_some_and(|x| text(x) == "="),
                        Some("=") => plpgsql,
                        _ => false,
                    };
                if assign && !word_in(src, t, &["set", "update"]) {
                    let from = if c.get(j + 1).map(text) == Some(":") {
                        j + 3
                    } else {
                        j + 2
                    };
                    expr_piece(src, &c[from.min(c.len())..], out);
                    return;
                }
                out.push(Piece::Sql(t.start, c[c.len() - 1].end));
                return;
            }
        }
    }
}

/// The text of a `'…'` literal token with `''` unescaped; `None` for other tokens.
fn literal(src: &str, t: &Token) -> Option<String> {
    let s = &src[t.start..t.end];
    if t.kind != Tok::Str || !s.starts_with('\'') || s.len() < 2 || !s.ends_with('\'') {
        return None;
    }
    Some(s[1..s.len() - 1].replace("''", "'"))
}

/// `EXECUTE <expr> [USING …] [INTO …]`: rebuild the SQL when `<expr>` is made of literals.
fn dynamic(src: &str, c: &[Token]) -> Option<Piece> {
    let text = |t: &Token| &src[t.start..t.end];
    let end = find_top(src, c, 0, &["using", "into"]).unwrap_or(c.len());
    let arg = &c[..end];
    let (first, last) = (arg.first()?, arg.last()?);
    let mut sql = String::new();
    if is_kw(src, first, "format") && arg.get(1).is_some_and(|t| text(t) == "(") {
        // format('UPDATE %I SET x = %L', t, v): %I and %s name things, %L is a value.
        let template = literal(src, arg.get(2)?)?;
        sql = template
            .replace("%I", DYN)
            .replace("%s", DYN)
            .replace("%L", "NULL")
            .replace("%%", "%");
    } else {
        // 'DELETE FROM ' || quote_ident(t) || ' WHERE …'
        let mut computed = false;
        let mut depth = 0i32;
        for t in arg {
            match text(t) {
                "(" => depth += 1,
                ")" => depth -= 1,
                _ => {}
            }
            if depth == 0 && text(t) == "|" {
                continue;
            }
            match literal(src, t) {
                Some(l) if depth == 0 => {
                    if computed {
                        sql.push_str(DYN);
                        computed = false;
                    }
                    sql.push_str(&l);
                }
                _ => computed = true,
            }
        }
        if computed {
            sql.push_str(DYN);
        }
    }
    (!sql.trim().is_empty() && arg.iter().any(|t| t.kind == Tok::Str)).then_some(Piece::Dynamic(
        first.start,
        last.end,
        sql,
    ))
}

/// `name CURSOR [(args)] FOR|IS query`.
fn cursor(src: &str, c: &[Token], out: &mut Vec<Piece>) {
    let Some(k) = c.iter().position(|t| is_kw(src, t, "cursor")) else {
        return;
    };
    if let Some(f) = find_top(src, c, k + 1, &["for", "is"])
        && c.get(f + 1)
            .is_some_and(|x| word_in(src, x, &["select", "with"]))
    {
        out.push(Piece::Sql(c[f + 1].start, c[c.len() - 1].end));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(src: &str, opts: LexOptions) -> (Option<String>, Vec<String>) {
        let r = find(src, 0, src.len(), opts).expect("a routine");
        let ps = pieces(src, r.body, r.kind, opts)
            .into_iter()
            .map(|p| match p {
                Piece::Sql(a, b) => format!("sql {}", &src[a..b]),
                Piece::Expr(a, b) => format!("expr {}", &src[a..b]),
                Piece::Dynamic(_, _, sql) => format!("dynamic {sql}"),
            })
            .collect();
        (r.name, ps)
    }

    #[test]
    fn plpgsql_body() {
        let src = "CREATE OR REPLACE FUNCTION billing.sync() RETURNS trigger AS $fn$\nDECLARE\n  n int := 0;\n  c CURSOR FOR SELECT id FROM a;\nBEGIN\n  IF EXISTS (SELECT 1 FROM b WHERE id = NEW.id) THEN\n    UPDATE c SET x = 1;\n  ELSIF TG_OP = 'DELETE' THEN\n    DELETE FROM d;\n  END IF;\n  n := (SELECT count(*) FROM e);\n  FOR r IN SELECT * FROM f LOOP\n    PERFORM 1 FROM g;\n  END LOOP;\n  RAISE NOTICE 'x';\n  EXECUTE 'DELETE FROM ' || quote_ident(TG_TABLE_NAME) || ' WHERE id = $1' USING NEW.id;\n  EXECUTE format('UPDATE %I SET n = %L FROM h', 'x', 1);\n  RETURN NEW;\nEND;\n$fn$ LANGUAGE plpgsql";
        let (name, ps) = show(src, LexOptions::POSTGRES);
        assert_eq!(name.as_deref(), Some("billing.sync"));
        assert_eq!(
            ps,
            [
                "sql SELECT id FROM a",
                "expr EXISTS (SELECT 1 FROM b WHERE id = NEW.id)",
                "sql UPDATE c SET x = 1",
                "sql DELETE FROM d",
                "expr (SELECT count(*) FROM e)",
                "sql SELECT * FROM f",
                "sql PERFORM 1 FROM g",
                "dynamic DELETE FROM __cutover_dyn_exec__ WHERE id = $1",
                "dynamic UPDATE __cutover_dyn_exec__ SET n = NULL FROM h",
            ]
        );
    }

    #[test]
    fn mysql_trigger_body() {
        let src = "CREATE DEFINER=`root`@`%` TRIGGER `tr_a` AFTER INSERT ON a FOR EACH ROW BEGIN\n  DECLARE v INT DEFAULT 0;\n  IF NEW.k > 0 THEN\n    INSERT INTO b (k) VALUES (NEW.k);\n  END IF;\n  SET @x = 1;\nEND";
        let (name, ps) = show(src, LexOptions::MYSQL);
        assert_eq!(name.as_deref(), Some("tr_a"));
        assert_eq!(
            ps,
            ["sql INSERT INTO b (k) VALUES (NEW.k)", "sql SET @x = 1"]
        );
    }
}
