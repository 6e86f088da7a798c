//! Managed-cloud logs, audit logs and query tags (issue #16) on logs written by real servers:
//! fixtures/logs/managed, made by its make-*.sh scripts (PostgreSQL 15 with the RDS, Cloud SQL
//! and Azure prefixes and with pgaudit; MariaDB with server_audit) and wrapped in the cloud
//! envelopes by make-envelopes.py. Every format is read without a flag, and every client,
//! table and access of the workload's ground truth (fixtures/logs/managed/README.md) is
//! asserted.

use cutover::logs::cloud::{Envelope, Provider};
use cutover::logs::{LogFormat, LogReport, ReadOptions, read_logs};
use cutover::model::Access::{self, Read, Write};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/logs/managed")
        .join(name)
}

fn read(name: &str) -> LogReport {
    read_logs(&[fixture(name)], &ReadOptions::default()).unwrap()
}

/// (executions, failed) of `table`/`access` by the clients whose label holds every `who`.
fn count(r: &LogReport, table: &str, access: Access, who: &[&str]) -> (u64, u64) {
    r.rows
        .iter()
        .filter(|x| {
            x.table == table && x.access == access && who.iter().all(|w| x.client.contains(w))
        })
        .fold((0, 0), |(e, f), x| (e + x.executions, f + x.failed))
}

/// How the writes by the cron job appear: `log_statement` cannot see inside the function.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// `log_statement = 'all'`: the DO blocks' UPDATEs (classified from the DO body), the
    /// failed INSERT; the function's writes are invisible.
    Statements,
    /// pgaudit: every substatement, the function's included; the failure from its ERROR.
    Audit,
    /// pgaudit without the ERROR records (AlloyDB's Data Access entries): the failed INSERT
    /// is an execution like any other.
    AuditNoErrors,
}

/// The PostgreSQL workload of make-pg-managed.sh. `app` says whether clients carry an
/// application name (every PostgreSQL fixture gets one from the prefix, the csvlog/jsonlog
/// columns or the sessions' `connection authorized` lines, except AlloyDB's audit entries).
fn assert_pg_truth(r: &LogReport, source: Source, app: bool) {
    let who = |app_name: &'static str, user: &'static str| -> Vec<&'static str> {
        if app {
            vec![app_name, user]
        } else {
            vec![user]
        }
    };
    let billing = who("app=billing ", "user=billing ");
    assert_eq!(
        count(r, "orders_legacy", Write, &billing),
        (15, 0),
        "billing"
    );
    // Both billing statements carry the code location in their tags.
    let tagged: Vec<&str> = r
        .rows
        .iter()
        .filter(|x| {
            x.table == "orders_legacy" && x.access == Write && x.client.contains("user=billing")
        })
        .map(|x| x.client.as_str())
        .collect();
    assert!(
        tagged
            .iter()
            .any(|c| c.contains("source_location=services/billing/billing/repository.py:22"))
            && tagged.iter().any(|c| c
                .contains("source_location=services/billing/billing/repository.py:35")
                && c.contains("controller=orders")),
        "{tagged:?}"
    );
    // Datadog's leading comment names the service.
    assert_eq!(
        count(
            r,
            "orders_legacy",
            Read,
            &["user=billing", "service=checkout"]
        ),
        (3, 0)
    );
    let reporting = who("app=reporting ", "user=reporter ");
    assert_eq!(count(r, "orders_legacy", Read, &reporting), (4, 0));
    assert_eq!(count(r, "order_items_legacy", Read, &reporting), (4, 0));
    assert_eq!(count(r, "orders_legacy", Write, &reporting), (0, 0));
    let jdbc = who("app=PostgreSQL JDBC Driver ", "user=legacy_etl ");
    assert_eq!(count(r, "orders_legacy", Write, &jdbc), (2, 0));
    let cron = who("app=cron-archive ", "user=ops ");
    let (writes, archive, legacy_reads) = match source {
        Source::Statements => ((2, 1), (0, 0), (0, 0)),
        Source::Audit => ((5, 1), (3, 0), (3, 0)),
        Source::AuditNoErrors => ((6, 0), (3, 0), (3, 0)),
    };
    assert_eq!(
        count(r, "orders_legacy", Write, &cron),
        writes,
        "cron writes"
    );
    assert_eq!(
        count(r, "orders_archive", Write, &cron),
        archive,
        "cron archive"
    );
    assert_eq!(
        count(r, "orders_legacy", Read, &cron),
        legacy_reads,
        "cron reads"
    );
    assert_eq!(
        r.accounting.unmatched_lines, 0,
        "{:?}",
        r.unmatched_examples
    );
    assert_eq!(
        r.accounting.prefix_mismatches, 0,
        "{:?}",
        r.prefix_mismatch_examples
    );
    assert_eq!(r.classify.failed_to_parse, 0, "{:?}", r.unparsed);
    assert!(
        !r.rows.iter().any(|x| x.client == "unknown"),
        "{:?}",
        r.clients.keys()
    );
}

