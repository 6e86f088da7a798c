//! Dual-write coverage (issue 11): every verdict on fixtures in Python, Go and TypeScript,
//! the `cutover dual-write` command (text and JSON, exit codes), and the verdicts in the
//! audit's text, JSON and SARIF outputs. Every language runs the real scan; one test also
//! feeds hand-made findings to the TS call graph, as the analysis works on any `Finding`
//! (ORM findings included), not only on what the raw-SQL extractors produce.

use assert_cmd::Command;
use cutover::audit::{self, Options};
use cutover::config::{Config, Overrides};
use cutover::dualwrite::{self, Verdict, callgraph};
use cutover::model::{Access, Confidence, Finding, Kind, Language, Operation};
use std::path::Path;

/// What `dual-write` and `audit` scan: the legacy and replacement tables, with sources.
fn scan(config: Config, root: String) -> cutover::Inventory {
    let wants = cutover::scan::Wants {
        replacements: true,
        sources: true,
        ..Default::default()
    };
    cutover::scan::scan_with(config, root, wants).unwrap()
}

fn fixture() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dualwrite/repo")
}

fn demo() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo")
}

fn config(path: &str) -> Config {
    Config::load(Path::new(path), &Overrides::default()).unwrap()
}

/// (file, function, verdict) of every check, for files with the given extensions.
fn verdicts(path: &str, exts: &[&str]) -> Vec<(String, String, &'static str)> {
    let inv = scan(config(path), path.to_string());
    let a = dualwrite::run(&inv).unwrap();
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    a.checks
        .iter()
        .filter(|c| exts.iter().any(|e| c.file.ends_with(e)))
        .map(|c| {
            (
                c.file.clone(),
                c.function.clone().unwrap_or_default(),
                c.verdict.as_str(),
            )
        })
        .collect()
}

fn row(file: &str, function: &str, verdict: &'static str) -> (String, String, &'static str) {
    (file.to_string(), function.to_string(), verdict)
}

#[test]
fn python_verdicts() {
    // The mirrors of this fixture reach the replacement but nothing catches their failure:
    // `order` (issue 18); `fixtures/dualwrite/playbook` has the rules one by one.
    let r = "py/shop/repo.py";
    assert_eq!(
        verdicts(fixture(), &[".py"]),
        vec![
            // Through `from .writes import insert_new`.
            row(r, "Orders.create", "order"),
            // Through `self._mirror` and `upsert_new as upsert`: an upsert mirrors an update.
            row(r, "Orders.save", "order"),
            row(r, "Orders.replace", "partial"),
            row(r, "Orders.purge", "uncovered"),
            // The replacement write is 4 calls away, one more than DEPTH.
            row(r, "Orders.deep", "uncovered"),
            row(r, "Orders.recompute", "covered"),
            row(r, "only_new", "replacement-only"),
            row(r, "customer_name", "no-shadow-read"),
            row(r, "archive", "order"),
        ]
    );
}

#[test]
fn go_verdicts() {
    let o = "go/store/orders.go";
    assert_eq!(
        verdicts(fixture(), &[".go"]),
        vec![
            // Through `insertNew` in new.go (same package, another file).
            row(o, "Store.Create", "order"),
            // Through `s.updateNew`, a method of the receiver in new.go.
            row(o, "Store.Save", "order"),
            row(o, "Store.Replace", "partial"),
            row(o, "Store.Purge", "uncovered"),
            // `s.outbox.Mirror` is an interface call: covered by the declared helper only.
            row(o, "Store.Recompute", "covered"),
            row(o, "Store.OnlyNew", "replacement-only"),
        ]
    );
}

#[test]
fn typescript_verdicts() {
    let o = "ts/src/orders.ts";
    assert_eq!(
        verdicts(fixture(), &[".ts"]),
        vec![
            // Through `import { insertNew as writeNew } from "./new-orders"`.
            row(o, "Orders.create", "order"),
            // Through `this.updateNew`.
            row(o, "Orders.save", "order"),
            // `this.create` mirrors an insert; the delete stays unmirrored.
            row(o, "Orders.replace", "partial"),
            row(o, "Orders.purge", "uncovered"),
            // `mirror.dualWrite(...)`: the declared helper.
            row(o, "Orders.recompute", "covered"),
        ]
    );
}

