//! Prisma schemas, pass 1: one decoded `schema.prisma` (any `.prisma` file) in, a
//! `ModelDecl` per `model X { … }` out, with its table: `@@map("t")` when present, else the
//! model name itself (Prisma's default), qualified by `@@schema("s")` when given. A small
//! line parser: Prisma's grammar puts each block opener, field and block attribute on its
//! own line. Relation fields become `Relation`s (which side holds the foreign key) and
//! `Cascade`s (`onDelete: Cascade` / `SetNull` / `SetDefault`, or Prisma's default `SetNull`
//! for an optional relation). Usages (`prisma.<model>.<method>`) are resolved in
//! `orm::typescript`, which hands each call to `implied` (pass 2, here): the writes the
//! call makes without naming the table (cascades of a delete, nested `connect` /
//! `disconnect` / `set` on the side holding the key) and the reads of related tables
//! through `where` / `include` / `select` / `_count`.

use super::tree::{named_children, text};
use super::{Cascade, FileDecls, ModelDecl, ModelIndex, TableSource};
use crate::extract::{FileInput, LineIndex, evidence};
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use tree_sitter::Node;

/// A relation field of a Prisma model (`orders LegacyOrder[]`, `customer Customer?
/// @relation(fields: [customerId], references: [id])`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relation {
    pub model: String,
    pub field: String,
    pub target: String,
    /// `@relation("name")` / `@relation(name: "name")`: pairs the two sides when two
    /// models have several relations.
    pub name: Option<String>,
    pub list: bool,
    /// `fields: [...]`: this side's table holds the foreign key.
    pub holds_key: bool,
}

/// Prisma's scalar types (sorted): a field of one of these is not a relation. Enum-typed
/// fields stay in the list but name no model, so they resolve to nothing.
pub(crate) const SCALARS: &[&str] = &[
    "BigInt",
    "Boolean",
    "Bytes",
    "DateTime",
    "Decimal",
    "Float",
    "Int",
    "Json",
    "String",
    "Unsupported",
];

pub fn declarations(rel: &str, src: &str) -> FileDecls {
    let mut out = FileDecls::default();
    let mut current: Option<(ModelDecl, Option<String>, Option<String>)> = None;
    for (i, raw) in src.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if let Some((mut decl, map, schema)) = current.take() {
            if line.starts_with('}') {
                let table = map.clone().unwrap_or_else(|| decl.name.clone());
                decl.source = if map.is_some() {
                    TableSource::Explicit
                } else {
                    TableSource::Convention
                };
                decl.explicit_table = map;
                decl.table = Some(match schema {
                    Some(s) => format!("{s}.{table}"),
                    None => table,
                });
                out.models.push(decl);
                continue;
            }
            // A field whose type is another model (`items OrderItem[]`): nested writes
            // through it reach that model's table.
            let mut words = line.split_whitespace();
            if let (Some(field), Some(written)) = (words.next(), words.next())
                && is_identifier(field)
            {
                let ty = written.trim_end_matches('?').trim_end_matches("[]");
                if ty.starts_with(|c: char| c.is_ascii_uppercase())
                    && is_identifier(ty)
                    && SCALARS.binary_search(&ty).is_err()
                {
                    decl.associations.push((field.to_string(), ty.to_string()));
                    relation_field(&decl.name, field, written, ty, line, &mut out);
                }
            }
            let map = map.or_else(|| block_attribute(line, "@@map"));
            let schema = schema.or_else(|| block_attribute(line, "@@schema"));
            current = Some((decl, map, schema));
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() != Some("model") {
            continue;
        }
        let Some(name) = words.next().filter(|n| is_identifier(n)) else {
            continue;
        };
        if !line.ends_with('{') {
            continue;
        }
        let mut decl = ModelDecl::new(Language::TypeScript, "prisma", name, rel);
        decl.module = rel.to_string();
        decl.line = i as u32 + 1;
        decl.column = (raw.len() - raw.trim_start().len()) as u32 + 1;
        decl.evidence = crate::extract::evidence(line);
        current = Some((decl, None, None));
    }
    out
}

