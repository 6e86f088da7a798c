//! `pg_stat_statements` exports: a CSV with a header naming at least `query` and `calls`,
//! and the role (`rolname`, `usename`, `user` or `userid`) and database (`datname`,
//! `dbname`, `database` or `dbid`) when present. Each row counts as `calls` executions of its
//! (already normalised) query. There are no timestamps.

use super::{Agg, ClientRef, Exec};

const USER_COLUMNS: &[&str] = &["rolname", "usename", "user", "username", "userid"];
const DB_COLUMNS: &[&str] = &["datname", "dbname", "database", "dbid"];

/// Parse a whole export; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let lines = super::lines(text).count() as u64;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            agg.unmatched(1, &format!("unreadable header: {e}"));
            return lines;
        }
    };
    let col = |names: &[&str]| {
        names.iter().find_map(|n| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        })
    };
    let (Some(q), Some(c)) = (col(&["query"]), col(&["calls"])) else {
        agg.unmatched(1, headers.as_slice());
        return lines;
    };
    let u = col(USER_COLUMNS);
    let d = col(DB_COLUMNS);
    let app = col(&["application_name", "app"]);
    agg.acc.other_records += 1; // the header
    let mut rec = csv::StringRecord::new();
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                agg.unmatched(line, &format!("invalid CSV record: {e}"));
                continue;
            }
        }
        let line = rec.position().map_or(line, |p| p.line());
        let calls = rec.get(c).and_then(|s| s.trim().parse::<u64>().ok());
        let (Some(sql), Some(calls)) = (rec.get(q).filter(|s| !s.trim().is_empty()), calls) else {
            agg.unmatched(line, rec.as_slice());
            continue;
        };
        agg.acc.records += 1;
        let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).filter(|s| !s.is_empty());
        agg.exec(Exec {
            client: ClientRef {
                app: get(app),
                user: get(u),
                db: get(d),
                host: None,
                thread: None,
                session: None,
            },
            ts: None,
            sql,
            calls,
            line,
            session: None,
            logged_before_run: false,
            via: "pg_stat_statements",
            given: None,
        });
    }
    lines
}
