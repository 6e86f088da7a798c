//! MySQL / MariaDB general query log: a chunk of text in, executed statements out. One line
//! per command: `[time]\t  id Command\targument`; only the first line of each second has the
//! time (MariaDB `YYMMDD H:MM:SS`, MySQL 5.7+ ISO 8601). Continuation lines of multi-line
//! SQL have no prefix. `Connect user@host on db` maps the connection id to its client;
//! `Query` and `Execute` are executions, `Prepare` / `Close stmt` are protocol records.
//! A connection whose `Connect` is in an earlier chunk is resolved when chunks merge; one
//! whose `Connect` is before the log window is reported as `thread=N`. Connection ids restart
//! with the server, so a window that spans a restart may mix two connections with one id.

use super::{Agg, Client, ClientRef, Exec};
use std::collections::HashMap;

/// Commands of the general log, longest first where one is a prefix of another.
const COMMANDS: &[&str] = &[
    "Binlog Dump",
    "Change user",
    "Close stmt",
    "Connect Out",
    "Connect",
    "Create DB",
    "Daemon",
    "Debug",
    "Delayed insert",
    "Drop DB",
    "Error",
    "Execute",
    "Fetch",
    "Field List",
    "Init DB",
    "Kill",
    "Long Data",
    "Ping",
    "Prepare",
    "Processlist",
    "Query",
    "Quit",
    "Refresh",
    "Register Slave",
    "Reset connection",
    "Reset stmt",
    "Set option",
    "Shutdown",
    "Sleep",
    "Statistics",
    "Table Dump",
    "Time",
];

/// One command line: time (if on the line), connection id, command, argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub time: Option<&'a str>,
    pub id: u64,
    pub command: &'a str,
    pub argument: &'a str,
}

fn is_time(t: &str) -> bool {
    let b = t.as_bytes();
    // 261121 11:38:41 | 261121  9:05:01 | 2024-05-01T10:00:00.123456Z
    (b.len() >= 14 && b[..6].iter().all(u8::is_ascii_digit) && b[6] == b' ')
        || (b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T')
}

/// Parse one line of the general log, `None` for continuation and banner lines.
pub fn parse_line(line: &str) -> Option<Line<'_>> {
    let tab = line.find('\t')?;
    let time = &line[..tab];
    if !time.is_empty() && !is_time(time) {
        return None;
    }
    let rest = line[tab..].trim_start_matches(['\t', ' ']);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let id: u64 = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix(' ')?;
    let command = COMMANDS.iter().find(|c| {
        rest.starts_with(**c)
            && matches!(
                rest.as_bytes().get(c.len()),
                None | Some(b'\t') | Some(b' ')
            )
    })?;
    let argument = rest[command.len()..]
        .strip_prefix('\t')
        .unwrap_or(rest[command.len()..].trim_start());
    Some(Line {
        time: (!time.is_empty()).then_some(time),
        id,
        command,
        argument,
    })
}

pub(crate) fn is_record_line(line: &[u8]) -> bool {
    std::str::from_utf8(&line[..line.len().min(200)])
        .ok()
        .and_then(parse_line)
        .is_some()
}

/// `YYMMDD HH:MM:SS` or ISO 8601 → `YYYY-MM-DD HH:MM:SS[.ffffff]`.
pub(crate) fn normalize_time(t: &str, out: &mut String) {
    out.clear();
    let t = t.trim();
    if t.len() >= 19 && t.as_bytes()[4] == b'-' {
        out.push_str(t.replace('T', " ").trim_end_matches('Z'));
        return;
    }
    let (date, time) = t.split_once(' ').unwrap_or((t, ""));
    let time = time.trim();
    if date.len() == 6 {
        out.push_str("20");
        out.push_str(&date[..2]);
        out.push('-');
        out.push_str(&date[2..4]);
        out.push('-');
        out.push_str(&date[4..]);
        out.push(' ');
        if time.len() == 7 {
            out.push('0');
        }
        out.push_str(time);
    } else {
        out.push_str(t);
    }
}

/// `user@host on db using TCP/IP` → (user, host, db).
pub(crate) fn parse_connect(arg: &str) -> Option<(&str, &str, Option<&str>)> {
    let (who, rest) = arg.split_once(" on ").unwrap_or((arg, ""));
    let (user, host) = who.trim().split_once('@')?;
    let db = rest
        .split(" using ")
        .next()
        .map(str::trim)
        .filter(|d| !d.is_empty());
    Some((user, host, db))
}

#[derive(Clone)]
struct Conn {
    user: String,
    host: String,
    db: Option<String>,
}

