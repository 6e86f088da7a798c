//! `cutover db` output: the live catalog of each legacy table as text (writers, readers,
//! attached objects, who may write, counters) or JSON (a private schema built here), and the
//! SQL of the write lock. Also the short database lines `inventory --db` appends.

use crate::db::{Catalog, Counters, Delta, LockScript, TableReport};
use crate::model::Access;
use anyhow::Result;
use serde_json::{Value, json};
use std::io::Write;

fn heading(access: Access) -> &'static str {
    match access {
        Access::Write => "writers",
        Access::Read => "readers",
        Access::Ddl => "schema changes",
        Access::Declare => "attached",
        Access::Unknown => "unresolved",
    }
}

/// The counters in words: `inserts 120, updates 4, deletes 0; 117 live rows; …`.
pub fn counters_text(c: &Counters) -> String {
    let mut parts = vec![format!(
        "inserts {}, updates {}, deletes {}",
        c.inserts, c.updates, c.deletes
    )];
    if let Some(n) = c.live_rows {
        parts.push(format!("{n} live rows"));
    }
    match (c.seq_scans, c.idx_scans, c.reads) {
        (Some(s), i, _) => parts.push(format!(
            "{s} sequential and {} index scans",
            i.map_or_else(|| "no".to_string(), |i| i.to_string())
        )),
        (None, _, Some(r)) => parts.push(format!("{r} rows read")),
        _ => {}
    }
    if let Some(t) = &c.last_seq_scan {
        parts.push(format!("last sequential scan {t}"));
    }
    if let Some(t) = &c.last_idx_scan {
        parts.push(format!("last index scan {t}"));
    }
    let mut text = parts.join("; ");
    match &c.since {
        Some(s) => text.push_str(&format!(" (since {s})")),
        None => text.push_str(" (since the statistics were last reset)"),
    }
    text
}

/// The delta of `--watch` in words.
pub fn delta_text(d: &Delta) -> String {
    format!(
        "{:.2} writes/s over {:.1} s (inserts {}, updates {}, deletes {}); {} reads",
        d.writes_per_second(),
        d.seconds,
        d.inserts,
        d.updates,
        d.deletes,
        d.reads
    )
}

fn table_title(t: &TableReport) -> String {
    match &t.relation {
        None => format!("{}: not found in the database", t.table),
        Some(rel) => {
            let mut extra = Vec::new();
            if let Some(k) = &t.relkind {
                extra.push(k.clone());
            }
            if let Some(o) = &t.owner {
                extra.push(format!("owner {o}"));
            }
            if let Some(rls) = t.row_security {
                extra.push(format!(
                    "row-level security {}",
                    if rls { "on" } else { "off" }
                ));
            }
            format!("{} = {rel} ({})", t.table, extra.join(", "))
        }
    }
}

pub fn write_text(c: &Catalog, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "database {} ({})", c.target, c.version)?;
    writeln!(out)?;
    for t in &c.tables {
        writeln!(out, "{}", table_title(t))?;
        if t.relation.is_none() {
            writeln!(out)?;
            continue;
        }
        for access in Access::ALL {
            let group: Vec<_> = t.objects_with(access).collect();
            if group.is_empty() {
                continue;
            }
            writeln!(out, "  {} ({})", heading(access), group.len())?;
            for o in group {
                let via = if o.via.is_empty() {
                    String::new()
                } else {
                    format!("  via {}", o.via.join(" → "))
                };
                let confidence = match o.confidence {
                    crate::model::Confidence::Parsed => String::new(),
                    other => format!(" [{}]", other.as_str()),
                };
                writeln!(
                    out,
                    "    {}  {}{confidence}  {}{via}",
                    o.location, o.operation, o.detail
                )?;
            }
        }
        if t.objects.is_empty() {
            writeln!(
                out,
                "  no triggers, rules, views, routines or keys touch it"
            )?;
        }
        writeln!(out, "  may write ({})", t.may_write.len())?;
        for m in &t.may_write {
            let mut flags = Vec::new();
            if !m.can_login {
                flags.push("cannot log in");
            }
            if m.bypass_rls {
                flags.push("bypasses row-level security");
            }
            let flags = if flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", flags.join(", "))
            };
            writeln!(
                out,
                "    {}  {}  {}{flags}",
                m.role,
                m.privileges.join(", "),
                m.how.join("; ")
            )?;
        }
        if let Some(g) = &t.grants_vs_logs {
            writeln!(
                out,
                "  logs: may write but never wrote: {}",
                list_or_none(&g.never_wrote)
            )?;
            writeln!(
                out,
                "  logs: wrote without a write grant: {}",
                list_or_none(&g.wrote_without_grant)
            )?;
        }
        match &t.counters {
            Some(cn) => writeln!(out, "  counters: {}", counters_text(cn))?,
            None => writeln!(out, "  counters: not available")?,
        }
        if let Some(d) = &t.delta {
            writeln!(out, "  now: {}", delta_text(d))?;
        }
        if let Some(s) = &c.statements {
            let rows: Vec<_> = s.rows_of(&t.table).collect();
            writeln!(out, "  pg_stat_statements ({})", rows.len())?;
            for r in rows {
                let sample = r
                    .statements
                    .iter()
                    .max_by_key(|s| s.executions)
                    .map(|s| s.statement.as_str())
                    .unwrap_or("");
                writeln!(
                    out,
                    "    {}  {}  {} executions  {}",
                    r.access,
                    r.client,
                    r.executions,
                    crate::db::one_line(sample, 120)
                )?;
            }
        }
        writeln!(out)?;
    }
    if !c.notes.is_empty() {
        writeln!(out, "notes ({})", c.notes.len())?;
        for n in &c.notes {
            writeln!(out, "  {n}")?;
        }
    }
    Ok(())
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

