//! TypeScript and JavaScript extraction: one decoded `.ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs`
//! file in, raw-SQL findings out. `queries/typescript.scm` finds the shapes (calls, tagged
//! templates, SQL-looking literals, variable bindings, function definitions);
//! `catalog/typescript.toml` says which calls and tags run SQL. This file puts the SQL
//! text back together (string and template literals, `+`, `+=`, `[...].join(" ")`,
//! constants, nested sql`` fragments and identifier helpers) and hands it to
//! `code::sql_findings`, which classifies it and keeps the configured tables.
//!
//! Every walk here is either a tree-sitter query, a loop, or a recursion with a depth and
//! a work budget, so a pathological file (10,000 nested parentheses) cannot overflow the
//! stack or run for long.

use super::code::{self, Assembled, SqlSite, sql_findings, table_finding};
use super::{FileInput, FileScan, LineIndex, evidence};
use crate::catalog::{Catalog, Sink};
use crate::lang::Grammar;
use crate::model::{Access, Operation, Problem, SkipReason};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use tree_sitter::{Node, QueryCursor, StreamingIterator, Tree};

/// Capture names read from `queries/typescript.scm`. Names starting with `_` are helpers.
pub const CAPTURES: &[&str] = &[
    "alias.name",
    "alias.of",
    "append",
    "append.name",
    "append.value",
    "args",
    "call",
    "callee",
    "def.class",
    "def.default",
    "def.function",
    "def.name",
    "factory.name",
    "factory.of",
    "field.class",
    "field.name",
    "field.owner",
    "field.value",
    "literal",
    "scope",
    "tag",
    "tagged",
    "template",
    "var",
    "var.name",
    "var.value",
];

/// Deepest expression nesting followed when evaluating SQL text.
const MAX_DEPTH: usize = 48;
/// Most evaluation steps spent on one root expression (guards against exponential
/// re-evaluation of variables that refer to themselves).
const BUDGET: u32 = 20_000;
/// Most parents climbed from a literal to the expression that holds the whole statement.
const MAX_CLIMB: usize = 64;
/// Most extra evaluations of one root with a ternary flipped (`cond ? a : b` spliced
/// into a statement: the first non-empty branch is followed, then each other one).
const MAX_VARIANTS: usize = 4;
/// Most operands of one `+` chain.
const MAX_CONCAT: usize = 20_000;

/// Words a SQL statement may start with. Built-in sinks with generic names (`get`, `run`)
/// are only reported when their text starts with one of these (bare literals need the
/// stricter `code::looks_like_sql`).
const SQL_START: &[&str] = &[
    "alter", "analyze", "begin", "call", "cluster", "comment", "copy", "create", "delete", "do",
    "drop", "explain", "grant", "insert", "load", "lock", "merge", "prepare", "refresh", "reindex",
    "rename", "replace", "revoke", "select", "table", "truncate", "update", "upsert", "vacuum",
    "values", "with",
];

/// Calls whose string arguments are messages, not SQL (`new Error("Insert into … failed")`,
/// `logger.warn("Delete from … skipped")`): a bare literal passed to them is not reported.
const MESSAGE_CALLS: &[&str] = &[
    "AggregateError",
    "Error",
    "RangeError",
    "TypeError",
    "assert",
    "debug",
    "error",
    "fatal",
    "info",
    "log",
    "trace",
    "warn",
];

/// Methods of a SQL tag that splice raw text (`sql.raw('orders')`, `sql.unsafe('…')`).
const RAW_HELPERS: &[&str] = &["raw", "unsafe"];
/// Methods of a SQL tag that splice an identifier (`sql.identifier(['public', 'orders'])`,
/// Kysely `sql.table('orders')` / `sql.ref('public.orders')` / `sql.id('orders')`).
const IDENT_HELPERS: &[&str] = &["id", "ident", "identifier", "ref", "table"];

/// Extract findings from one TypeScript or JavaScript file, parsed with `grammar`.
pub fn extract(file: &FileInput<'_>, grammar: Grammar, tree: &Tree, out: &mut FileScan) {
    let root = tree.root_node();
    let index = LineIndex::new(file.text);
    let shapes = Shapes::collect(grammar, root, file.text);
    let scanner = Scanner {
        src: file.text,
        shapes: &shapes,
        catalog: file.ctx.catalog(file.language),
        budget: Cell::new(BUDGET),
        flipped: RefCell::new(HashSet::new()),
        ternaries: RefCell::new(Vec::new()),
    };
    scanner.report(file, &index, out);
}

/// Where the parser could not read the file, if anywhere. What parsed around it is still
/// analysed.
pub fn syntax_problem(file: &FileInput<'_>, tree: &Tree) -> Option<Problem> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    let offset = first_error(root)?;
    let (line, _) = LineIndex::new(file.text).position(file.text, offset);
    Some(Problem {
        file: file.rel.to_string(),
        line: Some(line),
        reason: SkipReason::SyntaxError,
        detail: "the parser could not read part of the file (a syntax error, or syntax \
                 tree-sitter-typescript does not support); the rest was analysed"
            .to_string(),
    })
}

/// Byte offset of the first syntax error (an ERROR or MISSING node), walking only into
/// subtrees that contain one. Iterative: deep trees do not grow the stack.
fn first_error(root: Node<'_>) -> Option<usize> {
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if node.is_error() || (node.is_missing() && !is_tagged_type_arguments_quirk(node)) {
            return Some(node.start_byte());
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

/// tree-sitter-typescript 0.23 cannot read type arguments on a tagged template
/// (`prisma.$queryRaw<Row[]>`…``, valid TypeScript): it recovers by inventing a zero-width
/// `!` after the instantiation expression. That is not the user's syntax error.
fn is_tagged_type_arguments_quirk(missing: Node<'_>) -> bool {
    missing.kind() == "!"
        && missing.parent().is_some_and(|p| {
            p.kind() == "non_null_expression"
                && named_children(p).any(|c| c.kind() == "instantiation_expression")
        })
}

/// A call that may be a sink.
struct Call<'t> {
    node: Node<'t>,
    callee: Node<'t>,
    args: Node<'t>,
}

/// A tagged template: `tag` applied to `template`.
struct Tagged<'t> {
    node: Node<'t>,
    tag: Node<'t>,
    template: Node<'t>,
}

/// A binding of a variable: `const q = v` / `q = v` (replace) or `q += v` (append).
#[derive(Clone, Copy)]
struct Event<'t> {
    /// Where the binding statement starts (its name), to order bindings and uses.
    offset: usize,
    /// Innermost function scope holding the binding (`MODULE` at top level).
    scope: usize,
    append: bool,
    value: Node<'t>,
}

/// Scope id of the module (top level).
const MODULE: usize = usize::MAX;

/// A named function, for the `function` of findings.
struct Function {
    start: usize,
    end: usize,
    name: String,
}

/// What the query found in one file, sorted by position.
struct Shapes<'t> {
    calls: Vec<Call<'t>>,
    tagged: Vec<Tagged<'t>>,
    literals: Vec<Node<'t>>,
    /// Bindings per variable name, in source order.
    events: HashMap<&'t str, Vec<Event<'t>>>,
    /// Function-like ranges (named or not), sorted by start.
    scopes: Vec<(usize, usize)>,
    functions: Vec<Function>,
    /// `import { a as b }`: b -> a (a call or a tag under another name).
    imports: HashMap<&'t str, &'t str>,
    /// `const b = a(…)`: b -> a (the tag returned by a factory such as `postgres(url)`).
    factories: HashMap<&'t str, &'t str>,
    parents: Parents<'t>,
    /// Class fields with an initializer, for `this.field` and `Class.field`.
    fields: Vec<Field<'t>>,
}

/// `class C { f = value }`.
struct Field<'t> {
    class: &'t str,
    /// The class's byte range (`this.f` resolves inside it).
    range: (usize, usize),
    name: &'t str,
    value: Node<'t>,
}

/// Parents of the nodes the bare-literal pass climbs through. `Node::parent` searches down
/// from the root (its cost grows with the depth), so one walk records them instead.
struct Parents<'t> {
    map: HashMap<usize, Node<'t>>,
}

