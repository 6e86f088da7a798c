//! Prisma, pass 2: calls of the Prisma client on a model accessor
//! (`<client>.<accessor>.<method>(…)`: `prisma.legacyOrder.create(…)`, `tx.order.delete(…)`),
//! found by `usages`. Each reads or writes its model's table, as the `[[orm]]` rows of
//! `catalog/typescript.toml` say, and may reach other tables without naming them:
//! cascades of a delete, nested `create` / `update` / `delete` under a write, nested
//! `connect` / `disconnect` / `set` on the side holding the key, and reads of related
//! tables through `where` / `include` / `select` / `_count`.

use super::{function_at, outermost, prisma_models::Relation};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use crate::orm::nodes::{named_children, text};
use crate::orm::{ModelDecl, ModelIndex};
use std::collections::HashMap;
use tree_sitter::Node;

/// The client accessors of the Prisma models, for a file that mentions Prisma:
/// `prisma.legacyOrder` → `LegacyOrder`.
pub(super) fn accessors<'m>(src: &str, models: &'m ModelIndex) -> HashMap<String, &'m ModelDecl> {
    if !src.contains("prisma") && !src.contains("Prisma") {
        return HashMap::new();
    }
    models
        .models()
        .iter()
        .filter(|m| m.framework == "prisma")
        .map(|m| (super::prisma_models::accessor(&m.name), m))
        .collect()
}

/// `<client>.<accessor>.<method>(…)` on a Prisma model (`prisma`, `tx`, `this.prisma`,
/// `ctx.db`: any client expression): the model and the catalog row of the method.
pub(super) fn client_call<'m, 'c>(
    src: &str,
    callee: Node<'_>,
    models: &HashMap<String, &'m ModelDecl>,
    catalog: &'c OrmCatalog,
) -> Option<(&'m ModelDecl, &'c OrmRule)> {
    if callee.kind() != "member_expression" {
        return None;
    }
    let method = text(src, callee.field("property")?);
    let object = callee.field("object")?;
    if object.kind() != "member_expression" {
        return None;
    }
    let model = models.get(text(src, object.field("property")?))?;
    let rule = catalog.lookup(&["prisma"], OrmReceiver::Manager, method)?;
    Some((*model, rule))
}

/// The findings of a Prisma client call: its model's table, then what it reaches without
/// naming it (cascades, links and relation reads: `implied`; nested writes).
pub(super) fn report(
    file: &FileInput<'_>,
    index: &LineIndex,
    call: Node<'_>,
    (model, rule): (&ModelDecl, &OrmRule),
    out: &mut FileScan,
) {
    let src = file.text;
    let function = function_at(src, call);
    if let (Some(table), Some(access)) = (model.legacy.clone(), rule.access) {
        let site = Site {
            function: function.clone(),
            evidence: evidence(text(src, outermost(call))),
            sink: Some(rule.method.clone()),
            framework: Some("prisma".to_string()),
            ..file.site_at(index, call.start_byte())
        };
        let operation = rule.operation.unwrap_or(Operation::Unknown);
        out.findings
            .push(site.finding(table, access, operation, rule.kind, Confidence::Inferred));
    }
    out.findings
        .extend(implied(file, index, call, model, &rule.method, &function));
    if rule.access == Some(Access::Write)
        && let Some(args) = call.field("arguments")
    {
        let mut nested = Vec::new();
        let via = vec![format!("{}.{}", model.name, rule.method)];
        nested_writes(
            src,
            &file.ctx.models,
            args,
            &model.name,
            &via,
            0,
            &mut nested,
        );
        for (node, table, operation, via) in nested {
            let site = Site {
                function: function.clone(),
                evidence: evidence(text(src, node)),
                sink: via.last().cloned(),
                framework: Some("prisma".to_string()),
                ..file.site_at(index, node.start_byte())
            };
            let found = site.finding(
                table,
                Access::Write,
                operation,
                rule.kind,
                Confidence::Inferred,
            );
            out.findings.push(found.via(via));
        }
    }
}

/// A nested write found under a Prisma write: where, the table, what, and the chain.
type Nested<'t> = (Node<'t>, String, Operation, Vec<String>);

