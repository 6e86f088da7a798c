//! TypeScript and JavaScript extraction: one parsed `.ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs`
//! file in, raw-SQL findings out. `queries/typescript.scm` finds the shapes (calls, tagged
//! templates, SQL-looking literals, variable bindings, function definitions);
//! `catalog/typescript.toml` says which calls and tags run SQL. The string evaluator
//! (`flow::Evaluator`) puts the SQL text back together with TypeScript's leaves, which
//! this file defines (string and template literals, `+=`, `[...].join(" ")`, constants
//! and class fields, nested sql`` fragments and identifier helpers, both branches of a
//! ternary), and `sql_text::sql_findings` classifies it and keeps the configured tables.
//!
//! Every walk here is either a tree-sitter query, a loop, or a recursion with a depth and
//! a work budget, so a pathological file (10,000 nested parentheses) cannot overflow the
//! stack or run for long.

use super::flow::{Budget, Call, Evaluator, Shape, Syntax, Value};
use super::sql_text::{self, Assembled, SqlSite, sql_findings, table_finding};
use super::{FileInput, FileScan, LineIndex, evidence};
use crate::catalog::{Catalog, Sink};
use crate::lang::Field as _;
use crate::lang::Grammar;
use crate::model::{Access, Operation, Problem, SkipReason};
use regex::Regex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::LazyLock;
use tree_sitter::{Node, QueryCursor, QueryCursorOptions, StreamingIterator, Tree};

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

/// Most evaluation steps spent on one root expression (guards against exponential
/// re-evaluation of variables that refer to themselves).
const BUDGET: usize = 20_000;
/// Most parents climbed from a literal to the expression that holds the whole statement.
const MAX_CLIMB: usize = 64;
/// Most extra evaluations of one root with a ternary flipped (`cond ? a : b` spliced
/// into a statement: the first non-empty branch is followed, then each other one).
const MAX_VARIANTS: usize = 4;
/// Most operands of one `+` chain.
const MAX_CONCAT: usize = 20_000;
/// The query's work budget, in tree-sitter's progress checks (1,000 units of work each):
/// this many, plus one per this many bytes of the file. Real code costs a few units per
/// byte; the budget is far above that and still bounds a pathological file to seconds.
const WORK_CHECKS_BASE: usize = 1_000;
const WORK_BYTES_PER_CHECK: usize = 8;

/// Words a SQL statement may start with. Built-in sinks with generic names (`get`, `run`)
/// are only reported when their text starts with one of these (bare literals need the
/// stricter `sql_text::looks_like_sql`).
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
    let allowed = WORK_CHECKS_BASE + file.text.len() / WORK_BYTES_PER_CHECK;
    extract_within(file, grammar, tree, allowed, out);
}

/// `extract` with a work budget of `allowed` query checks.
fn extract_within(
    file: &FileInput<'_>,
    grammar: Grammar,
    tree: &Tree,
    allowed: usize,
    out: &mut FileScan,
) {
    let root = tree.root_node();
    let index = LineIndex::new(file.text);
    let shapes = Shapes::collect(grammar, root, file.text, allowed);
    if shapes.too_complex {
        out.problems.push(Problem {
            file: file.rel.to_string(),
            line: None,
            reason: SkipReason::TooComplex,
            detail: "the syntax-tree search ran out of its work budget (nesting too deep or \
                     too wide): what it found before was analysed, the rest was not"
                .to_string(),
        });
    }
    let syntax = Ts {
        shapes: &shapes,
        catalog: file.ctx.catalog(file.language),
        flipped: HashSet::new(),
        ternaries: Vec::new(),
    };
    let mut ev = Evaluator::new(file.text, syntax, Budget::steps(BUDGET));
    report(&mut ev, file, &index, out);
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
    /// The query stopped at its work budget: shapes past that point are missing.
    too_complex: bool,
}

/// `class C { f = value }`.
struct Field<'t> {
    class: &'t str,
    /// The class's byte range (`this.f` resolves inside it).
    range: (usize, usize),
    name: &'t str,
    value: Node<'t>,
}

