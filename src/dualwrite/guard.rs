//! How a replacement write sits on the path of a legacy write: the source of the functions
//! on that path and the lines of the calls that lead to the new write in; whether the new
//! write runs under a condition (and whether that condition is a flag that is off by
//! default), whether its failure is caught and, if so, whether a metric or a log records
//! it, and whether both writes share a transaction, out. The playbook's rules are checked
//! on these facts in `dualwrite::rules_of`.
//!
//! Read with tree-sitter on the function's own file: from the smallest call that covers the
//! site's line, up to the function. Python `if`/`try`/`with`, TS/JS `if`/ternary/`&&`/
//! `try`/`.catch()`, Go `if`, `if err := f(); err != nil {…}` and `err := f()` followed by
//! `if err != nil {…}`. What is not one of these shapes is taken as unconditional and
//! unguarded: the error then propagates.

use crate::lang::Field as _;
use crate::lang::{self, Grammar};
use crate::model::Language;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use tree_sitter::Node;

/// One function on the path and the line of its call onward (or of the new write itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub file: String,
    /// Line of the function's definition; 0 for module-level code.
    pub defined: u32,
    pub site: u32,
}

/// What a failing new write does to the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Failure {
    /// Nothing catches it: it fails the request (and, in a transaction, the old write).
    #[default]
    Propagates,
    /// Caught (at `at`); `counted`/`logged` say whether a metric or a log records it.
    Caught {
        at: String,
        counted: bool,
        logged: bool,
    },
}

/// The facts of one path.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathFacts {
    /// The condition the new write runs under, as written, with its place.
    pub condition: Option<String>,
    pub failure: Failure,
    /// Both writes run in one transaction of the writer.
    pub transaction: bool,
}

static METRIC: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:metrics?|statsd|prometheus|counter|histogram|meter)\b|\.(?:inc|increment|incr|Inc|Add|count|labels)\s*\(").ok()
});
static LOG: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:log|logger|logging|logrus|slog|zap|console|sentry_sdk|Sentry)\s*\.\s*\w+\s*\(|\bcapture_exception\s*\(|\blog\.(?:Print|Error|Warn)").ok()
});
static RETHROW: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?m)^\s*(?:raise\b|throw\b|panic\s*\(|return\s+(?:[\w.]+\s*,\s*)*(?:err\b|fmt\.Errorf|errors\.))").ok()
});
static TRANSACTION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)transaction|atomic|\bbegin\b|BeginTx?\s*\(").ok());

fn is_match(re: &LazyLock<Option<Regex>>, text: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(text))
}

fn text<'a>(n: Node<'_>, src: &'a str) -> &'a str {
    n.utf8_text(src.as_bytes()).unwrap_or("")
}

fn squash(s: &str) -> String {
    let t: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 80 {
        format!("{}...", t.chars().take(77).collect::<String>())
    } else {
        t
    }
}

const FUNCTIONS: &[&str] = &[
    "arrow_function",
    "func_literal",
    "function_declaration",
    "function_definition",
    "function_expression",
    "method_declaration",
    "method_definition",
];

const CALLS: &[&str] = &["call", "call_expression"];

/// The call at `line` (1-based) below `root`: of the calls that cover the line, the one
/// that starts first, and of those the smallest (`db.query(…)` in
/// `db.query(…).catch((e) => log(e))`).
fn call_at<'t>(root: Node<'t>, line: u32) -> Option<Node<'t>> {
    let row = line.saturating_sub(1) as usize;
    let mut best: Option<Node<'t>> = None;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.start_position().row > row || n.end_position().row < row {
            continue;
        }
        let better = |b: Node<'t>| (n.start_byte(), n.end_byte()) < (b.start_byte(), b.end_byte());
        if CALLS.contains(&n.kind()) && best.is_none_or(better) {
            best = Some(n);
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    best
}

/// The function defined at `line`, or the file's root for module-level code.
fn function_at<'t>(root: Node<'t>, line: u32) -> Node<'t> {
    if line == 0 {
        return root;
    }
    let row = line as usize - 1;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.start_position().row > row || n.end_position().row < row {
            continue;
        }
        if FUNCTIONS.contains(&n.kind()) && n.start_position().row == row {
            return n;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    root
}

