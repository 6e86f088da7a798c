//! Python extractor: a parsed `.py` file in, raw-SQL and bulk-copy findings out.
//!
//! `queries/python.scm` picks out calls, bindings (`q = …`, `q += …`) and scopes; the sink
//! catalog (`catalog/python.toml` plus the user's `[[sinks]]`) says which calls run SQL.
//! The string evaluator (`flow::Evaluator`) computes the SQL argument with Python's leaves,
//! which this file defines: literals (raw, bytes, triple-quoted), implicit concatenation,
//! f-strings, `%` and `.format` templates (placeholders become interpolations unless the
//! argument is a known constant), `" ".join([...])`, psycopg's
//! `sql.SQL(...).format(sql.Identifier(...))`, and names bound in the same function, an
//! enclosing function, the class (`self.X`) or the module. SQL-looking strings that reach no
//! known sink are reported with no sink. Classification is `sql_text::sql_findings`' job.

use super::flow::{self, Budget, Call, Evaluator, Shape, Syntax, Value, left_spine};
use super::scoped::{Args, ModuleOrder, Names, RawBinding, Scope, Scoped};
use super::{FileInput, FileScan};
use crate::lang::Field as _;
use crate::lang::Grammar;
use tree_sitter::{Node, QueryCursor, StreamingIterator, Tree};

/// The capture names this extractor reads (sorted); `queries/python.scm` must use no others.
#[cfg(test)]
const CAPTURES: &[&str] = &[
    "append",
    "append_name",
    "append_value",
    "args",
    "assign",
    "assign_name",
    "assign_value",
    "call",
    "callee",
    "class",
    "class_name",
    "function",
    "function_name",
];

/// Extract the findings of one Python file.
pub fn extract(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let root = tree.root_node();
    let (calls, names) = collect(file.text, root);
    let budget = Budget::for_file(file.text.len());
    Evaluator::new(file.text, Py { names }, budget).report(file, &calls, root, out);
}

/// The calls, scopes and bindings the query finds.
fn collect<'t>(src: &'t str, root: Node<'t>) -> (Vec<Call<'t>>, Names<'t>) {
    let query = Grammar::Python.query();
    let names = query.capture_names();
    let mut calls = Vec::new();
    let mut scopes = Vec::new();
    let mut bindings: Vec<RawBinding<'t>> = Vec::new();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, root, src.as_bytes());
    while let Some(m) = matches.next() {
        let get = |name: &str| {
            m.captures()
                .iter()
                .find(|c| names[c.index as usize] == name)
                .map(|c| c.node)
        };
        if let (Some(node), Some(callee), Some(args)) = (get("call"), get("callee"), get("args")) {
            calls.push(Call { node, callee, args });
        } else if let (Some(whole), Some(name), Some(value)) =
            (get("assign"), get("assign_name"), get("assign_value"))
        {
            bindings.push((false, whole, name, value));
        } else if let (Some(whole), Some(name), Some(value)) =
            (get("append"), get("append_name"), get("append_value"))
        {
            bindings.push((true, whole, name, value));
        } else if let (Some(def), Some(name)) = (get("function"), get("function_name")) {
            scopes.push(scope(src, def, name, false));
        } else if let (Some(def), Some(name)) = (get("class"), get("class_name")) {
            scopes.push(scope(src, def, name, true));
        }
    }
    (calls, Names::new(src, scopes, bindings))
}

fn scope(src: &str, def: Node<'_>, name: Node<'_>, is_class: bool) -> Scope {
    Scope {
        start: def.start_byte(),
        end: def.end_byte(),
        name: Some(text(src, name).to_string()),
        is_class,
    }
}

fn text<'s>(src: &'s str, node: Node<'_>) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

/// Named children that are not comments.
fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

/// The callee's name as matched against the catalog: `(receiver, method)`.
fn callee_parts<'s>(src: &'s str, callee: Node<'_>) -> Option<(Option<&'s str>, &'s str)> {
    match callee.kind() {
        "attribute" => Some((
            Some(text(src, callee.field("object")?)),
            text(src, callee.field("attribute")?),
        )),
        "identifier" => Some((None, text(src, callee))),
        _ => None,
    }
}

