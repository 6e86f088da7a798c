//! `cutover db` against real servers: each test starts its own throwaway PostgreSQL or
//! MariaDB on loopback (a temporary data directory, a random free port, a private socket
//! directory), loads `fixtures/db/<server>.sql` (a trigger that writes another table, views,
//! functions, a cascade, grants for three roles…), runs a small workload, and checks what
//! `cutover db`, `--db`, `--watch` and the write lock report.
//!
//! Needs Debian's `postgresql` and `mariadb-server` (`.ci/run` installs them). Without them
//! the tests fail under CI (`CI` or `CUTOVER_REQUIRE_DB` set) and print a notice and pass
//! elsewhere. Servers refuse to run as root: as root, they run as the `postgres` or `mysql`
//! user (else `nobody`) through `runuser`.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

fn db_required() -> bool {
    ["CI", "CUTOVER_REQUIRE_DB"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|s| !s.is_empty() && s != "0" && s != "false"))
}

/// `Some(path)`, or `None` with a notice when the test may be skipped.
fn require(what: &str, found: Option<PathBuf>, package: &str) -> Option<PathBuf> {
    match found {
        Some(p) => Some(p),
        None if db_required() => {
            panic!(
                "{what} is not installed, and CI requires the database tests: apt-get install {package}"
            )
        }
        None => {
            #[expect(clippy::print_stderr, reason = "tell the developer why nothing ran")]
            {
                eprintln!("SKIPPED db_live: {what} not found (apt-get install {package})");
            }
            None
        }
    }
}