impl<'t> Parents<'t> {
    /// Node kinds whose parent is recorded.
    const KINDS: &'static [&'static str] = &[
        "arguments",
        "array",
        "as_expression",
        "binary_expression",
        "call_expression",
        "member_expression",
        "non_null_expression",
        "parenthesized_expression",
        "satisfies_expression",
        "string",
        "template_string",
        "template_substitution",
    ];

    fn new(root: Node<'t>) -> Parents<'t> {
        let mut map = HashMap::new();
        let mut ancestors: Vec<Node<'t>> = Vec::new();
        let mut cursor = root.walk();
        loop {
            let node = cursor.node();
            if let Some(&parent) = ancestors.last()
                && Self::KINDS.contains(&node.kind())
            {
                map.insert(node.id(), parent);
            }
            if cursor.goto_first_child() {
                ancestors.push(node);
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() {
                    return Parents { map };
                }
                ancestors.pop();
            }
        }
    }

    fn of(&self, node: Node<'t>) -> Option<Node<'t>> {
        self.map.get(&node.id()).copied()
    }
}

impl<'t> Shapes<'t> {
    fn collect(grammar: Grammar, root: Node<'t>, src: &'t str) -> Shapes<'t> {
        let query = grammar.query();
        let names = query.capture_names();
        let mut calls = Vec::new();
        let mut tagged = Vec::new();
        let mut literals = Vec::new();
        let mut bindings: Vec<(&'t str, usize, bool, Node<'t>)> = Vec::new();
        let mut scopes = Vec::new();
        let mut imports = HashMap::new();
        let mut factories = HashMap::new();
        let mut fields = Vec::new();
        // (start, end) -> (name, qualified): a method is found by a qualified and a plain
        // pattern; the qualified name wins.
        let mut defs: BTreeMap<(usize, usize), (String, bool)> = BTreeMap::new();
        let text = |n: Node<'_>| src.get(n.byte_range()).unwrap_or("");

        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(query, root, src.as_bytes());
        while let Some(m) = matches.next() {
            let get = |name: &str| {
                m.captures()
                    .iter()
                    .find(|c| names[c.index as usize] == name)
                    .map(|c| c.node)
            };
            if let (Some(node), Some(callee), Some(args)) =
                (get("call"), get("callee"), get("args"))
            {
                calls.push(Call { node, callee, args });
            } else if let (Some(node), Some(tag), Some(template)) =
                (get("tagged"), get("tag"), get("template"))
            {
                tagged.push(Tagged {
                    node,
                    tag,
                    template,
                });
            } else if let Some(lit) = get("literal") {
                literals.push(lit);
            } else if let (Some(stmt), Some(name), Some(value)) =
                (get("var"), get("var.name"), get("var.value"))
            {
                bindings.push((text(name), stmt.start_byte(), false, value));
            } else if let (Some(stmt), Some(name), Some(value)) =
                (get("append"), get("append.name"), get("append.value"))
            {
                bindings.push((text(name), stmt.start_byte(), true, value));
            } else if let (Some(name), Some(of)) = (get("alias.name"), get("alias.of")) {
                imports.insert(text(name), text(of));
            } else if let (Some(name), Some(of)) = (get("factory.name"), get("factory.of")) {
                factories.insert(text(name), text(of));
            } else if let (Some(owner), Some(class), Some(name), Some(value)) = (
                get("field.owner"),
                get("field.class"),
                get("field.name"),
                get("field.value"),
            ) {
                fields.push(Field {
                    class: text(class),
                    range: (owner.start_byte(), owner.end_byte()),
                    name: text(name),
                    value,
                });
            } else if let Some(scope) = get("scope") {
                scopes.push((scope.start_byte(), scope.end_byte()));
            } else if let Some(function) = get("def.function") {
                let Some(name) = get("def.name") else {
                    continue;
                };
                let name = property_name(text(name));
                let (full, qualified) = match get("def.class") {
                    Some(class) => (format!("{}.{name}", text(class)), true),
                    None => (name, false),
                };
                let key = (function.start_byte(), function.end_byte());
                let slot = defs.entry(key).or_insert((full.clone(), qualified));
                if qualified && !slot.1 {
                    *slot = (full, true);
                }
            } else if let Some(function) = get("def.default") {
                defs.entry((function.start_byte(), function.end_byte()))
                    .or_insert(("default".to_string(), false));
            }
        }
        // Only the literal passes climb; most parsed files have no SQL-looking literal.
        let parents = if literals.is_empty() {
            Parents {
                map: HashMap::new(),
            }
        } else {
            Parents::new(root)
        };
        // sql<Row>`…` (see `tagged_parts`): found from its template literal.
        for &lit in &literals {
            if let Some(parent) = parents.of(lit)
                && let Some((tag, template)) = tagged_parts(parent)
                && template.id() == lit.id()
            {
                tagged.push(Tagged {
                    node: parent,
                    tag,
                    template,
                });
            }
        }
        calls.sort_by_key(|c| (c.node.start_byte(), c.node.end_byte()));
        tagged.sort_by_key(|t| (t.node.start_byte(), t.node.end_byte()));
        literals.sort_by_key(|l| l.start_byte());
        literals.dedup_by_key(|l| l.start_byte());
        scopes.sort_by_key(|&(s, e)| (s, std::cmp::Reverse(e)));
        scopes.dedup();
        let mut shapes = Shapes {
            calls,
            tagged,
            literals,
            events: HashMap::new(),
            scopes,
            functions: defs
                .into_iter()
                .map(|((start, end), (name, _))| Function { start, end, name })
                .collect(),
            imports,
            factories,
            parents,
            fields,
        };
        bindings.sort_by_key(|b| b.1);
        for (name, offset, append, value) in bindings {
            let scope = shapes.innermost_scope(offset);
            shapes.events.entry(name).or_default().push(Event {
                offset,
                scope,
                append,
                value,
            });
        }
        shapes
    }

    /// The innermost function scope containing `offset`.
    fn innermost_scope(&self, offset: usize) -> usize {
        let mut best = MODULE;
        for (i, &(s, e)) in self.scopes.iter().enumerate() {
            if s > offset {
                break;
            }
            // Sorted by start, so a later containing range is nested in an earlier one.
            if offset < e {
                best = i;
            }
        }
        best
    }

    /// Scopes containing `offset`, innermost first, ending with `MODULE`.
    fn scope_chain(&self, offset: usize) -> Vec<usize> {
        let mut chain: Vec<usize> = self
            .scopes
            .iter()
            .enumerate()
            .take_while(|(_, (s, _))| *s <= offset)
            .filter(|(_, (_, e))| offset < *e)
            .map(|(i, _)| i)
            .collect();
        chain.reverse();
        chain.push(MODULE);
        chain
    }

    /// The bindings of `name` visible at `at`: those of the innermost scope around `at`
    /// that binds the name, and of the scopes between it and `at`.
    fn visible(&self, name: &str, at: usize) -> Vec<Event<'t>> {
        let Some(events) = self.events.get(name) else {
            return Vec::new();
        };
        let chain = self.scope_chain(at);
        let Some(decl) = chain
            .iter()
            .position(|s| events.iter().any(|e| e.scope == *s))
        else {
            return Vec::new();
        };
        let allowed = &chain[..=decl];
        events
            .iter()
            .filter(|e| allowed.contains(&e.scope))
            .copied()
            .collect()
    }

    /// The innermost named function around `offset`.
    fn function_at(&self, offset: usize) -> Option<String> {
        self.functions
            .iter()
            .filter(|f| f.start <= offset && offset < f.end)
            .max_by_key(|f| (f.start, std::cmp::Reverse(f.end)))
            .map(|f| f.name.clone())
    }
}

/// A property or method name as written, without quotes (`'create'` -> `create`).
fn property_name(raw: &str) -> String {
    raw.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .to_string()
}

/// An evaluated expression.
struct Val {
    sql: Assembled,
    /// Built by a SQL tag or helper (sql`…`, `sql.identifier(…)`): spliced as SQL text
    /// into an enclosing tagged template, where other interpolations are bound values.
    fragment: bool,
    /// Holds literal text (not only interpolation markers).
    text: bool,
}

