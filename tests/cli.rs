//! End-to-end tests of the `cutover` binary: the demo's inventory (snapshots), determinism
//! across thread counts, and the documented exit codes for usage and configuration errors.

use assert_cmd::Command;

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

#[test]
fn demo_inventory_text() {
    // Run from the crate with a relative path: the closing hint repeats the path.
    let (code, stdout, stderr) = run(cutover()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["inventory", "fixtures/demo"]));
    assert_eq!(code, 0, "{stderr}");
    let stdout = regex_replace(&stdout, r"time: [0-9.]+ s", "time: [ELAPSED] s");
    insta::assert_snapshot!("demo_inventory_text", stdout);
}

#[test]
fn demo_inventory_jsonl() {
    let (code, stdout, stderr) = run(cutover().args(["inventory", demo(), "--format", "jsonl"]));
    assert_eq!(code, 0, "{stderr}");
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in [
            "table",
            "access",
            "operation",
            "file",
            "line",
            "column",
            "language",
            "kind",
            "function",
            "confidence",
            "evidence",
        ] {
            assert!(v.get(key).is_some(), "missing {key} in {line}");
        }
    }
    insta::assert_snapshot!("demo_inventory_jsonl", stdout);
}

#[test]
fn json_is_identical_whatever_the_thread_count() {
    let one = run(cutover().args(["inventory", demo(), "--format", "json", "--threads", "1"]));
    let two = run(cutover().args(["inventory", demo(), "--format", "json", "--threads", "2"]));
    let four = run(cutover().args(["inventory", demo(), "--format", "json", "--threads", "4"]));
    assert_eq!(one.0, 0, "{}", one.2);
    assert_eq!(one.1, two.1);
    assert_eq!(one.1, four.1);
    let doc: serde_json::Value = serde_json::from_str(&one.1).unwrap();
    assert_eq!(doc["version"], 2);
    assert!(doc["findings"].as_array().unwrap().len() > 5);
    assert!(doc["stats"]["files_scanned"].as_u64().unwrap() >= 15);
}

#[test]
fn table_flag_adds_to_the_config() {
    let (code, stdout, _) = run(cutover().args([
        "inventory",
        demo(),
        "--format",
        "json",
        "--table",
        "order_status_audit",
    ]));
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let tables: Vec<&str> = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        ["orders_legacy", "order_items_legacy", "order_status_audit"]
    );
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["table"] == "order_status_audit")
    );
}

#[test]
fn no_tables_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(cutover().args(["inventory"]).arg(dir.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("no legacy tables configured"), "{stderr}");
}

#[test]
fn missing_path_is_a_usage_error() {
    let (code, _, stderr) =
        run(cutover().args(["inventory", "/nonexistent/cutover-test", "--table", "t"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let (code, _, _) = run(cutover().args(["inventory", "--frobnicate"]));
    assert_eq!(code, 2);
}

#[test]
fn bad_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\n\n[scan]\nexclud = [\"x\"]\n",
    )
    .unwrap();
    let (code, _, stderr) = run(cutover().args(["inventory"]).arg(dir.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("cutover.toml"), "{stderr}");
    assert!(stderr.contains("line 5"), "{stderr}");
    assert!(stderr.contains("exclud"), "{stderr}");
}

#[test]
fn config_is_found_in_a_parent_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\n",
    )
    .unwrap();
    let sub = dir.path().join("db");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("m.sql"), "DELETE FROM orders_legacy;\n").unwrap();
    let (code, stdout, stderr) = run(cutover().args(["inventory", "--format", "jsonl"]).arg(&sub));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("\"file\":\"m.sql\""), "{stdout}");
}

#[test]
fn skipped_files_are_reported_and_strict_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("cutover.toml"),
        "[[tables]]\nname = \"orders_legacy\"\n[scan]\nmax_file_size = \"1KiB\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("big.sql"),
        "SELECT * FROM orders_legacy;\n".repeat(100),
    )
    .unwrap();
    std::fs::write(root.join("bin.py"), b"orders_legacy\0\x01\x02").unwrap();
    std::fs::write(root.join("ok.sql"), "TRUNCATE orders_legacy;\n").unwrap();
    let (code, stdout, _) = run(cutover().args(["inventory"]).arg(root));
    assert_eq!(code, 0);
    assert!(stdout.contains("big.sql: too_large"), "{stdout}");
    assert!(stdout.contains("bin.py: binary"), "{stdout}");
    assert!(stdout.contains("2 skipped"), "{stdout}");
    let (code, _, _) = run(cutover().args(["inventory", "--strict"]).arg(root));
    assert_eq!(code, 3);
}

#[test]
fn broken_pipe_is_not_an_error() {
    // `cutover … | head -1` must not print an error or fail.
    let bin = assert_cmd::cargo::cargo_bin("cutover");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' inventory '{}' --format jsonl | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
            bin.display(),
            demo()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
}

#[test]
fn dynamic_sql_in_a_routine_is_reported_as_dynamic() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("purge.sql"),
        "CREATE FUNCTION purge(tbl text) RETURNS void LANGUAGE plpgsql AS $$\n\
         BEGIN\n  EXECUTE format('DELETE FROM %I WHERE id < 10', tbl);\nEND;\n$$;\n\
         SELECT purge('orders_legacy');\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(cutover()
        .args(["inventory", "--table", "orders_legacy", "--format", "jsonl"])
        .arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let f: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(f["confidence"], "dynamic");
    assert_eq!(f["access"], "write");
    assert_eq!(f["operation"], "delete");
    assert_eq!(f["function"], "purge");
    assert_eq!(f["line"], 3);
}

fn regex_replace(text: &str, pattern: &str, with: &str) -> String {
    regex::Regex::new(pattern)
        .unwrap()
        .replace_all(text, with)
        .into_owned()
}
