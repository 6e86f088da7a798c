//! TypeScript and JavaScript, pass 2: calls that name a legacy table or a model accessor,
//! one walk over the file's calls. Knex and Kysely chains name the table as a string: the
//! argument of a call that names it (`knex("t")`, `.from("t")`, `.into("t")`,
//! `db.selectFrom("t")`, `knex.schema.createTable("t")`), a string literal, a template
//! without substitutions, or a `const` of the same file bound to one. What the chain does
//! to it comes from the `[[orm]]` rows of `catalog/typescript.toml`: rows with a
//! `table_arg` name the table (receiver `function` for a bare call such as `knex("t")`,
//! `db` for a method), rows on receiver `query` say what a later or earlier method of the
//! chain does (`.insert(…)`, `.del()`). Identifiers map to tables through the naming
//! conventions pass 1 found (Kysely `CamelCasePlugin`, Knex `knexSnakeCaseMappers`).
//! Drizzle calls name a table const (`db.insert(orders)`); Prisma client calls name a
//! model accessor (`prisma.legacyOrder.create(…)`, see `prisma_usages`).

use super::{
    MAX_NODES, chain_access, children_with_comments, function_at, in_template, object_value,
    outermost, prisma_usages, string_value,
};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Language, Operation, Site};
use crate::orm::nodes::{all_nodes_within, text};
use crate::orm::{ModelDecl, ModelIndex};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// Array methods whose callback takes each element (sorted).
const ITERATIONS: &[&str] = &["flatMap", "forEach", "map"];

/// Objects whose `from` / `table` methods are not query builders (`Array.from("…")`).
const NOT_BUILDERS: &[&str] = &["Array", "Buffer", "JSON", "Object", "Promise", "Set"];

/// The findings of a file's calls that name a table or a model accessor: for each call, a
/// Prisma client call, else a Drizzle call, else a query builder's.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let nodes = all_nodes_within(tree.root_node(), MAX_NODES);
    let calls = Calls::new(file, &nodes);
    for &call in &nodes {
        if call.kind() != "call_expression" {
            continue;
        }
        let Some(callee) = call.field("function") else {
            continue;
        };
        if !calls.prisma.is_empty()
            && let Some(found) =
                prisma_usages::client_call(file.text, callee, &calls.prisma, calls.catalog)
        {
            prisma_usages::report(file, &calls.index, call, found, out);
            continue;
        }
        if let Some(found) = drizzle_call(
            file.text,
            callee,
            call,
            &file.ctx.models,
            &calls.aliases,
            calls.catalog,
        ) {
            calls.report_drizzle(call, found, out);
            continue;
        }
        calls.builder_call(call, callee, out);
    }
}

/// What the walk over a file's calls knows about the file.
struct Calls<'a> {
    file: &'a FileInput<'a>,
    index: LineIndex,
    catalog: &'a OrmCatalog,
    /// `const T = "orders_legacy"` anywhere in the file. A name bound twice to different
    /// strings is ambiguous and left unresolved (`None`).
    consts: HashMap<&'a str, Option<String>>,
    /// `import { knex as db } from "./db"`: a bare call of the alias is a call of the
    /// imported name.
    aliases: HashMap<&'a str, &'a str>,
    /// Knex, Kysely and Sequelize's QueryInterface share method names (`innerJoin`,
    /// `createTable`): a file that imports Kysely or says `queryInterface` prefers its rows.
    prefer: &'static [&'static str],
    /// Prisma client accessors of the Prisma models (`prisma.legacyOrder` → `LegacyOrder`).
    prisma: HashMap<String, &'a ModelDecl>,
    /// Names bound to a whole relative module (`const tableNames = require("./names")`).
    modules: Vec<(String, String)>,
}

