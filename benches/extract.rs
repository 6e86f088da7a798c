//! Micro-benchmark of the extractors in bytes/s: `extract::scan_bytes` (prefilter,
//! tree-sitter parse, sink matching, SQL classification) on every fixture file of one
//! language, from `fixtures/<language>/` and the demo monorepo `fixtures/demo/`, with the
//! legacy tables those fixtures use. Run with `cargo bench --bench extract`.

use cutover::config::{Config, FileConfig, Overrides};
use cutover::discover::language_of;
use cutover::extract::{ScanContext, scan_bytes};
use cutover::model::Language;
use divan::counter::BytesCount;
use std::path::{Path, PathBuf};

fn main() {
    divan::main();
}

/// The tables and project sinks of the fixtures (tests/extract_*.rs, fixtures/demo).
const CONFIG: &str = r#"
dialect = "postgres"

[[tables]]
name = "orders_legacy"

[[tables]]
name = "order_items_legacy"

[[tables]]
name = "billing.invoices_legacy"

[[sinks]]
language = "python"
call = "db.run_legacy"
sql_arg = 0

[[sinks]]
language = "go"
call = "legacy.Run"
sql_arg = 1

[[sinks]]
language = "typescript"
call = "db.runLegacy"
sql_arg = 0
"#;

fn context() -> ScanContext {
    let file = FileConfig::parse(CONFIG, Path::new("cutover.toml")).expect("bench config");
    let config = Config::from_file(PathBuf::from("."), None, file, &Overrides::default())
        .expect("bench config");
    ScanContext::new(&config)
}

/// Files under `fixtures/<dirs>` (recursively) whose language is one of `langs`, sorted,
/// with their relative path and bytes.
fn files(dirs: &[&str], langs: &[Language]) -> Vec<(String, Language, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture directory") {
            let path = entry.expect("fixture entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(lang) = language_of(&path).filter(|l| langs.contains(l)) {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, lang, std::fs::read(&path).expect("fixture file")));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no fixtures for {langs:?} in {dirs:?}");
    out
}

fn run(bencher: divan::Bencher, dirs: &[&str], langs: &[Language]) {
    let ctx = context();
    let files = files(dirs, langs);
    let total: usize = files.iter().map(|(_, _, b)| b.len()).sum();
    bencher.counter(BytesCount::new(total)).bench(|| {
        files
            .iter()
            .map(|(rel, lang, bytes)| {
                scan_bytes(rel, *lang, divan::black_box(bytes), &ctx)
                    .findings
                    .len()
            })
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 30)]
fn python(bencher: divan::Bencher) {
    run(bencher, &["python", "demo"], &[Language::Python]);
}

#[divan::bench(sample_count = 30)]
fn go(bencher: divan::Bencher) {
    run(bencher, &["go", "demo"], &[Language::Go]);
}

#[divan::bench(sample_count = 30)]
fn typescript_javascript(bencher: divan::Bencher) {
    run(
        bencher,
        &["typescript", "javascript", "demo"],
        &[Language::TypeScript, Language::JavaScript],
    );
}

#[divan::bench(sample_count = 30)]
fn sql_files(bencher: divan::Bencher) {
    run(bencher, &["sql", "demo"], &[Language::Sql]);
}
