//! SQL classifier: SQL text in, one `Statement` per statement out, each listing the tables it
//! touches with their access (read / write / ddl) and operation. Used by every extractor and
//! by the log parsers. It knows nothing about which tables are legacy: matching against the
//! configuration is `TableMatcher`'s job.
//!
//! Pipeline per input: `split` cuts it into statements (byte ranges), `rewrite` makes each
//! parseable without moving offsets (placeholders, `FROM ONLY`…), sqlparser parses it with
//! the configured dialect first and then the others, and `roles` walks the AST to give each
//! table its access and operation. Statements no dialect parses go to `fallback` (a fixed
//! grammar for VACUUM / LOAD DATA / …, else a token scan with `Confidence::Heuristic`).
//! A statement whose operator chain or nesting could exhaust the stack (`limits`) goes to
//! the token scan without being parsed, with the reason as its error.
//! Function, procedure, trigger and DO bodies are cut into statements by `routine` and
//! classified the same way, attributed to their routine.
//!
//! Also here, for the log parsers: `fingerprint` (literal-free, canonical text of a statement,
//! to group log lines) and `comment_tags` (sqlcommenter key/values).

mod fallback;
mod fingerprint;
mod lex;
mod limits;
mod rewrite;
mod roles;
mod routine;
mod split;

pub use fingerprint::{comment_tags, fingerprint, fingerprint_dialect};

use crate::model::{Access, Confidence, Operation};
use lex::{LexOptions, Tok};
use serde::{Deserialize, Serialize};
use sqlparser::dialect::{
    Dialect as SqlDialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect,
};
use sqlparser::parser::Parser;

/// SQL dialect to try first. The others are tried when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Postgres,
    Mysql,
    Sqlite,
    #[default]
    Generic,
}

/// A table name as written in SQL, normalised: unquoted identifiers are lower-cased, quoted
/// ones keep their case (and `quoted` says so).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableName {
    pub schema: Option<String>,
    pub name: String,
    pub quoted: bool,
}

impl TableName {
    /// Parse a configured name such as `billing.orders_legacy` or `"Billing"."Orders"`.
    pub fn parse_config(text: &str) -> TableName {
        let parts: Vec<(String, bool)> = text.split('.').map(normalize_ident).collect();
        match parts.as_slice() {
            [.., (schema, sq), (name, nq)] => TableName {
                schema: Some(schema.clone()),
                name: name.clone(),
                quoted: *sq || *nq,
            },
            [(name, q)] => TableName {
                schema: None,
                name: name.clone(),
                quoted: *q,
            },
            [] => TableName {
                schema: None,
                name: String::new(),
                quoted: false,
            },
        }
    }
}

/// Strip quotes (`"x"`, `` `x` ``, `[x]`) and lower-case unquoted identifiers.
pub fn normalize_ident(raw: &str) -> (String, bool) {
    let raw = raw.trim();
    let quoted_with =
        |open: char, close: char| raw.len() >= 2 && raw.starts_with(open) && raw.ends_with(close);
    if quoted_with('"', '"') || quoted_with('`', '`') || quoted_with('[', ']') {
        (raw[1..raw.len() - 1].to_string(), true)
    } else {
        (raw.to_ascii_lowercase(), false)
    }
}

/// One table touched by one statement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableUse {
    pub table: TableName,
    pub access: Access,
    pub operation: Operation,
}

/// One statement of the input with what it touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of the statement's first non-blank character in the input.
    pub start: usize,
    /// Byte offset just past the statement's end (before the `;`).
    pub end: usize,
    /// Tables and roles, sorted, one entry per (table, access, operation).
    pub uses: Vec<TableUse>,
    pub confidence: Confidence,
    /// Why the parsers failed, when `confidence` is `Heuristic`.
    pub error: Option<String>,
    /// The function, procedure or trigger whose body holds this statement
    /// (`CREATE FUNCTION f() … $$ UPDATE t … $$` gives the UPDATE with `routine = "f"`).
    pub routine: Option<String>,
}

/// Extractors replace an interpolation (`${t}`, `{t}`, `%s` used as a name) with an
/// identifier made of this prefix and a number, so that the statement still parses and an
/// interpolated *table* shows up as a table whose name starts with this prefix.
pub const DYNAMIC_MARKER_PREFIX: &str = "__cutover_dyn_";

