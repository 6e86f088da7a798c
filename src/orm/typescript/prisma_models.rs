//! Prisma schemas, pass 1: one decoded `schema.prisma` (any `.prisma` file) in, a
//! `ModelDecl` per `model X { … }` out, with its table: `@@map("t")` when present, else the
//! model name itself (Prisma's default), qualified by `@@schema("s")` when given. A small
//! line parser: Prisma's grammar puts each block opener, field and block attribute on its
//! own line. Relation fields become `Relation`s (which side holds the foreign key) and
//! `Cascade`s (`onDelete: Cascade` / `SetNull` / `SetDefault`, or Prisma's default `SetNull`
//! for an optional relation). Pass 2 (`prisma.<model>.<method>(…)`) is `prisma_usages`.

use crate::model::{Language, Operation};
use crate::orm::{Cascade, FileDecls, ModelDecl, TableSource};

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
