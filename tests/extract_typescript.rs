//! Extractor tests for TypeScript and JavaScript on realistic fixture files
//! (`fixtures/typescript/**`, `fixtures/javascript/**`): one snapshot per file, one line per
//! finding (`line:column access table operation via sink in function [confidence]`, then the
//! evidence) and one per problem.

use cutover::config::{Config, FileConfig, Overrides};
use cutover::discover::language_of;
use cutover::extract::{ScanContext, scan_bytes};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The configuration every fixture is scanned with: the legacy table, and one project
/// wrapper declared as a sink (used by `typeorm-sequelize.ts`).
const CONFIG: &str = r#"
dialect = "postgres"

[[tables]]
name = "orders_legacy"

[[sinks]]
language = "typescript"
call = "db.runLegacy"
sql_arg = 0
"#;

fn context() -> ScanContext {
    let file = FileConfig::parse(CONFIG, Path::new("cutover.toml")).unwrap();
    let config = Config::from_file(PathBuf::from("."), None, file, &Overrides::default()).unwrap();
    ScanContext::new(&config)
}

fn render(path: &Path, ctx: &ScanContext) -> String {
    let bytes = std::fs::read(path).unwrap();
    let rel = path.file_name().unwrap().to_string_lossy().to_string();
    let language = language_of(path).unwrap();
    let mut scan = scan_bytes(&rel, language, &bytes, ctx);
    cutover::model::sort_findings(&mut scan.findings);
    let mut out = String::new();
    for f in &scan.findings {
        let sink = f.sink.as_deref().unwrap_or("-");
        let function = f.function.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{}:{} {} {} {} via {} in {} [{}]\n    {}",
            f.line,
            f.column,
            f.access,
            f.table,
            f.operation,
            sink,
            function,
            f.confidence.as_str(),
            f.evidence
        )
        .unwrap();
    }
    for p in &scan.problems {
        writeln!(
            out,
            "problem {}: {} {}",
            p.line.map_or("-".to_string(), |l| l.to_string()),
            p.reason.as_str(),
            p.detail
        )
        .unwrap();
    }
    out
}

/// The fixture files of one directory, sorted.
fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

fn snapshot_dir(dir: &str) {
    let ctx = context();
    for path in fixtures(dir) {
        let name = format!("{dir}__{}", path.file_name().unwrap().to_string_lossy());
        insta::assert_snapshot!(name, render(&path, &ctx));
    }
}

#[test]
fn typescript_fixtures() {
    snapshot_dir("typescript");
}

#[test]
fn javascript_fixtures() {
    snapshot_dir("javascript");
}

/// Every fixture yields at least one finding, and the look-alike tables never do: a
/// regression that silently loses a whole file or starts matching `orders_legacy_archive`
/// fails here even if someone accepts the snapshots without reading them.
#[test]
fn fixtures_find_the_legacy_table_and_only_it() {
    let ctx = context();
    // The table as a whole word (quoted or not), or an interpolation for dynamic findings;
    // `orders_legacy_archive` alone does not count.
    let named =
        regex::Regex::new(r#"(^|[^A-Za-z0-9_])orders_legacy([^A-Za-z0-9_]|$)|\$\{"#).unwrap();
    for dir in ["typescript", "javascript"] {
        for path in fixtures(dir) {
            let bytes = std::fs::read(&path).unwrap();
            let scan = scan_bytes("f", language_of(&path).unwrap(), &bytes, &ctx);
            assert!(!scan.findings.is_empty(), "{}: no findings", path.display());
            for f in &scan.findings {
                assert_eq!(f.table, "orders_legacy", "{}", path.display());
                assert!(named.is_match(&f.evidence), "{}: {:?}", path.display(), f);
            }
        }
    }
}

/// The same input gives byte-identical output, scanned twice.
#[test]
fn output_is_deterministic() {
    let ctx = context();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/typescript/orders.service.ts");
    assert_eq!(render(&path, &ctx), render(&path, &ctx));
}
