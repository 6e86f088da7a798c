//! Vendored, minified, bundled and generated code: not the application's own, and the most
//! expensive files to parse (a 900 KB bundle line that mentions a common word). A file that
//! would be parsed is left out, with a `generated` problem that says why, when
//! - `.gitattributes` at the root marks it `linguist-vendored` or `linguist-generated`;
//! - its name says so (`*.min.js`, `*.bundle.js`) or it lies under `node_modules/` or
//!   `vendor/`;
//! - its first lines say so (`Code generated … DO NOT EDIT`, `@generated`);
//! - it is JavaScript or TypeScript with very long lines on average (a bundle).
//!
//! Generated SQL is the exception: sqlc's `*.sql.go` and ent's generated files hold the
//! application's SQL, and migrations (Django's `migrations/`, Alembic's `versions/`, Rails'
//! `db/migrate/`) and `.sql` files hold its schema changes and data migrations, however
//! `.gitattributes` marks them (saleor marks its Django migrations `linguist-generated`):
//! they are scanned. `--include-generated` (or `[scan]
//! include_generated = true`) scans everything.

use crate::model::Language;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::Path;

/// How much of the start of a file is searched for a generated-code header.
const HEADER_BYTES: usize = 1024;
/// A JavaScript/TypeScript file at least this large, whose lines average at least
/// `BUNDLE_LINE` bytes, is a bundle or minified.
const BUNDLE_SIZE: usize = 16 * 1024;
const BUNDLE_LINE: usize = 500;

/// What decides whether a file is generated: the root `.gitattributes` and the switch.
#[derive(Debug, Clone, Default)]
pub struct GeneratedCode {
    /// Scan generated code anyway.
    pub include: bool,
    /// Patterns marked `linguist-vendored` or `linguist-generated`.
    marked: Option<GlobSet>,
}

impl GeneratedCode {
    /// Read `root/.gitattributes` (a missing or unreadable file marks nothing).
    pub fn new(root: &Path, include: bool) -> GeneratedCode {
        let text = std::fs::read_to_string(root.join(".gitattributes")).unwrap_or_default();
        GeneratedCode {
            include,
            marked: marked_patterns(&text),
        }
    }

    /// Scan everything (`--include-generated`).
    pub fn included() -> GeneratedCode {
        GeneratedCode {
            include: true,
            marked: None,
        }
    }

    /// Why `rel` (with content `text`) is generated code not to scan, if it is.
    pub fn reason(&self, rel: &str, language: Language, text: &str) -> Option<String> {
        if self.include {
            return None;
        }
        let head = head(text);
        if language == Language::Go && is_generated_go_sql(rel, head)
            || language == Language::Sql
            || is_migration(rel)
        {
            return None;
        }
        if self.marked.as_ref().is_some_and(|m| m.is_match(rel)) {
            return Some("marked linguist-vendored or linguist-generated in .gitattributes".into());
        }
        if let Some(why) = by_name(rel) {
            return Some(why.to_string());
        }
        if has_generated_header(head) {
            return Some("its header says it is generated".into());
        }
        if matches!(language, Language::JavaScript | Language::TypeScript)
            && let Some(average) = bundle_line_length(text)
        {
            return Some(format!(
                "minified or bundled: lines average {average} bytes"
            ));
        }
        None
    }
}

/// The patterns of `.gitattributes` lines that set `linguist-vendored` or
/// `linguist-generated` (not `-linguist-…` nor `=false`).
fn marked_patterns(text: &str) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    let mut any = false;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        if pattern.starts_with('#') {
            continue;
        }
        let marked = words.any(|w| {
            matches!(
                w,
                "linguist-vendored"
                    | "linguist-generated"
                    | "linguist-vendored=true"
                    | "linguist-generated=true"
            )
        });
        if !marked {
            continue;
        }
        // gitattributes semantics: a pattern without `/` matches at any depth; a leading
        // `/` anchors it at the root; `dir/**` matches everything under dir.
        let anchored = pattern.trim_start_matches('/');
        let glob = if pattern.contains('/') {
            anchored.to_string()
        } else {
            format!("**/{anchored}")
        };
        for g in [glob.clone(), format!("{}/**", glob.trim_end_matches('/'))] {
            if let Ok(glob) = Glob::new(&g) {
                builder.add(glob);
                any = true;
            }
        }
    }
    any.then(|| builder.build().ok()).flatten()
}

