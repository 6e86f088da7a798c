//! GORM, pass 2: `*gorm.DB` chains (`db.Model(&X{}).Where(…).Updates(…)`,
//! `db.Table("t").Find(&rows)`, `db.Create(&X{…})`, `db.First(&o)` with `var o X`, slices,
//! `new(X)`, parameters, `range` values, type assertions, model fields such as
//! `o.Items`), package qualifiers (`models.LegacyOrder`), `Preload("Orders")` and
//! `Joins("Orders")` through the association field, `Joins("JOIN t …")` fragments (parsed
//! as SQL), builders held in a name (`q := db.Model(&X{})…; q.Count(&n)`) and builders
//! handed to another call (subqueries). What each method does comes from the `[[orm]]` rows
//! of `catalog/go.toml`. Not resolved: models reached through interfaces, generics or
//! values returned by other functions, and `db.Table(name)` with a computed name.

use super::{string_value, type_name};
use crate::catalog::{OrmCatalog, OrmReceiver, OrmRule};
use crate::extract::scoped::{Scope, Scopes};
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use crate::orm::nodes::{all_nodes, named_children, text};
use crate::orm::{ModelDecl, ModelIndex};
use tree_sitter::{Node, Tree};

/// A name's declared type in a function: `(function start, declared at, name, type text)`.
type Binding = (Option<usize>, usize, String, String);

struct Usages<'a, 's> {
    file: &'a FileInput<'s>,
    src: &'s str,
    index: LineIndex,
    scopes: Scopes,
    bindings: Vec<Binding>,
    /// Result types of the file's functions (`func GetUser(…) UserModel`), so that
    /// `u := GetUser(…)` has a type.
    returns: std::collections::HashMap<String, String>,
    /// The file mentions GORM; otherwise only chains on a `db`/`tx`-like name count, since
    /// `Create(&X{})` may be some other API.
    gorm_file: bool,
    held: Vec<Held<'a>>,
    /// `held` by the end of the binding's value (the builder call).
    held_at_end: std::collections::HashMap<usize, usize>,
    /// Held names passed as arguments: `(function, position, name)`.
    arg_uses: Vec<(Option<usize>, usize, String)>,
}

/// GORM findings of one Go file.
pub fn usages(file: &FileInput<'_>, tree: &Tree, out: &mut FileScan) {
    let src = file.text;
    let nodes = all_nodes(tree.root_node());
    let mut scopes = Vec::new();
    for &n in &nodes {
        let name = match n.kind() {
            "function_declaration" => n.field("name").map(|x| text(src, x).to_string()),
            "method_declaration" => {
                let recv = n
                    .field("receiver")
                    .and_then(|r| named_children(r).into_iter().next())
                    .and_then(|p| p.field("type"))
                    .map(|t| type_name(text(src, t)).1.to_string());
                let name = n.field("name").map(|x| text(src, x).to_string());
                match (recv, name) {
                    (Some(r), Some(m)) => Some(format!("{r}.{m}")),
                    (_, m) => m,
                }
            }
            "func_literal" => None,
            _ => continue,
        };
        scopes.push(Scope {
            start: n.start_byte(),
            end: n.end_byte(),
            name,
            is_class: false,
        });
    }
    let mut u = Usages {
        file,
        src,
        index: LineIndex::new(src),
        scopes: Scopes::new(scopes),
        bindings: Vec::new(),
        returns: std::collections::HashMap::new(),
        gorm_file: src.contains("gorm"),
        held: Vec::new(),
        held_at_end: std::collections::HashMap::new(),
        arg_uses: Vec::new(),
    };
    u.collect_bindings(&nodes);
    u.collect_held(&nodes);
    for &n in &nodes {
        if n.kind() == "call_expression" && !is_chain_link(n) {
            u.call(n, out);
        }
    }
}

fn is_chain_link(call: Node<'_>) -> bool {
    call.parent().is_some_and(|p| {
        p.kind() == "selector_expression"
            && p.field("operand").is_some_and(|o| o.id() == call.id())
            && p.parent().is_some_and(|pp| pp.kind() == "call_expression")
    })
}

