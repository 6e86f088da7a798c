//! PostgreSQL: the catalog of the configured legacy tables, read with the queries in
//! `queries/db/postgres/` in one read-only, repeatable-read transaction; and the write lock
//! (a statement-level trigger that raises an error naming the table and the migration).
//!
//! Optional parts (pg_stat_statements, subscriptions) run under a savepoint, so that a
//! missing extension or privilege becomes a note instead of aborting the transaction.

use super::{
    Catalog, Counters, DbObject, LockRequest, LockScript, MayWrite, ObjectKind, Options, Server,
    TableReport, Target, classify_body, configured, one_line, qualify,
};
use crate::model::{Access, Confidence, Operation};
use crate::sql::Dialect;
use anyhow::{Context, Result, anyhow, bail};
use postgres::{Client, IsolationLevel, NoTls, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::time::Instant;

const RELATIONS: &str = include_str!("../../queries/db/postgres/relations.sql");
const ROUTINES: &str = include_str!("../../queries/db/postgres/routines.sql");
const TRIGGERS: &str = include_str!("../../queries/db/postgres/triggers.sql");
const RULES: &str = include_str!("../../queries/db/postgres/rules.sql");
const VIEWS: &str = include_str!("../../queries/db/postgres/views.sql");
const FOREIGN_KEYS: &str = include_str!("../../queries/db/postgres/foreign_keys.sql");
const SEQUENCES: &str = include_str!("../../queries/db/postgres/sequences.sql");
const PUBLICATIONS: &str = include_str!("../../queries/db/postgres/publications.sql");
const SUBSCRIPTIONS: &str = include_str!("../../queries/db/postgres/subscriptions.sql");
const POLICIES: &str = include_str!("../../queries/db/postgres/policies.sql");
const INHERITANCE: &str = include_str!("../../queries/db/postgres/inheritance.sql");
const ROLES: &str = include_str!("../../queries/db/postgres/roles.sql");
const GRANTS: &str = include_str!("../../queries/db/postgres/grants.sql");
const MEMBERS: &str = include_str!("../../queries/db/postgres/members.sql");
const TABLE_STATS: &str = include_str!("../../queries/db/postgres/table_stats.sql");
const TABLE_STATS_16: &str = include_str!("../../queries/db/postgres/table_stats_16.sql");
const STATEMENTS: &str = include_str!("../../queries/db/postgres/statements.sql");

/// Every built-in query, for the test that runs them all.
pub const QUERIES: &[(&str, &str)] = &[
    ("foreign_keys", FOREIGN_KEYS),
    ("grants", GRANTS),
    ("inheritance", INHERITANCE),
    ("members", MEMBERS),
    ("policies", POLICIES),
    ("publications", PUBLICATIONS),
    ("relations", RELATIONS),
    ("roles", ROLES),
    ("routines", ROUTINES),
    ("rules", RULES),
    ("sequences", SEQUENCES),
    ("statements", STATEMENTS),
    ("subscriptions", SUBSCRIPTIONS),
    ("table_stats", TABLE_STATS),
    ("table_stats_16", TABLE_STATS_16),
    ("triggers", TRIGGERS),
    ("views", VIEWS),
];

const DEFAULT_SCHEMA: &str = "public";

/// Open a connection; the error names the host and the reason, never the password.
pub(crate) fn connect(target: &Target, opts: &Options) -> Result<Client> {
    let mut config = postgres::Config::from_str(target.url()).map_err(|e| {
        anyhow!(
            "invalid PostgreSQL URL {}: {}",
            target.display,
            target.scrub(&e.to_string())
        )
    })?;
    config.connect_timeout(opts.connect_timeout);
    if config.get_application_name().is_none() {
        config.application_name("cutover");
    }
    config.connect(NoTls).map_err(|e| {
        anyhow!(
            "cannot connect to PostgreSQL at {} ({}): {}",
            target.host,
            target.display,
            target.scrub(&reason(&e))
        )
    })
}

/// The most telling part of a driver error: the server's message, else the I/O cause.
fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

/// Run a query; errors name the query file and the server's reason.
fn query(
    tx: &mut Transaction<'_>,
    name: &str,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<Row>> {
    tx.query(sql, params)
        .map_err(|e| anyhow!("{name}: {}", reason(&e)))
        .with_context(|| format!("reading the PostgreSQL catalog ({name}.sql)"))
}

/// Run an optional query under a savepoint: `Ok(None)` with a note when the server refuses.
fn optional(
    tx: &mut Transaction<'_>,
    name: &str,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
    notes: &mut Vec<String>,
    what: &str,
) -> Result<Option<Vec<Row>>> {
    let mut sp = tx
        .transaction()
        .map_err(|e| anyhow!("savepoint: {}", reason(&e)))?;
    match sp.query(sql, params) {
        Ok(rows) => {
            sp.commit()
                .map_err(|e| anyhow!("release savepoint: {}", reason(&e)))?;
            Ok(Some(rows))
        }
        Err(e) if e.as_db_error().is_some() => {
            notes.push(format!("{what} not read: {}", reason(&e)));
            sp.rollback()
                .map_err(|e| anyhow!("rollback to savepoint: {}", reason(&e)))?;
            Ok(None)
        }
        Err(e) => Err(anyhow!("{name}: {}", reason(&e))),
    }
}

/// A legacy relation found in the database.
struct Rel {
    oid: u32,
    /// Index into `Catalog::tables`.
    index: usize,
}

/// Read the catalog.
pub fn inspect(target: &Target, opts: &Options) -> Result<Catalog> {
    let mut client = connect(target, opts)?;
    let (mut catalog, rels) = read(&mut client, target, opts)?;
    let first = Instant::now();
    if let Some(wait) = opts.watch {
        std::thread::sleep(wait);
        let mut tx = read_only(&mut client, target)?;
        let version = server_version(&mut tx)?;
        let after = counters(&mut tx, &rels, version)?;
        tx.commit()
            .map_err(|e| anyhow!("{}: {}", target.host, reason(&e)))?;
        let seconds = first.elapsed().as_secs_f64();
        for (i, a) in after {
            if let Some(b) = catalog.tables[i].counters.clone() {
                catalog.tables[i].delta = Some(super::delta(&b, &a, seconds));
            }
            catalog.tables[i].counters = Some(a);
        }
    }
    Ok(catalog)
}

fn read_only<'a>(client: &'a mut Client, target: &Target) -> Result<Transaction<'a>> {
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .isolation_level(IsolationLevel::RepeatableRead)
        .start()
        .map_err(|e| {
            anyhow!(
                "{}: cannot start a transaction: {}",
                target.host,
                reason(&e)
            )
        })?;
    // A catalog read is short; a lock held by a migration must not make it hang.
    tx.batch_execute("SET LOCAL statement_timeout = '60s'; SET LOCAL lock_timeout = '5s'")
        .map_err(|e| anyhow!("{}: {}", target.host, reason(&e)))?;
    Ok(tx)
}

