//! The ORMs and query builders of TypeScript and JavaScript, and the syntax they share.
//! Pass 1 (`models`) parses a `.ts/.js/…` file once and hands the tree to each framework's
//! declarations: TypeORM entities (`typeorm_models`), Sequelize models
//! (`sequelize_models`), Drizzle tables and the naming conventions of query builders
//! (`models`); `schema.prisma` files are read by `prisma_models`. Pass 2 has two walks over
//! the tree: calls that name a table or a model accessor (`usages`: Knex and Kysely chains,
//! Drizzle, the Prisma client through `prisma_usages`) and calls on model classes
//! (`class_usages`: TypeORM entities and repositories, Sequelize models and instances).
//! Here: reading chains, decorators, object literals and string literals.

pub mod class_usages;
pub mod models;
pub mod objection_models;
pub mod prisma_models;
pub mod prisma_usages;
pub mod sequelize_models;
pub mod typeorm_models;
pub mod usages;

pub use models::{declarations, may_declare};
pub use usages::usages;

use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::lang::Field as _;
use crate::model::{Access, Operation};
use crate::orm::nodes::{named_children, text};
use tree_sitter::Node;

/// Walks stop here: a pathological file cannot make a pass unbounded.
const MAX_NODES: usize = 500_000;
/// Links of one chain looked at in either direction.
const MAX_CHAIN: usize = 256;

/// What the chain around a table-naming call does: the first write among its methods (in
/// either direction: `knex.select().from("t")`, `knex("t").where(…).del()`), else the
/// first read; a chain with neither is still a query the builder runs when awaited
/// (`await knex("t").where(…)`), a read.
pub(crate) fn chain_access(
    src: &str,
    call: Node<'_>,
    catalog: &OrmCatalog,
    framework: &str,
) -> (Access, Operation, String) {
    let mut methods = Vec::new();
    // Earlier links: down the callee's object.
    let mut node = call.field("function").and_then(|f| f.field("object"));
    while let Some(n) = node {
        if methods.len() >= MAX_CHAIN {
            break;
        }
        match n.kind() {
            "call_expression" => node = n.field("function"),
            "member_expression" => {
                if let Some(p) = n.field("property") {
                    methods.push(text(src, p).to_string());
                }
                node = n.field("object");
            }
            _ => break,
        }
    }
    // Later links: up through `.method(…)`.
    let mut at = call;
    while methods.len() < MAX_CHAIN {
        let Some(member) = at
            .parent()
            .filter(|p| p.kind() == "member_expression" && p.field("object") == Some(at))
        else {
            break;
        };
        if let Some(p) = member.field("property") {
            methods.push(text(src, p).to_string());
        }
        match member.parent().filter(|c| c.kind() == "call_expression") {
            Some(c) => at = c,
            None => break,
        }
    }
    // `knex.schema.table("t", (t) => …)` alters the table.
    if methods.iter().any(|m| m == "schema") {
        return (Access::Ddl, Operation::Alter, "schema".to_string());
    }
    let rules: Vec<&OrmRule> = methods
        .iter()
        .filter_map(|m| catalog.lookup(&[framework], OrmReceiver::Query, m))
        .filter(|r| r.access.is_some())
        .collect();
    let pick = rules
        .iter()
        .find(|r| r.access == Some(Access::Write))
        .or_else(|| rules.first());
    match pick {
        Some(r) => (
            r.access.unwrap_or(Access::Read),
            r.operation.unwrap_or(Operation::Unknown),
            r.method.clone(),
        ),
        None => (Access::Read, Operation::Select, "await".to_string()),
    }
}

/// Whether a call sits inside a template substitution (a few levels up).
pub(crate) fn in_template(call: Node<'_>) -> bool {
    let mut at = call.parent();
    for _ in 0..8 {
        match at {
            Some(n) if n.kind() == "template_substitution" => return true,
            Some(n) => at = n.parent(),
            None => return false,
        }
    }
    false
}

