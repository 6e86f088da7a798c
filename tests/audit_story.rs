//! `cutover audit` end to end on a real temporary git repository (issue 5): a first
//! baseline, a new reference (fails), a suppression (passes), a removal (the ratchet asks to
//! lock it in), an expired allowance (fails), `--changed-since`, lines inserted above a known
//! reference (still known), and a file moved with `git mv` (its references are not new).
//! Assertions are about statuses, exit codes and messages, never about the SQL classifier's
//! read/write roles, which are tested where they are made.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        let repo = Repo { _dir: dir, root };
        repo.git(&["init", "-q"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.root, args)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
    }

    /// Run `cutover audit` in the repository; returns (exit code, stdout, stderr).
    fn audit(&self, args: &[&str]) -> (i32, String, String) {
        run_audit(&self.root, args)
    }

    /// `--format jsonl` findings.
    fn findings(&self, args: &[&str]) -> (i32, Vec<Value>) {
        let mut all = vec!["--format", "jsonl"];
        all.extend_from_slice(args);
        let (code, out, err) = self.audit(&all);
        assert!(code == 0 || code == 1, "exit {code}: {err}");
        let rows = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (code, rows)
    }
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run_audit(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .arg("audit")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn in_file<'a>(rows: &'a [Value], file: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["file"] == file).collect()
}

