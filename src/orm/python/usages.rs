//! Django and SQLAlchemy, pass 2: call chains resolved through imports and aliases
//! (`from app.models import LegacyOrder as LO`, `import app.models as m`) and through
//! names whose type the function (or an enclosing one) shows (`o = LegacyOrder(…)`,
//! `o = LO.objects.get(…)`, `for o in LO.objects.filter(…)`, `qs = LO.objects.filter(…)`,
//! `def f(o: LO)`), class attributes through `self`, and reverse foreign-key managers
//! (`customer.orders.filter(…)`); what each method does comes from the `[[orm]]` rows of
//! `catalog/python.toml`. Not resolved: values returned by other functions, untyped
//! parameters, `getattr`, models passed around as values, many-to-many managers.

use super::{Chain, chain_access, is_chain_link, last_segment};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::scoped::{Scope, Scopes};
use crate::extract::{FileInput, FileScan, LineIndex};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Kind, Language, Operation};
use crate::orm::nodes::{all_nodes, named_children, text};
use crate::orm::{ManagerMethod, ModelDecl, ModelIndex};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

mod generic;
mod own_model;
mod queries;
mod relations;
mod typed;
mod unit_of_work;

/// A name bound to a model type: (where the binding starts, its function scope, the
/// name, the type).
type Binding = (usize, Option<usize>, String, VarType);

/// The binding scope of a class body's attributes, apart from function scopes.
fn class_key(class: usize) -> Option<usize> {
    Some(usize::MAX - class)
}

/// `self.queryset`: one attribute of `self`.
fn is_self_attribute(src: &str, node: Node<'_>) -> bool {
    node.kind() == "attribute" && node.field("object").is_some_and(|o| text(src, o) == "self")
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
    /// A list of instances (`-> list[User]`, `User.query.all()`): iterating gives
    /// instances; its own methods are the list's.
    Collection {
        model: String,
        module: Option<String>,
    },
    /// A `select(Model)` statement held in a name, run later by a session.
    Select {
        model: String,
        module: Option<String>,
    },
    /// The model's `Table` (`t = Model.__table__`): `t.update()` writes its table.
    Table {
        model: String,
        module: Option<String>,
    },
}

impl VarType {
    fn instance(m: &ModelDecl) -> VarType {
        VarType::Instance {
            model: m.name.clone(),
            module: Some(m.module.clone()),
            new: false,
        }
    }

    fn of(m: &ModelDecl, collection: bool) -> VarType {
        match collection {
            true => VarType::Collection {
                model: m.name.clone(),
                module: Some(m.module.clone()),
            },
            false => VarType::instance(m),
        }
    }
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
    /// This file's dotted module (`app/crud.py` → `app.crud`).
    module: String,
    /// Functions and methods defined in this file: their bodies are scanned themselves.
    local_functions: std::collections::HashSet<String>,
    /// Names bound to a schema or form instance (`invoice_schema = InvoiceSchema()`):
    /// (where the binding ends, its function scope, the name, the class), in source order.
    schemas: Vec<(usize, Option<usize>, String, String)>,
}

/// ORM findings of one Python file.
/// The kinds of node the usage and view passes look at (their loops and `unit_of_work`):
/// the tree is walked once for both (`nodes_of_kinds`).
const USAGE_KINDS: &[&str] = &[
    "assignment",
    "attribute",
    "call",
    "class_definition",
    "for_statement",
    "function_definition",
    "import_from_statement",
    "import_statement",
    "typed_default_parameter",
    "typed_parameter",
];

/// The ORM usages of a parsed file: model and query calls (this pass), then views,
/// serializers and admin registrations (`django_views`), over one walk of the tree.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let nodes = crate::orm::nodes::nodes_of_kinds(tree.root_node(), USAGE_KINDS);
    model_usages(file, &nodes, out);
    super::django_views::usages(file, &nodes, out);
}

