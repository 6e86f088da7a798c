//! `cutover logs --doctor`: a `LogReport` in, a list of checks out, each with what to change
//! on the server when it fails. It answers "can this log be trusted?" before anyone reads
//! the tables: does the prefix match (pgBadger's "0 queries found"), are statements logged
//! at all, can clients be told apart (application names that are only driver defaults).

use super::cloud::Provider;
use super::postgres_stderr::Prefix;
use super::{LogFormat, LogReport};
use crate::model::Access;
use serde::Serialize;

/// Application names that drivers and tools set by themselves: they name no service.
pub const DRIVER_DEFAULT_APPS: &[&str] = &[
    "",
    "DBeaver",
    "PostgreSQL JDBC Driver",
    "[unknown]",
    "pgAdmin",
    "pgbench",
    "psql",
];

/// The recommended prefix: time, pid, then user, database, application and host.
pub const RECOMMENDED_PREFIX: &str = "%m [%p] %q%u@%d app=%a host=%h ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Ok,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub message: String,
    /// The setting to change, when something should change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub checks: Vec<Check>,
}

impl Diagnosis {
    pub fn worst(&self) -> Level {
        self.checks
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(Level::Ok)
    }
}

fn pct(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 * 100.0 / d as f64
    }
}

fn is_driver_default(app: &str) -> bool {
    DRIVER_DEFAULT_APPS.iter().any(|d| {
        if d.is_empty() {
            app.is_empty()
        } else {
            app.starts_with(d)
        }
    })
}