fn statuses(rows: &[Value], file: &str) -> Vec<String> {
    in_file(rows, file)
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

// `prepare`, not `dual-write`: these writers do not write `orders`, and the dual-write
// coverage check (issue 11, tested in tests/dualwrite.rs) is not what this story is about.
const CONFIG: &str = r#"[[tables]]
name = "orders_legacy"
replacement = "orders"
phase = "prepare"
"#;

/// A repository with three known references in three migration files, committed.
fn seeded() -> Repo {
    let repo = Repo::new();
    repo.write("cutover.toml", CONFIG);
    repo.write(
        "db/fix_status.sql",
        "UPDATE orders_legacy SET status = 2 WHERE id = 1;\n",
    );
    repo.write(
        "db/report.sql",
        "SELECT id, total FROM orders_legacy WHERE total > 100;\n",
    );
    repo.write("db/purge.sql", "DELETE FROM orders_legacy WHERE id = 3;\n");
    repo.write("README.md", "not scanned\n");
    repo.commit("seed");
    repo
}

#[test]
fn issue_5_story() {
    let repo = seeded();

    // No baseline yet: a usage error that names the command creating one.
    let (code, _, err) = repo.audit(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cutover audit --update-baseline --allow-new"),
        "{err}"
    );
    let (code, _, err) = repo.audit(&["--update-baseline"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--allow-new"), "{err}");
    assert!(!repo.root.join("cutover-baseline.json").exists());

    // The first baseline.
    let (code, out, err) = repo.audit(&["--update-baseline", "--allow-new"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created: 3 references recorded"), "{out}");
    let baseline: Value = serde_json::from_str(&repo.read("cutover-baseline.json")).unwrap();
    assert_eq!(baseline["version"], 1);
    let files: Vec<&str> = baseline["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["db/fix_status.sql", "db/purge.sql", "db/report.sql"]
    );
    assert!(!repo.read("cutover-baseline.json").contains("\"line\""));
    repo.commit("baseline");
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("orders_legacy (phase prepare): 3 references: 0 new, 3 known"),
        "{out}"
    );

    // A new reference fails, with a code frame pointing at it.
    repo.write(
        "db/backfill.sql",
        "INSERT INTO orders_legacy (id, status) VALUES (9, 1);\n",
    );
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[cutover/new-reference]"), "{out}");
    assert!(out.contains("--> db/backfill.sql:1:1"), "{out}");
    assert!(
        out.contains("INSERT INTO orders_legacy (id, status) VALUES (9, 1);"),
        "{out}"
    );
    let (_, rows) = repo.findings(&[]);
    assert_eq!(statuses(&rows, "db/backfill.sql"), ["new"]);
    assert_eq!(statuses(&rows, "db/report.sql"), ["known"]);
    let fp = in_file(&rows, "db/backfill.sql")[0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(fp.len(), 32);

    // --update-baseline without --allow-new refuses to add it and still fails.
    let before = repo.read("cutover-baseline.json");
    let (code, out, _) = repo.audit(&["--update-baseline"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 new reference not added"), "{out}");
    assert_eq!(repo.read("cutover-baseline.json"), before);

    // A suppression with a reason passes; without a reason it is an error.
    repo.write(
        "db/backfill.sql",
        "-- cutover: allow orders_legacy -- one-off backfill, ticket OPS-12\n\
         INSERT INTO orders_legacy (id, status) VALUES (9, 1);\n",
    );
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 0);
    let row = in_file(&rows, "db/backfill.sql")[0];
    assert_eq!(row["status"], "suppressed");
    assert_eq!(
        row["suppression"]["reason"],
        "one-off backfill, ticket OPS-12"
    );
    let (code, out, _) = repo.audit(&["--format", "sarif"]);
    assert_eq!(code, 0);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let suppressed: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");

    repo.write(
        "db/backfill.sql",
        "-- cutover: allow orders_legacy\nINSERT INTO orders_legacy (id, status) VALUES (9, 1);\n",
    );
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[cutover/invalid-suppression]"), "{out}");
    assert!(out.contains("a reason is required"), "{out}");

    // An expiring allowance: fine until its day, an error after it.
    repo.write(
        "db/backfill.sql",
        "-- cutover: allow orders_legacy until=2026-03-31 -- dual-write shim\n\
         INSERT INTO orders_legacy (id, status) VALUES (9, 1);\n",
    );
    let (code, out, _) = repo.audit(&["--today", "2026-03-31"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = repo.audit(&["--today", "2026-04-01"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[cutover/expired-allowance]"), "{out}");

    // A suppression that matches nothing is reported, but does not fail the run.
    repo.write(
        "db/backfill.sql",
        "-- cutover: allow orders_legacy -- one-off backfill\n\
         INSERT INTO orders_legacy (id, status) VALUES (9, 1);\n",
    );
    repo.write(
        "tools/export.py",
        "# cutover: allow orders_legacy -- left over from the old exporter\nprint('done')\n",
    );
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[cutover/unused-suppression]"), "{out}");
    assert!(out.contains("--> tools/export.py:1:3"), "{out}");

    // A removal: the ratchet reports it and asks to lock it in; the update lowers the count.
    std::fs::remove_file(repo.root.join("db/purge.sql")).unwrap();
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "1 reference removed: run `cutover audit --update-baseline` to lock in the progress"
        ),
        "{out}"
    );
    assert!(out.contains("db/purge.sql: orders_legacy"), "{out}");
    let (code, out, _) = repo.audit(&["--update-baseline"]);
    assert_eq!(code, 0, "{out}");
    assert!(!repo.read("cutover-baseline.json").contains("purge.sql"));
    assert!(!repo.read("cutover-baseline.json").contains("backfill.sql"));
    let (_, out, _) = repo.audit(&[]);
    assert!(!out.contains("references removed"), "{out}");
    repo.commit("remove purge, suppressed backfill");

    // Lines inserted above a known reference: still known, same fingerprint, new line.
    let (_, before) = repo.findings(&[]);
    let old = in_file(&before, "db/report.sql")[0].clone();
    repo.write(
        "db/report.sql",
        "-- weekly report\nSET search_path = public;\n\nSELECT id, total FROM orders_legacy WHERE total > 100;\n",
    );
    let (code, after) = repo.findings(&[]);
    assert_eq!(code, 0);
    let new = in_file(&after, "db/report.sql")[0];
    assert_eq!(new["status"], "known");
    assert_eq!(
        new["line"].as_u64().unwrap(),
        old["line"].as_u64().unwrap() + 3
    );
    assert_eq!(new["fingerprint"], old["fingerprint"]);
    repo.commit("blank lines");

    // `git mv`: the moved file's references are not new, staged or committed.
    std::fs::create_dir_all(repo.root.join("db/archive")).unwrap();
    repo.git(&["mv", "db/fix_status.sql", "db/archive/fix_status_2024.sql"]);
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("followed rename: db/fix_status.sql → db/archive/fix_status_2024.sql"),
        "{out}"
    );
    repo.commit("move");
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 0);
    assert_eq!(statuses(&rows, "db/archive/fix_status_2024.sql"), ["known"]);
    // …and the next --update-baseline records it under its new path.
    let (code, _, _) = repo.audit(&["--update-baseline"]);
    assert_eq!(code, 0);
    let text = repo.read("cutover-baseline.json");
    assert!(
        text.contains("db/archive/fix_status_2024.sql") && !text.contains("\"db/fix_status.sql\""),
        "{text}"
    );
    repo.commit("baseline after move");

    // --changed-since: no baseline needed; only changed lines count; renames are not new.
    std::fs::remove_file(repo.root.join("cutover-baseline.json")).unwrap();
    std::fs::create_dir_all(repo.root.join("db/reports")).unwrap();
    repo.git(&["mv", "db/report.sql", "db/reports/weekly.sql"]);
    repo.write(
        "services/new_job.sql",
        "UPDATE orders_legacy SET archived = true WHERE id < 10;\n",
    );
    // A statement appended to a file: only its line is new.
    let fix = repo.read("db/archive/fix_status_2024.sql");
    repo.write(
        "db/archive/fix_status_2024.sql",
        &format!("{fix}DELETE FROM orders_legacy WHERE id = 5;\n"),
    );
    let status_before = repo.git(&["status", "--porcelain"]);
    let index_before = std::fs::read(repo.root.join(".git/index")).unwrap();
    let (code, rows) = repo.findings(&["--changed-since", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(statuses(&rows, "services/new_job.sql"), ["new"]);
    assert_eq!(statuses(&rows, "db/reports/weekly.sql"), ["known"]);
    assert_eq!(
        statuses(&rows, "db/archive/fix_status_2024.sql"),
        ["known", "new"]
    );
    // Reading the diff touched neither the working tree nor the index.
    assert_eq!(repo.git(&["status", "--porcelain"]), status_before);
    assert_eq!(
        std::fs::read(repo.root.join(".git/index")).unwrap(),
        index_before
    );
    // Once the new references are suppressed, the pull request passes.
    repo.write(
        "db/archive/fix_status_2024.sql",
        &format!("{fix}DELETE FROM orders_legacy WHERE id = 5; -- cutover: allow orders_legacy -- cleanup of test rows\n"),
    );
    repo.write(
        "services/new_job.sql",
        "-- cutover: allow orders_legacy -- archived rows stay until cleanup\n\
         UPDATE orders_legacy SET archived = true WHERE id < 10;\n",
    );
    let (code, out, _) = repo.audit(&["--changed-since", "HEAD"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("changes since HEAD, no baseline"), "{out}");

    let (code, _, err) = repo.audit(&["--changed-since", "no-such-branch"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown git revision `no-such-branch`"),
        "{err}"
    );
}

#[test]
fn shallow_clone_without_ref_says_how_to_fetch_it() {
    let repo = seeded();
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("db/later.sql", "SELECT 1 FROM orders_legacy;\n");
    repo.commit("second");
    repo.write("db/latest.sql", "SELECT 2 FROM orders_legacy;\n");
    repo.commit("third");
    let clone = repo.root.parent().unwrap().join("shallow");
    let url = format!("file://{}", repo.root.display());
    git_in(
        repo.root.parent().unwrap(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let (code, _, err) = run_audit(&clone, &["--changed-since", &first]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("git fetch --deepen"), "{err}");
    assert!(err.contains("git fetch --unshallow"), "{err}");
    assert!(err.contains(&format!("git fetch origin {first}")), "{err}");
}

#[test]
fn corrupt_or_future_baseline_is_an_error_and_left_alone() {
    let repo = seeded();
    for text in [
        "{\"version\": 1, \"references\": [",
        "{\"version\": 99, \"references\": []}",
    ] {
        repo.write("cutover-baseline.json", text);
        for args in [&[][..], &["--update-baseline", "--allow-new"][..]] {
            let (code, _, err) = repo.audit(args);
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("cutover-baseline.json"), "{err}");
            assert_eq!(repo.read("cutover-baseline.json"), text);
        }
    }
    let (_, _, err) = repo.audit(&[]);
    assert!(
        err.contains("version 99") && err.contains("upgrade cutover"),
        "{err}"
    );
}

#[test]
fn phase_rules_and_severity_override() {
    let repo = seeded();
    let (code, _, _) = repo.audit(&["--update-baseline", "--allow-new"]);
    assert_eq!(code, 0);
    // cleanup: every reference fails, baseline or not.
    repo.write(
        "cutover.toml",
        "[[tables]]\nname = \"orders_legacy\"\nphase = \"cleanup\"\n",
    );
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 1);
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r["rule"] == "cutover/forbidden-reference" && r["level"] == "error")
    );
    // ...unless the table's severity says warning.
    repo.write(
        "cutover.toml",
        "[[tables]]\nname = \"orders_legacy\"\nphase = \"cleanup\"\nseverity = \"warning\"\n",
    );
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 0);
    assert!(rows.iter().all(|r| r["level"] == "warning"));
}

#[test]
fn output_file_is_written_instead_of_stdout() {
    let repo = seeded();
    let (code, out, _) = repo.audit(&[
        "--update-baseline",
        "--allow-new",
        "--format",
        "gitlab",
        "--output",
        "gl-code-quality.json",
    ]);
    assert_eq!(code, 0);
    assert!(out.is_empty(), "{out}");
    let issues: Value = serde_json::from_str(&repo.read("gl-code-quality.json")).unwrap();
    assert_eq!(issues.as_array().unwrap().len(), 3);
    // The report is not itself scanned or left behind as a temporary file.
    let names: Vec<String> = std::fs::read_dir(&repo.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn subdirectory_of_a_repository_and_configured_baseline_path() {
    let repo = Repo::new();
    repo.write(
        "services/api/cutover.toml",
        &format!("{CONFIG}\n[audit]\nbaseline = \"ci/legacy-baseline.json\"\n"),
    );
    repo.write("services/api/db/old.sql", "SELECT id FROM orders_legacy;\n");
    repo.write("other/db/elsewhere.sql", "SELECT id FROM orders_legacy;\n");
    std::fs::create_dir_all(repo.root.join("services/api/ci")).unwrap();
    repo.commit("seed");
    let api = repo.root.join("services/api");
    let (code, out, err) = run_audit(&api, &["--update-baseline", "--allow-new"]);
    assert_eq!(code, 0, "{out}{err}");
    // `[audit] baseline` is relative to the configuration file.
    let text = std::fs::read_to_string(api.join("ci/legacy-baseline.json")).unwrap();
    assert!(text.contains("\"file\": \"db/old.sql\""), "{text}");
    assert!(!text.contains("elsewhere"), "{text}");

    // Paths from git are mapped to the scanned directory; files outside it are ignored.
    repo.write(
        "services/api/db/new.sql",
        "DELETE FROM orders_legacy WHERE id = 1;\n",
    );
    repo.write(
        "other/db/also_new.sql",
        "DELETE FROM orders_legacy WHERE id = 2;\n",
    );
    let out = Command::cargo_bin("cutover")
        .unwrap()
        .args([
            "audit",
            "services/api",
            "--changed-since",
            "HEAD",
            "--format",
            "jsonl",
        ])
        .current_dir(&repo.root)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(statuses(&rows, "db/new.sql"), ["new"]);
    assert_eq!(statuses(&rows, "db/old.sql"), ["known"]);
    assert!(in_file(&rows, "other/db/also_new.sql").is_empty());
}

#[test]
fn changed_since_outside_a_repository_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cutover.toml"), CONFIG).unwrap();
    std::fs::write(dir.path().join("a.sql"), "SELECT 1 FROM orders_legacy;\n").unwrap();
    let (code, _, err) = run_audit(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("needs a git repository"), "{err}");
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let repo = seeded();
    repo.write(
        "db/a.sql",
        "-- cutover: allow orders_legacy -- r\nSELECT 1 FROM orders_legacy;\n",
    );
    repo.write(
        "db/b.sql",
        "# cutover: allow orders_legacy\nSELECT 2 FROM orders_legacy;\n",
    );
    let (code, _, _) = repo.audit(&["--update-baseline", "--allow-new"]);
    assert_eq!(code, 1, "the invalid suppression still fails");
    for format in ["json", "sarif", "text"] {
        let (_, one, _) = repo.audit(&["--threads", "1", "--format", format]);
        let (_, three, _) = repo.audit(&["--threads", "3", "--format", format]);
        assert_eq!(one, three, "{format}");
    }
}

#[test]
fn strict_reports_incomplete_analysis_with_exit_3() {
    let repo = seeded();
    repo.write(
        "cutover.toml",
        &format!("{CONFIG}\n[scan]\nmax_file_size = \"200B\"\n"),
    );
    repo.write(
        "db/huge.sql",
        &"SELECT id FROM orders_legacy WHERE id = 1;\n".repeat(20),
    );
    let (code, _, _) = repo.audit(&["--update-baseline", "--allow-new"]);
    assert_eq!(code, 0);
    let (code, out, _) = repo.audit(&["--strict"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("db/huge.sql: too_large"), "{out}");
    // A failure outranks incompleteness.
    repo.write("db/new.sql", "SELECT 9 FROM orders_legacy;\n");
    let (code, _, _) = repo.audit(&["--strict"]);
    assert_eq!(code, 1);
}

const REPOSITORY_PY: &str = r#"class OrderRepository:
    def mark_paid(self, cursor, order_id):
        cursor.execute("UPDATE orders_legacy SET status = 'paid' WHERE id = %s", (order_id,))

    def totals(self, cursor):
        cursor.execute("SELECT sum(total_cents) FROM orders_legacy")
        return cursor.fetchone()
"#;

/// The same story on Python code: references in functions, a count that grows inside one
/// function, a trailing suppression, code inserted above a known reference, and `git mv`.
#[test]
fn issue_5_story_python() {
    let repo = Repo::new();
    repo.write("cutover.toml", CONFIG);
    repo.write("app/orders.py", REPOSITORY_PY);
    repo.commit("seed");
    let (code, _, err) = repo.audit(&["--update-baseline", "--allow-new"]);
    assert_eq!(code, 0, "{err}");
    let baseline = repo.read("cutover-baseline.json");
    assert!(
        baseline.contains("\"function\": \"OrderRepository.mark_paid\""),
        "{baseline}"
    );
    repo.commit("baseline");
    let (_, before) = repo.findings(&[]);
    assert_eq!(statuses(&before, "app/orders.py"), ["known", "known"]);

    // Code inserted above the known references: still known, same fingerprints.
    let moved = format!("import logging\n\nlog = logging.getLogger(__name__)\n\n\n{REPOSITORY_PY}");
    repo.write("app/orders.py", &moved);
    let (code, after) = repo.findings(&[]);
    assert_eq!(code, 0);
    let fps = |rows: &[Value]| -> Vec<String> {
        in_file(rows, "app/orders.py")
            .iter()
            .map(|r| r["fingerprint"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fps(&after), fps(&before));
    assert_eq!(
        in_file(&after, "app/orders.py")[0]["line"]
            .as_u64()
            .unwrap(),
        in_file(&before, "app/orders.py")[0]["line"]
            .as_u64()
            .unwrap()
            + 5
    );

    // A second UPDATE in `mark_paid`: the key's count grows, the run fails on the new line.
    let grown = moved.replace(
        "        cursor.execute(\"UPDATE orders_legacy SET status = 'paid' WHERE id = %s\", (order_id,))\n",
        "        cursor.execute(\"UPDATE orders_legacy SET status = 'paid' WHERE id = %s\", (order_id,))\n        cursor.execute(\"UPDATE orders_legacy SET paid_at = now() WHERE id = %s\", (order_id,))\n",
    );
    repo.write("app/orders.py", &grown);
    let (code, out, _) = repo.audit(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("new update of legacy table `orders_legacy` in `OrderRepository.mark_paid`"),
        "{out}"
    );
    // With --changed-since, the changed line is the one reported as new.
    let (code, rows) = repo.findings(&[
        "--changed-since",
        "HEAD",
        "--baseline",
        "cutover-baseline.json",
    ]);
    assert_eq!(code, 1);
    let new: Vec<&Value> = rows.iter().filter(|r| r["status"] == "new").collect();
    assert_eq!(new.len(), 1);
    assert!(
        new[0]["evidence"].as_str().unwrap().contains("paid_at"),
        "{new:?}"
    );

    // A trailing suppression on that line makes it pass.
    let suppressed = grown.replace(
        "SET paid_at = now() WHERE id = %s\", (order_id,))\n",
        "SET paid_at = now() WHERE id = %s\", (order_id,))  # cutover: allow orders_legacy -- dual write until cutover\n",
    );
    repo.write("app/orders.py", &suppressed);
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 0);
    assert_eq!(
        statuses(&rows, "app/orders.py"),
        ["known", "suppressed", "known"]
    );
    repo.commit("paid_at, suppressed");

    // `git mv`: the file's references stay known.
    std::fs::create_dir_all(repo.root.join("app/billing")).unwrap();
    repo.git(&["mv", "app/orders.py", "app/billing/orders.py"]);
    let (code, rows) = repo.findings(&[]);
    assert_eq!(code, 0);
    assert_eq!(
        statuses(&rows, "app/billing/orders.py"),
        ["known", "suppressed", "known"]
    );
    let (code, rows) = repo.findings(&["--changed-since", "HEAD"]);
    assert_eq!(code, 0);
    assert!(rows.iter().all(|r| r["status"] != "new"));
}

/// Colour only on a terminal, and never with NO_COLOR: `script` (util-linux, in every Debian)
/// gives the binary a pseudo-terminal.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    let repo = seeded();
    repo.write(
        "cutover-baseline.json",
        "{\"version\": 1, \"references\": []}\n",
    );
    let bin = assert_cmd::cargo::cargo_bin("cutover");
    let command = format!("{} audit", bin.display());
    let on_tty = |no_color: Option<&str>| -> String {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &command, "/dev/null"])
            .current_dir(&repo.root)
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = cmd.output().expect("script runs");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(on_tty(None).contains("\u{1b}["), "coloured on a terminal");
    let plain = on_tty(Some("1"));
    assert!(!plain.contains("\u{1b}["), "{plain}");
    assert!(plain.contains("error[cutover/new-reference]"), "{plain}");
    let (_, piped, _) = repo.audit(&[]);
    assert!(!piped.contains("\u{1b}["));
}