/// The table name the classifier itself gives to the computed part of dynamic SQL in a
/// routine body (`EXECUTE format('DELETE FROM %I …', t)`). It starts with
/// `DYNAMIC_MARKER_PREFIX` but carries no number, so it never names an extractor's
/// interpolation.
pub const DYNAMIC_EXECUTE_MARKER: &str = "__cutover_dyn_exec__";

/// Classify every statement in `sql`: one `Statement` per top-level statement, followed by
/// one per statement found in the body of a function, procedure, trigger or DO block.
pub fn classify(sql: &str, dialect: Dialect) -> Vec<Statement> {
    let remembered = MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let memo = memo.as_mut()?;
        if memo.dialect != Some(dialect) {
            memo.results.clear();
            memo.dialect = Some(dialect);
        }
        Some(memo.results.get(sql).cloned())
    });
    match remembered {
        None => classify_now(sql, dialect),
        Some(Some(done)) => done,
        Some(None) => {
            // The memo is not borrowed while classifying: a nested `classify` would find
            // it free.
            let done = classify_now(sql, dialect);
            MEMO.with(|memo| {
                if let Some(memo) = memo.borrow_mut().as_mut() {
                    if memo.results.len() >= MEMO_LIMIT {
                        memo.results.clear();
                    }
                    memo.results.insert(sql.to_string(), done.clone());
                }
            });
            done
        }
    }
}

thread_local! {
    /// Results of `classify` on this thread while a `Memo` is alive.
    static MEMO: std::cell::RefCell<Option<Results>> = const { std::cell::RefCell::new(None) };
}

#[derive(Default)]
struct Results {
    dialect: Option<Dialect>,
    results: std::collections::HashMap<String, Vec<Statement>>,
}

/// Texts remembered at most (then forgotten all at once): a bound on memory, not a tuning.
const MEMO_LIMIT: usize = 20_000;

/// While alive, `classify` on this thread remembers its results by text: `burndown` holds
/// one while it scans the versions of a file, which mostly repeat the same statements.
/// `classify` is a function of its input, so a remembered result is the result.
pub struct Memo(());

impl Memo {
    pub fn start() -> Memo {
        MEMO.with(|m| *m.borrow_mut() = Some(Results::default()));
        Memo(())
    }
}

impl Drop for Memo {
    fn drop(&mut self) {
        MEMO.with(|m| *m.borrow_mut() = None);
    }
}

fn classify_now(sql: &str, dialect: Dialect) -> Vec<Statement> {
    let opts = lex_options(dialect);
    let mut out = Vec::new();
    for (start, end) in split::split(sql, opts) {
        classify_statement(sql, start, end, dialect, None, 0, &mut out);
    }
    out
}

/// Byte ranges of the statements of a script, split as the classifier splits them.
pub fn statements(sql: &str, dialect: Dialect) -> Vec<(usize, usize)> {
    split::split(sql, lex_options(dialect))
}

/// Where `sql` ends inside a comment or quote that never closes (`/* …`, `'…`, `"…`):
/// the opener's offset and its length. Everything after it would otherwise be invisible.
pub fn unterminated_tail(sql: &str, dialect: Dialect) -> Option<(usize, usize)> {
    let last = lex::Lexer::without_spaces(sql, lex_options(dialect)).last()?;
    let text = &sql[last.start..last.end];
    let open = match last.kind {
        Tok::Comment if text.starts_with("/*") => {
            (!text.ends_with("*/") || text.len() < 4).then_some(2)
        }
        Tok::Str | Tok::QuotedIdent => {
            let quote = text.chars().find(|c| matches!(c, '\'' | '"' | '`'))?;
            let at = text.find(quote)?;
            let closed = text.len() > at + 1 && text.ends_with(quote);
            (!closed).then_some(at + 1)
        }
        Tok::Dollar => {
            let tag_end = text[1..].find('$')? + 2;
            let closed = text.len() >= 2 * tag_end && text.ends_with(&text[..tag_end]);
            (!closed).then_some(tag_end)
        }
        _ => None,
    }?;
    Some((last.start, open))
}

