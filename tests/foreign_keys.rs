//! Foreign keys the database enforces, read from DDL anywhere in the repository (a `.sql`
//! schema, an Alembic migration): a statement deleting rows of a table that is not legacy
//! writes the legacy tables whose foreign keys cascade from it, and `TRUNCATE … CASCADE`
//! empties every table referencing it. Fixture: `fixtures/foreign_keys/`.

use cutover::config::{Config, Overrides};
use cutover::model::{Access, Finding, Operation};
use std::path::Path;

fn findings() -> Vec<Finding> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/foreign_keys");
    let config = Config::load(&root, &Overrides::default()).unwrap();
    cutover::scan(config, "foreign_keys".to_string())
        .unwrap()
        .scan
        .findings
}

/// `(table, operation)` of the writes at `purge.sql:line`, sorted.
fn writes_at(found: &[Finding], line: u32) -> Vec<(String, Operation)> {
    let mut out: Vec<(String, Operation)> = found
        .iter()
        .filter(|f| f.file == "purge.sql" && f.line == line && f.access == Access::Write)
        .map(|f| (f.table.clone(), f.operation))
        .collect();
    out.sort();
    out
}

#[test]
fn deletes_and_truncates_reach_the_legacy_tables_through_foreign_keys() {
    let found = findings();
    let w = |t: &str, op| (t.to_string(), op);
    // ON DELETE CASCADE from the schema and from the migration; SET NULL one level further.
    assert_eq!(
        writes_at(&found, 1),
        [
            w("notes_legacy", Operation::Update),
            w("order_lines_legacy", Operation::Delete),
            w("shipments_legacy", Operation::Delete),
        ]
    );
    // `audits` is referenced by nothing.
    assert!(writes_at(&found, 2).is_empty());
    assert!(writes_at(&found, 3).is_empty());
    // TRUNCATE … CASCADE follows every foreign key, whatever its ON DELETE.
    assert_eq!(
        writes_at(&found, 4),
        [
            w("notes_legacy", Operation::Truncate),
            w("order_lines_legacy", Operation::Truncate),
            w("shipments_legacy", Operation::Truncate),
        ]
    );
    // Without CASCADE the database refuses; nothing is written.
    assert!(writes_at(&found, 5).is_empty());
    let via = &found
        .iter()
        .find(|f| f.file == "purge.sql" && f.line == 1 && f.table == "notes_legacy")
        .unwrap()
        .via;
    assert_eq!(
        via,
        &[
            "order_lines_legacy REFERENCES orders ON DELETE CASCADE".to_string(),
            "notes_legacy REFERENCES order_lines_legacy ON DELETE SET NULL".to_string(),
        ]
    );
}
