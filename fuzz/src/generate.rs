//! Structure-aware inputs: a few bytes of fuzz input choose the parameters (size, operator,
//! language, where the text sits), and the generator writes an input of a shape random
//! bytes almost never reach: a long operator chain, deep brackets, deep indentation.
//! These are the shapes that once aborted a run (a 40,000-term `OR` chain overflowed the
//! stack when sqlparser's tree was dropped), so they are generated directly and at sizes
//! up to and past the old cliffs.
//!
//! Each generator returns where its text goes (a file of a language, or a query log) and
//! the text; `checks::generated` runs the ordinary checks on it.

use cutover::logs::LogFormat;
use cutover::model::Language;

/// Where a generated text is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A source file of this language (`.sql` included).
    File(Language),
    /// A PostgreSQL stderr log, one statement per line.
    Log(LogFormat),
}

/// Reads parameters from the front of the fuzz input; past the end every read is 0.
struct Params<'a> {
    data: &'a [u8],
    at: usize,
}

impl Params<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A size in `1..=max`, log-uniform: every power of two up to `max` is as likely as
    /// the next, so most inputs are small and fast and each size class, the largest
    /// included, is still reached often.
    fn size(&mut self, max: usize) -> usize {
        let raw = usize::from(self.u16());
        let classes = usize::BITS - max.leading_zeros();
        let class = raw % classes as usize;
        let low = 1usize << class;
        (low + (raw >> 4) % low).min(max)
    }

    fn pick<'t, T>(&mut self, from: &'t [T]) -> &'t T {
        &from[usize::from(self.byte()) % from.len()]
    }

    /// The rest of the input as text (a seasoning inside the generated shape).
    fn rest(&self) -> String {
        let tail = self.data.get(self.at..).unwrap_or_default();
        String::from_utf8_lossy(&tail[..tail.len().min(64)]).into_owned()
    }
}

/// Terms in a generated chain: up to past the ~35,000 that overflowed the stack.
const MAX_TERMS: usize = 60_000;

/// Bracket and indentation depths: past every parser's limit (sqlparser 48, the
/// concatenation walkers' 30) but not so deep that one input takes seconds.
const MAX_DEPTH: usize = 2_000;

/// Python indentation goes past 511 levels, where tree-sitter's Python scanner would abort
/// the process: the extractor refuses such files (`too_deep`) before parsing. (Not deeper:
/// the text grows with the square of the depth.)
const MAX_PYTHON_INDENT: usize = 600;

/// The parameters of an operator chain (indices wrap around their lists).
#[derive(Debug, Clone, Copy)]
pub struct Chain {
    pub terms: usize,
    pub operator: u8,
    pub statement: u8,
    pub place: u8,
}

/// A chain of binary operators (`a = 1 OR a = 1 OR …`, `1 + 1 + …`, `x::int::int…`) in one
/// statement, in a `.sql` file, a string literal of a program, or a log line.
pub fn operator_chain(data: &[u8]) -> (Target, String) {
    let mut p = Params { data, at: 0 };
    let chain = Chain {
        terms: p.size(MAX_TERMS),
        operator: p.byte(),
        statement: p.byte(),
        place: p.byte(),
    };
    write_chain(chain, &p.rest())
}

/// The text of `chain`; `seasoning` goes into a comment where there is one.
pub fn write_chain(chain: Chain, seasoning: &str) -> (Target, String) {
    let pick = |i: u8, n: usize| usize::from(i) % n;
    const OPERATORS: [(&str, &str); 9] = [
        ("a = 1", " OR "),
        ("a = 1", " AND "),
        ("1", " + "),
        ("1", "*"),
        ("'x'", " || "),
        ("b", " IS NULL = "),
        ("c", "::int + "),
        ("d -> 'k'", " ->> "),
        ("e", " LIKE "),
    ];
    const STATEMENTS: [&str; 4] = [
        "UPDATE orders_legacy SET status = 'x' WHERE ",
        "DELETE FROM orders_legacy WHERE ",
        "SELECT * FROM orders_legacy WHERE ",
        "INSERT INTO orders_legacy (a) SELECT ",
    ];
    let (term, op) = OPERATORS[pick(chain.operator, OPERATORS.len())];
    let head = STATEMENTS[pick(chain.statement, STATEMENTS.len())];
    let mut sql = String::with_capacity(head.len() + chain.terms * (term.len() + op.len()));
    sql.push_str(head);
    for i in 0..chain.terms {
        if i > 0 {
            sql.push_str(op);
        }
        sql.push_str(term);
    }
    place(chain.place, &sql, seasoning)
}