/// Where the file mentions a SQL keyword followed by a non-word character (the test the
/// query applies to string literals), found in one scan of the file, so that nested
/// template literals are tested without rescanning each one's text.
struct KeywordSpans {
    /// (start, end) of every match, sorted by start (overlapping ones included).
    spans: Vec<(usize, usize)>,
}

impl KeywordSpans {
    fn find(src: &str) -> KeywordSpans {
        static KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                "(?i)(select|insert|update|delete|merge|replace|upsert|truncate|copy|create|alter|drop|with|call)[^a-z0-9_]",
            )
            .expect("valid keyword pattern")
        });
        let mut spans = Vec::new();
        let mut at = 0;
        while let Some(m) = KEYWORD.find_at(src, at) {
            spans.push((m.start(), m.end()));
            // The next match may start inside this one.
            at = m.start() + src[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        KeywordSpans { spans }
    }

    /// Whether a match lies wholly inside `start..end` (as the predicate on that text would
    /// find it). Matches are a few bytes long, so only those starting near `end` are skipped.
    fn any_within(&self, start: usize, end: usize) -> bool {
        let first = self.spans.partition_point(|&(s, _)| s < start);
        self.spans[first..]
            .iter()
            .take_while(|&&(s, _)| s < end)
            .any(|&(_, e)| e <= end)
    }
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
    /// The shapes of one file, from at most `allowed` work checks of the query.
    fn collect(grammar: Grammar, root: Node<'t>, src: &'t str, allowed: usize) -> Shapes<'t> {
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

        let mut keywords: Option<KeywordSpans> = None;
        let mut cursor = QueryCursor::new();
        // The work budget: tree-sitter calls back after each 1,000 units of work (a node
        // visited, plus one per match in progress); past the budget it stops, keeping the
        // matches it finished, and the file is reported `too_complex`.
        let mut checks = 0usize;
        let mut over_budget = false;
        let mut callback = |_: &tree_sitter::QueryCursorState| {
            checks += 1;
            if checks > allowed {
                over_budget = true;
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = QueryCursorOptions::new().progress_callback(&mut callback);
        let mut matches = cursor.matches_with_options(query, root, src.as_bytes(), options);
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
                if lit.kind() != "template_string"
                    || keywords
                        .get_or_insert_with(|| KeywordSpans::find(src))
                        .any_within(lit.start_byte(), lit.end_byte())
                {
                    literals.push(lit);
                }
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
        drop(matches);
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
            too_complex: over_budget,
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

    /// The expression last bound to `name` before `at` (for `CONST.member` lookups).
    fn bound_expression(&self, name: &str, at: usize) -> Option<Node<'t>> {
        let events = self.visible(name, at);
        events
            .iter()
            .filter(|e| !e.append)
            .rfind(|e| e.offset < at)
            .or_else(|| events.iter().rfind(|e| !e.append && e.scope == MODULE))
            .map(|e| e.value)
    }

    /// The initializer of a class field read as `this.name` (inside the class) or
    /// `Class.name` (`object` written `written`).
    fn field(&self, object: Node<'_>, written: &str, name: &str, at: usize) -> Option<Node<'t>> {
        let fields = self.fields.iter().filter(|f| f.name == name);
        match object.kind() {
            "this" => fields
                .filter(|f| f.range.0 <= at && at < f.range.1)
                .max_by_key(|f| f.range.0)
                .map(|f| f.value),
            "identifier" => fields
                .filter(|f| f.class == written)
                .map(|f| f.value)
                .next(),
            _ => None,
        }
    }
}

/// A property or method name as written, without quotes (`'create'` -> `create`).
fn property_name(raw: &str) -> String {
    raw.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .to_string()
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

/// TypeScript's leaves of the string evaluator: what the query found in the file, the
/// catalog (which tags run SQL), and the ternaries of the reading under way.
struct Ts<'a, 't> {
    shapes: &'a Shapes<'t>,
    catalog: &'a Catalog,
    /// Ternaries (node ids) that take their other branch in this evaluation.
    flipped: HashSet<usize>,
    /// Ternaries met in this evaluation with a branch to flip.
    ternaries: Vec<usize>,
}

type Eval<'a, 't> = Evaluator<'t, Ts<'a, 't>>;

impl<'t> Syntax<'t> for Ts<'_, 't> {
    /// The budget of each reading (`BUDGET`) bounds values; no size limit of its own.
    const MAX_TEXT: usize = usize::MAX;
    /// A literal read in a reading is seen, even when the reading did not keep its value:
    /// the bare-literal pass does not report it again.
    const LOGS_READS: bool = true;

    fn shape(&self, node: Node<'t>) -> Shape<'t> {
        match node.kind() {
            "string" | "template_string" => Shape::Literal,
            "binary_expression" => match tagged_parts(node) {
                // sql<Row>`…` (see `tagged_parts`) builds a fragment.
                Some(_) => Shape::Form,
                None => Shape::Concat,
            },
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "await_expression" => {
                let inner = unwrap_expression(node);
                if inner.id() == node.id() {
                    Shape::Opaque
                } else {
                    Shape::Inner(inner)
                }
            }
            "identifier" | "shorthand_property_identifier" => Shape::Name,
            "member_expression" | "ternary_expression" | "call_expression" => Shape::Form,
            _ => Shape::Opaque,
        }
    }

    /// A `+` chain, flattened with a loop (a 10,000-operand concatenation is a deep
    /// left-nested tree).
    fn operands(&self, node: Node<'t>) -> Option<Vec<Node<'t>>> {
        let mut operands = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            let is_plus = n.kind() == "binary_expression"
                && n.field("operator").is_some_and(|op| op.kind() == "+");
            if is_plus {
                let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else {
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
        (operands.len() >= 2).then_some(operands)
    }

    fn literal(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
        if node.kind() == "template_string" {
            return template(ev, node, false, false, depth);
        }
        let mut value = ev.literal_at(node.start_byte());
        literal_pieces(ev.src, node, false, &mut value.sql, &mut |_, _| {});
        value.text = true;
        Some(value)
    }

    fn name(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
        variable(ev, ev.text(node), node.start_byte(), depth + 1)
    }

    fn form(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
        match node.kind() {
            "binary_expression" => tagged_fragment(ev, node, depth),
            "member_expression" => member(ev, node, depth),
            "ternary_expression" => ternary(ev, node, depth),
            "call_expression" => eval_call(ev, node, depth),
            _ => None,
        }
    }

    /// Only text joins a `+` chain or a list: a value that is all markers is shown as the
    /// expression that made it.
    fn joins(value: &Value) -> bool {
        value.text
    }
}

/// Source text with whitespace and optional-chaining marks removed, for call names.
fn compact(src: &str, node: Node<'_>) -> String {
    src.get(node.byte_range())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '?' && *c != '!')
        .collect()
}

/// The raw SQL of the file: calls to sinks and SQL-tagged templates first (a tagged
/// template another sink spliced in is reported once, by that sink), then the SQL-looking
/// literals no sink read.
fn report(ev: &mut Eval<'_, '_>, file: &FileInput<'_>, index: &LineIndex, out: &mut FileScan) {
    let shapes = ev.syntax.shapes;
    let mut pending = Vec::new();
    for call in &shapes.calls {
        sink_call(ev, call, file, index, &mut pending, out);
    }
    for tagged in &shapes.tagged {
        sink_tagged(ev, tagged, &mut pending);
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
    bare_literals(ev, file, index, &mut touched, out);
    if let Some(at) = ev.budget.deep_at
        && let Some(problem) = super::flow::too_deep_problem(file, index, at, out)
    {
        out.problems.push(problem);
    }
}

/// A new budget for one root, remembering where an earlier one met too deep an expression.
fn fresh_budget(old: &Budget) -> Budget {
    let mut budget = Budget::steps(BUDGET);
    budget.deep_at = old.deep_at;
    budget
}

/// Evaluate a root, then again with each ternary it met flipped (bounded): every reading
/// with text, with the literals it read.
fn variants<'t>(
    ev: &mut Eval<'_, 't>,
    eval: &mut dyn FnMut(&mut Eval<'_, 't>) -> Option<Value>,
) -> Vec<(Value, Vec<usize>)> {
    ev.syntax.flipped.clear();
    ev.syntax.ternaries.clear();
    let mut out = Vec::new();
    out.extend(reading(ev, eval));
    // In the order met (node ids are addresses: sorting them would not be stable).
    let mut seen = HashSet::new();
    let met: Vec<usize> = std::mem::take(&mut ev.syntax.ternaries)
        .into_iter()
        .filter(|id| seen.insert(*id))
        .collect();
    for id in met.into_iter().take(MAX_VARIANTS) {
        ev.syntax.flipped = HashSet::from([id]);
        ev.syntax.ternaries.clear();
        out.extend(reading(ev, eval));
    }
    ev.syntax.flipped.clear();
    out
}

/// One evaluation with a fresh budget: its value and the literals it read.
fn reading<'t>(
    ev: &mut Eval<'_, 't>,
    eval: &mut dyn FnMut(&mut Eval<'_, 't>) -> Option<Value>,
) -> Option<(Value, Vec<usize>)> {
    ev.budget = fresh_budget(&ev.budget);
    ev.take_read();
    let value = eval(ev);
    let read = ev.take_read();
    value.map(|v| (v, read))
}

/// A call whose callee is in the catalog: evaluate its SQL (or table) argument.
fn sink_call<'t>(
    ev: &mut Eval<'_, 't>,
    call: &Call<'t>,
    file: &FileInput<'_>,
    index: &LineIndex,
    pending: &mut Vec<Pending>,
    out: &mut FileScan,
) {
    let Some(sink) = call_sink(ev, call) else {
        return;
    };
    let callee = unwrap_expression(call.callee);
    let site = SqlSite {
        function: ev.syntax.shapes.function_at(call.node.start_byte()),
        sink: Some(compact(ev.src, callee)),
        fallback_offset: call.node.start_byte(),
    };
    if let Some(n) = sink.sql_arg {
        let Some(arg) = argument(call.args, n) else {
            return;
        };
        // pg / mysql config objects: `query({ text: '…', values })`, `{ sql: '…' }`.
        let arg = if arg.kind() == "object" {
            match object_property(ev.src, arg, &["text", "sql", "query"]) {
                Some(v) => v,
                None => return,
            }
        } else {
            arg
        };
        let readings = variants(ev, &mut |ev| ev.eval(arg, 0));
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
        ev.budget = fresh_budget(&ev.budget);
        let value = ev.eval(arg, 0);
        ev.take_read();
        if let Some(v) = value
            && v.text
            && !v.sql.has_interpolation()
        {
            let shown = evidence(ev.text(call.node));
            let at = site.placed(file, index, arg.start_byte(), shown);
            let access = sink.access.unwrap_or(Access::Write);
            let operation = sink.operation.unwrap_or(Operation::Copy);
            table_finding(file, &at, v.sql.text.trim(), (access, operation), out);
        }
    }
}

/// The catalog row of a call's callee, as written or under the name it was imported as.
fn call_sink<'a>(ev: &Eval<'a, '_>, call: &Call<'_>) -> Option<&'a Sink> {
    let callee = unwrap_expression(call.callee);
    let (receiver, method) = match callee.kind() {
        "member_expression" => {
            let prop = callee.field("property")?;
            let object = callee.field("object").map(|o| compact(ev.src, o));
            (object, ev.text(prop))
        }
        "identifier" => (None, ev.text(callee)),
        _ => return None,
    };
    let catalog = ev.syntax.catalog;
    catalog
        .lookup_call(receiver.as_deref(), method)
        .or_else(|| match (&receiver, ev.syntax.shapes.imports.get(method)) {
            (None, Some(original)) => catalog.lookup_call(None, original),
            _ => None,
        })
}

/// A template with a SQL tag (sql`…`, prisma.$queryRaw`…`).
fn sink_tagged<'t>(ev: &mut Eval<'_, 't>, tagged: &Tagged<'t>, pending: &mut Vec<Pending>) {
    if sql_tag(ev, tagged.tag).is_none() {
        return;
    }
    let site = SqlSite {
        function: ev.syntax.shapes.function_at(tagged.node.start_byte()),
        sink: Some(compact(ev.src, tag_name_node(tagged.tag))),
        fallback_offset: tagged.template.start_byte(),
    };
    let readings = variants(ev, &mut |ev| template(ev, tagged.template, true, false, 0));
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
fn sql_tag<'a>(ev: &Eval<'a, '_>, tag: Node<'_>) -> Option<&'a Sink> {
    let mut tag = tag_name_node(tag);
    if tag.kind() == "call_expression" {
        tag = unwrap_expression(tag.field("function")?);
    }
    let written = compact(ev.src, tag);
    let last = written.rsplit('.').next().unwrap_or(&written);
    let first = written.split('.').next().unwrap_or(&written);
    let (shapes, catalog) = (ev.syntax.shapes, ev.syntax.catalog);
    let renamed = |name: &str| {
        shapes
            .imports
            .get(name)
            .or_else(|| shapes.factories.get(name))
            .and_then(|original| catalog.tagged(original))
    };
    catalog
        .tagged(&written)
        .or_else(|| catalog.tagged(last))
        .or_else(|| catalog.tagged(first))
        .or_else(|| renamed(first))
}

