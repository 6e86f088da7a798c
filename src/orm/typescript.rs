//! TypeScript / JavaScript query builders, pass 2: one decoded `.ts/.js/…` file in, findings
//! for Knex and Kysely chains that name a legacy table as a string out. The table comes
//! from the argument of a call that names it (`knex("t")`, `.from("t")`, `.into("t")`,
//! `db.selectFrom("t")`, `knex.schema.createTable("t")`): a string literal, a template
//! without substitutions, or a `const` of the same file bound to one. What the chain does
//! to it comes from the `[[orm]]` rows of `catalog/typescript.toml`: rows with a
//! `table_arg` name the table (receiver `function` for a bare call such as `knex("t")`,
//! `db` for a method), rows on receiver `query` say what a later or earlier method of the
//! chain does (`.insert(…)`, `.del()`). Identifiers map to tables through the naming
//! conventions pass 1 found (Kysely `CamelCasePlugin`, Knex `knexSnakeCaseMappers`).
//!
//! Pass 1's part is `declarations`: it records those conventions and Drizzle tables, and
//! hands the same tree to `typeorm` and `sequelize` for their models.

use super::naming::Convention;
use super::tree::{all_nodes_within, text};
use super::{FileDecls, ModelDecl};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::{self, Grammar};
use crate::model::{Access, Confidence, Language, Operation, Site};
use crate::sql::TableName;
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// Walks stop here: a pathological file cannot make a pass unbounded.
const MAX_NODES: usize = 500_000;
/// Links of one chain looked at in either direction.
const MAX_CHAIN: usize = 256;

/// Bytes that turn on a naming convention mapping camelCase identifiers to snake_case
/// tables (sorted).
pub(crate) const SNAKE_CASE_MARKERS: &[&[u8]] = &[
    b"CamelCasePlugin",
    b"knexSnakeCaseMappers",
    b"wrapIdentifier",
];

/// Objects whose `from` / `table` methods are not query builders (`Array.from("…")`).
const NOT_BUILDERS: &[&str] = &["Array", "Buffer", "JSON", "Object", "Promise", "Set"];

/// Drizzle's table constructors (sorted).
pub(crate) const DRIZZLE_TABLES: &[&str] = &["mysqlTable", "pgTable", "sqliteTable"];

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

