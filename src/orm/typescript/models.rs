//! TypeScript and JavaScript, pass 1: one decoded `.ts/.js/…` file in, its declarations
//! out. Parses it once and hands the tree to `typeorm_models` and `sequelize_models`; reads
//! Drizzle tables (`export const orders = pgTable("orders_legacy", { … })`) and the naming
//! conventions that map identifiers written in code to tables (Kysely `CamelCasePlugin`,
//! Knex `knexSnakeCaseMappers`), which query builders need in pass 2.

use super::{
    MAX_NODES, children_with_comments, objection_models, sequelize_models, string_value,
    typeorm_models,
};
use crate::lang::Field as _;
use crate::lang::{self, Grammar};
use crate::model::Language;
use crate::orm::naming::Convention;
use crate::orm::nodes::{all_nodes_within, text};
use crate::orm::{FileDecls, ModelDecl, TableSource, first_line};
use tree_sitter::Node;

/// Bytes that turn on a naming convention mapping camelCase identifiers to snake_case
/// tables (sorted).
pub(crate) const SNAKE_CASE_MARKERS: &[&[u8]] = &[
    b"CamelCasePlugin",
    b"knexSnakeCaseMappers",
    b"wrapIdentifier",
];

/// Drizzle's table constructors (sorted).
pub(crate) const DRIZZLE_TABLES: &[&str] = &["mysqlTable", "pgTable", "sqliteTable"];

/// Bytes that make a file worth parsing for Drizzle tables or naming conventions.
pub fn may_declare(text: &[u8]) -> bool {
    SNAKE_CASE_MARKERS
        .iter()
        .chain(
            DRIZZLE_TABLES
                .iter()
                .map(|t| t.as_bytes())
                .collect::<Vec<_>>()
                .iter(),
        )
        .any(|m| memchr::memmem::find(text, m).is_some())
}

/// The declarations of one file: TypeORM entities, Sequelize models, Drizzle tables, and
/// the conventions it turns on. A marker counts only outside comments, so a file that
/// merely mentions `CamelCasePlugin` in a comment does not change the mapping.
pub fn declarations(rel: &str, language: Language, src: &str) -> FileDecls {
    let mut out = FileDecls::default();
    let Some(grammar) = Grammar::for_file(language, rel) else {
        return out;
    };
    let Some(tree) = lang::parse(grammar, src) else {
        return out;
    };
    let nodes = all_nodes_within(tree.root_node(), MAX_NODES);
    typeorm_models::declare(src, rel, language, &nodes, &mut out);
    sequelize_models::declare(src, rel, language, &nodes, &mut out);
    objection_models::declare(src, rel, language, &nodes, &mut out);
    out.models
        .extend(nodes.iter().filter_map(|n| drizzle_table(src, rel, *n)));
    let found = nodes.into_iter().any(|n| {
        matches!(n.kind(), "identifier" | "property_identifier")
            && SNAKE_CASE_MARKERS
                .iter()
                .any(|m| text(src, n).as_bytes() == *m)
    });
    if found {
        // One repository may mix .ts and .js files sharing the same database setup.
        out.conventions
            .push((Language::TypeScript, Convention::SnakeCase));
        out.conventions
            .push((Language::JavaScript, Convention::SnakeCase));
    }
    out
}

/// Drizzle: `export const orders = pgTable("orders_legacy", { … })` declares `orders`.
fn drizzle_table(src: &str, rel: &str, n: Node<'_>) -> Option<ModelDecl> {
    if n.kind() != "variable_declarator" {
        return None;
    }
    let name = n.field("name")?;
    let value = n.field("value")?;
    if name.kind() != "identifier" || value.kind() != "call_expression" {
        return None;
    }
    let constructor = value.field("function").map(|f| text(src, f));
    if !constructor.is_some_and(|c| DRIZZLE_TABLES.contains(&c)) {
        return None;
    }
    let table = value
        .field("arguments")
        .and_then(|a| children_with_comments(a).into_iter().next())
        .and_then(|a| string_value(src, a))?;
    let mut decl = ModelDecl::new(Language::TypeScript, "drizzle", text(src, name), rel);
    decl.module = rel.to_string();
    decl.table = Some(table.clone());
    decl.explicit_table = Some(table);
    decl.source = TableSource::Explicit;
    // The table's schema lives in the migrations drizzle-kit generates from it.
    decl.defines_schema = false;
    let start = n.parent().unwrap_or(n);
    let position = start.start_position();
    decl.line = position.row as u32 + 1;
    decl.column = position.column as u32 + 1;
    decl.evidence = first_line(text(src, start));
    Some(decl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_in_a_comment_turns_nothing_on() {
        let on = declarations(
            "db.ts",
            Language::TypeScript,
            "import { CamelCasePlugin } from 'kysely';\nnew Kysely({ plugins: [new CamelCasePlugin()] });\n",
        );
        assert!(
            on.conventions
                .contains(&(Language::JavaScript, Convention::SnakeCase))
        );
        let off = declarations(
            "db.ts",
            Language::TypeScript,
            "// we do not use CamelCasePlugin here\nconst x = 'wrapIdentifier';\n",
        );
        assert!(off.conventions.is_empty());
        assert!(may_declare(b"...knexSnakeCaseMappers()"));
        assert!(!may_declare(b"const knex = require('knex')"));
    }
}
