//! Unresolved references (issue 21): a legacy table seen where the engine cannot classify
//! it is a finding of access `unknown` with its reason — listed apart in text, Markdown and
//! HTML, counted in JSON, and counted by audit — never dropped.

use cutover::Inventory;
use cutover::config::{Config, FileConfig, Overrides};
use cutover::extract::ScanOutput;
use cutover::model::{Access, Confidence, Kind, Language, Operation, Site};
use cutover::report::{self, Document, Format};
use std::path::{Path, PathBuf};

fn inventory() -> Inventory {
    let file = FileConfig::parse("[[tables]]\nname = \"orders_legacy\"\n", Path::new("c")).unwrap();
    let config = Config::from_file(PathBuf::from("/r"), None, file, &Overrides::default()).unwrap();
    let site = |line, evidence: &str| Site {
        file: "billing/jobs.py".into(),
        line,
        column: 5,
        language: Language::Python,
        function: Some("archive".into()),
        evidence: evidence.into(),
        sink: None,
        framework: None,
    };
    let findings = vec![
        site(3, "cur.execute(\"DELETE FROM orders_legacy\")").finding(
            "orders_legacy".into(),
            Access::Write,
            Operation::Delete,
            Kind::RawSql,
            Confidence::Parsed,
        ),
        site(9, "purge_table(\"orders_legacy\")").unresolved(
            "orders_legacy".into(),
            Kind::RawSql,
            "the table name is handed to `purge_table`, which cutover does not know",
        ),
    ];
    let scan = ScanOutput {
        findings,
        callers: Vec::new(),
        problems: Vec::new(),
        stats: Default::default(),
    };
    Inventory::from_findings("repo".into(), config, scan)
}

fn render(format: Format) -> String {
    let inv = inventory();
    let doc = Document::Inventory {
        inventory: &inv,
        runtime: None,
        database: None,
    };
    let mut out = Vec::new();
    report::write(&doc, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn unresolved_references_are_listed_apart_with_their_reason() {
    let text = render(Format::Text);
    assert!(text.contains("  unresolved references (1)\n"), "{text}");
    assert!(
        text.contains("  archive  unresolved  purge_table"),
        "{text}"
    );
    assert!(
        text.contains("why: the table name is handed to `purge_table`"),
        "{text}"
    );
    assert!(
        text.contains("orders_legacy: 1 writer, 0 readers, 0 schema changes, 0 model declarations, 1 unresolved reference"),
        "{text}"
    );

    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)).unwrap();
    assert_eq!(json["tables"][0]["counts"]["unknown"], 1);
    assert_eq!(json["tables"][0]["counts"]["write"], 1);
    let unresolved = &json["findings"][1];
    assert_eq!(unresolved["access"], "unknown");
    assert_eq!(unresolved["operation"], "unknown");
    assert!(
        unresolved["reason"]
            .as_str()
            .unwrap()
            .contains("purge_table")
    );
    // A classified finding carries no reason.
    assert!(json["findings"][0].get("reason").is_none());
}

#[test]
fn every_finding_without_a_reason_keeps_its_json_shape() {
    let jsonl = render(Format::Jsonl);
    let first: serde_json::Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert!(first.get("reason").is_none());
    assert_eq!(jsonl.lines().count(), 2);
}
