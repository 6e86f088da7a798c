//! Raw SQL in the languages whose names live in scopes: Python and Go. Input: a parsed
//! file's calls, scopes and string bindings, which the language's query picked out; output:
//! findings through `sql_text::sql_findings`. The scopes of a file (functions, methods,
//! classes) give qualified names; the bindings made in each (`q = "…"`, `q += "…"`,
//! constants) give names their values where they are used (`Names::find`). Three passes
//! share one string evaluator (`flow::Evaluator`): calls to known sinks, string expressions
//! used anywhere else, and the values of bindings neither used. The language says how its
//! calls and string expressions read (`Scoped`); TypeScript resolves names its own way
//! (hoisting, class fields, object members) and has its own passes.

use super::flow::{self, Call, Evaluator, Syntax, Value};
use super::sql_text::{self, SqlSite};
use super::{FileInput, FileScan, LineIndex, evidence};
use crate::model::{Access, Operation, Problem, SkipReason};
use std::collections::{HashMap, HashSet};
use tree_sitter::Node;

/// A function, method, closure or class: its byte range and the name it contributes to the
/// qualified name of what is inside (`None` for closures and lambdas).
#[derive(Debug, Clone)]
pub struct Scope {
    pub start: usize,
    pub end: usize,
    pub name: Option<String>,
    /// Python class bodies: their names are not visible as bare names inside methods.
    pub is_class: bool,
}

/// The scopes of one file, outer ones first, each with the scope it is nested in.
#[derive(Debug, Default)]
pub struct Scopes {
    list: Vec<Scope>,
    parent: Vec<Option<usize>>,
    /// Classes by name (the first one of each name), for `ClassName.ATTR`.
    classes: HashMap<String, usize>,
}

impl Scopes {
    pub fn new(mut list: Vec<Scope>) -> Scopes {
        list.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
        // Syntax nodes nest, so one pass with a stack finds every scope's parent.
        let mut parent = Vec::with_capacity(list.len());
        let mut open: Vec<usize> = Vec::new();
        for (i, s) in list.iter().enumerate() {
            while open.last().is_some_and(|&top| list[top].end <= s.start) {
                open.pop();
            }
            parent.push(open.last().copied());
            open.push(i);
        }
        let mut classes = HashMap::new();
        for (i, s) in list.iter().enumerate() {
            if let (true, Some(name)) = (s.is_class, &s.name) {
                classes.entry(name.clone()).or_insert(i);
            }
        }
        Scopes {
            list,
            parent,
            classes,
        }
    }

    /// The class scope named `name`, if the file defines one.
    pub fn class_named(&self, name: &str) -> Option<usize> {
        self.classes.get(name).copied()
    }

    pub fn get(&self, i: usize) -> &Scope {
        &self.list[i]
    }

    /// Indices of the scopes around `pos`, innermost first.
    pub fn chain(&self, pos: usize) -> Vec<usize> {
        // The scopes around `pos` are the last scope that starts before it and that
        // scope's ancestors (those that have not ended yet): O(depth), not O(scopes).
        let mut out = Vec::new();
        let mut at = self.list.partition_point(|s| s.start <= pos).checked_sub(1);
        while let Some(i) = at {
            if pos < self.list[i].end {
                out.push(i);
            }
            at = self.parent[i];
        }
        out
    }

    pub fn innermost(&self, pos: usize) -> Option<usize> {
        self.chain(pos).first().copied()
    }

    /// `Class.method`, `outer.inner`, `Repo.Create`: the named scopes around `pos`.
    pub fn qualified(&self, pos: usize) -> Option<String> {
        let names: Vec<&str> = self
            .chain(pos)
            .iter()
            .rev()
            .filter_map(|&i| self.list[i].name.as_deref())
            .collect();
        (!names.is_empty()).then(|| names.join("."))
    }
}