/// The MariaDB workload of make-mariadb-audit.sh: clients are user (and host).
fn assert_mysql_truth(r: &LogReport) {
    assert_eq!(
        count(r, "orders_legacy", Write, &["user=billing ", "127.0.0.1"]),
        (15, 0),
        "{}: {:?}",
        r.files[0].path,
        r.clients.keys()
    );
    assert_eq!(count(r, "orders_legacy", Read, &["user=reporter "]), (4, 0));
    assert_eq!(
        count(r, "order_items_legacy", Read, &["user=reporter "]),
        (4, 0)
    );
    assert_eq!(
        count(r, "orders_legacy", Write, &["user=legacy_etl "]),
        (2, 0)
    );
    // The procedure's statements are logged one by one under the caller; the INSERT that
    // always fails (duplicate key) carries its error code.
    assert_eq!(
        count(r, "orders_archive", Write, &["user=ops ", "localhost"]),
        (3, 0)
    );
    assert_eq!(count(r, "orders_legacy", Read, &["user=ops "]), (3, 0));
    assert_eq!(count(r, "orders_legacy", Write, &["user=ops "]), (3, 1));
    assert_eq!(
        r.accounting.unmatched_lines, 0,
        "{:?}",
        r.unmatched_examples
    );
}

#[test]
fn rds_cloudsql_and_azure_prefixes_are_inferred_and_named() {
    for (dir, prefix, provider) in [
        ("rds", "%t:%r:%u@%d:[%p]:", Provider::AwsRds),
        (
            "cloudsql",
            "%m [%p]: [%l-1] db=%d,user=%u ",
            Provider::GoogleCloudSql,
        ),
        ("azure", "%t-%c-", Provider::Azure),
    ] {
        let r = read(&format!("{dir}/postgresql.log"));
        let f = &r.files[0];
        assert_eq!(f.format, LogFormat::PostgresStderr, "{dir}");
        assert_eq!(f.log_line_prefix.as_deref(), Some(prefix), "{dir}");
        assert!(
            f.prefix_source
                .as_deref()
                .unwrap_or("")
                .starts_with("inferred: matches 41 of 41"),
            "{dir}: {:?}",
            f.prefix_source
        );
        assert_eq!(f.provider, Some(provider), "{dir}");
        // The fixed prefixes lack %a (and Azure's every client field): the sessions'
        // `connection authorized` lines (log_connections) name the application.
        assert_pg_truth(&r, Source::Statements, true);
    }
}

