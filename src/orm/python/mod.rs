//! Django and SQLAlchemy, which Python code often mixes and which share how classes,
//! imports and call chains read. Pass 1 (`models`): the classes that are models and their
//! tables, decided across files. Pass 2 (`usages`): call chains resolved to those models.
//! Here: what both passes read the same way (string literals, dotted names, method chains).

pub mod alembic;
pub mod django_migrations;
pub mod django_views;
mod migration_ops;
pub mod models;
pub mod usages;

pub use models::{declarations, resolve};
pub use usages::usages;

use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::lang::Field as _;
use crate::model::Access;
use crate::orm::nodes::text;
use tree_sitter::Node;

/// Whether a Python file is a migration (Alembic or Django) that may change a legacy table
/// where no prefilter of names used as code looks (`"users.id"` in a foreign key,
/// `model_name="order"`): such files are parsed for the migration passes.
pub fn migration_may_apply(rel: &str, bytes: &[u8], ctx: &crate::extract::ScanContext) -> bool {
    django_migrations::may_apply(rel, bytes, ctx)
        || ctx.may_name_table(bytes)
            && alembic::applies(rel, std::str::from_utf8(bytes).unwrap_or(""))
}

/// The value of a plain string literal (no f-string interpolation), prefixes and quotes
/// stripped.
fn string_value(src: &str, node: Node<'_>) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut cursor = node.walk();
    if node
        .named_children(&mut cursor)
        .any(|c| c.kind() == "interpolation")
    {
        return None;
    }
    let raw = text(src, node);
    let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = body.strip_prefix(q).and_then(|b| b.strip_suffix(q)) {
            return Some(inner.to_string());
        }
    }
    None
}

/// The value of the keyword argument `name` among a call's arguments (`on_delete=…`).
fn keyword_value<'t>(src: &str, args: &[Node<'t>], name: &str) -> Option<Node<'t>> {
    args.iter()
        .filter(|a| a.kind() == "keyword_argument")
        .find(|a| a.field("name").is_some_and(|n| text(src, n) == name))
        .and_then(|a| a.field("value"))
}

fn last_segment(s: &str) -> &str {
    s.rsplit('.').next().unwrap_or(s)
}

/// `Access`/`Operation` of a chain of methods on one receiver kind: the outermost write
/// wins, else a read if any link reads.
fn chain_access<'c>(
    catalog: &'c OrmCatalog,
    framework: &str,
    receiver: OrmReceiver,
    methods: &[&str],
) -> Option<(&'c OrmRule, usize)> {
    let rules: Vec<(usize, &OrmRule)> = methods
        .iter()
        .enumerate()
        .filter_map(|(i, m)| catalog.lookup(&[framework], receiver, m).map(|r| (i, r)))
        .filter(|(_, r)| r.access.is_some())
        .collect();
    rules
        .iter()
        .rev()
        .find(|(_, r)| r.access == Some(Access::Write))
        .or_else(|| rules.last())
        .map(|(i, r)| (*r, *i))
}

/// A call chain `root.m1(…).m2(…)`, links innermost first.
struct Chain<'t> {
    root: Option<Node<'t>>,
    links: Vec<Link<'t>>,
}

#[derive(Clone, Copy)]
struct Link<'t> {
    method: Node<'t>,
    args: Option<Node<'t>>,
    /// A bare function call (`select(X)`, `super()`), not a method.
    bare: bool,
}

/// Whether `call` is the receiver of another method call (`a.f().g()`: `a.f()` is a link).
fn is_chain_link(call: Node<'_>) -> bool {
    call.parent().is_some_and(|p| {
        p.kind() == "attribute"
            && p.field("object").is_some_and(|o| o.id() == call.id())
            && p.parent().is_some_and(|pp| {
                pp.kind() == "call" && pp.field("function").is_some_and(|f| f.id() == p.id())
            })
    })
}

impl<'t> Chain<'t> {
    fn of(call: Node<'t>) -> Chain<'t> {
        let mut links = Vec::new();
        let mut cur = call;
        let mut root = None;
        for _ in 0..256 {
            if cur.kind() != "call" {
                root = Some(cur);
                break;
            }
            let Some(function) = cur.field("function") else {
                break;
            };
            let args = cur.field("arguments");
            match function.kind() {
                "attribute" => {
                    let (Some(object), Some(attr)) =
                        (function.field("object"), function.field("attribute"))
                    else {
                        break;
                    };
                    links.push(Link {
                        method: attr,
                        args,
                        bare: false,
                    });
                    cur = object;
                }
                "identifier" => {
                    links.push(Link {
                        method: function,
                        args,
                        bare: true,
                    });
                    break;
                }
                _ => break,
            }
        }
        links.reverse();
        Chain { root, links }
    }

    fn methods(&self, src: &'t str) -> Vec<&'t str> {
        self.links.iter().map(|l| text(src, l.method)).collect()
    }

    /// `self.filter(…)`, `self.get_queryset().filter(…)`, `super().get_queryset()…`.
    fn rooted_in_self(&self, src: &str) -> bool {
        match self.root {
            Some(r) => text(src, r) == "self",
            None => self
                .links
                .first()
                .is_some_and(|l| l.bare && text(src, l.method) == "super"),
        }
    }

    fn methods_after_self(&self, src: &'t str) -> Vec<&'t str> {
        let skip = usize::from(self.root.is_none());
        self.methods(src).into_iter().skip(skip).collect()
    }
}