/// `name = value` (or `name += value` when `append`) in a scope (`None`: module/package).
#[derive(Debug, Clone)]
pub struct Binding<'t> {
    pub scope: Option<usize>,
    pub name: String,
    pub append: bool,
    /// Byte range of the whole statement: a use sees the bindings that end before it.
    pub start: usize,
    pub end: usize,
    pub value: Node<'t>,
}

/// The string bindings of one file.
#[derive(Debug, Default)]
pub struct Bindings<'t> {
    list: Vec<Binding<'t>>,
    by_key: HashMap<(Option<usize>, String), Vec<usize>>,
}

impl<'t> Bindings<'t> {
    pub fn new(mut list: Vec<Binding<'t>>) -> Bindings<'t> {
        list.sort_by_key(|b| (b.start, b.end));
        let mut by_key: HashMap<(Option<usize>, String), Vec<usize>> = HashMap::new();
        for (i, b) in list.iter().enumerate() {
            by_key.entry((b.scope, b.name.clone())).or_default().push(i);
        }
        Bindings { list, by_key }
    }

    /// The bindings that give `name` its value in `scope` as seen at `pos`: the last
    /// assignment that ends before `pos` and the appends after it. With `pos = None`, the
    /// last assignment anywhere (module constants may be defined below their use).
    /// Control flow is ignored: the last assignment in source order wins.
    pub fn chain(
        &self,
        scope: Option<usize>,
        name: &str,
        pos: Option<usize>,
    ) -> Option<Vec<&Binding<'t>>> {
        let idxs = self.by_key.get(&(scope, name.to_string()))?;
        let visible: Vec<&Binding<'t>> = idxs
            .iter()
            .map(|&i| &self.list[i])
            .filter(|b| pos.is_none_or(|p| b.end <= p))
            .collect();
        let last_assign = visible.iter().rposition(|b| !b.append)?;
        Some(visible[last_assign..].to_vec())
    }

    /// Every assignment with the appends that follow it (until the next assignment of the
    /// same name in the same scope), in source order: the values a variable takes.
    pub fn versions(&self) -> Vec<Vec<&Binding<'t>>> {
        let mut out = Vec::new();
        for (i, b) in self.list.iter().enumerate() {
            if b.append {
                continue;
            }
            let mut version = vec![b];
            if let Some(idxs) = self.by_key.get(&(b.scope, b.name.clone())) {
                for &j in idxs.iter().filter(|&&j| j > i) {
                    let next = &self.list[j];
                    if !next.append {
                        break;
                    }
                    version.push(next);
                }
            }
            out.push(version);
        }
        out
    }
}

/// How a module-level (package-level) name is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModuleOrder {
    /// The last binding before the use, else the last one anywhere (Python: a constant
    /// may be defined below the function that uses it).
    Source,
    /// The last binding anywhere (Go: package-level declarations are unordered).
    Any,
}

/// The scopes of a file and the string bindings made in each (Python and Go).
#[derive(Debug, Default)]
pub struct Names<'t> {
    pub scopes: Scopes,
    pub bindings: Bindings<'t>,
}

/// A binding the query found: `(append, statement, name, value)`.
pub type RawBinding<'t> = (bool, Node<'t>, Node<'t>, Node<'t>);

