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

/// A repository whose file name, code and log client carry a newline plus a workflow
/// command, terminal escapes and a bidi override.
fn hostile_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "evil\n::error file=x::pwned\u{1b}[2J.py",
        "def purge(cur):\n    cur.execute(\"UPDATE orders_legacy SET a = '\u{1b}]0;title\u{7}\u{202e}'\")\n",
    );
    dir
}

/// No control character from scanned text reaches the terminal or the CI log: no ESC or
/// BEL, no line that starts a workflow command other than cutover's own annotations.
fn assert_terminal_safe(what: &str, out: &str) {
    assert!(!out.contains('\u{1b}'), "{what}: raw ESC in {out:?}");
    assert!(!out.contains('\u{7}'), "{what}: raw BEL in {out:?}");
    assert!(
        !out.contains('\u{202e}'),
        "{what}: raw bidi override in {out:?}"
    );
    for line in out.lines() {
        assert!(
            !line.starts_with("::error file=x::pwned"),
            "{what}: injected workflow command {line:?}"
        );
    }
}

#[test]
fn issue_19_control_characters_are_escaped_in_every_human_readable_format() {
    let dir = hostile_repo();
    let root = dir.path();
    let (code, stdout, stderr) = run(cutover().arg("inventory").arg(root));
    assert_eq!(code, 0, "{stderr}");
    assert_terminal_safe("inventory text", &stdout);
    assert!(
        stdout.contains("evil\\n::error file=x::pwned\\x1b[2J.py:2"),
        "{stdout}"
    );

    // An empty baseline: the reference is new, so audit shows it with its code frame.
    write(
        root,
        "cutover-baseline.json",
        "{\"version\": 1, \"references\": []}\n",
    );
    for format in ["text", "github"] {
        let (code, stdout, stderr) = run(cutover().args(["audit", "--format", format]).arg(root));
        assert_eq!(code, 1, "{format}: {stderr}");
        assert!(
            stdout.contains("pwned"),
            "{format}: the file is reported\n{stdout}"
        );
        assert_terminal_safe(format, &stdout);
    }
    let (_, stdout, _) = run(cutover().args(["plan"]).arg(root));
    assert_terminal_safe("plan", &stdout);
    let (_, stdout, _) = run(cutover()
        .args(["report", "--no-history", "--format", "md"])
        .arg(root));
    assert_terminal_safe("report md", &stdout);
    let out = cutover()
        .args(["report", "--no-history", "--format", "html"])
        .arg(root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let html = out.stdout;
    assert!(!html.contains(&0), "NUL in the HTML report");
    assert_terminal_safe("report html", &String::from_utf8(html).unwrap());

    // A database client is less trusted than the repository.
    let log = write(
        root,
        "pg.log",
        "2024-05-01 10:00:00.000 UTC [42] app=\u{1b}[31mevil\u{7} LOG:  statement: UPDATE orders_legacy SET a = 1\n",
    );
    let (code, stdout, stderr) = run(cutover()
        .current_dir(root)
        .args(["logs", "--log-line-prefix", "%m [%p] app=%a "])
        .arg(&log));
    assert_eq!(code, 0, "{stderr}");
    assert_terminal_safe("logs", &stdout);
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

/// The exit code of `args` run in `dir` with its output read to the end.
fn exit_code(dir: &Path, args: &[&str]) -> i32 {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .code()
        .unwrap_or(-1)
}

/// `cutover audit | head` in a CI step: the gate still fails when the check fails, though
/// the reader went away before the report was written.
#[test]
fn issue_19_an_audit_that_fails_fails_with_its_stdout_closed() {
    let dir = big_repo();
    // A baseline from before `big.sql`: its 1,500 updates are new references.
    let sql = dir.path().join("db/big.sql");
    std::fs::rename(&sql, dir.path().join("big.sql.aside")).unwrap();
    let base = [
        "audit",
        "--baseline",
        "b.json",
        "--update-baseline",
        "--allow-new",
    ];
    assert_eq!(exit_code(dir.path(), &base), 0);
    std::fs::rename(dir.path().join("big.sql.aside"), &sql).unwrap();
    let (code, stderr) = closed_early(dir.path(), &["audit", "--baseline", "b.json"]);
    assert_eq!((code, stderr.as_str()), (1, ""));
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
        // The verdict does not depend on the format: one full run per command.
        let verdict = exit_code(dir.path(), command);
        for format in *formats {
            let mut args = command.to_vec();
            args.extend(["--format", format]);
            let (code, stderr) = closed_early(dir.path(), &args);
            assert_eq!(stderr, "", "{args:?}");
            // The verdict of the whole run (dual-write finds the uncovered writers of
            // `big.sql`: 1), never 2, the error.
            assert_eq!(code, verdict, "{args:?}");
        }
    }
    let (code, stderr) = closed_early(dir.path(), &["completions", "bash"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}

/// `inventory --logs a.log PATH` took PATH for a second log. `--logs` takes one file per
/// flag, and the error says so when a second file follows.
#[test]
fn issue_19_logs_takes_one_file_per_flag() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    let log = write(
        dir.path(),
        "a.log",
        "2024-05-01 10:00:00.000 UTC [1] LOG:  statement: SELECT 1\n",
    );
    let (code, stdout, stderr) =
        run(cutover()
            .current_dir(dir.path())
            .args(["inventory", "--logs", "a.log", "."]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("runtime evidence (a.log"), "{stdout}");
    let (code, _, stderr) =
        run(cutover()
            .current_dir(dir.path())
            .args(["inventory", "--logs", "a.log", "b.log", "."]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--logs takes one file"), "{stderr}");
    let (code, _, stderr) = run(cutover()
        .current_dir(dir.path())
        .args(["report", "--logs"])
        .arg(&log)
        .arg("b.log"));
    assert_eq!(code, 2);
    assert!(stderr.contains("--logs takes one file"), "{stderr}");
}

#[test]
fn issue_19_completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = run(cutover().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(
            stdout.contains("inventory") && stdout.contains("format"),
            "{shell}"
        );
    }
}

/// One layout for every command: arguments, the command's options, `Input`, `Output`
/// (with `-o/--output` and `--color` wherever a report is written), then examples.
#[test]
fn issue_19_every_help_has_the_same_layout_and_examples() {
    for command in [
        "inventory",
        "logs",
        "burndown",
        "audit",
        "plan",
        "dual-write",
        "report",
        "db",
    ] {
        let (code, stdout, _) = run(cutover().args([command, "--help"]));
        assert_eq!(code, 0);
        let at = |s: &str| {
            stdout
                .find(s)
                .unwrap_or_else(|| panic!("{command}: no {s:?}\n{stdout}"))
        };
        assert!(at("Options:") < at("Input:"), "{command}");
        assert!(at("Input:") < at("Output:"), "{command}");
        assert!(at("Output:") < at("Examples:"), "{command}");
        assert!(stdout.contains("-o, --output <FILE>"), "{command}");
        assert!(stdout.contains("--color <WHEN>"), "{command}");
        let examples = stdout[at("Examples:")..]
            .lines()
            .filter(|l| l.trim_start().starts_with("cutover "))
            .count();
        assert!(
            (2..=3).contains(&examples),
            "{command}: {examples} examples"
        );
    }
    let (_, stdout, _) = run(cutover().args(["completions", "--help"]));
    assert!(stdout.contains("Examples:"));
}

/// `--color auto|always|never`, `NO_COLOR`, `CLICOLOR_FORCE` and `FORCE_COLOR`, for every
/// command's text output (not only audit's).
#[test]
fn issue_19_colour_follows_the_flag_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "a.py",
        "def f(cur):\n    cur.execute(\"DELETE FROM orders_legacy\")\n",
    );
    let colored = |extra: &[&str], env: &[(&str, &str)]| -> bool {
        let mut cmd = cutover();
        cmd.current_dir(dir.path()).args(["inventory"]).args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let (code, stdout, stderr) = run(&mut cmd);
        assert_eq!(code, 0, "{stderr}");
        stdout.contains('\u{1b}')
    };
    assert!(!colored(&[], &[]), "not a terminal");
    assert!(colored(&["--color", "always"], &[]));
    assert!(colored(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(colored(&[], &[("FORCE_COLOR", "1")]));
    assert!(!colored(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    for command in [&["plan"][..], &["dual-write"], &["logs", "a.log"]] {
        if command[0] == "logs" {
            write(
                dir.path(),
                "a.log",
                "2024-05-01 10:00:00.000 UTC [1] LOG:  statement: DELETE FROM orders_legacy\n",
            );
        }
        let (code, stdout, stderr) = run(cutover()
            .current_dir(dir.path())
            .args(command)
            .args(["--color", "always"]));
        assert_eq!(code, 0, "{command:?}: {stderr}");
        assert!(stdout.contains("\u{1b}["), "{command:?}: no colour");
        // JSON is never coloured.
        let (_, stdout, _) = run(cutover()
            .current_dir(dir.path())
            .args(command)
            .args(["--color", "always", "--format", "json"]));
        assert!(!stdout.contains('\u{1b}'), "{command:?}");
    }
}

/// `-o/--output` on every command that writes a report, through the atomic writer.
#[test]
fn issue_19_every_report_can_be_written_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "a.py",
        "def f(cur):\n    cur.execute(\"DELETE FROM orders_legacy\")\n",
    );
    write(
        dir.path(),
        "a.log",
        "2024-05-01 10:00:00.000 UTC [1] LOG:  statement: DELETE FROM orders_legacy\n",
    );
    for (args, name) in [
        (&["inventory", "--format", "json"][..], "inventory.json"),
        (&["logs", "a.log"], "logs.txt"),
        (
            &[
                "audit",
                "--update-baseline",
                "--allow-new",
                "--format",
                "sarif",
            ],
            "audit.sarif",
        ),
        (&["plan", "--format", "dot"], "plan.dot"),
        (&["dual-write"], "dual-write.txt"),
        (&["report", "--no-history"], "report.html"),
    ] {
        let (code, stdout, stderr) = run(cutover()
            .current_dir(dir.path())
            .args(args)
            .args(["-o", name]));
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?} wrote to stdout too");
        let written = std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert!(!written.is_empty(), "{args:?}");
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

/// A cascade printed as an unexplained `update`: the text inventory shows `via`, and
/// counts say "1 schema change", not "1 schema changes".
#[test]
fn issue_19_text_inventory_shows_via_and_plurals() {
    let prisma = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/orm/prisma");
    let (code, stdout, stderr) = run(cutover().arg("inventory").arg(prisma));
    assert_eq!(code, 0, "{stderr}");
    let jsonl = run(cutover()
        .args(["inventory", "--format", "jsonl"])
        .arg(prisma))
    .1;
    let mut with_via = 0;
    for line in jsonl.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(via) = f["via"].as_array() {
            let chain: Vec<&str> = via.iter().map(|v| v.as_str().unwrap()).collect();
            let shown = format!(" via {}", chain.join(" → "));
            assert!(stdout.contains(&shown), "{shown}\n{stdout}");
            with_via += 1;
        }
    }
    assert!(with_via > 0, "the fixture has cascades");

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "schema.sql",
        "CREATE TABLE orders_legacy (id int);\n",
    );
    let (_, stdout, _) = run(cutover().arg("inventory").arg(dir.path()));
    assert!(
        stdout.contains("0 writers, 0 readers, 1 schema change, 0 model declarations"),
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

/// Issue 19, "aborts and cliffs" and "nothing vanishes": each hostile file, generated here,
/// is reported with its file and reason, the run goes on to find the write in the ordinary
/// file, and `--strict` exits 3.
#[test]
fn issue_19_hostile_files_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cutover.toml", CONFIG);
    write(
        dir.path(),
        "app/ok.py",
        "def f(cur):\n    cur.execute(\"DELETE FROM orders_legacy WHERE id = 0\")\n",
    );
    // 600 indentation levels: tree-sitter's Python scanner aborts the process past 511.
    let mut deep = String::from("def purge(cur):\n");
    for level in 1..=600 {
        deep.push_str(&format!("{}if cur:\n", " ".repeat(level)));
    }
    deep.push_str(&format!(
        "{}cur.execute(\"DELETE FROM orders_legacy\")\n",
        " ".repeat(601)
    ));
    write(dir.path(), "app/deep.py", &deep);
    // A NUL byte past the first 8 KiB ended the parse there.
    write(
        dir.path(),
        "app/nul.py",
        &format!(
            "# {}\0\ndef f(cur):\n    cur.execute(\"DELETE FROM orders_legacy WHERE id = 3\")\n",
            "x".repeat(9000)
        ),
    );
    // A parenthesised concatenation 40 deep, in each language.
    let mut concat = String::from("\"DELETE FROM orders_legacy WHERE id = 1\"");
    for _ in 0..40 {
        concat = format!("({concat} + \" \")");
    }
    write(
        dir.path(),
        "app/concat.py",
        &format!("def f(cur):\n    cur.execute({concat})\n"),
    );
    write(
        dir.path(),
        "web/concat.ts",
        &format!("export function f(db) {{\n  db.query({concat});\n}}\n"),
    );
    write(
        dir.path(),
        "svc/concat.go",
        &format!("package svc\n\nfunc f(db *sql.DB) {{\n\tdb.Exec({concat})\n}}\n"),
    );
    // An unterminated comment and an unterminated quote in .sql files hid what follows.
    write(
        dir.path(),
        "db/comment.sql",
        "SELECT 1; /* never closed\nDELETE FROM orders_legacy WHERE id = 4;\n",
    );
    write(
        dir.path(),
        "db/quote.sql",
        "SELECT 'never closed;\nUPDATE orders_legacy SET a = 5;\n",
    );
    // One 900 KB line of minified JavaScript that mentions the table: skipped as generated.
    let filler = "var a=function(b,c){return b+c*2};".repeat(1_350);
    let line: Vec<String> = (0..20)
        .map(|i| format!("db.query(\"SELECT * FROM orders_legacy WHERE id={i}\");{filler}"))
        .collect();
    let bundle = format!("{}\n", line.join(""));
    assert!(bundle.len() > 900_000);
    write(dir.path(), "web/app.js", &bundle);

    let started = std::time::Instant::now();
    let (code, stdout, stderr) =
        run(cutover()
            .current_dir(dir.path())
            .args(["inventory", ".", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let problems: Vec<(String, String)> = doc["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap().to_string(),
                p["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (file, reason) in [
        ("app/deep.py", "too_deep"),
        ("app/nul.py", "nul_bytes"),
        ("app/concat.py", "too_complex"),
        ("web/concat.ts", "too_complex"),
        ("svc/concat.go", "too_complex"),
        ("db/comment.sql", "syntax_error"),
        ("db/quote.sql", "syntax_error"),
        ("web/app.js", "generated"),
    ] {
        assert!(
            problems.contains(&(file.to_string(), reason.to_string())),
            "{file}: {reason} missing from {problems:?}"
        );
    }
    let found: Vec<(String, u64)> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for site in [
        ("app/ok.py", 2),
        ("app/nul.py", 3),
        ("db/comment.sql", 2),
        ("db/quote.sql", 2),
    ] {
        assert!(
            found.contains(&(site.0.to_string(), site.1)),
            "{site:?} missing from {found:?}"
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "no cliff: {:?}",
        started.elapsed()
    );

    let (code, _, _) = run(cutover()
        .current_dir(dir.path())
        .args(["inventory", ".", "--strict"]));
    assert_eq!(code, 3);

    // `--include-generated` scans the bundle.
    let (code, stdout, stderr) = run(cutover().current_dir(dir.path()).args([
        "inventory",
        ".",
        "--include-generated",
        "--format",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let bundle = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"] == "web/app.js")
        .count();
    assert_eq!(bundle, 20);
}