/// One SQL text found at a sink, before reporting.
struct Pending {
    sql: Assembled,
    site: SqlSite,
    /// The template of a tagged template, which another sink may contain.
    own: Option<usize>,
    /// Literals and templates read to build the text.
    touched: Vec<usize>,
    /// Whether the text must start like a statement (built-in sinks).
    gated: bool,
    /// Another reading of the same site (a ternary flipped): adds only the table uses the
    /// first reading did not give.
    variant: bool,
}

struct Scanner<'a, 't> {
    src: &'t str,
    shapes: &'a Shapes<'t>,
    catalog: &'a Catalog,
    budget: Cell<u32>,
    /// Ternaries (node ids) that take their other branch in this evaluation.
    flipped: RefCell<HashSet<usize>>,
    /// Ternaries met in this evaluation with a branch to flip.
    ternaries: RefCell<Vec<usize>>,
}

impl<'t> Scanner<'_, 't> {
    fn text(&self, node: Node<'_>) -> &'t str {
        self.src.get(node.byte_range()).unwrap_or("")
    }

    /// Source text with whitespace and optional-chaining marks removed, for call names.
    fn compact(&self, node: Node<'_>) -> String {
        self.text(node)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '?' && *c != '!')
            .collect()
    }

    fn report(&self, file: &FileInput<'_>, index: &LineIndex, out: &mut FileScan) {
        let mut pending = Vec::new();
        for call in &self.shapes.calls {
            self.sink_call(call, file, index, &mut pending, out);
        }
        for tagged in &self.shapes.tagged {
            self.sink_tagged(tagged, &mut pending);
        }
        // A tagged template that another sink spliced in (a fragment, or the argument of
        // `db.execute(sql`…`)`) is reported once, by that sink.
        let mut inside_other = HashSet::new();
        for p in &pending {
            inside_other.extend(p.touched.iter().copied().filter(|t| Some(*t) != p.own));
        }
        let mut touched: HashSet<usize> = HashSet::new();
        for p in &pending {
            touched.extend(p.touched.iter().copied());
        }
        for p in pending {
            if p.own.is_some_and(|own| inside_other.contains(&own)) {
                continue;
            }
            if p.gated && !starts_like_statement(&p.sql.text) {
                continue;
            }
            if p.variant {
                add_new_uses(file, index, &p.sql, &p.site, out);
            } else {
                sql_findings(file, index, &p.sql, &p.site, out);
            }
        }
        self.bare_literals(file, index, &mut touched, out);
    }

    /// Evaluate a root, then again with each ternary it met flipped (bounded): every
    /// reading with text, with the literals it read.
    fn variants(&self, eval: &dyn Fn(&mut Vec<usize>) -> Option<Val>) -> Vec<(Val, Vec<usize>)> {
        self.flipped.borrow_mut().clear();
        self.ternaries.borrow_mut().clear();
        self.budget.set(BUDGET);
        let mut out = Vec::new();
        let mut touched = Vec::new();
        if let Some(v) = eval(&mut touched) {
            out.push((v, touched));
        }
        // In the order met (node ids are addresses: sorting them would not be stable).
        let mut seen = HashSet::new();
        let met: Vec<usize> = self
            .ternaries
            .take()
            .into_iter()
            .filter(|id| seen.insert(*id))
            .collect();
        for id in met.into_iter().take(MAX_VARIANTS) {
            *self.flipped.borrow_mut() = HashSet::from([id]);
            self.ternaries.borrow_mut().clear();
            self.budget.set(BUDGET);
            let mut touched = Vec::new();
            if let Some(v) = eval(&mut touched) {
                out.push((v, touched));
            }
        }
        self.flipped.borrow_mut().clear();
        out
    }

    /// A call whose callee is in the catalog: evaluate its SQL (or table) argument.
    fn sink_call(
        &self,
        call: &Call<'t>,
        file: &FileInput<'_>,
        index: &LineIndex,
        pending: &mut Vec<Pending>,
        out: &mut FileScan,
    ) {
        let callee = unwrap_expression(call.callee);
        let (receiver, method) = match callee.kind() {
            "member_expression" => {
                let Some(prop) = callee.child_by_field_name("property") else {
                    return;
                };
                let object = callee
                    .child_by_field_name("object")
                    .map(|o| self.compact(o));
                (object, self.text(prop))
            }
            "identifier" => (None, self.text(callee)),
            _ => return,
        };
        let sink = self
            .catalog
            .lookup_call(receiver.as_deref(), method)
            .or_else(|| match (&receiver, self.shapes.imports.get(method)) {
                (None, Some(original)) => self.catalog.lookup_call(None, original),
                _ => None,
            });
        let Some(sink) = sink else {
            return;
        };
        let site = SqlSite {
            function: self.shapes.function_at(call.node.start_byte()),
            sink: Some(self.compact(callee)),
            fallback_offset: call.node.start_byte(),
        };
        if let Some(n) = sink.sql_arg {
            let Some(arg) = argument(call.args, n) else {
                return;
            };
            // pg / mysql config objects: `query({ text: '…', values })`, `{ sql: '…' }`.
            let arg = if arg.kind() == "object" {
                match object_property(self.src, arg, &["text", "sql", "query"]) {
                    Some(v) => v,
                    None => return,
                }
            } else {
                arg
            };
            let readings = self.variants(&|touched| self.eval(arg, 0, touched));
            for (i, (v, touched)) in readings.into_iter().enumerate() {
                if v.text {
                    pending.push(Pending {
                        sql: v.sql,
                        site: site.clone(),
                        own: None,
                        touched,
                        gated: !is_user_sink(sink),
                        variant: i > 0,
                    });
                }
            }
        } else if let Some(n) = sink.table_arg {
            let Some(arg) = argument(call.args, n) else {
                return;
            };
            let mut touched = Vec::new();
            self.budget.set(BUDGET);
            if let Some(v) = self.eval(arg, 0, &mut touched)
                && v.text
                && !v.sql.has_interpolation()
            {
                let at = site.placed(
                    file,
                    index,
                    arg.start_byte(),
                    evidence(self.text(call.node)),
                );
                let access = sink.access.unwrap_or(Access::Write);
                let operation = sink.operation.unwrap_or(Operation::Copy);
                table_finding(file, &at, v.sql.text.trim(), (access, operation), out);
            }
        }
    }

    /// A template with a SQL tag (sql`…`, prisma.$queryRaw`…`).
    fn sink_tagged(&self, tagged: &Tagged<'t>, pending: &mut Vec<Pending>) {
        if self.sql_tag(tagged.tag).is_none() {
            return;
        }
        let site = SqlSite {
            function: self.shapes.function_at(tagged.node.start_byte()),
            sink: Some(self.compact(tag_name_node(tagged.tag))),
            fallback_offset: tagged.template.start_byte(),
        };
        let readings =
            self.variants(&|touched| self.template(tagged.template, true, false, 0, touched));
        for (i, (v, touched)) in readings.into_iter().enumerate() {
            pending.push(Pending {
                sql: v.sql,
                site: site.clone(),
                own: Some(tagged.template.start_byte()),
                touched,
                gated: true,
                variant: i > 0,
            });
        }
    }

    /// The catalog row of a template tag: tried as written, then its last and its first
    /// segment (`Prisma.sql` -> `sql`, `sql.type(Row)` -> `sql`).
    fn sql_tag(&self, tag: Node<'_>) -> Option<&Sink> {
        let mut tag = tag_name_node(tag);
        if tag.kind() == "call_expression" {
            tag = unwrap_expression(tag.child_by_field_name("function")?);
        }
        let written = self.compact(tag);
        let last = written.rsplit('.').next().unwrap_or(&written);
        let first = written.split('.').next().unwrap_or(&written);
        let renamed = |name: &str| {
            self.shapes
                .imports
                .get(name)
                .or_else(|| self.shapes.factories.get(name))
                .and_then(|original| self.catalog.tagged(original))
        };
        self.catalog
            .tagged(&written)
            .or_else(|| self.catalog.tagged(last))
            .or_else(|| self.catalog.tagged(first))
            .or_else(|| renamed(first))
    }

    /// SQL-looking literals that no sink consumed: reported without a sink when they touch
    /// a configured table (a constant passed to a wrapper we do not know, a query built in
    /// one module and run in another).
    fn bare_literals(
        &self,
        file: &FileInput<'_>,
        index: &LineIndex,
        touched: &mut HashSet<usize>,
        out: &mut FileScan,
    ) {
        for &lit in &self.shapes.literals {
            if touched.contains(&lit.start_byte()) {
                continue;
            }
            let root = climb(lit, self.src, &self.shapes.parents);
            if self.is_message(root) {
                touched.insert(lit.start_byte());
                continue;
            }
            touched.insert(lit.start_byte());
            let binding = self.binding_of(root);
            let readings = self.variants(&|seen| match binding {
                Some(name) => self.binding_value(name, root, seen),
                None => self.eval(root, 0, seen),
            });
            let site = SqlSite {
                function: self.shapes.function_at(root.start_byte()),
                sink: None,
                fallback_offset: lit.start_byte(),
            };
            for (i, (v, seen)) in readings.into_iter().enumerate() {
                touched.extend(seen);
                // A bare literal must read like a statement (verb and its object), not
                // like a message that names a table.
                if !v.text || !code::looks_like_sql(&v.sql.text) {
                    continue;
                }
                if i == 0 {
                    sql_findings(file, index, &v.sql, &site, out);
                } else {
                    add_new_uses(file, index, &v.sql, &site, out);
                }
            }
        }
    }

    /// Whether `root` is thrown or is an argument of an error constructor or a logging call.
    fn is_message(&self, root: Node<'t>) -> bool {
        let parents = &self.shapes.parents;
        let Some(parent) = parents.of(root) else {
            return false;
        };
        if parent.kind() == "throw_statement" {
            return true;
        }
        if parent.kind() != "arguments" {
            return false;
        }
        let callee = parents.of(parent).and_then(|call| match call.kind() {
            "call_expression" => call.child_by_field_name("function"),
            "new_expression" => call.child_by_field_name("constructor"),
            _ => None,
        });
        callee.is_some_and(|c| {
            let name = self.text(c);
            let last = name.rsplit('.').next().unwrap_or(name).trim();
            MESSAGE_CALLS.binary_search(&last).is_ok()
        })
    }

    /// The variable `root` is bound to, when it is the whole value of a binding.
    fn binding_of(&self, root: Node<'t>) -> Option<&'t str> {
        let parent = self.shapes.parents.of(root)?;
        let (name_field, value_field) = match parent.kind() {
            "variable_declarator" => ("name", "value"),
            "assignment_expression" | "augmented_assignment_expression" => ("left", "right"),
            _ => return None,
        };
        let value = parent.child_by_field_name(value_field)?;
        if value.id() != root.id() {
            return None;
        }
        let name = parent.child_by_field_name(name_field)?;
        (name.kind() == "identifier").then(|| self.text(name))
    }

    /// A variable's value from the binding holding `root` through the appends that follow
    /// it, up to the next replacement: `let q = "…"; q += "…";` is one statement.
    fn binding_value(&self, name: &str, root: Node<'t>, touched: &mut Vec<usize>) -> Option<Val> {
        let events = self.shapes.visible(name, root.start_byte());
        let at = events.iter().position(|e| e.value.id() == root.id())?;
        let start = events[..=at].iter().rposition(|e| !e.append).unwrap_or(0);
        let end = events[at + 1..]
            .iter()
            .position(|e| !e.append)
            .map_or(events.len(), |p| at + 1 + p);
        self.fold(&events[start..end], 0, touched)
    }

    /// Fold bindings into one value: a replacement starts over, an append adds.
    fn fold(&self, events: &[Event<'t>], depth: usize, touched: &mut Vec<usize>) -> Option<Val> {
        let start = events.iter().rposition(|e| !e.append).unwrap_or(0);
        let mut out = Val {
            sql: Assembled::new(),
            fragment: false,
            text: false,
        };
        for e in &events[start..] {
            match self.eval(e.value, depth + 1, touched) {
                Some(v) => {
                    out.sql.append(&v.sql);
                    out.text |= v.text;
                    out.fragment |= v.fragment;
                }
                None => out
                    .sql
                    .push_interpolation(self.text(e.value), e.value.start_byte()),
            }
        }
        out.text.then_some(out)
    }

    /// The value of variable `name` where it is used at `at`.
    fn variable(
        &self,
        name: &str,
        at: usize,
        depth: usize,
        touched: &mut Vec<usize>,
    ) -> Option<Val> {
        let events = self.shapes.visible(name, at);
        let before: Vec<Event<'t>> = events.iter().filter(|e| e.offset < at).copied().collect();
        // A module-level constant used in a function written above it.
        let events = if before.is_empty()
            && events.iter().all(|e| e.scope == MODULE)
            && self.shapes.innermost_scope(at) != MODULE
        {
            events
        } else {
            before
        };
        if events.is_empty() {
            return None;
        }
        self.fold(&events, depth, touched)
    }

    /// The expression last bound to `name` before `at` (for `CONST.member` lookups).
    fn bound_expression(&self, name: &str, at: usize) -> Option<Node<'t>> {
        let events = self.shapes.visible(name, at);
        events
            .iter()
            .filter(|e| !e.append)
            .rfind(|e| e.offset < at)
            .or_else(|| events.iter().rfind(|e| !e.append && e.scope == MODULE))
            .map(|e| e.value)
    }

    /// The initializer of a class field read as `this.name` (inside the class) or
    /// `Class.name`.
    fn field(&self, object: Node<'t>, name: &str, at: usize) -> Option<Node<'t>> {
        let fields = self.shapes.fields.iter().filter(|f| f.name == name);
        match object.kind() {
            "this" => fields
                .filter(|f| f.range.0 <= at && at < f.range.1)
                .max_by_key(|f| f.range.0)
                .map(|f| f.value),
            "identifier" => {
                let class = self.text(object);
                fields.filter(|f| f.class == class).map(|f| f.value).next()
            }
            _ => None,
        }
    }

    /// Evaluate an expression to SQL text, when it is built from literals. `None` when the
    /// expression is not text we can follow (a call result, a parameter…).
    fn eval(&self, node: Node<'t>, depth: usize, touched: &mut Vec<usize>) -> Option<Val> {
        if depth > MAX_DEPTH {
            return None;
        }
        let left = self.budget.get();
        if left == 0 {
            return None;
        }
        self.budget.set(left - 1);
        match node.kind() {
            "string" => {
                touched.push(node.start_byte());
                let mut sql = Assembled::new();
                self.literal_pieces(node, false, &mut sql, &mut |_, _| {});
                Some(Val {
                    sql,
                    fragment: false,
                    text: true,
                })
            }
            "template_string" => self.template(node, false, false, depth, touched),
            "binary_expression" => match tagged_parts(node) {
                Some((tag, template)) if self.sql_tag(tag).is_some() => {
                    let mut v = self.template(template, true, false, depth, touched)?;
                    v.fragment = true;
                    Some(v)
                }
                _ => self.concat(node, depth, touched),
            },
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "await_expression" => {
                let inner = unwrap_expression(node);
                if inner.id() == node.id() {
                    return None;
                }
                self.eval(inner, depth + 1, touched)
            }
            "identifier" | "shorthand_property_identifier" => {
                self.variable(self.text(node), node.start_byte(), depth + 1, touched)
            }
            "member_expression" => {
                // QUERIES.insertOrder, where `const QUERIES = { insertOrder: "…" }`;
                // this.findSql / OrderRepo.SQL, class fields.
                let object = node.child_by_field_name("object")?;
                let prop = node.child_by_field_name("property")?;
                if let Some(value) = self.field(object, self.text(prop), node.start_byte()) {
                    return self.eval(value, depth + 1, touched);
                }
                if object.kind() != "identifier" {
                    return None;
                }
                let bound = self.bound_expression(self.text(object), node.start_byte())?;
                let bound = unwrap_expression(bound);
                if bound.kind() != "object" {
                    return None;
                }
                let value = object_property(self.src, bound, &[self.text(prop)])?;
                self.eval(value, depth + 1, touched)
            }
            // cond ? sql`WHERE …` : sql`` — the first branch that is text; the other
            // branch's literals stay unread, so the bare-literal pass still sees them.
            "ternary_expression" => {
                let flip = self.flipped.borrow().contains(&node.id());
                if !flip {
                    self.ternaries.borrow_mut().push(node.id());
                }
                let order = if flip {
                    ["alternative", "consequence"]
                } else {
                    ["consequence", "alternative"]
                };
                for field in order {
                    let branch = node.child_by_field_name(field)?;
                    let mut seen = Vec::new();
                    if let Some(v) = self.eval(branch, depth + 1, &mut seen)
                        && v.text
                        && !v.sql.is_empty()
                    {
                        touched.extend(seen);
                        return Some(v);
                    }
                }
                None
            }
            "call_expression" => self.eval_call(node, depth, touched),
            _ => None,
        }
    }

    /// Calls that build SQL text: tagged templates, `[…].join(sep)`, `.trim()`,
    /// `.concat(…)`, and the raw / identifier helpers of SQL tags.
    fn eval_call(&self, node: Node<'t>, depth: usize, touched: &mut Vec<usize>) -> Option<Val> {
        let function = node.child_by_field_name("function")?;
        let args = node.child_by_field_name("arguments")?;
        if args.kind() == "template_string" {
            if self.sql_tag(function).is_some() {
                let mut v = self.template(args, true, false, depth, touched)?;
                v.fragment = true;
                return Some(v);
            }
            // String.raw`…` (migrations kept in code): the text with escapes left as written.
            if self.compact(function) == "String.raw" {
                return self.template(args, false, true, depth, touched);
            }
            return None;
        }
        match function.kind() {
            "member_expression" => {
                let object = function.child_by_field_name("object")?;
                let method = self.text(function.child_by_field_name("property")?);
                match method {
                    "join" => self.join(object, args, depth, touched),
                    "trim" | "trimStart" | "trimEnd" | "toString" => {
                        self.eval(object, depth + 1, touched)
                    }
                    "concat" => {
                        let mut v = self.eval(object, depth + 1, touched)?;
                        for a in named_children(args).filter(|c| c.kind() != "comment") {
                            self.push_part(&mut v, a, depth, touched);
                        }
                        Some(v)
                    }
                    _ if object.kind() == "identifier" && RAW_HELPERS.contains(&method) => {
                        Some(self.helper(node, args, false, depth, touched))
                    }
                    _ if object.kind() == "identifier" && IDENT_HELPERS.contains(&method) => {
                        Some(self.helper(node, args, true, depth, touched))
                    }
                    _ => None,
                }
            }
            // postgres.js: sql(table) inside sql`…` names an identifier.
            "identifier" if self.sql_tag(function).is_some() => {
                Some(self.helper(node, args, true, depth, touched))
            }
            _ => None,
        }
    }

    /// `sql.raw(text)` (raw = true) or `sql.identifier(['schema', 'name'])`: a fragment with
    /// the text or the quoted identifier, or an interpolation marker when the argument is
    /// not a literal.
    fn helper(
        &self,
        call: Node<'t>,
        args: Node<'t>,
        ident: bool,
        depth: usize,
        touched: &mut Vec<usize>,
    ) -> Val {
        let mut out = Val {
            sql: Assembled::new(),
            fragment: true,
            text: false,
        };
        let arg = argument(args, 0);
        let parts: Option<Vec<(String, usize, usize)>> = arg.and_then(|arg| {
            let items: Vec<Node<'t>> = if arg.kind() == "array" {
                named_children(arg)
                    .filter(|c| c.kind() != "comment")
                    .collect()
            } else {
                vec![arg]
            };
            items
                .into_iter()
                .map(|item| {
                    let v = self.eval(item, depth + 1, touched)?;
                    (v.text && !v.sql.has_interpolation()).then(|| {
                        (
                            v.sql.text,
                            item.start_byte(),
                            item.end_byte() - item.start_byte(),
                        )
                    })
                })
                .collect()
        });
        match parts {
            Some(parts) if !parts.is_empty() => {
                let mut first = true;
                for (text, start, len) in parts {
                    if ident {
                        for seg in text.split('.') {
                            if !first {
                                out.sql.push_synthetic(".");
                            }
                            first = false;
                            out.sql.push_literal(
                                &format!("\"{}\"", seg.replace('"', "\"\"")),
                                start,
                                len,
                            );
                        }
                    } else {
                        out.sql.push_literal(&text, start, len);
                    }
                }
                out.text = true;
            }
            _ => out
                .sql
                .push_interpolation(self.text(call), call.start_byte()),
        }
        out
    }

    /// `[a, b, c].join(sep)`: the elements joined with the separator (`,` by default).
    fn join(
        &self,
        array: Node<'t>,
        args: Node<'t>,
        depth: usize,
        touched: &mut Vec<usize>,
    ) -> Option<Val> {
        let array = unwrap_expression(array);
        let items: Vec<Node<'t>> = match array.kind() {
            "array" => named_children(array)
                .filter(|c| c.kind() != "comment")
                .collect(),
            "identifier" => {
                let bound = self.bound_expression(self.text(array), array.start_byte())?;
                let bound = unwrap_expression(bound);
                if bound.kind() != "array" {
                    return None;
                }
                named_children(bound)
                    .filter(|c| c.kind() != "comment")
                    .collect()
            }
            _ => return None,
        };
        let sep = match argument(args, 0) {
            Some(a) => {
                let v = self.eval(a, depth + 1, touched)?;
                if v.sql.has_interpolation() {
                    return None;
                }
                v.sql.text
            }
            None => ",".to_string(),
        };
        let mut out = Val {
            sql: Assembled::new(),
            fragment: false,
            text: false,
        };
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                out.sql.push_synthetic(&sep);
            }
            self.push_part(&mut out, item, depth, touched);
        }
        out.text.then_some(out)
    }

    /// Append one operand: its text when it evaluates, else a marker for the expression.
    fn push_part(&self, out: &mut Val, part: Node<'t>, depth: usize, touched: &mut Vec<usize>) {
        match self.eval(part, depth + 1, touched) {
            Some(v) if v.text => {
                out.sql.append(&v.sql);
                out.text = true;
            }
            _ => out
                .sql
                .push_interpolation(self.text(part), part.start_byte()),
        }
    }

    /// A `+` chain, flattened with a loop (a 10,000-operand concatenation is a deep
    /// left-nested tree). `None` when no operand is text (numeric addition).
    fn concat(&self, node: Node<'t>, depth: usize, touched: &mut Vec<usize>) -> Option<Val> {
        let mut operands = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            let is_plus = n.kind() == "binary_expression"
                && n.child_by_field_name("operator")
                    .is_some_and(|op| op.kind() == "+");
            if is_plus {
                let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return None;
                };
                stack.push(r);
                stack.push(l);
            } else {
                operands.push(n);
            }
            if operands.len() + stack.len() > MAX_CONCAT {
                return None;
            }
        }
        if operands.len() < 2 {
            return None;
        }
        let mut out = Val {
            sql: Assembled::new(),
            fragment: false,
            text: false,
        };
        for part in operands {
            self.push_part(&mut out, part, depth, touched);
        }
        out.text.then_some(out)
    }

    /// A template literal. Untagged: an interpolation that evaluates to text is inlined
    /// (`${TABLE}` with `const TABLE = "orders"`), anything else becomes a marker. Tagged
    /// with a SQL tag: interpolations are bound parameters (markers) unless they are SQL
    /// fragments (nested sql`…`, `sql.identifier(…)`, `sql.raw(…)`).
    fn template(
        &self,
        node: Node<'t>,
        tagged: bool,
        raw: bool,
        depth: usize,
        touched: &mut Vec<usize>,
    ) -> Option<Val> {
        touched.push(node.start_byte());
        let mut sql = Assembled::new();
        let mut spliced_text = false;
        let literal_text = self.literal_pieces(node, raw, &mut sql, &mut |sql, sub| {
            let Some(expr) = named_children(sub).find(|c| c.kind() != "comment") else {
                return;
            };
            // `$${n}` builds a numbered placeholder: keep it one (`$1`), not `$marker`.
            if sql.text.ends_with('$') {
                sql.push_synthetic("1");
                return;
            }
            match self.eval(expr, depth + 1, touched) {
                Some(v) if v.fragment || (!tagged && v.text) => {
                    spliced_text |= v.text;
                    sql.append(&v.sql);
                }
                _ => sql.push_interpolation(self.text(expr), expr.start_byte()),
            }
        });
        Some(Val {
            sql,
            fragment: false,
            text: literal_text || spliced_text,
        })
    }

    /// Walk a string or template literal's content: raw text and decoded escapes go to
    /// `sql` with their source positions; each `${…}` substitution is passed to `on_sub`.
    /// Returns whether the literal has any non-blank text of its own.
    fn literal_pieces(
        &self,
        node: Node<'t>,
        raw: bool,
        sql: &mut Assembled,
        on_sub: &mut dyn FnMut(&mut Assembled, Node<'t>),
    ) -> bool {
        let (start, end) = content_range(self.src, node);
        let mut pos = start;
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            let (cs, ce) = (child.start_byte(), child.end_byte());
            if cs < start || ce > end || cs < pos {
                continue;
            }
            match child.kind() {
                "escape_sequence" if !raw => {
                    self.raw_text(pos, cs, sql);
                    sql.push_literal(&unescape(self.text(child)), cs, ce - cs);
                    pos = ce;
                }
                "template_substitution" => {
                    self.raw_text(pos, cs, sql);
                    on_sub(sql, child);
                    pos = ce;
                }
                _ => {}
            }
        }
        self.raw_text(pos, end, sql);
        let mut cursor = node.walk();
        let subs: Vec<(usize, usize)> = node
            .children(&mut cursor)
            .filter(|c| c.kind() == "template_substitution")
            .map(|c| (c.start_byte(), c.end_byte()))
            .collect();
        // Non-blank text outside the substitutions.
        let mut from = start;
        for (s, e) in subs.into_iter().chain([(end, end)]) {
            if self
                .src
                .get(from..s.max(from))
                .is_some_and(|t| !t.trim().is_empty())
            {
                return true;
            }
            from = e;
        }
        false
    }

    fn raw_text(&self, from: usize, to: usize, sql: &mut Assembled) {
        if from < to
            && let Some(t) = self.src.get(from..to)
        {
            sql.push_literal(t, from, to - from);
        }
    }
}

