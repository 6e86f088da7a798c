//! Log parsers on logs written by real servers (fixtures/logs, copied from
//! shared/sample-logs): the counts per (client, table, access) must match the workload's
//! ground truth (the samples' README and each run's run-summary.txt).

use cutover::logs::{LogFormat, LogReport, ReadOptions, read_logs};
use cutover::model::Access;
use std::collections::BTreeMap;
use std::path::PathBuf;

const PG_PREFIX: &str = "%m [%p] %q%u@%d app=%a host=%h ";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/logs")
        .join(name)
}

/// `name: transactions=N` / `name: iterations=N` / `name: … queries=N` lines.
fn summary(name: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some((app, rest)) = line.split_once(": ") else {
            continue;
        };
        let mut kv = BTreeMap::new();
        for part in rest.split_whitespace() {
            if let Some((k, v)) = part.split_once('=')
                && let Ok(n) = v.parse()
            {
                kv.insert(k.to_string(), n);
            }
        }
        if !kv.is_empty() {
            out.insert(app.to_string(), kv);
        }
    }
    out
}

fn read(files: &[&str], prefix: Option<&str>, chunk: Option<usize>) -> LogReport {
    let paths: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    read_logs(
        &paths,
        &ReadOptions {
            format: None,
            log_line_prefix: prefix.map(str::to_string),
            tables: Default::default(),
            chunk_size: chunk,
            progress: None,
        },
    )
    .unwrap()
}

/// (executions, failed) of `table`/`access` by the client whose label starts with `who`.
fn count(r: &LogReport, table: &str, access: Access, who: &str) -> (u64, u64) {
    let rows: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.table == table && x.access == access && x.client.starts_with(who))
        .collect();
    (
        rows.iter().map(|x| x.executions).sum(),
        rows.iter().map(|x| x.failed).sum(),
    )
}

fn ex(r: &LogReport, table: &str, access: Access, who: &str) -> u64 {
    count(r, table, access, who).0
}

/// The only statements of the workloads the classifier cannot parse are setup statements
/// that name no table (`CREATE DATABASE … OWNER`, MySQL's `CREATE USER 'u'@'h'`); they are
/// reported with their reason and location.
fn assert_only_tableless_statements_unparsed(r: &LogReport) {
    assert!(r.classify.failed_to_parse <= 1, "{:?}", r.unparsed);
    for u in r.unparsed.values() {
        for e in &u.examples {
            assert!(
                e.text.starts_with("CREATE DATABASE") || e.text.starts_with("CREATE USER"),
                "{e:?}"
            );
            assert!(e.line > 0 && (e.file.ends_with(".gz") || e.file.ends_with(".zst")));
        }
    }
}

