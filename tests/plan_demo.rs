//! `cutover plan` on the bundled demo monorepo `fixtures/demo` (issue 6). The layout, kinds,
//! owners and imports come from the demo's files; the findings are what a complete scan of
//! the demo reports (built here from the SQL at these lines, so the order is pinned while
//! the extractors evolve). The CLI test runs the real pipeline end to end.

use cutover::config::{Config, Overrides};
use cutover::model::{Access, Confidence, Finding, Kind, Language, Operation};
use cutover::plan::{self, Plan};
use std::path::Path;

const DEMO: &str = "fixtures/demo";

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

fn demo_findings() -> Vec<Finding> {
    use Access::*;
    use Operation::*;
    const O: &str = "orders_legacy";
    const I: &str = "order_items_legacy";
    vec![
        finding(
            "db/migrations/0001_create_orders_legacy.sql",
            2,
            O,
            Ddl,
            Create,
        ),
        finding(
            "db/migrations/0001_create_orders_legacy.sql",
            12,
            I,
            Ddl,
            Create,
        ),
        finding(
            "db/migrations/0001_create_orders_legacy.sql",
            19,
            O,
            Ddl,
            Create,
        ),
        finding(
            "db/migrations/0002_orders_status_check.sql",
            1,
            O,
            Ddl,
            Alter,
        ),
        finding(
            "db/migrations/0002_orders_status_check.sql",
            5,
            O,
            Ddl,
            Comment,
        ),
        finding("db/migrations/0003_create_orders.sql", 13, O, Read, Select),
        finding("db/triggers/orders_audit.sql", 15, I, Write, Delete),
        finding("db/triggers/orders_audit.sql", 21, O, Ddl, Create),
        finding("db/views/order_summary.sql", 1, O, Read, Select),
        finding(
            "jobs/fulfillment-worker/fulfillment/tasks.py",
            18,
            O,
            Write,
            Update,
        ),
        finding(
            "jobs/fulfillment-worker/fulfillment/tasks.py",
            24,
            I,
            Read,
            Select,
        ),
        finding("jobs/nightly-cleanup/cleanup.py", 9, I, Write, Delete),
        finding("jobs/nightly-cleanup/cleanup.py", 10, O, Read, Select),
        finding("jobs/nightly-cleanup/cleanup.py", 11, O, Write, Delete),
        finding("packages/order-events/src/index.ts", 7, O, Read, Select),
        finding("services/api/orders.go", 17, O, Read, Select),
        finding("services/api/orders.go", 40, I, Read, Select),
        finding("services/api/orders.go", 51, O, Write, Update),
        finding("services/api/orders.go", 63, O, Read, Select),
        finding("services/billing/billing/app.py", 29, O, Write, Delete),
        finding("services/billing/billing/repository.py", 8, O, Read, Select),
        finding(
            "services/billing/billing/repository.py",
            21,
            O,
            Write,
            Insert,
        ),
        finding(
            "services/billing/billing/repository.py",
            34,
            O,
            Write,
            Update,
        ),
        finding(
            "services/billing/billing/repository.py",
            49,
            I,
            Write,
            Insert,
        ),
        finding(
            "services/billing/billing/repository.py",
            53,
            I,
            Write,
            Insert,
        ),
        finding("services/reporting/reporting/daily.py", 9, O, Read, Select),
        finding("services/reporting/reporting/daily.py", 26, I, Read, Select),
        finding("services/reporting/reporting/daily.py", 26, O, Read, Select),
        finding(
            "services/storefront/src/orders.service.ts",
            16,
            O,
            Read,
            Select,
        ),
        finding(
            "services/storefront/src/orders.service.ts",
            24,
            I,
            Read,
            Select,
        ),
        finding(
            "services/storefront/src/orders.service.ts",
            24,
            O,
            Read,
            Select,
        ),
        finding(
            "services/storefront/src/orders.service.ts",
            40,
            O,
            Write,
            Insert,
        ),
        finding(
            "services/storefront/src/orders.service.ts",
            50,
            I,
            Write,
            Insert,
        ),
    ]
}

fn demo_plan() -> Plan {
    let config = Config::load(Path::new(DEMO), &Overrides::default()).unwrap();
    let wants = cutover::scan::Wants {
        plan_texts: true,
        ..Default::default()
    };
    let inventory = cutover::scan::scan_with(config, DEMO.into(), wants).unwrap();
    let mut input = plan::input(&inventory);
    input.findings = demo_findings();
    plan::build(&input, DEMO).unwrap()
}