impl<'t> Names<'t> {
    /// The names of a file: its scopes, and its bindings placed in them.
    pub fn new(src: &str, scopes: Vec<Scope>, bindings: Vec<RawBinding<'t>>) -> Names<'t> {
        let scopes = Scopes::new(scopes);
        let bindings = Bindings::new(
            bindings
                .into_iter()
                .map(|(append, statement, name, value)| Binding {
                    scope: scopes.innermost(statement.start_byte()),
                    name: src.get(name.byte_range()).unwrap_or("").to_string(),
                    append,
                    start: statement.start_byte(),
                    end: statement.end_byte(),
                    value,
                })
                .collect(),
        );
        Names { scopes, bindings }
    }

    /// The bindings (`(append, value)`) that give `name` its value at `pos`: the enclosing
    /// scopes first, innermost first (a class body only when it is the innermost: class
    /// attributes are not bare names inside methods), then the module.
    pub fn find(
        &self,
        name: &str,
        pos: usize,
        module: ModuleOrder,
    ) -> Option<Vec<(bool, Node<'t>)>> {
        let strip = |chain: Vec<&Binding<'t>>| chain.iter().map(|b| (b.append, b.value)).collect();
        for (i, scope) in self.scopes.chain(pos).into_iter().enumerate() {
            if self.scopes.get(scope).is_class && i > 0 {
                continue;
            }
            if let Some(chain) = self.bindings.chain(Some(scope), name, Some(pos)) {
                return Some(strip(chain));
            }
        }
        let in_order = match module {
            ModuleOrder::Source => self.bindings.chain(None, name, Some(pos)),
            ModuleOrder::Any => None,
        };
        in_order
            .or_else(|| self.bindings.chain(None, name, None))
            .map(strip)
    }
}

/// The arguments of a call: positional, and keyword (`name=value`, Python's).
#[derive(Default)]
pub struct Args<'t> {
    pub positional: Vec<Node<'t>>,
    pub keywords: Vec<(&'t str, Node<'t>)>,
}

impl<'t> Args<'t> {
    /// The argument at `index`, else the one named `keyword`.
    fn pick(&self, index: Option<usize>, keyword: Option<&str>) -> Option<Node<'t>> {
        index
            .and_then(|i| self.positional.get(i).copied())
            .or_else(|| {
                let k = keyword?;
                self.keywords.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
            })
    }
}

/// A language whose names live in scopes (`Names`) and whose raw SQL is found the same
/// way: Python and Go. Besides the leaves of `Syntax`, it says how calls read and which
/// string expressions count on their own.
pub trait Scoped<'t>: Syntax<'t> {
    const MODULE: ModuleOrder;

    fn names(&self) -> &Names<'t>;

    /// `(receiver, method)` of a callee, as the sink catalog matches it.
    fn callee_parts(src: &'t str, callee: Node<'t>) -> Option<(Option<&'t str>, &'t str)>;

    fn arguments(src: &'t str, args: Node<'t>) -> Args<'t>;

    /// Whether an expression builds a string from literals (a literal, a `+` chain with a
    /// literal operand, a template filled in…): the roots of the loose-string pass.
    fn builds_string(src: &'t str, node: Node<'t>) -> bool;

    /// Whether a node met inside a string expression continues it.
    fn continues_string(src: &'t str, node: Node<'t>) -> bool;

    /// Whether a string expression under `parent` is reported through something else (the
    /// binding it is the value of) or is no SQL (a docstring, an import path).
    fn accounted_for(node: Node<'t>, parent: Option<Node<'t>>) -> bool;
}

