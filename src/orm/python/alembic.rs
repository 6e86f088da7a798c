//! Alembic migrations: `op.*` calls in a file that imports `op` from alembic (or sits in an
//! Alembic `versions/` directory), each a ddl of the table it names (`op.add_column("t", …)`,
//! `op.create_index(name, "t", …)`), the foreign keys a migration creates (a ddl of the table
//! they point at: `sa.ForeignKey("t.id")`, `ForeignKeyConstraint([…], ["t.id"])`,
//! `op.create_foreign_key(name, source, referent, …)`), every `batch_op.*` call of a
//! `with op.batch_alter_table("t") as batch_op:` block (a ddl of `t`), and data moved by the
//! migration: `op.bulk_insert(t, rows)` and `op.execute(t.update()…)` on a table object
//! (`t = sa.table("t", …)`, `sa.Table(…)`, the result of `op.create_table`). Table names are
//! literals or module constants. `op.execute("SQL")` is SQL text, the SQL extractor's.
//! What each method does is data: `catalog/python_migrations.toml`. A method the catalog
//! does not know, on a legacy table, is reported as unresolved.

use super::last_segment;
use super::migration_ops::{
    AlembicOp, AlembicReceiver, CallArgs, MigrationCatalog, enclosing_function, string_consts,
    string_or_const,
};
use crate::catalog::OrmReceiver;
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Kind, Language, Operation, Site};
use crate::orm::nodes::{all_nodes, named_children, text};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// `op` methods that name no table (helpers of the migration context, `op.f("ix_name")`).
const NO_TABLE: &[&str] = &[
    "batch_alter_table",
    "execute",
    "f",
    "get_bind",
    "get_context",
    "implementation_for",
    "inline_literal",
    "invoke",
    "register_operation",
    "run_async",
];

/// Whether a file is an Alembic migration (or a helper of one): it imports `op`, or it is
/// in a `versions/` directory and calls `op.`.
pub fn applies(rel: &str, src: &str) -> bool {
    let in_versions = rel.starts_with("versions/") || rel.contains("/versions/");
    src.contains("from alembic import")
        || src.contains("import alembic")
        || in_versions && src.contains("op.")
}

/// A `with op.batch_alter_table("t") as batch_op:` block: the alias, the table, the body.
struct Batch {
    alias: String,
    table: Option<String>,
    start: usize,
    end: usize,
}

struct Alembic<'a, 's> {
    file: &'a FileInput<'s>,
    src: &'s str,
    index: LineIndex,
    consts: HashMap<String, Option<String>>,
    /// Table objects: variable → table name.
    objects: HashMap<String, String>,
    batches: Vec<Batch>,
}

/// The findings of one Alembic migration file.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let src = file.text;
    if !applies(file.rel, src) {
        return;
    }
    let nodes = all_nodes(tree.root_node());
    let consts = string_consts(src, &nodes);
    let mut pass = Alembic {
        file,
        src,
        index: LineIndex::new(src),
        consts,
        objects: HashMap::new(),
        batches: Vec::new(),
    };
    for &n in &nodes {
        match n.kind() {
            "assignment" => pass.table_object(n),
            "with_statement" => pass.batch_block(n),
            _ => {}
        }
    }
    for &n in &nodes {
        if n.kind() == "call" {
            pass.call(n, out);
        }
    }
}

