//! Managed-cloud log envelopes: one JSON event per line in, the database's own log records
//! out. A text message (an RDS line with its fixed prefix, a Cloud SQL `textPayload`, a
//! MySQL audit line) is handed to the parser of the format inside; a structured record
//! (CloudNativePG's csvlog columns, Azure's `properties`) becomes a PostgreSQL message
//! directly. Line numbers stay those of the file. Detecting which envelope and which
//! provider is here; reading the format inside is its own module's job.

use super::postgres_stderr::{Message, Prefix, handle_message};
use super::{Agg, ClientRef, Exec, LogFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The managed service that wrote a log (from its envelope or its fixed prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    AwsRds,
    GoogleCloudSql,
    GoogleAlloyDb,
    Azure,
    CloudNativePg,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::AwsRds => "AWS RDS/Aurora",
            Provider::GoogleCloudSql => "Google Cloud SQL",
            Provider::GoogleAlloyDb => "Google AlloyDB",
            Provider::Azure => "Azure Database for PostgreSQL",
            Provider::CloudNativePg => "CloudNativePG",
        }
    }
}

/// How events are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Envelope {
    /// CloudWatch Logs events, one JSON object per line with `message` (and `timestamp`,
    /// `logStreamName`…): `aws logs filter-log-events` output flattened, Firehose, Lambda.
    CloudWatchEvents,
    /// CloudWatch Logs subscription payloads: `{"messageType":"DATA_MESSAGE","logGroup":…,
    /// "logEvents":[{"id","timestamp","message"}]}`, usually gzip (several per line are read).
    CloudWatchSubscription,
    /// Google Cloud Logging `LogEntry` (Cloud SQL, AlloyDB): `textPayload`, or
    /// `jsonPayload.message`; pgAudit as Data Access audit logs
    /// (`protoPayload.request` of type `PgAuditEntry`).
    CloudLogging,
    /// Azure Monitor resource logs (diagnostic settings, storage or Log Analytics export):
    /// `properties.message`, `properties.errorLevel`, `properties.processId`.
    AzureDiagnostics,
    /// CloudNativePG: `{"logger":"postgres"|"pgaudit","record":{csvlog columns, "audit"}}`.
    CloudNativePg,
}

impl Envelope {
    pub fn as_str(self) -> &'static str {
        match self {
            Envelope::CloudWatchEvents => "cloudwatch-events",
            Envelope::CloudWatchSubscription => "cloudwatch-subscription",
            Envelope::CloudLogging => "cloud-logging",
            Envelope::AzureDiagnostics => "azure-diagnostics",
            Envelope::CloudNativePg => "cloudnative-pg",
        }
    }

    /// Whether the records are structured (no format inside to detect).
    pub fn is_structured(self) -> bool {
        matches!(self, Envelope::AzureDiagnostics | Envelope::CloudNativePg)
    }
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The envelope and provider of a JSON event, if it is one.
pub fn detect(v: &Value) -> Option<(Envelope, Provider)> {
    let obj = v.as_object()?;
    if obj.get("logEvents").is_some_and(Value::is_array) {
        let group = s(v, "logGroup").unwrap_or("");
        return Some((Envelope::CloudWatchSubscription, aws(group)));
    }
    if obj.get("record").is_some_and(Value::is_object) && obj.contains_key("logger") {
        return Some((Envelope::CloudNativePg, Provider::CloudNativePg));
    }
    if obj.contains_key("textPayload")
        || obj.contains_key("jsonPayload")
        || obj.contains_key("protoPayload")
    {
        let name = format!(
            "{} {}",
            s(v, "logName").unwrap_or(""),
            v.pointer("/resource/type")
                .and_then(Value::as_str)
                .unwrap_or("")
        );
        let p = if name.contains("alloydb") {
            Provider::GoogleAlloyDb
        } else {
            Provider::GoogleCloudSql
        };
        return Some((Envelope::CloudLogging, p));
    }
    if let Some(p) = obj.get("properties").and_then(Value::as_object)
        && (p.contains_key("message") || p.contains_key("Message"))
    {
        return Some((Envelope::AzureDiagnostics, Provider::Azure));
    }
    if obj.get("message").is_some_and(Value::is_string)
        && !obj.contains_key("error_severity")
        && (obj.get("timestamp").is_some_and(Value::is_number)
            || obj.contains_key("logStreamName")
            || obj.contains_key("ingestionTime"))
    {
        let group = s(v, "logGroupName").or(s(v, "logGroup")).unwrap_or("");
        return Some((Envelope::CloudWatchEvents, aws(group)));
    }
    None
}

