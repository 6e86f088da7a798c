//! Django and SQLAlchemy, both passes.
//!
//! Pass 1 (`declarations`, `resolve`): classes and their bases, `class Meta` (`db_table`,
//! `app_label`, `abstract`, `managed`, `proxy`), `__tablename__`, `__table__`, `__abstract__`,
//! `Table("t", metadata, …)`, manager attributes (`objects = LegacyOrderManager()`,
//! `QS.as_manager()`, `Manager.from_queryset(QS)()`), what custom manager methods do
//! (`self.filter(…)`), foreign keys with `on_delete` and `relationship(…, cascade=…)`.
//! Which classes are models is decided across files (bases resolved by name).
//!
//! Pass 2 (`usages`): call chains resolved through imports and aliases
//! (`from app.models import LegacyOrder as LO`, `import app.models as m`) and through
//! names whose type the function (or an enclosing one) shows (`o = LegacyOrder(…)`,
//! `o = LO.objects.get(…)`, `for o in LO.objects.filter(…)`, `qs = LO.objects.filter(…)`,
//! `def f(o: LO)`), class attributes through `self`, and reverse foreign-key managers
//! (`customer.orders.filter(…)`); what each method does comes from the `[[orm]]` rows of
//! `catalog/python.toml`. Not resolved: values returned by other functions, untyped
//! parameters, `getattr`, models passed around as values, many-to-many managers.

use super::naming;
use super::{Cascade, FileDecls, ManagerMethod, ModelDecl, ModelIndex, TableSource, first_line};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::scoped::{Scope, Scopes};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::{self, Grammar};
use crate::model::{Access, Confidence, Kind, Language, Operation, Site};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

use super::tree::{all_nodes, named_children, text};

/// The value of a plain string literal (no f-string interpolation), prefixes and quotes
/// stripped.
fn string_value(src: &str, node: Node<'_>) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut cursor = node.walk();
    if node
        .named_children(&mut cursor)
        .any(|c| c.kind() == "interpolation")
    {
        return None;
    }
    let raw = text(src, node);
    let body = raw.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = body.strip_prefix(q).and_then(|b| b.strip_suffix(q)) {
            return Some(inner.to_string());
        }
    }
    None
}

/// `app/models.py` → `app.models`; `app/models/__init__.py` → `app.models`.
fn module_of(rel: &str) -> String {
    let trimmed = rel.strip_suffix(".py").unwrap_or(rel);
    let trimmed = trimmed.strip_suffix("/__init__").unwrap_or(trimmed);
    trimmed.replace('/', ".")
}

/// Django's app label for a file: the package that holds `models.py` or the `models/`
/// package (the last segment of the app's module, as Django's `AppConfig.label`).
fn app_label_of(rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    match dirs.last() {
        Some(&"models") => dirs.iter().rev().nth(1).map(|s| s.to_string()),
        Some(d) => Some(d.to_string()),
        None => None,
    }
}

fn last_segment(s: &str) -> &str {
    s.rsplit('.').next().unwrap_or(s)
}

/// `Access`/`Operation` of a chain of methods on one receiver kind: the outermost write
/// wins, else a read if any link reads.
fn chain_access<'c>(
    catalog: &'c OrmCatalog,
    framework: &str,
    receiver: OrmReceiver,
    methods: &[&str],
) -> Option<(&'c OrmRule, usize)> {
    let rules: Vec<(usize, &OrmRule)> = methods
        .iter()
        .enumerate()
        .filter_map(|(i, m)| catalog.lookup(&[framework], receiver, m).map(|r| (i, r)))
        .filter(|(_, r)| r.access.is_some())
        .collect();
    rules
        .iter()
        .rev()
        .find(|(_, r)| r.access == Some(Access::Write))
        .or_else(|| rules.last())
        .map(|(i, r)| (*r, *i))
}

// ---------------------------------------------------------------------------------------
// Pass 1
// ---------------------------------------------------------------------------------------

/// The declarations of one Python file.
pub fn declarations(rel: &str, src: &str, catalog: &OrmCatalog) -> FileDecls {
    let mut out = FileDecls {
        sqlalchemy_creates_schema: src.contains("create_all("),
        ..FileDecls::default()
    };
    let Some(tree) = lang::parse(Grammar::Python, src) else {
        return out;
    };
    let module = module_of(rel);
    let index = LineIndex::new(src);
    for node in all_nodes(tree.root_node()) {
        match node.kind() {
            "class_definition" => {
                class_declaration(rel, src, &module, &index, node, catalog, &mut out)
            }
            "assignment" => {
                if let Some(decl) = table_object(rel, src, &module, &index, node) {
                    out.models.push(decl);
                }
                if let Some(alias) = queryset_manager(src, node) {
                    out.manager_classes.push(alias);
                }
            }
            _ => {}
        }
    }
    out
}

/// `OrderManager = models.Manager.from_queryset(OrderQuerySet)`: a manager class whose
/// methods are the QuerySet's, as `(name, [QuerySet])`.
fn queryset_manager(src: &str, node: Node<'_>) -> Option<(String, Vec<String>)> {
    let left = node.child_by_field_name("left")?;
    let right = node.child_by_field_name("right")?;
    if left.kind() != "identifier" || right.kind() != "call" {
        return None;
    }
    let function = right.child_by_field_name("function")?;
    if last_segment(text(src, function)) != "from_queryset" {
        return None;
    }
    let args = named_children(right.child_by_field_name("arguments")?);
    let qs = args.first()?;
    Some((
        text(src, left).to_string(),
        vec![last_segment(text(src, *qs)).to_string()],
    ))
}

/// `orders = Table("orders_legacy", metadata, …)`: a SQLAlchemy Core table object.
fn table_object(
    rel: &str,
    src: &str,
    module: &str,
    index: &LineIndex,
    node: Node<'_>,
) -> Option<ModelDecl> {
    let left = node.child_by_field_name("left")?;
    let right = node.child_by_field_name("right")?;
    if left.kind() != "identifier" || right.kind() != "call" {
        return None;
    }
    let table = table_call(src, right)?;
    let mut decl = ModelDecl::new(Language::Python, "sqlalchemy", text(src, left), rel);
    decl.module = module.to_string();
    decl.explicit_table = Some(table);
    let (line, column) = index.position(src, node.start_byte());
    decl.line = line;
    decl.column = column;
    decl.evidence = first_line(text(src, node));
    Some(decl)
}

/// The table of `Table("t", metadata, …)` (also `sa.Table`, `db.Table`).
fn table_call(src: &str, call: Node<'_>) -> Option<String> {
    let function = call.child_by_field_name("function")?;
    if last_segment(text(src, function)) != "Table" {
        return None;
    }
    let args = named_children(call.child_by_field_name("arguments")?);
    if args.len() < 2 {
        return None;
    }
    string_value(src, args[0])
}