/// The PostgreSQL ground truth, whatever the destination (stderr, csvlog, jsonlog).
fn assert_pg_truth(r: &LogReport, run: &BTreeMap<String, BTreeMap<String, u64>>) {
    let tx = |app: &str| {
        run[app]
            .get("transactions")
            .or(run[app].get("iterations"))
            .copied()
            .unwrap()
    };
    let (teller, api, report) = (
        tx("teller-service"),
        tx("balance-api"),
        tx("nightly-report"),
    );
    let (etl, ledger, loader, export) = (
        tx("etl-archiver"),
        tx("ledger-sync"),
        tx("audit-loader"),
        tx("audit-export"),
    );
    let cron = tx("cron-maintenance");
    use Access::{Ddl, Read, Write};
    let t = "app=teller-service ";
    // teller-service: one of each per transaction.
    for table in [
        "pgbench_accounts",
        "pgbench_tellers",
        "pgbench_branches",
        "pgbench_history",
    ] {
        assert_eq!(
            ex(r, table, Write, t),
            teller,
            "{table} writes by teller-service"
        );
    }
    assert_eq!(ex(r, "pgbench_accounts", Read, t), teller);
    // plus its startup `select count(*) from pgbench_branches`
    assert_eq!(ex(r, "pgbench_branches", Read, t), 1);
    // balance-api: one execute per transaction.
    assert_eq!(ex(r, "pgbench_accounts", Read, "app=balance-api "), api);
    assert_eq!(ex(r, "pgbench_accounts", Write, "app=balance-api "), 0);
    let n = "app=nightly-report ";
    for table in [
        "pgbench_accounts",
        "pgbench_branches",
        "pgbench_history",
        "pgbench_tellers",
    ] {
        assert_eq!(
            ex(r, table, Read, n),
            report,
            "{table} reads by nightly-report"
        );
        assert_eq!(ex(r, table, Write, n), 0);
    }
    // etl-archiver: INSERT … SELECT and DELETE per transaction.
    assert_eq!(
        ex(r, "accounts_archive", Write, "app=etl-archiver "),
        2 * etl
    );
    assert_eq!(ex(r, "pgbench_accounts", Read, "app=etl-archiver "), etl);
    let l = "app=ledger-sync ";
    assert_eq!(ex(r, "pgbench_branches", Write, l), ledger);
    assert_eq!(ex(r, "pgbench_history", Write, l), ledger);
    assert_eq!(ex(r, "history_archive", Write, l), ledger);
    assert_eq!(ex(r, "pgbench_tellers", Read, l), ledger);
    assert_eq!(ex(r, "pgbench_tellers", Write, l), 0);
    assert_eq!(
        ex(r, "audit_events", Write, "app=audit-loader "),
        5 * loader
    );
    assert_eq!(ex(r, "audit_events", Read, "app=audit-export "), export);
    assert_eq!(ex(r, "pgbench_accounts", Read, "app=audit-export "), export);
    let c = "app=cron-maintenance ";
    // The DELETE succeeded every time, the INSERT failed every time (attempted only).
    assert_eq!(count(r, "audit_events", Write, c), (cron, cron));
    assert_eq!(ex(r, "audit_events", Read, c), cron);
    assert_eq!(ex(r, "pgbench_history", Ddl, c), cron);
    // The typo: an attempted read of a table that does not exist.
    assert_eq!(count(r, "pgbench_acounts", Read, c), (0, cron));
    // bump_branch() writes pgbench_branches where no log can see it.
    assert_eq!(count(r, "pgbench_branches", Write, c), (0, 0));
    assert_eq!(ex(r, "audit_events", Write, "app=setup "), 1);
    assert!(ex(r, "pgbench_accounts", Write, "app=pgbench-init ") >= 2); // COPY + TRUNCATE
    assert_eq!(r.accounting.failed, 2 * cron);
    assert_eq!(r.accounting.unmatched_lines, 0);
    assert_only_tableless_statements_unparsed(r);
}

#[test]
fn postgres_stderr_statement_variant_matches_ground_truth() {
    let r = read(&["pg-statement.log.gz"], Some(PG_PREFIX), None);
    assert_eq!(r.files[0].format, LogFormat::PostgresStderr);
    assert_eq!(r.files[0].compression, Some("gzip"));
    assert_eq!(r.accounting.prefix_mismatches, 0);
    assert_pg_truth(&r, &summary("pg-statement-run-summary.txt"));
    // The sample README's check: 1161 `execute P_0` lines for balance-api.
    assert_eq!(
        ex(&r, "pgbench_accounts", Access::Read, "app=balance-api "),
        1161
    );
    // The multi-statement line is one logged statement that touches two tables.
    let row = r
        .rows
        .iter()
        .find(|x| {
            x.table == "audit_events"
                && x.access == Access::Read
                && x.client.starts_with("app=cron-maintenance ")
        })
        .unwrap();
    assert!(
        row.statements[0]
            .statement
            .to_ascii_lowercase()
            .starts_with("analyze pgbench_history; delete from audit_events")
    );
}

