//! Go extractor: a decoded `.go` file in, raw-SQL and bulk-copy findings out.
//!
//! `queries/go.scm` picks out calls, bindings (`q := …`, `var`/`const` specs, `q += …`) and
//! scopes; the sink catalog (`catalog/go.toml` plus the user's `[[sinks]]`) says which calls
//! run SQL. Where one method name has several argument layouts (`Exec(query)` in
//! database/sql, `Exec(ctx, query)` in pgx) the rows are tried in order and the first
//! argument that is a string wins. The argument is evaluated here: interpreted and raw
//! literals, `+`, `fmt.Sprintf` (verbs become interpolations unless the argument is a known
//! constant), `strings.Join` of a literal slice (also built with `append`), `pgx.Identifier`,
//! and names bound in the same function, an enclosing function or the package. SQL-looking
//! strings that reach no known sink are reported with no sink.

use super::code::{self, SqlSite};
use super::flow::{self, Binding, Bindings, Budget, Scope, Scopes, SpecArg, Value};
use super::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Grammar;
use crate::model::{Access, Operation, Problem, SkipReason};
use std::collections::HashSet;
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

struct Call<'t> {
    node: Node<'t>,
    callee: Node<'t>,
    args: Node<'t>,
}

/// Extract the findings of one Go file.
pub fn extract(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let src = file.text;
    let root = tree.root_node();
    let query = Grammar::Go.query();
    let names = query.capture_names();
    let mut calls = Vec::new();
    let mut scopes = Vec::new();
    // (append, statement, name, value)
    let mut raw_bindings: Vec<(bool, Node<'_>, Node<'_>, Node<'_>)> = Vec::new();
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
            pair_up(
                stmt,
                &children(lhs),
                &children(rhs),
                false,
                &mut raw_bindings,
            );
        } else if let (Some(stmt), Some(lhs), Some(rhs)) =
            (get("append"), get("append_names"), get("append_values"))
        {
            pair_up(
                stmt,
                &children(lhs),
                &children(rhs),
                true,
                &mut raw_bindings,
            );
        } else if let (Some(spec), Some(values)) = (get("spec"), get("spec_values")) {
            let mut c = spec.walk();
            let names: Vec<Node<'_>> = spec.children_by_field_name("name", &mut c).collect();
            pair_up(spec, &names, &children(values), false, &mut raw_bindings);
        } else if let (Some(def), Some(name)) = (get("function"), get("function_name")) {
            let name = text(src, name);
            let qualified = match get("receiver") {
                Some(recv) => match receiver_type(text(src, recv)) {
                    Some(t) => format!("{t}.{name}"),
                    None => name.to_string(),
                },
                None => name.to_string(),
            };
            scopes.push(Scope {
                start: def.start_byte(),
                end: def.end_byte(),
                name: Some(qualified),
                is_class: false,
            });
        } else if let Some(def) = get("closure") {
            scopes.push(Scope {
                start: def.start_byte(),
                end: def.end_byte(),
                name: None,
                is_class: false,
            });
        }
    }
    let scopes = Scopes::new(scopes);
    let bindings = Bindings::new(
        raw_bindings
            .into_iter()
            .map(|(append, stmt, name, value)| Binding {
                scope: scopes.innermost(stmt.start_byte()),
                name: text(src, name).to_string(),
                append,
                start: stmt.start_byte(),
                end: stmt.end_byte(),
                value,
            })
            .collect(),
    );
    let mut go = Go {
        src,
        scopes,
        bindings,
        budget: Budget::for_file(file.text.len()),
    };
    let index = LineIndex::new(src);
    let mut consumed: HashSet<usize> = HashSet::new();

    for call in &calls {
        go.sink_call(file, &index, call, &mut consumed, out);
    }
    // Sinks first, then string expressions used elsewhere, then the bindings that no
    // sink or expression used (`fmt.Sprintf(q, table)` says more than `q` alone).
    for node in go.string_roots(root) {
        if let Some(value) = go.eval(node, 0) {
            let at = node.start_byte();
            flow::report_loose(
                file,
                &index,
                &value,
                go.scopes.qualified(at),
                at,
                &mut consumed,
                out,
            );
        }
    }
    let versions: Vec<Vec<(Node<'_>, usize)>> = go
        .bindings
        .versions()
        .into_iter()
        .map(|v| v.iter().map(|b| (b.value, b.start)).collect())
        .collect();
    for version in versions {
        let Some(&(first, at)) = version.first() else {
            continue;
        };
        let Some(mut value) = go.eval(first, 0) else {
            continue;
        };
        for &(node, _) in &version[1..] {
            go.append_operand(&mut value, node, 0);
        }
        flow::report_loose(
            file,
            &index,
            &value,
            go.scopes.qualified(at),
            at,
            &mut consumed,
            out,
        );
    }
    if let Some(at) = go.budget.exhausted_at {
        out.problems.push(Problem {
            file: file.rel.to_string(),
            line: Some(index.position(src, at).0),
            reason: SkipReason::UnparsedSql,
            detail: "string expressions too large or too deeply nested to evaluate; the rest \
                     of the file was not evaluated"
                .to_string(),
        });
    }
}