fn class_declaration(
    rel: &str,
    src: &str,
    module: &str,
    index: &LineIndex,
    node: Node<'_>,
    catalog: &OrmCatalog,
    out: &mut FileDecls,
) {
    let (Some(name), Some(body)) = (
        node.child_by_field_name("name"),
        node.child_by_field_name("body"),
    ) else {
        return;
    };
    let name = text(src, name).to_string();
    let mut decl = ModelDecl::new(Language::Python, "", &name, rel);
    decl.module = module.to_string();
    decl.app_label = app_label_of(rel);
    let (line, column) = index.position(src, node.start_byte());
    decl.line = line;
    decl.column = column;
    decl.evidence = first_line(text(src, node));
    if let Some(supers) = node.child_by_field_name("superclasses") {
        for base in named_children(supers) {
            // `models.QuerySet["Order"]`: the generic's value is the base.
            let base = match base.kind() {
                "subscript" => match base.child_by_field_name("value") {
                    Some(v) => v,
                    None => continue,
                },
                _ => base,
            };
            if matches!(base.kind(), "identifier" | "attribute") {
                let full = text(src, base).to_string();
                decl.bases.push(last_segment(&full).to_string());
                decl.bases_full.push(full);
            }
        }
    }
    let is_manager = decl
        .bases
        .iter()
        .any(|b| b.ends_with("Manager") || b.ends_with("QuerySet"));
    if is_manager {
        out.manager_classes.push((name.clone(), decl.bases.clone()));
    }
    for stmt in named_children(body) {
        let stmt = if stmt.kind() == "decorated_definition" {
            match stmt.child_by_field_name("definition") {
                Some(d) => d,
                None => continue,
            }
        } else {
            stmt
        };
        match stmt.kind() {
            "class_definition" => {
                let is_meta = stmt
                    .child_by_field_name("name")
                    .is_some_and(|n| text(src, n) == "Meta");
                if let (true, Some(meta_body)) = (is_meta, stmt.child_by_field_name("body")) {
                    meta_options(src, meta_body, &mut decl);
                }
            }
            "function_definition" if is_manager => {
                manager_method(src, &name, stmt, catalog, out);
            }
            "expression_statement" => {
                for a in named_children(stmt) {
                    if a.kind() == "assignment" {
                        class_attribute(src, &name, a, &mut decl, out);
                    }
                }
            }
            _ => {}
        }
    }
    if !decl.bases.is_empty() {
        out.models.push(decl);
    }
}

fn meta_options(src: &str, body: Node<'_>, decl: &mut ModelDecl) {
    for stmt in named_children(body) {
        for a in named_children(stmt) {
            if a.kind() != "assignment" {
                continue;
            }
            let (Some(left), Some(right)) = (
                a.child_by_field_name("left"),
                a.child_by_field_name("right"),
            ) else {
                continue;
            };
            match text(src, left) {
                "db_table" => decl.explicit_table = string_value(src, right),
                "app_label" => decl.app_label = string_value(src, right),
                "abstract" => decl.is_abstract = right.kind() == "true",
                "managed" => decl.managed = Some(right.kind() != "false"),
                "proxy" => decl.inherits_table = right.kind() == "true",
                _ => {}
            }
        }
    }
}

fn class_attribute(src: &str, class: &str, a: Node<'_>, decl: &mut ModelDecl, out: &mut FileDecls) {
    let Some(left) = a.child_by_field_name("left") else {
        return;
    };
    let attr = text(src, left);
    let Some(right) = a.child_by_field_name("right") else {
        return;
    };
    match (attr, right.kind()) {
        // These attributes are SQLAlchemy's alone: they decide the framework.
        ("__tablename__", _) => {
            decl.framework = "sqlalchemy".into();
            decl.explicit_table = string_value(src, right);
        }
        ("__abstract__", _) => {
            decl.framework = "sqlalchemy".into();
            decl.is_abstract = right.kind() == "true";
        }
        ("__table__", "identifier") => {
            decl.framework = "sqlalchemy".into();
            decl.table_ref = Some(text(src, right).to_string());
        }
        ("__table__", "call") => {
            decl.framework = "sqlalchemy".into();
            decl.explicit_table = table_call(src, right);
        }
        (_, "call") => {
            let Some(function) = right.child_by_field_name("function") else {
                return;
            };
            let callee = text(src, function);
            let args = right
                .child_by_field_name("arguments")
                .map(named_children)
                .unwrap_or_default();
            let kw = |k: &str| {
                args.iter()
                    .filter(|n| n.kind() == "keyword_argument")
                    .find(|n| {
                        n.child_by_field_name("name")
                            .is_some_and(|x| text(src, x) == k)
                    })
                    .and_then(|n| n.child_by_field_name("value"))
            };
            let positional: Vec<Node<'_>> = args
                .iter()
                .copied()
                .filter(|n| n.kind() != "keyword_argument")
                .collect();
            let method = last_segment(callee);
            if let Some(manager) = manager_class(src, function) {
                decl.managers.push((attr.to_string(), manager));
            } else if matches!(method, "FileField" | "ImageField") {
                decl.file_fields.push(attr.to_string());
            } else if matches!(method, "ForeignKey" | "OneToOneField") {
                let target = kw("to").or_else(|| positional.first().copied());
                let target = target.and_then(|t| model_ref(src, t));
                let on_delete = kw("on_delete").or_else(|| positional.get(1).copied());
                let operation = on_delete.and_then(|d| match last_segment(text(src, d)) {
                    "CASCADE" => Some(Operation::Delete),
                    "SET_NULL" | "SET_DEFAULT" => Some(Operation::Update),
                    t if t.starts_with("SET(") => Some(Operation::Update),
                    _ => None,
                });
                // The reverse accessor: `customer.orders` (related_name) or
                // `customer.legacyorder_set` is a manager of this model.
                let accessor = match kw("related_name").and_then(|r| string_value(src, r)) {
                    Some(r) => r,
                    None => format!("{}_set", class.to_lowercase()),
                };
                if let (Some(parent), false) = (&target, accessor.ends_with('+')) {
                    out.related.push(super::Related {
                        language: Language::Python,
                        parent: parent.clone(),
                        accessor,
                        child: class.to_string(),
                    });
                }
                if let (Some(parent), Some(operation), Some(d)) = (target, operation, on_delete) {
                    out.cascades.push(Cascade {
                        language: Language::Python,
                        framework: "django".into(),
                        parent,
                        child: class.to_string(),
                        operation,
                        via: format!("{class}.{attr} on_delete={}", last_segment(text(src, d))),
                        child_file: String::new(),
                    });
                }
            } else if method == "relationship" {
                let cascade = kw("cascade").and_then(|c| string_value(src, c));
                let deletes = cascade.as_deref().is_some_and(|c| {
                    c.split(',')
                        .any(|p| matches!(p.trim(), "all" | "delete" | "delete-orphan"))
                });
                let target = positional
                    .first()
                    .and_then(|t| model_ref(src, *t))
                    .or_else(|| {
                        a.child_by_field_name("type")
                            .and_then(|t| annotated_model(src, t))
                    });
                if let (true, Some(child)) = (deletes, target) {
                    out.cascades.push(Cascade {
                        language: Language::Python,
                        framework: "sqlalchemy".into(),
                        parent: class.to_string(),
                        child,
                        operation: Operation::Delete,
                        via: format!("{class}.{attr} cascade=\"{}\"", cascade.unwrap_or_default()),
                        child_file: String::new(),
                    });
                }
            }
        }
        _ => {}
    }
}

