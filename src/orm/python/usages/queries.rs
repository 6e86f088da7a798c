//! SQLAlchemy query chains rooted in a model rather than a session: Flask-SQLAlchemy's
//! `Model.query.…` (also `self.query` in a model's method), relations of a typed instance
//! (`self.followed.filter_by(…).first()` on a `lazy="dynamic"` or `WriteOnlyMapped`
//! relation, `user.posts.append(p)`), peewee's class methods (`Index.select()…`,
//! `cls.delete()`), and the other models a chain joins (`.join(Follow, …)`).

use super::{Binding, Usages, is_self_attribute};
use crate::catalog::{OrmReceiver, OrmRule};
use crate::extract::FileScan;
use crate::lang::Field as _;
use crate::model::{Access, Kind, Language, Operation};
use crate::orm::nodes::{all_nodes, named_children, text};
use crate::orm::python::{Chain, chain_access};
use crate::orm::{ModelDecl, Related};
use tree_sitter::Node;

/// Methods of a relation collection that change which child rows point at the parent.
const COLLECTION_WRITES: &[&str] = &[
    "add", "add_all", "append", "clear", "extend", "insert", "pop", "remove",
];

/// Last methods of a read that load no rows (so no eager loads).
const NO_ROWS: &[&str] = &["count", "exists", "scalar"];

/// Methods of a chain whose arguments name further tables it reads.
const JOINS: &[&str] = &["join", "join_from", "outerjoin", "select_from"];

/// A rule for what the catalog has no row for: the chain reads.
pub(super) fn rule(framework: &str, access: Access, operation: Operation) -> OrmRule {
    OrmRule {
        framework: framework.to_string(),
        receiver: OrmReceiver::Query,
        method: String::new(),
        access: Some(access),
        operation: Some(operation),
        model_arg: None,
        instance_arg: None,
        table_arg: None,
        kind: Kind::Orm,
    }
}