#[test]
fn postgres_stderr_duration_variant_matches_ground_truth() {
    let r = read(&["pg-duration.log.gz"], Some(PG_PREFIX), None);
    assert_pg_truth(&r, &summary("pg-duration-run-summary.txt"));
    // parse/bind lines repeat the SQL but are not executions.
    assert!(r.accounting.protocol_records > 0);
    assert_eq!(r.accounting.by_setting.get("log_statement"), None);
}

#[test]
fn postgres_csvlog_and_jsonlog_match_ground_truth() {
    let run = summary("pg-statement-run-summary.txt");
    let csv = read(&["pg-statement.csv.gz"], None, None);
    assert_eq!(csv.files[0].format, LogFormat::PostgresCsv);
    assert_pg_truth(&csv, &run);
    let json = read(&["pg-statement.json.gz"], None, None);
    assert_eq!(json.files[0].format, LogFormat::PostgresJson);
    assert_pg_truth(&json, &run);
    // Same server, three destinations: the same rows.
    assert_eq!(csv.rows, json.rows);
    let stderr = read(&["pg-statement.log.gz"], Some(PG_PREFIX), None);
    assert_eq!(stderr.rows, csv.rows);
}

fn assert_mysql_truth(r: &LogReport, general: bool) {
    let run = summary("mysql-run-summary.txt");
    let it = |u: &str, k: &str| run[u][k];
    use Access::{Ddl, Read, Write};
    let who = |u: &str| format!("user={u} ");
    // orders_rw: every query it sent (sysbench's count) is in the log.
    let orders = r
        .clients
        .iter()
        .find(|(k, _)| k.starts_with("user=orders_rw "))
        .unwrap()
        .1;
    assert_eq!(orders.executions, it("orders_rw", "queries"));
    let catalog = r
        .clients
        .iter()
        .find(|(k, _)| k.starts_with("user=catalog_ro "))
        .unwrap()
        .1;
    assert_eq!(catalog.executions, it("catalog_ro", "queries"));
    for t in ["sbtest1", "sbtest2", "sbtest3"] {
        assert!(ex(r, t, Write, &who("orders_rw")) > 0);
        assert!(ex(r, t, Read, &who("orders_rw")) > 0);
    }
    assert_eq!(ex(r, "sbtest4", Read, &who("orders_rw")), 0);
    assert_eq!(ex(r, "sbtest3", Read, &who("catalog_ro")), 0);
    let ingest: u64 = ["sbtest1", "sbtest2", "sbtest3", "sbtest4"]
        .iter()
        .map(|t| ex(r, t, Write, &who("ingest")))
        .sum();
    assert_eq!(ingest, it("ingest", "queries"));
    let report = it("report", "iterations");
    for t in ["sbtest1", "sbtest2", "audit_log", "daily_totals"] {
        assert_eq!(
            ex(r, t, Read, &who("report")),
            report,
            "{t} reads by report"
        );
    }
    let etl = it("etl", "iterations");
    assert_eq!(ex(r, "orders_archive", Write, &who("etl")), 2 * etl);
    assert_eq!(ex(r, "orders_archive", Read, &who("etl")), 0);
    assert_eq!(ex(r, "daily_totals", Write, &who("etl")), 2 * etl);
    assert_eq!(ex(r, "sbtest1", Read, &who("etl")), etl);
    assert_eq!(ex(r, "sbtest2", Read, &who("etl")), etl);
    assert_eq!(ex(r, "sbtest3", Read, &who("etl")), 2 * etl);
    let loader = it("loader", "iterations");
    assert_eq!(ex(r, "audit_log", Write, &who("loader")), loader);
    assert_eq!(ex(r, "daily_totals", Write, &who("loader")), loader);
    let maint = it("maint", "iterations");
    // DELETE + the INSERT that always fails (neither log marks the failure).
    assert_eq!(
        ex(r, "audit_log", Write, "user=maint db=bankdb host=localhost"),
        2 * maint
    );
    assert_eq!(ex(r, "sbtest_1", Read, &who("maint")), maint);
    assert_eq!(ex(r, "sbtest1", Ddl, &who("maint")), maint);
    assert_eq!(ex(r, "daily_totals", Write, &who("maint")), 0); // inside CALL bump_totals()
    assert_eq!(r.accounting.unmatched_lines, 0);
    assert_only_tableless_statements_unparsed(r);
    let _ = general;
}

