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
    // Fields of the last well-formed record: what a recovered record must have.
    let mut expected: Option<usize> = None;
    loop {
        let start = rdr.position().clone();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                unmatched(
                    agg,
                    &mut last_unmatched,
                    start.line(),
                    &format!("invalid CSV record: {e}"),
                );
                continue;
            }
        }
        let end = (rdr.position().byte() as usize).min(text.len());
        let raw = &text[(start.byte() as usize).min(end)..end];
        // A quote that never closes swallows the records after it (issue #19): a record
        // whose quoted field holds a line that starts like a record is split and re-read.
        if spans_record_start(raw) {
            recover(raw, start.line(), agg, &mut expected, &mut last_unmatched);
            continue;
        }
        let line = rec.position().map_or(start.line(), |p| p.line());
        if record(&rec, line, agg) {
            expected = Some(rec.len());
        } else {
            unmatched(agg, &mut last_unmatched, line, rec.as_slice());
        }
    }
    super::lines(text).count() as u64
}

fn unmatched(agg: &mut Agg, last: &mut Option<u64>, line: u64, text: &str) {
    if *last != Some(line) {
        *last = Some(line);
        agg.unmatched(line, text);
    }
}

/// Whether a line inside `raw` (not its first) starts like a csvlog record.
fn spans_record_start(raw: &str) -> bool {
    let body = raw.trim_end_matches(['\n', '\r']);
    memchr::memchr_iter(b'\n', body.as_bytes()).any(|p| looks_like_record(&body[p + 1..]))
}

fn looks_like_record(line: &str) -> bool {
    let b = line.as_bytes();
    super::starts_with_timestamp(b)
        && b[19..b.len().min(40)].contains(&b',')
        && line.split(',').take(14).count() == 14
}

/// Re-read `raw` (starting at `first_line`) one record start at a time: a group that parses
/// into one record is read; one that does not is joined with the next groups while that
/// gives one record of the expected width (a quoted field may hold a line that starts like a
/// record); otherwise it is reported where it starts.
fn recover(
    raw: &str,
    first_line: u64,
    agg: &mut Agg,
    expected: &mut Option<usize>,
    last_unmatched: &mut Option<u64>,
) {
    // (offset, line) of every record start in `raw`.
    let mut starts = vec![(0usize, first_line)];
    let mut line = first_line;
    for p in memchr::memchr_iter(b'\n', raw.as_bytes()) {
        line += 1;
        if p + 1 < raw.len() && looks_like_record(&raw[p + 1..]) {
            starts.push((p + 1, line));
        }
    }
    let one = |text: &str| -> Option<csv::StringRecord> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rec = csv::StringRecord::new();
        let ok = r.read_record(&mut rec).ok()?;
        let mut more = csv::StringRecord::new();
        (ok && !r.read_record(&mut more).ok()?).then_some(rec)
    };
    let end_of = |i: usize| starts.get(i).map_or(raw.len(), |s| s.0);
    // Every quote of a well-formed record is paired (`""` inside a field is two).
    let balanced = |text: &str| {
        memchr::memchr_iter(b'"', text.as_bytes())
            .count()
            .is_multiple_of(2)
    };
    let mut i = 0;
    while i < starts.len() {
        let (at, line) = starts[i];
        let text = &raw[at..end_of(i + 1)];
        let alone = balanced(text).then(|| one(text)).flatten();
        if let Some(rec) = alone.filter(|r| expected.is_none_or(|n| r.len() == n))
            && record(&rec, line, agg)
        {
            *expected = Some(rec.len());
            i += 1;
            continue;
        }
        let joined = (i + 2..=starts.len().min(i + 9)).find_map(|j| {
            let text = &raw[at..end_of(j)];
            balanced(text)
                .then(|| one(text))
                .flatten()
                .filter(|r| expected.is_none_or(|n| r.len() == n))
                .map(|r| (j, r))
        });
        match joined {
            Some((j, rec)) if record(&rec, line, agg) => i = j,
            _ => {
                let text = raw[at..end_of(i + 1)].lines().next().unwrap_or("");
                unmatched(
                    agg,
                    last_unmatched,
                    line,
                    &format!("broken CSV record (a quote that does not close): {text}"),
                );
                i += 1;
            }
        }
    }
}

/// Read one csvlog record; `false` when it is not one (too few fields, no timestamp).
fn record(rec: &csv::StringRecord, line: u64, agg: &mut Agg) -> bool {
    if rec.len() < MIN_FIELDS || !super::starts_with_timestamp(rec[0].as_bytes()) {
        return false;
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
    if (severity == "ERROR" || severity == "FATAL")
        && let Some(q) = get(19)
    {
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
        return true;
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
    true
}
