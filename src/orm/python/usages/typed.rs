//! What a call hands back, when its declaration or its framework says: a function
//! annotated `-> User` (in this module or another), `User.query.…first()` (Flask-SQLAlchemy),
//! peewee's `Index.get(…)` / `Index.create(…)`, SQLModel's `User.model_validate(…)`, and
//! `get_object_or_404(Index, …)`-like calls handed the model class.

use super::{Binding, Usages, VarType};
use crate::lang::Field as _;
use crate::orm::nodes::{named_children, text};
use crate::orm::python::Chain;
use tree_sitter::Node;

fn last_word(s: &str) -> &str {
    s.rsplit('.').next().unwrap_or(s).trim()
}

/// Calls handed a model class that give back one instance of it.
const GETTERS: &[&str] = &[
    "first_or_404",
    "get",
    "get_object_or_404",
    "get_one",
    "get_or_404",
    "one_or_404",
];

/// Methods at the end of a query chain that give back one instance.
const ONE: &[&str] = &[
    "create",
    "first",
    "first_or_404",
    "get",
    "get_by_id",
    "get_or_404",
    "get_or_none",
    "one",
    "one_or_404",
    "one_or_none",
    "scalar",
];

/// Methods whose result is not rows of the model (a number, a flag, a write's result).
const NOT_ROWS: &[&str] = &["count", "delete", "execute", "exists", "insert", "update"];

