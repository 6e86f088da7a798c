//! Robustness checks: arbitrary bytes in, one entry point of cutover run on them, the
//! invariants that hold for every input asserted. A panic (or a failed assertion) is a bug.
//!
//! Shared by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`, run by `scripts/fuzz.sh`) and
//! the proptest harness (`tests/robustness.rs`, compiled in with `#[path]`), so `cargo test`
//! exercises every entry point cheaply and a fuzzer crash replays as a plain test.

use cutover::audit::baseline::Baseline;
use cutover::config::{Config, FileConfig, Overrides};
use cutover::extract::{FileScan, ScanContext, decode, scan_bytes};
use cutover::logs::{LogFormat, LogInput, ReadOptions, postgres_stderr};
use cutover::model::Language;
use cutover::sql::{self, Dialect};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

const DIALECTS: [Dialect; 4] = [
    Dialect::Generic,
    Dialect::Postgres,
    Dialect::Mysql,
    Dialect::Sqlite,
];

/// The tables of the fuzz scan context: those the fixtures (the seed corpora) use.
const FUZZ_CONFIG: &str = r#"
[[tables]]
name = "orders_legacy"
[[tables]]
name = "order_items_legacy"
[[tables]]
name = "billing.invoices_legacy"
[[tables]]
name = "users"
"#;

static CONTEXT: LazyLock<ScanContext> = LazyLock::new(|| {
    let file = FileConfig::parse(FUZZ_CONFIG, Path::new("fuzz.toml"))
        .unwrap_or_else(|e| panic!("the built-in fuzz configuration is invalid: {e:#}"));
    let config = Config::from_file(PathBuf::from("/fuzz"), None, file, &Overrides::default())
        .unwrap_or_else(|e| panic!("the built-in fuzz configuration is invalid: {e:#}"));
    ScanContext::new(&config)
});

/// The SQL text of fuzz bytes, and a dialect picked by the length, so that a seed file is
/// used whole (no selector byte in front of the SQL) and every dialect gets inputs.
fn sql_input(data: &[u8]) -> (String, Dialect) {
    (
        String::from_utf8_lossy(data).into_owned(),
        DIALECTS[data.len() % DIALECTS.len()],
    )
}

/// `sql::classify`: statement ranges lie inside the input on character boundaries, in
/// order, and each statement's uses are sorted without duplicates.
pub fn sql_classify(data: &[u8]) {
    let (text, dialect) = sql_input(data);
    for st in sql::classify(&text, dialect) {
        assert!(
            st.start <= st.end && st.end <= text.len(),
            "statement {}..{} outside the input ({} bytes)",
            st.start,
            st.end,
            text.len()
        );
        assert!(text.is_char_boundary(st.start) && text.is_char_boundary(st.end));
        assert!(
            st.uses.windows(2).all(|w| w[0] < w[1]),
            "uses not sorted and unique: {:?}",
            st.uses
        );
        for u in &st.uses {
            assert!(
                !u.table.name.is_empty() || u.table.quoted,
                "empty table name"
            );
        }
    }
}

/// `sql::fingerprint`, `fingerprint_dialect` and `comment_tags`: no panic, and a
/// fingerprint never grows past what the input could expand to.
pub fn sql_fingerprint(data: &[u8]) {
    let (text, dialect) = sql_input(data);
    let generic = sql::fingerprint(&text);
    let with_dialect = sql::fingerprint_dialect(&text, dialect);
    // Every byte becomes at most a few bytes (`?`, a space, `?+`), never unbounded output.
    let bound = 4 * text.len() + 8;
    assert!(generic.len() <= bound && with_dialect.len() <= bound);
    for (key, _value) in sql::comment_tags(&text) {
        assert!(!key.is_empty(), "empty sqlcommenter key in {text:?}");
    }
}