/// Whether `inner` lies inside the child of `parent` named `field`.
fn in_field(parent: Node<'_>, field: &str, inner: Node<'_>) -> bool {
    parent
        .child_by_field_name(field)
        .is_some_and(|f| f.start_byte() <= inner.start_byte() && inner.end_byte() <= f.end_byte())
}

/// How a handler treats the failure it catches.
fn caught(handler: &str, at: String) -> Failure {
    if is_match(&RETHROW, handler) {
        return Failure::Propagates;
    }
    Failure::Caught {
        at,
        counted: is_match(&METRIC, handler),
        logged: is_match(&LOG, handler),
    }
}

/// The facts at one hop: walk up from the call at the site to the function.
fn at_hop(src: &str, grammar: Grammar, hop: &Hop, legacy_line: Option<u32>) -> PathFacts {
    let mut facts = PathFacts::default();
    let Some(tree) = lang::parse(grammar, src) else {
        return facts;
    };
    let func = function_at(tree.root_node(), hop.defined);
    let Some(call) = call_at(func, hop.site) else {
        return facts;
    };
    let legacy = legacy_line.and_then(|l| call_at(func, l));
    let mut node = call;
    while let Some(parent) = node.parent() {
        if parent.id() == func.id() {
            break;
        }
        step(parent, node, src, hop, legacy, &mut facts);
        node = parent;
    }
    if grammar == Grammar::Go && facts.failure == Failure::Propagates {
        facts.failure = go_error_check(call, src, hop);
    }
    facts
}

/// One ancestor on the way up.
fn step(
    parent: Node<'_>,
    node: Node<'_>,
    src: &str,
    hop: &Hop,
    legacy: Option<Node<'_>>,
    facts: &mut PathFacts,
) {
    let at = |n: Node<'_>| format!("{}:{}", hop.file, n.start_position().row + 1);
    let covers = |n: Node<'_>, inner: Option<Node<'_>>| {
        inner.is_some_and(|i| n.start_byte() <= i.start_byte() && i.end_byte() <= n.end_byte())
    };
    match parent.kind() {
        "if_statement" | "elif_clause" | "conditional_expression" | "ternary_expression"
            if facts.condition.is_none()
                && !in_field(parent, "condition", node)
                && !in_field(parent, "initializer", node)
                && !covers(parent, legacy) =>
        {
            let cond = parent
                .field("condition")
                .map_or_else(|| squash(text(parent, src)), |c| squash(text(c, src)));
            facts.condition = Some(format!("{cond} ({})", at(parent)));
        }
        "binary_expression" | "boolean_operator"
            if in_field(parent, "right", node) && !covers(parent, legacy) =>
        {
            let op = parent.field("operator").map(|o| text(o, src));
            if matches!(op, Some("&&" | "and")) && facts.condition.is_none() {
                let left = parent.field("left").map_or("", |l| text(l, src));
                facts.condition = Some(format!("{} ({})", squash(left), at(parent)));
            }
        }
        // Inside the `try` body (not in a handler), and nothing nearer caught it yet.
        "try_statement" if facts.failure == Failure::Propagates && !in_handler(parent, node) => {
            facts.failure = caught(&handlers_of(parent, src), at(parent));
        }
        // `mirror().catch(e => …)`: a promise whose rejection is handled.
        "member_expression"
            if parent
                .field("property")
                .is_some_and(|p| text(p, src) == "catch")
                && facts.failure == Failure::Propagates =>
        {
            if let Some(call) = parent.parent().filter(|p| p.kind() == "call_expression") {
                let args = call.field("arguments").map_or("", |a| text(a, src));
                facts.failure = caught(args, at(call));
            }
        }
        "with_statement" | "call_expression" | "call"
            if covers(parent, legacy) && is_match(&TRANSACTION, first_line(parent, src)) =>
        {
            facts.transaction = true;
        }
        _ => {}
    }
}

