//! TypeORM entities, pass 1: the syntax tree of one `.ts/.js` file in (already parsed by
//! `models::declarations`), its `@Entity` / `@ViewEntity` classes out as `ModelDecl`s
//! with the table TypeORM gives them, plus the foreign keys whose `onDelete` makes the
//! database write a legacy table when a parent row goes (`Cascade`), and whether the
//! project lets TypeORM create tables (`synchronize: true`). Pass 2 is `class_usages`.
//!
//! Table names follow TypeORM's `DefaultNamingStrategy.tableName`: the name given in the
//! decorator, else the class name in snake_case. `typeorm-naming-strategies`'
//! `SnakeNamingStrategy` gives tables the same names (it changes columns), so it needs
//! nothing here; a project's own strategy that overrides `tableName` is not read (docs/orm.md).
//! The relation decorator helpers are shared with `sequelize_models` (sequelize-typescript
//! decorators).

use super::{
    decorator_call, decorators, heritage, is_class, object_string, object_value, string_value,
};
use crate::lang::Field as _;
use crate::model::{Language, Operation};
use crate::orm::naming::snake_case;
use crate::orm::nodes::{named_children, text};
use crate::orm::{Cascade, FileDecls, ModelDecl, TableSource, first_line};
use tree_sitter::Node;

/// Decorators that declare an entity: `(decorator, is a view)` (sorted).
const ENTITY_DECORATORS: &[(&str, bool)] = &[("Entity", false), ("ViewEntity", true)];

/// Which side of a relation decorator holds the foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    /// The decorated class holds the key: its rows go when the target's do
    /// (`@ManyToOne(() => Customer, { onDelete: "CASCADE" }) customer`).
    Child,
    /// The target holds the key (sequelize-typescript `@HasMany(() => Order, { onDelete })`).
    Parent,
}

/// TypeORM's relation decorators that take `onDelete` (sorted). `@OneToMany` has none:
/// the option lives on the `@ManyToOne` side.
const RELATIONS: &[(&str, Side)] = &[("ManyToOne", Side::Child), ("OneToOne", Side::Child)];

/// Relation decorators whose field holds another entity (sorted): `relations: ["items"]`
/// loads the target's table.
const RELATION_FIELDS: &[&str] = &["ManyToMany", "ManyToOne", "OneToMany", "OneToOne"];

/// Bytes that make a file worth parsing for TypeORM declarations.
pub fn may_declare(text: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(text, n).is_some();
    has(b"Entity(") || has(b"synchronize")
}

