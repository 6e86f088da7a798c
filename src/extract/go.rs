//! Go extractor: a parsed `.go` file in, raw-SQL and bulk-copy findings out.
//!
//! `queries/go.scm` picks out calls, bindings (`q := …`, `var`/`const` specs, `q += …`) and
//! scopes; the sink catalog (`catalog/go.toml` plus the user's `[[sinks]]`) says which calls
//! run SQL. The string evaluator (`flow::Evaluator`) computes the SQL argument with Go's
//! leaves, which this file defines: interpreted and raw literals, `fmt.Sprintf` (verbs
//! become interpolations unless the argument is a known constant), `strings.Join` of a
//! literal slice (also built with `append`), `pgx.Identifier`, and names bound in the same
//! function, an enclosing function or the package. SQL-looking strings that reach no known
//! sink are reported with no sink.

use super::flow::{self, Budget, Call, Evaluator, Shape, Syntax, Value, left_spine};
use super::scoped::{Args, ModuleOrder, Names, RawBinding, Scope, Scoped};
use super::{FileInput, FileScan};
use crate::lang::Field as _;
use crate::lang::Grammar;
use tree_sitter::{Node, QueryCursor, StreamingIterator, Tree};

/// The capture names this extractor reads (sorted); `queries/go.scm` must use no others.
#[cfg(test)]
const CAPTURES: &[&str] = &[
    "append",
    "append_names",
    "append_values",
    "args",
    "assign",
    "assign_names",
    "assign_values",
    "call",
    "callee",
    "closure",
    "function",
    "function_name",
    "receiver",
    "spec",
    "spec_values",
];

/// Extract the findings of one Go file.
pub fn extract(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let root = tree.root_node();
    let (calls, names) = collect(file.text, root);
    let budget = Budget::for_file(file.text.len());
    Evaluator::new(file.text, Go { names }, budget).report(file, &calls, root, out);
}

/// The calls, scopes and bindings the query finds.
fn collect<'t>(src: &'t str, root: Node<'t>) -> (Vec<Call<'t>>, Names<'t>) {
    let query = Grammar::Go.query();
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
        } else if let (Some(stmt), Some(lhs), Some(rhs)) =
            (get("assign"), get("assign_names"), get("assign_values"))
        {
            pair_up(stmt, &children(lhs), &children(rhs), false, &mut bindings);
        } else if let (Some(stmt), Some(lhs), Some(rhs)) =
            (get("append"), get("append_names"), get("append_values"))
        {
            pair_up(stmt, &children(lhs), &children(rhs), true, &mut bindings);
        } else if let (Some(spec), Some(values)) = (get("spec"), get("spec_values")) {
            let mut c = spec.walk();
            let names: Vec<Node<'_>> = spec.children_by_field_name("name", &mut c).collect();
            pair_up(spec, &names, &children(values), false, &mut bindings);
        } else if let (Some(def), Some(name)) = (get("function"), get("function_name")) {
            let name = text(src, name);
            let qualified = match get("receiver").and_then(|r| receiver_type(text(src, r))) {
                Some(t) => format!("{t}.{name}"),
                None => name.to_string(),
            };
            scopes.push(scope(def, Some(qualified)));
        } else if let Some(def) = get("closure") {
            scopes.push(scope(def, None));
        }
    }
    (calls, Names::new(src, scopes, bindings))
}

fn scope(def: Node<'_>, name: Option<String>) -> Scope {
    Scope {
        start: def.start_byte(),
        end: def.end_byte(),
        name,
        is_class: false,
    }
}