fn server_version(tx: &mut Transaction<'_>) -> Result<i32> {
    let row = query(
        tx,
        "version",
        "SELECT current_setting('server_version_num')::int",
        &[],
    )?;
    Ok(row.first().map_or(0, |r| r.get(0)))
}

fn read(client: &mut Client, target: &Target, opts: &Options) -> Result<(Catalog, Vec<Rel>)> {
    let mut tx = read_only(client, target)?;
    let version_num = server_version(&mut tx)?;
    let version: String = query(&mut tx, "version", "SHOW server_version", &[])?
        .first()
        .map_or_else(String::new, |r| r.get(0));
    let mut notes = Vec::new();
    let mut tables: Vec<TableReport> = Vec::new();
    let mut rels: Vec<Rel> = Vec::new();
    let rows = query(&mut tx, "relations", RELATIONS, &[])?;
    for legacy in opts.tables.tables() {
        let mut any = false;
        for r in &rows {
            let schema: String = r.get("schema");
            let name: String = r.get("name");
            if configured(&opts.tables, &schema, &name).map(|t| &t.display) != Some(&legacy.display)
            {
                continue;
            }
            any = true;
            let relkind: String = r.get("relkind");
            let mut t = TableReport::new(&legacy.display);
            t.relation = Some(format!("{schema}.{name}"));
            t.owner = Some(r.get("owner"));
            t.relkind = Some(relkind_name(&relkind).to_string());
            let rls: bool = r.get("row_security");
            t.row_security = Some(rls);
            rels.push(Rel {
                oid: r.get("oid"),
                index: tables.len(),
            });
            tables.push(t);
        }
        if !any {
            notes.push(format!(
                "{}: no such table in database {}",
                legacy.display, target.display
            ));
            tables.push(TableReport::new(&legacy.display));
        }
    }
    let by_oid: BTreeMap<u32, usize> = rels.iter().map(|r| (r.oid, r.index)).collect();
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let add = |index: usize, o: DbObject, tables: &mut Vec<TableReport>| {
        tables[index].objects.push(o);
    };

    // Routines: every SQL and PL/pgSQL body, classified once.
    let mut bodies: BTreeMap<u32, (String, Vec<super::BodyUse>)> = BTreeMap::new();
    let mut trigger_functions: BTreeSet<u32> = BTreeSet::new();
    for r in query(&mut tx, "routines", ROUTINES, &[])? {
        let oid: u32 = r.get("oid");
        let schema: String = r.get("schema");
        let name: String = r.get("name");
        let args: String = r.get("args");
        let kind: String = r.get("kind");
        let definition: String = r.get("definition");
        let label = format!(
            "{} {}({args})",
            if kind == "p" { "procedure" } else { "function" },
            qualify(&schema, &name, DEFAULT_SCHEMA)
        );
        let (uses, dynamic) = classify_body(&definition, Dialect::Postgres, &opts.tables, true);
        if dynamic {
            notes.push(format!(
                "{label} runs SQL built at run time (EXECUTE): the tables it touches cannot be \
                 read from the catalog"
            ));
        }
        if r.get::<_, bool>("returns_trigger") {
            trigger_functions.insert(oid);
        }
        bodies.insert(oid, (label, uses));
    }

    // Triggers: those on a legacy table are attached to it; any trigger whose function
    // writes or reads a legacy table is a writer or reader of that table.
    let mut used_trigger_functions: BTreeSet<u32> = BTreeSet::new();
    for r in query(&mut tx, "triggers", TRIGGERS, &[])? {
        let name: String = r.get("name");
        let table_oid: u32 = r.get("table_oid");
        let schema: String = r.get("schema");
        let table_name: String = r.get("table_name");
        let definition: String = r.get("definition");
        let function_oid: u32 = r.get("function_oid");
        let enabled: String = r.get("enabled");
        let location = format!(
            "trigger {name} ON {}",
            qualify(&schema, &table_name, DEFAULT_SCHEMA)
        );
        let disabled = if enabled == "D" { " (disabled)" } else { "" };
        if let Some(&i) = by_oid.get(&table_oid) {
            add(
                i,
                DbObject {
                    kind: ObjectKind::Trigger,
                    location: location.clone(),
                    access: Access::Declare,
                    operation: Operation::Declare,
                    detail: format!("{}{disabled}", one_line(&definition, 200)),
                    via: Vec::new(),
                    confidence: Confidence::Parsed,
                },
                &mut tables,
            );
        }
        used_trigger_functions.insert(function_oid);
        if let Some((label, uses)) = bodies.get(&function_oid) {
            for u in uses {
                for idx in indexes_of(&tables, &u.table) {
                    add(
                        idx,
                        DbObject {
                            kind: ObjectKind::Trigger,
                            location: location.clone(),
                            access: u.access,
                            operation: u.operation,
                            detail: format!("{}{disabled}", u.statement),
                            via: vec![label.clone()],
                            confidence: u.confidence,
                        },
                        &mut tables,
                    );
                }
            }
        }
    }
    for (oid, (label, uses)) in &bodies {
        // A trigger function runs only through its triggers, listed above.
        if trigger_functions.contains(oid) && used_trigger_functions.contains(oid) {
            continue;
        }
        let kind = if label.starts_with("procedure") {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        for u in uses {
            for idx in indexes_of(&tables, &u.table) {
                add(
                    idx,
                    DbObject {
                        kind,
                        location: label.clone(),
                        access: u.access,
                        operation: u.operation,
                        detail: u.statement.clone(),
                        via: Vec::new(),
                        confidence: u.confidence,
                    },
                    &mut tables,
                );
            }
        }
    }

    if !oids.is_empty() {
        read_dependencies(&mut tx, &oids, &by_oid, &mut tables, opts, &mut notes)?;
        read_privileges(&mut tx, &oids, &by_oid, &mut tables)?;
        for (i, c) in counters(&mut tx, &rels, version_num)? {
            tables[i].counters = Some(c);
        }
    }
    let statements = live_statements(&mut tx, opts, &mut notes)?;
    tx.commit()
        .map_err(|e| anyhow!("{}: {}", target.host, reason(&e)))?;
    let catalog = Catalog {
        server: Server::Postgres,
        target: target.display.clone(),
        version: format!("PostgreSQL {version}"),
        tables,
        statements,
        notes,
    };
    Ok((catalog, rels))
}

fn relkind_name(k: &str) -> &'static str {
    match k {
        "r" => "table",
        "p" => "partitioned table",
        "v" => "view",
        "m" => "materialized view",
        "f" => "foreign table",
        _ => "relation",
    }
}

