//! Python extractor: a decoded `.py` file in, raw-SQL and bulk-copy findings out.
//!
//! `queries/python.scm` picks out calls, bindings (`q = …`, `q += …`) and scopes; the sink
//! catalog (`catalog/python.toml` plus the user's `[[sinks]]`) says which calls run SQL. The
//! SQL argument is evaluated here: literals (raw, bytes, triple-quoted), implicit
//! concatenation, `+`, f-strings, `%` and `.format` templates (placeholders become
//! interpolations unless the argument is a known constant), `" ".join([...])`, psycopg's
//! `sql.SQL(...).format(sql.Identifier(...))`, and names bound in the same function, an
//! enclosing function, the class (`self.X`) or the module. SQL-looking strings that reach no
//! known sink are reported with no sink. Classification is `code::sql_findings`' job.

use super::code::{self, SqlSite};
use super::flow::{self, Binding, Bindings, Budget, Scope, Scopes, Spec, SpecArg, Value};
use super::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Grammar;
use crate::model::{Access, Operation, Problem, SkipReason};
use std::collections::HashSet;
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

/// A call the query found.
struct Call<'t> {
    node: Node<'t>,
    callee: Node<'t>,
    args: Node<'t>,
}

/// Extract the findings of one Python file.
pub fn extract(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let root = tree.root_node();
    let query = Grammar::Python.query();
    let names = query.capture_names();
    let mut calls = Vec::new();
    let mut scopes = Vec::new();
    let mut raw_bindings: Vec<(bool, Node<'_>, Node<'_>, Node<'_>)> = Vec::new();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(query, root, file.text.as_bytes());
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
            raw_bindings.push((false, whole, name, value));
        } else if let (Some(whole), Some(name), Some(value)) =
            (get("append"), get("append_name"), get("append_value"))
        {
            raw_bindings.push((true, whole, name, value));
        } else if let (Some(def), Some(name)) = (get("function"), get("function_name")) {
            scopes.push(scope(file.text, def, Some(name), false));
        } else if let (Some(def), Some(name)) = (get("class"), get("class_name")) {
            scopes.push(scope(file.text, def, Some(name), true));
        }
    }
    let scopes = Scopes::new(scopes);
    let bindings = Bindings::new(
        raw_bindings
            .into_iter()
            .map(|(append, whole, name, value)| Binding {
                scope: scopes.innermost(whole.start_byte()),
                name: text(file.text, name).to_string(),
                append,
                start: whole.start_byte(),
                end: whole.end_byte(),
                value,
            })
            .collect(),
    );
    let mut py = Py {
        src: file.text,
        scopes,
        bindings,
        budget: Budget::for_file(file.text.len()),
    };
    let index = LineIndex::new(file.text);
    let mut consumed: HashSet<usize> = HashSet::new();

    // 1. Calls to known sinks.
    for call in &calls {
        py.sink_call(file, &index, call, &mut consumed, out);
    }
    // 2. String expressions used anywhere else (arguments of unknown calls, returns, dict
    //    values…). They come before
    //    the bindings they use: `QUERY % table` says more than `QUERY` alone.
    for node in py.string_roots(root) {
        if let Some(value) = py.eval(node, 0) {
            let at = node.start_byte();
            flow::report_loose(
                file,
                &index,
                &value,
                py.scopes.qualified(at),
                at,
                &mut consumed,
                out,
            );
        }
    }
    // 3. Values of variables and constants that reached no sink and no string expression.
    let versions: Vec<Vec<(bool, Node<'_>, usize)>> = py
        .bindings
        .versions()
        .into_iter()
        .map(|v| v.iter().map(|b| (b.append, b.value, b.start)).collect())
        .collect();
    for version in versions {
        let Some(&(_, first, at)) = version.first() else {
            continue;
        };
        let Some(mut value) = py.eval(first, 0) else {
            continue;
        };
        for &(_, node, _) in &version[1..] {
            py.append_operand(&mut value, node, 0);
        }
        flow::report_loose(
            file,
            &index,
            &value,
            py.scopes.qualified(at),
            at,
            &mut consumed,
            out,
        );
    }
    if let Some(at) = py.budget.exhausted_at {
        out.problems.push(Problem {
            file: file.rel.to_string(),
            line: Some(index.position(file.text, at).0),
            reason: SkipReason::UnparsedSql,
            detail: "string expressions too large or too deeply nested to evaluate; the rest \
                     of the file was not evaluated"
                .to_string(),
        });
    }
}