/// Prisma nested writes: `data: { items: { create: [...] } }` under a write of `model`
/// writes the table of the relation field's model. Collects every nested operation on a
/// legacy model, recursing into deeper nesting (bounded).
fn nested_writes<'t>(
    src: &str,
    models: &ModelIndex,
    node: Node<'t>,
    model: &str,
    via: &[String],
    depth: usize,
    out: &mut Vec<Nested<'t>>,
) {
    if depth > 16 || out.len() > 1000 {
        return;
    }
    let prisma_model = |name: &str| {
        models
            .find(Language::TypeScript, name)
            .into_iter()
            .find(|m| m.framework == "prisma")
    };
    let decl = prisma_model(model);
    for child in named_children(node) {
        if child.kind() != "pair" {
            if matches!(child.kind(), "object" | "array" | "arguments") {
                nested_writes(src, models, child, model, via, depth + 1, out);
            }
            continue;
        }
        let (Some(key), Some(value)) = (child.field("key"), child.field("value")) else {
            continue;
        };
        let key = text(src, key).trim_matches(['"', '\'']);
        let related = decl.and_then(|d| {
            d.associations
                .iter()
                .find(|(field, _)| field == key)
                .map(|(_, m)| m.clone())
        });
        let Some(related) = related.filter(|_| value.kind() == "object") else {
            nested_writes(src, models, value, model, via, depth + 1, out);
            continue;
        };
        for op in named_children(value)
            .into_iter()
            .filter(|p| p.kind() == "pair")
        {
            let (Some(op_key), Some(op_value)) = (op.field("key"), op.field("value")) else {
                continue;
            };
            let op_name = text(src, op_key);
            let operation = match op_name {
                "create" | "createMany" | "connectOrCreate" => Operation::Insert,
                "upsert" => Operation::Upsert,
                // `connect` / `disconnect` / `set` write a foreign key on whichever side holds
                // it, which the relation's direction decides: `implied` reports them
                // (`Walk::links`).
                "update" | "updateMany" => Operation::Update,
                "delete" | "deleteMany" => Operation::Delete,
                _ => continue,
            };
            let mut chain = via.to_vec();
            chain.push(format!("{model}.{key}.{op_name}"));
            if let Some(table) = prisma_model(&related).and_then(|m| m.legacy.clone()) {
                out.push((op, table, operation, chain.clone()));
            }
            nested_writes(src, models, op_value, &related, &chain, depth + 1, out);
        }
    }
}

/// Walks stop this deep in a call's argument objects.
const MAX_DEPTH: usize = 24;

/// Keys under which the objects describe rows to write (`data`, nested `create`…); other
/// keys (`where`, `include`, `select`, `_count`, `orderBy`) describe rows to read.
pub(crate) const WRITE_KEYS: &[&str] = &[
    "create",
    "createMany",
    "data",
    "update",
    "updateMany",
    "upsert",
];

/// Nested operations that set or clear a foreign key without creating or deleting rows.
pub(crate) const LINK_OPERATIONS: &[&str] = &["connect", "disconnect", "set"];

/// One access a Prisma call makes besides its own model's: where, the table, what, why.
struct Implied<'t> {
    node: Node<'t>,
    table: String,
    access: Access,
    operation: Operation,
    via: Vec<String>,
}

/// The accesses `<client>.<model>.<method>(args)` makes to other tables than `model`'s,
/// as findings at `call` (`function` is the enclosing function's name): deleting rows
/// cascades into the legacy children (`onDelete`), a nested `connect` / `disconnect` /
/// `set` through a relation whose other side holds the key updates that side's table,
/// and a relation named in `where` / `include` / `select` / `_count` reads its table.
/// Nested `create` / `update` / `delete` are `nested_writes`'.
fn implied(
    file: &FileInput<'_>,
    index: &LineIndex,
    call: Node<'_>,
    model: &ModelDecl,
    method: &str,
    function: &Option<String>,
) -> Vec<Finding> {
    let src = file.text;
    let models = &file.ctx.models;
    let mut found = Vec::new();
    if matches!(method, "delete" | "deleteMany") {
        for (path, child) in models.cascade_chains(Language::TypeScript, &model.name) {
            let (Some(table), Some(last)) = (child.legacy.clone(), path.last()) else {
                continue;
            };
            if path.iter().any(|c| c.framework != "prisma") {
                continue;
            }
            let mut via = vec![format!("{}.{method}", model.name)];
            via.extend(path.iter().map(|c| c.via.clone()));
            found.push(Implied {
                node: call,
                table,
                access: Access::Write,
                operation: last.operation,
                via,
            });
        }
    }
    if let Some(args) = call.field("arguments") {
        let via = vec![format!("{}.{method}", model.name)];
        let mut walk = Walk { src, models, found };
        walk.objects(args, &model.name, false, &via, 0);
        found = walk.found;
    }
    found
        .into_iter()
        .map(|i| {
            let site = Site {
                function: function.clone(),
                evidence: evidence(text(src, i.node)),
                sink: i.via.last().cloned(),
                framework: Some("prisma".to_string()),
                ..file.site_at(index, i.node.start_byte())
            };
            let found = site.finding(
                i.table,
                i.access,
                i.operation,
                Kind::Orm,
                Confidence::Inferred,
            );
            found.via(i.via)
        })
        .collect()
}

