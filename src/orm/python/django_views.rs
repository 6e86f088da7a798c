//! Django classes that read or write a model's table with no call in sight: generic
//! class-based views (`model = Order` in a `ListView` / `CreateView` / `UpdateView`…), DRF
//! viewsets and generic API views (`queryset = Order.objects.all()` in a `ModelViewSet`: the
//! writes its create/update/destroy actions make), admin inlines, and admin registrations
//! (`@admin.register(Order)`, `admin.site.register(Order)`: the admin lists, changes and
//! deletes rows), and DRF serializer fields that nest a serializer of a legacy model (each
//! row serialized reads its related rows). Which base does what is data:
//! `catalog/django_views.toml`. A `model = X` of a legacy model on a class whose bases say
//! nothing the catalog knows is unresolved.

use super::last_segment;
use super::migration_ops::enclosing_function;
use crate::extract::{FileInput, FileScan, LineIndex, evidence};
use crate::lang::Field as _;
use crate::model::{Access, Confidence, Kind, Language, Operation, Site};
use crate::orm::nodes::{named_children, text};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;
use tree_sitter::Node;

/// One view base class and what a class deriving from it does to its model's table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewBase {
    base: String,
    #[serde(default)]
    read: bool,
    #[serde(default)]
    write: Option<Operation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewCatalogFile {
    #[serde(default)]
    read_then_write: Vec<String>,
    #[serde(default)]
    view: Vec<ViewBase>,
}

fn catalog() -> &'static ViewCatalogFile {
    static CATALOG: LazyLock<ViewCatalogFile> = LazyLock::new(|| {
        // Tested (`catalog_parses`): an error is a bug.
        toml::from_str(include_str!("../../../catalog/django_views.toml")).unwrap_or_default()
    });
    &CATALOG
}

/// Whether a Django manager method reads before it writes (`get_or_create`): the ORM pass
/// reports a read as well as the write.
pub fn reads_before_write(method: &str) -> bool {
    catalog().read_then_write.iter().any(|m| m == method)
}

/// What a class does to its model's table, from its bases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ViewAccess {
    read: bool,
    write: Option<Operation>,
    known: bool,
}

impl ViewAccess {
    fn join(self, other: ViewAccess) -> ViewAccess {
        ViewAccess {
            read: self.read || other.read,
            write: self.write.or(other.write),
            known: self.known || other.known,
        }
    }
}

/// The catalog row of one base name: an exact match, else the longest row the name ends
/// with (`BabyBuddyFilterView` → `FilterView`; `ReadOnlyModelViewSet` is its own row).
fn base_access(name: &str) -> Option<ViewAccess> {
    let rows = &catalog().view;
    rows.iter()
        .find(|r| r.base == name)
        .or_else(|| {
            rows.iter()
                .filter(|r| name.ends_with(r.base.as_str()))
                .max_by_key(|r| r.base.len())
        })
        .map(|r| ViewAccess {
            read: r.read,
            write: r.write,
            known: true,
        })
}

struct Views<'a, 's> {
    file: &'a FileInput<'s>,
    src: &'s str,
    index: LineIndex,
    /// The classes of this file: name → base names (last segments).
    classes: HashMap<&'s str, Vec<&'s str>>,
    /// DRF serializers of this file whose `Meta.model` is a legacy model: name → table.
    serializers: HashMap<&'s str, String>,
}

/// The findings of one Python file's views, viewsets, inlines and admin registrations.
/// The views, serializers and admin registrations of a file, from the nodes of the usage
/// pass (its calls and classes).
pub fn usages(file: &FileInput<'_>, nodes: &[Node<'_>], out: &mut FileScan) {
    let src = file.text;
    if !(src.contains("model") || src.contains("queryset") || src.contains("register(")) {
        return;
    }
    let mut pass = Views {
        file,
        src,
        index: LineIndex::new(src),
        classes: HashMap::new(),
        serializers: HashMap::new(),
    };
    for &n in nodes {
        if n.kind() == "class_definition"
            && let Some(name) = n.field("name")
        {
            pass.classes.insert(text(src, name), bases(src, n));
        }
    }
    for &n in nodes {
        if n.kind() == "class_definition"
            && let Some((name, table)) = pass.model_serializer(n)
        {
            pass.serializers.insert(name, table);
        }
    }
    for &n in nodes {
        match n.kind() {
            "class_definition" => pass.class(n, out),
            "call" => pass.admin_register(n, out),
            _ => {}
        }
    }
}

