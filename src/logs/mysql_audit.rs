//! MySQL-family JSON audit logs: a chunk of text in, executions out. Two layouts, one event
//! per line:
//! - Percona Server's audit log plugin with `audit_log_format = JSON`:
//!   `{"audit_record":{"name":"Query","connection_id":"12","status":0,"sqltext":"…",
//!   "user":"u[u] @ host [ip]","host":"…","ip":"…","db":"…","timestamp":"…"}}`;
//! - MySQL Enterprise Audit (and Percona's `audit_log_filter`) JSON: a JSON array written one
//!   event per line, `{"timestamp":"…","class":"general","event":"status","connection_id":11,
//!   "account":{"user":"…","host":"…"},"login":{"ip":"…"},"general_data":{"command":"Query",
//!   "query":"…","status":0}}`, plus `table_access` events (`"event":"insert"`,
//!   `"table_access_data":{"db":"…","table":"…","query":"…"}`) that name each table a
//!   statement touches before the statement's own event: trusted over a re-parse.
//!
//! A non-zero `status` is a statement the server rejected.

use super::audit::TableEvents;
use super::{Agg, ClientRef, Exec};
use crate::model::{Access, Operation};
use crate::sql::TableUse;
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn num(v: &Value, k: &str) -> Option<u64> {
    match v.get(k)? {
        Value::Number(n) => n.as_u64(),
        Value::String(t) => t.parse().ok(),
        _ => None,
    }
}

/// Whether `line` looks like an event of either layout.
pub fn is_event_line(line: &str) -> bool {
    let t = line.trim_start_matches(['[', ' ']);
    t.starts_with("{\"audit_record\"")
        || (t.starts_with('{') && t.contains("\"class\"") && t.contains("\"connection_id\""))
}

/// Whether a chunk may start at `line`: any event except a table access, whose statement
/// follows it.
pub(crate) fn is_record_start(line: &[u8]) -> bool {
    let head = &line[..line.len().min(200)];
    head.first() == Some(&b'{') && memchr::memmem::find(head, b"\"table_access\"").is_none()
}

type Origin = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    u64,
);

/// Parse a chunk; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let mut count = 0;
    let mut tables: TableEvents<Origin> = TableEvents::default();
    for (n, line) in super::lines(text) {
        count = n;
        let t = line.trim().trim_end_matches(',');
        if t.is_empty() || t == "[" || t == "]" {
            continue;
        }
        let t = t.strip_prefix('[').unwrap_or(t).trim_start();
        let v: Value = match serde_json::from_str(t) {
            Ok(v) => v,
            Err(_) => {
                agg.unmatched(n, line);
                continue;
            }
        };
        agg.acc.records += 1;
        if let Some(r) = v.get("audit_record") {
            percona(r, n, agg);
        } else if v.get("class").is_some() {
            enterprise(&v, n, agg, &mut tables);
        } else {
            agg.acc.records -= 1;
            agg.unmatched(n, line);
        }
    }
    for (_, uses, (user, host, db, time, n)) in tables.drain() {
        let evidence = uses
            .iter()
            .map(|u| format!("{} {}", u.access.as_str(), u.table.name))
            .collect::<Vec<_>>()
            .join(", ");
        agg.exec(Exec {
            client: ClientRef {
                app: None,
                user: user.as_deref(),
                host: host.as_deref(),
                db: db.as_deref(),
                thread: None,
                session: None,
            },
            ts: time.as_deref(),
            sql: &format!("/* table events without their query */ {evidence}"),
            calls: 1,
            line: n,
            session: None,
            logged_before_run: false,
            via: "audit_log",
            given: Some(uses),
        });
    }
    count
}

fn percona(r: &Value, n: u64, agg: &mut Agg) {
    let name = s(r, "name").unwrap_or("");
    let Some(sql) = s(r, "sqltext").filter(|q| !q.is_empty()) else {
        // Connect, Quit, Audit, NoAudit: no statement.
        agg.acc.other_records += 1;
        return;
    };
    if !matches!(name, "Query" | "Execute") {
        agg.acc.other_records += 1;
        return;
    }
    // "user": "orders_rw[orders_rw] @  [127.0.0.1]"
    let (user, host) = super::mysql_slow::parse_user_host(s(r, "user").unwrap_or(""));
    let host = s(r, "host").filter(|h| !h.is_empty()).or(host);
    let host = host.or(s(r, "ip").filter(|h| !h.is_empty()));
    let exec = Exec {
        client: ClientRef {
            app: None,
            user,
            host,
            db: s(r, "db").filter(|d| !d.is_empty()),
            thread: None,
            session: None,
        },
        ts: s(r, "timestamp"),
        sql,
        calls: 1,
        line: n,
        session: num(r, "connection_id"),
        logged_before_run: false,
        via: "audit_log",
        given: None,
    };
    if num(r, "status").is_some_and(|x| x != 0) {
        let _ = agg.record_exec(exec, true);
    } else {
        agg.exec(exec);
    }
}

fn enterprise(v: &Value, n: u64, agg: &mut Agg, tables: &mut TableEvents<Origin>) {
    let class = s(v, "class").unwrap_or("");
    let conn = num(v, "connection_id").unwrap_or(0);
    let account = v.get("account");
    let user = account.and_then(|a| s(a, "user")).filter(|u| !u.is_empty());
    let host = account.and_then(|a| s(a, "host")).filter(|h| !h.is_empty());
    let host = host.or(v
        .get("login")
        .and_then(|l| s(l, "ip"))
        .filter(|h| !h.is_empty()));
    let ts = s(v, "timestamp");
    if class == "table_access" {
        let Some(d) = v.get("table_access_data") else {
            agg.acc.other_records += 1;
            return;
        };
        let (access, operation) = match s(v, "event").unwrap_or("") {
            "read" => (Access::Read, Operation::Select),
            "insert" => (Access::Write, Operation::Insert),
            "update" => (Access::Write, Operation::Update),
            "delete" => (Access::Write, Operation::Delete),
            _ => (Access::Write, Operation::Unknown),
        };
        let table = TableUse {
            table: super::audit::mysql_table(s(d, "db").unwrap_or(""), s(d, "table").unwrap_or("")),
            access,
            operation,
        };
        let own = |x: Option<&str>| x.map(str::to_string);
        tables.push((conn, 0), table, (own(user), own(host), None, own(ts), n));
        return;
    }
    let Some(g) = v.get("general_data") else {
        agg.acc.other_records += 1;
        return;
    };
    let Some(sql) = s(g, "query").filter(|q| !q.is_empty()) else {
        agg.acc.other_records += 1;
        return;
    };
    if !matches!(s(g, "command").unwrap_or("Query"), "Query" | "Execute") {
        agg.acc.other_records += 1;
        return;
    }
    let given = tables.take((conn, 0), sql);
    let exec = Exec {
        client: ClientRef {
            app: None,
            user,
            host,
            // Events name the account, not the current database.
            db: None,
            thread: None,
            session: None,
        },
        ts,
        sql,
        calls: 1,
        line: n,
        session: Some(conn),
        logged_before_run: false,
        via: "audit_log",
        given,
    };
    if num(g, "status").is_some_and(|x| x != 0) {
        let _ = agg.record_exec(exec, true);
    } else {
        agg.exec(exec);
    }
}