/// Findings of another reading of a site (a ternary flipped), keeping only the (table,
/// access, operation) at a position that the first reading did not already give.
fn add_new_uses(
    file: &FileInput<'_>,
    index: &LineIndex,
    sql: &Assembled,
    site: &SqlSite,
    out: &mut FileScan,
) {
    let mut extra = FileScan::default();
    sql_findings(file, index, sql, site, &mut extra);
    for f in extra.findings {
        let known = out.findings.iter().any(|g| {
            (g.line, g.column, &g.table, g.access, g.operation)
                == (f.line, f.column, &f.table, f.access, f.operation)
        });
        if !known {
            out.findings.push(f);
        }
    }
}

/// Whether a sink row came from the user's `[[sinks]]` (reported without the SQL gate).
fn is_user_sink(sink: &Sink) -> bool {
    sink.library == "cutover.toml"
}

/// The content of a string or template literal, without its delimiters (an unterminated
/// literal in broken code keeps its end).
fn content_range(src: &str, node: Node<'_>) -> (usize, usize) {
    let (s, e) = (node.start_byte(), node.end_byte());
    let bytes = src.as_bytes();
    let open = bytes.get(s).copied();
    let start = if matches!(open, Some(b'"' | b'\'' | b'`')) {
        s + 1
    } else {
        s
    };
    let end = if e > start && e >= 1 && bytes.get(e - 1).copied() == open {
        e - 1
    } else {
        e
    };
    (start, end.max(start))
}