impl<'a, 's> Usages<'a, 's> {
    fn models(&self) -> &'a ModelIndex {
        &self.file.ctx.models
    }

    fn function_at(&self, pos: usize) -> Option<usize> {
        self.scopes.innermost(pos).map(|i| self.scopes.get(i).start)
    }

    /// `var o T`, `o := T{}` / `&T{}` / `[]T{}` / `new(T)` / `make([]T, n)`, parameters.
    fn collect_bindings(&mut self, nodes: &[Node<'_>]) {
        let src = self.src;
        for &n in nodes {
            if let ("function_declaration" | "method_declaration", Some(name), Some(result)) =
                (n.kind(), n.field("name"), n.field("result"))
            {
                // One result, or the first of `(T, error)`.
                let ty = if result.kind() == "parameter_list" {
                    named_children(result)
                        .first()
                        .and_then(|p| p.field("type"))
                        .map(|t| text(src, t))
                } else {
                    Some(text(src, result))
                };
                if let Some(ty) = ty {
                    self.returns
                        .insert(text(src, name).to_string(), ty.to_string());
                }
            }
        }
        for &n in nodes {
            match n.kind() {
                "var_spec" | "parameter_declaration" => {
                    let Some(ty) = n.field("type") else {
                        continue;
                    };
                    let mut cursor = n.walk();
                    let names: Vec<String> = n
                        .children_by_field_name("name", &mut cursor)
                        .map(|x| text(src, x).to_string())
                        .collect();
                    for name in names {
                        self.bindings.push((
                            self.function_at(n.start_byte()),
                            n.start_byte(),
                            name,
                            text(src, ty).to_string(),
                        ));
                    }
                }
                "short_var_declaration" => {
                    let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                        continue;
                    };
                    for (l, r) in named_children(left).into_iter().zip(named_children(right)) {
                        if let Some(ty) = expr_type(src, r).or_else(|| self.call_result(r)) {
                            self.bindings.push((
                                self.function_at(n.start_byte()),
                                n.start_byte(),
                                text(src, l).to_string(),
                                ty,
                            ));
                        }
                    }
                }
                // `for _, o := range orders`: `o` has the element type of `orders`
                // (`type_name` reads `[]T` and `T` alike).
                "range_clause" => {
                    let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                        continue;
                    };
                    let names = named_children(left);
                    let [_, value] = names.as_slice() else {
                        continue;
                    };
                    let ty = expr_type(src, right)
                        .or_else(|| self.call_result(right))
                        .or_else(|| {
                            (right.kind() == "identifier")
                                .then(|| self.name_type(text(src, right), right.start_byte()))
                                .flatten()
                        });
                    if let Some(ty) = ty {
                        self.bindings.push((
                            self.function_at(n.start_byte()),
                            n.start_byte(),
                            text(src, *value).to_string(),
                            ty,
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    /// The result type of a call to a function or method of this file (`GetUser(…)`,
    /// `r.Get(…)` with `func (r *Repo) Get(…) (*User, error)`; `pkg.GetUser(…)` is not
    /// followed: another file).
    fn call_result(&self, node: Node<'_>) -> Option<String> {
        if node.kind() != "call_expression" {
            return None;
        }
        let f = node.field("function")?;
        let name = match f.kind() {
            "identifier" => f,
            "selector_expression" => f.field("field")?,
            _ => return None,
        };
        self.returns.get(text(self.src, name)).cloned()
    }

    /// The model an argument is or points to.
    fn arg_model(&self, node: Node<'_>) -> Option<&'a ModelDecl> {
        let src = self.src;
        let ty = match expr_type(src, node) {
            Some(t) => t,
            None => {
                let inner = if node.kind() == "unary_expression" {
                    node.field("operand")?
                } else {
                    node
                };
                match inner.kind() {
                    "identifier" => self.name_type(text(src, inner), node.start_byte())?,
                    // `d.Details` where `d` is a model whose field `Details` holds
                    // another model (`[]Detail`).
                    "selector_expression" => {
                        // One level only: the owner is a name, so no recursion.
                        let operand = inner
                            .field("operand")
                            .filter(|o| o.kind() == "identifier")?;
                        let field = text(src, inner.field("field")?);
                        let owner = self.arg_model(operand)?;
                        let (_, target) = owner.associations.iter().find(|(f, _)| f == field)?;
                        return self.models().find(Language::Go, target).into_iter().next();
                    }
                    _ => return None,
                }
            }
        };
        let (pkg, name) = type_name(&ty);
        let found = self.models().find(Language::Go, name);
        found
            .iter()
            .find(|m| pkg.is_some_and(|p| m.module.rsplit('/').next() == Some(p)))
            .or(found.first())
            .copied()
    }

    /// The declared type of `name` at `pos`, in the same function (or a package var).
    fn name_type(&self, name: &str, pos: usize) -> Option<String> {
        let f = self.function_at(pos);
        self.bindings
            .iter()
            .rfind(|(func, at, n, _)| *n == name && *at <= pos && (*func == f || func.is_none()))
            .map(|(_, _, _, t)| t.clone())
    }

    /// The links of the chain ending at `call` (innermost first after the reverse: the
    /// order they run in) and its root expression.
    fn chain<'t>(&self, call: Node<'t>) -> Option<(Vec<Link<'s, 't>>, Node<'t>)> {
        let src = self.src;
        let mut links: Vec<Link<'s, 't>> = Vec::new();
        let mut cur = call;
        let mut root = None;
        for _ in 0..256 {
            if cur.kind() != "call_expression" {
                root = Some(cur);
                break;
            }
            let f = cur.field("function")?;
            if f.kind() != "selector_expression" {
                return None;
            }
            let (Some(operand), Some(field)) = (f.field("operand"), f.field("field")) else {
                return None;
            };
            links.push((text(src, field), cur.field("arguments")));
            cur = operand;
        }
        let root = root?;
        let root_name = text(src, root).rsplit('.').next().unwrap_or("");
        if links.is_empty() {
            return None;
        }
        links.reverse();
        // A file that never says "gorm" (a service using a global handle such as
        // `global.DB`) still counts when the handle is named like a database or the chain
        // names a GORM model with `Model(&X{})`.
        let db_like = matches!(root_name, "tx" | "gdb" | "orm" | "conn")
            || root_name.to_ascii_lowercase().ends_with("db");
        let names_model = || {
            links.iter().any(|(m, args)| {
                *m == "Model"
                    && args
                        .map(named_children)
                        .and_then(|a| a.first().copied())
                        .and_then(|a| self.arg_model(a))
                        .is_some_and(|m| matches!(m.framework.as_str(), "gorm" | "bun"))
            })
        };
        if !(self.gorm_file || db_like || names_model()) {
            return None;
        }
        Some((links, root))
    }

    /// What `Model(&X{})` / `Table("t")` of a chain names.
    fn named_subject(
        &self,
        links: &[Link<'s, '_>],
        rules: &[(usize, &OrmRule)],
    ) -> Option<Subject<'a>> {
        rules.iter().find_map(|&(i, r)| {
            if let Some(a) = r.model_arg.and_then(|n| link_arg(links, i, n))
                && let Some(m) = self.arg_model(a)
            {
                return Some(Subject::Model(m));
            }
            r.table_arg
                .and_then(|n| link_arg(links, i, n))
                .and_then(|a| string_value(self.src, a))
                .map(Subject::Table)
        })
    }

    /// Query builders held in a name: `q := db.Model(&X{}).Where(…)`, so that a later
    /// `q.Count(&n)` acts on `X`'s table, and a `q` passed to another call (a subquery)
    /// reads it.
    fn collect_held(&mut self, nodes: &[Node<'_>]) {
        let src = self.src;
        let catalog = self.file.ctx.orm_catalog(Language::Go);
        let mut held = Vec::new();
        for &n in nodes {
            if !matches!(n.kind(), "short_var_declaration" | "assignment_statement") {
                continue;
            }
            let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
                continue;
            };
            let (lefts, rights) = (named_children(left), named_children(right));
            let ([l], [r]) = (lefts.as_slice(), rights.as_slice()) else {
                continue;
            };
            if l.kind() != "identifier" || r.kind() != "call_expression" {
                continue;
            }
            let Some((links, _)) = self.chain(*r) else {
                continue;
            };
            let rules = chain_rules(catalog, &links);
            if let Some(subject) = self.named_subject(&links, &rules) {
                held.push(Held {
                    function: self.function_at(n.start_byte()),
                    at: n.end_byte(),
                    name: text(src, *l).to_string(),
                    subject,
                });
            }
        }
        // Names of held builders passed as arguments, for `used_as_argument`: one pass
        // over the file, whatever the number of builders.
        let names: std::collections::HashSet<&str> = held.iter().map(|h| h.name.as_str()).collect();
        let mut arg_uses = Vec::new();
        for &n in nodes {
            if n.kind() == "identifier"
                && n.parent().is_some_and(|p| p.kind() == "argument_list")
                && names.contains(text(src, n))
            {
                arg_uses.push((
                    self.function_at(n.start_byte()),
                    n.start_byte(),
                    text(src, n).to_string(),
                ));
            }
        }
        self.held_at_end = held.iter().enumerate().map(|(i, h)| (h.at, i)).collect();
        self.held = held;
        self.arg_uses = arg_uses;
    }

    /// The builder a name holds at `pos`, in the same function.
    fn held_at(&self, name: &str, pos: usize) -> Option<&Held<'a>> {
        let f = self.function_at(pos);
        self.held
            .iter()
            .rfind(|h| h.name == name && h.at <= pos && h.function == f)
    }

    /// Whether the value of `call` becomes an argument of another call: directly, or
    /// through the name it is assigned to, later in the same function (GORM runs a
    /// `*gorm.DB` argument as a subquery).
    fn used_as_argument(&self, call: Node<'_>) -> bool {
        if call.parent().is_some_and(|p| p.kind() == "argument_list") {
            return true;
        }
        let Some(h) = self
            .held_at_end
            .get(&call.end_byte())
            .and_then(|&i| self.held.get(i))
        else {
            return false;
        };
        self.arg_uses
            .iter()
            .any(|(f, at, name)| *f == h.function && *at >= h.at && *name == h.name)
    }

    /// ent's generated client: `client.User.Create().SetName(n).Save(ctx)`,
    /// `tx.User.Query().Where(…).All(ctx)`: the method right after the entity field says
    /// what the query does.
    fn ent_call(&self, call: Node<'_>, out: &mut FileScan) -> bool {
        let src = self.src;
        let mut cur = call;
        let (entity, method) = loop {
            let Some(f) = cur
                .field("function")
                .filter(|f| f.kind() == "selector_expression")
            else {
                return false;
            };
            let (Some(operand), Some(field)) = (f.field("operand"), f.field("field")) else {
                return false;
            };
            match operand.kind() {
                "call_expression" => cur = operand,
                "selector_expression" => match operand.field("field") {
                    Some(e) => break (text(src, e), text(src, field)),
                    None => return false,
                },
                _ => return false,
            }
        };
        let Some(model) = self
            .models()
            .find(Language::Go, entity)
            .into_iter()
            .find(|m| m.framework == "ent")
        else {
            return false;
        };
        let catalog = self.file.ctx.orm_catalog(Language::Go);
        let Some(rule) = catalog.lookup(&["ent"], OrmReceiver::Db, method) else {
            return false;
        };
        out.findings.extend(self.finding(
            call,
            model.legacy.clone(),
            rule,
            method,
            Confidence::Inferred,
        ));
        true
    }

    fn call(&self, call: Node<'_>, out: &mut FileScan) {
        if self.ent_call(call, out) {
            return;
        }
        let src = self.src;
        let catalog = self.file.ctx.orm_catalog(Language::Go);
        let Some((links, root)) = self.chain(call) else {
            return;
        };
        let rules = chain_rules(catalog, &links);
        let arg = |i: usize, n: usize| link_arg(&links, i, n);
        // The chain's subject: Model(&X{}) / Table("t") first, else what the name at its
        // root holds (`q := db.Model(&X{})`), else the accessing call's own argument, else
        // any instance argument (`db.Where(…).Find(&rows)`).
        let mut subject = self.named_subject(&links, &rules).or_else(|| {
            (root.kind() == "identifier")
                .then(|| self.held_at(text(src, root), call.start_byte()))
                .flatten()
                .map(|h| h.subject.clone())
        });
        let join_subject = subject.clone().or_else(|| {
            rules.iter().find_map(|&(i, r)| {
                r.instance_arg
                    .and_then(|n| arg(i, n))
                    .and_then(|a| self.arg_model(a))
                    .map(Subject::Model)
            })
        });
        self.joins(call, &links, join_subject.as_ref(), out);
        // A bun query says what it does where it starts (`NewUpdate()`), whatever ends it
        // (`Exec`, `Scan`); a GORM chain, by its last write, else its last access.
        let accessing = rules
            .iter()
            .find(|(_, r)| r.framework == "bun" && r.method.starts_with("New"))
            .or_else(|| {
                rules
                    .iter()
                    .rev()
                    .find(|(_, r)| r.access == Some(Access::Write))
            })
            .or_else(|| rules.iter().rev().find(|(_, r)| r.access.is_some()));
        let Some(&(at, rule)) = accessing else {
            let Some(subject) = self.named_subject(&links, &rules) else {
                return;
            };
            // A builder with a model and no method that runs it, handed to another call:
            // a subquery (`db.Where("p = (?)", db.Model(&X{}).Select("max(p)"))`).
            if self.used_as_argument(call) {
                self.report_subject(call, &subject, &read_rule("subquery"), "subquery", out);
            } else if !self.held_at_end.contains_key(&call.end_byte()) {
                self.generic_call(call, &links, &subject, out);
            }
            return;
        };
        if subject.is_none() {
            subject = rule
                .instance_arg
                .and_then(|n| arg(at, n))
                .and_then(|a| self.arg_model(a))
                .map(Subject::Model);
        }
        if subject.is_none() {
            subject = rules.iter().find_map(|&(i, r)| {
                r.instance_arg
                    .and_then(|n| arg(i, n))
                    .and_then(|a| self.arg_model(a))
                    .map(Subject::Model)
            });
        }
        // `AutoMigrate(&A{}, &B{}, …)` creates every table it is given.
        if links[at].0 == "AutoMigrate" && matches!(subject, None | Some(Subject::Model(_))) {
            let args = links[at].1.map(named_children).unwrap_or_default();
            let mut models: Vec<&ModelDecl> = Vec::new();
            for m in args.into_iter().filter_map(|a| self.arg_model(a)) {
                if !models.iter().any(|x| std::ptr::eq(*x, m)) {
                    models.push(m);
                }
            }
            for m in models {
                self.report_subject(call, &Subject::Model(m), rule, "AutoMigrate", out);
            }
            return;
        }
        let Some(subject) = subject else {
            return;
        };
        // `Preload("Orders")` reads the association's table, whatever the chain does.
        if let Subject::Model(m) = &subject {
            // bun's `Relation("Token")` is the same read of the field's model.
            for &(i, preload) in rules
                .iter()
                .filter(|(_, r)| matches!(r.method.as_str(), "Preload" | "Relation"))
            {
                let Some(field) = arg(i, 0).and_then(|a| string_value(src, a)) else {
                    continue;
                };
                let first = field.split('.').next().unwrap_or(&field);
                let target = m.associations.iter().find(|(f, _)| f == first);
                if let Some(t) =
                    target.and_then(|(_, t)| self.models().legacy(Language::Go, t, None))
                {
                    let via = vec![format!("{}.{first}", m.name)];
                    out.findings.extend(
                        self.finding(
                            call,
                            t.legacy.clone(),
                            preload,
                            &preload.method,
                            Confidence::Inferred,
                        )
                        .map(|f| f.via(via)),
                    );
                }
            }
        }
        let method = links[at].0;
        if matches!(method, "Preload" | "Relation") {
            return;
        }
        // `db.Model(&u).Association("Orders").Count()`: the methods after `Association`
        // act on the associated model's table.
        let association = links
            .iter()
            .enumerate()
            .find(|(_, (m, _))| *m == "Association")
            .and_then(|(j, _)| Some((j, arg(j, 0).and_then(|a| string_value(src, a))?)));
        if let (Some((j, field)), Subject::Model(m)) = (association, &subject)
            && at > j
        {
            let target = m.associations.iter().find(|(f, _)| *f == field);
            if let Some(t) = target.and_then(|(_, t)| self.models().legacy(Language::Go, t, None)) {
                let via = vec![format!("{}.{field}", m.name)];
                out.findings.extend(
                    self.finding(call, t.legacy.clone(), rule, method, Confidence::Inferred)
                        .map(|f| f.via(via)),
                );
            }
            return;
        }
        self.report_subject(call, &subject, rule, method, out);
    }

    /// `Joins("JOIN t ON …")` / `InnerJoins(…)` read the tables the SQL fragment joins;
    /// `Joins("Company")` reads the association's table. Reported where the chain that
    /// says it is, whatever finishes the query.
    fn joins(
        &self,
        call: Node<'_>,
        links: &[Link<'s, '_>],
        subject: Option<&Subject<'a>>,
        out: &mut FileScan,
    ) {
        let src = self.src;
        let rule = read_rule("Joins");
        for (i, (method, _)) in links.iter().enumerate() {
            if !matches!(*method, "Joins" | "InnerJoins") {
                continue;
            }
            let Some(arg) = link_arg(links, i, 0).and_then(|a| string_value(src, a)) else {
                continue;
            };
            if arg.trim().contains(char::is_whitespace) {
                // A fragment of SQL: parsed after a stand-in FROM so the classifier sees a
                // whole statement.
                let sql = format!("SELECT 1 FROM {JOIN_BASE} {arg}");
                let mut tables: Vec<String> = Vec::new();
                for st in crate::sql::classify(&sql, self.file.ctx.dialect) {
                    for u in st.uses.iter().filter(|u| u.access == Access::Read) {
                        if let Some(t) = self.file.ctx.tables.resolve(&u.table) {
                            tables.push(t.display.clone());
                        }
                    }
                }
                tables.sort();
                tables.dedup();
                for t in tables {
                    out.findings.extend(self.finding(
                        call,
                        Some(t),
                        &rule,
                        method,
                        Confidence::Parsed,
                    ));
                }
            } else if let Some(Subject::Model(m)) = subject
                && let Some((field, target)) = m.associations.iter().find(|(f, _)| *f == arg)
                && let Some(t) = self.models().legacy(Language::Go, target, None)
            {
                let via = vec![format!("{}.{field}", m.name)];
                out.findings.extend(
                    self.finding(call, t.legacy.clone(), &rule, method, Confidence::Inferred)
                        .map(|f| f.via(via)),
                );
            }
        }
    }

    /// A chain on a model that ends in a method no catalog row knows
    /// (`db.NewRaw(q).Model(&o).UpsertAll(ctx)`): the shared vocabulary classifies its name,
    /// else the use is reported unresolved, never dropped.
    fn generic_call(
        &self,
        call: Node<'_>,
        links: &[Link<'s, '_>],
        subject: &Subject<'a>,
        out: &mut FileScan,
    ) {
        let Some((method, _)) = links.last() else {
            return;
        };
        let framework = match subject {
            Subject::Model(m) => m.framework.clone(),
            Subject::Table(_) => "gorm".to_string(),
        };
        if let Some((access, operation)) = crate::catalog::Vocabulary::builtin().classify(method) {
            let rule = OrmRule {
                framework,
                access: Some(access),
                operation: Some(operation),
                ..read_rule(method)
            };
            self.report_subject(call, subject, &rule, method, out);
            return;
        }
        let table = match subject {
            Subject::Model(m) => m.legacy.clone(),
            Subject::Table(t) => self
                .file
                .ctx
                .tables
                .resolve_name(t)
                .map(|l| l.display.clone()),
        };
        let Some(table) = table else { return };
        let site = Site {
            function: self.scopes.qualified(call.start_byte()),
            evidence: evidence(text(self.src, call)),
            sink: Some(method.to_string()),
            framework: Some(framework),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        out.findings.push(site.unresolved(
            table,
            Kind::Orm,
            format!("the query on this model ends in `{method}`, a method cutover does not know"),
        ));
    }

    fn report_subject(
        &self,
        call: Node<'_>,
        subject: &Subject<'_>,
        rule: &OrmRule,
        method: &str,
        out: &mut FileScan,
    ) {
        match subject {
            Subject::Model(m) => out.findings.extend(self.finding(
                call,
                m.legacy.clone(),
                rule,
                method,
                Confidence::Inferred,
            )),
            Subject::Table(t) => {
                let table = self
                    .file
                    .ctx
                    .tables
                    .resolve_name(t)
                    .map(|l| l.display.clone());
                out.findings
                    .extend(self.finding(call, table, rule, method, Confidence::Parsed));
            }
        }
    }

    /// The finding of `rule` on `table` at `call`; none when the table is not a legacy
    /// one or the rule does not say what the method does.
    fn finding(
        &self,
        call: Node<'_>,
        table: Option<String>,
        rule: &OrmRule,
        method: &str,
        confidence: Confidence,
    ) -> Option<Finding> {
        let (Some(table), Some(access), Some(operation)) = (table, rule.access, rule.operation)
        else {
            return None;
        };
        let site = Site {
            function: self.scopes.qualified(call.start_byte()),
            evidence: evidence(text(self.src, call)),
            sink: Some(method.to_string()),
            framework: Some(rule.framework.clone()),
            ..self.file.site_at(&self.index, call.start_byte())
        };
        Some(site.finding(table, access, operation, rule.kind, confidence))
    }
}

/// What a GORM chain is about.
#[derive(Clone)]
enum Subject<'a> {
    Model(&'a ModelDecl),
    Table(String),
}

/// One method of a chain and its arguments.
type Link<'s, 't> = (&'s str, Option<Node<'t>>);

/// A query builder held in a name (`q := db.Model(&X{})…`).
struct Held<'a> {
    function: Option<usize>,
    /// Where the binding ends: uses start after it.
    at: usize,
    name: String,
    subject: Subject<'a>,
}

/// The catalog rows of a chain's methods, with their positions.
fn chain_rules<'c>(catalog: &'c OrmCatalog, links: &[Link<'_, '_>]) -> Vec<(usize, &'c OrmRule)> {
    links
        .iter()
        .enumerate()
        .filter_map(|(i, (m, _))| catalog.lookup(&[], OrmReceiver::Db, m).map(|r| (i, r)))
        .collect()
}

/// The stand-in table a `Joins` fragment is parsed after; never a configured table.
const JOIN_BASE: &str = "__cutover_join_base";

/// A read the chain's methods do not spell (a subquery, a join).
fn read_rule(method: &str) -> OrmRule {
    OrmRule {
        framework: "gorm".into(),
        receiver: OrmReceiver::Db,
        method: method.into(),
        access: Some(Access::Read),
        operation: Some(Operation::Select),
        model_arg: None,
        instance_arg: None,
        table_arg: None,
        kind: Kind::Orm,
    }
}

/// Argument `n` of link `i`.
fn link_arg<'t>(links: &[Link<'_, 't>], i: usize, n: usize) -> Option<Node<'t>> {
    links[i]
        .1
        .map(named_children)
        .and_then(|a| a.get(n).copied())
}

/// The type an expression constructs: `X{}`, `&X{}`, `[]X{}`, `&[]X{}`, `new(X)`,
/// `make([]X, n)`.
fn expr_type(src: &str, node: Node<'_>) -> Option<String> {
    // `&&&…x` nests: unwrap iteratively, never recursively.
    let mut node = node;
    while node.kind() == "unary_expression" {
        node = node.field("operand")?;
    }
    match node.kind() {
        "composite_literal" => Some(text(src, node.field("type")?).to_string()),
        // `v.([]models.X)`
        "type_assertion_expression" => Some(text(src, node.field("type")?).to_string()),
        // `(*models.X)(nil)`: a typed nil names the model (bun, GORM's `Model`).
        "type_conversion_expression" => Some(text(src, node.field("type")?).to_string()),
        "call_expression"
            if node
                .field("function")
                .is_some_and(|f| f.kind() == "parenthesized_expression") =>
        {
            let f = text(src, node.field("function")?);
            let inner = f.trim_start_matches('(').trim_end_matches(')').trim();
            inner.starts_with('*').then(|| inner.to_string())
        }
        "call_expression" => {
            let f = text(src, node.field("function")?);
            if matches!(f, "new" | "make") {
                let args = node.field("arguments")?;
                let first = named_children(args).into_iter().next()?;
                Some(text(src, first).to_string())
            } else {
                None
            }
        }
        _ => None,
    }
}