/// SQL-looking literals that no sink consumed: reported without a sink when they touch a
/// configured table (a constant passed to a wrapper we do not know, a query built in one
/// module and run in another).
fn bare_literals(
    ev: &mut Eval<'_, '_>,
    file: &FileInput<'_>,
    index: &LineIndex,
    touched: &mut HashSet<usize>,
    out: &mut FileScan,
) {
    let shapes = ev.syntax.shapes;
    for &lit in &shapes.literals {
        if touched.contains(&lit.start_byte()) {
            continue;
        }
        let root = climb(lit, ev.src, &shapes.parents);
        if is_message(ev, root) {
            touched.insert(lit.start_byte());
            continue;
        }
        touched.insert(lit.start_byte());
        let binding = binding_of(ev, root);
        let readings = variants(ev, &mut |ev| match binding {
            Some(name) => binding_value(ev, name, root),
            None => ev.eval(root, 0),
        });
        let site = SqlSite {
            function: shapes.function_at(root.start_byte()),
            sink: None,
            fallback_offset: lit.start_byte(),
        };
        for (i, (v, seen)) in readings.into_iter().enumerate() {
            touched.extend(seen);
            // A bare literal must read like a statement (verb and its object), not like a
            // message that names a table.
            if !v.text || !sql_text::looks_like_sql(&v.sql.text) {
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
fn is_message(ev: &Eval<'_, '_>, root: Node<'_>) -> bool {
    let parents = &ev.syntax.shapes.parents;
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
        "call_expression" => call.field("function"),
        "new_expression" => call.field("constructor"),
        _ => None,
    });
    callee.is_some_and(|c| {
        let name = ev.text(c);
        let last = name.rsplit('.').next().unwrap_or(name).trim();
        MESSAGE_CALLS.binary_search(&last).is_ok()
    })
}

/// The variable `root` is bound to, when it is the whole value of a binding.
fn binding_of<'t>(ev: &Eval<'_, 't>, root: Node<'_>) -> Option<&'t str> {
    let parent = ev.syntax.shapes.parents.of(root)?;
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
    (name.kind() == "identifier").then(|| ev.text(name))
}