/// The reports of a configured table (one per relation it matched).
fn indexes_of(tables: &[TableReport], display: &str) -> Vec<usize> {
    tables
        .iter()
        .enumerate()
        .filter(|(_, t)| t.table == display && t.relation.is_some())
        .map(|(i, _)| i)
        .collect()
}

fn action(code: &str) -> Option<&'static str> {
    match code {
        "c" => Some("CASCADE"),
        "n" => Some("SET NULL"),
        "d" => Some("SET DEFAULT"),
        _ => None,
    }
}

fn read_dependencies(
    tx: &mut Transaction<'_>,
    oids: &[u32],
    by_oid: &BTreeMap<u32, usize>,
    tables: &mut [TableReport],
    opts: &Options,
    notes: &mut Vec<String>,
) -> Result<()> {
    let simple = |kind, location: String, access, operation, detail: String| DbObject {
        kind,
        location,
        access,
        operation,
        detail,
        via: Vec::new(),
        confidence: Confidence::Parsed,
    };

    for r in query(tx, "views", VIEWS, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        let relkind: String = r.get("relkind");
        let schema: String = r.get("schema");
        let name: String = r.get("name");
        let via: Vec<String> = r.get("via");
        let (kind, word) = if relkind == "m" {
            (ObjectKind::MaterializedView, "materialized view")
        } else {
            (ObjectKind::View, "view")
        };
        let detail = if via.is_empty() {
            format!("reads {}", tables[i].relation.clone().unwrap_or_default())
        } else {
            format!("reads it through {}", via.join(" → "))
        };
        let mut o = simple(
            kind,
            format!("{word} {}", qualify(&schema, &name, DEFAULT_SCHEMA)),
            Access::Read,
            Operation::Select,
            detail,
        );
        o.via = via
            .iter()
            .map(|v| format!("view {}", v.strip_prefix("public.").unwrap_or(v)))
            .collect();
        push(tables, i, o);
    }

    for r in query(tx, "rules", RULES, &[&oids])? {
        let name: String = r.get("name");
        let table_oid: u32 = r.get("table_oid");
        let schema: String = r.get("schema");
        let table_name: String = r.get("table_name");
        let definition: String = r.get("definition");
        let touches: Option<u32> = r.get("touches");
        let location = format!(
            "rule {name} ON {}",
            qualify(&schema, &table_name, DEFAULT_SCHEMA)
        );
        if let Some(&i) = by_oid.get(&table_oid) {
            push(
                tables,
                i,
                simple(
                    ObjectKind::Rule,
                    location.clone(),
                    Access::Declare,
                    Operation::Declare,
                    one_line(&definition, 200),
                ),
            );
        }
        if let Some(&i) = touches.and_then(|t| by_oid.get(&t)) {
            let table = tables[i].table.clone();
            let (uses, _) = classify_body(
                rule_action(&definition),
                Dialect::Postgres,
                &opts.tables,
                false,
            );
            let mut any = false;
            for u in uses.iter().filter(|u| u.table == table) {
                any = true;
                push(
                    tables,
                    i,
                    DbObject {
                        kind: ObjectKind::Rule,
                        location: location.clone(),
                        access: u.access,
                        operation: u.operation,
                        detail: u.statement.clone(),
                        via: Vec::new(),
                        confidence: u.confidence,
                    },
                );
            }
            if !any && Some(table_oid) != touches {
                push(
                    tables,
                    i,
                    simple(
                        ObjectKind::Rule,
                        location,
                        Access::Read,
                        Operation::Unknown,
                        one_line(&definition, 200),
                    ),
                );
            }
        }
    }

    for r in query(tx, "foreign_keys", FOREIGN_KEYS, &[&oids])? {
        let name: String = r.get("name");
        let child_oid: u32 = r.get("child_oid");
        let parent_oid: u32 = r.get("parent_oid");
        let child = qualify(
            &r.get::<_, String>("child_schema"),
            &r.get::<_, String>("child_name"),
            DEFAULT_SCHEMA,
        );
        let parent = qualify(
            &r.get::<_, String>("parent_schema"),
            &r.get::<_, String>("parent_name"),
            DEFAULT_SCHEMA,
        );
        let on_delete: String = r.get("on_delete");
        let on_update: String = r.get("on_update");
        let definition: String = r.get("definition");
        let location = format!("foreign key {name} ON {child}");
        if let Some(&i) = by_oid.get(&child_oid) {
            // Writes to the parent that cascade are writes to this table.
            let mut cascades = false;
            if let Some(a) = action(&on_delete) {
                cascades = true;
                let op = if a == "CASCADE" {
                    Operation::Delete
                } else {
                    Operation::Update
                };
                let mut o = simple(
                    ObjectKind::ForeignKey,
                    location.clone(),
                    Access::Write,
                    op,
                    one_line(&definition, 200),
                );
                o.via = vec![format!("ON DELETE {a}: a delete from {parent}")];
                push(tables, i, o);
            }
            if let Some(a) = action(&on_update) {
                cascades = true;
                let mut o = simple(
                    ObjectKind::ForeignKey,
                    location.clone(),
                    Access::Write,
                    Operation::Update,
                    one_line(&definition, 200),
                );
                o.via = vec![format!("ON UPDATE {a}: an update of {parent}")];
                push(tables, i, o);
            }
            if !cascades {
                push(
                    tables,
                    i,
                    simple(
                        ObjectKind::ForeignKey,
                        location.clone(),
                        Access::Declare,
                        Operation::References,
                        one_line(&definition, 200),
                    ),
                );
            }
        }
        if let Some(&i) = by_oid.get(&parent_oid) {
            // Every insert or key update of the child checks this table.
            let effect = match (action(&on_delete), action(&on_update)) {
                (Some(d), _) => format!("; deleting here does ON DELETE {d} in {child}"),
                (None, Some(u)) => format!("; updating keys here does ON UPDATE {u} in {child}"),
                (None, None) => format!("; deleting a referenced row here fails ({child})"),
            };
            push(
                tables,
                i,
                simple(
                    ObjectKind::ForeignKey,
                    location,
                    Access::Read,
                    Operation::References,
                    format!("{}{effect}", one_line(&definition, 200)),
                ),
            );
        }
    }

    for r in query(tx, "sequences", SEQUENCES, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        let name = qualify(
            &r.get::<_, String>("schema"),
            &r.get::<_, String>("name"),
            DEFAULT_SCHEMA,
        );
        let column: String = r.get("column_name");
        let identity: bool = r.get("identity");
        push(
            tables,
            i,
            simple(
                ObjectKind::Sequence,
                format!("sequence {name}"),
                Access::Declare,
                Operation::Declare,
                format!(
                    "owned by column {column}{}",
                    if identity { " (identity)" } else { "" }
                ),
            ),
        );
    }

    for r in query(tx, "publications", PUBLICATIONS, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        let name: String = r.get("name");
        let mut ops = Vec::new();
        for (col, word) in [
            ("pubinsert", "insert"),
            ("pubupdate", "update"),
            ("pubdelete", "delete"),
            ("pubtruncate", "truncate"),
        ] {
            if r.get::<_, bool>(col) {
                ops.push(word);
            }
        }
        let all: bool = r.get("all_tables");
        push(
            tables,
            i,
            simple(
                ObjectKind::Publication,
                format!("publication {name}"),
                Access::Read,
                Operation::Select,
                format!(
                    "publishes {}{}",
                    ops.join(", "),
                    if all { " (FOR ALL TABLES)" } else { "" }
                ),
            ),
        );
    }

    if let Some(rows) = optional(
        tx,
        "subscriptions",
        SUBSCRIPTIONS,
        &[&oids],
        notes,
        "subscriptions",
    )? {
        for r in rows {
            let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
                continue;
            };
            let name: String = r.get("name");
            let enabled: bool = r.get("enabled");
            let publications: String = r.get("publications");
            push(
                tables,
                i,
                simple(
                    ObjectKind::Subscription,
                    format!("subscription {name}"),
                    Access::Write,
                    Operation::Insert,
                    format!(
                        "applies the changes of publication {publications}{}",
                        if enabled { "" } else { " (disabled)" }
                    ),
                ),
            );
        }
    }

    for r in query(tx, "policies", POLICIES, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        let name: String = r.get("name");
        let command = match r.get::<_, String>("command").as_str() {
            "r" => "SELECT",
            "a" => "INSERT",
            "w" => "UPDATE",
            "d" => "DELETE",
            _ => "ALL",
        };
        let permissive: bool = r.get("permissive");
        let roles: Vec<String> = r.get("roles");
        let using: Option<String> = r.get("using_expr");
        let check: Option<String> = r.get("check_expr");
        let mut detail = format!(
            "{} FOR {command} TO {}",
            if permissive {
                "PERMISSIVE"
            } else {
                "RESTRICTIVE"
            },
            roles.join(", ")
        );
        if let Some(u) = using {
            detail.push_str(&format!(" USING ({u})"));
        }
        if let Some(c) = check {
            detail.push_str(&format!(" WITH CHECK ({c})"));
        }
        if tables[i].row_security == Some(false) {
            detail.push_str("; row-level security is disabled on the table, so it has no effect");
        }
        let relation = tables[i].relation.clone().unwrap_or_default();
        push(
            tables,
            i,
            simple(
                ObjectKind::Policy,
                format!(
                    "policy {name} ON {}",
                    relation.strip_prefix("public.").unwrap_or(&relation)
                ),
                Access::Declare,
                Operation::Declare,
                one_line(&detail, 240),
            ),
        );
    }

    for r in query(tx, "inheritance", INHERITANCE, &[&oids])? {
        let parent_oid: u32 = r.get("parent_oid");
        let child_oid: u32 = r.get("child_oid");
        let parent = qualify(
            &r.get::<_, String>("parent_schema"),
            &r.get::<_, String>("parent_name"),
            DEFAULT_SCHEMA,
        );
        let child = qualify(
            &r.get::<_, String>("child_schema"),
            &r.get::<_, String>("child_name"),
            DEFAULT_SCHEMA,
        );
        let is_partition: bool = r.get("is_partition");
        let bound: String = r.get("bound");
        if let Some(&i) = by_oid.get(&parent_oid) {
            let (kind, location, detail) = if is_partition {
                (
                    ObjectKind::Partition,
                    format!("partition {child} OF {parent}"),
                    format!("{bound}; rows written to {parent} land here"),
                )
            } else {
                (
                    ObjectKind::ChildTable,
                    format!("child table {child} OF {parent}"),
                    format!("INHERITS ({parent}); reads of {parent} include its rows"),
                )
            };
            push(
                tables,
                i,
                simple(
                    kind,
                    location,
                    Access::Declare,
                    Operation::Declare,
                    one_line(&detail, 200),
                ),
            );
        }
        if let Some(&i) = by_oid.get(&child_oid) {
            let detail = if is_partition {
                format!("{bound}; reads and writes of {parent} reach this partition")
            } else {
                format!("reads, updates and deletes of {parent} reach this table")
            };
            push(
                tables,
                i,
                simple(
                    ObjectKind::ParentTable,
                    format!("parent table {parent}"),
                    Access::Declare,
                    Operation::Declare,
                    one_line(&detail, 200),
                ),
            );
        }
    }
    Ok(())
}