#[test]
fn mysql_general_log_matches_ground_truth() {
    let r = read(&["mysql-general.log.gz"], None, None);
    assert_eq!(r.files[0].format, LogFormat::MysqlGeneral);
    assert_mysql_truth(&r, true);
    // The README's check: 1800 `Execute` lines for orders_rw; Prepare lines are protocol.
    assert!(r.accounting.protocol_records > 0);
}

#[test]
fn mysql_slow_log_matches_ground_truth() {
    let r = read(&["mysql-slow.log.zst"], None, None);
    assert_eq!(r.files[0].format, LogFormat::MysqlSlow);
    assert_eq!(r.files[0].compression, Some("zstd"));
    assert_mysql_truth(&r, false);
}

#[test]
fn small_chunks_give_the_same_report() {
    // Chunks of a few KB force many cuts at record boundaries (and MySQL connections whose
    // Connect line is in an earlier chunk); the result must not change.
    for (file, prefix) in [
        ("pg-statement.log.gz", Some(PG_PREFIX)),
        ("pg-statement.csv.gz", None),
        ("pg-statement.json.gz", None),
        ("pg-duration.log.gz", Some(PG_PREFIX)),
        ("mysql-general.log.gz", None),
        ("mysql-slow.log.zst", None),
    ] {
        let whole = read(&[file], prefix, None);
        let chunked = read(&[file], prefix, Some(8 << 10));
        assert!(whole.rows.len() > 10, "{file}");
        assert_eq!(whole.rows, chunked.rows, "{file}");
        assert_eq!(whole.accounting, chunked.accounting, "{file}");
        assert_eq!(whole.clients, chunked.clients, "{file}");
    }
}

#[test]
fn several_files_are_one_window() {
    let one = read(&["mysql-slow.log.zst"], None, None);
    let two = read(&["mysql-slow.log.zst", "mysql-slow.log.zst"], None, None);
    assert_eq!(two.accounting.executions, 2 * one.accounting.executions);
    assert_eq!(two.rows.len(), one.rows.len());
    assert_eq!(two.files.len(), 2);
}

#[test]
fn pg_stat_statements_export_counts_calls() {
    // Exported from a real server by fixtures/demo/logs/make-demo-log.sh.
    let r = read(&["pg-stat-statements.csv"], None, None);
    assert_eq!(r.files[0].format, LogFormat::PgStatStatements);
    assert_eq!(
        ex(&r, "orders_legacy", Access::Write, "user=billing db=shop"),
        18
    );
    assert_eq!(
        ex(&r, "orders_legacy", Access::Read, "user=billing db=shop"),
        12
    );
    assert_eq!(
        ex(
            &r,
            "orders_legacy",
            Access::Write,
            "user=fulfillment db=shop"
        ),
        4
    );
    assert_eq!(
        ex(
            &r,
            "order_items_legacy",
            Access::Read,
            "user=fulfillment db=shop"
        ),
        4
    );
    assert_eq!(
        ex(
            &r,
            "orders_legacy",
            Access::Write,
            "user=legacy_etl db=shop"
        ),
        3
    );
    assert_eq!(
        ex(&r, "orders_legacy", Access::Read, "user=reporter db=shop"),
        2
    );
    // 8 rows, weighted by calls.
    assert_eq!(r.accounting.statements, 8);
    assert_eq!(r.accounting.executions, 12 + 12 + 6 + 4 + 4 + 3 + 1 + 1);
    assert_eq!(r.classify.failed_to_parse, 0);
}

fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read_path(p: &std::path::Path, format: Option<LogFormat>, prefix: Option<&str>) -> LogReport {
    read_logs(
        &[p.to_path_buf()],
        &ReadOptions {
            format,
            log_line_prefix: prefix.map(str::to_string),
            tables: Default::default(),
            chunk_size: Some(64),
            progress: None,
        },
    )
    .unwrap()
}

#[test]
fn truncated_and_garbled_input_is_counted_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let text = "2026-01-01 00:00:00.000 UTC [7] app@db app=a host=h LOG:  statement: UPDATE t SET x = 1\n\
                garbage line that is no log record\n\
                \tcontinuation of nothing?\n\
                2026-01-01 00:00:01.000 UTC [7] app@db app=a host=h LOG:  statement: SELECT 'unterminated\n\
                2026-01-01 00:00:02.000 UTC [7] app@db app=a host=h LOG:  statement: INSERT INTO t VALUES (1";
    let p = write_tmp(&dir, "cut.log", text.as_bytes());
    let r = read_path(&p, None, Some("%m [%p] %u@%d app=%a host=%h "));
    // The garbage line matches no record; the TAB line after it continues no record.
    assert_eq!(
        r.accounting.unmatched_lines, 2,
        "{:?}",
        r.unmatched_examples
    );
    assert_eq!(r.unmatched_examples[0].line, 2);
    assert_eq!(r.accounting.statements, 3);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("does not end with a newline")),
        "{:?}",
        r.notes
    );
    // The unterminated string and the cut INSERT: reported with their lines, and the
    // classifier's fallback still finds the INSERT's table.
    assert_eq!(r.classify.failed_to_parse, 2, "{:?}", r.unparsed);
    let mut lines: Vec<u64> = r
        .unparsed
        .values()
        .flat_map(|u| u.examples.iter().map(|e| e.line))
        .collect();
    lines.sort();
    assert_eq!(lines, vec![4, 5]);
    assert_eq!(ex(&r, "t", Access::Write, "app=a "), 2);

    // A wrong format forced on a file: everything is counted as unmatched, nothing panics.
    let r = read_path(&p, Some(LogFormat::MysqlSlow), None);
    assert_eq!(r.accounting.statements, 0);
    assert_eq!(r.accounting.unmatched_lines, 5);
    let r = read_path(&p, Some(LogFormat::PostgresJson), None);
    assert_eq!(r.accounting.unmatched_lines, 5);

    // An unterminated CSV quote at the end of a csvlog.
    let csv = "2026-01-01 00:00:00 UTC,\"u\",\"d\",1,\"h:1\",s,1,\"\",2026-01-01 00:00:00 UTC,1/1,0,LOG,00000,\"statement: DELETE FROM t";
    let p = write_tmp(&dir, "cut.csv", csv.as_bytes());
    let r = read_path(&p, None, None);
    assert_eq!(r.files[0].format, LogFormat::PostgresCsv);
    assert_eq!(ex(&r, "t", Access::Write, "user=u"), 1);
    assert!(!r.notes.is_empty());

    // A .gz that is not gzip inside: reported, and the run goes on (issue #19).
    let p = write_tmp(&dir, "bad.log.gz", &[0x1f, 0x8b, 0, 1, 2, 3]);
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(r.files[0].format, LogFormat::Empty);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("bad.log.gz") && n.contains("nothing could be read")),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_record_longer_than_the_memory_bound_is_split_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("2026-01-01 00:00:00.000 UTC [7] LOG:  statement: SELECT a\n");
    for i in 0..12_000 {
        text.push_str(&format!("\t, column_{i:05} -- {}\n", "x".repeat(80)));
    }
    text.push_str("\tFROM t\n2026-01-01 00:00:01.000 UTC [7] LOG:  statement: DELETE FROM t\n");
    let p = write_tmp(&dir, "long.log", text.as_bytes());
    // A record of 1.1 MB: no boundary within the 1 MiB that small chunks allow.
    let r = read_path(&p, None, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("were split at a line end")),
        "{:?}",
        r.notes
    );
    assert!(r.accounting.unmatched_lines > 0);
    assert_eq!(r.accounting.lines, 12_003);
    assert_eq!(ex(&r, "t", Access::Write, "unknown"), 1);
}

