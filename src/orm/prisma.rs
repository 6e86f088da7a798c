//! Prisma schemas, pass 1: one decoded `schema.prisma` (any `.prisma` file) in, a
//! `ModelDecl` per `model X { … }` out, with its table: `@@map("t")` when present, else the
//! model name itself (Prisma's default), qualified by `@@schema("s")` when given. A small
//! line parser: Prisma's grammar puts each block opener, field and block attribute on its
//! own line. Usages (`prisma.<model>.<method>`) are resolved in `orm::typescript`.

use super::{FileDecls, ModelDecl, TableSource};
use crate::model::Language;

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
            if let (Some(field), Some(ty)) = (words.next(), words.next())
                && is_identifier(field)
            {
                let ty = ty.trim_end_matches('?').trim_end_matches("[]");
                if ty.starts_with(|c: char| c.is_ascii_uppercase())
                    && is_identifier(ty)
                    && SCALARS.binary_search(&ty).is_err()
                {
                    decl.associations.push((field.to_string(), ty.to_string()));
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
}
