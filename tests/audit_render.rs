//! Every `audit` output format on one hand-built scan (issue 5): the findings are made by
//! hand, so these tests depend neither on the extractors nor on the SQL classifier. The
//! audit itself (baseline, suppressions, phases, fingerprints) runs for real on files in a
//! temporary directory. SARIF is validated against the official SARIF 2.1.0 schema.

use chrono::NaiveDate;
use cutover::Inventory;
use cutover::audit::{self, Audit, Options};
use cutover::config::{Config, FileConfig, Overrides};
use cutover::extract::ScanOutput;
use cutover::model::{Access, Confidence, Finding, Kind, Language, Operation};
use serde_json::Value;
use std::path::Path;

const CONFIG: &str = r#"
[[tables]]
name = "orders_legacy"
replacement = "orders"
phase = "dual-write"

[[tables]]
name = "customers_legacy"
replacement = "customers"
phase = "cutover"

[[tables]]
name = "invoices_old"
phase = "cleanup"
severity = "warning"
"#;

const REPOSITORY_PY: &str = r#"class OrderRepository:
    def create_order(self, cur, order):
        cur.execute("INSERT INTO orders_legacy (id, total) VALUES (%s, %s)", (order.id, order.total))

    def archive(self, cur):
        # cutover: allow orders_legacy until=2026-12-31 -- archive job runs until the backfill ends
        cur.execute("UPDATE orders_legacy SET archived = true")

    def totals(self, cur):
        cur.execute("SELECT sum(total) FROM orders_legacy")
        cur.execute("SELECT name FROM customers_legacy WHERE id = %s", (1,))
"#;

const EXPORT_GO: &str = r#"package export

func Export(db *sql.DB) error {
	// cutover: allow orders_legacy
	rows, err := db.Query("SELECT id FROM orders_legacy, weird: 100%")
	return consume(rows, err)
}
"#;

const VIEWS_SQL: &str = "-- cutover: allow orders_legacy -- nothing below uses it\n\
CREATE VIEW open_invoices AS SELECT * FROM invoices_old WHERE paid = false;\n";

const BASELINE: &str = r#"{
  "version": 1,
  "references": [
    { "file": "db/views.sql", "table": "invoices_old", "operation": "select", "function": null, "count": 1 },
    { "file": "services/orders/repository.py", "table": "customers_legacy", "operation": "select", "function": "OrderRepository.totals", "count": 1 },
    { "file": "services/orders/repository.py", "table": "orders_legacy", "operation": "select", "function": "OrderRepository.totals", "count": 1 },
    { "file": "services/orders/repository.py", "table": "orders_legacy", "operation": "delete", "function": "OrderRepository.purge", "count": 2 },
    { "file": "workers/export.go", "table": "orders_legacy", "operation": "select", "function": "Export", "count": 1 }
  ]
}
"#;

#[allow(clippy::too_many_arguments)]
fn finding(
    table: &str,
    access: Access,
    operation: Operation,
    file: &str,
    line: u32,
    column: u32,
    language: Language,
    function: Option<&str>,
    evidence: &str,
) -> Finding {
    Finding {
        table: table.into(),
        access,
        operation,
        file: file.into(),
        line,
        column,
        language,
        kind: if language == Language::Sql {
            Kind::SqlFile
        } else {
            Kind::RawSql
        },
        function: function.map(str::to_string),
        confidence: Confidence::Parsed,
        evidence: evidence.into(),
        sink: None,
        framework: None,
        via: Vec::new(),
        reason: None,
    }
}

fn findings() -> Vec<Finding> {
    use Access::*;
    use Language::*;
    use Operation::*;
    let repo = "services/orders/repository.py";
    let mut all = vec![
        finding(
            "invoices_old",
            Read,
            Select,
            "db/views.sql",
            2,
            1,
            Sql,
            None,
            "CREATE VIEW open_invoices AS SELECT * FROM invoices_old WHERE paid = false",
        ),
        finding(
            "orders_legacy",
            Write,
            Insert,
            repo,
            3,
            21,
            Python,
            Some("OrderRepository.create_order"),
            "INSERT INTO orders_legacy (id, total) VALUES (%s, %s)",
        ),
        finding(
            "orders_legacy",
            Write,
            Update,
            repo,
            7,
            21,
            Python,
            Some("OrderRepository.archive"),
            "UPDATE orders_legacy SET archived = true",
        ),
        finding(
            "orders_legacy",
            Read,
            Select,
            repo,
            10,
            21,
            Python,
            Some("OrderRepository.totals"),
            "SELECT sum(total) FROM orders_legacy",
        ),
        finding(
            "customers_legacy",
            Read,
            Select,
            repo,
            11,
            21,
            Python,
            Some("OrderRepository.totals"),
            "SELECT name FROM customers_legacy WHERE id = %s",
        ),
        finding(
            "orders_legacy",
            Read,
            Select,
            "workers/export.go",
            5,
            24,
            Go,
            Some("Export"),
            "SELECT id FROM orders_legacy, weird: 100%",
        ),
    ];
    cutover::model::sort_findings(&mut all);
    all
}

