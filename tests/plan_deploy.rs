//! `cutover plan` on `fixtures/plan/polyglot` (issue 18): components as they are deployed.
//! The real pipeline runs (scan, then plan); the fixture's `expect:` comments are checked
//! against the scan both ways, so the plan below rests on known findings.
//!
//! Each case of the issue has its assertion: Go `cmd/*` binaries are components of their
//! own and inherit the writes of the package they import; an enterprise Dockerfile that
//! overlays the community API is a writer that moves after it; `scripts/schema/` is the
//! `schema` component and moves first; a Helm chart of another system and a minified vendor
//! file give no component a kind; components that touch nothing are set apart.

use cutover::config::{Config, Overrides};
use cutover::plan::{self, Plan};
use std::collections::BTreeMap;
use std::path::Path;

const POLYGLOT: &str = "fixtures/plan/polyglot";

fn polyglot() -> (Plan, cutover::Inventory) {
    let config = Config::load(Path::new(POLYGLOT), &Overrides::default()).unwrap();
    let wants = cutover::scan::Wants {
        plan_texts: true,
        ..Default::default()
    };
    let inventory = cutover::scan::scan_with(config, POLYGLOT.into(), wants).unwrap();
    let input = plan::input(&inventory);
    (plan::build(&input, POLYGLOT).unwrap(), inventory)
}