/// Records a relation field, and the cascade a delete of the other side makes when this
/// side holds the key. Enum-typed fields look alike and are recorded too: they name no
/// model, so nothing resolves through them.
fn relation_field(
    model: &str,
    field: &str,
    written: &str,
    target: &str,
    line: &str,
    out: &mut FileDecls,
) {
    let args = line
        .split_once("@relation(")
        .map(|(_, rest)| rest.rsplit_once(')').map_or(rest, |(a, _)| a))
        .unwrap_or("");
    let name = relation_name(args);
    let holds_key = args.contains("fields:");
    out.prisma_relations.push(Relation {
        model: model.to_string(),
        field: field.to_string(),
        target: target.to_string(),
        name,
        list: written.ends_with("[]"),
        holds_key,
    });
    if !holds_key {
        return;
    }
    let optional = written.ends_with('?');
    let written_action = argument_word(args, "onDelete:");
    // Prisma's defaults: `SetNull` for an optional relation, `Restrict` for a required one.
    let (action, default) = match written_action {
        Some(a) => (a, false),
        None if optional => ("SetNull", true),
        None => return,
    };
    let operation = match action {
        "Cascade" => Operation::Delete,
        "SetNull" | "SetDefault" => Operation::Update,
        _ => return,
    };
    let why = if default {
        " (the default for an optional relation)"
    } else {
        ""
    };
    out.cascades.push(Cascade {
        language: Language::TypeScript,
        framework: "prisma".to_string(),
        parent: target.to_string(),
        child: model.to_string(),
        child_file: String::new(),
        operation,
        via: format!("{model}.{field} onDelete: {action}{why}"),
    });
}

/// The relation's name: the first argument when it is a string, or `name: "…"`.
fn relation_name(args: &str) -> Option<String> {
    let args = args.trim_start();
    let rest = args
        .strip_prefix("name:")
        .map(str::trim_start)
        .or_else(|| args.starts_with('"').then_some(args))
        .or_else(|| args.split_once("name:").map(|(_, r)| r.trim_start()))?;
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// The identifier after `key` in an argument list (`onDelete: Cascade` → `Cascade`).
fn argument_word<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    let (_, rest) = args.split_once(key)?;
    let word: &str = rest
        .trim_start()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()?;
    (!word.is_empty()).then_some(word)
}

/// The string argument of a block attribute: `@@map("orders_legacy")` → `orders_legacy`,
/// also `@@map(name: "orders_legacy")`.
fn block_attribute(line: &str, attribute: &str) -> Option<String> {
    let rest = line
        .strip_prefix(attribute)?
        .trim_start()
        .strip_prefix('(')?;
    let start = rest.find('"')? + 1;
    let len = rest[start..].find('"')?;
    Some(rest[start..start + len].to_string())
}

