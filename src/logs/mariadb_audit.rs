//! MariaDB `server_audit` plugin log, file output (also what AWS RDS for MySQL and MariaDB
//! writes with its MARIADB_AUDIT_PLUGIN option): a chunk of text in, executions out. One
//! event per line: `timestamp,serverhost,username,host,connectionid,queryid,operation,
//! database,object,retcode`. `QUERY` events carry the statement (quoted, `\n` and `\'`
//! escaped) and its return code (non-zero: the statement failed); `TABLE` events (`READ`,
//! `WRITE`, `CREATE`, `DROP`, `ALTER`, `RENAME`) name each table a query opened, before the
//! query's own event: they are trusted over a re-parse of the statement. Statements inside a
//! stored procedure are `QUERY` events of their own, under the caller's connection.

use super::audit::TableEvents;
use super::{Agg, ClientRef, Exec};
use crate::model::{Access, Operation};
use crate::sql::TableUse;
use std::borrow::Cow;

/// One event of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    pub time: &'a str,
    pub user: &'a str,
    pub host: &'a str,
    pub connection: u64,
    pub query: u64,
    pub operation: &'a str,
    pub database: &'a str,
    pub object: Cow<'a, str>,
    pub retcode: Option<i64>,
}

/// `YYYYMMDD HH:MM:SS,` at the start of a line.
pub fn is_event_line(line: &[u8]) -> bool {
    line.len() > 18
        && line[..8].iter().all(u8::is_ascii_digit)
        && line[8] == b' '
        && line[11] == b':'
        && line[14] == b':'
        && line[17] == b','
}

fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// Parse one event line.
pub fn parse_line(line: &str) -> Option<Event<'_>> {
    if !is_event_line(line.as_bytes()) {
        return None;
    }
    let mut rest = line;
    let mut field = || -> Option<&str> {
        let p = rest.find(',')?;
        let f = &rest[..p];
        rest = &rest[p + 1..];
        Some(f)
    };
    let time = field()?;
    let _server = field()?;
    let user = field()?;
    let host = field()?;
    let connection = field()?.parse().ok()?;
    let query = field()?.parse().ok()?;
    let operation = field()?;
    let database = field()?;
    let (object, tail) = if let Some(q) = rest.strip_prefix('\'') {
        // A quoted statement: up to the quote that is not escaped.
        let b = q.as_bytes();
        let mut i = 0;
        loop {
            let p = i + memchr::memchr2(b'\'', b'\\', &b[i..])?;
            if b[p] == b'\\' {
                i = p + 2;
                continue;
            }
            break (unescape(&q[..p]), &q[p + 1..]);
        }
    } else {
        match rest.rfind(',') {
            Some(p) => (Cow::Borrowed(&rest[..p]), &rest[p..]),
            None => (Cow::Borrowed(rest), ""),
        }
    };
    let retcode = tail.strip_prefix(',').and_then(|r| r.trim().parse().ok());
    Some(Event {
        time,
        user,
        host,
        connection,
        query,
        operation,
        database,
        object,
        retcode,
    })
}

/// What a table event means, if it is one.
fn table_access(operation: &str) -> Option<(Access, Operation)> {
    Some(match operation {
        "READ" => (Access::Read, Operation::Select),
        "WRITE" => (Access::Write, Operation::Unknown),
        "CREATE" => (Access::Ddl, Operation::Create),
        "DROP" => (Access::Ddl, Operation::Drop),
        "ALTER" => (Access::Ddl, Operation::Alter),
        "RENAME" => (Access::Ddl, Operation::Rename),
        _ => return None,
    })
}

/// Whether a chunk may start at `line`: not at a table event, whose query follows it.
pub(crate) fn is_record_start(line: &[u8]) -> bool {
    is_event_line(line) && {
        let text = String::from_utf8_lossy(&line[..line.len().min(300)]);
        parse_line(&text).is_none_or(|e| table_access(e.operation).is_none())
    }
}

