//! Django and SQLAlchemy, pass 1: the declarations of one Python file. Classes and their
//! bases, `class Meta` (`db_table`, `app_label`, `abstract`, `managed`, `proxy`),
//! `__tablename__`, `__table__`, `__abstract__`, `Table("t", metadata, …)`, manager
//! attributes (`objects = LegacyOrderManager()`, `QS.as_manager()`,
//! `Manager.from_queryset(QS)()`), what custom manager methods do (`self.filter(…)`),
//! foreign keys with `on_delete` and `relationship(…, cascade=…)`. Which classes are models
//! is decided across files (`resolve`: bases resolved by name).

use super::{Chain, chain_access, is_chain_link, keyword_value, last_segment, string_value};
use crate::catalog::{OrmCatalog, OrmReceiver};
use crate::extract::LineIndex;
use crate::lang::Field as _;
use crate::lang::{self, Grammar};
use crate::model::{Language, Operation};
use crate::orm::naming;
use crate::orm::nodes::{all_nodes, named_children, text};
use crate::orm::{
    Cascade, FileDecls, ManagerMethod, ModelDecl, TableSource, TypedName, first_line,
};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;
use tree_sitter::Node;

/// The declarations of one Python file.
pub fn declarations(rel: &str, src: &str, catalog: &OrmCatalog) -> FileDecls {
    let mut out = FileDecls {
        sqlalchemy_creates_schema: src.contains("create_all("),
        ..FileDecls::default()
    };
    if !declares_models(rel, src.as_bytes()) {
        out.typed_names = typed_names_by_text(&module_of(rel), src);
        return out;
    }
    let Some(tree) = lang::parse(Grammar::Python, src) else {
        return out;
    };
    let module = module_of(rel);
    let index = LineIndex::new(src);
    let file = PyFile {
        rel,
        src,
        module: &module,
        index: &index,
        peewee: src.contains("peewee") || src.contains("playhouse"),
    };
    for node in all_nodes(tree.root_node()) {
        match node.kind() {
            "class_definition" => {
                if let Some(t) = schema_model(src, &module, node) {
                    out.typed_names.push(t);
                }
                class_declaration(&file, node, catalog, &mut out)
            }
            "function_definition" => {
                if let Some(t) = returned_model(src, &module, node) {
                    out.typed_names.push(t);
                }
            }
            "decorated_definition" => {
                if let Some(t) = login_user_model(src, node) {
                    out.typed_names.push(t);
                }
            }
            "assignment" => {
                if let Some(decl) = table_object(rel, src, &module, &index, node) {
                    out.models.push(decl);
                }
                if let Some(alias) = queryset_manager(src, node) {
                    out.manager_classes.push(alias);
                }
                if let Some(t) = annotated_alias(src, &module, node) {
                    out.typed_names.push(t);
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether a Python file may declare a model, a table, a schema or a login loader: the
/// byte and path check before parsing (Django requires models to be importable from the
/// app's `models` module, so apart from a direct `models.Model` subclass only `models.py`,
/// `models/…`, `managers.py` and `querysets.py` are looked at).
pub fn declares_models(rel: &str, text: &[u8]) -> bool {
    let has = |n: &[u8]| memchr::memmem::find(text, n).is_some();
    if crate::orm::PYTHON_MODEL_MARKERS.iter().any(|n| has(n)) {
        return true;
    }
    if has(b"Table(") && (has(b"MetaData") || has(b"metadata")) {
        return true;
    }
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let model_module = matches!(file, "models.py" | "managers.py" | "querysets.py")
        || rel.starts_with("models/")
        || rel.contains("/models/");
    model_module && (has(b"Model") || has(b"Manager") || has(b"QuerySet"))
}

/// The typed names of a file that declares no model, by a byte scan instead of a parse:
/// `def get_user(…) -> User:` (the parameters may span lines) and `CurrentUser =
/// Annotated[User, …]`. Same results as the tree walk for the usual layouts.
pub fn typed_names_by_text(module: &str, src: &str) -> Vec<TypedName> {
    static DEF: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^[ \t]*(?:async[ \t]+)?def[ \t]+(\w+)[ \t]*\(").unwrap());
    static ALIAS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^(\w+)[ \t]*(?::[^=\n]*)?=[ \t]*((?:\w+\.)?Annotated\[[^\n]*)$").unwrap()
    });
    let mut out = Vec::new();
    for c in DEF.captures_iter(src) {
        let (Some(name), Some(open)) = (c.get(1), c.get(0)) else {
            continue;
        };
        let Some(hint) = return_hint(&src[open.end()..]) else {
            continue;
        };
        if let Some((model, collection)) = hint_class(hint) {
            out.push(TypedName {
                module: module.to_string(),
                name: name.as_str().to_string(),
                model,
                collection,
            });
        }
    }
    for c in ALIAS.captures_iter(src) {
        if let (Some(name), Some(value)) = (c.get(1), c.get(2))
            && let Some((model, collection)) = hint_class(value.as_str().trim())
        {
            out.push(TypedName {
                module: module.to_string(),
                name: name.as_str().to_string(),
                model,
                collection,
            });
        }
    }
    out
}

/// After a `def name(`, the return annotation's text: past the parameters (brackets
/// balanced, strings skipped), `->`, up to the `:` that ends the signature. Bounded.
fn return_hint(after_open: &str) -> Option<&str> {
    let bytes = after_open.as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() && i < 4096 {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    let rest = after_open.get(i + 1..)?.trim_start();
    let rest = rest.strip_prefix("->")?;
    let mut depth = 0usize;
    for (k, b) in rest.bytes().enumerate().take(1024) {
        match b {
            b'[' | b'(' => depth += 1,
            b']' | b')' => depth = depth.saturating_sub(1),
            b':' if depth == 0 => return Some(rest[..k].trim()),
            b'\n' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// playhouse's model classes (full-text search tables), sorted.
const PLAYHOUSE_MODELS: &[&str] = &["FTS5Model", "FTSModel", "VirtualModel"];

/// What one file's class declarations need to know about the file.
struct PyFile<'a> {
    rel: &'a str,
    src: &'a str,
    module: &'a str,
    index: &'a LineIndex,
    /// The file imports peewee (or its `playhouse` extensions): `Model` is peewee's.
    peewee: bool,
}

/// `def get_user(…) -> User` / `-> Optional[User]` / `-> list[User]`: calls of it give
/// instances of the class the annotation names (a model or not: pass 2 looks it up).
fn returned_model(src: &str, module: &str, def: Node<'_>) -> Option<TypedName> {
    let name = text(src, def.field("name")?);
    let (model, collection) = match def.field("return_type") {
        Some(hint) => hint_class(text(src, hint))?,
        None => (constructed_return(src, def)?, false),
    };
    Some(TypedName {
        module: module.to_string(),
        name: name.to_string(),
        model,
        collection,
    })
}

/// The class an unannotated function hands back one instance of, when every `return`
/// with a value (bare ones and `return None` aside) says so the same way: `return Token(…)`, `return token` with `token = Token(…)` in the
/// function, `return db.session.scalar(Token.select()…)`. A capitalised name only; pass 2
/// keeps it when the name is a model.
fn constructed_return(src: &str, def: Node<'_>) -> Option<String> {
    let body = def.field("body")?;
    let nodes = all_nodes(body);
    let class_of_call = |call: Node<'_>| -> Option<String> {
        let f = call.field("function")?;
        let name = text(src, f);
        if f.kind() == "identifier" && name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Some(name.to_string());
        }
        // `session.scalar(Token.select()…)`: the statement's model.
        let method = text(src, f.field("attribute")?);
        if method != "scalar" {
            return None;
        }
        let stmt = named_children(call.field("arguments")?)
            .into_iter()
            .next()?;
        let chain = Chain::of(stmt);
        let root = chain.root?;
        let root_name = text(src, root);
        (chain
            .links
            .first()
            .is_some_and(|l| text(src, l.method) == "select")
            && root.kind() == "identifier"
            && root_name.starts_with(|c: char| c.is_ascii_uppercase()))
        .then(|| root_name.to_string())
    };
    let mut found: Option<String> = None;
    for r in nodes.iter().filter(|n| n.kind() == "return_statement") {
        // A bare `return` / `return None` hands back nothing (an Optional result).
        let Some(value) = r.named_child(0).filter(|v| v.kind() != "none") else {
            continue;
        };
        let class = match value.kind() {
            "call" => class_of_call(value)?,
            "identifier" => {
                let var = text(src, value);
                nodes
                    .iter()
                    .filter(|a| a.kind() == "assignment" && a.start_byte() < r.start_byte())
                    .filter(|a| a.field("left").is_some_and(|l| text(src, l) == var))
                    .filter_map(|a| a.field("right"))
                    .rfind(|v| v.kind() == "call")
                    .and_then(class_of_call)?
            }
            _ => return None,
        };
        if found.as_ref().is_some_and(|f| *f != class) {
            return None;
        }
        found = Some(class);
    }
    found
}

/// A marshmallow-sqlalchemy schema (`class InvoiceSchema(SQLAlchemyAutoSchema)` with
/// `class Meta: model = Invoice`): its `load(…)` builds instances of the model. Recorded
/// as `InvoiceSchema.load`. A Django ModelForm (`class OrderForm(forms.ModelForm)`, same
/// `Meta`): its `save(…)` saves an instance of the model. Recorded as `OrderForm.save`.
fn schema_model(src: &str, module: &str, class: Node<'_>) -> Option<TypedName> {
    let name = text(src, class.field("name")?);
    let bases = text(src, class.field("superclasses")?);
    let method = if bases.contains("Schema") {
        "load"
    } else if bases.contains("ModelForm") {
        "save"
    } else {
        return None;
    };
    let model =
        meta_model(src, class).filter(|r| matches!(r.kind(), "identifier" | "attribute"))?;
    Some(TypedName {
        module: module.to_string(),
        name: format!("{name}.{method}"),
        model: last_segment(text(src, model)).to_string(),
        collection: false,
    })
}

/// A foreign key the database itself cascades: SQLAlchemy `ForeignKey("users.id",
/// ondelete="CASCADE")` (inside `mapped_column`/`Column`), SQLModel `Field(foreign_key=
/// "user.id", ondelete="CASCADE")`. Deleting a `users` row deletes (or, `SET NULL`,
/// updates) this class's rows however the delete is issued, bulk statements included. The
/// parent is the referenced table as `table:users`, resolved to its model by the index.
fn database_cascade(src: &str, class: &str, attr: &str, value: Node<'_>) -> Option<Cascade> {
    let calls = all_nodes(value)
        .into_iter()
        .take(256)
        .filter(|n| n.kind() == "call");
    for call in calls {
        let callee = call.field("function").map(|f| text(src, f))?;
        let args = call
            .field("arguments")
            .map(named_children)
            .unwrap_or_default();
        let kw = |k: &str| keyword_value(src, &args, k).and_then(|v| string_value(src, v));
        let target = match last_segment(callee) {
            "ForeignKey" => args
                .iter()
                .find(|n| n.kind() != "keyword_argument")
                .and_then(|n| string_value(src, *n)),
            "Field" => kw("foreign_key"),
            _ => continue,
        };
        let (Some(target), Some(on_delete)) = (target, kw("ondelete")) else {
            continue;
        };
        let operation = match on_delete.to_ascii_uppercase().as_str() {
            "CASCADE" => Operation::Delete,
            "SET NULL" | "SET DEFAULT" => Operation::Update,
            _ => continue,
        };
        let (table, _column) = target.rsplit_once('.')?;
        return Some(Cascade {
            language: Language::Python,
            framework: crate::orm::DATABASE_CASCADE.into(),
            parent: format!("table:{table}"),
            child: class.to_string(),
            operation,
            via: format!("{class}.{attr} ondelete={on_delete}"),
            child_file: String::new(),
        });
    }
    None
}

/// The value of `model = …` in a class's inner `class Meta:` (serializers, schemas,
/// forms name their model there).
pub(crate) fn meta_model<'t>(src: &str, class: Node<'t>) -> Option<Node<'t>> {
    let body = class.field("body")?;
    let meta = named_children(body).into_iter().find(|c| {
        c.kind() == "class_definition" && c.field("name").is_some_and(|n| text(src, n) == "Meta")
    })?;
    all_nodes(meta.field("body")?)
        .into_iter()
        .filter(|a| a.kind() == "assignment")
        .find(|a| a.field("left").is_some_and(|l| text(src, l) == "model"))?
        .field("right")
}

/// Flask-Login's `current_user` is what the `@login.user_loader` function returns:
/// `return User.query.get(int(id))` / `return db.session.get(User, int(id))` names the
/// class (the first capitalized name of the returned expression).
fn login_user_model(src: &str, node: Node<'_>) -> Option<TypedName> {
    let def = node.field("definition")?;
    let loader = named_children(node)
        .into_iter()
        .filter(|d| d.kind() == "decorator")
        .any(|d| text(src, d).trim_end().ends_with("user_loader"));
    if !loader {
        return None;
    }
    let returned = all_nodes(def)
        .into_iter()
        .find(|n| n.kind() == "return_statement")?;
    let class = all_nodes(returned)
        .into_iter()
        .filter(|n| n.kind() == "identifier")
        .map(|n| text(src, n))
        .find(|t| t.starts_with(|c: char| c.is_ascii_uppercase()))?;
    Some(TypedName {
        module: "flask_login".to_string(),
        name: "current_user".to_string(),
        model: class.to_string(),
        collection: false,
    })
}

/// `CurrentUser = Annotated[User, Depends(get_current_user)]`: a type alias of a class.
fn annotated_alias(src: &str, module: &str, node: Node<'_>) -> Option<TypedName> {
    let left = node.field("left")?;
    let right = node.field("right")?;
    if left.kind() != "identifier" || right.kind() != "subscript" {
        return None;
    }
    let value = right.field("value")?;
    if last_segment(text(src, value)) != "Annotated" {
        return None;
    }
    let (model, collection) = hint_class(text(src, right))?;
    Some(TypedName {
        module: module.to_string(),
        name: text(src, left).to_string(),
        model,
        collection,
    })
}

/// The class a type hint names, and whether the hint is a collection of it:
/// `User`, `"User"`, `Optional[User]`, `User | None`, `Annotated[User, …]`,
/// `Mapped[List["User"]]` (collection), `list[User]` (collection). `None` for hints whose
/// class is not the value itself (`dict[str, User]`, `tuple[User, int]`).
pub(crate) fn hint_class(hint: &str) -> Option<(String, bool)> {
    hint_class_at(hint, 0)
}

const WRAPPERS: &[&str] = &[
    "Annotated",
    "Awaitable",
    "DynamicMapped",
    "Mapped",
    "Optional",
    "Type",
    "Union",
    "WriteOnlyMapped",
    "type",
];

const COLLECTIONS: &[&str] = &[
    "AsyncGenerator",
    "AsyncIterator",
    "Generator",
    "Iterable",
    "Iterator",
    "List",
    "Sequence",
    "Set",
    "list",
    "set",
];

fn hint_class_at(hint: &str, depth: usize) -> Option<(String, bool)> {
    if depth > 8 {
        return None;
    }
    let hint = hint.trim().trim_matches(|c| c == '"' || c == '\'');
    if let Some(parts) = top_level_split(hint, '|') {
        let first = parts.into_iter().find(|p| p.trim() != "None")?;
        return hint_class_at(first, depth + 1);
    }
    match hint.split_once('[') {
        Some((head, rest)) => {
            let inner = rest.strip_suffix(']')?;
            let first = top_level_split(inner, ',')
                .and_then(|p| p.into_iter().next())
                .unwrap_or(inner);
            let head = last_segment(head.trim());
            if WRAPPERS.contains(&head) {
                hint_class_at(first, depth + 1)
            } else if COLLECTIONS.contains(&head) {
                hint_class_at(first, depth + 1).map(|(m, _)| (m, true))
            } else {
                None
            }
        }
        None => {
            let name = last_segment(hint);
            let ok = !name.is_empty()
                && name != "None"
                && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            ok.then(|| (name.to_string(), false))
        }
    }
}

/// `a, b[c, d], e` split on `sep` outside brackets; `None` when `sep` is not there.
fn top_level_split(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// `OrderManager = models.Manager.from_queryset(OrderQuerySet)`: a manager class whose
/// methods are the QuerySet's, as `(name, [QuerySet])`.
fn queryset_manager(src: &str, node: Node<'_>) -> Option<(String, Vec<String>)> {
    let left = node.field("left")?;
    let right = node.field("right")?;
    if left.kind() != "identifier" || right.kind() != "call" {
        return None;
    }
    let function = right.field("function")?;
    if last_segment(text(src, function)) != "from_queryset" {
        return None;
    }
    let args = named_children(right.field("arguments")?);
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
    let left = node.field("left")?;
    let right = node.field("right")?;
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
    let function = call.field("function")?;
    if last_segment(text(src, function)) != "Table" {
        return None;
    }
    let args = named_children(call.field("arguments")?);
    if args.len() < 2 {
        return None;
    }
    string_value(src, args[0])
}

fn class_declaration(file: &PyFile<'_>, node: Node<'_>, catalog: &OrmCatalog, out: &mut FileDecls) {
    let (rel, src, module, index) = (file.rel, file.src, file.module, file.index);
    let (Some(name), Some(body)) = (node.field("name"), node.field("body")) else {
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
    if let Some(supers) = node.field("superclasses") {
        for base in named_children(supers) {
            // SQLModel: `class User(UserBase, table=True)` is a table, named `user`.
            if base.kind() == "keyword_argument"
                && base.field("name").is_some_and(|n| text(src, n) == "table")
                && base.field("value").is_some_and(|v| v.kind() == "true")
            {
                decl.framework = "sqlalchemy".into();
                decl.source = TableSource::Convention;
                decl.options.push(("naming".into(), "lowercase".into()));
                continue;
            }
            // `models.QuerySet["Order"]`: the generic's value is the base.
            let base = match base.kind() {
                "subscript" => match base.field("value") {
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
    // peewee: `class Index(Model)` (or `pw.Model`, playhouse's `FTS5Model`) in a file that
    // imports it; each model has its own table, `Meta.table_name` or the lowercased name.
    let peewee_base = |b: &String| {
        matches!(b.as_str(), "Model" | "pw.Model" | "peewee.Model")
            || PLAYHOUSE_MODELS.contains(&b.as_str())
    };
    if file.peewee && decl.framework.is_empty() && decl.bases_full.iter().any(peewee_base) {
        decl.framework = "peewee".into();
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
            match stmt.field("definition") {
                Some(d) => d,
                None => continue,
            }
        } else {
            stmt
        };
        match stmt.kind() {
            "class_definition" => {
                let is_meta = stmt.field("name").is_some_and(|n| text(src, n) == "Meta");
                if let (true, Some(meta_body)) = (is_meta, stmt.field("body")) {
                    meta_options(src, meta_body, &mut decl);
                }
            }
            "function_definition" if is_manager => {
                manager_method(src, &name, stmt, catalog, out);
            }
            "function_definition" => {
                if let Some(m) = mutator(src, stmt, &decl.mutators) {
                    decl.mutators.push(m);
                }
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
    // A method that calls a mutator of `self` mutates too (`from_dict` → `set_password`),
    // wherever it is declared in the class.
    for _ in 0..4 {
        let before = decl.mutators.len();
        for stmt in named_children(body) {
            let stmt = match stmt.kind() {
                "decorated_definition" => match stmt.field("definition") {
                    Some(d) => d,
                    None => continue,
                },
                _ => stmt,
            };
            if stmt.kind() == "function_definition"
                && let Some(m) = mutator(src, stmt, &decl.mutators)
                && !decl.mutators.contains(&m)
            {
                decl.mutators.push(m);
            }
        }
        if decl.mutators.len() == before {
            break;
        }
    }
    if !decl.bases.is_empty() {
        out.models.push(decl);
    }
}

/// The name of a method that sets attributes of `self` (`self.x = …`, `setattr(self, …)`,
/// or a call of one of `known`, the class's mutators so far) and neither saves nor commits
/// itself (`session.add(self)`: that call is the write). `__init__` and other dunder
/// methods, and methods without `self`, are not.
fn mutator(src: &str, def: Node<'_>, known: &[String]) -> Option<String> {
    let name = text(src, def.field("name")?);
    let first_param = def
        .field("parameters")
        .and_then(|p| named_children(p).into_iter().next())
        .map(|p| text(src, p));
    if name.starts_with("__") || first_param != Some("self") || known.iter().any(|k| k == name) {
        return None;
    }
    let mut sets = false;
    for n in all_nodes(def.field("body")?).into_iter().take(4096) {
        match n.kind() {
            "assignment" | "augmented_assignment" => {
                sets |= n
                    .field("left")
                    .and_then(|l| l.field("object"))
                    .is_some_and(|o| text(src, o) == "self");
            }
            "call" => {
                let Some(f) = n.field("function") else {
                    continue;
                };
                let args = n.field("arguments").map(|a| text(src, a)).unwrap_or("");
                let method = f.field("attribute").map(|a| text(src, a));
                let on_self = f.field("object").is_some_and(|o| text(src, o) == "self");
                if matches!(method, Some("add" | "merge" | "commit" | "flush" | "save"))
                    && (args.contains("self") || on_self || method == Some("commit"))
                {
                    return None;
                }
                sets |= text(src, f) == "setattr" && args.starts_with("(self,")
                    || on_self && method.is_some_and(|m| known.iter().any(|k| k == m));
            }
            _ => {}
        }
    }
    sets.then(|| name.to_string())
}

fn meta_options(src: &str, body: Node<'_>, decl: &mut ModelDecl) {
    for stmt in named_children(body) {
        for a in named_children(stmt) {
            if a.kind() != "assignment" {
                continue;
            }
            let (Some(left), Some(right)) = (a.field("left"), a.field("right")) else {
                continue;
            };
            match text(src, left) {
                // `table_name` is peewee's (3.x), `db_table` Django's and peewee 2's.
                "db_table" | "table_name" => decl.explicit_table = string_value(src, right),
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
    let Some(left) = a.field("left") else {
        return;
    };
    let attr = text(src, left);
    let Some(right) = a.field("right") else {
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
            let Some(function) = right.field("function") else {
                return;
            };
            let callee = text(src, function);
            let args = right
                .field("arguments")
                .map(named_children)
                .unwrap_or_default();
            let kw = |k: &str| keyword_value(src, &args, k);
            let positional: Vec<Node<'_>> = args
                .iter()
                .copied()
                .filter(|n| n.kind() != "keyword_argument")
                .collect();
            let method = last_segment(callee);
            if let Some(c) = database_cascade(src, class, attr, right) {
                out.cascades.push(c);
            }
            if let Some(manager) = manager_class(src, function) {
                decl.managers.push((attr.to_string(), manager));
            } else if matches!(method, "FileField" | "ImageField") {
                decl.file_fields.push(attr.to_string());
            } else if matches!(method, "ForeignKey" | "OneToOneField") {
                let target = kw("to").or_else(|| positional.first().copied());
                let target = target.and_then(|t| model_ref(src, t, class));
                let on_delete = kw("on_delete").or_else(|| positional.get(1).copied());
                let operation = on_delete.and_then(|d| match last_segment(text(src, d)) {
                    "CASCADE" => Some(Operation::Delete),
                    "SET_NULL" | "SET_DEFAULT" => Some(Operation::Update),
                    t if t.starts_with("SET(") => Some(Operation::Update),
                    _ => None,
                });
                // The reverse accessor: `customer.orders` (related_name) or
                // `customer.legacyorder_set` is a manager of this model.
                let explicit = kw("related_name").and_then(|r| string_value(src, r));
                // `user.usersettings_helpdesk` on a user of any model (the auth user, a
                // parent the resolver cannot name): the one instance of this model.
                if let (Some(r), "OneToOneField") = (&explicit, method)
                    && !r.ends_with('+')
                {
                    out.related.push(crate::orm::Related {
                        language: Language::Python,
                        parent: crate::orm::ANY_PARENT.into(),
                        accessor: r.clone(),
                        child: class.to_string(),
                        secondary: false,
                        joined: false,
                    });
                }
                let accessor = match explicit {
                    Some(r) => r,
                    None => format!("{}_set", class.to_lowercase()),
                };
                if let (Some(parent), false) = (&target, accessor.ends_with('+')) {
                    out.related.push(crate::orm::Related {
                        language: Language::Python,
                        parent: parent.clone(),
                        accessor,
                        child: class.to_string(),
                        secondary: false,
                        joined: false,
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
            } else if method == "GenericRelation" {
                // Django deletes the related objects of a generic relation with the object:
                // `files = GenericRelation(File)` on `Gazette` makes `gazette.delete()` (and
                // a queryset's `delete()`) delete rows of `File`'s table; `gazette.files` is
                // a manager of `File`.
                let Some(child) = kw("to")
                    .or_else(|| positional.first().copied())
                    .and_then(|t| model_ref(src, t, class))
                else {
                    return;
                };
                out.related.push(crate::orm::Related {
                    language: Language::Python,
                    parent: class.to_string(),
                    accessor: attr.to_string(),
                    child: child.clone(),
                    secondary: false,
                    joined: false,
                });
                out.cascades.push(Cascade {
                    language: Language::Python,
                    framework: "django".into(),
                    parent: class.to_string(),
                    child,
                    operation: Operation::Delete,
                    via: format!("{class}.{attr} GenericRelation"),
                    child_file: String::new(),
                });
            } else if matches!(method, "relationship" | "Relationship") {
                let cascade = kw("cascade").and_then(|c| string_value(src, c));
                // SQLModel spells it `Relationship(cascade_delete=True)`.
                let deletes = cascade.as_deref().is_some_and(|c| {
                    c.split(',')
                        .any(|p| matches!(p.trim(), "all" | "delete" | "delete-orphan"))
                }) || kw("cascade_delete").is_some_and(|v| v.kind() == "true");
                let target = positional
                    .first()
                    .and_then(|t| model_ref(src, *t, class))
                    .or_else(|| a.field("type").and_then(|t| annotated_model(src, t)));
                relationship_accessors(src, class, attr, target.as_deref(), &kw, out);
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

/// `followed = relationship("Follow", backref="follower", lazy="dynamic")`: `x.followed`
/// on an instance of `class` holds `Follow` rows, and `f.follower` on a `Follow` holds
/// `class` rows.
fn relationship_accessors<'t>(
    src: &str,
    class: &str,
    attr: &str,
    target: Option<&str>,
    kw: &dyn Fn(&str) -> Option<Node<'t>>,
    out: &mut FileDecls,
) {
    let Some(target) = target else {
        return;
    };
    let secondary = kw("secondary").is_some();
    let joined = |lazy: Option<Node<'_>>| {
        lazy.and_then(|l| string_value(src, l))
            .is_some_and(|l| l == "joined")
    };
    out.related.push(crate::orm::Related {
        language: Language::Python,
        parent: class.to_string(),
        accessor: attr.to_string(),
        child: target.to_string(),
        secondary,
        joined: joined(kw("lazy")),
    });
    // `backref="x"` or `backref=db.backref("x", lazy="joined")`.
    let backref = kw("backref").and_then(|b| match b.kind() {
        "call" => {
            let args = named_children(b.field("arguments")?);
            let lazy = keyword_value(src, &args, "lazy");
            let name = args.first().and_then(|n| string_value(src, *n))?;
            Some((name, joined(lazy)))
        }
        _ => string_value(src, b).map(|n| (n, false)),
    });
    if let Some((backref, joined)) = backref {
        out.related.push(crate::orm::Related {
            language: Language::Python,
            parent: target.to_string(),
            accessor: backref,
            child: class.to_string(),
            secondary,
            joined,
        });
    }
}

/// The manager class of `objects = X()`, `X.as_manager()`, `Manager.from_queryset(X)()`.
fn manager_class(src: &str, function: Node<'_>) -> Option<String> {
    let callee = text(src, function);
    if function.kind() == "call" {
        // `Manager.from_queryset(QS)()`
        let inner = function.field("function")?;
        if last_segment(text(src, inner)) == "from_queryset" {
            let args = named_children(function.field("arguments")?);
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
/// The model a relation field points to; Django's `"self"` is the declaring class.
fn model_ref(src: &str, node: Node<'_>, class: &str) -> Option<String> {
    match node.kind() {
        "string" => string_value(src, node).map(|s| match s.as_str() {
            "self" => class.to_string(),
            s => last_segment(s).to_string(),
        }),
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
    let Some(name) = def.field("name") else {
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
            let concrete_parent = parents
                .iter()
                .find(|p| !p.is_abstract && p.table.is_some() && p.framework == m.framework);
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
                "peewee" => {
                    // Every peewee model has its own table; `table_name` is not inherited.
                    next.table = Some(match &m.explicit_table {
                        Some(t) => t.clone(),
                        None => m.name.to_lowercase(),
                    });
                    next.source = match &m.explicit_table {
                        Some(_) => TableSource::Explicit,
                        None => TableSource::Convention,
                    };
                }
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
                        // SQLModel names a table after the class, lowercased.
                        let lowercase = m
                            .options
                            .iter()
                            .any(|(k, v)| k == "naming" && v == "lowercase");
                        next.table = Some(match lowercase {
                            true => m.name.to_lowercase(),
                            false => naming::snake_case(&m.name),
                        });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_names_by_text_match_the_tree_walk() {
        let src = "from app.models import User\n\nCurrentUser = Annotated[User, Depends(get_user)]\n\n\
                   def get_user(\n    db: Session,\n    token: str = Depends(x),\n) -> User:\n    pass\n\n\
                   async def users(db) -> list[User]:\n    pass\n\n\
                   class Repo:\n    def first(self, q: dict[str, int]) -> Optional[\"User\"]:\n        pass\n\n\
                   def count(db) -> int:\n    pass\n";
        let by_text = typed_names_by_text("app.deps", src);
        // The tree walk of the same file, as pass 1 does for files that declare models.
        let tree = lang::parse(Grammar::Python, src).unwrap();
        let mut by_tree = Vec::new();
        for n in all_nodes(tree.root_node()) {
            match n.kind() {
                "function_definition" => by_tree.extend(returned_model(src, "app.deps", n)),
                "assignment" => by_tree.extend(annotated_alias(src, "app.deps", n)),
                _ => {}
            }
        }
        let key = |t: &TypedName| (t.name.clone(), t.model.clone(), t.collection);
        let mut a: Vec<_> = by_text.iter().map(key).collect();
        let mut b: Vec<_> = by_tree.iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(a.len() >= 3, "{a:?}");
    }

    #[test]
    fn mutators_set_columns_of_self_and_leave_the_save_to_the_caller() {
        let src = "class User(db.Model):\n\
                   \x20   def __init__(self, name):\n        self.name = name\n\
                   \x20   def set_password(self, p):\n        self.password_hash = h(p)\n\
                   \x20   def from_dict(self, data):\n        self.set_password(data['p'])\n\
                   \x20   def update(self, data):\n        for k in data:\n            setattr(self, k, data[k])\n\
                   \x20   def ping(self):\n        self.last_seen = now()\n        db.session.add(self)\n\
                   \x20   def touch(self):\n        self.seen += 1\n        self.save()\n\
                   \x20   @staticmethod\n    def check(token):\n        token.used = True\n\
                   \x20   def avatar(self, size):\n        return url(self.email, size)\n";
        let tree = lang::parse(Grammar::Python, src).unwrap();
        let class = all_nodes(tree.root_node())
            .into_iter()
            .find(|n| n.kind() == "class_definition")
            .unwrap();
        let mut found: Vec<String> = Vec::new();
        for _ in 0..2 {
            for n in all_nodes(class) {
                if n.kind() == "function_definition"
                    && let Some(m) = mutator(src, n, &found)
                {
                    found.push(m);
                }
            }
        }
        found.sort();
        assert_eq!(found, ["from_dict", "set_password", "update"]);
    }

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
        // Django's "self" is the declaring model (a cascade within one table).
        let src = "class Order(models.Model):\n    original = models.ForeignKey(\"self\", on_delete=models.SET_NULL, null=True)\n";
        let own = declarations("shop/models.py", src, &catalog);
        assert_eq!(own.cascades[0].parent, "Order");
        assert_eq!(own.cascades[0].child, "Order");
        assert_eq!(own.related[0].parent, "Order");
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
    fn type_hints_name_their_class() {
        let hint = |h: &str| hint_class(h);
        assert_eq!(hint("User"), Some(("User".into(), false)));
        assert_eq!(hint("Optional[User]"), Some(("User".into(), false)));
        assert_eq!(hint("User | None"), Some(("User".into(), false)));
        assert_eq!(hint("\"app.models.User\""), Some(("User".into(), false)));
        assert_eq!(hint("Mapped[List[\"User\"]]"), Some(("User".into(), true)));
        assert_eq!(hint("list[User]"), Some(("User".into(), true)));
        assert_eq!(
            hint("Annotated[User, Depends(get_current_user)]"),
            Some(("User".into(), false))
        );
        assert_eq!(hint("dict[str, User]"), None);
        assert_eq!(hint("None"), None);
    }

    #[test]
    fn sqlmodel_and_peewee_tables() {
        let catalog = OrmCatalog::for_language(Language::Python, &[]);
        let src = "import peewee as pw\n\
                   from sqlmodel import SQLModel\n\
                   class TicketBase(SQLModel):\n    title: str\n\
                   class TicketItem(TicketBase, table=True):\n    id: int\n\
                   class Base(pw.Model):\n    pass\n\
                   class Shelf(Base):\n    class Meta:\n        table_name = 'shelves'\n\
                   class BookCopy(Base):\n    pass\n\
                   class Schema(BaseModel):\n    pass\n";
        let mut models = declarations("app/models.py", src, &catalog).models;
        resolve(&mut models, false);
        let table = |n: &str| {
            models
                .iter()
                .find(|m| m.name == n)
                .and_then(|m| m.table.clone())
        };
        assert_eq!(table("TicketItem").as_deref(), Some("ticketitem"));
        assert_eq!(table("TicketBase"), None);
        assert_eq!(table("Shelf").as_deref(), Some("shelves"));
        assert_eq!(table("BookCopy").as_deref(), Some("bookcopy"));
        assert!(
            models.iter().all(|m| m.name != "Schema"),
            "pydantic, not peewee"
        );
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