/// Model and query calls, from the nodes of `USAGE_KINDS`.
fn model_usages(file: &FileInput<'_>, nodes: &[Node<'_>], out: &mut FileScan) {
    let src = file.text;
    let mut scopes = Vec::new();
    let mut u = Usages {
        file,
        src,
        index: LineIndex::new(src),
        scopes: Scopes::default(),
        imports: HashMap::new(),
        modules: HashMap::new(),
        module: module_of(file.rel),
        local_functions: Default::default(),
        schemas: Vec::new(),
    };
    // Bindings of names to model types, per function, in source order.
    let mut bindings: Vec<Binding> = Vec::new();
    for &n in nodes {
        match n.kind() {
            "function_definition" | "class_definition" => {
                if n.kind() == "function_definition"
                    && let Some(name) = n.field("name")
                {
                    u.local_functions.insert(text(src, name).to_string());
                }
                scopes.push(Scope {
                    start: n.start_byte(),
                    end: n.end_byte(),
                    name: n.field("name").map(|x| text(src, x).to_string()),
                    is_class: n.kind() == "class_definition",
                });
            }
            "import_from_statement" => u.import_from(n),
            // `Order = apps.get_model("shop", "Order")` in a migration's RunPython function.
            "assignment" => {
                if let Some((local, model)) =
                    super::django_migrations::get_model_binding(src, n, &file.ctx.models)
                {
                    u.imports.insert(local, (model, None));
                }
            }
            "import_statement" => u.import_module(n),
            _ => {}
        }
    }
    u.scopes = Scopes::new(scopes);
    u.schema_instances(nodes);
    for &n in nodes {
        match n.kind() {
            "class_definition" => u.form_instance(n, &mut bindings),
            "assignment" => {
                // `user: User = …`, `users: list[User] = …`: the hint decides.
                if let (Some(left), Some(hint)) = (n.field("left"), n.field("type"))
                    && left.kind() == "identifier"
                    && u.class_body_at(n.start_byte()).is_none()
                    && let Some(ty) = u.hint_type(text(src, hint))
                {
                    let scope = u.function_at(n.start_byte());
                    bindings.push((n.end_byte(), scope, text(src, left).to_string(), ty));
                    continue;
                }
                // `self.order: Order = order` in a method: the class's other methods see it.
                if let Some((name, ty)) = u.self_attribute_binding(n, &bindings) {
                    let class = u.enclosing_class_index(n.start_byte());
                    bindings.push((n.end_byte(), class.and_then(class_key), name, ty));
                    continue;
                }
                let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
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
                        (
                            _,
                            VarType::QuerySet { .. }
                            | VarType::Collection { .. }
                            | VarType::Select { .. }
                            | VarType::Table { .. },
                        ) => continue,
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
                let name = n.field("name").or_else(|| {
                    named_children(n)
                        .into_iter()
                        .find(|c| c.kind() == "identifier")
                });
                let ty = n.field("type");
                let (Some(name), Some(ty)) = (name, ty) else {
                    continue;
                };
                if let Some(ty) = u.hint_type(text(src, ty)) {
                    bindings.push((
                        name.end_byte(),
                        u.function_at(n.start_byte()),
                        text(src, name).to_string(),
                        ty,
                    ));
                }
            }
            "for_statement" => {
                let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                    continue;
                };
                if left.kind() != "identifier" {
                    continue;
                }
                let ty = match u.type_of(right, &bindings, n.start_byte()) {
                    Some(
                        VarType::QuerySet { model, module } | VarType::Collection { model, module },
                    ) => VarType::Instance {
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
    for &n in nodes {
        if n.kind() == "call" && !is_chain_link(n) {
            let before = out.findings.len();
            u.call(n, &bindings, out);
            if out.findings.len() == before {
                u.generic_call(n, &bindings, out);
            }
        }
    }
    for &n in nodes {
        if n.kind() == "attribute" {
            u.relation_attribute(n, &bindings, out);
        }
    }
    u.unit_of_work(nodes, &bindings, out);
}

/// `app/crud.py` → `app.crud`; `app/models/__init__.py` → `app.models`.
fn module_of(rel: &str) -> String {
    let trimmed = rel.strip_suffix(".py").unwrap_or(rel);
    let trimmed = trimmed.strip_suffix("/__init__").unwrap_or(trimmed);
    trimmed.replace('/', ".")
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

    /// The innermost class around `pos`.
    fn enclosing_class_index(&self, pos: usize) -> Option<usize> {
        self.scopes
            .chain(pos)
            .into_iter()
            .find(|&i| self.scopes.get(i).is_class)
    }

    /// `self.order: Order = …` or `self.order = order` (a typed name) in a method: the
    /// attribute's name and type, for the class's methods.
    fn self_attribute_binding(
        &self,
        n: Node<'_>,
        bindings: &[Binding],
    ) -> Option<(String, VarType)> {
        let left = n.field("left")?;
        if !is_self_attribute(self.src, left) || self.function_at(n.start_byte()).is_none() {
            return None;
        }
        let ty = match n.field("type") {
            Some(hint) => self.hint_type(text(self.src, hint))?,
            None => match self.type_of(n.field("right")?, bindings, n.start_byte())? {
                t @ VarType::Instance { .. } => t,
                _ => return None,
            },
        };
        Some((text(self.src, left).to_string(), ty))
    }

    /// `from app.models import LegacyOrder as LO`.
    fn import_from(&mut self, n: Node<'_>) {
        let src = self.src;
        let module = n
            .field("module_name")
            .map(|m| text(src, m).trim_start_matches('.').to_string());
        let mut cursor = n.walk();
        for name in n.children_by_field_name("name", &mut cursor) {
            let (orig, alias) = match name.kind() {
                "aliased_import" => (
                    name.field("name").map(|x| text(src, x)),
                    name.field("alias").map(|x| text(src, x)),
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
                if let (Some(m), Some(a)) = (name.field("name"), name.field("alias")) {
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
                let object = node.field("object")?;
                let attr = node.field("attribute")?;
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
        if node.kind() == "identifier" && text(self.src, node) == "cls" {
            return self.enclosing_model(node.start_byte());
        }
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

    fn var_type(&self, name: &str, pos: usize, bindings: &[Binding]) -> Option<VarType> {
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
            .or_else(|| {
                // `self` in a model's own method is an instance of it.
                (name == "self")
                    .then(|| self.enclosing_model(pos))
                    .flatten()
                    .map(VarType::instance)
            })
            .or_else(|| self.login_user(name))
    }

    /// Flask-Login's `current_user`, imported from `flask_login`: an instance of the model
    /// the project's `user_loader` returns.
    fn login_user(&self, name: &str) -> Option<VarType> {
        let (orig, module) = self.imports.get(name)?;
        if orig != "current_user" || module.as_deref() != Some("flask_login") {
            return None;
        }
        let t = self.typed_name(name, None)?;
        let m = self
            .models()
            .find(Language::Python, &t.model)
            .into_iter()
            .next()?;
        Some(VarType::instance(m))
    }

    /// The SQLAlchemy models `model` inherits with a table other than its own (bounded).
    fn joined_parents(&self, model: &ModelDecl) -> Vec<&'a ModelDecl> {
        let mut out: Vec<&'a ModelDecl> = Vec::new();
        if model.framework != "sqlalchemy" || model.table.is_none() {
            return out;
        }
        let mut queue: Vec<String> = model.bases.clone();
        while let Some(base) = queue.pop() {
            if out.len() >= 8 {
                break;
            }
            for p in self.models().find(Language::Python, &base) {
                if p.framework == "sqlalchemy"
                    && !p.is_abstract
                    && p.table.is_some()
                    && p.table != model.table
                    && !out.iter().any(|o| o.name == p.name)
                {
                    out.push(p);
                    queue.extend(p.bases.iter().cloned());
                }
            }
        }
        out
    }

    /// The model whose method holds `pos` (for `self` and `cls`).
    fn enclosing_model(&self, pos: usize) -> Option<&'a ModelDecl> {
        let class = self.enclosing_class(pos)?;
        self.models()
            .find(Language::Python, &class)
            .into_iter()
            .find(|m| m.file == self.file.rel)
    }

    /// The model named by a class in this file's namespace: imported (then its module must
    /// match) or declared anywhere under that name.
    fn class_named(&self, name: &str) -> Option<&'a ModelDecl> {
        let (orig, module) = match self.imports.get(name) {
            Some((o, m)) => (o.as_str(), m.as_deref()),
            None => (name, None),
        };
        let found = self.models().find(Language::Python, orig);
        match module {
            Some(q) => found
                .into_iter()
                .find(|m| m.module == q || m.module.ends_with(q) || q.ends_with(&m.module)),
            None => found.into_iter().next(),
        }
    }

    /// The type a hint gives a name: `User`, `Optional[User]`, `list[User]`, an alias
    /// `CurrentUser = Annotated[User, …]` of this or another module.
    fn hint_type(&self, hint: &str) -> Option<VarType> {
        let (name, collection) = super::models::hint_class(hint)?;
        if let Some(m) = self.class_named(&name) {
            return Some(VarType::of(m, collection));
        }
        let alias = self.typed_name(&name, None)?;
        let (model, inner) = super::models::hint_class(&alias.model)?;
        let m = self
            .models()
            .find(Language::Python, &model)
            .into_iter()
            .next()?;
        Some(VarType::of(m, collection || inner || alias.collection))
    }

    /// The function or alias `name` of this file, of the module it is imported from, of
    /// `module` (a module alias it is reached through), or the only one of that name.
    fn typed_name(&self, name: &str, module: Option<&str>) -> Option<&'a crate::orm::TypedName> {
        let (orig, from) = match self.imports.get(name) {
            Some((o, m)) => (o.as_str(), m.as_deref()),
            None => (name, module),
        };
        let all: Vec<_> = self.models().typed_names(orig).collect();
        let in_module = |q: &str| {
            all.iter()
                .find(|t| t.module == q || t.module.ends_with(q) || q.ends_with(&t.module))
                .copied()
        };
        match from {
            // `Token.from_jwt(…)`: a static method of a class imported from module `q`'s
            // parent (the import made `Token` an alias of `api.models.Token`).
            Some(q) => in_module(q).or_else(|| {
                let (parent, class) = q.rsplit_once('.')?;
                class
                    .starts_with(|c: char| c.is_ascii_uppercase())
                    .then(|| in_module(parent))
                    .flatten()
            }),
            None => in_module(&self.module).or_else(|| {
                // A method of an object of unknown type: only a name that says what it
                // is (`get_current_user`), and only one of it in the repository.
                (all.len() == 1 && orig.contains('_')).then(|| all[0])
            }),
        }
    }

    /// The model type of an expression: a constructor, a query returning one instance, a
    /// QuerySet, or a name bound to one of those.
    fn type_of(&self, node: Node<'_>, bindings: &[Binding], pos: usize) -> Option<VarType> {
        self.type_of_at(node, bindings, pos, 0)
    }

    fn type_of_at(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
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
            "attribute"
                if node
                    .field("attribute")
                    .is_some_and(|a| text(src, a) == "__table__") =>
            {
                let m = self.model(node.field("object")?)?;
                Some(VarType::Table {
                    model: m.name.clone(),
                    module: Some(m.module.clone()),
                })
            }
            "await" => node
                .named_child(0)
                .and_then(|n| self.type_of_at(n, bindings, pos, depth + 1)),
            "subscript" => {
                // `LegacyOrder.objects.get_or_create(…)[0]`
                let value = node.field("value")?;
                match self.type_of_at(value, bindings, pos, depth + 1)? {
                    t @ VarType::Instance { .. } => Some(t),
                    VarType::QuerySet { model, module } | VarType::Collection { model, module } => {
                        Some(VarType::Instance {
                            model,
                            module,
                            new: false,
                        })
                    }
                    VarType::Select { .. } | VarType::Table { .. } => None,
                }
            }
            "call" => {
                let function = node.field("function")?;
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
                        .field("arguments")
                        .and_then(|a| named_children(a).into_iter().next())
                        .and_then(|a| self.model(a))
                {
                    return Some(VarType::Instance {
                        model: m.name.clone(),
                        module: Some(m.module.clone()),
                        new: false,
                    });
                }
                if let Some(t) = self.super_form_save_type(node) {
                    return Some(t);
                }
                let chain = Chain::of(node);
                if let Some(t) = self.returned_type(node, &chain, bindings, pos) {
                    return Some(t);
                }
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
                        _ => None,
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
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        let root = chain.root?;
        if root.kind() != "attribute" {
            return None;
        }
        let object = root.field("object")?;
        let attr = text(self.src, root.field("attribute")?);
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

    fn call(&self, call: Node<'_>, bindings: &[Binding], out: &mut FileScan) {
        let src = self.src;
        let chain = Chain::of(call);
        if chain.links.is_empty() {
            return;
        }
        let methods = chain.methods(src);
        let pos = call.start_byte();
        // 0. `Model.query.…`, `obj.rel.…`, peewee's `Model.select()…`.
        if self.model_rooted_chain(call, &chain, &methods, bindings, out) {
            return;
        }
        // 1. Django: `Model.objects.…`.
        if let Some(model) = self.manager_root(&chain, bindings, pos) {
            let attr = chain
                .root
                .and_then(|r| r.field("attribute"))
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
        // 2b. `super().delete()` in a model's override or a ModelForm's method.
        if self.super_call(call, &chain, out) || self.form_save_call(call, &chain, out) {
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
                // `t = LegacyOrder.__table__` then `t.update()`: the table's own methods.
                Some(VarType::Table { model, module }) => {
                    if let (Some(m), Some(first)) =
                        (self.lookup(&model, module.as_deref()), methods.first())
                        && let Some(rule) =
                            self.catalog()
                                .lookup(&[&m.framework], OrmReceiver::Table, first)
                    {
                        self.report(call, m, rule, first, Vec::new(), out);
                    }
                    return;
                }
                Some(VarType::Collection { .. } | VarType::Select { .. }) => return,
                None => {}
            }
        }
        // 4. Django: `o.photo.save(name, content)` / `o.photo.delete()` on a file field
        // save the instance as well (unless `save=False`).
        if let Some(root) = chain.root.filter(|r| r.kind() == "attribute")
            && let (Some(object), Some(field)) = (root.field("object"), root.field("attribute"))
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
                            && k.field("name").is_some_and(|n| text(src, n) == "save")
                            && k.field("value").is_some_and(|v| v.kind() == "false")
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
        bindings: &[Binding],
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
                        .field("attribute")
                        .is_some_and(|a| text(src, a) == "__table__") =>
                {
                    root.field("object").and_then(|o| self.model(o))
                }
                // A `Table` object (no bases), or a mapped class whose base gives it the
                // table's statements (Alchemical's `User.select()`, `Token.delete()`).
                "identifier" | "attribute" => self.model(root).filter(|m| {
                    m.framework == "sqlalchemy"
                        && (m.bases.is_empty()
                            || matches!(first_method, "select" | "insert" | "update" | "delete"))
                }),
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
        // Flask-SQLAlchemy's `db.select(…)` / `db.delete(…)` are SQLAlchemy's functions.
        let db_function = chain.root.is_some_and(|r| text(src, r) == "db")
            && catalog
                .lookup(&["sqlalchemy"], OrmReceiver::Function, first_method)
                .is_some();
        let receiver = if first.bare
            || db_function
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
            // `select(func.count()).select_from(User)`, `….where(User.email == e)`: the
            // first model the rest of the chain names.
            let first_model = |a: Node<'_>| {
                all_nodes(a)
                    .into_iter()
                    .take(256)
                    .filter(|n| matches!(n.kind(), "identifier" | "attribute"))
                    .find_map(|n| self.model(n).filter(|m| m.framework == "sqlalchemy"))
            };
            arg(i).and_then(first_model).or_else(|| {
                chain.links[1..]
                    .iter()
                    .filter_map(|l| l.args)
                    .find_map(first_model)
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
        if rule.access == Some(Access::Read) {
            self.joined_reads(call, chain, model, out);
        }
    }

    /// The model of an instance argument: `LegacyOrder(…)`, a typed variable, a list of them.
    fn instance_model(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a ModelDecl> {
        self.instance_model_at(node, bindings, pos, 0)
    }

    fn instance_model_at(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
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
            return self.instance_model_at(node.field("body")?, bindings, pos, depth + 1);
        }
        if matches!(node.kind(), "list" | "tuple" | "set") {
            return named_children(node)
                .into_iter()
                .find_map(|n| self.instance_model_at(n, bindings, pos, depth + 1));
        }
        match self.type_of(node, bindings, pos)? {
            VarType::Instance { model, module, .. } | VarType::Collection { model, module } => {
                self.lookup(&model, module.as_deref())
            }
            VarType::QuerySet { .. } | VarType::Select { .. } | VarType::Table { .. } => None,
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
        let site = self.site(call, method, model);
        let mut push = |table: String, access, operation, via: Vec<String>| {
            let found = site.finding(table, access, operation, rule.kind, Confidence::Inferred);
            out.findings.push(found.via(via));
        };
        if let Some(table) = &model.legacy {
            push(table.clone(), access, operation, via.clone());
            // `get_or_create` selects before it inserts.
            if model.framework == "django" && super::django_views::reads_before_write(method) {
                push(table.clone(), Access::Read, Operation::Select, via.clone());
            }
        }
        // Joined-table inheritance: a subclass with a table of its own also reads and
        // writes its parent's rows.
        for parent in self.joined_parents(model) {
            if let Some(table) = parent
                .legacy
                .as_ref()
                .filter(|t| model.legacy.as_ref() != Some(*t))
            {
                let mut chain = via.clone();
                chain.push(format!("{} inherits {} (joined)", model.name, parent.name));
                push(table.clone(), access, operation, chain);
            }
        }
        if operation == Operation::Delete {
            // A bulk SQLAlchemy delete (`query.delete()`, `delete(Model)`) skips the ORM's
            // relationship cascades; only the database's own (`ondelete=`) follow.
            let bulk = model.framework == "sqlalchemy"
                && !matches!(rule.receiver, OrmReceiver::Session | OrmReceiver::Instance);
            for (path, child) in self.models().cascade_chains(Language::Python, &model.name) {
                if bulk
                    && path
                        .iter()
                        .any(|c| c.framework != crate::orm::DATABASE_CASCADE)
                {
                    continue;
                }
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
