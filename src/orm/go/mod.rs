//! GORM. Pass 1 (`models`): structs, `TableName()` methods and the naming strategy, each
//! struct's table. Pass 2 (`usages`): `*gorm.DB` chains resolved to those tables. Here: what
//! both passes read the same way (string literals, type names).

pub mod models;
pub mod usages;

pub use models::{declarations, resolve};
pub use usages::usages;

use super::nodes::text;
use tree_sitter::Node;

/// A Go string literal's value (raw or interpreted; escapes beyond quotes are rare in
/// table names and kept as written).
fn string_value(src: &str, node: Node<'_>) -> Option<String> {
    let t = text(src, node);
    match node.kind() {
        "interpreted_string_literal" => t.strip_prefix('"')?.strip_suffix('"').map(str::to_string),
        "raw_string_literal" => t.strip_prefix('`')?.strip_suffix('`').map(str::to_string),
        _ => None,
    }
}

/// `*models.LegacyOrder`, `[]LegacyOrder`, `[]*pkg.X` → `(Some("models"), "LegacyOrder")`.
fn type_name(type_text: &str) -> (Option<&str>, &str) {
    let t = type_text.trim().trim_start_matches(['*', '&']);
    let t = t.strip_prefix("[]").unwrap_or(t).trim_start_matches('*');
    match t.split_once('.') {
        Some((pkg, name)) => (Some(pkg), name),
        None => (None, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(
            type_name("*models.LegacyOrder"),
            (Some("models"), "LegacyOrder")
        );
        assert_eq!(type_name("[]*LegacyOrder"), (None, "LegacyOrder"));
        assert_eq!(type_name("&[]pkg.X"), (Some("pkg"), "X"));
    }
}