fn scope(src: &str, def: Node<'_>, name: Option<Node<'_>>, is_class: bool) -> Scope {
    Scope {
        start: def.start_byte(),
        end: def.end_byte(),
        name: name.map(|n| text(src, n).to_string()),
        is_class,
    }
}

/// The callee as written, without the line breaks and indentation of a chained call.
fn sink_name(callee: &str) -> String {
    callee.split_whitespace().collect()
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
            Some(text(src, callee.child_by_field_name("object")?)),
            text(src, callee.child_by_field_name("attribute")?),
        )),
        "identifier" => Some((None, text(src, callee))),
        _ => None,
    }
}

/// Positional arguments and keyword arguments of an `argument_list`.
fn split_args<'t, 's>(src: &'s str, args: Node<'t>) -> (Vec<Node<'t>>, Vec<(&'s str, Node<'t>)>) {
    let mut positional = Vec::new();
    let mut keywords = Vec::new();
    for arg in children(args) {
        match arg.kind() {
            "keyword_argument" => {
                if let (Some(name), Some(value)) = (
                    arg.child_by_field_name("name"),
                    arg.child_by_field_name("value"),
                ) {
                    keywords.push((text(src, name), value));
                }
            }
            "dictionary_splat" => {}
            _ => positional.push(arg),
        }
    }
    (positional, keywords)
}

struct Py<'s, 't> {
    src: &'s str,
    scopes: Scopes,
    bindings: Bindings<'t>,
    budget: Budget,
}