fn push(tables: &mut [TableReport], i: usize, o: DbObject) {
    tables[i].objects.push(o);
}

/// The action of `CREATE RULE … DO [ALSO|INSTEAD] action`, parentheses stripped.
fn rule_action(definition: &str) -> &str {
    let upper = definition.to_ascii_uppercase();
    let Some(p) = upper.find(" DO ") else {
        return definition;
    };
    let mut rest = definition[p + 4..].trim_start();
    for word in ["ALSO", "INSTEAD"] {
        if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word) {
            rest = rest[word.len()..].trim_start();
        }
    }
    let rest = rest.trim_end().trim_end_matches(';');
    rest.strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest)
}

fn read_privileges(
    tx: &mut Transaction<'_>,
    oids: &[u32],
    by_oid: &BTreeMap<u32, usize>,
    tables: &mut [TableReport],
) -> Result<()> {
    // Direct grants of write privileges per table: role → privileges ('' = PUBLIC).
    let mut direct: BTreeMap<usize, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for r in query(tx, "grants", GRANTS, &[&oids])? {
        if let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) {
            direct
                .entry(i)
                .or_default()
                .entry(r.get("grantee"))
                .or_default()
                .insert(r.get("privilege"));
        }
    }
    let mut member_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in query(tx, "members", MEMBERS, &[])? {
        member_of
            .entry(r.get("member"))
            .or_default()
            .push(r.get("role"));
    }
    for r in query(tx, "roles", ROLES, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        let role: String = r.get("role");
        let mut privileges = Vec::new();
        for (col, word) in [
            ("can_insert", "insert"),
            ("can_update", "update"),
            ("can_delete", "delete"),
            ("can_truncate", "truncate"),
        ] {
            if r.get::<_, bool>(col) {
                privileges.push(word.to_string());
            }
        }
        let column_write: bool = r.get("column_write");
        if privileges.is_empty() && column_write {
            privileges.push("insert/update of some columns".to_string());
        }
        if privileges.is_empty() {
            continue;
        }
        let superuser: bool = r.get("superuser");
        let is_owner: bool = r.get("is_owner");
        let mut how = Vec::new();
        if superuser {
            how.push("superuser".to_string());
        }
        if is_owner {
            how.push("owner".to_string());
        }
        let grants = direct.get(&i);
        if !is_owner && grants.is_some_and(|g| g.contains_key(&role)) {
            how.push("granted directly".to_string());
        }
        if grants.is_some_and(|g| g.contains_key("")) {
            how.push("granted to PUBLIC".to_string());
        }
        let holders: BTreeSet<String> = grants
            .map(|g| g.keys().filter(|k| !k.is_empty()).cloned().collect())
            .unwrap_or_default();
        let owner = tables[i].owner.clone().unwrap_or_default();
        for via in super::reached_holders(&role, &member_of, &holders) {
            if via == owner {
                how.push(format!("member of the owner {via}"));
            } else {
                how.push(format!("member of {via}"));
            }
        }
        if how.is_empty() {
            // e.g. pg_write_all_data, or a column grant.
            let predefined: Vec<String> = super::reached_holders(
                &role,
                &member_of,
                &["pg_write_all_data".to_string()].into(),
            );
            if predefined.is_empty() {
                how.push("column grants".to_string());
            } else {
                how.push("member of pg_write_all_data".to_string());
            }
        }
        tables[i].may_write.push(MayWrite {
            role,
            privileges,
            how,
            can_login: r.get("can_login"),
            bypass_rls: superuser || r.get::<_, bool>("bypass_rls"),
        });
    }
    Ok(())
}