/// The whole chain a call belongs to, for evidence.
pub(crate) fn outermost(call: Node<'_>) -> Node<'_> {
    let mut at = call;
    for _ in 0..MAX_CHAIN {
        let Some(up) = at.parent().and_then(|p| {
            (p.kind() == "member_expression" && p.field("object") == Some(at))
                .then(|| p.parent())
                .flatten()
                .filter(|c| c.kind() == "call_expression")
        }) else {
            break;
        };
        at = up;
    }
    at
}

/// The name of the function or method around a node (`Class.method`, a function
/// declaration, or the variable an arrow function is bound to).
pub(crate) fn function_at(src: &str, node: Node<'_>) -> Option<String> {
    function_at_with(src, node, |n| n.parent())
}

/// `function_at` with a caller's parent lookup (a precomputed map on deep trees, where
/// `Node::parent`, which walks down from the root, costs the depth at every step).
pub(crate) fn function_at_with<'t>(
    src: &str,
    node: Node<'t>,
    parent: impl Fn(Node<'t>) -> Option<Node<'t>>,
) -> Option<String> {
    let mut at = parent(node);
    let mut name: Option<String> = None;
    while let Some(n) = at {
        match n.kind() {
            "function_declaration" | "generator_function_declaration" if name.is_none() => {
                name = n.field("name").map(|x| text(src, x).to_string());
            }
            "method_definition" if name.is_none() => {
                name = n.field("name").map(|x| text(src, x).to_string());
            }
            "arrow_function" | "function_expression" | "function" if name.is_none() => {
                name = parent(n)
                    .filter(|p| p.kind() == "variable_declarator")
                    .and_then(|p| p.field("name"))
                    .map(|x| text(src, x).to_string());
            }
            "class_declaration" | "class" => {
                if let (Some(m), Some(c)) = (name.as_ref(), n.field("name").map(|x| text(src, x))) {
                    return Some(format!("{c}.{m}"));
                }
            }
            _ => {}
        }
        at = parent(n);
    }
    name
}

/// A string literal's value, or a template literal's when it has no substitutions.
pub(crate) fn string_value(src: &str, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string" => Some(
            children_with_comments(node)
                .into_iter()
                .filter(|c| c.kind() == "string_fragment")
                .map(|c| text(src, c))
                .collect(),
        ),
        "template_string" => {
            let kids = children_with_comments(node);
            if kids.iter().any(|c| c.kind() == "template_substitution") {
                return None;
            }
            let raw = text(src, node);
            Some(raw.trim_matches('`').to_string())
        }
        _ => None,
    }
}

/// Named children, comments included (a comment argument counts as a position here).
fn children_with_comments(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

pub(crate) fn is_class(n: Node<'_>) -> bool {
    matches!(
        n.kind(),
        "class_declaration" | "abstract_class_declaration" | "class"
    )
}

/// A class's decorators: its own, and those of the `export` statement around it (the
/// grammar hangs `@Entity() export class X` decorators on the export).
pub(crate) fn decorators(class: Node<'_>) -> Vec<Node<'_>> {
    let mut out: Vec<Node<'_>> = named_children(class)
        .into_iter()
        .filter(|c| c.kind() == "decorator")
        .collect();
    if let Some(export) = class.parent().filter(|p| p.kind() == "export_statement") {
        out.extend(
            named_children(export)
                .into_iter()
                .filter(|c| c.kind() == "decorator"),
        );
    }
    out.sort_by_key(|d| d.start_byte());
    out
}

/// `@Name(args…)` / `@Name` / `@lib.Name(args…)`: the decorator's last name segment and its
/// arguments.
pub(crate) fn decorator_call<'s, 't>(
    src: &'s str,
    decorator: Node<'t>,
) -> Option<(&'s str, Vec<Node<'t>>)> {
    let inner = named_children(decorator).into_iter().next()?;
    let (callee, args) = match inner.kind() {
        "call_expression" => (
            inner.field("function")?,
            named_children(inner.field("arguments")?),
        ),
        "identifier" | "member_expression" => (inner, Vec::new()),
        _ => return None,
    };
    let name = match callee.kind() {
        "identifier" => text(src, callee),
        "member_expression" => text(src, callee.field("property")?),
        _ => return None,
    };
    Some((name, args))
}

/// Names of the classes a class extends (last segment; generic arguments dropped).
pub(crate) fn heritage(src: &str, class: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for h in named_children(class)
        .into_iter()
        .filter(|c| c.kind() == "class_heritage")
    {
        for clause in named_children(h)
            .into_iter()
            .filter(|c| c.kind() == "extends_clause")
        {
            if let Some(v) = clause.field("value") {
                let name = match v.kind() {
                    "member_expression" => v.field("property").map(|p| text(src, p)).unwrap_or(""),
                    _ => text(src, v),
                };
                if !name.is_empty() {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

/// The string value of `key` in an object literal.
pub(crate) fn object_string(src: &str, object: Node<'_>, key: &str) -> Option<String> {
    object_value(src, object, key).and_then(|v| string_value(src, v))
}

/// The value node of `key` in an object literal (`{ key: v }`, `{ "key": v }`).
pub(crate) fn object_value<'t>(src: &str, object: Node<'t>, key: &str) -> Option<Node<'t>> {
    named_children(object)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .find(|p| {
            p.field("key")
                .map(|k| text(src, k).trim_matches(['"', '\'']))
                == Some(key)
        })
        .and_then(|p| p.field("value"))
}