/// The manager class of `objects = X()`, `X.as_manager()`, `Manager.from_queryset(X)()`.
fn manager_class(src: &str, function: Node<'_>) -> Option<String> {
    let callee = text(src, function);
    if function.kind() == "call" {
        // `Manager.from_queryset(QS)()`
        let inner = function.child_by_field_name("function")?;
        if last_segment(text(src, inner)) == "from_queryset" {
            let args = named_children(function.child_by_field_name("arguments")?);
            return args
                .first()
                .map(|a| last_segment(text(src, *a)).to_string());
        }
        return None;
    }
    if let Some(qs) = callee.strip_suffix(".as_manager") {
        return Some(last_segment(qs).to_string());
    }
    let last = last_segment(callee);
    (last.ends_with("Manager") && last != "Manager").then(|| last.to_string())
}

/// A model named by a `ForeignKey`/`relationship` target: `Customer`, `"Customer"`,
/// `"sales.Customer"`, `models.Customer`.
fn model_ref(src: &str, node: Node<'_>) -> Option<String> {
    match node.kind() {
        "string" => string_value(src, node).map(|s| last_segment(&s).to_string()),
        "identifier" | "attribute" => Some(last_segment(text(src, node)).to_string()),
        _ => None,
    }
}

/// Words of a type annotation that are not the model (sorted).
pub(crate) const TYPING_WORDS: &[&str] = &[
    "DynamicMapped",
    "List",
    "Mapped",
    "Optional",
    "Sequence",
    "Set",
    "WriteOnlyMapped",
    "list",
    "set",
];

/// The model in `Mapped[list["LegacyOrder"]]`: the last name that is not a typing word.
fn annotated_model(src: &str, node: Node<'_>) -> Option<String> {
    text(src, node)
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .rfind(|w| !w.is_empty() && !TYPING_WORDS.contains(w))
        .map(str::to_string)
}

/// What each method of a manager / QuerySet class does to its model's table.
fn manager_method(
    src: &str,
    class: &str,
    def: Node<'_>,
    catalog: &OrmCatalog,
    out: &mut FileDecls,
) {
    let Some(name) = def.child_by_field_name("name") else {
        return;
    };
    let method = text(src, name);
    for node in all_nodes(def) {
        if node.kind() != "call" || is_chain_link(node) {
            continue;
        }
        let chain = Chain::of(node);
        if !chain.rooted_in_self(src) {
            continue;
        }
        let methods = chain.methods_after_self(src);
        if let Some((rule, _)) = chain_access(catalog, "django", OrmReceiver::Manager, &methods)
            && let (Some(access), Some(operation)) = (rule.access, rule.operation)
        {
            out.manager_methods.push(ManagerMethod {
                language: Language::Python,
                class: class.to_string(),
                method: method.to_string(),
                access,
                operation,
            });
        }
    }
}