fn lex_options(dialect: Dialect) -> LexOptions {
    match dialect {
        Dialect::Postgres => LexOptions::POSTGRES,
        Dialect::Mysql => LexOptions::MYSQL,
        Dialect::Sqlite | Dialect::Generic => LexOptions::GENERIC,
    }
}

/// Deeper nesting (a function defined inside a DO block inside …) is not followed.
const MAX_ROUTINE_DEPTH: u8 = 4;

/// sqlparser recurses per nesting level; this bounds its stack on hostile input.
const RECURSION_LIMIT: usize = 48;

static GENERIC: GenericDialect = GenericDialect {};
static POSTGRES: PostgreSqlDialect = PostgreSqlDialect {};
static MYSQL: MySqlDialect = MySqlDialect {};
static SQLITE: SQLiteDialect = SQLiteDialect {};

/// The dialects to try, the configured one first.
fn attempts(dialect: Dialect) -> [&'static dyn SqlDialect; 4] {
    match dialect {
        Dialect::Postgres => [&POSTGRES, &GENERIC, &MYSQL, &SQLITE],
        Dialect::Mysql => [&MYSQL, &GENERIC, &POSTGRES, &SQLITE],
        Dialect::Sqlite => [&SQLITE, &GENERIC, &POSTGRES, &MYSQL],
        Dialect::Generic => [&GENERIC, &POSTGRES, &MYSQL, &SQLITE],
    }
}

