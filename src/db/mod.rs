//! The live database catalog: a connection URL and the configured legacy tables in; per
//! table out, what the database itself does with it (triggers, rules, views, functions,
//! foreign-key cascades, publications, policies, partitions), who may write it (grants,
//! membership, owner, superusers) and its live counters. One file per server kind
//! (`postgres.rs`, `mysql.rs`); their catalog queries are data in `queries/db/<server>/`.
//!
//! Every read happens in one short read-only transaction; nothing is rendered until the
//! whole catalog is in memory, so a connection lost mid-run leaves no half-written output.
//! The write lock (`lock-writes`, `unlock-writes`) is the only code that changes a database,
//! and only with `--apply`. Routine bodies are classified by `crate::sql`; matching names
//! against the configuration is `TableMatcher`'s job; rendering is `report::db`'s.

pub mod mysql;
pub mod postgres;

use crate::config::{LegacyTable, TableMatcher};
use crate::logs::LogReport;
use crate::model::{Access, Confidence, Finding, Kind, Language, Operation, Site};
use crate::sql::{Dialect, TableName};
use anyhow::{Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The environment variable that holds the connection URL when `--url` is not given.
pub const URL_ENV: &str = "CUTOVER_DATABASE_URL";

/// Which server a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Server {
    Postgres,
    Mysql,
}

impl Server {
    pub fn as_str(self) -> &'static str {
        match self {
            Server::Postgres => "postgresql",
            Server::Mysql => "mysql",
        }
    }

    pub fn dialect(self) -> Dialect {
        match self {
            Server::Postgres => Dialect::Postgres,
            Server::Mysql => Dialect::Mysql,
        }
    }
}

/// A connection URL, with what may be shown of it. The password is kept only in `url` and
/// never printed: `display` leaves it out, and `scrub` removes it from driver messages.
#[derive(Clone)]
pub struct Target {
    pub server: Server,
    /// The URL as given (`mariadb://` rewritten to `mysql://`).
    url: String,
    password: Option<String>,
    /// `postgresql://user@host:port/db`, without the password.
    pub display: String,
    /// `host:port` (or the socket), for error messages.
    pub host: String,
    /// The database named in the URL.
    pub database: Option<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("server", &self.server)
            .field("display", &self.display)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Parse a URL: `postgres://` or `postgresql://` (any libpq URL), `mysql://` or
    /// `mariadb://`.
    pub fn parse(url: &str) -> Result<Target> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!(
                "database URL must start with postgres://, postgresql://, mysql:// or mariadb:// \
                 (got {})",
                scheme_hint(url)
            );
        };
        let server = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Server::Postgres,
            "mysql" | "mariadb" => Server::Mysql,
            other => bail!(
                "unsupported database URL scheme `{other}://`: use postgres://, postgresql://, \
                 mysql:// or mariadb://"
            ),
        };
        let url = match server {
            Server::Mysql => format!("mysql://{rest}"),
            Server::Postgres => url.to_string(),
        };
        let parts = UrlParts::parse(rest);
        let password = parts.password.clone().filter(|p| !p.is_empty());
        let host = if parts.host.is_empty() {
            match server {
                Server::Postgres => "localhost (default socket)".to_string(),
                Server::Mysql => "localhost".to_string(),
            }
        } else {
            parts.host.clone()
        };
        let mut display = format!("{}://", server.as_str());
        if let Some(u) = &parts.user {
            display.push_str(u);
            display.push('@');
        }
        display.push_str(&parts.host);
        if let Some(db) = &parts.database {
            display.push('/');
            display.push_str(db);
        }
        Ok(Target {
            server,
            url,
            password,
            display,
            host,
            database: parts.database,
        })
    }

    /// The URL to hand to the driver.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// `text` with every occurrence of the password replaced, for driver messages.
    pub fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(p) if p.len() >= 2 => text.replace(p.as_str(), "***"),
            _ => text.to_string(),
        }
    }
}

/// The scheme part of a URL without a `://`, or a hint, for the error message (never the
/// whole URL: it may hold a password).
fn scheme_hint(url: &str) -> String {
    match url.split_once(':') {
        Some((s, _)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("`{s}:…`")
        }
        _ => "something else".to_string(),
    }
}

