//! Reconciliation of runtime evidence with the code on the demo monorepo: its log
//! (fixtures/demo/logs/postgresql.log, written by a real PostgreSQL server, see
//! make-demo-log.sh) holds one client that no component explains writing `orders_legacy`.

use assert_cmd::Command;
use cutover::config::{Config, Overrides};
use cutover::logs::reconcile::{Reconciliation, reconcile};
use cutover::logs::{ReadOptions, read_logs};
use cutover::model::{Access, Confidence, Finding, Kind, Language, Operation};
use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn demo_log() -> PathBuf {
    demo().join("logs/postgresql.log")
}

fn config() -> Config {
    Config::load(&demo(), &Overrides::default()).unwrap()
}

fn run(findings: &[Finding]) -> Reconciliation {
    let config = config();
    let report = read_logs(
        &[demo_log()],
        &ReadOptions {
            log_line_prefix: config.logs.log_line_prefix.clone(),
            tables: config.tables.clone(),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let files = cutover::discover::discover(&config).unwrap().all_files();
    let layout = cutover::plan::components::detect(&files, &config.components).unwrap();
    reconcile(&report, findings, &config, &layout).unwrap()
}

fn finding(table: &str, access: Access, op: Operation, file: &str, line: u32) -> Finding {
    Finding {
        table: table.into(),
        access,
        operation: op,
        file: file.into(),
        line,
        column: 1,
        language: Language::Python,
        kind: Kind::RawSql,
        function: None,
        confidence: Confidence::Parsed,
        evidence: format!("{op} {table}"),
        sink: None,
        framework: None,
        via: Vec::new(),
        reason: None,
    }
}

const JDBC: &str = "app=PostgreSQL JDBC Driver user=legacy_etl db=shop host=127.0.0.1";

#[test]
fn the_planted_writer_is_unexplained_whatever_the_code() {
    let r = run(&[]);
    let orders = r
        .tables
        .iter()
        .find(|t| t.table == "orders_legacy")
        .unwrap();
    let jdbc = orders
        .unexplained_writers
        .iter()
        .find(|w| w.client == JDBC)
        .expect("the JDBC writer is reported");
    assert_eq!(jdbc.component, None);
    assert_eq!(jdbc.executions, 3);
    assert!(jdbc.statements[0].statement.contains("orders_legacy"));
    assert_eq!(r.unmapped_clients, vec![JDBC.to_string()]);
    // Every other client maps to a declared component through db_clients.
    assert_eq!(r.components["billing"].len(), 1);
    assert_eq!(r.components["fulfillment-worker"].len(), 1);
    assert_eq!(r.components["reporting"].len(), 1);
}

#[test]
fn code_writers_explain_their_components_and_unseen_ones_are_listed() {
    let code = [
        finding(
            "orders_legacy",
            Access::Write,
            Operation::Insert,
            "services/billing/billing/repository.py",
            21,
        ),
        finding(
            "orders_legacy",
            Access::Read,
            Operation::Select,
            "services/billing/billing/repository.py",
            7,
        ),
        finding(
            "order_items_legacy",
            Access::Write,
            Operation::Insert,
            "services/billing/billing/repository.py",
            49,
        ),
        finding(
            "orders_legacy",
            Access::Write,
            Operation::Update,
            "jobs/fulfillment-worker/fulfillment/tasks.py",
            18,
        ),
        finding(
            "order_items_legacy",
            Access::Read,
            Operation::Select,
            "jobs/fulfillment-worker/fulfillment/tasks.py",
            24,
        ),
        finding(
            "orders_legacy",
            Access::Read,
            Operation::Select,
            "services/reporting/reporting/daily.py",
            10,
        ),
        finding(
            "order_items_legacy",
            Access::Read,
            Operation::Select,
            "services/reporting/reporting/daily.py",
            27,
        ),
        // A writer in code that belongs to no declared component.
        finding(
            "orders_legacy",
            Access::Write,
            Operation::Delete,
            "jobs/nightly-cleanup/cleanup.py",
            11,
        ),
    ];
    let r = run(&code);
    let orders = r
        .tables
        .iter()
        .find(|t| t.table == "orders_legacy")
        .unwrap();
    let unexplained: Vec<&str> = orders
        .unexplained_writers
        .iter()
        .map(|w| w.client.as_str())
        .collect();
    assert_eq!(unexplained, vec![JDBC]);
    let explained: Vec<Option<&str>> = orders
        .explained_writers
        .iter()
        .map(|w| w.component.as_deref())
        .collect();
    assert_eq!(explained, vec![Some("billing"), Some("fulfillment-worker")]);
    assert!(orders.unexplained_readers.is_empty());
    // nightly-cleanup declares no component, but the plan detects one (a child of jobs/):
    // its DELETE is code of a component no client in the window matched (issue #16).
    assert_eq!(orders.not_observed_writers.len(), 1);
    assert_eq!(
        orders.not_observed_writers[0].component.as_deref(),
        Some("nightly-cleanup")
    );
    assert_eq!(
        orders.not_observed_writers[0].locations[0].file,
        "jobs/nightly-cleanup/cleanup.py"
    );
    // billing inserts order items in code, but did not in the log window.
    let items = r
        .tables
        .iter()
        .find(|t| t.table == "order_items_legacy")
        .unwrap();
    assert!(items.unexplained_writers.is_empty());
    assert!(items.unexplained_readers.is_empty());
    assert_eq!(items.not_observed_writers.len(), 1);
    assert_eq!(
        items.not_observed_writers[0].component.as_deref(),
        Some("billing")
    );
    assert_eq!(items.not_observed_writers[0].locations[0].line, 49);
}

fn cutover() -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.env("RUST_LIB_BACKTRACE", "0");
    c
}

#[test]
fn inventory_with_logs_prints_the_runtime_section() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = cutover()
        .current_dir(root)
        .args([
            "inventory",
            "fixtures/demo",
            "--logs",
            "fixtures/demo/logs/postgresql.log",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let section = text
        .split("runtime evidence")
        .nth(1)
        .expect("runtime section");
    assert!(section.contains(JDBC));
    assert!(section.contains("no component's db_clients match this client"));

    let out = cutover()
        .current_dir(root)
        .args([
            "inventory",
            "fixtures/demo",
            "--format",
            "json",
            "--logs",
            "fixtures/demo/logs/postgresql.log",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tables = doc["runtime"]["tables"].as_array().unwrap();
    let orders = tables
        .iter()
        .find(|t| t["table"] == "orders_legacy")
        .unwrap();
    // With the real code scan, the JDBC job is the only unexplained writer: billing's and
    // fulfillment-worker's writes are explained by their code.
    let unexplained: Vec<&str> = orders["unexplained_writers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["client"].as_str().unwrap())
        .collect();
    assert_eq!(unexplained, vec![JDBC]);
    let explained: Vec<&str> = orders["explained_writers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["component"].as_str().unwrap())
        .collect();
    assert_eq!(explained, vec!["billing", "fulfillment-worker"]);
    assert!(doc["findings"].is_array());
    insta::assert_snapshot!("demo_runtime_section", format!("runtime evidence{section}"));
}

#[test]
fn logs_command_text_and_json_on_the_demo_log() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let text = cutover()
        .current_dir(&root)
        .args(["logs", "logs/postgresql.log"])
        .output()
        .unwrap();
    assert!(text.status.success());
    insta::assert_snapshot!("demo_logs_text", String::from_utf8(text.stdout).unwrap());
    let json = cutover()
        .current_dir(&root)
        .args([
            "logs",
            "logs/postgresql.log",
            "--format",
            "json",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    let json4 = cutover()
        .current_dir(&root)
        .args([
            "logs",
            "logs/postgresql.log",
            "--format",
            "json",
            "--threads",
            "4",
        ])
        .output()
        .unwrap();
    assert_eq!(
        json.stdout, json4.stdout,
        "output depends on the thread count"
    );
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    insta::assert_json_snapshot!("demo_logs_json", doc);
}

#[test]
fn logs_command_on_the_demo_and_its_doctor() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = cutover()
        .current_dir(root.join("fixtures/demo"))
        .args(["logs", "logs/postgresql.log", "--doctor"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // The prefix comes from the demo's cutover.toml and matches every record.
    assert!(text.contains("ok    log_line_prefix"), "{text}");
    // The JDBC client and psql show up as driver defaults.
    assert!(text.contains("PostgreSQL JDBC Driver 3"), "{text}");
    assert!(
        text.contains("change: set application_name per service"),
        "{text}"
    );
    insta::assert_snapshot!("demo_logs_doctor", text);
}