/// A variable's value from the binding holding `root` through the appends that follow it,
/// up to the next replacement: `let q = "…"; q += "…";` is one statement.
fn binding_value<'t>(ev: &mut Eval<'_, 't>, name: &str, root: Node<'t>) -> Option<Value> {
    let events = ev.syntax.shapes.visible(name, root.start_byte());
    let at = events.iter().position(|e| e.value.id() == root.id())?;
    let start = events[..=at].iter().rposition(|e| !e.append).unwrap_or(0);
    let end = events[at + 1..]
        .iter()
        .position(|e| !e.append)
        .map_or(events.len(), |p| at + 1 + p);
    fold(ev, &events[start..end], 0)
}

/// Fold bindings into one value: a replacement starts over, an append adds (a value that
/// is all markers too, unlike an operand of `+`).
fn fold<'t>(ev: &mut Eval<'_, 't>, events: &[Event<'t>], depth: usize) -> Option<Value> {
    let start = events.iter().rposition(|e| !e.append).unwrap_or(0);
    let mut out = Value::default();
    for e in &events[start..] {
        match ev.eval(e.value, depth + 1) {
            Some(v) => {
                out.append(&v);
                out.fragment |= v.fragment;
            }
            None => out.push_interpolation(ev.text(e.value), e.value.start_byte()),
        }
    }
    out.text.then_some(out)
}