/// Positional arguments and keyword arguments of an `argument_list`.
fn split_args<'t>(src: &'t str, args: Node<'t>) -> Args<'t> {
    let mut out = Args::default();
    for arg in children(args) {
        match arg.kind() {
            "keyword_argument" => {
                if let (Some(name), Some(value)) = (arg.field("name"), arg.field("value")) {
                    out.keywords.push((text(src, name), value));
                }
            }
            "dictionary_splat" => {}
            _ => out.positional.push(arg),
        }
    }
    out
}

/// Python's leaves of the string evaluator, with the names of the file.
struct Py<'t> {
    names: Names<'t>,
}

type Eval<'t> = Evaluator<'t, Py<'t>>;

impl<'t> Syntax<'t> for Py<'t> {
    const MAX_TEXT: usize = flow::MAX_TEXT;

    fn shape(&self, node: Node<'t>) -> Shape<'t> {
        match node.kind() {
            "string" | "concatenated_string" => Shape::Literal,
            "parenthesized_expression" => children(node)
                .into_iter()
                .next()
                .map_or(Shape::Opaque, Shape::Inner),
            "binary_operator" => match operator(node) {
                Some("+") => Shape::Concat,
                Some("%") => Shape::Form,
                _ => Shape::Opaque,
            },
            "call" | "attribute" => Shape::Form,
            "identifier" => Shape::Name,
            _ => Shape::Opaque,
        }
    }

    fn operands(&self, node: Node<'t>) -> Option<Vec<Node<'t>>> {
        Some(left_spine(node, node_is_plus))
    }

    /// A string, or adjacent strings (`"SELECT …" 'FROM …'`), one value.
    fn literal(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
        if node.kind() == "string" {
            return Some(string(ev, node, depth));
        }
        let mut value = Value::default();
        for part in children(node) {
            if part.kind() == "string" {
                let piece = string(ev, part, depth);
                value.append(&piece);
            }
        }
        Some(value)
    }

    fn name(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
        ev.lookup(ev.text(node), node.start_byte(), depth)
    }

    fn form(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
        match node.kind() {
            "binary_operator" => percent(ev, node, depth),
            "call" => call_value(ev, node, depth),
            "attribute" => attribute_value(ev, node, depth),
            _ => None,
        }
    }
}

impl<'t> Scoped<'t> for Py<'t> {
    const MODULE: ModuleOrder = ModuleOrder::Source;

    fn names(&self) -> &Names<'t> {
        &self.names
    }

    fn callee_parts(src: &'t str, callee: Node<'t>) -> Option<(Option<&'t str>, &'t str)> {
        callee_parts(src, callee)
    }

    fn arguments(src: &'t str, args: Node<'t>) -> Args<'t> {
        split_args(src, args)
    }

    fn builds_string(src: &'t str, node: Node<'t>) -> bool {
        is_string_expr(src, node)
    }

    fn continues_string(src: &'t str, node: Node<'t>) -> bool {
        match node.kind() {
            "string" | "concatenated_string" | "binary_operator" | "parenthesized_expression" => {
                true
            }
            "call" => is_string_expr(src, node),
            _ => false,
        }
    }

    /// A docstring or bare string statement, or the value of a binding (reported through
    /// the binding, with the appends that follow it).
    fn accounted_for(node: Node<'t>, parent: Option<Node<'t>>) -> bool {
        let Some(parent) = parent else {
            return false;
        };
        match parent.kind() {
            "expression_statement" => true,
            "assignment" | "augmented_assignment" => {
                parent.field("right").map(|n| n.id()) == Some(node.id())
                    && parent
                        .field("left")
                        .is_some_and(|l| l.kind() == "identifier")
            }
            _ => false,
        }
    }
}

fn operator<'t>(node: Node<'t>) -> Option<&'t str> {
    node.field("operator").map(|o| o.kind())
}

/// A string literal: escapes decoded (unless raw), f-string interpolations filled with
/// known constants or turned into interpolation markers.
fn string<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Value {
    let mut value = ev.literal_at(node.start_byte());
    let mut raw = false;
    for part in children(node) {
        match part.kind() {
            "string_start" => {
                raw = ev
                    .text(part)
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .any(|c| c.eq_ignore_ascii_case(&'r'));
            }
            "string_content" => content(ev.src, part, raw, &mut value),
            "interpolation" => {
                let expr = part.field("expression").unwrap_or(part);
                ev.fill(&mut value, Some(expr), ("", part.start_byte()), depth);
            }
            _ => {}
        }
    }
    value
}

