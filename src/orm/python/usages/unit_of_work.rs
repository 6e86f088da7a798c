//! SQLAlchemy's unit of work: setting a column attribute on a loaded instance of a legacy
//! model (`current_user.last_seen = now`) and committing the session in the same function
//! writes the row, with no `add` in sight. One finding per function and model, at the
//! first assignment; none where the function hands the instance to `add`/`merge` (that
//! call is the finding).

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
        // Method calls of the file: (position, method, first argument's text).
        let calls: Vec<(usize, &str, &str)> = nodes
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
                Some((c.start_byte(), method, arg))
            })
            .collect();
        let mut done: Vec<(Option<usize>, String)> = Vec::new();
        for n in nodes.iter().filter(|n| n.kind() == "assignment") {
            let Some(left) = n.field("left").filter(|l| l.kind() == "attribute") else {
                continue;
            };
            let (Some(object), Some(attr)) = (left.field("object"), left.field("attribute")) else {
                continue;
            };
            let pos = n.start_byte();
            let Some(m) = self.loaded_instance(object, bindings, pos) else {
                continue;
            };
            if m.framework != "sqlalchemy"
                || m.legacy.is_none()
                || self.relation(m, text(src, attr)).is_some()
            {
                continue;
            }
            let function = self.function_at(pos);
            let Some(scope) = function.map(|f| self.scopes.get(f)) else {
                continue;
            };
            let name = text(src, object);
            let in_function = |p: usize| p >= scope.start && p < scope.end;
            let commits = calls
                .iter()
                .any(|(p, method, _)| *p > pos && in_function(*p) && *method == "commit");
            let handed = calls.iter().any(|(p, method, arg)| {
                in_function(*p) && matches!(*method, "add" | "merge") && arg.starts_with(name)
            });
            if !commits || handed || done.contains(&(function, m.name.clone())) {
                continue;
            }
            done.push((function, m.name.clone()));
            let write = rule("sqlalchemy", Access::Write, Operation::Update);
            let via = vec![format!("{name}.{} then commit()", text(src, attr))];
            self.report(*n, m, &write, "commit", via, out);
        }
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
