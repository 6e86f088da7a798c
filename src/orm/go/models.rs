//! GORM and bun, pass 1: the declarations of one Go file that mentions GORM or bun.
//! Structs (their embedded types and the fields that hold other structs, for `Preload` and
//! bun's `Relation`), `func (T) TableName() string { return "t" }`, bun's
//! `bun.BaseModel `bun:"table:t"``, and a `schema.NamingStrategy{TablePrefix,
//! SingularTable}`; `resolve` gives a struct without an explicit table the default name
//! both share (snake_case plural, with the strategy applied).

use super::{string_value, type_name};
use crate::extract::LineIndex;
use crate::lang::Field as _;
use crate::lang::{self, Grammar};
use crate::model::Language;
use crate::orm::naming::GormNaming;
use crate::orm::nodes::{all_nodes, named_children, text};
use crate::orm::{FileDecls, ModelDecl, TableSource, first_line};
use tree_sitter::Node;

/// The declarations of one Go file.
pub fn declarations(rel: &str, src: &str) -> FileDecls {
    let mut out = FileDecls::default();
    let Some(tree) = lang::parse(Grammar::Go, src) else {
        return out;
    };
    let module = package_of(rel);
    let index = LineIndex::new(src);
    let framework = if src.contains("ent.Schema") {
        "ent"
    } else if is_bun_file(src) {
        "bun"
    } else {
        "gorm"
    };
    for node in all_nodes(tree.root_node()) {
        match node.kind() {
            "type_spec" => {
                let (Some(name), Some(ty)) = (node.field("name"), node.field("type")) else {
                    continue;
                };
                if ty.kind() != "struct_type" {
                    continue;
                }
                let mut decl = ModelDecl::new(Language::Go, framework, text(src, name), rel);
                decl.module = module.clone();
                let (line, column) = index.position(src, node.start_byte());
                decl.line = line;
                decl.column = column;
                decl.evidence = first_line(&format!("type {}", text(src, node)));
                struct_fields(src, ty, &mut decl);
                if let Some(table) = bun_table_tag(src, ty) {
                    out.table_names
                        .push((module.clone(), decl.name.clone(), table));
                }
                out.models.push(decl);
            }
            "method_declaration" => {
                if let Some((ty, table)) =
                    table_name_method(src, node).or_else(|| ent_annotation(src, node))
                {
                    out.table_names.push((module.clone(), ty, table));
                }
            }
            "composite_literal" => {
                if let Some(n) = naming_strategy(src, node) {
                    out.gorm_naming.get_or_insert(n);
                }
            }
            _ => {}
        }
    }
    out
}

fn struct_fields(src: &str, ty: Node<'_>, decl: &mut ModelDecl) {
    for list in named_children(ty) {
        for field in named_children(list) {
            if field.kind() != "field_declaration" {
                continue;
            }
            let Some(field_type) = field.field("type") else {
                continue;
            };
            let mut cursor = field.walk();
            let names: Vec<String> = field
                .children_by_field_name("name", &mut cursor)
                .map(|n| text(src, n).to_string())
                .collect();
            let type_text = text(src, field_type);
            if names.is_empty() {
                decl.bases_full.push(type_text.to_string());
                decl.bases.push(type_name(type_text).1.to_string());
            } else {
                let (_, target) = type_name(type_text);
                if target.chars().next().is_some_and(char::is_uppercase) {
                    for n in names {
                        decl.associations.push((n, target.to_string()));
                    }
                }
            }
        }
    }
}

/// A file of bun models: it imports bun or tags fields with `bun:"…"`.
pub fn is_bun_file(src: &str) -> bool {
    src.contains("uptrace/bun") || src.contains("bun:\"")
}

/// `bun.BaseModel `bun:"table:orders_legacy,alias:o"``: the table a bun struct names.
fn bun_table_tag(src: &str, ty: Node<'_>) -> Option<String> {
    all_nodes(ty)
        .into_iter()
        .filter(|n| n.kind() == "field_declaration")
        .filter_map(|f| f.field("tag"))
        .find_map(|tag| {
            let t = text(src, tag);
            let rest = &t[t.find("bun:\"")? + 5..];
            let value = &rest[..rest.find('"')?];
            value
                .split(',')
                .find_map(|part| part.trim().strip_prefix("table:"))
                .map(|name| name.trim().to_string())
                .filter(|name| !name.is_empty())
        })
}