/// The value of variable `name` where it is used at `at`.
fn variable<'t>(ev: &mut Eval<'_, 't>, name: &str, at: usize, depth: usize) -> Option<Value> {
    let shapes = ev.syntax.shapes;
    let events = shapes.visible(name, at);
    let before: Vec<Event<'t>> = events.iter().filter(|e| e.offset < at).copied().collect();
    // A module-level constant used in a function written above it.
    let events = if before.is_empty()
        && events.iter().all(|e| e.scope == MODULE)
        && shapes.innermost_scope(at) != MODULE
    {
        events
    } else {
        before
    };
    if events.is_empty() {
        return None;
    }
    fold(ev, &events, depth)
}

/// `QUERIES.insertOrder`, where `const QUERIES = { insertOrder: "…" }`; `this.findSql`
/// and `OrderRepo.SQL`, class fields.
fn member<'t>(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
    let object = node.field("object")?;
    let prop = node.field("property")?;
    let shapes = ev.syntax.shapes;
    if let Some(value) = shapes.field(object, ev.text(object), ev.text(prop), node.start_byte()) {
        return ev.eval(value, depth + 1);
    }
    if object.kind() != "identifier" {
        return None;
    }
    let bound = shapes.bound_expression(ev.text(object), node.start_byte())?;
    let bound = unwrap_expression(bound);
    if bound.kind() != "object" {
        return None;
    }
    let value = object_property(ev.src, bound, &[ev.text(prop)])?;
    ev.eval(value, depth + 1)
}