fn aws(_group: &str) -> Provider {
    // `/aws/rds/instance/NAME/postgresql`, `/aws/rds/cluster/NAME/…`: CloudWatch export of
    // other services' logs is not read here, so every CloudWatch log is taken as RDS's.
    Provider::AwsRds
}

/// JSON values of one line (subscription payloads may be concatenated without newlines,
/// exports may be array elements followed by a comma).
fn values(line: &str) -> Option<Vec<Value>> {
    let t = line.trim().trim_end_matches(',');
    if t.is_empty() || t == "[" || t == "]" {
        return Some(Vec::new());
    }
    let t = t.strip_prefix('[').unwrap_or(t);
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_str(t).into_iter::<Value>() {
        out.push(v.ok()?);
    }
    Some(out)
}

/// The envelope of a file whose first bytes are `head`, from its first JSON event.
pub fn sniff(head: &str) -> Option<(Envelope, Provider)> {
    let line = head
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && *l != "[")?;
    if !line.starts_with('{') && !line.starts_with("[{") {
        return None;
    }
    detect(values(line)?.first()?)
}

/// The text messages of the first events of `head`: what the format inside is detected
/// (and a prefix inferred) from.
pub fn messages(head: &str, envelope: Envelope) -> String {
    let mut out = String::new();
    for line in head.lines().take(2000) {
        for v in values(line).unwrap_or_default() {
            for_each_text(&v, envelope, &mut |m| {
                out.push_str(m.trim_end_matches('\n'));
                out.push('\n');
            });
        }
    }
    out
}

fn for_each_text(v: &Value, envelope: Envelope, f: &mut dyn FnMut(&str)) {
    match envelope {
        Envelope::CloudWatchEvents => {
            if let Some(m) = s(v, "message") {
                f(m)
            }
        }
        Envelope::CloudWatchSubscription => {
            for e in v
                .get("logEvents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(m) = s(e, "message") {
                    f(m)
                }
            }
        }
        Envelope::CloudLogging => {
            if let Some(m) = s(v, "textPayload")
                .or_else(|| v.pointer("/jsonPayload/message").and_then(Value::as_str))
            {
                f(m)
            }
        }
        Envelope::AzureDiagnostics | Envelope::CloudNativePg => {}
    }
}

/// How to read the inside of an envelope.
pub(crate) struct Inner<'a> {
    pub envelope: Envelope,
    pub format: LogFormat,
    pub prefix: &'a Prefix,
}

/// Parse a chunk of enveloped events; returns the number of lines of the file.
pub(crate) fn parse(text: &str, inner: &Inner<'_>, agg: &mut Agg) -> u64 {
    let mut buf = String::new();
    // Line of the file of each line of `buf`.
    let mut map: Vec<u64> = Vec::new();
    let mut count = 0;
    for (n, line) in super::lines(text) {
        count = n;
        let Some(vals) = values(line) else {
            agg.unmatched(n, line);
            continue;
        };
        for v in vals {
            if inner.envelope.is_structured() || is_pgaudit_entry(&v) {
                structured(&v, inner.envelope, n, agg);
                continue;
            }
            let before = map.len();
            for_each_text(&v, inner.envelope, &mut |m| {
                for l in m.trim_end_matches('\n').split('\n') {
                    buf.push_str(l);
                    buf.push('\n');
                    map.push(n);
                }
            });
            if map.len() == before {
                // An event of the envelope without a log message (a control message).
                agg.acc.other_records += 1;
            }
        }
    }
    if !buf.is_empty() {
        let mark = agg.line_mark();
        let _ = match inner.format {
            LogFormat::PostgresStderr => super::postgres_stderr::parse(&buf, inner.prefix, agg),
            LogFormat::MysqlGeneral => super::mysql_general::parse(&buf, None, agg),
            LogFormat::MysqlSlow => super::mysql_slow::parse(&buf, agg),
            LogFormat::MariadbAudit => super::mariadb_audit::parse(&buf, agg),
            LogFormat::MysqlAuditJson => super::mysql_audit::parse(&buf, agg),
            LogFormat::PostgresJson => super::postgres_json::parse(&buf, agg),
            LogFormat::PostgresCsv => super::postgres_csv::parse(&buf, agg),
            LogFormat::PgStatStatements => super::pg_stat_statements::parse(&buf, agg),
            LogFormat::Empty => 0,
        };
        agg.remap_lines(mark, &map);
    }
    count
}

