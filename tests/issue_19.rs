//! Issue 19: no input can stop a run, nothing vanishes, and the everyday CLI behaves like the
//! tools people already trust. Each test runs the binary as a child process, as a user or a
//! CI runner would, on inputs generated here.

use assert_cmd::Command;
use std::io::Read;
use std::path::{Path, PathBuf};

fn cutover() -> Command {
    let mut cmd = Command::cargo_bin("cutover").unwrap();
    cmd.env("RUST_BACKTRACE", "0")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

/// Run and return (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const CONFIG: &str = "[[tables]]\nname = \"orders_legacy\"\nreplacement = \"orders\"\n";

/// `a = 1 OR a = 1 OR …` with `terms` terms.
fn or_chain(terms: usize) -> String {
    vec!["a = 1"; terms].join(" OR ")
}

/// A chain of 40,000 terms overflowed the stack when sqlparser's tree was dropped, and the
/// process aborted (exit 134) with no output, from a `.sql` file, a string in code and a
/// statement in a log. Now each run ends normally with the statement reported.
#[test]
fn issue_19_operator_chains_end_normally_with_the_statement_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    let chain = or_chain(40_000);
    write(
        dir.path(),
        "db/purge.sql",
        &format!("DELETE FROM orders_legacy WHERE {chain};\n"),
    );
    write(
        dir.path(),
        "app/purge.py",
        &format!(
            "def purge(cur):\n    cur.execute(\"UPDATE orders_legacy SET a = 2 WHERE {chain}\")\n"
        ),
    );
    let (code, stdout, stderr) = run(cutover()
        .args(["inventory", "--format", "json"])
        .arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let found: Vec<(String, String)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("db/purge.sql".into(), "delete".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("app/purge.py".into(), "update".into())),
        "{found:?}"
    );

    let log = write(
        dir.path(),
        "pg.log",
        &format!(
            "2024-05-01 10:00:00.000 UTC [42] LOG:  statement: DELETE FROM orders_legacy WHERE {chain}\n"
        ),
    );
    let (code, stdout, stderr) = run(cutover()
        .current_dir(dir.path())
        .args(["logs", "--format", "json"])
        .arg(&log));
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["table"] == "orders_legacy" && r["access"] == "write"),
        "{rows:?}"
    );
    // Not parsed, and said so: the reason is in the log's accounting.
    assert!(stdout.contains("more than 2000 operators"), "{stdout}");
}

/// One configuration checked in one place: every command rejects the same mistake with the
/// same message, naming the file and the line (`kind = "web"` used to pass `inventory` and
/// fail `plan` without a line; a `db_clients` typo surfaced only with `--logs`; a bad glob or
/// an empty sink call had no location or was accepted; an absurd size read every file as
/// empty).
#[test]
fn issue_19_configuration_mistakes_fail_every_command_with_file_and_line() {
    let cases = [
        (
            "[[components]]\nname = \"web\"\nkind = \"web\"\n",
            "line 6",
            "unknown component kind `web`",
        ),
        (
            "[[components]]\nname = \"api\"\ndb_clients = [\"aplication=api\"]\n",
            "line 6",
            "unknown key `aplication`",
        ),
        (
            "[scan]\nexclude = [\"vendor/[\"]\n",
            "line 5",
            "invalid glob `vendor/[`",
        ),
        (
            "[[sinks]]\nlanguage = \"python\"\ncall = \"\"\nsql_arg = 0\n",
            "line 4",
            "sink call ``",
        ),
        (
            "[scan]\nmax_file_size = \"99999999999999999999GiB\"\n",
            "line 5",
            "over the limit of 16GiB",
        ),
    ];
    for (extra, line, what) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "cutover.toml", &format!("{CONFIG}{extra}"));
        write(
            dir.path(),
            "app.py",
            "def f(cur):\n    cur.execute(\"DELETE FROM orders_legacy\")\n",
        );
        let log = write(
            dir.path(),
            "pg.log",
            "2024-05-01 10:00:00.000 UTC [1] LOG:  statement: SELECT 1\n",
        );
        for command in ["inventory", "plan", "audit", "dual-write", "report", "logs"] {
            let mut cmd = cutover();
            cmd.current_dir(dir.path()).arg(command);
            if command == "logs" {
                cmd.arg(&log);
            }
            let (code, _, stderr) = run(&mut cmd);
            assert_eq!(code, 2, "{command} with {extra:?}: {stderr}");
            assert!(
                stderr.contains("cutover.toml") && stderr.contains(line) && stderr.contains(what),
                "{command} with {extra:?}: {stderr}"
            );
        }
    }
}

