//! MySQL / MariaDB slow query log: a chunk of text in, executed statements out. One entry per
//! statement: `# User@Host: user[user] @ host [ip]`, `# Thread_id: … Schema: db`, other
//! `# ` headers, `SET timestamp=N;`, optional `use db;`, then the SQL up to the next header.
//! With `long_query_time = 0` every statement is an entry. `# Time:` lines only carry time.

use super::{Agg, ClientRef, Exec};

#[derive(Default)]
struct Entry<'a> {
    line: u64,
    user: Option<&'a str>,
    host: Option<&'a str>,
    db: Option<&'a str>,
    ts: String,
    /// Byte range of the SQL body.
    body: Option<(usize, usize)>,
}

/// `root[root] @ localhost []` / `orders_rw[orders_rw] @  [127.0.0.1]  Id: 8` → (user, host).
pub(crate) fn parse_user_host(s: &str) -> (Option<&str>, Option<&str>) {
    let (u, h) = s.split_once(" @ ").unwrap_or((s, ""));
    let user = u.split('[').next().map(str::trim).filter(|x| !x.is_empty());
    let h = h.split("  Id:").next().unwrap_or("").trim();
    let (name, ip) = match h.find('[') {
        Some(p) => (h[..p].trim(), h[p + 1..].trim_end_matches(']').trim()),
        None => (h, ""),
    };
    let host = if !name.is_empty() { name } else { ip };
    (user, (!host.is_empty()).then_some(host))
}

/// Parse a chunk of a slow log; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let base = text.as_ptr() as usize;
    let mut cur: Option<Entry<'_>> = None;
    let mut time = String::new();
    let mut count = 0;
    let flush = |e: Entry<'_>, agg: &mut Agg| {
        let Some((s, end)) = e.body else {
            // Headers with no statement: an admin command or a cut entry.
            agg.acc.other_records += 1;
            return;
        };
        let sql = text[s..end].trim_end();
        let sql = sql.strip_suffix(';').unwrap_or(sql);
        agg.exec(Exec {
            client: ClientRef {
                app: None,
                user: e.user,
                host: e.host,
                db: e.db,
                thread: None,
                session: None,
            },
            ts: (!e.ts.is_empty()).then_some(e.ts.as_str()),
            sql,
            calls: 1,
            line: e.line,
            session: None,
            logged_before_run: false,
            via: "slow_query_log",
            given: None,
        });
    };
    for (n, line) in super::lines(text) {
        count = n;
        let start = line.as_ptr() as usize - base;
        if let Some(rest) = line.strip_prefix("# Time:") {
            if let Some(e) = cur.take() {
                flush(e, agg);
            }
            agg.acc.other_records += 1;
            super::mysql_general::normalize_time(rest.trim(), &mut time);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# User@Host:") {
            if let Some(e) = cur.take() {
                flush(e, agg);
            }
            agg.acc.records += 1;
            let (user, host) = parse_user_host(rest.trim());
            cur = Some(Entry {
                line: n,
                user,
                host,
                ts: time.clone(),
                ..Entry::default()
            });
            continue;
        }
        let Some(e) = cur.as_mut() else {
            if super::mysql_general::is_banner(line) || line.trim().is_empty() {
                agg.acc.other_records += 1;
            } else {
                agg.unmatched(n, line);
            }
            continue;
        };
        if e.body.is_none() {
            if let Some(h) = line.strip_prefix("# ") {
                if let Some(p) = h.find("Schema: ") {
                    let db = h[p + 8..]
                        .split_whitespace()
                        .next()
                        .filter(|d| *d != "QC_hit:");
                    e.db = db;
                }
                continue;
            }
            if let Some(ts) = line
                .strip_prefix("SET timestamp=")
                .and_then(|r| r.trim_end_matches(';').parse::<i64>().ok())
            {
                if let Some(t) = chrono::DateTime::from_timestamp(ts, 0) {
                    e.ts = t.format("%Y-%m-%d %H:%M:%S").to_string();
                }
                continue;
            }
            if let Some(db) = line.strip_prefix("use ").and_then(|r| r.strip_suffix(';')) {
                e.db = Some(db.trim().trim_matches('`'));
                continue;
            }
            e.body = Some((start, start + line.len()));
        } else if line.starts_with("# ") {
            // A header line after the body starts a new (headerless) block: end here.
            let e = cur.take();
            if let Some(e) = e {
                flush(e, agg);
            }
            agg.unmatched(n, line);
        } else if let Some(b) = &mut e.body {
            b.1 = start + line.len();
        }
    }
    if let Some(e) = cur.take() {
        flush(e, agg);
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_host_forms() {
        assert_eq!(
            parse_user_host("root[root] @ localhost []"),
            (Some("root"), Some("localhost"))
        );
        assert_eq!(
            parse_user_host("orders_rw[orders_rw] @  [127.0.0.1]"),
            (Some("orders_rw"), Some("127.0.0.1"))
        );
        assert_eq!(
            parse_user_host("app[app] @ web1 [10.0.0.2]  Id:    12"),
            (Some("app"), Some("web1"))
        );
    }
}