/// `a, b := x, y` binds `a` to `x` and `b` to `y`; `a, err := f()` binds nothing we follow.
fn pair_up<'t>(
    stmt: Node<'t>,
    names: &[Node<'t>],
    values: &[Node<'t>],
    append: bool,
    out: &mut Vec<(bool, Node<'t>, Node<'t>, Node<'t>)>,
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
            Some(text(src, callee.child_by_field_name("operand")?)),
            text(src, callee.child_by_field_name("field")?),
        )),
        "identifier" => Some((None, text(src, callee))),
        _ => None,
    }
}

struct Go<'s, 't> {
    src: &'s str,
    scopes: Scopes,
    bindings: Bindings<'t>,
    budget: Budget,
}

impl<'s, 't> Go<'s, 't> {
    fn text(&self, node: Node<'_>) -> &'s str {
        text(self.src, node)
    }

    fn sink_call(
        &mut self,
        file: &FileInput<'_>,
        index: &LineIndex,
        call: &Call<'t>,
        consumed: &mut HashSet<usize>,
        out: &mut FileScan,
    ) {
        let Some((receiver, method)) = callee_parts(self.src, call.callee) else {
            return;
        };
        let catalog = file.ctx.catalog(file.language);
        let args = children(call.args);
        for sink in catalog.lookup_all(receiver, method) {
            let site = SqlSite {
                function: self.scopes.qualified(call.node.start_byte()),
                sink: Some(self.text(call.callee).split_whitespace().collect()),
                fallback_offset: call.node.start_byte(),
            };
            if let Some(i) = sink.sql_arg {
                let Some(&arg) = args.get(i) else {
                    continue;
                };
                let Some(value) = self.eval(arg, 0) else {
                    continue;
                };
                consumed.extend(value.literals.iter().copied());
                code::sql_findings(file, index, &value.sql, &site, out);
                return;
            }
            if let Some(i) = sink.table_arg {
                let Some(&arg) = args.get(i) else {
                    continue;
                };
                let access = sink.access.unwrap_or(Access::Write);
                let operation = sink.operation.unwrap_or(Operation::Copy);
                let Some(value) = self.eval(arg, 0).filter(Value::is_constant) else {
                    let shown = evidence(self.text(call.node));
                    let at = site.placed(file, index, arg.start_byte(), shown);
                    code::dynamic_table_findings(file, &at, (access, operation), out);
                    return;
                };
                consumed.extend(value.literals.iter().copied());
                let offset = value.sql.source_offset(0).unwrap_or(arg.start_byte());
                let at = site.placed(file, index, offset, evidence(self.text(call.node)));
                code::table_finding(file, &at, value.sql.text.trim(), (access, operation), out);
                return;
            }
        }
    }

    fn eval(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        if !self.budget.step(depth, node.start_byte()) {
            return None;
        }
        let value = match node.kind() {
            "interpreted_string_literal" | "raw_string_literal" => Some(self.literal(node)),
            "parenthesized_expression" => {
                let inner = children(node).into_iter().next()?;
                self.eval(inner, depth + 1)
            }
            "binary_expression" if is_plus(node) => self.concat(node, depth),
            "call_expression" => self.call_value(node, depth),
            "composite_literal" => self.identifier_literal(node, depth),
            "identifier" => self.lookup(self.text(node), node.start_byte(), depth),
            _ => None,
        }?;
        if value.sql.text.len() > flow::MAX_TEXT {
            self.budget.exhausted_at.get_or_insert(node.start_byte());
            return None;
        }
        Some(value)
    }

    fn literal(&self, node: Node<'t>) -> Value {
        let mut value = Value::default();
        value.literals.push(node.start_byte());
        for part in children(node) {
            let written = self.text(part);
            let (start, len) = (part.start_byte(), part.end_byte() - part.start_byte());
            match part.kind() {
                "escape_sequence" => value.sql.push_literal(&flow::unescape(written), start, len),
                _ => value.sql.push_literal(written, start, len),
            }
        }
        value
    }

    fn concat(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let mut operands = Vec::new();
        let mut cur = node;
        loop {
            if !(cur.kind() == "binary_expression" && is_plus(cur)) {
                operands.push(cur);
                break;
            }
            if let Some(right) = cur.child_by_field_name("right") {
                operands.push(right);
            }
            match cur.child_by_field_name("left") {
                Some(left) => cur = left,
                None => break,
            }
        }
        operands.reverse();
        let values: Vec<Option<Value>> =
            operands.iter().map(|&o| self.eval(o, depth + 1)).collect();
        if values.iter().all(Option::is_none) {
            return None;
        }
        let mut out = Value::default();
        for (operand, value) in operands.iter().zip(values) {
            match value {
                Some(v) => out.append(&v),
                None => out.push_interpolation(self.text(*operand), operand.start_byte()),
            }
        }
        Some(out)
    }

    fn append_operand(&mut self, out: &mut Value, node: Node<'t>, depth: usize) {
        match self.eval(node, depth + 1) {
            Some(v) => out.append(&v),
            None => out.push_interpolation(self.text(node), node.start_byte()),
        }
    }

    fn call_value(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let callee = node.child_by_field_name("function")?;
        let args = children(node.child_by_field_name("arguments")?);
        match callee_parts(self.src, callee)? {
            (Some("fmt"), "Sprintf") => {
                let (&format, rest) = args.split_first()?;
                let template = self.eval(format, depth + 1)?;
                let specs = flow::go_verbs(&template.sql.text);
                Some(flow::substitute(&template, &specs, |spec, out| {
                    let arg = match spec.arg {
                        SpecArg::Index(n) => rest.get(n).copied(),
                        _ => None,
                    };
                    match arg.map(|a| (a, self.eval(a, depth + 1))) {
                        Some((_, Some(v))) if v.is_constant() => out.append(&v),
                        Some((a, _)) => out.push_interpolation(self.text(a), a.start_byte()),
                        None => {
                            let written = template.sql.text.get(spec.range.clone()).unwrap_or("");
                            let at = template.sql.source_offset(spec.range.start).unwrap_or(0);
                            out.push_interpolation(written, at);
                        }
                    }
                }))
            }
            // Whitespace around SQL does not matter.
            (Some("strings"), "TrimSpace") => self.eval(*args.first()?, depth + 1),
            (Some("strings"), "Join") => {
                let sep = self
                    .eval(*args.get(1)?, depth + 1)
                    .filter(Value::is_constant)?;
                let items = self.list_items(*args.first()?, depth + 1)?;
                let mut out = Value::default();
                out.literals.extend(sep.literals.iter().copied());
                for (i, item) in items.into_iter().enumerate() {
                    if i > 0 {
                        out.sql.push_synthetic(&sep.sql.text);
                    }
                    self.append_operand(&mut out, item, depth);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// `[]string{…}` (directly, through a name, or grown with `append`).
    fn list_items(&mut self, node: Node<'t>, depth: usize) -> Option<Vec<Node<'t>>> {
        if depth > flow::MAX_DEPTH {
            return None;
        }
        match node.kind() {
            "composite_literal" => {
                let body = node.child_by_field_name("body")?;
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
                let callee = node.child_by_field_name("function")?;
                if self.text(callee) != "append" {
                    return None;
                }
                let args = children(node.child_by_field_name("arguments")?);
                let (&first, rest) = args.split_first()?;
                let mut items = self.list_items(first, depth + 1)?;
                for arg in rest {
                    if arg.kind() == "variadic_argument" {
                        return None;
                    }
                    items.push(*arg);
                }
                Some(items)
            }
            "identifier" => {
                let chain = self.find(self.text(node), node.start_byte())?;
                match chain.as_slice() {
                    [(false, value)] => self.list_items(*value, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `pgx.Identifier{"schema", "table"}` → `schema.table`.
    fn identifier_literal(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let ty = self.text(node.child_by_field_name("type")?);
        if !ty.ends_with("Identifier") {
            return None;
        }
        let items = self.list_items(node, depth + 1)?;
        let mut out = Value::default();
        for (i, item) in items.into_iter().enumerate() {
            let v = self.eval(item, depth + 1).filter(Value::is_constant)?;
            if i > 0 {
                out.sql.push_synthetic(".");
            }
            out.append(&v);
        }
        Some(out)
    }

    /// Bindings of `name` visible at `pos`: the enclosing functions (innermost first), then
    /// the package (declaration order does not matter there).
    fn find(&self, name: &str, pos: usize) -> Option<Vec<(bool, Node<'t>)>> {
        let strip = |chain: Vec<&Binding<'t>>| chain.iter().map(|b| (b.append, b.value)).collect();
        for scope in self.scopes.chain(pos) {
            if let Some(chain) = self.bindings.chain(Some(scope), name, Some(pos)) {
                return Some(strip(chain));
            }
        }
        self.bindings.chain(None, name, None).map(strip)
    }

    fn lookup(&mut self, name: &str, pos: usize, depth: usize) -> Option<Value> {
        let chain = self.find(name, pos)?;
        let (&(_, first), rest) = chain.split_first()?;
        let mut value = self.eval(first, depth + 1)?;
        for &(_, node) in rest {
            self.append_operand(&mut value, node, depth);
        }
        Some(value)
    }

    /// The outermost string expressions, in source order, except binding values (reported
    /// through the binding) and import paths.
    fn string_roots(&self, root: Node<'t>) -> Vec<Node<'t>> {
        let mut roots = Vec::new();
        let mut stack: Vec<(Node<'t>, Option<Node<'t>>, bool)> = vec![(root, None, false)];
        while let Some((node, parent, in_string)) = stack.pop() {
            let is_string = if in_string {
                continues_string(self.src, node)
            } else {
                is_string_expr(self.src, node)
            };
            if is_string && !in_string && !accounted_for(parent) {
                roots.push(node);
            }
            let mut cursor = node.walk();
            let kids: Vec<Node<'t>> = node.children(&mut cursor).collect();
            for child in kids.into_iter().rev() {
                stack.push((child, Some(node), is_string));
            }
        }
        roots.sort_by_key(|n| n.start_byte());
        roots
    }
}

/// The value of a binding statement (reported through the binding), or an import path.
fn accounted_for(parent: Option<Node<'_>>) -> bool {
    let Some(parent) = parent else {
        return false;
    };
    match parent.kind() {
        "import_spec" | "field_declaration" => true,
        "expression_list" => parent.parent().is_some_and(|g| {
            matches!(
                g.kind(),
                "short_var_declaration" | "assignment_statement" | "var_spec" | "const_spec"
            ) && g.child_by_field_name("left").map(|l| l.id()) != Some(parent.id())
        }),
        _ => false,
    }
}

fn is_plus(node: Node<'_>) -> bool {
    node.child_by_field_name("operator").map(|o| o.kind()) == Some("+")
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

fn continues_string(src: &str, node: Node<'_>) -> bool {
    match node.kind() {
        "interpreted_string_literal"
        | "raw_string_literal"
        | "binary_expression"
        | "parenthesized_expression" => true,
        "call_expression" => is_string_expr(src, node),
        _ => false,
    }
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
                    if cur.child_by_field_name("right").is_some_and(is_literal) {
                        return true;
                    }
                    match cur.child_by_field_name("left") {
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
            let Some(callee) = node.child_by_field_name("function") else {
                return false;
            };
            let first = node
                .child_by_field_name("arguments")
                .and_then(|a| a.named_child(0));
            match callee_parts(src, callee) {
                // `fmt.Sprintf(query, table)` too: the evaluation decides.
                Some((Some("fmt"), "Sprintf")) => {
                    first.is_some_and(|f| is_literal(f) || f.kind() == "identifier")
                }
                Some((Some("strings"), "Join")) => first.is_some_and(|c| {
                    c.kind() == "composite_literal"
                        && c.child_by_field_name("body")
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