/// The relation `model.field`, if it is one.
fn relation<'a>(models: &'a ModelIndex, model: &str, field: &str) -> Option<&'a Relation> {
    models
        .prisma_relations()
        .iter()
        .find(|r| r.model == model && r.field == field)
}

/// The other side of a relation: the field of the target model pointing back, with the
/// same relation name.
fn back<'a>(models: &'a ModelIndex, r: &Relation) -> Option<&'a Relation> {
    models.prisma_relations().iter().find(|b| {
        b.model == r.target && b.target == r.model && b.name == r.name && b.field != r.field
    })
}

/// The legacy table of a Prisma model.
fn legacy_table(models: &ModelIndex, model: &str) -> Option<String> {
    models
        .find(Language::TypeScript, model)
        .into_iter()
        .find(|m| m.framework == "prisma")
        .and_then(|m| m.legacy.clone())
}

/// The walk over a Prisma call's argument objects: the text, the models that say which
/// keys are relation fields, and the accesses found so far.
struct Walk<'a, 't> {
    src: &'a str,
    models: &'a ModelIndex,
    found: Vec<Implied<'t>>,
}

impl<'t> Walk<'_, 't> {
    /// Visits the object literals under `node` with the model they describe.
    fn objects(
        &mut self,
        node: Node<'t>,
        model: &str,
        writing: bool,
        via: &[String],
        depth: usize,
    ) {
        if depth > MAX_DEPTH || self.found.len() > 1000 {
            return;
        }
        for child in named_children(node) {
            if child.kind() != "pair" {
                if matches!(child.kind(), "object" | "array" | "arguments") {
                    self.objects(child, model, writing, via, depth + 1);
                }
                continue;
            }
            let (Some(key), Some(value)) = (child.field("key"), child.field("value")) else {
                continue;
            };
            let key = text(self.src, key).trim_matches(['"', '\'']);
            let Some(r) = relation(self.models, model, key) else {
                // `data` and nested writes describe rows to write; anything else (`where`,
                // `include`, `select`, `_count`, `AND`, `some`…) rows to read.
                let writing = if WRITE_KEYS.contains(&key) {
                    true
                } else if key == "where" || key == "include" || key == "select" {
                    false
                } else {
                    writing
                };
                self.objects(value, model, writing, via, depth + 1);
                continue;
            };
            let mut chain = via.to_vec();
            chain.push(format!("{model}.{key}"));
            if writing {
                self.links(r, value, &chain);
            } else if let Some(table) = legacy_table(self.models, &r.target) {
                // `include: { orders: true }`, `where: { orders: { some: … } }`.
                self.found.push(Implied {
                    node: child,
                    table,
                    access: Access::Read,
                    operation: Operation::Select,
                    via: chain.clone(),
                });
            }
            self.objects(value, &r.target, writing, &chain, depth + 1);
        }
    }

    /// `connect` / `disconnect` / `set` under a relation field of a write: they update the
    /// table whose row holds the key. When `model` itself holds it, the write of `model` is
    /// the call's own; when the target does, its table is written; when neither does (an
    /// implicit many-to-many), Prisma's join table is, which no model maps.
    fn links(&mut self, r: &Relation, value: Node<'t>, chain: &[String]) {
        if value.kind() != "object" || r.holds_key {
            return;
        }
        if !back(self.models, r).is_some_and(|b| b.holds_key) {
            return;
        }
        let Some(table) = legacy_table(self.models, &r.target) else {
            return;
        };
        for op in named_children(value)
            .into_iter()
            .filter(|p| p.kind() == "pair")
        {
            let Some(op_key) = op.field("key") else {
                continue;
            };
            let op_name = text(self.src, op_key);
            if !LINK_OPERATIONS.contains(&op_name) {
                continue;
            }
            let mut via = chain.to_vec();
            if let Some(last) = via.last_mut() {
                last.push('.');
                last.push_str(op_name);
            }
            self.found.push(Implied {
                node: op,
                table: table.clone(),
                access: Access::Write,
                operation: Operation::Update,
                via,
            });
        }
    }
}