/// Decide which classes are models, and resolve their tables.
pub fn resolve(models: &mut Vec<ModelDecl>, sqlalchemy_creates_schema: bool) {
    let py: Vec<usize> = (0..models.len())
        .filter(|&i| models[i].language == Language::Python)
        .collect();
    // Frameworks by fixpoint over bases: a class is a model when a base is a framework root
    // or a model (in any file).
    for i in &py {
        let m = &mut models[*i];
        if !m.framework.is_empty() {
            continue;
        }
        if m.bases_full
            .iter()
            .any(|b| b == "models.Model" || b.ends_with("db.models.Model"))
        {
            m.framework = "django".into();
        } else if m.bases_full.iter().any(|b| b == "db.Model") {
            // Flask-SQLAlchemy names the table after the class (snake_case).
            m.framework = "sqlalchemy".into();
            m.source = TableSource::Convention;
            m.explicit_table = None;
        }
    }
    for _round in 0..8 {
        let known: HashMap<String, String> = py
            .iter()
            .map(|&i| &models[i])
            .filter(|m| !m.framework.is_empty())
            .map(|m| (m.name.clone(), m.framework.clone()))
            .collect();
        let mut changed = false;
        for &i in &py {
            if !models[i].framework.is_empty() {
                continue;
            }
            if let Some(fw) = models[i].bases.iter().find_map(|b| known.get(b)) {
                models[i].framework = fw.clone();
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Tables, parents first: a child inherits from a resolved parent.
    let by_name = |models: &Vec<ModelDecl>, name: &str| -> Option<usize> {
        py.iter()
            .copied()
            .find(|&i| models[i].name == name && !models[i].framework.is_empty())
    };
    for _round in 0..8 {
        for &i in &py {
            let m = models[i].clone();
            if m.framework.is_empty() || m.table.is_some() && m.source != TableSource::Convention {
                continue;
            }
            let parents: Vec<ModelDecl> = m
                .bases
                .iter()
                .filter_map(|b| by_name(models, b))
                .map(|p| models[p].clone())
                .collect();
            let abstract_parent = parents.iter().find(|p| p.is_abstract);
            let concrete_parent = parents.iter().find(|p| !p.is_abstract && p.table.is_some());
            let mut next = m.clone();
            if next.managers.is_empty()
                && let Some(p) = parents.iter().find(|p| !p.managers.is_empty())
            {
                next.managers = p.managers.clone();
            }
            if next.managed.is_none() {
                next.managed = abstract_parent.and_then(|p| p.managed);
            }
            for p in &parents {
                for f in &p.file_fields {
                    if !next.file_fields.contains(f) {
                        next.file_fields.push(f.clone());
                    }
                }
            }
            match m.framework.as_str() {
                "django" => {
                    if m.is_abstract {
                        next.table = None;
                    } else if m.inherits_table {
                        next.table = concrete_parent.and_then(|p| p.table.clone());
                        next.source = TableSource::Inherited;
                    } else if let Some(t) = &m.explicit_table {
                        next.table = Some(t.clone());
                        next.source = TableSource::Explicit;
                    } else if let Some(t) = abstract_parent.and_then(|p| p.explicit_table.clone()) {
                        next.table = Some(t);
                        next.source = TableSource::Inherited;
                    } else if let Some(app) = &m.app_label {
                        next.table = Some(naming::django_table(app, &m.name));
                        next.source = TableSource::Convention;
                    }
                    next.defines_schema =
                        !m.is_abstract && !m.inherits_table && next.managed != Some(false);
                }
                _ => {
                    if m.is_abstract {
                        next.table = None;
                    } else if let Some(t) = &m.explicit_table {
                        next.table = Some(t.clone());
                        next.source = TableSource::Explicit;
                    } else if let Some(r) = &m.table_ref {
                        next.table = py
                            .iter()
                            .map(|&j| &models[j])
                            .find(|t| {
                                &t.name == r && t.framework == "sqlalchemy" && t.bases.is_empty()
                            })
                            .and_then(|t| t.explicit_table.clone());
                        next.source = TableSource::Explicit;
                    } else if let Some(p) = concrete_parent {
                        // Single-table inheritance: the parent's table.
                        next.table = p.table.clone();
                        next.source = TableSource::Inherited;
                    } else if m.source == TableSource::Convention {
                        next.table = Some(naming::snake_case(&m.name));
                    }
                    next.defines_schema = sqlalchemy_creates_schema
                        && !m.is_abstract
                        && matches!(next.source, TableSource::Explicit | TableSource::Convention);
                }
            }
            models[i] = next;
        }
    }
    // Plain classes that turned out not to be models leave the index.
    models.retain(|m| m.language != Language::Python || !m.framework.is_empty());
}

// ---------------------------------------------------------------------------------------
// Pass 2
// ---------------------------------------------------------------------------------------

/// A call chain `root.m1(…).m2(…)`, links innermost first.
struct Chain<'t> {
    root: Option<Node<'t>>,
    links: Vec<Link<'t>>,
}

#[derive(Clone, Copy)]
struct Link<'t> {
    method: Node<'t>,
    args: Option<Node<'t>>,
    /// A bare function call (`select(X)`, `super()`), not a method.
    bare: bool,
}

/// Whether `call` is the receiver of another method call (`a.f().g()`: `a.f()` is a link).
fn is_chain_link(call: Node<'_>) -> bool {
    call.parent().is_some_and(|p| {
        p.kind() == "attribute"
            && p.child_by_field_name("object")
                .is_some_and(|o| o.id() == call.id())
            && p.parent().is_some_and(|pp| {
                pp.kind() == "call"
                    && pp
                        .child_by_field_name("function")
                        .is_some_and(|f| f.id() == p.id())
            })
    })
}

impl<'t> Chain<'t> {
    fn of(call: Node<'t>) -> Chain<'t> {
        let mut links = Vec::new();
        let mut cur = call;
        let mut root = None;
        for _ in 0..256 {
            if cur.kind() != "call" {
                root = Some(cur);
                break;
            }
            let Some(function) = cur.child_by_field_name("function") else {
                break;
            };
            let args = cur.child_by_field_name("arguments");
            match function.kind() {
                "attribute" => {
                    let (Some(object), Some(attr)) = (
                        function.child_by_field_name("object"),
                        function.child_by_field_name("attribute"),
                    ) else {
                        break;
                    };
                    links.push(Link {
                        method: attr,
                        args,
                        bare: false,
                    });
                    cur = object;
                }
                "identifier" => {
                    links.push(Link {
                        method: function,
                        args,
                        bare: true,
                    });
                    break;
                }
                _ => break,
            }
        }
        links.reverse();
        Chain { root, links }
    }

    fn methods(&self, src: &'t str) -> Vec<&'t str> {
        self.links.iter().map(|l| text(src, l.method)).collect()
    }

    /// `self.filter(…)`, `self.get_queryset().filter(…)`, `super().get_queryset()…`.
    fn rooted_in_self(&self, src: &str) -> bool {
        match self.root {
            Some(r) => text(src, r) == "self",
            None => self
                .links
                .first()
                .is_some_and(|l| l.bare && text(src, l.method) == "super"),
        }
    }

    fn methods_after_self(&self, src: &'t str) -> Vec<&'t str> {
        let skip = usize::from(self.root.is_none());
        self.methods(src).into_iter().skip(skip).collect()
    }
}

/// The binding scope of a class body's attributes, apart from function scopes.
fn class_key(class: usize) -> Option<usize> {
    Some(usize::MAX - class)
}

/// `self.queryset`: one attribute of `self`.
fn is_self_attribute(src: &str, node: Node<'_>) -> bool {
    node.kind() == "attribute"
        && node
            .child_by_field_name("object")
            .is_some_and(|o| text(src, o) == "self")
}

/// What a name holds in a function, as far as the function shows.
#[derive(Debug, Clone)]
enum VarType {
    /// A model instance; `new` when built with the constructor (so `save()` inserts).
    Instance {
        model: String,
        module: Option<String>,
        new: bool,
    },
    /// A Django QuerySet of the model.
    QuerySet {
        model: String,
        module: Option<String>,
    },
}

struct Usages<'a, 's> {
    file: &'a FileInput<'s>,
    src: &'s str,
    index: LineIndex,
    scopes: Scopes,
    /// Local name → (model name, module) from imports.
    imports: HashMap<String, (String, Option<String>)>,
    /// Module alias → dotted module (`import app.models as m`).
    modules: HashMap<String, String>,
}

/// ORM findings of one Python file.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let src = file.text;
    let nodes = all_nodes(tree.root_node());
    let mut scopes = Vec::new();
    let mut u = Usages {
        file,
        src,
        index: LineIndex::new(src),
        scopes: Scopes::default(),
        imports: HashMap::new(),
        modules: HashMap::new(),
    };
    // Bindings of names to model types, per function, in source order.
    let mut bindings: Vec<(usize, Option<usize>, String, VarType)> = Vec::new();
    for &n in &nodes {
        match n.kind() {
            "function_definition" | "class_definition" => scopes.push(Scope {
                start: n.start_byte(),
                end: n.end_byte(),
                name: n
                    .child_by_field_name("name")
                    .map(|x| text(src, x).to_string()),
                is_class: n.kind() == "class_definition",
            }),
            "import_from_statement" => u.import_from(n),
            "import_statement" => u.import_module(n),
            _ => {}
        }
    }
    u.scopes = Scopes::new(scopes);
    for &n in &nodes {
        match n.kind() {
            "assignment" => {
                let (Some(left), Some(right)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let target = match left.kind() {
                    "identifier" => Some(left),
                    // `o, created = LegacyOrder.objects.get_or_create(…)`
                    "pattern_list" | "tuple_pattern" => named_children(left).first().copied(),
                    _ => None,
                };
                if let (Some(t), Some(ty)) = (target, u.type_of(right, &bindings, n.start_byte())) {
                    let ty = match (left.kind(), ty) {
                        ("identifier", ty) => ty,
                        (_, VarType::Instance { model, module, new }) => {
                            VarType::Instance { model, module, new }
                        }
                        (_, VarType::QuerySet { .. }) => continue,
                    };
                    // A class attribute (`queryset = LO.objects.all()` in a DRF view) is
                    // reached as `self.queryset` in the class's methods.
                    let (scope, name) = match u.class_body_at(n.start_byte()) {
                        Some(class) => (class_key(class), format!("self.{}", text(src, t))),
                        None => (u.function_at(n.start_byte()), text(src, t).to_string()),
                    };
                    bindings.push((n.end_byte(), scope, name, ty));
                }
            }
            // `def cancel(order: LegacyOrder)`: the annotation types the parameter.
            "typed_parameter" | "typed_default_parameter" => {
                let name = n.child_by_field_name("name").or_else(|| {
                    named_children(n)
                        .into_iter()
                        .find(|c| c.kind() == "identifier")
                });
                let ty = n
                    .child_by_field_name("type")
                    .and_then(|t| named_children(t).into_iter().next());
                let (Some(name), Some(ty)) = (name, ty) else {
                    continue;
                };
                let model = match ty.kind() {
                    "string" => string_value(src, ty)
                        .and_then(|t| u.lookup(last_segment(&t), None).map(|m| m.name.clone())),
                    _ => u.model(ty).map(|m| m.name.clone()),
                };
                if let Some(model) = model {
                    let ty = VarType::Instance {
                        model,
                        module: None,
                        new: false,
                    };
                    bindings.push((
                        name.end_byte(),
                        u.function_at(n.start_byte()),
                        text(src, name).to_string(),
                        ty,
                    ));
                }
            }
            "for_statement" => {
                let (Some(left), Some(right)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    continue;
                };
                if left.kind() != "identifier" {
                    continue;
                }
                let ty = match u.type_of(right, &bindings, n.start_byte()) {
                    Some(VarType::QuerySet { model, module }) => VarType::Instance {
                        model,
                        module,
                        new: false,
                    },
                    _ => continue,
                };
                bindings.push((
                    left.end_byte(),
                    u.function_at(n.start_byte()),
                    text(src, left).to_string(),
                    ty,
                ));
            }
            _ => {}
        }
    }
    for &n in &nodes {
        if n.kind() == "call" && !is_chain_link(n) {
            u.call(n, &bindings, out);
        }
    }
}

impl<'a, 's> Usages<'a, 's> {
    fn models(&self) -> &'a ModelIndex {
        &self.file.ctx.models
    }

    fn catalog(&self) -> &'a OrmCatalog {
        self.file.ctx.orm_catalog(Language::Python)
    }

    fn function_at(&self, pos: usize) -> Option<usize> {
        self.scopes
            .chain(pos)
            .into_iter()
            .find(|&i| !self.scopes.get(i).is_class)
    }

    fn enclosing_class(&self, pos: usize) -> Option<String> {
        self.scopes
            .chain(pos)
            .into_iter()
            .find(|&i| self.scopes.get(i).is_class)
            .and_then(|i| self.scopes.get(i).name.clone())
    }

    /// `from app.models import LegacyOrder as LO`.
    fn import_from(&mut self, n: Node<'_>) {
        let src = self.src;
        let module = n
            .child_by_field_name("module_name")
            .map(|m| text(src, m).trim_start_matches('.').to_string());
        let mut cursor = n.walk();
        for name in n.children_by_field_name("name", &mut cursor) {
            let (orig, alias) = match name.kind() {
                "aliased_import" => (
                    name.child_by_field_name("name").map(|x| text(src, x)),
                    name.child_by_field_name("alias").map(|x| text(src, x)),
                ),
                _ => (Some(text(src, name)), None),
            };
            if let Some(orig) = orig {
                let local = alias.unwrap_or(orig);
                let orig = last_segment(orig).to_string();
                self.imports
                    .insert(local.to_string(), (orig.clone(), module.clone()));
                if let Some(m) = &module {
                    // `from app import models` makes `models.LegacyOrder` resolvable.
                    self.modules
                        .insert(local.to_string(), format!("{m}.{orig}"));
                }
            }
        }
    }

    /// `import app.models as m`.
    fn import_module(&mut self, n: Node<'_>) {
        let src = self.src;
        let mut cursor = n.walk();
        for name in n.children_by_field_name("name", &mut cursor) {
            if name.kind() == "aliased_import" {
                if let (Some(m), Some(a)) = (
                    name.child_by_field_name("name"),
                    name.child_by_field_name("alias"),
                ) {
                    self.modules
                        .insert(text(src, a).to_string(), text(src, m).to_string());
                }
            } else {
                let m = text(src, name);
                self.modules.insert(m.to_string(), m.to_string());
            }
        }
    }

    /// The model a class expression names: `LegacyOrder`, `LO`, `models.LegacyOrder`.
    fn model_name(&self, node: Node<'_>) -> Option<(String, Option<String>)> {
        let src = self.src;
        match node.kind() {
            "identifier" => {
                let t = text(src, node);
                Some(match self.imports.get(t) {
                    Some((orig, module)) => (orig.clone(), module.clone()),
                    None => (t.to_string(), None),
                })
            }
            "attribute" => {
                let object = node.child_by_field_name("object")?;
                let attr = node.child_by_field_name("attribute")?;
                let object_text = text(src, object);
                let module =
                    self.modules.get(object_text).cloned().or_else(|| {
                        (object.kind() == "identifier").then(|| object_text.to_string())
                    });
                Some((text(src, attr).to_string(), module))
            }
            _ => None,
        }
    }

    /// A model (any, not only legacy: cascade parents count) named by `node`.
    fn model(&self, node: Node<'_>) -> Option<&'a ModelDecl> {
        let (name, module) = self.model_name(node)?;
        let found = self.models().find(Language::Python, &name);
        let pick = found
            .iter()
            .find(|m| {
                module.as_deref().is_some_and(|q| {
                    m.module == q || m.module.ends_with(q) || q.ends_with(&m.module)
                })
            })
            .or(found.first())
            .copied()?;
        // `models.Foo` where `models` is not an import of a known module: only accept
        // when the module alias is unknown or matches.
        Some(pick)
    }

    /// The class whose body (not a method of it) holds `pos`.
    fn class_body_at(&self, pos: usize) -> Option<usize> {
        self.scopes
            .innermost(pos)
            .filter(|&i| self.scopes.get(i).is_class)
    }

    fn var_type(
        &self,
        name: &str,
        pos: usize,
        bindings: &[(usize, Option<usize>, String, VarType)],
    ) -> Option<VarType> {
        if name.starts_with("self.") {
            let class = self
                .scopes
                .chain(pos)
                .into_iter()
                .find(|&i| self.scopes.get(i).is_class)?;
            return bindings
                .iter()
                .rfind(|(_, f, n, _)| *f == class_key(class) && n == name)
                .map(|(_, _, _, t)| t.clone());
        }
        // The innermost function first, then the functions around it (a closure sees
        // its enclosing function's names); module bindings only at module level.
        self.scopes
            .chain(pos)
            .into_iter()
            .filter(|&i| !self.scopes.get(i).is_class)
            .map(Some)
            .chain(std::iter::once(None).filter(|_| self.function_at(pos).is_none()))
            .find_map(|function| {
                bindings
                    .iter()
                    .rfind(|(at, f, n, _)| *at <= pos && *f == function && n == name)
            })
            .map(|(_, _, _, t)| t.clone())
    }

    /// The model type of an expression: a constructor, a query returning one instance, a
    /// QuerySet, or a name bound to one of those.
    fn type_of(
        &self,
        node: Node<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        pos: usize,
    ) -> Option<VarType> {
        self.type_of_at(node, bindings, pos, 0)
    }

    fn type_of_at(
        &self,
        node: Node<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        pos: usize,
        depth: usize,
    ) -> Option<VarType> {
        // Nesting (`x[0][0]…`, `await await …`) is bounded: a pathological file must not
        // overflow the stack.
        if depth > 32 {
            return None;
        }
        let src = self.src;
        match node.kind() {
            "identifier" => self.var_type(text(src, node), pos, bindings),
            "attribute" if is_self_attribute(src, node) => {
                self.var_type(text(src, node), pos, bindings)
            }
            "await" => node
                .named_child(0)
                .and_then(|n| self.type_of_at(n, bindings, pos, depth + 1)),
            "subscript" => {
                // `LegacyOrder.objects.get_or_create(…)[0]`
                let value = node.child_by_field_name("value")?;
                match self.type_of_at(value, bindings, pos, depth + 1)? {
                    t @ VarType::Instance { .. } => Some(t),
                    VarType::QuerySet { model, module } => Some(VarType::Instance {
                        model,
                        module,
                        new: false,
                    }),
                }
            }
            "call" => {
                let function = node.child_by_field_name("function")?;
                if let Some(m) = self.model(function) {
                    return Some(VarType::Instance {
                        model: m.name.clone(),
                        module: Some(m.module.clone()),
                        new: true,
                    });
                }
                // `typing.cast(LegacyOrder, value)`: the value is an instance of the model.
                if matches!(text(src, function), "cast" | "typing.cast")
                    && let Some(m) = node
                        .child_by_field_name("arguments")
                        .and_then(|a| named_children(a).into_iter().next())
                        .and_then(|a| self.model(a))
                {
                    return Some(VarType::Instance {
                        model: m.name.clone(),
                        module: Some(m.module.clone()),
                        new: false,
                    });
                }
                let chain = Chain::of(node);
                let methods = chain.methods(src);
                // A QuerySet held in a name goes on as one (`qs.first()`, `for o in
                // qs.iterator()`), as `Model.objects` does.
                let queryset_root = || {
                    let root = chain
                        .root
                        .filter(|r| r.kind() == "identifier" || is_self_attribute(src, *r))?;
                    match self.var_type(text(src, root), pos, bindings)? {
                        VarType::QuerySet { model, module } => {
                            self.lookup(&model, module.as_deref())
                        }
                        VarType::Instance { .. } => None,
                    }
                };
                if let Some(model) = self
                    .manager_root(&chain, bindings, pos)
                    .or_else(queryset_root)
                {
                    let last = methods.last().copied().unwrap_or("");
                    // These return plain values (a dict, a number, a bool, rows of a
                    // write): what is done with them later is not a query.
                    if matches!(
                        last,
                        "in_bulk"
                            | "count"
                            | "exists"
                            | "aggregate"
                            | "update"
                            | "delete"
                            | "bulk_create"
                            | "bulk_update"
                            | "contains"
                    ) {
                        return None;
                    }
                    let one = matches!(
                        last,
                        "get"
                            | "first"
                            | "last"
                            | "create"
                            | "earliest"
                            | "latest"
                            | "get_or_create"
                            | "update_or_create"
                    );
                    return Some(if one {
                        VarType::Instance {
                            model: model.name.clone(),
                            module: Some(model.module.clone()),
                            new: false,
                        }
                    } else {
                        VarType::QuerySet {
                            model: model.name.clone(),
                            module: Some(model.module.clone()),
                        }
                    });
                }
                // SQLAlchemy: `session.get(M, id)`, `session.query(M)….first()`.
                let first = chain.links.first()?;
                let first_method = text(src, first.method);
                if matches!(first_method, "get" | "query") && !first.bare {
                    let arg = first
                        .args
                        .map(named_children)
                        .unwrap_or_default()
                        .into_iter()
                        .next()?;
                    let m = self.model(arg)?;
                    let last = methods.last().copied().unwrap_or("");
                    if first_method == "get"
                        || matches!(last, "first" | "one" | "one_or_none" | "get" | "scalar")
                    {
                        return Some(VarType::Instance {
                            model: m.name.clone(),
                            module: Some(m.module.clone()),
                            new: false,
                        });
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// `Model.objects` (or another manager attribute, or a related manager of an instance)
    /// at the root of a chain: the model.
    fn manager_root(
        &self,
        chain: &Chain<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        let root = chain.root?;
        if root.kind() != "attribute" {
            return None;
        }
        let object = root.child_by_field_name("object")?;
        let attr = text(self.src, root.child_by_field_name("attribute")?);
        // A related manager: `customer.orders` where `customer` is a model instance.
        if (object.kind() == "identifier" || is_self_attribute(self.src, object))
            && let Some(VarType::Instance { model, module, .. }) =
                self.var_type(text(self.src, object), pos, bindings)
            && let Some(child) = self
                .lookup(&model, module.as_deref())
                .and_then(|parent| self.models().related(Language::Python, &parent.name, attr))
        {
            return Some(child);
        }
        let m = self.model(object)?;
        if m.framework != "django" {
            return None;
        }
        let known = matches!(attr, "objects" | "_default_manager" | "_base_manager")
            || m.managers.iter().any(|(a, _)| a == attr);
        known.then_some(m)
    }

    fn call(
        &self,
        call: Node<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        out: &mut FileScan,
    ) {
        let src = self.src;
        let chain = Chain::of(call);
        if chain.links.is_empty() {
            return;
        }
        let methods = chain.methods(src);
        let pos = call.start_byte();
        // 1. Django: `Model.objects.…`.
        if let Some(model) = self.manager_root(&chain, bindings, pos) {
            let attr = chain
                .root
                .and_then(|r| r.child_by_field_name("attribute"))
                .map(|a| text(src, a))
                .unwrap_or("objects");
            let manager = model
                .managers
                .iter()
                .find(|(a, _)| a == attr)
                .map(|(_, c)| c.as_str());
            self.django_chain(call, model, manager, &methods, out);
            return;
        }
        // 2. Django: `self.…` in a custom manager's method.
        if chain.rooted_in_self(src)
            && let Some(class) = self.enclosing_class(pos)
            && self.models().is_manager_class(&class)
        {
            let methods = chain.methods_after_self(src);
            for model in self.models().models_managed_by(Language::Python, &class) {
                self.django_chain(call, model, None, &methods, out);
            }
            return;
        }
        // 3. A variable of a known type: `o.save()`, `qs.update(…)`.
        if let Some(root) = chain
            .root
            .filter(|r| r.kind() == "identifier" || is_self_attribute(src, *r))
        {
            match self.var_type(text(src, root), pos, bindings) {
                Some(VarType::Instance { model, module, new }) => {
                    if let (Some(m), Some(first)) =
                        (self.lookup(&model, module.as_deref()), methods.first())
                        && let Some(rule) =
                            self.catalog()
                                .lookup(&[&m.framework], OrmReceiver::Instance, first)
                    {
                        let mut rule = rule.clone();
                        if new && *first == "save" {
                            rule.operation = Some(Operation::Insert);
                        }
                        self.report(call, m, &rule, first, Vec::new(), out);
                    }
                    return;
                }
                Some(VarType::QuerySet { model, module }) => {
                    if let Some(m) = self.lookup(&model, module.as_deref()) {
                        self.django_chain(call, m, None, &methods, out);
                    }
                    return;
                }
                None => {}
            }
        }
        // 4. Django: `o.photo.save(name, content)` / `o.photo.delete()` on a file field
        // save the instance as well (unless `save=False`).
        if let Some(root) = chain.root.filter(|r| r.kind() == "attribute")
            && let (Some(object), Some(field)) = (
                root.child_by_field_name("object"),
                root.child_by_field_name("attribute"),
            )
            && (object.kind() == "identifier" || is_self_attribute(src, object))
            && let [method @ ("save" | "delete")] = methods.as_slice()
            && let Some(VarType::Instance { model, module, .. }) =
                self.var_type(text(src, object), pos, bindings)
            && let Some(m) = self.lookup(&model, module.as_deref())
            && m.file_fields.iter().any(|f| f == text(src, field))
            && !chain.links[0].args.is_some_and(|a| {
                named_children(a).into_iter().any(|k| {
                    k.kind() == "false"
                        || k.kind() == "keyword_argument"
                            && k.child_by_field_name("name")
                                .is_some_and(|n| text(src, n) == "save")
                            && k.child_by_field_name("value")
                                .is_some_and(|v| v.kind() == "false")
                })
            })
            && let Some(rule) =
                self.catalog()
                    .lookup(&[&m.framework], OrmReceiver::Instance, "save")
        {
            let mut rule = rule.clone();
            rule.operation = Some(Operation::Update);
            let via = vec![format!("{}.{}.{method}", m.name, text(src, field))];
            self.report(call, m, &rule, method, via, out);
            return;
        }
        // 5. SQLAlchemy.
        self.sqlalchemy_chain(call, &chain, &methods, bindings, out);
    }

    fn lookup(&self, name: &str, module: Option<&str>) -> Option<&'a ModelDecl> {
        let found = self.models().find(Language::Python, name);
        found
            .iter()
            .find(|m| module.is_some_and(|q| m.module == q))
            .or(found.first())
            .copied()
    }

    fn django_chain(
        &self,
        call: Node<'_>,
        model: &ModelDecl,
        manager: Option<&str>,
        methods: &[&str],
        out: &mut FileScan,
    ) {
        let catalog = self.catalog();
        if let Some((rule, i)) = chain_access(catalog, "django", OrmReceiver::Manager, methods) {
            // A custom manager method further out decides instead, when it writes.
            let custom = manager.and_then(|mgr| {
                methods.iter().enumerate().rev().find_map(|(j, m)| {
                    let found = self.models().manager_method(Language::Python, mgr, m);
                    (j > i && !found.is_empty()).then_some((found, *m, mgr))
                })
            });
            if let Some((found, m, mgr)) = custom {
                self.report_manager_method(call, model, &found, m, mgr, out);
                return;
            }
            self.report(call, model, rule, methods[i], Vec::new(), out);
            return;
        }
        // No built-in method: a custom manager / QuerySet method.
        let mgr = manager
            .map(str::to_string)
            .or_else(|| model.managers.first().map(|(_, c)| c.clone()));
        if let Some(mgr) = mgr {
            for m in methods.iter().rev() {
                let found = self.models().manager_method(Language::Python, &mgr, m);
                if !found.is_empty() {
                    self.report_manager_method(call, model, &found, m, &mgr, out);
                    return;
                }
            }
        }
    }

    fn report_manager_method(
        &self,
        call: Node<'_>,
        model: &ModelDecl,
        found: &[&ManagerMethod],
        method: &str,
        manager: &str,
        out: &mut FileScan,
    ) {
        let mut seen = Vec::new();
        for mm in found {
            if seen.contains(&(mm.access, mm.operation)) {
                continue;
            }
            seen.push((mm.access, mm.operation));
            let rule = OrmRule {
                framework: "django".into(),
                receiver: OrmReceiver::Manager,
                method: method.to_string(),
                access: Some(mm.access),
                operation: Some(mm.operation),
                model_arg: None,
                instance_arg: None,
                table_arg: None,
                kind: Kind::Orm,
            };
            self.report(
                call,
                model,
                &rule,
                method,
                vec![format!("{manager}.{method}")],
                out,
            );
        }
    }

    fn sqlalchemy_chain(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        methods: &[&str],
        bindings: &[(usize, Option<usize>, String, VarType)],
        out: &mut FileScan,
    ) {
        let src = self.src;
        let catalog = self.catalog();
        let pos = call.start_byte();
        let Some(first) = chain.links.first() else {
            return;
        };
        let first_method = methods[0];
        let args = first.args.map(named_children).unwrap_or_default();
        let arg = |i: usize| {
            args.iter()
                .filter(|a| a.kind() != "keyword_argument")
                .nth(i)
                .copied()
        };
        // `orders_table.insert()`, `LegacyOrder.__table__.delete()`.
        if let Some(root) = chain.root {
            let root_model = match root.kind() {
                "attribute"
                    if root
                        .child_by_field_name("attribute")
                        .is_some_and(|a| text(src, a) == "__table__") =>
                {
                    root.child_by_field_name("object")
                        .and_then(|o| self.model(o))
                }
                "identifier" | "attribute" => self
                    .model(root)
                    .filter(|m| m.bases.is_empty() && m.framework == "sqlalchemy"),
                _ => None,
            };
            if let Some(m) = root_model {
                if let Some(rule) =
                    catalog.lookup(&[&m.framework], OrmReceiver::Table, first_method)
                {
                    self.report(call, m, rule, first_method, Vec::new(), out);
                }
                return;
            }
        }
        let session_like = chain.root.is_some_and(|r| {
            let last = last_segment(text(src, r)).to_ascii_lowercase();
            last.contains("session") || matches!(last.as_str(), "db" | "s" | "sess")
        });
        let receiver = if first.bare
            || chain
                .root
                .is_some_and(|r| matches!(text(src, r), "sa" | "sqlalchemy" | "sql"))
        {
            OrmReceiver::Function
        } else if session_like {
            OrmReceiver::Session
        } else {
            return;
        };
        let Some(rule) = catalog.lookup(&["sqlalchemy"], receiver, first_method) else {
            return;
        };
        let model = if let Some(i) = rule.model_arg {
            // `select(LegacyOrder.id, …)`, `select(func.count(LegacyOrder.id))`: the first
            // model named inside the argument (a small subtree; a statement is short).
            arg(i).and_then(|a| {
                all_nodes(a)
                    .into_iter()
                    .take(256)
                    .filter(|n| matches!(n.kind(), "identifier" | "attribute"))
                    .find_map(|n| self.model(n).filter(|m| m.framework == "sqlalchemy"))
            })
        } else if let Some(i) = rule.instance_arg {
            arg(i).and_then(|a| self.instance_model(a, bindings, pos))
        } else {
            None
        };
        let Some(model) = model else {
            return;
        };
        if model.framework != "sqlalchemy" {
            return;
        }
        // `session.query(X)…`: the rest of the chain decides (a bulk `update`/`delete`).
        let (rule, method) = if rule.access.is_none() {
            match chain_access(catalog, "sqlalchemy", OrmReceiver::Query, &methods[1..]) {
                Some((r, i)) => (r, methods[i + 1]),
                None => match catalog.lookup(&["sqlalchemy"], OrmReceiver::Query, "all") {
                    Some(r) => (r, first_method),
                    None => return,
                },
            }
        } else {
            (rule, first_method)
        };
        self.report(call, model, rule, method, Vec::new(), out);
    }

    /// The model of an instance argument: `LegacyOrder(…)`, a typed variable, a list of them.
    fn instance_model(
        &self,
        node: Node<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        self.instance_model_at(node, bindings, pos, 0)
    }

    fn instance_model_at(
        &self,
        node: Node<'_>,
        bindings: &[(usize, Option<usize>, String, VarType)],
        pos: usize,
        depth: usize,
    ) -> Option<&'a ModelDecl> {
        if depth > 32 {
            return None;
        }
        if matches!(
            node.kind(),
            "list_comprehension" | "set_comprehension" | "generator_expression"
        ) {
            return self.instance_model_at(
                node.child_by_field_name("body")?,
                bindings,
                pos,
                depth + 1,
            );
        }
        if matches!(node.kind(), "list" | "tuple" | "set") {
            return named_children(node)
                .into_iter()
                .find_map(|n| self.instance_model_at(n, bindings, pos, depth + 1));
        }
        match self.type_of(node, bindings, pos)? {
            VarType::Instance { model, module, .. } => self.lookup(&model, module.as_deref()),
            VarType::QuerySet { .. } => None,
        }
    }

    /// A finding for the model's legacy table, and one per cascade a delete triggers.
    fn report(
        &self,
        call: Node<'_>,
        model: &ModelDecl,
        rule: &OrmRule,
        method: &str,
        via: Vec<String>,
        out: &mut FileScan,
    ) {
        let (Some(access), Some(operation)) = (rule.access, rule.operation) else {
            return;
        };
        let site = Site {
            function: self.scopes.qualified(call.start_byte()),
            evidence: evidence(text(self.src, call)),
            sink: Some(method.to_string()),
            framework: Some(model.framework.clone()),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        let mut push = |table: String, access, operation, via: Vec<String>| {
            let found = site.finding(table, access, operation, rule.kind, Confidence::Inferred);
            out.findings.push(found.via(via));
        };
        if let Some(table) = &model.legacy {
            push(table.clone(), access, operation, via.clone());
        }
        if operation == Operation::Delete {
            for (path, child) in self.models().cascade_chains(Language::Python, &model.name) {
                if let (Some(table), Some(last)) = (&child.legacy, path.last()) {
                    let mut chain = via.clone();
                    chain.push(format!("{}.{method}", model.name));
                    chain.extend(path.iter().map(|c| c.via.clone()));
                    push(table.clone(), Access::Write, last.operation, chain);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_and_app_labels() {
        assert_eq!(module_of("billing/models.py"), "billing.models");
        assert_eq!(module_of("billing/models/__init__.py"), "billing.models");
        assert_eq!(
            app_label_of("src/billing/models.py").as_deref(),
            Some("billing")
        );
        assert_eq!(
            app_label_of("billing/models/order.py").as_deref(),
            Some("billing")
        );
        assert_eq!(app_label_of("models.py"), None);
    }

    #[test]
    fn declarations_of_one_file() {
        let catalog = OrmCatalog::for_language(Language::Python, &[]);
        let src = "from django.db import models\n\
                   class QS(models.QuerySet):\n    def gone(self):\n        return self.filter(x=1).delete()\n\
                   class P(models.Model):\n    pass\n\
                   class C(models.Model):\n    p = models.ForeignKey('app.P', on_delete=models.SET_NULL)\n    objects = QS.as_manager()\n    class Meta:\n        db_table = 't'\n        managed = False\n";
        let d = declarations("app/models.py", src, &catalog);
        let c = d.models.iter().find(|m| m.name == "C").unwrap();
        assert_eq!(c.explicit_table.as_deref(), Some("t"));
        assert_eq!(c.managed, Some(false));
        assert_eq!(c.managers, vec![("objects".to_string(), "QS".to_string())]);
        assert_eq!(d.cascades[0].parent, "P");
        assert_eq!(d.cascades[0].operation, Operation::Update);
        assert_eq!(d.manager_methods[0].method, "gone");
        assert_eq!(d.manager_methods[0].operation, Operation::Delete);
        let mut models = d.models;
        resolve(&mut models, false);
        let p = models.iter().find(|m| m.name == "P").unwrap();
        assert_eq!(p.table.as_deref(), Some("app_p"));
        assert!(p.defines_schema);
        let c = models.iter().find(|m| m.name == "C").unwrap();
        assert!(!c.defines_schema, "managed = False");
        // QS is a manager class, not a model.
        assert!(models.iter().all(|m| m.name != "QS"));
    }

    #[test]
    fn sqlalchemy_inheritance_and_table_refs() {
        let catalog = OrmCatalog::for_language(Language::Python, &[]);
        let src = "t = Table('orders_legacy', metadata, Column('id'))\n\
                   class Base(DeclarativeBase):\n    pass\n\
                   class O(Base):\n    __table__ = t\n\
                   class Special(O):\n    pass\n\
                   class Mixin(Base):\n    __abstract__ = True\n";
        let mut models = declarations("shop/models.py", src, &catalog).models;
        resolve(&mut models, true);
        let table = |n: &str| {
            models
                .iter()
                .find(|m| m.name == n)
                .and_then(|m| m.table.clone())
        };
        assert_eq!(table("t").as_deref(), Some("orders_legacy"));
        assert_eq!(table("O").as_deref(), Some("orders_legacy"));
        assert_eq!(table("Special").as_deref(), Some("orders_legacy"));
        assert_eq!(table("Mixin"), None);
        assert!(models.iter().all(|m| m.name != "Base"), "a plain class");
    }

    #[test]
    fn broken_input_does_not_panic() {
        let catalog = OrmCatalog::for_language(Language::Python, &[]);
        for src in [
            "class (models.Model:\n  class Meta: db_table =",
            "\u{0}\u{1}",
            "x = Table(",
            "",
        ] {
            let _ = declarations("a/models.py", src, &catalog);
        }
    }
}