impl<'t, S: Scoped<'t>> Evaluator<'t, S> {
    /// The value of `name` where it is used at `pos`.
    pub fn lookup(&mut self, name: &str, pos: usize, depth: usize) -> Option<Value> {
        let chain = self.syntax.names().find(name, pos, S::MODULE)?;
        self.eval_chain(&chain, depth)
    }

    /// The value a chain of bindings gives: the assignment, then each append.
    pub fn eval_chain(&mut self, chain: &[(bool, Node<'t>)], depth: usize) -> Option<Value> {
        let (&(_, first), rest) = chain.split_first()?;
        let mut value = self.eval(first, depth + 1)?;
        for &(_, node) in rest {
            self.operand(&mut value, node, depth);
        }
        Some(value)
    }

    /// The raw-SQL findings of a Python or Go file. Calls to known sinks first; then
    /// string expressions used anywhere else (arguments of unknown calls, returns, dict
    /// values…), which come before the bindings they use: `QUERY % table` says more than
    /// `QUERY` alone; then the values of bindings that reached neither.
    pub fn report(
        &mut self,
        file: &FileInput<'_>,
        calls: &[Call<'t>],
        root: Node<'t>,
        out: &mut FileScan,
    ) {
        let index = LineIndex::new(file.text);
        let mut consumed: HashSet<usize> = HashSet::new();
        for call in calls {
            self.sink_call(file, &index, call, &mut consumed, out);
        }
        for node in self.string_roots(root) {
            if let Some(value) = self.eval(node, 0) {
                let at = node.start_byte();
                let function = self.syntax.names().scopes.qualified(at);
                report_loose(file, &index, &value, function, at, &mut consumed, out);
            }
        }
        self.report_bindings(file, &index, &mut consumed, out);
        if let Some(at) = self.budget.deep_at
            && let Some(problem) = flow::too_deep_problem(file, &index, at, out)
        {
            out.problems.push(problem);
        }
        if let Some(at) = self.budget.exhausted_at {
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

    /// Every value a variable or constant takes, reported if it reads like SQL and no sink
    /// or string expression used it.
    fn report_bindings(
        &mut self,
        file: &FileInput<'_>,
        index: &LineIndex,
        consumed: &mut HashSet<usize>,
        out: &mut FileScan,
    ) {
        let versions: Vec<Vec<(Node<'t>, usize)>> = self
            .syntax
            .names()
            .bindings
            .versions()
            .into_iter()
            .map(|v| v.iter().map(|b| (b.value, b.start)).collect())
            .collect();
        for version in versions {
            let Some(&(first, at)) = version.first() else {
                continue;
            };
            let Some(mut value) = self.eval(first, 0) else {
                continue;
            };
            for &(node, _) in &version[1..] {
                self.operand(&mut value, node, 0);
            }
            let function = self.syntax.names().scopes.qualified(at);
            report_loose(file, index, &value, function, at, consumed, out);
        }
    }

    /// A call to a sink of the catalog: its SQL argument evaluated and classified, or its
    /// table argument (bulk copy) resolved. Where one method has several argument layouts
    /// (`Exec(query)` in database/sql, `Exec(ctx, query)` in pgx) the rows are tried in
    /// order and the first argument that is a string wins.
    fn sink_call(
        &mut self,
        file: &FileInput<'_>,
        index: &LineIndex,
        call: &Call<'t>,
        consumed: &mut HashSet<usize>,
        out: &mut FileScan,
    ) {
        let Some((receiver, method)) = S::callee_parts(self.src, call.callee) else {
            return;
        };
        let args = S::arguments(self.src, call.args);
        for sink in file.ctx.catalog(file.language).lookup_all(receiver, method) {
            let site = SqlSite {
                function: self.syntax.names().scopes.qualified(call.node.start_byte()),
                // The callee as written, without the line breaks of a chained call.
                sink: Some(self.text(call.callee).split_whitespace().collect()),
                fallback_offset: call.node.start_byte(),
            };
            if sink.sql_arg.is_some() || sink.sql_kwarg.is_some() {
                let Some(arg) = args.pick(sink.sql_arg, sink.sql_kwarg.as_deref()) else {
                    continue;
                };
                let Some(value) = self.eval(arg, 0) else {
                    continue;
                };
                consumed.extend(value.literals.iter().copied());
                sql_text::sql_findings(file, index, &value.sql, &site, out);
                return;
            }
            if sink.table_arg.is_some() || sink.table_kwarg.is_some() {
                let Some(arg) = args.pick(sink.table_arg, sink.table_kwarg.as_deref()) else {
                    continue;
                };
                let access = sink.access.unwrap_or(Access::Write);
                let operation = sink.operation.unwrap_or(Operation::Copy);
                let shown = evidence(self.text(call.node));
                let Some(value) = self.table_value(arg, &args) else {
                    let at = site.placed(file, index, arg.start_byte(), shown);
                    sql_text::dynamic_table_findings(file, &at, (access, operation), out);
                    return;
                };
                consumed.extend(value.literals.iter().copied());
                let offset = value.sql.source_offset(0).unwrap_or(arg.start_byte());
                let at = site.placed(file, index, offset, shown);
                sql_text::table_finding(file, &at, value.sql.text.trim(), (access, operation), out);
                return;
            }
        }
    }

    /// The table a bulk-copy argument names when it is a constant, qualified by asyncpg's
    /// `schema_name` keyword when given.
    fn table_value(&mut self, arg: Node<'t>, args: &Args<'t>) -> Option<Value> {
        let value = self.eval(arg, 0).filter(Value::is_constant)?;
        let schema = args
            .keywords
            .iter()
            .find(|(n, _)| *n == "schema_name")
            .and_then(|(_, v)| self.eval(*v, 0))
            .filter(Value::is_constant);
        let Some(mut qualified) = schema else {
            return Some(value);
        };
        qualified.sql.push_synthetic(".");
        qualified.append(&value);
        Some(qualified)
    }

    /// The outermost string expressions of the file, in source order, except those a
    /// binding or a docstring accounts for. Iterative: deep trees are fine.
    fn string_roots(&self, root: Node<'t>) -> Vec<Node<'t>> {
        let mut roots = Vec::new();
        let mut stack: Vec<(Node<'t>, Option<Node<'t>>, bool)> = vec![(root, None, false)];
        while let Some((node, parent, in_string)) = stack.pop() {
            let is_string = if in_string {
                S::continues_string(self.src, node)
            } else {
                S::builds_string(self.src, node)
            };
            if is_string && !in_string && !S::accounted_for(node, parent) {
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

/// Report a value that reached no known sink, if it reads like SQL and no sink has reported
/// its literals already.
fn report_loose(
    file: &FileInput<'_>,
    index: &LineIndex,
    value: &Value,
    function: Option<String>,
    at: usize,
    consumed: &mut HashSet<usize>,
    out: &mut FileScan,
) {
    if value.literals.iter().any(|l| consumed.contains(l)) {
        return;
    }
    if !file.ctx.may_match(value.sql.text.as_bytes()) && !value.sql.has_interpolation() {
        return;
    }
    if !sql_text::looks_like_sql(&value.sql.text) {
        return;
    }
    consumed.extend(value.literals.iter().copied());
    let site = sql_text::SqlSite {
        function,
        sink: None,
        fallback_offset: at,
    };
    sql_text::sql_findings(file, index, &value.sql, &site, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_qualify_and_nest() {
        let scopes = Scopes::new(vec![
            Scope {
                start: 10,
                end: 50,
                name: Some("m".into()),
                is_class: false,
            },
            Scope {
                start: 0,
                end: 100,
                name: Some("Repo".into()),
                is_class: true,
            },
            Scope {
                start: 20,
                end: 30,
                name: None,
                is_class: false,
            },
        ]);
        assert_eq!(scopes.qualified(25).as_deref(), Some("Repo.m"));
        // Many closed siblings before the position: still the right chain.
        let mut many: Vec<Scope> = (0..1000)
            .map(|i| Scope {
                start: 10 + i * 10,
                end: 15 + i * 10,
                name: Some(format!("f{i}")),
                is_class: false,
            })
            .collect();
        many.push(Scope {
            start: 0,
            end: 100_000,
            name: Some("Outer".into()),
            is_class: true,
        });
        let many = Scopes::new(many);
        assert_eq!(many.qualified(12).as_deref(), Some("Outer.f0"));
        assert_eq!(many.qualified(17).as_deref(), Some("Outer"));
        assert_eq!(many.qualified(9_992).as_deref(), Some("Outer.f998"));
        assert_eq!(many.qualified(200_000), None);
        assert_eq!(scopes.qualified(60).as_deref(), Some("Repo"));
        assert_eq!(scopes.qualified(200), None);
        assert_eq!(scopes.chain(25).len(), 3);
    }
}
