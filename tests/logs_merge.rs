//! `cutover logs --summary-out` and `--merge` (issue #16): the sample logs written by a real
//! PostgreSQL server, cut into parts, summarised one by one and merged in several orders and
//! groupings, give byte for byte the report of one run over every part.

use assert_cmd::Command;
use std::io::Read as _;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/logs")
        .join(name)
}

fn gunzip(name: &str) -> String {
    let mut out = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixture(name)).unwrap())
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn cutover() -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.env("RUST_LIB_BACKTRACE", "0");
    c
}

fn run(args: &[&str]) -> Vec<u8> {
    let out = cutover().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Cut the stderr sample into `n` parts before `connection received` lines that no failing
/// session straddles (a session stays within its input, see docs/logs.md).
fn cut(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut cuts = Vec::new();
    for k in 1..n {
        let mut at = lines.len() * k / n;
        while at < lines.len()
            && !(lines[at].contains("connection received")
                && lines[at.saturating_sub(60)..at]
                    .iter()
                    .all(|l| !l.contains("cron-maintenance") && !l.contains("ERROR:")))
        {
            at += 1;
        }
        cuts.push(at);
    }
    let mut parts = Vec::new();
    let mut from = 0;
    for c in cuts.into_iter().chain([lines.len()]) {
        let mut p = lines[from..c].join("\n");
        p.push('\n');
        parts.push(p);
        from = c;
    }
    parts
}

#[test]
fn issue_16_merging_summaries_equals_one_run_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut parts: Vec<PathBuf> = Vec::new();
    for (i, p) in cut(&gunzip("pg-statement.log.gz"), 3)
        .into_iter()
        .enumerate()
    {
        let path = dir.path().join(format!("statement-{i}.log"));
        std::fs::write(&path, p).unwrap();
        parts.push(path);
    }
    // Other destinations of other runs are inputs too.
    for name in ["pg-statement.json.gz", "pg-duration.log.gz"] {
        let path = dir.path().join(name);
        std::fs::copy(fixture(name), &path).unwrap();
        parts.push(path);
    }
    parts.sort();
    let mut one: Vec<&str> = vec!["logs", "--format", "json"];
    one.extend(parts.iter().map(|p| s(p)));
    let expected = run(&one);
    assert!(expected.len() > 1000);

    let summaries: Vec<PathBuf> = parts
        .iter()
        .map(|p| {
            let out = dir.path().join(format!(
                "{}.summary.json",
                p.file_name().unwrap().to_str().unwrap()
            ));
            run(&["logs", s(p), "--summary-out", s(&out)]);
            out
        })
        .collect();
    // Several orders of the same summaries.
    let n = summaries.len();
    for order in [
        (0..n).collect::<Vec<_>>(),
        (0..n).rev().collect(),
        vec![2, 0, 4, 1, 3],
        vec![1, 3, 0, 4, 2],
    ] {
        let mut args: Vec<&str> = vec!["logs", "--format", "json", "--merge"];
        args.extend(order.iter().map(|&i| s(&summaries[i])));
        assert_eq!(
            String::from_utf8_lossy(&run(&args)),
            String::from_utf8_lossy(&expected),
            "order {order:?}"
        );
    }
    // Groupings: (a b) c … and a (b c) …, each merge itself summarised.
    let ab = dir.path().join("ab.json");
    run(&[
        "logs",
        "--merge",
        s(&summaries[0]),
        s(&summaries[1]),
        "--summary-out",
        s(&ab),
    ]);
    let cde = dir.path().join("cde.json");
    run(&[
        "logs",
        "--merge",
        s(&summaries[4]),
        s(&summaries[2]),
        s(&summaries[3]),
        "--summary-out",
        s(&cde),
    ]);
    let grouped = run(&["logs", "--format", "json", "--merge", s(&cde), s(&ab)]);
    assert_eq!(
        String::from_utf8_lossy(&grouped),
        String::from_utf8_lossy(&expected)
    );
    // The text report too.
    let mut text: Vec<&str> = vec!["logs"];
    text.extend(parts.iter().map(|p| s(p)));
    let mut merged: Vec<&str> = vec!["logs", "--merge"];
    merged.extend(summaries.iter().rev().map(|p| s(p)));
    assert_eq!(run(&text), run(&merged));
}

#[test]
fn a_file_that_is_not_a_summary_is_refused_with_its_name() {
    let out = cutover()
        .args(["logs", "--merge", s(&fixture("pg-stat-statements.csv"))])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg-stat-statements.csv"));
}