/// (file, access) → how many `expect:` comments say so.
fn expected() -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for entry in walk(Path::new(POLYGLOT)) {
        let rel = entry
            .strip_prefix(POLYGLOT)
            .unwrap()
            .to_str()
            .unwrap()
            .trim_start_matches('/')
            .to_string();
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        for line in text.lines() {
            if let Some((_, rest)) = line.split_once("expect: ") {
                let access = rest.split_whitespace().next().unwrap().to_string();
                *out.entry((rel.clone(), access)).or_default() += 1;
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_fixture_findings_are_its_expect_comments() {
    let (_, inventory) = polyglot();
    let mut found: BTreeMap<(String, String), usize> = BTreeMap::new();
    for f in &inventory.scan.findings {
        *found
            .entry((f.file.clone(), f.access.as_str().to_string()))
            .or_default() += 1;
    }
    assert_eq!(found, expected());
}

#[test]
fn components_as_they_are_deployed() {
    let (plan, _) = polyglot();
    let waves: Vec<Vec<&str>> = plan
        .waves
        .iter()
        .map(|w| w.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        waves,
        vec![
            vec!["schema"],
            vec!["backend"],
            vec!["functions"],
            vec!["reconcile"],
            vec!["api"],
            vec!["enterprise"],
            vec!["ingest"],
        ]
    );
    let c = |n: &str| plan.component(n).unwrap();
    let kind = |n: &str| c(n).kind.map(|k| k.as_str());

    // Schema and upgrade scripts are one component, first.
    assert_eq!(c("schema").dir, "scripts/schema");
    assert_eq!(kind("schema"), Some("schema"));

    // Each `cmd/<name>` is a component; those importing the writer package are writers and
    // move after it; the one importing only the mail package touches nothing.
    assert_eq!(c("ingest").origin, "Go main package in backend/cmd/ingest/");
    for binary in ["ingest", "reconcile"] {
        assert_eq!(c(binary).through, vec!["backend"], "{binary}");
        assert_eq!(c(binary).inherited["orders_legacy"].writes, 1, "{binary}");
        assert!(c(binary).wave > c("backend").wave, "{binary}");
    }
    assert_eq!(kind("reconcile"), Some("cron"));
    assert_eq!(kind("backend"), Some("library"));

    // The enterprise edition copies the community API into its image: it runs the same
    // writer, so it is a writer, after the API.
    assert_eq!(c("enterprise").through, vec!["api"]);
    assert!(
        c("enterprise")
            .reason
            .contains("through api: writes orders_legacy")
    );
    assert!(c("enterprise").reason.ends_with("after api (builds it)"));

    // Components that touch nothing are set apart, not in the waves.
    assert_eq!(plan.unaffected, vec!["backup", "deploy", "notifier", "web"]);
    // Another system's Helm chart does not make tools/backup a cron job, and a minified
    // vendor file does not make the front end a worker.
    assert_eq!(kind("backup"), Some("cli"));
    assert_eq!(kind("web"), None);
    let helm = plan
        .deployables
        .iter()
        .find(|d| d.file.contains("helm"))
        .unwrap();
    assert_eq!(helm.component, None);
    assert!(helm.matched.contains("Helm chart redis"));
    // What the replacement must copy, from scripts/schema/, and the backfill between
    // dual-write and shadow reads.
    let copies: Vec<String> = plan
        .copies
        .iter()
        .map(|c| format!("{} {}", c.what.as_str(), c.detail))
        .collect();
    for want in [
        "type enum, created at scripts/schema/001_orders_legacy.sql:1",
        "sequence column default nextval, created at scripts/schema/001_orders_legacy.sql:3",
        "foreign key -> customers (id) ON DELETE CASCADE",
        "foreign key to it shipments (order_id) -> orders_legacy (id) ON DELETE RESTRICT",
        "trigger BEFORE INSERT OR UPDATE",
    ] {
        assert!(copies.iter().any(|c| c == want), "{want}: {copies:#?}");
    }
    let steps: Vec<&str> = plan.steps[0].steps.iter().map(|s| s.name).collect();
    assert_eq!(
        steps,
        vec![
            "prepare",
            "dual-write",
            "backfill",
            "shadow reads",
            "cutover",
            "cleanup"
        ]
    );
    assert!(
        plan.steps[0].steps[1].current,
        "cutover.toml says dual-write"
    );
    // Every kind says how sure it is and why.
    assert!(
        plan.components
            .iter()
            .all(|c| c.kind.is_none() || c.confidence.is_some())
    );

    let mut out = Vec::new();
    cutover::report::plan::write_text(&plan, cutover::report::style::Style::PLAIN, &mut out)
        .unwrap();
    insta::assert_snapshot!("plan_polyglot_text", String::from_utf8(out).unwrap());
}

fn finding(file: &str, line: u32, access: cutover::model::Access) -> cutover::model::Finding {
    use cutover::model::*;
    Finding {
        table: "orders_legacy".into(),
        access,
        operation: match access {
            Access::Ddl => Operation::Create,
            Access::Write => Operation::Update,
            _ => Operation::Select,
        },
        file: file.into(),
        line,
        column: 1,
        language: Language::Python,
        kind: Kind::RawSql,
        function: None,
        confidence: Confidence::Parsed,
        evidence: String::new(),
        sink: None,
        framework: None,
        via: Vec::new(),
        reason: None,
    }
}

/// Django and Alembic migrations import the application's models: the schema still moves
/// first, and does not become a writer through them (seen on a real Django project).
#[test]
fn migrations_importing_the_models_stay_first() {
    use cutover::model::Access;
    let files = [
        "shop/requirements.txt",
        "shop/orders/models.py",
        "shop/orders/migrations/0001_initial.py",
    ];
    let texts = [
        ("shop/orders/models.py", "def ship(cur):\n    pass\n"),
        (
            "shop/orders/migrations/0001_initial.py",
            "from orders import models\n\nOPS = []\n",
        ),
    ];
    let input = plan::PlanInput {
        files: files.iter().map(|s| s.to_string()).collect(),
        texts: texts
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
        findings: vec![
            finding("shop/orders/models.py", 2, Access::Write),
            finding("shop/orders/migrations/0001_initial.py", 3, Access::Ddl),
        ],
        tables: vec![plan::TableInfo {
            name: "orders_legacy".into(),
            replacements: vec!["orders".into()],
            phase: cutover::config::Phase::DualWrite,
        }],
        ..Default::default()
    };
    let plan = plan::build(&input, ".").unwrap();
    assert_eq!(plan.waves, vec![vec!["schema"], vec!["shop"]]);
    assert!(plan.component("schema").unwrap().through.is_empty());
    assert!(
        plan.imports
            .iter()
            .any(|l| l.from == "schema" && l.to == "shop")
    );
}