/// The text of a string's content, with its escape sequences decoded unless `raw`.
fn content(src: &str, node: Node<'_>, raw: bool, value: &mut Value) {
    let mut at = node.start_byte();
    let end = node.end_byte();
    for esc in children(node) {
        let (es, ee) = (esc.start_byte(), esc.end_byte());
        if es > at {
            value
                .sql
                .push_literal(src.get(at..es).unwrap_or(""), at, es - at);
        }
        let written = src.get(es..ee).unwrap_or("");
        let decoded = match esc.kind() {
            "escape_interpolation" => written.get(..1).unwrap_or("").to_string(),
            "escape_sequence" if !raw => flow::unescape(written),
            _ => written.to_string(),
        };
        value.sql.push_literal(&decoded, es, ee - es);
        at = ee.max(at);
    }
    if end > at {
        value
            .sql
            .push_literal(src.get(at..end).unwrap_or(""), at, end - at);
    }
}

/// `template % args`: every conversion is filled at run time.
fn percent<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
    let template = ev.eval(node.field("left")?, depth + 1)?;
    let right = node.field("right")?;
    let specs = flow::percent_specs(&template.sql.text);
    let (positional, keywords) = match right.kind() {
        "tuple" => (children(right), Vec::new()),
        "dictionary" => {
            let mut keywords = Vec::new();
            for pair in children(right) {
                let (Some(k), Some(v)) = (pair.field("key"), pair.field("value")) else {
                    continue;
                };
                if let Some(key) = ev.eval(k, depth + 1).filter(Value::is_constant) {
                    keywords.push((key.sql.text, v));
                }
            }
            (Vec::new(), keywords)
        }
        _ => (vec![right], Vec::new()),
    };
    Some(ev.fill_template(&template, &specs, &positional, &keywords, depth))
}

/// Calls that build strings: `.format`, `.join`, psycopg's `sql.SQL` and
/// `sql.Identifier`, `textwrap.dedent`, `.strip()`.
fn call_value<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
    let callee = node.field("function")?;
    let args = node.field("arguments")?;
    if args.kind() != "argument_list" {
        return None;
    }
    let (_, name) = callee_parts(ev.src, callee)?;
    let Args {
        positional,
        keywords,
    } = split_args(ev.src, args);
    let keywords: Vec<(String, Node<'t>)> = keywords
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let object = callee.field("object");
    match (name, object) {
        ("format", Some(object)) => {
            let template = ev.eval(object, depth + 1)?;
            let specs = flow::brace_specs(&template.sql.text);
            Some(ev.fill_template(&template, &specs, &positional, &keywords, depth))
        }
        ("join", Some(object)) => {
            let sep = ev.eval(object, depth + 1).filter(Value::is_constant)?;
            let list = list_items(ev, *positional.first()?, depth)?;
            Some(ev.join(list, &sep, depth))
        }
        // psycopg's `sql.SQL("…")` composes like a string; `textwrap.dedent` only
        // changes indentation.
        ("SQL" | "dedent", _) => ev.eval(*positional.first()?, depth + 1),
        // `"""…""".strip()`: whitespace around SQL does not matter (and keeping it
        // keeps the source map exact).
        ("strip" | "lstrip" | "rstrip", Some(object)) if positional.is_empty() => {
            ev.eval(object, depth + 1)
        }
        // psycopg's `sql.Identifier("schema", "table")`.
        ("Identifier", _) => ev.dotted(&positional, depth),
        _ => None,
    }
}

