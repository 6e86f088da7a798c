//! Audit records, the cheapest complete writer source: pgaudit lines (`AUDIT: SESSION|OBJECT,
//! stmt,substmt,CLASS,COMMAND,OBJECT_TYPE,OBJECT_NAME,STATEMENT,PARAMETER`, inside any
//! PostgreSQL destination) in, executions with the tables the server named out. The server's
//! object names are trusted over a re-parse and the statement is kept as evidence; a
//! substatement (a write inside a function or a `DO` block) is its own record, so the session
//! that called the function is its writer. Reading the line around it (prefix, csvlog
//! columns) is the destination's parser's job.

use super::postgres_stderr::Message;
use super::{Agg, Exec};
use crate::model::{Access, Operation};
use crate::sql::{TableName, TableUse};
use std::borrow::Cow;

/// One pgaudit record, fields as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgAudit<'a> {
    /// `SESSION` or `OBJECT`.
    pub kind: Cow<'a, str>,
    pub statement_id: Cow<'a, str>,
    pub substatement_id: Cow<'a, str>,
    pub class: Cow<'a, str>,
    pub command: Cow<'a, str>,
    pub object_type: Cow<'a, str>,
    pub object_name: Cow<'a, str>,
    pub statement: Cow<'a, str>,
}

/// Split the comma-separated, double-quoted fields of `s` (pgaudit quotes like CSV).
fn fields(s: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut val = String::new();
            let mut j = i + 1;
            loop {
                let q = j + memchr::memchr(b'"', &b[j..])?;
                val.push_str(&s[j..q]);
                if b.get(q + 1) == Some(&b'"') {
                    val.push('"');
                    j = q + 2;
                } else {
                    i = q + 1;
                    break;
                }
            }
            out.push(Cow::Owned(val));
        } else {
            let end = memchr::memchr(b',', &b[i..]).map_or(b.len(), |p| i + p);
            out.push(Cow::Borrowed(&s[i..end]));
            i = end;
        }
        match b.get(i) {
            Some(b',') => i += 1,
            None => return Some(out),
            Some(_) => return None,
        }
    }
}

/// Parse the text after `AUDIT: `.
pub fn parse_pgaudit(text: &str) -> Option<PgAudit<'_>> {
    let mut f = fields(text)?;
    if f.len() < 8 || !(f[0] == "SESSION" || f[0] == "OBJECT") {
        return None;
    }
    f.truncate(8);
    let mut it = f.into_iter();
    let mut next = || it.next().unwrap_or_default();
    Some(PgAudit {
        kind: next(),
        statement_id: next(),
        substatement_id: next(),
        class: next(),
        command: next(),
        object_type: next(),
        object_name: next(),
        statement: next(),
    })
}

/// The operation a command tag names.
pub(crate) fn operation(command: &str) -> Operation {
    let first = command.split_whitespace().next().unwrap_or("");
    match first.to_ascii_uppercase().as_str() {
        "SELECT" | "READ" => Operation::Select,
        "INSERT" => Operation::Insert,
        "UPDATE" => Operation::Update,
        "DELETE" => Operation::Delete,
        "MERGE" => Operation::Merge,
        "REPLACE" => Operation::Replace,
        "TRUNCATE" => Operation::Truncate,
        "COPY" => Operation::Copy,
        "LOAD" => Operation::Load,
        "CREATE" => Operation::Create,
        "ALTER" => Operation::Alter,
        "DROP" => Operation::Drop,
        "RENAME" => Operation::Rename,
        "CALL" | "EXECUTE" => Operation::Call,
        _ => Operation::Unknown,
    }
}

/// What pgaudit says the statement touched: `Some(tables)` when the server named them (or
/// named no table, as for a function call), `None` when the statement must be classified.
fn given(a: &PgAudit<'_>) -> Option<Vec<TableUse>> {
    let access = match a.class.as_ref() {
        "READ" => Access::Read,
        "WRITE" => Access::Write,
        "DDL" => Access::Ddl,
        // FUNCTION (a call or a DO block: its substatements are records of their own),
        // ROLE, MISC, MISC_SET: no table.
        _ => return Some(Vec::new()),
    };
    let is_table = matches!(
        a.object_type.as_ref(),
        "TABLE" | "VIEW" | "MATERIALIZED VIEW" | "FOREIGN TABLE" | "PARTITIONED TABLE"
    );
    if a.object_name.is_empty() || !is_table {
        // `pgaudit.log_relation = off` names no relation, and DDL names its object
        // (an index, a function): the statement says which table.
        return None;
    }
    let operation = match (access, a.command.as_ref()) {
        // The table an INSERT … SELECT reads is logged with the INSERT's command.
        (Access::Read, _) => Operation::Select,
        (_, c) => operation(c),
    };
    Some(vec![TableUse {
        table: TableName::parse_config(&a.object_name),
        access,
        operation,
    }])
}

impl Agg {
    /// One access an audit log recorded; `key` names the access within its session, so that
    /// the same access logged twice in a row (OBJECT, then SESSION) is counted once.
    pub(crate) fn audit(&mut self, e: Exec<'_>, key: Option<String>) {
        if let (Some(s), Some(k)) = (e.session, key) {
            if self.audit_last.get(&s) == Some(&k) {
                self.acc.audit_repeats += 1;
                return;
            }
            self.audit_last.insert(s, k);
        }
        self.exec(e);
    }
}

/// Record a pgaudit line of `m` (its message is `AUDIT: …`); `false` when it is not one.
pub(crate) fn record_pgaudit(m: &Message<'_>, text: &str, agg: &mut Agg) -> bool {
    let Some(a) = parse_pgaudit(text) else {
        return false;
    };
    record(m, &a, agg);
    true
}

