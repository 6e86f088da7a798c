//! A legacy model class handed to a call nothing else explains (`repo_factory(User)`,
//! `crud.get(db, User, id)`, `get_object_or_404(Index, …)`, `prefetch(q, Index)`): the
//! framework's catalog row for the name if any (`create_tables` is DDL), else the shared
//! vocabulary (`get…` reads, `create…` writes), else an unresolved finding with its reason.

use super::queries::rule;
use super::{Binding, Usages};
use crate::catalog::{OrmReceiver, Vocabulary};
use crate::extract::{FileScan, evidence};
use crate::lang::Field as _;
use crate::model::{Kind, Site};
use crate::orm::ModelDecl;
use crate::orm::nodes::{named_children, text};
use tree_sitter::Node;

/// Calls that take a model class without reading or writing its table: introspection,
/// typing, declarations. Sorted.
const NOT_ACCESSES: &[&str] = &[
    "DeferredForeignKey",
    "Depends",
    "ForeignKey",
    "ForeignKeyField",
    "GenericForeignKey",
    "GenericRelation",
    "ManyToManyField",
    "Relationship",
    "TypeAdapter",
    "aliased",
    "backref",
    "cast",
    "delattr",
    "dir",
    "getattr",
    "hasattr",
    "id",
    "inspect",
    "isinstance",
    "issubclass",
    "len",
    "listen",
    "listens_for",
    "print",
    "relationship",
    "repr",
    "setattr",
    "str",
    "super",
    "type",
    "vars",
    "with_polymorphic",
];

impl<'a> Usages<'a, '_> {
    pub(super) fn generic_call(&self, call: Node<'_>, _bindings: &[Binding], out: &mut FileScan) {
        let Some(function) = call.field("function") else {
            return;
        };
        let name = match function.kind() {
            "identifier" => text(self.src, function),
            "attribute" => match function.field("attribute") {
                Some(a) => text(self.src, a),
                None => return,
            },
            _ => return,
        };
        // A function of this file is scanned itself: its accesses are found in its body. The
        // admin's registrations are the Django view pass's.
        if NOT_ACCESSES.binary_search(&name).is_ok()
            || self.local_functions.contains(name)
            || crate::orm::python::django_views::is_admin_register(text(self.src, function))
        {
            return;
        }
        let mut handed: Vec<&'a ModelDecl> = Vec::new();
        for m in self.classes_handed(call) {
            if m.legacy.is_some() && !handed.iter().any(|h| h.legacy == m.legacy) {
                handed.push(m);
            }
        }
        for m in handed {
            let framework = m.framework.as_str();
            let row = self
                .catalog()
                .lookup(&[framework], OrmReceiver::Function, name)
                .filter(|r| r.access.is_some());
            if let Some(row) = row {
                self.report(call, m, row, name, Vec::new(), out);
            } else if let Some((access, operation)) = Vocabulary::builtin().classify(name) {
                self.report(
                    call,
                    m,
                    &rule(framework, access, operation),
                    name,
                    Vec::new(),
                    out,
                );
            } else if let Some(table) = &m.legacy {
                let site = self.site(call, name, m);
                let reason = format!(
                    "the model {} is handed to {name}(), which is not known",
                    m.name
                );
                out.findings
                    .push(site.unresolved(table.clone(), Kind::Orm, reason));
            }
        }
    }

    /// Model classes among a call's positional arguments (and the elements of a list or
    /// tuple argument): `f(User)`, `create_tables([User, Post])`.
    fn classes_handed(&self, call: Node<'_>) -> Vec<&'a ModelDecl> {
        let Some(args) = call.field("arguments") else {
            return Vec::new();
        };
        let mut nodes = Vec::new();
        for a in named_children(args) {
            match a.kind() {
                "list" | "tuple" => nodes.extend(named_children(a)),
                "identifier" | "attribute" => nodes.push(a),
                _ => {}
            }
        }
        nodes
            .into_iter()
            .filter(|n| matches!(n.kind(), "identifier" | "attribute"))
            .filter_map(|n| {
                let m = self.model(n)?;
                // The class itself, not one of its columns (`User.id`).
                let named = text(self.src, n).rsplit('.').next() == Some(m.name.as_str())
                    || self
                        .imports
                        .get(text(self.src, n))
                        .is_some_and(|(o, _)| *o == m.name);
                named.then_some(m)
            })
            .collect()
    }

    /// The site of a finding made at `call` for `model`.
    pub(super) fn site(&self, call: Node<'_>, method: &str, model: &ModelDecl) -> Site {
        Site {
            function: self.scopes.qualified(call.start_byte()),
            evidence: evidence(text(self.src, call)),
            sink: Some(method.to_string()),
            framework: Some(model.framework.clone()),
            ..self.file.site_at(&self.index, call.start_byte())
        }
    }
}
