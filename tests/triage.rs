//! Pass 1 reads every file and, in the same read, answers pass 2's prefilter: a file it
//! settles is counted as scanned and never read again. These tests pin what may be settled
//! (nothing pass 2 would report on) and that a scan gives the same result either way.

use cutover::config::{Config, Overrides};
use cutover::discover;
use cutover::extract::{self, ScanContext};
use cutover::orm;
use std::fs;

fn write(dir: &std::path::Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

#[test]
fn only_clean_files_without_a_use_of_a_table_are_settled() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "cutover.toml",
        b"[[tables]]\nname = \"orders_legacy\"\n",
    );
    write(root, "app/plain.py", b"orders_legacy = compute()\n");
    write(
        root,
        "app/query.py",
        b"cur.execute('SELECT * FROM orders_legacy')\n",
    );
    write(root, "app/binary.py", b"\x00\x01\x02 FROM orders_legacy");
    write(root, "app/latin1.py", b"q = 'caf\xe9'\n");
    write(
        root,
        "db/schema.sql",
        b"-- nothing about the table\nSELECT 1;\n",
    );
    let config = Config::load(root, &Overrides::default()).unwrap();
    let found = discover::discover(&config).unwrap();
    let tables_only = ScanContext::new(&config);
    let needs_scan =
        |language, text: &str| tables_only.names_table_where_used(text.as_bytes(), language);
    let (_, settled) = orm::collect_and_triage(&found.files, &config, Some(&needs_scan));
    let by_file: Vec<(&str, Option<u64>)> = found
        .files
        .iter()
        .map(|f| f.rel.as_str())
        .zip(settled.iter().copied())
        .collect();
    assert_eq!(
        by_file,
        vec![
            // Binary content is reported by pass 2, so pass 2 must read it.
            ("app/binary.py", None),
            // Invalid UTF-8 naming no table: nothing to report, settled.
            ("app/latin1.py", Some(11)),
            ("app/plain.py", Some(26)),
            ("app/query.py", None),
            // `.sql` files are not read by pass 1.
            ("db/schema.sql", None),
        ]
    );

    // The scan with triage (what `cutover::scan` does) equals a scan reading every file.
    let inventory = cutover::scan(config.clone(), "t".into()).unwrap();
    let models = orm::collect(&found.files, &config);
    let ctx = ScanContext::with_models(&config, models, Vec::new());
    let full = extract::extract_all(&found.files, &ctx);
    assert_eq!(inventory.scan.findings, full.findings);
    assert_eq!(inventory.scan.stats, full.stats);
    assert_eq!(inventory.scan.stats.files_scanned, 4);
    assert_eq!(inventory.scan.stats.files_parsed, 1);
    assert_eq!(inventory.scan.findings.len(), 1);
    assert!(
        inventory
            .scan
            .problems
            .iter()
            .any(|p| p.file == "app/binary.py"),
        "{:?}",
        inventory.scan.problems
    );
}