/// The conventions a file turns on. A marker counts only outside comments, so a file
/// that merely mentions `CamelCasePlugin` in a comment does not change the mapping.
pub fn declarations(rel: &str, language: Language, src: &str) -> FileDecls {
    let mut out = FileDecls::default();
    let Some(grammar) = Grammar::for_file(language, rel) else {
        return out;
    };
    let Some(tree) = lang::parse(grammar, src) else {
        return out;
    };
    let nodes = all_nodes_within(tree.root_node(), MAX_NODES);
    super::typeorm::declare(src, rel, language, &nodes, &mut out);
    super::sequelize::declare(src, rel, language, &nodes, &mut out);
    // Drizzle: `export const orders = pgTable("orders_legacy", { … })`.
    for n in &nodes {
        if n.kind() != "variable_declarator" {
            continue;
        }
        let (Some(name), Some(value)) = (
            n.child_by_field_name("name"),
            n.child_by_field_name("value"),
        ) else {
            continue;
        };
        if name.kind() != "identifier" || value.kind() != "call_expression" {
            continue;
        }
        let constructor = value.child_by_field_name("function").map(|f| text(src, f));
        if !constructor.is_some_and(|c| DRIZZLE_TABLES.contains(&c)) {
            continue;
        }
        let Some(table) = value
            .child_by_field_name("arguments")
            .and_then(|a| named_children(a).into_iter().next())
            .and_then(|a| string_value(src, a))
        else {
            continue;
        };
        let mut decl = ModelDecl::new(Language::TypeScript, "drizzle", text(src, name), rel);
        decl.module = rel.to_string();
        decl.table = Some(table.clone());
        decl.explicit_table = Some(table);
        decl.source = super::TableSource::Explicit;
        // The table's schema lives in the migrations drizzle-kit generates from it.
        decl.defines_schema = false;
        let start = n.parent().unwrap_or(*n);
        let position = start.start_position();
        decl.line = position.row as u32 + 1;
        decl.column = position.column as u32 + 1;
        decl.evidence = super::first_line(text(src, start));
        out.models.push(decl);
    }
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

pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let src = file.text;
    let nodes = all_nodes_within(tree.root_node(), MAX_NODES);
    // `const T = "orders_legacy"` anywhere in the file. A name bound twice to different
    // strings is ambiguous and left unresolved.
    let mut consts: HashMap<&str, Option<String>> = HashMap::new();
    for n in &nodes {
        if n.kind() != "variable_declarator" {
            continue;
        }
        let (Some(name), Some(value)) = (
            n.child_by_field_name("name"),
            n.child_by_field_name("value"),
        ) else {
            continue;
        };
        if name.kind() != "identifier" {
            continue;
        }
        if let Some(s) = string_value(src, value) {
            let entry = consts.entry(text(src, name)).or_insert(Some(s.clone()));
            if entry.as_deref() != Some(s.as_str()) {
                *entry = None;
            }
        }
    }
    // `import { knex as db } from "./db"`: a bare call of the alias is a call of the
    // imported name.
    let mut aliases: HashMap<&str, &str> = HashMap::new();
    for n in &nodes {
        if n.kind() == "import_specifier"
            && let (Some(name), Some(alias)) = (
                n.child_by_field_name("name"),
                n.child_by_field_name("alias"),
            )
        {
            aliases.insert(text(src, alias), text(src, name));
        }
    }
    let catalog = file.ctx.orm_catalog(file.language);
    // Knex, Kysely and Sequelize's QueryInterface share method names (`innerJoin`,
    // `createTable`): a file that imports Kysely or says `queryInterface` prefers its rows.
    let prefer: &[&str] = if src.contains("kysely") || src.contains("Kysely") {
        &["kysely"]
    } else if src.contains("queryInterface") {
        // Sequelize migrations and seeders.
        &["sequelize"]
    } else {
        &[]
    };
    let lookup = |receiver: OrmReceiver, method: &str| {
        catalog
            .lookup(prefer, receiver, method)
            .or_else(|| catalog.lookup(&[], receiver, method))
    };
    let index = LineIndex::new(src);
    // Prisma client accessors of legacy models: `prisma.legacyOrder` → `LegacyOrder`.
    let prisma: HashMap<String, &ModelDecl> = if src.contains("prisma") || src.contains("Prisma") {
        file.ctx
            .models
            .models()
            .iter()
            .filter(|m| m.framework == "prisma")
            .map(|m| (super::prisma::accessor(&m.name), m))
            .collect()
    } else {
        HashMap::new()
    };
    for &call in &nodes {
        if call.kind() != "call_expression" {
            continue;
        }
        let Some(callee) = call.child_by_field_name("function") else {
            continue;
        };
        if !prisma.is_empty()
            && let Some((model, rule)) = prisma_call(src, callee, &prisma, catalog)
        {
            let function = function_at(src, call);
            if let (Some(table), Some(access)) = (model.legacy.clone(), rule.access) {
                let site = Site {
                    function: function.clone(),
                    evidence: evidence(text(src, outermost(call))),
                    sink: Some(rule.method.clone()),
                    framework: Some("prisma".to_string()),
                    ..file.site_at(&index, call.start_byte())
                };
                let operation = rule.operation.unwrap_or(Operation::Unknown);
                out.findings.push(site.finding(
                    table,
                    access,
                    operation,
                    rule.kind,
                    Confidence::Inferred,
                ));
            }
            // Cascades, `connect`, relation reads: `orm::prisma`.
            out.findings.extend(super::prisma::implied(
                file,
                &index,
                call,
                model,
                &rule.method,
                function.clone(),
            ));
            if rule.access == Some(Access::Write)
                && let Some(args) = call.child_by_field_name("arguments")
            {
                let via = vec![format!("{}.{}", model.name, rule.method)];
                let mut nested = Vec::new();
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
                        ..file.site_at(&index, node.start_byte())
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
            continue;
        }
        if let Some(found) = drizzle_call(src, callee, call, &file.ctx.models, &aliases, catalog) {
            let site = Site {
                function: function_at(src, call),
                evidence: evidence(text(src, outermost(call))),
                sink: Some(found.method.to_string()),
                framework: Some("drizzle".to_string()),
                ..file.site_at(&index, call.start_byte())
            };
            let operation = found.rule.operation.unwrap_or(Operation::Unknown);
            out.findings.push(site.finding(
                found.table,
                found.access,
                operation,
                found.rule.kind,
                Confidence::Inferred,
            ));
            continue;
        }
        let rule = match callee.kind() {
            "identifier" => {
                let name = text(src, callee);
                lookup(OrmReceiver::Function, aliases.get(name).unwrap_or(&name))
            }
            "member_expression" => {
                let object = callee.child_by_field_name("object");
                if object.is_some_and(|o| NOT_BUILDERS.contains(&text(src, o))) {
                    continue;
                }
                callee
                    .child_by_field_name("property")
                    .and_then(|p| lookup(OrmReceiver::Db, text(src, p)))
            }
            _ => None,
        };
        let Some(rule) = rule else { continue };
        // `sql`…${sql.table("t")}…`` is an identifier helper of a raw SQL template, which
        // the raw-SQL extractor reports.
        if in_template(call) {
            continue;
        }
        let Some(arg_index) = rule.table_arg else {
            continue;
        };
        let Some(arg) = call
            .child_by_field_name("arguments")
            .and_then(|a| named_children(a).into_iter().nth(arg_index))
        else {
            continue;
        };
        let written = match arg.kind() {
            "identifier" => consts.get(text(src, arg)).cloned().flatten(),
            _ => string_value(src, arg),
        };
        let Some(written) = written else { continue };
        // Knex and Kysely both accept `"orders_legacy as o"`.
        let name = written.split_whitespace().next().unwrap_or("");
        if name.is_empty() {
            continue;
        }
        let Some(table) =
            file.ctx
                .models
                .table_for_identifier(&file.ctx.tables, file.language, name)
        else {
            continue;
        };
        let literal = file
            .ctx
            .tables
            .resolve(&TableName::parse_config(name))
            .is_some();
        let (access, operation, method) = match (rule.access, rule.operation) {
            (Some(a), op) => (a, op.unwrap_or(Operation::Unknown), rule.method.clone()),
            (None, _) => chain_access(src, call, catalog, &rule.framework),
        };
        let site = Site {
            function: function_at(src, call),
            evidence: evidence(text(src, outermost(call))),
            sink: Some(method),
            framework: Some(rule.framework.clone()),
            ..file.site_at(&index, call.start_byte())
        };
        let confidence = if literal {
            Confidence::Parsed
        } else {
            Confidence::Inferred
        };
        out.findings
            .push(site.finding(table, access, operation, rule.kind, confidence));
    }
}

/// `<client>.<accessor>.<method>(…)` on a Prisma model (`prisma`, `tx`, `this.prisma`,
/// `ctx.db`: any client expression): the model and the catalog row of the method.
fn prisma_call<'m, 'c>(
    src: &str,
    callee: Node<'_>,
    models: &HashMap<String, &'m ModelDecl>,
    catalog: &'c OrmCatalog,
) -> Option<(&'m ModelDecl, &'c OrmRule)> {
    if callee.kind() != "member_expression" {
        return None;
    }
    let method = text(src, callee.child_by_field_name("property")?);
    let object = callee.child_by_field_name("object")?;
    if object.kind() != "member_expression" {
        return None;
    }
    let model = models.get(text(src, object.child_by_field_name("property")?))?;
    let rule = catalog.lookup(&["prisma"], OrmReceiver::Manager, method)?;
    Some((*model, rule))
}

/// A nested write found under a Prisma write: where, the table, what, and the chain.
type Nested<'t> = (Node<'t>, String, Operation, Vec<String>);

