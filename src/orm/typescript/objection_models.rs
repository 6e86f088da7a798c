//! Objection.js models, pass 1: `class User extends Model { static tableName = "user" }` or
//! `static get tableName() { return "user"; }`. The name may come from a constants module
//! (`return tableNames.user`): the reference is kept in `table_ref` and resolved once every
//! file's exported strings are known (`resolve`). `relationMappings` entries
//! (`{ driver: { modelClass: Driver, … } }`) are the model's associations, for
//! `withGraphFetched("driver")` and `relatedQuery("driver")`.
//!
//! Also here: the string constants a module exports (`module.exports = { user: "user" }`,
//! `export default { … }`, `export const USER = "user"`), which other files name as
//! `tableNames.user` (usages resolve them through `ModelIndex::module_string`).

use super::class_usages::join;
use super::{decorators, is_class, object_value, string_value};
use crate::lang::Field as _;
use crate::model::Language;
use crate::orm::nodes::{named_children, text};
use crate::orm::{FileDecls, ModelDecl, TableSource, first_line};
use tree_sitter::Node;

/// Bytes that make a file worth parsing for Objection models or exported constants.
pub fn may_declare(text: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(text, n).is_some();
    has(b"tableName") || has(b"module.exports") || has(b"export default {")
}

/// The Objection models and exported string constants of one parsed file.
pub(super) fn declare(
    src: &str,
    rel: &str,
    language: Language,
    nodes: &[Node<'_>],
    out: &mut FileDecls,
) {
    let imports = module_imports(src, rel, nodes);
    for &n in nodes {
        if is_class(n) && decorators(n).is_empty() {
            if let Some(decl) = model(src, rel, language, n, &imports) {
                out.models.push(decl);
            }
        } else {
            exported_strings(src, rel, n, out);
        }
    }
}

/// Local names bound to a whole relative module: `const t = require("./t")`,
/// `import t from "./t"`, `import * as t from "./t"` → `(name, module path from the root)`.
pub(crate) fn module_imports(src: &str, rel: &str, nodes: &[Node<'_>]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for &n in nodes {
        match n.kind() {
            "variable_declarator" => {
                let (Some(name), Some(value)) = (
                    n.field("name").filter(|x| x.kind() == "identifier"),
                    n.field("value").filter(|v| v.kind() == "call_expression"),
                ) else {
                    continue;
                };
                if value.field("function").map(|f| text(src, f)) != Some("require") {
                    continue;
                }
                if let Some(path) = value
                    .field("arguments")
                    .and_then(|a| named_children(a).into_iter().next())
                    .and_then(|a| string_value(src, a))
                    .filter(|p| p.starts_with('.'))
                {
                    out.push((text(src, name).to_string(), join(rel, &path)));
                }
            }
            "import_statement" => {
                let Some(path) = n
                    .field("source")
                    .and_then(|s| string_value(src, s))
                    .filter(|p| p.starts_with('.'))
                else {
                    continue;
                };
                for clause in named_children(n)
                    .into_iter()
                    .filter(|c| c.kind() == "import_clause")
                {
                    for c in named_children(clause) {
                        let local = match c.kind() {
                            "identifier" => Some(c),
                            "namespace_import" => named_children(c).into_iter().next(),
                            _ => None,
                        };
                        if let Some(local) = local {
                            out.push((text(src, local).to_string(), join(rel, &path)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A class whose static `tableName` names its table.
fn model(
    src: &str,
    rel: &str,
    language: Language,
    class: Node<'_>,
    imports: &[(String, String)],
) -> Option<ModelDecl> {
    let name = text(src, class.field("name")?);
    let body = class.field("body")?;
    let value = named_children(body)
        .into_iter()
        .filter(|m| is_static(m))
        .find_map(|m| static_value(src, m, "tableName"))?;
    let mut decl = ModelDecl::new(language, "objection", name, rel);
    decl.module = rel.to_string();
    match string_value(src, value) {
        Some(t) if !t.is_empty() => {
            decl.table = Some(t.clone());
            decl.explicit_table = Some(t);
        }
        _ if value.kind() == "member_expression" => {
            // `tableNames.user`: resolved against the constants modules (`module#key`).
            let object = text(src, value.field("object")?);
            let key = text(src, value.field("property")?);
            let (_, module) = imports.iter().find(|(name, _)| name == object)?;
            decl.table_ref = Some(format!("{module}#{key}"));
        }
        _ => return None,
    }
    decl.source = TableSource::Explicit;
    // Knex migrations create the tables; a model only maps one.
    decl.defines_schema = false;
    decl.bases = super::heritage(src, class);
    decl.associations = named_children(body)
        .into_iter()
        .filter(|m| is_static(m))
        .filter_map(|m| static_value(src, m, "relationMappings"))
        .flat_map(|v| relation_mappings(src, v))
        .collect();
    let position = class.start_position();
    decl.line = position.row as u32 + 1;
    decl.column = position.column as u32 + 1;
    decl.evidence = first_line(text(src, class));
    Some(decl)
}

fn is_static(member: &Node<'_>) -> bool {
    member
        .children(&mut member.walk())
        .any(|c| c.kind() == "static")
}

/// The value of a static member `key`: a field's initializer, or what a getter returns.
fn static_value<'t>(src: &str, member: Node<'t>, key: &str) -> Option<Node<'t>> {
    let name = member.field("name").or_else(|| member.field("property"))?;
    if text(src, name) != key {
        return None;
    }
    match member.kind() {
        "public_field_definition" | "field_definition" => member.field("value"),
        "method_definition" => {
            let body = member.field("body")?;
            named_children(body)
                .into_iter()
                .find(|s| s.kind() == "return_statement")
                .and_then(|r| named_children(r).into_iter().next())
                .map(|v| unwrap_parens(v))
        }
        _ => None,
    }
}

fn unwrap_parens(node: Node<'_>) -> Node<'_> {
    let mut at = node;
    while at.kind() == "parenthesized_expression" {
        match named_children(at).into_iter().next() {
            Some(inner) => at = inner,
            None => break,
        }
    }
    at
}

/// `{ driver: { relation: …, modelClass: Driver } }` → `[("driver", "Driver")]`.
fn relation_mappings(src: &str, object: Node<'_>) -> Vec<(String, String)> {
    if object.kind() != "object" {
        return Vec::new();
    }
    named_children(object)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .filter_map(|p| {
            let key = text(src, p.field("key")?).trim_matches(['"', '\'']);
            let value = p.field("value").filter(|v| v.kind() == "object")?;
            let class = object_value(src, value, "modelClass")?;
            let class = match class.kind() {
                "identifier" => text(src, class).to_string(),
                "member_expression" => text(src, class.field("property")?).into(),
                _ => return None,
            };
            Some((key.to_string(), class))
        })
        .collect()
}

/// `module.exports = { user: "user" }`, `export default { … }`, `export const USER = "u"`:
/// `(file without extension, key, value)`.
fn exported_strings(src: &str, rel: &str, n: Node<'_>, out: &mut FileDecls) {
    let stem = rel.rsplit_once('.').map(|(s, _)| s).unwrap_or(rel);
    let object = match n.kind() {
        "assignment_expression"
            if n.field("left").map(|l| text(src, l)) == Some("module.exports") =>
        {
            n.field("right")
        }
        "export_statement" => {
            let value = n.field("value");
            if value.is_none() {
                // `export const USER = "user"`.
                for d in named_children(n)
                    .into_iter()
                    .filter(|c| c.kind() == "lexical_declaration")
                    .flat_map(named_children)
                    .filter(|c| c.kind() == "variable_declarator")
                {
                    if let (Some(k), Some(v)) = (
                        d.field("name"),
                        d.field("value").and_then(|v| string_value(src, v)),
                    ) {
                        out.module_strings
                            .push((stem.to_string(), text(src, k).to_string(), v));
                    }
                }
            }
            value
        }
        _ => None,
    };
    let Some(object) = object.filter(|o| o.kind() == "object") else {
        return;
    };
    for pair in named_children(object)
        .into_iter()
        .filter(|p| p.kind() == "pair")
    {
        let (Some(k), Some(v)) = (
            pair.field("key"),
            pair.field("value").and_then(|v| string_value(src, v)),
        ) else {
            continue;
        };
        let key = text(src, k).trim_matches(['"', '\'']).to_string();
        out.module_strings.push((stem.to_string(), key, v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{self, Grammar};
    use crate::orm::nodes::all_nodes_within;

    fn decls(rel: &str, src: &str) -> FileDecls {
        let grammar = Grammar::for_file(Language::JavaScript, rel).unwrap();
        let tree = lang::parse(grammar, src).unwrap();
        let nodes = all_nodes_within(tree.root_node(), 10_000);
        let mut out = FileDecls::default();
        declare(src, rel, Language::JavaScript, &nodes, &mut out);
        out
    }

    #[test]
    fn static_table_names_and_relation_mappings() {
        let out = decls(
            "m.js",
            "class A extends Model { static tableName = 'a_legacy'; }\n\
             const tableNames = require('./names');\n\
             class B extends Model {\n  static get tableName() { return tableNames.b; }\n  \
             static get relationMappings() { return { owner: { relation: Model.BelongsToOneRelation, modelClass: A } }; }\n}\n\
             class C { tableName = 'not_static' }\n",
        );
        let found: Vec<_> = out
            .models
            .iter()
            .map(|m| (m.name.as_str(), m.table.clone(), m.table_ref.clone()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("A", Some("a_legacy".to_string()), None),
                ("B", None, Some("names#b".to_string())),
            ]
        );
        assert_eq!(
            out.models[1].associations,
            vec![("owner".into(), "A".into())]
        );
    }

    #[test]
    fn exported_constants() {
        let out = decls(
            "src/constants/tableNames.js",
            "module.exports = { user: 'user', state: \"state\", n: 1 };\n",
        );
        assert_eq!(
            out.module_strings,
            vec![
                (
                    "src/constants/tableNames".into(),
                    "user".into(),
                    "user".into()
                ),
                (
                    "src/constants/tableNames".into(),
                    "state".into(),
                    "state".into()
                ),
            ]
        );
        let out = decls(
            "k.ts",
            "export const USERS = 'users';\nexport default { a: 'b' };\n",
        );
        assert_eq!(out.module_strings.len(), 2);
    }
}