impl<'a> Usages<'a, '_> {
    /// The model whose rows a chain's root gives: `Model.query`, `obj.rel`.
    pub(super) fn query_root(
        &self,
        chain: &Chain<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        self.relation_root(chain, bindings, pos)
            .map(|(_, child)| child)
            .or_else(|| self.flask_query_root(chain, bindings, pos))
    }

    /// `User.query` or `self.query` (Flask-SQLAlchemy's query property).
    fn flask_query_root(
        &self,
        chain: &Chain<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        let root = chain.root.filter(|r| r.kind() == "attribute")?;
        if text(self.src, root.field("attribute")?) != "query" {
            return None;
        }
        let object = root.field("object")?;
        let m = self
            .model(object)
            .or_else(|| self.instance_of(object, bindings, pos))?;
        (m.framework == "sqlalchemy").then_some(m)
    }

    /// A model instance held in a name (`user`, `self`, `self.user`).
    pub(super) fn instance_of(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        if node.kind() != "identifier" && !is_self_attribute(self.src, node) {
            return None;
        }
        match self.var_type(text(self.src, node), pos, bindings)? {
            super::VarType::Instance { model, module, .. } => {
                self.lookup(&model, module.as_deref())
            }
            _ => None,
        }
    }

    /// `obj.rel` at the root of a chain, `obj` a SQLAlchemy model instance and `rel` one of
    /// its relations: the relation and the child model.
    fn relation_root(
        &self,
        chain: &Chain<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<(&'a Related, &'a ModelDecl)> {
        let root = chain.root.filter(|r| r.kind() == "attribute")?;
        let parent = self.instance_of(root.field("object")?, bindings, pos)?;
        self.relation(parent, text(self.src, root.field("attribute")?))
    }

    /// The relation `accessor` of a SQLAlchemy model, and its child model.
    pub(super) fn relation(
        &self,
        parent: &ModelDecl,
        accessor: &str,
    ) -> Option<(&'a Related, &'a ModelDecl)> {
        if parent.framework != "sqlalchemy" {
            return None;
        }
        let rel = self
            .models()
            .relations_of(Language::Python, &parent.name)
            .into_iter()
            .find(|r| r.accessor == accessor)?;
        let child = self
            .models()
            .find(Language::Python, &rel.child)
            .into_iter()
            .next()?;
        Some((rel, child))
    }

    /// Chains rooted in a model or a relation; `true` when the chain was one.
    pub(super) fn model_rooted_chain(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        methods: &[&str],
        bindings: &[Binding],
        out: &mut FileScan,
    ) -> bool {
        let pos = call.start_byte();
        if let Some((rel, child)) = self.relation_root(chain, bindings, pos) {
            let via = vec![format!("{}.{}", rel.parent, rel.accessor)];
            if COLLECTION_WRITES.contains(&methods[0]) {
                // Through `secondary=` the association table is written, not the child's.
                if !rel.secondary {
                    let rule = rule("sqlalchemy", Access::Write, Operation::Update);
                    self.report(call, child, &rule, methods[0], via, out);
                }
            } else {
                self.query_chain(call, chain, child, methods, via, out);
            }
            return true;
        }
        if let Some(m) = self.flask_query_root(chain, bindings, pos) {
            self.query_chain(call, chain, m, methods, Vec::new(), out);
            return true;
        }
        if let Some(m) = chain
            .root
            .and_then(|r| self.model(r))
            .filter(|m| m.framework == "peewee")
        {
            let catalog = self.catalog();
            if let Some((rule, i)) = chain_access(catalog, "peewee", OrmReceiver::Manager, methods)
            {
                self.report(call, m, rule, methods[i], Vec::new(), out);
                self.joined_reads(call, chain, m, out);
                return true;
            }
            // A classmethod of the project's own (`DocLookup.set_identifier(…)`): the
            // generic pass classifies it by its name.
            return false;
        }
        false
    }

    /// A SQLAlchemy `Query` chain of `m`: its outermost write, else a read.
    fn query_chain(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        m: &ModelDecl,
        methods: &[&str],
        via: Vec<String>,
        out: &mut FileScan,
    ) {
        let found = chain_access(self.catalog(), "sqlalchemy", OrmReceiver::Query, methods);
        let read = rule("sqlalchemy", Access::Read, Operation::Select);
        let (rule, method) = match found {
            Some((r, i)) => (r, methods[i]),
            None => (&read, methods.last().copied().unwrap_or("query")),
        };
        self.report(call, m, rule, method, via, out);
        if rule.access == Some(Access::Read) {
            self.joined_reads(call, chain, m, out);
            if !NO_ROWS.contains(&methods.last().copied().unwrap_or("")) {
                self.eager_reads(call, m, out);
            }
        }
    }

    /// Relations of `m` loaded with `lazy="joined"`: loading `m`'s rows joins their tables.
    pub(super) fn eager_reads(&self, call: Node<'_>, m: &ModelDecl, out: &mut FileScan) {
        let mut seen: Vec<&str> = m.legacy.as_deref().into_iter().collect();
        for rel in self.models().relations_of(Language::Python, &m.name) {
            if !rel.joined {
                continue;
            }
            let Some(child) = self
                .models()
                .find(Language::Python, &rel.child)
                .into_iter()
                .next()
            else {
                continue;
            };
            if let Some(t) = child.legacy.as_deref().filter(|t| !seen.contains(t)) {
                seen.push(t);
                let read = rule("sqlalchemy", Access::Read, Operation::Select);
                let via = vec![format!("{}.{} lazy=\"joined\"", rel.parent, rel.accessor)];
                self.report(call, child, &read, &rel.accessor, via, out);
            }
        }
    }

    /// Reads of the other legacy models a chain joins (`.join(Follow, …)`,
    /// `.join(Post.author)`, `.select_from(User)`).
    pub(super) fn joined_reads(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        main: &ModelDecl,
        out: &mut FileScan,
    ) {
        let mut seen: Vec<&str> = main.legacy.as_deref().into_iter().collect();
        for link in &chain.links {
            if !JOINS.contains(&text(self.src, link.method)) {
                continue;
            }
            let Some(first) = link.args.and_then(|a| named_children(a).into_iter().next()) else {
                continue;
            };
            let Some(joined) = self.joined_model(first) else {
                continue;
            };
            if let Some(t) = joined.legacy.as_deref().filter(|t| !seen.contains(t)) {
                seen.push(t);
                let read = rule(&joined.framework, Access::Read, Operation::Select);
                let method = text(self.src, link.method);
                self.report(call, joined, &read, method, Vec::new(), out);
            }
        }
    }

    /// The model a join target names: a class, or a relation of one (`Post.author`,
    /// `Post.author.of_type(A)`).
    fn joined_model(&self, node: Node<'_>) -> Option<&'a ModelDecl> {
        all_nodes(node)
            .into_iter()
            .take(64)
            .find_map(|n| match n.kind() {
                "identifier" => self.model(n),
                "attribute" => {
                    let object = n.field("object")?;
                    let attr = text(self.src, n.field("attribute")?);
                    let parent = self.model(object)?;
                    self.relation(parent, attr).map(|(_, child)| child)
                }
                _ => None,
            })
    }
}