/// Prisma nested writes: `data: { items: { create: [...] } }` under a write of `model`
/// writes the table of the relation field's model. Collects every nested operation on a
/// legacy model, recursing into deeper nesting (bounded).
fn nested_writes<'t>(
    src: &str,
    models: &super::ModelIndex,
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
        let (Some(key), Some(value)) = (
            child.child_by_field_name("key"),
            child.child_by_field_name("value"),
        ) else {
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
            let (Some(op_key), Some(op_value)) = (
                op.child_by_field_name("key"),
                op.child_by_field_name("value"),
            ) else {
                continue;
            };
            let op_name = text(src, op_key);
            let operation = match op_name {
                "create" | "createMany" | "connectOrCreate" => Operation::Insert,
                "upsert" => Operation::Upsert,
                // `connect` / `disconnect` / `set` write a foreign key on whichever side holds
                // it, which the relation's direction decides: not reported (README).
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

/// Drizzle: `db.insert(t)`, `db.update(t)`, `db.delete(t)`, `db.select().from(t)`, joins,
/// where `t` is a table const declared with `pgTable` (imported by name or alias), or
/// `db.query.<t>.findMany(…)`: the legacy table, what the call does, and the method.
fn drizzle_call<'s, 'c>(
    src: &'s str,
    callee: Node<'_>,
    call: Node<'_>,
    models: &super::ModelIndex,
    aliases: &HashMap<&str, &str>,
    catalog: &'c OrmCatalog,
) -> Option<DrizzleCall<'s, 'c>> {
    if callee.kind() != "member_expression" {
        return None;
    }
    let method = text(src, callee.child_by_field_name("property")?);
    let (rule, name) = if let Some(rule) = catalog.lookup(&["drizzle"], OrmReceiver::Table, method)
    {
        let arg = call
            .child_by_field_name("arguments")
            .and_then(|a| named_children(a).into_iter().nth(rule.model_arg?))?;
        (rule, text(src, arg))
    } else {
        // `db.query.orders.findMany(…)`
        let rule = catalog.lookup(&["drizzle"], OrmReceiver::Query, method)?;
        let object = callee.child_by_field_name("object")?;
        let query = object.child_by_field_name("object")?;
        if query.kind() != "member_expression"
            || query.child_by_field_name("property").map(|p| text(src, p)) != Some("query")
        {
            return None;
        }
        (rule, text(src, object.child_by_field_name("property")?))
    };
    let name = aliases.get(name).copied().unwrap_or(name);
    let model = models
        .find(Language::TypeScript, name)
        .into_iter()
        .find(|m| m.framework == "drizzle")?;
    Some(DrizzleCall {
        table: model.legacy.clone()?,
        access: rule.access?,
        rule,
        method,
    })
}

/// A Drizzle call on a legacy table: its table, its access, its catalog row and method.
struct DrizzleCall<'s, 'c> {
    table: String,
    access: Access,
    rule: &'c OrmRule,
    method: &'s str,
}

/// What the chain around a table-naming call does: the first write among its methods (in
/// either direction: `knex.select().from("t")`, `knex("t").where(…).del()`), else the
/// first read; a chain with neither is still a query the builder runs when awaited
/// (`await knex("t").where(…)`), a read.
pub(crate) fn chain_access(
    src: &str,
    call: Node<'_>,
    catalog: &OrmCatalog,
    framework: &str,
) -> (Access, Operation, String) {
    let mut methods = Vec::new();
    // Earlier links: down the callee's object.
    let mut node = call
        .child_by_field_name("function")
        .and_then(|f| f.child_by_field_name("object"));
    while let Some(n) = node {
        if methods.len() >= MAX_CHAIN {
            break;
        }
        match n.kind() {
            "call_expression" => node = n.child_by_field_name("function"),
            "member_expression" => {
                if let Some(p) = n.child_by_field_name("property") {
                    methods.push(text(src, p).to_string());
                }
                node = n.child_by_field_name("object");
            }
            _ => break,
        }
    }
    // Later links: up through `.method(…)`.
    let mut at = call;
    while methods.len() < MAX_CHAIN {
        let Some(member) = at.parent().filter(|p| {
            p.kind() == "member_expression" && p.child_by_field_name("object") == Some(at)
        }) else {
            break;
        };
        if let Some(p) = member.child_by_field_name("property") {
            methods.push(text(src, p).to_string());
        }
        match member.parent().filter(|c| c.kind() == "call_expression") {
            Some(c) => at = c,
            None => break,
        }
    }
    // `knex.schema.table("t", (t) => …)` alters the table.
    if methods.iter().any(|m| m == "schema") {
        return (Access::Ddl, Operation::Alter, "schema".to_string());
    }
    let rules: Vec<&OrmRule> = methods
        .iter()
        .filter_map(|m| catalog.lookup(&[framework], OrmReceiver::Query, m))
        .filter(|r| r.access.is_some())
        .collect();
    let pick = rules
        .iter()
        .find(|r| r.access == Some(Access::Write))
        .or_else(|| rules.first());
    match pick {
        Some(r) => (
            r.access.unwrap_or(Access::Read),
            r.operation.unwrap_or(Operation::Unknown),
            r.method.clone(),
        ),
        None => (Access::Read, Operation::Select, "await".to_string()),
    }
}

/// Whether a call sits inside a template substitution (a few levels up).
pub(crate) fn in_template(call: Node<'_>) -> bool {
    let mut at = call.parent();
    for _ in 0..8 {
        match at {
            Some(n) if n.kind() == "template_substitution" => return true,
            Some(n) => at = n.parent(),
            None => return false,
        }
    }
    false
}

/// The whole chain a call belongs to, for evidence.
pub(crate) fn outermost(call: Node<'_>) -> Node<'_> {
    let mut at = call;
    for _ in 0..MAX_CHAIN {
        let Some(up) = at.parent().and_then(|p| {
            (p.kind() == "member_expression" && p.child_by_field_name("object") == Some(at))
                .then(|| p.parent())
                .flatten()
                .filter(|c| c.kind() == "call_expression")
        }) else {
            break;
        };
        at = up;
    }
    at
}

/// The name of the function or method around a node (`Class.method`, a function
/// declaration, or the variable an arrow function is bound to).
pub(crate) fn function_at(src: &str, node: Node<'_>) -> Option<String> {
    function_at_with(src, node, |n| n.parent())
}

/// `function_at` with a caller's parent lookup (a precomputed map on deep trees, where
/// `Node::parent`, which walks down from the root, costs the depth at every step).
pub(crate) fn function_at_with<'t>(
    src: &str,
    node: Node<'t>,
    parent: impl Fn(Node<'t>) -> Option<Node<'t>>,
) -> Option<String> {
    let mut at = parent(node);
    let mut name: Option<String> = None;
    while let Some(n) = at {
        match n.kind() {
            "function_declaration" | "generator_function_declaration" if name.is_none() => {
                name = n
                    .child_by_field_name("name")
                    .map(|x| text(src, x).to_string());
            }
            "method_definition" if name.is_none() => {
                name = n
                    .child_by_field_name("name")
                    .map(|x| text(src, x).to_string());
            }
            "arrow_function" | "function_expression" | "function" if name.is_none() => {
                name = parent(n)
                    .filter(|p| p.kind() == "variable_declarator")
                    .and_then(|p| p.child_by_field_name("name"))
                    .map(|x| text(src, x).to_string());
            }
            "class_declaration" | "class" => {
                if let (Some(m), Some(c)) = (
                    name.as_ref(),
                    n.child_by_field_name("name").map(|x| text(src, x)),
                ) {
                    return Some(format!("{c}.{m}"));
                }
            }
            _ => {}
        }
        at = parent(n);
    }
    name
}

/// A string literal's value, or a template literal's when it has no substitutions.
pub(crate) fn string_value(src: &str, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string" => Some(
            named_children(node)
                .into_iter()
                .filter(|c| c.kind() == "string_fragment")
                .map(|c| text(src, c))
                .collect(),
        ),
        "template_string" => {
            let kids = named_children(node);
            if kids.iter().any(|c| c.kind() == "template_substitution") {
                return None;
            }
            let raw = text(src, node);
            Some(raw.trim_matches('`').to_string())
        }
        _ => None,
    }
}

/// Named children, comments included (a comment argument counts as a position here).
fn named_children(node: Node<'_>) -> Vec<Node<'_>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
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
