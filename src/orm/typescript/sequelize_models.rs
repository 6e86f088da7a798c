//! Sequelize models, pass 1: the syntax tree of one `.ts/.js` file in (parsed by
//! `models::declarations`), its models out as `ModelDecl`s — `sequelize.define("Name",
//! attrs, opts)`, `class X extends Model {}; X.init(attrs, { sequelize, … })`,
//! sequelize-typescript `@Table` classes — with the options that decide the table
//! (`tableName`, `freezeTableName`, `underscored`, `modelName`, `schema`), the
//! associations whose `onDelete` writes a child table (`A.belongsTo(B, { onDelete })`,
//! `@BelongsTo`/`@HasMany`), the repository-wide `define` options of `new Sequelize(…)`,
//! and whether the project calls `.sync()`. `resolve` then names every table the way
//! Sequelize's `Model.init` does: `tableName`, else the model name when
//! `freezeTableName`, else its plural, snake_cased when `underscored`.

use super::string_value;
use super::typeorm_models::{Side, on_delete, relation_cascades};
use super::{decorator_call, decorators, heritage, is_class, object_string, object_value};
use crate::lang::Field as _;
use crate::model::{Access, Language, Operation};
use crate::orm::naming::{pluralize, snake_case};
use crate::orm::nodes::{named_children, text};
use crate::orm::{Cascade, FileDecls, ModelDecl, TableSource, first_line};
use tree_sitter::Node;

/// Model options that decide the table (sorted).
const TABLE_OPTIONS: &[&str] = &[
    "freezeTableName",
    "modelName",
    "schema",
    "tableName",
    "underscored",
];

/// Association methods: which side holds the foreign key (sorted). `A.belongsTo(B)`: A
/// holds it; `A.hasMany(B)` / `A.hasOne(B)`: B does. `belongsToMany` goes through a
/// junction table the association names, not read.
const ASSOCIATIONS: &[(&str, Side)] = &[
    ("belongsTo", Side::Child),
    ("hasMany", Side::Parent),
    ("hasOne", Side::Parent),
];

/// An association: `owner.belongsTo/hasOne/hasMany(target, { as })`. It gives the
/// owner's instances accessor methods (`order.getItems()`, `order.setCustomer(c)`) that
/// read or write a table (`MIXINS`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Association {
    pub language: Language,
    pub owner: String,
    /// `belongsTo`, `hasOne` or `hasMany`.
    pub kind: String,
    /// The `as` option, if written.
    pub alias: Option<String>,
    pub target: String,
}

/// Whose table an accessor writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MixinTable {
    /// The instance's own (`order.setCustomer(c)` sets the order's foreign key).
    Owner,
    /// The associated model's.
    Target,
}

