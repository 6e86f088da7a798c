//! PostgreSQL csvlog: a chunk of text in, executed statements out. One CSV record per log
//! message (multi-line statements stay inside one quoted field). Columns as documented for
//! PostgreSQL 13+: 0 time, 1 user, 2 database, 3 pid, 4 host:port, 11 severity, 13 message,
//! 19 the failed statement of an ERROR, 22 application name. Older servers have fewer
//! trailing columns; what is missing is left unknown. Chunks are cut before lines that start
//! with a timestamp; a quoted field whose continuation line starts with one would be cut
//! there and show up as unmatched lines, never as a wrong attribution.

use super::postgres_stderr::{Message, handle_message};
use super::{Agg, ClientRef, Exec};

const MIN_FIELDS: usize = 14;

/// Parse a chunk of a csvlog; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    // The csv reader also ends a record at a lone `\r`, so one line can hold several
    // unmatched records; `unmatched_lines` counts lines, so each line is counted once.
    let mut last_unmatched = None;
    let mut unmatched = |agg: &mut Agg, line: u64, text: &str| {
        if last_unmatched != Some(line) {
            last_unmatched = Some(line);
            agg.unmatched(line, text);
        }
    };
    loop {
        let line = rdr.position().line();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                unmatched(agg, line, &format!("invalid CSV record: {e}"));
                continue;
            }
        }
        let line = rec.position().map_or(line, |p| p.line());
        if rec.len() < MIN_FIELDS || !super::starts_with_timestamp(rec[0].as_bytes()) {
            unmatched(agg, line, rec.as_slice());
            continue;
        }
        agg.acc.records += 1;
        let get = |i: usize| rec.get(i).filter(|s| !s.is_empty());
        let host = get(4).map(|h| match h.rfind(':') {
            // "127.0.0.1:45868"; "[local]" has no port
            Some(p) if h[p + 1..].bytes().all(|c| c.is_ascii_digit()) => &h[..p],
            _ => h,
        });
        let client = ClientRef {
            user: get(1),
            db: get(2),
            host,
            app: get(22),
            thread: None,
            session: None,
        };
        let session = get(3).and_then(|p| p.parse().ok());
        let severity = &rec[11];
        let ts = get(0);
        if severity == "ERROR" || severity == "FATAL" {
            let query = get(19);
            if let Some(q) = query {
                agg.failed(Exec {
                    client,
                    ts,
                    sql: q,
                    calls: 1,
                    line,
                    session,
                    logged_before_run: false,
                    via: "error_statement",
                    given: None,
                });
                continue;
            }
        }
        handle_message(
            Message {
                severity,
                text: &rec[13],
                client,
                ts,
                session,
                line,
            },
            agg,
        );
    }
    super::lines(text).count() as u64
}
