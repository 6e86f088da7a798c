//! `cutover plan` on the fixture monorepo `fixtures/plan/shop` (issue 6): the layout, kinds
//! and imports come from the fixture's files; the findings are built by hand (matching the
//! SQL in those files) so the order does not depend on the extractors' progress. Every
//! output format is snapshotted.

use cutover::config::{Config, Overrides};
use cutover::model::{Access, Confidence, Finding, Kind, Language, Operation};
use cutover::plan::{self, Plan, PlanInput, RuntimeAccess};
use std::path::Path;

const SHOP: &str = "fixtures/plan/shop";

fn finding(file: &str, line: u32, table: &str, access: Access, op: Operation) -> Finding {
    let language = match file.rsplit('.').next() {
        Some("py") => Language::Python,
        Some("go") => Language::Go,
        Some("ts") => Language::TypeScript,
        _ => Language::Sql,
    };
    Finding {
        table: table.to_string(),
        access,
        operation: op,
        file: file.to_string(),
        line,
        column: 1,
        language,
        kind: if language == Language::Sql {
            Kind::SqlFile
        } else {
            Kind::RawSql
        },
        function: None,
        confidence: Confidence::Parsed,
        evidence: String::new(),
        sink: None,
        framework: None,
        via: Vec::new(),
        reason: None,
    }
}

/// What a complete scan of the fixture reports (see the SQL at these lines).
fn shop_findings() -> Vec<Finding> {
    use Access::*;
    use Operation::*;
    vec![
        finding("jobs/archive/tasks.py", 17, "orders_legacy", Write, Upsert),
        finding("jobs/archive/tasks.py", 17, "orders_legacy", Read, Select),
        finding(
            "jobs/reporting/report.py",
            11,
            "orders_legacy",
            Read,
            Select,
        ),
        finding(
            "jobs/reporting/report.py",
            18,
            "orders_legacy",
            Read,
            Select,
        ),
        finding(
            "jobs/reporting/report.py",
            18,
            "payments_legacy",
            Read,
            Select,
        ),
        finding(
            "migrations/001_orders_legacy.sql",
            1,
            "orders_legacy",
            Ddl,
            Create,
        ),
        finding(
            "migrations/001_orders_legacy.sql",
            9,
            "payments_legacy",
            Ddl,
            Create,
        ),
        finding(
            "migrations/002_open_orders_view.sql",
            1,
            "orders_legacy",
            Read,
            Select,
        ),
        finding(
            "packages/shared/shared/orders.py",
            11,
            "orders_legacy",
            Write,
            Insert,
        ),
        finding(
            "services/api/app/routes.py",
            18,
            "orders_legacy",
            Read,
            Select,
        ),
        finding(
            "services/api/app/routes.py",
            26,
            "orders_legacy",
            Write,
            Update,
        ),
        finding(
            "services/billing/main.go",
            23,
            "payments_legacy",
            Write,
            Insert,
        ),
        finding(
            "services/billing/main.go",
            24,
            "orders_legacy",
            Write,
            Update,
        ),
        finding(
            "services/web/src/server.ts",
            9,
            "orders_legacy",
            Read,
            Select,
        ),
    ]
}

fn shop_input() -> PlanInput {
    let config = Config::load(Path::new(SHOP), &Overrides::default()).unwrap();
    let wants = cutover::scan::Wants {
        plan_texts: true,
        ..Default::default()
    };
    let inventory = cutover::scan::scan_with(config, SHOP.into(), wants).unwrap();
    let mut input = plan::input(&inventory);
    input.findings = shop_findings();
    input
}

fn shop_plan() -> Plan {
    plan::build(&shop_input(), SHOP).unwrap()
}

fn render(plan: &Plan, f: fn(&Plan, &mut dyn std::io::Write) -> anyhow::Result<()>) -> String {
    let mut out = Vec::new();
    f(plan, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn order_on_the_shop_fixture_with_reasons() {
    let plan = shop_plan();
    let waves: Vec<Vec<&str>> = plan
        .waves
        .iter()
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["schema"],
            vec!["reporting"],
            vec!["ui", "web"],
            vec!["shared"],
            vec!["archive"],
            vec!["billing"],
            vec!["api"],
        ]
    );
    let reason = |n: &str| plan.component(n).unwrap().reason.clone();
    assert_eq!(
        reason("reporting"),
        "reads orders_legacy in 2 places and payments_legacy in 1 place, writes nothing"
    );
    assert_eq!(
        reason("shared"),
        "writes orders_legacy in 1 place; a library writer, so before the entry points"
    );
    // Its own writes are upserts, but it runs shared's plain write too: no longer replayable.
    assert!(reason("archive").starts_with(
        "writes orders_legacy in 1 place; reads orders_legacy in 1 place; through shared: writes orders_legacy in 1 place; a cron writer"
    ));
    assert!(reason("archive").ends_with("; after shared (imports it)"));
    assert!(reason("billing").starts_with(
        "writes orders_legacy in 1 place and payments_legacy in 1 place; a worker writer"
    ));
    assert!(reason("api").starts_with("entry point: writes orders_legacy in 1 place"));
    assert!(reason("api").ends_with("; after shared (imports it)"));
    assert_eq!(
        reason("notify"),
        "touches no legacy table and imports nothing that does"
    );
    assert_eq!(plan.unaffected, vec!["deploy", "notify"]);
    insta::assert_snapshot!(
        "plan_shop_text",
        render(&plan, |p, o| cutover::report::plan::write_text(
            p,
            cutover::report::style::Style::PLAIN,
            o
        ))
    );
}

