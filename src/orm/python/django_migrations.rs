//! Django migrations (`<app>/migrations/NNNN_*.py`): each operation of the catalog
//! (`catalog/python_migrations.toml`: `CreateModel(name=…)`, `AddField(model_name=…)`,
//! `AlterUniqueTogether`, `RenameModel`, `AlterModelTable`…) is a ddl of its model's table.
//! The table: the model index (a model's `Meta.db_table`), else the migration's own
//! `CreateModel(options={"db_table": …})`, else Django's `<app>_<model>`, the app being the
//! package that holds `migrations/`. A foreign key of another model's operation points at
//! a table but changes the other one, and is not a ddl of it. `RunSQL` is SQL text (the SQL
//! extractor's); the ORM calls of `RunPython` functions are the ORM pass's, which learns the
//! models they use from `apps.get_model` (`get_model_binding`).

use super::last_segment;
use super::migration_ops::{
    CallArgs, DjangoOp, MigrationCatalog, enclosing_function, string_consts, string_or_const,
};
use super::string_value;
use crate::extract::{FileInput, FileScan, LineIndex, ScanContext, evidence};
use crate::lang::Field as _;
use crate::model::{Confidence, Kind, Language, Site};
use crate::orm::ModelIndex;
use crate::orm::naming;
use crate::orm::nodes::{all_nodes, named_children, text};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// The app label of a Django migration file: `core/migrations/0001_initial.py` → `core`.
pub fn migration_app(rel: &str) -> Option<&str> {
    let parts: Vec<&str> = rel.split('/').collect();
    let [.., app, "migrations", file] = parts.as_slice() else {
        return None;
    };
    let numbered = file.starts_with(|c: char| c.is_ascii_digit()) && file.ends_with(".py");
    numbered.then_some(*app)
}

/// Whether a migration file may change a legacy table: it names (in any case) the model
/// part of a configured `<app>_<model>` table, or a legacy Django model of the index. Such
/// files say `model_name="order"`, which no prefilter of names written as code matches.
pub fn may_apply(rel: &str, bytes: &[u8], ctx: &ScanContext) -> bool {
    let Some(app) = migration_app(rel) else {
        return false;
    };
    if !bytes.windows(9).any(|w| w == b"Migration") {
        return false;
    }
    let lower = String::from_utf8_lossy(bytes).to_ascii_lowercase();
    let prefix = format!("{}_", app.to_ascii_lowercase());
    let by_table = ctx
        .prefilter_names()
        .iter()
        .filter_map(|t| t.strip_prefix(&prefix))
        .any(|model| !model.is_empty() && lower.contains(model));
    by_table
        || ctx.models.models().iter().any(|m| {
            m.framework == "django"
                && m.legacy.is_some()
                && lower.contains(&m.name.to_ascii_lowercase())
        })
}

struct Migration<'a, 's> {
    file: &'a FileInput<'s>,
    src: &'s str,
    app: &'a str,
    index: LineIndex,
    consts: HashMap<String, Option<String>>,
    /// `CreateModel(name="X", options={"db_table": "t"})` of this file: lower-case model → t.
    db_tables: HashMap<String, String>,
}

/// The findings of one Django migration file.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let Some(app) = migration_app(file.rel) else {
        return;
    };
    let src = file.text;
    if !src.contains("Migration") {
        return;
    }
    let nodes = all_nodes(tree.root_node());
    let calls: Vec<Node<'_>> = nodes
        .iter()
        .copied()
        .filter(|n| n.kind() == "call")
        .collect();
    let mut pass = Migration {
        file,
        src,
        app,
        index: LineIndex::new(src),
        consts: string_consts(src, &nodes),
        db_tables: HashMap::new(),
    };
    for &call in &calls {
        pass.declared_table(call);
    }
    let catalog = MigrationCatalog::builtin();
    for &call in &calls {
        let Some(function) = call.field("function") else {
            continue;
        };
        if !matches!(function.kind(), "identifier" | "attribute") {
            continue;
        }
        if let Some(row) = catalog.django(last_segment(text(src, function))) {
            pass.operation(call, row, out);
        } else if is_operation(src, call) {
            pass.unknown_operation(call, last_segment(text(src, function)), out);
        }
    }
}

