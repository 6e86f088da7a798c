//! Callers (issue 21) on `fixtures/callers/`: named-query `.sql` files (sqlc, aiosql) name
//! their statements, and the calls of those names, of a `[[wrappers]]` function and of a
//! function found writing are listed as callers, apart from the direct findings, in every
//! format. Every expected caller is found (recall) and nothing else is (precision).

use cutover::config::{Config, Overrides};
use cutover::model::{Access, Finding, Kind};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/callers")
}

fn inventory() -> cutover::scan::Inventory {
    let config = Config::load(&root(), &Overrides::default()).unwrap();
    cutover::scan(config, "callers".to_string()).unwrap()
}

fn key(f: &Finding) -> (String, u32, String, Access) {
    (f.file.clone(), f.line, f.table.clone(), f.access)
}

#[test]
fn named_queries_are_reported_at_their_statement_with_their_name() {
    let inv = inventory();
    let named: Vec<(String, u32, Option<&str>, Option<&str>)> = inv
        .scan
        .findings
        .iter()
        .filter(|f| f.kind == Kind::SqlFile)
        .map(|f| {
            (
                f.file.clone(),
                f.line,
                f.function.as_deref(),
                f.framework.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (
                "app/queries/payments.sql".into(),
                4,
                Some("refund_payment"),
                Some("yesql")
            ),
            (
                "app/queries/payments.sql".into(),
                7,
                Some("list_payments"),
                Some("yesql")
            ),
            (
                "db/query/orders.sql".into(),
                4,
                Some("GetOrder"),
                Some("sqlc")
            ),
            (
                "db/query/orders.sql".into(),
                8,
                Some("CancelOrder"),
                Some("sqlc")
            ),
        ]
    );
}

#[test]
fn callers_are_exactly_the_calls_of_what_touches_a_legacy_table() {
    let inv = inventory();
    let got: Vec<_> = inv.scan.callers.iter().map(key).collect();
    let want = vec![
        (
            "api/handlers.go".into(),
            11,
            "orders_legacy".into(),
            Access::Read,
        ),
        (
            "api/handlers.go".into(),
            20,
            "orders_legacy".into(),
            Access::Write,
        ),
        // `settle(conn, today)`: resolved in the same file.
        (
            "app/jobs.py".into(),
            6,
            "payments_legacy".into(),
            Access::Write,
        ),
        // `billing.charge_customer`: the declared wrapper (not `loyalty.charge_customer`).
        (
            "app/checkout.py".into(),
            5,
            "payments_legacy".into(),
            Access::Write,
        ),
        (
            "app/repository.py".into(),
            11,
            "payments_legacy".into(),
            Access::Write,
        ),
        (
            "app/repository.py".into(),
            14,
            "payments_legacy".into(),
            Access::Read,
        ),
        // `getattr(queries, f"list_{kind}")`: the queries the computed name may be.
        (
            "app/repository.py".into(),
            18,
            "payments_legacy".into(),
            Access::Read,
        ),
    ];
    let mut want = want;
    want.sort();
    assert_eq!(got, want, "{:#?}", inv.scan.callers);
    for c in &inv.scan.callers {
        assert_eq!(c.kind, Kind::Caller);
        assert!(!c.via.is_empty(), "{c:?}");
    }
    // Callers are never direct findings.
    assert!(inv.scan.findings.iter().all(|f| f.kind != Kind::Caller));
    let wrapper = inv
        .scan
        .callers
        .iter()
        .find(|c| c.file == "app/checkout.py")
        .unwrap();
    assert_eq!(
        wrapper.via,
        vec!["billing.charge_customer @ cutover.toml [[wrappers]]"]
    );
    let sqlc = inv.scan.callers.iter().find(|c| c.line == 20).unwrap();
    assert_eq!(sqlc.via, vec!["CancelOrder @ db/query/orders.sql:8"]);
    assert_eq!(sqlc.function.as_deref(), Some("Handler.Cancel"));
}

#[test]
fn callers_in_json_are_apart_and_not_counted() {
    let out = assert_cmd::Command::cargo_bin("cutover")
        .unwrap()
        .args(["inventory", "--format", "json"])
        .arg(root())
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], 2);
    let findings = doc["findings"].as_array().unwrap();
    let callers = doc["callers"].as_array().unwrap();
    assert_eq!(callers.len(), 7);
    assert!(findings.iter().all(|f| f["kind"] != "caller"));
    assert_eq!(
        doc["stats"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
    assert!(callers.iter().all(|c| c["kind"] == "caller"));
}

#[test]
fn callers_in_text_sit_under_their_callee() {
    let out = assert_cmd::Command::cargo_bin("cutover")
        .unwrap()
        .args(["inventory", "--color", "never", "fixtures/callers"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("time:"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("callers_text", text);
}
