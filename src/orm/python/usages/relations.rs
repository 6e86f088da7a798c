//! Relations named outside a call chain: a lazy load `post.author` on a typed instance
//! (a read of the child), a collection assigned `user.posts = […]` (a write of the child,
//! unless through an association table), and a relation handed to a loader option
//! (`selectinload(User.posts)`, `joinedload`) or filtered on (`User.posts.any(…)`).

use super::queries::rule;
use super::{Binding, Usages};
use crate::extract::FileScan;
use crate::lang::Field as _;
use crate::model::{Access, Operation};
use crate::orm::nodes::text;
use tree_sitter::Node;

/// Loader options that load a relation's rows with the query.
const LOADERS: &[&str] = &[
    "contains_eager",
    "defaultload",
    "joinedload",
    "selectinload",
    "subqueryload",
];

/// Operators on a relation that put its table into the statement.
const OPERATORS: &[&str] = &["any", "has"];

impl Usages<'_, '_> {
    pub(super) fn relation_attribute(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
        out: &mut FileScan,
    ) {
        let (Some(object), Some(attr)) = (node.field("object"), node.field("attribute")) else {
            return;
        };
        let attr_name = text(self.src, attr);
        let pos = node.start_byte();
        if self.reverse_one_to_one(node, attr_name, out) {
            return;
        }
        // On an instance: a lazy load, or an assignment of the collection.
        if let Some(parent) = self.instance_of(object, bindings, pos) {
            let Some((rel, child)) = self.relation(parent, attr_name) else {
                return;
            };
            if is_chain_root(node) {
                return; // the call pass reads the chain
            }
            let via = vec![format!("{}.{}", rel.parent, rel.accessor)];
            if is_assigned(node) {
                // `user.posts = […]` replaces the child rows; `comment.author = user` only
                // sets the comment's own foreign key.
                if !rel.secondary && assigned_collection(node) {
                    let write = rule("sqlalchemy", Access::Write, Operation::Update);
                    self.report(node, child, &write, attr_name, via, out);
                }
            } else if !rel.joined {
                // (A `lazy="joined"` relation came with its parent: no query here.)
                let read = rule("sqlalchemy", Access::Read, Operation::Select);
                self.report(node, child, &read, attr_name, via, out);
            }
            return;
        }
        // On the class: `selectinload(User.posts)`, `User.posts.any(…)`.
        let Some(class) = self.model(object) else {
            return;
        };
        if class.name != last(text(self.src, object)) {
            return;
        }
        let Some((rel, child)) = self.relation(class, attr_name) else {
            return;
        };
        let how = loader_of(self.src, node).or_else(|| operator_on(self.src, node));
        if let Some(how) = how {
            let via = vec![format!("{}.{}", rel.parent, rel.accessor)];
            let read = rule("sqlalchemy", Access::Read, Operation::Select);
            self.report(node, child, &read, how, via, out);
        }
    }
}

impl Usages<'_, '_> {
    /// `x.usersettings_helpdesk` where the name is the explicit one-to-one `related_name`
    /// of one Django model mapped to a legacy table, whatever `x` is (the auth user is not
    /// a model of the repository): a lazy load of that row, or, as the receiver of
    /// `save()` / `delete()`, a write of it. `true` when the attribute was one.
    fn reverse_one_to_one(&self, node: Node<'_>, attr: &str, out: &mut FileScan) -> bool {
        let Some(child) = self
            .models()
            .reverse_one_to_one(attr)
            .filter(|m| m.framework == "django" && m.legacy.is_some())
        else {
            return false;
        };
        let via = vec![format!("{}.{attr} (reverse one-to-one)", child.name)];
        if is_chain_root(node) {
            // The call pass does not see this receiver: say what its method does here.
            let method = node
                .parent()
                .and_then(|p| p.field("attribute"))
                .map(|m| text(self.src, m))
                .unwrap_or("");
            if let Some(rule) = self.catalog().lookup(
                &[&child.framework],
                crate::catalog::OrmReceiver::Instance,
                method,
            ) {
                let call = node.parent().and_then(|p| p.parent()).unwrap_or(node);
                self.report(call, child, rule, method, via, out);
            }
        } else if !is_assigned(node) {
            // One read per line and table (`a.profile … b.profile` on one line is one site).
            let line = self.site(node, attr, child).line;
            let seen = out.findings.iter().any(|f| {
                f.line == line
                    && f.access == Access::Read
                    && Some(&f.table) == child.legacy.as_ref()
            });
            if !seen {
                let read = rule("django", Access::Read, Operation::Select);
                self.report(node, child, &read, attr, via, out);
            }
        }
        true
    }
}

fn last(s: &str) -> &str {
    s.rsplit('.').next().unwrap_or(s)
}

/// `x.rel.m(…)`: `x.rel` is the object of a method called on it.
fn is_chain_root(node: Node<'_>) -> bool {
    node.parent().is_some_and(|p| {
        p.kind() == "attribute"
            && p.field("object").is_some_and(|o| o.id() == node.id())
            && p.parent().is_some_and(|pp| {
                pp.kind() == "call" && pp.field("function").is_some_and(|f| f.id() == p.id())
            })
    })
}

/// `x.rel = [ … ]`: a list, tuple, set or comprehension is assigned.
fn assigned_collection(node: Node<'_>) -> bool {
    node.parent()
        .and_then(|p| p.field("right"))
        .is_some_and(|r| {
            matches!(
                r.kind(),
                "list" | "tuple" | "set" | "list_comprehension" | "set_comprehension"
            )
        })
}

/// `x.rel = …` (not `x.rel.y = …`).
fn is_assigned(node: Node<'_>) -> bool {
    node.parent().is_some_and(|p| {
        matches!(p.kind(), "assignment" | "augmented_assignment")
            && p.field("left").is_some_and(|l| l.id() == node.id())
    })
}

/// The loader option `node` is the first argument of.
fn loader_of<'s>(src: &'s str, node: Node<'_>) -> Option<&'s str> {
    let args = node.parent().filter(|p| p.kind() == "argument_list")?;
    let call = args.parent().filter(|c| c.kind() == "call")?;
    let name = last(text(src, call.field("function")?));
    LOADERS.contains(&name).then_some(name)
}

/// `User.posts.any(…)`: the operator called on the relation.
fn operator_on<'s>(src: &'s str, node: Node<'_>) -> Option<&'s str> {
    let p = node.parent().filter(|p| p.kind() == "attribute")?;
    let name = text(src, p.field("attribute")?);
    (is_chain_root(node) && OPERATORS.contains(&name)).then_some(name)
}