/// Parse a chunk of a general log; returns the number of lines.
pub(crate) fn parse(text: &str, start_time: Option<&str>, agg: &mut Agg) -> u64 {
    struct Open {
        line: u64,
        id: u64,
        start: usize,
        end: usize,
        run: bool,
    }
    let base = text.as_ptr() as usize;
    let mut conns: HashMap<u64, Conn> = HashMap::new();
    let mut ts = start_time.unwrap_or_default().to_string();
    let mut open: Option<Open> = None;
    let mut count = 0;
    let flush = |o: Open, conns: &HashMap<u64, Conn>, ts: &str, agg: &mut Agg| {
        if !o.run {
            return;
        }
        let sql = &text[o.start..o.end];
        let client = match conns.get(&o.id) {
            Some(c) => ClientRef {
                app: None,
                user: Some(&c.user),
                host: Some(&c.host),
                db: c.db.as_deref(),
                thread: None,
                session: None,
            },
            None => ClientRef {
                thread: Some(o.id),
                ..ClientRef::default()
            },
        };
        agg.exec(Exec {
            client,
            ts: (!ts.is_empty()).then_some(ts),
            sql,
            calls: 1,
            line: o.line,
            session: None,
            logged_before_run: false,
            via: "general_log",
            given: None,
        });
    };
    for (n, raw) in super::lines(text) {
        count = n;
        let start = raw.as_ptr() as usize - base;
        let Some(l) = parse_line(raw) else {
            match &mut open {
                Some(o) => o.end = start + raw.len(),
                None if is_banner(raw) || raw.is_empty() => agg.acc.other_records += 1,
                None => agg.unmatched(n, raw),
            }
            continue;
        };
        if let Some(o) = open.take() {
            flush(o, &conns, &ts, agg);
        }
        if let Some(t) = l.time {
            normalize_time(t, &mut ts);
        }
        agg.acc.records += 1;
        let arg_start = l.argument.as_ptr() as usize - base;
        match l.command {
            "Query" | "Execute" => {
                open = Some(Open {
                    line: n,
                    id: l.id,
                    start: arg_start,
                    end: arg_start + l.argument.len(),
                    run: true,
                });
            }
            "Prepare" | "Close stmt" | "Reset stmt" | "Long Data" | "Fetch" => {
                agg.acc.protocol_records += 1;
                // Its SQL may continue on the next lines; they belong to this record.
                open = Some(Open {
                    line: n,
                    id: l.id,
                    start: arg_start,
                    end: arg_start + l.argument.len(),
                    run: false,
                });
            }
            "Connect" | "Change user" => {
                agg.acc.other_records += 1;
                if let Some((user, host, db)) = parse_connect(l.argument) {
                    let conn = Conn {
                        user: user.to_string(),
                        host: host.to_string(),
                        db: db.map(str::to_string),
                    };
                    agg.connects.push((
                        l.id,
                        Client {
                            user: Some(conn.user.clone()),
                            host: Some(conn.host.clone()),
                            db: conn.db.clone(),
                            ..Client::default()
                        },
                    ));
                    conns.insert(l.id, conn);
                }
            }
            "Init DB" => {
                agg.acc.other_records += 1;
                if let Some(c) = conns.get_mut(&l.id) {
                    c.db = Some(l.argument.trim().to_string());
                }
            }
            _ => agg.acc.other_records += 1,
        }
    }
    if let Some(o) = open.take() {
        flush(o, &conns, &ts, agg);
    }
    count
}

/// The normalised time of the last stamped line of a chunk.
pub(crate) fn last_time(chunk: &[u8]) -> Option<String> {
    let mut end = chunk.len();
    loop {
        let start = memchr::memrchr(b'\n', &chunk[..end]).map_or(0, |p| p + 1);
        let line = &chunk[start..end];
        if line.first().is_some_and(u8::is_ascii_digit)
            && let Ok(l) = std::str::from_utf8(&line[..line.len().min(200)])
            && let Some(t) = parse_line(l).and_then(|l| l.time)
        {
            let mut out = String::new();
            normalize_time(t, &mut out);
            return Some(out);
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

/// The lines a server writes when it opens the log.
pub(crate) fn is_banner(line: &str) -> bool {
    line.starts_with("Tcp port:")
        || (line.starts_with("Time") && line.contains("Id Command"))
        || line.contains(", Version: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mariadb_and_mysql_lines() {
        let l =
            parse_line("261121 11:38:41\t     3 Connect\troot@localhost on  using Socket").unwrap();
        assert_eq!(
            (l.time, l.id, l.command),
            (Some("261121 11:38:41"), 3, "Connect")
        );
        assert_eq!(parse_connect(l.argument), Some(("root", "localhost", None)));
        let l = parse_line("\t\t     9 Close stmt\t").unwrap();
        assert_eq!((l.id, l.command, l.argument), (9, "Close stmt", ""));
        let l = parse_line("2024-05-01T10:00:00.123456Z\t    8 Query\tSELECT 1").unwrap();
        assert_eq!((l.id, l.command, l.argument), (8, "Query", "SELECT 1"));
        assert!(parse_line("  k INTEGER DEFAULT '0' NOT NULL,").is_none());
        let mut s = String::new();
        normalize_time("261121  9:05:01", &mut s);
        assert_eq!(s, "2026-11-21 09:05:01");
    }
}