/// cond ? sql`WHERE …` : sql`` — the first branch that is text; the other branch's
/// literals stay unread, so the bare-literal pass still sees them. `variants` reads the
/// other branch first in another reading.
fn ternary<'t>(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
    let flip = ev.syntax.flipped.contains(&node.id());
    if !flip {
        ev.syntax.ternaries.push(node.id());
    }
    let order = if flip {
        ["alternative", "consequence"]
    } else {
        ["consequence", "alternative"]
    };
    for field in order {
        let branch = node.child_by_field_name(field)?;
        let mark = ev.read_mark();
        if let Some(v) = ev.eval(branch, depth + 1)
            && v.text
            && !v.sql.is_empty()
        {
            return Some(v);
        }
        ev.forget_read(mark);
    }
    None
}

/// sql<Row>`…` with a SQL tag: a fragment.
fn tagged_fragment<'t>(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
    let (tag, template_node) = tagged_parts(node)?;
    sql_tag(ev, tag)?;
    let mut v = template(ev, template_node, true, false, depth)?;
    v.fragment = true;
    Some(v)
}

/// Calls that build SQL text: tagged templates, `[…].join(sep)`, `.trim()`,
/// `.concat(…)`, and the raw / identifier helpers of SQL tags.
fn eval_call<'t>(ev: &mut Eval<'_, 't>, node: Node<'t>, depth: usize) -> Option<Value> {
    let function = node.field("function")?;
    let args = node.field("arguments")?;
    if args.kind() == "template_string" {
        if sql_tag(ev, function).is_some() {
            let mut v = template(ev, args, true, false, depth)?;
            v.fragment = true;
            return Some(v);
        }
        // String.raw`…` (migrations kept in code): the text with escapes left as written.
        if compact(ev.src, function) == "String.raw" {
            return template(ev, args, false, true, depth);
        }
        return None;
    }
    match function.kind() {
        "member_expression" => {
            let object = function.field("object")?;
            let method = ev.text(function.field("property")?);
            match method {
                "join" => join(ev, object, args, depth),
                "trim" | "trimStart" | "trimEnd" | "toString" => ev.eval(object, depth + 1),
                "concat" => {
                    let mut v = ev.eval(object, depth + 1)?;
                    for a in named_children(args).filter(|c| c.kind() != "comment") {
                        ev.operand(&mut v, a, depth);
                    }
                    Some(v)
                }
                _ if object.kind() == "identifier" && RAW_HELPERS.contains(&method) => {
                    Some(helper(ev, node, args, false, depth))
                }
                _ if object.kind() == "identifier" && IDENT_HELPERS.contains(&method) => {
                    Some(helper(ev, node, args, true, depth))
                }
                _ => None,
            }
        }
        // postgres.js: sql(table) inside sql`…` names an identifier.
        "identifier" if sql_tag(ev, function).is_some() => {
            Some(helper(ev, node, args, true, depth))
        }
        _ => None,
    }
}