fn counters_json(c: &Counters) -> Value {
    json!({
        "inserts": c.inserts,
        "updates": c.updates,
        "deletes": c.deletes,
        "live_rows": c.live_rows,
        "seq_scans": c.seq_scans,
        "idx_scans": c.idx_scans,
        "rows_read": c.reads,
        "last_seq_scan": c.last_seq_scan,
        "last_idx_scan": c.last_idx_scan,
        "since": c.since,
    })
}

fn table_json(t: &TableReport, c: &Catalog) -> Value {
    let objects: Vec<Value> = t
        .objects
        .iter()
        .map(|o| {
            json!({
                "kind": o.kind.as_str(),
                "location": o.location,
                "access": o.access,
                "operation": o.operation,
                "detail": o.detail,
                "via": o.via,
                "confidence": o.confidence,
            })
        })
        .collect();
    let may_write: Vec<Value> = t
        .may_write
        .iter()
        .map(|m| {
            json!({
                "role": m.role,
                "privileges": m.privileges,
                "how": m.how,
                "can_login": m.can_login,
                "bypass_rls": m.bypass_rls,
            })
        })
        .collect();
    let statements = c.statements.as_ref().map(|s| {
        s.rows_of(&t.table)
            .map(|r| {
                json!({
                    "access": r.access,
                    "client": r.client,
                    "executions": r.executions,
                    "statements": r.statements,
                })
            })
            .collect::<Vec<_>>()
    });
    json!({
        "table": t.table,
        "relation": t.relation,
        "kind": t.relkind,
        "owner": t.owner,
        "row_security": t.row_security,
        "objects": objects,
        "may_write": may_write,
        "logs": t.grants_vs_logs.as_ref().map(|g| json!({
            "never_wrote": g.never_wrote,
            "wrote_without_grant": g.wrote_without_grant,
        })),
        "counters": t.counters.as_ref().map(counters_json),
        "watch": t.delta.as_ref().map(|d| json!({
            "seconds": d.seconds,
            "inserts": d.inserts,
            "updates": d.updates,
            "deletes": d.deletes,
            "reads": d.reads,
            "writes_per_second": d.writes_per_second(),
        })),
        "pg_stat_statements": statements,
    })
}