/// The parts of `user:password@host:port/db?params` that are shown or needed.
struct UrlParts {
    user: Option<String>,
    password: Option<String>,
    /// `host:port` as written (may be empty, or a percent-encoded socket directory).
    host: String,
    database: Option<String>,
}

impl UrlParts {
    fn parse(rest: &str) -> UrlParts {
        let (before_query, _) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = before_query.split_once('/').unwrap_or((before_query, ""));
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((user, pass)) => (Some(percent_decode(user)), Some(percent_decode(pass))),
                None => (Some(percent_decode(u)), None),
            },
            None => (None, None),
        };
        UrlParts {
            user: user.filter(|u| !u.is_empty()),
            password,
            host: percent_decode(host),
            database: Some(percent_decode(path)).filter(|d| !d.is_empty()),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What kind of database object touches a legacy table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    Trigger,
    Rule,
    Function,
    Procedure,
    View,
    MaterializedView,
    ForeignKey,
    Sequence,
    Publication,
    Subscription,
    Policy,
    Partition,
    ChildTable,
    ParentTable,
    Event,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Trigger => "trigger",
            ObjectKind::Rule => "rule",
            ObjectKind::Function => "function",
            ObjectKind::Procedure => "procedure",
            ObjectKind::View => "view",
            ObjectKind::MaterializedView => "materialized view",
            ObjectKind::ForeignKey => "foreign key",
            ObjectKind::Sequence => "sequence",
            ObjectKind::Publication => "publication",
            ObjectKind::Subscription => "subscription",
            ObjectKind::Policy => "policy",
            ObjectKind::Partition => "partition",
            ObjectKind::ChildTable => "child table",
            ObjectKind::ParentTable => "parent table",
            ObjectKind::Event => "event",
        }
    }
}

/// One database object and how it touches one legacy table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbObject {
    pub kind: ObjectKind,
    /// How a person names it: `trigger orders_audit ON orders_legacy`, `function f()`.
    pub location: String,
    /// `Write` and `Read` as for code; `Declare` for objects attached to the table that must
    /// move with it (its triggers, sequences, policies, partitions, outgoing foreign keys).
    pub access: Access,
    pub operation: Operation,
    /// The definition or the statement, on one line.
    pub detail: String,
    /// For implicit writes and indirect reads: the chain that causes them.
    pub via: Vec<String>,
    pub confidence: Confidence,
}

/// A role (PostgreSQL) or account (MySQL) that may write a legacy table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MayWrite {
    pub role: String,
    /// `insert`, `update`, `delete`, `truncate` (sorted).
    pub privileges: Vec<String>,
    /// Why: `owner`, `superuser`, `granted directly`, `member of order_writers`…
    pub how: Vec<String>,
    pub can_login: bool,
    /// Bypasses row-level security (superuser or BYPASSRLS).
    pub bypass_rls: bool,
}

/// Live counters of a table since the server's statistics were last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub inserts: u64,
    pub updates: u64,
    pub deletes: u64,
    /// Rows read (MySQL: fetches) or sequential scans (PostgreSQL).
    pub seq_scans: Option<u64>,
    pub idx_scans: Option<u64>,
    pub reads: Option<u64>,
    pub live_rows: Option<u64>,
    pub last_seq_scan: Option<String>,
    pub last_idx_scan: Option<String>,
    /// When the counters were last reset, when the server says.
    pub since: Option<String>,
}

impl Counters {
    pub fn writes(&self) -> u64 {
        self.inserts + self.updates + self.deletes
    }
}

/// The change of the counters over `--watch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub seconds: f64,
    pub inserts: u64,
    pub updates: u64,
    pub deletes: u64,
    /// Scans (PostgreSQL: sequential + index) or row reads (MySQL) in the interval.
    pub reads: u64,
}

impl Delta {
    pub fn writes(&self) -> u64 {
        self.inserts + self.updates + self.deletes
    }

