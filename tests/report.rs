//! End-to-end tests of `cutover report`: the demo in both formats (snapshot of the Markdown),
//! escaping of hostile input, atomic `--output`, format inference, and determinism.

mod report_support;

use assert_cmd::Command;
use report_support::{PWNED, write_hostile_repo};

fn cutover() -> Command {
    let mut cmd = Command::cargo_bin("cutover").unwrap();
    cmd.env("RUST_BACKTRACE", "0").env("NO_COLOR", "1");
    cmd
}

fn demo() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo")
}

/// Run and return (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn demo_log() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/demo/logs/postgresql.log"
    )
}

#[test]
fn demo_report_markdown() {
    // The demo's history is this repository's, which changes with every commit.
    let (code, stdout, stderr) = run(cutover().args([
        "report",
        demo(),
        "--format",
        "md",
        "--logs",
        demo_log(),
        "--no-history",
    ]));
    assert_eq!(code, 0, "{stderr}");
    // The root is the path as given; make it stable across checkouts.
    let stdout = stdout.replace(demo(), "fixtures/demo");
    insta::assert_snapshot!("demo_report_markdown", stdout);
}

#[test]
fn demo_report_shows_dual_write_verdicts() {
    // Issue 11: the verdicts appear in the report, worst first.
    let (code, html, stderr) = run(cutover().args(["report", demo(), "--no-history"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(html.contains("Dual-write coverage"));
    let uncovered = html
        .find("<span class=\"badge verdict-uncovered\">uncovered</span></td><td class=\"fn\">OrderRepository.mark_paid")
        .expect("mark_paid is uncovered");
    let covered = html
        .find("verdict-covered\">covered</span></td><td class=\"fn\">OrderStore.Refund")
        .expect("Refund is covered (declared helper)");
    assert!(uncovered < covered);
    // Issue 18: Ship mirrors in the same transaction with nothing catching the new write.
    assert!(html.contains("verdict-order\">order</span></td><td class=\"fn\">OrderStore.Ship"));
    assert!(
        html.contains("verdict-partial\">partial</span></td><td class=\"fn\">OrderService.cancel")
    );
}

#[test]
fn demo_logs_show_the_unexplained_writer() {
    let (code, html, stderr) = run(cutover().args(["report", demo(), "--logs", demo_log()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(html.contains(
        "<div class=\"card alert\" data-metric=\"unexplained\"><div class=\"n\">1</div>"
    ));
    assert!(html.contains("app=PostgreSQL JDBC Driver user=legacy_etl"));
    assert!(html.contains("Writers in the code not seen in the logs"));
    // Without logs the unexplained count is unknown, not zero.
    let (_, html, _) = run(cutover().args(["report", demo()]));
    assert!(html.contains("<div class=\"card unknown\" data-metric=\"unexplained\">"));
    assert!(!html.contains("Runtime clients"));
}

#[test]
fn missing_log_file_is_a_usage_error() {
    let (code, _, stderr) = run(cutover().args(["report", demo(), "--logs", "/nonexistent/x.log"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/x.log"), "{stderr}");
}

#[test]
fn demo_report_html_is_one_self_contained_page() {
    let (code, html, stderr) = run(cutover().args(["report", demo()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for external in ["<link", "<script src", "<img", "@import", "https://"] {
        assert!(!html.contains(external), "page loads {external}");
    }
    for table in ["orders_legacy", "order_items_legacy"] {
        assert!(html.contains(&format!("<span class=\"name\">{table}</span>")));
    }
    assert!(html.contains("id=\"headline\""));
}

#[test]
fn hostile_names_and_statements_render_as_text() {
    let dir = tempfile::tempdir().unwrap();
    write_hostile_repo(dir.path());
    let (code, html, stderr) = run(cutover().arg("report").arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        html.matches("<script").count(),
        3,
        "an injected script element"
    );
    assert!(!html.contains("<img"), "an injected img element");
    assert!(!html.contains("<b>platform"), "an injected owner");
    assert!(html.contains("&lt;img src=x onerror=document.documentElement.setAttribute("));
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;"));
    assert!(!html.contains(&format!("{PWNED}=")));

    let (code, md, _) = run(cutover()
        .arg("report")
        .arg(dir.path())
        .args(["--format", "md"]));
    assert_eq!(code, 0);
    // In Markdown the file name is a code span, where GitHub shows markup as text.
    assert!(md.contains("| `<img src=x onerror="), "{md}");
    assert!(!md.lines().any(|l| l.starts_with("<img")));
}

#[test]
fn output_is_written_atomically_to_exactly_the_requested_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.html");
    std::fs::write(&target, "old").unwrap();
    let (code, stdout, stderr) = run(cutover().args(["report", demo(), "--output"]).arg(&target));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "", "the report went to the file, not stdout");
    let written = std::fs::read_to_string(&target).unwrap();
    let (_, direct, _) = run(cutover().args(["report", demo()]));
    assert_eq!(written, direct);
    // No temporary file is left behind, and nothing else was created.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.html"]);
}

#[test]
fn output_format_follows_the_extension_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("inventory.md");
    let (code, _, stderr) = run(cutover().args(["report", demo(), "-o"]).arg(&md));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        std::fs::read_to_string(&md)
            .unwrap()
            .starts_with("# Legacy table writers")
    );
    let forced = dir.path().join("forced.txt");
    let (code, _, _) = run(cutover()
        .args(["report", demo(), "--format", "html", "-o"])
        .arg(&forced));
    assert_eq!(code, 0);
    assert!(
        std::fs::read_to_string(&forced)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
}

/// Issue 19: `-o x.pdf` wrote HTML into a file called PDF. A name that says another format
/// is refused before any work, and nothing is written.
#[test]
fn issue_19_an_output_name_of_another_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (args, name) in [
        (vec!["report", demo()], "signoff.pdf"),
        (vec!["report", demo(), "--format", "html"], "signoff.md"),
        (
            vec!["inventory", demo(), "--format", "json"],
            "findings.csv",
        ),
        (vec!["audit", demo()], "results.sarif"),
    ] {
        let path = dir.path().join(name);
        let (code, _, stderr) = run(cutover().args(&args).arg("-o").arg(&path));
        assert_eq!(code, 2, "{args:?} {name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains("name the file"),
            "{stderr}"
        );
        assert!(!path.exists());
    }
    let (code, _, stderr) = run(cutover()
        .args(["burndown", demo(), "--svg"])
        .arg(dir.path().join("chart.png")));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--svg") && stderr.contains("chart.png"),
        "{stderr}"
    );
}

#[test]
fn output_into_a_missing_directory_or_onto_a_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(cutover()
        .args(["report", demo(), "--output"])
        .arg(dir.path().join("no/such/dir/report.html")));
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/dir"), "{stderr}");
    let (code, _, stderr) = run(cutover()
        .args(["report", demo(), "--output"])
        .arg(dir.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("is a directory"), "{stderr}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn report_is_identical_whatever_the_thread_count() {
    for format in ["html", "md"] {
        let one = run(cutover().args(["report", demo(), "--format", format, "--threads", "1"]));
        let four = run(cutover().args(["report", demo(), "--format", format, "--threads", "4"]));
        assert_eq!(one.0, 0, "{}", one.2);
        assert_eq!(one.1, four.1, "{format} differs");
    }
}

/// Run git in `dir` with fixed identity and dates.
fn git(dir: &std::path::Path, args: &[&str], date: &str) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn burndown_over_git_history_shows_writers_going_down() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\n",
    )
    .unwrap();
    git(root, &["init", "-q"], "2026-01-05T10:00:00Z");
    let versions = [
        "UPDATE orders_legacy SET a = 1;\nDELETE FROM orders_legacy;\nSELECT * FROM orders_legacy;\n",
        "DELETE FROM orders_legacy;\nSELECT * FROM orders_legacy;\n",
        "SELECT * FROM orders_legacy;\n",
    ];
    for (week, sql) in versions.iter().enumerate() {
        std::fs::write(root.join("jobs.sql"), sql).unwrap();
        let date = format!("2026-01-{:02}T10:00:00Z", 5 + 7 * week);
        git(root, &["add", "-A"], &date);
        git(root, &["commit", "-qm", "step"], &date);
    }
    let (code, md, stderr) = run(cutover().arg("report").arg(root).args(["--format", "md"]));
    assert_eq!(code, 0, "{stderr}");
    let section = &md[md.find("## Burndown").expect("no burndown section")..];
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| 2026-"))
        .collect();
    assert_eq!(rows.len(), 3, "{section}");
    // Date, commit, then writers and readers.
    let counts: Vec<Vec<&str>> = rows
        .iter()
        .map(|r| r.split(" | ").skip(2).take(2).collect())
        .collect();
    assert_eq!(counts, [["2", "1"], ["1", "1"], ["0", "1"]], "{section}");
    assert!(rows[0].starts_with("| 2026-01-05 |"));

    let (_, html, _) = run(cutover().arg("report").arg(root));
    assert!(html.contains("id=\"burndown\""));
    assert!(html.contains("Writers 2 &rarr; 0"), "{html}");
    let (_, html, _) = run(cutover().arg("report").arg(root).arg("--no-history"));
    assert!(!html.contains("id=\"burndown\""));
}
