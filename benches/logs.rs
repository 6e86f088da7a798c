//! Micro-benchmark of the log readers in bytes/s: `logs::read_logs` (chunking, parsing,
//! aggregation per client, classification of each distinct statement) on the real server
//! logs of `fixtures/logs/`, one per format. The compressed fixtures are decompressed once
//! into a temporary directory first, so that the figure is the parser's and not gzip's or
//! zstd's. Run with `cargo bench --bench logs`.

use cutover::logs::{LogFormat, ReadOptions, read_logs};
use divan::counter::BytesCount;
use std::io::Read;
use std::path::{Path, PathBuf};

fn main() {
    divan::main();
}

/// The `log_line_prefix` of the PostgreSQL stderr fixtures.
const PG_PREFIX: &str = "%m [%p] %q%u@%d app=%a host=%h ";

/// A fixture decompressed into its own temporary directory (removed on drop).
struct Plain {
    _dir: tempfile::TempDir,
    path: PathBuf,
    bytes: usize,
}

fn plain(name: &str) -> Plain {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/logs")
        .join(name);
    let (mut reader, _) = cutover::logs::open(&src).expect("fixture log");
    let mut text = Vec::new();
    reader.read_to_end(&mut text).expect("fixture log");
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("plain.log");
    std::fs::write(&path, &text).expect("temporary log");
    Plain {
        _dir: dir,
        path,
        bytes: text.len(),
    }
}

fn run(bencher: divan::Bencher, name: &str, format: LogFormat, prefix: Option<&str>) {
    let input = plain(name);
    let opts = ReadOptions {
        format: Some(format),
        log_line_prefix: prefix.map(str::to_string),
        ..ReadOptions::default()
    };
    let paths = [input.path.clone()];
    bencher.counter(BytesCount::new(input.bytes)).bench(|| {
        read_logs(divan::black_box(&paths), &opts)
            .expect("fixture log reads")
            .accounting
            .statements
    });
}

#[divan::bench(sample_count = 20)]
fn postgres_stderr(bencher: divan::Bencher) {
    run(
        bencher,
        "pg-statement.log.gz",
        LogFormat::PostgresStderr,
        Some(PG_PREFIX),
    );
}

/// `log_min_duration_statement` records (`duration: … ms  statement: …`).
#[divan::bench(sample_count = 20)]
fn postgres_stderr_duration(bencher: divan::Bencher) {
    run(
        bencher,
        "pg-duration.log.gz",
        LogFormat::PostgresStderr,
        Some(PG_PREFIX),
    );
}

#[divan::bench(sample_count = 20)]
fn postgres_csvlog(bencher: divan::Bencher) {
    run(bencher, "pg-statement.csv.gz", LogFormat::PostgresCsv, None);
}

#[divan::bench(sample_count = 20)]
fn postgres_jsonlog(bencher: divan::Bencher) {
    run(
        bencher,
        "pg-statement.json.gz",
        LogFormat::PostgresJson,
        None,
    );
}

#[divan::bench(sample_count = 20)]
fn mysql_general(bencher: divan::Bencher) {
    run(
        bencher,
        "mysql-general.log.gz",
        LogFormat::MysqlGeneral,
        None,
    );
}

#[divan::bench(sample_count = 20)]
fn mysql_slow(bencher: divan::Bencher) {
    run(bencher, "mysql-slow.log.zst", LogFormat::MysqlSlow, None);
}

#[divan::bench(sample_count = 20)]
fn pg_stat_statements(bencher: divan::Bencher) {
    run(
        bencher,
        "pg-stat-statements.csv",
        LogFormat::PgStatStatements,
        None,
    );
}