#[test]
fn details_of_partial_and_helper_verdicts() {
    let inv = scan(config(fixture()), String::new());
    let a = dualwrite::run(&inv).unwrap();
    let find = |f: &str| {
        a.checks
            .iter()
            .find(|c| c.function.as_deref() == Some(f))
            .unwrap()
    };
    let replace = find("Store.Replace");
    assert_eq!(
        replace.operations,
        vec![Operation::Insert, Operation::Delete]
    );
    assert_eq!(replace.missing, vec![Operation::Delete]);
    assert_eq!(replace.via, vec!["insertNew (go/store/orders.go:42)"]);
    let recompute = find("Orders.recompute");
    assert_eq!(recompute.via, vec!["helper replicate (py/shop/repo.py:36)"]);
    // `newdb.orders` (another database's table) counts as the replacement too.
    assert_eq!(find("Orders.save").verdict, Verdict::Order);
    // Functions that only write the replacement but are called by legacy writers are the
    // second half of a dual write, not divergence.
    assert!(
        a.checks
            .iter()
            .all(|c| c.function.as_deref() != Some("insertNew"))
    );
    assert!(
        a.checks
            .iter()
            .all(|c| c.function.as_deref() != Some("upsert_new"))
    );
}

#[test]
fn without_helpers_the_interface_call_is_uncovered() {
    let mut cfg = config(fixture());
    let tables: Vec<_> = cfg
        .tables
        .tables()
        .iter()
        .cloned()
        .map(|mut t| {
            t.dual_write_helpers.clear();
            t
        })
        .collect();
    cfg.tables = cutover::config::TableMatcher::new(tables);
    let inv = scan(cfg, String::new());
    let a = dualwrite::run(&inv).unwrap();
    for f in ["Store.Recompute", "Orders.recompute"] {
        let c = a
            .checks
            .iter()
            .find(|c| c.function.as_deref() == Some(f))
            .unwrap();
        assert_eq!(c.verdict, Verdict::Uncovered, "{f}");
    }
}

#[allow(clippy::too_many_arguments)]
fn ts_finding(table: &str, access: Access, op: Operation, line: u32, function: &str) -> Finding {
    Finding {
        table: table.into(),
        access,
        operation: op,
        file: "ts/src/orders.ts".into(),
        line,
        column: 5,
        language: Language::TypeScript,
        kind: Kind::RawSql,
        function: Some(function.into()),
        confidence: Confidence::Parsed,
        evidence: String::new(),
        sink: None,
        framework: None,
        via: Vec::new(),
        reason: None,
    }
}

#[test]
fn typescript_call_graph_on_hand_made_findings() {
    use Access::Write;
    use Operation::*;
    let cfg = config(fixture());
    let files = cutover::discover::discover(&cfg).unwrap().files;
    let graph = callgraph::build(&files, cfg.scan.max_file_size);
    // The lines of the SQL in ts/src/orders.ts and ts/src/new-orders.ts.
    let legacy = vec![
        ts_finding("orders_legacy", Write, Insert, 10, "Orders.create"),
        ts_finding("orders_legacy", Write, Update, 16, "Orders.save"),
        ts_finding("orders_legacy", Write, Delete, 26, "Orders.replace"),
        ts_finding("orders_legacy", Write, Delete, 32, "Orders.purge"),
        ts_finding("orders_legacy", Write, Update, 38, "Orders.recompute"),
    ];
    let mut new_insert = ts_finding("orders", Write, Insert, 4, "insertNew");
    new_insert.file = "ts/src/new-orders.ts".into();
    let replacement = vec![
        new_insert,
        ts_finding("orders", Write, Update, 21, "Orders.updateNew"),
    ];
    let a = dualwrite::analyze(&cfg, &legacy, &replacement, &graph);
    let got: Vec<(&str, &str)> = a
        .checks
        .iter()
        .map(|c| (c.function.as_deref().unwrap(), c.verdict.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            // Through `import { insertNew as writeNew } from "./new-orders"`.
            ("Orders.create", "order"),
            // Through `this.updateNew`.
            ("Orders.save", "order"),
            // `this.create` mirrors the insert it does not make; the delete stays unmirrored.
            ("Orders.replace", "partial"),
            ("Orders.purge", "uncovered"),
            ("Orders.recompute", "covered"),
        ]
    );
}