/// `sql.raw(text)` (`ident` false) or `sql.identifier(['schema', 'name'])`: a fragment
/// with the text or the quoted identifier, or an interpolation marker when the argument is
/// not a literal.
fn helper<'t>(
    ev: &mut Eval<'_, 't>,
    call: Node<'t>,
    args: Node<'t>,
    ident: bool,
    depth: usize,
) -> Value {
    let mut out = Value {
        fragment: true,
        ..Value::default()
    };
    let parts = argument(args, 0).and_then(|arg| helper_parts(ev, arg, depth));
    match parts {
        Some(parts) if !parts.is_empty() => {
            let mut first = true;
            for (text, start, len) in parts {
                if !ident {
                    out.sql.push_literal(&text, start, len);
                    continue;
                }
                for seg in text.split('.') {
                    if !first {
                        out.sql.push_synthetic(".");
                    }
                    first = false;
                    let quoted = format!("\"{}\"", seg.replace('"', "\"\""));
                    out.sql.push_literal(&quoted, start, len);
                }
            }
            out.text = true;
        }
        _ => out.push_interpolation(ev.text(call), call.start_byte()),
    }
    out
}

/// The constant texts of a helper's argument (one, or each item of an array), with their
/// places: `None` when one is not a constant.
fn helper_parts<'t>(
    ev: &mut Eval<'_, 't>,
    arg: Node<'t>,
    depth: usize,
) -> Option<Vec<(String, usize, usize)>> {
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
            let v = ev.eval(item, depth + 1)?;
            (v.text && !v.sql.has_interpolation()).then(|| {
                (
                    v.sql.text,
                    item.start_byte(),
                    item.end_byte() - item.start_byte(),
                )
            })
        })
        .collect()
}

/// `[a, b, c].join(sep)`: the elements joined with the separator (`,` by default).
fn join<'t>(ev: &mut Eval<'_, 't>, array: Node<'t>, args: Node<'t>, depth: usize) -> Option<Value> {
    let array = unwrap_expression(array);
    let items: Vec<Node<'t>> = match array.kind() {
        "array" => named_children(array)
            .filter(|c| c.kind() != "comment")
            .collect(),
        "identifier" => {
            let bound = ev
                .syntax
                .shapes
                .bound_expression(ev.text(array), array.start_byte())?;
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
        Some(a) => ev.eval(a, depth + 1).filter(Value::is_constant)?,
        None => {
            let mut comma = Value::default();
            comma.sql.push_synthetic(",");
            comma
        }
    };
    let out = ev.join(items, &sep, depth);
    out.text.then_some(out)
}

/// A template literal. Untagged: an interpolation that evaluates to text is inlined
/// (`${TABLE}` with `const TABLE = "orders"`), anything else becomes a marker. Tagged with
/// a SQL tag: interpolations are bound parameters (markers) unless they are SQL fragments
/// (nested sql`…`, `sql.identifier(…)`, `sql.raw(…)`).
fn template<'t>(
    ev: &mut Eval<'_, 't>,
    node: Node<'t>,
    tagged: bool,
    raw: bool,
    depth: usize,
) -> Option<Value> {
    let mut value = ev.literal_at(node.start_byte());
    let src = ev.src;
    let mut spliced_text = false;
    let literal_text = literal_pieces(src, node, raw, &mut value.sql, &mut |sql, sub| {
        let Some(expr) = named_children(sub).find(|c| c.kind() != "comment") else {
            return;
        };
        // `$${n}` builds a numbered placeholder: keep it one (`$1`), not `$marker`.
        if sql.text.ends_with('$') {
            sql.push_synthetic("1");
            return;
        }
        match ev.eval(expr, depth + 1) {
            Some(v) if v.fragment || (!tagged && v.text) => {
                spliced_text |= v.text;
                sql.append(&v.sql);
            }
            _ => sql.push_interpolation(ev.text(expr), expr.start_byte()),
        }
    });
    value.text = literal_text || spliced_text;
    Some(value)
}