fn bases<'s>(src: &'s str, class: Node<'_>) -> Vec<&'s str> {
    class
        .field("superclasses")
        .map(named_children)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| matches!(b.kind(), "identifier" | "attribute"))
        .map(|b| last_segment(text(src, b)))
        .collect()
}

impl<'s> Views<'_, 's> {
    /// What a class does, from its bases and (through classes of this file) theirs.
    fn access_of(&self, bases: &[&str], depth: usize) -> ViewAccess {
        let mut access = ViewAccess::default();
        for base in bases {
            let found = match base_access(base) {
                Some(a) => a,
                None if depth < 8 => match self.classes.get(base) {
                    Some(parents) => self.access_of(parents, depth + 1),
                    None => ViewAccess::default(),
                },
                None => ViewAccess::default(),
            };
            access = access.join(found);
        }
        access
    }

    /// `model = X` / `queryset = X.objects…` in a class body.
    fn class(&self, class: Node<'_>, out: &mut FileScan) {
        let src = self.src;
        let (Some(name), Some(body)) = (class.field("name"), class.field("body")) else {
            return;
        };
        if text(src, name) == "Meta" {
            return;
        }
        let access = self.access_of(&bases(src, class), 0);
        for stmt in named_children(body) {
            for a in named_children(stmt)
                .into_iter()
                .filter(|a| a.kind() == "assignment")
            {
                let (Some(left), Some(right)) = (a.field("left"), a.field("right")) else {
                    continue;
                };
                match text(src, left) {
                    "model" => self.model_attribute(a, right, access, out),
                    "queryset" => self.queryset_attribute(a, right, access, out),
                    _ => self.nested_serializer(a, right, out),
                }
            }
        }
    }

    /// `class FileSerializer(serializers.ModelSerializer): class Meta: model = File`.
    fn model_serializer(&self, class: Node<'_>) -> Option<(&'s str, String)> {
        let src = self.src;
        let name = text(src, class.field("name")?);
        if !bases(src, class).iter().any(|b| b.ends_with("Serializer")) {
            return None;
        }
        let model = super::models::meta_model(src, class)?;
        Some((name, self.legacy_model(model)?))
    }

    /// `files = FileSerializer(many=True)` in a serializer: each serialized row reads its
    /// related rows of the nested serializer's model (a lazy load, or the view's prefetch).
    fn nested_serializer(&self, at: Node<'_>, value: Node<'_>, out: &mut FileScan) {
        if value.kind() != "call" {
            return;
        }
        let Some(table) = value
            .field("function")
            .and_then(|f| self.serializers.get(last_segment(text(self.src, f))))
        else {
            return;
        };
        let access = ViewAccess {
            read: true,
            write: None,
            known: true,
        };
        self.report(at, table, access, true, "nested serializer", out);
    }

    fn model_attribute(
        &self,
        at: Node<'_>,
        value: Node<'_>,
        access: ViewAccess,
        out: &mut FileScan,
    ) {
        let Some(table) = self.legacy_model(value) else {
            return;
        };
        if !access.known {
            let reason =
                "model = of a class whose bases are no view, viewset or inline cutover knows";
            out.findings
                .push(self.site(at, "model").unresolved(table, Kind::Orm, reason));
            return;
        }
        self.report(at, &table, access, true, "model", out);
    }

    /// The writes of a viewset's actions; its queryset's read is the ORM pass's.
    fn queryset_attribute(
        &self,
        at: Node<'_>,
        value: Node<'_>,
        access: ViewAccess,
        out: &mut FileScan,
    ) {
        if access.write.is_none() {
            return;
        }
        // `X.objects.all()…`: the model the chain's manager hangs from.
        let mut node = value;
        let mut model = None;
        for _ in 0..64 {
            match node.kind() {
                "call" => match node.field("function") {
                    Some(f) => node = f,
                    None => return,
                },
                "attribute" => {
                    let (Some(object), Some(attr)) =
                        (node.field("object"), node.field("attribute"))
                    else {
                        return;
                    };
                    if text(self.src, attr) == "objects" {
                        model = Some(object);
                        break;
                    }
                    node = object;
                }
                _ => return,
            }
        }
        let Some(model) = model else {
            return;
        };
        if let Some(table) = self.legacy_model(model) {
            self.report(at, &table, access, false, "queryset", out);
        }
    }

    /// `@admin.register(X, Y)`, `admin.site.register(X, XAdmin)`: the admin reads and
    /// changes the rows of each model.
    fn admin_register(&self, call: Node<'_>, out: &mut FileScan) {
        let src = self.src;
        let Some(function) = call.field("function") else {
            return;
        };
        let callee = text(src, function);
        if !is_admin_register(callee) {
            return;
        }
        let Some(args) = call.field("arguments") else {
            return;
        };
        let mut positional = named_children(args)
            .into_iter()
            .filter(|a| a.kind() != "keyword_argument");
        // `site.register(X, XAdmin)` takes one model (or a list); `@admin.register` several.
        let models: Vec<Node<'_>> = if callee == "admin.register" {
            positional.collect()
        } else {
            positional.next().into_iter().collect()
        };
        let access = ViewAccess {
            read: true,
            write: Some(Operation::Update),
            known: true,
        };
        for m in models {
            if let Some(table) = self.legacy_model(m) {
                self.report(call, &table, access, true, "admin.register", out);
            }
        }
    }

    /// The legacy table of a Django model named by `node` (`Order`, `models.Order`), when
    /// every model of that name maps to the same legacy table.
    fn legacy_model(&self, node: Node<'_>) -> Option<String> {
        if !matches!(node.kind(), "identifier" | "attribute") {
            return None;
        }
        let name = last_segment(text(self.src, node));
        let found = self.file.ctx.models.find(Language::Python, name);
        let first = found.first()?;
        let same = found
            .iter()
            .all(|m| m.framework == "django" && m.legacy == first.legacy);
        if same { first.legacy.clone() } else { None }
    }

    fn site(&self, node: Node<'_>, sink: &str) -> Site {
        Site {
            function: enclosing_function(self.src, node),
            evidence: evidence(text(self.src, node)),
            sink: Some(sink.to_string()),
            framework: Some("django".to_string()),
            ..self.file.site_at(&self.index, node.start_byte())
        }
    }

    fn report(
        &self,
        node: Node<'_>,
        table: &str,
        access: ViewAccess,
        with_read: bool,
        sink: &str,
        out: &mut FileScan,
    ) {
        let site = self.site(node, sink);
        if access.read && with_read {
            out.findings.push(site.finding(
                table.to_string(),
                Access::Read,
                Operation::Select,
                Kind::Orm,
                Confidence::Inferred,
            ));
        }
        if let Some(operation) = access.write {
            out.findings.push(site.finding(
                table.to_string(),
                Access::Write,
                operation,
                Kind::Orm,
                Confidence::Inferred,
            ));
        }
    }
}

/// Whether a callee registers models with Django's admin (this pass explains the call).
pub(crate) fn is_admin_register(callee: &str) -> bool {
    callee == "admin.register" || callee.ends_with("site.register")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses() {
        let file: ViewCatalogFile =
            toml::from_str(include_str!("../../../catalog/django_views.toml"))
                .expect("catalog/django_views.toml parses");
        assert!(file.view.len() > 20);
        assert!(reads_before_write("get_or_create"));
        assert_eq!(base_access("ReadOnlyModelViewSet").unwrap().write, None);
        assert_eq!(
            base_access("ModelViewSet").unwrap().write,
            Some(Operation::Update)
        );
        assert!(base_access("BabyBuddyFilterView").unwrap().read);
        assert!(base_access("View").is_none());
    }
}