impl<'a> Calls<'a> {
    fn new(file: &'a FileInput<'a>, nodes: &[Node<'_>]) -> Calls<'a> {
        let src = file.text;
        let prefer: &'static [&'static str] = if src.contains("kysely") || src.contains("Kysely") {
            &["kysely"]
        } else if src.contains("queryInterface") {
            // Sequelize migrations and seeders.
            &["sequelize"]
        } else if src.contains("QueryRunner") || src.contains("queryRunner") {
            // TypeORM migrations.
            &["typeorm"]
        } else {
            &[]
        };
        Calls {
            file,
            index: LineIndex::new(src),
            catalog: file.ctx.orm_catalog(file.language),
            consts: string_consts(src, nodes),
            aliases: import_aliases(src, nodes),
            prefer,
            prisma: prisma_usages::accessors(src, &file.ctx.models),
            modules: super::objection_models::module_imports(src, file.rel, nodes),
        }
    }

    /// The row of a builder method: the preferred framework's, else any framework's except
    /// TypeORM's QueryRunner rows, which only a file naming a query runner reaches
    /// (`table.dropColumn("state")` in a Knex callback names a column, not a table).
    fn lookup(&self, receiver: OrmReceiver, method: &str) -> Option<&'a OrmRule> {
        self.catalog
            .lookup(self.prefer, receiver, method)
            .or_else(|| self.catalog.lookup(&[], receiver, method))
            .filter(|r| r.framework != "typeorm" || self.prefer.contains(&"typeorm"))
    }

