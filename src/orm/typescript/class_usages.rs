//! TypeORM entities and Sequelize models, pass 2 (their pass 1: `typeorm_models`,
//! `sequelize_models`): one parsed file in, findings for the calls that read or write the
//! table of a model class out.
//!
//! A call `E.method(…)` is resolved by what `E` is:
//! - a model class (`LegacyOrder`, an import alias, `db.LegacyOrder`,
//!   `sequelize.models.LegacyOrder`, `X.scope("open")`, `this` in a model's static
//!   method): Sequelize statics (receiver `table`) and TypeORM `BaseEntity` statics
//!   (receiver `manager`);
//! - a TypeORM repository (`ds.getRepository(X)`, a variable or field bound to one,
//!   `@InjectRepository(X)` / `Repository<X>` parameters and fields, `this` in a class
//!   extending `Repository<X>` or in `.extend({ … })`): receiver `manager`;
//! - a model instance (`new X()`, `X.build/create/findByPk/findOne…(…)`, a parameter typed
//!   `X`, `this` in a model's instance method): receiver `instance`;
//! - anything else: TypeORM `EntityManager` and query-builder methods whose argument is
//!   an entity class (`manager.save(X, …)`, `.insert().into(X)`, `.from(X, "o")`), or an
//!   instance when the receiver is an entity manager (`manager.save(order)`): receiver
//!   `session`.
//!
//! Relations reach further tables: TypeORM `relations: […]`, `eager: true` relations on
//! `find*`, and query-builder joins by alias (`.leftJoin("o.items", "i")`); Sequelize
//! `include: [X]` and association accessors on instances (`order.getItems()`).
//!
//! What each method does is the `[[orm]]` rows of `catalog/typescript.toml`; rows without
//! an access (`createQueryBuilder`, `from`) take the access of the chain's `query` rows.
//! Names are resolved per function scope (bindings are not followed across functions
//! except class fields through `this`). A delete of a model whose deletion cascades into a
//! legacy table (`onDelete`) also writes that table, with the chain in `via`.

use super::{
    MAX_CHAIN, MAX_NODES, chain_access, decorator_call, decorators, function_at_with, in_template,
    is_class, object_value, outermost,
};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Language, Operation, Site};
use crate::orm::nodes::{all_nodes_within, named_children, text};
use crate::orm::{ModelDecl, ModelIndex};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// Levels of wrapping looked through (`await`, parentheses, `as`, `!`).
const MAX_DEPTH: usize = 16;

/// Methods that return a repository of the entity class in their first argument (sorted).
const REPOSITORY_FACTORIES: &[&str] = &["getMongoRepository", "getRepository", "getTreeRepository"];

/// Generic types whose argument is the entity of a repository (sorted).
const REPOSITORY_TYPES: &[&str] = &[
    "EntityRepository",
    "MongoRepository",
    "Repository",
    "TreeRepository",
];

/// Methods of a model class or repository that return one instance (sorted): a variable
/// bound to their result is an instance of the model.
const INSTANCE_SOURCES: &[&str] = &[
    "build",
    "create",
    "findByPk",
    "findOne",
    "findOneBy",
    "findOneByOrFail",
    "findOneOrFail",
    "preload",
];

/// Calls that take a model class and run no query (sorted): DI and module wiring,
/// Sequelize association declarations, serialisation, metadata, references, `require`.
const NOT_QUERIES: &[&str] = &[
    "InjectModel",
    "InjectRepository",
    "belongsTo",
    "belongsToMany",
    "classToPlain",
    "forFeature",
    "getEntityMetadata",
    "getMetadata",
    "getReference",
    "hasMany",
    "hasOne",
    "instanceToPlain",
    "plainToClass",
    "plainToInstance",
    "require",
    "serialize",
];

/// Generic types that hold their argument's model (sorted): `Promise<Invoice>`,
/// `Array<Invoice>`, MikroORM `Loaded<User, "x">` / `Ref<User>`.
const TYPE_WRAPPERS: &[&str] = &[
    "Array",
    "Loaded",
    "Partial",
    "Promise",
    "Readonly",
    "ReadonlyArray",
    "Ref",
    "Reference",
    "Rel",
];

/// Objection chain methods that load relations by name (sorted).
const GRAPH_METHODS: &[&str] = &[
    "innerJoinRelated",
    "joinRelated",
    "leftJoinRelated",
    "withGraphFetched",
    "withGraphJoined",
];

/// Methods that hand back the model they are called on (sorted).
const MODEL_PASSTHROUGH: &[&str] = &["schema", "scope", "unscoped"];

/// What an expression stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value<'m> {
    Model(&'m ModelDecl),
    Repository(&'m ModelDecl),
    Instance(&'m ModelDecl),
}

struct Usages<'a, 's, 't> {
    file: &'a FileInput<'s>,
    src: &'s str,
    models: &'a ModelIndex,
    catalog: &'a OrmCatalog,
    /// Local names of imported models: `LO` → `LegacyOrder`.
    aliases: HashMap<&'s str, String>,
    /// Where an imported name comes from: `LO` → `../entities/order`.
    sources: HashMap<&'s str, String>,
    /// `(scope start byte, name)` → what the name is bound to; `None` when bound to two
    /// different things (left unresolved).
    bindings: HashMap<(usize, String), Option<Value<'a>>>,
    index: LineIndex,
    /// Each node's parent by node id: `Node::parent` walks down from the root, so walking
    /// up a deep tree with it would cost the depth squared.
    parents: HashMap<usize, Node<'t>>,
    /// Functions and methods of this file by name → what their declared return type
    /// says (`async function load(): Promise<Invoice>`); `None` when two disagree.
    returns: HashMap<&'s str, Option<Value<'a>>>,
}

pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let models = &file.ctx.models;
    if !models
        .models()
        .iter()
        .any(|m| is_class_framework(&m.framework))
    {
        return;
    }
    let nodes = all_nodes_within(tree.root_node(), MAX_NODES);
    let mut u = Usages {
        file,
        src: file.text,
        models,
        catalog: file.ctx.orm_catalog(file.language),
        aliases: HashMap::new(),
        sources: HashMap::new(),
        bindings: HashMap::new(),
        index: LineIndex::new(file.text),
        parents: HashMap::new(),
        returns: HashMap::new(),
    };
    for &n in &nodes {
        let mut cursor = n.walk();
        for c in n.children(&mut cursor) {
            u.parents.insert(c.id(), n);
        }
    }
    u.collect_aliases(&nodes);
    u.collect_returns(&nodes);
    // Twice: an instance may come from a repository bound earlier in the walk order
    // (`const o = await this.repo.findOneBy(…)` with the field declared below).
    for _ in 0..2 {
        u.collect_bindings(&nodes);
    }
    for &call in &nodes {
        if call.kind() == "call_expression" {
            u.call(call, out);
        }
    }
}