/// `a, b := x, y` binds `a` to `x` and `b` to `y`; `a, err := f()` binds nothing we follow.
fn pair_up<'t>(
    stmt: Node<'t>,
    names: &[Node<'t>],
    values: &[Node<'t>],
    append: bool,
    out: &mut Vec<RawBinding<'t>>,
) {
    if names.len() != values.len() {
        return;
    }
    for (name, value) in names.iter().zip(values) {
        if name.kind() == "identifier" {
            out.push((append, stmt, *name, *value));
        }
    }
}

/// `(r *OrderRepo)`, `(OrderRepo)`, `(r *Repo[T])` → the receiver's type name.
fn receiver_type(receiver: &str) -> Option<String> {
    let inner = receiver.trim().trim_start_matches('(');
    let inner = inner.split(['[', ')']).next().unwrap_or(inner);
    let ty = inner.split_whitespace().last()?.trim_start_matches('*');
    (!ty.is_empty()).then(|| ty.to_string())
}

fn text<'s>(src: &'s str, node: Node<'_>) -> &'s str {
    src.get(node.byte_range()).unwrap_or("")
}

fn children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect()
}

fn callee_parts<'s>(src: &'s str, callee: Node<'_>) -> Option<(Option<&'s str>, &'s str)> {
    match callee.kind() {
        "selector_expression" => Some((
            Some(text(src, callee.field("operand")?)),
            text(src, callee.field("field")?),
        )),
        "identifier" => Some((None, text(src, callee))),
        _ => None,
    }
}

/// Go's leaves of the string evaluator, with the names of the file.
struct Go<'t> {
    names: Names<'t>,
}

type Eval<'t> = Evaluator<'t, Go<'t>>;

impl<'t> Syntax<'t> for Go<'t> {
    const MAX_TEXT: usize = flow::MAX_TEXT;

    fn shape(&self, node: Node<'t>) -> Shape<'t> {
        match node.kind() {
            "interpreted_string_literal" | "raw_string_literal" => Shape::Literal,
            "parenthesized_expression" => children(node)
                .into_iter()
                .next()
                .map_or(Shape::Opaque, Shape::Inner),
            "binary_expression" if is_plus(node) => Shape::Concat,
            "call_expression" | "composite_literal" => Shape::Form,
            "identifier" => Shape::Name,
            _ => Shape::Opaque,
        }
    }

    fn operands(&self, node: Node<'t>) -> Option<Vec<Node<'t>>> {
        Some(left_spine(node, |n| {
            n.kind() == "binary_expression" && is_plus(n)
        }))
    }

    /// An interpreted or raw string literal, escapes decoded.
    fn literal(ev: &mut Eval<'t>, node: Node<'t>, _depth: usize) -> Option<Value> {
        let mut value = ev.literal_at(node.start_byte());
        for part in children(node) {
            let written = ev.text(part);
            let (start, len) = (part.start_byte(), part.end_byte() - part.start_byte());
            match part.kind() {
                "escape_sequence" => value.sql.push_literal(&flow::unescape(written), start, len),
                _ => value.sql.push_literal(written, start, len),
            }
        }
        Some(value)
    }

    fn name(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
        ev.lookup(ev.text(node), node.start_byte(), depth)
    }

    fn form(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
        match node.kind() {
            "call_expression" => call_value(ev, node, depth),
            "composite_literal" => identifier_literal(ev, node, depth),
            _ => None,
        }
    }
}

impl<'t> Scoped<'t> for Go<'t> {
    const MODULE: ModuleOrder = ModuleOrder::Any;

    fn names(&self) -> &Names<'t> {
        &self.names
    }

    fn callee_parts(src: &'t str, callee: Node<'t>) -> Option<(Option<&'t str>, &'t str)> {
        callee_parts(src, callee)
    }

    fn arguments(_src: &'t str, args: Node<'t>) -> Args<'t> {
        Args {
            positional: children(args),
            keywords: Vec::new(),
        }
    }

    fn builds_string(src: &'t str, node: Node<'t>) -> bool {
        is_string_expr(src, node)
    }

    fn continues_string(src: &'t str, node: Node<'t>) -> bool {
        match node.kind() {
            "interpreted_string_literal"
            | "raw_string_literal"
            | "binary_expression"
            | "parenthesized_expression" => true,
            "call_expression" => is_string_expr(src, node),
            _ => false,
        }
    }

    /// The value of a binding statement (reported through the binding), or an import path.
    fn accounted_for(_node: Node<'t>, parent: Option<Node<'t>>) -> bool {
        let Some(parent) = parent else {
            return false;
        };
        match parent.kind() {
            "import_spec" | "field_declaration" => true,
            "expression_list" => parent.parent().is_some_and(|g| {
                matches!(
                    g.kind(),
                    "short_var_declaration" | "assignment_statement" | "var_spec" | "const_spec"
                ) && g.field("left").map(|l| l.id()) != Some(parent.id())
            }),
            _ => false,
        }
    }
}