    fn report_drizzle(&self, call: Node<'_>, found: DrizzleCall<'_, '_>, out: &mut FileScan) {
        let src = self.file.text;
        let site = Site {
            function: function_at(src, call),
            evidence: evidence(text(src, outermost(call))),
            sink: Some(found.method.to_string()),
            framework: Some("drizzle".to_string()),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        let operation = found.rule.operation.unwrap_or(Operation::Unknown);
        out.findings.push(site.finding(
            found.table,
            found.access,
            operation,
            found.rule.kind,
            Confidence::Inferred,
        ));
    }

    /// A query builder's call that names a legacy table (`knex("t")`, `.from("t")`).
    fn builder_call(&self, call: Node<'_>, callee: Node<'_>, out: &mut FileScan) {
        let src = self.file.text;
        let Some(rule) = self.builder_rule(callee) else {
            self.table_name_handed_on(call, callee, out);
            return;
        };
        // `sql`…${sql.table("t")}…`` is an identifier helper of a raw SQL template, which
        // the raw-SQL extractor reports.
        if in_template(call) {
            return;
        }
        if rule.method == "on" && !self.after_index_builder(callee) {
            return;
        }
        let (file, tables) = (self.file, &self.file.ctx.tables);
        let found: Vec<(String, bool)> = self
            .table_arguments(call, rule)
            .into_iter()
            .filter_map(|name| {
                let table = file
                    .ctx
                    .models
                    .table_for_identifier(tables, file.language, &name)?;
                Some((table, tables.resolve_name(&name).is_some()))
            })
            .collect();
        if found.is_empty() {
            return;
        }
        let (access, operation, method) = match (rule.access, rule.operation) {
            (Some(a), op) => (a, op.unwrap_or(Operation::Unknown), rule.method.clone()),
            (None, _) => chain_access(src, call, self.catalog, &rule.framework),
        };
        let site = Site {
            function: function_at(src, call),
            evidence: evidence(text(src, outermost(call))),
            sink: Some(method),
            framework: Some(rule.framework.clone()),
            ..file.site_at(&self.index, call.start_byte())
        };
        let confidence = |literal: bool| {
            if literal {
                Confidence::Parsed
            } else {
                Confidence::Inferred
            }
        };
        if rule.framework == "typeorm" && access == Access::Ddl {
            for referenced in self.referenced_tables(call) {
                out.findings.push(site.clone().finding(
                    referenced,
                    Access::Ddl,
                    Operation::References,
                    rule.kind,
                    confidence(found.iter().all(|(_, l)| *l)),
                ));
            }
        }
        for (table, literal) in found {
            out.findings.push(site.clone().finding(
                table,
                access,
                operation,
                rule.kind,
                confidence(literal),
            ));
        }
    }

    /// A legacy table's name, written through a constant (`tableNames.user`, a file
    /// `const`), handed to a call no row knows (`createNameTable(knex, tableNames.user)`):
    /// unresolved. String literals are left out: `t.string("state")` names a column.
    fn table_name_handed_on(&self, call: Node<'_>, callee: Node<'_>, out: &mut FileScan) {
        let src = self.file.text;
        let Some(args) = call.field("arguments") else {
            return;
        };
        let name = match callee.kind() {
            "identifier" => text(src, callee),
            "member_expression" => callee.field("property").map(|p| text(src, p)).unwrap_or(""),
            _ => return,
        };
        if name == "require" {
            return;
        }
        let file = self.file;
        let mut tables: Vec<String> = children_with_comments(args)
            .into_iter()
            .filter(|a| {
                matches!(
                    a.kind(),
                    "identifier" | "member_expression" | "subscript_expression"
                )
            })
            .filter_map(|a| self.string_of(a))
            .filter_map(|t| {
                file.ctx
                    .models
                    .table_for_identifier(&file.ctx.tables, file.language, &t)
            })
            .collect();
        tables.sort();
        tables.dedup();
        if tables.is_empty() || in_template(call) {
            return;
        }
        let site = Site {
            function: function_at(src, call),
            evidence: evidence(text(src, outermost(call))),
            sink: Some(name.to_string()),
            framework: None,
            ..file.site_at(&self.index, call.start_byte())
        };
        for table in tables {
            let reason =
                format!("the table name is handed to `{name}`, which cutover does not know");
            out.findings
                .push(site.unresolved(table, crate::model::Kind::QueryBuilder, reason));
        }
    }

    /// Whether `.on(…)` follows `createIndex(…)` / `dropIndex(…)` in its chain (Kysely),
    /// rather than a join condition or an event listener.
    fn after_index_builder(&self, callee: Node<'_>) -> bool {
        let src = self.file.text;
        let mut node = callee.field("object");
        for _ in 0..super::MAX_CHAIN {
            let Some(n) = node else {
                return false;
            };
            match n.kind() {
                "call_expression" => node = n.field("function"),
                "member_expression" => {
                    let method = n.field("property").map(|p| text(src, p));
                    if matches!(method, Some("createIndex" | "dropIndex")) {
                        return true;
                    }
                    node = n.field("object");
                }
                _ => return false,
            }
        }
        false
    }

    /// The catalog row of a builder's callee: a bare call (`knex("t")`, through an import
    /// alias) or a method (`.from("t")`), never one of `NOT_BUILDERS`.
    fn builder_rule(&self, callee: Node<'_>) -> Option<&'a OrmRule> {
        let src = self.file.text;
        match callee.kind() {
            "identifier" => {
                let name = text(src, callee);
                self.lookup(
                    OrmReceiver::Function,
                    self.aliases.get(name).unwrap_or(&name),
                )
            }
            "member_expression" => {
                let object = callee.field("object");
                if object.is_some_and(|o| NOT_BUILDERS.contains(&text(src, o))) {
                    return None;
                }
                callee
                    .field("property")
                    .and_then(|p| self.lookup(OrmReceiver::Db, text(src, p)))
            }
            _ => None,
        }
    }

    /// The table names the rule's table argument writes: one, or, for the parameter of a
    /// callback iterating a list of them, each (`[tables.a, tables.b].map((t) =>
    /// knex.schema.dropTable(t))`, `Object.keys(tableNames).map((name) => knex(name).del())`).
    fn table_arguments(&self, call: Node<'_>, rule: &OrmRule) -> Vec<String> {
        let arg = call
            .field("arguments")
            .and_then(|a| children_with_comments(a).into_iter().nth(rule.table_arg?));
        if let Some(arg) = arg.filter(|a| a.kind() == "identifier")
            && !self.consts.contains_key(text(self.file.text, arg))
            && let Some(names) = self.iterated_strings(arg)
        {
            return names;
        }
        self.table_argument(call, rule).into_iter().collect()
    }

    /// The strings a callback parameter takes: the callback is handed to `.map` /
    /// `.forEach` / … of an array of strings or constants, or of `Object.keys(M)` /
    /// `Object.values(M)` of an imported constants module `M`.
    fn iterated_strings(&self, param: Node<'_>) -> Option<Vec<String>> {
        let src = self.file.text;
        let name = text(src, param);
        let mut at = param.parent();
        let callback = loop {
            let n = at?;
            if matches!(
                n.kind(),
                "arrow_function" | "function_expression" | "function"
            ) {
                break n;
            }
            at = n.parent();
        };
        let first_param = callback.field("parameter").or_else(|| {
            callback
                .field("parameters")
                .and_then(|p| children_with_comments(p).into_iter().next())
        })?;
        let first_name = match first_param.kind() {
            "identifier" => first_param,
            _ => first_param.field("pattern")?,
        };
        if text(src, first_name) != name {
            return None;
        }
        let iteration = callback.parent()?.parent()?;
        let callee = iteration.field("function")?;
        let method = text(src, callee.field("property")?);
        if !ITERATIONS.contains(&method) {
            return None;
        }
        let list = callee.field("object")?;
        match list.kind() {
            "array" => Some(
                children_with_comments(list)
                    .into_iter()
                    .filter_map(|e| self.string_of(e))
                    .collect(),
            ),
            "call_expression" => {
                let f = text(src, list.field("function")?);
                let module = list
                    .field("arguments")
                    .and_then(|a| children_with_comments(a).into_iter().next())
                    .map(|m| text(src, m))?;
                let (_, path) = self.modules.iter().find(|(n, _)| n == module)?;
                let entries = self.file.ctx.models.module_entries(path);
                match f {
                    "Object.keys" => Some(entries.into_iter().map(|(k, _)| k).collect()),
                    "Object.values" => Some(entries.into_iter().map(|(_, v)| v).collect()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The table name the rule's table argument writes (`"orders_legacy as o"` →
    /// `orders_legacy`, which Knex and Kysely both accept), from a literal or a const.
    fn table_argument(&self, call: Node<'_>, rule: &OrmRule) -> Option<String> {
        let src = self.file.text;
        let arg = call
            .field("arguments")
            .and_then(|a| children_with_comments(a).into_iter().nth(rule.table_arg?))?;
        let written = self.string_of(table_object_name(src, arg).unwrap_or(arg))?;
        let name = written.split_whitespace().next().unwrap_or("");
        let name = match rule.method.as_str() {
            // `.references("users.id")`: the table before the column.
            "references" => name.rsplit_once('.').map(|(t, _)| t)?,
            _ => name,
        };
        (!name.is_empty()).then(|| name.to_string())
    }

    /// The string an expression writes: a literal, or a `const` of this file bound to one.
    fn string_of(&self, node: Node<'_>) -> Option<String> {
        let src = self.file.text;
        match node.kind() {
            "identifier" => self.consts.get(text(src, node)).cloned().flatten(),
            // `tableNames.user`, `tableNames["user"]`: a string an imported module exports.
            "member_expression" | "subscript_expression" => {
                let object = text(src, node.field("object")?);
                let key = match node.kind() {
                    "member_expression" => text(src, node.field("property")?).to_string(),
                    _ => string_value(src, node.field("index")?)?,
                };
                let (_, module) = self.modules.iter().find(|(name, _)| name == object)?;
                self.file.ctx.models.module_string(module, &key)
            }
            _ => string_value(src, node),
        }
    }

    /// TypeORM schema calls: the legacy tables a foreign key among the arguments points at
    /// (`new TableForeignKey({ referencedTableName: "users" })`, `foreignKeys: [{ … }]`).
    fn referenced_tables(&self, call: Node<'_>) -> Vec<String> {
        let src = self.file.text;
        let Some(args) = call.field("arguments") else {
            return Vec::new();
        };
        let mut out: Vec<String> = all_nodes_within(args, MAX_NODES)
            .into_iter()
            .filter(|n| n.kind() == "pair")
            .filter(|p| {
                p.field("key").is_some_and(|k| {
                    text(src, k).trim_matches(['"', '\'']) == "referencedTableName"
                })
            })
            .filter_map(|p| p.field("value"))
            .filter_map(|v| self.string_of(v))
            .filter_map(|name| {
                let file = self.file;
                file.ctx
                    .models
                    .table_for_identifier(&file.ctx.tables, file.language, &name)
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// TypeORM's `new Table({ name: "t", … })`: the node of its name.
fn table_object_name<'t>(src: &str, arg: Node<'t>) -> Option<Node<'t>> {
    if arg.kind() != "new_expression"
        || arg.field("constructor").map(|c| text(src, c)) != Some("Table")
    {
        return None;
    }
    let options = arg
        .field("arguments")
        .and_then(|a| children_with_comments(a).into_iter().next())
        .filter(|o| o.kind() == "object")?;
    object_value(src, options, "name")
}

/// `const T = "orders_legacy"` anywhere in the file; a name bound twice to different
/// strings is `None`.
fn string_consts<'s>(src: &'s str, nodes: &[Node<'_>]) -> HashMap<&'s str, Option<String>> {
    let mut consts: HashMap<&str, Option<String>> = HashMap::new();
    for n in nodes {
        if n.kind() != "variable_declarator" {
            continue;
        }
        let (Some(name), Some(value)) = (n.field("name"), n.field("value")) else {
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
    consts
}

/// `import { a as b }`: `b` → `a`.
fn import_aliases<'s>(src: &'s str, nodes: &[Node<'_>]) -> HashMap<&'s str, &'s str> {
    let mut aliases = HashMap::new();
    for n in nodes {
        if n.kind() == "import_specifier"
            && let (Some(name), Some(alias)) = (n.field("name"), n.field("alias"))
        {
            aliases.insert(text(src, alias), text(src, name));
        }
    }
    aliases
}

/// Drizzle: `db.insert(t)`, `db.update(t)`, `db.delete(t)`, `db.select().from(t)`, joins,
/// where `t` is a table const declared with `pgTable` (imported by name or alias), or
/// `db.query.<t>.findMany(…)`: the legacy table, what the call does, and the method.
fn drizzle_call<'s, 'c>(
    src: &'s str,
    callee: Node<'_>,
    call: Node<'_>,
    models: &ModelIndex,
    aliases: &HashMap<&str, &str>,
    catalog: &'c OrmCatalog,
) -> Option<DrizzleCall<'s, 'c>> {
    if callee.kind() != "member_expression" {
        return None;
    }
    let method = text(src, callee.field("property")?);
    let (rule, name) = if let Some(rule) = catalog.lookup(&["drizzle"], OrmReceiver::Table, method)
    {
        let arg = call
            .field("arguments")
            .and_then(|a| children_with_comments(a).into_iter().nth(rule.model_arg?))?;
        (rule, text(src, arg))
    } else {
        // `db.query.orders.findMany(…)`
        let rule = catalog.lookup(&["drizzle"], OrmReceiver::Query, method)?;
        let object = callee.field("object")?;
        let query = object.field("object")?;
        if query.kind() != "member_expression"
            || query.field("property").map(|p| text(src, p)) != Some("query")
        {
            return None;
        }
        (rule, text(src, object.field("property")?))
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