/// `func (LegacyOrder) TableName() string { return "orders_legacy" }`.
fn table_name_method(src: &str, node: Node<'_>) -> Option<(String, String)> {
    if text(src, node.field("name")?) != "TableName" {
        return None;
    }
    let receiver = node.field("receiver")?;
    let param = named_children(receiver).into_iter().next()?;
    let ty = type_name(text(src, param.field("type")?)).1.to_string();
    let body = node.field("body")?;
    let ret = all_nodes(body)
        .into_iter()
        .find(|n| n.kind() == "return_statement")?;
    let value = all_nodes(ret)
        .into_iter()
        .find_map(|n| string_value(src, n))?;
    Some((ty, value))
}

/// ent: `func (User) Annotations() []schema.Annotation { return …{entsql.Annotation{Table:
/// "users_legacy"}} }`.
fn ent_annotation(src: &str, node: Node<'_>) -> Option<(String, String)> {
    if text(src, node.field("name")?) != "Annotations" {
        return None;
    }
    let receiver = node.field("receiver")?;
    let param = named_children(receiver).into_iter().next()?;
    let ty = type_name(text(src, param.field("type")?)).1.to_string();
    let body = node.field("body")?;
    all_nodes(body)
        .into_iter()
        .filter(|n| n.kind() == "keyed_element")
        .find_map(|el| {
            let parts = named_children(el);
            let (k, v) = (parts.first()?, parts.get(1)?);
            if text(src, *k) != "Table" {
                return None;
            }
            let value = all_nodes(*v)
                .into_iter()
                .find_map(|x| string_value(src, x))?;
            Some((ty.clone(), value))
        })
}

/// `schema.NamingStrategy{TablePrefix: "t_", SingularTable: true}`.
fn naming_strategy(src: &str, node: Node<'_>) -> Option<GormNaming> {
    let ty = node.field("type")?;
    if !text(src, ty).ends_with("NamingStrategy") {
        return None;
    }
    let body = node.field("body")?;
    let mut n = GormNaming::default();
    for el in named_children(body) {
        if el.kind() != "keyed_element" {
            continue;
        }
        let parts = named_children(el);
        let (Some(k), Some(v)) = (parts.first(), parts.get(1)) else {
            continue;
        };
        let value = all_nodes(*v).into_iter().find(|x| {
            matches!(
                x.kind(),
                "interpreted_string_literal" | "raw_string_literal" | "true" | "false"
            )
        });
        match (text(src, *k), value) {
            ("TablePrefix", Some(s)) => n.table_prefix = string_value(src, s).unwrap_or_default(),
            ("SingularTable", Some(b)) => n.singular_table = b.kind() == "true",
            _ => {}
        }
    }
    Some(n)
}

/// Tables of GORM structs: `TableName()` in the same package, else the naming strategy.
pub fn resolve(
    models: &mut [ModelDecl],
    table_names: &[(String, String, String)],
    naming: &GormNaming,
) {
    for m in models.iter_mut().filter(|m| m.language == Language::Go) {
        if let Some((_, _, t)) = table_names
            .iter()
            .find(|(pkg, ty, _)| *ty == m.name && *pkg == m.module)
        {
            m.table = Some(t.clone());
            m.explicit_table = Some(t.clone());
            m.source = TableSource::Explicit;
        } else {
            m.table = Some(naming.table(&m.name));
            m.source = TableSource::Convention;
        }
    }
}

/// The package directory of a file (`internal/models/order.go` → `internal/models`).
fn package_of(rel: &str) -> String {
    rel.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_strategies_and_defaults() {
        let src = "package m\nimport \"gorm.io/gorm\"\n\
                   type A struct { gorm.Model; Bs []B }\ntype B struct { ID uint }\n\
                   func (*A) TableName() string { return `a_legacy` }\n\
                   var cfg = gorm.Config{NamingStrategy: schema.NamingStrategy{TablePrefix: \"p_\", SingularTable: true}}\n";
        let d = declarations("internal/m/m.go", src);
        assert_eq!(
            d.table_names,
            vec![(
                "internal/m".to_string(),
                "A".to_string(),
                "a_legacy".to_string()
            )]
        );
        let naming = d.gorm_naming.clone().unwrap();
        assert_eq!(naming.table_prefix, "p_");
        assert!(naming.singular_table);
        let mut models = d.models;
        resolve(&mut models, &d.table_names, &naming);
        let a = models.iter().find(|m| m.name == "A").unwrap();
        assert_eq!(a.table.as_deref(), Some("a_legacy"));
        assert_eq!(a.associations, vec![("Bs".to_string(), "B".to_string())]);
        assert_eq!(a.bases, vec!["Model"]);
        let b = models.iter().find(|m| m.name == "B").unwrap();
        assert_eq!(b.table.as_deref(), Some("p_b"));
    }

    #[test]
    fn broken_input_does_not_panic() {
        for src in [
            "package x\ntype A struct {",
            "func (A) TableName() string { return }",
            "",
        ] {
            let _ = declarations("x.go", src);
        }
    }
}
