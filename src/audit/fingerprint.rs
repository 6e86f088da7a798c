//! Fingerprints: findings in, one stable identifier per finding out. They identify a
//! reference across unrelated edits and line moves, so they contain no line or column.
//!
//! Recipe (version `cutover-fp-v1`): SHA-256 over the fields below, each followed by a
//! `0x1F` unit separator, rendered as the first 32 lowercase hex digits (128 bits):
//!
//! 1. the recipe version `cutover-fp-v1`
//! 2. `file`, relative to the scanned root with `/` separators
//! 3. `table`, as configured
//! 4. `access` (`read` | `write` | `ddl`) and 5. `operation` (`select`, `update`, …)
//! 6. the enclosing `function`, or the empty string
//! 7. the normalised statement or call: the finding's evidence with whitespace collapsed,
//!    ASCII-lower-cased and a trailing `;` removed
//! 8. the occurrence index (0, 1, …) of this exact tuple 2–7 within the file, in line order
//!
//! The occurrence index keeps two identical statements in one function apart, so a
//! fingerprint is unique within a run (GitLab merges findings that share one).

use crate::model::Finding;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub const RECIPE_VERSION: &str = "cutover-fp-v1";

/// The normalised statement that enters the fingerprint.
pub fn normalize_statement(evidence: &str) -> String {
    let collapsed = evidence.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
        .to_ascii_lowercase()
}

/// Hash a list of fields with the fixed recipe.
pub fn hash_fields(fields: &[&str]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1F]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// One fingerprint per finding, in the same order. `findings` must be in report order
/// (file, line, column), which is what makes the occurrence index follow line order.
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<(String, String, String, String, String, String), u32> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let statement = normalize_statement(&f.evidence);
            let function = f.function.clone().unwrap_or_default();
            let key = (
                f.file.clone(),
                f.table.clone(),
                f.access.as_str().to_string(),
                f.operation.as_str().to_string(),
                function.clone(),
                statement.clone(),
            );
            let n = seen.entry(key).or_insert(0);
            let occurrence = n.to_string();
            *n += 1;
            hash_fields(&[
                RECIPE_VERSION,
                &f.file,
                &f.table,
                f.access.as_str(),
                f.operation.as_str(),
                &function,
                &statement,
                &occurrence,
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Confidence, Kind, Language, Operation, Site};

    fn finding(file: &str, line: u32, function: Option<&str>, evidence: &str) -> Finding {
        let site = Site {
            file: file.into(),
            line,
            column: 5,
            language: Language::Python,
            function: function.map(str::to_string),
            evidence: evidence.into(),
            sink: Some("cursor.execute".into()),
            framework: None,
        };
        let (access, operation) = (Access::Write, Operation::Update);
        site.finding(
            "orders_legacy".into(),
            access,
            operation,
            Kind::RawSql,
            Confidence::Parsed,
        )
    }

    #[test]
    fn survives_line_moves_and_reformatting() {
        let a = fingerprints(&[finding(
            "app.py",
            10,
            Some("f"),
            "UPDATE orders_legacy SET x = 1",
        )]);
        let b = fingerprints(&[finding(
            "app.py",
            42,
            Some("f"),
            "update  orders_legacy SET x = 1;",
        )]);
        assert_eq!(a, b);
        assert_eq!(a[0].len(), 32);
    }

    #[test]
    fn depends_on_file_function_and_statement() {
        let base = fingerprints(&[finding("app.py", 1, Some("f"), "UPDATE orders_legacy")]);
        for other in [
            finding("other.py", 1, Some("f"), "UPDATE orders_legacy"),
            finding("app.py", 1, Some("g"), "UPDATE orders_legacy"),
            finding("app.py", 1, None, "UPDATE orders_legacy"),
            finding("app.py", 1, Some("f"), "UPDATE orders_legacy SET y = 2"),
        ] {
            assert_ne!(base, fingerprints(&[other]));
        }
    }

    #[test]
    fn duplicates_get_distinct_occurrences() {
        let fps = fingerprints(&[
            finding("app.py", 1, Some("f"), "UPDATE orders_legacy"),
            finding("app.py", 9, Some("f"), "UPDATE orders_legacy"),
        ]);
        assert_ne!(fps[0], fps[1]);
    }

    #[test]
    fn recipe_is_fixed() {
        // A pinned value: changing the recipe changes every fingerprint users have stored.
        let fp = fingerprints(&[finding("app.py", 1, Some("f"), "UPDATE orders_legacy")]);
        let expected = hash_fields(&[
            "cutover-fp-v1",
            "app.py",
            "orders_legacy",
            "write",
            "update",
            "f",
            "update orders_legacy",
            "0",
        ]);
        assert_eq!(fp[0], expected);
        assert_eq!(hash_fields(&["a"]), "69fc94c033d1f48cef62e24c0833e6ba");
    }
}
