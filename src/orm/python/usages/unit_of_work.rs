//! SQLAlchemy's unit of work: setting a column attribute on a loaded instance of a legacy
//! model (`current_user.last_seen = now`, `setattr(config, name, value)`) and committing
//! the session later in the same function writes the row, with no `add` in sight. One
//! finding per function and model, at the commit that flushes the first change (where the
//! UPDATE runs); none where the function hands the instance to `add`/`merge` (that call is
//! the finding).

use super::queries::rule;
use super::{Binding, Usages, VarType};
use crate::extract::FileScan;
use crate::lang::Field as _;
use crate::model::{Access, Operation};
use crate::orm::nodes::{named_children, text};
use tree_sitter::Node;

impl Usages<'_, '_> {
    pub(super) fn unit_of_work(
        &self,
        nodes: &[Node<'_>],
        bindings: &[Binding],
        out: &mut FileScan,
    ) {
        let src = self.src;
        // Method calls of the file: (call, method, first argument's text).
        let calls: Vec<(Node<'_>, &str, &str)> = nodes
            .iter()
            .filter(|n| n.kind() == "call")
            .filter_map(|c| {
                let f = c.field("function")?;
                let method = text(src, f.field("attribute")?);
                let arg = c
                    .field("arguments")
                    .and_then(|a| named_children(a).into_iter().next())
                    .map(|a| text(src, a))
                    .unwrap_or("");
                Some((*c, method, arg))
            })
            .collect();
        let mut done: Vec<(Option<usize>, String)> = Vec::new();
        for n in nodes {
            let pos = n.start_byte();
            let (object, attr, m, called) = match attribute_set(src, *n) {
                Some((object, attr)) => match self.loaded_instance(object, bindings, pos) {
                    Some(m) => (object, attr.map(str::to_string), m, false),
                    None => continue,
                },
                None => match self.mutator_call(*n, bindings) {
                    Some((object, method, m)) => (object, Some(method), m, true),
                    None => continue,
                },
            };
            if m.framework != "sqlalchemy"
                || m.legacy.is_none()
                || attr
                    .as_deref()
                    .is_some_and(|a| self.relation(m, a).is_some())
            {
                continue;
            }
            let function = self.function_at(pos);
            let Some(scope) = function.map(|f| self.scopes.get(f)) else {
                continue;
            };
            let name = text(src, object);
            let in_function =
                |c: &Node<'_>| c.start_byte() >= scope.start && c.end_byte() <= scope.end;
            let commit = calls.iter().find(|(c, method, _)| {
                c.start_byte() > pos && in_function(c) && *method == "commit"
            });
            let handed = calls.iter().any(|(c, method, arg)| {
                in_function(c)
                    && (matches!(*method, "add" | "merge") && arg.starts_with(name)
                        || *method == "add_all" && mentions(arg, name))
            });
            let Some((commit, ..)) = commit else {
                continue;
            };
            if handed || done.contains(&(function, m.name.clone())) {
                continue;
            }
            done.push((function, m.name.clone()));
            let write = rule("sqlalchemy", Access::Write, Operation::Update);
            let attr = attr.as_deref().unwrap_or("<attr>");
            let via = match called {
                true => vec![format!("{name}.{attr}() sets its columns, then commit()")],
                false => vec![format!("{name}.{attr} set, then commit()")],
            };
            self.report(*commit, m, &write, "commit", via, out);
        }
    }

    /// `user.set_password(…)`: a call of a method that sets the model's columns (a
    /// mutator, pass 1). On a loaded instance of a model with that mutator; on a receiver
    /// of unknown type (`token_auth.current_user().revoke_token()`), when exactly one
    /// model of the repository has a mutator of that name and the name has a `_`. The
    /// receiver and the method.
    fn mutator_call<'t>(
        &self,
        call: Node<'t>,
        bindings: &[Binding],
    ) -> Option<(Node<'t>, String, &crate::orm::ModelDecl)> {
        if call.kind() != "call" {
            return None;
        }
        let f = call.field("function").filter(|f| f.kind() == "attribute")?;
        let (object, method) = (f.field("object")?, text(self.src, f.field("attribute")?));
        if text(self.src, object) == "self" {
            return None; // the model's own method: its caller commits, if anyone
        }
        let m = match self.type_of(object, bindings, call.start_byte()) {
            Some(VarType::Instance { model, module, .. }) => self
                .lookup(&model, module.as_deref())
                .filter(|m| m.mutators.iter().any(|x| x == method))?,
            Some(_) => return None,
            // As for typed names: only a name that says what it does (`revoke_token`,
            // not `update`), and only one model's.
            None if method.contains('_') => self.models().mutator_owner(method)?,
            None => return None,
        };
        Some((object, method.to_string(), m))
    }

    /// A model instance loaded from the database (not one just constructed).
    fn loaded_instance(
        &self,
        node: Node<'_>,
        bindings: &[Binding],
        pos: usize,
    ) -> Option<&crate::orm::ModelDecl> {
        if node.kind() != "identifier" && !super::is_self_attribute(self.src, node) {
            return None;
        }
        match self.var_type(text(self.src, node), pos, bindings)? {
            VarType::Instance {
                model,
                module,
                new: false,
            } => self.lookup(&model, module.as_deref()),
            _ => None,
        }
    }
}

/// The object and attribute an attribute set names: `obj.attr = …` gives `(obj,
/// Some("attr"))`; `setattr(obj, name, value)` gives `(obj, None)` when the name is
/// computed, else the name; a marshmallow `schema.load(data, instance=obj)` sets the
/// columns of `obj` it is handed, `(obj, None)`.
fn attribute_set<'t>(src: &'t str, n: Node<'t>) -> Option<(Node<'t>, Option<&'t str>)> {
    match n.kind() {
        "assignment" => {
            let left = n.field("left").filter(|l| l.kind() == "attribute")?;
            let attr = left.field("attribute")?;
            Some((left.field("object")?, Some(text(src, attr))))
        }
        "call" => {
            let f = n.field("function")?;
            if let Some(object) = loaded_into(src, n, f) {
                return Some((object, None));
            }
            if f.kind() != "identifier" || text(src, f) != "setattr" {
                return None;
            }
            let args = named_children(n.field("arguments")?);
            let [object, name, _] = args.as_slice() else {
                return None;
            };
            let attr = (name.kind() == "string")
                .then(|| text(src, *name).trim_matches(|c| c == '"' || c == '\''));
            Some((*object, attr))
        }
        _ => None,
    }
}

/// `schema.load(data, instance=obj)`: the `obj` whose columns the load sets.
fn loaded_into<'t>(src: &'t str, call: Node<'t>, function: Node<'t>) -> Option<Node<'t>> {
    let method = function.field("attribute")?;
    if text(src, method) != "load" {
        return None;
    }
    crate::orm::python::keyword_value(src, &named_children(call.field("arguments")?), "instance")
}

/// Whether `list` (`[token, new_token]`) names `name` as a whole word.
fn mentions(list: &str, name: &str) -> bool {
    list.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .any(|w| w == name)
}