/// Accessor methods: `(association, prefix, plural name, table, access, operation)`
/// (sorted). `order.getItems()` for `Order.hasMany(Item, { as: "items" })` is
/// `("hasMany", "get", true, Target, Read, Select)`.
pub const MIXINS: &[(&str, &str, bool, MixinTable, Access, Operation)] = &[
    (
        "belongsTo",
        "create",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Insert,
    ),
    (
        "belongsTo",
        "get",
        false,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "belongsTo",
        "set",
        false,
        MixinTable::Owner,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasMany",
        "add",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasMany",
        "add",
        true,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasMany",
        "count",
        true,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "hasMany",
        "create",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Insert,
    ),
    (
        "hasMany",
        "get",
        true,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "hasMany",
        "has",
        false,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "hasMany",
        "has",
        true,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "hasMany",
        "remove",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasMany",
        "remove",
        true,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasMany",
        "set",
        true,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
    (
        "hasOne",
        "create",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Insert,
    ),
    (
        "hasOne",
        "get",
        false,
        MixinTable::Target,
        Access::Read,
        Operation::Select,
    ),
    (
        "hasOne",
        "set",
        false,
        MixinTable::Target,
        Access::Write,
        Operation::Update,
    ),
];

/// sequelize-typescript's association decorators (sorted).
const DECORATOR_ASSOCIATIONS: &[(&str, Side)] = &[
    ("BelongsTo", Side::Child),
    ("HasMany", Side::Parent),
    ("HasOne", Side::Parent),
];

/// Bytes that make a file worth parsing for Sequelize declarations.
pub fn may_declare(text: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(text, n).is_some();
    has(b"sequelize") || has(b"Sequelize")
}

/// The Sequelize declarations of one parsed file.
pub(super) fn declare(
    src: &str,
    rel: &str,
    language: Language,
    nodes: &[Node<'_>],
    out: &mut FileDecls,
) {
    if !may_declare(src.as_bytes()) {
        return;
    }
    for &n in nodes {
        match n.kind() {
            "call_expression" => call(src, rel, language, n, out),
            "new_expression" => {
                let ctor = n.field("constructor").map(|c| text(src, c));
                if ctor.is_some_and(|c| c == "Sequelize" || c.ends_with(".Sequelize"))
                    && let Some(args) = n.field("arguments")
                {
                    for a in named_children(args)
                        .into_iter()
                        .filter(|a| a.kind() == "object")
                    {
                        if let Some(define) =
                            object_value(src, a, "define").filter(|d| d.kind() == "object")
                        {
                            out.sequelize_defaults.extend(options(src, define));
                        }
                    }
                }
            }
            _ if is_class(n) => decorated_class(src, rel, language, n, out),
            _ => {}
        }
    }
}

/// `sequelize.define(…)`, `X.init(…)`, `A.belongsTo(B, …)`, `sequelize.sync()`.
fn call(src: &str, rel: &str, language: Language, call: Node<'_>, out: &mut FileDecls) {
    let Some(callee) = call
        .field("function")
        .filter(|f| f.kind() == "member_expression")
    else {
        return;
    };
    let (Some(object), Some(method)) = (
        callee.field("object"),
        callee.field("property").map(|p| text(src, p)),
    ) else {
        return;
    };
    let args = call
        .field("arguments")
        .map(named_children)
        .unwrap_or_default();
    match method {
        "sync" => out.schema_sync.push("sequelize".to_string()),
        "define" => {
            let Some(model) = args.first().and_then(|a| string_value(src, *a)) else {
                return;
            };
            // `customElements.define("x-tag", Klass)` is no model: the attributes are an
            // object literal, or a variable passed to something named like a connection.
            let attributes = args.get(1).map(|a| a.kind());
            let connection = text(src, object).to_ascii_lowercase().contains("sequelize");
            if !(attributes == Some("object") || attributes == Some("identifier") && connection) {
                return;
            }
            let bound = call
                .parent()
                .filter(|p| p.kind() == "variable_declarator")
                .and_then(|p| p.field("name"))
                .filter(|n| n.kind() == "identifier")
                .map(|n| text(src, n).to_string());
            let name = bound.clone().unwrap_or_else(|| model.clone());
            let mut decl = ModelDecl::new(language, "sequelize", &name, rel);
            if name != model {
                decl.aliases.push(model.clone());
            }
            decl.options
                .push(("modelName".to_string(), model.to_string()));
            if let Some(opts) = args.get(2).filter(|a| a.kind() == "object") {
                decl.options.extend(options(src, *opts));
            }
            place(src, rel, declaration_of(call), &mut decl);
            out.models.push(decl);
        }
        "init" => {
            let Some(opts) = args.get(1).filter(|a| a.kind() == "object") else {
                return;
            };
            // The options of `Model.init` carry the connection: the mark of Sequelize.
            let has_connection = named_children(*opts).into_iter().any(|p| {
                (p.kind() == "shorthand_property_identifier" && text(src, p) == "sequelize")
                    || (p.kind() == "pair"
                        && p.field("key").map(|k| text(src, k)) == Some("sequelize"))
            });
            if !has_connection || object.kind() != "identifier" {
                return;
            }
            let name = text(src, object);
            let mut decl = ModelDecl::new(language, "sequelize", name, rel);
            decl.options.extend(options(src, *opts));
            if let Some((_, m)) = decl.options.iter().find(|(k, _)| k == "modelName")
                && m != name
            {
                decl.aliases.push(m.clone());
            }
            place(src, rel, declaration_of(call), &mut decl);
            out.models.push(decl);
        }
        _ => {
            let Some((_, side)) = ASSOCIATIONS.iter().find(|(a, _)| *a == method) else {
                return;
            };
            let (Some(owner), Some(target)) = (
                model_name(src, object),
                args.first().and_then(|a| model_name(src, *a)),
            ) else {
                return;
            };
            out.sequelize_associations.push(Association {
                language,
                owner: owner.clone(),
                kind: method.to_string(),
                alias: args
                    .iter()
                    .filter(|a| a.kind() == "object")
                    .find_map(|a| object_string(src, *a, "as")),
                target: target.clone(),
            });
            let Some((operation, written)) = args
                .iter()
                .filter(|a| a.kind() == "object")
                .find_map(|a| object_string(src, *a, "onDelete"))
                .and_then(|v| on_delete(&v).map(|op| (op, v)))
            else {
                return;
            };
            let (parent, child) = match side {
                Side::Child => (target.clone(), owner.clone()),
                Side::Parent => (owner.clone(), target.clone()),
            };
            out.cascades.push(Cascade {
                language,
                framework: "sequelize".to_string(),
                parent,
                child,
                operation,
                via: format!("{owner}.{method}({target}) onDelete={written}"),
                child_file: String::new(),
            });
        }
    }
}

/// sequelize-typescript: `@Table` / `@Table({ tableName })` on a class.
fn decorated_class(src: &str, rel: &str, language: Language, class: Node<'_>, out: &mut FileDecls) {
    let Some(name) = class.field("name").map(|c| text(src, c)) else {
        return;
    };
    let Some((decorator, args)) = decorators(class).into_iter().find_map(|d| {
        let (n, args) = decorator_call(src, d)?;
        (n == "Table").then_some((d, args))
    }) else {
        return;
    };
    let mut decl = ModelDecl::new(language, "sequelize", name, rel);
    if let Some(opts) = args.first().filter(|a| a.kind() == "object") {
        decl.options.extend(options(src, *opts));
    }
    decl.bases = heritage(src, class);
    decl.module = rel.to_string();
    let position = decorator.start_position();
    decl.line = position.row as u32 + 1;
    decl.column = position.column as u32 + 1;
    decl.evidence = first_line(text(src, decorator));
    out.cascades.extend(relation_cascades(
        src,
        rel,
        class,
        name,
        language,
        "sequelize",
        DECORATOR_ASSOCIATIONS,
    ));
    out.models.push(decl);
}

/// The table options written in an options object, as text (`true`, `orders_legacy`).
fn options(src: &str, object: Node<'_>) -> Vec<(String, String)> {
    TABLE_OPTIONS
        .iter()
        .filter_map(|k| {
            let v = object_value(src, object, k)?;
            let value = match v.kind() {
                "true" | "false" => text(src, v).to_string(),
                _ => string_value(src, v)?,
            };
            Some((k.to_string(), value))
        })
        .collect()
}

/// `LegacyOrder`, `models.LegacyOrder`, `db.LegacyOrder`: the model's name as written;
/// `this` in a model's `static associate(models)`: the class.
fn model_name(src: &str, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "this" => {
            let mut at = node.parent();
            while let Some(n) = at {
                if is_class(n) {
                    return n.field("name").map(|c| text(src, c).to_string());
                }
                at = n.parent();
            }
            None
        }
        "identifier" => Some(text(src, node).to_string()),
        "member_expression" => node.field("property").map(|p| text(src, p).to_string()),
        _ => None,
    }
}

/// The statement a declaring call belongs to, for its place and evidence.
fn declaration_of(call: Node<'_>) -> Node<'_> {
    let mut at = call;
    for _ in 0..4 {
        match at.parent() {
            Some(p) if !matches!(p.kind(), "program" | "statement_block" | "class_body") => {
                at = p;
            }
            _ => break,
        }
    }
    at
}

fn place(src: &str, rel: &str, node: Node<'_>, decl: &mut ModelDecl) {
    decl.module = rel.to_string();
    let position = node.start_position();
    decl.line = position.row as u32 + 1;
    decl.column = position.column as u32 + 1;
    decl.evidence = first_line(text(src, node));
}

/// Name every Sequelize model's table (its own options first, then the repository's
/// `define` defaults), mark the models a `.sync()` creates, and point cascades written
/// with a model's other name (`models.LegacyOrder`) at the model's name.
pub fn resolve(
    models: &mut [ModelDecl],
    cascades: &mut [Cascade],
    associations: &mut [Association],
    defaults: &[(String, String)],
    sync: bool,
) {
    let global = |key: &str| {
        defaults
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    for m in models.iter_mut().filter(|m| m.framework == "sequelize") {
        let own = |key: &str| {
            m.options
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let flag = |key: &str| own(key).as_deref().or(global(key)) == Some("true");
        let schema = own("schema").or_else(|| global("schema").map(str::to_string));
        let (table, source) = match own("tableName") {
            Some(t) => (t, TableSource::Explicit),
            None => {
                let model = own("modelName").unwrap_or_else(|| m.name.clone());
                let table = if flag("freezeTableName") {
                    model
                } else if flag("underscored") {
                    snake_case(&pluralize(&model))
                } else {
                    pluralize(&model)
                };
                (table, TableSource::Convention)
            }
        };
        let table = match schema {
            Some(s) if !s.is_empty() => format!("{s}.{table}"),
            _ => table,
        };
        if source == TableSource::Explicit {
            m.explicit_table = Some(table.clone());
        }
        m.table = Some(table);
        m.source = source;
        m.defines_schema = sync;
    }
    let ends = cascades
        .iter_mut()
        .filter(|c| c.framework == "sequelize")
        .flat_map(|c| [&mut c.parent, &mut c.child])
        .chain(
            associations
                .iter_mut()
                .flat_map(|a| [&mut a.owner, &mut a.target]),
        );
    // Point ends written with a model's other name (`models.LegacyOrder`) at its name.
    for end in ends {
        if let Some(m) = models
            .iter()
            .find(|m| m.framework == "sequelize" && m.aliases.contains(end))
        {
            *end = m.name.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{self, Grammar};

    fn decls(src: &str) -> FileDecls {
        let tree = lang::parse(Grammar::Tsx, src).unwrap();
        let nodes = crate::orm::nodes::all_nodes(tree.root_node());
        let mut out = FileDecls::default();
        declare(src, "m.js", Language::JavaScript, &nodes, &mut out);
        out
    }

    fn tables(src: &str, defaults: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut d = decls(src);
        let defaults: Vec<(String, String)> = defaults
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(d.sequelize_defaults.clone())
            .collect();
        resolve(&mut d.models, &mut d.cascades, &mut [], &defaults, false);
        d.models
            .into_iter()
            .map(|m| (m.name, m.table.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn table_names_like_model_init() {
        let src = "const { Sequelize, Model } = require('sequelize');\n\
                   const Order = sequelize.define('LegacyOrder', {}, { tableName: 'orders_legacy' });\n\
                   const Item = sequelize.define('OrderItem', {});\n\
                   const Note = sequelize.define('Note', {}, { freezeTableName: true });\n\
                   const Tag = sequelize.define('OrderTag', {}, { underscored: true });\n\
                   class Box extends Model {}\n\
                   Box.init({}, { sequelize, modelName: 'TaxBox', schema: 'billing' });\n\
                   class Plain extends Model {}\nPlain.init({}, { other: 1 });\n\
                   customElements.define('x-tag', Klass);\n";
        assert_eq!(
            tables(src, &[]),
            vec![
                ("Order".to_string(), "orders_legacy".to_string()),
                ("Item".to_string(), "OrderItems".to_string()),
                ("Note".to_string(), "Note".to_string()),
                ("Tag".to_string(), "order_tags".to_string()),
                ("Box".to_string(), "billing.TaxBoxes".to_string()),
            ]
        );
        // Repository-wide options apply where a model says nothing.
        let global = tables(
            "new Sequelize(url, { define: { freezeTableName: true } });\n\
             const Item = sequelize.define('OrderItem', {});\n\
             const Tag = sequelize.define('OrderTag', {}, { freezeTableName: false });\n",
            &[],
        );
        assert_eq!(global[0].1, "OrderItem");
        assert_eq!(global[1].1, "OrderTags");
    }

    #[test]
    fn decorated_models_and_associations() {
        let mut d = decls(
            "import { Table, Model, BelongsTo } from 'sequelize-typescript';\n\
             @Table({ tableName: 'orders_legacy' })\nexport class LegacyOrder extends Model {\n\
               @BelongsTo(() => Customer, { onDelete: 'CASCADE' }) customer;\n}\n\
             const Note = sequelize.define('OrderNote', {});\n\
             Customer.hasMany(models.OrderNote, { onDelete: 'SET NULL' });\n\
             Customer.hasMany(Other);\n\
             class Shop extends Model { static associate({ Note }) { this.hasMany(Note, { onDelete: 'cascade' }); } }\n",
        );
        resolve(
            &mut d.models,
            &mut d.cascades,
            &mut d.sequelize_associations,
            &[],
            true,
        );
        let lo = d.models.iter().find(|m| m.name == "LegacyOrder").unwrap();
        assert_eq!(lo.table.as_deref(), Some("orders_legacy"));
        assert!(lo.defines_schema);
        assert_eq!(d.cascades.len(), 3, "{:?}", d.cascades);
        assert!(
            d.cascades
                .iter()
                .any(|c| c.parent == "Shop" && c.child == "Note")
        );
        let item = d
            .cascades
            .iter()
            .find(|c| c.child == "LegacyOrder")
            .unwrap();
        assert_eq!(
            (item.parent.as_str(), item.operation),
            ("Customer", Operation::Delete)
        );
        let note = d.cascades.iter().find(|c| c.child == "Note").unwrap();
        assert_eq!(note.operation, Operation::Update);
        assert_eq!(note.via, "Customer.hasMany(OrderNote) onDelete=SET NULL");
        assert!(TABLE_OPTIONS.is_sorted());
        assert!(ASSOCIATIONS.is_sorted_by_key(|(n, _)| *n));
        assert!(DECORATOR_ASSOCIATIONS.is_sorted_by_key(|(n, _)| *n));
        assert!(MIXINS.is_sorted_by_key(|(a, p, plural, ..)| (*a, *p, *plural)));
        // `models.OrderNote` is the model bound to `Note`.
        assert!(
            d.sequelize_associations
                .iter()
                .any(|a| a.owner == "Customer" && a.target == "Note" && a.kind == "hasMany")
        );
    }
}