/// What a table event left pending needs to be counted on its own.
type Origin<'a> = (ClientRef<'a>, String, u64);

/// `20261207 17:05:16` → `2026-12-07 17:05:16`, like the other logs.
fn normalize_time(t: &str, out: &mut String) {
    out.clear();
    out.push_str(&t[..4]);
    out.push('-');
    out.push_str(&t[4..6]);
    out.push('-');
    out.push_str(&t[6..]);
}

/// Parse a chunk of a `server_audit` log; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let mut count = 0;
    let mut tables: TableEvents<Origin<'_>> = TableEvents::default();
    let mut time = String::new();
    for (n, line) in super::lines(text) {
        count = n;
        if line.trim().is_empty() {
            continue;
        }
        let Some(e) = parse_line(line) else {
            agg.unmatched(n, line);
            continue;
        };
        agg.acc.records += 1;
        let client = ClientRef {
            app: None,
            user: Some(e.user).filter(|u| !u.is_empty()),
            host: Some(e.host).filter(|h| !h.is_empty()),
            db: Some(e.database).filter(|d| !d.is_empty()),
            thread: None,
            session: None,
        };
        let key = (e.connection, e.query);
        if let Some((access, operation)) = table_access(e.operation) {
            let table = TableUse {
                table: super::audit::mysql_table(e.database, &e.object),
                access,
                operation,
            };
            normalize_time(e.time, &mut time);
            tables.push(key, table, (client, time.clone(), n));
            continue;
        }
        if !e.operation.starts_with("QUERY") {
            // CONNECT, DISCONNECT, FAILED_CONNECT, CHANGEUSER: no statement.
            agg.acc.other_records += 1;
            continue;
        }
        let given = tables.take(key, &e.object);
        normalize_time(e.time, &mut time);
        let exec = Exec {
            client,
            ts: Some(&time),
            sql: &e.object,
            calls: 1,
            line: n,
            session: Some(e.connection),
            logged_before_run: false,
            via: "server_audit",
            given,
        };
        if e.retcode.is_some_and(|r| r != 0) {
            let _ = agg.record_exec(exec, true);
        } else {
            agg.exec(exec);
        }
    }
    for (_, uses, (client, time, n)) in tables.drain() {
        let evidence = uses
            .iter()
            .map(|u| format!("{} {}", u.access.as_str(), u.table.name))
            .collect::<Vec<_>>()
            .join(", ");
        agg.exec(Exec {
            client,
            ts: Some(&time),
            sql: &format!("/* table events without their query */ {evidence}"),
            calls: 1,
            line: n,
            session: None,
            logged_before_run: false,
            via: "server_audit",
            given: Some(uses),
        });
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_as_written_by_mariadb() {
        let q = parse_line(
            r"20261207 17:05:17,vm,ops,localhost,29,69,QUERY,shop,'INSERT INTO t VALUES (2, \'dup\')',1062",
        )
        .unwrap();
        assert_eq!(q.object, "INSERT INTO t VALUES (2, 'dup')");
        assert_eq!(q.retcode, Some(1062));
        assert_eq!((q.connection, q.query), (29, 69));
        let t = parse_line("20261207 17:05:16,vm,billing,127.0.0.1,5,15,WRITE,shop,orders_legacy,")
            .unwrap();
        assert_eq!(t.object, "orders_legacy");
        assert_eq!(t.retcode, None);
        assert!(!is_record_start(
            b"20261207 17:05:16,vm,billing,127.0.0.1,5,15,WRITE,shop,orders_legacy,"
        ));
        assert!(is_record_start(
            b"20261207 17:05:16,vm,billing,127.0.0.1,5,0,CONNECT,shop,,0"
        ));
        let m =
            parse_line(r"20261207 17:05:16,vm,root,localhost,4,13,QUERY,shop,'A\nB',0").unwrap();
        assert_eq!(m.object, "A\nB");
        assert!(parse_line("2026-12-07 garbage").is_none());
    }
}