impl<'a, 's, 't> Usages<'a, 's, 't> {
    fn text(&self, node: Node<'_>) -> &'s str {
        text(self.src, node)
    }

    fn parent(&self, node: Node<'_>) -> Option<Node<'t>> {
        self.parents.get(&node.id()).copied()
    }

    /// The calls chained after `call` (`call.a(…).b(…)`), each with its method name, at most
    /// `MAX_CHAIN`.
    fn chained_calls(&self, call: Node<'t>) -> Vec<(Node<'t>, &'s str)> {
        let mut out = Vec::new();
        let mut at = call;
        while out.len() < MAX_CHAIN {
            let Some(member) = self
                .parent(at)
                .filter(|p| p.kind() == "member_expression" && p.field("object") == Some(at))
            else {
                break;
            };
            let Some(next) = self
                .parent(member)
                .filter(|c| c.kind() == "call_expression")
            else {
                break;
            };
            let method = member.field("property").map_or("", |p| self.text(p));
            out.push((next, method));
            at = next;
        }
        out
    }

    /// The scope a binding made at `node` belongs to: the nearest function, class body or
    /// the program.
    fn scope_of(&self, node: Node<'_>) -> usize {
        let mut at = self.parent(node);
        while let Some(n) = at {
            if is_scope(n) {
                return n.start_byte();
            }
            at = self.parent(n);
        }
        0
    }

    /// The class body around a node (for `this.field`).
    fn class_body_of(&self, node: Node<'_>) -> Option<Node<'t>> {
        let mut at = self.parent(node);
        while let Some(n) = at {
            if n.kind() == "class_body" {
                return Some(n);
            }
            at = self.parent(n);
        }
        None
    }

    /// `import { LegacyOrder as LO }`, `const { LegacyOrder: LO } = require(…)`, and a
    /// default import of a file declaring exactly one model.
    fn collect_aliases(&mut self, nodes: &[Node<'_>]) {
        for &n in nodes {
            match n.kind() {
                "import_specifier" => {
                    if let (Some(name), Some(alias)) = (n.field("name"), n.field("alias")) {
                        self.aliases
                            .insert(self.text(alias), self.text(name).to_string());
                    }
                }
                "pair_pattern" => {
                    if let (Some(key), Some(value)) = (n.field("key"), n.field("value"))
                        && value.kind() == "identifier"
                    {
                        self.aliases
                            .insert(self.text(value), self.text(key).to_string());
                    }
                }
                "import_statement" => {
                    let Some(source) = n
                        .field("source")
                        .and_then(|s| super::string_value(self.src, s))
                    else {
                        continue;
                    };
                    // `import { Post } from "./entity/Post"`: which file's `Post`.
                    for spec in named_children(n)
                        .into_iter()
                        .filter(|c| c.kind() == "import_clause")
                        .flat_map(named_children)
                        .filter(|c| c.kind() == "named_imports")
                        .flat_map(named_children)
                        .filter(|c| c.kind() == "import_specifier")
                    {
                        if let Some(local) = spec.field("alias").or_else(|| spec.field("name")) {
                            self.sources.insert(self.text(local), source.clone());
                        }
                    }
                    let Some(default) = named_children(n)
                        .into_iter()
                        .filter(|c| c.kind() == "import_clause")
                        .flat_map(named_children)
                        .find(|c| c.kind() == "identifier")
                    else {
                        continue;
                    };
                    if let Some(model) = self.default_export(&source) {
                        self.aliases.insert(self.text(default), model);
                        self.sources.insert(self.text(default), source);
                    }
                }
                // `const { Post } = require("./entity/Post")`.
                "variable_declarator" => {
                    let (Some(pattern), Some(value)) = (n.field("name"), n.field("value")) else {
                        continue;
                    };
                    if pattern.kind() != "object_pattern" || value.kind() != "call_expression" {
                        continue;
                    }
                    let is_require = value
                        .field("function")
                        .is_some_and(|f| self.text(f) == "require");
                    let Some(source) = value
                        .field("arguments")
                        .and_then(|a| named_children(a).into_iter().next())
                        .and_then(|a| super::string_value(self.src, a))
                        .filter(|_| is_require)
                    else {
                        continue;
                    };
                    for p in named_children(pattern) {
                        let local = match p.kind() {
                            "shorthand_property_identifier_pattern" => Some(p),
                            "pair_pattern" => p.field("value"),
                            _ => None,
                        };
                        if let Some(local) = local {
                            self.sources.insert(self.text(local), source.clone());
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The model declared by the file an import path names, when it declares exactly one.
    fn default_export(&self, source: &str) -> Option<String> {
        if !source.starts_with('.') {
            return None;
        }
        let target = join(self.file.rel, source);
        let found: Vec<&ModelDecl> = self
            .models
            .models()
            .iter()
            .filter(|m| is_class_framework(&m.framework))
            .filter(|m| {
                let stem = m.file.rsplit_once('.').map(|(s, _)| s).unwrap_or(&m.file);
                stem == target || stem == format!("{target}/index")
            })
            .collect();
        match found.as_slice() {
            [one] => Some(one.name.clone()),
            _ => None,
        }
    }

    /// A model called `name` (as written here, through import aliases).
    /// When several files declare a model of that name (a monorepo, test fixtures), the
    /// one the import path names wins, then the one of this file; if they still disagree
    /// on the table, the name is left unresolved.
    /// The model a relation field of `owner` holds (`order.customer` → `Customer`).
    fn related_model(&self, owner: &ModelDecl, field: &str) -> Option<&'a ModelDecl> {
        owner
            .associations
            .iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, target)| self.model_named(target))
    }

    fn model_named(&self, name: &str) -> Option<&'a ModelDecl> {
        let local = name;
        let name = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        let found: Vec<&'a ModelDecl> = [Language::TypeScript, Language::JavaScript]
            .into_iter()
            .flat_map(|l| self.models.find(l, name))
            .filter(|m| is_class_framework(&m.framework))
            .collect();
        if found.len() <= 1 {
            return found.first().copied();
        }
        let stem = |m: &ModelDecl| {
            m.file
                .rsplit_once('.')
                .map(|(s, _)| s.to_string())
                .unwrap_or_else(|| m.file.clone())
        };
        if let Some(source) = self.sources.get(local).filter(|s| s.starts_with('.')) {
            let target = join(self.file.rel, source);
            if let Some(m) = found
                .iter()
                .find(|m| stem(m) == target || stem(m) == format!("{target}/index"))
            {
                return Some(*m);
            }
        }
        if let Some(m) = found.iter().find(|m| m.file == self.file.rel) {
            return Some(*m);
        }
        let first = found[0];
        found
            .iter()
            .all(|m| m.legacy == first.legacy && m.name == first.name)
            .then_some(first)
    }

    fn collect_bindings(&mut self, nodes: &[Node<'_>]) {
        for &n in nodes {
            match n.kind() {
                "variable_declarator" => {
                    let Some(name) = n.field("name") else {
                        continue;
                    };
                    let value = n
                        .field("value")
                        .and_then(|v| self.value_of(v, 0))
                        .or_else(|| n.field("type").and_then(|t| self.value_of_type(t)));
                    match name.kind() {
                        "identifier" => {
                            if let Some(v) = value {
                                self.bind(self.scope_of(n), self.text(name).to_string(), v);
                            }
                        }
                        // `const { LegacyOrder } = db` / `= sequelize.models`.
                        "object_pattern" => {
                            for p in named_children(name) {
                                let local = match p.kind() {
                                    "shorthand_property_identifier_pattern" => Some(p),
                                    "pair_pattern" => p.field("value"),
                                    _ => None,
                                };
                                let key = match p.kind() {
                                    "pair_pattern" => p.field("key"),
                                    _ => Some(p),
                                };
                                if let (Some(local), Some(key)) = (local, key)
                                    && let Some(m) = self.model_named(self.text(key))
                                {
                                    self.bind(
                                        self.scope_of(n),
                                        self.text(local).to_string(),
                                        Value::Model(m),
                                    );
                                }
                            }
                        }
                        _ => {}
                    }
                }
                "assignment_expression" => {
                    let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                        continue;
                    };
                    let Some(v) = self.value_of(right, 0) else {
                        continue;
                    };
                    match left.kind() {
                        "identifier" => self.bind(self.scope_of(n), self.text(left).to_string(), v),
                        "member_expression" => {
                            if let (Some(obj), Some(prop), Some(class)) = (
                                left.field("object"),
                                left.field("property"),
                                self.class_body_of(n),
                            ) && obj.kind() == "this"
                            {
                                self.bind(class.start_byte(), self.text(prop).to_string(), v);
                            }
                        }
                        _ => {}
                    }
                }
                "public_field_definition" => {
                    let (Some(name), Some(class)) = (n.field("name"), self.parent(n)) else {
                        continue;
                    };
                    if let Some(v) = self.declared_value(n) {
                        self.bind(class.start_byte(), self.text(name).to_string(), v);
                    }
                }
                "required_parameter" | "optional_parameter" => {
                    let Some(name) = n.field("pattern").filter(|p| p.kind() == "identifier") else {
                        continue;
                    };
                    let Some(v) = self.declared_value(n) else {
                        continue;
                    };
                    let name = self.text(name).to_string();
                    if let Some(f) = self.parent(n).and_then(|p| self.parent(p)) {
                        self.bind(f.start_byte(), name.clone(), v);
                    }
                    // A constructor parameter property is a field of the class too.
                    let is_property = named_children(n)
                        .iter()
                        .any(|c| matches!(c.kind(), "accessibility_modifier" | "readonly"))
                        || n.children(&mut n.walk()).any(|c| c.kind() == "readonly");
                    if is_property && let Some(class) = self.class_body_of(n) {
                        self.bind(class.start_byte(), name, v);
                    }
                }
                _ => {}
            }
        }
    }

    /// A field's or parameter's value from its decorator (`@InjectRepository(X)`), its
    /// type (`Repository<X>`, `X`) or its initial value.
    fn declared_value(&self, n: Node<'_>) -> Option<Value<'a>> {
        for d in named_children(n)
            .into_iter()
            .filter(|c| c.kind() == "decorator")
        {
            if let Some((name, args)) = decorator_call(self.src, d)
                && name == "InjectRepository"
                && let Some(m) = args.first().and_then(|a| self.model_of(*a, 0))
            {
                return Some(Value::Repository(m));
            }
        }
        n.field("type")
            .and_then(|t| self.value_of_type(t))
            .or_else(|| n.field("value").and_then(|v| self.value_of(v, 0)))
    }

    /// The declared return types of this file's functions and methods, by name.
    fn collect_returns(&mut self, nodes: &[Node<'_>]) {
        for &n in nodes {
            let (name, function) = match n.kind() {
                "function_declaration" | "method_definition" => (n.field("name"), n),
                "variable_declarator" => match n.field("value") {
                    Some(v) if matches!(v.kind(), "arrow_function" | "function_expression") => {
                        (n.field("name"), v)
                    }
                    _ => continue,
                },
                _ => continue,
            };
            let (Some(name), Some(returns)) = (name, function.field("return_type")) else {
                continue;
            };
            let value = self.value_of_type(returns);
            let entry = self.returns.entry(self.text(name)).or_insert(value);
            if *entry != value {
                *entry = None;
            }
        }
    }

    /// `Repository<X>` → a repository of X; `X`, `X[]`, `Promise<X>`, `X | null`,
    /// `Loaded<X, …>` → an instance of X.
    fn value_of_type(&self, t: Node<'_>) -> Option<Value<'a>> {
        self.value_of_type_at(t, 0)
    }

    fn value_of_type_at(&self, t: Node<'_>, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let t = if t.kind() == "type_annotation" {
            named_children(t).into_iter().next()?
        } else {
            t
        };
        match t.kind() {
            "array_type" | "parenthesized_type" | "readonly_type" => {
                self.value_of_type_at(named_children(t).into_iter().next()?, depth + 1)
            }
            // `Invoice | null`: the model among the members, when only one is.
            "union_type" => {
                let found: Vec<Value<'a>> = named_children(t)
                    .into_iter()
                    .filter_map(|m| self.value_of_type_at(m, depth + 1))
                    .collect();
                match found.as_slice() {
                    [one] => Some(*one),
                    _ => None,
                }
            }
            "generic_type" if TYPE_WRAPPERS.contains(&self.text(t.field("name")?)) => {
                let arg = named_children(t.field("type_arguments")?)
                    .into_iter()
                    .next()?;
                self.value_of_type_at(arg, depth + 1)
            }
            "type_identifier" => {
                let name = self.text(t);
                self.model_named(name)
                    .map(Value::Instance)
                    .or_else(|| self.repository_class(name).map(Value::Repository))
            }
            "generic_type" => {
                let name = self.text(t.field("name")?);
                if !REPOSITORY_TYPES.contains(&name) {
                    return None;
                }
                let arg = named_children(t.field("type_arguments")?)
                    .into_iter()
                    .next()?;
                self.model_named(self.text(arg)).map(Value::Repository)
            }
            _ => None,
        }
    }

    /// The entity whose declaration names `class` as its repository (MikroORM
    /// `@Entity({ repository: () => UserRepository })`), when exactly one does.
    fn repository_class(&self, class: &str) -> Option<&'a ModelDecl> {
        let found: Vec<&'a ModelDecl> = self
            .models
            .models()
            .iter()
            .filter(|m| {
                m.options
                    .iter()
                    .any(|(k, v)| k == "repository" && v == class)
            })
            .collect();
        match found.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    fn bind(&mut self, scope: usize, name: String, value: Value<'a>) {
        let entry = self.bindings.entry((scope, name)).or_insert(Some(value));
        if *entry != Some(value) {
            *entry = None;
        }
    }

    /// What an identifier means at `at`: the innermost scope's binding, else a model name.
    fn lookup(&self, name: &str, at: Node<'_>) -> Option<Value<'a>> {
        let mut node = Some(at);
        while let Some(n) = node {
            if is_scope(n)
                && let Some(v) = self.bindings.get(&(n.start_byte(), name.to_string()))
            {
                return *v;
            }
            node = self.parent(n);
        }
        self.model_named(name).map(Value::Model)
    }

    /// The model class an expression names, if it names one.
    fn model_of(&self, node: Node<'_>, depth: usize) -> Option<&'a ModelDecl> {
        match self.value_of(node, depth)? {
            Value::Model(m) => Some(m),
            _ => None,
        }
    }

    /// What an expression stands for, looking through wrappers.
    fn value_of(&self, node: Node<'_>, depth: usize) -> Option<Value<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match node.kind() {
            "await_expression"
            | "parenthesized_expression"
            | "as_expression"
            | "non_null_expression"
            | "satisfies_expression" => {
                self.value_of(named_children(node).into_iter().next()?, depth + 1)
            }
            "identifier" => self.lookup(self.text(node), node),
            "this" => self.this_value(node),
            "member_expression" => {
                let object = node.field("object")?;
                let property = self.text(node.field("property")?);
                if object.kind() == "this"
                    && let Some(class) = self.class_body_of(node)
                    && let Some(v) = self
                        .bindings
                        .get(&(class.start_byte(), property.to_string()))
                {
                    return *v;
                }
                // `db.LegacyOrder`, `sequelize.models.LegacyOrder`, `entities.LegacyOrder`.
                let m = self.model_named(property)?;
                (m.name == property || m.aliases.iter().any(|a| a == property))
                    .then_some(Value::Model(m))
            }
            "new_expression" => {
                let ctor = node.field("constructor")?;
                self.model_of(ctor, depth + 1).map(Value::Instance)
            }
            "call_expression" => self.call_value(node, depth),
            _ => None,
        }
    }

    /// What a call returns: a repository, an instance, or the model itself.
    fn call_value(&self, call: Node<'_>, depth: usize) -> Option<Value<'a>> {
        let callee = call.field("function")?;
        let args = named_children(call.field("arguments")?);
        let (object, method) = match callee.kind() {
            "member_expression" => (callee.field("object"), self.text(callee.field("property")?)),
            "identifier" => (None, self.text(callee)),
            _ => return None,
        };
        if REPOSITORY_FACTORIES.contains(&method) {
            return args
                .first()
                .and_then(|a| self.model_of(*a, depth + 1))
                .filter(|m| m.framework == "typeorm")
                .map(Value::Repository);
        }
        let object_value = object.and_then(|o| self.value_of(o, depth + 1));
        // `loadInvoice(id)`, `this.loadInvoice(id)`: a function of this file whose return
        // type names the model.
        let own = object.is_none_or(|o| o.kind() == "this");
        if own
            && object_value.is_none()
            && let Some(Some(v)) = self.returns.get(method)
        {
            return Some(*v);
        }
        match (object_value, method) {
            // A custom repository: `getRepository(X).extend({ … })`.
            (Some(Value::Repository(m)), "extend") => Some(Value::Repository(m)),
            (Some(Value::Model(m)), _) if MODEL_PASSTHROUGH.contains(&method) => {
                Some(Value::Model(m))
            }
            (Some(Value::Model(m) | Value::Repository(m)), _)
                if INSTANCE_SOURCES.contains(&method) =>
            {
                Some(Value::Instance(m))
            }
            // `manager.create(X, …)`, `manager.findOneBy(X, …)`.
            (None, _) if INSTANCE_SOURCES.contains(&method) => args
                .first()
                .and_then(|a| self.model_of(*a, depth + 1))
                .filter(|m| m.framework == "typeorm")
                .map(Value::Instance),
            _ => None,
        }
    }

    /// `this` in a model's method (the class in a static method, an instance otherwise),
    /// in a class extending `Repository<X>` or decorated `@EntityRepository(X)`, or in a
    /// method of `getRepository(X).extend({ … })`.
    fn this_value(&self, this: Node<'_>) -> Option<Value<'a>> {
        let mut at = self.parent(this);
        let mut is_static = false;
        while let Some(n) = at {
            match n.kind() {
                "method_definition" => {
                    is_static = n.children(&mut n.walk()).any(|c| c.kind() == "static");
                    if let Some(object) = self.parent(n).filter(|p| p.kind() == "object") {
                        let call = self
                            .parent(object)
                            .filter(|a| a.kind() == "arguments")
                            .and_then(|a| self.parent(a))?;
                        let callee = call.field("function")?;
                        if callee.kind() == "member_expression"
                            && callee.field("property").map(|p| self.text(p)) == Some("extend")
                        {
                            return match self.value_of(callee.field("object")?, 1) {
                                Some(Value::Repository(m)) => Some(Value::Repository(m)),
                                _ => None,
                            };
                        }
                        return None;
                    }
                }
                "function_declaration" | "function_expression" | "function" => return None,
                _ if is_class(n) => return self.class_this(n, is_static),
                _ => {}
            }
            at = self.parent(n);
        }
        None
    }

    fn class_this(&self, class: Node<'_>, is_static: bool) -> Option<Value<'a>> {
        let name = self.text(class.field("name")?);
        if let Some(m) = self
            .model_named(name)
            .filter(|m| m.name == name && m.file == self.file.rel)
        {
            return Some(if is_static {
                Value::Model(m)
            } else {
                Value::Instance(m)
            });
        }
        for d in decorators(class) {
            if let Some((n, args)) = decorator_call(self.src, d)
                && n == "EntityRepository"
                && let Some(m) = args.first().and_then(|a| self.model_of(*a, 1))
            {
                return Some(Value::Repository(m));
            }
        }
        // `class OrderRepository extends Repository<LegacyOrder>`.
        let heritage_node = named_children(class)
            .into_iter()
            .find(|c| c.kind() == "class_heritage")?;
        for clause in named_children(heritage_node) {
            let (Some(value), Some(args)) = (clause.field("value"), clause.field("type_arguments"))
            else {
                continue;
            };
            if REPOSITORY_TYPES.contains(&self.text(value))
                && let Some(arg) = named_children(args).into_iter().next()
                && let Some(m) = self.model_named(self.text(arg))
            {
                return Some(Value::Repository(m));
            }
        }
        None
    }

    /// Whether a TypeORM entity has `BaseEntity`'s static methods.
    fn active_record(&self, m: &ModelDecl) -> bool {
        let mut seen = vec![m.name.clone()];
        let mut bases = m.bases.clone();
        while let Some(b) = bases.pop() {
            if b.ends_with("BaseEntity") {
                return true;
            }
            if seen.len() > MAX_DEPTH || seen.contains(&b) {
                continue;
            }
            seen.push(b.clone());
            if let Some(parent) = self.model_named(&b) {
                bases.extend(parent.bases.iter().cloned());
            }
        }
        false
    }

    /// Resolve one call and report it.
    fn call(&self, call: Node<'_>, out: &mut FileScan) {
        let Some(callee) = call.field("function") else {
            return;
        };
        if callee.kind() == "identifier" {
            // `fetchOrThrow(ctx, Invoice, id)`.
            let args = call
                .field("arguments")
                .map(named_children)
                .unwrap_or_default();
            self.generic_call(call, self.text(callee), &args, out);
            return;
        }
        if callee.kind() != "member_expression" {
            return;
        }
        let (Some(object), Some(method)) = (
            callee.field("object"),
            callee.field("property").map(|p| self.text(p)),
        ) else {
            return;
        };
        let args = call
            .field("arguments")
            .map(named_children)
            .unwrap_or_default();
        let found = match self.value_of(object, 0) {
            Some(Value::Model(m)) if matches!(m.framework.as_str(), "sequelize" | "objection") => {
                self.rule(m, OrmReceiver::Table, method)
            }
            Some(Value::Model(m)) if self.active_record(m) => {
                self.rule(m, OrmReceiver::Manager, method)
            }
            Some(Value::Repository(m)) => self.rule(m, OrmReceiver::Manager, method),
            Some(Value::Instance(m)) => self.rule(m, OrmReceiver::Instance, method),
            _ => None,
        };
        if found.is_none()
            && let Some(Value::Instance(m)) = self.value_of(object, 0)
            && m.framework == "sequelize"
            && let Some((target, rule, via)) = self.mixin(m, method)
        {
            if !in_template(call) {
                let (access, operation) = (
                    rule.access.unwrap_or(Access::Read),
                    rule.operation.unwrap_or(Operation::Unknown),
                );
                self.report(call, target, &rule, (access, operation, method), &via, out);
            }
            return;
        }
        let found = found.or_else(|| self.session_call(object, method, &args));
        // Checked last: `Node::parent` walks down from the root, so upward walks cost the
        // tree's depth and only resolved calls pay for them.
        let Some((model, rule)) = found.filter(|_| !in_template(call)) else {
            if !matches!(
                self.value_of(object, 0),
                Some(Value::Repository(_) | Value::Instance(_))
            ) {
                self.generic_call(call, method, &args, out);
            }
            return;
        };
        // A row without an access (`createQueryBuilder`, `from`) takes the chain's: the
        // method that decides it names the finding (`delete` in `.delete().from(X)`).
        let (access, operation, method) = match rule.access {
            Some(a) => (
                a,
                rule.operation.unwrap_or(Operation::Unknown),
                rule.method.clone(),
            ),
            None => chain_access(self.src, call, self.catalog, &rule.framework),
        };
        self.report(call, model, rule, (access, operation, &method), &[], out);
    }

    /// A legacy model class handed to a call no row knows (`getRepository(ctx, Invoice)`
    /// → the methods called on what it returns; `fetchOrThrow(ctx, Invoice, id)`,
    /// `utils.purge(Invoice)`): the shared vocabulary classifies the call by its name;
    /// a name it does not know is reported unresolved, never dropped.
    fn generic_call(&self, call: Node<'_>, method: &str, args: &[Node<'_>], out: &mut FileScan) {
        if NOT_QUERIES.contains(&method)
            || REPOSITORY_FACTORIES.contains(&method)
            || MODEL_PASSTHROUGH.contains(&method)
        {
            return;
        }
        let Some(model) = args
            .iter()
            .filter(|a| matches!(a.kind(), "identifier" | "member_expression"))
            .find_map(|a| self.model_of(*a, 0))
            .filter(|m| m.legacy.is_some())
        else {
            return;
        };
        if in_template(call) || self.in_decorator(call) {
            return;
        }
        let rule = OrmRule {
            framework: model.framework.clone(),
            receiver: OrmReceiver::Session,
            method: method.to_string(),
            access: None,
            operation: None,
            model_arg: None,
            instance_arg: None,
            table_arg: None,
            kind: crate::model::Kind::Orm,
        };
        match crate::catalog::Vocabulary::builtin().classify(method) {
            Some((access, operation)) => {
                let via = vec![format!("{method}({})", model.name)];
                self.report(call, model, &rule, (access, operation, method), &via, out);
            }
            None => {
                let site = Site {
                    function: function_at_with(self.src, call, |n| self.parent(n)),
                    evidence: evidence(self.text(outermost(call))),
                    sink: Some(method.to_string()),
                    framework: Some(framework_name(model)),
                    ..self.file.site_at(&self.index, call.start_byte())
                };
                let reason = format!(
                    "model {} is handed to `{method}`, which cutover does not know",
                    model.name
                );
                if let Some(table) = &model.legacy {
                    out.findings
                        .push(site.unresolved(table.clone(), rule.kind, reason));
                }
            }
        }
    }

    /// Whether a call is a decorator's (`@InjectRepository(X)`, `@ManyToOne(X)`).
    fn in_decorator(&self, call: Node<'_>) -> bool {
        let mut at = self.parent(call);
        for _ in 0..4 {
            match at {
                Some(n) if n.kind() == "decorator" => return true,
                Some(n) => at = self.parent(n),
                None => return false,
            }
        }
        false
    }

    fn rule(
        &self,
        m: &'a ModelDecl,
        receiver: OrmReceiver,
        method: &str,
    ) -> Option<(&'a ModelDecl, &'a OrmRule)> {
        is_mikroorm(m)
            .then(|| self.catalog.lookup(&["mikroorm"], receiver, method))
            .flatten()
            .or_else(|| {
                self.catalog
                    .lookup(&[m.framework.as_str()], receiver, method)
            })
            .map(|r| (m, r))
    }

    /// `EntityManager` and query-builder calls that take the entity class (or, on an
    /// entity manager, an instance) as an argument.
    fn session_call(
        &self,
        object: Node<'_>,
        method: &str,
        args: &[Node<'_>],
    ) -> Option<(&'a ModelDecl, &'a OrmRule)> {
        // A MikroORM entity takes MikroORM's row (`em.create` writes there, not in
        // TypeORM), then TypeORM's; a TypeORM entity only TypeORM's.
        for framework in ["mikroorm", "typeorm"] {
            let Some(rule) = self
                .catalog
                .lookup(&[framework], OrmReceiver::Session, method)
            else {
                continue;
            };
            if let Some(m) = self.session_model(object, rule, args)
                && (framework == "typeorm" || is_mikroorm(m))
            {
                return Some((m, rule));
            }
        }
        None
    }

    /// The entity an entity-manager call is about: its class argument, or (on a receiver
    /// named like an entity manager) its instance argument.
    fn session_model(
        &self,
        object: Node<'_>,
        rule: &OrmRule,
        args: &[Node<'_>],
    ) -> Option<&'a ModelDecl> {
        let typeorm = |m: &&'a ModelDecl| m.framework == "typeorm";
        if let Some(m) = rule
            .model_arg
            .and_then(|i| args.get(i))
            .and_then(|a| self.model_of(*a, 0))
            .filter(typeorm)
        {
            return Some(m);
        }
        let receiver = match object.kind() {
            "member_expression" => object.field("property").map(|p| self.text(p)).unwrap_or(""),
            _ => self.text(object),
        };
        let manager = receiver.to_ascii_lowercase().contains("manager") || receiver == "em";
        if !manager {
            return None;
        }
        match rule
            .instance_arg
            .and_then(|i| args.get(i))
            .and_then(|a| self.value_of(*a, 0))
        {
            Some(Value::Instance(m)) if m.framework == "typeorm" => Some(m),
            _ => None,
        }
    }

    /// The model a cascade's child names: the class of that name in the file declaring
    /// the cascade when it sits on the child (`@ManyToOne(…, { onDelete })`); otherwise
    /// (`Parent.hasMany(Child, …)`) the usage file's imports say nothing, and among models
    /// of that name only an unambiguous legacy status counts.
    fn cascade_child(&self, name: &str, file: &str) -> Option<&'a ModelDecl> {
        let found: Vec<&'a ModelDecl> = [Language::TypeScript, Language::JavaScript]
            .into_iter()
            .flat_map(|l| self.models.find(l, name))
            .filter(|m| is_class_framework(&m.framework))
            .collect();
        if let Some(m) = found.iter().find(|m| !file.is_empty() && m.file == file) {
            return Some(*m);
        }
        let first = *found.first()?;
        found
            .iter()
            .all(|m| m.legacy == first.legacy)
            .then_some(first)
    }

    /// A Sequelize association accessor on an instance of `owner` (`order.getItems()`,
    /// `order.setCustomer(c)`): the model whose table it reaches, what it does, and the
    /// association in `via`.
    fn mixin(
        &self,
        owner: &'a ModelDecl,
        method: &str,
    ) -> Option<(&'a ModelDecl, OrmRule, Vec<String>)> {
        use super::sequelize_models::{MIXINS, MixinTable};
        use crate::orm::naming::{pluralize, singularize};
        let upper_first = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        for a in self
            .models
            .sequelize_associations()
            .iter()
            .filter(|a| a.owner == owner.name)
        {
            let Some(target) = self
                .model_named(&a.target)
                .filter(|m| m.framework == "sequelize")
            else {
                continue;
            };
            let model_name = target
                .options
                .iter()
                .find(|(k, _)| k == "modelName")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| target.name.clone());
            let (singular, plural) = match (&a.alias, a.kind.as_str()) {
                (Some(alias), "hasMany") => (singularize(alias), alias.clone()),
                (Some(alias), _) => (alias.clone(), pluralize(alias)),
                (None, _) => (model_name.clone(), pluralize(&model_name)),
            };
            let hit = MIXINS.iter().find(|(kind, prefix, is_plural, ..)| {
                *kind == a.kind
                    && method.strip_prefix(prefix).is_some_and(|rest| {
                        rest == upper_first(if *is_plural { &plural } else { &singular })
                    })
            });
            let Some((kind, _, _, table, access, operation)) = hit else {
                continue;
            };
            let model = match table {
                MixinTable::Owner => owner,
                MixinTable::Target => target,
            };
            let rule = OrmRule {
                framework: "sequelize".to_string(),
                receiver: OrmReceiver::Instance,
                method: method.to_string(),
                access: Some(*access),
                operation: Some(*operation),
                model_arg: None,
                instance_arg: None,
                table_arg: None,
                kind: crate::model::Kind::Orm,
            };
            let via = vec![format!("{}.{kind}({})", owner.name, target.name)];
            return Some((model, rule, via));
        }
        None
    }

    /// Tables a call reaches through the model's relations: Sequelize `include: [X]` /
    /// `include: [{ model: X, include: […] }]` (read by a read; inserted by `create` /
    /// `bulkCreate`), TypeORM `relations: ["items", "items.product"]` or `relations: {
    /// items: true }` on a read (the relation fields pass 1 recorded).
    fn related(
        &self,
        model: &'a ModelDecl,
        args: &[Node<'_>],
        access: Access,
        method: &str,
    ) -> Vec<(&'a ModelDecl, Access, Operation, Vec<String>)> {
        let (access, operation) = match (access, method) {
            (Access::Read, _) => (Access::Read, Operation::Select),
            (_, "create" | "bulkCreate") if model.framework == "sequelize" => {
                (Access::Write, Operation::Insert)
            }
            _ => return Vec::new(),
        };
        let root = vec![format!("{}.{method}", model.name)];
        let mut out = Vec::new();
        // MikroORM `em.populate(article, ["author"])`.
        if method == "populate" {
            for arg in args.iter().filter(|a| a.kind() == "array") {
                self.relations(model, *arg, &root, 0, &mut out);
            }
        }
        for arg in args.iter().filter(|a| a.kind() == "object") {
            match model.framework.as_str() {
                "sequelize" => self.includes(*arg, &root, 0, &mut out),
                "typeorm" => {
                    // TypeORM `relations`, MikroORM `populate`.
                    for key in ["relations", "populate"] {
                        if let Some(relations) = object_value(self.src, *arg, key) {
                            self.relations(model, relations, &root, 0, &mut out);
                        }
                    }
                }
                _ => {}
            }
        }
        // TypeORM's `find*` methods load `eager: true` relations (query builders do not).
        if model.framework == "typeorm" && method.starts_with("find") {
            for (_, field) in model.options.iter().filter(|(k, _)| k == "eager") {
                if let Some(target) = self.related_model(model, field) {
                    let mut via = root.clone();
                    via.push(format!("{}.{field} eager", model.name));
                    out.push((target, via));
                }
            }
        }
        out.into_iter()
            .map(|(m, via)| (m, access, operation, via))
            .collect()
    }

    /// The entities a query builder joins by relation (`.leftJoinAndSelect("o.items", "i")`,
    /// then `"i.product"`), from the aliases of the chain after `call`.
    fn relation_joins(
        &self,
        call: Node<'_>,
        model: &'a ModelDecl,
        alias: Option<String>,
        method: &str,
    ) -> Vec<(&'a ModelDecl, Vec<String>)> {
        let mut out = Vec::new();
        let Some(alias) = alias else {
            return out;
        };
        let mut aliases: Vec<(String, &'a ModelDecl)> = vec![(alias, model)];
        for (next, join) in self.chained_calls(call) {
            // `leftJoinAndMapOne("o.first", "o.items", "i")`: the relation comes second.
            let skip = match join {
                "innerJoin" | "innerJoinAndSelect" | "leftJoin" | "leftJoinAndSelect" => 0,
                "innerJoinAndMapMany"
                | "innerJoinAndMapOne"
                | "leftJoinAndMapMany"
                | "leftJoinAndMapOne" => 1,
                _ => continue,
            };
            let args = next
                .field("arguments")
                .map(named_children)
                .unwrap_or_default();
            let strings: Vec<Option<String>> = args
                .iter()
                .skip(skip)
                .take(2)
                .map(|a| super::string_value(self.src, *a))
                .collect();
            let (Some(Some(path)), Some(Some(new_alias))) = (strings.first(), strings.get(1))
            else {
                continue;
            };
            let Some((owner_alias, field)) = path.split_once('.') else {
                continue;
            };
            let Some((_, owner)) = aliases.iter().find(|(a, _)| a == owner_alias) else {
                continue;
            };
            let Some(target) = self
                .related_model(owner, field)
                .filter(|m| m.framework == "typeorm")
            else {
                continue;
            };
            out.push((
                target,
                vec![
                    format!("{}.{method}", model.name),
                    format!("{join}(\"{path}\")"),
                ],
            ));
            if aliases.len() < MAX_CHAIN {
                aliases.push((new_alias.clone(), target));
            }
        }
        out
    }

    /// Objection: the models a chain loads by relation name (`.withGraphFetched("[customer,
    /// items.product]")`, `.joinRelated("customer")`), through `relationMappings`.
    fn graph_relations(
        &self,
        call: Node<'_>,
        model: &'a ModelDecl,
    ) -> Vec<(&'a ModelDecl, Vec<String>)> {
        let mut out = Vec::new();
        for (next, method) in self.chained_calls(call) {
            if !GRAPH_METHODS.contains(&method) {
                continue;
            }
            let Some(expression) = next
                .field("arguments")
                .and_then(|a| named_children(a).into_iter().next())
                .and_then(|a| super::string_value(self.src, a))
            else {
                continue;
            };
            for path in expression
                .split(|c: char| matches!(c, ',' | '[' | ']') || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .take(MAX_CHAIN)
            {
                let mut owner = model;
                let mut via = vec![format!("{}.{method}(\"{path}\")", model.name)];
                for field in path.split('.').take(MAX_DEPTH) {
                    let Some(next) = self
                        .related_model(owner, field)
                        .filter(|m| m.framework == "objection")
                    else {
                        break;
                    };
                    via.push(format!("{}.{field}", owner.name));
                    out.push((next, via.clone()));
                    owner = next;
                }
            }
        }
        out
    }

    /// The models of an options object's `include` (recursively, bounded).
    fn includes(
        &self,
        options: Node<'_>,
        via: &[String],
        depth: usize,
        out: &mut Vec<(&'a ModelDecl, Vec<String>)>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let Some(include) = object_value(self.src, options, "include") else {
            return;
        };
        let items = match include.kind() {
            "array" => named_children(include),
            _ => vec![include],
        };
        for item in items {
            let (target, nested) = match item.kind() {
                "object" => (object_value(self.src, item, "model"), Some(item)),
                _ => (Some(item), None),
            };
            let Some(m) = target
                .and_then(|t| self.model_of(t, 0))
                .filter(|m| m.framework == "sequelize")
            else {
                continue;
            };
            let mut chain = via.to_vec();
            chain.push(format!("include {}", m.name));
            if let Some(nested) = nested {
                self.includes(nested, &chain, depth + 1, out);
            }
            out.push((m, chain));
        }
    }

    /// The entities a TypeORM `relations` option loads: strings (`"items.product"`) or
    /// nested objects (`{ items: { product: true } }`), through the relation fields.
    fn relations(
        &self,
        model: &'a ModelDecl,
        relations: Node<'_>,
        via: &[String],
        depth: usize,
        out: &mut Vec<(&'a ModelDecl, Vec<String>)>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let field_model = |owner: &ModelDecl, field: &str| {
            self.related_model(owner, field)
                .filter(|m| m.framework == "typeorm")
        };
        match relations.kind() {
            "array" => {
                for item in named_children(relations) {
                    let Some(path) = super::string_value(self.src, item) else {
                        continue;
                    };
                    let mut owner = model;
                    let mut chain = via.to_vec();
                    for field in path.split('.').take(MAX_DEPTH) {
                        let Some(next) = field_model(owner, field) else {
                            break;
                        };
                        chain.push(format!("{}.{field}", owner.name));
                        out.push((next, chain.clone()));
                        owner = next;
                    }
                }
            }
            "object" => {
                for pair in named_children(relations)
                    .into_iter()
                    .filter(|p| p.kind() == "pair")
                {
                    let (Some(key), Some(value)) = (pair.field("key"), pair.field("value")) else {
                        continue;
                    };
                    if value.kind() == "false" {
                        continue;
                    }
                    let field = self.text(key).trim_matches(['"', '\'']);
                    let Some(next) = field_model(model, field) else {
                        continue;
                    };
                    let mut chain = via.to_vec();
                    chain.push(format!("{}.{field}", model.name));
                    if value.kind() == "object" {
                        self.relations(next, value, &chain, depth + 1, out);
                    }
                    out.push((next, chain));
                }
            }
            _ => {}
        }
    }

    fn report(
        &self,
        call: Node<'_>,
        model: &ModelDecl,
        rule: &OrmRule,
        (access, operation, method): (Access, Operation, &str),
        via: &[String],
        out: &mut FileScan,
    ) {
        let site = Site {
            function: function_at_with(self.src, call, |n| self.parent(n)),
            evidence: evidence(self.text(outermost(call))),
            sink: Some(method.to_string()),
            framework: Some(framework_name(model)),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        let mut push = |table: String, access, operation, via: Vec<String>| {
            let found = site.finding(table, access, operation, rule.kind, Confidence::Inferred);
            out.findings.push(found.via(via));
        };
        // `em.populate(entity, […])` loads relations, not the entity itself.
        if let Some(table) = model.legacy.as_ref().filter(|_| rule.method != "populate") {
            push(table.clone(), access, operation, via.to_vec());
        }
        let args = call
            .field("arguments")
            .map(named_children)
            .unwrap_or_default();
        for (child, access, operation, via) in self.related(model, &args, access, method) {
            if let Some(table) = &child.legacy {
                push(table.clone(), access, operation, via);
            }
        }
        if model.framework == "typeorm"
            && matches!(rule.method.as_str(), "createQueryBuilder" | "from")
        {
            // The alias is the string argument: `createQueryBuilder("o")`, `(X, "o")`.
            let alias = args.iter().find_map(|a| super::string_value(self.src, *a));
            for (child, via) in self.relation_joins(call, model, alias, &rule.method) {
                if let Some(table) = &child.legacy {
                    push(table.clone(), Access::Read, Operation::Select, via);
                }
            }
        }
        if model.framework == "objection" {
            for (child, via) in self.graph_relations(call, model) {
                if let Some(table) = &child.legacy {
                    push(table.clone(), Access::Read, Operation::Select, via);
                }
            }
        }
        if operation == Operation::Delete {
            // The database follows `ON DELETE CASCADE` through every level: deleting a
            // customer deletes its orders, which deletes their items.
            let mut frontier = vec![(model.name.clone(), vec![format!("{}.{method}", model.name)])];
            let mut seen = vec![model.name.clone()];
            while let Some((parent, chain)) = frontier.pop() {
                let mut cascades: Vec<_> = [Language::TypeScript, Language::JavaScript]
                    .into_iter()
                    .flat_map(|l| self.models.cascades_from_any(l, &parent))
                    .collect();
                cascades.sort();
                cascades.dedup();
                for c in cascades {
                    let mut via = chain.clone();
                    via.push(c.via.clone());
                    if let Some(table) = self
                        .cascade_child(&c.child, &c.child_file)
                        .and_then(|m| m.legacy.clone())
                    {
                        push(table, Access::Write, c.operation, via.clone());
                    }
                    if c.operation == Operation::Delete
                        && !seen.contains(&c.child)
                        && seen.len() < MAX_DEPTH
                    {
                        seen.push(c.child.clone());
                        frontier.push((c.child.clone(), via));
                    }
                }
            }
        }
    }
}

/// A MikroORM entity (declared with the decorators TypeORM shares, see `typeorm_models`).
fn is_mikroorm(m: &ModelDecl) -> bool {
    m.options.iter().any(|(k, v)| k == "orm" && v == "mikroorm")
}

/// The framework a finding names: MikroORM for its entities, else the declaration's.
fn framework_name(m: &ModelDecl) -> String {
    if is_mikroorm(m) {
        "mikroorm".to_string()
    } else {
        m.framework.clone()
    }
}

/// Frameworks whose models are classes code calls (`X.findAll`, `X.query()`, `repo.find`).
fn is_class_framework(framework: &str) -> bool {
    matches!(framework, "typeorm" | "sequelize" | "objection")
}

fn is_scope(n: Node<'_>) -> bool {
    matches!(
        n.kind(),
        "program"
            | "class_body"
            | "function_declaration"
            | "generator_function_declaration"
            | "function_expression"
            | "function"
            | "generator_function"
            | "arrow_function"
            | "method_definition"
    )
}

/// `src/services/orders.ts` + `../entities/order` → `src/entities/order`.
pub(crate) fn join(rel: &str, source: &str) -> String {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    for seg in source.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    // `import … from "./order.entity.js"` (ESM spelling of a `.ts` file).
    match joined.rsplit_once('.') {
        Some((stem, "js" | "ts" | "mjs" | "cjs" | "jsx" | "tsx")) => stem.to_string(),
        _ => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_paths_join() {
        assert_eq!(join("src/a/b.ts", "../e/order"), "src/e/order");
        assert_eq!(join("b.ts", "./order.entity.js"), "order.entity");
        assert_eq!(join("src/b.ts", "./models"), "src/models");
        assert!(REPOSITORY_FACTORIES.is_sorted());
        assert!(REPOSITORY_TYPES.is_sorted());
        assert!(INSTANCE_SOURCES.is_sorted());
        assert!(MODEL_PASSTHROUGH.is_sorted());
        assert!(GRAPH_METHODS.is_sorted());
        assert!(NOT_QUERIES.is_sorted());
        assert!(TYPE_WRAPPERS.is_sorted());
    }
}
