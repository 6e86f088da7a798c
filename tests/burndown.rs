//! `cutover burndown` over a temporary git repository with a known, dated history: exact
//! counts per period, cache behaviour (in memory and on disk), the untouched working tree,
//! the SVG chart, and recorded histories (`--from`).
//!
//! Each `.sql` file holds one statement naming one table, so the counts per table do not
//! depend on how the SQL classifier splits statements or which access it assigns.

use assert_cmd::Command;
use chrono::{DateTime, TimeZone, Utc};
use cutover::burndown::{
    self, By, DiskCacheMode, Every, GitOptions, Projection, WalkStats, history::Range,
};
use cutover::config::{Config, Overrides};
use git2::{IndexAddOption, Repository, Signature, Time};
use indicatif::ProgressBar;
use std::path::{Path, PathBuf};

const CONFIG: &str = r#"
[[tables]]
name = "orders_legacy"
[[tables]]
name = "payments_old"
[scan]
exclude = ["vendor/**"]
max_file_size = "1KB"
"#;

/// A repository in a temporary directory, committed to with explicit dates.
struct History {
    dir: tempfile::TempDir,
    repo: Repository,
}

impl History {
    fn new() -> History {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        History { dir, repo }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    /// Commit the whole work tree at noon UTC of `day` (`YYYY-MM-DD`).
    fn commit(&self, day: &str, message: &str) -> git2::Oid {
        let date = at(day);
        let mut index = self.repo.index().unwrap();
        index
            .add_all(["*"], IndexAddOption::DEFAULT | IndexAddOption::FORCE, None)
            .unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig =
            Signature::new("Dev", "dev@example.com", &Time::new(date.timestamp(), 0)).unwrap();
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    }
}

fn at(day: &str) -> DateTime<Utc> {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
}

/// Five commits over January and February 2026 (see the counts in `per_commit`).
fn orders_history() -> History {
    let h = History::new();
    h.write("cutover.toml", CONFIG);
    h.write(
        "db/001_create.sql",
        "CREATE TABLE orders_legacy (id int);\n",
    );
    h.write(
        "api/orders.sql",
        "INSERT INTO orders_legacy (id) VALUES (1);\n",
    );
    h.write("api/payments.sql", "SELECT amount FROM payments_old;\n");
    h.write("worker/settle.sql", "UPDATE orders_legacy SET id = 2;\n");
    // Never counted: excluded, hidden, too large (reported), not a source file.
    h.write("vendor/lib.sql", "SELECT * FROM orders_legacy;\n");
    h.write(".github/check.sql", "SELECT * FROM orders_legacy;\n");
    h.write(
        "db/dump.sql",
        &format!("SELECT * FROM orders_legacy;\n-- {}\n", "x".repeat(1100)),
    );
    h.write("README.md", "orders_legacy is going away\n");
    h.commit("2026-01-05", "c1: orders 3, payments 1"); // Monday
    h.write(
        "worker/refund.sql",
        "DELETE FROM payments_old WHERE id = 1;\n",
    );
    h.commit("2026-01-07", "c2: orders 3, payments 2"); // same week
    h.remove("api/orders.sql");
    h.commit("2026-01-14", "c3: orders 2, payments 2");
    h.write("worker/settle.sql", "UPDATE orders SET id = 2;\n");
    h.commit("2026-02-02", "c4: orders 1, payments 2");
    h.remove("api/payments.sql");
    h.remove("worker/refund.sql");
    h.commit("2026-02-03", "c5: orders 1, payments 0");
    h
}

fn config(root: &Path) -> Config {
    Config::load(root, &Overrides::default()).unwrap()
}

fn options(every: Every, by: By) -> GitOptions {
    GitOptions {
        root_display: ".".into(),
        rev: "HEAD".into(),
        range: Range::default(),
        every,
        by,
        cache: DiskCacheMode::Off,
        naive: false,
    }
}

fn walk(root: &Path, opts: &GitOptions) -> burndown::Burndown {
    burndown::from_git(&config(root), opts, ProgressBar::hidden()).unwrap()
}

/// (day, orders_legacy, payments_old) per sample.
fn rows(b: &burndown::Burndown) -> Vec<(String, u64, u64)> {
    b.samples
        .iter()
        .map(|s| {
            (
                s.date.format("%Y-%m-%d").to_string(),
                s.counts["orders_legacy"],
                s.counts["payments_old"],
            )
        })
        .collect()
}

fn r(day: &str, orders: u64, payments: u64) -> (String, u64, u64) {
    (day.to_string(), orders, payments)
}

#[test]
fn counts_per_commit() {
    let h = orders_history();
    let b = walk(h.path(), &options(Every::Commit, By::Table));
    assert_eq!(b.series, vec!["orders_legacy", "payments_old"]);
    assert_eq!(
        rows(&b),
        vec![
            r("2026-01-05", 3, 1),
            r("2026-01-07", 3, 2),
            r("2026-01-14", 2, 2),
            r("2026-02-02", 1, 2),
            r("2026-02-03", 1, 0),
        ]
    );
    let head = h
        .repo
        .head()
        .unwrap()
        .peel_to_commit()
        .unwrap()
        .id()
        .to_string();
    assert_eq!(
        b.samples.last().unwrap().commit.as_deref(),
        Some(head.as_str())
    );
    // The oversized file is reported (in the last sample), not counted and not dropped.
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    assert_eq!(b.problems[0].file, "db/dump.sql");
    assert_eq!(b.problems[0].reason.as_str(), "too_large");
    assert!(
        matches!(b.projection, Projection::Finish { .. }),
        "{:?}",
        b.projection
    );
}

#[test]
fn counts_per_week_and_month_keep_the_last_commit_of_each_period() {
    let h = orders_history();
    let week = walk(h.path(), &options(Every::Week, By::Table));
    assert_eq!(
        rows(&week),
        vec![
            r("2026-01-07", 3, 2),
            r("2026-01-14", 2, 2),
            r("2026-02-03", 1, 0)
        ]
    );
    let month = walk(h.path(), &options(Every::Month, By::Table));
    assert_eq!(
        rows(&month),
        vec![r("2026-01-14", 2, 2), r("2026-02-03", 1, 0)]
    );
    let day = walk(h.path(), &options(Every::Day, By::Table));
    assert_eq!(day.samples.len(), 5);
    let stats = week.stats.unwrap();
    assert_eq!((stats.commits_walked, stats.commits_sampled), (5, 3));
}

#[test]
fn since_and_last_commits_cut_the_range() {
    let h = orders_history();
    let mut opts = options(Every::Commit, By::Table);
    opts.range.last = Some(2);
    assert_eq!(
        rows(&walk(h.path(), &opts)),
        vec![r("2026-02-02", 1, 2), r("2026-02-03", 1, 0)]
    );
    opts.range = Range {
        since: chrono::NaiveDate::from_ymd_opt(2026, 1, 10),
        last: None,
    };
    assert_eq!(
        rows(&walk(h.path(), &opts)),
        vec![
            r("2026-01-14", 2, 2),
            r("2026-02-02", 1, 2),
            r("2026-02-03", 1, 0)
        ]
    );
    opts.rev = "HEAD~3".into();
    opts.range = Range::default();
    assert_eq!(
        rows(&walk(h.path(), &opts)),
        vec![r("2026-01-05", 3, 1), r("2026-01-07", 3, 2)]
    );
}

#[test]
fn by_component_and_by_access() {
    let h = orders_history();
    // `plan`'s detection: `db/` is the schema component; `api/` and `worker/` have no
    // manifest, so their files belong to the root component.
    let b = walk(h.path(), &options(Every::Commit, By::Component));
    assert_eq!(b.series, vec!["(root)", "schema"]);
    let per_sample: Vec<(u64, u64)> = b
        .samples
        .iter()
        .map(|s| (s.counts["(root)"], s.counts["schema"]))
        .collect();
    assert_eq!(per_sample, vec![(3, 1), (4, 1), (3, 1), (2, 1), (0, 1)]);
    // A manifest added in the last commit makes `worker/` a component for all of history.
    h.write("worker/requirements.txt", "psycopg\n");
    h.commit("2026-02-04", "worker becomes a Python service");
    let b = walk(h.path(), &options(Every::Commit, By::Component));
    assert_eq!(b.series, vec!["(root)", "schema", "worker"]);
    let first = &b.samples[0].counts;
    assert_eq!(
        (first["(root)"], first["schema"], first["worker"]),
        (2, 1, 1)
    );
    let by_access = walk(h.path(), &options(Every::Commit, By::Access));
    assert_eq!(by_access.series, vec!["write", "read", "ddl"]);
    let totals: Vec<u64> = by_access.samples.iter().map(|s| s.total()).collect();
    assert_eq!(totals, vec![4, 5, 4, 3, 1, 1]);
    // c1: CREATE TABLE (ddl), INSERT and UPDATE (writes), SELECT (read).
    let first = &by_access.samples[0].counts;
    assert_eq!((first["write"], first["read"], first["ddl"]), (2, 1, 1));
}

#[test]
fn a_subdirectory_counts_only_its_files() {
    let h = orders_history();
    let worker = h.path().join("worker");
    let b = walk(&worker, &options(Every::Commit, By::Table));
    assert_eq!(
        rows(&b),
        vec![
            r("2026-01-05", 1, 0),
            r("2026-01-07", 1, 1),
            r("2026-01-14", 1, 1),
            r("2026-02-02", 0, 1),
            r("2026-02-03", 0, 0),
        ]
    );
    assert!(b.problems.is_empty(), "db/dump.sql is outside worker/");
}

#[test]
fn each_blob_is_scanned_once_and_naive_mode_rescans() {
    let h = orders_history();
    let cached = walk(h.path(), &options(Every::Commit, By::Table));
    // 7 distinct source blobs (6 statements + the oversized dump); 5 + 6 + 5 + 5 + 3 files
    // over the five commits (vendor/ and .github/ are not seen).
    assert_eq!(
        cached.stats.clone().unwrap(),
        WalkStats {
            commits_walked: 5,
            commits_sampled: 5,
            files_seen: 24,
            blobs_scanned: 7,
            blobs_from_disk_cache: 0,
            blobs_reused: 17,
            trees_read: cached.stats.as_ref().unwrap().trees_read,
            blobs_rescanned: 0,
        }
    );
    let mut opts = options(Every::Commit, By::Table);
    opts.naive = true;
    let naive = walk(h.path(), &opts);
    let stats = naive.stats.clone().unwrap();
    assert_eq!((stats.blobs_scanned, stats.blobs_reused), (24, 0));
    assert_eq!(rows(&naive), rows(&cached));
    assert_eq!(naive.problems, cached.problems);
}

#[test]
fn the_disk_cache_makes_reruns_incremental() {
    let h = orders_history();
    let cache_dir = tempfile::tempdir().unwrap();
    let mut opts = options(Every::Commit, By::Table);
    opts.cache = DiskCacheMode::Dir(cache_dir.path().to_path_buf());
    let first = walk(h.path(), &opts);
    let s = first.stats.clone().unwrap();
    assert_eq!((s.blobs_scanned, s.blobs_from_disk_cache), (7, 0));
    let files: Vec<PathBuf> = std::fs::read_dir(cache_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one cache file, no temporary left: {files:?}"
    );

    let second = walk(h.path(), &opts);
    let s = second.stats.clone().unwrap();
    assert_eq!((s.blobs_scanned, s.blobs_from_disk_cache), (0, 7));
    assert_eq!(s.blobs_reused, 17);
    assert_eq!(rows(&second), rows(&first));
    assert_eq!(
        second.problems, first.problems,
        "problems come back from the cache"
    );

    // One new commit: only its new blob is scanned.
    h.write("api/report.sql", "SELECT count(*) FROM orders_legacy;\n");
    h.commit("2026-02-10", "c6: orders 2");
    let third = walk(h.path(), &opts);
    let s = third.stats.clone().unwrap();
    assert_eq!((s.blobs_scanned, s.blobs_from_disk_cache), (1, 7));
    assert_eq!(rows(&third).last().unwrap(), &r("2026-02-10", 2, 0));

    // Another table list is another configuration: the cache does not answer for it.
    let other = Config::from_file(
        h.path().to_path_buf(),
        None,
        cutover::config::FileConfig::parse(
            "[[tables]]\nname = \"orders_legacy\"\n",
            Path::new("x"),
        )
        .unwrap(),
        &Overrides::default(),
    )
    .unwrap();
    let fourth = burndown::from_git(&other, &opts, ProgressBar::hidden()).unwrap();
    assert_eq!(fourth.stats.unwrap().blobs_from_disk_cache, 0);
}

#[test]
fn the_working_tree_is_never_read_or_changed() {
    let h = orders_history();
    // Uncommitted changes: a new file and an edited one, both naming a legacy table.
    h.write(
        "api/draft.sql",
        "INSERT INTO orders_legacy (id) VALUES (9);\n",
    );
    h.write("db/001_create.sql", "-- nothing\n");
    let before = status(&h.repo);
    let b = walk(h.path(), &options(Every::Commit, By::Table));
    assert_eq!(rows(&b).last().unwrap(), &r("2026-02-03", 1, 0));
    assert_eq!(status(&h.repo), before);
    assert_eq!(
        std::fs::read_to_string(h.path().join("db/001_create.sql")).unwrap(),
        "-- nothing\n"
    );
    assert!(
        !h.path().join(".cutover").exists(),
        "no cache without --cache"
    );
}

fn status(repo: &Repository) -> Vec<(String, git2::Status)> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true);
    let mut out: Vec<(String, git2::Status)> = repo
        .statuses(Some(&mut opts))
        .unwrap()
        .iter()
        .map(|e| (e.path().unwrap_or("?").to_string(), e.status()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every text node of an SVG document, which must be well-formed XML.
fn svg_texts(svg: &str) -> (Vec<String>, usize) {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count();
    (texts, lines)
}

#[test]
fn the_chart_is_well_formed_with_every_series_and_the_projection() {
    let h = orders_history();
    let b = walk(h.path(), &options(Every::Commit, By::Table));
    let svg = cutover::report::svg::render(&b, None).unwrap();
    let (texts, polylines) = svg_texts(&svg);
    for expected in [
        "References to legacy tables by table",
        "orders_legacy",
        "payments_old",
        "total",
        "references",
    ] {
        assert!(
            texts.iter().any(|t| t == expected),
            "{expected} in {texts:?}"
        );
    }
    let projection = b.projection.describe();
    assert!(
        projection.starts_with("projected finish 2026-"),
        "{projection}"
    );
    assert!(texts.contains(&projection), "{projection} in {texts:?}");
    assert!(
        texts
            .iter()
            .filter(|t| t.starts_with("2026-0") && t.len() == 10)
            .count()
            >= 3,
        "dated x axis: {texts:?}"
    );
    // Two series and the total; the projection is dashed (separate segments).
    assert!(polylines >= 3, "{polylines} polylines");
    // Same input, same bytes.
    assert_eq!(svg, cutover::report::svg::render(&b, None).unwrap());
}

#[test]
fn a_rising_history_says_no_progress() {
    let h = History::new();
    h.write("cutover.toml", CONFIG);
    h.write("a.sql", "SELECT 1 FROM orders_legacy;\n");
    h.commit("2026-03-02", "one");
    h.write("b.sql", "SELECT 2 FROM orders_legacy;\n");
    h.commit("2026-03-09", "two");
    let b = walk(h.path(), &options(Every::Week, By::Table));
    assert!(matches!(b.projection, Projection::NoProgress { .. }));
    let svg = cutover::report::svg::render(&b, Some("Orders migration")).unwrap();
    let (texts, _) = svg_texts(&svg);
    assert!(
        texts.iter().any(|t| t == "projection: no progress"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "Orders migration"), "{texts:?}");
}

fn cutover() -> Command {
    let mut cmd = Command::cargo_bin("cutover").unwrap();
    cmd.env("RUST_BACKTRACE", "0");
    cmd
}

#[test]
fn cli_text_and_csv() {
    let h = orders_history();
    let text = cutover()
        .current_dir(h.path())
        .args(["burndown", "--every", "week"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("burndown_text_week", String::from_utf8(text).unwrap());
    let csv = cutover()
        .current_dir(h.path())
        .args(["burndown", "--format", "csv", "--by", "component"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    insta::assert_snapshot!("burndown_csv_component", String::from_utf8(csv).unwrap());
}

#[test]
fn cli_writes_the_svg_and_strict_fails_on_skipped_files() {
    let h = orders_history();
    let out = tempfile::tempdir().unwrap();
    let svg = out.path().join("chart.svg");
    cutover()
        .current_dir(h.path())
        .args(["burndown", "--strict", "--format", "json", "--svg"])
        .arg(&svg)
        .assert()
        .code(3);
    let (texts, _) = svg_texts(&std::fs::read_to_string(&svg).unwrap());
    assert!(texts.iter().any(|t| t == "orders_legacy"));
}

#[test]
fn cli_outside_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cutover.toml"), CONFIG).unwrap();
    cutover()
        .current_dir(dir.path())
        .arg("burndown")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not inside a git repository"));
    let h = orders_history();
    cutover()
        .current_dir(h.path())
        .args(["burndown", "--commits", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--commits needs at least 1"));
    cutover()
        .current_dir(h.path())
        .args(["burndown", "--rev", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "cannot resolve revision `no-such-branch`",
        ));
}

#[test]
fn recorded_history_is_plotted_from_file() {
    use cutover::burndown::record::{Record, append};
    use cutover::model::Access;
    use std::collections::BTreeMap;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".cutover/history.jsonl");
    for (i, (day, writes, reads)) in [
        ("2026-04-01", 6, 4),
        ("2026-04-08", 4, 4),
        ("2026-04-15", 2, 3),
    ]
    .into_iter()
    .enumerate()
    {
        let counts = BTreeMap::from([(
            "orders_legacy".to_string(),
            BTreeMap::from([
                (Access::Write, writes),
                (Access::Read, reads),
                (Access::Ddl, 1),
            ]),
        )]);
        let record = Record {
            commit: Some(format!("c{i}")),
            date: at(day),
            counts,
        };
        append(&file, &record).unwrap();
    }
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"broken\n");
    std::fs::write(&file, text).unwrap();
    let svg = dir.path().join("b.svg");
    let out = cutover()
        .current_dir(dir.path())
        .args([
            "burndown",
            "--from",
            ".cutover/history.jsonl",
            "--by",
            "access",
            "--format",
            "json",
            "--svg",
        ])
        .arg(&svg)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["source"]["kind"], "record");
    let totals: Vec<u64> = doc["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["total"].as_u64().unwrap())
        .collect();
    assert_eq!(totals, vec![11, 9, 6]);
    assert_eq!(doc["samples"][2]["counts"]["write"], 2);
    assert_eq!(doc["projection"]["status"], "finish");
    assert_eq!(doc["problems"][0]["line"], 4);
    let (texts, _) = svg_texts(&std::fs::read_to_string(&svg).unwrap());
    assert!(texts.iter().any(|t| t == "write") && texts.iter().any(|t| t == "ddl"));
    // No components in a recorded history.
    cutover()
        .current_dir(dir.path())
        .args([
            "burndown",
            "--from",
            ".cutover/history.jsonl",
            "--by",
            "component",
        ])
        .assert()
        .code(2);
}

#[test]
fn identical_directories_share_one_scan_but_count_in_each_component() {
    // Without exclude globs a directory's counts do not depend on its path, so `a/` and
    // `b/` (the same tree) are listed and summed once, yet both components count.
    let h = History::new();
    h.write(
        "cutover.toml",
        "[[tables]]\nname = \"orders_legacy\"\n\
         [[components]]\nname = \"alpha\"\npaths = [\"a/**\"]\n\
         [[components]]\nname = \"beta\"\npaths = [\"b/**\"]\n",
    );
    for dir in ["a", "b"] {
        h.write(
            &format!("{dir}/q/one.sql"),
            "SELECT 1 FROM orders_legacy;\n",
        );
        h.write(
            &format!("{dir}/q/two.sql"),
            "SELECT 2 FROM orders_legacy;\n",
        );
    }
    h.write("top.sql", "DELETE FROM orders_legacy;\n");
    h.commit("2026-05-04", "copies");
    let b = walk(h.path(), &options(Every::Commit, By::Component));
    assert_eq!(b.series, vec!["(root)", "alpha", "beta"]);
    let counts = &b.samples[0].counts;
    assert_eq!(
        (counts["(root)"], counts["alpha"], counts["beta"]),
        (1, 2, 2)
    );
    let stats = b.stats.unwrap();
    assert_eq!((stats.files_seen, stats.blobs_scanned), (5, 3));
    // root, a (= b), a/q (= b/q)
    assert_eq!(stats.trees_read, 3);
}

#[test]
fn python_code_counts_by_access_over_history() {
    let h = History::new();
    h.write("cutover.toml", "[[tables]]\nname = \"orders_legacy\"\n");
    h.write(
        "app/repo.py",
        "def create_order(cur, order_id):\n    cur.execute(\"INSERT INTO orders_legacy (id) VALUES (%s)\", (order_id,))\n\n\ndef list_orders(cur):\n    cur.execute(\"SELECT id FROM orders_legacy\")\n    return cur.fetchall()\n",
    );
    h.write(
        "db/seed.sql",
        "INSERT INTO orders_legacy (id) VALUES (1);\n",
    );
    h.commit("2026-06-01", "python writer and reader");
    // The writer moves to the new table; the reader stays.
    h.write(
        "app/repo.py",
        "def create_order(cur, order_id):\n    cur.execute(\"INSERT INTO orders (id) VALUES (%s)\", (order_id,))\n\n\ndef list_orders(cur):\n    cur.execute(\"SELECT id FROM orders_legacy\")\n    return cur.fetchall()\n",
    );
    h.commit("2026-06-08", "writer migrated");
    let b = walk(h.path(), &options(Every::Commit, By::Access));
    let per_sample: Vec<(u64, u64, u64)> = b
        .samples
        .iter()
        .map(|s| (s.counts["write"], s.counts["read"], s.counts["ddl"]))
        .collect();
    assert_eq!(per_sample, vec![(2, 1, 0), (1, 1, 0)]);
    // The same engine as `inventory` on a checkout of HEAD.
    let inventory = Command::cargo_bin("cutover")
        .unwrap()
        .current_dir(h.path())
        .args(["inventory", "--format", "jsonl"])
        .output()
        .unwrap();
    let lines = String::from_utf8(inventory.stdout).unwrap().lines().count() as u64;
    assert_eq!(lines, b.samples[1].total());
}

#[test]
fn audit_record_appends_what_burndown_from_plots() {
    let h = orders_history();
    let history = h.path().join(".cutover/history.jsonl");
    cutover()
        .current_dir(h.path())
        .args(["audit", "--update-baseline", "--allow-new", "--record"])
        .arg(&history)
        .assert()
        .success();
    h.write("worker/settle.sql", "UPDATE orders_legacy SET id = 3;\n");
    h.commit("2026-02-10", "c6: a writer comes back");
    for _ in 0..2 {
        // Twice on one commit: the history keeps one point for it.
        cutover()
            .current_dir(h.path())
            .args(["audit", "--allow-new", "--update-baseline", "--record"])
            .arg(&history)
            .assert()
            .success();
    }
    let text = std::fs::read_to_string(&history).unwrap();
    assert_eq!(text.lines().count(), 3);
    let from = cutover()
        .current_dir(h.path())
        .args([
            "burndown",
            "--from",
            ".cutover/history.jsonl",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let git = cutover()
        .current_dir(h.path())
        .args(["burndown", "--commits", "2", "--format", "csv"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // Same dates, commits and counts whether read from git or from the recorded runs.
    assert_eq!(
        String::from_utf8(from).unwrap(),
        String::from_utf8(git).unwrap()
    );
}

/// Issue 18: deleting one of two copies of the same code halves the count, but nothing was
/// migrated; the step says so.
#[test]
fn a_deleted_copy_is_a_refactor_not_progress() {
    let h = History::new();
    h.write("cutover.toml", CONFIG);
    let code = "def settle(cur):\n    cur.execute(\"UPDATE orders_legacy SET id = 2\")\n";
    h.write("api/settle.py", code);
    h.write("old/api/settle.py", code);
    h.commit("2026-01-05", "two copies");
    h.remove("old/api/settle.py");
    h.commit("2026-01-06", "remove the old copy");
    h.write(
        "api/settle.py",
        "def settle(cur):\n    cur.execute(\"UPDATE orders SET id = 2\")\n",
    );
    h.commit("2026-01-07", "migrate");
    let b = walk(h.path(), &options(Every::Commit, By::Table));
    let totals: Vec<u64> = b.samples.iter().map(|s| s.total()).collect();
    assert_eq!(totals, vec![2, 1, 0]);
    let marks: Vec<Option<&str>> = b.samples.iter().map(|s| s.refactor.as_deref()).collect();
    assert_eq!(
        marks,
        vec![
            None,
            Some("old/api/settle.py deleted, its copy api/settle.py kept"),
            None
        ]
    );
    let mut text = Vec::new();
    cutover::report::burndown::write_text(&b, cutover::report::style::Style::PLAIN, &mut text)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains(
            "refactors, not progress (references moved between copies of the same code):"
        ),
        "{text}"
    );
}
