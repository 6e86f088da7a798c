//! MySQL and MariaDB: the catalog of the configured legacy tables from `information_schema`
//! (triggers, views, routines, foreign keys, grants) and the row counters of
//! `performance_schema.table_io_waits_summary_by_table`, read with the queries in
//! `queries/db/mysql/` in one read-only transaction with a consistent snapshot; and the
//! write lock (one trigger per event that signals an error naming the table and the
//! migration).
//!
//! MySQL has no dependency catalog for views and routines: their definitions are classified
//! by `crate::sql` (views through other views are followed), which is why an object found
//! here can carry `heuristic` confidence.

use super::{
    BodyUse, Catalog, Counters, DbObject, LockRequest, LockScript, MayWrite, ObjectKind, Options,
    Server, TableReport, Target, classify_body, configured, one_line, qualify,
};
use crate::model::{Access, Confidence, Operation};
use crate::sql::Dialect;
use anyhow::{Context, Result, anyhow, bail};
use mysql::prelude::Queryable;
use mysql::{AccessMode, Conn, Opts, OptsBuilder, Row, TxOpts};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const RELATIONS: &str = include_str!("../../queries/db/mysql/relations.sql");
const TRIGGERS: &str = include_str!("../../queries/db/mysql/triggers.sql");
const VIEWS: &str = include_str!("../../queries/db/mysql/views.sql");
const ROUTINES: &str = include_str!("../../queries/db/mysql/routines.sql");
const FOREIGN_KEYS: &str = include_str!("../../queries/db/mysql/foreign_keys.sql");
const GRANTS: &str = include_str!("../../queries/db/mysql/grants.sql");
const ROLES_MARIADB: &str = include_str!("../../queries/db/mysql/roles_mariadb.sql");
const ROLES_MYSQL: &str = include_str!("../../queries/db/mysql/roles_mysql.sql");
const TABLE_IO: &str = include_str!("../../queries/db/mysql/table_io.sql");

/// Every built-in query, for the test that runs them all.
pub const QUERIES: &[(&str, &str)] = &[
    ("foreign_keys", FOREIGN_KEYS),
    ("grants", GRANTS),
    ("relations", RELATIONS),
    ("roles_mariadb", ROLES_MARIADB),
    ("roles_mysql", ROLES_MYSQL),
    ("routines", ROUTINES),
    ("table_io", TABLE_IO),
    ("triggers", TRIGGERS),
    ("views", VIEWS),
];

/// Open a connection; the error names the host and the reason, never the password.
fn connect(target: &Target, opts: &Options) -> Result<Conn> {
    let parsed = Opts::from_url(target.url()).map_err(|e| {
        anyhow!(
            "invalid MySQL URL {}: {}",
            target.display,
            target.scrub(&e.to_string())
        )
    })?;
    let builder = OptsBuilder::from_opts(parsed)
        .tcp_connect_timeout(Some(opts.connect_timeout))
        .read_timeout(Some(Duration::from_secs(60)))
        .write_timeout(Some(Duration::from_secs(60)));
    Conn::new(builder).map_err(|e| {
        anyhow!(
            "cannot connect to MySQL at {} ({}): {}",
            target.host,
            target.display,
            target.scrub(&e.to_string())
        )
    })
}

fn rows(q: &mut impl Queryable, name: &str, sql: &str) -> Result<Vec<Row>> {
    q.query::<Row, _>(sql)
        .map_err(|e| anyhow!("{name}: {e}"))
        .with_context(|| format!("reading the MySQL catalog ({name}.sql)"))
}

/// Column `i` as text ('' for NULL).
fn text(r: &Row, i: usize) -> String {
    r.get::<Option<String>, _>(i).flatten().unwrap_or_default()
}

fn number(r: &Row, i: usize) -> u64 {
    r.get::<Option<u64>, _>(i).flatten().unwrap_or(0)
}

/// A legacy table found in the database.
struct Rel {
    schema: String,
    name: String,
    index: usize,
}