impl<'a, 's> Alembic<'a, 's> {
    /// `t = sa.table("t", …)` / `sa.Table("t", …)` / `op.create_table("t", …)`.
    fn table_object(&mut self, n: Node<'_>) {
        let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
            return;
        };
        if left.kind() != "identifier" {
            return;
        }
        if let Some(table) = self.constructed_table(right) {
            self.objects.insert(text(self.src, left).to_string(), table);
        }
    }

    /// The table of a `table("t", …)` / `Table("t", …)` / `op.create_table("t", …)` call.
    fn constructed_table(&self, node: Node<'_>) -> Option<String> {
        if node.kind() != "call" {
            return None;
        }
        let function = node.field("function")?;
        if !matches!(
            last_segment(text(self.src, function)),
            "table" | "Table" | "create_table"
        ) {
            return None;
        }
        let args = CallArgs::of(self.src, node);
        let name = args
            .get(Some(0), Some("name"))
            .or_else(|| args.get(None, Some("table_name")))?;
        string_or_const(self.src, name, &self.consts)
    }

    /// `with op.batch_alter_table("t", …) as batch_op:` (the table may be a keyword
    /// argument, a constant, on the next line).
    fn batch_block(&mut self, n: Node<'_>) {
        let src = self.src;
        let Some(body) = n.field("body") else {
            return;
        };
        for item in all_nodes(n)
            .into_iter()
            .filter(|i| i.kind() == "with_item" && i.end_byte() <= body.start_byte())
        {
            let call = all_nodes(item).into_iter().find(|c| {
                c.kind() == "call"
                    && c.field("function")
                        .is_some_and(|f| last_segment(text(src, f)) == "batch_alter_table")
            });
            let alias = all_nodes(item)
                .into_iter()
                .find(|c| c.kind() == "as_pattern_target")
                .and_then(|t| named_children(t).into_iter().next().or(Some(t)));
            let (Some(call), Some(alias)) = (call, alias) else {
                continue;
            };
            let args = CallArgs::of(src, call);
            let table = args
                .get(Some(0), Some("table_name"))
                .and_then(|t| string_or_const(src, t, &self.consts));
            self.batches.push(Batch {
                alias: text(src, alias).to_string(),
                table,
                start: body.start_byte(),
                end: body.end_byte(),
            });
        }
    }

    fn legacy(&self, name: &str) -> Option<String> {
        self.file
            .ctx
            .tables
            .resolve_name(name)
            .map(|t| t.display.clone())
    }

    fn call(&self, call: Node<'_>, out: &mut FileScan) {
        let src = self.src;
        let Some(function) = call.field("function") else {
            return;
        };
        if function.kind() == "identifier" || function.kind() == "attribute" {
            let name = last_segment(text(src, function));
            if matches!(name, "ForeignKey" | "ForeignKeyConstraint") {
                self.foreign_key(call, name, out);
                return;
            }
        }
        if function.kind() != "attribute" {
            return;
        }
        let (Some(object), Some(method)) = (function.field("object"), function.field("attribute"))
        else {
            return;
        };
        let (object, method) = (text(src, object), text(src, method));
        if object == "op" {
            self.op_call(call, method, out);
        } else if let Some(batch) =
            self.batches.iter().rev().find(|b| {
                b.alias == object && b.start <= call.start_byte() && call.end_byte() <= b.end
            })
        {
            self.batch_call(call, method, batch, out);
        }
    }

    /// `op.<method>(…)`.
    fn op_call(&self, call: Node<'_>, method: &str, out: &mut FileScan) {
        let catalog = MigrationCatalog::builtin();
        let args = CallArgs::of(self.src, call);
        if method == "execute" {
            return self.execute(call, &args, out);
        }
        let Some(row) = catalog.alembic(AlembicReceiver::Op, method) else {
            if !NO_TABLE.contains(&method) {
                self.unknown(call, &format!("op.{method}"), &args, out);
            }
            return;
        };
        if let Some(table) = args
            .get(row.table_arg, row.table_kwarg.as_deref())
            .and_then(|t| string_or_const(self.src, t, &self.consts))
        {
            self.report(call, &table, row.access, row.operation, method, out);
        }
        self.referent(call, row, &args, out);
        if let Some(table) = row
            .object_arg
            .and_then(|i| args.get(Some(i), None))
            .and_then(|o| self.object_table(o))
        {
            self.report(call, &table, row.access, row.operation, method, out);
        }
    }

    /// `batch_op.<method>(…)` in a batch block: a ddl of the block's table.
    fn batch_call(&self, call: Node<'_>, method: &str, batch: &Batch, out: &mut FileScan) {
        let Some(table) = &batch.table else {
            return;
        };
        let args = CallArgs::of(self.src, call);
        match MigrationCatalog::builtin().alembic(AlembicReceiver::Batch, method) {
            Some(row) => {
                self.report(call, table, row.access, row.operation, method, out);
                self.referent(call, row, &args, out);
            }
            // `batch_op.execute("SQL")` is SQL text; `batch_op.f("ix")` names an index.
            None if matches!(method, "execute" | "f" | "get_bind") => {}
            None => {
                if let Some(legacy) = self.legacy(table) {
                    let reason = format!("alembic batch_op.{method} is not in the catalog");
                    out.findings.push(self.site(call, method).unresolved(
                        legacy,
                        Kind::QueryBuilder,
                        reason,
                    ));
                }
            }
        }
    }

    /// The second table of `create_foreign_key` (the referent) or `rename_table` (the new name).
    fn referent(&self, call: Node<'_>, row: &AlembicOp, args: &CallArgs<'_>, out: &mut FileScan) {
        let Some(table) = args
            .get(row.referent_arg, row.referent_kwarg.as_deref())
            .and_then(|t| string_or_const(self.src, t, &self.consts))
        else {
            return;
        };
        let operation = match row.operation {
            Operation::Rename => Operation::Rename,
            _ => Operation::References,
        };
        self.report(call, &table, row.access, operation, &row.method, out);
    }

    /// `op.execute(t.update()…)`, `op.execute(sa.delete(t)…)` on a table object of the file.
    /// SQL text is left to the SQL extractor.
    fn execute(&self, call: Node<'_>, args: &CallArgs<'_>, out: &mut FileScan) {
        let Some(arg) = args.get(Some(0), Some("sqltext")) else {
            return;
        };
        let Some((table, method)) = self.statement_on_object(arg) else {
            return;
        };
        let catalog = self.file.ctx.orm_catalog(Language::Python);
        if let Some(rule) = catalog.lookup(&["sqlalchemy"], OrmReceiver::Table, method)
            && let (Some(access), Some(operation)) = (rule.access, rule.operation)
        {
            self.report(call, &table, access, operation, method, out);
        }
    }

    /// `t.update().where(…)` → (t's table, "update"); `sa.update(t)` the same. A table
    /// object that pass 1 already knows as a model is the ORM pass's.
    fn statement_on_object(&self, node: Node<'_>) -> Option<(String, &'s str)> {
        let src = self.src;
        let mut at = node;
        for _ in 0..64 {
            match at.kind() {
                "call" => {
                    let function = at.field("function")?;
                    let object = match function.kind() {
                        "attribute" => function.field("object"),
                        _ => None,
                    };
                    match object {
                        // `t.update().where(…)`: down the chain to its root.
                        Some(o) if o.kind() != "identifier" => {
                            at = o;
                            continue;
                        }
                        Some(o) => {
                            if let Some(table) = self.object_of_name(text(src, o)) {
                                let method = function.field("attribute")?;
                                return Some((table, text(src, method)));
                            }
                        }
                        None => {}
                    }
                    // `sa.update(t)`, `update(t)`.
                    let method = last_segment(text(src, function));
                    let arg = CallArgs::of(src, at).positional.first().copied()?;
                    let table = self.object_of_name(text(src, arg))?;
                    return Some((table, method));
                }
                "attribute" => at = at.field("object")?,
                _ => return None,
            }
        }
        None
    }

    fn object_of_name(&self, name: &str) -> Option<String> {
        let table = self.objects.get(name)?;
        let known = self
            .file
            .ctx
            .models
            .find(Language::Python, name)
            .iter()
            .any(|m| m.file == self.file.rel && m.legacy.is_some());
        (!known).then(|| table.clone())
    }

    /// The table of a table-object argument: a variable, or `sa.table("t", …)` inline.
    fn object_table(&self, node: Node<'_>) -> Option<String> {
        match node.kind() {
            "identifier" => self.objects.get(text(self.src, node)).cloned(),
            _ => self.constructed_table(node),
        }
    }

    /// `sa.ForeignKey("t.id")` / `sa.ForeignKeyConstraint(["c"], ["t.id"])` in the arguments
    /// of an `op` or `batch_op` call: a ddl of the table it points at.
    fn foreign_key(&self, call: Node<'_>, name: &str, out: &mut FileScan) {
        if !self.in_operation(call) {
            return;
        }
        let args = CallArgs::of(self.src, call);
        let target = match name {
            "ForeignKey" => args.get(Some(0), Some("column")),
            _ => args
                .get(Some(1), Some("refcolumns"))
                .and_then(|l| named_children(l).into_iter().next()),
        };
        let Some(column) = target.and_then(|t| string_or_const(self.src, t, &self.consts)) else {
            return;
        };
        let Some((table, _)) = column.rsplit_once('.') else {
            return;
        };
        self.report(call, table, Access::Ddl, Operation::References, name, out);
    }

    /// Whether `node` is inside the arguments of an `op.*` or `batch_op.*` call.
    fn in_operation(&self, node: Node<'_>) -> bool {
        let mut at = node.parent();
        while let Some(n) = at {
            if n.kind() == "call"
                && let Some(f) = n.field("function")
                && f.kind() == "attribute"
                && let Some(o) = f.field("object")
            {
                let o = text(self.src, o);
                if o == "op" || self.batches.iter().any(|b| b.alias == o) {
                    return true;
                }
            }
            at = n.parent();
        }
        false
    }

    /// An `op` method the catalog does not know, handed a legacy table's name.
    fn unknown(&self, call: Node<'_>, what: &str, args: &CallArgs<'_>, out: &mut FileScan) {
        let names = args
            .positional
            .iter()
            .chain(args.keywords.iter().map(|(_, v)| v))
            .filter_map(|a| string_or_const(self.src, *a, &self.consts));
        let mut seen = Vec::new();
        for name in names {
            if let Some(legacy) = self.legacy(&name)
                && !seen.contains(&legacy)
            {
                seen.push(legacy.clone());
                let reason = format!("alembic {what} is not in the catalog");
                out.findings.push(self.site(call, what).unresolved(
                    legacy,
                    Kind::QueryBuilder,
                    reason,
                ));
            }
        }
    }

    fn site(&self, call: Node<'_>, method: &str) -> Site {
        Site {
            function: enclosing_function(self.src, call),
            evidence: evidence(text(self.src, call)),
            sink: Some(method.to_string()),
            framework: Some("alembic".to_string()),
            ..self.file.site_at(&self.index, call.start_byte())
        }
    }

    fn report(
        &self,
        call: Node<'_>,
        table: &str,
        access: Access,
        operation: Operation,
        method: &str,
        out: &mut FileScan,
    ) {
        if let Some(legacy) = self.legacy(table) {
            let site = self.site(call, method);
            out.findings.push(site.finding(
                legacy,
                access,
                operation,
                Kind::QueryBuilder,
                Confidence::Parsed,
            ));
        }
    }
}