fn cutover() -> Command {
    let mut cmd = Command::cargo_bin("cutover").unwrap();
    cmd.env("RUST_BACKTRACE", "0").env("NO_COLOR", "1");
    cmd
}

#[test]
fn dual_write_command_text_and_json() {
    let without_ts = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/dualwrite/without-ts.toml"
    );
    let out = cutover()
        .args(["dual-write", fixture(), "--config", without_ts])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "uncovered writers fail");
    let text = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("dualwrite_fixture_text", text);

    let out = cutover()
        .args(["dual-write", fixture(), "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["depth"], 3);
    let checks = json["checks"].as_array().unwrap();
    let partial = checks
        .iter()
        .find(|c| c["function"] == "Orders.replace" && c["file"] == "py/shop/repo.py")
        .unwrap();
    assert_eq!(partial["verdict"], "partial");
    assert_eq!(partial["missing"], serde_json::json!(["delete"]));
    assert_eq!(
        partial["replacements"],
        serde_json::json!(["orders", "newdb.orders"])
    );

    // Same bytes with one thread or many.
    let one = cutover()
        .args([
            "dual-write",
            fixture(),
            "--format",
            "json",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    let many = cutover()
        .args([
            "dual-write",
            fixture(),
            "--format",
            "json",
            "--threads",
            "4",
        ])
        .output()
        .unwrap();
    assert_eq!(one.stdout, many.stdout);
}

#[test]
fn demo_has_every_verdict() {
    let got = verdicts(demo(), &[".py", ".go", ".ts"]);
    let find = |f: &str| got.iter().find(|(_, func, _)| func == f).map(|r| r.2);
    // The demo's direct mirrors are unguarded: a failure of the new write fails the request
    // (issue 18's `order`); the declared helpers stay covered.
    assert_eq!(find("OrderRepository.create_order"), Some("order"));
    assert_eq!(find("OrderRepository.mark_paid"), Some("uncovered"));
    assert_eq!(find("OrderRepository.replace_order"), Some("partial"));
    assert_eq!(find("OrderRepository.set_currency"), Some("covered"));
    assert_eq!(find("cancel"), Some("uncovered"));
    assert_eq!(find("mark_delivered"), Some("order"));
    assert_eq!(find("OrderStore.Ship"), Some("order"));
    assert_eq!(find("OrderStore.Cancel"), Some("partial"));
    assert_eq!(find("OrderStore.Reopen"), Some("uncovered"));
    assert_eq!(find("OrderStore.Refund"), Some("covered"));
    assert_eq!(find("OrderService.place"), Some("order"));
    assert_eq!(find("OrderService.cancel"), Some("partial"));
    assert_eq!(find("OrderService.expire"), Some("uncovered"));
    assert_eq!(find("OrderService.refund"), Some("covered"));
    // The backfill migration writes `orders` while reading the legacy table: not divergence.
    assert!(
        got.iter().all(|(_, _, v)| *v != "replacement-only"),
        "{got:?}"
    );
}

#[test]
fn verdicts_in_audit_text_json_and_sarif() {
    let inv = scan(config(fixture()), "repo".to_string());
    let opts = Options {
        baseline_path: Path::new(fixture()).join("no-baseline.json"),
        use_baseline: false,
        update_baseline: false,
        allow_new: false,
        changed_since: None,
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    };
    let dual = dualwrite::run(&inv).unwrap();
    let a = audit::audit(inv, dual, &opts).unwrap();
    assert!(a.failed());
    let render = |f: &dyn Fn(&mut Vec<u8>) -> anyhow::Result<()>| {
        let mut buf = Vec::new();
        f(&mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    };
    let text = render(&|o| cutover::report::diagnostic::write_audit(&a, false, o));
    assert!(
        text.contains("error[cutover/dual-write-uncovered]: `Store.Purge`"),
        "{text}"
    );
    assert!(
        text.contains("warning[cutover/dual-write-partial]: `Orders.replace`"),
        "{text}"
    );
    assert!(
        text.contains("warning[cutover/dual-write-replacement-only]: `only_new`"),
        "{text}"
    );
    assert!(
        text.contains("warning[cutover/shadow-read-missing]: `customer_name`"),
        "{text}"
    );
    assert!(
        text.contains("  covered  go/store/orders.go:53  `Store.Recompute`"),
        "{text}"
    );

    let json: serde_json::Value = serde_json::from_str(&render(&|o| {
        cutover::report::audit_json::write_audit(&a, o)
    }))
    .unwrap();
    let dual = json["dual_write"].as_array().unwrap();
    let rule_of = |f: &str| {
        dual.iter().find(|d| d["function"] == f).map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["level"].as_str().unwrap().to_string(),
            )
        })
    };
    assert_eq!(
        rule_of("Orders.deep"),
        Some(("cutover/dual-write-uncovered".into(), "error".into()))
    );
    assert_eq!(
        rule_of("Orders.create"),
        Some(("cutover/dual-write-order".into(), "warning".into()))
    );
    assert_eq!(
        rule_of("Orders.recompute"),
        Some(("cutover/dual-write-covered".into(), "note".into()))
    );

    // Covered writers are listed in text, JSON and SARIF, but are not pull-request
    // annotations nor GitLab code-quality issues.
    let github = render(&|o| cutover::report::github::write_audit(&a, None, o));
    assert!(github.contains("cutover/dual-write-uncovered"), "{github}");
    assert!(!github.contains("cutover/dual-write-covered"), "{github}");
    let gitlab = render(&|o| cutover::report::gitlab::write_audit(&a, o));
    assert!(gitlab.contains("cutover/dual-write-partial"), "{gitlab}");
    assert!(!gitlab.contains("cutover/dual-write-covered"), "{gitlab}");

    let sarif: serde_json::Value =
        serde_json::from_str(&render(&|o| cutover::report::sarif::write_audit(&a, o))).unwrap();
    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "cutover/dual-write-covered",
        "cutover/dual-write-partial",
        "cutover/dual-write-replacement-only",
        "cutover/dual-write-uncovered",
        "cutover/shadow-read-missing",
    ] {
        assert!(rules.contains(&id), "{id}");
    }
    let partial = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ruleId"] == "cutover/dual-write-partial"
                && r["properties"]["function"] == "Store.Replace"
        })
        .unwrap();
    assert_eq!(partial["level"], "warning");
    assert_eq!(partial["properties"]["table"], "orders_legacy");
    assert_eq!(
        partial["locations"][0]["physicalLocation"]["region"]["startLine"],
        36
    );
}