/// Operations that name no model (`RunSQL`, `RunPython`) or hold others
/// (`SeparateDatabaseAndState`, whose inner operations are read as any other).
const NO_MODEL: &[&str] = &["RunPython", "RunSQL", "SeparateDatabaseAndState"];

/// Whether `call` is an element of an `operations = [...]` list.
fn is_operation(src: &str, call: Node<'_>) -> bool {
    let Some(list) = call.parent().filter(|p| p.kind() == "list") else {
        return false;
    };
    list.parent().is_some_and(|a| {
        a.kind() == "assignment"
            && a.field("left")
                .is_some_and(|l| text(src, l) == "operations")
    })
}

impl Migration<'_, '_> {
    /// Remember `CreateModel(name="X", options={"db_table": "t"})`.
    fn declared_table(&mut self, call: Node<'_>) {
        let src = self.src;
        let is_create = call
            .field("function")
            .is_some_and(|f| last_segment(text(src, f)) == "CreateModel");
        if !is_create {
            return;
        }
        let args = CallArgs::of(src, call);
        let name = args
            .get(Some(0), Some("name"))
            .and_then(|n| string_or_const(src, n, &self.consts));
        let table = args
            .get(Some(2), Some("options"))
            .filter(|o| o.kind() == "dictionary")
            .and_then(|o| dict_string(src, o, "db_table"));
        if let (Some(name), Some(table)) = (name, table) {
            self.db_tables.insert(name.to_ascii_lowercase(), table);
        }
    }

    fn operation(&self, call: Node<'_>, row: &DjangoOp, out: &mut FileScan) {
        let src = self.src;
        let args = CallArgs::of(src, call);
        let models = [
            args.get(Some(row.model_arg), Some(&row.model_kwarg)),
            row.other_model_kwarg
                .as_deref()
                .and_then(|k| args.get(row.other_model_arg, Some(k))),
        ];
        let mut tables: Vec<String> = models
            .into_iter()
            .flatten()
            .filter_map(|m| string_or_const(src, m, &self.consts))
            .filter_map(|m| self.table_of(&m))
            .collect();
        if let Some(t) = args
            .get(row.table_arg, row.table_kwarg.as_deref())
            .and_then(|t| string_or_const(src, t, &self.consts))
            .and_then(|t| self.legacy(&t))
        {
            tables.push(t);
        }
        tables.sort();
        tables.dedup();
        for table in tables {
            let site = Site {
                function: enclosing_function(src, call),
                evidence: evidence(text(src, call)),
                sink: Some(row.class.clone()),
                framework: Some("django".to_string()),
                ..self.file.site_at(&self.index, call.start_byte())
            };
            out.findings.push(site.finding(
                table,
                row.access,
                row.operation,
                Kind::Orm,
                Confidence::Inferred,
            ));
        }
    }

    /// An operation the catalog does not know (a third-party or house operation) that names
    /// a legacy model (`model_name=`, `name=`, or its first argument): unresolved.
    fn unknown_operation(&self, call: Node<'_>, class: &str, out: &mut FileScan) {
        if NO_MODEL.contains(&class) {
            return;
        }
        let src = self.src;
        let args = CallArgs::of(src, call);
        let Some(table) = args
            .get(Some(0), Some("model_name"))
            .or_else(|| args.get(None, Some("name")))
            .and_then(|m| string_or_const(src, m, &self.consts))
            .and_then(|m| self.table_of(&m))
        else {
            return;
        };
        let site = Site {
            function: enclosing_function(src, call),
            evidence: evidence(text(src, call)),
            sink: Some(class.to_string()),
            framework: Some("django".to_string()),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        let reason = format!("django migration operation {class} is not in the catalog");
        out.findings.push(site.unresolved(table, Kind::Orm, reason));
    }

    /// The legacy table of a model of this migration's app, if it is one.
    fn table_of(&self, model: &str) -> Option<String> {
        let model = last_segment(model);
        let indexed = self.file.ctx.models.models().iter().find(|m| {
            m.language == Language::Python
                && m.framework == "django"
                && m.name.eq_ignore_ascii_case(model)
                && m.app_label
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(self.app))
                && m.table.is_some()
        });
        if let Some(m) = indexed {
            return m.legacy.clone();
        }
        let table = self
            .db_tables
            .get(&model.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| naming::django_table(self.app, model));
        self.legacy(&table)
    }