fn first_line<'a>(n: Node<'_>, src: &'a str) -> &'a str {
    text(n, src).lines().next().unwrap_or("")
}

/// Whether `node` is inside one of the `except`/`catch`/`finally` parts of a try.
fn in_handler(try_node: Node<'_>, node: Node<'_>) -> bool {
    let mut cursor = try_node.walk();
    try_node.named_children(&mut cursor).any(|c| {
        matches!(
            c.kind(),
            "except_clause" | "catch_clause" | "finally_clause" | "else_clause"
        ) && c.start_byte() <= node.start_byte()
            && node.end_byte() <= c.end_byte()
    })
}

fn handlers_of(try_node: Node<'_>, src: &str) -> String {
    let mut cursor = try_node.walk();
    try_node
        .named_children(&mut cursor)
        .filter(|c| matches!(c.kind(), "except_clause" | "catch_clause"))
        .map(|c| text(c, src).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Go: `if err := f(); err != nil {…}`, or `err := f()` / `_, err = f()` followed by
/// `if err != nil {…}`, or the result dropped (`_ = f()`, `f()` alone).
fn go_error_check(call: Node<'_>, src: &str, hop: &Hop) -> Failure {
    let at = |n: Node<'_>| format!("{}:{}", hop.file, n.start_position().row + 1);
    let mut stmt = call;
    while let Some(p) = stmt.parent() {
        match p.kind() {
            "if_statement" if in_field(p, "initializer", stmt) => {
                let body = p.field("consequence").map_or("", |b| text(b, src));
                return caught(body, at(p));
            }
            "short_var_declaration" | "assignment_statement"
                if p.parent().is_some_and(|i| {
                    i.kind() == "if_statement" && in_field(i, "initializer", p)
                }) =>
            {
                stmt = p;
            }
            "short_var_declaration" | "assignment_statement" => {
                let left = p.field("left").map_or("", |l| text(l, src));
                if !left.split(',').any(|v| v.trim() == "err") {
                    return Failure::Caught {
                        at: at(p),
                        counted: false,
                        logged: false,
                    };
                }
                let next = p
                    .next_named_sibling()
                    .filter(|n| n.kind() == "if_statement");
                return match next {
                    Some(check) => {
                        let body = check.field("consequence").map_or("", |b| text(b, src));
                        caught(body, at(check))
                    }
                    // `err` goes on (returned or checked later): it propagates.
                    None => Failure::Propagates,
                };
            }
            "expression_statement" => {
                return Failure::Caught {
                    at: at(p),
                    counted: false,
                    logged: false,
                };
            }
            "return_statement" | "block" | "function_declaration" | "method_declaration" => {
                return Failure::Propagates;
            }
            _ => stmt = p,
        }
    }
    Failure::Propagates
}

/// The facts of a whole path: the writer's hop first. The first condition and the first
/// catch (nearest the writer) win; a transaction counts in the writer only.
pub fn facts(
    hops: &[Hop],
    legacy_line: u32,
    language: Language,
    sources: &BTreeMap<String, String>,
) -> PathFacts {
    let mut out = PathFacts::default();
    for (i, hop) in hops.iter().enumerate() {
        let Some(src) = sources.get(&hop.file) else {
            continue;
        };
        let Some(grammar) = Grammar::for_file(language, &hop.file) else {
            continue;
        };
        let legacy = (i == 0).then_some(legacy_line);
        let f = at_hop(src, grammar, hop, legacy);
        if out.condition.is_none() {
            out.condition = f.condition;
        }
        if out.failure == Failure::Propagates {
            out.failure = f.failure;
        }
        if i == 0 {
            out.transaction = f.transaction || begins_and_commits(src, grammar, hop, legacy_line);
        }
    }
    out
}

static BEGIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bBeginTx?\s*\(|["'`]\s*(?:BEGIN|START\s+TRANSACTION)\b"#).ok()
});
static COMMIT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?i)\.Commit\s*\(|\.commit\s*\(|["'`]\s*COMMIT\b"#).ok());

/// The writer begins a transaction (`BeginTx(`, `query("BEGIN")`) before its legacy write
/// and commits after the new write's call.
fn begins_and_commits(src: &str, grammar: Grammar, hop: &Hop, legacy_line: u32) -> bool {
    let Some(tree) = lang::parse(grammar, src) else {
        return false;
    };
    let func = function_at(tree.root_node(), hop.defined);
    let body = text(func, src);
    let first = func.start_position().row as u32 + 1;
    let line_of = |re: &LazyLock<Option<Regex>>| {
        body.lines()
            .position(|l| is_match(re, l))
            .map(|i| first + i as u32)
    };
    match (line_of(&BEGIN), line_of(&COMMIT)) {
        (Some(b), Some(c)) => b < legacy_line && c > hop.site,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(
        lang: Language,
        file: &str,
        src: &str,
        defined: u32,
        site: u32,
        legacy: u32,
    ) -> PathFacts {
        let sources = BTreeMap::from([(file.to_string(), src.to_string())]);
        facts(
            &[Hop {
                file: file.to_string(),
                defined,
                site,
            }],
            legacy,
            lang,
            &sources,
        )
    }

    #[test]
    fn patterns_compile() {
        assert!(METRIC.is_some() && LOG.is_some() && RETHROW.is_some() && TRANSACTION.is_some());
        assert!(FUNCTIONS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn python_flag_and_swallowed() {
        let src = "def save(cur, o):\n    cur.execute('UPDATE orders_legacy SET x = 1')\n    if settings.MIRROR_ORDERS:\n        try:\n            cur.execute('UPDATE orders SET x = 1')\n        except Exception:\n            pass\n";
        let f = one(Language::Python, "a.py", src, 1, 5, 2);
        assert_eq!(
            f.condition.as_deref(),
            Some("settings.MIRROR_ORDERS (a.py:3)")
        );
        assert_eq!(
            f.failure,
            Failure::Caught {
                at: "a.py:4".into(),
                counted: false,
                logged: false
            }
        );
        let src = src.replace("pass", "log.warning('x'); MIRROR_FAILURES.inc()");
        let f = one(Language::Python, "a.py", &src, 1, 5, 2);
        assert!(matches!(
            f.failure,
            Failure::Caught {
                counted: true,
                logged: true,
                ..
            }
        ));
        let src = src.replace("log.warning('x'); MIRROR_FAILURES.inc()", "raise");
        assert_eq!(
            one(Language::Python, "a.py", &src, 1, 5, 2).failure,
            Failure::Propagates
        );
    }

    #[test]
    fn go_error_checks_and_transactions() {
        let src = "package s\n\nfunc (s *S) Ship(ctx context.Context) error {\n\ttx, _ := s.db.BeginTx(ctx, nil)\n\tif _, err := tx.ExecContext(ctx, `UPDATE orders_legacy SET a = 1`); err != nil {\n\t\treturn err\n\t}\n\tif _, err := tx.ExecContext(ctx, `UPDATE orders SET a = 1`); err != nil {\n\t\tmirrorFailures.Inc()\n\t}\n\treturn tx.Commit()\n}\n";
        let f = one(Language::Go, "s.go", src, 3, 8, 5);
        assert!(
            matches!(
                f.failure,
                Failure::Caught {
                    counted: true,
                    logged: false,
                    ..
                }
            ),
            "{f:?}"
        );
        assert!(f.transaction);
        assert!(f.condition.is_none());
    }

    #[test]
    fn typescript_catch_and_and() {
        let src = "class O {\n  async save(o) {\n    await db.query('UPDATE orders_legacy SET a = 1');\n    flags.mirror && (await db.query('UPDATE orders SET a = 1').catch((e) => console.error(e)));\n  }\n}\n";
        let f = one(Language::TypeScript, "o.ts", src, 2, 4, 3);
        assert_eq!(f.condition.as_deref(), Some("flags.mirror (o.ts:4)"));
        assert!(
            matches!(
                f.failure,
                Failure::Caught {
                    counted: false,
                    logged: true,
                    ..
                }
            ),
            "{f:?}"
        );
    }
}