#[test]
fn pgaudit_in_stderr_csvlog_and_jsonlog_attributes_writes_inside_functions() {
    let stderr = read("pgaudit/postgresql.log");
    assert_eq!(
        stderr.files[0].log_line_prefix.as_deref(),
        Some("%m [%p] %q%u@%d ")
    );
    assert_pg_truth(&stderr, Source::Audit, true);
    // OBJECT and SESSION lines of the same DELETE are one access.
    assert_eq!(stderr.accounting.audit_repeats, 5);
    assert_eq!(stderr.accounting.by_setting.get("pgaudit"), Some(&54));
    let csv = read("pgaudit/postgresql.csv");
    assert_eq!(csv.files[0].format, LogFormat::PostgresCsv);
    assert_pg_truth(&csv, Source::Audit, true);
    let json = read("pgaudit/postgresql.json");
    assert_eq!(json.files[0].format, LogFormat::PostgresJson);
    assert_pg_truth(&json, Source::Audit, true);
    assert_eq!(csv.rows, json.rows);
    // The server's object names are used, the statement is the evidence.
    let row = stderr
        .rows
        .iter()
        .find(|x| x.table == "orders_archive" && x.access == Write && x.client.contains("user=ops"))
        .unwrap();
    assert!(
        row.statements[0]
            .statement
            .starts_with("insert into orders_archive select"),
        "{row:?}"
    );
}

#[test]
fn cloud_envelopes_are_detected_and_unwrapped() {
    for (file, envelope, provider, source, app) in [
        (
            "cloudwatch/rds-postgresql.events.jsonl",
            Envelope::CloudWatchEvents,
            Provider::AwsRds,
            Source::Statements,
            true,
        ),
        (
            "cloudwatch/rds-postgresql.subscription.json.gz",
            Envelope::CloudWatchSubscription,
            Provider::AwsRds,
            Source::Statements,
            true,
        ),
        (
            "cloud-logging/cloudsql-postgres.jsonl",
            Envelope::CloudLogging,
            Provider::GoogleCloudSql,
            Source::Statements,
            true,
        ),
        (
            "cloud-logging/alloydb-pgaudit.jsonl",
            Envelope::CloudLogging,
            Provider::GoogleAlloyDb,
            Source::AuditNoErrors,
            false,
        ),
        (
            "azure/postgresqllogs.json",
            Envelope::AzureDiagnostics,
            Provider::Azure,
            Source::Statements,
            true,
        ),
        (
            "cloudnative-pg/shop-db-1.jsonl",
            Envelope::CloudNativePg,
            Provider::CloudNativePg,
            Source::Audit,
            true,
        ),
    ] {
        let r = read(file);
        let f = &r.files[0];
        assert_eq!(f.envelope, Some(envelope), "{file}");
        assert_eq!(f.provider, Some(provider), "{file}");
        assert_pg_truth(&r, source, app);
    }
    // The file's own line numbers are kept through the envelope.
    let r = read("cloudwatch/rds-postgresql.events.jsonl");
    assert_eq!(r.accounting.lines, r.files[0].lines);
}

#[test]
fn mysql_family_audit_logs_match_the_ground_truth() {
    for (file, format, envelope) in [
        (
            "mariadb-audit/server_audit.log.gz",
            LogFormat::MariadbAudit,
            None,
        ),
        (
            "cloudwatch/rds-mariadb-audit.events.jsonl",
            LogFormat::MariadbAudit,
            Some(Envelope::CloudWatchEvents),
        ),
        (
            "mysql-audit/percona-audit.json",
            LogFormat::MysqlAuditJson,
            None,
        ),
        (
            "mysql-audit/enterprise-audit.json",
            LogFormat::MysqlAuditJson,
            None,
        ),
    ] {
        let r = read(file);
        assert_eq!(r.files[0].format, format, "{file}");
        assert_eq!(r.files[0].envelope, envelope, "{file}");
        assert_mysql_truth(&r);
    }
}