    fn legacy(&self, name: &str) -> Option<String> {
        self.file
            .ctx
            .tables
            .resolve_name(name)
            .map(|t| t.display.clone())
    }
}

/// The string value of `key` in a dict literal (`{"db_table": "t"}`).
fn dict_string(src: &str, dict: Node<'_>, key: &str) -> Option<String> {
    named_children(dict)
        .into_iter()
        .filter(|p| p.kind() == "pair")
        .find(|p| {
            p.field("key")
                .and_then(|k| string_value(src, k))
                .is_some_and(|k| k == key)
        })
        .and_then(|p| p.field("value"))
        .and_then(|v| string_value(src, v))
}

/// `Order = apps.get_model("shop", "Order")` (or `"shop.Order"`, or a name bound by
/// `for name in ["Order", "Invoice"]`) in a `RunPython` function: the local name and the
/// model class it stands for. Of several names, a legacy model's is taken (the ORM pass
/// then classifies what the function does with it).
pub fn get_model_binding(
    src: &str,
    node: Node<'_>,
    models: &ModelIndex,
) -> Option<(String, String)> {
    let left = node.field("left")?;
    let right = node.field("right")?;
    if left.kind() != "identifier" || right.kind() != "call" {
        return None;
    }
    let function = right.field("function")?;
    if function.kind() != "attribute" || last_segment(text(src, function)) != "get_model" {
        return None;
    }
    let args = CallArgs::of(src, right);
    let model_arg = match args.positional.as_slice() {
        [_, model, ..] => *model,
        [one] => *one,
        [] => args.get(None, Some("model_name"))?,
    };
    let candidates: Vec<String> = match model_arg.kind() {
        "identifier" => loop_strings(src, model_arg)?,
        _ => vec![string_value(src, model_arg)?],
    };
    // `apps.get_model("helpdesk", "emailtemplate")`: Django matches the name in any case;
    // the index spells it as the class does.
    let names: Vec<String> = candidates
        .iter()
        .map(|c| {
            let name = last_segment(c);
            models
                .models()
                .iter()
                .find(|m| m.framework == "django" && m.name.eq_ignore_ascii_case(name))
                .map_or_else(|| name.to_string(), |m| m.name.clone())
        })
        .collect();
    let legacy = names.iter().find(|n| {
        models
            .find(Language::Python, n)
            .iter()
            .any(|m| m.legacy.is_some())
    });
    let model = legacy.or(names.first())?;
    Some((text(src, left).to_string(), model.clone()))
}

/// The strings a loop variable takes: `for name in ["A", "B"]:` around `ident`.
fn loop_strings(src: &str, ident: Node<'_>) -> Option<Vec<String>> {
    let name = text(src, ident);
    let mut at = ident.parent();
    while let Some(n) = at {
        if n.kind() == "for_statement" && n.field("left").is_some_and(|l| text(src, l) == name) {
            let right = n.field("right")?;
            let strings: Vec<String> = named_children(right)
                .into_iter()
                .filter_map(|s| string_value(src, s))
                .collect();
            return (!strings.is_empty()).then_some(strings);
        }
        at = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_apps() {
        assert_eq!(
            migration_app("core/migrations/0001_initial.py"),
            Some("core")
        );
        assert_eq!(
            migration_app("web/datasets/migrations/0012_auto.py"),
            Some("datasets")
        );
        assert_eq!(migration_app("core/migrations/__init__.py"), None);
        assert_eq!(migration_app("migrations/0001_initial.py"), None);
    }
}
