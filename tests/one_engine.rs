//! One engine, run once: every command sees the same findings (issue 15). The demo and each
//! ORM fixture are committed to a fresh repository; `inventory`, `burndown` at HEAD,
//! `audit --record`, the report's table cards and its burndown section must give the same
//! counts per table and access.

use clap::Parser;
use git2::{IndexAddOption, Repository, Signature, Time};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// (table, access) → references.
type Counts = BTreeMap<(String, String), u64>;

const FIXTURES: &[&str] = &[
    "fixtures/demo",
    "fixtures/orm/django",
    "fixtures/orm/sqlalchemy",
    "fixtures/orm/gorm",
    "fixtures/orm/prisma",
    "fixtures/orm/drizzle",
    "fixtures/orm/knex",
    "fixtures/orm/kysely",
    "fixtures/orm/typeorm",
    "fixtures/orm/sequelize",
];

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Commit the work tree at noon UTC, `days` after 2026-03-01.
fn commit(repo: &Repository, days: i64, message: &str) {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], IndexAddOption::DEFAULT | IndexAddOption::FORCE, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let when = 1_772_366_400 + days * 86_400;
    let sig = Signature::new("Dev", "dev@example.com", &Time::new(when, 0)).unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap();
}

/// A repository holding `fixture`: a first commit with its configuration only, a week
/// later the whole fixture (so the report has two samples to draw).
fn committed(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture);
    std::fs::copy(source.join("cutover.toml"), dir.path().join("cutover.toml")).unwrap();
    commit(&repo, 0, "configuration");
    copy_dir(&source, dir.path());
    commit(&repo, 7, "the code");
    dir
}

/// Run `cutover COMMAND ROOT ARGS…` in this process; its standard output.
fn cutover(root: &Path, args: &[&str]) -> String {
    let root = root.to_str().unwrap();
    let mut argv = vec!["cutover", args[0], root];
    argv.extend(&args[1..]);
    let cli = cutover::cli::Cli::parse_from(&argv);
    let mut out = Vec::new();
    cutover::run(cli, &mut out).unwrap_or_else(|e| panic!("cutover {argv:?}: {e:#}"));
    String::from_utf8(out).unwrap()
}

fn inventory_counts(root: &Path) -> Counts {
    let doc: Value =
        serde_json::from_str(&cutover(root, &["inventory", "--format", "json"])).unwrap();
    let mut counts = Counts::new();
    for f in doc["findings"].as_array().unwrap() {
        let key = (
            f["table"].as_str().unwrap().to_string(),
            f["access"].as_str().unwrap().to_string(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn recorded_counts(root: &Path) -> Counts {
    let record = root.join("history.jsonl");
    let baseline = root.join("baseline.json");
    cutover(
        root,
        &[
            "audit",
            "--baseline",
            baseline.to_str().unwrap(),
            "--update-baseline",
            "--allow-new",
            "--record",
            record.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(root.join("history.jsonl")).unwrap();
    let record: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let mut counts = Counts::new();
    for (table, per_access) in record["counts"].as_object().unwrap() {
        for (access, n) in per_access.as_object().unwrap() {
            let n = n.as_u64().unwrap();
            if n > 0 {
                counts.insert((table.clone(), access.clone()), n);
            }
        }
    }
    counts
}

/// The last sample of a burndown by `by` (table or access): series → count.
fn burndown_last(root: &Path, by: &str) -> BTreeMap<String, u64> {
    let text = cutover(root, &["burndown", "--by", by, "--format", "json"]);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let last = doc["samples"].as_array().unwrap().last().unwrap().clone();
    last["counts"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn marginal(counts: &Counts, by_table: bool) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for ((table, access), n) in counts {
        let key = if by_table { table } else { access };
        *out.entry(key.clone()).or_default() += n;
    }
    out.retain(|_, n| *n > 0);
    out
}

/// Cells of the Markdown table row that starts with `` | `name` `` (the report's cards)
/// or the last row of the table under `## Burndown`.
fn report_cells(md: &str, start: &str) -> Vec<String> {
    md.lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no row {start} in:\n{md}"))
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

fn burndown_section_last(md: &str) -> BTreeMap<String, u64> {
    let section = md.split("## Burndown").nth(1).expect("a burndown section");
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with('|')).collect();
    let header: Vec<String> = rows[0]
        .split('|')
        .map(|c| c.trim().to_lowercase())
        .collect();
    let last: Vec<&str> = rows.last().unwrap().split('|').map(str::trim).collect();
    header
        .iter()
        .zip(last)
        .filter_map(|(h, v)| Some((h.clone(), v.parse::<u64>().ok()?)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn every_command_counts_the_same_references() {
    std::thread::scope(|s| {
        for fixture in FIXTURES {
            s.spawn(|| same_counts_everywhere(fixture));
        }
    });
}

fn same_counts_everywhere(fixture: &str) {
    {
        let repo = committed(fixture);
        let root = repo.path();
        let inventory = inventory_counts(root);
        assert!(!inventory.is_empty(), "{fixture}: nothing found");

        assert_eq!(
            recorded_counts(root),
            inventory,
            "{fixture}: audit --record"
        );
        assert_eq!(
            burndown_last(root, "table"),
            marginal(&inventory, true),
            "{fixture}: burndown --by table at HEAD"
        );
        assert_eq!(
            burndown_last(root, "access"),
            marginal(&inventory, false),
            "{fixture}: burndown --by access at HEAD"
        );

        let md = cutover(root, &["report", "--format", "md"]);
        for table in marginal(&inventory, true).keys() {
            let cells = report_cells(&md, &format!("| `{table}` |"));
            let get = |access: &str| {
                inventory
                    .get(&(table.clone(), access.to_string()))
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            };
            // | table | phase | replaced by | writers | components | readers | schema | …
            assert_eq!(
                cells[4],
                get("write"),
                "{fixture}: report writers of {table}"
            );
            assert_eq!(
                cells[6],
                get("read"),
                "{fixture}: report readers of {table}"
            );
        }
        let drawn = burndown_section_last(&md);
        let by_access = marginal(&inventory, false);
        for (access, n) in &by_access {
            let label = match access.as_str() {
                "write" => "writers",
                "read" => "readers",
                "ddl" => "schema changes",
                other => other,
            };
            assert_eq!(
                drawn.get(label),
                Some(n),
                "{fixture}: report burndown {access}: {drawn:?}"
            );
        }
    }
}