fn head(text: &str) -> &str {
    let mut end = text.len().min(HEADER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// sqlc (`*.sql.go`, "Code generated by sqlc") and ent ("Code generated by ent"): the
/// application's SQL, generated from its queries or schema.
fn is_generated_go_sql(rel: &str, head: &str) -> bool {
    rel.ends_with(".sql.go")
        || head.contains("generated by sqlc")
        || head.contains("generated by ent")
}

/// A file in a migrations directory: the schema's history, generated or not.
fn is_migration(rel: &str) -> bool {
    let Some((dir, _)) = rel.rsplit_once('/') else {
        return false;
    };
    dir.split('/')
        .any(|d| matches!(d, "migrations" | "migration" | "migrate" | "versions"))
}

fn by_name(rel: &str) -> Option<&'static str> {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    let minified = [".min.js", ".min.mjs", ".min.cjs", "-min.js"];
    if minified.iter().any(|s| name.ends_with(s)) {
        return Some("minified (file name)");
    }
    let bundles = [".bundle.js", ".bundle.mjs", ".bundle.cjs", ".chunk.js"];
    if bundles.iter().any(|s| name.ends_with(s)) {
        return Some("a bundle (file name)");
    }
    let mut dirs = rel.split('/');
    dirs.next_back();
    if dirs.any(|d| d == "node_modules" || d == "vendor") {
        return Some("vendored (under node_modules/ or vendor/)");
    }
    None
}

/// `// Code generated … DO NOT EDIT.` (Go's convention, used by many generators) or
/// `@generated` in the first lines.
fn has_generated_header(head: &str) -> bool {
    head.lines().take(10).any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.contains("@generated")
            || (lower.contains("generated") && lower.contains("do not edit"))
    })
}

/// The average line length of a large file, when it is a bundle's.
fn bundle_line_length(text: &str) -> Option<usize> {
    if text.len() < BUNDLE_SIZE {
        return None;
    }
    let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
    let average = text.len() / lines;
    (average >= BUNDLE_LINE).then_some(average)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(rel: &str, language: Language, text: &str) -> Option<String> {
        let g = GeneratedCode {
            include: false,
            marked: marked_patterns(
                "static/** linguist-vendored\n*.gen.ts linguist-generated=true\nkeep.js -linguist-vendored\n",
            ),
        };
        g.reason(rel, language, text)
    }

    #[test]
    fn names_headers_attributes_and_bundles() {
        let js = Language::JavaScript;
        assert!(generated("web/app.min.js", js, "x").is_some());
        assert!(generated("web/main.bundle.js", js, "x").is_some());
        assert!(generated("node_modules/pg/index.js", js, "x").is_some());
        assert!(generated("static/lib/jquery.js", js, "x").is_some());
        assert!(generated("src/api.gen.ts", Language::TypeScript, "x").is_some());
        assert!(generated("keep.js", js, "x").is_none());
        assert!(generated("src/app.js", js, "const a = 1;\n").is_none());
        let bundle = format!("{}\n", "a".repeat(20_000));
        assert!(generated("src/app.js", js, &bundle).is_some());
        let py = "# Code generated by protoc. DO NOT EDIT.\nimport x\n";
        assert!(generated("api/pb2.py", Language::Python, py).is_some());
        assert!(generated("api/x.py", Language::Python, "# @generated\n").is_some());
        assert!(generated("api/x.py", Language::Python, "import x\n").is_none());
    }

    #[test]
    fn generated_go_sql_is_still_scanned() {
        let go = Language::Go;
        let sqlc = "// Code generated by sqlc. DO NOT EDIT.\npackage db\n";
        assert!(generated("db/query.sql.go", go, sqlc).is_none());
        assert!(generated("db/models.go", go, sqlc).is_none());
        let ent = "// Code generated by ent, DO NOT EDIT.\npackage ent\n";
        assert!(generated("ent/order_create.go", go, ent).is_none());
        let pb = "// Code generated by protoc-gen-go. DO NOT EDIT.\npackage pb\n";
        assert!(generated("pb/order.pb.go", go, pb).is_some());
    }

    #[test]
    fn migrations_and_sql_are_scanned_however_they_are_marked() {
        let marked = GeneratedCode {
            include: false,
            marked: marked_patterns(
                "**/migrations/** linguist-generated\n*.sql linguist-generated\n",
            ),
        };
        let py = "# Generated by Django 4.2\nfrom django.db import migrations\n";
        let reason = |rel: &str, language| marked.reason(rel, language, py);
        assert!(reason("shop/migrations/0002_data.py", Language::Python).is_none());
        assert!(reason("db/schema.sql", Language::Sql).is_none());
        assert!(reason("alembic/versions/1a2b_users.py", Language::Python).is_none());
    }

    #[test]
    fn include_scans_everything() {
        let g = GeneratedCode {
            include: true,
            marked: None,
        };
        assert!(g.reason("a.min.js", Language::JavaScript, "x").is_none());
    }
}
