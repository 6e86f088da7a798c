//! PostgreSQL jsonlog (15+): a chunk of text in, executed statements out. One JSON object per
//! line with `timestamp`, `user`, `dbname`, `pid`, `remote_host`, `application_name`,
//! `error_severity`, `message` and, for errors, `statement`.

use super::postgres_stderr::{Message, handle_message};
use super::{Agg, ClientRef, Exec};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    dbname: Option<Cow<'a, str>>,
    #[serde(default)]
    pid: Option<u64>,
    #[serde(borrow, default)]
    remote_host: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    application_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    error_severity: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    statement: Option<Cow<'a, str>>,
}

/// Parse a chunk of a jsonlog; returns the number of lines.
pub(crate) fn parse(text: &str, agg: &mut Agg) -> u64 {
    let mut count = 0;
    for (n, line) in super::lines(text) {
        count = n;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record<'_> = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(_) => {
                agg.unmatched(n, line);
                continue;
            }
        };
        let (Some(severity), Some(message)) = (r.error_severity.as_deref(), r.message.as_deref())
        else {
            agg.unmatched(n, line);
            continue;
        };
        agg.acc.records += 1;
        let client = ClientRef {
            app: r.application_name.as_deref(),
            user: r.user.as_deref(),
            db: r.dbname.as_deref(),
            host: r.remote_host.as_deref(),
            thread: None,
            session: None,
        };
        if (severity == "ERROR" || severity == "FATAL")
            && let Some(q) = r.statement.as_deref()
        {
            agg.failed(Exec {
                client,
                ts: r.timestamp.as_deref(),
                sql: q,
                calls: 1,
                line: n,
                session: r.pid,
                logged_before_run: false,
                via: "error_statement",
                given: None,
            });
            continue;
        }
        handle_message(
            Message {
                severity,
                text: message,
                client,
                ts: r.timestamp.as_deref(),
                session: r.pid,
                line: n,
            },
            agg,
        );
    }
    count
}