impl<'a> Usages<'a, '_> {
    pub(super) fn returned_type(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<VarType> {
        let src = self.src;
        let function = call.field("function")?;
        let methods = chain.methods(src);
        let last = *methods.last()?;
        // Flask-Login's proxy: `current_user._get_current_object()` is the user itself.
        if methods == ["_get_current_object"]
            && let Some(m) = chain.root.and_then(|r| self.instance_of(r, bindings, pos))
        {
            return Some(VarType::instance(m));
        }
        // `crud.create_user(…)`, `get_current_user(…)`: its return annotation.
        let module = function
            .field("object")
            .and_then(|o| self.modules.get(text(src, o)))
            .map(String::as_str);
        let name = match function.kind() {
            "identifier" => Some(text(src, function)),
            "attribute" => function.field("attribute").map(|a| text(src, a)),
            _ => None,
        };
        if let Some(t) = name.and_then(|n| self.typed_name(n, module)) {
            let (model, inner) = crate::orm::python::models::hint_class(&t.model)?;
            if let Some(m) = self.class_named(&model).or_else(|| {
                self.models()
                    .find(crate::model::Language::Python, &model)
                    .into_iter()
                    .next()
            }) {
                return Some(VarType::of(m, inner || t.collection));
            }
        }
        // `Model.query.filter_by(…).first()`, `self.followed.all()`.
        if let Some(m) = self.query_root(chain, bindings, pos) {
            return self.rows_of(m, &methods);
        }
        // peewee `Index.get(…)`, SQLModel `User.model_validate(…)`.
        if let Some(m) = chain.root.and_then(|r| self.model(r)) {
            if methods.first().is_some_and(|f| {
                matches!(
                    *f,
                    "model_validate" | "from_orm" | "parse_obj" | "model_construct"
                )
            }) {
                return Some(VarType::instance(m));
            }
            if m.framework == "peewee" {
                return self.rows_of(m, &methods);
            }
        }
        // `InvoiceSchema().load(data)`, `invoice_schema.load(data)`: the schema's model.
        if last == "load"
            && methods.len() <= 2
            && let Some(t) = self.schema_load(chain)
        {
            return Some(t);
        }
        if last == "save"
            && methods.len() <= 2
            && let Some(t) = self.form_save(chain)
        {
            return Some(t);
        }
        // `stmt = select(User).where(…)`: a statement, run later.
        if let Some(m) = self.select_statement(chain) {
            return Some(VarType::Select {
                model: m.name.clone(),
                module: Some(m.module.clone()),
            });
        }
        // `session.scalar(select(User)…)`, `session.exec(select(User)).first()`.
        if let Some(m) = self.selected_model(chain, bindings, pos) {
            let one = matches!(
                last,
                "first" | "one" | "one_or_none" | "scalar" | "scalar_one" | "scalar_one_or_none"
            );
            return Some(VarType::of(m, !one));
        }
        // `get_object_or_404(Index, Index.name == pk)`, `db.get_or_404(User, id)`.
        if GETTERS.contains(&last) && methods.len() == 1 {
            let first = chain.links[0]
                .args
                .map(named_children)
                .unwrap_or_default()
                .into_iter()
                .next()?;
            return self.model(first).map(VarType::instance);
        }
        None
    }

    /// The model of `select(Model)…` run by a session's `scalar`/`scalars`/`execute`/`exec`.
    fn selected_model(
        &self,
        chain: &Chain<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&'a crate::orm::ModelDecl> {
        let root = chain.root?;
        let runner = chain.links.first()?;
        let session = last_word(text(self.src, root));
        let session_like = session.contains("session") || matches!(session, "db" | "s" | "sess");
        if !session_like
            || !matches!(
                text(self.src, runner.method),
                "scalar" | "scalars" | "execute" | "exec"
            )
        {
            return None;
        }
        let stmt = runner
            .args
            .and_then(|a| named_children(a).into_iter().next())?;
        if stmt.kind() == "identifier" {
            return match self.var_type(text(self.src, stmt), pos, bindings)? {
                VarType::Select { model, module } => self.lookup(&model, module.as_deref()),
                _ => None,
            };
        }
        self.select_statement(&Chain::of(stmt))
    }

    /// Remember `x = SomeSchema(…)` for schemas whose `load` builds a model.
    pub(super) fn schema_instances(&mut self, nodes: &[Node<'_>]) {
        for n in nodes.iter().filter(|n| n.kind() == "assignment") {
            let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                continue;
            };
            let Some(class) = right
                .field("function")
                .filter(|f| right.kind() == "call" && f.kind() == "identifier")
            else {
                continue;
            };
            let class = text(self.src, class);
            if self.built_model(class, "load").is_some()
                || self.built_model(class, "save").is_some()
            {
                let name = text(self.src, left).to_string();
                let scope = self.function_at(n.start_byte());
                self.schemas
                    .push((n.end_byte(), scope, name, class.to_string()));
            }
        }
    }

    /// The model a schema's `load` or a ModelForm's `save` (`method`) builds.
    pub(super) fn built_model(
        &self,
        class: &str,
        method: &str,
    ) -> Option<&'a crate::orm::ModelDecl> {
        let key = format!("{class}.{method}");
        let t = self.typed_name(&key, None).or_else(|| {
            let (_, module) = self.imports.get(class)?;
            let all: Vec<_> = self.models().typed_names(&key).collect();
            all.into_iter().find(|t| {
                module
                    .as_deref()
                    .is_some_and(|q| t.module.ends_with(q) || q.ends_with(&t.module))
            })
        })?;
        self.models()
            .find(crate::model::Language::Python, &t.model)
            .into_iter()
            .next()
    }

    /// `form.save(…)` / `OrderForm(…).save(…)` of a ModelForm: an instance of its model
    /// (saved or not: `commit=False` builds it only).
    fn form_save(&self, chain: &Chain<'_>) -> Option<VarType> {
        let class = self.built_by(chain)?;
        self.built_model(&class, "save").map(VarType::instance)
    }

    /// The schema or form class of `X(…).m(…)` or `x.m(…)` with `x = X(…)`.
    pub(super) fn built_by(&self, chain: &Chain<'_>) -> Option<String> {
        Some(match (chain.root, chain.links.as_slice()) {
            (None, [ctor, _]) if ctor.bare => text(self.src, ctor.method).to_string(),
            (Some(r), [_]) if r.kind() == "identifier" => {
                // The last binding of the name before it in the same function, else one
                // at module level.
                let (pos, name) = (r.start_byte(), text(self.src, r));
                let scope = self.function_at(pos);
                let bound = |s: Option<usize>| {
                    self.schemas
                        .iter()
                        .rfind(|(at, f, n, _)| *f == s && n == name && (s.is_none() || *at <= pos))
                };
                let (.., class) = bound(scope).or_else(|| bound(None))?;
                class.clone()
            }
            _ => return None,
        })
    }

    fn schema_load(&self, chain: &Chain<'_>) -> Option<VarType> {
        let class = self.built_by(chain)?;
        let load = chain.links.last()?;
        let many = load
            .args
            .map(named_children)
            .unwrap_or_default()
            .into_iter()
            .any(|a| {
                a.kind() == "keyword_argument"
                    && a.field("name").is_some_and(|n| text(self.src, n) == "many")
                    && a.field("value").is_some_and(|v| v.kind() == "true")
            });
        self.built_model(&class, "load")
            .map(|m| VarType::of(m, many))
    }

    /// The model of `select(Model)…` (also `sa.select`, `db.select`).
    fn select_statement(&self, stmt: &Chain<'_>) -> Option<&'a crate::orm::ModelDecl> {
        let select = stmt.links.first()?;
        let root_ok = match stmt.root {
            None => select.bare,
            Some(r) => matches!(text(self.src, r), "sa" | "sqlalchemy" | "db" | "sqlmodel"),
        };
        if !root_ok || text(self.src, select.method) != "select" {
            return None;
        }
        let model = select
            .args
            .and_then(|a| named_children(a).into_iter().next())?;
        self.model(model).filter(|m| m.framework == "sqlalchemy")
    }

    fn rows_of(&self, m: &crate::orm::ModelDecl, methods: &[&str]) -> Option<VarType> {
        let last = *methods.last()?;
        if NOT_ROWS.contains(&last) {
            None
        } else if ONE.contains(&last) {
            Some(VarType::instance(m))
        } else {
            Some(VarType::of(m, true))
        }
    }
}