/// Whether `v` is a pgAudit record sent to Cloud Logging as a Data Access audit log.
fn is_pgaudit_entry(v: &Value) -> bool {
    v.pointer("/protoPayload/request/@type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with("PgAuditEntry"))
}

/// A `PgAuditEntry` (AlloyDB, Cloud SQL): the pgaudit fields without the object name, so
/// the statement is classified; the client is its user and database.
fn pgaudit_entry(v: &Value, n: u64, agg: &mut Agg) {
    let Some(r) = v.pointer("/protoPayload/request") else {
        return;
    };
    // Long statements are split over entries: the first chunk stands for the statement.
    if r.get("chunkIndex")
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        .is_some_and(|c| c > 1)
    {
        agg.acc.other_records += 1;
        return;
    }
    agg.acc.records += 1;
    let text = |k: &str| match r.get(k) {
        Some(Value::String(t)) => std::borrow::Cow::Borrowed(t.as_str()),
        Some(Value::Number(x)) => std::borrow::Cow::Owned(x.to_string()),
        _ => std::borrow::Cow::Borrowed(""),
    };
    let audit = super::audit::PgAudit {
        kind: text("auditType"),
        statement_id: text("statementId"),
        substatement_id: text("substatementId"),
        class: text("auditClass"),
        command: text("command"),
        object_type: text("objectType"),
        object_name: text("objectName"),
        statement: text("statement"),
    };
    let m = Message {
        severity: "LOG",
        text: "",
        client: ClientRef {
            user: s(r, "user"),
            db: s(r, "database"),
            ..ClientRef::default()
        },
        ts: s(v, "timestamp"),
        session: r.get("databaseSessionId").and_then(Value::as_u64),
        line: n,
    };
    super::audit::record(&m, &audit, agg);
}

/// A structured record: CloudNativePG's csvlog columns, Azure's properties.
fn structured(v: &Value, envelope: Envelope, n: u64, agg: &mut Agg) {
    if is_pgaudit_entry(v) {
        return pgaudit_entry(v, n, agg);
    }
    let (r, severity, message, client, ts, session, statement) = match envelope {
        Envelope::CloudNativePg => {
            let Some(r) = v.get("record") else {
                agg.acc.other_records += 1;
                return;
            };
            let host = s(r, "connection_from").map(|h| match h.rfind(':') {
                Some(p) if h[p + 1..].bytes().all(|c| c.is_ascii_digit()) => &h[..p],
                _ => h,
            });
            (
                r,
                s(r, "error_severity"),
                s(r, "message"),
                ClientRef {
                    app: s(r, "application_name"),
                    user: s(r, "user_name"),
                    db: s(r, "database_name"),
                    host,
                    thread: None,
                    session: None,
                },
                s(r, "log_time"),
                s(r, "process_id").and_then(|p| p.parse().ok()),
                s(r, "query"),
            )
        }
        _ => {
            let Some(p) = v.get("properties") else {
                agg.acc.other_records += 1;
                return;
            };
            let get = |k: &str, k2: &str| s(p, k).or_else(|| s(p, k2));
            let pid = p
                .get("processId")
                .or_else(|| p.get("ProcessId"))
                .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()));
            (
                p,
                get("errorLevel", "ErrorLevel"),
                get("message", "Message"),
                // Azure's fixed prefix `%t-%c-` names no client.
                ClientRef::default(),
                s(v, "time"),
                pid,
                get("statement", "Statement"),
            )
        }
    };
    let (Some(severity), Some(message)) = (severity, message) else {
        agg.unmatched(n, &truncate_json(v));
        return;
    };
    agg.acc.records += 1;
    let m = Message {
        severity,
        text: message,
        client,
        ts,
        session,
        line: n,
    };
    if let Some(a) = r.get("audit") {
        let f = |k: &str| std::borrow::Cow::Borrowed(s(a, k).unwrap_or(""));
        let audit = super::audit::PgAudit {
            kind: f("audit_type"),
            statement_id: f("statement_id"),
            substatement_id: f("substatement_id"),
            class: f("class"),
            command: f("command"),
            object_type: f("object_type"),
            object_name: f("object_name"),
            statement: f("statement"),
        };
        super::audit::record(&m, &audit, agg);
        return;
    }
    if (severity == "ERROR" || severity == "FATAL")
        && let Some(q) = statement.filter(|q| !q.is_empty())
    {
        // Azure names no client: its session's connection lines do.
        let known = session.and_then(|s| agg.pg_conns.get(&s)).cloned();
        let mut client = match &known {
            Some(k) => ClientRef {
                app: client.app.or(k.app.as_deref()),
                user: client.user.or(k.user.as_deref()),
                db: client.db.or(k.db.as_deref()),
                host: client.host.or(k.host.as_deref()),
                ..client
            },
            None => client,
        };
        // As for statements: the merge completes it from an earlier chunk.
        if client.app.is_none()
            || client.user.is_none()
            || client.db.is_none()
            || client.host.is_none()
        {
            client.session = session;
        }
        agg.failed(Exec {
            client,
            ts,
            sql: q,
            calls: 1,
            line: n,
            session,
            logged_before_run: false,
            via: "error_statement",
            given: None,
        });
        return;
    }
    handle_message(m, agg);
}