pub fn diagnose(r: &LogReport) -> Diagnosis {
    let mut checks = Vec::new();
    let a = &r.accounting;
    let pg = r.files.iter().any(|f| f.format.is_postgres());
    let mysql = r.files.iter().any(|f| !f.format.is_postgres());
    let stderr = r
        .files
        .iter()
        .any(|f| f.format == LogFormat::PostgresStderr);
    let mut add = |id, level, message: String, fix: Option<String>| {
        checks.push(Check {
            id,
            level,
            message,
            fix,
        })
    };

    if a.records == 0 {
        add(
            "records",
            Level::Error,
            format!("no log records were recognised in {} lines", a.lines),
            Some("check the format (--log-format) and, for stderr logs, the prefix".into()),
        );
    } else {
        let share = pct(a.unmatched_lines, a.lines);
        add(
            "format",
            if share > 5.0 { Level::Warn } else { Level::Ok },
            format!(
                "{} records read; {} of {} lines ({share:.1}%) match no record of the format",
                a.records, a.unmatched_lines, a.lines
            ),
            (share > 5.0).then(|| "the format guess may be wrong: pass --log-format".into()),
        );
    }

    if stderr {
        let prefix = r.log_line_prefix.clone().unwrap_or_default();
        let matched = a.records.saturating_sub(a.prefix_mismatches);
        let rate = pct(matched, a.records);
        let level = if a.prefix_mismatches == 0 {
            Level::Ok
        } else if rate < 50.0 {
            Level::Error
        } else {
            Level::Warn
        };
        let example = r
            .prefix_mismatch_examples
            .first()
            .map(|e| format!(" (e.g. {}:{}: {})", e.file, e.line, e.text))
            .unwrap_or_default();
        let how = r
            .files
            .iter()
            .find_map(|f| f.prefix_source.as_deref())
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        add(
            "log_line_prefix",
            level,
            format!(
                "log_line_prefix '{prefix}' matched {matched} of {} records ({rate:.1}%){how}{example}",
                a.records
            ),
            (level != Level::Ok).then(|| {
                "pass the server's prefix (`SHOW log_line_prefix;`) with --log-line-prefix or \
                 [logs] log_line_prefix in cutover.toml; without it statements are counted but \
                 their clients are unknown"
                    .to_string()
            }),
        );
        if let Ok(p) = Prefix::parse(&prefix) {
            let missing: Vec<&str> = [('a', "%a"), ('u', "%u"), ('d', "%d"), ('h', "%h")]
                .iter()
                .filter(|(c, _)| !(p.has(*c) || *c == 'h' && p.has('r')))
                .map(|(_, e)| *e)
                .collect();
            add(
                "client_fields",
                if missing.is_empty() {
                    Level::Ok
                } else {
                    Level::Warn
                },
                if missing.is_empty() {
                    "the prefix records application, user, database and host".to_string()
                } else {
                    format!(
                        "the prefix does not record {}: clients cannot be told apart by them",
                        missing.join(" ")
                    )
                },
                (!missing.is_empty()).then(|| format!("log_line_prefix = '{RECOMMENDED_PREFIX}'")),
            );
        }
    }

    for provider in providers(r) {
        let (level, message, fix) = provider_advice(provider, r);
        add("provider", level, message, Some(fix));
    }

    if a.executions == 0 {
        let fix = if mysql {
            "MySQL/MariaDB: general_log = 1 (every statement), or slow_query_log = 1 with \
             long_query_time = 0; log_output = FILE"
        } else {
            "PostgreSQL: log_statement = 'all' (or 'mod' for a cheap writer inventory), or \
             log_min_duration_statement = 0"
        };
        add(
            "statements",
            Level::Error,
            "no statements are logged: this log cannot show who reads or writes".into(),
            Some(fix.into()),
        );
    } else {
        let settings: Vec<String> = a
            .by_setting
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        add(
            "statements",
            Level::Ok,
            format!(
                "{} statements logged ({} executions) via {}",
                a.statements,
                a.executions,
                settings.join(", ")
            ),
            None,
        );
        let reads = r.rows.iter().any(|row| row.access == Access::Read);
        let writes = r.rows.iter().any(|row| row.access == Access::Write);
        if pg && writes && !reads {
            add(
                "reads",
                Level::Info,
                "only writes and DDL are logged (log_statement = 'mod'?): a cheap writer \
                 inventory, but readers are invisible"
                    .into(),
                Some(
                    "log_statement = 'all' or log_min_duration_statement = 0 to see readers".into(),
                ),
            );
        }
        if a.by_setting.contains_key("log_min_duration_statement")
            && !a.by_setting.contains_key("log_statement")
        {
            add(
                "failures",
                Level::Info,
                "statements are logged when they finish: a failed statement shows only as \
                 ERROR + STATEMENT (counted as attempted)"
                    .into(),
                None,
            );
        }
    }

    if pg && a.executions > 0 && r.app_names.is_empty() {
        add(
            "application_name",
            Level::Warn,
            "no statement carries an application name: clients can only be told apart by \
             user, database and host"
                .into(),
            Some(format!(
                "log_line_prefix with %a (e.g. '{RECOMMENDED_PREFIX}'), or csvlog/jsonlog"
            )),
        );
    } else if pg && a.executions > 0 {
        let total: u64 = r.app_names.values().sum();
        let defaults: Vec<(&String, &u64)> = r
            .app_names
            .iter()
            .filter(|(k, _)| is_driver_default(k))
            .collect();
        let default_execs: u64 = defaults.iter().map(|(_, v)| **v).sum();
        let names: Vec<String> = defaults
            .iter()
            .map(|(k, v)| {
                if k.is_empty() {
                    format!("(empty) {v}")
                } else {
                    format!("{k} {v}")
                }
            })
            .collect();
        let share = pct(default_execs, total);
        add(
            "application_name",
            if default_execs == 0 {
                Level::Ok
            } else if share > 50.0 {
                Level::Error
            } else {
                Level::Warn
            },
            if default_execs == 0 {
                format!(
                    "{} application names, none a driver default",
                    r.app_names.len()
                )
            } else {
                format!(
                    "{share:.1}% of executions carry an empty or driver-default application \
                     name ({})",
                    names.join(", ")
                )
            },
            (default_execs > 0).then(|| {
                "set application_name per service (PGAPPNAME, `application_name=` in the \
                 connection string) or add sqlcommenter tags; otherwise map clients by \
                 user=/host= in [[components]] db_clients"
                    .into()
            }),
        );
    }
    if mysql && a.executions > 0 {
        add(
            "client_identity",
            Level::Info,
            "MySQL/MariaDB logs name clients only by user@host: give each application its \
             own database user"
                .into(),
            None,
        );
    }
    if r.classify.failed_to_parse > 0 {
        let reasons: Vec<String> = r
            .unparsed
            .iter()
            .map(|(k, u)| format!("{k}: {}", u.statements))
            .collect();
        add(
            "parse",
            Level::Warn,
            format!(
                "{} distinct statements could not be classified ({})",
                r.classify.failed_to_parse,
                reasons.join("; ")
            ),
            None,
        );
    }
    for n in &r.notes {
        add("input", Level::Warn, n.clone(), None);
    }
    Diagnosis { checks }
}