    pub fn writes_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.writes() as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Logs and the catalog, compared: `--logs` on `cutover db`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantCheck {
    /// Login roles that may write and that the logs never show writing.
    pub never_wrote: Vec<String>,
    /// Users seen writing in the logs that hold no write privilege on the table now.
    pub wrote_without_grant: Vec<String>,
}

/// One legacy table as found in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct TableReport {
    /// The configured name.
    pub table: String,
    /// The relation it resolved to (`public.orders_legacy`); `None` when absent.
    pub relation: Option<String>,
    pub owner: Option<String>,
    /// `table`, `partitioned table`, `view`…
    pub relkind: Option<String>,
    /// Row-level security: `None` where the server has none.
    pub row_security: Option<bool>,
    pub objects: Vec<DbObject>,
    pub may_write: Vec<MayWrite>,
    pub counters: Option<Counters>,
    pub delta: Option<Delta>,
    pub grants_vs_logs: Option<GrantCheck>,
}

impl TableReport {
    pub fn new(table: &str) -> TableReport {
        TableReport {
            table: table.to_string(),
            relation: None,
            owner: None,
            relkind: None,
            row_security: None,
            objects: Vec::new(),
            may_write: Vec::new(),
            counters: None,
            delta: None,
            grants_vs_logs: None,
        }
    }

    pub fn objects_with(&self, access: Access) -> impl Iterator<Item = &DbObject> {
        self.objects.iter().filter(move |o| o.access == access)
    }
}

/// Everything `cutover db` read.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub server: Server,
    /// The connection, without password.
    pub target: String,
    /// `PostgreSQL 15.10`, `MariaDB 10.11.6`.
    pub version: String,
    /// One per configured table (or per relation it matches), in configuration order.
    pub tables: Vec<TableReport>,
    /// `pg_stat_statements` read live, attributed like an export (`None` when absent).
    pub statements: Option<LogReport>,
    /// What could not be read and why (privileges, extensions, settings). Never silent.
    pub notes: Vec<String>,
}

impl Catalog {
    /// The catalog's objects as findings of kind `db_object`, for `--db` on the commands
    /// that print findings. The object is the location; line and column are 0.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for t in &self.tables {
            for o in &t.objects {
                let site = Site {
                    file: o.location.clone(),
                    line: 0,
                    column: 0,
                    language: Language::Sql,
                    function: None,
                    evidence: o.detail.clone(),
                    sink: None,
                    framework: Some(self.server.as_str().to_string()),
                };
                let finding = site.finding(
                    t.table.clone(),
                    o.access,
                    o.operation,
                    Kind::DbObject,
                    o.confidence,
                );
                out.push(finding.via(o.via.clone()));
            }
        }
        crate::model::sort_findings(&mut out);
        out
    }

    /// Compare who may write with who the logs show writing.
    pub fn check_grants(&mut self, logs: &LogReport) {
        for t in &mut self.tables {
            let mut writers: BTreeSet<String> = BTreeSet::new();
            for row in logs.rows_of(&t.table) {
                if row.access != Access::Write || row.executions == 0 {
                    continue;
                }
                if let Some(user) = logs
                    .clients
                    .get(&row.client)
                    .and_then(|c| c.client.user.clone())
                {
                    writers.insert(user);
                }
            }
            let allowed: BTreeSet<&str> = t.may_write.iter().map(|m| m.role.as_str()).collect();
            let never_wrote = t
                .may_write
                .iter()
                .filter(|m| m.can_login && !writers.contains(&m.role))
                .map(|m| m.role.clone())
                .collect();
            let wrote_without_grant = writers
                .iter()
                .filter(|w| !allowed.contains(w.as_str()))
                .cloned()
                .collect();
            t.grants_vs_logs = Some(GrantCheck {
                never_wrote,
                wrote_without_grant,
            });
        }
    }
}

/// How to read the catalog.
#[derive(Debug, Clone)]
pub struct Options {
    pub tables: TableMatcher,
    /// Sample the counters twice, this far apart.
    pub watch: Option<Duration>,
    /// Give up on a connection attempt after this long.
    pub connect_timeout: Duration,
}