#[test]
fn undetectable_format_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_tmp(&dir, "notes.txt", b"hello\nworld\n");
    let err = read_logs(&[p], &ReadOptions::default()).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("notes.txt") && msg.contains("--log-format"),
        "{msg}"
    );
}

#[test]
fn sqlcommenter_tags_are_part_of_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let text = "2026-01-01 00:00:00.000 UTC [7] LOG:  statement: UPDATE orders_legacy SET s = 1 /*application='billing',route='%2Forders'*/\n\
                2026-01-01 00:00:01.000 UTC [8] LOG:  statement: UPDATE orders_legacy SET s = 2\n";
    let p = write_tmp(&dir, "tags.log", text.as_bytes());
    let r = read_path(&p, None, None);
    let clients: Vec<&str> = r.rows.iter().map(|x| x.client.as_str()).collect();
    assert_eq!(
        clients,
        vec!["unknown", "unknown [application=billing route=/orders]"]
    );
    // The comment does not split the normalised statement.
    assert_eq!(
        r.rows[0].statements[0].statement,
        r.rows[1].statements[0].statement
    );
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn no_format_panics_on_arbitrary_text(s in "(\\PC|\\t|\\n|LOG:  statement: |LOG:  AUDIT: SESSION,1,|# User@Host: |\t\t 1 Query\t|20261207 17:05:16,h,u,h,1,2,|\\{\"audit_record\":|,\"){0,400}") {
            let dir = tempfile::tempdir().unwrap();
            let p = write_tmp(&dir, "x.log", s.as_bytes());
            for f in [LogFormat::PostgresStderr, LogFormat::PostgresCsv, LogFormat::PostgresJson,
                      LogFormat::MysqlGeneral, LogFormat::MysqlSlow, LogFormat::PgStatStatements,
                      LogFormat::MariadbAudit, LogFormat::MysqlAuditJson] {
                let r = read_path(&p, Some(f), None);
                prop_assert_eq!(r.accounting.bytes, s.len() as u64);
            }
        }
    }
}

/// Issue #19: a csvlog record whose quote never closes must not swallow the records after
/// it; the reader recovers at the next record start and reports the broken one.
#[test]
fn issue_19_a_broken_csv_quote_does_not_swallow_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let rec = |ts: &str, user: &str, msg: &str| {
        format!(
            "2026-01-01 00:00:0{ts}.000 UTC,\"{user}\",\"shop\",7{ts},\"10.0.0.1:5000\",6b16ee32.3267,1,\"idle\",2026-01-01 00:00:00 UTC,3/2,0,LOG,00000,\"{msg}\",,,,,,,,,\"app\",\"client backend\",,0\n"
        )
    };
    let mut text = rec("1", "billing", "statement: UPDATE orders_legacy SET a = 1");
    // Cut inside the quoted message: the quote never closes.
    text.push_str("2026-01-01 00:00:02.000 UTC,\"billing\",\"shop\",72,\"10.0.0.1:5000\",6b16ee32.3267,1,\"idle\",2026-01-01 00:00:00 UTC,3/2,0,LOG,00000,\"statement: UPDATE orders_legacy SET a = 'x\n");
    text.push_str(&rec(
        "3",
        "legacy_etl",
        "statement: DELETE FROM orders_legacy WHERE status = 'void'",
    ));
    text.push_str(&rec("4", "billing", "statement: SELECT 1"));
    let p = write_tmp(&dir, "broken.csv", text.as_bytes());
    // Chunks of the default size: the broken record is followed by others in its chunk.
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(r.files[0].format, LogFormat::PostgresCsv);
    assert_eq!(
        ex(
            &r,
            "orders_legacy",
            Access::Write,
            "app=app user=legacy_etl"
        ),
        1,
        "{:?}",
        r.rows
    );
    assert_eq!(
        ex(&r, "orders_legacy", Access::Write, "app=app user=billing"),
        1
    );
    assert_eq!(
        r.accounting.unmatched_lines, 1,
        "{:?}",
        r.unmatched_examples
    );
    assert_eq!(r.unmatched_examples[0].line, 2);
    assert!(r.unmatched_examples[0].text.contains("broken CSV record"));
    // A quoted statement that really spans lines, one of which starts like a record, is
    // still one record.
    let multi = rec(
        "5",
        "billing",
        "statement: SELECT 'a\n2026-01-01 00:00:09.000 UTC,x,y' FROM orders_legacy",
    );
    let p = write_tmp(&dir, "multi.csv", multi.as_bytes());
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(
        r.accounting.unmatched_lines, 0,
        "{:?}",
        r.unmatched_examples
    );
    assert_eq!(
        ex(&r, "orders_legacy", Access::Read, "app=app user=billing"),
        1
    );
}