/// Decode one JS escape sequence (`\n`, `\'`, `\x41`, `\u0041`, `\u{1F600}`, a line
/// continuation).
fn unescape(esc: &str) -> String {
    let Some(body) = esc.strip_prefix('\\') else {
        return esc.to_string();
    };
    let hex = |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
    let decoded = match body.chars().next() {
        Some('n') => Some('\n'),
        Some('r') => Some('\r'),
        Some('t') => Some('\t'),
        Some('b') => Some('\u{8}'),
        Some('f') => Some('\u{c}'),
        Some('v') => Some('\u{b}'),
        Some('0') if body.len() == 1 => Some('\0'),
        Some('x') => hex(&body[1..]),
        Some('u') => hex(body[1..].trim_start_matches('{').trim_end_matches('}')),
        Some('\n' | '\r' | '\u{2028}' | '\u{2029}') => return String::new(),
        Some(c) => Some(c),
        None => None,
    };
    decoded.map(String::from).unwrap_or_default()
}

/// Whether `text` starts like a SQL statement (after blanks, parentheses and comments).
fn starts_like_statement(text: &str) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    SQL_START.binary_search(&word.as_str()).is_ok()
}

/// Climb from a literal to the expression that holds the whole statement: through `+`,
/// parentheses, type assertions, untagged template substitutions and `[…].join()`.
fn climb<'t>(lit: Node<'t>, src: &str, parents: &Parents<'t>) -> Node<'t> {
    let mut node = lit;
    for _ in 0..MAX_CLIMB {
        let Some(parent) = parents.of(node) else {
            break;
        };
        let next = match parent.kind() {
            "binary_expression"
                if parent
                    .child_by_field_name("operator")
                    .is_some_and(|op| op.kind() == "+") =>
            {
                Some(parent)
            }
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "template_substitution" => Some(parent),
            // String.raw`…` is plain text.
            "call_expression"
                if node.kind() == "template_string"
                    && parent
                        .child_by_field_name("function")
                        .and_then(|f| src.get(f.byte_range()))
                        == Some("String.raw") =>
            {
                Some(parent)
            }
            // A substitution's template, unless it is tagged (then the tag decides).
            "template_string"
                if node.kind() == "template_substitution"
                    && parents
                        .of(parent)
                        .is_none_or(|p| p.kind() != "call_expression") =>
            {
                Some(parent)
            }
            // [ … ].join(sep): array -> member_expression -> call_expression
            "array" => parents
                .of(parent)
                .filter(|m| {
                    m.kind() == "member_expression"
                        && m.child_by_field_name("property")
                            .and_then(|p| src.get(p.byte_range()))
                            == Some("join")
                })
                .and_then(|m| parents.of(m))
                .filter(|c| c.kind() == "call_expression"),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// The expression naming a template's tag. Type arguments confuse the grammars:
/// `r = await db.$queryRaw<{ n: number }[]>`…`` parses as a call whose callee is the whole
/// `r = await db.$queryRaw<…>` (an assignment around an instantiation expression).
fn tag_name_node(tag: Node<'_>) -> Node<'_> {
    let mut node = tag;
    for _ in 0..MAX_CLIMB {
        let next = match node.kind() {
            "assignment_expression" => node.child_by_field_name("right"),
            "instantiation_expression" => named_children(node).next(),
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "await_expression"
            | "non_null_expression" => named_children(node).find(|c| !is_type(c.kind())),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    node
}

/// `sql<Row>`…``, which the grammars read as `(sql < Row) > `…``: (tag, template).
fn tagged_parts(node: Node<'_>) -> Option<(Node<'_>, Node<'_>)> {
    let op = node.child_by_field_name("operator")?;
    let right = node.child_by_field_name("right")?;
    let left = node.child_by_field_name("left")?;
    if op.kind() != ">" || right.kind() != "template_string" || left.kind() != "binary_expression" {
        return None;
    }
    let inner_op = left.child_by_field_name("operator")?;
    (inner_op.kind() == "<").then_some((left.child_by_field_name("left")?, right))
}

/// Strip parentheses, `await` and type assertions around an expression (a loop, so
/// `((((…))))` of any depth costs no stack).
fn unwrap_expression(mut node: Node<'_>) -> Node<'_> {
    let wrapper = |n: Node<'_>| {
        matches!(
            n.kind(),
            "parenthesized_expression"
                | "as_expression"
                | "satisfies_expression"
                | "await_expression"
                | "non_null_expression"
        )
    };
    while wrapper(node)
        && let Some(inner) = named_children(node).find(|c| !is_type(c.kind()))
    {
        node = inner;
    }
    node
}

fn is_type(kind: &str) -> bool {
    kind == "comment"
        || kind.ends_with("_type")
        || kind == "type_identifier"
        || kind == "type_annotation"
}

fn named_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    (0..node.named_child_count()).filter_map(move |i| node.named_child(i as u32))
}

/// The `n`th argument of a call (comments skipped).
fn argument(args: Node<'_>, n: usize) -> Option<Node<'_>> {
    named_children(args)
        .filter(|c| c.kind() != "comment")
        .nth(n)
}

/// The value of the first property named one of `keys` in an object literal: the value
/// of a pair, or the identifier of a shorthand property (`{ text, values }`).
fn object_property<'t>(src: &str, object: Node<'t>, keys: &[&str]) -> Option<Node<'t>> {
    named_children(object).find_map(|c| {
        let (key, value) = match c.kind() {
            "pair" => (
                c.child_by_field_name("key")?,
                c.child_by_field_name("value")?,
            ),
            "shorthand_property_identifier" => (c, c),
            _ => return None,
        };
        let key = property_name(src.get(key.byte_range())?);
        keys.contains(&key.as_str()).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FileConfig, Overrides};
    use crate::extract::{ScanContext, scan_bytes};
    use crate::model::{Language, sort_findings};
    use std::path::{Path, PathBuf};

    fn context() -> ScanContext {
        let text = r#"
            [[tables]]
            name = "orders_legacy"
            [[sinks]]
            language = "javascript"
            call = "runLegacy"
            sql_arg = 1
        "#;
        let file = FileConfig::parse(text, Path::new("cutover.toml")).unwrap();
        let config =
            Config::from_file(PathBuf::from("."), None, file, &Overrides::default()).unwrap();
        ScanContext::new(&config)
    }

    /// `line:col function sink confidence | evidence` per finding, sorted.
    fn scan(rel: &str, src: &str) -> Vec<String> {
        let language = if rel.ends_with(".js") {
            Language::JavaScript
        } else {
            Language::TypeScript
        };
        let mut out = scan_bytes(rel, language, src.as_bytes(), &context());
        sort_findings(&mut out.findings);
        out.findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{} {} {} {} | {}",
                    f.line,
                    f.column,
                    f.function.as_deref().unwrap_or("-"),
                    f.sink.as_deref().unwrap_or("-"),
                    f.confidence.as_str(),
                    f.evidence
                )
            })
            .collect()
    }

    #[test]
    fn every_capture_name_is_known_and_used() {
        for grammar in [Grammar::TypeScript, Grammar::Tsx] {
            let names = grammar.query().capture_names();
            for name in names {
                assert!(
                    name.starts_with('_') || CAPTURES.contains(name),
                    "{grammar:?}: capture @{name} is not read by typescript.rs"
                );
            }
            for name in CAPTURES {
                assert!(
                    names.contains(name),
                    "{grammar:?}: @{name} is not in the query"
                );
            }
        }
    }

    #[test]
    fn constant_tables_are_sorted() {
        for table in [
            CAPTURES,
            SQL_START,
            RAW_HELPERS,
            IDENT_HELPERS,
            Parents::KINDS,
        ] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
    }

    #[test]
    fn interpolated_table_is_dynamic_with_the_expression_as_evidence() {
        let src = "async function purge(table) {\n  await pool.query(`DELETE FROM ${table} WHERE id = $1`, [1]);\n}\nconst other = 'orders_legacy';\n";
        assert_eq!(
            scan("a.ts", src),
            ["2:21 purge pool.query dynamic | DELETE FROM ${table} WHERE id = $1"]
        );
    }

    #[test]
    fn numbered_placeholders_built_in_templates_stay_placeholders() {
        let src = "function f(n) {\n  return pool.query({ text: `UPDATE orders_legacy SET a = $${n + 1}` });\n}\n";
        assert_eq!(
            scan("a.ts", src),
            ["2:30 f pool.query parsed | UPDATE orders_legacy SET a = $1"]
        );
    }

    #[test]
    fn string_raw_keeps_backslashes() {
        let src = "export const migrations = {\n  \"001.sql\": String.raw`UPDATE orders_legacy SET re = '\\d+'`,\n};\n";
        assert_eq!(
            scan("a.ts", src),
            ["2:25 - - parsed | UPDATE orders_legacy SET re = '\\d+'"]
        );
    }

    #[test]
    fn shorthand_text_property() {
        let src = "async function g(client) {\n  const text = `DELETE FROM orders_legacy`;\n  await client.query<Row>({ text, values: [] });\n}\n";
        assert_eq!(
            scan("a.ts", src),
            ["2:17 g client.query parsed | DELETE FROM orders_legacy"]
        );
    }

    #[test]
    fn renamed_imports_and_requires() {
        let src = r#"
const { from: copyIn } = require("pg-copy-streams");
import { to as copyOut } from "pg-copy-streams";
client.query(copyIn("COPY orders_legacy FROM STDIN"));
client.query(copyOut("COPY orders_legacy TO STDOUT"));
"#;
        assert_eq!(
            scan("a.js", src),
            [
                "4:22 - copyIn parsed | COPY orders_legacy FROM STDIN",
                "5:23 - copyOut parsed | COPY orders_legacy TO STDOUT",
            ]
        );
    }

    #[test]
    fn class_fields_prototypes_and_class_expressions() {
        let src = r#"
export class OrderRepo {
  private readonly findSql = "SELECT * FROM orders_legacy WHERE id = $1";
  static readonly PURGE = `DELETE FROM orders_legacy`;
  find(id: number) { return this.pool.query(this.findSql, [id]); }
}
export function purge() { return pool.query(OrderRepo.PURGE); }
function Legacy() {}
Legacy.prototype.touch = function () { return db.query("UPDATE orders_legacy SET a = 1"); };
const Archive = class { run() { return db.query("TRUNCATE orders_legacy"); } };
"#;
        assert_eq!(
            scan("a.ts", src),
            [
                "3:31 OrderRepo.find this.pool.query parsed | SELECT * FROM orders_legacy WHERE id = $1",
                "4:28 purge pool.query parsed | DELETE FROM orders_legacy",
                "9:57 Legacy.touch db.query parsed | UPDATE orders_legacy SET a = 1",
                "10:50 Archive.run db.query parsed | TRUNCATE orders_legacy",
            ]
        );
    }

    #[test]
    fn each_branch_of_a_spliced_ternary_is_read() {
        let src = r#"
async function next(strict: boolean) {
  const guard = strict
    ? `AND NOT EXISTS (SELECT 1 FROM orders_legacy o WHERE o.id = jobs.order_id)`
    : "";
  const join = strict ? "JOIN orders o ON o.id = j.order_id" : "JOIN orders_legacy o ON o.id = j.order_id";
  await client.query({ text: `SELECT * FROM jobs WHERE true ${guard}` });
  await client.query(`SELECT * FROM jobs j ${join}`);
}
"#;
        assert_eq!(
            scan("a.ts", src),
            [
                "7:31 next client.query parsed | SELECT * FROM jobs WHERE true AND NOT EXISTS (SELECT 1 FROM orders_legacy o WHERE o.id = jobs.order_id)",
                "8:23 next client.query parsed | SELECT * FROM jobs j JOIN orders_legacy o ON o.id = j.order_id",
            ]
        );
    }

    #[test]
    fn messages_are_not_sql() {
        let src = r#"
throw new Error(`Insert into orders_legacy failed: ${e}`);
logger.warn("Delete from orders_legacy skipped");
console.log("update orders_legacy done");
throw "Delete from orders_legacy failed";
const q = "DELETE FROM orders_legacy WHERE id = 1";
"#;
        assert_eq!(
            scan("a.js", src),
            ["6:12 - - parsed | DELETE FROM orders_legacy WHERE id = 1"]
        );
    }

    #[test]
    fn dynamic_tables_need_a_whole_word_mention_of_a_legacy_table() {
        let src = "pool.query(`DELETE FROM ${t}`);\nconst other = 'orders_legacy_archive';\n";
        assert_eq!(scan("a.ts", src), Vec::<String>::new());
    }

    #[test]
    fn constants_are_inlined_and_hoisted_into_functions() {
        // The function is written above the constants it uses.
        let src = r#"
export async function find(id: number) {
  return db.query(`SELECT * FROM ${TABLE} WHERE id = $1`, [id]);
}
const TABLE = "orders_legacy";
"#;
        assert_eq!(
            scan("a.ts", src),
            ["3:20 find db.query parsed | SELECT * FROM orders_legacy WHERE id = $1"]
        );
    }

    #[test]
    fn appends_and_reassignments() {
        let src = r#"
function build(status) {
  let q = "SELECT id FROM orders_legacy";
  if (status) {
    q += " WHERE status = $1";
  }
  q += ' ORDER BY id';
  conn.query(q, [status]);
  q = "DELETE FROM orders_legacy WHERE id = $1";
  conn.query(q);
}
"#;
        assert_eq!(
            scan("a.js", src),
            [
                "3:12 build conn.query parsed | SELECT id FROM orders_legacy WHERE status = $1 ORDER BY id",
                "9:8 build conn.query parsed | DELETE FROM orders_legacy WHERE id = $1",
            ]
        );
    }

    #[test]
    fn concatenation_starts_at_its_first_literal_and_marks_expressions() {
        let src = "const q =\n  'UPDATE orders_legacy ' +\n  \"SET status = '\" + status + \"' \" +\n  `WHERE id = ${id}`;\nsend(q);\n";
        assert_eq!(
            scan("a.js", src),
            ["2:4 - - parsed | UPDATE orders_legacy SET status = '${status}' WHERE id = ${id}"]
        );
    }

    #[test]
    fn join_of_literal_arrays() {
        let src = r#"
const parts = ["SELECT id", "FROM orders_legacy", "WHERE id = ?"];
export const byId = (id) => db.get(parts.join("\n"), [id]);
export function list() {
  return db.all(["SELECT *", "FROM orders_legacy"].join(" "));
}
"#;
        assert_eq!(
            scan("a.js", src),
            [
                "2:17 byId db.get parsed | SELECT id FROM orders_legacy WHERE id = ?",
                "5:19 list db.all parsed | SELECT * FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn config_objects_streams_and_escapes() {
        let src = r#"
class Repo {
  a() { return this.pool.query({ text: 'SELECT * FROM orders_legacy WHERE note = \'it\'\'s\'', values: [] }); }
  b() { return conn.execute({ sql: "SELECT 1 FROM orders_legacy", timeout: 10 }); }
  c = (client) => client.query(new QueryStream("SELECT * FROM orders_legacy"));
}
"#;
        assert_eq!(
            scan("a.ts", src),
            [
                "3:41 Repo.a this.pool.query parsed | SELECT * FROM orders_legacy WHERE note = 'it''s'",
                "4:37 Repo.b conn.execute parsed | SELECT 1 FROM orders_legacy",
                "5:49 Repo.c QueryStream parsed | SELECT * FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn function_names() {
        let src = r#"
const repo = {
  async create() { await db.query("INSERT INTO orders_legacy (id) VALUES (1)"); },
  remove: async () => db.query("DELETE FROM orders_legacy"),
};
exports.expire = function () { return db.query("UPDATE orders_legacy SET x = 1"); };
export default async () => db.query("SELECT * FROM orders_legacy");
app.get("/x", async (req, res) => { await db.query("TRUNCATE orders_legacy"); });
"#;
        assert_eq!(
            scan("a.js", src),
            [
                "3:36 repo.create db.query parsed | INSERT INTO orders_legacy (id) VALUES (1)",
                "4:33 repo.remove db.query parsed | DELETE FROM orders_legacy",
                "6:49 expire db.query parsed | UPDATE orders_legacy SET x = 1",
                "7:38 default db.query parsed | SELECT * FROM orders_legacy",
                "8:53 - db.query parsed | TRUNCATE orders_legacy",
            ]
        );
    }

    #[test]
    fn a_literal_that_reaches_a_sink_is_reported_once_with_its_sink() {
        let src = "const Q = 'SELECT * FROM orders_legacy';\nexport const a = () => pool.query(Q);\nexport const b = () => pool.query(Q);\nexport const LOOSE = 'DELETE FROM orders_legacy';\n";
        assert_eq!(
            scan("a.ts", src),
            [
                "1:12 a pool.query parsed | SELECT * FROM orders_legacy",
                "4:23 - - parsed | DELETE FROM orders_legacy",
            ]
        );
    }

    #[test]
    fn generic_sink_names_need_sql_text_but_user_sinks_do_not() {
        let src = r#"
cache.get("orders_legacy");
app.all("/orders_legacy/*", handler);
Array.from("orders_legacy");
runLegacy(ctx, "orders_legacy");
runLegacy(ctx, "select * from orders_legacy");
"#;
        assert_eq!(
            scan("a.js", src),
            ["6:17 - runLegacy parsed | select * from orders_legacy"]
        );
    }

    #[test]
    fn tagged_templates_fragments_and_identifiers() {
        let src = r#"
import { sql as q } from "kysely";
const where = sql`WHERE status = ${status}`;
const t = sql.identifier(["billing", "orders_legacy"]);
export async function run() {
  await pool.query(sql`SELECT * FROM ${t} ${where}`);
  await q`DELETE FROM ${q.table("orders_legacy")}`.execute(db);
  await sql`SELECT * FROM ${sql.identifier([name])}`;
}
"#;
        assert_eq!(
            scan("a.ts", src),
            [
                "6:24 run pool.query parsed | SELECT * FROM \"billing\".\"orders_legacy\" WHERE status = ${status}",
                "7:11 run q parsed | DELETE FROM \"orders_legacy\"",
                "8:13 run sql dynamic | SELECT * FROM ${sql.identifier([name])}",
            ]
        );
    }

    #[test]
    fn syntax_errors_keep_what_parses_and_are_reported() {
        let src =
            "function ok() { db.query('SELECT * FROM orders_legacy'); }\nfunction bad( { = ;\n";
        let out = scan_bytes("a.ts", Language::TypeScript, src.as_bytes(), &context());
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.problems.len(), 1);
        assert_eq!(out.problems[0].reason, SkipReason::SyntaxError);
        assert_eq!(out.problems[0].line, Some(2));
    }

    #[test]
    fn type_arguments_on_tagged_templates_are_not_syntax_errors() {
        let src = "async function f() {\n  const r = await prisma.$queryRaw<{ n: number }[]>`SELECT count(*) AS n FROM orders_legacy`;\n}\n";
        let out = scan_bytes("a.ts", Language::TypeScript, src.as_bytes(), &context());
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].sink.as_deref(), Some("prisma.$queryRaw"));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        const N: usize = 10_000;
        let sql = "'SELECT * FROM orders_legacy'";
        let cases = [
            // Parentheses around a sink argument.
            format!("db.query({}{sql}{});", "(".repeat(N), ")".repeat(N)),
            // A long `+` chain (left-nested).
            format!("db.query({sql}{});", " + ' '".repeat(N)),
            // Nested calls and nested arrow functions.
            format!("{}db.query({sql}){};", "f(".repeat(N), ")".repeat(N)),
            format!("const g = {}db.query({sql});", "() => ".repeat(N)),
            // Nested template substitutions, arrays, a `-` chain.
            format!(
                "db.query(`SELECT * FROM orders_legacy {}x{}`);",
                "${`".repeat(N),
                "`}".repeat(N)
            ),
            format!("const a = {}{sql}{};", "[".repeat(N), "]".repeat(N)),
            format!("db.query({sql}{});", " - 1".repeat(N)),
        ];
        for (i, src) in cases.iter().enumerate() {
            // Must return (not blow the 2 MiB test-thread stack) and still find the SQL
            // (the `-` chain is not text: found as a bare literal).
            let out = scan_bytes("deep.ts", Language::TypeScript, src.as_bytes(), &context());
            assert_eq!(out.findings.len(), 1, "case {i}: {:?}", out.findings);
        }
    }

    #[test]
    fn statement_starts_skip_blanks_parens_and_comments() {
        assert!(starts_like_statement("  (SELECT 1)"));
        assert!(starts_like_statement(
            "-- why\n/* c */ insert into t values (1)"
        ));
        assert!(!starts_like_statement(""));
        assert!(!starts_like_statement("/orders_legacy"));
        assert!(!starts_like_statement("selection"));
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("\\n"), "\n");
        assert_eq!(unescape("\\'"), "'");
        assert_eq!(unescape("\\x41"), "A");
        assert_eq!(unescape("\\u0041"), "A");
        assert_eq!(unescape("\\u{1F600}"), "\u{1F600}");
        assert_eq!(unescape("\\\n"), "");
    }
}
