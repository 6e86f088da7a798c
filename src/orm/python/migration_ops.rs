//! The catalog of Python migration operations (`catalog/python_migrations.toml`): what each
//! Alembic `op.*` / `batch_op.*` method and each Django migration operation does to the
//! table it names, and where in the call that table is. Shared by `alembic` and
//! `django_migrations`, with the argument readers both use.

use super::string_value;
use crate::lang::Field as _;
use crate::model::{Access, Operation};
use crate::orm::nodes::{named_children, text};
use serde::Deserialize;
use std::sync::LazyLock;
use tree_sitter::Node;

/// Where an Alembic method is called: on `op`, or on the `batch_op` of a batch block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlembicReceiver {
    Op,
    Batch,
}

/// One Alembic method.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlembicOp {
    pub receiver: AlembicReceiver,
    pub method: String,
    pub access: Access,
    pub operation: Operation,
    #[serde(default)]
    pub table_arg: Option<usize>,
    #[serde(default)]
    pub table_kwarg: Option<String>,
    #[serde(default)]
    pub referent_arg: Option<usize>,
    #[serde(default)]
    pub referent_kwarg: Option<String>,
    #[serde(default)]
    pub object_arg: Option<usize>,
}

/// One Django migration operation class.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DjangoOp {
    pub class: String,
    pub access: Access,
    pub operation: Operation,
    pub model_arg: usize,
    pub model_kwarg: String,
    #[serde(default)]
    pub other_model_arg: Option<usize>,
    #[serde(default)]
    pub other_model_kwarg: Option<String>,
    #[serde(default)]
    pub table_arg: Option<usize>,
    #[serde(default)]
    pub table_kwarg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrationCatalogFile {
    #[serde(default)]
    alembic: Vec<AlembicOp>,
    #[serde(default)]
    django: Vec<DjangoOp>,
}

/// The built-in catalog of migration operations, parsed once.
pub struct MigrationCatalog {
    alembic: Vec<AlembicOp>,
    django: Vec<DjangoOp>,
}

impl MigrationCatalog {
    pub fn builtin() -> &'static MigrationCatalog {
        static CATALOG: LazyLock<MigrationCatalog> = LazyLock::new(|| {
            // Tested (`catalog_parses`): an error is a bug.
            let file: MigrationCatalogFile =
                toml::from_str(include_str!("../../../catalog/python_migrations.toml"))
                    .unwrap_or_default();
            MigrationCatalog {
                alembic: file.alembic,
                django: file.django,
            }
        });
        &CATALOG
    }

    pub fn alembic(&self, receiver: AlembicReceiver, method: &str) -> Option<&AlembicOp> {
        self.alembic
            .iter()
            .find(|o| o.receiver == receiver && o.method == method)
    }

    pub fn django(&self, class: &str) -> Option<&DjangoOp> {
        self.django.iter().find(|o| o.class == class)
    }
}

/// The arguments of a call: positional ones, and `(keyword, value)` pairs.
pub struct CallArgs<'t> {
    pub positional: Vec<Node<'t>>,
    pub keywords: Vec<(String, Node<'t>)>,
}

impl<'t> CallArgs<'t> {
    pub fn of(src: &str, call: Node<'t>) -> CallArgs<'t> {
        let mut out = CallArgs {
            positional: Vec::new(),
            keywords: Vec::new(),
        };
        let Some(args) = call.field("arguments") else {
            return out;
        };
        for a in named_children(args) {
            match a.kind() {
                "keyword_argument" => {
                    if let (Some(k), Some(v)) = (a.field("name"), a.field("value")) {
                        out.keywords.push((text(src, k).to_string(), v));
                    }
                }
                "comment" | "list_splat" | "dictionary_splat" => {}
                _ => out.positional.push(a),
            }
        }
        out
    }

    /// The argument at `index` or named `keyword`.
    pub fn get(&self, index: Option<usize>, keyword: Option<&str>) -> Option<Node<'t>> {
        keyword
            .and_then(|k| self.keywords.iter().find(|(n, _)| n == k).map(|(_, v)| *v))
            .or_else(|| index.and_then(|i| self.positional.get(i).copied()))
    }
}

/// A string argument, or a name bound to one string at module level.
pub fn string_or_const(
    src: &str,
    node: Node<'_>,
    consts: &std::collections::HashMap<String, Option<String>>,
) -> Option<String> {
    match node.kind() {
        "identifier" => consts.get(text(src, node)).cloned().flatten(),
        _ => string_value(src, node),
    }
}

/// `NAME = "value"` anywhere in the file; a name bound to two different strings is `None`.
pub fn string_consts(
    src: &str,
    nodes: &[Node<'_>],
) -> std::collections::HashMap<String, Option<String>> {
    let mut consts: std::collections::HashMap<String, Option<String>> = Default::default();
    for n in nodes {
        if n.kind() != "assignment" {
            continue;
        }
        let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else {
            continue;
        };
        if left.kind() != "identifier" {
            continue;
        }
        if let Some(s) = string_value(src, right) {
            let entry = consts
                .entry(text(src, left).to_string())
                .or_insert(Some(s.clone()));
            if entry.as_deref() != Some(s.as_str()) {
                *entry = None;
            }
        }
    }
    consts
}

/// The name of the function or class around `node` (`upgrade`, `forwards`, the
/// `Migration` whose `operations` hold it), for the finding.
pub fn enclosing_function(src: &str, node: Node<'_>) -> Option<String> {
    let mut at = node.parent();
    while let Some(n) = at {
        if matches!(n.kind(), "function_definition" | "class_definition") {
            return n.field("name").map(|x| text(src, x).to_string());
        }
        at = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_parses() {
        let file: MigrationCatalogFile =
            toml::from_str(include_str!("../../../catalog/python_migrations.toml"))
                .expect("catalog/python_migrations.toml parses");
        assert!(file.alembic.len() > 20);
        assert!(file.django.len() > 15);
        let c = MigrationCatalog::builtin();
        let fk = c
            .alembic(AlembicReceiver::Op, "create_foreign_key")
            .unwrap();
        assert_eq!((fk.table_arg, fk.referent_arg), (Some(1), Some(2)));
        assert!(c.alembic(AlembicReceiver::Batch, "add_column").is_some());
        assert_eq!(c.django("RenameModel").unwrap().other_model_arg, Some(1));
    }
}