/// `audit --update-baseline` dropped the entries of files it skipped (here, a file turned
/// binary) and called it progress. They are kept, and the report says which and why.
#[test]
fn issue_19_update_baseline_keeps_the_entries_of_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "keep.py",
        "def f(cur):\n    cur.execute(\"UPDATE orders_legacy SET a = 1\")\n",
    );
    let (code, _, stderr) = run(cutover()
        .args(["audit", "--update-baseline", "--allow-new"])
        .arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    let baseline = dir.path().join("cutover-baseline.json");
    let before = std::fs::read_to_string(&baseline).unwrap();
    assert!(before.contains("keep.py"), "{before}");

    // The file becomes unreadable as text: a NUL byte in its first block.
    write(
        dir.path(),
        "keep.py",
        "\0def f(cur):\n    cur.execute(\"UPDATE orders_legacy SET a = 1\")\n",
    );
    let (code, stdout, stderr) = run(cutover().args(["audit"]).arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains("removed: run"),
        "a skipped file is not progress: {stdout}"
    );
    assert!(stdout.contains("keep.py: 1 reference (binary)"), "{stdout}");

    let (code, stdout, stderr) = run(cutover()
        .args(["audit", "--update-baseline"])
        .arg(dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("baseline entries kept for 1 file"),
        "{stdout}"
    );
    assert!(stdout.contains("(0 removed, 0 added)"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&baseline).unwrap(), before);
}

/// A repository with enough findings that every report overflows a pipe's buffer, in a git
/// repository so that `burndown` and the report's history run too.
fn big_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cutover.toml",
        "[[tables]]\nname = \"orders_legacy\"\nreplacement = \"orders\"\nphase = \"dual-write\"\n",
    );
    let sql: String = (0..1500)
        .map(|i| format!("UPDATE orders_legacy SET status = 'n{i}' WHERE id = {i};\n"))
        .collect();
    write(dir.path(), "db/big.sql", &sql);
    let log: String = (0..1500)
        .map(|i| {
            format!(
                "2024-05-01 10:00:00.000 UTC [{i}] LOG:  statement: UPDATE orders_legacy SET c{i} = 1\n"
            )
        })
        .collect();
    write(dir.path(), "pg.log", &log);
    let repo = git2::Repository::init(dir.path()).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("cutover.toml")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "init", &tree, &[])
        .unwrap();
    dir
}

/// Start `args` in `dir`, read the first 100 bytes of its output and close the pipe, as
/// `| head -c 100` does: (exit code, stderr).
fn closed_early(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 100];
    let _ = stdout.read_exact(&mut head);
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--format json | head -c 100` ended with "Broken pipe" and exit 2: serde_json wraps the
/// I/O error and hides it from the error chain. A closed pipe is a clean exit, for every
/// command and format.
#[test]
fn issue_19_a_pipe_closed_early_is_a_clean_exit_for_every_command_and_format() {
    let dir = big_repo();
    let cases: &[(&[&str], &[&str])] = &[
        (&["inventory"], &["text", "json", "jsonl"]),
        (&["logs", "pg.log"], &["text", "json", "jsonl"]),
        (&["logs", "pg.log", "--doctor"], &["text", "json"]),
        (
            &["audit", "--changed-since", "HEAD"],
            &["text", "json", "jsonl", "sarif", "github", "gitlab"],
        ),
        (&["plan"], &["text", "json", "dot", "mermaid"]),
        (&["dual-write"], &["text", "json"]),
        (&["report", "--logs", "pg.log"], &["html", "md"]),
        (&["burndown"], &["text", "csv", "json"]),
    ];
    for (command, formats) in cases {
        for format in *formats {
            let mut args = command.to_vec();
            args.extend(["--format", format]);
            let (code, stderr) = closed_early(dir.path(), &args);
            assert_eq!(stderr, "", "{args:?}");
            // 0, or the verdict of a check whose whole report fit in the pipe (dual-write
            // finds the uncovered writers of `big.sql`); never 2, the error.
            let verdict = if args[0] == "dual-write" { 1 } else { 0 };
            assert!(code == 0 || code == verdict, "{args:?}: exit {code}");
        }
    }
}

/// The report's title names the repository, not `.`.
#[test]
fn issue_19_the_report_title_names_the_repository() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("shop-api");
    write(&dir, "cutover.toml", CONFIG);
    write(
        &dir,
        "a.py",
        "def f(cur):\n    cur.execute(\"DELETE FROM orders_legacy\")\n",
    );
    let (code, stdout, stderr) =
        run(cutover()
            .current_dir(&dir)
            .args(["report", "--no-history", "--format", "md", "."]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("# Legacy table writers in `shop-api`"),
        "{stdout}"
    );
}

/// libgit2's class and code numbers are translated into a sentence.
#[test]
fn issue_19_git_errors_are_sentences() {
    let dir = big_repo();
    for args in [
        &["burndown", "--rev", "no-such-branch"][..],
        &["audit", "--changed-since", "no-such-branch"],
    ] {
        let (code, _, stderr) = run(cutover().current_dir(dir.path()).args(args));
        assert_eq!(code, 2, "{args:?}");
        assert!(stderr.contains("no-such-branch"), "{stderr}");
        assert!(
            !stderr.contains("class=") && !stderr.contains("code="),
            "{stderr}"
        );
    }
}