/// Connect, read the catalog of every configured table, disconnect.
pub fn inspect(target: &Target, opts: &Options) -> Result<Catalog> {
    let mut catalog = match target.server {
        Server::Postgres => postgres::inspect(target, opts)?,
        Server::Mysql => mysql::inspect(target, opts)?,
    };
    for t in &mut catalog.tables {
        t.objects.sort();
        t.objects.dedup();
        for m in &mut t.may_write {
            m.privileges.sort();
        }
        t.may_write.sort();
    }
    catalog.notes.sort();
    catalog.notes.dedup();
    Ok(catalog)
}

/// What `lock-writes` and `unlock-writes` do.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub table: LegacyTable,
    /// Named in the error a rejected write gets (`the migration to orders`).
    pub migration: String,
    /// Also revoke (or, unlocking, restore) the write privileges of the roles that hold them.
    pub revoke: bool,
}

/// The SQL of a write lock and whether it was run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockScript {
    pub server: Server,
    pub target: String,
    pub lock: bool,
    pub sql: String,
    pub applied: bool,
    pub notes: Vec<String>,
}

/// Build (and with `apply`, run) the SQL that makes a table reject writes, or its reverse.
pub fn write_lock(
    target: &Target,
    req: &LockRequest,
    lock: bool,
    apply: bool,
    opts: &Options,
) -> Result<LockScript> {
    match target.server {
        Server::Postgres => postgres::write_lock(target, req, lock, apply, opts),
        Server::Mysql => mysql::write_lock(target, req, lock, apply, opts),
    }
}

/// The message a rejected write gets.
pub fn lock_message(table: &str, migration: &str) -> String {
    format!("cutover: writes to {table} are locked for {migration}")
}

/// Parse `--watch` durations: `30s`, `2m`, `500ms`, `1h`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 2m, 500ms)"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!(
            "`{text}`: the duration must be between 1ms and 24h"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The change between two samples of a table's counters, `seconds` apart.
pub(crate) fn delta(before: &Counters, after: &Counters, seconds: f64) -> Delta {
    let reads = |c: &Counters| {
        c.reads
            .unwrap_or_else(|| c.seq_scans.unwrap_or(0) + c.idx_scans.unwrap_or(0))
    };
    Delta {
        seconds,
        inserts: after.inserts.saturating_sub(before.inserts),
        updates: after.updates.saturating_sub(before.updates),
        deletes: after.deletes.saturating_sub(before.deletes),
        reads: reads(after).saturating_sub(reads(before)),
    }
}

/// Attribute live `pg_stat_statements` rows (as the CSV an export would be) with the export
/// reader itself, so that live and exported statistics can never disagree.
pub(crate) fn statements_report(csv: &str, opts: &Options) -> Result<LogReport> {
    use anyhow::Context;
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let path = dir.path().join("pg_stat_statements.csv");
    std::fs::write(&path, csv).with_context(|| format!("cannot write {}", path.display()))?;
    let read = crate::logs::ReadOptions {
        format: Some(crate::logs::LogFormat::PgStatStatements),
        log_line_prefix: None,
        tables: opts.tables.clone(),
        chunk_size: None,
        progress: None,
    };
    let mut report = crate::logs::read_logs(&[path], &read)?;
    for f in &mut report.files {
        f.path = "pg_stat_statements (live)".to_string();
    }
    Ok(report)
}

/// A name as a person reads it: the schema left out when it is the default one.
pub(crate) fn qualify(schema: &str, name: &str, default_schema: &str) -> String {
    if schema == default_schema || schema.is_empty() {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// The configured tables that a relation `schema.name` is, by the configuration's rules.
pub(crate) fn configured<'a>(
    tables: &'a TableMatcher,
    schema: &str,
    name: &str,
) -> Option<&'a LegacyTable> {
    tables.resolve(&TableName {
        schema: Some(schema.to_string()),
        name: name.to_string(),
        quoted: true,
    })
}

/// One statement of a routine body that touches a legacy table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyUse {
    pub table: String,
    pub access: Access,
    pub operation: Operation,
    pub confidence: Confidence,
    pub statement: String,
}