/// `config::FileConfig::parse`, then the checked `Config` and a scan context built from it:
/// errors name the file, nothing panics.
pub fn config(data: &[u8]) {
    // The loader reads the file with `read_to_string`: invalid UTF-8 never reaches `parse`.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/cutover.toml");
    let file = match FileConfig::parse(text, path) {
        Ok(file) => file,
        Err(e) => {
            let message = format!("{e:#}");
            assert!(message.contains("fuzz/cutover.toml"), "{message}");
            return;
        }
    };
    let Ok(config) = Config::from_file(PathBuf::from("/fuzz"), None, file, &Overrides::default())
    else {
        return;
    };
    let ctx = ScanContext::new(&config);
    let sample = b"SELECT * FROM orders_legacy;\nDELETE FROM users;\n";
    let out = scan_bytes("fuzz.sql", Language::Sql, sample, &ctx);
    check_scan(&ctx, "fuzz.sql", Language::Sql, sample, &out);
}

/// Language-specific comment that mentions a configured table: appended to inputs that
/// mention none, so that every input is parsed rather than dropped by the prefilter.
fn table_comment(language: Language) -> &'static [u8] {
    match language {
        Language::Python => b"\n# orders_legacy\n",
        Language::Sql => b"\n-- orders_legacy\n",
        Language::Go | Language::JavaScript | Language::TypeScript => b"\n// orders_legacy\n",
    }
}

/// The name a fuzz input is scanned under, by language.
fn file_name(language: Language) -> &'static str {
    match language {
        Language::Go => "fuzz.go",
        Language::JavaScript => "fuzz.js",
        Language::Python => "fuzz.py",
        Language::Sql => "fuzz.sql",
        Language::TypeScript => "fuzz.ts",
    }
}

/// `extract::scan_bytes` on arbitrary bytes as a file of `language`.
pub fn scan(language: Language, data: &[u8]) {
    let rel = file_name(language);
    let ctx = &*CONTEXT;
    let mut owned = Vec::new();
    let bytes = if ctx.may_match(data) {
        data
    } else {
        owned.extend_from_slice(data);
        owned.extend_from_slice(table_comment(language));
        &owned
    };
    let out = scan_bytes(rel, language, bytes, ctx);
    check_scan(ctx, rel, language, bytes, &out);
}

/// What holds for any scan result: findings point inside the decoded file and at a
/// configured table, every problem names the file, binary input yields only its problem.
fn check_scan(ctx: &ScanContext, rel: &str, language: Language, bytes: &[u8], out: &FileScan) {
    let text = match decode(bytes) {
        Ok(d) => d.text.into_owned(),
        Err(_) => {
            assert!(out.findings.is_empty(), "findings in a binary file");
            assert_eq!(out.problems.len(), 1, "{:?}", out.problems);
            return;
        }
    };
    let lines = text.lines().count().max(1) as u32 + 1;
    for f in &out.findings {
        assert_eq!(f.file, rel);
        assert_eq!(f.language, language);
        assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
        assert!(f.column >= 1, "column {}", f.column);
        assert!(
            ctx.tables.tables().iter().any(|t| t.display == f.table),
            "finding on an unconfigured table {:?}",
            f.table
        );
    }
    if !out.parsed {
        assert!(out.findings.is_empty(), "findings without parsing");
    }
    for p in &out.problems {
        assert_eq!(p.file, rel);
        assert!(!p.detail.is_empty(), "problem without detail: {p:?}");
    }
}

pub fn scan_sql(data: &[u8]) {
    scan(Language::Sql, data);
}

pub fn scan_python(data: &[u8]) {
    scan(Language::Python, data);
}

pub fn scan_go(data: &[u8]) {
    scan(Language::Go, data);
}

pub fn scan_typescript(data: &[u8]) {
    scan(Language::TypeScript, data);
}

pub fn scan_javascript(data: &[u8]) {
    scan(Language::JavaScript, data);
}

/// `audit::baseline::Baseline::parse`: errors name the file; what parses writes back to text
/// that parses to the same baseline (the ratchet never loses or invents a count).
pub fn baseline(data: &[u8]) {
    // `Baseline::load` reads with `read_to_string`: invalid UTF-8 never reaches `parse`.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/cutover-baseline.json");
    match Baseline::parse(text, path) {
        Err(e) => {
            let message = format!("{e:#}");
            assert!(message.contains("fuzz/cutover-baseline.json"), "{message}");
        }
        Ok(parsed) => {
            let written = parsed.to_json();
            let again = Baseline::parse(&written, path)
                .unwrap_or_else(|e| panic!("a written baseline does not parse: {e:#}\n{written}"));
            assert_eq!(again, parsed, "round trip changed the baseline");
            assert_eq!(again.to_json(), written, "writing is not deterministic");
        }
    }
}