fn is_root() -> bool {
    Process::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The unprivileged user servers run as when the tests run as root.
fn service_user(preferred: &str) -> String {
    for user in [preferred, "nobody"] {
        if Process::new("id")
            .arg("-u")
            .arg(user)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
        {
            return user.to_string();
        }
    }
    panic!("no unprivileged user to run the server as (tried {preferred}, nobody)");
}

/// A command that runs as `user` when we are root, else as ourselves.
fn as_user(user: Option<&str>, program: &Path) -> Process {
    match user {
        Some(u) => {
            let mut c = Process::new("runuser");
            c.arg("-u").arg(u).arg("--").arg(program);
            c
        }
        None => Process::new(program),
    }
}

fn run_ok(mut c: Process, what: &str) -> String {
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A temporary directory the server user can write.
fn server_dir(user: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("cutover-db-")
        .tempdir()
        .unwrap();
    if let Some(u) = user {
        run_ok(
            {
                let mut c = Process::new("chown");
                c.arg("-R").arg(u).arg(dir.path());
                c
            },
            "chown",
        );
    }
    dir
}

// ---------------------------------------------------------------- PostgreSQL

struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    user: Option<String>,
    port: u16,
}

fn postgres_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PG_BIN") {
        return Some(PathBuf::from(p));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

impl Postgres {
    fn start() -> Option<Postgres> {
        let bin = require("PostgreSQL (initdb)", postgres_bin(), "postgresql")?;
        let user = is_root().then(|| service_user("postgres"));
        let dir = server_dir(user.as_deref());
        let data = dir.path().join("data");
        let mut init = as_user(user.as_deref(), &bin.join("initdb"));
        init.args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .args(["--locale", "C", "-D"])
            .arg(&data);
        run_ok(init, "initdb");
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all",
            dir.path().display()
        );
        let mut ctl = as_user(user.as_deref(), &bin.join("pg_ctl"));
        ctl.arg("-D")
            .arg(&data)
            .args(["-w", "-t", "60", "-o", &options, "-l"])
            .arg(dir.path().join("server.log"))
            .arg("start");
        run_ok(ctl, "pg_ctl start");
        Some(Postgres {
            bin,
            dir,
            user,
            port,
        })
    }

    fn url(&self, user: &str, db: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/{db}", self.port)
    }

    fn psql(&self, user: &str, db: &str) -> Process {
        let mut c = Process::new(self.bin.join("psql"));
        c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", user, "-d", db]);
        c
    }

    fn sql(&self, user: &str, db: &str, sql: &str) -> String {
        let mut c = self.psql(user, db);
        c.args(["-At", "-c", sql]);
        run_ok(c, &format!("psql -c {sql}"))
    }

    /// Run `sql` and return (success, stderr).
    fn try_sql(&self, user: &str, db: &str, sql: &str) -> (bool, String) {
        let mut c = self.psql(user, db);
        c.args(["-At", "-c", sql]);
        let out = c.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn file(&self, db: &str, path: &Path) {
        let mut c = self.psql("postgres", db);
        c.arg("-f").arg(path);
        run_ok(c, &format!("psql -f {}", path.display()));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut c = as_user(self.user.as_deref(), &self.bin.join("pg_ctl"));
        c.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = c.status();
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A configuration naming the legacy tables, in a fresh directory.
fn config_dir(toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cutover.toml"), toml).unwrap();
    dir
}

const TABLES: &str = r#"
[[tables]]
name = "orders_legacy"
replacement = "orders"
phase = "dual-write"

[[tables]]
name = "order_items_legacy"

[[tables]]
name = "order_events_legacy"

[[tables]]
name = "order_notes_legacy"
"#;

fn cutover(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("cutover").unwrap();
    c.current_dir(dir).env_remove("CUTOVER_DATABASE_URL");
    c
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", String::from_utf8_lossy(out));
    })
}

fn table<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {doc:#}"))
}

/// (location, access, operation) of every object of a table.
fn objects(t: &Value) -> Vec<(String, String, String)> {
    t["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["location"].as_str().unwrap().to_string(),
                o["access"].as_str().unwrap().to_string(),
                o["operation"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn has(list: &[(String, String, String)], location: &str, access: &str, op: &str) -> bool {
    list.iter()
        .any(|(l, a, o)| l == location && a == access && o == op)
}

fn may_write<'a>(t: &'a Value, role: &str) -> Option<&'a Value> {
    t["may_write"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == role)
}

#[test]
fn postgres_catalog_grants_counters_and_write_lock() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.sql("postgres", "postgres", "CREATE DATABASE shop");
    pg.file("shop", &fixture("fixtures/db/postgres.sql"));
    // A small workload: billing inserts, worker updates, the trigger on orders writes the
    // legacy table, reporter reads.
    pg.sql(
        "postgres",
        "shop",
        "INSERT INTO customers VALUES (1, 'a'), (2, 'b'); INSERT INTO orders VALUES (1, 'open')",
    );
    for _ in 0..3 {
        pg.sql(
            "billing",
            "shop",
            "INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES (1, 'open', 100)",
        );
    }
    pg.sql(
        "worker",
        "shop",
        "UPDATE orders_legacy SET status = 'paid' WHERE id = 2",
    );
    pg.sql(
        "worker",
        "shop",
        "UPDATE orders SET status = 'open' WHERE id = 1",
    );
    pg.sql("reporter", "shop", "SELECT count(*) FROM orders_legacy");
    let dir = config_dir(TABLES);

    let out = cutover(dir.path())
        .args([
            "db",
            "--format",
            "json",
            "--url",
            &pg.url("postgres", "shop"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["server"], "postgresql");
    let orders = table(&doc, "orders_legacy");
    assert_eq!(orders["relation"], "public.orders_legacy");
    assert_eq!(orders["owner"], "shop_owner");
    assert_eq!(orders["row_security"], true);
    let o = objects(orders);
    // Triggers: its own, and the one on the replacement that writes it (through its function).
    assert!(
        has(
            &o,
            "trigger orders_audit ON orders_legacy",
            "declare",
            "declare"
        ),
        "{o:#?}"
    );
    assert!(
        has(&o, "trigger orders_mirror ON orders", "write", "update"),
        "{o:#?}"
    );
    // Routines whose bodies read or write it.
    assert!(
        has(&o, "function archive_orders()", "write", "delete"),
        "{o:#?}"
    );
    assert!(
        has(&o, "function open_order_count()", "read", "select"),
        "{o:#?}"
    );
    assert!(
        has(
            &o,
            "procedure close_order(IN p_id bigint)",
            "write",
            "update"
        ),
        "{o:#?}"
    );
    // Views, through another view, and a materialized view: from pg_depend.
    assert!(has(&o, "view v_open_orders", "read", "select"), "{o:#?}");
    assert!(
        has(&o, "view v_open_order_count", "read", "select"),
        "{o:#?}"
    );
    assert!(
        has(&o, "materialized view mv_order_totals", "read", "select"),
        "{o:#?}"
    );
    // A rule on another table that writes it.
    assert!(
        has(
            &o,
            "rule forward_requests ON order_requests",
            "write",
            "insert"
        ),
        "{o:#?}"
    );
    // Foreign keys: the cascade from customers writes it; order_items_legacy reads it.
    assert!(
        has(
            &o,
            "foreign key orders_legacy_customer_id_fkey ON orders_legacy",
            "write",
            "delete"
        ),
        "{o:#?}"
    );
    assert!(
        has(
            &o,
            "foreign key order_items_legacy_order_id_fkey ON order_items_legacy",
            "read",
            "references"
        ),
        "{o:#?}"
    );
    // Sequence, publication, policies.
    assert!(
        has(&o, "sequence orders_legacy_id_seq", "declare", "declare"),
        "{o:#?}"
    );
    assert!(
        has(&o, "publication orders_pub", "read", "select"),
        "{o:#?}"
    );
    assert!(
        has(
            &o,
            "policy billing_rows ON orders_legacy",
            "declare",
            "declare"
        ),
        "{o:#?}"
    );
    // The trigger on orders_legacy writes order_audit (not legacy): not a writer here; but
    // order_items_legacy is written by the cascade from orders_legacy.
    let items = objects(table(&doc, "order_items_legacy"));
    assert!(
        has(
            &items,
            "foreign key order_items_legacy_order_id_fkey ON order_items_legacy",
            "write",
            "delete"
        ),
        "{items:#?}"
    );
    let events = objects(table(&doc, "order_events_legacy"));
    assert!(
        has(
            &events,
            "partition order_events_2026 OF order_events_legacy",
            "declare",
            "declare"
        ),
        "{events:#?}"
    );

    // A subscription that replicates the table into another database writes it there.
    pg.sql("postgres", "postgres", "CREATE DATABASE replica");
    pg.sql(
        "postgres",
        "replica",
        "CREATE TABLE orders_legacy (id bigint PRIMARY KEY, customer_id bigint, status text, total_cents bigint)",
    );
    pg.sql(
        "postgres",
        "replica",
        &format!(
            "CREATE SUBSCRIPTION orders_sub CONNECTION 'host=127.0.0.1 port={} dbname=shop user=postgres' \
             PUBLICATION orders_pub WITH (create_slot = false, slot_name = NONE, enabled = false)",
            pg.port
        ),
    );
    let out = cutover(dir.path())
        .args([
            "db",
            "--format",
            "json",
            "--table",
            "orders_legacy",
            "--url",
            &pg.url("postgres", "replica"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let replica = json_of(&out);
    let r = objects(table(&replica, "orders_legacy"));
    assert!(
        has(&r, "subscription orders_sub", "write", "insert"),
        "{r:#?}"
    );

    // Who may write: directly, through membership, the owner, superusers; not the reader.
    let billing = may_write(orders, "billing").expect("billing may write");
    assert_eq!(
        billing["privileges"],
        serde_json::json!(["insert", "update"])
    );
    assert!(
        billing["how"].to_string().contains("granted directly"),
        "{billing}"
    );
    let worker = may_write(orders, "worker").expect("worker may write");
    assert!(
        worker["how"]
            .to_string()
            .contains("member of order_writers"),
        "{worker}"
    );
    assert_eq!(
        worker["privileges"],
        serde_json::json!(["delete", "insert", "update"])
    );
    let owner = may_write(orders, "shop_owner").expect("the owner may write");
    assert!(owner["how"].to_string().contains("owner"), "{owner}");
    assert_eq!(owner["can_login"], false);
    let su = may_write(orders, "postgres").expect("the superuser may write");
    assert!(su["how"].to_string().contains("superuser"), "{su}");
    assert_eq!(su["bypass_rls"], true);
    assert!(may_write(orders, "reporter").is_none());
    assert!(may_write(orders, "auditor").is_none());

    // Live counters and pg_stat_statements.
    let c = &orders["counters"];
    assert!(c["inserts"].as_u64().unwrap() >= 3, "{c}");
    assert!(c["updates"].as_u64().unwrap() >= 2, "{c}");
    assert!(c["live_rows"].is_u64(), "{c}");
    assert!(c["seq_scans"].is_u64(), "{c}");
    let statements = orders["pg_stat_statements"].as_array().unwrap();
    assert!(
        statements
            .iter()
            .any(|s| s["access"] == "write"
                && s["client"].as_str().unwrap().contains("user=billing")),
        "{statements:#?}"
    );

    // Text output: the same facts, and never the password.
    let text_out = cutover(dir.path())
        .args(["db", "--table", "orders_legacy"])
        .env(
            "CUTOVER_DATABASE_URL",
            pg.url("postgres:pw-never-shown", "shop"),
        )
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text_out = String::from_utf8(text_out).unwrap();
    assert!(
        text_out.contains("trigger orders_mirror ON orders  update"),
        "{text_out}"
    );
    assert!(text_out.contains("may write ("), "{text_out}");
    assert!(!text_out.contains("pw-never-shown"), "{text_out}");

    // --logs: billing and worker wrote; intruder wrote nothing it could; a log user that
    // holds no grant shows up.
    let log = dir.path().join("pg_stat_statements.csv");
    std::fs::write(
        &log,
        "rolname,datname,query,calls\n\
         billing,shop,\"INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES ($1, $2, $3)\",3\n\
         ghost,shop,\"DELETE FROM orders_legacy WHERE id = $1\",1\n",
    )
    .unwrap();
    let out = cutover(dir.path())
        .args([
            "db",
            "--format",
            "json",
            "--url",
            &pg.url("postgres", "shop"),
            "--logs",
        ])
        .arg(&log)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    let logs = &table(&doc, "orders_legacy")["logs"];
    let never: Vec<&str> = logs["never_wrote"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        never.contains(&"worker") && !never.contains(&"billing"),
        "{logs}"
    );
    assert_eq!(logs["wrote_without_grant"], serde_json::json!(["ghost"]));

    // --watch: writes during the interval show as writes per second now.
    let url = pg.url("postgres", "shop");
    let watcher = std::thread::spawn({
        let dir = dir.path().to_path_buf();
        move || {
            cutover(&dir)
                .args([
                    "db",
                    "--format",
                    "json",
                    "--watch",
                    "3s",
                    "--table",
                    "orders_legacy",
                    "--url",
                    &url,
                ])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone()
        }
    });
    std::thread::sleep(Duration::from_millis(1200));
    for _ in 0..5 {
        pg.sql(
            "billing",
            "shop",
            "INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES (2, 'open', 5)",
        );
    }
    let doc = json_of(&watcher.join().unwrap());
    let watch = &table(&doc, "orders_legacy")["watch"];
    assert!(watch["inserts"].as_u64().unwrap() >= 5, "{watch}");
    assert!(
        watch["writes_per_second"].as_f64().unwrap() > 0.0,
        "{watch}"
    );

    // --db on inventory, report and plan: the objects become db_object findings.
    let repo = config_dir(TABLES);
    std::fs::write(
        repo.path().join("app.py"),
        "cursor.execute('SELECT id FROM orders_legacy')\n",
    )
    .unwrap();
    let out = cutover(repo.path())
        .args([
            "inventory",
            ".",
            "--format",
            "jsonl",
            "--db",
            &pg.url("postgres", "shop"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().any(|f| f["kind"] == "db_object"
        && f["file"] == "function archive_orders()"
        && f["access"] == "write"
        && f["table"] == "orders_legacy"));
    assert!(lines.iter().any(|f| f["kind"] == "db_object"
        && f["file"] == "trigger orders_mirror ON orders"
        && f["via"][0] == "function mirror_to_legacy()"));
    assert!(
        lines
            .iter()
            .any(|f| f["kind"] == "raw_sql" && f["file"] == "app.py")
    );
    let html = cutover(repo.path())
        .args([
            "report",
            ".",
            "--no-history",
            "--format",
            "md",
            "--db",
            &pg.url("postgres", "shop"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("### Database ("), "{html}");
    assert!(html.contains("trigger orders_mirror ON orders"), "{html}");
    assert!(html.contains("Who may write"), "{html}");
    let page = cutover(repo.path())
        .args([
            "report",
            ".",
            "--no-history",
            "--format",
            "html",
            "--db",
            &pg.url("postgres", "shop"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8(page)
            .unwrap()
            .contains("<h3>Database <span")
    );
    let plan = cutover(repo.path())
        .args(["plan", ".", "--db", &pg.url("postgres", "shop")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let plan = String::from_utf8(plan).unwrap();
    assert!(
        plan.contains("the database writes orders_legacy: trigger orders_mirror ON orders"),
        "{plan}"
    );

    // The write lock: printed without --apply (nothing changes), then applied; a write from
    // psql fails naming the table and the migration; unlock-writes restores it.
    let sql = cutover(dir.path())
        .args([
            "db",
            "lock-writes",
            "--table",
            "orders_legacy",
            "--url",
            &pg.url("postgres", "shop"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let sql = String::from_utf8(sql).unwrap();
    assert!(sql.contains("CREATE TRIGGER cutover_lock_writes"), "{sql}");
    assert!(sql.contains("not applied"), "{sql}");
    let insert = "INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES (1, 'x', 1)";
    assert!(
        pg.try_sql("billing", "shop", insert).0,
        "no lock without --apply"
    );
    let lock = |extra: &[&str]| {
        cutover(dir.path())
            .args([
                "db",
                "--url",
                &pg.url("postgres", "shop"),
                "--table",
                "orders_legacy",
            ])
            .args(extra)
            .assert()
            .success();
    };
    lock(&["lock-writes", "--apply"]);
    let (ok, err) = pg.try_sql("billing", "shop", insert);
    assert!(!ok, "a write after lock-writes must fail");
    assert!(
        err.contains("writes to public.orders_legacy are locked for the migration to orders"),
        "{err}"
    );
    // The owner and the superuser are stopped by the trigger too.
    let (ok, err) = pg.try_sql("postgres", "shop", "DELETE FROM orders_legacy");
    assert!(!ok && err.contains("are locked"), "{err}");
    lock(&["unlock-writes", "--apply"]);
    let (ok, err) = pg.try_sql("billing", "shop", insert);
    assert!(ok, "unlock-writes must restore writes: {err}");

    // --revoke also takes the direct grants away; unlocking gives them back.
    let can_insert = |role: &str| {
        pg.sql(
            "postgres",
            "shop",
            &format!("SELECT has_table_privilege('{role}', 'orders_legacy', 'INSERT')"),
        )
        .trim()
            == "t"
    };
    lock(&["lock-writes", "--revoke", "--apply"]);
    assert!(!can_insert("billing") && !can_insert("worker"));
    let (ok, err) = pg.try_sql("billing", "shop", insert);
    assert!(!ok && err.contains("permission denied"), "{err}");
    lock(&["unlock-writes", "--apply"]);
    assert!(can_insert("billing") && can_insert("worker"));
    let (ok, err) = pg.try_sql("worker", "shop", insert);
    assert!(ok, "unlock-writes must restore writes and grants: {err}");

    // A dropped connection mid-run: nothing is written, exit 2, the reason is given.
    let report = dir.path().join("db.json");
    let url = pg.url("postgres", "shop");
    let killer = std::thread::spawn({
        let dir = dir.path().to_path_buf();
        let report = report.clone();
        move || {
            cutover(&dir)
                .args([
                    "db", "--format", "json", "--watch", "4s", "--url", &url, "--output",
                ])
                .arg(&report)
                .assert()
                .code(2)
                .get_output()
                .stderr
                .clone()
        }
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let n = pg.sql(
            "postgres",
            "postgres",
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'cutover'",
        );
        if n.trim() != "0" || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = String::from_utf8(killer.join().unwrap()).unwrap();
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(
        !report.exists(),
        "a dropped connection must leave no report"
    );
}

#[test]
fn connection_failure_names_the_host_and_exits_2() {
    let dir = config_dir(TABLES);
    let port = free_port();
    let out = cutover(dir.path())
        .args([
            "db",
            "--url",
            &format!("postgres://app:hunter22@127.0.0.1:{port}/shop"),
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
    assert!(!err.contains("hunter22"), "{err}");
    let out = cutover(dir.path())
        .args([
            "db",
            "--url",
            &format!("mysql://root:hunter22@127.0.0.1:{port}/shop"),
        ])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(!err.contains("hunter22"), "{err}");
    // No URL at all is a usage error that says where one comes from.
    let out = cutover(dir.path())
        .arg("db")
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("CUTOVER_DATABASE_URL")
    );
}

/// The demo's own schema (`fixtures/demo/db`) in a fresh server: what `cutover db` shows a
/// new user, printed for the record.
#[test]
fn postgres_demo_schema() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.sql("postgres", "postgres", "CREATE DATABASE shop");
    for f in [
        "fixtures/demo/db/migrations/0001_create_orders_legacy.sql",
        "fixtures/demo/db/migrations/0002_orders_status_check.sql",
        "fixtures/demo/db/migrations/0003_create_orders.sql",
        "fixtures/demo/db/triggers/orders_audit.sql",
        "fixtures/demo/db/views/order_summary.sql",
    ] {
        pg.file("shop", &fixture(f));
    }
    pg.sql(
        "postgres",
        "shop",
        "CREATE ROLE billing LOGIN; GRANT INSERT, UPDATE ON orders_legacy, order_items_legacy TO billing",
    );
    let out = cutover(&fixture("fixtures/demo"))
        .args(["db", "--url", &pg.url("postgres", "shop")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    #[expect(clippy::print_stdout, reason = "the demo's output, for the record")]
    {
        println!("{out}");
    }
    assert!(
        out.contains("trigger orders_legacy_status_audit ON orders_legacy"),
        "{out}"
    );
    assert!(out.contains("view customer_order_summary"), "{out}");
    assert!(
        out.contains("delete  DELETE FROM order_items_legacy"),
        "{out}"
    );
}

// ---------------------------------------------------------------- MariaDB

struct Mariadb {
    dir: tempfile::TempDir,
    child: std::process::Child,
    port: u16,
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(PathBuf::from("/usr/sbin"));
    dirs.push(PathBuf::from("/usr/bin"));
    for name in names {
        for d in &dirs {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

impl Mariadb {
    fn start() -> Option<Mariadb> {
        let server = require(
            "MariaDB (mariadbd)",
            which(&["mariadbd", "mysqld"]),
            "mariadb-server",
        )?;
        let install = require(
            "MariaDB (mariadb-install-db)",
            which(&["mariadb-install-db", "mysql_install_db"]),
            "mariadb-server",
        )?;
        let user = is_root().then(|| service_user("mysql"));
        let dir = server_dir(user.as_deref());
        let data = dir.path().join("data");
        let mut init = as_user(user.as_deref(), &install);
        init.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg("--auth-root-authentication-method=normal")
            .arg("--skip-test-db");
        run_ok(init, "mariadb-install-db");
        let port = free_port();
        let mut c = as_user(user.as_deref(), &server);
        c.arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                dir.path().join("mysqld.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mysqld.pid").display()
            ))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--performance-schema=ON")
            .arg("--skip-log-bin")
            .arg("--innodb-buffer-pool-size=32M")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap());
        if let Some(u) = &user {
            c.arg(format!("--user={u}"));
        }
        let child = c.spawn().expect("start mariadbd");
        let db = Mariadb { dir, child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start: {}",
                std::fs::read_to_string(db.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(db)
    }

    fn url(&self, user: &str, db: &str) -> String {
        format!("mysql://{user}@127.0.0.1:{}/{db}", self.port)
    }

    fn client(&self, user: &str, db: &str) -> Process {
        let mut c = Process::new(which(&["mariadb", "mysql"]).expect("the mariadb client"));
        c.args(["--protocol=TCP", "-h", "127.0.0.1", "-N", "-B"])
            .arg(format!("-P{}", self.port))
            .arg(format!("-u{user}"))
            .arg(db);
        c
    }

    fn sql(&self, user: &str, db: &str, sql: &str) -> (bool, String) {
        let mut c = self.client(user, db);
        c.arg("-e").arg(sql);
        let out = c.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn ok(&self, user: &str, db: &str, sql: &str) {
        let (ok, out) = self.sql(user, db, sql);
        assert!(ok, "{sql}: {out}");
    }

    fn file(&self, db: &str, path: &Path) {
        let mut c = self.client("root", db);
        c.stdin(std::fs::File::open(path).unwrap());
        run_ok(c, &format!("mariadb < {}", path.display()));
    }
}

impl Drop for Mariadb {
    fn drop(&mut self) {
        // As root the child is `runuser`, and killing it leaves the server running: stop the
        // server by the pid it wrote, then reap the child.
        let pid_file = self.dir.path().join("mysqld.pid");
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            let _ = Process::new("kill")
                .args(["-KILL", &pid])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mariadb_catalog_grants_counters_and_write_lock() {
    let Some(db) = Mariadb::start() else {
        return;
    };
    db.ok("root", "mysql", "CREATE DATABASE shop");
    db.file("shop", &fixture("fixtures/db/mariadb.sql"));
    db.ok(
        "root",
        "shop",
        "INSERT INTO customers VALUES (1, 'a'); INSERT INTO orders VALUES (1, 'open')",
    );
    for _ in 0..3 {
        db.ok(
            "billing",
            "shop",
            "INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES (1, 'open', 100)",
        );
    }
    db.ok(
        "worker",
        "shop",
        "UPDATE orders_legacy SET status = 'paid' WHERE id = 2",
    );
    let dir = config_dir(TABLES);
    let out = cutover(dir.path())
        .args(["db", "--format", "json", "--url", &db.url("root", "shop")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["server"], "mysql");
    assert!(
        doc["server_version"]
            .as_str()
            .unwrap()
            .starts_with("MariaDB"),
        "{doc}"
    );
    let orders = table(&doc, "orders_legacy");
    assert_eq!(orders["relation"], "shop.orders_legacy");
    let o = objects(orders);
    assert!(
        has(
            &o,
            "trigger orders_audit ON orders_legacy",
            "declare",
            "declare"
        ),
        "{o:#?}"
    );
    assert!(
        has(&o, "trigger orders_mirror ON orders", "write", "update"),
        "{o:#?}"
    );
    assert!(has(&o, "view v_open_orders", "read", "select"), "{o:#?}");
    assert!(
        has(&o, "view v_open_order_count", "read", "select"),
        "{o:#?}"
    );
    assert!(
        has(&o, "procedure archive_orders()", "write", "delete"),
        "{o:#?}"
    );
    assert!(
        has(&o, "function open_order_count()", "read", "select"),
        "{o:#?}"
    );
    assert!(
        has(
            &o,
            "foreign key orders_customer ON orders_legacy",
            "write",
            "delete"
        ),
        "{o:#?}"
    );
    assert!(
        has(
            &o,
            "foreign key items_order ON order_items_legacy",
            "read",
            "references"
        ),
        "{o:#?}"
    );
    let items = objects(table(&doc, "order_items_legacy"));
    assert!(
        has(
            &items,
            "foreign key items_order ON order_items_legacy",
            "write",
            "delete"
        ),
        "{items:#?}"
    );

    let billing = may_write(orders, "billing@%").expect("billing may write");
    assert_eq!(
        billing["privileges"],
        serde_json::json!(["insert", "update"])
    );
    let worker = may_write(orders, "worker@%").expect("worker may write through its role");
    assert!(
        worker["how"]
            .to_string()
            .contains("through role order_writers"),
        "{worker}"
    );
    assert!(may_write(orders, "reporter@%").is_none());
    assert!(may_write(orders, "root@localhost").is_some());

    let c = &orders["counters"];
    assert!(c["inserts"].as_u64().unwrap() >= 3, "{c}");
    assert!(c["updates"].as_u64().unwrap() >= 1, "{c}");

    // The write lock.
    cutover(dir.path())
        .args([
            "db",
            "lock-writes",
            "--table",
            "orders_legacy",
            "--apply",
            "--url",
            &db.url("root", "shop"),
        ])
        .assert()
        .success();
    let insert = "INSERT INTO orders_legacy (customer_id, status, total_cents) VALUES (1, 'x', 1)";
    let (ok, out) = db.sql("billing", "shop", insert);
    assert!(!ok, "a write after lock-writes must fail");
    assert!(
        out.contains("writes to shop.orders_legacy are locked for the migration to orders"),
        "{out}"
    );
    cutover(dir.path())
        .args([
            "db",
            "unlock-writes",
            "--table",
            "orders_legacy",
            "--apply",
            "--url",
            &db.url("root", "shop"),
        ])
        .assert()
        .success();
    let (ok, out) = db.sql("billing", "shop", insert);
    assert!(ok, "unlock-writes must restore writes: {out}");
}