/// The managed services that wrote the files, each once, in order.
fn providers(r: &LogReport) -> Vec<Provider> {
    let mut out: Vec<Provider> = r.files.iter().filter_map(|f| f.provider).collect();
    out.sort();
    out.dedup();
    out
}

/// What a provider's fixed logging lacks, and the fixes that work there.
fn provider_advice(p: Provider, r: &LogReport) -> (Level, String, String) {
    let mysql = r.files.iter().any(|f| !f.format.is_postgres());
    // Application names seen on statements: the connection lines completed the clients.
    let apps = r.app_names.keys().any(|k| !k.is_empty());
    let completed = if apps {
        "; the sessions' `connection authorized` lines (log_connections) named the application"
    } else {
        "; no `connection authorized` lines named an application: turn log_connections on"
    };
    let level = if apps || mysql {
        Level::Info
    } else {
        Level::Warn
    };
    match p {
        Provider::AwsRds if mysql => (
            Level::Info,
            "AWS RDS for MySQL/MariaDB: logs name clients by user and host only".into(),
            "one database user per service; the MARIADB_AUDIT_PLUGIN option group option \
             (SERVER_AUDIT_EVENTS = CONNECT,QUERY,TABLE) logs the tables each statement touches, \
             including inside procedures; publish general/slow/audit logs to CloudWatch"
                .into(),
        ),
        Provider::AwsRds => (
            level,
            format!(
                "AWS RDS/Aurora: log_line_prefix is fixed ('%t:%r:%u@%d:[%p]:') and has no %a{completed}"
            ),
            "in the DB parameter group: log_connections = 1 (application names), one role per \
             service, sqlcommenter tags (application=…) in each service; pgaudit \
             (shared_preload_libraries = pgaudit, pgaudit.log = 'write, ddl') sees writes inside \
             functions; log_statement = 'all' or log_min_duration_statement = 0"
                .into(),
        ),
        Provider::GoogleCloudSql => (
            level,
            format!(
                "Google Cloud SQL: log_line_prefix is fixed ('%m [%p]: [%l-1] db=%d,user=%u ') \
                 and has no %a nor %h{completed}"
            ),
            "database flags: log_connections = on, log_statement = all; \
             cloudsql.enable_pgaudit = on and pgaudit.log = 'write' for writes inside functions; \
             sqlcommenter tags (Cloud SQL Query Insights reads the same comments); one user per \
             service"
                .into(),
        ),
        Provider::GoogleAlloyDb => (
            Level::Info,
            "Google AlloyDB: pgAudit entries name the user and the database, not the \
             application nor the table (the statement is classified)"
                .into(),
            "one database user per service, or sqlcommenter tags in each service's queries; \
             alloydb.enable_pgaudit with pgaudit.log = 'write, ddl'"
                .into(),
        ),
        Provider::Azure => (
            level,
            format!(
                "Azure Database for PostgreSQL: log_line_prefix '%t-%c-' names no client (no %u \
                 %d %a %h){completed}"
            ),
            "server parameters: log_connections = on (user, database and application per \
             session), log_statement = all; pgaudit (azure.extensions and \
             shared_preload_libraries) for writes inside functions; sqlcommenter tags"
                .into(),
        ),
        Provider::CloudNativePg => (
            Level::Ok,
            "CloudNativePG: every csvlog field is in the record (user, database, application, \
             host)"
                .into(),
            "pgaudit through the Cluster's postgresql.parameters (pgaudit.log = 'write, ddl') \
             logs writes inside functions with the session that called them"
                .into(),
        ),
    }
}