/// Brackets nested deep: `((((1))))` in SQL, and in code a parenthesised concatenation
/// (`((("DELETE FROM orders_legacy" + " ") + " ") …)`) around SQL passed to a sink.
pub fn deep_nesting(data: &[u8]) -> (Target, String) {
    let mut p = Params { data, at: 0 };
    let depth = p.size(MAX_DEPTH);
    let language = *p.pick(&[
        Language::Sql,
        Language::Python,
        Language::Go,
        Language::TypeScript,
        Language::JavaScript,
    ]);
    let text = match language {
        Language::Sql => format!(
            "DELETE FROM orders_legacy WHERE id = {}1{};\n",
            "(".repeat(depth),
            ")".repeat(depth)
        ),
        Language::Python => format!(
            "def purge(cur):\n    cur.execute({}\"DELETE FROM orders_legacy\"{})\n",
            "(".repeat(depth),
            " + \" \")".repeat(depth)
        ),
        Language::Go => format!(
            "package p\n\nfunc purge(db *sql.DB) {{\n\tdb.Exec({}\"DELETE FROM orders_legacy\"{})\n}}\n",
            "(".repeat(depth),
            " + \" \")".repeat(depth)
        ),
        Language::TypeScript | Language::JavaScript => format!(
            "export function purge(db) {{\n  return db.query({}\"DELETE FROM orders_legacy\"{});\n}}\n",
            "(".repeat(depth),
            " + \" \")".repeat(depth)
        ),
    };
    (Target::File(language), text)
}

/// Code indented deep: nested `if` blocks in Python, nested blocks in Go and TypeScript,
/// with a write to a legacy table at the bottom.
pub fn deep_indentation(data: &[u8]) -> (Target, String) {
    let mut p = Params { data, at: 0 };
    let depth = p.size(MAX_DEPTH);
    let width = usize::from(p.byte() % 4) + 1;
    let language = *p.pick(&[
        Language::Python,
        Language::Go,
        Language::TypeScript,
        Language::JavaScript,
    ]);
    let mut text = String::new();
    match language {
        Language::Python => {
            let depth = depth.min(MAX_PYTHON_INDENT);
            text.push_str("def purge(cur):\n");
            for level in 1..=depth {
                text.push_str(&" ".repeat(level * width));
                text.push_str("if cur:\n");
            }
            text.push_str(&" ".repeat((depth + 1) * width));
            text.push_str("cur.execute(\"DELETE FROM orders_legacy\")\n");
        }
        // Braces carry the nesting; the indentation stops growing at 32 columns so that
        // the text stays linear in the depth.
        Language::Go => {
            text.push_str("package p\n\nfunc purge(db *sql.DB) {\n");
            for level in 1..=depth {
                text.push_str(&"\t".repeat(level.min(32)));
                text.push_str("if db != nil {\n");
            }
            text.push_str(&"\t".repeat((depth + 1).min(32)));
            text.push_str("db.Exec(\"DELETE FROM orders_legacy\")\n");
            for level in (1..=depth).rev() {
                text.push_str(&"\t".repeat(level.min(32)));
                text.push_str("}\n");
            }
            text.push_str("}\n");
        }
        _ => {
            text.push_str("export function purge(db) {\n");
            for level in 1..=depth {
                text.push_str(&" ".repeat((level * width).min(32)));
                text.push_str("if (db) {\n");
            }
            text.push_str(&" ".repeat(((depth + 1) * width).min(32)));
            text.push_str("db.query(\"DELETE FROM orders_legacy\");\n");
            for level in (1..=depth).rev() {
                text.push_str(&" ".repeat((level * width).min(32)));
                text.push_str("}\n");
            }
            text.push_str("}\n");
        }
    }
    (Target::File(language), text)
}

/// Put one SQL statement where SQL comes from: a `.sql` file, a string passed to a sink
/// in each language, or a statement in a PostgreSQL log.
fn place(place: u8, sql: &str, seasoning: &str) -> (Target, String) {
    let quoted = sql.replace('\\', "\\\\").replace('"', "\\\"");
    match place % 6 {
        0 => (
            Target::File(Language::Sql),
            format!("-- {seasoning}\n{sql};\n"),
        ),
        1 => (
            Target::File(Language::Python),
            format!("def run(cur):\n    cur.execute(\"{quoted}\")\n"),
        ),
        2 => (
            Target::File(Language::Go),
            format!("package p\n\nfunc run(db *sql.DB) {{\n\tdb.Exec(\"{quoted}\")\n}}\n"),
        ),
        3 => (
            Target::File(Language::TypeScript),
            format!("export function run(db) {{\n  return db.query(\"{quoted}\");\n}}\n"),
        ),
        4 => (
            Target::File(Language::JavaScript),
            format!(
                "function run(db) {{\n  return db.query(`{}`);\n}}\n",
                sql.replace('`', "'")
            ),
        ),
        _ => (
            Target::Log(LogFormat::PostgresStderr),
            format!(
                "2024-05-01 10:00:00.000 UTC [42] LOG:  statement: {}\n",
                sql.replace('\n', " ")
            ),
        ),
    }
}