/// Walk a string or template literal's content: raw text and decoded escapes go to `sql`
/// with their source positions; each `${…}` substitution is passed to `on_sub`. Returns
/// whether the literal has any non-blank text of its own.
fn literal_pieces<'t>(
    src: &str,
    node: Node<'t>,
    raw: bool,
    sql: &mut Assembled,
    on_sub: &mut dyn FnMut(&mut Assembled, Node<'t>),
) -> bool {
    let (start, end) = content_range(src, node);
    let mut pos = start;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        let (cs, ce) = (child.start_byte(), child.end_byte());
        if cs < start || ce > end || cs < pos {
            continue;
        }
        match child.kind() {
            "escape_sequence" if !raw => {
                raw_text(src, pos, cs, sql);
                let written = src.get(child.byte_range()).unwrap_or("");
                sql.push_literal(&unescape(written), cs, ce - cs);
                pos = ce;
            }
            "template_substitution" => {
                raw_text(src, pos, cs, sql);
                on_sub(sql, child);
                pos = ce;
            }
            _ => {}
        }
    }
    raw_text(src, pos, end, sql);
    let mut cursor = node.walk();
    let subs: Vec<(usize, usize)> = node
        .children(&mut cursor)
        .filter(|c| c.kind() == "template_substitution")
        .map(|c| (c.start_byte(), c.end_byte()))
        .collect();
    // Non-blank text outside the substitutions.
    let mut from = start;
    for (s, e) in subs.into_iter().chain([(end, end)]) {
        if src
            .get(from..s.max(from))
            .is_some_and(|t| !t.trim().is_empty())
        {
            return true;
        }
        from = e;
    }
    false
}

fn raw_text(src: &str, from: usize, to: usize, sql: &mut Assembled) {
    if from < to
        && let Some(t) = src.get(from..to)
    {
        sql.push_literal(t, from, to - from);
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
            "binary_expression" if parent.field("operator").is_some_and(|op| op.kind() == "+") => {
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
                        .field("function")
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
                        && m.field("property").and_then(|p| src.get(p.byte_range())) == Some("join")
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
            "assignment_expression" => node.field("right"),
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
    let op = node.field("operator")?;
    let right = node.field("right")?;
    let left = node.field("left")?;
    if op.kind() != ">" || right.kind() != "template_string" || left.kind() != "binary_expression" {
        return None;
    }
    let inner_op = left.field("operator")?;
    (inner_op.kind() == "<").then_some((left.field("left")?, right))
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
            "pair" => (c.field("key")?, c.field("value")?),
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
        // Each case is one long line: a bundle to the generated-code filter, which is not
        // what this test is about.
        let mut ctx = context();
        ctx.generated = crate::extract::generated::GeneratedCode::included();
        for (i, src) in cases.iter().enumerate() {
            // Must return (not blow the 2 MiB test-thread stack) and still find the SQL
            // (the `-` chain is not text: found as a bare literal).
            let out = scan_bytes("deep.ts", Language::TypeScript, src.as_bytes(), &ctx);
            assert_eq!(out.findings.len(), 1, "case {i}: {:?}", out.findings);
        }
    }

    #[test]
    fn a_file_past_the_work_budget_is_reported_too_complex() {
        let src = "db.query('DELETE FROM orders_legacy');\n".repeat(50);
        let ctx = context();
        let file = FileInput {
            rel: "wide.ts",
            language: Language::TypeScript,
            text: &src,
            ctx: &ctx,
            mentioned: std::cell::OnceCell::new(),
        };
        let tree = crate::lang::parse(Grammar::TypeScript, &src).unwrap();
        let mut out = FileScan::default();
        extract_within(&file, Grammar::TypeScript, &tree, 0, &mut out);
        assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
        assert_eq!(out.problems[0].reason, SkipReason::TooComplex);
        assert!(
            out.findings.len() < 50,
            "the budget stopped the search early"
        );
        // Within the default budget, every call is found and nothing is reported.
        let mut out = FileScan::default();
        extract(&file, Grammar::TypeScript, &tree, &mut out);
        assert!(out.problems.is_empty(), "{:?}", out.problems);
        assert_eq!(out.findings.len(), 50);
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