#[test]
fn demo_order_is_what_a_careful_engineer_would_do() {
    let plan = demo_plan();
    let waves: Vec<Vec<&str>> = plan
        .waves
        .iter()
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["schema"],
            vec!["order-events", "reporting"],
            vec!["fulfillment-worker"],
            vec!["nightly-cleanup"],
            vec!["api"],
            vec!["storefront"],
            vec!["billing"],
        ]
    );
    let reason = |n: &str| plan.component(n).unwrap().reason.clone();
    assert_eq!(
        reason("reporting"),
        "reads order_items_legacy in 1 place and orders_legacy in 2 places, writes nothing"
    );
    assert_eq!(
        reason("order-events"),
        "reads orders_legacy in 1 place, writes nothing"
    );
    assert!(reason("storefront").ends_with("; after order-events (imports it)"));
    assert!(reason("billing").starts_with(
        "entry point: writes order_items_legacy in 2 places and orders_legacy in 3 places"
    ));
    let kind = |n: &str| plan.component(n).unwrap().kind.map(|k| k.as_str());
    assert_eq!(kind("api"), Some("api"));
    assert_eq!(kind("billing"), Some("api"));
    assert_eq!(kind("storefront"), Some("api"));
    assert_eq!(kind("fulfillment-worker"), Some("worker"));
    assert_eq!(kind("nightly-cleanup"), Some("cron"));
    assert_eq!(kind("order-events"), Some("library"));
    assert_eq!(kind("schema"), Some("schema"));
    assert_eq!(plan.component("schema").unwrap().dir, "db");
    // The deploy directory touches no table: listed apart, in no wave.
    assert_eq!(plan.unaffected, vec!["deploy"]);
    assert_eq!(
        kind("reporting"),
        None,
        "no entry point and nothing imports it"
    );
    assert_eq!(
        plan.component("billing").unwrap().owners,
        vec!["@acme/billing"]
    );
    assert_eq!(plan.component("billing").unwrap().dir, "services/billing");
    assert!(plan.cycles.is_empty());
    let texts: Vec<String> = plan.preconditions.iter().map(|p| p.text()).collect();
    assert!(texts.contains(
        &"reporting may switch its reads of orders_legacy to orders only once api, billing, fulfillment-worker, nightly-cleanup and storefront dual-write it".to_string()
    ), "{texts:#?}");
    let mut out = Vec::new();
    cutover::report::plan::write_text(&plan, cutover::report::style::Style::PLAIN, &mut out)
        .unwrap();
    insta::assert_snapshot!("plan_demo_text", String::from_utf8(out).unwrap());
}

#[test]
fn cli_plan_on_the_demo_places_every_component_once() {
    for format in ["text", "json", "dot", "mermaid"] {
        let out = assert_cmd::Command::cargo_bin("cutover")
            .unwrap()
            .args(["plan", DEMO, "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
        if format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let placed: usize = v["waves"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_array().unwrap().len())
                .sum::<usize>()
                + v["unaffected"].as_array().unwrap().len();
            assert_eq!(placed, v["components"].as_array().unwrap().len());
            assert_eq!(v["components"].as_array().unwrap().len(), 9);
        }
    }
}

/// The plan `docs/plan.md` shows between its markers is what `cutover plan fixtures/demo`
/// prints, from the real scan. `CUTOVER_UPDATE_DOCS=1 cargo test --test plan_demo` (or
/// `INSTA_UPDATE=always`) rewrites it; otherwise a difference fails.
#[test]
fn docs_show_the_demo_plan_as_printed() {
    let config = Config::load(Path::new(DEMO), &Overrides::default()).unwrap();
    let wants = cutover::scan::Wants {
        plan_texts: true,
        ..Default::default()
    };
    let inventory = cutover::scan::scan_with(config, DEMO.into(), wants).unwrap();
    let plan = plan::build(&plan::input(&inventory), DEMO).unwrap();
    let mut out = Vec::new();
    cutover::report::plan::write_text(&plan, cutover::report::style::Style::PLAIN, &mut out)
        .unwrap();
    let block = format!(
        "```\n$ cutover plan {DEMO}\n{}```\n",
        String::from_utf8(out).unwrap()
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/plan.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- plan:begin -->\n", "<!-- plan:end -->");
    let start = doc
        .find(begin)
        .expect("docs/plan.md has <!-- plan:begin -->")
        + begin.len();
    let stop = doc.find(end).expect("docs/plan.md has <!-- plan:end -->");
    if doc[start..stop] == block {
        return;
    }
    let update = std::env::var("CUTOVER_UPDATE_DOCS").is_ok_and(|v| v == "1")
        || std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always");
    if update {
        std::fs::write(&path, format!("{}{block}{}", &doc[..start], &doc[stop..])).unwrap();
    } else {
        panic!(
            "docs/plan.md's demo plan is out of date; run `CUTOVER_UPDATE_DOCS=1 cargo test --test plan_demo` and review the diff"
        );
    }
}