/// The scanned directory with its sources and baseline, and the audit of the hand-made scan.
fn audited(update: bool) -> (tempfile::TempDir, Audit) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    for (rel, text) in [
        ("services/orders/repository.py", REPOSITORY_PY),
        ("workers/export.go", EXPORT_GO),
        ("db/views.sql", VIEWS_SQL),
        ("cutover-baseline.json", BASELINE),
    ] {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let file = FileConfig::parse(CONFIG, Path::new("cutover.toml")).unwrap();
    let config = Config::from_file(root.clone(), None, file, &Overrides::default()).unwrap();
    let scan = ScanOutput {
        findings: findings(),
        callers: Vec::new(),
        problems: Vec::new(),
        stats: Default::default(),
    };
    let mut inventory = Inventory::from_findings("demo".into(), config, scan);
    // What a scan with `Wants::sources` collects: the texts of the files with findings and
    // their suppressions.
    inventory.wants.sources = true;
    // And for the dual-write checks: the replacement tables (none written here) and the
    // source files the call graph reads.
    inventory.wants.replacements = true;
    inventory.source_files = cutover::discover::discover(&inventory.config)
        .unwrap()
        .files;
    for (rel, text) in [
        ("services/orders/repository.py", REPOSITORY_PY),
        ("workers/export.go", EXPORT_GO),
        ("db/views.sql", VIEWS_SQL),
    ] {
        let sups = cutover::audit::suppress::parse(rel, text);
        inventory.sources.suppressions.extend(sups);
        inventory
            .sources
            .texts
            .insert(rel.to_string(), text.to_string());
    }
    let opts = Options {
        baseline_path: root.join("cutover-baseline.json"),
        use_baseline: true,
        update_baseline: update,
        allow_new: false,
        changed_since: None,
        today: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
    };
    let dual = cutover::dualwrite::run(&inventory).unwrap();
    let audit = audit::audit(inventory, dual, &opts).unwrap();
    (dir, audit)
}

fn render(f: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .replace(env!("CARGO_PKG_VERSION"), "[version]")
}

#[test]
fn verdict_of_the_hand_made_scan() {
    let (_dir, a) = audited(false);
    let by_line: Vec<(String, u32, &str, Option<&str>, &str)> = a
        .items
        .iter()
        .map(|i| {
            (
                i.file.clone(),
                i.line,
                i.rule.id(),
                i.status.map(|s| s.as_str()),
                i.level.as_str(),
            )
        })
        .collect();
    let repo = "services/orders/repository.py".to_string();
    assert_eq!(
        by_line,
        vec![
            (
                "db/views.sql".into(),
                1,
                "cutover/unused-suppression",
                None,
                "warning"
            ),
            (
                "db/views.sql".into(),
                2,
                "cutover/forbidden-reference",
                Some("known"),
                "warning"
            ),
            // Issue 11: the writers of the dual-write table get a coverage verdict (the one
            // on line 7 is allowed by the suppression on its line, see below).
            (
                repo.clone(),
                3,
                "cutover/dual-write-uncovered",
                None,
                "error"
            ),
            (
                repo.clone(),
                3,
                "cutover/new-reference",
                Some("new"),
                "error"
            ),
            (
                repo.clone(),
                7,
                "cutover/dual-write-uncovered",
                None,
                "error"
            ),
            (
                repo.clone(),
                7,
                "cutover/new-reference",
                Some("suppressed"),
                "error"
            ),
            (
                repo.clone(),
                10,
                "cutover/known-reference",
                Some("known"),
                "warning"
            ),
            (repo, 11, "cutover/forbidden-read", Some("known"), "error"),
            (
                "workers/export.go".into(),
                4,
                "cutover/invalid-suppression",
                None,
                "error"
            ),
            (
                "workers/export.go".into(),
                5,
                "cutover/known-reference",
                Some("known"),
                "warning"
            ),
        ]
    );
    let allowed: Vec<(u32, bool)> = a
        .items
        .iter()
        .filter(|i| i.rule.id() == "cutover/dual-write-uncovered")
        .map(|i| (i.line, i.allowance.is_some()))
        .collect();
    assert_eq!(allowed, vec![(3, false), (7, true)]);
    assert!(a.failed());
    let b = a.baseline.as_ref().unwrap();
    assert_eq!(b.removed(), 2, "the purge entries are gone");
    let fps: std::collections::BTreeSet<&str> =
        a.items.iter().map(|i| i.fingerprint.as_str()).collect();
    assert_eq!(fps.len(), a.items.len(), "fingerprints are unique");
}