#[test]
fn every_fixture_gives_the_same_report_in_small_chunks() {
    for file in [
        "rds/postgresql.log",
        "pgaudit/postgresql.log",
        "pgaudit/postgresql.csv",
        "cloudwatch/rds-postgresql.events.jsonl",
        "azure/postgresqllogs.json",
        "cloudnative-pg/shop-db-1.jsonl",
        "mariadb-audit/server_audit.log.gz",
        "mysql-audit/enterprise-audit.json",
    ] {
        let whole = read(file);
        let small = read_logs(
            &[fixture(file)],
            &ReadOptions {
                chunk_size: Some(2 << 10),
                ..ReadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(whole.rows, small.rows, "{file}");
        assert_eq!(whole.accounting, small.accounting, "{file}");
    }
}

#[test]
fn the_doctor_names_the_provider_and_what_its_prefix_lacks() {
    for (file, provider_words) in [
        ("rds/postgresql.log", "AWS RDS/Aurora"),
        ("cloudsql/postgresql.log", "Google Cloud SQL"),
        ("azure/postgresql.log", "Azure Database for PostgreSQL"),
        ("cloudnative-pg/shop-db-1.jsonl", "CloudNativePG"),
    ] {
        let r = read(file);
        let d = cutover::logs::doctor::diagnose(&r);
        let check = d
            .checks
            .iter()
            .find(|c| c.id == "provider")
            .unwrap_or_else(|| panic!("{file}: {:?}", d.checks));
        assert!(
            check.message.starts_with(provider_words),
            "{file}: {}",
            check.message
        );
        assert!(check.fix.is_some(), "{file}");
        if file.starts_with("rds") || file.starts_with("cloudsql") {
            assert!(check.message.contains("has no %a"), "{}", check.message);
            assert!(
                check
                    .fix
                    .as_deref()
                    .unwrap_or("")
                    .contains("log_connections")
            );
        }
    }
}

/// Issue #16: `--strict` turns lines that could not be analysed into exit 3.
#[test]
fn strict_logs_exit_3_on_unmatched_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.log");
    std::fs::write(
        &p,
        "2026-01-01 00:00:00.000 UTC [7] LOG:  statement: SELECT 1\nnot a log line\n",
    )
    .unwrap();
    let out = |strict: bool| {
        let mut c = assert_cmd::Command::cargo_bin("cutover").unwrap();
        c.arg("logs").arg(&p);
        if strict {
            c.arg("--strict");
        }
        c.output().unwrap().status.code()
    };
    assert_eq!(out(false), Some(0));
    assert_eq!(out(true), Some(3));
    let clean = dir.path().join("clean.log");
    std::fs::write(
        &clean,
        "2026-01-01 00:00:00.000 UTC [7] LOG:  statement: SELECT 1\n",
    )
    .unwrap();
    let mut c = assert_cmd::Command::cargo_bin("cutover").unwrap();
    assert_eq!(
        c.args(["logs", "--strict"])
            .arg(&clean)
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
}

/// Issue #19: one statement in a production log that is a ~40k-term operator chain used to
/// overflow the stack when sqlparser's tree was dropped (exit 134). The log path classifies
/// through `sql::classify`, where the guard for long operator chains lives; the binary must
/// exit normally and report the line (`sql::limits` sends it to the token scan).
#[test]
fn issue_19_an_operator_chain_in_a_log_does_not_abort_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("chain.log");
    let chain = vec!["1"; 40_000].join(" + ");
    std::fs::write(
        &p,
        format!(
            "2026-01-01 00:00:00.000 UTC [7] LOG:  statement: SELECT 1\n\
             2026-01-01 00:00:01.000 UTC [7] LOG:  statement: UPDATE orders_legacy SET n = {chain}\n"
        ),
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("cutover")
        .unwrap()
        .args(["logs", "--format", "json"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The statement is reported where it is (a token-scan fallback may still name its table).
    let text = r.to_string();
    assert!(text.contains("chain.log"), "{text:.400}");
    assert!(
        r["unparsed"].as_object().is_some_and(|u| !u.is_empty())
            || r["rows"]
                .as_array()
                .is_some_and(|rows| rows.iter().any(|x| x["table"] == "orders_legacy")),
        "{text:.400}"
    );
}