/// Classify a routine definition (`CREATE FUNCTION … $$ … $$`, `CREATE TRIGGER … BEGIN …
/// END`) as `.sql` files are: the statements of its body that touch legacy tables, and
/// whether it runs SQL built at run time that cannot be followed.
pub(crate) fn classify_body(
    definition: &str,
    dialect: Dialect,
    tables: &TableMatcher,
    only_body: bool,
) -> (Vec<BodyUse>, bool) {
    let mut uses = Vec::new();
    let mut dynamic = false;
    for st in crate::sql::classify(definition, dialect) {
        if only_body && st.routine.is_none() {
            continue;
        }
        for u in &st.uses {
            if u.table.name.starts_with(crate::sql::DYNAMIC_MARKER_PREFIX) {
                dynamic = true;
                continue;
            }
            let Some(t) = tables.resolve(&u.table) else {
                continue;
            };
            uses.push(BodyUse {
                table: t.display.clone(),
                access: u.access,
                operation: u.operation,
                confidence: st.confidence,
                statement: one_line(&definition[st.start..st.end], 160),
            });
        }
    }
    uses.sort_by(|a, b| {
        (&a.table, a.access, a.operation, &a.statement).cmp(&(
            &b.table,
            b.access,
            b.operation,
            &b.statement,
        ))
    });
    uses.dedup();
    (uses, dynamic)
}

/// `text` on one line, truncated to `max` characters.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    crate::logs::truncate(text, max)
}

/// Roles through which `role` holds a privilege: a breadth-first walk of the membership
/// graph (`member → roles it belongs to`) that stops at roles in `holders`. Returns the
/// holders reached, sorted.
pub(crate) fn reached_holders(
    role: &str,
    member_of: &BTreeMap<String, Vec<String>>,
    holders: &BTreeSet<String>,
) -> Vec<String> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut queue: std::collections::VecDeque<&str> = std::collections::VecDeque::new();
    let mut found = BTreeSet::new();
    queue.push_back(role);
    seen.insert(role);
    while let Some(r) = queue.pop_front() {
        for parent in member_of.get(r).into_iter().flatten() {
            if seen.insert(parent.as_str()) {
                if holders.contains(parent) {
                    found.insert(parent.clone());
                }
                queue.push_back(parent.as_str());
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_display_never_holds_the_password() {
        let t =
            Target::parse("postgres://app:s3cr%40t@db.internal:5433/shop?sslmode=disable").unwrap();
        assert_eq!(t.server, Server::Postgres);
        assert_eq!(t.display, "postgresql://app@db.internal:5433/shop");
        assert_eq!(t.host, "db.internal:5433");
        assert!(!format!("{t:?}").contains("s3cr"));
        assert_eq!(t.scrub("password s3cr@t rejected"), "password *** rejected");
        let m = Target::parse("mariadb://root:pw@127.0.0.1:3307/shop").unwrap();
        assert_eq!(m.server, Server::Mysql);
        assert_eq!(m.url(), "mysql://root:pw@127.0.0.1:3307/shop");
        assert_eq!(m.display, "mysql://root@127.0.0.1:3307/shop");
    }

    #[test]
    fn bad_urls_are_usage_errors_without_the_url() {
        let e = Target::parse("oracle://u:topsecret@h/db").unwrap_err();
        assert!(format!("{e}").contains("oracle://"), "{e}");
        assert!(!format!("{e}").contains("topsecret"), "{e}");
        let e = Target::parse("u:topsecret@h/db").unwrap_err();
        assert!(!format!("{e}").contains("topsecret"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5 weeks").is_err());
    }

    #[test]
    fn membership_walk_finds_granting_roles() {
        let mut member_of = BTreeMap::new();
        member_of.insert("alice".to_string(), vec!["writers".to_string()]);
        member_of.insert("writers".to_string(), vec!["owners".to_string()]);
        member_of.insert("owners".to_string(), vec!["alice".to_string()]);
        let holders: BTreeSet<String> = ["owners".to_string()].into();
        assert_eq!(reached_holders("alice", &member_of, &holders), ["owners"]);
        assert!(reached_holders("bob", &member_of, &holders).is_empty());
    }
}