fn counters(
    tx: &mut Transaction<'_>,
    rels: &[Rel],
    version: i32,
) -> Result<Vec<(usize, Counters)>> {
    let oids: Vec<u32> = rels.iter().map(|r| r.oid).collect();
    let by_oid: BTreeMap<u32, usize> = rels.iter().map(|r| (r.oid, r.index)).collect();
    let sql = if version >= 160_000 {
        TABLE_STATS_16
    } else {
        TABLE_STATS
    };
    let n = |r: &Row, c: &str| -> u64 {
        r.get::<_, Option<i64>>(c)
            .map_or(0, |v| u64::try_from(v).unwrap_or(0))
    };
    let mut out = Vec::new();
    for r in query(tx, "table_stats", sql, &[&oids])? {
        let Some(&i) = by_oid.get(&r.get::<_, u32>("table_oid")) else {
            continue;
        };
        out.push((
            i,
            Counters {
                inserts: n(&r, "n_tup_ins"),
                updates: n(&r, "n_tup_upd"),
                deletes: n(&r, "n_tup_del"),
                seq_scans: Some(n(&r, "seq_scan")),
                idx_scans: r
                    .get::<_, Option<i64>>("idx_scan")
                    .map(|v| u64::try_from(v).unwrap_or(0)),
                reads: None,
                live_rows: Some(n(&r, "n_live_tup")),
                last_seq_scan: r.get("last_seq_scan"),
                last_idx_scan: r.get("last_idx_scan"),
                since: r.get("since"),
            },
        ));
    }
    Ok(out)
}

