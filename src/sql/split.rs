//! Statement splitter: a SQL script or literal in, the byte ranges of its statements out.
//! Splits at `;` outside strings, comments, dollar quotes and the `BEGIN … END` bodies of
//! MySQL/SQLite triggers and procedures; honours the MySQL client's `DELIMITER` lines (in
//! every dialect: files are often scanned with the generic one) and
//! psql meta-commands (`\copy` is kept as a statement, other `\` lines are client commands)
//! and SQL Server's `GO` lines.
//!
//! A range starts at the statement's first significant token and ends after its last one,
//! so the terminating `;` and surrounding comments are outside it.

use super::lex::{LexOptions, Lexer, Tok, is_kw, significant};

/// Byte ranges `[start, end)` of the statements in `src`.
pub fn split(src: &str, opts: LexOptions) -> Vec<(usize, usize)> {
    split_range(src, 0, src.len(), opts)
}

/// Like `split`, within `src[from..to]` (offsets stay relative to `src`).
pub fn split_range(src: &str, from: usize, to: usize, opts: LexOptions) -> Vec<(usize, usize)> {
    let text = &src[..to];
    let bytes = text.as_bytes();
    let mut lx = Lexer::new(text, opts);
    lx.set_pos(from);
    let mut out = Vec::new();
    let mut cur: Option<usize> = None;
    let mut last_end = from;
    let mut delimiter: Option<&str> = None;
    // State of the statement being read: its leading words and the BEGIN … END depth.
    let mut head = Head::default();
    let mut depth = 0usize;
    loop {
        let pos = lx.pos();
        if pos >= text.len() {
            break;
        }
        if cur.is_none() && at_line_start(bytes, pos, from) {
            let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(text.len(), |k| pos + k);
            let line = &text[pos..line_end];
            if line.starts_with('\\') {
                if starts_with_ci(line, "\\copy") {
                    out.push((pos, pos + line.trim_end().len()));
                }
                lx.set_pos(line_end);
                continue;
            }
            if starts_with_ci(line, "delimiter ") {
                let d = line[10..].trim();
                delimiter = (!d.is_empty() && d != ";").then_some(d);
                lx.set_pos(line_end);
                continue;
            }
        }
        // SQL Server's `GO` batch separator: a line of its own.
        if bytes[pos] | 0x20 == b'g' && depth == 0 && at_line_start(bytes, pos, from) {
            let line_end = memchr::memchr(b'\n', &bytes[pos..]).map_or(text.len(), |k| pos + k);
            if text[pos..line_end].trim_end().eq_ignore_ascii_case("go") {
                if let Some(s) = cur.take() {
                    out.push((s, last_end));
                }
                head = Head::default();
                lx.set_pos(line_end);
                continue;
            }
        }
        if let Some(d) = delimiter
            && text[pos..].starts_with(d)
        {
            if let Some(s) = cur.take() {
                out.push((s, last_end));
            }
            head = Head::default();
            depth = 0;
            lx.set_pos(pos + d.len());
            continue;
        }
        let Some(t) = lx.next() else { break };
        if !significant(&t) {
            continue;
        }
        if t.kind == Tok::Semicolon && depth == 0 {
            if let Some(s) = cur.take() {
                out.push((s, last_end));
            }
            head = Head::default();
            continue;
        }
        if cur.is_none() {
            cur = Some(t.start);
        }
        last_end = t.end;
        head.see(text, &t);
        if t.kind != Tok::Word || !head.compound {
            continue;
        }
        if is_kw(text, &t, "begin") || is_kw(text, &t, "case") {
            depth += 1;
        } else if is_kw(text, &t, "end") {
            // `END IF`, `END LOOP`, `END WHILE`, `END REPEAT` close blocks that were never
            // counted as open; `END` and `END CASE` close a BEGIN or a CASE.
            // The keyword after END belongs to it: skip it so `END CASE` does not reopen.
            let next = lx.peek_significant();
            let closes_uncounted = next.is_some_and(|n| {
                ["if", "loop", "while", "repeat", "for"]
                    .iter()
                    .any(|k| is_kw(text, &n, k))
            });
            if let Some(n) = next
                && (closes_uncounted || is_kw(text, &n, "case"))
            {
                lx.set_pos(n.end);
                last_end = n.end;
            }
            if !closes_uncounted {
                depth = depth.saturating_sub(1);
            }
        }
    }
    if let Some(s) = cur {
        out.push((s, last_end));
    }
    out
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|b| b.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn at_line_start(bytes: &[u8], pos: usize, from: usize) -> bool {
    let mut i = pos;
    while i > from {
        match bytes[i - 1] {
            b'\n' => return true,
            b' ' | b'\t' | b'\r' => i -= 1,
            _ => return false,
        }
    }
    true
}

/// The first words of a statement: whether it defines a routine or trigger whose body may be
/// a `BEGIN … END` block holding `;`. The routine keyword must come before any `(`, so that
/// `CREATE TABLE t (trigger text)` is not taken for one.
#[derive(Default)]
struct Head {
    words: u8,
    create: bool,
    paren: bool,
    compound: bool,
}

impl Head {
    fn see(&mut self, text: &str, t: &super::lex::Token) {
        if self.words >= 12 || self.paren {
            return;
        }
        if t.kind != Tok::Word {
            self.paren = &text[t.start..t.end] == "(";
            return;
        }
        self.words += 1;
        if self.words == 1 {
            self.create = is_kw(text, t, "create");
            return;
        }
        if self.create
            && ["trigger", "procedure", "function", "event"]
                .iter()
                .any(|k| is_kw(text, t, k))
        {
            self.compound = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(s: &str, o: LexOptions) -> Vec<&str> {
        split(s, o).into_iter().map(|(a, b)| &s[a..b]).collect()
    }

    #[test]
    fn quotes_comments_and_dollar_bodies() {
        let s = "-- head;\nSELECT 'a;b', \"c;d\" FROM t; /* x; */ UPDATE t SET a = $$;$$ ;\n\nDO $x$ BEGIN PERFORM 1; END $x$;  ";
        assert_eq!(
            pieces(s, LexOptions::POSTGRES),
            [
                "SELECT 'a;b', \"c;d\" FROM t",
                "UPDATE t SET a = $$;$$",
                "DO $x$ BEGIN PERFORM 1; END $x$"
            ]
        );
    }

    #[test]
    fn mysql_trigger_body_and_delimiter() {
        let s = "CREATE TRIGGER tr AFTER INSERT ON a FOR EACH ROW BEGIN\n  IF NEW.x > 0 THEN UPDATE b SET n = n + 1; END IF;\n  SET @v = CASE WHEN 1 THEN 2 END;\nEND;\nSELECT 1;\nDELIMITER //\nANALYZE TABLE t; DELETE FROM u //\nDELIMITER ;\nCALL p()";
        let got = pieces(s, LexOptions::MYSQL);
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got[0].starts_with("CREATE TRIGGER") && got[0].ends_with("END"));
        assert_eq!(
            &got[1..],
            ["SELECT 1", "ANALYZE TABLE t", "DELETE FROM u", "CALL p()"]
        );
    }

    #[test]
    fn a_column_named_trigger_is_not_a_routine() {
        let s = "CREATE TABLE ev (id int, trigger text, begin timestamp); SELECT 1; SELECT 2";
        assert_eq!(pieces(s, LexOptions::MYSQL).len(), 3);
    }

    #[test]
    fn go_batch_separator() {
        let s = "SELECT 1\nGO\nUPDATE t SET go = 1\ngo\n";
        assert_eq!(
            pieces(s, LexOptions::GENERIC),
            ["SELECT 1", "UPDATE t SET go = 1"]
        );
    }

    #[test]
    fn psql_meta_commands() {
        let s =
            "\\set aid random(1, 10)\nSELECT :aid;\n\\copy t (a) FROM 'f.csv' WITH (FORMAT csv)\n";
        assert_eq!(
            pieces(s, LexOptions::POSTGRES),
            ["SELECT :aid", "\\copy t (a) FROM 'f.csv' WITH (FORMAT csv)"]
        );
    }
}