/// `logs::read_inputs` on arbitrary bytes as a log of `format`, read from memory (the same
/// reader as for files, gzip/zstd sniffing included, without a temporary file per input).
/// Every byte is accounted for, no line is counted as unmatched that was not read, and the
/// report serialises.
pub fn logs(format: LogFormat, data: &[u8]) {
    const NAME: &str = "fuzz-input.log";
    // Small chunks (from the input's length) exercise the cuts between parallel chunks;
    // at most about eight per input, since each chunk pays for its own parser state (a
    // csvlog chunk builds a CSV automaton) and a thousand cuts test nothing eight do not.
    let opts = ReadOptions {
        format: Some(format),
        chunk_size: Some((64 + data.len() % 4096).max(data.len() / 8)),
        ..ReadOptions::default()
    };
    let input = LogInput::Bytes {
        name: NAME,
        bytes: data,
    };
    let result = cutover::logs::read_inputs(&[input], &opts);
    let compressed = data.starts_with(&[0x1f, 0x8b]) || data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let message = format!("{e:#}");
            assert!(compressed, "an uncompressed log failed to read: {message}");
            assert!(message.contains(NAME), "{message}");
            return;
        }
    };
    let a = &report.accounting;
    if !compressed {
        assert_eq!(a.bytes, data.len() as u64, "bytes not all accounted for");
        let lines = data.split(|&b| b == b'\n').count() as u64
            - u64::from(data.is_empty() || data.ends_with(b"\n"));
        assert_eq!(a.lines, lines, "lines");
    }
    assert!(a.unmatched_lines <= a.lines, "{a:?}");
    assert_eq!(report.files.len(), 1);
    assert!(serde_json::to_string(&report).is_ok());
    if format == LogFormat::PostgresStderr {
        // The configured `log_line_prefix` is user text too.
        let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
        let _ = postgres_stderr::Prefix::parse(&String::from_utf8_lossy(first));
    }
}

pub fn logs_postgres_stderr(data: &[u8]) {
    logs(LogFormat::PostgresStderr, data);
}

pub fn logs_postgres_csv(data: &[u8]) {
    logs(LogFormat::PostgresCsv, data);
}

pub fn logs_postgres_json(data: &[u8]) {
    logs(LogFormat::PostgresJson, data);
}

pub fn logs_mysql_general(data: &[u8]) {
    logs(LogFormat::MysqlGeneral, data);
}

pub fn logs_mysql_slow(data: &[u8]) {
    logs(LogFormat::MysqlSlow, data);
}

pub fn logs_pg_stat_statements(data: &[u8]) {
    logs(LogFormat::PgStatStatements, data);
}

/// A generated input (`generate.rs`) through the checks of where it goes.
fn generated((target, text): (crate::generate::Target, String)) -> Option<FileScan> {
    match target {
        crate::generate::Target::File(language) => {
            let rel = file_name(language);
            let out = scan_bytes(rel, language, text.as_bytes(), &CONTEXT);
            check_scan(&CONTEXT, rel, language, text.as_bytes(), &out);
            Some(out)
        }
        crate::generate::Target::Log(format) => {
            logs(format, text.as_bytes());
            None
        }
    }
}

pub fn gen_operator_chain(data: &[u8]) {
    chain_is_reported(crate::generate::operator_chain(data));
}

/// An operator chain's statement is reported (its write found by the token scan, or a
/// problem naming the file), never lost and never fatal.
pub fn chain_is_reported(input: (crate::generate::Target, String)) {
    if let Some(out) = generated(input) {
        assert!(
            !out.findings.is_empty() || !out.problems.is_empty(),
            "a long operator chain vanished: no finding, no problem"
        );
    }
}

/// Deep brackets: no abort, the usual invariants. (Whether a deep concatenation is still
/// found is the extractors' open question, not asserted here yet.)
pub fn gen_deep_nesting(data: &[u8]) {
    generated(crate::generate::deep_nesting(data));
}

/// Deep indentation: no abort, the usual invariants.
pub fn gen_deep_indentation(data: &[u8]) {
    generated(crate::generate::deep_indentation(data));
}