#[test]
fn cycles_move_together() {
    let plan = shop_plan();
    assert_eq!(plan.cycles, vec![vec!["ui".to_string(), "web".to_string()]]);
    let ui = plan.component("ui").unwrap();
    let web = plan.component("web").unwrap();
    assert_eq!(ui.wave, web.wave);
    assert!(
        web.reason
            .starts_with("import cycle ui <-> web, moves as one")
    );
}

#[test]
fn declared_and_detected_components() {
    let plan = shop_plan();
    let billing = plan.component("billing").unwrap();
    assert!(billing.declared);
    assert_eq!(billing.origin, "declared in cutover.toml");
    assert_eq!(billing.kind_source, plan::kinds::KindSource::Declared);
    assert_eq!(billing.db_clients, vec!["app=billing"]);
    // The detected go.mod directory gave every file to the declared component.
    assert_eq!(
        plan.components
            .iter()
            .filter(|c| c.dir.contains("billing"))
            .count(),
        1
    );
    let api = plan.component("api").unwrap();
    assert!(!api.declared);
    assert_eq!(api.origin, "requirements.txt in services/api/");
    assert_eq!(
        plan.component("schema").unwrap().origin,
        "schema and migration directories"
    );
    let names: Vec<&str> = plan.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "api",
            "archive",
            "billing",
            "deploy",
            "notify",
            "reporting",
            "schema",
            "shared",
            "ui",
            "web"
        ]
    );
}

#[test]
fn kinds_come_with_evidence() {
    let plan = shop_plan();
    let kind = |n: &str| plan.component(n).unwrap().kind.map(|k| k.as_str());
    assert_eq!(kind("api"), Some("api"));
    assert_eq!(kind("web"), Some("api"));
    // A Celery task in the code, but the Kubernetes CronJob that runs it says cron.
    assert_eq!(kind("archive"), Some("cron"));
    assert_eq!(kind("reporting"), Some("cron"));
    assert_eq!(kind("shared"), Some("library"));
    assert_eq!(kind("ui"), Some("library"));
    assert_eq!(kind("notify"), Some("cli"));
    assert_eq!(kind("schema"), Some("schema"));
    let reporting = plan.component("reporting").unwrap();
    assert!(
        reporting
            .evidence
            .iter()
            .any(|e| e.file == "deploy/crontab" && e.line == 2)
    );
    let archive = plan.component("archive").unwrap();
    assert!(
        archive
            .evidence
            .iter()
            .any(|e| e.file == "deploy/k8s/archive-cronjob.yaml"
                && e.what.starts_with("Kubernetes CronJob"))
    );
    // The Deployment document in the same file names `api` but is not a schedule.
    assert!(
        !plan
            .component("api")
            .unwrap()
            .evidence
            .iter()
            .any(|e| e.file.starts_with("deploy/"))
    );
}

#[test]
fn codeowners_github_syntax_from_hidden_dir() {
    let plan = shop_plan();
    let owners = |n: &str| plan.component(n).unwrap().owners.join(" ");
    assert_eq!(owners("api"), "@shop/api");
    assert_eq!(owners("billing"), "@shop/payments");
    assert_eq!(owners("ui"), "@shop/frontend @shop/platform");
    assert_eq!(owners("shared"), "@shop/platform");
    assert_eq!(owners("schema"), "@shop/dba");
}