pub fn write_json(c: &Catalog, out: &mut dyn Write) -> Result<()> {
    let doc = json!({
        "version": 1,
        "server": c.server.as_str(),
        "database": c.target,
        "server_version": c.version,
        "tables": c.tables.iter().map(|t| table_json(t, c)).collect::<Vec<_>>(),
        "notes": c.notes,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)?;
    Ok(())
}

/// What `inventory --db` adds to its JSON: which database was read, and its notes.
pub fn source_json(c: &Catalog) -> Value {
    json!({
        "server": c.server.as_str(),
        "database": c.target,
        "server_version": c.version,
        "notes": c.notes,
    })
}

/// What `inventory --db` adds to its text: which database was read, and its notes.
pub fn write_source_text(c: &Catalog, out: &mut dyn Write) -> Result<()> {
    writeln!(out)?;
    writeln!(out, "database {} ({})", c.target, c.version)?;
    for n in &c.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

pub fn write_lock(s: &LockScript, out: &mut dyn Write) -> Result<()> {
    let what = if s.lock {
        "write lock"
    } else {
        "removal of the write lock"
    };
    writeln!(
        out,
        "-- cutover: {what} on {} ({})",
        s.target,
        s.server.as_str()
    )?;
    for n in &s.notes {
        writeln!(out, "-- note: {n}")?;
    }
    out.write_all(s.sql.as_bytes())?;
    if s.applied {
        writeln!(out, "-- applied")?;
    } else {
        writeln!(out, "-- not applied: run again with --apply to apply it")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DbObject, GrantCheck, MayWrite, ObjectKind, Server};
    use crate::model::{Confidence, Operation};

    fn sample() -> Catalog {
        let mut t = TableReport::new("orders_legacy");
        t.relation = Some("public.orders_legacy".into());
        t.owner = Some("shop_owner".into());
        t.relkind = Some("table".into());
        t.row_security = Some(false);
        t.objects = vec![
            DbObject {
                kind: ObjectKind::Trigger,
                location: "trigger orders_mirror ON orders".into(),
                access: Access::Write,
                operation: Operation::Update,
                detail: "UPDATE orders_legacy SET status = NEW.status".into(),
                via: vec!["function mirror_to_legacy()".into()],
                confidence: Confidence::Parsed,
            },
            DbObject {
                kind: ObjectKind::View,
                location: "view v_open_orders".into(),
                access: Access::Read,
                operation: Operation::Select,
                detail: "reads public.orders_legacy".into(),
                via: vec![],
                confidence: Confidence::Parsed,
            },
        ];
        t.may_write = vec![MayWrite {
            role: "billing".into(),
            privileges: vec!["insert".into(), "update".into()],
            how: vec!["granted directly".into()],
            can_login: true,
            bypass_rls: false,
        }];
        t.counters = Some(Counters {
            inserts: 3,
            updates: 1,
            deletes: 0,
            seq_scans: Some(2),
            idx_scans: Some(5),
            live_rows: Some(3),
            ..Counters::default()
        });
        t.delta = Some(Delta {
            seconds: 2.0,
            inserts: 4,
            updates: 0,
            deletes: 0,
            reads: 1,
        });
        t.grants_vs_logs = Some(GrantCheck {
            never_wrote: vec!["worker".into()],
            wrote_without_grant: vec![],
        });
        Catalog {
            server: Server::Postgres,
            target: "postgresql://cutover@127.0.0.1:5432/shop".into(),
            version: "PostgreSQL 15.10".into(),
            tables: vec![t, TableReport::new("order_items_legacy")],
            statements: None,
            notes: vec!["order_items_legacy: no such table".into()],
        }
    }

    #[test]
    fn text_lists_writers_readers_grants_counters_and_notes() {
        let mut out = Vec::new();
        write_text(&sample(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in [
            "database postgresql://cutover@127.0.0.1:5432/shop (PostgreSQL 15.10)",
            "orders_legacy = public.orders_legacy (table, owner shop_owner, row-level security off)",
            "  writers (1)",
            "    trigger orders_mirror ON orders  update  UPDATE orders_legacy SET status = NEW.status  via function mirror_to_legacy()",
            "  readers (1)",
            "    billing  insert, update  granted directly",
            "  logs: may write but never wrote: worker",
            "  logs: wrote without a write grant: none",
            "  counters: inserts 3, updates 1, deletes 0; 3 live rows; 2 sequential and 5 index scans (since the statistics were last reset)",
            "  now: 2.00 writes/s over 2.0 s (inserts 4, updates 0, deletes 0); 1 reads",
            "order_items_legacy: not found in the database",
            "  order_items_legacy: no such table",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn json_is_one_document_with_every_table() {
        let mut out = Vec::new();
        write_json(&sample(), &mut out).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["tables"].as_array().unwrap().len(), 2);
        let t = &doc["tables"][0];
        assert_eq!(
            t["objects"][0]["location"],
            "trigger orders_mirror ON orders"
        );
        assert_eq!(t["objects"][0]["access"], "write");
        assert_eq!(t["watch"]["writes_per_second"], 2.0);
        assert_eq!(t["logs"]["never_wrote"][0], "worker");
        assert!(doc["tables"][1]["relation"].is_null());
    }

    #[test]
    fn findings_are_db_objects_named_by_their_location() {
        let f = sample().findings();
        assert_eq!(f.len(), 2);
        assert!(
            f.iter()
                .all(|f| f.kind == crate::model::Kind::DbObject && f.line == 0)
        );
        assert_eq!(f[0].file, "trigger orders_mirror ON orders");
        assert_eq!(f[0].via, ["function mirror_to_legacy()"]);
        assert_eq!(
            crate::report::text::finding_line(&f[0]),
            "trigger orders_mirror ON orders  -  update via function mirror_to_legacy()  UPDATE orders_legacy SET status = NEW.status"
        );
    }
}