/// Parse with each dialect in turn: the statements, or the first dialect's error.
fn parse(text: &str, dialect: Dialect) -> Result<Vec<sqlparser::ast::Statement>, String> {
    let mut first_error = None;
    for d in attempts(dialect) {
        let parsed = Parser::new(d)
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(text)
            .and_then(|mut p| p.parse_statements());
        match parsed {
            Ok(stmts) => return Ok(stmts),
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    Err(first_error.unwrap_or_default())
}

/// Classify `text[start..end]` (one statement), push it and the statements of its body.
/// `text` is the input, except inside `'…'` routine bodies, where it is a copy with `''`
/// unescaped in place (same length), so offsets stay offsets into the input.
fn classify_statement(
    text: &str,
    start: usize,
    end: usize,
    dialect: Dialect,
    routine: Option<&str>,
    depth: u8,
    out: &mut Vec<Statement>,
) {
    let opts = lex_options(dialect);
    let body = &text[start..end];
    let rewritten = rewrite::rewrite(body, opts, routine.is_some());
    let short = shorten_bulk_insert(&rewritten, opts);
    let parsed = short.as_deref().unwrap_or(&rewritten);
    let (uses, confidence, error) = classify_text(parsed, dialect, routine.is_some());
    out.push(statement(start, end, uses, confidence, error, routine));
    if depth >= MAX_ROUTINE_DEPTH {
        return;
    }
    let Some(r) = routine::find(text, start, end, opts) else {
        return;
    };
    let name = r.name.as_deref().or(routine);
    let unescaped;
    let body_text = if r.quoted && text[r.body.0..r.body.1].contains("''") {
        unescaped = unescape_quoted_body(text, r.body);
        unescaped.as_str()
    } else {
        text
    };
    for p in routine::pieces(body_text, r.body, r.kind, opts) {
        match p {
            routine::Piece::Sql(a, b) => {
                classify_statement(body_text, a, b, dialect, name, depth + 1, out);
            }
            routine::Piece::Expr(a, b) => {
                classify_expr(body_text, a, b, dialect, name, out);
            }
            routine::Piece::Dynamic(a, b, sql) => {
                // The rebuilt SQL has its own offsets: the statement points at the argument.
                let opts = lex_options(dialect);
                let rewritten = rewrite::rewrite(&sql, opts, true);
                let (uses, confidence, error) = classify_text(&rewritten, dialect, true);
                out.push(statement(a, b, uses, confidence, error, name));
            }
        }
    }
}

/// Statements shorter than this are parsed whole.
const BULK_INSERT_MIN: usize = 16 * 1024;

/// A dump's `INSERT … VALUES (…), (…), …` can be megabytes of rows that say nothing about
/// tables: parse `INSERT … VALUES (1)` plus the tail (`ON DUPLICATE KEY …`) instead. Only
/// when no row holds a subquery.
fn shorten_bulk_insert(text: &str, opts: LexOptions) -> Option<String> {
    if text.len() < BULK_INSERT_MIN {
        return None;
    }
    let word = |t: &lex::Token, k: &str| lex::is_kw(text, t, k);
    let mut toks = lex::Lexer::without_spaces(text, opts).filter(lex::significant);
    let first = toks.next()?;
    if !(word(&first, "insert") || word(&first, "replace")) {
        return None;
    }
    let mut depth = 0i32;
    let mut values_end = None;
    let mut tail = text.len();
    for t in toks {
        match &text[t.start..t.end] {
            "(" => depth += 1,
            ")" => depth -= 1,
            _ if word(&t, "select") => return None,
            _ if depth == 0 && values_end.is_none() && word(&t, "values") => {
                values_end = Some(t.end);
            }
            _ if depth == 0
                && values_end.is_some()
                && (word(&t, "on") || word(&t, "returning") || word(&t, "as")) =>
            {
                tail = t.start;
                break;
            }
            _ => {}
        }
    }
    let v = values_end?;
    Some(format!("{} (1) {}", &text[..v], &text[tail..]))
}

/// Parse (or, failing that, scan) one rewritten statement.
fn classify_text(
    rewritten: &str,
    dialect: Dialect,
    in_routine: bool,
) -> (Vec<TableUse>, Confidence, Option<String>) {
    let opts = lex_options(dialect);
    if let Some(why) = limits::check(rewritten, opts) {
        return (
            fallback::scan(rewritten, opts),
            Confidence::Heuristic,
            Some(why),
        );
    }
    match parse(rewritten, dialect) {
        Ok(stmts) => {
            let mut roles = roles::Roles::new(in_routine);
            roles.statements(&stmts);
            (roles.uses, Confidence::Parsed, None)
        }
        Err(e) => match fallback::known(rewritten, opts) {
            Some(uses) => (uses, Confidence::Parsed, None),
            None => (
                fallback::scan(rewritten, opts),
                Confidence::Heuristic,
                Some(e),
            ),
        },
    }
}

/// `''` → `' ` inside `text[body]`, so the body of `AS '…'` reads as SQL at the same offsets.
fn unescape_quoted_body(text: &str, body: (usize, usize)) -> String {
    let mut s = String::with_capacity(text.len());
    s.push_str(&text[..body.0]);
    s.push_str(&text[body.0..body.1].replace("''", "' "));
    s.push_str(&text[body.1..]);
    s
}

/// A condition or assignment from a routine body: the tables its subqueries read.
fn classify_expr(
    text: &str,
    start: usize,
    end: usize,
    dialect: Dialect,
    routine: Option<&str>,
    out: &mut Vec<Statement>,
) {
    let opts = lex_options(dialect);
    let rewritten = rewrite::rewrite(&text[start..end], opts, true);
    let mut first_error = limits::check(&rewritten, opts);
    let safe = first_error.is_none();
    for d in attempts(dialect).into_iter().filter(|_| safe) {
        let parsed = Parser::new(d)
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(&rewritten)
            .and_then(|mut p| p.parse_expr());
        match parsed {
            Ok(e) => {
                let mut roles = roles::Roles::new(true);
                roles.expr(&e);
                if !roles.uses.is_empty() {
                    out.push(statement(
                        start,
                        end,
                        roles.uses,
                        Confidence::Parsed,
                        None,
                        routine,
                    ));
                }
                return;
            }
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let uses: Vec<TableUse> = fallback::scan(&rewritten, opts)
        .into_iter()
        .filter(|u| u.access == Access::Read)
        .collect();
    if !uses.is_empty() {
        out.push(statement(
            start,
            end,
            uses,
            Confidence::Heuristic,
            first_error,
            routine,
        ));
    }
}

fn statement(
    start: usize,
    end: usize,
    mut uses: Vec<TableUse>,
    confidence: Confidence,
    error: Option<String>,
    routine: Option<&str>,
) -> Statement {
    uses.sort();
    uses.dedup();
    Statement {
        start,
        end,
        uses,
        confidence,
        error,
        routine: routine.map(str::to_string),
    }
}