/// pg_stat_statements, read live and attributed by the export reader.
fn live_statements(
    tx: &mut Transaction<'_>,
    opts: &Options,
    notes: &mut Vec<String>,
) -> Result<Option<crate::logs::LogReport>> {
    let installed = query(
        tx,
        "extension",
        "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'",
        &[],
    )?
    .first()
    .is_some_and(|r| r.get::<_, i64>(0) > 0);
    if !installed {
        notes.push(
            "pg_stat_statements is not installed in this database: no live statement counts"
                .to_string(),
        );
        return Ok(None);
    }
    let Some(rows) = optional(
        tx,
        "statements",
        STATEMENTS,
        &[],
        notes,
        "pg_stat_statements",
    )?
    else {
        return Ok(None);
    };
    let mut csv = String::from("rolname,datname,query,calls\n");
    let mut hidden = 0u64;
    for r in rows {
        let role: String = r.get("rolname");
        let db: String = r.get("datname");
        let query: String = r.get("query");
        let calls: i64 = r.get("calls");
        if query == "<insufficient privilege>" {
            hidden += 1;
            continue;
        }
        for field in [&role, &db, &query] {
            csv.push('"');
            csv.push_str(&field.replace('"', "\"\""));
            csv.push_str("\",");
        }
        csv.push_str(&calls.to_string());
        csv.push('\n');
    }
    if hidden > 0 {
        notes.push(format!(
            "pg_stat_statements: {hidden} statements of other roles are hidden (grant \
             pg_read_all_stats to see them)"
        ));
    }
    super::statements_report(&csv, opts).map(Some)
}