/// `fmt.Sprintf`, `strings.TrimSpace`, `strings.Join`.
fn call_value<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
    let callee = node.field("function")?;
    let args = children(node.field("arguments")?);
    match callee_parts(ev.src, callee)? {
        (Some("fmt"), "Sprintf") => {
            let (&format, rest) = args.split_first()?;
            let template = ev.eval(format, depth + 1)?;
            let specs = flow::go_verbs(&template.sql.text);
            Some(ev.fill_template(&template, &specs, rest, &[], depth))
        }
        // Whitespace around SQL does not matter.
        (Some("strings"), "TrimSpace") => ev.eval(*args.first()?, depth + 1),
        (Some("strings"), "Join") => {
            let sep = ev
                .eval(*args.get(1)?, depth + 1)
                .filter(Value::is_constant)?;
            let items = list_items(ev, *args.first()?, depth + 1)?;
            Some(ev.join(items, &sep, depth))
        }
        _ => None,
    }
}

/// `[]string{…}` (directly, through a name, or grown with `append`).
fn list_items<'t>(ev: &Eval<'t>, node: Node<'t>, depth: usize) -> Option<Vec<Node<'t>>> {
    if depth > flow::MAX_DEPTH {
        return None;
    }
    match node.kind() {
        "composite_literal" => {
            let body = node.field("body")?;
            Some(
                children(body)
                    .into_iter()
                    .filter_map(|e| match e.kind() {
                        "literal_element" => e.named_child(0),
                        "keyed_element" => None,
                        _ => Some(e),
                    })
                    .collect(),
            )
        }
        "call_expression" => {
            let callee = node.field("function")?;
            if ev.text(callee) != "append" {
                return None;
            }
            let args = children(node.field("arguments")?);
            let (&first, rest) = args.split_first()?;
            let mut items = list_items(ev, first, depth + 1)?;
            for arg in rest {
                if arg.kind() == "variadic_argument" {
                    return None;
                }
                items.push(*arg);
            }
            Some(items)
        }
        "identifier" => {
            let names = &ev.syntax.names;
            let chain = names.find(ev.text(node), node.start_byte(), ModuleOrder::Any)?;
            match chain.as_slice() {
                [(false, value)] => list_items(ev, *value, depth + 1),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `pgx.Identifier{"schema", "table"}` → `schema.table`.
fn identifier_literal<'t>(ev: &mut Eval<'t>, node: Node<'t>, depth: usize) -> Option<Value> {
    let ty = ev.text(node.field("type")?);
    if !ty.ends_with("Identifier") {
        return None;
    }
    let items = list_items(ev, node, depth + 1)?;
    ev.dotted(&items, depth)
}

fn is_plus(node: Node<'_>) -> bool {
    node.field("operator").map(|o| o.kind()) == Some("+")
}

fn is_literal(node: Node<'_>) -> bool {
    let mut n = node;
    for _ in 0..flow::MAX_DEPTH {
        match n.kind() {
            "interpreted_string_literal" | "raw_string_literal" => return true,
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => n = inner,
                None => return false,
            },
            _ => return false,
        }
    }
    false
}

/// Whether an expression builds a string from literals: a literal, a `+` chain with a
/// literal operand, `fmt.Sprintf(literal, …)`, `strings.Join([]string{literal…}, …)`.
fn is_string_expr(src: &str, node: Node<'_>) -> bool {
    match node.kind() {
        "interpreted_string_literal" | "raw_string_literal" => true,
        "parenthesized_expression" => is_literal(node),
        "binary_expression" if is_plus(node) => {
            let mut cur = node;
            for _ in 0..4096 {
                if cur.kind() == "binary_expression" && is_plus(cur) {
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
        "call_expression" => {
            let Some(callee) = node.field("function") else {
                return false;
            };
            let first = node.field("arguments").and_then(|a| a.named_child(0));
            match callee_parts(src, callee) {
                // `fmt.Sprintf(query, table)` too: the evaluation decides.
                Some((Some("fmt"), "Sprintf")) => {
                    first.is_some_and(|f| is_literal(f) || f.kind() == "identifier")
                }
                Some((Some("strings"), "Join")) => first.is_some_and(|c| {
                    c.kind() == "composite_literal"
                        && c.field("body")
                            .and_then(|b| b.named_child(0))
                            .and_then(|e| e.named_child(0))
                            .is_some_and(is_literal)
                }),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::receiver_type;
    use crate::extract::flow::testing::{briefs, scan};
    use crate::model::{Language, SkipReason};

    fn go(src: &str) -> Vec<String> {
        briefs(Language::Go, src)
    }

    #[test]
    fn receivers_qualify_methods() {
        assert_eq!(
            receiver_type("(r *OrderRepo)").as_deref(),
            Some("OrderRepo")
        );
        assert_eq!(receiver_type("(OrderRepo)").as_deref(), Some("OrderRepo"));
        assert_eq!(receiver_type("(s *Store[K, V])").as_deref(), Some("Store"));
        assert_eq!(receiver_type("(s Store[T])").as_deref(), Some("Store"));
        assert_eq!(receiver_type("()"), None);
        let src = r#"package p
func (r *Repo[T]) Create(ctx context.Context) error {
	return run(func() error {
		_, err := r.db.ExecContext(ctx, `DELETE FROM orders_legacy`)
		return err
	})
}
func (r Repo) Get() { r.db.QueryRow("SELECT 1 FROM orders_legacy") }
func Plain(db *sql.DB) { db.Query("SELECT 2 FROM orders_legacy") }
var hook = func(db *sql.DB) { db.Query("SELECT 3 FROM orders_legacy") }
"#;
        assert_eq!(
            go(src),
            vec![
                "4:36 Repo.Create r.db.ExecContext | DELETE FROM orders_legacy",
                "8:38 Repo.Get r.db.QueryRow | SELECT 1 FROM orders_legacy",
                "9:36 Plain db.Query | SELECT 2 FROM orders_legacy",
                "10:41 - db.Query | SELECT 3 FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn sprintf_join_and_appends() {
        let src = r#"package p
const table = "orders_legacy"
func f(db *sql.DB, id int, status string) {
	db.Exec(fmt.Sprintf("UPDATE %s SET n = %d WHERE s LIKE 'a%%' AND t = %[2]v", table, id))
	parts := []string{"SELECT id", "FROM orders_legacy"}
	parts = append(parts, "WHERE id = $1")
	db.Query(strings.Join(parts, "\n"), id)
	q := "SELECT * FROM orders_legacy WHERE true"
	if status != "" {
		q += " AND status = '" + status + "'"
	}
	db.Query(q)
}
"#;
        assert_eq!(
            go(src),
            vec![
                "4:23 f db.Exec | UPDATE orders_legacy SET n = ${id} WHERE s LIKE 'a%' AND t = ${id}",
                "5:21 f db.Query | SELECT id FROM orders_legacy WHERE id = $1",
                "8:8 f db.Query | SELECT * FROM orders_legacy WHERE true AND status = '${status}'",
            ]
        );
    }

    #[test]
    fn raw_strings_keep_lines_and_interpreted_strings_unescape() {
        let src = "package p\nconst q = `\n\tSELECT *\n\tFROM orders_legacy`\nfunc f(db *sql.DB) {\n\tdb.Exec(\"DELETE\\tFROM orders_legacy\\nWHERE id = $1\", 1)\n}\n";
        assert_eq!(
            go(src),
            vec![
                "3:2 - - | SELECT * FROM orders_legacy",
                "6:11 f db.Exec | DELETE FROM orders_legacy WHERE id = $1",
            ]
        );
    }

    #[test]
    fn context_first_layouts_pick_the_string_argument() {
        let src = r#"package p
func f(ctx context.Context, pool *pgxpool.Pool, db *sql.DB) {
	pool.Exec(ctx, "DELETE FROM orders_legacy WHERE id = $1", 1)
	db.Exec("DELETE FROM orders_legacy WHERE id = $1", 2)
	conn.Prepare(ctx, "stmt", "SELECT * FROM orders_legacy")
	db.QueryRowContext(ctx, "SELECT * FROM billing.invoices_legacy")
	pool.CopyFrom(ctx, pgx.Identifier{"billing", "invoices_legacy"}, cols, src)
	pool.CopyFrom(ctx, pgx.Identifier{schema, "orders_legacy"}, cols, src)
}
"#;
        let out = scan(Language::Go, src);
        let got: Vec<String> = out
            .findings
            .iter()
            .map(|f| format!("{}:{} {}", f.line, f.column, f.table))
            .collect();
        assert_eq!(
            got,
            vec![
                "3:18 orders_legacy",
                "4:11 orders_legacy",
                "5:29 orders_legacy",
                "6:27 billing.invoices_legacy",
                "7:37 billing.invoices_legacy",
                "8:21 billing.invoices_legacy",
                "8:21 orders_legacy",
            ]
        );
    }

    #[test]
    fn templates_held_in_names_are_filled_where_used() {
        let src = r#"package p
func insertVersion(tableName string) string {
	q := `INSERT INTO %s (version_id) VALUES ($1)`
	return fmt.Sprintf(q, tableName)
}
var legacyVersions = insertVersion("orders_legacy")
"#;
        assert_eq!(
            go(src),
            vec!["3:8 insertVersion - | INSERT INTO ${tableName} (version_id) VALUES ($1)"]
        );
    }

    #[test]
    fn loose_literals_once_and_prose_never() {
        let src = r#"package p
var stmts = map[string]string{
	"purge": "DELETE FROM orders_legacy WHERE status = 'x'",
	"note":  "Update orders_legacy rows nightly",
}
const used = "SELECT * FROM orders_legacy"
func f(db *sql.DB) { db.Query(used); log.Printf("orders_legacy done") }
"#;
        assert_eq!(
            go(src),
            vec![
                "3:12 - - | DELETE FROM orders_legacy WHERE status = 'x'",
                "6:15 f db.Query | SELECT * FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn syntax_errors_and_deep_input() {
        let src = "package p\nfunc broken( {\n}\nfunc ok(db *sql.DB) { db.Exec(\"DELETE FROM orders_legacy\") }\n";
        let out = scan(Language::Go, src);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].function.as_deref(), Some("ok"));
        assert!(
            out.problems
                .iter()
                .any(|p| p.reason == SkipReason::SyntaxError)
        );

        let mut long = String::from(
            "package p\nfunc f(db *sql.DB) { db.Exec(\"DELETE FROM orders_legacy WHERE id IN (0\"",
        );
        for i in 0..20_000 {
            long.push_str(&format!(" + \",{i}\""));
        }
        long.push_str(" + \")\") }\n");
        assert_eq!(scan(Language::Go, &long).findings.len(), 1);

        let deep = format!(
            "package p\nvar x = {}\"SELECT * FROM orders_legacy\"{}\n",
            "(".repeat(3000),
            ")".repeat(3000)
        );
        let _ = scan(Language::Go, &deep);
    }

    #[test]
    fn query_captures_are_the_ones_read() {
        let mut names: Vec<&str> = crate::lang::Grammar::Go
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