impl Agg {
    /// How many line-carrying entries the aggregate holds, for `remap_lines`.
    fn line_mark(&self) -> (usize, usize, usize) {
        (
            self.fps.len(),
            self.unmatched.len(),
            self.prefix_mismatch.len(),
        )
    }

    /// Lines of the messages parsed since `mark` → lines of the file (`map[i]` is the file's
    /// line of message line `i + 1`).
    fn remap_lines(&mut self, mark: (usize, usize, usize), map: &[u64]) {
        let to = |l: u64| {
            l.checked_sub(1)
                .and_then(|i| map.get(i as usize))
                .copied()
                .unwrap_or(l)
        };
        for f in &mut self.fps[mark.0..] {
            f.line = to(f.line);
        }
        for e in &mut self.unmatched[mark.1..] {
            e.line = to(e.line);
        }
        for e in &mut self.prefix_mismatch[mark.2..] {
            e.line = to(e.line);
        }
    }
}

fn truncate_json(v: &Value) -> String {
    let t = v.to_string();
    super::truncate(&t, 160)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_envelope() {
        let j = |t: &str| serde_json::from_str::<Value>(t).unwrap();
        assert_eq!(
            detect(&j(r#"{"timestamp":1,"message":"x","logStreamName":"a"}"#)),
            Some((Envelope::CloudWatchEvents, Provider::AwsRds))
        );
        assert_eq!(
            detect(&j(
                r#"{"messageType":"DATA_MESSAGE","logGroup":"/aws/rds/instance/db/postgresql","logEvents":[]}"#
            ))
            .map(|x| x.0),
            Some(Envelope::CloudWatchSubscription)
        );
        assert_eq!(
            detect(&j(
                r#"{"logName":"projects/p/logs/alloydb.googleapis.com%2Fpostgres.log","textPayload":"x"}"#
            )),
            Some((Envelope::CloudLogging, Provider::GoogleAlloyDb))
        );
        assert_eq!(
            detect(&j(r#"{"properties":{"message":"x","errorLevel":"LOG"}}"#)).map(|x| x.0),
            Some(Envelope::AzureDiagnostics)
        );
        assert_eq!(
            detect(&j(r#"{"logger":"postgres","record":{"message":"x"}}"#)).map(|x| x.0),
            Some(Envelope::CloudNativePg)
        );
        // PostgreSQL's own jsonlog is not an envelope.
        assert_eq!(
            detect(&j(
                r#"{"timestamp":"2026-01-01 00:00:00 UTC","error_severity":"LOG","message":"x"}"#
            )),
            None
        );
    }
}