fn playbook() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dualwrite/playbook")
}

/// Issue 18: the playbook's rules, one writer per rule. A mirror behind a flag that ships
/// off and one whose failure is swallowed silently are no longer "covered".
#[test]
fn playbook_rules_are_checked() {
    let got = verdicts(playbook(), &[".py", ".go", ".ts"]);
    let of = |f: &str| {
        got.iter()
            .find(|(_, func, _)| func == f)
            .map(|r| r.2)
            .unwrap_or("missing")
    };
    assert_eq!(of("place"), "covered");
    assert_eq!(of("pay"), "covered", "caught and counted is best-effort");
    assert_eq!(of("ship"), "conditional");
    assert_eq!(of("Store.Pay"), "conditional");
    assert_eq!(of("cancel"), "swallowed");
    assert_eq!(of("Store.Cancel"), "swallowed");
    assert_eq!(of("Orders.cancel"), "swallowed");
    assert_eq!(of("create"), "not-idempotent");
    assert_eq!(of("refund"), "order");
    assert_eq!(of("archive"), "order");
    assert_eq!(of("Store.Ship"), "covered");
    assert_eq!(
        of("Orders.place"),
        "covered",
        "ON CONFLICT DO NOTHING is idempotent"
    );

    let inv = scan(config(playbook()), String::new());
    let a = dualwrite::run(&inv).unwrap();
    let notes = |f: &str| {
        a.checks
            .iter()
            .find(|c| c.function.as_deref() == Some(f))
            .unwrap()
            .notes
            .join("\n")
    };
    assert!(
        notes("ship").contains("flag MIRROR_ORDERS defaults to off (py/settings.py:2"),
        "{}",
        notes("ship")
    );
    assert!(notes("Store.Pay").contains("off unless the environment sets MIRROR_ORDERS"));
    assert!(notes("pay").contains("counted (not logged)"));
    assert!(notes("place").contains("non-atomic (information)"));

    let out = cutover().args(["dual-write", playbook()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "no uncovered writer: exit 0");
    insta::assert_snapshot!(
        "dualwrite_playbook_text",
        String::from_utf8(out.stdout).unwrap()
    );
}