/// The items of a list or tuple literal, directly or through a name bound to one.
fn list_items<'t>(ev: &Eval<'t>, node: Node<'t>, depth: usize) -> Option<Vec<Node<'t>>> {
    match node.kind() {
        "list" | "tuple" => Some(children(node)),
        "parenthesized_expression" => list_items(ev, children(node).into_iter().next()?, depth + 1),
        "identifier" if depth < flow::MAX_DEPTH => {
            let names = &ev.syntax.names;
            let chain = names.find(ev.text(node), node.start_byte(), ModuleOrder::Source)?;
            match chain.as_slice() {
                [(false, value)] => list_items(ev, *value, depth + 1),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `self.SQL` / `cls.SQL`: a class attribute of the enclosing class; `Queries.SQL`: a
/// class attribute of a class of this file.
fn attribute_value<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
    let object = node.field("object")?;
    let attr = ev.text(node.field("attribute")?);
    let scopes = &ev.syntax.names.scopes;
    let class = match (object.kind(), ev.text(object)) {
        (_, "self" | "cls") => scopes
            .chain(node.start_byte())
            .into_iter()
            .find(|&s| scopes.get(s).is_class)?,
        ("identifier", name) => scopes.class_named(name)?,
        _ => return None,
    };
    let chain: Vec<(bool, Node<'t>)> = ev
        .syntax
        .names
        .bindings
        .chain(Some(class), attr, None)?
        .iter()
        .map(|b| (b.append, b.value))
        .collect();
    ev.eval_chain(&chain, depth)
}

/// Whether an expression builds a string from literals: a literal, a `+` chain with a
/// literal operand, `literal % x`, `literal.format(...)`, `literal.join(...)`.
fn is_string_expr(src: &str, node: Node<'_>) -> bool {
    let is_literal = |n: Node<'_>| {
        let mut n = n;
        for _ in 0..flow::MAX_DEPTH {
            match n.kind() {
                "string" | "concatenated_string" => return true,
                "parenthesized_expression" => match n.named_child(0) {
                    Some(inner) => n = inner,
                    None => return false,
                },
                _ => return false,
            }
        }
        false
    };
    match node.kind() {
        "string" | "concatenated_string" => true,
        "parenthesized_expression" => node.named_child(0).is_some_and(is_literal),
        "binary_operator" => {
            let op = node.field("operator").map(|o| o.kind());
            match op {
                // `QUERY % args` too: the evaluation decides whether QUERY is a string.
                Some("%") => node
                    .field("left")
                    .is_some_and(|l| is_literal(l) || l.kind() == "identifier"),
                Some("+") => {
                    // Walk the left spine (bounded) looking for a literal operand.
                    let mut cur = node;
                    for _ in 0..4096 {
                        if node_is_plus(cur) {
                            if cur.field("right").is_some_and(is_literal) {
                                return true;
                            }
                            match cur.field("left") {
                                Some(left) => cur = left,
                                None => return false,
                            }
                        } else {
                            return is_literal(cur);
                        }
                    }
                    false
                }
                _ => false,
            }
        }
        "call" => {
            let Some(callee) = node.field("function") else {
                return false;
            };
            match callee_parts(src, callee) {
                Some((Some(_), "join")) => callee.field("object").is_some_and(is_literal),
                // `"…".format(…)`, `QUERY.format(…)`, `sql.SQL("…").format(…)`.
                Some((Some(_), "format")) => callee.field("object").is_some_and(|o| {
                    is_literal(o) || o.kind() == "identifier" || is_sql_call(src, o)
                }),
                Some((_, "SQL" | "dedent")) => node
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .is_some_and(is_literal),
                Some((Some(_), "strip" | "lstrip" | "rstrip")) => {
                    callee.field("object").is_some_and(is_literal)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// psycopg's `sql.SQL("…")` (checked without recursion: chains of calls can be long).
fn is_sql_call(src: &str, node: Node<'_>) -> bool {
    node.kind() == "call"
        && node
            .field("function")
            .and_then(|f| callee_parts(src, f))
            .is_some_and(|(_, name)| name == "SQL")
}

fn node_is_plus(node: Node<'_>) -> bool {
    node.kind() == "binary_operator" && node.field("operator").map(|o| o.kind()) == Some("+")
}

#[cfg(test)]
mod tests {
    use crate::extract::flow::testing::{briefs, scan};
    use crate::model::{Language, SkipReason};

    fn py(src: &str) -> Vec<String> {
        briefs(Language::Python, src)
    }

    #[test]
    fn implicit_concatenation_and_fstrings() {
        let src = r#"
class OrderRepository:
    def create_order(self, cursor, table):
        cursor.execute("INSERT INTO orders_legacy (a) "
                       'VALUES ($1)', (1,))
        cursor.execute(f"DELETE FROM {table} WHERE id = $1 AND x = {self.x!r:>3}")
"#;
        assert_eq!(
            py(src),
            vec![
                "4:25 OrderRepository.create_order cursor.execute | INSERT INTO orders_legacy (a) VALUES ($1)",
                "6:26 OrderRepository.create_order cursor.execute | DELETE FROM ${table} WHERE id = $1 AND x = ${self.x}",
            ]
        );
    }

    #[test]
    fn triple_quoted_statement_starts_on_its_own_line() {
        let src = "def f(cur):\n    cur.execute(\"\"\"\n        SELECT *\n        FROM orders_legacy\n    \"\"\")\n";
        assert_eq!(
            py(src),
            vec!["3:9 f cur.execute | SELECT * FROM orders_legacy"]
        );
    }

    #[test]
    fn nested_decorated_and_async_functions_are_qualified() {
        let src = r#"
class Repo:
    @staticmethod
    @retry(3)
    async def fetch(conn):
        return await conn.fetch("SELECT 1 FROM orders_legacy")

    def outer(self, conn):
        def inner():
            conn.execute("SELECT 2 FROM orders_legacy")
        return inner

def top(conn):
    conn.execute("SELECT 3 FROM orders_legacy")
"#;
        assert_eq!(
            py(src),
            vec![
                "6:34 Repo.fetch conn.fetch | SELECT 1 FROM orders_legacy",
                "10:27 Repo.outer.inner conn.execute | SELECT 2 FROM orders_legacy",
                "14:19 top conn.execute | SELECT 3 FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn percent_and_format_templates() {
        let src = r#"
TABLE = "orders_legacy"
def f(cur, t, n, days):
    cur.execute("SELECT * FROM %s WHERE id = %d AND a LIKE 'x%%'" % (TABLE, n))
    cur.execute("DELETE FROM %(t)s WHERE age > %(d)s" % {"t": t, "d": days})
    cur.execute("UPDATE {} SET a = {x} WHERE b = {0}".format(TABLE, x=n))
    cur.execute("SELECT '{{literal}}' FROM {t}".format(t=TABLE))
"#;
        assert_eq!(
            py(src),
            vec![
                "4:18 f cur.execute | SELECT * FROM orders_legacy WHERE id = ${n} AND a LIKE 'x%'",
                "5:18 f cur.execute | DELETE FROM ${t} WHERE age > ${days}",
                "6:18 f cur.execute | UPDATE orders_legacy SET a = ${n} WHERE b = orders_legacy",
                "7:18 f cur.execute | SELECT '{literal}' FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn joins_appends_and_module_constants() {
        let src = r#"
def report(cur, status):
    parts = ["SELECT id", "FROM orders_legacy"]
    cur.execute(" ".join(parts))
    q = "SELECT * FROM orders_legacy WHERE true"
    if status:
        q += " AND status = " + status
    q += " ORDER BY id"
    cur.execute(q)
    cur.execute(LATER)

LATER = r"DELETE FROM orders_legacy WHERE note = '\n'"
"#;
        assert_eq!(
            py(src),
            vec![
                "3:15 report cur.execute | SELECT id FROM orders_legacy",
                "5:10 report cur.execute | SELECT * FROM orders_legacy WHERE true AND status = ${status} ORDER BY id",
                "12:11 report cur.execute | DELETE FROM orders_legacy WHERE note = '\\n'",
            ]
        );
    }

    #[test]
    fn a_literal_that_reaches_a_sink_is_reported_once_with_the_sink() {
        let src = r#"
SQL = "UPDATE orders_legacy SET status = 'x'"
OTHER = "UPDATE orders_legacy SET status = 'y'"
def a(cur):
    cur.execute(SQL)
def b(cur):
    cur.execute(SQL)
"#;
        assert_eq!(
            py(src),
            vec![
                "2:8 a cur.execute | UPDATE orders_legacy SET status = 'x'",
                "3:10 - - | UPDATE orders_legacy SET status = 'y'",
            ]
        );
    }

    #[test]
    fn templates_held_in_names_are_filled_where_used() {
        let src = r#"
PURGE = "DELETE FROM %s WHERE status = 'x'"
REPORT = "SELECT * FROM {table} WHERE day = {day}"
def jobs(table, day):
    return [PURGE % table, REPORT.format(table="orders_legacy", day=day)]
"#;
        assert_eq!(
            py(src),
            vec![
                "2:10 jobs - | DELETE FROM ${table} WHERE status = 'x'",
                "3:11 jobs - | SELECT * FROM orders_legacy WHERE day = ${day}",
            ]
        );
    }

    #[test]
    fn dedent_and_strip_are_transparent() {
        let src = "import textwrap\nA = textwrap.dedent(\"\"\"\n    DELETE FROM orders_legacy\n\"\"\")\nB = \"  UPDATE orders_legacy SET a = 1 \".strip()\n";
        assert_eq!(
            py(src),
            vec![
                "3:5 - - | DELETE FROM orders_legacy",
                "5:8 - - | UPDATE orders_legacy SET a = 1",
            ]
        );
    }

    #[test]
    fn class_attributes_through_self_and_the_class_name() {
        let src = r#"
class Queries:
    FIND = "SELECT * FROM orders_legacy WHERE id = $1"
    PURGE = "DELETE FROM orders_legacy"

class Repo:
    def get(self, cur):
        cur.execute(Queries.FIND)
"#;
        assert_eq!(
            py(src),
            vec![
                "3:13 Repo.get cur.execute | SELECT * FROM orders_legacy WHERE id = $1",
                "4:14 Queries - | DELETE FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn prose_and_docstrings_are_not_sql() {
        let src = r#"
"""Select rows from orders_legacy and update orders_legacy set."""
def f(log):
    """DELETE FROM orders_legacy is what this does."""
    log.info("Update orders_legacy rows in batches")
    log.info("orders_legacy is read-only")
"#;
        assert!(py(src).is_empty(), "{:?}", py(src));
    }

    #[test]
    fn bulk_copy_table_arguments() {
        let src = r#"
async def load(conn, cur, f, rows):
    await conn.copy_records_to_table("orders_legacy", records=rows)
    cur.copy_from(f, table="orders_legacy_archive")
    cur.copy_to(f, "orders_legacy")
    cur.copy_from(f, table)
"#;
        let out = scan(Language::Python, src);
        let got: Vec<String> = out
            .findings
            .iter()
            .map(|f| format!("{}:{} {} {}", f.line, f.column, f.access, f.operation))
            .collect();
        assert_eq!(
            got,
            vec!["3:39 write copy", "5:21 read copy", "6:22 write copy"]
        );
        assert_eq!(
            out.findings[2].confidence,
            crate::model::Confidence::Dynamic
        );
    }

    #[test]
    fn syntax_errors_keep_what_parses() {
        let src = "def broken(:\n    pass\n\ndef ok(cur):\n    cur.execute(\"DELETE FROM orders_legacy\")\n";
        let out = scan(Language::Python, src);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].line, 5);
        assert!(
            out.problems
                .iter()
                .any(|p| p.reason == SkipReason::SyntaxError && p.line == Some(1))
        );
    }

    #[test]
    fn deep_and_long_expressions_do_not_overflow() {
        // 20 000 operands in one `+` chain: flattened, evaluated, found.
        let mut src = String::from(
            "def f(cur):\n    cur.execute(\"SELECT * FROM orders_legacy WHERE a IN (0\"",
        );
        for i in 0..20_000 {
            src.push_str(&format!(" + \",{i}\""));
        }
        src.push_str(" + \")\")\n");
        let out = scan(Language::Python, &src);
        assert_eq!(out.findings.len(), 1);
        // 3 000 nested parentheses: not evaluated past the depth limit, no crash.
        let deep = format!(
            "x = {}\"SELECT * FROM orders_legacy\"{}\n",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        let _ = scan(Language::Python, &deep);
    }

    #[test]
    fn exponential_values_are_cut_off_and_reported() {
        let mut src = String::from("def f(cur):\n    q = \"SELECT * FROM orders_legacy \"\n");
        for _ in 0..40 {
            src.push_str("    q = q + q\n");
        }
        src.push_str("    cur.execute(q)\n");
        let out = scan(Language::Python, &src);
        assert!(
            out.problems
                .iter()
                .any(|p| p.reason == SkipReason::UnparsedSql),
            "{:?}",
            out.problems
        );
    }

    #[test]
    fn query_captures_are_the_ones_read() {
        let mut names: Vec<&str> = crate::lang::Grammar::Python
            .query()
            .capture_names()
            .iter()
            .copied()
            .filter(|n| !n.starts_with('_'))
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names, super::CAPTURES);
        assert!(super::CAPTURES.windows(2).all(|w| w[0] < w[1]));
    }
}