/// The TypeORM declarations of one parsed file.
pub(super) fn declare(
    src: &str,
    rel: &str,
    language: Language,
    nodes: &[Node<'_>],
    out: &mut FileDecls,
) {
    for &n in nodes {
        if n.kind() == "pair"
            && n.field("key").map(|k| text(src, k)) == Some("synchronize")
            && n.field("value").map(|v| v.kind()) == Some("true")
        {
            out.schema_sync.push("typeorm".to_string());
        }
        if !is_class(n) {
            continue;
        }
        let Some(class) = n.field("name").map(|c| text(src, c)) else {
            continue;
        };
        let Some((decorator, view, args)) = decorators(n).into_iter().find_map(|d| {
            let (name, args) = decorator_call(src, d)?;
            let (_, view) = ENTITY_DECORATORS.iter().find(|(e, _)| *e == name)?;
            Some((d, *view, args))
        }) else {
            continue;
        };
        let mut decl = ModelDecl::new(language, "typeorm", class, rel);
        decl.module = rel.to_string();
        let first = args.first().copied();
        let (name, schema) = match first {
            Some(a) if a.kind() == "object" => (
                // MikroORM says `tableName` (or `collection`).
                object_string(src, a, "name")
                    .or_else(|| object_string(src, a, "tableName"))
                    .or_else(|| object_string(src, a, "collection")),
                object_string(src, a, "schema"),
            ),
            Some(a) => (string_value(src, a), None),
            None => (None, None),
        };
        match name {
            Some(t) if !t.is_empty() => {
                let table = match schema {
                    Some(s) if !s.is_empty() => format!("{s}.{t}"),
                    _ => t,
                };
                decl.table = Some(table.clone());
                decl.explicit_table = Some(table);
                decl.source = TableSource::Explicit;
            }
            _ => {
                decl.table = Some(snake_case(class));
                decl.source = TableSource::Convention;
            }
        }
        if view {
            decl.options.push(("view".to_string(), "true".to_string()));
        }
        if src.contains("@mikro-orm/") {
            // MikroORM shares TypeORM's decorators; its entity manager and repositories
            // have their own methods (`catalog/typescript.toml`, framework `mikroorm`).
            decl.options
                .push(("orm".to_string(), "mikroorm".to_string()));
            // `@Entity({ repository: () => UserRepository })`: fields of that type are
            // repositories of the entity.
            if let Some(repository) = first
                .filter(|a| a.kind() == "object")
                .and_then(|a| object_value(src, a, "repository"))
                .and_then(|r| relation_target(src, r))
            {
                decl.options.push(("repository".to_string(), repository));
            }
        }
        decl.bases = heritage(src, n);
        let position = decorator.start_position();
        decl.line = position.row as u32 + 1;
        decl.column = position.column as u32 + 1;
        decl.evidence = first_line(text(src, decorator));
        out.cascades.extend(relation_cascades(
            src, rel, n, class, language, "typeorm", RELATIONS,
        ));
        decl.associations = relation_fields(src, n, RELATION_FIELDS);
        // `{ eager: true }` relations are loaded by every `find*` of the entity.
        decl.options.extend(
            eager_fields(src, n)
                .into_iter()
                .map(|f| ("eager".to_string(), f)),
        );
        out.models.push(decl);
    }
}

/// Entities define their tables only when TypeORM synchronises the schema; a view
/// entity never defines a table.
pub fn resolve(models: &mut [ModelDecl], synchronize: bool) {
    for m in models.iter_mut().filter(|m| m.framework == "typeorm") {
        m.defines_schema = synchronize && !m.options.iter().any(|(k, _)| k == "view");
    }
}

/// What the database does to the child's rows when the parent's go: `CASCADE` deletes
/// them, `SET NULL` / `SET DEFAULT` update them; anything else writes nothing.
pub(super) fn on_delete(value: &str) -> Option<Operation> {
    match value.trim().to_ascii_uppercase().as_str() {
        "CASCADE" => Some(Operation::Delete),
        "SET NULL" | "SET DEFAULT" => Some(Operation::Update),
        _ => None,
    }
}

/// The model a relation decorator's first argument names: `() => Customer`,
/// `(type) => Customer`, `"Customer"`, or `Customer`.
pub(super) fn relation_target(src: &str, arg: Node<'_>) -> Option<String> {
    match arg.kind() {
        "arrow_function" => {
            let body = arg.field("body")?;
            (body.kind() == "identifier").then(|| text(src, body).to_string())
        }
        "identifier" => Some(text(src, arg).to_string()),
        _ => string_value(src, arg),
    }
}

/// `(field, target model)` of every field decorated with one of `decorators`.
pub(super) fn relation_fields(
    src: &str,
    class_node: Node<'_>,
    decorators: &[&str],
) -> Vec<(String, String)> {
    let Some(body) = class_node.field("body") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in named_children(body) {
        if !matches!(
            field.kind(),
            "public_field_definition" | "property_signature"
        ) {
            continue;
        }
        let Some(name) = field.field("name").map(|n| text(src, n)) else {
            continue;
        };
        for d in named_children(field)
            .into_iter()
            .filter(|c| c.kind() == "decorator")
        {
            if let Some((decorator, args)) = decorator_call(src, d)
                && decorators.contains(&decorator)
                && let Some(target) = args
                    .first()
                    .and_then(|a| relation_target(src, *a))
                    .or_else(|| typed_target(src, field))
            {
                out.push((name.to_string(), target));
            }
        }
    }
    out
}

/// MikroORM's `@ManyToOne() author!: Ref<User>`: the target is the field's type (`User`,
/// `Ref<User>`, `LazyRef<User>`, `Rel<User>`, `Collection<User>`).
fn typed_target(src: &str, field: Node<'_>) -> Option<String> {
    let mut t = named_children(field.field("type")?).into_iter().next()?;
    for _ in 0..4 {
        match t.kind() {
            "type_identifier" => return Some(text(src, t).to_string()),
            "generic_type" => {
                t = named_children(t.field("type_arguments")?)
                    .into_iter()
                    .next()?;
            }
            _ => return None,
        }
    }
    None
}

/// Relation fields whose decorator says `eager: true`.
fn eager_fields(src: &str, class_node: Node<'_>) -> Vec<String> {
    let Some(body) = class_node.field("body") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for field in named_children(body) {
        let Some(name) = field.field("name").map(|n| text(src, n)) else {
            continue;
        };
        let eager = named_children(field)
            .into_iter()
            .filter(|c| c.kind() == "decorator")
            .filter_map(|d| decorator_call(src, d))
            .filter(|(d, _)| RELATION_FIELDS.contains(d))
            .flat_map(|(_, args)| args)
            .filter(|a| a.kind() == "object")
            .any(|a| object_value(src, a, "eager").is_some_and(|v| v.kind() == "true"));
        if eager {
            out.push(name.to_string());
        }
    }
    out
}

/// Cascades declared by the relation decorators of a class's fields: `table` says which
/// decorators count and which side holds the key.
pub(super) fn relation_cascades(
    src: &str,
    rel: &str,
    class_node: Node<'_>,
    class: &str,
    language: Language,
    framework: &str,
    table: &[(&str, Side)],
) -> Vec<Cascade> {
    let mut out = Vec::new();
    let Some(body) = class_node.field("body") else {
        return out;
    };
    for field in named_children(body) {
        if !matches!(
            field.kind(),
            "public_field_definition" | "property_signature"
        ) {
            continue;
        }
        let field_name = field.field("name").map(|n| text(src, n)).unwrap_or("");
        for d in named_children(field)
            .into_iter()
            .filter(|c| c.kind() == "decorator")
        {
            let Some((name, args)) = decorator_call(src, d) else {
                continue;
            };
            let Some((_, side)) = table.iter().find(|(r, _)| *r == name) else {
                continue;
            };
            let Some(target) = args.first().and_then(|a| relation_target(src, *a)) else {
                continue;
            };
            let Some((operation, written)) = args
                .iter()
                .filter(|a| a.kind() == "object")
                .find_map(|a| object_string(src, *a, "onDelete"))
                .and_then(|v| on_delete(&v).map(|op| (op, v)))
            else {
                continue;
            };
            let (parent, child, child_file) = match side {
                Side::Child => (target, class.to_string(), rel.to_string()),
                Side::Parent => (class.to_string(), target, String::new()),
            };
            out.push(Cascade {
                language,
                framework: framework.to_string(),
                parent,
                child,
                operation,
                via: format!("{class}.{field_name} onDelete={written}"),
                child_file,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{self, Grammar};

    fn decls(src: &str) -> FileDecls {
        let tree = lang::parse(Grammar::TypeScript, src).unwrap();
        let nodes = crate::orm::nodes::all_nodes(tree.root_node());
        let mut out = FileDecls::default();
        declare(src, "e.ts", Language::TypeScript, &nodes, &mut out);
        out
    }

    #[test]
    fn entity_names_follow_the_default_naming_strategy() {
        let d = decls(
            "@Entity()\nexport class LegacyOrder extends BaseEntity {}\n\
             @Entity(\"orders_legacy\") class A {}\n\
             @Entity({ name: \"t\", schema: \"billing\" }) class B {}\n\
             @ViewEntity({ name: \"v\", expression: \"SELECT 1\" }) class C {}\n\
             class NotAnEntity {}\n",
        );
        let table = |n: &str| {
            d.models
                .iter()
                .find(|m| m.name == n)
                .and_then(|m| m.table.clone())
        };
        assert_eq!(table("LegacyOrder").as_deref(), Some("legacy_order"));
        assert_eq!(table("A").as_deref(), Some("orders_legacy"));
        assert_eq!(table("B").as_deref(), Some("billing.t"));
        assert_eq!(table("C").as_deref(), Some("v"));
        assert_eq!(table("NotAnEntity"), None);
        let lo = d.models.iter().find(|m| m.name == "LegacyOrder").unwrap();
        assert_eq!(lo.source, TableSource::Convention);
        assert_eq!(lo.bases, vec!["BaseEntity"]);
        assert_eq!((lo.line, lo.column), (1, 1));
    }

    #[test]
    fn on_delete_makes_a_cascade_from_the_target() {
        let d = decls(
            "@Entity() class Item {\n  @ManyToOne(() => Order, (o) => o.items, { onDelete: \"CASCADE\" })\n  order: Order;\n\
             @ManyToOne(() => User, { onDelete: \"SET NULL\" }) user: User;\n\
             @ManyToOne(() => Shop) shop: Shop;\n}\n",
        );
        assert_eq!(d.cascades.len(), 2, "{:?}", d.cascades);
        assert_eq!(d.cascades[0].parent, "Order");
        assert_eq!(d.cascades[0].child, "Item");
        assert_eq!(d.cascades[0].operation, Operation::Delete);
        assert_eq!(d.cascades[0].via, "Item.order onDelete=CASCADE");
        assert_eq!(d.cascades[1].operation, Operation::Update);
    }

    #[test]
    fn synchronize_true_defines_the_schema() {
        let d = decls("new DataSource({ synchronize: true });\n");
        assert_eq!(d.schema_sync, vec!["typeorm"]);
        assert!(
            decls("new DataSource({ synchronize: false });\n")
                .schema_sync
                .is_empty()
        );
        assert!(on_delete("no action").is_none());
        assert!(RELATIONS.is_sorted_by_key(|(n, _)| *n));
        assert!(RELATION_FIELDS.is_sorted());
        assert!(ENTITY_DECORATORS.is_sorted_by_key(|(n, _)| *n));
    }
}