impl<'s, 't> Py<'s, 't> {
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
        let (positional, keywords) = split_args(self.src, call.args);
        let pick = |index: Option<usize>, keyword: Option<&str>| {
            index.and_then(|i| positional.get(i).copied()).or_else(|| {
                let k = keyword?;
                keywords.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
            })
        };
        for sink in catalog.lookup_all(receiver, method) {
            let site = SqlSite {
                function: self.scopes.qualified(call.node.start_byte()),
                sink: Some(sink_name(self.text(call.callee))),
                fallback_offset: call.node.start_byte(),
            };
            if sink.sql_arg.is_some() || sink.sql_kwarg.is_some() {
                let Some(arg) = pick(sink.sql_arg, sink.sql_kwarg.as_deref()) else {
                    continue;
                };
                let Some(value) = self.eval(arg, 0) else {
                    continue;
                };
                consumed.extend(value.literals.iter().copied());
                code::sql_findings(file, index, &value.sql, &site, out);
                return;
            }
            if sink.table_arg.is_some() || sink.table_kwarg.is_some() {
                let Some(arg) = pick(sink.table_arg, sink.table_kwarg.as_deref()) else {
                    continue;
                };
                let access = sink.access.unwrap_or(Access::Write);
                let operation = sink.operation.unwrap_or(Operation::Copy);
                let Some(mut value) = self.eval(arg, 0).filter(Value::is_constant) else {
                    let shown = evidence(self.text(call.node));
                    let at = site.placed(file, index, arg.start_byte(), shown);
                    code::dynamic_table_findings(file, &at, (access, operation), out);
                    return;
                };
                // asyncpg names the schema in its own keyword.
                if let Some(schema) = keywords
                    .iter()
                    .find(|(n, _)| *n == "schema_name")
                    .and_then(|(_, v)| self.eval(*v, 0))
                    .filter(Value::is_constant)
                {
                    let mut qualified = schema;
                    qualified.sql.push_synthetic(".");
                    qualified.append(&value);
                    value = qualified;
                }
                consumed.extend(value.literals.iter().copied());
                let offset = value.sql.source_offset(0).unwrap_or(arg.start_byte());
                let at = site.placed(file, index, offset, evidence(self.text(call.node)));
                code::table_finding(file, &at, value.sql.text.trim(), (access, operation), out);
                return;
            }
        }
    }

    /// The string value of an expression, or `None` when it is not a string we can follow.
    fn eval(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        if !self.budget.step(depth, node.start_byte()) {
            return None;
        }
        let value = match node.kind() {
            "string" => Some(self.string(node, depth)),
            "concatenated_string" => {
                let mut value = Value::default();
                for part in children(node) {
                    if part.kind() == "string" {
                        let piece = self.string(part, depth);
                        value.append(&piece);
                    }
                }
                Some(value)
            }
            "parenthesized_expression" => {
                let inner = children(node).into_iter().next()?;
                self.eval(inner, depth + 1)
            }
            "binary_operator" => {
                let op = node.child_by_field_name("operator").map(|o| o.kind());
                match op {
                    Some("+") => self.concat(node, depth),
                    Some("%") => self.percent(node, depth),
                    _ => None,
                }
            }
            "call" => self.call_value(node, depth),
            "identifier" => self.lookup(self.text(node), node.start_byte(), depth),
            "attribute" => self.attribute_value(node, depth),
            _ => None,
        }?;
        if value.sql.text.len() > flow::MAX_TEXT {
            self.budget.exhausted_at.get_or_insert(node.start_byte());
            return None;
        }
        Some(value)
    }

    /// A string literal: escapes decoded (unless raw), f-string interpolations filled with
    /// known constants or turned into interpolation markers.
    fn string(&mut self, node: Node<'t>, depth: usize) -> Value {
        let mut value = Value::default();
        value.literals.push(node.start_byte());
        let mut raw = false;
        for part in children(node) {
            match part.kind() {
                "string_start" => {
                    raw = self
                        .text(part)
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .any(|c| c.eq_ignore_ascii_case(&'r'));
                }
                "string_content" => self.content(part, raw, &mut value),
                "interpolation" => {
                    let expr = part.child_by_field_name("expression").unwrap_or(part);
                    self.fill(&mut value, Some(expr), "", part.start_byte(), depth);
                }
                _ => {}
            }
        }
        value
    }

    fn content(&self, node: Node<'t>, raw: bool, value: &mut Value) {
        let mut at = node.start_byte();
        let end = node.end_byte();
        for esc in children(node) {
            let (es, ee) = (esc.start_byte(), esc.end_byte());
            if es > at {
                value
                    .sql
                    .push_literal(self.src.get(at..es).unwrap_or(""), at, es - at);
            }
            let written = self.src.get(es..ee).unwrap_or("");
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
                .push_literal(self.src.get(at..end).unwrap_or(""), at, end - at);
        }
    }

    /// `a + b + c`: the chain is flattened without recursion (long concatenations are
    /// common in SQL builders); operands we cannot follow become interpolations.
    fn concat(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let mut operands = Vec::new();
        let mut cur = node;
        loop {
            let is_plus = cur.kind() == "binary_operator"
                && cur.child_by_field_name("operator").map(|o| o.kind()) == Some("+");
            if !is_plus {
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

    /// Append the value of `node` to `out`, or an interpolation when it is unknown.
    fn append_operand(&mut self, out: &mut Value, node: Node<'t>, depth: usize) {
        match self.eval(node, depth + 1) {
            Some(v) => out.append(&v),
            None => out.push_interpolation(self.text(node), node.start_byte()),
        }
    }

    /// Fill a placeholder: a known constant is inlined (its text becomes part of the SQL);
    /// anything else becomes an interpolation marker showing the expression.
    fn fill(
        &mut self,
        out: &mut Value,
        arg: Option<Node<'t>>,
        fallback: &str,
        offset: usize,
        depth: usize,
    ) {
        match arg {
            Some(a) => match self.eval(a, depth + 1) {
                Some(v) if v.is_constant() => out.append(&v),
                _ => out.push_interpolation(self.text(a), a.start_byte()),
            },
            None => out.push_interpolation(fallback, offset),
        }
    }

    /// Fill `specs` of `template` from positional and keyword argument nodes.
    fn fill_template(
        &mut self,
        template: &Value,
        specs: &[Spec],
        positional: &[Node<'t>],
        keywords: &[(String, Node<'t>)],
        depth: usize,
    ) -> Value {
        flow::substitute(template, specs, |spec, out| {
            let arg = match &spec.arg {
                SpecArg::Index(n) => positional.get(*n).copied(),
                SpecArg::Name(name) => keywords.iter().find(|(k, _)| k == name).map(|(_, v)| *v),
                SpecArg::Text(_) => None,
            };
            let fallback = template.sql.text.get(spec.range.clone()).unwrap_or("");
            let offset = template.sql.source_offset(spec.range.start).unwrap_or(0);
            self.fill(out, arg, fallback, offset, depth);
        })
    }

    /// `template % args`: every conversion is filled at run time.
    fn percent(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let template = self.eval(node.child_by_field_name("left")?, depth + 1)?;
        let right = node.child_by_field_name("right")?;
        let specs = flow::percent_specs(&template.sql.text);
        let (positional, keywords) = match right.kind() {
            "tuple" => (children(right), Vec::new()),
            "dictionary" => {
                let mut keywords = Vec::new();
                for pair in children(right) {
                    let (Some(k), Some(v)) = (
                        pair.child_by_field_name("key"),
                        pair.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    if let Some(key) = self.eval(k, depth + 1).filter(Value::is_constant) {
                        keywords.push((key.sql.text, v));
                    }
                }
                (Vec::new(), keywords)
            }
            _ => (vec![right], Vec::new()),
        };
        Some(self.fill_template(&template, &specs, &positional, &keywords, depth))
    }

    fn call_value(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let callee = node.child_by_field_name("function")?;
        let args = node.child_by_field_name("arguments")?;
        if args.kind() != "argument_list" {
            return None;
        }
        let (_, name) = callee_parts(self.src, callee)?;
        let (positional, keywords) = split_args(self.src, args);
        let keywords: Vec<(String, Node<'t>)> = keywords
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let object = callee.child_by_field_name("object");
        match (name, object) {
            ("format", Some(object)) => {
                let template = self.eval(object, depth + 1)?;
                let specs = flow::brace_specs(&template.sql.text);
                Some(self.fill_template(&template, &specs, &positional, &keywords, depth))
            }
            ("join", Some(object)) => {
                let sep = self.eval(object, depth + 1).filter(Value::is_constant)?;
                let list = self.list_items(*positional.first()?, depth)?;
                let mut out = Value::default();
                out.literals.extend(sep.literals.iter().copied());
                for (i, item) in list.into_iter().enumerate() {
                    if i > 0 {
                        out.sql.push_synthetic(&sep.sql.text);
                    }
                    self.append_operand(&mut out, item, depth);
                }
                Some(out)
            }
            // psycopg's `sql.SQL("…")` composes like a string; `textwrap.dedent` only
            // changes indentation.
            ("SQL" | "dedent", _) => self.eval(*positional.first()?, depth + 1),
            // `"""…""".strip()`: whitespace around SQL does not matter (and keeping it
            // keeps the source map exact).
            ("strip" | "lstrip" | "rstrip", Some(object)) if positional.is_empty() => {
                self.eval(object, depth + 1)
            }
            // psycopg's `sql.Identifier("schema", "table")`.
            ("Identifier", _) => {
                let mut out = Value::default();
                for (i, part) in positional.iter().enumerate() {
                    let v = self.eval(*part, depth + 1).filter(Value::is_constant)?;
                    if i > 0 {
                        out.sql.push_synthetic(".");
                    }
                    out.append(&v);
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The items of a list or tuple literal, directly or through a name bound to one.
    fn list_items(&mut self, node: Node<'t>, depth: usize) -> Option<Vec<Node<'t>>> {
        match node.kind() {
            "list" | "tuple" => Some(children(node)),
            "parenthesized_expression" => {
                self.list_items(children(node).into_iter().next()?, depth + 1)
            }
            "identifier" if depth < flow::MAX_DEPTH => {
                let chain = self.find(self.text(node), node.start_byte())?;
                match chain.as_slice() {
                    [(false, value)] => self.list_items(*value, depth + 1),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The bindings (`(append, value)`) that give `name` its value at `pos`: the function
    /// and its enclosing functions first, then the module.
    fn find(&self, name: &str, pos: usize) -> Option<Vec<(bool, Node<'t>)>> {
        let strip = |chain: Vec<&Binding<'t>>| chain.iter().map(|b| (b.append, b.value)).collect();
        for (i, scope) in self.scopes.chain(pos).into_iter().enumerate() {
            // Class attributes are not visible as bare names inside methods.
            if self.scopes.get(scope).is_class && i > 0 {
                continue;
            }
            if let Some(chain) = self.bindings.chain(Some(scope), name, Some(pos)) {
                return Some(strip(chain));
            }
        }
        self.bindings
            .chain(None, name, Some(pos))
            .or_else(|| self.bindings.chain(None, name, None))
            .map(strip)
    }

    fn eval_chain(&mut self, chain: &[(bool, Node<'t>)], depth: usize) -> Option<Value> {
        let (&(_, first), rest) = chain.split_first()?;
        let mut value = self.eval(first, depth + 1)?;
        for &(_, node) in rest {
            self.append_operand(&mut value, node, depth);
        }
        Some(value)
    }

    fn lookup(&mut self, name: &str, pos: usize, depth: usize) -> Option<Value> {
        let chain = self.find(name, pos)?;
        self.eval_chain(&chain, depth)
    }

    /// `self.SQL` / `cls.SQL`: a class attribute of the enclosing class; `Queries.SQL`: a
    /// class attribute of a class of this file.
    fn attribute_value(&mut self, node: Node<'t>, depth: usize) -> Option<Value> {
        let object = node.child_by_field_name("object")?;
        let attr = self.text(node.child_by_field_name("attribute")?);
        let class = match (object.kind(), self.text(object)) {
            (_, "self" | "cls") => self
                .scopes
                .chain(node.start_byte())
                .into_iter()
                .find(|&s| self.scopes.get(s).is_class)?,
            ("identifier", name) => self.scopes.class_named(name)?,
            _ => return None,
        };
        let chain: Vec<(bool, Node<'t>)> = self
            .bindings
            .chain(Some(class), attr, None)?
            .iter()
            .map(|b| (b.append, b.value))
            .collect();
        self.eval_chain(&chain, depth)
    }

    /// The outermost string expressions of the file, in source order, except those that a
    /// binding or a docstring position accounts for. Iterative: deep trees are fine.
    fn string_roots(&self, root: Node<'t>) -> Vec<Node<'t>> {
        let mut roots = Vec::new();
        let mut stack: Vec<(Node<'t>, Option<Node<'t>>, bool)> = vec![(root, None, false)];
        while let Some((node, parent, in_string)) = stack.pop() {
            let is_string = if in_string {
                continues_string(self.src, node)
            } else {
                is_string_expr(self.src, node)
            };
            if is_string && !in_string && !self.accounted_for(node, parent) {
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

    /// A docstring or bare string statement, or the value of a binding (reported through
    /// the binding, with the appends that follow it).
    fn accounted_for(&self, node: Node<'t>, parent: Option<Node<'t>>) -> bool {
        let Some(parent) = parent else {
            return false;
        };
        match parent.kind() {
            "expression_statement" => true,
            "assignment" | "augmented_assignment" => {
                parent.child_by_field_name("right").map(|n| n.id()) == Some(node.id())
                    && parent
                        .child_by_field_name("left")
                        .is_some_and(|l| l.kind() == "identifier")
            }
            _ => false,
        }
    }
}

/// Whether a node, met inside a string expression, continues it (its children are parts of
/// the same value).
fn continues_string(src: &str, node: Node<'_>) -> bool {
    match node.kind() {
        "string" | "concatenated_string" | "binary_operator" | "parenthesized_expression" => true,
        "call" => is_string_expr(src, node),
        _ => false,
    }
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
            let op = node.child_by_field_name("operator").map(|o| o.kind());
            match op {
                // `QUERY % args` too: the evaluation decides whether QUERY is a string.
                Some("%") => node
                    .child_by_field_name("left")
                    .is_some_and(|l| is_literal(l) || l.kind() == "identifier"),
                Some("+") => {
                    // Walk the left spine (bounded) looking for a literal operand.
                    let mut cur = node;
                    for _ in 0..4096 {
                        if node_is_plus(cur) {
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
                _ => false,
            }
        }
        "call" => {
            let Some(callee) = node.child_by_field_name("function") else {
                return false;
            };
            match callee_parts(src, callee) {
                Some((Some(_), "join")) => {
                    callee.child_by_field_name("object").is_some_and(is_literal)
                }
                // `"…".format(…)`, `QUERY.format(…)`, `sql.SQL("…").format(…)`.
                Some((Some(_), "format")) => {
                    callee.child_by_field_name("object").is_some_and(|o| {
                        is_literal(o) || o.kind() == "identifier" || is_sql_call(src, o)
                    })
                }
                Some((_, "SQL" | "dedent")) => node
                    .child_by_field_name("arguments")
                    .and_then(|a| a.named_child(0))
                    .is_some_and(is_literal),
                Some((Some(_), "strip" | "lstrip" | "rstrip")) => {
                    callee.child_by_field_name("object").is_some_and(is_literal)
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
            .child_by_field_name("function")
            .and_then(|f| callee_parts(src, f))
            .is_some_and(|(_, name)| name == "SQL")
}

fn node_is_plus(node: Node<'_>) -> bool {
    node.kind() == "binary_operator"
        && node.child_by_field_name("operator").map(|o| o.kind()) == Some("+")
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