pub fn inspect(target: &Target, opts: &Options) -> Result<Catalog> {
    let mut conn = connect(target, opts)?;
    let (mut catalog, rels) = read(&mut conn, target, opts)?;
    let first = Instant::now();
    if let Some(wait) = opts.watch {
        std::thread::sleep(wait);
        let mut notes = Vec::new();
        let after = counters(&mut conn, &rels, &mut notes)?;
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

fn read(conn: &mut Conn, target: &Target, opts: &Options) -> Result<(Catalog, Vec<Rel>)> {
    let version = conn
        .query_first::<String, _>("SELECT VERSION()")
        .map_err(|e| anyhow!("{}: {e}", target.host))?
        .unwrap_or_default();
    let server_name = if version.to_ascii_lowercase().contains("mariadb") {
        "MariaDB"
    } else {
        "MySQL"
    };
    let default_schema = conn
        .query_first::<Option<String>, _>("SELECT DATABASE()")
        .map_err(|e| anyhow!("{}: {e}", target.host))?
        .flatten()
        .unwrap_or_default();
    let mut notes = Vec::new();
    let tx_opts = TxOpts::default()
        .set_with_consistent_snapshot(true)
        .set_access_mode(Some(AccessMode::ReadOnly));
    let mut tx = conn
        .start_transaction(tx_opts)
        .map_err(|e| anyhow!("{}: cannot start a transaction: {e}", target.host))?;

    let mut tables: Vec<TableReport> = Vec::new();
    let mut rels: Vec<Rel> = Vec::new();
    let relations = rows(&mut tx, "relations", RELATIONS)?;
    for legacy in opts.tables.tables() {
        let mut any = false;
        for r in &relations {
            let (schema, name) = (text(r, 0), text(r, 1));
            if configured(&opts.tables, &schema, &name).map(|t| &t.display) != Some(&legacy.display)
            {
                continue;
            }
            any = true;
            let mut t = TableReport::new(&legacy.display);
            t.relation = Some(format!("{schema}.{name}"));
            t.relkind = Some(text(r, 2).to_ascii_lowercase());
            rels.push(Rel {
                schema,
                name,
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
    let index_of = |schema: &str, name: &str| {
        rels.iter()
            .find(|r| r.schema.eq_ignore_ascii_case(schema) && r.name.eq_ignore_ascii_case(name))
            .map(|r| r.index)
    };
    let by_display = |tables: &[TableReport], display: &str| -> Vec<usize> {
        tables
            .iter()
            .enumerate()
            .filter(|(_, t)| t.table == display && t.relation.is_some())
            .map(|(i, _)| i)
            .collect()
    };
    let q = |schema: &str, name: &str| qualify(schema, name, &default_schema);

    // Triggers: a trigger on a legacy table is attached to it; a body that writes a legacy
    // table makes the trigger one of its writers.
    for r in rows(&mut tx, "triggers", TRIGGERS)? {
        let (schema, name, timing, event) = (text(&r, 0), text(&r, 1), text(&r, 2), text(&r, 3));
        let (table_schema, table) = (text(&r, 4), text(&r, 5));
        let body = text(&r, 6);
        let location = format!(
            "trigger {} ON {}",
            q(&schema, &name),
            q(&table_schema, &table)
        );
        let definition =
            format!("CREATE TRIGGER `{name}` {timing} {event} ON `{table}` FOR EACH ROW {body}");
        if let Some(i) = index_of(&table_schema, &table) {
            tables[i].objects.push(DbObject {
                kind: ObjectKind::Trigger,
                location: location.clone(),
                access: Access::Declare,
                operation: Operation::Declare,
                detail: one_line(&format!("{timing} {event} FOR EACH ROW {body}"), 200),
                via: Vec::new(),
                confidence: Confidence::Parsed,
            });
        }
        let (uses, dynamic) = classify_body(&definition, Dialect::Mysql, &opts.tables, true);
        if dynamic {
            notes.push(format!(
                "{location} runs SQL built at run time: not followed"
            ));
        }
        for u in uses {
            for i in by_display(&tables, &u.table) {
                tables[i]
                    .objects
                    .push(from_use(ObjectKind::Trigger, &location, &u));
            }
        }
    }

    // Views: definitions classified; views over views followed to a fixed point.
    let views: Vec<(String, String, String)> = rows(&mut tx, "views", VIEWS)?
        .iter()
        .map(|r| (text(r, 0), text(r, 1), text(r, 2)))
        .collect();
    let mut reads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut hidden = 0;
    for (schema, name, definition) in &views {
        if definition.trim().is_empty() {
            hidden += 1;
            continue;
        }
        let mut read = BTreeSet::new();
        for st in crate::sql::classify(definition, Dialect::Mysql) {
            for u in st.uses {
                let s = u.table.schema.clone().unwrap_or_else(|| schema.clone());
                read.insert(format!(
                    "{}.{}",
                    s.to_ascii_lowercase(),
                    u.table.name.to_ascii_lowercase()
                ));
            }
        }
        reads.insert(
            format!(
                "{}.{}",
                schema.to_ascii_lowercase(),
                name.to_ascii_lowercase()
            ),
            read,
        );
    }
    if hidden > 0 {
        notes.push(format!(
            "{hidden} view definitions are hidden from this account (it needs SHOW VIEW)"
        ));
    }
    for rel in &rels {
        let key = format!(
            "{}.{}",
            rel.schema.to_ascii_lowercase(),
            rel.name.to_ascii_lowercase()
        );
        // Breadth first from the table: views that read it, then views that read those.
        let mut frontier: Vec<(String, Vec<String>)> = vec![(key.clone(), Vec::new())];
        let mut seen: BTreeSet<String> = BTreeSet::from([key]);
        while let Some((current, path)) = frontier.pop() {
            for (view, read) in &reads {
                if read.contains(&current) && seen.insert(view.clone()) {
                    let (vs, vn) = view.split_once('.').unwrap_or(("", view));
                    let via: Vec<String> = path.iter().map(|p| format!("view {p}")).collect();
                    tables[rel.index].objects.push(DbObject {
                        kind: ObjectKind::View,
                        location: format!("view {}", q(vs, vn)),
                        access: Access::Read,
                        operation: Operation::Select,
                        detail: if path.is_empty() {
                            format!("reads {}", rel.name)
                        } else {
                            format!("reads it through {}", path.join(" → "))
                        },
                        via,
                        confidence: Confidence::Parsed,
                    });
                    let mut next = path.clone();
                    next.push(q(vs, vn));
                    frontier.push((view.clone(), next));
                }
            }
        }
    }

    // Routines.
    let mut hidden = 0;
    for r in rows(&mut tx, "routines", ROUTINES)? {
        let (schema, name, kind, body, params) = (
            text(&r, 0),
            text(&r, 1),
            text(&r, 2),
            text(&r, 3),
            text(&r, 4),
        );
        if body.trim().is_empty() {
            hidden += 1;
            continue;
        }
        let is_procedure = kind.eq_ignore_ascii_case("procedure");
        let location = format!(
            "{} {}({params})",
            if is_procedure {
                "procedure"
            } else {
                "function"
            },
            q(&schema, &name)
        );
        let body = if body.trim_start().to_ascii_lowercase().starts_with("begin") {
            body
        } else {
            format!("BEGIN {body}; END")
        };
        let definition = format!("CREATE PROCEDURE `{name}`() {body}");
        let (uses, dynamic) = classify_body(&definition, Dialect::Mysql, &opts.tables, true);
        if dynamic {
            notes.push(format!(
                "{location} runs SQL built at run time: not followed"
            ));
        }
        let kind = if is_procedure {
            ObjectKind::Procedure
        } else {
            ObjectKind::Function
        };
        for u in uses {
            for i in by_display(&tables, &u.table) {
                tables[i].objects.push(from_use(kind, &location, &u));
            }
        }
    }
    if hidden > 0 {
        notes.push(format!(
            "{hidden} routine bodies are hidden from this account (it needs SHOW_ROUTINE or \
             SELECT on mysql.proc)"
        ));
    }

    // Foreign keys.
    for r in rows(&mut tx, "foreign_keys", FOREIGN_KEYS)? {
        let (schema, name, child) = (text(&r, 0), text(&r, 1), text(&r, 2));
        let (parent_schema, parent) = (text(&r, 3), text(&r, 4));
        let (on_delete, on_update) = (text(&r, 5), text(&r, 6));
        let (columns, referenced) = (text(&r, 7), text(&r, 8));
        let child_q = q(&schema, &child);
        let parent_q = q(&parent_schema, &parent);
        let location = format!("foreign key {name} ON {child_q}");
        let definition = format!(
            "FOREIGN KEY ({columns}) REFERENCES {parent_q}({referenced}) ON DELETE {on_delete} ON UPDATE {on_update}"
        );
        let cascades = |rule: &str| matches!(rule, "CASCADE" | "SET NULL" | "SET DEFAULT");
        if let Some(i) = index_of(&schema, &child) {
            let mut any = false;
            if cascades(&on_delete) {
                any = true;
                tables[i].objects.push(DbObject {
                    kind: ObjectKind::ForeignKey,
                    location: location.clone(),
                    access: Access::Write,
                    operation: if on_delete == "CASCADE" {
                        Operation::Delete
                    } else {
                        Operation::Update
                    },
                    detail: definition.clone(),
                    via: vec![format!("ON DELETE {on_delete}: a delete from {parent_q}")],
                    confidence: Confidence::Parsed,
                });
            }
            if cascades(&on_update) {
                any = true;
                tables[i].objects.push(DbObject {
                    kind: ObjectKind::ForeignKey,
                    location: location.clone(),
                    access: Access::Write,
                    operation: Operation::Update,
                    detail: definition.clone(),
                    via: vec![format!("ON UPDATE {on_update}: an update of {parent_q}")],
                    confidence: Confidence::Parsed,
                });
            }
            if !any {
                tables[i].objects.push(DbObject {
                    kind: ObjectKind::ForeignKey,
                    location: location.clone(),
                    access: Access::Declare,
                    operation: Operation::References,
                    detail: definition.clone(),
                    via: Vec::new(),
                    confidence: Confidence::Parsed,
                });
            }
        }
        if let Some(i) = index_of(&parent_schema, &parent) {
            let effect = if cascades(&on_delete) {
                format!("; deleting here does ON DELETE {on_delete} in {child_q}")
            } else {
                format!("; deleting a referenced row here fails ({child_q})")
            };
            tables[i].objects.push(DbObject {
                kind: ObjectKind::ForeignKey,
                location,
                access: Access::Read,
                operation: Operation::References,
                detail: format!("{definition}{effect}"),
                via: Vec::new(),
                confidence: Confidence::Parsed,
            });
        }
    }

    read_grants(&mut tx, &rels, &mut tables, &mut notes)?;
    tx.commit().map_err(|e| anyhow!("{}: {e}", target.host))?;

    for (i, c) in counters(conn, &rels, &mut notes)? {
        tables[i].counters = Some(c);
    }
    for r in &relations {
        if let Some(i) = index_of(&text(r, 0), &text(r, 1))
            && let Some(c) = &mut tables[i].counters
        {
            c.live_rows = r.get::<Option<u64>, _>(3).flatten();
        }
    }
    let catalog = Catalog {
        server: Server::Mysql,
        target: target.display.clone(),
        version: format!("{server_name} {version}"),
        tables,
        statements: None,
        notes,
    };
    Ok((catalog, rels))
}

fn from_use(kind: ObjectKind, location: &str, u: &BodyUse) -> DbObject {
    DbObject {
        kind,
        location: location.to_string(),
        access: u.access,
        operation: u.operation,
        detail: u.statement.clone(),
        via: Vec::new(),
        confidence: u.confidence,
    }
}

/// `'user'@'host'` → (`user@host`, user, host).
fn grantee(raw: &str) -> (String, String, String) {
    let parts: Vec<&str> = raw.split("'@'").collect();
    let user = parts
        .first()
        .unwrap_or(&"")
        .trim_start_matches('\'')
        .to_string();
    let host = parts
        .get(1)
        .unwrap_or(&"")
        .trim_end_matches('\'')
        .to_string();
    let label = if host.is_empty() {
        user.clone()
    } else {
        format!("{user}@{host}")
    };
    (label, user, host)
}

/// What one grantee holds on one table: privileges, and the levels they were granted at.
type Held = (BTreeSet<String>, BTreeSet<String>);

fn read_grants(
    tx: &mut mysql::Transaction<'_>,
    rels: &[Rel],
    tables: &mut [TableReport],
    notes: &mut Vec<String>,
) -> Result<()> {
    // Role membership (MariaDB, else MySQL 8); either may be unreadable to this account.
    let mut member_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut membership_read = false;
    for sql in [ROLES_MARIADB, ROLES_MYSQL] {
        if let Ok(list) = tx.query::<Row, _>(sql) {
            membership_read = true;
            for r in list {
                member_of
                    .entry(grantee(&text(&r, 0)).0)
                    .or_default()
                    .push(grantee(&text(&r, 1)).0);
            }
            break;
        }
    }
    if !membership_read {
        notes.push(
            "role membership not read (needs SELECT on mysql.roles_mapping or mysql.role_edges): \
             writers through roles may be missing"
                .to_string(),
        );
    }
    // grantee label → (table index → privileges, how)
    let mut holders: BTreeMap<usize, BTreeMap<String, Held>> = BTreeMap::new();
    let mut roles: BTreeSet<String> = BTreeSet::new();
    for r in rows(tx, "grants", GRANTS)? {
        let (level, raw, schema, table, privilege) = (
            text(&r, 0),
            text(&r, 1),
            text(&r, 2),
            text(&r, 3),
            text(&r, 4),
        );
        let (label, _, host) = grantee(&raw);
        if host.is_empty() {
            roles.insert(label.clone());
        }
        let privilege = if privilege == "DROP" {
            "truncate".to_string()
        } else {
            privilege.to_ascii_lowercase()
        };
        for rel in rels {
            let applies = match level.as_str() {
                "global" => true,
                "database" => schema_matches(&schema, &rel.schema),
                _ => {
                    schema.eq_ignore_ascii_case(&rel.schema)
                        && table.eq_ignore_ascii_case(&rel.name)
                }
            };
            if applies {
                let e = holders
                    .entry(rel.index)
                    .or_default()
                    .entry(label.clone())
                    .or_default();
                e.0.insert(privilege.clone());
                e.1.insert(format!("{level} grant"));
            }
        }
    }
    for rel in rels {
        let direct = holders.get(&rel.index).cloned().unwrap_or_default();
        let holder_names: BTreeSet<String> = direct.keys().cloned().collect();
        let mut accounts: BTreeSet<String> = direct.keys().cloned().collect();
        accounts.extend(member_of.keys().cloned());
        for account in accounts {
            let mut privileges: BTreeSet<String> = BTreeSet::new();
            let mut how: Vec<String> = Vec::new();
            if let Some((p, h)) = direct.get(&account) {
                privileges.extend(p.iter().cloned());
                how.extend(h.iter().cloned());
            }
            for via in super::reached_holders(&account, &member_of, &holder_names) {
                if let Some((p, _)) = direct.get(&via) {
                    privileges.extend(p.iter().cloned());
                    how.push(format!("through role {via}"));
                }
            }
            if privileges.is_empty() {
                continue;
            }
            let is_role = roles.contains(&account);
            tables[rel.index].may_write.push(MayWrite {
                role: account,
                privileges: privileges.into_iter().collect(),
                how,
                can_login: !is_role,
                bypass_rls: false,
            });
        }
    }
    Ok(())
}

/// A database-level grant's schema pattern (`shop`, `shop\_%`, `%`) against a schema.
fn schema_matches(pattern: &str, schema: &str) -> bool {
    if !pattern.contains('%') && !pattern.contains('_') {
        return pattern.eq_ignore_ascii_case(schema);
    }
    let unescaped = pattern.replace("\\_", "_").replace("\\%", "%");
    if !pattern.contains('%') && !pattern.replace("\\_", "").contains('_') {
        return unescaped.eq_ignore_ascii_case(schema);
    }
    like(
        pattern.to_ascii_lowercase().as_bytes(),
        schema.to_ascii_lowercase().as_bytes(),
    )
}

/// SQL LIKE with `%`, `_` and `\` escapes.
fn like(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'%') => (0..=s.len()).any(|k| like(&p[1..], &s[k..])),
        Some(b'_') => !s.is_empty() && like(&p[1..], &s[1..]),
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && like(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && like(&p[1..], &s[1..]),
    }
}

fn counters(
    conn: &mut Conn,
    rels: &[Rel],
    notes: &mut Vec<String>,
) -> Result<Vec<(usize, Counters)>> {
    let enabled = conn
        .query_first::<Option<String>, _>("SELECT @@performance_schema")
        .ok()
        .flatten()
        .flatten()
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("on"));
    if !enabled {
        notes.push(
            "performance_schema is off (performance_schema = ON in the server's configuration, \
             then a restart): no live counters"
                .to_string(),
        );
        return Ok(Vec::new());
    }
    let list = match conn.query::<Row, _>(TABLE_IO) {
        Ok(l) => l,
        Err(e) => {
            notes.push(format!("table I/O counters not read: {e}"));
            return Ok(Vec::new());
        }
    };
    let mut out = Vec::new();
    for rel in rels {
        let row = list.iter().find(|r| {
            text(r, 0).eq_ignore_ascii_case(&rel.schema)
                && text(r, 1).eq_ignore_ascii_case(&rel.name)
        });
        let c = match row {
            Some(r) => Counters {
                reads: Some(number(r, 2)),
                inserts: number(r, 3),
                updates: number(r, 4),
                deletes: number(r, 5),
                ..Counters::default()
            },
            // Not in the summary: not touched since the server started.
            None => Counters {
                reads: Some(0),
                ..Counters::default()
            },
        };
        out.push((rel.index, c));
    }
    Ok(out)
}

fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// The lock's trigger names: one per event (MySQL triggers have one event each).
fn lock_triggers(name: &str) -> Vec<(&'static str, String)> {
    ["INSERT", "UPDATE", "DELETE"]
        .into_iter()
        .map(|event| {
            let mut t = format!("cutover_lock_{}_{name}", &event[..3].to_ascii_lowercase());
            t.truncate(64);
            (event, t)
        })
        .collect()
}

pub fn write_lock(
    target: &Target,
    req: &LockRequest,
    lock: bool,
    apply: bool,
    opts: &Options,
) -> Result<LockScript> {
    if req.revoke {
        bail!(
            "--revoke is not supported on MySQL: its grants are often database-wide or global, so \
             revoking them for one table is not possible; the lock triggers alone reject writes"
        );
    }
    let schema = req
        .table
        .name
        .schema
        .clone()
        .or_else(|| target.database.clone())
        .with_context(|| {
            format!(
                "{}: name the database in the URL or configure the table as database.table",
                req.table.display
            )
        })?;
    let name = req.table.name.name.clone();
    let qualified = format!("{}.{}", quote_ident(&schema), quote_ident(&name));
    let mut message = super::lock_message(&format!("{schema}.{name}"), &req.migration);
    // SIGNAL's MESSAGE_TEXT holds at most 128 characters.
    if message.chars().count() > 128 {
        message = message.chars().take(127).collect::<String>() + "…";
    }
    let mut statements = Vec::new();
    for (event, trigger) in lock_triggers(&name) {
        let t = format!("{}.{}", quote_ident(&schema), quote_ident(&trigger));
        if lock {
            statements.push(format!(
                "CREATE TRIGGER {t} BEFORE {event} ON {qualified} FOR EACH ROW\n    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = {}",
                quote_literal(&message)
            ));
        } else {
            statements.push(format!("DROP TRIGGER IF EXISTS {t}"));
        }
    }
    let mut sql = String::new();
    if lock {
        sql.push_str(
            "-- MySQL commits each CREATE TRIGGER by itself: with --apply, cutover drops the ones\n\
             -- it created if a later one fails.\n",
        );
    }
    for s in &statements {
        sql.push_str(s);
        sql.push_str(";\n");
    }
    let notes = vec![
        "TRUNCATE does not fire triggers on MySQL: revoke DROP on the table to stop it".to_string(),
    ];
    let mut applied = false;
    if apply {
        let mut conn = connect(target, opts)?;
        let mut done: Vec<String> = Vec::new();
        for (s, (_, trigger)) in statements.iter().zip(lock_triggers(&name)) {
            if let Err(e) = conn.query_drop(s) {
                // Undo what this run created, so that a failed lock leaves no half lock.
                for t in &done {
                    let _ = conn.query_drop(format!(
                        "DROP TRIGGER IF EXISTS {}.{}",
                        quote_ident(&schema),
                        quote_ident(t)
                    ));
                }
                bail!(
                    "{} ({}): the write lock was not changed: {}",
                    target.host,
                    target.display,
                    target.scrub(&e.to_string())
                );
            }
            if lock {
                done.push(trigger);
            }
        }
        applied = true;
    }
    Ok(LockScript {
        server: Server::Mysql,
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
    fn grantees_and_schema_patterns() {
        assert_eq!(grantee("'billing'@'%'").0, "billing@%");
        assert_eq!(grantee("'order_writers'@''").0, "order_writers");
        assert!(schema_matches("shop", "SHOP"));
        assert!(schema_matches("shop\\_%", "shop_eu"));
        assert!(!schema_matches("shop\\_%", "shopeu"));
        assert!(schema_matches("%", "anything"));
    }

    #[test]
    fn lock_trigger_names_fit() {
        let long = "x".repeat(80);
        for (_, t) in lock_triggers(&long) {
            assert!(t.len() <= 64);
        }
        assert_eq!(
            lock_triggers("orders_legacy")[0].1,
            "cutover_lock_ins_orders_legacy"
        );
    }
}
