//! Micro-benchmark of the SQL classifier in bytes/s: `sql::classify` and
//! `sql::fingerprint_dialect` over a realistic mix of statements, the statements real servers
//! logged (`fixtures/sql/log_statements.txt`, the multi-hundred-KB bulk lines left out so
//! that they do not stand for the whole mix) and the migration, routine and workload scripts
//! of `fixtures/sql/`. Run with `cargo bench --bench sql`.

use cutover::sql::{Dialect, classify, fingerprint_dialect};
use divan::counter::BytesCount;
use std::path::Path;

fn main() {
    divan::main();
}

/// Logged statements longer than this are bulk loads (one `INSERT … VALUES` of 385 KB).
const MAX_STATEMENT: usize = 4096;

/// (text, dialect) pairs: one logged statement each, and whole scripts.
fn corpus() -> Vec<(String, Dialect)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sql");
    let log = std::fs::read_to_string(dir.join("log_statements.txt"))
        .expect("fixtures/sql/log_statements.txt");
    let mut out: Vec<(String, Dialect)> = log
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && l.len() <= MAX_STATEMENT)
        .map(|l| (l.to_string(), Dialect::Postgres))
        .collect();
    for (file, dialect) in [
        ("migration_pg.sql", Dialect::Postgres),
        ("workload_pg.sql", Dialect::Postgres),
        ("procedures_mysql.sql", Dialect::Mysql),
        ("workload_mysql.sql", Dialect::Mysql),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("fixtures/sql script");
        out.push((text, dialect));
    }
    out
}

fn bytes(corpus: &[(String, Dialect)]) -> BytesCount {
    BytesCount::new(corpus.iter().map(|(s, _)| s.len()).sum::<usize>())
}

#[divan::bench(sample_count = 30)]
fn classify_mix(bencher: divan::Bencher) {
    let corpus = corpus();
    bencher.counter(bytes(&corpus)).bench(|| {
        corpus
            .iter()
            .map(|(sql, d)| classify(divan::black_box(sql), *d).len())
            .sum::<usize>()
    });
}

#[divan::bench(sample_count = 30)]
fn fingerprint_mix(bencher: divan::Bencher) {
    let corpus = corpus();
    bencher.counter(bytes(&corpus)).bench(|| {
        corpus
            .iter()
            .map(|(sql, d)| fingerprint_dialect(divan::black_box(sql), *d).len())
            .sum::<usize>()
    });
}
