//! A class acting on its own model: a Django model's overrides (`def delete(self): …
//! super().delete()`) and a ModelForm's methods (`self.instance.delete()`, `super().save()`
//! in a form whose `Meta.model` is the model). `self` in a model's method is typed by
//! `var_type`; here: `super()` in both, and `self.instance` in a form.

use super::{Binding, Chain, Usages, VarType, class_key};
use crate::catalog::OrmReceiver;
use crate::extract::FileScan;
use crate::lang::Field as _;
use crate::model::Operation;
use crate::orm::ModelDecl;
use crate::orm::nodes::{named_children, text};
use tree_sitter::Node;

impl<'a> Usages<'a, '_> {
    /// `self.instance` of a Django ModelForm (a class with `Meta.model` whose bases name a
    /// form): an instance of the model, bound for the class's methods.
    pub(super) fn form_instance(&self, class: Node<'_>, bindings: &mut Vec<Binding>) {
        let Some(m) = self.form_model(class) else {
            return;
        };
        // (At the class's first byte: its body may open with `class Meta:`.)
        let Some(scope) = self.scopes.innermost(class.start_byte()) else {
            return;
        };
        bindings.push((
            class.start_byte(),
            class_key(scope),
            "self.instance".to_string(),
            VarType::instance(m),
        ));
    }

    /// The model of a ModelForm class: its `Meta.model`, when a base names a form.
    fn form_model(&self, class: Node<'_>) -> Option<&'a ModelDecl> {
        let bases = text(self.src, class.field("superclasses")?);
        if !bases.contains("Form") {
            return None;
        }
        let model = crate::orm::python::models::meta_model(self.src, class)?;
        self.model(model).filter(|m| m.framework == "django")
    }

    /// `super().delete()`, `super(Child, self).save(…)` in a method of a Django model or of
    /// a ModelForm of one: the instance method of that model. A form's `save(commit=False)`
    /// builds the instance without saving it. Returns whether the call was one.
    pub(super) fn super_call(&self, call: Node<'_>, chain: &Chain<'_>, out: &mut FileScan) -> bool {
        let src = self.src;
        let [first, link] = chain.links.as_slice() else {
            return false;
        };
        if chain.root.is_some() || !first.bare || text(src, first.method) != "super" {
            return false;
        }
        let pos = call.start_byte();
        let (model, form) = match self.enclosing_model(pos) {
            Some(m) => (m, false),
            None => match self
                .enclosing_class_node(call)
                .and_then(|c| self.form_model(c))
            {
                Some(m) => (m, true),
                None => return false,
            },
        };
        let method = text(src, link.method);
        if model.framework != "django" || form && (method != "save" || no_commit(src, link.args)) {
            return false;
        }
        let Some(rule) = self
            .catalog()
            .lookup(&[&model.framework], OrmReceiver::Instance, method)
        else {
            return false;
        };
        let mut rule = rule.clone();
        if form {
            // A form saves a new instance or an existing one; which, the code does not say.
            rule.operation = Some(Operation::Update);
        }
        let owner = if form {
            "a ModelForm of"
        } else {
            "a method of"
        };
        let via = vec![format!("super() in {owner} {}", model.name)];
        self.report(call, model, &rule, method, via, out);
        true
    }

    /// `form.save()` of a ModelForm built in this function (`form = OrderForm(…)`), or
    /// `OrderForm(…).save()`: a write of its `Meta.model`, unless `commit=False`.
    /// Returns whether the call was one.
    pub(super) fn form_save_call(
        &self,
        call: Node<'_>,
        chain: &Chain<'_>,
        out: &mut FileScan,
    ) -> bool {
        let Some(link) = chain.links.last() else {
            return false;
        };
        if text(self.src, link.method) != "save" {
            return false;
        }
        let Some(class) = self.built_by(chain) else {
            return false;
        };
        let Some(model) = self.built_model(&class, "save") else {
            return false;
        };
        if no_commit(self.src, link.args) {
            return true;
        }
        let Some(rule) = self
            .catalog()
            .lookup(&[&model.framework], OrmReceiver::Instance, "save")
        else {
            return true;
        };
        let mut rule = rule.clone();
        rule.operation = Some(Operation::Update);
        let via = vec![format!("{class}.save (ModelForm of {})", model.name)];
        self.report(call, model, &rule, "save", via, out);
        true
    }

    /// `super().save(commit=False)` (or any `super().save(…)`) in a ModelForm's method:
    /// an instance of its `Meta.model`.
    pub(super) fn super_form_save_type(&self, call: Node<'_>) -> Option<VarType> {
        let chain = Chain::of(call);
        let [first, link] = chain.links.as_slice() else {
            return None;
        };
        if chain.root.is_some()
            || !first.bare
            || text(self.src, first.method) != "super"
            || text(self.src, link.method) != "save"
        {
            return None;
        }
        let m = self.form_model(self.enclosing_class_node(call)?)?;
        Some(VarType::instance(m))
    }

    /// The class definition whose method holds `node`.
    fn enclosing_class_node<'t>(&self, node: Node<'t>) -> Option<Node<'t>> {
        let mut cur = node.parent();
        while let Some(n) = cur {
            if n.kind() == "class_definition" {
                return Some(n);
            }
            cur = n.parent();
        }
        None
    }
}

/// `save(commit=False)` / `save(False)`: a form that only builds its instance.
fn no_commit(src: &str, args: Option<Node<'_>>) -> bool {
    args.map(named_children)
        .unwrap_or_default()
        .iter()
        .any(|a| {
            a.kind() == "false"
                || a.kind() == "keyword_argument"
                    && a.field("name").is_some_and(|n| text(src, n) == "commit")
                    && a.field("value").is_some_and(|v| v.kind() == "false")
        })
}
