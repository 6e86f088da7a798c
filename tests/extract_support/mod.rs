//! Helpers of the extractor snapshot tests: load a fixture directory's `cutover.toml` and
//! render one file's findings and problems, one line each.

use cutover::config::{Config, Overrides};
use cutover::extract::{ScanContext, scan_bytes};
use cutover::model::Language;
use std::fmt::Write;
use std::path::Path;

/// The scan context of `fixtures/<dir>` (its `cutover.toml`).
pub fn context(dir: &str) -> ScanContext {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let config = Config::load(&root, &Overrides::default()).unwrap();
    ScanContext::new(&config)
}

/// The fixture files `fixtures/<dir>/*.<ext>`, sorted, with their stem.
pub fn fixtures(dir: &str, ext: &str) -> Vec<(String, std::path::PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir);
    let mut files: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().to_string(), p))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", root.display());
    files
}

/// `12:4 write orders_legacy insert via cursor.execute in OrderRepository.create_order
/// [parsed] | INSERT INTO …` (the evidence shows the SQL as assembled).
pub fn render(ctx: &ScanContext, path: &Path, language: Language) -> String {
    let bytes = std::fs::read(path).unwrap();
    let rel = path.file_name().unwrap().to_string_lossy().to_string();
    let mut scan = scan_bytes(&rel, language, &bytes, ctx);
    cutover::model::sort_findings(&mut scan.findings);
    let mut out = String::new();
    for f in &scan.findings {
        let kind = match f.kind {
            cutover::model::Kind::RawSql => String::new(),
            other => format!(" ({})", other.as_str()),
        };
        writeln!(
            out,
            "{}:{} {} {} {} via {} in {} [{}]{kind} | {}",
            f.line,
            f.column,
            f.access,
            f.table,
            f.operation,
            f.sink.as_deref().unwrap_or("-"),
            f.function.as_deref().unwrap_or("<module>"),
            f.confidence.as_str(),
            f.evidence,
        )
        .unwrap();
    }
    for p in &scan.problems {
        writeln!(
            out,
            "! {} line {}: {}",
            p.reason.as_str(),
            p.line.map_or("-".to_string(), |l| l.to_string()),
            p.detail
        )
        .unwrap();
    }
    out
}

/// Every finding points inside the input: a line that exists and a column from 1.
pub fn check_positions(scan: &cutover::extract::FileScan, input: &[u8]) {
    let lines = input.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    for f in &scan.findings {
        assert!(
            f.line >= 1 && f.line <= lines && f.column >= 1,
            "{f:?} outside {lines} lines"
        );
    }
}