fn is_identifier(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The client's accessor for a model: the name with a lower-case first letter
/// (`LegacyOrder` → `prisma.legacyOrder`).
pub fn accessor(model: &str) -> String {
    let mut chars = model.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Pass 2
// ---------------------------------------------------------------------------------------

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
/// Nested `create` / `update` / `delete` are `orm::typescript`'s.
pub fn implied(
    file: &FileInput<'_>,
    index: &LineIndex,
    call: Node<'_>,
    model: &ModelDecl,
    method: &str,
    function: Option<String>,
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
    if let Some(args) = call.child_by_field_name("arguments") {
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
            let (Some(key), Some(value)) = (
                child.child_by_field_name("key"),
                child.child_by_field_name("value"),
            ) else {
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
            let Some(op_key) = op.child_by_field_name("key") else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_map_and_schema() {
        let src = r#"
datasource db { provider = "postgresql" url = env("DATABASE_URL") }

model LegacyOrder {
  id     Int    @id // @@map("not_this")
  status String
  items  OrderItem[]
  @@map("orders_legacy")
}

model OrderItem {
  id Int @id
  @@schema("billing")
}

model Broken {
  id Int
"#;
        let d = declarations("prisma/schema.prisma", src);
        let got: Vec<(String, Option<String>, TableSource, u32)> = d
            .models
            .iter()
            .map(|m| (m.name.clone(), m.table.clone(), m.source, m.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "LegacyOrder".to_string(),
                    Some("orders_legacy".to_string()),
                    TableSource::Explicit,
                    4
                ),
                (
                    "OrderItem".to_string(),
                    Some("billing.OrderItem".to_string()),
                    TableSource::Convention,
                    11
                ),
            ]
        );
        assert_eq!(
            d.models[0].associations,
            [("items".to_string(), "OrderItem".to_string())]
        );
        assert_eq!(accessor("LegacyOrder"), "legacyOrder");
        assert_eq!(
            block_attribute("@@map(name: \"t\")", "@@map").as_deref(),
            Some("t")
        );
        assert_eq!(block_attribute("@@mapx(\"t\")", "@@map"), None);
    }

    #[test]
    fn relations_and_cascades() {
        let src = r#"
model User {
  id      Int     @id
  posts   Post[]  @relation("author")
  edited  Post[]  @relation(name: "editor")
  profile Profile?
}

model Post {
  id       Int   @id
  author   User  @relation("author", fields: [authorId], references: [id], onDelete: Cascade)
  authorId Int
  editor   User? @relation(name: "editor", fields: [editorId], references: [id])
  editorId Int?
  owner    User  @relation(fields: [ownerId], references: [id])
  ownerId  Int
}

model Profile {
  id     Int   @id
  user   User  @relation(fields: [userId], references: [id], onDelete: SetDefault)
  userId Int   @default(0)
  coach  User? @relation(fields: [coachId], references: [id], onDelete: Restrict)
  coachId Int?
}
"#;
        let d = declarations("schema.prisma", src);
        let cascades: Vec<(String, String, Operation, String)> = d
            .cascades
            .iter()
            .map(|c| {
                (
                    c.parent.clone(),
                    c.child.clone(),
                    c.operation,
                    c.via.clone(),
                )
            })
            .collect();
        assert_eq!(
            cascades,
            [
                (
                    "User".to_string(),
                    "Post".to_string(),
                    Operation::Delete,
                    "Post.author onDelete: Cascade".to_string()
                ),
                (
                    "User".to_string(),
                    "Post".to_string(),
                    Operation::Update,
                    "Post.editor onDelete: SetNull (the default for an optional relation)"
                        .to_string()
                ),
                (
                    "User".to_string(),
                    "Profile".to_string(),
                    Operation::Update,
                    "Profile.user onDelete: SetDefault".to_string()
                ),
            ],
            "a required relation without onDelete and an explicit Restrict cascade nothing"
        );
        let sides: Vec<(&str, &str, Option<&str>, bool, bool)> = d
            .prisma_relations
            .iter()
            .map(|r| {
                (
                    r.model.as_str(),
                    r.field.as_str(),
                    r.name.as_deref(),
                    r.list,
                    r.holds_key,
                )
            })
            .collect();
        assert!(sides.contains(&("User", "posts", Some("author"), true, false)));
        assert!(sides.contains(&("User", "edited", Some("editor"), true, false)));
        assert!(sides.contains(&("Post", "editor", Some("editor"), false, true)));
        assert!(sides.contains(&("Post", "owner", None, false, true)));
        assert!(sides.contains(&("User", "profile", None, false, false)));
        assert_eq!(relation_name(r#""a", fields: [x]"#).as_deref(), Some("a"));
        assert_eq!(relation_name("fields: [x], references: [id]"), None);
        assert_eq!(
            argument_word("fields: [x], onDelete: NoAction)", "onDelete:"),
            Some("NoAction")
        );
        assert_eq!(argument_word("onDelete:", "onDelete:"), None);
    }
}