/// Issue #19: a truncated .zst, a .gz with garbage after its last member, an empty log and
/// a line that is not UTF-8 never end the run: what can be read is, the rest is reported.
#[test]
fn issue_19_damaged_inputs_are_read_as_far_as_they_go() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!(
            "2026-01-01 00:00:00.000 UTC [7] LOG:  statement: UPDATE orders_legacy SET n = {i}\n"
        ));
    }
    let zst = zstd::encode_all(text.as_bytes(), 3).unwrap();
    let p = write_tmp(&dir, "cut.log.zst", &zst[..zst.len() * 2 / 3]);
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert!(
        r.accounting.statements > 0 && r.accounting.statements < 3000,
        "{:?}",
        r.accounting
    );
    assert_eq!(r.accounting.read_errors, 1);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("cut.log.zst") && n.contains("ends early or is corrupt")),
        "{:?}",
        r.notes
    );
    assert!(!r.incomplete().is_empty());

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let mut bytes = gz.finish().unwrap();
    bytes.extend_from_slice(b"\x00garbage after the last member\n");
    let p = write_tmp(&dir, "trailing.log.gz", &bytes);
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(r.accounting.statements, 3000, "{:?}", r.notes);
    assert!(
        r.notes.iter().any(|n| n.contains("trailing.log.gz")),
        "{:?}",
        r.notes
    );

    let p = write_tmp(&dir, "empty.log", b"");
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(r.files[0].format, LogFormat::Empty);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("empty.log: the file is empty"))
    );

    let mut bad = b"2026-01-01 00:00:00.000 UTC [7] LOG:  statement: SELECT 1\n".to_vec();
    bad.extend_from_slice(b"2026-01-01 00:00:01.000 UTC [7] LOG:  statement: DELETE FROM orders_legacy WHERE name = '\xff\xfe'\n");
    let p = write_tmp(&dir, "latin1.log", &bad);
    let r = read_logs(&[p], &ReadOptions::default()).unwrap();
    assert_eq!(r.accounting.invalid_utf8_lines, 1);
    assert_eq!(r.invalid_utf8_examples[0].line, 2);
    assert_eq!(ex(&r, "orders_legacy", Access::Write, "unknown"), 1);
}

/// Issue #16: the prefix of the sample logs is inferred from their statement records (the
/// start-up lines before them use the short `%q` form): the same rows as with the prefix given.
#[test]
fn issue_16_the_sample_prefix_is_inferred_from_statement_records() {
    let given = read(&["pg-statement.log.gz"], Some(PG_PREFIX), None);
    let inferred = read(&["pg-statement.log.gz"], None, None);
    assert_eq!(inferred.log_line_prefix.as_deref(), Some(PG_PREFIX));
    let how = inferred.files[0].prefix_source.as_deref().unwrap_or("");
    assert!(how.starts_with("inferred: matches"), "{how}");
    assert_eq!(inferred.rows, given.rows);
    assert_eq!(inferred.accounting.prefix_mismatches, 0);
}