#[test]
fn codeowners_gitlab_syntax() {
    let mut input = shop_input();
    input.texts.remove(".github/CODEOWNERS");
    input.files.retain(|f| f != ".github/CODEOWNERS");
    input.files.push(".gitlab/CODEOWNERS".into());
    input.files.sort();
    input.texts.insert(
        ".gitlab/CODEOWNERS".into(),
        "[Services] @shop/backend\nservices/\nservices/web/ @shop/web\n^[Database] @shop/dba\n*.sql\n".into(),
    );
    let plan = plan::build(&input, SHOP).unwrap();
    let owners = |n: &str| plan.component(n).unwrap().owners.join(" ");
    assert_eq!(owners("api"), "@shop/backend");
    assert_eq!(owners("web"), "@shop/web");
    assert_eq!(owners("schema"), "@shop/dba");
    assert_eq!(owners("ui"), "");
}

#[test]
fn preconditions_state_data_edges() {
    let plan = shop_plan();
    let texts: Vec<String> = plan.preconditions.iter().map(|p| p.text()).collect();
    assert!(texts.contains(
        &"reporting may switch its reads of orders_legacy to orders only once api, archive, billing and shared dual-write it".to_string()
    ), "{texts:#?}");
    assert!(texts.contains(
        &"reporting may switch its reads of payments_legacy to payments only once billing dual-writes it".to_string()
    ));
    assert!(texts.contains(
        &"api may switch its reads of orders_legacy to orders only once it, archive, billing and shared dual-write it".to_string()
    ));
}

#[test]
fn runtime_evidence_extension_point_counts_as_usage() {
    let mut input = shop_input();
    input.runtime.push(RuntimeAccess {
        component: "notify".into(),
        table: "orders_legacy".into(),
        access: Access::Write,
        operation: Operation::Update,
        count: 7,
    });
    let plan = plan::build(&input, SHOP).unwrap();
    let notify = plan.component("notify").unwrap();
    assert_eq!(notify.usage["orders_legacy"].writes, 7);
    assert!(
        notify
            .reason
            .starts_with("writes orders_legacy in 7 places; a cli writer")
    );
}

#[test]
fn json_output() {
    let plan = shop_plan();
    let text = render(&plan, cutover::report::plan::write_json);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["waves"][0], serde_json::json!(["schema"]));
    assert_eq!(value["waves"].as_array().unwrap().len(), 7);
    insta::assert_json_snapshot!("plan_shop_json", value);
}

#[test]
fn dot_output() {
    let plan = shop_plan();
    let text = render(&plan, cutover::report::dot::write);
    assert!(text.starts_with("digraph plan {") && text.ends_with("}\n"));
    assert_eq!(text.matches("subgraph cluster_wave_").count(), 7);
    // Graphviz itself, where installed (CI images may lack it; the snapshot still applies).
    if let Ok(mut child) = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
    }
    insta::assert_snapshot!("plan_shop_dot", text);
}

#[test]
fn mermaid_output() {
    let plan = shop_plan();
    let text = render(&plan, cutover::report::mermaid::write);
    assert!(text.starts_with("flowchart LR\n"));
    assert_eq!(text.matches("\n  subgraph ").count(), 7);
    assert_eq!(text.matches("\n  end\n").count(), 7);
    // Every edge joins declared nodes.
    let declared: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().split_once('[').map(|(id, _)| id))
        .filter(|id| !id.contains(' '))
        .collect();
    for line in text
        .lines()
        .filter(|l| l.contains("-->") || l.contains("==>") || l.contains("-.->"))
    {
        let mut words = line.split_whitespace();
        let from = words.next().unwrap();
        let to = words.last().unwrap();
        assert!(declared.contains(&from) && declared.contains(&to), "{line}");
    }
    insta::assert_snapshot!("plan_shop_mermaid", text);
}

#[test]
fn cli_plan_is_deterministic() {
    let run = |threads: &str| {
        let out = assert_cmd::Command::cargo_bin("cutover")
            .unwrap()
            .args(["plan", SHOP, "--format", "json", "--threads", threads])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("4"));
    let value: serde_json::Value = serde_json::from_slice(&one).unwrap();
    let mut placed: Vec<String> = value["waves"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| {
            w.as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
        })
        .collect();
    placed.extend(
        value["unaffected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string()),
    );
    placed.sort();
    let mut names: Vec<String> = value["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        placed, names,
        "every component is in exactly one wave, or set apart"
    );
}

#[test]
fn cli_unknown_declared_kind_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\n[[components]]\nname = \"api\"\npaths = [\"api\"]\nkind = \"daemon\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("api")).unwrap();
    std::fs::write(dir.path().join("api/app.py"), "print('hi')\n").unwrap();
    let out = assert_cmd::Command::cargo_bin("cutover")
        .unwrap()
        .env("RUST_BACKTRACE", "0")
        .args(["plan"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Issue 19: checked when the configuration is read, with its line, for every command.
    assert!(
        stderr.contains("line 6") && stderr.contains("unknown component kind `daemon`"),
        "{stderr}"
    );
}