/// The lock's trigger and function names for a table.
fn lock_names(name: &str) -> (String, String) {
    let mut function = format!("cutover_lock_{name}");
    function.truncate(63);
    ("cutover_lock_writes".to_string(), function)
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn write_lock(
    target: &Target,
    req: &LockRequest,
    lock: bool,
    apply: bool,
    opts: &Options,
) -> Result<LockScript> {
    let configured_schema = req.table.name.schema.clone();
    let mut client = if apply || req.revoke {
        Some(connect(target, opts)?)
    } else {
        None
    };
    let mut notes = Vec::new();
    // Resolve the schema from the database when connected; else the configured one.
    let (schema, name) = match &mut client {
        Some(c) => {
            let mut tx = read_only(c, target)?;
            let rows = query(&mut tx, "relations", RELATIONS, &[])?;
            tx.commit().map_err(|e| anyhow!("{}", reason(&e)))?;
            let mut hits = rows.iter().filter_map(|r| {
                let schema: String = r.get("schema");
                let name: String = r.get("name");
                let relkind: String = r.get("relkind");
                let matches = configured(&opts.tables, &schema, &name)
                    .is_some_and(|t| t.display == req.table.display);
                (matches && (relkind == "r" || relkind == "p")).then_some((schema, name))
            });
            let first = hits.next();
            if hits.next().is_some() {
                bail!(
                    "{} matches tables in several schemas; configure it as schema.table",
                    req.table.display
                );
            }
            first.with_context(|| {
                format!(
                    "{}: no such table in database {}",
                    req.table.display, target.display
                )
            })?
        }
        None => (
            configured_schema.unwrap_or_else(|| DEFAULT_SCHEMA.to_string()),
            req.table.name.name.clone(),
        ),
    };
    let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
    let (trigger, function) = lock_names(&name);
    let function = format!("{}.{}", quote_ident(&schema), quote_ident(&function));
    let message = super::lock_message(&format!("{schema}.{name}"), &req.migration);
    let mut sql = String::new();
    if lock {
        // Direct write grants (not the owner's) are revoked, and remembered in the
        // trigger's comment so that unlock-writes can restore them.
        let mut revoked: Vec<(String, Vec<String>)> = Vec::new();
        if req.revoke
            && let Some(c) = &mut client
        {
            let mut tx = read_only(c, target)?;
            let rows = query(
                &mut tx,
                "grants",
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END, \
                 lower(a.privilege_type) \
                 FROM pg_class c, aclexplode(c.relacl) a \
                 WHERE c.oid = $1::text::regclass AND a.grantee <> c.relowner \
                   AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') ORDER BY 1, 2",
                &[&qualified],
            )?;
            tx.commit().map_err(|e| anyhow!("{}", reason(&e)))?;
            let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for r in rows {
                by.entry(r.get(0)).or_default().push(r.get(1));
            }
            revoked = by.into_iter().collect();
            notes.push(
                "the owner and superusers keep their privileges: the trigger stops them".into(),
            );
        }
        sql.push_str("BEGIN;\n");
        sql.push_str(&format!(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger\nLANGUAGE plpgsql AS $cutover$\nBEGIN\n    RAISE EXCEPTION USING\n        ERRCODE = 'read_only_sql_transaction',\n        MESSAGE = {},\n        HINT = {};\nEND\n$cutover$;\n",
            quote_literal(&message),
            quote_literal(&format!(
                "cutover db unlock-writes --table {} --apply lifts the lock",
                req.table.display
            )),
        ));
        sql.push_str(&format!(
            "CREATE TRIGGER {trigger}\n    BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {qualified}\n    FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n"
        ));
        let mut memo = Vec::new();
        for (role, privileges) in &revoked {
            let grantee = if role == "PUBLIC" {
                "PUBLIC".to_string()
            } else {
                quote_ident(role)
            };
            let list = privileges
                .iter()
                .map(|p| p.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(", ");
            sql.push_str(&format!("REVOKE {list} ON {qualified} FROM {grantee};\n"));
            memo.push(format!("{role}={}", privileges.join(",")));
        }
        sql.push_str(&format!(
            "COMMENT ON TRIGGER {trigger} ON {qualified} IS {};\n",
            quote_literal(&format!(
                "cutover write lock; revoked: {}",
                if memo.is_empty() {
                    "none".to_string()
                } else {
                    memo.join(" ")
                }
            ))
        ));
        sql.push_str("COMMIT;\n");
    } else {
        let mut regrant = Vec::new();
        if let Some(c) = &mut client {
            let mut tx = read_only(c, target)?;
            let rows = query(
                &mut tx,
                "lock",
                "SELECT obj_description(t.oid, 'pg_trigger') FROM pg_trigger t \
                 WHERE t.tgrelid = $1::text::regclass AND t.tgname::text = $2",
                &[&qualified, &trigger],
            )?;
            tx.commit().map_err(|e| anyhow!("{}", reason(&e)))?;
            match rows.first() {
                None => notes.push(format!(
                    "{schema}.{name} has no cutover write lock: nothing to undo"
                )),
                Some(r) => {
                    let comment: Option<String> = r.get(0);
                    let list = comment
                        .as_deref()
                        .and_then(|c| c.split_once("revoked:"))
                        .map(|(_, l)| l.trim().to_string())
                        .unwrap_or_default();
                    for item in list.split_whitespace() {
                        if let Some((role, privs)) = item.split_once('=') {
                            regrant.push((role.to_string(), privs.replace(',', ", ")));
                        }
                    }
                }
            }
        } else {
            notes.push(
                "grants revoked by `lock-writes --revoke` are restored only with --apply (they \
                 are read from the lock trigger's comment)"
                    .into(),
            );
        }
        sql.push_str("BEGIN;\n");
        sql.push_str(&format!(
            "DROP TRIGGER IF EXISTS {trigger} ON {qualified};\n"
        ));
        sql.push_str(&format!("DROP FUNCTION IF EXISTS {function}();\n"));
        for (role, privs) in regrant {
            let grantee = if role == "PUBLIC" {
                role
            } else {
                quote_ident(&role)
            };
            sql.push_str(&format!(
                "GRANT {} ON {qualified} TO {grantee};\n",
                privs.to_ascii_uppercase()
            ));
        }
        sql.push_str("COMMIT;\n");
    }
    let mut applied = false;
    if apply && let Some(c) = &mut client {
        // One transaction: the whole script or nothing.
        c.batch_execute(&sql).map_err(|e| {
            let _ = c.batch_execute("ROLLBACK");
            anyhow!(
                "{} ({}): the write lock was not changed: {}",
                target.host,
                target.display,
                reason(&e)
            )
        })?;
        applied = true;
    }
    Ok(LockScript {
        server: Server::Postgres,
        target: target.display.clone(),
        lock,
        sql,
        applied,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_actions() {
        assert_eq!(
            rule_action(
                "CREATE RULE r AS\n    ON INSERT TO public.x DO ALSO  INSERT INTO y VALUES (1);"
            ),
            "INSERT INTO y VALUES (1)"
        );
        assert_eq!(
            rule_action(
                "CREATE RULE r AS ON DELETE TO x DO INSTEAD (DELETE FROM y; DELETE FROM z)"
            ),
            "DELETE FROM y; DELETE FROM z"
        );
    }

    #[test]
    fn queries_are_sorted_and_read_only() {
        let names: Vec<&str> = QUERIES.iter().map(|(n, _)| *n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        for (name, sql) in QUERIES {
            let upper = sql.to_ascii_uppercase();
            for word in [
                "INSERT ", "UPDATE ", "DELETE ", "DROP ", "ALTER ", "CREATE ",
            ] {
                assert!(!upper.contains(word), "{name}.sql contains {word}");
            }
        }
    }
}