#[test]
fn text() {
    let (_dir, a) = audited(false);
    let out = render(|o| cutover::report::diagnostic::write_audit(&a, false, o));
    assert!(!out.contains('\u{1b}'), "no colour unless asked");
    insta::assert_snapshot!(out);
    let colored = render(|o| cutover::report::diagnostic::write_audit(&a, true, o));
    assert!(colored.contains('\u{1b}'));
}

#[test]
fn json_and_jsonl() {
    let (_dir, a) = audited(false);
    let json = render(|o| cutover::report::audit_json::write_audit(&a, o));
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["summary"]["verdict"], "failed");
    insta::assert_snapshot!("json", json);
    let jsonl = render(|o| cutover::report::audit_json::write_audit_jsonl(&a, o));
    let rows: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        // The inventory contract's keys, plus status and fingerprint.
        for key in [
            "table",
            "access",
            "operation",
            "file",
            "line",
            "column",
            "language",
            "kind",
            "function",
            "confidence",
            "evidence",
            "status",
            "fingerprint",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }
    insta::assert_snapshot!("jsonl", jsonl);
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/sarif/sarif-schema-2.1.0.json"
        ))
        .unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[test]
fn sarif_is_valid_and_github_ready() {
    let (_dir, a) = audited(false);
    let out = render(|o| cutover::report::sarif::write_audit(&a, o));
    let doc: Value = serde_json::from_str(&out).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // What GitHub code scanning requires on top of the schema.
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"].as_str().unwrap().starts_with("https://"));
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
    );
    for r in run["results"].as_array().unwrap() {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert_eq!(
            r["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .unwrap()
                .len(),
            32
        );
    }
    insta::assert_snapshot!("sarif", out);

    // The validator is not a rubber stamp: a region at line 0 and a wrong version fail.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["version"] = Value::from("2.0.0");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn github_annotations_most_important_first_and_step_summary() {
    let (dir, a) = audited(false);
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step output\n").unwrap();
    let out = render(|o| cutover::report::github::write_audit(&a, Some(&summary), o));
    let levels: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("::"))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    let mut sorted = levels.clone();
    sorted.sort_by_key(|l| ["error", "warning", "notice"].iter().position(|x| x == l));
    assert_eq!(levels, sorted, "errors first");
    assert!(
        !out.contains("archived = true"),
        "suppressed findings are not annotated"
    );
    // `,` and `:` in properties and `%` in messages are escaped.
    assert!(
        out.contains("title=Invalid cutover suppression (cutover/invalid-suppression)"),
        "{out}"
    );
    insta::assert_snapshot!("github", out);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("# earlier step output\n\n## cutover audit failed"),
        "appended: {md}"
    );
    assert!(md.contains("| error | `cutover/new-reference` | `services/orders/repository.py:3` |"));
    assert!(md.contains("suppressed: archive job runs until the backfill ends"));
    insta::assert_snapshot!("github_step_summary", md);

    // The cap: what does not fit is counted, and the text stays under the budget.
    let small = cutover::report::github::summary_markdown(&a, 1500);
    assert!(small.len() <= 1500, "{}", small.len());
    assert!(small.contains("more results did not fit"), "{small}");
    assert!(cutover::report::github::summary_markdown(&a, 100).is_empty());
}

#[test]
fn gitlab_code_quality() {
    let (_dir, a) = audited(false);
    let out = render(|o| cutover::report::gitlab::write_audit(&a, o));
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    // Issue 11 adds the unsuppressed dual-write verdict of `create_order`.
    assert_eq!(
        issues.len(),
        8,
        "all but the suppressed finding and verdict"
    );
    let fps: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), issues.len());
    for i in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(i[key].is_string(), "{key} in {i}");
        }
        assert!(i["location"]["path"].is_string());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    insta::assert_snapshot!("gitlab", out);
}

#[test]
fn update_lowers_counts_and_keeps_new_ones_out() {
    let (dir, a) = audited(true);
    let u = a.baseline.as_ref().unwrap().update.as_ref().unwrap();
    assert_eq!((u.removed, u.refused, u.added), (2, 1, 0));
    let text = std::fs::read_to_string(dir.path().join("cutover-baseline.json")).unwrap();
    assert!(!text.contains("OrderRepository.purge"), "{text}");
    assert!(!text.contains("OrderRepository.create_order"), "{text}");
    assert!(text.contains("OrderRepository.totals"), "{text}");
    insta::assert_snapshot!("updated_baseline", text);
}