/// Record a parsed pgaudit record logged by the session of `m`.
pub(crate) fn record(m: &Message<'_>, a: &PgAudit<'_>, agg: &mut Agg) {
    let given = given(a);
    // Without an object name the statement is classified once for all its tables: a second
    // line of the same (sub)statement (its READ beside its WRITE) is the same access.
    let key = if given.is_none() {
        format!("{},{}", a.statement_id, a.substatement_id)
    } else {
        format!(
            "{},{},{},{},{}",
            a.statement_id, a.substatement_id, a.class, a.command, a.object_name
        )
    };
    agg.audit(
        Exec {
            client: m.client,
            ts: m.ts,
            sql: &a.statement,
            calls: 1,
            line: m.line,
            session: m.session,
            // pgaudit logs when the executor starts: an ERROR after it is its failure.
            logged_before_run: true,
            via: "pgaudit",
            given,
        },
        Some(key),
    );
}

/// A table a MySQL-family audit log names: the database is kept for the servers' own
/// schemas (so that they are recognised as such) and dropped otherwise, as a statement that
/// names the table without its database is classified.
pub(crate) fn mysql_table(db: &str, name: &str) -> TableName {
    let system = matches!(
        db.to_ascii_lowercase().as_str(),
        "mysql" | "information_schema" | "performance_schema" | "sys"
    );
    TableName {
        schema: system.then(|| db.to_string()),
        name: name.to_string(),
        quoted: false,
    }
}

/// Whether `prev` (the line before a possible chunk start) is a table event, whose
/// statement comes next: a `server_audit` `READ`/`WRITE`/DDL event, or a MySQL
/// `table_access` event, plain or inside a cloud envelope.
pub(crate) fn follows_table_event(prev: &[u8]) -> bool {
    [
        &b",READ,"[..],
        b",WRITE,",
        b",CREATE,",
        b",DROP,",
        b",ALTER,",
        b",RENAME,",
        b"\"table_access\"",
    ]
    .iter()
    .any(|m| memchr::memmem::find(prev, m).is_some())
}

/// Table events of MySQL-family audit logs that wait for the query they belong to: MariaDB's
/// `server_audit` and MySQL's `table_access` class log each table a statement opens before
/// the statement itself, under the same connection (and query id). `P` is what a table event
/// needs to be counted on its own (client, time, line) when its statement never comes.
#[derive(Debug)]
pub(crate) struct TableEvents<P> {
    pending: Vec<((u64, u64), Vec<TableUse>, P)>,
}

impl<P> Default for TableEvents<P> {
    fn default() -> Self {
        TableEvents {
            pending: Vec::new(),
        }
    }
}

impl<P> TableEvents<P> {
    pub(crate) fn push(&mut self, key: (u64, u64), table: TableUse, payload: P) {
        match self.pending.iter_mut().rev().find(|(k, _, _)| *k == key) {
            Some((_, v, _)) => {
                if !v.contains(&table) {
                    v.push(table);
                }
            }
            None => self.pending.push((key, vec![table], payload)),
        }
    }

    /// The tables logged for `key`, if any, with write operations named by the statement.
    pub(crate) fn take(&mut self, key: (u64, u64), statement: &str) -> Option<Vec<TableUse>> {
        let i = self.pending.iter().position(|(k, _, _)| *k == key)?;
        let mut v = self.pending.remove(i).1;
        let op = operation(statement.split_whitespace().next().unwrap_or(""));
        for u in &mut v {
            if u.access == Access::Write && u.operation == Operation::Unknown {
                u.operation = op;
            }
        }
        v.sort_by(|a, b| {
            (&a.table.schema, &a.table.name, a.access).cmp(&(
                &b.table.schema,
                &b.table.name,
                b.access,
            ))
        });
        Some(v)
    }

    /// Table events whose statement was not in this chunk: counted on their own.
    pub(crate) fn drain(&mut self) -> Vec<((u64, u64), Vec<TableUse>, P)> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgaudit_fields_as_written_by_the_server() {
        let a = parse_pgaudit(
            "SESSION,1,3,WRITE,INSERT,TABLE,public.orders_archive,INSERT INTO orders_archive SELECT * FROM orders_legacy WHERE id = p,<not logged>",
        )
        .unwrap();
        assert_eq!(a.kind, "SESSION");
        assert_eq!(a.substatement_id, "3");
        assert_eq!(a.object_name, "public.orders_archive");
        assert!(a.statement.starts_with("INSERT INTO orders_archive"));
        let g = given(&a).unwrap();
        assert_eq!(g[0].table.name, "orders_archive");
        assert_eq!(g[0].access, Access::Write);
        assert_eq!(g[0].operation, Operation::Insert);
        // Quoted statement with commas and doubled quotes.
        let a = parse_pgaudit(
            "OBJECT,2,1,READ,SELECT,TABLE,public.t,\"SELECT a, \"\"b\"\" FROM t\",<not logged>",
        )
        .unwrap();
        assert_eq!(a.statement, "SELECT a, \"b\" FROM t");
        assert_eq!(given(&a).unwrap()[0].operation, Operation::Select);
        // A function call names no table; READ without a relation is classified.
        let f = parse_pgaudit(
            "SESSION,1,2,FUNCTION,EXECUTE,FUNCTION,public.f,SELECT f(1),<not logged>",
        )
        .unwrap();
        assert_eq!(given(&f), Some(vec![]));
        let r = parse_pgaudit("SESSION,1,1,READ,SELECT,,,SELECT f(1),<not logged>").unwrap();
        assert_eq!(given(&r), None);
        assert!(parse_pgaudit("statement: SELECT 1").is_none());
        assert!(parse_pgaudit("SESSION,1,1,READ,\"unterminated").is_none());
    }
}
